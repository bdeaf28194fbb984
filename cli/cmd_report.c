/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mailtrack report: a window's events as CSV, with a summary beside it.
 */
#include "cli.h"

#include "mt/report.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char s_help[] =
    "usage: mailtrack report [--week YYYY-Www | --last-week [--now TIME] | --from TIME --to TIME]\n"
    "                        [--out FILE|DIR|-|s3://BUCKET/PREFIX/] [--print-summary]\n"
    "                        [--db PATH | --store URI]\n"
    "\n"
    "Writes the events of a window as CSV (RFC 4180, UTF-8, CRLF), one row per\n"
    "event and recipient, ordered by event time, message id and recipient.  A week\n"
    "is an ISO week in UTC, Monday 00:00 inclusive to the next Monday exclusive.\n"
    "The default window is last week.  Beside the CSV goes a summary\n"
    "(email-events-<window>.summary.json): counts per event type, delivery, bounce\n"
    "and complaint rates, each against the levels at which SES reviews or pauses an\n"
    "account.  The same events always give the same bytes.\n"
    "\n"
    "Options:\n"
    "  --week YYYY-Www  an ISO week, e.g. 2026-W48\n"
    "  --last-week      the ISO week before the current one (the default)\n"
    "  --from TIME      start of a window, inclusive (ISO-8601, e.g. 2026-11-23T00:00Z)\n"
    "  --to TIME        end of a window, exclusive\n"
    "  --now TIME       take this as the current time for --last-week\n"
    "  --out TARGET     a folder (default: the current folder) receiving\n"
    "                   email-events-<window>.csv, a file name for the CSV, '-'\n"
    "                   for standard output (no summary file then), or an S3 prefix\n"
    "                   s3://BUCKET/PREFIX/ (S3_SSE_KMS_KEY_ID selects SSE-KMS)\n"
    "  --print-summary  print the summary for a person (default when stdout is a\n"
    "                   terminal)\n" CLI_STORE_HELP
    "  -h, --help       this help\n"
    "\n"
    "Prints where the CSV and summary went, one path a line, unless the CSV goes\n"
    "to standard output.  Exit status: 0 written, 1 failed, 2 usage error.\n";

enum { OPT_WEEK = CLI_OPT_FIRST_COMMAND_SPECIFIC, OPT_LAST_WEEK, OPT_FROM, OPT_TO, OPT_NOW,
       OPT_OUT, OPT_PRINT_SUMMARY };

struct report_args {
    const char *week, *from, *to, *now, *out;
    bool last_week, print_summary, out_given;
    struct cli_store_options store;
};

static int parse_args(struct cli *cli, int argc, char **argv, struct report_args *a)
{
    static const struct option longopts[] = {
        {"week", required_argument, NULL, OPT_WEEK},
        {"last-week", no_argument, NULL, OPT_LAST_WEEK},
        {"from", required_argument, NULL, OPT_FROM},
        {"to", required_argument, NULL, OPT_TO},
        {"now", required_argument, NULL, OPT_NOW},
        {"out", required_argument, NULL, OPT_OUT},
        {"print-summary", no_argument, NULL, OPT_PRINT_SUMMARY},
        {"db", required_argument, NULL, CLI_OPT_DB},
        {"store", required_argument, NULL, CLI_OPT_STORE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, code = CLI_EXIT_OK;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_WEEK: code = cli_option_once(cli, &a->week, "--week", optarg); break;
        case OPT_LAST_WEEK: a->last_week = true; break;
        case OPT_FROM: code = cli_option_once(cli, &a->from, "--from", optarg); break;
        case OPT_TO: code = cli_option_once(cli, &a->to, "--to", optarg); break;
        case OPT_NOW: code = cli_option_once(cli, &a->now, "--now", optarg); break;
        case OPT_OUT:
            code = a->out_given ? cli_usage_error(cli, "give --out once") : CLI_EXIT_OK;
            a->out = optarg;
            a->out_given = true;
            break;
        case OPT_PRINT_SUMMARY: a->print_summary = true; break;
        case CLI_OPT_DB:
        case CLI_OPT_STORE: cli_store_option(&a->store, c, optarg); break;
        case 'h': return cli_print_help(s_help) == CLI_EXIT_OK ? -1 : CLI_EXIT_FAILURE;
        default: return cli_option_error(cli, argv);
        }
        if (code != CLI_EXIT_OK)
            return code;
    }
    if (optind < argc)
        return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
    if ((a->week != NULL) + a->last_week + (a->from != NULL || a->to != NULL) > 1)
        return cli_usage_error(cli, "give one of --week, --last-week or --from/--to");
    if (a->now != NULL && (a->week != NULL || a->from != NULL || a->to != NULL))
        return cli_usage_error(cli, "--now sets the current time for --last-week; it means "
                               "nothing with --week or --from/--to");
    if ((a->from != NULL) != (a->to != NULL))
        return cli_usage_error(cli, "--from and --to go together");
    if (a->out[0] == '\0')
        return cli_usage_error(cli, "--out is empty; give a file, a folder, - or s3://");
    return cli_check_store_options(cli, &a->store);
}

static int choose_window(struct cli *cli, const struct report_args *a,
                         struct mt_report_window *w)
{
    struct mt_err err = {0};
    int64_t now = mt_time_now_ms();

    if (a->week != NULL) {
        struct mt_iso_week week;
        if (mt_iso_week_parse(mt_str_from_cstr(a->week), &week) != MT_OK)
            return cli_usage_error(cli, "'%s' is not an ISO week like 2026-W48", a->week);
        mt_report_window_week(week, w);
    } else if (a->from != NULL) {
        if (mt_report_window_range(mt_str_from_cstr(a->from), mt_str_from_cstr(a->to), w,
                                   &err) != MT_OK)
            return cli_usage_error(cli, "%s", mt_err_text(&err));
    } else {
        if (a->now != NULL && mt_time_parse_iso(mt_str_from_cstr(a->now), &now) != MT_OK)
            return cli_usage_error(cli, "'%s' is not an ISO-8601 time", a->now);
        mt_report_window_last_week(now, w);
    }
    return CLI_EXIT_OK;
}

/* Prints where the files went, and the summary for a person when wanted. */
static void print_results(const struct report_args *a, struct mt_report_run *run,
                          struct mt_output *out, const char *csv_path)
{
    struct mt_buf text;
    mt_buf_init(&text, 0);
    bool for_person = a->print_summary || isatty(STDOUT_FILENO);

    if (!out->single_stream) {
        printf("%s\n", csv_path);
        size_t n = strlen(csv_path);
        if (n > 4 && strcmp(csv_path + n - 4, ".csv") == 0)
            printf("%.*s.summary.json\n", (int)(n - 4), csv_path);
    }
    if (for_person || (out->single_stream && isatty(STDERR_FILENO))) {
        mt_report_summary_text(run, &text);
        fputs(text.data ? text.data : "", out->single_stream ? stderr : stdout);
    }
    mt_buf_cleanup(&text);
}

/* On SIGINT or SIGTERM: remove the half-written temporary file, then die of the signal. */
static void on_stop_signal(int sig)
{
    mt_output_remove_temporary();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void remove_temporary_on_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int cmd_report(struct cli *cli, int argc, char **argv)
{
    struct report_args a = {.out = ".", .store.must_exist = true};
    struct mt_report_run run = {0};
    struct mt_err err = {0};

    int code = parse_args(cli, argc, argv, &a);
    if (code != CLI_EXIT_OK)
        return code < 0 ? CLI_EXIT_OK : code;
    code = choose_window(cli, &a, &run.window);
    if (code != CLI_EXIT_OK)
        return code;

    struct mt_output *out = NULL;
    if (mt_output_open(a.out, &out, &err) != MT_OK) {
        cli_error(cli, "%s", mt_err_text(&err));
        return CLI_EXIT_FAILURE;
    }
    run.store = cli_open_store(cli, &a.store);
    if (run.store == NULL) {
        mt_output_close(out);
        return CLI_EXIT_FAILURE;
    }

    struct mt_buf location;
    mt_buf_init(&location, 0);
    remove_temporary_on_signals();
    if (mt_report_generate(&run, out, &location, &err) == MT_OK) {
        print_results(&a, &run, out, location.data ? location.data : "");
        code = cli_finish_stdout(cli, CLI_EXIT_OK);
    } else {
        cli_error(cli, "%s", mt_err_text(&err));
        code = CLI_EXIT_FAILURE;
    }
    mt_buf_cleanup(&location);
    mt_store_close(run.store);
    mt_output_close(out);
    return code;
}
