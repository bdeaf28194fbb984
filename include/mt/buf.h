/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_BUF_H
#define MT_BUF_H

/*
 * Length-delimited strings, growable buffers with a cap, and an arena.
 *
 * struct mt_str is a borrowed view: it never owns memory and need not be
 * NUL-terminated.  struct mt_buf owns its bytes, keeps them NUL-terminated for
 * the C-library boundaries, and refuses to grow past its max.  struct
 * mt_arena hands out memory that is released all at once; the event parser
 * uses it so a document's rows can point at strings without copying them
 * twice.
 */

#include "mt/status.h"

#include <stdbool.h>
#include <stddef.h>

/* A borrowed byte string; ptr == NULL means "absent" (JSON null, no value). */
struct mt_str {
    const char *ptr;
    size_t len;
};

#define MT_STR_NULL ((struct mt_str){NULL, 0})
#define MT_STR_LIT(s) ((struct mt_str){(s), sizeof(s) - 1})

/* A view of a NUL-terminated string; NULL gives the absent string. */
struct mt_str mt_str_from_cstr(const char *s);

/* True when both are absent, or both present with the same bytes. */
bool mt_str_eq(struct mt_str a, struct mt_str b);

/* True when s is present and equals the NUL-terminated c. */
bool mt_str_eq_cstr(struct mt_str s, const char *c);

/* s without leading and trailing spaces, tabs, CRs and LFs. */
struct mt_str mt_str_trim(struct mt_str s);

/* True when s is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF). */
bool mt_utf8_valid(struct mt_str s);

/*
 * The length of the longest prefix of s of at most max bytes that does not
 * end inside a UTF-8 character, for quoting part of a value in a message.
 */
size_t mt_utf8_prefix_len(struct mt_str s, size_t max);

/* Byte-wise order; an absent string sorts before every present one. */
int mt_str_cmp(struct mt_str a, struct mt_str b);

/* An owned, NUL-terminated, growable byte buffer limited to max bytes. */
struct mt_buf {
    char *data;  /* NULL until the first append; NUL-terminated after */
    size_t len;  /* bytes in use, terminator excluded */
    size_t cap;  /* bytes allocated */
    size_t max;  /* largest len allowed; 0 means SIZE_MAX / 2 */
};

/* Prepares an empty buffer.  Allocates nothing. */
void mt_buf_init(struct mt_buf *buf, size_t max);

/* Appends len bytes.  MT_ERR_TOO_LARGE past max, MT_ERR_NOMEM. */
enum mt_status mt_buf_append(struct mt_buf *buf, const void *ptr, size_t len);

/* Appends a NUL-terminated string. */
enum mt_status mt_buf_append_cstr(struct mt_buf *buf, const char *s);

/* Appends one byte. */
enum mt_status mt_buf_append_byte(struct mt_buf *buf, char c);

/* Appends printf-formatted text. */
enum mt_status mt_buf_appendf(struct mt_buf *buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Appends s with each control character (below 0x20, 0x7f, and the C1
 * controls U+0080 to U+009F in UTF-8) written as "\xNN" a byte, so text
 * that came from input cannot move a terminal's cursor, colour it, or forge
 * a line of a log or listing.
 */
enum mt_status mt_buf_append_escaped(struct mt_buf *buf, struct mt_str s);

/*
 * Like mt_buf_append_escaped, and a backslash is written "\\" too, so the
 * result reads back one way only: "\x0a" in it was a newline, never those
 * four characters.  For logs, where a client could otherwise fake an escape.
 */
enum mt_status mt_buf_append_escaped_strict(struct mt_buf *buf, struct mt_str s);

/*
 * Appends s with each byte that does not belong to a well-formed UTF-8
 * character replaced by U+FFFD, so the result is UTF-8 whatever s holds.
 */
enum mt_status mt_buf_append_utf8_lossy(struct mt_buf *buf, struct mt_str s);

/* Makes room for at least extra more bytes without changing len. */
enum mt_status mt_buf_reserve(struct mt_buf *buf, size_t extra);

/* Empties the buffer but keeps its memory. */
void mt_buf_reset(struct mt_buf *buf);

/* The content as a view. */
struct mt_str mt_buf_str(const struct mt_buf *buf);

/* Releases the memory; the buffer may be reused after mt_buf_init. */
void mt_buf_cleanup(struct mt_buf *buf);

/* Overwrites the whole allocation with zeros, then releases it.  For secrets. */
void mt_buf_cleanup_secure(struct mt_buf *buf);

/* Overwrites len bytes at ptr with zeros in a way the compiler keeps. */
void mt_secure_zero(void *ptr, size_t len);

/* Memory released all at once.  Not thread-safe; one per parser. */
struct mt_arena_chunk;
struct mt_arena {
    struct mt_arena_chunk *head; /* newest chunk first */
    size_t used_bytes;           /* total handed out since the last reset */
    size_t max_bytes;            /* allocation fails past this; 0 = unlimited */
};

/* Prepares an empty arena. */
void mt_arena_init(struct mt_arena *arena, size_t max_bytes);

/* size bytes aligned for any type, or NULL when out of memory or over max. */
void *mt_arena_alloc(struct mt_arena *arena, size_t size);

/* A NUL-terminated copy of s in the arena; the view's ptr is NULL on failure. */
struct mt_str mt_arena_strdup(struct mt_arena *arena, struct mt_str s);

/* Forgets every allocation, keeping one chunk for reuse. */
void mt_arena_reset(struct mt_arena *arena);

/* Releases everything. */
void mt_arena_cleanup(struct mt_arena *arena);

#endif
