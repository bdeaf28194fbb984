/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_TEST_RUNTIME_API_H
#define MT_TEST_RUNTIME_API_H

/*
 * Starting and stopping mt_runtime_api (see runtime_api.c) from a C test,
 * and reading what it recorded.  The stand-in is a child process of the
 * test that ends when mt_runtime_api_stop closes its stdin, when its run
 * ends (events used up, init error), or on its own if the test dies.
 *
 * Link the test with mt_test_runtime_api.
 */

#include "mt/status.h"

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

struct mt_runtime_api {
    pid_t pid;
    int stdin_fd;        /* closing it stops the stand-in */
    int port;            /* on 127.0.0.1 */
    char address[32];    /* "127.0.0.1:<port>", for AWS_LAMBDA_RUNTIME_API */
    char out_path[512];  /* what it records, one JSON object a line */
};

/*
 * Starts the stand-in serving the events (one JSON document per string;
 * count of them) with extra command-line arguments (NULL-terminated list,
 * may be NULL), e.g. {"--fault", "post:1:drop", NULL}.  Files go in a fresh
 * temporary folder, which mt_runtime_api_stop removes.
 */
enum mt_status mt_runtime_api_start(struct mt_runtime_api *api, const char *const *events,
                                    size_t count, const char *const *extra_args,
                                    struct mt_err *err);

/*
 * Stops the stand-in, reaps it and removes its folder, so read its records
 * first.  Safe on one that never started or has ended.
 */
void mt_runtime_api_stop(struct mt_runtime_api *api);

/* Everything recorded so far, as a JSON array of the records.  Free with json_decref. */
json_t *mt_runtime_api_records(const struct mt_runtime_api *api);

/* The records of one kind ("response", "error", "next", ...) so far. */
json_t *mt_runtime_api_records_of(const struct mt_runtime_api *api, const char *kind);

#endif
