#!/usr/bin/env bash
# Set up what is missing (system packages, Python requirements, demo volume), then start the app.
usage() {
  cat <<'TXT'
usage: ./run.sh [--host H] [--port P] [other demo01.py options, e.g. --no-warm, --weights NAME=PATH]

Installs what is missing (Debian packages from apt-packages.txt as root or with password-less sudo, Python
requirements into the active Python with pip, nii/demo.nii), then starts the app (python demo01.py) and prints
its link. Defaults: host 0.0.0.0, port 6006. Logs: cache/setup/. Ctrl-C stops the app.
TXT
}
set -euo pipefail
args=("$@") host=0.0.0.0 port=6006
while (( $# )); do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --host) host="${2:?--host needs a value}"; shift ;;
    --port) port="${2:?--port needs a value}"; shift ;;
    --host=*) host="${1#*=}" ;;
    --port=*) port="${1#*=}" ;;
  esac
  shift
done
source "$(dirname "$0")/scripts/setup_env.sh"
xai_setup run
cd "$XAI_ROOT"
xai_step "app: python demo01.py on http://$([[ "$host" == 0.0.0.0 ]] && echo localhost || echo "$host"):$port/ (it prints the link again once its models are warm; Ctrl-C stops it)"
exec "$PYTHON" demo01.py "${args[@]}"
