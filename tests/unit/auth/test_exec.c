/* Commands without a shell: word splitting, PATH search, running with a
 * deadline, output limits, exit statuses, stderr's first line. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/auth/internal.h"
#include "tests/unit/check.h"

static void test_split(void)
{
    char **v = NULL, why[128];
    CHECK_INT(gs_exec_split("  vault read -field=token  'secret/my app' \"a \\\"b\\\" $c\" d\\ e ''",
                            &v, why, sizeof(why)),
              0);
    const char *want[] = {"vault", "read", "-field=token", "secret/my app", "a \"b\" $c", "d e", ""};
    size_t n = 0;
    while (v && v[n])
        n++;
    CHECK_INT(n, 7);
    for (size_t i = 0; i < n && i < 7; i++)
        CHECK_STR(v[i], want[i]);
    gs_exec_free_argv(v);
    /* no expansion of any kind */
    CHECK_INT(gs_exec_split("echo $HOME `id` *; rm -rf /", &v, why, sizeof(why)), 0);
    CHECK_STR(v[1], "$HOME");
    CHECK_STR(v[2], "`id`");
    CHECK_STR(v[3], "*;");
    gs_exec_free_argv(v);
    CHECK_INT(gs_exec_split("a'b'c\"d\"e", &v, why, sizeof(why)), 0);
    CHECK_STR(v[0], "abcde");
    gs_exec_free_argv(v);
    CHECK(gs_exec_split("", &v, why, sizeof(why)) < 0);
    CHECK(gs_exec_split("   ", &v, why, sizeof(why)) < 0);
    CHECK(gs_exec_split("a 'b", &v, why, sizeof(why)) < 0);
    CHECK(gs_exec_split("a \"b", &v, why, sizeof(why)) < 0);
    CHECK(gs_exec_split("a b\\", &v, why, sizeof(why)) < 0);
    CHECK(v == NULL);
}

static void test_find(void)
{
    char *p = NULL;
    CHECK_INT(gs_exec_find("sh", &p), 0);
    CHECK(p && p[0] == '/');
    free(p);
    CHECK_INT(gs_exec_find("/bin/sh", &p), 0);
    free(p);
    CHECK_INT(gs_exec_find("no-such-program-gs-auth", &p), -ENOENT);
    CHECK(p == NULL);
}

static int run(const char *script, long timeout_ms, size_t max, struct gs_exec_result *res,
               char *why, size_t whylen)
{
    char *argv[] = {"sh", "-c", (char *)script, NULL};
    return gs_exec_run(argv, timeout_ms, max, res, why, whylen);
}

static void test_run(void)
{
    struct gs_exec_result res;
    char why[256];
    CHECK_INT(run("printf 'tok\\n'; echo note >&2", 10000, 1024, &res, why, sizeof(why)), 0);
    CHECK_INT(res.exit_status, 0);
    CHECK_STR(res.out, "tok\n");
    CHECK_STR(res.err_line, "note");
    gs_exec_result_clear(&res);

    /* stdin is /dev/null: a command reading it does not hang */
    CHECK_INT(run("cat; echo done", 10000, 1024, &res, why, sizeof(why)), 0);
    CHECK_STR(res.out, "done\n");
    gs_exec_result_clear(&res);

    CHECK_INT(run("echo 'ERROR: Please run az login' >&2; echo second >&2; exit 3", 10000, 1024,
                  &res, why, sizeof(why)),
              0);
    CHECK_INT(res.exit_status, 3);
    CHECK_STR(res.err_line, "ERROR: Please run az login");
    gs_exec_result_clear(&res);

    /* no descriptor of ours leaks into the command, even without O_CLOEXEC */
    int fd = open("/dev/null", O_RDONLY);
    CHECK(fd >= 0 && dup2(fd, 20) == 20);
    CHECK_INT(run("ls /proc/self/fd", 10000, 1024, &res, why, sizeof(why)), 0);
    CHECK(strncmp(res.out, "0\n1\n2\n", 6) == 0);
    CHECK(strstr(res.out, "\n20\n") == NULL);
    gs_exec_result_clear(&res);
    close(20);
    close(fd);

    /* a deadline kills it (and what it started) */
    CHECK_INT(run("sleep 30 & sleep 30", 300, 1024, &res, why, sizeof(why)), -ETIMEDOUT);
    CHECK(strstr(why, "did not finish in time") != NULL);
    CHECK(res.out == NULL);

    CHECK_INT(run("yes", 10000, 4096, &res, why, sizeof(why)), -EFBIG);
    CHECK_INT(run("kill -9 $$", 10000, 1024, &res, why, sizeof(why)), -EIO);
    CHECK(strstr(why, "signal 9") != NULL);

    char *argv[] = {"no-such-program-gs-auth", NULL};
    CHECK_INT(gs_exec_run(argv, 1000, 1024, &res, why, sizeof(why)), -ENOENT);
    CHECK(strstr(why, "no-such-program-gs-auth") != NULL);
}

int main(void)
{
    test_split();
    test_find();
    test_run();
    return check_report("test_exec");
}
