/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_SMTP_H
#define MT_SMTP_H

/*
 * One test message through Amazon SES's SMTP interface, and the SES SMTP
 * password derived from an IAM secret access key.
 *
 * The message is composed here: RFC 5322 headers, a subject in RFC 2047
 * encoded words when it is not plain ASCII, a quoted-printable UTF-8 text
 * body, and the headers that tie a message to SES event publishing
 * (X-SES-CONFIGURATION-SET, X-SES-MESSAGE-TAGS).  libcurl speaks SMTP,
 * STARTTLS and AUTH; TLS is always established before the credentials are
 * sent.  The server's reply to each RCPT TO and to the end of the message is
 * captured so a caller can say which recipients were accepted and which
 * message id SES assigned ("250 Ok <id>").
 *
 * Not here: HTML or multipart bodies, attachments, display names in
 * addresses, internationalised (non-ASCII) addresses, and retries: a test
 * message is sent once and the outcome reported.
 *
 * Thread-safety: every function works on its arguments only; mt_smtp_send
 * may run in several threads at once.
 */

#include "mt/buf.h"
#include "mt/status.h"

#include <stddef.h>
#include <stdint.h>

/* Characters of a version-4 SES SMTP password: base64 of 33 bytes. */
#define MT_SMTP_PASSWORD_LEN 44

/* Longest reply line kept, terminating NUL included (RFC 5321 4.5.3.1.5). */
#define MT_SMTP_REPLY_MAX 512

/* Longest message id kept from a "250 Ok <id>" reply, NUL included. */
#define MT_SMTP_MESSAGE_ID_MAX 128

/* Time allowed for the whole exchange when the options leave it 0. */
#define MT_SMTP_DEFAULT_TIMEOUT_MS 60000L

/*
 * Checks that region has the shape of an AWS region name ("eu-west-1",
 * "us-gov-west-1", "ap-southeast-4"): two lower-case letters, one or more
 * words of lower-case letters, then a number, joined by single hyphens, at
 * most 32 characters.  The shape is checked, not a list, so new regions
 * pass.  It becomes part of a host name and of the password derivation, so
 * nothing else is let through.  MT_ERR_INVALID names the region and what is
 * wrong with it.
 */
enum mt_status mt_smtp_region_check(struct mt_str region, struct mt_err *err);

/* Replaces out's content with "email-smtp.<region>.amazonaws.com".  MT_ERR_INVALID. */
enum mt_status mt_smtp_default_host(struct mt_str region, struct mt_buf *out, struct mt_err *err);

/*
 * Derives the version-4 SES SMTP password for region from an IAM secret
 * access key: five chained HMAC-SHA256 steps (key "AWS4" + secret; messages
 * "11111111", region, "ses", "aws4_request", "SendRawEmail"), then base64 of
 * the version byte 0x04 followed by the 32-byte result.  Writes 44
 * characters and a NUL into out.  Every intermediate key is wiped; the
 * caller wipes out when done.  MT_ERR_INVALID for an empty key, a key with
 * blanks or control characters or longer than 128 bytes, or a bad region.
 */
enum mt_status mt_smtp_password_derive(struct mt_str secret_key, struct mt_str region,
                                       char out[MT_SMTP_PASSWORD_LEN + 1], struct mt_err *err);

/* One SES message tag; both views point into the text given to mt_smtp_tag_parse. */
struct mt_smtp_tag {
    struct mt_str name;
    struct mt_str value;
};

/*
 * Splits "name=value" at the first '=' and checks both halves: 1 to 255
 * characters of A-Z a-z 0-9 _ -, the only ones SES accepts in tags.
 * MT_ERR_INVALID names the tag and the first bad character and its position.
 */
enum mt_status mt_smtp_tag_parse(struct mt_str text, struct mt_smtp_tag *tag, struct mt_err *err);

/*
 * Checks a configuration-set name: 1 to 64 characters of A-Z a-z 0-9 _ -.
 * MT_ERR_INVALID naming the first bad character.
 */
enum mt_status mt_smtp_configuration_set_check(struct mt_str name, struct mt_err *err);

/*
 * Checks a bare address "local@domain": printable ASCII without blanks,
 * quotes, angle brackets, commas or semicolons, exactly one '@', a non-empty
 * local part of at most 64 bytes and a domain name with a dot (no address
 * literals), at most 254 bytes in all.  role ("sender", "recipient") goes into the
 * message.  MT_ERR_INVALID.
 */
enum mt_status mt_smtp_address_check(struct mt_str address, const char *role, struct mt_err *err);

/*
 * Replaces out's content with the SES mailbox simulator address for spec,
 * "KIND" or "KIND+LABEL", where KIND is success, bounce, complaint, ooto or
 * suppressionlist and LABEL is 1 to 64 of A-Z a-z 0-9 _ - . (e.g.
 * "bounce+run42" gives "bounce+run42@simulator.amazonses.com").
 * MT_ERR_INVALID naming the kind or label.
 */
enum mt_status mt_smtp_simulator_address(struct mt_str spec, struct mt_buf *out,
                                         struct mt_err *err);

/* A message to compose.  Strings are borrowed for the duration of the call. */
struct mt_smtp_message {
    const char *from;              /* bare address, checked */
    const char *const *to;         /* to_count bare addresses, checked */
    size_t to_count;               /* at least 1 */
    struct mt_str subject;         /* UTF-8 without control characters */
    struct mt_str body;            /* UTF-8 text; LF or CRLF line ends */
    const char *configuration_set; /* NULL: no X-SES-CONFIGURATION-SET */
    const struct mt_smtp_tag *tags;
    size_t tag_count;       /* 0: no X-SES-MESSAGE-TAGS */
    int64_t date_ms;        /* the Date header, ms since the epoch */
    const char *message_id; /* "local@domain" without brackets; NULL: generated */
};

/*
 * Replaces out's content with "<random>@<domain of from>": 32 hex digits
 * from OpenSSL's RAND_bytes, so ids never repeat.  MT_ERR_INVALID when from
 * has no domain; MT_ERR_IO when the random generator fails.
 */
enum mt_status mt_smtp_message_id_new(const char *from, struct mt_buf *out, struct mt_err *err);

/*
 * Replaces out's content with the whole message, CRLF line ends throughout:
 * Date (RFC 5322, UTC), From, To, Subject, Message-ID, MIME-Version,
 * Content-Type text/plain; charset=UTF-8, Content-Transfer-Encoding
 * quoted-printable, the SES headers when asked for, an empty line and the
 * body.  Quoted-printable keeps every line under 77 characters and the
 * message 7-bit, so it passes unchanged through relays without 8BITMIME and
 * whatever the body's line lengths.  Dot-stuffing is left to the transport.
 *
 * MT_ERR_INVALID names the field at fault: a bad address, tag or
 * configuration set, a subject or body that is not UTF-8, a control
 * character in the subject.  MT_ERR_NOMEM, MT_ERR_TOO_LARGE past out's cap.
 */
enum mt_status mt_smtp_message_format(const struct mt_smtp_message *msg, struct mt_buf *out,
                                      struct mt_err *err);

/* How TLS is set up. */
enum mt_smtp_tls {
    MT_SMTP_TLS_DEFAULT,  /* from the port, see mt_smtp_tls_for_port */
    MT_SMTP_TLS_STARTTLS, /* plain connection, then STARTTLS, required */
    MT_SMTP_TLS_IMPLICIT, /* TLS from the first byte (SMTPS) */
};

/*
 * The TLS mode SES uses on a port: STARTTLS on 25, 587 and 2587, implicit
 * TLS on 465 and 2465.  MT_ERR_INVALID for any other port, which needs an
 * explicit mode.
 */
enum mt_status mt_smtp_tls_for_port(unsigned port, enum mt_smtp_tls *tls);

/* Where and how to connect.  Strings are borrowed for the duration of the call. */
struct mt_smtp_options {
    const char *host; /* name or IP literal */
    unsigned port;    /* 1..65535 */
    enum mt_smtp_tls tls;
    const char *ca_file;  /* PEM bundle to verify the server with; NULL: the system's */
    const char *username; /* SMTP user name (the IAM access key id for SES) */
    const char *password; /* SMTP password; see the LIMITATION in send.c on copies */
    long timeout_ms;      /* whole exchange; 0: MT_SMTP_DEFAULT_TIMEOUT_MS */
};

/* One reply from the server.  code 0: no reply was received. */
struct mt_smtp_reply {
    int code;                     /* 200..599 */
    char text[MT_SMTP_REPLY_MAX]; /* the final reply line without CRLF, code included */
};

/* What the server answered.  Initialise with mt_smtp_result_init. */
struct mt_smtp_result {
    struct mt_smtp_reply *rcpt; /* one per recipient, in the order given; owned */
    size_t rcpt_count;
    size_t accepted;              /* recipients for which the message was accepted */
    struct mt_smtp_reply data;    /* reply to DATA when refused, else to the message end */
    struct mt_smtp_reply failure; /* first 4xx/5xx reply of the exchange, if any */
    char message_id[MT_SMTP_MESSAGE_ID_MAX]; /* from "250 Ok <id>"; empty when absent */
};

/* Prepares an empty result.  Allocates nothing. */
void mt_smtp_result_init(struct mt_smtp_result *result);

/* Releases what mt_smtp_send stored in result. */
void mt_smtp_result_cleanup(struct mt_smtp_result *result);

/*
 * Sends message (as made by mt_smtp_message_format) from from to the
 * to_count recipients, over TLS, after AUTH with the options' credentials.
 * result is filled as far as the exchange went, also on failure; a
 * recipient the server accepted with RCPT TO counts as accepted only when
 * the message itself was accepted too.
 *
 * Returns MT_OK when every recipient was accepted, and otherwise:
 *   MT_ERR_SMTP_PARTIAL   some recipients were refused; the others got the message;
 *   MT_ERR_SMTP_AUTH      the credentials were refused (or AUTH was required and
 *                         no mechanism could be agreed);
 *   MT_ERR_SMTP_REJECTED  the sender, every recipient or the message was refused;
 *   MT_ERR_SMTP_TLS       no STARTTLS offered, handshake or verification failed;
 *   MT_ERR_TIMEOUT        no complete exchange within the timeout;
 *   MT_ERR_CONNECT        connection refused or unreachable, or closed before
 *                         the server's greeting;
 *   MT_ERR_RESOLVE        the host name did not resolve;
 *   MT_ERR_SMTP           any other failure of the exchange, among them a
 *                         connection lost after the greeting;
 *   MT_ERR_INVALID, MT_ERR_NOMEM.
 * err gets one sentence naming the server and, where there was one, its reply.
 */
enum mt_status mt_smtp_send(const struct mt_smtp_options *opts, const char *from,
                            const char *const *to, size_t to_count, struct mt_str message,
                            struct mt_smtp_result *result, struct mt_err *err);

/* SMTP user name and password, wiped when released. */
struct mt_smtp_credentials {
    struct mt_buf username;
    struct mt_buf password;
};

/* Prepares empty credentials.  Allocates nothing. */
void mt_smtp_credentials_init(struct mt_smtp_credentials *creds);

/*
 * Copies a user name and password (e.g. from the environment), checking
 * that both are non-empty printable ASCII without blanks.  MT_ERR_INVALID
 * naming which one is wrong (never its value); MT_ERR_NOMEM.
 */
enum mt_status mt_smtp_credentials_set(struct mt_smtp_credentials *creds, const char *username,
                                       const char *password, struct mt_err *err);

/*
 * Reads credentials from a file of "username=..." and "password=..." lines
 * (blank lines and lines starting with '#' ignored), or of exactly two
 * lines: the user name, then the password.  The file must be a regular file
 * that neither group nor others may read, write or execute (mode 0600 or
 * 0400); otherwise MT_ERR_CONFIG says so with its mode and the chmod that
 * fixes it.  It is read with read(2) into buffers that are wiped, never
 * through stdio.  MT_ERR_IO when it cannot be opened or read, MT_ERR_PARSE
 * naming the line that is wrong, MT_ERR_TOO_LARGE past 64 KiB.
 */
enum mt_status mt_smtp_credentials_load(const char *path, struct mt_smtp_credentials *creds,
                                        struct mt_err *err);

/* Wipes and releases both buffers. */
void mt_smtp_credentials_cleanup(struct mt_smtp_credentials *creds);

#endif
