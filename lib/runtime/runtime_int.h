/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_RUNTIME_INT_H
#define MT_RUNTIME_INT_H

/*
 * Internals shared by the files of lib/runtime, its tests and its fuzz
 * target: the parser of HTTP/1.1 answers (answer.c) and the one TCP
 * connection to the Runtime API (conn.c).  runtime.c puts them together.
 */

#include "mt/buf.h"
#include "mt/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct addrinfo;
struct iovec;

/* Largest head (status line and header lines) of one answer; more is MT_ERR_TOO_LARGE. */
#define RUNTIME_MAX_HEAD_BYTES ((size_t)64 << 10)
/* Most header lines in one head; more is MT_ERR_TOO_LARGE. */
#define RUNTIME_MAX_HEADERS 100
/* Longest chunk-size line (size and extensions) of a chunked body. */
#define RUNTIME_MAX_CHUNK_LINE 256
/* Most interim (1xx) answers skipped before the final one. */
#define RUNTIME_MAX_INTERIM 8

/* One header line of a parsed head: views into the parser's head bytes. */
struct runtime_header {
    struct mt_str name;   /* a token, as sent (any case) */
    struct mt_str value;  /* without surrounding spaces and tabs; may be empty */
};

enum runtime_parse_state {
    RUNTIME_PARSE_HEAD,        /* status line and headers */
    RUNTIME_PARSE_LENGTH_BODY, /* Content-Length bytes */
    RUNTIME_PARSE_CLOSE_BODY,  /* everything until the peer closes */
    RUNTIME_PARSE_CHUNK_SIZE,  /* a chunk-size line */
    RUNTIME_PARSE_CHUNK_DATA,  /* a chunk's bytes */
    RUNTIME_PARSE_CHUNK_END,   /* the line break after a chunk's bytes */
    RUNTIME_PARSE_TRAILER,     /* trailer lines after the last chunk, dropped */
    RUNTIME_PARSE_DONE,
    RUNTIME_PARSE_FAILED,
};

/*
 * Reads one HTTP/1.1 answer (RFC 9112) fed in pieces of any size, down to
 * one byte.  The head is kept whole, so headers can be looked up once it
 * is complete; the body goes into a caller's capped buffer.  Bodies framed
 * by Content-Length, by chunked transfer coding, or by the end of the
 * connection are read; interim 1xx answers are skipped.  Anything that could
 * frame a body two ways is refused.  Initialise with runtime_parser_init.
 */
struct runtime_parser {
    /* Results: status and headers once the head is in, body and keep_alive once done. */
    int status;                     /* 200-599 (or 100-199 while skipping); 0 before */
    bool keep_alive;                /* the connection may carry another exchange */
    size_t header_count;
    struct runtime_header headers[RUNTIME_MAX_HEADERS];
    struct mt_buf head;             /* the head's bytes, capped at RUNTIME_MAX_HEAD_BYTES */
    struct mt_buf *body;            /* borrowed; its max is the body's cap */

    /* Progress. */
    enum runtime_parse_state state;
    enum mt_status failure;         /* once state is RUNTIME_PARSE_FAILED */
    size_t line_at;                 /* where the head's unfinished line starts */
    uint64_t remaining;             /* body or chunk bytes still to come */
    size_t line_len;                /* bytes of the unfinished framing line seen so far */
    char line[RUNTIME_MAX_CHUNK_LINE]; /* its first bytes */
    size_t trailer_bytes;
    int interim;                    /* 1xx answers skipped */
};

/* Prepares a parser.  Allocates nothing until fed. */
void runtime_parser_init(struct runtime_parser *p);

/* Releases the head buffer. */
void runtime_parser_cleanup(struct runtime_parser *p);

/* Starts on a new answer whose body goes to body (emptied here; borrowed until done). */
void runtime_parser_reset(struct runtime_parser *p, struct mt_buf *body);

/*
 * Consumes bytes from data until the answer is complete or len is used up;
 * *used says how many (fewer than len only once the answer is complete: the
 * rest is not part of it).  Returns MT_OK; MT_ERR_HTTP for a malformed
 * answer; MT_ERR_TOO_LARGE when the head, the header count or the body
 * passes its cap (when the body does, the status and headers are still
 * readable); MT_ERR_NOMEM.  After a failure the parser stays failed.
 */
enum mt_status runtime_parser_feed(struct runtime_parser *p, const char *data, size_t len,
                                   size_t *used, struct mt_err *err);

/*
 * Tells the parser the connection has ended.  MT_OK when the answer is
 * complete (a body framed by the end of the connection ends here);
 * otherwise MT_ERR_HTTP saying where it was cut off.
 */
enum mt_status runtime_parser_finish(struct runtime_parser *p, struct mt_err *err);

/* True once a whole answer has been read. */
bool runtime_parser_done(const struct runtime_parser *p);

/* The value of the first header named name (any case); absent (ptr NULL) when none. */
struct mt_str runtime_parser_header(const struct runtime_parser *p, const char *name);

/* Where the Runtime API listens: AWS_LAMBDA_RUNTIME_API taken apart. */
struct runtime_address {
    char host[256];       /* a name, or an IPv4 or IPv6 literal without brackets */
    char port[6];         /* decimal, 1-65535 */
    char authority[264];  /* "host:port" as given, for the Host header */
};

/*
 * Splits "host:port" (host a DNS name, a dotted IPv4 literal, or an IPv6
 * literal in brackets) into out.  MT_ERR_CONFIG, naming the text, when it is
 * anything else.
 */
enum mt_status runtime_address_parse(const char *text, struct runtime_address *out,
                                     struct mt_err *err);

/* The one connection to the Runtime API. */
struct runtime_conn {
    int fd;                   /* a blocking socket; -1 when closed */
    long opened;              /* connections opened so far */
    struct addrinfo *addrs;   /* resolved at the first connect and kept */
};

/* Prepares a closed connection. */
void runtime_conn_init(struct runtime_conn *c);

/* Closes the socket, if open; the next runtime_conn_ready opens another. */
void runtime_conn_close(struct runtime_conn *c);

/* Closes the socket and forgets the resolved addresses. */
void runtime_conn_cleanup(struct runtime_conn *c);

/*
 * Makes sure a connection is open and idle.  An open one is kept unless the
 * peer has closed it or sent bytes nobody asked for; otherwise the address
 * is resolved (once) and each of its addresses tried until one connects by
 * connect_by_ms (mt_time_monotonic_ms).  MT_ERR_CONNECT when resolving or
 * connecting fails, MT_ERR_TIMEOUT when connect_by_ms passes.
 */
enum mt_status runtime_conn_ready(struct runtime_conn *c, const struct runtime_address *a,
                                  int64_t connect_by_ms, struct mt_err *err);

/*
 * Sends every byte of the count buffers in iov (which it advances), in one
 * call when the socket takes them.  by_ms 0 waits as long as it takes.
 * MT_ERR_HTTP when the connection fails, MT_ERR_TIMEOUT when by_ms passes.
 * Never raises SIGPIPE.
 */
enum mt_status runtime_conn_send(struct runtime_conn *c, struct iovec *iov, int count,
                                 int64_t by_ms, struct mt_err *err);

/*
 * Receives up to cap bytes into buf; *got is 0 when the peer has closed.
 * by_ms 0 blocks with no limit.  MT_ERR_HTTP when the connection fails,
 * MT_ERR_TIMEOUT when by_ms passes first.
 */
enum mt_status runtime_conn_recv(struct runtime_conn *c, char *buf, size_t cap, int64_t by_ms,
                                 size_t *got, struct mt_err *err);

#endif
