#!/usr/bin/env bash
# The embedded default's throughput and memory, outside pass/fail:
# for N = 10^4, 10^5 and 10^6 generated events (bench/gen_events), prints
# ingest events/s, report rows/s and the peak RSS of each, pinned to one core.
#
#   bench/run.sh [BUILD_DIR]      (default build-release, built here if missing)
#
# Targets on a 2-core machine: ingest >= 50,000 events/s, report >= 500,000
# rows/s, peak memory flat as N grows.  Also prints the per-stage figures of
# bench/hotpaths for the largest N.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build-release}
if [ ! -x "$build/bench/measure" ]; then
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DMT_TESTS=OFF >/dev/null
fi
cmake --build "$build" -j"$(nproc)" --target mailtrack gen_events measure hotpaths >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/mt-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
mt=$build/cli/mailtrack
one_core=(taskset -c 0)
command -v taskset >/dev/null || one_core=()

field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }

printf '%-9s %14s %10s %14s %10s\n' events ingest/s rss_kib report_rows/s rss_kib
for n in 10000 100000 1000000; do
    "$build/bench/gen_events" "$n" >"$work/events.ndjson"
    rm -f "$work"/db*
    ing=$("${one_core[@]}" "$build/bench/measure" -- "$mt" -q ingest --db "$work/db" \
        "$work/events.ndjson")
    rows=$(sqlite3 "$work/db" 'select count(*) from events' 2>/dev/null || echo "$n")
    rep=$("${one_core[@]}" "$build/bench/measure" --stdout /dev/null -- "$mt" report \
        --db "$work/db" --week 2026-W48 --out "$work/report.csv")
    ing_ms=$(echo "$ing" | field wall_ms)
    rep_ms=$(echo "$rep" | field wall_ms)
    printf '%-9s %14.0f %10s %14.0f %10s\n' "$n" "$(awk "BEGIN { print $n / $ing_ms * 1000 }")" \
        "$(echo "$ing" | field max_rss_kb)" "$(awk "BEGIN { print $rows / $rep_ms * 1000 }")" \
        "$(echo "$rep" | field max_rss_kb)"
    printf '{"events":%s,"rows":%s,"ingest":%s,"report":%s}\n' "$n" "$rows" "$ing" "$rep" \
        >>"$work/raw.ndjson"
done
echo
cat "$work/raw.ndjson"
echo
"${one_core[@]}" "$build/bench/hotpaths" "$work/events.ndjson" "$work/hot.db"
