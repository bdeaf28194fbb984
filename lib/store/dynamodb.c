/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DynamoDB backend: rows and quarantine entries written with
 * BatchWriteItem in the table layout of dynamodb_int.h, the report read by
 * ddb_query.c, the quarantine listed with a Scan.
 *
 * Writes go out in batches of MT_DDB_BATCH_MAX distinct keys (a batch that
 * names one key twice is refused whole), and what DynamoDB leaves unprocessed
 * or throttles is sent again with capped exponential backoff and full jitter
 * until it is written or the write deadline passes; then each row not
 * written is reported MT_PUT_FAILED and the call returns MT_ERR_PARTIAL.
 *
 * One write per row, no read: each copy of an event (its event-publishing
 * and identity-notification shapes, or the same record in two SNS messages)
 * is an item of its own, whose sort key ends in the copy's preference
 * (mt_row_preference), and the report keeps the first item of each row key,
 * the preferred copy (ddb_merge.c).  So which copy is reported does not
 * depend on the order copies arrive in, nor on two writers racing, as in
 * the SQLite store.  The same copy delivered again has the same key and
 * overwrites its item with the same content: a retried or repeated write
 * adds nothing.  Without a read, a new item cannot be told from an
 * overwrite, so every row written is reported MT_PUT_STORED, never
 * MT_PUT_DUPLICATE.
 *
 * LIMITATION: every distinct copy of an event stays in the table until its
 * TTL expires, so an account that receives each event in both SES shapes, or
 * through two subscriptions, stores (and pays for, and the report reads) each
 * row two or more times; only one of them is reported.
 */
#include "dynamodb_int.h"

#include "mt/aws.h"
#include "mt/clock.h"
#include "mt/ddb.h"
#include "mt/log.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_RETENTION_DAYS 400
#define DEFAULT_WRITE_TIMEOUT_MS 30000
#define DEFAULT_QUERY_TIMEOUT_MS 300000
#define BACKOFF_BASE_MS 50
#define BACKOFF_CAP_MS 2000
#define SETUP_TIMEOUT_MS 60000

/* One write in flight: an item and where its outcome goes. */
struct pending {
    json_t *item;
    size_t index; /* into the caller's outcomes */
};

/* Items of one call that are still to be written, in order. */
struct write_queue {
    struct pending *items;
    size_t head;
    size_t tail;
    size_t cap;
};

static bool table_name_valid(const char *t)
{
    size_t n = strlen(t);
    if (n < 3 || n > 255)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

/* Sleeps a jittered, capped exponential backoff, never past deadline_ms. */
static void backoff(int round, int64_t deadline_ms)
{
    int64_t ceiling = BACKOFF_BASE_MS << (round < 10 ? round : 10);
    uint32_t r = 0;

    if (ceiling > BACKOFF_CAP_MS)
        ceiling = BACKOFF_CAP_MS;
    if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
        r = (uint32_t)round * 2654435761u;
    int64_t wait = (int64_t)(r % (uint32_t)(ceiling + 1));
    int64_t left = deadline_ms - mt_time_monotonic_ms();
    if (wait > left)
        wait = left;
    if (wait <= 0)
        return;
    struct timespec ts = {wait / 1000, (long)(wait % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static enum mt_status queue_push(struct write_queue *q, json_t *item, size_t index)
{
    if (q->tail == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 64;
        struct pending *grown = realloc(q->items, cap * sizeof(*grown));
        if (grown == NULL)
            return MT_ERR_NOMEM;
        q->items = grown;
        q->cap = cap;
    }
    q->items[q->tail++] = (struct pending){item, index};
    return MT_OK;
}

static void queue_free(struct write_queue *q)
{
    for (size_t i = q->head; i < q->tail; i++)
        json_decref(q->items[i].item);
    free(q->items);
}

/* Takes up to MT_DDB_BATCH_MAX items off the queue into batch and taken. */
static size_t queue_take(struct write_queue *q, json_t *batch, struct pending *taken)
{
    size_t n = 0;
    while (q->head < q->tail && n < MT_DDB_BATCH_MAX) {
        taken[n] = q->items[q->head++];
        json_array_append(batch, taken[n].item);
        n++;
    }
    if (q->head == q->tail)
        q->head = q->tail = 0;
    return n;
}

/* True when item is among the unprocessed ones (same pk and sk). */
static bool is_unprocessed(const json_t *item, const json_t *unprocessed)
{
    size_t i;
    json_t *u;
    json_array_foreach(unprocessed, i, u) {
        if (mt_str_eq(mt_ddb_item_s(u, "pk"), mt_ddb_item_s(item, "pk")) &&
            mt_str_eq(mt_ddb_item_s(u, "sk"), mt_ddb_item_s(item, "sk")))
            return true;
    }
    return false;
}

/* What a write loop ended with. */
struct write_result {
    size_t written;
    size_t failed;
    enum mt_status last;    /* last failure, MT_OK when none */
    struct mt_err last_err; /* its detail */
    bool timed_out;         /* items were still waiting when the write deadline passed */
};

static bool retryable(enum mt_status st)
{
    return st == MT_ERR_THROTTLED || st == MT_ERR_TIMEOUT || st == MT_ERR_HTTP ||
           st == MT_ERR_CONNECT;
}

static void note_failure(struct write_result *res, enum mt_status st, const struct mt_err *e)
{
    res->last = st;
    res->last_err = *e;
}

/*
 * Sends one batch.  Written items set done[index]; unprocessed items, and the
 * whole batch after a retryable failure, go back on the queue; after any
 * other failure the batch's items count as failed.  Returns true when
 * something went back on the queue.
 */
static bool send_batch(struct ddb_store *s, struct write_queue *q, int64_t deadline_ms,
                       bool *done, struct write_result *res)
{
    struct pending taken[MT_DDB_BATCH_MAX];
    json_t *batch = json_array();
    json_t *unprocessed = NULL;
    struct mt_err e = {0};
    size_t requeued = 0;

    size_t n = batch ? queue_take(q, batch, taken) : 0;
    enum mt_status st = batch ? mt_ddb_batch_write(s->client, s->table, batch, deadline_ms,
                                                   &unprocessed, &e)
                              : mt_err_set(&e, MT_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        bool again = st == MT_OK ? is_unprocessed(taken[i].item, unprocessed) : retryable(st);
        if (again && queue_push(q, taken[i].item, taken[i].index) == MT_OK) {
            requeued++;
            continue;
        }
        if (st == MT_OK && !again) {
            done[taken[i].index] = true;
            res->written++;
        } else {
            res->failed++;
        }
        json_decref(taken[i].item);
    }
    if (st != MT_OK)
        note_failure(res, st, &e);
    else if (requeued > 0)
        note_failure(res, MT_ERR_THROTTLED, &(struct mt_err){MT_ERR_THROTTLED,
                     "DynamoDB left items unprocessed"});
    json_decref(unprocessed);
    json_decref(batch);
    return requeued > 0;
}

/*
 * Writes everything on the queue, retrying with backoff until it is written
 * or the write deadline passes; what is left then counts as failed.
 */
static void write_all(struct ddb_store *s, struct write_queue *q, bool *done,
                      struct write_result *res)
{
    int64_t deadline_ms = ddb_deadline_after(s->write_timeout_ms);
    int round = 0;

    memset(res, 0, sizeof(*res));
    while (q->head < q->tail) {
        if (mt_time_monotonic_ms() >= deadline_ms) {
            res->timed_out = true;
            if (res->last == MT_OK)
                note_failure(res, MT_ERR_TIMEOUT, &(struct mt_err){MT_ERR_TIMEOUT,
                             "the write deadline passed"});
            break;
        }
        if (send_batch(s, q, deadline_ms, done, res))
            backoff(++round, deadline_ms);
        else
            round = 0;
    }
    res->failed += q->tail - q->head;
}

/* Reports how a write call ended: MT_OK, MT_ERR_PARTIAL or the cause. */
static enum mt_status write_status(const struct ddb_store *s, const struct write_result *res,
                                   size_t total, const char *what, struct mt_err *err)
{
    if (res->failed == 0)
        return MT_OK;
    enum mt_status st = res->written > 0 ? MT_ERR_PARTIAL : res->last;
    if (st == MT_OK)
        st = MT_ERR_STORE;
    if (res->timed_out)
        return mt_err_set(err, st, "DynamoDB table '%s': %zu of %zu %s not written within "
                          "%lld ms: %s", s->table, res->failed, total, what,
                          (long long)s->write_timeout_ms, mt_err_text(&res->last_err));
    return mt_err_set(err, st, "DynamoDB table '%s': %zu of %zu %s not written: %s", s->table,
                      res->failed, total, what, mt_err_text(&res->last_err));
}

static int64_t expires_at(const struct ddb_store *s, int64_t ms)
{
    return ms / 1000 + (int64_t)s->retention_days * 86400;
}

/* One row's item and position, sorted so that rows of one item sit together. */
struct keyed {
    struct mt_str pk;
    struct mt_str sk;
    size_t index;
};

static int keyed_cmp(const void *a, const void *b)
{
    const struct keyed *x = a;
    const struct keyed *y = b;
    int c = mt_str_cmp(x->sk, y->sk);
    if (c == 0)
        c = mt_str_cmp(x->pk, y->pk);
    return c != 0 ? c : (x->index < y->index ? -1 : x->index > y->index);
}

/*
 * Makes each row's item into items and sets writer[i] to the first row of the
 * call with row i's item (same pk and sk: the same copy of one event), which
 * alone is written, since a batch may not name one key twice.
 */
static enum mt_status build_items(const struct ddb_store *s, const struct mt_row *rows,
                                  size_t count, json_t **items, size_t *writer)
{
    struct keyed *order = calloc(count + 1, sizeof(*order));
    enum mt_status st = order ? MT_OK : MT_ERR_NOMEM;

    for (size_t i = 0; st == MT_OK && i < count; i++) {
        items[i] = ddb_row_item(&rows[i], expires_at(s, rows[i].event_time_ms));
        if (items[i] == NULL)
            st = MT_ERR_NOMEM;
        else
            order[i] = (struct keyed){mt_ddb_item_s(items[i], "pk"),
                                      mt_ddb_item_s(items[i], "sk"), i};
    }
    if (st == MT_OK)
        qsort(order, count, sizeof(*order), keyed_cmp);
    for (size_t i = 0, first = 0; st == MT_OK && i < count; i++) {
        if (!mt_str_eq(order[i].sk, order[first].sk) || !mt_str_eq(order[i].pk, order[first].pk))
            first = i;
        writer[order[i].index] = order[first].index;
    }
    free(order);
    return st;
}

static enum mt_status ddb_put_rows(struct mt_store *store, const struct mt_row *rows,
                                   size_t count, enum mt_put_outcome *outcomes,
                                   struct mt_err *err)
{
    struct ddb_store *s = (struct ddb_store *)store;
    struct write_queue q = {0};
    struct write_result res;
    json_t **items = calloc(count + 1, sizeof(*items));
    size_t *writer = calloc(count + 1, sizeof(*writer));
    bool *done = calloc(count + 1, sizeof(*done));
    enum mt_status st = items && writer && done ? MT_OK : MT_ERR_NOMEM;

    for (size_t i = 0; i < count; i++)
        outcomes[i] = MT_PUT_FAILED;
    if (st == MT_OK)
        st = build_items(s, rows, count, items, writer);
    for (size_t i = 0; st == MT_OK && i < count; i++) {
        if (writer[i] == i && (st = queue_push(&q, items[i], i)) == MT_OK)
            items[i] = NULL; /* the queue holds it now */
    }
    if (st != MT_OK) {
        st = mt_err_set(err, MT_ERR_NOMEM, "out of memory writing to DynamoDB table '%s'",
                        s->table);
        goto out;
    }

    size_t to_write = q.tail;
    write_all(s, &q, done, &res);
    for (size_t i = 0; i < count; i++)
        outcomes[i] = done[writer[i]] ? MT_PUT_STORED : MT_PUT_FAILED;
    st = write_status(s, &res, to_write, "rows", err);
out:
    for (size_t i = 0; items != NULL && i < count; i++)
        json_decref(items[i]);
    queue_free(&q);
    free(items);
    free(writer);
    free(done);
    return st;
}

static enum mt_status ddb_put_quarantine(struct mt_store *store,
                                         const struct mt_quarantine_entry *e, struct mt_err *err)
{
    struct ddb_store *s = (struct ddb_store *)store;
    struct write_queue q = {0};
    struct write_result res;
    bool done = false;
    json_t *item = ddb_quarantine_item(e, expires_at(s, e->received_ms));

    if (item == NULL || queue_push(&q, item, 0) != MT_OK) {
        json_decref(item);
        free(q.items);
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory keeping rejected input");
    }
    write_all(s, &q, &done, &res);
    queue_free(&q);
    enum mt_status st = write_status(s, &res, 1, "quarantine entries", err);
    return st == MT_ERR_PARTIAL ? MT_ERR_STORE : st;
}

static enum mt_status ddb_query(struct mt_store *store, int64_t from_ms, int64_t to_ms,
                                mt_store_row_fn fn, void *ctx, struct mt_err *err)
{
    return ddb_store_query((struct ddb_store *)store, from_ms, to_ms, fn, ctx, err);
}

/* One quarantine entry read back, with the item that holds its strings. */
struct listed {
    json_t *item;
    int64_t received_ms;
    struct mt_str sk;
};

static int listed_cmp(const void *a, const void *b)
{
    const struct listed *x = a;
    const struct listed *y = b;
    if (x->received_ms != y->received_ms)
        return x->received_ms < y->received_ms ? -1 : 1;
    return mt_str_cmp(x->sk, y->sk);
}

/* Appends every quarantine item (a Scan filtered on the pk prefix) to *all. */
static enum mt_status scan_quarantine(struct ddb_store *s, json_t *all, struct mt_err *err)
{
    int64_t deadline_ms = ddb_deadline_after(s->query_timeout_ms);
    json_t *values = json_pack("{s:{s:s}}", ":q", "S", "quarantine#");
    json_t *start = NULL;
    enum mt_status st = values ? MT_OK : MT_ERR_NOMEM;

    do {
        json_t *body = mt_ddb_scan_body(s->table, "begins_with(pk, :q)", values, start);
        json_t *resp = NULL;
        st = body ? mt_ddb_call(s->client, "Scan", s->table, body, deadline_ms, &resp, NULL, err)
                  : MT_ERR_NOMEM;
        json_decref(body);
        json_decref(start);
        start = NULL;
        if (st == MT_OK) {
            json_array_extend(all, json_object_get(resp, "Items"));
            start = json_incref(json_object_get(resp, "LastEvaluatedKey"));
        }
        json_decref(resp);
    } while (st == MT_OK && start != NULL);
    json_decref(values);
    return st;
}

/*
 * Lists the quarantine oldest first.
 *
 * LIMITATION: the quarantine is read with a Scan of the whole table and held
 * in memory to be sorted; listing costs read capacity for every row item and
 * memory for every quarantine entry.  Fine for an occasional look at a small
 * quarantine; a large one wants an index on the quarantine partitions.
 *  The same raw bytes kept at different
 * times are listed once, at their first receipt, as the SQLite store keeps
 * them once.
 */
static enum mt_status ddb_list_quarantine(struct mt_store *store, mt_store_quarantine_fn fn,
                                          void *ctx, struct mt_err *err)
{
    struct ddb_store *s = (struct ddb_store *)store;
    json_t *all = json_array();
    struct listed *list = NULL;
    struct mt_buf raw;
    size_t n = 0;
    enum mt_status st = all ? scan_quarantine(s, all, err) : MT_ERR_NOMEM;

    mt_buf_init(&raw, 0);
    if (st == MT_OK && (list = calloc(json_array_size(all) + 1, sizeof(*list))) == NULL)
        st = MT_ERR_NOMEM;
    for (size_t i = 0; st == MT_OK && i < json_array_size(all); i++) {
        json_t *item = json_array_get(all, i);
        list[n].item = item;
        list[n].sk = mt_ddb_item_s(item, "sk");
        if (mt_ddb_item_n(item, "received_ms", &list[n].received_ms) && list[n].sk.len > 64)
            n++;
    }
    if (st == MT_OK)
        qsort(list, n, sizeof(*list), listed_cmp);

    int64_t id = 0;
    for (size_t i = 0; st == MT_OK && i < n; i++) {
        bool seen = false;
        struct mt_str digest = {list[i].sk.ptr + list[i].sk.len - 64, 64};
        for (size_t j = 0; j < i && !seen; j++)
            seen = mt_str_eq(digest, (struct mt_str){list[j].sk.ptr + list[j].sk.len - 64, 64});
        struct mt_quarantine_entry e;
        if (seen || (st = ddb_item_quarantine(list[i].item, &e, &raw, err)) != MT_OK)
            continue;
        e.id = ++id;
        st = fn(ctx, &e);
    }
    if (st == MT_ERR_NOMEM)
        mt_err_set(err, st, "out of memory listing the quarantine of '%s'", s->table);
    mt_buf_cleanup(&raw);
    free(list);
    json_decref(all);
    return st;
}

/* Creates the table (with the by_message_id index) and enables TTL where supported. */
static enum mt_status ddb_setup(struct mt_store *store, struct mt_err *err)
{
    struct ddb_store *s = (struct ddb_store *)store;
    struct mt_ddb_table_spec spec = {s->table, "pk", "sk", "by_message_id", "message_id", "sk"};
    int64_t deadline_ms = mt_time_monotonic_ms() + SETUP_TIMEOUT_MS;
    struct mt_err ttl_err = {0};

    enum mt_status st = mt_ddb_create_table(s->client, &spec, deadline_ms, err);
    if (st != MT_OK)
        return st;
    st = mt_ddb_enable_ttl(s->client, s->table, "expires_at", deadline_ms, &ttl_err);
    if (st == MT_ERR_UNSUPPORTED) {
        MT_LOG(MT_LOG_DEBUG, "store", "ddb_ttl_unsupported", "%s", ttl_err.detail);
        return MT_OK;
    }
    if (st != MT_OK)
        return mt_err_set(err, st, "%s", ttl_err.detail);
    return MT_OK;
}

static void ddb_close(struct mt_store *store)
{
    struct ddb_store *s = (struct ddb_store *)store;
    mt_ddb_client_free(s->client);
    mt_aws_config_free(s->aws);
    free(s->table);
    free(s->base.location);
    free(s);
}

static const struct mt_store_ops s_dynamodb_ops = {
    .name = "dynamodb",
    .put_rows = ddb_put_rows,
    .put_quarantine = ddb_put_quarantine,
    .query = ddb_query,
    .list_quarantine = ddb_list_quarantine,
    .setup = ddb_setup,
    .close = ddb_close,
};

static void apply_options(struct ddb_store *s, const struct mt_store_options *o)
{
    s->retention_days = o && o->retention_days > 0 ? o->retention_days : DEFAULT_RETENTION_DAYS;
    s->write_timeout_ms = o && o->write_timeout_ms > 0 ? o->write_timeout_ms
                                                       : DEFAULT_WRITE_TIMEOUT_MS;
    s->query_timeout_ms = o && o->query_timeout_ms > 0 ? o->query_timeout_ms
                                                       : DEFAULT_QUERY_TIMEOUT_MS;
    s->query_threads = o && o->query_threads > 0 ? o->query_threads : 8;
    if (s->query_threads > 32)
        s->query_threads = 32;
    s->page_items = o && o->page_items > 0 ? o->page_items : 200;
}

enum mt_status mt_store_open_dynamodb(const char *table, const struct mt_store_options *options,
                                      struct mt_store **out, struct mt_err *err)
{
    struct ddb_store *s = NULL;
    enum mt_status st;

    *out = NULL;
    if (!table_name_valid(table))
        return mt_err_set(err, MT_ERR_INVALID, "'%s' is not a DynamoDB table name (3 to 255 of "
                          "A-Z a-z 0-9 _ - .)", table);
    s = calloc(1, sizeof(*s));
    if (s == NULL || (s->table = strdup(table)) == NULL ||
        (s->base.location = malloc(strlen(table) + 12)) == NULL) {
        st = mt_err_set(err, MT_ERR_NOMEM, "out of memory opening 'dynamodb://%s'", table);
        goto out;
    }
    snprintf(s->base.location, strlen(table) + 12, "dynamodb://%s", table);
    s->base.ops = &s_dynamodb_ops;
    apply_options(s, options);

    st = mt_aws_config_load(&s->aws, err);
    if (st == MT_OK)
        st = mt_ddb_client_new(s->aws, NULL, &s->client, err);
    if (st == MT_OK) {
        *out = &s->base;
        return MT_OK;
    }
out:
    if (s != NULL && s->base.ops == NULL) {
        free(s->table);
        free(s->base.location);
        free(s);
    } else if (s != NULL) {
        ddb_close(&s->base);
    }
    return st;
}
