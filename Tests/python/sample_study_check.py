"""Checks a sample-study slice with pydicom: prints its attributes and writes its pixels.

usage: sample_study_check.py DICOM_FILE OUTPUT_RAW

Prints one JSON object with the attributes the test compares; OUTPUT_RAW gets the pixel array
(as pydicom decodes it) as little-endian int16, so the test can compare it with the phantom.
"""
import json
import sys

import numpy as np
import pydicom


def main() -> None:
    ds = pydicom.dcmread(sys.argv[1])
    pixels = ds.pixel_array
    pixels.astype("<i2").tofile(sys.argv[2])
    print(json.dumps({
        "transfer_syntax": str(ds.file_meta.TransferSyntaxUID),
        "sop_class": str(ds.SOPClassUID),
        "sop_instance": str(ds.SOPInstanceUID),
        "media_sop_instance": str(ds.file_meta.MediaStorageSOPInstanceUID),
        "study": str(ds.StudyInstanceUID),
        "series": str(ds.SeriesInstanceUID),
        "instance_number": int(ds.InstanceNumber),
        "position": [float(v) for v in ds.ImagePositionPatient],
        "rows": int(ds.Rows),
        "columns": int(ds.Columns),
        "bits_stored": int(ds.BitsStored),
        "pixel_representation": int(ds.PixelRepresentation),
        "dtype": str(pixels.dtype),
        "min": int(np.min(pixels)),
        "max": int(np.max(pixels)),
    }))


if __name__ == "__main__":
    main()
