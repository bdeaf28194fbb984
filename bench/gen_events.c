/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writes N SES event-publishing records as NDJSON on stdout, for the
 * benchmarks: each record in the exact shape and size SES publishes (full
 * mail headers, tags, subjects with commas, quotes, accents and an emoji;
 * about 1.3 KB), its type drawn at random from a weighted list of all the
 * kinds of event.  Types are drawn independently, so the records exercise
 * the parser and the store like real traffic but do not add up to a
 * plausible week (a report of them shows rates far from real ones).  The
 * same seed gives the same bytes.
 *
 *   gen_events N [SEED] [START_ISO]
 */
#include "mt/clock.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t s_state;

/* xorshift64*: deterministic and fast; quality is ample for test data. */
static uint64_t next_random(void)
{
    s_state ^= s_state >> 12;
    s_state ^= s_state << 25;
    s_state ^= s_state >> 27;
    return s_state * UINT64_C(2685821657736338717);
}

static unsigned pick(unsigned n)
{
    return (unsigned)(next_random() % n);
}

static const char *const s_subjects[] = {
    "Your invoice INV-2026-1123, due Friday",
    "He said \\\"ship it\\\" - release notes 4.2",
    "Caf\\u00e9 menu for the week",
    "Your order #44120 has shipped \\ud83d\\udce6",
    "Quarterly report, Q4 (draft)",
    "Weekly digest: 3 new comments",
};

static const char *const s_types[] = {"Send", "Delivery", "Delivery", "Open", "Open", "Click",
                                      "Bounce", "DeliveryDelay", "Complaint", "Reject"};

static void print_event(uint64_t n, int64_t t_ms)
{
    char mail_time[MT_TIME_ISO_LEN + 1], event_time[MT_TIME_ISO_LEN + 1];
    const char *type = s_types[pick(sizeof(s_types) / sizeof(s_types[0]))];
    uint64_t msg = n / 4;
    unsigned rcpt = pick(1000);

    mt_time_format_iso(t_ms, mail_time);
    mt_time_format_iso(t_ms + 500 + pick(600000), event_time);
    printf("{\"eventType\":\"%s\",\"mail\":{\"timestamp\":\"%s\",\"source\":\"Northwind News "
           "<news@mail.northwind.example>\",\"sourceArn\":\"arn:aws:ses:eu-west-1:111122223333:"
           "identity/northwind.example\",\"sendingAccountId\":\"111122223333\",\"messageId\":"
           "\"0100019%09" PRIx64 "-5e1c-4b2a-9d3f-%012" PRIx64 "-000000\",\"destination\":"
           "[\"reader%u@example.net\"],\"headersTruncated\":false,\"headers\":[{\"name\":\"From\","
           "\"value\":\"Northwind News <news@mail.northwind.example>\"},{\"name\":\"To\",\"value\":"
           "\"reader%u@example.net\"},{\"name\":\"Subject\",\"value\":\"%s\"},{\"name\":"
           "\"MIME-Version\",\"value\":\"1.0\"},{\"name\":\"Content-Type\",\"value\":\"multipart/"
           "alternative; boundary=\\\"----=_Part_4471_90210.1741598102481\\\"\"}],"
           "\"commonHeaders\":{\"from\":[\"Northwind News <news@mail.northwind.example>\"],"
           "\"to\":[\"reader%u@example.net\"],\"messageId\":\"<%" PRIu64 "@northwind.example>\","
           "\"subject\":\"%s\"},\"tags\":{\"ses:operation\":[\"SendRawEmail\"],"
           "\"ses:configuration-set\":[\"northwind-marketing\"],\"ses:source-ip\":"
           "[\"198.51.100.23\"],\"ses:from-domain\":[\"northwind.example\"],\"campaign\":"
           "[\"spring-sale\"],\"tier\":[\"pro\"]}},",
           type, mail_time, msg, msg, rcpt, rcpt, s_subjects[msg % 6], rcpt, msg,
           s_subjects[msg % 6]);

    if (strcmp(type, "Send") == 0) {
        printf("\"send\":{}}\n");
    } else if (strcmp(type, "Reject") == 0) {
        printf("\"reject\":{\"reason\":\"Bad content\"}}\n");
    } else if (strcmp(type, "Delivery") == 0) {
        printf("\"delivery\":{\"timestamp\":\"%s\",\"processingTimeMillis\":%u,\"recipients\":"
               "[\"reader%u@example.net\"],\"smtpResponse\":\"250 2.0.0 OK 1741598104 - gsmtp\","
               "\"reportingMTA\":\"a8-70.smtp-out.amazonses.com\"}}\n",
               event_time, 500 + pick(3000), rcpt);
    } else if (strcmp(type, "Bounce") == 0) {
        printf("\"bounce\":{\"bounceType\":\"Permanent\",\"bounceSubType\":\"General\","
               "\"bouncedRecipients\":[{\"emailAddress\":\"reader%u@example.net\",\"action\":"
               "\"failed\",\"status\":\"5.1.1\",\"diagnosticCode\":\"smtp; 550 5.1.1 user "
               "unknown\"}],\"timestamp\":\"%s\",\"feedbackId\":\"0100019-feedback-%" PRIu64 "\","
               "\"reportingMTA\":\"dsn; a8-52.smtp-out.amazonses.com\"}}\n",
               rcpt, event_time, n);
    } else if (strcmp(type, "DeliveryDelay") == 0) {
        printf("\"deliveryDelay\":{\"timestamp\":\"%s\",\"delayType\":\"MailboxFull\","
               "\"expirationTime\":\"%s\",\"delayedRecipients\":[{\"emailAddress\":"
               "\"reader%u@example.net\",\"status\":\"4.2.2\",\"diagnosticCode\":\"smtp; 452 4.2.2 "
               "mailbox full\"}]}}\n",
               event_time, event_time, rcpt);
    } else if (strcmp(type, "Complaint") == 0) {
        printf("\"complaint\":{\"complainedRecipients\":[{\"emailAddress\":\"reader%u@example.net"
               "\"}],\"timestamp\":\"%s\",\"feedbackId\":\"0100019-complaint-%" PRIu64 "\","
               "\"userAgent\":\"Feedback Loop\",\"complaintFeedbackType\":\"abuse\"}}\n",
               rcpt, event_time, n);
    } else {
        printf("\"%s\":{\"ipAddress\":\"198.51.100.%u\",\"timestamp\":\"%s\",\"userAgent\":"
               "\"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/131.0 Safari/537.36\"%s}}\n",
               strcmp(type, "Open") == 0 ? "open" : "click", 2 + pick(250), event_time,
               strcmp(type, "Click") == 0
                   ? ",\"link\":\"https://www.northwind.example/sale?utm_source=ses&ref=a,b\""
                   : "");
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: gen_events N [SEED] [START_ISO]\n");
        return 2;
    }
    uint64_t count = strtoull(argv[1], NULL, 10);
    s_state = argc > 2 ? strtoull(argv[2], NULL, 10) | 1 : 48;
    int64_t start = INT64_C(1795392000000); /* 2026-11-23T00:00:00Z */
    if (argc > 3 && mt_time_parse_iso(mt_str_from_cstr(argv[3]), &start) != MT_OK) {
        fprintf(stderr, "gen_events: '%s' is not an ISO-8601 time\n", argv[3]);
        return 2;
    }

    /* Spread the events over six days so a week's report holds them all. */
    int64_t span_ms = 6 * MT_MS_PER_DAY;
    for (uint64_t n = 0; n < count; n++)
        print_event(n, start + (int64_t)((double)n / (double)count * (double)span_ms));
    return fflush(stdout) == 0 ? 0 : 1;
}
