/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Report windows, file names, the CSV a store gives, the summary's figures,
 * and outputs that replace files whole.
 */
#include "harness.h"

#include "mt/ingest.h"
#include "mt/report.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static char s_dir[4096];
static struct mt_store *s_store;

static int64_t at(const char *iso)
{
    int64_t ms;
    assert_int_equal(mt_time_parse_iso(mt_str_from_cstr(iso), &ms), MT_OK);
    return ms;
}

static int setup(void **state)
{
    (void)state;
    char path[4200];
    struct mt_err err = {0};
    snprintf(s_dir, sizeof(s_dir), "%s", mt_test_tmpdir());
    snprintf(path, sizeof(path), "%s/events.db", s_dir);
    return mt_store_open_sqlite(path, NULL, &s_store, &err) == MT_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mt_store_close(s_store);
    return 0;
}

#define EVENT(type, obj, extra, to)                                                           \
    "{\"eventType\":\"" type "\",\"" obj "\":{\"timestamp\":\"2026-11-24T10:00:00Z\"" extra   \
    "},\"mail\":{\"timestamp\":\"2026-11-24T09:00:00Z\",\"messageId\":\"m-" type "\","        \
    "\"source\":\"s@example.com\",\"destination\":[" to "],"                                  \
    "\"commonHeaders\":{\"subject\":\"=Sum, \\\"q\\\"\\n2\"}}}\n"

static void ingest(const char *text)
{
    struct mt_ingest *ing = mt_ingest_new(s_store, NULL);
    struct mt_err err = {0};
    FILE *f = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
    assert_int_equal(mt_ingest_stream(ing, f, "t", &err), MT_OK);
    fclose(f);
    mt_ingest_free(ing);
}

static void test_report_windows_and_names(void **state)
{
    (void)state;
    struct mt_report_window w;
    struct mt_err err = {0};
    char name[128];

    mt_report_window_last_week(at("2026-12-01T07:00:00Z"), &w);
    assert_string_equal(w.label, "2026-W48");
    assert_int_equal(w.from_ms, at("2026-11-23T00:00:00Z"));
    assert_int_equal(w.to_ms, at("2026-11-30T00:00:00Z"));
    mt_report_file_name(&w, ".csv", name, sizeof(name));
    assert_string_equal(name, "email-events-2026-W48.csv");

    mt_report_window_last_week(at("2026-11-30T00:00:00Z"), &w);
    assert_string_equal(w.label, "2026-W48");
    mt_report_window_last_week(at("2027-01-04T07:00:00Z"), &w);
    assert_string_equal(w.label, "2026-W53");

    assert_int_equal(mt_report_window_range(MT_STR_LIT("2026-11-23"),
                                            MT_STR_LIT("2026-11-24T12:00:00.250Z"), &w, &err),
                     MT_OK);
    assert_string_equal(w.label, "20261123T000000Z-20261124T120000.250Z");
    assert_int_equal(mt_report_window_range(MT_STR_LIT("2026-11-24"), MT_STR_LIT("2026-11-24"),
                                            &w, &err),
                     MT_ERR_INVALID);
    mt_err_clear(&err);
    assert_int_equal(mt_report_window_range(MT_STR_LIT("soon"), MT_STR_LIT("2026-11-24"), &w,
                                            &err),
                     MT_ERR_PARSE);
    assert_non_null(strstr(err.detail, "'soon'"));
}

static void read_file(const char *name, struct mt_buf *out)
{
    char path[4300];
    snprintf(path, sizeof(path), "%s/%s", s_dir, name);
    mt_test_read_file(path, out);
}

static void test_report_csv_and_summary(void **state)
{
    (void)state;
    ingest(EVENT("Send", "send", "", "\"a@x.net\",\"b@x.net\",\"c@x.net\",\"d@x.net\"")
           EVENT("Delivery", "delivery", ",\"recipients\":[\"a@x.net\",\"b@x.net\"]", "\"a@x.net\"")
           EVENT("Bounce", "bounce",
                 ",\"bounceType\":\"Permanent\","
                 "\"bouncedRecipients\":[{\"emailAddress\":\"c@x.net\"}]",
                 "\"c@x.net\"")
           EVENT("Complaint", "complaint",
                 ",\"complainedRecipients\":[{\"emailAddress\":\"a@x.net\"}]", "\"a@x.net\""));
    struct mt_report_run run = {.store = s_store};
    struct mt_output *out = NULL;
    struct mt_err err = {0};
    struct mt_buf loc, csv, json;
    char outdir[4200];

    snprintf(outdir, sizeof(outdir), "%s/reports/", s_dir);
    mt_buf_init(&loc, 0);
    mt_report_window_last_week(at("2026-12-01T07:00:00Z"), &run.window);
    assert_int_equal(mt_output_open(outdir, &out, &err), MT_OK);
    assert_int_equal(mt_report_generate(&run, out, &loc, &err), MT_OK);
    mt_output_close(out);
    assert_non_null(strstr(loc.data, "reports/email-events-2026-W48.csv"));

    assert_int_equal(run.summary.rows, 8);
    assert_int_equal(run.summary.recipients_sent, 4);
    assert_int_equal(run.summary.by_type[MT_EVENT_DELIVERY], 2);
    assert_true(run.summary.bounce_rate == 0.25);
    assert_true(run.summary.permanent_bounce_rate == 0.25);
    assert_true(run.summary.complaint_rate == 0.25);
    assert_string_equal(mt_report_level(0.25, MT_SES_BOUNCE_REVIEW, MT_SES_BOUNCE_PAUSE), "pause");
    assert_string_equal(mt_report_level(0.05, MT_SES_BOUNCE_REVIEW, MT_SES_BOUNCE_PAUSE), "review");
    assert_string_equal(mt_report_level(0.0009, 0.001, 0.005), "ok");

    read_file("reports/email-events-2026-W48.csv", &csv);
    assert_int_equal(strncmp(csv.data, "event_time,event_type,message_id,mail_time,", 43), 0);
    assert_non_null(strstr(csv.data, ",topic_arn\r\n2026-11-24T10:00:00.000Z,Bounce,m-Bounce,"));
    assert_non_null(strstr(csv.data, ",\"'=Sum, \"\"q\"\"\n2\","));
    read_file("reports/email-events-2026-W48.summary.json", &json);
    assert_non_null(strstr(json.data, "\"label\":\"2026-W48\""));
    assert_non_null(strstr(json.data, "\"recipients_sent\":4"));
    assert_non_null(strstr(json.data, "\"bounce\":{\"rate\":0.25,\"review_at\":0.05,"
                                      "\"pause_at\":0.1,\"status\":\"pause\"}"));

    /* Regenerating gives the same bytes and leaves no temporary files. */
    struct mt_buf again;
    assert_int_equal(mt_output_open(outdir, &out, &err), MT_OK);
    assert_int_equal(mt_report_generate(&run, out, NULL, &err), MT_OK);
    mt_output_close(out);
    read_file("reports/email-events-2026-W48.csv", &again);
    assert_int_equal(again.len, csv.len);
    assert_memory_equal(again.data, csv.data, csv.len);
    DIR *d = opendir(outdir);
    int files = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        files += e->d_name[0] != '.';
    closedir(d);
    assert_int_equal(files, 2);

    mt_buf_cleanup(&again);
    mt_buf_cleanup(&csv);
    mt_buf_cleanup(&json);
    mt_buf_cleanup(&loc);
}

static void test_report_single_file_target(void **state)
{
    (void)state;
    struct mt_report_run run = {.store = s_store};
    struct mt_output *out = NULL;
    struct mt_err err = {0};
    char target[4200];
    struct stat sb;

    mt_report_window_last_week(at("2026-12-01T07:00:00Z"), &run.window);
    snprintf(target, sizeof(target), "%s/week.csv", s_dir);
    assert_int_equal(mt_output_open(target, &out, &err), MT_OK);
    assert_int_equal(mt_report_generate(&run, out, NULL, &err), MT_OK);
    mt_output_close(out);
    assert_int_equal(stat(target, &sb), 0);
    size_t header = 2; /* the header row alone, CRLF-terminated: no events that week */
    for (int c = 0; c < MT_COL_COUNT; c++)
        header += strlen(mt_column_name((enum mt_column)c)) + (c > 0);
    assert_int_equal(sb.st_size, header);
    snprintf(target, sizeof(target), "%s/week.summary.json", s_dir);
    assert_int_equal(stat(target, &sb), 0);

    snprintf(target, sizeof(target), "%s/missing/dir/file.csv", s_dir);
    assert_int_equal(mt_output_open(target, &out, &err), MT_OK);
    assert_int_equal(mt_report_generate(&run, out, NULL, &err), MT_ERR_IO);
    assert_non_null(strstr(err.detail, "missing/dir/file.csv"));
    mt_output_close(out);
}

static int count_files(const char *dir)
{
    int files = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        files += e->d_name[0] != '.';
    closedir(d);
    return files;
}

static void test_report_temporary_removed_on_request(void **state)
{
    (void)state;
    struct mt_output *out = NULL;
    struct mt_output_object *obj = NULL;
    struct mt_err err = {0};
    char dir[4200];

    snprintf(dir, sizeof(dir), "%s/stopped/", s_dir);
    assert_int_equal(mt_output_open(dir, &out, &err), MT_OK);
    assert_int_equal(out->open(out, "email-events-2026-W48.csv", "text/csv", &obj, &err), MT_OK);
    assert_int_equal(obj->write(obj, "half,a,report", 13), MT_OK);
    assert_int_equal(count_files(dir), 1);

    /* What the CLI's SIGINT/SIGTERM handler does. */
    mt_output_remove_temporary();
    assert_int_equal(count_files(dir), 0);
    obj->abort(obj);
    mt_output_remove_temporary(); /* nothing left to remove: harmless */
    mt_output_close(out);
}

#define MT_CASE(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

static const struct CMUnitTest tests[] = {
    MT_CASE(test_report_windows_and_names),
    MT_CASE(test_report_csv_and_summary),
    MT_CASE(test_report_single_file_target),
    MT_CASE(test_report_temporary_removed_on_request),
};

MT_TEST_MAIN(tests)
