/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the Runtime API client's exchanges on the wire, against the
 * scripted peer (script_server.h) on the loopback address: the exact bytes
 * of each request, answers written one byte at a time, chunked events, the
 * connection closed silently after an answer or in the middle of a body,
 * bytes nobody asked for, malformed answers retried and oversized heads not,
 * the post timeout against the long poll that has none, the connect
 * timeout, calls interrupted by signals, and names and IPv6 literals as
 * addresses.
 */
#include "harness.h"

#include "script_server.h"
#include "mt/clock.h"
#include "mt/runtime.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define NEXT_ANSWER(id, body)                                                                 \
    "HTTP/1.1 200 OK\r\n"                                                                     \
    "Content-Type: application/json\r\n"                                                      \
    "Lambda-Runtime-Aws-Request-Id: " id "\r\n"                                               \
    "Lambda-Runtime-Deadline-Ms: 1764486000000\r\n"                                           \
    "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:000000000000:function:f\r\n" \
    "Lambda-Runtime-Trace-Id: Root=1-67890abc-000000000000000000000001;Sampled=0\r\n"          \
    "Content-Length: " body "\r\n"                                                            \
    "\r\n"

#define ACCEPTED "HTTP/1.1 202 Accepted\r\nContent-Length: 15\r\n\r\n{\"status\":\"OK\"}"

static void start(struct mt_script_server *s, const struct mt_script_step *steps, size_t count)
{
    struct mt_err err = {0};
    if (mt_script_server_start(s, steps, count, false, &err) != MT_OK)
        fail_msg("%s", mt_err_text(&err));
}

static struct mt_runtime *client_for(const char *address, int max_attempts, int64_t post_ms)
{
    struct mt_runtime_options o = {.api_address = address, .backoff_base_ms = 1,
                                   .backoff_cap_ms = 4, .max_attempts = max_attempts,
                                   .post_timeout_ms = post_ms};
    struct mt_runtime *rt = NULL;
    struct mt_err err = {0};
    if (mt_runtime_new(&o, &rt, &err) != MT_OK)
        fail_msg("%s", mt_err_text(&err));
    return rt;
}

static void next_ok(struct mt_runtime *rt, struct mt_runtime_invocation *inv)
{
    struct mt_err err = {0};
    if (mt_runtime_next(rt, inv, &err) != MT_OK)
        fail_msg("%s", mt_err_text(&err));
}

static void test_runtime_requests_are_exact(void **state)
{
    (void)state;
    static const struct mt_script_step steps[] = {
        {.answer = NEXT_ANSWER("a b/c", "2") "{}"}, {.answer = ACCEPTED}, {.answer = ACCEPTED},
        {.answer = ACCEPTED}};
    struct mt_script_server s;
    struct mt_runtime_invocation inv;
    struct mt_err err = {0};
    char expect[512];

    start(&s, steps, 4);
    struct mt_runtime *rt = client_for(s.address, 0, 0);
    mt_runtime_invocation_init(&inv);
    next_ok(rt, &inv);
    assert_string_equal(inv.request_id, "a b/c");
    assert_int_equal(mt_runtime_respond(rt, &inv, mt_str_from_cstr("{\"ok\":true}"), &err),
                     MT_OK);
    assert_int_equal(mt_runtime_fail(rt, &inv, "MT_ERR_PARSE", "bad \"x\"", &err), MT_OK);
    assert_int_equal(mt_runtime_init_fail(rt, "Runtime.NoSuchHandler", NULL, &err), MT_OK);
    mt_script_server_stop(&s);

    assert_int_equal(s.requests, 4);
    snprintf(expect, sizeof(expect), "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n"
             "Host: %s\r\n\r\n", s.address);
    assert_string_equal(s.request_text[0], expect);
    snprintf(expect, sizeof(expect), "POST /2018-06-01/runtime/invocation/a%%20b%%2Fc/response "
             "HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 11\r\n"
             "\r\n{\"ok\":true}", s.address);
    assert_string_equal(s.request_text[1], expect);
    snprintf(expect, sizeof(expect), "POST /2018-06-01/runtime/invocation/a%%20b%%2Fc/error "
             "HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 71\r\n"
             "Lambda-Runtime-Function-Error-Type: MT_ERR_PARSE\r\n\r\n"
             "{\"errorMessage\":\"bad \\\"x\\\"\",\"errorType\":\"MT_ERR_PARSE\","
             "\"stackTrace\":[]}", s.address);
    assert_string_equal(s.request_text[2], expect);
    assert_non_null(strstr(s.request_text[3], "POST /2018-06-01/runtime/init/error HTTP/1.1\r\n"));
    assert_non_null(strstr(s.request_text[3], "\r\nLambda-Runtime-Function-Error-Type: "
                                              "Runtime.NoSuchHandler\r\n"));
    for (size_t i = 0; i < s.requests; i++)
        assert_int_equal(s.request_connection[i], 1);
    assert_int_equal(mt_runtime_connections(rt), 1);

    mt_runtime_invocation_cleanup(&inv);
    mt_runtime_free(rt);
    mt_script_server_cleanup(&s);
}

static void test_runtime_reads_answers_written_a_byte_at_a_time(void **state)
{
    (void)state;
    static const struct mt_script_step steps[] = {
        {.answer = NEXT_ANSWER("id-1", "13") "{\"n\":\"trick\"}", .trickle = true},
        {.answer = ACCEPTED, .trickle = true},
        {.answer = "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: id-2\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n4\r\n{\"n\"\r\n3;x=y\r\n:2}\r\n0\r\n\r\n",
         .trickle = true}};
    struct mt_script_server s;
    struct mt_runtime_invocation inv;

    start(&s, steps, 3);
    struct mt_runtime *rt = client_for(s.address, 0, 0);
    mt_runtime_invocation_init(&inv);

    next_ok(rt, &inv);
    assert_string_equal(inv.request_id, "id-1");
    assert_string_equal(inv.event.data, "{\"n\":\"trick\"}");
    assert_int_equal(inv.deadline_epoch_ms, 1764486000000);
    assert_non_null(strstr(inv.trace_id, "Root=1-67890abc-"));
    assert_int_equal(mt_runtime_respond(rt, &inv, mt_str_from_cstr("{}"), NULL), MT_OK);
    next_ok(rt, &inv);
    assert_string_equal(inv.request_id, "id-2");
    assert_string_equal(inv.event.data, "{\"n\":2}");
    assert_int_equal(inv.event.len, 7);
    assert_int_equal(mt_runtime_connections(rt), 1);

    mt_runtime_invocation_cleanup(&inv);
    mt_runtime_free(rt);
    mt_script_server_cleanup(&s);
}

static void test_runtime_reconnects_after_a_silent_close(void **state)
{
    (void)state;
    static const struct mt_script_step steps[] = {
        {.answer = NEXT_ANSWER("id-1", "2") "{}", .close_after = true},
        {.answer = ACCEPTED},
        {.answer = NEXT_ANSWER("id-2", "2") "{}"}};
    struct mt_script_server s;
    struct mt_runtime_invocation inv;
    struct mt_err err = {0};

    start(&s, steps, 3);
    struct mt_runtime *rt = client_for(s.address, 0, 0);
    mt_runtime_invocation_init(&inv);

    next_ok(rt, &inv);
    assert_int_equal(mt_runtime_respond(rt, &inv, mt_str_from_cstr("{}"), &err), MT_OK);
    next_ok(rt, &inv);
    assert_string_equal(inv.request_id, "id-2");
    mt_script_server_stop(&s);

    /* The response went out on a second connection, and the next poll stayed on it. */
    assert_int_equal(mt_runtime_connections(rt), 2);
    assert_int_equal(s.requests, 3);
    assert_int_equal(s.request_connection[1], 2);
    assert_int_equal(s.request_connection[2], 2);

    mt_runtime_invocation_cleanup(&inv);
    mt_runtime_free(rt);
    mt_script_server_cleanup(&s);
}

static void test_runtime_unasked_bytes_drop_the_connection(void **state)
{
    (void)state;
    static const struct mt_script_step steps[] = {
        {.answer = NEXT_ANSWER("id-1", "2") "{}HTTP/1.1 202 Accepted\r\n\r\n"},
        {.answer = ACCEPTED, .later = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
        {.answer = NEXT_ANSWER("id-2", "2") "{}"}};
    struct mt_script_server s;
    struct mt_runtime_invocation inv;
    struct mt_err err = {0};

    start(&s, steps, 3);
    struct mt_runtime *rt = client_for(s.address, 0, 0);
    mt_runtime_invocation_init(&inv);

    /* Bytes after the answer: never read as the answer to the next request. */
    next_ok(rt, &inv);
    assert_int_equal(mt_runtime_respond(rt, &inv, mt_str_from_cstr("{}"), &err), MT_OK);
    assert_int_equal(mt_runtime_connections(rt), 2);

    /* Bytes arriving while idle: seen before the next request goes out. */
    struct timespec ts = {0, 100000000};
    nanosleep(&ts, NULL);
    next_ok(rt, &inv);
    assert_string_equal(inv.request_id, "id-2");
    assert_int_equal(mt_runtime_connections(rt), 3);

    mt_runtime_invocation_cleanup(&inv);
    mt_runtime_free(rt);
    mt_script_server_cleanup(&s);
}

static void test_runtime_close_mid_body_is_retried(void **state)
{
    (void)state;
    static const struct mt_script_step steps[] = {
        {.answer = NEXT_ANSWER("id-1", "40") "{\"cut\":", .close_after = true},
        {.answer = NEXT_ANSWER("id-1", "2") "{}"},
        {.answer = NEXT_ANSWER("id-2", "10") "{\"cut", .close_after = true}};
    struct mt_script_server s;
    struct mt_runtime_invocation inv;
    struct mt_err err = {0};

    start(&s, steps, 3);
    struct mt_runtime *rt = client_for(s.address, 0, 0);
    mt_runtime_invocation_init(&inv);
    next_ok(rt, &inv);
    assert_string_equal(inv.event.data, "{}");
    assert_int_equal(mt_runtime_connections(rt), 2);
    mt_runtime_free(rt);

    /* With a single attempt the cut-off answer is the result. */
    rt = client_for(s.address, 1, 0);
    assert_int_equal(mt_runtime_next(rt, &inv, &err), MT_ERR_HTTP);
    assert_non_null(strstr(err.detail, "closed before the answer's body was complete"));
    assert_non_null(strstr(err.detail, "after 1 attempts"));

    mt_runtime_invocation_cleanup(&inv);
    mt_runtime_free(rt);
    mt_script_server_cleanup(&s);
}

static void test_runtime_malformed_answers_are_retried_then_fail(void **state)
{
    (void)state;
    static const struct mt_script_step steps[] = {
        {.answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"},
        {.answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}"},
        {.answer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}};
    struct mt_script_server s;
    struct mt_runtime_invocation inv;
    struct mt_err err = {0};

    start(&s, steps, 3);
    struct mt_runtime *rt = client_for(s.address, 3, 0);
    mt_runtime_invocation_init(&inv);

    assert_int_equal(mt_runtime_next(rt, &inv, &err), MT_ERR_HTTP);
    assert_non_null(strstr(err.detail, "Runtime API next: the answer has a malformed chunk-size"));
    assert_non_null(strstr(err.detail, "after 3 attempts"));
    mt_script_server_stop(&s);
    assert_int_equal(s.requests, 3);
    assert_int_equal(mt_runtime_connections(rt), 3);

    mt_runtime_invocation_cleanup(&inv);
    mt_runtime_free(rt);
    mt_script_server_cleanup(&s);
}

static void test_runtime_oversized_head_is_not_retried(void **state)
{
    (void)state;
    static struct mt_script_step steps[1];
    struct mt_script_server s;
    struct mt_runtime_invocation inv;
    struct mt_err err = {0};
    struct mt_buf big;

    mt_buf_init(&big, 0);
    mt_buf_append_cstr(&big, "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: id-1\r\nX-Pad: ");
    for (int i = 0; i < 70000; i++)
        mt_buf_append_byte(&big, 'p');
    mt_buf_append_cstr(&big, "\r\nContent-Length: 2\r\n\r\n{}");
    steps[0].answer = big.data;
    start(&s, steps, 1);
    struct mt_runtime *rt = client_for(s.address, 0, 0);
    mt_runtime_invocation_init(&inv);

    assert_int_equal(mt_runtime_next(rt, &inv, &err), MT_ERR_TOO_LARGE);
    assert_non_null(strstr(err.detail, "head is larger than 65536 bytes"));
    assert_string_equal(inv.request_id, "");
    mt_script_server_stop(&s);
    assert_int_equal(s.requests, 1);

    mt_runtime_invocation_cleanup(&inv);
    mt_runtime_free(rt);
    mt_script_server_cleanup(&s);
    mt_buf_cleanup(&big);
}

static void test_runtime_posts_time_out_but_the_long_poll_waits(void **state)
{
    (void)state;
    static const struct mt_script_step steps[] = {
        {.answer = NEXT_ANSWER("id-1", "2") "{}", .delay_ms = 400},
        {.answer = NULL}, {.answer = NULL}, {.answer = NULL}};
    struct mt_script_server s;
    struct mt_runtime_invocation inv;
    struct mt_err err = {0};

    start(&s, steps, 4);
    struct mt_runtime *rt = client_for(s.address, 2, 100);
    mt_runtime_invocation_init(&inv);

    /* The poll outlasts the post timeout four times over. */
    next_ok(rt, &inv);
    assert_string_equal(inv.request_id, "id-1");

    int64_t start_ms = mt_time_monotonic_ms();
    assert_int_equal(mt_runtime_respond(rt, &inv, mt_str_from_cstr("{}"), &err), MT_ERR_TIMEOUT);
    int64_t took_ms = mt_time_monotonic_ms() - start_ms;
    assert_true(took_ms >= 200 && took_ms < 2000);
    assert_non_null(strstr(err.detail, "Runtime API response: no answer in time after 2 "
                                       "attempts"));

    mt_runtime_invocation_cleanup(&inv);
    mt_runtime_free(rt);
    mt_script_server_cleanup(&s);
}

/*
 * A listening socket whose accept queue is full: Linux drops further SYNs,
 * so a connection to it neither succeeds nor fails until the client gives
 * up.  fillers[2] receives the sockets that fill it.
 */
static int full_listener(int *port, int fillers[2])
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t size = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 0), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &size), 0);
    *port = ntohs(a.sin_port);
    for (int i = 0; i < 2; i++) {
        fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(fillers[i], (struct sockaddr *)&a, sizeof(a));
    }
    struct timespec ts = {0, 50000000};
    nanosleep(&ts, NULL);
    return fd;
}

static void test_runtime_connect_times_out(void **state)
{
    (void)state;
    struct mt_runtime_invocation inv;
    struct mt_err err = {0};
    char address[64];
    int port = 0, fillers[2];
    int fd = full_listener(&port, fillers);

    snprintf(address, sizeof(address), "127.0.0.1:%d", port);
    struct mt_runtime_options o = {.api_address = address, .connect_timeout_ms = 100,
                                   .max_attempts = 2, .backoff_base_ms = 1};
    struct mt_runtime *rt = NULL;
    assert_int_equal(mt_runtime_new(&o, &rt, NULL), MT_OK);
    mt_runtime_invocation_init(&inv);

    /* The long poll has no overall limit, but connecting has. */
    int64_t start_ms = mt_time_monotonic_ms();
    assert_int_equal(mt_runtime_next(rt, &inv, &err), MT_ERR_TIMEOUT);
    int64_t took_ms = mt_time_monotonic_ms() - start_ms;
    assert_true(took_ms >= 200 && took_ms < 2000);
    assert_non_null(strstr(err.detail, "no connection to 127.0.0.1:"));
    assert_non_null(strstr(err.detail, "in time after 2 attempts"));
    assert_int_equal(mt_runtime_connections(rt), 0);

    mt_runtime_invocation_cleanup(&inv);
    mt_runtime_free(rt);
    close(fillers[0]);
    close(fillers[1]);
    close(fd);
}

static volatile sig_atomic_t s_alarms;

static void on_alarm(int sig)
{
    (void)sig;
    s_alarms++;
}

static void test_runtime_calls_survive_interrupting_signals(void **state)
{
    (void)state;
    static const struct mt_script_step steps[] = {
        {.answer = NEXT_ANSWER("id-1", "2") "{}", .delay_ms = 300},
        {.answer = ACCEPTED, .delay_ms = 200},
        {.answer = NEXT_ANSWER("id-2", "13") "{\"n\":\"trick\"}", .trickle = true}};
    struct mt_script_server s;
    struct mt_runtime_invocation inv;
    struct mt_err err = {0};
    struct sigaction sa = {.sa_handler = on_alarm}, old;
    struct itimerval every_5ms = {{0, 5000}, {0, 5000}}, off = {{0, 0}, {0, 0}};

    start(&s, steps, 3);
    struct mt_runtime *rt = client_for(s.address, 1, 0);
    mt_runtime_invocation_init(&inv);

    /* No SA_RESTART: every blocking call in the client sees EINTR, again and again. */
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
    s_alarms = 0;
    assert_int_equal(setitimer(ITIMER_REAL, &every_5ms, NULL), 0);
    next_ok(rt, &inv);
    assert_int_equal(mt_runtime_respond(rt, &inv, mt_str_from_cstr("{}"), &err), MT_OK);
    next_ok(rt, &inv);
    setitimer(ITIMER_REAL, &off, NULL);
    sigaction(SIGALRM, &old, NULL);

    assert_true(s_alarms > 50);
    assert_string_equal(inv.request_id, "id-2");
    assert_string_equal(inv.event.data, "{\"n\":\"trick\"}");
    assert_int_equal(mt_runtime_connections(rt), 1);

    mt_runtime_invocation_cleanup(&inv);
    mt_runtime_free(rt);
    mt_script_server_cleanup(&s);
}

static void test_runtime_address_may_be_a_name_or_ipv6(void **state)
{
    (void)state;
    static const struct mt_script_step steps[] = {{.answer = NEXT_ANSWER("id-1", "2") "{}"}};
    struct mt_script_server s;
    struct mt_runtime_invocation inv;
    struct mt_err err = {0};
    char address[64];

    start(&s, steps, 1);
    snprintf(address, sizeof(address), "localhost:%d", s.port);
    struct mt_runtime *rt = client_for(address, 0, 0);
    mt_runtime_invocation_init(&inv);
    next_ok(rt, &inv);
    assert_string_equal(inv.request_id, "id-1");
    mt_runtime_free(rt);
    mt_script_server_cleanup(&s);

    if (mt_script_server_start(&s, steps, 1, true, &err) == MT_ERR_UNSUPPORTED) {
        mt_runtime_invocation_cleanup(&inv);
        skip();
    }
    assert_memory_equal(s.address, "[::1]:", 6);
    rt = client_for(s.address, 0, 0);
    next_ok(rt, &inv);
    assert_string_equal(inv.request_id, "id-1");
    mt_script_server_stop(&s);
    assert_non_null(strstr(s.request_text[0], "\r\nHost: [::1]:"));

    mt_runtime_invocation_cleanup(&inv);
    mt_runtime_free(rt);
    mt_script_server_cleanup(&s);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_runtime_requests_are_exact),
    cmocka_unit_test(test_runtime_reads_answers_written_a_byte_at_a_time),
    cmocka_unit_test(test_runtime_reconnects_after_a_silent_close),
    cmocka_unit_test(test_runtime_unasked_bytes_drop_the_connection),
    cmocka_unit_test(test_runtime_close_mid_body_is_retried),
    cmocka_unit_test(test_runtime_malformed_answers_are_retried_then_fail),
    cmocka_unit_test(test_runtime_oversized_head_is_not_retried),
    cmocka_unit_test(test_runtime_posts_time_out_but_the_long_poll_waits),
    cmocka_unit_test(test_runtime_connect_times_out),
    cmocka_unit_test(test_runtime_calls_survive_interrupting_signals),
    cmocka_unit_test(test_runtime_address_may_be_a_name_or_ipv6),
};

MT_TEST_MAIN(tests)
