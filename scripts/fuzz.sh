#!/usr/bin/env bash
# Builds the libFuzzer target over the DICOM parser and writer (fuzz/DICOMFuzz.swift compiled with
# Sources/DICOM, AddressSanitizer on) and runs it.
#
#   scripts/fuzz.sh [SECONDS=600] [extra libFuzzer flags, e.g. -jobs=2 -workers=2]
#
# Seeds: the malformed fixtures and pydicom's small test files. New corpus entries go to
# fuzz/corpus-dicom/, crashes to fuzz/artifacts/ (both gitignored). To reproduce a crash:
#   .build/fuzz/dicom-fuzz fuzz/artifacts/crash-…
# Copy every crashing input into Tests/Fixtures/malformed/ with its expected error once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/deps.sh

duration=${1:-600}
shift || true
out=.build/fuzz
corpus=fuzz/corpus-dicom
mkdir -p "$out" "$corpus" fuzz/artifacts

log "building the fuzzer"
mapfile -t sources < <(find Sources/DICOM -name '*.swift' | sort)
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -use-ld=lld \
  -swift-version 6 -enable-upcoming-feature ExistentialAny -enable-upcoming-feature MemberImportVisibility \
  -module-name DICOMFuzz -package-name dicom_j2k -I Sources/CZlib \
  "${sources[@]}" fuzz/DICOMFuzz.swift -o "$out/dicom-fuzz"

log "seeding $corpus"
cp -n Tests/Fixtures/malformed/*.dcm "$corpus"/ 2>/dev/null || true
if ensure_python_venv 2>/dev/null; then
  find "$DICOM_J2K_PYDICOM_TEST_FILES" -type f -size -64k -name '*.dcm' -exec cp -n {} "$corpus"/ \;
fi

log "fuzzing for ${duration}s"
"$out/dicom-fuzz" -max_total_time="$duration" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -dict=fuzz/dicom.dict -artifact_prefix=fuzz/artifacts/ -print_final_stats=1 "$@" "$corpus"
