/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Any bytes as a document of any envelope.  Checks the parser's promises:
 * every row has a message id, an event type, a parseable event time and a
 * well-formed key; every reject has a reason; nothing crashes or leaks.
 */
#include "mt/clock.h"
#include "mt/event.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct mt_event_parser *parser;
    struct mt_event_result r;

    if (parser == NULL)
        parser = mt_event_parser_new();
    if (mt_event_parse_document(parser, (struct mt_str){(const char *)data, size}, &r) != MT_OK)
        return 0;

    for (size_t i = 0; i < r.row_count; i++) {
        const struct mt_row *row = &r.rows[i];
        int64_t ms;
        if (row->col[MT_COL_MESSAGE_ID].ptr == NULL || row->col[MT_COL_EVENT_TYPE].ptr == NULL ||
            strlen(row->key) != MT_ROW_KEY_LEN ||
            mt_time_parse_iso(row->col[MT_COL_EVENT_TIME], &ms) != MT_OK ||
            ms != row->event_time_ms || !mt_utf8_valid(row->col[MT_COL_SUBJECT].ptr
                                                           ? row->col[MT_COL_SUBJECT]
                                                           : MT_STR_LIT("")))
            abort();
    }
    for (size_t i = 0; i < r.reject_count; i++) {
        if (r.rejects[i].reason == NULL || r.rejects[i].reason[0] == '\0')
            abort();
    }
    return 0;
}
