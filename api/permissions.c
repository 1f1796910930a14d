/* Permissions by endpoint: the table of graph-sync-api.md section 2 (R, W,
 * D, U sets) and the directory and audit log reads. */
#include "api/permissions.h"

#include <string.h>
#include <strings.h>

#define SYNC_READ "Synchronization.Read.All or Synchronization.ReadWrite.All (application or delegated)"
#define SYNC_WRITE "Synchronization.ReadWrite.All (application or delegated)"

/* The path without scheme, host and query: "/v1.0/servicePrincipals/..." */
static void path_of(const char *url, char *out, size_t size)
{
    const char *p = strstr(url, "://");
    p = p ? strchr(p + 3, '/') : url;
    if (!p)
        p = "";
    size_t n = strcspn(p, "?#");
    if (n >= size)
        n = size - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

static int ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

static const char *sync_needs(const char *method, const char *path)
{
    if (ends_with(path, "/bulkUpload"))
        return "SynchronizationData-User.Upload (application)";
    if (ends_with(path, "/discover"))
        return "Directory.ReadWrite.All";
    /* functions and filterOperators need ReadWrite even to read (section 2 note) */
    if (strstr(path, "/functions") || strstr(path, "/filterOperators") || ends_with(path, "/secrets"))
        return SYNC_WRITE;
    return strcmp(method, "GET") == 0 ? SYNC_READ : SYNC_WRITE;
}

const char *gs_permissions_needed(const char *method, const char *url)
{
    char path[1024];
    path_of(url ? url : "", path, sizeof(path));
    if (strstr(path, "/auditLogs/"))
        return "AuditLog.Read.All (and Directory.Read.All to list provisioning logs)";
    if (strstr(path, "/synchronization"))
        return sync_needs(method ? method : "GET", path);
    if (method && strcmp(method, "GET") != 0)
        return "Application.ReadWrite.All or Directory.ReadWrite.All";
    return "Application.Read.All or Directory.Read.All";
}

int gs_is_permission_refusal(long status, const char *code)
{
    if (status == 403)
        return 1;
    return status == 401 && !(code && strcasecmp(code, "InvalidAuthenticationToken") == 0);
}
