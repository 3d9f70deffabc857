#!/usr/bin/env bash
# Fails when any Swift file (generated ones aside) differs from what `swift format` with the
# repository's .swift-format would write. Fix with:
#   swift format format --in-place $(git ls-files '*.swift' | grep -v /Generated/)
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.swift' | grep -v '/Generated/' | grep -v '^Package.swift$')
warnings=$(swift format lint "${files[@]}" 2>&1 || true)
if [ -n "$warnings" ]; then
  echo "$warnings" >&2
  echo "swift format: $(echo "$warnings" | grep -c warning) findings (see above)" >&2
  exit 1
fi
echo "swift format: ${#files[@]} files clean" >&2
