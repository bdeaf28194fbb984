/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_ENV_H
#define MT_ENV_H

/*
 * The process environment and per-user folders.  This is the only module
 * that reads environment variables, so every setting mailtrack honours can be
 * found by searching for mt_env_get.
 */

#include "mt/buf.h"
#include "mt/status.h"

/* The value of an environment variable, or NULL when it is unset or empty. */
const char *mt_env_get(const char *name);

/*
 * Sets an environment variable (value NULL unsets it), for the few values a
 * front end must hand to code it does not control, such as _X_AMZN_TRACE_ID
 * inside Lambda.  Not thread-safe (setenv is not): call it only while no
 * other thread reads the environment.  MT_ERR_INVALID for an empty name or
 * one holding '='; MT_ERR_NOMEM.
 */
enum mt_status mt_env_set(const char *name, const char *value);

/*
 * The default SQLite database path: $XDG_DATA_HOME/mailtrack/events.db, else
 * $HOME/.local/share/mailtrack/events.db.  The folder is created (mode 0700)
 * when missing.  MT_ERR_CONFIG when neither variable is set.
 */
enum mt_status mt_env_default_db_path(struct mt_buf *out, struct mt_err *err);

#endif
