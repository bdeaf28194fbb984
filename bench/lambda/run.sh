#!/usr/bin/env bash
# Measures the mailtrack Lambda against the original Python design through
# the same Runtime API harness (harness/rie.mjs) on the same events, and
# prints the figures side by side.  Outside pass/fail: it only reports.
#
#   bench/lambda/run.sh [--build DIR] [--n 1000] [--repeat 3] [--no-python]
#
# What runs, alternating, --repeat times each:
#   floor      bench/lambda/floor.c: polls and answers "{}"; what the harness,
#              the loader and libcurl cost before any work
#   mailtrack  the packaged bootstrap (DIR/lambda/mailtrack-lambda.zip,
#              unpacked) or else DIR/lambda/bootstrap; its store is SQLite
#              in a temporary folder (MAILTRACK_STORE), or with --store
#              dynamodb a fresh table on the harness's dynalite (made with
#              `mailtrack setup-table`) and the report in s3rver
#   python     harness/python: Python 3.11 + boto3 on dynalite and s3rver
#              (needs Debian's python3-boto3; skipped with --no-python)
# Each runs the tracker over N SNS events (gen-events.mjs, seed 1), then the
# report once.  Figures: init ms (spawn to the first /next), CPU ms per event
# (user + system over the whole tracker run, init included, divided by N),
# peak RSS, and the median invocation time; medians over the repeats.
# Everything runs on 127.0.0.1; npm ci fetches dynalite and s3rver.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$here/../../build
n=1000
repeat=3
python=1
store=sqlite
while [ $# -gt 0 ]; do
    case $1 in
    --build) build=$2; shift 2 ;;
    --n) n=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --no-python) python=0; shift ;;
    --store) store=$2; shift 2 ;;
    *) echo "run.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
done
build=$(cd "$build" && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/mt-lambda-bench-XXXXXX")
cp -r "$here/harness/." "$work/"
cd "$work"
stack_started=0
cleanup() {
    if [ "$stack_started" -eq 1 ]; then ./stack.sh stop >/dev/null 2>&1 || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

if [ "$python" -eq 1 ] && ! /usr/bin/python3 -c 'import boto3' 2>/dev/null; then
    echo "python3-boto3 is missing (apt-get install python3-boto3); measuring without Python" >&2
    python=0
fi
program=$build/lambda/bootstrap
if [ -f "$build/lambda/mailtrack-lambda.zip" ]; then
    mkdir pkg && unzip -q "$build/lambda/mailtrack-lambda.zip" -d pkg
    program=$work/pkg/bootstrap
fi
echo "mailtrack program: $program" >&2

node gen-events.mjs --n "$n" --seed 1 --now 2026-11-30T07:00:00Z --out events.ndjson \
    --report-event report-event.ndjson
if [ "$python" -eq 1 ] || [ "$store" = dynamodb ]; then
    source ./env.sh
    ./stack.sh start 2>/dev/null
    stack_started=1
fi

aws_env=()
if [ "$stack_started" -eq 1 ]; then
    aws_env=(--env "TABLE_NAME=$TABLE_NAME" --env "S3_BUCKET_NAME=$S3_BUCKET_NAME"
             --env "AWS_ENDPOINT_URL_DYNAMODB=$DDB_ENDPOINT" --env "AWS_ENDPOINT_URL_S3=$S3_ENDPOINT"
             --env "AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID"
             --env "AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY"
             --env "AWS_SESSION_TOKEN=$AWS_SESSION_TOKEN" --env "AWS_REGION=$AWS_REGION"
             --env "AWS_DEFAULT_REGION=$AWS_DEFAULT_REGION")
fi

# rie NAME FUNCTION EVENTS HANDLER PROGRAM [--env K=V]...
rie() {
    local name=$1 fn=$2 events=$3 handler=$4 cmd=$5
    shift 5
    timeout 660 node rie.mjs --events "$events" --handler "$handler" --memory 128 \
        --timeout-ms 300000 --max-ms 600000 --log "runs/$name.$fn.log" "$@" -- "$cmd" \
        >"runs/$name.$fn.json" || echo "$name $fn: rie exited $?" >&2
}

mkdir -p runs
for i in $(seq "$repeat"); do
    rie "floor-$i" tracker events.ndjson tracker "$build/bench/lambda_floor"

    rm -rf mt && mkdir -p mt/out
    mt_env=(--env "MAILTRACK_STORE=sqlite:$work/mt/events.db" --env "MAILTRACK_REPORT_OUTPUT=$work/mt/out/")
    if [ "$store" = dynamodb ]; then
        table=mailtrack-events-$i
        AWS_ENDPOINT_URL_DYNAMODB=$DDB_ENDPOINT HOME=$work "$build/cli/mailtrack" setup-table \
            --store "dynamodb://$table" >/dev/null
        mt_env=("${aws_env[@]}" --env "TABLE_NAME=$table")
    fi
    rie "mailtrack-$i" tracker events.ndjson tracker "$program" "${mt_env[@]}"
    rie "mailtrack-$i" report report-event.ndjson report "$program" "${mt_env[@]}"

    if [ "$python" -eq 1 ]; then
        ./stack.sh reset 2>/dev/null
        rie "python-$i" tracker events.ndjson tracker.handler python/bootstrap "${aws_env[@]}"
        rie "python-$i" report report-event.ndjson report.handler python/bootstrap "${aws_env[@]}"
    fi
done

node - "$n" "$repeat" <<'JS'
const fs = require('fs');
const [n, repeat] = process.argv.slice(2).map(Number);
const read = (f) => { try { return JSON.parse(fs.readFileSync(f, 'utf8')); } catch { return null; } };
const median = (xs) => { const s = xs.filter((x) => x != null).sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : null; };
const fmt = (x, d = 1) => (x == null ? '-' : x.toFixed(d));
const rows = [];
for (const name of ['floor', 'mailtrack', 'python']) {
  for (const fn of ['tracker', 'report']) {
    const runs = [...Array(repeat).keys()].map((i) => read(`runs/${name}-${i + 1}.${fn}.json`)).filter(Boolean);
    if (!runs.length) continue;
    const events = fn === 'tracker' ? n : 1;
    rows.push({ name, fn, runs: runs.length, errors: runs.reduce((a, r) => a + r.errors, 0),
      init: median(runs.map((r) => r.init_ms)),
      cpu: median(runs.map((r) => (r.cpu_user_ms + r.cpu_sys_ms) / events)),
      rss: median(runs.map((r) => r.peak_rss_kb / 1024)), p50: median(runs.map((r) => r.p50_ms)) });
  }
}
console.log(`${n} events, ${repeat} runs each, medians (init: spawn to first /next)`);
console.log('impl       function  init_ms  cpu_ms/event  peak_rss_MiB  p50_ms  errors');
for (const r of rows) {
  console.log(`${r.name.padEnd(10)} ${r.fn.padEnd(9)} ${fmt(r.init).padStart(7)}  ${fmt(r.cpu, 3).padStart(12)}` +
    `  ${fmt(r.rss).padStart(12)}  ${fmt(r.p50, 3).padStart(6)}  ${r.errors}`);
}
console.log(JSON.stringify(rows));
JS
