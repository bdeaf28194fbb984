/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Client lifecycle: libcurl's one-time global set-up, option defaults and
 * checks, and the CA bundle choice.  Requests themselves are run in send.c.
 *
 * libcurl's global state is initialised once per process through
 * pthread_once and never torn down, because other clients may still be in
 * use in other threads when any one of them is freed.
 */
#include "http_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_once_t s_curl_once = PTHREAD_ONCE_INIT;
static CURLcode s_curl_init_rc = CURLE_FAILED_INIT;
static char *s_default_ca_file;

/* Amazon Linux (the Lambda runtime) first, then Debian and Alpine, then BSD and macOS. */
static const char *const s_ca_candidates[] = {
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/ssl/cert.pem",
};

static void init_curl_once(void)
{
    s_curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/*
 * LIMITATION: the default is a plain static, not synchronised with
 * mt_http_client_new; changing it while another thread creates a client is a
 * data race, so it must be set once at start-up.
 */
enum mt_status mt_http_set_default_ca_file(const char *path)
{
    char *copy = NULL;
    if (path != NULL && (copy = strdup(path)) == NULL)
        return MT_ERR_NOMEM;

    free(s_default_ca_file);
    s_default_ca_file = copy;
    return MT_OK;
}

const char *mt_http_find_ca_file(const char *const *paths, size_t count)
{
    if (paths == NULL) {
        paths = s_ca_candidates;
        count = sizeof(s_ca_candidates) / sizeof(s_ca_candidates[0]);
    }

    for (size_t i = 0; i < count; i++) {
        struct stat st;
        if (paths[i] != NULL && stat(paths[i], &st) == 0 && S_ISREG(st.st_mode) &&
            access(paths[i], R_OK) == 0)
            return paths[i];
    }
    return NULL;
}

/* value, or fallback when value is 0. */
static int64_t or_default(int64_t value, int64_t fallback)
{
    return value != 0 ? value : fallback;
}

/* Copies the numeric options into c, applying defaults; rejects negative ones. */
static enum mt_status apply_numbers(struct mt_http_client *c, const struct mt_http_options *o,
                                    struct mt_err *err)
{
    if (o->connect_timeout_ms < 0 || o->attempt_timeout_ms < 0 || o->max_attempts < 0 ||
        o->backoff_base_ms < 0 || o->backoff_cap_ms < 0)
        return mt_err_set(err, MT_ERR_INVALID, "HTTP client options: negative timeout or count");

    c->connect_timeout_ms = or_default(o->connect_timeout_ms, MT_HTTP_DEFAULT_CONNECT_TIMEOUT_MS);
    c->attempt_timeout_ms = or_default(o->attempt_timeout_ms, MT_HTTP_DEFAULT_ATTEMPT_TIMEOUT_MS);
    c->backoff_base_ms = or_default(o->backoff_base_ms, MT_HTTP_DEFAULT_BACKOFF_BASE_MS);
    c->backoff_cap_ms = or_default(o->backoff_cap_ms, MT_HTTP_DEFAULT_BACKOFF_CAP_MS);
    c->max_attempts = o->max_attempts != 0 ? o->max_attempts : MT_HTTP_DEFAULT_MAX_ATTEMPTS;
    c->max_response_bytes = o->max_response_bytes != 0 ? o->max_response_bytes
                                                       : MT_HTTP_DEFAULT_MAX_RESPONSE_BYTES;
    c->https_only = o->https_only;
    c->follow_redirects = o->follow_redirects;
    return MT_OK;
}

/* True when entry looks like "host:port:address" (libcurl checks the rest). */
static bool resolve_entry_ok(const char *entry)
{
    const char *first = entry != NULL ? strchr(entry, ':') : NULL;
    return first != NULL && first != entry && strchr(first + 1, ':') != NULL;
}

/* True when entry looks like "host:port:address:port". */
static bool connect_to_entry_ok(const char *entry)
{
    const char *p = entry;
    for (int colons = 0; colons < 3; colons++) {
        p = p != NULL ? strchr(p, ':') : NULL;
        if (p == NULL || p[1] == '\0')
            return false;
        p++;
    }
    return strchr(p, ':') == NULL;
}

/* Appends count checked entries to *list; form names the expected shape. */
static enum mt_status copy_list(struct curl_slist **list, const char *const *entries,
                                size_t count, bool (*ok)(const char *), const char *what,
                                const char *form, struct mt_err *err)
{
    for (size_t i = 0; i < count; i++) {
        if (!ok(entries[i]))
            return mt_err_set(err, MT_ERR_INVALID, "HTTP client option %s[%zu] is not '%s'",
                              what, i, form);
        struct curl_slist *grown = curl_slist_append(*list, entries[i]);
        if (grown == NULL)
            return mt_err_set(err, MT_ERR_NOMEM, "out of memory copying HTTP client options");
        *list = grown;
    }
    return MT_OK;
}

/* Copies the override lists and the CA and proxy strings into c. */
static enum mt_status copy_strings(struct mt_http_client *c, const struct mt_http_options *o,
                                   struct mt_err *err)
{
    enum mt_status st = copy_list(&c->resolve, o->resolve, o->resolve_count, resolve_entry_ok,
                                  "resolve", "host:port:address", err);
    if (st == MT_OK)
        st = copy_list(&c->connect_to, o->connect_to, o->connect_to_count, connect_to_entry_ok,
                       "connect_to", "host:port:address:port", err);
    if (st != MT_OK)
        return st;

    const char *ca = o->ca_file != NULL ? o->ca_file : s_default_ca_file;
    if (ca != NULL && (c->ca_file = strdup(ca)) == NULL)
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory copying HTTP client options");
    if (o->proxy != NULL && (c->proxy = strdup(o->proxy)) == NULL)
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory copying HTTP client options");
    return MT_OK;
}

enum mt_status mt_http_client_new(const struct mt_http_options *options,
                                  struct mt_http_client **out, struct mt_err *err)
{
    static const struct mt_http_options no_options;
    const struct mt_http_options *o = options != NULL ? options : &no_options;
    enum mt_status st = MT_ERR_NOMEM;

    *out = NULL;
    pthread_once(&s_curl_once, init_curl_once);
    if (s_curl_init_rc != CURLE_OK)
        return mt_err_set(err, MT_ERR_HTTP, "libcurl could not be initialised: %s",
                          curl_easy_strerror(s_curl_init_rc));

    struct mt_http_client *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return mt_err_set(err, st, "out of memory creating an HTTP client");
    mt_http_headers_init(&c->extra);

    st = apply_numbers(c, o, err);
    if (st == MT_OK)
        st = copy_strings(c, o, err);
    if (st != MT_OK)
        goto out;

    c->curl = curl_easy_init();
    if (c->curl == NULL) {
        st = mt_err_set(err, MT_ERR_HTTP, "libcurl could not create a transfer handle");
        goto out;
    }
    *out = c;
out:
    if (st != MT_OK)
        mt_http_client_free(c);
    return st;
}

void mt_http_client_free(struct mt_http_client *client)
{
    if (client == NULL)
        return;

    curl_easy_cleanup(client->curl);
    curl_slist_free_all(client->resolve);
    curl_slist_free_all(client->connect_to);
    free(client->ca_file);
    free(client->proxy);
    mt_http_headers_cleanup(&client->extra);
    free(client);
}
