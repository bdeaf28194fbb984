/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Header lists: pairs kept back to back as "name NUL value NUL" in one
 * capped buffer, looked up without regard to ASCII case (RFC 9110 section
 * 5.1).  Obsolete line folding (RFC 9112 section 5.2) is not supported; a
 * folded continuation line is dropped by the response parser.  The bytes are
 * wiped whenever a list is emptied, because prepare hooks put Authorization
 * and security-token values here.
 */
#include "http_int.h"

#include <string.h>
#include <strings.h>

void mt_http_headers_init(struct mt_http_headers *h)
{
    mt_buf_init(&h->text, MT_HTTP_MAX_HEADER_BYTES);
    h->count = 0;
}

/* True when s is fit to be sent: no CR, LF or NUL (nor ':' for a name). */
static bool header_part_ok(struct mt_str s, bool is_name)
{
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (c == '\r' || c == '\n' || c == '\0' || (is_name && (c == ':' || c == ' ')))
            return false;
    }
    return true;
}

bool http_header_valid(struct mt_str name, struct mt_str value)
{
    if (name.ptr == NULL || name.len == 0 || !header_part_ok(name, true))
        return false;
    return value.len == 0 || (value.ptr != NULL && header_part_ok(value, false));
}

enum mt_status mt_http_headers_add(struct mt_http_headers *h, struct mt_str name,
                                   struct mt_str value)
{
    if (!http_header_valid(name, value))
        return MT_ERR_INVALID;

    if (h->text.max == 0)
        h->text.max = MT_HTTP_MAX_HEADER_BYTES;
    size_t old_len = h->text.len;

    enum mt_status st = mt_buf_append(&h->text, name.ptr, name.len);
    if (st == MT_OK)
        st = mt_buf_append_byte(&h->text, '\0');
    if (st == MT_OK && value.len > 0)
        st = mt_buf_append(&h->text, value.ptr, value.len);
    if (st == MT_OK)
        st = mt_buf_append_byte(&h->text, '\0');

    if (st != MT_OK) {
        if (h->text.data != NULL) {
            mt_secure_zero(h->text.data + old_len, h->text.len - old_len);
            h->text.data[old_len] = '\0';
        }
        h->text.len = old_len;
        return st;
    }
    h->count++;
    return MT_OK;
}

bool mt_http_headers_next(const struct mt_http_headers *h, size_t *pos, struct mt_str *name,
                          struct mt_str *value)
{
    if (h->text.data == NULL || *pos >= h->text.len)
        return false;

    const char *p = h->text.data + *pos;
    *name = mt_str_from_cstr(p);
    *value = mt_str_from_cstr(p + name->len + 1);
    *pos += name->len + 1 + value->len + 1;
    return true;
}

struct mt_str mt_http_headers_get(const struct mt_http_headers *h, const char *name)
{
    size_t pos = 0;
    size_t want = strlen(name);
    struct mt_str n;
    struct mt_str v;

    while (mt_http_headers_next(h, &pos, &n, &v)) {
        if (n.len == want && strncasecmp(n.ptr, name, want) == 0)
            return v;
    }
    return MT_STR_NULL;
}

void mt_http_headers_reset(struct mt_http_headers *h)
{
    if (h->text.data != NULL)
        mt_secure_zero(h->text.data, h->text.len);
    mt_buf_reset(&h->text);
    h->count = 0;
}

void mt_http_headers_cleanup(struct mt_http_headers *h)
{
    mt_buf_cleanup_secure(&h->text);
    h->count = 0;
}
