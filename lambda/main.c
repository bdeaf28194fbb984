/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bootstrap: the mailtrack Lambda program, one binary for both functions.
 *
 * _HANDLER picks the function: "tracker" (SNS events into the store) or
 * "report" (the weekly CSV into S3).  Exactly these names are accepted; a
 * "file." prefix as other runtimes use would carry no meaning in a single
 * binary and would let "report.tracker" quietly mean the tracker.  Anything
 * else is reported to /runtime/init/error, naming the valid handlers, and
 * the program exits 1.
 *
 * Settings (environment): TABLE_NAME (both: the store is dynamodb://TABLE),
 * RETENTION_DAYS (tracker: items expire that many days after the event),
 * S3_BUCKET_NAME and REPORT_PREFIX (report; default "reports/"), and the
 * Lambda variables (AWS_LAMBDA_RUNTIME_API, AWS_LAMBDA_LOG_FORMAT,
 * AWS_LAMBDA_LOG_LEVEL, credentials, region, endpoints).  For local runs
 * and tests, MAILTRACK_STORE replaces the store URI (e.g. sqlite:/tmp/e.db)
 * and MAILTRACK_REPORT_OUTPUT the output base (a folder, or an s3:// URI).
 *
 * The loop: fetch the next invocation, bound every AWS call by its deadline
 * (minus a safety margin, so there is time left to report a failure), run
 * the handler, post its response or its error.  A post that fails even
 * after the client's retries is logged and the loop goes on: Lambda then
 * times the invocation out and retries the event.  The loop ends only when
 * the Runtime API answers 500 (exit 0, as Lambda asks) or stays unreachable
 * (exit 1).  Spec: AWS Lambda developer guide, "Custom runtimes" and
 * "Runtime API".
 */
#include "lambda.h"

#include "mt/clock.h"
#include "mt/env.h"
#include "mt/http.h"
#include "mt/log.h"
#include "mt/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How much earlier than Lambda's deadline AWS calls must end. */
#define DEADLINE_MARGIN_MS 500

/* Longest response this program produces; both handlers answer a few hundred bytes. */
#define MAX_RESPONSE_BYTES ((size_t)1 << 20)

struct app {
    const char *handler;   /* "tracker" or "report" */
    struct lambda_tracker tracker;
    struct lambda_report report;
    struct mt_runtime *rt;
};

/* The store URI: MAILTRACK_STORE, else dynamodb://$TABLE_NAME, into out. */
static enum mt_status store_uri(struct mt_buf *out, struct mt_err *err)
{
    const char *override = mt_env_get("MAILTRACK_STORE");
    const char *table = mt_env_get("TABLE_NAME");

    if (override != NULL)
        return mt_buf_append_cstr(out, override);
    if (table == NULL)
        return mt_err_set(err, MT_ERR_CONFIG, "TABLE_NAME is not set; it names the DynamoDB "
                          "table of events");
    return mt_buf_appendf(out, "dynamodb://%s", table);
}

/* REPORT_PREFIX without a leading '/', with a trailing one; "reports/" by default. */
static enum mt_status report_prefix(struct mt_buf *out)
{
    const char *prefix = mt_env_get("REPORT_PREFIX");
    if (prefix == NULL)
        prefix = "reports/";
    while (*prefix == '/')
        prefix++;

    enum mt_status st = mt_buf_append_cstr(out, prefix);
    if (st == MT_OK && out->len > 0 && out->data[out->len - 1] != '/')
        st = mt_buf_append_byte(out, '/');
    return st;
}

static enum mt_status open_report(struct app *app, const char *uri, struct mt_err *err)
{
    const char *override = mt_env_get("MAILTRACK_REPORT_OUTPUT");
    const char *bucket = mt_env_get("S3_BUCKET_NAME");
    struct mt_buf prefix, base;

    if (override == NULL && bucket == NULL)
        return mt_err_set(err, MT_ERR_CONFIG, "S3_BUCKET_NAME is not set; it names the bucket "
                          "that receives the reports");
    mt_buf_init(&prefix, 1024);
    mt_buf_init(&base, 2048);
    enum mt_status st = report_prefix(&prefix);
    if (st == MT_OK && override != NULL)
        st = mt_buf_appendf(&base, "%s%s", override,
                            override[strlen(override) - 1] == '/' ? "" : "/");
    else if (st == MT_OK)
        st = mt_buf_appendf(&base, "s3://%s/%s", bucket, prefix.data ? prefix.data : "");
    if (st == MT_OK)
        st = lambda_report_open(&app->report, uri, base.data, override ? NULL : bucket,
                                prefix.data ? prefix.data : "", err);
    else
        mt_err_set(err, st, "REPORT_PREFIX or MAILTRACK_REPORT_OUTPUT is too long");
    mt_buf_cleanup(&prefix);
    mt_buf_cleanup(&base);
    return st;
}

/* RETENTION_DAYS into options; unset leaves the store's default. */
static enum mt_status retention(struct mt_store_options *options, struct mt_err *err)
{
    const char *text = mt_env_get("RETENTION_DAYS");
    char *end = NULL;

    if (text == NULL)
        return MT_OK;
    long days = strtol(text, &end, 10);
    if (*end != '\0' || days < 1 || days > 36500)
        return mt_err_set(err, MT_ERR_CONFIG, "RETENTION_DAYS is '%.20s', not a number of days "
                          "from 1 to 36500", text);
    options->retention_days = (int)days;
    return MT_OK;
}

/* Opens what the chosen handler needs. */
static enum mt_status open_handler(struct app *app, struct mt_err *err)
{
    struct mt_store_options options = {0};
    struct mt_buf uri;
    mt_buf_init(&uri, 4096);

    enum mt_status st = store_uri(&uri, err);
    if (st == MT_OK && strcmp(app->handler, "tracker") == 0 &&
        (st = retention(&options, err)) == MT_OK)
        st = lambda_tracker_open(&app->tracker, uri.data, &options, err);
    else if (st == MT_OK)
        st = open_report(app, uri.data, err);
    mt_buf_cleanup(&uri);
    return st;
}

/* Runs the handler on one event. */
static enum mt_status handle(struct app *app, const struct mt_runtime_invocation *inv,
                             struct mt_buf *response, struct mt_err *err)
{
    struct mt_str event = mt_buf_str(&inv->event);

    if (strcmp(app->handler, "tracker") == 0) {
        struct lambda_tracker_counts counts;
        return lambda_tracker_handle(&app->tracker, event, response, &counts, err);
    }
    size_t rows = 0;
    return lambda_report_handle(&app->report, event, response, &rows, err);
}

/*
 * Posts the outcome of one invocation.  A response Lambda refuses as too
 * large becomes an error, so the invocation still ends.  Returns
 * MT_ERR_RUNTIME_EXIT when the loop must end; every other failure is logged.
 */
static enum mt_status post_outcome(struct app *app, const struct mt_runtime_invocation *inv,
                                   enum mt_status st, const struct mt_buf *response,
                                   const struct mt_err *handler_err)
{
    struct mt_err err = {0};
    enum mt_status post;

    if (st == MT_OK) {
        post = mt_runtime_respond(app->rt, inv, mt_buf_str(response), &err);
        if (post == MT_ERR_TOO_LARGE)
            post = mt_runtime_fail(app->rt, inv, mt_status_name(post), mt_err_text(&err), &err);
    } else {
        MT_LOG(MT_LOG_ERROR, "lambda", "invocation_failed", "%s: %s", mt_status_name(st),
               mt_err_text(handler_err));
        post = mt_runtime_fail(app->rt, inv, mt_status_name(st), mt_err_text(handler_err), &err);
    }
    if (post != MT_OK)
        MT_LOG(post == MT_ERR_RUNTIME_EXIT ? MT_LOG_WARN : MT_LOG_ERROR, "lambda", "post_failed",
               "%s: %s", mt_status_name(post), mt_err_text(&err));
    return post == MT_ERR_RUNTIME_EXIT ? post : MT_OK;
}

/* One invocation: fetch, handle under the deadline, post.  Non-OK ends the loop. */
static enum mt_status run_one(struct app *app, struct mt_runtime_invocation *inv,
                              struct mt_buf *response)
{
    struct mt_err err = {0};

    enum mt_status st = mt_runtime_next(app->rt, inv, &err);
    if (st == MT_ERR_TOO_LARGE && inv->request_id[0] != '\0')
        return post_outcome(app, inv, st, response, &err);
    if (st != MT_OK) {
        MT_LOG(st == MT_ERR_RUNTIME_EXIT ? MT_LOG_WARN : MT_LOG_FATAL, "lambda", "next_failed",
               "%s: %s", mt_status_name(st), mt_err_text(&err));
        return st;
    }

    lambda_log_set_request_id(inv->request_id);
    mt_buf_reset(response);
    mt_deadline_set(mt_runtime_invocation_deadline_ms(inv, DEADLINE_MARGIN_MS));
    st = handle(app, inv, response, &err);
    mt_deadline_set(0);
    st = post_outcome(app, inv, st, response, &err);
    lambda_log_set_request_id(NULL);
    return st;
}

/* Reports a failed start-up to Lambda and logs it; returns the exit status. */
static int init_failed(struct app *app, const char *error_type, const char *message)
{
    struct mt_err err = {0};

    MT_LOG(MT_LOG_FATAL, "lambda", "init_failed", "%s: %s", error_type, message);
    if (mt_runtime_init_fail(app->rt, error_type, message, &err) != MT_OK)
        MT_LOG(MT_LOG_ERROR, "lambda", "post_failed", "%s", mt_err_text(&err));
    return EXIT_FAILURE;
}

/* Start-up: handler choice, configuration, store; returns 0 or the exit status. */
static int init(struct app *app)
{
    struct mt_err err = {0};
    char message[300];

    app->handler = mt_env_get("_HANDLER");
    if (app->handler == NULL ||
        (strcmp(app->handler, "tracker") != 0 && strcmp(app->handler, "report") != 0)) {
        snprintf(message, sizeof(message), "handler '%.100s' is not one of the valid "
                 "handlers: tracker, report", app->handler ? app->handler : "");
        return init_failed(app, "Runtime.NoSuchHandler", message);
    }

    const char *ca_file = mt_http_find_ca_file(NULL, 0);
    if (ca_file == NULL || mt_http_set_default_ca_file(ca_file) != MT_OK)
        MT_LOG(MT_LOG_WARN, "lambda", "ca_bundle_missing",
               "no CA bundle found; TLS uses libcurl's built-in default");

    enum mt_status st = open_handler(app, &err);
    if (st != MT_OK)
        return init_failed(app, mt_status_name(st), mt_err_text(&err));
    MT_LOG(MT_LOG_DEBUG, "lambda", "init_done", "handler=%s ca_file=%s", app->handler,
           ca_file ? ca_file : "(built-in)");
    return 0;
}

int main(void)
{
    struct app app = {0};
    struct mt_runtime_invocation inv;
    struct mt_buf response;
    struct mt_err err = {0};

    lambda_log_install(STDOUT_FILENO);
    if (mt_runtime_new(NULL, &app.rt, &err) != MT_OK) {
        MT_LOG(MT_LOG_FATAL, "lambda", "runtime_unavailable", "%s", mt_err_text(&err));
        return EXIT_FAILURE;
    }
    int rc = init(&app);

    mt_runtime_invocation_init(&inv);
    mt_buf_init(&response, MAX_RESPONSE_BYTES);
    enum mt_status st = MT_OK;
    while (rc == 0 && st == MT_OK)
        st = run_one(&app, &inv, &response);
    if (rc == 0 && st != MT_ERR_RUNTIME_EXIT)
        rc = EXIT_FAILURE;

    mt_buf_cleanup(&response);
    mt_runtime_invocation_cleanup(&inv);
    lambda_tracker_close(&app.tracker);
    lambda_report_close(&app.report);
    mt_runtime_free(app.rt);
    return rc;
}
