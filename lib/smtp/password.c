/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Region names, the SES SMTP host of a region, and the version-4 SES SMTP
 * password derived from an IAM secret access key.
 *
 * The derivation follows the SES developer guide ("Obtaining Amazon SES SMTP
 * credentials", converting a secret access key): the SigV4 signing-key chain
 * with the fixed date "11111111", service "ses", then one more HMAC over
 * "SendRawEmail", prefixed with the version byte 0x04 and base64-encoded.
 * Every buffer that holds the secret or a derived key lives on the stack
 * and is wiped before returning, on every path.  Temporary (STS) keys give
 * passwords SES refuses; nothing here can tell them apart.
 */
#include "smtp_int.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#define REGION_MAX       32
#define SECRET_MAX       128
#define PASSWORD_VERSION 0x04

static bool is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/*
 * True when r has the shape of every AWS region name: two letters (the
 * area, "us", "eu", "ap", "il"), one or more words of letters ("east",
 * "gov-west", "isob-east", "southeast"), then a number, all joined by single
 * hyphens.  The shape rather than a list, so regions opened later pass.
 */
static bool region_shaped(struct mt_str r)
{
    size_t i = 0, words = 0;

    if (r.len < 2 || !is_lower(r.ptr[0]) || !is_lower(r.ptr[1]))
        return false;
    for (i = 2; i < r.len && r.ptr[i] == '-';) {
        size_t start = ++i;
        while (i < r.len && is_lower(r.ptr[i]))
            i++;
        if (i == start)
            break;
        words++;
    }
    /* i is just past the last hyphen, where the number must start. */
    if (words == 0 || i == r.len || r.ptr[i - 1] != '-')
        return false;
    for (; i < r.len; i++) {
        if (!is_digit(r.ptr[i]))
            return false;
    }
    return true;
}

enum mt_status mt_smtp_region_check(struct mt_str region, struct mt_err *err)
{
    if (region.ptr == NULL || region.len == 0)
        return mt_err_set(err, MT_ERR_INVALID, "the region name is empty");
    if (region.len > REGION_MAX)
        return mt_err_set(err, MT_ERR_INVALID, "region '%.*s' is longer than %d characters",
                          (int)mt_utf8_prefix_len(region, REGION_MAX), region.ptr, REGION_MAX);
    if (!region_shaped(region))
        return mt_err_set(err, MT_ERR_INVALID,
                          "region '%.*s' is not an AWS region name like 'eu-west-1'",
                          (int)region.len, region.ptr);
    return MT_OK;
}

enum mt_status mt_smtp_default_host(struct mt_str region, struct mt_buf *out, struct mt_err *err)
{
    enum mt_status st = mt_smtp_region_check(region, err);
    if (st != MT_OK)
        return st;

    mt_buf_reset(out);
    st = mt_buf_appendf(out, "email-smtp.%.*s.amazonaws.com", (int)region.len, region.ptr);
    return st == MT_OK ? MT_OK : mt_err_set(err, st, "cannot build the SMTP host name");
}

static enum mt_status check_secret(struct mt_str secret, struct mt_err *err)
{
    if (secret.ptr == NULL || secret.len == 0)
        return mt_err_set(err, MT_ERR_INVALID, "the secret access key is empty");
    if (secret.len > SECRET_MAX)
        return mt_err_set(err, MT_ERR_INVALID, "the secret access key is longer than %d characters",
                          SECRET_MAX);

    for (size_t i = 0; i < secret.len; i++) {
        unsigned char c = (unsigned char)secret.ptr[i];
        if (c <= ' ' || c >= 0x7f)
            return mt_err_set(err, MT_ERR_INVALID,
                              "the secret access key has a blank, control or non-ASCII "
                              "character at position %zu",
                              i + 1);
    }
    return MT_OK;
}

/*
 * One HMAC-SHA256 step: out = HMAC(key, msg).  key may be out itself, so the
 * result goes through a local buffer that is wiped.  False when OpenSSL fails.
 */
static bool hmac_step(const unsigned char *key, size_t key_len, const char *msg, size_t msg_len,
                      unsigned char out[32])
{
    unsigned char tmp[EVP_MAX_MD_SIZE];
    unsigned int tmp_len = 0;

    bool ok = HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg, msg_len, tmp,
                   &tmp_len) != NULL &&
              tmp_len == 32;
    if (ok)
        memcpy(out, tmp, 32);
    mt_secure_zero(tmp, sizeof(tmp));
    return ok;
}

enum mt_status mt_smtp_password_derive(struct mt_str secret_key, struct mt_str region,
                                       char out[MT_SMTP_PASSWORD_LEN + 1], struct mt_err *err)
{
    unsigned char key[4 + SECRET_MAX];
    unsigned char sig[1 + 32]; /* version byte, then the running HMAC */
    unsigned char *mac = sig + 1;
    enum mt_status st;

    out[0] = '\0';
    st = check_secret(secret_key, err);
    if (st == MT_OK)
        st = mt_smtp_region_check(region, err);
    if (st != MT_OK)
        return st;

    memcpy(key, "AWS4", 4);
    memcpy(key + 4, secret_key.ptr, secret_key.len);
    bool ok = hmac_step(key, 4 + secret_key.len, "11111111", 8, mac) &&
              hmac_step(mac, 32, region.ptr, region.len, mac) &&
              hmac_step(mac, 32, "ses", 3, mac) && hmac_step(mac, 32, "aws4_request", 12, mac) &&
              hmac_step(mac, 32, "SendRawEmail", 12, mac);

    st = MT_OK;
    if (!ok) {
        st = mt_err_set(err, MT_ERR_INVALID, "HMAC-SHA256 failed in OpenSSL");
    } else {
        sig[0] = PASSWORD_VERSION;
        EVP_EncodeBlock((unsigned char *)out, sig, (int)sizeof(sig));
    }
    mt_secure_zero(key, sizeof(key));
    mt_secure_zero(sig, sizeof(sig));
    return st;
}
