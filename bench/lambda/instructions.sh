#!/usr/bin/env bash
# Counts the instructions the tracker's bootstrap executes per SNS event, with
# valgrind's callgrind, so two builds can be compared without the noise of
# CPU-time sampling.  Outside pass/fail: it only reports.
#
#   bench/lambda/instructions.sh [--build DIR] [--n 300] [--package] [--keep DIR]
#
# DIR/lambda/bootstrap (a host build), or with --package the bootstrap of
# DIR/lambda/mailtrack-lambda.zip (built in Debian 11), runs the tracker over
# N SNS events (harness/gen-events.mjs, seed 1) handed out by the Runtime API
# stand-in DIR/tests/fakes/mt_runtime_api, into a fresh table on dynalite
# (tests/peers/stand-ins.mjs; run `npm ci --prefix tests/peers` once).  It
# prints the instructions per event (the whole run, start-up included,
# divided by N) and the part spent inside mt_runtime_next and
# mt_runtime_respond (inclusive).  --keep DIR leaves callgrind's output there
# for callgrind_annotate.  Everything runs on 127.0.0.1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$src/build
n=300
keep=
package=0
while [ $# -gt 0 ]; do
    case $1 in
    --build) build=$2; shift 2 ;;
    --n) n=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    --package) package=1; shift ;;
    *) echo "instructions.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
done
build=$(cd "$build" && pwd)
for f in lambda/bootstrap tests/fakes/mt_runtime_api cli/mailtrack; do
    [ -x "$build/$f" ] || { echo "instructions.sh: $build/$f is missing" >&2; exit 1; }
done
command -v valgrind >/dev/null || { echo "instructions.sh: needs valgrind" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/mt-instructions-XXXXXX")
peers_pid=
cleanup() {
    exec 9>&- 2>/dev/null || true
    if [ -n "$peers_pid" ]; then kill "$peers_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

program=$build/lambda/bootstrap
if [ "$package" -eq 1 ]; then
    unzip -q "$build/lambda/mailtrack-lambda.zip" -d "$work/pkg"
    program=$work/pkg/bootstrap
fi

# The stand-ins run until their stdin closes: hold a FIFO open on fd 9.
mkfifo "$work/hold"
node "$src/tests/peers/stand-ins.mjs" --dynamodb <"$work/hold" >"$work/peers.json" &
peers_pid=$!
exec 9>"$work/hold"
for _ in $(seq 100); do [ -s "$work/peers.json" ] && break; sleep 0.1; done
ddb=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).dynamodb)' \
    "$work/peers.json")

export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=secret AWS_REGION=us-east-1
export AWS_ENDPOINT_URL_DYNAMODB=$ddb
HOME=$work "$build/cli/mailtrack" setup-table --store dynamodb://mt-bench >/dev/null
node "$here/harness/gen-events.mjs" --n "$n" --seed 1 --now 2026-11-30T07:00:00Z \
    --out "$work/events.ndjson"

"$build/tests/fakes/mt_runtime_api" --events "$work/events.ndjson" --out "$work/records.ndjson" \
    --port-file "$work/port" >/dev/null &
api_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done

AWS_LAMBDA_RUNTIME_API=127.0.0.1:$(cat "$work/port") _HANDLER=tracker TABLE_NAME=mt-bench \
    AWS_LAMBDA_LOG_LEVEL=WARN valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
    "$program" >"$work/bootstrap.log" 2>"$work/valgrind.log"
wait "$api_pid"

responses=$(grep -c '"kind":"response"' "$work/records.ndjson" || true)
[ "$responses" -eq "$n" ] || { echo "instructions.sh: $responses of $n events answered" >&2;
                               tail -5 "$work/bootstrap.log" >&2; exit 1; }
total=$(awk '/^summary:/ { print $2 }' "$work/cg.out")
runtime=$(callgrind_annotate --inclusive=yes --threshold=100 "$work/cg.out" 2>/dev/null |
    awk '/mt_runtime_(next|respond) \[/ { gsub(",", "", $1); sum += $1 } END { print sum + 0 }')
what=$build/lambda/bootstrap
[ "$package" -eq 1 ] && what="bootstrap of $build/lambda/mailtrack-lambda.zip"
inside="$((runtime / n)) of them in mt_runtime_next + mt_runtime_respond"
[ "$runtime" -eq 0 ] && inside="(stripped: no per-function figure)"
echo "$what: $n events, $((total / n)) instructions per event, $inside"
if [ -n "$keep" ]; then mkdir -p "$keep" && cp "$work/cg.out" "$keep/"; fi
