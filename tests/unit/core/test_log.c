/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The default log sink on stderr: one line per record, whatever the
 * message quotes from a client.
 */
#include "harness.h"

#include "mt/log.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Runs one mt_log_write with stderr sent to a file, and returns what it wrote in out. */
static void capture(struct mt_buf *out, enum mt_log_level level, const char *msg)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/stderr.txt", mt_test_tmpdir());
    mt_log_set_sink(NULL); /* the default text sink */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fd, 2), 2);
    close(fd);
    mt_log_write(level, "serve", "sns_rejected", "serve: %s", msg);
    fflush(stderr);
    assert_int_equal(dup2(saved, 2), 2);
    close(saved);
    mt_test_read_file(path, out);
}

static void test_core_log_text_record_is_one_line(void **state)
{
    (void)state;
    struct mt_buf out;

    capture(&out, MT_LOG_WARN, "sns_rejected 400: malformed (message a\nmailtrack: fake"
                               "\x1b[31m) (topic arn:evil\r\nmailtrack: forged line\x7f)");
    assert_string_equal(out.data, "mailtrack: warning: serve: sns_rejected 400: malformed "
                                  "(message a\\x0amailtrack: fake\\x1b[31m) (topic arn:evil"
                                  "\\x0d\\x0amailtrack: forged line\\x7f)\n");
    mt_buf_cleanup(&out);

    /* A client's own "\x0a" text stays distinguishable from an escaped newline. */
    capture(&out, MT_LOG_INFO, "id a\\x0amailtrack: fake");
    assert_string_equal(out.data, "mailtrack: note: serve: id a\\\\x0amailtrack: fake\n");
    mt_buf_cleanup(&out);

    capture(&out, MT_LOG_ERROR, "caf\xc3\xa9 plain");
    assert_string_equal(out.data, "mailtrack: error: serve: caf\xc3\xa9 plain\n");
    mt_buf_cleanup(&out);
}

static void test_core_log_long_record_keeps_its_newline(void **state)
{
    (void)state;
    struct mt_buf out;
    char msg[3000];

    /* Every byte a control character: the escaped message is four times as long. */
    memset(msg, '\n', sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = '\0';
    capture(&out, MT_LOG_WARN, msg);
    assert_true(out.len > 1000);
    assert_int_equal(out.data[out.len - 1], '\n');
    assert_ptr_equal(strchr(out.data, '\n'), out.data + out.len - 1);
    mt_buf_cleanup(&out);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_core_log_text_record_is_one_line),
    cmocka_unit_test(test_core_log_long_record_keeps_its_newline),
};

MT_TEST_MAIN(tests)
