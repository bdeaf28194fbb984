/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Documents to stored rows.
 *
 * The parser's rows point into the parser and die with the next document, so
 * rows waiting for a batch write are copied into the ingest's own arena.
 * Rejects are written to the quarantine at once: they are rare, and keeping
 * them must not depend on a later batch succeeding.
 */
#include "ingest_int.h"

#include "mt/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BATCH_ROWS 2000

struct mt_ingest *mt_ingest_new(struct mt_store *store, const struct mt_ingest_options *options)
{
    struct mt_ingest *ing = calloc(1, sizeof(*ing));
    if (ing == NULL)
        return NULL;

    ing->store = store;
    if (options != NULL)
        ing->options = *options;
    if (ing->options.batch_rows == 0)
        ing->options.batch_rows = DEFAULT_BATCH_ROWS;
    mt_arena_init(&ing->batch_arena, 0);

    ing->parser = mt_event_parser_new();
    ing->batch = calloc(ing->options.batch_rows, sizeof(*ing->batch));
    ing->outcomes = calloc(ing->options.batch_rows, sizeof(*ing->outcomes));
    if (ing->parser == NULL || ing->batch == NULL || ing->outcomes == NULL) {
        mt_ingest_free(ing);
        return NULL;
    }
    return ing;
}

void mt_ingest_free(struct mt_ingest *ing)
{
    if (ing == NULL)
        return;
    mt_event_parser_free(ing->parser);
    mt_arena_cleanup(&ing->batch_arena);
    free(ing->batch);
    free(ing->outcomes);
    free(ing);
}

const struct mt_ingest_stats *mt_ingest_get_stats(const struct mt_ingest *ing)
{
    return &ing->stats;
}

const struct mt_event_result *mt_ingest_last_result(const struct mt_ingest *ing)
{
    return &ing->last;
}

enum mt_status mt_ingest_flush(struct mt_ingest *ing, struct mt_err *err)
{
    if (ing->batch_count == 0)
        return MT_OK;

    enum mt_status st = ing->store->ops->put_rows(ing->store, ing->batch, ing->batch_count,
                                                  ing->outcomes, err);
    for (size_t i = 0; i < ing->batch_count; i++) {
        switch (ing->outcomes[i]) {
        case MT_PUT_STORED:
            ing->stats.rows_stored++;
            if ((unsigned)ing->batch[i].type < MT_EVENT_TYPE_COUNT)
                ing->stats.rows_by_type[ing->batch[i].type]++;
            break;
        case MT_PUT_DUPLICATE:
            ing->stats.rows_duplicate++;
            break;
        case MT_PUT_FAILED:
            ing->stats.rows_failed++;
            break;
        }
    }
    ing->batch_count = 0;
    mt_arena_reset(&ing->batch_arena);
    return st;
}

/* Copies a row and its strings into the batch. */
static enum mt_status batch_row(struct mt_ingest *ing, const struct mt_row *row,
                                struct mt_err *err)
{
    struct mt_row *copy = &ing->batch[ing->batch_count];
    *copy = *row;
    for (int c = 0; c < MT_COL_COUNT; c++) {
        if (row->col[c].ptr == NULL)
            continue;
        copy->col[c] = mt_arena_strdup(&ing->batch_arena, row->col[c]);
        if (copy->col[c].ptr == NULL)
            return mt_err_set(err, MT_ERR_NOMEM, "out of memory batching rows");
    }
    ing->batch_count++;

    if (ing->batch_count == ing->options.batch_rows)
        return mt_ingest_flush(ing, err);
    return MT_OK;
}

enum mt_status ingest_take_result(struct mt_ingest *ing, const char *source, long line,
                                  struct mt_err *err)
{
    const struct mt_event_result *res = &ing->last;
    enum mt_status st = MT_OK;

    ing->stats.events += res->events;
    ing->stats.notices += res->notices;
    ing->stats.confirmations += res->confirmations;
    for (size_t i = 0; i < res->reject_count && st == MT_OK; i++) {
        const struct mt_reject *r = &res->rejects[i];
        struct mt_quarantine_entry e = {
            .received_ms = mt_time_now_ms(),
            .source = source,
            .line = line,
            .record = r->record,
            .reason = r->reason,
            .raw = r->raw,
        };
        ing->stats.rejected++;
        if (ing->options.on_reject != NULL)
            ing->options.on_reject(ing->options.on_reject_ctx, source, line, r);
        st = ing->store->ops->put_quarantine(ing->store, &e, err);
    }
    for (size_t i = 0; i < res->row_count && st == MT_OK; i++)
        st = batch_row(ing, &res->rows[i], err);
    return st;
}

/* True when the parse rejected the whole document and gave no rows. */
static bool rejected_whole(const struct mt_event_result *r)
{
    return r->row_count == 0 && r->reject_count > 0 && r->rejects[0].record < 0;
}

enum mt_status ingest_parse_document(struct mt_ingest *ing, struct mt_str doc)
{
    enum mt_status st = mt_event_parse_document(ing->parser, doc, &ing->last);
    if (st != MT_OK || ing->options.check == NULL || rejected_whole(&ing->last))
        return st;

    struct mt_err check_err = {0};
    enum mt_status verdict = ing->options.check(ing->options.check_ctx, doc, &check_err);
    if (verdict == MT_OK)
        return MT_OK;
    snprintf(ing->check_reason, sizeof(ing->check_reason), "document refused: %s",
             mt_err_text(&check_err));
    ing->check_reject = (struct mt_reject){
        .record = -1, .code = verdict, .reason = ing->check_reason, .raw = doc};
    ing->last = (struct mt_event_result){
        .envelope = ing->last.envelope, .rejects = &ing->check_reject, .reject_count = 1};
    return MT_OK;
}

enum mt_status mt_ingest_document(struct mt_ingest *ing, struct mt_str doc, const char *source,
                                  long line, struct mt_err *err)
{
    ing->stats.documents++;
    enum mt_status st = ingest_parse_document(ing, doc);
    if (st != MT_OK)
        return mt_err_set(err, st, "%s (line %ld): %s", source, line, mt_status_str(st));
    return ingest_take_result(ing, source, line, err);
}

enum mt_status mt_ingest_message(struct mt_ingest *ing, struct mt_str message,
                                 const struct mt_sns_meta *meta, const char *source,
                                 struct mt_err *err)
{
    ing->stats.documents++;
    enum mt_status st = mt_event_parse_message(ing->parser, message, meta, &ing->last);
    if (st != MT_OK)
        return mt_err_set(err, st, "%s: %s", source, mt_status_str(st));
    return ingest_take_result(ing, source, 0, err);
}
