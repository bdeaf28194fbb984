/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mailtrack send-test: composes one plain-text test message and sends it
 * through an SES SMTP endpoint, so a deployment can be checked by watching
 * its events arrive.  Prints the server's answer for each recipient on
 * stdout and gives each kind of failure its own exit code (the table is in
 * s_help and docs/cli.md).  Credentials come from the environment or a
 * private file, never from the command line, and are wiped after use.
 * Composition and sending are in lib/smtp; this file is options, input and
 * reporting.
 */
#include "cli.h"

#include "mt/clock.h"
#include "mt/env.h"
#include "mt/smtp.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Largest body file read: SES takes messages up to 10 MB, encoding included. */
#define BODY_FILE_MAX (6u * 1024 * 1024)

/* Exit codes this command adds to the shared ones in cli.h. */
enum {
    SEND_EXIT_AUTH = 10,     /* the server refused the credentials */
    SEND_EXIT_REJECTED = 11, /* sender, every recipient or the message refused */
    SEND_EXIT_TLS = 12,      /* no STARTTLS, handshake or certificate failure */
    SEND_EXIT_TIMEOUT = 13,  /* no complete exchange within --timeout */
    SEND_EXIT_CONNECT = 14,  /* refused, unreachable, or closed before the greeting */
    SEND_EXIT_RESOLVE = 15,  /* the host name did not resolve */
    SEND_EXIT_PARTIAL = 16,  /* some recipients refused, the others got it */
};

static const char s_help[] =
    "usage: mailtrack send-test --from ADDRESS (--to ADDRESS | --simulate KIND)...\n"
    "                           [--subject TEXT] [--body TEXT | --body-file FILE]\n"
    "                           [--configuration-set NAME] [--tag NAME=VALUE]...\n"
    "                           [--region REGION | --host HOST] [--port PORT]\n"
    "                           [--tls starttls|implicit] [--ca-file FILE]\n"
    "                           [--credentials-file FILE] [--timeout SECONDS]\n"
    "\n"
    "Sends one plain-text test message through the Amazon SES SMTP interface and\n"
    "prints, for each recipient, whether the server accepted it, with its reply:\n"
    "\n"
    "  accepted ADDRESS: REPLY    or    refused ADDRESS: REPLY\n"
    "  unconfirmed ADDRESS: ...   (the connection ended before the server answered\n"
    "                             the end of the message: it may not have it)\n"
    "  message-id ID              (the id SES gave the message, from '250 Ok ID')\n"
    "\n"
    "Without --configuration-set, SES publishes events only when the sending\n"
    "identity has a default configuration set.\n"
    "\n"
    "Options:\n"
    "  --from ADDRESS           sender, a verified SES identity (bare address)\n"
    "  --to ADDRESS             a recipient; repeat for more\n"
    "  --simulate KIND[+LABEL]  add the SES mailbox simulator address for KIND:\n"
    "                           success, bounce, complaint, ooto or suppressionlist\n"
    "                           (e.g. bounce+run42); repeatable\n"
    "  --subject TEXT           UTF-8 subject (default: 'mailtrack test message' and\n"
    "                           the time)\n"
    "  --body TEXT              UTF-8 body text (default: a note naming mailtrack and\n"
    "                           the time)\n"
    "  --body-file FILE         read the body from FILE ('-': standard input)\n"
    "  --configuration-set NAME add X-SES-CONFIGURATION-SET: NAME\n"
    "  --tag NAME=VALUE         add a message tag (X-SES-MESSAGE-TAGS); characters\n"
    "                           A-Z a-z 0-9 _ - only; repeatable\n"
    "  --region REGION          host email-smtp.REGION.amazonaws.com (default region:\n"
    "                           $AWS_REGION, else $AWS_DEFAULT_REGION)\n"
    "  --host HOST              SMTP server instead of the region's endpoint\n"
    "  --port PORT              default 587; STARTTLS on 25, 587 and 2587, TLS from\n"
    "                           the first byte on 465 and 2465\n"
    "  --tls MODE               starttls or implicit; required on any other port\n"
    "  --ca-file FILE           trust the CA certificates in FILE (PEM) instead of\n"
    "                           the system's; certificates are always verified\n"
    "  --credentials-file FILE  'username=' and 'password=' lines, or two lines:\n"
    "                           user name, then password; mode 0600 or 0400\n"
    "  --timeout SECONDS        limit for the whole exchange, 0.001 to 3600\n"
    "                           (default 60)\n"
    "  -h, --help               this help\n"
    "\n"
    "Credentials: --credentials-file, else $MAILTRACK_SMTP_USERNAME and\n"
    "$MAILTRACK_SMTP_PASSWORD.  The SES SMTP user name is an access key id; the\n"
    "password comes from 'mailtrack smtp-password'.  TLS is always set up before\n"
    "the credentials are sent.\n"
    "\n"
    "Exit status:\n"
    "   0  every recipient accepted the message\n"
    "   1  other failure (credentials or body file unreadable, unexpected reply,\n"
    "      connection lost after the server's greeting, also once the message\n"
    "      was sent: recipients are then 'unconfirmed')\n"
    "   2  usage error, or no region, host or credentials configured\n"
    "  10  the server refused the credentials (e.g. 535)\n"
    "  11  the server rejected the sender, every recipient or the message (e.g. 554)\n"
    "  12  TLS failed: no STARTTLS offered, handshake or certificate not trusted\n"
    "  13  timed out\n"
    "  14  connection refused, host unreachable, or closed before the server's\n"
    "      greeting\n"
    "  15  the host name could not be resolved\n"
    "  16  some recipients were refused; the others got the message\n";

enum {
    OPT_FROM = CLI_OPT_FIRST_COMMAND_SPECIFIC,
    OPT_TO,
    OPT_SIMULATE,
    OPT_SUBJECT,
    OPT_BODY,
    OPT_BODY_FILE,
    OPT_CONFIGURATION_SET,
    OPT_TAG,
    OPT_REGION,
    OPT_HOST,
    OPT_PORT,
    OPT_TLS,
    OPT_CA_FILE,
    OPT_CREDENTIALS_FILE,
    OPT_TIMEOUT,
};

/* The command line, checked; arrays hold at most argc entries. */
struct send_args {
    const char *from, *subject, *body, *body_file, *configuration_set;
    const char *region, *host, *tls, *ca_file, *credentials_file;
    const char **to; /* --to values and simulator addresses */
    size_t to_count;
    struct mt_buf *simulated; /* owned simulator addresses */
    size_t simulated_count;
    struct mt_smtp_tag *tags;
    size_t tag_count;
    unsigned port;
    long timeout_ms;
};

/*
 * Parses a number of seconds from 0.001 to an hour into ms: digits with an
 * optional fraction, nothing else (no sign, blank, exponent or hex).
 */
static bool parse_timeout(const char *text, long *ms)
{
    size_t digits = strspn(text, "0123456789");
    size_t fraction = text[digits] == '.' ? strspn(text + digits + 1, "0123456789") : 0;
    size_t len = digits + (text[digits] == '.' ? 1 + fraction : 0);

    if (digits == 0 || (text[digits] == '.' && fraction == 0) || text[len] != '\0')
        return false;
    double v = strtod(text, NULL);
    if (!(v >= 0.001) || v > 3600.0)
        return false;
    *ms = (long)(v * 1000.0 + 0.5);
    return true;
}

/* Adds the simulator address for spec to the recipients; prints why not. */
static int add_simulated(struct cli *cli, struct send_args *a, const char *spec)
{
    struct mt_err err = {0};
    struct mt_buf *addr = &a->simulated[a->simulated_count];

    mt_buf_init(addr, 256);
    a->simulated_count++;
    if (mt_smtp_simulator_address(mt_str_from_cstr(spec), addr, &err) != MT_OK)
        return cli_usage_error(cli, "%s", mt_err_text(&err));
    a->to[a->to_count++] = addr->data;
    return CLI_EXIT_OK;
}

/* Handles one option of the repeatable or checked kind; others are stored by the caller. */
static int take_option(struct cli *cli, struct send_args *a, int opt, const char *arg)
{
    struct mt_err err = {0};

    switch (opt) {
    case OPT_TO: a->to[a->to_count++] = arg; return CLI_EXIT_OK;
    case OPT_SIMULATE: return add_simulated(cli, a, arg);
    case OPT_TAG:
        if (mt_smtp_tag_parse(mt_str_from_cstr(arg), &a->tags[a->tag_count], &err) != MT_OK)
            return cli_usage_error(cli, "%s", mt_err_text(&err));
        a->tag_count++;
        return CLI_EXIT_OK;
    case OPT_PORT: {
        uint64_t port = 0;
        if (cli_number_option(cli, "--port", arg, 1, 65535, &port) != CLI_EXIT_OK)
            return CLI_EXIT_USAGE;
        a->port = (unsigned)port;
        return CLI_EXIT_OK;
    }
    case OPT_TIMEOUT:
        if (!parse_timeout(arg, &a->timeout_ms))
            return cli_usage_error(cli,
                                   "--timeout '%s' is not a number of seconds from "
                                   "0.001 to 3600",
                                   arg);
        return CLI_EXIT_OK;
    default: return cli_usage_error(cli, "option is not handled");
    }
}

/* Stores a plain string option; false when opt is not one. */
static bool take_string(struct send_args *a, int opt, const char *arg)
{
    const char **slot = opt == OPT_FROM                ? &a->from
                        : opt == OPT_SUBJECT           ? &a->subject
                        : opt == OPT_BODY              ? &a->body
                        : opt == OPT_BODY_FILE         ? &a->body_file
                        : opt == OPT_CONFIGURATION_SET ? &a->configuration_set
                        : opt == OPT_REGION            ? &a->region
                        : opt == OPT_HOST              ? &a->host
                        : opt == OPT_TLS               ? &a->tls
                        : opt == OPT_CA_FILE           ? &a->ca_file
                        : opt == OPT_CREDENTIALS_FILE  ? &a->credentials_file
                                                       : NULL;
    if (slot != NULL)
        *slot = arg;
    return slot != NULL;
}

/* Reads the options.  Returns an exit code, or -1 after printing --help. */
static int read_options(struct cli *cli, int argc, char **argv, struct send_args *a)
{
    static const struct option longopts[] = {
        {"from", required_argument, NULL, OPT_FROM},
        {"to", required_argument, NULL, OPT_TO},
        {"simulate", required_argument, NULL, OPT_SIMULATE},
        {"subject", required_argument, NULL, OPT_SUBJECT},
        {"body", required_argument, NULL, OPT_BODY},
        {"body-file", required_argument, NULL, OPT_BODY_FILE},
        {"configuration-set", required_argument, NULL, OPT_CONFIGURATION_SET},
        {"tag", required_argument, NULL, OPT_TAG},
        {"region", required_argument, NULL, OPT_REGION},
        {"host", required_argument, NULL, OPT_HOST},
        {"port", required_argument, NULL, OPT_PORT},
        {"tls", required_argument, NULL, OPT_TLS},
        {"ca-file", required_argument, NULL, OPT_CA_FILE},
        {"credentials-file", required_argument, NULL, OPT_CREDENTIALS_FILE},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, code = CLI_EXIT_OK;

    optind = 1;
    opterr = 0;
    while (code == CLI_EXIT_OK && (c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'h')
            return cli_print_help(s_help) == CLI_EXIT_OK ? -1 : CLI_EXIT_FAILURE;
        if (c == '?' || c == ':')
            return cli_option_error(cli, argv);
        if (!take_string(a, c, optarg))
            code = take_option(cli, a, c, optarg);
    }
    if (code == CLI_EXIT_OK && optind < argc)
        return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
    return code;
}

/* Checks what the options say together; fills in the host and TLS mode. */
static int check_options(struct cli *cli, struct send_args *a, struct mt_buf *host,
                         enum mt_smtp_tls *tls)
{
    struct mt_err err = {0};

    if (a->from == NULL)
        return cli_usage_error(cli, "no sender: give --from");
    if (a->to_count == 0)
        return cli_usage_error(cli, "no recipient: give --to or --simulate");
    if (a->body != NULL && a->body_file != NULL)
        return cli_usage_error(cli, "give --body or --body-file, not both");
    if (a->host != NULL && a->region != NULL)
        return cli_usage_error(cli, "give --host or --region, not both");

    enum mt_status st = mt_smtp_address_check(mt_str_from_cstr(a->from), "sender", &err);
    for (size_t i = 0; st == MT_OK && i < a->to_count; i++)
        st = mt_smtp_address_check(mt_str_from_cstr(a->to[i]), "recipient", &err);
    if (st == MT_OK && a->configuration_set != NULL)
        st = mt_smtp_configuration_set_check(mt_str_from_cstr(a->configuration_set), &err);
    if (st != MT_OK)
        return cli_usage_error(cli, "%s", mt_err_text(&err));

    if (a->tls == NULL && mt_smtp_tls_for_port(a->port, tls) != MT_OK)
        return cli_usage_error(cli,
                               "port %u has no standard TLS mode: give --tls starttls "
                               "or --tls implicit",
                               a->port);
    if (a->tls != NULL && strcmp(a->tls, "starttls") != 0 && strcmp(a->tls, "implicit") != 0)
        return cli_usage_error(cli, "--tls '%s' is not 'starttls' or 'implicit'", a->tls);
    if (a->tls != NULL)
        *tls = strcmp(a->tls, "implicit") == 0 ? MT_SMTP_TLS_IMPLICIT : MT_SMTP_TLS_STARTTLS;

    if (a->host != NULL)
        return mt_buf_append_cstr(host, a->host) == MT_OK ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
    const char *region = a->region ? a->region : mt_env_get("AWS_REGION");
    region = region ? region : mt_env_get("AWS_DEFAULT_REGION");
    if (region == NULL)
        return cli_usage_error(cli, "no SMTP host: give --host or --region, or set AWS_REGION "
                                    "or AWS_DEFAULT_REGION");
    if (mt_smtp_default_host(mt_str_from_cstr(region), host, &err) != MT_OK)
        return cli_usage_error(cli, "%s", mt_err_text(&err));
    return CLI_EXIT_OK;
}

/*
 * Loads the credentials from --credentials-file or the environment.
 *
 * LIMITATION: a password given in MAILTRACK_SMTP_PASSWORD stays in the
 * process environment, which mailtrack does not own and does not wipe; only
 * its own copy is wiped.  The consequence is that it can be read from
 * /proc/<pid>/environ by the same user while the command runs, and from a
 * core dump.  --credentials-file avoids it.
 */
static int load_credentials(const struct cli *cli, const struct send_args *a,
                            struct mt_smtp_credentials *creds)
{
    struct mt_err err = {0};
    enum mt_status st;

    if (a->credentials_file != NULL) {
        st = mt_smtp_credentials_load(a->credentials_file, creds, &err);
    } else {
        const char *user = mt_env_get("MAILTRACK_SMTP_USERNAME");
        const char *pass = mt_env_get("MAILTRACK_SMTP_PASSWORD");
        if (user == NULL || pass == NULL)
            return cli_usage_error(cli, "no SMTP credentials: give --credentials-file or set "
                                        "MAILTRACK_SMTP_USERNAME and MAILTRACK_SMTP_PASSWORD");
        st = mt_smtp_credentials_set(creds, user, pass, &err);
    }
    if (st != MT_OK)
        cli_error(cli, "%s", mt_err_text(&err));
    return st == MT_OK ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

/* Reads the body file (or standard input for "-") into body. */
static int read_body_file(const struct cli *cli, const char *path, struct mt_buf *body)
{
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    char chunk[16384];
    size_t n;
    enum mt_status st = MT_OK;

    if (f == NULL) {
        cli_error(cli, "cannot open body file '%s': %s", path, strerror(errno));
        return CLI_EXIT_FAILURE;
    }
    while (st == MT_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        st = mt_buf_append(body, chunk, n);
    bool failed = ferror(f);
    if (!is_stdin)
        fclose(f);

    if (st != MT_OK || failed) {
        cli_error(cli,
                  st == MT_ERR_TOO_LARGE ? "body file '%s' is larger than 6 MiB"
                                         : "cannot read body file '%s'",
                  path);
        return CLI_EXIT_FAILURE;
    }
    if (!mt_utf8_valid(mt_buf_str(body))) {
        cli_error(cli, "body file '%s' is not valid UTF-8 text", path);
        return CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_OK;
}

/* Fills in the subject and body, from the options or the defaults naming the time. */
static int prepare_text(const struct cli *cli, const struct send_args *a, int64_t now_ms,
                        struct mt_buf *subject, struct mt_buf *body)
{
    char when[MT_TIME_ISO_LEN + 1];
    enum mt_status st = MT_OK;

    mt_time_format_iso(now_ms, when);
    if (a->subject != NULL)
        st = mt_buf_append_cstr(subject, a->subject);
    else
        st = mt_buf_appendf(subject, "mailtrack test message %s", when);

    if (a->body_file != NULL)
        return st == MT_OK ? read_body_file(cli, a->body_file, body) : CLI_EXIT_FAILURE;
    if (st == MT_OK && a->body != NULL)
        st = mt_buf_append_cstr(body, a->body);
    else if (st == MT_OK)
        st = mt_buf_appendf(body,
                            "This is a test message from mailtrack send-test, sent at %s.\n"
                            "\n"
                            "If SES event publishing is set up, the events of this message\n"
                            "should reach mailtrack within a few minutes.\n",
                            when);
    if (st != MT_OK)
        cli_error(cli, "out of memory");
    return st == MT_OK ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

/* Prints "WHAT [ADDRESS:] TEXT" with the server's text escaped: it is the server's bytes. */
static void print_line(const char *what, const char *address, const char *text)
{
    struct mt_buf safe;
    mt_buf_init(&safe, 0);
    mt_buf_append_escaped(&safe, mt_str_from_cstr(text));
    printf("%s %s%s%s\n", what, address ? address : "", address ? ": " : "",
           safe.data ? safe.data : "");
    mt_buf_cleanup(&safe);
}

/*
 * Prints one line per recipient that got an answer, then the message id.  A
 * recipient the server took at RCPT has the message only once the server
 * answers the end of the message: a refusal there refuses every recipient, and
 * no answer at all (the connection ended) leaves each one unconfirmed.
 */
static void print_replies(const struct send_args *a, const struct mt_smtp_result *r)
{
    for (size_t i = 0; i < r->rcpt_count && i < a->to_count; i++) {
        const struct mt_smtp_reply *rcpt = &r->rcpt[i];
        if (rcpt->code == 0)
            continue;
        if (rcpt->code / 100 != 2)
            print_line("refused", a->to[i], rcpt->text);
        else if (r->data.code / 100 == 2)
            print_line("accepted", a->to[i], rcpt->text);
        else if (r->data.code != 0)
            print_line("refused", a->to[i], r->data.text);
        else
            print_line("unconfirmed", a->to[i], "no reply to the end of the message");
    }
    if (r->message_id[0] != '\0')
        print_line("message-id", NULL, r->message_id);
}

static int exit_code_of(enum mt_status st)
{
    switch (st) {
    case MT_OK: return CLI_EXIT_OK;
    case MT_ERR_SMTP_AUTH: return SEND_EXIT_AUTH;
    case MT_ERR_SMTP_REJECTED: return SEND_EXIT_REJECTED;
    case MT_ERR_SMTP_TLS: return SEND_EXIT_TLS;
    case MT_ERR_TIMEOUT: return SEND_EXIT_TIMEOUT;
    case MT_ERR_CONNECT: return SEND_EXIT_CONNECT;
    case MT_ERR_RESOLVE: return SEND_EXIT_RESOLVE;
    case MT_ERR_SMTP_PARTIAL: return SEND_EXIT_PARTIAL;
    default: return CLI_EXIT_FAILURE;
    }
}

/* Composes the message and sends it; prints the replies and any failure. */
static int send_message(struct cli *cli, const struct send_args *a, struct mt_smtp_options *o,
                        struct mt_str subject, struct mt_str body, int64_t now_ms)
{
    struct mt_smtp_message msg = {
        .from = a->from,
        .to = a->to,
        .to_count = a->to_count,
        .subject = subject,
        .body = body,
        .configuration_set = a->configuration_set,
        .tags = a->tags,
        .tag_count = a->tag_count,
        .date_ms = now_ms,
    };
    struct mt_smtp_result result;
    struct mt_buf text;
    struct mt_err err = {0};

    mt_smtp_result_init(&result);
    mt_buf_init(&text, 0);
    enum mt_status st = mt_smtp_message_format(&msg, &text, &err);
    if (st == MT_OK)
        st = mt_smtp_send(o, a->from, a->to, a->to_count, mt_buf_str(&text), &result, &err);
    print_replies(a, &result);
    if (st != MT_OK)
        cli_error(cli, "%s", mt_err_text(&err));

    int code = st == MT_ERR_INVALID ? CLI_EXIT_USAGE : exit_code_of(st);
    mt_smtp_result_cleanup(&result);
    mt_buf_cleanup(&text);
    return cli_finish_stdout(cli, code);
}

/* Everything after option parsing: input, credentials, sending. */
static int run(struct cli *cli, struct send_args *a)
{
    struct mt_buf host, subject, body;
    struct mt_smtp_credentials creds;
    enum mt_smtp_tls tls = MT_SMTP_TLS_DEFAULT;
    int64_t now_ms = mt_time_now_ms();

    mt_buf_init(&host, 512);
    mt_buf_init(&subject, 64 * 1024);
    mt_buf_init(&body, BODY_FILE_MAX);
    mt_smtp_credentials_init(&creds);

    int code = check_options(cli, a, &host, &tls);
    if (code == CLI_EXIT_OK && a->ca_file != NULL && access(a->ca_file, R_OK) != 0) {
        cli_error(cli, "cannot read CA file '%s': %s", a->ca_file, strerror(errno));
        code = CLI_EXIT_FAILURE;
    }
    if (code == CLI_EXIT_OK)
        code = prepare_text(cli, a, now_ms, &subject, &body);
    if (code == CLI_EXIT_OK)
        code = load_credentials(cli, a, &creds);
    if (code == CLI_EXIT_OK) {
        struct mt_smtp_options o = {
            .host = host.data,
            .port = a->port,
            .tls = tls,
            .ca_file = a->ca_file,
            .username = creds.username.data,
            .password = creds.password.data,
            .timeout_ms = a->timeout_ms,
        };
        code = send_message(cli, a, &o, mt_buf_str(&subject), mt_buf_str(&body), now_ms);
    }

    mt_smtp_credentials_cleanup(&creds);
    mt_buf_cleanup(&body);
    mt_buf_cleanup(&subject);
    mt_buf_cleanup(&host);
    return code;
}

int cmd_send_test(struct cli *cli, int argc, char **argv)
{
    size_t slots = (size_t)argc + 1;
    struct send_args a = {
        .to = calloc(slots, sizeof(*a.to)),
        .simulated = calloc(slots, sizeof(*a.simulated)),
        .tags = calloc(slots, sizeof(*a.tags)),
        .port = 587,
        .timeout_ms = MT_SMTP_DEFAULT_TIMEOUT_MS,
    };
    int code = CLI_EXIT_FAILURE;

    if (a.to == NULL || a.simulated == NULL || a.tags == NULL)
        cli_error(cli, "out of memory");
    else
        code = read_options(cli, argc, argv, &a);
    if (code == CLI_EXIT_OK)
        code = run(cli, &a);

    for (size_t i = 0; i < a.simulated_count; i++)
        mt_buf_cleanup(&a.simulated[i]);
    free(a.tags);
    free(a.simulated);
    free(a.to);
    return code < 0 ? CLI_EXIT_OK : code;
}
