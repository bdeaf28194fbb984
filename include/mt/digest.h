/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_DIGEST_H
#define MT_DIGEST_H

/*
 * Hex encoding and SHA-256, the digest used for row keys, SigV4 payload
 * hashes and the quarantine's de-duplication.  OpenSSL does the hashing.
 */

#include "mt/buf.h"

#include <stddef.h>

/* Hex characters in a SHA-256 digest. */
#define MT_SHA256_HEX_LEN 64

/* Writes len bytes as lower-case hex and a NUL into out (2 * len + 1 bytes). */
void mt_hex_encode(const unsigned char *bytes, size_t len, char *out);

/* The raw SHA-256 of data into out. */
void mt_sha256(struct mt_str data, unsigned char out[32]);

/* The lower-case hex SHA-256 of data and a NUL into out. */
void mt_sha256_hex(struct mt_str data, char out[MT_SHA256_HEX_LEN + 1]);

#endif
