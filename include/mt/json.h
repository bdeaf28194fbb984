/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_JSON_H
#define MT_JSON_H

/*
 * A strict JSON parser (RFC 8259) for the ingest hot path.
 *
 * Documents parse into a flat array of nodes in document order, so a value
 * and its descendants are contiguous and each node records where the next
 * sibling starts.  Strings without escapes are views into the input, which
 * must therefore outlive the document; strings with escapes are decoded into
 * the document's arena.  Containers keep their raw span in the input, so a
 * rejected part of a document can be kept byte for byte.
 *
 * Strict means: one value with only whitespace around it, no comments, no
 * trailing commas, no NaN or leading zeros, well-formed UTF-8 with no
 * unescaped control characters, no \u0000 and no lone surrogates, no object
 * with the same key twice, and nesting at most MT_JSON_MAX_DEPTH deep.  What
 * this leaves out: building or printing JSON (jansson does that elsewhere),
 * and converting numbers beyond 64-bit integers (their text is kept).
 *
 * Several texts can be parsed into one document (an SNS event and the SES
 * record inside its Message); each parse returns its root's index.
 */

#include "mt/buf.h"
#include "mt/status.h"

#include <stdbool.h>
#include <stdint.h>

#define MT_JSON_MAX_DEPTH 128

/* "No such node", returned by lookups that find nothing. */
#define MT_JSON_NONE UINT32_MAX

enum mt_json_type {
    MT_JSON_NULL,
    MT_JSON_FALSE,
    MT_JSON_TRUE,
    MT_JSON_NUMBER,
    MT_JSON_STRING,
    MT_JSON_ARRAY,
    MT_JSON_OBJECT,
};

struct mt_json_node {
    uint8_t type;       /* enum mt_json_type */
    uint8_t integer;    /* numbers: no fraction or exponent */
    uint32_t next;      /* the node after this value and all its descendants */
    uint32_t count;     /* arrays: elements; objects: members */
    struct mt_str text; /* strings: the value; numbers: the literal; containers: raw span */
};

struct mt_json_doc {
    struct mt_json_node *nodes;
    uint32_t count, cap;
    uint32_t max_nodes;       /* parse fails with MT_ERR_TOO_LARGE past this */
    struct mt_arena arena;    /* decoded strings that had escapes */
    uint32_t *scratch;        /* key indices for duplicate checks */
    uint32_t scratch_cap;
};

/* Where and why a parse failed. */
struct mt_json_error {
    size_t offset; /* byte offset of the problem in the text */
    int line;      /* 1-based */
    int column;    /* 1-based, in bytes */
    char text[96]; /* e.g. "unexpected end of input" */
};

/* Prepares an empty document.  Allocates nothing. */
void mt_json_doc_init(struct mt_json_doc *doc);

/* Forgets every parsed text, keeping memory for reuse. */
void mt_json_doc_reset(struct mt_json_doc *doc);

/* Releases the document's memory. */
void mt_json_doc_cleanup(struct mt_json_doc *doc);

/*
 * Parses text (borrowed: it must outlive the document) and appends its nodes.
 * *root receives the index of the top-level value.  MT_ERR_NOT_JSON with
 * *error filled when the text is not strict JSON; MT_ERR_NOMEM;
 * MT_ERR_TOO_LARGE past max_nodes.  On failure the document holds what it
 * held before the call.
 */
enum mt_status mt_json_parse(struct mt_json_doc *doc, struct mt_str text, uint32_t *root,
                             struct mt_json_error *error);

/* The node at index i; i must be valid. */
static inline const struct mt_json_node *mt_json_node(const struct mt_json_doc *doc, uint32_t i)
{
    return &doc->nodes[i];
}

/* The type of node i, or MT_JSON_NULL for MT_JSON_NONE. */
enum mt_json_type mt_json_type_of(const struct mt_json_doc *doc, uint32_t i);

/* The value of member key of object obj; MT_JSON_NONE when absent or obj is no object. */
uint32_t mt_json_get(const struct mt_json_doc *doc, uint32_t obj, const char *key);

/* The first element of an array, or the first member's key of an object; NONE if empty. */
uint32_t mt_json_first(const struct mt_json_doc *doc, uint32_t container);

/*
 * The next element after element i of an array (or the next member key after
 * the value i of an object's member); NONE after the last.  parent is the
 * container.
 */
uint32_t mt_json_next(const struct mt_json_doc *doc, uint32_t parent, uint32_t i);

/* Element n of array arr, or NONE. */
uint32_t mt_json_at(const struct mt_json_doc *doc, uint32_t arr, uint32_t n);

/* The string value of node i; MT_STR_NULL when it is not a string. */
struct mt_str mt_json_str(const struct mt_json_doc *doc, uint32_t i);

/* The value of an integer node that fits int64; false otherwise. */
bool mt_json_int(const struct mt_json_doc *doc, uint32_t i, int64_t *out);

/* "an object", "a string", ...: for messages. */
const char *mt_json_kind(const struct mt_json_doc *doc, uint32_t i);

#endif
