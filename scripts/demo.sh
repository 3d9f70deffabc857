#!/usr/bin/env bash
# The main job end to end on the embedded default: installs what the build needs, builds the
# release binary, generates the deterministic 399-slice sample CT study, compresses it at rate 100
# with `dicom-j2k run` (in-process OpenJPEG, bounded thread pool, streaming ZIP) and prints the
# result JSON and a summary.
#
#   scripts/demo.sh [extra `dicom-j2k run` options, e.g. --rate 50 or --lossless]
#
# Environment: DEMO_DIR (default /tmp/dicom-j2k-demo) holds the study, the ZIP and result.json;
# DEMO_SLICES (default 399) sizes the study.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/deps.sh

DEMO_DIR=${DEMO_DIR:-/tmp/dicom-j2k-demo}
DEMO_SLICES=${DEMO_SLICES:-399}

ensure_apt_packages
log "building the release binary (the first build takes several minutes)"
swift build -c release --product dicom-j2k >&2
tool=.build/release/dicom-j2k

study="$DEMO_DIR/study-$DEMO_SLICES"
# The study is deterministic, so it is generated once; the marker sits beside it, not in it (every
# file in the folder is an input of the job).
if [ ! -f "$study.complete" ]; then
  rm -rf "$study"
  log "generating a $DEMO_SLICES-slice sample CT study in $study"
  "$tool" sample-study --out "$study" --slices "$DEMO_SLICES"
  touch "$study.complete"
fi

mkdir -p "$DEMO_DIR/out"
log "compressing: dicom-j2k run --source $study --target $DEMO_DIR/out/ $*"
status=0
"$tool" run --source "$study" --target "$DEMO_DIR/out/" --result "$DEMO_DIR/result.json" "$@" || status=$?
log "result JSON: $DEMO_DIR/result.json; ZIPs: $DEMO_DIR/out/"
exit $status
