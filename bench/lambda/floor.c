/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lambda_floor: the least a Lambda custom runtime in C can do, for the
 * benchmark's baseline: one libcurl handle polls /runtime/invocation/next
 * and answers every event "{}".  Its init time and memory are what the
 * harness, the loader and libcurl cost before mailtrack does anything, so
 * run.sh can show what mailtrack adds on top.  Not product code.
 */
#include <curl/curl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static size_t keep_header(char *data, size_t size, size_t nmemb, void *ctx)
{
    char *id = ctx;
    size_t len = size * nmemb;
    static const char name[] = "lambda-runtime-aws-request-id:";

    if (len > sizeof(name) && strncasecmp(data, name, sizeof(name) - 1) == 0) {
        const char *value = data + sizeof(name) - 1;
        size_t n = len - (sizeof(name) - 1);
        while (n > 0 && *value == ' ') {
            value++;
            n--;
        }
        n = n < 127 ? n : 127;
        memcpy(id, value, n);
        id[n] = '\0';
        id[strcspn(id, " \r\n")] = '\0';
    }
    return len;
}

static size_t drop_body(char *data, size_t size, size_t nmemb, void *ctx)
{
    (void)data;
    (void)ctx;
    return size * nmemb;
}

int main(void)
{
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    char url[512], id[128];
    CURL *c = curl_easy_init();

    if (api == NULL || c == NULL)
        return 1;
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, keep_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, id);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, drop_body);
    for (;;) {
        id[0] = '\0';
        snprintf(url, sizeof(url), "http://%s/2018-06-01/runtime/invocation/next", api);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        if (curl_easy_perform(c) != CURLE_OK || id[0] == '\0')
            return 1;
        snprintf(url, sizeof(url), "http://%s/2018-06-01/runtime/invocation/%s/response", api, id);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{}");
        if (curl_easy_perform(c) != CURLE_OK)
            return 1;
    }
}
