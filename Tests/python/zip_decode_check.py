"""Decodes every DICOM entry of a ZIP with pydicom (+ pylibjpeg-openjpeg).

usage: zip_decode_check.py ARCHIVE

Prints one JSON object: entries (names in archive order), transfer_syntaxes (the set), decoded
(how many entries gave a pixel array), errors (first ten "name: error").
"""
import io
import json
import sys
import zipfile

import pydicom


def main() -> None:
    names, syntaxes, decoded, errors = [], set(), 0, []
    with zipfile.ZipFile(sys.argv[1]) as z:
        for info in z.infolist():
            names.append(info.filename)
            try:
                ds = pydicom.dcmread(io.BytesIO(z.read(info)))
                syntaxes.add(str(ds.file_meta.TransferSyntaxUID))
                pixels = ds.pixel_array
                if pixels.size == 0:
                    raise ValueError("empty pixel array")
                decoded += 1
            except Exception as error:  # noqa: BLE001 - every failure is reported
                errors.append(f"{info.filename}: {error}")
    print(json.dumps({"entries": names, "transfer_syntaxes": sorted(syntaxes), "decoded": decoded,
                      "errors": errors[:10]}))


if __name__ == "__main__":
    main()
