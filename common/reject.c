/* Refusing input with a reason (reject.h). */
#include "common/reject.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

int gs_reject(char **why, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(why, fmt, ap) < 0)
        *why = NULL;
    va_end(ap);
    return -EINVAL;
}
