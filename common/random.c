/* Randomness: client-request-id GUIDs and backoff jitter. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "common/random.h"

/* getrandom() does not fail for small sizes once the pool is ready; if it
 * ever does, a clock-seeded mix still gives distinct ids. */
static void fill_random(unsigned char *p, size_t n)
{
    ssize_t got = getrandom(p, n, GRND_NONBLOCK);
    if (got == (ssize_t)n)
        return;
    static uint64_t counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
                 __atomic_add_fetch(&counter, 0x9e3779b97f4a7c15ull, __ATOMIC_RELAXED);
    for (size_t i = 0; i < n; i++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        p[i] = (unsigned char)((x * 0x2545f4914f6cdd1dull) >> 56);
    }
}

double gs_random_unit(void)
{
    uint32_t v;
    fill_random((unsigned char *)&v, sizeof(v));
    return (double)v / 4294967296.0;
}

void gs_guid(char out[37])
{
    unsigned char b[16];
    fill_random(b, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
}
