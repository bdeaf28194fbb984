/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ISO-8601 times and ISO weeks: whatever parses formats back to a time that
 * parses to the same instant, and a parsed week starts on a Monday inside it.
 */
#include "mt/clock.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mt_str in = {(const char *)data, size};
    int64_t ms, again;
    char text[MT_TIME_ISO_LEN + 1];

    if (mt_time_parse_iso(in, &ms) == MT_OK && ms >= 0 && ms < INT64_C(253402300800000)) {
        mt_time_format_iso(ms, text);
        if (mt_time_parse_iso(mt_str_from_cstr(text), &again) != MT_OK || again != ms)
            abort();
    }

    struct mt_iso_week w;
    if (mt_iso_week_parse(in, &w) == MT_OK) {
        int64_t start = mt_iso_week_start_ms(w);
        struct mt_iso_week back = mt_iso_week_of(start);
        if (back.year != w.year || back.week != w.week)
            abort();
    }
    return 0;
}
