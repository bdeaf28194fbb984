/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The single writer: verified Notifications go through one ingest into the
 * store, several per commit.
 *
 * Request threads queue a job and wait.  The writer takes up to group_max
 * queued jobs, ingests each, flushes once (one transaction, one fsync under
 * synchronous=FULL), and only then marks the jobs done, so an answer of 200
 * always follows a durable commit.  Requests that arrive during a commit
 * form the next group, which is how the commit cost is shared under load
 * while a lone request waits for no timer.
 *
 * If anything in a group fails, every job of the group is answered with the
 * failure: some of its rows may have been stored, but SNS redelivers and the
 * store is idempotent, so the retry stores exactly what is missing.
 */
#include "serve_int.h"

#include "mt/log.h"

#include <stdio.h>
#include <string.h>

/* Ingests and commits one group; returns its status and fills err. */
static enum mt_status commit_group(struct serve_writer *w, struct write_job *group,
                                   struct mt_err *err)
{
    enum mt_status st = MT_OK;

    for (struct write_job *j = group; j != NULL; j = j->next) {
        /* What quarantine shows as the source: the SNS message it came in. */
        char source[160];
        snprintf(source, sizeof(source), "sns:%.*s",
                 (int)(j->meta.message_id.len > 128 ? 128 : j->meta.message_id.len),
                 j->meta.message_id.ptr ? j->meta.message_id.ptr : "");
        w->current = j;
        enum mt_status one = mt_ingest_message(w->ingest, j->message, &j->meta, source, err);
        w->current = NULL;
        if (st == MT_OK)
            st = one;
    }
    enum mt_status flushed = mt_ingest_flush(w->ingest, err);
    if (st == MT_OK)
        st = flushed;

    pthread_mutex_lock(&w->metrics->lock);
    w->metrics->ingest = *mt_ingest_get_stats(w->ingest);
    w->metrics->commits++;
    pthread_mutex_unlock(&w->metrics->lock);
    return st;
}

/* Detaches up to group_max jobs from the queue; the lock is held. */
static struct write_job *take_group(struct serve_writer *w)
{
    struct write_job *group = w->head, *last = w->head;

    for (size_t n = 1; n < w->group_max && last->next != NULL; n++)
        last = last->next;
    w->head = last->next;
    if (w->head == NULL)
        w->tail = NULL;
    last->next = NULL;
    return group;
}

static void *writer_main(void *arg)
{
    struct serve_writer *w = arg;

    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (w->head == NULL && !w->stopping)
            pthread_cond_wait(&w->work, &w->lock);
        if (w->head == NULL)
            break;
        struct write_job *group = take_group(w);
        pthread_mutex_unlock(&w->lock);

        struct mt_err err = {0};
        enum mt_status st = commit_group(w, group, &err);
        if (st != MT_OK)
            MT_LOG(MT_LOG_DEBUG, "serve", "store_commit_failed", "%s", mt_err_text(&err));

        pthread_mutex_lock(&w->lock);
        for (struct write_job *j = group, *next; j != NULL; j = next) {
            next = j->next; /* the job belongs to its waiter once done is set */
            j->status = st;
            j->err = err;
            j->done = true;
        }
        pthread_cond_broadcast(&w->done);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

enum mt_status serve_writer_start(struct serve_writer *w, struct mt_store *store,
                                  size_t group_max, struct serve_metrics *metrics,
                                  const struct mt_ingest_options *ingest_options,
                                  struct mt_err *err)
{
    memset(w, 0, sizeof(*w));
    w->group_max = group_max;
    w->metrics = metrics;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->work, NULL);
    pthread_cond_init(&w->done, NULL);

    w->ingest = mt_ingest_new(store, ingest_options);
    if (w->ingest == NULL)
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory creating the ingest");
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0)
        return mt_err_set(err, MT_ERR_NOMEM, "cannot start the writer thread");
    w->started = true;
    return MT_OK;
}

enum mt_status serve_writer_submit(struct serve_writer *w, struct write_job *job)
{
    job->next = NULL;
    job->done = false;

    pthread_mutex_lock(&w->lock);
    if (w->stopping) {
        pthread_mutex_unlock(&w->lock);
        return mt_err_set(&job->err, MT_ERR_STORE, "the server is stopping");
    }
    if (w->tail != NULL)
        w->tail->next = job;
    else
        w->head = job;
    w->tail = job;
    pthread_cond_signal(&w->work);
    while (!job->done)
        pthread_cond_wait(&w->done, &w->lock);
    pthread_mutex_unlock(&w->lock);
    return job->status;
}

void serve_writer_stop(struct serve_writer *w)
{
    if (w->started) {
        pthread_mutex_lock(&w->lock);
        w->stopping = true;
        pthread_cond_signal(&w->work);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
        w->started = false;
    }
    mt_ingest_free(w->ingest);
    w->ingest = NULL;
    pthread_cond_destroy(&w->work);
    pthread_cond_destroy(&w->done);
    pthread_mutex_destroy(&w->lock);
}
