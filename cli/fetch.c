/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTPS GETs for the SNS verifier (signing certificates) and for confirming
 * subscriptions (SubscribeURL), through the shared HTTP client (http.h).
 *
 * Only https is spoken, redirects are never followed, no proxy is used
 * whatever the environment says, peers and host names are always verified,
 * link-local addresses are refused, and network failures and 5xx answers are
 * retried with backoff within a 15-second deadline.  Only HTTP 200 counts as
 * success.  Each call uses a client of its own, so the function is safe to
 * call from several threads; fetches are rare (certificates are cached).
 */
#include "cli.h"

#include "mt/clock.h"
#include "mt/http.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#define FETCH_DEADLINE_MS 15000

/*
 * True when entry is HOST:PORT:ADDR:PORT with both ports from 1 to 65535 and
 * ADDR an IPv4 loopback address (an entry has exactly three colons, so it
 * cannot hold an IPv6 address).
 */
static bool connect_to_loopback(const char *entry)
{
    char fields[4][256];
    const char *p = entry;
    unsigned char bin[4];
    uint64_t port;

    for (int i = 0; i < 4; i++) {
        size_t len = i < 3 ? strcspn(p, ":") : strlen(p);
        if (len == 0 || len >= sizeof(fields[i]) || (i < 3 && p[len] != ':'))
            return false;
        memcpy(fields[i], p, len);
        fields[i][len] = '\0';
        p += len + (i < 3);
    }
    if (strchr(fields[3], ':') != NULL || !cli_parse_number(fields[1], 1, 65535, &port) ||
        !cli_parse_number(fields[3], 1, 65535, &port))
        return false;
    return inet_pton(AF_INET, fields[2], bin) == 1 && bin[0] == 127;
}

enum mt_status cli_fetch_check_connect_to(const char *entry, struct mt_err *err)
{
    if (!connect_to_loopback(entry))
        return mt_err_set(err, MT_ERR_CONFIG, "--connect-to '%s' must be HOST:PORT:ADDR:PORT "
                          "with a loopback ADDR (it exists for tests only)", entry);
    return MT_OK;
}

/* Accepts 200 only; retries what the default retries (network, 429, 5xx). */
static enum mt_http_verdict accept_200(void *ctx, const struct mt_http_response *resp)
{
    (void)ctx;
    if (resp->status == 200)
        return MT_HTTP_ACCEPT;
    return mt_http_classify_default(NULL, resp) == MT_HTTP_RETRY ? MT_HTTP_RETRY : MT_HTTP_FAIL;
}

enum mt_status cli_fetch_https(void *ctx, const char *url, struct mt_buf *body,
                               struct mt_err *err)
{
    const struct cli_fetch *f = ctx;
    struct mt_http_options opts = {
        .connect_timeout_ms = 5000,
        .attempt_timeout_ms = 10000,
        .max_attempts = 3,
        .max_response_bytes = body->max,
        .ca_file = f != NULL ? f->ca_file : NULL,
        .connect_to = f != NULL ? f->connect_to : NULL,
        .connect_to_count = f != NULL ? f->connect_to_count : 0,
        .https_only = true,
    };
    struct mt_http_client *client = NULL;
    struct mt_http_response resp;

    enum mt_status st = mt_http_client_new(&opts, &client, err);
    if (st != MT_OK)
        return st;

    struct mt_http_request req = {
        .method = "GET",
        .url = url,
        .deadline_ms = mt_time_monotonic_ms() + FETCH_DEADLINE_MS,
        .classify = accept_200,
    };
    mt_http_response_init(&resp);
    st = mt_http_client_send(client, &req, &resp, err);
    if (st == MT_OK)
        st = mt_buf_append(body, resp.body.data ? resp.body.data : "", resp.body.len);
    if (st == MT_ERR_TOO_LARGE)
        mt_err_set(err, st, "GET '%s': response larger than %zu bytes", url, body->max);
    mt_http_response_cleanup(&resp);
    mt_http_client_free(client);
    return st;
}
