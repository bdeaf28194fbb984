/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DynamoDB JSON layer: error bodies (both namespaces dynalite uses, the
 * ':' suffix, "Message"), which errors are retried, and the request and
 * response shapes of BatchWriteItem, Query and CreateTable.
 */
#include "harness.h"

#include "mt/ddb.h"

#include <stdlib.h>
#include <string.h>

static void test_ddb_error_parse(void **state)
{
    (void)state;
    struct mt_ddb_error e;

    mt_ddb_error_parse(MT_STR_LIT("{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
                                  "ProvisionedThroughputExceededException\",\"message\":\"slow\"}"),
                       400, &e);
    assert_string_equal(e.type, "ProvisionedThroughputExceededException");
    assert_string_equal(e.message, "slow");
    assert_int_equal(e.http_status, 400);
    assert_true(mt_ddb_error_retryable(&e));

    mt_ddb_error_parse(MT_STR_LIT("{\"__type\":\"com.amazon.coral.validate#ValidationException:"
                                  "http://internal\",\"Message\":\"bad key\"}"), 400, &e);
    assert_string_equal(e.type, "ValidationException");
    assert_string_equal(e.message, "bad key");
    assert_false(mt_ddb_error_retryable(&e));

    mt_ddb_error_parse(MT_STR_LIT("<html>gateway</html>"), 503, &e);
    assert_string_equal(e.type, "");
    assert_true(mt_ddb_error_retryable(&e));

    mt_ddb_error_parse(MT_STR_LIT("{\"__type\":\"ThrottlingException\"}"), 400, &e);
    assert_string_equal(e.type, "ThrottlingException");
    assert_true(mt_ddb_error_retryable(&e));
}

static void assert_json(json_t *value, const char *want)
{
    char *text = json_dumps(value, JSON_SORT_KEYS | JSON_COMPACT);
    assert_non_null(text);
    assert_string_equal(text, want);
    free(text);
}

static void test_ddb_batch_write_shapes(void **state)
{
    (void)state;
    json_t *items = json_pack("[{s:{s:s}}, {s:{s:s}}]", "pk", "S", "a", "pk", "S", "b");
    json_t *body = mt_ddb_batch_write_body("events", items);
    json_t *unprocessed = NULL;

    assert_json(body, "{\"RequestItems\":{\"events\":[{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":"
                      "\"a\"}}}},{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"b\"}}}}]}}");

    json_t *resp = json_pack("{s:{s:[{s:{s:O}}]}}", "UnprocessedItems", "events", "PutRequest",
                             "Item", json_array_get(items, 1));
    assert_int_equal(mt_ddb_unprocessed_items(resp, "events", &unprocessed, NULL), MT_OK);
    assert_json(unprocessed, "[{\"pk\":{\"S\":\"b\"}}]");
    json_decref(unprocessed);
    json_decref(resp);

    resp = json_pack("{s:{}}", "UnprocessedItems");
    assert_int_equal(mt_ddb_unprocessed_items(resp, "events", &unprocessed, NULL), MT_OK);
    assert_int_equal(json_array_size(unprocessed), 0);
    json_decref(unprocessed);
    json_decref(resp);

    struct mt_err err = {0};
    resp = json_pack("{s:{s:[{s:{}}]}}", "UnprocessedItems", "events", "DeleteRequest");
    assert_int_equal(mt_ddb_unprocessed_items(resp, "events", &unprocessed, &err), MT_ERR_SCHEMA);
    assert_null(unprocessed);
    assert_non_null(strstr(err.detail, "'events'"));
    json_decref(resp);
    json_decref(body);
    json_decref(items);
}

static void test_ddb_query_shapes(void **state)
{
    (void)state;
    json_t *values = json_pack("{s:{s:s}}", ":pk", "S", "2026-11-23#07");
    json_t *start = json_pack("{s:{s:s}}", "pk", "S", "x");
    struct mt_ddb_query q = {"events", NULL, "pk = :pk", NULL, values, start, 100, true};
    json_t *items = NULL;
    json_t *last = NULL;

    json_t *body = mt_ddb_query_body(&q);
    assert_json(body, "{\"ConsistentRead\":true,\"ExclusiveStartKey\":{\"pk\":{\"S\":\"x\"}},"
                      "\"ExpressionAttributeValues\":{\":pk\":{\"S\":\"2026-11-23#07\"}},"
                      "\"KeyConditionExpression\":\"pk = :pk\",\"Limit\":100,"
                      "\"TableName\":\"events\"}");
    json_decref(body);

    json_t *resp = json_pack("{s:[], s:O, s:i}", "Items", "LastEvaluatedKey", start, "Count", 0);
    assert_int_equal(mt_ddb_query_result(resp, &items, &last, NULL), MT_OK);
    assert_int_equal(json_array_size(items), 0);
    assert_ptr_equal(last, json_object_get(resp, "LastEvaluatedKey"));
    json_decref(resp);

    resp = json_pack("{s:i}", "Count", 0);
    assert_int_equal(mt_ddb_query_result(resp, &items, &last, NULL), MT_ERR_SCHEMA);
    json_decref(resp);
    json_decref(values);
    json_decref(start);
}

static void test_ddb_attrs(void **state)
{
    (void)state;
    json_t *item = json_pack("{s:o, s:o, s:{s:s}}", "s", mt_ddb_attr_s(MT_STR_LIT("a\0b")), "n",
                             mt_ddb_attr_n(-42), "bad", "N", "4x");
    int64_t n = 0;
    assert_int_equal(mt_ddb_item_s(item, "s").len, 3);
    assert_true(mt_ddb_item_n(item, "n", &n));
    assert_int_equal(n, -42);
    assert_false(mt_ddb_item_n(item, "bad", &n));
    assert_false(mt_ddb_item_n(item, "s", &n));
    assert_mt_str_null(mt_ddb_item_s(item, "n"));
    json_decref(item);
}

static void test_ddb_create_table_shape(void **state)
{
    (void)state;
    struct mt_ddb_table_spec spec = {"events", "pk", "sk", "by_message_id", "message_id", "sk"};
    json_t *body = mt_ddb_create_table_body(&spec);
    assert_json(body,
                "{\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
                "{\"AttributeName\":\"sk\",\"AttributeType\":\"S\"},{\"AttributeName\":"
                "\"message_id\",\"AttributeType\":\"S\"}],\"BillingMode\":\"PAY_PER_REQUEST\","
                "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"by_message_id\",\"KeySchema\":"
                "[{\"AttributeName\":\"message_id\",\"KeyType\":\"HASH\"},{\"AttributeName\":"
                "\"sk\",\"KeyType\":\"RANGE\"}],\"Projection\":{\"ProjectionType\":\"ALL\"}}],"
                "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},{\"AttributeName\":"
                "\"sk\",\"KeyType\":\"RANGE\"}],\"TableName\":\"events\"}");
    json_decref(body);
}

/* The encoder must write what jansson's own json_dumps writes, byte for byte. */
static void test_ddb_json_encode_matches_jansson(void **state)
{
    (void)state;
    static const char *const docs[] = {
        "{}", "[]", "[null,true,false,0,-1,9223372036854775807,-9223372036854775808]",
        "{\"a\":{\"S\":\"plain\"},\"b\":[{\"N\":\"42\"}],\"c\":\"\"}",
        "\"quotes \\\" and backslashes \\\\ and slash /\"",
        "\"controls \\n \\r \\t \\b \\f \\u0001 \\u001f \\u007f\"",
        "\"UTF-8 caf\u00e9 \\u00e9 \\ud83d\\udce7\"",
        ("{\"RequestItems\":{\"t\":[{\"PutRequest\":{\"Item\":"
         "{\"pk\":{\"S\":\"2026-11-23#07\"}}}}]}}"),
        "[1.5,-0.25,1e300,1e-5,1e5,-2.5e-300,0.1,123456789012345678.0,3.0,-0.0]",
    };
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        json_error_t e;
        json_t *v = json_loads(docs[i], JSON_DECODE_ANY, &e);
        if (v == NULL)
            fail_msg("fixture %zu: %s", i, e.text);
        char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        struct mt_buf got;
        mt_buf_init(&got, 0);
        assert_int_equal(mt_ddb_json_encode(v, &got), MT_OK);
        if (strcmp(got.data, want) != 0)
            fail_msg("fixture %zu: got %s, want %s", i, got.data, want);
        mt_buf_cleanup(&got);
        free(want);
        json_decref(v);
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ddb_error_parse),
        cmocka_unit_test(test_ddb_batch_write_shapes),
        cmocka_unit_test(test_ddb_query_shapes),
        cmocka_unit_test(test_ddb_attrs),
        cmocka_unit_test(test_ddb_create_table_shape),
        cmocka_unit_test(test_ddb_json_encode_matches_jansson),
    };
    return mt_test_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]), __FILE__);
}
