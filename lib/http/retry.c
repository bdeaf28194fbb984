/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Retry timing: capped exponential backoff with full jitter, as described in
 * the AWS Architecture Blog's "Exponential Backoff And Jitter" and the AWS
 * SDKs' standard retry mode.  Random bits come from OpenSSL's CSPRNG, never
 * rand(), so clients started together do not retry in lockstep.  Sleeping is
 * done against the monotonic clock so wall-clock changes cannot stretch it.
 */
#include "http_int.h"

#include <errno.h>
#include <time.h>

#include <openssl/rand.h>

int64_t http_backoff_ms(int retry, int64_t base_ms, int64_t cap_ms, uint64_t random)
{
    if (base_ms <= 0 || cap_ms <= 0)
        return 0;

    /* Doubling stops once the cap is reached, so large retry numbers cannot overflow. */
    int64_t ceiling = base_ms < cap_ms ? base_ms : cap_ms;
    for (int i = 1; i < retry && ceiling < cap_ms; i++)
        ceiling = ceiling > cap_ms / 2 ? cap_ms : ceiling * 2;

    return (int64_t)(random % ((uint64_t)ceiling + 1));
}

uint64_t http_random_u64(void)
{
    uint64_t value = 0;
    if (RAND_bytes((unsigned char *)&value, (int)sizeof(value)) != 1)
        return UINT64_MAX;
    return value;
}

void http_sleep_until(int64_t until_ms)
{
    struct timespec ts = {
        .tv_sec = (time_t)(until_ms / 1000),
        .tv_nsec = (long)(until_ms % 1000) * 1000000L,
    };

    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        continue;
}
