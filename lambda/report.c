/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The report handler: an EventBridge scheduled event (or a request for one
 * week or window) in, the CSV and its summary written, their location out.
 *
 * The scheduled event's "time" picks the ISO week before the one it falls
 * in, so the Monday 07:00 UTC run reports the week that just ended (Lambda
 * developer guide, "Using AWS Lambda with Amazon EventBridge (CloudWatch
 * Events)", for the event's shape).  Files go to
 * <output base><year>/email-events-<window>.csv and .summary.json, where
 * year is the ISO week-numbering year of a week (2026-W01 may start in
 * December 2025) or the calendar year of a window's start.  The same window
 * always lands on the same keys, so a re-run (EventBridge delivers at least
 * once) or a regeneration overwrites the old report whole.
 */
#include "lambda.h"

#include "mt/clock.h"
#include "mt/log.h"
#include "mt/report.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* What an event asks for. */
struct report_request {
    struct mt_report_window window;
    bool is_week;
    int year; /* the folder the files go in */
};

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

enum mt_status lambda_report_open(struct lambda_report *r, const char *store_uri,
                                  const char *output_base, const char *bucket,
                                  const char *key_prefix, struct mt_err *err)
{
    memset(r, 0, sizeof(*r));
    r->output_base = dup_or_null(output_base);
    r->bucket = dup_or_null(bucket);
    r->key_prefix = strdup(key_prefix != NULL ? key_prefix : "");
    if (r->output_base == NULL || r->key_prefix == NULL || (bucket != NULL && r->bucket == NULL)) {
        lambda_report_close(r);
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory opening the report");
    }

    enum mt_status st = mt_store_open(store_uri, NULL, &r->store, err);
    if (st != MT_OK)
        lambda_report_close(r);
    return st;
}

void lambda_report_close(struct lambda_report *r)
{
    mt_store_close(r->store);
    free(r->bucket);
    free(r->output_base);
    free(r->key_prefix);
    memset(r, 0, sizeof(*r));
}

/* The string field key of doc; MT_ERR_SCHEMA when present but not a string. */
static enum mt_status string_field(const json_t *doc, const char *key, struct mt_str *out,
                                   struct mt_err *err)
{
    const json_t *v = json_object_get(doc, key);

    *out = MT_STR_NULL;
    if (v == NULL)
        return MT_OK;
    if (!json_is_string(v))
        return mt_err_set(err, MT_ERR_SCHEMA, "event field '%s' is not a string", key);
    *out = (struct mt_str){json_string_value(v), json_string_length(v)};
    return MT_OK;
}

static enum mt_status week_request(struct mt_str text, struct report_request *req,
                                   struct mt_err *err)
{
    struct mt_iso_week week;
    if (mt_iso_week_parse(text, &week) != MT_OK)
        return mt_err_set(err, MT_ERR_PARSE, "event field 'week' is '%.*s', not an ISO week "
                          "such as 2026-W47", (int)(text.len > 40 ? 40 : text.len), text.ptr);

    mt_report_window_week(week, &req->window);
    req->is_week = true;
    req->year = week.year;
    return MT_OK;
}

static enum mt_status scheduled_request(struct mt_str time, struct report_request *req,
                                        struct mt_err *err)
{
    int64_t ms = 0;
    if (time.ptr == NULL)
        return mt_err_set(err, MT_ERR_SCHEMA, "scheduled event has no 'time' field");
    if (mt_time_parse_iso(time, &ms) != MT_OK)
        return mt_err_set(err, MT_ERR_PARSE, "scheduled event field 'time' is '%.*s', not an "
                          "ISO-8601 time", (int)(time.len > 40 ? 40 : time.len), time.ptr);

    mt_report_window_last_week(ms, &req->window);
    struct mt_iso_week week;
    mt_iso_week_parse(mt_str_from_cstr(req->window.label), &week);
    req->is_week = true;
    req->year = week.year;
    return MT_OK;
}

static enum mt_status range_request(struct mt_str from, struct mt_str to,
                                    struct report_request *req, struct mt_err *err)
{
    struct mt_err detail = {0};
    struct mt_tm tm;

    if (from.ptr == NULL || to.ptr == NULL)
        return mt_err_set(err, MT_ERR_SCHEMA, "event gives '%s' without '%s'",
                          from.ptr ? "from" : "to", from.ptr ? "to" : "from");
    enum mt_status st = mt_report_window_range(from, to, &req->window, &detail);
    if (st != MT_OK)
        return mt_err_set(err, st, "event fields 'from'/'to': %s", mt_err_text(&detail));

    mt_time_split(req->window.from_ms, &tm);
    req->year = tm.year;
    return MT_OK;
}

/* Works out the window an event asks for (see lambda_report_handle). */
static enum mt_status read_request(struct mt_str event, struct report_request *req,
                                   struct mt_err *err)
{
    struct mt_str week, from, to, detail_type, time;
    json_error_t jerr;
    enum mt_status st = MT_ERR_SCHEMA;

    json_t *doc = json_loadb(event.ptr ? event.ptr : "", event.len,
                             JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (doc == NULL)
        return mt_err_set(err, MT_ERR_NOT_JSON, "event is not valid JSON: %s (line %d)",
                          jerr.text, jerr.line);
    if (!json_is_object(doc)) {
        mt_err_set(err, st, "event is not a JSON object");
        goto out;
    }
    if ((st = string_field(doc, "week", &week, err)) != MT_OK ||
        (st = string_field(doc, "from", &from, err)) != MT_OK ||
        (st = string_field(doc, "to", &to, err)) != MT_OK ||
        (st = string_field(doc, "detail-type", &detail_type, err)) != MT_OK ||
        (st = string_field(doc, "time", &time, err)) != MT_OK)
        goto out;

    if (week.ptr != NULL)
        st = week_request(week, req, err);
    else if (from.ptr != NULL || to.ptr != NULL)
        st = range_request(from, to, req, err);
    else if (mt_str_eq_cstr(detail_type, "Scheduled Event"))
        st = scheduled_request(time, req, err);
    else
        st = mt_err_set(err, MT_ERR_SCHEMA, "event is none of: a scheduled event "
                        "(\"detail-type\": \"Scheduled Event\" with \"time\"), {\"week\": "
                        "\"YYYY-Www\"}, {\"from\": TIME, \"to\": TIME}");
out:
    json_decref(doc);
    return st;
}

/* Appends the response document. */
static enum mt_status append_response(const struct lambda_report *r,
                                      const struct report_request *req,
                                      const struct mt_report_run *run, const char *location,
                                      struct mt_buf *response)
{
    char csv_name[160], summary_name[160], key[600], summary_key[600];
    char from[MT_TIME_ISO_LEN + 1], to[MT_TIME_ISO_LEN + 1];
    struct mt_buf summary;

    mt_report_file_name(&req->window, ".csv", csv_name, sizeof(csv_name));
    mt_report_file_name(&req->window, ".summary.json", summary_name, sizeof(summary_name));
    snprintf(key, sizeof(key), "%s%d/%s", r->key_prefix, req->year, csv_name);
    snprintf(summary_key, sizeof(summary_key), "%s%d/%s", r->key_prefix, req->year, summary_name);
    mt_time_format_iso(req->window.from_ms, from);
    mt_time_format_iso(req->window.to_ms, to);

    mt_buf_init(&summary, 0);
    enum mt_status st = mt_report_summary_json(run, &summary);
    json_t *summary_doc = st == MT_OK ? json_loads(summary.data, 0, NULL) : NULL;
    mt_buf_cleanup(&summary);
    json_t *doc = json_pack("{s:s?, s:s, s:s, s:s, s:I, s:s?, s:{s:s, s:s, s:s}, s:o?}",
                            "bucket", r->bucket, "key", key, "summary_key", summary_key,
                            "location", location, "rows", (json_int_t)run->summary.rows, "week",
                            req->is_week ? req->window.label : NULL, "window", "label",
                            req->window.label, "from", from, "to", to, "summary", summary_doc);
    char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (text == NULL)
        return MT_ERR_NOMEM;
    st = mt_buf_append_cstr(response, text);
    free(text);
    return st;
}

enum mt_status lambda_report_handle(struct lambda_report *r, struct mt_str event,
                                    struct mt_buf *response, size_t *rows, struct mt_err *err)
{
    struct report_request req = {0};
    struct mt_output *out = NULL;
    struct mt_buf target, location;

    *rows = 0;
    enum mt_status st = read_request(event, &req, err);
    if (st != MT_OK)
        return st;

    mt_buf_init(&target, 0);
    mt_buf_init(&location, 0);
    struct mt_report_run run = {.store = r->store, .window = req.window};
    st = mt_buf_appendf(&target, "%s%d/", r->output_base, req.year);
    if (st == MT_OK)
        st = mt_output_open(target.data, &out, err);
    if (st == MT_OK)
        st = mt_report_generate(&run, out, &location, err);
    if (st == MT_OK)
        st = append_response(r, &req, &run, location.data ? location.data : "", response);
    if (st == MT_OK) {
        *rows = run.summary.rows;
        MT_LOG(MT_LOG_INFO, "report", "report_written", "window=%s rows=%zu location=%s",
               req.window.label, run.summary.rows, location.data ? location.data : "");
    }
    mt_output_close(out);
    mt_buf_cleanup(&target);
    mt_buf_cleanup(&location);
    return st;
}
