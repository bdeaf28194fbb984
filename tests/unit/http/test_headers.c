/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of header lists: case-insensitive lookup, iteration, validation and caps. */
#include "harness.h"

#include "mt/http.h"

#include <string.h>

static void test_http_headers_lookup_ignores_case(void **state)
{
    (void)state;
    struct mt_http_headers h;
    mt_http_headers_init(&h);

    assert_int_equal(mt_http_headers_add(&h, MT_STR_LIT("x-amzn-RequestId"), MT_STR_LIT("R1")),
                     MT_OK);
    assert_int_equal(mt_http_headers_add(&h, MT_STR_LIT("ETag"), MT_STR_LIT("\"abc\"")), MT_OK);
    assert_int_equal(mt_http_headers_add(&h, MT_STR_LIT("Empty"), MT_STR_LIT("")), MT_OK);
    assert_int_equal(mt_http_headers_add(&h, MT_STR_LIT("etag"), MT_STR_LIT("second")), MT_OK);
    assert_int_equal(h.count, 4);

    assert_mt_str_equal(mt_http_headers_get(&h, "X-AMZN-REQUESTID"), "R1");
    assert_mt_str_equal(mt_http_headers_get(&h, "etag"), "\"abc\"");
    assert_mt_str_equal(mt_http_headers_get(&h, "empty"), "");
    assert_mt_str_null(mt_http_headers_get(&h, "x-amz-crc32"));
    assert_mt_str_null(mt_http_headers_get(&h, "ETa"));
    mt_http_headers_cleanup(&h);
}

static void test_http_headers_iterate_in_order(void **state)
{
    (void)state;
    struct mt_http_headers h = {0};
    struct mt_str name;
    struct mt_str value;
    size_t pos = 0;

    assert_false(mt_http_headers_next(&h, &pos, &name, &value));
    assert_int_equal(mt_http_headers_add(&h, MT_STR_LIT("a"), MT_STR_LIT("1")), MT_OK);
    assert_int_equal(mt_http_headers_add(&h, MT_STR_LIT("b"), MT_STR_LIT("22")), MT_OK);

    assert_true(mt_http_headers_next(&h, &pos, &name, &value));
    assert_mt_str_equal(name, "a");
    assert_mt_str_equal(value, "1");
    assert_true(mt_http_headers_next(&h, &pos, &name, &value));
    assert_mt_str_equal(name, "b");
    assert_mt_str_equal(value, "22");
    assert_false(mt_http_headers_next(&h, &pos, &name, &value));

    mt_http_headers_reset(&h);
    assert_int_equal(h.count, 0);
    assert_mt_str_null(mt_http_headers_get(&h, "a"));
    mt_http_headers_cleanup(&h);
}

static void test_http_headers_reject_injection(void **state)
{
    (void)state;
    struct mt_http_headers h;
    mt_http_headers_init(&h);

    assert_int_equal(mt_http_headers_add(&h, MT_STR_LIT("X"), MT_STR_LIT("a\r\nEvil: 1")),
                     MT_ERR_INVALID);
    assert_int_equal(mt_http_headers_add(&h, MT_STR_LIT("X"), MT_STR_LIT("a\nb")),
                     MT_ERR_INVALID);
    assert_int_equal(mt_http_headers_add(&h, MT_STR_LIT("X:Y"), MT_STR_LIT("v")),
                     MT_ERR_INVALID);
    assert_int_equal(mt_http_headers_add(&h, MT_STR_LIT("X Y"), MT_STR_LIT("v")),
                     MT_ERR_INVALID);
    assert_int_equal(mt_http_headers_add(&h, MT_STR_LIT(""), MT_STR_LIT("v")), MT_ERR_INVALID);
    assert_int_equal(mt_http_headers_add(&h, (struct mt_str){"a\0b", 3}, MT_STR_LIT("v")),
                     MT_ERR_INVALID);
    assert_int_equal(h.count, 0);
    mt_http_headers_cleanup(&h);
}

static void test_http_headers_cap_keeps_earlier_entries(void **state)
{
    (void)state;
    struct mt_http_headers h;
    static char big[MT_HTTP_MAX_HEADER_BYTES];
    memset(big, 'v', sizeof(big));
    mt_http_headers_init(&h);

    assert_int_equal(mt_http_headers_add(&h, MT_STR_LIT("keep"), MT_STR_LIT("me")), MT_OK);
    assert_int_equal(mt_http_headers_add(&h, MT_STR_LIT("big"), (struct mt_str){big, sizeof(big)}),
                     MT_ERR_TOO_LARGE);
    assert_int_equal(h.count, 1);
    assert_mt_str_equal(mt_http_headers_get(&h, "keep"), "me");
    assert_mt_str_null(mt_http_headers_get(&h, "big"));
    mt_http_headers_cleanup(&h);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_http_headers_lookup_ignores_case),
    cmocka_unit_test(test_http_headers_iterate_in_order),
    cmocka_unit_test(test_http_headers_reject_injection),
    cmocka_unit_test(test_http_headers_cap_keeps_earlier_entries),
};

MT_TEST_MAIN(tests)
