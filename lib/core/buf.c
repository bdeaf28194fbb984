/* SPDX-License-Identifier: Apache-2.0 */
/*
 * String views, capped buffers and the arena.
 *
 * Buffers grow geometrically and stay NUL-terminated so that their content
 * can be handed to C-library calls without a copy.  The arena allocates in
 * chunks of at least MT_ARENA_CHUNK bytes; an allocation larger than that gets
 * a chunk of its own.
 */
#include "mt/buf.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MT_ARENA_CHUNK 16384
#define MT_BUF_DEFAULT_MAX (SIZE_MAX / 2)

struct mt_str mt_str_from_cstr(const char *s)
{
    if (s == NULL)
        return MT_STR_NULL;
    return (struct mt_str){s, strlen(s)};
}

bool mt_str_eq(struct mt_str a, struct mt_str b)
{
    if (a.ptr == NULL || b.ptr == NULL)
        return a.ptr == b.ptr;
    return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

bool mt_str_eq_cstr(struct mt_str s, const char *c)
{
    return s.ptr != NULL && mt_str_eq(s, mt_str_from_cstr(c));
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct mt_str mt_str_trim(struct mt_str s)
{
    if (s.ptr == NULL)
        return s;
    while (s.len > 0 && is_blank(s.ptr[0])) {
        s.ptr++;
        s.len--;
    }
    while (s.len > 0 && is_blank(s.ptr[s.len - 1]))
        s.len--;
    return s;
}

/* The length of the well-formed UTF-8 character at p (1 to 4 bytes); 0 when none starts there. */
static size_t utf8_char_len(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0];
    size_t n;
    unsigned cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 1, cp = c & 0x1fu;
    else if (c >= 0xe0 && c <= 0xef)
        n = 2, cp = c & 0x0fu;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 3, cp = c & 0x07u;
    else
        return 0;
    if (avail <= n)
        return 0;
    for (size_t k = 1; k <= n; k++) {
        if ((p[k] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[k] & 0x3fu);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n + 1;
}

bool mt_utf8_valid(struct mt_str s)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    size_t i = 0;

    while (i < s.len) {
        size_t n = utf8_char_len(p + i, s.len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

enum mt_status mt_buf_append_utf8_lossy(struct mt_buf *buf, struct mt_str s)
{
    static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */
    const unsigned char *p = (const unsigned char *)s.ptr;
    enum mt_status st = MT_OK;
    size_t run = 0, i = 0;

    while (i < s.len && st == MT_OK) {
        size_t n = utf8_char_len(p + i, s.len - i);
        if (n > 0) {
            i += n;
            continue;
        }
        st = mt_buf_append(buf, s.ptr + run, i - run);
        if (st == MT_OK)
            st = mt_buf_append(buf, replacement, sizeof(replacement) - 1);
        run = ++i;
    }
    return st == MT_OK ? mt_buf_append(buf, s.ptr + run, s.len - run) : st;
}

/* Appends s with control characters as "\xNN", and backslashes as "\\" when asked. */
static enum mt_status append_escaped(struct mt_buf *buf, struct mt_str s, bool backslash)
{
    static const char hex[] = "0123456789abcdef";
    enum mt_status st = MT_OK;
    size_t run = 0;

    for (size_t i = 0; i < s.len && st == MT_OK; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        /* U+0080 to U+009F in UTF-8: C1 controls, which some terminals obey. */
        bool c1 = c == 0xc2 && i + 1 < s.len && ((unsigned char)s.ptr[i + 1] & 0xe0) == 0x80;
        if (c >= 0x20 && c != 0x7f && !c1 && (c != '\\' || !backslash))
            continue;
        st = mt_buf_append(buf, s.ptr + run, i - run);
        for (size_t k = 0; k <= (size_t)c1 && st == MT_OK; k++) {
            unsigned char b = (unsigned char)s.ptr[i + k];
            char esc[4] = {'\\', 'x', hex[b >> 4], hex[b & 0xf]};
            st = b == '\\' ? mt_buf_append(buf, "\\\\", 2) : mt_buf_append(buf, esc, 4);
        }
        i += c1;
        run = i + 1;
    }
    return st == MT_OK ? mt_buf_append(buf, s.ptr + run, s.len - run) : st;
}

enum mt_status mt_buf_append_escaped(struct mt_buf *buf, struct mt_str s)
{
    return append_escaped(buf, s, false);
}

enum mt_status mt_buf_append_escaped_strict(struct mt_buf *buf, struct mt_str s)
{
    return append_escaped(buf, s, true);
}

size_t mt_utf8_prefix_len(struct mt_str s, size_t max)
{
    if (s.len <= max)
        return s.len;
    size_t n = max;
    /* Step back over continuation bytes to the start of the cut character. */
    while (n > 0 && ((unsigned char)s.ptr[n] & 0xc0) == 0x80)
        n--;
    return n;
}

int mt_str_cmp(struct mt_str a, struct mt_str b)
{
    if (a.ptr == NULL || b.ptr == NULL)
        return (a.ptr != NULL) - (b.ptr != NULL);

    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c != 0)
        return c;
    return (a.len > b.len) - (a.len < b.len);
}

void mt_buf_init(struct mt_buf *buf, size_t max)
{
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
    buf->max = max ? max : MT_BUF_DEFAULT_MAX;
}

enum mt_status mt_buf_reserve(struct mt_buf *buf, size_t extra)
{
    if (extra > buf->max || buf->len > buf->max - extra)
        return MT_ERR_TOO_LARGE;

    size_t need = buf->len + extra + 1;
    if (need <= buf->cap)
        return MT_OK;

    size_t cap = buf->cap ? buf->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;

    char *data = realloc(buf->data, cap);
    if (data == NULL)
        return MT_ERR_NOMEM;
    buf->data = data;
    buf->cap = cap;
    return MT_OK;
}

enum mt_status mt_buf_append(struct mt_buf *buf, const void *ptr, size_t len)
{
    enum mt_status st = mt_buf_reserve(buf, len);
    if (st != MT_OK)
        return st;

    if (len)
        memcpy(buf->data + buf->len, ptr, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
    return MT_OK;
}

enum mt_status mt_buf_append_cstr(struct mt_buf *buf, const char *s)
{
    return mt_buf_append(buf, s, strlen(s));
}

enum mt_status mt_buf_append_byte(struct mt_buf *buf, char c)
{
    return mt_buf_append(buf, &c, 1);
}

enum mt_status mt_buf_appendf(struct mt_buf *buf, const char *fmt, ...)
{
    char small[256];
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return MT_ERR_INVALID;
    if ((size_t)n < sizeof(small))
        return mt_buf_append(buf, small, (size_t)n);

    enum mt_status st = mt_buf_reserve(buf, (size_t)n);
    if (st != MT_OK)
        return st;

    va_start(ap, fmt);
    vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf->len += (size_t)n;
    return MT_OK;
}

void mt_buf_reset(struct mt_buf *buf)
{
    buf->len = 0;
    if (buf->data)
        buf->data[0] = '\0';
}

struct mt_str mt_buf_str(const struct mt_buf *buf)
{
    return (struct mt_str){buf->data ? buf->data : "", buf->len};
}

void mt_buf_cleanup(struct mt_buf *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
}

void mt_secure_zero(void *ptr, size_t len)
{
    if (ptr != NULL && len)
        OPENSSL_cleanse(ptr, len);
}

void mt_buf_cleanup_secure(struct mt_buf *buf)
{
    mt_secure_zero(buf->data, buf->cap);
    mt_buf_cleanup(buf);
}

struct mt_arena_chunk {
    struct mt_arena_chunk *next;
    size_t size; /* usable bytes in data */
    size_t used;
    _Alignas(max_align_t) unsigned char data[];
};

void mt_arena_init(struct mt_arena *arena, size_t max_bytes)
{
    arena->head = NULL;
    arena->used_bytes = 0;
    arena->max_bytes = max_bytes;
}

void *mt_arena_alloc(struct mt_arena *arena, size_t size)
{
    const size_t align = _Alignof(max_align_t);
    size_t rounded = (size + align - 1) & ~(align - 1);
    if (rounded < size)
        return NULL;
    if (arena->max_bytes && rounded > arena->max_bytes - arena->used_bytes)
        return NULL;

    struct mt_arena_chunk *c = arena->head;
    if (c == NULL || c->size - c->used < rounded) {
        size_t want = rounded > MT_ARENA_CHUNK ? rounded : MT_ARENA_CHUNK;
        c = malloc(sizeof(*c) + want);
        if (c == NULL)
            return NULL;
        c->size = want;
        c->used = 0;
        c->next = arena->head;
        arena->head = c;
    }

    void *p = c->data + c->used;
    c->used += rounded;
    arena->used_bytes += rounded;
    return p;
}

struct mt_str mt_arena_strdup(struct mt_arena *arena, struct mt_str s)
{
    if (s.ptr == NULL)
        return MT_STR_NULL;

    char *p = mt_arena_alloc(arena, s.len + 1);
    if (p == NULL)
        return MT_STR_NULL;
    if (s.len)
        memcpy(p, s.ptr, s.len);
    p[s.len] = '\0';
    return (struct mt_str){p, s.len};
}

void mt_arena_reset(struct mt_arena *arena)
{
    struct mt_arena_chunk *keep = NULL;
    struct mt_arena_chunk *next;

    /* Keep one standard-sized chunk for reuse; oversized ones go. */
    for (struct mt_arena_chunk *c = arena->head; c != NULL; c = next) {
        next = c->next;
        if (keep == NULL && c->size == MT_ARENA_CHUNK) {
            keep = c;
            continue;
        }
        free(c);
    }
    if (keep != NULL) {
        keep->used = 0;
        keep->next = NULL;
    }
    arena->head = keep;
    arena->used_bytes = 0;
}

void mt_arena_cleanup(struct mt_arena *arena)
{
    struct mt_arena_chunk *c = arena->head;
    while (c != NULL) {
        struct mt_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    arena->head = NULL;
    arena->used_bytes = 0;
}
