/* Names from Graph become safe file names. */
#include <string.h>

#include "tests/unit/check.h"
#include "fs/model/names.h"

static void expect(const char *in, size_t max, const char *want)
{
    char *got = gs_name_safe(in, max);
    CHECK_STR(got, want);
    free(got);
}

int main(void)
{
    expect("Salesforce", 255, "Salesforce");
    expect("HR/Payroll", 255, "HR\xef\xbc\x8fPayroll");
    expect(".", 255, "_.");
    expect("..", 255, "_..");
    expect("...", 255, "...");
    expect("", 255, "_");
    expect(NULL, 255, "_");
    expect("tab\there", 255, "tab_here");
    expect("bad\xff" "byte", 255, "bad_byte");
    expect("Z\xc3\xbcrich \xe2\x80\x93 Workday", 255, "Z\xc3\xbcrich \xe2\x80\x93 Workday");
    /* a cut never splits a character: 'ü' is two bytes */
    expect("Z\xc3\xbc", 2, "Z");
    expect("abcdef", 4, "abcd");
    /* found by fuzz_names: a cut must not leave "." or ".." */
    expect("..b\xa9", 2, "_.");
    expect("..\xc3\xbc", 3, "_..");

    char longname[600];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    char *s = gs_name_safe(longname, 255);
    CHECK(s && strlen(s) == 255);
    free(s);

    const char *id = "0f3e4ad4-7e2b-4c59-9a6a-3d3c0d3b1f01";
    char *d = gs_name_with_id(longname, id);
    CHECK(d && strlen(d) <= 255);
    CHECK(d && strlen(d) > strlen(id) && strcmp(d + strlen(d) - strlen(id), id) == 0);
    CHECK(d && d[strlen(d) - strlen(id) - 1] == '~');
    free(d);
    d = gs_name_with_id("Slack", id);
    CHECK_STR(d, "Slack~0f3e4ad4-7e2b-4c59-9a6a-3d3c0d3b1f01");
    free(d);

    CHECK(gs_name_is_safe("SfSandboxOutDelta.e4bbf44533ea4eabb17027f3a92e92aa"));
    CHECK(!gs_name_is_safe(".."));
    CHECK(!gs_name_is_safe("a/b"));
    CHECK(!gs_name_is_safe(""));
    CHECK(!gs_name_is_safe(longname));
    return check_report("test_names");
}
