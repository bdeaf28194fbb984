/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DynamoDB store against dynalite, and against our fault proxy in front
 * of it.  What mailtrack wrote is read back with the AWS SDK for JavaScript.
 *
 * Proves: the table is created as the Terraform contract says; every row is
 * stored with its pk, sk, columns, row_key, event_time_ms and expires_at,
 * its preferred copy first; the same copy given again, in one call or
 * another, adds no item; the quarantine round-trips; the report pages
 * through LastEvaluatedKey and comes out in report order, one row per
 * event, byte-identical to SQLite's whatever order the copies of an event
 * arrive in; under throttling, 500s, resets, slow replies and
 * UnprocessedItems exactly N rows are stored for N in, none twice; and when
 * throttling outlasts the write deadline every row is reported failed with
 * an honest error.
 */
#include "harness.h"

#include "mt/clock.h"
#include "mt/ingest.h"
#include "mt/report.h"
#include "mt/store.h"
#include "peers.h"
#include "store/dynamodb_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct mt_peers s_peers;

/* Credentials and region for the stand-ins; the endpoint is set per test. */
static void aws_env(const char *endpoint)
{
    static const char *const unset[] = {"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
                                        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"};
    for (size_t i = 0; i < sizeof(unset) / sizeof(unset[0]); i++)
        unsetenv(unset[i]);
    setenv("HOME", mt_test_tmpdir(), 1);
    setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "test-secret", 1);
    setenv("AWS_REGION", "us-east-1", 1);
    setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint, 1);
}

static void start_peers(const char *fault)
{
    const char *plain[] = {"--dynamodb", NULL};
    const char *faulty[] = {"--fault", fault, NULL};
    struct mt_err err = {0};
    if (mt_peers_start(&s_peers, fault ? faulty : plain, &err) != MT_OK)
        fail_msg("cannot start the stand-ins: %s", mt_err_text(&err));
}

static int teardown(void **state)
{
    (void)state;
    mt_peers_stop(&s_peers);
    return 0;
}

static struct mt_store *open_store(const char *endpoint, const struct mt_store_options *o,
                                   bool setup)
{
    struct mt_store *store = NULL;
    struct mt_err err = {0};
    aws_env(endpoint);
    if (mt_store_open("dynamodb://events", o, &store, &err) != MT_OK)
        fail_msg("open: %s", mt_err_text(&err));
    if (setup && store->ops->setup(store, &err) != MT_OK)
        fail_msg("setup: %s", mt_err_text(&err));
    return store;
}

/* All items of a table, one JSON object a line, read with the SDK. */
static json_t *read_table(const char *table)
{
    const char *args[] = {"ddb-items", s_peers.dynamodb, table, NULL};
    struct mt_buf out;
    struct mt_err err = {0};
    if (mt_peers_read_back(args, &out, &err) != MT_OK)
        fail_msg("read-back: %s", mt_err_text(&err));
    json_t *items = json_array();
    for (char *line = out.data; line && *line;) {
        char *nl = strchr(line, '\n');
        json_t *item = json_loadb(line, nl ? (size_t)(nl - line) : strlen(line), 0, NULL);
        assert_non_null(item);
        json_array_append_new(items, item);
        line = nl ? nl + 1 : NULL;
    }
    mt_buf_cleanup(&out);
    return items;
}

static json_t *read_items(void)
{
    return read_table("events");
}

/* The item of row_key that the report keeps: of its copies, the first by sk. */
static json_t *find_item(json_t *items, const char *row_key)
{
    json_t *best = NULL;
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) {
        const char *k = json_string_value(json_object_get(it, "row_key"));
        if (k == NULL || strcmp(k, row_key) != 0)
            continue;
        if (best == NULL || strcmp(json_string_value(json_object_get(it, "sk")),
                                   json_string_value(json_object_get(best, "sk"))) < 0)
            best = it;
    }
    return best;
}

/* How many distinct row keys the row items (quarantine left out) of items hold. */
static size_t distinct_row_keys(json_t *items)
{
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(items); i++) {
        const char *k = json_string_value(json_object_get(json_array_get(items, i), "row_key"));
        bool seen = k == NULL;
        for (size_t j = 0; j < i && !seen; j++) {
            const char *o = json_string_value(json_object_get(json_array_get(items, j),
                                                              "row_key"));
            seen = o != NULL && strcmp(o, k) == 0;
        }
        n += !seen;
    }
    return n;
}

static void test_dynamodb_setup_creates_the_table(void **state)
{
    (void)state;
    const char *args[] = {"ddb-ttl", NULL, "events", NULL};
    struct mt_buf out;
    struct mt_err err = {0};

    start_peers(NULL);
    struct mt_store *store = open_store(s_peers.dynamodb, NULL, true);
    assert_int_equal(store->ops->setup(store, &err), MT_OK); /* twice is fine */
    args[1] = s_peers.dynamodb;
    assert_int_equal(mt_peers_read_back(args, &out, &err), MT_OK);
    assert_non_null(strstr(out.data, "{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}"));
    assert_non_null(strstr(out.data, "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}"));
    assert_non_null(strstr(out.data, "\"indexes\":[\"by_message_id\"]"));
    mt_buf_cleanup(&out);
    mt_store_close(store);
}

/* Ingests every fixture event file into store. */
static void ingest_fixtures(struct mt_store *store)
{
    static const char *const files[] = {
        "ep-bounce-permanent.json", "ep-bounce-transient-mailboxfull.json",
        "ep-click-linktags.json", "ep-complaint-abuse.json", "ep-delivery-delay.json",
        "ep-delivery-multi-recipient.json", "ep-delivery.json", "ep-open.json", "ep-reject.json",
        "ep-rendering-failure.json", "ep-send.json", "ep-subscription.json",
        "notif-bounce.json", "notif-complaint.json", "notif-delivery.json",
        "sns-lambda-bounce.json", "sns-lambda-delivery.json", "sns-lambda-open.json",
        "bad/ep-missing-mail.json",
    };
    struct mt_ingest *ing = mt_ingest_new(store, NULL);
    struct mt_err err = {0};
    char rel[128];

    assert_non_null(ing);
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(rel, sizeof(rel), "events/%s", files[i]);
        FILE *f = fopen(mt_test_fixture(rel), "rb");
        assert_non_null(f);
        if (mt_ingest_stream(ing, f, files[i], &err) != MT_OK)
            fail_msg("%s: %s", files[i], mt_err_text(&err));
        fclose(f);
    }
    if (mt_ingest_flush(ing, &err) != MT_OK)
        fail_msg("flush: %s", mt_err_text(&err));
    mt_ingest_free(ing);
}

struct row_list {
    struct mt_row rows[512];
    struct mt_arena arena;
    size_t count;
};

/* Copies each queried row (strings into the arena). */
static enum mt_status keep_row(void *ctx, const struct mt_row *row)
{
    struct row_list *l = ctx;
    assert_true(l->count < 512);
    struct mt_row *r = &l->rows[l->count++];
    *r = *row;
    for (int c = 0; c < MT_COL_COUNT; c++)
        if (row->col[c].ptr != NULL)
            r->col[c] = mt_arena_strdup(&l->arena, row->col[c]);
    return MT_OK;
}

static void query_all(struct mt_store *store, int64_t from, int64_t to, struct row_list *l)
{
    struct mt_err err = {0};
    memset(l, 0, sizeof(*l));
    mt_arena_init(&l->arena, 0);
    if (store->ops->query(store, from, to, keep_row, l, &err) != MT_OK)
        fail_msg("query: %s", mt_err_text(&err));
}

/* item is row's copy: keys (sk ending in the item's own preference), times and columns. */
static void assert_item_is_row(json_t *item, const struct mt_row *row, int retention_days)
{
    char pk[DDB_PK_MAX];
    char sk[DDB_SK_MAX];
    const char *pref = json_string_value(json_object_get(item, "pref"));
    assert_non_null(pref);
    ddb_partition_key(row->event_time_ms, ddb_shard(row->col[MT_COL_MESSAGE_ID]), pk);
    ddb_sort_key(row, mt_str_from_cstr(pref), sk);
    assert_string_equal(json_string_value(json_object_get(item, "pk")), pk);
    assert_string_equal(json_string_value(json_object_get(item, "sk")), sk);
    assert_int_equal(json_integer_value(json_object_get(item, "event_time_ms")),
                     row->event_time_ms);
    assert_int_equal(json_integer_value(json_object_get(item, "expires_at")),
                     row->event_time_ms / 1000 + (int64_t)retention_days * 86400);
    for (int c = 0; c < MT_COL_COUNT; c++) {
        json_t *v = json_object_get(item, mt_column_name((enum mt_column)c));
        if (row->col[c].ptr == NULL) {
            if (v != NULL)
                fail_msg("column %s is null but the item has it", mt_column_name(c));
            continue;
        }
        assert_true(json_is_string(v));
        assert_int_equal(json_string_length(v), row->col[c].len);
        assert_memory_equal(json_string_value(v), row->col[c].ptr, row->col[c].len);
    }
}

static void test_dynamodb_rows_read_back_with_the_sdk(void **state)
{
    (void)state;
    struct mt_store_options o = {.retention_days = 30};
    struct mt_store *sql = NULL;
    struct row_list *want = malloc(sizeof(*want));
    char path[4200];

    start_peers(NULL);
    struct mt_store *ddb = open_store(s_peers.dynamodb, &o, true);
    snprintf(path, sizeof(path), "%s/ref.db", mt_test_tmpdir());
    assert_int_equal(mt_store_open_sqlite(path, NULL, &sql, NULL), MT_OK);
    ingest_fixtures(ddb);
    ingest_fixtures(sql);

    query_all(sql, 0, INT64_MAX / 2, want);
    json_t *items = read_items();
    size_t quarantined = 0;
    for (size_t i = 0; i < json_array_size(items); i++)
        quarantined += strncmp(json_string_value(json_object_get(json_array_get(items, i),
                                                                 "pk")), "quarantine#", 11) == 0;
    assert_true(want->count > 20);
    assert_int_equal(quarantined, 1);
    assert_int_equal(distinct_row_keys(items), want->count);
    for (size_t i = 0; i < want->count; i++) {
        json_t *item = find_item(items, want->rows[i].key);
        assert_non_null(item);
        assert_item_is_row(item, &want->rows[i], 30);
    }
    json_decref(items);
    mt_arena_cleanup(&want->arena);
    free(want);
    mt_store_close(sql);
    mt_store_close(ddb);
}

static struct mt_row make_row(char *msg, size_t size, int i, int64_t ms)
{
    struct mt_row r;
    memset(&r, 0, sizeof(r));
    snprintf(msg, size, "0100019c-%04d", i);
    r.event_time_ms = ms;
    r.type = MT_EVENT_DELIVERY;
    r.col[MT_COL_EVENT_TYPE] = MT_STR_LIT("Delivery");
    r.col[MT_COL_MESSAGE_ID] = mt_str_from_cstr(msg);
    r.col[MT_COL_RECIPIENT] = MT_STR_LIT("someone@example.test");
    r.col[MT_COL_SUBJECT] = MT_STR_LIT("");
    mt_row_compute_key(&r);
    return r;
}

#define MANY 300

struct many {
    struct mt_row rows[MANY + 2];
    char ids[MANY + 2][32];
    enum mt_put_outcome outcomes[MANY + 2];
};

/* MANY rows over two days, several sharing each millisecond; two repeats at the end. */
static void fill_many(struct many *m)
{
    int64_t base = INT64_C(1795392000000); /* 2026-11-23T00:00:00Z */
    for (int i = 0; i < MANY; i++)
        m->rows[i] = make_row(m->ids[i], sizeof(m->ids[i]), i,
                              base + (i % 40) * 3600 * 1000 + (i % 3));
    m->rows[MANY] = m->rows[5];
    m->rows[MANY + 1] = m->rows[77];
}

/* Rows of m inside [from, to), repeats not counted. */
static size_t count_in(const struct many *m, int64_t from, int64_t to)
{
    size_t n = 0;
    for (int i = 0; i < MANY; i++)
        n += m->rows[i].event_time_ms >= from && m->rows[i].event_time_ms < to;
    return n;
}

static void assert_report_order(const struct row_list *l, size_t count)
{
    assert_int_equal(l->count, count);
    for (size_t i = 1; i < l->count; i++)
        assert_true(mt_row_cmp(&l->rows[i - 1], &l->rows[i]) < 0);
}

static void test_dynamodb_duplicates_and_paging(void **state)
{
    (void)state;
    struct mt_store_options o = {.page_items = 7, .query_threads = 3};
    struct many *m = malloc(sizeof(*m));
    struct row_list *got = malloc(sizeof(*got));
    struct mt_err err = {0};

    start_peers(NULL);
    struct mt_store *ddb = open_store(s_peers.dynamodb, &o, true);
    fill_many(m);
    assert_int_equal(ddb->ops->put_rows(ddb, m->rows, 60, m->outcomes, &err), MT_OK);
    assert_int_equal(ddb->ops->put_rows(ddb, m->rows + 60, MANY + 2 - 60, m->outcomes + 60,
                                        &err), MT_OK);
    /*
     * Row 5 was stored by the first call and row 77 appears twice in the
     * second: without a read the store cannot tell, and reports them stored
     * too, but they add no item.
     */
    for (int i = 0; i < MANY + 2; i++)
        assert_int_equal(m->outcomes[i], MT_PUT_STORED);
    json_t *items = read_items();
    assert_int_equal(json_array_size(items), MANY);
    assert_int_equal(distinct_row_keys(items), MANY);
    json_decref(items);

    /* A window of one day that starts mid-morning, and the whole two days. */
    int64_t day = INT64_C(1795392000000);
    int64_t from = day + 10 * 3600 * 1000 + 1;
    query_all(ddb, from, day + 86400 * 1000, got);
    assert_true(count_in(m, from, day + 86400 * 1000) > 50);
    assert_report_order(got, count_in(m, from, day + 86400 * 1000));
    mt_arena_cleanup(&got->arena);
    query_all(ddb, day, day + 2 * 86400 * 1000, got);
    assert_report_order(got, MANY);
    mt_arena_cleanup(&got->arena);
    free(got);
    free(m);
    mt_store_close(ddb);
}

struct listed_entries {
    struct mt_buf text;
    size_t count;
    char first_raw[8];
};

static enum mt_status list_entry(void *ctx, const struct mt_quarantine_entry *e)
{
    struct listed_entries *l = ctx;
    if (l->count++ == 0)
        memcpy(l->first_raw, e->raw.ptr, e->raw.len < 8 ? e->raw.len : 8);
    return mt_buf_appendf(&l->text, "%lld %lld %s %ld %d %s %zu|", (long long)e->id,
                          (long long)e->received_ms, e->source, e->line, e->record, e->reason,
                          e->raw.len);
}

static void test_dynamodb_quarantine_round_trip(void **state)
{
    (void)state;
    struct mt_err err = {0};
    struct mt_quarantine_entry a = {0, INT64_C(1795400000000), "stdin", 3, -1, "not JSON",
                                    MT_STR_LIT("{oops")};
    struct mt_quarantine_entry b = {0, INT64_C(1795300000000), "http", 0, 2, "binary",
                                    MT_STR_LIT("\xff\xfe\x00zz")};
    struct mt_quarantine_entry again = a;

    again.received_ms += 5000;
    start_peers(NULL);
    struct mt_store *ddb = open_store(s_peers.dynamodb, NULL, true);
    assert_int_equal(ddb->ops->put_quarantine(ddb, &a, &err), MT_OK);
    assert_int_equal(ddb->ops->put_quarantine(ddb, &b, &err), MT_OK);
    assert_int_equal(ddb->ops->put_quarantine(ddb, &again, &err), MT_OK);

    struct listed_entries l = {0};
    mt_buf_init(&l.text, 0);
    assert_int_equal(ddb->ops->list_quarantine(ddb, list_entry, &l, &err), MT_OK);
    assert_int_equal(l.count, 2);
    assert_string_equal(l.text.data, "1 1795300000000 http 0 2 binary 5|"
                                     "2 1795400000000 stdin 3 -1 not JSON 5|");
    assert_memory_equal(l.first_raw, "\xff\xfe\x00zz", 5);
    mt_buf_cleanup(&l.text);
    mt_store_close(ddb);
}


/* The row keys of the table's row items (quarantine left out), sorted. */
static size_t stored_keys(char (*keys)[MT_ROW_KEY_LEN + 1], size_t max)
{
    json_t *items = read_items();
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(items); i++) {
        const char *k = json_string_value(json_object_get(json_array_get(items, i), "row_key"));
        if (k == NULL)
            continue;
        assert_true(n < max);
        snprintf(keys[n++], MT_ROW_KEY_LEN + 1, "%s", k);
    }
    json_decref(items);
    qsort(keys, n, MT_ROW_KEY_LEN + 1, (int (*)(const void *, const void *))strcmp);
    return n;
}

static long fault_stat(const char *name)
{
    const char *args[] = {"fault-stats", s_peers.fault, NULL};
    struct mt_buf out;
    assert_int_equal(mt_peers_read_back(args, &out, NULL), MT_OK);
    json_t *doc = json_loads(out.data, 0, NULL);
    long v = (long)json_integer_value(json_object_get(doc, name));
    json_decref(doc);
    mt_buf_cleanup(&out);
    return v;
}

static void test_dynamodb_faults_store_each_row_once(void **state)
{
    (void)state;
    struct mt_store_options o = {.page_items = 25, .write_timeout_ms = 120000};
    struct many *m = malloc(sizeof(*m));
    struct row_list *got = malloc(sizeof(*got));
    char (*keys)[MT_ROW_KEY_LEN + 1] = calloc(MANY + 10, MT_ROW_KEY_LEN + 1);
    char (*want)[MT_ROW_KEY_LEN + 1] = calloc(MANY, MT_ROW_KEY_LEN + 1);
    struct mt_err err = {0};

    start_peers("throttle=0.15,error500=0.1,reset=0.05,slow=0.08,slow_ms=300,partial=0.3,"
                "seed=6");
    struct mt_store *ddb = open_store(s_peers.fault, &o, true);
    fill_many(m);
    if (ddb->ops->put_rows(ddb, m->rows, MANY + 2, m->outcomes, &err) != MT_OK)
        fail_msg("put_rows: %s", mt_err_text(&err));
    for (int i = 0; i < MANY; i++)
        assert_int_equal(m->outcomes[i], MT_PUT_STORED);

    /* The writes alone met every fault (one writer, so the seeded sequence repeats). */
    assert_true(fault_stat("throttle") > 0);
    assert_true(fault_stat("error500") > 0);
    assert_true(fault_stat("reset") > 0);
    assert_true(fault_stat("slow") > 0);
    assert_true(fault_stat("partial") > 0);

    /* Read straight from dynalite with the SDK: exactly MANY rows, each once. */
    for (int i = 0; i < MANY; i++)
        memcpy(want[i], m->rows[i].key, MT_ROW_KEY_LEN + 1);
    qsort(want, MANY, MT_ROW_KEY_LEN + 1, (int (*)(const void *, const void *))strcmp);
    assert_int_equal(stored_keys(keys, MANY + 10), MANY);
    assert_memory_equal(keys, want, (size_t)MANY * (MT_ROW_KEY_LEN + 1));

    /*
     * The report sees every row once, in order.  It reads from dynalite
     * directly: through these fault rates (about one request in three fails)
     * some of its 112 partition queries would, now and then, fail all their
     * attempts, and a test that fails by chance proves nothing.  The query's
     * retries are covered by the HTTP client's tests.
     */
    int64_t day = INT64_C(1795392000000);
    mt_store_close(ddb);
    ddb = open_store(s_peers.dynamodb, &o, false);
    query_all(ddb, day, day + 2 * 86400 * 1000, got);
    assert_report_order(got, MANY);
    mt_arena_cleanup(&got->arena);

    mt_store_close(ddb);
    free(keys);
    free(want);
    free(got);
    free(m);
}

static void test_dynamodb_deadline_fails_every_row(void **state)
{
    (void)state;
    /* Long enough that even a loaded machine sees throttling answers before it passes. */
    struct mt_store_options o = {.write_timeout_ms = 4000};
    struct many *m = malloc(sizeof(*m));
    struct mt_err err = {0};
    char keys[4][MT_ROW_KEY_LEN + 1];

    start_peers("always=1");
    struct mt_store *ddb = open_store(s_peers.fault, &o, true);
    fill_many(m);
    enum mt_status st = ddb->ops->put_rows(ddb, m->rows, 30, m->outcomes, &err);
    assert_true(st == MT_ERR_THROTTLED || st == MT_ERR_TIMEOUT);
    for (int i = 0; i < 30; i++)
        assert_int_equal(m->outcomes[i], MT_PUT_FAILED);
    assert_non_null(strstr(err.detail, "DynamoDB table 'events': 30 of 30 rows not written "
                                       "within 4000 ms"));
    if (strstr(err.detail, "ThrottlingException") == NULL)
        fail_msg("detail: %s", err.detail);
    assert_int_equal(stored_keys(keys, 4), 0);
    mt_store_close(ddb);
    free(m);
}

static void test_dynamodb_partial_write_is_reported(void **state)
{
    (void)state;
    struct mt_store_options o = {.write_timeout_ms = 1500};
    struct many *m = malloc(sizeof(*m));
    struct mt_err err = {0};
    char (*keys)[MT_ROW_KEY_LEN + 1] = calloc(MANY, MT_ROW_KEY_LEN + 1);

    start_peers("fail_after=2");
    struct mt_store *ddb = open_store(s_peers.fault, &o, true);
    fill_many(m);
    assert_int_equal(ddb->ops->put_rows(ddb, m->rows, 100, m->outcomes, &err), MT_ERR_PARTIAL);
    assert_non_null(strstr(err.detail, "50 of 100 rows not written"));
    for (int i = 0; i < 100; i++)
        assert_int_equal(m->outcomes[i], i < 50 ? MT_PUT_STORED : MT_PUT_FAILED);
    assert_int_equal(stored_keys(keys, MANY), 50);
    mt_store_close(ddb);
    free(keys);
    free(m);
}

/* An output object that collects the CSV in memory. */
struct mem_object {
    struct mt_output_object base;
    struct mt_buf csv;
};

static enum mt_status mem_write(struct mt_output_object *obj, const char *data, size_t len)
{
    return mt_buf_append(&((struct mem_object *)obj)->csv, data, len);
}

static void report_csv(struct mt_store *store, struct mt_iso_week week, struct mt_buf *out)
{
    struct mem_object obj = {.base = {.write = mem_write}};
    struct mt_report_run run = {.store = store};
    struct mt_err err = {0};

    mt_buf_init(&obj.csv, 0);
    mt_report_window_week(week, &run.window);
    if (mt_report_write_csv(&run, &obj.base, &err) != MT_OK)
        fail_msg("report: %s", mt_err_text(&err));
    *out = obj.csv;
}

static void ingest_examples(struct mt_store *store)
{
    static const char *const files[] = {"identity-notifications.ndjson", "lambda-invocation.json",
                                        "lambda-invocations.ndjson", "ses-records.ndjson",
                                        "sns-http-bodies.ndjson", "bad-documents.ndjson"};
    struct mt_ingest *ing = mt_ingest_new(store, NULL);
    struct mt_err err = {0};
    char path[4200];

    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", MT_EXAMPLES, files[i]);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        if (mt_ingest_stream(ing, f, files[i], &err) != MT_OK)
            fail_msg("%s: %s", files[i], mt_err_text(&err));
        fclose(f);
    }
    assert_int_equal(mt_ingest_flush(ing, &err), MT_OK);
    mt_ingest_free(ing);
}

static void test_dynamodb_report_matches_sqlite(void **state)
{
    (void)state;
    struct mt_store_options o = {.page_items = 5};
    struct mt_store *sql = NULL;
    struct mt_buf a, b;
    char path[4200];
    static const struct mt_iso_week weeks[] = {{2025, 11}, {2026, 48}, {2026, 47}};

    start_peers(NULL);
    struct mt_store *ddb = open_store(s_peers.dynamodb, &o, true);
    snprintf(path, sizeof(path), "%s/ref.db", mt_test_tmpdir());
    assert_int_equal(mt_store_open_sqlite(path, NULL, &sql, NULL), MT_OK);
    ingest_fixtures(sql);
    ingest_examples(sql);
    ingest_fixtures(ddb);
    ingest_examples(ddb);

    size_t lines = 0;
    for (size_t w = 0; w < sizeof(weeks) / sizeof(weeks[0]); w++) {
        report_csv(sql, weeks[w], &a);
        report_csv(ddb, weeks[w], &b);
        if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0) {
            FILE *f = fopen("/tmp/mt-a.csv", "wb");
            fwrite(a.data, 1, a.len, f);
            fclose(f);
            f = fopen("/tmp/mt-b.csv", "wb");
            fwrite(b.data, 1, b.len, f);
            fclose(f);
        }
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.data, b.data, a.len);
        for (size_t i = 0; i < a.len; i++)
            lines += a.data[i] == '\n';
        mt_buf_cleanup(&a);
        mt_buf_cleanup(&b);
    }
    assert_true(lines > 100);
    mt_store_close(sql);
    mt_store_close(ddb);
}

/* The example documents, one per NDJSON line or .json file, and where each came from. */
struct doc_list {
    struct mt_buf text[512];
    const char *source[512];
    size_t count;
};

static void add_doc(struct doc_list *d, const char *source, const char *text, size_t len)
{
    assert_true(d->count < 512);
    mt_buf_init(&d->text[d->count], 0);
    assert_int_equal(mt_buf_append(&d->text[d->count], text, len), MT_OK);
    d->source[d->count++] = source;
}

static void read_examples(struct doc_list *d)
{
    static const char *const files[] = {"identity-notifications.ndjson", "lambda-invocation.json",
                                        "lambda-invocations.ndjson", "ses-records.ndjson",
                                        "sns-http-bodies.ndjson", "bad-documents.ndjson"};
    char path[4200];
    struct mt_buf file;

    memset(d, 0, sizeof(*d));
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", MT_EXAMPLES, files[i]);
        mt_test_read_file(path, &file);
        if (strstr(files[i], ".ndjson") == NULL) {
            add_doc(d, files[i], file.data, file.len);
        } else {
            for (char *line = file.data, *nl; line < file.data + file.len; line = nl + 1) {
                nl = memchr(line, '\n', (size_t)(file.data + file.len - line));
                nl = nl ? nl : file.data + file.len;
                if (nl > line)
                    add_doc(d, files[i], line, (size_t)(nl - line));
            }
        }
        mt_buf_cleanup(&file);
    }
}

/*
 * Ingests docs[order[i]] for each i, batch_rows rows to a store write;
 * returns the rows reported already stored.
 */
static size_t ingest_in_order(struct mt_store *store, const struct doc_list *d,
                              const size_t *order, size_t n, size_t batch_rows)
{
    struct mt_ingest_options o = {.batch_rows = batch_rows};
    struct mt_ingest *ing = mt_ingest_new(store, &o);
    struct mt_err err = {0};

    assert_non_null(ing);
    for (size_t i = 0; i < n; i++) {
        const struct mt_buf *doc = &d->text[order[i]];
        if (mt_ingest_document(ing, mt_buf_str(doc), d->source[order[i]], 0, &err) != MT_OK)
            fail_msg("%s: %s", d->source[order[i]], mt_err_text(&err));
    }
    assert_int_equal(mt_ingest_flush(ing, &err), MT_OK);
    size_t duplicates = mt_ingest_get_stats(ing)->rows_duplicate;
    mt_ingest_free(ing);
    return duplicates;
}

static struct mt_store *open_table(const char *table, const struct mt_store_options *o)
{
    struct mt_store *store = NULL;
    struct mt_err err = {0};
    char uri[64];

    snprintf(uri, sizeof(uri), "dynamodb://%s", table);
    if (mt_store_open(uri, o, &store, &err) != MT_OK || store->ops->setup(store, &err) != MT_OK)
        fail_msg("%s: %s", uri, mt_err_text(&err));
    return store;
}

/* True when some bounce is stored in both SES shapes (preferences "0..." and "1..."). */
static bool has_bounce_in_both_shapes(json_t *items)
{
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *a = json_array_get(items, i);
        const char *type = json_string_value(json_object_get(a, "event_type"));
        const char *pa = json_string_value(json_object_get(a, "pref"));
        if (type == NULL || strcmp(type, "Bounce") != 0 || pa == NULL || pa[0] != '0')
            continue;
        for (size_t j = 0; j < json_array_size(items); j++) {
            json_t *b = json_array_get(items, j);
            const char *pb = json_string_value(json_object_get(b, "pref"));
            if (pb != NULL && pb[0] == '1' &&
                json_equal(json_object_get(a, "row_key"), json_object_get(b, "row_key")))
                return true;
        }
    }
    return false;
}

static void assert_csv_equal(struct mt_store *want, struct mt_store *got, size_t *lines)
{
    struct mt_buf a, b;
    report_csv(want, (struct mt_iso_week){2026, 48}, &a);
    report_csv(got, (struct mt_iso_week){2026, 48}, &b);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    for (size_t i = 0; i < a.len; i++)
        *lines += a.data[i] == '\n';
    mt_buf_cleanup(&a);
    mt_buf_cleanup(&b);
}

/*
 * The examples hold each event in several copies: bare and through SNS, in
 * both SES shapes.  Ingested forwards in one write, and backwards in writes
 * of three rows with every SNS document delivered twice, the two tables
 * report exactly what SQLite reports, and the repeats add no item.
 */
static void test_dynamodb_report_same_whatever_the_order(void **state)
{
    (void)state;
    struct mt_store_options o = {.page_items = 4};
    struct doc_list *d = malloc(sizeof(*d));
    size_t *forward = calloc(1024, sizeof(*forward));
    size_t *backward = calloc(1024, sizeof(*backward));
    size_t n_back = 0, lines = 0;
    struct mt_store *sql = NULL;
    char path[4200];

    read_examples(d);
    for (size_t i = 0; i < d->count; i++) {
        size_t k = d->count - 1 - i;
        forward[i] = i;
        backward[n_back++] = k;
        if (strstr(d->source[k], "lambda-invocation") || strstr(d->source[k], "sns-http"))
            backward[n_back++] = k; /* an SNS redelivery: same message, same id */
    }
    assert_true(n_back > d->count + 50);

    start_peers(NULL);
    aws_env(s_peers.dynamodb);
    struct mt_store *fwd = open_table("forward", &o);
    struct mt_store *back = open_table("backward", &o);
    snprintf(path, sizeof(path), "%s/ref.db", mt_test_tmpdir());
    assert_int_equal(mt_store_open_sqlite(path, NULL, &sql, NULL), MT_OK);
    assert_true(ingest_in_order(sql, d, forward, d->count, 0) > 50);
    /* DynamoDB cannot tell a new item from an overwrite: every row counts as stored. */
    assert_int_equal(ingest_in_order(fwd, d, forward, d->count, 0), 0);
    assert_int_equal(ingest_in_order(back, d, backward, n_back, 3), 0);

    json_t *fwd_items = read_table("forward");
    json_t *back_items = read_table("backward");
    assert_true(has_bounce_in_both_shapes(fwd_items));
    assert_int_equal(json_array_size(back_items), json_array_size(fwd_items));
    assert_true(distinct_row_keys(fwd_items) < json_array_size(fwd_items) - 50);
    json_decref(fwd_items);
    json_decref(back_items);

    assert_csv_equal(sql, fwd, &lines);
    assert_csv_equal(sql, back, &lines);
    assert_true(lines > 2 * 50);

    mt_store_close(sql);
    mt_store_close(back);
    mt_store_close(fwd);
    for (size_t i = 0; i < d->count; i++)
        mt_buf_cleanup(&d->text[i]);
    free(backward);
    free(forward);
    free(d);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dynamodb_setup_creates_the_table, NULL, teardown),
        cmocka_unit_test_setup_teardown(test_dynamodb_rows_read_back_with_the_sdk, NULL,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dynamodb_duplicates_and_paging, NULL, teardown),
        cmocka_unit_test_setup_teardown(test_dynamodb_quarantine_round_trip, NULL, teardown),
        cmocka_unit_test_setup_teardown(test_dynamodb_faults_store_each_row_once, NULL,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dynamodb_deadline_fails_every_row, NULL, teardown),
        cmocka_unit_test_setup_teardown(test_dynamodb_partial_write_is_reported, NULL, teardown),
        cmocka_unit_test_setup_teardown(test_dynamodb_report_matches_sqlite, NULL, teardown),
        cmocka_unit_test_setup_teardown(test_dynamodb_report_same_whatever_the_order, NULL,
                                        teardown),
    };
    return mt_test_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]), __FILE__);
}
