/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_STATUS_H
#define MT_STATUS_H

/*
 * Status codes and error details shared by every component.
 *
 * Every fallible function returns an enum mt_status, MT_OK (zero) on success.
 * Callers may pass a struct mt_err to learn more: the deepest failing site
 * fills it with a sentence naming its subject, and the first write wins, so
 * the detail a user sees is the one closest to the cause.  Library code never
 * prints errors; the front ends report the detail once.
 *
 * The list below is append-only within each group: a code is never
 * renumbered, because its name is what logs and the Lambda error report carry.
 */

#include <stddef.h>

#define MT_STATUS_LIST(X)                                                      \
    X(MT_OK, "success")                                                        \
    /* core */                                                                 \
    X(MT_ERR_NOMEM, "out of memory")                                           \
    X(MT_ERR_INVALID, "invalid argument")                                      \
    X(MT_ERR_TOO_LARGE, "input exceeds its size limit")                        \
    X(MT_ERR_IO, "input or output failed")                                     \
    X(MT_ERR_PARSE, "input could not be parsed")                               \
    X(MT_ERR_CONFIG, "configuration is missing or invalid")                    \
    X(MT_ERR_NOT_FOUND, "not found")                                           \
    X(MT_ERR_UNSUPPORTED, "not supported in this build")                       \
    X(MT_ERR_BUSY, "too much of this work is already in progress")             \
    X(MT_ERR_STOPPED, "stopped on request")                                    \
    /* event */                                                                \
    X(MT_ERR_NOT_JSON, "document is not valid JSON")                           \
    X(MT_ERR_SCHEMA, "a field is missing or has the wrong type")               \
    X(MT_ERR_UNKNOWN_TYPE, "unknown event type")                               \
    /* store */                                                                \
    X(MT_ERR_STORE, "the event store failed")                                  \
    X(MT_ERR_STORE_VERSION, "the event store was written by a newer mailtrack") \
    X(MT_ERR_PARTIAL, "some rows could not be written")                        \
    /* http and AWS */                                                         \
    X(MT_ERR_HTTP, "HTTP request failed")                                      \
    X(MT_ERR_TIMEOUT, "timed out")                                             \
    X(MT_ERR_AWS, "AWS returned an error")                                     \
    X(MT_ERR_THROTTLED, "AWS throttled the request")                           \
    X(MT_ERR_CREDENTIALS, "no usable AWS credentials")                         \
    /* sns */                                                                  \
    X(MT_ERR_SIGNATURE, "message signature does not verify")                   \
    X(MT_ERR_CERT_URL, "signing certificate URL is not trusted")               \
    X(MT_ERR_TOPIC, "topic is not on the allow-list")                          \
    X(MT_ERR_SUBSCRIBE_URL, "subscription confirmation URL is not trusted")    \
    /* smtp */                                                                 \
    X(MT_ERR_SMTP_AUTH, "SMTP authentication was refused")                     \
    X(MT_ERR_SMTP_REJECTED, "SMTP server rejected the message")                \
    X(MT_ERR_SMTP_TLS, "TLS could not be established")                         \
    X(MT_ERR_CONNECT, "connection failed")                                     \
    X(MT_ERR_RESOLVE, "host name could not be resolved")                       \
    X(MT_ERR_SMTP_PARTIAL, "SMTP server refused some of the recipients")       \
    X(MT_ERR_SMTP, "SMTP exchange failed")                                     \
    /* runtime */                                                              \
    X(MT_ERR_RUNTIME_EXIT, "the Lambda Runtime API asked the runtime to exit")

enum mt_status {
#define MT_STATUS_ENUM(sym, text) sym,
    MT_STATUS_LIST(MT_STATUS_ENUM)
#undef MT_STATUS_ENUM
        MT_STATUS_COUNT
};

/* Size of the detail text, terminating NUL included. */
#define MT_ERR_DETAIL_MAX 256

/* What went wrong, recorded where it went wrong.  Zero-initialise before use. */
struct mt_err {
    enum mt_status code;
    char detail[MT_ERR_DETAIL_MAX]; /* one sentence, no final period; may be empty */
};

/* The symbol of a status, e.g. "MT_ERR_PARSE".  Never NULL. */
const char *mt_status_name(enum mt_status status);

/* A one-sentence English description of a status.  Never NULL. */
const char *mt_status_str(enum mt_status status);

/*
 * Records a failure in err unless err is NULL or already holds one.  The
 * detail is formatted like printf and truncated to fit.  Returns code, so a
 * failing site can write `return mt_err_set(err, MT_ERR_IO, "...", ...);`.
 */
enum mt_status mt_err_set(struct mt_err *err, enum mt_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The detail of err, or the generic text of its code when it has none. */
const char *mt_err_text(const struct mt_err *err);

/* Forgets a recorded failure. */
void mt_err_clear(struct mt_err *err);

#endif
