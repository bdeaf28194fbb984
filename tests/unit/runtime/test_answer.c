/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the Runtime API answer parser without a network: answers split at
 * every byte boundary and fed one byte at a time give the same result as
 * whole ones; chunked bodies; header names in any case; the framing it
 * refuses (both Content-Length and chunked, duplicate or malformed
 * Content-Length, other transfer codings); malformed heads; the limits on
 * head size, header count and body; answers cut off by the end of the
 * connection; interim answers; keep-alive; and bytes after an answer.
 */
#include "harness.h"

#include "runtime/runtime_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char s_next_answer[] =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "lambda-runtime-aws-request-id: 8f5c2a1e-0000-4000-8000-000000000001\r\n"
    "Lambda-Runtime-Deadline-Ms:\t1764486000000 \r\n"
    "LAMBDA-RUNTIME-INVOKED-FUNCTION-ARN: arn:aws:lambda:us-east-1:000000000000:function:f\r\n"
    "Lambda-Runtime-Trace-Id: Root=1-67890abc-000000000000000000000001;Sampled=0\r\n"
    "Content-Length: 21\r\n"
    "\r\n"
    "{\"Records\":[{\"n\":1}]}";

static const char s_chunked_answer[] =
    "HTTP/1.1 200 OK\r\n"
    "Lambda-Runtime-Aws-Request-Id: id-2\r\n"
    "Transfer-Encoding: Chunked\r\n"
    "\r\n"
    "5\r\n{\"a\":\r\n"
    "A;name=value\r\n\"0123456\"}\r\n"
    "0\r\n"
    "X-Trailer: dropped\r\n"
    "\r\n";

/* What one parse produced, for comparing two ways of feeding the same bytes. */
struct outcome {
    enum mt_status st;
    bool done;
    int status;
    bool keep_alive;
    size_t used;
    char body[256];
    char request_id[64];
};

/* Feeds text in pieces of at most step bytes (0: after a first piece of split bytes). */
static struct outcome parse_pieces(const char *text, size_t len, size_t split, size_t step,
                                   size_t body_max)
{
    struct runtime_parser p;
    struct mt_buf body;
    struct outcome o = {0};

    runtime_parser_init(&p);
    mt_buf_init(&body, body_max);
    runtime_parser_reset(&p, &body);
    for (size_t at = 0; at < len && o.st == MT_OK && !runtime_parser_done(&p);) {
        size_t n = step ? step : (at == 0 ? split : len - at);
        if (n > len - at)
            n = len - at;
        size_t used = 0;
        o.st = runtime_parser_feed(&p, text + at, n, &used, NULL);
        at += used;
        o.used = at;
    }
    o.done = runtime_parser_done(&p);
    o.status = p.status;
    o.keep_alive = p.keep_alive;
    snprintf(o.body, sizeof(o.body), "%.*s", (int)body.len, body.data ? body.data : "");
    struct mt_str id = runtime_parser_header(&p, "Lambda-Runtime-Aws-Request-Id");
    snprintf(o.request_id, sizeof(o.request_id), "%.*s", (int)id.len, id.ptr ? id.ptr : "");
    mt_buf_cleanup(&body);
    runtime_parser_cleanup(&p);
    return o;
}

static struct outcome parse_all(const char *text, size_t body_max)
{
    return parse_pieces(text, strlen(text), strlen(text), 0, body_max);
}

static void assert_same(const struct outcome *a, const struct outcome *b, size_t split)
{
    if (a->st != b->st || a->done != b->done || a->status != b->status ||
        a->keep_alive != b->keep_alive || a->used != b->used || strcmp(a->body, b->body) != 0 ||
        strcmp(a->request_id, b->request_id) != 0)
        fail_msg("split at %zu: status %d/%d, body '%s' / '%s'", split, a->status, b->status,
                 a->body, b->body);
}

/* Every split into two pieces, then one byte at a time, must match the whole. */
static void assert_split_invariant(const char *text)
{
    size_t len = strlen(text);
    struct outcome whole = parse_all(text, 0);

    for (size_t split = 1; split < len; split++) {
        struct outcome two = parse_pieces(text, len, split, 0, 0);
        assert_same(&whole, &two, split);
    }
    struct outcome bytes = parse_pieces(text, len, 0, 1, 0);
    assert_same(&whole, &bytes, 0);
}

/* Parses text whole and expects status st with a detail containing what. */
static void assert_refused(const char *text, enum mt_status st, const char *what)
{
    struct runtime_parser p;
    struct mt_buf body;
    struct mt_err err = {0};
    size_t used = 0;

    runtime_parser_init(&p);
    mt_buf_init(&body, 1024);
    runtime_parser_reset(&p, &body);
    enum mt_status got = runtime_parser_feed(&p, text, strlen(text), &used, &err);
    if (got != st || strstr(err.detail, what) == NULL)
        fail_msg("'%.40s...': got %s '%s', expected %s '%s'", text, mt_status_name(got),
                 err.detail, mt_status_name(st), what);
    assert_false(runtime_parser_done(&p));

    /* A failed parser stays failed. */
    struct mt_err again = {0};
    assert_int_equal(runtime_parser_feed(&p, "x", 1, &used, &again), st);
    assert_int_equal(runtime_parser_finish(&p, &again), st);
    mt_buf_cleanup(&body);
    runtime_parser_cleanup(&p);
}

static void test_runtime_answer_content_length_at_every_split(void **state)
{
    (void)state;
    struct outcome o = parse_all(s_next_answer, 0);

    assert_int_equal(o.st, MT_OK);
    assert_true(o.done);
    assert_int_equal(o.status, 200);
    assert_true(o.keep_alive);
    assert_string_equal(o.body, "{\"Records\":[{\"n\":1}]}");
    assert_int_equal(o.used, strlen(s_next_answer));
    assert_string_equal(o.request_id, "8f5c2a1e-0000-4000-8000-000000000001");
    assert_split_invariant(s_next_answer);
}

static void test_runtime_answer_chunked_at_every_split(void **state)
{
    (void)state;
    struct outcome o = parse_all(s_chunked_answer, 0);

    assert_int_equal(o.st, MT_OK);
    assert_true(o.done);
    assert_true(o.keep_alive);
    assert_string_equal(o.body, "{\"a\":\"0123456\"}");
    assert_string_equal(o.request_id, "id-2");
    assert_int_equal(o.used, strlen(s_chunked_answer));
    assert_split_invariant(s_chunked_answer);

    /* Bare LF line ends are accepted too. */
    o = parse_all("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n", 0);
    assert_int_equal(o.st, MT_OK);
    assert_true(o.done);
    assert_string_equal(o.body, "abc");
}

static void test_runtime_answer_headers_match_any_case(void **state)
{
    (void)state;
    struct runtime_parser p;
    struct mt_buf body;
    size_t used = 0;

    runtime_parser_init(&p);
    mt_buf_init(&body, 0);
    runtime_parser_reset(&p, &body);
    assert_int_equal(runtime_parser_feed(&p, s_next_answer, strlen(s_next_answer), &used, NULL),
                     MT_OK);
    assert_mt_str_equal(runtime_parser_header(&p, "LAMBDA-RUNTIME-AWS-REQUEST-ID"),
                        "8f5c2a1e-0000-4000-8000-000000000001");
    assert_mt_str_equal(runtime_parser_header(&p, "lambda-runtime-deadline-ms"), "1764486000000");
    assert_mt_str_equal(runtime_parser_header(&p, "Lambda-Runtime-Invoked-Function-Arn"),
                        "arn:aws:lambda:us-east-1:000000000000:function:f");
    assert_mt_str_null(runtime_parser_header(&p, "Lambda-Runtime-Client-Context"));
    assert_mt_str_null(runtime_parser_header(&p, "Lambda-Runtime"));
    mt_buf_cleanup(&body);
    runtime_parser_cleanup(&p);
}

static void test_runtime_answer_refuses_ambiguous_framing(void **state)
{
    (void)state;
    assert_refused("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
                   MT_ERR_HTTP, "both Content-Length and Transfer-Encoding");
    assert_refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\ncontent-length: 3\r\n\r\n",
                   MT_ERR_HTTP, "both Content-Length and Transfer-Encoding");
    assert_refused("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
                   MT_ERR_HTTP, "more than one Content-Length");
    assert_refused("HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc", MT_ERR_HTTP,
                   "Content-Length is not a number");
    assert_refused("HTTP/1.1 200 OK\r\nContent-Length: +3\r\n\r\nabc", MT_ERR_HTTP,
                   "Content-Length is not a number");
    assert_refused("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", MT_ERR_HTTP,
                   "Content-Length is not a number");
    assert_refused("HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456789\r\n\r\n", MT_ERR_HTTP,
                   "Content-Length is not a number");
    assert_refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", MT_ERR_HTTP,
                   "Transfer-Encoding other than chunked");
    assert_refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked"
                   "\r\n\r\n", MT_ERR_HTTP, "Transfer-Encoding other than chunked");
}

static void test_runtime_answer_refuses_malformed_heads(void **state)
{
    (void)state;
    static const char *const status_lines[] = {
        "HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n",
        "ICY 200 OK\r\n\r\n", "HTTP/1.1  200 OK\r\n\r\n", "http/1.1 200 OK\r\n\r\n",
        "\r\nHTTP/1.1 200 OK\r\n\r\n", "HTTP/1.1 200 O\x01K\r\n\r\n", "HTTP/1.2 200 OK\r\n\r\n"};
    for (size_t i = 0; i < sizeof(status_lines) / sizeof(status_lines[0]); i++)
        assert_refused(status_lines[i], MT_ERR_HTTP, "status line");
    assert_refused("HTTP/1.1 099 X\r\n\r\n", MT_ERR_HTTP, "outside 100-599");
    assert_refused("HTTP/1.1 600 X\r\n\r\n", MT_ERR_HTTP, "outside 100-599");

    assert_refused("HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n", MT_ERR_HTTP, "folded");
    assert_refused("HTTP/1.1 200 OK\r\nContent-Length : 3\r\n\r\nabc", MT_ERR_HTTP,
                   "not a token");
    assert_refused("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", MT_ERR_HTTP, "without a name");
    assert_refused("HTTP/1.1 200 OK\r\n: empty name\r\n\r\n", MT_ERR_HTTP, "without a name");
    assert_refused("HTTP/1.1 200 OK\r\nA: b\x01\r\n\r\n", MT_ERR_HTTP, "control character");
    assert_refused("HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", MT_ERR_HTTP, "control character");
    assert_refused("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", MT_ERR_HTTP,
                   "switches protocols");

    /* A NUL inside a value cannot be seen through strlen, so feed it by length. */
    static const char nul[] = "HTTP/1.1 200 OK\r\nA: b\0c\r\n\r\n";
    struct runtime_parser p;
    struct mt_buf body;
    size_t used = 0;
    runtime_parser_init(&p);
    mt_buf_init(&body, 0);
    runtime_parser_reset(&p, &body);
    assert_int_equal(runtime_parser_feed(&p, nul, sizeof(nul) - 1, &used, NULL), MT_ERR_HTTP);
    mt_buf_cleanup(&body);
    runtime_parser_cleanup(&p);
}

static void test_runtime_answer_head_limits(void **state)
{
    (void)state;
    struct mt_buf text;

    /* One header line too long for the head. */
    mt_buf_init(&text, 0);
    mt_buf_append_cstr(&text, "HTTP/1.1 200 OK\r\nX-Big: ");
    for (size_t i = 0; i < RUNTIME_MAX_HEAD_BYTES; i++)
        mt_buf_append_byte(&text, 'a');
    mt_buf_append_cstr(&text, "\r\n\r\n");
    assert_refused(text.data, MT_ERR_TOO_LARGE, "head is larger than 65536 bytes");

    /* Exactly the most header lines is fine; one more is not. */
    mt_buf_reset(&text);
    mt_buf_append_cstr(&text, "HTTP/1.1 200 OK\r\n");
    for (int i = 0; i < RUNTIME_MAX_HEADERS - 1; i++)
        mt_buf_appendf(&text, "X-H%d: %d\r\n", i, i);
    mt_buf_append_cstr(&text, "Content-Length: 2\r\n\r\nok");
    struct outcome o = parse_all(text.data, 0);
    assert_int_equal(o.st, MT_OK);
    assert_string_equal(o.body, "ok");

    mt_buf_reset(&text);
    mt_buf_append_cstr(&text, "HTTP/1.1 200 OK\r\n");
    for (int i = 0; i < RUNTIME_MAX_HEADERS + 1; i++)
        mt_buf_appendf(&text, "X-H%d: %d\r\n", i, i);
    mt_buf_append_cstr(&text, "\r\n");
    assert_refused(text.data, MT_ERR_TOO_LARGE, "more than 100 header lines");
    mt_buf_cleanup(&text);
}

static void test_runtime_answer_body_cap(void **state)
{
    (void)state;
    static const char head[] = "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: id-big\r\n"
                               "Content-Length: 17\r\n\r\n";
    struct runtime_parser p;
    struct mt_buf body;
    struct mt_err err = {0};
    size_t used = 0;

    /* Refused as soon as the head is in, with its headers still readable. */
    runtime_parser_init(&p);
    mt_buf_init(&body, 16);
    runtime_parser_reset(&p, &body);
    assert_int_equal(runtime_parser_feed(&p, head, strlen(head), &used, &err), MT_ERR_TOO_LARGE);
    assert_non_null(strstr(err.detail, "body of 17 bytes is larger than its 16-byte limit"));
    assert_int_equal(p.status, 200);
    assert_mt_str_equal(runtime_parser_header(&p, "Lambda-Runtime-Aws-Request-Id"), "id-big");
    mt_buf_cleanup(&body);
    runtime_parser_cleanup(&p);

    /* At the cap exactly, and past it in chunks or until the end of the connection. */
    struct outcome o = parse_all("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd", 4);
    assert_int_equal(o.st, MT_OK);
    assert_string_equal(o.body, "abcd");
    o = parse_all("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n"
                  "0\r\n\r\n", 4);
    assert_int_equal(o.st, MT_ERR_TOO_LARGE);
    assert_string_equal(o.body, "abc");
    o = parse_all("HTTP/1.1 200 OK\r\n\r\nabcde", 4);
    assert_int_equal(o.st, MT_ERR_TOO_LARGE);
}

static void test_runtime_answer_refuses_malformed_chunks(void **state)
{
    (void)state;
    static const char te[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    static const char *const bodies[] = {"5\r\nhelloX\r\n", "g\r\n", "0x5\r\n", "\r\n",
                                         "-5\r\n", "5 x\r\n", "1000000000000000\r\n"};
    static const char *const why[] = {"longer than its size", "chunk-size", "chunk-size",
                                      "chunk-size", "chunk-size", "chunk-size", "chunk-size"};
    char text[512];

    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        snprintf(text, sizeof(text), "%s%s", te, bodies[i]);
        assert_refused(text, MT_ERR_HTTP, why[i]);
    }

    /* Extensions are ignored, but a size line has a length limit. */
    struct outcome o = parse_all("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                 "2 ; a=b;c\r\nok\r\n0\r\n\r\n", 0);
    assert_int_equal(o.st, MT_OK);
    assert_string_equal(o.body, "ok");

    char line[RUNTIME_MAX_CHUNK_LINE + 8];
    memset(line, 'x', sizeof(line));
    line[0] = '2';
    line[1] = ';';
    line[sizeof(line) - 1] = '\0';
    snprintf(text, sizeof(text), "%s%s\r\nok\r\n0\r\n\r\n", te, line);
    assert_refused(text, MT_ERR_HTTP, "longer than 256 bytes");
}

/* Feeds text, then reports the end of the connection. */
static enum mt_status finish_after(const char *text, struct mt_err *err, char *body_out,
                                   size_t size)
{
    struct runtime_parser p;
    struct mt_buf body;
    size_t used = 0;

    runtime_parser_init(&p);
    mt_buf_init(&body, 0);
    runtime_parser_reset(&p, &body);
    enum mt_status st = runtime_parser_feed(&p, text, strlen(text), &used, err);
    if (st == MT_OK)
        st = runtime_parser_finish(&p, err);
    snprintf(body_out, size, "%.*s", (int)body.len, body.data ? body.data : "");
    mt_buf_cleanup(&body);
    runtime_parser_cleanup(&p);
    return st;
}

static void test_runtime_answer_connection_closed_early(void **state)
{
    (void)state;
    static const char *const cut[] = {
        "", "HTTP/1.1 200 OK\r\nContent-Le",
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n0\r\n"};
    static const char *const why[] = {"closed without an answer", "middle of the answer's head",
                                      "before the answer's body was complete",
                                      "middle of the answer's chunked body",
                                      "middle of the answer's chunked body"};
    char body[64];

    for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
        struct mt_err err = {0};
        if (finish_after(cut[i], &err, body, sizeof(body)) != MT_ERR_HTTP ||
            strstr(err.detail, why[i]) == NULL)
            fail_msg("'%s': '%s'", cut[i], err.detail);
    }

    /* A body without framing ends with the connection, which is then not kept. */
    struct mt_err err = {0};
    assert_int_equal(finish_after("HTTP/1.1 200 OK\r\n\r\nuntil the end", &err, body,
                                  sizeof(body)), MT_OK);
    assert_string_equal(body, "until the end");
    struct outcome o = parse_all("HTTP/1.1 200 OK\r\n\r\nuntil the end", 0);
    assert_false(o.done);
    assert_false(o.keep_alive);
}

static void test_runtime_answer_interim_and_status_codes(void **state)
{
    (void)state;
    static const char answer[] = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n"
                                 "X: y\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok";
    struct outcome o = parse_all(answer, 0);

    assert_int_equal(o.st, MT_OK);
    assert_int_equal(o.status, 202);
    assert_string_equal(o.body, "ok");
    assert_split_invariant(answer);

    struct mt_buf many;
    mt_buf_init(&many, 0);
    for (int i = 0; i <= RUNTIME_MAX_INTERIM; i++)
        mt_buf_append_cstr(&many, "HTTP/1.1 100 Continue\r\n\r\n");
    mt_buf_append_cstr(&many, "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n");
    assert_refused(many.data, MT_ERR_HTTP, "too many interim");
    mt_buf_cleanup(&many);

    /* The 500 that means "exit" is an ordinary answer to the parser. */
    o = parse_all("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\n\r\n{}", 0);
    assert_int_equal(o.st, MT_OK);
    assert_int_equal(o.status, 500);
    assert_string_equal(o.body, "{}");

    /* 204 and 304 have no body whatever they say. */
    o = parse_all("HTTP/1.1 204 No Content\r\n\r\n", 0);
    assert_true(o.done);
    assert_true(o.keep_alive);
}

static void test_runtime_answer_keep_alive_rules(void **state)
{
    (void)state;
    struct outcome o = parse_all("HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n", 0);
    assert_true(o.done);
    assert_true(o.keep_alive);

    o = parse_all("HTTP/1.1 202 Accepted\r\nConnection: keep-alive, Close\r\n"
                  "Content-Length: 0\r\n\r\n", 0);
    assert_true(o.done);
    assert_false(o.keep_alive);

    o = parse_all("HTTP/1.0 202 Accepted\r\nContent-Length: 0\r\n\r\n", 0);
    assert_true(o.done);
    assert_false(o.keep_alive);

    o = parse_all("HTTP/1.1 202 Accepted\r\nConnection: closed\r\nContent-Length: 0\r\n\r\n", 0);
    assert_true(o.keep_alive);
}

static void test_runtime_answer_stops_at_its_end(void **state)
{
    (void)state;
    static const char two[] = "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 202";
    struct outcome o = parse_all(two, 0);

    assert_int_equal(o.st, MT_OK);
    assert_true(o.done);
    assert_string_equal(o.body, "ok");
    assert_int_equal(o.used, strlen(two) - strlen("HTTP/1.1 202"));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_runtime_answer_content_length_at_every_split),
    cmocka_unit_test(test_runtime_answer_chunked_at_every_split),
    cmocka_unit_test(test_runtime_answer_headers_match_any_case),
    cmocka_unit_test(test_runtime_answer_refuses_ambiguous_framing),
    cmocka_unit_test(test_runtime_answer_refuses_malformed_heads),
    cmocka_unit_test(test_runtime_answer_head_limits),
    cmocka_unit_test(test_runtime_answer_body_cap),
    cmocka_unit_test(test_runtime_answer_refuses_malformed_chunks),
    cmocka_unit_test(test_runtime_answer_connection_closed_early),
    cmocka_unit_test(test_runtime_answer_interim_and_status_codes),
    cmocka_unit_test(test_runtime_answer_keep_alive_rules),
    cmocka_unit_test(test_runtime_answer_stops_at_its_end),
};

MT_TEST_MAIN(tests)
