/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_CLI_H
#define MT_CLI_H

/*
 * Shared by the mailtrack command-line tool's commands: the command table
 * entry, exit codes, message helpers and the store options every command
 * that reads or writes events accepts.
 *
 * Conventions: results on stdout, everything else on stderr; a message
 * starts with "mailtrack <command>: ", is lower-case, names its subject in
 * quotes and ends without a period.  --help prints to stdout and exits 0;
 * misuse prints the reason and a hint on stderr and exits 2.
 */

#include "mt/sns.h"
#include "mt/status.h"
#include "mt/store.h"

#include <stdbool.h>
#include <stdint.h>

/* Exit codes, documented in docs/cli.md and in each command's --help. */
enum cli_exit {
    CLI_EXIT_OK = 0,       /* success */
    CLI_EXIT_FAILURE = 1,  /* the operation failed */
    CLI_EXIT_USAGE = 2,    /* the command line was wrong */
    CLI_EXIT_REJECTED = 3, /* finished, but some input was rejected and quarantined */
};

struct cli {
    const char *command; /* the command being run, for messages */
    bool quiet;          /* -q: no notes, only errors */
};

struct cli_command {
    const char *name;
    int (*run)(struct cli *cli, int argc, char **argv);
    const char *summary;
};

/* Prints "mailtrack <command>: <message>" on stderr. */
void cli_error(const struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Like cli_error, unless -q was given. */
void cli_note(const struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reports misuse with a hint to try --help; returns CLI_EXIT_USAGE. */
int cli_usage_error(const struct cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Reports the option getopt_long just refused ('?' or ':'): unknown, or
 * missing its argument.  Returns CLI_EXIT_USAGE.
 */
int cli_option_error(const struct cli *cli, char **argv);

/* Prints usage text to stdout and returns CLI_EXIT_OK, or FAILURE when stdout fails. */
int cli_print_help(const char *text);

/*
 * Reads text as a whole decimal number from min to max into *out.  Only
 * ASCII digits count: a sign, blank, prefix or trailing byte, an empty text
 * and a value out of range (never clamped, however long) all give false,
 * with *out untouched.
 */
bool cli_parse_number(const char *text, uint64_t min, uint64_t max, uint64_t *out);

/*
 * cli_parse_number for the value of a numeric option, e.g. "--port": on
 * failure reports "OPTION 'TEXT' is not a number from MIN to MAX" as a usage
 * error.  Returns CLI_EXIT_OK or CLI_EXIT_USAGE.
 */
int cli_number_option(const struct cli *cli, const char *option, const char *text, uint64_t min,
                      uint64_t max, uint64_t *out);

/* Where a command keeps its events: --db PATH or --store URI. */
struct cli_store_options {
    const char *db;    /* --db */
    const char *store; /* --store */
    bool must_exist;   /* the command only reads: a missing database is an error */
    const char *twice; /* an option of these given more than once, or NULL */
};

/* Takes the value of --db (CLI_OPT_DB) or --store (CLI_OPT_STORE). */
void cli_store_option(struct cli_store_options *opts, int option, const char *value);

/*
 * Sets *slot to value for an option that may be given once; a second time
 * is a usage error naming option.  Returns CLI_EXIT_OK or CLI_EXIT_USAGE.
 */
int cli_option_once(const struct cli *cli, const char **slot, const char *option,
                    const char *value);

/* Checks the store options once parsed; CLI_EXIT_USAGE (reported) or CLI_EXIT_OK. */
int cli_check_store_options(const struct cli *cli, const struct cli_store_options *opts);

/*
 * Opens the store: --store, else --db, else $MAILTRACK_DB, else the per-user
 * default.  Prints the error and returns NULL on failure.
 */
struct mt_store *cli_open_store(const struct cli *cli, const struct cli_store_options *opts);

/* Long-option codes shared by commands; values above any short option. */
enum cli_option {
    CLI_OPT_DB = 1000,
    CLI_OPT_STORE,
    CLI_OPT_HELP,
    CLI_OPT_FIRST_COMMAND_SPECIFIC,
};

/* Usage lines for the store options, to paste into a command's help. */
#define CLI_STORE_HELP                                                                        \
    "  --db PATH        SQLite database file (default: $MAILTRACK_DB, else\n"                 \
    "                   $XDG_DATA_HOME/mailtrack/events.db)\n"                                \
    "  --store URI      sqlite:PATH or dynamodb://TABLE (AWS settings from the environment\n" \
    "                   and ~/.aws, see docs/aws.md; MAILTRACK_RETENTION_DAYS sets the\n"   \
    "                   DynamoDB time-to-live, default 400 days)\n"

/* Flushes and checks stdout; prints an error and returns FAILURE when it failed. */
int cli_finish_stdout(const struct cli *cli, int code);

/* Test-only overrides for HTTPS fetches; zero for the real network. */
struct cli_fetch {
    const char *ca_file;           /* --ca-file: trust this CA bundle instead of the system's */
    const char *const *connect_to; /* --connect-to HOST:PORT:ADDR:PORT, loopback ADDR only */
    size_t connect_to_count;
};

/* MT_ERR_CONFIG unless entry is HOST:PORT:ADDR:PORT with a loopback ADDR. */
enum mt_status cli_fetch_check_connect_to(const char *entry, struct mt_err *err);

/*
 * An mt_sns_fetch_fn: GET url over https only (no redirects, no proxy,
 * verified TLS, timeouts) into body; MT_OK only for HTTP 200.  ctx is a
 * struct cli_fetch or NULL.  Thread-safe.
 */
enum mt_status cli_fetch_https(void *ctx, const char *url, struct mt_buf *body,
                               struct mt_err *err);

/* The SNS options shared by ingest --verify and serve. */
struct cli_sns_options {
    const char **topics; /* --topic, repeatable */
    size_t topic_count;
    const char *cert_dir; /* --cert-dir */
};

/* Long-option codes of the SNS options. */
enum cli_sns_option {
    CLI_OPT_TOPIC = 1100,
    CLI_OPT_CERT_DIR,
    CLI_OPT_VERIFY,
    CLI_OPT_CA_FILE,
    CLI_OPT_CONNECT_TO,
};

/* Usage lines for the SNS options. */
#define CLI_SNS_HELP                                                                          \
    "  --topic ARN      accept messages from this SNS topic only (repeatable; required)\n"    \
    "  --cert-dir DIR   signing certificates, DIR/<host>/<file>.pem, read before any\n"       \
    "                   fetch and filled by fetches\n"

/*
 * Makes the verifier: the topics, the certificate folder, and fetch for
 * certificates it lacks.  Prints the error and returns NULL on failure.
 */
struct mt_sns_verifier *cli_new_verifier(const struct cli *cli, const struct cli_sns_options *o,
                                         struct cli_fetch *fetch);

/*
 * Adds a --topic value to o (whose topics has room for every argument);
 * -1 when it is an SNS topic ARN, else the usage error's exit code.
 */
int cli_add_topic(const struct cli *cli, struct cli_sns_options *o, const char *arn);

int cmd_ingest(struct cli *cli, int argc, char **argv);
int cmd_report(struct cli *cli, int argc, char **argv);
int cmd_quarantine(struct cli *cli, int argc, char **argv);
int cmd_send_test(struct cli *cli, int argc, char **argv);
int cmd_smtp_password(struct cli *cli, int argc, char **argv);
int cmd_serve(struct cli *cli, int argc, char **argv);
int cmd_setup_table(struct cli *cli, int argc, char **argv);

#endif
