/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Streams of documents: NDJSON (one document a line), JSON documents that
 * span lines (pretty-printed), or both, one after another, as
 * `cat *.json | mailtrack ingest` gives.
 *
 * A line that is a JSON document by itself is ingested as it is read, so
 * NDJSON costs one parse a line and memory bounded by the longest line.
 * Any other line starts a buffered document: lines are gathered until the
 * brackets opened outside strings are closed again, and that text is one
 * document.  A document may end mid-line, as where files without a final
 * line end were concatenated ("}{").
 *
 * A buffered document that is not JSON may be several run together, the
 * first one broken (a missing bracket makes the count never close).  It is
 * split where a line starts with '{' or '[' in its first column, as every
 * new document of pretty-printed or NDJSON input does and nested values of
 * pretty-printed input never do, and each part is ingested by itself: a
 * broken document costs only itself.  An open document that is not an
 * array is known to be broken as soon as a line is an object by itself in
 * the first column, so NDJSON lines after it are not held back until the
 * end of the stream.
 *
 * A stream with a file descriptor is read with read(2), which returns what
 * has arrived (fread would wait for a whole chunk), and polled first: when a
 * live input (a pipe from tail -f, a terminal) has nothing to read and rows
 * have waited idle_flush_ms, they are written before reading on.
 *
 * LIMITATION: a document that never closes holds the pretty-printed
 * documents after it (after an array, NDJSON lines too) until the end of the
 * stream or 16 MiB, where the split finds them; on a live pipe they wait,
 * and a stop drops them with it.
 *
 * LIMITATION: one document (a multi-line JSON file, or one NDJSON line) may
 * be at most 16 MiB; a larger one is rejected once, with its first 16 MiB
 * kept.  SNS messages are at most 256 KiB and Lambda events 6 MB, so only a
 * hand-made export meets this; NDJSON has no limit on the whole file.
 */
#include "ingest_int.h"

#include "mt/clock.h"
#include "mt/json.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

/* Longest line or document read: the parser's own limit, plus one byte. */
#define MAX_LINE (16u * 1024 * 1024)

#define DEFAULT_IDLE_FLUSH_MS 1000

/* Longest wait in poll, so that a stop request is seen in time. */
#define POLL_SLICE_MS 250

/*
 * MODE_LINES: no document is open; the next line is tried as a document by
 * itself.  MODE_BUFFER: a document spanning lines is open in s->whole.
 * MODE_SKIP: a document ran past MAX_LINE with nowhere to split it; it has
 * been rejected once and the rest of the stream is read and dropped.
 */
enum mode { MODE_LINES, MODE_BUFFER, MODE_SKIP };

struct stream {
    struct mt_ingest *ing;
    FILE *in;
    int fd;                 /* in's descriptor, or -1 to read with fread */
    int read_errno;         /* why read(2) failed, or 0 */
    struct mt_err *err;
    enum mt_status fault;   /* a write between reads failed */
    int64_t pending_since;  /* when unwritten rows were first seen waiting; 0 if none */
    char chunk[65536];      /* bytes read from in and not yet taken */
    size_t chunk_pos, chunk_len;
    const char *source;
    long line;              /* number of the line last read */
    long first_line;        /* where the buffered document starts */
    struct mt_buf text;     /* the line last read */
    struct mt_buf whole;    /* the buffered document */
    bool too_long;          /* the line last read was cut at MAX_LINE */
    struct mt_json_doc probe; /* to tell whether a line is a document by itself */
    enum mode mode;
    unsigned depth;         /* brackets open in the buffered document, outside strings */
    bool open_array;        /* the open document began with '[' */
};

static bool stop_requested(const struct stream *s)
{
    return s->ing->options.stop != NULL && *s->ing->options.stop != 0;
}

/*
 * Waits until the descriptor has something to read, writing the batched rows
 * once they have waited idle_flush_ms.  false when the stream must end: a
 * stop request, or a failed write (in s->fault).
 */
static bool wait_for_input(struct stream *s)
{
    int idle_ms = s->ing->options.idle_flush_ms > 0 ? s->ing->options.idle_flush_ms
                                                    : DEFAULT_IDLE_FLUSH_MS;
    for (;;) {
        if (stop_requested(s))
            return false;
        int64_t now = mt_time_monotonic_ms();
        int timeout = POLL_SLICE_MS;
        if (s->ing->batch_count == 0) {
            s->pending_since = 0;
        } else {
            if (s->pending_since == 0)
                s->pending_since = now;
            int64_t left = s->pending_since + idle_ms - now;
            timeout = left <= 0 ? 0 : left < POLL_SLICE_MS ? (int)left : POLL_SLICE_MS;
        }

        struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
        int ready = poll(&pfd, 1, timeout);
        if (ready > 0 || (ready < 0 && errno != EINTR))
            return true; /* readable, at its end, or not pollable: read tells */
        if (ready == 0 && s->ing->batch_count > 0 &&
            mt_time_monotonic_ms() - s->pending_since >= idle_ms) {
            s->fault = mt_ingest_flush(s->ing, s->err);
            s->pending_since = 0;
            if (s->fault != MT_OK)
                return false;
        }
    }
}

/* Refills s->chunk; 0 at the end of the stream, on a read error, or when it must end. */
static size_t fill_chunk(struct stream *s)
{
    if (s->fd < 0)
        return fread(s->chunk, 1, sizeof(s->chunk), s->in);
    for (;;) {
        if (!wait_for_input(s))
            return 0;
        ssize_t n = read(s->fd, s->chunk, sizeof(s->chunk));
        if (n >= 0)
            return (size_t)n;
        if (errno != EINTR && errno != EAGAIN) {
            s->read_errno = errno;
            return 0;
        }
    }
}

/*
 * Reads one line into s->text, without its line end.  false at the end of
 * the stream.  Lines are split at LF only, so a NUL or any other byte is
 * kept as data (the parser then names it).  A line longer than MAX_LINE is
 * cut and s->too_long set; the rest of it is skipped.
 */
static bool read_line(struct stream *s)
{
    bool any = false, ended = false;

    mt_buf_reset(&s->text);
    s->too_long = false;
    for (;;) {
        if (s->chunk_pos == s->chunk_len) {
            s->chunk_len = fill_chunk(s);
            s->chunk_pos = 0;
            if (s->chunk_len == 0)
                break;
        }
        const char *start = s->chunk + s->chunk_pos;
        size_t avail = s->chunk_len - s->chunk_pos;
        const char *nl = memchr(start, '\n', avail);
        size_t n = nl != NULL ? (size_t)(nl - start) : avail;

        any = true;
        if (!s->too_long && mt_buf_append(&s->text, start, n) != MT_OK)
            s->too_long = true;
        s->chunk_pos += n + (nl != NULL);
        if (nl != NULL) {
            ended = true;
            break;
        }
    }
    /* A line cut short by a stop or a failed write was not read whole. */
    if (!ended && (s->fault != MT_OK || stop_requested(s)))
        return false;
    if (any)
        s->line++;
    return any;
}

static bool is_blank(struct mt_str t)
{
    return mt_str_trim(t).len == 0;
}

/* True when the parse of a document failed as a whole for not being JSON. */
static bool whole_document_not_json(const struct mt_event_result *r)
{
    return r->reject_count == 1 && r->rejects[0].record < 0 &&
           r->rejects[0].code == MT_ERR_NOT_JSON && r->row_count == 0;
}

/* Parses text, which starts on line, into s->ing->last. */
static enum mt_status parse_at(struct stream *s, struct mt_str text, long line)
{
    mt_event_parser_set_first_line(s->ing->parser, line);
    enum mt_status st = ingest_parse_document(s->ing, text);
    mt_event_parser_set_first_line(s->ing->parser, 1);
    if (st != MT_OK)
        return mt_err_set(s->err, st, "%s:%ld: %s", s->source, line, mt_status_str(st));
    return MT_OK;
}

/* Counts and takes the document parsed last. */
static enum mt_status take(struct stream *s, long line)
{
    s->ing->stats.documents++;
    return ingest_take_result(s->ing, s->source, line, s->err);
}

/* Rejects a document this reader refuses before parsing (one too large). */
static enum mt_status reject_unparsed(struct stream *s, long line, const char *reason,
                                      struct mt_str raw)
{
    struct mt_reject r = {.record = -1, .code = MT_ERR_TOO_LARGE, .reason = reason, .raw = raw};
    s->ing->last = (struct mt_event_result){.rejects = &r, .reject_count = 1};
    enum mt_status st = take(s, line);
    s->ing->last = (struct mt_event_result){0};
    return st;
}

/* True when text is one JSON object by itself. */
static bool is_object(struct stream *s, struct mt_str text)
{
    uint32_t root;
    if (text.len < 2 || text.ptr[0] != '{')
        return false;
    mt_json_doc_reset(&s->probe);
    return mt_json_parse(&s->probe, text, &root, NULL) == MT_OK &&
           mt_json_type_of(&s->probe, root) == MT_JSON_OBJECT;
}

/* True when a line of text starts a document: '{' or '[' in its first column. */
static bool starts_document(const char *line, size_t len)
{
    return len > 0 && (line[0] == '{' || line[0] == '[');
}

/* Offset of the next line of text after pos that starts a document, or text.len. */
static size_t next_document_start(struct mt_str text, size_t pos)
{
    for (;;) {
        const char *nl = memchr(text.ptr + pos, '\n', text.len - pos);
        if (nl == NULL)
            return text.len;
        pos = (size_t)(nl - text.ptr) + 1;
        if (starts_document(text.ptr + pos, text.len - pos))
            return pos;
    }
}

/* text without the line ends after its last line. */
static struct mt_str without_line_ends(struct mt_str text)
{
    while (text.len > 0 && (text.ptr[text.len - 1] == '\n' || text.ptr[text.len - 1] == '\r'))
        text.len--;
    return text;
}

/* Number of line ends in text from start to end. */
static long lines_between(struct mt_str text, size_t start, size_t end)
{
    long n = 0;
    for (const char *p = text.ptr + start;
         (p = memchr(p, '\n', end - (size_t)(p - text.ptr))) != NULL; p++)
        n++;
    return n;
}

/*
 * Ingests the buffered text, which starts on s->first_line: as one document,
 * or, when it is not JSON and some later line starts a document, as the
 * parts those lines begin.
 */
static enum mt_status finish_document(struct stream *s)
{
    struct mt_str text = mt_buf_str(&s->whole);
    enum mt_status st = parse_at(s, without_line_ends(text), s->first_line);
    size_t cut = text.len;

    /* Only a document that is not JSON is looked at for where others begin. */
    if (st == MT_OK && whole_document_not_json(&s->ing->last))
        cut = next_document_start(text, 0);
    if (st == MT_OK && cut == text.len) {
        st = take(s, s->first_line);
    } else {
        size_t start = 0;
        long line = s->first_line;
        while (st == MT_OK && start < text.len) {
            struct mt_str part = {text.ptr + start, cut - start};
            if (!is_blank(part)) {
                st = parse_at(s, without_line_ends(part), line);
                if (st == MT_OK)
                    st = take(s, line);
            }
            line += lines_between(text, start, cut);
            start = cut;
            cut = next_document_start(text, cut);
        }
    }
    mt_buf_reset(&s->whole);
    s->depth = 0;
    s->mode = MODE_LINES;
    return st;
}

/*
 * Follows the brackets of text, from depth s->depth; returns the offset just
 * past the bracket that closes the document, or text.len when it stays open
 * (or holds no bracket).  A string does not go on past its line (JSON
 * forbids a raw line end in one), so an unclosed quote costs only its line.
 * A surplus closing bracket closes the document there: the parser then
 * names the fault.
 */
static size_t scan_brackets(struct stream *s, struct mt_str text)
{
    bool in_string = false, escaped = false;

    for (size_t i = 0; i < text.len; i++) {
        char c = text.ptr[i];
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            s->depth++;
        } else if (c == '}' || c == ']') {
            if (s->depth <= 1) {
                s->depth = 0;
                return i + 1;
            }
            s->depth--;
        }
    }
    return text.len;
}

/*
 * Adds a document's text to the buffer; false when it would pass MAX_LINE.
 * end_of_line adds the line end that read_line took off.
 */
static bool buffer_text(struct stream *s, struct mt_str text, bool end_of_line)
{
    if (s->whole.len == 0)
        s->first_line = s->line;
    return mt_buf_append(&s->whole, text.ptr, text.len) == MT_OK &&
           (!end_of_line || mt_buf_append_byte(&s->whole, '\n') == MT_OK);
}

/*
 * The buffered document has passed MAX_LINE.  When it can be split, its
 * parts are ingested and the stream goes on; otherwise it is rejected once,
 * keeping its first 16 MiB, and the rest of the stream is dropped.
 */
static enum mt_status overflow(struct stream *s)
{
    struct mt_str text = mt_buf_str(&s->whole);
    if (next_document_start(text, 0) < text.len)
        return finish_document(s);
    enum mt_status st = reject_unparsed(s, s->first_line,
                                        "document is larger than 16 MiB; its first 16 MiB are "
                                        "kept (NDJSON, one document a line, has no limit on the "
                                        "whole file)",
                                        text);
    mt_buf_reset(&s->whole);
    s->depth = 0;
    s->mode = MODE_SKIP;
    return st;
}

static enum mt_status take_line(struct stream *s, struct mt_str text);

/*
 * Adds text, the line last read or the rest of it, to the open document,
 * ending documents where it closes them.
 */
static enum mt_status buffer_line(struct stream *s, struct mt_str text)
{
    enum mt_status st = MT_OK;

    s->mode = MODE_BUFFER;
    while (st == MT_OK) {
        size_t end = scan_brackets(s, text);
        struct mt_str tail = {text.ptr + end, text.len - end};
        bool last = end == text.len || is_blank(tail);
        if (!buffer_text(s, last ? text : (struct mt_str){text.ptr, end}, last)) {
            st = overflow(s);
            /* Split and ingested: the text that did not fit comes next. */
            return st == MT_OK && s->mode == MODE_LINES ? take_line(s, text) : st;
        }
        if (last)
            return s->depth == 0 ? finish_document(s) : MT_OK;
        /* The document ends mid-line and another begins after it. */
        st = finish_document(s);
        s->mode = MODE_BUFFER;
        text = tail;
    }
    return st;
}

/*
 * Text read while no document is open (a line, or the rest of one).  A
 * document by itself is ingested; anything else starts a buffered document.
 */
static enum mt_status take_line(struct stream *s, struct mt_str text)
{
    if (s->too_long)
        return reject_unparsed(s, s->line,
                               "line is longer than 16 MiB; its first 16 MiB are kept",
                               mt_buf_str(&s->text));
    struct mt_str trimmed = mt_str_trim(text);
    enum mt_status st = parse_at(s, trimmed, s->line);
    if (st != MT_OK)
        return st;
    if (!whole_document_not_json(&s->ing->last))
        return take(s, s->line);
    s->open_array = trimmed.len > 0 && trimmed.ptr[0] == '[';
    return buffer_line(s, text);
}

enum mt_status mt_ingest_stream(struct mt_ingest *ing, FILE *in, const char *source,
                                struct mt_err *err)
{
    struct stream s = {.ing = ing, .in = in, .fd = fileno(in), .err = err, .source = source,
                       .mode = MODE_LINES};
    enum mt_status st = MT_OK;

    mt_buf_init(&s.text, MAX_LINE);
    mt_json_doc_init(&s.probe);
    mt_buf_init(&s.whole, MAX_LINE);
    while (st == MT_OK && !stop_requested(&s) && read_line(&s)) {
        /* A byte-order mark, as some Windows editors write, is not part of the JSON. */
        if (s.line == 1 && s.text.len >= 3 && memcmp(s.text.data, "\xef\xbb\xbf", 3) == 0) {
            memmove(s.text.data, s.text.data + 3, s.text.len - 2);
            s.text.len -= 3;
        }
        struct mt_str text = mt_buf_str(&s.text);
        if (s.mode == MODE_SKIP)
            continue;
        if (s.mode == MODE_BUFFER) {
            /*
             * An object by itself in the first column starts a document:
             * the open one was broken (an NDJSON line cut short, a
             * document missing its last bracket).  Only an array's
             * elements may sit there as part of the document.
             */
            if (s.too_long) {
                st = overflow(&s);
                if (st == MT_OK && s.mode == MODE_LINES)
                    st = take_line(&s, text);
            } else if (!s.open_array && starts_document(text.ptr, text.len) &&
                       is_object(&s, mt_str_trim(text))) {
                st = finish_document(&s);
                if (st == MT_OK)
                    st = take_line(&s, text);
            } else {
                st = buffer_line(&s, text);
            }
            continue;
        }
        if (is_blank(text) && !s.too_long)
            continue;
        st = take_line(&s, text);
    }

    bool stopped = st == MT_OK && s.fault == MT_OK && stop_requested(&s);
    if (st == MT_OK)
        st = s.fault;
    if (st == MT_OK && s.read_errno != 0)
        st = mt_err_set(err, MT_ERR_IO, "cannot read '%s': %s", source, strerror(s.read_errno));
    else if (st == MT_OK && s.fd < 0 && ferror(in))
        st = mt_err_set(err, MT_ERR_IO, "cannot read '%s': %s", source, strerror(errno));
    /* An unclosed document at the end is ingested (and rejected); on a stop it is dropped. */
    if (st == MT_OK && s.mode == MODE_BUFFER && s.whole.len > 0 && !stopped)
        st = finish_document(&s);
    if (st == MT_OK)
        st = mt_ingest_flush(ing, err);
    if (st == MT_OK && stopped)
        st = mt_err_set(err, MT_ERR_STOPPED,
                        "stopped before the end of %s; the rows read so far are stored", source);

    mt_json_doc_cleanup(&s.probe);
    mt_buf_cleanup(&s.text);
    mt_buf_cleanup(&s.whole);
    return st;
}
