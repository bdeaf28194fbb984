/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RFC 4180 writing and reading.
 *
 * Cells are scanned once through a byte table that marks the characters
 * forcing quotes; a cell without any is copied as it is.  Output is batched
 * into blocks of MT_CSV_BLOCK bytes before it reaches the sink.
 */
#include "mt/csv.h"

#include <string.h>

#define MT_CSV_BLOCK (64 * 1024)

/* Bytes that force a cell into quotes. */
static const unsigned char s_needs_quote[256] = {
    ['"'] = 1, [','] = 1, ['\r'] = 1, ['\n'] = 1,
};

void mt_csv_writer_init(struct mt_csv_writer *w, mt_csv_sink_fn sink, void *sink_ctx)
{
    memset(w, 0, sizeof(*w));
    w->sink = sink;
    w->sink_ctx = sink_ctx;
    mt_buf_init(&w->pending, 0);
}

/*
 * True when the whole cell is a plain decimal number: an optional sign,
 * digits, and optionally '.' and more digits.  A spreadsheet reads such a
 * cell as that number; with nothing else in it, it cannot run as a formula.
 */
static bool is_plain_number(struct mt_str cell)
{
    size_t start = cell.ptr[0] == '+' || cell.ptr[0] == '-' ? 1 : 0;
    size_t i = start;

    while (i < cell.len && cell.ptr[i] >= '0' && cell.ptr[i] <= '9')
        i++;
    if (i == start)
        return false;
    if (i < cell.len && cell.ptr[i] == '.') {
        size_t point = ++i;
        while (i < cell.len && cell.ptr[i] >= '0' && cell.ptr[i] <= '9')
            i++;
        if (i == point)
            return false;
    }
    return i == cell.len;
}

bool mt_csv_is_formula(struct mt_str cell)
{
    if (cell.ptr == NULL || cell.len == 0)
        return false;
    switch (cell.ptr[0]) {
    case '+':
    case '-':
        return !is_plain_number(cell);
    case '=':
    case '@':
    case '\t':
    case '\r':
        return true;
    default:
        return false;
    }
}

/*
 * Writes one formatted cell at out, which has room for 2 * len + 3 bytes,
 * and returns the end of what it wrote.
 */
static char *put_cell(char *out, struct mt_str cell)
{
    if (cell.ptr == NULL || cell.len == 0)
        return out;

    bool guard = mt_csv_is_formula(cell);
    bool quote = guard;
    for (size_t i = 0; i < cell.len && !quote; i++)
        quote = s_needs_quote[(unsigned char)cell.ptr[i]];
    if (!quote) {
        memcpy(out, cell.ptr, cell.len);
        return out + cell.len;
    }

    *out++ = '"';
    if (guard)
        *out++ = '\'';
    for (size_t i = 0; i < cell.len; i++) {
        if (cell.ptr[i] == '"')
            *out++ = '"';
        *out++ = cell.ptr[i];
    }
    *out++ = '"';
    return out;
}

enum mt_status mt_csv_format_cell(struct mt_buf *out, struct mt_str cell)
{
    /* Worst case every byte is a quote and doubles, plus quotes and the guard. */
    enum mt_status st = mt_buf_reserve(out, cell.len * 2 + 3);
    if (st != MT_OK)
        return st;
    out->len = (size_t)(put_cell(out->data + out->len, cell) - out->data);
    out->data[out->len] = '\0';
    return MT_OK;
}

static enum mt_status maybe_flush(struct mt_csv_writer *w)
{
    if (w->pending.len >= MT_CSV_BLOCK)
        return mt_csv_flush(w);
    return w->status;
}

enum mt_status mt_csv_write_cell(struct mt_csv_writer *w, struct mt_str cell)
{
    if (w->status != MT_OK)
        return w->status;

    if (w->row_open)
        w->status = mt_buf_append_byte(&w->pending, ',');
    if (w->status == MT_OK)
        w->status = mt_csv_format_cell(&w->pending, cell);
    w->row_open = true;
    return w->status;
}

enum mt_status mt_csv_end_row(struct mt_csv_writer *w)
{
    if (w->status != MT_OK)
        return w->status;

    w->status = mt_buf_append(&w->pending, "\r\n", 2);
    w->row_open = false;
    w->rows++;
    return maybe_flush(w);
}

enum mt_status mt_csv_write_row(struct mt_csv_writer *w, const struct mt_str *cells, size_t count)
{
    if (w->status != MT_OK)
        return w->status;

    /* One reservation for the whole row, then the cells are written in place. */
    size_t room = 2 + (w->row_open ? 1 : 0);
    for (size_t i = 0; i < count; i++)
        room += (cells[i].ptr ? cells[i].len * 2 + 3 : 0) + 1;
    w->status = mt_buf_reserve(&w->pending, room);
    if (w->status != MT_OK)
        return w->status;

    char *p = w->pending.data + w->pending.len;
    for (size_t i = 0; i < count; i++) {
        if (w->row_open)
            *p++ = ',';
        p = put_cell(p, cells[i]);
        w->row_open = true;
    }
    *p++ = '\r';
    *p++ = '\n';
    w->pending.len = (size_t)(p - w->pending.data);
    w->pending.data[w->pending.len] = '\0';
    w->row_open = false;
    w->rows++;
    return maybe_flush(w);
}

enum mt_status mt_csv_flush(struct mt_csv_writer *w)
{
    if (w->status == MT_OK && w->pending.len > 0)
        w->status = w->sink(w->sink_ctx, w->pending.data, w->pending.len);
    mt_buf_reset(&w->pending);
    return w->status;
}

void mt_csv_writer_cleanup(struct mt_csv_writer *w)
{
    mt_buf_cleanup(&w->pending);
}

enum mt_status mt_csv_sink_file(void *ctx, const char *data, size_t len)
{
    return fwrite(data, 1, len, (FILE *)ctx) == len ? MT_OK : MT_ERR_IO;
}

enum mt_status mt_csv_sink_buf(void *ctx, const char *data, size_t len)
{
    return mt_buf_append((struct mt_buf *)ctx, data, len);
}

/* Reads a quoted cell starting after its opening quote. */
static enum mt_status read_quoted(struct mt_str t, size_t *i, struct mt_buf *cells)
{
    for (;;) {
        if (*i >= t.len)
            return MT_ERR_PARSE;
        char c = t.ptr[(*i)++];
        if (c == '"') {
            if (*i < t.len && t.ptr[*i] == '"') {
                (*i)++;
            } else {
                return MT_OK;
            }
        }
        if (mt_buf_append_byte(cells, c) != MT_OK)
            return MT_ERR_NOMEM;
    }
}

enum mt_status mt_csv_read_record(struct mt_str t, size_t *pos, struct mt_buf *cells,
                                  size_t *count)
{
    size_t i = *pos;
    mt_buf_reset(cells);
    *count = 0;
    if (i >= t.len)
        return MT_ERR_NOT_FOUND;

    for (;;) {
        enum mt_status st = MT_OK;
        if (i < t.len && t.ptr[i] == '"') {
            i++;
            st = read_quoted(t, &i, cells);
        } else {
            while (i < t.len && t.ptr[i] != ',' && t.ptr[i] != '\r' && t.ptr[i] != '\n') {
                if (t.ptr[i] == '"')
                    return MT_ERR_PARSE;
                st = mt_buf_append_byte(cells, t.ptr[i++]);
                if (st != MT_OK)
                    break;
            }
        }
        if (st != MT_OK || mt_buf_append_byte(cells, '\0') != MT_OK)
            return st != MT_OK ? st : MT_ERR_NOMEM;
        (*count)++;

        if (i >= t.len)
            break;
        char c = t.ptr[i++];
        if (c == ',')
            continue;
        if (c == '\r' && i < t.len && t.ptr[i] == '\n')
            i++;
        else if (c != '\n' && c != '\r')
            return MT_ERR_PARSE;
        break;
    }
    *pos = i;
    return MT_OK;
}
