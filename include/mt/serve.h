/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_SERVE_H
#define MT_SERVE_H

/*
 * The HTTP(S) endpoint that Amazon SNS posts to, on libmicrohttpd.
 *
 * Routes:
 *   POST <path>    an SNS message (default path "/sns");
 *   GET  /healthz  "ok" while the server runs;
 *   GET  /metrics  Prometheus text format (version 0.0.4).
 *
 * Every SNS message is verified (sns.h) before anything else happens to it.
 * Answers: 200 once a Notification's rows are durably stored, a
 * SubscriptionConfirmation is confirmed, or an UnsubscribeConfirmation is
 * noted; 400 for a body that is not an SNS message or whose
 * x-amz-sns-message-type (or -message-id, -topic-arn) header disagrees with
 * it, and with Connection: close for a request with both Content-Length and
 * Transfer-Encoding or with several Content-Length headers; 403 for a
 * message that fails verification, a foreign topic, or raw delivery
 * (unsigned); 413 for a body over the limit, refused by Content-Length
 * before reading or while streaming; 404 and 405 for other paths and
 * methods; 500 when the store fails and 503 when the signing certificate or
 * the confirmation cannot be fetched, or the server is stopping, so SNS
 * retries.
 *
 * Rows are written by one writer thread with group commit: requests that
 * arrive while a commit runs are stored together in the next one, and each
 * is answered only after the commit that holds its rows.  Unverified input is
 * never written anywhere, not even to the quarantine.
 *
 * Thread-safety: start and stop from one thread; the callbacks are called
 * from the server's threads, several at once.
 */

#include "mt/buf.h"
#include "mt/sns.h"
#include "mt/status.h"
#include "mt/store.h"

#include <stddef.h>

/* Something the front end should log; every field may be NULL but event. */
struct mt_serve_notice {
    const char *event;      /* stable name, e.g. "sns_rejected", "sns_unsubscribed" */
    int http_status;        /* the answer given; 0 when not tied to a request */
    const char *reason;     /* label, e.g. "signature", "malformed", "too_large" */
    const char *detail;     /* one sentence */
    const char *remote;     /* client address */
    const char *message_id; /* SNS MessageId when known */
    const char *topic_arn;  /* when known */
};

/* Receives notices; must be thread-safe. */
typedef void (*mt_serve_notice_fn)(void *ctx, const struct mt_serve_notice *notice);

/*
 * Confirms a subscription by requesting subscribe_url, which has passed
 * mt_sns_url_check.  MT_OK once SNS answered 200; must be thread-safe.
 */
typedef enum mt_status (*mt_serve_confirm_fn)(void *ctx, const char *subscribe_url,
                                              struct mt_err *err);

/* Server settings; zero-initialise and set what differs from the defaults. */
struct mt_serve_options {
    const char *address;          /* IPv4 or IPv6 literal; NULL: "127.0.0.1" */
    unsigned port;                /* 0: any free port (see mt_serve_port) */
    const char *path;             /* SNS path, starting '/'; NULL: "/sns" */
    const char *tls_cert_file;    /* PEM certificate chain; with tls_key_file turns on TLS */
    const char *tls_key_file;     /* PEM private key */
    unsigned threads;             /* request threads; 0: 4 */
    size_t max_body_bytes;        /* 0: MT_SNS_MAX_BODY (256 KiB) */
    unsigned connection_timeout_s; /* idle connections closed after; 0: 30 */
    /*
     * Connections one client address may hold open at once.  0: 32 when
     * listening on a public address, no limit on loopback (where a reverse
     * proxy connects from one address for every client).
     */
    unsigned per_ip_connection_limit;
    unsigned drain_timeout_ms;    /* how long stop waits for requests in flight; 0: 10000 */
    size_t commit_group_max;      /* messages per store commit; 0: 64; 1: commit each alone */

    struct mt_sns_verifier *verifier; /* required; borrowed */
    struct mt_store *store;           /* required; borrowed; only the writer thread uses it */
    mt_serve_confirm_fn confirm;      /* required to confirm subscriptions */
    void *confirm_ctx;
    mt_serve_notice_fn notice;        /* optional */
    void *notice_ctx;
};

struct mt_serve;

/*
 * What is wrong with path as the SNS path, as words that follow the quoted
 * path in a message (e.g. "does not start with '/'"); NULL when it is fine.
 * It must start with '/', be under 256 bytes, and be neither /healthz nor
 * /metrics.  mt_serve_start applies the same rules.
 */
const char *mt_serve_path_problem(const char *path);

/* Likewise for the listening address, which must be an IPv4 or IPv6 literal. */
const char *mt_serve_address_problem(const char *address);

/*
 * Starts listening and serving in background threads.  MT_ERR_CONFIG for a
 * bad address, path or option combination; MT_ERR_IO when a TLS file cannot
 * be read; MT_ERR_UNSUPPORTED when TLS is asked for and libmicrohttpd was
 * built without it; MT_ERR_CONNECT when the address cannot be bound;
 * MT_ERR_NOMEM.  *out is NULL on failure.
 */
enum mt_status mt_serve_start(const struct mt_serve_options *options, struct mt_serve **out,
                              struct mt_err *err);

/* The port the server listens on (the chosen one when options.port was 0). */
unsigned mt_serve_port(const struct mt_serve *serve);

/*
 * Appends the metrics in Prometheus text format to out: requests by status
 * code, rejects by reason, verification failures by reason, SNS messages by
 * type, rows stored by SES event type, duplicates, quarantined documents,
 * requests in flight and a request latency histogram.  MT_ERR_NOMEM or
 * MT_ERR_TOO_LARGE from out.
 */
enum mt_status mt_serve_metrics(struct mt_serve *serve, struct mt_buf *out);

/*
 * Stops gracefully and releases the server: stops accepting connections,
 * waits up to drain_timeout_ms for requests in flight to be answered, closes
 * the rest, then lets the writer finish every commit it was given.  Every
 * request answered 200 has its rows stored when this returns; the store
 * itself stays open (the caller owns it).  NULL does nothing.
 */
void mt_serve_stop(struct mt_serve *serve);

#endif
