/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_CLOCK_H
#define MT_CLOCK_H

/*
 * Time in UTC: milliseconds since the Unix epoch, ISO-8601 parsing and
 * formatting, and ISO weeks.
 *
 * Everything here is computed arithmetically from the proleptic Gregorian
 * calendar, never through the C library's time-zone machinery, so results do
 * not depend on TZ.  Leap seconds are not represented (as in Unix time).
 * Years 0001 to 9999 are supported.
 */

#include "mt/buf.h"
#include "mt/status.h"

#include <stdint.h>

/* "2026-11-23T07:00:00.000Z": always 24 characters. */
#define MT_TIME_ISO_LEN 24

/* Milliseconds in one day. */
#define MT_MS_PER_DAY INT64_C(86400000)

/* Broken-down UTC time. */
struct mt_tm {
    int year;   /* 1..9999 */
    int month;  /* 1..12 */
    int day;    /* 1..31 */
    int hour;   /* 0..23 */
    int minute; /* 0..59 */
    int second; /* 0..59 */
    int ms;     /* 0..999 */
};

/* Wall-clock now, in ms since the epoch. */
int64_t mt_time_now_ms(void);

/* A monotonic clock in ms, for deadlines and durations. */
int64_t mt_time_monotonic_ms(void);

/*
 * The deadline that bounds all work on the calling thread, on
 * mt_time_monotonic_ms; 0 means none.  A front end sets it around one unit
 * of work (the Lambda runtime around each invocation, from
 * Lambda-Runtime-Deadline-Ms minus a safety margin) and every HTTP request
 * made on that thread meanwhile stops by it, whichever component sends it.
 * Thread-local, so it needs no locking.
 */
void mt_deadline_set(int64_t deadline_ms);

/* The calling thread's deadline; 0 when none is set. */
int64_t mt_deadline_get(void);

/* Days since 1970-01-01 of a calendar date (negative before it). */
int64_t mt_days_from_civil(int year, int month, int day);

/* Breaks ms since the epoch into UTC fields. */
void mt_time_split(int64_t ms, struct mt_tm *tm);

/* ms since the epoch of UTC fields; fields are not range-checked here. */
int64_t mt_time_join(const struct mt_tm *tm);

/*
 * Parses an ISO-8601 / RFC 3339 time: a date "YYYY-MM-DD", optionally followed
 * by 'T' or ' ' and "hh:mm[:ss[.fraction]]" and a zone "Z" or "+hh:mm" /
 * "-hh:mm" (no zone means UTC).  Fractions beyond milliseconds are truncated.
 * MT_ERR_PARSE on anything else, including out-of-range fields.
 */
enum mt_status mt_time_parse_iso(struct mt_str text, int64_t *ms_out);

/*
 * Parses an RFC 3339 time, as AWS writes them: "YYYY-MM-DDThh:mm:ss", an
 * optional fraction, and a zone "Z" or "+hh:mm" / "-hh:mm".  A bare date, a
 * missing zone or seconds, or a space for 'T' is MT_ERR_PARSE: in an event
 * such a time is ambiguous, not UTC.
 */
enum mt_status mt_time_parse_rfc3339(struct mt_str text, int64_t *ms_out);

/* Writes "YYYY-MM-DDThh:mm:ss.sssZ" and a NUL into out (25 bytes). */
void mt_time_format_iso(int64_t ms, char out[MT_TIME_ISO_LEN + 1]);

/* An ISO-8601 week: weeks start on Monday; week 1 holds the year's first Thursday. */
struct mt_iso_week {
    int year; /* ISO week-numbering year, which can differ from the calendar year */
    int week; /* 1..53 */
};

/* Parses "2026-W48" (also "2026W48"); the week must exist in that year. */
enum mt_status mt_iso_week_parse(struct mt_str text, struct mt_iso_week *week);

/* The week that contains the instant ms. */
struct mt_iso_week mt_iso_week_of(int64_t ms);

/* Monday 00:00:00.000 UTC that starts the week, in ms since the epoch. */
int64_t mt_iso_week_start_ms(struct mt_iso_week week);

/* Writes "2026-W48" and a NUL into out (at least 9 bytes). */
void mt_iso_week_format(struct mt_iso_week week, char out[16]);

#endif
