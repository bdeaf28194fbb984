/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Setting up SNS verification for the commands that take signed input
 * (ingest --verify, serve): the topic allow-list, the certificate folder and
 * HTTPS fetches.  Verification itself lives in lib/sns and has no off switch.
 */
#include "cli.h"

#include <sys/stat.h>

struct mt_sns_verifier *cli_new_verifier(const struct cli *cli, const struct cli_sns_options *o,
                                         struct cli_fetch *fetch)
{
    struct mt_sns_verifier_options vo = {
        .topics = o->topics,
        .topic_count = o->topic_count,
        .cert_dir = o->cert_dir,
        .fetch = cli_fetch_https,
        .fetch_ctx = fetch,
    };
    struct mt_sns_verifier *v = NULL;
    struct mt_err err = {0};
    struct stat sb;

    if (o->cert_dir != NULL && (stat(o->cert_dir, &sb) != 0 || !S_ISDIR(sb.st_mode))) {
        cli_error(cli, "certificate folder '%s' is not a folder", o->cert_dir);
        return NULL;
    }
    if (mt_sns_verifier_new(&vo, &v, &err) != MT_OK) {
        cli_error(cli, "%s", mt_err_text(&err));
        return NULL;
    }
    return v;
}

int cli_add_topic(const struct cli *cli, struct cli_sns_options *o, const char *arn)
{
    if (mt_sns_topic_region(mt_str_from_cstr(arn)).ptr == NULL)
        return cli_usage_error(cli, "--topic '%s' is not an SNS topic ARN like "
                               "arn:aws:sns:us-east-1:123456789012:ses-events", arn);
    o->topics[o->topic_count++] = arn;
    return -1;
}
