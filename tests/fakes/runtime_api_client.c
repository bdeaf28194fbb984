/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The test side of mt_runtime_api: writing the events file into a temporary
 * folder, starting the stand-in as a child (child.h), reading its port,
 * reading back its records, and removing the folder when it stops.
 */
#include "child.h"
#include "runtime_api.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ARGS 48
#define TEMP_PREFIX "/tmp/mt-runtime-api-"

/* It prints its port at once, and stops within about 150 ms of its stdin closing. */
#define PORT_TIMEOUT_MS 10000
#define STOP_GRACE_MS 5000

/* Writes the events, one a line, into a new temporary folder; names both files. */
static enum mt_status write_events(struct mt_runtime_api *api, const char *const *events,
                                   size_t count, char *events_path, size_t size,
                                   struct mt_err *err)
{
    char dir[] = TEMP_PREFIX "XXXXXX";
    if (mkdtemp(dir) == NULL)
        return mt_err_set(err, MT_ERR_IO, "cannot create a temporary folder: %s",
                          strerror(errno));

    snprintf(events_path, size, "%s/events.ndjson", dir);
    snprintf(api->out_path, sizeof(api->out_path), "%s/records.ndjson", dir);
    FILE *f = fopen(events_path, "w");
    if (f == NULL)
        return mt_err_set(err, MT_ERR_IO, "cannot create '%s'", events_path);
    for (size_t i = 0; i < count; i++)
        fprintf(f, "%s\n", events[i]);
    return fclose(f) == 0 ? MT_OK : mt_err_set(err, MT_ERR_IO, "cannot write '%s'", events_path);
}

enum mt_status mt_runtime_api_start(struct mt_runtime_api *api, const char *const *events,
                                    size_t count, const char *const *extra_args,
                                    struct mt_err *err)
{
    char events_path[600];
    const char *argv[MAX_ARGS] = {MT_RUNTIME_API_SERVER, "--events", events_path, "--out",
                                  api->out_path, "--watch-stdin"};
    struct mt_test_child_options o = {.argv = argv, .name = "mt_runtime_api",
                                      .line_timeout_ms = PORT_TIMEOUT_MS};
    struct mt_test_child child;
    size_t argc = 6;
    char line[32];

    *api = (struct mt_runtime_api){.pid = -1, .stdin_fd = -1};
    enum mt_status st = write_events(api, events, count, events_path, sizeof(events_path), err);
    if (st != MT_OK)
        goto out;

    for (size_t i = 0; extra_args != NULL && extra_args[i] != NULL && argc < MAX_ARGS - 1; i++)
        argv[argc++] = extra_args[i];
    st = mt_test_child_start(&child, &o, line, sizeof(line), err);
    if (st != MT_OK)
        goto out;

    api->pid = child.pid;
    api->stdin_fd = child.stdin_fd;
    if (sscanf(line, "%d", &api->port) != 1) {
        st = mt_err_set(err, MT_ERR_PARSE, "mt_runtime_api printed '%s'", line);
        goto out;
    }
    snprintf(api->address, sizeof(api->address), "127.0.0.1:%d", api->port);
out:
    if (st != MT_OK)
        mt_runtime_api_stop(api);
    return st;
}

/*
 * Removes the temporary folder of write_events and everything in it (the
 * events, the records, and any file a test added, such as a release file of
 * --pause-before).  Only a folder named as write_events names them is touched.
 */
static void remove_files(struct mt_runtime_api *api)
{
    char *slash = strrchr(api->out_path, '/');

    if (strncmp(api->out_path, TEMP_PREFIX, strlen(TEMP_PREFIX)) != 0 || slash == NULL)
        return;
    *slash = '\0';
    DIR *d = opendir(api->out_path);
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlinkat(dirfd(d), e->d_name, 0);
    }
    if (d != NULL)
        closedir(d);
    rmdir(api->out_path);
    api->out_path[0] = '\0';
}

void mt_runtime_api_stop(struct mt_runtime_api *api)
{
    struct mt_test_child child = {.pid = api->pid, .stdin_fd = api->stdin_fd};

    mt_test_child_stop(&child, STOP_GRACE_MS);
    api->pid = -1;
    api->stdin_fd = -1;
    remove_files(api);
}

json_t *mt_runtime_api_records_of(const struct mt_runtime_api *api, const char *kind)
{
    json_t *all = json_array();
    FILE *f = fopen(api->out_path, "r");
    char *line = NULL;
    size_t cap = 0;

    while (f != NULL && getline(&line, &cap, f) > 0) {
        json_t *rec = json_loads(line, 0, NULL);
        const char *k = json_string_value(json_object_get(rec, "kind"));
        if (rec != NULL && (kind == NULL || (k != NULL && strcmp(k, kind) == 0)))
            json_array_append(all, rec);
        json_decref(rec);
    }
    free(line);
    if (f != NULL)
        fclose(f);
    return all;
}

json_t *mt_runtime_api_records(const struct mt_runtime_api *api)
{
    return mt_runtime_api_records_of(api, NULL);
}
