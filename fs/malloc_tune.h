/* How the daemon asks glibc's malloc to give memory back (issue 14: RSS
 * returns to about its idle size once the cache has expired). */
#ifndef GS_MALLOC_TUNE_H
#define GS_MALLOC_TUNE_H

/* Most malloc arenas (glibc makes up to 8 per core, one per busy thread). */
#define GS_MALLOC_ARENAS 4

/* Blocks from this size on are mapped on their own and go back to the
 * system when freed (large answers, their parsed pages); the top of an
 * arena's heap beyond the trim threshold goes back at the free that leaves
 * it. Left to glibc, both grow to the largest block freed so far (up to 32
 * and 64 MiB): after a tenant scan or a few large answers on many threads,
 * each arena kept megabytes on top of its heap, beyond malloc_trim's reach
 * (96 answers of 3 MiB on 32 threads: 21 MiB of RSS stayed, 11 MiB idle). */
#define GS_MALLOC_MMAP_THRESHOLD (128 * 1024)
#define GS_MALLOC_TRIM_THRESHOLD (512 * 1024)

/* First thing in main: fewer arenas, fixed thresholds, and no per-thread malloc caches. The
 * read-ahead's threads each kept a few thousand freed blocks in their
 * caches, one per page of memory that could otherwise go back to the
 * system: 10 MiB after a scan of 50,000 service principals. glibc reads
 * that setting (GLIBC_TUNABLES=glibc.malloc.tcache_count=0) only at start,
 * so the daemon runs itself again once with it set. Nothing happens when
 * it is set already, when a tool preloads itself (LD_PRELOAD: valgrind,
 * heaptrack), or in a sanitizer build (its allocator is not glibc's). */
void gs_malloc_tune(char *argv[]);

#endif
