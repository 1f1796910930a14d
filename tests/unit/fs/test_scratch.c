/* Scratch files: memory-only files with POSIX-like writes, renames, limits. */
#include <errno.h>

#include "tests/unit/check.h"
#include "fs/actions/scratch.h"

int main(void)
{
    struct gs_scratch_store *s;
    CHECK(gs_scratch_new(&s, 1 << 20) == 0);
    CHECK(gs_scratch_create(s, "job/a/b", ".schema.json.swp", 0600, 0, 0, NULL, 0) == 0);
    CHECK(gs_scratch_exists(s, "job/a/b", ".schema.json.swp"));
    CHECK(!gs_scratch_exists(s, "job/a/c", ".schema.json.swp"));
    CHECK(gs_scratch_write(s, "job/a/b", ".schema.json.swp", "hello", 5, 0) == 0);
    CHECK(gs_scratch_write(s, "job/a/b", ".schema.json.swp", "X", 1, 10) == 0);
    struct stat st;
    CHECK(gs_scratch_stat(s, "job/a/b", ".schema.json.swp", &st) == 0);
    CHECK(st.st_size == 11);
    CHECK((st.st_mode & 07777) == 0600 && S_ISREG(st.st_mode));
    struct gs_blob *b = NULL;
    CHECK(gs_scratch_read(s, "job/a/b", ".schema.json.swp", &b) == 0);
    CHECK(b && b->len == 11 && memcmp(b->data, "hello\0\0\0\0\0X", 11) == 0);
    gs_blob_unref(b);
    CHECK(gs_scratch_truncate(s, "job/a/b", ".schema.json.swp", 2) == 0);
    mode_t m = 0644;
    CHECK(gs_scratch_setattr(s, "job/a/b", ".schema.json.swp", &m, NULL, NULL, NULL, NULL) == 0);
    CHECK(gs_scratch_stat(s, "job/a/b", ".schema.json.swp", &st) == 0);
    CHECK(st.st_size == 2 && (st.st_mode & 07777) == 0644);
    CHECK(gs_scratch_rename(s, "job/a/b", ".schema.json.swp", "4913") == 0);
    CHECK(!gs_scratch_exists(s, "job/a/b", ".schema.json.swp"));
    CHECK(gs_scratch_exists(s, "job/a/b", "4913"));
    CHECK(gs_scratch_create(s, "job/a/b", "other", 0644, 0, 0, "zz", 2) == 0);
    CHECK(gs_scratch_rename(s, "job/a/b", "other", "4913") == 0); /* replaces */
    CHECK(gs_scratch_read(s, "job/a/b", "4913", &b) == 0);
    CHECK(b && b->len == 2 && memcmp(b->data, "zz", 2) == 0);
    gs_blob_unref(b);
    char **names;
    size_t n;
    CHECK(gs_scratch_create(s, "sp/a", "x", 0644, 0, 0, NULL, 0) == 0);
    CHECK(gs_scratch_list(s, "job/a/b", &names, &n) == 0);
    CHECK(n == 1 && strcmp(names[0], "4913") == 0);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    /* the memory bound holds */
    static char big[1 << 20];
    CHECK(gs_scratch_write(s, "sp/a", "x", big, sizeof(big), 0) == -ENOSPC);
    CHECK(gs_scratch_unlink(s, "job/a/b", "4913") == 0);
    CHECK(gs_scratch_unlink(s, "job/a/b", "4913") == -ENOENT);
    CHECK(gs_scratch_write(s, "sp/a", "x", big, sizeof(big) - 4096, 0) == 0);
    gs_scratch_free(s);
    return check_report("test_scratch");
}
