/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Child processes for tests: run a program and capture what it printed, or
 * start a peer server, learn its port and stop it again by PID, using the
 * line reading and the wait-then-kill of child.c.  Output is captured
 * through temporary files, not pipes, so a chatty child can never block on
 * a full pipe while the test waits for it.
 */
#include "child.h"
#include "harness.h"
#include "proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the whole file at fd from its start into out. */
static void slurp(int fd, struct mt_buf *out)
{
    char chunk[8192];
    ssize_t n;

    mt_buf_init(out, 0);
    assert_int_equal(mt_buf_append(out, "", 0), MT_OK);
    lseek(fd, 0, SEEK_SET);
    while ((n = read(fd, chunk, sizeof(chunk))) > 0)
        assert_int_equal(mt_buf_append(out, chunk, (size_t)n), MT_OK);
}

/* An unlinked temporary file, open for reading and writing. */
static int temp_file(void)
{
    char path[] = "/tmp/mt-proc-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        fail_msg("cannot create a temporary file: %s", strerror(errno));
    unlink(path);
    return fd;
}

/* In the child: sets up the environment and standard streams, then execs. */
static void exec_child(const char *const argv[], const char *const env_unset[],
                       const char *const env_set[], int in_fd, int out_fd, int err_fd)
{
    for (size_t i = 0; env_unset != NULL && env_unset[i] != NULL; i++)
        unsetenv(env_unset[i]);
    for (size_t i = 0; env_set != NULL && env_set[i] != NULL; i++)
        putenv((char *)(uintptr_t)env_set[i]);
    if (in_fd >= 0)
        dup2(in_fd, STDIN_FILENO);
    if (out_fd >= 0)
        dup2(out_fd, STDOUT_FILENO);
    if (err_fd >= 0)
        dup2(err_fd, STDERR_FILENO);
    execv(argv[0], (char *const *)(uintptr_t)argv);
    fprintf(stderr, "cannot run '%s': %s\n", argv[0], strerror(errno));
    _exit(127);
}

static int wait_exit_code(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            fail_msg("waitpid failed: %s", strerror(errno));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void mt_test_run(const char *const argv[], const char *const env_unset[],
                 const char *const env_set[], const char *stdin_text, struct mt_test_run *run)
{
    int in_fd = temp_file(), out_fd = temp_file(), err_fd = temp_file();

    if (stdin_text != NULL) {
        size_t len = strlen(stdin_text);
        assert_int_equal(write(in_fd, stdin_text, len), (ssize_t)len);
        lseek(in_fd, 0, SEEK_SET);
    } else {
        close(in_fd);
        in_fd = open("/dev/null", O_RDONLY);
    }

    int64_t start = now_ms();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        fail_msg("fork failed: %s", strerror(errno));
    if (pid == 0)
        exec_child(argv, env_unset, env_set, in_fd, out_fd, err_fd);

    run->exit_code = wait_exit_code(pid);
    run->elapsed_ms = now_ms() - start;
    slurp(out_fd, &run->out);
    slurp(err_fd, &run->err);
    close(in_fd);
    close(out_fd);
    close(err_fd);
}

void mt_test_run_cleanup(struct mt_test_run *run)
{
    mt_buf_cleanup(&run->out);
    mt_buf_cleanup(&run->err);
}

void mt_test_peer_start(const char *const argv[], struct mt_test_peer *peer)
{
    int fds[2];
    char line[64];
    struct mt_test_child_options o = {.argv = argv, .line_timeout_ms = 15000};
    struct mt_err err = {0};

    if (pipe(fds) != 0)
        fail_msg("pipe failed: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        fail_msg("fork failed: %s", strerror(errno));
    if (pid == 0) {
        close(fds[0]);
        int devnull = open("/dev/null", O_RDONLY);
        exec_child(argv, NULL, NULL, devnull, fds[1], -1);
    }
    close(fds[1]);
    peer->pid = pid;
    peer->out_fd = fds[0];
    peer->port = 0;

    if (mt_test_child_read_line(fds[0], &o, line, sizeof(line), &err) != MT_OK ||
        sscanf(line, "PORT %d", &peer->port) != 1) {
        mt_test_peer_stop(peer);
        fail_msg("peer '%s %s' did not announce its port: %s", argv[0], argv[1] ? argv[1] : "",
                 err.code != MT_OK ? mt_err_text(&err) : line);
    }
}

void mt_test_peer_stop(struct mt_test_peer *peer)
{
    /* Its stdin is /dev/null, so the child helper only waits and, if need be, kills. */
    struct mt_test_child child = {.pid = peer->pid, .stdin_fd = -1};

    if (peer->pid <= 0)
        return;
    kill(peer->pid, SIGTERM);
    mt_test_child_stop(&child, 5000);
    close(peer->out_fd);
    peer->pid = 0;
}

int mt_test_unused_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        fail_msg("cannot find a free port: %s", strerror(errno));
    close(fd);
    return ntohs(a.sin_port);
}
