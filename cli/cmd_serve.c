/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mailtrack serve: the HTTP(S) endpoint an SNS topic posts to, in the
 * foreground until SIGTERM or SIGINT.
 *
 * The signals are blocked before any thread starts and taken with sigwait
 * by the main thread, so a signal never lands in a server thread.  On
 * either, the server stops accepting, lets requests in flight finish, and
 * the store is closed only after the last commit; every request answered
 * 200 is stored.  Rejections and confirmations are logged one line each.
 */
#include "cli.h"

#include "mt/log.h"
#include "mt/serve.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIRM_BODY_MAX ((size_t)64 * 1024)

static const char s_help[] =
    "usage: mailtrack serve --topic ARN... [--address ADDR] [--port N] [--path PATH]\n"
    "                       [--tls-cert FILE --tls-key FILE] [--cert-dir DIR]\n"
    "                       [--threads N] [--per-ip-limit N] [--db PATH | --store URI]\n"
    "\n"
    "Runs the HTTP(S) endpoint an Amazon SNS topic posts to, in the foreground,\n"
    "until SIGTERM or SIGINT.  Every message must be signed by SNS and come from a\n"
    "topic given with --topic; notifications are stored before the answer (200),\n"
    "subscriptions to allowed topics are confirmed, unsubscriptions are logged.\n"
    "GET /healthz answers 'ok'; GET /metrics gives Prometheus metrics.\n"
    "\n"
    "Options:\n" CLI_SNS_HELP
    "  --address ADDR   IP address to listen on (default 127.0.0.1)\n"
    "  --port N         port to listen on (default 8080; 0 picks a free one)\n"
    "  --path PATH      path SNS posts to (default /sns)\n"
    "  --tls-cert FILE  serve HTTPS with this PEM certificate chain...\n"
    "  --tls-key FILE   ...and this PEM private key\n"
    "  --threads N      request threads (default 4)\n"
    "  --per-ip-limit N connections one client address may hold open (default 32 on\n"
    "                   a public address, no limit on loopback behind a proxy)\n"
    "  --commit-group N notifications stored per commit at most (default 64)\n" CLI_STORE_HELP
    "  -h, --help       this help\n"
    "\n"
    "For tests only (they redirect the fetches of certificates and confirmations):\n"
    "  --ca-file FILE   trust only this CA bundle for HTTPS fetches\n"
    "  --connect-to HOST:PORT:ADDR:PORT  connect to loopback ADDR:PORT instead\n"
    "\n"
    "Exit status: 0 stopped by a signal, 1 could not start, 2 usage error.\n";

struct serve_args {
    struct cli_store_options store;
    struct cli_sns_options sns;
    struct cli_fetch fetch;
    const char **connect_to;
    struct mt_serve_options serve;
};

enum serve_option {
    OPT_ADDRESS = CLI_OPT_FIRST_COMMAND_SPECIFIC,
    OPT_PORT,
    OPT_PATH,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
    OPT_THREADS,
    OPT_COMMIT_GROUP,
    OPT_PER_IP_LIMIT,
};

/* Applies one option; returns -1 to go on, else an exit code. */
static int apply_option(struct cli *cli, int c, struct serve_args *a)
{
    uint64_t n = 0;
    struct mt_err err = {0};
    const char *problem;

    switch (c) {
    case CLI_OPT_DB:
    case CLI_OPT_STORE: cli_store_option(&a->store, c, optarg); break;
    case CLI_OPT_TOPIC: return cli_add_topic(cli, &a->sns, optarg);
    case CLI_OPT_CERT_DIR: a->sns.cert_dir = optarg; break;
    case CLI_OPT_CA_FILE: a->fetch.ca_file = optarg; break;
    case CLI_OPT_CONNECT_TO:
        if (cli_fetch_check_connect_to(optarg, &err) != MT_OK)
            return cli_usage_error(cli, "%s", mt_err_text(&err));
        a->connect_to[a->fetch.connect_to_count++] = optarg;
        break;
    case OPT_ADDRESS:
        if ((problem = mt_serve_address_problem(optarg)) != NULL)
            return cli_usage_error(cli, "--address '%s' %s", optarg, problem);
        a->serve.address = optarg;
        break;
    case OPT_PATH:
        if ((problem = mt_serve_path_problem(optarg)) != NULL)
            return cli_usage_error(cli, "--path '%s' %s", optarg, problem);
        a->serve.path = optarg;
        break;
    case OPT_TLS_CERT: a->serve.tls_cert_file = optarg; break;
    case OPT_TLS_KEY: a->serve.tls_key_file = optarg; break;
    case OPT_PORT:
        if (cli_number_option(cli, "--port", optarg, 0, 65535, &n) != CLI_EXIT_OK)
            return CLI_EXIT_USAGE;
        a->serve.port = (unsigned)n;
        break;
    case OPT_THREADS:
        if (cli_number_option(cli, "--threads", optarg, 1, 256, &n) != CLI_EXIT_OK)
            return CLI_EXIT_USAGE;
        a->serve.threads = (unsigned)n;
        break;
    case OPT_PER_IP_LIMIT:
        if (cli_number_option(cli, "--per-ip-limit", optarg, 1, 100000, &n) != CLI_EXIT_OK)
            return CLI_EXIT_USAGE;
        a->serve.per_ip_connection_limit = (unsigned)n;
        break;
    case OPT_COMMIT_GROUP:
        if (cli_number_option(cli, "--commit-group", optarg, 1, 4096, &n) != CLI_EXIT_OK)
            return CLI_EXIT_USAGE;
        a->serve.commit_group_max = (size_t)n;
        break;
    case 'h': return cli_print_help(s_help);
    default: return CLI_EXIT_USAGE;
    }
    return -1;
}

static int parse_options(struct cli *cli, int argc, char **argv, struct serve_args *a)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, CLI_OPT_DB},
        {"store", required_argument, NULL, CLI_OPT_STORE},
        {"topic", required_argument, NULL, CLI_OPT_TOPIC},
        {"cert-dir", required_argument, NULL, CLI_OPT_CERT_DIR},
        {"ca-file", required_argument, NULL, CLI_OPT_CA_FILE},
        {"connect-to", required_argument, NULL, CLI_OPT_CONNECT_TO},
        {"address", required_argument, NULL, OPT_ADDRESS},
        {"port", required_argument, NULL, OPT_PORT},
        {"path", required_argument, NULL, OPT_PATH},
        {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
        {"tls-key", required_argument, NULL, OPT_TLS_KEY},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"commit-group", required_argument, NULL, OPT_COMMIT_GROUP},
        {"per-ip-limit", required_argument, NULL, OPT_PER_IP_LIMIT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == '?' || c == ':')
            return cli_option_error(cli, argv);
        int code = apply_option(cli, c, a);
        if (code >= 0)
            return code;
    }
    if (optind < argc)
        return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
    if (a->sns.topic_count == 0)
        return cli_usage_error(cli, "give at least one --topic ARN to accept messages from");
    if ((a->serve.tls_cert_file == NULL) != (a->serve.tls_key_file == NULL))
        return cli_usage_error(cli, "--tls-cert and --tls-key go together");
    int store_code = cli_check_store_options(cli, &a->store);
    return store_code != CLI_EXIT_OK ? store_code : -1;
}

/*
 * Logs one notice from the server, one line each: refusals, unsubscriptions
 * and quarantined content as warnings (404s as information), the rest as
 * information.  E.g. "sns_rejected 403 from 192.0.2.7: signature: SNS
 * signature does not verify (message 5f1c..., topic arn:...)".
 */
static void log_notice(void *ctx, const struct mt_serve_notice *n)
{
    struct mt_buf line;
    (void)ctx;

    bool warn = (n->http_status >= 400 && n->http_status != 404) ||
                strcmp(n->event, "sns_unsubscribed") == 0 ||
                strcmp(n->event, "sns_message_quarantined") == 0;
    mt_buf_init(&line, 1000);
    mt_buf_append_cstr(&line, n->event);
    if (n->http_status != 0)
        mt_buf_appendf(&line, " %d", n->http_status);
    if (n->remote != NULL)
        mt_buf_appendf(&line, " from %s", n->remote);
    if (n->reason != NULL)
        mt_buf_appendf(&line, ": %s", n->reason);
    if (n->detail != NULL)
        mt_buf_appendf(&line, ": %s", n->detail);
    if (n->message_id != NULL)
        mt_buf_appendf(&line, " (message %s)", n->message_id);
    if (n->topic_arn != NULL)
        mt_buf_appendf(&line, " (topic %s)", n->topic_arn);
    MT_LOG(warn ? MT_LOG_WARN : MT_LOG_INFO, "serve", n->event, "serve: %s",
           line.data ? line.data : n->event);
    mt_buf_cleanup(&line);
}

/* Confirms a subscription: a GET of its SubscribeURL that must answer 200. */
static enum mt_status confirm(void *ctx, const char *url, struct mt_err *err)
{
    struct mt_buf body;
    mt_buf_init(&body, CONFIRM_BODY_MAX);
    enum mt_status st = cli_fetch_https(ctx, url, &body, err);
    mt_buf_cleanup(&body);
    return st;
}

/* Serves until SIGTERM or SIGINT; the signals are already blocked. */
static int run(struct cli *cli, struct serve_args *a, const sigset_t *signals)
{
    struct mt_serve *server = NULL;
    struct mt_err err = {0};
    int sig = 0;

    if (mt_serve_start(&a->serve, &server, &err) != MT_OK) {
        cli_error(cli, "%s", mt_err_text(&err));
        return CLI_EXIT_FAILURE;
    }
    cli_note(cli, "listening on %s://%s%s%s:%u%s", a->serve.tls_cert_file ? "https" : "http",
             strchr(a->serve.address ? a->serve.address : "", ':') ? "[" : "",
             a->serve.address ? a->serve.address : "127.0.0.1",
             strchr(a->serve.address ? a->serve.address : "", ':') ? "]" : "",
             mt_serve_port(server), a->serve.path ? a->serve.path : "/sns");
    sigwait(signals, &sig);
    cli_note(cli, "%s received; finishing requests in flight", strsignal(sig));
    mt_serve_stop(server);
    cli_note(cli, "stopped");
    return CLI_EXIT_OK;
}

int cmd_serve(struct cli *cli, int argc, char **argv)
{
    struct serve_args a = {.serve.port = 8080};
    struct mt_sns_verifier *verifier = NULL;
    struct mt_store *store = NULL;
    sigset_t signals;
    int code = CLI_EXIT_FAILURE;

    a.sns.topics = calloc((size_t)argc, sizeof(char *));
    a.connect_to = calloc((size_t)argc, sizeof(char *));
    a.fetch.connect_to = a.connect_to;
    if (a.sns.topics == NULL || a.connect_to == NULL) {
        cli_error(cli, "out of memory");
        goto done;
    }
    int parsed = parse_options(cli, argc, argv, &a);
    if (parsed >= 0) {
        code = parsed;
        goto done;
    }
    if (!cli->quiet && mt_log_threshold < MT_LOG_INFO)
        mt_log_set_level(MT_LOG_INFO);

    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    if ((verifier = cli_new_verifier(cli, &a.sns, &a.fetch)) == NULL ||
        (store = cli_open_store(cli, &a.store)) == NULL)
        goto done;
    a.serve.verifier = verifier;
    a.serve.store = store;
    a.serve.confirm = confirm;
    a.serve.confirm_ctx = &a.fetch;
    a.serve.notice = log_notice;
    code = run(cli, &a, &signals);
done:
    mt_store_close(store);
    mt_sns_verifier_free(verifier);
    free(a.sns.topics);
    free(a.connect_to);
    return code;
}
