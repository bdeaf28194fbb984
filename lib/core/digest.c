/* SPDX-License-Identifier: Apache-2.0 */
/* Hex encoding and SHA-256 (FIPS 180-4, through OpenSSL's EVP interface). */
#include "mt/digest.h"

#include <openssl/evp.h>
#include <string.h>

void mt_hex_encode(const unsigned char *bytes, size_t len, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex[bytes[i] >> 4];
        out[2 * i + 1] = hex[bytes[i] & 0xf];
    }
    out[2 * len] = '\0';
}

void mt_sha256(struct mt_str data, unsigned char out[32])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;

    memset(md, 0, sizeof(md));
    EVP_Digest(data.len ? data.ptr : "", data.len, md, &len, EVP_sha256(), NULL);
    memcpy(out, md, 32);
}

void mt_sha256_hex(struct mt_str data, char out[MT_SHA256_HEX_LEN + 1])
{
    unsigned char md[32];
    mt_sha256(data, md);
    mt_hex_encode(md, sizeof(md), out);
}
