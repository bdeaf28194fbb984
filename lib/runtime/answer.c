/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The parser of the Runtime API's answers: HTTP/1.1 responses as RFC 9112
 * frames them, fed in pieces of any size.  The head is gathered whole (it
 * is small and capped), checked line by line, then its framing headers
 * decide how the body is read: Content-Length, chunked transfer coding
 * (section 7.1), or until the connection closes (section 6.3, rule 8).
 *
 * Refused rather than guessed at, since a misread frame would misplace the
 * next answer on the reused connection: both Content-Length and
 * Transfer-Encoding, more than one Content-Length (even equal ones), a
 * Content-Length that is not plain digits, any transfer coding but
 * "chunked" alone, folded header lines (obs-fold), a space before a
 * header's colon, control characters in the head, a 101 (never asked for).
 * Lines may end in CRLF or a bare LF (section 2.2).  Left out: trailer
 * fields are read and dropped, chunk extensions are ignored, and reason
 * phrases are not kept.
 */
#include "runtime_int.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

/* The largest chunk size or Content-Length taken: 15 hex or 18 decimal digits. */
#define MAX_HEX_DIGITS 15
#define MAX_DEC_DIGITS 18

void runtime_parser_init(struct runtime_parser *p)
{
    memset(p, 0, sizeof(*p));
    mt_buf_init(&p->head, RUNTIME_MAX_HEAD_BYTES);
}

void runtime_parser_cleanup(struct runtime_parser *p)
{
    mt_buf_cleanup(&p->head);
}

void runtime_parser_reset(struct runtime_parser *p, struct mt_buf *body)
{
    mt_buf_reset(&p->head);
    mt_buf_reset(body);
    p->body = body;
    p->status = 0;
    p->keep_alive = false;
    p->header_count = 0;
    p->state = RUNTIME_PARSE_HEAD;
    p->failure = MT_OK;
    p->line_at = 0;
    p->remaining = 0;
    p->line_len = 0;
    p->trailer_bytes = 0;
    p->interim = 0;
}

bool runtime_parser_done(const struct runtime_parser *p)
{
    return p->state == RUNTIME_PARSE_DONE;
}

/* Makes the parser stay failed with code.  Returns code. */
static enum mt_status mark_failed(struct runtime_parser *p, enum mt_status code)
{
    p->state = RUNTIME_PARSE_FAILED;
    p->failure = code;
    return code;
}

/* Records a failure described by a fixed sentence.  Returns code. */
static enum mt_status fail(struct runtime_parser *p, struct mt_err *err, enum mt_status code,
                           const char *what)
{
    return mt_err_set(err, mark_failed(p, code), "%s", what);
}

static bool eq_ci(struct mt_str s, const char *c)
{
    size_t n = strlen(c);
    return s.len == n && strncasecmp(s.ptr, c, n) == 0;
}

struct mt_str runtime_parser_header(const struct runtime_parser *p, const char *name)
{
    for (size_t i = 0; i < p->header_count; i++) {
        if (eq_ci(p->headers[i].name, name))
            return p->headers[i].value;
    }
    return MT_STR_NULL;
}

/* How many headers are named name, and the first one's value in *first. */
static size_t count_header(const struct runtime_parser *p, const char *name, struct mt_str *first)
{
    size_t n = 0;
    *first = MT_STR_NULL;
    for (size_t i = 0; i < p->header_count; i++) {
        if (eq_ci(p->headers[i].name, name) && n++ == 0)
            *first = p->headers[i].value;
    }
    return n;
}

/* RFC 9110 tchar: the characters of a token. */
static bool is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* True when s has no control character other than HT (and no DEL). */
static bool text_ok(struct mt_str s)
{
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false;
    }
    return true;
}

/* s without leading and trailing spaces and tabs (RFC 9110 OWS). */
static struct mt_str trim_ows(struct mt_str s)
{
    while (s.len > 0 && (s.ptr[0] == ' ' || s.ptr[0] == '\t')) {
        s.ptr++;
        s.len--;
    }
    while (s.len > 0 && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t'))
        s.len--;
    return s;
}

/* Unsigned decimal of 1 to max_digits digits and nothing else; false otherwise. */
static bool parse_decimal(struct mt_str s, size_t max_digits, uint64_t *out)
{
    uint64_t v = 0;
    if (s.len == 0 || s.len > max_digits)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s.ptr[i] - '0');
    }
    *out = v;
    return true;
}

/* "HTTP/1.0 " or "HTTP/1.1 ", three digits 100-599, then nothing or a space and a reason. */
static enum mt_status parse_status_line(struct runtime_parser *p, struct mt_str line,
                                        struct mt_err *err)
{
    const char *s = line.ptr;
    uint64_t code = 0;

    if (line.len < 12 || memcmp(s, "HTTP/1.", 7) != 0 || (s[7] != '0' && s[7] != '1') ||
        s[8] != ' ' || !parse_decimal((struct mt_str){s + 9, 3}, 3, &code) ||
        (line.len > 12 && s[12] != ' ') || !text_ok(line))
        return fail(p, err, MT_ERR_HTTP, "the answer does not start with an HTTP/1.1 status "
                    "line");
    if (code < 100 || code > 599)
        return fail(p, err, MT_ERR_HTTP, "the answer's status code is outside 100-599");

    p->status = (int)code;
    p->keep_alive = s[7] == '1';
    return MT_OK;
}

/* One "name: value" line of the head, kept as views into it. */
static enum mt_status parse_header_line(struct runtime_parser *p, struct mt_str line,
                                        struct mt_err *err)
{
    if (line.ptr[0] == ' ' || line.ptr[0] == '\t')
        return fail(p, err, MT_ERR_HTTP, "the answer has a folded header line");

    const char *colon = memchr(line.ptr, ':', line.len);
    if (colon == NULL || colon == line.ptr)
        return fail(p, err, MT_ERR_HTTP, "the answer has a header line without a name");

    struct mt_str name = {line.ptr, (size_t)(colon - line.ptr)};
    for (size_t i = 0; i < name.len; i++) {
        if (!is_tchar((unsigned char)name.ptr[i]))
            return fail(p, err, MT_ERR_HTTP, "the answer has a header name that is not a "
                        "token (a space before the colon, or a control character)");
    }
    struct mt_str value = trim_ows((struct mt_str){colon + 1, line.len - name.len - 1});
    if (!text_ok(value))
        return fail(p, err, MT_ERR_HTTP, "the answer has a control character in a header value");

    if (p->header_count == RUNTIME_MAX_HEADERS)
        return mt_err_set(err, mark_failed(p, MT_ERR_TOO_LARGE), "the answer has more than %d "
                          "header lines", RUNTIME_MAX_HEADERS);
    p->headers[p->header_count++] = (struct runtime_header){name, value};
    return MT_OK;
}

/* True when a Connection header lists the token "close". */
static bool asks_to_close(struct mt_str v)
{
    while (v.len > 0) {
        const char *comma = memchr(v.ptr, ',', v.len);
        size_t n = comma ? (size_t)(comma - v.ptr) : v.len;
        if (eq_ci(trim_ows((struct mt_str){v.ptr, n}), "close"))
            return true;
        v.ptr += comma ? n + 1 : n;
        v.len -= comma ? n + 1 : n;
    }
    return false;
}

/* The cap on the body, from its buffer. */
static uint64_t body_cap(const struct runtime_parser *p)
{
    return p->body->max ? p->body->max : SIZE_MAX / 2;
}

/* Decides, from the final answer's headers, how its body is framed (RFC 9112 section 6.3). */
static enum mt_status choose_framing(struct runtime_parser *p, struct mt_err *err)
{
    struct mt_str te, cl;
    size_t te_count = count_header(p, "Transfer-Encoding", &te);
    size_t cl_count = count_header(p, "Content-Length", &cl);
    uint64_t length = 0;

    for (size_t i = 0; i < p->header_count; i++) {
        if (eq_ci(p->headers[i].name, "Connection") && asks_to_close(p->headers[i].value))
            p->keep_alive = false;
    }
    if (te_count > 0 && cl_count > 0)
        return fail(p, err, MT_ERR_HTTP, "the answer has both Content-Length and "
                    "Transfer-Encoding");
    if (cl_count > 1)
        return fail(p, err, MT_ERR_HTTP, "the answer has more than one Content-Length");
    if (te_count > 1 || (te_count == 1 && !eq_ci(te, "chunked")))
        return fail(p, err, MT_ERR_HTTP, "the answer has a Transfer-Encoding other than "
                    "chunked");
    if (cl_count == 1 && !parse_decimal(cl, MAX_DEC_DIGITS, &length))
        return fail(p, err, MT_ERR_HTTP, "the answer's Content-Length is not a number");

    if (p->status == 204 || p->status == 304 || (cl_count == 1 && length == 0)) {
        p->state = RUNTIME_PARSE_DONE;
    } else if (te_count == 1) {
        p->state = RUNTIME_PARSE_CHUNK_SIZE;
    } else if (cl_count == 1) {
        p->state = RUNTIME_PARSE_LENGTH_BODY;
        p->remaining = length;
    } else {
        p->state = RUNTIME_PARSE_CLOSE_BODY;
        p->keep_alive = false;
    }
    if (p->state == RUNTIME_PARSE_LENGTH_BODY && length > body_cap(p))
        return mt_err_set(err, mark_failed(p, MT_ERR_TOO_LARGE), "the answer's body of %llu "
                          "bytes is larger than its %llu-byte limit", (unsigned long long)length,
                          (unsigned long long)body_cap(p));
    return MT_OK;
}

/* The head bytes from at up to the next LF, without the line break. */
static struct mt_str head_line(const struct runtime_parser *p, size_t *at)
{
    const char *start = p->head.data + *at;
    const char *nl = memchr(start, '\n', p->head.len - *at);
    size_t n = (size_t)(nl - start);

    *at += n + 1;
    if (n > 0 && start[n - 1] == '\r')
        n--;
    return (struct mt_str){start, n};
}

/*
 * The head has ended with an empty line: parses it, then either chooses the
 * body's framing or, for an interim 1xx answer, starts over on the next head.
 */
static enum mt_status end_head(struct runtime_parser *p, struct mt_err *err)
{
    size_t at = 0;
    enum mt_status st = parse_status_line(p, head_line(p, &at), err);

    while (st == MT_OK) {
        struct mt_str line = head_line(p, &at);
        if (line.len == 0)
            break;
        st = parse_header_line(p, line, err);
    }
    if (st != MT_OK || p->status >= 200)
        return st != MT_OK ? st : choose_framing(p, err);

    if (p->status == 101)
        return fail(p, err, MT_ERR_HTTP, "the answer switches protocols, which was not asked "
                    "for");
    if (++p->interim > RUNTIME_MAX_INTERIM)
        return fail(p, err, MT_ERR_HTTP, "the answer has too many interim (1xx) answers");
    mt_buf_reset(&p->head);
    p->header_count = 0;
    p->line_at = 0;
    return MT_OK;
}

/* Gathers head bytes line by line; ends the head at its empty line. */
static enum mt_status feed_head(struct runtime_parser *p, const char *data, size_t len,
                                size_t *used, struct mt_err *err)
{
    while (*used < len && p->state == RUNTIME_PARSE_HEAD) {
        const char *from = data + *used;
        const char *nl = memchr(from, '\n', len - *used);
        size_t take = nl ? (size_t)(nl - from) + 1 : len - *used;

        if (p->head.len + take > RUNTIME_MAX_HEAD_BYTES)
            return mt_err_set(err, mark_failed(p, MT_ERR_TOO_LARGE), "the answer's head is "
                              "larger than %zu bytes", RUNTIME_MAX_HEAD_BYTES);
        if (mt_buf_append(&p->head, from, take) != MT_OK)
            return fail(p, err, MT_ERR_NOMEM, "out of memory reading the answer's head");
        *used += take;
        if (nl == NULL)
            break;

        size_t line_len = p->head.len - p->line_at;
        bool empty = line_len == 1 || (line_len == 2 && p->head.data[p->line_at] == '\r');
        p->line_at = p->head.len;
        if (empty) {
            enum mt_status st = end_head(p, err);
            if (st != MT_OK)
                return st;
        }
    }
    return MT_OK;
}

/* Appends body bytes, mapping the buffer's refusals to the parser's failures. */
static enum mt_status take_body(struct runtime_parser *p, const char *data, size_t n,
                                struct mt_err *err)
{
    enum mt_status st = mt_buf_append(p->body, data, n);
    if (st == MT_ERR_TOO_LARGE)
        return mt_err_set(err, mark_failed(p, st), "the answer's body is larger than its "
                          "%llu-byte limit", (unsigned long long)body_cap(p));
    if (st != MT_OK)
        return fail(p, err, st, "out of memory reading the answer's body");
    return MT_OK;
}

/* Body bytes counted down by remaining; the end moves to next_state. */
static enum mt_status feed_counted(struct runtime_parser *p, const char *data, size_t len,
                                   size_t *used, enum runtime_parse_state next_state,
                                   struct mt_err *err)
{
    size_t n = len - *used;
    if (n > p->remaining)
        n = (size_t)p->remaining;

    enum mt_status st = take_body(p, data + *used, n, err);
    if (st != MT_OK)
        return st;
    *used += n;
    p->remaining -= n;
    if (p->remaining == 0)
        p->state = next_state;
    return MT_OK;
}

/*
 * Collects one framing line (chunk size, chunk end or trailer): its first
 * bytes into p->line, its length counted whole.  True once its LF is in.
 */
static bool collect_line(struct runtime_parser *p, const char *data, size_t len, size_t *used)
{
    const char *from = data + *used;
    const char *nl = memchr(from, '\n', len - *used);
    size_t take = nl ? (size_t)(nl - from) + 1 : len - *used;

    if (p->line_len < sizeof(p->line)) {
        size_t room = sizeof(p->line) - p->line_len;
        memcpy(p->line + p->line_len, from, take < room ? take : room);
    }
    p->line_len += take;
    *used += take;
    return nl != NULL;
}

/* The collected line without its line break (only meaningful when it fitted). */
static struct mt_str collected(const struct runtime_parser *p)
{
    size_t n = p->line_len - 1;
    if (n > 0 && p->line[n - 1] == '\r')
        n--;
    return (struct mt_str){p->line, n};
}

/* 1-15 hex digits, then nothing or optional spaces and ";" extensions (RFC 9112 7.1.1). */
static bool parse_chunk_size(struct mt_str s, uint64_t *size)
{
    size_t i = 0;
    uint64_t v = 0;

    for (; i < s.len && i <= MAX_HEX_DIGITS; i++) {
        char c = s.ptr[i];
        int d = c >= '0' && c <= '9' ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            break;
        v = v * 16 + (uint64_t)d;
    }
    if (i == 0 || i > MAX_HEX_DIGITS)
        return false;

    struct mt_str rest = trim_ows((struct mt_str){s.ptr + i, s.len - i});
    *size = v;
    return (rest.len == 0 || rest.ptr[0] == ';') && text_ok(rest);
}

/* A chunk-size line: the next chunk's data, or the trailer after the last chunk. */
static enum mt_status end_chunk_size(struct runtime_parser *p, struct mt_err *err)
{
    uint64_t size = 0;

    if (p->line_len > sizeof(p->line))
        return mt_err_set(err, mark_failed(p, MT_ERR_HTTP), "the answer has a chunk-size line "
                          "longer than %d bytes", RUNTIME_MAX_CHUNK_LINE);
    if (!parse_chunk_size(collected(p), &size))
        return fail(p, err, MT_ERR_HTTP, "the answer has a malformed chunk-size line");
    if (size == 0) {
        p->state = RUNTIME_PARSE_TRAILER;
        return MT_OK;
    }
    if (size > body_cap(p) - p->body->len)
        return mt_err_set(err, mark_failed(p, MT_ERR_TOO_LARGE), "the answer's chunked body is "
                          "larger than its %llu-byte limit", (unsigned long long)body_cap(p));
    p->remaining = size;
    p->state = RUNTIME_PARSE_CHUNK_DATA;
    return MT_OK;
}

/* A complete framing line, judged by the state that collected it. */
static enum mt_status end_line(struct runtime_parser *p, struct mt_err *err)
{
    enum mt_status st = MT_OK;

    if (p->state == RUNTIME_PARSE_CHUNK_SIZE) {
        st = end_chunk_size(p, err);
    } else if (p->state == RUNTIME_PARSE_CHUNK_END) {
        if (p->line_len > 2 || collected(p).len != 0)
            return fail(p, err, MT_ERR_HTTP, "the answer has chunk data longer than its size");
        p->state = RUNTIME_PARSE_CHUNK_SIZE;
    } else {
        p->trailer_bytes += p->line_len;
        if (p->trailer_bytes > RUNTIME_MAX_HEAD_BYTES)
            return mt_err_set(err, mark_failed(p, MT_ERR_TOO_LARGE), "the answer's trailer is "
                              "larger than %zu bytes", RUNTIME_MAX_HEAD_BYTES);
        if (p->line_len <= 2 && collected(p).len == 0)
            p->state = RUNTIME_PARSE_DONE;
    }
    p->line_len = 0;
    return st;
}

/* Dispatches what the current state reads; advances *used. */
static enum mt_status feed_step(struct runtime_parser *p, const char *data, size_t len,
                                size_t *used, struct mt_err *err)
{
    switch (p->state) {
    case RUNTIME_PARSE_HEAD:
        return feed_head(p, data, len, used, err);
    case RUNTIME_PARSE_LENGTH_BODY:
        return feed_counted(p, data, len, used, RUNTIME_PARSE_DONE, err);
    case RUNTIME_PARSE_CHUNK_DATA:
        return feed_counted(p, data, len, used, RUNTIME_PARSE_CHUNK_END, err);
    case RUNTIME_PARSE_CLOSE_BODY: {
        enum mt_status st = take_body(p, data + *used, len - *used, err);
        *used = len;
        return st;
    }
    case RUNTIME_PARSE_CHUNK_SIZE:
    case RUNTIME_PARSE_CHUNK_END:
    case RUNTIME_PARSE_TRAILER:
        return collect_line(p, data, len, used) ? end_line(p, err) : MT_OK;
    case RUNTIME_PARSE_DONE:
        return MT_OK;
    case RUNTIME_PARSE_FAILED:
        break;
    }
    return mt_err_set(err, p->failure, "the answer was already found malformed");
}

enum mt_status runtime_parser_feed(struct runtime_parser *p, const char *data, size_t len,
                                   size_t *used, struct mt_err *err)
{
    enum mt_status st = MT_OK;

    *used = 0;
    if (p->state == RUNTIME_PARSE_FAILED)
        return mt_err_set(err, p->failure, "the answer was already found malformed");
    while (st == MT_OK && *used < len && p->state != RUNTIME_PARSE_DONE)
        st = feed_step(p, data, len, used, err);
    return st;
}

enum mt_status runtime_parser_finish(struct runtime_parser *p, struct mt_err *err)
{
    switch (p->state) {
    case RUNTIME_PARSE_DONE:
        return MT_OK;
    case RUNTIME_PARSE_CLOSE_BODY:
        p->state = RUNTIME_PARSE_DONE;
        return MT_OK;
    case RUNTIME_PARSE_HEAD:
        if (p->head.len == 0 && p->interim == 0)
            return fail(p, err, MT_ERR_HTTP, "the connection closed without an answer");
        return fail(p, err, MT_ERR_HTTP, "the connection closed in the middle of the answer's "
                    "head");
    case RUNTIME_PARSE_LENGTH_BODY:
        return fail(p, err, MT_ERR_HTTP, "the connection closed before the answer's body was "
                    "complete");
    case RUNTIME_PARSE_CHUNK_SIZE:
    case RUNTIME_PARSE_CHUNK_DATA:
    case RUNTIME_PARSE_CHUNK_END:
    case RUNTIME_PARSE_TRAILER:
        return fail(p, err, MT_ERR_HTTP, "the connection closed in the middle of the answer's "
                    "chunked body");
    case RUNTIME_PARSE_FAILED:
        break;
    }
    return mt_err_set(err, p->failure, "the answer was already found malformed");
}
