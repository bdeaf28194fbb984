/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The report itself: store rows to CSV, counted into a summary on the way.
 *
 * Rows stream from the store straight into the CSV writer; nothing is held
 * but the writer's block buffer, so memory does not grow with the week.  The
 * summary holds no time of generation, so the same events always give the
 * same bytes, in the CSV and in the summary alike.
 *
 * SES review levels: the SES developer guide ("Sending review process
 * FAQs") puts an account under review at a bounce rate of 5% and may pause
 * it at 10%, counting hard bounces; for complaints the levels are 0.1% and
 * 0.5%.
 */
#include "mt/report.h"

#include "mt/csv.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct csv_ctx {
    struct mt_csv_writer csv;
    struct mt_report_summary *summary;
};

static enum mt_status object_sink(void *ctx, const char *data, size_t len)
{
    struct mt_output_object *obj = ctx;
    return obj->write(obj, data, len);
}

static enum mt_status add_row(void *ctx, const struct mt_row *row)
{
    struct csv_ctx *c = ctx;

    c->summary->rows++;
    if ((unsigned)row->type < MT_EVENT_TYPE_COUNT)
        c->summary->by_type[row->type]++;
    if (row->type == MT_EVENT_BOUNCE && mt_str_eq_cstr(row->col[MT_COL_BOUNCE_TYPE], "Permanent"))
        c->summary->bounces_permanent++;
    return mt_csv_write_row(&c->csv, row->col, MT_COL_COUNT);
}

static double ratio(size_t part, size_t whole)
{
    return whole ? (double)part / (double)whole : 0.0;
}

/* Derives the rates once every row is counted. */
static void finish_summary(struct mt_report_summary *s)
{
    s->recipients_sent = s->by_type[MT_EVENT_SEND];
    if (s->recipients_sent == 0)
        s->recipients_sent = s->by_type[MT_EVENT_DELIVERY] + s->by_type[MT_EVENT_BOUNCE];

    s->delivery_rate = ratio(s->by_type[MT_EVENT_DELIVERY], s->recipients_sent);
    s->bounce_rate = ratio(s->by_type[MT_EVENT_BOUNCE], s->recipients_sent);
    s->permanent_bounce_rate = ratio(s->bounces_permanent, s->recipients_sent);
    s->complaint_rate = ratio(s->by_type[MT_EVENT_COMPLAINT], s->recipients_sent);
}

enum mt_status mt_report_write_csv(struct mt_report_run *run, struct mt_output_object *obj,
                                   struct mt_err *err)
{
    struct csv_ctx c = {.summary = &run->summary};
    struct mt_str header[MT_COL_COUNT];

    memset(&run->summary, 0, sizeof(run->summary));
    mt_csv_writer_init(&c.csv, object_sink, obj);
    for (int i = 0; i < MT_COL_COUNT; i++)
        header[i] = mt_str_from_cstr(mt_column_name((enum mt_column)i));
    mt_csv_write_row(&c.csv, header, MT_COL_COUNT);

    enum mt_status st = run->store->ops->query(run->store, run->window.from_ms, run->window.to_ms,
                                               add_row, &c, err);
    if (st == MT_OK)
        st = mt_csv_flush(&c.csv);
    if (st != MT_OK && obj->error != 0)
        mt_err_set(err, st, "cannot write report '%s': %s", obj->location, strerror(obj->error));
    else if (st != MT_OK)
        mt_err_set(err, st, "cannot write report '%s': %s", obj->location, mt_status_str(st));
    mt_csv_writer_cleanup(&c.csv);
    finish_summary(&run->summary);
    return st;
}

const char *mt_report_level(double rate, double review, double pause)
{
    if (rate >= pause)
        return "pause";
    if (rate >= review)
        return "review";
    return "ok";
}

static json_t *level_json(double rate, double review, double pause)
{
    return json_pack("{s:f, s:f, s:f, s:s}", "rate", rate, "review_at", review, "pause_at",
                     pause, "status", mt_report_level(rate, review, pause));
}

enum mt_status mt_report_summary_json(const struct mt_report_run *run, struct mt_buf *out)
{
    const struct mt_report_summary *s = &run->summary;
    char from[MT_TIME_ISO_LEN + 1], to[MT_TIME_ISO_LEN + 1];

    mt_time_format_iso(run->window.from_ms, from);
    mt_time_format_iso(run->window.to_ms, to);
    json_t *types = json_object();
    for (int t = 0; t < MT_EVENT_TYPE_COUNT; t++)
        json_object_set_new(types, mt_event_type_name((enum mt_event_type)t),
                            json_integer((json_int_t)s->by_type[t]));

    json_t *root = json_pack(
        "{s:{s:s, s:s, s:s}, s:I, s:o, s:I, s:I, s:f, s:f, s:f, s:f, s:{s:o, s:o}}", "window",
        "label", run->window.label, "from", from, "to", to, "rows", (json_int_t)s->rows,
        "events", types, "bounces_permanent", (json_int_t)s->bounces_permanent,
        "recipients_sent", (json_int_t)s->recipients_sent, "delivery_rate", s->delivery_rate,
        "bounce_rate", s->bounce_rate, "permanent_bounce_rate", s->permanent_bounce_rate,
        "complaint_rate", s->complaint_rate, "ses_levels", "bounce",
        level_json(s->permanent_bounce_rate, MT_SES_BOUNCE_REVIEW, MT_SES_BOUNCE_PAUSE),
        "complaint",
        level_json(s->complaint_rate, MT_SES_COMPLAINT_REVIEW, MT_SES_COMPLAINT_PAUSE));
    if (root == NULL)
        return MT_ERR_NOMEM;

    char *text = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(6));
    json_decref(root);
    if (text == NULL)
        return MT_ERR_NOMEM;
    enum mt_status st = mt_buf_append_cstr(out, text);
    free(text);
    return st;
}

/* "12.34%" for a fraction. */
static void percent(double rate, char *out, size_t size)
{
    snprintf(out, size, "%.2f%%", rate * 100.0);
}

enum mt_status mt_report_summary_text(const struct mt_report_run *run, struct mt_buf *out)
{
    const struct mt_report_summary *s = &run->summary;
    char from[MT_TIME_ISO_LEN + 1], to[MT_TIME_ISO_LEN + 1], a[32], b[32];

    mt_time_format_iso(run->window.from_ms, from);
    mt_time_format_iso(run->window.to_ms, to);
    mt_buf_appendf(out, "report %s: %s to %s, %zu rows\n", run->window.label, from, to, s->rows);
    for (int t = 0; t < MT_EVENT_TYPE_COUNT; t++)
        mt_buf_appendf(out, "  %-20s %zu\n", mt_event_type_name((enum mt_event_type)t),
                       s->by_type[t]);

    mt_buf_appendf(out, "  recipients sent      %zu\n", s->recipients_sent);
    percent(s->delivery_rate, a, sizeof(a));
    mt_buf_appendf(out, "  delivery rate        %s\n", a);
    percent(s->bounce_rate, a, sizeof(a));
    percent(s->permanent_bounce_rate, b, sizeof(b));
    mt_buf_appendf(out, "  bounce rate          %s (permanent %s: %s; SES reviews at 5%%, "
                        "pauses at 10%%)\n", a, b,
                   mt_report_level(s->permanent_bounce_rate, MT_SES_BOUNCE_REVIEW,
                                   MT_SES_BOUNCE_PAUSE));
    percent(s->complaint_rate, a, sizeof(a));
    return mt_buf_appendf(out, "  complaint rate       %s (%s; SES reviews at 0.1%%, pauses at "
                               "0.5%%)\n", a,
                          mt_report_level(s->complaint_rate, MT_SES_COMPLAINT_REVIEW,
                                          MT_SES_COMPLAINT_PAUSE));
}

/* Finishes obj so that only its commit is left; aborts it on failure. */
static enum mt_status prepare(struct mt_output_object *obj, struct mt_err *err)
{
    enum mt_status st = obj->prepare != NULL ? obj->prepare(obj, err) : MT_OK;
    if (st != MT_OK)
        obj->abort(obj);
    return st;
}

/* Writes the summary JSON as a companion file, prepared and not yet committed. */
static enum mt_status write_summary(struct mt_report_run *run, struct mt_output *out,
                                    struct mt_output_object **obj, struct mt_err *err)
{
    char name[128];
    struct mt_buf json;

    *obj = NULL;
    mt_report_file_name(&run->window, ".summary.json", name, sizeof(name));
    mt_buf_init(&json, 0);
    enum mt_status st = mt_report_summary_json(run, &json);
    if (st == MT_OK)
        st = mt_buf_append_byte(&json, '\n');
    if (st == MT_OK)
        st = out->open(out, name, "application/json", obj, err);
    if (st == MT_OK) {
        st = (*obj)->write(*obj, json.data, json.len);
        if (st != MT_OK)
            (*obj)->abort(*obj);
        else
            st = prepare(*obj, err);
        if (st != MT_OK)
            *obj = NULL;
    }
    mt_buf_cleanup(&json);
    return st;
}

/*
 * Writes the CSV and then the summary, and commits them only when both are
 * written out, so that a failure in either leaves the old pair in place.
 */
enum mt_status mt_report_generate(struct mt_report_run *run, struct mt_output *out,
                                  struct mt_buf *csv_location, struct mt_err *err)
{
    char name[128];
    struct mt_output_object *csv = NULL, *summary = NULL;

    mt_report_file_name(&run->window, ".csv", name, sizeof(name));
    enum mt_status st = out->open(out, name, "text/csv", &csv, err);
    if (st != MT_OK)
        return st;
    if (csv_location != NULL) {
        mt_buf_reset(csv_location);
        mt_buf_append_cstr(csv_location, csv->location);
    }

    st = mt_report_write_csv(run, csv, err);
    if (st != MT_OK) {
        csv->abort(csv);
        return st;
    }
    st = prepare(csv, err);
    if (st != MT_OK)
        return st;
    if (!out->single_stream) {
        st = write_summary(run, out, &summary, err);
        if (st != MT_OK) {
            csv->abort(csv);
            return st;
        }
    }
    st = csv->commit(csv, err);
    if (summary != NULL && st == MT_OK)
        st = summary->commit(summary, err);
    else if (summary != NULL)
        summary->abort(summary);
    return st;
}
