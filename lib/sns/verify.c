/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The verifier: the topic allow-list, the signature version, the URL checks,
 * and RSA PKCS#1 v1.5 verification with SHA-1 (SignatureVersion 1) or
 * SHA-256 (SignatureVersion 2) through OpenSSL 3's EVP interface.
 *
 * Certificates are looked up by URL in a small in-memory cache, then in the
 * certificate folder (DIR/<host>/<file>), then fetched through the caller's
 * callback; whatever is loaded is checked (X.509, within its dates, named
 * for an SNS host, RSA of 2048 bits or more) before it is cached, and a
 * fetched certificate is written to the folder.  The cache is bounded and
 * evicts the least recently used entry; the lock is never held across a
 * fetch.  Fetches are limited: only fetch_max run at once (others are
 * refused, not queued), and a URL whose fetch failed is not fetched again
 * for failure_hold_ms.  Nothing is fetched for a message whose signature
 * cannot be an RSA signature of an accepted size.
 *
 * LIMITATION: the signing certificate's chain is not verified; its
 * provenance rests on the host checks and on the TLS verification of the
 * fetch (or on whoever filled the certificate folder).  A certificate put in
 * the folder by hand is trusted if it passes the checks above.
 *
 * LIMITATION: Timestamp is not checked for freshness; a replayed genuine
 * message stores nothing new (writes are idempotent) unless its rows were
 * deleted since.
 */
#include "sns_int.h"

#include "mt/clock.h"
#include "mt/log.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_CACHE_MAX 32
#define MAX_CERT_BYTES ((size_t)64 * 1024)
#define MAX_SIGNATURE_B64 2048
#define MIN_RSA_BITS 2048
#define DEFAULT_FETCH_MAX 1
#define DEFAULT_FAILURE_HOLD_MS 15000
#define FAILED_URLS 64 /* failed fetches remembered */

struct cert_entry {
    char *url;
    X509 *cert;
    EVP_PKEY *key;
    unsigned long last_used; /* the verifier's tick at the last lookup */
};

/* A certificate URL whose fetch failed, and how. */
struct failed_fetch {
    char *url; /* NULL: slot unused */
    int64_t at_ms;
    enum mt_status status;
};

struct mt_sns_verifier {
    char **topics;
    size_t topic_count;
    char *cert_dir; /* NULL when none */
    mt_sns_fetch_fn fetch;
    void *fetch_ctx;

    pthread_mutex_t lock; /* guards everything below */
    struct cert_entry *cache;
    size_t cache_count, cache_max;
    unsigned long tick;
    size_t fetches;
    size_t fetching, fetch_max;
    struct failed_fetch failed[FAILED_URLS];
    size_t failed_next; /* slot the next failure overwrites */
    long failure_hold_ms;
};

static const char *const s_reason_names[] = {
    [MT_SNS_ACCEPTED] = "accepted",
    [MT_SNS_MALFORMED] = "malformed",
    [MT_SNS_TOPIC] = "topic",
    [MT_SNS_VERSION] = "version",
    [MT_SNS_CERT_URL] = "cert_url",
    [MT_SNS_SUBSCRIBE_URL] = "subscribe_url",
    [MT_SNS_CERT_UNAVAILABLE] = "cert_unavailable",
    [MT_SNS_CERT_INVALID] = "cert_invalid",
    [MT_SNS_SIGNATURE] = "signature",
};

const char *mt_sns_reason_name(enum mt_sns_reason reason)
{
    if ((unsigned)reason >= MT_SNS_REASON_COUNT)
        return "unknown";
    return s_reason_names[reason];
}

static char *dup_cstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

static void free_entry(struct cert_entry *e)
{
    free(e->url);
    X509_free(e->cert);
    EVP_PKEY_free(e->key);
    memset(e, 0, sizeof(*e));
}

void mt_sns_verifier_free(struct mt_sns_verifier *v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < v->topic_count; i++)
        free(v->topics[i]);
    for (size_t i = 0; i < v->cache_count; i++)
        free_entry(&v->cache[i]);
    for (size_t i = 0; i < FAILED_URLS; i++)
        free(v->failed[i].url);
    free(v->topics);
    free(v->cache);
    free(v->cert_dir);
    pthread_mutex_destroy(&v->lock);
    free(v);
}

/* Copies and checks the allow-list. */
static enum mt_status copy_topics(struct mt_sns_verifier *v, const char *const *topics,
                                  size_t count, struct mt_err *err)
{
    if (count == 0)
        return mt_err_set(err, MT_ERR_CONFIG, "no SNS topic is allowed; give at least one");
    v->topics = calloc(count, sizeof(*v->topics));
    if (v->topics == NULL)
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory copying the topic allow-list");
    for (size_t i = 0; i < count; i++) {
        if (topics[i] == NULL || mt_sns_topic_region(mt_str_from_cstr(topics[i])).ptr == NULL)
            return mt_err_set(err, MT_ERR_CONFIG, "'%s' is not an SNS topic ARN",
                              topics[i] ? topics[i] : "(null)");
        v->topics[i] = dup_cstr(topics[i]);
        if (v->topics[i] == NULL)
            return mt_err_set(err, MT_ERR_NOMEM, "out of memory copying the topic allow-list");
        v->topic_count++;
    }
    return MT_OK;
}

enum mt_status mt_sns_verifier_new(const struct mt_sns_verifier_options *o,
                                   struct mt_sns_verifier **out, struct mt_err *err)
{
    struct mt_sns_verifier *v = calloc(1, sizeof(*v));

    *out = NULL;
    if (v == NULL || pthread_mutex_init(&v->lock, NULL) != 0) {
        free(v);
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory creating the SNS verifier");
    }
    v->fetch = o->fetch;
    v->fetch_ctx = o->fetch_ctx;
    v->cache_max = o->cache_max ? o->cache_max : DEFAULT_CACHE_MAX;
    v->fetch_max = o->fetch_max ? o->fetch_max : DEFAULT_FETCH_MAX;
    v->failure_hold_ms = o->failure_hold_ms > 0 ? o->failure_hold_ms : DEFAULT_FAILURE_HOLD_MS;

    enum mt_status st = copy_topics(v, o->topics, o->topic_count, err);
    if (st == MT_OK && o->cert_dir != NULL && (v->cert_dir = dup_cstr(o->cert_dir)) == NULL)
        st = mt_err_set(err, MT_ERR_NOMEM, "out of memory creating the SNS verifier");
    if (st == MT_OK && (v->cache = calloc(v->cache_max, sizeof(*v->cache))) == NULL)
        st = mt_err_set(err, MT_ERR_NOMEM, "out of memory creating the SNS verifier");
    if (st != MT_OK) {
        mt_sns_verifier_free(v);
        return st;
    }
    *out = v;
    return MT_OK;
}

size_t mt_sns_verifier_fetch_count(struct mt_sns_verifier *v)
{
    pthread_mutex_lock(&v->lock);
    size_t n = v->fetches;
    pthread_mutex_unlock(&v->lock);
    return n;
}

/*
 * True when name is an SNS signing host: under amazonaws.com[.cn], at most two
 * labels before that, the first starting "sns" (sns.amazonaws.com,
 * sns.cn-north-1.amazonaws.com.cn, sns-signing.ap-east-1.amazonaws.com).
 */
static bool sns_cert_name(const char *name, size_t len)
{
    struct mt_str s = {name, len};
    static const char *const suffixes[] = {".amazonaws.com", ".amazonaws.com.cn"};

    if (len < 4 || memcmp(name, "sns", 3) != 0 || memchr(name, '\0', len) != NULL)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
            return false;
    }
    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(suffixes[i]);
        if (s.len <= n || memcmp(s.ptr + s.len - n, suffixes[i], n) != 0)
            continue;
        size_t head = s.len - n; /* the labels before the suffix */
        const char *dot = memchr(name, '.', head);
        if (dot == NULL)
            return true;
        size_t rest = head - (size_t)(dot - name) - 1;
        return rest > 0 && memchr(dot + 1, '.', rest) == NULL;
    }
    return false;
}

/* True when the subject CN or a DNS subject alternative name is an SNS host. */
static bool cert_names_sns(X509 *cert)
{
    char cn[256];
    int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn,
                                      sizeof(cn));
    if (n > 0 && (size_t)n < sizeof(cn) && sns_cert_name(cn, (size_t)n))
        return true;

    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    bool found = false;
    for (int i = 0; names != NULL && i < sk_GENERAL_NAME_num(names) && !found; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
        if (g->type != GEN_DNS)
            continue;
        const ASN1_STRING *dns = g->d.dNSName;
        found = sns_cert_name((const char *)ASN1_STRING_get0_data(dns),
                              (size_t)ASN1_STRING_length(dns));
    }
    GENERAL_NAMES_free(names);
    return found;
}

/* MT_OK when cert is within its validity dates now. */
static enum mt_status check_dates(X509 *cert, const char *url, struct mt_err *err)
{
    if (X509_cmp_current_time(X509_get0_notBefore(cert)) >= 0)
        return mt_err_set(err, MT_ERR_SIGNATURE, "signing certificate '%s' is not valid yet",
                          url);
    if (X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0)
        return mt_err_set(err, MT_ERR_SIGNATURE, "signing certificate '%s' has expired", url);
    return MT_OK;
}

/* Parses and checks a PEM certificate; fills *cert and *key on success. */
static enum mt_status load_cert(struct mt_str pem, const char *url, X509 **cert, EVP_PKEY **key,
                                struct mt_err *err)
{
    enum mt_status st = MT_OK;
    BIO *bio = BIO_new_mem_buf(pem.ptr, (int)pem.len);
    X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    EVP_PKEY *k = x ? X509_get_pubkey(x) : NULL;

    if (x == NULL)
        st = mt_err_set(err, MT_ERR_SIGNATURE, "signing certificate '%s' is not a PEM X.509 "
                        "certificate", url);
    if (st == MT_OK)
        st = check_dates(x, url, err);
    if (st == MT_OK && !cert_names_sns(x))
        st = mt_err_set(err, MT_ERR_SIGNATURE, "signing certificate '%s' is not issued to an "
                        "SNS host name", url);
    if (st == MT_OK && (k == NULL || EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA ||
                        EVP_PKEY_get_bits(k) < MIN_RSA_BITS))
        st = mt_err_set(err, MT_ERR_SIGNATURE, "signing certificate '%s' does not hold an RSA "
                        "key of at least %d bits", url, MIN_RSA_BITS);

    BIO_free(bio);
    if (st != MT_OK) {
        X509_free(x);
        EVP_PKEY_free(k);
        return st;
    }
    *cert = x;
    *key = k;
    return MT_OK;
}

/*
 * Looks url up in the cache.  On a hit, checks the dates again (a cached
 * certificate may expire) and returns a new reference to its key.
 */
static enum mt_status cache_get(struct mt_sns_verifier *v, const char *url, EVP_PKEY **key,
                                bool *hit, struct mt_err *err)
{
    enum mt_status st = MT_OK;

    *hit = false;
    pthread_mutex_lock(&v->lock);
    for (size_t i = 0; i < v->cache_count; i++) {
        struct cert_entry *e = &v->cache[i];
        if (strcmp(e->url, url) != 0)
            continue;
        *hit = true;
        e->last_used = ++v->tick;
        st = check_dates(e->cert, url, err);
        if (st == MT_OK && EVP_PKEY_up_ref(e->key) == 1)
            *key = e->key;
        else if (st == MT_OK)
            st = mt_err_set(err, MT_ERR_NOMEM, "cannot reference a cached certificate key");
        break;
    }
    pthread_mutex_unlock(&v->lock);
    return st;
}

/* Adds a checked certificate (taking cert and key) and returns a new key reference. */
static void cache_put(struct mt_sns_verifier *v, const char *url, X509 *cert, EVP_PKEY *key)
{
    pthread_mutex_lock(&v->lock);
    size_t slot = v->cache_count;
    if (slot == v->cache_max) {
        slot = 0;
        for (size_t i = 1; i < v->cache_count; i++) {
            if (v->cache[i].last_used < v->cache[slot].last_used)
                slot = i;
        }
        free_entry(&v->cache[slot]);
    } else {
        v->cache_count++;
    }
    struct cert_entry *e = &v->cache[slot];
    e->url = dup_cstr(url);
    e->cert = cert;
    e->key = key;
    e->last_used = ++v->tick;
    if (e->url == NULL) { /* cannot keep it; forget it rather than fail the message */
        free_entry(e);
        v->cache[slot] = v->cache[--v->cache_count];
    }
    pthread_mutex_unlock(&v->lock);
}

/* DIR/<host>/<file> into path; false when it does not fit. */
static bool cert_path(const struct mt_sns_verifier *v, const struct mt_sns_url *u, char *path,
                      size_t size)
{
    int n = snprintf(path, size, "%s/%s/%s", v->cert_dir, u->host, u->file);
    return n > 0 && (size_t)n < size;
}

/* Reads the certificate file; MT_ERR_NOT_FOUND when there is none. */
static enum mt_status read_cert_file(const char *path, struct mt_buf *out, struct mt_err *err)
{
    char chunk[4096];
    size_t n;
    enum mt_status st = MT_OK;
    FILE *f = fopen(path, "rb");

    if (f == NULL && errno == ENOENT)
        return MT_ERR_NOT_FOUND;
    if (f == NULL)
        return mt_err_set(err, MT_ERR_IO, "cannot read certificate '%s': %s", path,
                          strerror(errno));
    while (st == MT_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        st = mt_buf_append(out, chunk, n);
    if (st == MT_OK && ferror(f))
        st = mt_err_set(err, MT_ERR_IO, "cannot read certificate '%s'", path);
    else if (st != MT_OK)
        st = mt_err_set(err, st, "certificate '%s' is larger than %zu bytes", path,
                        MAX_CERT_BYTES);
    fclose(f);
    return st;
}

/*
 * Keeps a fetched certificate in the folder: written to a temporary name in
 * the host's folder, then renamed, so a reader never sees half a file.
 * Failure only costs a later fetch, so it is logged, not returned.
 */
static void write_cert_file(const struct mt_sns_verifier *v, const struct mt_sns_url *u,
                            struct mt_str pem)
{
    char dir[4096], path[4096], tmp[4096];

    snprintf(dir, sizeof(dir), "%s/%s", v->cert_dir, u->host);
    if (!cert_path(v, u, path, sizeof(path)) || (mkdir(dir, 0755) != 0 && errno != EEXIST))
        goto fail;
    int n = snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, u->file);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        goto fail;
    int fd = mkstemp(tmp);
    if (fd < 0)
        goto fail;
    bool ok = fchmod(fd, 0644) == 0 && write(fd, pem.ptr, pem.len) == (ssize_t)pem.len &&
              fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (ok && rename(tmp, path) == 0)
        return;
    unlink(tmp);
fail:
    MT_LOG(MT_LOG_DEBUG, "sns", "sns_cert_dir_write_failed", "cannot keep certificate in '%s': %s",
           dir, strerror(errno));
}

/*
 * Takes one of the fetch_max fetch slots for url, or refuses: MT_ERR_BUSY
 * when all are taken, the earlier status when url failed within the hold.
 */
static enum mt_status fetch_begin(struct mt_sns_verifier *v, const char *url,
                                  struct mt_err *err)
{
    int64_t now = mt_time_monotonic_ms();
    enum mt_status st = MT_OK;

    pthread_mutex_lock(&v->lock);
    for (size_t i = 0; i < FAILED_URLS && st == MT_OK; i++) {
        const struct failed_fetch *f = &v->failed[i];
        if (f->url != NULL && now - f->at_ms < v->failure_hold_ms && strcmp(f->url, url) == 0)
            st = mt_err_set(err, f->status, "fetching signing certificate '%s' failed %lld ms "
                            "ago; not tried again for %ld ms after a failure",
                            url, (long long)(now - f->at_ms), v->failure_hold_ms);
    }
    if (st == MT_OK && v->fetching >= v->fetch_max)
        st = mt_err_set(err, MT_ERR_BUSY, "signing certificate '%s' is not held, and %zu other "
                        "fetch%s already running", url, v->fetching,
                        v->fetching == 1 ? " is" : "es are");
    if (st == MT_OK)
        v->fetching++;
    pthread_mutex_unlock(&v->lock);
    return st;
}

/* Gives the slot back; remembers a failure so that url is not fetched again soon. */
static void fetch_end(struct mt_sns_verifier *v, const char *url, enum mt_status st)
{
    char *copy = st != MT_OK ? dup_cstr(url) : NULL;

    pthread_mutex_lock(&v->lock);
    v->fetching--;
    if (st == MT_OK) {
        v->fetches++;
    } else if (copy != NULL) {
        struct failed_fetch *f = &v->failed[v->failed_next];
        free(f->url);
        *f = (struct failed_fetch){.url = copy, .at_ms = mt_time_monotonic_ms(), .status = st};
        v->failed_next = (v->failed_next + 1) % FAILED_URLS;
    }
    pthread_mutex_unlock(&v->lock);
}

/* Finds the certificate's PEM in the folder or by fetching it. */
static enum mt_status find_pem(struct mt_sns_verifier *v, const char *url,
                               const struct mt_sns_url *u, struct mt_buf *pem, bool *fetched,
                               struct mt_err *err)
{
    char path[4096];

    *fetched = false;
    if (v->cert_dir != NULL && cert_path(v, u, path, sizeof(path))) {
        enum mt_status st = read_cert_file(path, pem, err);
        if (st != MT_ERR_NOT_FOUND)
            return st;
    }
    if (v->fetch == NULL)
        return mt_err_set(err, MT_ERR_NOT_FOUND, "signing certificate '%s' is not in the "
                          "certificate folder and fetching is off", url);

    enum mt_status st = fetch_begin(v, url, err);
    if (st != MT_OK)
        return st;
    mt_buf_reset(pem);
    st = v->fetch(v->fetch_ctx, url, pem, err);
    fetch_end(v, url, st);
    if (st != MT_OK)
        return mt_err_set(err, st, "cannot fetch signing certificate '%s'", url);
    *fetched = true;
    MT_LOG(MT_LOG_DEBUG, "sns", "sns_cert_fetched", "fetched signing certificate '%s'", url);
    return MT_OK;
}

/*
 * The public key of the certificate at url, checked; a new reference the
 * caller frees.  *reason tells an unavailable certificate from a bad one.
 */
static enum mt_status get_key(struct mt_sns_verifier *v, const char *url,
                              const struct mt_sns_url *u, EVP_PKEY **key,
                              enum mt_sns_reason *reason, struct mt_err *err)
{
    struct mt_buf pem;
    bool hit, fetched;
    X509 *cert = NULL;

    *reason = MT_SNS_CERT_INVALID;
    enum mt_status st = cache_get(v, url, key, &hit, err);
    if (hit)
        return st;

    mt_buf_init(&pem, MAX_CERT_BYTES);
    st = find_pem(v, url, u, &pem, &fetched, err);
    if (st != MT_OK) {
        *reason = MT_SNS_CERT_UNAVAILABLE;
        goto done;
    }
    st = load_cert(mt_buf_str(&pem), url, &cert, key, err);
    if (st != MT_OK)
        goto done;
    if (fetched && v->cert_dir != NULL)
        write_cert_file(v, u, mt_buf_str(&pem));
    if (EVP_PKEY_up_ref(*key) != 1) {
        st = mt_err_set(err, MT_ERR_NOMEM, "cannot reference a certificate key");
        X509_free(cert);
        EVP_PKEY_free(*key);
        goto done;
    }
    cache_put(v, url, cert, *key);
done:
    mt_buf_cleanup(&pem);
    return st;
}

/* RSA PKCS#1 v1.5 verification of tbs against sig with md. */
static enum mt_status verify_rsa(EVP_PKEY *key, const EVP_MD *md, struct mt_str tbs,
                                 const unsigned char *sig, size_t sig_len, struct mt_err *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
             EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)tbs.ptr, tbs.len) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return mt_err_set(err, MT_ERR_SIGNATURE, "SNS signature does not verify");
    return MT_OK;
}

static bool topic_allowed(const struct mt_sns_verifier *v, struct mt_str arn)
{
    for (size_t i = 0; i < v->topic_count; i++) {
        if (mt_str_eq_cstr(arn, v->topics[i]))
            return true;
    }
    return false;
}

/* The digest of a SignatureVersion, or NULL when it is not "1" or "2". */
static const EVP_MD *version_digest(struct mt_str version)
{
    if (mt_str_eq_cstr(version, "1"))
        return EVP_sha1();
    if (mt_str_eq_cstr(version, "2"))
        return EVP_sha256();
    return NULL;
}

/* Records reason and returns st; for the many exits of mt_sns_verify. */
static enum mt_status refuse(enum mt_sns_reason *out, enum mt_sns_reason reason,
                             enum mt_status st)
{
    if (out != NULL)
        *out = reason;
    return st;
}

/* The checks that need neither the certificate nor the signature bytes. */
static enum mt_status check_envelope(const struct mt_sns_verifier *v,
                                     const struct mt_sns_message *m, struct mt_sns_url *cert_url,
                                     enum mt_sns_reason *reason, struct mt_err *err)
{
    int n = m->topic_arn.len > 200 ? 200 : (int)m->topic_arn.len;

    if (!topic_allowed(v, m->topic_arn))
        return refuse(reason, MT_SNS_TOPIC, mt_err_set(err, MT_ERR_TOPIC,
                      "SNS topic '%.*s' is not on the allow-list", n, m->topic_arn.ptr));
    if (version_digest(m->signature_version) == NULL)
        return refuse(reason, MT_SNS_VERSION, mt_err_set(err, MT_ERR_SIGNATURE,
                      "SNS SignatureVersion is %s; only \"1\" and \"2\" are accepted",
                      m->signature_version.ptr ? "not one this verifier knows" : "missing"));

    struct mt_str region = mt_sns_topic_region(m->topic_arn);
    enum mt_status st = mt_sns_url_check(m->signing_cert_url, MT_SNS_URL_CERT, region, cert_url,
                                         err);
    if (st != MT_OK)
        return refuse(reason, MT_SNS_CERT_URL, st);
    if (m->type == MT_SNS_SUBSCRIPTION_CONFIRMATION) {
        st = mt_sns_url_check(m->subscribe_url, MT_SNS_URL_SUBSCRIBE, region, NULL, err);
        if (st != MT_OK)
            return refuse(reason, MT_SNS_SUBSCRIBE_URL, st);
    }
    return MT_OK;
}

enum mt_status mt_sns_verify(struct mt_sns_verifier *v, const struct mt_sns_message *m,
                             enum mt_sns_reason *reason, struct mt_err *err)
{
    struct mt_sns_url cert_url;
    unsigned char sig[MAX_SIGNATURE_B64 / 4 * 3];
    size_t sig_len = 0;
    char url[2100];

    enum mt_status st = check_envelope(v, m, &cert_url, reason, err);
    if (st != MT_OK)
        return st;
    if (m->signature.len > MAX_SIGNATURE_B64 || !sns_base64_decode(m->signature, sig, &sig_len))
        return refuse(reason, MT_SNS_SIGNATURE, mt_err_set(err, MT_ERR_SIGNATURE,
                      "SNS Signature is %s", m->signature.ptr ? "not base64" : "missing"));
    if (sig_len < MIN_RSA_BITS / 8)
        return refuse(reason, MT_SNS_SIGNATURE, mt_err_set(err, MT_ERR_SIGNATURE,
                      "SNS Signature is %zu bytes; an RSA key of %d bits or more signs with "
                      "%d or more", sig_len, MIN_RSA_BITS, MIN_RSA_BITS / 8));

    EVP_PKEY *key = NULL;
    enum mt_sns_reason key_reason;
    snprintf(url, sizeof(url), "%.*s", (int)m->signing_cert_url.len, m->signing_cert_url.ptr);
    st = get_key(v, url, &cert_url, &key, &key_reason, err);
    if (st != MT_OK)
        return refuse(reason, key_reason, st);

    struct mt_buf tbs;
    mt_buf_init(&tbs, MT_SNS_MAX_BODY * 2);
    st = mt_sns_string_to_sign(m, &tbs, err);
    if (st == MT_OK)
        st = verify_rsa(key, version_digest(m->signature_version), mt_buf_str(&tbs), sig,
                        sig_len, err);
    mt_buf_cleanup(&tbs);
    EVP_PKEY_free(key);
    if (st != MT_OK)
        return refuse(reason, st == MT_ERR_SIGNATURE ? MT_SNS_SIGNATURE : MT_SNS_MALFORMED, st);
    return refuse(reason, MT_SNS_ACCEPTED, MT_OK);
}
