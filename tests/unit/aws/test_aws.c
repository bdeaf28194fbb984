/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the AWS configuration: credential, region and endpoint
 * precedence over the environment and temporary shared files, the file
 * parser, endpoint URL parsing, and that secrets never reach error details or
 * logs.
 */
#include "harness.h"

#include "aws/aws_int.h"
#include "mt/aws.h"
#include "mt/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SECRET "wJalrXUtnFEMI-SECRET-MARKER"
#define TOKEN "TOKEN-MARKER-0123"

static char s_dir[4096];

static const char *const s_vars[] = {
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
    "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
};

/* A clean environment whose HOME is a fresh folder holding no .aws files. */
static int setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(s_vars) / sizeof(s_vars[0]); i++)
        unsetenv(s_vars[i]);
    snprintf(s_dir, sizeof(s_dir), "%s", mt_test_tmpdir());
    setenv("HOME", s_dir, 1);
    return 0;
}

/* Writes a file under the test folder and returns its path (static buffer). */
static const char *write_file(const char *name, const char *text)
{
    static char path[4200];
    snprintf(path, sizeof(path), "%s/%s", s_dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static struct mt_aws_config *load_ok(void)
{
    struct mt_aws_config *c = NULL;
    struct mt_err err = {0};
    enum mt_status st = mt_aws_config_load(&c, &err);
    if (st != MT_OK)
        fail_msg("load failed: %s", mt_err_text(&err));
    return c;
}

static enum mt_status load_fail(struct mt_err *err)
{
    struct mt_aws_config *c = NULL;
    enum mt_status st = mt_aws_config_load(&c, err);
    assert_null(c);
    assert_null(strstr(err->detail, "MARKER"));
    return st;
}

static void assert_creds(struct mt_aws_config *c, const char *id, const char *secret,
                         const char *token)
{
    struct mt_sigv4_credentials creds;
    assert_int_equal(mt_aws_config_credentials(c, &creds, NULL), MT_OK);
    assert_mt_str_equal(creds.access_key_id, id);
    assert_mt_str_equal(creds.secret_access_key, secret);
    assert_mt_str_equal(creds.session_token, token);
}

static const char s_credentials[] =
    "# shared credentials\n"
    "[default]\n"
    "aws_access_key_id = AKIDDEFAULT\n"
    "aws_secret_access_key = " SECRET "-default\n"
    "\n"
    "[work]\r\n"
    "aws_access_key_id=AKIDWORK\r\n"
    "aws_secret_access_key=" SECRET "-work\r\n"
    "aws_session_token = " TOKEN "\r\n"
    "[empty]\n";

static const char s_config[] =
    "[default]\n"
    "region = eu-west-1\n"
    "; a comment\n"
    "[profile work]\n"
    "region = us-west-2\n"
    "services = local\n"
    "[profile cfgonly]\n"
    "aws_access_key_id = AKIDCFG\n"
    "aws_secret_access_key = " SECRET "-cfg\n"
    "endpoint_url = http://127.0.0.1:9000/\n"
    "[services local]\n"
    "dynamodb =\n"
    "  endpoint_url = http://127.0.0.1:4567\n"
    "s3 =\n"
    "\tendpoint_url = http://localhost:4568/base/\n"
    "[profile nocreds]\n"
    "region = cn-north-1\n"
    "ignore_configured_endpoint_urls = true\n"
    "endpoint_url = http://127.0.0.1:1\n";

static void write_both(void)
{
    setenv("AWS_SHARED_CREDENTIALS_FILE", write_file("creds", s_credentials), 1);
    setenv("AWS_CONFIG_FILE", write_file("config", s_config), 1);
}

static void test_aws_env_credentials_win(void **state)
{
    (void)state;
    write_both();
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET "-env", 1);
    setenv("AWS_SESSION_TOKEN", TOKEN "-env", 1);
    struct mt_aws_config *c = load_ok();
    assert_int_equal(mt_aws_config_cred_source(c), MT_AWS_CRED_ENV);
    assert_creds(c, "AKIDENV", SECRET "-env", TOKEN "-env");
    assert_string_equal(mt_aws_config_profile(c), "default");
    assert_string_equal(mt_aws_config_region(c), "eu-west-1");
    mt_aws_config_free(c);
}

static void test_aws_default_files_under_home(void **state)
{
    (void)state;
    char path[4200];
    snprintf(path, sizeof(path), "%s/.aws", s_dir);
    assert_int_equal(mkdir(path, 0700), 0);
    write_file(".aws/credentials", s_credentials);
    write_file(".aws/config", s_config);
    struct mt_aws_config *c = load_ok();
    assert_int_equal(mt_aws_config_cred_source(c), MT_AWS_CRED_SHARED_FILE);
    assert_creds(c, "AKIDDEFAULT", SECRET "-default", "");
    assert_string_equal(mt_aws_config_region(c), "eu-west-1");
    mt_aws_config_free(c);
}

static void test_aws_named_profile(void **state)
{
    (void)state;
    write_both();
    setenv("AWS_PROFILE", "work", 1);
    struct mt_aws_config *c = load_ok();
    assert_creds(c, "AKIDWORK", SECRET "-work", TOKEN);
    assert_string_equal(mt_aws_config_region(c), "us-west-2");
    mt_aws_config_free(c);
}

static void test_aws_config_file_credentials(void **state)
{
    (void)state;
    write_both();
    setenv("AWS_PROFILE", "cfgonly", 1);
    struct mt_aws_config *c = load_ok();
    assert_int_equal(mt_aws_config_cred_source(c), MT_AWS_CRED_CONFIG_FILE);
    assert_creds(c, "AKIDCFG", SECRET "-cfg", "");
    /* [default] lends nothing to a named profile, not even its region. */
    assert_null(mt_aws_config_region(c));
    mt_aws_config_free(c);
}

static void test_aws_unknown_profile_refused(void **state)
{
    (void)state;
    struct mt_err err = {0};
    write_both();
    setenv("AWS_PROFILE", "nosuch", 1);
    assert_int_equal(load_fail(&err), MT_ERR_CONFIG);
    assert_non_null(strstr(err.detail, "'nosuch'"));
}

static void test_aws_no_credentials(void **state)
{
    (void)state;
    struct mt_sigv4_credentials creds;
    struct mt_err err = {0};
    write_both();
    setenv("AWS_PROFILE", "empty", 1);
    struct mt_aws_config *c = load_ok();
    assert_int_equal(mt_aws_config_cred_source(c), MT_AWS_CRED_NONE);
    assert_int_equal(mt_aws_config_credentials(c, &creds, &err), MT_ERR_CREDENTIALS);
    assert_non_null(strstr(err.detail, "profile 'empty'"));
    assert_non_null(strstr(err.detail, "instance metadata is never consulted"));
    mt_aws_config_free(c);
}

static void test_aws_half_credentials_refused(void **state)
{
    (void)state;
    struct mt_err err = {0};
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    assert_int_equal(load_fail(&err), MT_ERR_CREDENTIALS);
    assert_non_null(strstr(err.detail, "AWS_ACCESS_KEY_ID"));

    unsetenv("AWS_SECRET_ACCESS_KEY");
    mt_err_clear(&err);
    setenv("AWS_SHARED_CREDENTIALS_FILE",
           write_file("half", "[default]\naws_secret_access_key = " SECRET "\n"), 1);
    assert_int_equal(load_fail(&err), MT_ERR_CREDENTIALS);
    assert_non_null(strstr(err.detail, "has aws_secret_access_key but not aws_access_key_id"));
}

static void test_aws_malformed_file_hides_content(void **state)
{
    (void)state;
    struct mt_err err = {0};
    setenv("AWS_SHARED_CREDENTIALS_FILE",
           write_file("bad", "[default]\naws_access_key_id = A\naws_secret_access_key "
                             SECRET "\n"), 1);
    assert_int_equal(load_fail(&err), MT_ERR_CONFIG);
    assert_non_null(strstr(err.detail, "line 3"));
    assert_non_null(strstr(err.detail, "/bad'"));
}

static void test_aws_region_precedence(void **state)
{
    (void)state;
    struct mt_err err = {0};
    write_both();
    setenv("AWS_DEFAULT_REGION", "ap-south-1", 1);
    struct mt_aws_config *c = load_ok();
    assert_string_equal(mt_aws_config_region(c), "ap-south-1");
    mt_aws_config_free(c);

    setenv("AWS_REGION", "sa-east-1", 1);
    c = load_ok();
    assert_string_equal(mt_aws_config_region(c), "sa-east-1");
    mt_aws_config_free(c);

    setenv("AWS_REGION", "evil.example.com/x", 1);
    assert_int_equal(load_fail(&err), MT_ERR_CONFIG);
    assert_non_null(strstr(err.detail, "AWS_REGION"));
}

static void assert_endpoint(struct mt_aws_config *c, const char *service, const char *url,
                            bool custom)
{
    struct mt_aws_endpoint ep;
    struct mt_err err = {0};
    mt_aws_endpoint_init(&ep);
    if (mt_aws_config_endpoint(c, service, &ep, &err) != MT_OK)
        fail_msg("%s: %s", service, mt_err_text(&err));
    assert_string_equal(ep.url.data, url);
    assert_int_equal(ep.custom, custom);
    mt_aws_endpoint_cleanup(&ep);
}

static void test_aws_endpoint_precedence(void **state)
{
    (void)state;
    write_both();
    setenv("AWS_PROFILE", "work", 1);
    struct mt_aws_config *c = load_ok();
    assert_endpoint(c, "dynamodb", "http://127.0.0.1:4567", true);
    assert_endpoint(c, "s3", "http://localhost:4568/base", true);
    assert_endpoint(c, "sns", "https://sns.us-west-2.amazonaws.com", false);
    mt_aws_config_free(c);

    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:7000", 1);
    setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:7001", 1);
    c = load_ok();
    assert_endpoint(c, "dynamodb", "http://127.0.0.1:7000", true);
    assert_endpoint(c, "s3", "http://127.0.0.1:7001", true);
    mt_aws_config_free(c);

    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE", 1);
    c = load_ok();
    assert_endpoint(c, "s3", "https://s3.us-west-2.amazonaws.com", false);
    mt_aws_config_free(c);
}

static void test_aws_endpoint_profile_url_and_ignore(void **state)
{
    (void)state;
    write_both();
    setenv("AWS_PROFILE", "cfgonly", 1);
    setenv("AWS_REGION", "eu-north-1", 1);
    struct mt_aws_config *c = load_ok();
    assert_endpoint(c, "dynamodb", "http://127.0.0.1:9000", true);
    mt_aws_config_free(c);

    setenv("AWS_PROFILE", "nocreds", 1);
    unsetenv("AWS_REGION");
    c = load_ok();
    assert_endpoint(c, "dynamodb", "https://dynamodb.cn-north-1.amazonaws.com.cn", false);
    mt_aws_config_free(c);

    /* The environment's "false" overrides the profile's "true". */
    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false", 1);
    c = load_ok();
    assert_endpoint(c, "dynamodb", "http://127.0.0.1:1", true);
    mt_aws_config_free(c);
}

static void test_aws_endpoint_needs_region(void **state)
{
    (void)state;
    struct mt_aws_endpoint ep;
    struct mt_err err = {0};
    struct mt_aws_config *c = load_ok();
    mt_aws_endpoint_init(&ep);
    assert_int_equal(mt_aws_config_endpoint(c, "dynamodb", &ep, &err), MT_ERR_CONFIG);
    assert_non_null(strstr(err.detail, "AWS_REGION"));
    mt_aws_endpoint_cleanup(&ep);
    mt_aws_config_free(c);
}

static void parse_ok(const char *url, const char *want_url, const char *host, const char *path,
                     bool tls)
{
    struct mt_aws_endpoint ep;
    struct mt_err err = {0};
    mt_aws_endpoint_init(&ep);
    if (mt_aws_endpoint_parse(url, &ep, &err) != MT_OK)
        fail_msg("%s: %s", url, mt_err_text(&err));
    assert_string_equal(ep.url.data, want_url);
    assert_string_equal(ep.host.data, host);
    assert_string_equal(ep.path.data ? ep.path.data : "", path);
    assert_int_equal(ep.tls, tls);
    mt_aws_endpoint_cleanup(&ep);
}

static void parse_bad(const char *url)
{
    struct mt_aws_endpoint ep;
    struct mt_err err = {0};
    mt_aws_endpoint_init(&ep);
    assert_int_equal(mt_aws_endpoint_parse(url, &ep, &err), MT_ERR_CONFIG);
    assert_non_null(strstr(err.detail, "endpoint '"));
    mt_aws_endpoint_cleanup(&ep);
}

static void test_aws_endpoint_parse(void **state)
{
    (void)state;
    parse_ok("http://127.0.0.1:4567", "http://127.0.0.1:4567", "127.0.0.1:4567", "", false);
    parse_ok("HTTPS://s3.eu-west-1.amazonaws.com:443/", "https://s3.eu-west-1.amazonaws.com",
             "s3.eu-west-1.amazonaws.com", "", true);
    parse_ok("http://localhost:80/a/b/", "http://localhost/a/b", "localhost", "/a/b", false);
    parse_ok("http://[::1]:8000", "http://[::1]:8000", "[::1]:8000", "", false);
    parse_bad("ftp://example.com");
    parse_bad("http://user:pw@example.com");
    parse_bad("http://example.com/?q=1");
    parse_bad("http://example.com:99999");
    parse_bad("http://:80");
    parse_bad("http://169.254.169.254/latest");
    parse_bad("http://[fd00:ec2::254]/latest");
    parse_bad("http://169.254.170.2/v2/credentials");
}

static void test_aws_ini_subkeys(void **state)
{
    (void)state;
    struct aws_ini ini;
    struct mt_buf text;
    struct mt_err err = {0};
    mt_buf_init(&text, 0);
    assert_int_equal(mt_buf_append_cstr(&text, s_config), MT_OK);
    assert_int_equal(aws_ini_parse(&ini, &text, true, "cfg", &err), MT_OK);
    assert_mt_str_equal(aws_ini_get(&ini, AWS_SECTION_SERVICES, "local", "s3", "endpoint_url"),
                        "http://localhost:4568/base/");
    assert_mt_str_equal(aws_ini_get(&ini, AWS_SECTION_SERVICES, "local", "dynamodb", NULL), "");
    assert_mt_str_equal(aws_ini_get(&ini, AWS_SECTION_PROFILE, "default", "REGION", NULL),
                        "eu-west-1");
    assert_mt_str_null(aws_ini_get(&ini, AWS_SECTION_PROFILE, "local", "s3", NULL));
    assert_true(aws_ini_has_section(&ini, AWS_SECTION_PROFILE, "nocreds"));
    assert_false(aws_ini_has_section(&ini, AWS_SECTION_PROFILE, "local"));
    aws_ini_cleanup(&ini);

    /* An indented line under a key that has a value is malformed. */
    mt_buf_init(&text, 0);
    assert_int_equal(mt_buf_append_cstr(&text, "[default]\nregion = x\n  sub = y\n"), MT_OK);
    assert_int_equal(aws_ini_parse(&ini, &text, true, "cfg", &err), MT_ERR_CONFIG);
    assert_non_null(strstr(err.detail, "line 3"));
    aws_ini_cleanup(&ini);
}

/* Captures every log record, to check that no secret is logged. */
static struct mt_buf s_log;

static void capture(void *ctx, enum mt_log_level level, const char *comp, const char *event,
                    const char *msg)
{
    (void)ctx;
    (void)level;
    mt_buf_appendf(&s_log, "%s %s %s\n", comp, event, msg);
}

static void test_aws_secrets_not_logged(void **state)
{
    (void)state;
    struct mt_log_sink sink = {capture, NULL};
    struct mt_aws_endpoint ep;
    enum mt_log_level saved = mt_log_threshold;

    mt_buf_init(&s_log, 0);
    mt_log_set_sink(&sink);
    mt_log_set_level(MT_LOG_TRACE);
    write_both();
    setenv("AWS_PROFILE", "work", 1);
    struct mt_aws_config *c = load_ok();
    mt_aws_endpoint_init(&ep);
    assert_int_equal(mt_aws_config_endpoint(c, "dynamodb", &ep, NULL), MT_OK);
    mt_aws_endpoint_cleanup(&ep);
    mt_aws_config_free(c);
    mt_log_set_sink(NULL);
    mt_log_set_level(saved);

    assert_non_null(s_log.data);
    assert_non_null(strstr(s_log.data, "aws_config_loaded"));
    assert_null(strstr(s_log.data, "MARKER"));
    mt_buf_cleanup(&s_log);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_aws_env_credentials_win, setup, NULL),
        cmocka_unit_test_setup_teardown(test_aws_default_files_under_home, setup, NULL),
        cmocka_unit_test_setup_teardown(test_aws_named_profile, setup, NULL),
        cmocka_unit_test_setup_teardown(test_aws_config_file_credentials, setup, NULL),
        cmocka_unit_test_setup_teardown(test_aws_unknown_profile_refused, setup, NULL),
        cmocka_unit_test_setup_teardown(test_aws_no_credentials, setup, NULL),
        cmocka_unit_test_setup_teardown(test_aws_half_credentials_refused, setup, NULL),
        cmocka_unit_test_setup_teardown(test_aws_malformed_file_hides_content, setup, NULL),
        cmocka_unit_test_setup_teardown(test_aws_region_precedence, setup, NULL),
        cmocka_unit_test_setup_teardown(test_aws_endpoint_precedence, setup, NULL),
        cmocka_unit_test_setup_teardown(test_aws_endpoint_profile_url_and_ignore, setup, NULL),
        cmocka_unit_test_setup_teardown(test_aws_endpoint_needs_region, setup, NULL),
        cmocka_unit_test(test_aws_endpoint_parse),
        cmocka_unit_test(test_aws_ini_subkeys),
        cmocka_unit_test_setup_teardown(test_aws_secrets_not_logged, setup, NULL),
    };
    return mt_test_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]), __FILE__);
}
