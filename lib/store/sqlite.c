/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SQLite backend: one file, WAL, schema versioned with PRAGMA
 * user_version and migrated forward on open.
 *
 * Rows live in table "events", one column per report column plus the event
 * time in ms and the row key.  The unique index events_by_time, in report
 * order, makes INSERT OR IGNORE idempotent, lets sqlite3_changes() tell a
 * new row from a duplicate, and serves the report as one range scan with no
 * sort.  Rows arrive roughly in time order, so inserts land near its end.
 * Rejected input lives in "quarantine", deduplicated by a digest of the raw
 * bytes.
 *
 * Writers take the lock up front (BEGIN IMMEDIATE) and wait up to the busy
 * timeout for each other, so several ingests may run at once.  Every write
 * transaction is committed with synchronous=FULL: when put_rows returns, the
 * rows survive a crash or power loss.
 */
#include "mt/store.h"

#include "mt/clock.h"
#include "mt/digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* "MTRK": marks the file as mailtrack's (PRAGMA application_id). */
#define MT_SQLITE_APP_ID 0x4d54524b

struct sqlite_store {
    struct mt_store base;
    sqlite3 *db;
    sqlite3_stmt *insert_row;
    sqlite3_stmt *prefer_row;  /* replaces a stored copy the new one is preferred to */
    sqlite3_stmt *insert_quarantine;
    struct mt_buf pref;        /* scratch for mt_row_preference */
};

/* Schema steps; step i takes the file from user_version i to i + 1. */
static const char *const s_migrations[] = {
    /*
     * 1: the events table, and one index that serves both the weekly report
     * (it is the report order, so a week is one range scan with no sort) and
     * idempotence: a row key is derived from the event time, message id,
     * event type and recipient, so the index is unique exactly when row_key
     * is.  A missing recipient is stored as '' so that it takes part.
     */
    "CREATE TABLE events ("
    "  row_key TEXT NOT NULL,"
    "  event_time_ms INTEGER NOT NULL,"
#define MT_COLUMN_SQL(sym, name) "  " #name " TEXT,"
    MT_COLUMN_LIST(MT_COLUMN_SQL)
#undef MT_COLUMN_SQL
    "  stored_at_ms INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX events_by_time ON events"
    "  (event_time_ms, message_id, recipient, event_type, row_key);",

    /*
     * 2: rejected input, kept raw with the reason; and which copy of an
     * event that arrived twice is kept (mt_row_preference).
     */
    "ALTER TABLE events ADD COLUMN pref TEXT NOT NULL DEFAULT '';"
    "CREATE TABLE quarantine ("
    "  id INTEGER PRIMARY KEY,"
    "  digest TEXT NOT NULL UNIQUE,"
    "  received_ms INTEGER NOT NULL,"
    "  source TEXT NOT NULL,"
    "  line INTEGER NOT NULL,"
    "  record INTEGER NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  raw BLOB NOT NULL);",
};

#define MT_SCHEMA_VERSION ((int)(sizeof(s_migrations) / sizeof(s_migrations[0])))

int mt_store_sqlite_schema_version(void)
{
    return MT_SCHEMA_VERSION;
}

static enum mt_status db_fail(struct sqlite_store *s, struct mt_err *err, const char *what)
{
    return mt_err_set(err, MT_ERR_STORE, "database '%s': %s: %s", s->base.location, what,
                      sqlite3_errmsg(s->db));
}

static enum mt_status exec(struct sqlite_store *s, const char *sql, struct mt_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return MT_OK;
    enum mt_status st = mt_err_set(err, MT_ERR_STORE, "database '%s': %s", s->base.location,
                                   msg ? msg : sqlite3_errmsg(s->db));
    sqlite3_free(msg);
    return st;
}

static int pragma_int(struct sqlite_store *s, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    int value = -1;
    if (sqlite3_prepare_v2(s->db, sql, -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        value = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return value;
}

/* True when the file holds tables but is not marked as mailtrack's. */
static bool is_foreign(struct sqlite_store *s, int version)
{
    int app_id = pragma_int(s, "PRAGMA application_id");
    int tables = pragma_int(s, "SELECT count(*) FROM sqlite_master");
    return app_id != MT_SQLITE_APP_ID && (version > 0 || tables > 0);
}

/*
 * Brings the schema to MT_SCHEMA_VERSION.  Runs under an immediate
 * transaction and re-reads the version inside it, so two processes opening a
 * new file at once migrate it once.
 */
static enum mt_status migrate(struct sqlite_store *s, struct mt_err *err)
{
    enum mt_status st = exec(s, "BEGIN IMMEDIATE", err);
    if (st != MT_OK)
        return st;

    int version = pragma_int(s, "PRAGMA user_version");
    if (version < 0) {
        st = db_fail(s, err, "cannot read the schema version");
    } else if (version > MT_SCHEMA_VERSION) {
        st = mt_err_set(err, MT_ERR_STORE_VERSION,
                        "database '%s' has schema version %d; this mailtrack knows up to %d",
                        s->base.location, version, MT_SCHEMA_VERSION);
    } else if (is_foreign(s, version)) {
        st = mt_err_set(err, MT_ERR_STORE, "database '%s' is not a mailtrack database",
                        s->base.location);
    }

    for (int v = version; st == MT_OK && v < MT_SCHEMA_VERSION; v++) {
        char sql[96];
        st = exec(s, s_migrations[v], err);
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d; PRAGMA application_id = %d", v + 1,
                 MT_SQLITE_APP_ID);
        if (st == MT_OK)
            st = exec(s, sql, err);
    }

    if (st == MT_OK)
        return exec(s, "COMMIT", err);
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

/*
 * Switches the file to WAL.  When several processes open a new file at once,
 * the switch can report SQLITE_BUSY (or a transient I/O error while another
 * process sets up the WAL) without consulting the busy handler, so it is
 * retried here, for as long as the busy timeout allows.
 */
static enum mt_status enter_wal(struct sqlite_store *s, int timeout_ms, struct mt_err *err)
{
    int64_t deadline = mt_time_monotonic_ms() + timeout_ms;
    int wait_ms = 5;

    for (;;) {
        int rc = sqlite3_exec(s->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
        int primary = rc & 0xff;
        if (rc == SQLITE_OK)
            return MT_OK;
        if ((primary != SQLITE_BUSY && primary != SQLITE_LOCKED && primary != SQLITE_IOERR) ||
            mt_time_monotonic_ms() + wait_ms > deadline)
            return db_fail(s, err, "cannot switch to WAL");
        sqlite3_sleep(wait_ms);
        wait_ms = wait_ms < 100 ? wait_ms * 2 : wait_ms;
    }
}

static enum mt_status prepare(struct sqlite_store *s, struct mt_err *err)
{
    /* Parameters: 1 row_key, 2 event_time_ms, 3 stored_at_ms, 4 pref, then the columns. */
    static const char insert_row[] =
        "INSERT OR IGNORE INTO events (row_key, event_time_ms, stored_at_ms, pref"
#define MT_COLUMN_NAME(sym, name) ", " #name
        MT_COLUMN_LIST(MT_COLUMN_NAME)
#undef MT_COLUMN_NAME
        ") VALUES (?, ?, ?, ?"
#define MT_COLUMN_PARAM(sym, name) ", ?"
        MT_COLUMN_LIST(MT_COLUMN_PARAM)
#undef MT_COLUMN_PARAM
        ")";
    static const char *const columns[] = {
#define MT_COLUMN_NAME(sym, name) #name,
        MT_COLUMN_LIST(MT_COLUMN_NAME)
#undef MT_COLUMN_NAME
    };
    struct mt_buf prefer_row;

    /*
     * Same parameters.  The WHERE clause names every column of the unique
     * index, so the stored copy is found through the index, not by a scan;
     * the columns are the same in both copies, since the key derives from
     * them.
     */
    mt_buf_init(&prefer_row, 0);
    mt_buf_append_cstr(&prefer_row, "UPDATE events SET pref = ?4");
    for (int c = 0; c < MT_COL_COUNT; c++)
        mt_buf_appendf(&prefer_row, ", %s = ?%d", columns[c], 5 + c);
    mt_buf_appendf(&prefer_row,
                   " WHERE event_time_ms = ?2 AND message_id = ?%d AND recipient = ?%d"
                   " AND event_type = ?%d AND row_key = ?1 AND pref > ?4",
                   5 + MT_COL_MESSAGE_ID, 5 + MT_COL_RECIPIENT, 5 + MT_COL_EVENT_TYPE);
    static const char insert_quarantine[] =
        "INSERT OR IGNORE INTO quarantine (digest, received_ms, source, line, record, reason, raw)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)";

    if (sqlite3_prepare_v3(s->db, insert_row, -1, SQLITE_PREPARE_PERSISTENT, &s->insert_row,
                           NULL) != SQLITE_OK ||
        prefer_row.data == NULL ||
        sqlite3_prepare_v3(s->db, prefer_row.data, -1, SQLITE_PREPARE_PERSISTENT,
                           &s->prefer_row, NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(s->db, insert_quarantine, -1, SQLITE_PREPARE_PERSISTENT,
                           &s->insert_quarantine, NULL) != SQLITE_OK) {
        mt_buf_cleanup(&prefer_row);
        return db_fail(s, err, "cannot prepare statements");
    }
    mt_buf_cleanup(&prefer_row);
    return MT_OK;
}

static void bind_str(sqlite3_stmt *stmt, int index, struct mt_str s)
{
    if (s.ptr == NULL)
        sqlite3_bind_null(stmt, index);
    else
        sqlite3_bind_text(stmt, index, s.ptr, (int)s.len, SQLITE_STATIC);
}

/* Binds a row to the parameters shared by insert_row and prefer_row; runs it. */
static int step_row(struct sqlite_store *s, sqlite3_stmt *stmt, const struct mt_row *row,
                    int64_t now_ms)
{
    sqlite3_bind_text(stmt, 1, row->key, MT_ROW_KEY_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, row->event_time_ms);
    sqlite3_bind_int64(stmt, 3, now_ms);
    sqlite3_bind_text(stmt, 4, s->pref.data, (int)s->pref.len, SQLITE_STATIC);
    for (int c = 0; c < MT_COL_COUNT; c++)
        bind_str(stmt, 5 + c, row->col[c]);
    /* The unique index treats NULLs as distinct, so a missing recipient is stored as ''. */
    if (row->col[MT_COL_RECIPIENT].ptr == NULL)
        sqlite3_bind_text(stmt, 5 + MT_COL_RECIPIENT, "", 0, SQLITE_STATIC);

    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    return rc;
}

/*
 * Inserts one row; sets *outcome.  A copy already stored is replaced only
 * when this one is preferred, so the result does not depend on the order
 * copies arrive in.  false on a database error.
 */
static bool insert_one(struct sqlite_store *s, const struct mt_row *row, int64_t now_ms,
                       enum mt_put_outcome *outcome)
{
    mt_row_preference(row, &s->pref);
    if (step_row(s, s->insert_row, row, now_ms) != SQLITE_DONE)
        return false;
    if (sqlite3_changes(s->db) > 0) {
        *outcome = MT_PUT_STORED;
        return true;
    }
    *outcome = MT_PUT_DUPLICATE;
    return step_row(s, s->prefer_row, row, now_ms) == SQLITE_DONE;
}

static enum mt_status sqlite_put_rows(struct mt_store *store, const struct mt_row *rows,
                                      size_t count, enum mt_put_outcome *outcomes,
                                      struct mt_err *err)
{
    struct sqlite_store *s = (struct sqlite_store *)store;
    int64_t now_ms = mt_time_now_ms();

    for (size_t i = 0; i < count; i++)
        outcomes[i] = MT_PUT_FAILED;
    if (count == 0)
        return MT_OK;

    enum mt_status st = exec(s, "BEGIN IMMEDIATE", err);
    if (st != MT_OK)
        return st;

    for (size_t i = 0; i < count; i++) {
        if (!insert_one(s, &rows[i], now_ms, &outcomes[i])) {
            st = db_fail(s, err, "cannot insert a row");
            break;
        }
    }
    if (st == MT_OK)
        st = exec(s, "COMMIT", err);
    if (st != MT_OK) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        for (size_t i = 0; i < count; i++)
            outcomes[i] = MT_PUT_FAILED;
    }
    return st;
}

static enum mt_status sqlite_put_quarantine(struct mt_store *store,
                                            const struct mt_quarantine_entry *e,
                                            struct mt_err *err)
{
    struct sqlite_store *s = (struct sqlite_store *)store;
    sqlite3_stmt *stmt = s->insert_quarantine;
    char digest[65];

    mt_sha256_hex(e->raw, digest); /* the quarantine's deduplication key */
    sqlite3_bind_text(stmt, 1, digest, 64, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, e->received_ms);
    sqlite3_bind_text(stmt, 3, e->source ? e->source : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, e->line);
    sqlite3_bind_int(stmt, 5, e->record);
    sqlite3_bind_text(stmt, 6, e->reason ? e->reason : "", -1, SQLITE_STATIC);
    sqlite3_bind_blob64(stmt, 7, e->raw.ptr ? e->raw.ptr : "", e->raw.len, SQLITE_STATIC);

    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (rc != SQLITE_DONE)
        return db_fail(s, err, "cannot keep rejected input");
    return MT_OK;
}

static struct mt_str column_str(sqlite3_stmt *stmt, int index)
{
    const unsigned char *text = sqlite3_column_text(stmt, index);
    if (text == NULL)
        return MT_STR_NULL;
    return (struct mt_str){(const char *)text, (size_t)sqlite3_column_bytes(stmt, index)};
}

static enum mt_status sqlite_query(struct mt_store *store, int64_t from_ms, int64_t to_ms,
                                   mt_store_row_fn fn, void *ctx, struct mt_err *err)
{
    struct sqlite_store *s = (struct sqlite_store *)store;
    static const char sql[] =
        "SELECT row_key, event_time_ms"
#define MT_COLUMN_NAME(sym, name) ", " #name
        MT_COLUMN_LIST(MT_COLUMN_NAME)
#undef MT_COLUMN_NAME
        " FROM events WHERE event_time_ms >= ? AND event_time_ms < ?"
        " ORDER BY event_time_ms, message_id, recipient, event_type, row_key";
    sqlite3_stmt *stmt = NULL;
    enum mt_status st = MT_OK;

    if (sqlite3_prepare_v2(s->db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return db_fail(s, err, "cannot prepare the report query");
    sqlite3_bind_int64(stmt, 1, from_ms);
    sqlite3_bind_int64(stmt, 2, to_ms);

    int rc;
    while (st == MT_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct mt_row row;
        struct mt_str key = column_str(stmt, 0);
        memset(&row, 0, sizeof(row));
        memcpy(row.key, key.ptr, key.len < MT_ROW_KEY_LEN ? key.len : MT_ROW_KEY_LEN);
        row.event_time_ms = sqlite3_column_int64(stmt, 1);
        for (int c = 0; c < MT_COL_COUNT; c++)
            row.col[c] = column_str(stmt, 2 + c);
        if (row.col[MT_COL_RECIPIENT].len == 0)
            row.col[MT_COL_RECIPIENT] = MT_STR_NULL;
        if (mt_event_type_parse(row.col[MT_COL_EVENT_TYPE], &row.type) != MT_OK)
            row.type = MT_EVENT_TYPE_COUNT;
        st = fn(ctx, &row);
    }
    if (st == MT_OK && rc != SQLITE_DONE)
        st = db_fail(s, err, "report query failed");
    sqlite3_finalize(stmt);
    return st;
}

static enum mt_status sqlite_list_quarantine(struct mt_store *store, mt_store_quarantine_fn fn,
                                             void *ctx, struct mt_err *err)
{
    struct sqlite_store *s = (struct sqlite_store *)store;
    static const char sql[] =
        "SELECT id, received_ms, source, line, record, reason, raw FROM quarantine ORDER BY id";
    sqlite3_stmt *stmt = NULL;
    enum mt_status st = MT_OK;

    if (sqlite3_prepare_v2(s->db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return db_fail(s, err, "cannot prepare the quarantine listing");

    int rc;
    while (st == MT_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct mt_quarantine_entry e = {
            .id = sqlite3_column_int64(stmt, 0),
            .received_ms = sqlite3_column_int64(stmt, 1),
            .source = (const char *)sqlite3_column_text(stmt, 2),
            .line = (long)sqlite3_column_int64(stmt, 3),
            .record = sqlite3_column_int(stmt, 4),
            .reason = (const char *)sqlite3_column_text(stmt, 5),
        };
        e.raw.ptr = sqlite3_column_blob(stmt, 6);
        e.raw.len = (size_t)sqlite3_column_bytes(stmt, 6);
        if (e.raw.ptr == NULL)
            e.raw.ptr = "";
        st = fn(ctx, &e);
    }
    if (st == MT_OK && rc != SQLITE_DONE)
        st = db_fail(s, err, "quarantine listing failed");
    sqlite3_finalize(stmt);
    return st;
}

static enum mt_status sqlite_setup(struct mt_store *store, struct mt_err *err)
{
    (void)store;
    (void)err;
    return MT_OK; /* the schema is created on open */
}

static void sqlite_close(struct mt_store *store)
{
    struct sqlite_store *s = (struct sqlite_store *)store;
    sqlite3_finalize(s->insert_row);
    sqlite3_finalize(s->prefer_row);
    sqlite3_finalize(s->insert_quarantine);
    mt_buf_cleanup(&s->pref);
    sqlite3_close(s->db);
    free(s->base.location);
    free(s);
}

static const struct mt_store_ops s_sqlite_ops = {
    .name = "sqlite",
    .put_rows = sqlite_put_rows,
    .put_quarantine = sqlite_put_quarantine,
    .query = sqlite_query,
    .list_quarantine = sqlite_list_quarantine,
    .setup = sqlite_setup,
    .close = sqlite_close,
};

/* True when this process may create files in the folder that holds path. */
static bool may_write_folder(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return access(".", W_OK) == 0;
    if (slash == path)
        return access("/", W_OK) == 0;

    char *dir = strndup(path, (size_t)(slash - path));
    bool ok = dir != NULL && access(dir, W_OK) == 0;
    free(dir);
    return ok;
}

/* True when the file path followed by suffix (e.g. "-wal") exists. */
static bool beside_exists(const char *path, const char *suffix)
{
    struct mt_buf name;
    mt_buf_init(&name, 0);
    bool exists = mt_buf_appendf(&name, "%s%s", path, suffix) == MT_OK &&
                  access(name.data, F_OK) == 0;
    mt_buf_cleanup(&name);
    return exists;
}

/*
 * True when SQLite could not open path in WAL mode read-only without being
 * told the file cannot change: it must create the -shm file beside it.
 * That is so on a read-only file system, and where the folder may not be
 * written and no writer has a -wal file open.
 *
 * LIMITATION: in the second case the file is read as immutable; if another
 * user who may write the folder starts writing during a report, the report
 * may fail with a corruption error or miss those rows.  Run it again.
 */
static bool needs_immutable(const char *path, bool folder_writable)
{
    struct statvfs fs;
    if (statvfs(path, &fs) == 0 && (fs.f_flag & ST_RDONLY) != 0)
        return true;
    return !folder_writable && !beside_exists(path, "-wal");
}

/*
 * What to give sqlite3_open_v2 for path.  SQLite as Debian builds it reads a
 * name starting "file:" as a URI (where "mode=memory" keeps nothing), so
 * such a name gets "./" in front.  A read-only open is a URI: mode=ro, and
 * immutable=1 when asked (see needs_immutable).
 */
static enum mt_status open_target(const char *path, bool read_only, bool immutable,
                                  struct mt_buf *out, struct mt_err *err)
{
    enum mt_status st = MT_OK;

    if (!read_only) {
        if (strncmp(path, "file:", 5) == 0)
            st = mt_buf_append_cstr(out, "./");
        if (st == MT_OK)
            st = mt_buf_append_cstr(out, path);
    } else {
        /* An empty authority ("file://") before an absolute path. */
        st = mt_buf_append_cstr(out, path[0] == '/' ? "file://" : "file:./");
        for (const char *p = path; st == MT_OK && *p != '\0'; p++) {
            if (*p == '%' || *p == '?' || *p == '#')
                st = mt_buf_appendf(out, "%%%02X", (unsigned char)*p);
            else
                st = mt_buf_append_byte(out, *p);
        }
        if (st == MT_OK)
            st = mt_buf_append_cstr(out, "?mode=ro");
        if (st == MT_OK && immutable)
            st = mt_buf_append_cstr(out, "&immutable=1");
    }
    if (st != MT_OK)
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory opening '%s'", path);
    return MT_OK;
}

/* A read-only database must already be mailtrack's, at this schema version. */
static enum mt_status check_read_only_schema(struct sqlite_store *s, struct mt_err *err)
{
    int version = pragma_int(s, "PRAGMA user_version");
    if (version < 0)
        return db_fail(s, err, "cannot read the schema version");
    if (is_foreign(s, version) || version == 0)
        return mt_err_set(err, MT_ERR_STORE, "database '%s' is not a mailtrack database",
                          s->base.location);
    if (version > MT_SCHEMA_VERSION)
        return mt_err_set(err, MT_ERR_STORE_VERSION,
                          "database '%s' has schema version %d; this mailtrack knows up to %d",
                          s->base.location, version, MT_SCHEMA_VERSION);
    if (version < MT_SCHEMA_VERSION)
        return mt_err_set(err, MT_ERR_STORE_VERSION,
                          "database '%s' is read-only and has schema version %d; mailtrack "
                          "needs %d, which a command that writes (ingest) sets up",
                          s->base.location, version, MT_SCHEMA_VERSION);
    return MT_OK;
}

enum mt_status mt_store_open_sqlite(const char *path, const struct mt_store_options *options,
                                    struct mt_store **out, struct mt_err *err)
{
    int timeout_ms = options && options->busy_timeout_ms ? options->busy_timeout_ms : 30000;
    enum mt_status st;

    *out = NULL;
    /* SQLite reads "" as a database that vanishes on close. */
    if (path[0] == '\0')
        return mt_err_set(err, MT_ERR_INVALID, "the database path is empty");

    struct sqlite_store *s = calloc(1, sizeof(*s));
    if (s == NULL || (s->base.location = strdup(path)) == NULL) {
        free(s);
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory opening '%s'", path);
    }
    s->base.ops = &s_sqlite_ops;
    mt_buf_init(&s->pref, 0);

    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (options == NULL || !options->must_exist)
        flags |= SQLITE_OPEN_CREATE;
    else if (access(path, F_OK) != 0) {
        st = mt_err_set(err, MT_ERR_NOT_FOUND,
                        "database '%s' does not exist (mailtrack ingest creates it)", path);
        goto out;
    }
    bool folder_writable = options != NULL && options->read_only && may_write_folder(path);
    bool read_only = options != NULL && options->read_only &&
                     (access(path, W_OK) != 0 || !folder_writable);
    if (read_only && !folder_writable && beside_exists(path, "-wal") &&
        !beside_exists(path, "-shm")) {
        st = mt_err_set(err, MT_ERR_STORE,
                        "database '%s' has a -wal file of changes not yet merged into it, and "
                        "its folder cannot be written, so SQLite cannot read it; copy both "
                        "files to a folder you may write",
                        path);
        goto out;
    }
    if (!read_only && access(path, F_OK) == 0 && access(path, W_OK) != 0) {
        st = mt_err_set(err, MT_ERR_STORE, "database '%s' cannot be written: %s", path,
                        strerror(errno));
        goto out;
    }
    struct mt_buf target;
    mt_buf_init(&target, 0);
    st = open_target(path, read_only, read_only && needs_immutable(path, folder_writable), &target,
                     err);
    if (st != MT_OK) {
        mt_buf_cleanup(&target);
        goto out;
    }
    if (read_only)
        flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
    int opened = sqlite3_open_v2(target.data, &s->db, flags, NULL);
    mt_buf_cleanup(&target);
    if (opened != SQLITE_OK) {
        st = mt_err_set(err, MT_ERR_STORE, "cannot open database '%s': %s", path,
                        s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(s->db, timeout_ms);
    sqlite3_extended_result_codes(s->db, 1);

    if (read_only) {
        st = check_read_only_schema(s, err);
    } else {
        /* Larger pages halve the page reads of a week's report; this only
         * takes effect when the file is new. */
        st = exec(s, "PRAGMA page_size = 16384", err);
        if (st == MT_OK)
            st = enter_wal(s, timeout_ms, err);
        if (st == MT_OK)
            st = exec(s, "PRAGMA synchronous = FULL", err);
        if (st == MT_OK)
            st = migrate(s, err);
    }
    if (st == MT_OK)
        st = prepare(s, err);

out:
    if (st != MT_OK) {
        sqlite_close(&s->base);
        return st;
    }
    *out = &s->base;
    return MT_OK;
}
