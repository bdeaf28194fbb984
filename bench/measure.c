/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Runs a command and prints what it cost as one JSON line: wall time, user
 * and system CPU time, and peak resident memory (from wait4's rusage).
 *
 *   measure [--stdin FILE] [--stdout FILE] -- COMMAND [ARGS...]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double ms_of(struct timeval tv)
{
    return (double)tv.tv_sec * 1000.0 + (double)tv.tv_usec / 1000.0;
}

static void redirect(const char *path, int fd, int flags)
{
    int f = open(path, flags, 0644);
    if (f < 0 || dup2(f, fd) < 0) {
        perror(path);
        _exit(127);
    }
    close(f);
}

int main(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--stdin") == 0 && i + 1 < argc)
            in = argv[++i];
        else if (strcmp(argv[i], "--stdout") == 0 && i + 1 < argc)
            out = argv[++i];
    }
    if (i + 1 >= argc) {
        fprintf(stderr, "usage: measure [--stdin FILE] [--stdout FILE] -- COMMAND [ARGS...]\n");
        return 2;
    }

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid == 0) {
        if (in)
            redirect(in, 0, O_RDONLY);
        if (out)
            redirect(out, 1, O_WRONLY | O_CREAT | O_TRUNC);
        execvp(argv[i + 1], argv + i + 1);
        perror(argv[i + 1]);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &status, 0, &ru) != pid) {
        perror("measure");
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);

    double wall = (double)(t1.tv_sec - t0.tv_sec) * 1000.0 +
                  (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    printf("{\"wall_ms\":%.1f,\"user_ms\":%.1f,\"sys_ms\":%.1f,\"max_rss_kb\":%ld,\"status\":%d}\n",
           wall, ms_of(ru.ru_utime), ms_of(ru.ru_stime), ru.ru_maxrss,
           WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return 0;
}
