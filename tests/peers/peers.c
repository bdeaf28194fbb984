/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The C side of the npm stand-ins: spawning node, reading the address line,
 * stopping by closed stdin then by PID, and running the SDK read-back tool.
 */
#include "peers.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_ARGS 16

/* Spawns node script args with stdin and stdout on pipes. */
static enum mt_status spawn_node(const char *script, const char *const *args, pid_t *pid,
                                 int *in_fd, int *out_fd, struct mt_err *err)
{
    char path[4096];
    char *argv[MAX_ARGS + 3];
    int in[2], out[2];
    posix_spawn_file_actions_t fa;
    size_t n = 0;

    snprintf(path, sizeof(path), "%s/%s", MT_PEERS_DIR, script);
    static char node[] = MT_NODE;
    argv[n++] = node;
    argv[n++] = path;
    /* posix_spawn takes char *const[] but never writes through it. */
    for (size_t i = 0; args != NULL && args[i] != NULL && n < MAX_ARGS + 2; i++)
        memcpy(&argv[n++], &args[i], sizeof(char *));
    argv[n] = NULL;

    if (pipe(in) != 0)
        return mt_err_set(err, MT_ERR_IO, "cannot create pipes: %s", strerror(errno));
    if (pipe(out) != 0) {
        close(in[0]);
        close(in[1]);
        return mt_err_set(err, MT_ERR_IO, "cannot create pipes: %s", strerror(errno));
    }
    for (int i = 0; i < 2; i++) {
        fcntl(in[i], F_SETFD, FD_CLOEXEC);
        fcntl(out[i], F_SETFD, FD_CLOEXEC);
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    int rc = posix_spawn(pid, node, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    if (rc != 0) {
        close(in[1]);
        close(out[0]);
        return mt_err_set(err, MT_ERR_IO, "cannot start %s: %s", MT_NODE, strerror(rc));
    }
    *in_fd = in[1];
    *out_fd = out[0];
    return MT_OK;
}

/* Reads fd to its end (or until a newline when line_only), waiting at most 30 s. */
static enum mt_status read_all(int fd, bool line_only, struct mt_buf *out, struct mt_err *err)
{
    char chunk[4096];
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 30000) <= 0)
            return mt_err_set(err, MT_ERR_TIMEOUT, "a test peer printed nothing for 30 s");
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return line_only ? mt_err_set(err, MT_ERR_IO, "a test peer exited early") : MT_OK;
        if (mt_buf_append(out, chunk, (size_t)n) != MT_OK)
            return mt_err_set(err, MT_ERR_NOMEM, "out of memory");
        if (line_only && memchr(chunk, '\n', (size_t)n) != NULL)
            return MT_OK;
    }
}

static void copy_url(json_t *doc, const char *key, char *out, size_t size)
{
    const char *v = json_string_value(json_object_get(doc, key));
    snprintf(out, size, "%s", v ? v : "");
}

enum mt_status mt_peers_start(struct mt_peers *p, const char *const *args, struct mt_err *err)
{
    struct mt_buf line;
    int out_fd = -1;

    memset(p, 0, sizeof(*p));
    p->pid = -1;
    p->stdin_fd = -1;
    mt_buf_init(&line, 0);
    enum mt_status st = spawn_node("stand-ins.mjs", args, &p->pid, &p->stdin_fd, &out_fd, err);
    if (st == MT_OK)
        st = read_all(out_fd, true, &line, err);
    json_t *doc = st == MT_OK ? json_loads(line.data, JSON_DISABLE_EOF_CHECK, NULL) : NULL;
    if (st == MT_OK && !json_is_object(doc))
        st = mt_err_set(err, MT_ERR_PARSE, "stand-ins printed '%s'", line.data);
    if (st == MT_OK) {
        copy_url(doc, "dynamodb", p->dynamodb, sizeof(p->dynamodb));
        copy_url(doc, "s3", p->s3, sizeof(p->s3));
        copy_url(doc, "fault", p->fault, sizeof(p->fault));
    }
    json_decref(doc);
    if (out_fd >= 0)
        close(out_fd);
    mt_buf_cleanup(&line);
    if (st != MT_OK)
        mt_peers_stop(p);
    return st;
}

void mt_peers_stop(struct mt_peers *p)
{
    if (p->stdin_fd >= 0)
        close(p->stdin_fd);
    p->stdin_fd = -1;
    if (p->pid <= 0)
        return;
    for (int i = 0; i < 50; i++) {
        if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
            p->pid = -1;
            return;
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(p->pid, SIGKILL);
    waitpid(p->pid, NULL, 0);
    p->pid = -1;
}

enum mt_status mt_peers_read_back(const char *const *args, struct mt_buf *out,
                                  struct mt_err *err)
{
    pid_t pid = -1;
    int in_fd = -1, out_fd = -1;
    int status = 0;

    mt_buf_init(out, 0);
    enum mt_status st = spawn_node("read-back.mjs", args, &pid, &in_fd, &out_fd, err);
    if (st != MT_OK)
        return st;
    close(in_fd);
    st = read_all(out_fd, false, out, err);
    close(out_fd);
    /* A read-back that went silent may never exit on its own; waiting for it would hang. */
    if (st != MT_OK)
        kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    if (st == MT_OK && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
        st = mt_err_set(err, MT_ERR_IO, "read-back.mjs %s failed", args[0]);
    if (st == MT_OK && out->data == NULL)
        mt_buf_append(out, "", 0);
    return st;
}
