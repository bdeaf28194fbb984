/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_SIGV4_H
#define MT_SIGV4_H

/*
 * AWS Signature Version 4 for request headers, as a pure computation.
 *
 * The caller describes a request (method, the path and query exactly as they
 * go on the wire, the headers to sign, the body or its hash), the scope
 * (region, service), the signing time and the credentials.  The signer
 * returns the headers to add: X-Amz-Security-Token when there is a session
 * token, X-Amz-Date, X-Amz-Content-Sha256 when asked, and Authorization.  It
 * never changes the request, never reads the clock and does no I/O, so the
 * same inputs always give the same signature.  The canonical request and the
 * string to sign stay in the result for tests and for debug logging.
 *
 * Two sets of rules exist.  Most services normalise the path (dot segments
 * removed, repeated slashes collapsed) and URI-encode the wire path once more
 * ("double encoding").  S3 uses the wire path as it is, signs an
 * x-amz-content-sha256 header, and accepts UNSIGNED-PAYLOAD as the payload
 * hash.  The flags below select either.
 *
 * Not covered: presigned URLs (query signing), chunked streaming signatures,
 * SigV4a, and obsolete header line folding.  Spec: the IAM user guide,
 * "Create a signed AWS API request", and the S3 API reference, "Signature
 * calculations for the Authorization header".
 *
 * Derived keys and the "AWS4"+secret key material are wiped as soon as they
 * have been used.  Every function here is thread-safe.
 */

#include "mt/buf.h"
#include "mt/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The payload hash S3 accepts in place of a body hash. */
#define MT_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

/* Lower-case hex SHA-256 of the empty string. */
#define MT_SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Length of a hex SHA-256 digest, without the NUL. */
#define MT_SIGV4_HEX_LEN 64

/* Flags of struct mt_sigv4_config. */
#define MT_SIGV4_NORMALIZE_PATH 0x01u  /* remove dot segments and repeated slashes */
#define MT_SIGV4_ENCODE_PATH 0x02u     /* URI-encode the wire path again (double encoding) */
#define MT_SIGV4_SIGN_BODY 0x04u       /* add and sign x-amz-content-sha256 */
#define MT_SIGV4_ALLOW_UNSIGNED 0x08u  /* accept MT_SIGV4_UNSIGNED_PAYLOAD as payload_hash */
#define MT_SIGV4_UNSIGNED_TOKEN 0x10u  /* add X-Amz-Security-Token without signing it */

/* The rules of every service but S3 (DynamoDB among them). */
#define MT_SIGV4_RULES_DEFAULT (MT_SIGV4_NORMALIZE_PATH | MT_SIGV4_ENCODE_PATH)

/* S3's rules: path encoded once by the caller and never normalised. */
#define MT_SIGV4_RULES_S3 (MT_SIGV4_SIGN_BODY | MT_SIGV4_ALLOW_UNSIGNED)

/* A header name and value; both borrowed. */
struct mt_sigv4_header {
    struct mt_str name;
    struct mt_str value;
};

/* Credentials, borrowed for the duration of a call. */
struct mt_sigv4_credentials {
    struct mt_str access_key_id;
    struct mt_str secret_access_key;
    struct mt_str session_token; /* absent (ptr NULL) or empty when there is none */
};

/* What is signed and how. */
/*
 * The derived signing key of the last signature, reused while the date,
 * region, service and secret stay the same, as the SDKs do: it saves four
 * of the five HMACs of each signature.  Caller-owned, zero-initialised, one
 * per thread; it holds key material, so release it with
 * mt_sigv4_key_cache_cleanup.
 */
struct mt_sigv4_key_cache {
    bool valid;
    char date[9];                  /* YYYYMMDD */
    unsigned char scope[32];       /* SHA-256 of region, service and secret */
    unsigned char key[32];
};

struct mt_sigv4_config {
    struct mt_str region;  /* e.g. "eu-west-1" */
    struct mt_str service; /* the signing name, e.g. "dynamodb", "s3" */
    int64_t time_ms;       /* signing time, ms since the epoch (UTC); milliseconds are dropped */
    unsigned flags;        /* MT_SIGV4_RULES_DEFAULT, MT_SIGV4_RULES_S3 or other MT_SIGV4_* */
    struct mt_sigv4_key_cache *key_cache; /* optional; NULL derives the key every time */
};

/* Wipes a key cache. */
void mt_sigv4_key_cache_cleanup(struct mt_sigv4_key_cache *cache);

/* The request to sign.  Nothing here is modified or kept. */
struct mt_sigv4_request {
    struct mt_str method; /* "GET", "POST", ... */
    struct mt_str path;   /* the path as sent on the wire, without the query; empty means "/" */
    struct mt_str query;  /* the query as sent, without '?'; absent or empty when none */

    /*
     * The headers to sign, in the order sent; "host" must be among them.
     * Names are matched without regard to case; a name given several times
     * is signed as one line with the values joined by commas, in order.
     * X-Amz-Date, X-Amz-Security-Token, X-Amz-Content-Sha256 and
     * Authorization are the signer's to add and must not be given.
     */
    const struct mt_sigv4_header *headers;
    size_t header_count;

    struct mt_str payload;    /* the body; hashed here unless payload_hash is set */
    const char *payload_hash; /* optional: lower-case hex SHA-256 of the body, or
                                 MT_SIGV4_UNSIGNED_PAYLOAD under MT_SIGV4_ALLOW_UNSIGNED */
};

/* At most this many headers are added by the signer. */
#define MT_SIGV4_MAX_ADDED 4

/*
 * A signature and the headers to add.  Prepare with mt_sigv4_result_init and
 * release with mt_sigv4_result_cleanup; one result may be reused for many
 * signatures.
 */
struct mt_sigv4_result {
    /*
     * The headers to add to the request, in this order: X-Amz-Security-Token
     * (when there is a token), X-Amz-Date, X-Amz-Content-Sha256 (under
     * MT_SIGV4_SIGN_BODY), Authorization.  Values point into this result,
     * except the token's, which is the credentials' own view.
     */
    struct mt_sigv4_header added[MT_SIGV4_MAX_ADDED];
    size_t added_count;

    char amz_date[17];                        /* "20150830T123600Z" */
    char payload_hash[MT_SIGV4_HEX_LEN + 1];  /* hex hash or "UNSIGNED-PAYLOAD" */
    char signature[MT_SIGV4_HEX_LEN + 1];     /* lower-case hex */
    struct mt_buf authorization;              /* the Authorization value */
    struct mt_buf canonical_request;          /* may contain the session token: never log it
                                                 as is; see mt_sigv4_canonical_redacted */
    struct mt_buf string_to_sign;
};

/* Prepares an empty result.  Allocates nothing. */
void mt_sigv4_result_init(struct mt_sigv4_result *result);

/* Releases a result's memory. */
void mt_sigv4_result_cleanup(struct mt_sigv4_result *result);

/*
 * Signs req.  On success result holds the headers to add and the
 * intermediate texts; on failure its content is unspecified.
 *
 * MT_ERR_CREDENTIALS when the access key id or secret is empty;
 * MT_ERR_INVALID when the region or service is empty, "host" is missing, a
 * header the signer adds is given, a header holds a control character, or
 * payload_hash is neither 64 lower-case hex digits nor an allowed
 * UNSIGNED-PAYLOAD; MT_ERR_NOMEM.  Error details never contain credentials.
 */
enum mt_status mt_sigv4_sign(const struct mt_sigv4_config *config,
                             const struct mt_sigv4_credentials *credentials,
                             const struct mt_sigv4_request *req, struct mt_sigv4_result *result,
                             struct mt_err *err);

/*
 * Copies result's canonical request into out (reset first) with the value of
 * x-amz-security-token replaced by "<redacted>", for debug logs.
 * MT_ERR_NOMEM or MT_ERR_TOO_LARGE from out.
 */
enum mt_status mt_sigv4_canonical_redacted(const struct mt_sigv4_result *result,
                                           struct mt_buf *out);

/*
 * HMAC-SHA256 of msg under key into out, the step SigV4 keys are derived
 * with (also the first step of the SES SMTP password).  Returns false only
 * when libcrypto fails, in which case out is zeroed.
 */
bool mt_sigv4_hmac_sha256(struct mt_str key, struct mt_str msg, unsigned char out[32]);

/*
 * The signing key for one day, region and service:
 * HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
 * date is normally "YYYYMMDD" but any text is accepted (the SES SMTP password
 * uses "11111111").  Intermediate keys are wiped; the caller wipes out with
 * mt_secure_zero when done.  Returns false only when libcrypto fails.
 */
bool mt_sigv4_derive_key(struct mt_str secret, struct mt_str date, struct mt_str region,
                         struct mt_str service, unsigned char out[32]);

/*
 * Appends s URI-encoded the SigV4 way: A-Z a-z 0-9 - _ . ~ unchanged, every
 * other byte as %XX in upper-case hex; '/' is kept when keep_slash is true
 * (for paths, e.g. S3 object keys) and encoded otherwise (for query names and
 * values).  MT_ERR_NOMEM or MT_ERR_TOO_LARGE from out.
 */
enum mt_status mt_sigv4_uri_encode(struct mt_buf *out, struct mt_str s, bool keep_slash);

#endif
