#!/usr/bin/env bash
# Runs every test of dicom-j2k on a fresh Debian 12 machine: installs the Debian and Python
# packages the tests need, starts LocalStack (unless AWS_ENDPOINT_URL points at one already),
# builds, and runs the Swift test suite, whose tests also call the independent decoders.
#
#   scripts/test.sh [extra `swift test` arguments, e.g. --filter DICOMTests]
#
# CI=true makes missing test data a failure instead of a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/deps.sh

ensure_apt_packages
# Chromium for the dashboard's headless-browser test (Tests/CompressionAPITests/DashboardBrowserTests.swift).
ensure_chromium
ensure_python_venv
log "pydicom test files: $DICOM_J2K_PYDICOM_TEST_FILES"

log "checking formatting (swift format, .swift-format)"
scripts/check-format.sh

log "linting the deploy templates (cfn-lint, checkov)"
scripts/check-deploy.sh

ensure_hadolint
log "linting the Dockerfile (hadolint $HADOLINT_VERSION)"
"$HADOLINT" Dockerfile

log "building (first build with async-http-client takes several minutes)"
swift build --build-tests >&2

# LocalStack for the S3/SQS integration tests (Tests/AWSClientsTests/LocalStack*). With
# AWS_ENDPOINT_URL set, that emulator is used as it is, and DICOM_J2K_TEST_BUCKET,
# DICOM_J2K_TEST_QUEUE_URL and DICOM_J2K_TEST_DLQ_URL must describe its resources. Otherwise
# localstack/start.sh installs and starts LocalStack (state in ~/.cache/dicom-j2k/localstack),
# and the LocalStack this script started is stopped when it exits; one already running is left alone.
if [ -n "${AWS_ENDPOINT_URL:-}" ]; then
  log "using the emulator at AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL"
  export DICOM_J2K_TEST_ENDPOINT=${DICOM_J2K_TEST_ENDPOINT:-$AWS_ENDPOINT_URL}
else
  localstack_exports=$(localstack/start.sh) || die "LocalStack did not start (see localstack/start.sh output above)"
  eval "$localstack_exports"
  if [ "${LOCALSTACK_STARTED_HERE:-0}" = 1 ]; then trap 'localstack/start.sh stop' EXIT; fi
  export DICOM_J2K_TEST_ENDPOINT=$AWS_ENDPOINT_URL
  export DICOM_J2K_TEST_BUCKET=$LOCALSTACK_BUCKET
  export DICOM_J2K_TEST_QUEUE_URL=$LOCALSTACK_QUEUE_URL
  export DICOM_J2K_TEST_DLQ_URL=$LOCALSTACK_DLQ_URL
fi
log "S3/SQS tests use $DICOM_J2K_TEST_ENDPOINT"

# Suites that measure real time (Lambda deadlines, poll backoff, visibility heartbeats) run in a
# second pass of their own: in the main pass, CPU-bound tests occupy Swift's cooperative threads and
# delay their timers by seconds. Extra arguments (e.g. --filter) run one pass as asked.
TIMED_SUITES='LambdaSQSEventHandlerTests|LambdaRuntimeLoopTests|SQSPollerFailureTests|SQSPollerTests|HardeningFaultTests'
if [ $# -gt 0 ]; then
  log "running swift test $*"
  swift test --skip-build "$@"
else
  log "running swift test (all but the timing suites)"
  swift test --skip-build --skip "$TIMED_SUITES"
  log "running swift test (the timing suites: $TIMED_SUITES)"
  swift test --skip-build --filter "$TIMED_SUITES"
  # The README's demo, on a small study with the debug build made above: a completed result and a
  # ZIP whose every entry pydicom decodes (issue: the demo must keep working on a fresh machine).
  log "running the demo (scripts/demo.sh) on a 12-slice study with the debug build"
  DEMO_SLICES=12 DEMO_BUILD=debug DEMO_CHECK=1 DEMO_DIR=$(mktemp -d) scripts/demo.sh >&2
  # The HTTP API fuzzed from docs/openapi.yaml (schemathesis), against a server and queue of its own.
  log "fuzzing the HTTP API (scripts/fuzz-api.sh)"
  DICOM_J2K_TEST_BUCKET=${DICOM_J2K_TEST_BUCKET:-${LOCALSTACK_BUCKET:-}} scripts/fuzz-api.sh >&2
  # The benchmark report's pipeline (issue 11) on a tiny study with the same debug build: every
  # contender, the charts, the pictures, and a report whose every number is from the run. It
  # writes into a temporary folder, never over the committed benchmarks/REPORT.md.
  log "running the quick benchmark (benchmarks/run.sh --quick) with the debug build"
  bench_out=$(mktemp -d)
  benchmarks/run.sh --quick --out "$bench_out" >&2
  python3 benchmarks/check_report.py "$bench_out"
fi

# The container check needs a release build (many minutes), so it runs only on request.
if [ "${DICOM_J2K_CHECK_CONTAINER:-0}" = 1 ]; then
  log "checking the Dockerfile's runtime stage (scripts/check-container.sh: release build, debootstrap, chroot)"
  scripts/check-container.sh
fi
