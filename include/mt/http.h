/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_HTTP_H
#define MT_HTTP_H

/*
 * The one HTTP client every AWS call and fetch in mailtrack goes through.
 *
 * A client owns one libcurl easy handle, so consecutive requests on the same
 * client reuse their connection (keep-alive) and TLS session.  A request is a
 * method, a URL, headers and a borrowed body; the response body is captured
 * into a capped buffer and the response headers can be looked up without
 * regard to case.  Failed attempts are retried with capped exponential
 * backoff and full jitter, bounded both by an attempt count and by an
 * absolute deadline that also bounds every wait, so a Lambda deadline bounds
 * every AWS call made under it.
 *
 * Backoff before attempt n+1 (n = 1 for the first retry), in ms:
 *
 *     sleep = uniform random in [0, min(cap_ms, base_ms * 2^(n-1))]
 *
 * with base_ms 50 and cap_ms 5000 by default, drawn from OpenSSL's RAND_bytes.
 * When the sleep would end past the deadline the request stops at once with
 * MT_ERR_TIMEOUT instead of sleeping.
 *
 * What is retried: network failures (connection refused or reset, DNS
 * failure, timeouts of one attempt, responses cut short, empty replies) and
 * every response the classify callback calls MT_HTTP_RETRY; by default HTTP
 * 429 and 5xx.  TLS verification failures, a refused link-local address and
 * an oversized response are never retried.  A retry resends the same request
 * whatever its method, POST and PUT included: a write that may already have
 * taken effect (a 500 or a reset after sending) is sent again, so writes must
 * be idempotent or conditional, or the classify callback must fail them.
 * Retry-After is not honoured (see docs/KNOWN_LIMITATIONS.md).
 *
 * Safety defaults: TLS peers and host names are always verified; redirects
 * are not followed; no proxy is used, whatever http_proxy / https_proxy say,
 * unless the options name one; URLs whose host is a link-local or instance
 * metadata address (169.254.0.0/16, fe80::/10, fd00:ec2::254, also
 * IPv4-mapped) are refused before any traffic, and so is any connection
 * whose resolved address is one.  Only http and https are spoken
 * (https alone when asked).
 *
 * Errors and logs name the method and the URL without userinfo, query or
 * fragment; header values (Authorization, X-Amz-Security-Token) are never
 * logged or reported.  Each attempt is logged at debug level (component
 * "http", event "http_attempt") with method, host, path, status, attempt and
 * duration.
 *
 * This component does not sign requests (see sigv4.h), parse AWS error
 * bodies, or stream bodies larger than memory.
 *
 * Thread-safety: a client is used by one thread at a time.  Several clients
 * may run at once in different threads; libcurl's global state is set up
 * once, thread-safely, by the first mt_http_client_new.
 */

#include "mt/buf.h"
#include "mt/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Defaults used where an option is left 0. */
#define MT_HTTP_DEFAULT_CONNECT_TIMEOUT_MS 5000
#define MT_HTTP_DEFAULT_ATTEMPT_TIMEOUT_MS 30000
#define MT_HTTP_DEFAULT_MAX_ATTEMPTS 5
#define MT_HTTP_DEFAULT_BACKOFF_BASE_MS 50
#define MT_HTTP_DEFAULT_BACKOFF_CAP_MS 5000
#define MT_HTTP_DEFAULT_MAX_RESPONSE_BYTES ((size_t)16 << 20)

/* Largest total size of one response's headers; more is MT_ERR_TOO_LARGE. */
#define MT_HTTP_MAX_HEADER_BYTES ((size_t)64 << 10)

/* One request header; neither part may hold CR, LF or NUL, the name no ':'. */
struct mt_http_header {
    struct mt_str name;
    struct mt_str value;
};

/*
 * An owned list of headers: the response's, or the ones a prepare hook adds.
 * Zero-initialise (or mt_http_headers_init) before use.  Values may be
 * secrets, so the memory is wiped whenever the list is emptied or released.
 */
struct mt_http_headers {
    struct mt_buf text; /* name NUL value NUL, one pair after another */
    size_t count;       /* pairs in text */
};

/* Prepares an empty list.  Allocates nothing. */
void mt_http_headers_init(struct mt_http_headers *h);

/*
 * Appends one header; copies both.  MT_ERR_INVALID when the name is empty or
 * holds ':' or a space, or either part holds CR, LF or NUL; MT_ERR_TOO_LARGE
 * past MT_HTTP_MAX_HEADER_BYTES in all; MT_ERR_NOMEM.  A failed add leaves
 * the list as it was.
 */
enum mt_status mt_http_headers_add(struct mt_http_headers *h, struct mt_str name,
                                   struct mt_str value);

/*
 * The value of the first header named name, compared without regard to
 * ASCII case; absent (ptr NULL) when there is none.  The view stays valid
 * until the list changes.
 */
struct mt_str mt_http_headers_get(const struct mt_http_headers *h, const char *name);

/*
 * Iterates: start with *pos = 0; each call gives the next pair and returns
 * true, or returns false at the end.  Views stay valid until the list changes.
 */
bool mt_http_headers_next(const struct mt_http_headers *h, size_t *pos, struct mt_str *name,
                          struct mt_str *value);

/* Empties the list, wiping its bytes, and keeps the memory. */
void mt_http_headers_reset(struct mt_http_headers *h);

/* Wipes and releases the list. */
void mt_http_headers_cleanup(struct mt_http_headers *h);

/* Client settings; zero-initialise and set what differs from the defaults. */
struct mt_http_options {
    int64_t connect_timeout_ms;  /* per connection; 0: 5000 */
    int64_t attempt_timeout_ms;  /* whole attempt, connect included; 0: 30000 */
    int max_attempts;            /* attempts per request, first included; 0: 5; 1: no retry */
    int64_t backoff_base_ms;     /* 0: 50 */
    int64_t backoff_cap_ms;      /* 0: 5000 */
    size_t max_response_bytes;   /* default body cap per request; 0: 16 MiB */

    /*
     * PEM bundle of trusted CAs (copied).  NULL: the process default set by
     * mt_http_set_default_ca_file, else libcurl's built-in bundle.
     */
    const char *ca_file;

    /*
     * Host overrides, each "host:port:address" as for CURLOPT_RESOLVE (e.g.
     * "sns.test:8443:127.0.0.1"), count entries (copied).  The override does
     * not bypass the link-local refusal.
     */
    const char *const *resolve;
    size_t resolve_count;

    /*
     * Connection overrides, each "host:port:address:port" as for
     * CURLOPT_CONNECT_TO (e.g. "sns.us-east-1.amazonaws.com:443:127.0.0.1:8443"),
     * count entries (copied).  The URL, the Host header and TLS name checks
     * stay those of host; only where the connection goes changes.  For tests
     * that aim a real service name at a local stand-in; the link-local
     * refusal still applies.
     */
    const char *const *connect_to;
    size_t connect_to_count;

    const char *proxy;      /* proxy URL (copied); NULL: never use a proxy */
    bool https_only;        /* refuse http:// URLs (and redirects to them) */
    bool follow_redirects;  /* follow up to 5 redirects; default false */
};

/*
 * What to do with a response that arrived:
 *   MT_HTTP_ACCEPT  the request succeeded; mt_http_client_send returns MT_OK;
 *   MT_HTTP_RETRY   try again if attempts and time remain, else fail;
 *   MT_HTTP_FAIL    stop now; mt_http_client_send returns MT_ERR_HTTP.
 */
enum mt_http_verdict {
    MT_HTTP_ACCEPT,
    MT_HTTP_RETRY,
    MT_HTTP_FAIL,
};

struct mt_http_response;
struct mt_http_request;

/*
 * Judges one complete response (status, headers and body are filled in).
 * Called once per response received; never for network failures.
 */
typedef enum mt_http_verdict (*mt_http_classify_fn)(void *ctx,
                                                    const struct mt_http_response *resp);

/*
 * Called before every attempt, first included (attempt counts from 1), with
 * extra emptied (wiped) beforehand: headers added to extra are sent after the
 * request's own, for this attempt only.  This is where a caller signs the
 * request with a fresh x-amz-date.  A status other than MT_OK ends the
 * request with that status, without retry; the hook should fill err.
 */
typedef enum mt_status (*mt_http_prepare_fn)(void *ctx, const struct mt_http_request *req,
                                             int attempt, struct mt_http_headers *extra,
                                             struct mt_err *err);

/* One request.  Everything is borrowed for the duration of the call. */
struct mt_http_request {
    const char *method;  /* "GET", "PUT", "POST", "HEAD", "DELETE", ...; NULL: GET */
    const char *url;     /* absolute http:// or https:// URL, NUL-terminated */

    const struct mt_http_header *headers;
    size_t header_count;

    /*
     * The body; ptr NULL sends none (a POST then sends an empty one).  A
     * body is sent with Content-Length, and without Expect: 100-continue so
     * no wait happens.  No Content-Type is added; set one among the headers
     * when the peer needs it.
     */
    struct mt_str body;

    /*
     * Absolute deadline on mt_time_monotonic_ms; 0: none.  The thread's
     * deadline (mt_deadline_get in clock.h) applies as well, the earlier of
     * the two winning, so a Lambda invocation's deadline bounds requests
     * whose senders never heard of it.
     */
    int64_t deadline_ms;

    size_t max_response_bytes;  /* 0: the client's option */

    mt_http_classify_fn classify;  /* NULL: mt_http_classify_default */
    void *classify_ctx;
    mt_http_prepare_fn prepare;    /* optional */
    void *prepare_ctx;
};

/* What came back; the last attempt's status, headers and body. */
struct mt_http_response {
    long status;                     /* HTTP status; 0 when no complete response arrived */
    struct mt_http_headers headers;  /* of the final response */
    struct mt_buf body;              /* capped; NUL-terminated once anything arrived */
    int attempts;                    /* attempts started, first included */
};

/* Prepares an empty response.  Allocates nothing. */
void mt_http_response_init(struct mt_http_response *resp);

/* Releases the response's memory (header values wiped). */
void mt_http_response_cleanup(struct mt_http_response *resp);

/* Shorthand for mt_http_headers_get(&resp->headers, name). */
struct mt_str mt_http_response_header(const struct mt_http_response *resp, const char *name);

/*
 * The default judgement: status < 400 is MT_HTTP_ACCEPT, 429 and 5xx are
 * MT_HTTP_RETRY, every other status MT_HTTP_FAIL.  ctx is unused, so custom
 * classifiers may call it with NULL for the cases they do not decide.
 */
enum mt_http_verdict mt_http_classify_default(void *ctx, const struct mt_http_response *resp);

struct mt_http_client;

/*
 * Creates a client; options may be NULL for all defaults.  Sets up libcurl's
 * global state on first use (thread-safe).  MT_ERR_INVALID on a negative
 * timeout or count or a malformed resolve entry; MT_ERR_NOMEM; MT_ERR_HTTP
 * when libcurl cannot be initialised.  *out is NULL on failure.
 */
enum mt_status mt_http_client_new(const struct mt_http_options *options,
                                  struct mt_http_client **out, struct mt_err *err);

/* Closes the client's connections and releases it.  NULL does nothing. */
void mt_http_client_free(struct mt_http_client *client);

/*
 * Runs one request, with retries, and fills resp (which is emptied first;
 * initialise it once with mt_http_response_init and reuse it freely).
 *
 * Returns:
 *   MT_OK             a response arrived and was accepted (see classify);
 *   MT_ERR_HTTP       the response was judged a failure, retries ran out on
 *                     a retryable status or network failure, TLS failed, or
 *                     the transfer failed otherwise; resp keeps the last
 *                     response (status 0 when none arrived);
 *   MT_ERR_TIMEOUT    the deadline passed, or the last attempt timed out;
 *   MT_ERR_CONNECT    the last attempt could not connect (refused, no route,
 *                     name not resolved);
 *   MT_ERR_TOO_LARGE  the response body or headers exceeded their cap;
 *   MT_ERR_INVALID    a malformed request, a URL that is not http(s) (or not
 *                     https with https_only), or a link-local / metadata
 *                     host or resolved address;
 *   whatever the prepare hook returned.
 *
 * err gets one sentence naming method, redacted URL, the cause (curl's text
 * or "HTTP <status>") and the attempt count, e.g.
 * "POST https://dynamodb.eu-west-1.amazonaws.com/: HTTP 503 after 5 attempts".
 * A caller that maps error bodies to its own detail should pass a scratch
 * mt_err here, since the first detail recorded wins.
 */
enum mt_status mt_http_client_send(struct mt_http_client *client,
                                   const struct mt_http_request *req,
                                   struct mt_http_response *resp, struct mt_err *err);

/*
 * Sets the CA bundle every client created afterwards uses when its options
 * name none (copied; NULL restores libcurl's built-in bundle).  Call it at
 * start-up, before clients exist in other threads; it is not synchronised
 * with mt_http_client_new.  MT_ERR_NOMEM.
 */
enum mt_status mt_http_set_default_ca_file(const char *path);

/*
 * The first of count paths that names a readable file, or NULL.  With
 * paths NULL, searches the usual bundle locations, Amazon Linux's first:
 * /etc/pki/tls/certs/ca-bundle.crt, /etc/ssl/certs/ca-certificates.crt,
 * /etc/ssl/cert.pem.  The result points into paths (or static storage).
 */
const char *mt_http_find_ca_file(const char *const *paths, size_t count);

/*
 * Appends "scheme://host[:port]/path" of url to out: no userinfo, query or
 * fragment, so it is safe in errors and logs.  An unparseable URL gives
 * "(invalid URL)".  MT_ERR_TOO_LARGE, MT_ERR_NOMEM.
 */
enum mt_status mt_http_url_redact(struct mt_buf *out, const char *url);

#endif
