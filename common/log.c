/* Levels, and one line per message: to stderr in the foreground, to syslog
 * once daemonized (where stderr goes nowhere). */
#include "common/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/log_internal.h"

static int log_level = GS_LOG_WARN;
static int log_syslog;

static const char *const level_names[] = {"error", "warning", "info", "debug"};
static const int level_prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};

void gs_log_set_level(enum gs_log_level level)
{
    if ((int)level < GS_LOG_ERROR)
        level = GS_LOG_ERROR;
    if (level > GS_LOG_DEBUG)
        level = GS_LOG_DEBUG;
    __atomic_store_n(&log_level, (int)level, __ATOMIC_RELAXED);
}

enum gs_log_level gs_log_get_level(void)
{
    return (enum gs_log_level)__atomic_load_n(&log_level, __ATOMIC_RELAXED);
}

int gs_log_parse_level(const char *s, enum gs_log_level *out)
{
    static const struct {
        const char *name;
        enum gs_log_level level;
    } words[] = {
        {"error", GS_LOG_ERROR}, {"warn", GS_LOG_WARN}, {"warning", GS_LOG_WARN},
        {"info", GS_LOG_INFO},   {"debug", GS_LOG_DEBUG},
    };
    if (!s || !*s)
        return -EINVAL;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strcmp(s, words[i].name) == 0) {
            *out = words[i].level;
            return 0;
        }
    }
    if (s[0] >= '0' && s[0] <= '3' && s[1] == '\0') {
        *out = (enum gs_log_level)(s[0] - '0');
        return 0;
    }
    return -EINVAL;
}

void gs_log_use_syslog(int on)
{
    if (on && !__atomic_load_n(&log_syslog, __ATOMIC_RELAXED))
        openlog("graphsyncfs", LOG_PID, LOG_DAEMON);
    __atomic_store_n(&log_syslog, on ? 1 : 0, __ATOMIC_RELAXED);
}

/* The whole line is formatted first and written with one call, so lines of
 * concurrent threads never interleave. */
__attribute__((format(printf, 3, 0)))
static void emit(int prio, const char *tag, const char *fmt, va_list ap)
{
    char small[1024];
    char *msg = small;
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(small, sizeof(small), fmt, copy);
    va_end(copy);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(small)) {
        char *big = malloc((size_t)n + 1);
        if (big) {
            vsnprintf(big, (size_t)n + 1, fmt, ap);
            msg = big;
        }
    }
    if (__atomic_load_n(&log_syslog, __ATOMIC_RELAXED))
        syslog(prio, "%s: %s", tag, msg);
    else
        fprintf(stderr, "graphsyncfs: %s: %s\n", tag, msg);
    if (msg != small)
        free(msg);
}

void gs_log(enum gs_log_level level, const char *fmt, ...)
{
    if ((int)level < GS_LOG_ERROR || level > GS_LOG_DEBUG || (int)level > (int)gs_log_get_level())
        return;
    va_list ap;
    va_start(ap, fmt);
    emit(level_prio[level], level_names[level], fmt, ap);
    va_end(ap);
}

void gs_log_http(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(LOG_INFO, "http", fmt, ap);
    va_end(ap);
}

/* --- the audit trail --- */

static pthread_mutex_t audit_lock = PTHREAD_MUTEX_INITIALIZER;
static char *audit_socket;  /* audit_lock: syslog_socket=, NULL when not given */
static int audit_fd = -1;   /* audit_lock */
static int audit_warned;    /* audit_lock: a send failed (said once) */

int gs_log_set_syslog_socket(const char *path)
{
    char *p = path ? strdup(path) : NULL;
    if (path && !p)
        return -ENOMEM;
    pthread_mutex_lock(&audit_lock);
    free(audit_socket);
    audit_socket = p;
    if (audit_fd >= 0)
        close(audit_fd);
    audit_fd = -1;
    pthread_mutex_unlock(&audit_lock);
    return 0;
}

/* One datagram in the syslog protocol of /dev/log (RFC 3164 header) to
 * audit_socket. With audit_lock held. */
static void audit_send(const char *msg)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", audit_socket);
    if (audit_fd < 0)
        audit_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    char stamp[32], line[2048];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
    int n = snprintf(line, sizeof(line), "<%d>%s graphsyncfs[%d]: audit: %s", LOG_DAEMON | LOG_NOTICE,
                     stamp, (int)getpid(), msg);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
    if (audit_fd >= 0 &&
        sendto(audit_fd, line, len, MSG_NOSIGNAL, (struct sockaddr *)&sa, sizeof(sa)) >= 0) {
        audit_warned = 0;
        return;
    }
    if (!audit_warned)
        gs_log(GS_LOG_WARN, "audit lines cannot reach %s: %s", sa.sun_path, strerror(errno));
    audit_warned = 1;
}

/* Where the log goes (stderr in the foreground, syslog once daemonized),
 * whatever the level, and to syslog_socket= when given. */
void gs_log_audit(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (__atomic_load_n(&log_syslog, __ATOMIC_RELAXED))
        syslog(LOG_NOTICE, "audit: %s", msg);
    else
        fprintf(stderr, "graphsyncfs: audit: %s\n", msg);
    pthread_mutex_lock(&audit_lock);
    if (audit_socket)
        audit_send(msg);
    pthread_mutex_unlock(&audit_lock);
}
