/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Verifying whole documents as they are kept in files: an SNS HTTP body, an
 * SNS-to-Lambda event, or a JSON array of these.  Every SNS message in the
 * document must verify for the document to pass; a document with nothing
 * signed in it (a bare SES record) does not pass.
 *
 * The document is parsed here with the same strict settings the event
 * parser uses (duplicate keys refused), so the values verified are the
 * values that are later stored.  Lambda records use the SigningCertUrl
 * spelling and may carry "Subject": null, which means no subject.
 */
#include "sns_int.h"

#include <stdio.h>
#include <string.h>

/* Parses and verifies one SNS message object. */
static enum mt_status verify_object(struct mt_sns_verifier *v, json_t *obj, bool lambda,
                                    const char *where, enum mt_sns_reason *reason,
                                    struct mt_err *err)
{
    struct mt_sns_message msg;
    enum mt_status st = sns_message_from_object(obj, lambda, where, &msg, err);

    if (st == MT_OK && lambda && msg.type != MT_SNS_NOTIFICATION)
        st = mt_err_set(err, MT_ERR_SCHEMA, "%sType of a Lambda record must be Notification",
                        where);
    if (st != MT_OK) {
        *reason = MT_SNS_MALFORMED;
    } else {
        struct mt_err inner = {0};
        st = mt_sns_verify(v, &msg, reason, &inner);
        if (st != MT_OK && where[0] != '\0')
            mt_err_set(err, st, "%.*s: %s", (int)strlen(where) - 1, where, mt_err_text(&inner));
        else if (st != MT_OK)
            mt_err_set(err, st, "%s", mt_err_text(&inner));
    }
    mt_sns_message_cleanup(&msg);
    return st;
}

static enum mt_status verify_lambda_event(struct mt_sns_verifier *v, const json_t *event,
                                          enum mt_sns_reason *reason, struct mt_err *err)
{
    const json_t *records = json_object_get(event, "Records");
    size_t i;
    json_t *record;

    *reason = MT_SNS_MALFORMED;
    if (!json_is_array(records) || json_array_size(records) == 0)
        return mt_err_set(err, MT_ERR_SCHEMA, "Records is not a non-empty array");
    json_array_foreach(records, i, record) {
        char where[48];
        snprintf(where, sizeof(where), "Records[%zu].Sns.", i);
        json_t *sns = json_object_get(record, "Sns");
        if (!json_is_object(sns))
            return mt_err_set(err, MT_ERR_SCHEMA, "Records[%zu].Sns is not an object", i);
        enum mt_status st = verify_object(v, sns, true, where, reason, err);
        if (st != MT_OK)
            return st;
    }
    return MT_OK;
}

/* Verifies one value of the document: a Lambda event or an HTTP body. */
static enum mt_status verify_value(struct mt_sns_verifier *v, json_t *value,
                                   enum mt_sns_reason *reason, struct mt_err *err)
{
    if (json_is_object(value) && json_object_get(value, "Records") != NULL)
        return verify_lambda_event(v, value, reason, err);
    if (json_is_object(value) && json_object_get(value, "Type") != NULL)
        return verify_object(v, value, false, "", reason, err);

    *reason = MT_SNS_SIGNATURE;
    return mt_err_set(err, MT_ERR_SIGNATURE,
                      "document is not a signed SNS message, so it cannot be verified");
}

enum mt_status mt_sns_verify_document(struct mt_sns_verifier *v, struct mt_str doc,
                                      enum mt_sns_reason *reason, struct mt_err *err)
{
    enum mt_sns_reason dummy;
    json_error_t jerr;
    enum mt_status st = MT_OK;

    reason = reason != NULL ? reason : &dummy;
    *reason = MT_SNS_MALFORMED;
    json_t *root = json_loadb(doc.ptr ? doc.ptr : "", doc.len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return mt_err_set(err, MT_ERR_NOT_JSON, "document is not valid JSON: %s at line %d",
                          jerr.text, jerr.line);

    if (json_is_array(root)) {
        size_t i;
        json_t *value;
        json_array_foreach(root, i, value) {
            struct mt_err inner = {0};
            st = verify_value(v, value, reason, &inner);
            if (st != MT_OK) {
                mt_err_set(err, st, "item %zu: %s", i, mt_err_text(&inner));
                break;
            }
        }
        if (json_array_size(root) == 0)
            st = mt_err_set(err, MT_ERR_SIGNATURE, "document is an empty array");
    } else {
        st = verify_value(v, root, reason, err);
    }
    json_decref(root);
    return st;
}
