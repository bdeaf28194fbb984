/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mailtrack setup-table: creates what a store needs where no provisioning
 * tool did, e.g. the DynamoDB table on a local stand-in or LocalStack.  On
 * AWS the Terraform under infra/ creates the table; running this there is
 * harmless (an existing table is left as it is).
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>

static const char s_help[] =
    "usage: mailtrack setup-table [--db PATH | --store URI]\n"
    "\n"
    "Creates the store if it does not exist.  For dynamodb://TABLE: the table\n"
    "(on-demand; key pk + sk; index by_message_id) and, where the service supports\n"
    "it, its time-to-live on expires_at; waits until the table is active.  An\n"
    "existing table is left as it is.  For SQLite: the database file and schema.\n"
    "\n"
    "Options:\n" CLI_STORE_HELP
    "  -h, --help       this help\n"
    "\n"
    "Exit status: 0 ready, 1 failed, 2 usage error.\n";

int cmd_setup_table(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, CLI_OPT_DB},
        {"store", required_argument, NULL, CLI_OPT_STORE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cli_store_options store_opts = {0};
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case CLI_OPT_DB:
        case CLI_OPT_STORE: cli_store_option(&store_opts, c, optarg); break;
        case 'h': return cli_print_help(s_help);
        default: return cli_option_error(cli, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
    if (cli_check_store_options(cli, &store_opts) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;

    struct mt_store *store = cli_open_store(cli, &store_opts);
    if (store == NULL)
        return CLI_EXIT_FAILURE;

    struct mt_err err = {0};
    int code = CLI_EXIT_OK;
    if (store->ops->setup(store, &err) != MT_OK) {
        cli_error(cli, "%s", mt_err_text(&err));
        code = CLI_EXIT_FAILURE;
    } else {
        printf("%s store '%s' is ready\n", store->ops->name, store->location);
    }
    mt_store_close(store);
    return cli_finish_stdout(cli, code);
}
