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

/* One child for a test: /bin/sh -c TEXT, named "script" in error details. */
struct script {
    const char *argv[4];
    struct mt_test_child_options o;
    struct mt_test_child child;
    struct mt_err err;
    char line[64];
};

static void script_init(struct script *s, const char *text)
{
    *s = (struct script){.argv = {"/bin/sh", "-c", text, NULL}};
    s->o =
        (struct mt_test_child_options){.argv = s->argv, .name = "script", .line_timeout_ms = 10000};
}

/* Starts it, reading its first line into at most line_size bytes of s->line. */
static enum mt_status script_start(struct script *s, size_t line_size)
{
    return mt_test_child_start(&s->child, &s->o, s->line, line_size, &s->err);
}

static void test_harness_child_start_reads_first_line(void **state)
{
    (void)state;
    struct script s;
    int fds_before = open_fds();

    script_init(&s, "printf '7 8\\n'; exec cat >/dev/null");
    assert_int_equal(script_start(&s, sizeof(s.line)), MT_OK);
    assert_string_equal(s.line, "7 8");
    assert_true(s.child.pid > 0);
    assert_int_equal(kill(s.child.pid, 0), 0);
    assert_int_equal(open_fds(), fds_before + 1);

    /* cat ends at the end of its stdin, so this is a clean exit, not a kill. */
    assert_int_equal(mt_test_child_stop(&s.child, 10000), 0);
    assert_int_equal(s.child.pid, -1);
    assert_int_equal(s.child.stdin_fd, -1);
    assert_int_equal(open_fds(), fds_before);
}

static void test_harness_child_start_passes_environment(void **state)
{
    (void)state;
    const char *envp[] = {"MT_CHILD_GREETING=hello there", NULL};
    struct script s;

    script_init(&s, "echo \"$MT_CHILD_GREETING/${MT_CHILD_OTHER-unset}\"; read x");
    s.o.envp = envp;
    setenv("MT_CHILD_OTHER", "from the test", 1);
    assert_int_equal(script_start(&s, sizeof(s.line)), MT_OK);
    unsetenv("MT_CHILD_OTHER");
    assert_string_equal(s.line, "hello there/unset");

    /* read fails at the end of its stdin, and the script exits with its status. */
    assert_int_equal(mt_test_child_stop(&s.child, 10000), 1);
}

static void test_harness_child_stop_kills_after_grace(void **state)
{
    (void)state;
    struct script s;

    script_init(&s, "echo ready; exec sleep 600");
    assert_int_equal(script_start(&s, sizeof(s.line)), MT_OK);
    pid_t pid = s.child.pid;

    assert_int_equal(mt_test_child_stop(&s.child, 100), 128 + SIGKILL);
    assert_int_equal(s.child.pid, -1);
    assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

/* Starting s fails with code and detail, and leaves no child behind. */
static void assert_start_fails(struct script *s, size_t line_size, enum mt_status code,
                               const char *detail)
{
    assert_int_equal(script_start(s, line_size), code);
    assert_string_equal(mt_err_text(&s->err), detail);
    assert_int_equal(s->child.pid, -1);
    assert_int_equal(s->child.stdin_fd, -1);
}

static void test_harness_child_start_times_out(void **state)
{
    (void)state;
    struct script s;

    script_init(&s, "exec sleep 600");
    s.o.line_timeout_ms = 100;
    assert_start_fails(&s, sizeof(s.line), MT_ERR_TIMEOUT, "script printed no line within 100 ms");
}

static void test_harness_child_start_reports_early_exit(void **state)
{
    (void)state;
    struct script s;

    script_init(&s, "printf 'no newline'; exit 3");
    assert_start_fails(&s, sizeof(s.line), MT_ERR_IO, "script exited before printing a whole line");
}

static void test_harness_child_start_rejects_long_line(void **state)
{
    (void)state;
    struct script s;

    script_init(&s, "echo 123456789; exec cat >/dev/null");
    assert_start_fails(&s, 8, MT_ERR_TOO_LARGE, "script printed a line over 7 bytes");
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
    struct script s;
    int out_fd = -1;

    script_init(&s, "printf 'one\\ntwo\\n'; exec cat >/dev/null");
    assert_int_equal(mt_test_child_spawn(&s.child, &s.o, &out_fd, &s.err), MT_OK);
    assert_int_equal(mt_test_child_read_line(out_fd, &s.o, s.line, sizeof(s.line), &s.err), MT_OK);
    assert_string_equal(s.line, "one");
    assert_int_equal(mt_test_child_read_line(out_fd, &s.o, s.line, sizeof(s.line), &s.err), MT_OK);
    assert_string_equal(s.line, "two");
    close(out_fd);
    assert_int_equal(mt_test_child_stop(&s.child, 10000), 0);
}

static void test_harness_child_stop_leaves_a_reaped_pid_alone(void **state)
{
    (void)state;
    struct script s;

    script_init(&s, "echo bye");
    assert_int_equal(script_start(&s, sizeof(s.line)), MT_OK);
    assert_int_equal(waitpid(s.child.pid, NULL, 0), s.child.pid);

    /* The PID is no longer this process's child: nothing to signal or reap. */
    assert_int_equal(mt_test_child_stop(&s.child, 10000), -1);
    assert_int_equal(s.child.pid, -1);
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
