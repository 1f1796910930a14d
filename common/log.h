/* Logging for every layer: levels, stderr in the foreground, syslog once daemonized.
 * Never pass a token or a secret value to these functions. */
#ifndef GS_LOG_H
#define GS_LOG_H

enum gs_log_level { GS_LOG_ERROR = 0, GS_LOG_WARN, GS_LOG_INFO, GS_LOG_DEBUG };

void gs_log_set_level(enum gs_log_level level);
enum gs_log_level gs_log_get_level(void);
/* Parses "error|warn|info|debug" (or 0-3); returns 0 or -EINVAL. */
int gs_log_parse_level(const char *s, enum gs_log_level *out);
/* 1: send to syslog (after daemonizing); 0: stderr (default). */
void gs_log_use_syslog(int on);

void gs_log(enum gs_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The audit trail: always written, whatever the level, where the log goes
 * (stderr in the foreground, syslog as LOG_NOTICE once daemonized), and
 * also to a syslog socket when one was set (syslog_socket=). */
void gs_log_audit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The extra socket audit lines are sent to (a copy is kept; NULL: none). */
int gs_log_set_syslog_socket(const char *path);

#define gs_error_log(...) gs_log(GS_LOG_ERROR, __VA_ARGS__)
#define gs_warn(...)      gs_log(GS_LOG_WARN, __VA_ARGS__)
#define gs_info(...)      gs_log(GS_LOG_INFO, __VA_ARGS__)
#define gs_debug(...)     gs_log(GS_LOG_DEBUG, __VA_ARGS__)

#endif
