# common.sh -- sourced by the package checks: option parsing, a
# temporary work directory removed on exit, and an install of the build
# into a fresh prefix.
#
# Options (all --name VALUE): --cmake --build-dir --source-dir --generator
# --cc --make --pkg-config --clangd --bear --cpack --tls ON|OFF.
set -euo pipefail

cmake=cmake build_dir= source_dir= generator=Ninja cc=cc make=make
pkg_config=pkg-config clangd= bear= cpack=cpack tls=OFF
while [ $# -gt 0 ]; do
    case "$1" in
    --cmake) cmake=$2 ;;
    --build-dir) build_dir=$2 ;;
    --source-dir) source_dir=$2 ;;
    --generator) generator=$2 ;;
    --cc) cc=$2 ;;
    --make) make=$2 ;;
    --pkg-config) pkg_config=$2 ;;
    --clangd) clangd=$2 ;;
    --bear) bear=$2 ;;
    --cpack) cpack=$2 ;;
    --tls) tls=$2 ;;
    *) echo "$(basename "$0"): unknown argument '$1'" >&2; exit 2 ;;
    esac
    shift 2
done
examples=$source_dir/examples
expected=$source_dir/tests/e2e/install/expected.out

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL $(basename "$0" .sh): $*" >&2; exit 1; }

# Runs a command with its output in LOG, shown only when it fails.
quiet() {
    local log=$1
    shift
    "$@" > "$log" 2>&1 || { cat "$log" >&2; fail "$* failed"; }
}

# Installs the build into $1 (created).
install_to() {
    quiet "$work/install.log" "$cmake" --install "$build_dir" --prefix "$1"
}
