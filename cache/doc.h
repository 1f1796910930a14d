/* A cached Graph document as readers see it: immutable and reference
 * counted, so a reader holding one never sees it change (the private side
 * is cache/doc_impl.h). And the time-to-live classes documents belong to. */
#ifndef GS_CACHE_DOC_H
#define GS_CACHE_DOC_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include <time.h>

enum gs_ttl_class {
    GS_TTL_DIR = 0,     /* listings: dir_timeout, default 60 s */
    GS_TTL_STATUS,      /* jobs and their status: status_timeout, default 5 s */
    GS_TTL_DOC,         /* documents (schema, templates, ...): doc_timeout, default 300 s */
    GS_TTL_NCLASS
};

struct gs_doc {
    const char *key;            /* the Graph path it was fetched from */
    cJSON *json;                /* parsed content, read-only for everyone */
    uint64_t generation;        /* increases whenever the content of this key changes */
    struct timespec changed_at; /* when the content last changed, as far as we know */
    struct timespec fetched_at; /* when it was fetched (or filled from a listing) */
    char request_id[64];        /* request-id of the fetch that produced it */
    /* private fields follow in the implementation */
};

void gs_doc_ref(struct gs_doc *d);
void gs_doc_unref(struct gs_doc *d);

#endif
