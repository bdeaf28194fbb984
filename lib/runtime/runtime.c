/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Lambda Runtime API client (AWS Lambda developer guide, "Using the
 * Lambda runtime API for custom runtimes", API version 2018-06-01).
 *
 * It speaks HTTP/1.1 itself, over one TCP connection of its own (conn.c),
 * and reads answers with its own parser (answer.c), rather than through
 * libcurl or mt_http.  The protocol is fixed and small: plain HTTP/1.1 to a
 * loopback endpoint, one GET and one POST per invocation, five paths,
 * answers framed by Content-Length.  Driven through libcurl, those two
 * exchanges took about 180,000 instructions per invocation, nearly a
 * quarter of the tracker's whole cost per SNS event, and done here they take
 * about 17,000: the rest was libcurl's general machinery (URL parsing,
 * option handling, the multi loop).  bench/lambda/RESULTS.md has the figures
 * and how they were measured.  mt_http could not serve either: the
 * long poll must run with no overall timeout, which mt_http deliberately
 * cannot express, and the Runtime API's failure rules differ from AWS
 * services' (a 500 means "exit", not "retry").  libcurl stays for the AWS
 * calls.
 *
 * Each request is one sendmsg() of its head and body, with Content-Length
 * and no Expect header; an answer is read until it is complete, and the
 * connection is kept unless the answer or an error says otherwise.
 * Retries wait base * 2^(n-1) ms, capped, without jitter: the only peer is
 * the sandbox's own local endpoint, so there is no crowd of clients to
 * spread out.  What is not done: streaming responses (response mode
 * "streaming"), the extensions and telemetry APIs, concurrent invocations
 * (Lambda Managed Instances), proxies, TLS, redirects, and the client
 * context, Cognito identity and tenant id headers, which no handler here
 * uses and so are not kept.
 */
#include "mt/runtime.h"

#include "runtime_int.h"

#include "mt/clock.h"
#include "mt/env.h"
#include "mt/log.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#define API_PREFIX "/2018-06-01/runtime/"
#define LONGEST_TIMEOUT_MS (15 * 60 * 1000)
#define ERROR_BODY_SHOWN 160
/* A request head: request line, Host, Content-Type, Content-Length, error type. */
#define REQUEST_HEAD_MAX 1024
/* Answers to posts are a few dozen bytes; more than this is refused. */
#define POST_ANSWER_MAX ((size_t)64 << 10)

struct mt_runtime {
    struct mt_runtime_options opt;     /* defaults applied; api_address NULL */
    struct runtime_address address;
    struct runtime_conn conn;
    struct runtime_parser parser;      /* the current or last answer */
    struct mt_buf scratch;             /* answers to posts */
    char request[REQUEST_HEAD_MAX];    /* the head of the request being sent */
    char input[64 << 10];              /* bytes as received, until the parser takes them */
};

void mt_runtime_invocation_init(struct mt_runtime_invocation *inv)
{
    memset(inv, 0, sizeof(*inv));
    mt_buf_init(&inv->event, MT_RUNTIME_DEFAULT_MAX_EVENT_BYTES);
}

void mt_runtime_invocation_cleanup(struct mt_runtime_invocation *inv)
{
    mt_buf_cleanup(&inv->event);
}

int64_t mt_runtime_invocation_deadline_ms(const struct mt_runtime_invocation *inv,
                                          int64_t margin_ms)
{
    int64_t left_ms = LONGEST_TIMEOUT_MS;
    if (inv->deadline_epoch_ms > 0)
        left_ms = inv->deadline_epoch_ms - mt_time_now_ms();

    int64_t deadline = mt_time_monotonic_ms() + left_ms - margin_ms;
    return deadline > inv->received_ms ? deadline : inv->received_ms + 1;
}

/* Copies the options with defaults applied; the address from the environment if absent. */
static enum mt_status apply_options(struct mt_runtime *rt, const struct mt_runtime_options *o,
                                    struct mt_err *err)
{
    if (o->connect_timeout_ms < 0 || o->post_timeout_ms < 0 || o->max_attempts < 0 ||
        o->backoff_base_ms < 0 || o->backoff_cap_ms < 0)
        return mt_err_set(err, MT_ERR_INVALID, "Runtime API options: negative timeout or count");

    rt->opt = *o;
    rt->opt.connect_timeout_ms = o->connect_timeout_ms ? o->connect_timeout_ms
                                                       : MT_RUNTIME_DEFAULT_CONNECT_TIMEOUT_MS;
    rt->opt.post_timeout_ms = o->post_timeout_ms ? o->post_timeout_ms
                                                 : MT_RUNTIME_DEFAULT_POST_TIMEOUT_MS;
    rt->opt.max_attempts = o->max_attempts ? o->max_attempts : MT_RUNTIME_DEFAULT_MAX_ATTEMPTS;
    rt->opt.backoff_base_ms = o->backoff_base_ms ? o->backoff_base_ms
                                                 : MT_RUNTIME_DEFAULT_BACKOFF_BASE_MS;
    rt->opt.backoff_cap_ms = o->backoff_cap_ms ? o->backoff_cap_ms
                                               : MT_RUNTIME_DEFAULT_BACKOFF_CAP_MS;
    rt->opt.max_event_bytes = o->max_event_bytes ? o->max_event_bytes
                                                 : MT_RUNTIME_DEFAULT_MAX_EVENT_BYTES;

    const char *address = o->api_address ? o->api_address : mt_env_get("AWS_LAMBDA_RUNTIME_API");
    rt->opt.api_address = NULL;
    if (address == NULL)
        return mt_err_set(err, MT_ERR_CONFIG, "AWS_LAMBDA_RUNTIME_API is not set: this program "
                          "runs as a Lambda function's bootstrap");
    return runtime_address_parse(address, &rt->address, err);
}

enum mt_status mt_runtime_new(const struct mt_runtime_options *options, struct mt_runtime **out,
                              struct mt_err *err)
{
    static const struct mt_runtime_options no_options;

    *out = NULL;
    struct mt_runtime *rt = calloc(1, sizeof(*rt));
    if (rt == NULL)
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory creating the Runtime API client");
    mt_buf_init(&rt->scratch, POST_ANSWER_MAX);
    runtime_conn_init(&rt->conn);
    runtime_parser_init(&rt->parser);

    enum mt_status st = apply_options(rt, options ? options : &no_options, err);
    if (st != MT_OK) {
        mt_runtime_free(rt);
        return st;
    }
    *out = rt;
    return MT_OK;
}

void mt_runtime_free(struct mt_runtime *rt)
{
    if (rt == NULL)
        return;
    runtime_conn_cleanup(&rt->conn);
    runtime_parser_cleanup(&rt->parser);
    mt_buf_cleanup(&rt->scratch);
    free(rt);
}

long mt_runtime_connections(const struct mt_runtime *rt)
{
    return rt->conn.opened;
}

/* One call to the endpoint: what to send, and how its answer is judged. */
struct call {
    const char *what;           /* "next", "response", "error", "init error", for messages */
    const char *request_id;     /* the invocation the path names; NULL for the others */
    const char *suffix;         /* after API_PREFIX, or after invocation/<id>/ */
    bool post;
    struct mt_str body;         /* posts only */
    const char *error_type;     /* adds Lambda-Runtime-Function-Error-Type when set */
    struct mt_buf *answer;      /* where the answer's body goes */
    int status;                 /* of the last complete answer; 0 when none arrived */
};

/* Fills a fixed buffer; full records that something did not fit. */
struct writer {
    char *at;
    size_t left;
    bool full;
};

static void put(struct writer *w, const char *s, size_t n)
{
    if (n > w->left) {
        w->full = true;
        return;
    }
    memcpy(w->at, s, n);
    w->at += n;
    w->left -= n;
}

static void put_cstr(struct writer *w, const char *s)
{
    put(w, s, strlen(s));
}

/* Percent-encodes everything but RFC 3986's unreserved characters. */
static void put_escaped(struct writer *w, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            put(w, s, 1);
            continue;
        }
        char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
        put(w, esc, 3);
    }
}

static void put_decimal(struct writer *w, size_t n)
{
    char digits[24];
    size_t i = sizeof(digits);

    do {
        digits[--i] = (char)('0' + n % 10);
        n /= 10;
    } while (n > 0);
    put(w, digits + i, sizeof(digits) - i);
}

/* Writes the call's request head into rt->request; 0 when it does not fit. */
static size_t format_request(struct mt_runtime *rt, const struct call *call)
{
    struct writer w = {rt->request, sizeof(rt->request), false};

    put_cstr(&w, call->post ? "POST " API_PREFIX : "GET " API_PREFIX);
    if (call->request_id != NULL) {
        put_cstr(&w, "invocation/");
        put_escaped(&w, call->request_id);
        put_cstr(&w, "/");
    }
    put_cstr(&w, call->suffix);
    put_cstr(&w, " HTTP/1.1\r\nHost: ");
    put_cstr(&w, rt->address.authority);
    if (call->post) {
        put_cstr(&w, "\r\nContent-Type: application/json\r\nContent-Length: ");
        put_decimal(&w, call->body.len);
    }
    if (call->error_type != NULL) {
        put_cstr(&w, "\r\nLambda-Runtime-Function-Error-Type: ");
        put_cstr(&w, call->error_type);
    }
    put_cstr(&w, "\r\n\r\n");
    return w.full ? 0 : sizeof(rt->request) - w.left;
}

/*
 * Reads one answer into the parser, by_ms at the latest (0: no limit).
 * Bytes after a complete answer were not asked for, so the connection is
 * not kept.
 */
static enum mt_status read_answer(struct mt_runtime *rt, struct call *call, int64_t by_ms,
                                  struct mt_err *err)
{
    struct runtime_parser *p = &rt->parser;

    runtime_parser_reset(p, call->answer);
    while (!runtime_parser_done(p)) {
        size_t got = 0, used = 0;
        enum mt_status st = runtime_conn_recv(&rt->conn, rt->input, sizeof(rt->input), by_ms,
                                              &got, err);
        if (st != MT_OK)
            return st;
        if (got == 0)
            return runtime_parser_finish(p, err);

        st = runtime_parser_feed(p, rt->input, got, &used, err);
        if (st != MT_OK)
            return st;
        if (used < got) {
            MT_LOG(MT_LOG_DEBUG, "runtime", "runtime_extra_bytes",
                   "%zu bytes followed the answer; the connection is not reused", got - used);
            p->keep_alive = false;
        }
    }
    return MT_OK;
}

/*
 * One attempt: a connection (reused when it is still good), the request,
 * the whole answer.  A post's attempt, connecting included, ends by the
 * post timeout; the long poll has no limit once connected.
 */
static enum mt_status exchange(struct mt_runtime *rt, struct call *call, struct mt_err *err)
{
    int64_t now = mt_time_monotonic_ms();
    int64_t by_ms = call->post ? now + rt->opt.post_timeout_ms : 0;
    int64_t connect_by = now + rt->opt.connect_timeout_ms;
    size_t head_len = format_request(rt, call);

    call->status = 0;
    if (head_len == 0)
        return mt_err_set(err, MT_ERR_INVALID, "the request head is longer than %d bytes",
                          REQUEST_HEAD_MAX);
    enum mt_status st = runtime_conn_ready(&rt->conn, &rt->address,
                                           by_ms && by_ms < connect_by ? by_ms : connect_by, err);
    if (st != MT_OK)
        return st;

    struct iovec iov[2] = {{rt->request, head_len},
                           {(void *)(uintptr_t)call->body.ptr, call->body.len}};
    st = runtime_conn_send(&rt->conn, iov, call->post ? 2 : 1, by_ms, err);
    if (st == MT_OK)
        st = read_answer(rt, call, by_ms, err);
    if (st != MT_OK || !rt->parser.keep_alive)
        runtime_conn_close(&rt->conn);
    if (st == MT_OK)
        call->status = rt->parser.status;
    return st;
}

/* The start of an answer's body, for error details; never the event itself. */
static void answer_excerpt(const struct call *call, char *out, size_t size)
{
    size_t n = call->answer->len < ERROR_BODY_SHOWN ? call->answer->len : ERROR_BODY_SHOWN;
    snprintf(out, size, "%.*s", (int)n, call->answer->data ? call->answer->data : "");
    for (char *p = out; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    }
}

/* Judges a complete answer: OK, exit, or a refusal that another attempt would not change. */
static enum mt_status judge_answer(const struct call *call, struct mt_err *err)
{
    char excerpt[ERROR_BODY_SHOWN + 1];
    bool ok = call->post ? call->status >= 200 && call->status < 300 : call->status == 200;

    if (ok)
        return MT_OK;
    answer_excerpt(call, excerpt, sizeof(excerpt));
    if (call->status == 500)
        return mt_err_set(err, MT_ERR_RUNTIME_EXIT, "Runtime API %s: HTTP 500 (container "
                          "error, the runtime must exit): %s", call->what, excerpt);
    if (call->status == 413)
        return mt_err_set(err, MT_ERR_TOO_LARGE, "Runtime API %s: HTTP 413, %zu bytes are too "
                          "large: %s", call->what, call->body.len, excerpt);
    return mt_err_set(err, MT_ERR_HTTP, "Runtime API %s: HTTP %d: %s", call->what, call->status,
                      excerpt);
}

/* Sleeps the backoff before attempt n+1. */
static void back_off(const struct mt_runtime *rt, int n)
{
    int64_t ms = rt->opt.backoff_base_ms;
    for (int i = 1; i < n && ms < rt->opt.backoff_cap_ms; i++)
        ms *= 2;
    if (ms > rt->opt.backoff_cap_ms)
        ms = rt->opt.backoff_cap_ms;

    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* Failures another attempt may cure: the network, the peer's framing, time. */
static bool worth_retrying(enum mt_status st)
{
    return st == MT_ERR_HTTP || st == MT_ERR_CONNECT || st == MT_ERR_TIMEOUT;
}

/*
 * Runs a call with its retries.  Network failures are retried up to
 * max_attempts; a complete answer is final either way, and so is one that
 * passes a size limit.
 */
static enum mt_status run_call(struct mt_runtime *rt, struct call *call, struct mt_err *err)
{
    struct mt_err last = {0};
    enum mt_status st = MT_OK;

    for (int attempt = 1; attempt <= rt->opt.max_attempts; attempt++) {
        if (attempt > 1)
            back_off(rt, attempt - 1);
        mt_err_clear(&last);
        st = exchange(rt, call, &last);
        MT_LOG(MT_LOG_DEBUG, "runtime", "runtime_call", "%s attempt=%d status=%d result=%s",
               call->what, attempt, call->status, mt_status_name(st));
        if (st == MT_OK)
            return judge_answer(call, err);
        if (!worth_retrying(st))
            return mt_err_set(err, st, "Runtime API %s: %s", call->what, mt_err_text(&last));
    }
    return mt_err_set(err, st, "Runtime API %s: %s after %d attempts", call->what,
                      mt_err_text(&last), rt->opt.max_attempts);
}

/* Copies a header's value into out; false when it is absent, empty or too long. */
static bool copy_header(const struct mt_runtime *rt, const char *name, char *out, size_t size)
{
    struct mt_str v = runtime_parser_header(&rt->parser, name);

    out[0] = '\0';
    if (v.ptr == NULL || v.len == 0 || v.len >= size)
        return false;
    memcpy(out, v.ptr, v.len);
    out[v.len] = '\0';
    return true;
}

/* Decimal epoch milliseconds; 0 when absent or malformed. */
static int64_t parse_deadline(struct mt_str v)
{
    int64_t ms = 0;
    if (v.ptr == NULL || v.len == 0 || v.len > 15)
        return 0;
    for (size_t i = 0; i < v.len; i++) {
        if (v.ptr[i] < '0' || v.ptr[i] > '9')
            return 0;
        ms = ms * 10 + (v.ptr[i] - '0');
    }
    return ms;
}

/*
 * Fills inv's fields from the answer's headers and exports the trace id.
 * LIMITATION: Lambda-Runtime-Client-Context, -Cognito-Identity and
 * -Aws-Tenant-Id are read with the other headers but not kept, so a handler
 * invoked through the mobile SDKs or in tenant isolation mode cannot see
 * them (docs/KNOWN_LIMITATIONS.md).
 */
static enum mt_status read_invocation(struct mt_runtime *rt, struct mt_runtime_invocation *inv,
                                      struct mt_err *err)
{
    inv->received_ms = mt_time_monotonic_ms();
    if (!copy_header(rt, "Lambda-Runtime-Aws-Request-Id", inv->request_id,
                     sizeof(inv->request_id)))
        return mt_err_set(err, MT_ERR_PARSE, "Runtime API next: no usable "
                          "Lambda-Runtime-Aws-Request-Id header");

    inv->deadline_epoch_ms =
        parse_deadline(runtime_parser_header(&rt->parser, "Lambda-Runtime-Deadline-Ms"));
    copy_header(rt, "Lambda-Runtime-Invoked-Function-Arn", inv->function_arn,
                sizeof(inv->function_arn));
    bool traced = copy_header(rt, "Lambda-Runtime-Trace-Id", inv->trace_id,
                              sizeof(inv->trace_id));
    if (mt_env_set("_X_AMZN_TRACE_ID", traced ? inv->trace_id : NULL) != MT_OK)
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory setting _X_AMZN_TRACE_ID");
    return MT_OK;
}

enum mt_status mt_runtime_next(struct mt_runtime *rt, struct mt_runtime_invocation *inv,
                               struct mt_err *err)
{
    struct call call = {.what = "next", .suffix = "invocation/next", .answer = &inv->event};

    inv->event.max = rt->opt.max_event_bytes;
    inv->request_id[0] = '\0';
    inv->trace_id[0] = '\0';
    inv->function_arn[0] = '\0';

    enum mt_status st = run_call(rt, &call, err);
    if (st != MT_OK && st != MT_ERR_TOO_LARGE)
        return st;

    /* An oversized event still names its request, so the caller can fail it. */
    enum mt_status hs = read_invocation(rt, inv, st == MT_OK ? err : NULL);
    if (st == MT_OK && hs == MT_OK && inv->event.data == NULL)
        hs = mt_buf_append(&inv->event, "", 0);
    return st != MT_OK ? st : hs;
}

enum mt_status mt_runtime_respond(struct mt_runtime *rt, const struct mt_runtime_invocation *inv,
                                  struct mt_str body, struct mt_err *err)
{
    struct call call = {.what = "response", .request_id = inv->request_id,
                        .suffix = "response", .post = true, .body = body,
                        .answer = &rt->scratch};
    return run_call(rt, &call, err);
}

/* The error document Lambda expects; NULL when out of memory.  Free with free(). */
static char *error_body(const char *error_type, const char *message)
{
    json_t *doc = json_pack("{s:s, s:s, s:[]}", "errorMessage", message ? message : "",
                            "errorType", error_type, "stackTrace");
    if (doc == NULL)
        return NULL;

    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return text;
}

/* True for a short error type without control characters: it goes into a header line. */
static bool error_type_ok(const char *t)
{
    size_t n = t ? strlen(t) : 0;
    if (n == 0 || n > 100)
        return false;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f)
            return false;
    }
    return true;
}

/* Posts an error document to an error endpoint. */
static enum mt_status post_error(struct mt_runtime *rt, const char *what, const char *request_id,
                                 const char *error_type, const char *message, struct mt_err *err)
{
    if (!error_type_ok(error_type))
        return mt_err_set(err, MT_ERR_INVALID, "Runtime API %s: the error type must be one "
                          "short line", what);

    char *text = error_body(error_type, message);
    if (text == NULL)
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory posting the %s", what);
    struct call call = {.what = what, .request_id = request_id,
                        .suffix = request_id ? "error" : "init/error", .post = true,
                        .body = mt_str_from_cstr(text), .error_type = error_type,
                        .answer = &rt->scratch};
    enum mt_status st = run_call(rt, &call, err);
    free(text);
    return st;
}

enum mt_status mt_runtime_fail(struct mt_runtime *rt, const struct mt_runtime_invocation *inv,
                               const char *error_type, const char *message, struct mt_err *err)
{
    return post_error(rt, "error", inv->request_id, error_type, message, err);
}

enum mt_status mt_runtime_init_fail(struct mt_runtime *rt, const char *error_type,
                                    const char *message, struct mt_err *err)
{
    return post_error(rt, "init error", NULL, error_type, message, err);
}
