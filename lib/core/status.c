/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Status names and messages, generated from the single list in status.h, and
 * the first-write-wins error detail.
 */
#include "mt/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const s_names[] = {
#define MT_STATUS_NAME(sym, text) #sym,
    MT_STATUS_LIST(MT_STATUS_NAME)
#undef MT_STATUS_NAME
};

static const char *const s_texts[] = {
#define MT_STATUS_TEXT(sym, text) text,
    MT_STATUS_LIST(MT_STATUS_TEXT)
#undef MT_STATUS_TEXT
};

const char *mt_status_name(enum mt_status status)
{
    if ((unsigned)status >= MT_STATUS_COUNT)
        return "MT_ERR_UNKNOWN";
    return s_names[status];
}

const char *mt_status_str(enum mt_status status)
{
    if ((unsigned)status >= MT_STATUS_COUNT)
        return "unknown status";
    return s_texts[status];
}

enum mt_status mt_err_set(struct mt_err *err, enum mt_status code, const char *fmt, ...)
{
    if (err == NULL || err->code != MT_OK || code == MT_OK)
        return code;

    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
    va_end(ap);
    return code;
}

const char *mt_err_text(const struct mt_err *err)
{
    if (err->detail[0] != '\0')
        return err->detail;
    return mt_status_str(err->code);
}

void mt_err_clear(struct mt_err *err)
{
    err->code = MT_OK;
    err->detail[0] = '\0';
}
