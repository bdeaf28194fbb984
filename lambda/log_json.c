/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Lambda log sink: every record becomes one line on stdout, either one
 * JSON object (AWS_LAMBDA_LOG_FORMAT=JSON, the default) or tab-separated
 * text like the managed runtimes' (Text).
 *
 * JSON keys: timestamp (RFC 3339, UTC, milliseconds), level (TRACE, DEBUG,
 * INFO, WARN, ERROR, FATAL: the names Lambda filters on), requestId (absent
 * during init), component, event, message.  Lambda's log-level filtering
 * needs exactly "timestamp" and "level" (Lambda developer guide, "Log-level
 * filtering").  A record is formatted whole and written with one write(2),
 * so records never interleave and none holds a newline.  Bytes that are not
 * valid UTF-8 are escaped as \u00XX so the line stays valid JSON.
 */
#include "lambda.h"

#include "mt/clock.h"
#include "mt/env.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct sink_state {
    int fd;
    enum lambda_log_format format;
    char request_id[128];
};

static struct sink_state s_sink_state = {.fd = STDOUT_FILENO};

void lambda_log_set_request_id(const char *request_id)
{
    snprintf(s_sink_state.request_id, sizeof(s_sink_state.request_id), "%s",
             request_id ? request_id : "");
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when it is not one. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
    size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
    if (len == 0 || len > n)
        return 0;
    return mt_utf8_valid((struct mt_str){(const char *)s, len}) ? len : 0;
}

/* Appends text as the inside of a JSON string. */
static void append_json_text(struct mt_buf *out, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t n = strlen(text);

    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        size_t seq = c >= 0x80 ? utf8_sequence(s + i, n - i) : 0;
        if (seq > 0) {
            mt_buf_append(out, s + i, seq);
            i += seq - 1;
        } else if (c == '"' || c == '\\') {
            mt_buf_append_byte(out, '\\');
            mt_buf_append_byte(out, (char)c);
        } else if (c < 0x20 || c >= 0x7f) {
            mt_buf_appendf(out, "\\u%04x", c);
        } else {
            mt_buf_append_byte(out, (char)c);
        }
    }
}

/* Appends text with its control characters escaped, so a record stays one plain line. */
static void append_plain_text(struct mt_buf *out, const char *text)
{
    mt_buf_append_escaped(out, mt_str_from_cstr(text));
}

static void append_json_field(struct mt_buf *out, const char *key, const char *value)
{
    mt_buf_appendf(out, ",\"%s\":\"", key);
    append_json_text(out, value);
    mt_buf_append_byte(out, '"');
}

void lambda_log_format_record(struct mt_buf *out, enum lambda_log_format format,
                              int64_t time_ms, const char *request_id,
                              enum mt_log_level level, const char *comp, const char *event,
                              const char *msg)
{
    char ts[MT_TIME_ISO_LEN + 1];
    bool has_id = request_id != NULL && request_id[0] != '\0';

    mt_buf_reset(out);
    mt_time_format_iso(time_ms, ts);
    if (format == LAMBDA_LOG_TEXT) {
        mt_buf_appendf(out, "%s\t%s\t%s\t%s %s: ", ts, has_id ? request_id : "-",
                       mt_log_level_name(level), comp ? comp : "-", event ? event : "-");
        append_plain_text(out, msg ? msg : "");
        mt_buf_append_byte(out, '\n');
        return;
    }

    mt_buf_appendf(out, "{\"timestamp\":\"%s\",\"level\":\"%s\"", ts, mt_log_level_name(level));
    if (has_id)
        append_json_field(out, "requestId", request_id);
    append_json_field(out, "component", comp ? comp : "");
    append_json_field(out, "event", event ? event : "");
    append_json_field(out, "message", msg ? msg : "");
    mt_buf_append_cstr(out, "}\n");
}

/* Writes all of data, retrying short writes; a failing stdout loses the record. */
static void write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

static void sink_write(void *ctx, enum mt_log_level level, const char *comp, const char *event,
                       const char *msg)
{
    struct sink_state *s = ctx;
    struct mt_buf line;

    mt_buf_init(&line, 16 << 10);
    lambda_log_format_record(&line, s->format, mt_time_now_ms(), s->request_id, level, comp,
                             event, msg);
    if (line.data != NULL)
        write_all(s->fd, line.data, line.len);
    mt_buf_cleanup(&line);
}

void lambda_log_install_with(int fd, enum lambda_log_format format, enum mt_log_level level)
{
    static struct mt_log_sink sink = {sink_write, &s_sink_state};

    s_sink_state.fd = fd;
    s_sink_state.format = format;
    mt_log_set_sink(&sink);
    mt_log_set_level(level);
}

void lambda_log_install(int fd)
{
    const char *format_name = mt_env_get("AWS_LAMBDA_LOG_FORMAT");
    const char *level_name = mt_env_get("AWS_LAMBDA_LOG_LEVEL");
    enum lambda_log_format format = LAMBDA_LOG_JSON;
    int level = level_name != NULL ? mt_log_level_parse(level_name) : MT_LOG_INFO;

    if (format_name != NULL && strcasecmp(format_name, "text") == 0)
        format = LAMBDA_LOG_TEXT;
    lambda_log_install_with(fd, format, level >= 0 ? (enum mt_log_level)level : MT_LOG_INFO);

    if (format_name != NULL && format == LAMBDA_LOG_JSON && strcasecmp(format_name, "json") != 0)
        MT_LOG(MT_LOG_WARN, "lambda", "log_format_unknown",
               "AWS_LAMBDA_LOG_FORMAT '%.32s' is neither JSON nor Text; using JSON", format_name);
    if (level < 0)
        MT_LOG(MT_LOG_WARN, "lambda", "log_level_unknown",
               "AWS_LAMBDA_LOG_LEVEL '%.32s' is not TRACE, DEBUG, INFO, WARN, ERROR or FATAL; "
               "using INFO", level_name);
}
