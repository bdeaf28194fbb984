/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_TEST_PROC_H
#define MT_TEST_PROC_H

/*
 * Child processes for tests that run the built binaries and the peers they
 * talk to.  Every function here fails the running cmocka case when something
 * it needs does not work, so a test never passes by running nothing.
 */

#include "mt/buf.h"

#include <stdint.h>
#include <sys/types.h>

/* What a finished program did. */
struct mt_test_run {
    int exit_code;      /* 0..255; 128 + signal number when killed by a signal */
    struct mt_buf out;  /* everything it wrote on stdout */
    struct mt_buf err;  /* everything it wrote on stderr */
    int64_t elapsed_ms; /* wall time from start to exit */
};

/*
 * Runs argv[0] (a path) with argv, waits for it and captures its output.
 * The child's environment is the test's, less every variable named in
 * env_unset (NULL-terminated, may be NULL), plus the "NAME=value" entries of
 * env_set (NULL-terminated, may be NULL).  stdin_text (NULL: /dev/null) is
 * what the child reads on standard input.  Release with mt_test_run_cleanup.
 */
void mt_test_run(const char *const argv[], const char *const env_unset[],
                 const char *const env_set[], const char *stdin_text, struct mt_test_run *run);

void mt_test_run_cleanup(struct mt_test_run *run);

/* A server started in the background for one test case. */
struct mt_test_peer {
    pid_t pid;
    int port;   /* the port it announced */
    int out_fd; /* read end of its stdout, kept open so it never gets SIGPIPE */
};

/*
 * Starts argv[0] (a path) with argv and waits up to 15 s for its first line
 * on stdout, which must be "PORT <n>".  Its stderr goes to the test's.
 */
void mt_test_peer_start(const char *const argv[], struct mt_test_peer *peer);

/* Sends SIGTERM to the peer's PID, waits up to 5 s, then SIGKILL; reaps it. */
void mt_test_peer_stop(struct mt_test_peer *peer);

/* A TCP port on 127.0.0.1 that was free a moment ago and has no listener now. */
int mt_test_unused_port(void);

#endif
