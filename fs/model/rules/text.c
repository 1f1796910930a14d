/* Text forms of rules (text.h). */
#include "fs/model/rules/text.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/reject.h"

const char *const gs_rules_object_fields[] = {"enabled", "flowTypes", NULL};
const char *const gs_rules_attribute_fields[] = {"expression", "flowType", "matchingPriority",
                                                 "defaultValue", "flowBehavior", NULL};

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

char *gs_rules_chomp(const char *text, size_t len)
{
    if (len > 0 && text[len - 1] == '\n')
        len--;
    if (len > 0 && text[len - 1] == '\r')
        len--;
    return strndup(text, len);
}

/* "<s>\n", or "" for NULL. */
static char *line_of(const char *s, size_t *len)
{
    char *out = NULL;
    int n = s ? asprintf(&out, "%s\n", s) : asprintf(&out, "%s", "");
    if (n < 0)
        return NULL;
    *len = (size_t)n;
    return out;
}

/* ------------------------------------------------------------ expressions */

static void build_into(FILE *f, const cJSON *src, int depth)
{
    const char *type = str_of(src, "type"), *name = str_of(src, "name");
    if (!name)
        name = "";
    if (type && strcmp(type, "Constant") == 0) {
        fputc('"', f);
        for (const char *p = name; *p; p++) {
            if (*p == '"' || *p == '\\')
                fputc('\\', f);
            fputc(*p, f);
        }
        fputc('"', f);
        return;
    }
    if (!type || strcmp(type, "Function") != 0 || depth > 64) {
        fprintf(f, "[%s]", name);
        return;
    }
    fprintf(f, "%s(", name);
    const cJSON *p;
    int first = 1;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(src, "parameters")) {
        if (!first)
            fputs(", ", f);
        first = 0;
        build_into(f, cJSON_GetObjectItemCaseSensitive(p, "value"), depth + 1);
    }
    fputc(')', f);
}

char *gs_rules_source_build(const cJSON *source)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f)
        return NULL;
    build_into(f, source, 0);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        free(out);
        return NULL;
    }
    return out;
}

char *gs_rules_source_text(const cJSON *source, size_t *len)
{
    if (!cJSON_IsObject(source))
        return line_of(NULL, len);
    const char *e = str_of(source, "expression");
    if (e && *e && !strchr(e, '\n'))
        return line_of(e, len);
    char *built = gs_rules_source_build(source);
    char *out = built ? line_of(built, len) : NULL;
    free(built);
    return out;
}

static int has_name(const cJSON *names, const char *s)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, names)
        if (cJSON_IsString(it) && strcmp(it->valuestring, s) == 0)
            return 1;
    return 0;
}

int gs_rules_source_attributes(const cJSON *source, cJSON *names)
{
    const char *type = str_of(source, "type"), *name = str_of(source, "name");
    if (type && strcmp(type, "Function") == 0) {
        const cJSON *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(source, "parameters")) {
            int r = gs_rules_source_attributes(cJSON_GetObjectItemCaseSensitive(p, "value"), names);
            if (r < 0)
                return r;
        }
        return 0;
    }
    if (type && strcmp(type, "Constant") == 0)
        return 0;
    if (!name || has_name(names, name))
        return 0;
    cJSON *s = cJSON_CreateString(name);
    return s && cJSON_AddItemToArray(names, s) ? 0 : -ENOMEM;
}

/* ------------------------------------------------------------ scopes */

/* The three filter-group members in the order the file shows them. */
static const struct {
    const char *member, *header;
} group_kinds[] = {{"categoryFilterGroups", "category"}, {"inputFilterGroups", "input"}, {"groups", "group"}};
#define GROUP_KINDS 3

static int needs_quotes(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || v[0] == ' ' || v[0] == '\t' || v[n - 1] == ' ' || v[n - 1] == '\t')
        return 1;
    for (const char *p = v; *p; p++)
        if (*p == ',' || *p == '"' || (unsigned char)*p < 0x20 || *p == 0x7f)
            return 1;
    return 0;
}

/* 0, or -1 when out of memory. */
static int put_value(FILE *f, const char *v)
{
    if (!needs_quotes(v))
        return fputs(v, f) < 0 ? -1 : 0;
    cJSON *s = cJSON_CreateString(v);
    char *q = s ? cJSON_PrintUnformatted(s) : NULL;
    int r = q && fputs(q, f) >= 0 ? 0 : -1;
    free(q);
    cJSON_Delete(s);
    return r;
}

static int put_clause(FILE *f, const cJSON *c)
{
    const char *a = str_of(c, "sourceOperandName"), *op = str_of(c, "operatorName");
    fprintf(f, "%s %s", a ? a : "", op ? op : "");
    const cJSON *vals = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "targetOperand"),
                                                         "values");
    const cJSON *v;
    int first = 1, r = 0;
    cJSON_ArrayForEach(v, vals) {
        fputs(first ? " " : ", ", f);
        first = 0;
        r |= put_value(f, cJSON_IsString(v) ? v->valuestring : "");
    }
    fputc('\n', f);
    return r;
}

static int put_groups(FILE *f, const cJSON *scope, int *groups_out)
{
    int r = 0;
    for (int k = 0; k < GROUP_KINDS; k++) {
        const cJSON *g;
        cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(scope, group_kinds[k].member)) {
            if ((*groups_out)++)
                fputc('\n', f);
            const char *name = str_of(g, "name");
            if (name)
                fprintf(f, "# %s: %s\n", group_kinds[k].header, name);
            else
                fprintf(f, "# %s\n", group_kinds[k].header);
            const cJSON *c;
            cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(g, "clauses"))
                r |= put_clause(f, c);
        }
    }
    return r;
}

char *gs_rules_scope_text(const cJSON *scope, size_t *len)
{
    char *out = NULL;
    *len = 0;
    FILE *f = open_memstream(&out, len);
    if (!f)
        return NULL;
    int groups = 0, bad = 0;
    if (cJSON_IsObject(scope))
        bad = put_groups(f, scope, &groups);
    bad |= ferror(f);
    if (fclose(f) != 0 || bad) {
        free(out);
        return NULL;
    }
    return out;
}

/* The longest operator of ops that starts at line + at and ends at a space or
 * the end of the line; its length or 0. */
static size_t operator_at(const char *line, size_t at, const struct gs_rules_names *ops, const char **op)
{
    size_t best = 0;
    for (size_t i = 0; i < ops->n; i++) {
        size_t l = strlen(ops->v[i]);
        if (l > best && strncmp(line + at, ops->v[i], l) == 0 && (line[at + l] == '\0' || line[at + l] == ' ')) {
            best = l;
            *op = ops->v[i];
        }
    }
    return best;
}

static char *names_list(const struct gs_rules_names *names)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f)
        return NULL;
    for (size_t i = 0; i < names->n; i++)
        fprintf(f, "%s%s", i ? ", " : "", names->v[i]);
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

static int refuse_names(char **why, const char *what, const struct gs_rules_names *names)
{
    char *list = names_list(names);
    int r = gs_reject(why, "%s%s", what, list ? list : "");
    free(list);
    return r;
}

static int known(const struct gs_rules_names *names, const char *s)
{
    for (size_t i = 0; i < names->n; i++)
        if (strcmp(names->v[i], s) == 0)
            return 1;
    return 0;
}

/* One value at *pp (quoted as JSON or plain up to a comma); appended to vals. */
static int parse_value(const char **pp, cJSON *vals, int line_no, char **why)
{
    const char *p = *pp;
    cJSON *v = NULL;
    if (*p == '"') {
        const char *e = p + 1;
        while (*e && *e != '"')
            e += (*e == '\\' && e[1]) ? 2 : 1;
        if (*e != '"')
            return gs_reject(why, "scope line %d: a quoted value has no closing '\"'", line_no);
        cJSON *s = cJSON_ParseWithLength(p, (size_t)(e + 1 - p));
        if (!cJSON_IsString(s)) {
            cJSON_Delete(s);
            return gs_reject(why, "scope line %d: a quoted value is not a valid JSON string", line_no);
        }
        v = s;
        p = e + 1;
    } else {
        const char *e = p + strcspn(p, ",");
        size_t n = (size_t)(e - p);
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n == 0)
            return gs_reject(why, "scope line %d: an empty value (write \"\" for the empty string)", line_no);
        char *t = strndup(p, n);
        v = t ? cJSON_CreateString(t) : NULL;
        free(t);
        p = e;
    }
    if (!v || !cJSON_AddItemToArray(vals, v)) {
        cJSON_Delete(v);
        return -ENOMEM;
    }
    *pp = p;
    return 0;
}

static int parse_values(const char *p, cJSON *vals, int line_no, char **why)
{
    while (*p == ' ' || *p == '\t')
        p++;
    while (*p) {
        int r = parse_value(&p, vals, line_no, why);
        if (r < 0)
            return r;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == ',') {
            p++;
            while (*p == ' ' || *p == '\t')
                p++;
            if (!*p)
                return gs_reject(why, "scope line %d: a value is missing after the last ','", line_no);
        } else if (*p) {
            return gs_reject(why, "scope line %d: ',' expected after a quoted value", line_no);
        }
    }
    return 0;
}

/* The first place in line where an operator of ops starts after a space and
 * ends at a space or the end; 0 when there is none (a clause never starts
 * with its operator). *oplen and *op tell which operator. */
static size_t first_operator(const char *line, const struct gs_rules_names *ops, size_t *oplen, const char **op)
{
    *oplen = 0;
    for (size_t i = 1; line[i]; i++)
        if (line[i - 1] == ' ' && (*oplen = operator_at(line, i, ops, op)) > 0)
            return i;
    return 0;
}

/* Splits a clause line into its attribute (malloc'd, without the white space
 * before the operator), operator and the rest (the values). The split must be
 * the one the written-back line "<attribute> <operator>..." gives too: an
 * attribute name like "a NOT" before "\tEQUALS" would read back as "a" and
 * NOT EQUALS, so such a line is refused instead of changing meaning. */
static int split_clause(const char *line, int line_no, const struct gs_rules_names *ops, char **attr,
                        const char **op, const char **rest, char **why)
{
    size_t oplen = 0, at = first_operator(line, ops, &oplen, op);
    if (!at) {
        char *what = NULL;
        if (asprintf(&what, "scope line %d: no known operator in \"%s\"; the operators are: ", line_no, line) < 0)
            return -ENOMEM;
        int r = refuse_names(why, what, ops);
        free(what);
        return r;
    }
    size_t alen = at - 1;
    while (alen > 0 && (line[alen - 1] == ' ' || line[alen - 1] == '\t'))
        alen--;
    char *canon = NULL;
    if (asprintf(&canon, "%.*s %s", (int)alen, line, *op) < 0)
        return -ENOMEM;
    const char *op2 = NULL;
    size_t oplen2 = 0, at2 = first_operator(canon, ops, &oplen2, &op2);
    free(canon);
    if (at2 != alen + 1 || op2 != *op)
        return gs_reject(why, "scope line %d: \"%.*s\" followed by %s would read back as another clause; "
                            "separate the attribute from the operator by one space", line_no, (int)alen, line, *op);
    *attr = strndup(line, alen);
    *rest = line + at + oplen;
    return *attr ? 0 : -ENOMEM;
}

/* A filterClause from one line. */
static int parse_clause(const char *line, int line_no, const struct gs_rules_names *ops,
                        const struct gs_rules_names *attrs, cJSON **out, char **why)
{
    const char *op = NULL, *rest = NULL;
    char *attr = NULL;
    int sr = split_clause(line, line_no, ops, &attr, &op, &rest, why);
    if (sr < 0)
        return sr;
    if (attrs->n > 0 && !known(attrs, attr)) {
        char *what = NULL;
        int r = asprintf(&what, "scope line %d: unknown attribute \"%s\"; the source object has: ", line_no,
                         attr) < 0 ? -ENOMEM : refuse_names(why, what, attrs);
        free(what);
        free(attr);
        return r;
    }
    cJSON *c = cJSON_CreateObject(), *operand = cJSON_CreateObject(), *vals = cJSON_CreateArray();
    int ok = c && operand && vals && cJSON_AddStringToObject(c, "sourceOperandName", attr) &&
             cJSON_AddStringToObject(c, "operatorName", op) && cJSON_AddItemToObject(operand, "values", vals);
    if (ok)
        vals = NULL;
    ok = ok && cJSON_AddItemToObject(c, "targetOperand", operand);
    if (ok)
        operand = NULL;
    free(attr);
    cJSON_Delete(vals);
    cJSON_Delete(operand);
    int r = ok ? parse_values(rest, cJSON_GetObjectItemCaseSensitive(
                                  cJSON_GetObjectItemCaseSensitive(c, "targetOperand"), "values"), line_no, why)
               : -ENOMEM;
    if (r < 0) {
        cJSON_Delete(c);
        return r;
    }
    *out = c;
    return 0;
}

/* A new group for a header line ("# group: name", "# input", ...) or for a
 * clause line with no header before it (hdr NULL), appended to scope. */
static int open_group(cJSON *scope, const char *hdr, int line_no, cJSON **group, char **why)
{
    int kind = GROUP_KINDS - 1;
    const char *name = NULL;
    if (hdr) {
        const char *p = hdr + 1;
        while (*p == ' ')
            p++;
        kind = -1;
        for (int k = 0; k < GROUP_KINDS && kind < 0; k++) {
            size_t l = strlen(group_kinds[k].header);
            if (strncmp(p, group_kinds[k].header, l) == 0 && (p[l] == '\0' || p[l] == ':'))
                kind = k;
        }
        if (kind < 0)
            return gs_reject(why, "scope line %d: a header is \"# group: <name>\", \"# input: <name>\" or "
                                "\"# category: <name>\"", line_no);
        p += strlen(group_kinds[kind].header);
        if (*p == ':')
            name = p[1] == ' ' ? p + 2 : p + 1;
    }
    cJSON *g = cJSON_CreateObject();
    cJSON *clauses = cJSON_CreateArray();
    int ok = g && clauses && (name ? cJSON_AddStringToObject(g, "name", name) != NULL
                                   : cJSON_AddNullToObject(g, "name") != NULL);
    if (ok && cJSON_AddItemToObject(g, "clauses", clauses))
        clauses = NULL;
    else
        ok = 0;
    cJSON_Delete(clauses);
    if (!ok || !cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(scope, group_kinds[kind].member), g)) {
        cJSON_Delete(g);
        return -ENOMEM;
    }
    *group = g;
    return 0;
}

static cJSON *empty_filter(void)
{
    cJSON *f = cJSON_CreateObject();
    for (int k = 0; f && k < GROUP_KINDS; k++)
        if (!cJSON_AddArrayToObject(f, group_kinds[k].member)) {
            cJSON_Delete(f);
            return NULL;
        }
    return f;
}

/* One line of a scope file into scope; *group is the group being filled. */
static int scope_line(cJSON *scope, const char *line, int line_no, const struct gs_rules_names *ops,
                      const struct gs_rules_names *attrs, cJSON **group, char **why)
{
    line += strspn(line, " \t"); /* indentation is not part of an attribute name */
    if (*line == '\0') {
        *group = NULL; /* a blank line ends a group */
        return 0;
    }
    if (line[0] == '#')
        return open_group(scope, line, line_no, group, why);
    int r = *group ? 0 : open_group(scope, NULL, line_no, group, why);
    cJSON *c = NULL;
    if (r == 0)
        r = parse_clause(line, line_no, ops, attrs, &c, why);
    if (r == 0 && !cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(*group, "clauses"), c)) {
        cJSON_Delete(c);
        r = -ENOMEM;
    }
    return r;
}

int gs_rules_scope_parse(const char *text, size_t len, const struct gs_rules_names *ops,
                         const struct gs_rules_names *attrs, cJSON **out, char **why)
{
    *why = NULL;
    if (memchr(text, '\0', len))
        return gs_reject(why, "scope: the text holds a NUL byte");
    char *copy = strndup(text, len);
    cJSON *scope = copy ? empty_filter() : NULL;
    int r = scope ? 0 : -ENOMEM, line_no = 0, any = 0;
    cJSON *group = NULL;
    for (char *line = copy, *next; r == 0 && line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        size_t l = strlen(line);
        while (l && line[l - 1] == '\r') /* CRLF files; a name cannot end with CR */
            line[--l] = '\0';
        any |= line[strspn(line, " \t")] != '\0';
        r = scope_line(scope, line, ++line_no, ops, attrs, &group, why);
    }
    free(copy);
    if (r == 0 && !any) {
        cJSON_Delete(scope);
        scope = cJSON_CreateNull();
        r = scope ? 0 : -ENOMEM;
    }
    if (r < 0) {
        cJSON_Delete(scope);
        return r;
    }
    *out = scope;
    return 0;
}

/* ------------------------------------------------------------ small fields */

static const char *const flow_type_members[] = {"Always", "ObjectAddOnly", "MultiValueAddOnly", "ValueAddOnly",
                                                "AttributeAddOnly", NULL};
static const char *const flow_behavior_members[] = {"FlowWhenChanged", "FlowAlways", NULL};
static const char *const object_flow_members[] = {"None", "Add", "Update", "Delete", NULL};

static int is_field(const char *const *fields, const char *f)
{
    for (; *fields; fields++)
        if (strcmp(*fields, f) == 0)
            return 1;
    return 0;
}

char *gs_rules_field_text(const cJSON *mapping, const char *field, size_t *len)
{
    *len = 0;
    if (!is_field(gs_rules_object_fields, field) && !is_field(gs_rules_attribute_fields, field)) {
        errno = ENOENT;
        return NULL;
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(mapping, field);
    char num[32];
    if (cJSON_IsBool(v))
        return line_of(cJSON_IsTrue(v) ? "true" : "false", len);
    if (cJSON_IsNumber(v)) {
        snprintf(num, sizeof(num), "%.0f", v->valuedouble);
        return line_of(num, len);
    }
    return line_of(cJSON_IsString(v) ? v->valuestring : NULL, len);
}

static int set_member(cJSON *o, const char *key, cJSON *v)
{
    if (!v)
        return -ENOMEM;
    cJSON *old = cJSON_GetObjectItemCaseSensitive(o, key);
    /* in place: the member keeps its position in the document */
    if (old ? cJSON_ReplaceItemInObjectCaseSensitive(o, key, v) : cJSON_AddItemToObject(o, key, v))
        return 0;
    cJSON_Delete(v);
    return -ENOMEM;
}

static const char *member_of(const char *const *members, const char *s)
{
    for (; *members; members++)
        if (strcasecmp(*members, s) == 0)
            return *members;
    return NULL;
}

static int refuse_member(char **why, const char *field, const char *s, const char *const *members)
{
    size_t n = 0;
    while (members[n])
        n++;
    struct gs_rules_names names = {members, n};
    char *what = NULL;
    if (asprintf(&what, "%s: \"%s\" is not one of: ", field, s) < 0)
        return -ENOMEM;
    int r = refuse_names(why, what, &names);
    free(what);
    return r;
}

/* "Add, Update" from what was written, each flag checked. */
static int flow_types_value(const char *s, char **out, char **why)
{
    char *copy = strdup(s), *save = NULL, *res = NULL;
    size_t rlen = 0;
    FILE *f = copy ? open_memstream(&res, &rlen) : NULL;
    int r = f ? 0 : -ENOMEM, parts = 0;
    for (char *t = f ? strtok_r(copy, ",", &save) : NULL; t && r == 0; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ' || *t == '\t')
            t++;
        size_t l = strlen(t);
        while (l && (t[l - 1] == ' ' || t[l - 1] == '\t'))
            t[--l] = '\0';
        const char *m = member_of(object_flow_members, t);
        r = m ? 0 : refuse_member(why, "flowTypes", t, object_flow_members);
        if (m)
            fprintf(f, "%s%s", parts++ ? ", " : "", m);
    }
    if (r == 0 && parts == 0)
        r = gs_reject(why, "flowTypes: write flags such as \"Add, Update, Delete\" (or \"None\")");
    if (f && fclose(f) != 0 && r == 0)
        r = -ENOMEM;
    free(copy);
    if (r < 0)
        free(res);
    else
        *out = res;
    return r;
}

static int int32_value(const char *s, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > INT_MAX)
        return -EINVAL;
    *out = v;
    return 0;
}

/* Sets field from s (chomped), checked. */
static int field_assign(cJSON *m, const char *field, const char *s, char **why)
{
    if (strcmp(field, "enabled") == 0) {
        if (strcmp(s, "true") && strcmp(s, "false"))
            return gs_reject(why, "enabled: write true or false");
        return set_member(m, field, cJSON_CreateBool(strcmp(s, "true") == 0));
    }
    if (strcmp(field, "flowTypes") == 0) {
        char *v = NULL;
        int r = flow_types_value(s, &v, why);
        if (r == 0)
            r = set_member(m, field, cJSON_CreateString(v));
        free(v);
        return r;
    }
    if (strcmp(field, "matchingPriority") == 0) {
        long v = 0;
        if (int32_value(s, &v) < 0)
            return gs_reject(why, "matchingPriority: write a whole number from 0 (not used for matching) up");
        return set_member(m, field, cJSON_CreateNumber((double)v));
    }
    if (strcmp(field, "defaultValue") == 0)
        return set_member(m, field, *s ? cJSON_CreateString(s) : cJSON_CreateNull());
    const char *const *members = strcmp(field, "flowType") == 0 ? flow_type_members : flow_behavior_members;
    const char *v = member_of(members, s);
    return v ? set_member(m, field, cJSON_CreateString(v)) : refuse_member(why, field, s, members);
}

int gs_rules_field_set(cJSON *mapping, const char *field, const char *text, size_t len, char **why)
{
    *why = NULL;
    if (strcmp(field, "expression") == 0 ||
        (!is_field(gs_rules_object_fields, field) && !is_field(gs_rules_attribute_fields, field)))
        return gs_reject(why, "%s: not a field this function sets", field);
    if (memchr(text, '\0', len))
        return gs_reject(why, "%s: the text holds a NUL byte", field);
    char *s = gs_rules_chomp(text, len);
    size_t cur_len = 0;
    char *cur = s ? gs_rules_field_text(mapping, field, &cur_len) : NULL;
    int r = s && cur ? 0 : -ENOMEM;
    if (r == 0 && strchr(s, '\n'))
        r = gs_reject(why, "%s: one line only", field);
    /* what the file shows, written back, is no change */
    else if (r == 0 && !(cur_len > 0 && strlen(s) == cur_len - 1 && memcmp(s, cur, cur_len - 1) == 0) &&
             !(cur_len == 0 && *s == '\0'))
        r = field_assign(mapping, field, s, why);
    free(cur);
    free(s);
    return r;
}
