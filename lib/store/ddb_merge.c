/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The k-way merge behind the DynamoDB weekly report.
 *
 * A partition's Query returns items by sort key: event time, then row key,
 * then the copy's preference.  Every copy of an event stored is an item of
 * its own, and the copies of one event sit next to each other with the
 * preferred one first, so each stream keeps the first item of each row key
 * and frees the ones after it: a streaming dedupe that needs no memory of its
 * own.  Report order (mt_row_cmp) breaks ties in event time by message id,
 * recipient and event type before the row key, so each partition stream is
 * read as runs of equal event time; a run is sorted on its own and then
 * competes, through a binary heap keyed on each stream's next row, with the
 * other partitions.  Each row is handed to the caller and freed at once, so
 * memory holds one page and one run per partition, never the whole window.
 *
 * LIMITATION: a run is held whole, so rows of one partition that share one
 * millisecond all sit in memory at once.  Real traffic spreads events over
 * milliseconds and 16 shards, but a replay that stamps many thousands of
 * events with one time makes the report's memory grow with that run.
 */
#include "dynamodb_int.h"

#include <stdlib.h>
#include <string.h>

struct stream {
    size_t partition;
    struct mt_row **page; /* current page; rows before page_pos have moved to a run */
    size_t page_count;
    size_t page_pos;
    bool last_page;       /* no page follows the current one */
    struct mt_row **run;  /* rows of one event time, in report order */
    size_t run_count;
    size_t run_cap;
    size_t run_pos;
};

struct merge {
    struct stream *streams;
    size_t count;
    struct stream **heap;
    size_t heap_len;
    ddb_page_fn next_page;
    void *page_ctx;
};

static int row_ptr_cmp(const void *a, const void *b)
{
    return mt_row_cmp(*(struct mt_row *const *)a, *(struct mt_row *const *)b);
}

/* Replaces a drained page with the partition's next one. */
static enum mt_status next_page(struct merge *m, struct stream *s, struct mt_err *err)
{
    struct mt_row **rows = NULL;
    size_t count = 0;
    bool done = false;

    free(s->page);
    s->page = NULL;
    s->page_count = s->page_pos = 0;
    enum mt_status st = m->next_page(m->page_ctx, s->partition, &rows, &count, &done, err);
    if (st != MT_OK)
        return st;
    s->page = rows;
    s->page_count = count;
    s->last_page = done;
    return MT_OK;
}

static enum mt_status run_push(struct stream *s, struct mt_row *row, struct mt_err *err)
{
    if (s->run_count == s->run_cap) {
        size_t cap = s->run_cap ? s->run_cap * 2 : 64;
        struct mt_row **grown = realloc(s->run, cap * sizeof(*grown));
        if (grown == NULL)
            return mt_err_set(err, MT_ERR_NOMEM, "out of memory merging the report");
        s->run = grown;
        s->run_cap = cap;
    }
    s->run[s->run_count++] = row;
    return MT_OK;
}

/*
 * Collects the stream's next run of equal event time, fetching pages as
 * needed, and sorts it.  A row with the key of the row pushed just before it
 * is a less preferred copy of that row's event and is freed: copies share
 * their event time, so they never straddle two runs, and the run is pushed
 * in stream order, sorted only once it is complete.  run_count 0 afterwards
 * means the stream is over.
 */
static enum mt_status fill_run(struct merge *m, struct stream *s, struct mt_err *err)
{
    enum mt_status st = MT_OK;

    s->run_count = s->run_pos = 0;
    while (st == MT_OK) {
        if (s->page_pos == s->page_count) {
            if (s->last_page)
                break;
            st = next_page(m, s, err);
            continue;
        }
        struct mt_row *row = s->page[s->page_pos];
        if (s->run_count > 0 && row->event_time_ms != s->run[0]->event_time_ms)
            break;
        if (s->run_count > 0 && strcmp(row->key, s->run[s->run_count - 1]->key) == 0) {
            free(row);
            s->page[s->page_pos++] = NULL;
            continue;
        }
        st = run_push(s, row, err);
        if (st == MT_OK)
            s->page[s->page_pos++] = NULL;
    }
    if (st == MT_OK && s->run_count > 1)
        qsort(s->run, s->run_count, sizeof(*s->run), row_ptr_cmp);
    return st;
}

static bool heap_less(struct stream *a, struct stream *b)
{
    return mt_row_cmp(a->run[a->run_pos], b->run[b->run_pos]) < 0;
}

static void sift_down(struct merge *m, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, best = i;
        if (l < m->heap_len && heap_less(m->heap[l], m->heap[best]))
            best = l;
        if (r < m->heap_len && heap_less(m->heap[r], m->heap[best]))
            best = r;
        if (best == i)
            return;
        struct stream *t = m->heap[i];
        m->heap[i] = m->heap[best];
        m->heap[best] = t;
        i = best;
    }
}

/* Hands the smallest row to fn and advances its stream. */
static enum mt_status emit_one(struct merge *m, mt_store_row_fn fn, void *fn_ctx,
                               struct mt_err *err)
{
    struct stream *s = m->heap[0];
    struct mt_row *row = s->run[s->run_pos];

    s->run[s->run_pos++] = NULL;
    enum mt_status st = fn(fn_ctx, row);
    free(row);
    if (st != MT_OK)
        return st;

    if (s->run_pos == s->run_count) {
        st = fill_run(m, s, err);
        if (st != MT_OK)
            return st;
        if (s->run_count == 0)
            m->heap[0] = m->heap[--m->heap_len];
    }
    sift_down(m, 0);
    return MT_OK;
}

static void free_stream(struct stream *s)
{
    for (size_t i = s->page_pos; s->page != NULL && i < s->page_count; i++)
        free(s->page[i]);
    for (size_t i = s->run_pos; s->run != NULL && i < s->run_count; i++)
        free(s->run[i]);
    free(s->page);
    free(s->run);
}

enum mt_status ddb_merge(size_t partitions, ddb_page_fn next, void *page_ctx,
                         mt_store_row_fn fn, void *fn_ctx, struct mt_err *err)
{
    struct merge m = {calloc(partitions + 1, sizeof(struct stream)), partitions,
                      calloc(partitions + 1, sizeof(struct stream *)), 0, next, page_ctx};
    enum mt_status st = MT_OK;

    if (m.streams == NULL || m.heap == NULL) {
        st = mt_err_set(err, MT_ERR_NOMEM, "out of memory merging the report");
        goto out;
    }
    for (size_t i = 0; st == MT_OK && i < partitions; i++) {
        m.streams[i].partition = i;
        st = fill_run(&m, &m.streams[i], err);
        if (st == MT_OK && m.streams[i].run_count > 0)
            m.heap[m.heap_len++] = &m.streams[i];
    }
    for (size_t i = m.heap_len; st == MT_OK && i-- > 0;)
        sift_down(&m, i);

    while (st == MT_OK && m.heap_len > 0)
        st = emit_one(&m, fn, fn_ctx, err);
out:
    for (size_t i = 0; m.streams != NULL && i < partitions; i++)
        free_stream(&m.streams[i]);
    free(m.streams);
    free(m.heap);
    return st;
}
