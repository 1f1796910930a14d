/* Mount options (DESIGN.md section 8), parsed with fuse_opt as sshfs does. */
#ifndef GS_OPTIONS_H
#define GS_OPTIONS_H

#include <fuse_lowlevel.h>
#include <stddef.h>
#include <sys/types.h>

#include "fs/model/thresholds.h"
#include "fs/views/logs/logs.h"

/* Threads serving the calls that may wait on Graph (fs/kernel/request_pool.h:
 * more are started while every one waits on Graph and calls queue), and
 * libfuse's threads at most, which only hand calls over or do local work. */
#define GS_DEFAULT_THREADS 100

struct gs_options {
    char *graph_url;
    char *api;
    char *cloud;
    char *auth;
    char *authority;
    char *tenant;
    char *client_id;
    char *client_secret_file;
    char *client_certificate;
    char *token_command;
    char *token_cache;
    int graph_url_given;    /* graph_url= was on the command line */
    char *log_level;
    char *cache_size;
    char *backup_dir;       /* NULL: the default; "none": no backups */
    double dir_timeout, status_timeout, doc_timeout;
    double entry_timeout, attr_timeout;
    double timeout, connect_timeout;
    double stale_timeout;   /* serve cached content this long past its TTL when Graph is unreachable */
    int retries;
    int max_conns;
    char *batch;            /* "off" or batches in flight for read-ahead */
    char *log_window, *log_poll, *log_rate; /* as given (fs/views/logs) */
    struct gs_logs_config logs;             /* parsed */
    int batch_workers;      /* parsed: 0 = off */
    int http_debug;
    int threads;            /* request pool threads; libfuse's max_threads too */
    int dumpable;           /* leave core dumps on (debugging) */
    int strict;             /* tenant-wide views that cannot be built whole fail with EIO */
    int read_only;
    int allow_other;
    int default_permissions;
    int has_uid, has_gid, has_umask;
    unsigned uid, gid, umask;
    int show_help, show_version;
    char *source;           /* mount(8)'s first argument (fstab's first field), if any */
    char *mountpoint;
    int nonopts;
    size_t cache_bytes; /* parsed cache_size */
    int max_names;      /* names held before the kernel is asked to forget (0: never) */
    /* monitoring thresholds (warn_escrow= ...) as given, and parsed */
    char *warn_escrow, *crit_escrow, *warn_stale, *crit_stale;
    struct gs_thresholds thresholds;
    int backup_keep;        /* backups kept per job (default 100; 0: all) */
    char *syslog_socket;    /* where audit lines go (default /dev/log) */
};

/* Fills defaults, parses our options out of args (leaving libfuse's), and
 * checks values. Returns 0 or -EINVAL with a message on stderr. */
int gs_options_parse(struct fuse_args *args, struct gs_options *o);
void gs_options_free(struct gs_options *o);
void gs_options_usage(const char *progname);

/* "64M", "1G", "4096", "512k" -> bytes; 0 or -EINVAL. */
int gs_parse_size(const char *s, size_t *out);

#endif
