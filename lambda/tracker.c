/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tracker handler: an SNS-to-Lambda event in, rows stored.
 *
 * The whole event goes through the same ingest path as the CLI
 * (mt_ingest_document, then mt_ingest_flush), so the function stores the
 * same rows as `mailtrack ingest` for the same input.  What can never be
 * stored (not JSON, not an SES record, an unknown event type) is kept in the
 * store's quarantine and logged once; it does not fail the invocation,
 * because a retry could not help.  A row or quarantine entry the store could
 * not write does fail it, so Lambda retries the event and finally hands it
 * to the on-failure destination.  Writes are idempotent, so a retry stores
 * only what is missing.
 *
 * Signature verification is not done here: SNS invokes the function through
 * Lambda's own authenticated path, and the subscription's topic is fixed in
 * the infrastructure.
 */
#include "lambda.h"

#include "mt/log.h"

#include <string.h>

/*
 * Logs each quarantined record once.  The reason may quote a field's value
 * (an unknown event type, a malformed time), and input can put an address or
 * a subject anywhere, so the reason is logged at debug only; the warning
 * names the record and the kind of problem.  The quarantine keeps the rest.
 */
static void on_reject(void *ctx, const char *source, long line, const struct mt_reject *reject)
{
    (void)ctx;
    (void)source;
    (void)line;
    MT_LOG(MT_LOG_WARN, "tracker", "record_quarantined", "record %d quarantined (%s)",
           reject->record, mt_status_name(reject->code));
    MT_LOG(MT_LOG_DEBUG, "tracker", "record_quarantined_reason", "record %d: %.200s",
           reject->record, reject->reason);
}

static enum mt_status new_ingest(struct lambda_tracker *t, struct mt_err *err)
{
    struct mt_ingest_options options = {.on_reject = on_reject};

    mt_ingest_free(t->ingest);
    t->ingest = mt_ingest_new(t->store, &options);
    if (t->ingest == NULL)
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory creating the ingest");
    return MT_OK;
}

enum mt_status lambda_tracker_open(struct lambda_tracker *t, const char *store_uri,
                                   const struct mt_store_options *options, struct mt_err *err)
{
    memset(t, 0, sizeof(*t));
    enum mt_status st = mt_store_open(store_uri, options, &t->store, err);
    if (st == MT_OK)
        st = new_ingest(t, err);
    if (st != MT_OK)
        lambda_tracker_close(t);
    return st;
}

void lambda_tracker_close(struct lambda_tracker *t)
{
    mt_ingest_free(t->ingest);
    mt_store_close(t->store);
    memset(t, 0, sizeof(*t));
}

/* The difference between two snapshots of the ingest's counts. */
static void count_delta(const struct mt_ingest_stats *before, const struct mt_ingest_stats *after,
                        struct lambda_tracker_counts *c)
{
    c->rows_stored = after->rows_stored - before->rows_stored;
    c->duplicates = after->rows_duplicate - before->rows_duplicate;
    c->skipped = (after->notices - before->notices) +
                 (after->confirmations - before->confirmations);
    c->rejected = after->rejected - before->rejected;
    /* Every record gives exactly one of: an event, a notice, a confirmation, a reject. */
    c->records = (after->events - before->events) + c->skipped + c->rejected;
}

enum mt_status lambda_tracker_handle(struct lambda_tracker *t, struct mt_str event,
                                     struct mt_buf *response,
                                     struct lambda_tracker_counts *counts, struct mt_err *err)
{
    memset(counts, 0, sizeof(*counts));
    if (t->ingest == NULL && new_ingest(t, err) != MT_OK)
        return MT_ERR_NOMEM;

    struct mt_ingest_stats before = *mt_ingest_get_stats(t->ingest);
    enum mt_status st = mt_ingest_document(t->ingest, event, "lambda", 0, err);
    if (st == MT_OK)
        st = mt_ingest_flush(t->ingest, err);
    count_delta(&before, mt_ingest_get_stats(t->ingest), counts);
    MT_LOG(MT_LOG_INFO, "tracker", "records_ingested",
           "records=%zu rows_stored=%zu duplicates=%zu skipped=%zu rejected=%zu result=%s",
           counts->records, counts->rows_stored, counts->duplicates, counts->skipped,
           counts->rejected, mt_status_name(st));

    if (st != MT_OK) {
        /* Forget rows still batched: Lambda's retry delivers the whole event again. */
        struct mt_err ignored = {0};
        new_ingest(t, &ignored);
        return st;
    }
    return mt_buf_appendf(response, "{\"records\":%zu,\"rows_stored\":%zu,\"duplicates\":%zu,"
                          "\"skipped\":%zu,\"rejected\":%zu}", counts->records,
                          counts->rows_stored, counts->duplicates, counts->skipped,
                          counts->rejected);
}
