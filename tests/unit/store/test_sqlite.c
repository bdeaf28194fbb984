/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SQLite store: idempotent writes, report order, the quarantine, schema
 * migration, refusal of foreign or newer files, and concurrent writers.
 */
#include "harness.h"

#include "mt/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char s_path[4200];

static int setup(void **state)
{
    (void)state;
    snprintf(s_path, sizeof(s_path), "%s/events.db", mt_test_tmpdir());
    return 0;
}

static struct mt_store *open_ok(void)
{
    struct mt_store *s = NULL;
    struct mt_err err = {0};
    if (mt_store_open_sqlite(s_path, NULL, &s, &err) != MT_OK)
        fail_msg("open failed: %s", mt_err_text(&err));
    return s;
}

/* A row for message id m at time ms for recipient r (NULL for none). */
static struct mt_row make_row(const char *m, int64_t ms, const char *r, const char *type)
{
    struct mt_row row;
    memset(&row, 0, sizeof(row));
    row.event_time_ms = ms;
    mt_event_type_parse(mt_str_from_cstr(type), &row.type);
    row.col[MT_COL_MESSAGE_ID] = mt_str_from_cstr(m);
    row.col[MT_COL_RECIPIENT] = mt_str_from_cstr(r);
    row.col[MT_COL_EVENT_TYPE] = mt_str_from_cstr(type);
    row.col[MT_COL_SUBJECT] = MT_STR_LIT("caf\xc3\xa9, \"quoted\"");
    row.col[MT_COL_EVENT_TIME] = MT_STR_LIT("t");
    mt_row_compute_key(&row);
    return row;
}

struct collected {
    char lines[64][160];
    size_t count;
};

static enum mt_status collect(void *ctx, const struct mt_row *row)
{
    struct collected *c = ctx;
    if (c->count < 64)
        snprintf(c->lines[c->count], sizeof(c->lines[0]), "%lld %.*s %.*s %.*s",
                 (long long)row->event_time_ms, (int)row->col[MT_COL_MESSAGE_ID].len,
                 row->col[MT_COL_MESSAGE_ID].ptr,
                 (int)(row->col[MT_COL_RECIPIENT].ptr ? row->col[MT_COL_RECIPIENT].len : 1),
                 row->col[MT_COL_RECIPIENT].ptr ? row->col[MT_COL_RECIPIENT].ptr : "-",
                 (int)row->col[MT_COL_EVENT_TYPE].len, row->col[MT_COL_EVENT_TYPE].ptr);
    c->count++;
    return MT_OK;
}

static void test_store_sqlite_put_is_idempotent(void **state)
{
    (void)state;
    struct mt_store *s = open_ok();
    struct mt_row rows[3] = {make_row("m1", 1000, "a@x", "Send"),
                             make_row("m1", 1000, "b@x", "Send"),
                             make_row("m1", 1000, "a@x", "Send")};
    enum mt_put_outcome out[3];
    struct mt_err err = {0};

    assert_int_equal(s->ops->put_rows(s, rows, 3, out, &err), MT_OK);
    assert_int_equal(out[0], MT_PUT_STORED);
    assert_int_equal(out[1], MT_PUT_STORED);
    assert_int_equal(out[2], MT_PUT_DUPLICATE);
    mt_store_close(s);

    s = open_ok();
    assert_int_equal(s->ops->put_rows(s, rows, 2, out, &err), MT_OK);
    assert_int_equal(out[0], MT_PUT_DUPLICATE);
    assert_int_equal(out[1], MT_PUT_DUPLICATE);
    struct collected c = {0};
    assert_int_equal(s->ops->query(s, 0, 2000, collect, &c, &err), MT_OK);
    assert_int_equal(c.count, 2);
    mt_store_close(s);
}

static void test_store_sqlite_query_order_and_window(void **state)
{
    (void)state;
    struct mt_store *s = open_ok();
    struct mt_row rows[] = {
        make_row("m2", 2000, "a@x", "Delivery"), make_row("m1", 2000, "b@x", "Send"),
        make_row("m1", 2000, NULL, "Open"),      make_row("m1", 2000, "b@x", "Bounce"),
        make_row("m0", 1000, "z@x", "Send"),     make_row("m9", 3000, "a@x", "Send"),
        make_row("m9", 999, "a@x", "Send"),
    };
    enum mt_put_outcome out[7];
    struct mt_err err = {0};
    struct collected c = {0};

    assert_int_equal(s->ops->put_rows(s, rows, 7, out, &err), MT_OK);
    assert_int_equal(s->ops->query(s, 1000, 3000, collect, &c, &err), MT_OK);
    assert_int_equal(c.count, 5);
    assert_string_equal(c.lines[0], "1000 m0 z@x Send");
    assert_string_equal(c.lines[1], "2000 m1 - Open");
    assert_string_equal(c.lines[2], "2000 m1 b@x Bounce");
    assert_string_equal(c.lines[3], "2000 m1 b@x Send");
    assert_string_equal(c.lines[4], "2000 m2 a@x Delivery");
    mt_store_close(s);
}

static enum mt_status count_entries(void *ctx, const struct mt_quarantine_entry *e)
{
    size_t *n = ctx;
    if (*n == 0) {
        assert_string_equal(e->source, "events.ndjson");
        assert_int_equal(e->line, 7);
        assert_int_equal(e->record, -1);
        assert_string_equal(e->reason, "not valid JSON");
        assert_int_equal(e->raw.len, 5);
        assert_memory_equal(e->raw.ptr, "{bad\0", 5);
        assert_int_equal(e->id, 1);
    }
    (*n)++;
    return MT_OK;
}

static enum mt_status count_only(void *ctx, const struct mt_quarantine_entry *e)
{
    (void)e;
    (*(size_t *)ctx)++;
    return MT_OK;
}

static void test_store_sqlite_quarantine_keeps_raw_once(void **state)
{
    (void)state;
    struct mt_store *s = open_ok();
    struct mt_err err = {0};
    struct mt_quarantine_entry e = {
        .received_ms = 5, .source = "events.ndjson", .line = 7, .record = -1,
        .reason = "not valid JSON", .raw = {"{bad\0", 5},
    };
    size_t n = 0;

    assert_int_equal(s->ops->put_quarantine(s, &e, &err), MT_OK);
    assert_int_equal(s->ops->put_quarantine(s, &e, &err), MT_OK);
    e.raw = MT_STR_LIT("other");
    assert_int_equal(s->ops->put_quarantine(s, &e, &err), MT_OK);
    assert_int_equal(s->ops->list_quarantine(s, count_entries, &n, &err), MT_OK);
    assert_int_equal(n, 2);
    mt_store_close(s);
}

static void run_sql(const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(s_path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("sql failed: %s", msg);
    sqlite3_close(db);
}

static void test_store_sqlite_migrates_version_one(void **state)
{
    (void)state;
    struct mt_buf sql;
    mt_test_read_file(mt_test_fixture("store/schema-v1.sql"), &sql);
    run_sql(sql.data);
    mt_buf_cleanup(&sql);

    struct mt_store *s = open_ok();
    struct mt_err err = {0};
    struct collected c = {0};
    size_t n = 0;
    assert_int_equal(s->ops->query(s, 0, INT64_MAX, collect, &c, &err), MT_OK);
    assert_int_equal(c.count, 1);
    assert_string_equal(c.lines[0], "1795417200000 old-message kept@example.net Send");
    struct mt_quarantine_entry e = {.source = "x", .reason = "r", .raw = MT_STR_LIT("raw")};
    assert_int_equal(s->ops->put_quarantine(s, &e, &err), MT_OK);
    assert_int_equal(s->ops->list_quarantine(s, count_only, &n, &err), MT_OK);
    assert_int_equal(n, 1);
    mt_store_close(s);
    assert_int_equal(mt_store_sqlite_schema_version(), 2);
}

static void open_fails(enum mt_status code, const char *needle)
{
    struct mt_store *s = NULL;
    struct mt_err err = {0};
    assert_int_equal(mt_store_open_sqlite(s_path, NULL, &s, &err), code);
    assert_null(s);
    if (strstr(err.detail, needle) == NULL)
        fail_msg("'%s' does not mention '%s'", err.detail, needle);
}

static void test_store_sqlite_refuses_newer_schema(void **state)
{
    (void)state;
    run_sql("CREATE TABLE events (x); PRAGMA application_id = 1297371723;"
            "PRAGMA user_version = 99;");
    open_fails(MT_ERR_STORE_VERSION, "schema version 99");
}

static void test_store_sqlite_refuses_foreign_database(void **state)
{
    (void)state;
    run_sql("CREATE TABLE accounts (id INTEGER);");
    open_fails(MT_ERR_STORE, "not a mailtrack database");

    FILE *f = fopen(s_path, "w");
    fputs("this is not a database at all, just text that is long enough to matter\n", f);
    fclose(f);
    open_fails(MT_ERR_STORE, s_path);
}

/* Child process: writes 200 rows, half of them shared with the other writer. */
static int write_rows(int who)
{
    struct mt_store *s = NULL;
    struct mt_err err = {0};
    if (mt_store_open_sqlite(s_path, NULL, &s, &err) != MT_OK)
        return 2;
    int status = 0;
    for (int batch = 0; batch < 20 && status == 0; batch++) {
        struct mt_row rows[10];
        enum mt_put_outcome out[10];
        char ids[10][32];
        for (int i = 0; i < 10; i++) {
            int n = batch * 10 + i;
            snprintf(ids[i], sizeof(ids[i]), "m%d-%d", n % 2 ? who : 0, n);
            rows[i] = make_row(ids[i], 1000 + n, "a@x", "Send");
        }
        if (s->ops->put_rows(s, rows, 10, out, &err) != MT_OK)
            status = 3;
    }
    mt_store_close(s);
    return status;
}

static void test_store_sqlite_concurrent_writers(void **state)
{
    (void)state;
    mt_store_close(open_ok());
    pid_t pids[2];
    for (int w = 0; w < 2; w++) {
        pids[w] = fork();
        assert_true(pids[w] >= 0);
        if (pids[w] == 0)
            _exit(write_rows(w + 1));
    }
    for (int w = 0; w < 2; w++) {
        int status = 0;
        assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    /* 100 rows both wrote (stored once) plus 100 of each writer's own. */
    struct mt_store *s = open_ok();
    struct collected c = {0};
    struct mt_err err = {0};
    assert_int_equal(s->ops->query(s, 0, INT64_MAX, collect, &c, &err), MT_OK);
    assert_int_equal(c.count, 300);
    mt_store_close(s);
}

static void test_store_open_by_uri(void **state)
{
    (void)state;
    struct mt_store *s = NULL;
    struct mt_err err = {0};
    char uri[4300];

    snprintf(uri, sizeof(uri), "sqlite:%s", s_path);
    assert_int_equal(mt_store_open(uri, NULL, &s, &err), MT_OK);
    assert_string_equal(s->ops->name, "sqlite");
    mt_store_close(s);
    assert_int_equal(mt_store_open("ftp://x/y", NULL, &s, &err), MT_ERR_UNSUPPORTED);
    assert_null(s);
    mt_err_clear(&err);
    assert_int_equal(mt_store_open("", NULL, &s, &err), MT_ERR_INVALID);
    mt_err_clear(&err);
    assert_int_equal(mt_store_open("sqlite:", NULL, &s, &err), MT_ERR_INVALID);
    assert_non_null(strstr(err.detail, "empty"));
    assert_null(s);
}

#define MT_CASE(name) cmocka_unit_test_setup(name, setup)

static const struct CMUnitTest tests[] = {
    MT_CASE(test_store_sqlite_put_is_idempotent),
    MT_CASE(test_store_sqlite_query_order_and_window),
    MT_CASE(test_store_sqlite_quarantine_keeps_raw_once),
    MT_CASE(test_store_sqlite_migrates_version_one),
    MT_CASE(test_store_sqlite_refuses_newer_schema),
    MT_CASE(test_store_sqlite_refuses_foreign_database),
    MT_CASE(test_store_sqlite_concurrent_writers),
    MT_CASE(test_store_open_by_uri),
};

MT_TEST_MAIN(tests)
