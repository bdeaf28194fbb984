/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_LAMBDA_H
#define MT_LAMBDA_H

/*
 * The pieces of the Lambda `bootstrap` program shared between main.c and
 * the tests: the log sink, and the two handlers.  Handlers receive their
 * store and output location from main.c and do not care which backend they
 * get, so the tests run them against SQLite and a local folder and the
 * function runs them against DynamoDB and S3.
 *
 * Handler contract: a handler returns MT_OK and appends its response JSON to
 * response, or returns a failure with err filled; main.c posts the status
 * name as errorType and the detail as errorMessage.
 */

#include "mt/buf.h"
#include "mt/ingest.h"
#include "mt/log.h"
#include "mt/status.h"
#include "mt/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ log sink */

/* How records are written (AWS_LAMBDA_LOG_FORMAT). */
enum lambda_log_format {
    LAMBDA_LOG_JSON,  /* one JSON object a line */
    LAMBDA_LOG_TEXT,  /* "<time>\t<request id>\t<LEVEL>\t<component> <event>: <message>" */
};

/*
 * Reads AWS_LAMBDA_LOG_FORMAT (JSON or Text, any case; default JSON) and
 * AWS_LAMBDA_LOG_LEVEL (TRACE..FATAL; default INFO), installs the sink with
 * mt_log_set_sink and sets the threshold.  Records go to fd (stdout in the
 * function), one write per record.  An unknown level or format is reported
 * once, as a WARN record, and the default is used.
 */
void lambda_log_install(int fd);

/* Installs the sink with an explicit format and level (for tests). */
void lambda_log_install_with(int fd, enum lambda_log_format format, enum mt_log_level level);

/* The request id records carry from now on; NULL or "" for none (during init). */
void lambda_log_set_request_id(const char *request_id);

/*
 * Formats one record into out (emptied first), newline included, exactly as
 * the sink writes it.  time_ms is the record's time (ms since the epoch).
 */
void lambda_log_format_record(struct mt_buf *out, enum lambda_log_format format,
                              int64_t time_ms, const char *request_id,
                              enum mt_log_level level, const char *comp, const char *event,
                              const char *msg);

/* ------------------------------------------------------------------ tracker */

/* What one tracker invocation did. */
struct lambda_tracker_counts {
    size_t records;     /* SNS records (or bare documents) seen */
    size_t rows_stored; /* rows written now */
    size_t duplicates;  /* rows that were already stored; always 0 on DynamoDB */
    size_t skipped;     /* SES set-up notices and SNS confirmations */
    size_t rejected;    /* records quarantined */
};

struct lambda_tracker {
    struct mt_store *store;   /* owned */
    struct mt_ingest *ingest; /* owned; replaced after a failed invocation */
};

/* Opens the store at store_uri.  Returns what mt_store_open returns. */
enum mt_status lambda_tracker_open(struct lambda_tracker *t, const char *store_uri,
                                   const struct mt_store_options *options, struct mt_err *err);

/*
 * Ingests one invocation's event (the SNS-to-Lambda event, borrowed) through
 * mt_ingest_document and mt_ingest_flush, and appends
 * {"records":..,"rows_stored":..,"duplicates":..,"skipped":..,"rejected":..}
 * to response.  Input that can never be stored is quarantined and counted,
 * not a failure.  Fails with the store's status (MT_ERR_PARTIAL,
 * MT_ERR_STORE, MT_ERR_TIMEOUT, ...) when any row or quarantine entry could
 * not be written, so that Lambda retries the event.  counts is filled either
 * way.
 */
enum mt_status lambda_tracker_handle(struct lambda_tracker *t, struct mt_str event,
                                     struct mt_buf *response,
                                     struct lambda_tracker_counts *counts, struct mt_err *err);

/* Releases everything.  Safe on a tracker that never opened. */
void lambda_tracker_close(struct lambda_tracker *t);

/* ------------------------------------------------------------------ report */

struct lambda_report {
    struct mt_store *store; /* owned */
    char *bucket;           /* S3_BUCKET_NAME, for the response; NULL with a local output */
    char *output_base;      /* "s3://bucket/reports/" or a folder ending in '/'; owned */
    char *key_prefix;       /* REPORT_PREFIX, e.g. "reports/"; owned */
};

/*
 * Opens the store and remembers where reports go: output_base receives
 * "<year>/email-events-<window>.csv" and its summary; bucket and key_prefix
 * only name the object in the response (bucket NULL for a local output).
 */
enum mt_status lambda_report_open(struct lambda_report *r, const char *store_uri,
                                  const char *output_base, const char *bucket,
                                  const char *key_prefix, struct mt_err *err);

/*
 * Reports the window an event asks for:
 *   a scheduled event {"detail-type": "Scheduled Event", "time": T, ...}: the
 *     ISO week before the one that holds T;
 *   {"week": "2026-W47"}: that week;
 *   {"from": T1, "to": T2}: that window.
 * Writes the CSV and the summary JSON under the output base and appends
 * {"bucket", "key", "summary_key", "location", "rows", "week", "window",
 * "summary"} to response.  rows receives the row count.  Bad events fail
 * with MT_ERR_NOT_JSON, MT_ERR_SCHEMA (none of the shapes, a field of the
 * wrong type) or MT_ERR_PARSE (a time or week that does not parse), the
 * detail naming the field; store and output failures pass through.
 */
enum mt_status lambda_report_handle(struct lambda_report *r, struct mt_str event,
                                    struct mt_buf *response, size_t *rows, struct mt_err *err);

/* Releases everything.  Safe on a report that never opened. */
void lambda_report_close(struct lambda_report *r);

#endif
