/* Commands for the cli and token_command methods: split into words like a
 * shell would (quotes and backslashes, no expansion), run without a shell,
 * with stdin from /dev/null, no inherited descriptors, and a deadline. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api/auth/internal.h"

struct words {
    char **v;
    size_t n, cap;
};

static int push_word(struct words *w, const char *s, size_t len)
{
    if (w->n + 2 > w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 8;
        char **nv = realloc(w->v, cap * sizeof(*nv));
        if (!nv)
            return -ENOMEM;
        w->v = nv;
        w->cap = cap;
    }
    w->v[w->n] = strndup(s, len);
    if (!w->v[w->n])
        return -ENOMEM;
    w->v[++w->n] = NULL;
    return 0;
}

int gs_exec_split(const char *cmd, char ***argv_out, char *why, size_t whylen)
{
    struct words w = {0};
    size_t len = strlen(cmd);
    char *word = malloc(len + 1);
    int r = 0;
    *argv_out = NULL;
    if (!word) {
        gs_auth_whyf(why, whylen, "out of memory");
        return -ENOMEM;
    }
    const char *p = cmd;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (!*p)
            break;
        size_t wl = 0;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && r == 0) {
            if (*p == '\'') {
                const char *end = strchr(p + 1, '\'');
                if (!end) {
                    r = -EINVAL;
                    break;
                }
                memcpy(word + wl, p + 1, (size_t)(end - p - 1));
                wl += (size_t)(end - p - 1);
                p = end + 1;
            } else if (*p == '"') {
                for (p++; *p && *p != '"'; p++) {
                    if (*p == '\\' && (p[1] == '"' || p[1] == '\\' || p[1] == '$' || p[1] == '`'))
                        p++;
                    word[wl++] = *p;
                }
                if (*p != '"') {
                    r = -EINVAL;
                    break;
                }
                p++;
            } else if (*p == '\\') {
                if (!p[1]) {
                    r = -EINVAL;
                    break;
                }
                word[wl++] = p[1];
                p += 2;
            } else {
                word[wl++] = *p++;
            }
        }
        if (r == 0)
            r = push_word(&w, word, wl);
        if (r < 0)
            break;
    }
    free(word);
    if (r == 0 && w.n == 0)
        r = -EINVAL;
    if (r < 0) {
        gs_auth_whyf(why, whylen, "%s",
                     r == -ENOMEM ? "out of memory"
                                  : "the command is empty or has an unterminated quote or backslash");
        gs_exec_free_argv(w.v);
        return r;
    }
    *argv_out = w.v;
    return 0;
}

void gs_exec_free_argv(char **argv)
{
    if (!argv)
        return;
    for (char **p = argv; *p; p++)
        free(*p);
    free(argv);
}

int gs_exec_find(const char *name, char **path_out)
{
    *path_out = NULL;
    if (strchr(name, '/')) {
        if (access(name, X_OK) != 0)
            return -ENOENT;
        *path_out = strdup(name);
        return *path_out ? 0 : -ENOMEM;
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path;;) {
        size_t n = strcspn(p, ":");
        char *cand = NULL;
        if (asprintf(&cand, "%.*s/%s", (int)n, n ? p : ".", name) < 0)
            return -ENOMEM;
        struct stat st;
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
            *path_out = cand;
            return 0;
        }
        free(cand);
        if (!p[n])
            break;
        p += n + 1;
    }
    return -ENOENT;
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int spawn(char *const argv[], int out_fd, int err_fd, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, dfl;
    int r = posix_spawn_file_actions_init(&fa);
    if (r != 0)
        return -r;
    r = posix_spawnattr_init(&attr);
    if (r != 0) {
        posix_spawn_file_actions_destroy(&fa);
        return -r;
    }
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE); /* the daemon ignores it; the command should not */
    if (!r)
        r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (!r)
        r = posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    if (!r)
        r = posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
    if (!r)
        r = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    if (!r)
        r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                                POSIX_SPAWN_SETPGROUP);
    if (!r)
        r = posix_spawnattr_setsigmask(&attr, &none);
    if (!r)
        r = posix_spawnattr_setsigdefault(&attr, &dfl);
    if (!r)
        r = posix_spawnattr_setpgroup(&attr, 0); /* its own group: killed as a whole */
    if (!r)
        r = posix_spawnp(pid, argv[0], &fa, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    return -r;
}

/* Collects what the child writes until both pipes close or the deadline. */
static int collect(int out_fd, int err_fd, double deadline, size_t max_out,
                   struct gs_exec_result *res, char *errbuf, size_t errcap)
{
    size_t cap = 4096, errlen = 0;
    res->out = malloc(cap);
    if (!res->out)
        return -ENOMEM;
    res->out[0] = '\0';
    struct pollfd pf[2] = {{.fd = out_fd, .events = POLLIN}, {.fd = err_fd, .events = POLLIN}};
    while (pf[0].fd >= 0 || pf[1].fd >= 0) {
        double left = deadline - mono_now();
        if (left <= 0)
            return -ETIMEDOUT;
        int n = poll(pf, 2, (int)(left * 1000) + 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        for (int i = 0; i < 2; i++) {
            if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[4096];
            ssize_t got = read(pf[i].fd, buf, sizeof(buf));
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0) {
                pf[i].fd = -1;
                continue;
            }
            if (i == 1) {
                size_t take = (size_t)got < errcap - 1 - errlen ? (size_t)got : errcap - 1 - errlen;
                memcpy(errbuf + errlen, buf, take);
                errlen += take;
                errbuf[errlen] = '\0';
                continue;
            }
            if (res->out_len + (size_t)got > max_out)
                return -EFBIG;
            if (res->out_len + (size_t)got + 1 > cap) {
                while (cap < res->out_len + (size_t)got + 1)
                    cap *= 2;
                char *nb = malloc(cap);
                if (!nb)
                    return -ENOMEM;
                memcpy(nb, res->out, res->out_len);
                explicit_bzero(res->out, res->out_len);
                free(res->out);
                res->out = nb;
            }
            memcpy(res->out + res->out_len, buf, (size_t)got);
            res->out_len += (size_t)got;
            res->out[res->out_len] = '\0';
            explicit_bzero(buf, sizeof(buf));
        }
    }
    return 0;
}

/* Waits for the child until the deadline; kills its group after it. */
static int reap(pid_t pid, double deadline, int kill_now, int *status)
{
    for (;;) {
        if (kill_now || mono_now() >= deadline) {
            kill(-pid, SIGKILL);
            while (waitpid(pid, status, 0) < 0 && errno == EINTR)
                ;
            return -ETIMEDOUT;
        }
        pid_t w = waitpid(pid, status, WNOHANG);
        if (w == pid)
            return 0;
        if (w < 0 && errno != EINTR)
            return -errno;
        gs_auth_sleep(0.02);
    }
}

int gs_exec_run(char *const argv[], long timeout_ms, size_t max_out,
                struct gs_exec_result *res, char *why, size_t whylen)
{
    int outp[2], errp[2];
    char errbuf[1024] = "";
    memset(res, 0, sizeof(*res));
    if (pipe2(outp, O_CLOEXEC) != 0) {
        int e = errno;
        gs_auth_whyf(why, whylen, "cannot run %s: %s", argv[0], strerror(e));
        return -e;
    }
    if (pipe2(errp, O_CLOEXEC) != 0) {
        int e = errno;
        close(outp[0]);
        close(outp[1]);
        gs_auth_whyf(why, whylen, "cannot run %s: %s", argv[0], strerror(e));
        return -e;
    }
    pid_t pid = 0;
    int r = spawn(argv, outp[1], errp[1], &pid);
    close(outp[1]);
    close(errp[1]);
    if (r < 0) {
        close(outp[0]);
        close(errp[0]);
        gs_auth_whyf(why, whylen, "cannot run %s: %s", argv[0], strerror(-r));
        return r;
    }
    double deadline = mono_now() + (double)(timeout_ms > 0 ? timeout_ms : GS_AUTH_DEFAULT_TIMEOUT_MS) / 1000;
    r = collect(outp[0], errp[0], deadline, max_out, res, errbuf, sizeof(errbuf));
    close(outp[0]);
    close(errp[0]);
    int status = 0;
    int w = reap(pid, deadline, r < 0, &status);
    if (r == 0)
        r = w;
    errbuf[strcspn(errbuf, "\r\n")] = '\0';
    gs_auth_printable(res->err_line, sizeof(res->err_line), errbuf);
    explicit_bzero(errbuf, sizeof(errbuf));
    if (r == 0 && WIFSIGNALED(status)) {
        r = -EIO;
        gs_auth_whyf(why, whylen, "%s was killed by signal %d", argv[0], WTERMSIG(status));
    } else if (r < 0) {
        gs_auth_whyf(why, whylen, "%s: %s", argv[0],
                     r == -ETIMEDOUT ? "did not finish in time"
                     : r == -EFBIG   ? "printed too much"
                                     : strerror(-r));
    }
    if (r < 0) {
        gs_exec_result_clear(res);
        return r;
    }
    res->exit_status = WEXITSTATUS(status);
    return 0;
}

int gs_exec_run_ok(char *const argv[], const char *what, long timeout_ms, size_t max_out,
                   struct gs_exec_result *res, char *why, size_t whylen)
{
    int r = gs_exec_run(argv, timeout_ms, max_out, res, why, whylen);
    if (r == 0 && res->exit_status != 0) {
        gs_auth_whyf(why, whylen, "%s exited with status %d%s%s", what, res->exit_status,
                     res->err_line[0] ? ": " : "", res->err_line);
        gs_exec_result_clear(res);
        return -EACCES;
    }
    return r;
}

void gs_exec_result_clear(struct gs_exec_result *res)
{
    if (res->out) {
        explicit_bzero(res->out, res->out_len);
        free(res->out);
    }
    res->out = NULL;
    res->out_len = 0;
}
