/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The report handler on an SQLite store and a local folder: which window
 * each event shape asks for, where the files land (the ISO week-numbering
 * year as the folder), the response, re-runs replacing files whole, and a
 * clear error type for every bad event with nothing written.
 */
#include "harness.h"

#include "lambda.h"
#include "mt/ingest.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static struct lambda_report s_report;
static char s_out[4200];

static void ingest_examples(void)
{
    struct mt_ingest *ing = mt_ingest_new(s_report.store, NULL);
    struct mt_err err = {0};
    char path[4200];

    snprintf(path, sizeof(path), "%s/../../examples/week-2026-W48/lambda-invocations.ndjson",
             MT_FIXTURES);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_int_equal(mt_ingest_stream(ing, f, "examples", &err), MT_OK);
    assert_int_equal(mt_ingest_flush(ing, &err), MT_OK);
    fclose(f);
    mt_ingest_free(ing);
}

static int setup(void **state)
{
    (void)state;
    char db[4300];
    struct mt_err err = {0};
    const char *dir = mt_test_tmpdir();

    snprintf(db, sizeof(db), "sqlite:%s/events.db", dir);
    snprintf(s_out, sizeof(s_out), "%s/out/", dir);
    mkdir(s_out, 0755);
    if (lambda_report_open(&s_report, db, s_out, "mail-reports", "reports/", &err) != MT_OK)
        return -1;
    ingest_examples();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    lambda_report_close(&s_report);
    return 0;
}

/* Runs the handler; the parsed response (NULL on failure) and the status. */
static enum mt_status invoke(const char *event, json_t **doc, struct mt_err *err)
{
    struct mt_buf response;
    size_t rows = 0;

    mt_buf_init(&response, 0);
    enum mt_status st = lambda_report_handle(&s_report, mt_str_from_cstr(event), &response,
                                             &rows, err);
    *doc = st == MT_OK ? json_loads(response.data, 0, NULL) : NULL;
    if (st == MT_OK) {
        assert_non_null(*doc);
        assert_int_equal(json_integer_value(json_object_get(*doc, "rows")), rows);
    }
    mt_buf_cleanup(&response);
    return st;
}

static const char *str(const json_t *doc, const char *key)
{
    const char *v = json_string_value(json_object_get(doc, key));
    return v ? v : "(null)";
}

static size_t files_in(const char *dir)
{
    size_t n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    if (d != NULL)
        closedir(d);
    return n;
}

static void test_lambda_report_scheduled_event_reports_the_week_before(void **state)
{
    (void)state;
    json_t *doc = NULL;
    struct mt_err err = {0};
    struct mt_buf csv;
    char path[4400];

    assert_int_equal(invoke("{\"version\":\"0\",\"id\":\"e1\",\"detail-type\":\"Scheduled Event\","
                            "\"source\":\"aws.events\",\"time\":\"2026-11-30T07:00:00Z\","
                            "\"region\":\"eu-west-1\",\"resources\":[],\"detail\":{}}",
                            &doc, &err), MT_OK);
    assert_string_equal(str(doc, "bucket"), "mail-reports");
    assert_string_equal(str(doc, "key"), "reports/2026/email-events-2026-W48.csv");
    assert_string_equal(str(doc, "summary_key"), "reports/2026/email-events-2026-W48.summary.json");
    assert_string_equal(str(doc, "week"), "2026-W48");
    json_t *window = json_object_get(doc, "window");
    assert_string_equal(str(window, "from"), "2026-11-23T00:00:00.000Z");
    assert_string_equal(str(window, "to"), "2026-11-30T00:00:00.000Z");

    snprintf(path, sizeof(path), "%s2026/email-events-2026-W48.csv", s_out);
    assert_string_equal(str(doc, "location"), path);
    mt_test_read_file(path, &csv);
    /* Records end in CRLF; a few subjects hold line breaks of their own, so at least rows + 1. */
    size_t records = 0;
    for (size_t i = 0; i + 1 < csv.len; i++)
        records += csv.data[i] == '\r' && csv.data[i + 1] == '\n';
    json_int_t rows = json_integer_value(json_object_get(doc, "rows"));
    assert_true(rows > 100);
    assert_true(records >= (size_t)rows + 1);
    assert_int_equal(strncmp(csv.data, "event_time,event_type,message_id,", 33), 0);

    json_t *summary = json_object_get(doc, "summary");
    assert_int_equal(json_integer_value(json_object_get(summary, "rows")), rows);
    snprintf(path, sizeof(path), "%s2026/email-events-2026-W48.summary.json", s_out);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    mt_buf_cleanup(&csv);
    json_decref(doc);
}

static void test_lambda_report_week_and_range_events(void **state)
{
    (void)state;
    json_t *doc = NULL;
    struct mt_err err = {0};

    assert_int_equal(invoke("{\"week\":\"2026-W48\"}", &doc, &err), MT_OK);
    json_int_t week_rows = json_integer_value(json_object_get(doc, "rows"));
    json_decref(doc);

    assert_int_equal(invoke("{\"from\":\"2026-11-23T00:00:00Z\",\"to\":\"2026-11-30\"}", &doc,
                            &err), MT_OK);
    assert_int_equal(json_integer_value(json_object_get(doc, "rows")), week_rows);
    assert_true(json_is_null(json_object_get(doc, "week")));
    assert_string_equal(str(doc, "key"), "reports/2026/email-events-20261123T000000Z-"
                                         "20261130T000000Z.csv");
    json_decref(doc);

    /* 2026-W01 starts on 2025-12-29 and belongs in the 2026 folder, like its label. */
    assert_int_equal(invoke("{\"week\":\"2026-W01\"}", &doc, &err), MT_OK);
    assert_string_equal(str(doc, "key"), "reports/2026/email-events-2026-W01.csv");
    assert_int_equal(json_integer_value(json_object_get(doc, "rows")), 0);
    json_decref(doc);
}

static void test_lambda_report_rerun_replaces_the_same_files(void **state)
{
    (void)state;
    json_t *doc = NULL;
    struct mt_err err = {0};
    struct mt_buf first, second;
    char path[4400], dir[4400];

    assert_int_equal(invoke("{\"week\":\"2026-W48\"}", &doc, &err), MT_OK);
    json_decref(doc);
    snprintf(path, sizeof(path), "%s2026/email-events-2026-W48.csv", s_out);
    mt_test_read_file(path, &first);
    assert_int_equal(invoke("{\"week\":\"2026-W48\"}", &doc, &err), MT_OK);
    json_decref(doc);
    mt_test_read_file(path, &second);

    assert_int_equal(first.len, second.len);
    assert_memory_equal(first.data, second.data, first.len);
    snprintf(dir, sizeof(dir), "%s2026", s_out);
    assert_int_equal(files_in(dir), 2);
    mt_buf_cleanup(&first);
    mt_buf_cleanup(&second);
}

static void bad_event(const char *event, enum mt_status expected, const char *detail_part)
{
    json_t *doc = NULL;
    struct mt_err err = {0};

    enum mt_status st = invoke(event, &doc, &err);
    if (st != expected)
        fail_msg("event %s gave %s, not %s (%s)", event, mt_status_name(st),
                 mt_status_name(expected), err.detail);
    if (strstr(err.detail, detail_part) == NULL)
        fail_msg("event %s: detail '%s' lacks '%s'", event, err.detail, detail_part);
}

static void test_lambda_report_bad_events_name_the_problem(void **state)
{
    (void)state;
    bad_event("{not json", MT_ERR_NOT_JSON, "not valid JSON");
    bad_event("[1,2]", MT_ERR_SCHEMA, "not a JSON object");
    bad_event("{}", MT_ERR_SCHEMA, "none of");
    bad_event("{\"detail-type\":\"Object Created\",\"time\":\"2026-11-30T07:00:00Z\"}",
              MT_ERR_SCHEMA, "none of");
    bad_event("{\"week\":47}", MT_ERR_SCHEMA, "'week' is not a string");
    bad_event("{\"week\":\"2026-W99\"}", MT_ERR_PARSE, "'week' is '2026-W99'");
    bad_event("{\"from\":\"2026-11-23\"}", MT_ERR_SCHEMA, "'from' without 'to'");
    bad_event("{\"from\":\"yesterday\",\"to\":\"2026-11-30\"}", MT_ERR_PARSE, "'yesterday'");
    bad_event("{\"from\":\"2026-11-30\",\"to\":\"2026-11-23\"}", MT_ERR_INVALID, "not before");
    bad_event("{\"detail-type\":\"Scheduled Event\"}", MT_ERR_SCHEMA, "no 'time'");
    bad_event("{\"detail-type\":\"Scheduled Event\",\"time\":\"soon\"}", MT_ERR_PARSE,
              "'time' is 'soon'");
    assert_int_equal(files_in(s_out), 0);
}

#define MT_CASE(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

static const struct CMUnitTest tests[] = {
    MT_CASE(test_lambda_report_scheduled_event_reports_the_week_before),
    MT_CASE(test_lambda_report_week_and_range_events),
    MT_CASE(test_lambda_report_rerun_replaces_the_same_files),
    MT_CASE(test_lambda_report_bad_events_name_the_problem),
};

MT_TEST_MAIN(tests)
