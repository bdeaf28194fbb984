/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_DDB_H
#define MT_DDB_H

/*
 * The DynamoDB calls mailtrack needs, over DynamoDB's JSON protocol
 * (POST /, X-Amz-Target: DynamoDB_20120810.<Operation>,
 * application/x-amz-json-1.0), signed with SigV4.
 *
 * Two layers.  The pure layer builds request bodies and reads responses and
 * error bodies as jansson values, with no I/O, so it is testable on its own.
 * The client layer (struct mt_ddb_client, declared below) sends them through
 * mt_http with retries of throttling, 5xx and network errors, re-signing
 * every attempt.
 *
 * AWS errors are reported with their type (the part of "__type" after the
 * last '#', without anything after a ':') and message, e.g.
 * "DynamoDB Query on 'events': HTTP 400 ValidationException: ...".
 *
 * Not covered: PutItem with conditions, transactions, Scan, streams, binary
 * and set attribute helpers.  Spec: Amazon DynamoDB API Reference (API
 * version 2012-08-10) and the developer guide's "Error handling".
 */

#include "mt/aws.h"
#include "mt/buf.h"
#include "mt/http.h"
#include "mt/status.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* BatchWriteItem's limit on requests per call. */
#define MT_DDB_BATCH_MAX 25

/* An error DynamoDB returned. */
struct mt_ddb_error {
    long http_status;  /* 0 when no response arrived */
    char type[96];     /* e.g. "ThrottlingException"; empty when the body named none */
    char message[512]; /* the service's message, truncated; may be empty */
};

/*
 * Reads an error body: {"__type":"ns#Type","message":"..."} ("Message" is
 * accepted too).  Fills out (type and message empty when the body is not such
 * an object).  Never fails.
 */
void mt_ddb_error_parse(struct mt_str body, long http_status, struct mt_ddb_error *out);

/*
 * True for errors worth retrying: ThrottlingException,
 * ProvisionedThroughputExceededException, RequestLimitExceeded,
 * LimitExceededException, ItemCollectionSizeLimitExceededException,
 * InternalServerError, ServiceUnavailable, and any 5xx status.
 */
bool mt_ddb_error_retryable(const struct mt_ddb_error *e);

/* {"S": s}; NULL when out of memory. */
json_t *mt_ddb_attr_s(struct mt_str s);

/* {"N": "<n>"}; NULL when out of memory. */
json_t *mt_ddb_attr_n(int64_t n);

/* The S value of item[name] as a view into item; absent when missing or not S. */
struct mt_str mt_ddb_item_s(const json_t *item, const char *name);

/* The N value of item[name] as an integer; false when missing, not N or not an integer. */
bool mt_ddb_item_n(const json_t *item, const char *name, int64_t *out);

/*
 * {"RequestItems":{table:[{"PutRequest":{"Item":item}}, ...]}} for an array of
 * items (borrowed; references are added).  NULL when out of memory.
 */
json_t *mt_ddb_batch_write_body(const char *table, json_t *items);

/*
 * Appends value as compact JSON to out: what json_dumps(value, JSON_COMPACT)
 * gives, written straight into a buffer (objects in insertion order, UTF-8
 * kept, control characters, quotes and backslashes escaped).  Request bodies
 * are encoded once per request, so this is on every write's path.
 * MT_ERR_NOMEM, MT_ERR_TOO_LARGE past the buffer's cap, MT_ERR_INVALID for a
 * real number that is not finite.
 */
enum mt_status mt_ddb_json_encode(const json_t *value, struct mt_buf *out);

/*
 * The items of a BatchWriteItem response's UnprocessedItems for table, as a
 * new array (empty when all were processed); *out is NULL on failure.
 * MT_ERR_SCHEMA when the response is not shaped as documented.
 */
enum mt_status mt_ddb_unprocessed_items(const json_t *response, const char *table,
                                        json_t **out, struct mt_err *err);

/* A Query on the table or one of its indexes. */
struct mt_ddb_query {
    const char *table;
    const char *index_name;          /* optional */
    const char *key_condition;       /* e.g. "pk = :pk AND sk BETWEEN :lo AND :hi" */
    json_t *attribute_names;         /* optional {"#n": "name"}; borrowed */
    json_t *attribute_values;        /* {":pk": {"S": ...}}; borrowed */
    json_t *exclusive_start_key;     /* optional; borrowed */
    int limit;                       /* items per page; 0: the service's 1 MB page */
    bool consistent_read;
};

/* The body of a Query request; NULL when out of memory. */
json_t *mt_ddb_query_body(const struct mt_ddb_query *q);

/*
 * Reads a Query response: *items is its Items array and *last_key its
 * LastEvaluatedKey (NULL when absent: the last page).  Both are borrowed from
 * response.  MT_ERR_SCHEMA when Items is missing or not an array.
 */
enum mt_status mt_ddb_query_result(const json_t *response, json_t **items, json_t **last_key,
                                   struct mt_err *err);

/* A table with a string hash key and an optional string range key, on demand. */
struct mt_ddb_table_spec {
    const char *table;
    const char *hash_key;
    const char *range_key;       /* optional */
    const char *gsi_name;        /* optional global secondary index, all attributes projected */
    const char *gsi_hash_key;
    const char *gsi_range_key;   /* optional */
};

/* The body of a CreateTable request (PAY_PER_REQUEST); NULL when out of memory. */
json_t *mt_ddb_create_table_body(const struct mt_ddb_table_spec *spec);

/*
 * The body of a Scan with a filter, e.g. "begins_with(pk, :p)"; values and
 * start key borrowed.  NULL when out of memory.
 */
json_t *mt_ddb_scan_body(const char *table, const char *filter, json_t *attribute_values,
                         json_t *exclusive_start_key);

/*
 * The body of a strongly consistent BatchGetItem of keys (an array of key
 * objects, borrowed; at most 100) from table, reading only the attributes of
 * projection (e.g. "pk, sk").  NULL when out of memory.
 */
json_t *mt_ddb_batch_get_body(const char *table, json_t *keys, const char *projection);

/*
 * Reads a BatchGetItem response: *items (Responses[table]) and *unprocessed
 * (UnprocessedKeys[table].Keys, NULL when none), both borrowed from response.
 * MT_ERR_SCHEMA when Responses is not shaped as documented.
 */
enum mt_status mt_ddb_batch_get_result(const json_t *response, const char *table,
                                       json_t **items, json_t **unprocessed,
                                       struct mt_err *err);

/*
 * The client.  One client owns one HTTP connection and is used by one thread
 * at a time; run several for parallel calls.  Every attempt is signed afresh
 * (so a retry never carries a stale X-Amz-Date), with host, content-type and
 * x-amz-target signed.
 */
struct mt_ddb_client;

/*
 * Creates a client for the endpoint, region and credentials of aws
 * (borrowed; it must outlive the client).  http may be NULL for the HTTP
 * defaults.  MT_ERR_CREDENTIALS, MT_ERR_CONFIG (no region or a bad
 * endpoint), MT_ERR_NOMEM, or the HTTP client's failure.
 */
enum mt_status mt_ddb_client_new(const struct mt_aws_config *aws,
                                 const struct mt_http_options *http,
                                 struct mt_ddb_client **out, struct mt_err *err);

/* Releases the client.  NULL does nothing. */
void mt_ddb_client_free(struct mt_ddb_client *client);

/* The endpoint URL the client talks to, for messages. */
const char *mt_ddb_client_url(const struct mt_ddb_client *client);

/*
 * Calls operation (e.g. "Query") with body and returns the parsed response
 * in *response (new reference; NULL on failure).  subject names what the
 * call is about (a table) in error details.  deadline_ms is absolute on
 * mt_time_monotonic_ms (0: none); retryable errors are retried until the
 * HTTP client's attempts or the deadline run out.
 *
 * Returns MT_OK; MT_ERR_THROTTLED when throttling outlasted the retries;
 * MT_ERR_AWS for another AWS error (aws_error, when not NULL, gets its type
 * and message; its http_status is 0 when no response arrived);
 * MT_ERR_TIMEOUT, MT_ERR_CONNECT or MT_ERR_HTTP from the transport;
 * MT_ERR_PARSE when a 200 response is not a JSON object; MT_ERR_NOMEM.
 */
enum mt_status mt_ddb_call(struct mt_ddb_client *client, const char *operation,
                           const char *subject, json_t *body, int64_t deadline_ms,
                           json_t **response, struct mt_ddb_error *aws_error,
                           struct mt_err *err);

/*
 * BatchWriteItem of up to MT_DDB_BATCH_MAX items (an array, borrowed) into
 * table.  *unprocessed receives the items DynamoDB did not write (a new
 * array, empty when all were written).  Statuses as mt_ddb_call.
 */
enum mt_status mt_ddb_batch_write(struct mt_ddb_client *client, const char *table, json_t *items,
                                  int64_t deadline_ms, json_t **unprocessed, struct mt_err *err);

/*
 * Creates a table and waits until it is ACTIVE.  A table that already exists
 * is not an error.  Statuses as mt_ddb_call; MT_ERR_TIMEOUT when the table
 * does not become active before the deadline.
 */
enum mt_status mt_ddb_create_table(struct mt_ddb_client *client,
                                   const struct mt_ddb_table_spec *spec, int64_t deadline_ms,
                                   struct mt_err *err);

/*
 * Enables TTL on attribute of table.  MT_ERR_UNSUPPORTED when the service
 * does not know UpdateTimeToLive (dynalite); otherwise as mt_ddb_call.
 */
enum mt_status mt_ddb_enable_ttl(struct mt_ddb_client *client, const char *table,
                                 const char *attribute, int64_t deadline_ms, struct mt_err *err);

#endif
