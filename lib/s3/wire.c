/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 addressing and the few XML bodies mailtrack reads and writes.  Pure:
 * no I/O.
 *
 * The XML reader is deliberately minimal: it finds the first element of a
 * name and decodes the five predefined entities and ASCII character
 * references.  That is enough for InitiateMultipartUploadResult/UploadId and
 * Error/Code and Message, whose values never nest; it is not an XML parser.
 * Bucket-name rules: S3 user guide, "General purpose bucket naming rules".
 */
#include "mt/s3.h"

#include "mt/sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool bucket_valid(const char *b, size_t len)
{
    if (len < 3 || len > 63)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = b[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return false;
    }
    return b[0] != '.' && b[0] != '-' && b[len - 1] != '.' && b[len - 1] != '-';
}

enum mt_status mt_s3_target_parse(const char *uri, struct mt_s3_target *out, struct mt_err *err)
{
    memset(out, 0, sizeof(*out));
    if (strncmp(uri, "s3://", 5) != 0)
        return mt_err_set(err, MT_ERR_INVALID, "'%s' is not an s3://bucket/prefix/ URI", uri);

    const char *bucket = uri + 5;
    size_t len = strcspn(bucket, "/");
    if (!bucket_valid(bucket, len))
        return mt_err_set(err, MT_ERR_INVALID, "'%s': '%.*s' is not a valid bucket name", uri,
                          (int)(len > 80 ? 80 : len), bucket);
    memcpy(out->bucket, bucket, len);

    const char *prefix = bucket[len] == '/' ? bucket + len + 1 : "";
    size_t plen = strlen(prefix);
    if (plen + 2 > sizeof(out->prefix))
        return mt_err_set(err, MT_ERR_INVALID, "'%s': the prefix is too long", uri);
    memcpy(out->prefix, prefix, plen);
    if (plen > 0 && prefix[plen - 1] != '/')
        out->prefix[plen] = '/';
    return MT_OK;
}

void mt_s3_address_init(struct mt_s3_address *a)
{
    mt_buf_init(&a->url, 0);
    mt_buf_init(&a->host, 0);
    mt_buf_init(&a->path, 0);
}

void mt_s3_address_cleanup(struct mt_s3_address *a)
{
    mt_buf_cleanup(&a->url);
    mt_buf_cleanup(&a->host);
    mt_buf_cleanup(&a->path);
}

enum mt_status mt_s3_address_for(const struct mt_aws_endpoint *ep, const char *bucket,
                                 const char *key, struct mt_s3_address *a, struct mt_err *err)
{
    bool path_style = ep->custom || strchr(bucket, '.') != NULL;
    enum mt_status st = MT_OK;

    mt_buf_reset(&a->url);
    mt_buf_reset(&a->host);
    mt_buf_reset(&a->path);
    if (key == NULL || key[0] == '\0')
        return mt_err_set(err, MT_ERR_INVALID, "no object key given for bucket '%s'", bucket);

    if (!path_style)
        st = mt_buf_appendf(&a->host, "%s.", bucket);
    if (st == MT_OK)
        st = mt_buf_append(&a->host, ep->host.data, ep->host.len);
    if (st == MT_OK)
        st = mt_buf_append(&a->path, ep->path.data ? ep->path.data : "", ep->path.len);
    if (st == MT_OK && path_style)
        st = mt_buf_appendf(&a->path, "/%s", bucket);
    if (st == MT_OK)
        st = mt_buf_append_byte(&a->path, '/');
    if (st == MT_OK)
        st = mt_sigv4_uri_encode(&a->path, mt_str_from_cstr(key), true);
    if (st == MT_OK)
        st = mt_buf_appendf(&a->url, "%s://%s%s", ep->tls ? "https" : "http", a->host.data,
                            a->path.data);
    if (st != MT_OK)
        return mt_err_set(err, st, "cannot build the address of 's3://%s/%s'", bucket, key);
    return MT_OK;
}

/* Decodes one entity at s (which starts with '&'); returns its length, 0 if none. */
static size_t entity(const char *s, size_t len, char *out)
{
    static const struct {
        const char *name;
        char c;
    } named[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};

    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
        size_t n = strlen(named[i].name);
        if (len >= n && memcmp(s, named[i].name, n) == 0) {
            *out = named[i].c;
            return n;
        }
    }
    if (len >= 4 && s[1] == '#') {
        char digits[12] = {0};
        char *end = NULL;
        memcpy(digits, s + 2, len - 2 < sizeof(digits) - 1 ? len - 2 : sizeof(digits) - 1);
        bool hex = digits[0] == 'x';
        long v = strtol(digits + hex, &end, hex ? 16 : 10);
        if (*end == ';' && end > digits + hex && v > 0 && v < 128) {
            *out = (char)v;
            return (size_t)(end - digits) + 3;
        }
    }
    return 0;
}

/* The first occurrence of needle in hay[0..len), or NULL. */
static const char *find(const char *hay, size_t len, const char *needle, size_t n)
{
    for (size_t i = 0; n <= len && i <= len - n; i++) {
        if (memcmp(hay + i, needle, n) == 0)
            return hay + i;
    }
    return NULL;
}

bool mt_s3_xml_text(struct mt_str xml, const char *name, struct mt_buf *out)
{
    char open[80];
    char close[80];
    int no = snprintf(open, sizeof(open), "<%s>", name);
    int nc = snprintf(close, sizeof(close), "</%s>", name);

    mt_buf_reset(out);
    const char *start = xml.ptr ? find(xml.ptr, xml.len, open, (size_t)no) : NULL;
    if (start == NULL)
        return false;
    start += no;
    size_t rest = xml.len - (size_t)(start - xml.ptr);
    const char *end = find(start, rest, close, (size_t)nc);
    if (end == NULL)
        return false;

    for (const char *p = start; p < end;) {
        char c = *p;
        size_t n = c == '&' ? entity(p, (size_t)(end - p), &c) : 0;
        if (mt_buf_append_byte(out, c) != MT_OK)
            return false;
        p += n ? n : 1;
    }
    return mt_buf_append(out, "", 0) == MT_OK;
}

enum mt_status mt_s3_xml_escape(struct mt_buf *out, struct mt_str s)
{
    enum mt_status st = MT_OK;
    for (size_t i = 0; st == MT_OK && i < s.len; i++) {
        switch (s.ptr[i]) {
        case '&':
            st = mt_buf_append_cstr(out, "&amp;");
            break;
        case '<':
            st = mt_buf_append_cstr(out, "&lt;");
            break;
        case '>':
            st = mt_buf_append_cstr(out, "&gt;");
            break;
        case '"':
            st = mt_buf_append_cstr(out, "&quot;");
            break;
        case '\'':
            st = mt_buf_append_cstr(out, "&apos;");
            break;
        default:
            st = mt_buf_append_byte(out, s.ptr[i]);
        }
    }
    return st;
}

enum mt_status mt_s3_complete_body(struct mt_buf *out, const char *const *etags, size_t count)
{
    enum mt_status st = mt_buf_append_cstr(
        out, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");

    for (size_t i = 0; st == MT_OK && i < count; i++) {
        st = mt_buf_appendf(out, "<Part><PartNumber>%zu</PartNumber><ETag>", i + 1);
        if (st == MT_OK)
            st = mt_s3_xml_escape(out, mt_str_from_cstr(etags[i]));
        if (st == MT_OK)
            st = mt_buf_append_cstr(out, "</ETag></Part>");
    }
    if (st == MT_OK)
        st = mt_buf_append_cstr(out, "</CompleteMultipartUpload>");
    return st;
}
