/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TCP connection to the Runtime API: the address taken apart, resolved
 * once, connected with a timeout, then kept open and checked before each
 * reuse.  The socket stays blocking, so the long poll for the next
 * invocation is one plain recv() with no timeout; calls that have a
 * deadline pass MSG_DONTWAIT and wait in poll() for what is left of it.
 * Sends use MSG_NOSIGNAL, so a peer that has gone away is an error, never
 * SIGPIPE; every call is restarted after EINTR.
 *
 * Left out: proxies (the endpoint is local by definition), TLS, and any
 * address family but IPv4 and IPv6.  Names are resolved once per client, so
 * a name whose address changes later is not followed.
 */
#include "runtime_int.h"

#include "mt/clock.h"
#include "mt/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* True for a DNS name: letters, digits, '-' and '.', at most 253 characters. */
static bool name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.'))
            return false;
    }
    return true;
}

/* True for 1-5 digits naming a port 1-65535. */
static bool port_ok(const char *s)
{
    long port = 0;
    size_t n = strlen(s);

    if (n == 0 || n > 5)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        port = port * 10 + (s[i] - '0');
    }
    return port >= 1 && port <= 65535;
}

/* True when host is a valid literal of its kind, or a name when it is not a literal. */
static bool host_ok(const char *host, bool bracketed)
{
    unsigned char addr[sizeof(struct in6_addr)];

    if (bracketed)
        return inet_pton(AF_INET6, host, addr) == 1;
    if (strspn(host, "0123456789.") == strlen(host))
        return inet_pton(AF_INET, host, addr) == 1;
    return name_ok(host, strlen(host));
}

enum mt_status runtime_address_parse(const char *text, struct runtime_address *out,
                                     struct mt_err *err)
{
    size_t len = strlen(text);
    bool bracketed = text[0] == '[';
    const char *end = bracketed ? strchr(text, ']') : strrchr(text, ':');
    const char *colon = end != NULL && bracketed ? end + 1 : end;
    const char *host = bracketed ? text + 1 : text;

    memset(out, 0, sizeof(*out));
    if (len >= sizeof(out->authority) || end == NULL || colon[0] != ':' || end == host ||
        (size_t)(end - host) >= sizeof(out->host) || !port_ok(colon + 1))
        goto bad;

    memcpy(out->host, host, (size_t)(end - host));
    memcpy(out->port, colon + 1, strlen(colon + 1));
    memcpy(out->authority, text, len);
    if (host_ok(out->host, bracketed))
        return MT_OK;
bad:
    return mt_err_set(err, MT_ERR_CONFIG, "Runtime API address '%.64s' is not host:port (a "
                      "name, an IPv4 address or a bracketed IPv6 address, and a port)", text);
}

void runtime_conn_init(struct runtime_conn *c)
{
    memset(c, 0, sizeof(*c));
    c->fd = -1;
}

void runtime_conn_close(struct runtime_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

void runtime_conn_cleanup(struct runtime_conn *c)
{
    runtime_conn_close(c);
    if (c->addrs != NULL)
        freeaddrinfo(c->addrs);
    c->addrs = NULL;
}

/*
 * Waits in poll() until fd is ready for events or by_ms passes.  MT_OK when
 * ready (or closed or failed: the next call says which); MT_ERR_TIMEOUT.
 */
static enum mt_status wait_for(int fd, short events, int64_t by_ms, struct mt_err *err)
{
    for (;;) {
        int64_t left_ms = by_ms - mt_time_monotonic_ms();
        if (left_ms <= 0)
            return mt_err_set(err, MT_ERR_TIMEOUT, "no answer in time");

        struct pollfd pfd = {.fd = fd, .events = events};
        int n = poll(&pfd, 1, left_ms > INT_MAX ? INT_MAX : (int)left_ms);
        if (n > 0)
            return MT_OK;
        if (n < 0 && errno != EINTR)
            return mt_err_set(err, MT_ERR_HTTP, "poll failed: %s", strerror(errno));
    }
}

/* Resolves the address once; the result is kept for every later connection. */
static enum mt_status resolve(struct runtime_conn *c, const struct runtime_address *a,
                              struct mt_err *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV};

    if (c->addrs != NULL)
        return MT_OK;
    int rc = getaddrinfo(a->host, a->port, &hints, &c->addrs);
    if (rc == 0)
        return MT_OK;
    c->addrs = NULL;
    return mt_err_set(err, MT_ERR_CONNECT, "cannot resolve '%s': %s", a->host,
                      rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
}

/*
 * Connects a non-blocking socket to one address by by_ms, then makes it
 * blocking with Nagle off.  Returns the socket, or -1 with *error set (an
 * errno, ETIMEDOUT when by_ms passed).
 */
static int connect_one(const struct addrinfo *ai, int64_t by_ms, int *error)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
    int one = 1;
    socklen_t size = sizeof(*error);

    if (fd < 0) {
        *error = errno;
        return -1;
    }
    *error = 0;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        *error = errno;
        if (*error == EINPROGRESS || *error == EINTR) {
            enum mt_status st = wait_for(fd, POLLOUT, by_ms, NULL);
            *error = st == MT_OK ? 0 : st == MT_ERR_TIMEOUT ? ETIMEDOUT : EIO;
            if (*error == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, error, &size) != 0)
                *error = errno;
        }
    }
    if (*error == 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0)
        *error = errno;
    if (*error != 0) {
        close(fd);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

/*
 * True when an open connection can carry a request: the peer has neither
 * closed it nor sent anything since the last answer (which would be read as
 * the next answer).  Costs one non-blocking recv.
 */
static bool still_idle(const struct runtime_conn *c)
{
    char byte;
    ssize_t n;

    do {
        n = recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

enum mt_status runtime_conn_ready(struct runtime_conn *c, const struct runtime_address *a,
                                  int64_t connect_by_ms, struct mt_err *err)
{
    int error = 0;

    if (c->fd >= 0 && still_idle(c))
        return MT_OK;
    if (c->fd >= 0) {
        MT_LOG(MT_LOG_DEBUG, "runtime", "runtime_reconnect", "the idle connection was closed");
        runtime_conn_close(c);
    }
    enum mt_status st = resolve(c, a, err);
    if (st != MT_OK)
        return st;

    for (const struct addrinfo *ai = c->addrs; ai != NULL && c->fd < 0; ai = ai->ai_next) {
        c->fd = connect_one(ai, connect_by_ms, &error);
        if (error == ETIMEDOUT)
            break;
    }
    if (c->fd >= 0) {
        c->opened++;
        return MT_OK;
    }
    if (error == ETIMEDOUT)
        return mt_err_set(err, MT_ERR_TIMEOUT, "no connection to %s in time", a->authority);
    return mt_err_set(err, MT_ERR_CONNECT, "cannot connect to %s: %s", a->authority,
                      strerror(error));
}

/* Drops n sent bytes from the front of the iovec list. */
static void advance(struct iovec **iov, int *count, size_t n)
{
    while (*count > 0 && n >= (*iov)->iov_len) {
        n -= (*iov)->iov_len;
        (*iov)++;
        (*count)--;
    }
    if (*count > 0) {
        (*iov)->iov_base = (char *)(*iov)->iov_base + n;
        (*iov)->iov_len -= n;
    }
}

enum mt_status runtime_conn_send(struct runtime_conn *c, struct iovec *iov, int count,
                                 int64_t by_ms, struct mt_err *err)
{
    int flags = MSG_NOSIGNAL | (by_ms ? MSG_DONTWAIT : 0);

    advance(&iov, &count, 0);
    while (count > 0) {
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)count};
        ssize_t n = sendmsg(c->fd, &msg, flags);

        if (n >= 0) {
            advance(&iov, &count, (size_t)n);
            continue;
        }
        if (errno == EINTR)
            continue;
        if (by_ms == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            return mt_err_set(err, MT_ERR_HTTP, "sending failed: %s", strerror(errno));

        enum mt_status st = wait_for(c->fd, POLLOUT, by_ms, err);
        if (st != MT_OK)
            return st;
    }
    return MT_OK;
}

enum mt_status runtime_conn_recv(struct runtime_conn *c, char *buf, size_t cap, int64_t by_ms,
                                 size_t *got, struct mt_err *err)
{
    *got = 0;
    for (;;) {
        if (by_ms != 0) {
            enum mt_status st = wait_for(c->fd, POLLIN, by_ms, err);
            if (st != MT_OK)
                return st;
        }
        ssize_t n = recv(c->fd, buf, cap, by_ms ? MSG_DONTWAIT : 0);
        if (n >= 0) {
            *got = (size_t)n;
            return MT_OK;
        }
        if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
            return mt_err_set(err, MT_ERR_HTTP, "receiving failed: %s", strerror(errno));
    }
}
