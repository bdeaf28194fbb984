/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_INGEST_H
#define MT_INGEST_H

/*
 * The one path every entry point uses to turn documents into stored rows:
 * parse (event.h), write idempotently (store.h), and keep what is rejected in
 * the quarantine.  Files and stdin, the HTTP endpoint and the Lambda tracker
 * all go through here, so they store the same rows for the same input.
 *
 * Rows are batched and written when a batch fills or on mt_ingest_flush; a
 * caller that must acknowledge durably (the HTTP endpoint, Lambda) flushes
 * before it answers.  Signature verification is the caller's: it passes a
 * check (mt_ingest_options.check) that documents must pass, or verifies an
 * SNS envelope itself before mt_ingest_message.  Otherwise this component
 * trusts the documents it is given.
 */

#include "mt/event.h"
#include "mt/status.h"
#include "mt/store.h"

#include <signal.h>
#include <stdio.h>

/* Told about each rejected document or record, e.g. to print an error line. */
typedef void (*mt_ingest_reject_fn)(void *ctx, const char *source, long line,
                                    const struct mt_reject *reject);

/*
 * Checks a whole document before its rows are taken, e.g. its SNS signature
 * (see mt_sns_verify_document).  A status other than MT_OK rejects the
 * document: nothing of it is stored, and it is quarantined with err's detail
 * as the reason.  Not called for a document already rejected whole.
 */
typedef enum mt_status (*mt_ingest_check_fn)(void *ctx, struct mt_str doc, struct mt_err *err);

struct mt_ingest_options {
    size_t batch_rows;             /* rows per store write; 0 means 2000 */
    mt_ingest_reject_fn on_reject; /* optional */
    void *on_reject_ctx;
    mt_ingest_check_fn check;      /* optional; used by mt_ingest_document and _stream */
    void *check_ctx;
    /*
     * Optional, e.g. set by a signal handler: once non-zero, a stream stops
     * reading before its next line, writes the rows it has read, and fails
     * with MT_ERR_STOPPED.  A document read only in part is dropped.
     */
    const volatile sig_atomic_t *stop;
    /*
     * Longest time rows read from a stream wait unwritten while the input
     * has nothing more to read, as a live pipe (tail -f) may not; 0 means
     * 1000 ms.  Input that keeps flowing is written in full batches.
     */
    int idle_flush_ms;
};

/* Counts since the ingest was created. */
struct mt_ingest_stats {
    size_t documents;      /* documents read */
    size_t events;         /* SES events parsed */
    size_t rows_stored;    /* rows written now */
    size_t rows_duplicate; /* rows that were already stored; always 0 on DynamoDB */
    size_t rows_failed;    /* rows the store could not write */
    size_t notices;        /* SES set-up notices skipped */
    size_t confirmations;  /* SNS subscription handshakes skipped */
    size_t rejected;       /* documents or records quarantined */
    size_t rows_by_type[MT_EVENT_TYPE_COUNT];
};

struct mt_ingest;

/* An ingest writing to store (borrowed).  NULL when out of memory. */
struct mt_ingest *mt_ingest_new(struct mt_store *store, const struct mt_ingest_options *options);

/* Flushes nothing; releases the ingest.  NULL does nothing. */
void mt_ingest_free(struct mt_ingest *ingest);

/*
 * Ingests one document.  source and line say where it came from, for the
 * quarantine and the reject callback (line 0 when not applicable).  Rejected
 * input is not a failure; a store failure or memory exhaustion is.
 */
enum mt_status mt_ingest_document(struct mt_ingest *ingest, struct mt_str doc, const char *source,
                                  long line, struct mt_err *err);

/*
 * Ingests an SNS Message whose envelope the caller has already read and
 * verified (see mt_event_parse_message).
 */
enum mt_status mt_ingest_message(struct mt_ingest *ingest, struct mt_str message,
                                 const struct mt_sns_meta *meta, const char *source,
                                 struct mt_err *err);

/*
 * Ingests a whole stream: JSON documents (which may span lines) or NDJSON
 * (one document per line), told apart by whether the first non-empty line is
 * a document on its own.  Memory stays bounded by the longest line for NDJSON.
 * Rows are written when a batch fills, when the input waits (see
 * idle_flush_ms) and at the end; MT_ERR_STOPPED when options.stop was set.
 */
enum mt_status mt_ingest_stream(struct mt_ingest *ingest, FILE *in, const char *source,
                                struct mt_err *err);

/* Writes every batched row.  On return the rows are durably stored. */
enum mt_status mt_ingest_flush(struct mt_ingest *ingest, struct mt_err *err);

/* The counts so far. */
const struct mt_ingest_stats *mt_ingest_get_stats(const struct mt_ingest *ingest);

/* The parse result of the last document, e.g. to tell a confirmation apart. */
const struct mt_event_result *mt_ingest_last_result(const struct mt_ingest *ingest);

#endif
