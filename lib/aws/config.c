/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loading the AWS configuration: profile, credentials and region, from the
 * environment and the shared files, in the order of the AWS SDKs and Tools
 * reference guide ("Standardized credential providers", "AWS Region",
 * "Shared config and credentials files").  The order itself is documented in
 * include/mt/aws.h.
 *
 * Deliberately absent: the instance-metadata and container credential
 * providers (no link-local address is ever contacted), SSO, credential_process
 * and role assumption.  Secrets are copied into buffers allocated once at
 * their final size, so no reallocation leaves a copy behind, and are wiped on
 * free.
 */
#include "aws_int.h"

#include "mt/env.h"
#include "mt/log.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct mt_aws_config {
    char *profile;
    char *region;                   /* NULL when none */
    char *config_path;
    char *credentials_path;
    enum mt_aws_cred_source source;
    struct mt_buf access_key_id;
    struct mt_buf secret_access_key; /* secret */
    struct mt_buf session_token;     /* secret */
    struct aws_ini config_file;      /* kept for endpoint look-ups; wiped on free */
    bool ignore_endpoints;
};

const char *mt_aws_cred_source_name(enum mt_aws_cred_source source)
{
    switch (source) {
    case MT_AWS_CRED_ENV:
        return "environment";
    case MT_AWS_CRED_SHARED_FILE:
        return "shared credentials file";
    case MT_AWS_CRED_CONFIG_FILE:
        return "config file";
    case MT_AWS_CRED_NONE:
        break;
    }
    return "none";
}

/* Copies s into dst with one allocation of the exact size. */
static enum mt_status copy_secret(struct mt_buf *dst, struct mt_str s)
{
    mt_buf_cleanup_secure(dst);
    mt_buf_init(dst, 0);
    if (s.ptr == NULL)
        return MT_OK;
    enum mt_status st = mt_buf_reserve(dst, s.len);
    return st == MT_OK ? mt_buf_append(dst, s.ptr, s.len) : st;
}

/* "~/x" and plain paths; the default is $HOME/<fallback>. */
static char *file_path(const char *env_name, const char *fallback)
{
    const char *given = mt_env_get(env_name);
    const char *home = mt_env_get("HOME");
    struct mt_buf b;

    mt_buf_init(&b, 8192);
    if (given != NULL && strncmp(given, "~/", 2) == 0 && home != NULL)
        mt_buf_appendf(&b, "%s/%s", home, given + 2);
    else if (given != NULL)
        mt_buf_append_cstr(&b, given);
    else
        mt_buf_appendf(&b, "%s/%s", home ? home : "", fallback);
    return b.data;
}

/* Takes credentials from the environment, when set. */
static enum mt_status env_credentials(struct mt_aws_config *c, struct mt_err *err)
{
    const char *id = mt_env_get("AWS_ACCESS_KEY_ID");
    const char *secret = mt_env_get("AWS_SECRET_ACCESS_KEY");

    if (id == NULL && secret == NULL)
        return MT_OK;
    if (id == NULL || secret == NULL)
        return mt_err_set(err, MT_ERR_CREDENTIALS, "%s is set but %s is not",
                          id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                          id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");

    enum mt_status st = copy_secret(&c->access_key_id, mt_str_from_cstr(id));
    if (st == MT_OK)
        st = copy_secret(&c->secret_access_key, mt_str_from_cstr(secret));
    if (st == MT_OK)
        st = copy_secret(&c->session_token, mt_str_from_cstr(mt_env_get("AWS_SESSION_TOKEN")));
    if (st != MT_OK)
        return mt_err_set(err, st, "out of memory copying credentials");
    c->source = MT_AWS_CRED_ENV;
    return MT_OK;
}

/* Takes the profile's keys from one file, when it has them. */
static enum mt_status file_credentials(struct mt_aws_config *c, const struct aws_ini *ini,
                                       const char *path, enum mt_aws_cred_source source,
                                       struct mt_err *err)
{
    struct mt_str id = aws_ini_get(ini, AWS_SECTION_PROFILE, c->profile, "aws_access_key_id",
                                   NULL);
    struct mt_str secret = aws_ini_get(ini, AWS_SECTION_PROFILE, c->profile,
                                       "aws_secret_access_key", NULL);

    if (id.len == 0 && secret.len == 0)
        return MT_OK;
    if (id.len == 0 || secret.len == 0)
        return mt_err_set(err, MT_ERR_CREDENTIALS, "profile '%s' in '%s' has %s but not %s",
                          c->profile, path,
                          id.len ? "aws_access_key_id" : "aws_secret_access_key",
                          id.len ? "aws_secret_access_key" : "aws_access_key_id");

    enum mt_status st = copy_secret(&c->access_key_id, id);
    if (st == MT_OK)
        st = copy_secret(&c->secret_access_key, secret);
    if (st == MT_OK)
        st = copy_secret(&c->session_token, aws_ini_get(ini, AWS_SECTION_PROFILE, c->profile,
                                                        "aws_session_token", NULL));
    if (st != MT_OK)
        return mt_err_set(err, st, "out of memory copying credentials");
    c->source = source;
    return MT_OK;
}

/* Region names are lower-case letters, digits and dashes; they end up in host names. */
static bool region_valid(struct mt_str r)
{
    if (r.len == 0 || r.len > 64)
        return false;
    for (size_t i = 0; i < r.len; i++) {
        char ch = r.ptr[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
            return false;
    }
    return true;
}

static enum mt_status load_region(struct mt_aws_config *c, struct mt_err *err)
{
    struct mt_str r = mt_str_from_cstr(mt_env_get("AWS_REGION"));
    const char *from = "AWS_REGION";

    if (r.ptr == NULL) {
        r = mt_str_from_cstr(mt_env_get("AWS_DEFAULT_REGION"));
        from = "AWS_DEFAULT_REGION";
    }
    if (r.ptr == NULL) {
        r = aws_ini_get(&c->config_file, AWS_SECTION_PROFILE, c->profile, "region", NULL);
        from = c->config_path;
    }
    if (r.len == 0)
        return MT_OK;
    if (!region_valid(r))
        return mt_err_set(err, MT_ERR_CONFIG, "region '%.*s' from %s is not a region name",
                          (int)(r.len > 64 ? 64 : r.len), r.ptr, from);
    c->region = strndup(r.ptr, r.len);
    return c->region ? MT_OK : mt_err_set(err, MT_ERR_NOMEM, "out of memory");
}

static bool is_true(struct mt_str s)
{
    return s.len == 4 && strncasecmp(s.ptr, "true", 4) == 0;
}

/* AWS_IGNORE_CONFIGURED_ENDPOINT_URLS, else the profile's setting. */
static bool ignore_endpoints(const struct mt_aws_config *c)
{
    const char *env = mt_env_get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    if (env != NULL)
        return is_true(mt_str_from_cstr(env));
    return is_true(aws_ini_get(&c->config_file, AWS_SECTION_PROFILE, c->profile,
                               "ignore_configured_endpoint_urls", NULL));
}

/* Reads both files and picks the credentials. */
static enum mt_status load_files(struct mt_aws_config *c, struct mt_err *err)
{
    struct aws_ini creds_file;
    bool named = mt_env_get("AWS_PROFILE") != NULL;

    enum mt_status st = aws_ini_load(&creds_file, c->credentials_path, false, err);
    if (st == MT_OK)
        st = aws_ini_load(&c->config_file, c->config_path, true, err);
    if (st == MT_OK && named && !aws_ini_has_section(&creds_file, AWS_SECTION_PROFILE,
                                                     c->profile) &&
        !aws_ini_has_section(&c->config_file, AWS_SECTION_PROFILE, c->profile))
        st = mt_err_set(err, MT_ERR_CONFIG, "AWS_PROFILE names profile '%s', found in neither "
                        "'%s' nor '%s'", c->profile, c->credentials_path, c->config_path);

    if (st == MT_OK && c->source == MT_AWS_CRED_NONE)
        st = file_credentials(c, &creds_file, c->credentials_path, MT_AWS_CRED_SHARED_FILE, err);
    if (st == MT_OK && c->source == MT_AWS_CRED_NONE)
        st = file_credentials(c, &c->config_file, c->config_path, MT_AWS_CRED_CONFIG_FILE, err);
    aws_ini_cleanup(&creds_file);
    return st;
}

/* "default" and "profile default" are the same section in the config file. */
static enum mt_status pick_profile(struct mt_aws_config *c)
{
    const char *named = mt_env_get("AWS_PROFILE");
    c->profile = strdup(named ? named : "default");
    c->config_path = file_path("AWS_CONFIG_FILE", ".aws/config");
    c->credentials_path = file_path("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
    if (c->profile == NULL || c->config_path == NULL || c->credentials_path == NULL)
        return MT_ERR_NOMEM;
    return MT_OK;
}

enum mt_status mt_aws_config_load(struct mt_aws_config **out, struct mt_err *err)
{
    struct mt_aws_config *c = calloc(1, sizeof(*c));
    enum mt_status st = MT_ERR_NOMEM;

    *out = NULL;
    if (c == NULL || pick_profile(c) != MT_OK) {
        st = mt_err_set(err, MT_ERR_NOMEM, "out of memory loading the AWS configuration");
        goto out;
    }

    st = env_credentials(c, err);
    if (st == MT_OK)
        st = load_files(c, err);
    if (st == MT_OK)
        st = load_region(c, err);
    if (st != MT_OK)
        goto out;

    c->ignore_endpoints = ignore_endpoints(c);
    MT_LOG(MT_LOG_DEBUG, "aws", "aws_config_loaded", "profile '%s', region '%s', credentials "
           "from %s", c->profile, c->region ? c->region : "", mt_aws_cred_source_name(c->source));
    *out = c;
    return MT_OK;
out:
    mt_aws_config_free(c);
    return st;
}

void mt_aws_config_free(struct mt_aws_config *config)
{
    if (config == NULL)
        return;
    mt_buf_cleanup_secure(&config->access_key_id);
    mt_buf_cleanup_secure(&config->secret_access_key);
    mt_buf_cleanup_secure(&config->session_token);
    aws_ini_cleanup(&config->config_file);
    free(config->profile);
    free(config->region);
    free(config->config_path);
    free(config->credentials_path);
    free(config);
}

const char *mt_aws_config_profile(const struct mt_aws_config *config)
{
    return config->profile;
}

const char *mt_aws_config_region(const struct mt_aws_config *config)
{
    return config->region;
}

enum mt_aws_cred_source mt_aws_config_cred_source(const struct mt_aws_config *config)
{
    return config->source;
}

enum mt_status mt_aws_config_credentials(const struct mt_aws_config *config,
                                         struct mt_sigv4_credentials *out, struct mt_err *err)
{
    memset(out, 0, sizeof(*out));
    if (config->source == MT_AWS_CRED_NONE)
        return mt_err_set(err, MT_ERR_CREDENTIALS,
                          "no AWS credentials: AWS_ACCESS_KEY_ID is unset and profile '%s' has "
                          "no keys in '%s' or '%s' (instance metadata is never consulted)",
                          config->profile, config->credentials_path, config->config_path);
    out->access_key_id = mt_buf_str(&config->access_key_id);
    out->secret_access_key = mt_buf_str(&config->secret_access_key);
    out->session_token = mt_buf_str(&config->session_token);
    return MT_OK;
}

/* Used by endpoint.c: the parsed config file and the settings it needs. */
const struct aws_ini *aws_config_file(const struct mt_aws_config *config)
{
    return &config->config_file;
}

bool aws_config_ignores_endpoints(const struct mt_aws_config *config)
{
    return config->ignore_endpoints;
}
