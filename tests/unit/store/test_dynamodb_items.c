/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DynamoDB backend's pure parts: the shard hash, partition and sort
 * keys, rows and quarantine entries as items (both ways), and the report
 * merge that turns per-partition sort-key order into report order.
 *
 * Proves that the sort keys of an event's copies, as the event parser makes
 * them (both SES shapes, bare or through SNS with many kinds of message id),
 * sort bytewise as mt_row_preference orders the copies, and that the merge
 * keeps exactly the preferred copy of each event wherever page boundaries
 * fall.
 */
#include "harness.h"

#include "mt/clock.h"
#include "mt/ddb.h"
#include "mt/event.h"
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
    assert_int_equal(ddb_sort_key(&row, MT_STR_LIT("0"), sk), 24 + 1 + 32 + 2);
    snprintf(want, sizeof(want), "2026-11-23T23:59:59.999Z#%s#0", row.key);
    assert_string_equal(sk, want);
    ddb_sort_key(&row, MT_STR_LIT("11ea0473b3-0083-531e-a3fb-cfe64edd071b"), sk);
    snprintf(want, sizeof(want), "2026-11-23T23:59:59.999Z#%s#11ea0473b3-0083-531e-a3fb-"
             "cfe64edd071b", row.key);
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
    char sk[DDB_SK_MAX];
    assert_non_null(item);
    assert_mt_str_equal(mt_ddb_item_s(item, "row_key"), row.key);
    snprintf(sk, sizeof(sk), "2026-11-23T07:00:00.123Z#%s#0", row.key);
    assert_mt_str_equal(mt_ddb_item_s(item, "sk"), sk);
    assert_mt_str_equal(mt_ddb_item_s(item, "pref"), "0");
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

/* One copy of an event as the parser made it: its row key, preference and sort key. */
struct copy {
    char key[MT_ROW_KEY_LEN + 1];
    struct mt_buf pref;
    char sk[DDB_SK_MAX];
    size_t sk_len;
};

#define MAX_COPIES 64

struct copies {
    struct copy c[MAX_COPIES];
    size_t count;
};

/* Parses doc and records each row's key, preference and sort key. */
static void parse_copies(struct mt_event_parser *parser, struct mt_str doc, struct copies *out)
{
    struct mt_event_result res;

    assert_int_equal(mt_event_parse_document(parser, doc, &res), MT_OK);
    if (res.reject_count > 0)
        fail_msg("rejected: %s", res.rejects[0].reason);
    assert_int_equal(res.row_count, 1);
    assert_true(out->count < MAX_COPIES);
    struct copy *c = &out->c[out->count++];
    memcpy(c->key, res.rows[0].key, sizeof(c->key));
    mt_buf_init(&c->pref, 0);
    mt_row_preference(&res.rows[0], &c->pref);
    c->sk_len = ddb_sort_key(&res.rows[0], mt_buf_str(&c->pref), c->sk);
}

/* The record inside an SNS-to-Lambda event whose MessageId is id (NULL: no MessageId). */
static struct mt_buf lambda_event(const char *record, const char *id)
{
    json_t *sns = json_pack("{s:s, s:s, s:s}", "Type", "Notification", "TopicArn",
                            "arn:aws:sns:us-east-1:111122223333:ses-events", "Message", record);
    if (id != NULL)
        json_object_set_new(sns, "MessageId", json_string(id));
    json_t *doc = json_pack("{s:[{s:s, s:o}]}", "Records", "EventSource", "aws:sns", "Sns", sns);
    char *text = json_dumps(doc, JSON_COMPACT);
    struct mt_buf out;

    assert_non_null(text);
    mt_buf_init(&out, 0);
    assert_int_equal(mt_buf_append_cstr(&out, text), MT_OK);
    free(text);
    json_decref(doc);
    return out;
}

/* Writes n copies of c followed by tail into buf (1000 bytes). */
static void repeat(char *buf, char c, size_t n, const char *tail)
{
    memset(buf, c, n);
    snprintf(buf + n, 1000 - n, "%s", tail);
}

/*
 * SNS message ids that copies of one event can carry: SNS's UUIDs, ids that
 * are prefixes of one another, non-ASCII ones, and ids long enough for the
 * sort key to cut them (with a two-byte character across the cut).
 */
static void sns_ids(char ids[][1000], size_t *count)
{
    static const char *const shorts[] = {
        "", "0", "00", "1", "a", "a0", "zz", "~",
        "ea0473b3-0083-531e-a3fb-cfe64edd071b", "ea0473b3-0083-531e-a3fb-cfe64edd071c",
        "caf\xc3\xa9", "\xc3\xa9", "\xef\xbf\xbf", "\xf0\x9f\x98\x80", "\xe6\x97\xa5\xe6\x9c\xac",
    };
    size_t n = 0;

    for (size_t i = 0; i < sizeof(shorts) / sizeof(shorts[0]); i++)
        snprintf(ids[n++], 1000, "%s", shorts[i]);
    repeat(ids[n++], 'x', 790, "a");
    repeat(ids[n++], 'x', 790, "bbbbbbbbbbbbbbbbbbbbbbbbbbb");
    repeat(ids[n++], 'x', 797, "");
    repeat(ids[n++], 'x', 798, "");
    repeat(ids[n++], 'x', 799, "");
    repeat(ids[n++], 'x', 900, "");
    repeat(ids[n++], 'x', 797, "\xc3\xa9\xc3\xa9\xc3\xa9");
    repeat(ids[n++], 'y', 850, "");
    *count = n;
}

static int sign(int c)
{
    return (c > 0) - (c < 0);
}

static void test_ddb_sort_key_orders_copies_as_preferred(void **state)
{
    (void)state;
    struct mt_event_parser *parser = mt_event_parser_new();
    struct copies *all = calloc(1, sizeof(*all));
    char (*ids)[1000] = calloc(32, 1000);
    struct mt_buf ep, notif;
    size_t n_ids = 0;

    /* One bounce in both SES shapes: the identity notification renames eventType. */
    mt_test_read_file(mt_test_fixture("events/ep-bounce-permanent.json"), &ep);
    mt_buf_init(&notif, 0);
    char *at = strstr(ep.data, "\"eventType\"");
    assert_non_null(at);
    mt_buf_append(&notif, ep.data, (size_t)(at - ep.data));
    mt_buf_append_cstr(&notif, "\"notificationType\"");
    mt_buf_append_cstr(&notif, at + strlen("\"eventType\""));

    sns_ids(ids, &n_ids);
    for (int shape = 0; shape < 2; shape++) {
        const struct mt_buf *record = shape ? &notif : &ep;
        parse_copies(parser, mt_buf_str(record), all);
        for (size_t i = 0; i <= n_ids; i++) {
            struct mt_buf doc = lambda_event(record->data, i < n_ids ? ids[i] : NULL);
            parse_copies(parser, mt_buf_str(&doc), all);
            mt_buf_cleanup(&doc);
        }
    }

    /* Every copy is of one event; each sort key fits DynamoDB's rules. */
    assert_int_equal(all->count, 2 * (1 + n_ids + 1));
    for (size_t i = 0; i < all->count; i++) {
        struct copy *c = &all->c[i];
        assert_string_equal(c->key, all->c[0].key);
        assert_true(c->sk_len <= 1024);
        assert_true(mt_utf8_valid((struct mt_str){c->sk, c->sk_len}));
        assert_int_equal(strlen(c->sk), c->sk_len);
    }

    /*
     * Pairwise: the sort keys compare as the preferences do, bytewise, except
     * for two long preferences that agree up to where both are cut; those
     * still get keys of their own.
     */
    size_t exact = 0;
    for (size_t i = 0; i < all->count; i++) {
        for (size_t j = 0; j < all->count; j++) {
            struct mt_str a = mt_buf_str(&all->c[i].pref);
            struct mt_str b = mt_buf_str(&all->c[j].pref);
            const size_t cut = DDB_PREF_VERBATIM_MAX - 3;
            int sk_order = sign(strcmp(all->c[i].sk, all->c[j].sk));
            assert_int_equal(sk_order == 0, mt_str_cmp(a, b) == 0);
            if (a.len > cut && b.len > cut && memcmp(a.ptr, b.ptr, cut) == 0)
                continue;
            assert_int_equal(sk_order, sign(mt_str_cmp(a, b)));
            exact++;
        }
    }
    assert_true(exact > all->count * all->count * 3 / 4);

    /* A bare event-publishing record (or one in SNS without an id) comes first. */
    for (size_t i = 1; i < all->count; i++)
        assert_true(strcmp(all->c[0].sk, all->c[i].sk) <= 0);
    assert_mt_str_equal(mt_buf_str(&all->c[0].pref), "0");

    /* The ids with a two-byte character across the cut are cut before it. */
    size_t straddling = 0;
    for (size_t i = 0; i < all->count; i++) {
        if (all->c[i].pref.len != 2 + 797 + 6)
            continue;
        assert_int_equal(all->c[i].sk_len, 24 + 1 + 32 + 1 + 799 + 64);
        straddling++;
    }
    assert_int_equal(straddling, 2);

    for (size_t i = 0; i < all->count; i++)
        mt_buf_cleanup(&all->c[i].pref);
    mt_buf_cleanup(&ep);
    mt_buf_cleanup(&notif);
    free(ids);
    free(all);
    mt_event_parser_free(parser);
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

/*
 * A partition in which events have one to three copies that differ in
 * shape and SNS message id, in sort-key order, served one to three items a
 * page so that copies of one event straddle pages.
 */
#define COPY_EVENTS 40
#define COPY_ITEMS (COPY_EVENTS * 3)

struct copy_item {
    char sk[DDB_SK_MAX]; /* first, so that strcmp orders items */
    struct mt_row row;
};

struct copy_source {
    struct copy_item items[COPY_ITEMS];
    char ids[COPY_EVENTS][24];
    char sns[COPY_ITEMS][24];
    size_t count;
    size_t next;
    size_t pages;
    size_t multi;                           /* events with more than one copy */
    struct mt_str preferred[COPY_EVENTS];   /* SNS message id of each event's preferred copy */
    char keys[COPY_EVENTS][MT_ROW_KEY_LEN + 1];
};

static int by_sk(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Makes copy k of event e, with its sort key; returns its preference in pref. */
static void make_copy(struct copy_source *f, int e, int k, struct mt_buf *pref)
{
    static const char *const times[] = {"2026-11-23T07:00:00.000Z", "2026-11-23T07:00:00.001Z"};
    size_t n = f->count++;
    struct mt_row *r = &f->items[n].row;

    *r = make_row(f->ids[e], times[e % 2], "a@x.test", "Bounce");
    r->shape = (unsigned char)((e + k) % 2);
    if ((e + k) % 3 != 0) {
        snprintf(f->sns[n], sizeof(f->sns[n]), "sns-%d-%d", (e * 5 + k * 3) % 7, k);
        r->col[MT_COL_SNS_MESSAGE_ID] = mt_str_from_cstr(f->sns[n]);
    }
    mt_row_preference(r, pref);
    ddb_sort_key(r, mt_buf_str(pref), f->items[n].sk);
}

static void fill_copies(struct copy_source *f)
{
    struct mt_buf pref, best;

    memset(f, 0, sizeof(*f));
    mt_buf_init(&pref, 0);
    mt_buf_init(&best, 0);
    for (int e = 0; e < COPY_EVENTS; e++) {
        int copies = 1 + (e * 7) % 3;
        snprintf(f->ids[e], sizeof(f->ids[e]), "msg-%02d", e);
        f->multi += copies > 1;
        for (int k = 0; k < copies; k++) {
            make_copy(f, e, k, &pref);
            if (k > 0 && mt_str_cmp(mt_buf_str(&pref), mt_buf_str(&best)) >= 0)
                continue;
            const struct mt_row *r = &f->items[f->count - 1].row;
            f->preferred[e] = r->col[MT_COL_SNS_MESSAGE_ID];
            memcpy(f->keys[e], r->key, sizeof(f->keys[e]));
            mt_buf_reset(&best);
            mt_buf_append(&best, pref.data, pref.len);
        }
    }
    qsort(f->items, f->count, sizeof(f->items[0]), by_sk);
    mt_buf_cleanup(&pref);
    mt_buf_cleanup(&best);
}

static enum mt_status copy_page(void *ctx, size_t part, struct mt_row ***rows, size_t *count,
                                bool *done, struct mt_err *err)
{
    struct copy_source *f = ctx;
    size_t size = 1 + f->pages++ % 3;

    (void)part;
    (void)err;
    if (size > f->count - f->next)
        size = f->count - f->next;
    *rows = calloc(size + 1, sizeof(**rows));
    for (size_t i = 0; i < size; i++)
        (*rows)[i] = copy_row(&f->items[f->next++].row);
    *count = size;
    *done = f->next == f->count;
    return MT_OK;
}

/* The rows the merge gave: key and SNS message id of each. */
struct kept {
    size_t count;
    char keys[COPY_EVENTS][MT_ROW_KEY_LEN + 1];
    char sns[COPY_EVENTS][24];
    bool has_sns[COPY_EVENTS];
};

static enum mt_status keep_copy(void *ctx, const struct mt_row *row)
{
    struct kept *k = ctx;
    struct mt_str sns = row->col[MT_COL_SNS_MESSAGE_ID];

    assert_true(k->count < COPY_EVENTS);
    memcpy(k->keys[k->count], row->key, MT_ROW_KEY_LEN + 1);
    k->has_sns[k->count] = sns.ptr != NULL;
    snprintf(k->sns[k->count], 24, "%.*s", (int)sns.len, sns.ptr ? sns.ptr : "");
    k->count++;
    return MT_OK;
}

static void test_ddb_merge_keeps_the_preferred_copy(void **state)
{
    (void)state;
    struct copy_source *f = malloc(sizeof(*f));
    struct kept *k = calloc(1, sizeof(*k));
    size_t bare = 0;

    fill_copies(f);
    assert_true(f->multi > COPY_EVENTS / 2);
    assert_int_equal(ddb_merge(1, copy_page, f, keep_copy, k, NULL), MT_OK);

    /* One row per event, and it is the preferred copy's. */
    assert_int_equal(k->count, COPY_EVENTS);
    for (int e = 0; e < COPY_EVENTS; e++) {
        size_t i = 0;
        while (i < k->count && strcmp(k->keys[i], f->keys[e]) != 0)
            i++;
        assert_true(i < k->count);
        assert_int_equal(k->has_sns[i], f->preferred[e].ptr != NULL);
        if (f->preferred[e].ptr != NULL)
            assert_mt_str_equal(f->preferred[e], k->sns[i]);
        bare += f->preferred[e].ptr == NULL;
    }
    /* Both kinds of winner occur: a bare copy, and one SNS message over another. */
    assert_true(bare > 0 && bare < COPY_EVENTS);
    free(k);
    free(f);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ddb_fnv1a_known_answers),
        cmocka_unit_test(test_ddb_keys),
        cmocka_unit_test(test_ddb_row_item_round_trip),
        cmocka_unit_test(test_ddb_quarantine_item_round_trip),
        cmocka_unit_test(test_ddb_sort_key_orders_copies_as_preferred),
        cmocka_unit_test(test_ddb_merge_report_order),
        cmocka_unit_test(test_ddb_merge_stops_on_failure),
        cmocka_unit_test(test_ddb_merge_empty),
        cmocka_unit_test(test_ddb_merge_keeps_the_preferred_copy),
    };
    return mt_test_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]), __FILE__);
}
