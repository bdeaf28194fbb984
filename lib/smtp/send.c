/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sending a composed message with libcurl's SMTP support, and telling what
 * the server answered.
 *
 * TLS is required on every path: "smtp://" with CURLOPT_USE_SSL set to
 * CURLUSESSL_ALL stops before AUTH when the server offers no STARTTLS, and
 * "smtps://" is TLS from the first byte (SES SMTP developer guide,
 * "Connecting to an Amazon SES SMTP endpoint").  Peers are always verified.
 * libcurl does the dot-stuffing and the end-of-data marker (RFC 5321
 * 4.5.2).  It does not hand out the replies to RCPT TO, so they are read
 * from its debug callback, which sees every command sent and every reply
 * line received; RCPT commands go out one at a time, in the order given, so
 * the n-th RCPT reply belongs to the n-th recipient.  Lines that could carry
 * credentials (anything after AUTH that is not a known command) are never
 * logged.  Retries are left out on purpose: a test message is sent once.
 */
#include "smtp_int.h"

#include "mt/log.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if LIBCURL_VERSION_NUM >= 0x080200
#define SMTP_OPT_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLOWFAILS
#else
#define SMTP_OPT_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLLOWFAILS
#endif

#define CONNECT_TIMEOUT_MAX_MS 15000L

/* What one exchange has seen so far; owned by mt_smtp_send. */
struct exchange {
    struct mt_str message; /* what the read callback hands out */
    size_t sent;           /* bytes of message handed out */
    struct mt_smtp_result *result;
    enum smtp_stage stage;      /* the command the next reply answers */
    size_t rcpt_sent;           /* RCPT commands sent */
    struct mt_smtp_reply reply; /* the reply being assembled */
    bool in_reply;              /* a multi-line reply has started */
    bool in_auth;               /* AUTH sent, no final reply yet: lines out are secret */
    int failed_stage;           /* stage of the first 4xx/5xx reply; -1 none */
    size_t replies;             /* complete replies received */
};

enum mt_status mt_smtp_tls_for_port(unsigned port, enum mt_smtp_tls *tls)
{
    if (port == 25 || port == 587 || port == 2587)
        *tls = MT_SMTP_TLS_STARTTLS;
    else if (port == 465 || port == 2465)
        *tls = MT_SMTP_TLS_IMPLICIT;
    else
        return MT_ERR_INVALID;
    return MT_OK;
}

void mt_smtp_result_init(struct mt_smtp_result *r)
{
    memset(r, 0, sizeof(*r));
}

void mt_smtp_result_cleanup(struct mt_smtp_result *r)
{
    free(r->rcpt);
    mt_smtp_result_init(r);
}

bool smtp_reply_message_id(const char *line, char *out, size_t out_size)
{
    out[0] = '\0';
    if (strncmp(line, "250 ", 4) != 0 ||
        (strncmp(line + 4, "Ok ", 3) != 0 && strncmp(line + 4, "OK ", 3) != 0))
        return false;

    const char *id = line + 7;
    id += *id == '<';
    size_t len = strcspn(id, " >\r\n");
    if (len == 0 || len >= out_size)
        return false;
    memcpy(out, id, len);
    out[len] = '\0';
    return true;
}

static bool is_tls_failure(CURLcode rc)
{
    switch (rc) {
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CLIENTCERT: return true;
    default: return false;
    }
}

/*
 * LIMITATION: a temporary refusal (4xx, e.g. "454 Throttling failure" or
 * "451" at the end of the message) is reported like a permanent one, with
 * the same status and exit code, and is not retried; the reply text tells
 * them apart.  The consequence is that a throttled test message must be sent
 * again by hand.
 */
enum mt_status smtp_status_classify(int curl_code, bool answered, int failed_stage, int failed_code)
{
    CURLcode rc = (CURLcode)curl_code;

    if (rc == CURLE_OK)
        return MT_OK;
    if (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY)
        return MT_ERR_RESOLVE;
    if (rc == CURLE_COULDNT_CONNECT)
        return MT_ERR_CONNECT;
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return MT_ERR_TIMEOUT;
    if (rc == CURLE_OUT_OF_MEMORY)
        return MT_ERR_NOMEM;
    if (is_tls_failure(rc))
        return MT_ERR_SMTP_TLS;
    if (rc == CURLE_LOGIN_DENIED || failed_stage == SMTP_STAGE_AUTH || failed_code == 530)
        return MT_ERR_SMTP_AUTH;
    if (failed_stage >= SMTP_STAGE_MAIL)
        return MT_ERR_SMTP_REJECTED;
    if (!answered && failed_stage < 0 &&
        (rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING))
        return MT_ERR_CONNECT;
    return MT_ERR_SMTP;
}

/*
 * libcurl reports a reply that ends before its line does with
 * "response reading failed (errno: N)".  A failed read would have been
 * reported first, with its system error, and libcurl keeps the first
 * message; so this one means the server closed the connection, and N is
 * stale.
 */
void smtp_tidy_curl_error(char *text, size_t size)
{
    static const char eof[] = "response reading failed (errno: ";
    static const char zero[] = "(errno: 0)";
    char *at;

    if (strncmp(text, eof, sizeof(eof) - 1) == 0) {
        snprintf(text, size, "the server closed the connection");
        return;
    }
    while ((at = strstr(text, zero)) != NULL) {
        char *from = at + sizeof(zero) - 1;
        while (at > text && at[-1] == ' ')
            at--;
        memmove(at, from, strlen(from) + 1);
    }
}

/* Hands libcurl the next piece of the message. */
static size_t read_message(char *buf, size_t size, size_t nitems, void *ctx)
{
    struct exchange *s = ctx;
    size_t n = s->message.len - s->sent;
    if (n > size * nitems)
        n = size * nitems;
    memcpy(buf, s->message.ptr + s->sent, n);
    s->sent += n;
    return n;
}

/* True when the command line starts with verb (any case). */
static bool command_is(const char *line, size_t len, const char *verb)
{
    size_t n = strlen(verb);
    return len >= n && strncasecmp(line, verb, n) == 0;
}

/*
 * Notes which command the next reply answers; logs the commands that carry no
 * secret.  Between AUTH and its final reply every line out is a credential,
 * whatever it looks like, so none is read as a command.
 */
static void on_command(struct exchange *s, const char *line, size_t len)
{
    static const char *const safe[] = {
        "EHLO", "HELO", "STARTTLS", "MAIL FROM:", "RCPT TO:", "DATA", "QUIT", "RSET", "NOOP"};
    bool is_safe = false;

    if (s->in_auth) {
        MT_LOG(MT_LOG_TRACE, "smtp", "smtp_command", "> (not shown: credentials)");
        return;
    }
    for (size_t i = 0; i < sizeof(safe) / sizeof(safe[0]) && !is_safe; i++)
        is_safe = command_is(line, len, safe[i]);
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    if (is_safe)
        MT_LOG(MT_LOG_TRACE, "smtp", "smtp_command", "> %.*s", (int)len, line);
    else
        MT_LOG(MT_LOG_TRACE, "smtp", "smtp_command", "> (not shown: may hold credentials)");

    if (command_is(line, len, "AUTH ")) {
        s->stage = SMTP_STAGE_AUTH;
        s->in_auth = true;
    } else if (command_is(line, len, "MAIL FROM:"))
        s->stage = SMTP_STAGE_MAIL;
    else if (command_is(line, len, "RCPT TO:")) {
        s->stage = SMTP_STAGE_RCPT;
        s->rcpt_sent++;
    } else if (command_is(line, len, "DATA"))
        s->stage = SMTP_STAGE_DATA;
    else if (is_safe)
        s->stage = SMTP_STAGE_CONNECT;
}

/* Files a complete reply under the command it answers. */
static void on_reply(struct exchange *s)
{
    struct mt_smtp_result *r = s->result;
    const struct mt_smtp_reply *reply = &s->reply;

    MT_LOG(MT_LOG_TRACE, "smtp", "smtp_reply", "< %s", reply->text);
    s->replies++;
    if (reply->code != 334)
        s->in_auth = false;
    if (reply->code >= 400 && s->failed_stage < 0) {
        s->failed_stage = (int)s->stage;
        r->failure = *reply;
    }

    if (s->stage == SMTP_STAGE_RCPT && s->rcpt_sent >= 1 && s->rcpt_sent <= r->rcpt_count) {
        r->rcpt[s->rcpt_sent - 1] = *reply;
    } else if (s->stage == SMTP_STAGE_DATA && reply->code == 354) {
        s->stage = SMTP_STAGE_END;
    } else if (s->stage == SMTP_STAGE_DATA || s->stage == SMTP_STAGE_END) {
        r->data = *reply;
        if (reply->code == 250)
            smtp_reply_message_id(reply->text, r->message_id, sizeof(r->message_id));
    }
}

/* Adds one received line to the reply being assembled; files it when it is the last. */
static void on_reply_line(struct exchange *s, const char *line, size_t len)
{
    bool digits = len >= 3 && line[0] >= '2' && line[0] <= '5' && line[1] >= '0' &&
                  line[1] <= '9' && line[2] >= '0' && line[2] <= '9';
    if (!digits)
        return;

    struct mt_smtp_reply *reply = &s->reply;
    size_t used = strlen(reply->text);
    if (!s->in_reply) {
        reply->code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
        snprintf(reply->text, sizeof(reply->text), "%.*s", (int)len, line);
    } else if (len > 4 && used + 1 < sizeof(reply->text)) {
        snprintf(reply->text + used, sizeof(reply->text) - used, " %.*s", (int)(len - 4), line + 4);
    }

    s->in_reply = len > 3 && line[3] == '-';
    if (!s->in_reply)
        on_reply(s);
}

/* libcurl's debug callback: splits what it saw into command and reply lines. */
static int on_debug(CURL *curl, curl_infotype type, char *data, size_t size, void *ctx)
{
    struct exchange *s = ctx;
    (void)curl;

    if (type == CURLINFO_TEXT) {
        size_t n = 0; /* data is not NUL-terminated */
        while (n < size && data[n] != '\r' && data[n] != '\n')
            n++;
        MT_LOG(MT_LOG_DEBUG, "smtp", "smtp_info", "%.*s", (int)n, data);
    } else if (type == CURLINFO_HEADER_OUT) {
        on_command(s, data, size);
    } else if (type == CURLINFO_HEADER_IN) {
        size_t pos = 0;
        while (pos < size) {
            const char *nl = memchr(data + pos, '\n', size - pos);
            size_t end = nl ? (size_t)(nl - data) : size;
            size_t len = end - pos;
            if (len > 0 && data[pos + len - 1] == '\r')
                len--;
            on_reply_line(s, data + pos, len);
            pos = end + 1;
        }
    }
    return 0;
}

/* Host names and IP literals only, so nothing else can reach the URL. */
static bool host_is_valid(const char *host)
{
    size_t len = strlen(host);
    if (len == 0 || len > 253)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = host[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == ':' || c == '_';
        if (!ok)
            return false;
    }
    return true;
}

static enum mt_status check_request(const struct mt_smtp_options *o, const char *from,
                                    const char *const *to, size_t to_count, struct mt_err *err)
{
    enum mt_smtp_tls tls;

    if (o->host == NULL || !host_is_valid(o->host))
        return mt_err_set(err, MT_ERR_INVALID, "'%s' is not a host name or IP address",
                          o->host ? o->host : "");
    if (o->port == 0 || o->port > 65535)
        return mt_err_set(err, MT_ERR_INVALID, "port %u is out of range", o->port);
    if (o->tls == MT_SMTP_TLS_DEFAULT && mt_smtp_tls_for_port(o->port, &tls) != MT_OK)
        return mt_err_set(err, MT_ERR_INVALID,
                          "port %u has no standard TLS mode; choose STARTTLS or implicit TLS",
                          o->port);
    if (o->username == NULL || o->password == NULL)
        return mt_err_set(err, MT_ERR_INVALID, "no SMTP user name or password given");
    if (to_count == 0)
        return mt_err_set(err, MT_ERR_INVALID, "no recipient given");

    enum mt_status st = mt_smtp_address_check(mt_str_from_cstr(from), "sender", err);
    for (size_t i = 0; st == MT_OK && i < to_count; i++)
        st = mt_smtp_address_check(mt_str_from_cstr(to[i]), "recipient", err);
    return st;
}

/* The URL for the options: scheme by TLS mode, IPv6 literals in brackets. */
static enum mt_status build_url(const struct mt_smtp_options *o, struct mt_buf *url)
{
    enum mt_smtp_tls tls = o->tls;
    if (tls == MT_SMTP_TLS_DEFAULT)
        mt_smtp_tls_for_port(o->port, &tls);

    bool v6 = strchr(o->host, ':') != NULL;
    return mt_buf_appendf(url, "%s://%s%s%s:%u", tls == MT_SMTP_TLS_IMPLICIT ? "smtps" : "smtp",
                          v6 ? "[" : "", o->host, v6 ? "]" : "", o->port);
}

/* Sets every option of the transfer; false when libcurl refuses one. */
static bool configure(CURL *curl, const struct mt_smtp_options *o, const char *url,
                      const char *mail_from, struct curl_slist *rcpt, struct exchange *s,
                      char *errbuf)
{
    long timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : MT_SMTP_DEFAULT_TIMEOUT_MS;
    long connect_ms = timeout_ms < CONNECT_TIMEOUT_MAX_MS ? timeout_ms : CONNECT_TIMEOUT_MAX_MS;
    bool ok = true;

    ok = ok && curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf) == CURLE_OK;
    ok = ok && curl_easy_setopt(curl, CURLOPT_URL, url) == CURLE_OK;
#if LIBCURL_VERSION_NUM >= 0x075500
    ok = ok && curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps") == CURLE_OK;
#else
    ok = ok && curl_easy_setopt(curl, CURLOPT_PROTOCOLS,
                                (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS)) == CURLE_OK;
#endif
    ok = ok && curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL) == CURLE_OK;
    ok =
        ok && curl_easy_setopt(curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) == CURLE_OK;
    ok = ok &&
         (o->ca_file == NULL || curl_easy_setopt(curl, CURLOPT_CAINFO, o->ca_file) == CURLE_OK);
    ok = ok && curl_easy_setopt(curl, CURLOPT_PROXY, "") == CURLE_OK;
    ok = ok && curl_easy_setopt(curl, CURLOPT_USERNAME, o->username) == CURLE_OK;
    ok = ok && curl_easy_setopt(curl, CURLOPT_PASSWORD, o->password) == CURLE_OK;
    ok = ok && curl_easy_setopt(curl, CURLOPT_MAIL_FROM, mail_from) == CURLE_OK;
    ok = ok && curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt) == CURLE_OK;
    ok = ok && curl_easy_setopt(curl, SMTP_OPT_RCPT_ALLOWFAILS, 1L) == CURLE_OK;
    ok = ok && curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L) == CURLE_OK;
    ok = ok && curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_message) == CURLE_OK;
    ok = ok && curl_easy_setopt(curl, CURLOPT_READDATA, s) == CURLE_OK;
    ok = ok && curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms) == CURLE_OK;
    ok = ok && curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, connect_ms) == CURLE_OK;
    ok = ok && curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
    ok = ok && curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, on_debug) == CURLE_OK;
    ok = ok && curl_easy_setopt(curl, CURLOPT_DEBUGDATA, s) == CURLE_OK;
    ok = ok && curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L) == CURLE_OK;
    return ok;
}

/* The server's words for a failure, else libcurl's, else the generic text. */
static const char *failure_words(const struct mt_smtp_result *r, const char *errbuf,
                                 enum mt_status st)
{
    if (r->failure.code != 0)
        return r->failure.text;
    return errbuf[0] != '\0' ? errbuf : mt_status_str(st);
}

/* Records one sentence on what went wrong with the exchange with target. */
static enum mt_status describe(enum mt_status st, const struct exchange *s, CURLcode rc,
                               const struct mt_smtp_options *o, const char *target,
                               const char *errbuf, struct mt_err *err)
{
    long timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : MT_SMTP_DEFAULT_TIMEOUT_MS;
    const struct mt_smtp_result *r = s->result;
    const char *words = failure_words(r, errbuf, st);

    switch (st) {
    case MT_OK: return MT_OK;
    case MT_ERR_RESOLVE: return mt_err_set(err, st, "cannot resolve the host name '%s'", o->host);
    case MT_ERR_CONNECT: return mt_err_set(err, st, "cannot reach '%s': %s", target, words);
    case MT_ERR_TIMEOUT:
        return mt_err_set(err, st, "'%s' did not complete the exchange within %ld ms", target,
                          timeout_ms);
    case MT_ERR_SMTP_TLS:
        if (rc == CURLE_USE_SSL_FAILED)
            return mt_err_set(err, st,
                              "'%s' does not offer STARTTLS, so nothing was sent and "
                              "no credentials left this machine",
                              target);
        return mt_err_set(err, st, "TLS with '%s' failed: %s", target, words);
    case MT_ERR_SMTP_AUTH:
        return mt_err_set(err, st, "'%s' refused the SMTP credentials: %s", target, words);
    case MT_ERR_SMTP_REJECTED:
        if (s->failed_stage == SMTP_STAGE_MAIL)
            return mt_err_set(err, st, "'%s' refused the sender: %s", target, words);
        if (s->failed_stage == SMTP_STAGE_RCPT && r->data.code == 0)
            return mt_err_set(err, st, "'%s' refused every recipient: %s", target, words);
        return mt_err_set(err, st, "'%s' rejected the message: %s", target,
                          r->data.code >= 400 ? r->data.text : words);
    case MT_ERR_SMTP_PARTIAL:
        return mt_err_set(err, st, "'%s' refused %zu of %zu recipients", target,
                          r->rcpt_count - r->accepted, r->rcpt_count);
    default:
        if (st == MT_ERR_SMTP && s->stage == SMTP_STAGE_END && r->data.code == 0)
            return mt_err_set(err, st,
                              "the connection to '%s' ended before it answered the end of "
                              "the message, so it may or may not have it: %s",
                              target, words);
        return mt_err_set(err, st, "the SMTP exchange with '%s' failed: %s", target, words);
    }
}

/* True when the server took at least one recipient at RCPT. */
static bool rcpt_taken(const struct mt_smtp_result *r)
{
    for (size_t i = 0; i < r->rcpt_count; i++) {
        if (r->rcpt[i].code / 100 == 2)
            return true;
    }
    return false;
}

/* Counts the recipients that got the message: accepted at RCPT, and the message at its end. */
static void count_accepted(struct mt_smtp_result *r)
{
    r->accepted = 0;
    for (size_t i = 0; r->data.code == 250 && i < r->rcpt_count; i++)
        r->accepted += r->rcpt[i].code / 100 == 2;
}

/*
 * LIMITATION: libcurl keeps its own copies of the user name and password
 * (and of the AUTH exchange) and frees them without wiping; the consequence
 * is that the password may stay readable in freed heap memory until the
 * process exits.  mailtrack's own copies are wiped.  A fix needs libcurl to
 * wipe option strings, or a SASL exchange done outside libcurl.
 */
static enum mt_status perform(const struct mt_smtp_options *o, const char *url,
                              struct curl_slist *rcpt, const char *mail_from, struct exchange *s,
                              struct mt_err *err)
{
    const char *target = strstr(url, "://") + 3;
    char errbuf[CURL_ERROR_SIZE] = "";
    CURL *curl = curl_easy_init();

    if (curl == NULL)
        return mt_err_set(err, MT_ERR_NOMEM, "cannot create a libcurl handle");
    if (!configure(curl, o, url, mail_from, rcpt, s, errbuf)) {
        curl_easy_cleanup(curl);
        return mt_err_set(err, MT_ERR_UNSUPPORTED,
                          "this libcurl lacks SMTP, TLS or an option mailtrack needs");
    }

    MT_LOG(MT_LOG_DEBUG, "smtp", "smtp_send", "sending %zu bytes to %zu recipients via %s",
           s->message.len, s->result->rcpt_count, target);
    CURLcode rc = curl_easy_perform(curl);
    curl_easy_cleanup(curl);
    smtp_tidy_curl_error(errbuf, sizeof(errbuf));

    count_accepted(s->result);
    enum mt_status st =
        smtp_status_classify((int)rc, s->replies > 0, s->failed_stage, s->result->failure.code);
    /*
     * A recipient refused at RCPT does not end the exchange while another
     * was taken: what failed then is what came after it.
     */
    if (st == MT_ERR_SMTP_REJECTED && s->failed_stage == SMTP_STAGE_RCPT &&
        s->result->data.code == 0 && rcpt_taken(s->result))
        st = MT_ERR_SMTP;
    if (st == MT_OK && s->result->accepted < s->result->rcpt_count)
        st = MT_ERR_SMTP_PARTIAL;
    return describe(st, s, rc, o, target, errbuf, err);
}

enum mt_status mt_smtp_send(const struct mt_smtp_options *opts, const char *from,
                            const char *const *to, size_t to_count, struct mt_str message,
                            struct mt_smtp_result *result, struct mt_err *err)
{
    struct exchange s = {.message = message, .result = result, .failed_stage = -1};
    struct curl_slist *rcpt = NULL;
    struct mt_buf url, mail_from;
    enum mt_status st;

    mt_buf_init(&url, 2048);
    mt_buf_init(&mail_from, 1024);
    mt_smtp_result_cleanup(result);
    st = check_request(opts, from, to, to_count, err);
    if (st != MT_OK)
        goto out;

    st = MT_ERR_NOMEM;
    result->rcpt = calloc(to_count, sizeof(*result->rcpt));
    if (result->rcpt == NULL)
        goto out;
    result->rcpt_count = to_count;
    for (size_t i = 0; i < to_count; i++) {
        char line[300];
        snprintf(line, sizeof(line), "<%s>", to[i]);
        struct curl_slist *next = curl_slist_append(rcpt, line);
        if (next == NULL)
            goto out;
        rcpt = next;
    }
    if (build_url(opts, &url) != MT_OK || mt_buf_appendf(&mail_from, "<%s>", from) != MT_OK)
        goto out;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        st = mt_err_set(err, MT_ERR_SMTP, "libcurl could not be initialised");
        goto out;
    }
    st = perform(opts, url.data, rcpt, mail_from.data, &s, err);
    curl_global_cleanup();

out:
    if (st == MT_ERR_NOMEM)
        mt_err_set(err, st, "out of memory while preparing the SMTP exchange");
    curl_slist_free_all(rcpt);
    mt_buf_cleanup(&mail_from);
    mt_buf_cleanup(&url);
    return st;
}
