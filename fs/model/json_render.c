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

static void indent(struct gs_buf *b, int depth)
{
    for (int i = 0; i < depth; i++)
        gs_buf_append(b, "  ", 2);
}

/* JSON escaping of what must be escaped; UTF-8 (valid or not) passes as is. */
static void put_string(struct gs_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    gs_buf_putc(b, '"');
    const char *run = s;
    for (const char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        gs_buf_append(b, run, (size_t)(p - run));
        run = p + 1;
        switch (ch) {
        case '"': gs_buf_append(b, "\\\"", 2); break;
        case '\\': gs_buf_append(b, "\\\\", 2); break;
        case '\b': gs_buf_append(b, "\\b", 2); break;
        case '\f': gs_buf_append(b, "\\f", 2); break;
        case '\n': gs_buf_append(b, "\\n", 2); break;
        case '\r': gs_buf_append(b, "\\r", 2); break;
        case '\t': gs_buf_append(b, "\\t", 2); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
            gs_buf_append(b, u, sizeof(u));
        }
        }
    }
    gs_buf_puts(b, run);
    gs_buf_putc(b, '"');
}

/* Integers exactly; other numbers with the fewest digits (15 to 17) that
 * read back as the same double. */
static void put_number(struct gs_buf *b, double d)
{
    if (!isfinite(d)) {
        gs_buf_puts(b, "null");
        return;
    }
    if (d == floor(d) && fabs(d) <= EXACT_INT_MAX) {
        gs_buf_printf(b, "%lld", (long long)d);
        return;
    }
    char tmp[32];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    gs_buf_puts(b, tmp);
}

static void put_value(struct gs_buf *b, const cJSON *item, int depth);

static void put_container(struct gs_buf *b, const cJSON *item, int depth, int is_object)
{
    gs_buf_putc(b, is_object ? '{' : '[');
    int first = 1;
    for (const cJSON *c = item->child; c; c = c->next) {
        if (is_object && (!c->string || gs_json_is_annotation(c->string)))
            continue;
        gs_buf_puts(b, first ? "\n" : ",\n");
        first = 0;
        indent(b, depth + 1);
        if (is_object) {
            put_string(b, c->string);
            gs_buf_append(b, ": ", 2);
        }
        put_value(b, c, depth + 1);
    }
    if (!first) {
        gs_buf_putc(b, '\n');
        indent(b, depth);
    }
    gs_buf_putc(b, is_object ? '}' : ']');
}

static void put_value(struct gs_buf *b, const cJSON *item, int depth)
{
    switch (item->type & 0xff) {
    case cJSON_False: gs_buf_puts(b, "false"); break;
    case cJSON_True: gs_buf_puts(b, "true"); break;
    case cJSON_NULL: gs_buf_puts(b, "null"); break;
    case cJSON_Number: put_number(b, item->valuedouble); break;
    case cJSON_String: put_string(b, item->valuestring ? item->valuestring : ""); break;
    case cJSON_Raw: gs_buf_puts(b, item->valuestring ? item->valuestring : "null"); break;
    case cJSON_Array: put_container(b, item, depth, 0); break;
    case cJSON_Object: put_container(b, item, depth, 1); break;
    default: gs_buf_puts(b, "null"); break;
    }
}

char *gs_json_render(const cJSON *item, size_t *len_out)
{
    struct gs_buf b = {0};
    if (item)
        put_value(&b, item, 0);
    else
        gs_buf_puts(&b, "null");
    gs_buf_putc(&b, '\n');
    size_t len = 0;
    char *text = gs_buf_take(&b, &len);
    if (text && len_out)
        *len_out = len;
    return text;
}
