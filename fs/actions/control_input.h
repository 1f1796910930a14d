/* Turns what a user writes into a control file into the request body Graph
 * expects (DESIGN.md section 5). Input is checked here, before any request:
 * anything malformed is -EINVAL with a one-line reason. Pure functions. */
#ifndef GS_CONTROL_INPUT_H
#define GS_CONTROL_INPUT_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* 1 when buf holds one complete JSON value and nothing but white space
 * after it; 0 otherwise (incomplete, or not JSON). */
int gs_json_complete(const char *buf, size_t len);

/* 1 when the input is complete enough to act on: it ends with a newline
 * (and, when it starts with '{', is one complete JSON object), or it is one
 * complete JSON value. */
int gs_input_complete(const char *buf, size_t len);

/* 1 unless the input starts with '{' and is not one complete JSON value:
 * input still incomplete at close is refused, never acted on. */
int gs_input_whole(const char *buf, size_t len);

/* start and pause take no input: "", a newline, or the action's own word
 * (case-insensitive, white space around it). 0 or -EINVAL. */
int gs_word_input(const char *word, const char *in, size_t len, const char **why);

/* restart: "" (the portal's restart), scope words separated by commas or
 * spaces ("Full", "Escrows, Watermark", case-insensitive), or a JSON body
 * ({"criteria":{"resetScope":...}} or {"resetScope":...}). *body is
 * malloc'd JSON; *why (may be NULL) a static reason on -EINVAL. */
int gs_restart_body(const char *in, size_t len, char **body, const char **why);

/* provisionOnDemand: JSON ({"parameters":[...]} or one parameter object
 * {"ruleId":..., "subjects":[...]}) or "<objectId> [<objectTypeName>]",
 * which uses rule_id (the job's first rule; may be NULL if unknown, then
 * the text form is -EINVAL). */
int gs_pod_body(const char *in, size_t len, const char *rule_id, char **body, const char **why);
/* 1 when the input is the text form (needs the job's rule id). */
int gs_pod_is_text(const char *in, size_t len);
/* The text form's object id (or userPrincipalName) and type ("User" when
 * not given). 0, or -EINVAL when it is not "<id> [<type>]". */
int gs_pod_text_subject(const char *in, size_t len, char *id, size_t id_len, char *type, size_t type_len);
/* The id of the schema's first rule with an enabled object mapping from
 * objects of that type (case-insensitive), else of its first rule; NULL
 * when it has none. malloc'd. */
char *gs_pod_rule_for(const cJSON *schema, const char *type);

/* validateCredentials: "" -> {"useSavedCredentials":true}; a JSON object. */
int gs_validate_body(const char *in, size_t len, char **body, const char **why);

/* parseExpression: an expression as text, or a JSON object with "expression". */
int gs_parse_expression_body(const char *in, size_t len, char **body, const char **why);

/* bulkUpload: a SCIM BulkRequest object with at most 50 Operations. */
#define GS_BULK_MAX_OPERATIONS 50
int gs_bulk_body(const char *in, size_t len, char **body, const char **why);

/* jobs/new: a templateId as text, or a job JSON object with "templateId". */
int gs_new_job_body(const char *in, size_t len, char **body, const char **why);

/* provisionOnDemand's answer: key and value are JSON inside strings; returns
 * the same object with both decoded into plain JSON (a string that does not
 * parse is kept as a string). NULL on ENOMEM. */
cJSON *gs_pod_decode(const cJSON *answer);

#endif
