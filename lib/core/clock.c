/* SPDX-License-Identifier: Apache-2.0 */
/*
 * UTC calendar arithmetic, ISO-8601 time parsing and ISO weeks.
 *
 * Date conversion uses Howard Hinnant's days-from-civil algorithm (public
 * domain description, "chrono-Compatible Low-Level Date Algorithms"): exact
 * for the proleptic Gregorian calendar with no tables and no TZ lookups.
 */
#include "mt/clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t mt_time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t mt_time_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static _Thread_local int64_t s_deadline_ms;

void mt_deadline_set(int64_t deadline_ms)
{
    s_deadline_ms = deadline_ms;
}

int64_t mt_deadline_get(void)
{
    return s_deadline_ms;
}

int64_t mt_days_from_civil(int year, int month, int day)
{
    int64_t y = year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Calendar date of a day count since 1970-01-01. */
static void civil_from_days(int64_t z, struct mt_tm *tm)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;

    tm->year = (int)(yoe + era * 400 + (m <= 2));
    tm->month = (int)m;
    tm->day = (int)d;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void mt_time_split(int64_t ms, struct mt_tm *tm)
{
    int64_t days = floor_div(ms, MT_MS_PER_DAY);
    int64_t rem = ms - days * MT_MS_PER_DAY;

    civil_from_days(days, tm);
    tm->hour = (int)(rem / 3600000);
    tm->minute = (int)(rem / 60000 % 60);
    tm->second = (int)(rem / 1000 % 60);
    tm->ms = (int)(rem % 1000);
}

int64_t mt_time_join(const struct mt_tm *tm)
{
    int64_t days = mt_days_from_civil(tm->year, tm->month, tm->day);
    return days * MT_MS_PER_DAY + tm->hour * INT64_C(3600000) + tm->minute * INT64_C(60000) +
           tm->second * INT64_C(1000) + tm->ms;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Reads exactly n decimal digits at *pos; false when they are not there. */
static bool take_digits(struct mt_str t, size_t *pos, int n, int *out)
{
    int v = 0;
    if (t.len - *pos < (size_t)n)
        return false;
    for (int i = 0; i < n; i++) {
        char c = t.ptr[*pos + (size_t)i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *pos += (size_t)n;
    *out = v;
    return true;
}

static bool take_char(struct mt_str t, size_t *pos, char c)
{
    if (*pos < t.len && t.ptr[*pos] == c) {
        (*pos)++;
        return true;
    }
    return false;
}

/* Parses "hh:mm[:ss[.fff...]]" into tm. */
static bool parse_clock(struct mt_str t, size_t *pos, struct mt_tm *tm)
{
    if (!take_digits(t, pos, 2, &tm->hour) || !take_char(t, pos, ':') ||
        !take_digits(t, pos, 2, &tm->minute))
        return false;
    if (!take_char(t, pos, ':'))
        return true;
    if (!take_digits(t, pos, 2, &tm->second))
        return false;
    if (!take_char(t, pos, '.') && !take_char(t, pos, ','))
        return true;

    int digits = 0;
    while (*pos < t.len && t.ptr[*pos] >= '0' && t.ptr[*pos] <= '9') {
        if (digits < 3)
            tm->ms = tm->ms * 10 + (t.ptr[*pos] - '0');
        digits++;
        (*pos)++;
    }
    for (int i = digits; i < 3; i++)
        tm->ms *= 10;
    return digits > 0;
}

/* Parses the zone suffix into an offset east of UTC, in minutes. */
static bool parse_zone(struct mt_str t, size_t *pos, int *offset_min)
{
    *offset_min = 0;
    if (*pos == t.len || take_char(t, pos, 'Z') || take_char(t, pos, 'z'))
        return true;

    int sign = take_char(t, pos, '+') ? 1 : take_char(t, pos, '-') ? -1 : 0;
    int hh, mm;
    if (sign == 0 || !take_digits(t, pos, 2, &hh))
        return false;
    take_char(t, pos, ':');
    if (!take_digits(t, pos, 2, &mm) || hh > 23 || mm > 59)
        return false;
    *offset_min = sign * (hh * 60 + mm);
    return true;
}

/*
 * The parser behind both entry points.  strict asks for RFC 3339's full
 * form: 'T', seconds and an explicit zone.
 */
static enum mt_status parse_time(struct mt_str t, bool strict, int64_t *ms_out)
{
    struct mt_tm tm = {0};
    size_t pos = 0;
    int offset_min = 0;

    if (t.ptr == NULL)
        return MT_ERR_PARSE;
    if (!take_digits(t, &pos, 4, &tm.year) || !take_char(t, &pos, '-') ||
        !take_digits(t, &pos, 2, &tm.month) || !take_char(t, &pos, '-') ||
        !take_digits(t, &pos, 2, &tm.day))
        return MT_ERR_PARSE;
    if (tm.year < 1 || tm.month < 1 || tm.month > 12 || tm.day < 1 ||
        tm.day > days_in_month(tm.year, tm.month))
        return MT_ERR_PARSE;

    bool has_clock = take_char(t, &pos, 'T') || take_char(t, &pos, 't') ||
                     (!strict && take_char(t, &pos, ' '));
    if (has_clock) {
        size_t clock_start = pos;
        if (!parse_clock(t, &pos, &tm))
            return MT_ERR_PARSE;
        /* "hh:mm:ss" is 8 bytes; strict times also name their zone. */
        if (strict && (pos - clock_start < 8 || pos == t.len))
            return MT_ERR_PARSE;
        if (!parse_zone(t, &pos, &offset_min))
            return MT_ERR_PARSE;
    } else if (strict) {
        return MT_ERR_PARSE;
    }
    if (pos != t.len || tm.hour > 23 || tm.minute > 59 || tm.second > 59)
        return MT_ERR_PARSE;

    *ms_out = mt_time_join(&tm) - offset_min * INT64_C(60000);
    return MT_OK;
}

enum mt_status mt_time_parse_iso(struct mt_str t, int64_t *ms_out)
{
    return parse_time(t, false, ms_out);
}

enum mt_status mt_time_parse_rfc3339(struct mt_str t, int64_t *ms_out)
{
    return parse_time(t, true, ms_out);
}

/* Writes value as exactly width decimal digits. */
static void put_digits(char *out, int value, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (char)('0' + value % 10);
        value /= 10;
    }
}

void mt_time_format_iso(int64_t ms, char out[MT_TIME_ISO_LEN + 1])
{
    struct mt_tm tm;
    mt_time_split(ms, &tm);

    /* Formatted by hand: this runs once per row and snprintf is slow. */
    memcpy(out, "0000-00-00T00:00:00.000Z", MT_TIME_ISO_LEN + 1);
    put_digits(out, tm.year % 10000, 4);
    put_digits(out + 5, tm.month, 2);
    put_digits(out + 8, tm.day, 2);
    put_digits(out + 11, tm.hour, 2);
    put_digits(out + 14, tm.minute, 2);
    put_digits(out + 17, tm.second, 2);
    put_digits(out + 20, tm.ms, 3);
}

/* 0 for Monday .. 6 for Sunday; 1970-01-01 was a Thursday. */
static int weekday_from_days(int64_t days)
{
    return (int)((days % 7 + 7 + 3) % 7);
}

/* Day count of the Monday of ISO week 1 of an ISO year. */
static int64_t week_one_monday(int iso_year)
{
    int64_t jan4 = mt_days_from_civil(iso_year, 1, 4);
    return jan4 - weekday_from_days(jan4);
}

static int weeks_in_year(int iso_year)
{
    return (int)((week_one_monday(iso_year + 1) - week_one_monday(iso_year)) / 7);
}

struct mt_iso_week mt_iso_week_of(int64_t ms)
{
    int64_t days = floor_div(ms, MT_MS_PER_DAY);
    struct mt_tm tm;
    civil_from_days(days, &tm);

    int year = tm.year;
    if (days < week_one_monday(year))
        year--;
    else if (days >= week_one_monday(year + 1))
        year++;

    struct mt_iso_week w = {year, (int)((days - week_one_monday(year)) / 7) + 1};
    return w;
}

int64_t mt_iso_week_start_ms(struct mt_iso_week week)
{
    return (week_one_monday(week.year) + (int64_t)(week.week - 1) * 7) * MT_MS_PER_DAY;
}

enum mt_status mt_iso_week_parse(struct mt_str t, struct mt_iso_week *week)
{
    size_t pos = 0;
    int year, num;

    if (t.ptr == NULL || !take_digits(t, &pos, 4, &year))
        return MT_ERR_PARSE;
    take_char(t, &pos, '-');
    if (!take_char(t, &pos, 'W') && !take_char(t, &pos, 'w'))
        return MT_ERR_PARSE;
    if (!take_digits(t, &pos, 2, &num) || pos != t.len)
        return MT_ERR_PARSE;
    if (year < 1 || year > 9998 || num < 1 || num > weeks_in_year(year))
        return MT_ERR_PARSE;

    week->year = year;
    week->week = num;
    return MT_OK;
}

void mt_iso_week_format(struct mt_iso_week week, char out[16])
{
    memcpy(out, "0000-W00", 9);
    put_digits(out, week.year % 10000, 4);
    put_digits(out + 6, week.week % 100, 2);
}
