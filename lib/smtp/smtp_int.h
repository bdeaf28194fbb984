/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_SMTP_INT_H
#define MT_SMTP_INT_H

/*
 * Internals of the smtp component shared between its files and its tests:
 * the header and body encoders and the mapping of a failed exchange to a
 * status.
 */

#include "mt/smtp.h"

#include <stdbool.h>

/* "Thu, 04 Dec 2026 16:48:39 +0000": always 31 characters. */
#define SMTP_DATE_LEN 31

/* Longest header line the subject encoder writes, CRLF excluded. */
#define SMTP_LINE_MAX 76

/* Writes the RFC 5322 date-time of ms (UTC, "+0000") and a NUL into out. */
void smtp_date_format(int64_t ms, char out[SMTP_DATE_LEN + 1]);

/*
 * Appends "Subject: ...\r\n".  Printable ASCII without "=?" goes as is,
 * folded before a space when a line would pass SMTP_LINE_MAX characters;
 * anything else becomes RFC 2047 "B" encoded words of whole UTF-8
 * characters, one per line, each line at most SMTP_LINE_MAX characters.
 * MT_ERR_INVALID for text that is not UTF-8 or holds a control character.
 */
enum mt_status smtp_subject_append(struct mt_buf *out, struct mt_str subject, struct mt_err *err);

/*
 * Appends body as quoted-printable (RFC 2045 6.7).  LF and CRLF become CRLF
 * hard line breaks; a lone CR is encoded.  Space and tab are encoded before a
 * line end; soft breaks keep every line at most 76 characters.  Ends with
 * CRLF.
 */
enum mt_status smtp_qp_append(struct mt_buf *out, struct mt_str body);

/*
 * Copies the message id from a reply line such as "250 Ok 0102018c-...-000000"
 * (angle brackets removed when present) into out.  False, out emptied, when
 * the line is not a 250 reply of that shape.
 */
bool smtp_reply_message_id(const char *line, char *out, size_t out_size);

/* Where in the exchange a reply came from. */
enum smtp_stage {
    SMTP_STAGE_CONNECT, /* greeting, EHLO, STARTTLS */
    SMTP_STAGE_AUTH,
    SMTP_STAGE_MAIL,
    SMTP_STAGE_RCPT,
    SMTP_STAGE_DATA, /* the DATA command */
    SMTP_STAGE_END,  /* the end of the message */
};

/*
 * Rewrites text, a libcurl error message of size bytes, for a reader: an
 * end of input ("response reading failed (errno: N)", where N is whatever
 * errno held, as no system call failed) becomes "the server closed the
 * connection", and any other " (errno: 0)" is removed.
 */
void smtp_tidy_curl_error(char *text, size_t size);

/*
 * The status for a finished exchange: curl_code is libcurl's result (a
 * CURLcode), answered whether the server sent any reply at all (a connection
 * lost before that is one never made), failed_stage the stage of the first
 * 4xx/5xx reply (-1 when none), failed_code that reply's code.
 */
enum mt_status smtp_status_classify(int curl_code, bool answered, int failed_stage,
                                    int failed_code);

#endif
