/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_TEST_PEERS_H
#define MT_TEST_PEERS_H

/*
 * Starting and stopping the npm stand-ins (stand-ins.mjs: dynalite, s3rver
 * and the DynamoDB fault proxy) from C tests, and reading back what
 * mailtrack wrote with the AWS SDK for JavaScript (read-back.mjs).
 *
 * The stand-ins are a child process bound to 127.0.0.1 on free ports; they
 * stop when mt_peers_stop closes their stdin and, failing that, are killed
 * by PID.  Link with mt_test_peers.
 */

#include "mt/buf.h"
#include "mt/status.h"

#include <sys/types.h>

struct mt_peers {
    pid_t pid;
    int stdin_fd;
    char dynamodb[64]; /* "http://127.0.0.1:PORT", or empty when not started */
    char s3[64];
    char fault[64];    /* the fault proxy in front of dynalite */
};

/*
 * Starts stand-ins.mjs with args (NULL-terminated, e.g. "--dynamodb",
 * "--fault", "throttle=0.2", NULL) and waits for its address line.
 */
enum mt_status mt_peers_start(struct mt_peers *p, const char *const *args, struct mt_err *err);

/* Stops the stand-ins and reaps them.  Safe on peers that never started. */
void mt_peers_stop(struct mt_peers *p);

/*
 * Runs read-back.mjs with args and captures its standard output into out
 * (initialised here).  MT_ERR_IO when it exits with a failure.
 */
enum mt_status mt_peers_read_back(const char *const *args, struct mt_buf *out,
                                  struct mt_err *err);

#endif
