/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The S3 client and the streaming object writer: PutObject for an object
 * that fits one part, else CreateMultipartUpload, UploadPart per 8 MiB and
 * CompleteMultipartUpload, with AbortMultipartUpload on any failure.  Spec:
 * Amazon S3 API Reference for those five operations and "Protecting data
 * with server-side encryption"; signing with S3's SigV4 rules (sigv4.h).
 *
 * Server-side encryption headers go on PutObject and CreateMultipartUpload
 * (S3 applies them to the parts).  CompleteMultipartUpload can fail after a
 * 200 status with an <Error> body, so its body is checked.  Every request is
 * signed afresh before each attempt; 5xx, 429 and S3's SlowDown,
 * RequestTimeout and InternalError codes are retried.
 *
 * LIMITATION: no Content-MD5 or x-amz-checksum-* is sent; integrity rests on
 * the signed x-amz-content-sha256 of each request, which S3 verifies.
 */
#include "mt/digest.h"
#include "mt/s3.h"

#include "mt/clock.h"
#include "mt/log.h"
#include "mt/sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARTS 10000

struct mt_s3_client {
    struct mt_sigv4_credentials creds;
    const char *region;
    struct mt_aws_endpoint ep;
    struct mt_http_client *http;
    struct mt_sigv4_result sig;
    struct mt_sigv4_key_cache key_cache;
};

struct mt_s3_writer {
    struct mt_s3_client *client;
    const char *bucket;
    struct mt_s3_put_options options;
    struct mt_s3_address addr;
    struct mt_buf part;       /* bytes not yet sent, at most MT_S3_PART_BYTES */
    struct mt_buf upload_id;  /* empty until a multipart upload starts */
    char **etags;             /* one per part sent */
    size_t parts;
    enum mt_status failed;    /* sticky failure */
    char location[1200];
};

/* One S3 request: what the signing hook needs. */
struct s3_call {
    struct mt_s3_client *client;
    const char *method;
    struct mt_str path;
    struct mt_str query;
    struct mt_str body;
    const struct mt_sigv4_header *headers; /* signed headers besides host */
    size_t header_count;
    char payload_hash[MT_SIGV4_HEX_LEN + 1];
};

enum mt_status mt_s3_client_new(const struct mt_aws_config *aws,
                                const struct mt_http_options *http, struct mt_s3_client **out,
                                struct mt_err *err)
{
    struct mt_s3_client *c = calloc(1, sizeof(*c));

    *out = NULL;
    if (c == NULL)
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory creating an S3 client");
    mt_aws_endpoint_init(&c->ep);
    mt_sigv4_result_init(&c->sig);
    enum mt_status st = mt_aws_config_credentials(aws, &c->creds, err);
    c->region = mt_aws_config_region(aws);
    if (st == MT_OK && c->region == NULL)
        st = mt_err_set(err, MT_ERR_CONFIG, "no AWS region to sign S3 requests for: set "
                        "AWS_REGION or the profile's region");
    if (st == MT_OK)
        st = mt_aws_config_endpoint(aws, "s3", &c->ep, err);
    if (st == MT_OK)
        st = mt_http_client_new(http, &c->http, err);
    if (st != MT_OK) {
        mt_s3_client_free(c);
        return st;
    }
    *out = c;
    return MT_OK;
}

void mt_s3_client_free(struct mt_s3_client *client)
{
    if (client == NULL)
        return;
    mt_http_client_free(client->http);
    mt_sigv4_result_cleanup(&client->sig);
    mt_sigv4_key_cache_cleanup(&client->key_cache);
    mt_aws_endpoint_cleanup(&client->ep);
    free(client);
}

/* Signs one attempt; the signer adds x-amz-content-sha256, date, token, Authorization. */
static enum mt_status sign_attempt(void *ctx, const struct mt_http_request *req, int attempt,
                                   struct mt_http_headers *extra, struct mt_err *err)
{
    struct s3_call *call = ctx;
    struct mt_s3_client *c = call->client;
    struct mt_sigv4_header signed_headers[8];
    struct mt_str host = {strstr(req->url, "://") + 3, 0};
    (void)attempt;

    host.len = strcspn(host.ptr, "/");
    signed_headers[0] = (struct mt_sigv4_header){MT_STR_LIT("host"), host};
    for (size_t i = 0; i < call->header_count && i < 7; i++)
        signed_headers[i + 1] = call->headers[i];
    struct mt_sigv4_config config = {mt_str_from_cstr(c->region), MT_STR_LIT("s3"),
                                     mt_time_now_ms(), MT_SIGV4_RULES_S3, &c->key_cache};
    struct mt_sigv4_request sreq = {mt_str_from_cstr(call->method), call->path, call->query,
                                    signed_headers, call->header_count + 1, call->body,
                                    call->payload_hash};
    enum mt_status st = mt_sigv4_sign(&config, &c->creds, &sreq, &c->sig, err);
    for (size_t i = 0; st == MT_OK && i < c->sig.added_count; i++)
        st = mt_http_headers_add(extra, c->sig.added[i].name, c->sig.added[i].value);
    return st;
}

static enum mt_http_verdict classify(void *ctx, const struct mt_http_response *resp)
{
    struct mt_buf code;
    (void)ctx;

    if (resp->status < 300)
        return MT_HTTP_ACCEPT;
    mt_buf_init(&code, 0);
    bool has = mt_s3_xml_text(mt_buf_str(&resp->body), "Code", &code);
    bool retry = resp->status >= 500 || resp->status == 429 ||
                 (has && (strcmp(code.data, "SlowDown") == 0 ||
                          strcmp(code.data, "RequestTimeout") == 0 ||
                          strcmp(code.data, "InternalError") == 0));
    mt_buf_cleanup(&code);
    return retry ? MT_HTTP_RETRY : MT_HTTP_FAIL;
}

/* An error detail from an S3 error body or the transport. */
static enum mt_status request_failed(const char *what, const char *location, enum mt_status st,
                                     const struct mt_http_response *resp,
                                     const struct mt_err *transport, struct mt_err *err)
{
    struct mt_buf code, msg;
    mt_buf_init(&code, 256);
    mt_buf_init(&msg, 512);
    bool has = resp->status != 0 && mt_s3_xml_text(mt_buf_str(&resp->body), "Code", &code);

    mt_s3_xml_text(mt_buf_str(&resp->body), "Message", &msg);
    if (has && st == MT_ERR_HTTP)
        st = strcmp(code.data, "SlowDown") == 0 ? MT_ERR_THROTTLED : MT_ERR_AWS;
    if (has)
        st = mt_err_set(err, st, "S3 %s of '%s': HTTP %ld %s%s%s after %d attempts", what,
                        location, resp->status, code.data, msg.len ? ": " : "",
                        msg.data ? msg.data : "", resp->attempts);
    else
        st = mt_err_set(err, st, "S3 %s of '%s': %s", what, location, mt_err_text(transport));
    mt_buf_cleanup(&code);
    mt_buf_cleanup(&msg);
    return st;
}

/*
 * Sends one request to the writer's object: query (already encoded for the
 * wire) appended to its URL; extra headers are sent and signed.
 */
static enum mt_status s3_request(struct mt_s3_writer *w, const char *what, const char *method,
                                 const char *query, struct mt_str body,
                                 const struct mt_sigv4_header *extra, size_t extra_count,
                                 struct mt_http_response *resp, struct mt_err *err)
{
    struct s3_call call = {w->client, method, mt_buf_str(&w->addr.path),
                           mt_str_from_cstr(query), body, extra, extra_count, {0}};
    struct mt_http_header headers[8];
    struct mt_buf url;
    struct mt_err transport = {0};

    mt_buf_init(&url, 0);
    mt_sha256_hex(body, call.payload_hash);
    headers[0] = (struct mt_http_header){MT_STR_LIT("Host"), mt_buf_str(&w->addr.host)};
    for (size_t i = 0; i < extra_count && i < 7; i++)
        headers[i + 1] = (struct mt_http_header){extra[i].name, extra[i].value};
    enum mt_status st = mt_buf_appendf(&url, "%s%s%s", w->addr.url.data, query ? "?" : "",
                                       query ? query : "");
    struct mt_http_request req = {method, url.data, headers, extra_count + 1, body,
                                  w->options.deadline_ms, 0, classify, NULL, sign_attempt,
                                  &call};
    if (st == MT_OK)
        st = mt_http_client_send(w->client->http, &req, resp, &transport);
    if (st != MT_OK)
        st = request_failed(what, w->location, st, resp, &transport, err);
    mt_buf_cleanup(&url);
    return st;
}

/* The SSE and Content-Type headers of PutObject and CreateMultipartUpload. */
static size_t object_headers(const struct mt_s3_writer *w, struct mt_sigv4_header *h)
{
    const char *kms = w->options.sse_kms_key_id;
    size_t n = 0;
    h[n++] = (struct mt_sigv4_header){MT_STR_LIT("Content-Type"),
                                      mt_str_from_cstr(w->options.content_type
                                                           ? w->options.content_type
                                                           : "application/octet-stream")};
    h[n++] = (struct mt_sigv4_header){MT_STR_LIT("x-amz-server-side-encryption"),
                                      kms ? MT_STR_LIT("aws:kms") : MT_STR_LIT("AES256")};
    if (kms != NULL)
        h[n++] = (struct mt_sigv4_header){MT_STR_LIT("x-amz-server-side-encryption-aws-kms-key-id"),
                                          mt_str_from_cstr(kms)};
    return n;
}

enum mt_status mt_s3_writer_open(struct mt_s3_client *client, const char *bucket,
                                 const char *key, const struct mt_s3_put_options *options,
                                 struct mt_s3_writer **out, struct mt_err *err)
{
    struct mt_s3_writer *w = calloc(1, sizeof(*w));

    *out = NULL;
    if (w == NULL)
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory opening 's3://%s/%s'", bucket, key);
    w->client = client;
    w->bucket = bucket;
    if (options != NULL)
        w->options = *options;
    mt_s3_address_init(&w->addr);
    mt_buf_init(&w->part, MT_S3_PART_BYTES);
    mt_buf_init(&w->upload_id, 1024);
    snprintf(w->location, sizeof(w->location), "s3://%s/%s", bucket, key ? key : "");

    enum mt_status st = mt_s3_address_for(&client->ep, bucket, key, &w->addr, err);
    if (st != MT_OK) {
        mt_s3_writer_abort(w);
        return st;
    }
    *out = w;
    return MT_OK;
}

const char *mt_s3_writer_location(const struct mt_s3_writer *w)
{
    return w->location;
}

/* POST ?uploads: starts the multipart upload and keeps its id. */
static enum mt_status start_upload(struct mt_s3_writer *w, struct mt_err *err)
{
    struct mt_sigv4_header h[3];
    struct mt_http_response resp;

    mt_http_response_init(&resp);
    size_t n = object_headers(w, h);
    enum mt_status st = s3_request(w, "CreateMultipartUpload", "POST", "uploads",
                                   MT_STR_LIT(""), h, n, &resp, err);
    if (st == MT_OK && !mt_s3_xml_text(mt_buf_str(&resp.body), "UploadId", &w->upload_id))
        st = mt_err_set(err, MT_ERR_PARSE, "S3 CreateMultipartUpload of '%s': no UploadId in "
                        "the response", w->location);
    mt_http_response_cleanup(&resp);
    return st;
}

/* "partNumber=N&uploadId=ID" or "uploadId=ID", the id encoded for the wire. */
static enum mt_status upload_query(const struct mt_s3_writer *w, size_t part, struct mt_buf *q)
{
    enum mt_status st = part ? mt_buf_appendf(q, "partNumber=%zu&", part) : MT_OK;
    if (st == MT_OK)
        st = mt_buf_append_cstr(q, "uploadId=");
    if (st == MT_OK)
        st = mt_sigv4_uri_encode(q, mt_buf_str(&w->upload_id), false);
    return st;
}

/* Sends the buffer as the next part and keeps its ETag. */
static enum mt_status send_part(struct mt_s3_writer *w, struct mt_err *err)
{
    struct mt_http_response resp;
    struct mt_buf query;
    char **grown = realloc(w->etags, (w->parts + 1) * sizeof(*grown));

    if (grown == NULL)
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory");
    w->etags = grown;
    if (w->parts + 1 > MAX_PARTS)
        return mt_err_set(err, MT_ERR_TOO_LARGE, "'%s' would need more than %d parts",
                          w->location, MAX_PARTS);
    mt_http_response_init(&resp);
    mt_buf_init(&query, 0);
    enum mt_status st = upload_query(w, w->parts + 1, &query);
    if (st == MT_OK)
        st = s3_request(w, "UploadPart", "PUT", query.data, mt_buf_str(&w->part), NULL, 0,
                        &resp, err);
    struct mt_str etag = mt_http_response_header(&resp, "ETag");
    if (st == MT_OK && etag.ptr == NULL)
        st = mt_err_set(err, MT_ERR_PARSE, "S3 UploadPart %zu of '%s': no ETag in the response",
                        w->parts + 1, w->location);
    if (st == MT_OK && (w->etags[w->parts] = strndup(etag.ptr, etag.len)) == NULL)
        st = mt_err_set(err, MT_ERR_NOMEM, "out of memory");
    if (st == MT_OK) {
        w->parts++;
        mt_buf_reset(&w->part);
    }
    mt_buf_cleanup(&query);
    mt_http_response_cleanup(&resp);
    return st;
}

/* DELETE ?uploadId=ID, best effort: the object is being given up anyway. */
static void abort_upload(struct mt_s3_writer *w)
{
    struct mt_http_response resp;
    struct mt_buf query;
    struct mt_err err = {0};

    if (w->upload_id.len == 0)
        return;
    mt_http_response_init(&resp);
    mt_buf_init(&query, 0);
    if (upload_query(w, 0, &query) == MT_OK &&
        s3_request(w, "AbortMultipartUpload", "DELETE", query.data, MT_STR_NULL, NULL, 0,
                   &resp, &err) != MT_OK)
        MT_LOG(MT_LOG_DEBUG, "s3", "s3_abort_failed", "%s", err.detail);
    mt_buf_reset(&w->upload_id);
    mt_buf_cleanup(&query);
    mt_http_response_cleanup(&resp);
}

enum mt_status mt_s3_writer_write(struct mt_s3_writer *w, const void *data, size_t len,
                                  struct mt_err *err)
{
    const char *p = data;

    while (w->failed == MT_OK && len > 0) {
        size_t room = MT_S3_PART_BYTES - w->part.len;
        size_t n = len < room ? len : room;
        if (mt_buf_append(&w->part, p, n) != MT_OK) {
            w->failed = mt_err_set(err, MT_ERR_NOMEM, "out of memory writing '%s'",
                                   w->location);
            break;
        }
        p += n;
        len -= n;
        if (w->part.len < MT_S3_PART_BYTES || len == 0)
            continue;
        w->failed = w->upload_id.len ? MT_OK : start_upload(w, err);
        if (w->failed == MT_OK)
            w->failed = send_part(w, err);
    }
    if (w->failed != MT_OK) {
        abort_upload(w);
        return mt_err_set(err, w->failed, "'%s' was not written", w->location);
    }
    return MT_OK;
}

/* POST ?uploadId=ID with the part list; a 200 may still carry an <Error>. */
static enum mt_status complete_upload(struct mt_s3_writer *w, struct mt_err *err)
{
    struct mt_http_response resp;
    struct mt_buf query, body, code;
    const struct mt_sigv4_header h[] = {{MT_STR_LIT("Content-Type"),
                                         MT_STR_LIT("application/xml")}};

    mt_http_response_init(&resp);
    mt_buf_init(&query, 0);
    mt_buf_init(&body, 0);
    mt_buf_init(&code, 256);
    enum mt_status st = upload_query(w, 0, &query);
    if (st == MT_OK)
        st = mt_s3_complete_body(&body, (const char *const *)w->etags, w->parts);
    if (st == MT_OK)
        st = s3_request(w, "CompleteMultipartUpload", "POST", query.data, mt_buf_str(&body), h,
                        1, &resp, err);
    if (st == MT_OK && mt_s3_xml_text(mt_buf_str(&resp.body), "Code", &code))
        st = mt_err_set(err, MT_ERR_AWS, "S3 CompleteMultipartUpload of '%s': %s", w->location,
                        code.data);
    mt_buf_cleanup(&code);
    mt_buf_cleanup(&body);
    mt_buf_cleanup(&query);
    mt_http_response_cleanup(&resp);
    return st;
}

static enum mt_status put_object(struct mt_s3_writer *w, struct mt_err *err)
{
    struct mt_sigv4_header h[3];
    struct mt_http_response resp;

    mt_http_response_init(&resp);
    size_t n = object_headers(w, h);
    enum mt_status st = s3_request(w, "PutObject", "PUT", NULL, mt_buf_str(&w->part), h, n,
                                   &resp, err);
    mt_http_response_cleanup(&resp);
    return st;
}

static void writer_free(struct mt_s3_writer *w)
{
    for (size_t i = 0; i < w->parts; i++)
        free(w->etags[i]);
    free(w->etags);
    mt_buf_cleanup(&w->part);
    mt_buf_cleanup(&w->upload_id);
    mt_s3_address_cleanup(&w->addr);
    free(w);
}

enum mt_status mt_s3_writer_commit(struct mt_s3_writer *w, struct mt_err *err)
{
    enum mt_status st = w->failed;

    if (st == MT_OK && w->upload_id.len == 0) {
        st = put_object(w, err);
    } else if (st == MT_OK) {
        if (w->part.len > 0)
            st = send_part(w, err);
        if (st == MT_OK)
            st = complete_upload(w, err);
        if (st != MT_OK)
            abort_upload(w);
    } else {
        st = mt_err_set(err, st, "'%s' was not written", w->location);
    }
    if (st == MT_OK)
        MT_LOG(MT_LOG_DEBUG, "s3", "s3_object_written", "'%s' in %zu part(s)", w->location,
               w->parts ? w->parts : 1);
    writer_free(w);
    return st;
}

void mt_s3_writer_abort(struct mt_s3_writer *w)
{
    if (w == NULL)
        return;
    abort_upload(w);
    writer_free(w);
}
