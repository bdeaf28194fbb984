/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The parser's rules: envelopes, rows per recipient, the event's own time,
 * keys, and every way a document is rejected.
 */
#include "harness.h"

#include "mt/event.h"

#include <stdio.h>
#include <string.h>

/* A mail object with two destinations, as SES publishes it. */
#define MAIL2                                                                                 \
    "\"mail\":{\"timestamp\":\"2026-11-23T07:00:00.000Z\",\"source\":\"News <n@example.com>\"," \
    "\"messageId\":\"m-1\",\"destination\":[\"a@example.net\",\"B <b@example.net>\"],"        \
    "\"commonHeaders\":{\"subject\":\"Hello, \\\"world\\\"\"},"                                \
    "\"tags\":{\"tier\":[\"pro\"],\"campaign\":[\"x\",\"y\"],\"ses:configuration-set\":[\"cs\"]," \
    "\"ses:source-ip\":[\"198.51.100.1\"]}}"

#define MAIL1                                                                                 \
    "\"mail\":{\"timestamp\":\"2026-11-23T07:00:00.000Z\",\"source\":\"n@example.com\","      \
    "\"messageId\":\"m-2\",\"destination\":[\"only@example.net\"]}"

static struct mt_event_parser *s_parser;
static struct mt_event_result s_result;

static int setup(void **state)
{
    (void)state;
    s_parser = mt_event_parser_new();
    return s_parser ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mt_event_parser_free(s_parser);
    return 0;
}

static const struct mt_event_result *parse(const char *doc)
{
    assert_int_equal(mt_event_parse_document(s_parser, mt_str_from_cstr(doc), &s_result), MT_OK);
    return &s_result;
}

/* Asserts the document is rejected whole with a reason containing needle. */
static void rejected(const char *doc, enum mt_status code, const char *needle)
{
    const struct mt_event_result *r = parse(doc);
    if (r->reject_count != 1)
        fail_msg("expected one reject for %s, got %zu (%zu rows)", doc, r->reject_count,
                 r->row_count);
    assert_int_equal(r->row_count, 0);
    assert_int_equal(r->rejects[0].code, code);
    if (strstr(r->rejects[0].reason, needle) == NULL)
        fail_msg("reason '%s' does not mention '%s'", r->rejects[0].reason, needle);
}

static void test_event_send_one_row_per_destination(void **state)
{
    (void)state;
    const struct mt_event_result *r = parse("{\"eventType\":\"Send\",\"send\":{}," MAIL2 "}");
    assert_int_equal(r->envelope, MT_ENVELOPE_SES);
    assert_int_equal(r->row_count, 2);
    assert_int_equal(r->events, 1);
    assert_mt_str_equal(r->rows[0].col[MT_COL_RECIPIENT], "a@example.net");
    assert_mt_str_equal(r->rows[1].col[MT_COL_RECIPIENT], "b@example.net");
    assert_mt_str_equal(r->rows[0].col[MT_COL_DESTINATION], "a@example.net, B <b@example.net>");
    assert_mt_str_equal(r->rows[0].col[MT_COL_SOURCE], "n@example.com");
    assert_mt_str_equal(r->rows[0].col[MT_COL_SUBJECT], "Hello, \"world\"");
    assert_mt_str_equal(r->rows[0].col[MT_COL_CONFIGURATION_SET], "cs");
    assert_mt_str_equal(r->rows[0].col[MT_COL_TAGS], "campaign=x,y; tier=pro");
    assert_mt_str_equal(r->rows[0].col[MT_COL_EVENT_TIME], "2026-11-23T07:00:00.000Z");
    assert_mt_str_null(r->rows[0].col[MT_COL_SNS_MESSAGE_ID]);
    assert_string_not_equal(r->rows[0].key, r->rows[1].key);
    assert_int_equal(strlen(r->rows[0].key), MT_ROW_KEY_LEN);
}

static void test_event_open_recipient_only_when_one_destination(void **state)
{
    (void)state;
    const struct mt_event_result *r = parse(
        "{\"eventType\":\"Open\",\"open\":{\"timestamp\":\"2026-11-24T10:00:00.5Z\","
        "\"ipAddress\":\"203.0.113.9\",\"userAgent\":\"UA\"}," MAIL2 "}");
    assert_int_equal(r->row_count, 1);
    assert_mt_str_null(r->rows[0].col[MT_COL_RECIPIENT]);
    assert_mt_str_equal(r->rows[0].col[MT_COL_EVENT_TIME], "2026-11-24T10:00:00.500Z");
    assert_mt_str_equal(r->rows[0].col[MT_COL_MAIL_TIME], "2026-11-23T07:00:00.000Z");
    assert_mt_str_equal(r->rows[0].col[MT_COL_IP_ADDRESS], "203.0.113.9");

    r = parse("{\"eventType\":\"Click\",\"click\":{\"timestamp\":\"2026-11-24T10:00:00Z\","
              "\"link\":\"https://example.com/?a=1,b\"}," MAIL1 "}");
    assert_int_equal(r->row_count, 1);
    assert_mt_str_equal(r->rows[0].col[MT_COL_RECIPIENT], "only@example.net");
    assert_mt_str_equal(r->rows[0].col[MT_COL_LINK], "https://example.com/?a=1,b");
}

static void test_event_repeat_opens_stay_apart(void **state)
{
    (void)state;
    char key[MT_ROW_KEY_LEN + 1];
    const struct mt_event_result *r = parse(
        "{\"eventType\":\"Open\",\"open\":{\"timestamp\":\"2026-11-24T10:00:00Z\"}," MAIL1 "}");
    memcpy(key, r->rows[0].key, sizeof(key));
    r = parse("{\"eventType\":\"Open\",\"open\":{\"timestamp\":\"2026-11-24T10:00:01Z\"}," MAIL1
              "}");
    assert_string_not_equal(r->rows[0].key, key);
    r = parse("{\"eventType\":\"Open\",\"open\":{\"timestamp\":\"2026-11-24T10:00:00.000Z\"},"
              MAIL1 "}");
    assert_string_equal(r->rows[0].key, key);
}

static void test_event_bounce_rows_carry_recipient_details(void **state)
{
    (void)state;
    const struct mt_event_result *r = parse(
        "{\"eventType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Transient\",\"bounceSubType\":"
        "\"MailboxFull\",\"timestamp\":\"2026-11-23T08:00:00Z\",\"reportingMTA\":\"dsn; mta\","
        "\"remoteMtaIp\":\"192.0.2.1\",\"bouncedRecipients\":[{\"emailAddress\":"
        "\"a@example.net\",\"status\":\"4.2.2\",\"diagnosticCode\":\"full\"},"
        "{\"emailAddress\":\"b@example.net\"}]}," MAIL2 "}");
    assert_int_equal(r->row_count, 2);
    assert_mt_str_equal(r->rows[0].col[MT_COL_STATUS], "4.2.2");
    assert_mt_str_equal(r->rows[0].col[MT_COL_DIAGNOSTIC], "full");
    assert_mt_str_null(r->rows[1].col[MT_COL_STATUS]);
    assert_mt_str_equal(r->rows[1].col[MT_COL_BOUNCE_SUBTYPE], "MailboxFull");
    assert_mt_str_equal(r->rows[1].col[MT_COL_REMOTE_MTA], "192.0.2.1");
    assert_mt_str_equal(r->rows[1].col[MT_COL_REPORTING_MTA], "dsn; mta");
}

static void test_event_delivery_and_delay_fields(void **state)
{
    (void)state;
    const struct mt_event_result *r = parse(
        "{\"eventType\":\"Delivery\",\"delivery\":{\"timestamp\":\"2026-11-23T07:00:02Z\","
        "\"processingTimeMillis\":1541,\"recipients\":[\"a@example.net\"],\"smtpResponse\":"
        "\"250 ok\"}," MAIL2 "}");
    assert_int_equal(r->row_count, 1);
    assert_mt_str_equal(r->rows[0].col[MT_COL_PROCESSING_MS], "1541");
    assert_mt_str_equal(r->rows[0].col[MT_COL_SMTP_RESPONSE], "250 ok");

    r = parse("{\"eventType\":\"DeliveryDelay\",\"deliveryDelay\":{\"timestamp\":"
              "\"2026-11-23T09:00:00Z\",\"delayType\":\"MailboxFull\",\"expirationTime\":"
              "\"2026-11-24T07:00:00+00:00\",\"delayedRecipients\":[{\"emailAddress\":"
              "\"b@example.net\",\"status\":\"4.2.2\"}]}," MAIL2 "}");
    assert_int_equal(r->row_count, 1);
    assert_mt_str_equal(r->rows[0].col[MT_COL_EXPIRATION_TIME], "2026-11-24T07:00:00.000Z");
    assert_mt_str_equal(r->rows[0].col[MT_COL_DELAY_TYPE], "MailboxFull");
}

/*
 * Delivery, bounce, complaint and delay take their recipients from their own
 * lists: an empty or absent list still gives one row, so the event counts,
 * but with no recipient, even when the mail had a single destination.
 */
static void test_event_empty_recipient_list_names_nobody(void **state)
{
    static const char *const docs[] = {
        "{\"eventType\":\"Delivery\",\"delivery\":{\"timestamp\":\"2026-11-23T07:00:02Z\","
        "\"recipients\":[]}," MAIL1 "}",
        "{\"eventType\":\"Delivery\",\"delivery\":{\"timestamp\":\"2026-11-23T07:00:02Z\"},"
        MAIL1 "}",
        "{\"eventType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Permanent\","
        "\"bouncedRecipients\":[]}," MAIL1 "}",
        "{\"eventType\":\"Complaint\",\"complaint\":{\"complainedRecipients\":[]}," MAIL1 "}",
        "{\"eventType\":\"DeliveryDelay\",\"deliveryDelay\":{\"delayedRecipients\":[]},"
        MAIL1 "}",
        "{\"notificationType\":\"Delivery\",\"delivery\":{\"recipients\":[]}," MAIL1 "}",
    };
    (void)state;

    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        const struct mt_event_result *r = parse(docs[i]);
        if (r->row_count != 1 || r->reject_count != 0)
            fail_msg("%s: %zu rows, %zu rejects", docs[i], r->row_count, r->reject_count);
        assert_int_equal(r->events, 1);
        assert_mt_str_null(r->rows[0].col[MT_COL_RECIPIENT]);
        assert_mt_str_equal(r->rows[0].col[MT_COL_DESTINATION], "only@example.net");
    }

    /* A send with no destination at all has one row without a recipient too. */
    const struct mt_event_result *r = parse(
        "{\"eventType\":\"Send\",\"send\":{},\"mail\":{\"messageId\":\"m\","
        "\"timestamp\":\"2026-11-23T07:00:00Z\",\"destination\":[]}}");
    assert_int_equal(r->row_count, 1);
    assert_mt_str_null(r->rows[0].col[MT_COL_RECIPIENT]);
}

/* An event object without its own timestamp is dated by mail.timestamp. */
static void test_event_time_falls_back_to_mail_time(void **state)
{
    (void)state;
    const struct mt_event_result *r = parse(
        "{\"eventType\":\"Delivery\",\"delivery\":{\"recipients\":[\"only@example.net\"]},"
        MAIL1 "}");
    assert_int_equal(r->row_count, 1);
    assert_mt_str_equal(r->rows[0].col[MT_COL_EVENT_TIME], "2026-11-23T07:00:00.000Z");
    assert_mt_str_equal(r->rows[0].col[MT_COL_MAIL_TIME], "2026-11-23T07:00:00.000Z");
    assert_true(r->rows[0].event_time_ms == INT64_C(1795417200000)); /* 2026-11-23T07:00:00Z */

    r = parse("{\"eventType\":\"Bounce\",\"bounce\":{\"timestamp\":null,"
              "\"bouncedRecipients\":[{\"emailAddress\":\"only@example.net\"}]}," MAIL1 "}");
    assert_mt_str_equal(r->rows[0].col[MT_COL_EVENT_TIME], "2026-11-23T07:00:00.000Z");
}

static void test_event_lambda_event_keeps_good_records(void **state)
{
    (void)state;
    const struct mt_event_result *r = parse(
        "{\"Records\":["
        "{\"Sns\":{\"Type\":\"Notification\",\"MessageId\":\"sns-1\",\"TopicArn\":\"arn:t\","
        "\"Message\":\"{\\\"eventType\\\":\\\"Send\\\",\\\"send\\\":{},\\\"mail\\\":{"
        "\\\"timestamp\\\":\\\"2026-11-23T07:00:00Z\\\",\\\"messageId\\\":\\\"m\\\","
        "\\\"destination\\\":[\\\"x@example.net\\\"]}}\"}},"
        "{\"Sns\":{\"Type\":\"Notification\",\"Message\":\"{broken\"}},"
        "{\"Sns\":{\"Type\":\"Notification\",\"Message\":\"Successfully validated SNS topic for "
        "Amazon SES event publishing.\"}},"
        "{\"NoSns\":1}]}");
    assert_int_equal(r->envelope, MT_ENVELOPE_LAMBDA);
    assert_int_equal(r->row_count, 1);
    assert_mt_str_equal(r->rows[0].col[MT_COL_SNS_MESSAGE_ID], "sns-1");
    assert_mt_str_equal(r->rows[0].col[MT_COL_TOPIC_ARN], "arn:t");
    assert_int_equal(r->notices, 1);
    assert_int_equal(r->reject_count, 2);
    assert_int_equal(r->rejects[0].record, 1);
    assert_int_equal(r->rejects[0].code, MT_ERR_NOT_JSON);
    assert_non_null(strstr(r->rejects[0].reason, "Records[1]"));
    /* Only the failing record is kept, not the whole batch. */
    assert_non_null(strstr(r->rejects[0].raw.ptr, "{broken"));
    assert_null(strstr(r->rejects[0].raw.ptr, "sns-1"));
    assert_int_equal(r->rejects[1].record, 3);
}

static void test_event_notices_and_confirmations_skipped(void **state)
{
    (void)state;
    const struct mt_event_result *r = parse(
        "{\"notificationType\":\"AmazonSnsSubscriptionSucceeded\",\"message\":\"You have "
        "successfully subscribed\"}");
    assert_int_equal(r->notices, 1);
    assert_int_equal(r->reject_count + r->row_count, 0);
    r = parse("{\"Type\":\"UnsubscribeConfirmation\",\"TopicArn\":\"arn:t\",\"Message\":\"x\"}");
    assert_int_equal(r->confirmations, 1);
    assert_int_equal(r->envelope, MT_ENVELOPE_SNS_HTTP);
    r = parse("{\"Type\":\"Notification\",\"TopicArn\":\"arn:t\",\"Message\":\"Successfully "
              "validated SNS topic for Amazon SES event publishing.\"}");
    assert_int_equal(r->notices, 1);
}

static void test_event_array_of_documents(void **state)
{
    (void)state;
    const struct mt_event_result *r = parse(
        "[{\"eventType\":\"Send\",\"send\":{}," MAIL1 "}, 42, [], "
        "{\"eventType\":\"Reject\",\"reject\":{\"reason\":\"Bad content\"}," MAIL1 "}]");
    assert_int_equal(r->envelope, MT_ENVELOPE_ARRAY);
    assert_int_equal(r->row_count, 2);
    assert_mt_str_equal(r->rows[1].col[MT_COL_ERROR_MESSAGE], "Bad content");
    assert_int_equal(r->reject_count, 2);
    assert_int_equal(r->rejects[0].record, 1);
    assert_mt_str_equal(r->rejects[0].raw, "42");
}

static void test_event_rejects_name_the_problem(void **state)
{
    (void)state;
    rejected("", MT_ERR_NOT_JSON, "not valid JSON");
    rejected("{\"eventType\":\"Send\",", MT_ERR_NOT_JSON, "line 1");
    rejected("{\"a\":1,\"a\":2}", MT_ERR_NOT_JSON, "duplicate");
    rejected("\"just a string\"", MT_ERR_SCHEMA, "not a JSON object");
    rejected("{\"hello\":1}", MT_ERR_SCHEMA, "none of Records");
    rejected("{\"eventType\":\"Quarantine\"," MAIL1 "}", MT_ERR_UNKNOWN_TYPE,
             "unknown eventType 'Quarantine'");
    rejected("{\"notificationType\":\"Received\"," MAIL1 "}", MT_ERR_UNKNOWN_TYPE,
             "notificationType 'Received'");
    rejected("{\"eventType\":7}", MT_ERR_SCHEMA, "eventType is a number");
    rejected("{\"eventType\":\"Send\",\"send\":{}}", MT_ERR_SCHEMA, "mail object is missing");
    rejected("{\"eventType\":\"Send\",\"mail\":[]}", MT_ERR_SCHEMA, "mail is an array");
    rejected("{\"eventType\":\"Bounce\"," MAIL1 "}", MT_ERR_SCHEMA, "bounce object is missing");
    rejected("{\"eventType\":\"Send\",\"mail\":{\"timestamp\":\"2026-11-23T07:00:00Z\"}}",
             MT_ERR_SCHEMA, "mail.messageId is missing");
    rejected("{\"eventType\":\"Send\",\"mail\":{\"messageId\":\"m\",\"timestamp\":\"yesterday\"}}",
             MT_ERR_SCHEMA, "mail.timestamp 'yesterday' is not a valid RFC 3339 time with a zone");
    rejected("{\"eventType\":\"Send\",\"mail\":{\"messageId\":\"m\","
             "\"timestamp\":\"2026-11-23 07:00:00\"}}",
             MT_ERR_SCHEMA, "mail.timestamp '2026-11-23 07:00:00' is not a valid RFC 3339 time");
    rejected("{\"eventType\":\"Send\",\"mail\":{\"messageId\":\"m\",\"timestamp\":"
             "\"2026-11-23T07:00:00Z\",\"destination\":[\"a\",3]}}",
             MT_ERR_SCHEMA, "mail.destination[1] is not a string");
    rejected("{\"eventType\":\"Bounce\",\"bounce\":{\"bouncedRecipients\":[{\"emailAddress\":1}]},"
             MAIL1 "}", MT_ERR_SCHEMA, "bounce.bouncedRecipients[0].emailAddress is a number");
    rejected("{\"eventType\":\"Delivery\",\"delivery\":{\"processingTimeMillis\":{}}," MAIL1 "}",
             MT_ERR_SCHEMA, "delivery.processingTimeMillis is an object");
    rejected("{\"eventType\":\"Open\",\"open\":{\"timestamp\":false}," MAIL1 "}", MT_ERR_SCHEMA,
             "open.timestamp is a boolean");
    rejected("{\"eventType\":\"Send\",\"send\":{},\"mail\":{\"messageId\":\"m\",\"timestamp\":"
             "\"2026-11-23T07:00:00Z\",\"tags\":{\"t\":\"v\"}}}",
             MT_ERR_SCHEMA, "mail.tags.t is a string");
    rejected("{\"Records\":{}}", MT_ERR_SCHEMA, "Records is not an array");
    rejected("{\"Type\":\"Notification\",\"TopicArn\":\"t\"}", MT_ERR_SCHEMA,
             "Message is missing");
    rejected("{\"Type\":\"Notification\",\"Message\":\"hello\"}", MT_ERR_NOT_JSON, "plain text");
    rejected("{\"Type\":\"Surprise\",\"Message\":\"x\"}", MT_ERR_SCHEMA, "not an SNS message type");
}

/* A required string that is present but empty is called empty, not missing. */
static void test_event_empty_required_fields(void **state)
{
    (void)state;
    rejected("{\"eventType\":\"Send\",\"send\":{},\"mail\":{\"messageId\":\"\","
             "\"timestamp\":\"2026-11-23T07:00:00Z\"}}",
             MT_ERR_SCHEMA, "mail.messageId is empty");
    assert_null(strstr(s_result.rejects[0].reason, "missing"));
    rejected("{\"eventType\":\"Send\",\"send\":{},\"mail\":{\"messageId\":\"m\","
             "\"timestamp\":\"\"}}",
             MT_ERR_SCHEMA, "mail.timestamp is empty, not an RFC 3339 time");
    rejected("{\"eventType\":\"Delivery\",\"delivery\":{\"timestamp\":\"\"}," MAIL1 "}",
             MT_ERR_SCHEMA, "delivery.timestamp is empty, not an RFC 3339 time");
    rejected("{\"eventType\":\"\"," MAIL1 "}", MT_ERR_SCHEMA, "eventType is empty");
    rejected("{\"notificationType\":\"\"," MAIL1 "}", MT_ERR_SCHEMA,
             "notificationType is empty");
    rejected("{\"Type\":\"Notification\",\"Message\":\"\"}", MT_ERR_NOT_JSON,
             "SNS Message is empty");
    rejected("{\"Type\":\"Notification\",\"Message\":\" \\n\"}", MT_ERR_NOT_JSON,
             "SNS Message is empty");
    rejected("{\"Type\":\"\",\"Message\":\"x\"}", MT_ERR_SCHEMA, "Type is empty");
}

static void test_event_nul_and_bad_utf8_rejected(void **state)
{
    (void)state;
    static const char with_nul[] = "{\"eventType\":\"Send\"\0}";
    struct mt_event_result r;
    assert_int_equal(mt_event_parse_document(s_parser, (struct mt_str){with_nul,
                                                                       sizeof(with_nul) - 1},
                                             &r),
                     MT_OK);
    assert_int_equal(r.reject_count, 1);
    rejected("{\"eventType\":\"\xff\"}", MT_ERR_NOT_JSON, "byte 0xff");
}

static void test_event_row_size_limits(void **state)
{
    (void)state;
    /* A subject of 300 KiB: one row would pass the row limit (and DynamoDB's item limit). */
    struct mt_buf doc;
    mt_buf_init(&doc, 0);
    mt_buf_append_cstr(&doc, "{\"eventType\":\"Send\",\"send\":{},\"mail\":{\"timestamp\":"
                             "\"2026-11-23T07:00:00Z\",\"messageId\":\"m\",\"destination\":"
                             "[\"a@example.net\"],\"commonHeaders\":{\"subject\":\"");
    for (int i = 0; i < 300 * 1024; i++)
        mt_buf_append_byte(&doc, 'x');
    mt_buf_append_cstr(&doc, "\"}}}");
    rejected(doc.data, MT_ERR_SCHEMA, "a row of this event would hold");

    /* 4,000 destinations of 40 bytes: each row repeats all of them (160 KB), 4,000 times. */
    mt_buf_reset(&doc);
    mt_buf_append_cstr(&doc, "{\"eventType\":\"Send\",\"send\":{},\"mail\":{\"timestamp\":"
                             "\"2026-11-23T07:00:00Z\",\"messageId\":\"m\",\"destination\":[");
    for (int i = 0; i < 4000; i++)
        mt_buf_appendf(&doc, "%s\"recipient-%06d@subdomain.example.net\"", i ? "," : "", i);
    mt_buf_append_cstr(&doc, "]}}");
    rejected(doc.data, MT_ERR_SCHEMA, "the rows of this document would hold more than");
    mt_buf_cleanup(&doc);

    /* The limits leave room for a real message: 50 recipients. */
    assert_int_equal(parse("{\"eventType\":\"Send\",\"send\":{}," MAIL2 "}")->row_count, 2);
}

static void test_event_report_order(void **state)
{
    (void)state;
    struct mt_row a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    a.event_time_ms = b.event_time_ms = 1000;
    a.col[MT_COL_MESSAGE_ID] = b.col[MT_COL_MESSAGE_ID] = MT_STR_LIT("m");
    b.col[MT_COL_RECIPIENT] = MT_STR_LIT("a@example.net");
    assert_true(mt_row_cmp(&a, &b) < 0); /* null recipient first */
    a.col[MT_COL_RECIPIENT] = MT_STR_LIT("a@example.net");
    a.col[MT_COL_EVENT_TYPE] = MT_STR_LIT("Delivery");
    b.col[MT_COL_EVENT_TYPE] = MT_STR_LIT("Bounce");
    assert_true(mt_row_cmp(&a, &b) > 0);
    a.event_time_ms = 999;
    assert_true(mt_row_cmp(&a, &b) < 0);
}

#define MT_CASE(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

static const struct CMUnitTest tests[] = {
    MT_CASE(test_event_send_one_row_per_destination),
    MT_CASE(test_event_open_recipient_only_when_one_destination),
    MT_CASE(test_event_repeat_opens_stay_apart),
    MT_CASE(test_event_bounce_rows_carry_recipient_details),
    MT_CASE(test_event_delivery_and_delay_fields),
    MT_CASE(test_event_empty_recipient_list_names_nobody),
    MT_CASE(test_event_time_falls_back_to_mail_time),
    MT_CASE(test_event_lambda_event_keeps_good_records),
    MT_CASE(test_event_notices_and_confirmations_skipped),
    MT_CASE(test_event_array_of_documents),
    MT_CASE(test_event_rejects_name_the_problem),
    MT_CASE(test_event_empty_required_fields),
    MT_CASE(test_event_nul_and_bad_utf8_rejected),
    MT_CASE(test_event_row_size_limits),
    MT_CASE(test_event_report_order),
};

MT_TEST_MAIN(tests)
