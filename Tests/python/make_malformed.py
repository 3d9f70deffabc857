#!/usr/bin/env python3
"""Writes the hand-made malformed corpus: Tests/Fixtures/malformed/*.dcm and expected.json.

    Tests/python/make_malformed.py

Each input is a small Part 10 file (or bare data set) with exactly one defect. expected.json names,
for each file, the defect and the typed error our reader must give: code, tag ("(gggg,eeee)" or
null) and byte offset of the element's header (or of the problem). Fuzzer findings are added as
extra entries in FUZZ_FINDINGS at the bottom. The outputs are committed; re-run after editing.
Standard library only.
"""
import json
import pathlib
import struct
import zlib

OUT = pathlib.Path(__file__).resolve().parents[1] / "Fixtures" / "malformed"
LONG = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT", "SV", "UV"}
UNDEF = 0xFFFFFFFF
EXPLICIT_LE = "1.2.840.10008.1.2.1"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
DEFLATED = "1.2.840.10008.1.2.1.99"


def tag(group, element, big=False):
    return struct.pack(">HH" if big else "<HH", group, element)


def el(group, element, vr, value=b"", length=None, big=False):
    """An explicit VR element; `length` overrides the real value length."""
    size = len(value) if length is None else length
    order = ">" if big else "<"
    if vr in LONG:
        return tag(group, element, big) + vr.encode() + b"\0\0" + struct.pack(order + "I", size) + value
    return tag(group, element, big) + vr.encode() + struct.pack(order + "H", size) + value


def imp(group, element, value=b"", length=None):
    """An implicit VR element."""
    return tag(group, element) + struct.pack("<I", len(value) if length is None else length) + value


def item(content=b"", length=None):
    return tag(0xFFFE, 0xE000) + struct.pack("<I", len(content) if length is None else length) + content


ITEM_END = tag(0xFFFE, 0xE00D) + b"\0\0\0\0"
SEQ_END = tag(0xFFFE, 0xE0DD) + b"\0\0\0\0"


def ui(text):
    data = text.encode()
    return data + b"\0" if len(data) % 2 else data


def part10(transfer_syntax=EXPLICIT_LE):
    """Preamble, DICM and a valid file meta group."""
    body = (el(2, 1, "OB", b"\0\1") + el(2, 2, "UI", ui("1.2.840.10008.5.1.4.1.1.2"))
            + el(2, 3, "UI", ui("1.2.3.4")) + el(2, 0x10, "UI", ui(transfer_syntax)))
    return b"\0" * 128 + b"DICM" + el(2, 0, "UL", struct.pack("<I", len(body))) + body


PREFIX = part10()
GOOD = (el(8, 0x16, "UI", ui("1.2.840.10008.5.1.4.1.1.2")) + el(8, 0x18, "UI", ui("1.2.3.4"))
        + el(0x10, 0x10, "PN", b"Doe^John"))
GOOD_BE = (el(8, 0x16, "UI", ui("1.2.840.10008.5.1.4.1.1.2"), big=True) + el(8, 0x18, "UI", ui("1.2.3.4"), big=True))
SQ = (8, 0x1115)  # Referenced Series Sequence
CASES = []


def case(name, description, data, code, where_tag, offset):
    CASES.append((name, description, data, code, where_tag, offset))


def t(group, element):
    return f"({group:04X},{element:04X})"


def build():
    p, g = PREFIX, PREFIX + GOOD
    case("empty", "zero bytes", b"", "notDICOM", None, 0)
    case("text", "a text file", b"This is not a DICOM file, only some text.\n", "notDICOM", None, 0)
    case("meta-header-truncated", "DICM then 6 bytes of a meta element header",
         b"\0" * 128 + b"DICM" + tag(2, 0) + b"UL", "invalidFileMeta", None, 132)
    meta = b"\0" * 128 + b"DICM" + el(2, 0, "UL", struct.pack("<I", 40))
    case("meta-value-overrun", "Transfer Syntax UID claims 200 bytes",
         meta + el(2, 0x10, "UI", ui(EXPLICIT_LE), length=200), "invalidFileMeta", t(2, 0x10), len(meta))
    case("meta-bad-vr", "second meta element has VR bytes 00 01",
         meta + tag(2, 1) + b"\0\1" + b"\2\0" + b"\0\1", "invalidFileMeta", t(2, 1), len(meta))
    bad_ts = el(2, 1, "OB", b"\0\1")
    bad_meta = b"\0" * 128 + b"DICM" + el(2, 0, "UL", struct.pack("<I", len(bad_ts) + 20)) + bad_ts
    case("meta-transfer-syntax-not-uid", "Transfer Syntax UID 'EXPLICIT-LITTLE'",
         bad_meta + el(2, 0x10, "UI", b"EXPLICIT-LITTLE\0") + GOOD, "invalidFileMeta", t(2, 0x10), len(bad_meta))
    case("value-overrun", "Patient ID claims 100 bytes, the file ends after 2",
         g + el(0x10, 0x20, "LO", b"ID", length=100), "truncated", t(0x10, 0x20), len(g))
    bits = el(0x28, 0x100, "US", b"\x10\0")
    case("pixel-data-overrun", "Pixel Data claims 8192 bytes, 64 present",
         g + bits + el(0x7FE0, 0x10, "OW", b"\0" * 64, length=8192), "truncated", t(0x7FE0, 0x10), len(g + bits))
    case("us-length-3", "Rows (US) with 3 bytes", g + el(0x28, 0x10, "US", b"\0\2\0"),
         "invalidValueLength", t(0x28, 0x10), len(g))
    case("ow-odd-length", "Pixel Data (OW) with 7 bytes", g + el(0x7FE0, 0x10, "OW", b"\0" * 7),
         "invalidValueLength", t(0x7FE0, 0x10), len(g))
    case("ul-length-6", "a UL value of 6 bytes", g + el(0x0009, 0x1001, "UL", b"\0" * 6),
         "invalidValueLength", t(0x0009, 0x1001), len(g))
    case("fd-length-4", "Diffusion b-value (FD) with 4 bytes", g + el(0x18, 0x9087, "FD", b"\0" * 4),
         "invalidValueLength", t(0x18, 0x9087), len(g))
    case("at-length-2", "Frame Increment Pointer (AT) with 2 bytes", g + el(0x28, 0x9, "AT", b"\0\0"),
         "invalidValueLength", t(0x28, 0x9), len(g))
    case("ut-undefined-length", "Text Value (UT) with undefined length",
         g + el(0x40, 0xA160, "UT", b"text", length=UNDEF), "undefinedLengthNotAllowed", t(0x40, 0xA160), len(g))
    case("ob-undefined-length", "Encapsulated Document (OB) with undefined length",
         g + el(0x42, 0x11, "OB", b"%PDF", length=UNDEF), "undefinedLengthNotAllowed", t(0x42, 0x11), len(g))
    case("vr-binary", "VR bytes 01 02", g + tag(0x10, 0x20) + b"\1\2" + b"\2\0" + b"ID",
         "invalidVR", t(0x10, 0x20), len(g))
    case("vr-lowercase", "VR bytes 'lo'", g + tag(0x10, 0x20) + b"lo" + b"\2\0" + b"ID",
         "invalidVR", t(0x10, 0x20), len(g))
    case("top-level-item", "an Item tag among the data elements", g + item(b""),
         "unexpectedDelimiter", t(0xFFFE, 0xE000), len(g))
    case("top-level-sequence-delimiter", "a Sequence Delimitation Item at the top level", g + SEQ_END,
         "unexpectedDelimiter", t(0xFFFE, 0xE0DD), len(g))
    case("top-level-item-delimiter", "an Item Delimitation Item at the top level", g + ITEM_END,
         "unexpectedDelimiter", t(0xFFFE, 0xE00D), len(g))
    inner = el(8, 0x1150, "UI", ui("1.2.3"))
    case("sequence-without-items", "a defined-length sequence holding an element, not an item",
         g + el(*SQ, "SQ", inner), "invalidItem", t(*SQ), len(g) + 12)
    case("sequence-unterminated", "undefined-length sequence, file ends after its item",
         g + el(*SQ, "SQ", item(inner), length=UNDEF), "truncated", t(*SQ), len(g))
    case("item-unterminated", "undefined-length item, file ends inside it",
         g + el(*SQ, "SQ", item(inner, length=UNDEF), length=UNDEF), "truncated", t(0xFFFE, 0xE000), len(g) + 12)
    after = el(0x20, 0xD, "UI", ui("1.2.3.4.5"))
    case("item-exceeds-sequence", "an item claims 100 bytes in a 20-byte sequence",
         g + el(*SQ, "SQ", item(inner, length=100)[:20], length=20) + after,
         "lengthExceedsContainer", t(*SQ), len(g) + 12)
    case("element-exceeds-item", "an element claims 50 bytes in a 14-byte item",
         g + el(*SQ, "SQ", item(el(8, 0x1150, "UI", b"1.2.3\0", length=50)[:14] + b"", length=14)) + after,
         "lengthExceedsContainer", t(8, 0x1150), len(g) + 20)
    case("sequence-delimiter-length", "a Sequence Delimitation Item with length 4",
         g + el(*SQ, "SQ", item(inner) + tag(0xFFFE, 0xE0DD) + b"\4\0\0\0" + b"\0" * 4, length=UNDEF),
         "invalidItem", t(*SQ), len(g) + 12 + len(item(inner)))
    case("item-delimiter-length", "an Item Delimitation Item with length 2",
         g + el(*SQ, "SQ", item(inner + tag(0xFFFE, 0xE00D) + b"\2\0\0\0\0\0", length=UNDEF) + SEQ_END, length=UNDEF),
         "invalidItem", t(0xFFFE, 0xE00D), len(g) + 20 + len(inner))
    case("item-delimiter-in-defined-item", "an Item Delimitation Item inside a defined-length item",
         g + el(*SQ, "SQ", item(inner + ITEM_END)), "unexpectedDelimiter", t(0xFFFE, 0xE00D), len(g) + 20 + len(inner))
    levels = 100
    nested = b"".join(el(*SQ, "SQ", b"", length=UNDEF) + item(b"", length=UNDEF) for _ in range(levels))
    nested += b"".join(ITEM_END + SEQ_END for _ in range(levels))
    case("nesting-too-deep", "100 nested sequences (the limit is 64)", g + nested,
         "nestingTooDeep", t(*SQ), len(g) + 20 * 64)
    pixel = el(0x7FE0, 0x10, "OB", b"", length=UNDEF)
    gp = g + pixel
    case("encapsulated-not-item", "encapsulated Pixel Data starting with a data element",
         gp + inner + SEQ_END, "invalidEncapsulatedPixelData", t(0x7FE0, 0x10), len(gp))
    case("encapsulated-offset-table-6", "a Basic Offset Table of 6 bytes", gp + item(b"\0" * 6) + SEQ_END,
         "invalidEncapsulatedPixelData", t(0x7FE0, 0x10), len(gp))
    case("encapsulated-fragment-undefined", "a fragment of undefined length",
         gp + item() + item(b"\xff\x4f", length=UNDEF) + SEQ_END, "invalidEncapsulatedPixelData",
         t(0x7FE0, 0x10), len(gp) + 8)
    frag = item() + item(b"\xff\x4f\xff\x51")
    case("encapsulated-unterminated", "fragments without a Sequence Delimitation Item", gp + frag,
         "truncated", t(0x7FE0, 0x10), len(gp + frag))
    case("encapsulated-fragment-overrun", "a fragment claims 1000 bytes", gp + item() + item(b"\xff\x4f", length=1000),
         "truncated", t(0x7FE0, 0x10), len(gp) + 8)
    case("encapsulated-no-offset-table", "encapsulated Pixel Data with no items at all", gp + SEQ_END,
         "invalidEncapsulatedPixelData", t(0x7FE0, 0x10), len(g))
    case("trailing-garbage", "three bytes after the last element", g + b"abc", "trailingGarbage", None, len(g))
    case("duplicate-tag", "Patient's Name twice", g + el(0x10, 0x10, "PN", b"Roe^Jane"),
         "duplicateTag", t(0x10, 0x10), len(g))
    pd = part10(DEFLATED)
    case("deflate-garbage", "Deflated transfer syntax, data set is not a deflate stream",
         pd + b"\xff" * 32, "deflateFailed", None, len(pd))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream = compressor.compress(GOOD * 20) + compressor.flush()
    case("deflate-truncated", "Deflated transfer syntax, deflate stream cut in half",
         pd + stream[: len(stream) // 2], "truncated", None, len(pd))
    bare = imp(8, 5, b"ISO_IR 100")
    case("implicit-no-meta-overrun", "bare Implicit VR data set, Patient's Name claims 1000 bytes",
         bare + imp(0x10, 0x10, b"Doe", length=1000), "truncated", t(0x10, 0x10), len(bare))
    pb = part10(EXPLICIT_BE) + GOOD_BE
    case("big-endian-us-length-3", "Explicit VR Big Endian, Rows with 3 bytes",
         pb + el(0x28, 0x10, "US", b"\0\2\0", big=True), "invalidValueLength", t(0x28, 0x10), len(pb))
    case("long-header-truncated", "file ends 2 bytes into the 12-byte header of Pixel Data",
         g + tag(0x7FE0, 0x10) + b"OB\0\0" + b"\0\0", "truncated", t(0x7FE0, 0x10), len(g))
    case("implicit-undefined-length-junk", "bare Implicit VR data set, undefined length followed by an element",
         bare + imp(0x10, 0x10, b"", length=UNDEF) + imp(0x10, 0x20, b"ID"), "invalidItem", t(0x10, 0x10), len(bare) + 8)
    case("un-undefined-not-sequence", "UN of undefined length whose content is not an item",
         g + el(0x0009, 0x1010, "UN", b"", length=UNDEF) + imp(0x10, 0x20, b"ID") + SEQ_END,
         "invalidItem", t(0x0009, 0x1010), len(g) + 12)


# Inputs the fuzzer found (name -> (description, bytes-as-hex, code, tag, offset)); see scripts/fuzz.sh.
FUZZ_FINDINGS = {}


def main():
    build()
    for name, (description, data_hex, code, where_tag, offset) in FUZZ_FINDINGS.items():
        case(name, description, bytes.fromhex(data_hex), code, where_tag, offset)
    OUT.mkdir(parents=True, exist_ok=True)
    for stale in OUT.glob("*.dcm"):
        stale.unlink()
    expected = {}
    for name, description, data, code, where_tag, offset in CASES:
        (OUT / f"{name}.dcm").write_bytes(data)
        expected[f"{name}.dcm"] = {"description": description, "code": code, "tag": where_tag, "offset": offset}
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    print(f"{len(CASES)} malformed inputs in {OUT}")


if __name__ == "__main__":
    main()
