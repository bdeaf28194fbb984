/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Log records and the default sink.
 *
 * The default sink writes "mailtrack: <level>: <message>" on stderr, the
 * format a person reads at a terminal.  Front ends install other sinks (the
 * Lambda JSON sink lives in lambda/).  A record is formatted into a bounded
 * local buffer and handed over whole, so concurrent records never interleave.
 */
#include "mt/log.h"

#include <stdio.h>
#include <strings.h>

enum mt_log_level mt_log_threshold = MT_LOG_WARN;

static const char *const s_level_names[] = {"FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"};

static void text_sink_write(void *ctx, enum mt_log_level level, const char *comp,
                            const char *event, const char *msg)
{
    (void)ctx;
    (void)comp;
    (void)event;
    char line[2048];
    int n = snprintf(line, sizeof(line), "mailtrack: %s: %s\n", level <= MT_LOG_ERROR ? "error"
                                                               : level == MT_LOG_WARN ? "warning"
                                                                                      : "note",
                     msg);
    if (n > 0)
        fwrite(line, 1, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1, stderr);
}

static const struct mt_log_sink s_default_sink = {text_sink_write, NULL};
static struct mt_log_sink s_sink = {text_sink_write, NULL};

void mt_log_set_sink(const struct mt_log_sink *sink)
{
    s_sink = sink ? *sink : s_default_sink;
}

void mt_log_set_level(enum mt_log_level level)
{
    mt_log_threshold = level;
}

int mt_log_level_parse(const char *name)
{
    if (name == NULL)
        return -1;
    if (strcasecmp(name, "warning") == 0)
        return MT_LOG_WARN;
    for (int i = 0; i <= MT_LOG_TRACE; i++) {
        if (strcasecmp(name, s_level_names[i]) == 0)
            return i;
    }
    return -1;
}

const char *mt_log_level_name(enum mt_log_level level)
{
    if ((unsigned)level > MT_LOG_TRACE)
        return "INFO";
    return s_level_names[level];
}

void mt_log_write(enum mt_log_level level, const char *comp, const char *event, const char *fmt,
                  ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    s_sink.write_fn(s_sink.ctx, level, comp, event, msg);
}
