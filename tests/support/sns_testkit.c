/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test keys, certificates and signed SNS messages (see sns_testkit.h).
 * Failures abort the process: a test that cannot make its inputs must not
 * pass.
 */
#include "sns_testkit.h"

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void die(const char *what)
{
    fprintf(stderr, "sns test kit: %s failed\n", what);
    abort();
}

EVP_PKEY *tk_rsa_key(int bits)
{
    EVP_PKEY *key = EVP_RSA_gen((unsigned)bits);
    if (key == NULL)
        die("RSA key generation");
    return key;
}

EVP_PKEY *tk_shared_key(void)
{
    static EVP_PKEY *s_key;
    if (s_key == NULL)
        s_key = tk_rsa_key(2048);
    return s_key;
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext == NULL || X509_add_ext(cert, ext, -1) != 1)
        die("certificate extension");
    X509_EXTENSION_free(ext);
}

X509 *tk_cert(EVP_PKEY *key, const struct tk_cert_spec *spec)
{
    static long s_serial = 1000;
    X509 *cert = X509_new();
    X509 *issuer = spec->issuer ? spec->issuer : cert;
    EVP_PKEY *issuer_key = spec->issuer_key ? spec->issuer_key : key;

    if (cert == NULL)
        die("X509_new");
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), s_serial++);
    X509_gmtime_adj(X509_getm_notBefore(cert), spec->not_before_s);
    X509_gmtime_adj(X509_getm_notAfter(cert), spec->not_after_s);
    X509_set_pubkey(cert, key);

    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"mailtrack tests",
                               -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)spec->cn, -1,
                               -1, 0);
    X509_set_issuer_name(cert, X509_get_subject_name(issuer));
    add_ext(cert, issuer, NID_basic_constraints, spec->ca ? "critical,CA:TRUE" : "CA:FALSE");
    if (spec->dns != NULL || spec->ip != NULL) {
        char san[300];
        snprintf(san, sizeof(san), "%s%s%s%s", spec->dns ? "DNS:" : "",
                 spec->dns ? spec->dns : "", spec->dns && spec->ip ? ",IP:" : spec->ip ? "IP:" : "",
                 spec->ip ? spec->ip : "");
        add_ext(cert, issuer, NID_subject_alt_name, san);
    }
    if (X509_sign(cert, issuer_key, EVP_sha256()) == 0)
        die("X509_sign");
    return cert;
}

/* Opens path for writing, creating its parent folder when missing. */
static FILE *open_out(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL) {
        *slash = '\0';
        mkdir(dir, 0755);
    }
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        die("opening a PEM file for writing");
    return f;
}

void tk_write_cert(X509 *cert, const char *path)
{
    FILE *f = open_out(path);
    if (PEM_write_X509(f, cert) != 1)
        die("PEM_write_X509");
    fclose(f);
}

void tk_write_key(EVP_PKEY *key, const char *path)
{
    FILE *f = open_out(path);
    if (PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) != 1)
        die("PEM_write_PrivateKey");
    fclose(f);
}

char *tk_cert_pem(X509 *cert)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    if (bio == NULL || PEM_write_bio_X509(bio, cert) != 1)
        die("PEM_write_bio_X509");
    long n = BIO_get_mem_data(bio, &data);
    char *copy = malloc((size_t)n + 1);
    if (copy == NULL)
        die("malloc");
    memcpy(copy, data, (size_t)n);
    copy[n] = '\0';
    BIO_free(bio);
    return copy;
}

char *tk_sign(EVP_PKEY *key, bool sha256, const char *data, size_t len)
{
    unsigned char sig[1024];
    size_t sig_len = sizeof(sig);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    if (ctx == NULL ||
        EVP_DigestSignInit(ctx, NULL, sha256 ? EVP_sha256() : EVP_sha1(), NULL, key) != 1 ||
        EVP_DigestSign(ctx, sig, &sig_len, (const unsigned char *)data, len) != 1)
        die("signing");
    EVP_MD_CTX_free(ctx);

    char *b64 = malloc(sig_len / 3 * 4 + 8);
    if (b64 == NULL)
        die("malloc");
    EVP_EncodeBlock((unsigned char *)b64, sig, (int)sig_len);
    return b64;
}

struct tk_msg tk_msg_default(const char *type)
{
    bool notification = strcmp(type, "Notification") == 0;
    struct tk_msg m = {
        .type = type,
        .message_id = "5f1c7d0e-0c7a-5a0b-9d4e-1a2b3c4d5e6f",
        .topic_arn = TK_TOPIC,
        .timestamp = "2026-11-23T07:00:00.000Z",
        .version = "1",
        .cert_url = TK_CERT_URL,
    };
    if (notification) {
        m.subject = "Amazon SES Email Event Notification";
        m.message = "{\"eventType\":\"Open\",\"mail\":{\"timestamp\":\"2026-11-23T06:59:00.000Z\","
                    "\"source\":\"news@example.com\",\"messageId\":\"0100019abc-test-000000\","
                    "\"destination\":[\"ann@example.net\"]},\"open\":{\"timestamp\":"
                    "\"2026-11-23T06:59:59.123Z\",\"userAgent\":\"test\",\"ipAddress\":"
                    "\"192.0.2.1\"}}\n";
    } else {
        m.message = "You have chosen to subscribe to the topic " TK_TOPIC ".\n"
                    "To confirm the subscription, visit the SubscribeURL included in this message.";
        m.token = "2336412f37fb687f5d51e6e2425c464de257e1eb2b8f2e2bc5d3a1b1a8e0f2a7";
        m.subscribe_url = "https://" TK_HOST "/?Action=ConfirmSubscription&TopicArn=" TK_TOPIC
                          "&Token=2336412f37fb687f5d51e6e2425c464de257e1eb2b8f2e2bc5d3a1b1a8e0f2a7";
    }
    return m;
}

static void append(char **buf, size_t *len, const char *key, const char *value)
{
    if (value == NULL)
        return;
    size_t add = strlen(key) + strlen(value) + 2;
    char *n = realloc(*buf, *len + add + 1);
    if (n == NULL)
        die("realloc");
    sprintf(n + *len, "%s\n%s\n", key, value);
    *buf = n;
    *len += add;
}

char *tk_string_to_sign(const struct tk_msg *m)
{
    bool notification = strcmp(m->type, "Notification") == 0;
    char *buf = calloc(1, 1);
    size_t len = 0;

    if (buf == NULL)
        die("calloc");
    append(&buf, &len, "Message", m->message);
    append(&buf, &len, "MessageId", m->message_id);
    if (notification) {
        append(&buf, &len, "Subject", m->subject);
    } else {
        append(&buf, &len, "SubscribeURL", m->subscribe_url);
    }
    append(&buf, &len, "Timestamp", m->timestamp);
    if (!notification)
        append(&buf, &len, "Token", m->token);
    append(&buf, &len, "TopicArn", m->topic_arn);
    append(&buf, &len, "Type", m->type);
    return buf;
}

static void set(json_t *obj, const char *key, const char *value)
{
    if (value != NULL && json_object_set_new(obj, key, json_string(value)) != 0)
        die("json_object_set_new");
}

char *tk_sns_body(const struct tk_msg *m, EVP_PKEY *key)
{
    char *tbs = tk_string_to_sign(m);
    char *sig = tk_sign(key, m->sign_sha256, tbs, strlen(tbs));
    json_t *obj = json_object();

    set(obj, "Type", m->type);
    set(obj, "MessageId", m->message_id);
    set(obj, "Token", m->token);
    set(obj, "TopicArn", m->topic_arn);
    set(obj, "Subject", m->subject);
    set(obj, "Message", m->message);
    set(obj, "SubscribeURL", m->subscribe_url);
    set(obj, "Timestamp", m->timestamp);
    set(obj, "SignatureVersion", m->version);
    set(obj, "Signature", sig);
    set(obj, "SigningCertURL", m->cert_url);
    char *text = json_dumps(obj, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text == NULL)
        die("json_dumps");
    json_decref(obj);
    free(sig);
    free(tbs);
    return text;
}

void tk_install_cert(const char *dir)
{
    char path[4096];
    struct tk_cert_spec spec = {.cn = "sns.amazonaws.com", .not_before_s = -3600,
                                .not_after_s = 3600L * 24 * 365};
    X509 *cert = tk_cert(tk_shared_key(), &spec);

    snprintf(path, sizeof(path), "%s/%s", dir, TK_HOST);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/%s/%s", dir, TK_HOST, TK_CERT_FILE);
    tk_write_cert(cert, path);
    X509_free(cert);
}
