/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the Runtime API client against mt_runtime_api on 127.0.0.1: the
 * invocation headers, the trace id export, response, error and init-error
 * posts with their bodies and headers, one reused connection, retries of
 * dropped posts, the 500 that means exit, refusals, and the deadline; and
 * the stand-in's variations: events in chunked transfer coding, and
 * connections it closes after every N requests.
 */
#include "harness.h"

#include "runtime_api.h"
#include "mt/clock.h"
#include "mt/env.h"
#include "mt/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_two_events[] = {"{\"n\":1}", "{\"n\":2}"};

/* Retries in these tests wait 1-4 ms. */
static struct mt_runtime *client(const struct mt_runtime_api *api)
{
    struct mt_runtime_options o = {.api_address = api->address, .backoff_base_ms = 1,
                                   .backoff_cap_ms = 4};
    struct mt_runtime *rt = NULL;
    struct mt_err err = {0};
    if (mt_runtime_new(&o, &rt, &err) != MT_OK)
        fail_msg("%s", mt_err_text(&err));
    return rt;
}

static void start(struct mt_runtime_api *api, const char *const *events, size_t count,
                  const char *const *args)
{
    struct mt_err err = {0};
    if (mt_runtime_api_start(api, events, count, args, &err) != MT_OK)
        fail_msg("%s", mt_err_text(&err));
}

static void next_ok(struct mt_runtime *rt, struct mt_runtime_invocation *inv)
{
    struct mt_err err = {0};
    if (mt_runtime_next(rt, inv, &err) != MT_OK)
        fail_msg("%s", mt_err_text(&err));
}

/* The string field of record i of kind. */
static const char *field(const struct mt_runtime_api *api, const char *kind, size_t i,
                         const char *name)
{
    static char value[4096];
    json_t *recs = mt_runtime_api_records_of(api, kind);
    const char *v = json_string_value(json_object_get(json_array_get(recs, i), name));
    snprintf(value, sizeof(value), "%s", v ? v : "(null)");
    json_decref(recs);
    return value;
}

static size_t count_of(const struct mt_runtime_api *api, const char *kind)
{
    json_t *recs = mt_runtime_api_records_of(api, kind);
    size_t n = json_array_size(recs);
    json_decref(recs);
    return n;
}

static void test_runtime_next_reads_invocation_and_exports_trace(void **state)
{
    (void)state;
    struct mt_runtime_api api;
    struct mt_runtime_invocation inv;

    start(&api, s_two_events, 2, NULL);
    struct mt_runtime *rt = client(&api);
    mt_runtime_invocation_init(&inv);
    mt_env_set("_X_AMZN_TRACE_ID", NULL);
    int64_t before = mt_time_now_ms();

    next_ok(rt, &inv);
    assert_string_equal(inv.request_id, "8f5c2a1e-0000-4000-8000-000000000001");
    assert_string_equal(inv.event.data, "{\"n\":1}");
    assert_int_equal(inv.event.len, 7);
    assert_string_equal(inv.function_arn,
                        "arn:aws:lambda:us-east-1:000000000000:function:mailtrack-test");
    assert_non_null(strstr(inv.trace_id, "Root=1-67890abc-"));
    assert_string_equal(mt_env_get("_X_AMZN_TRACE_ID"), inv.trace_id);
    /* The stand-in's deadline is 30 s after it handed the event out. */
    assert_true(inv.deadline_epoch_ms >= before + 29000 && inv.deadline_epoch_ms <= before + 31000);

    next_ok(rt, &inv);
    assert_string_equal(inv.request_id, "8f5c2a1e-0000-4000-8000-000000000002");
    assert_string_equal(inv.event.data, "{\"n\":2}");

    mt_runtime_invocation_cleanup(&inv);
    mt_runtime_free(rt);
    mt_runtime_api_stop(&api);
}

static void test_runtime_respond_posts_body_with_length_and_no_expect(void **state)
{
    (void)state;
    struct mt_runtime_api api;
    struct mt_runtime_invocation inv;
    struct mt_err err = {0};
    struct mt_buf big;

    start(&api, s_two_events, 2, NULL);
    struct mt_runtime *rt = client(&api);
    mt_runtime_invocation_init(&inv);

    next_ok(rt, &inv);
    assert_int_equal(mt_runtime_respond(rt, &inv, mt_str_from_cstr("{\"ok\":true}"), &err), MT_OK);

    /* A large body goes out in several writes; the server must get all of it. */
    mt_buf_init(&big, 0);
    mt_buf_append_cstr(&big, "{\"pad\":\"");
    for (int i = 0; i < 200000; i++)
        mt_buf_append_byte(&big, 'x');
    mt_buf_append_cstr(&big, "\"}");
    next_ok(rt, &inv);
    assert_int_equal(mt_runtime_respond(rt, &inv, mt_buf_str(&big), &err), MT_OK);

    assert_int_equal(count_of(&api, "response"), 2);
    assert_string_equal(field(&api, "response", 0, "body"), "{\"ok\":true}");
    assert_string_equal(field(&api, "response", 0, "content_length"), "11");
    assert_string_equal(field(&api, "response", 0, "content_type"), "application/json");
    assert_string_equal(field(&api, "response", 1, "expect"), "(null)");
    assert_int_equal(strtol(field(&api, "response", 1, "content_length"), NULL, 10), big.len);
    assert_int_equal(strlen(field(&api, "response", 1, "body")), 4095);

    mt_buf_cleanup(&big);
    mt_runtime_invocation_cleanup(&inv);
    mt_runtime_free(rt);
    mt_runtime_api_stop(&api);
}

static void test_runtime_fail_posts_error_document_and_type_header(void **state)
{
    (void)state;
    struct mt_runtime_api api;
    struct mt_runtime_invocation inv;
    struct mt_err err = {0};

    start(&api, s_two_events, 1, NULL);
    struct mt_runtime *rt = client(&api);
    mt_runtime_invocation_init(&inv);

    next_ok(rt, &inv);
    assert_int_equal(mt_runtime_fail(rt, &inv, "MT_ERR_PARSE", "event field 'week' is \"x\"",
                                     &err), MT_OK);
    assert_string_equal(field(&api, "error", 0, "error_type"), "MT_ERR_PARSE");
    assert_string_equal(field(&api, "error", 0, "request_id"), inv.request_id);

    json_t *body = json_loads(field(&api, "error", 0, "body"), 0, NULL);
    assert_non_null(body);
    assert_string_equal(json_string_value(json_object_get(body, "errorType")), "MT_ERR_PARSE");
    assert_string_equal(json_string_value(json_object_get(body, "errorMessage")),
                        "event field 'week' is \"x\"");
    assert_true(json_is_array(json_object_get(body, "stackTrace")));
    assert_int_equal(json_array_size(json_object_get(body, "stackTrace")), 0);
    json_decref(body);

    mt_runtime_invocation_cleanup(&inv);
    mt_runtime_free(rt);
    mt_runtime_api_stop(&api);
}

static void test_runtime_init_fail_posts_to_init_error(void **state)
{
    (void)state;
    struct mt_runtime_api api;
    struct mt_err err = {0};

    start(&api, s_two_events, 1, NULL);
    struct mt_runtime *rt = client(&api);

    assert_int_equal(mt_runtime_init_fail(rt, "Runtime.NoSuchHandler", "handler 'x'", &err),
                     MT_OK);
    assert_int_equal(count_of(&api, "init_error"), 1);
    assert_string_equal(field(&api, "init_error", 0, "error_type"), "Runtime.NoSuchHandler");
    assert_non_null(strstr(field(&api, "init_error", 0, "body"),
                           "\"errorMessage\":\"handler 'x'\""));

    /* An error type that is not one short line is refused before anything is sent. */
    assert_int_equal(mt_runtime_init_fail(rt, "a\nb", "m", &err), MT_ERR_INVALID);
    mt_runtime_free(rt);
    mt_runtime_api_stop(&api);
}

static void test_runtime_reuses_one_connection(void **state)
{
    (void)state;
    struct mt_runtime_api api;
    struct mt_runtime_invocation inv;
    struct mt_err err = {0};
    const char *events[5] = {"{}", "{}", "{}", "{}", "{}"};

    start(&api, events, 5, NULL);
    struct mt_runtime *rt = client(&api);
    mt_runtime_invocation_init(&inv);

    for (int i = 0; i < 5; i++) {
        next_ok(rt, &inv);
        assert_int_equal(mt_runtime_respond(rt, &inv, mt_str_from_cstr("{}"), &err), MT_OK);
    }
    assert_int_equal(mt_runtime_connections(rt), 1);
    json_t *recs = mt_runtime_api_records(&api);
    assert_int_equal(json_array_size(recs), 10);
    for (size_t i = 0; i < json_array_size(recs); i++)
        assert_int_equal(json_integer_value(json_object_get(json_array_get(recs, i),
                                                            "connection")), 1);
    json_decref(recs);

    mt_runtime_invocation_cleanup(&inv);
    mt_runtime_free(rt);
    mt_runtime_api_stop(&api);
}

static void test_runtime_dropped_post_is_retried(void **state)
{
    (void)state;
    struct mt_runtime_api api;
    struct mt_runtime_invocation inv;
    struct mt_err err = {0};
    const char *const args[] = {"--fault", "post:1:drop", "--fault", "post:2:drop", NULL};

    start(&api, s_two_events, 1, args);
    struct mt_runtime *rt = client(&api);
    mt_runtime_invocation_init(&inv);

    next_ok(rt, &inv);
    assert_int_equal(mt_runtime_respond(rt, &inv, mt_str_from_cstr("{\"a\":1}"), &err), MT_OK);
    assert_int_equal(count_of(&api, "dropped"), 2);
    assert_int_equal(count_of(&api, "response"), 1);
    assert_string_equal(field(&api, "response", 0, "body"), "{\"a\":1}");

    mt_runtime_invocation_cleanup(&inv);
    mt_runtime_free(rt);
    mt_runtime_api_stop(&api);
}

static void test_runtime_post_gives_up_after_max_attempts(void **state)
{
    (void)state;
    struct mt_runtime_api api;
    struct mt_runtime_invocation inv;
    struct mt_err err = {0};
    /* More drops than attempts: the client must stop at max_attempts. */
    const char *const args[] = {"--fault", "post:1:drop", "--fault", "post:2:drop",
                                "--fault", "post:3:drop", "--fault", "post:4:drop",
                                "--fault", "post:5:drop", "--fault", "post:6:drop", NULL};

    start(&api, s_two_events, 1, args);
    struct mt_runtime_options o = {.api_address = api.address, .max_attempts = 3,
                                   .backoff_base_ms = 1, .backoff_cap_ms = 2};
    struct mt_runtime *rt = NULL;
    assert_int_equal(mt_runtime_new(&o, &rt, NULL), MT_OK);
    mt_runtime_invocation_init(&inv);

    next_ok(rt, &inv);
    assert_int_equal(mt_runtime_respond(rt, &inv, mt_str_from_cstr("{}"), &err), MT_ERR_HTTP);
    assert_non_null(strstr(err.detail, "Runtime API response"));
    assert_non_null(strstr(err.detail, "after 3 attempts"));
    assert_int_equal(count_of(&api, "dropped"), 3);
    assert_int_equal(count_of(&api, "response"), 0);

    mt_runtime_invocation_cleanup(&inv);
    mt_runtime_free(rt);
    mt_runtime_api_stop(&api);
}

static void test_runtime_500_means_exit(void **state)
{
    (void)state;
    struct mt_runtime_api api;
    struct mt_runtime_invocation inv;
    struct mt_err err = {0};
    const char *const args[] = {"--fault", "post:1:500", NULL};

    start(&api, s_two_events, 1, args);
    struct mt_runtime *rt = client(&api);
    mt_runtime_invocation_init(&inv);

    next_ok(rt, &inv);
    assert_int_equal(mt_runtime_respond(rt, &inv, mt_str_from_cstr("{}"), &err),
                     MT_ERR_RUNTIME_EXIT);
    assert_int_equal(count_of(&api, "refused"), 1);

    /* The events are used up: the stand-in answers the next poll 500, as a broken sandbox. */
    struct mt_err err2 = {0};
    assert_int_equal(mt_runtime_next(rt, &inv, &err2), MT_ERR_RUNTIME_EXIT);
    assert_non_null(strstr(err2.detail, "HTTP 500"));

    mt_runtime_invocation_cleanup(&inv);
    mt_runtime_free(rt);
    mt_runtime_api_stop(&api);
}

static void test_runtime_refusals_are_not_retried(void **state)
{
    (void)state;
    struct mt_runtime_api api;
    struct mt_runtime_invocation inv;
    struct mt_err err = {0};
    const char *const args[] = {"--fault", "post:1:413", NULL};

    start(&api, s_two_events, 1, args);
    struct mt_runtime *rt = client(&api);
    mt_runtime_invocation_init(&inv);

    next_ok(rt, &inv);
    assert_int_equal(mt_runtime_respond(rt, &inv, mt_str_from_cstr("{}"), &err),
                     MT_ERR_TOO_LARGE);
    assert_int_equal(count_of(&api, "refused"), 1);

    /* A second answer for the same request is refused by the Runtime API with 400. */
    assert_int_equal(mt_runtime_respond(rt, &inv, mt_str_from_cstr("{}"), &err), MT_OK);
    struct mt_err err2 = {0};
    assert_int_equal(mt_runtime_respond(rt, &inv, mt_str_from_cstr("{}"), &err2), MT_ERR_HTTP);
    assert_non_null(strstr(err2.detail, "HTTP 400"));
    assert_non_null(strstr(err2.detail, "InvalidRequestID"));
    assert_int_equal(count_of(&api, "refused"), 2);

    mt_runtime_invocation_cleanup(&inv);
    mt_runtime_free(rt);
    mt_runtime_api_stop(&api);
}

static void test_runtime_unreachable_endpoint_is_connect_error(void **state)
{
    (void)state;
    struct mt_runtime_api api;
    struct mt_runtime_invocation inv;
    struct mt_err err = {0};

    /* Start and stop a stand-in to learn a port that now refuses connections. */
    start(&api, s_two_events, 1, NULL);
    mt_runtime_api_stop(&api);
    struct mt_runtime *rt = client(&api);
    mt_runtime_invocation_init(&inv);

    int64_t start_ms = mt_time_monotonic_ms();
    assert_int_equal(mt_runtime_next(rt, &inv, &err), MT_ERR_CONNECT);
    assert_true(mt_time_monotonic_ms() - start_ms < 2000);
    assert_non_null(strstr(err.detail, "after 5 attempts"));

    mt_runtime_invocation_cleanup(&inv);
    mt_runtime_free(rt);
}

static void test_runtime_address_comes_from_environment(void **state)
{
    (void)state;
    struct mt_runtime *rt = NULL;
    struct mt_err err = {0};

    mt_env_set("AWS_LAMBDA_RUNTIME_API", NULL);
    assert_int_equal(mt_runtime_new(NULL, &rt, &err), MT_ERR_CONFIG);
    assert_null(rt);
    assert_non_null(strstr(err.detail, "AWS_LAMBDA_RUNTIME_API is not set"));

    static const char *const bad[] = {"127.0.0.1", "127.0.0.1:0", "127.0.0.1:99999", "a b:80",
                                      "host/x:80", ":9001"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct mt_err e = {0};
        mt_env_set("AWS_LAMBDA_RUNTIME_API", bad[i]);
        if (mt_runtime_new(NULL, &rt, &e) != MT_ERR_CONFIG)
            fail_msg("'%s' was accepted", bad[i]);
    }
    mt_env_set("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001");
    assert_int_equal(mt_runtime_new(NULL, &rt, &err), MT_OK);
    mt_runtime_free(rt);
    mt_env_set("AWS_LAMBDA_RUNTIME_API", NULL);
}

static void test_runtime_deadline_is_monotonic_and_early(void **state)
{
    (void)state;
    struct mt_runtime_invocation inv;

    mt_runtime_invocation_init(&inv);
    inv.received_ms = mt_time_monotonic_ms();
    inv.deadline_epoch_ms = mt_time_now_ms() + 10000;
    int64_t d = mt_runtime_invocation_deadline_ms(&inv, 500);
    int64_t expect = mt_time_monotonic_ms() + 9500;
    assert_true(d >= expect - 50 && d <= expect + 50);

    /* Already past: one ms after arrival, so the work fails at once rather than unbounded. */
    inv.deadline_epoch_ms = mt_time_now_ms() - 5000;
    assert_int_equal(mt_runtime_invocation_deadline_ms(&inv, 500), inv.received_ms + 1);

    /* No deadline header: Lambda's longest timeout, 15 minutes. */
    inv.deadline_epoch_ms = 0;
    d = mt_runtime_invocation_deadline_ms(&inv, 0);
    assert_true(d >= inv.received_ms + 899000 && d <= inv.received_ms + 901000);
    mt_runtime_invocation_cleanup(&inv);
}

static void test_runtime_oversized_event_keeps_request_id(void **state)
{
    (void)state;
    struct mt_runtime_api api;
    struct mt_runtime_invocation inv;
    struct mt_err err = {0};
    static const char *const events[] = {"{\"data\":\"0123456789012345678901234567890123\"}",
                                         "{}"};

    start(&api, events, 2, NULL);
    struct mt_runtime_options o = {.api_address = api.address, .max_event_bytes = 16};
    struct mt_runtime *rt = NULL;
    assert_int_equal(mt_runtime_new(&o, &rt, NULL), MT_OK);
    mt_runtime_invocation_init(&inv);

    assert_int_equal(mt_runtime_next(rt, &inv, &err), MT_ERR_TOO_LARGE);
    assert_string_equal(inv.request_id, "8f5c2a1e-0000-4000-8000-000000000001");
    assert_int_equal(mt_runtime_fail(rt, &inv, "MT_ERR_TOO_LARGE", mt_err_text(&err), NULL),
                     MT_OK);
    next_ok(rt, &inv);
    assert_string_equal(inv.event.data, "{}");
    assert_int_equal(count_of(&api, "error"), 1);

    mt_runtime_invocation_cleanup(&inv);
    mt_runtime_free(rt);
    mt_runtime_api_stop(&api);
}

static void test_runtime_next_reads_a_six_megabyte_event(void **state)
{
    (void)state;
    struct mt_runtime_api api;
    struct mt_runtime_invocation inv;
    struct mt_buf big;
    const char *events[2];

    /* Lambda's largest synchronous payload, under the default cap of 7 MiB. */
    mt_buf_init(&big, 0);
    mt_buf_append_cstr(&big, "{\"pad\":\"");
    while (big.len < 6000000 - 2)
        mt_buf_append_byte(&big, (char)('a' + big.len % 26));
    mt_buf_append_cstr(&big, "\"}");
    events[0] = big.data;
    events[1] = "{}";
    start(&api, events, 2, NULL);
    struct mt_runtime *rt = client(&api);
    mt_runtime_invocation_init(&inv);

    next_ok(rt, &inv);
    assert_int_equal(inv.event.len, 6000000);
    assert_memory_equal(inv.event.data, big.data, big.len);
    assert_int_equal(mt_runtime_respond(rt, &inv, mt_str_from_cstr("{}"), NULL), MT_OK);
    next_ok(rt, &inv);
    assert_string_equal(inv.event.data, "{}");
    assert_int_equal(mt_runtime_connections(rt), 1);

    mt_buf_cleanup(&big);
    mt_runtime_invocation_cleanup(&inv);
    mt_runtime_free(rt);
    mt_runtime_api_stop(&api);
}

static void test_runtime_next_reads_chunked_events(void **state)
{
    (void)state;
    struct mt_runtime_api api;
    struct mt_runtime_invocation inv;
    struct mt_err err = {0};
    static const char *const events[] = {"{\"Records\":[{\"n\":1,\"pad\":\"0123456789abcdef\"}]}",
                                         "{}"};
    const char *const args[] = {"--chunked", NULL};

    start(&api, events, 2, args);
    struct mt_runtime *rt = client(&api);
    mt_runtime_invocation_init(&inv);

    next_ok(rt, &inv);
    assert_string_equal(inv.event.data, events[0]);
    assert_string_equal(inv.request_id, "8f5c2a1e-0000-4000-8000-000000000001");
    assert_int_equal(mt_runtime_respond(rt, &inv, mt_str_from_cstr("{}"), &err), MT_OK);
    next_ok(rt, &inv);
    assert_string_equal(inv.event.data, "{}");
    assert_int_equal(mt_runtime_respond(rt, &inv, mt_str_from_cstr("{}"), &err), MT_OK);

    /* A chunked answer ends cleanly, so the connection is kept. */
    assert_int_equal(mt_runtime_connections(rt), 1);
    assert_int_equal(count_of(&api, "response"), 2);

    mt_runtime_invocation_cleanup(&inv);
    mt_runtime_free(rt);
    mt_runtime_api_stop(&api);
}

static void test_runtime_reconnects_when_the_endpoint_closes(void **state)
{
    (void)state;
    struct mt_runtime_api api;
    struct mt_runtime_invocation inv;
    struct mt_err err = {0};
    const char *events[3] = {"{}", "{}", "{}"};
    const char *const args[] = {"--close-after", "2", NULL};

    start(&api, events, 3, args);
    struct mt_runtime *rt = client(&api);
    mt_runtime_invocation_init(&inv);

    for (int i = 0; i < 3; i++) {
        next_ok(rt, &inv);
        assert_int_equal(mt_runtime_respond(rt, &inv, mt_str_from_cstr("{}"), &err), MT_OK);
    }

    /* Every response closed its connection, so each invocation had one of its own. */
    assert_int_equal(mt_runtime_connections(rt), 3);
    json_t *recs = mt_runtime_api_records(&api);
    assert_int_equal(json_array_size(recs), 6);
    for (size_t i = 0; i < json_array_size(recs); i++)
        assert_int_equal(json_integer_value(json_object_get(json_array_get(recs, i),
                                                            "connection")), (int)i / 2 + 1);
    json_decref(recs);
    assert_int_equal(count_of(&api, "dropped"), 0);

    mt_runtime_invocation_cleanup(&inv);
    mt_runtime_free(rt);
    mt_runtime_api_stop(&api);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_runtime_next_reads_invocation_and_exports_trace),
    cmocka_unit_test(test_runtime_respond_posts_body_with_length_and_no_expect),
    cmocka_unit_test(test_runtime_fail_posts_error_document_and_type_header),
    cmocka_unit_test(test_runtime_init_fail_posts_to_init_error),
    cmocka_unit_test(test_runtime_reuses_one_connection),
    cmocka_unit_test(test_runtime_dropped_post_is_retried),
    cmocka_unit_test(test_runtime_post_gives_up_after_max_attempts),
    cmocka_unit_test(test_runtime_500_means_exit),
    cmocka_unit_test(test_runtime_refusals_are_not_retried),
    cmocka_unit_test(test_runtime_unreachable_endpoint_is_connect_error),
    cmocka_unit_test(test_runtime_address_comes_from_environment),
    cmocka_unit_test(test_runtime_deadline_is_monotonic_and_early),
    cmocka_unit_test(test_runtime_oversized_event_keeps_request_id),
    cmocka_unit_test(test_runtime_next_reads_a_six_megabyte_event),
    cmocka_unit_test(test_runtime_next_reads_chunked_events),
    cmocka_unit_test(test_runtime_reconnects_when_the_endpoint_closes),
};

MT_TEST_MAIN(tests)
