/* SPDX-License-Identifier: Apache-2.0 */
/*
 * End-to-end tests of `mailtrack serve`: the built binary runs on 127.0.0.1
 * with a free port, a temporary SQLite database and a certificate folder
 * holding a certificate made at test time; libcurl posts to it.
 *
 * The subscription test points the server's HTTPS fetches at a TLS
 * stand-in of our own (libmicrohttpd in this process, certificate from a
 * test CA) through the test-only --connect-to and --ca-file options: no
 * peer package plays SNS's ConfirmSubscription or certificate host.
 */
#include "harness.h"

#include "proc.h"
#include "sns_testkit.h"

#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A running `mailtrack serve`. */
struct server {
    pid_t pid;
    unsigned port;
    char dir[4096];      /* temporary folder: db, certs, log */
    char db[4200];
    char log[4200];
    char certs[4200];
    bool https;
};

/* The server a failing test may leave running; killed by the teardown. */
static pid_t s_running = -1;

/* Reads the port from the "listening on" line of the log; 0 when not there yet. */
static unsigned read_port(const char *log)
{
    char line[512];
    unsigned port = 0;
    FILE *f = fopen(log, "r");
    while (f != NULL && port == 0 && fgets(line, sizeof(line), f) != NULL) {
        const char *at = strstr(line, "listening on http");
        const char *colon = at ? strrchr(at, ':') : NULL;
        if (colon != NULL)
            port = (unsigned)strtoul(colon + 1, NULL, 10);
    }
    if (f != NULL)
        fclose(f);
    return port;
}

/* Starts the server with the common options plus extra (NULL-terminated). */
static void server_start(struct server *s, const char *const *extra)
{
    const char *argv[64];
    int n = 0;

    argv[n++] = MT_MAILTRACK;
    argv[n++] = "serve";
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n++] = "--db";
    argv[n++] = s->db;
    argv[n++] = "--topic";
    argv[n++] = TK_TOPIC;
    argv[n++] = "--cert-dir";
    argv[n++] = s->certs;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 62; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;

    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        int fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int null = open("/dev/null", O_RDWR);
        dup2(fd, 2);
        dup2(null, 1);
        dup2(null, 0);
        close(fd);
        close(null);
        execv(MT_MAILTRACK, (char *const *)(uintptr_t)argv);
        _exit(127);
    }
    s_running = s->pid;
    for (int i = 0; i < 1000 && (s->port = read_port(s->log)) == 0; i++)
        mt_test_sleep_ms(10);
    if (s->port == 0)
        fail_msg("the server did not start; see %s", s->log);
}

/* Prepares the folders; installs the signing certificate unless bare. */
static void server_prepare(struct server *s, bool install_cert)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->dir, sizeof(s->dir), "%s", mt_test_tmpdir());
    snprintf(s->db, sizeof(s->db), "%s/events.db", s->dir);
    snprintf(s->log, sizeof(s->log), "%s/serve.log", s->dir);
    snprintf(s->certs, sizeof(s->certs), "%s/certs", s->dir);
    assert_int_equal(mkdir(s->certs, 0755), 0);
    if (install_cert)
        tk_install_cert(s->certs);
}

/* Sends SIGTERM and expects a clean exit 0. */
static void server_stop(struct server *s)
{
    int status = 0;
    assert_int_equal(kill(s->pid, SIGTERM), 0);
    assert_int_equal(waitpid(s->pid, &status, 0), s->pid);
    s_running = -1;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static long long db_count(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    long long n = -1;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

struct reply {
    long code;
    char body[65536];
    size_t len;
};

static size_t collect(char *p, size_t size, size_t n, void *ctx)
{
    struct reply *r = ctx;
    size_t k = size * n;
    size_t room = sizeof(r->body) - 1 - r->len;
    memcpy(r->body + r->len, p, k < room ? k : room);
    r->len += k < room ? k : room;
    r->body[r->len] = '\0';
    return k;
}

/*
 * One request: POST body (when not NULL) with the SNS type header (when not
 * NULL), else GET.  Returns the status; 0 when no answer came.
 */
static long request(CURL *h, const struct server *s, const char *path, const char *type,
                    const char *body, struct reply *r, const char *ca_file)
{
    char url[256], header[128];
    struct curl_slist *hs = NULL;

    memset(r, 0, sizeof(*r));
    snprintf(url, sizeof(url), "%s://127.0.0.1:%u%s", s->https ? "https" : "http", s->port, path);
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    if (ca_file != NULL)
        curl_easy_setopt(h, CURLOPT_CAINFO, ca_file);
    if (type != NULL) {
        snprintf(header, sizeof(header), "x-amz-sns-message-type: %s", type);
        hs = curl_slist_append(hs, header);
    }
    hs = curl_slist_append(hs, "Content-Type: text/plain; charset=UTF-8");
    hs = curl_slist_append(hs, "Expect:");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    if (body != NULL) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->code);
    curl_slist_free_all(hs);
    return r->code;
}

static long post(CURL *h, const struct server *s, const char *type, const char *body)
{
    struct reply r;
    return request(h, s, "/sns", type, body, &r, NULL);
}

/* A signed notification of an Open event whose mail message id is n. */
static char *open_notification(int n, bool v2)
{
    char id[64], msg_id[64], message[512];
    struct tk_msg m = tk_msg_default("Notification");

    snprintf(id, sizeof(id), "0100019a-load-%06d-000000", n);
    snprintf(msg_id, sizeof(msg_id), "9d5b2c1e-0000-5000-8000-%012d", n);
    snprintf(message, sizeof(message),
             "{\"eventType\":\"Open\",\"mail\":{\"timestamp\":\"2026-11-23T06:59:00.000Z\","
             "\"source\":\"news@example.com\",\"messageId\":\"%s\",\"destination\":"
             "[\"ann@example.net\"]},\"open\":{\"timestamp\":\"2026-11-23T07:00:00.000Z\","
             "\"userAgent\":\"test\",\"ipAddress\":\"192.0.2.1\"}}\n", id);
    m.message_id = msg_id;
    m.message = message;
    m.version = v2 ? "2" : "1";
    m.sign_sha256 = v2;
    return tk_sns_body(&m, tk_shared_key());
}

/* Reads one metric sample's value from the /metrics page, -1 when absent. */
static long long metric(CURL *h, const struct server *s, const char *sample)
{
    struct reply r;
    assert_int_equal(request(h, s, "/metrics", NULL, NULL, &r, NULL), 200);
    char key[256];
    snprintf(key, sizeof(key), "\n%s ", sample);
    const char *at = strstr(r.body, key);
    return at ? strtoll(at + strlen(key), NULL, 10) : -1;
}

static void test_serve_answers_and_metrics(void **state)
{
    (void)state;
    struct server s;
    CURL *h = curl_easy_init();
    struct reply r;

    server_prepare(&s, true);
    server_start(&s, NULL);

    char *v1 = open_notification(1, false);
    char *v2 = open_notification(2, true);
    assert_int_equal(post(h, &s, "Notification", v1), 200);
    assert_int_equal(post(h, &s, "Notification", v2), 200);
    assert_int_equal(post(h, &s, "Notification", v1), 200); /* redelivery: stored once */

    struct tk_msg unsub = tk_msg_default("UnsubscribeConfirmation");
    char *unsub_body = tk_sns_body(&unsub, tk_shared_key());
    assert_int_equal(post(h, &s, "UnsubscribeConfirmation", unsub_body), 200);

    struct tk_msg foreign = tk_msg_default("Notification");
    foreign.topic_arn = "arn:aws:sns:us-east-1:444455556666:attacker";
    char *foreign_body = tk_sns_body(&foreign, tk_shared_key());
    assert_int_equal(post(h, &s, "Notification", foreign_body), 403);

    char *tampered = open_notification(3, true);
    char *at = strstr(tampered, "ann@example.net");
    assert_non_null(at);
    at[0] = 'b';
    assert_int_equal(post(h, &s, "Notification", tampered), 403);

    assert_int_equal(post(h, &s, "Notification", "{not json"), 400);
    assert_int_equal(post(h, &s, "SubscriptionConfirmation", v2), 400); /* header disagrees */
    assert_int_equal(post(h, &s, NULL, v2), 400);                      /* header missing */

    char *big = malloc(300 * 1024);
    assert_non_null(big);
    memset(big, 'x', 300 * 1024 - 1);
    big[300 * 1024 - 1] = '\0';
    assert_int_equal(post(h, &s, "Notification", big), 413);

    assert_int_equal(request(h, &s, "/elsewhere", NULL, NULL, &r, NULL), 404);
    assert_int_equal(request(h, &s, "/sns", NULL, NULL, &r, NULL), 405);
    assert_int_equal(request(h, &s, "/healthz", NULL, NULL, &r, NULL), 200);
    assert_string_equal(r.body, "ok\n");

    assert_int_equal(metric(h, &s, "mailtrack_http_requests_total{code=\"200\"}"), 4 + 1);
    assert_int_equal(metric(h, &s, "mailtrack_http_requests_total{code=\"403\"}"), 2);
    assert_int_equal(metric(h, &s, "mailtrack_http_requests_total{code=\"400\"}"), 3);
    assert_int_equal(metric(h, &s, "mailtrack_http_requests_total{code=\"413\"}"), 1);
    assert_int_equal(metric(h, &s, "mailtrack_http_rejects_total{reason=\"forged\"}"), 2);
    assert_int_equal(metric(h, &s, "mailtrack_sns_verify_failures_total{reason=\"topic\"}"), 1);
    assert_int_equal(metric(h, &s, "mailtrack_sns_verify_failures_total{reason=\"signature\"}"),
                     1);
    assert_int_equal(metric(h, &s, "mailtrack_sns_messages_total{type=\"Notification\"}"), 3);
    assert_int_equal(metric(h, &s, "mailtrack_events_stored_total{event_type=\"Open\"}"), 2);
    assert_int_equal(metric(h, &s, "mailtrack_rows_duplicate_total"), 1);
    assert_true(metric(h, &s, "mailtrack_http_request_duration_seconds_count") >= 14);

    server_stop(&s);
    assert_int_equal(db_count(s.db, "SELECT count(*) FROM events"), 2);
    assert_int_equal(db_count(s.db, "SELECT count(*) FROM quarantine"), 0);

    struct mt_buf log;
    mt_test_read_file(s.log, &log);
    assert_non_null(strstr(log.data, "sns_rejected 403 from 127.0.0.1: topic"));
    assert_non_null(strstr(log.data, "sns_rejected 403 from 127.0.0.1: signature"));
    assert_non_null(strstr(log.data, "sns_unsubscribed 200"));
    mt_buf_cleanup(&log);

    free(v1);
    free(v2);
    free(unsub_body);
    free(foreign_body);
    free(tampered);
    free(big);
    curl_easy_cleanup(h);
}

/* Content of a genuine message that is not an SES event is quarantined under its SNS id. */
static void test_serve_quarantine_names_the_sns_message(void **state)
{
    (void)state;
    struct server s;
    CURL *h = curl_easy_init();
    struct tk_msg m = tk_msg_default("Notification");
    m.message_id = "7e0c1a52-aaaa-5bbb-8ccc-000000000042";
    m.message = "{\"eventType\":\"Quarantine\",\"mail\":{}}";
    char *body = tk_sns_body(&m, tk_shared_key());

    server_prepare(&s, true);
    server_start(&s, NULL);
    assert_int_equal(post(h, &s, "Notification", body), 200);
    server_stop(&s);

    assert_int_equal(db_count(s.db, "SELECT count(*) FROM quarantine WHERE source = "
                                    "'sns:7e0c1a52-aaaa-5bbb-8ccc-000000000042'"),
                     1);
    struct mt_buf log;
    mt_test_read_file(s.log, &log);
    const char *line = strstr(log.data, "sns_message_quarantined from 127.0.0.1: content: ");
    assert_non_null(line);
    const char *end = strchr(line, '\n');
    assert_non_null(end);
    char *id = strstr(line, "(message 7e0c1a52-aaaa-5bbb-8ccc-000000000042) (topic " TK_TOPIC ")");
    assert_true(id != NULL && id < end);
    mt_buf_cleanup(&log);
    free(body);
    curl_easy_cleanup(h);
}

/* Client-controlled values are escaped in the log: a rejected request is one line. */
static void test_serve_log_lines_cannot_be_forged(void **state)
{
    (void)state;
    struct server s;
    CURL *h = curl_easy_init();
    const char *body = "{\"Type\":\"Notification\",\"MessageId\":\"a\\nmailtrack: fake"
                       "\\u001b[31m\",\"TopicArn\":\"arn:aws:sns:us-east-1:111122223333:evil"
                       "\\nmailtrack: forged line \\\\x0a\"}";

    server_prepare(&s, true);
    server_start(&s, NULL);
    assert_int_equal(post(h, &s, "Notification", body), 400);
    server_stop(&s);

    struct mt_buf log;
    mt_test_read_file(s.log, &log);
    assert_null(strchr(log.data, '\x1b'));
    const char *line = strstr(log.data, "mailtrack: warning: serve: sns_rejected 400 from "
                                        "127.0.0.1: malformed: ");
    assert_non_null(line);
    const char *end = strchr(line, '\n');
    assert_non_null(end);
    const char *tail = strstr(line, " (message a\\x0amailtrack: fake\\x1b[31m) (topic "
                                    "arn:aws:sns:us-east-1:111122223333:evil\\x0amailtrack: "
                                    "forged line \\\\x0a)\n");
    assert_true(tail != NULL && tail < end);
    /* Every line is the server's own: none starts with what the client sent. */
    for (const char *at = log.data; *at != '\0'; at = strchr(at, '\n') + 1) {
        if (strncmp(at, "mailtrack: ", 11) != 0 && strncmp(at, "mailtrack serve: ", 17) != 0)
            fail_msg("a line the server did not write: %.80s", at);
        assert_true(strncmp(at, "mailtrack: fake", 15) != 0);
        assert_true(strncmp(at, "mailtrack: forged", 17) != 0);
    }
    mt_buf_cleanup(&log);
    curl_easy_cleanup(h);
}

/*
 * Sends req on a new connection and reads the answer into out until the
 * server closes the connection or two seconds pass; true when it closed.
 */
static bool raw_exchange(const struct server *s, const char *req, char *out, size_t size)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    size_t len = 0;
    bool closed = false;

    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_true(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
    for (int waited = 0; waited < 2000 && !closed && len < size - 1; waited += 50) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        ssize_t got = recv(fd, out + len, size - 1 - len, 0);
        if (got > 0)
            len += (size_t)got;
        else
            closed = true;
    }
    out[len] = '\0';
    close(fd);
    return closed;
}

/* A request framed two ways at once is refused and its connection closed. */
static void test_serve_ambiguous_framing_closes_the_connection(void **state)
{
    (void)state;
    struct server s;
    char reply[4096];
    static const char *const requests[] = {
        "POST /sns HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
        "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST /sns HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 7\r\n\r\n{}",
        "GET /healthz HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
        "Content-Length: 0\r\n\r\n0\r\n\r\n",
        "POST /sns HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length : 5\r\n\r\n{}",
        "POST /sns HTTP/1.1\r\nHost: a\r\nTransfer-Encoding\t: chunked\r\n"
        "Content-Length: 2\r\n\r\n{}",
    };

    server_prepare(&s, true);
    server_start(&s, NULL);
    for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
        bool closed = raw_exchange(&s, requests[i], reply, sizeof(reply));
        if (strncmp(reply, "HTTP/1.1 400 ", 13) != 0 || !closed ||
            strstr(reply, "\r\nConnection: close\r\n") == NULL)
            fail_msg("request %zu: closed %d, answer: %s", i, closed, reply);
    }
    /* A well-framed request that is refused keeps its connection. */
    assert_false(raw_exchange(&s, "POST /sns HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}",
                              reply, sizeof(reply)));
    assert_int_equal(strncmp(reply, "HTTP/1.1 400 ", 13), 0);
    server_stop(&s);

    struct mt_buf log;
    mt_test_read_file(s.log, &log);
    assert_non_null(strstr(log.data, "http_rejected 400 from 127.0.0.1: malformed: both "
                                     "Content-Length and Transfer-Encoding; connection closed\n"));
    assert_non_null(strstr(log.data, "http_rejected 400 from 127.0.0.1: malformed: more than "
                                     "one Content-Length; connection closed\n"));
    assert_non_null(strstr(log.data, "http_rejected 400 from 127.0.0.1: malformed: white space "
                                     "in a header name; connection closed\n"));
    mt_buf_cleanup(&log);
}

/* Posts a fixture file with the type header; returns the status. */
static long post_fixture(CURL *h, const struct server *s, const char *name, const char *type)
{
    struct mt_buf body;
    mt_test_read_file(mt_test_fixture(name), &body);
    long code = post(h, s, type, body.data);
    mt_buf_cleanup(&body);
    return code;
}

static void test_serve_shared_fixtures(void **state)
{
    (void)state;
    struct server s;
    CURL *h = curl_easy_init();
    char path[4300];
    struct mt_buf pem;

    server_prepare(&s, false);
    snprintf(path, sizeof(path), "%s/sns.us-east-1.amazonaws.com", s.certs);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/sns.us-east-1.amazonaws.com/SimpleNotificationService-"
             "9c6465fa7f48f5cacd23014631ec1136.pem", s.certs);
    mt_test_read_file(mt_test_fixture("events/signing/test-signing-cert.pem"), &pem);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(pem.data, 1, pem.len, f);
    fclose(f);
    mt_buf_cleanup(&pem);
    server_start(&s, NULL);

    assert_int_equal(post_fixture(h, &s, "events/sns-http-notification-delivery.json",
                                  "Notification"), 200);
    assert_int_equal(post_fixture(h, &s, "events/sns-http-unsubscribe-confirmation.json",
                                  "UnsubscribeConfirmation"), 200);
    assert_int_equal(post_fixture(h, &s, "events/bad/sns-http-cert-url-foreign-host.json",
                                  "Notification"), 403);
    assert_int_equal(post_fixture(h, &s, "events/bad/sns-http-signature-tampered.json",
                                  "Notification"), 403);
    assert_int_equal(metric(h, &s, "mailtrack_sns_verify_failures_total{reason=\"cert_url\"}"),
                     1);
    server_stop(&s);
    assert_int_equal(db_count(s.db, "SELECT count(*) FROM events WHERE sns_message_id = "
                                    "'d3ab8610-ccdd-5da1-8d09-a160682a26be'"), 1);
    assert_int_equal(db_count(s.db, "SELECT count(*) FROM events"), 1);
    curl_easy_cleanup(h);
}

/* The TLS stand-in for sns.us-east-1.amazonaws.com: counts and answers GETs. */
struct standin {
    struct MHD_Daemon *daemon;
    unsigned port;
    pthread_mutex_t lock;
    int confirms;
    int cert_gets;
    char last_query_token[128];
    char *cert_pem;     /* served at /TK_CERT_FILE */
    char *key_pem, *crt_pem;
};

static enum MHD_Result standin_request(void *cls, struct MHD_Connection *conn, const char *url,
                                       const char *method, const char *version,
                                       const char *upload, size_t *upload_size, void **con_cls)
{
    struct standin *sd = cls;
    const char *body = "not found";
    unsigned code = 404;
    (void)method, (void)version, (void)upload, (void)upload_size, (void)con_cls;

    const char *action = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "Action");
    const char *token = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "Token");
    pthread_mutex_lock(&sd->lock);
    if (strcmp(url, "/") == 0 && action != NULL && strcmp(action, "ConfirmSubscription") == 0) {
        sd->confirms++;
        snprintf(sd->last_query_token, sizeof(sd->last_query_token), "%s", token ? token : "");
        body = "<ConfirmSubscriptionResponse/>";
        code = 200;
    } else if (strcmp(url, "/" TK_CERT_FILE) == 0 && sd->cert_pem != NULL) {
        sd->cert_gets++;
        body = sd->cert_pem;
        code = 200;
    }
    pthread_mutex_unlock(&sd->lock);
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        strlen(body), (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ok = MHD_queue_response(conn, code, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* Reads a whole file as a string; malloc'd. */
static char *slurp(const char *path)
{
    struct mt_buf b;
    mt_test_read_file(path, &b);
    return b.data;
}

/*
 * Makes a test CA and a server certificate for cn, dns and ip (each optional
 * but cn), writes ca.pem,
 * server.pem and server.key into dir.
 */
static void make_tls_files(const char *dir, const char *cn, const char *dns, const char *ip)
{
    char path[4200];
    EVP_PKEY *ca_key = tk_rsa_key(2048), *key = tk_rsa_key(2048);
    struct tk_cert_spec ca_spec = {.cn = "mailtrack test CA", .not_before_s = -60,
                                   .not_after_s = 86400, .ca = true};
    X509 *ca = tk_cert(ca_key, &ca_spec);
    struct tk_cert_spec spec = {.cn = cn, .dns = dns, .ip = ip, .not_before_s = -60,
                                .not_after_s = 86400, .issuer = ca, .issuer_key = ca_key};
    X509 *crt = tk_cert(key, &spec);

    snprintf(path, sizeof(path), "%s/ca.pem", dir);
    tk_write_cert(ca, path);
    snprintf(path, sizeof(path), "%s/server.pem", dir);
    tk_write_cert(crt, path);
    snprintf(path, sizeof(path), "%s/server.key", dir);
    tk_write_key(key, path);
    X509_free(ca);
    X509_free(crt);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(key);
}

static void standin_start(struct standin *sd, const char *dir)
{
    char path[4200];
    memset(sd, 0, sizeof(*sd));
    pthread_mutex_init(&sd->lock, NULL);
    make_tls_files(dir, TK_HOST, TK_HOST, NULL);
    snprintf(path, sizeof(path), "%s/server.pem", dir);
    sd->crt_pem = slurp(path);
    snprintf(path, sizeof(path), "%s/server.key", dir);
    sd->key_pem = slurp(path);
    sd->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS, 0, NULL, NULL,
                                  standin_request, sd, MHD_OPTION_HTTPS_MEM_KEY, sd->key_pem,
                                  MHD_OPTION_HTTPS_MEM_CERT, sd->crt_pem, MHD_OPTION_END);
    assert_non_null(sd->daemon);
    sd->port = MHD_get_daemon_info(sd->daemon, MHD_DAEMON_INFO_BIND_PORT)->port;
}

static void standin_stop(struct standin *sd)
{
    MHD_stop_daemon(sd->daemon);
    free(sd->crt_pem);
    free(sd->key_pem);
    free(sd->cert_pem);
    pthread_mutex_destroy(&sd->lock);
}

static void test_serve_confirms_subscription_once(void **state)
{
    (void)state;
    struct server s;
    struct standin sd;
    CURL *h = curl_easy_init();
    char ca[4300], connect_to[256];

    server_prepare(&s, false);
    standin_start(&sd, s.dir);
    struct tk_cert_spec spec = {.cn = "sns.amazonaws.com", .not_before_s = -60,
                                .not_after_s = 86400};
    X509 *signing = tk_cert(tk_shared_key(), &spec);
    sd.cert_pem = tk_cert_pem(signing);
    X509_free(signing);

    snprintf(ca, sizeof(ca), "%s/ca.pem", s.dir);
    snprintf(connect_to, sizeof(connect_to), TK_HOST ":443:127.0.0.1:%u", sd.port);
    const char *extra[] = {"--ca-file", ca, "--connect-to", connect_to, NULL};
    server_start(&s, extra);

    struct tk_msg m = tk_msg_default("SubscriptionConfirmation");
    m.version = "2";
    m.sign_sha256 = true;
    char *body = tk_sns_body(&m, tk_shared_key());
    assert_int_equal(post(h, &s, "SubscriptionConfirmation", body), 200);

    struct tk_msg foreign = tk_msg_default("SubscriptionConfirmation");
    foreign.topic_arn = "arn:aws:sns:us-east-1:444455556666:attacker";
    char *foreign_body = tk_sns_body(&foreign, tk_shared_key());
    assert_int_equal(post(h, &s, "SubscriptionConfirmation", foreign_body), 403);

    struct tk_msg elsewhere = tk_msg_default("SubscriptionConfirmation");
    elsewhere.subscribe_url = "https://attacker.example/?Action=ConfirmSubscription&Token=1";
    char *elsewhere_body = tk_sns_body(&elsewhere, tk_shared_key());
    assert_int_equal(post(h, &s, "SubscriptionConfirmation", elsewhere_body), 403);

    char *note = open_notification(7, true);
    assert_int_equal(post(h, &s, "Notification", note), 200);
    server_stop(&s);

    /* The certificate was fetched once, over TLS, and kept in the folder. */
    pthread_mutex_lock(&sd.lock);
    assert_int_equal(sd.confirms, 1);
    assert_string_equal(sd.last_query_token, m.token);
    assert_int_equal(sd.cert_gets, 1);
    pthread_mutex_unlock(&sd.lock);
    char kept[4400];
    snprintf(kept, sizeof(kept), "%s/%s/%s", s.certs, TK_HOST, TK_CERT_FILE);
    char *kept_pem = slurp(kept);
    assert_string_equal(kept_pem, sd.cert_pem);
    assert_int_equal(db_count(s.db, "SELECT count(*) FROM events"), 1);

    free(kept_pem);
    free(body);
    free(foreign_body);
    free(elsewhere_body);
    free(note);
    standin_stop(&sd);
    curl_easy_cleanup(h);
}

static void test_serve_over_tls(void **state)
{
    (void)state;
    struct server s;
    CURL *h = curl_easy_init();
    char cert[4300], key[4300], ca[4300];
    struct reply r;

    server_prepare(&s, true);
    make_tls_files(s.dir, "localhost", "localhost", "127.0.0.1");
    snprintf(cert, sizeof(cert), "%s/server.pem", s.dir);
    snprintf(key, sizeof(key), "%s/server.key", s.dir);
    snprintf(ca, sizeof(ca), "%s/ca.pem", s.dir);
    const char *extra[] = {"--tls-cert", cert, "--tls-key", key, NULL};
    server_start(&s, extra);
    s.https = true;

    char *note = open_notification(11, true);
    assert_int_equal(request(h, &s, "/healthz", NULL, NULL, &r, ca), 200);
    assert_int_equal(request(h, &s, "/sns", "Notification", note, &r, ca), 200);
    assert_int_equal(request(h, &s, "/healthz", NULL, NULL, &r, NULL), 0); /* untrusted */
    server_stop(&s);
    assert_int_equal(db_count(s.db, "SELECT count(*) FROM events"), 1);
    free(note);
    curl_easy_cleanup(h);
}

/* One poster of the load test. */
struct poster {
    const struct server *s;
    int first, count;   /* events first .. first + count - 1, each posted twice */
    char **bodies;      /* shared, indexed by event */
    int acked;          /* answers of 200 */
    bool *acked_events; /* shared; each poster writes only its own range */
    int failures;
};

static void *poster_main(void *arg)
{
    struct poster *p = arg;
    CURL *h = curl_easy_init();

    for (int round = 0; round < 2; round++) {
        for (int i = p->first; i < p->first + p->count; i++) {
            long code = post(h, p->s, "Notification", p->bodies[i]);
            if (code == 200) {
                p->acked++;
                p->acked_events[i] = true;
            } else {
                p->failures++;
            }
        }
    }
    curl_easy_cleanup(h);
    return NULL;
}

#define LOAD_POSTERS 16
#define LOAD_EVENTS_EACH 25

static void test_serve_load_no_loss_no_duplicates(void **state)
{
    (void)state;
    struct server s;
    int total = LOAD_POSTERS * LOAD_EVENTS_EACH;
    char **bodies = calloc((size_t)total, sizeof(char *));
    bool *acked = calloc((size_t)total, sizeof(bool));
    struct poster posters[LOAD_POSTERS];
    pthread_t threads[LOAD_POSTERS];

    assert_non_null(bodies);
    assert_non_null(acked);
    for (int i = 0; i < total; i++)
        bodies[i] = open_notification(1000 + i, i % 2 == 0);
    server_prepare(&s, true);
    const char *extra[] = {"--threads", "8", NULL};
    server_start(&s, extra);

    for (int t = 0; t < LOAD_POSTERS; t++) {
        posters[t] = (struct poster){.s = &s, .first = t * LOAD_EVENTS_EACH,
                                     .count = LOAD_EVENTS_EACH, .bodies = bodies,
                                     .acked_events = acked};
        assert_int_equal(pthread_create(&threads[t], NULL, poster_main, &posters[t]), 0);
    }
    int acks = 0, failures = 0;
    for (int t = 0; t < LOAD_POSTERS; t++) {
        pthread_join(threads[t], NULL);
        acks += posters[t].acked;
        failures += posters[t].failures;
    }
    server_stop(&s);

    int distinct = 0;
    for (int i = 0; i < total; i++)
        distinct += acked[i];
    assert_int_equal(failures, 0);
    assert_int_equal(acks, total * 2);
    assert_int_equal(distinct, total);
    assert_int_equal(db_count(s.db, "SELECT count(*) FROM events"), distinct);
    assert_int_equal(db_count(s.db, "SELECT count(DISTINCT message_id) FROM events"), distinct);
    for (int i = 0; i < total; i++)
        free(bodies[i]);
    free(bodies);
    free(acked);
}

/* Posts until the server goes away; records which events were acknowledged. */
static void *until_gone_main(void *arg)
{
    struct poster *p = arg;
    CURL *h = curl_easy_init();

    for (int i = p->first; i < p->first + p->count; i++) {
        long code = post(h, p->s, "Notification", p->bodies[i]);
        if (code == 200) {
            p->acked++;
            p->acked_events[i] = true;
        } else if (code == 0) {
            break; /* the server stopped */
        }
    }
    curl_easy_cleanup(h);
    return NULL;
}

static void test_serve_sigterm_keeps_acknowledged_events(void **state)
{
    (void)state;
    enum { POSTERS = 8, EACH = 400 };
    struct server s;
    int total = POSTERS * EACH;
    char **bodies = calloc((size_t)total, sizeof(char *));
    bool *acked = calloc((size_t)total, sizeof(bool));
    struct poster posters[POSTERS];
    pthread_t threads[POSTERS];

    assert_non_null(bodies);
    assert_non_null(acked);
    for (int i = 0; i < total; i++)
        bodies[i] = open_notification(50000 + i, true);
    server_prepare(&s, true);
    server_start(&s, NULL);
    for (int t = 0; t < POSTERS; t++) {
        posters[t] = (struct poster){.s = &s, .first = t * EACH, .count = EACH,
                                     .bodies = bodies, .acked_events = acked};
        assert_int_equal(pthread_create(&threads[t], NULL, until_gone_main, &posters[t]), 0);
    }

    /* Stop once some events are in, while the posters are still busy. */
    CURL *h = curl_easy_init();
    for (int i = 0; i < 3000; i++) {
        if (metric(h, &s, "mailtrack_sns_messages_total{type=\"Notification\"}") >= 200)
            break;
        mt_test_sleep_ms(5);
    }
    curl_easy_cleanup(h);
    server_stop(&s);

    int acks = 0;
    for (int t = 0; t < POSTERS; t++) {
        pthread_join(threads[t], NULL);
        acks += posters[t].acked;
    }
    assert_true(acks >= 200);
    assert_true(acks < total);
    for (int i = 0; i < total; i++) {
        char sql[256];
        if (!acked[i])
            continue;
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE message_id = "
                 "'0100019a-load-%06d-000000'", 50000 + i);
        if (db_count(s.db, sql) != 1)
            fail_msg("event %d was acknowledged but is not stored", i);
    }
    for (int i = 0; i < total; i++)
        free(bodies[i]);
    free(bodies);
    free(acked);
}

static void test_serve_usage_errors(void **state)
{
    (void)state;
    struct server s;
    server_prepare(&s, true);
    const char *const cases[][6] = {
        {"serve", "--db", s.db, NULL},                                      /* no --topic */
        {"serve", "--topic", TK_TOPIC, "--tls-cert", "x.pem", NULL},        /* no key */
        {"serve", "--topic", TK_TOPIC, "--connect-to", "h:443:10.0.0.1:1", NULL},
        {"serve", "--topic", TK_TOPIC, "--port", "70000", NULL},
        {"serve", "--topic", "arn:aws:sqs:us-east-1:123456789012:q", NULL}, /* not SNS */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            const char *argv[8] = {MT_MAILTRACK};
            for (int k = 0; k < 6 && cases[i][k] != NULL; k++)
                argv[k + 1] = cases[i][k];
            int fd = open("/dev/null", O_WRONLY);
            dup2(fd, 2);
            execv(MT_MAILTRACK, (char *const *)(uintptr_t)argv);
            _exit(127);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 2);
    }
}

/* Runs serve with extra arguments, expecting it to exit 1 at start with why on stderr. */
static void expect_start_failure(const struct server *s, const char *const extra[],
                                 const char *why)
{
    const char *argv[24] = {MT_MAILTRACK, "serve", "--db", s->db, "--topic", TK_TOPIC};
    size_t n = 6;
    struct mt_test_run run;

    for (size_t i = 0; extra[i] != NULL && n < 23; i++)
        argv[n++] = extra[i];
    mt_test_run(argv, NULL, NULL, NULL, &run);
    assert_int_equal(run.exit_code, 1);
    if (strstr(run.err.data ? run.err.data : "", why) == NULL)
        fail_msg("expected '%s' in: %s", why, run.err.data ? run.err.data : "");
    mt_test_run_cleanup(&run);
}

/* A port in use and TLS files that do not fit are named, not just "cannot listen". */
static void test_serve_start_failures_name_the_cause(void **state)
{
    (void)state;
    struct server s;
    char port[16], cert[4300], key[4300], other_key[4300];

    server_prepare(&s, true);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(fd, 1), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    snprintf(port, sizeof(port), "%u", ntohs(addr.sin_port));
    expect_start_failure(&s, (const char *const[]){"--port", port, NULL},
                         "Address already in use");
    close(fd);

    make_tls_files(s.dir, "localhost", "localhost", "127.0.0.1");
    snprintf(cert, sizeof(cert), "%s/server.pem", s.dir);
    snprintf(key, sizeof(key), "%s/server.key", s.dir);
    snprintf(other_key, sizeof(other_key), "%s/other.key", s.dir);
    EVP_PKEY *other = tk_rsa_key(2048);
    tk_write_key(other, other_key);
    EVP_PKEY_free(other);
    expect_start_failure(&s, (const char *const[]){"--tls-cert", cert, "--tls-key", other_key,
                                                   NULL},
                         "does not belong to certificate");
    expect_start_failure(&s, (const char *const[]){"--tls-cert", key, "--tls-key", key, NULL},
                         "holds no PEM certificate");
    expect_start_failure(&s, (const char *const[]){"--tls-cert", cert, "--tls-key", cert, NULL},
                         "holds no unencrypted PEM private key");
}

/* Opens a TCP connection to the server and sends the start of a request, never finishing it. */
static int slow_client(const struct server *s)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_true(write(fd, "GET /healthz HTTP/1.1\r\n", 23) == 23);
    return fd;
}

/*
 * How many of fds[0..n) the server closes within about two seconds; each
 * closed one is marked -1.  The others stay open and unread.
 */
static int closed_by_server(int *fds, int n)
{
    int closed = 0;
    for (int waited = 0; waited < 2000 && closed == 0; waited += 50) {
        struct pollfd p[8];
        for (int i = 0; i < n; i++)
            p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
        if (poll(p, (nfds_t)n, 50) <= 0)
            continue;
        for (int i = 0; i < n; i++) {
            char b;
            if (fds[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t got = recv(fds[i], &b, 1, MSG_DONTWAIT);
            if (got == 0 || (got < 0 && errno == ECONNRESET)) {
                close(fds[i]);
                fds[i] = -1;
                closed++;
            }
        }
    }
    return closed;
}

static void test_serve_per_ip_limit_holds_off_slow_clients(void **state)
{
    (void)state;
    struct server s;
    CURL *h = curl_easy_init();
    int fds[3];

    server_prepare(&s, true);
    server_start(&s, (const char *const[]){"--per-ip-limit", "2", NULL});
    fds[0] = slow_client(&s);
    fds[1] = slow_client(&s);
    fds[2] = slow_client(&s);
    /*
     * One of the three connections from one address is refused at once: any
     * one, since the server's threads take them from its queue in any order.
     */
    assert_int_equal(closed_by_server(fds, 3), 1);

    /* Once the slow clients go, the server answers again. */
    for (int i = 0; i < 3; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    long status = 0;
    static struct reply r; /* large: not on the stack */
    for (int i = 0; i < 500 && status != 200; i++) { /* up to 10 s */
        status = request(h, &s, "/healthz", NULL, NULL, &r, NULL);
        if (status != 200)
            mt_test_sleep_ms(20);
    }
    assert_int_equal(status, 200);
    server_stop(&s);
    curl_easy_cleanup(h);
}

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (s_running > 0) {
        kill(s_running, SIGKILL);
        waitpid(s_running, NULL, 0);
        s_running = -1;
    }
    return 0;
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_serve_answers_and_metrics, setup, teardown),
    cmocka_unit_test_setup_teardown(test_serve_shared_fixtures, setup, teardown),
    cmocka_unit_test_setup_teardown(test_serve_confirms_subscription_once, setup, teardown),
    cmocka_unit_test_setup_teardown(test_serve_over_tls, setup, teardown),
    cmocka_unit_test_setup_teardown(test_serve_load_no_loss_no_duplicates, setup, teardown),
    cmocka_unit_test_setup_teardown(test_serve_sigterm_keeps_acknowledged_events, setup, teardown),
    cmocka_unit_test_setup_teardown(test_serve_usage_errors, setup, teardown),
    cmocka_unit_test_setup_teardown(test_serve_quarantine_names_the_sns_message, setup, teardown),
    cmocka_unit_test_setup_teardown(test_serve_log_lines_cannot_be_forged, setup, teardown),
    cmocka_unit_test_setup_teardown(test_serve_ambiguous_framing_closes_the_connection, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_serve_start_failures_name_the_cause, setup, teardown),
    cmocka_unit_test_setup_teardown(test_serve_per_ip_limit_holds_off_slow_clients, setup,
                                    teardown),
};

MT_TEST_MAIN(tests)
