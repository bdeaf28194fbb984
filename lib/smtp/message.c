/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Composition of the test message: checks of what goes into headers, the
 * Date and Message-ID, the subject and the body.
 *
 * Follows RFC 5322 (header fields, date-time, folding), RFC 2045 6.7
 * (quoted-printable), RFC 2047 (encoded words: at most 75 characters each,
 * whole characters only, since a decoder may show each word on its own) and
 * the SES developer guide on X-SES-CONFIGURATION-SET and X-SES-MESSAGE-TAGS.
 * Every value that reaches a header is checked first, so no input can add
 * a header line.
 *
 * LIMITATION: addresses are bare ASCII addr-specs; display names ("Name
 * <a@example.com>"), quoted local parts, address literals and non-ASCII
 * (SMTPUTF8) addresses are refused with MT_ERR_INVALID, so such a sender or
 * recipient cannot be used for a test message.  Multipart bodies are left
 * out too.
 */
#include "smtp_int.h"

#include "mt/clock.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

#define TAG_PART_MAX          255
#define CONFIGURATION_SET_MAX 64
#define SIMULATOR_LABEL_MAX   64
#define ADDRESS_MAX           254
#define LOCAL_PART_MAX        64
#define QP_LINE_MAX           76
#define WORD_PREFIX           "=?UTF-8?B?"
#define WORD_SUFFIX           "?="

static bool is_tag_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* Describes a byte for a message: "'x'" when printable, else "byte 0xNN". */
static const char *describe_byte(char c, char buf[16])
{
    unsigned char u = (unsigned char)c;
    if (u > ' ' && u < 0x7f)
        snprintf(buf, 16, "'%c'", c);
    else
        snprintf(buf, 16, "byte 0x%02X", u);
    return buf;
}

/* Checks one half of a tag, the value when is_value; messages show the whole tag. */
static enum mt_status check_tag_part(struct mt_smtp_tag t, bool is_value, struct mt_err *err)
{
    struct mt_str part = is_value ? t.value : t.name;
    const char *what = is_value ? "value" : "name";
    size_t offset = is_value ? t.name.len + 1 : 0;
    char b[16];

    if (part.len == 0 || part.len > TAG_PART_MAX)
        return mt_err_set(err, MT_ERR_INVALID,
                          "tag '%.*s=%.*s': the %s must have 1 to %d characters", (int)t.name.len,
                          t.name.ptr ? t.name.ptr : "", (int)t.value.len,
                          t.value.ptr ? t.value.ptr : "", what, TAG_PART_MAX);
    for (size_t i = 0; i < part.len; i++) {
        if (!is_tag_char(part.ptr[i]))
            return mt_err_set(err, MT_ERR_INVALID,
                              "tag '%.*s=%.*s': %s at position %zu is not allowed; tags may "
                              "hold only A-Z a-z 0-9 _ -",
                              (int)t.name.len, t.name.ptr, (int)t.value.len, t.value.ptr,
                              describe_byte(part.ptr[i], b), offset + i + 1);
    }
    return MT_OK;
}

enum mt_status mt_smtp_tag_parse(struct mt_str text, struct mt_smtp_tag *tag, struct mt_err *err)
{
    const char *eq = text.ptr ? memchr(text.ptr, '=', text.len) : NULL;
    if (eq == NULL)
        return mt_err_set(err, MT_ERR_INVALID, "tag '%.*s' is not NAME=VALUE", (int)text.len,
                          text.ptr ? text.ptr : "");

    size_t name_len = (size_t)(eq - text.ptr);
    tag->name = (struct mt_str){text.ptr, name_len};
    tag->value = (struct mt_str){eq + 1, text.len - name_len - 1};

    enum mt_status st = check_tag_part(*tag, false, err);
    if (st == MT_OK)
        st = check_tag_part(*tag, true, err);
    return st;
}

enum mt_status mt_smtp_configuration_set_check(struct mt_str name, struct mt_err *err)
{
    char b[16];

    if (name.ptr == NULL || name.len == 0 || name.len > CONFIGURATION_SET_MAX)
        return mt_err_set(err, MT_ERR_INVALID,
                          "a configuration set name must have 1 to %d characters",
                          CONFIGURATION_SET_MAX);
    for (size_t i = 0; i < name.len; i++) {
        if (!is_tag_char(name.ptr[i]))
            return mt_err_set(err, MT_ERR_INVALID,
                              "configuration set '%.*s': %s at position %zu is not allowed; "
                              "names may hold only A-Z a-z 0-9 _ -",
                              (int)name.len, name.ptr, describe_byte(name.ptr[i], b), i + 1);
    }
    return MT_OK;
}

/* Printable ASCII that may stand in a bare address without quoting. */
static bool is_address_char(char c)
{
    return c > ' ' && c < 0x7f && strchr("\"(),:;<>[\\]", c) == NULL;
}

/* A domain with an inner dot and no second '@'; the DNS decides the rest. */
static bool domain_is_plausible(struct mt_str d)
{
    return d.len > 0 && memchr(d.ptr, '@', d.len) == NULL && memchr(d.ptr, '.', d.len) != NULL &&
           d.ptr[0] != '.' && d.ptr[d.len - 1] != '.';
}

enum mt_status mt_smtp_address_check(struct mt_str a, const char *role, struct mt_err *err)
{
    char b[16];

    if (a.ptr == NULL || a.len == 0)
        return mt_err_set(err, MT_ERR_INVALID, "the %s address is empty", role);
    if (a.len > ADDRESS_MAX)
        return mt_err_set(err, MT_ERR_INVALID, "%s address '%.*s' is longer than %d bytes", role,
                          (int)a.len, a.ptr, ADDRESS_MAX);
    for (size_t i = 0; i < a.len; i++) {
        if (!is_address_char(a.ptr[i]))
            return mt_err_set(err, MT_ERR_INVALID,
                              "%s address '%.*s' has %s at position %zu; give a bare address "
                              "like name@example.com",
                              role, (int)a.len, a.ptr, describe_byte(a.ptr[i], b), i + 1);
    }

    const char *at = memchr(a.ptr, '@', a.len);
    size_t local = at ? (size_t)(at - a.ptr) : 0;
    struct mt_str domain = at ? (struct mt_str){at + 1, a.len - local - 1} : MT_STR_NULL;
    if (at == NULL || local == 0 || local > LOCAL_PART_MAX || !domain_is_plausible(domain))
        return mt_err_set(err, MT_ERR_INVALID, "%s address '%.*s' is not of the form local@domain",
                          role, (int)a.len, a.ptr);
    return MT_OK;
}

static bool is_label_char(char c)
{
    return is_tag_char(c) || c == '.';
}

enum mt_status mt_smtp_simulator_address(struct mt_str spec, struct mt_buf *out, struct mt_err *err)
{
    static const char *const kinds[] = {"success", "bounce", "complaint", "ooto",
                                        "suppressionlist"};
    const char *plus = spec.ptr ? memchr(spec.ptr, '+', spec.len) : NULL;
    struct mt_str kind = {spec.ptr, plus ? (size_t)(plus - spec.ptr) : spec.len};
    struct mt_str label = plus ? (struct mt_str){plus + 1, spec.len - kind.len - 1} : MT_STR_NULL;
    bool known = false;

    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && !known; i++)
        known = mt_str_eq_cstr(kind, kinds[i]);
    if (!known)
        return mt_err_set(err, MT_ERR_INVALID,
                          "'%.*s' is not a mailbox simulator kind; use success, bounce, "
                          "complaint, ooto or suppressionlist",
                          (int)kind.len, kind.ptr ? kind.ptr : "");

    bool label_ok = !plus || (label.len > 0 && label.len <= SIMULATOR_LABEL_MAX &&
                              label.ptr[0] != '.' && label.ptr[label.len - 1] != '.');
    for (size_t i = 0; label_ok && i < label.len; i++)
        label_ok = is_label_char(label.ptr[i]) && !(label.ptr[i] == '.' && label.ptr[i + 1] == '.');
    if (!label_ok)
        return mt_err_set(err, MT_ERR_INVALID,
                          "simulator label '%.*s' must have 1 to %d of A-Z a-z 0-9 _ - and "
                          "single inner dots",
                          (int)label.len, label.ptr, SIMULATOR_LABEL_MAX);

    mt_buf_reset(out);
    return mt_buf_appendf(out, "%.*s@simulator.amazonses.com", (int)spec.len, spec.ptr);
}

enum mt_status mt_smtp_message_id_new(const char *from, struct mt_buf *out, struct mt_err *err)
{
    unsigned char rnd[16];
    enum mt_status st = mt_smtp_address_check(mt_str_from_cstr(from), "sender", err);
    if (st != MT_OK)
        return st;

    const char *at = strrchr(from, '@');
    if (RAND_bytes(rnd, (int)sizeof(rnd)) != 1)
        return mt_err_set(err, MT_ERR_IO, "the random generator failed to make a Message-ID");

    mt_buf_reset(out);
    for (size_t i = 0; i < sizeof(rnd) && st == MT_OK; i++)
        st = mt_buf_appendf(out, "%02x", rnd[i]);
    if (st == MT_OK)
        st = mt_buf_appendf(out, "@%s", at + 1);
    return st;
}

void smtp_date_format(int64_t ms, char out[SMTP_DATE_LEN + 1])
{
    static const char days[7][4] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct mt_tm tm;

    mt_time_split(ms, &tm);
    int64_t day = mt_days_from_civil(tm.year, tm.month, tm.day);
    int weekday = (int)(((day % 7) + 7 + 3) % 7); /* 1970-01-01 was a Thursday */
    snprintf(out, SMTP_DATE_LEN + 1, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[weekday], tm.day,
             months[tm.month - 1], tm.year % 10000, tm.hour, tm.minute, tm.second);
}

/*
 * True when the subject can go as is: printable ASCII, no "=?" to confuse
 * decoders, and no word so long that the line holding it would pass RFC
 * 5322's 998-character limit (plain subjects fold only at spaces).  Anything
 * else is written as encoded words, which fold anywhere.
 */
static bool subject_is_plain(struct mt_str s)
{
    size_t word = 0;
    for (size_t i = 0; i < s.len; i++) {
        word = s.ptr[i] == ' ' ? 0 : word + 1;
        if (word > 900)
            return false;
        if (s.ptr[i] < ' ' || s.ptr[i] > '~')
            return false;
        if (s.ptr[i] == '=' && i + 1 < s.len && s.ptr[i + 1] == '?')
            return false;
    }
    return true;
}

static enum mt_status check_subject(struct mt_str s, struct mt_err *err)
{
    if (!mt_utf8_valid(s))
        return mt_err_set(err, MT_ERR_INVALID, "the subject is not valid UTF-8");
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c < ' ' || c == 0x7f)
            return mt_err_set(err, MT_ERR_INVALID,
                              "the subject has a control character (byte 0x%02X) at byte %zu", c,
                              i + 1);
    }
    return MT_OK;
}

/*
 * Appends a plain subject, folding before a space where a line would pass
 * SMTP_LINE_MAX.  A word longer than a line stays whole (RFC 5322 allows
 * lines to 998 characters), and a fold never leaves a line of spaces only.
 */
static enum mt_status append_plain_subject(struct mt_buf *out, struct mt_str s)
{
    size_t line = strlen("Subject: ");
    size_t i = 0;
    enum mt_status st = mt_buf_append_cstr(out, "Subject: ");

    while (st == MT_OK && i < s.len) {
        size_t next = i + 1; /* the next fold point: a space after a non-space */
        while (next < s.len && !(s.ptr[next] == ' ' && s.ptr[next - 1] != ' '))
            next++;
        bool foldable = s.ptr[i] == ' ' && s.ptr[next - 1] != ' ' && line > strlen("Subject: ");
        if (foldable && line + (next - i) > SMTP_LINE_MAX) {
            st = mt_buf_append_cstr(out, "\r\n");
            line = 0;
        }
        if (st == MT_OK)
            st = mt_buf_append(out, s.ptr + i, next - i);
        line += next - i;
        i = next;
    }
    return st == MT_OK ? mt_buf_append_cstr(out, "\r\n") : st;
}

/* Bytes of the UTF-8 character that starts with lead (input already checked). */
static size_t utf8_char_len(unsigned char lead)
{
    return lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
}

/*
 * Appends the subject as encoded words.  A line holds "Subject: " or one
 * space, then one word; the word carries as many whole characters as fit in
 * SMTP_LINE_MAX once base64-encoded.
 */
static enum mt_status append_encoded_subject(struct mt_buf *out, struct mt_str s)
{
    const size_t overhead = strlen(WORD_PREFIX) + strlen(WORD_SUFFIX);
    size_t lead = strlen("Subject: ");
    size_t i = 0;
    enum mt_status st = mt_buf_append_cstr(out, "Subject:");

    while (st == MT_OK && i < s.len) {
        size_t room = (SMTP_LINE_MAX - lead - overhead) / 4 * 3; /* raw bytes per word */
        size_t n = 0;
        while (i + n < s.len && n + utf8_char_len((unsigned char)s.ptr[i + n]) <= room)
            n += utf8_char_len((unsigned char)s.ptr[i + n]);

        unsigned char b64[SMTP_LINE_MAX + 1];
        EVP_EncodeBlock(b64, (const unsigned char *)s.ptr + i, (int)n);
        st = mt_buf_appendf(out, "%s" WORD_PREFIX "%s" WORD_SUFFIX, i == 0 ? " " : "\r\n ",
                            (const char *)b64);
        i += n;
        lead = 1;
    }
    return st == MT_OK ? mt_buf_append_cstr(out, "\r\n") : st;
}

enum mt_status smtp_subject_append(struct mt_buf *out, struct mt_str subject, struct mt_err *err)
{
    if (subject.ptr == NULL)
        subject = MT_STR_LIT("");

    enum mt_status st = check_subject(subject, err);
    if (st != MT_OK)
        return st;

    if (subject_is_plain(subject))
        return append_plain_subject(out, subject);
    return append_encoded_subject(out, subject);
}

/* Characters that stand for themselves in quoted-printable. */
static bool qp_is_literal(unsigned char c)
{
    return (c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t';
}

/*
 * Appends one encoded unit (a byte or "=XX") to the current line, after a
 * soft line break when the unit would not fit with room left for "=".
 */
static enum mt_status qp_put(struct mt_buf *out, size_t *line, const char *unit, size_t len)
{
    enum mt_status st = MT_OK;
    if (*line + len > QP_LINE_MAX - 1) {
        st = mt_buf_append_cstr(out, "=\r\n");
        *line = 0;
    }
    if (st == MT_OK)
        st = mt_buf_append(out, unit, len);
    *line += len;
    return st;
}

enum mt_status smtp_qp_append(struct mt_buf *out, struct mt_str body)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t line = 0;
    enum mt_status st = MT_OK;

    for (size_t i = 0; st == MT_OK && i < body.len; i++) {
        unsigned char c = (unsigned char)body.ptr[i];
        bool crlf = c == '\r' && i + 1 < body.len && body.ptr[i + 1] == '\n';
        if (c == '\n' || crlf) {
            st = mt_buf_append_cstr(out, "\r\n");
            line = 0;
            i += crlf;
            continue;
        }

        bool at_line_end = i + 1 == body.len || body.ptr[i + 1] == '\n' ||
                           (body.ptr[i + 1] == '\r' && i + 2 < body.len && body.ptr[i + 2] == '\n');
        if (qp_is_literal(c) && !((c == ' ' || c == '\t') && at_line_end)) {
            st = qp_put(out, &line, (const char *)&c, 1);
        } else {
            char unit[3] = {'=', hex[c >> 4], hex[c & 15]};
            st = qp_put(out, &line, unit, 3);
        }
    }
    if (st == MT_OK && (body.len == 0 || body.ptr[body.len - 1] != '\n'))
        st = mt_buf_append_cstr(out, "\r\n");
    return st;
}

static enum mt_status check_message(const struct mt_smtp_message *m, struct mt_err *err)
{
    enum mt_status st = mt_smtp_address_check(mt_str_from_cstr(m->from), "sender", err);
    if (st == MT_OK && m->to_count == 0)
        st = mt_err_set(err, MT_ERR_INVALID, "the message has no recipient");
    for (size_t i = 0; st == MT_OK && i < m->to_count; i++)
        st = mt_smtp_address_check(mt_str_from_cstr(m->to[i]), "recipient", err);
    if (st == MT_OK && m->configuration_set != NULL)
        st = mt_smtp_configuration_set_check(mt_str_from_cstr(m->configuration_set), err);
    for (size_t i = 0; st == MT_OK && i < m->tag_count; i++) {
        st = check_tag_part(m->tags[i], false, err);
        if (st == MT_OK)
            st = check_tag_part(m->tags[i], true, err);
    }
    if (st == MT_OK && m->body.ptr != NULL && !mt_utf8_valid(m->body))
        st = mt_err_set(err, MT_ERR_INVALID, "the message body is not valid UTF-8 text");
    return st;
}

/*
 * Appends one item of a comma-separated header: ", item" on the same line
 * while it fits in SMTP_LINE_MAX with room for a later ",", else ",", a fold
 * and " item".  *line is the length of the current line so far.
 */
static enum mt_status append_item(struct mt_buf *out, size_t *line, bool first, const char *item,
                                  size_t len)
{
    enum mt_status st = MT_OK;
    if (!first && *line + 2 + len + 1 > SMTP_LINE_MAX) {
        st = mt_buf_append_cstr(out, ",\r\n ");
        *line = 1;
    } else if (!first) {
        st = mt_buf_append_cstr(out, ", ");
        *line += 2;
    }
    if (st == MT_OK)
        st = mt_buf_append(out, item, len);
    *line += len;
    return st;
}

/* Appends the X-SES headers that select the configuration set and tags. */
static enum mt_status append_ses_headers(struct mt_buf *out, const struct mt_smtp_message *m)
{
    enum mt_status st = MT_OK;
    size_t line = strlen("X-SES-MESSAGE-TAGS: ");
    char tag[2 * TAG_PART_MAX + 2];

    if (m->configuration_set != NULL)
        st = mt_buf_appendf(out, "X-SES-CONFIGURATION-SET: %s\r\n", m->configuration_set);
    if (st == MT_OK && m->tag_count > 0)
        st = mt_buf_append_cstr(out, "X-SES-MESSAGE-TAGS: ");
    for (size_t i = 0; st == MT_OK && i < m->tag_count; i++) {
        const struct mt_smtp_tag *t = &m->tags[i];
        int n = snprintf(tag, sizeof(tag), "%.*s=%.*s", (int)t->name.len, t->name.ptr,
                         (int)t->value.len, t->value.ptr);
        st = append_item(out, &line, i == 0, tag, (size_t)n);
    }
    if (st == MT_OK && m->tag_count > 0)
        st = mt_buf_append_cstr(out, "\r\n");
    return st;
}

/* Appends "To:" with every recipient, folded between addresses where needed. */
static enum mt_status append_to(struct mt_buf *out, const struct mt_smtp_message *m)
{
    size_t line = strlen("To: ");
    enum mt_status st = mt_buf_append_cstr(out, "To: ");

    for (size_t i = 0; st == MT_OK && i < m->to_count; i++)
        st = append_item(out, &line, i == 0, m->to[i], strlen(m->to[i]));
    return st == MT_OK ? mt_buf_append_cstr(out, "\r\n") : st;
}

enum mt_status mt_smtp_message_format(const struct mt_smtp_message *m, struct mt_buf *out,
                                      struct mt_err *err)
{
    char date[SMTP_DATE_LEN + 1];
    struct mt_buf id;
    enum mt_status st;

    mt_buf_init(&id, 512);
    mt_buf_reset(out);
    st = check_message(m, err);
    if (st != MT_OK)
        goto out;

    if (m->message_id != NULL)
        st = mt_buf_append_cstr(&id, m->message_id);
    else
        st = mt_smtp_message_id_new(m->from, &id, err);
    if (st != MT_OK)
        goto out;

    smtp_date_format(m->date_ms, date);
    st = mt_buf_appendf(out, "Date: %s\r\nFrom: %s\r\n", date, m->from);
    if (st == MT_OK)
        st = append_to(out, m);
    if (st == MT_OK)
        st = smtp_subject_append(out, m->subject, err);
    if (st == MT_OK)
        st = mt_buf_appendf(out,
                            "Message-ID: <%s>\r\nMIME-Version: 1.0\r\n"
                            "Content-Type: text/plain; charset=UTF-8\r\n"
                            "Content-Transfer-Encoding: quoted-printable\r\n",
                            id.data);
    if (st == MT_OK)
        st = append_ses_headers(out, m);
    if (st == MT_OK)
        st = mt_buf_append_cstr(out, "\r\n");
    if (st == MT_OK)
        st = smtp_qp_append(out, m->body.ptr ? m->body : MT_STR_LIT(""));
    if (st != MT_OK)
        mt_err_set(err, st, "cannot compose the message: %s", mt_status_str(st));

out:
    mt_buf_cleanup(&id);
    return st;
}
