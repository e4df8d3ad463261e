# Sourced by the scripts: finds Python 3.13 and creates or reuses the cached
# virtual environment keyed by the hash of requirements_test.txt.
# Sets VENV and puts its bin folder first on PATH.

find_python313() {
    local candidate
    for candidate in "${SMM_PYTHON:-}" python3.13 \
        "$(pyenv root 2>/dev/null)"/versions/3.13.*/bin/python3.13 \
        /usr/local/bin/python3.13 /usr/bin/python3.13; do
        [ -n "$candidate" ] || continue
        # pyenv shims exist even when the version is not selected: run it to be sure.
        if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; then
            command -v "$candidate" || echo "$candidate"
            return 0
        fi
    done
    echo "Python 3.13 not found: install it or set SMM_PYTHON" >&2
    return 1
}

project_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache_dir="${SMM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/smm_panel}"
req_hash="$(sha256sum "$project_root/requirements_test.txt" | cut -c1-16)"
VENV="$cache_dir/venv-$req_hash"

if [ ! -f "$VENV/.complete" ]; then
    python313="$(find_python313)"
    echo "Creating the virtual environment in $VENV (takes a few minutes once)" >&2
    rm -rf "$VENV"
    mkdir -p "$cache_dir"
    "$python313" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip >&2
    "$VENV/bin/python" -m pip install --quiet -r "$project_root/requirements_test.txt" >&2
    touch "$VENV/.complete"
fi

export PATH="$VENV/bin:$PATH"
export VENV
