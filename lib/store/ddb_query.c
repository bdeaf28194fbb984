/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DynamoDB report query: one Query per day and shard of the window
 * (7 x 16 = 112 for a week), run in parallel, merged into report order.
 *
 * Why a thread pool and not curl's multi interface: mt_http runs one easy
 * handle per client with its own retry and re-signing loop, and the pages of
 * one partition must be fetched one after another anyway (each needs the
 * previous LastEvaluatedKey).  A small pool of workers, each with its own
 * client and keep-alive connection, gives the parallelism across
 * partitions with the same retry code every other call uses.
 *
 * Flow control: every partition is queued once at the start; a worker takes
 * a partition, fetches one page, decodes it into rows, parks it in the
 * partition's slot and takes the next partition.  The merge (in the caller's
 * thread) takes a parked page and, if the partition has more, queues it
 * again.  So at most one page per partition waits while the merge reads
 * another: memory is bounded by 2 x partitions x page size, whatever the
 * window holds.  An empty page that carries a LastEvaluatedKey is not the
 * end; only a page without one is.
 *
 * LIMITATION: a window may span at most 366 days (5,856 partitions), and
 * items past their TTL that DynamoDB has not deleted yet are still reported;
 * a report of a week older than the retention period can hold part of that
 * week.
 */
#include "dynamodb_int.h"

#include "mt/clock.h"
#include "mt/ddb.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Days are counted from the epoch; pk days are UTC. */
#define SLOT_IDLE 0    /* queued or being fetched */
#define SLOT_READY 1   /* a page is parked */
#define SLOT_FAILED 2

struct slot {
    int state;
    struct mt_row **rows; /* the parked page */
    size_t count;
    bool last;            /* the parked page was the partition's last */
    json_t *start_key;    /* where the next page starts; NULL before the first */
};

struct pool {
    struct ddb_store *store;
    int64_t from_ms;
    int64_t to_ms;
    int64_t first_day;
    int64_t deadline_ms;
    size_t partitions;
    struct slot *slots;
    size_t *queue;        /* ring of partitions to fetch */
    size_t q_head;
    size_t q_len;
    bool stopping;
    enum mt_status failure;
    struct mt_err failure_err;
    pthread_mutex_t lock;
    pthread_cond_t work;  /* the queue has an entry, or stopping */
    pthread_cond_t ready; /* a slot changed state */
};

static void free_rows(struct mt_row **rows, size_t count)
{
    for (size_t i = 0; rows != NULL && i < count; i++)
        free(rows[i]);
    free(rows);
}

/* The Query of one page of partition p, from its start key. */
static json_t *page_request(struct pool *pl, size_t p, json_t *start_key)
{
    int64_t day = pl->first_day + (int64_t)(p / DDB_SHARDS);
    int64_t lo = day * MT_MS_PER_DAY > pl->from_ms ? day * MT_MS_PER_DAY : pl->from_ms;
    int64_t hi = (day + 1) * MT_MS_PER_DAY < pl->to_ms ? (day + 1) * MT_MS_PER_DAY : pl->to_ms;
    char pk[DDB_PK_MAX];
    char lo_iso[MT_TIME_ISO_LEN + 1];
    char hi_iso[MT_TIME_ISO_LEN + 1];
    char hi_key[MT_TIME_ISO_LEN + 3];

    ddb_partition_key(day * MT_MS_PER_DAY, (int)(p % DDB_SHARDS), pk);
    mt_time_format_iso(lo, lo_iso);
    mt_time_format_iso(hi - 1, hi_iso);
    snprintf(hi_key, sizeof(hi_key), "%s#~", hi_iso); /* after every key of that millisecond */
    json_t *values = json_pack("{s:{s:s}, s:{s:s}, s:{s:s}}", ":pk", "S", pk, ":lo", "S",
                               lo_iso, ":hi", "S", hi_key);
    struct mt_ddb_query q = {pl->store->table, NULL, "pk = :pk AND sk BETWEEN :lo AND :hi",
                             NULL, values, start_key, pl->store->page_items, true};
    json_t *body = values ? mt_ddb_query_body(&q) : NULL;
    json_decref(values);
    return body;
}

/* Decodes a page's items into rows inside the window. */
static enum mt_status decode_page(struct pool *pl, json_t *items, struct mt_row ***rows,
                                  size_t *count, struct mt_err *err)
{
    size_t n = json_array_size(items);
    struct mt_row **out = calloc(n + 1, sizeof(*out));
    size_t kept = 0;
    enum mt_status st = out ? MT_OK : mt_err_set(err, MT_ERR_NOMEM, "out of memory");

    for (size_t i = 0; st == MT_OK && i < n; i++) {
        struct mt_row *row = NULL;
        st = ddb_item_row(json_array_get(items, i), &row, err);
        if (st == MT_OK && row->event_time_ms >= pl->from_ms && row->event_time_ms < pl->to_ms)
            out[kept++] = row;
        else
            free(row);
    }
    if (st != MT_OK) {
        free_rows(out, kept);
        return st;
    }
    *rows = out;
    *count = kept;
    return MT_OK;
}

/* Fetches the next page of partition p into its slot (called without the lock). */
static enum mt_status fetch(struct pool *pl, struct mt_ddb_client *client, size_t p,
                            json_t *start_key, struct slot *result, struct mt_err *err)
{
    json_t *body = page_request(pl, p, start_key);
    json_t *resp = NULL;
    json_t *items = NULL;
    json_t *last = NULL;

    if (body == NULL)
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory building a Query");
    enum mt_status st = mt_ddb_call(client, "Query", pl->store->table, body, pl->deadline_ms,
                                    &resp, NULL, err);
    if (st == MT_OK)
        st = mt_ddb_query_result(resp, &items, &last, err);
    if (st == MT_OK)
        st = decode_page(pl, items, &result->rows, &result->count, err);
    if (st == MT_OK) {
        result->last = last == NULL;
        result->start_key = json_incref(last);
    }
    json_decref(resp);
    json_decref(body);
    return st;
}

/* Takes the next partition off the queue; false when stopping. */
static bool next_work(struct pool *pl, size_t *p, json_t **start_key)
{
    pthread_mutex_lock(&pl->lock);
    while (!pl->stopping && pl->q_len == 0)
        pthread_cond_wait(&pl->work, &pl->lock);
    bool ok = !pl->stopping;
    if (ok) {
        *p = pl->queue[pl->q_head];
        pl->q_head = (pl->q_head + 1) % pl->partitions;
        pl->q_len--;
        *start_key = pl->slots[*p].start_key;
        pl->slots[*p].start_key = NULL;
    }
    pthread_mutex_unlock(&pl->lock);
    return ok;
}

/* Parks a fetched page, or records the first failure. */
static void park(struct pool *pl, size_t p, struct slot *result, enum mt_status st,
                 const struct mt_err *err)
{
    pthread_mutex_lock(&pl->lock);
    struct slot *s = &pl->slots[p];
    if (st == MT_OK) {
        s->rows = result->rows;
        s->count = result->count;
        s->last = result->last;
        s->start_key = result->start_key;
        s->state = SLOT_READY;
    } else {
        s->state = SLOT_FAILED;
        if (pl->failure == MT_OK) {
            pl->failure = st;
            pl->failure_err = *err;
        }
    }
    pthread_cond_broadcast(&pl->ready);
    pthread_mutex_unlock(&pl->lock);
}

/* A worker: its own client, so its own connection. */
static void *worker(void *arg)
{
    struct pool *pl = arg;
    struct mt_ddb_client *client = NULL;
    struct mt_err err = {0};
    enum mt_status st = mt_ddb_client_new(pl->store->aws, NULL, &client, &err);
    size_t p;
    json_t *start_key;

    while (next_work(pl, &p, &start_key)) {
        struct slot result = {0};
        struct mt_err e = {0};
        enum mt_status fst = st == MT_OK ? fetch(pl, client, p, start_key, &result, &e) : st;
        json_decref(start_key);
        park(pl, p, &result, fst, st == MT_OK ? &e : &err);
    }
    mt_ddb_client_free(client);
    return NULL;
}

/* ddb_page_fn for the merge: waits for partition p's parked page. */
static enum mt_status take_page(void *ctx, size_t p, struct mt_row ***rows, size_t *count,
                                bool *done, struct mt_err *err)
{
    struct pool *pl = ctx;
    enum mt_status st = MT_OK;

    pthread_mutex_lock(&pl->lock);
    while (pl->slots[p].state == SLOT_IDLE && pl->failure == MT_OK)
        pthread_cond_wait(&pl->ready, &pl->lock);
    struct slot *s = &pl->slots[p];
    if (pl->failure != MT_OK) {
        st = mt_err_set(err, pl->failure, "%s", pl->failure_err.detail);
    } else {
        *rows = s->rows;
        *count = s->count;
        *done = s->last;
        s->rows = NULL;
        s->count = 0;
        s->state = SLOT_IDLE;
        if (!s->last) {
            pl->queue[(pl->q_head + pl->q_len) % pl->partitions] = p;
            pl->q_len++;
            pthread_cond_signal(&pl->work);
        }
    }
    pthread_mutex_unlock(&pl->lock);
    return st;
}

static void pool_cleanup(struct pool *pl)
{
    for (size_t i = 0; pl->slots != NULL && i < pl->partitions; i++) {
        free_rows(pl->slots[i].rows, pl->slots[i].count);
        json_decref(pl->slots[i].start_key);
    }
    free(pl->slots);
    free(pl->queue);
    pthread_mutex_destroy(&pl->lock);
    pthread_cond_destroy(&pl->work);
    pthread_cond_destroy(&pl->ready);
}

/* Stops the workers and waits for them. */
static void stop_workers(struct pool *pl, pthread_t *threads, int started)
{
    pthread_mutex_lock(&pl->lock);
    pl->stopping = true;
    pthread_cond_broadcast(&pl->work);
    pthread_mutex_unlock(&pl->lock);
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
}

static enum mt_status pool_init(struct pool *pl, struct ddb_store *s, int64_t from_ms,
                                int64_t to_ms)
{
    int64_t first_day = from_ms >= 0 ? from_ms / MT_MS_PER_DAY
                                     : -((-from_ms + MT_MS_PER_DAY - 1) / MT_MS_PER_DAY);
    int64_t last_ms = to_ms - 1;
    int64_t last_day = last_ms >= 0 ? last_ms / MT_MS_PER_DAY
                                    : -((-last_ms + MT_MS_PER_DAY - 1) / MT_MS_PER_DAY);

    memset(pl, 0, sizeof(*pl));
    pl->store = s;
    pl->from_ms = from_ms;
    pl->to_ms = to_ms;
    pl->first_day = first_day;
    pl->deadline_ms = ddb_deadline_after(s->query_timeout_ms);
    pl->partitions = (size_t)(last_day - first_day + 1) * DDB_SHARDS;
    pthread_mutex_init(&pl->lock, NULL);
    pthread_cond_init(&pl->work, NULL);
    pthread_cond_init(&pl->ready, NULL);
    pl->slots = calloc(pl->partitions, sizeof(*pl->slots));
    pl->queue = calloc(pl->partitions, sizeof(*pl->queue));
    if (pl->slots == NULL || pl->queue == NULL)
        return MT_ERR_NOMEM;
    for (size_t i = 0; i < pl->partitions; i++)
        pl->queue[i] = i;
    pl->q_len = pl->partitions;
    return MT_OK;
}

enum mt_status ddb_store_query(struct ddb_store *s, int64_t from_ms, int64_t to_ms,
                               mt_store_row_fn fn, void *ctx, struct mt_err *err)
{
    struct pool pl;
    pthread_t threads[32];
    int started = 0;

    if (to_ms <= from_ms)
        return MT_OK;
    if ((to_ms - from_ms) / MT_MS_PER_DAY > 366)
        return mt_err_set(err, MT_ERR_INVALID, "DynamoDB table '%s': a report window may span "
                          "at most 366 days", s->table);
    enum mt_status st = pool_init(&pl, s, from_ms, to_ms);
    int want = s->query_threads < (int)pl.partitions ? s->query_threads : (int)pl.partitions;
    while (st == MT_OK && started < want) {
        if (pthread_create(&threads[started], NULL, worker, &pl) != 0)
            break;
        started++;
    }
    if (st == MT_OK && started == 0)
        st = mt_err_set(err, MT_ERR_NOMEM, "cannot start query threads");
    if (st == MT_OK)
        st = ddb_merge(pl.partitions, take_page, &pl, fn, ctx, err);
    else if (st == MT_ERR_NOMEM)
        mt_err_set(err, st, "out of memory querying DynamoDB table '%s'", s->table);

    stop_workers(&pl, threads, started);
    pool_cleanup(&pl);
    return st;
}
