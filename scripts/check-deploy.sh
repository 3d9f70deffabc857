#!/usr/bin/env bash
# Lints the deploy templates: cfn-lint (CloudFormation's own linter) and checkov (security
# checks; every exception is justified in the template). Installs both, pinned, into a venv.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/deps.sh

venv="$DICOM_J2K_CACHE/venv-deploy"
packages=(cfn-lint==1.51.0 checkov==3.3.30)
stamp=$(printf '%s\n' "${packages[@]}" | sha1sum | cut -c1-12)
if [ ! -f "$venv/.installed-$stamp" ]; then
  log "creating the deploy-lint venv in $venv (${packages[*]})"
  rm -rf "$venv"
  mkdir -p "$DICOM_J2K_CACHE"
  python3 -m venv "$venv" || die "python3 -m venv failed"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "${packages[@]}" >&2 \
    || die "pip install ${packages[*]} failed"
  touch "$venv/.installed-$stamp"
fi

templates=(deploy/template.yaml deploy/ecs-poller.yaml)
"$venv/bin/cfn-lint" "${templates[@]}" || die "cfn-lint found problems in ${templates[*]}"
for t in "${templates[@]}"; do
  # --skip-download: no network here; the checks ship with checkov.
  "$venv/bin/checkov" --quiet --compact --skip-download --framework cloudformation -f "$t" >&2 \
    || die "checkov found unjustified findings in $t"
done
log "deploy templates: cfn-lint and checkov clean (${templates[*]})"
