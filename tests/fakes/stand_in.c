/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The parts the microhttpd stand-ins share: gathering each request body
 * before the stand-in's handler sees it, starting a daemon on 127.0.0.1, and
 * turning stop signals into a flag.  Bodies over the site's cap are marked,
 * not refused: what to answer is the stand-in's choice.
 */
#include "stand_in.h"

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

static volatile sig_atomic_t *s_stopping;

/* The access handler: collects the body, then passes the request on. */
static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
    const struct stand_in_site *site = cls;
    struct stand_in_request *req = *con_cls;
    (void)version;

    if (req == NULL) {
        req = calloc(1, sizeof(*req));
        if (req == NULL)
            return MHD_NO;
        mt_buf_init(&req->body, site->max_body_bytes);
        *con_cls = req;
        return MHD_YES;
    }

    if (*upload_size > 0) {
        if (mt_buf_append(&req->body, upload, *upload_size) != MT_OK)
            req->too_large = true;
        *upload_size = 0;
        return MHD_YES;
    }
    return site->on_request(conn, method, url, req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    struct stand_in_request *req = *con_cls;
    (void)cls;
    (void)conn;
    (void)code;

    if (req != NULL) {
        mt_buf_cleanup(&req->body);
        free(req);
        *con_cls = NULL;
    }
}

struct MHD_Daemon *stand_in_start(const struct stand_in_site *site,
                                  MHD_NotifyConnectionCallback on_connection, const char *cert,
                                  const char *key, int *port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
    if (cert != NULL)
        flags |= MHD_USE_TLS;

    /* For plain HTTP the certificate options are cut off by an early MHD_OPTION_END. */
    struct MHD_Daemon *d =
        MHD_start_daemon(flags, 0, NULL, NULL, on_access, (void *)(uintptr_t)site,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)1 << 20,
                         MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                         MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
                         cert != NULL ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
                         MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
    const union MHD_DaemonInfo *info =
        d != NULL ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    if (info == NULL) {
        if (d != NULL)
            MHD_stop_daemon(d);
        return NULL;
    }
    *port = info->port;
    return d;
}

static void on_signal(int sig)
{
    (void)sig;
    *s_stopping = 1;
}

void stand_in_catch_stop_signals(volatile sig_atomic_t *stopping)
{
    struct sigaction sa = {.sa_handler = on_signal};

    s_stopping = stopping;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}
