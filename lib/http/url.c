/* SPDX-License-Identifier: Apache-2.0 */
/*
 * URL dissection with libcurl's URL API (RFC 3986 as libcurl reads it, so
 * the checks here see the same host libcurl will connect to), redaction for
 * errors and logs, and the link-local guard.
 *
 * The guard keeps every request away from link-local addresses, where cloud
 * instance metadata and container credential services live: IPv4
 * 169.254.0.0/16 (RFC 3927), IPv6 fe80::/10 (RFC 4291) and EC2's IPv6
 * metadata address fd00:ec2::254, also when written as IPv4-mapped IPv6, in
 * the NAT64 prefix 64:ff9b::/96 (RFC 6052), or
 * in the numeric IPv4 forms inet_aton accepts ("0xa9fea9fe", "2852039166").
 * Names are not resolved here; the client's socket hook checks resolved
 * addresses before any connection is opened.
 */
#include "http_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <curl/curl.h>

static const unsigned char s_ec2_metadata_v6[16] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0,
                                                     0,    0,    0,    0,    0, 0, 0x02, 0x54};

/* addr in network byte order. */
static bool ipv4_is_link_local(const struct in_addr *addr)
{
    uint32_t a = ntohl(addr->s_addr);
    return (a & 0xffff0000u) == 0xa9fe0000u;
}

static bool ipv6_is_link_local(const struct in6_addr *addr)
{
    const unsigned char *b = addr->s6_addr;

    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
        return true;
    if (memcmp(b, s_ec2_metadata_v6, sizeof(s_ec2_metadata_v6)) == 0)
        return true;

    /* IPv4-mapped, IPv4-compatible, and the NAT64 well-known prefix 64:ff9b::/96. */
    static const unsigned char nat64[12] = {0x00, 0x64, 0xff, 0x9b};
    if (IN6_IS_ADDR_V4MAPPED(addr) || IN6_IS_ADDR_V4COMPAT(addr) ||
        memcmp(b, nat64, sizeof(nat64)) == 0) {
        struct in_addr v4;
        memcpy(&v4.s_addr, b + 12, 4);
        return ipv4_is_link_local(&v4);
    }
    return false;
}

bool http_sockaddr_is_link_local(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        return ipv4_is_link_local(&in->sin_addr);
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        return ipv6_is_link_local(&in6->sin6_addr);
    }
    return false;
}

bool http_host_is_link_local(const char *host)
{
    char literal[INET6_ADDRSTRLEN + 8];
    size_t len = strlen(host);

    if (len > 0 && host[0] == '[') {
        size_t end = strcspn(host, "%]");
        if (end - 1 >= sizeof(literal))
            return false;
        memcpy(literal, host + 1, end - 1);
        literal[end - 1] = '\0';

        struct in6_addr a6;
        return inet_pton(AF_INET6, literal, &a6) == 1 && ipv6_is_link_local(&a6);
    }

    struct in_addr a4;
    if (inet_aton(host, &a4) != 0)
        return ipv4_is_link_local(&a4);

    struct in6_addr a6;
    return inet_pton(AF_INET6, host, &a6) == 1 && ipv6_is_link_local(&a6);
}

/* Appends one part of u (or nothing when it is absent) after prefix. */
static enum mt_status append_part(struct mt_buf *out, CURLU *u, CURLUPart part,
                                  const char *prefix)
{
    char *text = NULL;
    if (curl_url_get(u, part, &text, 0) != CURLUE_OK)
        return MT_OK;

    enum mt_status st = mt_buf_appendf(out, "%s%s", prefix, text);
    curl_free(text);
    return st;
}

/* Fills out with scheme://host[:port]/path of the parsed URL u. */
static enum mt_status redact_parsed(struct mt_buf *out, CURLU *u)
{
    enum mt_status st = append_part(out, u, CURLUPART_SCHEME, "");
    if (st == MT_OK)
        st = append_part(out, u, CURLUPART_HOST, "://");
    if (st == MT_OK)
        st = append_part(out, u, CURLUPART_PORT, ":");
    if (st == MT_OK)
        st = append_part(out, u, CURLUPART_PATH, "");
    return st;
}

/* Parses url into a new handle; NULL when it is not an absolute URL. */
static CURLU *parse_absolute(const char *url)
{
    CURLU *u = curl_url();
    if (u == NULL)
        return NULL;

    if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
        curl_url_cleanup(u);
        return NULL;
    }
    return u;
}

enum mt_status mt_http_url_redact(struct mt_buf *out, const char *url)
{
    CURLU *u = url != NULL ? parse_absolute(url) : NULL;
    if (u == NULL)
        return mt_buf_append_cstr(out, "(invalid URL)");

    enum mt_status st = redact_parsed(out, u);
    curl_url_cleanup(u);
    return st;
}

/* Judges the scheme and host of the parsed URL u into out. */
static enum mt_status judge_parsed(CURLU *u, struct http_url *out, struct mt_err *err)
{
    char *scheme = NULL;
    char *host = NULL;
    enum mt_status st = MT_ERR_INVALID;

    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        mt_err_set(err, st, "URL '%s' has no scheme or host", out->redacted.data);
        goto out;
    }

    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        mt_err_set(err, st, "URL '%s': scheme '%s' is not http or https", out->redacted.data,
                   scheme);
        goto out;
    }

    out->https = strcmp(scheme, "https") == 0;
    out->link_local = http_host_is_link_local(host);
    st = MT_OK;
out:
    curl_free(host);
    curl_free(scheme);
    return st;
}

enum mt_status http_url_parse(const char *url, struct http_url *out, struct mt_err *err)
{
    out->https = false;
    out->link_local = false;
    mt_buf_reset(&out->redacted);

    CURLU *u = url != NULL ? parse_absolute(url) : NULL;
    if (u == NULL) {
        mt_buf_append_cstr(&out->redacted, "(invalid URL)");
        return mt_err_set(err, MT_ERR_INVALID, "request URL is missing or not an absolute URL");
    }

    enum mt_status st = redact_parsed(&out->redacted, u);
    if (st != MT_OK)
        mt_err_set(err, st, "request URL is too long to describe");
    else
        st = judge_parsed(u, out, err);

    curl_url_cleanup(u);
    return st;
}
