/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of string views, capped buffers, the arena and status texts. */
#include "harness.h"

#include "mt/buf.h"
#include "mt/status.h"

#include <string.h>

static void test_core_buf_append_and_cap(void **state)
{
    (void)state;
    struct mt_buf b;
    mt_buf_init(&b, 10);
    assert_int_equal(mt_buf_append_cstr(&b, "hello"), MT_OK);
    assert_int_equal(mt_buf_appendf(&b, "%d", 1234), MT_OK);
    assert_string_equal(b.data, "hello1234");
    assert_int_equal(mt_buf_append_cstr(&b, "xy"), MT_ERR_TOO_LARGE);
    assert_string_equal(b.data, "hello1234");
    assert_int_equal(mt_buf_append_byte(&b, '!'), MT_OK);
    assert_int_equal(b.len, 10);
    mt_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    mt_buf_cleanup_secure(&b);
    assert_null(b.data);
}

static void test_core_buf_appendf_long(void **state)
{
    (void)state;
    struct mt_buf b;
    char big[1000];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    mt_buf_init(&b, 0);
    assert_int_equal(mt_buf_appendf(&b, "<%s>", big), MT_OK);
    assert_int_equal(b.len, 1001);
    assert_int_equal(b.data[0], '<');
    assert_int_equal(b.data[1000], '>');
    mt_buf_cleanup(&b);
}

static void test_core_str_compare_and_trim(void **state)
{
    (void)state;
    assert_true(mt_str_cmp(MT_STR_NULL, MT_STR_LIT("")) < 0);
    assert_true(mt_str_cmp(MT_STR_LIT("a"), MT_STR_NULL) > 0);
    assert_int_equal(mt_str_cmp(MT_STR_NULL, MT_STR_NULL), 0);
    assert_true(mt_str_cmp(MT_STR_LIT("ab"), MT_STR_LIT("abc")) < 0);
    assert_true(mt_str_cmp(MT_STR_LIT("b"), MT_STR_LIT("abc")) > 0);
    assert_true(mt_str_eq(MT_STR_LIT("x"), MT_STR_LIT("x")));
    assert_false(mt_str_eq(MT_STR_LIT("x"), MT_STR_NULL));
    assert_mt_str_equal(mt_str_trim(MT_STR_LIT(" \t a b \r\n")), "a b");
    assert_mt_str_equal(mt_str_trim(MT_STR_LIT("   ")), "");
}

static void test_core_utf8_validation(void **state)
{
    (void)state;
    assert_true(mt_utf8_valid(MT_STR_LIT("plain")));
    assert_true(mt_utf8_valid(MT_STR_LIT("caf\xc3\xa9 \xf0\x9f\x93\xa7 \xe2\x82\xac")));
    assert_false(mt_utf8_valid(MT_STR_LIT("\xc3")));          /* truncated */
    assert_false(mt_utf8_valid(MT_STR_LIT("\xc0\xaf")));      /* overlong */
    assert_false(mt_utf8_valid(MT_STR_LIT("\xed\xa0\x80")));  /* surrogate */
    assert_false(mt_utf8_valid(MT_STR_LIT("\xf4\x90\x80\x80"))); /* past U+10FFFF */
    assert_false(mt_utf8_valid(MT_STR_LIT("\xe2\x28\xa1")));  /* bad continuation */
}

static void test_core_escape_and_utf8_prefix(void **state)
{
    (void)state;
    struct mt_buf b;
    mt_buf_init(&b, 0);
    assert_int_equal(mt_buf_append_escaped(&b, MT_STR_LIT("a\x1b[2J\nb\tc\x7f caf\xc3\xa9")),
                     MT_OK);
    assert_string_equal(b.data, "a\\x1b[2J\\x0ab\\x09c\\x7f caf\xc3\xa9");
    mt_buf_reset(&b);
    assert_int_equal(mt_buf_append_escaped(&b, MT_STR_LIT("")), MT_OK);
    assert_int_equal(b.len, 0);
    mt_buf_reset(&b);
    assert_int_equal(mt_buf_append_escaped(&b, MT_STR_LIT("a\\x0a\n")), MT_OK);
    assert_string_equal(b.data, "a\\x0a\\x0a"); /* ambiguous: a backslash stays as it is */
    mt_buf_reset(&b);
    assert_int_equal(mt_buf_append_escaped_strict(&b, MT_STR_LIT("a\\x0a\n\\\x1b")), MT_OK);
    assert_string_equal(b.data, "a\\\\x0a\\x0a\\\\\\x1b");
    mt_buf_reset(&b);
    /* C1 controls (NEL, CSI) are escaped; other two-byte characters and a lone 0xc2 are not. */
    assert_int_equal(mt_buf_append_escaped(&b, MT_STR_LIT("a\xc2\x85" "b\xc2\x9b\xc2\xa0\xc2")),
                     MT_OK);
    assert_string_equal(b.data, "a\\xc2\\x85b\\xc2\\x9b\xc2\xa0\xc2");
    mt_buf_cleanup(&b);

    struct mt_str s = MT_STR_LIT("ab\xc3\xa9\xf0\x9f\x93\xa7");
    assert_int_equal(mt_utf8_prefix_len(s, 100), s.len);
    assert_int_equal(mt_utf8_prefix_len(s, 3), 2);  /* not inside the 2-byte character */
    assert_int_equal(mt_utf8_prefix_len(s, 4), 4);
    assert_int_equal(mt_utf8_prefix_len(s, 6), 4);  /* not inside the 4-byte one */
    assert_int_equal(mt_utf8_prefix_len(s, 0), 0);
}

static void test_core_utf8_lossy_replaces_each_bad_byte(void **state)
{
    (void)state;
    struct mt_buf b;
    mt_buf_init(&b, 0);
    assert_int_equal(mt_buf_append_utf8_lossy(&b, MT_STR_LIT("caf\xc3\xa9 \xf0\x9f\x93\xa7")),
                     MT_OK);
    assert_string_equal(b.data, "caf\xc3\xa9 \xf0\x9f\x93\xa7"); /* valid: unchanged */
    mt_buf_reset(&b);
    assert_int_equal(mt_buf_append_utf8_lossy(&b, MT_STR_LIT("\xff\xfe")), MT_OK);
    assert_string_equal(b.data, "\xef\xbf\xbd\xef\xbf\xbd");
    mt_buf_reset(&b);
    /* A truncated character, an overlong one and a surrogate, between good text. */
    assert_int_equal(mt_buf_append_utf8_lossy(&b, MT_STR_LIT("a\xc3\x62\xc0\xaf\xed\xa0\x80z")),
                     MT_OK);
    assert_string_equal(b.data, "a\xef\xbf\xbd" "b" "\xef\xbf\xbd\xef\xbf\xbd"
                                "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz");
    assert_true(mt_utf8_valid(mt_buf_str(&b)));
    mt_buf_reset(&b);
    assert_int_equal(mt_buf_append_utf8_lossy(&b, (struct mt_str){"a\0b", 3}), MT_OK);
    assert_int_equal(b.len, 3); /* NUL is UTF-8 and kept */
    assert_memory_equal(b.data, "a\0b", 3);
    mt_buf_cleanup(&b);
}

static void test_core_arena_alloc_and_reset(void **state)
{
    (void)state;
    struct mt_arena a;
    mt_arena_init(&a, 0);
    struct mt_str s = mt_arena_strdup(&a, MT_STR_LIT("kept"));
    assert_mt_str_equal(s, "kept");
    assert_int_equal(s.ptr[4], '\0');
    void *big = mt_arena_alloc(&a, 100000);
    assert_non_null(big);
    memset(big, 1, 100000);
    for (int i = 0; i < 1000; i++)
        assert_non_null(mt_arena_alloc(&a, 100));
    mt_arena_reset(&a);
    assert_int_equal(a.used_bytes, 0);
    assert_non_null(mt_arena_alloc(&a, 10));
    mt_arena_cleanup(&a);

    mt_arena_init(&a, 1000);
    assert_non_null(mt_arena_alloc(&a, 500));
    assert_null(mt_arena_alloc(&a, 600));
    mt_arena_cleanup(&a);
}

static void test_core_err_first_write_wins(void **state)
{
    (void)state;
    struct mt_err err = {0};
    assert_int_equal(mt_err_set(&err, MT_ERR_IO, "cannot read '%s'", "a.json"), MT_ERR_IO);
    assert_int_equal(mt_err_set(&err, MT_ERR_STORE, "later"), MT_ERR_STORE);
    assert_int_equal(err.code, MT_ERR_IO);
    assert_string_equal(mt_err_text(&err), "cannot read 'a.json'");
    mt_err_clear(&err);
    assert_int_equal(err.code, MT_OK);
    err.code = MT_ERR_TIMEOUT;
    assert_string_equal(mt_err_text(&err), "timed out");
    assert_string_equal(mt_status_name(MT_ERR_TIMEOUT), "MT_ERR_TIMEOUT");
    assert_string_equal(mt_status_name(MT_STATUS_COUNT), "MT_ERR_UNKNOWN");
    assert_int_equal(mt_err_set(NULL, MT_ERR_IO, "ignored"), MT_ERR_IO);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_core_buf_append_and_cap),
    cmocka_unit_test(test_core_buf_appendf_long),
    cmocka_unit_test(test_core_str_compare_and_trim),
    cmocka_unit_test(test_core_utf8_validation),
    cmocka_unit_test(test_core_escape_and_utf8_prefix),
    cmocka_unit_test(test_core_utf8_lossy_replaces_each_bad_byte),
    cmocka_unit_test(test_core_arena_alloc_and_reset),
    cmocka_unit_test(test_core_err_first_write_wins),
};

MT_TEST_MAIN(tests)
