#!/usr/bin/env bash
# Every test of mailtrack: installs what is missing, then
#   1. builds with gcc and runs the whole CTest suite,
#   2. builds with clang under AddressSanitizer and UndefinedBehaviorSanitizer
#      and runs the whole suite again,
#   3. builds the libFuzzer targets and runs each for FUZZ_SECONDS (default 10),
#   4. checks the source rules (tools/checksrc.sh),
#   5. runs the Terraform checks (infra/test.sh; they say so and pass when
#      Terraform is not installed),
#   6. builds the Lambda package and checks it (label `package`): a Debian 11
#      root under build-plain/lambda/root is made once (about a minute, then
#      about 20 s per build; needs root and Debian's mirror; see
#      tools/package-lambda.sh).  MT_TEST_PACKAGE=0 skips building it and
#      checks a package only if one was built before.
# Exits non-zero when any step fails.  Build trees: build-plain, build-asan,
# build-fuzz.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzz_seconds=${FUZZ_SECONDS:-10}
jobs=$(nproc)

step() { printf '\n== %s\n' "$*"; }

step "dependencies"
scripts/install-deps.sh test
if [ "${MT_TEST_PACKAGE:-1}" = 1 ]; then
    scripts/install-deps.sh package
fi
if [ ! -d tests/peers/node_modules ] ||
   [ tests/peers/package-lock.json -nt tests/peers/node_modules/.package-lock.json ]; then
    npm ci --prefix tests/peers --no-audit --no-fund --loglevel=error
fi

step "gcc build and tests"
cmake -S . -B build-plain -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMT_WERROR=ON >/dev/null
cmake --build build-plain -j"$jobs"
(cd build-plain && ctest --output-on-failure -j"$jobs" -LE 'bench|package')

step "clang AddressSanitizer + UndefinedBehaviorSanitizer build and tests"
CC=clang cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMT_WERROR=ON \
    -DMT_SANITIZE=address,undefined >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan &&
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --output-on-failure -j"$jobs" -LE 'bench|package')

step "fuzzers, ${fuzz_seconds}s each"
CC=clang cmake -S . -B build-fuzz -DMT_FUZZ=ON -DMT_TESTS=OFF -DMT_BENCH=OFF -DMT_WERROR=ON \
    >/dev/null
cmake --build build-fuzz -j"$jobs"
while read -r fuzzer; do
    corpus=$(mktemp -d)
    echo "$fuzzer"
    build-fuzz/fuzz/"$fuzzer" -max_total_time="$fuzz_seconds" -print_final_stats=0 \
        -artifact_prefix=build-fuzz/ "$corpus" fuzz/corpus/"$fuzzer" 2>build-fuzz/"$fuzzer".log ||
        { tail -40 build-fuzz/"$fuzzer".log; rm -rf "$corpus"; exit 1; }
    grep -h '^Done' build-fuzz/"$fuzzer".log || true
    rm -rf "$corpus"
done <build-fuzz/fuzzers.txt

step "source rules"
tools/checksrc.sh

step "terraform"
if [ -x infra/test.sh ]; then
    infra/test.sh
else
    echo "no infra/test.sh"
fi

step "Lambda package"
if [ "${MT_TEST_PACKAGE:-1}" = 1 ]; then
    cmake --build build-plain --target lambda-zip
fi
if [ -f build-plain/lambda/mailtrack-lambda.zip ]; then
    (cd build-plain && ctest --output-on-failure -L package)
else
    echo "no build-plain/lambda/mailtrack-lambda.zip (MT_TEST_PACKAGE=0 skipped building it)"
fi

step "all tests passed"
