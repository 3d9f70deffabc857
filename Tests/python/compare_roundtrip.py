#!/usr/bin/env python3
"""Checks files re-written by our DICOM writer against their originals, both read by pydicom.

    compare_roundtrip.py MANIFEST.json

MANIFEST is a JSON list of {"original": path, "rewritten": path, "force": bool}; `force` reads an
original that has no file meta. The rewritten file must read without force. Prints a JSON list of
{"original", "ok", "problems"}: the same elements (group lengths aside, which the writer drops),
the same VRs (an ambiguous dictionary VR such as "US or SS" matches its resolution, UN matches
anything for private tags whose VR only pydicom's private dictionary knows) and the same values,
pixel data included (decoded pixels for native data, identical fragments for encapsulated data).
Our output is always little endian, so big-endian originals' OW/OF/OL/OD/OV bytes are swapped
before comparing. An odd-length original value may gain one padding byte.
"""
import json
import sys
import warnings

import numpy
import pydicom
from pydicom.tag import Tag

warnings.simplefilter("ignore")
SWAP = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}
PIXEL_DATA = Tag(0x7FE0, 0x0010)


def swapped(data: bytes, unit: int) -> bytes:
    usable = len(data) - len(data) % unit
    array = numpy.frombuffer(data[:usable], dtype=f">u{unit}").astype(f"<u{unit}")
    return array.tobytes() + data[usable:]


def vr_matches(tag, original_vr: str, our_vr: str) -> bool:
    if original_vr == our_vr:
        return True
    if " or " in original_vr and our_vr in original_vr.split(" or "):
        return True
    if tag.is_private and our_vr == "UN":
        return True
    return original_vr == "UN" and our_vr == "SQ"  # UN of undefined length is a sequence


def bytes_match(original: bytes, ours: bytes) -> bool:
    if original == ours:
        return True
    return len(original) % 2 == 1 and ours[:-1] == original and len(ours) == len(original) + 1


def compare_values(tag, a, b, original_vr, little_endian, where, problems):
    va, vb = a.value, b.value
    if isinstance(va, bytes) and isinstance(vb, bytes):
        if not little_endian and original_vr in SWAP:
            va = swapped(va, SWAP[original_vr])
        if not bytes_match(va, vb):
            problems.append(f"{where}: bytes differ ({len(va)} vs {len(vb)} bytes)")
    elif va != vb:
        problems.append(f"{where}: {va!r} != {vb!r}")


def compare_pixels(a_ds, b_ds, a_elem, b_elem, little_endian, where, problems):
    if a_elem.is_undefined_length or b_elem.is_undefined_length:
        if a_elem.value != b_elem.value:
            problems.append(f"{where}: encapsulated pixel data differs")
        return
    try:
        pa, pb = a_ds.pixel_array, b_ds.pixel_array
    except Exception as error:  # noqa: BLE001 - fall back to the raw bytes
        raw = a_elem.value if little_endian else swapped(a_elem.value, 2 if a_elem.VR == "OW" else 1)
        if not bytes_match(raw, b_elem.value):
            problems.append(f"{where}: pixel bytes differ (pixel_array failed: {error})")
        return
    if pa.shape != pb.shape or not numpy.array_equal(pa, pb):
        problems.append(f"{where}: decoded pixels differ")


def compare(a, b, little_endian, where, problems):
    tags_a = {t for t in a.keys() if t.element != 0}
    tags_b = {t for t in b.keys() if t.element != 0}
    for tag in sorted(tags_a - tags_b):
        problems.append(f"{where}{tag}: missing in rewritten file")
    for tag in sorted(tags_b - tags_a):
        problems.append(f"{where}{tag}: extra in rewritten file")
    for tag in sorted(tags_a & tags_b):
        ea, eb = a[tag], b[tag]
        here = f"{where}{tag}"
        if not vr_matches(tag, ea.VR, eb.VR):
            problems.append(f"{here}: VR {ea.VR} became {eb.VR}")
            continue
        if eb.VR == "SQ" and ea.VR in ("SQ", "UN"):
            items_a = ea.value if ea.VR == "SQ" else []
            if len(items_a) != len(eb.value):
                problems.append(f"{here}: {len(items_a)} items became {len(eb.value)}")
                continue
            for index, (ia, ib) in enumerate(zip(items_a, eb.value)):
                compare(ia, ib, little_endian, f"{here}[{index}]", problems)
        elif tag == PIXEL_DATA and not where:
            compare_pixels(a, b, ea, eb, little_endian, here, problems)
        else:
            compare_values(tag, ea, eb, ea.VR, little_endian, here, problems)


def check(entry):
    problems = []
    original = pydicom.dcmread(entry["original"], force=entry.get("force", False))
    rewritten = pydicom.dcmread(entry["rewritten"])
    source_ts = original.file_meta.get("TransferSyntaxUID")
    little = original.original_encoding[1]
    expected_ts = source_ts if source_ts and source_ts.is_compressed else "1.2.840.10008.1.2.1"
    if rewritten.file_meta.TransferSyntaxUID != expected_ts:
        problems.append(f"transfer syntax {rewritten.file_meta.TransferSyntaxUID}, expected {expected_ts}")
    compare(original, rewritten, little, "", problems)
    return {"original": entry["original"], "ok": not problems, "problems": problems[:20]}


def main():
    with open(sys.argv[1]) as handle:
        manifest = json.load(handle)
    results = []
    for entry in manifest:
        try:
            results.append(check(entry))
        except Exception as error:  # noqa: BLE001 - report, do not stop the other files
            results.append({"original": entry["original"], "ok": False, "problems": [f"pydicom failed: {error!r}"]})
    json.dump(results, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
