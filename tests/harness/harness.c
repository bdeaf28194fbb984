/* SPDX-License-Identifier: Apache-2.0 */
/* The unit-test harness: one-case runs, fixtures, temporary folders. */
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int mt_test_main(int argc, char **argv, const struct CMUnitTest *tests, size_t count,
                 const char *group)
{
    if (argc > 1) {
        size_t i;
        for (i = 0; i < count; i++) {
            if (strcmp(tests[i].name, argv[1]) == 0)
                break;
        }
        if (i == count) {
            fprintf(stderr, "no test case named '%s' in %s\n", argv[1], group);
            return 1;
        }
        return _cmocka_run_group_tests(group, &tests[i], 1, NULL, NULL);
    }
    return _cmocka_run_group_tests(group, tests, count, NULL, NULL);
}

const char *mt_test_fixture(const char *relative)
{
    static char path[4096];
    snprintf(path, sizeof(path), "%s/%s", MT_FIXTURES, relative);
    return path;
}

void mt_test_read_file(const char *path, struct mt_buf *out)
{
    char chunk[65536];
    size_t n;

    mt_buf_init(out, 0);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open fixture '%s'", path);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        assert_int_equal(mt_buf_append(out, chunk, n), MT_OK);
    fclose(f);
    if (out->data == NULL)
        assert_int_equal(mt_buf_append(out, "", 0), MT_OK);
}

const char *mt_test_tmpdir(void)
{
    static char path[4096];
    const char *base = getenv("TMPDIR");
    snprintf(path, sizeof(path), "%s/mt-test-XXXXXX", base && base[0] ? base : "/tmp");
    if (mkdtemp(path) == NULL)
        fail_msg("cannot create a temporary folder");
    return path;
}

void mt_test_assert_str(struct mt_str s, const char *expected, const char *file, int line)
{
    if (expected == NULL) {
        if (s.ptr != NULL) {
            print_error("expected null, got '%.*s'\n", (int)s.len, s.ptr);
            _fail(file, line);
        }
        return;
    }
    if (s.ptr == NULL) {
        print_error("expected '%s', got null\n", expected);
        _fail(file, line);
    } else if (s.len != strlen(expected) || memcmp(s.ptr, expected, s.len) != 0) {
        print_error("expected '%s', got '%.*s'\n", expected, (int)s.len, s.ptr);
        _fail(file, line);
    }
}

void mt_test_sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}
