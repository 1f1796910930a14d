/* Credential files: refused when group or others have any permission on
 * them, or when someone else owns them (as ssh does for private keys and
 * s3fs for its password file); written atomically with mode 0600. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/auth/internal.h"

int gs_auth_check_mode(const char *path, mode_t mode, uid_t owner, uid_t me, char *why,
                       size_t whylen)
{
    if (!S_ISREG(mode)) {
        gs_auth_whyf(why, whylen, "%s is not a regular file", path);
        return -EINVAL;
    }
    if (mode & (S_IRWXG | S_IRWXO)) {
        gs_auth_whyf(why, whylen,
                     "%s is accessible by group or others (mode %04o); run chmod 600 on it",
                     path, (unsigned)(mode & 07777));
        return -EPERM;
    }
    if (owner != me && owner != 0) {
        gs_auth_whyf(why, whylen, "%s is owned by uid %u, not by uid %u or root", path,
                     (unsigned)owner, (unsigned)me);
        return -EPERM;
    }
    return 0;
}

static void trim_end(char *s, size_t *len)
{
    while (*len > 0 && (s[*len - 1] == '\n' || s[*len - 1] == '\r' || s[*len - 1] == ' ' ||
                        s[*len - 1] == '\t'))
        s[--*len] = '\0';
}

static int read_file(const char *path, size_t max, int trim, int check_mode, char **out,
                     size_t *outlen, char *why, size_t whylen)
{
    *out = NULL;
    /* O_NONBLOCK: a FIFO in place of the file must not hang the mount */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        gs_auth_whyf(why, whylen, "cannot open %s: %s", path, strerror(e));
        return -e;
    }
    /* checks on the opened file, so that it cannot change in between */
    struct stat st;
    int r = 0;
    if (fstat(fd, &st) != 0) {
        r = -errno;
        gs_auth_whyf(why, whylen, "cannot stat %s: %s", path, strerror(-r));
        goto out;
    }
    r = check_mode ? gs_auth_check_mode(path, st.st_mode, st.st_uid, geteuid(), why, whylen) : 0;
    if (r < 0)
        goto out;
    if ((size_t)st.st_size > max) {
        gs_auth_whyf(why, whylen, "%s is larger than %zu bytes", path, max);
        r = -EFBIG;
        goto out;
    }
    char *buf = malloc(max + 1);
    if (!buf) {
        r = -ENOMEM;
        gs_auth_whyf(why, whylen, "out of memory reading %s", path);
        goto out;
    }
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, max + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = -errno;
            gs_auth_whyf(why, whylen, "cannot read %s: %s", path, strerror(-r));
            break;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > max) {
            r = -EFBIG;
            gs_auth_whyf(why, whylen, "%s is larger than %zu bytes", path, max);
            break;
        }
    }
    if (r == 0) {
        buf[len] = '\0';
        if (trim)
            trim_end(buf, &len);
        if (len == 0) {
            r = -ENODATA;
            gs_auth_whyf(why, whylen, "%s is empty", path);
        }
    }
    if (r < 0) {
        explicit_bzero(buf, max + 1);
        free(buf);
        goto out;
    }
    *out = buf;
    if (outlen)
        *outlen = len;
out:
    close(fd);
    return r;
}

int gs_auth_read_secret_file(const char *path, size_t max, int trim, char **out, size_t *outlen,
                             char *why, size_t whylen)
{
    return read_file(path, max, trim, 1, out, outlen, why, whylen);
}

/* A federated token: short-lived and scoped to its pod; Kubernetes projects
 * it with mode 0644, so group or other access is no reason to refuse it. */
int gs_auth_read_token_file(const char *path, size_t max, int trim, char **out, size_t *outlen,
                            char *why, size_t whylen)
{
    return read_file(path, max, trim, 0, out, outlen, why, whylen);
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int gs_auth_write_secret_file(const char *path, const char *data, size_t len, char *why,
                              size_t whylen)
{
    char *tmp = NULL;
    if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0) {
        gs_auth_whyf(why, whylen, "out of memory writing %s", path);
        return -ENOMEM;
    }
    unlink(tmp); /* a leftover of a crashed earlier run of this pid */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    int r = 0;
    if (fd < 0) {
        r = -errno;
        gs_auth_whyf(why, whylen, "cannot create %s: %s", tmp, strerror(-r));
        free(tmp);
        return r;
    }
    r = write_all(fd, data, len);
    if (r == 0 && fsync(fd) != 0)
        r = -errno;
    if (close(fd) != 0 && r == 0)
        r = -errno;
    if (r == 0 && rename(tmp, path) != 0)
        r = -errno;
    if (r < 0) {
        gs_auth_whyf(why, whylen, "cannot write %s: %s", path, strerror(-r));
        unlink(tmp);
    }
    free(tmp);
    return r;
}
