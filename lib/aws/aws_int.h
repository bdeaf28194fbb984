/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_AWS_INT_H
#define MT_AWS_INT_H

/*
 * The AWS shared-file parser, shared by the configuration loader and its
 * tests.  Entries are views into the file's text, which the file owns and
 * wipes on cleanup because it may hold secrets.
 */

#include "mt/aws.h"

#include <stddef.h>

/* Largest shared file read. */
#define AWS_INI_MAX_BYTES (1024 * 1024)

/* What kind of section an entry belongs to. */
enum aws_section_kind {
    AWS_SECTION_PROFILE,  /* [default], [profile x] in config; [x] in credentials */
    AWS_SECTION_SERVICES, /* [services x] */
    AWS_SECTION_OTHER,    /* [sso-session x] and anything else: ignored */
};

/* One "key = value", or one indented "subkey = value" under a key. */
struct aws_ini_entry {
    enum aws_section_kind kind;
    struct mt_str section; /* section name without its kind word */
    struct mt_str key;
    struct mt_str subkey;  /* absent for a top-level key */
    struct mt_str value;
};

struct aws_ini {
    struct mt_buf text;
    struct aws_ini_entry *entries;
    size_t count;
    size_t cap;
};

/*
 * Parses text (taken over: the ini owns and wipes it).  is_config selects the
 * config file's section names ("profile x", "services x") over the
 * credentials file's plain names.  MT_ERR_CONFIG names path and line (never
 * the line's content); MT_ERR_NOMEM.
 */
enum mt_status aws_ini_parse(struct aws_ini *ini, struct mt_buf *text, bool is_config,
                             const char *path, struct mt_err *err);

/*
 * Reads and parses the file at path; a missing file gives an empty ini.
 * MT_ERR_CONFIG when it cannot be read or is larger than AWS_INI_MAX_BYTES.
 */
enum mt_status aws_ini_load(struct aws_ini *ini, const char *path, bool is_config,
                            struct mt_err *err);

/* The value of key (and subkey, when given) in a section; absent when missing. */
struct mt_str aws_ini_get(const struct aws_ini *ini, enum aws_section_kind kind,
                          const char *section, const char *key, const char *subkey);

/* True when the profile section exists (with or without keys). */
bool aws_ini_has_section(const struct aws_ini *ini, enum aws_section_kind kind,
                         const char *section);

/* Wipes the text and releases everything. */
void aws_ini_cleanup(struct aws_ini *ini);

/* The parsed config file of a loaded configuration. */
const struct aws_ini *aws_config_file(const struct mt_aws_config *config);

/* True when configured endpoints are to be ignored. */
bool aws_config_ignores_endpoints(const struct mt_aws_config *config);

#endif
