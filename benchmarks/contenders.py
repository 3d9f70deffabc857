"""The contenders of the benchmark and how each one is run and measured.

Every contender is one command started under GNU time (`/usr/bin/time -f ...`), so wall time, CPU
user and system time and peak resident memory come from the kernel the same way for all of them.
GNU time is a small process between this Python process and the contender: a child's ru_maxrss
includes the memory of the process that spawned it (fork/vfork + exec accounting, see
docs/benchmarks.md), so measuring from here directly would add this script's own ~100 MB to every
figure. A pool of processes (gdcmconv) runs under one `xargs -P N`; the kernel passes the largest
ru_maxrss of the reaped children up, so the figure is the largest single gdcmconv.

Every output is decoded with pydicom + pylibjpeg-openjpeg (`measure_outputs` below), the same way
for every contender.
"""

from __future__ import annotations

import pathlib
import sys

import json
import os
import shutil
import subprocess
import time

TIME = "/usr/bin/time"
QUALITY_MODE_RATE = 100
TIME_FORMAT = "%e %U %S %M %x"


def timed(command: list[str], log, env: dict | None = None, cwd: str | None = None) -> dict:
    """Runs `command` under GNU time: wall, user, system seconds, peak RSS (MB), exit status."""
    stats = pathlib.Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-time-{os.getpid()}-{time.monotonic_ns()}"
    started = time.monotonic()
    proc = subprocess.run(
        [TIME, "-f", TIME_FORMAT, "-o", str(stats), *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        cwd=cwd,
    )
    elapsed = time.monotonic() - started
    try:
        fields = stats.read_text().strip().splitlines()[-1].split()
        wall, user, system, rss_kb, status = float(fields[0]), float(fields[1]), float(fields[2]), int(fields[3]), int(fields[4])
    except (OSError, IndexError, ValueError):
        wall, user, system, rss_kb, status = elapsed, 0.0, 0.0, 0, proc.returncode
    finally:
        stats.unlink(missing_ok=True)
    if proc.returncode != 0:
        log(f"  exit status {proc.returncode}: {' '.join(command[:3])} ...: {proc.stderr.decode(errors='replace')[-400:]}")
    return {
        "wall": wall,
        "user": user,
        "system": system,
        "cpu": user + system,
        "peakRSSMB": rss_kb / 1024,
        "status": proc.returncode if proc.returncode != 0 else status,
    }


class Contender:
    """One way of compressing the study. `run` writes outputs into `out` and returns the timing."""

    key = ""
    label = ""
    group = ""  # "job", "pool", "python", "encoder"
    codec = "J2K"  # J2K (Part 1) or HTJ2K
    output = "dicom"  # "zip" (our job), "dicom" (folder of files), "codestream" (folder of .j2k/.jph)
    threads = 1
    rates_supported = ("all",)
    available_reason = ""

    def available(self) -> bool:
        return True

    def supports(self, rate) -> bool:
        return True

    def run(self, ctx, rate, out: pathlib.Path, log) -> dict:
        raise NotImplementedError


class Job(Contender):
    """`dicom-j2k run` on the study folder as a process: the product."""

    group = "job"
    output = "zip"

    def __init__(self, threads: int, htj2k: bool = False, quality: bool = False):
        self.threads = threads
        self.htj2k = htj2k
        self.quality = quality
        self.codec = "HTJ2K" if htj2k else "J2K"
        name = "quality" if quality else ("htj2k" if htj2k else "openjpeg")
        self.key = f"job-{name}-{threads}t"
        self.label = "job, " + ("quality mode (--psnr)" if quality else ("HTJ2K" if htj2k else "OpenJPEG"))

    def supports(self, rate) -> bool:
        # Quality mode is one configuration (its search encodes each frame several times, the
        # dearest row): at the rate the recommendation discusses.
        return not self.quality or rate == QUALITY_MODE_RATE

    def run(self, ctx, rate, out, log):
        out.mkdir(parents=True, exist_ok=True)
        zip_path = out / "job.zip"
        zip_path.unlink(missing_ok=True)
        command = [
            ctx.binary, "run", "--source", str(ctx.study), "--target", str(zip_path),
            "--threads", str(self.threads), "--quality-check", "none", "--result", str(out / "result.json"),
        ]
        if self.htj2k:
            command.append("--htj2k")
        if self.quality:
            command += ["--psnr", f"{ctx.psnr_target(rate):.2f}"]
        elif rate == "lossless":
            command.append("--lossless")
        else:
            command += ["--rate", str(rate)]
        timing = timed(command, log)
        try:
            result = json.loads((out / "result.json").read_text())
            stats = result.get("compressionStats") or {}
            timing["jobMemoryPeakMB"] = (stats.get("memoryPeak") or 0) / 1048576
            timing["jobFailures"] = len(result.get("failures") or [])
            if self.quality:
                timing["psnrTarget"] = round(ctx.psnr_target(rate), 2)
        except (OSError, ValueError):
            pass
        return timing


class GDCMPool(Contender):
    """`gdcmconv` once per file, N processes at a time (the prototype's method, bounded)."""

    group = "pool"
    output = "dicom"

    def __init__(self, processes: int):
        self.threads = processes
        self.key = f"gdcmconv-{processes}p"
        self.label = "gdcmconv pool"

    def available(self):
        self.available_reason = "gdcmconv not installed (Debian libgdcm-tools)"
        return shutil.which("gdcmconv") is not None

    def run(self, ctx, rate, out, log):
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        pairs = out / "pairs.txt"
        pairs.write_text("".join(f"{f}\n{out / f.name}\n" for f in ctx.files))
        if rate == "lossless":
            options = ["--j2k"]
        else:  # GDCM's -r is against the stored bytes already (docs/benchmarks.md)
            options = ["--j2k", "--lossy", "--irreversible", "-r", str(rate)]
        timing = timed(["xargs", "-a", str(pairs), "-P", str(self.threads), "-n", "2", "gdcmconv", *options], log)
        pairs.unlink()
        return timing


class PydicomProcess(Contender):
    """pydicom + pylibjpeg-openjpeg: every file read, compressed and saved in ONE Python process."""

    group = "python"
    output = "dicom"
    key = "pydicom-1p"
    label = "pydicom + pylibjpeg-openjpeg"

    def run(self, ctx, rate, out, log):
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        command = [sys.executable, str(pathlib.Path(__file__).resolve()), "pydicom-encode", str(ctx.study), str(out), str(rate)]
        return timed(command, log)


def pydicom_encode(source: str, dest: str, rate: str) -> int:
    """The pydicom contender's body (runs in its own process)."""
    import pydicom
    from pydicom.uid import JPEG2000, JPEG2000Lossless

    failures = 0
    for path in sorted(pathlib.Path(source).rglob("*.dcm")):
        try:
            ds = pydicom.dcmread(path)
            if rate == "lossless":
                ds.compress(JPEG2000Lossless, encoding_plugin="pylibjpeg")
            else:
                # OpenJPEG's ratio is against Bits Stored; ours against the stored (allocated) bytes.
                ratio = float(rate) * ds.BitsStored / ds.BitsAllocated
                ds.compress(JPEG2000, encoding_plugin="pylibjpeg", j2k_cr=[ratio])
            ds.save_as(pathlib.Path(dest) / path.name)
        except Exception as error:  # noqa: BLE001 - a failed file is counted, the run goes on
            failures += 1
            print(f"{path.name}: {error}", file=sys.stderr)
    return 1 if failures else 0


class Encoder(Contender):
    """An encoder's command-line tool alone on raw pixel files: the limit, with no DICOM at all."""

    group = "encoder"
    output = "codestream"

    def __init__(self, tool: str, threads: int = 1):
        self.tool = tool
        self.threads = threads
        self.codec = "HTJ2K" if tool == "ojph_compress" else "J2K"
        self.key = f"{tool}-{threads}t"
        self.label = f"{tool} alone"

    def available(self):
        self.available_reason = {
            "opj_compress": "opj_compress not installed (Debian libopenjp2-tools)",
            "ojph_compress": "ojph_compress not installed (Debian openjph-tools)",
            "grk_compress": "grk_compress not installed (Debian grokj2k-tools)",
        }[self.tool]
        return shutil.which(self.tool) is not None

    def run(self, ctx, rate, out, log):
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        raw = ctx.raw_dir
        geometry = f"{ctx.columns},{ctx.rows},1,{ctx.bits_stored},{'s' if ctx.signed else 'u'}"
        env = dict(os.environ, OPJ_NUM_THREADS=str(self.threads))
        if self.tool in ("opj_compress", "grk_compress"):
            # One process over the whole folder, as fast as the tool goes. opj_compress -ImgDir
            # writes next to its inputs, so it gets hard links of the raw files in `out`.
            if self.tool == "opj_compress":
                for f in raw.glob("*.rawl"):
                    os.link(f, out / f.name)
                command = [self.tool, "-ImgDir", str(out), "-OutFor", "J2K", "-threads", str(self.threads)]
            else:
                command = [self.tool, "-y", str(raw), "-O", "J2K", "-a", str(out), "-H", str(self.threads)]
            command += ["-F", geometry, "-n", str(ctx.levels)]
            if rate != "lossless":
                # Their -r is against Bits Stored; ours against the stored (allocated) bytes.
                command += ["-I", "-r", f"{rate * ctx.bits_stored / ctx.bits_allocated:.4f}"]
            timing = timed(command, log, env=env)
            for f in out.glob("*.rawl"):
                f.unlink()
            return timing
        # ojph_compress: one file per process, serially, under one shell so GNU time sums them.
        step = None if rate == "lossless" else ctx.ojph_qstep(rate, log)
        args = (f"-num_decomps {ctx.levels - 1} -block_size '{{64,64}}' "
                + ("-reversible true" if step is None else f"-qstep {step:.7g}")
                + f" -dims '{{{ctx.columns},{ctx.rows}}}' -num_comps 1 -signed false"
                + f" -bit_depth {ctx.bits_stored} -downsamp '{{1,1}}'")
        script = (f'for f in "{raw}"/*.yuv; do b=$(basename "$f" .yuv); '
                  f'ojph_compress -i "$f" -o "{out}/$b.jph" {args} >/dev/null || exit 1; done')
        timing = timed(["sh", "-c", script], log)
        timing["qstep"] = step
        return timing


class BenchEncoder(Contender):
    """`dicom-j2k bench --encoder-only`: OpenJPEG in process with exactly the job's settings (its
    per-frame rate search included), every frame once on one thread, no I/O: the job's own limit.
    Its codestreams are not written out (they are the job's), so it has no quality figures."""

    group = "encoder"
    output = "none"
    key = "bench-encoder-1t"
    label = "OpenJPEG in process alone (bench)"

    def run(self, ctx, rate, out, log):
        out.mkdir(parents=True, exist_ok=True)
        json_path = out / "bench.json"
        command = [ctx.binary, "bench", "--study", str(ctx.study), "--encoder-only", "--repeat", "1",
                   "--rate", "1" if rate == "lossless" else str(rate), "--json", str(json_path)]
        process = timed(command, log)
        try:
            alone = json.loads(json_path.read_text())["encoderAlone"]
            # The encode loop's own figures (thread CPU time), not the process's study loading.
            return {"wall": alone["wallSeconds"], "user": alone["cpuSeconds"], "system": None,
                    "cpu": alone["cpuSeconds"], "peakRSSMB": None, "status": process["status"],
                    "processWall": process["wall"]}
        except (OSError, ValueError, KeyError):
            return {**process, "status": process["status"] or 1}


def ojph_encode(raw: pathlib.Path, out: pathlib.Path, ctx, step) -> int:
    """One ojph_compress encode of one raw file (used to calibrate the quantization step)."""
    args = ["ojph_compress", "-i", str(raw), "-o", str(out), "-num_decomps", str(ctx.levels - 1),
            "-block_size", "{64,64}", "-dims", f"{{{ctx.columns},{ctx.rows}}}", "-num_comps", "1",
            "-signed", "false", "-bit_depth", str(ctx.bits_stored), "-downsamp", "{1,1}"]
    args += ["-reversible", "true"] if step is None else ["-qstep", f"{step:.7g}"]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return out.stat().st_size


# --- Quality: every output decoded with pydicom + pylibjpeg-openjpeg, the same way for all ---

_ORIGINALS: dict = {}


def _decode_one(task):
    """(name, kind, payload) -> per-file figures; runs in a worker process."""
    import io

    import numpy as np

    name, kind, payload = task
    original = _ORIGINALS.get(name)
    if original is None:
        return {"name": name, "problem": "no original of this name"}
    try:
        if kind == "codestream":
            import openjpeg

            codestream = pathlib.Path(payload).read_bytes()
            decoded = openjpeg.decode(codestream)
            if payload.endswith(".jph"):  # encoded from unsigned, offset samples (run.py)
                decoded = decoded.astype(np.int64) - original.get("offset", 0)
            codestream_bytes, file_bytes = len(codestream), None
        else:
            import pydicom
            from pydicom.encaps import generate_fragments

            data = payload if isinstance(payload, bytes) else pathlib.Path(payload).read_bytes()
            ds = pydicom.dcmread(io.BytesIO(data))
            if not ds.file_meta.TransferSyntaxUID.is_compressed:
                return {"name": name, "problem": "output is not compressed"}
            codestream_bytes = sum(len(f) for f in generate_fragments(ds.PixelData))
            decoded = ds.pixel_array
            file_bytes = len(data)
        decoded = np.asarray(decoded).reshape(original["pixels"].shape).astype(np.int64)
        diff = decoded - original["pixels"]
        squares = float(np.square(diff, dtype=np.float64).sum())
        return {
            "name": name,
            "squares": squares,
            "samples": int(diff.size),
            "maxError": int(np.abs(diff).max()),
            "codestreamBytes": codestream_bytes,
            "fileBytes": file_bytes,
        }
    except Exception as error:  # noqa: BLE001 - a file that does not decode is a failure of the run
        return {"name": name, "problem": f"{type(error).__name__}: {error}"[:300]}


def measure_outputs(ctx, contender, out: pathlib.Path, workers: int) -> dict:
    """Sizes and quality of one run's outputs against the originals."""
    import math
    import multiprocessing
    import zipfile

    if contender.output == "none":
        return {"files": 0, "failures": 0, "problems": [], "outputBytes": None, "codestreamBytes": None,
                "pixelRatio": None, "fileRatio": None, "psnr": None, "psnrMin": None, "maxError": None,
                "perSlicePSNR": {}, "perSliceRatio": {}}
    _ORIGINALS.clear()
    _ORIGINALS.update(ctx.originals)  # the workers (forked below) read them from here
    tasks = []
    if contender.output == "zip":
        zip_path = out / "job.zip"
        if zip_path.exists():
            with zipfile.ZipFile(zip_path) as archive:
                for info in archive.infolist():
                    base = pathlib.PurePosixPath(info.filename).name
                    if base in _ORIGINALS:
                        tasks.append((base, "dicom", archive.read(info)))
    elif contender.output == "dicom":
        tasks = [(f.name, "dicom", str(f)) for f in sorted(out.glob("*.dcm"))]
    else:
        for f in sorted(out.iterdir()):
            if f.suffix.lower() in (".j2k", ".jph"):
                tasks.append((f.stem + ".dcm", "codestream", str(f)))
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        results = pool.map(_decode_one, tasks, chunksize=4)
    seen = {r["name"] for r in results}
    problems = [f"{r['name']}: {r['problem']}" for r in results if "problem" in r]
    problems += [f"{name}: no output" for name in ctx.originals if name not in seen]
    good = [r for r in results if "problem" not in r]
    peak = float((1 << ctx.bits_stored) - 1)

    def psnr(squares, samples):
        return math.inf if squares == 0 else 10 * math.log10(peak * peak / (squares / samples))

    per_slice = {r["name"]: psnr(r["squares"], r["samples"]) for r in good}
    squares = sum(r["squares"] for r in good)
    samples = sum(r["samples"] for r in good)
    codestream = sum(r["codestreamBytes"] for r in good)
    pixel_bytes = sum(ctx.originals[r["name"]]["pixelBytes"] for r in good)
    file_out = sum(r["fileBytes"] for r in good if r["fileBytes"] is not None)
    file_in = sum(ctx.originals[r["name"]]["fileBytes"] for r in good if r["fileBytes"] is not None)
    if contender.output == "zip":
        output_bytes = (out / "job.zip").stat().st_size if (out / "job.zip").exists() else 0
    elif contender.output == "dicom":
        output_bytes = file_out
    else:
        output_bytes = codestream
    return {
        "files": len(good),
        "failures": len(problems),
        "problems": problems[:10],
        "outputBytes": output_bytes,
        "codestreamBytes": codestream,
        "pixelRatio": pixel_bytes / codestream if codestream else None,
        "fileRatio": file_in / file_out if file_out else None,
        "psnr": psnr(squares, samples) if samples else None,
        "psnrMin": min(per_slice.values()) if per_slice else None,
        "maxError": max((r["maxError"] for r in good), default=None),
        "perSlicePSNR": per_slice,
        "perSliceRatio": {r["name"]: ctx.originals[r["name"]]["pixelBytes"] / r["codestreamBytes"] for r in good if r["codestreamBytes"]},
    }


def all_contenders(cores: int) -> list[Contender]:
    threads = sorted({1, min(2, max(1, cores))})
    contenders: list[Contender] = [Job(t) for t in threads]
    contenders += [Job(threads[-1], htj2k=True), Job(threads[-1], quality=True)]
    contenders += [GDCMPool(p) for p in threads]
    contenders.append(PydicomProcess())
    contenders += [BenchEncoder(), Encoder("opj_compress"), Encoder("ojph_compress"), Encoder("grk_compress")]
    return contenders


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "pydicom-encode":
        sys.exit(pydicom_encode(sys.argv[2], sys.argv[3], sys.argv[4] if sys.argv[4] == "lossless" else sys.argv[4]))
    print("usage: contenders.py pydicom-encode SOURCE DEST RATE|lossless", file=sys.stderr)
    sys.exit(2)
