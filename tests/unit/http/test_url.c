/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of URL redaction, the link-local guard, request checks and client
 * options.  None of these sends a byte: every refusal here happens before a
 * socket is opened, which the prepare hook (called before each transfer)
 * confirms by never being called, or by the socket hook refusing the address.
 */
#include "harness.h"

#include "http/http_int.h"
#include "mt/http.h"

#include <stdio.h>
#include <string.h>

/* A prepare hook that counts its calls. */
static enum mt_status count_prepare(void *ctx, const struct mt_http_request *req, int attempt,
                                    struct mt_http_headers *extra, struct mt_err *err)
{
    (void)req;
    (void)attempt;
    (void)extra;
    (void)err;
    (*(int *)ctx)++;
    return MT_OK;
}

/* Sends GET url with a fresh client; returns the status and fills err and prepared. */
static enum mt_status try_get(const struct mt_http_options *opts, const char *url,
                              struct mt_err *err, int *prepared, int *attempts)
{
    struct mt_http_client *client = NULL;
    struct mt_http_response resp;
    struct mt_http_request req = {.url = url, .prepare = count_prepare, .prepare_ctx = prepared};

    assert_int_equal(mt_http_client_new(opts, &client, NULL), MT_OK);
    mt_http_response_init(&resp);
    enum mt_status st = mt_http_client_send(client, &req, &resp, err);
    *attempts = resp.attempts;
    mt_http_response_cleanup(&resp);
    mt_http_client_free(client);
    return st;
}

static void test_http_url_redact_drops_secrets(void **state)
{
    (void)state;
    struct mt_buf out;
    mt_buf_init(&out, 0);

    assert_int_equal(mt_http_url_redact(&out, "https://AKIDEXAMPLE:s3cr3t@bucket.s3.amazonaws.com:"
                                              "8443/key/a.csv?X-Amz-Signature=abc&X-Amz-"
                                              "Security-Token=tok#frag"),
                     MT_OK);
    assert_string_equal(out.data, "https://bucket.s3.amazonaws.com:8443/key/a.csv");

    mt_buf_reset(&out);
    assert_int_equal(mt_http_url_redact(&out, "http://127.0.0.1"), MT_OK);
    assert_string_equal(out.data, "http://127.0.0.1/");

    mt_buf_reset(&out);
    assert_int_equal(mt_http_url_redact(&out, "not a url"), MT_OK);
    assert_string_equal(out.data, "(invalid URL)");
    mt_buf_cleanup(&out);
}

static void test_http_link_local_literals_recognised(void **state)
{
    (void)state;
    static const char *const refused[] = {
        "169.254.169.254", "169.254.0.1",     "169.254.170.2",  "0xa9fea9fe",
        "2852039166",      "0251.0376.0251.0376", "[fe80::1]", "[fe80::1%25eth0]",
        "[febf::1]",       "[fd00:ec2::254]", "[::ffff:169.254.169.254]", "fe80::1",
        "[64:ff9b::a9fe:a9fe]", "[64:ff9b::169.254.169.254]",
    };
    static const char *const allowed[] = {
        "169.253.255.255", "169.255.0.1", "127.0.0.1",   "10.0.0.1",     "example.com",
        "[::1]",           "[fec0::1]",   "[fd00:ec2::253]", "[::ffff:127.0.0.1]", "",
        "[64:ff9b::a00:1]",
    };

    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        if (!http_host_is_link_local(refused[i]))
            fail_msg("'%s' should count as link-local", refused[i]);
    }
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
        if (http_host_is_link_local(allowed[i]))
            fail_msg("'%s' should not count as link-local", allowed[i]);
    }
}

static void test_http_refuses_metadata_urls(void **state)
{
    (void)state;
    static const char *const urls[] = {
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://[fd00:ec2::254]/latest/api/token",
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
        "http://[fe80::a9fe:a9fe%25eth0]:80/",
        "http://0xa9fea9fe/latest/meta-data/",
        "http://169.254.170.2/v2/credentials?id=x",
        "https://169.254.169.254:443/",
    };

    for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
        struct mt_err err = {0};
        int prepared = 0;
        int attempts = -1;
        assert_int_equal(try_get(NULL, urls[i], &err, &prepared, &attempts), MT_ERR_INVALID);
        assert_int_equal(prepared, 0);
        assert_int_equal(attempts, 0);
        assert_non_null(strstr(err.detail, "link-local"));
        assert_null(strstr(err.detail, "?"));
    }
}

static void test_http_refuses_name_resolving_to_metadata(void **state)
{
    (void)state;
    const char *resolve[] = {"metadata.test:80:169.254.169.254"};
    struct mt_http_options opts = {.resolve = resolve, .resolve_count = 1, .max_attempts = 3};
    struct mt_err err = {0};
    int prepared = 0;
    int attempts = 0;

    assert_int_equal(try_get(&opts, "http://metadata.test/latest/meta-data/", &err, &prepared,
                             &attempts),
                     MT_ERR_INVALID);
    assert_int_equal(attempts, 1);
    assert_int_equal(prepared, 1);
    assert_string_equal(err.detail, "GET http://metadata.test/latest/meta-data/: refused to "
                                    "connect to link-local address 169.254.169.254 after 1 "
                                    "attempt");
}

static void test_http_refuses_non_http_schemes(void **state)
{
    (void)state;
    static const char *const urls[] = {"file:///etc/passwd", "ftp://127.0.0.1/x",
                                       "gopher://127.0.0.1/", "/relative/path", ""};

    for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
        struct mt_err err = {0};
        int prepared = 0;
        int attempts = -1;
        assert_int_equal(try_get(NULL, urls[i], &err, &prepared, &attempts), MT_ERR_INVALID);
        assert_int_equal(prepared, 0);
        assert_int_equal(attempts, 0);
        assert_true(err.detail[0] != '\0');
    }
}

static void test_http_https_only_refuses_http(void **state)
{
    (void)state;
    struct mt_http_options opts = {.https_only = true};
    struct mt_err err = {0};
    int prepared = 0;
    int attempts = -1;

    assert_int_equal(try_get(&opts, "http://sns.us-east-1.amazonaws.com/cert.pem?x=1", &err,
                             &prepared, &attempts),
                     MT_ERR_INVALID);
    assert_int_equal(prepared, 0);
    assert_string_equal(err.detail, "GET http://sns.us-east-1.amazonaws.com/cert.pem: only https "
                                    "URLs are allowed here");
}

static void test_http_rejects_bad_method_and_headers(void **state)
{
    (void)state;
    struct mt_http_client *client = NULL;
    struct mt_http_response resp;
    struct mt_http_header evil = {MT_STR_LIT("X-Note"), MT_STR_LIT("a\r\nAuthorization: x")};
    struct mt_http_request req = {.url = "http://127.0.0.1:9/", .headers = &evil,
                                  .header_count = 1};
    struct mt_err err = {0};

    assert_int_equal(mt_http_client_new(NULL, &client, NULL), MT_OK);
    mt_http_response_init(&resp);
    assert_int_equal(mt_http_client_send(client, &req, &resp, &err), MT_ERR_INVALID);
    assert_string_equal(err.detail, "GET http://127.0.0.1:9/: request header 0 has a bad name "
                                    "or a CR, LF or NUL");

    mt_err_clear(&err);
    req.header_count = 0;
    req.method = "GET /x HTTP/1.1\r\n";
    assert_int_equal(mt_http_client_send(client, &req, &resp, &err), MT_ERR_INVALID);
    assert_int_equal(resp.attempts, 0);
    mt_http_response_cleanup(&resp);
    mt_http_client_free(client);
}

static void test_http_deadline_passed_sends_nothing(void **state)
{
    (void)state;
    struct mt_http_client *client = NULL;
    struct mt_http_response resp;
    int prepared = 0;
    struct mt_http_request req = {.url = "http://127.0.0.1:9/x", .deadline_ms = 1,
                                  .prepare = count_prepare, .prepare_ctx = &prepared};
    struct mt_err err = {0};

    assert_int_equal(mt_http_client_new(NULL, &client, NULL), MT_OK);
    mt_http_response_init(&resp);
    assert_int_equal(mt_http_client_send(client, &req, &resp, &err), MT_ERR_TIMEOUT);
    assert_int_equal(resp.attempts, 0);
    assert_int_equal(prepared, 0);
    assert_string_equal(err.detail, "GET http://127.0.0.1:9/x: the deadline passed before the "
                                    "first attempt");
    mt_http_response_cleanup(&resp);
    mt_http_client_free(client);
}

static void test_http_options_checked(void **state)
{
    (void)state;
    struct mt_http_client *client = (struct mt_http_client *)&client;
    struct mt_err err = {0};
    struct mt_http_options negative = {.attempt_timeout_ms = -1};
    const char *bad_resolve[] = {"just-a-host"};
    struct mt_http_options resolve = {.resolve = bad_resolve, .resolve_count = 1};

    assert_int_equal(mt_http_client_new(&negative, &client, &err), MT_ERR_INVALID);
    assert_null(client);
    mt_err_clear(&err);
    assert_int_equal(mt_http_client_new(&resolve, &client, &err), MT_ERR_INVALID);
    assert_string_equal(err.detail, "HTTP client option resolve[0] is not 'host:port:address'");
    assert_null(client);

    const char *bad_connect[] = {"sns.test:443:127.0.0.1:8443", "sns.test:443:127.0.0.1"};
    struct mt_http_options connect = {.connect_to = bad_connect, .connect_to_count = 2};
    mt_err_clear(&err);
    assert_int_equal(mt_http_client_new(&connect, &client, &err), MT_ERR_INVALID);
    assert_string_equal(err.detail,
                        "HTTP client option connect_to[1] is not 'host:port:address:port'");
    assert_null(client);
    connect.connect_to_count = 1;
    assert_int_equal(mt_http_client_new(&connect, &client, NULL), MT_OK);
    mt_http_client_free(client);
    mt_http_client_free(NULL);
}

static void test_http_find_ca_file_picks_first_existing(void **state)
{
    (void)state;
    const char *dir = mt_test_tmpdir();
    char present[512];
    char later[512];
    char missing[512];
    snprintf(present, sizeof(present), "%s/bundle.pem", dir);
    snprintf(later, sizeof(later), "%s/other.pem", dir);
    snprintf(missing, sizeof(missing), "%s/missing.pem", dir);
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(i == 0 ? present : later, "w");
        assert_non_null(f);
        fputs("-----BEGIN CERTIFICATE-----\n", f);
        fclose(f);
    }

    const char *list[] = {missing, dir, present, later};
    assert_ptr_equal(mt_http_find_ca_file(list, 4), list[2]);
    assert_null(mt_http_find_ca_file(list, 2));
    assert_null(mt_http_find_ca_file(list, 0));

    const char *found = mt_http_find_ca_file(NULL, 0);
    if (found != NULL)
        assert_true(strstr(found, "/etc/") == found);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_http_url_redact_drops_secrets),
    cmocka_unit_test(test_http_link_local_literals_recognised),
    cmocka_unit_test(test_http_refuses_metadata_urls),
    cmocka_unit_test(test_http_refuses_name_resolving_to_metadata),
    cmocka_unit_test(test_http_refuses_non_http_schemes),
    cmocka_unit_test(test_http_https_only_refuses_http),
    cmocka_unit_test(test_http_rejects_bad_method_and_headers),
    cmocka_unit_test(test_http_deadline_passed_sends_nothing),
    cmocka_unit_test(test_http_options_checked),
    cmocka_unit_test(test_http_find_ca_file_picks_first_existing),
};

MT_TEST_MAIN(tests)
