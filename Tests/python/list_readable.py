#!/usr/bin/env python3
"""Prints, as a JSON list, the files under DIR (relative paths) that pydicom reads with its default
settings (`dcmread` without force), every element converted. The DICOM tests then require our
reader to read each of them."""
import json
import pathlib
import sys
import warnings

import pydicom

warnings.simplefilter("ignore")
root = pathlib.Path(sys.argv[1])
readable = []
for path in sorted(p for p in root.rglob("*") if p.is_file()):
    try:
        dataset = pydicom.dcmread(path)
        for _ in dataset.iterall():
            pass
    except Exception:  # noqa: BLE001 - any failure means pydicom does not read it
        continue
    readable.append(path.relative_to(root).as_posix())
json.dump(readable, sys.stdout)
