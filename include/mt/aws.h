/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_AWS_H
#define MT_AWS_H

/*
 * AWS credentials, region and service endpoints, found the way the AWS CLI
 * and SDKs find them.
 *
 * Credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN (what Lambda provides); else the profile's keys in the
 * shared credentials file (AWS_SHARED_CREDENTIALS_FILE, default
 * ~/.aws/credentials, sections "[name]"); else in the config file
 * (AWS_CONFIG_FILE, default ~/.aws/config, sections "[default]" and
 * "[profile name]").  The profile is AWS_PROFILE, else "default"; "[default]"
 * lends nothing to other profiles.
 *
 * Region: AWS_REGION, AWS_DEFAULT_REGION, then the profile's "region".
 *
 * Endpoints, first found wins: AWS_ENDPOINT_URL_<SERVICE> (e.g.
 * AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_S3), AWS_ENDPOINT_URL, the
 * "[services name]" section the profile names with "services = name" (an
 * indented "endpoint_url" under the service's key), the profile's
 * "endpoint_url", then https://<service>.<region>.amazonaws.com
 * (amazonaws.com.cn for cn- regions).  AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true
 * or "ignore_configured_endpoint_urls = true" skips every configured one.
 *
 * There is deliberately no instance-metadata (IMDS) or container credential
 * provider: mailtrack never contacts 169.254.169.254, fd00:ec2::254 or any
 * other link-local metadata address, and refuses an endpoint that points at
 * one.  SSO, credential_process, assume-role and web-identity profiles are not
 * supported either; use environment credentials for those.
 *
 * The environment is read only through mt_env_get.  Secrets (the secret key,
 * the session token, and the file contents that hold them) are wiped when the
 * configuration is freed and never appear in error details or logs.
 */

#include "mt/buf.h"
#include "mt/sigv4.h"
#include "mt/status.h"

#include <stdbool.h>

/* Where the credentials were found. */
enum mt_aws_cred_source {
    MT_AWS_CRED_NONE,        /* nowhere */
    MT_AWS_CRED_ENV,         /* AWS_ACCESS_KEY_ID and friends */
    MT_AWS_CRED_SHARED_FILE, /* the shared credentials file */
    MT_AWS_CRED_CONFIG_FILE, /* the config file */
};

/* A loaded configuration.  Immutable after load, so it may be shared by threads. */
struct mt_aws_config;

/*
 * Reads the environment and the two files.  Missing files are treated as
 * empty.  MT_ERR_CONFIG when a file cannot be read or parsed (the detail names
 * the file and line, never its content), when AWS_PROFILE names a profile
 * found in neither file, or when the region is not a valid region name;
 * MT_ERR_CREDENTIALS when an access key id is given without its secret (or the
 * reverse); MT_ERR_NOMEM.  Finding no credentials at all is not an error here
 * (see mt_aws_config_credentials).  Free with mt_aws_config_free.
 */
enum mt_status mt_aws_config_load(struct mt_aws_config **out, struct mt_err *err);

/* Wipes the secrets and releases the configuration.  NULL does nothing. */
void mt_aws_config_free(struct mt_aws_config *config);

/* The profile in use, e.g. "default".  Never NULL. */
const char *mt_aws_config_profile(const struct mt_aws_config *config);

/* The region, or NULL when none is configured. */
const char *mt_aws_config_region(const struct mt_aws_config *config);

/* Where the credentials came from. */
enum mt_aws_cred_source mt_aws_config_cred_source(const struct mt_aws_config *config);

/* A short name of a source, e.g. "environment".  Never NULL. */
const char *mt_aws_cred_source_name(enum mt_aws_cred_source source);

/*
 * Fills out with views of the credentials, valid until the configuration is
 * freed.  MT_ERR_CREDENTIALS, naming the places looked in, when there are
 * none.
 */
enum mt_status mt_aws_config_credentials(const struct mt_aws_config *config,
                                         struct mt_sigv4_credentials *out, struct mt_err *err);

/* A service endpoint, split into what a client needs. */
struct mt_aws_endpoint {
    struct mt_buf url;  /* scheme://host[:port][/path], no trailing slash */
    struct mt_buf host; /* host[:port] exactly as the Host header must carry it */
    struct mt_buf path; /* the URL's path without a trailing slash; "" for none */
    bool tls;           /* https */
    bool custom;        /* configured, not the AWS default */
};

/* Prepares an empty endpoint.  Allocates nothing. */
void mt_aws_endpoint_init(struct mt_aws_endpoint *ep);

/* Releases an endpoint's memory. */
void mt_aws_endpoint_cleanup(struct mt_aws_endpoint *ep);

/*
 * Parses an http or https URL into ep (reset first), e.g.
 * "http://127.0.0.1:4567".  The default port of the scheme is left out of
 * host.  MT_ERR_CONFIG for another scheme, user information, a query or
 * fragment, a bad port, or a link-local metadata address; MT_ERR_NOMEM.
 */
enum mt_status mt_aws_endpoint_parse(const char *url, struct mt_aws_endpoint *ep,
                                     struct mt_err *err);

/*
 * Resolves the endpoint of service ("dynamodb", "s3", ...) in the order the
 * file comment gives, into ep (reset first).  MT_ERR_CONFIG when the default
 * is needed and no region is configured, or as mt_aws_endpoint_parse.
 */
enum mt_status mt_aws_config_endpoint(const struct mt_aws_config *config, const char *service,
                                      struct mt_aws_endpoint *ep, struct mt_err *err);

#endif
