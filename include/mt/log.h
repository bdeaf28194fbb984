/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_LOG_H
#define MT_LOG_H

/*
 * One logging API whose sink depends on the front end: text on stderr for
 * the CLI, one JSON object a line for Lambda.
 *
 * MT_LOG checks the level before it evaluates any argument, so a disabled
 * trace costs one comparison.  Library code logs at debug and trace only;
 * reporting failures to a person is the front end's job.  Events are stable
 * snake_case names (e.g. "sns_signature_invalid") that logs can be searched
 * by.  Email addresses and subjects are never logged above debug.
 */

#include <stdarg.h>

enum mt_log_level {
    MT_LOG_FATAL,
    MT_LOG_ERROR,
    MT_LOG_WARN,
    MT_LOG_INFO,
    MT_LOG_DEBUG,
    MT_LOG_TRACE,
};

/*
 * Where records go.  write_fn receives one record: the component, the event
 * name and the formatted message (no trailing newline).  It must write the
 * record in one piece, since several threads may log at once.
 */
struct mt_log_sink {
    void (*write_fn)(void *ctx, enum mt_log_level level, const char *comp, const char *event,
                     const char *msg);
    void *ctx;
};

/* Records above this level are dropped before formatting.  Default: warn. */
extern enum mt_log_level mt_log_threshold;

/* Installs a sink; NULL restores the default text sink on stderr. */
void mt_log_set_sink(const struct mt_log_sink *sink);

/* Sets mt_log_threshold. */
void mt_log_set_level(enum mt_log_level level);

/* Parses "trace".."fatal" (any case, "warning" too); -1 when unknown. */
int mt_log_level_parse(const char *name);

/* The upper-case name of a level, e.g. "INFO". */
const char *mt_log_level_name(enum mt_log_level level);

/* Formats and writes one record.  Prefer MT_LOG, which checks the level first. */
void mt_log_write(enum mt_log_level level, const char *comp, const char *event, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));

#define MT_LOG(level, comp, event, ...)                                                       \
    do {                                                                                      \
        if ((level) <= mt_log_threshold)                                                      \
            mt_log_write((level), (comp), (event), __VA_ARGS__);                              \
    } while (0)

#endif
