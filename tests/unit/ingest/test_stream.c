/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Streams into the store: NDJSON and multi-line documents told apart, broken
 * documents costing only themselves, line numbers in every reject, and
 * idempotent re-ingestion.
 */
#include "harness.h"

#include "mt/ingest.h"

#include <stdio.h>
#include <string.h>

#define SEND(id, to)                                                                          \
    "{\"eventType\":\"Send\",\"send\":{},\"mail\":{\"timestamp\":\"2026-11-23T07:00:00Z\","   \
    "\"messageId\":\"" id "\",\"source\":\"s@example.com\",\"destination\":[\"" to "\"]}}"

struct rejects {
    long lines[16];
    char reasons[16][200];
    size_t count;
};

static void on_reject(void *ctx, const char *source, long line, const struct mt_reject *r)
{
    struct rejects *rj = ctx;
    assert_string_equal(source, "input");
    if (rj->count < 16) {
        rj->lines[rj->count] = line;
        snprintf(rj->reasons[rj->count], sizeof(rj->reasons[0]), "%s", r->reason);
    }
    rj->count++;
}

static struct mt_store *s_store;
static struct rejects s_rejects;

static int setup(void **state)
{
    (void)state;
    char path[4200];
    struct mt_err err = {0};
    snprintf(path, sizeof(path), "%s/events.db", mt_test_tmpdir());
    memset(&s_rejects, 0, sizeof(s_rejects));
    return mt_store_open_sqlite(path, NULL, &s_store, &err) == MT_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mt_store_close(s_store);
    return 0;
}

/* Ingests len bytes as a stream; returns the stats. */
static struct mt_ingest_stats ingest_bytes(const char *text, size_t len)
{
    struct mt_ingest_options opts = {.on_reject = on_reject, .on_reject_ctx = &s_rejects,
                                     .batch_rows = 3};
    struct mt_ingest *ing = mt_ingest_new(s_store, &opts);
    struct mt_err err = {0};
    FILE *f = fmemopen((void *)(uintptr_t)text, len, "r");

    assert_non_null(f);
    if (mt_ingest_stream(ing, f, "input", &err) != MT_OK)
        fail_msg("ingest failed: %s", mt_err_text(&err));
    fclose(f);
    struct mt_ingest_stats stats = *mt_ingest_get_stats(ing);
    mt_ingest_free(ing);
    return stats;
}

static struct mt_ingest_stats ingest_text(const char *text)
{
    return ingest_bytes(text, strlen(text));
}

static void test_ingest_ndjson_with_bad_lines(void **state)
{
    (void)state;
    struct mt_ingest_stats s = ingest_text(SEND("m1", "a@x") "\n"
                                           "\n"
                                           "{broken\n" SEND("m2", "b@x") "\r\n"
                                           "{\"eventType\":\"Nope\"}\n" SEND("m3", "c@x"));
    assert_int_equal(s.documents, 5);
    assert_int_equal(s.rows_stored, 3);
    assert_int_equal(s.rejected, 2);
    assert_int_equal(s_rejects.lines[0], 3);
    assert_int_equal(s_rejects.lines[1], 5);
    assert_non_null(strstr(s_rejects.reasons[1], "unknown eventType 'Nope'"));
}

static void test_ingest_first_line_broken_still_ndjson(void **state)
{
    (void)state;
    struct mt_ingest_stats s = ingest_text("{\"eventType\": \"Send\", \"mail\": {\n"
                                           SEND("m1", "a@x") "\n" SEND("m2", "b@x") "\n");
    assert_int_equal(s.rows_stored, 2);
    assert_int_equal(s.rejected, 1);
    assert_int_equal(s_rejects.lines[0], 1);
}

static void test_ingest_pretty_printed_document(void **state)
{
    (void)state;
    struct mt_buf doc;
    mt_test_read_file(mt_test_fixture("events/sns-lambda-bounce.json"), &doc);
    struct mt_ingest_stats s = ingest_text(doc.data);
    assert_int_equal(s.documents, 1);
    assert_int_equal(s.rows_stored, 4);
    assert_int_equal(s.rejected, 0);

    s = ingest_text(doc.data);
    assert_int_equal(s.rows_stored, 0);
    assert_int_equal(s.rows_duplicate, 4);
    mt_buf_cleanup(&doc);
}

static void test_ingest_broken_multiline_document_rejected_whole(void **state)
{
    (void)state;
    struct mt_ingest_stats s = ingest_text("{\n  \"eventType\": \"Send\",\n  \"mail\": [\n}\n");
    assert_int_equal(s.documents, 1);
    assert_int_equal(s.rejected, 1);
    assert_int_equal(s_rejects.lines[0], 1);
    assert_non_null(strstr(s_rejects.reasons[0], "line 4"));
}

static void test_ingest_concatenated_documents(void **state)
{
    (void)state;
    /* Three pretty-printed documents one after another, the middle one broken. */
    struct mt_ingest_stats s = ingest_text("{\n  \"eventType\": \"Send\", \"send\": {},\n"
                                           "  \"mail\": {\"timestamp\": \"2026-11-23T07:00:00Z\",\n"
                                           "    \"messageId\": \"c1\", \"source\": \"s@x\",\n"
                                           "    \"destination\": [\"a@x\", \"b@x\"]}\n}\n"
                                           "\n"
                                           "{\n  \"eventType\": \"Send\",\n"
                                           "  \"note\": \"{[\\\"\",\n"
                                           "  \"mail\": 3\n}\n"
                                           "{\n  \"eventType\": \"Send\", \"send\": {},\n"
                                           "  \"mail\": {\"timestamp\": \"2026-11-23T07:00:01Z\",\n"
                                           "    \"messageId\": \"c2\", \"source\": \"s@x\",\n"
                                           "    \"destination\": [\"c@x\"]}\n}\n");
    assert_int_equal(s.documents, 3);
    assert_int_equal(s.rows_stored, 3);
    assert_int_equal(s.rejected, 1);
    assert_int_equal(s_rejects.count, 1);
    assert_int_equal(s_rejects.lines[0], 8);
    assert_non_null(strstr(s_rejects.reasons[0], "mail"));
}

/* A pretty-printed Send of message id to one recipient, with no final line end. */
#define PRETTY(id, to)                                                                        \
    "{\n  \"eventType\": \"Send\",\n  \"send\": {},\n  \"mail\": {\n"                         \
    "    \"timestamp\": \"2026-11-23T07:00:00Z\", \"messageId\": \"" id "\",\n"              \
    "    \"source\": \"s@x\", \"destination\": [\"" to "\"]\n  }\n}"

static void test_ingest_documents_joined_without_line_ends(void **state)
{
    (void)state;
    /* Files without a final line end, concatenated: "}{" and "}{" on one line. */
    struct mt_ingest_stats s = ingest_text(PRETTY("j1", "a@x") PRETTY("j2", "b@x") " "
                                           SEND("j3", "c@x") SEND("j4", "d@x") "\n");
    assert_int_equal(s.documents, 4);
    assert_int_equal(s.rows_stored, 4);
    assert_int_equal(s.rejected, 0);
}

static void test_ingest_missing_bracket_costs_only_its_document(void **state)
{
    (void)state;
    /* The second document lacks its last '}' and never closes. */
    struct mt_ingest_stats s = ingest_text(PRETTY("k1", "a@x") "\n"
                                           "{\n  \"eventType\": \"Send\",\n  \"mail\": {\n"
                                           "    \"messageId\": \"k2\"\n  }\n"
                                           PRETTY("k3", "c@x") "\n" PRETTY("k4", "d@x") "\n");
    assert_int_equal(s.documents, 4);
    assert_int_equal(s.rows_stored, 3);
    assert_int_equal(s.rejected, 1);
    assert_int_equal(s_rejects.lines[0], 9);
}

static void test_ingest_broken_document_with_object_lines_rejected_once(void **state)
{
    (void)state;
    /* Indented lines that are objects by themselves, and a trailing comma on line 6. */
    struct mt_ingest_stats s = ingest_text(SEND("f0", "z@x") "\n"
                                           "{\n  \"eventType\": \"Send\",\n"
                                           "  \"mail\": {\"headers\": [\n"
                                           "    {\"name\": \"Subject\", \"value\": \"hi\"},\n"
                                           "    {\"name\": \"To\", \"value\": \"a@x\"},\n"
                                           "  ]}\n}\n" SEND("f1", "y@x") "\n");
    assert_int_equal(s.documents, 3);
    assert_int_equal(s.rows_stored, 2);
    assert_int_equal(s.rejected, 1);
    assert_int_equal(s_rejects.lines[0], 2);
    /* The position counts the lines of the file, not of the document. */
    assert_non_null(strstr(s_rejects.reasons[0], "at line 7,"));
}

static void test_ingest_ndjson_then_pretty_documents(void **state)
{
    (void)state;
    /* NDJSON, then pretty documents, then an array whose elements sit in the first column. */
    struct mt_ingest_stats s = ingest_text(SEND("n1", "a@x") "\n" SEND("n2", "b@x") "\n"
                                           PRETTY("n3", "c@x") "\n" PRETTY("n4", "d@x") "\n"
                                           "[\n" SEND("n5", "e@x") ",\n" SEND("n6", "f@x") "\n]\n"
                                           SEND("n7", "g@x") "\n");
    assert_int_equal(s.documents, 6);
    assert_int_equal(s.rows_stored, 7);
    assert_int_equal(s.rejected, 0);
}

static void test_ingest_empty_and_blank_input(void **state)
{
    (void)state;
    struct mt_ingest_stats s = ingest_text("");
    assert_int_equal(s.documents, 0);
    s = ingest_text("\n  \n\t\n");
    assert_int_equal(s.documents, 0);
    assert_int_equal(s.rejected, 0);
}

static void test_ingest_document_counts_by_type(void **state)
{
    (void)state;
    struct mt_ingest *ing = mt_ingest_new(s_store, NULL);
    struct mt_err err = {0};
    assert_int_equal(mt_ingest_document(ing, MT_STR_LIT(SEND("m9", "z@x")), "api", 0, &err),
                     MT_OK);
    assert_int_equal(mt_ingest_get_stats(ing)->rows_stored, 0); /* still batched */
    assert_int_equal(mt_ingest_flush(ing, &err), MT_OK);
    assert_int_equal(mt_ingest_get_stats(ing)->rows_stored, 1);
    assert_int_equal(mt_ingest_get_stats(ing)->rows_by_type[MT_EVENT_SEND], 1);
    assert_int_equal(mt_ingest_last_result(ing)->events, 1);
    mt_ingest_free(ing);
}

static enum mt_status first_raw(void *ctx, const struct mt_quarantine_entry *e)
{
    struct mt_buf *raw = ctx;
    if (raw->len == 0)
        mt_buf_append(raw, e->raw.ptr, e->raw.len);
    return MT_OK;
}

static void test_ingest_nul_byte_stays_in_its_line(void **state)
{
    (void)state;
    static const char text[] = SEND("m1", "a@x") "\ngarbage\0more\n" SEND("m2", "b@x") "\n";
    struct mt_ingest_stats s = ingest_bytes(text, sizeof(text) - 1);
    assert_int_equal(s.documents, 3);
    assert_int_equal(s.rows_stored, 2);
    assert_int_equal(s.rejected, 1);
    assert_int_equal(s_rejects.lines[0], 2);

    struct mt_buf raw;
    struct mt_err err = {0};
    mt_buf_init(&raw, 0);
    assert_int_equal(s_store->ops->list_quarantine(s_store, first_raw, &raw, &err), MT_OK);
    assert_int_equal(raw.len, 12);
    assert_memory_equal(raw.data, "garbage\0more", 12);
    mt_buf_cleanup(&raw);
}

static void test_ingest_overlong_blank_line_rejected(void **state)
{
    (void)state;
    /* 17 MiB of spaces is not an empty line: it is cut, so it cannot be skipped as blank. */
    struct mt_buf text;
    mt_buf_init(&text, 0);
    for (size_t i = 0; i < 17u * 1024 * 1024; i++)
        mt_buf_append_byte(&text, ' ');
    mt_buf_append_cstr(&text, "{}\n" SEND("m1", "a@x") "\n");
    struct mt_ingest_stats s = ingest_bytes(text.data, text.len);
    assert_int_equal(s.documents, 2);
    assert_int_equal(s.rejected, 1);
    assert_int_equal(s.rows_stored, 1);
    assert_non_null(strstr(s_rejects.reasons[0], "line is longer than 16 MiB"));
    mt_buf_cleanup(&text);
}

static void test_ingest_oversized_document_rejected_once(void **state)
{
    (void)state;
    /* A pretty-printed array of 17 MiB: no line is a document on its own. */
    struct mt_buf text;
    mt_buf_init(&text, 0);
    mt_buf_append_cstr(&text, "[\n");
    while (text.len < 17u * 1024 * 1024)
        mt_buf_append_cstr(&text, "  \"0123456789012345678901234567890123456789012345\",\n");
    mt_buf_append_cstr(&text, "  \"end\"\n]\n");

    struct mt_ingest_stats s = ingest_bytes(text.data, text.len);
    assert_int_equal(s.documents, 1);
    assert_int_equal(s.rejected, 1);
    assert_int_equal(s_rejects.lines[0], 1);
    assert_non_null(strstr(s_rejects.reasons[0], "document is larger than 16 MiB"));
    mt_buf_cleanup(&text);
}

static void test_ingest_broken_first_line_of_large_ndjson(void **state)
{
    (void)state;
    /*
     * The first line opens an array that never closes, so lines gather past
     * 16 MiB; they are then split where each begins, and the rest of the
     * stream is read line by line.
     */
    struct mt_buf text;
    size_t lines = 0;
    mt_buf_init(&text, 0);
    mt_buf_append_cstr(&text, "[{\"eventType\": \"Send\", \"mail\": {\n");
    while (text.len < 17u * 1024 * 1024) {
        mt_buf_appendf(&text,
                       "{\"eventType\":\"Send\",\"send\":{},\"mail\":{\"timestamp\":"
                       "\"2026-11-23T07:00:00Z\",\"messageId\":\"big%zu\",\"source\":"
                       "\"s@example.com\",\"destination\":[\"a@x\"],\"pad\":\"%0900d\"}}\n",
                       lines, 0);
        lines++;
    }
    struct mt_ingest_stats s = ingest_bytes(text.data, text.len);
    assert_int_equal(s.documents, lines + 1);
    assert_int_equal(s.rows_stored, lines);
    assert_int_equal(s.rejected, 1);
    assert_int_equal(s_rejects.lines[0], 1);
    mt_buf_cleanup(&text);
}

#define MT_CASE(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

static const struct CMUnitTest tests[] = {
    MT_CASE(test_ingest_ndjson_with_bad_lines),
    MT_CASE(test_ingest_first_line_broken_still_ndjson),
    MT_CASE(test_ingest_pretty_printed_document),
    MT_CASE(test_ingest_broken_multiline_document_rejected_whole),
    MT_CASE(test_ingest_concatenated_documents),
    MT_CASE(test_ingest_documents_joined_without_line_ends),
    MT_CASE(test_ingest_missing_bracket_costs_only_its_document),
    MT_CASE(test_ingest_broken_document_with_object_lines_rejected_once),
    MT_CASE(test_ingest_ndjson_then_pretty_documents),
    MT_CASE(test_ingest_empty_and_blank_input),
    MT_CASE(test_ingest_document_counts_by_type),
    MT_CASE(test_ingest_nul_byte_stays_in_its_line),
    MT_CASE(test_ingest_oversized_document_rejected_once),
    MT_CASE(test_ingest_overlong_blank_line_rejected),
    MT_CASE(test_ingest_broken_first_line_of_large_ndjson),
};

MT_TEST_MAIN(tests)
