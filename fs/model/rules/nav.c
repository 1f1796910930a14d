/* Finding things in a schema (nav.h). */
#include "fs/model/rules/nav.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

char *gs_rules_path_encode(int depth, const char *rule, const char *om, const char *attr)
{
    const char *parts[3] = {rule, om, attr};
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < depth && i < 3; i++) {
        cJSON *s = cJSON_CreateString(parts[i] ? parts[i] : "");
        if (!s || !cJSON_AddItemToArray(a, s)) {
            cJSON_Delete(s);
            cJSON_Delete(a);
            return NULL;
        }
    }
    char *out = a ? cJSON_PrintUnformatted(a) : NULL;
    cJSON_Delete(a);
    return out;
}

int gs_rules_path_decode(const char *text, struct gs_rules_path *out)
{
    memset(out, 0, sizeof(*out));
    if (!text)
        return 0;
    cJSON *a = cJSON_Parse(text);
    int n = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : -1;
    if (n < 0 || n > 3) {
        cJSON_Delete(a);
        return -ENOENT;
    }
    char **slots[3] = {&out->rule, &out->om, &out->attr};
    for (int i = 0; i < n; i++) {
        const cJSON *s = cJSON_GetArrayItem(a, i);
        *slots[i] = cJSON_IsString(s) ? strdup(s->valuestring) : NULL;
        if (!*slots[i]) {
            cJSON_Delete(a);
            gs_rules_path_clear(out);
            return cJSON_IsString(s) ? -ENOMEM : -ENOENT;
        }
    }
    out->depth = n;
    cJSON_Delete(a);
    return 0;
}

void gs_rules_path_clear(struct gs_rules_path *p)
{
    free(p->rule);
    free(p->om);
    free(p->attr);
    memset(p, 0, sizeof(*p));
}

static cJSON *find_by(const cJSON *list, const char *member, const char *value)
{
    cJSON *it;
    cJSON_ArrayForEach(it, list) {
        const char *s = str_of(it, member);
        if (s && value && strcmp(s, value) == 0)
            return it;
    }
    return NULL;
}

cJSON *gs_rules_find_rule(const cJSON *schema, const char *id)
{
    return find_by(cJSON_GetObjectItemCaseSensitive(schema, "synchronizationRules"), "id", id);
}

cJSON *gs_rules_find_om(const cJSON *rule, const char *name)
{
    return find_by(cJSON_GetObjectItemCaseSensitive(rule, "objectMappings"), "name", name);
}

cJSON *gs_rules_find_attr(const cJSON *om, const char *target)
{
    return find_by(cJSON_GetObjectItemCaseSensitive(om, "attributeMappings"), "targetAttributeName", target);
}

int gs_rules_resolve(const cJSON *schema, const struct gs_rules_path *p, cJSON **rule, cJSON **om, cJSON **attr)
{
    cJSON *r = NULL, *o = NULL, *a = NULL;
    if (p->depth >= 1 && !(r = gs_rules_find_rule(schema, p->rule)))
        return -ENOENT;
    if (p->depth >= 2 && !(o = gs_rules_find_om(r, p->om)))
        return -ENOENT;
    if (p->depth >= 3 && !(a = gs_rules_find_attr(o, p->attr)))
        return -ENOENT;
    if (rule)
        *rule = r;
    if (om)
        *om = o;
    if (attr)
        *attr = a;
    return 0;
}

int gs_rules_object_attributes(const cJSON *schema, const cJSON *rule, const cJSON *om, int source,
                               struct gs_rules_names *out)
{
    out->v = NULL;
    out->n = 0;
    const cJSON *dir = find_by(cJSON_GetObjectItemCaseSensitive(schema, "directories"), "name",
                               str_of(rule, source ? "sourceDirectoryName" : "targetDirectoryName"));
    const cJSON *obj = find_by(cJSON_GetObjectItemCaseSensitive(dir, "objects"), "name",
                               str_of(om, source ? "sourceObjectName" : "targetObjectName"));
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(obj, "attributes");
    int n = cJSON_GetArraySize(attrs);
    if (n <= 0)
        return 0;
    const char **v = calloc((size_t)n, sizeof(*v));
    if (!v)
        return -ENOMEM;
    const cJSON *it;
    size_t k = 0;
    cJSON_ArrayForEach(it, attrs) {
        const char *name = str_of(it, "name");
        if (name)
            v[k++] = name;
    }
    out->v = v;
    out->n = k;
    return 0;
}
