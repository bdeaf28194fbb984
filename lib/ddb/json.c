/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DynamoDB request bodies, responses and error bodies as jansson values.
 * Pure: no I/O.  Shapes follow the DynamoDB API Reference for
 * BatchWriteItem, Query and CreateTable; error types follow the developer
 * guide's "Error handling with DynamoDB" and the Smithy rule of taking the
 * part of __type after the last '#' and before any ':'.
 */
#include "mt/ddb.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy_text(char *dst, size_t size, const char *src, size_t len)
{
    if (len >= size)
        len = size - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

void mt_ddb_error_parse(struct mt_str body, long http_status, struct mt_ddb_error *out)
{
    memset(out, 0, sizeof(*out));
    out->http_status = http_status;
    json_t *doc = body.len ? json_loadb(body.ptr, body.len, 0, NULL) : NULL;
    const char *type = json_string_value(json_object_get(doc, "__type"));
    const char *msg = json_string_value(json_object_get(doc, "message"));

    if (msg == NULL)
        msg = json_string_value(json_object_get(doc, "Message"));
    if (type != NULL) {
        const char *hash = strrchr(type, '#');
        const char *start = hash ? hash + 1 : type;
        copy_text(out->type, sizeof(out->type), start, strcspn(start, ":"));
    }
    if (msg != NULL)
        copy_text(out->message, sizeof(out->message), msg, strlen(msg));
    json_decref(doc);
}

bool mt_ddb_error_retryable(const struct mt_ddb_error *e)
{
    static const char *const retryable[] = {
        "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
        "LimitExceededException", "ItemCollectionSizeLimitExceededException",
        "InternalServerError", "ServiceUnavailable", "InternalFailure",
    };

    if (e->http_status >= 500 || e->http_status == 429)
        return true;
    for (size_t i = 0; i < sizeof(retryable) / sizeof(retryable[0]); i++) {
        if (strcmp(e->type, retryable[i]) == 0)
            return true;
    }
    return false;
}

json_t *mt_ddb_attr_s(struct mt_str s)
{
    return json_pack("{s:s%}", "S", s.ptr ? s.ptr : "", s.len);
}

json_t *mt_ddb_attr_n(int64_t n)
{
    char text[32];
    snprintf(text, sizeof(text), "%" PRId64, n);
    return json_pack("{s:s}", "N", text);
}

struct mt_str mt_ddb_item_s(const json_t *item, const char *name)
{
    json_t *s = json_object_get(json_object_get(item, name), "S");
    if (!json_is_string(s))
        return MT_STR_NULL;
    return (struct mt_str){json_string_value(s), json_string_length(s)};
}

bool mt_ddb_item_n(const json_t *item, const char *name, int64_t *out)
{
    const char *text = json_string_value(json_object_get(json_object_get(item, name), "N"));
    char *end = NULL;

    if (text == NULL || text[0] == '\0')
        return false;
    long long v = strtoll(text, &end, 10);
    if (*end != '\0')
        return false;
    *out = v;
    return true;
}

json_t *mt_ddb_batch_write_body(const char *table, json_t *items)
{
    json_t *requests = json_array();
    size_t i;
    json_t *item;

    json_array_foreach(items, i, item) {
        json_t *put = json_pack("{s:{s:O}}", "PutRequest", "Item", item);
        if (put == NULL || json_array_append_new(requests, put) != 0) {
            json_decref(requests);
            return NULL;
        }
    }
    return json_pack("{s:{s:o}}", "RequestItems", table, requests);
}

enum mt_status mt_ddb_unprocessed_items(const json_t *response, const char *table,
                                        json_t **out, struct mt_err *err)
{
    json_t *list = json_object_get(json_object_get(response, "UnprocessedItems"), table);
    json_t *items = json_array();
    size_t i;
    json_t *req;

    *out = NULL;
    if (items == NULL)
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory");
    json_array_foreach(list, i, req) {
        json_t *item = json_object_get(json_object_get(req, "PutRequest"), "Item");
        if (!json_is_object(item)) {
            json_decref(items);
            return mt_err_set(err, MT_ERR_SCHEMA, "BatchWriteItem on '%s': unprocessed request "
                              "%zu is not a PutRequest with an Item", table, i);
        }
        json_array_append(items, item);
    }
    *out = items;
    return MT_OK;
}

json_t *mt_ddb_query_body(const struct mt_ddb_query *q)
{
    json_t *body = json_pack("{s:s, s:s, s:O}", "TableName", q->table, "KeyConditionExpression",
                             q->key_condition, "ExpressionAttributeValues", q->attribute_values);
    int rc = body ? 0 : -1;

    if (rc == 0 && q->index_name != NULL)
        rc = json_object_set_new(body, "IndexName", json_string(q->index_name));
    if (rc == 0 && q->attribute_names != NULL)
        rc = json_object_set(body, "ExpressionAttributeNames", q->attribute_names);
    if (rc == 0 && q->exclusive_start_key != NULL)
        rc = json_object_set(body, "ExclusiveStartKey", q->exclusive_start_key);
    if (rc == 0 && q->limit > 0)
        rc = json_object_set_new(body, "Limit", json_integer(q->limit));
    if (rc == 0 && q->consistent_read)
        rc = json_object_set_new(body, "ConsistentRead", json_true());
    if (rc != 0) {
        json_decref(body);
        return NULL;
    }
    return body;
}

enum mt_status mt_ddb_query_result(const json_t *response, json_t **items, json_t **last_key,
                                   struct mt_err *err)
{
    *items = json_object_get(response, "Items");
    *last_key = json_object_get(response, "LastEvaluatedKey");
    if (!json_is_array(*items))
        return mt_err_set(err, MT_ERR_SCHEMA, "Query response has no Items array");
    if (*last_key != NULL && !json_is_object(*last_key))
        return mt_err_set(err, MT_ERR_SCHEMA, "Query response has a malformed LastEvaluatedKey");
    return MT_OK;
}

/* [{"AttributeName":hash,"KeyType":"HASH"}, {"AttributeName":range,"KeyType":"RANGE"}] */
static json_t *key_schema(const char *hash, const char *range)
{
    json_t *ks = json_pack("[{s:s, s:s}]", "AttributeName", hash, "KeyType", "HASH");
    if (ks != NULL && range != NULL &&
        json_array_append_new(ks, json_pack("{s:s, s:s}", "AttributeName", range, "KeyType",
                                            "RANGE")) != 0) {
        json_decref(ks);
        return NULL;
    }
    return ks;
}

/* Adds {"AttributeName":name,"AttributeType":"S"} unless name is NULL or listed. */
static int add_attr_def(json_t *defs, const char *name)
{
    size_t i;
    json_t *d;
    if (name == NULL)
        return 0;
    json_array_foreach(defs, i, d) {
        if (strcmp(json_string_value(json_object_get(d, "AttributeName")), name) == 0)
            return 0;
    }
    return json_array_append_new(defs, json_pack("{s:s, s:s}", "AttributeName", name,
                                                 "AttributeType", "S"));
}

json_t *mt_ddb_create_table_body(const struct mt_ddb_table_spec *spec)
{
    json_t *defs = json_array();
    int rc = defs ? 0 : -1;

    rc = rc ? rc : add_attr_def(defs, spec->hash_key);
    rc = rc ? rc : add_attr_def(defs, spec->range_key);
    rc = rc ? rc : add_attr_def(defs, spec->gsi_name ? spec->gsi_hash_key : NULL);
    rc = rc ? rc : add_attr_def(defs, spec->gsi_name ? spec->gsi_range_key : NULL);
    if (rc != 0) {
        json_decref(defs);
        return NULL;
    }
    json_t *body = json_pack("{s:s, s:s, s:o, s:o}", "TableName", spec->table,
                                         "BillingMode", "PAY_PER_REQUEST", "AttributeDefinitions",
                                         defs, "KeySchema",
                                         key_schema(spec->hash_key, spec->range_key));
    if (body == NULL || spec->gsi_name == NULL)
        return body;

    json_t *gsi = json_pack("[{s:s, s:o, s:{s:s}}]", "IndexName", spec->gsi_name, "KeySchema",
                            key_schema(spec->gsi_hash_key, spec->gsi_range_key), "Projection",
                            "ProjectionType", "ALL");
    if (gsi == NULL || json_object_set_new(body, "GlobalSecondaryIndexes", gsi) != 0) {
        json_decref(body);
        return NULL;
    }
    return body;
}

json_t *mt_ddb_scan_body(const char *table, const char *filter, json_t *attribute_values,
                         json_t *exclusive_start_key)
{
    json_t *body = json_pack("{s:s, s:s, s:O, s:b}", "TableName", table, "FilterExpression",
                             filter, "ExpressionAttributeValues", attribute_values,
                             "ConsistentRead", 1);
    if (body != NULL && exclusive_start_key != NULL &&
        json_object_set(body, "ExclusiveStartKey", exclusive_start_key) != 0) {
        json_decref(body);
        return NULL;
    }
    return body;
}

json_t *mt_ddb_batch_get_body(const char *table, json_t *keys, const char *projection)
{
    return json_pack("{s:{s:{s:O, s:s, s:b}}}", "RequestItems", table, "Keys", keys,
                     "ProjectionExpression", projection, "ConsistentRead", 1);
}

enum mt_status mt_ddb_batch_get_result(const json_t *response, const char *table,
                                       json_t **items, json_t **unprocessed,
                                       struct mt_err *err)
{
    json_t *responses = json_object_get(response, "Responses");
    *items = json_object_get(responses, table);
    *unprocessed = json_object_get(json_object_get(json_object_get(response, "UnprocessedKeys"),
                                                   table), "Keys");
    if (*items == NULL && json_is_object(responses))
        *items = NULL;
    else if (!json_is_array(*items))
        return mt_err_set(err, MT_ERR_SCHEMA, "BatchGetItem on '%s': no Responses array", table);
    if (json_array_size(*unprocessed) == 0)
        *unprocessed = NULL;
    return MT_OK;
}

/* Appends s as a JSON string: runs of plain bytes copied whole, the rest escaped. */
static enum mt_status encode_string(const char *s, size_t len, struct mt_buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    enum mt_status st = mt_buf_append_byte(out, '"');
    size_t run = 0;

    for (size_t i = 0; i < len && st == MT_OK; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        st = mt_buf_append(out, s + run, i - run);
        char esc[6] = {'\\', (char)c, 0, 0, 0, 0};
        size_t n = 2;
        if (c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f') {
            esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : c == '\b' ? 'b' : 'f';
        } else if (c < 0x20) {
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 0xf];
            n = 6;
        }
        if (st == MT_OK)
            st = mt_buf_append(out, esc, n);
        run = i + 1;
    }
    if (st == MT_OK)
        st = mt_buf_append(out, s + run, len - run);
    return st == MT_OK ? mt_buf_append_byte(out, '"') : st;
}

/*
 * A real as jansson writes it: %.17g, with ".0" added when it has neither a
 * point nor an exponent, and the exponent's '+' and leading zeros dropped.
 */
static enum mt_status encode_real(double d, struct mt_buf *out)
{
    char text[48];

    if (!isfinite(d))
        return MT_ERR_INVALID;
    int len = snprintf(text, sizeof(text) - 2, "%.17g", d);
    if (len < 0)
        return MT_ERR_INVALID;
    if (strpbrk(text, ".e") == NULL)
        memcpy(text + len, ".0", 3);

    char *e = strchr(text, 'e');
    if (e == NULL)
        return mt_buf_append_cstr(out, text);
    char *start = e + 1, *end = e + 2;
    if (*start == '-')
        start++;
    while (*end == '0')
        end++;
    memmove(start, end, strlen(end) + 1);
    return mt_buf_append_cstr(out, text);
}

static enum mt_status encode_container(const json_t *value, struct mt_buf *out)
{
    enum mt_status st;
    bool first = true;

    if (json_is_array(value)) {
        size_t i;
        const json_t *v;
        st = mt_buf_append_byte(out, '[');
        json_array_foreach(value, i, v) {
            if (st == MT_OK && !first)
                st = mt_buf_append_byte(out, ',');
            if (st == MT_OK)
                st = mt_ddb_json_encode(v, out);
            first = false;
        }
        return st == MT_OK ? mt_buf_append_byte(out, ']') : st;
    }
    /* Keys are C strings here: jansson 2.13, which the Lambda build uses, has no key lengths. */
    const char *key;
    json_t *v;
    st = mt_buf_append_byte(out, '{');
    json_object_foreach((json_t *)(uintptr_t)value, key, v) {
        if (st == MT_OK && !first)
            st = mt_buf_append_byte(out, ',');
        if (st == MT_OK)
            st = encode_string(key, strlen(key), out);
        if (st == MT_OK)
            st = mt_buf_append_byte(out, ':');
        if (st == MT_OK)
            st = mt_ddb_json_encode(v, out);
        first = false;
    }
    return st == MT_OK ? mt_buf_append_byte(out, '}') : st;
}

enum mt_status mt_ddb_json_encode(const json_t *value, struct mt_buf *out)
{
    switch (json_typeof(value)) {
    case JSON_OBJECT:
    case JSON_ARRAY:
        return encode_container(value, out);
    case JSON_STRING:
        return encode_string(json_string_value(value), json_string_length(value), out);
    case JSON_INTEGER:
        return mt_buf_appendf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
    case JSON_REAL:
        return encode_real(json_real_value(value), out);
    case JSON_TRUE:
        return mt_buf_append(out, "true", 4);
    case JSON_FALSE:
        return mt_buf_append(out, "false", 5);
    default:
        return mt_buf_append(out, "null", 4);
    }
}
