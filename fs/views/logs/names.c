/* The names of the logs room: which kinds are log files, and the
 * lookup-only names of by-id/ and by-user/. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/views/logs/logs.h"
#include "fs/model/names.h"

int gs_logs_is_file(enum gs_kind k)
{
    return gs_kind_info(k)->source == GS_SRC_LOGS;
}

int gs_logs_lookup_only(enum gs_kind k)
{
    return gs_kind_has(k, GS_KF_LOOKUP_ONLY);
}

static int has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    return n > s && strcmp(name + n - s, suffix) == 0;
}

int gs_logs_lookup(struct gs_node *dir, const char *name, struct gs_dirent *out)
{
    memset(out, 0, sizeof(*out));
    if (!gs_name_is_safe(name) || name[0] == '.')
        return -ENOENT;
    if (gs_node_kind(dir) == GS_K_LOG_BYID && !has_suffix(name, ".jsonl") && !has_suffix(name, ".txt"))
        return -ENOENT;
    if (gs_node_kind(dir) == GS_K_LOG_BYUSER && !has_suffix(name, ".jsonl"))
        return -ENOENT;
    out->name = strdup(name);
    if (!out->name)
        return -ENOMEM;
    out->kind = gs_node_kind(dir) == GS_K_LOG_BYID ? GS_K_LOG_OBJECT : GS_K_LOG_USER;
    out->sp = dir->sp;
    out->job = dir->job;
    return 0;
}
