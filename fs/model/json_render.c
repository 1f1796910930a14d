/* The bytes of every JSON file of the mount: 2-space indentation, Graph's
 * key order, @odata annotations dropped, a final newline. */
#include "fs/model/json_render.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

/* Doubles hold every integer up to 2^53 exactly. */
#define EXACT_INT_MAX 9007199254740992.0

int gs_json_is_annotation(const char *key)
{
    return key && strstr(key, "@odata.") != NULL;
}

/* Where the bytes go: a buffer, or when b is NULL only their count (a
 * file's size, without the copy: a template's 59 KB rendered only to tell
 * st_size cost a find more than its listing). */
struct sink {
    struct gs_buf *b;
    size_t n;
};

static void put(struct sink *o, const char *p, size_t n)
{
    if (o->b)
        gs_buf_append(o->b, p, n);
    o->n += n;
}

static void puts_(struct sink *o, const char *s)
{
    put(o, s, strlen(s));
}

static void putc_(struct sink *o, char ch)
{
    put(o, &ch, 1);
}

static void indent(struct sink *o, int depth)
{
    static const char spaces[] = "                                ";
    size_t n = 2 * (size_t)depth;
    for (; n > sizeof(spaces) - 1; n -= sizeof(spaces) - 1)
        put(o, spaces, sizeof(spaces) - 1);
    put(o, spaces, n);
}

/* The escape of ch (2 or 6 bytes) into u. */
static size_t escape(unsigned char ch, char u[6])
{
    static const char hex[] = "0123456789abcdef";
    char c = 0;
    switch (ch) {
    case '"': c = '"'; break;
    case '\\': c = '\\'; break;
    case '\b': c = 'b'; break;
    case '\f': c = 'f'; break;
    case '\n': c = 'n'; break;
    case '\r': c = 'r'; break;
    case '\t': c = 't'; break;
    default: break;
    }
    u[0] = '\\';
    if (c) {
        u[1] = c;
        return 2;
    }
    u[1] = 'u';
    u[2] = '0';
    u[3] = '0';
    u[4] = hex[ch >> 4];
    u[5] = hex[ch & 15];
    return 6;
}

/* JSON escaping of what must be escaped; UTF-8 (valid or not) passes as is. */
static void put_string(struct sink *o, const char *s)
{
    putc_(o, '"');
    const char *run = s;
    const char *p = s;
    for (; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        put(o, run, (size_t)(p - run));
        run = p + 1;
        char u[6];
        put(o, u, escape(ch, u));
    }
    put(o, run, (size_t)(p - run));
    putc_(o, '"');
}

/* Integers exactly; other numbers with the fewest digits (15 to 17) that
 * read back as the same double. */
static void put_number(struct sink *o, double d)
{
    if (!isfinite(d)) {
        puts_(o, "null");
        return;
    }
    char tmp[32];
    if (d == floor(d) && fabs(d) <= EXACT_INT_MAX) {
        snprintf(tmp, sizeof(tmp), "%lld", (long long)d);
        puts_(o, tmp);
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    puts_(o, tmp);
}

static void put_value(struct sink *o, const cJSON *item, int depth);

static void put_container(struct sink *o, const cJSON *item, int depth, int is_object)
{
    putc_(o, is_object ? '{' : '[');
    int first = 1;
    for (const cJSON *c = item->child; c; c = c->next) {
        if (is_object && (!c->string || gs_json_is_annotation(c->string)))
            continue;
        if (first)
            putc_(o, '\n');
        else
            put(o, ",\n", 2);
        first = 0;
        indent(o, depth + 1);
        if (is_object) {
            put_string(o, c->string);
            put(o, ": ", 2);
        }
        put_value(o, c, depth + 1);
    }
    if (!first) {
        putc_(o, '\n');
        indent(o, depth);
    }
    putc_(o, is_object ? '}' : ']');
}

static void put_value(struct sink *o, const cJSON *item, int depth)
{
    switch (item->type & 0xff) {
    case cJSON_False: puts_(o, "false"); break;
    case cJSON_True: puts_(o, "true"); break;
    case cJSON_NULL: puts_(o, "null"); break;
    case cJSON_Number: put_number(o, item->valuedouble); break;
    case cJSON_String: put_string(o, item->valuestring ? item->valuestring : ""); break;
    case cJSON_Raw: puts_(o, item->valuestring ? item->valuestring : "null"); break;
    case cJSON_Array: put_container(o, item, depth, 0); break;
    case cJSON_Object: put_container(o, item, depth, 1); break;
    default: puts_(o, "null"); break;
    }
}

static void put_document(struct sink *o, const cJSON *item)
{
    if (item)
        put_value(o, item, 0);
    else
        puts_(o, "null");
    putc_(o, '\n');
}

size_t gs_json_rendered_len(const cJSON *item)
{
    struct sink o = {NULL, 0};
    put_document(&o, item);
    return o.n;
}

char *gs_json_render(const cJSON *item, size_t *len_out)
{
    struct gs_buf b = {0};
    struct sink o = {&b, 0};
    put_document(&o, item);
    size_t len = 0;
    char *text = gs_buf_take(&b, &len);
    if (text && len_out)
        *len_out = len;
    return text;
}
