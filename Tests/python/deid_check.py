#!/usr/bin/env python3
"""Checks de-identified DICOM files with pydicom, independently of our reader.

    deid_check.py TABLE MANIFEST.json

TABLE is Sources/DICOM/Generated/BasicProfile+Table.swift (PS3.15 Table E.1-1, Basic Profile
column: which attributes the profile does not keep). MANIFEST is a JSON list of
{"name", "original", "output", "kind"}, all outputs of one job; kind is "lossless" (transcoded,
same pixels), "lossy" (transcoded, new SOP Instance UID) or "copy" (pixel data untouched).

For every entry pydicom reads the original and walks every element at every depth (file meta
included) to collect the identifying values: every value of every attribute the table lists (inside
listed sequences, every value they hold), of every private (odd group), curve (50xx) and overlay
(60xx) attribute, and every UID of a U attribute. UIDs the table does not list (SOP Class, coding
scheme, transfer syntax UIDs) identify no one and count as kept, as do coded (CS) and integer (IS)
values the table does not list inside listed sequences (a content tree's Value Types and frame
numbers). Then it walks the output and reports, as violations:
  - a private, curve or overlay element anywhere;
  - an output value (any element, any depth) equal to an identifying value, or containing one of
    at least 6 characters; a UID equal to an original replaced UID;
  - an identifying value of at least 6 characters (UIDs included) anywhere in the raw output bytes;
  - missing or wrong Patient Identity Removed, De-identification Method, its Code Sequence
    (DCM 113100), Longitudinal Temporal Information Modified; Media Storage SOP Instance UID not
    equal to SOP Instance UID; a non-zero preamble.
Values that the original also holds in an attribute the profile keeps (a manufacturer's name that
is also a station name, say; or, for values of 6 characters or more, part of a kept value) are not
identifying by the profile's rules; they are counted as `kept_coincidences`, not violations.

Across the job: the original -> new pairs of Study, Series, Frame of Reference and (not lossy) SOP
Instance UIDs and of Referenced SOP Instance UIDs in Referenced Image / Source Image / Referenced
Series sequences must form a one-to-one mapping (same original, same new UID; different originals,
different new UIDs); a reference to another entry's SOP Instance UID must point at that entry's new
SOP Instance UID (when it is not lossy).

Pixels: lossless outputs decode (pydicom + pylibjpeg-openjpeg) to the original's pixels; copies
keep native pixel data equal, or encapsulated fragments byte for byte.

Prints one JSON object: {"entries": [{name, violations, identifying, kept_coincidences, pixels}],
"job_violations": [...], "uid_pairs": N}.
"""
import json
import re
import sys
import warnings

import numpy as np
import pydicom
from pydicom.encaps import generate_fragments
from pydicom.sequence import Sequence

warnings.simplefilter("ignore")

STRING_VRS = {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI", "UR", "UT"}
DUMMIES = {"ANONYMIZED", "19000101", "000000", "19000101000000", "000Y", "0", "urn:oid:2.25", "", "YES", "REMOVED"}
REFERENCE_SEQUENCES = {0x00081140, 0x00082112, 0x00081115, 0x0008114A}
# Attributes the de-identifier or the transcoder write themselves (their constant values, such as
# "DCM" or "01", may equal a short original value by chance); the raw-bytes search still covers them.
ADDED = {0x00120062, 0x00120063, 0x00120064, 0x00280303, 0x00282110, 0x00282112, 0x00282114, 0x00080008,
         0x00082111, 0x00089215, 0x0040A170}
MIN_SEARCH = 6


def load_table(path):
    exact, masked = {}, []
    for line in open(path, encoding="utf-8"):
        match = re.match(r"^([0-9A-Fx]{8}) (\S+)", line)
        if not match:
            continue
        pattern, code = match.groups()
        value = int(pattern.replace("x", "0"), 16)
        if "x" in pattern:
            mask = int("".join("0" if c == "x" else "F" for c in pattern), 16)
            masked.append((value, mask, code))
        else:
            exact[value] = code
    return exact, masked


def action(table, tag):
    exact, masked = table
    tag = int(tag)
    if tag in exact:
        return exact[tag]
    for value, mask, code in masked:
        if tag & mask == value:
            return code
    return None


def strings_of(element):
    """The element's values as stripped strings (string VRs, and UN/OB bytes that look like text)."""
    value = element.value
    if value is None:
        return []
    if element.VR in STRING_VRS:
        if isinstance(value, (list, tuple, pydicom.multival.MultiValue)):
            values = value
        else:
            values = [value]
        return [str(v).strip("\x00 ") for v in values if str(v).strip("\x00 ")]
    if element.VR in ("UN", "OB") and isinstance(value, bytes) and len(value) < 1024:
        try:
            text = value.decode("ascii").strip("\x00 ")
        except UnicodeDecodeError:
            return []
        if text.isprintable():
            return [v.strip("\x00 ") for v in text.split("\\") if v.strip("\x00 ")]
    return []


def walk(dataset, depth=0):
    """(element, inside, depth) for every element; `inside` is the chain of enclosing tags."""
    stack = [(dataset, ())]
    while stack:
        current, inside = stack.pop()
        for element in current:
            yield element, inside
            if element.VR == "SQ" and isinstance(element.value, Sequence):
                for item in element.value:
                    stack.append((item, inside + (int(element.tag),)))


def is_special_group(tag):
    group = tag >> 16
    return group & 1 == 1 or group & 0xFF00 in (0x5000, 0x6000)


def identifying(dataset, table):
    """(identifying strings, original replaced UIDs, strings of kept attributes)."""
    found, uids, kept = set(), set(), set()
    for element, inside in walk(dataset):
        tag = int(element.tag)
        if element.VR == "SQ":
            continue
        enclosing = [action(table, t) for t in inside]
        in_removed_sequence = any(code not in (None, "K", "U", "X/Z/U*") or is_special_group(t)
                                  for code, t in zip(enclosing, inside))
        code = action(table, tag)
        values = strings_of(element)
        if code in ("U", "X/Z/U*") and element.VR in ("UI", "UN"):
            uids.update(values)
            found.update(values)
        elif element.VR == "UI" and code is None and not is_special_group(tag):
            # Class, coding scheme and transfer syntax UIDs identify no one; instance UIDs are the
            # table's U attributes, handled above.
            kept.update(values)
        elif element.VR in ("CS", "IS") and code is None and in_removed_sequence and not is_special_group(tag):
            # Coded values and integers (frame, item numbers) in a dummied sequence are its structure
            # (Value Type TEXT, Relationship Type CONTAINS), not identifying text.
            kept.update(values)
        elif code not in (None, "K") or is_special_group(tag) or in_removed_sequence:
            found.update(values)
        elif (tag >> 16) != 0x0002:
            kept.update(values)
    return found, uids, kept


def check_entry(entry, table):
    result = {"name": entry["name"], "violations": [], "identifying": 0, "kept_coincidences": 0, "pixels": None}
    violations = result["violations"]
    original = pydicom.dcmread(entry["original"], force=True)
    found, uids, kept = identifying(original, table)
    meta_uid = original.file_meta.get("MediaStorageSOPInstanceUID") if hasattr(original, "file_meta") else None
    if meta_uid:
        uids.add(str(meta_uid).strip("\x00 "))
        found.add(str(meta_uid).strip("\x00 "))
    coincidences = {v for v in found if v not in uids and (v in kept or (len(v) >= MIN_SEARCH and any(v in k for k in kept)))}
    found -= coincidences
    found -= DUMMIES
    result["identifying"] = len(found)
    result["kept_coincidences"] = len(coincidences)
    long_values = [v for v in found if len(v) >= MIN_SEARCH]

    raw = open(entry["output"], "rb").read()
    output = pydicom.dcmread(entry["output"])
    if raw[:128] != bytes(128):
        violations.append("preamble not zero")
    for element, inside in walk(output.file_meta):
        for value in strings_of(element):
            if value in uids:
                violations.append(f"file meta {element.tag}: original UID {value}")
    for element, inside in walk(output):
        tag = int(element.tag)
        where = "/".join(f"{t:08X}" for t in inside + (tag,))
        if is_special_group(tag):
            violations.append(f"{where}: private, curve or overlay element")
        for value in strings_of(element):
            if value in found and not ADDED.intersection(inside + (tag,)):
                violations.append(f"{where}: original identifying value {value!r}")
            elif value not in kept:
                for original_value in long_values:
                    if original_value in value:
                        violations.append(f"{where}: contains original value {original_value!r}")
                        break
    for value in long_values:
        encoded = value.encode("utf-8", "replace")
        if encoded in raw:
            violations.append(f"raw bytes contain original value {value!r}")

    if output.get("PatientIdentityRemoved") != "YES":
        violations.append("Patient Identity Removed is not YES")
    if not output.get("DeidentificationMethod"):
        violations.append("no De-identification Method")
    codes = [(item.get("CodeValue"), item.get("CodingSchemeDesignator"))
             for item in output.get("DeidentificationMethodCodeSequence", [])]
    if ("113100", "DCM") not in codes:
        violations.append(f"De-identification Method Code Sequence lacks (DCM, 113100): {codes}")
    if output.get("LongitudinalTemporalInformationModified") != "REMOVED":
        violations.append("Longitudinal Temporal Information Modified is not REMOVED")
    sop = str(output.get("SOPInstanceUID", "")).strip("\x00 ")
    if sop and str(output.file_meta.get("MediaStorageSOPInstanceUID", "")) != sop:
        violations.append("Media Storage SOP Instance UID differs from SOP Instance UID")
    result["pixels"] = check_pixels(entry, original, output)
    return result, original, output


def check_pixels(entry, original, output):
    if "PixelData" not in original:
        return "no pixel data"
    if "PixelData" not in output:
        return "MISSING"
    kind = entry["kind"]
    syntax = getattr(getattr(original, "file_meta", None), "TransferSyntaxUID", None)
    compressed = bool(syntax and syntax.is_compressed)
    if kind == "lossless" or (kind == "copy" and not compressed):
        try:
            before = original.pixel_array
        except Exception:  # noqa: BLE001 (pydicom cannot decode the original: compare the bytes)
            if kind == "copy" and original.PixelData == output.PixelData:
                return "equal bytes"
            return "original undecodable, bytes DIFFERENT"
        try:
            after = output.pixel_array
        except Exception as error:  # noqa: BLE001 (any decoder failure is a result to report)
            return f"undecodable: {type(error).__name__}"
        return "equal" if np.array_equal(np.asarray(before), np.asarray(after)) else "DIFFERENT"
    if kind == "copy":
        before = [bytes(f).rstrip(b"\x00") for f in generate_fragments(original.PixelData)]
        after = [bytes(f).rstrip(b"\x00") for f in generate_fragments(output.PixelData)]
        return "equal fragments" if before == after else "DIFFERENT fragments"
    try:
        output.pixel_array
    except Exception as error:  # noqa: BLE001
        return f"undecodable: {type(error).__name__}"
    return "decodes"


def uid(dataset, keyword):
    value = dataset.get(keyword)
    return str(value).strip("\x00 ") if value else None


def reference_pairs(original, output):
    """(original, new) Referenced SOP Instance UIDs, item by item, in the reference sequences."""
    pairs = []
    for tag in REFERENCE_SEQUENCES:
        if tag not in original or tag not in output:
            continue
        before, after = original[tag].value, output[tag].value
        for old_item, new_item in zip(before, after):
            old, new = uid(old_item, "ReferencedSOPInstanceUID"), uid(new_item, "ReferencedSOPInstanceUID")
            if old and new:
                pairs.append((old, new, "reference"))
    return pairs


def main():
    table = load_table(sys.argv[1])
    entries = json.load(open(sys.argv[2]))
    results, pairs, instances, job_violations = [], [], {}, []
    for entry in entries:
        try:
            result, original, output = check_entry(entry, table)
        except Exception as error:  # noqa: BLE001
            results.append({"name": entry["name"], "violations": [f"check failed: {type(error).__name__}: {error}"],
                            "identifying": 0, "kept_coincidences": 0, "pixels": None})
            continue
        results.append(result)
        keywords = ["StudyInstanceUID", "SeriesInstanceUID", "FrameOfReferenceUID"]
        if entry["kind"] != "lossy":
            keywords.append("SOPInstanceUID")
        for keyword in keywords:
            old, new = uid(original, keyword), uid(output, keyword)
            if old and new:
                pairs.append((old, new, keyword))
        for old, new, label in reference_pairs(original, output):
            pairs.append((old, new, label))
        if entry["kind"] != "lossy" and uid(original, "SOPInstanceUID"):
            instances[uid(original, "SOPInstanceUID")] = uid(output, "SOPInstanceUID")
    forward, backward = {}, {}
    for old, new, label in pairs:
        if old == new:
            job_violations.append(f"{label}: UID {old} not replaced")
        if forward.setdefault(old, new) != new:
            job_violations.append(f"{label}: {old} became both {forward[old]} and {new}")
        if backward.setdefault(new, old) != old:
            job_violations.append(f"{label}: {backward[new]} and {old} both became {new}")
    for old, new, label in pairs:
        if label == "reference" and old in instances and instances[old] != new:
            job_violations.append(f"reference to {old} is {new}, not the instance's new UID {instances[old]}")
    print(json.dumps({"entries": results, "job_violations": job_violations, "uid_pairs": len(pairs)}))


if __name__ == "__main__":
    main()
