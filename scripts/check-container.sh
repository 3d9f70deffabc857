#!/usr/bin/env bash
# Proves the Dockerfile's runtime stage complete without a Docker engine:
#
#   1. builds the release binary (`swift build -c release --static-swift-stdlib`);
#   2. checks that every shared library `ldd` lists comes from a package the runtime stage installs;
#   3. debootstraps a minimal Debian 12 root (`--variant=minbase`, cached under
#      ~/.cache/dicom-j2k/chroot) and installs exactly the runtime stage's packages, read from the
#      Dockerfile, so the two cannot drift; creates the user with the Dockerfile's own useradd line;
#   4. copies the binary in and, with chroot as the non-root user, writes a sample study and
#      compresses it (`dicom-j2k sample-study --slices 5`, `dicom-j2k run`);
#   5. checks the result JSON and the ZIP from outside.
#
#   scripts/check-container.sh            # needs root (debootstrap, chroot, mount)
#
# Settings: SWIFT (the swift command, default swift), DICOM_J2K_BINARY (use this binary, no build),
# DICOM_J2K_CACHE, DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/deps.sh

SWIFT=${SWIFT:-swift}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot and mount); run it with sudo"
for tool in debootstrap chroot; do
  command -v "$tool" >/dev/null || APT_PACKAGES=(debootstrap) ensure_apt_packages
done

# What the Dockerfile's runtime stage (`FROM … AS runtime`) does, read from the file itself:
# `packages` prints the words of its first `RUN … apt-get install` (options left out, up to the next
# `&&`), `useradd` its `RUN useradd …` command. Continuation lines are joined first.
dockerfile() {
  python3 - "$1" <<'PY'
import re, sys
text = re.sub(r"\\\n", " ", open("Dockerfile").read())
stage = None
for line in text.splitlines():
    line = line.strip()
    if re.match(r"FROM\s", line, re.I):
        stage = "runtime" if re.search(r"\sAS\s+runtime$", line, re.I) else "other"
    elif stage == "runtime" and line.startswith("RUN "):
        command = line[4:].strip()
        if sys.argv[1] == "packages" and "apt-get install" in command:
            words = re.search(r"apt-get install\s+(.*?)(&&|$)", command).group(1).split()
            print("\n".join(sorted(w for w in words if not w.startswith("-"))))
            break
        if sys.argv[1] == "useradd" and command.startswith("useradd "):
            print(command)
            break
PY
}
mapfile -t PACKAGES < <(dockerfile packages)
[ ${#PACKAGES[@]} -gt 0 ] || die "no runtime packages found in the Dockerfile"
USERADD=$(dockerfile useradd)
[ -n "$USERADD" ] || die "no useradd in the Dockerfile"
USER_ID=$(grep -m1 '^USER ' Dockerfile | awk '{print $2}')
log "runtime packages from the Dockerfile: ${PACKAGES[*]}; user $USER_ID"

# 1. The binary.
if [ -n "${DICOM_J2K_BINARY:-}" ]; then
  BINARY=$DICOM_J2K_BINARY
else
  log "building the release binary ($SWIFT build -c release --static-swift-stdlib)"
  "$SWIFT" build -c release --static-swift-stdlib --product dicom-j2k >&2
  BINARY=.build/release/dicom-j2k
fi
[ -x "$BINARY" ] || die "no executable at $BINARY"

# 2. Every library the binary links comes from a runtime package (libc6 is in every Debian root).
log "libraries the binary links:"
missing=()
while read -r library path; do
  [ -n "$path" ] || continue
  package=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -1 | cut -d: -f1) || package=""
  [ -n "$package" ] || package=$(dpkg -S "$path" 2>/dev/null | head -1 | cut -d: -f1) || package=""
  log "  $library -> ${package:-?}"
  case " libc6 ${PACKAGES[*]} " in *" $package "*) ;; *) missing+=("$library ($package)") ;; esac
done < <(ldd "$BINARY" | awk '/=>/ { print $1, $3 } !/=>/ && /^\t\// { print $1, $1 }')
[ ${#missing[@]} -eq 0 ] || die "the runtime stage lacks: ${missing[*]}"

# 3. The root: a cached minbase bootstrap, copied and given the runtime packages.
CHROOTS="$DICOM_J2K_CACHE/chroot"
BASE="$CHROOTS/bookworm-minbase"
mkdir -p "$CHROOTS"
if [ ! -f "$BASE/.complete" ]; then
  log "debootstrap --variant=minbase bookworm (about a minute, cached in $BASE)"
  rm -rf "$BASE.tmp"
  debootstrap --variant=minbase bookworm "$BASE.tmp" "$MIRROR" > "$CHROOTS/debootstrap.log" 2>&1 \
    || die "debootstrap failed; see $CHROOTS/debootstrap.log"
  touch "$BASE.tmp/.complete"
  rm -rf "$BASE"
  mv "$BASE.tmp" "$BASE"
fi
ROOT="$CHROOTS/runtime"
cleanup() {
  for mount in "$ROOT/proc" "$ROOT/dev"; do mountpoint -q "$mount" 2>/dev/null && umount -l "$mount"; done
  return 0
}
trap cleanup EXIT
cleanup
rm -rf "$ROOT"
cp -a "$BASE" "$ROOT"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
mount -t proc proc "$ROOT/proc"
mount --bind /dev "$ROOT/dev"
log "installing the runtime packages into the root"
chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
  sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends ${PACKAGES[*]} && rm -rf /var/lib/apt/lists/*" \
  > "$CHROOTS/apt.log" 2>&1 || die "apt-get install in the root failed; see $CHROOTS/apt.log"
chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin sh -c "$USERADD"
install -m 0755 "$BINARY" "$ROOT/usr/local/bin/dicom-j2k"
missing_in_root=$(chroot "$ROOT" ldd /usr/local/bin/dicom-j2k | grep 'not found' || true)
[ -z "$missing_in_root" ] || die "in the root: $missing_in_root"

# 4. A sample job, as the image's user, with an environment like the container's.
log "running a sample job in the root as user $USER_ID"
chroot --userspec="$USER_ID" "$ROOT" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp \
  sh -c 'cd /tmp && mkdir -p /tmp/out && dicom-j2k sample-study --slices 5 --out /tmp/study \
    && dicom-j2k run --source /tmp/study --target /tmp/out/study.zip --result /tmp/out/result.json --threads 2 > /dev/null' \
  || die "the sample job failed inside the root"

# 5. The outcome, checked from outside.
python3 - "$ROOT/tmp/out" <<'PY' || die "the sample job's outputs are wrong"
import json, pathlib, sys, zipfile
out = pathlib.Path(sys.argv[1])
result = json.loads((out / "result.json").read_text())
names = zipfile.ZipFile(out / "study.zip").namelist()
files = result.get("files", [])
statuses = sorted({f.get("status") for f in files})
print(f"result status {result.get('status')}, {len(files)} files {statuses}, {len(names)} ZIP entries", file=sys.stderr)
assert result.get("status") == "completed", result.get("status")
assert len(names) == 5 and len(files) == 5, (names, len(files))
assert statuses == ["compressed"], statuses
PY
log "container runtime check passed (${SECONDS}s)"
