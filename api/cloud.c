/* National clouds: graph-sync-api.md section 8.7. */
#include <errno.h>
#include <stddef.h>
#include <strings.h>

#include "api/cloud.h"

struct gs_cloud {
    const char *name;
    const char *graph_url;
    const char *authority;
    const char *scope;
};

/* China: the Graph deployments page names login.chinacloudapi.cn, the Entra
 * national-clouds page login.partner.microsoftonline.cn; both serve tokens.
 * The former is what azure-identity (AZURE_CHINA) and MSAL use. */
static const struct gs_cloud clouds[] = {
    {"global", "https://graph.microsoft.com", "https://login.microsoftonline.com",
     "https://graph.microsoft.com/.default"},
    {"usgov", "https://graph.microsoft.us", "https://login.microsoftonline.us",
     "https://graph.microsoft.us/.default"},
    {"dod", "https://dod-graph.microsoft.us", "https://login.microsoftonline.us",
     "https://dod-graph.microsoft.us/.default"},
    {"china", "https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn",
     "https://microsoftgraph.chinacloudapi.cn/.default"},
};

int gs_cloud_lookup(const char *name, const char **graph_url, const char **authority,
                    const char **scope_default)
{
    if (!name)
        return -EINVAL;
    for (size_t i = 0; i < sizeof(clouds) / sizeof(clouds[0]); i++) {
        if (strcasecmp(name, clouds[i].name) != 0)
            continue;
        if (graph_url)
            *graph_url = clouds[i].graph_url;
        if (authority)
            *authority = clouds[i].authority;
        if (scope_default)
            *scope_default = clouds[i].scope;
        return 0;
    }
    return -EINVAL;
}
