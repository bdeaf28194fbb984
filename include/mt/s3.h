/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_S3_H
#define MT_S3_H

/*
 * The S3 calls mailtrack needs to publish a report: addressing, the XML
 * bodies of multipart uploads and errors, and (where the HTTP client is
 * built) an object writer.
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

#endif
