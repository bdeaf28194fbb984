/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Running one request: per-attempt set-up of the easy handle, the transfer,
 * judging how it ended, and the retry loop with its deadline.
 *
 * Every attempt starts from curl_easy_reset, which keeps the connection
 * cache, DNS cache and TLS sessions (so keep-alive works) but forgets every
 * option of the previous request.  Requests speak HTTP/1.1 (RFC 9112), as
 * the AWS JSON and REST protocols are specified over it; bodies are sent with
 * Content-Length and never with 100-continue.
 *
 * Responses are not decompressed: no Accept-Encoding is sent, so none
 * arrive compressed.
 *
 * LIMITATION: Retry-After is not honoured; the jittered backoff alone decides
 * when to retry, so a server asking for a longer pause may be retried sooner
 * and answer 429/503 again until attempts or the deadline run out.
 *
 * LIMITATION: request and response bodies are held whole in memory; a
 * response larger than its cap fails with MT_ERR_TOO_LARGE rather than being
 * streamed, and an upload needs its whole body in memory.
 *
 * LIMITATION: libcurl copies request headers into buffers of its own and
 * frees them without wiping, so an Authorization or security-token value can
 * stay in freed heap memory; only this component's own copies are wiped.
 */
#include "http_int.h"

#include "mt/clock.h"
#include "mt/log.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* One request in progress. */
struct http_call {
    struct mt_http_client *client;
    const struct mt_http_request *req;
    struct mt_http_response *resp;
    const char *method;
    struct mt_str body;            /* what is sent: the request's, or empty for a bare POST */
    struct http_url url;
    enum mt_status sink_status;    /* a cap or memory failure inside a libcurl callback */
    const char *sink_what;         /* "response body" or "response headers" */
    size_t sink_limit;             /* the cap sink_what ran into, in bytes */
    bool deadline_bound;           /* the current attempt's timeout is the deadline's */
    char refused_addr[INET6_ADDRSTRLEN]; /* set when the socket hook refused an address */
};

/* How one attempt ended. */
struct attempt_end {
    bool retry;             /* another attempt may succeed */
    bool reported;          /* err already holds the detail (a prepare hook wrote it) */
    enum mt_status status;  /* the request's status if no other attempt follows */
    char cause[CURL_ERROR_SIZE + 64]; /* "HTTP 503" or libcurl's text; no secrets */
};

enum mt_http_verdict mt_http_classify_default(void *ctx, const struct mt_http_response *resp)
{
    (void)ctx;
    if (resp->status == 429 || (resp->status >= 500 && resp->status <= 599))
        return MT_HTTP_RETRY;
    return resp->status >= 200 && resp->status < 400 ? MT_HTTP_ACCEPT : MT_HTTP_FAIL;
}

void mt_http_response_init(struct mt_http_response *resp)
{
    resp->status = 0;
    resp->attempts = 0;
    mt_http_headers_init(&resp->headers);
    mt_buf_init(&resp->body, MT_HTTP_DEFAULT_MAX_RESPONSE_BYTES);
}

void mt_http_response_cleanup(struct mt_http_response *resp)
{
    mt_http_headers_cleanup(&resp->headers);
    mt_buf_cleanup(&resp->body);
    resp->status = 0;
}

struct mt_str mt_http_response_header(const struct mt_http_response *resp, const char *name)
{
    return mt_http_headers_get(&resp->headers, name);
}

/* Forgets what an earlier attempt received. */
static void clear_response(struct mt_http_response *resp)
{
    resp->status = 0;
    mt_http_headers_reset(&resp->headers);
    mt_buf_reset(&resp->body);
}

/* libcurl write callback: appends to the capped body; 0 stops the transfer. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct http_call *call = ctx;
    size_t len = size * nmemb;

    enum mt_status st = mt_buf_append(&call->resp->body, data, len);
    if (st == MT_OK)
        return len;

    call->sink_status = st;
    call->sink_what = "response body";
    call->sink_limit = call->resp->body.max;
    return 0;
}

/*
 * libcurl header callback, one line at a time.  A status line starts a new
 * header set (after 100 Continue or a redirect); folded or malformed lines
 * are dropped; only running out of room stops the transfer.
 */
static size_t on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct http_call *call = ctx;
    size_t len = size * nmemb;
    struct mt_str line = mt_str_trim((struct mt_str){data, len});

    if (line.len >= 5 && memcmp(line.ptr, "HTTP/", 5) == 0) {
        mt_http_headers_reset(&call->resp->headers);
        return len;
    }

    const char *colon = memchr(line.ptr, ':', line.len);
    if (colon == NULL || len == 0 || data[0] == ' ' || data[0] == '\t')
        return len;

    struct mt_str name = {line.ptr, (size_t)(colon - line.ptr)};
    struct mt_str value = mt_str_trim((struct mt_str){colon + 1, line.len - name.len - 1});
    enum mt_status st = mt_http_headers_add(&call->resp->headers, name, value);
    if (st != MT_ERR_TOO_LARGE && st != MT_ERR_NOMEM)
        return len;

    call->sink_status = st;
    call->sink_what = "response headers";
    call->sink_limit = MT_HTTP_MAX_HEADER_BYTES;
    return 0;
}

/* Writes the address of sa as text into out. */
static void address_text(const struct sockaddr *sa, char out[INET6_ADDRSTRLEN])
{
    const void *raw = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    if (sa->sa_family == AF_INET6)
        raw = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    if (inet_ntop(sa->sa_family, raw, out, INET6_ADDRSTRLEN) == NULL)
        snprintf(out, INET6_ADDRSTRLEN, "(unprintable)");
}

/* libcurl socket hook: refuses link-local addresses, whatever name led to them. */
static curl_socket_t open_socket(void *ctx, curlsocktype purpose, struct curl_sockaddr *addr)
{
    struct http_call *call = ctx;
    (void)purpose;

    if (http_sockaddr_is_link_local(&addr->addr)) {
        address_text(&addr->addr, call->refused_addr);
        return CURL_SOCKET_BAD;
    }
    return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

/* True when the request's own headers name name (any case). */
static bool request_has_header(const struct mt_http_request *req, const char *name)
{
    for (size_t i = 0; i < req->header_count; i++) {
        struct mt_str n = req->headers[i].name;
        if (n.len == strlen(name) && strncasecmp(n.ptr, name, n.len) == 0)
            return true;
    }
    return false;
}

/*
 * Appends "name: value" to list; an empty value is written "name;", which is
 * how libcurl sends a header with no value (a bare "name:" removes one).
 */
static enum mt_status append_header(struct curl_slist **list, struct mt_buf *scratch,
                                    struct mt_str name, struct mt_str value)
{
    mt_secure_zero(scratch->data, scratch->len);
    mt_buf_reset(scratch);

    enum mt_status st = value.len == 0
                            ? mt_buf_appendf(scratch, "%.*s;", (int)name.len, name.ptr)
                            : mt_buf_appendf(scratch, "%.*s: %.*s", (int)name.len, name.ptr,
                                             (int)value.len, value.ptr);
    if (st != MT_OK)
        return st;

    struct curl_slist *grown = curl_slist_append(*list, scratch->data);
    if (grown == NULL)
        return MT_ERR_NOMEM;
    *list = grown;
    return MT_OK;
}

/* Wipes every header line (they may hold credentials) and frees the list. */
static void free_header_list(struct curl_slist *list)
{
    for (struct curl_slist *node = list; node != NULL; node = node->next)
        mt_secure_zero(node->data, strlen(node->data));
    curl_slist_free_all(list);
}

/*
 * Builds the attempt's header list: the request's headers, the prepare
 * hook's, then blanks that stop libcurl adding Expect: 100-continue and its
 * form Content-Type to a body.
 */
static enum mt_status build_headers(const struct http_call *call, struct curl_slist **out)
{
    const struct mt_http_request *req = call->req;
    struct mt_buf scratch;
    enum mt_status st = MT_OK;
    size_t pos = 0;
    struct mt_str name;
    struct mt_str value;

    mt_buf_init(&scratch, MT_HTTP_MAX_HEADER_BYTES);
    for (size_t i = 0; st == MT_OK && i < req->header_count; i++)
        st = append_header(out, &scratch, req->headers[i].name, req->headers[i].value);
    while (st == MT_OK && mt_http_headers_next(&call->client->extra, &pos, &name, &value))
        st = append_header(out, &scratch, name, value);
    mt_buf_cleanup_secure(&scratch);

    if (st != MT_OK || call->body.ptr == NULL)
        return st;

    struct curl_slist *grown = *out;
    if (!request_has_header(req, "Expect"))
        grown = curl_slist_append(grown, "Expect:");
    if (grown != NULL && !request_has_header(req, "Content-Type"))
        grown = curl_slist_append(grown, "Content-Type:");
    if (grown == NULL)
        return MT_ERR_NOMEM;
    *out = grown;
    return MT_OK;
}

/* Sets one option unless an earlier one failed; keeps the first failure in rc. */
#define HTTP_SETOPT(curl, rc, option, value)                                                  \
    do {                                                                                      \
        if ((rc) == CURLE_OK)                                                                 \
            (rc) = curl_easy_setopt((curl), (option), (value));                               \
    } while (0)

/*
 * The method and body.  A body goes through POSTFIELDS whatever the method,
 * with CUSTOMREQUEST naming any method but POST; HEAD needs NOBODY so that
 * libcurl does not wait for a body.
 */
static CURLcode set_method(CURL *curl, const struct http_call *call)
{
    CURLcode rc = CURLE_OK;

    if (strcmp(call->method, "HEAD") == 0) {
        HTTP_SETOPT(curl, rc, CURLOPT_NOBODY, 1L);
        return rc;
    }

    if (call->body.ptr != NULL) {
        HTTP_SETOPT(curl, rc, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)call->body.len);
        HTTP_SETOPT(curl, rc, CURLOPT_POSTFIELDS, call->body.ptr);
    } else {
        HTTP_SETOPT(curl, rc, CURLOPT_HTTPGET, 1L);
    }

    if (strcmp(call->method, "POST") != 0)
        HTTP_SETOPT(curl, rc, CURLOPT_CUSTOMREQUEST, call->method);
    return rc;
}

/* TLS, protocols, redirects, proxy, host overrides and the socket hook. */
static CURLcode set_safety(CURL *curl, struct http_call *call)
{
    const struct mt_http_client *c = call->client;
    CURLcode rc = CURLE_OK;

    HTTP_SETOPT(curl, rc, CURLOPT_SSL_VERIFYPEER, 1L);
    HTTP_SETOPT(curl, rc, CURLOPT_SSL_VERIFYHOST, 2L);
    if (c->ca_file != NULL)
        HTTP_SETOPT(curl, rc, CURLOPT_CAINFO, c->ca_file);
#if LIBCURL_VERSION_NUM >= 0x075500
    const char *protocols = c->https_only ? "https" : "http,https";
    HTTP_SETOPT(curl, rc, CURLOPT_PROTOCOLS_STR, protocols);
    HTTP_SETOPT(curl, rc, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
#else
    /* libcurl before 7.85 (Debian bullseye, which the Lambda build uses) has only bitmasks. */
    long protocols = c->https_only ? CURLPROTO_HTTPS : CURLPROTO_HTTP | CURLPROTO_HTTPS;
    HTTP_SETOPT(curl, rc, CURLOPT_PROTOCOLS, protocols);
    HTTP_SETOPT(curl, rc, CURLOPT_REDIR_PROTOCOLS, protocols);
#endif
    HTTP_SETOPT(curl, rc, CURLOPT_FOLLOWLOCATION, c->follow_redirects ? 1L : 0L);
    HTTP_SETOPT(curl, rc, CURLOPT_MAXREDIRS, 5L);

    /* An empty proxy string makes libcurl ignore http_proxy and friends. */
    HTTP_SETOPT(curl, rc, CURLOPT_PROXY, c->proxy != NULL ? c->proxy : "");
    if (c->resolve != NULL)
        HTTP_SETOPT(curl, rc, CURLOPT_RESOLVE, c->resolve);
    if (c->connect_to != NULL)
        HTTP_SETOPT(curl, rc, CURLOPT_CONNECT_TO, c->connect_to);
    HTTP_SETOPT(curl, rc, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    HTTP_SETOPT(curl, rc, CURLOPT_OPENSOCKETDATA, call);
    return rc;
}

/* Timeouts, callbacks and the fixed transfer settings. */
static CURLcode set_transfer(CURL *curl, struct http_call *call, int64_t timeout_ms,
                             struct curl_slist *headers)
{
    struct mt_http_client *c = call->client;
    int64_t connect_ms = c->connect_timeout_ms < timeout_ms ? c->connect_timeout_ms : timeout_ms;
    CURLcode rc = CURLE_OK;

    HTTP_SETOPT(curl, rc, CURLOPT_URL, call->req->url);
    /* The path goes out as given: it was signed as given, and an S3 key may hold "." or "..". */
    HTTP_SETOPT(curl, rc, CURLOPT_PATH_AS_IS, 1L);
    HTTP_SETOPT(curl, rc, CURLOPT_NOSIGNAL, 1L);
    HTTP_SETOPT(curl, rc, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    HTTP_SETOPT(curl, rc, CURLOPT_TCP_KEEPALIVE, 1L);
    HTTP_SETOPT(curl, rc, CURLOPT_CONNECTTIMEOUT_MS, (long)connect_ms);
    HTTP_SETOPT(curl, rc, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    if (strcmp(call->method, "HEAD") != 0)
        HTTP_SETOPT(curl, rc, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)call->resp->body.max);
    HTTP_SETOPT(curl, rc, CURLOPT_HTTPHEADER, headers);
    HTTP_SETOPT(curl, rc, CURLOPT_WRITEFUNCTION, on_body);
    HTTP_SETOPT(curl, rc, CURLOPT_WRITEDATA, call);
    HTTP_SETOPT(curl, rc, CURLOPT_HEADERFUNCTION, on_header);
    HTTP_SETOPT(curl, rc, CURLOPT_HEADERDATA, call);
    HTTP_SETOPT(curl, rc, CURLOPT_ERRORBUFFER, c->errbuf);
    return rc;
}

#undef HTTP_SETOPT

/*
 * ms left before the earlier of the request's deadline and the thread's
 * (mt_deadline_get); INT64_MAX when neither is set.
 */
static int64_t time_left_ms(const struct http_call *call)
{
    int64_t deadline = call->req->deadline_ms;
    int64_t ambient = mt_deadline_get();

    if (deadline == 0 || (ambient != 0 && ambient < deadline))
        deadline = ambient;
    if (deadline == 0)
        return INT64_MAX;
    return deadline - mt_time_monotonic_ms();
}

/* True for libcurl failures that another attempt may not repeat. */
static bool curl_code_transient(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

/* The request's status when a libcurl failure is the last word. */
static enum mt_status curl_code_status(CURLcode rc)
{
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return MT_ERR_TIMEOUT;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
        return MT_ERR_CONNECT;
    default:
        return MT_ERR_HTTP;
    }
}

/* Judges a transfer that libcurl reports as complete. */
static void judge_response(struct http_call *call, struct attempt_end *end)
{
    struct mt_http_response *resp = call->resp;
    long code = 0;

    curl_easy_getinfo(call->client->curl, CURLINFO_RESPONSE_CODE, &code);
    resp->status = code;
    snprintf(end->cause, sizeof(end->cause), "HTTP %ld", code);

    mt_http_classify_fn classify = call->req->classify != NULL ? call->req->classify
                                                               : mt_http_classify_default;
    enum mt_http_verdict verdict = classify(call->req->classify_ctx, resp);
    end->retry = verdict == MT_HTTP_RETRY;
    end->status = verdict == MT_HTTP_ACCEPT ? MT_OK : MT_ERR_HTTP;
}

/* Judges how the transfer ended; libcurl's rc plus what the callbacks recorded. */
static void judge_transfer(struct http_call *call, CURLcode rc, struct attempt_end *end)
{
    end->retry = false;
    if (call->refused_addr[0] != '\0' && rc != CURLE_OK) {
        end->status = MT_ERR_INVALID;
        snprintf(end->cause, sizeof(end->cause),
                 "refused to connect to link-local address %s", call->refused_addr);
    } else if (call->sink_status != MT_OK) {
        end->status = call->sink_status;
        snprintf(end->cause, sizeof(end->cause), "%s larger than its %zu-byte limit",
                 call->sink_what, call->sink_limit);
    } else if (rc == CURLE_FILESIZE_EXCEEDED) {
        end->status = MT_ERR_TOO_LARGE;
        snprintf(end->cause, sizeof(end->cause), "announced response body larger than its "
                 "%zu-byte limit", call->resp->body.max);
    } else if (rc == CURLE_OK) {
        judge_response(call, end);
    } else {
        end->retry = curl_code_transient(rc);
        end->status = curl_code_status(rc);
        snprintf(end->cause, sizeof(end->cause), "%s",
                 call->client->errbuf[0] != '\0' ? call->client->errbuf : curl_easy_strerror(rc));
    }
}

/* Calls the prepare hook with the extra headers emptied. */
static enum mt_status prepare_attempt(struct http_call *call, int attempt,
                                      struct attempt_end *end, struct mt_err *err)
{
    mt_http_headers_reset(&call->client->extra);
    if (call->req->prepare == NULL)
        return MT_OK;

    enum mt_status st = call->req->prepare(call->req->prepare_ctx, call->req, attempt,
                                           &call->client->extra, err);
    if (st != MT_OK) {
        end->retry = false;
        end->reported = true;
        end->status = st;
        mt_err_set(err, st, "%s %s: preparing attempt %d failed", call->method,
                   call->url.redacted.data, attempt);
    }
    return st;
}

/* Sets the handle up for one attempt and runs the transfer; judges the outcome into end. */
static void perform_attempt(struct http_call *call, int64_t timeout_ms, struct attempt_end *end)
{
    CURL *curl = call->client->curl;
    struct curl_slist *headers = NULL;

    clear_response(call->resp);
    call->sink_status = MT_OK;
    call->sink_what = NULL;
    call->refused_addr[0] = '\0';
    call->client->errbuf[0] = '\0';
    curl_easy_reset(curl);

    enum mt_status st = build_headers(call, &headers);
    CURLcode rc = st == MT_OK ? set_method(curl, call) : CURLE_OUT_OF_MEMORY;
    if (rc == CURLE_OK)
        rc = set_safety(curl, call);
    if (rc == CURLE_OK)
        rc = set_transfer(curl, call, timeout_ms, headers);
    if (rc == CURLE_OK)
        rc = curl_easy_perform(curl);
    judge_transfer(call, rc, end);

    /* libcurl keeps pointers to the list until the next reset. */
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
    free_header_list(headers);
    mt_http_headers_reset(&call->client->extra);
}

/* One attempt, prepare hook included, logged at debug level. */
static void run_attempt(struct http_call *call, int attempt, struct attempt_end *end,
                        struct mt_err *err)
{
    int64_t left = time_left_ms(call);
    int64_t limit = call->client->attempt_timeout_ms;
    int64_t timeout_ms = left < limit ? left : limit;
    int64_t start = mt_time_monotonic_ms();

    call->deadline_bound = left <= limit;
    call->resp->attempts = attempt;
    end->reported = false;
    if (prepare_attempt(call, attempt, end, err) != MT_OK)
        return;

    perform_attempt(call, timeout_ms, end);
    MT_LOG(MT_LOG_DEBUG, "http", "http_attempt",
           "%s %s attempt=%d status=%ld result=%s duration_ms=%lld", call->method,
           call->url.redacted.data, attempt, call->resp->status, mt_status_name(end->status),
           (long long)(mt_time_monotonic_ms() - start));
}

/* Records the final failure of the request in err. */
static enum mt_status fail(const struct http_call *call, const struct attempt_end *end,
                           enum mt_status status, const char *why, struct mt_err *err)
{
    if (end->reported)
        return status;

    int attempts = call->resp->attempts;
    return mt_err_set(err, status, "%s %s: %s%s after %d attempt%s", call->method,
                      call->url.redacted.data, why, end->cause, attempts,
                      attempts == 1 ? "" : "s");
}

/*
 * Waits the jittered backoff before attempt retry+1.  MT_ERR_TIMEOUT, without
 * waiting, when the wait would reach the deadline.
 */
static enum mt_status back_off(const struct http_call *call, int retry,
                               const struct attempt_end *end, struct mt_err *err)
{
    const struct mt_http_client *c = call->client;
    int64_t sleep_ms = http_backoff_ms(retry, c->backoff_base_ms, c->backoff_cap_ms,
                                       http_random_u64());

    if (sleep_ms >= time_left_ms(call))
        return fail(call, end, MT_ERR_TIMEOUT, "deadline reached; last failure: ", err);

    MT_LOG(MT_LOG_TRACE, "http", "http_backoff", "%s %s retry=%d sleep_ms=%lld", call->method,
           call->url.redacted.data, retry, (long long)sleep_ms);
    http_sleep_until(mt_time_monotonic_ms() + sleep_ms);
    return MT_OK;
}

/* The retry loop: attempts until one is final, attempts run out, or the deadline passes. */
static enum mt_status run_attempts(struct http_call *call, struct mt_err *err)
{
    struct attempt_end end = {.status = MT_ERR_TIMEOUT};

    if (time_left_ms(call) <= 0)
        return mt_err_set(err, MT_ERR_TIMEOUT, "%s %s: the deadline passed before the first "
                          "attempt", call->method, call->url.redacted.data);

    for (int attempt = 1;; attempt++) {
        if (attempt > 1 && time_left_ms(call) <= 0)
            return fail(call, &end, MT_ERR_TIMEOUT, "deadline reached; last failure: ", err);

        run_attempt(call, attempt, &end, err);
        if (end.status == MT_OK)
            return MT_OK;
        if (!end.retry)
            return fail(call, &end, end.status, "", err);
        if (end.status == MT_ERR_TIMEOUT && call->deadline_bound)
            return fail(call, &end, MT_ERR_TIMEOUT, "deadline reached; last failure: ", err);
        if (attempt >= call->client->max_attempts)
            return fail(call, &end, end.status, "", err);

        enum mt_status st = back_off(call, attempt, &end, err);
        if (st != MT_OK)
            return st;
    }
}

/* Checks the method, URL and headers before anything is sent. */
static enum mt_status check_request(struct http_call *call, struct mt_err *err)
{
    const struct mt_http_request *req = call->req;

    for (const char *p = call->method; *p != '\0'; p++) {
        if (*p < 'A' || *p > 'Z')
            return mt_err_set(err, MT_ERR_INVALID, "HTTP method '%.16s' is not an upper-case token",
                              call->method);
    }

    enum mt_status st = http_url_parse(req->url, &call->url, err);
    if (st != MT_OK)
        return st;
    if (call->client->https_only && !call->url.https)
        return mt_err_set(err, MT_ERR_INVALID, "%s %s: only https URLs are allowed here",
                          call->method, call->url.redacted.data);
    if (call->url.link_local)
        return mt_err_set(err, MT_ERR_INVALID,
                          "%s %s: refusing a link-local or instance metadata address",
                          call->method, call->url.redacted.data);

    for (size_t i = 0; i < req->header_count; i++) {
        if (!http_header_valid(req->headers[i].name, req->headers[i].value))
            return mt_err_set(err, MT_ERR_INVALID,
                              "%s %s: request header %zu has a bad name or a CR, LF or NUL",
                              call->method, call->url.redacted.data, i);
    }
    return MT_OK;
}

enum mt_status mt_http_client_send(struct mt_http_client *client,
                                   const struct mt_http_request *req,
                                   struct mt_http_response *resp, struct mt_err *err)
{
    struct http_call call = {
        .client = client,
        .req = req,
        .resp = resp,
        .method = req->method != NULL && req->method[0] != '\0' ? req->method : "GET",
        .body = req->body,
    };

    if (call.body.ptr == NULL && strcmp(call.method, "POST") == 0)
        call.body = MT_STR_LIT("");

    mt_buf_init(&call.url.redacted, 0);
    clear_response(resp);
    resp->attempts = 0;
    resp->body.max = req->max_response_bytes != 0 ? req->max_response_bytes
                                                  : client->max_response_bytes;

    enum mt_status st = check_request(&call, err);
    if (st == MT_OK)
        st = run_attempts(&call, err);

    mt_buf_cleanup(&call.url.redacted);
    return st;
}
