/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of UTC time parsing, formatting and ISO weeks. */
#include "harness.h"

#include "mt/clock.h"
#include "mt/env.h"

#include <pthread.h>
#include <string.h>

static int64_t parse_ok(const char *text)
{
    int64_t ms = 0;
    assert_int_equal(mt_time_parse_iso(mt_str_from_cstr(text), &ms), MT_OK);
    return ms;
}

static void format_is(int64_t ms, const char *expected)
{
    char out[MT_TIME_ISO_LEN + 1];
    mt_time_format_iso(ms, out);
    assert_string_equal(out, expected);
}

static void test_core_time_parse_ses_timestamp(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("2025-03-10T11:02:44.000Z"), INT64_C(1741604564000));
    assert_int_equal(parse_ok("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(parse_ok("2026-11-23T07:00:00.123456Z"), INT64_C(1795417200123));
    assert_int_equal(parse_ok("2026-11-23"), INT64_C(1795392000000));
}

static void test_core_time_parse_offsets(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("2026-11-23T08:30:00+01:30"), parse_ok("2026-11-23T07:00:00Z"));
    assert_int_equal(parse_ok("2026-11-22T23:00:00-08:00"), parse_ok("2026-11-23T07:00:00Z"));
    assert_int_equal(parse_ok("2026-11-23 07:00:00"), parse_ok("2026-11-23T07:00:00.000Z"));
    assert_int_equal(parse_ok("2026-11-23T07:00:00.5Z"), parse_ok("2026-11-23T07:00:00.500Z"));
}

static void test_core_time_parse_rejects_bad_input(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "2026", "2026-13-01", "2026-02-29", "2026-11-31T00:00:00Z", "2026-11-23T24:00:00Z",
        "2026-11-23T07:60:00Z", "2026-11-23T07:00:00ZZ", "2026-11-23T07:00:00.Z",
        "2026-11-23T07:00:00+25:00", "26-11-23", "2026-11-23T7:00", "0000-01-01",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t ms;
        if (mt_time_parse_iso(mt_str_from_cstr(bad[i]), &ms) != MT_ERR_PARSE)
            fail_msg("'%s' was accepted", bad[i]);
    }
    int64_t ms;
    assert_int_equal(mt_time_parse_iso(MT_STR_NULL, &ms), MT_ERR_PARSE);
    assert_int_equal(parse_ok("2024-02-29T00:00:00Z"), INT64_C(1709164800000));
}

static void test_core_time_rfc3339_needs_the_full_form(void **state)
{
    (void)state;
    static const char *const ambiguous[] = {
        "2026-11-23", "2026-11-23T07:00:00", "2026-11-23 07:00:00Z", "2026-11-23T07:00Z",
        "2026-11-23T07:00:00.123", "2026-11-23T07:00",
    };
    int64_t ms;
    for (size_t i = 0; i < sizeof(ambiguous) / sizeof(ambiguous[0]); i++) {
        if (mt_time_parse_rfc3339(mt_str_from_cstr(ambiguous[i]), &ms) != MT_ERR_PARSE)
            fail_msg("'%s' was accepted", ambiguous[i]);
    }
    assert_int_equal(mt_time_parse_rfc3339(MT_STR_LIT("2026-11-23T07:00:00.123456Z"), &ms), MT_OK);
    assert_int_equal(ms, INT64_C(1795417200123));
    assert_int_equal(mt_time_parse_rfc3339(MT_STR_LIT("2026-11-23t08:30:00+01:30"), &ms), MT_OK);
    assert_int_equal(ms, INT64_C(1795417200000));
    assert_int_equal(mt_time_parse_rfc3339(MT_STR_LIT("2026-11-23T07:00:00-0000"), &ms), MT_OK);
    assert_int_equal(ms, INT64_C(1795417200000));
}

static void test_core_time_format_round_trip(void **state)
{
    (void)state;
    format_is(0, "1970-01-01T00:00:00.000Z");
    format_is(INT64_C(1741604564000), "2025-03-10T11:02:44.000Z");
    format_is(-1, "1969-12-31T23:59:59.999Z");
    format_is(INT64_C(253402300799999), "9999-12-31T23:59:59.999Z");
    for (int64_t ms = -INT64_C(5000000000000); ms < INT64_C(5000000000000);
         ms += INT64_C(123456789123)) {
        char out[MT_TIME_ISO_LEN + 1];
        mt_time_format_iso(ms, out);
        assert_int_equal(parse_ok(out), ms);
    }
}

static void week_is(const char *instant, int year, int week)
{
    struct mt_iso_week w = mt_iso_week_of(parse_ok(instant));
    assert_int_equal(w.year, year);
    assert_int_equal(w.week, week);
}

static void test_core_iso_week_of_year_edges(void **state)
{
    (void)state;
    week_is("2026-11-23T00:00:00Z", 2026, 48);
    week_is("2026-11-29T23:59:59.999Z", 2026, 48);
    week_is("2026-11-30T00:00:00Z", 2026, 49);
    week_is("2021-01-03T12:00:00Z", 2020, 53); /* Sunday in the previous ISO year */
    week_is("2024-12-30T00:00:00Z", 2025, 1);  /* Monday in the next ISO year */
    week_is("2027-01-01T00:00:00Z", 2026, 53);  /* 2026 has 53 weeks */
}

static void test_core_iso_week_parse_and_start(void **state)
{
    (void)state;
    struct mt_iso_week w;
    char text[16];

    assert_int_equal(mt_iso_week_parse(mt_str_from_cstr("2026-W48"), &w), MT_OK);
    assert_int_equal(mt_iso_week_start_ms(w), parse_ok("2026-11-23T00:00:00Z"));
    mt_iso_week_format(w, text);
    assert_string_equal(text, "2026-W48");

    assert_int_equal(mt_iso_week_parse(mt_str_from_cstr("2020w53"), &w), MT_OK);
    assert_int_equal(mt_iso_week_start_ms(w), parse_ok("2020-12-28T00:00:00Z"));
    assert_int_equal(mt_iso_week_parse(mt_str_from_cstr("2025-W01"), &w), MT_OK);
    assert_int_equal(mt_iso_week_start_ms(w), parse_ok("2024-12-30T00:00:00Z"));

    static const char *const bad[] = {"2026-W54", "2025-W53", "2026-W00", "2026-48", "2026-W4",
                                      "W48", "2026-W48x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (mt_iso_week_parse(mt_str_from_cstr(bad[i]), &w) != MT_ERR_PARSE)
            fail_msg("'%s' was accepted", bad[i]);
    }
}

static void *read_deadline(void *arg)
{
    *(int64_t *)arg = mt_deadline_get();
    return NULL;
}

static void test_core_deadline_is_per_thread(void **state)
{
    (void)state;
    pthread_t other;
    int64_t seen = -1;

    assert_int_equal(mt_deadline_get(), 0);
    mt_deadline_set(12345);
    assert_int_equal(mt_deadline_get(), 12345);
    assert_int_equal(pthread_create(&other, NULL, read_deadline, &seen), 0);
    pthread_join(other, NULL);
    assert_int_equal(seen, 0);
    mt_deadline_set(0);
    assert_int_equal(mt_deadline_get(), 0);
}

static void test_core_env_set_and_unset(void **state)
{
    (void)state;
    assert_int_equal(mt_env_set("MT_TEST_ENV_SET", "Root=1-abc"), MT_OK);
    assert_string_equal(mt_env_get("MT_TEST_ENV_SET"), "Root=1-abc");
    assert_int_equal(mt_env_set("MT_TEST_ENV_SET", NULL), MT_OK);
    assert_null(mt_env_get("MT_TEST_ENV_SET"));
    assert_int_equal(mt_env_set("A=B", "x"), MT_ERR_INVALID);
    assert_int_equal(mt_env_set("", "x"), MT_ERR_INVALID);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_core_deadline_is_per_thread),
    cmocka_unit_test(test_core_env_set_and_unset),
    cmocka_unit_test(test_core_time_parse_ses_timestamp),
    cmocka_unit_test(test_core_time_rfc3339_needs_the_full_form),
    cmocka_unit_test(test_core_time_parse_offsets),
    cmocka_unit_test(test_core_time_parse_rejects_bad_input),
    cmocka_unit_test(test_core_time_format_round_trip),
    cmocka_unit_test(test_core_iso_week_of_year_edges),
    cmocka_unit_test(test_core_iso_week_parse_and_start),
};

MT_TEST_MAIN(tests)
