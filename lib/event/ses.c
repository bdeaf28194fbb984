/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One SES record to rows.
 *
 * The record is read through tables: which object holds each type's details,
 * where its recipients are listed, and which detail field fills which
 * column.  Every field read is type-checked; the first field of the wrong
 * type rejects the record with its JSON path.  A field that is absent or null
 * leaves its column null.
 *
 * Source: SES developer guide, "Contents of event data that Amazon SES
 * publishes to Amazon SNS" (eventType) and "Amazon SNS notification contents
 * for Amazon SES" (notificationType).
 */
#include "event_int.h"

#include "mt/clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Where an event type lists the recipients it is about. */
enum recipients_from {
    FROM_DESTINATION, /* mail.destination */
    FROM_STRINGS,     /* an array of addresses in the detail object */
    FROM_OBJECTS,     /* an array of {emailAddress, status, diagnosticCode} */
    FROM_NONE,        /* one row; recipient only when the mail had exactly one */
};

struct type_spec {
    const char *detail_key;  /* the type-specific object */
    enum recipients_from from;
    const char *list_key;    /* for FROM_STRINGS and FROM_OBJECTS */
};

static const struct type_spec s_types[MT_EVENT_TYPE_COUNT] = {
    [MT_EVENT_SEND] = {"send", FROM_DESTINATION, NULL},
    [MT_EVENT_REJECT] = {"reject", FROM_DESTINATION, NULL},
    [MT_EVENT_BOUNCE] = {"bounce", FROM_OBJECTS, "bouncedRecipients"},
    [MT_EVENT_COMPLAINT] = {"complaint", FROM_OBJECTS, "complainedRecipients"},
    [MT_EVENT_DELIVERY] = {"delivery", FROM_STRINGS, "recipients"},
    [MT_EVENT_OPEN] = {"open", FROM_NONE, NULL},
    [MT_EVENT_CLICK] = {"click", FROM_NONE, NULL},
    [MT_EVENT_RENDERING_FAILURE] = {"failure", FROM_DESTINATION, NULL},
    [MT_EVENT_DELIVERY_DELAY] = {"deliveryDelay", FROM_OBJECTS, "delayedRecipients"},
    [MT_EVENT_SUBSCRIPTION] = {"subscription", FROM_NONE, NULL},
};

enum field_kind { KIND_TEXT, KIND_NUMBER, KIND_TIME };

/* A detail field copied into a column for every row of the event. */
struct field_map {
    enum mt_event_type type;
    const char *key;
    enum mt_column col;
    enum field_kind kind;
};

static const struct field_map s_fields[] = {
    {MT_EVENT_BOUNCE, "bounceType", MT_COL_BOUNCE_TYPE, KIND_TEXT},
    {MT_EVENT_BOUNCE, "bounceSubType", MT_COL_BOUNCE_SUBTYPE, KIND_TEXT},
    {MT_EVENT_BOUNCE, "reportingMTA", MT_COL_REPORTING_MTA, KIND_TEXT},
    {MT_EVENT_BOUNCE, "remoteMtaIp", MT_COL_REMOTE_MTA, KIND_TEXT},
    {MT_EVENT_COMPLAINT, "complaintSubType", MT_COL_COMPLAINT_SUBTYPE, KIND_TEXT},
    {MT_EVENT_COMPLAINT, "complaintFeedbackType", MT_COL_FEEDBACK_TYPE, KIND_TEXT},
    {MT_EVENT_COMPLAINT, "userAgent", MT_COL_USER_AGENT, KIND_TEXT},
    {MT_EVENT_DELIVERY, "smtpResponse", MT_COL_SMTP_RESPONSE, KIND_TEXT},
    {MT_EVENT_DELIVERY, "smtpResponse", MT_COL_DIAGNOSTIC, KIND_TEXT},
    {MT_EVENT_DELIVERY, "reportingMTA", MT_COL_REPORTING_MTA, KIND_TEXT},
    {MT_EVENT_DELIVERY, "remoteMtaIp", MT_COL_REMOTE_MTA, KIND_TEXT},
    {MT_EVENT_DELIVERY, "processingTimeMillis", MT_COL_PROCESSING_MS, KIND_NUMBER},
    {MT_EVENT_OPEN, "ipAddress", MT_COL_IP_ADDRESS, KIND_TEXT},
    {MT_EVENT_OPEN, "userAgent", MT_COL_USER_AGENT, KIND_TEXT},
    {MT_EVENT_CLICK, "ipAddress", MT_COL_IP_ADDRESS, KIND_TEXT},
    {MT_EVENT_CLICK, "userAgent", MT_COL_USER_AGENT, KIND_TEXT},
    {MT_EVENT_CLICK, "link", MT_COL_LINK, KIND_TEXT},
    {MT_EVENT_REJECT, "reason", MT_COL_ERROR_MESSAGE, KIND_TEXT},
    {MT_EVENT_RENDERING_FAILURE, "errorMessage", MT_COL_ERROR_MESSAGE, KIND_TEXT},
    {MT_EVENT_DELIVERY_DELAY, "delayType", MT_COL_DELAY_TYPE, KIND_TEXT},
    {MT_EVENT_DELIVERY_DELAY, "expirationTime", MT_COL_EXPIRATION_TIME, KIND_TIME},
    {MT_EVENT_DELIVERY_DELAY, "reportingMTA", MT_COL_REPORTING_MTA, KIND_TEXT},
    {MT_EVENT_DELIVERY_DELAY, "remoteMta", MT_COL_REMOTE_MTA, KIND_TEXT},
};

/* State while one record is read; the first problem found wins. */
struct record {
    struct mt_event_parser *p;
    const struct mt_json_doc *j;
    enum mt_status code;
    char reason[300];
};

static void fail(struct record *r, enum mt_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct record *r, enum mt_status code, const char *fmt, ...)
{
    if (r->code != MT_OK)
        return;
    r->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
    va_end(ap);
}

/* Is node v absent or JSON null? */
static bool is_absent(const struct record *r, uint32_t v)
{
    return v == MT_JSON_NONE || mt_json_type_of(r->j, v) == MT_JSON_NULL;
}

/* An optional string member; absent or null gives MT_STR_NULL. */
static struct mt_str get_str(struct record *r, uint32_t obj, const char *key, const char *path)
{
    uint32_t v = mt_json_get(r->j, obj, key);
    if (is_absent(r, v))
        return MT_STR_NULL;
    if (mt_json_type_of(r->j, v) != MT_JSON_STRING) {
        fail(r, MT_ERR_SCHEMA, "%s%s is %s, not a string", path, key, mt_json_kind(r->j, v));
        return MT_STR_NULL;
    }
    return mt_json_str(r->j, v);
}

/* An optional member that must be an object (or array when want_array). */
static uint32_t get_container(struct record *r, uint32_t obj, const char *key, const char *path,
                              bool want_array)
{
    uint32_t v = mt_json_get(r->j, obj, key);
    if (is_absent(r, v))
        return MT_JSON_NONE;
    if (mt_json_type_of(r->j, v) != (want_array ? MT_JSON_ARRAY : MT_JSON_OBJECT)) {
        fail(r, MT_ERR_SCHEMA, "%s%s is %s, not %s", path, key, mt_json_kind(r->j, v),
             want_array ? "an array" : "an object");
        return MT_JSON_NONE;
    }
    return v;
}

/* A time member normalised to "YYYY-MM-DDThh:mm:ss.sssZ"; *ms gets its value. */
static struct mt_str get_time(struct record *r, uint32_t obj, const char *key, const char *path,
                              int64_t *ms)
{
    struct mt_str raw = get_str(r, obj, key, path);
    int64_t value;
    if (raw.ptr == NULL)
        return raw;
    if (raw.len == 0) {
        fail(r, MT_ERR_SCHEMA, "%s%s is empty, not an RFC 3339 time", path, key);
        return MT_STR_NULL;
    }
    if (mt_time_parse_rfc3339(raw, &value) != MT_OK) {
        fail(r, MT_ERR_SCHEMA,
             "%s%s '%.*s' is not a valid RFC 3339 time with a zone "
             "(like 2026-11-23T07:00:00.000Z)",
             path, key, (int)mt_utf8_prefix_len(raw, 40), raw.ptr);
        return MT_STR_NULL;
    }
    if (ms != NULL)
        *ms = value;

    char *text = mt_arena_alloc(&r->p->arena, MT_TIME_ISO_LEN + 1);
    if (text == NULL) {
        r->p->fatal = MT_ERR_NOMEM;
        return MT_STR_NULL;
    }
    mt_time_format_iso(value, text);
    return (struct mt_str){text, MT_TIME_ISO_LEN};
}

/* A number member (or a numeric string) as its decimal text. */
static struct mt_str get_number(struct record *r, uint32_t obj, const char *key,
                                const char *path)
{
    uint32_t v = mt_json_get(r->j, obj, key);
    if (is_absent(r, v))
        return MT_STR_NULL;
    enum mt_json_type t = mt_json_type_of(r->j, v);
    if (t == MT_JSON_NUMBER || t == MT_JSON_STRING)
        return mt_json_node(r->j, v)->text;
    fail(r, MT_ERR_SCHEMA, "%s%s is %s, not a number", path, key, mt_json_kind(r->j, v));
    return MT_STR_NULL;
}

/* The subject: commonHeaders.subject, else the raw Subject header, decoded. */
static struct mt_str get_subject(struct record *r, uint32_t mail)
{
    uint32_t common = get_container(r, mail, "commonHeaders", "mail.", false);
    struct mt_str subject = get_str(r, common, "subject", "mail.commonHeaders.");

    uint32_t headers = get_container(r, mail, "headers", "mail.", true);
    for (uint32_t h = mt_json_first(r->j, headers); h != MT_JSON_NONE && subject.ptr == NULL;
         h = mt_json_next(r->j, headers, h)) {
        struct mt_str name = mt_str_trim(get_str(r, h, "name", "mail.headers[]."));
        if (name.len == 7 && strncasecmp(name.ptr, "subject", 7) == 0)
            subject = get_str(r, h, "value", "mail.headers[].");
    }
    return mt_mime_decode_header(subject, &r->p->arena);
}

/* Orders key nodes by key text, for tags; qsort takes no context, hence the thread-local. */
static _Thread_local const struct mt_json_doc *s_sort_doc;

static int cmp_keys(const void *a, const void *b)
{
    return mt_str_cmp(mt_json_node(s_sort_doc, *(const uint32_t *)a)->text,
                      mt_json_node(s_sort_doc, *(const uint32_t *)b)->text);
}

/* Appends the values of one tag ("v1,v2") to text; false when one is not a string. */
static bool append_tag_values(struct record *r, struct mt_str key, uint32_t values,
                              struct mt_buf *text)
{
    uint32_t n = 0;
    for (uint32_t v = mt_json_first(r->j, values); v != MT_JSON_NONE;
         v = mt_json_next(r->j, values, v), n++) {
        struct mt_str s = mt_json_str(r->j, v);
        if (s.ptr == NULL) {
            fail(r, MT_ERR_SCHEMA, "mail.tags.%.*s[%u] is not a string", (int)key.len, key.ptr,
                 (unsigned)n);
            return false;
        }
        if (n > 0)
            mt_buf_append_byte(text, ',');
        mt_buf_append(text, s.ptr, s.len);
    }
    return true;
}

/*
 * mail.tags without SES's automatic "ses:" tags, as "name=value" pairs sorted
 * by name and joined with "; " (several values of one tag joined with ",").
 * Also sets the configuration set from the ses:configuration-set tag.
 */
static struct mt_str get_tags(struct record *r, uint32_t mail, struct mt_str *config_set)
{
    uint32_t tags = get_container(r, mail, "tags", "mail.", false);
    uint32_t n = tags == MT_JSON_NONE ? 0 : mt_json_node(r->j, tags)->count;
    if (n == 0)
        return MT_STR_NULL;

    uint32_t *keys = malloc((size_t)n * sizeof(*keys));
    uint32_t count = 0;
    if (keys == NULL) {
        r->p->fatal = MT_ERR_NOMEM;
        return MT_STR_NULL;
    }
    for (uint32_t k = mt_json_first(r->j, tags); k != MT_JSON_NONE;
         k = mt_json_next(r->j, tags, k)) {
        struct mt_str key = mt_json_node(r->j, k)->text;
        if (mt_json_type_of(r->j, k + 1) != MT_JSON_ARRAY) {
            fail(r, MT_ERR_SCHEMA, "mail.tags.%.*s is %s, not an array", (int)key.len, key.ptr,
                 mt_json_kind(r->j, k + 1));
            continue;
        }
        if (mt_str_eq_cstr(key, "ses:configuration-set"))
            *config_set = mt_json_str(r->j, mt_json_at(r->j, k + 1, 0));
        if (key.len < 4 || memcmp(key.ptr, "ses:", 4) != 0)
            keys[count++] = k;
    }
    s_sort_doc = r->j;
    qsort(keys, count, sizeof(*keys), cmp_keys);

    struct mt_buf text;
    mt_buf_init(&text, 64 * 1024);
    for (uint32_t i = 0; i < count && r->code == MT_OK; i++) {
        struct mt_str key = mt_json_node(r->j, keys[i])->text;
        if (i > 0)
            mt_buf_append(&text, "; ", 2);
        mt_buf_append(&text, key.ptr, key.len);
        mt_buf_append_byte(&text, '=');
        append_tag_values(r, key, keys[i] + 1, &text);
    }
    struct mt_str result = count ? mt_arena_strdup(&r->p->arena, mt_buf_str(&text)) : MT_STR_NULL;
    mt_buf_cleanup(&text);
    free(keys);
    return result;
}

/* mail.destination joined with ", "; *count gets the number of addresses. */
static struct mt_str get_destination(struct record *r, uint32_t mail, uint32_t *count)
{
    uint32_t dest = get_container(r, mail, "destination", "mail.", true);
    *count = dest == MT_JSON_NONE ? 0 : mt_json_node(r->j, dest)->count;
    if (dest == MT_JSON_NONE)
        return MT_STR_NULL;

    struct mt_buf text;
    uint32_t i = 0;
    mt_buf_init(&text, MT_EVENT_MAX_DOC);
    for (uint32_t v = mt_json_first(r->j, dest); v != MT_JSON_NONE;
         v = mt_json_next(r->j, dest, v), i++) {
        struct mt_str s = mt_json_str(r->j, v);
        if (s.ptr == NULL) {
            fail(r, MT_ERR_SCHEMA, "mail.destination[%u] is not a string", (unsigned)i);
            break;
        }
        if (i > 0)
            mt_buf_append(&text, ", ", 2);
        mt_buf_append(&text, s.ptr, s.len);
    }
    struct mt_str result = *count == 1 ? mt_json_str(r->j, mt_json_first(r->j, dest))
                                       : mt_arena_strdup(&r->p->arena, mt_buf_str(&text));
    mt_buf_cleanup(&text);
    return result;
}

/* Fills the columns every row of the event shares.  false when rejected. */
static bool read_common(struct record *r, uint32_t record, enum mt_event_type type,
                        uint32_t detail, struct mt_row *base, uint32_t *dest_count)
{
    uint32_t mail = get_container(r, record, "mail", "", false);
    if (mail == MT_JSON_NONE) {
        fail(r, MT_ERR_SCHEMA, "mail object is missing");
        return false;
    }

    base->type = type;
    base->col[MT_COL_EVENT_TYPE] = mt_str_from_cstr(mt_event_type_name(type));
    base->col[MT_COL_MESSAGE_ID] = get_str(r, mail, "messageId", "mail.");
    int64_t mail_ms = 0;
    base->col[MT_COL_MAIL_TIME] = get_time(r, mail, "timestamp", "mail.", &mail_ms);
    base->col[MT_COL_SOURCE] = mt_mail_bare_address(get_str(r, mail, "source", "mail."));
    base->col[MT_COL_DESTINATION] = get_destination(r, mail, dest_count);
    base->col[MT_COL_SUBJECT] = get_subject(r, mail);
    base->col[MT_COL_TAGS] = get_tags(r, mail, &base->col[MT_COL_CONFIGURATION_SET]);
    if (r->code != MT_OK)
        return false;
    if (base->col[MT_COL_MESSAGE_ID].len == 0) {
        fail(r, MT_ERR_SCHEMA, "mail.messageId is %s",
             base->col[MT_COL_MESSAGE_ID].ptr == NULL ? "missing" : "empty");
        return false;
    }

    /* The event's own time; send, reject and rendering failure have none. */
    const char *key = s_types[type].detail_key;
    char path[32];
    snprintf(path, sizeof(path), "%s.", key);
    base->event_time_ms = mail_ms;
    base->col[MT_COL_EVENT_TIME] = get_time(r, detail, "timestamp", path, &base->event_time_ms);
    if (base->col[MT_COL_EVENT_TIME].ptr == NULL)
        base->col[MT_COL_EVENT_TIME] = base->col[MT_COL_MAIL_TIME];
    if (base->col[MT_COL_EVENT_TIME].ptr == NULL && r->code == MT_OK)
        fail(r, MT_ERR_SCHEMA, "mail.timestamp is missing and %stimestamp is absent", path);

    for (size_t i = 0; i < sizeof(s_fields) / sizeof(s_fields[0]); i++) {
        const struct field_map *f = &s_fields[i];
        if (f->type != type)
            continue;
        struct mt_str v = f->kind == KIND_NUMBER ? get_number(r, detail, f->key, path)
                          : f->kind == KIND_TIME ? get_time(r, detail, f->key, path, NULL)
                                                 : get_str(r, detail, f->key, path);
        base->col[f->col] = v;
    }
    return r->code == MT_OK;
}

/* Adds a row for one recipient, copying the shared columns. */
static size_t row_bytes(const struct mt_row *row)
{
    size_t n = 0;
    for (int c = 0; c < MT_COL_COUNT; c++)
        n += row->col[c].len;
    return n;
}

/*
 * Adds a row for one recipient, copying the shared columns.  NULL when out
 * of memory, or (reason recorded) when the row or the document's rows
 * together would pass their size limits.
 */
static struct mt_row *add_recipient_row(struct record *r, const struct mt_row *base,
                                        struct mt_str recipient)
{
    if (recipient.ptr != NULL)
        recipient = mt_mail_bare_address(recipient);
    size_t bytes = row_bytes(base) + recipient.len;
    if (bytes > MT_EVENT_MAX_ROW_BYTES) {
        fail(r, MT_ERR_SCHEMA, "a row of this event would hold %zu bytes, more than %u",
             bytes, MT_EVENT_MAX_ROW_BYTES);
        return NULL;
    }
    if (bytes > MT_EVENT_MAX_ROWS_BYTES - r->p->rows_bytes) {
        fail(r, MT_ERR_SCHEMA, "the rows of this document would hold more than %u bytes "
             "(each row repeats the message's destinations and subject)",
             MT_EVENT_MAX_ROWS_BYTES);
        return NULL;
    }

    struct mt_row *row = event_add_row(r->p);
    if (row == NULL)
        return NULL;
    *row = *base;
    row->col[MT_COL_RECIPIENT] = recipient.len > 0 ? recipient : MT_STR_NULL;
    r->p->rows_bytes += bytes;
    return row;
}

/* Adds the row for item i of a recipient list; false when the item is malformed. */
static bool add_list_row(struct record *r, const struct type_spec *spec, const char *path,
                         uint32_t item, uint32_t i, const struct mt_row *base)
{
    char item_path[96];
    snprintf(item_path, sizeof(item_path), "%s[%u].", path, (unsigned)i);

    if (spec->from != FROM_OBJECTS) {
        struct mt_str addr = mt_json_str(r->j, item);
        if (addr.ptr == NULL) {
            fail(r, MT_ERR_SCHEMA, "%s[%u] is %s, not a string", path, (unsigned)i,
                 mt_json_kind(r->j, item));
            return false;
        }
        return add_recipient_row(r, base, addr) != NULL;
    }
    if (mt_json_type_of(r->j, item) != MT_JSON_OBJECT) {
        fail(r, MT_ERR_SCHEMA, "%s[%u] is %s, not an object", path, (unsigned)i,
             mt_json_kind(r->j, item));
        return false;
    }
    struct mt_str addr = get_str(r, item, "emailAddress", item_path);
    struct mt_str status = get_str(r, item, "status", item_path);
    struct mt_str diagnostic = get_str(r, item, "diagnosticCode", item_path);
    struct mt_row *row = add_recipient_row(r, base, addr);
    if (row == NULL)
        return false;
    row->col[MT_COL_STATUS] = status;
    row->col[MT_COL_DIAGNOSTIC] = diagnostic;
    return r->code == MT_OK;
}

/* Adds the event's rows; false (and the rows taken back) when rejected. */
static bool add_rows(struct record *r, uint32_t record, uint32_t detail,
                     const struct mt_row *base, uint32_t dest_count)
{
    const struct type_spec *spec = &s_types[base->type];
    uint32_t mail = mt_json_get(r->j, record, "mail");
    uint32_t list = MT_JSON_NONE;
    char path[64];
    size_t first = r->p->row_count;
    size_t bytes_before = r->p->rows_bytes;

    if (spec->from == FROM_DESTINATION) {
        list = mt_json_get(r->j, mail, "destination");
        snprintf(path, sizeof(path), "mail.destination");
    } else if (spec->from != FROM_NONE) {
        char detail_path[32];
        snprintf(path, sizeof(path), "%s.%s", spec->detail_key, spec->list_key);
        snprintf(detail_path, sizeof(detail_path), "%s.", spec->detail_key);
        list = get_container(r, detail, spec->list_key, detail_path, true);
    }
    if (mt_json_type_of(r->j, list) != MT_JSON_ARRAY)
        list = MT_JSON_NONE;

    uint32_t i = 0;
    for (uint32_t item = mt_json_first(r->j, list); item != MT_JSON_NONE && r->code == MT_OK;
         item = mt_json_next(r->j, list, item), i++) {
        if (!add_list_row(r, spec, path, item, i, base))
            break;
    }

    /*
     * No named recipient: one row, so the event is still counted.  Open,
     * click and subscription name none of their own, so theirs is the mail's
     * only destination when it had one; an event with a recipient list of
     * its own that is empty or absent names nobody, and its row has no
     * recipient rather than one the event did not name.
     */
    if (r->code == MT_OK && r->p->fatal == MT_OK && r->p->row_count == first) {
        uint32_t dest = mt_json_get(r->j, mail, "destination");
        uint32_t only = spec->from == FROM_NONE && dest_count == 1 ? mt_json_first(r->j, dest)
                                                                   : MT_JSON_NONE;
        add_recipient_row(r, base, mt_json_str(r->j, only));
    }
    if (r->code != MT_OK || r->p->fatal != MT_OK) {
        r->p->row_count = first;
        r->p->rows_bytes = bytes_before;
        return false;
    }
    for (size_t k = first; k < r->p->row_count; k++)
        mt_row_compute_key(&r->p->rows[k]);
    return true;
}

/* The event type of a record, or a reject reason.  false for set-up notices too. */
static bool read_type(struct record *r, uint32_t record, enum mt_event_type *type,
                      unsigned char *shape, bool *notice)
{
    struct mt_str name = get_str(r, record, "eventType", "");
    const char *field = "eventType";
    if (name.ptr == NULL && r->code == MT_OK) {
        name = get_str(r, record, "notificationType", "");
        field = "notificationType";
        *shape = 1;
    }
    if (r->code != MT_OK)
        return false;
    if (name.ptr == NULL) {
        fail(r, MT_ERR_SCHEMA, "neither eventType nor notificationType is present");
        return false;
    }
    if (name.len == 0) {
        fail(r, MT_ERR_SCHEMA, "%s is empty", field);
        return false;
    }
    if (mt_str_eq_cstr(name, "AmazonSnsSubscriptionSucceeded")) {
        *notice = true;
        return false;
    }
    if (mt_event_type_parse(name, type) != MT_OK) {
        fail(r, MT_ERR_UNKNOWN_TYPE, "unknown %s '%.*s'", field,
             (int)mt_utf8_prefix_len(name, 64), name.ptr);
        return false;
    }
    return true;
}

void event_parse_ses(struct mt_event_parser *p, uint32_t record, const struct mt_sns_meta *meta,
                     int index, struct mt_str raw)
{
    struct record r = {.p = p, .j = &p->json, .code = MT_OK};
    struct mt_row base;
    enum mt_event_type type;
    bool notice = false;
    uint32_t dest_count = 0;

    memset(&base, 0, sizeof(base));
    if (!read_type(&r, record, &type, &base.shape, &notice)) {
        if (notice)
            p->result.notices++;
        else
            event_add_reject(p, index, r.code, raw, "%s", r.reason);
        return;
    }

    const char *key = s_types[type].detail_key;
    uint32_t detail = get_container(&r, record, key, "", false);
    if (detail == MT_JSON_NONE && type != MT_EVENT_SEND && r.code == MT_OK)
        fail(&r, MT_ERR_SCHEMA, "%s object is missing", key);

    if (meta != NULL) {
        base.col[MT_COL_SNS_MESSAGE_ID] = meta->message_id;
        base.col[MT_COL_TOPIC_ARN] = meta->topic_arn;
    }
    if (r.code != MT_OK || !read_common(&r, record, type, detail, &base, &dest_count) ||
        !add_rows(&r, record, detail, &base, dest_count)) {
        if (p->fatal == MT_OK)
            event_add_reject(p, index, r.code ? r.code : MT_ERR_SCHEMA, raw, "%s", r.reason);
        return;
    }
    p->result.events++;
}
