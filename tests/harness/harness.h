/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_TEST_HARNESS_H
#define MT_TEST_HARNESS_H

/*
 * Shared by every unit test: cmocka, a main that runs one named case (so
 * CTest registers each case as its own test), fixture access and string
 * assertions.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mt/buf.h"

/*
 * Runs the case named argv[1], or every case when no name is given.  A name
 * that matches no case fails, so a renamed test cannot pass by running
 * nothing.
 */
int mt_test_main(int argc, char **argv, const struct CMUnitTest *tests, size_t count,
                 const char *group);

#define MT_TEST_MAIN(tests)                                                                   \
    int main(int argc, char **argv)                                                           \
    {                                                                                         \
        return mt_test_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]), __FILE__); \
    }

/* The absolute path of a file under tests/fixtures, in a static buffer. */
const char *mt_test_fixture(const char *relative);

/* Reads a whole file into out (initialised here); fails the test when it cannot. */
void mt_test_read_file(const char *path, struct mt_buf *out);

/* A fresh empty folder under the temporary directory, in a static buffer. */
const char *mt_test_tmpdir(void);

/* Sleeps ms milliseconds (resumes after signals). */
void mt_test_sleep_ms(long ms);

/* Asserts that s is present and equals expected. */
#define assert_mt_str_equal(s, expected) mt_test_assert_str((s), (expected), __FILE__, __LINE__)

/* Asserts that s is absent (null). */
#define assert_mt_str_null(s) mt_test_assert_str((s), NULL, __FILE__, __LINE__)

void mt_test_assert_str(struct mt_str s, const char *expected, const char *file, int line);

#endif
