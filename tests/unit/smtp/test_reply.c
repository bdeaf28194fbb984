/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of what the sender makes of an exchange without a server: the
 * message id in SES's "250 Ok <id>", the mapping of libcurl results and
 * server replies to statuses (the only test of a DNS failure's mapping that
 * needs no resolver), the TLS mode of each port, and the checks made before
 * any connection.
 */
#include "harness.h"

#include "smtp/smtp_int.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

static void test_smtp_reply_message_id(void **state)
{
    char id[MT_SMTP_MESSAGE_ID_MAX];
    (void)state;

    assert_true(
        smtp_reply_message_id("250 Ok 0102018c7a3b4c5d-1a2b3c4d-5e6f-000000", id, sizeof(id)));
    assert_string_equal(id, "0102018c7a3b4c5d-1a2b3c4d-5e6f-000000");
    assert_true(smtp_reply_message_id("250 Ok <0100-abc-000000>", id, sizeof(id)));
    assert_string_equal(id, "0100-abc-000000");
    assert_false(smtp_reply_message_id("250 Accepted", id, sizeof(id)));
    assert_string_equal(id, "");
    assert_false(smtp_reply_message_id("554 Ok 0100", id, sizeof(id)));
    assert_false(smtp_reply_message_id("250 Ok ", id, sizeof(id)));
    assert_false(smtp_reply_message_id("250 Ok 0123456789", id, 5));
}

static void test_smtp_reply_classify(void **state)
{
    static const struct {
        CURLcode rc;
        bool answered;
        int stage, code;
        enum mt_status want;
    } cases[] = {
        {CURLE_OK, true, -1, 0, MT_OK},
        {CURLE_COULDNT_RESOLVE_HOST, false, -1, 0, MT_ERR_RESOLVE},
        {CURLE_COULDNT_CONNECT, false, -1, 0, MT_ERR_CONNECT},
        {CURLE_OPERATION_TIMEDOUT, true, SMTP_STAGE_CONNECT, 0, MT_ERR_TIMEOUT},
        {CURLE_USE_SSL_FAILED, true, -1, 0, MT_ERR_SMTP_TLS},
        {CURLE_PEER_FAILED_VERIFICATION, true, -1, 0, MT_ERR_SMTP_TLS},
        {CURLE_SSL_CONNECT_ERROR, true, -1, 0, MT_ERR_SMTP_TLS},
        {CURLE_LOGIN_DENIED, true, SMTP_STAGE_AUTH, 535, MT_ERR_SMTP_AUTH},
        {CURLE_SEND_ERROR, true, SMTP_STAGE_AUTH, 454, MT_ERR_SMTP_AUTH},
        {CURLE_SEND_ERROR, true, SMTP_STAGE_MAIL, 530, MT_ERR_SMTP_AUTH},
        {CURLE_SEND_ERROR, true, SMTP_STAGE_MAIL, 554, MT_ERR_SMTP_REJECTED},
        {CURLE_SEND_ERROR, true, SMTP_STAGE_RCPT, 554, MT_ERR_SMTP_REJECTED},
        {CURLE_SEND_ERROR, true, SMTP_STAGE_DATA, 554, MT_ERR_SMTP_REJECTED},
        {CURLE_WEIRD_SERVER_REPLY, true, SMTP_STAGE_END, 554, MT_ERR_SMTP_REJECTED},
        {CURLE_RECV_ERROR, false, -1, 0, MT_ERR_CONNECT},
        {CURLE_GOT_NOTHING, false, -1, 0, MT_ERR_CONNECT},
        {CURLE_RECV_ERROR, true, -1, 0, MT_ERR_SMTP},
        {CURLE_SEND_ERROR, true, -1, 0, MT_ERR_SMTP},
        {CURLE_WEIRD_SERVER_REPLY, true, SMTP_STAGE_CONNECT, 554, MT_ERR_SMTP},
        {CURLE_WEIRD_SERVER_REPLY, true, -1, 0, MT_ERR_SMTP},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum mt_status got = smtp_status_classify((int)cases[i].rc, cases[i].answered,
                                                  cases[i].stage, cases[i].code);
        if (got != cases[i].want)
            fail_msg("case %zu (curl %d, answered %d, stage %d, reply %d): %s, expected %s", i,
                     (int)cases[i].rc, cases[i].answered, cases[i].stage, cases[i].code,
                     mt_status_name(got), mt_status_name(cases[i].want));
    }
}

static void tidy_is(const char *text, const char *expected)
{
    char buf[CURL_ERROR_SIZE];
    snprintf(buf, sizeof(buf), "%s", text);
    smtp_tidy_curl_error(buf, sizeof(buf));
    assert_string_equal(buf, expected);
}

/* libcurl's end-of-input message and its "(errno: 0)" carry nothing for a reader. */
static void test_smtp_reply_curl_error_tidied(void **state)
{
    (void)state;
    tidy_is("response reading failed (errno: 0)", "the server closed the connection");
    tidy_is("response reading failed (errno: 115)", "the server closed the connection");
    tidy_is("Failure when receiving data (errno: 0)", "Failure when receiving data");
    tidy_is("a (errno: 0) and b (errno: 0)", "a and b");
    tidy_is("(errno: 0)", "");
    tidy_is("Send failure (errno: 104)", "Send failure (errno: 104)");
    tidy_is("Recv failure: Connection reset by peer", "Recv failure: Connection reset by peer");
    tidy_is("", "");
}

static void test_smtp_reply_tls_for_port(void **state)
{
    enum mt_smtp_tls tls = MT_SMTP_TLS_DEFAULT;
    (void)state;

    static const unsigned starttls[] = {25, 587, 2587};
    static const unsigned implicit[] = {465, 2465};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(mt_smtp_tls_for_port(starttls[i], &tls), MT_OK);
        assert_int_equal(tls, MT_SMTP_TLS_STARTTLS);
    }
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(mt_smtp_tls_for_port(implicit[i], &tls), MT_OK);
        assert_int_equal(tls, MT_SMTP_TLS_IMPLICIT);
    }
    assert_int_equal(mt_smtp_tls_for_port(2526, &tls), MT_ERR_INVALID);
    assert_int_equal(mt_smtp_tls_for_port(0, &tls), MT_ERR_INVALID);
}

static void send_fails(const struct mt_smtp_options *o, const char *to, const char *detail)
{
    struct mt_smtp_result r;
    struct mt_err err = {0};
    const char *rcpt[] = {to};

    mt_smtp_result_init(&r);
    assert_int_equal(mt_smtp_send(o, "s@example.com", rcpt, 1, MT_STR_LIT("x\r\n"), &r, &err),
                     MT_ERR_INVALID);
    assert_string_equal(err.detail, detail);
    assert_int_equal(r.rcpt_count, 0);
    mt_smtp_result_cleanup(&r);
}

/* Nothing is sent when the options are wrong: these fail before any connection. */
static void test_smtp_reply_send_checks_before_connecting(void **state)
{
    struct mt_smtp_options o = {
        .host = "127.0.0.1", .port = 2526, .username = "u", .password = "p"};
    (void)state;

    send_fails(&o, "a@example.com",
               "port 2526 has no standard TLS mode; choose STARTTLS or implicit TLS");
    o.port = 587;
    o.host = "evil.example/path?x";
    send_fails(&o, "a@example.com", "'evil.example/path?x' is not a host name or IP address");
    o.host = "127.0.0.1";
    send_fails(&o, "a@example.com>\r\nRCPT TO:<b@example.com",
               "recipient address 'a@example.com>\r\nRCPT TO:<b@example.com' has '>' at "
               "position 14; give a bare address like name@example.com");
    o.password = NULL;
    send_fails(&o, "a@example.com", "no SMTP user name or password given");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_smtp_reply_message_id),
    cmocka_unit_test(test_smtp_reply_classify),
    cmocka_unit_test(test_smtp_reply_curl_error_tidied),
    cmocka_unit_test(test_smtp_reply_tls_for_port),
    cmocka_unit_test(test_smtp_reply_send_checks_before_connecting),
};

MT_TEST_MAIN(tests)
