#!/usr/bin/env bash
# Set up what is missing (as ./run.sh, plus the test-only system packages such as Chromium), then run the tests.
if [[ "${1:-}" == -h || "${1:-}" == --help ]]; then
  cat <<'TXT'
usage: ./test.sh [pytest arguments]      e.g. ./test.sh tests/test_images.py -k chest

Installs what is missing (Debian packages from apt-packages.txt, test-only ones included, as root or with
password-less sudo; Python requirements into the active Python with pip; nii/demo.nii), then runs
python -m pytest -q with your arguments and exits with its status. Logs: cache/setup/.
TXT
  exit 0
fi
set -euo pipefail
source "$(dirname "$0")/scripts/setup_env.sh"
xai_setup test
cd "$XAI_ROOT"
xai_step "tests: python -m pytest -q $*"
exec "$PYTHON" -m pytest -q "$@"
