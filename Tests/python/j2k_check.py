"""Decodes a raw J2K codestream with pylibjpeg-openjpeg and compares it with the expected samples.

usage: j2k_check.py CODESTREAM EXPECTED BITS_STORED

EXPECTED holds the samples the codestream should decode to, as little-endian int32, pixel by pixel
with components interleaved. Prints one JSON object: the codestream parameters as pylibjpeg reads
them, and max_abs_error, rmse and psnr (peak 2**BITS_STORED - 1; null when identical).
"""
import json
import math
import sys

import numpy as np
import openjpeg


def main() -> None:
    codestream_path, expected_path, bits_stored = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(codestream_path, "rb") as f:
        data = f.read()
    parameters = openjpeg.get_parameters(data, j2k_format=0)
    decoded = openjpeg.decode(data, j2k_format=0).astype(np.int64).reshape(-1)
    expected = np.fromfile(expected_path, dtype="<i4").astype(np.int64)
    if decoded.size != expected.size:
        raise SystemExit(f"decoded {decoded.size} samples, expected {expected.size}")
    difference = decoded - expected
    mse = float(np.mean(difference.astype(np.float64) ** 2))
    peak = float(2**bits_stored - 1)
    print(json.dumps({
        "rows": parameters["rows"],
        "columns": parameters["columns"],
        "samples_per_pixel": parameters["samples_per_pixel"],
        "precision": parameters["precision"],
        "is_signed": bool(parameters["is_signed"]),
        "max_abs_error": int(np.max(np.abs(difference))) if difference.size else 0,
        "rmse": math.sqrt(mse),
        "psnr": None if mse == 0 else 10 * math.log10(peak * peak / mse),
    }))


if __name__ == "__main__":
    main()
