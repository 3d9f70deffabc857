"""Writes the first frame of a DICOM file's Pixel Data as raw little-endian bytes, as stored.

usage: dicom_pixels.py DICOM_FILE OUTPUT_RAW

Prints one JSON object with rows, columns, samples_per_pixel, bits_allocated, bits_stored,
pixel_representation and planar_configuration, so a test can encode the frame itself.
"""
import json
import sys

import pydicom


def main() -> None:
    dataset = pydicom.dcmread(sys.argv[1])
    syntax = dataset.file_meta.TransferSyntaxUID
    if syntax.is_compressed or not syntax.is_little_endian:
        raise SystemExit(f"the file's pixel data is not native little-endian ({syntax})")
    rows, columns = int(dataset.Rows), int(dataset.Columns)
    samples = int(dataset.get("SamplesPerPixel", 1))
    bits_allocated = int(dataset.BitsAllocated)
    frame_bytes = rows * columns * samples * bits_allocated // 8
    with open(sys.argv[2], "wb") as f:
        f.write(bytes(dataset.PixelData[:frame_bytes]))
    print(json.dumps({
        "rows": rows,
        "columns": columns,
        "samples_per_pixel": samples,
        "bits_allocated": bits_allocated,
        "bits_stored": int(dataset.BitsStored),
        "pixel_representation": int(dataset.PixelRepresentation),
        "planar_configuration": int(dataset.get("PlanarConfiguration", 0)),
    }))


if __name__ == "__main__":
    main()
