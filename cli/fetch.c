/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTPS GETs for the SNS verifier (signing certificates) and for confirming
 * subscriptions (SubscribeURL), over libcurl.
 *
 * Only https is spoken, redirects are never followed, no proxy is used
 * whatever the environment says, peers and host names are always verified,
 * and every request is bounded by a connect and a total timeout and by the
 * caller's body cap.  Only HTTP 200 counts as success.  One easy handle per
 * request keeps the function safe to call from several threads at once.
 *
 * LIMITATION: this is a small libcurl caller of its own, without retries;
 * a failed certificate fetch fails that one message (SNS retries it later),
 * and a failed confirmation must be retried by SNS or done by hand.  The
 * shared HTTP client (http.h) has host overrides that keep the port only,
 * which the tests' stand-in on a free port cannot use.
 */
#include "cli.h"

#include "mt/log.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#define CONNECT_TIMEOUT_MS 5000L
#define TOTAL_TIMEOUT_MS 15000L

struct sink {
    struct mt_buf *body;
    bool too_large;
};

static size_t write_body(char *ptr, size_t size, size_t nmemb, void *ctx)
{
    struct sink *s = ctx;
    size_t n = size * nmemb;
    if (mt_buf_append(s->body, ptr, n) != MT_OK) {
        s->too_large = true;
        return 0;
    }
    return n;
}

enum mt_status cli_fetch_global_init(struct mt_err *err)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return mt_err_set(err, MT_ERR_HTTP, "cannot initialise libcurl");
    return MT_OK;
}

/* True when entry is HOST:PORT:ADDR:PORT with ADDR a loopback address. */
static bool connect_to_loopback(const char *entry)
{
    char host[256], addr[64];
    unsigned port1, port2;
    unsigned char bin[16];

    if (sscanf(entry, "%255[^:]:%u:%63[^:]:%u", host, &port1, addr, &port2) != 4 ||
        port1 == 0 || port1 > 65535 || port2 == 0 || port2 > 65535)
        return false;
    if (inet_pton(AF_INET, addr, bin) == 1)
        return bin[0] == 127;
    return strcmp(addr, "::1") == 0;
}

enum mt_status cli_fetch_check_connect_to(const char *entry, struct mt_err *err)
{
    if (!connect_to_loopback(entry))
        return mt_err_set(err, MT_ERR_CONFIG, "--connect-to '%s' must be HOST:PORT:ADDR:PORT "
                          "with a loopback ADDR (it exists for tests only)", entry);
    return MT_OK;
}

/* Applies the fixed safety options and the test-only overrides. */
static bool configure(CURL *h, const struct cli_fetch *f, struct curl_slist **connect_to)
{
    bool ok = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https") == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https") == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_PROXY, "") == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, TOTAL_TIMEOUT_MS) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_USERAGENT, "mailtrack/" MT_VERSION) == CURLE_OK;

    if (ok && f != NULL && f->ca_file != NULL)
        ok = curl_easy_setopt(h, CURLOPT_CAINFO, f->ca_file) == CURLE_OK;
    for (size_t i = 0; ok && f != NULL && i < f->connect_to_count; i++) {
        struct curl_slist *n = curl_slist_append(*connect_to, f->connect_to[i]);
        ok = n != NULL;
        if (ok)
            *connect_to = n;
    }
    if (ok && *connect_to != NULL)
        ok = curl_easy_setopt(h, CURLOPT_CONNECT_TO, *connect_to) == CURLE_OK;
    return ok;
}

/* The status for a failed transfer. */
static enum mt_status transfer_status(CURLcode rc, bool too_large)
{
    if (too_large)
        return MT_ERR_TOO_LARGE;
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return MT_ERR_TIMEOUT;
    if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST)
        return MT_ERR_CONNECT;
    return MT_ERR_HTTP;
}

enum mt_status cli_fetch_https(void *ctx, const char *url, struct mt_buf *body,
                               struct mt_err *err)
{
    const struct cli_fetch *f = ctx;
    struct curl_slist *connect_to = NULL;
    struct sink sink = {.body = body};
    long status = 0;
    enum mt_status st = MT_OK;
    CURL *h = curl_easy_init();

    if (h == NULL || !configure(h, f, &connect_to) ||
        curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_body) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink) != CURLE_OK) {
        st = mt_err_set(err, MT_ERR_HTTP, "cannot set up a request for '%s'", url);
        goto done;
    }

    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK)
        st = mt_err_set(err, transfer_status(rc, sink.too_large), "GET '%s' failed: %s", url,
                        sink.too_large ? "response too large" : curl_easy_strerror(rc));
    else if (status != 200)
        st = mt_err_set(err, MT_ERR_HTTP, "GET '%s' answered HTTP %ld", url, status);
    MT_LOG(MT_LOG_DEBUG, "cli", "https_get", "GET '%s': HTTP %ld", url, status);
done:
    curl_slist_free_all(connect_to);
    curl_easy_cleanup(h);
    return st;
}
