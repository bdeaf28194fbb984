/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_EVENT_H
#define MT_EVENT_H

/*
 * SES email events: recognising what arrived, parsing it, and turning it into
 * rows.
 *
 * A document is one JSON text in one of three envelopes: an SNS-to-Lambda
 * event (Records[].Sns, any number of records), the body SNS posts to an
 * HTTP(S) subscriber (Type, Message, SigningCertURL), or a bare SES record.  A
 * JSON array of such documents is accepted too.  SES records come in two
 * shapes, event publishing (eventType) and identity notifications
 * (notificationType); both give the same rows for the same event.
 *
 * Each event gives one row per recipient it names (destinations for send,
 * reject and rendering failure; the event's own lists for delivery, bounce,
 * complaint and delay) and one row for open, click and subscription.  An
 * event that names no recipient still gives one row, without a recipient
 * (open, click and subscription take the mail's destination when it had
 * exactly one).  A row's
 * key is derived from what the event is, never from how it arrived, so the
 * same event stored twice is stored once.
 *
 * This component does not verify SNS signatures (see sns.h) and does no I/O.
 * Field names follow the SES developer guide, "Contents of event data that
 * Amazon SES publishes to Amazon SNS" and "Amazon SNS notification contents".
 */

#include "mt/buf.h"
#include "mt/status.h"

#include <stddef.h>
#include <stdint.h>

/* The report's columns, in CSV order.  New columns are only ever appended. */
#define MT_COLUMN_LIST(X)                                                                     \
    X(EVENT_TIME, event_time)                                                                 \
    X(EVENT_TYPE, event_type)                                                                 \
    X(MESSAGE_ID, message_id)                                                                 \
    X(MAIL_TIME, mail_time)                                                                   \
    X(SOURCE, source)                                                                         \
    X(RECIPIENT, recipient)                                                                   \
    X(DESTINATION, destination)                                                               \
    X(SUBJECT, subject)                                                                       \
    X(CONFIGURATION_SET, configuration_set)                                                   \
    X(TAGS, tags)                                                                             \
    X(BOUNCE_TYPE, bounce_type)                                                               \
    X(BOUNCE_SUBTYPE, bounce_subtype)                                                         \
    X(STATUS, status)                                                                         \
    X(DIAGNOSTIC, diagnostic)                                                                 \
    X(COMPLAINT_SUBTYPE, complaint_subtype)                                                   \
    X(FEEDBACK_TYPE, feedback_type)                                                           \
    X(SMTP_RESPONSE, smtp_response)                                                           \
    X(REPORTING_MTA, reporting_mta)                                                           \
    X(PROCESSING_MS, processing_ms)                                                           \
    X(REMOTE_MTA, remote_mta)                                                                 \
    X(IP_ADDRESS, ip_address)                                                                 \
    X(USER_AGENT, user_agent)                                                                 \
    X(LINK, link)                                                                             \
    X(DELAY_TYPE, delay_type)                                                                 \
    X(EXPIRATION_TIME, expiration_time)                                                       \
    X(ERROR_MESSAGE, error_message)                                                           \
    X(SNS_MESSAGE_ID, sns_message_id)                                                         \
    X(TOPIC_ARN, topic_arn)

enum mt_column {
#define MT_COLUMN_ENUM(sym, name) MT_COL_##sym,
    MT_COLUMN_LIST(MT_COLUMN_ENUM)
#undef MT_COLUMN_ENUM
        MT_COL_COUNT
};

/* The column's CSV header name, e.g. "event_time". */
const char *mt_column_name(enum mt_column col);

/* The ten SES event types. */
enum mt_event_type {
    MT_EVENT_SEND,
    MT_EVENT_REJECT,
    MT_EVENT_BOUNCE,
    MT_EVENT_COMPLAINT,
    MT_EVENT_DELIVERY,
    MT_EVENT_OPEN,
    MT_EVENT_CLICK,
    MT_EVENT_RENDERING_FAILURE,
    MT_EVENT_DELIVERY_DELAY,
    MT_EVENT_SUBSCRIPTION,
    MT_EVENT_TYPE_COUNT
};

/* The name SES uses, e.g. "Rendering Failure" (with its space). */
const char *mt_event_type_name(enum mt_event_type type);

/* The type named name; MT_ERR_UNKNOWN_TYPE when it is none of the ten. */
enum mt_status mt_event_type_parse(struct mt_str name, enum mt_event_type *type);

/* Hex characters in a row key. */
#define MT_ROW_KEY_LEN 32

/*
 * One event for one recipient.  Column strings are views that stay valid
 * until the parser that produced the row parses again or is freed; a column
 * with ptr NULL is null.  event_time is also kept as a number for ordering.
 */
struct mt_row {
    int64_t event_time_ms;          /* the event's own time, ms since the epoch */
    enum mt_event_type type;
    unsigned char shape;            /* 0 event publishing (eventType), 1 identity notification */
    char key[MT_ROW_KEY_LEN + 1];   /* idempotency key, lower-case hex, NUL-terminated */
    struct mt_str col[MT_COL_COUNT];
};

/*
 * Computes row->key from the message id, event type, event time, recipient
 * and link columns, which must already be set.
 */
void mt_row_compute_key(struct mt_row *row);

/*
 * Which of two copies of one event (same key) a store keeps, so that the
 * result does not depend on arrival order: event publishing before identity
 * notifications (it carries tags and the configuration set), then a bare
 * record before one that came through SNS, then the smaller SNS message id.
 * Writes the preference as text that sorts that way (smaller wins) into out.
 */
void mt_row_preference(const struct mt_row *row, struct mt_buf *out);

/*
 * Report order: event time, message id, recipient (null first), event type,
 * then key.  Negative, zero or positive like strcmp.
 */
int mt_row_cmp(const struct mt_row *a, const struct mt_row *b);

/* Which envelope a document arrived in. */
enum mt_envelope {
    MT_ENVELOPE_NONE,       /* not recognised, or not JSON */
    MT_ENVELOPE_LAMBDA,     /* SNS-to-Lambda event: Records[].Sns */
    MT_ENVELOPE_SNS_HTTP,   /* body of an SNS HTTP(S) delivery */
    MT_ENVELOPE_SES,        /* a bare SES record */
    MT_ENVELOPE_ARRAY,      /* a JSON array of the above */
};

/* One rejected part of a document, with the reason. */
struct mt_reject {
    int record;          /* index of the SNS record or array item; -1 for the whole document */
    enum mt_status code; /* MT_ERR_NOT_JSON, MT_ERR_SCHEMA, MT_ERR_UNKNOWN_TYPE, or the
                            status of a failed ingest check (ingest.h) */
    const char *reason;  /* one sentence naming what was wrong and where */
    struct mt_str raw;   /* the rejected bytes, kept for the quarantine */
};

/* Everything one document gave.  Valid until the parser parses again. */
struct mt_event_result {
    enum mt_envelope envelope;
    const struct mt_row *rows;
    size_t row_count;
    const struct mt_reject *rejects;
    size_t reject_count;
    size_t events;        /* SES events that gave rows */
    size_t notices;       /* SES set-up notices skipped (not mail events) */
    size_t confirmations; /* SNS subscription and unsubscribe confirmations skipped */
};

/* Where an SES record came from, when it came through SNS. */
struct mt_sns_meta {
    struct mt_str message_id; /* the SNS MessageId */
    struct mt_str topic_arn;
};

struct mt_event_parser;

/* A parser, reusable for any number of documents.  NULL when out of memory. */
struct mt_event_parser *mt_event_parser_new(void);

/* Releases the parser and every row it produced.  NULL does nothing. */
void mt_event_parser_free(struct mt_event_parser *parser);

/*
 * Numbers the lines of the documents parsed next from first_line (1 until
 * set), so that a JSON error's position names the line of the file a
 * document was read from.
 */
void mt_event_parser_set_first_line(struct mt_event_parser *parser, long first_line);

/*
 * Parses one document of any envelope.  Rejections are part of the result,
 * not failures: the call fails only with MT_ERR_NOMEM or MT_ERR_TOO_LARGE.
 * doc is borrowed and must outlive the result (rejects point into it).
 */
enum mt_status mt_event_parse_document(struct mt_event_parser *parser, struct mt_str doc,
                                       struct mt_event_result *out);

/*
 * Parses the Message of an SNS notification whose envelope the caller has
 * already read (and verified), e.g. the HTTP endpoint.  message is borrowed.
 */
enum mt_status mt_event_parse_message(struct mt_event_parser *parser, struct mt_str message,
                                      const struct mt_sns_meta *meta,
                                      struct mt_event_result *out);

/*
 * Decodes RFC 2047 encoded words ("=?UTF-8?B?...?=") in a header value into
 * UTF-8.  Text without encoded words comes back unchanged (the same view);
 * an encoded word that is malformed, or in a charset other than UTF-8,
 * US-ASCII, ISO-8859-1, ISO-8859-15 or Windows-1252, is left as it was.
 * Decoded text is allocated in arena; ptr is NULL only when out of memory.
 */
struct mt_str mt_mime_decode_header(struct mt_str in, struct mt_arena *arena);

/*
 * The bare address of a mailbox: "Jane Roe <jane@example.com>" gives
 * "jane@example.com"; a bare address comes back trimmed.  A view into in.
 */
struct mt_str mt_mail_bare_address(struct mt_str in);

#endif
