/* Mount options: defaults, values, fstab words, refusals. */
#include <fuse_lowlevel.h>

#include "tests/unit/check.h"
#include "fs/kernel/options.h"

static int parse(int argc, char **argv, struct gs_options *o, struct fuse_args *args)
{
    struct fuse_args a = FUSE_ARGS_INIT(argc, argv);
    *args = a;
    return gs_options_parse(args, o);
}

static int has_arg(const struct fuse_args *a, const char *s)
{
    for (int i = 0; i < a->argc; i++)
        if (strstr(a->argv[i], s))
            return 1;
    return 0;
}

int main(void)
{
    struct gs_options o;
    struct fuse_args a;
    size_t sz;

    char *v1[] = {"graphsyncfs", "-o", "graph_url=http://127.0.0.1:8080/,auth=none,status_timeout=2.5,_netdev,noauto,uid=1000,umask=027,cache_size=16M", "/mnt", NULL};
    CHECK(parse(4, v1, &o, &a) == 0);
    CHECK_STR(o.graph_url, "http://127.0.0.1:8080");
    CHECK_STR(o.auth, "none");
    CHECK_STR(o.api, "v1.0");
    CHECK(o.status_timeout == 2.5);
    CHECK(o.dir_timeout == 60 && o.doc_timeout == 300);
    CHECK(o.has_uid && o.uid == 1000 && !o.has_gid);
    CHECK(o.has_umask && o.umask == 027);
    CHECK(o.cache_bytes == 16u << 20);
    CHECK(!has_arg(&a, "_netdev") && !has_arg(&a, "noauto") && !has_arg(&a, "uid="));
    CHECK(has_arg(&a, "/mnt"));
    fuse_opt_free_args(&a);
    gs_options_free(&o);

    char *v2[] = {"graphsyncfs", "-o", "allow_other,ro", "/mnt", NULL};
    CHECK(parse(4, v2, &o, &a) == 0);
    CHECK(o.allow_other && o.default_permissions && o.read_only);
    CHECK(has_arg(&a, "default_permissions") && has_arg(&a, "allow_other"));
    fuse_opt_free_args(&a);
    gs_options_free(&o);

    char *v3[] = {"graphsyncfs", "-o", "api=v2", "/mnt", NULL};
    CHECK(parse(4, v3, &o, &a) != 0);
    fuse_opt_free_args(&a);
    gs_options_free(&o);

    char *v4[] = {"graphsyncfs", "-o", "retries=-1", "/mnt", NULL};
    CHECK(parse(4, v4, &o, &a) != 0);
    fuse_opt_free_args(&a);
    gs_options_free(&o);

    char *v5[] = {"graphsyncfs", "-o", "graph_url=ftp://x", "/mnt", NULL};
    CHECK(parse(4, v5, &o, &a) != 0);
    fuse_opt_free_args(&a);
    gs_options_free(&o);

    char *v6[] = {"graphsyncfs", "-o", "umask=999", "/mnt", NULL};
    CHECK(parse(4, v6, &o, &a) != 0);
    fuse_opt_free_args(&a);
    gs_options_free(&o);

    /* mount.fuse3: "graphsyncfs SOURCE MOUNTPOINT -o opts" */
    char *v7[] = {"graphsyncfs", "contoso", "/mnt/graph", "-o", "rw,auth=none,_netdev,dev,suid", NULL};
    CHECK(parse(5, v7, &o, &a) == 0);
    CHECK_STR(o.source, "contoso");
    CHECK_STR(o.mountpoint, "/mnt/graph");
    CHECK(has_arg(&a, "/mnt/graph") && !has_arg(&a, "contoso") && !has_arg(&a, "_netdev"));
    fuse_opt_free_args(&a);
    gs_options_free(&o);
    char *v8[] = {"graphsyncfs", "a", "b", "c", NULL};
    CHECK(parse(4, v8, &o, &a) != 0);
    fuse_opt_free_args(&a);
    gs_options_free(&o);

    CHECK(gs_parse_size("512k", &sz) == 0 && sz == 512 * 1024);
    CHECK(gs_parse_size("1GiB", &sz) == 0 && sz == 1u << 30);
    CHECK(gs_parse_size("4096", &sz) == 0 && sz == 4096);
    CHECK(gs_parse_size("12Q", &sz) != 0);
    CHECK(gs_parse_size("", &sz) != 0);
    return check_report("test_options");
}
