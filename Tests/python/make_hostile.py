#!/usr/bin/env python3
"""Writes the hostile-image corpus: Tests/Fixtures/hostile/*.dcm and expected.json.

    Tests/python/make_hostile.py

Each input is a small Part 10 file crafted the way a hostile uploader would, against the sizes and
counts the transcoder derives from header values (issue 8): Rows/Columns in other VRs with huge
values, bits inconsistencies, a million 1x1 frames, deflate bombs, elements out of order in large
numbers, Pixel Data longer or shorter than its attributes, negative and odd values, deep nesting.
expected.json gives, for each file, what `dicom-j2k run` must report: the status (compressed,
copied or failed) and a piece of the reason or error. Transcoder fuzzer findings are added at the
bottom (FUZZ_FINDINGS). The outputs are committed (kept under 2 MB in all); re-run after editing.
Standard library only: the values are ones a DICOM library would refuse to write.
"""
import json
import pathlib
import struct
import zlib

OUT = pathlib.Path(__file__).resolve().parents[1] / "Fixtures" / "hostile"
LONG = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT", "SV", "UV"}
UNDEF = 0xFFFFFFFF
EXPLICIT_LE = "1.2.840.10008.1.2.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
DEFLATED = "1.2.840.10008.1.2.1.99"

ROWS, COLUMNS, SAMPLES, PHOTOMETRIC = (0x28, 0x10), (0x28, 0x11), (0x28, 0x02), (0x28, 0x04)
FRAMES, PLANAR = (0x28, 0x08), (0x28, 0x06)
BITS_ALLOCATED, BITS_STORED, HIGH_BIT, PIXEL_REP = (0x28, 0x100), (0x28, 0x101), (0x28, 0x102), (0x28, 0x103)
PIXEL_DATA = (0x7FE0, 0x10)


def el(tag, vr, value=b"", length=None):
    """An explicit VR little endian element; `length` overrides the real value length."""
    group, element = tag
    size = len(value) if length is None else length
    head = struct.pack("<HH", group, element) + vr.encode()
    if vr in LONG:
        return head + b"\0\0" + struct.pack("<I", size) + value
    return head + struct.pack("<H", size) + value


def imp(tag, value=b""):
    return struct.pack("<HHI", tag[0], tag[1], len(value)) + value


def text(value):
    data = value.encode("latin-1")
    return data + b" " if len(data) % 2 else data


def ui(value):
    data = value.encode()
    return data + b"\0" if len(data) % 2 else data


def us(*values):
    return ("US", struct.pack("<%dH" % len(values), *values))


def ul(value):
    return ("UL", struct.pack("<I", value))


def ss(value):
    return ("SS", struct.pack("<h", value))


def sl(value):
    return ("SL", struct.pack("<i", value))


def string(vr, value):
    return (vr, text(value))


def part10(body, transfer_syntax=EXPLICIT_LE):
    meta = (el((2, 1), "OB", b"\0\1") + el((2, 2), "UI", ui("1.2.840.10008.5.1.4.1.1.7"))
            + el((2, 3), "UI", ui("2.25.8")) + el((2, 0x10), "UI", ui(transfer_syntax)))
    return b"\0" * 128 + b"DICM" + el((2, 0), "UL", struct.pack("<I", len(meta))) + meta + body


def image(overrides=None, pixels=None, rows=16, columns=16, frames=None, bits=16, stored=12, pixel_element=True):
    """A valid 16x16 MONOCHROME2 Secondary Capture whose attributes `overrides` replaces
    ({tag: (vr, bytes)} or {tag: None} to remove), as the data set's bytes in tag order; without
    the Pixel Data element when `pixel_element` is false (the caller appends its own)."""
    attributes = {
        (0x08, 0x16): ("UI", ui("1.2.840.10008.5.1.4.1.1.7")),
        (0x08, 0x18): ("UI", ui("2.25.8")),
        (0x08, 0x60): string("CS", "OT"),
        (0x10, 0x10): string("PN", "Hostile^Input"),
        (0x20, 0x0D): ("UI", ui("2.25.9")),
        (0x20, 0x0E): ("UI", ui("2.25.10")),
        SAMPLES: us(1),
        PHOTOMETRIC: string("CS", "MONOCHROME2"),
        ROWS: us(rows),
        COLUMNS: us(columns),
        BITS_ALLOCATED: us(bits),
        BITS_STORED: us(stored),
        HIGH_BIT: us(stored - 1),
        PIXEL_REP: us(0),
    }
    if frames is not None:
        attributes[FRAMES] = string("IS", str(frames))
    for tag, value in (overrides or {}).items():
        if value is None:
            attributes.pop(tag, None)
        else:
            attributes[tag] = value
    if pixels is None:
        pixels = ramp(rows * columns * (frames or 1) * (bits // 8))
    body = b"".join(el(tag, vr, value) for tag, (vr, value) in sorted(attributes.items()))
    if not pixel_element:
        return body
    return body + el(PIXEL_DATA, "OW" if bits > 8 else "OB", pixels + (b"\0" if len(pixels) % 2 else b""))


def ramp(count):
    return bytes((index * 7) & 0x0F for index in range(count))


def deflated(body, level=9):
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return part10(compressor.compress(body) + compressor.flush(), DEFLATED)


def zeros_deflated(prefix, zero_count, suffix=b""):
    """A deflate stream of `prefix`, `zero_count` zero bytes and `suffix`, without building the
    zeros in memory all at once."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    parts = [compressor.compress(prefix)]
    chunk = b"\0" * (1 << 20)
    left = zero_count
    while left > 0:
        parts.append(compressor.compress(chunk[: min(left, len(chunk))]))
        left -= len(chunk)
    parts.append(compressor.compress(suffix))
    parts.append(compressor.flush())
    return part10(b"".join(parts), DEFLATED)


def out_of_order(count):
    """`count` zero-length private elements in descending tag order, then a small image."""
    elements = []
    for index in range(count, 0, -1):
        group = 0x0009 + 2 * (index >> 16)
        elements.append(el((group, index & 0xFFFF), "UN", b""))
    return b"".join(elements)


def nested(depth):
    """A private sequence nested `depth` levels deep (undefined lengths)."""
    opening = (struct.pack("<HH", 0x0009, 0x1010) + b"SQ\0\0" + struct.pack("<I", UNDEF)
               + struct.pack("<HHI", 0xFFFE, 0xE000, UNDEF))
    closing = struct.pack("<HHI", 0xFFFE, 0xE00D, 0) + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
    return opening * depth + closing * depth


CASES = {}


def case(name, description, data, status, reason):
    CASES[name + ".dcm"] = {"description": description, "status": status, "reason": reason, "data": data}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.dcm"):
        old.unlink()
    build()
    expected = {}
    total = 0
    for name, entry in sorted(CASES.items()):
        data = entry.pop("data")
        (OUT / name).write_bytes(data)
        expected[name] = entry
        total += len(data)
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    print(f"{len(CASES)} files, {total} bytes in {OUT}")


def build():
    copied = "copied"
    # Control: the base image compresses.
    case("control", "the valid 16x16 base image", part10(image()), "compressed", "")

    # Rows and Columns in other VRs, with values that overflow a frame-size product.
    huge = 0xFFFFFFFF
    case("rows-columns-ul-huge", "Rows and Columns as UL 4294967295 (overflowed the frame size before)",
         part10(image({ROWS: ul(huge), COLUMNS: ul(huge)})), copied, "4294967295 rows, 4294967295 columns")
    case("rows-columns-sl-huge", "Rows and Columns as SL 2147483647",
         part10(image({ROWS: sl(2**31 - 1), COLUMNS: sl(2**31 - 1)})), copied, "2147483647 rows")
    case("rows-columns-is-huge", "Rows and Columns as IS 999999999999",
         part10(image({ROWS: string("IS", "999999999999"), COLUMNS: string("IS", "999999999999")})),
         copied, "Rows 999999999999 is out of range")
    case("rows-is-overflow", "Rows as IS beyond 64 bits",
         part10(image({ROWS: string("IS", "99999999999999999999999")})), copied, "Rows 99999999999999999999999")
    case("rows-columns-ds-huge", "Rows and Columns as DS 1e300",
         part10(image({ROWS: string("DS", "1e300"), COLUMNS: string("DS", "1e300")})),
         copied, "Rows 1e300 is not one whole number")
    case("rows-ds-infinite", "Rows as DS inf", part10(image({ROWS: string("DS", "inf")})), copied,
         "Rows inf is not one whole number")
    case("rows-ds-fraction", "Rows as DS 16.5", part10(image({ROWS: string("DS", "16.5")})), copied,
         "Rows 16.5 is not one whole number")
    case("rows-ds-whole", "Rows and Columns as DS 16.0 (a whole number: read as 16)",
         part10(image({ROWS: string("DS", "16.0"), COLUMNS: string("IS", "16")})), "compressed", "")
    case("rows-ss-negative", "Rows as SS -1", part10(image({ROWS: ss(-1)})), copied, "-1 rows, 16 columns")
    case("columns-zero", "Columns 0", part10(image({COLUMNS: us(0)})), copied, "16 rows, 0 columns")
    case("rows-65536", "Rows as UL 65536, one past the largest JPEG 2000 dimension we take",
         part10(image({ROWS: ul(65536)})), copied, "65536 rows, 16 columns (at most 65535 each)")
    case("rows-two-values", "Rows with two values", part10(image({ROWS: us(16, 16)})), copied,
         "Rows 16\\16 is not one whole number")
    case("rows-escape-sequence", "Rows as IS holding a terminal escape sequence",
         part10(image({ROWS: string("IS", "1\x1b[2J\x07" + "9" * 80)})), copied,
         "Rows 1\\u{1B}[2J\\u{7}999")
    case("photometric-long-escape", "Photometric Interpretation of 300 characters with control bytes",
         part10(image({PHOTOMETRIC: string("UT", "\x1b]0;pwned\x07" + "X" * 300)})), copied,
         "Photometric Interpretation \\u{1B}]0;pwned\\u{7}XXX")

    # Bits.
    case("bits-stored-above-allocated", "Bits Stored 17 with Bits Allocated 16",
         part10(image({BITS_STORED: us(17), HIGH_BIT: us(16)})), copied, "Bits Stored 17 with Bits Allocated 16")
    case("bits-stored-zero", "Bits Stored 0", part10(image({BITS_STORED: us(0)})), copied,
         "Bits Stored 0 with Bits Allocated 16")
    case("high-bit-mismatch", "High Bit 15 with Bits Stored 12", part10(image({HIGH_BIT: us(15)})), copied,
         "High Bit 15 with Bits Stored 12")
    case("bits-allocated-ul-huge", "Bits Allocated as UL 4294967295",
         part10(image({BITS_ALLOCATED: ul(huge)})), copied, "Bits Allocated 4294967295")
    case("bits-allocated-negative", "Bits Allocated as SS -16", part10(image({BITS_ALLOCATED: ss(-16)})),
         copied, "Bits Allocated -16")
    case("high-bit-negative", "High Bit as SL -2147483648", part10(image({HIGH_BIT: sl(-(2**31))})), copied,
         "High Bit -2147483648 with Bits Stored 12")
    case("samples-ul-huge", "Samples per Pixel as UL 65536", part10(image({SAMPLES: ul(65536)})), copied,
         "65536 samples per pixel")
    case("pixel-representation-two", "Pixel Representation 2", part10(image({PIXEL_REP: us(2)})), copied,
         "Pixel Representation 2")
    rgb = {SAMPLES: us(3), PHOTOMETRIC: string("CS", "RGB"), BITS_ALLOCATED: us(8), BITS_STORED: us(8),
           HIGH_BIT: us(7)}
    case("planar-negative", "RGB with Planar Configuration SS -1",
         part10(image({**rgb, PLANAR: ss(-1)}, pixels=ramp(16 * 16 * 3), bits=8, stored=8)), copied,
         "Planar Configuration -1")

    # Frames.
    case("frames-1m-deflated", "1,048,576 frames of 1x1 in a 1 KB Deflated file (a tiny-frame bomb)",
         zeros_deflated(image(rows=1, columns=1, bits=8, stored=8, frames=1 << 20, pixel_element=False)
                        + el(PIXEL_DATA, "OB", b"", length=1 << 20), 1 << 20),
         copied, "Number of Frames 1048576 is more than the limit of 10000")
    case("frames-200k", "200,000 frames of 1x1, uncompressed",
         part10(image(rows=1, columns=1, bits=8, stored=8, frames=200_000, pixels=b"\1" * 200_000)), copied,
         "Number of Frames 200000 is more than the limit of 10000")
    case("frames-10000", "10,000 frames of 1x1: at the limit, compressed",
         part10(image(rows=1, columns=1, bits=8, stored=8, frames=10_000, pixels=ramp(10_000))), "compressed", "")
    case("frames-int32-max", "Number of Frames 2147483647 over one frame of pixel data",
         part10(image({FRAMES: string("IS", "2147483647")})), "failed", "truncatedPixelData")
    case("frames-overflow", "65535x65535 frames, Number of Frames 4294967295: the product overflows 64 bits",
         part10(image({ROWS: us(65535), COLUMNS: us(65535), FRAMES: ul(huge)})), "failed", "truncatedPixelData")
    case("frames-negative", "Number of Frames -5", part10(image({FRAMES: string("IS", "-5")})), copied,
         "Number of Frames -5")
    case("frames-zero", "Number of Frames 0", part10(image({FRAMES: string("IS", "0")})), copied,
         "Number of Frames 0")
    case("frames-fraction", "Number of Frames 1.5", part10(image({FRAMES: string("IS", "1.5")})), copied,
         "Number of Frames 1.5 is not one whole number")

    # Pixel Data length.
    frame = ramp(16 * 16 * 2)
    case("pixel-data-extra-frame", "Pixel Data holds two frames, Number of Frames says one",
         part10(image(pixels=frame + frame)), copied, "Pixel Data longer than its attributes say: 1024 bytes")
    case("pixel-data-extra-bytes", "Pixel Data with 6 non-zero bytes after the frame",
         part10(image(pixels=frame + b"\1\2\3\4\5\6")), copied, "Pixel Data longer than its attributes say: 518")
    case("pixel-data-zero-padding", "Pixel Data with 64 zero bytes after the frame (writer padding)",
         part10(image(pixels=frame + b"\0" * 64)), "compressed", "")
    case("pixel-data-short", "Pixel Data two bytes short", part10(image(pixels=frame[:-2])), "failed",
         "truncatedPixelData")
    case("pixel-data-empty", "Pixel Data empty", part10(image(pixels=b"")), "failed", "truncatedPixelData")
    case("pixel-data-length-overrun", "Pixel Data length 0xFFFFFFF0, past the end of the file",
         part10(image(pixel_element=False) + el(PIXEL_DATA, "OW", frame, length=0xFFFFFFF0)), "failed",
         "truncatedPixelData")
    case("pixel-data-odd-1x1", "A 1x1 8-bit image: one byte and its pad byte",
         part10(image(rows=1, columns=1, bits=8, stored=8, pixels=b"\7")), "compressed", "")

    # Deflate.
    case("deflate-bomb", "Deflated data set of 300 MiB of zeros in 0.3 MB (the limit is 256 MiB)",
         zeros_deflated(image(pixel_element=False) + el(PIXEL_DATA, "OW", b"", length=300 << 20), 300 << 20),
         "failed", "inflatedSizeLimitExceeded")
    case("deflated-image", "a valid Deflated image", deflated(image()), "compressed", "")
    case("deflate-garbage", "Deflated transfer syntax, the data set is not deflate",
         part10(b"\xff" * 64, DEFLATED), "failed", "deflateFailed")

    # Element order and nesting.
    case("out-of-order-200k", "200,000 zero-length private elements in descending order, Deflated",
         deflated(out_of_order(200_000) + image()), "compressed", "")
    case("duplicate-out-of-order", "Patient's Name twice, apart, elements out of order",
         part10(el((0x10, 0x20), "LO", text("ID")) + image() + el((0x10, 0x10), "PN", text("Again"))),
         "failed", "duplicateTag")
    case("nesting-64", "sequences nested 64 levels deep (the limit)",
         part10(nested(64) + image()), "compressed", "")
    case("nesting-65", "sequences nested 65 levels deep", part10(nested(65) + image()), "failed",
         "nestingTooDeep")
    case("nesting-10000", "sequences nested 10,000 levels deep", deflated(nested(10_000) + image()), "failed",
         "nestingTooDeep")

    # Other VRs: the data set in Implicit VR, where Rows gets its VR from the dictionary.
    implicit = b"".join(imp(tag, value) for tag, value in sorted({
        (0x08, 0x16): ui("1.2.840.10008.5.1.4.1.1.7"), (0x08, 0x18): ui("2.25.8"), SAMPLES: struct.pack("<H", 1),
        PHOTOMETRIC: text("MONOCHROME2"), ROWS: struct.pack("<I", huge), COLUMNS: struct.pack("<H", 16),
        BITS_ALLOCATED: struct.pack("<H", 16), BITS_STORED: struct.pack("<H", 12), HIGH_BIT: struct.pack("<H", 11),
        PIXEL_REP: struct.pack("<H", 0)}.items())) + imp(PIXEL_DATA, frame)
    case("implicit-rows-four-bytes", "Implicit VR, Rows with a 4-byte value (read as two US values)",
         part10(implicit, IMPLICIT_LE), copied, "Rows 65535\\65535 is not one whole number")

    for name, (description, data, status, reason) in FUZZ_FINDINGS.items():
        case(name, description, data, status, reason)


# Transcoder fuzzer findings (scripts/fuzz.sh transcoder), each reduced to a file: name ->
# (description, bytes, status, reason).
FUZZ_FINDINGS = {}

if __name__ == "__main__":
    main()
