/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CSV round trip: the input is split into cells at 0x1f bytes, written as a
 * row, and read back; every cell must come back as it went in (with the
 * formula guard's quote in front where it applies).  Also feeds the raw bytes
 * to the reader, which must not crash.
 */
#include "mt/csv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mt_str cells[64];
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= size && n < 64; i++) {
        if (i == size || data[i] == 0x1f) {
            cells[n++] = (struct mt_str){(const char *)data + start, i - start};
            start = i + 1;
        }
    }

    struct mt_buf out, back;
    struct mt_csv_writer w;
    mt_buf_init(&out, 0);
    mt_buf_init(&back, 0);
    mt_csv_writer_init(&w, mt_csv_sink_buf, &out);
    mt_csv_write_row(&w, cells, n);
    if (mt_csv_flush(&w) != MT_OK)
        abort();

    size_t pos = 0, count = 0;
    if (mt_csv_read_record(mt_buf_str(&out), &pos, &back, &count) != MT_OK || count != n ||
        pos != out.len)
        abort();
    const char *c = back.data;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(c);
        bool guard = mt_csv_is_formula(cells[i]);
        bool has_nul = memchr(cells[i].ptr, '\0', cells[i].len) != NULL;
        if (!has_nul && (len != cells[i].len + guard || (guard && c[0] != '\'') ||
                         memcmp(c + guard, cells[i].ptr, cells[i].len) != 0))
            abort();
        c += len + 1;
        if (has_nul)
            break;
    }

    pos = 0;
    while (mt_csv_read_record((struct mt_str){(const char *)data, size}, &pos, &back, &count) ==
           MT_OK)
        ;
    mt_csv_writer_cleanup(&w);
    mt_buf_cleanup(&out);
    mt_buf_cleanup(&back);
    return 0;
}
