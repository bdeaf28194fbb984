/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Runtime API answer parser: any bytes in, no crash, and the outcome
 * must not depend on how the bytes arrive.  Each input is parsed whole, then
 * again in pieces of 1 to 16 bytes (sizes taken from the input itself), and
 * both must agree on everything: status, failure, headers, body, bytes used
 * and what the end of the connection makes of it.  A complete answer must
 * also hold up: a final status, a body within its cap and as long as its
 * Content-Length says, header names that are tokens, values without line
 * breaks or surrounding spaces.
 */
#include "runtime/runtime_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BODY_CAP 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One parse and its result; the parser is kept for the invariant checks. */
struct run {
    struct runtime_parser p;
    struct mt_buf body;
    enum mt_status fed;
    enum mt_status finished;
    size_t used;
};

/* Feeds data in pieces (each 1 + data[i] % 16 bytes when split, else whole), then the end. */
static void parse(struct run *r, const uint8_t *data, size_t size, bool split)
{
    runtime_parser_init(&r->p);
    mt_buf_init(&r->body, BODY_CAP);
    runtime_parser_reset(&r->p, &r->body);
    r->fed = MT_OK;
    r->used = 0;

    while (r->used < size && r->fed == MT_OK && !runtime_parser_done(&r->p)) {
        size_t n = split ? 1 + data[r->used] % 16 : size;
        size_t used = 0;
        if (n > size - r->used)
            n = size - r->used;
        r->fed = runtime_parser_feed(&r->p, (const char *)data + r->used, n, &used, NULL);
        if (used > n)
            abort();
        r->used += used;
    }
    r->finished = r->fed == MT_OK ? runtime_parser_finish(&r->p, NULL) : r->fed;
}

static void release(struct run *r)
{
    mt_buf_cleanup(&r->body);
    runtime_parser_cleanup(&r->p);
}

static bool same_str(struct mt_str a, struct mt_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Whole and split parses must agree on every observable. */
static void check_agree(const struct run *a, const struct run *b)
{
    if (a->fed != b->fed || a->finished != b->finished || a->used != b->used ||
        a->p.status != b->p.status || a->p.keep_alive != b->p.keep_alive ||
        a->p.header_count != b->p.header_count ||
        !same_str(mt_buf_str(&a->body), mt_buf_str(&b->body)))
        abort();
    for (size_t i = 0; i < a->p.header_count; i++) {
        if (!same_str(a->p.headers[i].name, b->p.headers[i].name) ||
            !same_str(a->p.headers[i].value, b->p.headers[i].value))
            abort();
    }
}

/* What a complete answer must look like. */
static void check_complete(const struct run *r)
{
    if (r->p.status < 200 || r->p.status > 599 || r->body.len > BODY_CAP)
        abort();
    for (size_t i = 0; i < r->p.header_count; i++) {
        struct mt_str n = r->p.headers[i].name, v = r->p.headers[i].value;
        if (n.len == 0 || memchr(n.ptr, ':', n.len) || memchr(n.ptr, ' ', n.len))
            abort();
        for (size_t j = 0; j < v.len; j++) {
            if (v.ptr[j] == '\r' || v.ptr[j] == '\n' || v.ptr[j] == '\0')
                abort();
        }
        if (v.len > 0 && (v.ptr[0] == ' ' || v.ptr[v.len - 1] == ' ' || v.ptr[0] == '\t' ||
                          v.ptr[v.len - 1] == '\t'))
            abort();
    }

    struct mt_str cl = runtime_parser_header(&r->p, "Content-Length");
    if (cl.ptr != NULL && r->p.status != 204 && r->p.status != 304 &&
        strtoull(cl.ptr, NULL, 10) != r->body.len)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct run *whole = calloc(1, sizeof(*whole));
    struct run *split = calloc(1, sizeof(*split));
    if (whole == NULL || split == NULL)
        abort();

    parse(whole, data, size, false);
    parse(split, data, size, true);
    check_agree(whole, split);
    if (whole->finished == MT_OK)
        check_complete(whole);
    else if (whole->finished != MT_ERR_HTTP && whole->finished != MT_ERR_TOO_LARGE)
        abort();

    release(whole);
    release(split);
    free(whole);
    free(split);
    return 0;
}
