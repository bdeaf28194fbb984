/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_TEST_SCRIPT_SERVER_H
#define MT_TEST_SCRIPT_SERVER_H

/*
 * A scripted HTTP peer for tests of the Runtime API client's wire handling,
 * for what microhttpd will not do: write an answer one byte at a time,
 * send malformed or ambiguous answers, stop in the middle of a body, close
 * a connection silently after answering, or send bytes nobody asked for.
 *
 * A thread of the test accepts connections on 127.0.0.1 (or ::1) and, for
 * each complete request it reads (head, then Content-Length bytes), plays
 * the next step of the script.  When the client closes a connection before
 * a request is complete, the step waits for the request on the next
 * connection.  Once the script is played, further connections are closed at
 * once.  Link the test with mt_test_script_server.
 */

#include "mt/status.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#define MT_SCRIPT_MAX_REQUESTS 32

/* What to do with one request. */
struct mt_script_step {
    const char *answer;    /* bytes to write back, NUL-terminated; NULL writes nothing */
    int delay_ms;          /* wait this long before writing */
    bool trickle;          /* write one byte per send(), 1 ms apart */
    bool close_after;      /* close the connection after writing */
    const char *later;     /* more bytes, written 50 ms after the answer; NULL: none */
};

struct mt_script_server {
    char address[64];      /* "127.0.0.1:port" or "[::1]:port", for the client */
    int port;

    /* What the client sent; read after mt_script_server_stop. */
    size_t requests;                                   /* complete requests read */
    int request_connection[MT_SCRIPT_MAX_REQUESTS];    /* the connection of each, from 1 */
    char *request_text[MT_SCRIPT_MAX_REQUESTS];        /* each request's bytes, NUL-terminated */
    int connections;                                   /* connections accepted */

    /* Internal. */
    const struct mt_script_step *steps;
    size_t step_count;
    int listen_fd;
    int stop_pipe[2];
    pthread_t thread;
    bool running;
};

/*
 * Starts serving the script (steps must outlive the server) on an ephemeral
 * port of 127.0.0.1, or of ::1 when ipv6.  MT_ERR_IO when it cannot listen
 * (MT_ERR_UNSUPPORTED for ::1 on a host without IPv6).
 */
enum mt_status mt_script_server_start(struct mt_script_server *s,
                                      const struct mt_script_step *steps, size_t count, bool ipv6,
                                      struct mt_err *err);

/* Stops the thread and closes every socket; the records stay until cleanup. */
void mt_script_server_stop(struct mt_script_server *s);

/* Releases the recorded requests. */
void mt_script_server_cleanup(struct mt_script_server *s);

#endif
