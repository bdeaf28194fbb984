/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Service endpoints: the AWS SDKs' "service-specific endpoints" resolution
 * (AWS SDKs and Tools reference guide, feature-ss-endpoints) and the parsing
 * of an endpoint URL into what an HTTP client and the signer need.
 *
 * Only http and https URLs are accepted, without user information, query or
 * fragment.  Link-local addresses (169.254.0.0/16, which holds the EC2 and
 * ECS metadata services, and fd00:ec2::/32 for IMDS over IPv6) are refused:
 * mailtrack has no business there, and a mistyped endpoint must not send
 * signed requests to a metadata service.
 */
#include "aws_int.h"

#include "mt/env.h"
#include "mt/log.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void mt_aws_endpoint_init(struct mt_aws_endpoint *ep)
{
    memset(ep, 0, sizeof(*ep));
    mt_buf_init(&ep->url, 8192);
    mt_buf_init(&ep->host, 1024);
    mt_buf_init(&ep->path, 8192);
}

void mt_aws_endpoint_cleanup(struct mt_aws_endpoint *ep)
{
    mt_buf_cleanup(&ep->url);
    mt_buf_cleanup(&ep->host);
    mt_buf_cleanup(&ep->path);
}

/* True for a host this project must never send a request to. */
static bool is_metadata_host(struct mt_str host)
{
    static const char v4[] = "169.254.";
    static const char v6[] = "[fd00:ec2:";

    if (host.len >= sizeof(v4) - 1 && memcmp(host.ptr, v4, sizeof(v4) - 1) == 0)
        return true;
    return host.len >= sizeof(v6) - 1 && strncasecmp(host.ptr, v6, sizeof(v6) - 1) == 0;
}

static bool host_char_ok(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_' || c == ':' ||
           c == '[' || c == ']';
}

/* Splits "host[:port]" (host may be a bracketed IPv6 literal); port 0 when absent. */
static bool split_authority(struct mt_str auth, struct mt_str *host, long *port)
{
    const char *end = auth.ptr + auth.len;
    const char *colon = NULL;

    for (size_t i = 0; i < auth.len; i++) {
        if (!host_char_ok(auth.ptr[i]))
            return false;
    }
    if (auth.len > 0 && auth.ptr[0] == '[') {
        const char *close = memchr(auth.ptr, ']', auth.len);
        if (close == NULL)
            return false;
        colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
        if (colon == NULL && close + 1 != end)
            return false;
    } else {
        colon = memchr(auth.ptr, ':', auth.len);
    }

    *host = (struct mt_str){auth.ptr, colon ? (size_t)(colon - auth.ptr) : auth.len};
    *port = 0;
    if (colon != NULL) {
        char digits[8] = {0};
        char *stop = NULL;
        size_t n = (size_t)(end - colon - 1);
        if (n == 0 || n > 5)
            return false;
        memcpy(digits, colon + 1, n);
        *port = strtol(digits, &stop, 10);
        if (*stop != '\0' || *port < 1 || *port > 65535)
            return false;
    }
    return host->len > 0;
}

/* Fills ep from the parts of a URL already split by mt_aws_endpoint_parse. */
static enum mt_status fill_endpoint(struct mt_aws_endpoint *ep, bool tls, struct mt_str host,
                                    long port, struct mt_str path)
{
    long default_port = tls ? 443 : 80;
    enum mt_status st;

    ep->tls = tls;
    while (path.len > 0 && path.ptr[path.len - 1] == '/')
        path.len--;
    st = mt_buf_append(&ep->host, host.ptr, host.len);
    if (st == MT_OK && port != 0 && port != default_port)
        st = mt_buf_appendf(&ep->host, ":%ld", port);
    if (st == MT_OK)
        st = mt_buf_append(&ep->path, path.ptr, path.len);
    if (st == MT_OK)
        st = mt_buf_appendf(&ep->url, "%s://%s%s", tls ? "https" : "http", ep->host.data,
                            ep->path.data);
    return st;
}

enum mt_status mt_aws_endpoint_parse(const char *url, struct mt_aws_endpoint *ep,
                                     struct mt_err *err)
{
    struct mt_str host;
    long port = 0;
    bool tls = strncasecmp(url, "https://", 8) == 0;

    mt_buf_reset(&ep->url);
    mt_buf_reset(&ep->host);
    mt_buf_reset(&ep->path);
    if (!tls && strncasecmp(url, "http://", 7) != 0)
        return mt_err_set(err, MT_ERR_CONFIG, "endpoint '%s' is not an http or https URL", url);

    const char *auth = url + (tls ? 8 : 7);
    size_t auth_len = strcspn(auth, "/?#");
    const char *path = auth + auth_len;
    if (strpbrk(path, "?#") != NULL || memchr(auth, '@', auth_len) != NULL)
        return mt_err_set(err, MT_ERR_CONFIG,
                          "endpoint '%s' must not hold user information, a query or a fragment",
                          url);
    if (!split_authority((struct mt_str){auth, auth_len}, &host, &port))
        return mt_err_set(err, MT_ERR_CONFIG, "endpoint '%s' has no valid host and port", url);
    if (is_metadata_host(host))
        return mt_err_set(err, MT_ERR_CONFIG,
                          "endpoint '%s' is a link-local metadata address; refused", url);

    if (fill_endpoint(ep, tls, host, port, mt_str_from_cstr(path)) != MT_OK)
        return mt_err_set(err, MT_ERR_CONFIG, "endpoint '%s' is too long", url);
    return MT_OK;
}

/* The configured endpoint of service as a view, or absent. */
static struct mt_str configured_url(const struct mt_aws_config *config, const char *service,
                                    const char **from, char env_name[96])
{
    const struct aws_ini *ini = aws_config_file(config);
    const char *profile = mt_aws_config_profile(config);
    size_t n = (size_t)snprintf(env_name, 96, "AWS_ENDPOINT_URL_%s", service);

    for (size_t i = 17; i < n && i < 95; i++)
        env_name[i] = env_name[i] == ' ' ? '_' : (char)toupper((unsigned char)env_name[i]);
    *from = env_name;
    struct mt_str url = mt_str_from_cstr(mt_env_get(env_name));
    if (url.ptr == NULL) {
        *from = "AWS_ENDPOINT_URL";
        url = mt_str_from_cstr(mt_env_get("AWS_ENDPOINT_URL"));
    }

    struct mt_str services = aws_ini_get(ini, AWS_SECTION_PROFILE, profile, "services", NULL);
    char section[256];
    snprintf(section, sizeof(section), "%.*s", (int)services.len, services.len ? services.ptr : "");
    if (url.ptr == NULL && services.len > 0) {
        *from = "the config file's services section";
        url = aws_ini_get(ini, AWS_SECTION_SERVICES, section, service, "endpoint_url");
    }
    if (url.ptr == NULL) {
        *from = "the config file's endpoint_url";
        url = aws_ini_get(ini, AWS_SECTION_PROFILE, profile, "endpoint_url", NULL);
    }
    return url;
}

enum mt_status mt_aws_config_endpoint(const struct mt_aws_config *config, const char *service,
                                      struct mt_aws_endpoint *ep, struct mt_err *err)
{
    char env_name[96];
    char url[2048];
    const char *from = NULL;
    struct mt_str given = MT_STR_NULL;
    const char *region = mt_aws_config_region(config);

    if (!aws_config_ignores_endpoints(config))
        given = configured_url(config, service, &from, env_name);
    if (given.len > 0) {
        snprintf(url, sizeof(url), "%.*s", (int)given.len, given.ptr);
        enum mt_status st = mt_aws_endpoint_parse(url, ep, err);
        ep->custom = true;
        MT_LOG(MT_LOG_DEBUG, "aws", "aws_endpoint_configured", "%s endpoint '%s' from %s",
               service, url, from);
        return st;
    }

    if (region == NULL)
        return mt_err_set(err, MT_ERR_CONFIG, "no AWS region for the %s endpoint: set AWS_REGION "
                          "or the profile's region, or an endpoint URL", service);
    snprintf(url, sizeof(url), "https://%s.%s.amazonaws.com%s", service, region,
             strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
    return mt_aws_endpoint_parse(url, ep, err);
}
