/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every example input in tests/fixtures/events against the rows it must give
 * (EXPECTED.jsonl): each expected column compared, row by row in order.
 */
#include "harness.h"

#include "mt/event.h"

#include <jansson.h>
#include <string.h>

static int column_of(const char *name)
{
    for (int c = 0; c < MT_COL_COUNT; c++) {
        if (strcmp(mt_column_name((enum mt_column)c), name) == 0)
            return c;
    }
    return -1;
}

static void check_rows(const char *file, json_t *expected, const struct mt_event_result *r)
{
    if (json_array_size(expected) != r->row_count)
        fail_msg("%s: expected %zu rows, got %zu", file, json_array_size(expected), r->row_count);

    size_t i;
    json_t *row;
    json_array_foreach(expected, i, row) {
        const char *name;
        const json_t *value;
        json_object_foreach(row, name, value) {
            int c = column_of(name);
            if (c < 0)
                fail_msg("%s: EXPECTED.jsonl names unknown column '%s'", file, name);
            struct mt_str got = r->rows[i].col[c];
            if (json_is_null(value) && got.ptr != NULL)
                fail_msg("%s row %zu: %s should be null, got '%.*s'", file, i, name, (int)got.len,
                         got.ptr);
            if (json_is_string(value) && !mt_str_eq_cstr(got, json_string_value(value)))
                fail_msg("%s row %zu: %s should be '%s', got '%.*s'", file, i, name,
                         json_string_value(value), (int)got.len, got.ptr ? got.ptr : "(null)");
        }
    }
}

static void check_case(struct mt_event_parser *p, const json_t *c)
{
    const char *file = json_string_value(json_object_get(c, "file"));
    const char *expect = json_string_value(json_object_get(c, "expect"));
    struct mt_buf doc;
    struct mt_event_result r;
    char path[256];

    snprintf(path, sizeof(path), "events/%s", file);
    mt_test_read_file(mt_test_fixture(path), &doc);
    assert_int_equal(mt_event_parse_document(p, mt_buf_str(&doc), &r), MT_OK);

    if (strcmp(expect, "rows") == 0) {
        if (r.reject_count != 0)
            fail_msg("%s: rejected: %s", file, r.rejects[0].reason);
        check_rows(file, json_object_get(c, "rows"), &r);
    } else if (strcmp(expect, "reject") == 0) {
        assert_int_equal(r.row_count, 0);
        if (r.reject_count != 1)
            fail_msg("%s: expected one reject, got %zu", file, r.reject_count);
        assert_true(strlen(r.rejects[0].reason) > 10);
    } else {
        /* "confirm" and "ignore": SNS handshakes, counted and skipped. */
        assert_int_equal(r.row_count, 0);
        assert_int_equal(r.reject_count, 0);
        assert_int_equal(r.confirmations, 1);
    }
    mt_buf_cleanup(&doc);
}

/*
 * Two of the rejects in EXPECTED.jsonl are SNS bodies whose certificate URL
 * or signature is bad.  Their JSON is well formed, so the parser alone
 * accepts them; the signature verifier rejects them, and its tests cover
 * them.
 */
static bool needs_verifier(const json_t *c)
{
    const char *file = json_string_value(json_object_get(c, "file"));
    return strncmp(file, "bad/sns-http-", 13) == 0;
}

static void test_event_fixtures_match_expected_rows(void **state)
{
    (void)state;
    struct mt_buf lines;
    struct mt_event_parser *p = mt_event_parser_new();
    size_t cases = 0;

    mt_test_read_file(mt_test_fixture("events/EXPECTED.jsonl"), &lines);
    for (char *line = strtok(lines.data, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        json_t *c = json_loads(line, 0, NULL);
        assert_non_null(c);
        if (!needs_verifier(c)) {
            check_case(p, c);
            cases++;
        }
        json_decref(c);
    }
    assert_int_equal(cases, 24);
    mt_event_parser_free(p);
    mt_buf_cleanup(&lines);
}

static void test_event_both_shapes_give_the_same_key(void **state)
{
    (void)state;
    /* The same bounce published by a configuration set and by identity notifications. */
    static const char ep[] =
        "{\"eventType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Permanent\",\"bounceSubType\":"
        "\"General\",\"bouncedRecipients\":[{\"emailAddress\":\"a@example.net\"}],\"timestamp\":"
        "\"2026-11-23T07:00:01.000Z\"},\"mail\":{\"timestamp\":\"2026-11-23T07:00:00.000Z\","
        "\"source\":\"s@example.com\",\"messageId\":\"m1\",\"destination\":[\"a@example.net\"],"
        "\"tags\":{\"ses:configuration-set\":[\"set\"]}}}";
    static const char notif[] =
        "{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Permanent\","
        "\"bounceSubType\":\"General\",\"bouncedRecipients\":[{\"emailAddress\":"
        "\"a@example.net\"}],\"timestamp\":\"2026-11-23T07:00:01Z\"},\"mail\":{\"timestamp\":"
        "\"2026-11-23T07:00:00Z\",\"source\":\"S <s@example.com>\",\"messageId\":\"m1\","
        "\"destination\":[\"a@example.net\"]}}";
    struct mt_event_parser *p = mt_event_parser_new();
    struct mt_event_result r;
    char key[MT_ROW_KEY_LEN + 1];

    assert_int_equal(mt_event_parse_document(p, MT_STR_LIT(ep), &r), MT_OK);
    assert_int_equal(r.row_count, 1);
    memcpy(key, r.rows[0].key, sizeof(key));
    assert_int_equal(mt_event_parse_document(p, MT_STR_LIT(notif), &r), MT_OK);
    assert_int_equal(r.row_count, 1);
    assert_string_equal(r.rows[0].key, key);
    assert_mt_str_equal(r.rows[0].col[MT_COL_SOURCE], "s@example.com");
    assert_mt_str_equal(r.rows[0].col[MT_COL_EVENT_TIME], "2026-11-23T07:00:01.000Z");
    mt_event_parser_free(p);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_event_fixtures_match_expected_rows),
    cmocka_unit_test(test_event_both_shapes_give_the_same_key),
};

MT_TEST_MAIN(tests)
