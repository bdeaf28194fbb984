/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RFC 2047 encoded words in header values, and bare mailbox addresses.
 *
 * An encoded word is "=?charset[*lang]?B|Q?text?=".  Adjacent encoded words
 * separated only by whitespace are joined without that whitespace (RFC 2047
 * section 6.2), and their bytes are concatenated before conversion so that a
 * multi-byte character split across two words decodes correctly.  Anything
 * that does not decode cleanly into valid UTF-8 without NUL is kept exactly
 * as it arrived: a subject is better shown raw than garbled.
 *
 * Charsets are converted by table, not iconv, so the result does not depend
 * on which gconv modules the host (or a Lambda image) happens to ship.
 *
 * LIMITATION: only UTF-8, US-ASCII, ISO-8859-1, ISO-8859-15 and Windows-1252
 * are converted; an encoded word in any other charset (KOI8-R, ISO-2022-JP,
 * Shift_JIS, GB2312, UTF-16, ...) stays as it arrived, so such subjects show
 * raw in the report.  SES usually publishes subjects already decoded in
 * commonHeaders, which is what is read first.
 */
#include "event_int.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

enum charset { CS_UTF8, CS_LATIN1, CS_LATIN9, CS_CP1252, CS_UNKNOWN };

/* One parsed encoded word: its span in the input and its decoded bytes. */
struct word {
    size_t start, end;  /* [start, end) in the input */
    enum charset charset;
    bool valid;
};

static enum charset charset_of(const char *name, size_t len)
{
    static const struct {
        const char *name;
        enum charset cs;
    } table[] = {
        {"utf-8", CS_UTF8},        {"utf8", CS_UTF8},         {"us-ascii", CS_UTF8},
        {"ascii", CS_UTF8},        {"iso-8859-1", CS_LATIN1}, {"latin1", CS_LATIN1},
        {"iso-8859-15", CS_LATIN9}, {"windows-1252", CS_CP1252}, {"cp1252", CS_CP1252},
    };

    const char *star = memchr(name, '*', len); /* RFC 2231 language suffix */
    if (star != NULL)
        len = (size_t)(star - name);
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (strlen(table[i].name) == len && strncasecmp(table[i].name, name, len) == 0)
            return table[i].cs;
    }
    return CS_UNKNOWN;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Appends the Q-decoded text; false when it is malformed. */
static bool decode_q(const char *s, size_t n, struct mt_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '_') {
            c = ' ';
        } else if (c == '=') {
            if (n - i < 3 || hex_value(s[i + 1]) < 0 || hex_value(s[i + 2]) < 0)
                return false;
            c = (char)(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        }
        if (mt_buf_append_byte(out, c) != MT_OK)
            return false;
    }
    return true;
}

/* Appends the base64-decoded text; false when it is malformed. */
static bool decode_b(const char *s, size_t n, struct mt_buf *out)
{
    unsigned acc = 0;
    int bits = 0;
    size_t pad = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] == '=') {
            pad++;
            continue;
        }
        int v = b64_value(s[i]);
        if (v < 0 || pad > 0)
            return false;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (mt_buf_append_byte(out, (char)((acc >> bits) & 0xff)) != MT_OK)
                return false;
        }
    }
    /* Leftover bits must be padding zeros, and padding must complete a quantum. */
    if (pad > 2 || (n % 4 != 0 && pad > 0) || (acc & ((1u << bits) - 1)) != 0)
        return false;
    return true;
}

/*
 * Parses the encoded word starting at in[pos] ("=?").  On success appends
 * its decoded bytes to raw and fills w.
 */
static bool parse_word(struct mt_str in, size_t pos, struct word *w, struct mt_buf *raw)
{
    const char *s = in.ptr;
    size_t i = pos + 2;

    size_t cs_start = i;
    while (i < in.len && s[i] != '?' && s[i] > ' ' && s[i] < 127)
        i++;
    if (i + 2 >= in.len || s[i] != '?' || i == cs_start || s[i + 2] != '?')
        return false;
    char enc = s[i + 1];
    size_t text_start = i + 3;

    size_t text_end = text_start;
    while (text_end + 1 < in.len && !(s[text_end] == '?' && s[text_end + 1] == '=')) {
        if (s[text_end] == ' ' || s[text_end] == '\t' || s[text_end] == '\r' ||
            s[text_end] == '\n')
            return false;
        text_end++;
    }
    if (text_end + 1 >= in.len)
        return false;

    w->start = pos;
    w->end = text_end + 2;
    w->charset = charset_of(s + cs_start, i - cs_start);
    if (w->charset == CS_UNKNOWN)
        return false;
    if (enc == 'Q' || enc == 'q')
        return decode_q(s + text_start, text_end - text_start, raw);
    if (enc == 'B' || enc == 'b')
        return decode_b(s + text_start, text_end - text_start, raw);
    return false;
}

/* Windows-1252 code points for bytes 0x80..0x9f (0 where undefined). */
static const unsigned short s_cp1252_high[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
};

/* The code point of a single-byte charset's byte b; 0 when undefined. */
static unsigned single_byte_cp(enum charset cs, unsigned char b)
{
    if (cs == CS_CP1252 && b >= 0x80 && b < 0xa0)
        return s_cp1252_high[b - 0x80];
    if (cs == CS_LATIN9) {
        switch (b) {
        case 0xa4: return 0x20AC;
        case 0xa6: return 0x0160;
        case 0xa8: return 0x0161;
        case 0xb4: return 0x017D;
        case 0xb8: return 0x017E;
        case 0xbc: return 0x0152;
        case 0xbd: return 0x0153;
        case 0xbe: return 0x0178;
        default: break;
        }
    }
    return b;
}

static bool append_utf8(struct mt_buf *out, unsigned cp)
{
    char b[3];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xc0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else {
        b[0] = (char)(0xe0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    }
    return mt_buf_append(out, b, n) == MT_OK;
}

/* Appends bytes in charset cs to out as UTF-8; false when they are not valid. */
static bool convert(enum charset cs, struct mt_str bytes, struct mt_buf *out)
{
    if (memchr(bytes.ptr, '\0', bytes.len) != NULL)
        return false;
    if (cs == CS_UTF8) {
        if (!mt_utf8_valid(bytes))
            return false;
        return mt_buf_append(out, bytes.ptr, bytes.len) == MT_OK;
    }
    for (size_t i = 0; i < bytes.len; i++) {
        unsigned cp = single_byte_cp(cs, (unsigned char)bytes.ptr[i]);
        if (cp == 0 || !append_utf8(out, cp))
            return false;
    }
    return true;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool word_starts(struct mt_str in, size_t i)
{
    return i + 1 < in.len && in.ptr[i] == '=' && in.ptr[i + 1] == '?';
}

/*
 * Decodes the run of adjacent same-charset encoded words at pos and appends
 * the text to out.  Returns the end of the run, or 0 when the word at pos
 * does not decode (the caller then copies it through unchanged).
 */
static size_t decode_run(struct mt_str in, size_t pos, struct mt_buf *out, struct mt_buf *raw)
{
    struct word w;
    enum charset cs = CS_UNKNOWN;
    size_t end = 0;

    mt_buf_reset(raw);
    for (;;) {
        size_t before = raw->len;
        if (!parse_word(in, pos, &w, raw) || (end != 0 && w.charset != cs)) {
            raw->len = before;
            break;
        }
        cs = w.charset;
        end = w.end;

        size_t next = end;
        while (next < in.len && is_space(in.ptr[next]))
            next++;
        if (!word_starts(in, next))
            break;
        pos = next;
    }
    if (end == 0)
        return 0;

    size_t mark = out->len;
    if (!convert(cs, mt_buf_str(raw), out)) {
        out->len = mark;
        return 0;
    }
    return end;
}

/* Fast check that lets the common case, a plain subject, return at once. */
static bool has_encoded_word(struct mt_str in)
{
    const char *p = in.ptr;
    size_t left = in.len;
    while (left > 1) {
        const char *eq = memchr(p, '=', left - 1);
        if (eq == NULL)
            return false;
        if (eq[1] == '?')
            return true;
        left -= (size_t)(eq - p) + 1;
        p = eq + 1;
    }
    return false;
}

struct mt_str mt_mime_decode_header(struct mt_str in, struct mt_arena *arena)
{
    if (in.ptr == NULL || !has_encoded_word(in))
        return in;

    struct mt_buf out, raw;
    mt_buf_init(&out, in.len * 3 + 16);
    mt_buf_init(&raw, in.len + 16);

    size_t i = 0;
    bool changed = false, after_word = false, failed = false;
    while (i < in.len && !failed) {
        size_t at = i;

        /* Whitespace between two encoded words is not part of the text. */
        if (after_word && is_space(in.ptr[i])) {
            while (at < in.len && is_space(in.ptr[at]))
                at++;
        }
        size_t end = word_starts(in, at) ? decode_run(in, at, &out, &raw) : 0;
        if (end != 0) {
            i = end;
            changed = true;
            after_word = true;
            continue;
        }
        after_word = false;
        failed = mt_buf_append_byte(&out, in.ptr[i]) != MT_OK;
        i++;
    }

    struct mt_str result = in;
    if (changed && !failed)
        result = mt_arena_strdup(arena, mt_buf_str(&out));
    mt_buf_cleanup(&out);
    mt_buf_cleanup(&raw);
    return result;
}

struct mt_str mt_mail_bare_address(struct mt_str in)
{
    if (in.ptr == NULL)
        return in;

    const char *s = in.ptr;
    size_t n = in.len;
    const char *lt = NULL;
    for (size_t i = n; i > 0; i--) {
        if (s[i - 1] == '<') {
            lt = s + i - 1;
            break;
        }
    }
    if (lt != NULL) {
        const char *gt = memchr(lt, '>', n - (size_t)(lt - s));
        if (gt != NULL && gt > lt + 1)
            return mt_str_trim((struct mt_str){lt + 1, (size_t)(gt - lt - 1)});
    }
    return mt_str_trim(in);
}
