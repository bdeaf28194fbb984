/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the HTTP client against mt_fault_server on 127.0.0.1: retries and
 * their counts, classification, the prepare hook, deadlines, connection
 * reuse, caps, TLS with host overrides, and what errors and logs reveal.
 * Each case starts its own server and stops it afterwards.
 */
#include "harness.h"

#include "fault.h"
#include "mt/clock.h"
#include "mt/http.h"
#include "mt/log.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Retries in these tests wait at most a few ms unless a case says otherwise. */
static const struct mt_http_options s_fast = {.backoff_base_ms = 1, .backoff_cap_ms = 4};

static struct mt_fault_server s_server;
static char s_url[256];

static int plain_up(void **state)
{
    (void)state;
    struct mt_err err = {0};
    if (mt_fault_start(&s_server, false, &err) != MT_OK) {
        fprintf(stderr, "%s\n", mt_err_text(&err));
        return -1;
    }
    return 0;
}

static int down(void **state)
{
    (void)state;
    mt_fault_stop(&s_server);
    return 0;
}

/* http://127.0.0.1:<port><path>, in a static buffer. */
static const char *url(const char *path)
{
    snprintf(s_url, sizeof(s_url), "http://127.0.0.1:%d%s", s_server.port, path);
    return s_url;
}

static void script(const char *steps)
{
    struct mt_err err = {0};
    if (mt_fault_script(&s_server, steps, &err) != MT_OK)
        fail_msg("%s", mt_err_text(&err));
}

static void stats(long *requests, long *connections)
{
    struct mt_err err = {0};
    if (mt_fault_stats(&s_server, requests, connections, &err) != MT_OK)
        fail_msg("%s", mt_err_text(&err));
}

static long requests_seen(void)
{
    long requests = -1;
    long connections = -1;
    stats(&requests, &connections);
    return requests;
}

/* Runs req on a new client with opts; fills resp (initialised here) and err. */
static enum mt_status run(const struct mt_http_options *opts, const struct mt_http_request *req,
                          struct mt_http_response *resp, struct mt_err *err)
{
    struct mt_http_client *client = NULL;
    assert_int_equal(mt_http_client_new(opts, &client, NULL), MT_OK);
    mt_http_response_init(resp);
    enum mt_status st = mt_http_client_send(client, req, resp, err);
    mt_http_client_free(client);
    return st;
}

static void test_http_retries_5xx_then_succeeds(void **state)
{
    (void)state;
    struct mt_http_request req = {.url = url("/item")};
    struct mt_http_response resp;
    struct mt_err err = {0};

    script("status=500 body=oops\nstatus=503 body=SlowDown\nstatus=200 body=done");
    assert_int_equal(run(&s_fast, &req, &resp, &err), MT_OK);
    assert_int_equal(resp.attempts, 3);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.body.data, "done");
    assert_mt_str_equal(mt_http_response_header(&resp, "X-Fault-Request"), "3");
    assert_int_equal(requests_seen(), 3);
    assert_string_equal(mt_err_text(&err), "success");
    mt_http_response_cleanup(&resp);
}

static void test_http_retries_429_then_succeeds(void **state)
{
    (void)state;
    struct mt_http_request req = {.url = url("/")};
    struct mt_http_response resp;

    script("status=429 repeat=2\nstatus=200 body=ok");
    assert_int_equal(run(&s_fast, &req, &resp, NULL), MT_OK);
    assert_int_equal(resp.attempts, 3);
    assert_int_equal(requests_seen(), 3);
    mt_http_response_cleanup(&resp);
}

static void test_http_gives_up_after_max_attempts(void **state)
{
    (void)state;
    struct mt_http_options opts = s_fast;
    struct mt_http_request req = {.url = url("/busy?X-Amz-Signature=deadbeef")};
    struct mt_http_response resp;
    struct mt_err err = {0};
    char expected[200];

    opts.max_attempts = 3;
    script("status=503 repeat=10 body=still busy");
    assert_int_equal(run(&opts, &req, &resp, &err), MT_ERR_HTTP);
    assert_int_equal(resp.attempts, 3);
    assert_int_equal(resp.status, 503);
    assert_string_equal(resp.body.data, "still busy");
    assert_int_equal(requests_seen(), 3);
    snprintf(expected, sizeof(expected), "GET http://127.0.0.1:%d/busy: HTTP 503 after 3 attempts",
             s_server.port);
    assert_string_equal(err.detail, expected);
    mt_http_response_cleanup(&resp);
}

static void test_http_default_attempt_count_is_five(void **state)
{
    (void)state;
    struct mt_http_request req = {.url = url("/")};
    struct mt_http_response resp;

    script("status=502 repeat=10");
    assert_int_equal(run(&s_fast, &req, &resp, NULL), MT_ERR_HTTP);
    assert_int_equal(resp.attempts, MT_HTTP_DEFAULT_MAX_ATTEMPTS);
    assert_int_equal(requests_seen(), 5);
    mt_http_response_cleanup(&resp);
}

static void test_http_no_retry_on_400(void **state)
{
    (void)state;
    struct mt_http_request req = {.method = "POST", .url = url("/"), .body = MT_STR_LIT("{}")};
    struct mt_http_response resp;
    struct mt_err err = {0};

    script("status=400 body={\"__type\":\"ValidationException\"}\nstatus=200");
    assert_int_equal(run(&s_fast, &req, &resp, &err), MT_ERR_HTTP);
    assert_int_equal(resp.attempts, 1);
    assert_int_equal(resp.status, 400);
    assert_string_equal(resp.body.data, "{\"__type\":\"ValidationException\"}");
    assert_int_equal(requests_seen(), 1);
    assert_non_null(strstr(err.detail, "HTTP 400 after 1 attempt"));
    mt_http_response_cleanup(&resp);
}

/* DynamoDB's way: throttling is a 400 whose __type ends in ThrottlingException. */
static enum mt_http_verdict classify_ddb(void *ctx, const struct mt_http_response *resp)
{
    (*(int *)ctx)++;
    if (resp->status == 400 && resp->body.data != NULL &&
        strstr(resp->body.data, "ThrottlingException\"") != NULL)
        return MT_HTTP_RETRY;
    return mt_http_classify_default(NULL, resp);
}

static void test_http_classify_retries_throttling_400(void **state)
{
    (void)state;
    int calls = 0;
    struct mt_http_request req = {.method = "POST", .url = url("/"), .body = MT_STR_LIT("{}"),
                                  .classify = classify_ddb, .classify_ctx = &calls};
    struct mt_http_response resp;

    script("status=400 repeat=2 body={\"__type\":\"com.amazonaws.dynamodb.v20120810#"
           "ThrottlingException\",\"message\":\"Rate exceeded\"}\n"
           "status=200 body={}");
    assert_int_equal(run(&s_fast, &req, &resp, NULL), MT_OK);
    assert_int_equal(resp.attempts, 3);
    assert_int_equal(calls, 3);
    assert_string_equal(resp.body.data, "{}");
    assert_int_equal(requests_seen(), 3);
    mt_http_response_cleanup(&resp);
}

/* Accepts everything but 503, which it fails at once. */
static enum mt_http_verdict classify_strict(void *ctx, const struct mt_http_response *resp)
{
    (void)ctx;
    return resp->status == 503 ? MT_HTTP_FAIL : MT_HTTP_ACCEPT;
}

static void test_http_classify_overrides_default(void **state)
{
    (void)state;
    struct mt_http_request req = {.url = url("/"), .classify = classify_strict};
    struct mt_http_response resp;

    script("status=503\nstatus=404 body=missing");
    assert_int_equal(run(&s_fast, &req, &resp, NULL), MT_ERR_HTTP);
    assert_int_equal(resp.attempts, 1);
    mt_http_response_cleanup(&resp);

    assert_int_equal(run(&s_fast, &req, &resp, NULL), MT_OK);
    assert_int_equal(resp.status, 404);
    assert_string_equal(resp.body.data, "missing");
    assert_int_equal(requests_seen(), 2);
    mt_http_response_cleanup(&resp);
}

struct sign_state {
    int calls;
    int attempts_seen[8];
};

/* Signs each attempt afresh, as SigV4 callers do with x-amz-date. */
static enum mt_status sign_attempt(void *ctx, const struct mt_http_request *req, int attempt,
                                   struct mt_http_headers *extra, struct mt_err *err)
{
    struct sign_state *s = ctx;
    char date[32];
    (void)req;
    (void)err;

    assert_int_equal(extra->count, 0);
    if (s->calls < 8)
        s->attempts_seen[s->calls] = attempt;
    s->calls++;
    snprintf(date, sizeof(date), "20261204T00000%dZ", attempt);
    assert_int_equal(mt_http_headers_add(extra, MT_STR_LIT("x-amz-date"), mt_str_from_cstr(date)),
                     MT_OK);
    return mt_http_headers_add(extra, MT_STR_LIT("Authorization"),
                               MT_STR_LIT("AWS4-HMAC-SHA256 Signature=secret"));
}

static void test_http_prepare_runs_once_per_attempt(void **state)
{
    (void)state;
    struct sign_state sign = {0};
    struct mt_http_request req = {.url = url("/"), .prepare = sign_attempt, .prepare_ctx = &sign};
    struct mt_http_response resp;
    struct mt_buf last;

    script("status=500 repeat=2\nstatus=200");
    assert_int_equal(run(&s_fast, &req, &resp, NULL), MT_OK);
    assert_int_equal(resp.attempts, 3);
    assert_int_equal(sign.calls, 3);
    assert_int_equal(sign.attempts_seen[0], 1);
    assert_int_equal(sign.attempts_seen[1], 2);
    assert_int_equal(sign.attempts_seen[2], 3);

    mt_buf_init(&last, 0);
    assert_int_equal(mt_fault_last(&s_server, &last, NULL), MT_OK);
    assert_non_null(strstr(last.data, "x-amz-date: 20261204T000003Z\n"));
    assert_null(strstr(last.data, "20261204T000001Z"));
    const char *auth = strstr(last.data, "Authorization: ");
    assert_non_null(auth);
    assert_null(strstr(auth + 1, "Authorization: "));
    mt_buf_cleanup(&last);
    mt_http_response_cleanup(&resp);
}

static enum mt_status no_credentials(void *ctx, const struct mt_http_request *req, int attempt,
                                     struct mt_http_headers *extra, struct mt_err *err)
{
    (void)ctx;
    (void)req;
    (void)attempt;
    (void)extra;
    return mt_err_set(err, MT_ERR_CREDENTIALS, "no AWS credentials in the environment");
}

static void test_http_prepare_failure_stops_request(void **state)
{
    (void)state;
    struct mt_http_request req = {.url = url("/"), .prepare = no_credentials};
    struct mt_http_response resp;
    struct mt_err err = {0};

    assert_int_equal(run(&s_fast, &req, &resp, &err), MT_ERR_CREDENTIALS);
    assert_int_equal(resp.attempts, 1);
    assert_string_equal(err.detail, "no AWS credentials in the environment");
    assert_int_equal(requests_seen(), 0);
    mt_http_response_cleanup(&resp);
}

static void test_http_deadline_stops_slow_server(void **state)
{
    (void)state;
    struct mt_http_request req = {.url = url("/slow")};
    struct mt_http_response resp;
    struct mt_err err = {0};

    script("delay_ms=3000 repeat=5");
    req.deadline_ms = mt_time_monotonic_ms() + 300;
    assert_int_equal(run(&s_fast, &req, &resp, &err), MT_ERR_TIMEOUT);
    assert_int_equal(resp.attempts, 1);
    assert_int_equal(resp.status, 0);
    assert_non_null(strstr(err.detail, "deadline reached"));
    assert_non_null(strstr(err.detail, "after 1 attempt"));
    mt_http_response_cleanup(&resp);
}

static void test_http_thread_deadline_bounds_request_without_one(void **state)
{
    (void)state;
    struct mt_http_request req = {.url = url("/slow")};
    struct mt_http_response resp;
    struct mt_err err = {0};

    /* The request names no deadline; the thread's (as a Lambda invocation sets it) applies. */
    script("delay_ms=3000 repeat=5");
    int64_t start = mt_time_monotonic_ms();
    mt_deadline_set(start + 300);
    enum mt_status st = run(&s_fast, &req, &resp, &err);
    mt_deadline_set(0);
    assert_int_equal(st, MT_ERR_TIMEOUT);
    assert_true(mt_time_monotonic_ms() - start < 2000);
    assert_non_null(strstr(err.detail, "deadline reached"));
    mt_http_response_cleanup(&resp);
}

static void test_http_earlier_of_request_and_thread_deadline_wins(void **state)
{
    (void)state;
    struct mt_http_request req = {.url = url("/slow")};
    struct mt_http_response resp;
    struct mt_err err = {0};

    script("delay_ms=3000 repeat=5");
    int64_t start = mt_time_monotonic_ms();
    mt_deadline_set(start + 60000);
    req.deadline_ms = start + 300;
    enum mt_status st = run(&s_fast, &req, &resp, &err);
    mt_deadline_set(0);
    assert_int_equal(st, MT_ERR_TIMEOUT);
    assert_true(mt_time_monotonic_ms() - start < 2000);
    mt_http_response_cleanup(&resp);
}

static void test_http_deadline_bounds_backoff(void **state)
{
    (void)state;
    struct mt_http_options opts = {.backoff_base_ms = 60000, .backoff_cap_ms = 60000,
                                   .max_attempts = 10};
    struct mt_http_request req = {.url = url("/")};
    struct mt_http_response resp;
    struct mt_err err = {0};

    /* Each wait is uniform in [0, 60 s]; the deadline must cut the request short. */
    script("status=503 repeat=20");
    req.deadline_ms = mt_time_monotonic_ms() + 400;
    assert_int_equal(run(&opts, &req, &resp, &err), MT_ERR_TIMEOUT);
    assert_true(resp.attempts >= 1 && resp.attempts < 10);
    assert_int_equal(requests_seen(), resp.attempts);
    assert_non_null(strstr(err.detail, "deadline reached; last failure: HTTP 503"));
    mt_http_response_cleanup(&resp);
}

static void test_http_attempt_timeout_is_retried(void **state)
{
    (void)state;
    struct mt_http_options opts = s_fast;
    struct mt_http_request req = {.url = url("/")};
    struct mt_http_response resp;

    opts.attempt_timeout_ms = 200;
    script("delay_ms=2000\nstatus=200 body=second");
    assert_int_equal(run(&opts, &req, &resp, NULL), MT_OK);
    assert_int_equal(resp.attempts, 2);
    assert_string_equal(resp.body.data, "second");
    mt_http_response_cleanup(&resp);
}

static void test_http_attempt_timeouts_exhausted(void **state)
{
    (void)state;
    struct mt_http_options opts = s_fast;
    struct mt_http_request req = {.url = url("/")};
    struct mt_http_response resp;

    opts.attempt_timeout_ms = 100;
    opts.max_attempts = 2;
    script("delay_ms=1000 repeat=2");
    assert_int_equal(run(&opts, &req, &resp, NULL), MT_ERR_TIMEOUT);
    assert_int_equal(resp.attempts, 2);
    mt_http_response_cleanup(&resp);
}

static void test_http_reset_and_truncation_are_retried(void **state)
{
    (void)state;
    struct mt_http_request req = {.url = url("/")};
    struct mt_http_response resp;

    script("action=reset\naction=truncate body=partial\nstatus=200 body=whole");
    assert_int_equal(run(&s_fast, &req, &resp, NULL), MT_OK);
    assert_int_equal(resp.attempts, 3);
    assert_string_equal(resp.body.data, "whole");
    assert_int_equal(requests_seen(), 3);
    mt_http_response_cleanup(&resp);
}

static void test_http_truncation_exhausted_is_http_error(void **state)
{
    (void)state;
    struct mt_http_options opts = s_fast;
    struct mt_http_request req = {.url = url("/")};
    struct mt_http_response resp;
    struct mt_err err = {0};

    opts.max_attempts = 2;
    script("action=truncate repeat=2 body=partial");
    assert_int_equal(run(&opts, &req, &resp, &err), MT_ERR_HTTP);
    assert_int_equal(resp.attempts, 2);
    assert_int_equal(resp.status, 0);
    assert_non_null(strstr(err.detail, "after 2 attempts"));
    mt_http_response_cleanup(&resp);
}

/* A loopback port with nothing listening on it. */
static int closed_port(void)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    close(fd);
    return ntohs(addr.sin_port);
}

static void test_http_connection_refused_is_connect_error(void **state)
{
    (void)state;
    struct mt_http_options opts = s_fast;
    char target[128];
    struct mt_http_header auth = {MT_STR_LIT("Authorization"), MT_STR_LIT("Bearer s3cr3t")};
    struct mt_http_request req = {.url = target, .headers = &auth, .header_count = 1};
    struct mt_http_response resp;
    struct mt_err err = {0};
    char expected[128];
    int port = closed_port();

    opts.max_attempts = 2;
    snprintf(target, sizeof(target), "http://user:pa55@127.0.0.1:%d/q?token=s3cr3t", port);
    assert_int_equal(run(&opts, &req, &resp, &err), MT_ERR_CONNECT);
    assert_int_equal(resp.attempts, 2);
    snprintf(expected, sizeof(expected), "GET http://127.0.0.1:%d/q: ", port);
    assert_true(strncmp(err.detail, expected, strlen(expected)) == 0);
    assert_non_null(strstr(err.detail, "after 2 attempts"));
    assert_null(strstr(err.detail, "s3cr3t"));
    assert_null(strstr(err.detail, "pa55"));
    mt_http_response_cleanup(&resp);
}

static void test_http_reuses_one_connection(void **state)
{
    (void)state;
    struct mt_http_client *client = NULL;
    struct mt_http_response resp;
    long requests = 0;
    long connections = 0;

    assert_int_equal(mt_http_client_new(NULL, &client, NULL), MT_OK);
    mt_http_response_init(&resp);
    for (int i = 0; i < 20; i++) {
        struct mt_http_request req = {.method = i % 2 ? "POST" : "GET", .url = url("/k"),
                                      .body = i % 2 ? MT_STR_LIT("{\"i\":1}") : MT_STR_NULL};
        assert_int_equal(mt_http_client_send(client, &req, &resp, NULL), MT_OK);
        assert_int_equal(resp.status, 200);
    }
    mt_http_response_cleanup(&resp);
    mt_http_client_free(client);

    stats(&requests, &connections);
    assert_int_equal(requests, 20);
    assert_int_equal(connections, 1);
}

static void test_http_response_cap_is_too_large(void **state)
{
    (void)state;
    char steps[2200];
    char body[1001];
    struct mt_http_request req = {.url = url("/big"), .max_response_bytes = 100};
    struct mt_http_response resp;
    struct mt_err err = {0};

    memset(body, 'b', 1000);
    body[1000] = '\0';
    snprintf(steps, sizeof(steps), "body=%s\naction=chunked body=%s", body, body);
    script(steps);

    assert_int_equal(run(&s_fast, &req, &resp, &err), MT_ERR_TOO_LARGE);
    assert_int_equal(resp.attempts, 1);
    assert_non_null(strstr(err.detail, "100-byte limit"));
    mt_http_response_cleanup(&resp);

    mt_err_clear(&err);
    assert_int_equal(run(&s_fast, &req, &resp, &err), MT_ERR_TOO_LARGE);
    assert_int_equal(resp.attempts, 1);
    assert_true(resp.body.len <= 100);
    assert_non_null(strstr(err.detail, "response body larger than its 100-byte limit"));
    assert_int_equal(requests_seen(), 2);
    mt_http_response_cleanup(&resp);
}

static void test_http_response_header_cap_is_too_large(void **state)
{
    (void)state;
    static char steps[MT_HTTP_MAX_HEADER_BYTES + 200];
    struct mt_http_request req = {.url = url("/")};
    struct mt_http_response resp;
    struct mt_err err = {0};
    size_t half = MT_HTTP_MAX_HEADER_BYTES / 2;

    /* Two headers of half the cap each: together (with their names) over it. */
    strcpy(steps, "header=X-Huge-1:");
    memset(steps + strlen(steps), 'h', half);
    strcpy(steps + strlen(steps), " header=X-Huge-2:");
    memset(steps + strlen(steps), 'h', half);
    strcpy(steps + strlen(steps), " body=x");
    script(steps);

    assert_int_equal(run(&s_fast, &req, &resp, &err), MT_ERR_TOO_LARGE);
    assert_int_equal(resp.attempts, 1);
    assert_non_null(strstr(err.detail, "response headers larger than"));
    mt_http_response_cleanup(&resp);
}

static void test_http_sends_headers_and_body_as_given(void **state)
{
    (void)state;
    struct mt_http_header headers[] = {
        {MT_STR_LIT("Content-Type"), MT_STR_LIT("application/x-amz-json-1.0")},
        {MT_STR_LIT("X-Amz-Target"), MT_STR_LIT("DynamoDB_20120810.PutItem")},
        {MT_STR_LIT("X-Empty"), MT_STR_LIT("")},
    };
    struct mt_http_request req = {.method = "POST", .url = url("/?a=1"), .headers = headers,
                                  .header_count = 3, .body = MT_STR_LIT("{\"TableName\":\"t\"}")};
    struct mt_http_response resp;
    struct mt_buf last;

    mt_buf_init(&last, 0);
    assert_int_equal(run(&s_fast, &req, &resp, NULL), MT_OK);
    assert_int_equal(mt_fault_last(&s_server, &last, NULL), MT_OK);
    assert_non_null(strstr(last.data, "POST /?a=1\n"));
    assert_non_null(strstr(last.data, "Content-Type: application/x-amz-json-1.0\n"));
    assert_non_null(strstr(last.data, "X-Amz-Target: DynamoDB_20120810.PutItem\n"));
    assert_non_null(strstr(last.data, "X-Empty: \n"));
    assert_non_null(strstr(last.data, "Content-Length: 17\n"));
    assert_null(strstr(last.data, "Expect"));
    assert_null(strstr(last.data, "x-www-form-urlencoded"));
    assert_non_null(strstr(last.data, "\n\n{\"TableName\":\"t\"}"));
    mt_http_response_cleanup(&resp);
    mt_buf_cleanup(&last);
}

static void test_http_path_sent_as_given(void **state)
{
    (void)state;
    /* An S3 key may hold "." and ".." segments and "//": they are sent (and signed) as they are. */
    struct mt_http_request get = {.method = "GET", .url = url("/reports/a/../b/./c//d.csv")};
    struct mt_http_response resp;
    struct mt_buf last;

    mt_buf_init(&last, 0);
    script("body=ok");
    assert_int_equal(run(&s_fast, &get, &resp, NULL), MT_OK);
    assert_int_equal(mt_fault_last(&s_server, &last, NULL), MT_OK);
    if (strstr(last.data, "GET /reports/a/../b/./c//d.csv\n") == NULL)
        fail_msg("the server saw: %s", last.data);
    mt_http_response_cleanup(&resp);
    mt_buf_cleanup(&last);
}

static void test_http_put_without_type_and_head(void **state)
{
    (void)state;
    static char big[300000];
    struct mt_http_request put = {.method = "PUT", .url = url("/bucket/report.csv"),
                                  .body = {big, sizeof(big)}};
    struct mt_http_request head = {.method = "HEAD", .url = url("/bucket/report.csv")};
    struct mt_http_response resp;
    struct mt_buf last;

    memset(big, 'c', sizeof(big));
    mt_buf_init(&last, 0);
    script("header=ETag:%22e1%22 body=\nheader=Content-Length:5 body=");
    assert_int_equal(run(&s_fast, &put, &resp, NULL), MT_OK);
    assert_mt_str_equal(mt_http_response_header(&resp, "etag"), "\"e1\"");
    assert_int_equal(mt_fault_last(&s_server, &last, NULL), MT_OK);
    assert_non_null(strstr(last.data, "PUT /bucket/report.csv\n"));
    assert_null(strstr(last.data, "Content-Type"));
    assert_null(strstr(last.data, "Expect"));
    assert_int_equal(strlen(strstr(last.data, "\n\n") + 2), sizeof(big));
    mt_http_response_cleanup(&resp);

    assert_int_equal(run(&s_fast, &head, &resp, NULL), MT_OK);
    assert_int_equal(resp.status, 200);
    assert_int_equal(resp.body.len, 0);
    assert_int_equal(requests_seen(), 2);
    mt_http_response_cleanup(&resp);
    mt_buf_cleanup(&last);
}

static void test_http_bodyless_methods(void **state)
{
    (void)state;
    static const char *const methods[] = {"POST", "DELETE", "GET", "PUT"};
    struct mt_buf last;

    mt_buf_init(&last, 0);
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        struct mt_http_request req = {.method = methods[i], .url = url("/item")};
        struct mt_http_response resp;
        char line[32];

        assert_int_equal(run(&s_fast, &req, &resp, NULL), MT_OK);
        mt_buf_reset(&last);
        assert_int_equal(mt_fault_last(&s_server, &last, NULL), MT_OK);
        snprintf(line, sizeof(line), "%s /item\n", methods[i]);
        assert_true(strncmp(last.data, line, strlen(line)) == 0);
        assert_null(strstr(last.data, "Content-Type"));
        assert_null(strstr(last.data, "Expect"));
        if (i == 0)
            assert_non_null(strstr(last.data, "Content-Length: 0\n"));
        mt_http_response_cleanup(&resp);
    }
    assert_int_equal(requests_seen(), 4);
    mt_buf_cleanup(&last);
}

static void test_http_response_headers_ignore_case(void **state)
{
    (void)state;
    struct mt_http_request req = {.url = url("/")};
    struct mt_http_response resp;

    script("header=x-amzn-RequestId:REQ123 header=x-amz-crc32:2745614147 body={}");
    assert_int_equal(run(&s_fast, &req, &resp, NULL), MT_OK);
    assert_mt_str_equal(mt_http_response_header(&resp, "X-AMZN-REQUESTID"), "REQ123");
    assert_mt_str_equal(mt_http_response_header(&resp, "x-amz-crc32"), "2745614147");
    assert_mt_str_equal(mt_http_response_header(&resp, "content-length"), "2");
    assert_mt_str_null(mt_http_response_header(&resp, "x-amz-id-2"));
    mt_http_response_cleanup(&resp);
}

static void test_http_redirects_not_followed_by_default(void **state)
{
    (void)state;
    struct mt_http_options follow = s_fast;
    struct mt_http_request req = {.url = url("/old")};
    struct mt_http_response resp;

    script("status=302 header=Location:/new body=moved\nstatus=302 header=Location:/new\n"
           "status=200 body=landed");
    assert_int_equal(run(&s_fast, &req, &resp, NULL), MT_OK);
    assert_int_equal(resp.status, 302);
    assert_string_equal(resp.body.data, "moved");
    assert_int_equal(requests_seen(), 1);
    mt_http_response_cleanup(&resp);

    follow.follow_redirects = true;
    assert_int_equal(run(&follow, &req, &resp, NULL), MT_OK);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.body.data, "landed");
    assert_int_equal(requests_seen(), 3);
    mt_http_response_cleanup(&resp);
}

struct captured_log {
    struct mt_buf text;
};

static void capture_log(void *ctx, enum mt_log_level level, const char *comp, const char *event,
                        const char *msg)
{
    struct captured_log *log = ctx;
    mt_buf_appendf(&log->text, "%s %s %s %s\n", mt_log_level_name(level), comp, event, msg);
}

static void test_http_errors_and_logs_keep_secrets(void **state)
{
    (void)state;
    struct captured_log log;
    struct mt_log_sink sink = {capture_log, &log};
    struct mt_http_header headers[] = {
        {MT_STR_LIT("Authorization"), MT_STR_LIT("AWS4-HMAC-SHA256 Signature=SECRETSIG")},
        {MT_STR_LIT("X-Amz-Security-Token"), MT_STR_LIT("SECRETTOKEN")},
    };
    char target[256];
    struct mt_http_request req = {.url = target, .headers = headers, .header_count = 2};
    struct mt_http_response resp;
    struct mt_err err = {0};
    char expected[160];

    snprintf(target, sizeof(target),
             "http://AKIDSECRET:SECRETPW@127.0.0.1:%d/obj?X-Amz-Credential=SECRETCRED#SECRETF",
             s_server.port);
    mt_buf_init(&log.text, 0);
    mt_log_set_sink(&sink);
    mt_log_set_level(MT_LOG_TRACE);

    script("status=500\nstatus=403 body=<Error><Code>AccessDenied</Code></Error>");
    enum mt_status st = run(&s_fast, &req, &resp, &err);
    mt_log_set_level(MT_LOG_WARN);
    mt_log_set_sink(NULL);

    assert_int_equal(st, MT_ERR_HTTP);
    snprintf(expected, sizeof(expected), "GET http://127.0.0.1:%d/obj: HTTP 403 after 2 attempts",
             s_server.port);
    assert_string_equal(err.detail, expected);
    assert_null(strstr(log.text.data, "SECRET"));
    snprintf(expected, sizeof(expected), "DEBUG http http_attempt GET http://127.0.0.1:%d/obj "
             "attempt=2 status=403 result=MT_ERR_HTTP duration_ms=", s_server.port);
    assert_non_null(strstr(log.text.data, expected));
    assert_non_null(strstr(log.text.data, "attempt=1 status=500"));
    mt_buf_cleanup(&log.text);
    mt_http_response_cleanup(&resp);
}

/* A client whose options point at the TLS server as https://fault.test:<port>. */
static struct mt_http_options tls_options(char *resolve, size_t size, const char **list)
{
    snprintf(resolve, size, "fault.test:%d:127.0.0.1", s_server.port);
    list[0] = resolve;
    return (struct mt_http_options){.resolve = list, .resolve_count = 1, .https_only = true,
                                    .backoff_base_ms = 1, .backoff_cap_ms = 4};
}

static void test_http_tls_with_host_override(void **state)
{
    (void)state;
    char resolve[64];
    const char *list[1];
    char target[128];
    struct mt_http_options opts;
    struct mt_http_request req = {.url = target};
    struct mt_http_response resp;
    struct mt_err err = {0};

    assert_int_equal(mt_fault_start(&s_server, true, NULL), MT_OK);
    opts = tls_options(resolve, sizeof(resolve), list);
    snprintf(target, sizeof(target), "https://fault.test:%d/cert.pem", s_server.port);

    /* Not trusted by the system bundle: fails at once, never retried. */
    assert_int_equal(run(&opts, &req, &resp, &err), MT_ERR_HTTP);
    assert_int_equal(resp.attempts, 1);
    mt_http_response_cleanup(&resp);

    opts.ca_file = MT_FAULT_CERT;
    script("body=-----BEGIN CERTIFICATE-----");
    assert_int_equal(run(&opts, &req, &resp, NULL), MT_OK);
    assert_string_equal(resp.body.data, "-----BEGIN CERTIFICATE-----");
    mt_http_response_cleanup(&resp);

    /* The process default applies to clients created afterwards. */
    opts.ca_file = NULL;
    assert_int_equal(mt_http_set_default_ca_file(MT_FAULT_CERT), MT_OK);
    enum mt_status st = run(&opts, &req, &resp, NULL);
    assert_int_equal(mt_http_set_default_ca_file(NULL), MT_OK);
    assert_int_equal(st, MT_OK);
    assert_int_equal(resp.status, 200);
    mt_http_response_cleanup(&resp);
}

static void test_http_tls_name_must_match(void **state)
{
    (void)state;
    char target[128];
    char resolve[64];
    const char *list[] = {resolve};
    struct mt_http_options opts = {.resolve = list, .resolve_count = 1, .ca_file = MT_FAULT_CERT};
    struct mt_http_request req = {.url = target};
    struct mt_http_response resp;

    assert_int_equal(mt_fault_start(&s_server, true, NULL), MT_OK);
    snprintf(resolve, sizeof(resolve), "other.test:%d:127.0.0.1", s_server.port);
    snprintf(target, sizeof(target), "https://other.test:%d/", s_server.port);
    assert_int_equal(run(&opts, &req, &resp, NULL), MT_ERR_HTTP);
    assert_int_equal(resp.attempts, 1);
    assert_int_equal(requests_seen(), 0);
    mt_http_response_cleanup(&resp);
}

/* Runs ten requests on a client of its own. */
static void *client_thread(void *arg)
{
    struct mt_http_client *client = NULL;
    struct mt_http_response resp;
    long ok = 0;
    (void)arg;

    if (mt_http_client_new(&s_fast, &client, NULL) != MT_OK)
        return (void *)0;
    mt_http_response_init(&resp);
    for (int i = 0; i < 10; i++) {
        struct mt_http_request req = {.method = "POST", .url = s_url, .body = MT_STR_LIT("x")};
        ok += mt_http_client_send(client, &req, &resp, NULL) == MT_OK;
    }
    mt_http_response_cleanup(&resp);
    mt_http_client_free(client);
    return (void *)ok;
}

static void test_http_clients_run_in_parallel_threads(void **state)
{
    (void)state;
    pthread_t threads[4];
    long requests = 0;
    long connections = 0;

    url("/parallel");
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, client_thread, NULL), 0);
    for (int i = 0; i < 4; i++) {
        void *ok = NULL;
        pthread_join(threads[i], &ok);
        assert_int_equal((long)ok, 10);
    }
    stats(&requests, &connections);
    assert_int_equal(requests, 40);
    assert_int_equal(connections, 4);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_http_retries_5xx_then_succeeds, plain_up, down),
    cmocka_unit_test_setup_teardown(test_http_retries_429_then_succeeds, plain_up, down),
    cmocka_unit_test_setup_teardown(test_http_gives_up_after_max_attempts, plain_up, down),
    cmocka_unit_test_setup_teardown(test_http_default_attempt_count_is_five, plain_up, down),
    cmocka_unit_test_setup_teardown(test_http_no_retry_on_400, plain_up, down),
    cmocka_unit_test_setup_teardown(test_http_classify_retries_throttling_400, plain_up, down),
    cmocka_unit_test_setup_teardown(test_http_classify_overrides_default, plain_up, down),
    cmocka_unit_test_setup_teardown(test_http_prepare_runs_once_per_attempt, plain_up, down),
    cmocka_unit_test_setup_teardown(test_http_prepare_failure_stops_request, plain_up, down),
    cmocka_unit_test_setup_teardown(test_http_deadline_stops_slow_server, plain_up, down),
    cmocka_unit_test_setup_teardown(test_http_deadline_bounds_backoff, plain_up, down),
    cmocka_unit_test_setup_teardown(test_http_thread_deadline_bounds_request_without_one,
                                    plain_up, down),
    cmocka_unit_test_setup_teardown(test_http_earlier_of_request_and_thread_deadline_wins,
                                    plain_up, down),
    cmocka_unit_test_setup_teardown(test_http_attempt_timeout_is_retried, plain_up, down),
    cmocka_unit_test_setup_teardown(test_http_attempt_timeouts_exhausted, plain_up, down),
    cmocka_unit_test_setup_teardown(test_http_reset_and_truncation_are_retried, plain_up, down),
    cmocka_unit_test_setup_teardown(test_http_truncation_exhausted_is_http_error, plain_up, down),
    cmocka_unit_test_setup_teardown(test_http_connection_refused_is_connect_error, plain_up, down),
    cmocka_unit_test_setup_teardown(test_http_reuses_one_connection, plain_up, down),
    cmocka_unit_test_setup_teardown(test_http_response_cap_is_too_large, plain_up, down),
    cmocka_unit_test_setup_teardown(test_http_response_header_cap_is_too_large, plain_up, down),
    cmocka_unit_test_setup_teardown(test_http_sends_headers_and_body_as_given, plain_up, down),
    cmocka_unit_test_setup_teardown(test_http_path_sent_as_given, plain_up, down),

    cmocka_unit_test_setup_teardown(test_http_put_without_type_and_head, plain_up, down),
    cmocka_unit_test_setup_teardown(test_http_bodyless_methods, plain_up, down),
    cmocka_unit_test_setup_teardown(test_http_response_headers_ignore_case, plain_up, down),
    cmocka_unit_test_setup_teardown(test_http_redirects_not_followed_by_default, plain_up, down),
    cmocka_unit_test_setup_teardown(test_http_errors_and_logs_keep_secrets, plain_up, down),
    cmocka_unit_test_setup_teardown(test_http_tls_with_host_override, NULL, down),
    cmocka_unit_test_setup_teardown(test_http_tls_name_must_match, NULL, down),
    cmocka_unit_test_setup_teardown(test_http_clients_run_in_parallel_threads, plain_up, down),
};

MT_TEST_MAIN(tests)
