/* Text forms of rules: expressions, scopes and small fields round-trip
 * exactly, and bad input is refused with a reason. */
#include <errno.h>
#include <string.h>

#include "tests/unit/check.h"
#include "fs/model/rules/text.h"

static const char *const OPS[] = {"EQUALS", "NOT EQUALS", "IS TRUE", "IS FALSE", "IS NULL", "IS NOT NULL",
                                  "REGEX MATCH", "NOT REGEX MATCH", "Includes", "ENDS_WITH", "Greater_Than",
                                  "Greater_Than_OR_EQUALS", "&", "!&"};
static const struct gs_rules_names ops = {OPS, sizeof(OPS) / sizeof(OPS[0])};
static const struct gs_rules_names any = {NULL, 0};

static void source_text(const char *json, const char *want)
{
    cJSON *j = cJSON_Parse(json);
    size_t len = 0;
    char *got = gs_rules_source_text(j, &len);
    CHECK_STR(got, want);
    CHECK_INT(len, strlen(want));
    free(got);
    cJSON_Delete(j);
}

static void expressions(void)
{
    source_text("null", "");
    source_text("{\"type\":\"Attribute\",\"name\":\"mail\",\"expression\":\"[mail]\",\"parameters\":[]}", "[mail]\n");
    /* Graph's own text wins: the empty slots of Replace are kept */
    source_text("{\"type\":\"Function\",\"name\":\"Replace\",\"expression\":\"Replace([a], \\\"-\\\", , , \\\"_\\\", , )\","
                "\"parameters\":[]}", "Replace([a], \"-\", , , \"_\", , )\n");
    /* no text: built from the tree, constants quoted and escaped */
    source_text("{\"type\":\"Function\",\"name\":\"Join\",\"parameters\":["
                "{\"key\":\"separator\",\"value\":{\"type\":\"Constant\",\"name\":\"@\"}},"
                "{\"key\":\"source\",\"value\":{\"type\":\"Attribute\",\"name\":\"mailNickname\"}},"
                "{\"key\":\"source\",\"value\":{\"type\":\"Constant\",\"name\":\"a\\\"b\\\\c\"}}]}",
                "Join(\"@\", [mailNickname], \"a\\\"b\\\\c\")\n");
    cJSON *j = cJSON_Parse("{\"type\":\"Function\",\"name\":\"Join\",\"parameters\":["
                           "{\"key\":\"s\",\"value\":{\"type\":\"Attribute\",\"name\":\"b\"}},"
                           "{\"key\":\"s\",\"value\":{\"type\":\"Function\",\"name\":\"ToLower\",\"parameters\":["
                           "{\"key\":\"source\",\"value\":{\"type\":\"Attribute\",\"name\":\"a\"}}]}},"
                           "{\"key\":\"s\",\"value\":{\"type\":\"Attribute\",\"name\":\"b\"}}]}");
    cJSON *names = cJSON_CreateArray();
    CHECK_INT(gs_rules_source_attributes(j, names), 0);
    char *got = cJSON_PrintUnformatted(names);
    CHECK_STR(got, "[\"b\",\"a\"]");
    free(got);
    cJSON_Delete(names);
    cJSON_Delete(j);
}

/* text -> JSON -> text gives the same bytes. */
static void scope_round_trip(const char *text)
{
    cJSON *f = NULL;
    char *why = NULL;
    CHECK_INT(gs_rules_scope_parse(text, strlen(text), &ops, &any, &f, &why), 0);
    if (why)
        fprintf(stderr, "why: %s\n", why);
    free(why);
    size_t len = 0;
    char *back = gs_rules_scope_text(f, &len);
    CHECK_STR(back, text);
    free(back);
    cJSON_Delete(f);
}

static void scope_refused(const char *text, const struct gs_rules_names *attrs, const char *why_has)
{
    cJSON *f = NULL;
    char *why = NULL;
    CHECK_INT(gs_rules_scope_parse(text, strlen(text), &ops, attrs, &f, &why), -EINVAL);
    CHECK(why && strstr(why, why_has));
    if (why && !strstr(why, why_has))
        fprintf(stderr, "why: %s\n", why);
    free(why);
    CHECK(f == NULL);
}

static void scopes(void)
{
    scope_round_trip("");
    scope_round_trip("# group: Employees with a mailbox\nmail IS NOT NULL\nuserType EQUALS Member\n\n"
                     "# group: Sales and Marketing\ndepartment EQUALS Sales, Marketing\n");
    scope_round_trip("# category: c\nx EQUALS 1\n\n# input\nuserType NOT EQUALS Guest\n\n# group\n");
    /* attribute names with spaces, values that need quotes */
    scope_round_trip("# group: g\nemails[type eq \"work\"].value ENDS_WITH \"@contoso.com, or not\", \"\", \" x\"\n"
                     "extensionAttribute11 Greater_Than_OR_EQUALS 5\n");
    /* no header: one nameless group per paragraph; CRLF and a missing final newline are fine */
    cJSON *f = NULL;
    char *why = NULL;
    const char *loose = "a EQUALS 1\r\nb IS TRUE\r\n\r\nc EQUALS x,y";
    CHECK_INT(gs_rules_scope_parse(loose, strlen(loose), &ops, &any, &f, &why), 0);
    size_t len = 0;
    char *t = gs_rules_scope_text(f, &len);
    CHECK_STR(t, "# group\na EQUALS 1\nb IS TRUE\n\n# group\nc EQUALS x, y\n");
    free(t);
    cJSON_Delete(f);
    scope_refused("department CONTAINS Sales\n", &any, "no known operator in \"department CONTAINS Sales\"; "
                                                      "the operators are: EQUALS, NOT EQUALS");
    static const char *const ATTRS[] = {"mail", "department"};
    struct gs_rules_names attrs = {ATTRS, 2};
    scope_refused("# group\nmail IS NOT NULL\ndepartmnt EQUALS Sales\n", &attrs,
                  "scope line 3: unknown attribute \"departmnt\"; the source object has: mail, department");
    scope_refused("# grup: x\n", &any, "a header is");
    /* found by fuzz_rules_scope: indentation, and an operator where the attribute should be */
    scope_round_trip("# group\n& &\n");
    scope_round_trip("# group: \n\n# group: \xff\n");
    cJSON *g = NULL;
    char *w = NULL;
    CHECK_INT(gs_rules_scope_parse(" &\t &", 5, &ops, &any, &g, &w), 0);
    size_t gl = 0;
    char *gt = gs_rules_scope_text(g, &gl);
    CHECK_STR(gt, "# group\n& &\n");
    free(gt);
    cJSON_Delete(g);
    free(w);
    /* an attribute that would read back split differently is refused, not changed */
    scope_refused("V &\t &\n", &any, "scope line 1: \"V &\" followed by & would read back as another clause");
    scope_refused("x NOT  EQUALS y\n", &any, "\"x NOT\" followed by EQUALS would read back");
    scope_round_trip("# group\nx NOT EQUALS y\n");
    scope_refused("a EQUALS x,,y\n", &any, "empty value");
    scope_refused("a EQUALS \"x\" y\n", &any, "',' expected");
    scope_refused("a EQUALS \"x\n", &any, "no closing");
    scope_refused("a EQUALS x,\n", &any, "missing after");
}

static void field(cJSON *m, const char *name, const char *write, int want_r, const char *want_text)
{
    char *why = NULL;
    CHECK_INT(gs_rules_field_set(m, name, write, strlen(write), &why), want_r);
    free(why);
    size_t len = 0;
    char *t = gs_rules_field_text(m, name, &len);
    CHECK_STR(t, want_text);
    free(t);
}

static void fields(void)
{
    cJSON *m = cJSON_Parse("{\"enabled\":true,\"flowTypes\":\"Add, Update, Delete\",\"flowType\":\"Always\","
                           "\"matchingPriority\":0,\"defaultValue\":null,\"flowBehavior\":\"FlowWhenChanged\"}");
    field(m, "enabled", "false\n", 0, "false\n");
    field(m, "enabled", "maybe", -EINVAL, "false\n");
    field(m, "flowTypes", "add,update", 0, "Add, Update\n");
    field(m, "flowTypes", "Add, Remove\n", -EINVAL, "Add, Update\n");
    field(m, "flowType", "ObjectAddOnly\n", 0, "ObjectAddOnly\n");
    field(m, "flowType", "Sometimes\n", -EINVAL, "ObjectAddOnly\n");
    field(m, "matchingPriority", "2\n", 0, "2\n");
    field(m, "matchingPriority", "-1\n", -EINVAL, "2\n");
    field(m, "defaultValue", "", 0, "");
    field(m, "defaultValue", "en_US\n", 0, "en_US\n");
    field(m, "defaultValue", "\n", 0, "");
    field(m, "flowBehavior", "FlowAlways", 0, "FlowAlways\n");
    char *before = cJSON_PrintUnformatted(m);
    field(m, "flowBehavior", "FlowAlways\n", 0, "FlowAlways\n");
    char *after = cJSON_PrintUnformatted(m);
    CHECK_STR(after, before);
    free(before);
    free(after);
    size_t len = 0;
    errno = 0;
    CHECK(gs_rules_field_text(m, "nosuch", &len) == NULL && errno == ENOENT);
    cJSON_Delete(m);
}

int main(void)
{
    expressions();
    scopes();
    fields();
    return check_report("test_rules_text");
}
