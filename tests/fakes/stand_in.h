/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_TEST_STAND_IN_H
#define MT_TEST_STAND_IN_H

/*
 * What the two microhttpd stand-ins (fault_server.c and runtime_api.c)
 * share: a daemon on an ephemeral port of 127.0.0.1, one thread per
 * connection, whose handler sees a request only once its whole body has
 * arrived; and the signals that ask a stand-in to stop.  Each stand-in keeps
 * its own answers, its per-connection state and its way of waiting for the
 * end.  Test code, linked into those two programs only.
 */

#include "mt/buf.h"

#include <microhttpd.h>

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

/* A request whose body has fully arrived; owned by the daemon. */
struct stand_in_request {
    struct mt_buf body; /* capped at the site's max_body_bytes */
    bool too_large;     /* the body passed that cap; body holds only what fitted */
};

/*
 * Answers one complete request.  Called on the connection's thread; what it
 * returns goes back to microhttpd (MHD_NO closes the connection unanswered).
 */
typedef enum MHD_Result stand_in_request_fn(struct MHD_Connection *conn, const char *method,
                                            const char *url, struct stand_in_request *req);

/* One daemon's handler and the cap on its request bodies. */
struct stand_in_site {
    stand_in_request_fn *on_request;
    size_t max_body_bytes;
};

/*
 * Starts a daemon serving site (which must outlive it) on an ephemeral port
 * of 127.0.0.1 and stores the port in *port.  on_connection receives
 * microhttpd's connection notifications, for per-connection state.  cert and
 * key are PEM text for HTTPS, both NULL for plain HTTP.  NULL when it cannot
 * listen; stop it with MHD_stop_daemon.
 */
struct MHD_Daemon *stand_in_start(const struct stand_in_site *site,
                                  MHD_NotifyConnectionCallback on_connection, const char *cert,
                                  const char *key, int *port);

/*
 * Makes SIGTERM and SIGINT set *stopping to 1 and ignores SIGPIPE, so that a
 * client going away mid-answer does not end the stand-in.  Call once, from
 * main, before starting daemons; stopping must live as long as the program.
 */
void stand_in_catch_stop_signals(volatile sig_atomic_t *stopping);

#endif
