"""The benchmark: one study, every contender at every rate, n runs each; then the report.

Run it through benchmarks/run.sh (which installs the tools and builds the binary). Directly:

    python benchmarks/run.py --binary .build/release/dicom-j2k [--quick] [--slices N] [--repeat N] [--out DIR]

Writes into --out: REPORT.md, charts/*.png, data/runs.json (every run), data/queue_scale.json,
data/numbers.json (every number the report printed, for check_report.py).
"""

from __future__ import annotations

import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent

import argparse
import datetime
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time


import contenders as C  # noqa: E402

# In the order they run: the rate the recommendation discusses and the pictures' rates first, so a
# run cut short by --budget-minutes keeps what matters most.
FULL_RATES = [100, 10, 500, 50, "lossless"]
QUICK_RATES = [100, 10, "lossless"]
DEFAULT_SLICES = 200  # see docs/benchmarks.md: 399 slices x 3 runs take about an hour here
QUEUE_RESERVE_MINUTES = {False: 8.0, True: 1.5}  # queue_scale.py's share of a --budget-minutes run
PICTURE_RATES = [10, 100, 500]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def command_output(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def package_version(name: str) -> str:
    line = command_output(["dpkg-query", "-W", "-f=${Version}", name])
    return line or "not installed"


def machine_facts(binary: str) -> dict:
    import importlib.metadata as md

    def py(name):
        try:
            return md.version(name)
        except md.PackageNotFoundError:
            return "not installed"

    mem_kb = 0
    for line in pathlib.Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    cpu = ""
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    os_name = ""
    try:
        for line in pathlib.Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return {
        "cores": os.cpu_count() or 1,
        "memoryGB": mem_kb / 1048576,
        "cpu": cpu,
        "os": os_name,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": {
            "OpenJPEG (libopenjp2-7)": package_version("libopenjp2-7"),
            "opj_compress (libopenjp2-tools)": package_version("libopenjp2-tools"),
            "OpenJPH (libopenjph0.9)": package_version("libopenjph0.9"),
            "ojph_compress (openjph-tools)": package_version("openjph-tools"),
            "Grok (grokj2k-tools)": package_version("grokj2k-tools"),
            "GDCM (libgdcm-tools)": package_version("libgdcm-tools"),
            "pydicom": py("pydicom"),
            "pylibjpeg": py("pylibjpeg"),
            "pylibjpeg-openjpeg": py("pylibjpeg-openjpeg"),
            "numpy": py("numpy"),
            "matplotlib": py("matplotlib"),
        },
        "gitCommit": command_output(["git", "-C", str(HERE), "rev-parse", "--short=12", "HEAD"]) or "unknown",
        "gitDirty": bool(command_output(["git", "-C", str(HERE), "status", "--porcelain", "--untracked-files=no"])),
        "binary": binary,
        "binaryBuild": "release" if "/release/" in binary else ("debug" if "/debug/" in binary else "unknown"),
        "nice": os.nice(0),
    }


def load_average() -> list[float]:
    return list(os.getloadavg())


class Context:
    """The study under test and what the contenders need to know about it."""

    def __init__(self, binary: str, study: pathlib.Path, work: pathlib.Path):
        import numpy as np
        import pydicom

        self.binary = binary
        self.study = study
        self.files = sorted(study.rglob("*.dcm"))
        self.raw_dir = work / "raw"
        self.raw_dir.mkdir(parents=True, exist_ok=True)
        self.originals = {}
        self.psnr_targets = {}
        self.qsteps = {}
        first = None
        for path in self.files:
            ds = pydicom.dcmread(path)
            pixels = ds.pixel_array.astype(np.int64)
            first = first or ds
            self.originals[path.name] = {
                "pixels": pixels,
                "pixelBytes": len(ds.PixelData),
                "fileBytes": path.stat().st_size,
                "instance": int(getattr(ds, "InstanceNumber", 0) or 0),
            }
            raw = self.raw_dir / (path.stem + ".rawl")
            pixels.astype("<i2" if ds.PixelRepresentation else "<u2").tofile(raw)
            # OpenJPH 0.9's raw reader takes signed samples as unsigned: it gets them offset by
            # 2^(BitsStored-1) as unsigned samples (what a JPEG 2000 encoder's DC level shift
            # does inside anyway); the decoded values are shifted back before comparing.
            offset = (1 << (int(ds.BitsStored) - 1)) if ds.PixelRepresentation else 0
            (pixels + offset).astype("<u2").tofile(self.raw_dir / (path.stem + ".yuv"))
            self.originals[path.name]["offset"] = offset
        self.rows, self.columns = int(first.Rows), int(first.Columns)
        self.bits_stored, self.bits_allocated = int(first.BitsStored), int(first.BitsAllocated)
        self.signed = bool(first.PixelRepresentation)
        self.slope = float(getattr(first, "RescaleSlope", 1) or 1)
        self.intercept = float(getattr(first, "RescaleIntercept", 0) or 0)
        # The job's wavelet levels (JPEG2000SampleLayout.resolutionLevels): six, fewer for small images.
        halvings, w, h = 0, self.columns >> 1, self.rows >> 1
        while w > 0 and h > 0 and halvings < 6:
            halvings, w, h = halvings + 1, w >> 1, h >> 1
        self.levels = max(1, halvings)
        self.study_bytes = sum(o["fileBytes"] for o in self.originals.values())
        self.pixel_bytes = sum(o["pixelBytes"] for o in self.originals.values())
        self.middle = self.files[len(self.files) // 2].name

    def psnr_target(self, rate) -> float:
        return self.psnr_targets.get(rate, 45.0)

    def ojph_qstep(self, rate, log) -> float:
        """The quantization step at which ojph_compress reaches `rate` on the middle slice
        (ojph_compress has no rate control; our job searches the step per frame)."""
        if rate in self.qsteps:
            return self.qsteps[rate]
        raw = self.raw_dir / (pathlib.Path(self.middle).stem + ".yuv")
        target = self.originals[self.middle]["pixelBytes"] / rate
        low, high = 1e-6, 0.45
        out = self.raw_dir.parent / "qstep.jph"
        for _ in range(30):  # geometric bisection: bytes fall as the step grows
            step = math.sqrt(low * high)
            size = C.ojph_encode(raw, out, self, step)
            if size > target:
                low = step
            else:
                high = step
            if high / low < 1.01:
                break
        self.qsteps[rate] = math.sqrt(low * high)
        log(f"  ojph_compress qstep for rate {rate}: {self.qsteps[rate]:.6g}")
        return self.qsteps[rate]


def summary(values: list[float]) -> dict:
    values = [v for v in values if v is not None]
    if not values:
        return {"median": None, "min": None, "max": None}
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def run_benchmark(ctx, contenders, rates, repeat, work, deadline, log, pictures_dir) -> dict:
    runs = []
    skipped_rates = []
    workers = max(1, min(2, os.cpu_count() or 1))
    last_rate_seconds = 0.0
    for rate in rates:
        # A rate costs about what the previous one did (lossless somewhat more).
        if time.time() + last_rate_seconds * (1.3 if rate == "lossless" else 1.0) > deadline:
            skipped_rates.append(rate)
            log(f"rate {rate}: skipped (it would not finish within the time budget)")
            continue
        rate_started = time.time()
        timings = {c.key: [] for c in contenders}
        for rep in range(repeat):
            for contender in contenders:
                if not contender.supports(rate):
                    continue
                out = work / "out" / contender.key
                log(f"rate {rate} run {rep + 1}/{repeat}: {contender.key}")
                timing = contender.run(ctx, rate, out, log)
                timings[contender.key].append(timing)
                if rep == repeat - 1:
                    quality = C.measure_outputs(ctx, contender, out, workers)
                    if contender.key == "job-openjpeg-2t" or (contender.key == "job-openjpeg-1t" and ctx.cores == 1):
                        if quality["psnrMin"] not in (None, math.inf):
                            ctx.psnr_targets[rate] = math.floor(quality["psnrMin"] * 10) / 10
                        if rate in PICTURE_RATES:
                            keep_picture(ctx, out, pictures_dir, rate)
                    failures = quality["failures"] + sum(1 for t in timings[contender.key] if t["status"] != 0)
                    runs.append(record(contender, rate, timings[contender.key], quality, failures))
                    log(
                        f"  {contender.key} @ {rate}: wall {statistics.median(t['wall'] for t in timings[contender.key]):.2f}s"
                        f" ratio {quality['pixelRatio'] or 0:.1f} PSNR {quality['psnr'] or 0:.2f} failures {failures}"
                    )
                    shutil.rmtree(out, ignore_errors=True)
        last_rate_seconds = time.time() - rate_started
    return {"runs": runs, "skippedRates": skipped_rates}


def record(contender, rate, timings, quality, failures) -> dict:
    def finite(x):
        return None if x is None or (isinstance(x, float) and math.isinf(x)) else x

    per_slice = {k: finite(v) for k, v in quality.pop("perSlicePSNR").items()}
    return {
        "contender": contender.key,
        "label": contender.label,
        "group": contender.group,
        "codec": contender.codec,
        "threads": contender.threads,
        "rate": rate,
        "n": len(timings),
        "wall": summary([t["wall"] for t in timings]),
        "user": summary([t["user"] for t in timings]),
        "system": summary([t.get("system") for t in timings]),
        "cpu": summary([t["cpu"] for t in timings]),
        "peakRSSMB": summary([t.get("peakRSSMB") for t in timings]),
        "jobMemoryPeakMB": summary([t.get("jobMemoryPeakMB") for t in timings]),
        "psnrTarget": timings[-1].get("psnrTarget"),
        "qstep": timings[-1].get("qstep"),
        "exitStatuses": [t["status"] for t in timings],
        "lossless": quality["psnr"] == math.inf or (quality["psnr"] is None and rate == "lossless"),
        **{k: finite(v) for k, v in quality.items()},
        "perSlicePSNR": per_slice,
        "failures": failures,
        "rawTimings": timings,
    }


def keep_picture(ctx, out, pictures_dir, rate):
    """Keeps the middle slice of the job's output at a picture rate (pictures.py draws it)."""
    import zipfile

    pictures_dir.mkdir(parents=True, exist_ok=True)
    zip_path = out / "job.zip"
    if not zip_path.exists():
        return
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            if pathlib.PurePosixPath(info.filename).name == ctx.middle:
                (pictures_dir / f"rate-{rate}.dcm").write_bytes(archive.read(info))


class PictureContext:
    """What pictures.py needs of the study, rebuilt from a kept --work folder."""

    def __init__(self, study_info: dict, study: pathlib.Path):
        import numpy as np
        import pydicom

        self.middle = study_info["middle"]
        ds = pydicom.dcmread(study / self.middle)
        self.originals = {self.middle: {"pixels": ds.pixel_array.astype(np.int64), "pixelBytes": len(ds.PixelData)}}
        self.bits_stored = study_info["bitsStored"]
        self.slope, self.intercept = study_info["slope"], study_info["intercept"]


def render_only(out: pathlib.Path, work: pathlib.Path | None) -> int:
    data = json.loads((out / "data" / "runs.json").read_text())
    queue_file = out / "data" / "queue_scale.json"
    queue_data = json.loads(queue_file.read_text()) if queue_file.exists() else None
    try:
        import queue_scale as queue_module
    except ImportError:
        queue_module = None
    import report_numbers as numbers
    import pictures
    import report

    chart_files = report.charts(data, out / "charts")
    picture = None
    if work is not None and (work / "study").is_dir():
        picture = pictures.draw(PictureContext(data["study"], work / "study"), data, work / "pictures", out / "charts")
    queue_charts = queue_module.charts(queue_data, out / "charts") if queue_module and queue_data else []
    text = report.render(data, numbers.fmt, chart_files, picture, queue_module, queue_data, queue_charts)
    (out / "REPORT.md").write_text(text)
    numbers.save(out / "data" / "numbers.json")
    log(f"report re-rendered: {out / 'REPORT.md'}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--out", default=str(HERE))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--slices", type=int)
    parser.add_argument("--repeat", type=int)
    parser.add_argument("--work", help="scratch folder (default: a new temporary one, removed afterwards)")
    parser.add_argument("--budget-minutes", type=float, default=0,
                        help="stop starting new rates after this many minutes (0 = no limit)")
    parser.add_argument("--no-queue", action="store_true", help="leave out queue_scale.py's sections")
    parser.add_argument("--render-only", action="store_true",
                        help="only re-render REPORT.md and the charts from --out's data/ (pictures need --work)")
    args = parser.parse_args()
    if args.render_only:
        return render_only(pathlib.Path(args.out).resolve(), pathlib.Path(args.work) if args.work else None)

    started = time.time()
    # The codec part runs first and leaves queue_scale.py its share of the budget.
    reserve = 0 if args.no_queue else QUEUE_RESERVE_MINUTES[args.quick]
    deadline = started + (args.budget_minutes - reserve) * 60 if args.budget_minutes > 0 else math.inf
    slices = args.slices or (8 if args.quick else DEFAULT_SLICES)
    repeat = args.repeat or (1 if args.quick else 3)
    rates = QUICK_RATES if args.quick else FULL_RATES
    out = pathlib.Path(args.out).resolve()
    (out / "data").mkdir(parents=True, exist_ok=True)
    (out / "charts").mkdir(parents=True, exist_ok=True)
    work = pathlib.Path(args.work) if args.work else pathlib.Path(tempfile.mkdtemp(prefix="dicom-j2k-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    binary = str(pathlib.Path(args.binary).resolve())

    machine = machine_facts(binary)
    load_before = load_average()
    log(f"machine: {machine['cores']} cores, load {load_before}; {slices} slices, n={repeat}, rates {rates}")

    study = work / "study"
    if study.exists():
        shutil.rmtree(study)
    subprocess.run([binary, "sample-study", "--out", str(study), "--slices", str(slices)], check=True)
    ctx = Context(binary, study, work)
    ctx.cores = machine["cores"]
    log(f"study: {len(ctx.files)} files, {ctx.study_bytes / 1e6:.1f} MB, {ctx.columns}x{ctx.rows}, {ctx.bits_stored} bits")

    everyone = C.all_contenders(machine["cores"])
    contenders = [c for c in everyone if c.available()]
    missing = [{"key": c.key, "label": c.label, "reason": c.available_reason} for c in everyone if not c.available()]
    for m in missing:
        log(f"left out: {m['key']}: {m['reason']}")

    pictures_dir = work / "pictures"
    bench = run_benchmark(ctx, contenders, rates, repeat, work, deadline, log, pictures_dir)
    bench_finished = time.time()

    queue_data, queue_module, queue_error = None, None, None
    if not args.no_queue:
        try:
            import queue_scale as queue_module  # issue 11 items 3-5, benchmarks/queue_scale.py
        except ImportError as error:
            queue_error = f"benchmarks/queue_scale.py is not available ({error})"
            queue_module = None
        if queue_module is not None:
            try:
                log("queue_scale.measure (concurrency, scaling, cost)")
                queue_data = queue_module.measure(binary, work / "queue", args.quick, log)
                (out / "data" / "queue_scale.json").write_text(json.dumps(queue_data, indent=1, sort_keys=True))
            except Exception as error:  # noqa: BLE001 - the codec sections stand without it
                queue_error = f"queue_scale.measure failed: {type(error).__name__}: {error}"
                log(queue_error)
                queue_data = None

    load_after = load_average()
    finished = time.time()
    data = {
        "generatedAt": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "quick": args.quick,
        "slices": len(ctx.files),
        "repeat": repeat,
        "rates": rates,
        "study": {
            "files": len(ctx.files), "bytes": ctx.study_bytes, "pixelBytes": ctx.pixel_bytes,
            "rows": ctx.rows, "columns": ctx.columns, "bitsStored": ctx.bits_stored,
            "bitsAllocated": ctx.bits_allocated, "signed": ctx.signed, "levels": ctx.levels,
            "slope": ctx.slope, "intercept": ctx.intercept, "middle": ctx.middle,
        },
        "machine": machine,
        "loadBefore": load_before,
        "loadAfter": load_after,
        "benchMinutes": (bench_finished - started) / 60,
        "totalMinutes": (finished - started) / 60,
        "budgetMinutes": args.budget_minutes,
        "missing": missing,
        "psnrTargets": {str(k): v for k, v in ctx.psnr_targets.items()},
        "ojphQsteps": {str(k): v for k, v in ctx.qsteps.items()},
        "queueError": queue_error,
        **bench,
    }
    (out / "data" / "runs.json").write_text(json.dumps(data, indent=1, sort_keys=True))

    import report_numbers as numbers
    import pictures
    import report

    # A broken chart must not lose the run: the report says what is missing.
    try:
        chart_files = report.charts(data, out / "charts")
    except Exception as error:  # noqa: BLE001
        log(f"charts failed: {type(error).__name__}: {error}")
        chart_files = []
    try:
        picture = pictures.draw(ctx, data, pictures_dir, out / "charts")
    except Exception as error:  # noqa: BLE001
        log(f"pictures failed: {type(error).__name__}: {error}")
        picture = None
    queue_charts = []
    if queue_module is not None and queue_data is not None:
        try:
            queue_charts = queue_module.charts(queue_data, out / "charts")
        except Exception as error:  # noqa: BLE001
            data["queueError"] = f"queue_scale.charts failed: {type(error).__name__}: {error}"
    text = report.render(data, numbers.fmt, chart_files, picture, queue_module, queue_data, queue_charts)
    (out / "REPORT.md").write_text(text)
    numbers.save(out / "data" / "numbers.json")
    log(f"report: {out / 'REPORT.md'} ({(finished - started) / 60:.1f} min)")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
