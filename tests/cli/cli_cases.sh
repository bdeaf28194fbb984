#!/usr/bin/env bash
# The mailtrack binary as a user runs it: stdout, stderr and exit codes.
#
#   cli_cases.sh MAILTRACK FIXTURES EXAMPLES CASE
#
# Runs one case (a function named case_*); CTest registers each as a test.
set -u

MT=$1
FIXTURES=$2
EXAMPLES=$3
CASE=$4

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mt-cli-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export MAILTRACK_DB="$WORK/events.db"
export XDG_DATA_HOME="$WORK/xdg"

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# run CMD...: runs mailtrack, keeping stdout, stderr and the exit code.
run() {
    "$MT" "$@" >"$WORK/out" 2>"$WORK/err"
    STATUS=$?
}

expect_status() {
    [ "$STATUS" -eq "$1" ] || fail "exit $STATUS, expected $1; stderr: $(cat "$WORK/err")"
}

expect_out() {
    grep -qF -- "$1" "$WORK/out" || fail "stdout lacks '$1': $(head -c 2000 "$WORK/out")"
}

expect_err() {
    grep -qF -- "$1" "$WORK/err" || fail "stderr lacks '$1': $(head -c 2000 "$WORK/err")"
}

expect_no_out() {
    [ ! -s "$WORK/reports" ] || fail "stdout should be empty: $(head -c 500 "$WORK/out")"
}

case_help_and_version() {
    run --help
    expect_status 0
    expect_out "usage: mailtrack"
    expect_out "ingest"
    run --version
    expect_status 0
    grep -Eq '^mailtrack [0-9]+\.[0-9]+\.[0-9]+$' "$WORK/out" || fail "bad version line"
    for cmd in ingest report quarantine; do
        run "$cmd" --help
        expect_status 0
        expect_out "usage: mailtrack $cmd"
        expect_out "Exit status"
        run help "$cmd"
        expect_status 0
        expect_out "usage: mailtrack $cmd"
    done
}

case_usage_errors() {
    run
    expect_status 2
    run frobnicate
    expect_status 2
    expect_err "'frobnicate' is not a mailtrack command"
    run ingest --bogus
    expect_status 2
    expect_err "'--bogus'"
    expect_err "Try 'mailtrack ingest --help'"
    run report --week 2026-W99
    expect_status 2
    expect_err "'2026-W99' is not an ISO week"
    run report --week 2026-W48 --last-week
    expect_status 2
    run report --from 2026-11-23
    expect_status 2
    expect_err "--from and --to go together"
    run report --db a.db --store sqlite:b.db
    expect_status 2
    run quarantine --show abc
    expect_status 2
}

case_serve_option_values_are_usage_errors() {
    topic=arn:aws:sns:us-east-1:111122223333:events
    run serve --topic "$topic" --path sns
    expect_status 2
    expect_err "--path 'sns' does not start with '/'"
    expect_err "Try 'mailtrack serve --help'"
    run serve --topic "$topic" --path /metrics
    expect_status 2
    expect_err "--path '/metrics' is taken"
    run serve --topic "$topic" --path "/$(printf 'a%.0s' $(seq 300))"
    expect_status 2
    expect_err "is longer than 255 bytes"
    run serve --topic "$topic" --address 1.2.3
    expect_status 2
    expect_err "--address '1.2.3' is not an IPv4 or IPv6 address"
    for port in 99999 65536 abc -1 ""; do
        run serve --topic "$topic" --port "$port"
        expect_status 2
        expect_err "--port '$port' is not a number from 0 to 65535"
    done
    for threads in 0 257 x; do
        run serve --topic "$topic" --threads "$threads"
        expect_status 2
        expect_err "--threads '$threads' is not a number from 1 to 256"
    done
    run serve --topic "$topic" --per-ip-limit 0
    expect_status 2
    expect_err "--per-ip-limit '0' is not a number from 1 to 100000"
    run serve --topic "$topic" --commit-group 5000
    expect_status 2
    expect_err "--commit-group '5000' is not a number from 1 to 4096"
    [ ! -e "$MAILTRACK_DB" ] || fail "a usage error opened the database"
}

case_ingest_fixtures_and_idempotence() {
    run ingest "$FIXTURES"/events/*.json
    expect_status 0
    expect_err "rows stored 24, already stored 6"
    expect_err "SNS confirmations 2"
    run ingest "$FIXTURES"/events/*.json
    expect_status 0
    expect_err "rows stored 0, already stored 30"
    [ "$(sqlite3 "$MAILTRACK_DB" 'select count(*) from events')" = 24 ] || fail "row count"
}

case_ingest_stdin_and_dash() {
    "$MT" ingest <"$FIXTURES/events/ep-send.json" 2>"$WORK/err" || fail "stdin ingest failed"
    grep -q "rows stored 1," "$WORK/err" || fail "stdin: $(cat "$WORK/err")"
    cat "$FIXTURES/events/ep-open.json" | "$MT" ingest - "$FIXTURES/events/ep-click-linktags.json" \
        2>"$WORK/err" || fail "dash ingest failed"
    grep -q "rows stored 2," "$WORK/err" || fail "dash: $(cat "$WORK/err")"
}

case_ingest_rejects_named_and_kept() {
    printf '%s\n' '{"eventType":"Send","mail":{"messageId":"m","timestamp":"2026-11-23T07:00:00Z","destination":["a@example.net"]},"send":{}}' \
        '{"eventType": "Quarantine", "mail": {}}' 'not json at all' >"$WORK/mixed.ndjson"
    run ingest "$WORK/mixed.ndjson" "$FIXTURES"/events/bad/ep-missing-mail.json
    expect_status 3
    expect_err "rejected $WORK/mixed.ndjson:2: unknown eventType 'Quarantine'"
    expect_err "rejected $WORK/mixed.ndjson:3: not valid JSON"
    expect_err "ep-missing-mail.json:1: mail object is missing"
    expect_err "rows stored 1,"
    run quarantine
    expect_status 0
    [ "$(wc -l <"$WORK/out")" -eq 3 ] || fail "quarantine should list 3: $(cat "$WORK/out")"
    expect_out "mixed.ndjson:3	not valid JSON"
    run quarantine --show 2
    expect_status 0
    [ "$(cat "$WORK/out")" = "not json at all" ] || fail "raw: $(cat "$WORK/out")"
    run quarantine --json
    expect_status 0
    expect_out '"reason":"unknown eventType '"'"'Quarantine'"'"'"'
    run quarantine --show 99
    expect_status 1
    expect_err "no quarantine entry 99"
}

case_quarantine_json_lists_entries_that_are_not_utf8() {
    printf '{}\n\xff\xfe\n{"a":"caf\xc3\xa9"}\n' >"$WORK/bytes.ndjson"
    run ingest "$WORK/bytes.ndjson"
    expect_status 3
    run quarantine --json
    expect_status 0
    [ ! -s "$WORK/err" ] || fail "stderr: $(cat "$WORK/err")"
    [ "$(grep -c '' "$WORK/out")" -eq 3 ] || fail "every entry should be listed: $(cat "$WORK/out")"
    sed -n 1p "$WORK/out" | grep -qF '"raw":"{}"}' || fail "entry 1: $(sed -n 1p "$WORK/out")"
    sed -n 2p "$WORK/out" | grep -qF '"raw":"\uFFFD\uFFFD","raw_base64":"//4="}' ||
        fail "entry 2: $(sed -n 2p "$WORK/out")"
    sed -n 3p "$WORK/out" | grep -qF '"raw":"{\"a\":\"caf\u00E9\"}"}' ||
        fail "entry 3: $(sed -n 3p "$WORK/out")"
    ! grep -q raw_base64 <(sed 2d "$WORK/out") || fail "raw_base64 on a UTF-8 entry"
    run quarantine --show 2
    expect_status 0
    [ "$(od -An -tx1 "$WORK/out" | tr -d ' \n')" = fffe ] || fail "raw bytes of entry 2"
}

case_ingest_missing_file_keeps_going() {
    run ingest "$WORK/nope.json" "$FIXTURES/events/ep-send.json"
    expect_status 1
    expect_err "cannot open '$WORK/nope.json': No such file or directory"
    expect_err "rows stored 1,"
    run ingest "$WORK"
    expect_status 1
    expect_err "$WORK"
}

case_ingest_binary_garbage() {
    head -c 65536 /dev/urandom >"$WORK/garbage.bin"
    printf '\0\0\0{"Records":[\n' >>"$WORK/garbage.bin"
    run ingest "$WORK/garbage.bin" "$FIXTURES/events/ep-send.json"
    expect_status 3
    expect_err "rows stored 1,"
    [ "$(sqlite3 "$MAILTRACK_DB" 'pragma integrity_check')" = ok ] || fail "integrity"
}

case_report_week_files_and_bytes() {
    run ingest "$EXAMPLES"/*
    expect_status 3
    run report --week 2026-W48 --out "$WORK/r1/"
    expect_status 0
    expect_out "$WORK/r1/email-events-2026-W48.csv"
    expect_out "$WORK/r1/email-events-2026-W48.summary.json"
    head -1 "$WORK/r1/email-events-2026-W48.csv" | grep -q '^event_time,event_type,message_id,mail_time,source,recipient,destination,subject,configuration_set,tags,bounce_type,bounce_subtype,status,diagnostic,complaint_subtype,feedback_type,smtp_response,reporting_mta,processing_ms,remote_mta,ip_address,user_agent,link,delay_type,expiration_time,error_message,sns_message_id,topic_arn'$'\r''$' \
        || fail "header"
    grep -q '"label":"2026-W48"' "$WORK/r1/email-events-2026-W48.summary.json" || fail "summary"
    # The same events ingested in another order, in another database, give the same bytes.
    export MAILTRACK_DB="$WORK/other.db"
    for f in $(ls "$EXAMPLES"/* | sort -r); do "$MT" -q ingest "$f" 2>/dev/null; done
    run report --week 2026-W48 --out "$WORK/r2.csv"
    expect_status 0
    cmp "$WORK/r1/email-events-2026-W48.csv" "$WORK/r2.csv" || fail "CSV differs"
    [ -f "$WORK/r2.summary.json" ] || fail "summary beside a file target"
    run report --from 2026-11-23T00:00:00Z --to 2026-11-30T00:00:00Z --out -
    expect_status 0
    cmp "$WORK/out" "$WORK/r2.csv" || fail "stdout CSV differs"
}

case_report_last_week_and_summary() {
    run ingest "$EXAMPLES"/*
    run report --last-week --now 2026-12-01T07:00:00Z --out "$WORK" --print-summary
    expect_status 0
    expect_out "report 2026-W48"
    expect_out "complaint rate"
    expect_out "SES reviews at 5%"
    run report --now 2026-12-08T07:00:00Z --out "$WORK"
    expect_status 0
    expect_out "email-events-2026-W49.csv"
    # The message sent just after Sunday midnight belongs to week 49 only.
    grep -q '^2026-11-30T00:00:00.500Z,Send,' "$WORK/email-events-2026-W49.csv" || fail "W49"
    ! grep -q '^2026-11-2' "$WORK/email-events-2026-W49.csv" || fail "W49 holds a W48 row"
    ! grep -q '^2026-11-30' "$WORK/email-events-2026-W48.csv" || fail "W48 holds a W49 row"
    grep -q '^2026-11-29T23:58:01.250Z,Send,' "$WORK/email-events-2026-W48.csv" || fail "W48 end"
}

case_report_unwritable_target() {
    run ingest "$FIXTURES/events/ep-send.json"
    run report --week 2026-W48 --out /proc/nonexistent/x.csv
    expect_status 1
    expect_err "/proc/nonexistent/x.csv"
}

case_store_option_errors() {
    run ingest --store dynamodb://events "$FIXTURES/events/ep-send.json"
    [ "$STATUS" -ne 0 ] || fail "dynamodb store without settings should fail"
    run ingest --store "gopher://x" "$FIXTURES/events/ep-send.json"
    expect_status 2
    expect_err "unknown scheme"
    run ingest --db "$WORK/a.db" --db "$WORK/b.db" "$FIXTURES/events/ep-send.json"
    expect_status 2
    expect_err "give --db once"
    run report --week 2026-W48 --week 2026-W49 --out -
    expect_status 2
    expect_err "give --week once"
    run report --week 2026-W48 --out ''
    expect_status 2
    expect_err "--out is empty"
    echo "plain text" >"$WORK/notadb"
    run ingest --db "$WORK/notadb" "$FIXTURES/events/ep-send.json"
    expect_status 1
    expect_err "$WORK/notadb"
}

case_databases_that_keep_nothing_are_refused() {
    for db in "" ":memory:"; do
        run ingest --db "$db" "$FIXTURES/events/ep-send.json"
        expect_status 2
        if [ -z "$db" ]; then expect_err "the database path is empty"; else expect_err "keeps nothing"; fi
        run ingest --store "sqlite:$db" "$FIXTURES/events/ep-send.json"
        expect_status 2
        run serve --db "$db" --topic arn:aws:sns:us-east-1:111122223333:ses-events
        expect_status 2
    done
    MAILTRACK_DB=":memory:" run ingest "$FIXTURES/events/ep-send.json"
    expect_status 1
    expect_err "keeps nothing"
    run ingest --store ":memory:" "$FIXTURES/events/ep-send.json"
    expect_status 2
    # An empty MAILTRACK_DB is unset, as for other variables: the default database is used.
    MAILTRACK_DB="" run ingest "$FIXTURES/events/ep-send.json"
    expect_status 0
    [ -f "$XDG_DATA_HOME/mailtrack/events.db" ] || fail "empty MAILTRACK_DB: no default database"
    # A name that looks like an SQLite URI is a file of that name, never an in-memory database.
    (cd "$WORK" && "$MT" ingest --db "file:uri.db?mode=memory" "$FIXTURES/events/ep-send.json" \
        2>"$WORK/err") || fail "file: name: $(cat "$WORK/err")"
    [ "$(sqlite3 "$WORK/file:uri.db?mode=memory" 'select count(*) from events')" = 1 ] ||
        fail "the rows are not in the file named file:uri.db?mode=memory"
}

case_options_after_file_names() {
    run ingest "$FIXTURES/events/ep-send.json" --db "$WORK/after.db"
    expect_status 0
    expect_err "rows stored 1,"
    [ "$(sqlite3 "$WORK/after.db" 'select count(*) from events')" = 1 ] || fail "after.db"
    [ ! -e "$MAILTRACK_DB" ] || fail "rows went to MAILTRACK_DB instead of --db"
    run ingest -- "$FIXTURES/events/ep-send.json" --db
    expect_status 1
    expect_err "cannot open '--db'"
}

# wait_for_rows N: waits up to 20 s until the database holds N rows.
wait_for_rows() {
    for _ in $(seq 1 200); do
        [ "$(sqlite3 "$MAILTRACK_DB" 'select count(*) from events' 2>/dev/null)" = "$1" ] && return 0
        sleep 0.1
    done
    fail "the database never held $1 rows"
}

case_live_input_written_while_waiting_and_on_stop() {
    mkfifo "$WORK/live"
    "$MT" ingest <"$WORK/live" 2>"$WORK/err" &
    local pid=$!
    exec 3>"$WORK/live"
    printf '%s\n' '{"eventType":"Send","send":{},"mail":{"messageId":"l1","timestamp":"2026-11-23T07:00:00Z","destination":["a@example.net"]}}' >&3
    # The writer stays open and silent: the row must still be written.
    wait_for_rows 1
    printf '%s\n' '{"eventType":"Send","send":{},"mail":{"messageId":"l2","timestamp":"2026-11-23T07:00:01Z","destination":["b@example.net"]}}' >&3
    # A pretty-printed document is written as soon as it closes, with nothing after it.
    printf '{\n  "eventType": "Send", "send": {},\n  "mail": {"messageId": "l3",\n    "timestamp": "2026-11-23T07:00:02Z", "destination": ["c@example.net"]}\n}\n' >&3
    wait_for_rows 3
    printf '{"eventType":"Send","send":{},"mail":{"messageId":"l4"' >&3
    sleep 0.2
    kill -TERM "$pid"
    wait "$pid"
    local status=$?
    exec 3>&-
    [ "$status" -eq 143 ] || fail "exit $status after SIGTERM, expected 143"
    grep -qF "stopped before the end of stdin; the rows read so far are stored" "$WORK/err" ||
        fail "no stop message: $(cat "$WORK/err")"
    grep -qF "rows stored 3," "$WORK/err" || fail "totals: $(cat "$WORK/err")"
    # A hang-up (the terminal or ssh session gone) stops it the same way.
    "$MT" ingest <"$WORK/live" 2>"$WORK/err" &
    pid=$!
    exec 3>"$WORK/live"
    printf '%s\n' '{"eventType":"Send","send":{},"mail":{"messageId":"l5","timestamp":"2026-11-23T07:00:03Z","destination":["d@example.net"]}}' >&3
    wait_for_rows 4
    kill -HUP "$pid"
    wait "$pid"
    status=$?
    exec 3>&-
    [ "$status" -eq 129 ] || fail "exit $status after SIGHUP, expected 129"
    # The line cut short by the stop is neither stored nor quarantined.
    run quarantine
    expect_status 0
    [ ! -s "$WORK/out" ] || fail "quarantine should be empty: $(cat "$WORK/out")"
}

case_read_commands_on_a_read_only_database() {
    run ingest "$FIXTURES"/events/*.json
    "$MT" report --from 2000-01-01 --to 2100-01-01 --out - >"$WORK/writable.csv" ||
        fail "report on the writable database"
    mkdir "$WORK/ro"
    mv "$MAILTRACK_DB" "$WORK/ro/events.db"
    chmod 0444 "$WORK/ro/events.db"
    chmod 0555 "$WORK/ro"
    # root may write anything: read as an unprivileged user instead.
    local as_reader=()
    if [ "$(id -u)" -eq 0 ]; then
        chmod 0755 "$WORK"
        as_reader=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    fi
    "${as_reader[@]}" "$MT" report --db "$WORK/ro/events.db" --from 2000-01-01 --to 2100-01-01 \
        --out - >"$WORK/out" 2>"$WORK/err" || fail "report on a read-only folder: $(cat "$WORK/err")"
    cmp -s "$WORK/out" "$WORK/writable.csv" || fail "the read-only report differs"
    [ "$(grep -c '^20[0-9][0-9]-' "$WORK/out")" -ge 20 ] || fail "too few rows: $(head -3 "$WORK/out")"
    "${as_reader[@]}" "$MT" quarantine --db "$WORK/ro/events.db" >"$WORK/out" 2>"$WORK/err" ||
        fail "quarantine on a read-only folder: $(cat "$WORK/err")"
    [ ! -e "$WORK/ro/events.db-shm" ] || fail "a read-only open created a -shm file"
    if [ "$(id -u)" -eq 0 ]; then
        # A -wal file left beside a copy: the reader cannot make the -shm it needs.
        : >"$WORK/ro/events.db-wal"
        "${as_reader[@]}" "$MT" report --db "$WORK/ro/events.db" --week 2026-W48 --out - \
            >/dev/null 2>"$WORK/err"
        [ $? -eq 1 ] || fail "a report beside an unmerged -wal file should fail"
        grep -qF "has a -wal file of changes not yet merged" "$WORK/err" || fail "$(cat "$WORK/err")"
        rm "$WORK/ro/events.db-wal"
    fi
    "${as_reader[@]}" "$MT" ingest --db "$WORK/ro/events.db" "$FIXTURES/events/ep-send.json" \
        2>"$WORK/err"
    [ $? -eq 1 ] || fail "ingest into a read-only database should fail"
    grep -qF "cannot be written: Permission denied" "$WORK/err" || fail "$(cat "$WORK/err")"
    chmod 0755 "$WORK/ro"
}

case_default_database_under_xdg() {
    unset MAILTRACK_DB
    run ingest "$FIXTURES/events/ep-send.json"
    expect_status 0
    [ -f "$XDG_DATA_HOME/mailtrack/events.db" ] || fail "no database under XDG_DATA_HOME"
    [ "$(stat -c %a "$XDG_DATA_HOME/mailtrack")" = 700 ] || fail "folder mode"
}

case_concurrent_ingests() {
    "$MT" -q ingest "$EXAMPLES"/ses-records.ndjson "$EXAMPLES"/sns-http-bodies.ndjson &
    p1=$!
    "$MT" -q ingest "$EXAMPLES"/sns-http-bodies.ndjson "$EXAMPLES"/ses-records.ndjson &
    p2=$!
    wait $p1 || fail "first ingest failed"
    wait $p2 || fail "second ingest failed"
    export MAILTRACK_DB="$WORK/serial.db"
    "$MT" -q ingest "$EXAMPLES"/ses-records.ndjson "$EXAMPLES"/sns-http-bodies.ndjson
    a=$(sqlite3 "$WORK/events.db" 'select count(*) from events')
    b=$(sqlite3 "$WORK/serial.db" 'select count(*) from events')
    [ "$a" = "$b" ] && [ "$a" -gt 100 ] || fail "concurrent $a vs serial $b"
}

case_stdout_closed_is_an_error() {
    "$MT" ingest "$FIXTURES/events/ep-send.json" 2>/dev/null
    "$MT" report --week 2025-W11 --out - >/dev/full 2>"$WORK/err"
    [ $? -eq 1 ] || fail "writing to a full stdout must fail"
    grep -q "standard output: No space left on device" "$WORK/err" || fail "$(cat "$WORK/err")"
}

case_control_characters_are_escaped() {
    printf '%s\n' '{"eventType":"\u001b[2J\u001b[31mRED\u0007\r\nmailtrack: fake line","mail":{}}' \
        >"$WORK/ansi.ndjson"
    run ingest "$WORK/ansi.ndjson"
    expect_status 3
    ! grep -q $'\x1b' "$WORK/err" || fail "an escape character reached stderr"
    [ "$(grep -c '' "$WORK/err")" -eq 2 ] || fail "a line was forged: $(cat "$WORK/err")"
    expect_err 'unknown eventType '"'"'\x1b[2J\x1b[31mRED\x07\x0d\x0amailtrack: fake line'"'"
    run quarantine
    expect_status 0
    ! grep -q $'\x1b' "$WORK/out" || fail "an escape character reached the listing"
    [ "$(grep -c '' "$WORK/out")" -eq 1 ] || fail "the listing has more than one line"
}

case_read_commands_need_an_existing_database() {
    run report --db "$WORK/typo.db" --week 2026-W48 --out -
    expect_status 1
    expect_err "database '$WORK/typo.db' does not exist"
    [ ! -e "$WORK/typo.db" ] || fail "report created the database"
    run quarantine --db "$WORK/typo2.db"
    expect_status 1
    [ ! -e "$WORK/typo2.db" ] || fail "quarantine created the database"
    run quarantine --json --show 1
    expect_status 2
}

case_report_now_only_with_last_week() {
    mkdir "$WORK/reports"
    run report --week 2026-W48 --now 2026-12-01T00:00Z --out "$WORK/reports"
    expect_status 2
    expect_err "--now sets the current time for --last-week"
    run report --from 2026-11-23 --to 2026-11-30 --now 2026-12-01T00:00Z --out "$WORK/reports"
    expect_status 2
    [ -z "$(ls "$WORK/reports")" ] || fail "a usage error wrote files"
}

case_report_targets_links_and_pipes() {
    run ingest "$FIXTURES/events/ep-send.json"
    expect_status 0
    # A symbolic link: the file it points to is replaced, the link stays.
    mkdir -p "$WORK/real"
    echo old >"$WORK/real/week.csv"
    ln -s "$WORK/real/week.csv" "$WORK/link.csv"
    run report --week 2025-W11 --out "$WORK/link.csv"
    expect_status 0
    [ -L "$WORK/link.csv" ] || fail "the link was replaced"
    grep -q ',Send,' "$WORK/real/week.csv" || fail "the link's target was not written"
    [ -f "$WORK/real/week.summary.json" ] || fail "no summary beside the link's target"
    [ ! -e "$WORK/link.summary.json" ] || fail "a summary beside the link, apart from its CSV"
    expect_out "$WORK/real/week.summary.json"
    # A report that cannot write its summary leaves the old pair in place.
    echo old >"$WORK/pair.csv"
    mkdir "$WORK/pair.summary.json"
    run report --week 2025-W11 --out "$WORK/pair.csv"
    expect_status 1
    expect_err "pair.summary.json': it is a folder"
    [ "$(cat "$WORK/pair.csv")" = old ] || fail "the CSV was replaced although the report failed"
    if ls "$WORK" | grep -q '\.tmp\.'; then fail "a temporary file was left behind"; fi
    # A pipe is written in place, alone.
    mkfifo "$WORK/pipe"
    cat "$WORK/pipe" >"$WORK/from-pipe" &
    reader=$!
    run report --week 2025-W11 --out "$WORK/pipe"
    expect_status 0
    wait "$reader"
    [ -p "$WORK/pipe" ] || fail "the pipe was replaced"
    cmp "$WORK/from-pipe" "$WORK/real/week.csv" || fail "the pipe got other bytes"
    [ ! -e "$WORK/pipe.summary.json" ] || fail "a summary was written beside a pipe"
    ln -s "$WORK/nowhere/x.csv" "$WORK/dangling.csv"
    run report --week 2025-W11 --out "$WORK/dangling.csv"
    expect_status 1
    expect_err "symbolic link to a missing file"
}

case_nul_bytes_and_huge_documents() {
    head -3 "$EXAMPLES/ses-records.ndjson" >"$WORK/nul.ndjson"
    printf 'garbage\0more\n' >>"$WORK/nul.ndjson"
    sed -n 4,5p "$EXAMPLES/ses-records.ndjson" >>"$WORK/nul.ndjson"
    run ingest "$WORK/nul.ndjson"
    expect_status 3
    expect_err "documents 6, events 5,"
    expect_err "rejected $WORK/nul.ndjson:4:"
    # A byte-order mark in front of a pretty-printed document is ignored.
    printf '\357\273\277' >"$WORK/bom.json"
    cat "$FIXTURES/events/sns-lambda-bounce.json" >>"$WORK/bom.json"
    run ingest "$WORK/bom.json"
    expect_status 0
    expect_err "rows stored 4,"
}

# Every numeric option takes plain decimal digits in its range, never a
# clamped or wrapped value: anything else is a usage error naming the value.
case_numeric_options_are_checked() {
    run ingest "$FIXTURES/events/ep-send.json"
    expect_status 0
    run quarantine --show 99999999999999999999
    expect_status 2
    expect_err "--show '99999999999999999999' is not a number from 1 to 9223372036854775807"
    for id in 0 -1 +5 " 5" 5x 0x5 ""; do
        run quarantine --show "$id"
        expect_status 2
        expect_err "--show '$id' is not a number"
    done
    run quarantine --show 9223372036854775807
    expect_status 1
    expect_err "no quarantine entry 9223372036854775807"

    local send=(send-test --from a@example.com --to b@example.com --host 127.0.0.1)
    for port in 99999999999999999999 65536 0 " 587" +587 587x; do
        run "${send[@]}" --port "$port"
        expect_status 2
        expect_err "--port '$port' is not a number from 1 to 65535"
    done
    for timeout in 0 0.0005 3601 1e2 0x10 inf " 5" 5. .5 -1 99999999999999999999; do
        run "${send[@]}" --timeout "$timeout"
        expect_status 2
        expect_err "--timeout '$timeout' is not a number of seconds from 0.001 to 3600"
    done

    local topic=arn:aws:sns:eu-west-1:123456789012:ses-events
    run serve --topic "$topic" --port 18446744073709551617
    expect_status 2
    expect_err "--port '18446744073709551617' is not a number from 0 to 65535"
    run serve --topic "$topic" --threads 99999999999999999999
    expect_status 2
    expect_err "--threads '99999999999999999999' is not a number from 1 to 256"
    run serve --topic "$topic" --commit-group 0
    expect_status 2
    expect_err "--commit-group '0' is not a number from 1 to 4096"
    run serve --topic "$topic" --per-ip-limit " 8"
    expect_status 2
    expect_err "--per-ip-limit ' 8' is not a number from 1 to 100000"
    # 4294967739 is 2^32 + 443: it must not pass as port 443.
    run serve --topic "$topic" --connect-to sns.example.com:4294967739:127.0.0.1:443
    expect_status 2
    expect_err "must be HOST:PORT:ADDR:PORT with a loopback ADDR"

    MAILTRACK_RETENTION_DAYS=99999999999999999999 run quarantine
    expect_status 1
    expect_err "MAILTRACK_RETENTION_DAYS '99999999999999999999' is not a number of days"
}

"$CASE"
