/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One POSTed SNS message, from body to answer.
 *
 * Order: refuse raw delivery (nothing is signed), parse strictly, check the
 * x-amz-sns-* headers against the body, verify (topic, version, URLs,
 * certificate, signature), and only then act on the type.  The headers are
 * not signed, so they are only a cross-check; the verified body is the
 * authority.  Checks follow "Recommended checks" in the SNS signature notes
 * and the SNS developer guide's HTTP/S message and header pages.
 *
 * An UnsubscribeConfirmation's SubscribeURL is never visited: visiting it
 * would subscribe the endpoint again.
 */
#include "serve_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Copies a view into a NUL-terminated buffer for notices, truncated to fit. */
static const char *cstr(struct mt_str s, char *buf, size_t size)
{
    if (s.ptr == NULL)
        return NULL;
    snprintf(buf, size, "%.*s", (int)(s.len < size ? s.len : size - 1), s.ptr);
    return buf;
}

/* What one message's handling needs to report. */
struct ctx {
    struct mt_serve *s;
    struct MHD_Connection *conn;
    const char *remote;
    char id[128];
    char topic[256];
};

/* Counts and reports a refusal; returns the answer. */
static struct serve_answer refuse(struct ctx *c, int code, enum serve_reject reason,
                                  const char *label, const char *detail)
{
    struct mt_serve_notice n = {.event = "sns_rejected", .http_status = code,
                                .reason = label ? label : serve_reject_name(reason),
                                .detail = detail, .remote = c->remote,
                                .message_id = c->id[0] ? c->id : NULL,
                                .topic_arn = c->topic[0] ? c->topic : NULL};
    serve_metrics_reject(&c->s->metrics, reason);
    serve_notify(c->s, &n);
    return (struct serve_answer){code, code == 403 ? "forbidden\n" : code == 413
                                 ? "payload too large\n" : code >= 500 ? "try again later\n"
                                                                       : "bad request\n"};
}

static const char *header(struct MHD_Connection *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

/* NULL when the x-amz-sns-* headers agree with the body, else what disagrees. */
static const char *header_mismatch(struct MHD_Connection *conn, const struct mt_sns_message *m)
{
    const char *type = header(conn, "x-amz-sns-message-type");
    const char *id = header(conn, "x-amz-sns-message-id");
    const char *topic = header(conn, "x-amz-sns-topic-arn");

    if (type == NULL)
        return "the x-amz-sns-message-type header is missing";
    if (!mt_str_eq_cstr(m->type_name, type))
        return "the x-amz-sns-message-type header disagrees with the body's Type";
    if (id != NULL && !mt_str_eq_cstr(m->message_id, id))
        return "the x-amz-sns-message-id header disagrees with the body's MessageId";
    if (topic != NULL && !mt_str_eq_cstr(m->topic_arn, topic))
        return "the x-amz-sns-topic-arn header disagrees with the body's TopicArn";
    return NULL;
}

static struct serve_answer store_notification(struct ctx *c, const struct mt_sns_message *m)
{
    struct write_job job = {.message = m->message,
                            .meta = {.message_id = m->message_id, .topic_arn = m->topic_arn},
                            .remote = c->remote};

    if (serve_writer_submit(&c->s->writer, &job) != MT_OK)
        return refuse(c, 500, REJECT_STORE, NULL, mt_err_text(&job.err));
    return (struct serve_answer){200, "stored\n"};
}

static struct serve_answer confirm(struct ctx *c, const struct mt_sns_message *m)
{
    char url[2100];
    struct mt_err err = {0};

    snprintf(url, sizeof(url), "%.*s", (int)m->subscribe_url.len, m->subscribe_url.ptr);
    if (c->s->options.confirm == NULL)
        return refuse(c, 503, REJECT_CONFIRM_FAILED, NULL,
                      "this server cannot confirm subscriptions");
    if (c->s->options.confirm(c->s->options.confirm_ctx, url, &err) != MT_OK)
        return refuse(c, 503, REJECT_CONFIRM_FAILED, NULL, mt_err_text(&err));

    struct mt_serve_notice n = {.event = "sns_subscription_confirmed", .http_status = 200,
                                .remote = c->remote, .message_id = c->id, .topic_arn = c->topic};
    serve_notify(c->s, &n);
    return (struct serve_answer){200, "confirmed\n"};
}

/* Acts on a verified message. */
static struct serve_answer act(struct ctx *c, const struct mt_sns_message *m)
{
    serve_metrics_message(&c->s->metrics, m->type);
    switch (m->type) {
    case MT_SNS_NOTIFICATION:
        return store_notification(c, m);
    case MT_SNS_SUBSCRIPTION_CONFIRMATION:
        return confirm(c, m);
    case MT_SNS_UNSUBSCRIBE_CONFIRMATION:
        break;
    }
    struct mt_serve_notice n = {.event = "sns_unsubscribed", .http_status = 200,
                                .detail = "unsubscribe confirmation received; not visited",
                                .remote = c->remote, .message_id = c->id, .topic_arn = c->topic};
    serve_notify(c->s, &n);
    return (struct serve_answer){200, "noted\n"};
}

/* Verifies m and maps a failure to 403, or 503 when the certificate could not be had. */
static struct serve_answer verify_and_act(struct ctx *c, const struct mt_sns_message *m)
{
    struct mt_err err = {0};
    enum mt_sns_reason reason = MT_SNS_MALFORMED;

    if (mt_sns_verify(c->s->options.verifier, m, &reason, &err) == MT_OK)
        return act(c, m);
    serve_metrics_verify_failure(&c->s->metrics, reason);
    if (reason == MT_SNS_CERT_UNAVAILABLE)
        return refuse(c, 503, REJECT_CERT_UNAVAILABLE, mt_sns_reason_name(reason),
                      mt_err_text(&err));
    return refuse(c, 403, REJECT_FORGED, mt_sns_reason_name(reason), mt_err_text(&err));
}

struct serve_answer serve_handle_sns(struct mt_serve *s, struct MHD_Connection *conn,
                                     struct mt_str body, const char *remote)
{
    struct ctx c = {.s = s, .conn = conn, .remote = remote};
    struct mt_sns_message msg;
    struct mt_err err = {0};
    struct serve_answer answer;
    const char *raw = header(conn, "x-amz-sns-rawdelivery");

    if (raw != NULL && strcasecmp(raw, "true") == 0)
        return refuse(&c, 403, REJECT_RAW_DELIVERY, NULL,
                      "raw message delivery is not signed; turn it off for this subscription");

    enum mt_status st = mt_sns_message_parse(body, &msg, &err);
    cstr(msg.message_id, c.id, sizeof(c.id));
    cstr(msg.topic_arn, c.topic, sizeof(c.topic));
    const char *mismatch = st == MT_OK ? header_mismatch(conn, &msg) : NULL;
    if (st == MT_ERR_TOO_LARGE)
        answer = refuse(&c, 413, REJECT_TOO_LARGE, NULL, mt_err_text(&err));
    else if (st != MT_OK)
        answer = refuse(&c, 400, REJECT_MALFORMED, NULL, mt_err_text(&err));
    else if (mismatch != NULL)
        answer = refuse(&c, 400, REJECT_HEADER_MISMATCH, NULL, mismatch);
    else
        answer = verify_and_act(&c, &msg);
    mt_sns_message_cleanup(&msg);
    return answer;
}
