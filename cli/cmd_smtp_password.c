/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mailtrack smtp-password: the SES SMTP password (version 4) of a region,
 * derived from an IAM secret access key read from standard input or from
 * AWS_SECRET_ACCESS_KEY.  The key and the password stay in buffers that are
 * wiped; both are read and written with read(2) and write(2), never through
 * stdio buffers.  The derivation itself is mt_smtp_password_derive.
 */
#include "cli.h"

#include "mt/env.h"
#include "mt/smtp.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/*
 * Bytes of standard input accepted: a key line and some slack.  One byte
 * more is read, to tell input of exactly this size from longer input.
 */
#define STDIN_MAX 4096

static const char s_help[] =
    "usage: mailtrack smtp-password [--region REGION]\n"
    "\n"
    "Derives the Amazon SES SMTP password for REGION from an IAM secret access key\n"
    "and prints it on standard output (44 characters).  The SMTP user name that\n"
    "goes with it is the key's access key id.  This is the value Terraform's\n"
    "aws_iam_access_key gives as ses_smtp_password_v4.\n"
    "\n"
    "The secret access key is the first line of standard input when standard input\n"
    "is not a terminal and is not empty; otherwise it is $AWS_SECRET_ACCESS_KEY.\n"
    "Use an IAM user's long-lived key: SES refuses passwords derived from temporary\n"
    "credentials.  A password works only with the SMTP endpoint of its region.\n"
    "\n"
    "Options:\n"
    "  --region REGION  the SES region (default: $AWS_REGION, else $AWS_DEFAULT_REGION)\n"
    "  -h, --help       this help\n"
    "\n"
    "Example:\n"
    "  aws configure get aws_secret_access_key | mailtrack smtp-password --region eu-west-1\n"
    "\n"
    "Exit status: 0 printed, 1 no usable key or the password could not be written,\n"
    "2 usage error (also: no region given or found in the environment).\n";

enum { OPT_REGION = CLI_OPT_FIRST_COMMAND_SPECIFIC };

/*
 * Reads standard input into buf (size STDIN_MAX + 1) and sets *key to its
 * first line, trimmed.  *key stays absent when standard input is a terminal
 * or empty.  Input past STDIN_MAX bytes is refused as too long, more than
 * one line as the wrong input.  Returns an exit code; on failure the message
 * is printed.
 */
static int read_stdin_key(const struct cli *cli, char *buf, struct mt_str *key)
{
    size_t len = 0;

    *key = MT_STR_NULL;
    if (isatty(STDIN_FILENO))
        return CLI_EXIT_OK;
    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf + len, STDIN_MAX + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            cli_error(cli, "cannot read standard input: %s", strerror(errno));
            return CLI_EXIT_FAILURE;
        }
        len += (size_t)n;
        if (n == 0 || len > STDIN_MAX)
            break;
    }

    struct mt_str all = mt_str_trim((struct mt_str){buf, len > STDIN_MAX ? STDIN_MAX : len});
    const char *nl = memchr(all.ptr, '\n', all.len);
    if (nl != NULL) {
        cli_error(cli, "standard input holds more than one line; give only the secret "
                       "access key");
        return CLI_EXIT_FAILURE;
    }
    if (len > STDIN_MAX) {
        cli_error(cli, "standard input is longer than %d bytes; give only the secret access key",
                  STDIN_MAX);
        return CLI_EXIT_FAILURE;
    }
    if (all.len == 0)
        return CLI_EXIT_OK;
    *key = all;
    return CLI_EXIT_OK;
}

/* Writes the password and a newline with write(2); false when stdout fails. */
static bool write_password(const char *password)
{
    char line[MT_SMTP_PASSWORD_LEN + 2];
    size_t len = (size_t)snprintf(line, sizeof(line), "%s\n", password);
    size_t done = 0;

    while (done < len) {
        ssize_t n = write(STDOUT_FILENO, line + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    mt_secure_zero(line, sizeof(line));
    return done == len;
}

static int parse_args(struct cli *cli, int argc, char **argv, const char **region)
{
    static const struct option longopts[] = {
        {"region", required_argument, NULL, OPT_REGION},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_REGION: *region = optarg; break;
        case 'h': return cli_print_help(s_help) == CLI_EXIT_OK ? -1 : CLI_EXIT_FAILURE;
        default: return cli_option_error(cli, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);

    if (*region == NULL)
        *region = mt_env_get("AWS_REGION");
    if (*region == NULL)
        *region = mt_env_get("AWS_DEFAULT_REGION");
    if (*region == NULL)
        return cli_usage_error(cli, "no region: give --region or set AWS_REGION or "
                                    "AWS_DEFAULT_REGION");

    struct mt_err err = {0};
    if (mt_smtp_region_check(mt_str_from_cstr(*region), &err) != MT_OK)
        return cli_usage_error(cli, "%s", mt_err_text(&err));
    return CLI_EXIT_OK;
}

/*
 * Finds the key; prints why when there is none.  Returns an exit code.
 *
 * LIMITATION: a key taken from AWS_SECRET_ACCESS_KEY stays in the process
 * environment, which is not wiped (only standard input's buffer is), so it
 * can be read from /proc/<pid>/environ or a core dump while the command
 * runs.  Piping the key on standard input avoids it.
 */
static int find_key(const struct cli *cli, char *buf, struct mt_str *key)
{
    int code = read_stdin_key(cli, buf, key);
    if (code != CLI_EXIT_OK || key->ptr != NULL)
        return code;

    *key = mt_str_from_cstr(mt_env_get("AWS_SECRET_ACCESS_KEY"));
    if (key->ptr == NULL) {
        cli_error(cli, "no secret access key: pipe it on standard input or set "
                       "AWS_SECRET_ACCESS_KEY");
        return CLI_EXIT_FAILURE;
    }
    if (mt_env_get("AWS_SESSION_TOKEN") != NULL)
        cli_note(cli, "warning: AWS_SESSION_TOKEN is set, so AWS_SECRET_ACCESS_KEY is likely "
                      "temporary; SES refuses passwords derived from temporary keys");
    return CLI_EXIT_OK;
}

int cmd_smtp_password(struct cli *cli, int argc, char **argv)
{
    char input[STDIN_MAX + 1];
    char password[MT_SMTP_PASSWORD_LEN + 1] = "";
    const char *region = NULL;
    struct mt_str key;
    struct mt_err err = {0};

    int code = parse_args(cli, argc, argv, &region);
    if (code != CLI_EXIT_OK)
        return code < 0 ? CLI_EXIT_OK : code;

    code = find_key(cli, input, &key);
    if (code == CLI_EXIT_OK &&
        mt_smtp_password_derive(key, mt_str_from_cstr(region), password, &err) != MT_OK) {
        cli_error(cli, "%s", mt_err_text(&err));
        code = CLI_EXIT_FAILURE;
    }
    if (code == CLI_EXIT_OK && !write_password(password)) {
        cli_error(cli, "cannot write to standard output: %s", strerror(errno));
        code = CLI_EXIT_FAILURE;
    }

    mt_secure_zero(input, sizeof(input));
    mt_secure_zero(password, sizeof(password));
    return code;
}
