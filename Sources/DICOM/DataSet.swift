/// An ordered collection of data elements, at most one per tag, kept in ascending tag order (the
/// order the writer needs). Nested sequences hold further data sets as items.
///
/// Typed getters and setters are in `DataSet+Values.swift`, pixel data in `PixelData.swift`.
public struct DataSet: Sendable, Equatable, Sequence {
    /// The elements in ascending tag order.
    public private(set) var elements: [DataElement] = []

    public init() {}

    /// A data set of `elements`; a later element replaces an earlier one with the same tag.
    public init(_ elements: some Sequence<DataElement>) {
        // Sorting once keeps this linear-logarithmic for elements in any order; the stable sort
        // keeps the later of two equal tags last, which is the one kept.
        let sorted = Array(elements).enumerated().sorted { ($0.element.tag, $0.offset) < ($1.element.tag, $1.offset) }
        self.elements.reserveCapacity(sorted.count)
        for (_, element) in sorted {
            if let last = self.elements.last, last.tag == element.tag {
                self.elements[self.elements.count - 1] = element
            } else {
                self.elements.append(element)
            }
        }
    }

    /// The parser's elements in file order: sorted here when they were not (once, so a file of
    /// elements in descending order costs n log n, not n²).
    /// - Throws: ``DICOMError/Code/duplicateTag`` at the later of two elements with one tag.
    init(parsed elements: [DataElement], sorted: Bool) throws(DICOMError) {
        guard !sorted else {
            self.elements = elements
            return
        }
        // A stable order: of two equal tags, the one read later comes second and is reported.
        let ordered = elements.indices.sorted { (elements[$0].tag, $0) < (elements[$1].tag, $1) }.map { elements[$0] }
        for index in ordered.indices.dropFirst() where ordered[index].tag == ordered[index - 1].tag {
            throw Self.duplicate(ordered[index].tag, offset: ordered[index].offset)
        }
        self.elements = ordered
    }

    static func duplicate(_ tag: Tag, offset: Int?) -> DICOMError {
        DICOMError(.duplicateTag, "the tag occurs twice in one data set", tag: tag, offset: offset)
    }

    public var count: Int { elements.count }
    public var isEmpty: Bool { elements.isEmpty }
    public var tags: [Tag] { elements.map(\.tag) }

    public func makeIterator() -> IndexingIterator<[DataElement]> { elements.makeIterator() }

    public func contains(_ tag: Tag) -> Bool { index(of: tag).found }

    /// The element with `tag`. Setting `nil` removes it; setting an element with another tag
    /// stores it under its own tag.
    public subscript(tag: Tag) -> DataElement? {
        get {
            let (index, found) = index(of: tag)
            return found ? elements[index] : nil
        }
        set {
            guard let newValue else {
                remove(tag)
                return
            }
            if newValue.tag != tag { remove(tag) }
            insert(newValue)
        }
    }

    /// Adds `element`, replacing an element with the same tag.
    public mutating func insert(_ element: DataElement) {
        // Elements read from a file arrive in ascending order: appending is the common path.
        if let last = elements.last, last.tag < element.tag {
            elements.append(element)
            return
        }
        let (index, found) = index(of: element.tag)
        if found {
            elements[index] = element
        } else {
            elements.insert(element, at: index)
        }
    }

    /// Removes and returns the element with `tag`, if any.
    @discardableResult
    public mutating func remove(_ tag: Tag) -> DataElement? {
        let (index, found) = index(of: tag)
        guard found else { return nil }
        return elements.remove(at: index)
    }

    /// Removes every element whose tag matches `predicate` (for example all private tags).
    public mutating func removeAll(where predicate: (Tag) -> Bool) {
        elements.removeAll { predicate($0.tag) }
    }

    /// Binary search: the index of `tag`, or where it would be inserted.
    private func index(of tag: Tag) -> (index: Int, found: Bool) {
        var low = 0
        var high = elements.count
        while low < high {
            let middle = (low + high) / 2
            let candidate = elements[middle].tag
            if candidate == tag { return (middle, true) }
            if candidate < tag { low = middle + 1 } else { high = middle }
        }
        return (low, false)
    }
}
