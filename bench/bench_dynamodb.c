/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DynamoDB store throughput and report memory against dynalite.
 *
 *   bench_dynamodb [ROWS]     (default 100000)
 *
 * Starts dynalite on 127.0.0.1 (tests/peers/stand-ins.mjs), writes ROWS
 * synthetic delivery rows spread over one ISO week through put_rows in
 * batches of 2000 (as ingest does), then runs the weekly report (query of
 * 7 x 16 partitions, merge, CSV to /dev/null) in a child process so that its
 * peak resident memory is measured apart from the writing.  Prints one JSON
 * line: rows, write rows/s, report rows/s, the report's peak RSS in KiB.
 * The report's memory is bounded by pages and runs, not rows, so the RSS
 * should be about the same at 10^5 and 10^6 rows.  dynalite keeps
 * everything in node's memory and is itself the bottleneck: the figures
 * measure mailtrack plus the stand-in, not DynamoDB.
 */
#include "mt/clock.h"
#include "mt/report.h"
#include "mt/store.h"
#include "peers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define BATCH 2000

/* 2026-11-23T00:00:00Z, a Monday: the start of 2026-W48. */
#define WEEK_START INT64_C(1795392000000)

static struct mt_row make_row(size_t i, char *msg, size_t msg_size, char *rcpt, size_t rcpt_size)
{
    struct mt_row r;
    memset(&r, 0, sizeof(r));
    snprintf(msg, msg_size, "0100019c%08zx-bench-%06zu", i / 3, i / 3);
    snprintf(rcpt, rcpt_size, "user%zu@example.test", i % 1000);
    r.event_time_ms = WEEK_START + (int64_t)((i * 7919) % (7 * 86400000LL - 1));
    r.type = MT_EVENT_DELIVERY;
    r.col[MT_COL_EVENT_TYPE] = MT_STR_LIT("Delivery");
    r.col[MT_COL_MESSAGE_ID] = mt_str_from_cstr(msg);
    r.col[MT_COL_RECIPIENT] = mt_str_from_cstr(rcpt);
    r.col[MT_COL_SOURCE] = MT_STR_LIT("news@example.test");
    r.col[MT_COL_SUBJECT] = MT_STR_LIT("Weekly news, issue 48");
    r.col[MT_COL_SMTP_RESPONSE] = MT_STR_LIT("250 2.0.0 OK");
    mt_row_compute_key(&r);
    return r;
}

static struct mt_store *open_store(void)
{
    struct mt_store *store = NULL;
    struct mt_err err = {0};
    if (mt_store_open("dynamodb://bench", NULL, &store, &err) != MT_OK) {
        fprintf(stderr, "bench_dynamodb: %s\n", mt_err_text(&err));
        exit(1);
    }
    return store;
}

static double write_rows(struct mt_store *store, size_t rows)
{
    static struct mt_row batch[BATCH];
    static char msgs[BATCH][80];
    static char rcpts[BATCH][80];
    static enum mt_put_outcome outcomes[BATCH];
    struct mt_err err = {0};
    int64_t start = mt_time_monotonic_ms();

    for (size_t done = 0; done < rows;) {
        size_t n = rows - done < BATCH ? rows - done : BATCH;
        for (size_t i = 0; i < n; i++)
            batch[i] = make_row(done + i, msgs[i], sizeof(msgs[i]), rcpts[i], sizeof(rcpts[i]));
        if (store->ops->put_rows(store, batch, n, outcomes, &err) != MT_OK) {
            fprintf(stderr, "bench_dynamodb: %s\n", mt_err_text(&err));
            exit(1);
        }
        done += n;
    }
    int64_t ms = mt_time_monotonic_ms() - start;
    return (double)rows * 1000.0 / (double)(ms ? ms : 1);
}

static enum mt_status discard(struct mt_output_object *obj, const char *data, size_t len)
{
    (void)obj;
    (void)data;
    (void)len;
    return MT_OK;
}

/* The report in this (child) process; exits 0 and prints rows and ms on stdout. */
static void report_child(int fd)
{
    struct mt_store *store = open_store();
    struct mt_output_object sink = {.write = discard};
    struct mt_report_run run = {.store = store};
    struct mt_err err = {0};
    int64_t start = mt_time_monotonic_ms();

    mt_report_window_week((struct mt_iso_week){2026, 48}, &run.window);
    if (mt_report_write_csv(&run, &sink, &err) != MT_OK) {
        fprintf(stderr, "bench_dynamodb: report: %s\n", mt_err_text(&err));
        _exit(1);
    }
    long long ms = (long long)(mt_time_monotonic_ms() - start);
    dprintf(fd, "%zu %lld\n", run.summary.rows, ms);
    mt_store_close(store);
    _exit(0);
}

int main(int argc, char **argv)
{
    size_t rows = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 100000;
    const char *args[] = {"--dynamodb", NULL};
    struct mt_peers peers;
    struct mt_err err = {0};
    int pipefd[2];

    if (mt_peers_start(&peers, args, &err) != MT_OK) {
        fprintf(stderr, "bench_dynamodb: %s\n", mt_err_text(&err));
        return 1;
    }
    setenv("AWS_ACCESS_KEY_ID", "AKIDBENCH", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "bench", 1);
    setenv("AWS_REGION", "us-east-1", 1);
    setenv("AWS_ENDPOINT_URL_DYNAMODB", peers.dynamodb, 1);

    struct mt_store *store = open_store();
    if (store->ops->setup(store, &err) != MT_OK) {
        fprintf(stderr, "bench_dynamodb: setup: %s\n", mt_err_text(&err));
        return 1;
    }
    double write_rate = write_rows(store, rows);
    mt_store_close(store);

    struct rusage usage;
    int status = 0;
    size_t got = 0;
    long long ms = 0;
    if (pipe(pipefd) != 0)
        return 1;
    pid_t pid = fork();
    if (pid == 0)
        report_child(pipefd[1]);
    close(pipefd[1]);
    FILE *in = fdopen(pipefd[0], "r");
    if (in == NULL || fscanf(in, "%zu %lld", &got, &ms) != 2)
        got = 0;
    wait4(pid, &status, 0, &usage);
    mt_peers_stop(&peers);
    printf("{\"bench\":\"dynamodb\",\"rows\":%zu,\"write_rows_per_s\":%.0f,\"report_rows\":%zu,"
           "\"report_rows_per_s\":%.0f,\"report_peak_rss_kib\":%ld}\n",
           rows, write_rate, got, (double)got * 1000.0 / (double)(ms ? ms : 1),
           usage.ru_maxrss);
    return got == rows && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
