/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Log records and the default sink.
 *
 * The default sink writes "mailtrack: <level>: <message>" on stderr, the
 * format a person reads at a terminal.  Front ends install other sinks (the
 * Lambda JSON sink lives in lambda/).  A record is formatted whole and handed
 * over in one write, so concurrent records never interleave.
 *
 * Messages often quote what a client sent (an SNS MessageId, a topic, a
 * reason naming a field), so the sink escapes every control character as
 * \xNN and every backslash as \\: a record is always one line, moves no
 * terminal cursor, and cannot fake an escape or a record of its own.  Doing
 * it here means no call site has to remember.
 */
#include "mt/log.h"

#include "mt/buf.h"

#include <stdio.h>
#include <strings.h>

/* A formatted message is under 1024 bytes, so an escaped record fits with room to spare. */
#define TEXT_RECORD_MAX ((size_t)8 * 1024)

enum mt_log_level mt_log_threshold = MT_LOG_WARN;

static const char *const s_level_names[] = {"FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"};

static void text_sink_write(void *ctx, enum mt_log_level level, const char *comp,
                            const char *event, const char *msg)
{
    (void)ctx;
    (void)comp;
    (void)event;
    struct mt_buf line;
    const char *label = level <= MT_LOG_ERROR ? "error" : level == MT_LOG_WARN ? "warning"
                                                                              : "note";

    mt_buf_init(&line, TEXT_RECORD_MAX);
    enum mt_status st = mt_buf_appendf(&line, "mailtrack: %s: ", label);
    if (st == MT_OK)
        st = mt_buf_append_escaped_strict(&line, mt_str_from_cstr(msg ? msg : ""));
    if (st == MT_OK)
        st = mt_buf_append_byte(&line, '\n');
    if (st != MT_OK) {
        static const char lost[] = "mailtrack: error: a log record could not be formatted\n";
        fwrite(lost, 1, sizeof(lost) - 1, stderr);
    } else {
        fwrite(line.data, 1, line.len, stderr);
    }
    mt_buf_cleanup(&line);
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
