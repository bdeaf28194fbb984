/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_SNS_H
#define MT_SNS_H

/*
 * Amazon SNS message signatures: reading a signed message, checking where
 * its certificate and confirmation links point, and verifying its signature.
 *
 * A message is accepted only when every check passes, in this order (cheap
 * checks first, nothing fetched for a message that fails one):
 *
 *   1. the body is strict JSON (UTF-8, no duplicate keys), Type is one of
 *      the three SNS types and every signed field is a string;
 *   2. TopicArn is on the verifier's allow-list;
 *   3. SignatureVersion is "1" (SHA1withRSA) or "2" (SHA256withRSA);
 *   4. the certificate URL is https://sns.<region>.amazonaws.com[.cn]/<file>.pem
 *      with the region of the TopicArn (mt_sns_url_check);
 *   5. for a SubscriptionConfirmation, SubscribeURL passes the same host
 *      rules and asks for Action=ConfirmSubscription;
 *   6. the signature is base64 and at least 256 bytes, the size an RSA key
 *      of 2048 bits signs with;
 *   7. the certificate, from the in-memory cache, the certificate folder or
 *      a fetch, parses as X.509, is within its validity dates, names an SNS
 *      host and holds an RSA key of at least 2048 bits;
 *   8. the signature verifies over the string SNS signs for the type.
 *
 * There is no way to turn verification off.  The string to sign follows the
 * SNS developer guide, "Verifying the signatures of Amazon SNS messages":
 * "Key\nValue\n" for Message, MessageId, Subject (Notification, when
 * present), SubscribeURL and Token (confirmations), Timestamp, TopicArn and
 * Type, values exactly as decoded from the JSON.
 *
 * This component does no network I/O itself: certificates it does not hold
 * are fetched through a caller-supplied callback, so it runs and is tested
 * without a network.
 */

#include "mt/buf.h"
#include "mt/status.h"

#include <stdbool.h>
#include <stddef.h>

/* The three message types SNS posts to an HTTP(S) subscriber. */
enum mt_sns_type {
    MT_SNS_NOTIFICATION,
    MT_SNS_SUBSCRIPTION_CONFIRMATION,
    MT_SNS_UNSUBSCRIBE_CONFIRMATION,
};

/* The Type value of a message type, e.g. "SubscriptionConfirmation". */
const char *mt_sns_type_name(enum mt_sns_type type);

/*
 * One SNS message, as posted to HTTP(S) or as the Sns object of a Lambda
 * record.  The views point into the parsed document, which the message
 * owns; an absent field has ptr NULL (a Lambda Subject of JSON null is
 * absent).
 */
struct mt_sns_message {
    enum mt_sns_type type;
    bool lambda_shape;             /* from a Lambda record (SigningCertUrl spelling) */
    struct mt_str type_name;       /* Type as received */
    struct mt_str message_id;
    struct mt_str topic_arn;
    struct mt_str subject;         /* Notification only; optional */
    struct mt_str message;
    struct mt_str timestamp;       /* kept exactly as received */
    struct mt_str token;           /* confirmations only */
    struct mt_str subscribe_url;   /* confirmations only */
    struct mt_str signature_version;
    struct mt_str signature;       /* base64 */
    struct mt_str signing_cert_url;
    struct mt_str unsubscribe_url; /* not signed; informational */
    void *doc;                     /* private: the parsed document the views point into */
};

/* Largest HTTP body or Sns object accepted, as SNS's own message limit: 256 KiB. */
#define MT_SNS_MAX_BODY ((size_t)256 * 1024)

/*
 * Parses the body SNS posts to an HTTP(S) subscriber into msg (which need not
 * be initialised; release it with mt_sns_message_cleanup, also on failure).
 * MT_ERR_TOO_LARGE past MT_SNS_MAX_BODY; MT_ERR_NOT_JSON; MT_ERR_SCHEMA when
 * a field required for the type is missing or not a string, or the Type is
 * unknown; MT_ERR_NOMEM.  err names the field.
 */
enum mt_status mt_sns_message_parse(struct mt_str body, struct mt_sns_message *msg,
                                    struct mt_err *err);

/* Releases what msg owns.  Safe on a zeroed or already cleaned message. */
void mt_sns_message_cleanup(struct mt_sns_message *msg);

/*
 * Appends the exact bytes SNS signed for msg to out.  MT_ERR_SCHEMA when a
 * key of the type's list is missing; MT_ERR_TOO_LARGE, MT_ERR_NOMEM.
 */
enum mt_status mt_sns_string_to_sign(const struct mt_sns_message *msg, struct mt_buf *out,
                                     struct mt_err *err);

/* What a URL is checked for. */
enum mt_sns_url_kind {
    MT_SNS_URL_CERT,      /* SigningCertURL: https://sns.<region>.amazonaws.com/<file>.pem */
    MT_SNS_URL_SUBSCRIBE, /* SubscribeURL: https://sns.<region>.amazonaws.com/?Action=... */
};

/* Longest host and certificate file name an accepted URL can have. */
#define MT_SNS_HOST_MAX 64
#define MT_SNS_FILE_MAX 128

/* The parts of an accepted URL. */
struct mt_sns_url {
    char host[MT_SNS_HOST_MAX + 1];   /* e.g. "sns.us-east-1.amazonaws.com" */
    char region[MT_SNS_HOST_MAX + 1]; /* e.g. "us-east-1" */
    char file[MT_SNS_FILE_MAX + 1];   /* certificate file name; empty for SubscribeURL */
};

/*
 * Checks url for kind without touching the network.  Accepted: exactly
 * "https://", a lower-case host sns.<region>.amazonaws.com (or
 * .amazonaws.com.cn for a cn- region) whose region looks like one
 * (us-east-1, ap-southeast-2, us-gov-west-1) and equals expected_region when
 * that is present, no user info, no port, no IP literal, and printable ASCII
 * only with no backslash and no fragment.  A certificate URL must then be
 * "/<file>.pem", one segment of letters, digits, '-', '_' and '.', with no
 * "..", no percent sign and no query.  A SubscribeURL must be "/?" and a
 * query of URL characters (well-formed %XX escapes allowed) that holds
 * Action=ConfirmSubscription.  Anything else is MT_ERR_CERT_URL (for
 * MT_SNS_URL_CERT) or MT_ERR_SUBSCRIBE_URL, with err naming the broken
 * rule.  out (optional) receives the parts.
 */
enum mt_status mt_sns_url_check(struct mt_str url, enum mt_sns_url_kind kind,
                                struct mt_str expected_region, struct mt_sns_url *out,
                                struct mt_err *err);

/*
 * The region of a topic ARN, "arn:<partition>:sns:<region>:<account>:<name>",
 * as a view into arn; absent when arn is not an SNS topic ARN.
 */
struct mt_str mt_sns_topic_region(struct mt_str arn);

/* Why a message was refused; a stable label for logs and metrics. */
enum mt_sns_reason {
    MT_SNS_ACCEPTED,
    MT_SNS_MALFORMED,        /* not a readable SNS message */
    MT_SNS_TOPIC,            /* TopicArn not on the allow-list */
    MT_SNS_VERSION,          /* SignatureVersion missing or not "1"/"2" */
    MT_SNS_CERT_URL,         /* certificate URL refused */
    MT_SNS_SUBSCRIBE_URL,    /* SubscribeURL refused */
    MT_SNS_CERT_UNAVAILABLE, /* certificate could not be found or fetched */
    MT_SNS_CERT_INVALID,     /* certificate unusable: not X.509, expired, wrong name or key */
    MT_SNS_SIGNATURE,        /* signature malformed or does not verify */
    MT_SNS_REASON_COUNT
};

/* The label of a reason, e.g. "cert_url".  Never NULL. */
const char *mt_sns_reason_name(enum mt_sns_reason reason);

/*
 * Fetches url (already checked by mt_sns_url_check) into body, which is
 * capped by its max.  Must use https with peer and host verification, no
 * redirects and a timeout.  Returns MT_OK with the response body only for
 * HTTP 200; otherwise a status such as MT_ERR_HTTP, MT_ERR_TIMEOUT,
 * MT_ERR_CONNECT or MT_ERR_TOO_LARGE, with err filled.  Called from any
 * thread that verifies; must be thread-safe.
 */
typedef enum mt_status (*mt_sns_fetch_fn)(void *ctx, const char *url, struct mt_buf *body,
                                          struct mt_err *err);

struct mt_sns_verifier_options {
    const char *const *topics; /* allow-listed TopicArns (copied); at least one */
    size_t topic_count;

    /*
     * Folder of certificates, DIR/<host>/<file> as named by the certificate
     * URL (copied; optional).  Read before any fetch; a fetched certificate
     * that passes the checks is written there.
     */
    const char *cert_dir;

    mt_sns_fetch_fn fetch; /* optional; without it only cert_dir is used */
    void *fetch_ctx;

    size_t cache_max; /* certificates kept in memory; 0 means 32 */

    /*
     * Fetches allowed at once (0 means 1).  A message whose certificate
     * needs a fetch while this many run is refused at once with MT_ERR_BUSY
     * and MT_SNS_CERT_UNAVAILABLE, so forged messages naming made-up
     * certificates can hold at most this many of the caller's threads.
     */
    size_t fetch_max;

    /*
     * How long a certificate URL whose fetch failed is not fetched again
     * (0 means 15 s): messages naming it meanwhile are refused with the
     * fetch's status, without a request.
     */
    long failure_hold_ms;
};

struct mt_sns_verifier;

/*
 * A verifier.  MT_ERR_CONFIG when no topic is given or a topic is not an SNS
 * topic ARN; MT_ERR_NOMEM.  *out is NULL on failure.
 */
enum mt_status mt_sns_verifier_new(const struct mt_sns_verifier_options *options,
                                   struct mt_sns_verifier **out, struct mt_err *err);

/* Releases the verifier and its cache.  NULL does nothing. */
void mt_sns_verifier_free(struct mt_sns_verifier *verifier);

/*
 * Runs every check listed at the top of this file on msg.  MT_OK when the
 * message is genuine and for an allowed topic.  Otherwise one of
 * MT_ERR_SCHEMA, MT_ERR_TOPIC, MT_ERR_SIGNATURE (also for an unknown
 * version or an unusable certificate), MT_ERR_CERT_URL,
 * MT_ERR_SUBSCRIBE_URL, or the fetch's status when the certificate could
 * not be had (MT_ERR_NOT_FOUND without a fetch callback, MT_ERR_BUSY when
 * fetch_max fetches are running already); reason (optional)
 * receives the label and err the detail.  Thread-safe: several threads may
 * verify with one verifier at once.
 */
enum mt_status mt_sns_verify(struct mt_sns_verifier *verifier, const struct mt_sns_message *msg,
                             enum mt_sns_reason *reason, struct mt_err *err);

/*
 * Verifies a whole document as read from a file: an SNS HTTP body, an
 * SNS-to-Lambda event (every Records[i].Sns must verify; SigningCertUrl
 * spelling, a null Subject is absent), or a JSON array of these.  A bare SES
 * record carries no signature and is refused with MT_ERR_SIGNATURE.
 * Statuses as mt_sns_verify, plus MT_ERR_NOT_JSON; err names the record.
 */
enum mt_status mt_sns_verify_document(struct mt_sns_verifier *verifier, struct mt_str doc,
                                      enum mt_sns_reason *reason, struct mt_err *err);

/* Certificates fetched (not read from the cache or folder) since creation. */
size_t mt_sns_verifier_fetch_count(struct mt_sns_verifier *verifier);

#endif
