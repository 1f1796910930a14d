/* readloop: the reader of the warm-read benchmark (tests/bench/bench.py).
 *
 *   readloop LISTFILE ROUNDS
 *
 * LISTFILE holds one path a line. One warm-up round, then ROUNDS rounds of
 * open(O_RDONLY) / read until EOF / close of every path, as `cat` does
 * without the fork and exec. Prints one line of key=value:
 *   files rounds bytes (per round) hash (FNV-1a of every file's bytes, in
 *   list order, so two mounts can be checked to serve the same bytes)
 *   ns_min ns_median (nanoseconds per round) errors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char buf[1 << 16];

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One round: returns bytes read, -1 on error; folds the bytes into *hash. */
static long long round_once(char **paths, size_t n, uint64_t *hash)
{
    long long total = 0;
    for (size_t i = 0; i < n; i++) {
        int fd = open(paths[i], O_RDONLY);
        if (fd < 0) {
            fprintf(stderr, "readloop: open %s: %s\n", paths[i], strerror(errno));
            return -1;
        }
        for (;;) {
            ssize_t r = read(fd, buf, sizeof(buf));
            if (r < 0) {
                fprintf(stderr, "readloop: read %s: %s\n", paths[i], strerror(errno));
                close(fd);
                return -1;
            }
            if (r == 0)
                break;
            if (hash)
                for (ssize_t k = 0; k < r; k++)
                    *hash = (*hash ^ (unsigned char)buf[k]) * 1099511628211ULL;
            total += r;
        }
        if (close(fd) != 0) {
            fprintf(stderr, "readloop: close %s: %s\n", paths[i], strerror(errno));
            return -1;
        }
    }
    return total;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: readloop LISTFILE ROUNDS\n");
        return 2;
    }
    long rounds = strtol(argv[2], NULL, 10);
    if (rounds < 1 || rounds > 1000000) {
        fprintf(stderr, "readloop: ROUNDS must be 1..1000000\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    char **paths = NULL;
    size_t n = 0, cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, f)) > 0) {
        if (line[len - 1] == '\n')
            line[--len] = 0;
        if (!len)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            paths = realloc(paths, cap * sizeof(*paths));
            if (!paths)
                return 2;
        }
        paths[n++] = strdup(line);
    }
    free(line);
    fclose(f);
    if (!n) {
        fprintf(stderr, "readloop: no paths\n");
        return 2;
    }

    uint64_t hash = 1469598103934665603ULL;
    long long bytes = round_once(paths, n, &hash); /* warm-up, and the hash */
    if (bytes < 0)
        return 1;
    uint64_t *ns = calloc((size_t)rounds, sizeof(*ns));
    if (!ns)
        return 2;
    int errors = 0;
    for (long r = 0; r < rounds; r++) {
        uint64_t t0 = now_ns();
        long long b = round_once(paths, n, NULL);
        ns[r] = now_ns() - t0;
        if (b != bytes)
            errors++;
        if (b < 0)
            break;
    }
    qsort(ns, (size_t)rounds, sizeof(*ns), cmp_u64);
    printf("files=%zu rounds=%ld bytes=%lld hash=%016llx ns_min=%llu ns_median=%llu errors=%d\n", n, rounds,
           bytes, (unsigned long long)hash, (unsigned long long)ns[0],
           (unsigned long long)ns[rounds / 2], errors);
    return errors ? 1 : 0;
}
