/* Keeping secrets out of core dumps (secmem.h). */
#include "common/secmem.h"

#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void *gs_wipe_malloc(size_t n)
{
    return malloc(n);
}

void gs_wipe_free(void *p)
{
    if (!p)
        return;
    explicit_bzero(p, malloc_usable_size(p));
    free(p);
}

/* Never realloc in place: a block that moves would leave its old bytes behind. */
void *gs_wipe_realloc(void *p, size_t n)
{
    if (!p)
        return malloc(n);
    if (n == 0) {
        gs_wipe_free(p);
        return NULL;
    }
    size_t old = malloc_usable_size(p);
    void *q = malloc(n);
    if (!q)
        return NULL;
    memcpy(q, p, old < n ? old : n);
    gs_wipe_free(p);
    return q;
}

void *gs_wipe_calloc(size_t nmemb, size_t size)
{
    return calloc(nmemb, size);
}

char *gs_wipe_strdup(const char *s)
{
    return strdup(s);
}

/* A secret's mapping starts with its size; the text follows. */
struct secret_head {
    size_t map_len;
    char text[];
};

char *gs_secret_dup(const char *s, size_t len)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t need = sizeof(struct secret_head) + len + 1;
    size_t map_len = (need + page - 1) / page * page;
    struct secret_head *h = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (h == MAP_FAILED)
        return NULL;
    madvise(h, map_len, MADV_DONTDUMP); /* best effort: the dumpable flag is off too */
    mlock(h, map_len);                 /* and never in swap, where the kernel can */
    h->map_len = map_len;
    memcpy(h->text, s, len);
    h->text[len] = '\0';
    return h->text;
}

void gs_secret_free(char *s)
{
    if (!s)
        return;
    struct secret_head *h = (struct secret_head *)(s - offsetof(struct secret_head, text));
    size_t map_len = h->map_len;
    explicit_bzero(h, map_len);
    munlock(h, map_len);
    munmap(h, map_len);
}
