/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mt_runtime_api: a stand-in for the AWS Lambda Runtime API (2018-06-01) on
 * 127.0.0.1, for tests of the runtime client and of the bootstrap program.
 *
 *   mt_runtime_api --events FILE --out FILE [--deadline-ms N] [--on-empty 500|hold]
 *                  [--fault WHAT:N:ACTION]... [--pause-before N]... [--port-file FILE]
 *                  [--chunked] [--close-after N] [--watch-stdin]
 *
 * Each non-empty line of the events file is one invocation, handed out by
 * GET /runtime/invocation/next in order with the headers Lambda sends
 * (request id, deadline now + N ms (default 30000), function ARN, trace
 * id).  Responses, invocation errors and init errors are answered 202 and
 * recorded; everything the runtime asks is appended to the out file as one
 * JSON object a line: kind (next, response, error, init_error, dropped,
 * refused), seq, request_id, status answered, connection (a number per TCP
 * connection, from 1), the Lambda-Runtime-Function-Error-Type, Expect,
 * Content-Type and Content-Length headers (null when absent), and the body.
 *
 * When the events are used up, the next GET is answered 500, as Lambda does
 * for a broken environment, and the server exits (--on-empty 500, default),
 * or it is never answered (--on-empty hold) until SIGTERM.  An init error
 * also ends the run.  Faults, counted per kind from 1:
 *   next:N:500      answer the Nth GET /next 500 (no event is used)
 *   post:N:drop     close the connection of the Nth POST without answering
 *   post:N:CODE     answer the Nth POST with status CODE (400, 413, 500, ...)
 * Unknown or already answered request ids get 400, bodies over 6 MB 413,
 * other paths 404.
 *
 * --chunked sends each event with chunked transfer coding (at most 7 bytes
 * a chunk, no Content-Length) instead of Content-Length, as the Runtime API
 * never does but a client must still read.  --close-after N answers the Nth
 * request of every connection with "Connection: close" and then closes it,
 * so the client has to open a new one.
 *
 * --pause-before N holds the GET that would hand out invocation N: it
 * records {"kind":"paused", "body":"N"} and answers only once the file
 * OUT.release-N exists, so a test can change the world between two
 * invocations (say, take DynamoDB down) at an exact point of the run.
 *
 * It prints its port on stdout (and into --port-file), then serves until it
 * ends as above, gets SIGTERM or SIGINT, or, with --watch-stdin, its stdin
 * reaches end of file.  This is test code: clarity over speed.
 */
#include "stand_in.h"

#include "mt/buf.h"
#include "mt/clock.h"

#include <jansson.h>
#include <microhttpd.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 100000
#define MAX_FAULTS 32
#define MAX_POST_BYTES ((size_t)6 << 20)
#define PREFIX "/2018-06-01/runtime/"
#define CHUNK_BYTES 7

enum fault_action { FAULT_STATUS, FAULT_DROP };

struct fault {
    bool on_post;        /* else on GET /next */
    long nth;
    enum fault_action action;
    unsigned status;
};

struct settings {
    const char *events_path;
    const char *out_path;
    const char *port_file;
    long deadline_ms;
    bool hold_when_empty;
    bool watch_stdin;
    bool chunked;          /* events in chunked transfer coding */
    long close_after;      /* requests per connection before it is closed; 0: never */
    struct fault faults[MAX_FAULTS];
    size_t fault_count;
    long pauses[MAX_FAULTS]; /* invocation numbers to pause before, from 1 */
    size_t pause_count;
};

struct state {
    pthread_mutex_t lock;
    char **events;
    size_t event_count;
    size_t next_event;
    long nexts;            /* GET /next requests so far */
    long posts;            /* POSTs so far */
    long seq;              /* records written */
    long connections;
    char **open_ids;       /* handed out, not yet answered; NULL once answered */
    FILE *out;
};

/* Per connection. */
struct conn_state {
    long number;
    long requests;         /* complete requests on it so far */
};

static struct settings s_cfg = {.deadline_ms = 30000};
static struct state s_state = {.lock = PTHREAD_MUTEX_INITIALIZER};
static volatile sig_atomic_t s_stopping;

static void usage(void)
{
    fprintf(stderr, "usage: mt_runtime_api --events FILE --out FILE [--deadline-ms N] "
                    "[--on-empty 500|hold] [--fault next:N:500|post:N:drop|post:N:CODE]... "
                    "[--port-file FILE] [--chunked] [--close-after N] [--watch-stdin]\n");
}

static bool parse_fault(const char *text, struct fault *f)
{
    char what[8], action[16];
    if (sscanf(text, "%7[a-z]:%ld:%15s", what, &f->nth, action) != 3 || f->nth < 1)
        return false;

    f->on_post = strcmp(what, "post") == 0;
    if (!f->on_post && strcmp(what, "next") != 0)
        return false;
    if (strcmp(action, "drop") == 0) {
        f->action = FAULT_DROP;
        return f->on_post;
    }
    f->action = FAULT_STATUS;
    f->status = (unsigned)strtoul(action, NULL, 10);
    return f->status >= 100 && f->status <= 599;
}

static bool parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--watch-stdin") == 0) {
            s_cfg.watch_stdin = true;
            continue;
        }
        if (strcmp(a, "--chunked") == 0) {
            s_cfg.chunked = true;
            continue;
        }
        if (v == NULL)
            return false;
        i++;
        if (strcmp(a, "--events") == 0)
            s_cfg.events_path = v;
        else if (strcmp(a, "--out") == 0)
            s_cfg.out_path = v;
        else if (strcmp(a, "--port-file") == 0)
            s_cfg.port_file = v;
        else if (strcmp(a, "--deadline-ms") == 0)
            s_cfg.deadline_ms = strtol(v, NULL, 10);
        else if (strcmp(a, "--close-after") == 0 && strtol(v, NULL, 10) > 0)
            s_cfg.close_after = strtol(v, NULL, 10);
        else if (strcmp(a, "--on-empty") == 0 && (strcmp(v, "500") == 0 || strcmp(v, "hold") == 0))
            s_cfg.hold_when_empty = strcmp(v, "hold") == 0;
        else if (strcmp(a, "--pause-before") == 0 && s_cfg.pause_count < MAX_FAULTS)
            s_cfg.pauses[s_cfg.pause_count++] = strtol(v, NULL, 10);
        else if (strcmp(a, "--fault") == 0 && s_cfg.fault_count < MAX_FAULTS &&
                 parse_fault(v, &s_cfg.faults[s_cfg.fault_count]))
            s_cfg.fault_count++;
        else
            return false;
    }
    return s_cfg.events_path != NULL && s_cfg.out_path != NULL;
}

/* Reads the events file: one invocation per non-empty line. */
static bool load_events(void)
{
    FILE *f = fopen(s_cfg.events_path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    if (f == NULL)
        return false;
    s_state.events = calloc(MAX_EVENTS, sizeof(char *));
    s_state.open_ids = calloc(MAX_EVENTS, sizeof(char *));
    while (s_state.events != NULL && (n = getline(&line, &cap, f)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n > 0 && s_state.event_count < MAX_EVENTS)
            s_state.events[s_state.event_count++] = strdup(line);
    }
    free(line);
    fclose(f);
    return s_state.events != NULL && s_state.open_ids != NULL;
}

/* The fault for the nth request of a kind, or NULL. */
static const struct fault *fault_for(bool post, long nth)
{
    for (size_t i = 0; i < s_cfg.fault_count; i++) {
        if (s_cfg.faults[i].on_post == post && s_cfg.faults[i].nth == nth)
            return &s_cfg.faults[i];
    }
    return NULL;
}

static json_t *header_or_null(struct MHD_Connection *c, const char *name)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
    return v != NULL ? json_string(v) : json_null();
}

/* The state of the connection c arrived on; NULL when it could not be made. */
static struct conn_state *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci != NULL ? ci->socket_context : NULL;
}

/* Appends one record to the out file; the lock is held by the caller. */
static void record(struct MHD_Connection *c, const char *kind, const char *request_id,
                   unsigned status, const struct mt_buf *body)
{
    struct conn_state *cs = conn_of(c);
    json_t *o = json_pack("{s:s, s:I, s:s?, s:i, s:I}", "kind", kind, "seq",
                          (json_int_t)++s_state.seq, "request_id", request_id, "status",
                          (int)status, "connection", (json_int_t)(cs ? cs->number : 0));

    json_object_set_new(o, "error_type", header_or_null(c, "Lambda-Runtime-Function-Error-Type"));
    json_object_set_new(o, "expect", header_or_null(c, "Expect"));
    json_object_set_new(o, "content_type", header_or_null(c, "Content-Type"));
    json_object_set_new(o, "content_length", header_or_null(c, "Content-Length"));
    json_object_set_new(o, "body", body && body->data ? json_stringn(body->data, body->len)
                                                      : json_null());
    json_dumpf(o, s_state.out, JSON_COMPACT);
    fputc('\n', s_state.out);
    fflush(s_state.out);
    json_decref(o);
}

/* Hands out a copy of a body CHUNK_BYTES at a time (--chunked). */
static ssize_t read_piece(void *cls, uint64_t pos, char *buf, size_t max)
{
    const char *text = cls;
    size_t len = strlen(text);
    size_t n = len - (size_t)pos;

    if (pos >= len)
        return MHD_CONTENT_READER_END_OF_STREAM;
    n = n < CHUNK_BYTES ? n : CHUNK_BYTES;
    n = n < max ? n : max;
    memcpy(buf, text + pos, n);
    return (ssize_t)n;
}

/*
 * Queues an answer: the body with Content-Length, or in chunks of unknown
 * total size when chunked (microhttpd then uses chunked transfer coding),
 * and "Connection: close" when the request is the --close-after Nth of its
 * connection.
 */
static enum MHD_Result answer_framed(struct MHD_Connection *c, unsigned status, const char *body,
                                     const char *const *headers, bool chunked)
{
    struct conn_state *cs = conn_of(c);
    char *copy = strdup(body);
    if (copy == NULL)
        return MHD_NO;
    struct MHD_Response *r =
        chunked ? MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, CHUNK_BYTES, read_piece,
                                                    copy, free)
                : MHD_create_response_from_buffer(strlen(copy), copy, MHD_RESPMEM_MUST_FREE);
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i += 2)
        MHD_add_response_header(r, headers[i], headers[i + 1]);
    MHD_add_response_header(r, "Content-Type", "application/json");
    if (s_cfg.close_after > 0 && cs != NULL && cs->requests % s_cfg.close_after == 0)
        MHD_add_response_header(r, "Connection", "close");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *body,
                              const char *const *headers)
{
    return answer_framed(c, status, body, headers, false);
}

/* Blocks a request until the server stops (--on-empty hold). */
static enum MHD_Result hold(void)
{
    while (!s_stopping) {
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
    return MHD_NO;
}

/*
 * Holds the caller until OUT.release-N exists when invocation n is one to
 * pause before (see --pause-before); gives up after a minute.
 */
static void pause_before(struct MHD_Connection *c, size_t n)
{
    char release[4096];
    bool wanted = false;

    for (size_t i = 0; i < s_cfg.pause_count; i++)
        wanted = wanted || s_cfg.pauses[i] == (long)n;
    if (!wanted)
        return;
    struct mt_buf number;
    mt_buf_init(&number, 0);
    mt_buf_appendf(&number, "%zu", n);
    snprintf(release, sizeof(release), "%s.release-%zu", s_cfg.out_path, n);
    pthread_mutex_lock(&s_state.lock);
    record(c, "paused", NULL, 0, &number);
    pthread_mutex_unlock(&s_state.lock);
    mt_buf_cleanup(&number);
    for (int i = 0; i < 3000 && !s_stopping && access(release, F_OK) != 0; i++) {
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
}

/* GET /runtime/invocation/next. */
static enum MHD_Result on_next(struct MHD_Connection *c)
{
    char id[64], deadline[32], trace[128];
    static const char broken[] = "{\"errorMessage\":\"no more invocations\","
                                 "\"errorType\":\"Runtime.Stopped\"}";

    pthread_mutex_lock(&s_state.lock);
    long nth = ++s_state.nexts;
    const struct fault *f = fault_for(false, nth);
    bool empty = s_state.next_event >= s_state.event_count;
    if (f != NULL || (empty && !s_cfg.hold_when_empty)) {
        record(c, "next", NULL, f ? f->status : 500, NULL);
        if (f == NULL)
            s_stopping = 1;
        pthread_mutex_unlock(&s_state.lock);
        return answer(c, f ? f->status : 500, broken, NULL);
    }
    if (empty) {
        record(c, "next", NULL, 0, NULL);
        pthread_mutex_unlock(&s_state.lock);
        return hold();
    }

    size_t i = s_state.next_event++;
    pthread_mutex_unlock(&s_state.lock);
    pause_before(c, i + 1);
    pthread_mutex_lock(&s_state.lock);
    snprintf(id, sizeof(id), "8f5c2a1e-0000-4000-8000-%012zu", i + 1);
    snprintf(deadline, sizeof(deadline), "%lld",
             (long long)(mt_time_now_ms() + s_cfg.deadline_ms));
    snprintf(trace, sizeof(trace), "Root=1-67890abc-%024zx;Parent=%016zx;Sampled=0", i + 1,
             i + 1);
    s_state.open_ids[i] = strdup(id);
    record(c, "next", id, 200, NULL);
    const char *event = s_state.events[i];
    pthread_mutex_unlock(&s_state.lock);

    const char *headers[] = {"Lambda-Runtime-Aws-Request-Id", id,
                             "Lambda-Runtime-Deadline-Ms", deadline,
                             "Lambda-Runtime-Invoked-Function-Arn",
                             "arn:aws:lambda:us-east-1:000000000000:function:mailtrack-test",
                             "Lambda-Runtime-Trace-Id", trace, NULL};
    return answer_framed(c, 200, event, headers, s_cfg.chunked);
}

/* Takes an open request id; false when it is unknown or already answered. */
static bool take_id(const char *id)
{
    for (size_t i = 0; i < s_state.next_event; i++) {
        if (s_state.open_ids[i] != NULL && strcmp(s_state.open_ids[i], id) == 0) {
            free(s_state.open_ids[i]);
            s_state.open_ids[i] = NULL;
            return true;
        }
    }
    return false;
}

/* A POST whose body has fully arrived. */
static enum MHD_Result on_post(struct MHD_Connection *c, const char *path,
                               struct stand_in_request *rs)
{
    char id[256] = "";
    const char *kind = NULL;
    static const char accepted[] = "{\"status\":\"OK\"}";

    if (strcmp(path, PREFIX "init/error") == 0) {
        kind = "init_error";
    } else if (sscanf(path, PREFIX "invocation/%255[^/]/", id) == 1) {
        const char *tail = path + strlen(PREFIX "invocation/") + strlen(id);
        kind = strcmp(tail, "/response") == 0 ? "response"
               : strcmp(tail, "/error") == 0  ? "error"
                                              : NULL;
    }
    if (kind == NULL)
        return answer(c, 404, "{\"errorMessage\":\"no such path\"}", NULL);

    pthread_mutex_lock(&s_state.lock);
    const struct fault *f = fault_for(true, ++s_state.posts);
    if (f != NULL) {
        record(c, f->action == FAULT_DROP ? "dropped" : "refused", id[0] ? id : NULL,
               f->action == FAULT_DROP ? 0 : f->status, &rs->body);
        pthread_mutex_unlock(&s_state.lock);
        if (f->action == FAULT_DROP)
            return MHD_NO;
        return answer(c, f->status, "{\"errorMessage\":\"scripted fault\"}", NULL);
    }

    unsigned status = 202;
    if (rs->too_large)
        status = 413;
    else if (id[0] != '\0' && !take_id(id))
        status = 400;
    record(c, status == 202 ? kind : "refused", id[0] ? id : NULL, status, &rs->body);
    if (status == 202 && strcmp(kind, "init_error") == 0)
        s_stopping = 1;
    pthread_mutex_unlock(&s_state.lock);
    if (status == 413)
        return answer(c, 413, "{\"errorMessage\":\"payload too large\"}", NULL);
    if (status == 400)
        return answer(c, 400, "{\"errorMessage\":\"Invalid request ID\","
                              "\"errorType\":\"InvalidRequestID\"}", NULL);
    return answer(c, 202, accepted, NULL);
}

/* A request whose body has fully arrived. */
static enum MHD_Result on_request(struct MHD_Connection *c, const char *method, const char *url,
                                  struct stand_in_request *rs)
{
    struct conn_state *cs = conn_of(c);
    if (cs != NULL)
        cs->requests++;
    if (strcmp(method, "GET") == 0 && strcmp(url, PREFIX "invocation/next") == 0)
        return on_next(c);
    if (strcmp(method, "POST") == 0)
        return on_post(c, url, rs);
    return answer(c, 404, "{\"errorMessage\":\"no such path\"}", NULL);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    (void)c;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        struct conn_state *cs = calloc(1, sizeof(*cs));
        pthread_mutex_lock(&s_state.lock);
        if (cs != NULL)
            cs->number = ++s_state.connections;
        pthread_mutex_unlock(&s_state.lock);
        *socket_context = cs;
    } else {
        free(*socket_context);
        *socket_context = NULL;
    }
}

/* Waits for the end: a signal, the run's own end, or end of stdin when watched. */
static void wait_for_stop(void)
{
    char buf[256];
    while (!s_stopping) {
        struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
        int n = poll(&p, s_cfg.watch_stdin ? 1 : 0, 50);
        if (n > 0 && read(STDIN_FILENO, buf, sizeof(buf)) <= 0)
            break;
    }
    /* Let the last answer (a 500 or a 202) reach the runtime before the socket closes. */
    struct timespec ts = {0, 100000000};
    nanosleep(&ts, NULL);
    s_stopping = 1;
}

static bool write_port(int port)
{
    printf("%d\n", port);
    fflush(stdout);
    if (s_cfg.port_file == NULL)
        return true;

    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", s_cfg.port_file);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return false;
    fprintf(f, "%d\n", port);
    return fclose(f) == 0 && rename(tmp, s_cfg.port_file) == 0;
}

int main(int argc, char **argv)
{
    if (!parse_args(argc, argv)) {
        usage();
        return 2;
    }
    if (!load_events() || (s_state.out = fopen(s_cfg.out_path, "w")) == NULL) {
        fprintf(stderr, "mt_runtime_api: cannot read '%s' or create '%s': %s\n",
                s_cfg.events_path, s_cfg.out_path, strerror(errno));
        return 1;
    }

    static const struct stand_in_site site = {on_request, MAX_POST_BYTES};
    int port = 0;

    stand_in_catch_stop_signals(&s_stopping);
    struct MHD_Daemon *d = stand_in_start(&site, on_connection, NULL, NULL, &port);
    if (d == NULL || !write_port(port)) {
        fprintf(stderr, "mt_runtime_api: cannot listen on 127.0.0.1\n");
        return 1;
    }

    wait_for_stop();
    MHD_stop_daemon(d);
    fclose(s_state.out);
    for (size_t i = 0; i < s_state.event_count; i++) {
        free(s_state.events[i]);
        free(s_state.open_ids[i]);
    }
    free(s_state.events);
    free(s_state.open_ids);
    return 0;
}
