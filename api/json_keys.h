/* Member names of parsed JSON kept once for the whole process: a listing of
 * 50,000 service principals names "id", "appId", "displayName" ... 50,000
 * times each, and cJSON gives every one its own allocation (32 bytes each,
 * a sixth of the parsed listing). */
#ifndef GS_API_JSON_KEYS_H
#define GS_API_JSON_KEYS_H

#include <cjson/cJSON.h>

/* Most names kept, and the longest name kept: a hostile answer with a
 * million different names costs at most GS_JSON_KEYS_MAX * (GS_JSON_KEY_LEN
 * + 1) bytes here (the rest stay where cJSON put them). */
#define GS_JSON_KEYS_MAX 4096
#define GS_JSON_KEY_LEN 63

/* Replaces the member names of j and of everything under it by the kept
 * copy (cJSON_StringIsConst: cJSON never frees them; cJSON_Duplicate keeps
 * pointing at them), and so the string values of a few members that repeat
 * across a tenant (servicePrincipalType, appOwnerOrganizationId, tags; in a
 * table of their own, as large; cJSON_IsReference). Thread-safe, lock-free;
 * call it before j is shared. Strings too long, or past a table's room, are
 * left as they were. */
void gs_json_intern_keys(cJSON *j);

#endif
