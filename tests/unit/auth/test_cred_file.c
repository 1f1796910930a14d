/* Credential file checks (s3fs/ssh rules), reading, atomic 0600 writing, and
 * the device method's token cache file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/auth/internal.h"
#include "tests/unit/check.h"

static char dir[] = "/tmp/gs-auth-test-XXXXXX";

static char *path_of(const char *name)
{
    static char buf[256];
    snprintf(buf, sizeof(buf), "%s/%s", dir, name);
    return buf;
}

static void put(const char *name, const char *content, mode_t mode)
{
    char *p = path_of(name);
    unlink(p);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    CHECK(write(fd, content, strlen(content)) == (ssize_t)strlen(content));
    close(fd);
    CHECK(chmod(p, mode) == 0);
}

static void test_check_mode(void)
{
    char why[256];
    CHECK_INT(gs_auth_check_mode("f", S_IFREG | 0600, 1000, 1000, why, sizeof(why)), 0);
    CHECK_INT(gs_auth_check_mode("f", S_IFREG | 0400, 0, 1000, why, sizeof(why)), 0);
    CHECK_INT(gs_auth_check_mode("f", S_IFREG | 0700, 1000, 1000, why, sizeof(why)), 0);
    CHECK_INT(gs_auth_check_mode("/etc/x", S_IFREG | 0644, 1000, 1000, why, sizeof(why)), -EPERM);
    CHECK_STR(why, "/etc/x is accessible by group or others (mode 0644); run chmod 600 on it");
    CHECK_INT(gs_auth_check_mode("f", S_IFREG | 0640, 1000, 1000, why, sizeof(why)), -EPERM);
    CHECK_INT(gs_auth_check_mode("f", S_IFREG | 0604, 1000, 1000, why, sizeof(why)), -EPERM);
    CHECK_INT(gs_auth_check_mode("f", S_IFREG | 0610, 1000, 1000, why, sizeof(why)), -EPERM);
    CHECK_INT(gs_auth_check_mode("f", S_IFREG | 0600, 1001, 1000, why, sizeof(why)), -EPERM);
    CHECK(strstr(why, "owned by uid 1001") != NULL);
    CHECK_INT(gs_auth_check_mode("d", S_IFDIR | 0700, 1000, 1000, why, sizeof(why)), -EINVAL);
    CHECK_INT(gs_auth_check_mode("d", S_IFIFO | 0600, 1000, 1000, why, sizeof(why)), -EINVAL);
}

static void test_read(void)
{
    char why[256], *s = NULL;
    size_t n = 0;
    put("secret", "s3cr3t~value\r\n", 0600);
    CHECK_INT(gs_auth_read_secret_file(path_of("secret"), 1024, 1, &s, &n, why, sizeof(why)), 0);
    CHECK_STR(s, "s3cr3t~value");
    CHECK_INT(n, 12);
    gs_auth_free_secret(s);
    CHECK_INT(gs_auth_read_secret_file(path_of("secret"), 1024, 0, &s, &n, why, sizeof(why)), 0);
    CHECK_STR(s, "s3cr3t~value\r\n");
    gs_auth_free_secret(s);

    put("open", "s3cr3t~value", 0644);
    CHECK_INT(gs_auth_read_secret_file(path_of("open"), 1024, 1, &s, &n, why, sizeof(why)), -EPERM);
    CHECK(s == NULL);
    CHECK(strstr(why, path_of("open")) != NULL);
    CHECK(strstr(why, "s3cr3t") == NULL); /* the message never holds the content */

    put("empty", "\n", 0600);
    CHECK_INT(gs_auth_read_secret_file(path_of("empty"), 1024, 1, &s, &n, why, sizeof(why)),
              -ENODATA);
    put("big", "0123456789", 0600);
    CHECK_INT(gs_auth_read_secret_file(path_of("big"), 5, 1, &s, &n, why, sizeof(why)), -EFBIG);
    CHECK_INT(gs_auth_read_secret_file(path_of("missing"), 5, 1, &s, &n, why, sizeof(why)),
              -ENOENT);
    CHECK(strstr(why, "missing") != NULL);
    CHECK_INT(gs_auth_read_secret_file(dir, 5, 1, &s, &n, why, sizeof(why)), -EINVAL);
    /* a FIFO does not hang the reader */
    CHECK(mkfifo(path_of("fifo"), 0600) == 0);
    CHECK_INT(gs_auth_read_secret_file(path_of("fifo"), 5, 1, &s, &n, why, sizeof(why)), -EINVAL);
    unlink(path_of("fifo"));
}

static void test_write(void)
{
    char why[256], *s = NULL;
    mode_t old = umask(0);
    put("out", "old", 0644);
    CHECK_INT(gs_auth_write_secret_file(path_of("out"), "new\n", 4, why, sizeof(why)), 0);
    umask(old);
    struct stat st;
    CHECK(stat(path_of("out"), &st) == 0);
    CHECK_INT(st.st_mode & 07777, 0600);
    CHECK_INT(gs_auth_read_secret_file(path_of("out"), 64, 1, &s, NULL, why, sizeof(why)), 0);
    CHECK_STR(s, "new");
    gs_auth_free_secret(s);
    CHECK(gs_auth_write_secret_file("/nonexistent-dir/x", "a", 1, why, sizeof(why)) < 0);
    CHECK(strstr(why, "/nonexistent-dir/x") != NULL);
}

static void test_devcache(void)
{
    char why[256], *rt = NULL;
    const char *p = path_of("cache");
    unlink(p);
    /* absent: nothing, no error */
    CHECK_INT(gs_devcache_load(p, "https://a", "t", "c", &rt, why, sizeof(why)), 0);
    CHECK(rt == NULL);
    CHECK_INT(gs_devcache_save(p, "https://a", "t", "c", "refresh-1", why, sizeof(why)), 0);
    CHECK_INT(gs_devcache_load(p, "https://a", "t", "c", &rt, why, sizeof(why)), 0);
    CHECK_STR(rt, "refresh-1");
    gs_auth_free_secret(rt);
    rt = NULL;
    /* another client, tenant or authority: not used */
    CHECK_INT(gs_devcache_load(p, "https://a", "t", "other", &rt, why, sizeof(why)), 0);
    CHECK(rt == NULL);
    CHECK_INT(gs_devcache_load(p, "https://a", "t2", "c", &rt, why, sizeof(why)), 0);
    CHECK(rt == NULL);
    CHECK_INT(gs_devcache_load(p, "https://b", "t", "c", &rt, why, sizeof(why)), 0);
    CHECK(rt == NULL);
    /* an empty file prepared by the user is fine; a readable one is refused */
    put("cache", "", 0600);
    CHECK_INT(gs_devcache_load(p, "https://a", "t", "c", &rt, why, sizeof(why)), 0);
    put("cache", "{}", 0644);
    CHECK_INT(gs_devcache_load(p, "https://a", "t", "c", &rt, why, sizeof(why)), -EPERM);
    put("cache", "garbage", 0600);
    CHECK_INT(gs_devcache_load(p, "https://a", "t", "c", &rt, why, sizeof(why)), -EINVAL);
    CHECK(rt == NULL);
}

int main(void)
{
    CHECK(mkdtemp(dir) != NULL);
    test_check_mode();
    test_read();
    test_write();
    test_devcache();
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return check_report("test_cred_file");
}
