#!/usr/bin/env bash
# Installs, from Debian's packages, what mailtrack needs and this machine lacks.
#
#   scripts/install-deps.sh build   compilers and libraries to build mailtrack
#   scripts/install-deps.sh test    also clang's sanitizers and libFuzzer, Node.js
#                                   for the test peers, and the tools tests call
#   scripts/install-deps.sh package what tools/package-lambda.sh needs to build
#                                   the Lambda package (debootstrap, zip)
#
# Runs apt-get only when something is missing, so it is quick on a machine
# that already has everything.  Uses sudo when not run as root.
set -euo pipefail

mode=${1:-build}
build_pkgs=(gcc make cmake pkg-config libc6-dev ca-certificates libjansson-dev libsqlite3-dev
            libssl-dev libcurl4-openssl-dev libmicrohttpd-dev zip unzip)
package_pkgs=(debootstrap zip unzip binutils)
test_pkgs=(clang libclang-rt-14-dev llvm libcmocka-dev openssl curl sqlite3 git procps)

case "$mode" in
build) wanted=("${build_pkgs[@]}") ;;
test) wanted=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
package) wanted=("${package_pkgs[@]}") ;;
*) echo "usage: $0 build|test|package" >&2; exit 2 ;;
esac

missing=()
for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from outside Debian (then apt's npm conflicts with it): only add it if absent.
if [ "$mode" = test ] && ! command -v npm >/dev/null 2>&1; then
    missing+=(nodejs npm)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
