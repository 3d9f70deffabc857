#!/usr/bin/env bash
# The benchmark report in one command, on a fresh Debian 12 machine: installs the tools
# (scripts/lib/deps.sh), builds the release binary, starts LocalStack if needed (for the queue
# sections), runs benchmarks/run.py and checks the report it wrote.
#
#   benchmarks/run.sh [--quick] [--slices N] [--repeat N] [--out DIR] [--budget-minutes M]
#
#   --quick       CI: a tiny study, one run each, two rates and lossless; uses the debug binary
#                 when one is built (no release build), finishes in about two minutes
#   --slices N    slices of the generated study (default 200, see docs/benchmarks.md; quick 8)
#   --repeat N    runs of each contender at each rate (default 3; quick 1)
#   --out DIR     where REPORT.md, charts/ and data/ go (default benchmarks/; quick: a new temporary folder)
#   --budget-minutes M   start no new rate after M minutes (the report says which were left out)
#   --work DIR    keep the scratch files (study, outputs of the picture slice) in DIR
#
# Settings: DICOM_J2K_SWIFT (default `swift`) is the build command; DICOM_J2K_BENCH_BINARY uses a
# binary as it is. Run the full benchmark at a low priority on a shared machine: nice -n 5 benchmarks/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/deps.sh

quick=0
out=benchmarks
out_given=0
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; args+=(--quick); shift ;;
    --slices|--repeat|--budget-minutes|--work) [ $# -ge 2 ] || die "$1 needs a value"; args+=("$1" "$2"); shift 2 ;;
    --out) [ $# -ge 2 ] || die "--out needs a folder"; out=$2; out_given=1; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see benchmarks/run.sh --help)" ;;
  esac
done
# A quick run never writes over the committed report: without --out it goes to a temporary folder.
if [ "$quick" = 1 ] && [ "$out_given" = 0 ]; then out=$(mktemp -d); fi
mkdir -p "$out"

ensure_apt_packages
ensure_bench_tools
ensure_bench_venv

swift=${DICOM_J2K_SWIFT:-swift}
if [ -n "${DICOM_J2K_BENCH_BINARY:-}" ]; then
  binary=$DICOM_J2K_BENCH_BINARY
elif [ "$quick" = 1 ] && [ -x .build/debug/dicom-j2k ]; then
  binary=.build/debug/dicom-j2k
  log "quick run with the debug binary already built ($binary)"
else
  log "building the release binary ($swift build -c release --product dicom-j2k)"
  $swift build -c release --product dicom-j2k >&2
  binary=.build/release/dicom-j2k
fi
[ -x "$binary" ] || die "no binary at $binary"

# LocalStack for queue_scale.py (concurrency through the queue), as scripts/test.sh does it.
if [ -z "${AWS_ENDPOINT_URL:-}" ]; then
  localstack_exports=$(localstack/start.sh) || die "LocalStack did not start (see localstack/start.sh output above)"
  eval "$localstack_exports"
  if [ "${LOCALSTACK_STARTED_HERE:-0}" = 1 ]; then trap 'localstack/start.sh stop' EXIT; fi
fi

log "running benchmarks/run.py ${args[*]:-} --out $out"
"$DICOM_J2K_BENCH_PYTHON" benchmarks/run.py --binary "$binary" --out "$out" "${args[@]}"
"$DICOM_J2K_BENCH_PYTHON" benchmarks/check_report.py "$out"
