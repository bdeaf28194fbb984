/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Streams of documents: a file or stdin holding one JSON document, which may
 * span many lines, or NDJSON, one document per line.
 *
 * The first non-empty line decides.  If it is a JSON document on its own,
 * the stream is NDJSON and each line is ingested as it is read, so memory is
 * bounded by the longest line.  Otherwise lines are buffered until their
 * brackets balance at the end of a line: that text is one document, and
 * another may follow it, as when pretty-printed files are concatenated.  A
 * buffered document that does not parse is taken as NDJSON whose first line
 * is broken, provided any of its lines is a JSON object on its own;
 * otherwise it is one broken document, rejected whole.  Either way a broken
 * document costs only itself.
 *
 * Once a stream is NDJSON, every later line is one document, so a
 * pretty-printed document after NDJSON lines is rejected line by line.
 *
 * A stream with a file descriptor is read with read(2), which returns what
 * has arrived (fread would wait for a whole chunk), and polled first: when a
 * live input (a pipe from tail -f, a terminal) has nothing to read and rows
 * have waited idle_flush_ms, they are written before reading on.
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
 * MODE_SKIP: the stream is one document over MAX_LINE; it has been rejected
 * once and the rest is read and dropped.
 */
enum mode { MODE_UNKNOWN, MODE_LINES, MODE_BUFFER, MODE_SKIP };

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
    /* Brackets open in the buffered document, outside strings. */
    unsigned depth;
    bool complete;          /* the buffered document balanced at its last line */
    bool several;           /* the stream has held more than one document */
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

/* Rejects a document this reader refuses before parsing (one too large). */
static enum mt_status reject_unparsed(struct stream *s, long line, const char *reason,
                                      struct mt_str raw, struct mt_err *err)
{
    struct mt_reject r = {.record = -1, .code = MT_ERR_TOO_LARGE, .reason = reason, .raw = raw};
    s->ing->last = (struct mt_event_result){.rejects = &r, .reject_count = 1};
    enum mt_status st = ingest_take_result(s->ing, s->source, line, err);
    s->ing->last = (struct mt_event_result){0};
    return st;
}

static enum mt_status ingest_line(struct stream *s, struct mt_str text, long line,
                                  struct mt_err *err)
{
    s->ing->stats.documents++;
    if (s->too_long)
        return reject_unparsed(s, line, "line is longer than 16 MiB; its first 16 MiB are kept",
                               mt_buf_str(&s->text), err);
    enum mt_status st = ingest_parse_document(s->ing, mt_str_trim(text));
    if (st != MT_OK)
        return mt_err_set(err, st, "%s:%ld: %s", s->source, line, mt_status_str(st));
    return ingest_take_result(s->ing, s->source, line, err);
}

/* True when text is one JSON value (an object, when object is true). */
static bool is_document(struct stream *s, struct mt_str text, bool object)
{
    uint32_t root;
    mt_json_doc_reset(&s->probe);
    if (mt_json_parse(&s->probe, text, &root, NULL) != MT_OK)
        return false;
    return !object || mt_json_type_of(&s->probe, root) == MT_JSON_OBJECT;
}

/* True when some line of text is a JSON object by itself. */
static bool any_line_is_object(struct stream *s, struct mt_str text)
{
    size_t pos = 0;
    while (pos < text.len) {
        const char *nl = memchr(text.ptr + pos, '\n', text.len - pos);
        size_t end = nl ? (size_t)(nl - text.ptr) : text.len;
        struct mt_str line = mt_str_trim((struct mt_str){text.ptr + pos, end - pos});
        if (line.len > 1 && line.ptr[0] == '{' && is_document(s, line, true))
            return true;
        pos = end + 1;
    }
    return false;
}

/* Ingests the buffered text line by line, numbering from s->first_line. */
static enum mt_status replay_lines(struct stream *s, struct mt_err *err)
{
    struct mt_str text = mt_buf_str(&s->whole);
    long line = s->first_line;
    size_t pos = 0;
    enum mt_status st = MT_OK;

    s->too_long = false;
    while (pos < text.len && st == MT_OK) {
        const char *nl = memchr(text.ptr + pos, '\n', text.len - pos);
        size_t end = nl ? (size_t)(nl - text.ptr) : text.len;
        struct mt_str l = {text.ptr + pos, end - pos};
        if (!is_blank(l))
            st = ingest_line(s, l, line, err);
        pos = end + 1;
        line++;
    }
    mt_buf_reset(&s->whole);
    return st;
}

/*
 * Parses the buffered text as one document, or falls back to lines.  A
 * document that is the whole stream is named by the stream alone; one of
 * several also by the line it starts on.
 */
static enum mt_status finish_buffer(struct stream *s, struct mt_err *err)
{
    struct mt_str text = mt_buf_str(&s->whole);
    long line = s->several ? s->first_line : 0;
    enum mt_status st;

    s->depth = 0;
    s->complete = false;
    s->ing->stats.documents++;
    st = ingest_parse_document(s->ing, text);
    if (st != MT_OK)
        return mt_err_set(err, st, "%s: %s", s->source, mt_status_str(st));
    if (!whole_document_not_json(&s->ing->last) || !any_line_is_object(s, text)) {
        st = ingest_take_result(s->ing, s->source, line, err);
        mt_buf_reset(&s->whole);
        return st;
    }

    s->ing->stats.documents--;
    return replay_lines(s, err);
}

/*
 * Follows the brackets of one buffered line.  A string does not go on past
 * its line (JSON forbids a raw line end in one), so an unclosed quote costs
 * only its line.  A surplus closing bracket leaves the count at zero: the
 * parser then names the fault.
 */
static void scan_brackets(struct stream *s, struct mt_str line)
{
    bool in_string = false, escaped = false;

    for (size_t i = 0; i < line.len; i++) {
        char c = line.ptr[i];
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
        } else if ((c == '}' || c == ']') && s->depth > 0) {
            s->depth--;
        }
    }
    s->complete = s->depth == 0 && !is_blank(mt_buf_str(&s->whole));
}

/* Adds the line last read to the buffered document. */
static enum mt_status buffer_line(struct stream *s, struct mt_err *err)
{
    if (s->whole.len == 0)
        s->first_line = s->line;
    if (!s->too_long && mt_buf_append(&s->whole, s->text.data, s->text.len) == MT_OK &&
        mt_buf_append_byte(&s->whole, '\n') == MT_OK) {
        scan_brackets(s, mt_buf_str(&s->text));
        return MT_OK;
    }

    /*
     * Too large for one document.  When some buffered line is a document on
     * its own, this is NDJSON whose first line was broken: take the buffered
     * text as lines.  Otherwise it is one document over the limit: reject it
     * once, keeping its first 16 MiB, and drop the rest of the stream.
     */
    enum mt_status st;
    if (!any_line_is_object(s, mt_buf_str(&s->whole))) {
        s->ing->stats.documents++;
        s->mode = MODE_SKIP;
        st = reject_unparsed(s, s->first_line,
                             "document is larger than 16 MiB; its first 16 MiB are kept (NDJSON, "
                             "one document a line, has no limit on the whole file)",
                             mt_buf_str(&s->whole), err);
        mt_buf_reset(&s->whole);
        return st;
    }
    st = replay_lines(s, err);
    s->mode = MODE_LINES;
    if (st == MT_OK)
        st = ingest_line(s, mt_buf_str(&s->text), s->line, err);
    return st;
}

enum mt_status mt_ingest_stream(struct mt_ingest *ing, FILE *in, const char *source,
                                struct mt_err *err)
{
    struct stream s = {.ing = ing, .in = in, .fd = fileno(in), .err = err, .source = source,
                       .mode = MODE_UNKNOWN};
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
            if (s.complete && is_blank(text) && !s.too_long)
                continue;
            if (s.complete) {
                /* A document ended on an earlier line and another begins. */
                s.several = true;
                st = finish_buffer(&s, err);
                if (st != MT_OK)
                    break;
            }
            st = buffer_line(&s, err);
            continue;
        }
        if (is_blank(text) && !s.too_long)
            continue;
        if (s.mode == MODE_UNKNOWN && !s.too_long) {
            s.mode = is_document(&s, text, false) ? MODE_LINES : MODE_BUFFER;
            if (s.mode == MODE_BUFFER) {
                st = buffer_line(&s, err);
                continue;
            }
        }
        s.mode = MODE_LINES;
        st = ingest_line(&s, text, s.line, err);
    }

    bool stopped = st == MT_OK && s.fault == MT_OK && stop_requested(&s);
    if (st == MT_OK)
        st = s.fault;
    if (st == MT_OK && s.read_errno != 0)
        st = mt_err_set(err, MT_ERR_IO, "cannot read '%s': %s", source, strerror(s.read_errno));
    else if (st == MT_OK && s.fd < 0 && ferror(in))
        st = mt_err_set(err, MT_ERR_IO, "cannot read '%s': %s", source, strerror(errno));
    /* On a stop, a document still open is dropped; one complete is kept. */
    if (st == MT_OK && s.mode == MODE_BUFFER && s.whole.len > 0 && (!stopped || s.complete))
        st = finish_buffer(&s, err);
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
