/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server's life and its routes, on libmicrohttpd (0.9.71 or later) with
 * a thread pool.
 *
 * libmicrohttpd calls the access handler once when the headers are in, then
 * once per piece of body, then once more with no data.  The first call
 * routes the request and refuses early what needs no body: a body length
 * given two ways (400, connection closed), unknown paths, wrong methods, and
 * a Content-Length over the limit (413 before reading a byte).  A body
 * without Content-Length (chunked) stops being kept as soon as it passes
 * the limit, and is refused with 413 when it ends (or the connection
 * dropped when it goes on far past the limit).  The last call hands a
 * complete body to the SNS handler.
 *
 * Stopping: the listening socket is closed first (quiesce); a request that
 * starts afterwards on a kept-alive connection gets 503 and the connection
 * is closed, so SNS retries it elsewhere or later; requests in flight get up
 * to drain_timeout_ms to be answered (with Connection: close), then
 * libmicrohttpd stops and the writer finishes the commits it holds.
 */
#include "serve_int.h"

#include "mt/clock.h"
#include "mt/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_THREADS 4
#define DEFAULT_CONNECTION_TIMEOUT_S 30
#define DEFAULT_DRAIN_TIMEOUT_MS 10000
#define DEFAULT_GROUP_MAX 64
#define MAX_CONNECTIONS 512
/*
 * LIMITATION: libmicrohttpd closes idle connections but sets no deadline on
 * a request's headers, so clients trickling headers from many addresses can
 * hold all MAX_CONNECTIONS; the per-address limit only stops one address.
 * Facing the internet, put a reverse proxy in front (docs/serve.md).
 */
#define DEFAULT_PER_IP_LIMIT 32
#define MAX_TLS_FILE ((size_t)1 << 20)

/*
 * A streamed body over the limit is discarded rather than answered at once:
 * libmicrohttpd cannot send a response while the client is still sending,
 * so the 413 goes out at the end.  Past this many times the limit the
 * connection is dropped instead, so a client cannot keep it busy forever.
 */
#define DISCARD_MAX_FACTOR 4

enum route { ROUTE_SNS, ROUTE_HEALTH, ROUTE_METRICS, ROUTE_OTHER };

/* The state of one request, kept between the handler's calls. */
struct request {
    enum route route;
    int64_t start_ms;
    struct mt_buf body;
    bool answered; /* a response is queued; ignore whatever body still comes */
    bool too_large; /* the body passed the limit; the rest is discarded unread */
    bool close;     /* answer with Connection: close: what follows cannot be trusted */
    size_t discarded;
    int code;
};

void serve_notify(const struct mt_serve *s, const struct mt_serve_notice *n)
{
    if (s->options.notice != NULL)
        s->options.notice(s->options.notice_ctx, n);
}

/* The client's address as text, for notices. */
static void remote_text(struct MHD_Connection *conn, char *out, size_t size)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = info ? info->client_addr : NULL;

    snprintf(out, size, "unknown");
    if (sa != NULL && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)size);
    else if (sa != NULL && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)size);
}

static bool is_stopping(struct mt_serve *s)
{
    pthread_mutex_lock(&s->metrics.lock);
    bool stopping = s->stopping;
    pthread_mutex_unlock(&s->metrics.lock);
    return stopping;
}

/* Queues a plain-text response and records its code; closes the connection when stopping. */
static enum MHD_Result answer(struct mt_serve *s, struct MHD_Connection *conn, struct request *r,
                              int code, const char *content_type, struct mt_str text)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        text.len, (void *)(uintptr_t)text.ptr, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (r->close || is_stopping(s))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
                                r->route == ROUTE_SNS ? "POST" : "GET, HEAD");
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)code, resp);
    MHD_destroy_response(resp);
    r->answered = true;
    r->code = code;
    return ok;
}

static enum MHD_Result answer_text(struct mt_serve *s, struct MHD_Connection *conn,
                                   struct request *r, int code, const char *text)
{
    return answer(s, conn, r, code, "text/plain; charset=utf-8", mt_str_from_cstr(text));
}

/* Refuses early and records the reason; for refusals that need no body. */
static enum MHD_Result refuse_early(struct mt_serve *s, struct MHD_Connection *conn,
                                    struct request *r, int code, enum serve_reject reason,
                                    const char *detail)
{
    char remote[64];
    remote_text(conn, remote, sizeof(remote));
    struct mt_serve_notice n = {.event = "http_rejected", .http_status = code,
                                .reason = serve_reject_name(reason), .detail = detail,
                                .remote = remote};
    serve_metrics_reject(&s->metrics, reason);
    serve_notify(s, &n);
    return answer_text(s, conn, r, code, code == 400 ? "bad request\n" : code == 404
                                     ? "not found\n" : code == 405 ? "method not allowed\n"
                                     : code == 503 ? "stopping\n" : "payload too large\n");
}

/* Records a connection dropped for a body far over the limit. */
static void drop(struct mt_serve *s, struct MHD_Connection *conn)
{
    char remote[64];
    remote_text(conn, remote, sizeof(remote));
    struct mt_serve_notice n = {.event = "http_dropped", .reason = "too_large",
                                .detail = "the body went on far past the limit; connection closed",
                                .remote = remote};
    serve_metrics_reject(&s->metrics, REJECT_TOO_LARGE);
    serve_notify(s, &n);
}

static enum route route_of(const struct mt_serve *s, const char *url)
{
    if (strcmp(url, s->path) == 0)
        return ROUTE_SNS;
    if (strcmp(url, "/healthz") == 0)
        return ROUTE_HEALTH;
    if (strcmp(url, "/metrics") == 0)
        return ROUTE_METRICS;
    return ROUTE_OTHER;
}

/* True when the request declares a Content-Length above max. */
static bool declared_too_large(struct MHD_Connection *conn, size_t max)
{
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl == NULL)
        return false;
    char *end = NULL;
    unsigned long long n = strtoull(cl, &end, 10);
    return end != cl && n > max;
}

/*
 * LIMITATION: libmicrohttpd parses the request line and headers before the
 * handler runs, and some malformed requests never reach it: a Content-Length
 * that is not a number gets libmicrohttpd's own 400 (in 0.9.75 with its
 * header block sent twice), unlogged and uncounted; a Transfer-Encoding
 * other than chunked waits for the idle timeout; a request without Host is
 * answered.  Only a client that breaks HTTP notices; a strict proxy in
 * front refuses such requests first (docs/KNOWN_LIMITATIONS.md).
 */

/* What framing depends on, from the request's headers. */
struct framing {
    unsigned lengths;     /* Content-Length headers */
    bool spaced_name;     /* a header name with white space in it (before its colon) */
};

static enum MHD_Result inspect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    struct framing *f = cls;
    (void)kind;
    (void)value;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
        f->lengths++;
    if (key[0] == '\0' || strpbrk(key, " \t") != NULL)
        f->spaced_name = true;
    return MHD_YES;
}

/*
 * Why the request's framing is ambiguous, or NULL.  A request with both
 * Content-Length and Transfer-Encoding, with several Content-Length headers,
 * or with white space between a header's name and its colon (which some
 * servers strip and others keep, as libmicrohttpd does) may be read one way
 * by a proxy in front and another way here: that is how requests are
 * smuggled past a proxy (RFC 9112, sections 5.1 and 6.3).  Such a request is
 * refused and its connection closed, since where the next request on it
 * starts is not known.
 */
static const char *ambiguous_framing(struct MHD_Connection *conn)
{
    struct framing f = {0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, inspect_header, &f);
    if (f.spaced_name)
        return "white space in a header name; connection closed";
    if (f.lengths > 0 && MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL)
        return "both Content-Length and Transfer-Encoding; connection closed";
    if (f.lengths > 1)
        return "more than one Content-Length; connection closed";
    return NULL;
}

/* First call: route, and refuse what can be refused before any body. */
static enum MHD_Result begin(struct mt_serve *s, struct MHD_Connection *conn, struct request *r,
                             const char *method)
{
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    const char *ambiguous = ambiguous_framing(conn);

    if (ambiguous != NULL) {
        r->close = true;
        return refuse_early(s, conn, r, 400, REJECT_MALFORMED, ambiguous);
    }
    switch (r->route) {
    case ROUTE_OTHER:
        return refuse_early(s, conn, r, 404, REJECT_NOT_FOUND, "no such path");
    case ROUTE_HEALTH:
    case ROUTE_METRICS:
        if (!get)
            return refuse_early(s, conn, r, 405, REJECT_METHOD, "only GET and HEAD are served");
        return MHD_YES;
    case ROUTE_SNS:
        break;
    }
    if (strcmp(method, "POST") != 0)
        return refuse_early(s, conn, r, 405, REJECT_METHOD, "SNS messages must be POSTed");
    if (declared_too_large(conn, s->options.max_body_bytes))
        return refuse_early(s, conn, r, 413, REJECT_TOO_LARGE,
                            "Content-Length is over the body limit");
    return MHD_YES;
}

static enum MHD_Result serve_metrics_page(struct mt_serve *s, struct MHD_Connection *conn,
                                          struct request *r)
{
    struct mt_buf text;
    mt_buf_init(&text, 0);
    enum MHD_Result ok;
    if (mt_serve_metrics(s, &text) == MT_OK)
        ok = answer(s, conn, r, 200, "text/plain; version=0.0.4; charset=utf-8",
                    mt_buf_str(&text));
    else
        ok = answer_text(s, conn, r, 500, "cannot format metrics\n");
    mt_buf_cleanup(&text);
    return ok;
}

/* Last call: the body is complete. */
static enum MHD_Result finish(struct mt_serve *s, struct MHD_Connection *conn, struct request *r)
{
    char remote[64];

    if (r->route == ROUTE_HEALTH)
        return answer_text(s, conn, r, 200, "ok\n");
    if (r->route == ROUTE_METRICS)
        return serve_metrics_page(s, conn, r);

    remote_text(conn, remote, sizeof(remote));
    struct serve_answer a = serve_handle_sns(s, conn, mt_buf_str(&r->body), remote);
    return answer_text(s, conn, r, a.code, a.text);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    struct mt_serve *s = cls;
    struct request *r = *con_cls;
    (void)version;

    if (r == NULL) {
        if ((r = calloc(1, sizeof(*r))) == NULL)
            return MHD_NO;
        r->start_ms = mt_time_monotonic_ms();
        r->route = route_of(s, url);
        mt_buf_init(&r->body, s->options.max_body_bytes);
        *con_cls = r;
        pthread_mutex_lock(&s->metrics.lock);
        s->metrics.in_flight++;
        pthread_mutex_unlock(&s->metrics.lock);
        if (is_stopping(s))
            return refuse_early(s, conn, r, 503, REJECT_STOPPING, "the server is stopping");
        return begin(s, conn, r, method);
    }
    if (*upload_size > 0) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (r->answered)
            return MHD_YES;
        if (!r->too_large && mt_buf_append(&r->body, upload_data, n) == MT_OK)
            return MHD_YES;
        r->too_large = true;
        r->discarded += n;
        if (r->discarded <= DISCARD_MAX_FACTOR * s->options.max_body_bytes)
            return MHD_YES;
        drop(s, conn);
        return MHD_NO;
    }
    if (r->answered)
        return MHD_YES;
    if (r->too_large)
        return refuse_early(s, conn, r, 413, REJECT_TOO_LARGE,
                            "the body grew over the limit while streaming");
    return finish(s, conn, r);
}

/* Called when a request is over, answered or not: records it and frees its state. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    struct mt_serve *s = cls;
    struct request *r = *con_cls;
    (void)conn;
    (void)code;

    if (r == NULL)
        return;
    if (r->answered)
        serve_metrics_answer(&s->metrics, r->code, mt_time_monotonic_ms() - r->start_ms);
    pthread_mutex_lock(&s->metrics.lock);
    s->metrics.in_flight--;
    pthread_mutex_unlock(&s->metrics.lock);
    mt_buf_cleanup(&r->body);
    free(r);
    *con_cls = NULL;
}

/* Reads a whole TLS file into out. */
static enum mt_status read_file(const char *path, struct mt_buf *out, struct mt_err *err)
{
    char chunk[4096];
    size_t n;
    FILE *f = fopen(path, "rb");
    enum mt_status st = MT_OK;

    if (f == NULL)
        return mt_err_set(err, MT_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
    mt_buf_init(out, MAX_TLS_FILE);
    while (st == MT_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        st = mt_buf_append(out, chunk, n);
    if (st == MT_OK && (ferror(f) || out->len == 0))
        st = mt_err_set(err, MT_ERR_IO, "cannot read '%s', or it is empty", path);
    else if (st != MT_OK)
        st = mt_err_set(err, st, "'%s' is larger than %zu bytes", path, MAX_TLS_FILE);
    mt_secure_zero(chunk, sizeof(chunk));
    fclose(f);
    return st;
}

/* True for 127.0.0.0/8 and ::1: a local client or a reverse proxy on this host. */
static bool is_loopback(const char *address)
{
    return strncmp(address, "127.", 4) == 0 || strcmp(address, "::1") == 0;
}

const char *mt_serve_path_problem(const char *path)
{
    if (path[0] != '/')
        return "does not start with '/'";
    if (strlen(path) >= SERVE_PATH_SIZE)
        return "is longer than 255 bytes";
    if (strcmp(path, "/healthz") == 0 || strcmp(path, "/metrics") == 0)
        return "is taken: the server answers /healthz and /metrics itself";
    return NULL;
}

const char *mt_serve_address_problem(const char *address)
{
    struct in6_addr any;
    if (inet_pton(AF_INET, address, &any) == 1 || inet_pton(AF_INET6, address, &any) == 1)
        return NULL;
    return "is not an IPv4 or IPv6 address";
}

/* Fills in defaults and checks the options. */
static enum mt_status settle_options(struct mt_serve *s, const struct mt_serve_options *o,
                                     struct mt_err *err)
{
    s->options = *o;
    struct mt_serve_options *d = &s->options;
    d->address = d->address ? d->address : "127.0.0.1";
    d->threads = d->threads ? d->threads : DEFAULT_THREADS;
    d->max_body_bytes = d->max_body_bytes ? d->max_body_bytes : MT_SNS_MAX_BODY;
    d->connection_timeout_s = d->connection_timeout_s ? d->connection_timeout_s
                                                      : DEFAULT_CONNECTION_TIMEOUT_S;
    d->drain_timeout_ms = d->drain_timeout_ms ? d->drain_timeout_ms : DEFAULT_DRAIN_TIMEOUT_MS;
    if (d->per_ip_connection_limit == 0 && !is_loopback(d->address))
        d->per_ip_connection_limit = DEFAULT_PER_IP_LIMIT;
    d->commit_group_max = d->commit_group_max ? d->commit_group_max : DEFAULT_GROUP_MAX;

    const char *path = d->path ? d->path : "/sns";
    const char *problem = mt_serve_path_problem(path);
    if (problem != NULL)
        return mt_err_set(err, MT_ERR_CONFIG, "SNS path '%s' %s", path, problem);
    snprintf(s->path, sizeof(s->path), "%s", path);
    if ((problem = mt_serve_address_problem(d->address)) != NULL)
        return mt_err_set(err, MT_ERR_CONFIG, "listen address '%s' %s", d->address, problem);
    if (d->verifier == NULL || d->store == NULL)
        return mt_err_set(err, MT_ERR_CONFIG, "the server needs a verifier and a store");
    if ((d->tls_cert_file == NULL) != (d->tls_key_file == NULL))
        return mt_err_set(err, MT_ERR_CONFIG, "TLS needs both a certificate and a key file");
    if (d->port > 65535)
        return mt_err_set(err, MT_ERR_CONFIG, "port %u is out of range", d->port);
    return MT_OK;
}

/* The listening address; *ipv6 tells which member is used. */
static enum mt_status parse_address(const struct mt_serve_options *o,
                                    struct sockaddr_storage *ss, bool *ipv6, struct mt_err *err)
{
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof(*ss));
    *ipv6 = false;
    if (inet_pton(AF_INET, o->address, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)o->port);
        return MT_OK;
    }
    if (inet_pton(AF_INET6, o->address, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)o->port);
        *ipv6 = true;
        return MT_OK;
    }
    return mt_err_set(err, MT_ERR_CONFIG, "listen address '%s' is not an IP address",
                      o->address);
}

/*
 * Checks that the TLS certificate and key parse and belong together, so that
 * a mistake there is named rather than found as a server that will not start.
 */
static enum mt_status check_tls_pair(const struct mt_serve *s, struct mt_err *err)
{
    const char *cert_file = s->options.tls_cert_file, *key_file = s->options.tls_key_file;
    BIO *cb = BIO_new_mem_buf(s->tls_cert.data, (int)s->tls_cert.len);
    BIO *kb = BIO_new_mem_buf(s->tls_key.data, (int)s->tls_key.len);
    X509 *cert = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
    EVP_PKEY *key = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
    enum mt_status st = MT_OK;

    if (cb == NULL || kb == NULL)
        st = mt_err_set(err, MT_ERR_NOMEM, "out of memory reading the TLS files");
    else if (cert == NULL)
        st = mt_err_set(err, MT_ERR_CONFIG, "TLS certificate '%s' holds no PEM certificate",
                        cert_file);
    else if (key == NULL)
        st = mt_err_set(err, MT_ERR_CONFIG, "TLS key '%s' holds no unencrypted PEM private key",
                        key_file);
    else if (X509_check_private_key(cert, key) != 1)
        st = mt_err_set(err, MT_ERR_CONFIG, "TLS key '%s' does not belong to certificate '%s'",
                        key_file, cert_file);
    EVP_PKEY_free(key);
    X509_free(cert);
    BIO_free(kb);
    BIO_free(cb);
    return st;
}

/* Why the address cannot be listened on, found by binding it (0 when it can). */
static int bind_error(const struct sockaddr_storage *ss, bool ipv6)
{
    int fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0), one = 1, e = 0;
    if (fd < 0)
        return errno;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (const struct sockaddr *)ss,
             ipv6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)) != 0 ||
        listen(fd, 1) != 0)
        e = errno;
    close(fd);
    return e;
}

static enum mt_status start_daemon(struct mt_serve *s, struct mt_err *err)
{
    struct sockaddr_storage ss;
    bool ipv6, tls = s->options.tls_cert_file != NULL;
    enum mt_status st = parse_address(&s->options, &ss, &ipv6, err);

    if (st == MT_OK && tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        return mt_err_set(err, MT_ERR_UNSUPPORTED, "this libmicrohttpd was built without TLS");
    if (st == MT_OK && tls)
        st = read_file(s->options.tls_cert_file, &s->tls_cert, err);
    if (st == MT_OK && tls)
        st = read_file(s->options.tls_key_file, &s->tls_key, err);
    if (st == MT_OK && tls)
        st = check_tls_pair(s, err);
    if (st != MT_OK)
        return st;

    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_SOCK_ADDR, 0, &ss},
        {MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)s->options.threads, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, MAX_CONNECTIONS, NULL},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)s->options.per_ip_connection_limit, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)s->options.connection_timeout_s, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s},
        {tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, s->tls_cert.data},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key.data},
        {MHD_OPTION_END, 0, NULL},
    };
    /*
     * poll(), not the epoll that MHD_USE_AUTO picks: with epoll, libmicrohttpd
     * 0.9.75 often misses a client closing a connection whose request is
     * still incomplete, and holds its slot (and its place under the per-address
     * limit) until the idle timeout.  poll() sees the close at once, and is no
     * slower at the connection counts allowed here.
     */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC |
                     (ipv6 ? MHD_USE_IPv6 : 0) | (tls ? MHD_USE_TLS : 0);
    s->daemon = MHD_start_daemon(flags, (uint16_t)s->options.port, NULL, NULL, on_request, s,
                                 MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (s->daemon == NULL) {
        int e = bind_error(&ss, ipv6);
        if (e != 0)
            return mt_err_set(err, MT_ERR_CONNECT, "cannot listen on %s port %u: %s",
                              s->options.address, s->options.port, strerror(e));
        return mt_err_set(err, MT_ERR_CONNECT, "cannot start the HTTP%s server on %s port %u",
                          tls ? "S" : "", s->options.address, s->options.port);
    }

    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : s->options.port;
    return MT_OK;
}

static void release(struct mt_serve *s)
{
    serve_writer_stop(&s->writer);
    mt_buf_cleanup(&s->tls_cert);
    mt_buf_cleanup_secure(&s->tls_key);
    serve_metrics_cleanup(&s->metrics);
    free(s);
}

/* Tells the front end about quarantined content of verified messages. */
static void on_ingest_reject(void *ctx, const char *source, long line,
                             const struct mt_reject *reject)
{
    const struct mt_serve *s = ctx;
    const struct write_job *job = s->writer.current; /* this runs on the writer thread */
    char id[160] = "", topic[300] = "";
    struct mt_serve_notice n = {.event = "sns_message_quarantined", .reason = "content",
                                .detail = reject->reason};
    (void)source;
    (void)line;
    if (job != NULL) {
        snprintf(id, sizeof(id), "%.*s", (int)job->meta.message_id.len,
                 job->meta.message_id.ptr ? job->meta.message_id.ptr : "");
        snprintf(topic, sizeof(topic), "%.*s", (int)job->meta.topic_arn.len,
                 job->meta.topic_arn.ptr ? job->meta.topic_arn.ptr : "");
        n.remote = job->remote;
        n.message_id = id[0] ? id : NULL;
        n.topic_arn = topic[0] ? topic : NULL;
    }
    serve_notify(s, &n);
}

enum mt_status mt_serve_start(const struct mt_serve_options *o, struct mt_serve **out,
                              struct mt_err *err)
{
    struct mt_serve *s = calloc(1, sizeof(*s));

    *out = NULL;
    if (s == NULL)
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory starting the server");
    serve_metrics_init(&s->metrics);
    mt_buf_init(&s->tls_cert, 0);
    mt_buf_init(&s->tls_key, 0);

    struct mt_ingest_options io = {.on_reject = on_ingest_reject, .on_reject_ctx = s};
    enum mt_status st = settle_options(s, o, err);
    if (st == MT_OK)
        st = serve_writer_start(&s->writer, s->options.store, s->options.commit_group_max,
                                &s->metrics, &io, err);
    if (st == MT_OK)
        st = start_daemon(s, err);
    if (st != MT_OK) {
        release(s);
        return st;
    }
    MT_LOG(MT_LOG_DEBUG, "serve", "serve_started", "listening on %s port %u", s->options.address,
           s->port);
    *out = s;
    return MT_OK;
}

unsigned mt_serve_port(const struct mt_serve *s)
{
    return s->port;
}

/*
 * Waits until no request is in flight or the drain timeout passes.
 *
 * LIMITATION: a request fetching a signing certificate or a SubscribeURL
 * cannot be cut short, so MHD_stop_daemon waits for it after the drain
 * timeout: a stop can take as long as that fetch (three attempts of 10 s),
 * and its answer may never reach SNS, which then sends the message again.
 */
static void drain(struct mt_serve *s)
{
    int64_t deadline = mt_time_monotonic_ms() + s->options.drain_timeout_ms;
    struct timespec pause = {0, 10 * 1000 * 1000};

    for (;;) {
        pthread_mutex_lock(&s->metrics.lock);
        long busy = s->metrics.in_flight;
        pthread_mutex_unlock(&s->metrics.lock);
        if (busy <= 0 || mt_time_monotonic_ms() >= deadline)
            return;
        nanosleep(&pause, NULL);
    }
}

void mt_serve_stop(struct mt_serve *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->metrics.lock);
    s->stopping = true;
    pthread_mutex_unlock(&s->metrics.lock);
    MHD_socket listener = MHD_quiesce_daemon(s->daemon);
    if (listener != MHD_INVALID_SOCKET)
        close(listener);
    drain(s);
    MHD_stop_daemon(s->daemon);
    release(s);
}
