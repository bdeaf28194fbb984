/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Column and event-type names, row keys and report order.
 *
 * The row key is the first 128 bits of SHA-256 over the message id, event
 * type, event time, recipient and link, each followed by a 0x1f separator so
 * that no two different tuples hash the same input.  The SNS message id and
 * the envelope are deliberately left out: the same event arriving twice, or
 * in both SES shapes, has the same key.
 *
 * LIMITATION: the IP address and user agent of opens and clicks are left out
 * too, so two opens of one message in the same millisecond (from two
 * devices) are one row.
 */
#include "event_int.h"

#include "mt/digest.h"

#include <openssl/evp.h>
#include <string.h>

static const char *const s_column_names[] = {
#define MT_COLUMN_NAME(sym, name) #name,
    MT_COLUMN_LIST(MT_COLUMN_NAME)
#undef MT_COLUMN_NAME
};

static const char *const s_type_names[] = {
    [MT_EVENT_SEND] = "Send",
    [MT_EVENT_REJECT] = "Reject",
    [MT_EVENT_BOUNCE] = "Bounce",
    [MT_EVENT_COMPLAINT] = "Complaint",
    [MT_EVENT_DELIVERY] = "Delivery",
    [MT_EVENT_OPEN] = "Open",
    [MT_EVENT_CLICK] = "Click",
    [MT_EVENT_RENDERING_FAILURE] = "Rendering Failure",
    [MT_EVENT_DELIVERY_DELAY] = "DeliveryDelay",
    [MT_EVENT_SUBSCRIPTION] = "Subscription",
};

const char *mt_column_name(enum mt_column col)
{
    if ((unsigned)col >= MT_COL_COUNT)
        return "";
    return s_column_names[col];
}

const char *mt_event_type_name(enum mt_event_type type)
{
    if ((unsigned)type >= MT_EVENT_TYPE_COUNT)
        return "";
    return s_type_names[type];
}

enum mt_status mt_event_type_parse(struct mt_str name, enum mt_event_type *type)
{
    for (int i = 0; i < MT_EVENT_TYPE_COUNT; i++) {
        if (mt_str_eq_cstr(name, s_type_names[i])) {
            *type = (enum mt_event_type)i;
            return MT_OK;
        }
    }
    return MT_ERR_UNKNOWN_TYPE;
}

static void digest_field(EVP_MD_CTX *md, struct mt_str s)
{
    static const unsigned char sep = 0x1f;
    if (s.ptr != NULL && s.len)
        EVP_DigestUpdate(md, s.ptr, s.len);
    EVP_DigestUpdate(md, &sep, 1);
}

void mt_row_compute_key(struct mt_row *row)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();

    if (md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1) {
        digest_field(md, row->col[MT_COL_MESSAGE_ID]);
        digest_field(md, row->col[MT_COL_EVENT_TYPE]);
        digest_field(md, row->col[MT_COL_EVENT_TIME]);
        digest_field(md, row->col[MT_COL_RECIPIENT]);
        digest_field(md, row->col[MT_COL_LINK]);
        EVP_DigestFinal_ex(md, digest, &digest_len);
    }
    EVP_MD_CTX_free(md);
    if (digest_len < MT_ROW_KEY_LEN / 2)
        memset(digest, 0, sizeof(digest));

    mt_hex_encode(digest, MT_ROW_KEY_LEN / 2, row->key);
}

int mt_row_cmp(const struct mt_row *a, const struct mt_row *b)
{
    if (a->event_time_ms != b->event_time_ms)
        return a->event_time_ms < b->event_time_ms ? -1 : 1;

    static const enum mt_column order[] = {MT_COL_MESSAGE_ID, MT_COL_RECIPIENT, MT_COL_EVENT_TYPE};
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        int c = mt_str_cmp(a->col[order[i]], b->col[order[i]]);
        if (c != 0)
            return c;
    }
    return strcmp(a->key, b->key);
}

void mt_row_preference(const struct mt_row *row, struct mt_buf *out)
{
    struct mt_str sns = row->col[MT_COL_SNS_MESSAGE_ID];
    mt_buf_reset(out);
    mt_buf_append_byte(out, (char)('0' + (row->shape ? 1 : 0)));
    if (sns.ptr != NULL) {
        mt_buf_append_byte(out, '1');
        mt_buf_append(out, sns.ptr, sns.len);
    }
}
