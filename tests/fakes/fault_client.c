/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The test side of mt_fault_server: spawning it, reading its ports, and its
 * control API spoken as plain HTTP/1.0 over a socket, so that scripting the
 * server does not depend on the HTTP client under test.
 */
#include "fault.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Reads the "<port> <control port>" line, waiting at most 10 s. */
static enum mt_status read_ports(struct mt_fault_server *s, int fd, struct mt_err *err)
{
    char line[64];
    size_t len = 0;

    while (len < sizeof(line) - 1 && memchr(line, '\n', len) == NULL) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 10000) <= 0)
            return mt_err_set(err, MT_ERR_TIMEOUT, "mt_fault_server printed no ports");
        ssize_t n = read(fd, line + len, sizeof(line) - 1 - len);
        if (n <= 0)
            return mt_err_set(err, MT_ERR_IO, "mt_fault_server exited before printing ports");
        len += (size_t)n;
    }
    line[len] = '\0';
    if (sscanf(line, "%d %d", &s->port, &s->control_port) != 2)
        return mt_err_set(err, MT_ERR_PARSE, "mt_fault_server printed '%s'", line);
    return MT_OK;
}

enum mt_status mt_fault_start(struct mt_fault_server *s, bool tls, struct mt_err *err)
{
    int in[2] = {-1, -1};
    int out[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    char *plain_argv[] = {MT_FAULT_SERVER, NULL};
    char *tls_argv[] = {MT_FAULT_SERVER, "--tls", MT_FAULT_CERT, MT_FAULT_KEY, NULL};
    enum mt_status st = MT_ERR_IO;

    *s = (struct mt_fault_server){.pid = -1, .stdin_fd = -1};
    if (pipe(in) != 0 || pipe(out) != 0) {
        mt_err_set(err, st, "cannot create pipes: %s", strerror(errno));
        goto out;
    }

    /* Only the dup2 copies below reach the server; the originals close on exec. */
    for (int i = 0; i < 2; i++) {
        fcntl(in[i], F_SETFD, FD_CLOEXEC);
        fcntl(out[i], F_SETFD, FD_CLOEXEC);
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    int rc = posix_spawn(&s->pid, MT_FAULT_SERVER, &fa, NULL, tls ? tls_argv : plain_argv,
                         environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        s->pid = -1;
        mt_err_set(err, st, "cannot start %s: %s", MT_FAULT_SERVER, strerror(rc));
        goto out;
    }

    s->stdin_fd = in[1];
    in[1] = -1;
    st = read_ports(s, out[0], err);
out:
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            close(in[i]);
        if (out[i] >= 0)
            close(out[i]);
    }
    if (st != MT_OK)
        mt_fault_stop(s);
    return st;
}

void mt_fault_stop(struct mt_fault_server *s)
{
    if (s->stdin_fd >= 0)
        close(s->stdin_fd);
    s->stdin_fd = -1;
    if (s->pid <= 0)
        return;

    /* Give it 5 s to finish delayed answers, then kill this one process. */
    for (int i = 0; i < 500; i++) {
        if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
            s->pid = -1;
            return;
        }
        nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = -1;
}

/* Sends one control request and reads the answer body into out (may be NULL). */
static enum mt_status control(const struct mt_fault_server *s, const char *method,
                              const char *path, const char *body, struct mt_buf *out,
                              struct mt_err *err)
{
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)s->control_port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct mt_buf reply;
    enum mt_status st = MT_ERR_IO;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    mt_buf_init(&reply, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        mt_err_set(err, st, "cannot reach the fault server's control port: %s", strerror(errno));
        goto out;
    }

    size_t body_len = body != NULL ? strlen(body) : 0;
    dprintf(fd, "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: %zu\r\n\r\n", method, path,
            body_len);
    if (body_len > 0 && write(fd, body, body_len) != (ssize_t)body_len) {
        mt_err_set(err, st, "cannot send to the fault server: %s", strerror(errno));
        goto out;
    }

    char chunk[4096];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof(chunk))) > 0)
        mt_buf_append(&reply, chunk, (size_t)n);

    const char *sep = reply.data != NULL ? strstr(reply.data, "\r\n\r\n") : NULL;
    if (sep == NULL || strncmp(reply.data + 8, " 200", 4) != 0) {
        st = mt_err_set(err, MT_ERR_INVALID, "fault server refused %s %s: %.60s", method, path,
                        reply.data != NULL ? reply.data : "(no answer)");
        goto out;
    }
    st = out != NULL ? mt_buf_append_cstr(out, sep + 4) : MT_OK;
out:
    if (fd >= 0)
        close(fd);
    mt_buf_cleanup(&reply);
    return st;
}

enum mt_status mt_fault_script(const struct mt_fault_server *s, const char *steps,
                               struct mt_err *err)
{
    return control(s, "POST", "/script", steps, NULL, err);
}

enum mt_status mt_fault_stats(const struct mt_fault_server *s, long *requests, long *connections,
                              struct mt_err *err)
{
    struct mt_buf text;
    mt_buf_init(&text, 0);

    enum mt_status st = control(s, "GET", "/stats", NULL, &text, err);
    if (st == MT_OK &&
        sscanf(text.data, "requests=%ld connections=%ld", requests, connections) != 2)
        st = mt_err_set(err, MT_ERR_PARSE, "fault server stats unreadable: '%s'", text.data);
    mt_buf_cleanup(&text);
    return st;
}

enum mt_status mt_fault_last(const struct mt_fault_server *s, struct mt_buf *out,
                             struct mt_err *err)
{
    return control(s, "GET", "/last", NULL, out, err);
}

enum mt_status mt_fault_clear(const struct mt_fault_server *s, struct mt_err *err)
{
    return control(s, "POST", "/clear", NULL, NULL, err);
}
