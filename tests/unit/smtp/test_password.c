/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the SES SMTP password derivation: the four known answers of the
 * Terraform AWS provider's test for two regions, and more regions computed
 * here independently with the openssl command line (five `openssl dgst
 * -mac HMAC` steps and `openssl base64`), which shares no code with the
 * implementation under test.
 */
#include "harness.h"

#include "mt/smtp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void derive_is(const char *secret, const char *region, const char *expected)
{
    char out[MT_SMTP_PASSWORD_LEN + 1];
    struct mt_err err = {0};

    assert_int_equal(
        mt_smtp_password_derive(mt_str_from_cstr(secret), mt_str_from_cstr(region), out, &err),
        MT_OK);
    assert_string_equal(out, expected);
}

static void test_smtp_password_known_answers(void **state)
{
    (void)state;
    derive_is("some+secret+key", "eu-central-1", "BMXhUYlu5Z3gSXVQORxlVa7XPaz91aGWdfHxvkOZdWZ2");
    derive_is("another+secret+key", "eu-central-1", "BBbphbrQmrKMx42d1N6+C7VINYEBGI5v9VsZeTxwskfh");
    derive_is("some+secret+key", "us-west-1", "BH+jbMzper5WwlwUar9E1ySBqHa9whi0GPo+sJ0mVYJj");
    derive_is("another+secret+key", "us-west-1", "BKVmjjMDFk/qqw8EROW99bjCS65PF8WKvK5bSr4Y6EqF");
}

/* Runs cmd in a shell and returns its last whitespace-separated word of output. */
static void run_last_word(const char *cmd, char *out, size_t size)
{
    char line[512] = "";
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(line, 1, sizeof(line) - 1, p);
    assert_int_equal(pclose(p), 0);
    line[n] = '\0';
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == ' '))
        line[--n] = '\0';
    const char *word = strrchr(line, ' ');
    word = word ? word + 1 : line;
    assert_true(strlen(word) < size);
    strcpy(out, word);
}

/* The password computed with the openssl command line only. */
static void openssl_password(const char *secret, const char *region, char out[64])
{
    const char *msgs[] = {"11111111", region, "ses", "aws4_request", "SendRawEmail"};
    char key_opt[256], hex[80], cmd[1024];
    char path[] = "/tmp/mt-smtp-sig-XXXXXX";

    snprintf(key_opt, sizeof(key_opt), "key:AWS4%s", secret);
    for (size_t i = 0; i < 5; i++) {
        snprintf(cmd, sizeof(cmd),
                 "printf '%%s' '%s' | openssl dgst -sha256 -mac HMAC -macopt '%s'", msgs[i],
                 key_opt);
        run_last_word(cmd, hex, sizeof(hex));
        assert_int_equal(strlen(hex), 64);
        snprintf(key_opt, sizeof(key_opt), "hexkey:%s", hex);
    }

    unsigned char raw[33] = {0x04};
    for (size_t i = 0; i < 32; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        raw[1 + i] = (unsigned char)v;
    }
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, raw, sizeof(raw)), (ssize_t)sizeof(raw));
    close(fd);
    snprintf(cmd, sizeof(cmd), "openssl base64 -A -in '%s'", path);
    run_last_word(cmd, out, 64);
    unlink(path);
}

static void test_smtp_password_matches_openssl_cli(void **state)
{
    static const char *const cases[][2] = {
        {"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "ap-southeast-2"},
        {"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1"},
        {"some+secret+key", "eu-west-1"},
        {"x", "us-gov-west-1"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char expected[64];
        openssl_password(cases[i][0], cases[i][1], expected);
        assert_int_equal(strlen(expected), MT_SMTP_PASSWORD_LEN);
        assert_int_equal(expected[0], 'B'); /* 0x04 as the first base64 digit */
        derive_is(cases[i][0], cases[i][1], expected);
    }
    /* The region matters: the same key gives different passwords. */
    char a[64], b[64];
    openssl_password("k", "eu-west-1", a);
    openssl_password("k", "eu-west-2", b);
    assert_string_not_equal(a, b);
}

static void rejects(const char *secret, const char *region, const char *detail_part)
{
    char out[MT_SMTP_PASSWORD_LEN + 1];
    struct mt_err err = {0};
    assert_int_equal(
        mt_smtp_password_derive(mt_str_from_cstr(secret), mt_str_from_cstr(region), out, &err),
        MT_ERR_INVALID);
    if (strstr(err.detail, detail_part) == NULL)
        fail_msg("'%s' does not mention '%s'", err.detail, detail_part);
    assert_string_equal(out, "");
}

static void test_smtp_password_rejects_bad_input(void **state)
{
    char long_key[200];
    (void)state;

    memset(long_key, 'k', sizeof(long_key) - 1);
    long_key[sizeof(long_key) - 1] = '\0';
    rejects("", "eu-west-1", "secret access key is empty");
    rejects("has space", "eu-west-1", "position 4");
    rejects("tab\tkey", "eu-west-1", "position 4");
    rejects(long_key, "eu-west-1", "longer than 128");
    rejects("key", "", "region name is empty");
    rejects("key", "EU-WEST-1", "not an AWS region name");
    rejects("key", "eu-west-1.evil.example", "not an AWS region name");
    rejects("key", "-eu-west-1", "not an AWS region name");
    rejects("key", "eu--west-1", "not an AWS region name");
    rejects("key", "eu-west-1-", "not an AWS region name");
    rejects("key", "a", "not an AWS region name");
    rejects("key", "eu", "not an AWS region name");
    rejects("key", "eu-west", "not an AWS region name");
    rejects("key", "eu-1", "not an AWS region name");
    rejects("key", "eur-west-1", "not an AWS region name");
    rejects("key", "e1-west-1", "not an AWS region name");
    rejects("key", "eu-west-1a", "not an AWS region name");
    rejects("key", "eu-west--1", "not an AWS region name");
    rejects("key", "eu-w3st-1", "not an AWS region name");
    rejects("key", "local", "not an AWS region name");
    rejects("key", "xx-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-1", "longer than 32 characters");
}

/* Every shape AWS uses passes, including regions no list here names. */
static void test_smtp_password_region_shapes(void **state)
{
    static const char *const regions[] = {
        "us-east-1",    "eu-central-2",   "ap-southeast-4", "us-gov-west-1", "cn-north-1",
        "il-central-1", "mx-central-1",   "us-isob-east-1", "eu-isoe-west-1", "ca-west-1",
        "af-south-1",   "xy-newplace-12",
    };
    (void)state;

    for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++) {
        struct mt_err err = {0};
        if (mt_smtp_region_check(mt_str_from_cstr(regions[i]), &err) != MT_OK)
            fail_msg("'%s' refused: %s", regions[i], err.detail);
    }
}

static void test_smtp_password_default_host(void **state)
{
    struct mt_buf host;
    struct mt_err err = {0};
    (void)state;

    mt_buf_init(&host, 0);
    assert_int_equal(mt_smtp_default_host(MT_STR_LIT("eu-central-1"), &host, &err), MT_OK);
    assert_string_equal(host.data, "email-smtp.eu-central-1.amazonaws.com");
    assert_int_equal(mt_smtp_default_host(MT_STR_LIT("eu/central"), &host, &err), MT_ERR_INVALID);
    assert_non_null(strstr(err.detail, "'eu/central'"));
    mt_buf_cleanup(&host);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_smtp_password_known_answers),
    cmocka_unit_test(test_smtp_password_matches_openssl_cli),
    cmocka_unit_test(test_smtp_password_rejects_bad_input),
    cmocka_unit_test(test_smtp_password_region_shapes),
    cmocka_unit_test(test_smtp_password_default_host),
};

MT_TEST_MAIN(tests)
