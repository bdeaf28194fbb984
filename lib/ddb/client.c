/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DynamoDB client: JSON-protocol calls over mt_http, signed with SigV4
 * before every attempt.
 *
 * Each call hashes its body once; the prepare hook then signs with the
 * current time and adds X-Amz-Date, X-Amz-Security-Token and Authorization
 * for that attempt only.  The classify hook reads error bodies so that
 * throttling (HTTP 400 with a throttling type) is retried like 5xx, while
 * ValidationException and the like fail at once.  Error details name the
 * operation, the table, the HTTP status and the AWS error type and message;
 * never a header value.  Spec: DynamoDB developer guide, "Low-level API" and
 * "Error handling"; SigV4 as in sigv4.h.
 */
#include "mt/digest.h"
#include "mt/ddb.h"

#include "mt/clock.h"
#include "mt/log.h"
#include "mt/sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DDB_CONTENT_TYPE "application/x-amz-json-1.0"

struct mt_ddb_client {
    const struct mt_aws_config *aws;
    struct mt_sigv4_credentials creds;
    const char *region;
    struct mt_aws_endpoint ep;
    struct mt_buf url;  /* ep.url + "/" */
    struct mt_buf path; /* ep.path + "/": what is sent and signed */
    struct mt_http_client *http;
    struct mt_sigv4_result sig;
    struct mt_sigv4_key_cache key_cache;
};

/* One call in progress: what the hooks need. */
struct ddb_call {
    struct mt_ddb_client *client;
    char target[96];
    struct mt_str body;
    char payload_hash[MT_SIGV4_HEX_LEN + 1];
};

enum mt_status mt_ddb_client_new(const struct mt_aws_config *aws,
                                 const struct mt_http_options *http,
                                 struct mt_ddb_client **out, struct mt_err *err)
{
    struct mt_ddb_client *c = calloc(1, sizeof(*c));
    enum mt_status st;

    *out = NULL;
    if (c == NULL)
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory creating a DynamoDB client");
    c->aws = aws;
    mt_aws_endpoint_init(&c->ep);
    mt_buf_init(&c->url, 0);
    mt_buf_init(&c->path, 0);
    mt_sigv4_result_init(&c->sig);

    st = mt_aws_config_credentials(aws, &c->creds, err);
    if (st == MT_OK)
        st = mt_aws_config_endpoint(aws, "dynamodb", &c->ep, err);
    c->region = mt_aws_config_region(aws);
    if (st == MT_OK && c->region == NULL)
        st = mt_err_set(err, MT_ERR_CONFIG, "no AWS region to sign DynamoDB requests for: set "
                        "AWS_REGION or the profile's region");
    if (st == MT_OK && (mt_buf_appendf(&c->url, "%s/", c->ep.url.data) != MT_OK ||
                        mt_buf_appendf(&c->path, "%s/", c->ep.path.data ? c->ep.path.data : "")
                            != MT_OK))
        st = mt_err_set(err, MT_ERR_NOMEM, "out of memory");
    if (st == MT_OK)
        st = mt_http_client_new(http, &c->http, err);
    if (st != MT_OK) {
        mt_ddb_client_free(c);
        return st;
    }
    *out = c;
    return MT_OK;
}

void mt_ddb_client_free(struct mt_ddb_client *client)
{
    if (client == NULL)
        return;
    mt_http_client_free(client->http);
    mt_sigv4_result_cleanup(&client->sig);
    mt_sigv4_key_cache_cleanup(&client->key_cache);
    mt_buf_cleanup(&client->url);
    mt_buf_cleanup(&client->path);
    mt_aws_endpoint_cleanup(&client->ep);
    free(client);
}

const char *mt_ddb_client_url(const struct mt_ddb_client *client)
{
    return client->url.data;
}

/* Signs this attempt and adds the signer's headers to extra. */
static enum mt_status sign_attempt(void *ctx, const struct mt_http_request *req, int attempt,
                                   struct mt_http_headers *extra, struct mt_err *err)
{
    struct ddb_call *call = ctx;
    struct mt_ddb_client *c = call->client;
    const struct mt_sigv4_header signed_headers[] = {
        {MT_STR_LIT("host"), mt_buf_str(&c->ep.host)},
        {MT_STR_LIT("content-type"), MT_STR_LIT(DDB_CONTENT_TYPE)},
        {MT_STR_LIT("x-amz-target"), mt_str_from_cstr(call->target)},
    };
    struct mt_sigv4_config config = {mt_str_from_cstr(c->region), MT_STR_LIT("dynamodb"),
                                     mt_time_now_ms(), MT_SIGV4_RULES_DEFAULT, &c->key_cache};
    struct mt_sigv4_request sreq = {MT_STR_LIT("POST"), mt_buf_str(&c->path), MT_STR_NULL,
                                    signed_headers, 3, call->body, call->payload_hash};
    (void)req;
    (void)attempt;

    enum mt_status st = mt_sigv4_sign(&config, &c->creds, &sreq, &c->sig, err);
    for (size_t i = 0; st == MT_OK && i < c->sig.added_count; i++)
        st = mt_http_headers_add(extra, c->sig.added[i].name, c->sig.added[i].value);
    return st;
}

/* Retries throttling and server errors; accepts 2xx; fails everything else. */
static enum mt_http_verdict classify(void *ctx, const struct mt_http_response *resp)
{
    struct mt_ddb_error e;
    (void)ctx;

    if (resp->status >= 200 && resp->status < 300)
        return MT_HTTP_ACCEPT;
    mt_ddb_error_parse(mt_buf_str(&resp->body), resp->status, &e);
    return mt_ddb_error_retryable(&e) ? MT_HTTP_RETRY : MT_HTTP_FAIL;
}

/* Turns a failed exchange into a status and a detail naming operation and subject. */
static enum mt_status call_failed(const char *op, const char *subject, enum mt_status st,
                                  const struct mt_http_response *resp,
                                  const struct mt_err *transport, struct mt_ddb_error *aws_error,
                                  struct mt_err *err)
{
    struct mt_ddb_error e;

    mt_ddb_error_parse(resp->status ? mt_buf_str(&resp->body) : MT_STR_NULL, resp->status, &e);
    if (aws_error != NULL)
        *aws_error = e;
    if (resp->status == 0 || (st != MT_ERR_HTTP && st != MT_OK))
        return mt_err_set(err, st, "DynamoDB %s on '%s': %s%s%s%s%s%s", op, subject,
                          mt_err_text(transport), e.type[0] ? " (" : "", e.type,
                          e.type[0] && e.message[0] ? ": " : "", e.type[0] ? e.message : "",
                          e.type[0] ? ")" : "");
    st = mt_ddb_error_retryable(&e) ? MT_ERR_THROTTLED : MT_ERR_AWS;
    if (e.http_status >= 500 && e.type[0] == '\0')
        st = MT_ERR_HTTP;
    return mt_err_set(err, st, "DynamoDB %s on '%s': HTTP %ld %s%s%s after %d attempts", op,
                      subject, resp->status, e.type[0] ? e.type : "error",
                      e.message[0] ? ": " : "", e.message, resp->attempts);
}

/* Sends one signed call; resp receives the final response. */
static enum mt_status send_call(struct mt_ddb_client *c, struct ddb_call *call,
                                int64_t deadline_ms, struct mt_http_response *resp,
                                struct mt_err *transport)
{
    const struct mt_http_header headers[] = {
        {MT_STR_LIT("Host"), mt_buf_str(&c->ep.host)},
        {MT_STR_LIT("Content-Type"), MT_STR_LIT(DDB_CONTENT_TYPE)},
        {MT_STR_LIT("X-Amz-Target"), mt_str_from_cstr(call->target)},
    };
    struct mt_http_request req = {
        .method = "POST",
        .url = c->url.data,
        .headers = headers,
        .header_count = 3,
        .body = call->body,
        .deadline_ms = deadline_ms,
        .classify = classify,
        .prepare = sign_attempt,
        .prepare_ctx = call,
    };
    return mt_http_client_send(c->http, &req, resp, transport);
}

enum mt_status mt_ddb_call(struct mt_ddb_client *client, const char *operation,
                           const char *subject, json_t *body, int64_t deadline_ms,
                           json_t **response, struct mt_ddb_error *aws_error,
                           struct mt_err *err)
{
    struct ddb_call call = {.client = client};
    struct mt_http_response resp;
    struct mt_err transport = {0};
    struct mt_buf text;
    enum mt_status st;

    *response = NULL;
    if (aws_error != NULL)
        memset(aws_error, 0, sizeof(*aws_error));
    mt_buf_init(&text, 0);
    st = mt_ddb_json_encode(body, &text);
    if (st != MT_OK) {
        mt_buf_cleanup(&text);
        return mt_err_set(err, st, "cannot encode DynamoDB %s: %s", operation, mt_status_str(st));
    }
    snprintf(call.target, sizeof(call.target), "DynamoDB_20120810.%s", operation);
    call.body = mt_buf_str(&text);
    mt_sha256_hex(call.body, call.payload_hash);
    mt_http_response_init(&resp);

    st = send_call(client, &call, deadline_ms, &resp, &transport);
    if (st != MT_OK) {
        st = call_failed(operation, subject, st, &resp, &transport, aws_error, err);
        goto out;
    }
    *response = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, NULL);
    if (!json_is_object(*response)) {
        json_decref(*response);
        *response = NULL;
        st = mt_err_set(err, MT_ERR_PARSE, "DynamoDB %s on '%s': the response is not a JSON "
                        "object", operation, subject);
    }
    MT_LOG(MT_LOG_TRACE, "ddb", "ddb_call", "%s on '%s': HTTP %ld, %d attempts", operation,
           subject, resp.status, resp.attempts);
out:
    mt_http_response_cleanup(&resp);
    mt_buf_cleanup(&text);
    return st;
}

enum mt_status mt_ddb_batch_write(struct mt_ddb_client *client, const char *table, json_t *items,
                                  int64_t deadline_ms, json_t **unprocessed, struct mt_err *err)
{
    json_t *body = mt_ddb_batch_write_body(table, items);
    json_t *resp = NULL;

    *unprocessed = NULL;
    if (body == NULL)
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory building BatchWriteItem");
    enum mt_status st = mt_ddb_call(client, "BatchWriteItem", table, body, deadline_ms, &resp,
                                    NULL, err);
    if (st == MT_OK)
        st = mt_ddb_unprocessed_items(resp, table, unprocessed, err);
    json_decref(resp);
    json_decref(body);
    return st;
}

/* Waits for TableStatus ACTIVE, polling DescribeTable every 200 ms. */
static enum mt_status wait_active(struct mt_ddb_client *client, const char *table,
                                  int64_t deadline_ms, struct mt_err *err)
{
    json_t *body = json_pack("{s:s}", "TableName", table);
    enum mt_status st = body ? MT_OK : MT_ERR_NOMEM;

    while (st == MT_OK) {
        json_t *resp = NULL;
        st = mt_ddb_call(client, "DescribeTable", table, body, deadline_ms, &resp, NULL, err);
        const char *status = json_string_value(
            json_object_get(json_object_get(resp, "Table"), "TableStatus"));
        bool active = status != NULL && strcmp(status, "ACTIVE") == 0;
        json_decref(resp);
        if (st != MT_OK || active)
            break;
        if (deadline_ms != 0 && mt_time_monotonic_ms() + 200 > deadline_ms) {
            st = mt_err_set(err, MT_ERR_TIMEOUT, "DynamoDB table '%s' did not become active "
                            "before the deadline", table);
            break;
        }
        struct timespec pause = {0, 200 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    json_decref(body);
    return st;
}

enum mt_status mt_ddb_create_table(struct mt_ddb_client *client,
                                   const struct mt_ddb_table_spec *spec, int64_t deadline_ms,
                                   struct mt_err *err)
{
    json_t *body = mt_ddb_create_table_body(spec);
    json_t *resp = NULL;
    struct mt_ddb_error aws = {0};
    struct mt_err scratch = {0};

    if (body == NULL)
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory building CreateTable");
    enum mt_status st = mt_ddb_call(client, "CreateTable", spec->table, body, deadline_ms, &resp,
                                    &aws, &scratch);
    json_decref(resp);
    json_decref(body);
    if (st == MT_ERR_AWS && strcmp(aws.type, "ResourceInUseException") == 0)
        st = MT_OK;
    if (st != MT_OK)
        return mt_err_set(err, st, "%s", scratch.detail);
    return wait_active(client, spec->table, deadline_ms, err);
}

enum mt_status mt_ddb_enable_ttl(struct mt_ddb_client *client, const char *table,
                                 const char *attribute, int64_t deadline_ms, struct mt_err *err)
{
    json_t *body = json_pack("{s:s, s:{s:b, s:s}}", "TableName", table,
                             "TimeToLiveSpecification", "Enabled", 1, "AttributeName", attribute);
    json_t *resp = NULL;
    struct mt_ddb_error aws = {0};
    struct mt_err scratch = {0};

    if (body == NULL)
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory building UpdateTimeToLive");
    enum mt_status st = mt_ddb_call(client, "UpdateTimeToLive", table, body, deadline_ms, &resp,
                                    &aws, &scratch);
    json_decref(resp);
    json_decref(body);
    if (st == MT_ERR_AWS && strcmp(aws.type, "UnknownOperationException") == 0)
        return mt_err_set(err, MT_ERR_UNSUPPORTED, "DynamoDB at '%s' does not support "
                          "UpdateTimeToLive; TTL on '%s' stays off", client->url.data, table);
    if (st == MT_ERR_AWS && strstr(aws.message, "already enabled") != NULL)
        return MT_OK;
    if (st != MT_OK)
        return mt_err_set(err, st, "%s", scratch.detail);
    return MT_OK;
}
