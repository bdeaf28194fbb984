/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mailtrack quarantine: what ingest rejected, with the reason, and the raw
 * bytes of any entry.
 */
#include "cli.h"

#include "mt/clock.h"

#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char s_help[] =
    "usage: mailtrack quarantine [--json | --show ID] [--db PATH | --store URI]\n"
    "\n"
    "Lists the documents and records that ingest rejected, oldest first, one a line:\n"
    "id, time rejected, where it came from (file:line, record), and the reason.\n"
    "\n"
    "Options:\n"
    "  --json           one JSON object a line, with the raw input as a string\n"
    "                   (and as raw_base64 when it is not UTF-8)\n"
    "  --show ID        write the raw bytes of entry ID to standard output\n" CLI_STORE_HELP
    "  -h, --help       this help\n"
    "\n"
    "Exit status: 0 listed, 1 failed (or no entry ID), 2 usage error.\n";

enum { OPT_JSON = CLI_OPT_FIRST_COMMAND_SPECIFIC, OPT_SHOW };

struct listing {
    bool json;
    int64_t show_id; /* 0 when listing */
    bool found;
    struct mt_err err; /* why printing an entry failed */
};

static void where(const struct mt_quarantine_entry *e, char *out, size_t size)
{
    int n = snprintf(out, size, "%s", e->source ? e->source : "");
    if (e->line > 0 && n >= 0 && (size_t)n < size)
        n += snprintf(out + n, size - (size_t)n, ":%ld", e->line);
    if (e->record >= 0 && n >= 0 && (size_t)n < size)
        snprintf(out + n, size - (size_t)n, " record %d", e->record);
}

/* s as a JSON string, each byte that is not UTF-8 written as U+FFFD; NULL when out of memory. */
static json_t *json_text(struct mt_str s)
{
    if (mt_utf8_valid(s))
        return json_stringn(s.len ? s.ptr : "", s.len);
    struct mt_buf text;
    mt_buf_init(&text, 0);
    json_t *value = mt_buf_append_utf8_lossy(&text, s) == MT_OK
                        ? json_stringn(text.data, text.len)
                        : NULL;
    mt_buf_cleanup(&text);
    return value;
}

/* raw in standard base64; NULL when out of memory. */
static json_t *json_base64(struct mt_str raw)
{
    /* An entry is at most one document (16 MiB), so its length fits an int. */
    unsigned char *b64 = malloc(4 * ((raw.len + 2) / 3) + 1);
    json_t *value = NULL;
    if (b64 != NULL) {
        int n = EVP_EncodeBlock(b64, (const unsigned char *)raw.ptr, (int)raw.len);
        value = json_stringn((const char *)b64, (size_t)n);
    }
    free(b64);
    return value;
}

/*
 * One entry as a JSON object on a line.  The quarantine holds whatever was
 * rejected, binary and broken UTF-8 included, and JSON strings are Unicode:
 * "raw" is the input as text, each byte that is not UTF-8 replaced by
 * U+FFFD; when any was replaced, "raw_base64" holds the exact bytes too.
 */
static enum mt_status print_json(struct listing *l, const struct mt_quarantine_entry *e,
                                 const char *received)
{
    json_t *obj = json_object();
    bool utf8 = mt_utf8_valid(e->raw);
    bool ok = obj != NULL &&
              json_object_set_new(obj, "id", json_integer((json_int_t)e->id)) == 0 &&
              json_object_set_new(obj, "received", json_string(received)) == 0 &&
              json_object_set_new(obj, "source", json_text(mt_str_from_cstr(
                                                     e->source ? e->source : ""))) == 0 &&
              json_object_set_new(obj, "line", json_integer((json_int_t)e->line)) == 0 &&
              json_object_set_new(obj, "record", json_integer(e->record)) == 0 &&
              json_object_set_new(obj, "reason", json_text(mt_str_from_cstr(
                                                     e->reason ? e->reason : ""))) == 0 &&
              json_object_set_new(obj, "raw", json_text(e->raw)) == 0 &&
              (utf8 || json_object_set_new(obj, "raw_base64", json_base64(e->raw)) == 0);
    char *text = ok ? json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(obj);
    if (text == NULL)
        return mt_err_set(&l->err, MT_ERR_NOMEM, "out of memory writing quarantine entry %" PRId64
                          " as JSON", e->id);
    puts(text);
    free(text);
    return MT_OK;
}

static enum mt_status print_entry(void *ctx, const struct mt_quarantine_entry *e)
{
    struct listing *l = ctx;
    char received[MT_TIME_ISO_LEN + 1], from[512];

    if (l->show_id != 0) {
        if (e->id == l->show_id) {
            l->found = true;
            fwrite(e->raw.ptr, 1, e->raw.len, stdout);
        }
        return MT_OK;
    }
    mt_time_format_iso(e->received_ms, received);
    if (l->json)
        return print_json(l, e, received);
    where(e, from, sizeof(from));
    struct mt_buf safe;
    mt_buf_init(&safe, 0);
    mt_buf_append_escaped_strict(&safe, mt_str_from_cstr(from));
    mt_buf_append_byte(&safe, '\t');
    mt_buf_append_escaped_strict(&safe, mt_str_from_cstr(e->reason ? e->reason : ""));
    printf("%" PRId64 "\t%s\t%s\n", e->id, received, safe.data);
    mt_buf_cleanup(&safe);
    return MT_OK;
}

int cmd_quarantine(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"show", required_argument, NULL, OPT_SHOW},
        {"db", required_argument, NULL, CLI_OPT_DB},
        {"store", required_argument, NULL, CLI_OPT_STORE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cli_store_options store_opts = {.must_exist = true};
    struct listing l = {0};
    uint64_t id = 0;
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_JSON: l.json = true; break;
        case OPT_SHOW:
            if (cli_number_option(cli, "--show", optarg, 1, INT64_MAX, &id) != CLI_EXIT_OK)
                return CLI_EXIT_USAGE;
            l.show_id = (int64_t)id;
            break;
        case CLI_OPT_DB:
        case CLI_OPT_STORE: cli_store_option(&store_opts, c, optarg); break;
        case 'h': return cli_print_help(s_help);
        default: return cli_option_error(cli, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
    if (l.json && l.show_id != 0)
        return cli_usage_error(cli, "give --json or --show, not both");

    if (cli_check_store_options(cli, &store_opts) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;
    struct mt_store *store = cli_open_store(cli, &store_opts);
    if (store == NULL)
        return CLI_EXIT_FAILURE;

    struct mt_err err = {0};
    int code = CLI_EXIT_OK;
    enum mt_status st = store->ops->list_quarantine(store, print_entry, &l, &err);
    if (st != MT_OK) {
        /* A failure of print_entry is in l.err; the store's own is in err. */
        const struct mt_err *why = l.err.code != MT_OK ? &l.err : &err;
        cli_error(cli, "%s", why->code != MT_OK ? mt_err_text(why) : mt_status_str(st));
        code = CLI_EXIT_FAILURE;
    } else if (l.show_id != 0 && !l.found) {
        cli_error(cli, "no quarantine entry %" PRId64, l.show_id);
        code = CLI_EXIT_FAILURE;
    }
    mt_store_close(store);
    return cli_finish_stdout(cli, code);
}
