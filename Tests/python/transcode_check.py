#!/usr/bin/env python3
"""Checks JPEG 2000 DICOM files written by our transcoder with two independent decoders.

    transcode_check.py MANIFEST.json

MANIFEST is a JSON list of {"name", "original", "output", "gdcmconv"}: the uncompressed original,
our output, and the path of gdcmconv (or null to skip that decoder). For every entry, the expected
samples are the original's as stored, bits above Bits Stored masked off and signed values
sign-extended (what the encoder is asked to keep), all frames, no colour conversion. Each output is
decoded by
  - pydicom + pylibjpeg-openjpeg (`pixel_array`, raw: no YBR->RGB conversion), and
  - GDCM: `gdcmconv --raw OUTPUT RAW.dcm`, whose native pixel data pydicom then reads,
and compared with the expected samples (max abs error, RMSE, PSNR with peak 2**BitsStored - 1 over
every sample of every frame). The encapsulation is inspected with pydicom: Basic Offset Table
entries, fragments, their lengths and first bytes. Prints a JSON list with one object per entry:
the attributes pydicom reads from our output, the encapsulation facts and, per decoder, the metrics
or the error.
"""
import io
import json
import math
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import pydicom
from pydicom.encaps import generate_fragments, parse_basic_offsets

warnings.simplefilter("ignore")


def true_samples(array, bits_stored, signed):
    """The values the encoder sees: `bits_stored` low bits, sign-extended when signed."""
    values = array.astype(np.int64)
    mask = (1 << bits_stored) - 1
    values = values & mask
    if signed:
        values = np.where(values & (1 << (bits_stored - 1)), values - (1 << bits_stored), values)
    return values


def pixels(dataset):
    dataset.pixel_array_options(raw=True)
    array = dataset.pixel_array
    frames = int(dataset.get("NumberOfFrames", 1) or 1)
    samples = int(dataset.get("SamplesPerPixel", 1))
    # Always frames x rows x columns x samples, whatever pydicom squeezed.
    return np.asarray(array).reshape(frames, int(dataset.Rows), int(dataset.Columns), samples)


def metrics(expected, decoded, bits_stored):
    if expected.shape != decoded.shape:
        return {"error": f"shape {decoded.shape}, expected {expected.shape}"}
    difference = decoded.astype(np.int64) - expected
    mse = float(np.mean(difference.astype(np.float64) ** 2))
    peak = float((1 << bits_stored) - 1)
    return {
        "max_abs_error": int(np.max(np.abs(difference))),
        "rmse": math.sqrt(mse),
        "psnr": None if mse == 0 else 10 * math.log10(peak * peak / mse),
    }


def encapsulation(dataset):
    buffer = io.BytesIO(dataset.PixelData)
    offsets = parse_basic_offsets(buffer)  # leaves the buffer after the Basic Offset Table item
    fragments = list(generate_fragments(buffer))
    return {
        "basic_offsets": offsets,
        "fragment_lengths": [len(f) for f in fragments],
        "fragments_start_with_soc": all(f[:4] == b"\xff\x4f\xff\x51" for f in fragments),
        "fragments_end_with_eoc": all(f.rstrip(b"\x00")[-2:] == b"\xff\xd9" for f in fragments),
    }


def attributes(dataset):
    def value(keyword):
        if keyword not in dataset:
            return None
        v = dataset[keyword].value
        if isinstance(v, pydicom.multival.MultiValue):
            return [str(x) for x in v]
        return str(v)

    source = []
    for item in dataset.get("SourceImageSequence", []):
        purpose = item.get("PurposeOfReferenceCodeSequence", [])
        source.append({
            "class": str(item.get("ReferencedSOPClassUID", "")),
            "instance": str(item.get("ReferencedSOPInstanceUID", "")),
            "purpose": [[str(c.CodeValue), str(c.CodingSchemeDesignator), str(c.CodeMeaning)] for c in purpose],
        })
    derivation = [
        [str(c.CodeValue), str(c.CodingSchemeDesignator), str(c.CodeMeaning)]
        for c in dataset.get("DerivationCodeSequence", [])
    ]
    return {
        "transfer_syntax": str(dataset.file_meta.TransferSyntaxUID),
        "media_storage_sop_instance_uid": str(dataset.file_meta.get("MediaStorageSOPInstanceUID", "")),
        "sop_instance_uid": value("SOPInstanceUID"),
        "photometric_interpretation": value("PhotometricInterpretation"),
        "planar_configuration": value("PlanarConfiguration"),
        "lossy_image_compression": value("LossyImageCompression"),
        "lossy_image_compression_ratio": value("LossyImageCompressionRatio"),
        "lossy_image_compression_method": value("LossyImageCompressionMethod"),
        "image_type": value("ImageType"),
        "derivation_description": value("DerivationDescription"),
        "source_images": source,
        "derivation_codes": derivation,
        "pixel_data_vr": dataset["PixelData"].VR,
        "pixel_data_undefined_length": dataset["PixelData"].is_undefined_length,
    }


def check(entry):
    result = {"name": entry["name"]}
    original = pydicom.dcmread(entry["original"], force=True)
    bits_stored = int(original.BitsStored)
    signed = int(original.get("PixelRepresentation", 0)) == 1
    expected = true_samples(pixels(original), bits_stored, signed)

    ours = pydicom.dcmread(entry["output"])
    result["attributes"] = attributes(ours)
    result["encapsulation"] = encapsulation(ours)
    try:
        result["pydicom"] = metrics(expected, pixels(ours), bits_stored)
    except Exception as error:  # noqa: BLE001 - report it, the test fails on it
        result["pydicom"] = {"error": repr(error)}

    if entry.get("gdcmconv"):
        with tempfile.TemporaryDirectory() as directory:
            raw_path = os.path.join(directory, "raw.dcm")
            run = subprocess.run([entry["gdcmconv"], "--raw", entry["output"], raw_path], capture_output=True, text=True)
            if run.returncode != 0 or not os.path.exists(raw_path):
                result["gdcm"] = {"error": f"gdcmconv --raw exited {run.returncode}: {run.stderr[-500:]}"}
            else:
                raw = pydicom.dcmread(raw_path)
                try:
                    result["gdcm"] = metrics(expected, pixels(raw), bits_stored)
                    result["gdcm"]["photometric_interpretation"] = str(raw.PhotometricInterpretation)
                    result["gdcm"]["stderr"] = run.stderr[-500:]
                except Exception as error:  # noqa: BLE001
                    result["gdcm"] = {"error": repr(error)}
    return result


def main():
    with open(sys.argv[1]) as handle:
        manifest = json.load(handle)
    results = []
    for entry in manifest:
        try:
            results.append(check(entry))
        except Exception as error:  # noqa: BLE001 - report, do not stop the other files
            results.append({"name": entry["name"], "failure": repr(error)})
    json.dump(results, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
