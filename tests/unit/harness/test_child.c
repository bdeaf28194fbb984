/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the stand-in process helper, with /bin/sh scripts as the children. */
#include "child.h"
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* How many descriptors this process has open. */
static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int count = 0;

    assert_non_null(d);
    while (readdir(d) != NULL)
        count++;
    closedir(d);
    return count;
}

/* Options that run script under /bin/sh, named "script" in error details. */
static struct mt_test_child_options sh_options(const char **argv, const char *script)
{
    argv[0] = "/bin/sh";
    argv[1] = "-c";
    argv[2] = script;
    argv[3] = NULL;
    return (struct mt_test_child_options){.argv = argv, .name = "script",
                                          .line_timeout_ms = 10000};
}

static void test_harness_child_start_reads_first_line(void **state)
{
    (void)state;
    const char *argv[4];
    struct mt_test_child_options o = sh_options(argv, "printf '7 8\\n'; exec cat >/dev/null");
    struct mt_test_child child;
    struct mt_err err = {0};
    char line[16];
    int fds_before = open_fds();

    assert_int_equal(mt_test_child_start(&child, &o, line, sizeof(line), &err), MT_OK);
    assert_string_equal(line, "7 8");
    assert_true(child.pid > 0);
    assert_int_equal(kill(child.pid, 0), 0);
    assert_int_equal(open_fds(), fds_before + 1);

    /* cat ends at the end of its stdin, so this is a clean exit, not a kill. */
    assert_int_equal(mt_test_child_stop(&child, 10000), 0);
    assert_int_equal(child.pid, -1);
    assert_int_equal(child.stdin_fd, -1);
    assert_int_equal(open_fds(), fds_before);
}

static void test_harness_child_start_passes_environment(void **state)
{
    (void)state;
    const char *argv[4];
    const char *envp[] = {"MT_CHILD_GREETING=hello there", NULL};
    struct mt_test_child_options o =
        sh_options(argv, "echo \"$MT_CHILD_GREETING/${MT_CHILD_OTHER-unset}\"; read x");
    struct mt_test_child child;
    struct mt_err err = {0};
    char line[64];

    setenv("MT_CHILD_OTHER", "from the test", 1);
    o.envp = envp;
    assert_int_equal(mt_test_child_start(&child, &o, line, sizeof(line), &err), MT_OK);
    assert_string_equal(line, "hello there/unset");

    /* read fails at the end of its stdin, and the script exits with its status. */
    assert_int_equal(mt_test_child_stop(&child, 10000), 1);
    unsetenv("MT_CHILD_OTHER");
}

static void test_harness_child_stop_kills_after_grace(void **state)
{
    (void)state;
    const char *argv[4];
    struct mt_test_child_options o = sh_options(argv, "echo ready; exec sleep 600");
    struct mt_test_child child;
    struct mt_err err = {0};
    char line[16];

    assert_int_equal(mt_test_child_start(&child, &o, line, sizeof(line), &err), MT_OK);
    pid_t pid = child.pid;

    assert_int_equal(mt_test_child_stop(&child, 100), 128 + SIGKILL);
    assert_int_equal(child.pid, -1);
    assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

static void test_harness_child_start_times_out(void **state)
{
    (void)state;
    const char *argv[4];
    struct mt_test_child_options o = sh_options(argv, "exec sleep 600");
    struct mt_test_child child;
    struct mt_err err = {0};
    char line[16];

    o.line_timeout_ms = 100;
    assert_int_equal(mt_test_child_start(&child, &o, line, sizeof(line), &err), MT_ERR_TIMEOUT);
    assert_string_equal(mt_err_text(&err), "script printed no line within 100 ms");
    assert_int_equal(child.pid, -1);
    assert_int_equal(child.stdin_fd, -1);
}

static void test_harness_child_start_reports_early_exit(void **state)
{
    (void)state;
    const char *argv[4];
    struct mt_test_child_options o = sh_options(argv, "printf 'no newline'; exit 3");
    struct mt_test_child child;
    struct mt_err err = {0};
    char line[16];

    assert_int_equal(mt_test_child_start(&child, &o, line, sizeof(line), &err), MT_ERR_IO);
    assert_string_equal(mt_err_text(&err), "script exited before printing its first line");
    assert_int_equal(child.pid, -1);
}

static void test_harness_child_start_rejects_long_line(void **state)
{
    (void)state;
    const char *argv[4];
    struct mt_test_child_options o = sh_options(argv, "echo 123456789; exec cat >/dev/null");
    struct mt_test_child child;
    struct mt_err err = {0};
    char line[8];

    assert_int_equal(mt_test_child_start(&child, &o, line, sizeof(line), &err),
                     MT_ERR_TOO_LARGE);
    assert_string_equal(mt_err_text(&err), "script printed a first line over 7 bytes");
    assert_int_equal(child.pid, -1);
}

static void test_harness_child_spawn_reports_missing_program(void **state)
{
    (void)state;
    const char *argv[] = {"/nonexistent/mt-child", NULL};
    struct mt_test_child_options o = {.argv = argv, .line_timeout_ms = 1000};
    struct mt_test_child child;
    struct mt_err err = {0};
    int out_fd = 0;

    assert_int_equal(mt_test_child_spawn(&child, &o, &out_fd, &err), MT_ERR_IO);
    assert_non_null(strstr(mt_err_text(&err), "cannot start '/nonexistent/mt-child'"));
    assert_int_equal(child.pid, -1);
    assert_int_equal(child.stdin_fd, -1);
    assert_int_equal(out_fd, -1);
}

static void test_harness_child_read_line_leaves_the_rest(void **state)
{
    (void)state;
    const char *argv[4];
    struct mt_test_child_options o =
        sh_options(argv, "printf 'one\\ntwo\\n'; exec cat >/dev/null");
    struct mt_test_child child;
    struct mt_err err = {0};
    char line[16];
    int out_fd = -1;

    assert_int_equal(mt_test_child_spawn(&child, &o, &out_fd, &err), MT_OK);
    assert_int_equal(mt_test_child_read_line(out_fd, &o, line, sizeof(line), &err), MT_OK);
    assert_string_equal(line, "one");
    assert_int_equal(mt_test_child_read_line(out_fd, &o, line, sizeof(line), &err), MT_OK);
    assert_string_equal(line, "two");
    close(out_fd);
    assert_int_equal(mt_test_child_stop(&child, 10000), 0);
}

static void test_harness_child_stop_leaves_a_reaped_pid_alone(void **state)
{
    (void)state;
    const char *argv[4];
    struct mt_test_child_options o = sh_options(argv, "echo bye");
    struct mt_test_child child;
    struct mt_err err = {0};
    char line[16];
    int status = 0;

    assert_int_equal(mt_test_child_start(&child, &o, line, sizeof(line), &err), MT_OK);
    assert_int_equal(waitpid(child.pid, &status, 0), child.pid);

    /* The PID is no longer this process's child: nothing to signal or reap. */
    assert_int_equal(mt_test_child_stop(&child, 10000), -1);
    assert_int_equal(child.pid, -1);
}

static void test_harness_child_stop_without_child(void **state)
{
    (void)state;
    struct mt_test_child child = {.pid = -1, .stdin_fd = -1};

    assert_int_equal(mt_test_child_stop(&child, 10000), -1);
    assert_int_equal(child.pid, -1);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_harness_child_start_reads_first_line),
    cmocka_unit_test(test_harness_child_start_passes_environment),
    cmocka_unit_test(test_harness_child_stop_kills_after_grace),
    cmocka_unit_test(test_harness_child_start_times_out),
    cmocka_unit_test(test_harness_child_start_reports_early_exit),
    cmocka_unit_test(test_harness_child_start_rejects_long_line),
    cmocka_unit_test(test_harness_child_spawn_reports_missing_program),
    cmocka_unit_test(test_harness_child_read_line_leaves_the_rest),
    cmocka_unit_test(test_harness_child_stop_leaves_a_reaped_pid_alone),
    cmocka_unit_test(test_harness_child_stop_without_child),
};

MT_TEST_MAIN(tests)
