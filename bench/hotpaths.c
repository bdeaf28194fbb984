/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Throughput of each hot path on its own, from an NDJSON file of events
 * (bench/gen_events): parsing documents into rows, writing rows to SQLite,
 * reading them back in report order, and writing CSV.  Prints one JSON line
 * per stage.
 *
 *   hotpaths EVENTS.ndjson DB_PATH
 */
#include "mt/clock.h"
#include "mt/csv.h"
#include "mt/event.h"
#include "mt/ingest.h"
#include "mt/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_stage(const char *stage, size_t items, const char *unit, double seconds)
{
    printf("{\"stage\":\"%s\",\"%s\":%zu,\"seconds\":%.3f,\"%s_per_s\":%.0f}\n", stage, unit,
           items, seconds, unit, seconds > 0 ? (double)items / seconds : 0.0);
}

static enum mt_status discard(void *ctx, const char *data, size_t len)
{
    (void)data;
    *(size_t *)ctx += len;
    return MT_OK;
}

struct reader {
    struct mt_csv_writer csv;
    size_t rows;
};

static enum mt_status read_row(void *ctx, const struct mt_row *row)
{
    struct reader *r = ctx;
    r->rows++;
    return mt_csv_write_row(&r->csv, row->col, MT_COL_COUNT);
}

static enum mt_status count_row(void *ctx, const struct mt_row *row)
{
    (void)row;
    (*(size_t *)ctx)++;
    return MT_OK;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: hotpaths EVENTS.ndjson DB_PATH\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL) {
        perror(argv[1]);
        return 1;
    }
    char *line = NULL;
    size_t cap = 0, docs = 0, rows = 0;
    ssize_t n;
    struct mt_event_parser *p = mt_event_parser_new();
    struct mt_event_result r;

    double t0 = now_s();
    while ((n = getline(&line, &cap, f)) > 0) {
        mt_event_parse_document(p, (struct mt_str){line, (size_t)n}, &r);
        docs++;
        rows += r.row_count;
    }
    print_stage("parse", docs, "documents", now_s() - t0);
    (void)rows; /* counted so the parse cannot be optimised away */

    struct mt_store *store = NULL;
    struct mt_err err = {0};
    remove(argv[2]);
    if (mt_store_open_sqlite(argv[2], NULL, &store, &err) != MT_OK) {
        fprintf(stderr, "%s\n", mt_err_text(&err));
        return 1;
    }
    rewind(f);
    struct mt_ingest *ing = mt_ingest_new(store, NULL);
    t0 = now_s();
    mt_ingest_stream(ing, f, argv[1], &err);
    print_stage("ingest", mt_ingest_get_stats(ing)->documents, "documents", now_s() - t0);
    mt_ingest_free(ing);

    size_t counted = 0;
    t0 = now_s();
    store->ops->query(store, INT64_MIN, INT64_MAX, count_row, &counted, &err);
    print_stage("query", counted, "rows", now_s() - t0);

    size_t bytes = 0;
    struct reader rd = {.rows = 0};
    mt_csv_writer_init(&rd.csv, discard, &bytes);
    t0 = now_s();
    store->ops->query(store, INT64_MIN, INT64_MAX, read_row, &rd, &err);
    mt_csv_flush(&rd.csv);
    print_stage("query+csv", rd.rows, "rows", now_s() - t0);

    mt_csv_writer_cleanup(&rd.csv);
    mt_store_close(store);
    mt_event_parser_free(p);
    free(line);
    fclose(f);
    return 0;
}
