/* Parsed JSON in one allocation (json_pack.h). The block holds the nodes in
 * document order, the root first (so that freeing the root frees the block),
 * then the strings. A string in the block carries no flag (cJSON never frees
 * an inner node's strings: it does not descend below the root); a string
 * kept once for the process keeps its flag (cJSON_StringIsConst for a name,
 * cJSON_IsReference for a value), so that cJSON_Duplicate copies the one in
 * the block and points at the other. */
#include "api/json_pack.h"

#include <stdlib.h>
#include <string.h>

int gs_json_is_packed(const cJSON *j)
{
    return j && (j->type & GS_JSON_PACKED) && (j->type & cJSON_IsReference);
}

/* A value kept once for the process (json_keys.c): a string node flagged
 * cJSON_IsReference. */
static int kept_value(const cJSON *j)
{
    int t = j->type & 0xff;
    return (t == cJSON_String || t == cJSON_Raw) && (j->type & cJSON_IsReference);
}

struct size {
    size_t nodes;
    size_t text;
};

static void measure(const cJSON *j, struct size *s)
{
    s->nodes++;
    if (j->string && !(j->type & cJSON_StringIsConst))
        s->text += strlen(j->string) + 1;
    if (j->valuestring && !kept_value(j))
        s->text += strlen(j->valuestring) + 1;
    for (const cJSON *c = j->child; c; c = c->next)
        measure(c, s);
}

size_t gs_json_packed_size(const cJSON *j)
{
    struct size s = {0, 0};
    measure(j, &s);
    return s.nodes * sizeof(cJSON) + s.text;
}

struct cursor {
    cJSON *node;    /* the next free node */
    char *text;     /* the next free byte for strings */
};

static char *put_text(struct cursor *c, const char *s)
{
    size_t len = strlen(s) + 1;
    char *d = memcpy(c->text, s, len);
    c->text += len;
    return d;
}

/* Copies j and what is under it to the cursor; returns its copy. */
static cJSON *copy(const cJSON *j, struct cursor *c)
{
    cJSON *d = c->node++;
    *d = *j;
    d->next = d->prev = d->child = NULL;
    d->type &= ~GS_JSON_PACKED;
    if (!kept_value(j))
        d->type &= ~cJSON_IsReference; /* an inner packed root is an inner node here */
    if (j->string && !(j->type & cJSON_StringIsConst))
        d->string = put_text(c, j->string);
    if (j->valuestring && !kept_value(j))
        d->valuestring = put_text(c, j->valuestring);
    cJSON *last = NULL;
    for (const cJSON *k = j->child; k; k = k->next) {
        cJSON *x = copy(k, c);
        if (last) {
            last->next = x;
            x->prev = last;
        } else {
            d->child = x;
        }
        last = x;
    }
    if (d->child)
        d->child->prev = last; /* cJSON: the first child's prev is the last */
    return d;
}

cJSON *gs_json_pack(const cJSON *j)
{
    int t = j ? j->type & 0xff : 0;
    if ((t != cJSON_Object && t != cJSON_Array) || (j->string && !(j->type & cJSON_StringIsConst)))
        return NULL;
    struct size s = {0, 0};
    measure(j, &s);
    cJSON *block = malloc(s.nodes * sizeof(cJSON) + s.text);
    if (!block)
        return NULL;
    struct cursor c = {block, (char *)(block + s.nodes)};
    cJSON *root = copy(j, &c);
    root->type |= cJSON_IsReference | GS_JSON_PACKED;
    return root;
}

cJSON *gs_json_copy(const cJSON *j)
{
    cJSON *p = gs_json_pack(j);
    return p ? p : cJSON_Duplicate(j, 1);
}

/* Packs each item of array a in its place (the unpacked one deleted). */
static void pack_items(cJSON *a)
{
    cJSON *head = NULL, *last = NULL;
    for (cJSON *it = a->child, *next; it; it = next) {
        next = it->next;
        it->next = it->prev = NULL;
        cJSON *p = gs_json_is_packed(it) ? NULL : gs_json_pack(it);
        if (p)
            cJSON_Delete(it);
        else
            p = it;
        if (last) {
            last->next = p;
            p->prev = last;
        } else {
            head = p;
        }
        last = p;
    }
    a->child = head;
    if (head)
        head->prev = last;
}

cJSON *gs_json_pack_doc(cJSON *j)
{
    if (!j || gs_json_is_packed(j))
        return j;
    cJSON *value = cJSON_GetObjectItemCaseSensitive(j, "value");
    if (cJSON_IsArray(value)) {
        pack_items(value);
        return j;
    }
    cJSON *p = gs_json_pack(j);
    if (!p)
        return j;
    cJSON_Delete(j);
    return p;
}
