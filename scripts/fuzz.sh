#!/usr/bin/env bash
# Builds a libFuzzer target (AddressSanitizer on) and runs it.
#
#   scripts/fuzz.sh [dicom|transcoder] [SECONDS=600] [extra libFuzzer flags, e.g. -jobs=2 -workers=2]
#
# dicom (the default): fuzz/DICOMFuzz.swift compiled with Sources/DICOM; the parser and writer,
#   with a round-trip invariant. Inputs up to 64 KiB.
# transcoder: fuzz/TranscoderFuzz.swift over Sources/DICOM, Sources/JPEG2000 and Sources/Transcoder
#   (each compiled as its own module, plus swift-log's Logging from the package checkout, and the
#   system OpenJPEG): parse, pixel checks, encode of small images, with the production limits.
#   Inputs up to 1 MiB.
#
# Everything is built under .build-fuzz/ with swiftc, outside SwiftPM (no other dependency is
# rebuilt). Seeds: the malformed and hostile fixtures and pydicom's small test files. New corpus
# entries go to fuzz/corpus-TARGET/, crashes to fuzz/artifacts/TARGET/ (both gitignored). To
# reproduce a crash: .build-fuzz/TARGET-fuzz fuzz/artifacts/TARGET/crash-…
# Copy every crashing input, once fixed, into Tests/Fixtures/malformed/ (dicom) or
# Tests/Fixtures/hostile/ (transcoder) with its expected outcome.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/deps.sh

target=dicom
if [[ "${1:-}" == dicom || "${1:-}" == transcoder ]]; then
  target=$1
  shift
fi
duration=${1:-600}
shift || true
out=.build-fuzz
corpus=fuzz/corpus-$target
artifacts=fuzz/artifacts/$target
mkdir -p "$out/modules" "$corpus" "$artifacts"
flags=(-parse-as-library -O -g -swift-version 6 -enable-upcoming-feature ExistentialAny
  -enable-upcoming-feature MemberImportVisibility -package-name dicom_j2k -I "$out/modules")

# A library module: instrumented for the fuzzer and ASan, linked statically into the target.
module() {
  local name=$1 sanitize=$2
  shift 2
  swiftc "${flags[@]}" -sanitize="$sanitize" -emit-library -static -emit-module -module-name "$name" \
    -emit-module-path "$out/modules/$name.swiftmodule" -o "$out/lib$name.a" "$@"
}

log "building the $target fuzzer"
mapfile -t dicom < <(find Sources/DICOM -name '*.swift' | sort)
case $target in
  dicom)
    swiftc "${flags[@]}" -sanitize=fuzzer,address -use-ld=lld -module-name DICOMFuzz -I Sources/CZlib \
      "${dicom[@]}" fuzz/DICOMFuzz.swift -o "$out/dicom-fuzz"
    max_len=65536
    ;;
  transcoder)
    logging=.build/checkouts/swift-log/Sources/Logging
    [[ -d $logging ]] || swift package resolve
    mapfile -t jpeg < <(find Sources/JPEG2000 -name '*.swift' | sort)
    mapfile -t transcoder < <(find Sources/Transcoder -name '*.swift' | sort)
    module Logging address $(find "$logging" -name '*.swift' | sort)
    module DICOM fuzzer,address -I Sources/CZlib "${dicom[@]}"
    module JPEG2000 fuzzer,address -I Sources/COpenJPEG $(pkg-config --cflags-only-I libopenjp2 | sed 's/-I/-Xcc -I/g') \
      "${jpeg[@]}"
    module Transcoder fuzzer,address -I Sources/CZlib -I Sources/COpenJPEG "${transcoder[@]}"
    swiftc "${flags[@]}" -sanitize=fuzzer,address -use-ld=lld -module-name TranscoderFuzz \
      -I Sources/CZlib -I Sources/COpenJPEG fuzz/TranscoderFuzz.swift \
      "$out/libTranscoder.a" "$out/libJPEG2000.a" "$out/libDICOM.a" "$out/libLogging.a" \
      $(pkg-config --libs libopenjp2) -lz -o "$out/transcoder-fuzz"
    max_len=1048576
    ;;
esac

log "seeding $corpus"
cp -n Tests/Fixtures/malformed/*.dcm "$corpus"/ 2>/dev/null || true
cp -n Tests/Fixtures/hostile/*.dcm "$corpus"/ 2>/dev/null || true
if ensure_python_venv 2>/dev/null; then
  find "$DICOM_J2K_PYDICOM_TEST_FILES" -type f -size -64k -name '*.dcm' -exec cp -n {} "$corpus"/ \;
fi

log "fuzzing for ${duration}s"
"$out/$target-fuzz" -max_total_time="$duration" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
  -dict=fuzz/dicom.dict -artifact_prefix="$artifacts/" -print_final_stats=1 "$@" "$corpus"
