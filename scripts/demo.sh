#!/usr/bin/env bash
# The product's flow end to end on this machine: installs what is missing, builds, starts LocalStack
# (S3 + SQS) on the host, generates the deterministic sample CT study, uploads it, enqueues one job
# the way a producer does, runs the SQS worker until the job is done, downloads the ZIP and prints a
# short summary of the result JSON (the whole JSON goes to a file).
#
#   scripts/demo.sh [extra `dicom-j2k enqueue` options, e.g. --rate 50, --lossless, --htj2k, --anonymize]
#
# Environment (all optional):
#   DEMO_DIR     where the study, the ZIP and result.json go (default /tmp/dicom-j2k-demo)
#   DEMO_SLICES  slices of the sample study (default 399, about 200 MB)
#   DEMO_BUILD   release (default) or debug: debug reuses the build of scripts/test.sh
#   DEMO_CHECK   1: also decode every ZIP entry with pydicom (the test venv) and fail if one does not
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/deps.sh

DEMO_DIR=${DEMO_DIR:-/tmp/dicom-j2k-demo}
DEMO_SLICES=${DEMO_SLICES:-399}
DEMO_BUILD=${DEMO_BUILD:-release}
DEMO_CHECK=${DEMO_CHECK:-0}
mkdir -p "$DEMO_DIR"

# A progress line every 10 s while a long step runs: `with_progress "what" command…`.
with_progress() {
  local what=$1; shift
  "$@" &
  local pid=$! start=$SECONDS
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if kill -0 "$pid" 2>/dev/null && [ $(((SECONDS - start) % 10)) = 0 ]; then
      log "… $what ($((SECONDS - start)) s)"
    fi
  done
  wait "$pid"
}

ensure_apt_packages
case $DEMO_BUILD in
  release)
    log "step 1/7: building the release binary (the first build takes 10-15 minutes)"
    with_progress "building" swift build -c release --product dicom-j2k >"$DEMO_DIR/build.log" 2>&1 \
      || { tail -30 "$DEMO_DIR/build.log" >&2; die "the build failed (log: $DEMO_DIR/build.log)"; }
    tool=.build/release/dicom-j2k ;;
  debug)
    tool=.build/debug/dicom-j2k
    if [ ! -x "$tool" ]; then
      log "step 1/7: building the debug binary"
      with_progress "building" swift build --product dicom-j2k >"$DEMO_DIR/build.log" 2>&1 \
        || { tail -30 "$DEMO_DIR/build.log" >&2; die "the build failed (log: $DEMO_DIR/build.log)"; }
    else
      log "step 1/7: using the existing debug build ($tool)"
    fi ;;
  *) die "DEMO_BUILD must be release or debug" ;;
esac

log "step 2/7: starting LocalStack (S3 + SQS on 127.0.0.1; the first start installs it, about 2 minutes)"
if [ -n "${AWS_ENDPOINT_URL:-}" ] && [ -n "${LOCALSTACK_BUCKET:-}" ] && [ -n "${LOCALSTACK_QUEUE_URL:-}" ]; then
  log "using the emulator at $AWS_ENDPOINT_URL"
else
  exports=$(localstack/start.sh) || die "LocalStack did not start (see above; README, Troubleshooting)"
  eval "$exports"
  if [ "${LOCALSTACK_STARTED_HERE:-0}" = 1 ]; then trap 'localstack/start.sh stop' EXIT; fi
fi
tool=$(realpath "$tool")
bucket=$LOCALSTACK_BUCKET
queue=$LOCALSTACK_QUEUE_URL
run_id=$(date -u +%Y%m%d-%H%M%S)
source_uri="s3://$bucket/download/demo-$run_id/"
target_uri="s3://$bucket/compressed/"
export RESULTS_URI="s3://$bucket/results/" QUEUE_URL=$queue ALLOWED_BUCKETS=$bucket

study="$DEMO_DIR/study-$DEMO_SLICES"
if [ ! -f "$study.complete" ]; then
  rm -rf "$study"
  log "step 3/7: generating a $DEMO_SLICES-slice sample CT study in $study"
  "$tool" sample-study --out "$study" --slices "$DEMO_SLICES" >/dev/null
  touch "$study.complete"  # beside the folder, not in it: every file in it is an input
else
  log "step 3/7: reusing the sample study in $study"
fi

log "step 4/7: uploading the study to $source_uri"
upload() { "$tool" s3 cp "$study/$1" "$source_uri$1" >/dev/null; }
export -f upload; export tool study source_uri
# shellcheck disable=SC2016
with_progress "uploading $(find "$study" -type f | wc -l) files" \
  bash -c 'cd "$study" && find . -type f -printf "%P\n" | sort | xargs -P 4 -I{} bash -c "upload {}"'

log "step 5/7: enqueueing the job as a producer would"
receipt=$("$tool" enqueue --source "$source_uri" --target "$target_uri" --queue-url "$queue" "$@")
task_id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["taskId"])' <<<"$receipt")
log "queued task $task_id; the same message by hand would be:"
echo "  aws --endpoint-url $AWS_ENDPOINT_URL sqs send-message --queue-url $queue \\" >&2
echo "    --message-body '{\"taskId\":\"$task_id\",\"s3SourceUri\":\"$source_uri\",\"s3TargetUri\":\"$target_uri\"}'" >&2

log "step 6/7: running the SQS worker (dicom-j2k poll) until the job is done"
status=""
for _ in 1 2 3 4 5; do
  with_progress "the worker is running the job" \
    "$tool" poll --queue-url "$queue" --max-jobs 1 --idle-exit 30 2>>"$DEMO_DIR/worker.log" >>"$DEMO_DIR/metrics.log"
  "$tool" status "$task_id" >"$DEMO_DIR/result.json" 2>/dev/null || true
  status=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("result", d).get("status",""))' \
    <"$DEMO_DIR/result.json" 2>/dev/null || true)
  # Another message may have been first in the shared queue: keep polling until ours has ended.
  [ "$status" = completed ] || [ "$status" = failed ] && break
done
[ "$status" = completed ] || die "the job ended '$status' (result: $DEMO_DIR/result.json, worker log: $DEMO_DIR/worker.log)"

log "step 7/7: downloading the ZIP"
zip_uri=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("result", d)["s3CompressedPath"])' <"$DEMO_DIR/result.json")
zip_file="$DEMO_DIR/$(basename "$zip_uri")"
"$tool" s3 cp "$zip_uri" "$zip_file" >/dev/null

python3 - "$DEMO_DIR/result.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
r = doc.get("result", doc)
s, q, d = r["compressionStats"], r.get("quality") or {}, r["compressionStats"]["display"]
rows = [
    ("task", r["taskId"]),
    ("status", r["status"]),
    ("files", f'{s["processedFiles"]} ({s["compressedFiles"]} compressed, {s["copiedFiles"]} copied, {s["failedFiles"]} failed)'),
    ("size", f'{d["originalSize"]} -> {d["compressedSize"]}'),
    ("ratio", f'{d["compressionRatio"]} files, {d["pixelDataRatio"]} pixel data'),
    ("time", f'{s["processingTime"]:.1f} s (download {s["downloadTime"]:.1f} s, compression {s["compressionTime"]:.1f} s, upload {s["uploadTime"]:.1f} s; overlapping)'),
    ("queue wait", f'{s["queueWaitTime"]:.1f} s'),
    ("CPU", f'peak {s["cpuPeak"]:.0f}% of one core, {s["cpuTimeUser"]:.1f} s user + {s["cpuTimeSystem"]:.1f} s system'),
    ("memory", f'peak {s["memoryPeak"] / 1048576:.0f} MB'),
    ("quality", (f'PSNR min {q["psnrMin"]:.1f} dB, mean {q["psnrMean"]:.1f} dB, max error {q["maxAbsError"]} ({q["filesChecked"]} files checked)'
                 if q.get("psnrMin") is not None else f'exact (lossless), {q.get("filesChecked", 0)} files checked')),
    ("ZIP", r["s3CompressedPath"]),
]
width = max(len(k) for k, _ in rows)
print()
for k, v in rows:
    print(f"  {k.ljust(width)}  {v}")
print()
EOF

if [ "$DEMO_CHECK" = 1 ]; then
  ensure_python_venv
  check=$("$DICOM_J2K_PYTHON" Tests/python/zip_decode_check.py "$zip_file")
  python3 - "$check" <<'EOF' || die "a ZIP entry does not decode"
import json, sys
c = json.loads(sys.argv[1])
print(f'  pydicom decoded {c["decoded"]} of {len(c["entries"])} entries ({", ".join(sorted(c["transfer_syntaxes"]))})')
sys.exit(0 if c["decoded"] == len(c["entries"]) and not c["errors"] else 1)
EOF
fi
log "done. ZIP: $zip_file; result JSON: $DEMO_DIR/result.json; worker log: $DEMO_DIR/worker.log; EMF metrics: $DEMO_DIR/metrics.log"
