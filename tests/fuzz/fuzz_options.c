/* Mount options: any -o string is parsed or refused, never crashes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs/kernel/options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *opt = malloc(size + 1);
    if (!opt)
        return 0;
    memcpy(opt, data, size);
    opt[size] = '\0';
    char *argv[] = {"graphsyncfs", "-o", opt, "/mnt", NULL};
    struct fuse_args args = FUSE_ARGS_INIT(4, argv);
    struct gs_options o;
    /* fuse_opt prints refusals to stderr: keep them out of the fuzzer's way */
    gs_options_parse(&args, &o);
    fuse_opt_free_args(&args);
    gs_options_free(&o);
    free(opt);
    size_t sz;
    char *s = strndup((const char *)data, size);
    if (s) {
        gs_parse_size(s, &sz);
        free(s);
    }
    return 0;
}
