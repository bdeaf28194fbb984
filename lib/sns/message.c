/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading an SNS message and building the string SNS signed for it.
 *
 * The body is parsed once, strictly (UTF-8, duplicate keys refused, so the
 * verified value and the processed value cannot differ), and every field is
 * a view into that one parse.  The string to sign uses the decoded values
 * exactly as received: Timestamp is never re-rendered, and the trailing
 * newline of an SES Message is part of its value.  Key lists and order
 * follow the SNS developer guide, "Verifying the signatures of Amazon SNS
 * messages"; only the keys of the message's own type are used, so an extra
 * Token in a Notification changes nothing that was signed.
 *
 * Fields outside the signature (SigningCertURL, SignatureVersion,
 * UnsubscribeURL, MessageAttributes) are read but trusted by nobody: the
 * verifier checks them on their own.
 */
#include "sns_int.h"

#include <string.h>

static const char *const s_type_names[] = {
    [MT_SNS_NOTIFICATION] = "Notification",
    [MT_SNS_SUBSCRIPTION_CONFIRMATION] = "SubscriptionConfirmation",
    [MT_SNS_UNSUBSCRIBE_CONFIRMATION] = "UnsubscribeConfirmation",
};

const char *mt_sns_type_name(enum mt_sns_type type)
{
    if ((unsigned)type > MT_SNS_UNSUBSCRIBE_CONFIRMATION)
        return "Unknown";
    return s_type_names[type];
}

void mt_sns_message_cleanup(struct mt_sns_message *msg)
{
    if (msg == NULL)
        return;
    json_decref(msg->doc);
    memset(msg, 0, sizeof(*msg));
}

/*
 * Reads one optional string member into *out.  Absent or JSON null leaves
 * it absent; any other non-string is MT_ERR_SCHEMA.
 */
static enum mt_status read_field(const json_t *obj, const char *key, const char *where,
                                 struct mt_str *out, struct mt_err *err)
{
    const json_t *v = json_object_get(obj, key);

    *out = MT_STR_NULL;
    if (v == NULL || json_is_null(v))
        return MT_OK;
    if (!json_is_string(v))
        return mt_err_set(err, MT_ERR_SCHEMA, "SNS field '%s%s' is not a string", where, key);
    *out = (struct mt_str){json_string_value(v), json_string_length(v)};
    return MT_OK;
}

/* MT_ERR_SCHEMA naming key when value is absent. */
static enum mt_status require(struct mt_str value, const char *key, const char *where,
                              const char *type, struct mt_err *err)
{
    if (value.ptr != NULL)
        return MT_OK;
    return mt_err_set(err, MT_ERR_SCHEMA, "SNS %s has no '%s%s'", type, where, key);
}

static enum mt_status read_type(struct mt_sns_message *msg, const char *where,
                                struct mt_err *err)
{
    if (msg->type_name.ptr == NULL)
        return mt_err_set(err, MT_ERR_SCHEMA, "SNS message has no '%sType'", where);
    for (int t = MT_SNS_NOTIFICATION; t <= MT_SNS_UNSUBSCRIBE_CONFIRMATION; t++) {
        if (mt_str_eq_cstr(msg->type_name, s_type_names[t])) {
            msg->type = (enum mt_sns_type)t;
            return MT_OK;
        }
    }
    int n = (int)mt_utf8_prefix_len(msg->type_name, 40);
    return mt_err_set(err, MT_ERR_SCHEMA, "SNS '%sType' '%.*s' is not an SNS message type",
                      where, n, msg->type_name.ptr);
}

/* Reads every member; the spellings of the URL fields depend on the shape. */
static enum mt_status read_fields(const json_t *obj, bool lambda, const char *where,
                                  struct mt_sns_message *m, struct mt_err *err)
{
    struct {
        const char *key;
        struct mt_str *out;
    } fields[] = {
        {"Type", &m->type_name},
        {"MessageId", &m->message_id},
        {"TopicArn", &m->topic_arn},
        {"Subject", &m->subject},
        {"Message", &m->message},
        {"Timestamp", &m->timestamp},
        {"Token", &m->token},
        {lambda ? "SubscribeUrl" : "SubscribeURL", &m->subscribe_url},
        {"SignatureVersion", &m->signature_version},
        {"Signature", &m->signature},
        {lambda ? "SigningCertUrl" : "SigningCertURL", &m->signing_cert_url},
        {lambda ? "UnsubscribeUrl" : "UnsubscribeURL", &m->unsubscribe_url},
    };
    enum mt_status st = MT_OK;

    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]) && st == MT_OK; i++)
        st = read_field(obj, fields[i].key, where, fields[i].out, err);
    return st;
}

/* Checks that the members the type's string to sign needs are present. */
static enum mt_status check_required(const struct mt_sns_message *m, const char *where,
                                     struct mt_err *err)
{
    const char *type = mt_sns_type_name(m->type);
    enum mt_status st = MT_OK;

    if (st == MT_OK)
        st = require(m->message_id, "MessageId", where, type, err);
    if (st == MT_OK)
        st = require(m->topic_arn, "TopicArn", where, type, err);
    if (st == MT_OK)
        st = require(m->message, "Message", where, type, err);
    if (st == MT_OK)
        st = require(m->timestamp, "Timestamp", where, type, err);
    if (m->type == MT_SNS_NOTIFICATION)
        return st;
    if (st == MT_OK)
        st = require(m->token, "Token", where, type, err);
    if (st == MT_OK)
        st = require(m->subscribe_url, "SubscribeURL", where, type, err);
    return st;
}

enum mt_status sns_message_from_object(json_t *obj, bool lambda, const char *where,
                                       struct mt_sns_message *msg, struct mt_err *err)
{
    memset(msg, 0, sizeof(*msg));
    if (!json_is_object(obj))
        return mt_err_set(err, MT_ERR_SCHEMA, "SNS message '%s' is not a JSON object",
                          where[0] ? where : "body");
    msg->doc = json_incref(obj);
    msg->lambda_shape = lambda;

    enum mt_status st = read_fields(obj, lambda, where, msg, err);
    if (st == MT_OK)
        st = read_type(msg, where, err);
    if (st == MT_OK)
        st = check_required(msg, where, err);
    return st;
}

enum mt_status mt_sns_message_parse(struct mt_str body, struct mt_sns_message *msg,
                                    struct mt_err *err)
{
    json_error_t jerr;

    memset(msg, 0, sizeof(*msg));
    if (body.len > MT_SNS_MAX_BODY)
        return mt_err_set(err, MT_ERR_TOO_LARGE, "SNS message is larger than %zu bytes",
                          MT_SNS_MAX_BODY);

    json_t *root = json_loadb(body.ptr ? body.ptr : "", body.len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return mt_err_set(err, MT_ERR_NOT_JSON, "SNS message is not valid JSON: %s at line %d",
                          jerr.text, jerr.line);
    enum mt_status st = sns_message_from_object(root, false, "", msg, err);
    json_decref(root);
    return st;
}

/* Appends "key\nvalue\n". */
static enum mt_status append_pair(struct mt_buf *out, const char *key, struct mt_str value)
{
    enum mt_status st = mt_buf_append_cstr(out, key);
    if (st == MT_OK)
        st = mt_buf_append_byte(out, '\n');
    if (st == MT_OK)
        st = mt_buf_append(out, value.ptr, value.len);
    if (st == MT_OK)
        st = mt_buf_append_byte(out, '\n');
    return st;
}

enum mt_status mt_sns_string_to_sign(const struct mt_sns_message *m, struct mt_buf *out,
                                     struct mt_err *err)
{
    bool notification = m->type == MT_SNS_NOTIFICATION;
    struct {
        const char *key;
        struct mt_str value;
        bool used;     /* part of this type's list */
        bool optional; /* omitted when absent */
    } keys[] = {
        {"Message", m->message, true, false},
        {"MessageId", m->message_id, true, false},
        {"Subject", m->subject, notification, true},
        {"SubscribeURL", m->subscribe_url, !notification, false},
        {"Timestamp", m->timestamp, true, false},
        {"Token", m->token, !notification, false},
        {"TopicArn", m->topic_arn, true, false},
        {"Type", m->type_name, true, false},
    };
    enum mt_status st = MT_OK;

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && st == MT_OK; i++) {
        if (!keys[i].used || (keys[i].optional && keys[i].value.ptr == NULL))
            continue;
        if (keys[i].value.ptr == NULL)
            return mt_err_set(err, MT_ERR_SCHEMA, "SNS %s has no '%s' to sign",
                              mt_sns_type_name(m->type), keys[i].key);
        st = append_pair(out, keys[i].key, keys[i].value);
    }
    if (st != MT_OK)
        return mt_err_set(err, st, "cannot build the SNS string to sign: %s", mt_status_str(st));
    return MT_OK;
}

static int base64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

bool sns_base64_decode(struct mt_str in, unsigned char *out, size_t *out_len)
{
    size_t pad = 0;

    if (in.ptr == NULL || in.len == 0 || in.len % 4 != 0)
        return false;
    while (pad < 2 && in.ptr[in.len - 1 - pad] == '=')
        pad++;

    size_t n = 0;
    unsigned acc = 0;
    for (size_t i = 0; i < in.len - pad; i++) {
        int v = base64_value(in.ptr[i]);
        if (v < 0)
            return false;
        acc = (acc << 6) | (unsigned)v;
        if (i % 4 == 3) {
            out[n++] = (unsigned char)(acc >> 16);
            out[n++] = (unsigned char)(acc >> 8);
            out[n++] = (unsigned char)acc;
            acc = 0;
        }
    }
    if (pad == 1) {
        out[n++] = (unsigned char)(acc >> 10);
        out[n++] = (unsigned char)(acc >> 2);
    } else if (pad == 2) {
        out[n++] = (unsigned char)(acc >> 4);
    }
    *out_len = n;
    return true;
}
