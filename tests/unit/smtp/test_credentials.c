/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of SMTP credentials: both file formats, the refusal of files that
 * others may read or write, and the messages for malformed files, which
 * must name the line and never the secret.
 */
#include "harness.h"

#include "mt/smtp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char s_dir[4096];
static char s_path[4200];

static int setup(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof(s_dir), "%s", mt_test_tmpdir());
    snprintf(s_path, sizeof(s_path), "%s/credentials", s_dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(s_path);
    rmdir(s_dir);
    return 0;
}

static void write_credentials(const char *text, size_t len, mode_t mode)
{
    FILE *f = fopen(s_path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
    assert_int_equal(chmod(s_path, mode), 0);
}

static void loads(const char *text, const char *user, const char *pass)
{
    struct mt_smtp_credentials c;
    struct mt_err err = {0};

    write_credentials(text, strlen(text), 0600);
    mt_smtp_credentials_init(&c);
    if (mt_smtp_credentials_load(s_path, &c, &err) != MT_OK)
        fail_msg("'%s' was refused: %s", text, err.detail);
    assert_string_equal(c.username.data, user);
    assert_string_equal(c.password.data, pass);
    mt_smtp_credentials_cleanup(&c);
    assert_null(c.password.data);
}

/* Loading fails with code, and the detail holds part (and never the password "s3cret"). */
static void refused(const char *text, size_t len, mode_t mode, enum mt_status code,
                    const char *part)
{
    struct mt_smtp_credentials c;
    struct mt_err err = {0};

    write_credentials(text, len, mode);
    mt_smtp_credentials_init(&c);
    assert_int_equal(mt_smtp_credentials_load(s_path, &c, &err), code);
    if (strstr(err.detail, part) == NULL)
        fail_msg("'%s' does not mention '%s'", err.detail, part);
    assert_null(strstr(err.detail, "s3cret"));
    assert_null(c.password.data);
    mt_smtp_credentials_cleanup(&c);
}

static void test_smtp_credentials_key_value_file(void **state)
{
    (void)state;
    loads("username=AKIAEXAMPLE\npassword=s3cret+/=\n", "AKIAEXAMPLE", "s3cret+/=");
    loads("# SES SMTP for eu-west-1\n\n  password = s3cret==\r\nusername =AKIAEXAMPLE\r\n",
          "AKIAEXAMPLE", "s3cret==");
}

static void test_smtp_credentials_two_line_file(void **state)
{
    (void)state;
    loads("AKIAEXAMPLE\ns3cret/+==\n", "AKIAEXAMPLE", "s3cret/+==");
    loads("AKIAEXAMPLE\r\ns3cret", "AKIAEXAMPLE", "s3cret");
}

static void test_smtp_credentials_refuses_shared_file(void **state)
{
    static const char text[] = "username=u\npassword=s3cret\n";
    static const mode_t modes[] = {0644, 0640, 0604, 0620, 0602, 0610, 0666};
    char part[64];
    (void)state;

    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        snprintf(part, sizeof(part), "has mode %04o, so others may use it; run 'chmod 600 ",
                 (unsigned)modes[i]);
        refused(text, sizeof(text) - 1, modes[i], MT_ERR_CONFIG, part);
    }
    loads(text, "u", "s3cret");
    write_credentials(text, sizeof(text) - 1, 0400);
    struct mt_smtp_credentials c;
    mt_smtp_credentials_init(&c);
    assert_int_equal(mt_smtp_credentials_load(s_path, &c, NULL), MT_OK);
    mt_smtp_credentials_cleanup(&c);
}

static void test_smtp_credentials_malformed_files(void **state)
{
    (void)state;
    refused("username=u\n", 11, 0600, MT_ERR_PARSE, "lacks the password");
    refused("password=s3cret\n", 16, 0600, MT_ERR_PARSE, "lacks the user name");
    refused("only-one-line\n", 14, 0600, MT_ERR_PARSE, "lacks the user name");
    refused("a\nb\ns3cret\n", 11, 0600, MT_ERR_PARSE, "line 3: expected 'username=' and");
    refused("username=u\ns3cret\n", 18, 0600, MT_ERR_PARSE, "mixes");
    refused("username=u s\npassword=s3cret\n", 29, 0600, MT_ERR_INVALID,
            "SMTP user name in the credentials file is empty or has blanks");
    refused("", 0, 0600, MT_ERR_PARSE, "lacks the user name");

    char *big = malloc(70000);
    assert_non_null(big);
    memset(big, 'x', 70000);
    refused(big, 70000, 0600, MT_ERR_TOO_LARGE, "is larger than 65536 bytes");
    free(big);
}

static void test_smtp_credentials_unreadable_paths(void **state)
{
    struct mt_smtp_credentials c;
    struct mt_err err = {0};
    (void)state;

    mt_smtp_credentials_init(&c);
    assert_int_equal(mt_smtp_credentials_load(s_path, &c, &err), MT_ERR_IO);
    assert_non_null(strstr(err.detail, "cannot open credentials file '"));
    assert_non_null(strstr(err.detail, "No such file or directory"));
    mt_err_clear(&err);
    assert_int_equal(chmod(s_dir, 0700), 0);
    assert_int_equal(mt_smtp_credentials_load(s_dir, &c, &err), MT_ERR_CONFIG);
    assert_non_null(strstr(err.detail, "is not a regular file"));
    mt_smtp_credentials_cleanup(&c);
}

static void test_smtp_credentials_set_checks_values(void **state)
{
    struct mt_smtp_credentials c;
    struct mt_err err = {0};
    (void)state;

    mt_smtp_credentials_init(&c);
    assert_int_equal(mt_smtp_credentials_set(&c, "AKIAEXAMPLE", "s3cret", &err), MT_OK);
    assert_string_equal(c.password.data, "s3cret");
    assert_int_equal(mt_smtp_credentials_set(&c, "AKIAEXAMPLE", "s3cret with space", &err),
                     MT_ERR_INVALID);
    assert_string_equal(err.detail, "the SMTP password given is empty or has blanks, control or "
                                    "non-ASCII characters");
    mt_err_clear(&err);
    assert_int_equal(mt_smtp_credentials_set(&c, "", "s3cret", &err), MT_ERR_INVALID);
    assert_non_null(strstr(err.detail, "user name"));
    mt_smtp_credentials_cleanup(&c);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_smtp_credentials_key_value_file, setup, teardown),
    cmocka_unit_test_setup_teardown(test_smtp_credentials_two_line_file, setup, teardown),
    cmocka_unit_test_setup_teardown(test_smtp_credentials_refuses_shared_file, setup, teardown),
    cmocka_unit_test_setup_teardown(test_smtp_credentials_malformed_files, setup, teardown),
    cmocka_unit_test_setup_teardown(test_smtp_credentials_unreadable_paths, setup, teardown),
    cmocka_unit_test_setup_teardown(test_smtp_credentials_set_checks_values, setup, teardown),
};

MT_TEST_MAIN(tests)
