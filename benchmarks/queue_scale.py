"""Concurrency through the queue, scaling with study size, and Lambda cost (issue 11, items 3-5).

benchmarks/run.py imports this module; it also runs alone for development:

    python3 benchmarks/queue_scale.py --binary .build/release/dicom-j2k --quick

Interface (fixed with the main script):

    measure(binary: str, work: pathlib.Path, quick: bool, log) -> dict   # log: a callable taking one str
    charts(data: dict, out: pathlib.Path) -> list[str]                   # PNG names written into out
    markdown(data: dict, fmt) -> str                                     # "Concurrency", "Scaling", "Cost"

KEYS, the parts of measure()'s data the recommendation may quote (times in seconds, memory in MiB
labelled MB as the result JSON's display does, money in US dollars):

    data["concurrency"]["runs"] = [{
        jobs, workers, workerThreads,          # jobs enqueued, `dicom-j2k poll` processes, WORKER_THREADS each
        studiesPerMinute,                      # jobs / (last completion - first enqueue) * 60
        latency{median,min,max},               # per job: queue wait + processing (result JSON)
        queueWait{median,min,max},             # per job: compressionStats.queueWaitTime
        processing{median,min,max},            # per job: compressionStats.processingTime
        peakRSSMB,                             # largest worker VmHWM (sampled /proc, 10 per second)
        maxThreads,                            # most threads at once, all workers and their children
        maxProcesses,                          # most processes at once: workers + their descendants
        failures}]                             # jobs that did not end `completed`
    data["concurrency"]["prototypeProcesses"]  # the prototype's "10 concurrent jobs" process count
    data["concurrency"]["slicesPerJob"]
    data["scaling"]["points"] = [{slices, repeats, wall{median,min,max}, cpuUser{median},
                                  peakRSSMB{median,min,max}, secondsPerSlice}]
    data["scaling"]["fit"] = {slope, intercept, r2}           # wall = intercept + slope * slices
    data["scaling"]["memoryRatio"]                            # peak RSS at the largest / smallest size
    data["cost"] = {memoryMB, perStudyUSD, per1000USD, prototypePerStudyUSD, prototypePer1000USD,
                    gbSecondUSD, requestUSD, pricesReadOn, region,
                    studySlices, durationSeconds, encodeSeconds, s3Seconds, gbSeconds}

Every job message goes to queues this module creates for itself (unique names, deleted at the end)
and every object under its own key prefix of the LocalStack bucket (deleted at the end).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import hmac
import json
import os
import pathlib
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ElementTree
from concurrent.futures import ThreadPoolExecutor

# ---- Prices (the only place they are written) ------------------------------------------------------
# AWS Lambda, x86 (x86_64), US East (N. Virginia), first duration tier, on-demand:
#   $0.0000166667 per GB-second (AWS rounds it to $0.00001667 in the whitepaper below) and
#   $0.20 per million requests ($0.0000002 per request).
# Read on 2026-12-02 from AWS's published pages (stored copies found with the session's search tool;
# this machine cannot browse): https://aws.amazon.com/lambda/pricing/ and
# https://docs.aws.amazon.com/whitepapers/latest/how-aws-pricing-works/lambda.html
PRICES = {
    "gbSecondUSD": 0.0000166667,
    "requestUSD": 0.20 / 1_000_000,
    "region": "us-east-1",
    "regionName": "US East (N. Virginia)",
    "architecture": "x86_64",
    "pricesReadOn": "2026-12-02",
    "sources": [
        "https://aws.amazon.com/lambda/pricing/",
        "https://docs.aws.amazon.com/whitepapers/latest/how-aws-pricing-works/lambda.html",
    ],
}

# The prototype's own figures (issue 11): its cost estimate was 70 s at 1 GB per study, and its
# "10 concurrent jobs" test spawned 3,990 processes (one gdcmconv per file, 399 files per job).
PROTOTYPE_SECONDS_PER_STUDY = 70.0
PROTOTYPE_MEMORY_GB = 1.0
PROTOTYPE_PROCESSES_10_JOBS = 3990

# Lambda gives one vCPU per 1,769 MB (deploy/README.md, "Sizing").
LAMBDA_MB_PER_VCPU = 1769

REPO = pathlib.Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "deploy" / "template.yaml"

# Sizes. Full: the concurrency part fits in about 8 minutes and everything in about 12 on the
# project's 2-core machine; quick: a CI smoke run of well under a minute of encoding.
FULL = {
    "slicesPerJob": 80,
    "jobs": 10,
    "scalingSlices": [100, 400, 1200],
    "repeats": 3,
    "costSlices": 400,
    "budgetSeconds": 12 * 60,
    "configurationTimeout": 300,
}
QUICK = {
    "slicesPerJob": 3,
    "jobs": 3,
    "scalingSlices": [4, 8, 16],
    "repeats": 1,
    "costSlices": 8,
    "budgetSeconds": 6 * 60,
    "configurationTimeout": 120,
}
RATE = 100
IDLE_EXIT_SECONDS = 8
SAMPLE_INTERVAL = 0.1
MIB = 1024 * 1024


# ---- LocalStack: configuration and a small SigV4 client (standard library only) ---------------------


def _localstack_environment() -> dict[str, str]:
    """AWS_* and LOCALSTACK_* from the environment, else from /tmp/localstack.env (export K=V lines)."""
    env = dict(os.environ)
    if not env.get("AWS_ENDPOINT_URL") or not env.get("LOCALSTACK_BUCKET"):
        path = pathlib.Path(os.environ.get("LOCALSTACK_ENV_FILE", "/tmp/localstack.env"))
        if path.exists():
            for line in path.read_text().splitlines():
                match = re.match(r"\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$", line)
                if match:
                    env.setdefault(match.group(1), match.group(2).strip().strip("'\""))
    missing = [k for k in ("AWS_ENDPOINT_URL", "LOCALSTACK_BUCKET") if not env.get(k)]
    if missing:
        raise RuntimeError(f"LocalStack is not configured: {', '.join(missing)} unset (see localstack/start.sh)")
    env.setdefault("AWS_ACCESS_KEY_ID", "test")
    env.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    env.setdefault("AWS_REGION", env["AWS_DEFAULT_REGION"])
    return env


class _AWS:
    """Signed requests to the emulator's S3 (path style) and SQS (JSON protocol)."""

    def __init__(self, env: dict[str, str]):
        self.endpoint = env["AWS_ENDPOINT_URL"].rstrip("/")
        self.region = env["AWS_REGION"]
        self.key = env["AWS_ACCESS_KEY_ID"]
        self.secret = env["AWS_SECRET_ACCESS_KEY"]
        self.token = env.get("AWS_SESSION_TOKEN")

    def _request(self, method, url, service, body=b"", headers=None, ok=(200, 204)):
        parts = urllib.parse.urlsplit(url)
        now = datetime.datetime.now(datetime.timezone.utc)
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        payload_hash = hashlib.sha256(body).hexdigest()
        signed = {k.lower(): v for k, v in (headers or {}).items()}
        signed.update({"host": parts.netloc, "x-amz-date": amz_date, "x-amz-content-sha256": payload_hash})
        if self.token:
            signed["x-amz-security-token"] = self.token
        query = "&".join(
            f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}"
            for k, v in sorted(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        )
        names = sorted(signed)
        canonical = "\n".join(
            [method, parts.path or "/", query, "".join(f"{n}:{signed[n].strip()}\n" for n in names),
             ";".join(names), payload_hash]
        )
        scope = f"{amz_date[:8]}/{self.region}/{service}/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        key = ("AWS4" + self.secret).encode()
        for part in (amz_date[:8], self.region, service, "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        signed["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self.key}/{scope}, SignedHeaders={';'.join(names)}, Signature={signature}"
        )
        request = urllib.request.Request(url, data=body if method in ("POST", "PUT") else None, method=method)
        for name, value in signed.items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            if error.code in ok:
                return error.code, error.read()
            raise RuntimeError(f"{service} {method} {parts.path}: HTTP {error.code} {error.read()[:300]!r}") from None

    def sqs(self, operation: str, payload: dict) -> dict:
        _, body = self._request(
            "POST", self.endpoint + "/", "sqs", json.dumps(payload).encode(),
            {"content-type": "application/x-amz-json-1.0", "x-amz-target": f"AmazonSQS.{operation}"},
        )
        return json.loads(body or b"{}")

    def _object_url(self, bucket: str, key: str) -> str:
        return f"{self.endpoint}/{bucket}/{urllib.parse.quote(key, safe='/-_.~')}"

    def get_object(self, bucket: str, key: str) -> bytes | None:
        status, body = self._request("GET", self._object_url(bucket, key), "s3", ok=(200, 404))
        return body if status == 200 else None

    def list_keys(self, bucket: str, prefix: str) -> list[str]:
        keys, token = [], None
        while True:
            query = {"list-type": "2", "prefix": prefix}
            if token:
                query["continuation-token"] = token
            url = f"{self.endpoint}/{bucket}?{urllib.parse.urlencode(query)}"
            _, body = self._request("GET", url, "s3")
            root = ElementTree.fromstring(body)
            ns = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
            keys += [e.text for e in root.iter(f"{ns}Key") if e.text]
            token = root.findtext(f"{ns}NextContinuationToken")
            if not token:
                return keys

    def delete_object(self, bucket: str, key: str) -> None:
        self._request("DELETE", self._object_url(bucket, key), "s3", ok=(200, 204, 404))


# ---- Child processes: rusage from wait4, /proc sampling ---------------------------------------------


class _Child:
    """A child process whose own rusage (wait4) is kept; never waited on by subprocess itself."""

    def __init__(self, command, env, stdout, stderr):
        self.command = command
        self.start = time.perf_counter()
        self.process = subprocess.Popen(command, env=env, stdout=stdout, stderr=stderr)
        self.pid = self.process.pid
        self.rusage = None
        self.wall = None

    @property
    def done(self) -> bool:
        if self.process.returncode is not None:
            return True
        pid, status, rusage = os.wait4(self.pid, os.WNOHANG)
        if pid == 0:
            return False
        self.wall = time.perf_counter() - self.start
        self.process.returncode = os.waitstatus_to_exitcode(status)
        self.rusage = rusage
        return True

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self.done:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    def stop(self) -> None:
        """SIGTERM (the worker's graceful shutdown), then SIGKILL; only this child, by its pid."""
        if self.done:
            return
        self.process.send_signal(signal.SIGTERM)
        if not self.wait(30):
            self.process.kill()
            self.wait(10)

    @property
    def returncode(self):
        return self.process.returncode


def _run(command, env, timeout=900) -> _Child:
    """Runs a command to its end (stdout discarded); raises with the end of its stderr when it fails."""
    with tempfile.TemporaryFile() as err:
        child = _Child(command, env, subprocess.DEVNULL, err)
        try:
            if not child.wait(timeout):
                raise RuntimeError(f"{command[1]} did not end within {timeout} s")
        finally:
            child.stop()
        if child.returncode != 0:
            err.seek(0)
            text = err.read().decode(errors="replace")
            raise RuntimeError(f"{' '.join(map(str, command[:3]))} exited {child.returncode}: {text[-2000:]}")
        return child


def _proc_status(pid: int) -> dict[str, str]:
    try:
        with open(f"/proc/{pid}/status") as handle:
            return dict(line.split(":", 1) for line in handle if ":" in line)
    except OSError:
        return {}


class _Sampler(threading.Thread):
    """About ten times a second: each root's VmHWM, and over the roots and all their descendants the
    number of processes and the sum of their threads."""

    def __init__(self, roots: list[int]):
        super().__init__(daemon=True)
        self.roots = set(roots)
        self.stopping = threading.Event()
        self.hwm_kb = {pid: 0 for pid in roots}
        self.threads_max = {pid: 0 for pid in roots}
        self.max_threads = 0
        self.max_processes = 0
        self.samples = 0

    def _tree(self) -> list[int]:
        parents = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat") as handle:
                    text = handle.read()
            except OSError:
                continue
            # Field 4 (ppid) comes after the command name, which is in parentheses and may hold spaces.
            fields = text[text.rfind(")") + 2:].split()
            if len(fields) > 1:
                parents[int(entry.name)] = int(fields[1])
        members = [pid for pid in parents if pid in self.roots]
        known = set(members)
        changed = True
        while changed:
            changed = False
            for pid, parent in parents.items():
                if parent in known and pid not in known:
                    known.add(pid)
                    members.append(pid)
                    changed = True
        return members

    def run(self) -> None:
        while not self.stopping.is_set():
            members = self._tree()
            threads = 0
            alive = 0
            for pid in members:
                status = _proc_status(pid)
                if not status:
                    continue
                alive += 1
                count = int(status.get("Threads", "0").split()[0] or 0)
                threads += count
                if pid in self.roots:
                    hwm = status.get("VmHWM")
                    if hwm:
                        self.hwm_kb[pid] = max(self.hwm_kb[pid], int(hwm.split()[0]))
                    self.threads_max[pid] = max(self.threads_max[pid], count)
            self.max_threads = max(self.max_threads, threads)
            self.max_processes = max(self.max_processes, alive)
            self.samples += 1
            self.stopping.wait(SAMPLE_INTERVAL)

    def finish(self) -> None:
        self.stopping.set()
        self.join(5)


# ---- Small statistics -------------------------------------------------------------------------------


def _summary(values: list[float]) -> dict:
    values = [v for v in values if v is not None]
    if not values:
        return {"median": None, "min": None, "max": None}
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def _linear_fit(xs: list[float], ys: list[float]) -> dict:
    """Least squares y = intercept + slope * x, with R²."""
    n = len(xs)
    if n < 2:
        return {"slope": None, "intercept": None, "r2": None}
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
    intercept = my - slope * mx
    ss_tot = sum((y - my) ** 2 for y in ys)
    ss_res = sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, ys))
    return {"slope": slope, "intercept": intercept, "r2": 1 - ss_res / ss_tot if ss_tot else 1.0}


def _cores() -> int:
    """The cores this process may run on (the affinity mask, not the machine's count)."""
    return len(os.sched_getaffinity(0)) or 1


def _parse_date(text: str | None) -> float | None:
    if not text:
        return None
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


# ---- Studies ----------------------------------------------------------------------------------------


def _study(binary: str, work: pathlib.Path, slices: int, env, log) -> pathlib.Path:
    """The deterministic sample study of `slices` slices, generated once per work folder."""
    folder = work / "studies" / f"slices-{slices}"
    marker = work / "studies" / f"slices-{slices}.complete"  # beside the folder: every file in it is input
    if marker.exists() and folder.is_dir():
        return folder
    log(f"generating a {slices}-slice sample study")
    folder.parent.mkdir(parents=True, exist_ok=True)
    if folder.exists():
        for path in sorted(folder.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
    _run([binary, "sample-study", "--out", str(folder), "--slices", str(slices)], env)
    marker.touch()
    return folder


# ---- 1. Concurrency through the queue ---------------------------------------------------------------


def _create_queue_pair(aws: _AWS, name: str) -> tuple[str, str]:
    dlq = aws.sqs("CreateQueue", {"QueueName": name + "-dlq"})["QueueUrl"]
    arn = aws.sqs("GetQueueAttributes", {"QueueUrl": dlq, "AttributeNames": ["QueueArn"]})["Attributes"]["QueueArn"]
    queue = aws.sqs(
        "CreateQueue",
        {
            "QueueName": name,
            "Attributes": {
                "VisibilityTimeout": "120",
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": "3"}),
            },
        },
    )["QueueUrl"]
    return queue, dlq


def _queue_count(aws: _AWS, url: str) -> int:
    attributes = aws.sqs(
        "GetQueueAttributes",
        {"QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]},
    ).get("Attributes", {})
    return sum(int(v) for v in attributes.values())


def _wait_for_log(path: pathlib.Path, text: str, children: list[_Child], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text(errors="replace").count(text) >= len(children):
            return
        if any(c.done for c in children):
            raise RuntimeError(f"a worker exited before polling: {path.read_text(errors='replace')[-2000:]}")
        time.sleep(0.05)
    raise RuntimeError(f"the workers did not start polling within {timeout} s")


def _concurrency_run(binary, aws, env, bucket, prefix, source_uri, name, jobs, workers, threads, timeout,
                     logs, log) -> dict:
    queue, dlq = _create_queue_pair(aws, name)
    worker_env = dict(env)
    worker_env.update({
        "QUEUE_URL": queue,
        "RESULTS_URI": f"s3://{bucket}/{prefix}results/",
        "ALLOWED_BUCKETS": bucket,
        "WORKER_THREADS": str(threads),
        "WORKER_VISIBILITY_TIMEOUT_SECONDS": "120",
        "LOG_LEVEL": "info",
    })
    log_path = logs / f"{name}-workers.log"
    metrics_path = logs / f"{name}-metrics.log"
    children: list[_Child] = []
    sampler = None
    task_ids, sent = [], []
    try:
        with open(log_path, "wb") as err, open(metrics_path, "wb") as out:
            for _ in range(workers):
                children.append(_Child(
                    [binary, "poll", "--queue-url", queue, "--max-jobs", str(jobs),
                     "--idle-exit", str(IDLE_EXIT_SECONDS)],
                    worker_env, out, err,
                ))
            sampler = _Sampler([c.pid for c in children])
            sampler.start()
            _wait_for_log(log_path, "Poller started", children, 60)
            first_enqueue = time.time()
            for index in range(jobs):
                task_id = f"{name}-{index:02d}"
                # One target prefix per job: jobs of one source and target that start in the same
                # second would pick the same generated ZIP name, and all but one would be retried.
                _run([binary, "enqueue", "--source", source_uri, "--target", f"s3://{bucket}/{prefix}out/{task_id}/",
                      "--rate", str(RATE), "--task-id", task_id, "--queue-url", queue], worker_env)
                task_ids.append(task_id)
                sent.append(time.time())
            deadline = time.monotonic() + timeout
            for child in children:
                if not child.wait(max(0.0, deadline - time.monotonic())):
                    log(f"{name}: a worker did not stop by itself within {timeout} s; stopping it")
    finally:
        for child in children:
            child.stop()  # no-op for the workers that ended by themselves
        if sampler:
            sampler.finish()
        leftover = None
        try:
            leftover = {"queue": _queue_count(aws, queue), "dlq": _queue_count(aws, dlq)}
        except Exception:  # the run's own outcome matters more than this check
            pass
        for url in (queue, dlq):
            try:
                aws.sqs("DeleteQueue", {"QueueUrl": url})
            except Exception as error:
                log(f"could not delete the queue {url}: {error}")

    jobs_data = []
    for task_id, sent_at in zip(task_ids, sent):
        raw = aws.get_object(bucket, f"{prefix}results/{task_id}.json")
        result = json.loads(raw) if raw else {}
        stats = result.get("compressionStats") or {}
        wait = stats.get("queueWaitTime")
        processing = stats.get("processingTime")
        latency = wait + processing if wait is not None and processing is not None else None
        jobs_data.append({
            "taskId": task_id,
            "status": result.get("status", "missing"),
            "sentAt": sent_at,
            "createdAt": result.get("createdAt"),
            "startedAt": result.get("startedAt"),
            "completedAt": result.get("completedAt"),
            "queueWait": wait,
            "processing": processing,
            "latency": latency,
            "completion": sent_at + latency if latency is not None else None,
            "downloadTime": stats.get("downloadTime"),
            "compressionTime": stats.get("compressionTime"),
            "uploadTime": stats.get("uploadTime"),
            "memoryPeakMB": stats["memoryPeak"] / MIB if "memoryPeak" in stats else None,
            "cpuTimeUser": stats.get("cpuTimeUser"),
            "attempt": (result.get("worker") or {}).get("attempt"),
        })
    completed = [j for j in jobs_data if j["status"] == "completed" and j["completion"] is not None]
    span = max(j["completion"] for j in completed) - first_enqueue if completed else None
    # The result's dates have whole seconds; the same span from them, as a check.
    completed_at = [_parse_date(j["completedAt"]) for j in completed if j["completedAt"]]
    created_at = [_parse_date(j["createdAt"]) for j in jobs_data if j["createdAt"]]
    return {
        "name": name,
        "jobs": jobs,
        "workers": workers,
        "workerThreads": threads,
        "studiesPerMinute": len(completed) / span * 60 if span else None,
        "spanSeconds": span,
        "spanFromResultDatesSeconds": (max(completed_at) - min(created_at)) if completed_at and created_at else None,
        "latency": _summary([j["latency"] for j in completed]),
        "queueWait": _summary([j["queueWait"] for j in completed]),
        "processing": _summary([j["processing"] for j in completed]),
        "peakRSSMB": max(sampler.hwm_kb.values()) / 1024 if sampler and sampler.hwm_kb else None,
        "peakRSSMBPerWorker": [sampler.hwm_kb[c.pid] / 1024 for c in children] if sampler else [],
        "resultMemoryPeakMB": max((j["memoryPeakMB"] or 0) for j in jobs_data) if jobs_data else None,
        "maxThreads": sampler.max_threads if sampler else None,
        "maxThreadsPerWorker": [sampler.threads_max[c.pid] for c in children] if sampler else [],
        "maxProcesses": sampler.max_processes if sampler else None,
        "samples": sampler.samples if sampler else 0,
        "workerCPUUser": [c.rusage.ru_utime if c.rusage else None for c in children],
        "workerExitCodes": [c.returncode for c in children],
        "failures": jobs - len(completed),
        "retried": sum(1 for j in jobs_data if (j["attempt"] or 1) > 1),
        "leftoverMessages": leftover,
        "jobsDetail": jobs_data,
    }


def _concurrency(binary, work, sizes, env, log, run_id) -> dict:
    aws = _AWS(env)
    bucket = env["LOCALSTACK_BUCKET"]
    prefix = f"queue-scale/{run_id}/"
    cores = _cores()
    slices = sizes["slicesPerJob"]
    study = _study(binary, work, slices, env, log)
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        files = sorted(p for p in study.rglob("*") if p.is_file())
        log(f"uploading the {slices}-slice study ({len(files)} files) to s3://{bucket}/{prefix}study/")
        upload_start = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda p: _run([binary, "s3", "cp", str(p),
                                           f"s3://{bucket}/{prefix}study/{p.relative_to(study).as_posix()}"], env),
                          files))
        upload_seconds = time.monotonic() - upload_start
        source_uri = f"s3://{bucket}/{prefix}study/"
        many = sizes["jobs"]
        plan = [(1, 1, cores), (many, 1, cores), (many, 2, max(1, cores // 2))]
        runs = []
        for index, (jobs, workers, threads) in enumerate(plan):
            name = f"qs-{run_id}-{index}"
            log(f"concurrency: {jobs} job(s), {workers} worker(s) with WORKER_THREADS={threads}")
            runs.append(_concurrency_run(binary, aws, env, bucket, prefix, source_uri, name, jobs, workers, threads,
                                         sizes["configurationTimeout"], logs, log))
            run = runs[-1]
            log(f"  {run['studiesPerMinute'] or 0:.2f} studies/min, latency median "
                f"{run['latency']['median'] or 0:.1f} s, peak RSS {run['peakRSSMB'] or 0:.0f} MB, "
                f"{run['maxThreads']} threads, {run['maxProcesses']} processes, {run['failures']} failed")
    finally:
        try:
            keys = aws.list_keys(bucket, prefix)
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(lambda k: aws.delete_object(bucket, k), keys))
        except Exception as error:
            log(f"could not remove s3://{bucket}/{prefix}: {error}")
    return {
        "slicesPerJob": slices,
        "studyBytes": sum(p.stat().st_size for p in files),
        "rate": RATE,
        "cores": cores,
        "idleExitSeconds": IDLE_EXIT_SECONDS,
        "uploadSeconds": upload_seconds,
        "prototypeProcesses": PROTOTYPE_PROCESSES_10_JOBS,
        "prototypeJobs": 10,
        "runs": runs,
        "seconds": time.monotonic() - started,
    }


# ---- 2. Scaling with the study size -----------------------------------------------------------------


def _scaling(binary, work, sizes, env, log, budget_end) -> dict:
    cores = _cores()
    out = work / "scaling"
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    points, notes = [], []
    for slices in sizes["scalingSlices"]:
        study = _study(binary, work, slices, env, log)
        repeats = sizes["repeats"]
        if points and repeats > 1:
            # Projected from the last size (time is linear in slices): drop to one run if over budget.
            previous = points[-1]
            projected = previous["wall"]["median"] * slices / previous["slices"]
            if time.monotonic() + projected * repeats > budget_end:
                repeats = 1
                notes.append(f"{slices} slices: n = 1 instead of n = {sizes['repeats']} to stay within the time budget")
                log(f"scaling: {slices} slices once only (time budget)")
        walls, users, systems, peaks, rus = [], [], [], [], []
        for index in range(repeats):
            zip_path = out / f"slices-{slices}-{index}.zip"
            result_path = out / f"slices-{slices}-{index}.json"
            child = _run([binary, "run", "--source", str(study), "--target", str(zip_path), "--rate", str(RATE),
                          "--threads", str(cores), "--result", str(result_path)], env)
            result = json.loads(result_path.read_text())
            if result.get("status") != "completed":
                raise RuntimeError(f"the {slices}-slice run ended {result.get('status')}")
            walls.append(child.wall)
            users.append(child.rusage.ru_utime)
            systems.append(child.rusage.ru_stime)
            peaks.append(result["compressionStats"]["memoryPeak"] / MIB)
            rus.append(child.rusage.ru_maxrss / 1024)
            zip_path.unlink(missing_ok=True)
            log(f"scaling: {slices} slices run {index + 1}/{repeats}: {child.wall:.1f} s wall, "
                f"{child.rusage.ru_utime:.1f} s user, peak RSS {peaks[-1]:.1f} MB")
        wall = _summary(walls)
        points.append({
            "slices": slices,
            "repeats": repeats,
            "studyBytes": sum(p.stat().st_size for p in study.rglob("*") if p.is_file()),
            "wall": wall,
            "walls": walls,
            "cpuUser": _summary(users),
            "cpuSystem": _summary(systems),
            "peakRSSMB": _summary(peaks),
            "ruMaxRSSMB": _summary(rus),
            "secondsPerSlice": wall["median"] / slices,
        })
    fit = _linear_fit([p["slices"] for p in points], [p["wall"]["median"] for p in points])
    smallest, largest = points[0], points[-1]
    return {
        "rate": RATE,
        "threads": cores,
        "points": points,
        "fit": fit,
        "memoryRatio": largest["peakRSSMB"]["median"] / smallest["peakRSSMB"]["median"],
        "notes": notes,
        "seconds": time.monotonic() - started,
    }


# ---- 3. Cost ----------------------------------------------------------------------------------------


def template_memory_mb(path: pathlib.Path = TEMPLATE) -> int:
    """The worker function's MemorySize in deploy/template.yaml: a number, or !Ref to a parameter's Default."""
    text = path.read_text()
    lines = text.splitlines()

    def block(name: str, indent: int) -> list[str]:
        for i, line in enumerate(lines):
            if line == " " * indent + name + ":":
                body = []
                for following in lines[i + 1:]:
                    if following.strip() and len(following) - len(following.lstrip()) <= indent:
                        break
                    body.append(following)
                return body
        raise ValueError(f"{path}: no {name} at indent {indent}")

    function = block("WorkerFunction", 2)
    value = next((m.group(1).strip() for line in function
                  if (m := re.match(r"\s+MemorySize:\s*(.+)$", line))), None)
    if value is None:
        raise ValueError(f"{path}: WorkerFunction has no MemorySize")
    ref = re.match(r"!Ref\s+(\w+)", value)
    if ref:
        parameter = block(ref.group(1), 2)
        value = next((m.group(1) for line in parameter if (m := re.match(r"\s+Default:\s*(\d+)", line))), None)
        if value is None:
            raise ValueError(f"{path}: parameter {ref.group(1)} has no Default")
    return int(value)


def _cost(concurrency: dict, scaling: dict, sizes: dict) -> dict:
    memory_mb = template_memory_mb()
    memory_gb = memory_mb / 1024  # Lambda bills MB / 1024 as GB
    slices = sizes["costSlices"]
    point = next((p for p in scaling["points"] if p["slices"] == slices), scaling["points"][len(scaling["points"]) // 2])
    encode = point["wall"]["median"]
    # S3 time beyond the encoding: the single queued job's processing time outside its compression
    # span (listing, the first downloads, the last upload and the result), scaled to the study size.
    single = next((r for r in concurrency["runs"] if r["jobs"] == 1), None)
    detail = next((j for j in (single or {}).get("jobsDetail", []) if j["status"] == "completed"), None)
    s3_per_slice = None
    if detail and detail["processing"] is not None and detail["compressionTime"] is not None:
        s3_per_slice = max(0.0, detail["processing"] - detail["compressionTime"]) / concurrency["slicesPerJob"]
    s3 = s3_per_slice * point["slices"] if s3_per_slice is not None else 0.0
    duration = encode + s3
    # The same study if the cores were its own: CPU time spread over the threads, plus the S3 time.
    cpu_bound = (point["cpuUser"]["median"] + (point.get("cpuSystem") or {}).get("median", 0.0)) / scaling["threads"] + s3
    cpu_bound_usd = memory_gb * cpu_bound * PRICES["gbSecondUSD"] + PRICES["requestUSD"]
    gb_seconds = memory_gb * duration
    per_study = gb_seconds * PRICES["gbSecondUSD"] + PRICES["requestUSD"]
    prototype = PROTOTYPE_SECONDS_PER_STUDY * PROTOTYPE_MEMORY_GB * PRICES["gbSecondUSD"] + PRICES["requestUSD"]
    return {
        "memoryMB": memory_mb,
        "vCPUs": memory_mb / LAMBDA_MB_PER_VCPU,
        "threads": scaling["threads"],
        "studySlices": point["slices"],
        "encodeSeconds": encode,
        "s3Seconds": s3,
        "s3SecondsPerSlice": s3_per_slice,
        "s3Phases": {k: detail[k] for k in ("processing", "downloadTime", "compressionTime", "uploadTime")}
        if detail else None,
        "durationSeconds": duration,
        "cpuBoundSeconds": cpu_bound,
        "cpuBoundPerStudyUSD": cpu_bound_usd,
        "cpuBoundPer1000USD": cpu_bound_usd * 1000,
        "gbSeconds": gb_seconds,
        "perStudyUSD": per_study,
        "per1000USD": per_study * 1000,
        "prototypeSeconds": PROTOTYPE_SECONDS_PER_STUDY,
        "prototypeMemoryGB": PROTOTYPE_MEMORY_GB,
        "prototypeGBSeconds": PROTOTYPE_SECONDS_PER_STUDY * PROTOTYPE_MEMORY_GB,
        "prototypePerStudyUSD": prototype,
        "prototypePer1000USD": prototype * 1000,
        "gbSecondUSD": PRICES["gbSecondUSD"],
        "requestUSD": PRICES["requestUSD"],
        "pricesReadOn": PRICES["pricesReadOn"],
        "region": PRICES["region"],
        "regionName": PRICES["regionName"],
        "architecture": PRICES["architecture"],
        "priceSources": PRICES["sources"],
    }


# ---- measure ----------------------------------------------------------------------------------------


def measure(binary: str, work: pathlib.Path, quick: bool, log) -> dict:
    """Runs the three parts; the returned dict is JSON-able (see KEYS at the top)."""
    log = log.info if hasattr(log, "info") else log  # a callable, or a logging.Logger
    binary = str(pathlib.Path(binary).resolve())
    work = pathlib.Path(work)
    work.mkdir(parents=True, exist_ok=True)
    sizes = QUICK if quick else FULL
    env = _localstack_environment()
    env.pop("WORKER_THREADS", None)
    run_id = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d%H%M%S") + "-" + secrets.token_hex(3)
    started = time.monotonic()
    began = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    load = {"start": os.getloadavg()[0]}
    concurrency = _concurrency(binary, work, sizes, env, log, run_id)
    load["afterConcurrency"] = os.getloadavg()[0]
    scaling = _scaling(binary, work, sizes, env, log, started + sizes["budgetSeconds"])
    load["end"] = os.getloadavg()[0]
    cost = _cost(concurrency, scaling, sizes)
    return {
        "quick": quick,
        "binary": binary,
        "startedAt": began,
        "seconds": time.monotonic() - started,
        "cores": _cores(),
        "nice": os.nice(0),
        # One-minute load averages: above the core count, other work shared the cores and the wall
        # times (and the cost from them) are longer than on a machine of one's own.
        "loadAverage": load,
        "concurrency": concurrency,
        "scaling": scaling,
        "cost": cost,
    }


# ---- charts -----------------------------------------------------------------------------------------


def charts(data: dict, out: pathlib.Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    points = data["scaling"]["points"]
    xs = [p["slices"] for p in points]

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for p in points:
        ax.scatter([p["slices"]] * len(p["walls"]), p["walls"], color="#9ecae1", s=18, zorder=2)
    ax.scatter(xs, [p["wall"]["median"] for p in points], color="#08519c", s=36, zorder=3, label="median")
    fit = data["scaling"]["fit"]
    if fit["slope"] is not None:
        line_x = [0, max(xs)]
        ax.plot(line_x, [fit["intercept"] + fit["slope"] * x for x in line_x], color="#e6550d", zorder=1,
                label=f"fit: {fit['slope'] * 1000:.1f} ms/slice, R² = {fit['r2']:.4f}")
    ax.set_xlabel("slices (512×512, 12 bits stored)")
    ax.set_ylabel("wall time, s")
    ax.set_title(f"dicom-j2k run: time against study size (rate {data['scaling']['rate']}, "
                 f"{data['scaling']['threads']} threads)")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "time-vs-size.png", dpi=110)
    plt.close(fig)
    written.append("time-vs-size.png")

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    med = [p["peakRSSMB"]["median"] for p in points]
    err = [[m - p["peakRSSMB"]["min"] for m, p in zip(med, points)],
           [p["peakRSSMB"]["max"] - m for m, p in zip(med, points)]]
    ax.errorbar(xs, med, yerr=err, fmt="o-", color="#31a354", capsize=4, label="peak RSS (the job's VmHWM)")
    ax.set_xlabel("slices")
    ax.set_ylabel("peak RSS, MB")
    ax.set_title(f"Memory against study size (largest ÷ smallest: {data['scaling']['memoryRatio']:.2f}×)")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0, top=max(med) * 1.6)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(out / "memory-vs-size.png", dpi=110)
    plt.close(fig)
    written.append("memory-vs-size.png")

    runs = data["concurrency"]["runs"]
    labels = [f"{r['jobs']} job{'s' if r['jobs'] != 1 else ''}\n{r['workers']} worker{'s' if r['workers'] != 1 else ''}"
              f" × {r['workerThreads']} thr" for r in runs]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.6, 4.2))
    left.bar(labels, [r["studiesPerMinute"] or 0 for r in runs], color="#3182bd")
    left.set_ylabel("studies per minute")
    left.set_title(f"Throughput ({data['concurrency']['slicesPerJob']} slices per study)")
    left.grid(axis="y", alpha=0.3)
    lat = [r["latency"]["median"] or 0 for r in runs]
    lat_err = [[m - (r["latency"]["min"] or m) for m, r in zip(lat, runs)],
               [(r["latency"]["max"] or m) - m for m, r in zip(lat, runs)]]
    wait = [r["queueWait"]["median"] or 0 for r in runs]
    right.bar(labels, lat, yerr=lat_err, capsize=4, color="#fd8d3c", label="latency (queue wait + processing)")
    right.bar(labels, wait, color="#bdbdbd", label="of which queue wait (median)")
    right.set_ylabel("seconds per job (median, min–max)")
    right.set_title("Latency per job")
    right.grid(axis="y", alpha=0.3)
    right.legend(fontsize=8, loc="upper left")
    right.set_ylim(top=max((r["latency"]["max"] or 0) for r in runs) * 1.35 or 1)
    fig.tight_layout()
    fig.savefig(out / "throughput-vs-workers.png", dpi=110)
    plt.close(fig)
    written.append("throughput-vs-workers.png")
    return written


# ---- markdown ---------------------------------------------------------------------------------------


def _range(fmt, summary: dict, digits: int) -> str:
    if summary.get("median") is None:
        return "–"
    return f"{fmt(summary['median'], digits)} ({fmt(summary['min'], digits)}–{fmt(summary['max'], digits)})"


def _opt(fmt, value, digits: int) -> str:
    return "–" if value is None else fmt(value, digits)


def _plural(fmt, count: int, word: str, plural: str | None = None) -> str:
    return f"{fmt(count, 0)} {word if count == 1 else plural or word + 's'}"


def markdown(data: dict, fmt) -> str:
    """The report's Concurrency, Scaling and Cost sections; every number goes through fmt(value, digits)."""
    c, s, k = data["concurrency"], data["scaling"], data["cost"]
    runs = c["runs"]
    lines = ["## Concurrency", ""]
    lines.append(
        f"The same {fmt(c['slicesPerJob'], 0)}-slice study (uploaded once to the LocalStack bucket) enqueued as "
        f"jobs with `dicom-j2k enqueue` on a queue of this run's own, taken by `dicom-j2k poll` workers started "
        f"before the first message (`--max-jobs`, `--idle-exit`); rate {fmt(c['rate'], 0)}, on "
        f"{_plural(fmt, c['cores'], 'core')}. Studies per minute count from the first enqueue to the last "
        f"completion; latency is each job's queue wait plus processing time from its result JSON; peak RSS, "
        f"threads and processes are sampled from /proc ten times a second over the workers and their children."
    )
    lines += ["", "| jobs | workers × threads | studies/min | latency s, median (min–max) | queue wait s | "
                  "processing s | peak RSS MB | most threads | most processes | failed |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        lines.append(
            f"| {fmt(r['jobs'], 0)} | {fmt(r['workers'], 0)} × {fmt(r['workerThreads'], 0)} | "
            f"{_opt(fmt, r['studiesPerMinute'], 2)} | {_range(fmt, r['latency'], 1)} | {_range(fmt, r['queueWait'], 1)} | "
            f"{_range(fmt, r['processing'], 1)} | {_opt(fmt, r['peakRSSMB'], 1)} | {_opt(fmt, r['maxThreads'], 0)} | "
            f"{_opt(fmt, r['maxProcesses'], 0)} | {fmt(r['failures'], 0)} |"
        )
    lines.append("")
    single = next((r for r in runs if r["jobs"] == 1), None)
    one = next((r for r in runs if r["jobs"] > 1 and r["workers"] == 1), None)
    two = next((r for r in runs if r["jobs"] > 1 and r["workers"] == 2), None)
    sentences = []
    if one and single and one["studiesPerMinute"] and single["studiesPerMinute"]:
        sentences.append(
            f"One worker took {_plural(fmt, one['jobs'], 'job')} at {fmt(one['studiesPerMinute'], 2)} studies per "
            f"minute against {fmt(single['studiesPerMinute'], 2)} for a single job; the jobs queue behind each "
            f"other, so the median latency went from {fmt(single['latency']['median'], 1)} s to "
            f"{fmt(one['latency']['median'], 1)} s (at most {fmt(one['latency']['max'], 1)} s) while each job's own "
            f"processing took a median of {fmt(one['processing']['median'], 1)} s."
        )
    if one and two and one["studiesPerMinute"] and two["studiesPerMinute"]:
        gain = two["studiesPerMinute"] / one["studiesPerMinute"]
        if gain > 1.05:
            why = "a second worker overlaps one job's S3 transfer and single-threaded stretches with the other's encoding"
        elif gain >= 0.95:
            why = "no real difference; the cores are the limit either way"
        else:
            why = "slower; each worker encodes on one thread, so a core idles whenever fewer jobs than workers are left"
        sentences.append(
            f"Two workers with {fmt(two['workerThreads'], 0)} thread{'' if two['workerThreads'] == 1 else 's'} each "
            f"(so the {_plural(fmt, c['cores'], 'core')} are not oversubscribed) reached "
            f"{fmt(two['studiesPerMinute'], 2)} studies per minute, {fmt(gain, 2)}× one worker with "
            f"{fmt(one['workerThreads'], 0)} threads ({why}); their median latency was "
            f"{fmt(two['latency']['median'], 1)} s against {fmt(one['latency']['median'], 1)} s."
        )
    biggest = max(runs, key=lambda r: r["jobs"])
    sentences.append(
        f"With {_plural(fmt, biggest['jobs'], 'job')} in the queue at most "
        f"{_plural(fmt, max(r['maxProcesses'] or 0 for r in runs), 'process', 'processes')} and "
        f"{fmt(max(r['maxThreads'] or 0 for r in runs), 0)} threads ran at once and no worker exceeded "
        f"{fmt(max(r['peakRSSMB'] or 0 for r in runs), 1)} MB; the prototype's test of "
        f"{fmt(c['prototypeJobs'], 0)} concurrent jobs spawned {fmt(c['prototypeProcesses'], 0)} processes "
        f"(one gdcmconv per file)."
    )
    failures = sum(r["failures"] for r in runs)
    retried = sum(r.get("retried", 0) for r in runs)
    if retried:
        verb = "was" if retried == 1 else "were"
        sentences.append(f"{_plural(fmt, retried, 'job')} {verb} delivered more than once (a retried attempt).")
    sentences.append("Every job completed." if failures == 0 else f"{_plural(fmt, failures, 'job')} did not complete.")
    lines += [" ".join(sentences), ""]

    lines += ["## Scaling", ""]
    lines.append(
        f"`dicom-j2k run` on local sample studies (rate {fmt(s['rate'], 0)}, "
        f"{_plural(fmt, s['threads'], 'thread')}); wall time from the driver, CPU from the kernel (`wait4`), "
        f"peak RSS as the job measured it (its VmHWM, in the result JSON)."
    )
    lines += ["", "| slices | runs | wall s, median (min–max) | CPU user s | peak RSS MB | s per slice |",
              "|---|---|---|---|---|---|"]
    for p in s["points"]:
        lines.append(
            f"| {fmt(p['slices'], 0)} | {fmt(p['repeats'], 0)} | {_range(fmt, p['wall'], 2)} | "
            f"{fmt(p['cpuUser']['median'], 2)} | {_range(fmt, p['peakRSSMB'], 1)} | {fmt(p['secondsPerSlice'], 4)} |"
        )
    fit = s["fit"]
    lines.append("")
    text = []
    if fit["slope"] is not None:
        text.append(
            f"{'Time grows linearly with the study' if fit['r2'] >= 0.98 else 'Time is not quite linear in the study size'}: "
            f"the least-squares line through the medians is "
            f"{fmt(fit['intercept'], 2)} s + {fmt(fit['slope'] * 1000, 2)} ms per slice with R² = "
            f"{fmt(fit['r2'], 4)}."
        )
    small, large = s["points"][0], s["points"][-1]
    text.append(
        f"{'Memory stays nearly flat' if s['memoryRatio'] <= 1.5 else 'Memory grows with the study'}: "
        f"the peak RSS at {fmt(large['slices'], 0)} slices is "
        f"{fmt(s['memoryRatio'], 2)}× that at {fmt(small['slices'], 0)} slices "
        f"({fmt(large['peakRSSMB']['median'], 1)} MB against {fmt(small['peakRSSMB']['median'], 1)} MB)."
    )
    for p in s["points"]:
        if p["repeats"] < max(q["repeats"] for q in s["points"]):
            text.append(
                f"The {fmt(p['slices'], 0)}-slice study ran {_plural(fmt, p['repeats'], 'time')} only, to keep the "
                f"whole benchmark within its time budget."
            )
    lines += [" ".join(text), ""]

    lines += ["## Cost", ""]
    lines.append(
        f"Lambda cost at the worker function's memory size in deploy/template.yaml, "
        f"{fmt(k['memoryMB'], 0)} MB ({fmt(k['vCPUs'], 1)} vCPUs; this run used "
        f"{_plural(fmt, k['threads'], 'thread')}). The billed time of a {fmt(k['studySlices'], 0)}-slice study is "
        f"the measured wall time of its `dicom-j2k run` ({fmt(k['encodeSeconds'], 2)} s, median) plus the S3 time "
        f"measured in the queue run ({fmt(k['s3Seconds'], 2)} s: the single job's processing time outside its "
        f"compression span, scaled to the study's slices; LocalStack on this machine's loopback, so S3 in a "
        f"region will take longer)."
    )
    lines += ["", "| | seconds per study | GB-seconds | per study USD | per thousand studies USD |",
              "|---|---|---|---|---|"]
    lines.append(
        f"| this run, {fmt(k['memoryMB'], 0)} MB | {fmt(k['durationSeconds'], 2)} | {fmt(k['gbSeconds'], 2)} | "
        f"{fmt(k['perStudyUSD'], 6)} | {fmt(k['per1000USD'], 3)} |"
    )
    if k.get("cpuBoundSeconds") is not None:
        lines.append(
            f"| the same, cores of its own (CPU time ÷ threads + S3) | {fmt(k['cpuBoundSeconds'], 2)} | "
            f"{fmt(k['cpuBoundSeconds'] * k['memoryMB'] / 1024, 2)} | {fmt(k['cpuBoundPerStudyUSD'], 6)} | "
            f"{fmt(k['cpuBoundPer1000USD'], 3)} |"
        )
    lines.append(
        f"| the prototype's estimate, {fmt(k['prototypeMemoryGB'], 0)} GB | {fmt(k['prototypeSeconds'], 0)} | "
        f"{fmt(k['prototypeGBSeconds'], 2)} | {fmt(k['prototypePerStudyUSD'], 6)} | "
        f"{fmt(k['prototypePer1000USD'], 3)} |"
    )
    lines.append("")
    ratio = k["perStudyUSD"] / k["prototypePerStudyUSD"]
    load = data.get("loadAverage") or {}
    shared = ""
    if load and max(load.values()) > data.get("cores", 1):
        shared = (
            f" The machine was shared (one-minute load average {fmt(min(load.values()), 1)} to "
            f"{fmt(max(load.values()), 1)} on {_plural(fmt, data['cores'], 'core')}), so the measured wall time is "
            f"longer than on cores of its own; the second row is the bound from the CPU time."
        )
    cpu_ratio = k["cpuBoundPerStudyUSD"] / k["prototypePerStudyUSD"] if k.get("cpuBoundPerStudyUSD") else None
    lines.append(
        f"From the measured wall time a study costs {fmt(ratio, 2)}× the prototype's own estimate"
        + (f", from the CPU time {fmt(cpu_ratio, 2)}×" if cpu_ratio is not None else "")
        + f".{shared} Prices: AWS Lambda on-demand, "
        f"{k['regionName']}, first duration tier, USD {fmt(k['gbSecondUSD'] * 1e6, 4)} per million GB-seconds of "
        f"duration and USD {fmt(k['requestUSD'] * 1e6, 2)} per million requests, as published by AWS "
        f"([Lambda pricing]({k['priceSources'][0]}), [How AWS Pricing Works: Lambda]({k['priceSources'][1]})), "
        f"read on {k['pricesReadOn']}. Free tier, S3 requests, SQS and data transfer are not included."
    )
    lines.append("")
    return "\n".join(lines)


# ---- alone, for development -------------------------------------------------------------------------


def _local_fmt(value, digits: int) -> str:
    return f"{value:,.{digits}f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=str(REPO / ".build" / "release" / "dicom-j2k"))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--work", default="/tmp/queue_scale-work")
    parser.add_argument("--out", default=None, help="folder for the JSON, the charts and the markdown")
    parser.add_argument("--from-json", default=None, help="skip measuring; render this data file")
    args = parser.parse_args()
    out = pathlib.Path(args.out or pathlib.Path(args.work) / "out")
    out.mkdir(parents=True, exist_ok=True)

    def log(message: str) -> None:
        print(f"[queue_scale {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    if args.from_json:
        data = json.loads(pathlib.Path(args.from_json).read_text())
        # Development: the cost is recomputed, so changes to it show without measuring again.
        data["cost"] = _cost(data["concurrency"], data["scaling"], QUICK if data["quick"] else FULL)
    else:
        data = measure(args.binary, pathlib.Path(args.work), args.quick, log)
        (out / "queue_scale.json").write_text(json.dumps(data, indent=2))
    names = charts(data, out)
    (out / "queue_scale.md").write_text(markdown(data, _local_fmt))
    log(f"wrote {out / 'queue_scale.json'}, {out / 'queue_scale.md'} and {', '.join(names)} "
        f"({data['seconds']:.0f} s of measuring)")
    print(markdown(data, _local_fmt))
    return 0


if __name__ == "__main__":
    sys.exit(main())
