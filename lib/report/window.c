/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Report windows: ISO weeks and explicit ranges, and the names of the files
 * a window's report is written to.
 */
#include "mt/report.h"

#include <stdio.h>
#include <string.h>

void mt_report_window_week(struct mt_iso_week week, struct mt_report_window *out)
{
    memset(out, 0, sizeof(*out));
    out->from_ms = mt_iso_week_start_ms(week);
    out->to_ms = out->from_ms + 7 * MT_MS_PER_DAY;
    mt_iso_week_format(week, out->label);
}

void mt_report_window_last_week(int64_t now_ms, struct mt_report_window *out)
{
    struct mt_iso_week this_week = mt_iso_week_of(now_ms);
    int64_t start = mt_iso_week_start_ms(this_week);
    mt_report_window_week(mt_iso_week_of(start - 1), out);
}

/* "20261123T000000Z", or with milliseconds when they are not zero. */
static void compact_time(int64_t ms, char *out, size_t size)
{
    struct mt_tm tm;
    mt_time_split(ms, &tm);
    if (tm.ms != 0)
        snprintf(out, size, "%04d%02d%02dT%02d%02d%02d.%03dZ", tm.year, tm.month, tm.day, tm.hour,
                 tm.minute, tm.second, tm.ms);
    else
        snprintf(out, size, "%04d%02d%02dT%02d%02d%02dZ", tm.year, tm.month, tm.day, tm.hour,
                 tm.minute, tm.second);
}

enum mt_status mt_report_window_range(struct mt_str from, struct mt_str to,
                                      struct mt_report_window *out, struct mt_err *err)
{
    memset(out, 0, sizeof(*out));
    if (mt_time_parse_iso(from, &out->from_ms) != MT_OK)
        return mt_err_set(err, MT_ERR_PARSE, "'%.*s' is not an ISO-8601 time", (int)from.len,
                          from.ptr ? from.ptr : "");
    if (mt_time_parse_iso(to, &out->to_ms) != MT_OK)
        return mt_err_set(err, MT_ERR_PARSE, "'%.*s' is not an ISO-8601 time", (int)to.len,
                          to.ptr ? to.ptr : "");
    if (out->from_ms >= out->to_ms)
        return mt_err_set(err, MT_ERR_INVALID, "the window's start '%.*s' is not before its end",
                          (int)from.len, from.ptr);

    char a[32], b[32];
    compact_time(out->from_ms, a, sizeof(a));
    compact_time(out->to_ms, b, sizeof(b));
    snprintf(out->label, sizeof(out->label), "%s-%s", a, b);
    return MT_OK;
}

void mt_report_file_name(const struct mt_report_window *window, const char *suffix, char *out,
                         size_t size)
{
    snprintf(out, size, "email-events-%s%s", window->label, suffix);
}
