/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_RUNTIME_H
#define MT_RUNTIME_H

/*
 * A client of the AWS Lambda Runtime API (version 2018-06-01): fetch the
 * next invocation, post its response or its error, and report a failed
 * start-up.  It speaks plain HTTP/1.1 to the local endpoint named by
 * AWS_LAMBDA_RUNTIME_API ("host:port"; a name is resolved once) over one
 * reused TCP connection, opened again when the peer closes it or after a
 * failure.  Header names are matched in any case; event bodies framed by
 * Content-Length or chunked transfer coding are both read.
 *
 * The long poll for the next invocation has no overall timeout, because the
 * sandbox is frozen between invocations and a timer would fire on thaw; it
 * has a short connect timeout and never uses a proxy.  Every post is sent
 * with Content-Length and no Expect header, so nothing waits for "100
 * Continue".  A call that fails on the network (connection refused, reset
 * or closed without an answer, a malformed answer, a post timing out) is
 * retried with capped exponential backoff, a bounded number of times.  An answer of 500
 * means the execution environment is broken: MT_ERR_RUNTIME_EXIT tells the
 * caller to exit at once.  Other refusals (400, 403, 413) are not retried.
 *
 * This component does not run handlers or decide what to do when a post
 * fails for good (the front end's loop does, in lambda/main.c), and it logs
 * at debug level only.  It never logs or reports event payloads.
 *
 * Thread-safety: one client, one thread; a runtime makes one call at a time.
 */

#include "mt/buf.h"
#include "mt/status.h"

#include <stddef.h>
#include <stdint.h>

/* Defaults used where an option is left 0. */
#define MT_RUNTIME_DEFAULT_CONNECT_TIMEOUT_MS 1000
#define MT_RUNTIME_DEFAULT_POST_TIMEOUT_MS 10000
#define MT_RUNTIME_DEFAULT_MAX_ATTEMPTS 5
#define MT_RUNTIME_DEFAULT_BACKOFF_BASE_MS 20
#define MT_RUNTIME_DEFAULT_BACKOFF_CAP_MS 1000
/* Lambda's largest synchronous payload is 6 MB; a little room for slack. */
#define MT_RUNTIME_DEFAULT_MAX_EVENT_BYTES ((size_t)7 << 20)

/* Client settings; zero-initialise and set what differs from the defaults. */
struct mt_runtime_options {
    const char *api_address;     /* "host:port" (copied); NULL: $AWS_LAMBDA_RUNTIME_API */
    int64_t connect_timeout_ms;  /* per connection; 0: 1000 */
    int64_t post_timeout_ms;     /* whole post, per attempt; 0: 10000 */
    int max_attempts;            /* per call, first included; 0: 5 */
    int64_t backoff_base_ms;     /* wait before the 2nd attempt; doubles each time; 0: 20 */
    int64_t backoff_cap_ms;      /* longest wait; 0: 1000 */
    size_t max_event_bytes;      /* largest event accepted; 0: 7 MiB */
};

/* Longest request id, ARN and trace header kept; longer ones are refused. */
#define MT_RUNTIME_ID_MAX 128
#define MT_RUNTIME_ARN_MAX 256
#define MT_RUNTIME_TRACE_MAX 512

/* One invocation, as /runtime/invocation/next delivered it. */
struct mt_runtime_invocation {
    char request_id[MT_RUNTIME_ID_MAX];     /* Lambda-Runtime-Aws-Request-Id */
    int64_t deadline_epoch_ms;              /* Lambda-Runtime-Deadline-Ms; 0 when absent */
    int64_t received_ms;                    /* mt_time_monotonic_ms when it arrived */
    char function_arn[MT_RUNTIME_ARN_MAX];  /* Lambda-Runtime-Invoked-Function-Arn; may be "" */
    char trace_id[MT_RUNTIME_TRACE_MAX];    /* Lambda-Runtime-Trace-Id; may be "" */
    struct mt_buf event;                    /* the event JSON, verbatim, NUL-terminated */
};

/* Prepares an empty invocation.  Allocates nothing. */
void mt_runtime_invocation_init(struct mt_runtime_invocation *inv);

/* Releases the event buffer. */
void mt_runtime_invocation_cleanup(struct mt_runtime_invocation *inv);

/*
 * The invocation's deadline on mt_time_monotonic_ms, margin_ms early, for
 * mt_deadline_set or an HTTP request's deadline_ms.  An invocation without a
 * deadline header gets received_ms + 15 minutes (Lambda's longest timeout).
 * Never earlier than received_ms + 1, so a late arrival still fails fast
 * rather than running unbounded.
 */
int64_t mt_runtime_invocation_deadline_ms(const struct mt_runtime_invocation *inv,
                                          int64_t margin_ms);

struct mt_runtime;

/*
 * Creates a client.  MT_ERR_CONFIG when no address is given and
 * AWS_LAMBDA_RUNTIME_API is unset, or when the address is not "host:port"
 * (host a DNS name, an IPv4 address or a bracketed IPv6 address);
 * MT_ERR_INVALID on negative options; MT_ERR_NOMEM.  *out is NULL on
 * failure.  Resolves and sends nothing.
 */
enum mt_status mt_runtime_new(const struct mt_runtime_options *options, struct mt_runtime **out,
                              struct mt_err *err);

/* Closes the connection and releases the client.  NULL does nothing. */
void mt_runtime_free(struct mt_runtime *rt);

/*
 * Waits for the next invocation and fills inv (its event replaced), then
 * sets _X_AMZN_TRACE_ID to the trace header (unsets it when absent).
 *
 * Returns MT_OK; MT_ERR_RUNTIME_EXIT on a 500 (exit now); MT_ERR_TOO_LARGE
 * when the event exceeds max_event_bytes (inv->request_id is filled, so the
 * caller can post an error for it) or when the answer's head passes 64 KiB
 * or 100 lines; MT_ERR_PARSE when the answer lacks a usable request id;
 * MT_ERR_CONNECT, MT_ERR_HTTP or MT_ERR_TIMEOUT when the endpoint stays
 * unreachable or answers otherwise after every attempt.
 */
enum mt_status mt_runtime_next(struct mt_runtime *rt, struct mt_runtime_invocation *inv,
                               struct mt_err *err);

/*
 * Posts the invocation's response body (JSON; borrowed).  MT_OK on 202;
 * MT_ERR_RUNTIME_EXIT on 500; MT_ERR_TOO_LARGE on 413; MT_ERR_HTTP on any
 * other refusal or when every attempt failed on the network.
 */
enum mt_status mt_runtime_respond(struct mt_runtime *rt, const struct mt_runtime_invocation *inv,
                                  struct mt_str body, struct mt_err *err);

/*
 * Posts an invocation error: the body {"errorMessage": message, "errorType":
 * error_type, "stackTrace": []} and the header
 * Lambda-Runtime-Function-Error-Type: error_type.  Both strings are
 * borrowed; error_type should be one word (e.g. a status name).  Returns as
 * mt_runtime_respond, or MT_ERR_INVALID, sending nothing, when error_type is
 * empty, longer than 100 bytes or holds a control character.
 */
enum mt_status mt_runtime_fail(struct mt_runtime *rt, const struct mt_runtime_invocation *inv,
                               const char *error_type, const char *message, struct mt_err *err);

/*
 * Reports that start-up failed (POST /runtime/init/error), with the same
 * body and header as mt_runtime_fail.  The caller should exit non-zero
 * afterwards.  Returns as mt_runtime_respond.
 */
enum mt_status mt_runtime_init_fail(struct mt_runtime *rt, const char *error_type,
                                    const char *message, struct mt_err *err);

/* Connections the client has opened so far (1 while one is reused). */
long mt_runtime_connections(const struct mt_runtime *rt);

#endif
