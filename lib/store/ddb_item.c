/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rows and quarantine entries as DynamoDB items, in the table layout given
 * in dynamodb_int.h.  Pure: no I/O.
 *
 * A null column is left out of the item; an empty one is stored as an empty
 * S, which DynamoDB accepts for non-key attributes, so null and empty survive
 * the round trip apart.  FNV-1a is the 32-bit variant of Fowler, Noll and Vo
 * (offset basis 2166136261, prime 16777619).
 */
#include "dynamodb_int.h"

#include "mt/digest.h"

#include "mt/clock.h"
#include "mt/ddb.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t ddb_deadline_after(int64_t budget_ms)
{
    int64_t deadline = mt_time_monotonic_ms() + budget_ms;
    int64_t thread = mt_deadline_get();
    return thread != 0 && thread < deadline ? thread : deadline;
}

uint32_t ddb_fnv1a32(struct mt_str s)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < s.len; i++) {
        h ^= (unsigned char)s.ptr[i];
        h *= 16777619u;
    }
    return h;
}

int ddb_shard(struct mt_str message_id)
{
    return (int)(ddb_fnv1a32(message_id) % DDB_SHARDS);
}

void ddb_partition_key(int64_t day_ms, int shard, char out[DDB_PK_MAX])
{
    char iso[MT_TIME_ISO_LEN + 1];
    mt_time_format_iso(day_ms, iso);
    snprintf(out, DDB_PK_MAX, "%.10s#%02d", iso, shard);
}

size_t ddb_sort_key(const struct mt_row *row, struct mt_str pref, char out[DDB_SK_MAX])
{
    char iso[MT_TIME_ISO_LEN + 1];
    size_t keep = pref.len;

    mt_time_format_iso(row->event_time_ms, iso);
    int n = snprintf(out, DDB_SK_MAX, "%s#%s#", iso, row->key);
    size_t len = n > 0 ? (size_t)n : 0;

    /*
     * Cut an over-long preference where no UTF-8 sequence is split.
     * LIMITATION: two copies of one event whose preferences both run past
     * DDB_PREF_VERBATIM_MAX - 3 bytes and agree that far sort by digest, so
     * the report may show another of them than SQLite does; only SNS message
     * ids of about 800 bytes, which SNS never makes, come that long.
     */
    if (keep > DDB_PREF_VERBATIM_MAX) {
        keep = DDB_PREF_VERBATIM_MAX;
        while (keep > 0 && ((unsigned char)pref.ptr[keep] & 0xc0) == 0x80)
            keep--;
    }
    if (keep > 0)
        memcpy(out + len, pref.ptr, keep);
    len += keep;
    if (keep < pref.len) {
        mt_sha256_hex(pref, out + len);
        len += 64;
    }
    out[len] = '\0';
    return len;
}

/* Sets item[name] to value, taking the reference; false when either failed. */
static bool set(json_t *item, const char *name, json_t *value)
{
    return value != NULL && json_object_set_new(item, name, value) == 0;
}

json_t *ddb_row_item(const struct mt_row *row, int64_t expires_at_s)
{
    char pk[DDB_PK_MAX];
    char sk[DDB_SK_MAX];
    struct mt_buf pref;
    json_t *item = json_object();

    mt_buf_init(&pref, 0);
    mt_row_preference(row, &pref);

    ddb_partition_key(row->event_time_ms, ddb_shard(row->col[MT_COL_MESSAGE_ID]), pk);
    size_t sk_len = ddb_sort_key(row, mt_buf_str(&pref), sk);
    bool ok = item != NULL && pref.len > 0 &&
              set(item, "pk", mt_ddb_attr_s(mt_str_from_cstr(pk))) &&
              set(item, "sk", mt_ddb_attr_s((struct mt_str){sk, sk_len})) &&
              set(item, "row_key", mt_ddb_attr_s(mt_str_from_cstr(row->key))) &&
              set(item, "event_time_ms", mt_ddb_attr_n(row->event_time_ms)) &&
              set(item, "expires_at", mt_ddb_attr_n(expires_at_s)) &&
              set(item, "pref", mt_ddb_attr_s(mt_buf_str(&pref)));

    for (int c = 0; ok && c < MT_COL_COUNT; c++) {
        if (row->col[c].ptr != NULL)
            ok = set(item, mt_column_name((enum mt_column)c), mt_ddb_attr_s(row->col[c]));
    }
    mt_buf_cleanup(&pref);
    if (!ok) {
        json_decref(item);
        return NULL;
    }
    return item;
}

/* Bytes needed to copy every present column with its NUL. */
static size_t strings_size(const json_t *item)
{
    size_t n = 0;
    for (int c = 0; c < MT_COL_COUNT; c++) {
        struct mt_str s = mt_ddb_item_s(item, mt_column_name((enum mt_column)c));
        if (s.ptr != NULL)
            n += s.len + 1;
    }
    return n;
}

enum mt_status ddb_item_row(const json_t *item, struct mt_row **out, struct mt_err *err)
{
    struct mt_str key = mt_ddb_item_s(item, "row_key");
    struct mt_str sk = mt_ddb_item_s(item, "sk");
    int64_t time_ms = 0;

    *out = NULL;
    if (key.len != MT_ROW_KEY_LEN || !mt_ddb_item_n(item, "event_time_ms", &time_ms))
        return mt_err_set(err, MT_ERR_SCHEMA, "item '%.*s' has no valid row_key or "
                          "event_time_ms", (int)(sk.len > 80 ? 80 : sk.len), sk.ptr ? sk.ptr : "");

    struct mt_row *row = malloc(sizeof(*row) + strings_size(item));
    if (row == NULL)
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory reading a row");
    memset(row, 0, sizeof(*row));
    char *p = (char *)(row + 1);

    row->event_time_ms = time_ms;
    memcpy(row->key, key.ptr, MT_ROW_KEY_LEN);
    for (int c = 0; c < MT_COL_COUNT; c++) {
        struct mt_str s = mt_ddb_item_s(item, mt_column_name((enum mt_column)c));
        if (s.ptr == NULL)
            continue;
        memcpy(p, s.ptr, s.len);
        p[s.len] = '\0';
        row->col[c] = (struct mt_str){p, s.len};
        p += s.len + 1;
    }
    if (mt_event_type_parse(row->col[MT_COL_EVENT_TYPE], &row->type) != MT_OK)
        row->type = MT_EVENT_TYPE_COUNT;
    *out = row;
    return MT_OK;
}

/* raw as S when it is UTF-8 without NUL, else as B (base64). */
static json_t *raw_attr(struct mt_str raw)
{
    if (mt_utf8_valid(raw) && (raw.len == 0 || memchr(raw.ptr, '\0', raw.len) == NULL))
        return mt_ddb_attr_s(raw);

    size_t cap = 4 * ((raw.len + 2) / 3) + 1;
    unsigned char *b64 = malloc(cap);
    json_t *attr = NULL;
    if (b64 != NULL) {
        int n = EVP_EncodeBlock(b64, (const unsigned char *)raw.ptr, (int)raw.len);
        attr = json_pack("{s:s%}", "B", (const char *)b64, (size_t)n);
    }
    free(b64);
    return attr;
}

json_t *ddb_quarantine_item(const struct mt_quarantine_entry *e, int64_t expires_at_s)
{
    char iso[MT_TIME_ISO_LEN + 1];
    char digest[65];
    char pk[32];
    char sk[MT_TIME_ISO_LEN + 66];
    json_t *item = json_object();

    mt_time_format_iso(e->received_ms, iso);
    mt_sha256_hex(e->raw, digest);
    snprintf(pk, sizeof(pk), "quarantine#%.10s", iso);
    snprintf(sk, sizeof(sk), "%s#%s", iso, digest);
    bool ok = item != NULL && set(item, "pk", mt_ddb_attr_s(mt_str_from_cstr(pk))) &&
              set(item, "sk", mt_ddb_attr_s(mt_str_from_cstr(sk))) &&
              set(item, "source", mt_ddb_attr_s(mt_str_from_cstr(e->source ? e->source : ""))) &&
              set(item, "line", mt_ddb_attr_n(e->line)) &&
              set(item, "record", mt_ddb_attr_n(e->record)) &&
              set(item, "reason", mt_ddb_attr_s(mt_str_from_cstr(e->reason ? e->reason : ""))) &&
              set(item, "received_ms", mt_ddb_attr_n(e->received_ms)) &&
              set(item, "expires_at", mt_ddb_attr_n(expires_at_s)) &&
              set(item, "raw", raw_attr(e->raw));
    if (!ok) {
        json_decref(item);
        return NULL;
    }
    return item;
}

/* Decodes a B attribute into buf. */
static bool decode_binary(const char *b64, struct mt_buf *buf)
{
    size_t len = strlen(b64);
    mt_buf_reset(buf);
    if (len % 4 != 0 || mt_buf_reserve(buf, len) != MT_OK)
        return false;
    int n = EVP_DecodeBlock((unsigned char *)buf->data, (const unsigned char *)b64, (int)len);
    if (n < 0)
        return false;
    while (len > 0 && b64[len - 1] == '=') {
        n--;
        len--;
    }
    buf->len = (size_t)n;
    buf->data[n] = '\0';
    return true;
}

enum mt_status ddb_item_quarantine(const json_t *item, struct mt_quarantine_entry *e,
                                   struct mt_buf *raw_buf, struct mt_err *err)
{
    int64_t line = 0;
    int64_t record = 0;
    const char *b64 = json_string_value(json_object_get(json_object_get(item, "raw"), "B"));

    memset(e, 0, sizeof(*e));
    e->source = mt_ddb_item_s(item, "source").ptr;
    e->reason = mt_ddb_item_s(item, "reason").ptr;
    e->raw = mt_ddb_item_s(item, "raw");
    if (b64 != NULL && decode_binary(b64, raw_buf))
        e->raw = mt_buf_str(raw_buf);
    if (e->source == NULL || e->reason == NULL || e->raw.ptr == NULL ||
        !mt_ddb_item_n(item, "received_ms", &e->received_ms) ||
        !mt_ddb_item_n(item, "line", &line) || !mt_ddb_item_n(item, "record", &record))
        return mt_err_set(err, MT_ERR_SCHEMA, "quarantine item '%s' is incomplete",
                          mt_ddb_item_s(item, "sk").ptr ? mt_ddb_item_s(item, "sk").ptr : "");
    e->line = (long)line;
    e->record = (int)record;
    return MT_OK;
}
