/* Logging that only api/ uses. */
#ifndef GS_LOG_INTERNAL_H
#define GS_LOG_INTERNAL_H

/* One line of the http_debug trace ("http: GET <url> -> 200 ..."), written
 * whatever the log level is: the option asks for it explicitly. Callers pass
 * method, URL, status, timing and ids only, never a header value. */
void gs_log_http(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
