/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Lambda Runtime API client (AWS Lambda developer guide, "Using the
 * Lambda runtime API for custom runtimes", API version 2018-06-01).
 *
 * It drives one libcurl easy handle of its own rather than an mt_http
 * client: the long poll must run with no overall timeout, which mt_http
 * deliberately cannot express (every AWS call there is bounded), and the
 * Runtime API's failure rules differ from AWS services' (a 500 means "exit",
 * not "retry").  The handle is configured once and keeps its connection
 * between calls; only the URL, method, timeout and headers change per call.
 * Response headers are kept in an mt_http_headers list, so lookups ignore
 * case as HTTP requires.
 *
 * Retries wait base * 2^(n-1) ms, capped, without jitter: the only peer is
 * the sandbox's own local endpoint, so there is no crowd of clients to
 * spread out.  What is not done: streaming responses (response mode
 * "streaming"), the extensions and telemetry APIs, and concurrent
 * invocations (Lambda Managed Instances).
 */
#include "mt/runtime.h"

#include "mt/clock.h"
#include "mt/env.h"
#include "mt/http.h"
#include "mt/log.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define API_VERSION "/2018-06-01"
#define LONGEST_TIMEOUT_MS (15 * 60 * 1000)
#define ERROR_BODY_SHOWN 160

struct mt_runtime {
    CURL *curl;
    char base_url[320];           /* "http://host:port/2018-06-01" */
    struct mt_runtime_options opt;
    long connections;             /* opened so far */

    /* Where the current call's answer goes. */
    struct mt_buf *body;          /* the caller's event buffer, or scratch */
    struct mt_buf scratch;        /* answers to posts */
    struct mt_http_headers headers;
    bool body_too_large;
    bool headers_too_large;
    char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t s_curl_once = PTHREAD_ONCE_INIT;
static CURLcode s_curl_init_rc = CURLE_FAILED_INIT;

static void init_curl_once(void)
{
    s_curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

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

/* True for "host:port" with a DNS name, IPv4 or bracketed IPv6 host and a port 1-65535. */
static bool address_ok(const char *a)
{
    const char *colon = strrchr(a, ':');
    if (colon == NULL || colon == a || colon[1] == '\0' || strlen(colon + 1) > 5)
        return false;

    for (const char *p = a; p < colon; p++) {
        if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-[]:", *p) ==
            NULL)
            return false;
    }
    long port = 0;
    for (const char *p = colon + 1; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return false;
        port = port * 10 + (*p - '0');
    }
    return port >= 1 && port <= 65535;
}

/* libcurl write callback: appends to the current body; 0 stops at the cap. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct mt_runtime *rt = ctx;
    size_t len = size * nmemb;

    if (mt_buf_append(rt->body, data, len) == MT_OK)
        return len;
    rt->body_too_large = true;
    return 0;
}

/* libcurl header callback: keeps "Name: value" lines; a status line starts afresh. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct mt_runtime *rt = ctx;
    size_t len = size * nmemb;
    struct mt_str line = mt_str_trim((struct mt_str){data, len});

    if (line.len >= 5 && memcmp(line.ptr, "HTTP/", 5) == 0) {
        mt_http_headers_reset(&rt->headers);
        return len;
    }
    const char *colon = memchr(line.ptr, ':', line.len);
    if (colon == NULL)
        return len;

    struct mt_str name = {line.ptr, (size_t)(colon - line.ptr)};
    struct mt_str value = mt_str_trim((struct mt_str){colon + 1, line.len - name.len - 1});
    enum mt_status st = mt_http_headers_add(&rt->headers, name, value);
    if (st == MT_ERR_TOO_LARGE || st == MT_ERR_NOMEM) {
        rt->headers_too_large = true;
        return 0;
    }
    return len;
}

/* Options that hold for every call: set once, so the connection is kept. */
static CURLcode set_fixed_options(struct mt_runtime *rt)
{
    CURL *c = rt->curl;
    CURLcode rc = CURLE_OK;

    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)rt->opt.connect_timeout_ms);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_PROXY, "");
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_WRITEDATA, rt);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_HEADERDATA, rt);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, rt->errbuf);
    return rc;
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
    if (!address_ok(address) || strlen(address) > 256)
        return mt_err_set(err, MT_ERR_CONFIG, "Runtime API address '%.64s' is not host:port",
                          address);
    snprintf(rt->base_url, sizeof(rt->base_url), "http://%s" API_VERSION, address);
    return MT_OK;
}

enum mt_status mt_runtime_new(const struct mt_runtime_options *options, struct mt_runtime **out,
                              struct mt_err *err)
{
    static const struct mt_runtime_options no_options;
    enum mt_status st = MT_ERR_NOMEM;

    *out = NULL;
    pthread_once(&s_curl_once, init_curl_once);
    if (s_curl_init_rc != CURLE_OK)
        return mt_err_set(err, MT_ERR_HTTP, "libcurl could not be initialised: %s",
                          curl_easy_strerror(s_curl_init_rc));

    struct mt_runtime *rt = calloc(1, sizeof(*rt));
    if (rt == NULL)
        return mt_err_set(err, st, "out of memory creating the Runtime API client");
    mt_buf_init(&rt->scratch, 64 << 10);
    mt_http_headers_init(&rt->headers);

    st = apply_options(rt, options ? options : &no_options, err);
    if (st != MT_OK)
        goto out;

    rt->curl = curl_easy_init();
    if (rt->curl == NULL || set_fixed_options(rt) != CURLE_OK) {
        st = mt_err_set(err, MT_ERR_HTTP, "libcurl could not set up the Runtime API handle");
        goto out;
    }
    *out = rt;
out:
    if (st != MT_OK)
        mt_runtime_free(rt);
    return st;
}

void mt_runtime_free(struct mt_runtime *rt)
{
    if (rt == NULL)
        return;
    if (rt->curl != NULL)
        curl_easy_cleanup(rt->curl);
    mt_buf_cleanup(&rt->scratch);
    mt_http_headers_cleanup(&rt->headers);
    free(rt);
}

long mt_runtime_connections(const struct mt_runtime *rt)
{
    return rt->connections;
}

/* One call to the endpoint: what to send, and how its answer is judged. */
struct call {
    const char *what;           /* "next", "response", "error", "init error", for messages */
    char url[600];
    bool post;
    struct mt_str body;         /* posts only */
    const char *error_type;     /* adds Lambda-Runtime-Function-Error-Type when set */
    struct mt_buf *answer;      /* where the answer's body goes */
    long status;                /* of the last answer; 0 when none arrived */
};

/* The headers of a post; NULL when out of memory. */
static struct curl_slist *post_headers(const struct call *call)
{
    struct curl_slist *list = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *grown = list ? curl_slist_append(list, "Expect:") : NULL;

    if (grown != NULL && call->error_type != NULL) {
        char line[200];
        snprintf(line, sizeof(line), "Lambda-Runtime-Function-Error-Type: %s", call->error_type);
        grown = curl_slist_append(grown, line);
    }
    if (grown == NULL)
        curl_slist_free_all(list);
    return grown;
}

/* Sets the per-call options and runs one attempt. */
static CURLcode perform(struct mt_runtime *rt, struct call *call, struct curl_slist *headers)
{
    CURL *c = rt->curl;
    CURLcode rc = curl_easy_setopt(c, CURLOPT_URL, call->url);

    if (rc == CURLE_OK && call->post) {
        rc = curl_easy_setopt(c, CURLOPT_POST, 1L);
        if (rc == CURLE_OK)
            rc = curl_easy_setopt(c, CURLOPT_POSTFIELDS, call->body.ptr ? call->body.ptr : "");
        if (rc == CURLE_OK)
            rc = curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)call->body.len);
    } else if (rc == CURLE_OK) {
        rc = curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    /* The long poll has no timeout: the sandbox may be frozen for hours inside it. */
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, call->post ? (long)rt->opt.post_timeout_ms
                                                               : 0L);
    if (rc != CURLE_OK)
        return rc;

    mt_buf_reset(call->answer);
    mt_http_headers_reset(&rt->headers);
    rt->body = call->answer;
    rt->body_too_large = false;
    rt->headers_too_large = false;
    rt->errbuf[0] = '\0';
    rc = curl_easy_perform(c);

    long opened = 0;
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &opened);
    rt->connections += opened;
    call->status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &call->status);
    return rc;
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
    return mt_err_set(err, MT_ERR_HTTP, "Runtime API %s: HTTP %ld: %s", call->what, call->status,
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

/* The status of a transfer that did not bring a complete answer. */
static enum mt_status network_status(CURLcode rc)
{
    if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST)
        return MT_ERR_CONNECT;
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return MT_ERR_TIMEOUT;
    return MT_ERR_HTTP;
}

/*
 * Runs a call with its retries.  Network failures are retried up to
 * max_attempts; a complete answer is final either way.
 */
static enum mt_status run_call(struct mt_runtime *rt, struct call *call, struct mt_err *err)
{
    struct curl_slist *headers = NULL;
    CURLcode rc = CURLE_OK;
    int attempt = 0;

    if (call->post && (headers = post_headers(call)) == NULL)
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory posting the %s", call->what);

    for (attempt = 1; attempt <= rt->opt.max_attempts; attempt++) {
        if (attempt > 1)
            back_off(rt, attempt - 1);
        rc = perform(rt, call, headers);
        MT_LOG(MT_LOG_DEBUG, "runtime", "runtime_call", "%s attempt=%d status=%ld curl=%d",
               call->what, attempt, call->status, (int)rc);
        if (rc == CURLE_OK || rt->body_too_large || rt->headers_too_large)
            break;
    }
    curl_easy_setopt(rt->curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);

    if (rt->body_too_large || rt->headers_too_large)
        return mt_err_set(err, MT_ERR_TOO_LARGE, "Runtime API %s: the %s exceeds %zu bytes",
                          call->what, rt->body_too_large ? "answer" : "header block",
                          rt->body_too_large ? call->answer->max : MT_HTTP_MAX_HEADER_BYTES);
    if (rc != CURLE_OK)
        return mt_err_set(err, network_status(rc), "Runtime API %s: %s after %d attempts",
                          call->what, rt->errbuf[0] ? rt->errbuf : curl_easy_strerror(rc),
                          rt->opt.max_attempts);
    return judge_answer(call, err);
}

/* Copies a header's value into out; false when it is absent, empty or too long. */
static bool copy_header(const struct mt_runtime *rt, const char *name, char *out, size_t size)
{
    struct mt_str v = mt_http_headers_get(&rt->headers, name);

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

/* Fills inv's fields from the answer's headers and exports the trace id. */
static enum mt_status read_invocation(struct mt_runtime *rt, struct mt_runtime_invocation *inv,
                                      struct mt_err *err)
{
    inv->received_ms = mt_time_monotonic_ms();
    if (!copy_header(rt, "Lambda-Runtime-Aws-Request-Id", inv->request_id,
                     sizeof(inv->request_id)))
        return mt_err_set(err, MT_ERR_PARSE, "Runtime API next: no usable "
                          "Lambda-Runtime-Aws-Request-Id header");

    inv->deadline_epoch_ms =
        parse_deadline(mt_http_headers_get(&rt->headers, "Lambda-Runtime-Deadline-Ms"));
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
    struct call call = {.what = "next", .answer = &inv->event};

    snprintf(call.url, sizeof(call.url), "%s/runtime/invocation/next", rt->base_url);
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

/* Posts body to <base>/runtime/<path>, escaping the request id when there is one. */
static enum mt_status post(struct mt_runtime *rt, const char *what, const char *request_id,
                           const char *suffix, struct mt_str body, const char *error_type,
                           struct mt_err *err)
{
    struct call call = {.what = what, .post = true, .body = body, .error_type = error_type,
                        .answer = &rt->scratch};

    if (request_id == NULL) {
        snprintf(call.url, sizeof(call.url), "%s/runtime/%s", rt->base_url, suffix);
        return run_call(rt, &call, err);
    }

    char *escaped = curl_easy_escape(rt->curl, request_id, 0);
    if (escaped == NULL)
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory posting the %s", what);
    snprintf(call.url, sizeof(call.url), "%s/runtime/invocation/%s/%s", rt->base_url, escaped,
             suffix);
    curl_free(escaped);
    return run_call(rt, &call, err);
}

enum mt_status mt_runtime_respond(struct mt_runtime *rt, const struct mt_runtime_invocation *inv,
                                  struct mt_str body, struct mt_err *err)
{
    return post(rt, "response", inv->request_id, "response", body, NULL, err);
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

/* Posts an error document to an error endpoint. */
static enum mt_status post_error(struct mt_runtime *rt, const char *what, const char *request_id,
                                 const char *error_type, const char *message, struct mt_err *err)
{
    if (error_type == NULL || error_type[0] == '\0' || strlen(error_type) > 100 ||
        strpbrk(error_type, "\r\n") != NULL)
        return mt_err_set(err, MT_ERR_INVALID, "Runtime API %s: the error type must be one "
                          "short line", what);

    char *text = error_body(error_type, message);
    if (text == NULL)
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory posting the %s", what);
    enum mt_status st = post(rt, what, request_id, request_id ? "error" : "init/error",
                             mt_str_from_cstr(text), error_type, err);
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
