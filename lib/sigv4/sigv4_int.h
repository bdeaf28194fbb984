/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_SIGV4_INT_H
#define MT_SIGV4_INT_H

/*
 * The canonicalisation steps of SigV4, shared by the signer and its tests.
 * Each appends to out and returns MT_OK, MT_ERR_NOMEM or MT_ERR_TOO_LARGE.
 */

#include "mt/sigv4.h"

/* Appends the canonical URI of a wire path under the MT_SIGV4_* flags. */
enum mt_status sigv4_canonical_path(struct mt_buf *out, struct mt_str path, unsigned flags);

/*
 * Appends the canonical query of a wire query: each name and value
 * percent-decoded, encoded again the SigV4 way, sorted by name then value,
 * joined with '&'; a name without '=' gets an empty value.
 */
enum mt_status sigv4_canonical_query(struct mt_buf *out, struct mt_str query);

/* Appends the value with surrounding blanks removed and inner runs of blanks made one space. */
enum mt_status sigv4_canonical_value(struct mt_buf *out, struct mt_str value);

#endif
