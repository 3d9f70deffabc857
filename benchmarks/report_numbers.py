"""The one way the report prints a number: `fmt(value, digits)`.

Every string it returns is recorded; run.py saves the record (data/numbers.json) next to the
report, and check_report.py proves that each number in REPORT.md was printed by this run.
"""

from __future__ import annotations

import json
import math
import pathlib

_EMITTED: list[str] = []


def fmt(value, digits: int = 0) -> str:
    """`value` with `digits` decimals (no thousands separator); "–" for a missing value and
    "∞" for an exact (lossless) PSNR. The result is recorded."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        raise TypeError("fmt takes numbers, not booleans")
    value = float(value)
    if math.isnan(value):
        return "–"
    if math.isinf(value):
        return "∞"
    text = f"{value:.{max(0, int(digits))}f}"
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    _EMITTED.append(text)
    return text


def emitted() -> list[str]:
    return list(_EMITTED)


def save(path: pathlib.Path) -> None:
    path.write_text(json.dumps(sorted(set(_EMITTED), key=lambda t: (float(t), t)), indent=0))
