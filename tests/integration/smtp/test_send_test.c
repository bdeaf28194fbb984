/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mailtrack send-test against a real SMTP server on loopback: smtp-server
 * from tests/peers, started per case by smtp_peer.mjs on a free port with a
 * certificate made at test time.  The peer records what it received; these
 * cases check the envelope, every header, the subject decoded back with a
 * decoder written here (not the one under test), the body decoded from
 * quoted-printable, and that no credential ever crossed a plain connection.
 * Failure cases check the exit code and the one-line message.
 */
#include "harness.h"
#include "proc.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define USER "AKIAIOSFODNN7EXAMPLE"
#define PASS "BMXhUYlu5Z3gSXVQORxlVa7XPaz91aGWdfHxvkOZdWZ2"

static const char *const s_env_unset[] = {
    "MAILTRACK_SMTP_USERNAME",
    "MAILTRACK_SMTP_PASSWORD",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "ALL_PROXY",
    NULL,
};
static const char *const s_env_creds[] = {
    "MAILTRACK_SMTP_USERNAME=" USER,
    "MAILTRACK_SMTP_PASSWORD=" PASS,
    NULL,
};

/* One server and its folder, for one case. */
struct smtp_case {
    char dir[1024];
    char cert[1100];
    char port[16];
    struct mt_test_peer peer;
};

/* Starts the peer in mode with up to 6 extra arguments (NULL-terminated list). */
static void start_peer(struct smtp_case *c, const char *mode, const char *const *extra)
{
    const char *argv[32] = {MT_NODE,  MT_SMTP_PEER, "--peers", MT_PEERS_DIR, "--dir",  c->dir,
                            "--mode", mode,         "--user",  USER,         "--pass", PASS};
    size_t n = 12;
    struct stat st;
    char modules[1200];

    snprintf(modules, sizeof(modules), "%s/node_modules/smtp-server", MT_PEERS_DIR);
    if (stat(modules, &st) != 0)
        fail_msg("'%s' is missing: run 'npm ci --prefix tests/peers' first", modules);
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 30; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;

    mt_test_peer_start(argv, &c->peer);
    snprintf(c->port, sizeof(c->port), "%d", c->peer.port);
}

static int setup(void **state)
{
    struct smtp_case *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    snprintf(c->dir, sizeof(c->dir), "%s", mt_test_tmpdir());
    snprintf(c->cert, sizeof(c->cert), "%s/cert.pem", c->dir);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct smtp_case *c = *state;
    char cmd[1200];

    mt_test_peer_stop(&c->peer);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->dir);
    if (system(cmd) != 0)
        print_error("could not remove '%s'\n", c->dir);
    free(c);
    return 0;
}

/*
 * Runs "mailtrack send-test --host 127.0.0.1 --port <peer>" with the given
 * arguments (NULL-terminated) and the credentials in the environment unless
 * env is given.
 */
static void send_test(struct smtp_case *c, const char *const *args, const char *const *env,
                      struct mt_test_run *run)
{
    const char *argv[64] = {MT_MAILTRACK, "send-test", "--host", "127.0.0.1", "--port", c->port};
    size_t n = 6;
    for (size_t i = 0; args[i] != NULL && n < 62; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    mt_test_run(argv, s_env_unset, env ? env : s_env_creds, NULL, run);
}

/* Stops the peer (so it writes its final record) and loads the record. */
static json_t *stop_and_load_record(struct smtp_case *c)
{
    char path[1100];
    json_error_t jerr;

    mt_test_peer_stop(&c->peer);
    snprintf(path, sizeof(path), "%s/record.json", c->dir);
    json_t *rec = json_load_file(path, 0, &jerr);
    if (rec == NULL)
        fail_msg("cannot read the peer's record '%s': %s", path, jerr.text);
    return rec;
}

static void assert_contains(const struct mt_buf *b, const char *needle)
{
    if (b->data == NULL || strstr(b->data, needle) == NULL)
        fail_msg("expected '%s' in:\n%s", needle, b->data ? b->data : "");
}

/* The exit code is as expected; shows both streams when it is not. */
static void assert_exit(const struct mt_test_run *run, int expected)
{
    if (run->exit_code != expected)
        fail_msg("exit code %d, expected %d\nstdout:\n%s\nstderr:\n%s", run->exit_code, expected,
                 run->out.data, run->err.data);
}

/* The value of header name in raw (first match, case-sensitive), unfolded, or NULL. */
static char *header(const char *raw, const char *name, bool unfold)
{
    size_t n = strlen(name);
    const char *end_of_headers = strstr(raw, "\r\n\r\n");
    for (const char *p = raw; p != NULL && p < end_of_headers; p = strstr(p, "\r\n")) {
        p += (p == raw) ? 0 : 2;
        if (strncmp(p, name, n) != 0 || p[n] != ':')
            continue;
        const char *v = p + n + 1 + (p[n + 1] == ' ');
        const char *e = v;
        while (!(e[0] == '\r' && e[1] == '\n' && e[2] != ' ' && e[2] != '\t'))
            e++;
        char *out = strndup(v, (size_t)(e - v));
        if (unfold) {
            char *w = out;
            for (const char *r = out; *r; r++) {
                if (r[0] == '\r' && r[1] == '\n')
                    r++;
                else
                    *w++ = *r;
            }
            *w = '\0';
        }
        return out;
    }
    return NULL;
}

static bool is_valid_utf8(const unsigned char *p, size_t n)
{
    return mt_utf8_valid((struct mt_str){(const char *)p, n});
}

/*
 * Decodes an RFC 2047 subject field value (still folded) made of
 * "=?UTF-8?B?...?=" words separated by folding white space, checking each
 * physical line's length and that each word holds whole UTF-8 characters.
 */
static void decode_subject(const char *folded, size_t first_line_prefix, struct mt_buf *out)
{
    const char *p = folded;
    size_t line_len = first_line_prefix;

    mt_buf_init(out, 0);
    assert_int_equal(mt_buf_append(out, "", 0), MT_OK);
    while (*p) {
        if (p[0] == '\r' && p[1] == '\n') {
            if (line_len > 76)
                fail_msg("a Subject line has %zu characters", line_len);
            line_len = 0;
            p += 2;
            continue;
        }
        if (*p == ' ' || *p == '\t') {
            p++, line_len++;
            continue;
        }
        if (strncmp(p, "=?UTF-8?B?", 10) != 0)
            fail_msg("not an encoded word at '%s'", p);
        const char *text = p + 10, *end = strstr(text, "?=");
        assert_non_null(end);
        size_t word_len = (size_t)(end + 2 - p);
        assert_true(word_len <= 75);

        unsigned char raw[128];
        int n = EVP_DecodeBlock(raw, (const unsigned char *)text, (int)(end - text));
        assert_true(n >= 0);
        for (const char *q = end - 1; *q == '='; q--)
            n--;
        if (!is_valid_utf8(raw, (size_t)n))
            fail_msg("encoded word '%.*s' splits a UTF-8 character", (int)word_len, p);
        assert_int_equal(mt_buf_append(out, raw, (size_t)n), MT_OK);
        line_len += word_len;
        p = end + 2;
    }
    if (line_len > 76)
        fail_msg("the last Subject line has %zu characters", line_len);
}

static int hex_value(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes a quoted-printable body, checking the line-length limit of 76. */
static void decode_qp(const char *body, struct mt_buf *out)
{
    size_t line_len = 0;

    mt_buf_init(out, 0);
    assert_int_equal(mt_buf_append(out, "", 0), MT_OK);
    for (const char *p = body; *p; p++) {
        if (p[0] == '\r' && p[1] == '\n') {
            assert_true(line_len <= 76);
            line_len = 0;
            assert_int_equal(mt_buf_append(out, "\r\n", 2), MT_OK);
            p++;
            continue;
        }
        line_len++;
        if (p[0] == '=' && p[1] == '\r' && p[2] == '\n') {
            assert_true(line_len <= 76);
            line_len = 0;
            p += 2;
        } else if (p[0] == '=') {
            int hi = hex_value(p[1]), lo = hex_value(p[2]);
            if (hi < 0 || lo < 0)
                fail_msg("bad quoted-printable escape at '%.10s'", p);
            assert_int_equal(mt_buf_append_byte(out, (char)(hi * 16 + lo)), MT_OK);
            p += 2, line_len += 2;
        } else {
            assert_int_equal(mt_buf_append_byte(out, *p), MT_OK);
        }
    }
}

/* The one received message; fails unless exactly one arrived. */
static const char *only_message(json_t *rec, json_t **msg)
{
    json_t *messages = json_object_get(rec, "messages");
    assert_int_equal(json_array_size(messages), 1);
    *msg = json_array_get(messages, 0);
    return json_string_value(json_object_get(*msg, "raw"));
}

/* Every command before TLS was EHLO or STARTTLS; returns how many AUTH commands came in TLS. */
static size_t check_commands_tls(json_t *rec)
{
    size_t i, auth_in_tls = 0;
    json_t *cmd;

    json_array_foreach(json_object_get(rec, "commands"), i, cmd)
    {
        const char *name = json_string_value(json_object_get(cmd, "cmd"));
        bool tls = json_is_true(json_object_get(cmd, "tls"));
        if (!tls && strcmp(name, "EHLO") != 0 && strcmp(name, "STARTTLS") != 0)
            fail_msg("'%s' was sent before TLS was established", name);
        auth_in_tls += tls && strcmp(name, "AUTH") == 0;
    }
    return auth_in_tls;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

/* CRLF everywhere, 7-bit only. */
static void assert_wire_clean(const char *raw)
{
    for (const char *p = raw; *p; p++) {
        if ((unsigned char)*p >= 0x80)
            fail_msg("8-bit byte in the message at offset %td", p - raw);
        if (*p == '\n' && (p == raw || p[-1] != '\r'))
            fail_msg("bare LF in the message at offset %td", p - raw);
        if (*p == '\r' && p[1] != '\n')
            fail_msg("bare CR in the message at offset %td", p - raw);
    }
}

static const char s_body[] =
    "Hello from the integration test \xe2\x80\x94 \xc3\xbcn\xc3\xaf"
    "c\xc3\xb6"
    "de.\n"
    ".\n"
    "..two dots\n"
    ".leading dot\n"
    "trailing space \n"
    "a = sign and a tab\there\n"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789 a long line\n";

static const char s_subject[] = "\xc3\x89v\xc3\xa9nement \xf0\x9f\x93\xac mailtrack";

/* Header name is present and, unfolded, equals expected. */
static void assert_header(const char *raw, const char *name, const char *expected)
{
    char *value = header(raw, name, true);
    if (value == NULL)
        fail_msg("no %s header in:\n%s", name, raw);
    if (strcmp(value, expected) != 0)
        fail_msg("%s is '%s', expected '%s'", name, value, expected);
    free(value);
}

static void check_headers(const char *raw)
{
    char *date = header(raw, "Date", true), *id = header(raw, "Message-ID", true);
    char wd[4], mon[4], hex[40];
    int day, year, hh, mm, ss, used = 0;

    assert_non_null(date);
    assert_int_equal(sscanf(date, "%3[A-Za-z], %d %3s %d %d:%d:%d +0000%n", wd, &day, mon, &year,
                            &hh, &mm, &ss, &used),
                     7);
    assert_int_equal((size_t)used, strlen(date));
    assert_non_null(strstr("Mon,Tue,Wed,Thu,Fri,Sat,Sun,", wd));
    assert_non_null(id);
    assert_int_equal(sscanf(id, "<%32[0-9a-f]@example.com>%n", hex, &used), 1);
    assert_int_equal(strlen(hex), 32);
    assert_int_equal((size_t)used, strlen(id));
    assert_header(raw, "From", "sender@example.com");
    assert_header(raw, "To", "first@example.com, second@example.com");
    assert_header(raw, "MIME-Version", "1.0");
    assert_header(raw, "Content-Type", "text/plain; charset=UTF-8");
    assert_header(raw, "Content-Transfer-Encoding", "quoted-printable");
    assert_header(raw, "X-SES-CONFIGURATION-SET", "mailtrack-test_1");
    assert_header(raw, "X-SES-MESSAGE-TAGS", "campaign=launch-1, env=ci_2");
    free(date);
    free(id);
}

/* The full round trip: STARTTLS, AUTH in TLS, envelope, headers, subject and body. */
static void test_smtp_send_starttls_delivers_message(void **state)
{
    struct smtp_case *c = *state;
    struct mt_test_run run;
    char body_path[1100];
    json_t *msg;

    start_peer(c, "starttls", NULL);
    snprintf(body_path, sizeof(body_path), "%s/body.txt", c->dir);
    write_file(body_path, s_body, 0644);
    const char *args[] = {"--tls",
                          "starttls",
                          "--ca-file",
                          c->cert,
                          "--from",
                          "sender@example.com",
                          "--to",
                          "first@example.com",
                          "--to",
                          "second@example.com",
                          "--subject",
                          s_subject,
                          "--body-file",
                          body_path,
                          "--configuration-set",
                          "mailtrack-test_1",
                          "--tag",
                          "campaign=launch-1",
                          "--tag",
                          "env=ci_2",
                          NULL};
    send_test(c, args, NULL, &run);
    assert_exit(&run, 0);
    assert_contains(&run.out, "accepted first@example.com: 250 Accepted\n");
    assert_contains(&run.out, "accepted second@example.com: 250 Accepted\n");
    assert_contains(&run.out, "message-id 0100019a0b1c2d3e-test1-000000\n");

    json_t *rec = stop_and_load_record(c);
    json_t *auth = json_array_get(json_object_get(rec, "auth"), 0);
    assert_string_equal(json_string_value(json_object_get(auth, "username")), USER);
    assert_string_equal(json_string_value(json_object_get(auth, "password")), PASS);
    assert_true(json_is_true(json_object_get(auth, "tls")));
    assert_int_equal(check_commands_tls(rec), 1);

    const char *raw = only_message(rec, &msg);
    assert_string_equal(json_string_value(json_object_get(msg, "mailFrom")), "sender@example.com");
    json_t *rcpt = json_object_get(msg, "rcptTo");
    assert_int_equal(json_array_size(rcpt), 2);
    assert_string_equal(json_string_value(json_array_get(rcpt, 0)), "first@example.com");
    assert_string_equal(json_string_value(json_array_get(rcpt, 1)), "second@example.com");
    assert_wire_clean(raw);
    check_headers(raw);

    struct mt_buf subject, body;
    char *folded = header(raw, "Subject", false);
    decode_subject(folded, strlen("Subject: "), &subject);
    assert_string_equal(subject.data, s_subject);
    decode_qp(strstr(raw, "\r\n\r\n") + 4, &body);
    const char *expected_body =
        "Hello from the integration test \xe2\x80\x94 \xc3\xbcn\xc3\xaf"
        "c\xc3\xb6"
        "de.\r\n.\r\n"
        "..two dots\r\n.leading dot\r\ntrailing space \r\na = sign and a tab\there\r\n"
        "0123456789012345678901234567890123456789012345678901234567890123456789"
        "0123456789012345678901234567890123456789 a long line\r\n";
    assert_string_equal(body.data, expected_body);

    free(folded);
    mt_buf_cleanup(&subject);
    mt_buf_cleanup(&body);
    json_decref(rec);
    mt_test_run_cleanup(&run);
}

/* A long subject with emoji folds into several encoded words that decode back exactly. */
static void test_smtp_send_long_utf8_subject_folds(void **state)
{
    struct smtp_case *c = *state;
    struct mt_test_run run;
    json_t *msg;
    const char *subject = "Zustellung gepr\xc3\xbc"
                          "ft \xf0\x9f\x8e\x89\xf0\x9f\x9a\x80: "
                          "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe4\xbb\xb6\xe5\x90"
                          "\x8d\xe3\x82\x82 and a long tail of plain words so that the subject "
                          "needs three or more encoded words \xe2\x9c\x93\xf0\x9f\x93\xac end";

    start_peer(c, "starttls", NULL);
    const char *args[] = {
        "--tls", "starttls",          "--ca-file", c->cert, "--from", "sender@example.com",
        "--to",  "first@example.com", "--subject", subject, NULL};
    send_test(c, args, NULL, &run);
    assert_exit(&run, 0);

    json_t *rec = stop_and_load_record(c);
    const char *raw = only_message(rec, &msg);
    char *folded = header(raw, "Subject", false);
    size_t lines = 1;
    for (const char *p = folded; (p = strstr(p, "\r\n")) != NULL; p += 2)
        lines++;
    assert_true(lines >= 3);

    struct mt_buf decoded;
    decode_subject(folded, strlen("Subject: "), &decoded);
    assert_string_equal(decoded.data, subject);

    free(folded);
    mt_buf_cleanup(&decoded);
    json_decref(rec);
    mt_test_run_cleanup(&run);
}

/* TLS from the first byte on a port that needs --tls implicit. */
static void test_smtp_send_implicit_tls(void **state)
{
    struct smtp_case *c = *state;
    struct mt_test_run run;
    json_t *msg;

    start_peer(c, "implicit", NULL);
    const char *args[] = {"--tls",  "implicit",           "--ca-file", c->cert,
                          "--from", "sender@example.com", "--to",      "first@example.com",
                          NULL};
    send_test(c, args, NULL, &run);
    assert_exit(&run, 0);
    assert_contains(&run.out, "accepted first@example.com: 250 Accepted\n");

    json_t *rec = stop_and_load_record(c);
    assert_int_equal(check_commands_tls(rec), 1);
    only_message(rec, &msg);
    assert_true(json_is_true(json_object_get(msg, "tls")));
    json_decref(rec);
    mt_test_run_cleanup(&run);
}

static void test_smtp_send_wrong_password_exits_10(void **state)
{
    struct smtp_case *c = *state;
    struct mt_test_run run;
    const char *const env[] = {"MAILTRACK_SMTP_USERNAME=" USER,
                               "MAILTRACK_SMTP_PASSWORD=not-the-password", NULL};

    start_peer(c, "starttls", NULL);
    const char *args[] = {"--tls",  "starttls",           "--ca-file", c->cert,
                          "--from", "sender@example.com", "--to",      "first@example.com",
                          NULL};
    send_test(c, args, env, &run);
    assert_exit(&run, 10);
    assert_contains(&run.err, "refused the SMTP credentials: 535 Authentication Credentials "
                              "Invalid");
    assert_int_equal(run.out.len, 0);

    json_t *rec = stop_and_load_record(c);
    assert_int_equal(json_array_size(json_object_get(rec, "messages")), 0);
    assert_int_equal(json_array_size(json_object_get(rec, "auth")), 1);
    json_decref(rec);
    mt_test_run_cleanup(&run);
}

static void test_smtp_send_rejected_at_data_exits_11(void **state)
{
    struct smtp_case *c = *state;
    struct mt_test_run run;
    const char *const extra[] = {"--reject-data", NULL};

    start_peer(c, "starttls", extra);
    const char *args[] = {"--tls",  "starttls",           "--ca-file", c->cert,
                          "--from", "sender@example.com", "--to",      "first@example.com",
                          NULL};
    send_test(c, args, NULL, &run);
    assert_exit(&run, 11);
    assert_contains(&run.err, "rejected the message: 554 Message rejected: Email address is not "
                              "verified");
    assert_contains(&run.out, "refused first@example.com: 554 Message rejected");
    assert_null(strstr(run.out.data, "message-id"));
    mt_test_run_cleanup(&run);
}

/* The connection ends before the server answers the message: nobody is reported as accepted. */
static void test_smtp_send_connection_lost_at_data_is_unconfirmed(void **state)
{
    struct smtp_case *c = *state;
    struct mt_test_run run;
    const char *const extra[] = {"--drop-data", NULL};

    start_peer(c, "starttls", extra);
    const char *args[] = {"--tls",  "starttls",           "--ca-file", c->cert,
                          "--from", "sender@example.com", "--to",      "first@example.com",
                          NULL};
    send_test(c, args, NULL, &run);
    assert_exit(&run, 1);
    assert_string_equal(run.out.data,
                        "unconfirmed first@example.com: no reply to the end of the message\n");
    assert_contains(&run.err, "ended before it answered the end of the message, so it may or "
                              "may not have it");
    assert_null(strstr(run.err.data, "errno"));
    mt_test_run_cleanup(&run);
}

/* One recipient refused, then the connection lost after the message: not "every" refused. */
static void test_smtp_send_partial_rcpt_then_lost_is_unconfirmed(void **state)
{
    struct smtp_case *c = *state;
    struct mt_test_run run;
    const char *const extra[] = {"--drop-data", "--reject-rcpt", "bad@example.com", NULL};

    start_peer(c, "starttls", extra);
    const char *args[] = {"--tls",  "starttls",           "--ca-file", c->cert,
                          "--from", "sender@example.com", "--to",      "first@example.com",
                          "--to",   "bad@example.com",    NULL};
    send_test(c, args, NULL, &run);
    assert_exit(&run, 1);
    assert_contains(&run.out, "unconfirmed first@example.com: no reply to the end of the message");
    assert_contains(&run.out, "refused bad@example.com: 554");
    assert_contains(&run.err, "so it may or may not have it");
    assert_null(strstr(run.err.data, "every recipient"));
    mt_test_run_cleanup(&run);
}

/* One recipient refused at RCPT: the other gets the message (16); all refused: 11. */
static void test_smtp_send_rejected_at_rcpt(void **state)
{
    struct smtp_case *c = *state;
    struct mt_test_run run;
    json_t *msg;
    const char *const extra[] = {"--reject-rcpt", "bad@example.com", NULL};

    start_peer(c, "starttls", extra);
    const char *some[] = {"--tls",  "starttls",           "--ca-file", c->cert,
                          "--from", "sender@example.com", "--to",      "bad@example.com",
                          "--to",   "good@example.com",   NULL};
    send_test(c, some, NULL, &run);
    assert_exit(&run, 16);
    assert_contains(&run.out, "refused bad@example.com: 554 Message rejected: Email address is "
                              "not verified.\naccepted good@example.com: 250 Accepted\n");
    assert_contains(&run.err, "refused 1 of 2 recipients");
    mt_test_run_cleanup(&run);

    const char *all[] = {"--tls", "starttls",        "--ca-file",
                         c->cert, "--from",          "sender@example.com",
                         "--to",  "bad@example.com", NULL};
    send_test(c, all, NULL, &run);
    assert_exit(&run, 11);
    assert_contains(&run.err, "refused every recipient: 554 Message rejected");
    assert_contains(&run.out, "refused bad@example.com: 554");

    json_t *rec = stop_and_load_record(c);
    only_message(rec, &msg);
    json_t *rcpt = json_object_get(msg, "rcptTo");
    assert_int_equal(json_array_size(rcpt), 1);
    assert_string_equal(json_string_value(json_array_get(rcpt, 0)), "good@example.com");
    json_decref(rec);
    mt_test_run_cleanup(&run);
}

/* Reads from fd into reply (NUL-terminated) until it holds until. */
static void read_until(int fd, char *reply, size_t size, const char *until)
{
    size_t got = strlen(reply);
    while (strstr(reply, until) == NULL) {
        assert_true(got + 1 < size);
        ssize_t n = read(fd, reply + got, size - 1 - got);
        if (n <= 0)
            fail_msg("the server closed the connection; it said:\n%s", reply);
        got += (size_t)n;
        reply[got] = '\0';
    }
}

/* Sends an AUTH in clear over a raw socket, after the greeting, and waits for the refusal. */
static void plain_auth_probe(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    char reply[2048] = "";
    const char probe[] = "EHLO probe.test\r\nAUTH PLAIN AHByb2JlAHByb2Jl\r\n";
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    read_until(fd, reply, sizeof(reply), "220 ");
    assert_int_equal(write(fd, probe, sizeof(probe) - 1), (ssize_t)(sizeof(probe) - 1));
    read_until(fd, reply, sizeof(reply), "535 ");
    close(fd);
}

/* No STARTTLS: exit 12 and no AUTH on the plain connection (the probe shows one would be seen). */
static void test_smtp_send_no_starttls_exits_12_without_auth(void **state)
{
    struct smtp_case *c = *state;
    struct mt_test_run run;
    size_t i, ehlo = 0, auth_from_mailtrack = 0, probe_auth = 0;
    json_t *cmd;

    start_peer(c, "plain", NULL);
    const char *args[] = {"--tls",  "starttls",           "--ca-file", c->cert,
                          "--from", "sender@example.com", "--to",      "first@example.com",
                          NULL};
    send_test(c, args, NULL, &run);
    assert_exit(&run, 12);
    assert_contains(&run.err, "does not offer STARTTLS, so nothing was sent");
    plain_auth_probe(c->peer.port);

    json_t *rec = stop_and_load_record(c);
    const char *probe_cid = NULL;
    json_array_foreach(json_object_get(rec, "commands"), i, cmd)
    {
        const char *line = json_string_value(json_object_get(cmd, "line"));
        if (strcmp(line, "EHLO probe.test") == 0)
            probe_cid = json_string_value(json_object_get(cmd, "cid"));
    }
    assert_non_null(probe_cid);
    json_array_foreach(json_object_get(rec, "commands"), i, cmd)
    {
        const char *name = json_string_value(json_object_get(cmd, "cmd"));
        bool probe = strcmp(json_string_value(json_object_get(cmd, "cid")), probe_cid) == 0;
        ehlo += !probe && strcmp(name, "EHLO") == 0;
        auth_from_mailtrack += !probe && strcmp(name, "AUTH") == 0;
        probe_auth +=
            probe && strcmp(name, "AUTH") == 0 && json_is_false(json_object_get(cmd, "tls"));
    }
    assert_int_equal(ehlo, 1);
    assert_int_equal(auth_from_mailtrack, 0);
    assert_int_equal(probe_auth, 1);
    assert_int_equal(json_array_size(json_object_get(rec, "auth")), 1);
    json_decref(rec);
    mt_test_run_cleanup(&run);
}

/* Certificates are verified: the self-signed one is refused without --ca-file. */
static void test_smtp_send_untrusted_certificate_exits_12(void **state)
{
    struct smtp_case *c = *state;
    struct mt_test_run run;

    start_peer(c, "starttls", NULL);
    const char *args[] = {"--tls", "starttls",          "--from", "sender@example.com",
                          "--to",  "first@example.com", NULL};
    send_test(c, args, NULL, &run);
    assert_exit(&run, 12);
    assert_contains(&run.err, "TLS with '127.0.0.1:");
    assert_contains(&run.err, "certificate");

    json_t *rec = stop_and_load_record(c);
    assert_int_equal(json_array_size(json_object_get(rec, "auth")), 0);
    json_decref(rec);
    mt_test_run_cleanup(&run);
}

static void test_smtp_send_connection_refused_exits_14(void **state)
{
    struct smtp_case *c = *state;
    struct mt_test_run run;

    snprintf(c->port, sizeof(c->port), "%d", mt_test_unused_port());
    const char *args[] = {"--tls", "starttls",          "--from", "sender@example.com",
                          "--to",  "first@example.com", NULL};
    send_test(c, args, NULL, &run);
    assert_exit(&run, 14);
    assert_contains(&run.err, "cannot reach '127.0.0.1:");
    mt_test_run_cleanup(&run);
}

/* A server that closes the connection before its greeting: never reached, exit 14. */
static void test_smtp_send_closed_before_greeting_exits_14(void **state)
{
    struct smtp_case *c = *state;
    struct mt_test_run run;

    start_peer(c, "hangup", NULL);
    const char *args[] = {"--tls", "starttls",          "--from", "sender@example.com",
                          "--to",  "first@example.com", NULL};
    send_test(c, args, NULL, &run);
    assert_exit(&run, 14);
    assert_contains(&run.err, "cannot reach '127.0.0.1:");
    if (strstr(run.err.data, "errno") != NULL)
        fail_msg("stderr: %s", run.err.data);
    assert_string_equal(run.out.data, "");
    mt_test_run_cleanup(&run);
}

/* A server that accepts and never answers: exit 13 soon after --timeout. */
static void test_smtp_send_silent_server_times_out_13(void **state)
{
    struct smtp_case *c = *state;
    struct mt_test_run run;

    start_peer(c, "silent", NULL);
    const char *args[] = {"--tls",  "starttls",           "--timeout", "1",
                          "--from", "sender@example.com", "--to",      "first@example.com",
                          NULL};
    send_test(c, args, NULL, &run);
    assert_exit(&run, 13);
    assert_contains(&run.err, "did not complete the exchange within 1000 ms");
    assert_true(run.elapsed_ms >= 900 && run.elapsed_ms < 10000);
    mt_test_run_cleanup(&run);
}

/*
 * A host name that cannot resolve.  Its first label is longer than the 63
 * octets DNS allows, so the resolver fails locally and sends no query to any
 * server: the case stays on this machine.
 */
static void test_smtp_send_unresolvable_host_exits_15(void **state)
{
    struct mt_test_run run;
    char host[128];
    (void)state;

    memset(host, 'a', 70);
    strcpy(host + 70, ".invalid");
    const char *argv[] = {MT_MAILTRACK, "send-test",          "--host", host,
                          "--from",     "sender@example.com", "--to",   "first@example.com",
                          NULL};
    mt_test_run(argv, s_env_unset, s_env_creds, NULL, &run);
    assert_exit(&run, 15);
    assert_contains(&run.err, "cannot resolve the host name 'aaaa");
    mt_test_run_cleanup(&run);
}

/* --simulate puts the mailbox simulator addresses, with labels, in the envelope. */
static void test_smtp_send_simulator_recipients(void **state)
{
    struct smtp_case *c = *state;
    struct mt_test_run run;
    json_t *msg;

    start_peer(c, "starttls", NULL);
    const char *args[] = {"--tls",      "starttls",           "--ca-file",  c->cert,
                          "--from",     "sender@example.com", "--simulate", "bounce+run42",
                          "--simulate", "complaint",          NULL};
    send_test(c, args, NULL, &run);
    assert_exit(&run, 0);
    assert_contains(&run.out, "accepted bounce+run42@simulator.amazonses.com: 250");
    assert_contains(&run.out, "accepted complaint@simulator.amazonses.com: 250");

    json_t *rec = stop_and_load_record(c);
    const char *raw = only_message(rec, &msg);
    json_t *rcpt = json_object_get(msg, "rcptTo");
    assert_string_equal(json_string_value(json_array_get(rcpt, 0)),
                        "bounce+run42@simulator.amazonses.com");
    assert_string_equal(json_string_value(json_array_get(rcpt, 1)),
                        "complaint@simulator.amazonses.com");
    assert_non_null(strstr(raw, "Subject: mailtrack test message "));
    assert_non_null(strstr(raw, "mailtrack send-test"));
    json_decref(rec);
    mt_test_run_cleanup(&run);
}

/* A private credentials file works; a group-readable one is refused before connecting. */
static void test_smtp_send_credentials_file(void **state)
{
    struct smtp_case *c = *state;
    struct mt_test_run run;
    char path[1100];

    start_peer(c, "starttls", NULL);
    snprintf(path, sizeof(path), "%s/smtp-credentials", c->dir);
    write_file(path, "# SES SMTP\nusername = " USER "\npassword=" PASS "\n", 0600);
    const char *args[] = {"--tls", "starttls", "--ca-file",          c->cert, "--credentials-file",
                          path,    "--from",   "sender@example.com", "--to",  "first@example.com",
                          NULL};
    const char *const no_env[] = {NULL};
    send_test(c, args, no_env, &run);
    assert_exit(&run, 0);
    mt_test_run_cleanup(&run);

    assert_int_equal(chmod(path, 0640), 0);
    send_test(c, args, no_env, &run);
    assert_exit(&run, 1);
    assert_contains(&run.err, "has mode 0640, so others may use it; run 'chmod 600 ");

    json_t *rec = stop_and_load_record(c);
    json_t *auth = json_object_get(rec, "auth");
    assert_int_equal(json_array_size(auth), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(auth, 0), "username")),
                        USER);
    json_decref(rec);
    mt_test_run_cleanup(&run);
}

/* With -vv the exchange is traced on stderr, but no form of the credentials appears. */
static void test_smtp_send_trace_hides_credentials(void **state)
{
    struct smtp_case *c = *state;
    struct mt_test_run run;
    const char *const extra[] = {"--login-only", NULL};
    unsigned char user64[64], pass64[128];

    EVP_EncodeBlock(user64, (const unsigned char *)USER, (int)strlen(USER));
    EVP_EncodeBlock(pass64, (const unsigned char *)PASS, (int)strlen(PASS));
    start_peer(c, "starttls", extra);
    const char *argv[] = {MT_MAILTRACK, "-vv", "send-test", "--host", "127.0.0.1", "--port",
                          c->port, "--tls", "starttls", "--ca-file", c->cert, "--from",
                          "sender@example.com", "--to", "first@example.com", NULL};
    mt_test_run(argv, s_env_unset, s_env_creds, NULL, &run);
    assert_exit(&run, 0);
    assert_contains(&run.err, "> MAIL FROM:<sender@example.com>");
    assert_contains(&run.err, "> (not shown: credentials)");
    assert_contains(&run.err, "< 235 Authentication successful");
    assert_null(strstr(run.err.data, PASS));
    assert_null(strstr(run.err.data, (const char *)pass64));
    assert_null(strstr(run.err.data, (const char *)user64));

    json_t *rec = stop_and_load_record(c);
    json_t *auth = json_array_get(json_object_get(rec, "auth"), 0);
    assert_string_equal(json_string_value(json_object_get(auth, "method")), "LOGIN");
    assert_true(json_is_true(json_object_get(auth, "tls")));
    json_decref(rec);
    mt_test_run_cleanup(&run);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_smtp_send_starttls_delivers_message, setup, teardown),
    cmocka_unit_test_setup_teardown(test_smtp_send_long_utf8_subject_folds, setup, teardown),
    cmocka_unit_test_setup_teardown(test_smtp_send_implicit_tls, setup, teardown),
    cmocka_unit_test_setup_teardown(test_smtp_send_wrong_password_exits_10, setup, teardown),
    cmocka_unit_test_setup_teardown(test_smtp_send_rejected_at_data_exits_11, setup, teardown),
    cmocka_unit_test_setup_teardown(test_smtp_send_connection_lost_at_data_is_unconfirmed, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_smtp_send_partial_rcpt_then_lost_is_unconfirmed, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_smtp_send_rejected_at_rcpt, setup, teardown),
    cmocka_unit_test_setup_teardown(test_smtp_send_no_starttls_exits_12_without_auth, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_smtp_send_untrusted_certificate_exits_12, setup, teardown),
    cmocka_unit_test_setup_teardown(test_smtp_send_connection_refused_exits_14, setup, teardown),
    cmocka_unit_test_setup_teardown(test_smtp_send_closed_before_greeting_exits_14, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_smtp_send_silent_server_times_out_13, setup, teardown),
    cmocka_unit_test_setup_teardown(test_smtp_send_unresolvable_host_exits_15, setup, teardown),
    cmocka_unit_test_setup_teardown(test_smtp_send_simulator_recipients, setup, teardown),
    cmocka_unit_test_setup_teardown(test_smtp_send_credentials_file, setup, teardown),
    cmocka_unit_test_setup_teardown(test_smtp_send_trace_hides_credentials, setup, teardown),
};

MT_TEST_MAIN(tests)
