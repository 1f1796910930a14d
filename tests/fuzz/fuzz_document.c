/* Written documents: the local check never crashes and never accepts what
 * is not a JSON object. */
#include <stdint.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "fs/actions/document.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    char *why = NULL;
    int ok_schema = gs_document_check(GS_K_JOB_SCHEMA, in, size, &why) == 0;
    free(why);
    why = NULL;
    int ok_secrets = gs_document_check(GS_K_SECRETS, in, size, &why) == 0;
    free(why);
    if (ok_schema || ok_secrets) {
        cJSON *j = cJSON_ParseWithLength(in, size);
        if (!cJSON_IsObject(j))
            abort();
        cJSON_Delete(j);
    }
    return 0;
}
