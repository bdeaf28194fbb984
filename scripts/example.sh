#!/usr/bin/env bash
# mailtrack's main job on the embedded default, on the bundled example week:
# installs what is missing, builds, ingests examples/week-2026-W48 into a
# fresh SQLite database and writes that week's CSV report and summary.
#
# Everything lands in out/example/: events.db, the CSV and the summary JSON.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh build
cmake -S . -B build-example -DCMAKE_BUILD_TYPE=Release -DMT_TESTS=OFF -DMT_BENCH=OFF >/dev/null
cmake --build build-example --target mailtrack -j"$(nproc)" >/dev/null

out=out/example
rm -rf "$out"
mkdir -p "$out"
export MAILTRACK_DB="$PWD/$out/events.db"

echo "== ingest examples/week-2026-W48 (the bad documents are meant to be rejected, and events the"
echo "   example holds twice, as SNS redelivers them and in both SES shapes, count as already stored)"
status=0
build-example/cli/mailtrack ingest examples/week-2026-W48/* || status=$?
# 3 means some documents were rejected and quarantined, as the example intends.
[ "$status" -eq 0 ] || [ "$status" -eq 3 ] || exit "$status"

echo "== quarantine"
build-example/cli/mailtrack quarantine

echo "== report --week 2026-W48 (events the example holds just before and after the week are left out)"
build-example/cli/mailtrack report --week 2026-W48 --out "$out/" --print-summary
