/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The AWS shared config and credentials files, as the AWS SDKs and Tools
 * reference guide ("The shared config and credentials files", file format)
 * describes them: INI sections, "key = value" lines, full-line comments
 * starting with '#' or ';', and indented "subkey = value" lines under a key
 * whose own value is empty (used by "[services name]" sections).
 *
 * Left out: inline comments, values continued over several lines, and
 * sections named with a different case.  Keys are matched without regard to
 * case, as the AWS CLI does.  Error details give the file and line number but
 * never the line, which may hold a secret.
 */
#include "aws_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static struct mt_str trim(struct mt_str s)
{
    while (s.len > 0 && is_blank(s.ptr[0])) {
        s.ptr++;
        s.len--;
    }
    while (s.len > 0 && (is_blank(s.ptr[s.len - 1]) || s.ptr[s.len - 1] == '\r'))
        s.len--;
    return s;
}

static bool str_ieq(struct mt_str s, const char *c)
{
    return s.ptr != NULL && s.len == strlen(c) && strncasecmp(s.ptr, c, s.len) == 0;
}

static enum mt_status add_entry(struct aws_ini *ini, const struct aws_ini_entry *e)
{
    if (ini->count == ini->cap) {
        size_t cap = ini->cap ? ini->cap * 2 : 16;
        struct aws_ini_entry *grown = realloc(ini->entries, cap * sizeof(*grown));
        if (grown == NULL)
            return MT_ERR_NOMEM;
        ini->entries = grown;
        ini->cap = cap;
    }
    ini->entries[ini->count++] = *e;
    return MT_OK;
}

/* Splits "[kind name]" into the current section of cur. */
static bool parse_section(struct mt_str line, bool is_config, struct aws_ini_entry *cur)
{
    if (line.len < 2 || line.ptr[line.len - 1] != ']')
        return false;
    struct mt_str inner = trim((struct mt_str){line.ptr + 1, line.len - 2});
    const char *sp = memchr(inner.ptr, ' ', inner.len);
    struct mt_str word = {inner.ptr, sp ? (size_t)(sp - inner.ptr) : inner.len};
    struct mt_str rest = sp ? trim((struct mt_str){sp + 1, inner.len - word.len - 1}) : inner;

    cur->kind = AWS_SECTION_PROFILE;
    cur->section = inner;
    if (is_config && sp != NULL) {
        cur->section = rest;
        if (str_ieq(word, "profile"))
            cur->kind = AWS_SECTION_PROFILE;
        else if (str_ieq(word, "services"))
            cur->kind = AWS_SECTION_SERVICES;
        else
            cur->kind = AWS_SECTION_OTHER;
    }
    return cur->section.len > 0;
}

/* Splits "key = value"; false when there is no '=' or no key. */
static bool parse_pair(struct mt_str line, struct mt_str *key, struct mt_str *value)
{
    const char *eq = memchr(line.ptr, '=', line.len);
    if (eq == NULL)
        return false;
    *key = trim((struct mt_str){line.ptr, (size_t)(eq - line.ptr)});
    *value = trim((struct mt_str){eq + 1, line.len - (size_t)(eq - line.ptr) - 1});
    return key->len > 0;
}

/* State carried from line to line. */
struct parse_state {
    struct aws_ini_entry cur; /* current section; key set while sub-keys may follow */
    bool in_section;
    bool parent_open;         /* the last top-level key had an empty value */
};

/* Handles one line.  false when it is malformed. */
static bool parse_line(struct aws_ini *ini, struct parse_state *ps, struct mt_str raw,
                       bool is_config, enum mt_status *st)
{
    struct mt_str line = trim(raw);
    struct aws_ini_entry e;

    if (line.len == 0 || line.ptr[0] == '#' || line.ptr[0] == ';')
        return true;
    if (line.ptr[0] == '[') {
        memset(&ps->cur, 0, sizeof(ps->cur));
        ps->in_section = parse_section(line, is_config, &ps->cur);
        ps->parent_open = false;
        e = ps->cur;
        *st = ps->in_section ? add_entry(ini, &e) : MT_OK;
        return ps->in_section;
    }

    e = ps->cur;
    e.subkey = MT_STR_NULL;
    if (!ps->in_section || !parse_pair(line, &e.key, &e.value))
        return false;
    if (is_blank(raw.ptr[0])) {
        if (!ps->parent_open)
            return false;
        e.subkey = e.key;
        e.key = ps->cur.key;
    } else {
        ps->cur.key = e.key;
        ps->parent_open = e.value.len == 0;
    }
    *st = add_entry(ini, &e);
    return true;
}

enum mt_status aws_ini_parse(struct aws_ini *ini, struct mt_buf *text, bool is_config,
                             const char *path, struct mt_err *err)
{
    struct parse_state ps;
    enum mt_status st = MT_OK;
    long line_no = 0;

    memset(ini, 0, sizeof(*ini));
    memset(&ps, 0, sizeof(ps));
    ini->text = *text;
    mt_buf_init(text, 0);

    struct mt_str all = mt_buf_str(&ini->text);
    for (size_t pos = 0; st == MT_OK && pos < all.len;) {
        const char *nl = memchr(all.ptr + pos, '\n', all.len - pos);
        size_t end = nl ? (size_t)(nl - all.ptr) : all.len;
        line_no++;
        if (!parse_line(ini, &ps, (struct mt_str){all.ptr + pos, end - pos}, is_config, &st))
            return mt_err_set(err, MT_ERR_CONFIG,
                              "'%s' line %ld: expected [section], key = value or a comment",
                              path, line_no);
        pos = end + 1;
    }
    if (st != MT_OK)
        return mt_err_set(err, st, "out of memory reading '%s'", path);
    return MT_OK;
}

/*
 * Reads the whole file into text.  ENOENT gives an empty text.  The buffer is
 * sized from the file up front so that it is not reallocated, which would
 * leave a copy of secrets behind in freed memory.
 */
static enum mt_status read_file(const char *path, struct mt_buf *text, struct mt_err *err)
{
    char chunk[4096];
    size_t n;
    struct stat info;
    enum mt_status st = MT_OK;
    FILE *f = fopen(path, "rb");

    if (f == NULL && errno == ENOENT)
        return MT_OK;
    if (f == NULL)
        return mt_err_set(err, MT_ERR_CONFIG, "cannot read '%s': %s", path, strerror(errno));
    if (fstat(fileno(f), &info) == 0 && info.st_size > 0)
        st = mt_buf_reserve(text, (size_t)info.st_size < AWS_INI_MAX_BYTES
                                      ? (size_t)info.st_size : AWS_INI_MAX_BYTES);
    while (st == MT_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        st = mt_buf_append(text, chunk, n);
    bool failed = ferror(f) != 0;
    fclose(f);
    mt_secure_zero(chunk, sizeof(chunk));
    if (st == MT_ERR_TOO_LARGE)
        return mt_err_set(err, MT_ERR_CONFIG, "'%s' is larger than %d bytes", path,
                          AWS_INI_MAX_BYTES);
    if (st != MT_OK || failed)
        return mt_err_set(err, st != MT_OK ? st : MT_ERR_CONFIG, "cannot read '%s'", path);
    return MT_OK;
}

enum mt_status aws_ini_load(struct aws_ini *ini, const char *path, bool is_config,
                            struct mt_err *err)
{
    struct mt_buf text;

    memset(ini, 0, sizeof(*ini));
    mt_buf_init(&text, AWS_INI_MAX_BYTES);
    enum mt_status st = read_file(path, &text, err);
    if (st == MT_OK)
        st = aws_ini_parse(ini, &text, is_config, path, err);
    mt_buf_cleanup_secure(&text);
    return st;
}

struct mt_str aws_ini_get(const struct aws_ini *ini, enum aws_section_kind kind,
                          const char *section, const char *key, const char *subkey)
{
    for (size_t i = 0; i < ini->count; i++) {
        const struct aws_ini_entry *e = &ini->entries[i];
        if (e->kind != kind || e->key.ptr == NULL || !mt_str_eq_cstr(e->section, section))
            continue;
        if (!str_ieq(e->key, key))
            continue;
        if (subkey == NULL ? e->subkey.ptr == NULL : str_ieq(e->subkey, subkey))
            return e->value;
    }
    return MT_STR_NULL;
}

bool aws_ini_has_section(const struct aws_ini *ini, enum aws_section_kind kind,
                         const char *section)
{
    for (size_t i = 0; i < ini->count; i++) {
        if (ini->entries[i].kind == kind && mt_str_eq_cstr(ini->entries[i].section, section))
            return true;
    }
    return false;
}

void aws_ini_cleanup(struct aws_ini *ini)
{
    if (ini->entries != NULL)
        mt_secure_zero(ini->entries, ini->cap * sizeof(*ini->entries));
    free(ini->entries);
    mt_buf_cleanup_secure(&ini->text);
    memset(ini, 0, sizeof(*ini));
}
