#!/usr/bin/env bash
# Checks the Lambda package build/lambda/mailtrack-lambda.zip:
#   1. bootstrap sits at the root, executable, and is an ELF program (no script);
#   2. no C library file is shipped (libc, libm, libpthread, libdl, librt,
#      libresolv, ld-linux come from Amazon Linux 2023);
#   3. neither the program nor any library in lib/ needs a GLIBC symbol
#      version newer than 2.34 (provided.al2023), nor GLIBC_PRIVATE;
#   4. the program's RUNPATH is $ORIGIN/lib and each library's is $ORIGIN,
#      and every library any of them needs is either in lib/ or glibc's;
#   5. run with an empty environment plus the Lambda variables against the
#      Runtime API stand-in, one tracker and one report invocation succeed,
#      and every non-glibc library the loader maps comes from lib/.
#
#   check_package.sh ZIP RUNTIME_API EXAMPLES
#
# Exits 77 (CTest: skipped) when ZIP does not exist, unless
# MT_TEST_PACKAGE=1 asks for the package, when a missing ZIP fails.
set -euo pipefail

zip=$1
runtime_api=$2
examples=$3
max_glibc=2.34

if [ ! -f "$zip" ]; then
    if [ "${MT_TEST_PACKAGE:-0}" = 1 ]; then
        echo "FAIL: $zip does not exist (cmake --build build --target lambda-zip)" >&2
        exit 1
    fi
    echo "skipped: $zip does not exist (build it with --target lambda-zip)"
    exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/mt-package-XXXXXX")
api_pid=
cleanup() {
    if [ -n "$api_pid" ]; then kill "$api_pid" 2>/dev/null || true; wait "$api_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir "$work/pkg"
unzip -q "$zip" -d "$work/pkg"
pkg=$work/pkg

# 1. The program itself, not a wrapper.
[ -x "$pkg/bootstrap" ] || fail "bootstrap is missing or not executable"
[ "$(head -c 4 "$pkg/bootstrap" | od -An -c | tr -d ' ')" = '177ELF' ] ||
    fail "bootstrap is not an ELF program"

# 2. No C library files.
for f in "$pkg"/lib/*; do
    case $(basename "$f") in
    libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.* | libresolv.so.* | ld-linux*)
        fail "lib/$(basename "$f") belongs to the C library and must come from AL2023" ;;
    esac
done

# 3. Symbol versions.
echo "highest GLIBC symbol version required (limit $max_glibc):"
for f in "$pkg/bootstrap" "$pkg"/lib/*; do
    versions=$(objdump -T "$f" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV)
    highest=$(echo "$versions" | tail -1)
    printf '  %-28s %s\n' "${f#"$pkg"/}" "${highest:-none}"
    if [ -n "$highest" ] && [ "$(printf '%s\n%s\n' "$highest" "$max_glibc" | sort -V | tail -1)" != "$max_glibc" ]; then
        fail "${f#"$pkg"/} needs GLIBC_$highest, newer than $max_glibc"
    fi
    if objdump -T "$f" | grep -q GLIBC_PRIVATE; then
        fail "${f#"$pkg"/} uses GLIBC_PRIVATE symbols"
    fi
done

# 4. Run paths and dependencies.
runpath() { readelf -d "$1" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p'; }
[ "$(runpath "$pkg/bootstrap")" = '$ORIGIN/lib' ] ||
    fail "bootstrap's RUNPATH is '$(runpath "$pkg/bootstrap")', not \$ORIGIN/lib"
if readelf -d "$pkg/bootstrap" | grep -q '(RPATH)'; then fail "bootstrap has a DT_RPATH"; fi
echo "RUNPATH: bootstrap \$ORIGIN/lib"
for f in "$pkg/bootstrap" "$pkg"/lib/*; do
    if [ "$f" != "$pkg/bootstrap" ] && [ "$(runpath "$f")" != '$ORIGIN' ]; then
        fail "${f#"$pkg"/}'s RUNPATH is '$(runpath "$f")', not \$ORIGIN"
    fi
    for needed in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        case $needed in
        libc.so.6 | libm.so.6 | libpthread.so.0 | libdl.so.2 | librt.so.1 | libresolv.so.2 | \
            ld-linux-x86-64.so.2 | ld-linux-aarch64.so.1) continue ;;
        esac
        [ -f "$pkg/lib/$needed" ] || fail "${f#"$pkg"/} needs $needed, which is not in lib/"
    done
done
echo "RUNPATH: every library in lib/ \$ORIGIN; every dependency is in lib/ or glibc"

# 5. One tracker and one report invocation with a clean environment.
run_function() {
    local handler=$1 events=$2 name=$3
    rm -f "$work/port"
    "$runtime_api" --events "$events" --out "$work/$name.records" --port-file "$work/port" >/dev/null &
    api_pid=$!
    for _ in $(seq 100); do [ -f "$work/port" ] && break; sleep 0.05; done
    [ -f "$work/port" ] || fail "the Runtime API stand-in did not start"
    local status=0
    (cd "$pkg" && env -i AWS_LAMBDA_RUNTIME_API="127.0.0.1:$(cat "$work/port")" _HANDLER="$handler" \
        LAMBDA_TASK_ROOT="$pkg" AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 TZ=UTC \
        AWS_LAMBDA_FUNCTION_NAME="mailtrack-$handler" AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128 \
        AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=secret AWS_SESSION_TOKEN=token \
        TABLE_NAME=events S3_BUCKET_NAME=reports \
        MAILTRACK_STORE="sqlite:$work/events.db" MAILTRACK_REPORT_OUTPUT="$work/out/" \
        LD_DEBUG=libs LD_DEBUG_OUTPUT="$work/$name.ld" timeout 30 ./bootstrap) \
        >"$work/$name.log" || status=$?
    wait "$api_pid" || true
    api_pid=
    [ "$status" -eq 0 ] || fail "$handler exited $status: $(tail -3 "$work/$name.log")"
    grep -q '"kind":"response"' "$work/$name.records" ||
        fail "$handler gave no response: $(cat "$work/$name.records")"
    if grep -q '"kind":"error"' "$work/$name.records"; then
        fail "$handler failed: $(grep '"kind":"error"' "$work/$name.records")"
    fi
    # Every library the loader initialised is glibc's or comes from the package.
    local outside
    outside=$(cat "$work/$name".ld* | sed -n 's/.*calling init: //p' | sort -u |
        grep -v "^$pkg/" | grep -vE '/(libc|libm|libpthread|libdl|librt|libresolv|libnss_[a-z]+|ld-linux[a-z0-9_-]*)\.so' ||
        true)
    [ -z "$outside" ] || fail "$handler loaded libraries from outside the package: $outside"
}

head -1 "$examples/lambda-invocations.ndjson" >"$work/tracker.ndjson"
mkdir "$work/out"
run_function tracker "$work/tracker.ndjson" tracker
echo '{"week":"2026-W48"}' >"$work/report.ndjson"
run_function report "$work/report.ndjson" report
[ -s "$work/out/2026/email-events-2026-W48.csv" ] || fail "the report wrote no CSV"
echo "ran: tracker $(grep -o '"body":"[^"]*' "$work/tracker.records" | tail -1 | cut -c9-)"
echo "ran: report $(grep -o 'rows[^,]*' "$work/report.records" | head -1 | tr -d '\\":')"
echo "package ok: $(unzip -l "$zip" | tail -1 | awk '{print $2 " files, " $1 " bytes unpacked"}'), $(stat -c %s "$zip") bytes zipped"
