"""Reads every entry of an anonymized ZIP with pydicom and prints one JSON object: the entry names,
and per entry Patient Identity Removed, Patient's Name/ID, Study and Series Instance UIDs, the
transfer syntax and whether the pixels decode (empty fields for an entry that is not DICOM). Used by CompressionJobTests (the `run --anonymize`
end-to-end test), which compares these with the inputs' values.

    python anonymized_zip_check.py OUT.zip
"""
import io
import json
import sys
import zipfile

import pydicom


def main() -> None:
    entries = []
    with zipfile.ZipFile(sys.argv[1]) as archive:
        for name in archive.namelist():
            raw = archive.read(name)
            try:
                ds = pydicom.dcmread(io.BytesIO(raw))
            except Exception:  # noqa: BLE001 - not DICOM (a copied file): reported as such
                entries.append({"name": name, "identityRemoved": "", "patientName": "", "patientID": "",
                                "studyUID": "", "seriesUID": "", "transferSyntax": "", "decodes": False})
                continue
            decoded = True
            try:
                ds.pixel_array
            except Exception:  # noqa: BLE001 - reported, the test decides
                decoded = False
            entries.append(
                {
                    "name": name,
                    "identityRemoved": str(ds.get("PatientIdentityRemoved", "")),
                    "patientName": str(ds.get("PatientName", "")),
                    "patientID": str(ds.get("PatientID", "")),
                    "studyUID": str(ds.get("StudyInstanceUID", "")),
                    "seriesUID": str(ds.get("SeriesInstanceUID", "")),
                    "transferSyntax": str(ds.file_meta.TransferSyntaxUID),
                    "decodes": decoded,
                }
            )
    print(json.dumps({"entries": entries}))


if __name__ == "__main__":
    main()
