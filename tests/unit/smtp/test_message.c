/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of message composition: the subject (plain, folded, RFC 2047
 * encoded words decoded back here with OpenSSL's base64 decoder), the
 * quoted-printable body, the Date format, the checks that keep input out of
 * header syntax, and one whole message byte for byte.
 */
#include "harness.h"

#include "smtp/smtp_int.h"

#include <openssl/evp.h>
#include <string.h>

/* Formats the subject header of s; fails unless it succeeds. */
static void subject_of(const char *s, struct mt_buf *out)
{
    struct mt_err err = {0};
    mt_buf_init(out, 0);
    assert_int_equal(smtp_subject_append(out, mt_str_from_cstr(s), &err), MT_OK);
}

/* Checks the header's line lengths and returns its value decoded (words) or unfolded (plain). */
static void decode_header(const char *header, struct mt_buf *out)
{
    const char *p = header + strlen("Subject:");
    size_t line = strlen("Subject:");

    mt_buf_init(out, 0);
    assert_int_equal(mt_buf_append(out, "", 0), MT_OK);
    bool encoded = strstr(header, "=?UTF-8?B?") != NULL;
    p += *p == ' ';
    line += 1;
    while (*p != '\0' && !(p[0] == '\r' && p[1] == '\n' && p[2] == '\0')) {
        if (p[0] == '\r' && p[1] == '\n') {
            assert_true(line <= SMTP_LINE_MAX);
            assert_true(p[2] == ' ');
            line = 0;
            p += 2;
            if (encoded) {
                p++, line++;
            }
            continue;
        }
        if (encoded) {
            assert_memory_equal(p, "=?UTF-8?B?", 10);
            const char *end = strstr(p + 10, "?=");
            unsigned char raw[80];
            int n = EVP_DecodeBlock(raw, (const unsigned char *)p + 10, (int)(end - p - 10));
            for (const char *q = end - 1; *q == '='; q--)
                n--;
            assert_true(end + 2 - p <= 75);
            assert_true(mt_utf8_valid((struct mt_str){(const char *)raw, (size_t)n}));
            assert_int_equal(mt_buf_append(out, raw, (size_t)n), MT_OK);
            line += (size_t)(end + 2 - p);
            p = end + 2;
        } else {
            assert_int_equal(mt_buf_append_byte(out, *p), MT_OK);
            p++, line++;
        }
    }
    assert_true(line <= SMTP_LINE_MAX);
    assert_string_equal(p, "\r\n");
}

static void round_trips(const char *subject, size_t min_lines)
{
    struct mt_buf h, d;
    size_t lines = 0;

    subject_of(subject, &h);
    for (const char *p = h.data; (p = strstr(p, "\r\n")) != NULL; p += 2)
        lines++;
    assert_true(lines >= min_lines);
    decode_header(h.data, &d);
    assert_string_equal(d.data, subject);
    mt_buf_cleanup(&h);
    mt_buf_cleanup(&d);
}

static void test_smtp_subject_plain_ascii_unencoded(void **state)
{
    struct mt_buf h;
    (void)state;

    subject_of("Weekly check: 3 events", &h);
    assert_string_equal(h.data, "Subject: Weekly check: 3 events\r\n");
    mt_buf_cleanup(&h);
    subject_of("", &h);
    assert_string_equal(h.data, "Subject: \r\n");
    mt_buf_cleanup(&h);
}

static void test_smtp_subject_long_ascii_folds_at_spaces(void **state)
{
    (void)state;
    round_trips("A plain ASCII subject that is long enough to need folding because it runs "
                "well past seventy-six characters on one line, twice over in fact, yes",
                2);
    /* A word longer than a line stays whole rather than being broken. */
    struct mt_buf h;
    char word[120];
    memset(word, 'w', sizeof(word) - 1);
    word[sizeof(word) - 1] = '\0';
    subject_of(word, &h);
    assert_int_equal(h.len, strlen("Subject: ") + sizeof(word) - 1 + 2);
    mt_buf_cleanup(&h);

    /* A word that would push its line past 998 characters goes as encoded words. */
    char huge[3001];
    memset(huge, 'a', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    subject_of(huge, &h);
    assert_int_equal(strncmp(h.data, "Subject: =?UTF-8?", 17), 0);
    for (const char *line = h.data; *line != '\0';) {
        const char *end = strstr(line, "\r\n");
        assert_non_null(end);
        assert_true(end - line <= 998);
        line = end + 2;
    }
    mt_buf_cleanup(&h);
}

static void test_smtp_subject_utf8_encoded_word(void **state)
{
    struct mt_buf h;
    (void)state;

    subject_of("caf\xc3\xa9", &h);
    assert_string_equal(h.data, "Subject: =?UTF-8?B?Y2Fmw6k=?=\r\n");
    mt_buf_cleanup(&h);
    /* Text that looks like an encoded word is encoded, so no reader decodes it. */
    subject_of("price =?UTF-8?B?eA==?=", &h);
    assert_string_equal(h.data, "Subject: =?UTF-8?B?cHJpY2UgPT9VVEYtOD9CP2VBPT0/PQ==?=\r\n");
    mt_buf_cleanup(&h);
}

static void test_smtp_subject_never_splits_characters(void **state)
{
    char s[4 * 60 + 64] = "";
    (void)state;

    /* 60 four-byte emoji, then mixed widths, so every boundary position is hit. */
    for (int i = 0; i < 60; i++)
        strcat(s, "\xf0\x9f\x93\xac");
    round_trips(s, 5);
    round_trips("\xc3\xa9\xe2\x9c\x93\xf0\x9f\x8e\x89 mixed \xe6\x97\xa5\xe6\x9c\xac "
                "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc "
                "\xe2\x9c\x93\xe2\x9c\x93\xe2\x9c\x93\xe2\x9c\x93\xe2\x9c\x93\xe2\x9c\x93 tail",
                2);
}

static void test_smtp_subject_rejects_control_and_bad_utf8(void **state)
{
    struct mt_buf h;
    struct mt_err err = {0};
    (void)state;

    mt_buf_init(&h, 0);
    assert_int_equal(smtp_subject_append(&h, MT_STR_LIT("a\r\nBcc: x@example.com"), &err),
                     MT_ERR_INVALID);
    assert_string_equal(err.detail, "the subject has a control character (byte 0x0D) at byte 2");
    mt_err_clear(&err);
    assert_int_equal(smtp_subject_append(&h, MT_STR_LIT("bad \xc3("), &err), MT_ERR_INVALID);
    assert_string_equal(err.detail, "the subject is not valid UTF-8");
    assert_int_equal(h.len, 0);
    mt_buf_cleanup(&h);
}

static void qp_is(const char *body, const char *expected)
{
    struct mt_buf out;
    mt_buf_init(&out, 0);
    assert_int_equal(smtp_qp_append(&out, mt_str_from_cstr(body)), MT_OK);
    assert_string_equal(out.data, expected);
    mt_buf_cleanup(&out);
}

static void test_smtp_qp_vectors(void **state)
{
    (void)state;
    qp_is("caf\xc3\xa9\n", "caf=C3=A9\r\n");
    qp_is("a=b\r\n", "a=3Db\r\n");
    qp_is("end \nnext\t\n", "end=20\r\nnext=09\r\n");
    qp_is("mid space\tand tab\n", "mid space\tand tab\r\n");
    qp_is("no final newline", "no final newline\r\n");
    qp_is("lone\rcr\n", "lone=0Dcr\r\n");
    qp_is(".\n..\n", ".\r\n..\r\n");
    qp_is("", "\r\n");
    qp_is("trailing space at end ", "trailing space at end=20\r\n");
}

static void test_smtp_qp_soft_breaks(void **state)
{
    char line[101], expected[200];
    (void)state;

    memset(line, 'a', 100);
    line[100] = '\0';
    snprintf(expected, sizeof(expected), "%.75s=\r\n%.25s\r\n", line, line);
    qp_is(line, expected);

    /* Escapes are never split: 60 of them make lines of 25 (75 characters before "="). */
    char text[61] = "";
    for (int i = 0; i < 30; i++)
        strcat(text, "\xc3\xa9");
    char want[256] = "";
    for (int i = 0; i < 60; i++) {
        strcat(want, i % 2 == 0 ? "=C3" : "=A9");
        if (i == 24 || i == 49)
            strcat(want, "=\r\n");
    }
    strcat(want, "\r\n");
    qp_is(text, want);
}

static void test_smtp_date_format(void **state)
{
    char out[SMTP_DATE_LEN + 1];
    (void)state;

    smtp_date_format(INT64_C(1741604564000), out);
    assert_string_equal(out, "Mon, 10 Mar 2025 11:02:44 +0000");
    smtp_date_format(0, out);
    assert_string_equal(out, "Thu, 01 Jan 1970 00:00:00 +0000");
    smtp_date_format(INT64_C(1709164800999), out);
    assert_string_equal(out, "Thu, 29 Feb 2024 00:00:00 +0000");
    smtp_date_format(INT64_C(1795417200000), out);
    assert_string_equal(out, "Mon, 23 Nov 2026 07:00:00 +0000");
}

static void tag_fails(const char *text, const char *detail)
{
    struct mt_smtp_tag tag;
    struct mt_err err = {0};
    assert_int_equal(mt_smtp_tag_parse(mt_str_from_cstr(text), &tag, &err), MT_ERR_INVALID);
    assert_string_equal(err.detail, detail);
}

static void test_smtp_tag_parse(void **state)
{
    struct mt_smtp_tag tag;
    (void)state;

    assert_int_equal(mt_smtp_tag_parse(MT_STR_LIT("campaign=launch-1_B"), &tag, NULL), MT_OK);
    assert_mt_str_equal(tag.name, "campaign");
    assert_mt_str_equal(tag.value, "launch-1_B");
    tag_fails("bad name=x",
              "tag 'bad name=x': byte 0x20 at position 4 is not allowed; tags may hold "
              "only A-Z a-z 0-9 _ -");
    tag_fails("env=ci,prod", "tag 'env=ci,prod': ',' at position 7 is not allowed; tags may hold "
                             "only A-Z a-z 0-9 _ -");
    tag_fails("a=b=c", "tag 'a=b=c': '=' at position 4 is not allowed; tags may hold only "
                       "A-Z a-z 0-9 _ -");
    tag_fails("\xc3\xa9t\xc3\xa9=x", "tag '\xc3\xa9t\xc3\xa9=x': byte 0xC3 at position 1 is not "
                                     "allowed; tags may hold only A-Z a-z 0-9 _ -");
    tag_fails("noequals", "tag 'noequals' is not NAME=VALUE");
    tag_fails("=v", "tag '=v': the name must have 1 to 255 characters");
    tag_fails("n=", "tag 'n=': the value must have 1 to 255 characters");
}

static void test_smtp_header_values_checked(void **state)
{
    struct mt_err err = {0};
    (void)state;

    assert_int_equal(mt_smtp_configuration_set_check(MT_STR_LIT("mailtrack-prod_2"), NULL), MT_OK);
    assert_int_equal(mt_smtp_configuration_set_check(MT_STR_LIT("cs\r\nBcc: x"), &err),
                     MT_ERR_INVALID);
    assert_non_null(strstr(err.detail, "byte 0x0D at position 3"));

    static const char *const good[] = {"a@example.com", "first.last+tag@sub.example.co.uk",
                                       "x@mail-1.example"};
    static const char *const bad[] = {"",
                                      "a@b",
                                      "a b@example.com",
                                      "<a@example.com>",
                                      "@example.com",
                                      "a@example.com\r\nBcc: x@example.com",
                                      "a@@example.com",
                                      "a@example.com.",
                                      "Name <a@example.com>",
                                      "\xc3\xa9@example.com"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_int_equal(mt_smtp_address_check(mt_str_from_cstr(good[i]), "sender", NULL), MT_OK);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (mt_smtp_address_check(mt_str_from_cstr(bad[i]), "recipient", NULL) != MT_ERR_INVALID)
            fail_msg("'%s' was accepted", bad[i]);
    }
}

static void test_smtp_simulator_address(void **state)
{
    struct mt_buf a;
    struct mt_err err = {0};
    (void)state;

    mt_buf_init(&a, 0);
    assert_int_equal(mt_smtp_simulator_address(MT_STR_LIT("bounce"), &a, NULL), MT_OK);
    assert_string_equal(a.data, "bounce@simulator.amazonses.com");
    assert_int_equal(mt_smtp_simulator_address(MT_STR_LIT("suppressionlist+run.42"), &a, NULL),
                     MT_OK);
    assert_string_equal(a.data, "suppressionlist+run.42@simulator.amazonses.com");
    assert_int_equal(mt_smtp_simulator_address(MT_STR_LIT("reject"), &a, &err), MT_ERR_INVALID);
    assert_string_equal(err.detail, "'reject' is not a mailbox simulator kind; use success, "
                                    "bounce, complaint, ooto or suppressionlist");
    static const char *const bad_labels[] = {"ooto+", "ooto+a..b", "ooto+.a", "ooto+a b",
                                             "ooto+a@b"};
    for (size_t i = 0; i < sizeof(bad_labels) / sizeof(bad_labels[0]); i++) {
        if (mt_smtp_simulator_address(mt_str_from_cstr(bad_labels[i]), &a, NULL) != MT_ERR_INVALID)
            fail_msg("'%s' was accepted", bad_labels[i]);
    }
    mt_buf_cleanup(&a);
}

static void test_smtp_message_format_golden(void **state)
{
    const char *to[] = {"a@example.com", "b@example.com"};
    struct mt_smtp_tag tags[] = {{MT_STR_LIT("campaign"), MT_STR_LIT("launch")},
                                 {MT_STR_LIT("env"), MT_STR_LIT("ci")}};
    struct mt_smtp_message m = {
        .from = "sender@example.com",
        .to = to,
        .to_count = 2,
        .subject = MT_STR_LIT("Weekly check"),
        .body = MT_STR_LIT("Line one\nLine two \xc3\xa9\n"),
        .configuration_set = "cs",
        .tags = tags,
        .tag_count = 2,
        .date_ms = INT64_C(1741604564000),
        .message_id = "fixed@example.com",
    };
    struct mt_buf out;
    (void)state;

    mt_buf_init(&out, 0);
    assert_int_equal(mt_smtp_message_format(&m, &out, NULL), MT_OK);
    assert_string_equal(out.data, "Date: Mon, 10 Mar 2025 11:02:44 +0000\r\n"
                                  "From: sender@example.com\r\n"
                                  "To: a@example.com, b@example.com\r\n"
                                  "Subject: Weekly check\r\n"
                                  "Message-ID: <fixed@example.com>\r\n"
                                  "MIME-Version: 1.0\r\n"
                                  "Content-Type: text/plain; charset=UTF-8\r\n"
                                  "Content-Transfer-Encoding: quoted-printable\r\n"
                                  "X-SES-CONFIGURATION-SET: cs\r\n"
                                  "X-SES-MESSAGE-TAGS: campaign=launch, env=ci\r\n"
                                  "\r\n"
                                  "Line one\r\n"
                                  "Line two =C3=A9\r\n");
    mt_buf_cleanup(&out);
}

static void test_smtp_message_format_folds_long_lists(void **state)
{
    const char *to[] = {"first.recipient@example.com", "second.recipient@example.com",
                        "third.recipient@example.com"};
    struct mt_smtp_tag tags[] = {{MT_STR_LIT("campaign"), MT_STR_LIT("a-rather-long-value-1")},
                                 {MT_STR_LIT("environment"), MT_STR_LIT("production-eu")},
                                 {MT_STR_LIT("team"), MT_STR_LIT("mail")}};
    struct mt_smtp_message m = {.from = "s@example.com",
                                .to = to,
                                .to_count = 3,
                                .subject = MT_STR_LIT("s"),
                                .tags = tags,
                                .tag_count = 3};
    struct mt_buf out;
    (void)state;

    mt_buf_init(&out, 0);
    assert_int_equal(mt_smtp_message_format(&m, &out, NULL), MT_OK);
    assert_non_null(strstr(out.data, "To: first.recipient@example.com, "
                                     "second.recipient@example.com,\r\n"
                                     " third.recipient@example.com\r\n"));
    assert_non_null(strstr(out.data, "X-SES-MESSAGE-TAGS: campaign=a-rather-long-value-1,\r\n"
                                     " environment=production-eu, team=mail\r\n"));
    assert_non_null(strstr(out.data, "Message-ID: <"));
    mt_buf_cleanup(&out);
}

static void format_fails(const struct mt_smtp_message *m, const char *detail)
{
    struct mt_buf out;
    struct mt_err err = {0};
    mt_buf_init(&out, 0);
    assert_int_equal(mt_smtp_message_format(m, &out, &err), MT_ERR_INVALID);
    assert_string_equal(err.detail, detail);
    mt_buf_cleanup(&out);
}

static void test_smtp_message_format_rejects_bad_fields(void **state)
{
    const char *to[] = {"a@example.com"};
    const char *bad_to[] = {"a@example.com>\r\nBcc: <x@example.com"};
    struct mt_smtp_tag bad_tag[] = {{MT_STR_LIT("ok"), MT_STR_LIT("x\r\nBcc: y")}};
    struct mt_smtp_message m = {.from = "s@example.com", .to = to, .to_count = 1};
    (void)state;

    m.to = bad_to;
    format_fails(&m, "recipient address 'a@example.com>\r\nBcc: <x@example.com' has '>' at "
                     "position 14; give a bare address like name@example.com");
    m.to = to;
    m.tags = bad_tag, m.tag_count = 1;
    format_fails(&m, "tag 'ok=x\r\nBcc: y': byte 0x0D at position 5 is not allowed; tags may "
                     "hold only A-Z a-z 0-9 _ -");
    m.tag_count = 0;
    m.body = MT_STR_LIT("\xff");
    format_fails(&m, "the message body is not valid UTF-8 text");
    m.body = MT_STR_NULL;
    m.to_count = 0;
    format_fails(&m, "the message has no recipient");
}

static void test_smtp_message_id_new_is_random(void **state)
{
    struct mt_buf a, b;
    (void)state;

    mt_buf_init(&a, 0);
    mt_buf_init(&b, 0);
    assert_int_equal(mt_smtp_message_id_new("x@mail.example.com", &a, NULL), MT_OK);
    assert_int_equal(mt_smtp_message_id_new("x@mail.example.com", &b, NULL), MT_OK);
    assert_int_equal(a.len, 32 + strlen("@mail.example.com"));
    assert_string_equal(a.data + 32, "@mail.example.com");
    assert_int_equal(strspn(a.data, "0123456789abcdef"), 32);
    assert_string_not_equal(a.data, b.data);
    assert_int_equal(mt_smtp_message_id_new("nodomain", &a, NULL), MT_ERR_INVALID);
    mt_buf_cleanup(&a);
    mt_buf_cleanup(&b);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_smtp_subject_plain_ascii_unencoded),
    cmocka_unit_test(test_smtp_subject_long_ascii_folds_at_spaces),
    cmocka_unit_test(test_smtp_subject_utf8_encoded_word),
    cmocka_unit_test(test_smtp_subject_never_splits_characters),
    cmocka_unit_test(test_smtp_subject_rejects_control_and_bad_utf8),
    cmocka_unit_test(test_smtp_qp_vectors),
    cmocka_unit_test(test_smtp_qp_soft_breaks),
    cmocka_unit_test(test_smtp_date_format),
    cmocka_unit_test(test_smtp_tag_parse),
    cmocka_unit_test(test_smtp_header_values_checked),
    cmocka_unit_test(test_smtp_simulator_address),
    cmocka_unit_test(test_smtp_message_format_golden),
    cmocka_unit_test(test_smtp_message_format_folds_long_lists),
    cmocka_unit_test(test_smtp_message_format_rejects_bad_fields),
    cmocka_unit_test(test_smtp_message_id_new_is_random),
};

MT_TEST_MAIN(tests)
