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
 * LIMITATION: one document (a multi-line JSON file, or one NDJSON line) may
 * be at most 16 MiB; a larger one is rejected once, with its first 16 MiB
 * kept.  SNS messages are at most 256 KiB and Lambda events 6 MB, so only a
 * hand-made export meets this; NDJSON has no limit on the whole file.
 */
#include "ingest_int.h"

#include <errno.h>
#include "mt/json.h"

#include <string.h>

/* Longest line or document read: the parser's own limit, plus one byte. */
#define MAX_LINE (16u * 1024 * 1024)

/*
 * MODE_SKIP: the stream is one document over MAX_LINE; it has been rejected
 * once and the rest is read and dropped.
 */
enum mode { MODE_UNKNOWN, MODE_LINES, MODE_BUFFER, MODE_SKIP };

struct stream {
    struct mt_ingest *ing;
    FILE *in;
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

/*
 * Reads one line into s->text, without its line end.  false at the end of
 * the stream.  Lines are split at LF only, so a NUL or any other byte is
 * kept as data (the parser then names it).  A line longer than MAX_LINE is
 * cut and s->too_long set; the rest of it is skipped.
 */
static bool read_line(struct stream *s)
{
    bool any = false;

    mt_buf_reset(&s->text);
    s->too_long = false;
    for (;;) {
        if (s->chunk_pos == s->chunk_len) {
            s->chunk_len = fread(s->chunk, 1, sizeof(s->chunk), s->in);
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
        if (nl != NULL)
            break;
    }
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
    struct stream s = {.ing = ing, .in = in, .source = source, .mode = MODE_UNKNOWN};
    enum mt_status st = MT_OK;

    mt_buf_init(&s.text, MAX_LINE);
    mt_json_doc_init(&s.probe);
    mt_buf_init(&s.whole, MAX_LINE);
    while (st == MT_OK && read_line(&s)) {
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

    if (st == MT_OK && ferror(in))
        st = mt_err_set(err, MT_ERR_IO, "cannot read '%s': %s", source, strerror(errno));
    if (st == MT_OK && s.mode == MODE_BUFFER && s.whole.len > 0)
        st = finish_buffer(&s, err);
    if (st == MT_OK)
        st = mt_ingest_flush(ing, err);

    mt_json_doc_cleanup(&s.probe);
    mt_buf_cleanup(&s.text);
    mt_buf_cleanup(&s.whole);
    return st;
}
