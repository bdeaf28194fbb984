/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_SNS_INT_H
#define MT_SNS_INT_H

/* Shared between the files of the sns component and its tests only. */

#include "mt/sns.h"

#include <jansson.h>

/*
 * Fills msg from an SNS message object (an HTTP body, or the Sns object of a
 * Lambda record when lambda is true), taking a reference to obj.  where
 * prefixes field names in errors ("" or "Records[0].Sns.").
 */
enum mt_status sns_message_from_object(json_t *obj, bool lambda, const char *where,
                                       struct mt_sns_message *msg, struct mt_err *err);

/*
 * Decodes standard base64 (A-Z a-z 0-9 + /, '=' padding to a multiple of
 * four, nothing else) into out, which must hold at least in.len / 4 * 3
 * bytes.  false on any other character or a malformed length.
 */
bool sns_base64_decode(struct mt_str in, unsigned char *out, size_t *out_len);

#endif
