/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_S3_H
#define MT_S3_H

/*
 * The S3 calls mailtrack needs to publish a report: addressing, the XML
 * bodies of multipart uploads and errors, and a streaming object writer.
 *
 * Addressing: path-style (endpoint/bucket/key) when the endpoint was
 * configured (the local stand-ins and LocalStack need it) or the bucket name
 * holds a dot (TLS wildcard certificates do not cover it); virtual-hosted
 * (bucket.s3.region.amazonaws.com/key) otherwise.  Keys are URI-encoded once,
 * '/' kept, and signed as sent (S3's SigV4 rules).
 *
 * Not covered: reading objects, listing, versioning, checksums other than
 * x-amz-content-sha256, and SSE-C.  Spec: Amazon S3 API Reference
 * (PutObject, CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
 * AbortMultipartUpload, Error responses).
 */

#include "mt/aws.h"
#include "mt/buf.h"
#include "mt/http.h"
#include "mt/status.h"

#include <stdbool.h>
#include <stddef.h>

/* A bucket and key parsed from "s3://bucket/prefix/". */
struct mt_s3_target {
    char bucket[64];
    char prefix[1024]; /* without a leading '/'; empty, or ending in '/' */
};

/*
 * Parses "s3://bucket" or "s3://bucket/prefix[/]".  A prefix that does not
 * end in '/' gets one.  MT_ERR_INVALID when the scheme is not s3:// or the
 * bucket name is not 3 to 63 lower-case letters, digits, dots and hyphens.
 */
enum mt_status mt_s3_target_parse(const char *uri, struct mt_s3_target *out, struct mt_err *err);

/* Where a request for one object goes. */
struct mt_s3_address {
    struct mt_buf url;  /* full URL, without query */
    struct mt_buf host; /* the Host header value */
    struct mt_buf path; /* the encoded path as sent (and signed) */
};

/* Prepares an empty address.  Allocates nothing. */
void mt_s3_address_init(struct mt_s3_address *a);

/* Releases an address's memory. */
void mt_s3_address_cleanup(struct mt_s3_address *a);

/*
 * Fills a (reset first) for key in bucket at endpoint ep, choosing path-style
 * or virtual-hosted addressing as the file comment says.  MT_ERR_INVALID for
 * an empty key; MT_ERR_NOMEM.
 */
enum mt_status mt_s3_address_for(const struct mt_aws_endpoint *ep, const char *bucket,
                                 const char *key, struct mt_s3_address *a, struct mt_err *err);

/*
 * The text of the first <name>...</name> element of an XML body, entities
 * (&amp; &lt; &gt; &quot; &apos; and numeric ones below 128) decoded, into
 * out (reset first).  false when there is no such element.
 */
bool mt_s3_xml_text(struct mt_str xml, const char *name, struct mt_buf *out);

/* Appends s with &, <, >, " and ' escaped for XML.  MT_ERR_NOMEM. */
enum mt_status mt_s3_xml_escape(struct mt_buf *out, struct mt_str s);

/*
 * Appends the CompleteMultipartUpload body for parts 1..count whose ETags are
 * etags[0..count-1] (as the server returned them, quotes included).
 */
enum mt_status mt_s3_complete_body(struct mt_buf *out, const char *const *etags, size_t count);

/* Size of a multipart part, and of the writer's buffer. */
#define MT_S3_PART_BYTES ((size_t)8 << 20)

/*
 * A client: the endpoint, region and credentials of an AWS configuration and
 * one HTTP connection.  Used by one thread at a time.
 */
struct mt_s3_client;

/*
 * Creates a client; aws is borrowed and must outlive it; http may be NULL.
 * MT_ERR_CREDENTIALS, MT_ERR_CONFIG, MT_ERR_NOMEM, or the HTTP client's
 * failure.
 */
enum mt_status mt_s3_client_new(const struct mt_aws_config *aws,
                                const struct mt_http_options *http, struct mt_s3_client **out,
                                struct mt_err *err);

/* Releases the client.  NULL does nothing. */
void mt_s3_client_free(struct mt_s3_client *client);

/* How an object is stored. */
struct mt_s3_put_options {
    const char *content_type;   /* NULL: application/octet-stream */
    const char *sse_kms_key_id; /* NULL: SSE-S3 (AES256); else aws:kms with this key */
    int64_t deadline_ms;        /* absolute on mt_time_monotonic_ms for every request; 0: none */
};

/*
 * An object being written.  Bytes are buffered up to MT_S3_PART_BYTES; an
 * object that fits is sent with one PutObject on commit, a larger one as a
 * multipart upload whose parts go out as the buffer fills, so memory stays
 * at one part whatever the object's size.  Any failure aborts the multipart
 * upload (AbortMultipartUpload), so no orphaned parts are left to pay for.
 */
struct mt_s3_writer;

/*
 * Starts writing key in bucket.  Nothing is sent yet.  The client, options
 * and strings are borrowed until commit or abort.  MT_ERR_INVALID for an
 * empty key; MT_ERR_NOMEM.
 */
enum mt_status mt_s3_writer_open(struct mt_s3_client *client, const char *bucket,
                                 const char *key, const struct mt_s3_put_options *options,
                                 struct mt_s3_writer **out, struct mt_err *err);

/*
 * Appends len bytes, uploading a part whenever the buffer fills.  After a
 * failure (the upload is then aborted) every later call returns the same
 * status.  Statuses as mt_s3_writer_commit.
 */
enum mt_status mt_s3_writer_write(struct mt_s3_writer *w, const void *data, size_t len,
                                  struct mt_err *err);

/*
 * Sends what is left and makes the object visible (PutObject, or the last
 * part and CompleteMultipartUpload), then frees w.  MT_ERR_AWS with S3's
 * error code and message, MT_ERR_THROTTLED when SlowDown outlasted the
 * retries, MT_ERR_TIMEOUT, MT_ERR_CONNECT, MT_ERR_HTTP, MT_ERR_NOMEM.
 */
enum mt_status mt_s3_writer_commit(struct mt_s3_writer *w, struct mt_err *err);

/* Discards the object (aborting a multipart upload) and frees w.  NULL does nothing. */
void mt_s3_writer_abort(struct mt_s3_writer *w);

/* The object's location, "s3://bucket/key". */
const char *mt_s3_writer_location(const struct mt_s3_writer *w);

#endif
