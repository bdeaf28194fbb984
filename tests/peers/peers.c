/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The C side of the npm stand-ins: starting node as a child (child.h),
 * reading the address line, stopping by closed stdin then by PID, and
 * running the SDK read-back tool.
 */
#include "child.h"
#include "peers.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_ARGS 16

/* A peer that prints nothing for this long is taken to be stuck. */
#define SILENCE_MS 30000

/* The stand-ins get a second to end after their stdin closes. */
#define STOP_GRACE_MS 1000

/* The command line of one node script: node, the script's path, then the arguments. */
struct node_command {
    char path[4096];
    const char *argv[MAX_ARGS + 3];
};

/* Fills cmd for script with args (NULL-terminated, may be NULL) and says how to start it. */
static struct mt_test_child_options node_command(struct node_command *cmd, const char *script,
                                                 const char *const *args)
{
    size_t n = 0;

    snprintf(cmd->path, sizeof(cmd->path), "%s/%s", MT_PEERS_DIR, script);
    cmd->argv[n++] = MT_NODE;
    cmd->argv[n++] = cmd->path;
    for (size_t i = 0; args != NULL && args[i] != NULL && n < MAX_ARGS + 2; i++)
        cmd->argv[n++] = args[i];
    cmd->argv[n] = NULL;
    return (struct mt_test_child_options){.argv = cmd->argv, .name = script,
                                          .line_timeout_ms = SILENCE_MS};
}

/* Reads fd to its end into out, giving up after SILENCE_MS without output. */
static enum mt_status read_all(int fd, struct mt_buf *out, struct mt_err *err)
{
    char chunk[4096];
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, SILENCE_MS) <= 0)
            return mt_err_set(err, MT_ERR_TIMEOUT, "a test peer printed nothing for 30 s");
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return MT_OK;
        if (mt_buf_append(out, chunk, (size_t)n) != MT_OK)
            return mt_err_set(err, MT_ERR_NOMEM, "out of memory");
    }
}

static void copy_url(json_t *doc, const char *key, char *out, size_t size)
{
    const char *v = json_string_value(json_object_get(doc, key));
    snprintf(out, size, "%s", v ? v : "");
}

enum mt_status mt_peers_start(struct mt_peers *p, const char *const *args, struct mt_err *err)
{
    struct node_command cmd;
    struct mt_test_child_options o = node_command(&cmd, "stand-ins.mjs", args);
    struct mt_test_child child;
    char line[512];

    memset(p, 0, sizeof(*p));
    p->pid = -1;
    p->stdin_fd = -1;
    enum mt_status st = mt_test_child_start(&child, &o, line, sizeof(line), err);
    if (st != MT_OK)
        return st;

    p->pid = child.pid;
    p->stdin_fd = child.stdin_fd;
    json_t *doc = json_loads(line, 0, NULL);
    if (!json_is_object(doc)) {
        st = mt_err_set(err, MT_ERR_PARSE, "stand-ins printed '%s'", line);
        mt_peers_stop(p);
    } else {
        copy_url(doc, "dynamodb", p->dynamodb, sizeof(p->dynamodb));
        copy_url(doc, "s3", p->s3, sizeof(p->s3));
        copy_url(doc, "fault", p->fault, sizeof(p->fault));
    }
    json_decref(doc);
    return st;
}

void mt_peers_stop(struct mt_peers *p)
{
    struct mt_test_child child = {.pid = p->pid, .stdin_fd = p->stdin_fd};

    mt_test_child_stop(&child, STOP_GRACE_MS);
    p->pid = -1;
    p->stdin_fd = -1;
}

enum mt_status mt_peers_read_back(const char *const *args, struct mt_buf *out,
                                  struct mt_err *err)
{
    struct node_command cmd;
    struct mt_test_child_options o = node_command(&cmd, "read-back.mjs", args);
    struct mt_test_child child;
    int out_fd = -1;

    mt_buf_init(out, 0);
    enum mt_status st = mt_test_child_spawn(&child, &o, &out_fd, err);
    if (st != MT_OK)
        return st;

    /* It reads nothing from stdin, and ends once it has printed everything. */
    close(child.stdin_fd);
    child.stdin_fd = -1;
    st = read_all(out_fd, out, err);
    close(out_fd);

    /* A read-back that went silent may never exit on its own: kill it at once. */
    int code = mt_test_child_stop(&child, st == MT_OK ? SILENCE_MS : 0);
    if (st == MT_OK && code != 0)
        st = mt_err_set(err, MT_ERR_IO, "read-back.mjs %s failed", args[0]);
    if (st == MT_OK && out->data == NULL)
        mt_buf_append(out, "", 0);
    return st;
}
