/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mailtrack: the command-line tool.  A table of commands, each in
 * cmd_<name>.c; global options before the command; shared helpers for
 * messages and for opening the store.
 */
#include "cli.h"

#include "mt/env.h"
#include "mt/log.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#ifndef MT_VERSION
#define MT_VERSION "0.0.0"
#endif

/* Largest MAILTRACK_RETENTION_DAYS: six digits, far past any real retention. */
#define RETENTION_DAYS_MAX 999999

static const struct cli_command s_commands[] = {
    {"ingest", cmd_ingest, "store SES events from files or standard input"},
    {"report", cmd_report, "write a week's events as CSV with a summary"},
    {"quarantine", cmd_quarantine, "list input that was rejected, or show one raw"},
    {"setup-table", cmd_setup_table, "create the store (e.g. a DynamoDB table on a stand-in)"},
    {"serve", cmd_serve, "run the HTTP(S) endpoint an SNS topic posts to"},
    {"send-test", cmd_send_test, "send a test message through SES SMTP and report the replies"},
    {"smtp-password", cmd_smtp_password, "derive the SES SMTP password from a secret access key"},
};

static const char s_usage[] =
    "usage: mailtrack [-v | -q] COMMAND [ARGS]\n"
    "       mailtrack help COMMAND | --help | --version\n"
    "\n"
    "mailtrack tracks the email you send through Amazon SES: it stores one row per\n"
    "SES event and recipient, and writes each week's events as a CSV report.\n"
    "\n"
    "Commands:\n";

static const char s_usage_tail[] =
    "\n"
    "Options:\n"
    "  -v, --verbose    more detail on stderr (repeat for trace)\n"
    "  -q, --quiet      errors only\n"
    "  -h, --help       this help\n"
    "  --version        the version\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 usage error, 3 input rejected\n"
    "(see 'mailtrack COMMAND --help' for what each command adds).\n";

static void vmessage(const struct cli *cli, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void vmessage(const struct cli *cli, const char *fmt, va_list ap)
{
    char msg[2048];
    struct mt_buf safe;

    vsnprintf(msg, sizeof(msg), fmt, ap);
    mt_buf_init(&safe, 0);
    mt_buf_append_escaped(&safe, mt_str_from_cstr(msg));
    fprintf(stderr, "mailtrack%s%s: %s\n", cli->command ? " " : "",
            cli->command ? cli->command : "", safe.data ? safe.data : msg);
    mt_buf_cleanup(&safe);
}

void cli_error(const struct cli *cli, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(cli, fmt, ap);
    va_end(ap);
}

void cli_note(const struct cli *cli, const char *fmt, ...)
{
    if (cli->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vmessage(cli, fmt, ap);
    va_end(ap);
}

int cli_usage_error(const struct cli *cli, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(cli, fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try 'mailtrack%s%s --help' for more information.\n",
            cli->command ? " " : "", cli->command ? cli->command : "");
    return CLI_EXIT_USAGE;
}

int cli_option_error(const struct cli *cli, char **argv)
{
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    if (optopt != 0 && optopt < CLI_OPT_DB)
        return cli_usage_error(cli, "option '-%c' is unknown or needs a value", optopt);
    return cli_usage_error(cli, "option '%s' is unknown or needs a value", arg);
}

int cli_print_help(const char *text)
{
    fputs(text, stdout);
    return fflush(stdout) == 0 && !ferror(stdout) ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

int cli_finish_stdout(const struct cli *cli, int code)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error(cli, "cannot write to standard output: %s", strerror(errno));
        return CLI_EXIT_FAILURE;
    }
    return code;
}

bool cli_parse_number(const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (text == NULL || *text == '\0')
        return false;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return false;
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (v < min || v > max)
        return false;
    *out = v;
    return true;
}

int cli_number_option(const struct cli *cli, const char *option, const char *text, uint64_t min,
                      uint64_t max, uint64_t *out)
{
    if (cli_parse_number(text, min, max, out))
        return CLI_EXIT_OK;
    return cli_usage_error(cli, "%s '%s' is not a number from %" PRIu64 " to %" PRIu64, option,
                           text, min, max);
}

void cli_store_option(struct cli_store_options *opts, int option, const char *value)
{
    const char **slot = option == CLI_OPT_DB ? &opts->db : &opts->store;
    if (*slot != NULL)
        opts->twice = option == CLI_OPT_DB ? "--db" : "--store";
    *slot = value;
}

int cli_option_once(const struct cli *cli, const char **slot, const char *option,
                    const char *value)
{
    if (*slot != NULL)
        return cli_usage_error(cli, "give %s once", option);
    *slot = value;
    return CLI_EXIT_OK;
}

int cli_check_store_options(const struct cli *cli, const struct cli_store_options *opts)
{
    if (opts->twice != NULL)
        return cli_usage_error(cli, "give %s once", opts->twice);
    if (opts->store != NULL && opts->db != NULL)
        return cli_usage_error(cli, "give --db or --store, not both");
    /* An empty or in-memory database would take rows and keep none. */
    const char *db = opts->db;
    if (db == NULL && opts->store != NULL)
        db = strncmp(opts->store, "sqlite:", 7) == 0 ? opts->store + 7 : opts->store;
    /* A scheme this build does not know is a mistake in the option, not in a store. */
    if (opts->store != NULL && strstr(opts->store, "://") != NULL &&
        strncmp(opts->store, "dynamodb://", 11) != 0 && strncmp(opts->store, "sqlite:", 7) != 0)
        return cli_usage_error(cli, "--store '%s': unknown scheme (use sqlite:PATH or "
                               "dynamodb://TABLE)", opts->store);
    if (db != NULL && db[0] == '\0')
        return cli_usage_error(cli, "the database path is empty");
    if (db != NULL && strcmp(db, ":memory:") == 0)
        return cli_usage_error(cli, "':memory:' is a database that keeps nothing; give a file");
    return CLI_EXIT_OK;
}

struct mt_store *cli_open_store(const struct cli *cli, const struct cli_store_options *opts)
{
    struct mt_err err = {0};
    struct mt_buf path;
    struct mt_store *store = NULL;
    const char *uri = opts->store;

    mt_buf_init(&path, 4096);
    if (uri == NULL && opts->db != NULL) {
        mt_buf_appendf(&path, "sqlite:%s", opts->db);
        uri = path.data;
    } else if (uri == NULL && mt_env_get("MAILTRACK_DB") != NULL) {
        mt_buf_appendf(&path, "sqlite:%s", mt_env_get("MAILTRACK_DB"));
        uri = path.data;
    } else if (uri == NULL) {
        struct mt_buf def;
        mt_buf_init(&def, 4096);
        if (mt_env_default_db_path(&def, &err) == MT_OK)
            mt_buf_appendf(&path, "sqlite:%s", def.data);
        mt_buf_cleanup(&def);
        uri = path.data;
    }

    /* Also for $MAILTRACK_DB: an in-memory database would take rows and keep none. */
    if (err.code == MT_OK && uri != NULL &&
        (strcmp(uri, "sqlite::memory:") == 0 || strcmp(uri, ":memory:") == 0))
        mt_err_set(&err, MT_ERR_INVALID,
                   "':memory:' is a database that keeps nothing; give a file");

    struct mt_store_options options = {.must_exist = opts->must_exist,
                                       .read_only = opts->must_exist};
    const char *retention = mt_env_get("MAILTRACK_RETENTION_DAYS");
    uint64_t days = 0;
    if (retention != NULL && cli_parse_number(retention, 1, RETENTION_DAYS_MAX, &days))
        options.retention_days = (int)days;
    else if (retention != NULL)
        mt_err_set(&err, MT_ERR_CONFIG,
                   "MAILTRACK_RETENTION_DAYS '%s' is not a number of days from 1 to %d",
                   retention, RETENTION_DAYS_MAX);
    if (err.code == MT_OK)
        mt_store_open(uri, &options, &store, &err);
    if (store == NULL)
        cli_error(cli, "%s", mt_err_text(&err));
    mt_buf_cleanup(&path);
    return store;
}

static int print_usage(FILE *out)
{
    fputs(s_usage, out);
    for (size_t i = 0; i < sizeof(s_commands) / sizeof(s_commands[0]); i++)
        fprintf(out, "  %-16s %s\n", s_commands[i].name, s_commands[i].summary);
    fputs(s_usage_tail, out);
    return out == stdout ? cli_finish_stdout(&(struct cli){0}, CLI_EXIT_OK) : CLI_EXIT_USAGE;
}

static const struct cli_command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof(s_commands) / sizeof(s_commands[0]); i++) {
        if (strcmp(s_commands[i].name, name) == 0)
            return &s_commands[i];
    }
    return NULL;
}

int main(int argc, char **argv)
{
    struct cli cli = {0};
    int verbosity = 0;
    int i = 1;

    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            return print_usage(stdout);
        if (strcmp(a, "--version") == 0) {
            printf("mailtrack %s\n", MT_VERSION);
            return cli_finish_stdout(&cli, CLI_EXIT_OK);
        }
        if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
            verbosity++;
        else if (strcmp(a, "-vv") == 0)
            verbosity += 2;
        else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
            cli.quiet = true;
        else
            return cli_usage_error(&cli, "unknown option '%s'", a);
    }
    mt_log_set_level(cli.quiet ? MT_LOG_ERROR : verbosity >= 2 ? MT_LOG_TRACE
                                              : verbosity == 1 ? MT_LOG_DEBUG
                                                               : MT_LOG_WARN);
    if (i >= argc) {
        print_usage(stderr);
        return CLI_EXIT_USAGE;
    }

    const char *name = argv[i];
    bool help = strcmp(name, "help") == 0;
    if (help) {
        if (i + 1 >= argc)
            return print_usage(stdout);
        name = argv[i + 1];
    }
    const struct cli_command *cmd = find_command(name);
    if (cmd == NULL)
        return cli_usage_error(&cli, "'%s' is not a mailtrack command", name);

    cli.command = cmd->name;
    if (help) {
        char arg0[32], arg1[] = "--help";
        snprintf(arg0, sizeof(arg0), "%s", cmd->name);
        char *help_argv[] = {arg0, arg1, NULL};
        return cmd->run(&cli, 2, help_argv);
    }
    return cmd->run(&cli, argc - i, argv + i);
}
