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
ensure_python_venv
log "pydicom test files: $DICOM_J2K_PYDICOM_TEST_FILES"

log "building (first build with async-http-client takes several minutes)"
swift build --build-tests >&2

log "running swift test"
swift test --skip-build "$@"
