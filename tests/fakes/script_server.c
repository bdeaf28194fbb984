/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The scripted HTTP peer (see script_server.h).  One thread, one connection
 * at a time, blocking sockets with poll() on a stop pipe so that stopping
 * never waits for a client.  Requests are read only as far as HTTP framing
 * needs (head, then Content-Length); nothing is checked, since the tests
 * compare the recorded bytes themselves.  Test code: clarity over speed.
 */
#include "script_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_REQUEST_BYTES ((size_t)1 << 20)

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Waits until fd is readable; false when the server is stopping. */
static bool wait_readable(const struct mt_script_server *s, int fd)
{
    struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = s->stop_pipe[0], .events = POLLIN}};
    for (;;) {
        int n = poll(p, 2, -1);
        if (n < 0 && errno == EINTR)
            continue;
        return n > 0 && p[1].revents == 0;
    }
}

/* The Content-Length of a request head, 0 when it has none. */
static size_t content_length(const char *head)
{
    for (const char *line = strstr(head, "\r\n"); line != NULL; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, "Content-Length:", 15) == 0)
            return strtoul(line + 17, NULL, 10);
    }
    return 0;
}

/* Reads one whole request into a new string; NULL when the connection ends first. */
static char *read_request(const struct mt_script_server *s, int fd)
{
    char *buf = calloc(1, MAX_REQUEST_BYTES + 1);
    size_t len = 0, want = 0;

    while (buf != NULL && len < MAX_REQUEST_BYTES && wait_readable(s, fd)) {
        ssize_t n = recv(fd, buf + len, MAX_REQUEST_BYTES - len, 0);
        if (n <= 0)
            break;
        len += (size_t)n;
        char *end = strstr(buf, "\r\n\r\n");
        if (end != NULL && want == 0)
            want = (size_t)(end + 4 - buf) + content_length(buf);
        if (want != 0 && len >= want)
            return buf;
    }
    free(buf);
    return NULL;
}

/* Writes bytes whole, or one byte per send() 1 ms apart. */
static void write_bytes(int fd, const char *bytes, bool trickle)
{
    size_t len = strlen(bytes);
    for (size_t at = 0; at < len;) {
        ssize_t n = send(fd, bytes + at, trickle ? 1 : len - at, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        at += (size_t)n;
        if (trickle)
            sleep_ms(1);
    }
}

/* Accepts the next connection; -1 when stopping. */
static int accept_next(struct mt_script_server *s)
{
    int one = 1;

    if (!wait_readable(s, s->listen_fd))
        return -1;
    int fd = accept(s->listen_fd, NULL, NULL);
    if (fd >= 0) {
        s->connections++;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    return fd;
}

/* Plays one step on the current connection, opening one when needed; false when stopping. */
static bool play(struct mt_script_server *s, const struct mt_script_step *step, int *fd)
{
    char *request = NULL;

    while (request == NULL) {
        if (*fd < 0 && (*fd = accept_next(s)) < 0)
            return false;
        request = read_request(s, *fd);
        if (request == NULL) {
            close(*fd);
            *fd = -1;
        }
    }
    if (s->requests < MT_SCRIPT_MAX_REQUESTS) {
        s->request_connection[s->requests] = s->connections;
        s->request_text[s->requests++] = request;
    } else {
        free(request);
    }

    sleep_ms(step->delay_ms);
    if (step->answer != NULL)
        write_bytes(*fd, step->answer, step->trickle);
    if (step->later != NULL) {
        sleep_ms(50);
        write_bytes(*fd, step->later, false);
    }
    if (step->close_after) {
        close(*fd);
        *fd = -1;
    }
    return true;
}

/*
 * The server's thread.  It blocks every signal, so signals meant for the
 * test (say, timers that interrupt the client's calls) reach the test's
 * thread and never cut the server's own calls short.
 */
static void *serve(void *ctx)
{
    struct mt_script_server *s = ctx;
    int fd = -1;
    sigset_t all;

    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);

    for (size_t i = 0; i < s->step_count; i++) {
        if (!play(s, &s->steps[i], &fd))
            break;
    }
    if (fd >= 0)
        close(fd);
    while ((fd = accept_next(s)) >= 0)
        close(fd);
    return NULL;
}

/* A listening socket on an ephemeral port of the loopback address; -1 on failure. */
static int listen_loopback(bool ipv6, int *port)
{
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct sockaddr_storage bound;
    socklen_t size = sizeof(bound);
    int fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0 ||
        bind(fd, ipv6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4,
             ipv6 ? sizeof(a6) : sizeof(a4)) != 0 ||
        listen(fd, 16) != 0 || getsockname(fd, (struct sockaddr *)&bound, &size) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(ipv6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                       : ((struct sockaddr_in *)&bound)->sin_port);
    return fd;
}

enum mt_status mt_script_server_start(struct mt_script_server *s,
                                      const struct mt_script_step *steps, size_t count, bool ipv6,
                                      struct mt_err *err)
{
    memset(s, 0, sizeof(*s));
    s->steps = steps;
    s->step_count = count;
    s->listen_fd = listen_loopback(ipv6, &s->port);
    if (s->listen_fd < 0)
        return mt_err_set(err, ipv6 ? MT_ERR_UNSUPPORTED : MT_ERR_IO,
                          "cannot listen on the %s loopback address: %s", ipv6 ? "IPv6" : "IPv4",
                          strerror(errno));
    snprintf(s->address, sizeof(s->address), ipv6 ? "[::1]:%d" : "127.0.0.1:%d", s->port);

    if (pipe(s->stop_pipe) != 0 || pthread_create(&s->thread, NULL, serve, s) != 0) {
        close(s->listen_fd);
        return mt_err_set(err, MT_ERR_IO, "cannot start the script server's thread");
    }
    s->running = true;
    return MT_OK;
}

void mt_script_server_stop(struct mt_script_server *s)
{
    if (!s->running)
        return;
    if (write(s->stop_pipe[1], "x", 1) != 1)
        abort();
    pthread_join(s->thread, NULL);
    close(s->stop_pipe[0]);
    close(s->stop_pipe[1]);
    close(s->listen_fd);
    s->running = false;
}

void mt_script_server_cleanup(struct mt_script_server *s)
{
    mt_script_server_stop(s);
    for (size_t i = 0; i < s->requests; i++)
        free(s->request_text[i]);
    s->requests = 0;
}
