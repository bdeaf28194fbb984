/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tracker handler on an SQLite store: records stored, duplicate
 * deliveries adding nothing, rejects quarantined without failing, notices and
 * confirmations skipped, and a store that cannot write failing the
 * invocation until it can.  The failing store wraps the real SQLite one and
 * refuses a set number of writes, a fault no real store produces on demand.
 */
#include "harness.h"

#include "lambda.h"

#include <stdio.h>
#include <string.h>

static struct lambda_tracker s_tracker;
static char s_db[4200];

static int setup(void **state)
{
    (void)state;
    struct mt_err err = {0};
    snprintf(s_db, sizeof(s_db), "sqlite:%s/events.db", mt_test_tmpdir());
    return lambda_tracker_open(&s_tracker, s_db, NULL, &err) == MT_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    lambda_tracker_close(&s_tracker);
    return 0;
}

/* Runs the handler; returns its status, the response in response (initialised here). */
static enum mt_status invoke(const char *event, struct mt_buf *response,
                             struct lambda_tracker_counts *counts, struct mt_err *err)
{
    mt_buf_init(response, 0);
    return lambda_tracker_handle(&s_tracker, mt_str_from_cstr(event), response, counts, err);
}

static enum mt_status count_row(void *ctx, const struct mt_row *row)
{
    (void)row;
    (*(size_t *)ctx)++;
    return MT_OK;
}

static size_t rows_in_store(struct mt_store *store)
{
    size_t n = 0;
    struct mt_err err = {0};
    assert_int_equal(store->ops->query(store, 0, INT64_C(253402300800000), count_row, &n, &err),
                     MT_OK);
    return n;
}

static enum mt_status count_entry(void *ctx, const struct mt_quarantine_entry *e)
{
    (void)e;
    (*(size_t *)ctx)++;
    return MT_OK;
}

static size_t quarantined(struct mt_store *store)
{
    size_t n = 0;
    struct mt_err err = {0};
    assert_int_equal(store->ops->list_quarantine(store, count_entry, &n, &err), MT_OK);
    return n;
}

static void test_lambda_tracker_stores_records_and_answers_counts(void **state)
{
    (void)state;
    struct mt_buf event, response;
    struct lambda_tracker_counts c;
    struct mt_err err = {0};

    mt_test_read_file(mt_test_fixture("events/sns-lambda-delivery.json"), &event);
    assert_int_equal(invoke(event.data, &response, &c, &err), MT_OK);
    assert_string_equal(response.data, "{\"records\":1,\"rows_stored\":5,\"duplicates\":0,"
                                       "\"skipped\":0,\"rejected\":0}");
    assert_int_equal(rows_in_store(s_tracker.store), 5);
    mt_buf_cleanup(&response);

    /* SNS delivers at least once: the same event again stores nothing new. */
    assert_int_equal(invoke(event.data, &response, &c, &err), MT_OK);
    assert_string_equal(response.data, "{\"records\":1,\"rows_stored\":0,\"duplicates\":5,"
                                       "\"skipped\":0,\"rejected\":0}");
    assert_int_equal(rows_in_store(s_tracker.store), 5);
    mt_buf_cleanup(&response);
    mt_buf_cleanup(&event);
}

static void test_lambda_tracker_quarantines_bad_records_without_failing(void **state)
{
    (void)state;
    struct mt_buf good, response, event;
    struct lambda_tracker_counts c;
    struct mt_err err = {0};

    /* One good record, one whose Message is not JSON, one of an unknown event type. */
    mt_test_read_file(mt_test_fixture("events/sns-lambda-open.json"), &good);
    const char *records = strstr(good.data, "\"Records\"");
    const char *first = strchr(records, '[') + 1;
    const char *end = strrchr(good.data, ']');
    mt_buf_init(&event, 0);
    mt_buf_appendf(&event, "{\"Records\":[%.*s,", (int)(end - first), first);
    mt_buf_append_cstr(&event, "{\"EventSource\":\"aws:sns\",\"Sns\":{\"Type\":\"Notification\","
                               "\"MessageId\":\"m2\",\"TopicArn\":\"t\",\"Message\":\"{oops\"}},"
                               "{\"EventSource\":\"aws:sns\",\"Sns\":{\"Type\":\"Notification\","
                               "\"MessageId\":\"m3\",\"TopicArn\":\"t\",\"Message\":\"{\\\""
                               "eventType\\\":\\\"Teleport\\\",\\\"mail\\\":{}}\"}}]}");

    assert_int_equal(invoke(event.data, &response, &c, &err), MT_OK);
    assert_int_equal(c.records, 3);
    assert_int_equal(c.rows_stored, 1);
    assert_int_equal(c.rejected, 2);
    assert_int_equal(quarantined(s_tracker.store), 2);
    assert_int_equal(rows_in_store(s_tracker.store), 1);

    /* A whole event that is not JSON is one rejected record, still not a failure. */
    mt_buf_cleanup(&response);
    assert_int_equal(invoke("not json at all", &response, &c, &err), MT_OK);
    assert_string_equal(response.data, "{\"records\":1,\"rows_stored\":0,\"duplicates\":0,"
                                       "\"skipped\":0,\"rejected\":1}");
    assert_int_equal(quarantined(s_tracker.store), 3);
    mt_buf_cleanup(&response);
    mt_buf_cleanup(&event);
    mt_buf_cleanup(&good);
}

static void test_lambda_tracker_skips_notices_and_confirmations(void **state)
{
    (void)state;
    struct mt_buf response, confirmation;
    struct lambda_tracker_counts c;
    struct mt_err err = {0};

    assert_int_equal(invoke("{\"Records\":[{\"EventSource\":\"aws:sns\",\"Sns\":{\"Type\":"
                            "\"Notification\",\"MessageId\":\"n1\",\"TopicArn\":\"t\",\"Message\":"
                            "\"Successfully validated SNS topic for Amazon SES event publishing."
                            "\"}}]}", &response, &c, &err), MT_OK);
    assert_string_equal(response.data, "{\"records\":1,\"rows_stored\":0,\"duplicates\":0,"
                                       "\"skipped\":1,\"rejected\":0}");
    mt_buf_cleanup(&response);

    mt_test_read_file(mt_test_fixture("events/sns-http-subscription-confirmation.json"),
                      &confirmation);
    assert_int_equal(invoke(confirmation.data, &response, &c, &err), MT_OK);
    assert_int_equal(c.skipped, 1);
    assert_int_equal(quarantined(s_tracker.store), 0);
    mt_buf_cleanup(&response);
    mt_buf_cleanup(&confirmation);
}

/* A store that refuses the first s_refusals writes of rows, then passes them on. */
struct refusing_store {
    struct mt_store base;
    struct mt_store *inner;
};

static int s_refusals;

static enum mt_status refusing_put_rows(struct mt_store *store, const struct mt_row *rows,
                                        size_t count, enum mt_put_outcome *outcomes,
                                        struct mt_err *err)
{
    struct refusing_store *r = (struct refusing_store *)store;
    if (s_refusals > 0) {
        s_refusals--;
        for (size_t i = 0; i < count; i++)
            outcomes[i] = MT_PUT_FAILED;
        return mt_err_set(err, MT_ERR_STORE, "table 'events': write refused (test fault)");
    }
    return r->inner->ops->put_rows(r->inner, rows, count, outcomes, err);
}

static enum mt_status refusing_put_quarantine(struct mt_store *store,
                                              const struct mt_quarantine_entry *entry,
                                              struct mt_err *err)
{
    struct refusing_store *r = (struct refusing_store *)store;
    return r->inner->ops->put_quarantine(r->inner, entry, err);
}

static void test_lambda_tracker_store_failure_fails_until_it_recovers(void **state)
{
    (void)state;
    static const struct mt_store_ops ops = {.name = "refusing",
                                            .put_rows = refusing_put_rows,
                                            .put_quarantine = refusing_put_quarantine};
    struct refusing_store wrapper = {.base = {.ops = &ops}, .inner = s_tracker.store};
    struct mt_buf event, response;
    struct lambda_tracker_counts c;

    mt_test_read_file(mt_test_fixture("events/sns-lambda-bounce.json"), &event);
    s_tracker.store = &wrapper.base;
    mt_ingest_free(s_tracker.ingest);
    s_tracker.ingest = NULL;

    /* Two failed attempts, as Lambda's two retries would see them; the third succeeds. */
    s_refusals = 2;
    for (int attempt = 0; attempt < 2; attempt++) {
        struct mt_err err = {0};
        assert_int_equal(invoke(event.data, &response, &c, &err), MT_ERR_STORE);
        assert_string_equal(err.detail, "table 'events': write refused (test fault)");
        assert_int_equal(c.rows_stored, 0);
        mt_buf_cleanup(&response);
    }
    struct mt_err err = {0};
    assert_int_equal(invoke(event.data, &response, &c, &err), MT_OK);
    assert_true(c.rows_stored > 0);
    assert_int_equal(rows_in_store(wrapper.inner), c.rows_stored);

    s_tracker.store = wrapper.inner;
    mt_ingest_free(s_tracker.ingest);
    s_tracker.ingest = NULL;
    mt_buf_cleanup(&response);
    mt_buf_cleanup(&event);
}

static void test_lambda_tracker_unknown_store_scheme_fails_open(void **state)
{
    (void)state;
    struct lambda_tracker t;
    struct mt_err err = {0};

    assert_int_equal(lambda_tracker_open(&t, "mysql://x", NULL, &err), MT_ERR_UNSUPPORTED);
    assert_null(t.store);
    assert_null(t.ingest);
    lambda_tracker_close(&t);
}

#define MT_CASE(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

static const struct CMUnitTest tests[] = {
    MT_CASE(test_lambda_tracker_stores_records_and_answers_counts),
    MT_CASE(test_lambda_tracker_quarantines_bad_records_without_failing),
    MT_CASE(test_lambda_tracker_skips_notices_and_confirmations),
    MT_CASE(test_lambda_tracker_store_failure_fails_until_it_recovers),
    cmocka_unit_test(test_lambda_tracker_unknown_store_scheme_fails_open),
};

MT_TEST_MAIN(tests)
