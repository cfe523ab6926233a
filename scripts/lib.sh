# Shared by scripts/start and scripts/test: find Python 3.11+, keep .venv in step with pyproject.toml.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

find_python() {
  for candidate in "${PYTHON:-}" python3.11 python3.12 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] < (3, 13) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "linli: error: Python 3.11 or 3.12 is needed (set PYTHON=/path/to/python3.11)" >&2
  return 1
}

# Offline: an unpacked bundle (scripts/bundle) carries every wheel in ./wheels; install from there only.
# LINLI_OFFLINE=1 (or scripts/start --offline) insists on it; a ./wheels directory turns it on by itself.
offline() {
  [ -n "${LINLI_OFFLINE:-}" ] || [ -d "$ROOT/wheels" ]
}

pip_install() {
  if offline; then
    if [ ! -d "$ROOT/wheels" ]; then
      echo "linli: error: offline install needs the bundle's wheels/ directory next to scripts/ (build one with scripts/bundle)" >&2
      return 1
    fi
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-index --find-links "$ROOT/wheels" "$@"
  else
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "$@"
  fi
}

# ensure_venv [extras]: create .venv and (re)install when pyproject.toml changed since the last install.
ensure_venv() {
  local extras="${1:-}"
  local spec="."
  [ -n "$extras" ] && spec=".[$extras]"
  if [ ! -x .venv/bin/python ]; then
    "$(find_python)" -m venv .venv
    pip_install --upgrade pip
  fi
  local stamp=".venv/.linli-installed-${extras:-base}"
  local want
  want="$(sha256sum pyproject.toml | cut -c1-16)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "installing Linli and its dependencies into .venv$(offline && echo " from ./wheels (offline)") …"
    if ! pip_install -e "$spec"; then
      if offline && [ -n "$extras" ]; then
        echo "linli: error: the offline bundle holds what Linli needs to run, not the test tools ([$extras])" >&2
      fi
      return 1
    fi
    echo "$want" > "$stamp"
  fi
}
