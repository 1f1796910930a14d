/* graphsyncfs: mount Microsoft Graph's synchronization API.
 * Parses options, reaches Graph before daemonizing (a bad setup fails the
 * mount with a one-line reason), then serves FUSE requests. */
#include <curl/curl.h>
#include <errno.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "api/auth/auth.h"
#include "api/cloud.h"
#include "api/graph_client.h"
#include "common/log.h"
#include "common/secmem.h"
#include "cache/cache.h"
#include "fs/actions/audit.h"
#include "fs/filesystem.h"
#include "fs/kernel/inval.h"
#include "fs/kernel/interruptible.h"
#include "fs/kernel/request_pool.h"
#include "fs/kernel/shutdown.h"
#include "common/interrupt.h"
#include "fs/kernel/ops.h"
#include "fs/kernel/ops_internal.h"
#include "fs/kernel/options.h"
#include "fs/malloc_tune.h"
#include "fs/probe.h"

static void on_cache_change(void *ctx, const char *key)
{
    struct gs_fs *fs = ctx;
    __atomic_add_fetch(&fs->content_changes, 1, __ATOMIC_RELAXED);
    gs_inval_push_key(__atomic_load_n(&fs->inval, __ATOMIC_ACQUIRE), key);
}

static void log_auth(void *ctx, const char *msg)
{
    (void)ctx;
    gs_warn("authentication: %s", msg);
}

static int client_config(const struct gs_options *o, struct gs_client_config *cc)
{
    memset(cc, 0, sizeof(*cc));
    cc->graph_url = o->graph_url;
    cc->api_version = o->api;
    cc->timeout_ms = (long)(o->timeout * 1000);
    cc->connect_timeout_ms = (long)(o->connect_timeout * 1000);
    cc->retries = o->retries;
    cc->max_conns = o->max_conns;
    cc->http_debug = o->http_debug;
    return 0;
}

/* The token provider, made before daemonizing: bad credentials, a refused
 * credential file or a device code login all happen on the terminal. */
static int make_auth(const struct gs_options *o, struct gs_auth **out)
{
    const char *scope = NULL;
    char scope_buf[512];
    if (o->cloud) {
        gs_cloud_lookup(o->cloud, NULL, NULL, &scope);
    } else if (o->graph_url_given && strncmp(o->graph_url, "https://", 8) == 0) {
        snprintf(scope_buf, sizeof(scope_buf), "%s/.default", o->graph_url);
        scope = scope_buf;
    }
    struct gs_auth_config ac = {
        .method = o->auth,
        .authority = o->authority,
        .tenant = o->tenant,
        .client_id = o->client_id,
        .client_secret_file = o->client_secret_file,
        .client_certificate = o->client_certificate,
        .token_command = o->token_command,
        .token_cache = o->token_cache,
        .scope = scope,
        .timeout_ms = (long)(o->timeout * 1000),
        .interactive = isatty(STDIN_FILENO) && isatty(STDERR_FILENO),
        .log_fn = log_auth,
    };
    char why[2048] = "";
    int r = gs_auth_new(&ac, out, why, sizeof(why));
    if (r < 0) {
        /* the reason names the method already */
        fprintf(stderr, "graphsyncfs: %s\n", why[0] ? why : strerror(-r));
        return r;
    }
    if (strcmp(o->auth, "auto") == 0)
        fprintf(stderr, "graphsyncfs: auth=auto: using %s\n", gs_auth_method_name(*out));
    return 0;
}

/* The mount's source (findmnt, df): what tells one tenant's mount from
 * another's. The source argument (fstab's first field, the unit's instance)
 * when given, else tenant=, else $AZURE_TENANT_ID, else the Graph host. */
static void mount_source(const struct gs_options *o, char *out, size_t cap)
{
    const char *env_tenant = getenv("AZURE_TENANT_ID");
    if (o->source && o->source[0] && strcmp(o->source, "none") != 0)
        snprintf(out, cap, "%s", o->source);
    else if (o->tenant && o->tenant[0])
        snprintf(out, cap, "%s", o->tenant);
    else if (env_tenant && env_tenant[0])
        snprintf(out, cap, "%s", env_tenant);
    else {
        const char *host = strstr(o->graph_url, "://");
        snprintf(out, cap, "graphsyncfs:%s", host ? host + 3 : o->graph_url);
        out[strcspn(out, "/")] = '\0';
    }
    /* ',' would split the option and '\\' would be taken as an escape */
    for (char *p = out; *p; p++)
        if (*p == ',' || *p == '\\' || *p == ' ' || *p == '\t' || *p == '\n')
            *p = '_';
}

static int add_default_args(struct fuse_args *args, const struct gs_options *o)
{
    char source[256], buf[320];
    mount_source(o, source, sizeof(source));
    snprintf(buf, sizeof(buf), "-osubtype=graphsyncfs,fsname=%s", source);
    return fuse_opt_add_arg(args, buf);
}

/* Not dumpable (no core on a crash, /proc/<pid>/mem for root only) unless
 * the dumpable option asks; libcurl and cJSON wipe what they free, so that
 * a token or a secret does not outlive its buffer (common/secmem.h). */
static void keep_secrets_out_of_dumps(int dumpable)
{
    if (!dumpable && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        gs_warn("cannot turn core dumps off: %s", strerror(errno));
    int r = gs_auth_protect_memory(); /* before libcurl starts OpenSSL */
    if (r < 0)
        gs_warn("OpenSSL's memory is not kept out of core dumps: %s", strerror(-r));
    cJSON_Hooks hooks = {.malloc_fn = gs_wipe_malloc, .free_fn = gs_wipe_free};
    cJSON_InitHooks(&hooks);
}

/* --version and --help: printed, and nothing else happens. 1 when one was given. */
static int info_only(const struct gs_options *o, const char *prog)
{
    if (o->show_version) {
        printf("graphsyncfs version %s\nFUSE library version %s\n", GS_VERSION, fuse_pkgversion());
        return 1;
    }
    if (o->show_help) {
        gs_options_usage(prog);
        printf("FUSE options:\n");
        fuse_cmdline_help();
        fuse_lowlevel_help();
        return 1;
    }
    return 0;
}

static int set_log_level(const struct gs_options *o, int debug)
{
    enum gs_log_level lvl = debug ? GS_LOG_DEBUG : GS_LOG_WARN;
    if (o->log_level && gs_log_parse_level(o->log_level, &lvl) != 0) {
        fprintf(stderr, "graphsyncfs: log_level must be error, warn, info or debug\n");
        return -EINVAL;
    }
    gs_log_set_level(lvl);
    return 0;
}

static void fs_config(const struct gs_options *o, struct gs_fs_config *fc)
{
    *fc = (struct gs_fs_config){
        .entry_timeout = o->entry_timeout,
        .attr_timeout = o->attr_timeout,
        .read_only = o->read_only,
        .uid = o->has_uid ? o->uid : getuid(),
        .gid = o->has_gid ? o->gid : getgid(),
        .umask = o->has_umask ? o->umask : 022,
        .backup_dir = strcmp(o->backup_dir, "none") == 0 ? NULL : o->backup_dir,
        .serve_stale = o->stale_timeout > 0,
        .listing_recent = o->dir_timeout,
        .view_ttl = o->status_timeout,
        .thresholds = o->thresholds,
        .backup_keep = o->backup_keep,
        .strict = o->strict,
        .cache_bytes = o->cache_bytes,
        .max_names = (size_t)o->max_names,
    };
}

/* FUSE's request loop until unmount; 0 on a clean end. */
static int request_loop(struct fuse_session *se, const struct fuse_cmdline_opts *copts, int threads)
{
    if (copts->singlethread)
        return fuse_session_loop(se) != 0;
    struct fuse_loop_config *lc = fuse_loop_cfg_create();
    if (!lc)
        return 1;
    fuse_loop_cfg_set_clone_fd(lc, (unsigned)copts->clone_fd);
    /* libfuse's default of 10 workers let an 11th caller wait in the
     * kernel before its own time bound even began (issue 13, finding 6) */
    fuse_loop_cfg_set_max_threads(lc, (unsigned)threads);
    int r = fuse_session_loop_mt(se, lc);
    fuse_loop_cfg_destroy(lc);
    return r != 0;
}

/* After daemonizing: the client (its connections belong to this process),
 * the cache, the filesystem's parts, then requests until unmount. */
static int serve(struct fuse_session *se, struct gs_fs *fs, const struct gs_options *o,
                 const struct gs_client_config *cc, const struct fuse_cmdline_opts *copts)
{
    struct gs_client *client = NULL;
    struct gs_cache *cache = NULL;
    if (gs_client_new(cc, &client) != 0) {
        gs_error_log("cannot start the Graph client");
        return 1;
    }
    struct gs_cache_config kc = {
        .ttl = {[GS_TTL_DIR] = o->dir_timeout, [GS_TTL_STATUS] = o->status_timeout,
                [GS_TTL_DOC] = o->doc_timeout},
        .max_bytes = o->cache_bytes,
        .max_stale = o->stale_timeout,
    };
    int ret = 1;
    struct gs_fs_config fc;
    fs_config(o, &fc);
    fc.mountpoint = copts->mountpoint;
    fs->se = se;
    if (gs_cache_new(client, &kc, on_cache_change, fs, &cache) != 0) {
        gs_error_log("cannot create the cache");
    } else if (gs_filesystem_start(fs, &fc, client, cache, o->batch_workers, &o->logs) != 0) {
        gs_error_log("cannot start the filesystem");
    } else {
        if (gs_shutdown_watch_start(se) != 0)
            gs_warn("cannot start the shutdown watcher: a stop may wait for requests in flight");
        if (gs_rq_start((unsigned)o->threads, o->timeout * (o->retries + 1)) != 0)
            gs_warn("cannot start the request threads: calls beyond libfuse's threads wait in the kernel");
        ret = request_loop(se, copts, o->threads);
        gs_stop_all(); /* whatever still waits on Graph gives up */
        gs_rq_stop();  /* the calls still queued end at once */
        gs_shutdown_watch_stop();
        gs_filesystem_stop(fs);
    }
    gs_cache_free(cache);
    gs_client_free(client);
    return ret;
}

/* Mounts, daemonizes and serves; unmounts at the end. */
static int mount_and_serve(struct fuse_args *args, const struct fuse_cmdline_opts *copts,
                           const struct gs_options *o, const struct gs_client_config *cc)
{
    struct gs_fs *fs = calloc(1, sizeof(*fs));
    if (!fs)
        return 1;
    int ret = 1;
    struct fuse_session *se = fuse_session_new(args, gs_interruptible_ops(&gs_ops), sizeof(gs_ops), fs);
    if (!se)
        goto out_fs;
    if (fuse_set_signal_handlers(se) != 0)
        goto out_session;
    if (fuse_session_mount(se, copts->mountpoint) != 0)
        goto out_signals;
    if (fuse_daemonize(copts->foreground) == 0) {
        if (!copts->foreground)
            gs_log_use_syslog(1);
        ret = serve(se, fs, o, cc, copts);
    }
    fuse_session_unmount(se);
out_signals:
    fuse_remove_signal_handlers(se);
out_session:
    fuse_session_destroy(se);
out_fs:
    free(fs);
    return ret;
}

/* Before daemonizing, on the terminal: the token provider and one request
 * to Graph; then mount and serve. */
static int start(struct fuse_args *args, const struct fuse_cmdline_opts *copts, const struct gs_options *o)
{
    struct gs_client_config cc;
    struct gs_auth *auth = NULL;
    int ret = 1;
    if (client_config(o, &cc) != 0)
        return 1;
    keep_secrets_out_of_dumps(o->dumpable);
    if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, gs_wipe_malloc, gs_wipe_free, gs_wipe_realloc,
                             gs_wipe_strdup, gs_wipe_calloc) != CURLE_OK) {
        fprintf(stderr, "graphsyncfs: cannot initialise libcurl\n");
        return 1;
    }
    if (make_auth(o, &auth) == 0) {
        if (strcmp(gs_auth_method_name(auth), "none") != 0) {
            cc.token_fn = gs_auth_token;
            cc.token_ctx = auth;
        }
        cc.audit_fn = gs_audit_graph;
        /* one small request before daemonizing: the URL, the network and the
         * token all work, or the mount fails now with the reason */
        if (gs_log_set_syslog_socket(o->syslog_socket) == 0 && gs_probe_graph(&cc) == 0 &&
            add_default_args(args, o) == 0)
            ret = mount_and_serve(args, copts, o, &cc);
    }
    gs_auth_free(auth);
    curl_global_cleanup();
    return ret;
}

int main(int argc, char *argv[])
{
    gs_malloc_tune(argv);
    struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
    struct fuse_cmdline_opts copts;
    struct gs_options o;
    int ret = 1;

    memset(&copts, 0, sizeof(copts));
    if (gs_options_parse(&args, &o) != 0)
        goto out;
    if (info_only(&o, argv[0])) {
        ret = 0;
        goto out;
    }
    if (fuse_parse_cmdline(&args, &copts) != 0)
        goto out;
    if (!copts.mountpoint) {
        fprintf(stderr, "graphsyncfs: no mountpoint given (see --help)\n");
        goto out;
    }
    if (set_log_level(&o, copts.debug) == 0)
        ret = start(&args, &copts, &o);
out:
    free(copts.mountpoint);
    fuse_opt_free_args(&args);
    gs_options_free(&o);
    /* every secret is wiped by now: a leak checker that attaches at exit
     * (LeakSanitizer) may, also for a user without CAP_SYS_PTRACE */
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    return ret;
}
