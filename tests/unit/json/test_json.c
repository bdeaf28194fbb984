/* SPDX-License-Identifier: Apache-2.0 */
/* The strict JSON parser: values, navigation, raw spans, and every rejection. */
#include "harness.h"

#include "mt/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct mt_json_doc s_doc;

static int setup(void **state)
{
    (void)state;
    mt_json_doc_init(&s_doc);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mt_json_doc_cleanup(&s_doc);
    return 0;
}

static uint32_t parse_ok(const char *text)
{
    uint32_t root = MT_JSON_NONE;
    struct mt_json_error e;
    if (mt_json_parse(&s_doc, mt_str_from_cstr(text), &root, &e) != MT_OK)
        fail_msg("'%s' rejected: %s at %d:%d", text, e.text, e.line, e.column);
    return root;
}

static void parse_bad(const char *text, size_t len, const char *needle, int line, int column)
{
    uint32_t root;
    struct mt_json_error e = {0};
    uint32_t before = s_doc.count;
    if (mt_json_parse(&s_doc, (struct mt_str){text, len}, &root, &e) != MT_ERR_NOT_JSON)
        fail_msg("'%.*s' was accepted", (int)len, text);
    if (strstr(e.text, needle) == NULL)
        fail_msg("'%.*s': error '%s' lacks '%s'", (int)len, text, e.text, needle);
    if (line > 0 && (e.line != line || e.column != column))
        fail_msg("'%.*s': at %d:%d, expected %d:%d", (int)len, text, e.line, e.column, line,
                 column);
    assert_int_equal(s_doc.count, before);
}

#define BAD(text, needle) parse_bad(text, sizeof(text) - 1, needle, 0, 0)

static void test_json_values_and_navigation(void **state)
{
    (void)state;
    uint32_t r = parse_ok(" {\"a\": [1, -2.5e3, \"x\", true, false, null, {}],"
                          " \"b\": {\"c\": 7}} ");
    assert_int_equal(mt_json_type_of(&s_doc, r), MT_JSON_OBJECT);
    assert_int_equal(mt_json_node(&s_doc, r)->count, 2);
    uint32_t a = mt_json_get(&s_doc, r, "a");
    assert_int_equal(mt_json_type_of(&s_doc, a), MT_JSON_ARRAY);
    assert_int_equal(mt_json_node(&s_doc, a)->count, 7);

    int64_t v;
    assert_true(mt_json_int(&s_doc, mt_json_at(&s_doc, a, 0), &v));
    assert_int_equal(v, 1);
    assert_false(mt_json_int(&s_doc, mt_json_at(&s_doc, a, 1), &v));
    assert_mt_str_equal(mt_json_node(&s_doc, mt_json_at(&s_doc, a, 1))->text, "-2.5e3");
    assert_mt_str_equal(mt_json_str(&s_doc, mt_json_at(&s_doc, a, 2)), "x");
    assert_int_equal(mt_json_type_of(&s_doc, mt_json_at(&s_doc, a, 3)), MT_JSON_TRUE);
    assert_int_equal(mt_json_type_of(&s_doc, mt_json_at(&s_doc, a, 5)), MT_JSON_NULL);
    assert_int_equal(mt_json_at(&s_doc, a, 7), MT_JSON_NONE);
    assert_int_equal(mt_json_first(&s_doc, mt_json_at(&s_doc, a, 6)), MT_JSON_NONE);

    uint32_t c = mt_json_get(&s_doc, mt_json_get(&s_doc, r, "b"), "c");
    assert_true(mt_json_int(&s_doc, c, &v));
    assert_int_equal(v, 7);
    assert_int_equal(mt_json_get(&s_doc, r, "missing"), MT_JSON_NONE);
    assert_int_equal(mt_json_get(&s_doc, a, "a"), MT_JSON_NONE);
    assert_string_equal(mt_json_kind(&s_doc, a), "an array");
    assert_string_equal(mt_json_kind(&s_doc, MT_JSON_NONE), "missing");

    /* Members in order, skipping nested values. */
    const char *keys[2];
    int n = 0;
    for (uint32_t k = mt_json_first(&s_doc, r); k != MT_JSON_NONE; k = mt_json_next(&s_doc, r, k))
        keys[n++] = mt_json_node(&s_doc, k)->text.ptr;
    assert_int_equal(n, 2);
    assert_int_equal(keys[0][0], 'a');
    assert_int_equal(keys[1][0], 'b');
    assert_mt_str_equal(mt_json_node(&s_doc, mt_json_get(&s_doc, r, "b"))->text, "{\"c\": 7}");
}

static void test_json_strings_and_escapes(void **state)
{
    (void)state;
    uint32_t r = parse_ok("[\"plain\", \"q\\\"\\\\\\/\\b\\f\\n\\r\\t\", \"\\u00e9\\u20ac\","
                          "\"\\ud83d\\udce7\", \"caf\xc3\xa9 \xf0\x9f\x93\xa7\", \"\"]");
    assert_mt_str_equal(mt_json_str(&s_doc, mt_json_at(&s_doc, r, 0)), "plain");
    assert_mt_str_equal(mt_json_str(&s_doc, mt_json_at(&s_doc, r, 1)), "q\"\\/\b\f\n\r\t");
    assert_mt_str_equal(mt_json_str(&s_doc, mt_json_at(&s_doc, r, 2)), "\xc3\xa9\xe2\x82\xac");
    assert_mt_str_equal(mt_json_str(&s_doc, mt_json_at(&s_doc, r, 3)), "\xf0\x9f\x93\xa7");
    assert_mt_str_equal(mt_json_str(&s_doc, mt_json_at(&s_doc, r, 4)),
                        "caf\xc3\xa9 \xf0\x9f\x93\xa7");
    assert_mt_str_equal(mt_json_str(&s_doc, mt_json_at(&s_doc, r, 5)), "");
    assert_mt_str_null(mt_json_str(&s_doc, r));
}

static void test_json_integers(void **state)
{
    (void)state;
    uint32_t r = parse_ok("[9223372036854775807, -9223372036854775808, 9223372036854775808, "
                          "0, -0, 1e2]");
    int64_t v;
    assert_true(mt_json_int(&s_doc, mt_json_at(&s_doc, r, 0), &v));
    assert_true(v == INT64_MAX);
    assert_true(mt_json_int(&s_doc, mt_json_at(&s_doc, r, 1), &v));
    assert_true(v == INT64_MIN);
    assert_false(mt_json_int(&s_doc, mt_json_at(&s_doc, r, 2), &v));
    assert_true(mt_json_int(&s_doc, mt_json_at(&s_doc, r, 4), &v));
    assert_int_equal(v, 0);
    assert_false(mt_json_int(&s_doc, mt_json_at(&s_doc, r, 5), &v));
}

static void test_json_rejects(void **state)
{
    (void)state;
    BAD("", "unexpected end of input");
    BAD("   ", "unexpected end of input");
    BAD("{", "unexpected end of input");
    BAD("[1,]", "invalid token");
    BAD("{\"a\":1,}", "string or '}' expected");
    BAD("{\"a\" 1}", "':' expected");
    BAD("[1 2]", "',' or ']' expected");
    BAD("01", "content after the end");
    BAD("1.", "invalid number");
    BAD("-", "invalid number");
    BAD("1e", "invalid number");
    BAD("+1", "invalid token");
    BAD("NaN", "invalid token");
    BAD("nul", "invalid token");
    BAD("{} {}", "content after the end");
    BAD("// c\n{}", "invalid token");
    BAD("'a'", "invalid token");
    BAD("\"tab\there\"", "control character 0x09");
    BAD("\"\\x\"", "invalid escape");
    BAD("\"\\u12\"", "invalid \\u escape");
    BAD("\"\\u0000\"", "\\u0000 is not allowed");
    BAD("\"\\udc00\"", "lone low surrogate");
    BAD("\"\\ud800x\"", "lone high surrogate");
    BAD("\"\\ud800\\u0041\"", "lone high surrogate");
    BAD("\"\xff\"", "invalid UTF-8 byte 0xff");
    BAD("\"\xc0\xaf\"", "invalid UTF-8 byte 0xc0");
    BAD("\"\xed\xa0\x80\"", "invalid UTF-8 byte 0xed");
    BAD("\"\xe2\x82\"", "invalid UTF-8 byte 0xe2");
    BAD("\"open", "unexpected end of input in a string");
    BAD("{\"a\":1,\"a\":2}", "duplicate object key");
    BAD("{\"\\u0061\":1,\"a\":2}", "duplicate object key");
    parse_bad("[1,\n  2,\n  x]", 13, "invalid token", 3, 3);
    static const char nul_inside[] = "[\"a\0\"]";
    parse_bad(nul_inside, sizeof(nul_inside) - 1, "control character 0x00", 1, 4);
}

static void test_json_large_object_duplicates(void **state)
{
    (void)state;
    struct mt_buf text;
    mt_buf_init(&text, 0);
    mt_buf_append_byte(&text, '{');
    for (int i = 0; i < 5000; i++)
        mt_buf_appendf(&text, "%s\"k%d\":%d", i ? "," : "", (i * 7919) % 5000, i);
    mt_buf_append_byte(&text, '}');
    assert_int_not_equal(parse_ok(text.data), MT_JSON_NONE);

    text.len--;
    int column = (int)text.len + 2; /* the key's quote, after the comma */
    mt_buf_append_cstr(&text, ",\"k4321\":0}");
    parse_bad(text.data, text.len, "duplicate object key \"k4321\"", 1, column);
    mt_buf_cleanup(&text);
}

/* Fails to parse text and asserts the whole message and where it points. */
static void duplicate_is(const char *text, const char *message, int line, int column)
{
    uint32_t root;
    struct mt_json_error e = {0};

    assert_int_equal(mt_json_parse(&s_doc, mt_str_from_cstr(text), &root, &e), MT_ERR_NOT_JSON);
    assert_string_equal(e.text, message);
    if (e.line != line || e.column != column)
        fail_msg("'%s': at %d:%d, expected %d:%d", text, e.line, e.column, line, column);
    assert_null(strchr(e.text, '\n'));
}

static void test_json_duplicate_key_named_where_it_repeats(void **state)
{
    (void)state;
    duplicate_is("{\"a\":1,\"a\":2}", "duplicate object key \"a\"", 1, 8);
    duplicate_is("{\"mail\": {\n  \"x\": [{\"k\": \"}\"}],\n  \"messageId\": \"m\", "
                 "\"messageId\": \"n\"}}",
                 "duplicate object key \"messageId\"", 3, 21);
    /* Escaped keys are compared and named decoded, and found where they are written. */
    duplicate_is("{\"\\u0061\":1,\"a\":2}", "duplicate object key \"a\"", 1, 13);
    duplicate_is("{\"a\":1, \"\\u0061\":2}", "duplicate object key \"a\"", 1, 9);
    /* Control bytes are escaped, quotes and backslashes too: the message stays one line. */
    duplicate_is("{\"a\\nb\":1,\"a\\nb\":2}", "duplicate object key \"a\\u000ab\"", 1, 11);
    duplicate_is("{\"q\\\"\\\\\":1,\"q\\\"\\\\\":2}",
                 "duplicate object key \"q\\\"\\\\\"", 1, 12);
    /* The earliest repetition in the text is the one reported. */
    duplicate_is("{\"b\":1,\"a\":2,\"a\":3,\"b\":4}", "duplicate object key \"a\"", 1, 14);
}

static void test_json_duplicate_long_key_is_cut(void **state)
{
    (void)state;
    char key[120], text[700], message[96];

    memset(key, 'x', 100);
    key[100] = '\0';
    snprintf(text, sizeof(text), "{\"%s\":1,\"%s\":2}", key, key);
    snprintf(message, sizeof(message), "duplicate object key \"%.40s\"...", key);
    duplicate_is(text, message, 1, 107);

    /* A cut never splits a character: 39 bytes, then a 2-byte one that would pass 40. */
    memcpy(key + 39, "\xc3\xa9", 2);
    snprintf(text, sizeof(text), "{\"%s\":1,\"%s\":2}", key, key);
    snprintf(message, sizeof(message), "duplicate object key \"%.39s\"...", key);
    duplicate_is(text, message, 1, 107);

    /* Escapes count against the room: 20 control bytes quote as 120 characters. */
    char escaped[300];
    size_t n = 0;
    for (int i = 0; i < 20; i++)
        n += (size_t)snprintf(escaped + n, sizeof(escaped) - n, "\\u0001");
    snprintf(text, sizeof(text), "{\"%s\":1,\"%s\":2}", escaped, escaped);
    duplicate_is(text, "duplicate object key \"\\u0001\\u0001\\u0001\\u0001\\u0001"
                       "\\u0001\\u0001\\u0001\"...",
                 1, 127);
}

/* Over 16 keys the keys are sorted, yet the earliest repetition is still the one named. */
static void test_json_duplicate_in_large_object_is_the_earliest(void **state)
{
    (void)state;
    struct mt_buf text;
    mt_buf_init(&text, 0);
    mt_buf_append_byte(&text, '{');
    int column = 0;
    for (int i = 0; i < 20; i++) {
        int name = i == 3 || i == 10 || i == 15 ? 5 : i == 1 || i == 12 ? 1 : 100 + i;
        if (i == 10)
            column = (int)text.len + 2; /* the key's quote, after the comma */
        mt_buf_appendf(&text, "%s\"k%d\":%d", i ? "," : "", name, i);
    }
    mt_buf_append_byte(&text, '}');
    duplicate_is(text.data, "duplicate object key \"k5\"", 1, column);
    mt_buf_cleanup(&text);
}

static void test_json_depth_limit(void **state)
{
    (void)state;
    char deep[2 * (MT_JSON_MAX_DEPTH + 1) + 1];
    for (int d = MT_JSON_MAX_DEPTH; d <= MT_JSON_MAX_DEPTH + 1; d++) {
        memset(deep, '[', (size_t)d);
        memset(deep + d, ']', (size_t)d);
        deep[2 * d] = '\0';
        uint32_t root;
        struct mt_json_error e;
        enum mt_status st = mt_json_parse(&s_doc, mt_str_from_cstr(deep), &root, &e);
        assert_int_equal(st, d <= MT_JSON_MAX_DEPTH ? MT_OK : MT_ERR_NOT_JSON);
    }
}

static void test_json_node_cap_and_several_texts(void **state)
{
    (void)state;
    uint32_t first = parse_ok("{\"Message\":\"{\\\"inner\\\":[1,2]}\"}");
    struct mt_str msg = mt_json_str(&s_doc, mt_json_get(&s_doc, first, "Message"));
    uint32_t inner = parse_ok(msg.ptr);
    assert_true(inner > first);
    assert_int_equal(mt_json_node(&s_doc, mt_json_get(&s_doc, inner, "inner"))->count, 2);
    /* The first text's nodes are still there. */
    assert_mt_str_equal(mt_json_str(&s_doc, mt_json_get(&s_doc, first, "Message")),
                        "{\"inner\":[1,2]}");

    s_doc.max_nodes = s_doc.count + 3;
    uint32_t root;
    assert_int_equal(mt_json_parse(&s_doc, MT_STR_LIT("[1,2,3,4]"), &root, NULL),
                     MT_ERR_TOO_LARGE);
    mt_json_doc_reset(&s_doc);
    assert_int_equal(s_doc.count, 0);
}

#define MT_CASE(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

static const struct CMUnitTest tests[] = {
    MT_CASE(test_json_values_and_navigation),
    MT_CASE(test_json_strings_and_escapes),
    MT_CASE(test_json_integers),
    MT_CASE(test_json_rejects),
    MT_CASE(test_json_large_object_duplicates),
    MT_CASE(test_json_duplicate_key_named_where_it_repeats),
    MT_CASE(test_json_duplicate_long_key_is_cut),
    MT_CASE(test_json_duplicate_in_large_object_is_the_earliest),
    MT_CASE(test_json_depth_limit),
    MT_CASE(test_json_node_cap_and_several_texts),
};

MT_TEST_MAIN(tests)
