"""Checks a generated report: python3 benchmarks/check_report.py DIR (the run's --out).

- DIR/REPORT.md exists;
- every chart or picture it links exists and is a PNG;
- every number in its prose and tables was printed by `fmt` in this run (DIR/data/numbers.json).

Not counted as numbers: code spans and blocks (commands, versions, the commit), link targets,
dates and times of day, and the structural names "JPEG 2000", "Part 1", "Debian 12" and ".203"
(a transfer syntax's last digits). Standard library only, so CI runs it with any Python.
"""

from __future__ import annotations

import json
import pathlib
import re
import sys

PNG = b"\x89PNG\r\n\x1a\n"
NUMBER = re.compile(r"(?<![\w.\-])-?\d+(?:\.\d+)?(?![\w.]*\w)")
STRUCTURAL = [
    re.compile(r"```.*?```", re.S),  # code blocks
    re.compile(r"`[^`\n]*`"),  # code spans
    re.compile(r"\]\([^)]*\)"),  # link targets
    re.compile(r"\d{4}-\d{2}-\d{2}"),  # dates
    re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})? UTC"),  # times of day
    re.compile(r"JPEG 2000|Part 1\b|Debian 12\b|\.203\b|HTJ2K|J2K|2\^BitsStored|PS3\.\d+|W\d+"),
]


def check(folder: pathlib.Path) -> list[str]:
    problems = []
    report = folder / "REPORT.md"
    if not report.is_file():
        return [f"{report} does not exist"]
    text = report.read_text()
    for target in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text):
        path = folder / target
        if not path.is_file():
            problems.append(f"linked picture {target} does not exist")
        elif path.read_bytes()[:8] != PNG:
            problems.append(f"linked picture {target} is not a PNG")
    if not re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text):
        problems.append("the report links no chart")
    numbers_file = folder / "data" / "numbers.json"
    if not numbers_file.is_file():
        return problems + [f"{numbers_file} does not exist"]
    emitted = set(json.loads(numbers_file.read_text()))
    stripped = text
    for pattern in STRUCTURAL:
        stripped = pattern.sub(" ", stripped)
    unexplained = []
    for line_number, line in enumerate(stripped.splitlines(), 1):
        for match in NUMBER.finditer(line):
            token = match.group(0)
            if token not in emitted:
                unexplained.append(f"line {line_number}: {token!r} in {line.strip()[:100]!r}")
    if unexplained:
        problems.append(f"{len(unexplained)} number(s) not printed by fmt in this run:")
        problems += ["  " + u for u in unexplained[:40]]
    return problems


def main() -> int:
    folder = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent)
    problems = check(folder)
    for problem in problems:
        print(f"check_report: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"check_report: {folder / 'REPORT.md'} is complete and every number in it is from the run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
