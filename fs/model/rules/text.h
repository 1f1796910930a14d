/* The text forms of a synchronization schema's rules (no FUSE, cJSON only):
 * an attributeMappingSource as the one-line expression the portal writes,
 * a scoping filter as clause lines, and the small fields of object and
 * attribute mappings. Every *_text function returns what the file shows
 * (a final newline, or no byte at all for a null value); every parse/set
 * function takes what a user wrote (one final newline optional) and gives
 * 0 or -EINVAL with a malloc'd reason in *why. What a *_text function
 * produced always parses back to the same JSON (tests/unit/fs/test_rules_text.c). */
#ifndef GS_RULES_TEXT_H
#define GS_RULES_TEXT_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* A list of names (filter operators, attribute names of a directory object). */
struct gs_rules_names {
    const char *const *v;
    size_t n;
};

/* "<expression>\n" of an attributeMappingSource: its own "expression" text when
 * it has one (Graph's parseExpression puts the text it parsed there), else
 * built from the tree: [attribute], "constant", Function(p1, p2). A null or
 * absent source is the empty file. malloc'd; NULL on ENOMEM. */
char *gs_rules_source_text(const cJSON *source, size_t *len);

/* The canonical one-line text of a source tree (without newline), ignoring its
 * "expression" members. malloc'd; NULL on ENOMEM. */
char *gs_rules_source_build(const cJSON *source);

/* The attribute names an expression tree reads ([name] nodes), in order,
 * without repeats, appended to *names (a cJSON array of strings). */
int gs_rules_source_attributes(const cJSON *source, cJSON *names);

/* The scope file of a filter (null: empty file). Every filter group starts
 * with a header line "# group: <name>", "# input: <name>" or
 * "# category: <name>" (just "# group" etc. for a group without a name),
 * then one clause per line "<attribute> <OPERATOR>[ <value>[, <value>...]]";
 * groups are separated by one blank line. A value that is empty, has a
 * comma, a double quote, a control character or white space at either end
 * is written as a JSON string. malloc'd; NULL on ENOMEM. */
char *gs_rules_scope_text(const cJSON *scope, size_t *len);

/* Parses a scope file. Operators are matched against ops (the longest
 * known operator after the first space that starts one); when attrs->n > 0
 * every attribute must be one of attrs. Lines before the first header form
 * a "group" without a name. An empty text is a null scope. *out is a new
 * filter object (or a cJSON null). */
int gs_rules_scope_parse(const char *text, size_t len, const struct gs_rules_names *ops,
                         const struct gs_rules_names *attrs, cJSON **out, char **why);

/* The small files: for an objectMapping "enabled", "flowTypes"; for an
 * attributeMapping "flowType", "matchingPriority", "defaultValue",
 * "flowBehavior". NULL (and *len 0) with errno ENOENT for another name. */
char *gs_rules_field_text(const cJSON *mapping, const char *field, size_t *len);

/* Sets a small field from what a user wrote, checking it (booleans, the
 * enums' members, an Int32, flowTypes' flags). Writing the text the field
 * shows changes nothing. */
int gs_rules_field_set(cJSON *mapping, const char *field, const char *text, size_t len, char **why);

/* The field names of each level, NULL-terminated. */
extern const char *const gs_rules_object_fields[];
extern const char *const gs_rules_attribute_fields[];

/* A value as a user wrote it, less one final "\n" (or "\r\n"): malloc'd. */
char *gs_rules_chomp(const char *text, size_t len);

#endif
