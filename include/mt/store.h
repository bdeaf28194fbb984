/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_STORE_H
#define MT_STORE_H

/*
 * Where rows and rejected input are kept.
 *
 * One interface, several backends: SQLite (the embedded default) and
 * DynamoDB.  Writes are idempotent by row key: however often, and in however
 * many copies, a row is put, queries return it once, in its preferred copy
 * (mt_row_preference), whatever the order the copies came in.  Queries return
 * rows in report order (see mt_row_cmp) so that every backend gives
 * byte-identical reports.  A backend returns from put_rows only once the rows
 * are durably stored.
 *
 * A store is used by one thread at a time; callers that share one across
 * threads serialise access themselves.
 */

#include "mt/buf.h"
#include "mt/event.h"
#include "mt/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What became of one row given to put_rows.  A backend that writes without
 * reading (DynamoDB) cannot tell a repeat from a new row and reports every
 * row it wrote MT_PUT_STORED, never MT_PUT_DUPLICATE.
 */
enum mt_put_outcome {
    MT_PUT_STORED,    /* written now (on DynamoDB, possibly over the same copy) */
    MT_PUT_DUPLICATE, /* already stored; nothing changed (SQLite only) */
    MT_PUT_FAILED,    /* not written; see the call's error */
};

/* One rejected document or record, kept raw with the reason. */
struct mt_quarantine_entry {
    int64_t id;           /* assigned by the store; ignored on put */
    int64_t received_ms;  /* when it was rejected, ms since the epoch */
    const char *source;   /* file name, "stdin", "http", "lambda", ... */
    long line;            /* line in source for NDJSON, else 0 */
    int record;           /* SNS record or array index; -1 for the whole document */
    const char *reason;
    struct mt_str raw;
};

/* Receives one row of a query; a failure stops the query and is returned. */
typedef enum mt_status (*mt_store_row_fn)(void *ctx, const struct mt_row *row);

/* Receives one quarantine entry; a failure stops the listing. */
typedef enum mt_status (*mt_store_quarantine_fn)(void *ctx, const struct mt_quarantine_entry *e);

struct mt_store;

/* The operations every backend provides. */
struct mt_store_ops {
    const char *name; /* "sqlite", "dynamodb" */

    /*
     * Stores count rows, idempotently.  outcomes (count entries) receives
     * each row's outcome.  MT_ERR_PARTIAL when some rows failed and the rest
     * were stored.
     */
    enum mt_status (*put_rows)(struct mt_store *store, const struct mt_row *rows, size_t count,
                               enum mt_put_outcome *outcomes, struct mt_err *err);

    /* Keeps rejected input.  The same raw bytes kept twice are kept once. */
    enum mt_status (*put_quarantine)(struct mt_store *store,
                                     const struct mt_quarantine_entry *entry, struct mt_err *err);

    /* Calls fn for each row with from_ms <= event time < to_ms, in report order. */
    enum mt_status (*query)(struct mt_store *store, int64_t from_ms, int64_t to_ms,
                            mt_store_row_fn fn, void *ctx, struct mt_err *err);

    /* Calls fn for each quarantine entry, oldest first. */
    enum mt_status (*list_quarantine)(struct mt_store *store, mt_store_quarantine_fn fn,
                                      void *ctx, struct mt_err *err);

    /* Creates what the backend needs where no provisioning tool did; optional. */
    enum mt_status (*setup)(struct mt_store *store, struct mt_err *err);

    void (*close)(struct mt_store *store);
};

/* Every backend's handle starts with this. */
struct mt_store {
    const struct mt_store_ops *ops;
    char *location; /* what was opened, for messages; owned */
};

/* Options for opening a store; zero means the default. */
struct mt_store_options {
    int busy_timeout_ms; /* SQLite: how long to wait for another writer (default 30000) */

    /* SQLite: fail with MT_ERR_NOT_FOUND instead of creating a missing file. */
    bool must_exist;

    /*
     * SQLite: the caller only reads.  A file this process may not write (or
     * whose folder it may not write) is then opened read-only, as it is, and
     * must already be at the current schema version.
     */
    bool read_only;

    /* DynamoDB: items expire (TTL) this many days after the event (default 400). */
    int retention_days;

    /*
     * DynamoDB: how long one put_rows or put_quarantine may keep retrying
     * throttled or unprocessed writes before it reports the rows it could
     * not write (default 30000).
     */
    int64_t write_timeout_ms;

    /* DynamoDB: how long a whole query may take (default 300000). */
    int64_t query_timeout_ms;

    /* DynamoDB: threads running the report's partition queries (default 8, at most 32). */
    int query_threads;

    /* DynamoDB: items per Query page (default 200); bounds the report's memory. */
    int page_items;
};

/*
 * Opens a store by URI: "sqlite:PATH" or a plain path for SQLite,
 * "dynamodb://TABLE" for DynamoDB.  The SQLite file and its schema are
 * created or migrated as needed.  MT_ERR_STORE_VERSION when the file was
 * written by a newer mailtrack; MT_ERR_UNSUPPORTED for an unknown scheme.
 */
enum mt_status mt_store_open(const char *uri, const struct mt_store_options *options,
                             struct mt_store **out, struct mt_err *err);

/*
 * Opens the DynamoDB store of table, with the credentials, region and
 * endpoint of the AWS configuration (see aws.h).  Used by mt_store_open.
 * MT_ERR_INVALID for a bad table name; MT_ERR_CREDENTIALS; MT_ERR_CONFIG.
 * No request is sent until the first operation.
 */
enum mt_status mt_store_open_dynamodb(const char *table, const struct mt_store_options *options,
                                      struct mt_store **out, struct mt_err *err);

/* Opens an SQLite store at path.  Used by mt_store_open. */
enum mt_status mt_store_open_sqlite(const char *path, const struct mt_store_options *options,
                                    struct mt_store **out, struct mt_err *err);

/* Closes a store.  NULL does nothing. */
void mt_store_close(struct mt_store *store);

/* The schema version this build writes to SQLite (PRAGMA user_version). */
int mt_store_sqlite_schema_version(void);

#endif
