/* pending.diff's text (fs/model/rules/diff.h): no change is an empty diff;
 * a changed file is one whole-file hunk; a file that appears or disappears
 * has /dev/null on its other side; a path with a space ends with a tab, so
 * that patch(1) reads it whole. */
#include <string.h>

#include "tests/unit/check.h"
#include "fs/model/rules/diff.h"

/* A schema with one rule "r", one object mapping om and attribute mappings
 * (targetAttributeName, expression) pairs, NULL-terminated. */
static cJSON *schema(const char *om, const char *const *attrs)
{
    cJSON *s = cJSON_CreateObject(), *rules = cJSON_AddArrayToObject(s, "synchronizationRules");
    cJSON *rule = cJSON_CreateObject(), *oms = cJSON_CreateArray(), *o = cJSON_CreateObject();
    cJSON_AddItemToArray(rules, rule);
    cJSON_AddStringToObject(rule, "id", "r");
    cJSON_AddItemToObject(rule, "objectMappings", oms);
    cJSON_AddItemToArray(oms, o);
    cJSON_AddStringToObject(o, "name", om);
    cJSON_AddTrueToObject(o, "enabled");
    cJSON *list = cJSON_AddArrayToObject(o, "attributeMappings");
    for (; attrs[0]; attrs += 2) {
        cJSON *m = cJSON_CreateObject(), *src = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "targetAttributeName", attrs[0]);
        cJSON_AddStringToObject(src, "type", "Attribute");
        cJSON_AddStringToObject(src, "name", attrs[1]);
        cJSON_AddItemToObject(m, "source", src);
        cJSON_AddItemToArray(list, m);
    }
    return s;
}

static void check_diff(const cJSON *old_s, const cJSON *new_s, const char *want)
{
    size_t len = 0;
    char *got = gs_rules_diff(old_s, new_s, &len);
    CHECK_STR(got, want);
    CHECK_INT(len, strlen(want));
    free(got);
}

int main(void)
{
    const char *const ab[] = {"a", "mail", "b", "city", NULL};
    const char *const ac[] = {"a", "upn", "c", "title", NULL};
    cJSON *x = schema("Users", ab), *y = schema("Users", ac), *z = schema("Users and groups", ab),
          *w = schema("Users and groups", ac);
    check_diff(x, x, "");
    check_diff(x, y,
               "--- a/rules/r/Users/attributes/a/expression\n+++ b/rules/r/Users/attributes/a/expression\n"
               "@@ -1,1 +1,1 @@\n-[mail]\n+[upn]\n"
               "--- /dev/null\n+++ b/rules/r/Users/attributes/c/expression\n@@ -0,0 +1,1 @@\n+[title]\n"
               "--- a/rules/r/Users/attributes/b/expression\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-[city]\n");
    check_diff(z, w,
               "--- a/rules/r/Users and groups/attributes/a/expression\t\n"
               "+++ b/rules/r/Users and groups/attributes/a/expression\t\n@@ -1,1 +1,1 @@\n-[mail]\n+[upn]\n"
               "--- /dev/null\n+++ b/rules/r/Users and groups/attributes/c/expression\t\n@@ -0,0 +1,1 @@\n"
               "+[title]\n"
               "--- a/rules/r/Users and groups/attributes/b/expression\t\n+++ /dev/null\n@@ -1,1 +0,0 @@\n"
               "-[city]\n");
    cJSON_Delete(x);
    cJSON_Delete(y);
    cJSON_Delete(z);
    cJSON_Delete(w);
    return check_report("test_rules_diff");
}
