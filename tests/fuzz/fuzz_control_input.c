/* Control-file input: every parser, any bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs/actions/control_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    char *body = NULL;
    const char *why = NULL;
    gs_json_complete(in, size);
    gs_input_complete(in, size);
    if (gs_restart_body(in, size, &body, &why) == 0 && !body)
        abort();
    free(body);
    body = NULL;
    gs_pod_body(in, size, "rule-1", &body, &why);
    free(body);
    body = NULL;
    gs_validate_body(in, size, &body, &why);
    free(body);
    body = NULL;
    gs_parse_expression_body(in, size, &body, &why);
    free(body);
    body = NULL;
    gs_bulk_body(in, size, &body, &why);
    free(body);
    body = NULL;
    gs_new_job_body(in, size, &body, &why);
    free(body);
    cJSON *j = cJSON_ParseWithLength(in, size);
    if (j) {
        cJSON *d = gs_pod_decode(j);
        cJSON_Delete(d);
        cJSON_Delete(j);
    }
    return 0;
}
