/* Graph's answers: error bodies, rendering of any JSON, Retry-After. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api/graph_client.h"
#include "api/graph_error.h"
#include "fs/model/json_render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    char *code = NULL, *message = NULL;
    gs_error_parse_body(in, size, &code, &message);
    free(code);
    free(message);

    struct gs_error e = {0};
    gs_error_set_http(&e, "GET", "https://graph.example/v1.0/x", 400 + (long)(size % 200), in, size, "rid", "crid");
    char *text = gs_error_format(&e);
    free(text);
    gs_error_clear(&e);

    cJSON *j = cJSON_ParseWithLength(in, size);
    if (j) {
        size_t len = 0;
        char *out = gs_json_render(j, &len);
        if (!out || strlen(out) != len || len == 0 || out[len - 1] != '\n')
            abort();
        /* what is rendered is JSON again */
        cJSON *back = cJSON_Parse(out);
        if (!back)
            abort();
        cJSON_Delete(back);
        free(out);
        cJSON_Delete(j);
    }

    char *s = malloc(size + 1);
    if (s) {
        memcpy(s, data, size);
        s[size] = '\0';
        double secs;
        if (gs_parse_retry_after(s, 1700000000.0, &secs) == 0 && !(secs >= 0))
            abort();
        free(s);
    }
    return 0;
}
