/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_CSV_H
#define MT_CSV_H

/*
 * A streaming RFC 4180 CSV writer with a guard against formula injection,
 * and a reader for the same dialect.
 *
 * Rows end in CRLF.  A cell is quoted when it holds a comma, a double quote,
 * CR or LF, and quotes inside are doubled.  A cell that a spreadsheet would
 * run as a formula (its first character is '=', '+', '-', '@', TAB or CR) is
 * prefixed with a single quote and quoted, as OWASP's CSV-injection guidance
 * advises, so it is shown as text.  A cell that is wholly a plain decimal
 * number ("-5", "+1.25") is left as it is: it cannot run as a formula, and
 * a spreadsheet should read it as the number.  Null and empty cells are both
 * empty.  The
 * writer adds no byte-order mark and changes no other byte, so the same
 * cells always give the same output.
 *
 * The writer batches output and hands it to a sink callback; it does no I/O
 * of its own.
 */

#include "mt/buf.h"
#include "mt/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Receives len bytes of output.  Returns MT_OK or a failure, which sticks. */
typedef enum mt_status (*mt_csv_sink_fn)(void *ctx, const char *data, size_t len);

struct mt_csv_writer {
    mt_csv_sink_fn sink;
    void *sink_ctx;
    struct mt_buf pending;  /* output not yet handed to the sink */
    size_t rows;            /* rows ended so far, header included */
    bool row_open;          /* a cell of the current row has been written */
    enum mt_status status;  /* first sink or memory failure; later calls do nothing */
};

/* Prepares a writer over a sink.  Allocates nothing until the first cell. */
void mt_csv_writer_init(struct mt_csv_writer *w, mt_csv_sink_fn sink, void *sink_ctx);

/* Appends one cell to the current row.  cell.ptr NULL writes an empty cell. */
enum mt_status mt_csv_write_cell(struct mt_csv_writer *w, struct mt_str cell);

/* Ends the current row with CRLF. */
enum mt_status mt_csv_end_row(struct mt_csv_writer *w);

/* Writes count cells and ends the row. */
enum mt_status mt_csv_write_row(struct mt_csv_writer *w, const struct mt_str *cells, size_t count);

/* Hands everything pending to the sink.  Returns the writer's status. */
enum mt_status mt_csv_flush(struct mt_csv_writer *w);

/* Releases the writer's memory without flushing. */
void mt_csv_writer_cleanup(struct mt_csv_writer *w);

/* A sink that writes to a FILE * passed as ctx; MT_ERR_IO when fwrite fails. */
enum mt_status mt_csv_sink_file(void *ctx, const char *data, size_t len);

/* A sink that appends to a struct mt_buf passed as ctx. */
enum mt_status mt_csv_sink_buf(void *ctx, const char *data, size_t len);

/* Appends one formatted cell (quoted and guarded as needed) to out. */
enum mt_status mt_csv_format_cell(struct mt_buf *out, struct mt_str cell);

/* True when a cell would be neutralised as a possible formula. */
bool mt_csv_is_formula(struct mt_str cell);

/*
 * Reads one record starting at *pos in text: cells are appended to cells
 * (each NUL-terminated, one after another) and *count gets their number.
 * *pos moves past the record's line end.  MT_ERR_PARSE on a stray quote or
 * an unterminated quoted cell; MT_ERR_NOT_FOUND at the end of the text.
 */
enum mt_status mt_csv_read_record(struct mt_str text, size_t *pos, struct mt_buf *cells,
                                  size_t *count);

#endif
