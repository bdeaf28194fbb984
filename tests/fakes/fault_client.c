/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The test side of mt_fault_server: starting it as a child (child.h) and
 * reading its ports, and its control API spoken as plain HTTP/1.0 over a
 * socket, so that scripting the server does not depend on the HTTP client
 * under test.
 */
#include "child.h"
#include "fault.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Its ports line comes within 10 s; delayed answers may need 5 s to finish once stopped. */
#define PORTS_TIMEOUT_MS 10000
#define STOP_GRACE_MS 5000

enum mt_status mt_fault_start(struct mt_fault_server *s, bool tls, struct mt_err *err)
{
    const char *plain_argv[] = {MT_FAULT_SERVER, NULL};
    const char *tls_argv[] = {MT_FAULT_SERVER, "--tls", MT_FAULT_CERT, MT_FAULT_KEY, NULL};
    struct mt_test_child_options o = {.argv = tls ? tls_argv : plain_argv,
                                      .name = "mt_fault_server",
                                      .line_timeout_ms = PORTS_TIMEOUT_MS};
    struct mt_test_child child;
    char line[64];

    *s = (struct mt_fault_server){.pid = -1, .stdin_fd = -1};
    enum mt_status st = mt_test_child_start(&child, &o, line, sizeof(line), err);
    if (st != MT_OK)
        return st;

    s->pid = child.pid;
    s->stdin_fd = child.stdin_fd;
    if (sscanf(line, "%d %d", &s->port, &s->control_port) != 2) {
        mt_fault_stop(s);
        return mt_err_set(err, MT_ERR_PARSE, "mt_fault_server printed '%s'", line);
    }
    return MT_OK;
}

void mt_fault_stop(struct mt_fault_server *s)
{
    struct mt_test_child child = {.pid = s->pid, .stdin_fd = s->stdin_fd};

    mt_test_child_stop(&child, STOP_GRACE_MS);
    s->pid = -1;
    s->stdin_fd = -1;
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
