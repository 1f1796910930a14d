/* Finding things in a schema for the rules tree (no FUSE). A node's place
 * in the tree is a path: [ruleId, objectMappingName, targetAttributeName],
 * as long as its depth needs, kept in the node's target as a JSON array. */
#ifndef GS_RULES_NAV_H
#define GS_RULES_NAV_H

#include <cjson/cJSON.h>

#include "fs/model/rules/text.h"

struct gs_rules_path {
    int depth;             /* 0 rules/, 1 rule, 2 object mapping, 3 attribute */
    char *rule, *om, *attr;
};

/* malloc'd JSON text of a path of the given depth; NULL on ENOMEM. */
char *gs_rules_path_encode(int depth, const char *rule, const char *om, const char *attr);
/* 0, or -ENOENT when text is not a path (NULL text is depth 0). */
int gs_rules_path_decode(const char *text, struct gs_rules_path *out);
void gs_rules_path_clear(struct gs_rules_path *p);

cJSON *gs_rules_find_rule(const cJSON *schema, const char *id);
cJSON *gs_rules_find_om(const cJSON *rule, const char *name);
cJSON *gs_rules_find_attr(const cJSON *om, const char *target);
/* The rule, object mapping and attribute mapping of a path (those its depth
 * reaches); -ENOENT when one is missing. */
int gs_rules_resolve(const cJSON *schema, const struct gs_rules_path *p, cJSON **rule, cJSON **om, cJSON **attr);

/* The attribute names of the object an object mapping reads (source = 1)
 * or writes (source = 0), from the schema's directory definitions: a
 * malloc'd array of pointers into schema (free only the array). *n is 0
 * when the directory or object is not defined. */
int gs_rules_object_attributes(const cJSON *schema, const cJSON *rule, const cJSON *om, int source,
                               struct gs_rules_names *out);

#endif
