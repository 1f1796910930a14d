/* pending.diff (diff.h). */
#include "fs/model/rules/diff.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/model/names.h"
#include "fs/model/rules/nav.h"
#include "fs/model/rules/text.h"

static const char *const om_files[] = {"enabled", "flowTypes", "scope", NULL};

char *gs_rules_file_text(const cJSON *om, const cJSON *attr, const char *field, size_t *len)
{
    if (!attr && strcmp(field, "scope") == 0)
        return gs_rules_scope_text(cJSON_GetObjectItemCaseSensitive(om, "scope"), len);
    if (attr && strcmp(field, "expression") == 0)
        return gs_rules_source_text(cJSON_GetObjectItemCaseSensitive(attr, "source"), len);
    return gs_rules_field_text(attr ? attr : om, field, len);
}

static int count_lines(const char *t, size_t len)
{
    int n = 0;
    for (size_t i = 0; i < len; i++)
        n += t[i] == '\n';
    return n + (len && t[len - 1] != '\n');
}

static void put_lines(FILE *f, char mark, const char *t, size_t len)
{
    const char *p = t, *end = t + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
        fprintf(f, "%c%.*s\n", mark, (int)l, p);
        if (!nl)
            fputs("\\ No newline at end of file\n", f);
        p += l + 1;
    }
}

/* One file of the tree, old and new (either object may be NULL: absent).
 * 0, or -1 when out of memory. */
static int diff_file(FILE *f, const char *dir, const cJSON *old_m, const cJSON *new_m, const cJSON *old_a,
                      const cJSON *new_a, int attr_level, const char *field)
{
    int old_here = old_m && (!attr_level || old_a), new_here = new_m && (!attr_level || new_a);
    size_t ol = 0, nl = 0;
    char *o = old_here ? gs_rules_file_text(old_m, old_a, field, &ol) : strdup("");
    char *n = new_here ? gs_rules_file_text(new_m, new_a, field, &nl) : strdup("");
    if (o && n && (old_here != new_here || ol != nl || memcmp(o, n, ol) != 0) && (ol || nl)) {
        /* an absent side is /dev/null, as diff -N writes it; a name with a
         * space ends with a tab, as git writes it, so that patch(1) reads it whole */
        const char *end = strchr(dir, ' ') ? "\t" : "";
        if (old_here)
            fprintf(f, "--- a/%s/%s%s\n", dir, field, end);
        else
            fputs("--- /dev/null\n", f);
        if (new_here)
            fprintf(f, "+++ b/%s/%s%s\n", dir, field, end);
        else
            fputs("+++ /dev/null\n", f);
        int oc = count_lines(o, ol), nc = count_lines(n, nl);
        fprintf(f, "@@ -%d,%d +%d,%d @@\n", oc ? 1 : 0, oc, nc ? 1 : 0, nc);
        put_lines(f, '-', o, ol);
        put_lines(f, '+', n, nl);
    }
    int r = o && n ? 0 : -1;
    free(o);
    free(n);
    return r;
}

static const char *name_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* Calls fn for the items of new_list, then for those only in old_list, with
 * the matching item of the other list (or NULL). */
static void each_pair(const cJSON *old_list, const cJSON *new_list, const char *key,
                      void (*fn)(void *ctx, const cJSON *o, const cJSON *n), void *ctx)
{
    const cJSON *it, *other;
    cJSON_ArrayForEach(it, new_list) {
        const cJSON *match = NULL;
        cJSON_ArrayForEach(other, old_list)
            if (!match && strcmp(name_of(other, key), name_of(it, key)) == 0)
                match = other;
        fn(ctx, match, it);
    }
    cJSON_ArrayForEach(it, old_list) {
        int found = 0;
        cJSON_ArrayForEach(other, new_list)
            found |= strcmp(name_of(other, key), name_of(it, key)) == 0;
        if (!found)
            fn(ctx, it, NULL);
    }
}

struct walk {
    FILE *f;
    char *dir;               /* the directory being compared */
    const cJSON *old_om, *new_om;
    int *failed;             /* set when out of memory: the diff would miss files */
};

static char *join(const char *a, const char *b)
{
    char *safe = gs_name_safe(b, GS_NAME_MAX), *out = NULL;
    if (safe && asprintf(&out, "%s/%s", a, safe) < 0)
        out = NULL;
    free(safe);
    return out;
}

static void attr_pair(void *ctx, const cJSON *o, const cJSON *n)
{
    struct walk *w = ctx;
    const cJSON *any = n ? n : o;
    char *dir = join(w->dir, name_of(any, "targetAttributeName"));
    if (!dir) {
        *w->failed = 1;
        return;
    }
    for (int i = 0; gs_rules_attribute_fields[i]; i++)
        if (diff_file(w->f, dir, w->old_om, w->new_om, o, n, 1, gs_rules_attribute_fields[i]) < 0)
            *w->failed = 1;
    free(dir);
}

static void om_pair(void *ctx, const cJSON *o, const cJSON *n)
{
    struct walk *w = ctx, inner = {w->f, NULL, o, n, w->failed};
    char *dir = join(w->dir, name_of(n ? n : o, "name"));
    if (!dir) {
        *w->failed = 1;
        return;
    }
    for (int i = 0; om_files[i]; i++)
        if (diff_file(w->f, dir, o, n, NULL, NULL, 0, om_files[i]) < 0)
            *w->failed = 1;
    inner.dir = join(dir, "attributes");
    if (!inner.dir)
        *w->failed = 1;
    else
        each_pair(cJSON_GetObjectItemCaseSensitive(o, "attributeMappings"),
                  cJSON_GetObjectItemCaseSensitive(n, "attributeMappings"), "targetAttributeName", attr_pair, &inner);
    free(inner.dir);
    free(dir);
}

static void rule_pair(void *ctx, const cJSON *o, const cJSON *n)
{
    struct walk *w = ctx, inner = {w->f, NULL, NULL, NULL, w->failed};
    inner.dir = join("rules", name_of(n ? n : o, "id"));
    if (!inner.dir) {
        *w->failed = 1;
        return;
    }
    each_pair(cJSON_GetObjectItemCaseSensitive(o, "objectMappings"),
              cJSON_GetObjectItemCaseSensitive(n, "objectMappings"), "name", om_pair, &inner);
    free(inner.dir);
}

char *gs_rules_diff(const cJSON *old_schema, const cJSON *new_schema, size_t *len)
{
    char *out = NULL;
    *len = 0;
    FILE *f = open_memstream(&out, len);
    if (!f)
        return NULL;
    int failed = 0;
    struct walk w = {f, NULL, NULL, NULL, &failed};
    each_pair(cJSON_GetObjectItemCaseSensitive(old_schema, "synchronizationRules"),
              cJSON_GetObjectItemCaseSensitive(new_schema, "synchronizationRules"), "id", rule_pair, &w);
    int bad = ferror(f) || failed;
    if (fclose(f) != 0 || bad) {
        free(out);
        return NULL; /* never a diff that misses files: commit counts them */
    }
    return out;
}
