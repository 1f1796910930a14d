/* malloc's settings (malloc_tune.h). */
#include "fs/malloc_tune.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TCACHE_OFF "glibc.malloc.tcache_count=0"

void gs_malloc_tune(char *argv[])
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    (void)argv;
#else
    mallopt(M_ARENA_MAX, GS_MALLOC_ARENAS);
    /* set, they no longer follow the largest block freed (see malloc_tune.h) */
    mallopt(M_MMAP_THRESHOLD, GS_MALLOC_MMAP_THRESHOLD);
    mallopt(M_TRIM_THRESHOLD, GS_MALLOC_TRIM_THRESHOLD);
    const char *was = getenv("GLIBC_TUNABLES");
    if ((was && strstr(was, "glibc.malloc.tcache_count")) || getenv("LD_PRELOAD"))
        return;
    char *saved = was ? strdup(was) : NULL;
    char *v = NULL;
    if ((was && !saved) || asprintf(&v, "%s%s%s", was ? was : "", was ? ":" : "", TCACHE_OFF) < 0) {
        free(saved);
        return;
    }
    /* run by its own path, not /proc/self/exe, whose name ("exe") would be
     * the process's: pgrep graphsyncfs, ps -C and top would not find it */
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (len > 0)
        self[len] = '\0';
    if (setenv("GLIBC_TUNABLES", v, 1) == 0) {
        if (len > 0)
            execv(self, argv);
        execv("/proc/self/exe", argv); /* the file was replaced since it started */
    }
    /* not run again (no /proc?): on as it was, with the caches */
    if (saved)
        setenv("GLIBC_TUNABLES", saved, 1);
    else
        unsetenv("GLIBC_TUNABLES");
    free(saved);
    free(v);
#endif
}
