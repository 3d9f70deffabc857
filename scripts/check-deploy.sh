#!/usr/bin/env bash
# Lints the deploy templates: cfn-lint (CloudFormation's own linter) and checkov (security
# checks; every exception is justified in the template). Installs both, pinned, into a venv.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/deps.sh

ensure_venv deploy cfn-lint==1.51.0 checkov==3.3.30
venv=$VENV

templates=(deploy/template.yaml deploy/ecs-poller.yaml)
"$venv/bin/cfn-lint" "${templates[@]}" || die "cfn-lint found problems in ${templates[*]}"
for t in "${templates[@]}"; do
  # --skip-download: no network here; the checks ship with checkov.
  "$venv/bin/checkov" --quiet --compact --skip-download --framework cloudformation -f "$t" >&2 \
    || die "checkov found unjustified findings in $t"
done
log "deploy templates: cfn-lint and checkov clean (${templates[*]})"
