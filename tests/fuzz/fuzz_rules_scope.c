/* Scope files (fs/model/rules/text.h): whatever a user writes either is
 * refused with a reason, or parses to a filter whose text parses back to the
 * same filter and the same text (exact round-trip). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs/model/rules/text.h"

static const char *const OPS[] = {"EQUALS", "NOT EQUALS", "IS TRUE", "IS FALSE", "IS NULL", "IS NOT NULL",
                                  "REGEX MATCH", "NOT REGEX MATCH", "Includes", "ENDS_WITH", "Greater_Than",
                                  "Greater_Than_OR_EQUALS", "&", "!&"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gs_rules_names ops = {OPS, sizeof(OPS) / sizeof(OPS[0])}, any = {NULL, 0};
    cJSON *f = NULL, *g = NULL;
    char *why = NULL;
    int r = gs_rules_scope_parse((const char *)data, size, &ops, &any, &f, &why);
    if (r != 0) {
        if (!why && r != -ENOMEM)
            abort(); /* every refusal says why */
        free(why);
        return 0;
    }
    size_t len = 0, len2 = 0;
    char *text = gs_rules_scope_text(f, &len);
    if (!text || gs_rules_scope_parse(text, len, &ops, &any, &g, &why) != 0 || !cJSON_Compare(f, g, 1))
        abort();
    char *text2 = gs_rules_scope_text(g, &len2);
    if (!text2 || len != len2 || memcmp(text, text2, len) != 0)
        abort();
    free(text);
    free(text2);
    cJSON_Delete(f);
    cJSON_Delete(g);
    return 0;
}
