/* Diagnostics and source positions: the format users and editors parse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <limits.h>

#include "buf.h"
#include "diag.h"
#include "source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs `fn` with diagnostics captured in memory; returns them. */
static char captured[4096];

static FILE *capture_begin(void) {
    FILE *f = fmemopen(captured, sizeof captured, "w");
    assert_non_null(f);
    ac_diag_set_stream(f);
    ac_diag_reset();
    return f;
}

static void capture_end(FILE *f) {
    fputc('\0', f);
    fclose(f);
    ac_diag_set_stream(NULL);
}

static void test_linecol(void **state) {
    (void)state;
    ac_source src;
    ac_source_from_text(&src, "t.c", "ab\ncd\n\nxyz");
    unsigned line, col;
    ac_source_linecol(&src, 0, &line, &col);
    assert_int_equal(line, 1);
    assert_int_equal(col, 1);
    ac_source_linecol(&src, 4, &line, &col);
    assert_int_equal(line, 2);
    assert_int_equal(col, 2);
    ac_source_linecol(&src, 6, &line, &col);
    assert_int_equal(line, 3);
    assert_int_equal(col, 1);
    ac_source_linecol(&src, 9, &line, &col);
    assert_int_equal(line, 4);
    assert_int_equal(col, 3);
    ac_source_free(&src);
}

static void test_error_has_line_and_caret(void **state) {
    (void)state;
    ac_source src;
    ac_source_from_text(&src, "dir/in.c", "int x;\n    y = f();\n");
    FILE *f = capture_begin();
    ac_source_diag(&src, AC_DIAG_ERROR, 15, "call to '%s' is bad", "f");
    capture_end(f);
    assert_string_equal(captured, "dir/in.c:2:9: error: call to 'f' is bad\n"
                                  "    y = f();\n"
                                  "        ^\n");
    assert_int_equal(ac_diag_errors(), 1);
    ac_source_free(&src);
}

static void test_caret_keeps_tabs(void **state) {
    (void)state;
    ac_source src;
    ac_source_from_text(&src, "t.c", "\tx = 1;\n");
    FILE *f = capture_begin();
    ac_source_diag(&src, AC_DIAG_NOTE, 1, "here");
    capture_end(f);
    assert_string_equal(captured, "t.c:1:2: note: here\n\tx = 1;\n\t^\n");
    assert_int_equal(ac_diag_errors(), 0);
    ac_source_free(&src);
}

static void test_plain_message(void **state) {
    (void)state;
    FILE *f = capture_begin();
    ac_diag_plain(AC_DIAG_ERROR, "cannot open '%s'", "x.c");
    capture_end(f);
    assert_string_equal(captured, "asyncc: error: cannot open 'x.c'\n");
    assert_int_equal(ac_diag_errors(), 1);
}

static void test_buf_and_arena(void **state) {
    (void)state;
    ac_buf b = {0};
    assert_string_equal(ac_buf_str(&b), "");
    for (int i = 0; i < 1000; i++)
        ac_buf_printf(&b, "%d,", i);
    assert_int_equal(strncmp(ac_buf_str(&b), "0,1,2,", 6), 0);
    assert_int_equal(b.data[b.len - 1], ',');
    ac_buf_free(&b);
    ac_arena a = {0};
    char *s = ac_arena_printf(&a, "%s__%s", "f", "frame");
    assert_string_equal(s, "f__frame");
    char *big = ac_arena_alloc(&a, 200000); /* larger than a block */
    big[199999] = 1;
    assert_int_equal(big[0], 0);
    ac_arena_free(&a);
}

/* ac_buf_printf spells the common conversions itself: each must read as
 * snprintf's, and other formats (and text longer than the spare room)
 * must still come out whole. */
static void check_format(const char *want, const char *fmt, ...) {
    ac_buf b = {0};
    ac_buf_puts(&b, "<");
    va_list ap;
    va_start(ap, fmt);
    ac_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    assert_int_equal(b.len, strlen(want) + 1);
    assert_string_equal(ac_buf_str(&b) + 1, want);
    ac_buf_free(&b);
}

static void test_buf_formats(void **state) {
    (void)state;
    char want[600];
    check_format("plain", "plain");
    snprintf(want, sizeof want, "%s %d %u %zu %c %%", "x", INT_MIN, UINT_MAX,
             (size_t)-1, 'q');
    check_format(want, "%s %d %u %zu %c %%", "x", INT_MIN, UINT_MAX, (size_t)-1,
                 'q');
    check_format("0 -1 2147483647", "%d %d %d", 0, -1, INT_MAX);
    check_format("    7|ab |ab|-5|00ff", "%5u|%-3s|%.*s|%lld|%04x", 7u, "ab", 2,
                 "abcdef", -5LL, 255);
    char big[400];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    snprintf(want, sizeof want, "%s!", big);
    check_format(want, "%s!", big);
    snprintf(want, sizeof want, "%3s%s", "a", big);
    check_format(want, "%3s%s", "a", big);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linecol),
        cmocka_unit_test(test_error_has_line_and_caret),
        cmocka_unit_test(test_caret_keeps_tabs),
        cmocka_unit_test(test_plain_message),
        cmocka_unit_test(test_buf_and_arena),
        cmocka_unit_test(test_buf_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
