/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DynamoDB backend's pure parts: the shard hash, partition and sort
 * keys, rows and quarantine entries as items (both ways), and the report
 * merge that turns per-partition sort-key order into report order.
 */
#include "harness.h"

#include "mt/clock.h"
#include "mt/ddb.h"
#include "store/dynamodb_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_ddb_fnv1a_known_answers(void **state)
{
    (void)state;
    /* Reference values of the FNV-1a 32-bit hash. */
    assert_int_equal(ddb_fnv1a32(MT_STR_LIT("")), 0x811c9dc5u);
    assert_int_equal(ddb_fnv1a32(MT_STR_LIT("a")), 0xe40c292cu);
    assert_int_equal(ddb_fnv1a32(MT_STR_LIT("foobar")), 0xbf9cf968u);
    assert_int_equal(ddb_shard(MT_STR_LIT("foobar")), 0xbf9cf968u % 16);
}

static int64_t iso_ms(const char *text)
{
    int64_t ms = 0;
    assert_int_equal(mt_time_parse_iso(mt_str_from_cstr(text), &ms), MT_OK);
    return ms;
}

static struct mt_row make_row(const char *msg, const char *iso, const char *rcpt, const char *type)
{
    struct mt_row row;
    memset(&row, 0, sizeof(row));
    row.event_time_ms = iso_ms(iso);
    mt_event_type_parse(mt_str_from_cstr(type), &row.type);
    row.col[MT_COL_EVENT_TIME] = mt_str_from_cstr(iso);
    row.col[MT_COL_MESSAGE_ID] = mt_str_from_cstr(msg);
    row.col[MT_COL_RECIPIENT] = mt_str_from_cstr(rcpt);
    row.col[MT_COL_EVENT_TYPE] = mt_str_from_cstr(type);
    mt_row_compute_key(&row);
    return row;
}

static void test_ddb_keys(void **state)
{
    (void)state;
    char pk[DDB_PK_MAX];
    char sk[DDB_SK_MAX];
    char want[DDB_SK_MAX];
    struct mt_row row = make_row("foobar", "2026-11-23T23:59:59.999Z", "a@example.com", "Send");

    ddb_partition_key(row.event_time_ms, ddb_shard(row.col[MT_COL_MESSAGE_ID]), pk);
    snprintf(want, sizeof(want), "2026-11-23#%02u", 0xbf9cf968u % 16);
    assert_string_equal(pk, want);
    ddb_sort_key(&row, sk);
    snprintf(want, sizeof(want), "2026-11-23T23:59:59.999Z#%s", row.key);
    assert_string_equal(sk, want);
    ddb_partition_key(iso_ms("2026-11-24T00:00:00Z"), 7, pk);
    assert_string_equal(pk, "2026-11-24#07");
}

static void test_ddb_row_item_round_trip(void **state)
{
    (void)state;
    struct mt_row row = make_row("0100018c-msg", "2026-11-23T07:00:00.123Z", NULL, "Open");
    struct mt_row *back = NULL;
    struct mt_err err = {0};

    row.col[MT_COL_SUBJECT] = MT_STR_LIT("caf\xc3\xa9, \"quoted\"");
    row.col[MT_COL_TAGS] = MT_STR_LIT("");
    json_t *item = ddb_row_item(&row, 1800000000);
    assert_non_null(item);
    assert_mt_str_equal(mt_ddb_item_s(item, "row_key"), row.key);
    assert_mt_str_equal(mt_ddb_item_s(item, "tags"), "");
    assert_null(json_object_get(item, "recipient"));
    int64_t n = 0;
    assert_true(mt_ddb_item_n(item, "expires_at", &n));
    assert_int_equal(n, 1800000000);
    assert_true(mt_ddb_item_n(item, "event_time_ms", &n));
    assert_int_equal(n, row.event_time_ms);

    assert_int_equal(ddb_item_row(item, &back, &err), MT_OK);
    assert_int_equal(back->event_time_ms, row.event_time_ms);
    assert_string_equal(back->key, row.key);
    assert_int_equal(back->type, MT_EVENT_OPEN);
    for (int c = 0; c < MT_COL_COUNT; c++)
        assert_true(mt_str_eq(back->col[c], row.col[c]));
    assert_int_equal(mt_row_cmp(back, &row), 0);
    free(back);

    json_object_del(item, "row_key");
    assert_int_equal(ddb_item_row(item, &back, &err), MT_ERR_SCHEMA);
    assert_non_null(strstr(err.detail, "2026-11-23T07:00:00.123Z#"));
    json_decref(item);
}

static void quarantine_round_trip(struct mt_str raw, const char *want_type)
{
    struct mt_quarantine_entry e = {0, iso_ms("2026-11-23T08:00:00Z"), "events.ndjson", 12, 3,
                                    "record 3: eventType is missing", raw};
    struct mt_quarantine_entry back;
    struct mt_buf raw_buf;
    struct mt_err err = {0};

    mt_buf_init(&raw_buf, 0);
    json_t *item = ddb_quarantine_item(&e, 1800000000);
    assert_non_null(item);
    assert_mt_str_equal(mt_ddb_item_s(item, "pk"), "quarantine#2026-11-23");
    assert_non_null(json_object_get(json_object_get(item, "raw"), want_type));
    assert_int_equal(strncmp(mt_ddb_item_s(item, "sk").ptr, "2026-11-23T08:00:00.000Z#", 25), 0);
    assert_int_equal(mt_ddb_item_s(item, "sk").len, 25 + 64);

    assert_int_equal(ddb_item_quarantine(item, &back, &raw_buf, &err), MT_OK);
    assert_string_equal(back.source, "events.ndjson");
    assert_string_equal(back.reason, "record 3: eventType is missing");
    assert_int_equal(back.line, 12);
    assert_int_equal(back.record, 3);
    assert_int_equal(back.received_ms, e.received_ms);
    assert_int_equal(back.raw.len, raw.len);
    assert_memory_equal(back.raw.ptr, raw.ptr, raw.len);
    mt_buf_cleanup(&raw_buf);
    json_decref(item);
}

static void test_ddb_quarantine_item_round_trip(void **state)
{
    (void)state;
    quarantine_round_trip(MT_STR_LIT("{\"not\": \"ses\"} caf\xc3\xa9"), "S");
    quarantine_round_trip(MT_STR_LIT("bin\xff\x00\x01ary"), "B");
    quarantine_round_trip(MT_STR_LIT("x"), "S");
}

/* Synthetic partitions: rows per partition cut into pages of various sizes. */
#define PARTS 5
#define ROWS_PER_PART 60

struct fake_source {
    struct mt_row rows[PARTS][ROWS_PER_PART];
    char ids[PARTS][ROWS_PER_PART][24];
    char links[PARTS][ROWS_PER_PART][24];
    size_t next[PARTS];
    size_t pages_served;
    size_t fail_after; /* 0: never */
};

static int sk_cmp(const void *a, const void *b)
{
    const struct mt_row *x = a;
    const struct mt_row *y = b;
    if (x->event_time_ms != y->event_time_ms)
        return x->event_time_ms < y->event_time_ms ? -1 : 1;
    return strcmp(x->key, y->key);
}

static struct mt_row *copy_row(const struct mt_row *r)
{
    json_t *item = ddb_row_item(r, 0);
    struct mt_row *out = NULL;
    assert_int_equal(ddb_item_row(item, &out, NULL), MT_OK);
    json_decref(item);
    return out;
}

/* Pages of 0..7 rows; an empty page that is not the last happens too. */
static enum mt_status fake_page(void *ctx, size_t part, struct mt_row ***rows, size_t *count,
                                bool *done, struct mt_err *err)
{
    struct fake_source *f = ctx;
    size_t size = (f->pages_served * 7 + part) % 8;
    size_t left = ROWS_PER_PART - f->next[part];

    if (f->fail_after != 0 && f->pages_served >= f->fail_after)
        return mt_err_set(err, MT_ERR_AWS, "page %zu refused", f->pages_served);
    f->pages_served++;
    if (size > left)
        size = left;
    *rows = calloc(size + 1, sizeof(**rows));
    for (size_t i = 0; i < size; i++)
        (*rows)[i] = copy_row(&f->rows[part][f->next[part]++]);
    *count = size;
    *done = f->next[part] == ROWS_PER_PART && (f->pages_served % 3 != 0);
    return MT_OK;
}

/* Few distinct times, so runs of equal time are long and span pages. */
static void fill_source(struct fake_source *f)
{
    static const char *const types[] = {"Send", "Delivery", "Open", "Bounce"};
    static const char *const rcpts[] = {"a@x.test", NULL, "b@x.test"};
    unsigned seed = 7;

    memset(f, 0, sizeof(*f));
    for (int p = 0; p < PARTS; p++) {
        for (int i = 0; i < ROWS_PER_PART; i++) {
            seed = seed * 1103515245u + 12345u;
            snprintf(f->ids[p][i], sizeof(f->ids[p][i]), "msg-%u", (seed >> 8) % 9);
            struct mt_row *r = &f->rows[p][i];
            memset(r, 0, sizeof(*r));
            r->event_time_ms = 1795417200000 + (int64_t)((seed >> 4) % 4) * 1000;
            r->col[MT_COL_MESSAGE_ID] = mt_str_from_cstr(f->ids[p][i]);
            r->col[MT_COL_RECIPIENT] = mt_str_from_cstr(rcpts[(seed >> 12) % 3]);
            r->col[MT_COL_EVENT_TYPE] = mt_str_from_cstr(types[(seed >> 16) % 4]);
            snprintf(f->links[p][i], sizeof(f->links[p][i]), "https://x.test/%d/%d", p, i);
            r->col[MT_COL_LINK] = mt_str_from_cstr(f->links[p][i]);
            mt_row_compute_key(r);
        }
        qsort(f->rows[p], ROWS_PER_PART, sizeof(struct mt_row), sk_cmp);
    }
}

struct sink {
    struct mt_row *prev;
    size_t count;
    size_t stop_at;
    char keys[PARTS * ROWS_PER_PART][MT_ROW_KEY_LEN + 1];
};

static enum mt_status check_order(void *ctx, const struct mt_row *row)
{
    struct sink *s = ctx;
    if (s->prev != NULL)
        assert_true(mt_row_cmp(s->prev, row) < 0);
    free(s->prev);
    s->prev = copy_row(row);
    memcpy(s->keys[s->count++], row->key, MT_ROW_KEY_LEN + 1);
    return s->stop_at && s->count == s->stop_at ? MT_ERR_IO : MT_OK;
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void test_ddb_merge_report_order(void **state)
{
    (void)state;
    struct fake_source *f = malloc(sizeof(*f));
    struct sink *s = calloc(1, sizeof(*s));
    char (*want)[MT_ROW_KEY_LEN + 1] = calloc(PARTS * ROWS_PER_PART, MT_ROW_KEY_LEN + 1);

    fill_source(f);
    assert_int_equal(ddb_merge(PARTS, fake_page, f, check_order, s, NULL), MT_OK);
    assert_int_equal(s->count, PARTS * ROWS_PER_PART);

    /* Every row exactly once. */
    for (int p = 0; p < PARTS; p++)
        for (int i = 0; i < ROWS_PER_PART; i++)
            memcpy(want[p * ROWS_PER_PART + i], f->rows[p][i].key, MT_ROW_KEY_LEN + 1);
    qsort(want, PARTS * ROWS_PER_PART, MT_ROW_KEY_LEN + 1, key_cmp);
    qsort(s->keys, s->count, MT_ROW_KEY_LEN + 1, key_cmp);
    assert_memory_equal(want, s->keys, sizeof(s->keys));
    free(s->prev);
    free(s);
    free(want);
    free(f);
}

static void test_ddb_merge_stops_on_failure(void **state)
{
    (void)state;
    struct fake_source *f = malloc(sizeof(*f));
    struct sink *s = calloc(1, sizeof(*s));
    struct mt_err err = {0};

    fill_source(f);
    s->stop_at = 17;
    assert_int_equal(ddb_merge(PARTS, fake_page, f, check_order, s, NULL), MT_ERR_IO);
    assert_int_equal(s->count, 17);
    free(s->prev);

    fill_source(f);
    memset(s, 0, sizeof(*s));
    f->fail_after = 9;
    assert_int_equal(ddb_merge(PARTS, fake_page, f, check_order, s, &err), MT_ERR_AWS);
    assert_string_equal(err.detail, "page 9 refused");
    free(s->prev);
    free(s);
    free(f);
}

static enum mt_status empty_page(void *ctx, size_t part, struct mt_row ***rows, size_t *count,
                                 bool *done, struct mt_err *err)
{
    (void)ctx;
    (void)part;
    (void)err;
    *rows = NULL;
    *count = 0;
    *done = true;
    return MT_OK;
}

static void test_ddb_merge_empty(void **state)
{
    (void)state;
    struct sink s = {0};
    assert_int_equal(ddb_merge(112, empty_page, NULL, check_order, &s, NULL), MT_OK);
    assert_int_equal(s.count, 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ddb_fnv1a_known_answers),
        cmocka_unit_test(test_ddb_keys),
        cmocka_unit_test(test_ddb_row_item_round_trip),
        cmocka_unit_test(test_ddb_quarantine_item_round_trip),
        cmocka_unit_test(test_ddb_merge_report_order),
        cmocka_unit_test(test_ddb_merge_stops_on_failure),
        cmocka_unit_test(test_ddb_merge_empty),
    };
    return mt_test_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]), __FILE__);
}
