/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The test side of mt_runtime_api: writing the events file, spawning the
 * stand-in, reading its port, and reading back its records.
 */
#include "runtime_api.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_ARGS 48

/* Writes the events, one a line, into a new temporary folder; names both files. */
static enum mt_status write_events(struct mt_runtime_api *api, const char *const *events,
                                   size_t count, char *events_path, size_t size,
                                   struct mt_err *err)
{
    char dir[] = "/tmp/mt-runtime-api-XXXXXX";
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

/* Reads the port line, waiting at most 10 s. */
static enum mt_status read_port(struct mt_runtime_api *api, int fd, struct mt_err *err)
{
    char line[32];
    size_t len = 0;

    while (len < sizeof(line) - 1 && memchr(line, '\n', len) == NULL) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 10000) <= 0)
            return mt_err_set(err, MT_ERR_TIMEOUT, "mt_runtime_api printed no port");
        ssize_t n = read(fd, line + len, sizeof(line) - 1 - len);
        if (n <= 0)
            return mt_err_set(err, MT_ERR_IO, "mt_runtime_api exited before printing its port");
        len += (size_t)n;
    }
    line[len] = '\0';
    if (sscanf(line, "%d", &api->port) != 1)
        return mt_err_set(err, MT_ERR_PARSE, "mt_runtime_api printed '%s'", line);
    snprintf(api->address, sizeof(api->address), "127.0.0.1:%d", api->port);
    return MT_OK;
}

enum mt_status mt_runtime_api_start(struct mt_runtime_api *api, const char *const *events,
                                    size_t count, const char *const *extra_args,
                                    struct mt_err *err)
{
    char events_path[600];
    char *argv[MAX_ARGS] = {MT_RUNTIME_API_SERVER, "--events", events_path, "--out",
                            api->out_path, "--watch-stdin"};
    int in[2] = {-1, -1};
    int out[2] = {-1, -1};
    size_t argc = 6;
    posix_spawn_file_actions_t fa;

    *api = (struct mt_runtime_api){.pid = -1, .stdin_fd = -1};
    enum mt_status st = write_events(api, events, count, events_path, sizeof(events_path), err);
    if (st != MT_OK)
        return st;
    /* posix_spawn takes char *const[]; the strings are only read, so copy the pointers. */
    for (size_t i = 0; extra_args != NULL && extra_args[i] != NULL && argc < MAX_ARGS - 1; i++)
        memcpy(&argv[argc++], &extra_args[i], sizeof(argv[0]));

    st = MT_ERR_IO;
    if (pipe(in) != 0 || pipe(out) != 0) {
        mt_err_set(err, st, "cannot create pipes: %s", strerror(errno));
        goto out;
    }
    /* Only the dup2 copies below reach the stand-in; the originals close on exec. */
    for (int i = 0; i < 2; i++) {
        fcntl(in[i], F_SETFD, FD_CLOEXEC);
        fcntl(out[i], F_SETFD, FD_CLOEXEC);
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    int rc = posix_spawn(&api->pid, MT_RUNTIME_API_SERVER, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        api->pid = -1;
        mt_err_set(err, st, "cannot start %s: %s", MT_RUNTIME_API_SERVER, strerror(rc));
        goto out;
    }
    api->stdin_fd = in[1];
    in[1] = -1;
    st = read_port(api, out[0], err);
out:
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            close(in[i]);
        if (out[i] >= 0)
            close(out[i]);
    }
    if (st != MT_OK)
        mt_runtime_api_stop(api);
    return st;
}

void mt_runtime_api_stop(struct mt_runtime_api *api)
{
    if (api->stdin_fd >= 0)
        close(api->stdin_fd);
    api->stdin_fd = -1;
    if (api->pid <= 0)
        return;

    /* It stops within about 150 ms of its stdin closing; after 5 s, kill this one process. */
    for (int i = 0; i < 500; i++) {
        if (waitpid(api->pid, NULL, WNOHANG) == api->pid) {
            api->pid = -1;
            return;
        }
        nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
    }
    kill(api->pid, SIGKILL);
    waitpid(api->pid, NULL, 0);
    api->pid = -1;
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
