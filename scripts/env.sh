# Sourced by the scripts: picks the test leg (SMM_LEG=oldest|newest|release,
# default oldest), then creates or reuses that leg's cached virtual environment.
# Sets VENV and SMM_LEG and puts the venv's bin folder first on PATH.
#
# The venv is keyed by a hash of what it installs (the leg's requirement files,
# the exact Python and the build recipe below) and built under a lock, so two
# scripts started at once on a fresh machine wait for one build instead of
# wiping each other's. Every leg is installed under its Home Assistant
# release's own package_constraints.txt, as real installations are (without it
# pip picks e.g. a pycares that the pinned aiodns cannot call, and no host name
# resolves).
#
# The newest and release legs need Python 3.14. When this machine has none,
# the calling script is run again inside a Debian forky root that has it
# (scripts/forky_root: built once under the cache folder, entered through a
# private mount namespace); the venv then lives inside that root.

project_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SMM_LEG="${SMM_LEG:-oldest}"
cache_dir="${SMM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/smm_panel}"
leg_file="$project_root/requirements/$SMM_LEG.txt"
case "$SMM_LEG" in
    oldest) python_minor=3.13 ;;
    newest | release) python_minor=3.14 ;;
    *)
        echo "Unknown leg '$SMM_LEG': expected oldest, newest or release" >&2
        return 1 2>/dev/null || exit 1
        ;;
esac

# The Python interpreter of the leg, found on this machine or provisioned.
find_leg_python() {
    local candidate
    for candidate in "${SMM_PYTHON:-}" "python$python_minor" \
        "$(pyenv root 2>/dev/null)"/versions/"$python_minor".*/bin/python"$python_minor" \
        /usr/local/bin/python"$python_minor" /usr/bin/python"$python_minor"; do
        [ -n "$candidate" ] || continue
        # pyenv shims exist even when the version is not selected: run it to be sure.
        if "$candidate" -c "import sys; assert '%d.%d' % sys.version_info[:2] == '$python_minor'" 2>/dev/null; then
            command -v "$candidate" || echo "$candidate"
            return 0
        fi
    done
    return 1
}

if ! leg_python="$(find_leg_python)"; then
    if [ "$python_minor" = 3.14 ] && [ -z "${SMM_IN_FORKY_ROOT:-}" ]; then
        # Run the calling script again, inside the root that has Python 3.14.
        # "$@" here is the calling script's arguments (sourced without any).
        exec "$project_root/scripts/forky_root" run \
            bash "$(cd "$(dirname "$0")" && pwd)/$(basename "$0")" "$@"
    fi
    echo "Python $python_minor not found: install it or set SMM_PYTHON" >&2
    return 1 2>/dev/null || exit 1
fi

# Bump when the way a venv is built changes: every leg then gets a new venv.
venv_recipe=2
leg_hash="$(
    {
        echo "$venv_recipe"
        "$leg_python" -VV
        cat "$leg_file" "$project_root/requirements/tools.txt"
    } | sha256sum | cut -c1-16
)"
VENV="$cache_dir/venv-$SMM_LEG-$leg_hash"
mkdir -p "$cache_dir"

# Runs the venv build; the caller holds the lock. Each step stops the build
# on failure explicitly: `set -e` does not apply inside a function called
# from an `||` list, and a venv marked complete after a failed install would
# be reused forever.
build_leg_venv() {
    local ha_version constraints work started=$SECONDS
    echo "Creating the $SMM_LEG venv in $VENV with $leg_python (10 to 15 minutes, once)" >&2
    rm -rf "$VENV"
    "$leg_python" -m venv "$VENV" || return 1
    "$VENV/bin/python" -m pip install --quiet --upgrade pip >&2 || return 1
    ha_version="$(sed -n 's/^homeassistant==//p' "$leg_file")"
    [ -n "$ha_version" ] || { echo "No homeassistant== pin in $leg_file" >&2; return 1; }
    work="$(mktemp -d)"
    "$VENV/bin/python" -m pip download --quiet --no-deps --dest "$work" \
        "homeassistant==$ha_version" >&2 || { rm -rf "$work"; return 1; }
    constraints="$VENV/package_constraints.txt"
    "$VENV/bin/python" - "$work"/homeassistant-*.whl "$constraints" <<'PY' || { rm -rf "$work"; return 1; }
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    text = wheel.read("homeassistant/package_constraints.txt").decode()
open(sys.argv[2], "w").write(text)
PY
    rm -rf "$work"
    (cd "$project_root/requirements" &&
        "$VENV/bin/python" -m pip install --quiet -r "$leg_file" -c "$constraints" >&2) ||
        return 1
    touch "$VENV/.complete"
    echo "The $SMM_LEG venv took $((SECONDS - started)) s" >&2
}

if [ ! -f "$VENV/.complete" ]; then
    exec {smm_lock_fd}>"$cache_dir/venv-$SMM_LEG.lock"
    flock "$smm_lock_fd"
    if [ ! -f "$VENV/.complete" ]; then
        build_leg_venv || { flock -u "$smm_lock_fd"; return 1 2>/dev/null || exit 1; }
    fi
    flock -u "$smm_lock_fd"
    exec {smm_lock_fd}>&-
fi

export PATH="$VENV/bin:$PATH"
export VENV SMM_LEG
