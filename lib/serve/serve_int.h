/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_SERVE_INT_H
#define MT_SERVE_INT_H

/* Shared between the files of the serve component only. */

#include "mt/ingest.h"
#include "mt/serve.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Why a request was refused, for the rejects metric. */
enum serve_reject {
    REJECT_NOT_FOUND,
    REJECT_METHOD,
    REJECT_TOO_LARGE,
    REJECT_MALFORMED,
    REJECT_HEADER_MISMATCH,
    REJECT_RAW_DELIVERY,
    REJECT_FORGED,           /* failed verification (see the verify failures metric) */
    REJECT_CERT_UNAVAILABLE,
    REJECT_CONFIRM_FAILED,
    REJECT_STORE,
    REJECT_STOPPING,
    REJECT_COUNT
};

/* Latency buckets of the histogram, upper bounds in seconds; +Inf is implicit. */
#define SERVE_BUCKETS 12

/* Counters behind /metrics; guarded by lock. */
struct serve_metrics {
    pthread_mutex_t lock;
    uint64_t by_code[600];            /* answers by HTTP status code */
    uint64_t rejects[REJECT_COUNT];
    uint64_t verify_failures[MT_SNS_REASON_COUNT];
    uint64_t messages[3];             /* verified messages by enum mt_sns_type */
    uint64_t latency_buckets[SERVE_BUCKETS + 1]; /* cumulative counts are computed on output */
    double latency_sum_s;
    uint64_t latency_count;
    uint64_t commits;                 /* store commits made by the writer */
    long in_flight;
    struct mt_ingest_stats ingest;    /* the writer's snapshot after each commit */
};

void serve_metrics_init(struct serve_metrics *m);
void serve_metrics_cleanup(struct serve_metrics *m);
void serve_metrics_reject(struct serve_metrics *m, enum serve_reject reason);
void serve_metrics_verify_failure(struct serve_metrics *m, enum mt_sns_reason reason);
void serve_metrics_message(struct serve_metrics *m, enum mt_sns_type type);

/* Records one answered request: its status code and duration. */
void serve_metrics_answer(struct serve_metrics *m, int code, int64_t duration_ms);

/* The label of a reject reason, e.g. "too_large". */
const char *serve_reject_name(enum serve_reject reason);

/* One Notification waiting for the writer. */
struct write_job {
    struct mt_str message;
    struct mt_sns_meta meta;
    const char *remote;    /* the client's address, for notices */
    enum mt_status status; /* set by the writer */
    struct mt_err err;
    bool done;
    struct write_job *next;
};

/* The single writer thread and its queue. */
struct serve_writer {
    pthread_mutex_t lock;
    pthread_cond_t work; /* signalled when a job is queued or stop is asked */
    pthread_cond_t done; /* broadcast when a commit finished */
    struct write_job *head, *tail;
    bool stopping;
    bool started;
    pthread_t thread;
    struct mt_ingest *ingest;
    size_t group_max;
    struct serve_metrics *metrics;
    const struct write_job *current; /* being ingested; read only on the writer thread */
};

/* Starts the writer on an ingest over store.  MT_ERR_NOMEM. */
enum mt_status serve_writer_start(struct serve_writer *w, struct mt_store *store,
                                  size_t group_max, struct serve_metrics *metrics,
                                  const struct mt_ingest_options *ingest_options,
                                  struct mt_err *err);

/* Queues job and waits until its commit finished; returns job->status. */
enum mt_status serve_writer_submit(struct serve_writer *w, struct write_job *job);

/* Lets the writer finish what it was given, then joins and releases it. */
void serve_writer_stop(struct serve_writer *w);

/* Room for the SNS path, its terminating NUL included. */
#define SERVE_PATH_SIZE 256

struct mt_serve {
    struct mt_serve_options options; /* with defaults filled in */
    char path[SERVE_PATH_SIZE];
    struct MHD_Daemon *daemon;
    unsigned port;
    struct mt_buf tls_cert, tls_key; /* kept while the daemon runs */
    struct serve_metrics metrics;
    struct serve_writer writer;
    bool stopping; /* set once stop began; guarded by metrics.lock */
};

/* What a handler decided: the status code and a short plain-text body. */
struct serve_answer {
    int code;
    const char *text;
};

/*
 * Handles the body of a POST to the SNS path.  headers are looked up on
 * conn; remote names the client for notices.
 */
struct serve_answer serve_handle_sns(struct mt_serve *s, struct MHD_Connection *conn,
                                     struct mt_str body, const char *remote);

/* Sends a notice to the front end, if it asked for them. */
void serve_notify(const struct mt_serve *s, const struct mt_serve_notice *n);

#endif
