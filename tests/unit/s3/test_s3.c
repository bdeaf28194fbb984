/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The S3 writer against s3rver, read back with the AWS SDK for JavaScript,
 * and against the project's fault server, which records the request so the
 * headers s3rver ignores (server-side encryption) can be checked.
 *
 * Proves: a small object is one PutObject with its Content-Type; a large one
 * streams as 8 MiB parts and reads back byte for byte; an aborted or failed
 * upload leaves no object; a missing bucket is reported with S3's code; the
 * report's s3:// output writes the CSV and the summary as objects; SSE-S3 is
 * the default and S3_SSE_KMS_KEY_ID selects SSE-KMS with its key, signed.
 */
#include "harness.h"

#include "fault.h"
#include "mt/digest.h"
#include "mt/ingest.h"
#include "mt/report.h"
#include "mt/s3.h"
#include "mt/sigv4.h"
#include "mt/store.h"
#include "peers.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct mt_peers s_peers;
static struct mt_fault_server s_fault = {.pid = -1, .stdin_fd = -1};

static void aws_env(const char *endpoint)
{
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("S3_SSE_KMS_KEY_ID");
    setenv("HOME", mt_test_tmpdir(), 1);
    setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
    setenv("AWS_REGION", "us-east-1", 1);
    setenv("AWS_ENDPOINT_URL_S3", endpoint, 1);
}

static int setup(void **state)
{
    (void)state;
    const char *args[] = {"--s3", "reports", NULL};
    struct mt_err err = {0};
    if (mt_peers_start(&s_peers, args, &err) != MT_OK)
        fail_msg("cannot start s3rver: %s", mt_err_text(&err));
    aws_env(s_peers.s3);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mt_peers_stop(&s_peers);
    mt_fault_stop(&s_fault);
    return 0;
}

struct client {
    struct mt_aws_config *aws;
    struct mt_s3_client *s3;
};

static void client_open(struct client *c)
{
    struct mt_err err = {0};
    if (mt_aws_config_load(&c->aws, &err) != MT_OK ||
        mt_s3_client_new(c->aws, NULL, &c->s3, &err) != MT_OK)
        fail_msg("client: %s", mt_err_text(&err));
}

static void client_close(struct client *c)
{
    mt_s3_client_free(c->s3);
    mt_aws_config_free(c->aws);
}

/* Writes size pseudo-random bytes in uneven chunks; returns the writer's status. */
static enum mt_status write_object(struct client *c, const char *key, size_t size,
                                   const char *type, char sha_out[65], bool commit)
{
    struct mt_s3_put_options o = {type, NULL, 0};
    struct mt_s3_writer *w = NULL;
    struct mt_err err = {0};
    struct mt_buf all;
    unsigned seed = 99;

    mt_buf_init(&all, 0);
    assert_int_equal(mt_s3_writer_open(c->s3, "reports", key, &o, &w, &err), MT_OK);
    for (size_t done = 0; done < size;) {
        char chunk[70001];
        size_t n = size - done < sizeof(chunk) ? size - done : sizeof(chunk) - (done % 7);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            chunk[i] = (char)('a' + (seed >> 16) % 26);
        }
        assert_int_equal(mt_buf_append(&all, chunk, n), MT_OK);
        assert_int_equal(mt_s3_writer_write(w, chunk, n, &err), MT_OK);
        done += n;
    }
    mt_sha256_hex(mt_buf_str(&all), sha_out);
    mt_buf_cleanup(&all);
    if (!commit) {
        mt_s3_writer_abort(w);
        return MT_OK;
    }
    enum mt_status st = mt_s3_writer_commit(w, &err);
    if (st != MT_OK)
        print_message("commit: %s\n", mt_err_text(&err));
    return st;
}

/* {"contentType":..,"length":..,"sha256":..} of an object, read with the SDK. */
static json_t *read_object(const char *key)
{
    const char *args[] = {"s3-object", s_peers.s3, "reports", key, NULL};
    struct mt_buf out;
    struct mt_err err = {0};
    if (mt_peers_read_back(args, &out, &err) != MT_OK)
        fail_msg("read-back %s: %s", key, mt_err_text(&err));
    json_t *doc = json_loads(out.data, JSON_DISABLE_EOF_CHECK, NULL);
    mt_buf_cleanup(&out);
    assert_non_null(doc);
    return doc;
}

static bool object_listed(const char *key)
{
    const char *args[] = {"s3-list", s_peers.s3, "reports", NULL};
    struct mt_buf out;
    assert_int_equal(mt_peers_read_back(args, &out, NULL), MT_OK);
    bool found = out.data != NULL && strstr(out.data, key) != NULL;
    mt_buf_cleanup(&out);
    return found;
}

static void test_s3_small_object_put(void **state)
{
    (void)state;
    struct client c;
    char sha[65];

    client_open(&c);
    assert_int_equal(write_object(&c, "weekly/a b$.csv", 1000, "text/csv", sha, true), MT_OK);
    json_t *doc = read_object("weekly/a b$.csv");
    assert_string_equal(json_string_value(json_object_get(doc, "contentType")), "text/csv");
    assert_int_equal(json_integer_value(json_object_get(doc, "length")), 1000);
    assert_string_equal(json_string_value(json_object_get(doc, "sha256")), sha);
    json_decref(doc);
    client_close(&c);
}

static void test_s3_large_object_multipart(void **state)
{
    (void)state;
    struct client c;
    char sha[65];
    size_t size = 2 * MT_S3_PART_BYTES + 12345;

    client_open(&c);
    assert_int_equal(write_object(&c, "big.csv", size, "text/csv", sha, true), MT_OK);
    json_t *doc = read_object("big.csv");
    assert_int_equal(json_integer_value(json_object_get(doc, "length")), size);
    assert_string_equal(json_string_value(json_object_get(doc, "sha256")), sha);
    json_decref(doc);
    client_close(&c);
}

static void test_s3_abort_leaves_nothing(void **state)
{
    (void)state;
    struct client c;
    char sha[65];

    client_open(&c);
    assert_int_equal(write_object(&c, "gone.csv", MT_S3_PART_BYTES + 10, "text/csv", sha,
                                  false), MT_OK);
    assert_false(object_listed("gone.csv"));
    client_close(&c);
}

static void test_s3_missing_bucket_reported(void **state)
{
    (void)state;
    struct client c;
    struct mt_s3_writer *w = NULL;
    struct mt_err err = {0};

    client_open(&c);
    assert_int_equal(mt_s3_writer_open(c.s3, "no-such-bucket", "k.csv", NULL, &w, &err), MT_OK);
    assert_int_equal(mt_s3_writer_write(w, "x", 1, &err), MT_OK);
    assert_int_equal(mt_s3_writer_commit(w, &err), MT_ERR_AWS);
    assert_non_null(strstr(err.detail, "S3 PutObject of 's3://no-such-bucket/k.csv': HTTP 404 "
                                       "NoSuchBucket"));
    assert_null(strstr(err.detail, "S3RVER"));
    client_close(&c);
}

struct mem_object {
    struct mt_output_object base;
    struct mt_buf csv;
};

static enum mt_status mem_write(struct mt_output_object *obj, const char *data, size_t len)
{
    return mt_buf_append(&((struct mem_object *)obj)->csv, data, len);
}

/* The SHA-256 of the window's CSV written to memory. */
static void local_csv_sha(struct mt_store *store, const struct mt_report_window *window,
                          char out[65])
{
    struct mem_object obj = {.base = {.write = mem_write}};
    struct mt_report_run run = {.store = store, .window = *window};
    mt_buf_init(&obj.csv, 0);
    assert_int_equal(mt_report_write_csv(&run, &obj.base, NULL), MT_OK);
    mt_sha256_hex(mt_buf_str(&obj.csv), out);
    mt_buf_cleanup(&obj.csv);
}

static void test_s3_report_output(void **state)
{
    (void)state;
    struct mt_store *store = NULL;
    struct mt_output *out = NULL;
    struct mt_buf where;
    struct mt_err err = {0};
    char path[4200];
    FILE *f;

    snprintf(path, sizeof(path), "%s/r.db", mt_test_tmpdir());
    assert_int_equal(mt_store_open_sqlite(path, NULL, &store, NULL), MT_OK);
    struct mt_ingest *ing = mt_ingest_new(store, NULL);
    f = fopen(mt_test_fixture("events/ep-delivery-multi-recipient.json"), "rb");
    assert_non_null(f);
    assert_int_equal(mt_ingest_stream(ing, f, "fixture", &err), MT_OK);
    assert_int_equal(mt_ingest_flush(ing, &err), MT_OK);
    fclose(f);
    mt_ingest_free(ing);

    struct mt_report_run run = {.store = store};
    mt_report_window_week((struct mt_iso_week){2025, 11}, &run.window);
    mt_buf_init(&where, 0);
    if (mt_output_open("s3://reports/weekly", &out, &err) != MT_OK ||
        mt_report_generate(&run, out, &where, &err) != MT_OK)
        fail_msg("report: %s", mt_err_text(&err));
    assert_string_equal(where.data, "s3://reports/weekly/email-events-2025-W11.csv");
    json_t *csv = read_object("weekly/email-events-2025-W11.csv");
    json_t *sum = read_object("weekly/email-events-2025-W11.summary.json");
    assert_string_equal(json_string_value(json_object_get(csv, "contentType")), "text/csv");
    assert_string_equal(json_string_value(json_object_get(sum, "contentType")),
                        "application/json");
    assert_true(json_integer_value(json_object_get(csv, "length")) > 100);
    char want[65];
    local_csv_sha(store, &run.window, want);
    assert_string_equal(json_string_value(json_object_get(csv, "sha256")), want);
    json_decref(csv);
    json_decref(sum);
    mt_buf_cleanup(&where);
    mt_output_close(out);
    mt_store_close(store);
}

/* The last request the fault server saw, after one small PutObject. */
static void put_to_fault_server(const char *kms, struct mt_buf *last)
{
    struct client c;
    struct mt_s3_writer *w = NULL;
    struct mt_s3_put_options o = {"text/csv", kms, 0};
    struct mt_err err = {0};
    char url[64];

    assert_int_equal(mt_fault_start(&s_fault, false, &err), MT_OK);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", s_fault.port);
    aws_env(url);
    client_open(&c);
    assert_int_equal(mt_s3_writer_open(c.s3, "reports", "r.csv", &o, &w, &err), MT_OK);
    assert_int_equal(mt_s3_writer_write(w, "a,b\r\n", 5, &err), MT_OK);
    assert_int_equal(mt_s3_writer_commit(w, &err), MT_OK);
    mt_buf_init(last, 0);
    assert_int_equal(mt_fault_last(&s_fault, last, &err), MT_OK);
    client_close(&c);
}

static void test_s3_sse_defaults_to_aes256(void **state)
{
    (void)state;
    struct mt_buf last;
    put_to_fault_server(NULL, &last);
    assert_non_null(strstr(last.data, "PUT /reports/r.csv"));
    assert_non_null(strstr(last.data, "x-amz-server-side-encryption: AES256"));
    assert_null(strstr(last.data, "aws-kms-key-id"));
    assert_non_null(strstr(last.data, "Content-Type: text/csv"));
    assert_non_null(strstr(last.data, "SignedHeaders=content-type;host;x-amz-content-sha256;"
                                      "x-amz-date;x-amz-server-side-encryption, "));
    mt_buf_cleanup(&last);
}

static void test_s3_sse_kms_with_key(void **state)
{
    (void)state;
    struct mt_buf last;
    put_to_fault_server("arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef", &last);
    assert_non_null(strstr(last.data, "x-amz-server-side-encryption: aws:kms"));
    assert_non_null(strstr(last.data, "x-amz-server-side-encryption-aws-kms-key-id: "
                                      "arn:aws:kms:eu-west-1:111122223333:key/1234abcd"));
    assert_non_null(strstr(last.data, "x-amz-server-side-encryption;"
                                      "x-amz-server-side-encryption-aws-kms-key-id, "));
    mt_buf_cleanup(&last);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_s3_small_object_put, setup, teardown),
        cmocka_unit_test_setup_teardown(test_s3_large_object_multipart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_s3_abort_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_s3_missing_bucket_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_s3_report_output, setup, teardown),
        cmocka_unit_test_setup_teardown(test_s3_sse_defaults_to_aes256, NULL, teardown),
        cmocka_unit_test_setup_teardown(test_s3_sse_kms_with_key, NULL, teardown),
    };
    return mt_test_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]), __FILE__);
}
