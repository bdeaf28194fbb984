/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Environment access and the XDG data folder (XDG Base Directory
 * Specification 0.8: $XDG_DATA_HOME, defaulting to $HOME/.local/share).
 */
#include "mt/env.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *mt_env_get(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

enum mt_status mt_env_set(const char *name, const char *value)
{
    if (name == NULL || name[0] == '\0' || strchr(name, '=') != NULL)
        return MT_ERR_INVALID;

    int rc = value != NULL ? setenv(name, value, 1) : unsetenv(name);
    return rc == 0 ? MT_OK : MT_ERR_NOMEM;
}

/* Creates each missing folder along path (which ends in a folder name). */
static enum mt_status make_dirs(char *path, struct mt_err *err)
{
    for (char *p = path + 1;; p++) {
        char saved = *p;
        if (saved != '/' && saved != '\0')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0700);
        int e = errno;
        *p = saved;
        if (rc != 0 && e != EEXIST)
            return mt_err_set(err, MT_ERR_IO, "cannot create folder '%s': %s", path, strerror(e));
        if (saved == '\0')
            return MT_OK;
    }
}

enum mt_status mt_env_default_db_path(struct mt_buf *out, struct mt_err *err)
{
    const char *data = mt_env_get("XDG_DATA_HOME");
    const char *home = mt_env_get("HOME");
    enum mt_status st;

    mt_buf_reset(out);
    if (data != NULL && data[0] == '/')
        st = mt_buf_appendf(out, "%s/mailtrack", data);
    else if (home != NULL)
        st = mt_buf_appendf(out, "%s/.local/share/mailtrack", home);
    else
        return mt_err_set(err, MT_ERR_CONFIG,
                          "no database given and neither XDG_DATA_HOME nor HOME is set");
    if (st != MT_OK)
        return mt_err_set(err, st, "database path too long");

    st = make_dirs(out->data, err);
    if (st != MT_OK)
        return st;
    return mt_buf_append_cstr(out, "/events.db");
}
