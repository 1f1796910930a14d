/* errno names: our own table for the values api/ produces, glibc's for the rest. */
#include "common/errno_name.h"

#include <errno.h>
#include <string.h>

const char *gs_errno_name(int err)
{
    static const struct {
        int value;
        const char *name;
    } table[] = {
        {EINVAL, "EINVAL"},       {EACCES, "EACCES"},         {ENOENT, "ENOENT"},
        {EOPNOTSUPP, "EOPNOTSUPP"}, {EBUSY, "EBUSY"},         {ESTALE, "ESTALE"},
        {EFBIG, "EFBIG"},         {EAGAIN, "EAGAIN"},         {EIO, "EIO"},
        {ETIMEDOUT, "ETIMEDOUT"}, {EHOSTUNREACH, "EHOSTUNREACH"}, {ENOMEM, "ENOMEM"},
        {EPERM, "EPERM"},         {EROFS, "EROFS"},           {EEXIST, "EEXIST"},
        {ECONNREFUSED, "ECONNREFUSED"}, {EKEYREJECTED, "EKEYREJECTED"},
    };
    if (err < 0)
        err = -err;
    if (err == 0)
        return "OK";
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (table[i].value == err)
            return table[i].name;
    const char *name = strerrorname_np(err);
    return name ? name : "EUNKNOWN";
}
