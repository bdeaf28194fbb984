#!/usr/bin/env bash
# Builds the Lambda package: build/lambda/mailtrack-lambda.zip, whose
# `bootstrap` is the mailtrack Lambda program itself and runs on
# provided.al2023 (glibc 2.34) whatever distribution built it.
#
#   tools/package-lambda.sh [--root DIR] [--out ZIP] [--stage root|all]
#
# How: the program is compiled and linked inside a Debian 11 "bullseye" root
# (glibc 2.31), so it needs no glibc symbol newer than what bullseye has.
# Every shared library it needs apart from the C library itself (libcurl and
# its dependencies, OpenSSL 1.1.1, jansson, SQLite) is copied beside it into
# lib/ under its soname; the program finds them through its RUNPATH
# $ORIGIN/lib, and each library finds its own dependencies through RUNPATH
# $ORIGIN.  libc, libm, libpthread, libdl, librt, libresolv and ld-linux are
# left out: they come from Amazon Linux 2023.  No wrapper script, no bundled
# loader.
#
# The root (default build/lambda/root) is made once and reused:
#   debootstrap --variant=minbase bullseye ROOT http://deb.debian.org/debian
# (about 30-60 s, roughly 45 MB of packages), then, from Debian's main and
# security archives only, gcc, cmake, make, pkg-config, patchelf and the -dev
# packages of libcurl (OpenSSL flavour), OpenSSL, jansson, SQLite and
# libmicrohttpd (which the CLI's serve component needs to configure) (about
# 20-60 s, roughly 60 MB).  Later runs only copy the sources in and rebuild
# (about 30 s).  Needs root (debootstrap, chroot, mount) and network access to
# Debian's mirror the first time.  `--stage root` stops after making the root.
#
# Each step prints its duration; the summary lists the zip's contents.
set -euo pipefail
# LIMITATION: the root is made for this machine's architecture, so the package is too;
# arm64 functions need an arm64 build machine (docs/KNOWN_LIMITATIONS.md).

src=$(cd "$(dirname "$0")/.." && pwd)
root=$src/build/lambda/root
out=$src/build/lambda/mailtrack-lambda.zip
stage=all
mirror=http://deb.debian.org/debian
security_mirror=http://deb.debian.org/debian-security

while [ $# -gt 0 ]; do
    case $1 in
    --root) root=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --stage) stage=$2; shift 2 ;;
    -h | --help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "package-lambda: unknown option '$1' (try --help)" >&2; exit 2 ;;
    esac
done
case $stage in root | all) ;; *) echo "package-lambda: --stage root|all" >&2; exit 2 ;; esac
if [ "$(id -u)" -ne 0 ]; then
    echo "package-lambda: must run as root (debootstrap, chroot and mount need it)" >&2
    exit 1
fi
root=$(mkdir -p "$root" && cd "$root" && pwd)
out_dir=$(mkdir -p "$(dirname "$out")" && cd "$(dirname "$out")" && pwd)
out=$out_dir/$(basename "$out")

packages=(gcc libc6-dev cmake make pkg-config patchelf file
          libcurl4-openssl-dev libssl-dev libjansson-dev libsqlite3-dev libmicrohttpd-dev)

t0=$(date +%s)
step() { printf '== %s (%ss so far)\n' "$*" "$(($(date +%s) - t0))"; }

mounted=0
cleanup() {
    if [ "$mounted" -eq 1 ]; then
        umount "$root/proc" 2>/dev/null || umount -l "$root/proc" 2>/dev/null || true
    fi
}
trap cleanup EXIT

in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }

mount_proc() {
    if ! mountpoint -q "$root/proc"; then
        mount -t proc proc "$root/proc"
        mounted=1
    fi
}

make_root() {
    # The marker holds the package list, so a longer list installs what is new.
    if [ -f "$root/.mailtrack-root-ready" ] &&
        [ "$(cat "$root/.mailtrack-root-ready")" = "${packages[*]}" ]; then
        step "reusing the bullseye root at $root"
        return
    fi
    if [ ! -x "$root/usr/bin/apt-get" ]; then
        command -v debootstrap >/dev/null ||
            { echo "package-lambda: needs debootstrap (apt-get install debootstrap)" >&2; exit 1; }
        step "debootstrap --variant=minbase bullseye $root $mirror"
        debootstrap --variant=minbase bullseye "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
            { tail -20 "$root.debootstrap.log" >&2; exit 1; }
    fi
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bullseye main
deb $mirror bullseye-updates main
deb $security_mirror bullseye-security main
EOF
    mount_proc
    step "apt-get install ${packages[*]}"
    in_root apt-get update -q >/dev/null
    in_root apt-get install -y -q --no-install-recommends "${packages[@]}" >/dev/null
    in_root apt-get clean
    echo "${packages[*]}" >"$root/.mailtrack-root-ready"
    step "root ready"
}

# Copies the sources the Lambda build needs into the root, fresh each time.
copy_sources() {
    rm -rf "$root/work"
    mkdir -p "$root/work/src"
    (cd "$src" && tar -cf - --exclude='./build*' --exclude='./.git' --exclude='node_modules' \
        CMakeLists.txt cmake include lib lambda cli) | tar -xf - -C "$root/work/src"
}

build_program() {
    step "building bootstrap inside the root"
    in_root cmake -S /work/src -B /work/build -DCMAKE_BUILD_TYPE=Release -DMT_TESTS=OFF \
        -DMT_BENCH=OFF -DMT_CLI=OFF -DMT_LAMBDA=ON -DMT_OPENSSL_MIN_VERSION=1.1.1 >/dev/null
    in_root cmake --build /work/build --target bootstrap -j"$(nproc)" >/dev/null
}

# The sonames of the C library itself: never shipped, AL2023 provides them.
is_libc() {
    case $1 in
    libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.* | libresolv.so.* | \
        libutil.so.* | libanl.so.* | libnsl.so.* | ld-linux*.so.* | libnss_*.so.* | \
        libmvec.so.* | libBrokenLocale.so.* | libthread_db.so.* | linux-vdso.so.*)
        return 0 ;;
    esac
    return 1
}

stage_package() {
    local stage_dir=$root/work/stage
    rm -rf "$stage_dir"
    mkdir -p "$stage_dir/lib"
    cp "$root/work/build/lambda/bootstrap" "$stage_dir/bootstrap"
    chmod 0755 "$stage_dir/bootstrap"

    step "collecting shared libraries"
    # ldd inside the root resolves against bullseye's libraries, as the build did.
    in_root ldd /work/stage/bootstrap | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' |
        while read -r soname path; do
            is_libc "$soname" && continue
            cp -L "$root$path" "$stage_dir/lib/$soname"
        done
    if in_root ldd /work/stage/bootstrap | grep -q 'not found'; then
        echo "package-lambda: unresolved libraries:" >&2
        in_root ldd /work/stage/bootstrap | grep 'not found' >&2
        exit 1
    fi
    for lib in "$stage_dir"/lib/*; do
        chmod 0644 "$lib"
        in_root patchelf --set-rpath '$ORIGIN' "/work/stage/lib/$(basename "$lib")"
    done
    in_root strip --strip-unneeded /work/stage/bootstrap /work/stage/lib/* 2>/dev/null || true

    step "zipping $out"
    rm -f "$out"
    (cd "$stage_dir" && zip -q -X -r "$out" bootstrap lib)
}

make_root
[ "$stage" = root ] && exit 0
mount_proc
copy_sources
build_program
stage_package
step "done"
unzip -l "$out"
ls -l "$out"
