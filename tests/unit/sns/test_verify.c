/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of message parsing, the string to sign and signature verification:
 * the shared fixtures (signed with the shared test certificate), and
 * messages signed here with a key made at test time.
 */
#include "harness.h"

#include "mt/sns.h"
#include "sns/sns_int.h"
#include "sns_testkit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FIXTURE_CERT_FILE "SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem"

/* A fetch callback that counts calls and serves pem (or fails when NULL). */
struct fetcher {
    int calls;
    const char *pem;
    char last_url[512];
};

static enum mt_status fake_fetch(void *ctx, const char *url, struct mt_buf *body,
                                 struct mt_err *err)
{
    struct fetcher *f = ctx;
    f->calls++;
    snprintf(f->last_url, sizeof(f->last_url), "%s", url);
    if (f->pem == NULL)
        return mt_err_set(err, MT_ERR_CONNECT, "no network in this test");
    return mt_buf_append_cstr(body, f->pem);
}

static struct mt_sns_verifier *new_verifier(const char *cert_dir, struct fetcher *f)
{
    static const char *const topics[] = {TK_TOPIC,
                                         "arn:aws:sns:us-east-1:111122223333:other-allowed"};
    struct mt_sns_verifier_options o = {.topics = topics, .topic_count = 2, .cert_dir = cert_dir,
                                        .fetch = f ? fake_fetch : NULL, .fetch_ctx = f};
    struct mt_sns_verifier *v = NULL;
    struct mt_err err = {0};
    assert_int_equal(mt_sns_verifier_new(&o, &v, &err), MT_OK);
    return v;
}

/* A cert folder holding the shared fixture certificate where the fixtures point. */
static const char *fixture_cert_dir(void)
{
    static char dir[4096];
    char path[4200];
    struct mt_buf pem;

    snprintf(dir, sizeof(dir), "%s", mt_test_tmpdir());
    snprintf(path, sizeof(path), "%s/sns.us-east-1.amazonaws.com", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/sns.us-east-1.amazonaws.com/%s", dir, FIXTURE_CERT_FILE);
    mt_test_read_file(mt_test_fixture("events/signing/test-signing-cert.pem"), &pem);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(pem.data, 1, pem.len, f), pem.len);
    fclose(f);
    mt_buf_cleanup(&pem);
    return dir;
}

/* Verifies body as an HTTP body; returns the status and fills reason and err. */
static enum mt_status verify_body(struct mt_sns_verifier *v, const char *body,
                                  enum mt_sns_reason *reason, struct mt_err *err)
{
    struct mt_sns_message msg;
    enum mt_status st = mt_sns_message_parse(mt_str_from_cstr(body), &msg, err);
    *reason = MT_SNS_MALFORMED;
    if (st == MT_OK)
        st = mt_sns_verify(v, &msg, reason, err);
    mt_sns_message_cleanup(&msg);
    return st;
}

static void test_sns_string_to_sign_matches_fixtures(void **state)
{
    (void)state;
    static const char *const names[] = {"sns-http-notification-delivery",
                                        "sns-http-subscription-confirmation",
                                        "sns-http-unsubscribe-confirmation"};
    for (size_t i = 0; i < 3; i++) {
        char path[256];
        struct mt_buf body, expected, tbs;
        struct mt_sns_message msg;
        struct mt_err err = {0};

        snprintf(path, sizeof(path), "events/%s.json", names[i]);
        mt_test_read_file(mt_test_fixture(path), &body);
        snprintf(path, sizeof(path), "events/signing/%s.string-to-sign.txt", names[i]);
        mt_test_read_file(mt_test_fixture(path), &expected);
        mt_buf_init(&tbs, 0);
        assert_int_equal(mt_sns_message_parse(mt_buf_str(&body), &msg, &err), MT_OK);
        assert_int_equal(mt_sns_string_to_sign(&msg, &tbs, &err), MT_OK);
        assert_int_equal(tbs.len, expected.len);
        assert_memory_equal(tbs.data, expected.data, expected.len);
        mt_sns_message_cleanup(&msg);
        mt_buf_cleanup(&body);
        mt_buf_cleanup(&expected);
        mt_buf_cleanup(&tbs);
    }
}

static void test_sns_fixtures_verify(void **state)
{
    (void)state;
    static const char *const good[] = {
        "events/sns-http-notification-delivery.json",
        "events/sns-http-subscription-confirmation.json",
        "events/sns-http-unsubscribe-confirmation.json", "events/sns-lambda-bounce.json",
        "events/sns-lambda-delivery.json", "events/sns-lambda-open.json"};
    struct fetcher f = {0};
    struct mt_sns_verifier *v = new_verifier(fixture_cert_dir(), &f);

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct mt_buf doc;
        struct mt_err err = {0};
        enum mt_sns_reason reason = MT_SNS_MALFORMED;
        mt_test_read_file(mt_test_fixture(good[i]), &doc);
        enum mt_status st = mt_sns_verify_document(v, mt_buf_str(&doc), &reason, &err);
        if (st != MT_OK)
            fail_msg("%s: %s", good[i], mt_err_text(&err));
        assert_int_equal(reason, MT_SNS_ACCEPTED);
        mt_buf_cleanup(&doc);
    }
    assert_int_equal(f.calls, 0);
    assert_int_equal(mt_sns_verifier_fetch_count(v), 0);
    mt_sns_verifier_free(v);
}

static void test_sns_fixture_foreign_host_refused(void **state)
{
    (void)state;
    struct fetcher f = {0};
    struct mt_sns_verifier *v = new_verifier(fixture_cert_dir(), &f);
    struct mt_buf doc;
    struct mt_err err = {0};
    enum mt_sns_reason reason;

    mt_test_read_file(mt_test_fixture("events/bad/sns-http-cert-url-foreign-host.json"), &doc);
    assert_int_equal(mt_sns_verify_document(v, mt_buf_str(&doc), &reason, &err), MT_ERR_CERT_URL);
    assert_int_equal(reason, MT_SNS_CERT_URL);
    assert_string_equal(mt_sns_reason_name(reason), "cert_url");
    assert_string_equal(err.detail, "signing certificate URL refused: its host is not under "
                                    "amazonaws.com");
    assert_int_equal(f.calls, 0);
    mt_buf_cleanup(&doc);
    mt_sns_verifier_free(v);
}

static void test_sns_fixture_tampered_refused(void **state)
{
    (void)state;
    struct mt_sns_verifier *v = new_verifier(fixture_cert_dir(), NULL);
    struct mt_buf doc;
    struct mt_err err = {0};
    enum mt_sns_reason reason;

    mt_test_read_file(mt_test_fixture("events/bad/sns-http-signature-tampered.json"), &doc);
    assert_int_equal(mt_sns_verify_document(v, mt_buf_str(&doc), &reason, &err),
                     MT_ERR_SIGNATURE);
    assert_int_equal(reason, MT_SNS_SIGNATURE);
    assert_string_equal(err.detail, "SNS signature does not verify");
    mt_buf_cleanup(&doc);
    mt_sns_verifier_free(v);
}

/* Signs m with the shared key and verifies it against a cert folder holding its certificate. */
static enum mt_status sign_and_verify(const struct tk_msg *m, enum mt_sns_reason *reason,
                                      struct mt_err *err)
{
    const char *dir = mt_test_tmpdir();
    tk_install_cert(dir);
    struct mt_sns_verifier *v = new_verifier(dir, NULL);
    char *body = tk_sns_body(m, tk_shared_key());
    enum mt_status st = verify_body(v, body, reason, err);
    free(body);
    mt_sns_verifier_free(v);
    return st;
}

static void test_sns_valid_v1_and_v2_all_types(void **state)
{
    (void)state;
    static const char *const types[] = {"Notification", "SubscriptionConfirmation",
                                        "UnsubscribeConfirmation"};
    for (size_t i = 0; i < 3; i++) {
        for (int version = 1; version <= 2; version++) {
            struct tk_msg m = tk_msg_default(types[i]);
            struct mt_err err = {0};
            enum mt_sns_reason reason;
            m.version = version == 1 ? "1" : "2";
            m.sign_sha256 = version == 2;
            if (sign_and_verify(&m, &reason, &err) != MT_OK)
                fail_msg("%s v%d: %s", types[i], version, mt_err_text(&err));
            assert_int_equal(reason, MT_SNS_ACCEPTED);
        }
    }
}

static void test_sns_notification_without_subject(void **state)
{
    (void)state;
    struct tk_msg m = tk_msg_default("Notification");
    struct mt_err err = {0};
    enum mt_sns_reason reason;

    m.subject = NULL;
    assert_int_equal(sign_and_verify(&m, &reason, &err), MT_OK);
}

/* Signs m, then replaces the first occurrence of from by to in the body. */
static enum mt_status tamper_and_verify(const struct tk_msg *m, const char *from, const char *to,
                                        enum mt_sns_reason *reason, struct mt_err *err)
{
    const char *dir = mt_test_tmpdir();
    tk_install_cert(dir);
    struct mt_sns_verifier *v = new_verifier(dir, NULL);
    char *body = tk_sns_body(m, tk_shared_key());
    char *at = strstr(body, from);
    assert_non_null(at);

    size_t len = strlen(body) - strlen(from) + strlen(to);
    char *edited = malloc(len + 1);
    assert_non_null(edited);
    snprintf(edited, len + 1, "%.*s%s%s", (int)(at - body), body, to, at + strlen(from));
    enum mt_status st = verify_body(v, edited, reason, err);
    free(edited);
    free(body);
    mt_sns_verifier_free(v);
    return st;
}

static void test_sns_tampered_fields_refused(void **state)
{
    (void)state;
    struct tk_msg n = tk_msg_default("Notification");
    struct tk_msg c = tk_msg_default("SubscriptionConfirmation");
    struct {
        const struct tk_msg *m;
        const char *from, *to;
    } cases[] = {
        {&n, "ann@example.net", "bob@example.net"},                 /* Message */
        {&n, "2026-11-23T07:00:00.000Z", "2026-11-23T07:00:00Z"},   /* Timestamp re-rendered */
        {&n, "ses-events\"", "other-allowed\""},                    /* TopicArn, still allowed */
        {&n, "Amazon SES Email Event", "Amazon SES Mail Event"},    /* Subject */
        {&n, "5f1c7d0e", "5f1c7d0f"},                               /* MessageId */
        {&c, "\"Token\": \"2336", "\"Token\": \"3336"},             /* Token */
        {&n, "\"Notification\"", "\"UnsubscribeConfirmation\", \"Token\": \"x\", "
                                 "\"SubscribeURL\": \"y\", \"Ignored\": \"Notification\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mt_err err = {0};
        enum mt_sns_reason reason;
        enum mt_status st = tamper_and_verify(cases[i].m, cases[i].from, cases[i].to, &reason,
                                              &err);
        if (st != MT_ERR_SIGNATURE || reason != MT_SNS_SIGNATURE)
            fail_msg("case %zu: status %s, %s", i, mt_status_name(st), mt_err_text(&err));
    }
}

static void test_sns_signature_version_downgrade_refused(void **state)
{
    (void)state;
    struct tk_msg m = tk_msg_default("Notification");
    struct mt_err err = {0};
    enum mt_sns_reason reason;

    /* A v2 signature presented as version 1: the SHA-1 digest does not match. */
    m.version = "1";
    m.sign_sha256 = true;
    assert_int_equal(sign_and_verify(&m, &reason, &err), MT_ERR_SIGNATURE);
    assert_int_equal(reason, MT_SNS_SIGNATURE);

    /* And a v1 signature presented as version 2. */
    mt_err_clear(&err);
    m.version = "2";
    m.sign_sha256 = false;
    assert_int_equal(sign_and_verify(&m, &reason, &err), MT_ERR_SIGNATURE);
    assert_int_equal(reason, MT_SNS_SIGNATURE);

    static const char *const unknown[] = {"3", "0", "", "2 ", "v2"};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        mt_err_clear(&err);
        m.version = unknown[i];
        m.sign_sha256 = true;
        assert_int_equal(sign_and_verify(&m, &reason, &err), MT_ERR_SIGNATURE);
        assert_int_equal(reason, MT_SNS_VERSION);
        assert_non_null(strstr(err.detail, "SignatureVersion"));
    }
    mt_err_clear(&err);
    m.version = NULL;
    assert_int_equal(sign_and_verify(&m, &reason, &err), MT_ERR_SIGNATURE);
    assert_int_equal(reason, MT_SNS_VERSION);
}

static void test_sns_version_must_be_a_string(void **state)
{
    (void)state;
    struct tk_msg m = tk_msg_default("Notification");
    struct mt_err err = {0};
    enum mt_sns_reason reason;

    m.version = "2";
    m.sign_sha256 = true;
    assert_int_equal(tamper_and_verify(&m, "\"SignatureVersion\": \"2\"", "\"SignatureVersion\": 2",
                                       &reason, &err), MT_ERR_SCHEMA);
    assert_string_equal(err.detail, "SNS field 'SignatureVersion' is not a string");
}

static void test_sns_foreign_topic_refused_before_fetch(void **state)
{
    (void)state;
    struct tk_msg m = tk_msg_default("Notification");
    struct fetcher f = {0};
    struct mt_sns_verifier *v = new_verifier(NULL, &f);
    struct mt_err err = {0};
    enum mt_sns_reason reason;

    m.topic_arn = "arn:aws:sns:us-east-1:444455556666:attacker-topic";
    char *body = tk_sns_body(&m, tk_shared_key());
    assert_int_equal(verify_body(v, body, &reason, &err), MT_ERR_TOPIC);
    assert_int_equal(reason, MT_SNS_TOPIC);
    assert_string_equal(err.detail, "SNS topic 'arn:aws:sns:us-east-1:444455556666:attacker-topic'"
                                    " is not on the allow-list");
    assert_int_equal(f.calls, 0);
    free(body);
    mt_sns_verifier_free(v);
}

static void test_sns_cert_url_attack_never_fetched(void **state)
{
    (void)state;
    static const char *const urls[] = {
        "https://sns.us-east-1.amazonaws.com.evil.com/" TK_CERT_FILE,
        "https://evil.s3.amazonaws.com/" TK_CERT_FILE,
        "http://" TK_HOST "/" TK_CERT_FILE,
        "https://user@" TK_HOST "/" TK_CERT_FILE,
        "https://" TK_HOST ":8443/" TK_CERT_FILE,
        "https://" TK_HOST "\\@evil.example/" TK_CERT_FILE,
        "https://" TK_HOST "/SimpleNotificationService-a.txt",
        "https://" TK_HOST "/../" TK_CERT_FILE,
        "https://" TK_HOST "/%2e%2e/" TK_CERT_FILE,
        "https://sns.eu-west-1.amazonaws.com/" TK_CERT_FILE,
    };
    struct fetcher f = {.pem = "not reached"};
    struct mt_sns_verifier *v = new_verifier(NULL, &f);

    for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
        struct tk_msg m = tk_msg_default("Notification");
        struct mt_err err = {0};
        enum mt_sns_reason reason;
        m.cert_url = urls[i];
        char *body = tk_sns_body(&m, tk_shared_key());
        assert_int_equal(verify_body(v, body, &reason, &err), MT_ERR_CERT_URL);
        assert_int_equal(reason, MT_SNS_CERT_URL);
        free(body);
    }
    assert_int_equal(f.calls, 0);
    mt_sns_verifier_free(v);
}

static void test_sns_subscribe_url_on_foreign_host_refused(void **state)
{
    (void)state;
    struct tk_msg m = tk_msg_default("SubscriptionConfirmation");
    struct mt_err err = {0};
    enum mt_sns_reason reason;

    m.subscribe_url = "https://attacker.example/?Action=ConfirmSubscription&Token=1";
    assert_int_equal(sign_and_verify(&m, &reason, &err), MT_ERR_SUBSCRIBE_URL);
    assert_int_equal(reason, MT_SNS_SUBSCRIBE_URL);
    mt_err_clear(&err);
    m.subscribe_url = "https://169.254.169.254/?Action=ConfirmSubscription";
    assert_int_equal(sign_and_verify(&m, &reason, &err), MT_ERR_SUBSCRIBE_URL);
}

static void test_sns_utf8_signed_fields(void **state)
{
    (void)state;
    struct tk_msg m = tk_msg_default("Notification");
    struct mt_err err = {0};
    enum mt_sns_reason reason;

    m.subject = "R\xc3\xa9sum\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x93\xa7 \xe6\x97\xa5\xe6\x9c\xac";
    m.message = "{\"eventType\":\"Open\",\"note\":\"na\xc3\xafve caf\xc3\xa9 \xe2\x82\xac\"}\n";
    m.version = "2";
    m.sign_sha256 = true;
    assert_int_equal(sign_and_verify(&m, &reason, &err), MT_OK);

    /* The same text escaped as \u sequences decodes to the same bytes, so it verifies too. */
    assert_int_equal(tamper_and_verify(&m, "R\xc3\xa9sum", "R\\u00e9sum", &reason, &err), MT_OK);
    assert_int_equal(tamper_and_verify(&m, "caf\xc3\xa9", "cafe", &reason, &err),
                     MT_ERR_SIGNATURE);
}

static void test_sns_certificate_fetched_once_and_kept(void **state)
{
    (void)state;
    const char *dir = mt_test_tmpdir();
    struct tk_cert_spec spec = {.cn = "sns.amazonaws.com", .not_before_s = -60,
                                .not_after_s = 86400};
    X509 *cert = tk_cert(tk_shared_key(), &spec);
    char *pem = tk_cert_pem(cert);
    struct fetcher f = {.pem = pem};
    struct mt_sns_verifier *v = new_verifier(dir, &f);
    struct tk_msg m = tk_msg_default("Notification");
    char *body = tk_sns_body(&m, tk_shared_key());
    struct mt_err err = {0};
    enum mt_sns_reason reason;

    assert_int_equal(verify_body(v, body, &reason, &err), MT_OK);
    assert_int_equal(verify_body(v, body, &reason, &err), MT_OK);
    assert_int_equal(f.calls, 1);
    assert_string_equal(f.last_url, TK_CERT_URL);
    assert_int_equal(mt_sns_verifier_fetch_count(v), 1);
    mt_sns_verifier_free(v);

    /* The fetch filled the folder: a verifier without network now succeeds from it. */
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s/%s", dir, TK_HOST, TK_CERT_FILE);
    struct mt_buf kept;
    mt_test_read_file(path, &kept);
    assert_string_equal(kept.data, pem);
    mt_buf_cleanup(&kept);
    v = new_verifier(dir, NULL);
    assert_int_equal(verify_body(v, body, &reason, &err), MT_OK);
    mt_sns_verifier_free(v);

    free(body);
    free(pem);
    X509_free(cert);
}

/* A signature shorter than a 2048-bit key makes is refused without a fetch. */
static void test_sns_short_signature_refused_before_fetch(void **state)
{
    (void)state;
    struct fetcher f = {.pem = "not reached"};
    struct mt_sns_verifier *v = new_verifier(NULL, &f);
    EVP_PKEY *small = tk_rsa_key(1024);
    struct tk_msg m = tk_msg_default("Notification");
    char *body = tk_sns_body(&m, small);
    struct mt_err err = {0};
    enum mt_sns_reason reason;

    assert_int_equal(verify_body(v, body, &reason, &err), MT_ERR_SIGNATURE);
    assert_int_equal(reason, MT_SNS_SIGNATURE);
    assert_non_null(strstr(err.detail, "SNS Signature is 128 bytes"));
    assert_int_equal(f.calls, 0);
    free(body);
    EVP_PKEY_free(small);
    mt_sns_verifier_free(v);
}

/* A URL whose fetch failed is not fetched again within the hold; after it, it is. */
static void test_sns_failed_fetch_held(void **state)
{
    (void)state;
    static const char *const topics[] = {TK_TOPIC};
    struct fetcher f = {0};
    struct mt_sns_verifier_options o = {.topics = topics, .topic_count = 1, .fetch = fake_fetch,
                                        .fetch_ctx = &f, .failure_hold_ms = 300};
    struct mt_sns_verifier *v = NULL;
    struct mt_err err = {0};
    enum mt_sns_reason reason;
    assert_int_equal(mt_sns_verifier_new(&o, &v, &err), MT_OK);

    struct tk_msg m = tk_msg_default("Notification");
    char *body = tk_sns_body(&m, tk_shared_key());
    assert_int_equal(verify_body(v, body, &reason, &err), MT_ERR_CONNECT);
    assert_int_equal(f.calls, 1);

    /* Within the hold: the same status, no request. */
    mt_err_clear(&err);
    assert_int_equal(verify_body(v, body, &reason, &err), MT_ERR_CONNECT);
    assert_int_equal(reason, MT_SNS_CERT_UNAVAILABLE);
    assert_non_null(strstr(err.detail, "not tried again for 300 ms"));
    assert_int_equal(f.calls, 1);

    /* Another URL is not held. */
    struct tk_msg other = tk_msg_default("Notification");
    other.cert_url = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-other.pem";
    char *other_body = tk_sns_body(&other, tk_shared_key());
    assert_int_equal(verify_body(v, other_body, &reason, &err), MT_ERR_CONNECT);
    assert_int_equal(f.calls, 2);

    /* After the hold the URL is fetched again, and a good answer is used. */
    mt_test_sleep_ms(400);
    X509 *cert = tk_cert(tk_shared_key(), &(struct tk_cert_spec){.cn = "sns.amazonaws.com",
                                                                 .not_before_s = -60,
                                                                 .not_after_s = 86400});
    char *pem = tk_cert_pem(cert);
    f.pem = pem;
    mt_err_clear(&err);
    assert_int_equal(verify_body(v, body, &reason, &err), MT_OK);
    assert_int_equal(f.calls, 3);
    assert_int_equal(mt_sns_verifier_fetch_count(v), 1);

    free(pem);
    X509_free(cert);
    free(other_body);
    free(body);
    mt_sns_verifier_free(v);
}

/* A fetch callback that waits until told to go on, so a fetch can be held open. */
struct gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool entered, release;
    struct mt_sns_verifier *v;
    const char *body;
    enum mt_status status;
};

static enum mt_status gated_fetch(void *ctx, const char *url, struct mt_buf *body,
                                  struct mt_err *err)
{
    struct gate *g = ctx;
    (void)url;
    (void)body;
    pthread_mutex_lock(&g->lock);
    g->entered = true;
    pthread_cond_broadcast(&g->cond);
    while (!g->release)
        pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
    return mt_err_set(err, MT_ERR_HTTP, "held fetch ends with HTTP 404");
}

static void *verify_in_thread(void *arg)
{
    struct gate *g = arg;
    struct mt_err err = {0};
    enum mt_sns_reason reason;
    g->status = verify_body(g->v, g->body, &reason, &err);
    return NULL;
}

/* While fetch_max fetches run, a message needing another is refused at once. */
static void test_sns_fetches_limited(void **state)
{
    (void)state;
    static const char *const topics[] = {TK_TOPIC};
    struct gate g = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
    struct mt_sns_verifier_options o = {.topics = topics, .topic_count = 1, .fetch = gated_fetch,
                                        .fetch_ctx = &g};
    struct mt_err err = {0};
    enum mt_sns_reason reason;
    pthread_t t;

    assert_int_equal(mt_sns_verifier_new(&o, &g.v, &err), MT_OK);
    struct tk_msg m = tk_msg_default("Notification");
    m.cert_url = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-made-up-1.pem";
    char *first = tk_sns_body(&m, tk_shared_key());
    m.cert_url = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-made-up-2.pem";
    char *second = tk_sns_body(&m, tk_shared_key());

    g.body = first;
    assert_int_equal(pthread_create(&t, NULL, verify_in_thread, &g), 0);
    pthread_mutex_lock(&g.lock);
    while (!g.entered)
        pthread_cond_wait(&g.cond, &g.lock);
    pthread_mutex_unlock(&g.lock);

    assert_int_equal(verify_body(g.v, second, &reason, &err), MT_ERR_BUSY);
    assert_int_equal(reason, MT_SNS_CERT_UNAVAILABLE);
    assert_non_null(strstr(err.detail, "1 other fetch is already running"));

    pthread_mutex_lock(&g.lock);
    g.release = true;
    pthread_cond_broadcast(&g.cond);
    pthread_mutex_unlock(&g.lock);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(g.status, MT_ERR_HTTP);

    /* The slot is free again: the second URL is fetched now (and fails the same way). */
    g.entered = false;
    mt_err_clear(&err);
    assert_int_equal(verify_body(g.v, second, &reason, &err), MT_ERR_HTTP);
    assert_true(g.entered);

    free(first);
    free(second);
    mt_sns_verifier_free(g.v);
}

static void test_sns_certificate_unavailable(void **state)
{
    (void)state;
    struct fetcher f = {0};
    struct mt_sns_verifier *v = new_verifier(mt_test_tmpdir(), &f);
    struct tk_msg m = tk_msg_default("Notification");
    char *body = tk_sns_body(&m, tk_shared_key());
    struct mt_err err = {0};
    enum mt_sns_reason reason;

    assert_int_equal(verify_body(v, body, &reason, &err), MT_ERR_CONNECT);
    assert_int_equal(reason, MT_SNS_CERT_UNAVAILABLE);
    assert_int_equal(f.calls, 1);
    mt_sns_verifier_free(v);

    v = new_verifier(mt_test_tmpdir(), NULL);
    mt_err_clear(&err);
    assert_int_equal(verify_body(v, body, &reason, &err), MT_ERR_NOT_FOUND);
    assert_int_equal(reason, MT_SNS_CERT_UNAVAILABLE);
    mt_sns_verifier_free(v);
    free(body);
}

/*
 * Serves a certificate made from spec and cert_key for a message signed with
 * sign_key, and expects the certificate to be refused as invalid.
 */
static void expect_cert_invalid(EVP_PKEY *cert_key, EVP_PKEY *sign_key,
                                const struct tk_cert_spec *spec, const char *why)
{
    X509 *cert = tk_cert(cert_key, spec);
    char *pem = tk_cert_pem(cert);
    struct fetcher f = {.pem = pem};
    struct mt_sns_verifier *v = new_verifier(NULL, &f);
    struct tk_msg m = tk_msg_default("Notification");
    char *body = tk_sns_body(&m, sign_key);
    struct mt_err err = {0};
    enum mt_sns_reason reason;

    assert_int_equal(verify_body(v, body, &reason, &err), MT_ERR_SIGNATURE);
    assert_int_equal(reason, MT_SNS_CERT_INVALID);
    if (strstr(err.detail, why) == NULL)
        fail_msg("expected '%s' in '%s'", why, err.detail);
    mt_sns_verifier_free(v);
    free(body);
    free(pem);
    X509_free(cert);
}

static void test_sns_certificate_checks(void **state)
{
    (void)state;
    struct tk_cert_spec expired = {.cn = "sns.amazonaws.com", .not_before_s = -86400 * 2,
                                   .not_after_s = -86400};
    struct tk_cert_spec future = {.cn = "sns.amazonaws.com", .not_before_s = 86400,
                                  .not_after_s = 86400 * 2};
    struct tk_cert_spec foreign = {.cn = "attacker.example", .not_before_s = -60,
                                   .not_after_s = 86400};
    struct tk_cert_spec lookalike = {.cn = "sns.amazonaws.com.evil.com", .not_before_s = -60,
                                     .not_after_s = 86400};
    struct tk_cert_spec valid = {.cn = "sns.amazonaws.com", .not_before_s = -60,
                                 .not_after_s = 86400};

    EVP_PKEY *key = tk_shared_key();
    expect_cert_invalid(key, key, &expired, "has expired");
    expect_cert_invalid(key, key, &future, "is not valid yet");
    expect_cert_invalid(key, key, &foreign, "SNS host name");
    expect_cert_invalid(key, key, &lookalike, "SNS host name");

    /* A 1024-bit certificate, for a signature long enough to fetch it. */
    EVP_PKEY *small = tk_rsa_key(1024);
    expect_cert_invalid(small, key, &valid, "at least 2048 bits");
    EVP_PKEY_free(small);

    struct fetcher f = {
        .pem = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"};
    struct mt_sns_verifier *v = new_verifier(NULL, &f);
    struct tk_msg m = tk_msg_default("Notification");
    char *body = tk_sns_body(&m, tk_shared_key());
    struct mt_err err = {0};
    enum mt_sns_reason reason;
    assert_int_equal(verify_body(v, body, &reason, &err), MT_ERR_SIGNATURE);
    assert_int_equal(reason, MT_SNS_CERT_INVALID);
    free(body);
    mt_sns_verifier_free(v);
}

static void test_sns_certificate_named_by_alt_name(void **state)
{
    (void)state;
    struct tk_cert_spec spec = {.cn = "Signing", .dns = "sns-signing.ap-east-1.amazonaws.com",
                                .not_before_s = -60, .not_after_s = 86400};
    X509 *cert = tk_cert(tk_shared_key(), &spec);
    char *pem = tk_cert_pem(cert);
    struct fetcher f = {.pem = pem};
    struct mt_sns_verifier *v = new_verifier(NULL, &f);
    struct tk_msg m = tk_msg_default("Notification");
    char *body = tk_sns_body(&m, tk_shared_key());
    struct mt_err err = {0};
    enum mt_sns_reason reason;

    assert_int_equal(verify_body(v, body, &reason, &err), MT_OK);
    free(body);
    free(pem);
    X509_free(cert);
    mt_sns_verifier_free(v);
}

static void test_sns_signature_from_another_key_refused(void **state)
{
    (void)state;
    const char *dir = mt_test_tmpdir();
    tk_install_cert(dir);
    struct mt_sns_verifier *v = new_verifier(dir, NULL);
    EVP_PKEY *other = tk_rsa_key(2048);
    struct tk_msg m = tk_msg_default("Notification");
    char *body = tk_sns_body(&m, other);
    struct mt_err err = {0};
    enum mt_sns_reason reason;

    assert_int_equal(verify_body(v, body, &reason, &err), MT_ERR_SIGNATURE);
    assert_int_equal(reason, MT_SNS_SIGNATURE);
    free(body);
    EVP_PKEY_free(other);
    mt_sns_verifier_free(v);
}

static void test_sns_malformed_messages(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        enum mt_status st;
        const char *detail;
    } cases[] = {
        {"not json", MT_ERR_NOT_JSON, NULL},
        {"[1]", MT_ERR_SCHEMA, "SNS message 'body' is not a JSON object"},
        {"{\"MessageId\":\"a\"}", MT_ERR_SCHEMA, "SNS message has no 'Type'"},
        {"{\"Type\":\"Bogus\"}", MT_ERR_SCHEMA, "SNS 'Type' 'Bogus' is not an SNS message type"},
        {"{\"Type\":\"Notification\",\"MessageId\":\"a\",\"TopicArn\":\"t\",\"Message\":\"m\"}",
         MT_ERR_SCHEMA, "SNS Notification has no 'Timestamp'"},
        {"{\"Type\":\"SubscriptionConfirmation\",\"MessageId\":\"a\",\"TopicArn\":\"t\","
         "\"Message\":\"m\",\"Timestamp\":\"x\",\"Token\":\"k\"}",
         MT_ERR_SCHEMA, "SNS SubscriptionConfirmation has no 'SubscribeURL'"},
        {"{\"Type\":\"Notification\",\"Message\":1}", MT_ERR_SCHEMA,
         "SNS field 'Message' is not a string"},
        {"{\"Type\":\"Notification\",\"Type\":\"Notification\"}", MT_ERR_NOT_JSON, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mt_sns_message msg;
        struct mt_err err = {0};
        assert_int_equal(mt_sns_message_parse(mt_str_from_cstr(cases[i].body), &msg, &err),
                         cases[i].st);
        if (cases[i].detail != NULL)
            assert_string_equal(err.detail, cases[i].detail);
        mt_sns_message_cleanup(&msg);
    }

    char *big = malloc(MT_SNS_MAX_BODY + 2);
    assert_non_null(big);
    memset(big, ' ', MT_SNS_MAX_BODY + 1);
    big[MT_SNS_MAX_BODY + 1] = '\0';
    struct mt_sns_message msg;
    assert_int_equal(mt_sns_message_parse(mt_str_from_cstr(big), &msg, NULL), MT_ERR_TOO_LARGE);
    mt_sns_message_cleanup(&msg);
    free(big);
}

static void test_sns_lambda_null_subject_and_spelling(void **state)
{
    (void)state;
    const char *doc =
        "{\"Records\":[{\"EventSource\":\"aws:sns\",\"Sns\":{\"Type\":\"Notification\","
        "\"MessageId\":\"m\",\"TopicArn\":\"" TK_TOPIC "\",\"Subject\":null,\"Message\":\"x\","
        "\"Timestamp\":\"t\",\"SignatureVersion\":\"1\",\"Signature\":\"AAAA\","
        "\"SigningCertURL\":\"" TK_CERT_URL "\"}}]}";
    json_t *root = json_loads(doc, 0, NULL);
    json_t *sns = json_object_get(json_array_get(json_object_get(root, "Records"), 0), "Sns");
    struct mt_sns_message msg;
    struct mt_buf tbs;
    struct mt_err err = {0};

    assert_int_equal(sns_message_from_object(sns, true, "Records[0].Sns.", &msg, &err), MT_OK);
    assert_mt_str_null(msg.subject);
    assert_mt_str_null(msg.signing_cert_url); /* Lambda spells it SigningCertUrl */
    mt_buf_init(&tbs, 0);
    assert_int_equal(mt_sns_string_to_sign(&msg, &tbs, &err), MT_OK);
    assert_string_equal(tbs.data, "Message\nx\nMessageId\nm\nTimestamp\nt\nTopicArn\n" TK_TOPIC
                                  "\nType\nNotification\n");
    mt_buf_cleanup(&tbs);
    mt_sns_message_cleanup(&msg);
    json_decref(root);

    struct mt_sns_verifier *v = new_verifier(NULL, NULL);
    enum mt_sns_reason reason;
    assert_int_equal(mt_sns_verify_document(v, mt_str_from_cstr(doc), &reason, &err),
                     MT_ERR_CERT_URL);
    assert_string_equal(err.detail, "Records[0].Sns: signing certificate URL refused: it is "
                                    "missing");
    mt_sns_verifier_free(v);
}

static void test_sns_unsigned_documents_refused(void **state)
{
    (void)state;
    struct mt_sns_verifier *v = new_verifier(NULL, NULL);
    struct mt_buf doc;
    struct mt_err err = {0};
    enum mt_sns_reason reason;

    mt_test_read_file(mt_test_fixture("events/ep-delivery.json"), &doc);
    assert_int_equal(mt_sns_verify_document(v, mt_buf_str(&doc), &reason, &err),
                     MT_ERR_SIGNATURE);
    assert_string_equal(err.detail, "document is not a signed SNS message, so it cannot be "
                                    "verified");
    mt_err_clear(&err);
    assert_int_equal(mt_sns_verify_document(v, MT_STR_LIT("{\"Records\":[]}"), &reason, &err),
                     MT_ERR_SCHEMA);
    mt_buf_cleanup(&doc);
    mt_sns_verifier_free(v);
}

static void test_sns_verifier_needs_topics(void **state)
{
    (void)state;
    struct mt_sns_verifier *v = NULL;
    struct mt_err err = {0};
    struct mt_sns_verifier_options none = {0};
    static const char *const bad[] = {"arn:aws:sqs:us-east-1:111122223333:q"};
    struct mt_sns_verifier_options wrong = {.topics = bad, .topic_count = 1};

    assert_int_equal(mt_sns_verifier_new(&none, &v, &err), MT_ERR_CONFIG);
    assert_null(v);
    mt_err_clear(&err);
    assert_int_equal(mt_sns_verifier_new(&wrong, &v, &err), MT_ERR_CONFIG);
    assert_string_equal(err.detail, "'arn:aws:sqs:us-east-1:111122223333:q' is not an SNS topic "
                                    "ARN");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_sns_string_to_sign_matches_fixtures),
    cmocka_unit_test(test_sns_fixtures_verify),
    cmocka_unit_test(test_sns_fixture_foreign_host_refused),
    cmocka_unit_test(test_sns_fixture_tampered_refused),
    cmocka_unit_test(test_sns_valid_v1_and_v2_all_types),
    cmocka_unit_test(test_sns_notification_without_subject),
    cmocka_unit_test(test_sns_tampered_fields_refused),
    cmocka_unit_test(test_sns_signature_version_downgrade_refused),
    cmocka_unit_test(test_sns_version_must_be_a_string),
    cmocka_unit_test(test_sns_foreign_topic_refused_before_fetch),
    cmocka_unit_test(test_sns_cert_url_attack_never_fetched),
    cmocka_unit_test(test_sns_subscribe_url_on_foreign_host_refused),
    cmocka_unit_test(test_sns_utf8_signed_fields),
    cmocka_unit_test(test_sns_certificate_fetched_once_and_kept),
    cmocka_unit_test(test_sns_certificate_unavailable),
    cmocka_unit_test(test_sns_short_signature_refused_before_fetch),
    cmocka_unit_test(test_sns_failed_fetch_held),
    cmocka_unit_test(test_sns_fetches_limited),
    cmocka_unit_test(test_sns_certificate_checks),
    cmocka_unit_test(test_sns_certificate_named_by_alt_name),
    cmocka_unit_test(test_sns_signature_from_another_key_refused),
    cmocka_unit_test(test_sns_malformed_messages),
    cmocka_unit_test(test_sns_lambda_null_subject_and_spelling),
    cmocka_unit_test(test_sns_unsigned_documents_refused),
    cmocka_unit_test(test_sns_verifier_needs_topics),
};

MT_TEST_MAIN(tests)
