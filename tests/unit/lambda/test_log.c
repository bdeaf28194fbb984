/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Lambda log sink: the JSON and Text record shapes, escaping that keeps
 * one record one valid JSON line, and AWS_LAMBDA_LOG_FORMAT /
 * AWS_LAMBDA_LOG_LEVEL.
 */
#include "harness.h"

#include "lambda.h"
#include "mt/env.h"

#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>

/* 2026-11-23T07:00:00.123Z */
#define T0 INT64_C(1795417200123)

static void test_lambda_log_json_record_shape(void **state)
{
    (void)state;
    struct mt_buf out;
    mt_buf_init(&out, 0);

    lambda_log_format_record(&out, LAMBDA_LOG_JSON, T0, "req-1", MT_LOG_INFO, "tracker",
                             "records_ingested", "records=1 rows_stored=2");
    assert_string_equal(out.data,
                        "{\"timestamp\":\"2026-11-23T07:00:00.123Z\",\"level\":\"INFO\","
                        "\"requestId\":\"req-1\",\"component\":\"tracker\","
                        "\"event\":\"records_ingested\","
                        "\"message\":\"records=1 rows_stored=2\"}\n");

    /* During init there is no request, and no requestId key. */
    lambda_log_format_record(&out, LAMBDA_LOG_JSON, T0, NULL, MT_LOG_FATAL, "lambda",
                             "init_failed", "x");
    assert_null(strstr(out.data, "requestId"));
    assert_non_null(strstr(out.data, "\"level\":\"FATAL\""));
    mt_buf_cleanup(&out);
}

static void test_lambda_log_json_escapes_keep_one_valid_line(void **state)
{
    (void)state;
    struct mt_buf out;
    mt_buf_init(&out, 0);

    /* Quote, backslash, newline, tab, a control byte, a lone 0xff, valid UTF-8 (é, emoji). */
    lambda_log_format_record(&out, LAMBDA_LOG_JSON, T0, "r", MT_LOG_WARN, "c", "e",
                             "a\"b\\c\nd\te\x01" "f\xffg caf\xc3\xa9 \xf0\x9f\x93\xa7");
    assert_non_null(strstr(out.data, "\"message\":\"a\\\"b\\\\c\\u000ad\\u0009e\\u0001f"
                                     "\\u00ffg caf\xc3\xa9 \xf0\x9f\x93\xa7\"}\n"));
    assert_null(memchr(out.data, '\n', out.len - 1));

    json_error_t jerr;
    json_t *doc = json_loads(out.data, 0, &jerr);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "level")), "WARN");
    json_decref(doc);
    mt_buf_cleanup(&out);
}

static void test_lambda_log_text_record_shape(void **state)
{
    (void)state;
    struct mt_buf out;
    mt_buf_init(&out, 0);

    lambda_log_format_record(&out, LAMBDA_LOG_TEXT, T0, "req-1", MT_LOG_ERROR, "lambda",
                             "invocation_failed", "MT_ERR_STORE: line\none \x1b[31m");
    /* Control characters are escaped, so the record stays one plain line. */
    assert_string_equal(out.data, "2026-11-23T07:00:00.123Z\treq-1\tERROR\tlambda "
                                  "invocation_failed: MT_ERR_STORE: line\\x0aone \\x1b[31m\n");
    mt_buf_cleanup(&out);
}

/* Installs the sink from the environment on a pipe, logs, and returns what arrived. */
static void capture(const char *format, const char *level, struct mt_buf *got)
{
    int fds[2];
    char chunk[4096];
    ssize_t n;

    assert_int_equal(pipe(fds), 0);
    mt_env_set("AWS_LAMBDA_LOG_FORMAT", format);
    mt_env_set("AWS_LAMBDA_LOG_LEVEL", level);
    lambda_log_install(fds[1]);
    lambda_log_set_request_id("req-9");
    MT_LOG(MT_LOG_DEBUG, "t", "debug_event", "debug");
    MT_LOG(MT_LOG_INFO, "t", "info_event", "info");
    MT_LOG(MT_LOG_WARN, "t", "warn_event", "warn");
    lambda_log_set_request_id(NULL);
    close(fds[1]);

    mt_buf_init(got, 0);
    while ((n = read(fds[0], chunk, sizeof(chunk))) > 0)
        mt_buf_append(got, chunk, (size_t)n);
    close(fds[0]);
    mt_log_set_sink(NULL);
    mt_log_set_level(MT_LOG_WARN);
}

static size_t lines(const struct mt_buf *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->len; i++)
        n += b->data[i] == '\n';
    return n;
}

static void test_lambda_log_honours_format_and_level(void **state)
{
    (void)state;
    struct mt_buf got;

    /* Lambda's defaults: JSON at INFO. */
    capture(NULL, NULL, &got);
    assert_int_equal(lines(&got), 2);
    assert_non_null(strstr(got.data, "\"event\":\"info_event\""));
    assert_null(strstr(got.data, "debug_event"));
    mt_buf_cleanup(&got);

    capture("Text", "WARN", &got);
    assert_int_equal(lines(&got), 1);
    assert_non_null(strstr(got.data, "\treq-9\tWARN\tt warn_event: warn\n"));
    mt_buf_cleanup(&got);

    capture("json", "trace", &got);
    assert_int_equal(lines(&got), 3);
    assert_non_null(strstr(got.data, "\"level\":\"DEBUG\""));
    mt_buf_cleanup(&got);
}

static void test_lambda_log_unknown_settings_warn_once_and_default(void **state)
{
    (void)state;
    struct mt_buf got;

    capture("XML", "LOUD", &got);
    /* Two warnings about the settings, then INFO and WARN records in JSON. */
    assert_int_equal(lines(&got), 4);
    assert_non_null(strstr(got.data, "\"event\":\"log_format_unknown\""));
    assert_non_null(strstr(got.data, "\"event\":\"log_level_unknown\""));
    assert_non_null(strstr(got.data, "\"event\":\"info_event\""));
    mt_buf_cleanup(&got);
    mt_env_set("AWS_LAMBDA_LOG_FORMAT", NULL);
    mt_env_set("AWS_LAMBDA_LOG_LEVEL", NULL);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_lambda_log_json_record_shape),
    cmocka_unit_test(test_lambda_log_json_escapes_keep_one_valid_line),
    cmocka_unit_test(test_lambda_log_text_record_shape),
    cmocka_unit_test(test_lambda_log_honours_format_and_level),
    cmocka_unit_test(test_lambda_log_unknown_settings_warn_once_and_default),
};

MT_TEST_MAIN(tests)
