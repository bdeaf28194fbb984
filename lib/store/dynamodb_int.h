/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_STORE_DYNAMODB_INT_H
#define MT_STORE_DYNAMODB_INT_H

/*
 * The DynamoDB backend's table layout and report merge, shared by
 * dynamodb.c and the unit tests.
 *
 * Table layout (a contract with the Terraform in infra/, which sees sk as an
 * opaque string):
 *   pk (S)  "<UTC day of the event>#<2-digit shard>", e.g. "2026-11-23#07",
 *           shard = FNV-1a 32 of the message id mod DDB_SHARDS;
 *   sk (S)  "<event time, YYYY-MM-DDTHH:MM:SS.sssZ>#<row key>#<preference>",
 *           the preference being mt_row_preference of the copy (see
 *           ddb_sort_key), so each copy of an event is an item of its own and
 *           the preferred copy sorts first among them;
 *   every non-null row column as S under its column name, plus row_key (S),
 *   event_time_ms (N), expires_at (N, epoch seconds) for TTL, and pref (S,
 *   the preference in full).
 * Quarantine entries: pk "quarantine#<UTC day received>",
 *   sk "<received ISO>#<sha256 hex of raw>", with source, line, record,
 *   reason, received_ms and raw (S when valid UTF-8, else B).
 */

#include "mt/aws.h"
#include "mt/clock.h"
#include "mt/ddb.h"
#include "mt/event.h"
#include "mt/status.h"
#include "mt/store.h"

#include <jansson.h>
#include <stdint.h>

/* Shards per day.  Changing it orphans every stored row. */
#define DDB_SHARDS 16

/* "2026-11-23#07" and its NUL. */
#define DDB_PK_MAX 16

/* Longest preference a sort key carries as it is; a longer one is cut and hashed. */
#define DDB_PREF_VERBATIM_MAX 800

/* ISO time, '#', row key, '#', preference (at most verbatim plus 64 hex digits), NUL. */
#define DDB_SK_MAX (MT_TIME_ISO_LEN + 1 + MT_ROW_KEY_LEN + 1 + DDB_PREF_VERBATIM_MAX + 64 + 1)

/*
 * now + budget_ms on mt_time_monotonic_ms, or the calling thread's deadline
 * (mt_deadline_get) when that comes first, so a Lambda invocation's deadline
 * also bounds the store's own retry loops and its query threads.
 */
int64_t ddb_deadline_after(int64_t budget_ms);

/* FNV-1a, 32 bits, of s. */
uint32_t ddb_fnv1a32(struct mt_str s);

/* The shard of a message id: ddb_fnv1a32(message_id) % DDB_SHARDS. */
int ddb_shard(struct mt_str message_id);

/* Writes the partition key of a day (ms anywhere in it) and shard. */
void ddb_partition_key(int64_t day_ms, int shard, char out[DDB_PK_MAX]);

/*
 * Writes the sort key of one copy of a row and returns its length; pref is
 * the copy's mt_row_preference, which holds no NUL (the event parser refuses
 * \u0000).  The preference is the key's last part, after a prefix that every
 * copy of the event shares, so the keys of an event's copies compare bytewise
 * as their preferences do and the preferred copy sorts first.  DynamoDB caps a
 * sort key at 1024 bytes: a preference longer than DDB_PREF_VERBATIM_MAX is
 * cut at a UTF-8 boundary no further in, and the SHA-256 hex of the whole
 * follows.  Order is then still exact unless both preferences run past
 * DDB_PREF_VERBATIM_MAX - 3 bytes and agree that far; such a pair sorts by
 * digest, which does not depend on the order the copies arrive in either.
 */
size_t ddb_sort_key(const struct mt_row *row, struct mt_str pref, char out[DDB_SK_MAX]);

/* The item of a row; NULL when out of memory. */
json_t *ddb_row_item(const struct mt_row *row, int64_t expires_at_s);

/*
 * A row decoded from an item, owning its strings (one allocation: free with
 * free()).  MT_ERR_SCHEMA, naming the item's sk, when a key attribute is
 * missing or malformed; MT_ERR_NOMEM.
 */
enum mt_status ddb_item_row(const json_t *item, struct mt_row **out, struct mt_err *err);

/* The item of a quarantine entry; NULL when out of memory. */
json_t *ddb_quarantine_item(const struct mt_quarantine_entry *e, int64_t expires_at_s);

/*
 * A quarantine entry decoded from an item into e; strings point into item
 * (raw into *raw_buf when it was binary).  MT_ERR_SCHEMA; MT_ERR_NOMEM.
 */
enum mt_status ddb_item_quarantine(const json_t *item, struct mt_quarantine_entry *e,
                                   struct mt_buf *raw_buf, struct mt_err *err);

/*
 * The report merge.  Each partition (day and shard) yields rows in sort-key
 * order: event time, then row key, then preference.  Of the items of one row
 * key, which sit next to each other, only the first (the preferred copy) is
 * kept.  Report order (mt_row_cmp) differs within one event time, so each
 * partition's stream is cut into runs of equal event time, each run is
 * sorted, and the runs' heads are merged across partitions with a heap.
 * Memory holds, per partition, the page being read and the current run.
 */

/*
 * Gives the next page of a partition: *rows (malloc'd array, taken over) of
 * *count rows (each taken over), *done true when this was the last page.
 * An empty page that is not the last is allowed.
 */
typedef enum mt_status (*ddb_page_fn)(void *ctx, size_t partition, struct mt_row ***rows,
                                      size_t *count, bool *done, struct mt_err *err);

/*
 * Merges partitions streams, calling fn for each row in report order, once
 * per row key: a row whose key is that of the row before it in its stream is
 * freed unseen.  Stops at the first failure of next_page or fn and returns it.
 */
enum mt_status ddb_merge(size_t partitions, ddb_page_fn next_page, void *page_ctx,
                         mt_store_row_fn fn, void *fn_ctx, struct mt_err *err);

/* The DynamoDB store handle. */
struct ddb_store {
    struct mt_store base;
    char *table;
    struct mt_aws_config *aws;      /* owned */
    struct mt_ddb_client *client;   /* writes, setup and the quarantine; owned */
    int retention_days;
    int64_t write_timeout_ms;
    int64_t query_timeout_ms;
    int query_threads;
    int page_items;
};

/*
 * The report query: one Query per day and shard of [from_ms, to_ms), run by
 * a pool of s->query_threads threads (each with its own client and
 * connection), merged with ddb_merge.  fn is called in the caller's thread.
 */
enum mt_status ddb_store_query(struct ddb_store *s, int64_t from_ms, int64_t to_ms,
                               mt_store_row_fn fn, void *ctx, struct mt_err *err);

#endif
