/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stand-in processes for test helpers: start a program with its stdin and
 * stdout on pipes, read the first line it prints, and stop it by closing its
 * stdin, then, after a grace period, by SIGKILL to its PID.
 *
 * Only the PID that posix_spawn returned is ever signalled, never a process
 * group, and only while waitpid still knows it as this process's child, so
 * a reaped PID that the system has handed to another process is left alone.
 * Output beyond the first line and stderr are not captured (see proc.c).
 */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* How often a stop looks whether the child has exited. */
#define STOP_POLL_MS 10

/* The grace a child gets when it failed to start properly. */
#define FAILED_START_GRACE_MS 1000

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *child_name(const struct mt_test_child_options *o)
{
    return o->name != NULL ? o->name : o->argv[0];
}

/* A pipe whose ends close on exec; only the copies dup2'd onto stdio reach the child. */
static int cloexec_pipe(int fds[2])
{
    if (pipe(fds) != 0)
        return -1;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
}

static void close_pipe(int fds[2])
{
    for (int i = 0; i < 2; i++) {
        if (fds[i] >= 0)
            close(fds[i]);
        fds[i] = -1;
    }
}

enum mt_status mt_test_child_spawn(struct mt_test_child *child,
                                   const struct mt_test_child_options *o, int *stdout_fd,
                                   struct mt_err *err)
{
    int in[2] = {-1, -1};
    int out[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    enum mt_status st = MT_ERR_IO;

    *child = (struct mt_test_child){.pid = -1, .stdin_fd = -1};
    *stdout_fd = -1;
    if (cloexec_pipe(in) != 0 || cloexec_pipe(out) != 0) {
        mt_err_set(err, st, "cannot create pipes for %s: %s", child_name(o), strerror(errno));
        goto out;
    }

    /* posix_spawn takes char *const[] but only reads the strings. */
    char *const *argv = (char *const *)(uintptr_t)o->argv;
    char *const *envp = o->envp != NULL ? (char *const *)(uintptr_t)o->envp : environ;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    int rc = posix_spawn(&child->pid, o->argv[0], &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        child->pid = -1;
        mt_err_set(err, st, "cannot start '%s': %s", o->argv[0], strerror(rc));
        goto out;
    }

    child->stdin_fd = in[1];
    in[1] = -1;
    *stdout_fd = out[0];
    out[0] = -1;
    st = MT_OK;
out:
    close_pipe(out);
    close_pipe(in);
    return st;
}

/* Waits until fd is readable or the deadline passes; false on the deadline. */
static bool wait_readable(int fd, int64_t deadline_ms)
{
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int64_t left = deadline_ms - now_ms();
        if (left <= 0)
            return false;

        int ready = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
        if (ready > 0)
            return true;
        if (ready < 0 && errno != EINTR)
            return false;
    }
}

enum mt_status mt_test_child_read_line(int fd, const struct mt_test_child_options *o, char *line,
                                       size_t size, struct mt_err *err)
{
    int64_t deadline_ms = now_ms() + o->line_timeout_ms;
    size_t len = 0;

    for (;;) {
        if (len + 1 >= size)
            return mt_err_set(err, MT_ERR_TOO_LARGE, "%s printed a line over %zu bytes",
                              child_name(o), size > 0 ? size - 1 : 0);
        if (!wait_readable(fd, deadline_ms))
            return mt_err_set(err, MT_ERR_TIMEOUT, "%s printed no line within %d ms", child_name(o),
                              o->line_timeout_ms);

        ssize_t n = read(fd, line + len, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return mt_err_set(err, MT_ERR_IO, "%s exited before printing a whole line",
                              child_name(o));
        if (line[len] == '\n')
            break;
        len++;
    }
    line[len] = '\0';
    return MT_OK;
}

enum mt_status mt_test_child_start(struct mt_test_child *child,
                                   const struct mt_test_child_options *o, char *line, size_t size,
                                   struct mt_err *err)
{
    int out_fd = -1;

    enum mt_status st = mt_test_child_spawn(child, o, &out_fd, err);
    if (st == MT_OK)
        st = mt_test_child_read_line(out_fd, o, line, size, err);

    if (out_fd >= 0)
        close(out_fd);
    if (st != MT_OK)
        mt_test_child_stop(child, FAILED_START_GRACE_MS);
    return st;
}

/* waitpid that retries when a signal interrupts it. */
static pid_t reap(pid_t pid, int *status, int flags)
{
    pid_t r;
    while ((r = waitpid(pid, status, flags)) < 0 && errno == EINTR)
        ;
    return r;
}

int mt_test_child_stop(struct mt_test_child *child, int grace_ms)
{
    int status = 0;
    pid_t done = 0;

    if (child->stdin_fd >= 0)
        close(child->stdin_fd);
    child->stdin_fd = -1;
    if (child->pid <= 0)
        return -1;

    /* Closing stdin asks it to end; give it the grace period to do so. */
    int64_t deadline_ms = now_ms() + grace_ms;
    while ((done = reap(child->pid, &status, WNOHANG)) == 0 && now_ms() < deadline_ms)
        nanosleep(&(struct timespec){0, STOP_POLL_MS * 1000000L}, NULL);

    /* 0: still running, and still ours, so the signal cannot reach another process. */
    if (done == 0) {
        kill(child->pid, SIGKILL);
        done = reap(child->pid, &status, 0);
    }
    child->pid = -1;
    if (done <= 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
