/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Differential test of the strict JSON parser against jansson, an
 * independent implementation: both must accept and reject the same texts and,
 * when both accept, give the same tree (types, strings byte for byte, member
 * order, integers by value).
 *
 * Where the two parsers are allowed to differ: jansson refuses integers that
 * do not fit 64 bits and reals that overflow a double, which RFC 8259 allows
 * and mailtrack keeps as text; jansson nests deeper than MT_JSON_MAX_DEPTH;
 * and jansson reads numbers with the C library, which stops at a NUL byte,
 * so it accepts "1\0" where a strict parser must not: a text with a NUL must
 * be rejected here, whatever jansson says.
 */
#include "mt/json.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_tree(const struct mt_json_doc *doc, uint32_t i, const json_t *j)
{
    const struct mt_json_node *n = mt_json_node(doc, i);
    int64_t v;

    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        if (n->type != MT_JSON_OBJECT || n->count != json_object_size(j))
            abort();
        for (uint32_t k = mt_json_first(doc, i); k != MT_JSON_NONE; k = mt_json_next(doc, i, k)) {
            struct mt_str key = mt_json_node(doc, k)->text;
            const json_t *jv = json_object_getn(j, key.ptr, key.len);
            if (jv == NULL)
                abort();
            same_tree(doc, k + 1, jv);
        }
        break;
    }
    case JSON_ARRAY: {
        if (n->type != MT_JSON_ARRAY || n->count != json_array_size(j))
            abort();
        size_t idx = 0;
        for (uint32_t e = mt_json_first(doc, i); e != MT_JSON_NONE; e = mt_json_next(doc, i, e))
            same_tree(doc, e, json_array_get(j, idx++));
        break;
    }
    case JSON_STRING:
        if (n->type != MT_JSON_STRING || n->text.len != json_string_length(j) ||
            memcmp(n->text.ptr, json_string_value(j), n->text.len) != 0)
            abort();
        break;
    case JSON_INTEGER:
        if (!mt_json_int(doc, i, &v) || v != json_integer_value(j))
            abort();
        break;
    case JSON_REAL:
        if (n->type != MT_JSON_NUMBER)
            abort();
        break;
    case JSON_TRUE:
        if (n->type != MT_JSON_TRUE)
            abort();
        break;
    case JSON_FALSE:
        if (n->type != MT_JSON_FALSE)
            abort();
        break;
    case JSON_NULL:
        if (n->type != MT_JSON_NULL)
            abort();
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mt_json_doc doc;
    struct mt_json_error err;
    json_error_t jerr;
    uint32_t root;

    mt_json_doc_init(&doc);
    enum mt_status st = mt_json_parse(&doc, (struct mt_str){(const char *)data, size}, &root, &err);
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                           &jerr);

    if (memchr(data, '\0', size) != NULL) {
        if (st == MT_OK) /* a raw NUL is never valid JSON */
            abort();
    } else if (j == NULL && st == MT_OK) {
        bool allowed = strstr(jerr.text, "too big") != NULL ||
                       strstr(jerr.text, "overflow") != NULL;
        if (!allowed)
            abort();
    } else if (j != NULL && st != MT_OK) {
        if (strstr(err.text, "nesting deeper") == NULL)
            abort();
    } else if (j != NULL) {
        same_tree(&doc, root, j);
    }
    json_decref(j);
    mt_json_doc_cleanup(&doc);
    return 0;
}
