/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_TEST_FAULT_H
#define MT_TEST_FAULT_H

/*
 * Starting, scripting and stopping mt_fault_server from a C test.  See
 * fault_server.c for the script language.  The server is a child process of
 * the test; it ends when mt_fault_stop closes its stdin (or, failing that,
 * is killed by PID), and on its own if the test dies.
 *
 * Link the test with mt_test_fault.  MT_FAULT_CERT and MT_FAULT_KEY name a
 * self-signed certificate for "fault.test" (and 127.0.0.1) generated at build
 * time, for HTTPS runs.
 */

#include "mt/buf.h"
#include "mt/status.h"

#include <stdbool.h>
#include <sys/types.h>

struct mt_fault_server {
    pid_t pid;
    int stdin_fd;      /* closing it stops the server */
    int port;          /* data port on 127.0.0.1 */
    int control_port;  /* control port on 127.0.0.1 */
};

/* Starts a server; tls selects HTTPS on the data port with MT_FAULT_CERT. */
enum mt_status mt_fault_start(struct mt_fault_server *s, bool tls, struct mt_err *err);

/* Stops the server and reaps it.  Safe on a server that never started. */
void mt_fault_stop(struct mt_fault_server *s);

/* Appends script steps (one a line).  MT_ERR_INVALID when the server rejects them. */
enum mt_status mt_fault_script(const struct mt_fault_server *s, const char *steps,
                               struct mt_err *err);

/* Data requests received and connections that carried them. */
enum mt_status mt_fault_stats(const struct mt_fault_server *s, long *requests, long *connections,
                              struct mt_err *err);

/* The last data request ("METHOD /path?query", headers, blank line, body) into out. */
enum mt_status mt_fault_last(const struct mt_fault_server *s, struct mt_buf *out,
                             struct mt_err *err);

/* Forgets steps, counters and the last request. */
enum mt_status mt_fault_clear(const struct mt_fault_server *s, struct mt_err *err);

#endif
