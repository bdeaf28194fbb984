/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mt_fault_server: a scriptable HTTP(S) stand-in for the failures no real
 * peer produces on demand: error statuses, throttling bodies, slow answers,
 * connections reset before the answer or cut off inside it.
 *
 * It listens on two ephemeral ports of 127.0.0.1 and prints them on one line
 * of stdout, "<data port> <control port>", then serves until its stdin
 * reaches end of file (so it never outlives the test that started it) or it
 * gets SIGTERM.  With --tls CERT KEY the data port speaks HTTPS.
 *
 * Data port: every request takes the next scripted step; with none left the
 * answer is 200 "ok".  Each answer carries "x-fault-request: <n>", n counting
 * data requests from 1.
 *
 * Control port (plain HTTP):
 *   POST /script  appends steps from the body, one a line ('#' starts a
 *                 comment line).  A step is space-separated tokens:
 *                   status=N        answer status (default 200)
 *                   repeat=N        use the step for the next N requests (default 1)
 *                   delay_ms=N      wait before answering
 *                   header=Name:Val extra answer header; %XX escapes allowed (repeatable)
 *                   action=respond  answer normally (default)
 *                   action=reset    close the connection with a TCP reset, no answer
 *                   action=truncate announce a longer body than is sent, then close
 *                   action=chunked  send the body chunked, without Content-Length
 *                   body=...        the rest of the line is the answer body
 *   GET /stats    "requests=N connections=M pending=K": data requests so far,
 *                 connections that carried at least one, steps not yet used
 *   GET /last     the last data request: "METHOD /path?query", its headers one
 *                 a line, an empty line, then its body
 *   POST /clear   forgets steps, counters and the last request
 *
 * This is test code: it trusts its scripts and favours clarity over speed.
 */
#include "stand_in.h"

#include "mt/buf.h"

#include <microhttpd.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEADERS 16
#define MAX_REQUEST_BODY ((size_t)16 << 20)

enum step_action { ACTION_RESPOND, ACTION_RESET, ACTION_TRUNCATE, ACTION_CHUNKED };

struct step {
    unsigned status;
    long repeat;
    long delay_ms;
    enum step_action action;
    size_t header_count;
    char *headers[MAX_HEADERS]; /* "Name\0Value" */
    char *body;
};

struct server_state {
    pthread_mutex_t lock;
    struct step *steps; /* queue, first unused at next_step */
    size_t step_count;
    size_t next_step;
    long requests;
    long connections;
    struct mt_buf last;
};

/* Per connection: whether it has carried a data request yet. */
struct conn_state {
    bool counted;
};

static struct server_state s_state = {.lock = PTHREAD_MUTEX_INITIALIZER};
static volatile sig_atomic_t s_stopping;

static void step_free(struct step *s)
{
    for (size_t i = 0; i < s->header_count; i++)
        free(s->headers[i]);
    free(s->body);
}

/* Decodes %XX escapes in place. */
static void percent_decode(char *s)
{
    char *out = s;
    for (char *p = s; *p != '\0'; p++) {
        unsigned v;
        if (p[0] == '%' && p[1] != '\0' && p[2] != '\0' && sscanf(p + 1, "%2x", &v) == 1) {
            *out++ = (char)v;
            p += 2;
        } else {
            *out++ = *p;
        }
    }
    *out = '\0';
}

/* Parses one token into s; false when it is unknown. */
static bool parse_token(struct step *s, char *tok)
{
    if (strncmp(tok, "status=", 7) == 0)
        return (s->status = (unsigned)strtoul(tok + 7, NULL, 10)) >= 100;
    if (strncmp(tok, "repeat=", 7) == 0)
        return (s->repeat = strtol(tok + 7, NULL, 10)) > 0;
    if (strncmp(tok, "delay_ms=", 9) == 0)
        return (s->delay_ms = strtol(tok + 9, NULL, 10)) >= 0;
    if (strcmp(tok, "action=respond") == 0)
        return (s->action = ACTION_RESPOND), true;
    if (strcmp(tok, "action=reset") == 0)
        return (s->action = ACTION_RESET), true;
    if (strcmp(tok, "action=truncate") == 0)
        return (s->action = ACTION_TRUNCATE), true;
    if (strcmp(tok, "action=chunked") == 0)
        return (s->action = ACTION_CHUNKED), true;

    char *colon = strchr(tok, ':');
    if (strncmp(tok, "header=", 7) != 0 || colon == NULL || s->header_count == MAX_HEADERS)
        return false;
    *colon = '\0';
    percent_decode(colon + 1);
    size_t name_len = strlen(tok + 7);
    char *h = malloc(name_len + strlen(colon + 1) + 2);
    if (h == NULL)
        return false;
    memcpy(h, tok + 7, name_len + 1);
    strcpy(h + name_len + 1, colon + 1);
    s->headers[s->header_count++] = h;
    return true;
}

/* Parses one script line into s; false on an unknown token. */
static bool parse_step(char *line, struct step *s)
{
    *s = (struct step){.status = 200, .repeat = 1};
    char *body = strstr(line, "body=");
    if (body != NULL && (body == line || body[-1] == ' ')) {
        s->body = strdup(body + 5);
        *body = '\0';
    }

    char *save = NULL;
    for (char *tok = strtok_r(line, " \t", &save); tok != NULL;
         tok = strtok_r(NULL, " \t", &save)) {
        if (!parse_token(s, tok)) {
            fprintf(stderr, "mt_fault_server: unknown script token '%s'\n", tok);
            return false;
        }
    }
    return true;
}

/* Appends the steps of a script; false (adding none) when a line is malformed. */
static bool add_script(char *text)
{
    char *save = NULL;
    bool ok = true;

    pthread_mutex_lock(&s_state.lock);
    size_t first = s_state.step_count;
    for (char *line = strtok_r(text, "\r\n", &save); ok && line != NULL;
         line = strtok_r(NULL, "\r\n", &save)) {
        if (line[strspn(line, " \t")] == '\0' || line[strspn(line, " \t")] == '#')
            continue;
        struct step *grown = realloc(s_state.steps, (s_state.step_count + 1) * sizeof(*grown));
        ok = grown != NULL;
        if (ok) {
            s_state.steps = grown;
            ok = parse_step(line, &s_state.steps[s_state.step_count]);
            s_state.step_count++;
        }
    }

    if (!ok) {
        while (s_state.step_count > first)
            step_free(&s_state.steps[--s_state.step_count]);
    }
    pthread_mutex_unlock(&s_state.lock);
    return ok;
}

/* A copy of a "Name\0Value" header. */
static char *dup_header(const char *h)
{
    size_t name_len = strlen(h);
    size_t total = name_len + 1 + strlen(h + name_len + 1) + 1;
    char *copy = malloc(total);
    if (copy != NULL)
        memcpy(copy, h, total);
    return copy;
}

/* Copies the next step (consuming one repeat) into out; a default when none is left. */
static void take_step(struct step *out)
{
    *out = (struct step){.status = 200, .body = strdup("ok")};
    if (s_state.next_step >= s_state.step_count)
        return;

    struct step *s = &s_state.steps[s_state.next_step];
    free(out->body);
    *out = *s;
    out->body = s->body != NULL ? strdup(s->body) : NULL;
    for (size_t i = 0; i < s->header_count; i++)
        out->headers[i] = dup_header(s->headers[i]);
    if (--s->repeat == 0)
        s_state.next_step++;
}

static void clear_state(void)
{
    pthread_mutex_lock(&s_state.lock);
    for (size_t i = 0; i < s_state.step_count; i++)
        step_free(&s_state.steps[i]);
    free(s_state.steps);
    s_state.steps = NULL;
    s_state.step_count = 0;
    s_state.next_step = 0;
    s_state.requests = 0;
    s_state.connections = 0;
    mt_buf_reset(&s_state.last);
    pthread_mutex_unlock(&s_state.lock);
}

/* Appends one query argument, decoded, after '?' or '&'. */
static enum MHD_Result record_argument(void *ctx, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    size_t *count = ctx;
    (void)kind;
    mt_buf_appendf(&s_state.last, "%c%s=%s", (*count)++ == 0 ? '?' : '&', key,
                   value != NULL ? value : "");
    return MHD_YES;
}

static enum MHD_Result record_header(void *ctx, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    mt_buf_appendf(ctx, "%s: %s\n", key, value != NULL ? value : "");
    return MHD_YES;
}

/* Keeps the request as the last one seen. */
static void record_request(struct MHD_Connection *conn, const char *method, const char *url,
                           const struct mt_buf *body)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    size_t arguments = 0;

    mt_buf_reset(&s_state.last);
    mt_buf_appendf(&s_state.last, "%s %s", method, url);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, record_argument, &arguments);
    mt_buf_append_byte(&s_state.last, '\n');
    MHD_get_connection_values(conn, MHD_HEADER_KIND, record_header, &s_state.last);
    mt_buf_append_byte(&s_state.last, '\n');
    mt_buf_append(&s_state.last, body->data != NULL ? body->data : "", body->len);

    struct conn_state *cs = ci != NULL ? ci->socket_context : NULL;
    if (cs != NULL && !cs->counted) {
        cs->counted = true;
        s_state.connections++;
    }
}

/* Sleeps ms in short slices, giving up early when the server stops. */
static void delay(long ms)
{
    struct timespec slice = {0, 10 * 1000000L};
    for (long waited = 0; waited < ms && !s_stopping; waited += 10)
        nanosleep(&slice, NULL);
}

/* Content reader: the body once, then an error that closes the connection. */
static ssize_t truncated_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    const char *body = cls;
    size_t len = strlen(body);
    if (pos >= len)
        return MHD_CONTENT_READER_END_WITH_ERROR;

    size_t n = len - (size_t)pos < max ? len - (size_t)pos : max;
    memcpy(buf, body + pos, n);
    return (ssize_t)n;
}

/* Content reader for action=chunked: the body, then a normal end. */
static ssize_t chunked_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    const char *body = cls;
    if (pos >= strlen(body))
        return MHD_CONTENT_READER_END_OF_STREAM;
    return truncated_reader(cls, pos, buf, max);
}

static void free_body(void *cls)
{
    free(cls);
}

/* Builds and queues the answer of step s (whose body it takes over). */
static enum MHD_Result answer(struct MHD_Connection *conn, struct step *s, long seq)
{
    char *body = s->body != NULL ? s->body : strdup("");
    size_t len = strlen(body);
    struct MHD_Response *r;

    s->body = NULL;
    if (s->action == ACTION_TRUNCATE)
        r = MHD_create_response_from_callback(len + 1000, 4096, truncated_reader, body, free_body);
    else if (s->action == ACTION_CHUNKED)
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, chunked_reader, body,
                                              free_body);
    else
        r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (r == NULL)
        return MHD_NO;

    char seq_text[32];
    snprintf(seq_text, sizeof(seq_text), "%ld", seq);
    MHD_add_response_header(r, "x-fault-request", seq_text);
    for (size_t i = 0; i < s->header_count; i++)
        MHD_add_response_header(r, s->headers[i], s->headers[i] + strlen(s->headers[i]) + 1);

    enum MHD_Result rc = MHD_queue_response(conn, s->status, r);
    MHD_destroy_response(r);
    return rc;
}

/* Closes the connection so the peer sees a reset rather than an orderly end. */
static enum MHD_Result reset_connection(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct linger hard = {.l_onoff = 1, .l_linger = 0};
    if (ci != NULL)
        setsockopt(ci->connect_fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
    return MHD_NO;
}

/* A data request: the next scripted step answers it. */
static enum MHD_Result on_data(struct MHD_Connection *conn, const char *method, const char *url,
                               struct stand_in_request *req)
{
    struct step s;
    pthread_mutex_lock(&s_state.lock);
    long seq = ++s_state.requests;
    record_request(conn, method, url, &req->body);
    take_step(&s);
    pthread_mutex_unlock(&s_state.lock);

    delay(s.delay_ms);
    enum MHD_Result rc = s.action == ACTION_RESET ? reset_connection(conn) : answer(conn, &s, seq);
    step_free(&s);
    return rc;
}

/* Answers a control request with a plain-text body. */
static enum MHD_Result answer_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)(uintptr_t)text,
                                        MHD_RESPMEM_MUST_COPY);
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result on_control(struct MHD_Connection *conn, const char *method,
                                  const char *url, struct stand_in_request *req)
{
    char text[128];
    if (strcmp(method, "POST") == 0 && strcmp(url, "/script") == 0) {
        bool ok = mt_buf_append_byte(&req->body, '\0') == MT_OK && add_script(req->body.data);
        return answer_text(conn, ok ? 200 : 400, ok ? "ok\n" : "bad script\n");
    }
    if (strcmp(method, "POST") == 0 && strcmp(url, "/clear") == 0) {
        clear_state();
        return answer_text(conn, 200, "ok\n");
    }

    pthread_mutex_lock(&s_state.lock);
    struct mt_buf copy;
    mt_buf_init(&copy, 0);
    if (strcmp(url, "/stats") == 0) {
        snprintf(text, sizeof(text), "requests=%ld connections=%ld pending=%zu\n",
                 s_state.requests, s_state.connections, s_state.step_count - s_state.next_step);
        mt_buf_append_cstr(&copy, text);
    } else if (strcmp(url, "/last") == 0) {
        mt_buf_append(&copy, s_state.last.data != NULL ? s_state.last.data : "", s_state.last.len);
    }
    pthread_mutex_unlock(&s_state.lock);

    enum MHD_Result rc = copy.data != NULL ? answer_text(conn, 200, copy.data)
                                           : answer_text(conn, 404, "no such control\n");
    mt_buf_cleanup(&copy);
    return rc;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    (void)conn;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        *socket_context = calloc(1, sizeof(struct conn_state));
    } else {
        free(*socket_context);
        *socket_context = NULL;
    }
}

/* Reads a whole file into a NUL-terminated string; NULL on failure. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct mt_buf b;
    char chunk[4096];
    size_t n;

    if (f == NULL)
        return NULL;
    mt_buf_init(&b, 1 << 20);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        mt_buf_append(&b, chunk, n);
    fclose(f);
    return b.data;
}

/* Blocks until stdin ends or a stop signal arrives. */
static void wait_for_stop(void)
{
    char buf[256];
    while (!s_stopping) {
        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
        if (n == 0 || (n < 0 && errno != EINTR))
            break;
    }
    s_stopping = 1;
}

int main(int argc, char **argv)
{
    char *cert = NULL;
    char *key = NULL;

    if (argc == 4 && strcmp(argv[1], "--tls") == 0) {
        cert = read_file(argv[2]);
        key = read_file(argv[3]);
        if (cert == NULL || key == NULL) {
            fprintf(stderr, "mt_fault_server: cannot read '%s' or '%s'\n", argv[2], argv[3]);
            return 1;
        }
    } else if (argc != 1) {
        fprintf(stderr, "usage: mt_fault_server [--tls CERT.pem KEY.pem]\n");
        return 2;
    }

    static const struct stand_in_site data_site = {on_data, MAX_REQUEST_BODY};
    static const struct stand_in_site control_site = {on_control, MAX_REQUEST_BODY};
    int data_port = 0;
    int control_port = 0;

    stand_in_catch_stop_signals(&s_stopping);
    mt_buf_init(&s_state.last, MAX_REQUEST_BODY + 65536);

    struct MHD_Daemon *data = stand_in_start(&data_site, on_connection, cert, key, &data_port);
    struct MHD_Daemon *control = stand_in_start(&control_site, on_connection, NULL, NULL,
                                                &control_port);
    if (data == NULL || control == NULL) {
        fprintf(stderr, "mt_fault_server: cannot listen on 127.0.0.1\n");
        return 1;
    }
    printf("%d %d\n", data_port, control_port);
    fflush(stdout);

    wait_for_stop();
    MHD_stop_daemon(control);
    MHD_stop_daemon(data);
    clear_state();
    mt_buf_cleanup(&s_state.last);
    free(cert);
    free(key);
    return 0;
}
