/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 4180 cells, the formula guard, streaming, and reading back. */
#include "harness.h"

#include "mt/csv.h"

#include <string.h>

static void cell_is(const char *in, const char *expected)
{
    struct mt_buf out;
    mt_buf_init(&out, 0);
    assert_int_equal(mt_csv_format_cell(&out, mt_str_from_cstr(in)), MT_OK);
    assert_string_equal(out.data ? out.data : "", expected);
    mt_buf_cleanup(&out);
}

static void test_csv_quotes_only_when_needed(void **state)
{
    (void)state;
    cell_is("plain", "plain");
    cell_is("with space", "with space");
    cell_is("a,b", "\"a,b\"");
    cell_is("say \"hi\"", "\"say \"\"hi\"\"\"");
    cell_is("line1\nline2", "\"line1\nline2\"");
    cell_is("cr\rlf", "\"cr\rlf\"");
    cell_is("\"", "\"\"\"\"");
    cell_is("caf\xc3\xa9 \xf0\x9f\x93\xa7", "caf\xc3\xa9 \xf0\x9f\x93\xa7");
    cell_is("", "");
}

static void test_csv_formula_guard(void **state)
{
    (void)state;
    cell_is("=SUM(A1:A9)", "\"'=SUM(A1:A9)\"");
    cell_is("+1+cmd|' /C calc'!A0", "\"'+1+cmd|' /C calc'!A0\"");
    cell_is("-2", "-2");
    cell_is("@cmd", "\"'@cmd\"");
    cell_is("\tx", "\"'\tx\"");
    cell_is("\rx", "\"'\rx\"");
    cell_is("=\"quoted\"", "\"'=\"\"quoted\"\"\"");
    cell_is("a=b", "a=b");
    cell_is(" =lead-space", " =lead-space");
    assert_false(mt_csv_is_formula(MT_STR_NULL));
    assert_false(mt_csv_is_formula(MT_STR_LIT("")));
}

/* A cell that is only a decimal number cannot run, so it keeps its bytes. */
static void test_csv_plain_numbers_unguarded(void **state)
{
    static const char *const numbers[] = {"-5", "+1", "-0", "-12.5", "+0.001", "-007", "42"};
    static const char *const guarded[][2] = {
        {"-", "\"'-\""},           {"+", "\"'+\""},
        {"-.5", "\"'-.5\""},       {"-5.", "\"'-5.\""},
        {"-1e5", "\"'-1e5\""},     {"-0x10", "\"'-0x10\""},
        {"--5", "\"'--5\""},       {"-5 ", "\"'-5 \""},
        {"- 5", "\"'- 5\""},       {"-5-3", "\"'-5-3\""},
        {"+5+A1", "\"'+5+A1\""},   {"-1.2.3", "\"'-1.2.3\""},
        {"-5\t", "\"'-5\t\""},     {"-5,5", "\"'-5,5\""},
        {"=5", "\"'=5\""},         {"@5", "\"'@5\""},
        {"\t5", "\"'\t5\""},       {"\r5", "\"'\r5\""},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        assert_false(mt_csv_is_formula(mt_str_from_cstr(numbers[i])));
        cell_is(numbers[i], numbers[i]);
    }
    for (size_t i = 0; i < sizeof(guarded) / sizeof(guarded[0]); i++) {
        assert_true(mt_csv_is_formula(mt_str_from_cstr(guarded[i][0])));
        cell_is(guarded[i][0], guarded[i][1]);
    }
}

static void test_csv_rows_null_and_empty(void **state)
{
    (void)state;
    struct mt_buf out;
    struct mt_csv_writer w;
    struct mt_str row[4] = {MT_STR_LIT("a"), MT_STR_NULL, MT_STR_LIT(""), MT_STR_LIT("d,e")};

    mt_buf_init(&out, 0);
    mt_csv_writer_init(&w, mt_csv_sink_buf, &out);
    assert_int_equal(mt_csv_write_row(&w, row, 4), MT_OK);
    assert_int_equal(mt_csv_write_row(&w, row, 1), MT_OK);
    assert_int_equal(mt_csv_flush(&w), MT_OK);
    assert_string_equal(out.data, "a,,,\"d,e\"\r\na\r\n");
    assert_int_equal(w.rows, 2);
    mt_csv_writer_cleanup(&w);
    mt_buf_cleanup(&out);
}

static enum mt_status failing_sink(void *ctx, const char *data, size_t len)
{
    (void)data;
    (void)len;
    (*(int *)ctx)++;
    return MT_ERR_IO;
}

static void test_csv_sink_failure_sticks(void **state)
{
    (void)state;
    int calls = 0;
    struct mt_csv_writer w;
    struct mt_str cell = MT_STR_LIT("x");

    mt_csv_writer_init(&w, failing_sink, &calls);
    for (int i = 0; i < 100000 && mt_csv_write_row(&w, &cell, 1) == MT_OK; i++)
        ;
    assert_int_equal(w.status, MT_ERR_IO);
    assert_int_equal(mt_csv_flush(&w), MT_ERR_IO);
    assert_int_equal(mt_csv_write_cell(&w, cell), MT_ERR_IO);
    assert_int_equal(calls, 1);
    mt_csv_writer_cleanup(&w);
}

static void test_csv_large_output_streams_in_blocks(void **state)
{
    (void)state;
    struct mt_buf out;
    struct mt_csv_writer w;
    struct mt_str cells[3] = {MT_STR_LIT("2026-11-23T07:00:00.000Z"), MT_STR_LIT("Send"),
                              MT_STR_LIT("x\"y")};

    mt_buf_init(&out, 0);
    mt_csv_writer_init(&w, mt_csv_sink_buf, &out);
    for (int i = 0; i < 20000; i++)
        assert_int_equal(mt_csv_write_row(&w, cells, 3), MT_OK);
    assert_true(w.pending.cap <= 2 * 65536 + 4096);
    assert_int_equal(mt_csv_flush(&w), MT_OK);
    assert_int_equal(out.len, 20000 * strlen("2026-11-23T07:00:00.000Z,Send,\"x\"\"y\"\r\n"));
    mt_csv_writer_cleanup(&w);
    mt_buf_cleanup(&out);
}

static void test_csv_read_back_round_trip(void **state)
{
    (void)state;
    static const char *const cells[] = {"plain", "a,b", "q\"q", "multi\r\nline", "", "=1+1",
                                        "\xc3\xa9"};
    const size_t n = sizeof(cells) / sizeof(cells[0]);
    struct mt_buf out, got;
    struct mt_csv_writer w;
    size_t pos = 0, count = 0;

    mt_buf_init(&out, 0);
    mt_buf_init(&got, 0);
    mt_csv_writer_init(&w, mt_csv_sink_buf, &out);
    for (size_t i = 0; i < n; i++)
        mt_csv_write_cell(&w, mt_str_from_cstr(cells[i]));
    mt_csv_end_row(&w);
    mt_csv_flush(&w);

    assert_int_equal(mt_csv_read_record(mt_buf_str(&out), &pos, &got, &count), MT_OK);
    assert_int_equal(count, n);
    assert_int_equal(pos, out.len);
    const char *c = got.data;
    for (size_t i = 0; i < n; i++, c += strlen(c) + 1) {
        if (mt_csv_is_formula(mt_str_from_cstr(cells[i])))
            assert_true(c[0] == '\'' && strcmp(c + 1, cells[i]) == 0);
        else
            assert_string_equal(c, cells[i]);
    }
    assert_int_equal(mt_csv_read_record(mt_buf_str(&out), &pos, &got, &count), MT_ERR_NOT_FOUND);

    pos = 0;
    assert_int_equal(mt_csv_read_record(MT_STR_LIT("a\"b,c\r\n"), &pos, &got, &count),
                     MT_ERR_PARSE);
    pos = 0;
    assert_int_equal(mt_csv_read_record(MT_STR_LIT("\"open"), &pos, &got, &count), MT_ERR_PARSE);
    mt_csv_writer_cleanup(&w);
    mt_buf_cleanup(&out);
    mt_buf_cleanup(&got);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_csv_quotes_only_when_needed),
    cmocka_unit_test(test_csv_formula_guard),
    cmocka_unit_test(test_csv_plain_numbers_unguarded),
    cmocka_unit_test(test_csv_rows_null_and_empty),
    cmocka_unit_test(test_csv_sink_failure_sticks),
    cmocka_unit_test(test_csv_large_output_streams_in_blocks),
    cmocka_unit_test(test_csv_read_back_round_trip),
};

MT_TEST_MAIN(tests)
