/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where an SNS message may send us: the signing certificate URL and the
 * SubscribeURL of a confirmation.
 *
 * Both are attacker-chosen (the certificate URL is not signed at all), so
 * they are parsed strictly by hand rather than by a general URL parser whose
 * idea of the host might differ from the fetcher's: exactly "https://", an
 * authority with no '@', ':', '%' or '[', a lower-case host
 * sns.<region>.amazonaws.com[.cn] with exactly one label between "sns." and
 * the suffix, and only printable ASCII without backslash or '#' anywhere.
 * The defences against forged hosts, S3-bucket hosts, parser confusion and
 * plain HTTP follow the table of attacks in the SNS signature notes
 * (rows 1 to 4 and 8).  Nothing here touches the network.
 */
#include "mt/sns.h"

#include <stdio.h>
#include <string.h>

#define HTTPS "https://"
#define SUFFIX_COM ".amazonaws.com"
#define SUFFIX_CN ".amazonaws.com.cn"

static enum mt_status refuse(enum mt_sns_url_kind kind, struct mt_err *err, const char *why)
{
    const char *what = kind == MT_SNS_URL_CERT ? "signing certificate URL" : "SubscribeURL";
    return mt_err_set(err, kind == MT_SNS_URL_CERT ? MT_ERR_CERT_URL : MT_ERR_SUBSCRIBE_URL,
                      "%s refused: %s", what, why);
}

static bool is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * True when r looks like an AWS region: two letters, one or more "-word"
 * parts, and a final "-number" (us-east-1, ap-southeast-2, us-gov-west-1).
 */
static bool region_shaped(struct mt_str r)
{
    size_t i = 0, words = 0;

    if (r.len < 6 || !is_lower(r.ptr[0]) || !is_lower(r.ptr[1]) || r.ptr[2] != '-')
        return false;
    i = 3;
    for (;;) {
        size_t start = i;
        while (i < r.len && is_lower(r.ptr[i]))
            i++;
        if (i == start)
            break;
        words++;
        if (i >= r.len || r.ptr[i] != '-')
            return false;
        i++;
    }
    size_t digits = 0;
    while (i < r.len && is_digit(r.ptr[i]))
        i++, digits++;
    return words >= 1 && digits >= 1 && digits <= 2 && i == r.len;
}

static bool ends_with(struct mt_str s, const char *suffix)
{
    size_t n = strlen(suffix);
    return s.len >= n && memcmp(s.ptr + s.len - n, suffix, n) == 0;
}

/* Checks the host and extracts its region; NULL when accepted, else why not. */
static const char *check_host(struct mt_str host, struct mt_str expected, struct mt_str *region)
{
    bool cn = ends_with(host, SUFFIX_CN);
    size_t suffix = cn ? strlen(SUFFIX_CN) : strlen(SUFFIX_COM);

    if (host.len == 0)
        return "it has no host";
    if (host.len > MT_SNS_HOST_MAX)
        return "its host is too long";
    if (!cn && !ends_with(host, SUFFIX_COM))
        return "its host is not under amazonaws.com";
    if (host.len <= suffix + 4 || memcmp(host.ptr, "sns.", 4) != 0)
        return "its host is not sns.<region>.amazonaws.com";

    *region = (struct mt_str){host.ptr + 4, host.len - 4 - suffix};
    if (!region_shaped(*region))
        return "its host is not sns.<region>.amazonaws.com with a valid region";
    if (cn != (region->len > 3 && memcmp(region->ptr, "cn-", 3) == 0))
        return "its host's domain does not match its region's partition";
    if (expected.ptr != NULL && !mt_str_eq(*region, expected))
        return "its host is for another region than the topic";
    return NULL;
}

static bool file_char(char c)
{
    return is_lower(c) || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' || c == '_' ||
           c == '.';
}

/* Checks "/<file>.pem"; NULL when accepted. */
static const char *check_cert_path(struct mt_str path)
{
    struct mt_str file = {path.ptr + 1, path.len - 1};

    if (path.len < 2 || path.ptr[0] != '/')
        return "it names no certificate file";
    if (file.len > MT_SNS_FILE_MAX)
        return "its file name is too long";
    for (size_t i = 0; i < file.len; i++) {
        if (file.ptr[i] == '?')
            return "it has a query";
        if (file.ptr[i] == '/')
            return "its path has more than one segment";
        if (!file_char(file.ptr[i]))
            return "its path holds a character other than letters, digits, '-', '_' and '.'";
    }
    for (size_t i = 0; i + 1 < file.len; i++) {
        if (file.ptr[i] == '.' && file.ptr[i + 1] == '.')
            return "its path holds '..'";
    }
    if (file.ptr[0] == '.')
        return "its file name starts with a dot";
    if (!ends_with(file, ".pem") || file.len == 4)
        return "its path does not end in .pem";
    return NULL;
}

/* A character allowed in a query: unreserved, sub-delims, ':', '@', '/', '?'. */
static bool query_char(char c)
{
    return file_char(c) || c == '~' || strchr("!$&'()*+,;=:@/?", c) != NULL;
}

/* Checks "/?<query>" holding Action=ConfirmSubscription; NULL when accepted. */
static const char *check_subscribe_path(struct mt_str path)
{
    if (path.len < 2 || path.ptr[0] != '/' || path.ptr[1] != '?')
        return "its path is not '/' followed by a query";

    struct mt_str q = {path.ptr + 2, path.len - 2};
    for (size_t i = 0; i < q.len; i++) {
        if (q.ptr[i] == '%') {
            if (i + 2 >= q.len || !is_hex(q.ptr[i + 1]) || !is_hex(q.ptr[i + 2]))
                return "its query holds a malformed percent escape";
            i += 2;
        } else if (!query_char(q.ptr[i])) {
            return "its query holds a character that is not allowed in a URL";
        }
    }

    static const char action[] = "Action=ConfirmSubscription";
    size_t n = sizeof(action) - 1;
    for (size_t i = 0; i + n <= q.len; i++) {
        bool starts = i == 0 || q.ptr[i - 1] == '&';
        bool ends = i + n == q.len || q.ptr[i + n] == '&';
        if (starts && ends && memcmp(q.ptr + i, action, n) == 0)
            return NULL;
    }
    return "its query does not ask for Action=ConfirmSubscription";
}

/* Rules for the whole URL; NULL when none is broken. */
static const char *check_characters(struct mt_str url)
{
    for (size_t i = 0; i < url.len; i++) {
        unsigned char c = (unsigned char)url.ptr[i];
        if (c <= 0x20 || c >= 0x7f)
            return "it holds a space, control or non-ASCII character";
        if (c == '\\')
            return "it holds a backslash";
        if (c == '#')
            return "it has a fragment";
    }
    return NULL;
}

/* Checks the authority and fills out's host and region; NULL when accepted. */
static const char *check_authority(struct mt_str auth, struct mt_str expected,
                                   struct mt_sns_url *out)
{
    if (memchr(auth.ptr, '@', auth.len) != NULL)
        return "it has user info";
    if (memchr(auth.ptr, ':', auth.len) != NULL)
        return "it names a port";
    if (memchr(auth.ptr, '%', auth.len) != NULL || memchr(auth.ptr, '[', auth.len) != NULL)
        return "its host is percent-encoded or an IP literal";

    struct mt_str region = MT_STR_NULL;
    const char *why = check_host(auth, expected, &region);
    if (why != NULL)
        return why;
    snprintf(out->host, sizeof(out->host), "%.*s", (int)auth.len, auth.ptr);
    snprintf(out->region, sizeof(out->region), "%.*s", (int)region.len, region.ptr);
    return NULL;
}

enum mt_status mt_sns_url_check(struct mt_str url, enum mt_sns_url_kind kind,
                                struct mt_str expected_region, struct mt_sns_url *out,
                                struct mt_err *err)
{
    struct mt_sns_url parts = {{0}, {0}, {0}};
    size_t scheme = strlen(HTTPS);

    if (url.ptr == NULL || url.len == 0)
        return refuse(kind, err, "it is missing");
    if (url.len > 2048)
        return refuse(kind, err, "it is longer than 2048 characters");
    const char *why = check_characters(url);
    if (why != NULL)
        return refuse(kind, err, why);
    if (url.len < scheme || memcmp(url.ptr, HTTPS, scheme) != 0)
        return refuse(kind, err, "it does not start with https://");

    struct mt_str rest = {url.ptr + scheme, url.len - scheme};
    size_t a = 0;
    while (a < rest.len && rest.ptr[a] != '/' && rest.ptr[a] != '?')
        a++;
    why = check_authority((struct mt_str){rest.ptr, a}, expected_region, &parts);
    if (why != NULL)
        return refuse(kind, err, why);

    struct mt_str path = {rest.ptr + a, rest.len - a};
    if (kind == MT_SNS_URL_CERT) {
        if (memchr(path.ptr, '%', path.len) != NULL)
            return refuse(kind, err, "its path is percent-encoded");
        why = check_cert_path(path);
        if (why == NULL)
            snprintf(parts.file, sizeof(parts.file), "%.*s", (int)path.len - 1, path.ptr + 1);
    } else {
        why = check_subscribe_path(path);
    }
    if (why != NULL)
        return refuse(kind, err, why);
    if (out != NULL)
        *out = parts;
    return MT_OK;
}

struct mt_str mt_sns_topic_region(struct mt_str arn)
{
    /* arn : partition : sns : region : account : name */
    struct mt_str part[6];

    if (arn.ptr == NULL)
        return MT_STR_NULL;
    const char *p = arn.ptr, *end = arn.ptr + arn.len;
    for (int n = 0; n < 5; n++) {
        const char *colon = memchr(p, ':', (size_t)(end - p));
        if (colon == NULL)
            return MT_STR_NULL;
        part[n] = (struct mt_str){p, (size_t)(colon - p)};
        p = colon + 1;
    }
    part[5] = (struct mt_str){p, (size_t)(end - p)};

    if (!mt_str_eq_cstr(part[0], "arn") || !mt_str_eq_cstr(part[2], "sns") || part[1].len == 0 ||
        part[4].len == 0 || part[5].len == 0 || memchr(part[5].ptr, ':', part[5].len) != NULL ||
        !region_shaped(part[3]))
        return MT_STR_NULL;
    return part[3];
}
