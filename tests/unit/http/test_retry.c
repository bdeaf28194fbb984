/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the backoff arithmetic, the random source and the default classification. */
#include "harness.h"

#include "http/http_int.h"
#include "mt/http.h"

static void test_http_backoff_ceiling_doubles_to_cap(void **state)
{
    (void)state;
    /* random % (ceiling + 1): a random equal to the ceiling gives the ceiling itself. */
    assert_int_equal(http_backoff_ms(1, 50, 5000, 50), 50);
    assert_int_equal(http_backoff_ms(1, 50, 5000, 51), 0);
    assert_int_equal(http_backoff_ms(2, 50, 5000, 100), 100);
    assert_int_equal(http_backoff_ms(3, 50, 5000, 200), 200);
    assert_int_equal(http_backoff_ms(7, 50, 5000, 3200), 3200);
    assert_int_equal(http_backoff_ms(8, 50, 5000, 5000), 5000);
    assert_int_equal(http_backoff_ms(8, 50, 5000, 5001), 0);
}

static void test_http_backoff_never_overflows(void **state)
{
    (void)state;
    assert_int_equal(http_backoff_ms(1000000, 50, 5000, 5000), 5000);
    assert_int_equal(http_backoff_ms(64, INT64_MAX / 2, INT64_MAX, (uint64_t)INT64_MAX),
                     INT64_MAX);
    assert_true(http_backoff_ms(200, 50, 5000, UINT64_MAX) <= 5000);
    assert_int_equal(http_backoff_ms(3, 0, 5000, 77), 0);
    assert_int_equal(http_backoff_ms(3, 50, 20, 20), 20);
}

static void test_http_backoff_stays_in_range(void **state)
{
    (void)state;
    for (int retry = 1; retry <= 12; retry++) {
        int64_t ceiling = (int64_t)50 << (retry - 1);
        if (ceiling > 5000)
            ceiling = 5000;
        for (int i = 0; i < 200; i++) {
            int64_t ms = http_backoff_ms(retry, 50, 5000, http_random_u64());
            assert_true(ms >= 0);
            assert_true(ms <= ceiling);
        }
    }
}

static void test_http_random_is_not_constant(void **state)
{
    (void)state;
    uint64_t a = http_random_u64();
    uint64_t b = http_random_u64();
    uint64_t c = http_random_u64();
    assert_false(a == b && b == c);
}

/* Judges status with the default classifier. */
static enum mt_http_verdict judge(long status)
{
    struct mt_http_response resp;
    mt_http_response_init(&resp);
    resp.status = status;
    enum mt_http_verdict v = mt_http_classify_default(NULL, &resp);
    mt_http_response_cleanup(&resp);
    return v;
}

static void test_http_classify_default_verdicts(void **state)
{
    (void)state;
    assert_int_equal(judge(200), MT_HTTP_ACCEPT);
    assert_int_equal(judge(204), MT_HTTP_ACCEPT);
    assert_int_equal(judge(304), MT_HTTP_ACCEPT);
    assert_int_equal(judge(400), MT_HTTP_FAIL);
    assert_int_equal(judge(403), MT_HTTP_FAIL);
    assert_int_equal(judge(404), MT_HTTP_FAIL);
    assert_int_equal(judge(429), MT_HTTP_RETRY);
    assert_int_equal(judge(500), MT_HTTP_RETRY);
    assert_int_equal(judge(503), MT_HTTP_RETRY);
    assert_int_equal(judge(599), MT_HTTP_RETRY);
    assert_int_equal(judge(100), MT_HTTP_FAIL);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_http_backoff_ceiling_doubles_to_cap),
    cmocka_unit_test(test_http_backoff_never_overflows),
    cmocka_unit_test(test_http_backoff_stays_in_range),
    cmocka_unit_test(test_http_random_is_not_constant),
    cmocka_unit_test(test_http_classify_default_verdicts),
};

MT_TEST_MAIN(tests)
