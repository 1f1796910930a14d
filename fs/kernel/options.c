#include "fs/kernel/options.h"

#include "api/cloud.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OPT(t, p) {t, offsetof(struct gs_options, p), 1}

enum { KEY_RO, KEY_ALLOW_OTHER, KEY_DEFAULT_PERMS, KEY_DISCARD, KEY_HELP, KEY_VERSION,
       KEY_UID, KEY_GID, KEY_UMASK };

static const struct fuse_opt opts[] = {
    OPT("graph_url=%s", graph_url),
    OPT("api=%s", api),
    OPT("cloud=%s", cloud),
    OPT("auth=%s", auth),
    OPT("authority=%s", authority),
    OPT("tenant=%s", tenant),
    OPT("client_id=%s", client_id),
    OPT("client_secret_file=%s", client_secret_file),
    OPT("client_certificate=%s", client_certificate),
    OPT("token_command=%s", token_command),
    OPT("token_cache=%s", token_cache),
    OPT("log_level=%s", log_level),
    OPT("cache_size=%s", cache_size),
    OPT("backup_dir=%s", backup_dir),
    OPT("dir_timeout=%lf", dir_timeout),
    OPT("status_timeout=%lf", status_timeout),
    OPT("doc_timeout=%lf", doc_timeout),
    OPT("entry_timeout=%lf", entry_timeout),
    OPT("attr_timeout=%lf", attr_timeout),
    OPT("timeout=%lf", timeout),
    OPT("stale_timeout=%lf", stale_timeout),
    OPT("connect_timeout=%lf", connect_timeout),
    OPT("retries=%d", retries),
    OPT("max_conns=%d", max_conns),
    OPT("batch=%s", batch),
    OPT("warn_escrow=%s", warn_escrow),
    OPT("crit_escrow=%s", crit_escrow),
    OPT("warn_stale=%s", warn_stale),
    OPT("crit_stale=%s", crit_stale),
    OPT("backup_keep=%d", backup_keep),
    OPT("max_names=%d", max_names),
    OPT("syslog_socket=%s", syslog_socket),
    OPT("log_window=%s", log_window),
    OPT("log_poll=%s", log_poll),
    OPT("log_rate=%s", log_rate),
    OPT("http_debug", http_debug),
    OPT("strict", strict),
    OPT("dumpable", dumpable),
    OPT("threads=%d", threads),
    FUSE_OPT_KEY("uid=", KEY_UID),
    FUSE_OPT_KEY("gid=", KEY_GID),
    FUSE_OPT_KEY("umask=", KEY_UMASK),
    FUSE_OPT_KEY("ro", KEY_RO),
    FUSE_OPT_KEY("allow_other", KEY_ALLOW_OTHER),
    FUSE_OPT_KEY("default_permissions", KEY_DEFAULT_PERMS),
    /* fstab and mount(8) words that mean nothing to a FUSE daemon */
    FUSE_OPT_KEY("auto", KEY_DISCARD),
    FUSE_OPT_KEY("noauto", KEY_DISCARD),
    FUSE_OPT_KEY("user", KEY_DISCARD),
    FUSE_OPT_KEY("nouser", KEY_DISCARD),
    FUSE_OPT_KEY("users", KEY_DISCARD),
    FUSE_OPT_KEY("_netdev", KEY_DISCARD),
    FUSE_OPT_KEY("nofail", KEY_DISCARD),
    FUSE_OPT_KEY("defaults", KEY_DISCARD),
    FUSE_OPT_KEY("rw", KEY_DISCARD),
    FUSE_OPT_KEY("exec", KEY_DISCARD),
    FUSE_OPT_KEY("noexec", KEY_DISCARD),
    FUSE_OPT_KEY("x-systemd.", KEY_DISCARD),
    FUSE_OPT_KEY("comment=", KEY_DISCARD),
    FUSE_OPT_KEY("-h", KEY_HELP),
    FUSE_OPT_KEY("--help", KEY_HELP),
    FUSE_OPT_KEY("-V", KEY_VERSION),
    FUSE_OPT_KEY("--version", KEY_VERSION),
    FUSE_OPT_END,
};

static int parse_uint(const char *arg, int base, unsigned *out)
{
    const char *v = strchr(arg, '=');
    if (!v || !v[1])
        return -1;
    char *end;
    errno = 0;
    unsigned long x = strtoul(v + 1, &end, base);
    if (errno || *end || x > 0xffffffffUL)
        return -1;
    *out = (unsigned)x;
    return 0;
}

static int opt_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
    (void)outargs;
    struct gs_options *o = data;
    switch (key) {
    case KEY_RO:
        o->read_only = 1;
        return 1; /* also a kernel mount flag */
    case KEY_ALLOW_OTHER:
        o->allow_other = 1;
        return 1;
    case KEY_DEFAULT_PERMS:
        o->default_permissions = 1;
        return 1;
    case KEY_DISCARD:
        return 0;
    case KEY_HELP:
        o->show_help = 1;
        return 0;
    case KEY_VERSION:
        o->show_version = 1;
        return 0;
    case KEY_UID:
        o->has_uid = 1;
        if (parse_uint(arg, 10, &o->uid) == 0)
            return 0;
        break;
    case KEY_GID:
        o->has_gid = 1;
        if (parse_uint(arg, 10, &o->gid) == 0)
            return 0;
        break;
    case KEY_UMASK:
        o->has_umask = 1;
        if (parse_uint(arg, 8, &o->umask) == 0 && o->umask <= 0777)
            return 0;
        break;
    case FUSE_OPT_KEY_NONOPT:
        /* mount.fuse3 runs "graphsyncfs SOURCE MOUNTPOINT -o ...": keep both */
        if (o->nonopts == 0) {
            o->mountpoint = strdup(arg);
        } else if (o->nonopts == 1) {
            o->source = o->mountpoint;
            o->mountpoint = strdup(arg);
        } else {
            fprintf(stderr, "graphsyncfs: too many arguments: %s\n", arg);
            return -1;
        }
        o->nonopts++;
        return o->mountpoint ? 0 : -1;
    default:
        return 1;
    }
    fprintf(stderr, "graphsyncfs: invalid option value: %s\n", arg);
    return -1;
}

int gs_parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return -EINVAL;
    double mult = 1;
    if (*end) {
        switch (*end) {
        case 'k': case 'K': mult = 1024.0; break;
        case 'm': case 'M': mult = 1024.0 * 1024; break;
        case 'g': case 'G': mult = 1024.0 * 1024 * 1024; break;
        default: return -EINVAL;
        }
        end++;
        if (*end == 'i')
            end++;
        if (*end == 'B' || *end == 'b')
            end++;
        if (*end)
            return -EINVAL;
    }
    v *= mult;
    if (v > (double)SIZE_MAX / 2)
        return -EINVAL;
    *out = (size_t)v;
    return 0;
}

static int check_timeout(const char *name, double v)
{
    if (v < 0 || v > 86400 * 365) {
        fprintf(stderr, "graphsyncfs: %s must be between 0 and 31536000 seconds\n", name);
        return -EINVAL;
    }
    return 0;
}

/* warn_escrow=, crit_escrow= (counts), warn_stale=, crit_stale= (durations). */
static int parse_thresholds(struct gs_options *o)
{
    struct gs_thresholds t = GS_THRESHOLDS_DEFAULT;
    if ((o->warn_escrow && gs_parse_count(o->warn_escrow, &t.warn_escrow) != 0) ||
        (o->crit_escrow && gs_parse_count(o->crit_escrow, &t.crit_escrow) != 0)) {
        fprintf(stderr, "graphsyncfs: warn_escrow and crit_escrow must be a count or off\n");
        return -EINVAL;
    }
    if ((o->warn_stale && gs_parse_duration(o->warn_stale, &t.warn_stale) != 0) ||
        (o->crit_stale && gs_parse_duration(o->crit_stale, &t.crit_stale) != 0)) {
        fprintf(stderr, "graphsyncfs: warn_stale and crit_stale must be a duration "
                "(3600, 90m, 6h, 2d) or off\n");
        return -EINVAL;
    }
    o->thresholds = t;
    return 0;
}

/* The monitoring thresholds, backup_keep and syslog_socket. */
static int check_operations(struct gs_options *o)
{
    if (parse_thresholds(o) != 0)
        return -EINVAL;
    if (o->backup_keep < 0) {
        fprintf(stderr, "graphsyncfs: backup_keep must be 0 (keep all) or a positive number\n");
        return -EINVAL;
    }
    if (o->syslog_socket && o->syslog_socket[0] != '/') {
        fprintf(stderr, "graphsyncfs: syslog_socket must be an absolute path\n");
        return -EINVAL;
    }
    return 0;
}

static void set_defaults(struct gs_options *o)
{
    memset(o, 0, sizeof(*o));
    o->dir_timeout = 60;
    o->status_timeout = 5;
    o->doc_timeout = 300;
    o->entry_timeout = 1;
    o->attr_timeout = 1;
    o->timeout = 30;
    o->connect_timeout = 10;
    o->stale_timeout = 3600;
    o->threads = GS_DEFAULT_THREADS;
    o->retries = 3;
    o->max_conns = 32;
    o->backup_keep = 100;
    o->cache_bytes = 64u << 20;
    o->max_names = 100000;
}

/* Where Graph is: cloud, graph_url, authority, api, auth. */
static int resolve_graph(struct gs_options *o)
{
    o->graph_url_given = o->graph_url != NULL;
    if (o->cloud && gs_cloud_lookup(o->cloud, NULL, NULL, NULL) != 0) {
        fprintf(stderr, "graphsyncfs: cloud must be global, usgov, dod or china, not '%s'\n", o->cloud);
        return -EINVAL;
    }
    if (!o->graph_url) {
        const char *root = "https://graph.microsoft.com";
        if (o->cloud)
            gs_cloud_lookup(o->cloud, &root, NULL, NULL);
        o->graph_url = strdup(root);
    }
    if (!o->authority && o->cloud) {
        const char *login = NULL;
        gs_cloud_lookup(o->cloud, NULL, &login, NULL);
        o->authority = login ? strdup(login) : NULL;
    }
    if (!o->api)
        o->api = strdup("v1.0");
    if (!o->auth)
        o->auth = strdup("auto");
    if (!o->graph_url || !o->api || !o->auth)
        return -ENOMEM;
    if (strcmp(o->api, "v1.0") != 0 && strcmp(o->api, "beta") != 0) {
        fprintf(stderr, "graphsyncfs: api must be v1.0 or beta, not '%s'\n", o->api);
        return -EINVAL;
    }
    if (strncmp(o->graph_url, "https://", 8) != 0 && strncmp(o->graph_url, "http://", 7) != 0) {
        fprintf(stderr, "graphsyncfs: graph_url must start with https:// (or http:// for a local emulator)\n");
        return -EINVAL;
    }
    size_t ul = strlen(o->graph_url);
    while (ul > 8 && o->graph_url[ul - 1] == '/')
        o->graph_url[--ul] = '\0';
    return 0;
}

/* Timeouts, retries and connections. */
static int check_network(const struct gs_options *o)
{
    if (check_timeout("dir_timeout", o->dir_timeout) || check_timeout("status_timeout", o->status_timeout) ||
        check_timeout("doc_timeout", o->doc_timeout) || check_timeout("entry_timeout", o->entry_timeout) ||
        check_timeout("attr_timeout", o->attr_timeout) || check_timeout("timeout", o->timeout) ||
        check_timeout("connect_timeout", o->connect_timeout) ||
        check_timeout("stale_timeout", o->stale_timeout))
        return -EINVAL;
    if (o->timeout == 0 || o->connect_timeout == 0) {
        fprintf(stderr, "graphsyncfs: timeout and connect_timeout must be positive\n");
        return -EINVAL;
    }
    if (o->threads < 2 || o->threads > 10000) {
        fprintf(stderr, "graphsyncfs: threads must be between 2 and 10000\n");
        return -EINVAL;
    }
    if (o->retries < 0 || o->retries > 20) {
        fprintf(stderr, "graphsyncfs: retries must be between 0 and 20\n");
        return -EINVAL;
    }
    if (o->max_conns < 1 || o->max_conns > 256) {
        fprintf(stderr, "graphsyncfs: max_conns must be between 1 and 256\n");
        return -EINVAL;
    }
    return 0;
}

/* log_window, log_poll and log_rate (the provisioning logs, fs/views/logs). */
static int parse_logs(struct gs_options *o)
{
    char why[160];
    if (gs_logs_config_parse(o->log_window, o->log_poll, o->log_rate, o->timeout, &o->logs, why,
                             sizeof(why)) != 0) {
        fprintf(stderr, "graphsyncfs: %s\n", why);
        return -EINVAL;
    }
    return 0;
}

/* batch and cache_size. */
static int parse_sizes(struct gs_options *o)
{
    o->batch_workers = o->max_conns; /* the window adapts up to this */
    if (o->batch) {
        char *end;
        long b = strtol(o->batch, &end, 10);
        if (strcmp(o->batch, "off") == 0 || strcmp(o->batch, "0") == 0) {
            o->batch_workers = 0;
        } else if (*end || end == o->batch || b < 1 || b > 256) {
            fprintf(stderr, "graphsyncfs: batch must be off or the most batches in flight (1-256)\n");
            return -EINVAL;
        } else {
            o->batch_workers = (int)b;
        }
    }
    if (o->cache_size && gs_parse_size(o->cache_size, &o->cache_bytes) != 0) {
        fprintf(stderr, "graphsyncfs: cache_size '%s' is not a size (e.g. 64M)\n", o->cache_size);
        return -EINVAL;
    }
    if (o->max_names != 0 && (o->max_names < 100 || o->max_names > 100000000)) {
        fprintf(stderr, "graphsyncfs: max_names must be 0 (never forget) or 100 to 100000000\n");
        return -EINVAL;
    }
    return 0;
}

/* backup_dir: absolute, or none, or the XDG state directory's. */
static int resolve_backup_dir(struct gs_options *o)
{
    if (o->backup_dir && strcmp(o->backup_dir, "none") != 0 && o->backup_dir[0] != '/') {
        fprintf(stderr, "graphsyncfs: backup_dir must be an absolute path (or none)\n");
        return -EINVAL;
    }
    if (o->backup_dir)
        return 0;
    const char *state = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    int n;
    if (state && state[0] == '/')
        n = asprintf(&o->backup_dir, "%s/graphsyncfs/backups", state);
    else if (home && home[0] == '/')
        n = asprintf(&o->backup_dir, "%s/.local/state/graphsyncfs/backups", home);
    else
        n = asprintf(&o->backup_dir, "/var/lib/graphsyncfs/backups");
    return n < 0 ? -ENOMEM : 0;
}

int gs_options_parse(struct fuse_args *args, struct gs_options *o)
{
    set_defaults(o);
    if (fuse_opt_parse(args, o, opts, opt_proc) != 0)
        return -EINVAL;
    /* libfuse's own parser takes the mount point from here */
    if (o->mountpoint && fuse_opt_add_arg(args, o->mountpoint) != 0)
        return -ENOMEM;
    if (o->show_help || o->show_version)
        return 0;
    int r = resolve_graph(o);
    if (r == 0)
        r = check_network(o);
    if (r == 0)
        r = parse_logs(o);
    if (r == 0)
        r = parse_sizes(o);
    if (r == 0)
        r = resolve_backup_dir(o);
    if (r == 0)
        r = check_operations(o);
    if (r < 0)
        return r;
    /* allow_other without permission checks would let any user read the tenant */
    if (o->allow_other && !o->default_permissions) {
        if (fuse_opt_add_arg(args, "-odefault_permissions") != 0)
            return -ENOMEM;
        o->default_permissions = 1;
    }
    return 0;
}

void gs_options_free(struct gs_options *o)
{
    free(o->graph_url);
    free(o->api);
    free(o->cloud);
    free(o->auth);
    free(o->authority);
    free(o->tenant);
    free(o->client_id);
    free(o->client_secret_file);
    free(o->client_certificate);
    free(o->token_command);
    free(o->token_cache);
    free(o->log_level);
    free(o->cache_size);
    free(o->backup_dir);
    free(o->batch);
    free(o->warn_escrow);
    free(o->crit_escrow);
    free(o->warn_stale);
    free(o->crit_stale);
    free(o->syslog_socket);
    free(o->log_window);
    free(o->log_poll);
    free(o->log_rate);
    free(o->source);
    free(o->mountpoint);
}

void gs_options_usage(const char *progname)
{
    printf("usage: %s [options] <mountpoint>\n\n"
           "graphsyncfs options:\n"
           "    -o graph_url=URL        Graph root (default https://graph.microsoft.com)\n"
           "    -o api=v1.0|beta        Graph API version (default v1.0)\n"
           "    -o auth=METHOD          auto (default), env, workload, managed, cli, device,\n"
           "                            secret, certificate, token_command or none\n"
           "    -o cloud=NAME           global (default), usgov, dod or china\n"
           "    -o authority=URL        login root (default: the cloud's)\n"
           "    -o tenant=ID            tenant id or domain\n"
           "    -o client_id=ID         application (client) id\n"
           "    -o client_secret_file=F file holding the client secret (mode 0600)\n"
           "    -o client_certificate=F PEM (or PKCS#12) with key and certificate (0600)\n"
           "    -o token_command=CMD    command that prints a token\n"
           "    -o token_cache=F        device code: keep the refresh token in F (0600)\n"
           "    -o dir_timeout=S        listings time-to-live (default 60)\n"
           "    -o status_timeout=S     jobs and status time-to-live (default 5)\n"
           "    -o doc_timeout=S        documents time-to-live (default 300)\n"
           "    -o cache_size=SIZE      memory bound of the cache (default 64M)\n"
           "    -o max_names=N          names held before the kernel is asked to forget\n"
           "                            those used longest ago; 0: never (default 100000)\n"
           "    -o stale_timeout=S      serve cached content this long past its time-to-live\n"
           "                            while Graph is unreachable; 0: never (default 3600)\n"
           "    -o backup_dir=DIR       where replaced schemas are kept, or none\n"
           "                            (default ~/.local/state/graphsyncfs/backups)\n"
           "    -o backup_keep=N        backups kept per job, 0: all (default 100)\n"
           "    -o warn_escrow=N        check: WARNING from N escrowed entries (default 1)\n"
           "    -o crit_escrow=N        check: CRITICAL from N escrowed (default 100)\n"
           "    -o warn_stale=DURATION  check: WARNING after no success for (default 6h)\n"
           "    -o crit_stale=DURATION  check: CRITICAL after no success for (default 24h)\n"
           "    -o syslog_socket=PATH   also send audit lines to this syslog socket\n"
           "    -o timeout=S            time limit of one request attempt (default 30)\n"
           "    -o connect_timeout=S    time limit to connect (default 10)\n"
           "    -o retries=N            retries of retryable failures (default 3)\n"
           "    -o max_conns=N          connections kept to Graph (default 32)\n"
           "    -o batch=N|off          most read-ahead $batch requests in flight (default max_conns)\n"
           "    -o log_window=D         history a provisioning-log file starts with (default 24h)\n"
           "    -o log_poll=D           new log events are fetched this often while read (default 30s)\n"
           "    -o log_rate=N/S         log requests allowed per S seconds (default 5/10)\n"
           "    -o log_level=LEVEL      error, warn, info or debug (default warn)\n"
           "    -o http_debug           log every request (never tokens)\n"
           "    -o strict               tenant-wide views with a gap fail with EIO\n"
           "    -o dumpable             allow core dumps (debugging; they may hold secrets)\n"
           "    -o threads=N            threads serving system calls (default 100)\n"
           "    -o entry_timeout=S      kernel name cache (default 1)\n"
           "    -o attr_timeout=S       kernel attribute cache (default 1)\n"
           "    -o uid=N,gid=N,umask=M  owner and mode of every file\n"
           "    -o ro                   read-only mount\n"
           "    -o allow_other          let other users in (turns on default_permissions)\n\n",
           progname);
}
