/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_INGEST_INT_H
#define MT_INGEST_INT_H

/* Shared between the files of the ingest component only. */

#include "mt/ingest.h"

struct mt_ingest {
    struct mt_store *store;
    struct mt_ingest_options options;
    struct mt_event_parser *parser;
    struct mt_event_result last;   /* the parser's result for the last document */
    struct mt_arena batch_arena;   /* strings of the batched rows */
    struct mt_row *batch;
    enum mt_put_outcome *outcomes;
    size_t batch_count;
    struct mt_ingest_stats stats;
    struct mt_reject check_reject; /* the reject a failed check substitutes */
    char check_reason[MT_ERR_DETAIL_MAX + 64];
};

/*
 * Parses doc into ingest->last and runs the options' check on it; a failed
 * check replaces the result by one whole-document reject.  doc must outlive
 * the result.  Fails only as mt_event_parse_document does.
 */
enum mt_status ingest_parse_document(struct mt_ingest *ingest, struct mt_str doc);

/*
 * Takes ingest->last: counts it, quarantines and reports its rejects, and
 * batches its rows.
 */
enum mt_status ingest_take_result(struct mt_ingest *ingest, const char *source, long line,
                                  struct mt_err *err);

#endif
