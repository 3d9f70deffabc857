#!/usr/bin/env bash
# Runs LocalStack (S3 + SQS) on this machine without Docker, for dicom-j2k's tests and local runs.
#
#   localstack/start.sh [start]   install LocalStack if needed, start it unless it already runs,
#                                 create the bucket, the job queue and its DLQ
#   localstack/start.sh stop      stop the LocalStack this script started (found by its PID file)
#   localstack/start.sh status    exit 0 if LocalStack answers its health check
#
# `start` prints only `export …` lines on stdout, so a shell can take them over:
#   eval "$(localstack/start.sh)"
# They set AWS_ENDPOINT_URL, test credentials, the region, LOCALSTACK_BUCKET, LOCALSTACK_QUEUE_URL,
# LOCALSTACK_DLQ_URL, and LOCALSTACK_STARTED_HERE (1 if this call started LocalStack, 0 if it was
# already running). Progress goes to stderr.
#
# Settings (all optional):
#   LOCALSTACK_HOME     state dir: venv, logs, PID file, LocalStack's files
#                       (default ~/.cache/dicom-j2k/localstack; keep it, reuse makes starts fast)
#   LOCALSTACK_PORT     port on 127.0.0.1 (default 4566)
#   LOCALSTACK_PYTHON   interpreter for the venv (default: the first Python >= 3.12 found)
#   LOCALSTACK_VERSION  localstack-core version (default 2026.3.0 on Python >= 3.12, 4.13.1 on 3.11)
#   LOCALSTACK_START_TIMEOUT  seconds to wait for health (default 120)
#   LOCALSTACK_BUCKET, LOCALSTACK_QUEUE, LOCALSTACK_DLQ, LOCALSTACK_MAX_RECEIVE_COUNT  resource names
#
# Why it looks like this (details in docs/aws.md):
#   - The `localstack` CLI needs Docker and an auth token; the runtime itself (`localstack-core`,
#     run as `python -m localstack.runtime.main`) needs neither.
#   - localstack-core 2026.3.0 needs Python >= 3.12 (it fails on 3.11 with a misleading "No
#     component plugins found"); 4.13.1 is the newest that runs on Debian 12's Python 3.11.
#   - Three dependencies released later break it and are pinned: cbor2<6, pyopenssl<26,
#     localstack-twisted<26; pip's --uploaded-prior-to freezes the rest at the release date.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${DICOM_J2K_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dicom-j2k}
STATE=${LOCALSTACK_HOME:-$CACHE/localstack}
PORT=${LOCALSTACK_PORT:-4566}
START_TIMEOUT=${LOCALSTACK_START_TIMEOUT:-120}
REGION=${AWS_DEFAULT_REGION:-${AWS_REGION:-us-east-1}}
ENDPOINT="http://localhost:$PORT"
PIDFILE="$STATE/localstack.pid"
LOG="$STATE/localstack.log"

say() { echo "[localstack +${SECONDS}s] $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# ---------- Python and the venv ----------
py_version() { "$1" -c 'import sys; print(sys.version_info[0] * 100 + sys.version_info[1])' 2>/dev/null || echo 0; }

pick_python() {
  if [ -n "${LOCALSTACK_PYTHON:-}" ]; then echo "$LOCALSTACK_PYTHON"; return; fi
  local candidate
  # Real interpreter paths first: pyenv *shims* of inactive versions exist but fail when run.
  for candidate in "$HOME"/.pyenv/versions/3.13*/bin/python3 "$HOME"/.pyenv/versions/3.12*/bin/python3 \
                   python3.13 python3.12 /usr/bin/python3 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && [ "$(py_version "$candidate")" -ge 312 ]; then
      command -v "$candidate"; return
    fi
  done
  # Debian 12's own Python 3.11 runs LocalStack 4.13.1.
  if [ -x /usr/bin/python3 ]; then echo /usr/bin/python3; else command -v python3; fi
}

install_localstack() {
  local python version
  python=$(pick_python)
  version=$(py_version "$python")
  [ "$version" -ge 311 ] || die "LocalStack needs Python >= 3.11 (found $python)"
  if [ -z "${LOCALSTACK_VERSION:-}" ]; then
    if [ "$version" -ge 312 ]; then LOCALSTACK_VERSION=2026.3.0; else LOCALSTACK_VERSION=4.13.1; fi
  fi
  case "$LOCALSTACK_VERSION" in
    2026.3.0) FROZEN_AT=2026-03-28T00:00:00Z ;;
    4.14.0)   FROZEN_AT=2026-03-01T00:00:00Z ;;
    4.13.1)   FROZEN_AT=2026-02-06T00:00:00Z ;;
    *)        FROZEN_AT= ;;
  esac
  VENV="$STATE/venv-$LOCALSTACK_VERSION"
  if [ -f "$VENV/.installed" ] && "$VENV/bin/python" -c 'import localstack.aws.components, boto3' 2>/dev/null; then
    return
  fi
  say "installing localstack-core $LOCALSTACK_VERSION into $VENV with $python ($("$python" --version 2>&1)); takes about a minute"
  rm -rf "$VENV"
  "$python" -m venv "$VENV" || die "$python -m venv failed (on Debian: apt-get install python3-venv)"
  printf 'cbor2<6\npyopenssl<26\nlocalstack-twisted<26\n' > "$STATE/constraints.txt"
  timeout 300 "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade 'pip>=26' >&2 \
    || say "could not upgrade pip; continuing with the bundled one"
  local spec="localstack-core[runtime]==$LOCALSTACK_VERSION"
  if [ -z "$FROZEN_AT" ] || ! timeout 900 "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
       --uploaded-prior-to "$FROZEN_AT" -c "$STATE/constraints.txt" "$spec" >&2; then
    say "installing with the constraints only (without --uploaded-prior-to)"
    timeout 900 "$VENV/bin/python" -m pip install -q --disable-pip-version-check -c "$STATE/constraints.txt" "$spec" >&2 \
      || die "pip install $spec failed"
  fi
  # "No component plugins found" hides the real import error; this shows it.
  "$VENV/bin/python" -c 'import localstack.aws.components, boto3' || die "LocalStack installed but does not import"
  touch "$VENV/.installed"
}

# ---------- lifecycle ----------
healthy() {
  curl -fsS -m 2 "$ENDPOINT/_localstack/health" 2>/dev/null | "$VENV_PYTHON" -c '
import json, sys
services = json.load(sys.stdin).get("services", {})
sys.exit(0 if all(services.get(s) in ("available", "running") for s in ("s3", "sqs")) else 1)' 2>/dev/null
}

our_pid() { # the PID from our PID file, if that process is alive and runs from our state dir
  [ -f "$PIDFILE" ] || return 1
  local pid; pid=$(cat "$PIDFILE")
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$STATE" || return 1
  echo "$pid"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

start_localstack() {
  STARTED_HERE=0
  if healthy; then say "LocalStack already answers on $ENDPOINT"; return; fi
  port_in_use && die "port $PORT is taken by something that is not a healthy LocalStack (set LOCALSTACK_PORT)"
  : > "$LOG"
  # OVERRIDE_IN_DOCKER=0: this host has /.dockerenv, which would make LocalStack believe it runs in a
  #   container and write to /var/lib/localstack and /tmp/localstack; FILESYSTEM_ROOT keeps its
  #   files (and the service catalog cache that makes later starts fast and lean) in our state dir.
  # run-on-loopback.py: the default (twisted) gateway ignores GATEWAY_LISTEN's host and would
  #   listen on every interface; the wrapper binds it to 127.0.0.1. (GATEWAY_SERVER=hypercorn
  #   binds 127.0.0.1 by itself but drops streamed downloads that a client pauses; see docs/aws.md.)
  # LOCALSTACK_HOST + SQS_ENDPOINT_STRATEGY=path: queue URLs are http://localhost:PORT/queue/...,
  #   not *.localstack.cloud names that need public DNS.
  # DNS_ADDRESS=0, DISABLE_EVENTS=1, SKIP_SSL_CERT_DOWNLOAD=1: no DNS server, analytics or downloads.
  env OVERRIDE_IN_DOCKER=0 FILESYSTEM_ROOT="$STATE/fs" \
      GATEWAY_LISTEN="127.0.0.1:$PORT" GATEWAY_SERVER=twisted LOCALSTACK_HOST="localhost:$PORT" \
      SERVICES=s3,sqs EAGER_SERVICE_LOADING=1 SQS_ENDPOINT_STRATEGY=path \
      DNS_ADDRESS=0 DISABLE_EVENTS=1 SKIP_SSL_CERT_DOWNLOAD=1 PERSISTENCE=0 LOCALSTACK_AUTH_TOKEN= \
      setsid nohup "$VENV/bin/python" "$HERE/run-on-loopback.py" >>"$LOG" 2>&1 < /dev/null &
  echo $! > "$PIDFILE"
  local pid=$! t0=$SECONDS
  say "started LocalStack $LOCALSTACK_VERSION (pid $pid, log $LOG); waiting up to ${START_TIMEOUT}s"
  until healthy; do
    if ! kill -0 "$pid" 2>/dev/null; then tail -n 30 "$LOG" >&2; die "LocalStack exited during startup (log: $LOG)"; fi
    if (( SECONDS - t0 >= START_TIMEOUT )); then
      tail -n 30 "$LOG" >&2; stop_localstack; die "LocalStack not healthy after ${START_TIMEOUT}s"
    fi
    sleep 0.25
  done
  STARTED_HERE=1
  say "LocalStack healthy after $((SECONDS - t0))s"
}

stop_localstack() {
  local pid
  pid=$(our_pid) || { say "no LocalStack started from $STATE is running"; rm -f "$PIDFILE"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  if kill -0 "$pid" 2>/dev/null; then say "pid $pid ignored SIGTERM for 15s; killing it"; kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$PIDFILE"
  say "stopped LocalStack (pid $pid)"
}

create_resources() {
  LOCALSTACK_INIT_ENDPOINT="$ENDPOINT" AWS_DEFAULT_REGION="$REGION" \
  AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-test} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-test} \
    timeout 120 "$VENV/bin/python" "$HERE/init/ready.d/init-resources.py"
}

mkdir -p "$STATE"
case "${1:-start}" in
  start)
    install_localstack
    VENV_PYTHON="$VENV/bin/python"
    start_localstack
    if ! resources=$(create_resources); then
      # Leave nothing behind that the caller would not know to stop.
      [ "$STARTED_HERE" = 1 ] && stop_localstack
      die "creating the bucket and queues failed"
    fi
    say "ready: $ENDPOINT (stop it with: $0 stop)"
    echo "export AWS_ENDPOINT_URL=$ENDPOINT"
    echo "export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-test}"
    echo "export AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-test}"
    echo "export AWS_DEFAULT_REGION=$REGION"
    echo "$resources"
    echo "export LOCALSTACK_STARTED_HERE=$STARTED_HERE"
    ;;
  stop)
    stop_localstack
    ;;
  status)
    VENV_PYTHON=$(command -v python3)
    if healthy; then say "LocalStack healthy on $ENDPOINT"; else say "LocalStack not answering on $ENDPOINT"; exit 1; fi
    ;;
  *)
    die "usage: $0 [start|stop|status]"
    ;;
esac
