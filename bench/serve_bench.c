/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Load generator for `mailtrack serve`: starts the server on 127.0.0.1 with
 * a temporary database and certificate folder, posts validly signed
 * notifications from several threads (one keep-alive libcurl handle each),
 * and prints one JSON line: requests per second and latency percentiles.
 *
 * usage: bench_serve MAILTRACK [CLIENTS [REQUESTS_PER_CLIENT [COMMIT_GROUP]]]
 *
 * Not a test: it asserts nothing about speed.  Every request must still be
 * answered 200, or the run reports the failures.
 */
#include "sns_testkit.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct client {
    unsigned port;
    char **bodies;
    int count;
    double *latency_ms; /* count entries */
    int failures;
};

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
    (void)p;
    (void)ctx;
    return size * n;
}

static void *client_main(void *arg)
{
    struct client *c = arg;
    char url[64];
    CURL *h = curl_easy_init();
    struct curl_slist *hs = curl_slist_append(NULL, "x-amz-sns-message-type: Notification");
    hs = curl_slist_append(hs, "Expect:");

    snprintf(url, sizeof(url), "http://127.0.0.1:%u/sns", c->port);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    for (int i = 0; i < c->count; i++) {
        long code = 0;
        double start = now_ms();
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->bodies[i]);
        if (curl_easy_perform(h) == CURLE_OK)
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        c->latency_ms[i] = now_ms() - start;
        c->failures += code != 200;
    }
    curl_slist_free_all(hs);
    curl_easy_cleanup(h);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Starts the server and returns its pid; *port receives the port. */
static pid_t start_server(const char *bin, const char *dir, const char *group, unsigned *port)
{
    char db[4200], certs[4200], log[4200];
    snprintf(db, sizeof(db), "%s/events.db", dir);
    snprintf(certs, sizeof(certs), "%s/certs", dir);
    snprintf(log, sizeof(log), "%s/serve.log", dir);
    mkdir(certs, 0755);
    tk_install_cert(certs);

    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        execl(bin, bin, "serve", "--port", "0", "--db", db, "--topic", TK_TOPIC,
              "--cert-dir", certs, "--threads", "8", "--commit-group", group, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 500 && *port == 0; i++) {
        char line[512];
        FILE *f = fopen(log, "r");
        while (f != NULL && *port == 0 && fgets(line, sizeof(line), f) != NULL) {
            const char *at = strstr(line, "listening on http://127.0.0.1:");
            if (at != NULL)
                *port = (unsigned)strtoul(at + strlen("listening on http://127.0.0.1:"), NULL, 10);
        }
        if (f != NULL)
            fclose(f);
        usleep(10000);
    }
    return pid;
}

static void make_bodies(char **bodies, int total)
{
    for (int i = 0; i < total; i++) {
        char id[64], mid[64], message[512];
        struct tk_msg m = tk_msg_default("Notification");
        snprintf(id, sizeof(id), "0100019a-bench-%07d-000000", i);
        snprintf(mid, sizeof(mid), "7c1b2a3d-0000-5000-8000-%012d", i);
        snprintf(message, sizeof(message),
                 "{\"eventType\":\"Delivery\",\"mail\":{\"timestamp\":\"2026-11-23T06:59:00.000Z\","
                 "\"source\":\"news@example.com\",\"messageId\":\"%s\",\"destination\":"
                 "[\"ann@example.net\"]},\"delivery\":{\"timestamp\":\"2026-11-23T07:00:00.000Z\","
                 "\"recipients\":[\"ann@example.net\"],\"smtpResponse\":\"250 ok\"}}\n", id);
        m.message_id = mid;
        m.message = message;
        m.version = "2";
        m.sign_sha256 = true;
        bodies[i] = tk_sns_body(&m, tk_shared_key());
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_serve MAILTRACK [CLIENTS [REQUESTS [COMMIT_GROUP]]]\n");
        return 2;
    }
    int clients = argc > 2 ? atoi(argv[2]) : 16;
    int each = argc > 3 ? atoi(argv[3]) : 500;
    const char *group = argc > 4 ? argv[4] : "64";
    char dir[] = "/tmp/mt-bench-XXXXXX";
    unsigned port = 0;

    if (clients < 1 || clients > 256 || each < 1 || mkdtemp(dir) == NULL)
        return 2;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int total = clients * each;
    char **bodies = calloc((size_t)total, sizeof(char *));
    double *lat = calloc((size_t)total, sizeof(double));
    struct client *cs = calloc((size_t)clients, sizeof(*cs));
    pthread_t *th = calloc((size_t)clients, sizeof(*th));
    if (bodies == NULL || lat == NULL || cs == NULL || th == NULL)
        return 1;
    make_bodies(bodies, total);

    pid_t pid = start_server(argv[1], dir, group, &port);
    if (port == 0) {
        fprintf(stderr, "bench_serve: the server did not start (see %s/serve.log)\n", dir);
        kill(pid, SIGKILL);
        return 1;
    }
    double start = now_ms();
    for (int i = 0; i < clients; i++) {
        cs[i] = (struct client){.port = port, .bodies = bodies + i * each, .count = each,
                                .latency_ms = lat + i * each};
        pthread_create(&th[i], NULL, client_main, &cs[i]);
    }
    int failures = 0;
    for (int i = 0; i < clients; i++) {
        pthread_join(th[i], NULL);
        failures += cs[i].failures;
    }
    double elapsed_s = (now_ms() - start) / 1000.0;
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);

    qsort(lat, (size_t)total, sizeof(double), cmp_double);
    printf("{\"bench\":\"serve\",\"clients\":%d,\"requests\":%d,\"commit_group\":%s,"
           "\"failures\":%d,\"requests_per_s\":%.0f,\"p50_ms\":%.2f,\"p99_ms\":%.2f,"
           "\"max_ms\":%.2f}\n",
           clients, total, group, failures, total / elapsed_s, lat[total / 2],
           lat[(size_t)(total * 0.99)], lat[total - 1]);
    for (int i = 0; i < total; i++)
        free(bodies[i]);
    free(bodies);
    free(lat);
    free(cs);
    free(th);
    return failures == 0 ? 0 : 1;
}
