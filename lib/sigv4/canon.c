/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SigV4 canonicalisation: URI encoding, the canonical path, the canonical
 * query and header values.
 *
 * The path is normalised with RFC 3986 section 5.2.4 (remove_dot_segments)
 * plus the collapsing of empty segments that AWS applies; a path that ended
 * in '/', '.' or '..' keeps a trailing slash.  Query names and values are
 * percent-decoded before they are encoded again, so a query that was already
 * encoded on the wire signs the same as its raw form.  '+' is not taken for a
 * space: mailtrack always encodes a space as %20.
 */
#include "sigv4_int.h"

#include <stdlib.h>
#include <string.h>

static bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~';
}

enum mt_status mt_sigv4_uri_encode(struct mt_buf *out, struct mt_str s, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    enum mt_status st = mt_buf_reserve(out, s.len);

    for (size_t i = 0; st == MT_OK && i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            st = mt_buf_append_byte(out, (char)c);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 0xf]};
            st = mt_buf_append(out, esc, 3);
        }
    }
    return st;
}

/* One path segment: a view into the path. */
struct segment {
    const char *ptr;
    size_t len;
};

/* Applies dot segments and drops empty segments; returns the count kept in segs. */
static size_t normalise_segments(struct mt_str path, struct segment *segs, bool *trailing)
{
    size_t count = 0;
    size_t start = 0;

    *trailing = false;
    for (size_t i = 0; i <= path.len; i++) {
        if (i < path.len && path.ptr[i] != '/')
            continue;
        struct segment seg = {path.ptr + start, i - start};
        bool last = i == path.len;
        start = i + 1;
        if (seg.len == 0 || (seg.len == 1 && seg.ptr[0] == '.')) {
            *trailing = last || *trailing;
        } else if (seg.len == 2 && seg.ptr[0] == '.' && seg.ptr[1] == '.') {
            if (count > 0)
                count--;
            *trailing = last || *trailing;
        } else {
            segs[count++] = seg;
            *trailing = false;
        }
    }
    return count;
}

/* Appends the normalised form of path ("/" at least). */
static enum mt_status normalise_path(struct mt_buf *out, struct mt_str path)
{
    struct segment *segs = calloc(path.len / 2 + 2, sizeof(*segs));
    bool trailing = false;
    enum mt_status st = MT_OK;

    if (segs == NULL)
        return MT_ERR_NOMEM;
    size_t count = normalise_segments(path, segs, &trailing);

    for (size_t i = 0; st == MT_OK && i < count; i++) {
        st = mt_buf_append_byte(out, '/');
        if (st == MT_OK)
            st = mt_buf_append(out, segs[i].ptr, segs[i].len);
    }
    if (st == MT_OK && (count == 0 || trailing))
        st = mt_buf_append_byte(out, '/');
    free(segs);
    return st;
}

enum mt_status sigv4_canonical_path(struct mt_buf *out, struct mt_str path, unsigned flags)
{
    struct mt_buf normal;
    enum mt_status st = MT_OK;

    if (path.ptr == NULL || path.len == 0)
        path = MT_STR_LIT("/");
    mt_buf_init(&normal, 0);
    if (flags & MT_SIGV4_NORMALIZE_PATH) {
        st = normalise_path(&normal, path);
        path = mt_buf_str(&normal);
    }

    if (st == MT_OK && (flags & MT_SIGV4_ENCODE_PATH))
        st = mt_sigv4_uri_encode(out, path, true);
    else if (st == MT_OK)
        st = mt_buf_append(out, path.ptr, path.len);
    mt_buf_cleanup(&normal);
    return st;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Appends s percent-decoded, then encoded again; a stray '%' is kept as a byte. */
static enum mt_status recode(struct mt_buf *out, struct mt_str s)
{
    struct mt_buf raw;
    enum mt_status st = MT_OK;

    mt_buf_init(&raw, 0);
    for (size_t i = 0; st == MT_OK && i < s.len; i++) {
        int hi = s.ptr[i] == '%' && i + 2 < s.len ? hex_value(s.ptr[i + 1]) : -1;
        int lo = hi >= 0 ? hex_value(s.ptr[i + 2]) : -1;
        if (lo >= 0) {
            st = mt_buf_append_byte(&raw, (char)(hi << 4 | lo));
            i += 2;
        } else {
            st = mt_buf_append_byte(&raw, s.ptr[i]);
        }
    }
    if (st == MT_OK)
        st = mt_sigv4_uri_encode(out, mt_buf_str(&raw), false);
    mt_buf_cleanup(&raw);
    return st;
}

/* One query parameter, encoded; both strings live in one allocation. */
struct param {
    char *name;
    char *value;
};

static int param_cmp(const void *a, const void *b)
{
    const struct param *pa = a;
    const struct param *pb = b;
    int c = strcmp(pa->name, pb->name);
    return c != 0 ? c : strcmp(pa->value, pb->value);
}

/* Encodes one "name[=value]" into p.  MT_ERR_NOMEM. */
static enum mt_status encode_param(struct mt_str item, struct param *p)
{
    const char *eq = memchr(item.ptr, '=', item.len);
    struct mt_str name = {item.ptr, eq ? (size_t)(eq - item.ptr) : item.len};
    struct mt_str value = eq ? (struct mt_str){eq + 1, item.len - name.len - 1} : MT_STR_LIT("");
    struct mt_buf b;

    mt_buf_init(&b, 0);
    enum mt_status st = recode(&b, name);
    size_t name_len = b.len;
    if (st == MT_OK)
        st = mt_buf_append_byte(&b, '\0');
    if (st == MT_OK)
        st = recode(&b, value);
    if (st != MT_OK || b.data == NULL) {
        mt_buf_cleanup(&b);
        return MT_ERR_NOMEM;
    }
    p->name = b.data;
    p->value = b.data + name_len + 1;
    return MT_OK;
}

/* Splits query at '&' into params (allocated); empty items are skipped. */
static enum mt_status split_query(struct mt_str query, struct param **out, size_t *count)
{
    size_t max = 1;
    for (size_t i = 0; i < query.len; i++)
        max += query.ptr[i] == '&';
    struct param *params = calloc(max, sizeof(*params));
    size_t n = 0;
    size_t start = 0;
    enum mt_status st = params ? MT_OK : MT_ERR_NOMEM;

    for (size_t i = 0; st == MT_OK && i <= query.len; i++) {
        if (i < query.len && query.ptr[i] != '&')
            continue;
        if (i > start)
            st = encode_param((struct mt_str){query.ptr + start, i - start}, &params[n++]);
        start = i + 1;
    }
    *out = params;
    *count = n;
    return st;
}

enum mt_status sigv4_canonical_query(struct mt_buf *out, struct mt_str query)
{
    struct param *params = NULL;
    size_t count = 0;

    if (query.ptr == NULL || query.len == 0)
        return MT_OK;
    enum mt_status st = split_query(query, &params, &count);
    if (st == MT_OK)
        qsort(params, count, sizeof(*params), param_cmp);

    for (size_t i = 0; st == MT_OK && i < count; i++)
        st = mt_buf_appendf(out, "%s%s=%s", i ? "&" : "", params[i].name, params[i].value);
    for (size_t i = 0; params != NULL && i < count; i++)
        free(params[i].name);
    free(params);
    return st;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

enum mt_status sigv4_canonical_value(struct mt_buf *out, struct mt_str value)
{
    size_t begin = 0;
    size_t end = value.len;
    enum mt_status st = MT_OK;

    while (begin < end && is_blank(value.ptr[begin]))
        begin++;
    while (end > begin && is_blank(value.ptr[end - 1]))
        end--;

    for (size_t i = begin; st == MT_OK && i < end; i++) {
        if (is_blank(value.ptr[i]) && is_blank(value.ptr[i - 1]))
            continue;
        st = mt_buf_append_byte(out, is_blank(value.ptr[i]) ? ' ' : value.ptr[i]);
    }
    return st;
}
