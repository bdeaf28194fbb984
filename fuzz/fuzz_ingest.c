/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Any bytes as a file given to `mailtrack ingest`, into an in-memory SQLite
 * store: stream splitting, parsing, batching and the quarantine together.
 * Every document read is accounted for: stored, duplicate, skipped or
 * rejected, and the store stays readable.
 */
#include "mt/ingest.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum mt_status count_row(void *ctx, const struct mt_row *row)
{
    (void)row;
    (*(size_t *)ctx)++;
    return MT_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mt_store *store = NULL;
    struct mt_err err = {0};

    if (size == 0 || mt_store_open_sqlite(":memory:", NULL, &store, &err) != MT_OK)
        return 0;
    struct mt_ingest *ing = mt_ingest_new(store, NULL);
    FILE *f = fmemopen((void *)(uintptr_t)data, size, "r");
    if (ing == NULL || f == NULL || mt_ingest_stream(ing, f, "fuzz", &err) != MT_OK)
        abort();
    fclose(f);

    size_t rows = 0;
    const struct mt_ingest_stats *s = mt_ingest_get_stats(ing);
    if (store->ops->query(store, INT64_MIN, INT64_MAX, count_row, &rows, &err) != MT_OK ||
        rows != s->rows_stored || s->rows_failed != 0)
        abort();
    mt_ingest_free(ing);
    mt_store_close(store);
    return 0;
}
