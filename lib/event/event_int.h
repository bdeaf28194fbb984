/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_EVENT_INT_H
#define MT_EVENT_INT_H

/* Shared between the files of the event component and its tests only. */

#include "mt/event.h"

#include "mt/json.h"

/* Largest document or SNS Message accepted: 16 MiB, far above SNS's 256 KiB. */
#define MT_EVENT_MAX_DOC (16u * 1024 * 1024)

/* Largest number of rows one document may give; protects memory. */
#define MT_EVENT_MAX_ROWS 100000

/*
 * Largest row, all columns together: an SNS message is at most 256 KiB, so
 * no real event comes near, and every row fits a DynamoDB item (400 KB).
 */
#define MT_EVENT_MAX_ROW_BYTES (256u * 1024)

/*
 * Largest total of all rows of one document.  Each row repeats the
 * message's columns (destination, subject), so a crafted event with many
 * recipients would otherwise cost memory and writes quadratic in its size.
 */
#define MT_EVENT_MAX_ROWS_BYTES (32u * 1024 * 1024)

struct mt_event_parser {
    struct mt_arena arena;  /* strings and reasons of the current document */
    struct mt_json_doc json; /* the document and any SNS Message in it, parsed */
    struct mt_row *rows;
    size_t row_count, row_cap;
    struct mt_reject *rejects;
    size_t reject_count, reject_cap;
    struct mt_event_result result;
    enum mt_status fatal;   /* MT_ERR_NOMEM once any allocation failed */
    size_t rows_bytes;      /* column bytes of all rows of the current document */
    long first_line;        /* the line a document starts on, for JSON error positions */
};

/* Parses one SES record (an object node of p->json) into rows, or records one reject. */
void event_parse_ses(struct mt_event_parser *p, uint32_t record, const struct mt_sns_meta *meta,
                     int index, struct mt_str raw);

/* Appends a reject with a printf-formatted reason. */
void event_add_reject(struct mt_event_parser *p, int index, enum mt_status code, struct mt_str raw,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Appends a zeroed row and returns it, or NULL (fatal set) when out of room. */
struct mt_row *event_add_row(struct mt_event_parser *p);

/* An arena copy of printf-formatted text; MT_STR_NULL (fatal set) on failure. */
struct mt_str event_printf(struct mt_event_parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
