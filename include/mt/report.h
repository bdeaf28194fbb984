/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_REPORT_H
#define MT_REPORT_H

/*
 * The weekly report: a time window, the rows a store holds for it written
 * as CSV, and a summary of the sending reputation they show.
 *
 * A week is an ISO week in UTC, from Monday 00:00:00.000 inclusive to the
 * next Monday exclusive; any [from, to) window can be reported too.  The CSV
 * has the columns of MT_COLUMN_LIST in order, one header row, rows in report
 * order (mt_row_cmp).  The summary counts rows per event type and sets the
 * bounce and complaint rates against the levels at which SES reviews or
 * pauses an account.  Output goes through struct mt_output, so a report can
 * land in a file, a folder, stdout or S3 with the same code.
 */

#include "mt/buf.h"
#include "mt/clock.h"
#include "mt/event.h"
#include "mt/status.h"
#include "mt/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A half-open window [from_ms, to_ms) with a label for file names. */
struct mt_report_window {
    int64_t from_ms;
    int64_t to_ms;
    char label[64]; /* "2026-W48", or "20261123T000000Z-20261130T000000Z" */
};

/* The window of an ISO week. */
void mt_report_window_week(struct mt_iso_week week, struct mt_report_window *out);

/* The ISO week before the one that contains now_ms. */
void mt_report_window_last_week(int64_t now_ms, struct mt_report_window *out);

/*
 * A window between two ISO-8601 times (see mt_time_parse_iso).  MT_ERR_PARSE
 * when either does not parse, MT_ERR_INVALID when from is not before to.
 */
enum mt_status mt_report_window_range(struct mt_str from, struct mt_str to,
                                      struct mt_report_window *out, struct mt_err *err);

/* Writes "email-events-<label><suffix>" into out, e.g. suffix ".csv". */
void mt_report_file_name(const struct mt_report_window *window, const char *suffix, char *out,
                         size_t size);

/* SES's published levels (SES developer guide, "Sending review process FAQs"). */
#define MT_SES_BOUNCE_REVIEW 0.05
#define MT_SES_BOUNCE_PAUSE 0.10
#define MT_SES_COMPLAINT_REVIEW 0.001
#define MT_SES_COMPLAINT_PAUSE 0.005

/* What a window's rows add up to. */
struct mt_report_summary {
    size_t rows;
    size_t by_type[MT_EVENT_TYPE_COUNT];
    size_t bounces_permanent;
    size_t recipients_sent;   /* Send rows; deliveries + bounces when there are none */
    double delivery_rate;     /* each rate is a fraction of recipients_sent; 0 when none */
    double bounce_rate;
    double permanent_bounce_rate;
    double complaint_rate;
};

/* "ok", "review" or "pause" for a rate against its two levels. */
const char *mt_report_level(double rate, double review, double pause);

/* One file-like object being written, e.g. the CSV. */
struct mt_output_object {
    enum mt_status (*write)(struct mt_output_object *obj, const char *data, size_t len);
    /*
     * Optional (NULL: nothing to do): stores everything written, so that
     * commit has only to publish it and fails only in rare cases.  After a
     * failure the object can only be aborted.
     */
    enum mt_status (*prepare)(struct mt_output_object *obj, struct mt_err *err);
    /* Makes the object visible under its final name; frees obj. */
    enum mt_status (*commit)(struct mt_output_object *obj, struct mt_err *err);
    /* Discards what was written; frees obj. */
    void (*abort)(struct mt_output_object *obj);
    char *location; /* where it ends up, for messages: a path, "-" or a URL; owned */
    int error;      /* errno of a failed local write, 0 when unknown or none */
};

/* Where a report's files go. */
struct mt_output {
    /* Opens name (a file name such as the default report name) for writing. */
    enum mt_status (*open)(struct mt_output *out, const char *name, const char *content_type,
                           struct mt_output_object **obj, struct mt_err *err);
    void (*close)(struct mt_output *out);
    /*
     * The CSV goes to a stream (standard output, a device, a pipe) that is
     * written in place; no companion file is written.
     */
    bool single_stream;
};

/*
 * Opens a target:
 *   - "s3://bucket/prefix/" writes each file as an object <prefix><name>
 *     (SSE-S3, or SSE-KMS under S3_SSE_KMS_KEY_ID; credentials, region and
 *     endpoint as aws.h finds them);
 *   - "-" is standard output, and an existing device, pipe or socket is
 *     written in place; either receives the CSV alone;
 *   - an existing folder, or a path ending in '/', receives files under
 *     their default names;
 *   - anything else is a file name for the CSV, with companion files beside
 *     it ("out.csv" gets "out.summary.json"); a symbolic link is followed, so
 *     the file it points to is replaced and the link stays.
 * Files are written to a temporary name and renamed when committed, so a
 * reader never sees half a report and a re-run replaces the old one whole.
 */
enum mt_status mt_output_open(const char *target, struct mt_output **out, struct mt_err *err);

/* Closes an output.  NULL does nothing. */
void mt_output_close(struct mt_output *out);

/*
 * Removes the temporary file of a local output being written, if any.  Safe
 * to call from a signal handler (it only calls unlink), so a report stopped
 * by SIGINT or SIGTERM leaves nothing behind.  A process killed outright
 * (SIGKILL) leaves its "NAME.tmp.XXXXXX" file, which is safe to delete.
 */
void mt_output_remove_temporary(void);

/* Calls fn for each row of the window, in order, and counts them into summary. */
struct mt_report_run {
    struct mt_store *store;              /* borrowed */
    struct mt_report_window window;
    struct mt_report_summary summary;    /* filled by mt_report_write_csv */
};

/*
 * Queries the store for the window and writes the CSV to obj (header row
 * first), filling run->summary.  Does not commit obj.
 */
enum mt_status mt_report_write_csv(struct mt_report_run *run, struct mt_output_object *obj,
                                   struct mt_err *err);

/* The summary as a JSON object (one line, keys in a fixed order). */
enum mt_status mt_report_summary_json(const struct mt_report_run *run, struct mt_buf *out);

/* The summary as text for a person, several lines. */
enum mt_status mt_report_summary_text(const struct mt_report_run *run, struct mt_buf *out);

/*
 * The whole job: opens the CSV under the default name in out, writes and
 * commits it, then (unless out is standard output) the summary JSON beside
 * it.  csv_location receives where the CSV went (may be NULL).
 */
enum mt_status mt_report_generate(struct mt_report_run *run, struct mt_output *out,
                                  struct mt_buf *csv_location, struct mt_err *err);

#endif
