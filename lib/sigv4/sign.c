/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SigV4 signer: canonical headers, canonical request, string to sign,
 * signing key and signature, following the IAM user guide ("Elements of an
 * AWS API request signature") and, for S3, the S3 API reference
 * ("Authenticating Requests: Using the Authorization Header").
 *
 * The signer adds x-amz-date, the session token and, under
 * MT_SIGV4_SIGN_BODY, x-amz-content-sha256 to the caller's headers before
 * sorting them; it never looks at a clock.  Key material ("AWS4" + secret and
 * every derived key) lives on the stack and is wiped before returning.
 */
#include "sigv4_int.h"

#include "mt/clock.h"
#include "mt/digest.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest secret access key accepted; AWS issues 40-character secrets. */
#define SECRET_MAX 256

/* A header after canonicalisation: lower-case name, canonical value. */
struct canon_header {
    char *name;      /* owned, NUL-terminated */
    char *value;     /* owned, NUL-terminated */
    size_t position; /* order given, to keep duplicate values in order */
};

void mt_sigv4_result_init(struct mt_sigv4_result *result)
{
    memset(result, 0, sizeof(*result));
    mt_buf_init(&result->authorization, 0);
    mt_buf_init(&result->canonical_request, 0);
    mt_buf_init(&result->string_to_sign, 0);
}

void mt_sigv4_result_cleanup(struct mt_sigv4_result *result)
{
    mt_buf_cleanup(&result->authorization);
    mt_buf_cleanup(&result->canonical_request);
    mt_buf_cleanup(&result->string_to_sign);
    result->added_count = 0;
}

bool mt_sigv4_hmac_sha256(struct mt_str key, struct mt_str msg, unsigned char out[32])
{
    unsigned int len = 0;
    static const unsigned char empty[1];
    const void *k = key.len ? (const void *)key.ptr : empty;
    const unsigned char *m = msg.len ? (const unsigned char *)msg.ptr : empty;

    if (HMAC(EVP_sha256(), k, (int)key.len, m, msg.len, out, &len) == NULL || len != 32) {
        mt_secure_zero(out, 32);
        return false;
    }
    return true;
}

bool mt_sigv4_derive_key(struct mt_str secret, struct mt_str date, struct mt_str region,
                         struct mt_str service, unsigned char out[32])
{
    char seed[4 + SECRET_MAX];
    unsigned char k1[32];
    unsigned char k2[32];
    bool ok = secret.len <= SECRET_MAX;

    if (ok) {
        memcpy(seed, "AWS4", 4);
        memcpy(seed + 4, secret.ptr, secret.len);
    }
    ok = ok && mt_sigv4_hmac_sha256((struct mt_str){seed, 4 + secret.len}, date, k1);
    ok = ok && mt_sigv4_hmac_sha256((struct mt_str){(char *)k1, 32}, region, k2);
    ok = ok && mt_sigv4_hmac_sha256((struct mt_str){(char *)k2, 32}, service, k1);
    ok = ok && mt_sigv4_hmac_sha256((struct mt_str){(char *)k1, 32}, MT_STR_LIT("aws4_request"),
                                    out);

    mt_secure_zero(seed, sizeof(seed));
    mt_secure_zero(k1, sizeof(k1));
    mt_secure_zero(k2, sizeof(k2));
    if (!ok)
        mt_secure_zero(out, 32);
    return ok;
}

static bool is_hex_hash(const char *s)
{
    if (strlen(s) != MT_SIGV4_HEX_LEN)
        return false;
    for (const char *p = s; *p; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    }
    return true;
}

/* Fills result->payload_hash from the request. */
static enum mt_status payload_hash(const struct mt_sigv4_config *config,
                                   const struct mt_sigv4_request *req,
                                   struct mt_sigv4_result *result, struct mt_err *err)
{
    const char *given = req->payload_hash;

    if (given == NULL) {
        mt_sha256_hex(req->payload, result->payload_hash);
        return MT_OK;
    }
    bool unsigned_ok = (config->flags & MT_SIGV4_ALLOW_UNSIGNED) != 0;
    if (strcmp(given, MT_SIGV4_UNSIGNED_PAYLOAD) == 0 && !unsigned_ok)
        return mt_err_set(err, MT_ERR_INVALID,
                          "payload hash UNSIGNED-PAYLOAD is not allowed for service '%.*s'",
                          (int)config->service.len, config->service.ptr);
    if (strcmp(given, MT_SIGV4_UNSIGNED_PAYLOAD) != 0 && !is_hex_hash(given))
        return mt_err_set(err, MT_ERR_INVALID,
                          "payload hash is not 64 lower-case hex digits");
    snprintf(result->payload_hash, sizeof(result->payload_hash), "%s", given);
    return MT_OK;
}

static bool name_is(struct mt_str name, const char *lower)
{
    if (name.len != strlen(lower))
        return false;
    for (size_t i = 0; i < name.len; i++) {
        char c = name.ptr[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lower[i])
            return false;
    }
    return true;
}

static bool has_control(struct mt_str s)
{
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return true;
    }
    return false;
}

/* Checks the caller's headers: no reserved names, no control bytes, host present. */
static enum mt_status check_headers(const struct mt_sigv4_request *req, struct mt_err *err)
{
    static const char *const reserved[] = {"x-amz-date", "x-amz-security-token",
                                           "x-amz-content-sha256", "authorization"};
    bool host = false;

    for (size_t i = 0; i < req->header_count; i++) {
        const struct mt_sigv4_header *h = &req->headers[i];
        for (size_t r = 0; r < sizeof(reserved) / sizeof(reserved[0]); r++) {
            if (name_is(h->name, reserved[r]))
                return mt_err_set(err, MT_ERR_INVALID,
                                  "header '%s' is added by the signer and must not be given",
                                  reserved[r]);
        }
        if (h->name.len == 0 || has_control(h->name) || has_control(h->value))
            return mt_err_set(err, MT_ERR_INVALID,
                              "header '%.*s' is empty or holds a control character",
                              (int)(h->name.len > 64 ? 64 : h->name.len), h->name.ptr);
        host = host || name_is(h->name, "host");
    }
    if (!host)
        return mt_err_set(err, MT_ERR_INVALID, "request has no host header to sign");
    return MT_OK;
}

static int canon_header_cmp(const void *a, const void *b)
{
    const struct canon_header *ha = a;
    const struct canon_header *hb = b;
    int c = strcmp(ha->name, hb->name);
    if (c != 0)
        return c;
    return ha->position < hb->position ? -1 : ha->position > hb->position;
}

/* Makes one canonical header; false when out of memory. */
static bool canon_header(struct mt_str name, struct mt_str value, size_t position,
                         struct canon_header *out)
{
    struct mt_buf v;

    mt_buf_init(&v, 0);
    out->position = position;
    out->name = strndup(name.ptr, name.len);
    if (out->name == NULL || sigv4_canonical_value(&v, value) != MT_OK ||
        mt_buf_append(&v, "", 0) != MT_OK) {
        mt_buf_cleanup(&v);
        return false;
    }
    for (char *p = out->name; *p; p++) {
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    }
    out->value = v.data;
    return true;
}

/* Canonicalises one header into list[*n] and counts it; false when out of memory. */
static bool add_header(struct canon_header *list, size_t *n, struct mt_str name,
                       struct mt_str value)
{
    if (!canon_header(name, value, *n, &list[*n]))
        return false;
    (*n)++;
    return true;
}

static void free_headers(struct canon_header *list, size_t count)
{
    for (size_t i = 0; list != NULL && i < count; i++) {
        free(list[i].name);
        free(list[i].value);
    }
    free(list);
}

/*
 * Collects the caller's headers plus the ones the signer signs, sorted by
 * name with duplicates in the order given.  *count receives the number.
 */
static enum mt_status collect_headers(const struct mt_sigv4_config *config,
                                      const struct mt_sigv4_credentials *creds,
                                      const struct mt_sigv4_request *req,
                                      const struct mt_sigv4_result *result,
                                      struct canon_header **out, size_t *count)
{
    size_t max = req->header_count + 3;
    struct canon_header *list = calloc(max, sizeof(*list));
    size_t n = 0;
    bool ok = list != NULL;
    bool body = (config->flags & MT_SIGV4_SIGN_BODY) != 0;
    bool token = creds->session_token.len > 0 && !(config->flags & MT_SIGV4_UNSIGNED_TOKEN);

    for (size_t i = 0; ok && i < req->header_count; i++)
        ok = add_header(list, &n, req->headers[i].name, req->headers[i].value);
    ok = ok && add_header(list, &n, MT_STR_LIT("x-amz-date"), mt_str_from_cstr(result->amz_date));
    if (body)
        ok = ok && add_header(list, &n, MT_STR_LIT("x-amz-content-sha256"),
                              mt_str_from_cstr(result->payload_hash));
    if (token)
        ok = ok && add_header(list, &n, MT_STR_LIT("x-amz-security-token"), creds->session_token);

    if (!ok) {
        free_headers(list, max);
        return MT_ERR_NOMEM;
    }
    qsort(list, n, sizeof(*list), canon_header_cmp);
    *out = list;
    *count = n;
    return MT_OK;
}

/* Appends "name:v1,v2\n" lines, then a blank line, then "name;name". */
static enum mt_status append_headers(struct mt_buf *creq, struct mt_buf *signed_names,
                                     const struct canon_header *list, size_t count)
{
    enum mt_status st = MT_OK;

    for (size_t i = 0; st == MT_OK && i < count; i++) {
        bool same = i > 0 && strcmp(list[i].name, list[i - 1].name) == 0;
        bool last = i + 1 == count || strcmp(list[i].name, list[i + 1].name) != 0;
        if (same) {
            st = mt_buf_appendf(creq, ",%s", list[i].value);
        } else {
            st = mt_buf_appendf(creq, "%s:%s", list[i].name, list[i].value);
            if (st == MT_OK)
                st = mt_buf_appendf(signed_names, "%s%s", i ? ";" : "", list[i].name);
        }
        if (st == MT_OK && last)
            st = mt_buf_append_byte(creq, '\n');
    }
    if (st == MT_OK)
        st = mt_buf_append_byte(creq, '\n');
    if (st == MT_OK)
        st = mt_buf_append(creq, signed_names->data, signed_names->len);
    return st;
}

/* Builds the canonical request into result and the signed header list into signed_names. */
static enum mt_status canonical_request(const struct mt_sigv4_config *config,
                                        const struct mt_sigv4_credentials *creds,
                                        const struct mt_sigv4_request *req,
                                        struct mt_sigv4_result *result,
                                        struct mt_buf *signed_names)
{
    struct mt_buf *creq = &result->canonical_request;
    struct canon_header *list = NULL;
    size_t count = 0;

    mt_buf_reset(creq);
    enum mt_status st = mt_buf_appendf(creq, "%.*s\n", (int)req->method.len, req->method.ptr);
    if (st == MT_OK)
        st = sigv4_canonical_path(creq, req->path, config->flags);
    if (st == MT_OK)
        st = mt_buf_append_byte(creq, '\n');
    if (st == MT_OK)
        st = sigv4_canonical_query(creq, req->query);
    if (st == MT_OK)
        st = mt_buf_append_byte(creq, '\n');

    if (st == MT_OK)
        st = collect_headers(config, creds, req, result, &list, &count);
    if (st == MT_OK)
        st = append_headers(creq, signed_names, list, count);
    if (st == MT_OK)
        st = mt_buf_appendf(creq, "\n%s", result->payload_hash);
    free_headers(list, count);
    return st;
}

/* Writes the scope "YYYYMMDD/region/service/aws4_request" into out. */
static enum mt_status scope(const struct mt_sigv4_config *config, const char *date,
                            struct mt_buf *out)
{
    return mt_buf_appendf(out, "%.8s/%.*s/%.*s/aws4_request", date, (int)config->region.len,
                          config->region.ptr, (int)config->service.len, config->service.ptr);
}

static enum mt_status string_to_sign(const struct mt_sigv4_config *config,
                                     struct mt_sigv4_result *result)
{
    char creq_hash[MT_SIGV4_HEX_LEN + 1];
    struct mt_buf *sts = &result->string_to_sign;

    mt_sha256_hex(mt_buf_str(&result->canonical_request), creq_hash);
    mt_buf_reset(sts);
    enum mt_status st = mt_buf_appendf(sts, "AWS4-HMAC-SHA256\n%s\n", result->amz_date);
    if (st == MT_OK)
        st = scope(config, result->amz_date, sts);
    if (st == MT_OK)
        st = mt_buf_appendf(sts, "\n%s", creq_hash);
    return st;
}

/* Computes result->signature over the string to sign. */
void mt_sigv4_key_cache_cleanup(struct mt_sigv4_key_cache *cache)
{
    mt_secure_zero(cache, sizeof(*cache));
}

/*
 * The digest that identifies what a signing key was derived from: region,
 * service and secret, each length-prefixed so no two triples collide.
 */
static void key_scope(const struct mt_sigv4_config *config,
                      const struct mt_sigv4_credentials *creds, unsigned char out[32])
{
    unsigned char buf[3 * sizeof(size_t) + 256 + SECRET_MAX];
    struct mt_str parts[3] = {config->region, config->service, creds->secret_access_key};
    size_t n = 0;

    for (int i = 0; i < 3; i++) {
        size_t len = parts[i].len < 256 ? parts[i].len : 256;
        memcpy(buf + n, &len, sizeof(len));
        memcpy(buf + n + sizeof(len), parts[i].ptr, len);
        n += sizeof(len) + len;
    }
    mt_sha256((struct mt_str){(const char *)buf, n}, out);
    mt_secure_zero(buf, sizeof(buf));
}

/* Derives the signing key for date, or takes it from the cache. */
static bool signing_key(const struct mt_sigv4_config *config,
                        const struct mt_sigv4_credentials *creds, struct mt_str date,
                        unsigned char key[32])
{
    struct mt_sigv4_key_cache *cache = config->key_cache;
    unsigned char scope[32];

    if (cache == NULL)
        return mt_sigv4_derive_key(creds->secret_access_key, date, config->region,
                                   config->service, key);
    key_scope(config, creds, scope);
    if (cache->valid && memcmp(cache->date, date.ptr, 8) == 0 &&
        memcmp(cache->scope, scope, 32) == 0) {
        memcpy(key, cache->key, 32);
        return true;
    }
    cache->valid = mt_sigv4_derive_key(creds->secret_access_key, date, config->region,
                                       config->service, cache->key);
    memcpy(cache->date, date.ptr, 8);
    cache->date[8] = '\0';
    memcpy(cache->scope, scope, 32);
    memcpy(key, cache->key, 32);
    return cache->valid;
}

static enum mt_status signature(const struct mt_sigv4_config *config,
                                const struct mt_sigv4_credentials *creds,
                                struct mt_sigv4_result *result, struct mt_err *err)
{
    unsigned char key[32];
    unsigned char sig[32];
    struct mt_str date = {result->amz_date, 8};

    bool ok = creds->secret_access_key.len <= SECRET_MAX &&
              signing_key(config, creds, date, key) &&
              mt_sigv4_hmac_sha256((struct mt_str){(char *)key, 32},
                                   mt_buf_str(&result->string_to_sign), sig);
    mt_secure_zero(key, sizeof(key));
    if (!ok)
        return mt_err_set(err, MT_ERR_CREDENTIALS,
                          "cannot derive a signing key (secret longer than %d bytes or "
                          "libcrypto failed)", SECRET_MAX);
    mt_hex_encode(sig, 32, result->signature);
    return MT_OK;
}

static enum mt_status authorization(const struct mt_sigv4_config *config,
                                    const struct mt_sigv4_credentials *creds,
                                    struct mt_sigv4_result *result,
                                    const struct mt_buf *signed_names)
{
    struct mt_buf *a = &result->authorization;

    mt_buf_reset(a);
    enum mt_status st = mt_buf_appendf(a, "AWS4-HMAC-SHA256 Credential=%.*s/",
                                       (int)creds->access_key_id.len, creds->access_key_id.ptr);
    if (st == MT_OK)
        st = scope(config, result->amz_date, a);
    if (st == MT_OK)
        st = mt_buf_appendf(a, ", SignedHeaders=%s, Signature=%s", signed_names->data,
                            result->signature);
    return st;
}

/* Lists the headers to add, in the documented order. */
static void list_added(const struct mt_sigv4_config *config,
                       const struct mt_sigv4_credentials *creds, struct mt_sigv4_result *result)
{
    size_t n = 0;

    if (creds->session_token.len > 0)
        result->added[n++] = (struct mt_sigv4_header){MT_STR_LIT("X-Amz-Security-Token"),
                                                      creds->session_token};
    result->added[n++] = (struct mt_sigv4_header){MT_STR_LIT("X-Amz-Date"),
                                                  mt_str_from_cstr(result->amz_date)};
    if (config->flags & MT_SIGV4_SIGN_BODY)
        result->added[n++] = (struct mt_sigv4_header){MT_STR_LIT("X-Amz-Content-Sha256"),
                                                      mt_str_from_cstr(result->payload_hash)};
    result->added[n++] = (struct mt_sigv4_header){MT_STR_LIT("Authorization"),
                                                  mt_buf_str(&result->authorization)};
    result->added_count = n;
}

static enum mt_status check_inputs(const struct mt_sigv4_config *config,
                                   const struct mt_sigv4_credentials *creds,
                                   const struct mt_sigv4_request *req, struct mt_err *err)
{
    if (creds->access_key_id.len == 0 || creds->secret_access_key.len == 0)
        return mt_err_set(err, MT_ERR_CREDENTIALS, "no access key id or secret key to sign with");
    if (config->region.len == 0 || config->service.len == 0)
        return mt_err_set(err, MT_ERR_INVALID, "no region or service to sign for");
    if (req->method.len == 0)
        return mt_err_set(err, MT_ERR_INVALID, "request has no method to sign");
    if (has_control(creds->session_token) || has_control(creds->access_key_id))
        return mt_err_set(err, MT_ERR_CREDENTIALS, "credentials hold a control character");
    return check_headers(req, err);
}

enum mt_status mt_sigv4_sign(const struct mt_sigv4_config *config,
                             const struct mt_sigv4_credentials *credentials,
                             const struct mt_sigv4_request *req, struct mt_sigv4_result *result,
                             struct mt_err *err)
{
    struct mt_buf signed_names;
    struct mt_tm tm;

    mt_buf_init(&signed_names, 0);
    result->added_count = 0;
    enum mt_status st = check_inputs(config, credentials, req, err);
    if (st != MT_OK)
        goto out;

    mt_time_split(config->time_ms, &tm);
    snprintf(result->amz_date, sizeof(result->amz_date), "%04d%02d%02dT%02d%02d%02dZ", tm.year,
             tm.month, tm.day, tm.hour, tm.minute, tm.second);
    st = payload_hash(config, req, result, err);
    if (st != MT_OK)
        goto out;

    st = canonical_request(config, credentials, req, result, &signed_names);
    if (st == MT_OK)
        st = string_to_sign(config, result);
    if (st != MT_OK) {
        st = mt_err_set(err, st, "cannot build the canonical request: %s", mt_status_str(st));
        goto out;
    }

    st = signature(config, credentials, result, err);
    if (st == MT_OK && authorization(config, credentials, result, &signed_names) != MT_OK)
        st = mt_err_set(err, MT_ERR_NOMEM, "cannot build the Authorization header");
    if (st == MT_OK)
        list_added(config, credentials, result);
out:
    mt_buf_cleanup(&signed_names);
    return st;
}

enum mt_status mt_sigv4_canonical_redacted(const struct mt_sigv4_result *result,
                                           struct mt_buf *out)
{
    static const char prefix[] = "x-amz-security-token:";
    struct mt_str creq = mt_buf_str(&result->canonical_request);
    enum mt_status st = MT_OK;
    size_t start = 0;

    mt_buf_reset(out);
    while (st == MT_OK && start < creq.len) {
        const char *nl = memchr(creq.ptr + start, '\n', creq.len - start);
        size_t end = nl ? (size_t)(nl - creq.ptr) + 1 : creq.len;
        struct mt_str line = {creq.ptr + start, end - start};
        if (line.len >= sizeof(prefix) - 1 && memcmp(line.ptr, prefix, sizeof(prefix) - 1) == 0)
            st = mt_buf_appendf(out, "%s<redacted>%s", prefix, nl ? "\n" : "");
        else
            st = mt_buf_append(out, line.ptr, line.len);
        start = end;
    }
    if (st == MT_OK && out->data == NULL)
        st = mt_buf_append(out, "", 0);
    return st;
}
