/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The parser's lifecycle and envelope recognition.
 *
 * A document is classified by its members: "Records" makes it an
 * SNS-to-Lambda event, "Type" an SNS HTTP body, "eventType" or
 * "notificationType" a bare SES record.  An SNS Message is parsed a second
 * time, since SNS carries the SES record as a JSON string.  SES also
 * publishes a plain-text notice when a destination is set up; it is counted,
 * not rejected.  Each rejected part is recorded with the bytes that were
 * rejected: the whole document, or the one SNS record that failed.
 */
#include "event_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The text SES publishes to a topic when an event destination is created. */
#define SES_SETUP_NOTICE "Successfully validated SNS topic for Amazon SES"

struct mt_event_parser *mt_event_parser_new(void)
{
    struct mt_event_parser *p = calloc(1, sizeof(*p));
    if (p != NULL) {
        mt_arena_init(&p->arena, MT_EVENT_MAX_DOC * 4);
        mt_json_doc_init(&p->json);
        p->first_line = 1;
    }
    return p;
}

void mt_event_parser_set_first_line(struct mt_event_parser *p, long first_line)
{
    p->first_line = first_line > 0 ? first_line : 1;
}

void mt_event_parser_free(struct mt_event_parser *p)
{
    if (p == NULL)
        return;
    mt_json_doc_cleanup(&p->json);
    free(p->rows);
    free(p->rejects);
    mt_arena_cleanup(&p->arena);
    free(p);
}

static void reset(struct mt_event_parser *p)
{
    mt_json_doc_reset(&p->json);
    mt_arena_reset(&p->arena);
    p->row_count = 0;
    p->rows_bytes = 0;
    p->reject_count = 0;
    p->fatal = MT_OK;
    memset(&p->result, 0, sizeof(p->result));
}

/* Grows a vector of elem-sized items to hold one more; false when it cannot. */
static bool grow(void **items, size_t *cap, size_t count, size_t elem, size_t limit)
{
    if (count < *cap)
        return true;
    if (count >= limit)
        return false;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *n = realloc(*items, ncap * elem);
    if (n == NULL)
        return false;
    *items = n;
    *cap = ncap;
    return true;
}

struct mt_row *event_add_row(struct mt_event_parser *p)
{
    if (!grow((void **)&p->rows, &p->row_cap, p->row_count, sizeof(struct mt_row),
              MT_EVENT_MAX_ROWS)) {
        p->fatal = p->row_count >= MT_EVENT_MAX_ROWS ? MT_ERR_TOO_LARGE : MT_ERR_NOMEM;
        return NULL;
    }
    struct mt_row *row = &p->rows[p->row_count++];
    memset(row, 0, sizeof(*row));
    return row;
}

struct mt_str event_printf(struct mt_event_parser *p, const char *fmt, ...)
{
    char text[512];
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;

    size_t len = (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1;
    struct mt_str s = mt_arena_strdup(&p->arena, (struct mt_str){text, len});
    if (s.ptr == NULL)
        p->fatal = MT_ERR_NOMEM;
    return s;
}

void event_add_reject(struct mt_event_parser *p, int index, enum mt_status code, struct mt_str raw,
                      const char *fmt, ...)
{
    char reason[320];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);

    if (!grow((void **)&p->rejects, &p->reject_cap, p->reject_count, sizeof(struct mt_reject),
              MT_EVENT_MAX_ROWS)) {
        p->fatal = MT_ERR_NOMEM;
        return;
    }
    struct mt_str copy = event_printf(p, "%s", reason);
    p->rejects[p->reject_count++] = (struct mt_reject){
        .record = index,
        .code = code,
        .reason = copy.ptr ? copy.ptr : "out of memory",
        .raw = raw,
    };
}

/*
 * The bytes of a value, to keep a rejected part.  Containers and strings
 * without escapes keep their exact input bytes; anything else its text.
 */
static struct mt_str raw_of(struct mt_event_parser *p, uint32_t value)
{
    return mt_json_node(&p->json, value)->text;
}

static bool is_setup_notice(struct mt_str message)
{
    size_t n = sizeof(SES_SETUP_NOTICE) - 1;
    return message.len >= n && memcmp(message.ptr, SES_SETUP_NOTICE, n) == 0;
}

/* Parses an SNS Message: an SES record as a JSON string, or a set-up notice. */
static void parse_message(struct mt_event_parser *p, struct mt_str message,
                          const struct mt_sns_meta *meta, int index, struct mt_str raw)
{
    struct mt_str text = mt_str_trim(message);

    if (text.len == 0) {
        event_add_reject(p, index, MT_ERR_NOT_JSON, raw, "SNS Message is empty");
        return;
    }
    if (text.ptr[0] != '{' && text.ptr[0] != '[') {
        if (is_setup_notice(text)) {
            p->result.notices++;
            return;
        }
        event_add_reject(p, index, MT_ERR_NOT_JSON, raw,
                         "SNS Message is plain text, not an SES record");
        return;
    }

    struct mt_json_error jerr;
    uint32_t record;
    enum mt_status st = mt_json_parse(&p->json, text, &record, &jerr);
    if (st == MT_ERR_NOT_JSON) {
        event_add_reject(p, index, MT_ERR_NOT_JSON, raw,
                         "SNS Message is not valid JSON: %s at line %d, column %d", jerr.text,
                         jerr.line, jerr.column);
        return;
    }
    if (st != MT_OK) {
        p->fatal = st;
        return;
    }
    if (mt_json_type_of(&p->json, record) != MT_JSON_OBJECT) {
        event_add_reject(p, index, MT_ERR_SCHEMA, raw, "SNS Message is not a JSON object");
        return;
    }
    event_parse_ses(p, record, meta, index, raw);
}

/* Handles one SNS message object: Sns of a Lambda record, or an HTTP body. */
static void parse_sns(struct mt_event_parser *p, uint32_t sns, const char *where, int index,
                      struct mt_str raw)
{
    const struct mt_json_doc *j = &p->json;
    uint32_t type = mt_json_get(j, sns, "Type");
    uint32_t message = mt_json_get(j, sns, "Message");
    struct mt_sns_meta meta = {
        .message_id = mt_json_str(j, mt_json_get(j, sns, "MessageId")),
        .topic_arn = mt_json_str(j, mt_json_get(j, sns, "TopicArn")),
    };

    if (type != MT_JSON_NONE && mt_json_type_of(j, type) != MT_JSON_STRING) {
        event_add_reject(p, index, MT_ERR_SCHEMA, raw, "%sType is not a string", where);
        return;
    }
    struct mt_str t = mt_json_str(j, type);
    if (mt_str_eq_cstr(t, "SubscriptionConfirmation") ||
        mt_str_eq_cstr(t, "UnsubscribeConfirmation")) {
        p->result.confirmations++;
        return;
    }
    if (t.ptr != NULL && t.len == 0) {
        event_add_reject(p, index, MT_ERR_SCHEMA, raw, "%sType is empty", where);
        return;
    }
    if (t.ptr != NULL && !mt_str_eq_cstr(t, "Notification")) {
        event_add_reject(p, index, MT_ERR_SCHEMA, raw, "%sType '%.*s' is not an SNS message type",
                         where, (int)mt_utf8_prefix_len(t, 64), t.ptr);
        return;
    }
    if (mt_json_type_of(j, message) != MT_JSON_STRING) {
        event_add_reject(p, index, MT_ERR_SCHEMA, raw, "%sMessage is %s", where,
                         message == MT_JSON_NONE ? "missing" : "not a string");
        return;
    }
    parse_message(p, mt_json_str(j, message), &meta, index, raw);
}

/*
 * Makes a reject found inside one record of a larger document say which
 * record it was ("Records[2]: ...") and keep only that record's bytes.
 */
static void name_record(struct mt_event_parser *p, struct mt_reject *r, const char *list,
                        int index, struct mt_str raw)
{
    char prefix[48];
    int n = snprintf(prefix, sizeof(prefix), "%s[%d]", list, index);

    r->raw = raw;
    if (n > 0 && strncmp(r->reason, prefix, (size_t)n) == 0)
        return;
    struct mt_str named = event_printf(p, "%s: %s", prefix, r->reason);
    if (named.ptr != NULL)
        r->reason = named.ptr;
}

static void parse_lambda_event(struct mt_event_parser *p, uint32_t event, struct mt_str raw)
{
    const struct mt_json_doc *j = &p->json;
    uint32_t records = mt_json_get(j, event, "Records");
    if (mt_json_type_of(j, records) != MT_JSON_ARRAY) {
        event_add_reject(p, -1, MT_ERR_SCHEMA, raw, "Records is not an array");
        return;
    }

    int index = 0;
    for (uint32_t record = mt_json_first(j, records); record != MT_JSON_NONE;
         record = mt_json_next(j, records, record), index++) {
        char where[48];
        snprintf(where, sizeof(where), "Records[%d].Sns.", index);

        uint32_t sns = mt_json_get(j, record, "Sns");
        if (mt_json_type_of(j, sns) != MT_JSON_OBJECT) {
            event_add_reject(p, index, MT_ERR_SCHEMA, raw_of(p, record), "Records[%d].Sns is %s",
                             index, sns == MT_JSON_NONE ? "missing" : "not an object");
            continue;
        }
        size_t before = p->reject_count;
        parse_sns(p, sns, where, index, raw);
        if (p->reject_count > before)
            name_record(p, &p->rejects[p->reject_count - 1], "Records", index,
                        mt_json_node(j, records)->count > 1 ? raw_of(p, record) : raw);
    }
}

/* Dispatches one JSON value of the document; item is its array index or -1. */
static void parse_value(struct mt_event_parser *p, uint32_t value, int item, struct mt_str raw)
{
    const struct mt_json_doc *j = &p->json;
    if (mt_json_type_of(j, value) != MT_JSON_OBJECT) {
        event_add_reject(p, item, MT_ERR_SCHEMA, raw,
                         "document is not a JSON object (an SNS event, SNS message or SES record)");
        return;
    }
    if (mt_json_get(j, value, "Records") != MT_JSON_NONE) {
        p->result.envelope = item < 0 ? MT_ENVELOPE_LAMBDA : p->result.envelope;
        parse_lambda_event(p, value, raw);
    } else if (mt_json_get(j, value, "Type") != MT_JSON_NONE &&
               (mt_json_get(j, value, "Message") != MT_JSON_NONE ||
                mt_json_get(j, value, "TopicArn") != MT_JSON_NONE)) {
        p->result.envelope = item < 0 ? MT_ENVELOPE_SNS_HTTP : p->result.envelope;
        parse_sns(p, value, "", item, raw);
    } else if (mt_json_get(j, value, "eventType") != MT_JSON_NONE ||
               mt_json_get(j, value, "notificationType") != MT_JSON_NONE) {
        p->result.envelope = item < 0 ? MT_ENVELOPE_SES : p->result.envelope;
        event_parse_ses(p, value, NULL, item, raw);
    } else {
        event_add_reject(p, item, MT_ERR_SCHEMA, raw,
                         "not an SNS event, SNS message or SES record: it has none of Records, "
                         "Type, eventType or notificationType");
    }
}

static void finish(struct mt_event_parser *p, struct mt_event_result *out)
{
    p->result.rows = p->rows;
    p->result.row_count = p->row_count;
    p->result.rejects = p->rejects;
    p->result.reject_count = p->reject_count;
    *out = p->result;
}

enum mt_status mt_event_parse_document(struct mt_event_parser *p, struct mt_str doc,
                                       struct mt_event_result *out)
{
    reset(p);
    if (doc.len > MT_EVENT_MAX_DOC) {
        event_add_reject(p, -1, MT_ERR_SCHEMA, doc, "document is larger than %u bytes",
                         (unsigned)MT_EVENT_MAX_DOC);
        finish(p, out);
        return p->fatal;
    }

    struct mt_json_error jerr;
    uint32_t root;
    enum mt_status st = mt_json_parse(&p->json, doc, &root, &jerr);
    if (st != MT_OK) {
        if (st == MT_ERR_NOT_JSON)
            event_add_reject(p, -1, MT_ERR_NOT_JSON, doc,
                             "not valid JSON: %s at line %ld, column %d", jerr.text,
                             p->first_line + jerr.line - 1, jerr.column);
        else
            event_add_reject(p, -1, MT_ERR_SCHEMA, doc, "document is too large to parse");
        finish(p, out);
        return p->fatal;
    }

    if (mt_json_type_of(&p->json, root) == MT_JSON_ARRAY) {
        int index = 0;
        p->result.envelope = MT_ENVELOPE_ARRAY;
        for (uint32_t value = mt_json_first(&p->json, root); value != MT_JSON_NONE;
             value = mt_json_next(&p->json, root, value), index++) {
            size_t before = p->reject_count;
            struct mt_str raw = raw_of(p, value);
            parse_value(p, value, index, raw);
            for (size_t k = before; k < p->reject_count; k++) {
                if (p->rejects[k].record == index)
                    name_record(p, &p->rejects[k], "", index, raw);
            }
        }
    } else {
        parse_value(p, root, -1, doc);
    }
    finish(p, out);
    return p->fatal;
}

enum mt_status mt_event_parse_message(struct mt_event_parser *p, struct mt_str message,
                                      const struct mt_sns_meta *meta,
                                      struct mt_event_result *out)
{
    reset(p);
    p->result.envelope = MT_ENVELOPE_SNS_HTTP;
    if (message.len > MT_EVENT_MAX_DOC)
        event_add_reject(p, -1, MT_ERR_SCHEMA, message, "SNS Message is larger than %u bytes",
                         MT_EVENT_MAX_DOC);
    else
        parse_message(p, message, meta, -1, message);
    finish(p, out);
    return p->fatal;
}
