/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The endpoint's counters and their Prometheus text exposition (format
 * 0.0.4: "# HELP" and "# TYPE" lines, then one sample a line; histograms as
 * cumulative _bucket series with le labels, plus _sum and _count).
 *
 * Counters live behind one mutex: they are touched a few times per request,
 * far less often than the request's own locking, and a consistent snapshot
 * makes /metrics simple.  Process-level metrics (CPU, memory) are left to
 * the node exporter or systemd.
 */
#include "serve_int.h"

#include <string.h>

static const double s_bounds_s[SERVE_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                 0.1,   0.25,   0.5,   1.0,  2.5,   5.0};

static const char *const s_reject_names[REJECT_COUNT] = {
    [REJECT_NOT_FOUND] = "not_found",
    [REJECT_METHOD] = "method",
    [REJECT_TOO_LARGE] = "too_large",
    [REJECT_MALFORMED] = "malformed",
    [REJECT_HEADER_MISMATCH] = "header_mismatch",
    [REJECT_RAW_DELIVERY] = "raw_delivery",
    [REJECT_FORGED] = "forged",
    [REJECT_CERT_UNAVAILABLE] = "cert_unavailable",
    [REJECT_CONFIRM_FAILED] = "confirm_failed",
    [REJECT_STORE] = "store",
    [REJECT_STOPPING] = "stopping",
};

const char *serve_reject_name(enum serve_reject reason)
{
    return (unsigned)reason < REJECT_COUNT ? s_reject_names[reason] : "unknown";
}

void serve_metrics_init(struct serve_metrics *m)
{
    memset(m, 0, sizeof(*m));
    pthread_mutex_init(&m->lock, NULL);
}

void serve_metrics_cleanup(struct serve_metrics *m)
{
    pthread_mutex_destroy(&m->lock);
}

void serve_metrics_reject(struct serve_metrics *m, enum serve_reject reason)
{
    pthread_mutex_lock(&m->lock);
    m->rejects[reason]++;
    pthread_mutex_unlock(&m->lock);
}

void serve_metrics_verify_failure(struct serve_metrics *m, enum mt_sns_reason reason)
{
    pthread_mutex_lock(&m->lock);
    if ((unsigned)reason < MT_SNS_REASON_COUNT)
        m->verify_failures[reason]++;
    pthread_mutex_unlock(&m->lock);
}

void serve_metrics_message(struct serve_metrics *m, enum mt_sns_type type)
{
    pthread_mutex_lock(&m->lock);
    m->messages[type]++;
    pthread_mutex_unlock(&m->lock);
}

void serve_metrics_answer(struct serve_metrics *m, int code, int64_t duration_ms)
{
    double s = (double)duration_ms / 1000.0;
    size_t b = 0;

    while (b < SERVE_BUCKETS && s > s_bounds_s[b])
        b++;
    pthread_mutex_lock(&m->lock);
    if (code >= 100 && code < 600)
        m->by_code[code]++;
    m->latency_buckets[b]++;
    m->latency_sum_s += s;
    m->latency_count++;
    pthread_mutex_unlock(&m->lock);
}

static enum mt_status header(struct mt_buf *out, const char *name, const char *type,
                             const char *help)
{
    return mt_buf_appendf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Writes the counters of a copy taken under the lock. */
static enum mt_status write_counters(const struct serve_metrics *m, struct mt_buf *out)
{
    enum mt_status st = header(out, "mailtrack_http_requests_total", "counter",
                               "HTTP requests answered, by status code.");
    for (int c = 100; c < 600 && st == MT_OK; c++) {
        if (m->by_code[c] > 0)
            st = mt_buf_appendf(out, "mailtrack_http_requests_total{code=\"%d\"} %llu\n", c,
                                (unsigned long long)m->by_code[c]);
    }
    if (st == MT_OK)
        st = header(out, "mailtrack_http_rejects_total", "counter",
                    "Requests refused, by reason.");
    for (int r = 0; r < REJECT_COUNT && st == MT_OK; r++)
        st = mt_buf_appendf(out, "mailtrack_http_rejects_total{reason=\"%s\"} %llu\n",
                            s_reject_names[r], (unsigned long long)m->rejects[r]);
    if (st == MT_OK)
        st = header(out, "mailtrack_sns_verify_failures_total", "counter",
                    "SNS messages that failed verification, by reason.");
    for (int r = MT_SNS_MALFORMED; r < MT_SNS_REASON_COUNT && st == MT_OK; r++)
        st = mt_buf_appendf(out, "mailtrack_sns_verify_failures_total{reason=\"%s\"} %llu\n",
                            mt_sns_reason_name((enum mt_sns_reason)r),
                            (unsigned long long)m->verify_failures[r]);
    if (st == MT_OK)
        st = header(out, "mailtrack_sns_messages_total", "counter",
                    "Verified SNS messages, by type.");
    for (int t = 0; t < 3 && st == MT_OK; t++)
        st = mt_buf_appendf(out, "mailtrack_sns_messages_total{type=\"%s\"} %llu\n",
                            mt_sns_type_name((enum mt_sns_type)t),
                            (unsigned long long)m->messages[t]);
    return st;
}

/* Writes what the writer reported about the store. */
static enum mt_status write_store(const struct serve_metrics *m, struct mt_buf *out)
{
    const struct mt_ingest_stats *i = &m->ingest;
    enum mt_status st = header(out, "mailtrack_events_stored_total", "counter",
                               "Rows stored, by SES event type.");
    for (int t = 0; t < MT_EVENT_TYPE_COUNT && st == MT_OK; t++)
        st = mt_buf_appendf(out, "mailtrack_events_stored_total{event_type=\"%s\"} %zu\n",
                            mt_event_type_name((enum mt_event_type)t), i->rows_by_type[t]);
    if (st == MT_OK)
        st = header(out, "mailtrack_rows_duplicate_total", "counter",
                    "Rows that were already stored (SNS redelivery).");
    if (st == MT_OK)
        st = mt_buf_appendf(out, "mailtrack_rows_duplicate_total %zu\n", i->rows_duplicate);
    if (st == MT_OK)
        st = header(out, "mailtrack_documents_quarantined_total", "counter",
                    "Verified messages whose content was rejected and kept in the quarantine.");
    if (st == MT_OK)
        st = mt_buf_appendf(out, "mailtrack_documents_quarantined_total %zu\n", i->rejected);
    if (st == MT_OK)
        st = header(out, "mailtrack_store_commits_total", "counter",
                    "Store commits (each may hold several requests).");
    if (st == MT_OK)
        st = mt_buf_appendf(out, "mailtrack_store_commits_total %llu\n",
                            (unsigned long long)m->commits);
    if (st == MT_OK)
        st = header(out, "mailtrack_http_requests_in_flight", "gauge",
                    "Requests being handled now.");
    if (st == MT_OK)
        st = mt_buf_appendf(out, "mailtrack_http_requests_in_flight %ld\n", m->in_flight);
    return st;
}

static enum mt_status write_histogram(const struct serve_metrics *m, struct mt_buf *out)
{
    const char *name = "mailtrack_http_request_duration_seconds";
    uint64_t cumulative = 0;
    enum mt_status st = header(out, name, "histogram",
                               "Time from the first byte of a request to its answer.");

    for (size_t b = 0; b < SERVE_BUCKETS && st == MT_OK; b++) {
        cumulative += m->latency_buckets[b];
        st = mt_buf_appendf(out, "%s_bucket{le=\"%g\"} %llu\n", name, s_bounds_s[b],
                            (unsigned long long)cumulative);
    }
    cumulative += m->latency_buckets[SERVE_BUCKETS];
    if (st == MT_OK)
        st = mt_buf_appendf(out, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n",
                            name, (unsigned long long)cumulative, name, m->latency_sum_s, name,
                            (unsigned long long)m->latency_count);
    return st;
}

enum mt_status mt_serve_metrics(struct mt_serve *s, struct mt_buf *out)
{
    struct serve_metrics copy;

    pthread_mutex_lock(&s->metrics.lock);
    copy = s->metrics;
    pthread_mutex_unlock(&s->metrics.lock);

    enum mt_status st = write_counters(&copy, out);
    if (st == MT_OK)
        st = write_store(&copy, out);
    if (st == MT_OK)
        st = write_histogram(&copy, out);
    return st;
}
