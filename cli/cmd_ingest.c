/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mailtrack ingest: SES events from files or standard input into the store.
 * Every file is read even when an earlier one failed; each rejected document
 * gets one line on stderr naming the file, the line for NDJSON, and why.
 * With --verify, every document must be a signed SNS message (HTTP body or
 * Lambda event) from an allowed topic; others are rejected and quarantined.
 */
#include "cli.h"

#include "mt/ingest.h"
#include "mt/sns.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char s_help[] =
    "usage: mailtrack ingest [--db PATH | --store URI] [FILE...]\n"
    "       mailtrack ingest --verify --topic ARN... [--cert-dir DIR] [FILE...]\n"
    "\n"
    "Stores the SES events in each FILE, or in standard input when no FILE is\n"
    "given or for '-'.  A file holds JSON documents or NDJSON (one document a\n"
    "line).  A document is an SNS-to-Lambda event, the body SNS posts to an HTTP\n"
    "endpoint, or a bare SES record (eventType or notificationType).  Ingesting\n"
    "the same event again stores nothing new.  Rejected documents are kept in the\n"
    "quarantine ('mailtrack quarantine').\n"
    "\n"
    "With --verify, only SNS messages whose signature verifies and whose topic\n"
    "is allowed are stored: SNS HTTP bodies and SNS-to-Lambda events, with the\n"
    "same checks as 'mailtrack serve'.  Anything else is rejected.\n"
    "\n"
    "Options:\n" CLI_STORE_HELP
    "  --verify         verify SNS signatures; needs --topic\n" CLI_SNS_HELP
    "  -h, --help       this help\n"
    "\n"
    "Exit status: 0 everything ingested, 1 a file or the store failed,\n"
    "2 usage error, 3 some documents were rejected (the rest were stored).\n";

/* The signal that asked ingest to stop, or 0. */
static volatile sig_atomic_t s_stop;

/*
 * SIGINT, SIGTERM or SIGHUP: the stream stops at its next line and writes
 * what it has read.  A second signal, e.g. while a write hangs, ends the process.
 */
static void on_stop_signal(int sig)
{
    if (s_stop != 0) {
        signal(sig, SIG_DFL);
        raise(sig);
    }
    s_stop = sig;
}

static void stop_on_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a blocked read returns to see the request */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL); /* the terminal went away, e.g. a dropped ssh session */
}

static void print_reject(void *ctx, const char *source, long line, const struct mt_reject *r)
{
    const struct cli *cli = ctx;
    if (line > 0)
        cli_error(cli, "rejected %s:%ld: %s", source, line, r->reason);
    else
        cli_error(cli, "rejected %s: %s", source, r->reason);
}

/* Ingests one named file or "-"; false when it could not be read or stored. */
static bool ingest_file(const struct cli *cli, struct mt_ingest *ing, const char *name)
{
    struct mt_err err = {0};
    bool is_stdin = strcmp(name, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(name, "rb");

    if (f == NULL) {
        cli_error(cli, "cannot open '%s': %s", name, strerror(errno));
        return false;
    }
    enum mt_status st = mt_ingest_stream(ing, f, is_stdin ? "stdin" : name, &err);
    if (!is_stdin)
        fclose(f);
    if (st != MT_OK)
        cli_error(cli, "%s", mt_err_text(&err));
    return st == MT_OK;
}

static void print_totals(const struct cli *cli, const struct mt_ingest_stats *s)
{
    cli_note(cli,
             "documents %zu, events %zu, rows stored %zu, already stored %zu, "
             "skipped %zu (set-up notices %zu, SNS confirmations %zu), rejected %zu",
             s->documents, s->events, s->rows_stored, s->rows_duplicate,
             s->notices + s->confirmations, s->notices, s->confirmations, s->rejected);
}

/* The ingest check for --verify: the whole document must verify. */
static enum mt_status verify_document(void *ctx, struct mt_str doc, struct mt_err *err)
{
    return mt_sns_verify_document(ctx, doc, NULL, err);
}

/* Parses the options into store_opts, sns and *verify; returns -1 to go on, else an exit code. */
static int parse_options(struct cli *cli, int argc, char **argv,
                         struct cli_store_options *store_opts, struct cli_sns_options *sns,
                         bool *verify)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, CLI_OPT_DB},
        {"store", required_argument, NULL, CLI_OPT_STORE},
        {"verify", no_argument, NULL, CLI_OPT_VERIFY},
        {"topic", required_argument, NULL, CLI_OPT_TOPIC},
        {"cert-dir", required_argument, NULL, CLI_OPT_CERT_DIR},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case CLI_OPT_DB:
        case CLI_OPT_STORE: cli_store_option(store_opts, c, optarg); break;
        case CLI_OPT_VERIFY: *verify = true; break;
        case CLI_OPT_TOPIC:
            if ((c = cli_add_topic(cli, sns, optarg)) >= 0)
                return c;
            break;
        case CLI_OPT_CERT_DIR: sns->cert_dir = optarg; break;
        case 'h': return cli_print_help(s_help);
        default: return cli_option_error(cli, argv);
        }
    }
    if (!*verify && (sns->topic_count > 0 || sns->cert_dir != NULL))
        return cli_usage_error(cli, "--topic and --cert-dir only apply with --verify");
    if (*verify && sns->topic_count == 0)
        return cli_usage_error(cli, "--verify needs at least one --topic ARN");
    return -1;
}

int cmd_ingest(struct cli *cli, int argc, char **argv)
{
    struct cli_store_options store_opts = {0};
    struct cli_sns_options sns = {.topics = calloc((size_t)argc, sizeof(char *))};
    struct mt_sns_verifier *verifier = NULL;
    struct mt_store *store = NULL;
    struct mt_ingest *ing = NULL;
    bool verify = false;
    int code = CLI_EXIT_FAILURE;

    if (sns.topics == NULL) {
        cli_error(cli, "out of memory");
        return CLI_EXIT_FAILURE;
    }
    int parsed = parse_options(cli, argc, argv, &store_opts, &sns, &verify);
    if (parsed >= 0) {
        code = parsed;
        goto done;
    }
    if (cli_check_store_options(cli, &store_opts) != CLI_EXIT_OK) {
        code = CLI_EXIT_USAGE;
        goto done;
    }
    if (verify && (verifier = cli_new_verifier(cli, &sns, NULL)) == NULL)
        goto done;
    if ((store = cli_open_store(cli, &store_opts)) == NULL)
        goto done;

    struct mt_ingest_options opts = {.on_reject = print_reject, .on_reject_ctx = cli,
                                     .check = verify ? verify_document : NULL,
                                     .check_ctx = verifier, .stop = &s_stop};
    if ((ing = mt_ingest_new(store, &opts)) == NULL) {
        cli_error(cli, "out of memory");
        goto done;
    }

    bool ok = true;
    stop_on_signals();
    if (optind >= argc)
        ok = ingest_file(cli, ing, "-");
    for (int i = optind; i < argc && s_stop == 0; i++)
        ok = ingest_file(cli, ing, argv[i]) && ok;

    const struct mt_ingest_stats *stats = mt_ingest_get_stats(ing);
    print_totals(cli, stats);
    code = !ok ? CLI_EXIT_FAILURE : stats->rejected ? CLI_EXIT_REJECTED : CLI_EXIT_OK;
done:
    mt_ingest_free(ing);
    mt_store_close(store);
    mt_sns_verifier_free(verifier);
    free(sns.topics);
    if (s_stop != 0) {
        /* What was read is stored; end as the signal asked, for the caller to see. */
        signal(s_stop, SIG_DFL);
        raise(s_stop);
    }
    return code;
}
