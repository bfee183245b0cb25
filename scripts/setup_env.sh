# shellcheck shell=bash
# Set-up shared by ./run.sh and ./test.sh; sourced, not run. Each step prints one line ("==> ...") and is quick when
# its work is already done. It changes nothing outside the project folder and the active Python environment,
# except the Debian packages named in apt-packages.txt.
#   XAI_SKIP_SYSTEM_PACKAGES=1   skip the system-package step (you manage them yourself)
#   PYTHON=/path/to/python       the interpreter to use (default: the active `python`, else `python3`)

XAI_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
XAI_PACKAGES_FILE="${XAI_PACKAGES_FILE:-$XAI_ROOT/apt-packages.txt}"
XAI_LOG_DIR="${XAI_LOG_DIR:-$XAI_ROOT/cache/setup}"
PYTHON="${PYTHON:-$(command -v python || command -v python3 || echo python)}"

xai_step() { printf '==> %s\n' "$*"; }
xai_fail() { printf 'setup failed: %s\n' "$*" >&2; exit 1; }

# Packages of apt-packages.txt for a script ("run" or "test": test includes run) and a level ("required",
# "optional"), one per line.
xai_packages() {
  local scope="$1" level="$2" name lvl scp _rest
  while read -r name lvl scp _rest; do
    [[ -z "$name" || "$name" == \#* ]] && continue
    [[ "$lvl" == "$level" ]] || continue
    [[ "$scp" == run || "$scope" == test ]] && echo "$name"
  done <"$XAI_PACKAGES_FILE"
}

# Those of the given packages that dpkg does not list as installed.
xai_missing() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || echo "$p"
  done
}

# How to run apt-get here: "" as root, "sudo -n" when sudo works without a password; else why not (status 1).
xai_apt_prefix() {
  command -v apt-get >/dev/null 2>&1 || { echo "there is no apt-get here (not Debian/Ubuntu?)"; return 1; }
  if [[ "$(id -u)" == 0 ]]; then echo ""; return 0; fi
  command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && { echo "sudo -n"; return 0; }
  echo "this is not root and sudo asks for a password"
  return 1
}

# apt-get with its output appended to the apt log; returns apt-get's status. $1: "" or "sudo -n".
xai_apt() {
  local prefix="$1"; shift
  { echo "--- apt-get $*"; $prefix env DEBIAN_FRONTEND=noninteractive apt-get -q "$@"; } >>"$XAI_LOG_DIR/apt.log" 2>&1
}

xai_system_packages() {
  local scope="$1" prefix p req opt all still
  if [[ "${XAI_SKIP_SYSTEM_PACKAGES:-}" == 1 ]]; then xai_step "system packages: skipped (XAI_SKIP_SYSTEM_PACKAGES=1)"; return 0; fi
  mapfile -t req < <(xai_missing $(xai_packages "$scope" required))
  mapfile -t opt < <(xai_missing $(xai_packages "$scope" optional))
  all=("${req[@]}" "${opt[@]}")
  if (( ${#all[@]} == 0 )); then
    xai_step "system packages: all present ($(xai_packages "$scope" required | wc -l) required, $(xai_packages "$scope" optional | wc -l) optional)"
    return 0
  fi
  if ! prefix="$(xai_apt_prefix)"; then  # $prefix now says why apt-get cannot be used
    xai_step "system packages: missing ${all[*]}, not installed because $prefix; to install them: sudo apt-get update && sudo apt-get install -y ${all[*]}"
    (( ${#req[@]} == 0 )) || xai_fail "the required system package(s) ${req[*]} are missing and cannot be installed ($prefix); run: sudo apt-get update && sudo apt-get install -y ${req[*]} (or XAI_SKIP_SYSTEM_PACKAGES=1 if you provide them otherwise)"
    echo "    continuing without the optional ones (apt-packages.txt says what is lost without each)"
    return 0
  fi
  xai_step "system packages: installing ${all[*]} (apt-get${prefix:+ via sudo}; log: $XAI_LOG_DIR/apt.log)"
  mkdir -p "$XAI_LOG_DIR" && : >"$XAI_LOG_DIR/apt.log"
  xai_apt "$prefix" update || echo "    apt-get update failed (see the log); trying with the package lists already here"
  if ! xai_apt "$prefix" install -y "${all[@]}"; then  # one package apt cannot find must not block the others
    if (( ${#req[@]} )); then
      xai_apt "$prefix" install -y "${req[@]}" ||
        xai_fail "apt-get could not install the required system package(s) ${req[*]}; see $XAI_LOG_DIR/apt.log"
    fi
    for p in "${opt[@]}"; do xai_apt "$prefix" install -y "$p" || true; done
  fi
  mapfile -t still < <(xai_missing "${req[@]}")
  (( ${#still[@]} == 0 )) ||
    xai_fail "apt-get could not install the required system package(s) ${still[*]}; see $XAI_LOG_DIR/apt.log"
  mapfile -t still < <(xai_missing "${opt[@]}")
  (( ${#still[@]} == 0 )) || echo "    not installed (optional; apt-packages.txt says what is lost): ${still[*]}"
}

xai_python_requirements() {
  local log="$XAI_LOG_DIR/pip.log" where unmet t0 n
  where="$("$PYTHON" -c 'import sys; print(sys.version.split()[0], "at", sys.prefix)' 2>/dev/null)" ||
    xai_fail "no working Python found (tried '$PYTHON'); install Python 3.11 or set PYTHON=/path/to/python"
  if unmet="$("$PYTHON" "$XAI_ROOT/scripts/requirements_met.py" "$XAI_ROOT/requirement.txt" 2>&1)"; then
    xai_step "python requirements: all installed (python $where)"
    return 0
  fi
  local -a items
  IFS=';' read -ra items <<<"$unmet"
  (( ${#items[@]} <= 3 )) || unmet="${items[0]};${items[1]};${items[2]} and $(( ${#items[@]} - 3 )) more"
  xai_step "python requirements: pip install -r requirement.txt (python $where; log: $log); missing: $unmet"
  t0=$SECONDS
  mkdir -p "$XAI_LOG_DIR"
  if ! (cd "$XAI_ROOT" && "$PYTHON" -m pip install --progress-bar off -r requirement.txt) >"$log" 2>&1; then
    grep -q externally-managed-environment "$log" &&
      xai_fail "this Python is managed by the system; make a virtual environment first: python3 -m venv .venv && . .venv/bin/activate (log: $log)"
    xai_fail "pip could not install the Python requirements; see $log"
  fi
  n=$(grep -o 'Successfully installed.*' "$log" | wc -w)
  echo "    $(( n > 2 ? n - 2 : 0 )) packages installed in $((SECONDS - t0)) s"
}

xai_demo_volume() {
  local out
  if [[ -s "$XAI_ROOT/nii/demo.nii" ]]; then xai_step "demo volume: nii/demo.nii present"; return 0; fi
  out="$(cd "$XAI_ROOT" && "$PYTHON" -m nets.demo_volume 2>&1)" ||
    xai_fail "could not make nii/demo.nii: $(tail -1 <<<"$out")"
  xai_step "demo volume: $(tail -1 <<<"$out")"
}

# All set-up steps, in order. $1: "run" or "test" (which system packages).
xai_setup() {
  xai_system_packages "$1"
  xai_python_requirements
  xai_demo_volume
}
