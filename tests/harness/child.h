/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_TEST_CHILD_H
#define MT_TEST_CHILD_H

/*
 * Stand-in processes that test helpers start and stop: a program run with
 * its stdin and stdout on pipes, whose first line of output says where it
 * listens, and which ends when its stdin closes.  Stopping one closes its
 * stdin, waits a grace period and then sends SIGKILL to that PID alone.
 *
 * Not here: capturing stderr (the child writes to the test's), restarting a
 * child that died, or running a program to completion with its output
 * captured (see proc.h).  Failures are returned as a status with a detail in
 * err, never as a failed cmocka case, so the helpers in tests/fakes and
 * tests/peers can report them their own way.  Start children from one
 * thread at a time: a program started by another thread between the making
 * of a pipe and its close-on-exec flag would inherit that pipe.  Link with
 * mt_test_child.
 */

#include "mt/status.h"

#include <stddef.h>
#include <sys/types.h>

/* A started child, or none. */
struct mt_test_child {
    pid_t pid;    /* -1 when there is none: never started, or already reaped */
    int stdin_fd; /* write end of the child's stdin; -1 once closed */
};

/* What to start and how long to wait for it. */
struct mt_test_child_options {
    const char *const *argv; /* argv[0] is the program's path; NULL-terminated */
    const char *const *envp; /* "NAME=value" entries, NULL-terminated; NULL: the test's own */
    const char *name;        /* the child in error details; NULL: argv[0] */
    int line_timeout_ms;     /* how long mt_test_child_read_line waits for a line */
};

/*
 * Starts o->argv with stdin and stdout on pipes (stderr stays the test's).
 * child receives its PID and the write end of its stdin; *stdout_fd the read
 * end of its stdout, which the caller closes.  Every other descriptor of
 * these pipes is closed on exec, so no later child inherits them and the
 * stdin pipe sees end of file as soon as child->stdin_fd closes.
 * MT_ERR_IO when the pipes cannot be made or the program cannot be started;
 * child then holds none.
 */
enum mt_status mt_test_child_spawn(struct mt_test_child *child,
                                   const struct mt_test_child_options *o, int *stdout_fd,
                                   struct mt_err *err);

/*
 * Reads one line from fd into line (size bytes, NUL-terminated, without its
 * newline), waiting at most o->line_timeout_ms for all of it.  It reads byte
 * by byte, so whatever follows the line stays in the pipe.  o names the
 * child in the detail of MT_ERR_TIMEOUT (no full line in time), MT_ERR_IO
 * (end of file or a read error first) and MT_ERR_TOO_LARGE (the line does
 * not fit).
 */
enum mt_status mt_test_child_read_line(int fd, const struct mt_test_child_options *o, char *line,
                                       size_t size, struct mt_err *err);

/*
 * mt_test_child_spawn, then mt_test_child_read_line on its stdout, which is
 * closed afterwards: a child started this way must print nothing more there
 * (it would get SIGPIPE).  On failure the child is stopped with a grace of
 * one second and child holds none; statuses as for the two calls.
 */
enum mt_status mt_test_child_start(struct mt_test_child *child,
                                   const struct mt_test_child_options *o, char *line, size_t size,
                                   struct mt_err *err);

/*
 * Closes the child's stdin, waits up to grace_ms for it to exit, then sends
 * SIGKILL to its PID, and reaps it; child then holds none.  A PID that is
 * no longer this process's child (reaped elsewhere) is never signalled.
 * Returns the exit code (0..255), 128 + the signal number when a signal
 * ended it, or -1 when there was no child to reap.  Safe on a child that
 * holds none.
 */
int mt_test_child_stop(struct mt_test_child *child, int grace_ms);

#endif
