/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Strict RFC 8259 parsing into a flat node array.
 *
 * Recursive descent, bounded by MT_JSON_MAX_DEPTH.  Strings are scanned
 * through a byte-class table: plain ASCII is skipped in a tight loop, UTF-8
 * sequences are validated where they occur, and only strings that contain an
 * escape are copied (decoded) into the arena.  Duplicate keys are found after
 * each object is complete: pairwise for small objects, by sorting key indices
 * for large ones, so a hostile object costs O(n log n), not O(n^2).  The
 * error names the repeated key and points at its first repetition.
 */
#include "mt/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_NODES (1u << 24)
#define SMALL_OBJECT 16

/* True for bytes that a string's fast scan can skip: printable ASCII but '"' and '\\'. */
static inline bool plain_byte(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/*
 * Skips whole 8-byte words of plain bytes, testing each word at once with
 * the "has a byte less than n" and "has a zero byte" bit tricks (exact for
 * whether such a byte exists): a byte is plain unless it is below 0x20, at
 * or above 0x80, '"' or '\\'.  Returns where the first word holding another
 * byte starts; the byte loop then finds it exactly.
 */
static size_t skip_plain_words(const unsigned char *s, size_t pos, size_t len)
{
    while (len - pos >= 8) {
        uint64_t w;
        memcpy(&w, s + pos, 8);
        uint64_t quote = w ^ (ONES * '"');
        uint64_t backslash = w ^ (ONES * '\\');
        uint64_t special = (((w - ONES * 0x20) & ~w) | ((quote - ONES) & ~quote) |
                            ((backslash - ONES) & ~backslash) | w) & HIGHS;
        if (special != 0)
            break;
        pos += 8;
    }
    return pos;
}

struct parser {
    struct mt_json_doc *doc;
    const unsigned char *s;
    size_t len;
    size_t pos;
    struct mt_json_error *error;
    enum mt_status status;
};

static bool fail_at(struct parser *p, size_t pos, enum mt_status status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool fail_at(struct parser *p, size_t pos, enum mt_status status, const char *fmt, ...)
{
    if (p->status != MT_OK)
        return false;
    p->status = status;
    if (p->error != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->error->text, sizeof(p->error->text), fmt, ap);
        va_end(ap);
        p->error->offset = pos;
    }
    return false;
}

void mt_json_doc_init(struct mt_json_doc *doc)
{
    memset(doc, 0, sizeof(*doc));
    doc->max_nodes = DEFAULT_MAX_NODES;
    mt_arena_init(&doc->arena, 0);
}

void mt_json_doc_reset(struct mt_json_doc *doc)
{
    doc->count = 0;
    mt_arena_reset(&doc->arena);
}

void mt_json_doc_cleanup(struct mt_json_doc *doc)
{
    free(doc->nodes);
    free(doc->scratch);
    mt_arena_cleanup(&doc->arena);
    doc->nodes = NULL;
    doc->scratch = NULL;
    doc->count = doc->cap = doc->scratch_cap = 0;
}

/* Appends a node and returns its index, or MT_JSON_NONE (status set). */
static uint32_t add_node(struct parser *p, enum mt_json_type type)
{
    struct mt_json_doc *d = p->doc;
    if (d->count >= d->max_nodes) {
        fail_at(p, p->pos, MT_ERR_TOO_LARGE, "more than %u values", (unsigned)d->max_nodes);
        return MT_JSON_NONE;
    }
    if (d->count == d->cap) {
        uint32_t cap = d->cap ? d->cap * 2 : 256;
        struct mt_json_node *n = realloc(d->nodes, (size_t)cap * sizeof(*n));
        if (n == NULL) {
            fail_at(p, p->pos, MT_ERR_NOMEM, "out of memory");
            return MT_JSON_NONE;
        }
        d->nodes = n;
        d->cap = cap;
    }
    struct mt_json_node *node = &d->nodes[d->count];
    node->type = (uint8_t)type;
    node->integer = 0;
    node->count = 0;
    node->next = d->count + 1;
    node->text = MT_STR_NULL;
    return d->count++;
}

static void skip_space(struct parser *p)
{
    while (p->pos < p->len) {
        unsigned char c = p->s[p->pos];
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
            return;
        p->pos++;
    }
}

/* Length of the valid UTF-8 sequence at s[0..avail), or 0 when it is not one. */
static size_t utf8_sequence(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xbf;

    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    else
        return 0;
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    }
    return n;
}

static int hex4(const unsigned char *s)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = s[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Decodes one escape at s[*i] (just after the backslash) into out; false when bad. */
static bool decode_escape(struct parser *p, size_t *i, char *out, size_t *n)
{
    static const char simple[128] = {['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b',
                                     ['f'] = '\f', ['n'] = '\n', ['r'] = '\r', ['t'] = '\t'};
    unsigned char c = p->s[*i];

    if (c < 128 && simple[c]) {
        out[(*n)++] = simple[c];
        (*i)++;
        return true;
    }
    if (c != 'u')
        return fail_at(p, *i, MT_ERR_NOT_JSON, "invalid escape");
    int cp = p->len - *i >= 5 ? hex4(p->s + *i + 1) : -1;
    if (cp < 0)
        return fail_at(p, *i, MT_ERR_NOT_JSON, "invalid \\u escape");
    *i += 5;
    if (cp == 0)
        return fail_at(p, *i - 6, MT_ERR_NOT_JSON, "\\u0000 is not allowed");
    if (cp >= 0xdc00 && cp <= 0xdfff)
        return fail_at(p, *i - 6, MT_ERR_NOT_JSON, "invalid Unicode: lone low surrogate");
    if (cp >= 0xd800 && cp <= 0xdbff) {
        int lo = p->len - *i >= 6 && p->s[*i] == '\\' && p->s[*i + 1] == 'u'
                     ? hex4(p->s + *i + 2)
                     : -1;
        if (lo < 0xdc00 || lo > 0xdfff)
            return fail_at(p, *i - 6, MT_ERR_NOT_JSON, "invalid Unicode: lone high surrogate");
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        *i += 6;
    }
    *n += put_utf8(out + *n, (unsigned)cp);
    return true;
}

/* Decodes the escaped string s[start..end) into the arena. */
static bool decode_string(struct parser *p, size_t start, size_t end, struct mt_str *out)
{
    char *buf = mt_arena_alloc(&p->doc->arena, end - start + 1);
    size_t n = 0;
    if (buf == NULL)
        return fail_at(p, start, MT_ERR_NOMEM, "out of memory");

    for (size_t i = start; i < end;) {
        /* Copy the run up to the next escape in one go. */
        const unsigned char *bs = memchr(p->s + i, '\\', end - i);
        size_t run = bs != NULL ? (size_t)(bs - (p->s + i)) : end - i;
        memcpy(buf + n, p->s + i, run);
        n += run;
        i += run;
        if (i == end)
            break;
        i++;
        if (!decode_escape(p, &i, buf, &n))
            return false;
    }
    buf[n] = '\0';
    *out = (struct mt_str){buf, n};
    return true;
}

/* Parses a string at p->pos (the opening quote) into *out. */
static bool parse_string(struct parser *p, struct mt_str *out)
{
    size_t start = ++p->pos;
    bool escaped = false;

    for (;;) {
        p->pos = skip_plain_words(p->s, p->pos, p->len);
        while (p->pos < p->len && plain_byte(p->s[p->pos]))
            p->pos++;
        if (p->pos >= p->len)
            return fail_at(p, p->pos, MT_ERR_NOT_JSON, "unexpected end of input in a string");

        unsigned char c = p->s[p->pos];
        if (c == '"') {
            if (!escaped)
                *out = (struct mt_str){(const char *)p->s + start, p->pos - start};
            p->pos++;
            return !escaped || decode_string(p, start, p->pos - 1, out);
        }
        if (c == '\\') {
            /* Skip the escaped byte so an escaped quote does not end the string;
             * decode_string checks the escape itself. */
            escaped = true;
            if (p->pos + 1 >= p->len)
                return fail_at(p, p->pos, MT_ERR_NOT_JSON, "unexpected end of input");
            if (p->s[p->pos + 1] >= 0x80)
                return fail_at(p, p->pos, MT_ERR_NOT_JSON, "invalid escape");
            p->pos += 2;
            continue;
        }
        if (c < 0x20)
            return fail_at(p, p->pos, MT_ERR_NOT_JSON, "control character 0x%02x in a string",
                           c);
        size_t n = utf8_sequence(p->s + p->pos, p->len - p->pos);
        if (n == 0)
            return fail_at(p, p->pos, MT_ERR_NOT_JSON, "invalid UTF-8 byte 0x%02x", c);
        p->pos += n;
    }
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool parse_number(struct parser *p, uint32_t node)
{
    size_t start = p->pos;
    bool integer = true;

    if (p->s[p->pos] == '-')
        p->pos++;
    if (p->pos >= p->len || !is_digit(p->s[p->pos]))
        return fail_at(p, start, MT_ERR_NOT_JSON, "invalid number");
    if (p->s[p->pos] == '0')
        p->pos++;
    else
        while (p->pos < p->len && is_digit(p->s[p->pos]))
            p->pos++;
    if (p->pos < p->len && p->s[p->pos] == '.') {
        integer = false;
        if (++p->pos >= p->len || !is_digit(p->s[p->pos]))
            return fail_at(p, start, MT_ERR_NOT_JSON, "invalid number");
        while (p->pos < p->len && is_digit(p->s[p->pos]))
            p->pos++;
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        integer = false;
        p->pos++;
        if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
            p->pos++;
        if (p->pos >= p->len || !is_digit(p->s[p->pos]))
            return fail_at(p, start, MT_ERR_NOT_JSON, "invalid number");
        while (p->pos < p->len && is_digit(p->s[p->pos]))
            p->pos++;
    }
    struct mt_json_node *n = &p->doc->nodes[node];
    n->integer = integer;
    n->text = (struct mt_str){(const char *)p->s + start, p->pos - start};
    return true;
}

static bool parse_literal(struct parser *p, const char *word, uint32_t node)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
        return fail_at(p, p->pos, MT_ERR_NOT_JSON, "invalid token");
    p->doc->nodes[node].text = (struct mt_str){(const char *)p->s + p->pos, n};
    p->pos += n;
    return true;
}

static bool parse_value(struct parser *p, int depth);

static int cmp_keys(const struct mt_json_node *nodes, uint32_t a, uint32_t b)
{
    struct mt_str x = nodes[a].text, y = nodes[b].text;
    if (x.len != y.len)
        return x.len < y.len ? -1 : 1;
    return memcmp(x.ptr, y.ptr, x.len);
}

/* Moves k[i] down the max-heap of the first n entries. */
static void sift_down(uint32_t *k, uint32_t i, uint32_t n, const struct mt_json_node *nodes)
{
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= n)
            return;
        if (child + 1 < n && cmp_keys(nodes, k[child], k[child + 1]) < 0)
            child++;
        if (cmp_keys(nodes, k[i], k[child]) >= 0)
            return;
        uint32_t t = k[i];
        k[i] = k[child];
        k[child] = t;
        i = child;
    }
}

/* Heap sort of key indices by key text: O(n log n), no recursion, no context-free qsort. */
static void sort_keys(uint32_t *k, uint32_t n, const struct mt_json_node *nodes)
{
    for (uint32_t i = n / 2; i-- > 0;)
        sift_down(k, i, n, nodes);
    for (uint32_t end = n; end-- > 1;) {
        uint32_t t = k[0];
        k[0] = k[end];
        k[end] = t;
        sift_down(k, 0, end, nodes);
    }
}

/*
 * Offset in the text of the opening quote of member number member (0-based)
 * of object obj.  The object's raw span was parsed already, so a plain scan
 * that tracks strings and nesting finds it; only error paths call this.
 */
static size_t key_offset(const struct parser *p, uint32_t obj, uint32_t member)
{
    struct mt_str span = p->doc->nodes[obj].text;
    size_t start = (size_t)((const unsigned char *)span.ptr - p->s);
    size_t depth = 0;
    uint32_t seen = 0;
    bool in_string = false, key_next = false;

    for (size_t i = start; i < start + span.len; i++) {
        unsigned char c = p->s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            if (depth == 1 && key_next && seen++ == member)
                return i;
            key_next = false;
            in_string = true;
        } else if (c == '{' || c == '[') {
            key_next = ++depth == 1;
        } else if (c == '}' || c == ']') {
            depth--;
        } else if (c == ',' && depth == 1) {
            key_next = true;
        }
    }
    return start;
}

/* Most bytes of a key's own text quoted in a message. */
#define KEY_QUOTE_MAX 40

/* Bytes in the UTF-8 character that starts with c (the text is valid UTF-8). */
static size_t utf8_char_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/*
 * Writes key into out (size bytes) as a quoted text on one line: '"' and
 * '\\' escaped, control bytes as \u00XX, and a key longer than
 * KEY_QUOTE_MAX bytes (or than out holds) cut after a whole character and
 * followed by "...".
 */
static void quote_key(struct mt_str key, char *out, size_t size)
{
    size_t budget = size - 6; /* the two quotes, "..." and the NUL */
    size_t n = 0, i = 0;

    out[n++] = '"';
    while (i < key.len) {
        unsigned char c = (unsigned char)key.ptr[i];
        bool control = c < 0x20 || c == 0x7f, escaped = c == '"' || c == '\\';
        size_t in = utf8_char_len(c);
        size_t outlen = control ? 6 : escaped ? 2 : in;
        if (i + in > KEY_QUOTE_MAX || i + in > key.len || n + outlen > budget + 1)
            break;
        if (control) {
            snprintf(out + n, 7, "\\u%04x", c);
        } else if (escaped) {
            out[n] = '\\';
            out[n + 1] = (char)c;
        } else {
            memcpy(out + n, key.ptr + i, in);
        }
        n += outlen;
        i += in;
    }
    out[n++] = '"';
    if (i < key.len) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

/*
 * Fails when object obj has a key twice, at the first member whose key an
 * earlier member already has, naming that key.
 */
static bool check_duplicates(struct parser *p, uint32_t obj)
{
    struct mt_json_doc *d = p->doc;
    uint32_t n = d->nodes[obj].count;
    uint32_t dup = MT_JSON_NONE; /* node index of the repeated key, earliest in the text */
    if (n < 2)
        return true;
    if (d->scratch_cap < n) {
        uint32_t *s = realloc(d->scratch, (size_t)n * sizeof(*s));
        if (s == NULL)
            return fail_at(p, p->pos, MT_ERR_NOMEM, "out of memory");
        d->scratch = s;
        d->scratch_cap = n;
    }
    uint32_t k = obj + 1;
    for (uint32_t i = 0; i < n; i++, k = d->nodes[k + 1].next)
        d->scratch[i] = k;

    if (n <= SMALL_OBJECT) {
        for (uint32_t j = 1; j < n && dup == MT_JSON_NONE; j++)
            for (uint32_t i = 0; i < j && dup == MT_JSON_NONE; i++)
                if (mt_str_eq(d->nodes[d->scratch[i]].text, d->nodes[d->scratch[j]].text))
                    dup = d->scratch[j];
    } else {
        /* In each run of equal keys the second in the text repeats the first. */
        sort_keys(d->scratch, n, d->nodes);
        for (uint32_t i = 0; i < n;) {
            uint32_t end = i + 1, first = d->scratch[i], second = MT_JSON_NONE;
            for (; end < n && mt_str_eq(d->nodes[d->scratch[i]].text,
                                        d->nodes[d->scratch[end]].text);
                 end++) {
                uint32_t at = d->scratch[end];
                if (at < first) {
                    second = first;
                    first = at;
                } else if (at < second) {
                    second = at;
                }
            }
            if (second < dup)
                dup = second;
            i = end;
        }
    }
    if (dup == MT_JSON_NONE)
        return true;

    uint32_t member = 0;
    for (k = obj + 1; k != dup; k = d->nodes[k + 1].next)
        member++;
    char quoted[KEY_QUOTE_MAX + 16];
    quote_key(d->nodes[dup].text, quoted, sizeof(quoted));
    return fail_at(p, key_offset(p, obj, member), MT_ERR_NOT_JSON, "duplicate object key %s",
                   quoted);
}

static bool parse_object(struct parser *p, uint32_t obj, int depth)
{
    p->pos++;
    skip_space(p);
    if (p->pos < p->len && p->s[p->pos] == '}') {
        p->pos++;
        return true;
    }
    for (;;) {
        if (p->pos >= p->len || p->s[p->pos] != '"')
            return fail_at(p, p->pos, MT_ERR_NOT_JSON,
                           p->pos >= p->len ? "unexpected end of input" : "string or '}' expected");
        uint32_t key = add_node(p, MT_JSON_STRING);
        struct mt_str text;
        if (key == MT_JSON_NONE || !parse_string(p, &text))
            return false;
        p->doc->nodes[key].text = text;
        skip_space(p);
        if (p->pos >= p->len || p->s[p->pos] != ':')
            return fail_at(p, p->pos, MT_ERR_NOT_JSON, "':' expected");
        p->pos++;
        if (!parse_value(p, depth + 1))
            return false;
        p->doc->nodes[obj].count++;
        skip_space(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            skip_space(p);
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == '}') {
            p->pos++;
            return true;
        }
        return fail_at(p, p->pos, MT_ERR_NOT_JSON,
                       p->pos >= p->len ? "unexpected end of input" : "',' or '}' expected");
    }
}

static bool parse_array(struct parser *p, uint32_t arr, int depth)
{
    p->pos++;
    skip_space(p);
    if (p->pos < p->len && p->s[p->pos] == ']') {
        p->pos++;
        return true;
    }
    for (;;) {
        if (!parse_value(p, depth + 1))
            return false;
        p->doc->nodes[arr].count++;
        skip_space(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == ']') {
            p->pos++;
            return true;
        }
        return fail_at(p, p->pos, MT_ERR_NOT_JSON,
                       p->pos >= p->len ? "unexpected end of input" : "',' or ']' expected");
    }
}

/* Parses one value at p->pos (after optional whitespace). */
static bool parse_value(struct parser *p, int depth)
{
    skip_space(p);
    if (p->pos >= p->len)
        return fail_at(p, p->pos, MT_ERR_NOT_JSON, "unexpected end of input");
    if (depth > MT_JSON_MAX_DEPTH)
        return fail_at(p, p->pos, MT_ERR_NOT_JSON, "nesting deeper than %d", MT_JSON_MAX_DEPTH);

    size_t start = p->pos;
    unsigned char c = p->s[p->pos];
    enum mt_json_type type = c == '{'   ? MT_JSON_OBJECT
                             : c == '[' ? MT_JSON_ARRAY
                             : c == '"' ? MT_JSON_STRING
                             : c == 't' ? MT_JSON_TRUE
                             : c == 'f' ? MT_JSON_FALSE
                             : c == 'n' ? MT_JSON_NULL
                                        : MT_JSON_NUMBER;
    uint32_t node = add_node(p, type);
    if (node == MT_JSON_NONE)
        return false;

    bool ok;
    struct mt_str text;
    switch (type) {
    case MT_JSON_OBJECT:
        ok = parse_object(p, node, depth);
        break;
    case MT_JSON_ARRAY:
        ok = parse_array(p, node, depth);
        break;
    case MT_JSON_STRING:
        ok = parse_string(p, &text);
        if (ok)
            p->doc->nodes[node].text = text;
        break;
    case MT_JSON_TRUE: ok = parse_literal(p, "true", node); break;
    case MT_JSON_FALSE: ok = parse_literal(p, "false", node); break;
    case MT_JSON_NULL: ok = parse_literal(p, "null", node); break;
    default:
        if (c != '-' && !is_digit(c))
            return fail_at(p, p->pos, MT_ERR_NOT_JSON, "invalid token");
        ok = parse_number(p, node);
        break;
    }
    if (!ok)
        return false;

    struct mt_json_node *n = &p->doc->nodes[node];
    n->next = p->doc->count;
    if (type == MT_JSON_OBJECT || type == MT_JSON_ARRAY)
        n->text = (struct mt_str){(const char *)p->s + start, p->pos - start};
    return type != MT_JSON_OBJECT || check_duplicates(p, node);
}

/* Fills line and column of the error from its offset. */
static void locate(struct mt_json_error *e, struct mt_str text)
{
    e->line = 1;
    e->column = 1;
    for (size_t i = 0; i < e->offset && i < text.len; i++) {
        if (text.ptr[i] == '\n') {
            e->line++;
            e->column = 1;
        } else {
            e->column++;
        }
    }
}

enum mt_status mt_json_parse(struct mt_json_doc *doc, struct mt_str text, uint32_t *root,
                             struct mt_json_error *error)
{
    struct parser p = {
        .doc = doc,
        .s = (const unsigned char *)(text.ptr ? text.ptr : ""),
        .len = text.len,
        .error = error,
        .status = MT_OK,
    };
    uint32_t first = doc->count;

    if (parse_value(&p, 1)) {
        skip_space(&p);
        if (p.pos != p.len)
            fail_at(&p, p.pos, MT_ERR_NOT_JSON, "content after the end of the document");
    }
    if (p.status != MT_OK) {
        doc->count = first;
        if (error != NULL)
            locate(error, text);
        return p.status;
    }
    *root = first;
    return MT_OK;
}

enum mt_json_type mt_json_type_of(const struct mt_json_doc *doc, uint32_t i)
{
    return i == MT_JSON_NONE ? MT_JSON_NULL : (enum mt_json_type)doc->nodes[i].type;
}

uint32_t mt_json_first(const struct mt_json_doc *doc, uint32_t c)
{
    if (c == MT_JSON_NONE || doc->nodes[c].count == 0)
        return MT_JSON_NONE;
    return c + 1;
}

uint32_t mt_json_next(const struct mt_json_doc *doc, uint32_t parent, uint32_t i)
{
    uint32_t after = doc->nodes[parent].type == MT_JSON_OBJECT ? doc->nodes[i + 1].next
                                                                : doc->nodes[i].next;
    return after < doc->nodes[parent].next ? after : MT_JSON_NONE;
}

uint32_t mt_json_get(const struct mt_json_doc *doc, uint32_t obj, const char *key)
{
    if (obj == MT_JSON_NONE || doc->nodes[obj].type != MT_JSON_OBJECT)
        return MT_JSON_NONE;
    size_t n = strlen(key);
    for (uint32_t k = mt_json_first(doc, obj); k != MT_JSON_NONE; k = mt_json_next(doc, obj, k)) {
        struct mt_str t = doc->nodes[k].text;
        if (t.len == n && memcmp(t.ptr, key, n) == 0)
            return k + 1;
    }
    return MT_JSON_NONE;
}

uint32_t mt_json_at(const struct mt_json_doc *doc, uint32_t arr, uint32_t n)
{
    if (arr == MT_JSON_NONE || doc->nodes[arr].type != MT_JSON_ARRAY || n >= doc->nodes[arr].count)
        return MT_JSON_NONE;
    uint32_t e = arr + 1;
    while (n-- > 0)
        e = doc->nodes[e].next;
    return e;
}

struct mt_str mt_json_str(const struct mt_json_doc *doc, uint32_t i)
{
    if (i == MT_JSON_NONE || doc->nodes[i].type != MT_JSON_STRING)
        return MT_STR_NULL;
    return doc->nodes[i].text;
}

bool mt_json_int(const struct mt_json_doc *doc, uint32_t i, int64_t *out)
{
    if (i == MT_JSON_NONE || doc->nodes[i].type != MT_JSON_NUMBER || !doc->nodes[i].integer)
        return false;
    struct mt_str t = doc->nodes[i].text;
    bool neg = t.ptr[0] == '-';
    uint64_t v = 0;
    for (size_t k = neg; k < t.len; k++) {
        unsigned d = (unsigned)(t.ptr[k] - '0');
        if (v > (UINT64_C(9223372036854775808) - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (!neg && v > INT64_MAX)
        return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

const char *mt_json_kind(const struct mt_json_doc *doc, uint32_t i)
{
    static const char *const kinds[] = {"null", "a boolean", "a boolean", "a number",
                                        "a string", "an array", "an object"};
    if (i == MT_JSON_NONE)
        return "missing";
    return kinds[doc->nodes[i].type];
}
