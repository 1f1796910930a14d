/* A written document is checked before anything is sent. */
#include <errno.h>

#include "tests/unit/check.h"
#include "fs/actions/document.h"

static int check(enum gs_kind k, const char *doc, const char *why_part)
{
    char *why = NULL;
    int r = gs_document_check(k, doc, strlen(doc), &why);
    if (why_part) {
        CHECK(r == -EINVAL);
        CHECK(why && strstr(why, why_part));
        if (why && !strstr(why, why_part))
            fprintf(stderr, "  why: %s\n", why);
    } else {
        CHECK(r == 0);
    }
    free(why);
    return r;
}

int main(void)
{
    check(GS_K_JOB_SCHEMA, "{\"directories\":[],\"synchronizationRules\":[],\"version\":\"v1\"}", NULL);
    check(GS_K_JOB_SCHEMA, "{\"directories\":[],\"synchronizationRules\":[]", "not valid JSON");
    /* where: line and column (characters, from 1) */
    check(GS_K_JOB_SCHEMA, "{\n  \"directories\": [],\n  \"synchronizationRules\" []\n}", "at line 3, column 26");
    check(GS_K_JOB_SCHEMA, "{\"a\": \"\xc3\xa9\xc3\xa9\" x}", "at line 1, column 12");
    check(GS_K_JOB_SCHEMA, "[]", "JSON object");
    check(GS_K_JOB_SCHEMA, "{\"directories\":[]}", "synchronizationRules");
    check(GS_K_JOB_SCHEMA, "{\"synchronizationRules\":[]}", "directories");
    check(GS_K_JOB_SCHEMA, "{\"directories\":[],\"synchronizationRules\":[],\"version\":3}", "version");
    check(GS_K_JOB_SCHEMA, "", "not valid JSON: the file is empty");
    check(GS_K_JOB_SCHEMA, "{\"directories\":[],\"synchronizationRules\":[]} trailing", "at line 1, column 46");
    check(GS_K_SECRETS, "{\"value\":[{\"key\":\"BaseAddress\",\"value\":\"https://x\"}]}", NULL);
    check(GS_K_SECRETS, "{\"value\":[{\"key\":\"SecretToken\",\"value\":\"*****\"}]}", "SecretToken");
    check(GS_K_SECRETS, "{\"value\":[{\"value\":\"x\"}]}", "key");
    check(GS_K_SECRETS, "{\"value\":{}}", "value");
    CHECK(gs_kind_has(GS_K_JOB_SCHEMA, GS_KF_EDITABLE) && gs_kind_has(GS_K_SECRETS, GS_KF_EDITABLE));
    CHECK(!gs_kind_has(GS_K_JOB_STATUS, GS_KF_EDITABLE) && !gs_kind_has(GS_K_TEMPLATE_SCHEMA, GS_KF_EDITABLE));
    return check_report("test_document_check");
}
