/* Control-file input becomes exactly the body Graph expects, or EINVAL. */
#include <errno.h>

#include "tests/unit/check.h"
#include "fs/actions/control_input.h"

static void restart(const char *in, const char *want)
{
    char *body = NULL;
    int r = gs_restart_body(in, strlen(in), &body, NULL);
    if (want) {
        CHECK(r == 0);
        CHECK_STR(body, want);
    } else {
        CHECK(r == -EINVAL);
        CHECK(body == NULL);
    }
    free(body);
}

static void pod(const char *in, const char *rule, const char *want)
{
    char *body = NULL;
    const char *why = NULL;
    int r = gs_pod_body(in, strlen(in), rule, &body, &why);
    if (want) {
        CHECK(r == 0);
        CHECK_STR(body, want);
    } else {
        CHECK(r == -EINVAL);
        CHECK(why != NULL);
    }
    free(body);
}

int main(void)
{
    CHECK(gs_json_complete("{\"a\":1}\n", 8));
    CHECK(!gs_json_complete("{\"a\":1", 6));
    CHECK(!gs_json_complete("{\"a\":1} x", 9));
    CHECK(gs_input_complete("Full\n", 5));
    CHECK(!gs_input_complete("Full", 4));
    CHECK(!gs_input_complete("{\n", 2));
    CHECK(gs_input_complete("{}\n", 3));

    restart("Full\n", "{\"criteria\":{\"resetScope\":\"Full\"}}");
    restart("", "{\"criteria\":{}}");
    restart("\n", "{\"criteria\":{}}");
    restart("escrows,watermark quarantinestate", "{\"criteria\":{\"resetScope\":\"Escrows, Watermark, QuarantineState\"}}");
    restart("Watermark, Watermark", "{\"criteria\":{\"resetScope\":\"Watermark\"}}");
    restart("Everything", NULL);
    restart("{\"criteria\":{\"resetScope\":\"forcedeletes\"}}", "{\"criteria\":{\"resetScope\":\"ForceDeletes\"}}");
    restart("{\"resetScope\":\"Full\"}", "{\"criteria\":{\"resetScope\":\"Full\"}}");
    restart("{\"criteria\":{\"resetScope\":\"Bogus\"}}", NULL);
    restart("{\"other\":1}", NULL);
    restart("{not json", NULL);

    pod("9bb0f679-a883-4a6f-8260-35b491b8b8c8\n", "rule-1",
        "{\"parameters\":[{\"ruleId\":\"rule-1\",\"subjects\":[{\"objectId\":\"9bb0f679-a883-4a6f-8260-35b491b8b8c8\",\"objectTypeName\":\"User\"}]}]}");
    pod("abc Group", "r#V2", "{\"parameters\":[{\"ruleId\":\"r#V2\",\"subjects\":[{\"objectId\":\"abc\",\"objectTypeName\":\"Group\"}]}]}");
    pod("abc Group extra", "r", NULL);
    pod("abc", NULL, NULL);
    pod("", "r", NULL);
    pod("{\"ruleId\":\"r\",\"subjects\":[{\"objectId\":\"x\",\"objectTypeName\":\"User\"}]}", NULL,
        "{\"parameters\":[{\"ruleId\":\"r\",\"subjects\":[{\"objectId\":\"x\",\"objectTypeName\":\"User\"}]}]}");
    pod("{\"parameters\":[{\"ruleId\":\"r\"}]}", NULL, NULL);

    /* the text form's subject; the rule that maps its type, else the first */
    char id[64], type[32];
    CHECK_INT(gs_pod_text_subject(" ann@contoso.com\n", 17, id, sizeof(id), type, sizeof(type)), 0);
    CHECK_STR(id, "ann@contoso.com");
    CHECK_STR(type, "User");
    CHECK_INT(gs_pod_text_subject("g1 Group", 8, id, sizeof(id), type, sizeof(type)), 0);
    CHECK_STR(type, "Group");
    CHECK_INT(gs_pod_text_subject("a b c", 5, id, sizeof(id), type, sizeof(type)), -EINVAL);
    cJSON *schema = cJSON_Parse("{\"synchronizationRules\":["
        "{\"id\":\"groups\",\"objectMappings\":[{\"sourceObjectName\":\"Group\",\"enabled\":true},"
        "{\"sourceObjectName\":\"User\",\"enabled\":false}]},"
        "{\"id\":\"users\",\"objectMappings\":[{\"sourceObjectName\":\"user\",\"enabled\":true}]}]}");
    char *rule = gs_pod_rule_for(schema, "User");
    CHECK_STR(rule, "users");
    free(rule);
    rule = gs_pod_rule_for(schema, "group");
    CHECK_STR(rule, "groups");
    free(rule);
    rule = gs_pod_rule_for(schema, "Worker");
    CHECK_STR(rule, "groups");
    free(rule);
    cJSON_Delete(schema);
    CHECK(gs_pod_is_text("abc", 3));
    CHECK(!gs_pod_is_text(" {}", 3));

    char *body = NULL;
    CHECK(gs_validate_body("", 0, &body, NULL) == 0);
    CHECK_STR(body, "{\"useSavedCredentials\":true}");
    free(body);
    CHECK(gs_validate_body("{\"credentials\":3}", 17, &body, NULL) == -EINVAL);
    CHECK(gs_parse_expression_body("Append([mail], \"x\")\n", 20, &body, NULL) == 0);
    CHECK_STR(body, "{\"expression\":\"Append([mail], \\\"x\\\")\"}");
    free(body);
    CHECK(gs_new_job_body("salesforce\n", 11, &body, NULL) == 0);
    CHECK_STR(body, "{\"templateId\":\"salesforce\"}");
    free(body);
    CHECK(gs_new_job_body("two words", 9, &body, NULL) == -EINVAL);

    /* bulkUpload: 50 operations pass, 51 do not */
    char big[8192] = "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:BulkRequest\"],\"Operations\":[";
    for (int i = 0; i < 51; i++) {
        strcat(big, i ? ",{\"method\":\"POST\"}" : "{\"method\":\"POST\"}");
        if (i == 49) {
            char fifty[8192];
            strcpy(fifty, big);
            strcat(fifty, "]}");
            CHECK(gs_bulk_body(fifty, strlen(fifty), &body, NULL) == 0);
            free(body);
        }
    }
    strcat(big, "]}");
    CHECK(gs_bulk_body(big, strlen(big), &body, NULL) == -EINVAL);

    cJSON *ans = cJSON_Parse("{\"key\":\"{\\\"result\\\":\\\"Success\\\",\\\"details\\\":{}}\",\"value\":\"not json\"}");
    cJSON *dec = gs_pod_decode(ans);
    char *s = cJSON_PrintUnformatted(dec);
    CHECK_STR(s, "{\"key\":{\"result\":\"Success\",\"details\":{}},\"value\":\"not json\"}");
    free(s);
    cJSON_Delete(dec);
    cJSON_Delete(ans);
    return check_report("test_control_input");
}
