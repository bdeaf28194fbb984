/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_HTTP_INT_H
#define MT_HTTP_INT_H

/*
 * Internals shared by the files of lib/http and its tests: the backoff
 * arithmetic, the link-local address guard and URL dissection.
 */

#include "mt/http.h"

#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

struct sockaddr;

/* A client: one easy handle, whose connection cache gives keep-alive. */
struct mt_http_client {
    CURL *curl;
    struct curl_slist *resolve;    /* CURLOPT_RESOLVE entries, or NULL */
    struct curl_slist *connect_to; /* CURLOPT_CONNECT_TO entries, or NULL */
    char *ca_file;                 /* owned; NULL: libcurl's built-in bundle */
    char *proxy;                   /* owned; NULL: no proxy at all */
    int64_t connect_timeout_ms;    /* options with defaults applied */
    int64_t attempt_timeout_ms;
    int64_t backoff_base_ms;
    int64_t backoff_cap_ms;
    int max_attempts;
    size_t max_response_bytes;
    bool https_only;
    bool follow_redirects;
    struct mt_http_headers extra;  /* the prepare hook's headers for the current attempt */
    char errbuf[CURL_ERROR_SIZE];  /* libcurl's text for the last failed transfer */
};

/*
 * The full-jitter backoff before retry number retry (1 for the wait after
 * the first attempt): random reduced into [0, min(cap_ms, base_ms *
 * 2^(retry-1))].  Never negative, never above cap_ms; safe for any retry.
 */
int64_t http_backoff_ms(int retry, int64_t base_ms, int64_t cap_ms, uint64_t random);

/* 64 random bits from OpenSSL's RAND_bytes; UINT64_MAX when it fails. */
uint64_t http_random_u64(void);

/*
 * Sleeps until the monotonic clock reaches until_ms (restarting after
 * signals).  Returns at once when it already has.
 */
void http_sleep_until(int64_t until_ms);

/* True when the IPv4 or IPv6 socket address is link-local or a metadata address. */
bool http_sockaddr_is_link_local(const struct sockaddr *sa);

/*
 * True when host (a URL's host part: a name, a dotted or numeric IPv4
 * literal, or a bracketed IPv6 literal with an optional zone) is a literal
 * link-local or metadata address.  Names are not resolved.
 */
bool http_host_is_link_local(const char *host);

/*
 * True when name and value may be sent as a header: name non-empty without
 * ':', space, CR, LF or NUL; value without CR, LF or NUL.
 */
bool http_header_valid(struct mt_str name, struct mt_str value);

/* The parts of a URL that requests are judged and described by. */
struct http_url {
    struct mt_buf redacted; /* scheme://host[:port]/path */
    bool https;             /* the scheme is https */
    bool link_local;        /* the host is a literal link-local address */
};

/*
 * Dissects an absolute URL.  MT_ERR_INVALID (naming the redacted URL where
 * possible) when it does not parse or its scheme is neither http nor https.
 * out->redacted must be initialised; it is filled even on failure.
 */
enum mt_status http_url_parse(const char *url, struct http_url *out, struct mt_err *err);

#endif
