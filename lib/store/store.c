/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Store selection by URI.  Each backend lives in a file of its own and is
 * reached only through struct mt_store_ops.
 */
#include "mt/store.h"

#include <stdlib.h>
#include <string.h>

enum mt_status mt_store_open(const char *uri, const struct mt_store_options *options,
                             struct mt_store **out, struct mt_err *err)
{
    *out = NULL;
    if (uri == NULL || uri[0] == '\0')
        return mt_err_set(err, MT_ERR_INVALID, "no store given");

    if (strncmp(uri, "sqlite:", 7) == 0)
        return mt_store_open_sqlite(uri + 7, options, out, err);
    if (strncmp(uri, "dynamodb://", 11) == 0)
        return mt_store_open_dynamodb(uri + 11, options, out, err);

    const char *colon = strchr(uri, ':');
    const char *slash = strchr(uri, '/');
    if (colon != NULL && (slash == NULL || colon < slash) && colon[1] == '/' && colon[2] == '/')
        return mt_err_set(err, MT_ERR_UNSUPPORTED,
                          "store '%s': unknown scheme (use sqlite:PATH or dynamodb://TABLE)", uri);
    return mt_store_open_sqlite(uri, options, out, err);
}

void mt_store_close(struct mt_store *store)
{
    if (store == NULL)
        return;
    store->ops->close(store);
}
