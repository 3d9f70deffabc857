"""Reads a ZIP archive with Python's zipfile and compares it with a manifest of expected entries.

usage: zip_check.py ARCHIVE MANIFEST_JSON

MANIFEST_JSON is a list of {"name": ..., "hex": ...} (content as hex) or {"name": ..., "size": N}
(content read through, which checks its CRC, and its size compared). Entries must appear in the
manifest's order. Prints one JSON object:
entries, mismatches (first ten; including local headers and data descriptors that disagree with
the central directory), whether ZIP64 end records exist, how many entries carry a ZIP64 extra field
in the central directory, the largest local header offset, the set of general-purpose flags, and the
first entry's date_time.
"""
import json
import struct
import sys
import zipfile


def main() -> None:
    archive, manifest_path = sys.argv[1], sys.argv[2]
    with open(manifest_path) as f:
        manifest = json.load(f)
    mismatches = []
    with zipfile.ZipFile(archive) as z:
        infos = z.infolist()
        if len(infos) != len(manifest):
            mismatches.append(f"{len(infos)} entries, expected {len(manifest)}")
        for info, expected in zip(infos, manifest):
            if info.filename != expected["name"]:
                mismatches.append(f"name {info.filename!r}, expected {expected['name']!r}")
                continue
            if info.compress_type != zipfile.ZIP_STORED:
                mismatches.append(f"{info.filename}: method {info.compress_type}")
            if "hex" in expected:
                content = z.read(info)  # checks the CRC too
                if content != bytes.fromhex(expected["hex"]):
                    mismatches.append(f"{info.filename}: content differs")
            else:
                if info.file_size != expected["size"]:
                    mismatches.append(f"{info.filename}: size {info.file_size}, expected {expected['size']}")
                with z.open(info) as entry:  # checks the CRC at the end
                    while entry.read(1 << 22):
                        pass
        with open(archive, "rb") as raw:
            for info in infos:
                problem = check_local_records(raw, info)
                if problem:
                    mismatches.append(f"{info.filename}: {problem}")
        first_date = list(infos[0].date_time) if infos else None
        zip64_extras = sum(1 for info in infos if has_zip64_extra(info.extra))
        max_offset = max((info.header_offset for info in infos), default=0)
        flags = sorted({info.flag_bits for info in infos})
    with open(archive, "rb") as f:
        f.seek(0, 2)
        size = f.tell()
        f.seek(max(0, size - 22 - 20))
        tail = f.read()
    print(json.dumps({
        "entries": len(infos),
        "mismatches": mismatches[:10],
        "zip64_end_records": tail[:4] == b"PK\x06\x07",
        "zip64_extra_entries": zip64_extras,
        "max_header_offset": max_offset,
        "flags": flags,
        "first_date_time": first_date,
    }))


def check_local_records(raw, info) -> str:
    """Compares the local header (and the data descriptor, when bit 3 is set) with the central record."""
    raw.seek(info.header_offset)
    header = raw.read(30)
    signature, _, flags, _, _, _, crc, csize, usize, name_length, extra_length = struct.unpack("<IHHHHHIIIHH", header)
    if signature != 0x04034B50:
        return "no local header signature"
    raw.seek(name_length, 1)
    extra = raw.read(extra_length)
    zip64 = zip64_values(extra)
    if flags != info.flag_bits:
        return f"local flags {flags:#x}, central {info.flag_bits:#x}"
    if flags & 0x08:
        if crc != 0 or (zip64 is None and (csize, usize) != (0, 0)):
            return "local header of a data-descriptor entry has a CRC or sizes"
        raw.seek(info.header_offset + 30 + name_length + extra_length + info.compress_size)
        if zip64 is not None:
            signature, crc, csize, usize = struct.unpack("<IIQQ", raw.read(24))
        else:
            signature, crc, csize, usize = struct.unpack("<IIII", raw.read(16))
        if signature != 0x08074B50:
            return "no data descriptor signature"
    elif zip64 is not None and (csize, usize) == (0xFFFFFFFF, 0xFFFFFFFF):
        usize, csize = zip64[0], zip64[1]
    if (crc, csize, usize) != (info.CRC, info.compress_size, info.file_size):
        return f"local CRC/sizes {crc:#x}/{csize}/{usize}, central {info.CRC:#x}/{info.compress_size}/{info.file_size}"
    return ""


def zip64_values(extra: bytes):
    index = 0
    while index + 4 <= len(extra):
        tag, length = struct.unpack("<HH", extra[index:index + 4])
        if tag == 1:
            return struct.unpack(f"<{length // 8}Q", extra[index + 4:index + 4 + length // 8 * 8])
        index += 4 + length
    return None


def has_zip64_extra(extra: bytes) -> bool:
    index = 0
    while index + 4 <= len(extra):
        tag, length = struct.unpack("<HH", extra[index:index + 4])
        if tag == 1:
            return True
        index += 4 + length
    return False


if __name__ == "__main__":
    main()
