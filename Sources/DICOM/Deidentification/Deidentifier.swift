/// Applies the DICOM PS3.15 Basic Application Level Confidentiality Profile (Annex E) to data sets
/// and files. One value per job: its ``uidRemapper`` keeps replaced UIDs consistent across every
/// file of the job, on every thread (it holds no mutable state).
///
/// The rules (docs/deidentification.md has the full list and what the profile does not cover):
/// - the action of Table E.1-1 (``DeidentificationAction/basicProfile(for:)``) applied to every
///   attribute at every nesting level, sequence items included;
/// - combined codes resolved without knowing the IOD, so the file stays valid whatever the
///   attribute's type: Z/D, X/D and X/Z/D become D (a dummy satisfies Type 1, 2 and 3), X/Z
///   becomes Z (empty satisfies Type 2 and 3), X/Z/U* keeps the sequence and replaces the UIDs
///   inside it (its items are de-identified like any other), C (not used by the Basic Profile
///   column) becomes D;
/// - D on a sequence keeps its items but replaces every value inside that the table does not
///   list by a dummy (UIDs inside are kept unless listed, since class and coding UIDs identify
///   no one); Z on a sequence empties it;
/// - removed as well: every attribute of an odd group (private, and the reserved odd groups), group
///   lengths, command (0000) and file meta (0002) elements inside the data set, every overlay group
///   (60xx, since the profile removes Overlay Data and an overlay without data is invalid), curves
///   (50xx), Encrypted Attributes Sequence; a sequence stored as UN is read as Implicit VR Little
///   Endian items and cleaned like any other, or dropped when it does not parse;
/// - set at the top level: Patient Identity Removed `YES`, De-identification Method, its Code
///   Sequence (DCM 113100), and Longitudinal Temporal Information Modified `REMOVED` (the profile
///   empties or dummies every date);
/// - for a file: the file meta rebuilt by the writer (Media Storage SOP Instance UID = the new SOP
///   Instance UID) and a zero preamble.
///
/// Pixel data is never touched: text burned into the pixels stays (the Clean Pixel Data option is
/// not implemented).
public struct Deidentifier: Sendable {
    public let uidRemapper: UIDRemapper
    /// Sequences nested deeper than this are an error (the reader already stops at 64).
    public var maximumNestingDepth = 128

    /// De-identification Method (0012,0063) text we append (LO: at most 64 characters).
    public static let methodDescription = "DICOM PS3.15 E.1 Basic Profile (dicom-j2k)"
    /// PS3.16 CID 7050: (DCM, 113100, "Basic Application Confidentiality Profile").
    public static let basicProfileCode = "113100"
    public static let basicProfileCodeMeaning = "Basic Application Confidentiality Profile"

    public init(uidRemapper: UIDRemapper = UIDRemapper()) {
        self.uidRemapper = uidRemapper
    }

    /// De-identifies `dataSet` (a top-level data set: the de-identification attributes are added).
    /// - Throws: ``DICOMError/Code/nestingTooDeep`` beyond ``maximumNestingDepth``.
    public func deidentify(_ dataSet: inout DataSet) throws(DICOMError) {
        try clean(&dataSet, mode: .normal, depth: 0)

        dataSet.set(.patientIdentityRemoved, string: "YES", vr: .CS)
        var methods = dataSet.strings(.deidentificationMethod)?.filter { !$0.isEmpty } ?? []
        if !methods.contains(Self.methodDescription) { methods.append(Self.methodDescription) }
        dataSet.set(.deidentificationMethod, strings: methods, vr: .LO)
        var codes = dataSet.items(.deidentificationMethodCodeSequence) ?? []
        let hasBasic = codes.contains {
            $0.string(.codeValue) == Self.basicProfileCode && $0.string(.codingSchemeDesignator) == "DCM"
        }
        if !hasBasic {
            var code = DataSet()
            code.set(.codeValue, string: Self.basicProfileCode, vr: .SH)
            code.set(.codingSchemeDesignator, string: "DCM", vr: .SH)
            code.set(.codeMeaning, string: Self.basicProfileCodeMeaning, vr: .LO)
            codes.append(code)
        }
        dataSet.set(.deidentificationMethodCodeSequence, items: codes)
        dataSet.set(.longitudinalTemporalInformationModified, string: "REMOVED", vr: .CS)
    }

    /// De-identifies `file`: its data set, a file meta reduced to what the writer needs (the SOP
    /// Class and the new SOP Instance UID) and no preamble (the writer writes zeros). The transfer
    /// syntax and pixel data are unchanged.
    public func deidentify(_ file: inout DICOMFile) throws(DICOMError) {
        let metaInstance = file.fileMeta.string(.mediaStorageSOPInstanceUID)
        let metaClass = file.fileMeta.string(.mediaStorageSOPClassUID)
        try deidentify(&file.dataSet)
        var meta = DataSet()
        if let metaClass, !metaClass.isEmpty { meta.set(.mediaStorageSOPClassUID, string: metaClass, vr: .UI) }
        if let metaInstance, !metaInstance.isEmpty {
            meta.set(.mediaStorageSOPInstanceUID, string: uidRemapper.map(metaInstance), vr: .UI)
        }
        file.fileMeta = meta
        file.preamble = nil
    }

    /// Parses `input`, de-identifies it without touching its pixel data, and encodes it again: in
    /// its own transfer syntax when that is Explicit VR Little Endian or encapsulated (fragments
    /// kept byte for byte), otherwise as Explicit VR Little Endian (Implicit VR, Big Endian and
    /// Deflated input are re-encoded, values unchanged).
    ///
    /// For the files a job would otherwise copy unchanged (already compressed, no pixel data,
    /// unsupported layout, failed to transcode): an anonymizing job ships this output instead, and
    /// ships nothing for input that throws.
    /// - Throws: ``DICOMError`` when the input is not DICOM or does not parse (``DICOMError/Code/notDICOM``,
    ///   ``DICOMError/Code/truncated``, …), nests too deep, or cannot be encoded.
    public func deidentifiedFile(_ input: [UInt8]) throws(DICOMError) -> [UInt8] {
        var file = try DICOMFile(bytes: input)
        try deidentify(&file)
        return try file.encoded()
    }

    // MARK: - The walk

    /// How the elements of one data set are treated besides their table action.
    private enum Mode {
        case normal
        /// Inside a sequence whose action is D: unlisted free text, names, dates, decimals and
        /// opaque binary become dummies too; coded values (CS), UIDs, integers (IS: frame and item
        /// numbers) and binary numbers are kept, since they carry the tree's structure and
        /// identify no one.
        case dummyLeaves
        /// A DICOMDIR directory record, whose keys are Type 1 and 2: Z becomes D and X becomes Z.
        case directoryRecord
    }

    /// Applies the profile to every element of `dataSet` and, recursively, of its items.
    private func clean(_ dataSet: inout DataSet, mode: Mode, depth: Int) throws(DICOMError) {
        guard depth <= maximumNestingDepth else {
            throw DICOMError(.nestingTooDeep, "sequences nested deeper than \(maximumNestingDepth) levels")
        }
        dataSet.removeAll(where: Self.alwaysRemoved)
        var result: [DataElement] = []
        result.reserveCapacity(dataSet.count)
        for var element in dataSet.elements {
            let listed = DeidentificationAction.basicProfile(for: element.tag)
            if case .bytes(let value) = element.value, element.vr == .UN, dataSet.defaultVR(for: element.tag) == .SQ {
                // A sequence stored as UN bytes is Implicit VR Little Endian inside (PS3.5 §6.2.2);
                // one that does not parse cannot be cleaned and is dropped.
                guard let items = Self.unknownSequenceItems(value, tag: element.tag, depth: depth) else { continue }
                element = DataElement(tag: element.tag, vr: .SQ, value: .sequence(items), offset: element.offset)
            }
            let vr = Self.effectiveVR(element, in: dataSet)
            var resolved = Self.resolved(listed)
            if mode == .directoryRecord {
                resolved = resolved == .remove ? .zero : resolved == .zero ? .dummy : resolved
            }
            if mode == .dummyLeaves, listed == nil || listed == .keep, element.items == nil,
                !Self.keptInsideDummySequences.contains(vr)
            {
                resolved = .dummy
            }
            // How this element's items are treated, if it is a sequence.
            let itemMode: Mode
            if resolved == .dummy {
                itemMode = .dummyLeaves
            } else if element.tag == Self.directoryRecordSequence {
                itemMode = .directoryRecord
            } else {
                itemMode = mode == .dummyLeaves ? .dummyLeaves : .normal
            }
            switch resolved {
            case .remove:
                continue
            case .zero:
                element.value = element.items != nil ? .sequence([]) : .bytes([])
            case .dummy where element.items == nil:
                element = dummy(for: element, vr: vr)
            case .uid where element.items == nil:
                element = vr == .UI ? remappedUIDs(element) : DataElement(tag: element.tag, vr: vr, value: .bytes([]))
            case .dummy, .uid, .keep:
                if case .sequence(var items) = element.value {
                    for index in items.indices { try clean(&items[index], mode: itemMode, depth: depth + 1) }
                    element.value = .sequence(items)
                }
            }
            result.append(element)
        }
        dataSet = DataSet(result)
    }

    /// VRs an unlisted element keeps inside a D sequence (see ``Mode/dummyLeaves``).
    private static let keptInsideDummySequences: Set<VR> = [.CS, .UI, .IS, .AT, .FL, .FD, .SL, .SS, .SV, .UL, .US, .UV]
    private static let directoryRecordSequence = Tag(0x0004, 0x1220)

    /// The items of a sequence stored as UN bytes, or `nil` when they do not parse.
    private static func unknownSequenceItems(_ value: ArraySlice<UInt8>, tag: Tag, depth: Int) -> [DataSet]? {
        let parser = DataSetParser(bytes: Array(value), options: DICOMReadOptions())
        let header = DataSetParser.Header(
            tag: tag,
            vr: .UN,
            length: UInt32(clamping: value.count),
            offset: 0,
            valueStart: 0
        )
        var context = DataSetParser.Context(encoding: .implicitVRLittleEndian)
        context.depth = depth
        return try? parser.parseItems(
            from: 0,
            to: value.count,
            undefinedLength: false,
            header: header,
            context: context
        ).0
    }

    /// What is done to an element, with the combined codes resolved (see the type's comment).
    private enum Resolved { case remove, zero, dummy, uid, keep }

    private static func resolved(_ action: DeidentificationAction?) -> Resolved {
        switch action {
        case nil, .keep?: .keep
        case .remove?: .remove
        case .zero?, .removeOrZero?: .zero
        case .dummy?, .zeroOrDummy?, .removeOrDummy?, .removeOrZeroOrDummy?, .clean?: .dummy
        case .uid?, .removeOrZeroOrUID?: .uid
        }
    }

    /// Removed wherever they are, whatever the table says.
    private static func alwaysRemoved(_ tag: Tag) -> Bool {
        tag.group & 1 == 1  // private attributes and the reserved odd groups
            || tag.element == 0  // group lengths
            || tag.group == 0x0000 || tag.group == 0x0002  // command and file meta elements in a data set
            || tag.group & 0xFF00 == 0x6000  // overlays (their data is removed, so the rest is invalid)
            || tag.group & 0xFF00 == 0x5000  // curves
            || tag == Tag(0x0400, 0x0500)  // Encrypted Attributes Sequence
    }

    /// The element's VR, or the dictionary's for a value stored as UN.
    private static func effectiveVR(_ element: DataElement, in dataSet: DataSet) -> VR {
        guard element.vr == .UN else { return element.vr }
        let known = dataSet.defaultVR(for: element.tag)
        return known == .SQ ? .UN : known
    }

    /// Each UID of the value replaced through ``uidRemapper`` (multi-valued UIDs one by one).
    private func remappedUIDs(_ element: DataElement) -> DataElement {
        let values = element.strings ?? DataElement(tag: element.tag, vr: .UI, value: element.value).strings ?? []
        let mapped = values.map { uidRemapper.map($0) }
        return DataElement(tag: element.tag, vr: .UI, value: .bytes(ArraySlice(mapped.joined(separator: "\\").utf8)))
    }

    /// A non-empty value consistent with the VR that carries nothing of the original. UIDs are
    /// remapped (consistent, and still valid UIDs).
    private func dummy(for element: DataElement, vr: VR) -> DataElement {
        let text: String
        switch vr {
        case .UI:
            return remappedUIDs(element)
        case .DA: text = "19000101"
        case .TM: text = "000000"
        case .DT: text = "19000101000000"
        case .AS: text = "000Y"
        case .DS, .IS: text = "0"
        case .UR: text = "urn:oid:2.25"
        case .AE, .CS, .LO, .LT, .PN, .SH, .ST, .UC, .UT: text = "ANONYMIZED"
        case .SQ:
            return DataElement(tag: element.tag, vr: .SQ, value: .sequence([]))
        case .AT, .FD, .FL, .OB, .OD, .OF, .OL, .OV, .OW, .SL, .SS, .SV, .UL, .UN, .US, .UV:
            let size = vr == .AT ? 4 : max(2, vr.wordSize)
            return DataElement(tag: element.tag, vr: vr, value: .bytes(ArraySlice(repeating: 0, count: size)))
        }
        return DataElement(tag: element.tag, vr: vr, value: .bytes(ArraySlice(text.utf8)))
    }
}
