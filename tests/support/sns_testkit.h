/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_SNS_TESTKIT_H
#define MT_SNS_TESTKIT_H

/*
 * Test keys, certificates and signed SNS messages, made at test time with
 * OpenSSL so that no private key is committed.  The string to sign is built
 * here independently of lib/sns, so a test that verifies what this kit signs
 * checks the library against a second implementation.
 */

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>

/* A fresh RSA key of bits bits; aborts the test on failure. */
EVP_PKEY *tk_rsa_key(int bits);

/* A 2048-bit key made once per process and shared; do not free. */
EVP_PKEY *tk_shared_key(void);

/* What a certificate should say. */
struct tk_cert_spec {
    const char *cn;          /* subject common name */
    const char *dns;         /* optional DNS subject alternative name */
    const char *ip;          /* optional IP address subject alternative name */
    long not_before_s;       /* offset from now, seconds (negative: in the past) */
    long not_after_s;        /* offset from now, seconds */
    bool ca;                 /* basicConstraints CA:TRUE */
    EVP_PKEY *issuer_key;    /* NULL: self-signed with the subject key */
    X509 *issuer;            /* NULL: self-signed */
};

/* A certificate for key as spec says; aborts the test on failure. */
X509 *tk_cert(EVP_PKEY *key, const struct tk_cert_spec *spec);

/* Writes a certificate or key as PEM to path, creating parent folders of the last component. */
void tk_write_cert(X509 *cert, const char *path);
void tk_write_key(EVP_PKEY *key, const char *path);

/* The PEM text of a certificate; malloc'd. */
char *tk_cert_pem(X509 *cert);

/* Base64 of the RSA PKCS#1 v1.5 signature of data with SHA-1 ("1") or SHA-256; malloc'd. */
char *tk_sign(EVP_PKEY *key, bool sha256, const char *data, size_t len);

/* The fields of a message to sign; NULL fields are left out of the JSON. */
struct tk_msg {
    const char *type;
    const char *message_id;
    const char *topic_arn;
    const char *subject;
    const char *message;
    const char *timestamp;
    const char *token;
    const char *subscribe_url;
    const char *version;       /* SignatureVersion written into the body */
    const char *cert_url;
    bool sign_sha256;          /* which digest actually signs */
};

/* A message with every field set to working defaults for type, topic and cert_url. */
struct tk_msg tk_msg_default(const char *type);

/* The string SNS signs for m; malloc'd. */
char *tk_string_to_sign(const struct tk_msg *m);

/* The JSON body SNS would post for m, signed with key; malloc'd. */
char *tk_sns_body(const struct tk_msg *m, EVP_PKEY *key);

/* The topic, region host and certificate URL the defaults use. */
#define TK_TOPIC "arn:aws:sns:us-east-1:111122223333:ses-events"
#define TK_HOST "sns.us-east-1.amazonaws.com"
#define TK_CERT_FILE "SimpleNotificationService-0123456789abcdef0123456789abcdef.pem"
#define TK_CERT_URL "https://" TK_HOST "/" TK_CERT_FILE

/*
 * Makes a self-signed certificate named sns.amazonaws.com for the shared key
 * and puts it in dir/TK_HOST/TK_CERT_FILE.
 */
void tk_install_cert(const char *dir);

#endif
