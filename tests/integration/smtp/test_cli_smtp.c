/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mailtrack smtp-password and the parts of mailtrack send-test that end
 * before any connection: where the key and region come from, what is
 * printed, and the usage errors with their exit codes.  No case here opens
 * a network connection; the ones that need a server are in
 * test_send_test.c.
 */
#include "harness.h"
#include "proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const s_env_unset[] = {
    "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "MAILTRACK_SMTP_USERNAME", "MAILTRACK_SMTP_PASSWORD", NULL,
};

static void run_mailtrack(const char *const *args, const char *const *env, const char *input,
                          struct mt_test_run *run)
{
    const char *argv[32] = {MT_MAILTRACK};
    size_t n = 1;
    for (size_t i = 0; args[i] != NULL && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    mt_test_run(argv, s_env_unset, env, input, run);
}

static void expect(const struct mt_test_run *run, int code, const char *out, const char *err_part)
{
    if (run->exit_code != code)
        fail_msg("exit code %d, expected %d\nstdout:\n%s\nstderr:\n%s", run->exit_code, code,
                 run->out.data, run->err.data);
    if (out != NULL)
        assert_string_equal(run->out.data, out);
    if (err_part != NULL && strstr(run->err.data, err_part) == NULL)
        fail_msg("stderr lacks '%s':\n%s", err_part, run->err.data);
}

static void test_cli_smtp_password_from_stdin(void **state)
{
    struct mt_test_run run;
    const char *args[] = {"smtp-password", "--region", "eu-central-1", NULL};
    (void)state;

    run_mailtrack(args, NULL, "some+secret+key\n", &run);
    expect(&run, 0, "BMXhUYlu5Z3gSXVQORxlVa7XPaz91aGWdfHxvkOZdWZ2\n", NULL);
    assert_int_equal(run.err.len, 0);
    mt_test_run_cleanup(&run);

    run_mailtrack(args, NULL, "  another+secret+key\r\n\n", &run);
    expect(&run, 0, "BBbphbrQmrKMx42d1N6+C7VINYEBGI5v9VsZeTxwskfh\n", NULL);
    mt_test_run_cleanup(&run);
}

static void test_cli_smtp_password_from_environment(void **state)
{
    struct mt_test_run run;
    const char *args[] = {"smtp-password", NULL};
    const char *const env[] = {"AWS_SECRET_ACCESS_KEY=some+secret+key",
                               "AWS_DEFAULT_REGION=us-west-1", NULL};
    const char *const env_region[] = {"AWS_SECRET_ACCESS_KEY=some+secret+key",
                                      "AWS_REGION=eu-central-1", "AWS_DEFAULT_REGION=us-west-1",
                                      NULL};
    const char *const env_token[] = {"AWS_SECRET_ACCESS_KEY=some+secret+key",
                                     "AWS_REGION=us-west-1", "AWS_SESSION_TOKEN=FwoGZX", NULL};
    (void)state;

    run_mailtrack(args, env, NULL, &run);
    expect(&run, 0, "BH+jbMzper5WwlwUar9E1ySBqHa9whi0GPo+sJ0mVYJj\n", NULL);
    mt_test_run_cleanup(&run);
    run_mailtrack(args, env_region, NULL, &run);
    expect(&run, 0, "BMXhUYlu5Z3gSXVQORxlVa7XPaz91aGWdfHxvkOZdWZ2\n", NULL);
    mt_test_run_cleanup(&run);
    run_mailtrack(args, env_token, NULL, &run);
    expect(&run, 0, "BH+jbMzper5WwlwUar9E1ySBqHa9whi0GPo+sJ0mVYJj\n",
           "AWS_SESSION_TOKEN is set, so AWS_SECRET_ACCESS_KEY is likely temporary");
    mt_test_run_cleanup(&run);
}

static void test_cli_smtp_password_errors(void **state)
{
    struct mt_test_run run;
    const char *with_region[] = {"smtp-password", "--region", "eu-west-1", NULL};
    const char *no_region[] = {"smtp-password", NULL};
    const char *bad_region[] = {"smtp-password", "--region", "Frankfurt", NULL};
    const char *extra[] = {"smtp-password", "--region", "eu-west-1", "key", NULL};
    (void)state;

    run_mailtrack(no_region, NULL, "k\n", &run);
    expect(&run, 2, "", "no region: give --region or set AWS_REGION or AWS_DEFAULT_REGION");
    mt_test_run_cleanup(&run);
    run_mailtrack(bad_region, NULL, "k\n", &run);
    expect(&run, 2, "", "region 'Frankfurt' is not an AWS region name like 'eu-west-1'");
    mt_test_run_cleanup(&run);
    run_mailtrack(with_region, NULL, NULL, &run);
    expect(&run, 1, "", "no secret access key: pipe it on standard input or set "
                        "AWS_SECRET_ACCESS_KEY");
    mt_test_run_cleanup(&run);
    run_mailtrack(with_region, NULL, "AKIAEXAMPLE\nsecret\n", &run);
    expect(&run, 1, "", "standard input holds more than one line");
    mt_test_run_cleanup(&run);
    run_mailtrack(with_region, NULL, "has a space\n", &run);
    expect(&run, 1, "", "the secret access key has a blank, control or non-ASCII character at "
                        "position 4");
    assert_null(strstr(run.err.data, "has a space"));
    mt_test_run_cleanup(&run);
    run_mailtrack(extra, NULL, "k\n", &run);
    expect(&run, 2, "", "unexpected argument 'key'");
    mt_test_run_cleanup(&run);
}

/* A region must have the shape of an AWS region name, however short. */
static void test_cli_smtp_password_region_shape(void **state)
{
    struct mt_test_run run;
    const char *one_letter[] = {"smtp-password", "--region", "a", NULL};
    const char *new_region[] = {"smtp-password", "--region", "xy-newplace-7", NULL};
    (void)state;

    run_mailtrack(one_letter, NULL, "k\n", &run);
    expect(&run, 2, "", "region 'a' is not an AWS region name like 'eu-west-1'");
    mt_test_run_cleanup(&run);
    run_mailtrack(new_region, NULL, "k\n", &run);
    expect(&run, 0, NULL, NULL);
    assert_int_equal(run.out.len, 45); /* 44 characters and the newline */
    mt_test_run_cleanup(&run);
}

/* One long line is refused as too long, not as more than one line. */
static void test_cli_smtp_password_long_input(void **state)
{
    struct mt_test_run run;
    const char *args[] = {"smtp-password", "--region", "eu-west-1", NULL};
    size_t size = 100 * 1024;
    char *line = malloc(size + 2);
    (void)state;

    assert_non_null(line);
    memset(line, 'k', size);
    strcpy(line + size, "\n");
    run_mailtrack(args, NULL, line, &run);
    expect(&run, 1, "", "standard input is longer than 4096 bytes; give only the secret "
                        "access key");
    assert_null(strstr(run.err.data, "more than one line"));
    mt_test_run_cleanup(&run);

    /* 4096 bytes with the line end is within the limit; the key itself is then too long. */
    line[4095] = '\n';
    line[4096] = '\0';
    run_mailtrack(args, NULL, line, &run);
    expect(&run, 1, "", "the secret access key is longer than 128 characters");
    mt_test_run_cleanup(&run);

    /* A key line and more lines, even past the limit, is still more than one line. */
    memcpy(line, "key\n", 4);
    line[4096] = 'k';
    line[size] = '\0';
    run_mailtrack(args, NULL, line, &run);
    expect(&run, 1, "", "standard input holds more than one line");
    mt_test_run_cleanup(&run);
    free(line);
}

static void test_cli_smtp_help_lists_exit_codes(void **state)
{
    struct mt_test_run run;
    const char *send_help[] = {"send-test", "--help", NULL};
    const char *password_help[] = {"help", "smtp-password", NULL};
    (void)state;

    run_mailtrack(send_help, NULL, NULL, &run);
    expect(&run, 0, NULL, NULL);
    static const char *const lines[] = {
        "  10  the server refused the credentials", "  11  the server rejected the sender",
        "  12  TLS failed", "  13  timed out", "  14  connection refused",
        "  15  the host name could not be resolved", "  16  some recipients were refused",
        "--ca-file FILE", "--simulate KIND[+LABEL]",
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        if (strstr(run.out.data, lines[i]) == NULL)
            fail_msg("send-test --help lacks '%s'", lines[i]);
    }
    assert_null(strstr(run.out.data, "--password"));
    mt_test_run_cleanup(&run);

    run_mailtrack(password_help, NULL, NULL, &run);
    expect(&run, 0, NULL, NULL);
    assert_non_null(strstr(run.out.data, "usage: mailtrack smtp-password [--region REGION]"));
    mt_test_run_cleanup(&run);
}

/* send-test with the given arguments after a local host and sender; no server is reached. */
static void send_usage(const char *const *more, const char *const *env, int code,
                       const char *err_part)
{
    const char *args[32] = {"send-test", "--from", "sender@example.com"};
    size_t n = 3;
    struct mt_test_run run;

    for (size_t i = 0; more[i] != NULL && n < 31; i++)
        args[n++] = more[i];
    args[n] = NULL;
    run_mailtrack(args, env, NULL, &run);
    expect(&run, code, "", err_part);
    mt_test_run_cleanup(&run);
}

static void test_cli_smtp_send_usage_errors(void **state)
{
    const char *const creds[] = {"MAILTRACK_SMTP_USERNAME=u", "MAILTRACK_SMTP_PASSWORD=p", NULL};
    const char *const region[] = {"AWS_DEFAULT_REGION=Not A Region", NULL};
    (void)state;

    send_usage((const char *[]){"--host", "127.0.0.1", "--to", "a@example.com", "--tag",
                                "team=mail ops", NULL},
               creds, 2, "tag 'team=mail ops': byte 0x20 at position 10 is not allowed");
    send_usage((const char *[]){"--host", "127.0.0.1", "--port", "2526", "--to", "a@example.com",
                                NULL},
               creds, 2, "port 2526 has no standard TLS mode: give --tls starttls or --tls "
                         "implicit");
    send_usage((const char *[]){"--to", "a@example.com", NULL}, creds, 2,
               "no SMTP host: give --host or --region, or set AWS_REGION or AWS_DEFAULT_REGION");
    send_usage((const char *[]){"--to", "a@example.com", NULL}, region, 2,
               "region 'Not A Region' is not an AWS region name");
    send_usage((const char *[]){"--host", "127.0.0.1", "--to", "a@example.com", NULL}, NULL, 2,
               "no SMTP credentials: give --credentials-file or set MAILTRACK_SMTP_USERNAME and "
               "MAILTRACK_SMTP_PASSWORD");
    send_usage((const char *[]){"--host", "127.0.0.1", "--to", "a@example.com", "--password",
                                "x", NULL},
               creds, 2, "option '--password' is unknown or needs a value");
    send_usage((const char *[]){"--host", "127.0.0.1", NULL}, creds, 2,
               "no recipient: give --to or --simulate");
    send_usage((const char *[]){"--host", "127.0.0.1", "--simulate", "reject", NULL}, creds, 2,
               "'reject' is not a mailbox simulator kind");
    send_usage((const char *[]){"--host", "127.0.0.1", "--to", "a@example.com", "--tls", "ssl",
                                NULL},
               creds, 2, "--tls 'ssl' is not 'starttls' or 'implicit'");
    send_usage((const char *[]){"--host", "127.0.0.1", "--to", "a@example.com", "--timeout",
                                "0", NULL},
               creds, 2, "timeout '0' is not a number of seconds");
    send_usage((const char *[]){"--host", "127.0.0.1", "--to", "Bob <bob@example.com>", NULL},
               creds, 2, "recipient address 'Bob <bob@example.com>' has byte 0x20 at position 4");
    send_usage((const char *[]){"--host", "127.0.0.1", "--to", "a@example.com",
                                "--configuration-set", "my set", NULL},
               creds, 2, "configuration set 'my set': byte 0x20 at position 3 is not allowed");
    send_usage((const char *[]){"--host", "127.0.0.1", "--to", "a@example.com", "--subject",
                                "two\nlines", NULL},
               creds, 2, "the subject has a control character (byte 0x0A) at byte 4");
}

static void test_cli_smtp_send_input_files(void **state)
{
    const char *const creds[] = {"MAILTRACK_SMTP_USERNAME=u", "MAILTRACK_SMTP_PASSWORD=p", NULL};
    char dir[4096], body[4200], ca[4200];
    (void)state;

    snprintf(dir, sizeof(dir), "%s", mt_test_tmpdir());
    snprintf(body, sizeof(body), "%s/body.txt", dir);
    snprintf(ca, sizeof(ca), "%s/missing-ca.pem", dir);
    FILE *f = fopen(body, "wb");
    assert_non_null(f);
    fputs("latin-1 caf\xe9\n", f);
    fclose(f);

    char msg[4400];
    snprintf(msg, sizeof(msg), "body file '%s' is not valid UTF-8 text", body);
    send_usage((const char *[]){"--host", "127.0.0.1", "--to", "a@example.com", "--body-file",
                                body, NULL},
               creds, 1, msg);
    send_usage((const char *[]){"--host", "127.0.0.1", "--to", "a@example.com", "--body", "x",
                                "--body-file", body, NULL},
               creds, 2, "give --body or --body-file, not both");
    snprintf(msg, sizeof(msg), "cannot read CA file '%s': No such file or directory", ca);
    send_usage((const char *[]){"--host", "127.0.0.1", "--to", "a@example.com", "--ca-file", ca,
                                NULL},
               creds, 1, msg);
    unlink(body);
    rmdir(dir);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_cli_smtp_password_from_stdin),
    cmocka_unit_test(test_cli_smtp_password_from_environment),
    cmocka_unit_test(test_cli_smtp_password_errors),
    cmocka_unit_test(test_cli_smtp_password_region_shape),
    cmocka_unit_test(test_cli_smtp_password_long_input),
    cmocka_unit_test(test_cli_smtp_help_lists_exit_codes),
    cmocka_unit_test(test_cli_smtp_send_usage_errors),
    cmocka_unit_test(test_cli_smtp_send_input_files),
};

MT_TEST_MAIN(tests)
