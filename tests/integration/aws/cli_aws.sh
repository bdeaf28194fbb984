#!/usr/bin/env bash
# Every mailtrack command against AWS's stand-ins, as a user runs them:
# dynalite for DynamoDB and s3rver for S3, both on 127.0.0.1, started here and
# stopped when this script exits.  What mailtrack wrote is read back with the
# AWS SDK for JavaScript (tests/peers/read-back.mjs), and the report is
# compared byte for byte with the one the SQLite store gives.
#
#   cli_aws.sh MAILTRACK SOURCE_DIR CASE
set -u

MT=$1
SRC=$2
CASE=$3
PEERS=$SRC/tests/peers
EXAMPLES=$SRC/examples/week-2026-W48

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

[ -d "$PEERS/node_modules" ] || fail "test peers missing: run npm ci --prefix tests/peers"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mt-aws-XXXXXX")

# The stand-ins run as a coprocess; they exit when their standard input closes.
coproc STANDINS { exec node "$PEERS/stand-ins.mjs" --dynamodb --s3 reports 2>"$WORK/peers.err"; }
trap 'kill "$STANDINS_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
read -r -t 30 line <&"${STANDINS[0]}" || fail "stand-ins did not start: $(cat "$WORK/peers.err")"
DDB=$(echo "$line" | sed -n 's/.*"dynamodb":"\([^"]*\)".*/\1/p')
S3=$(echo "$line" | sed -n 's/.*"s3":"\([^"]*\)".*/\1/p')
[ -n "$DDB" ] && [ -n "$S3" ] || fail "stand-ins said: $line"

# A clean AWS environment: dummy keys (the stand-ins check no signatures),
# no shared files, the endpoints of the stand-ins.
unset AWS_PROFILE AWS_ENDPOINT_URL AWS_SESSION_TOKEN AWS_DEFAULT_REGION
export HOME=$WORK AWS_CONFIG_FILE=$WORK/none AWS_SHARED_CREDENTIALS_FILE=$WORK/none
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
export AWS_ENDPOINT_URL_DYNAMODB=$DDB AWS_ENDPOINT_URL_S3=$S3
export MAILTRACK_DB=$WORK/local.db

run() {
    "$MT" "$@" >"$WORK/out" 2>"$WORK/err"
    STATUS=$?
}

expect_status() {
    [ "$STATUS" -eq "$1" ] || fail "exit $STATUS, expected $1: $(cat "$WORK/err")"
}

read_back() {
    node "$PEERS/read-back.mjs" "$@"
}

# Distinct row keys in a table: each copy of an event is an item of its own.
row_keys() {
    read_back ddb-items "$DDB" "$1" | sed -n 's/.*"row_key":"\([0-9a-f]*\)".*/\1/p' | sort -u |
        wc -l
}

case_setup_ingest_report_quarantine() {
    run setup-table --store dynamodb://mail-events
    expect_status 0
    grep -q "dynamodb store" "$WORK/out" || fail "setup-table said: $(cat "$WORK/out")"
    run setup-table --store dynamodb://mail-events
    expect_status 0
    read_back ddb-ttl "$DDB" mail-events | grep -q '"AttributeName":"pk"' || fail "key schema"

    run ingest --store dynamodb://mail-events "$EXAMPLES"/*
    expect_status 3
    grep -q "rejected 5" "$WORK/err" || fail "ingest: $(tail -1 "$WORK/err")"
    "$MT" -q ingest "$EXAMPLES"/* 2>/dev/null
    rows=$(row_keys mail-events)
    local_rows=$(sqlite3 "$MAILTRACK_DB" 'select count(*) from events')
    [ "$rows" -eq "$local_rows" ] || fail "DynamoDB holds $rows rows, SQLite $local_rows"

    run report --store dynamodb://mail-events --week 2026-W48 --out s3://reports/weekly/
    expect_status 0
    grep -q "s3://reports/weekly/email-events-2026-W48.csv" "$WORK/out" || fail "$(cat "$WORK/out")"
    READ_BACK_BODY=$WORK/from-s3.csv read_back s3-object "$S3" reports \
        weekly/email-events-2026-W48.csv >"$WORK/meta" || fail "no CSV in S3"
    grep -q '"contentType":"text/csv' "$WORK/meta" || fail "content type: $(cat "$WORK/meta")"
    read_back s3-list "$S3" reports | grep -q "weekly/email-events-2026-W48.summary.json" ||
        fail "no summary in S3"
    run report --week 2026-W48 --out "$WORK/local.csv"
    expect_status 0
    cmp "$WORK/from-s3.csv" "$WORK/local.csv" || fail "DynamoDB and SQLite reports differ"

    run quarantine --store dynamodb://mail-events
    expect_status 0
    [ "$(wc -l <"$WORK/out")" -eq 5 ] || fail "quarantine: $(cat "$WORK/out")"
    grep -q "unknown eventType 'Quarantine'" "$WORK/out" || fail "quarantine reasons"
}

# Ingesting again rewrites the same items: no item is added.  The DynamoDB
# store cannot tell an overwrite from a new item, so it reports every row
# stored and none "already stored".
case_ingest_again_adds_nothing() {
    run setup-table --store dynamodb://again
    expect_status 0
    "$MT" -q ingest --store dynamodb://again "$SRC"/tests/fixtures/events/*.json || fail "first"
    before=$(read_back ddb-items "$DDB" again | wc -l)
    run ingest --store dynamodb://again "$SRC"/tests/fixtures/events/*.json
    expect_status 0
    grep -q "already stored 0," "$WORK/err" || fail "ingest said: $(tail -1 "$WORK/err")"
    after=$(read_back ddb-items "$DDB" again | wc -l)
    [ "$before" -eq "$after" ] || fail "items $before then $after"
    [ "$(row_keys again)" -eq 24 ] || fail "$(row_keys again) rows, not 24"
}

case_clear_errors_without_settings() {
    unset AWS_REGION
    run ingest --store dynamodb://mail-events "$SRC/tests/fixtures/events/ep-send.json"
    expect_status 1
    grep -qi "region" "$WORK/err" || fail "no word on the region: $(cat "$WORK/err")"
    export AWS_REGION=us-east-1
    run report --store dynamodb://no-such-table --week 2026-W48 --out "$WORK/"
    expect_status 1
    grep -q "ResourceNotFoundException" "$WORK/err" || fail "$(cat "$WORK/err")"
    "$MT" -q ingest "$SRC/tests/fixtures/events/ep-send.json" 2>/dev/null
    run report --week 2026-W48 --out s3://no-such-bucket/x/
    expect_status 1
    grep -q "NoSuchBucket" "$WORK/err" || fail "$(cat "$WORK/err")"
    ! grep -q "S3RVER" "$WORK/err" || fail "a secret appears in an error message"
}

"$CASE"
