/* The hash map keeps every key through growth and deletion. */
#include <stdint.h>
#include <stdio.h>

#include "tests/unit/check.h"
#include "common/map.h"

int main(void)
{
    struct gs_map m;
    CHECK(gs_map_init(&m) == 0);
    static int values[5000];
    char key[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        CHECK(gs_map_puts(&m, key, &values[i], NULL) == 0);
    }
    CHECK(m.count == 5000);
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        CHECK(gs_map_gets(&m, key) == &values[i]);
    }
    void *old = NULL;
    CHECK(gs_map_puts(&m, "k7", &values[8], &old) == 0);
    CHECK(old == &values[7]);
    CHECK(m.count == 5000);
    for (int i = 0; i < 5000; i += 2) {
        snprintf(key, sizeof(key), "k%d", i);
        CHECK(gs_map_dels(&m, key) != NULL);
    }
    CHECK(m.count == 2500);
    CHECK(gs_map_gets(&m, "k0") == NULL);
    CHECK(gs_map_gets(&m, "k1") == &values[1]);
    CHECK(gs_map_dels(&m, "missing") == NULL);
    uint64_t ino = 42;
    CHECK(gs_map_put(&m, &ino, sizeof(ino), &values[0], NULL) == 0);
    CHECK(gs_map_get(&m, &ino, sizeof(ino)) == &values[0]);
    gs_map_destroy(&m);
    return check_report("test_map");
}
