/* Depfiles, command splitting, the JSON reader and the compilation
 * database: what lets asyncc sit in a build like a compiler. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "buf.h"
#include "deps.h"
#include "diag.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_escape(void **state) {
    (void)state;
    ac_buf b = {0};
    ac_depfile_escape(&b, "my dir/a$b#c.h");
    assert_string_equal(ac_buf_str(&b), "my\\ dir/a$$b\\#c.h");
    ac_buf_free(&b);
    /* A backslash before a space is doubled, as gcc writes it. */
    ac_depfile_escape(&b, "a\\ b");
    assert_string_equal(ac_buf_str(&b), "a\\\\\\ b");
    ac_buf_free(&b);
}

static void test_format(void **state) {
    (void)state;
    ac_buf b = {0};
    const char *deps[] = {"in.c", "x y.h", "/usr/include/stdio.h"};
    ac_depfile_format(&b, "out $.c", deps, 3);
    assert_string_equal(ac_buf_str(&b), "out\\ $$.c: in.c \\\n"
                                        "  x\\ y.h \\\n"
                                        "  /usr/include/stdio.h\n");
    ac_buf_free(&b);
    ac_depfile_format(&b, "t", NULL, 0);
    assert_string_equal(ac_buf_str(&b), "t:\n");
    ac_buf_free(&b);
}

static void test_split(void **state) {
    (void)state;
    ac_arena a = {0};
    char **v;
    int n = ac_shell_split(
        &a, "  cc -DX=\"a b\" '-I my dir' a\\ b.c \"q\\\"\\\\\\n\" ''\t-c ",
        &v);
    assert_int_equal(n, 7);
    assert_string_equal(v[0], "cc");
    assert_string_equal(v[1], "-DX=a b");
    assert_string_equal(v[2], "-I my dir");
    assert_string_equal(v[3], "a b.c");
    /* Inside double quotes only \" \\ \$ \` keep the backslash out. */
    assert_string_equal(v[4], "q\"\\\\n");
    assert_string_equal(v[5], "");
    assert_string_equal(v[6], "-c");
    assert_null(v[7]);
    assert_int_equal(ac_shell_split(&a, "", &v), 0);
    assert_null(v[0]);
    assert_int_equal(ac_shell_split(&a, "cc 'open", &v), -1);
    assert_int_equal(ac_shell_split(&a, "cc \"open", &v), -1);
    ac_arena_free(&a);
}

static void test_path(void **state) {
    (void)state;
    ac_arena a = {0};
    assert_string_equal(ac_path_absolute(&a, "/b/c", "../inc/./x.h"),
                        "/b/inc/x.h");
    assert_string_equal(ac_path_absolute(&a, "/b", "/abs//y/"), "/abs/y");
    assert_string_equal(ac_path_absolute(&a, "/", "../.."), "/");
    ac_arena_free(&a);
}

static void test_json_values(void **state) {
    (void)state;
    ac_arena a = {0};
    char err[128];
    const char *text =
        " {\"a\": [1, -2.5e1, true, false, null],"
        " \"s\": \"q\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\","
        " \"o\": {}, \"e\": []} ";
    ac_json *j = ac_json_parse(&a, text, strlen(text), err, sizeof err);
    assert_non_null(j);
    assert_int_equal(j->kind, AC_JSON_OBJECT);
    assert_int_equal(j->count, 4);
    const ac_json *arr = ac_json_get(j, "a");
    assert_int_equal(arr->kind, AC_JSON_ARRAY);
    assert_int_equal(arr->count, 5);
    assert_true(arr->items[0]->number == 1.0);
    assert_true(arr->items[1]->number == -25.0);
    assert_int_equal(arr->items[2]->kind, AC_JSON_BOOL);
    assert_true(arr->items[2]->boolean);
    assert_false(arr->items[3]->boolean);
    assert_int_equal(arr->items[4]->kind, AC_JSON_NULL);
    const ac_json *s = ac_json_get(j, "s");
    assert_string_equal(s->string, "q\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80");
    assert_int_equal(ac_json_get(j, "o")->count, 0);
    assert_int_equal(ac_json_get(j, "e")->kind, AC_JSON_ARRAY);
    assert_null(ac_json_get(j, "missing"));
    assert_null(ac_json_get(arr, "a"));
    /* Many items: the arrays grow. */
    ac_buf big = {0};
    ac_buf_puts(&big, "[");
    for (int i = 0; i < 100; i++)
        ac_buf_printf(&big, "%s\"%d\"", i ? "," : "", i);
    ac_buf_puts(&big, "]");
    j = ac_json_parse(&a, big.data, big.len, err, sizeof err);
    assert_non_null(j);
    assert_int_equal(j->count, 100);
    assert_string_equal(j->items[99]->string, "99");
    ac_buf_free(&big);
    ac_arena_free(&a);
}

static void expect_bad(const char *text, const char *msg) {
    ac_arena a = {0};
    char err[128];
    assert_null(ac_json_parse(&a, text, strlen(text), err, sizeof err));
    assert_string_equal(err, msg);
    ac_arena_free(&a);
}

static void test_json_malformed(void **state) {
    (void)state;
    expect_bad("", "line 1, column 1: unexpected end of input");
    expect_bad("[1,", "line 1, column 4: unexpected end of input");
    expect_bad("[1 2]", "line 1, column 4: expected ',' or ']'");
    expect_bad("{\"a\" 1}", "line 1, column 6: expected ':'");
    expect_bad("{1: 2}", "line 1, column 2: expected a string key");
    expect_bad("[\n  \"abc", "line 2, column 7: unterminated string");
    expect_bad("\"a\\x\"", "line 1, column 3: bad escape '\\x' in string");
    expect_bad("\"\\u12g4\"", "line 1, column 7: bad hex digit in \\u escape");
    expect_bad("\"a\nb\"", "line 1, column 3: control character in string");
    expect_bad("[01]", "line 1, column 3: expected ',' or ']'");
    expect_bad("-", "line 1, column 2: malformed number");
    expect_bad("1.", "line 1, column 3: malformed number");
    expect_bad("tru", "line 1, column 1: unexpected character 't'");
    expect_bad("[] x", "line 1, column 4: unexpected text after the document");
    expect_bad("{\"a\":1,}", "line 1, column 8: expected a string key");
    /* Nesting is bounded: no stack overflow on hostile input. */
    char deep[600];
    memset(deep, '[', sizeof deep - 1);
    deep[sizeof deep - 1] = '\0';
    expect_bad(deep, "line 1, column 258: nested too deeply");
}

static void test_filter(void **state) {
    (void)state;
    ac_arena a = {0};
    const char *argv[] = {
        "/usr/bin/cc",  "-Iinc",    "-I",    "../up", "-isystem", "/abs/sys",
        "-iquote",      "q",        "-DA=1", "-D",    "B",        "-UC",
        "-std=c11",     "-include", "pre.h", "-Wall", "-fPIC",    "-m64",
        "--sysroot=sr", "-x",       "c",     "-o",    "x.o",      "-ox2.o",
        "-c",           "src/a.c",  "-MD",   "-MF",   "x.d",      "-MT",
        "x.o",          "-MQ",      "y",     "-MMD",  "-MFz.d",   "-idirafter",
        "/after"};
    const char **out;
    int n = ac_compdb_filter(&a, "/b/dir", (int)(sizeof argv / sizeof *argv),
                             argv, &out);
    const char *want[] = {"-I/b/dir/inc", "-I",
                          "/b/up",        "-isystem",
                          "/abs/sys",     "-iquote",
                          "/b/dir/q",     "-DA=1",
                          "-D",           "B",
                          "-UC",          "-std=c11",
                          "-include",     "/b/dir/pre.h",
                          "-Wall",        "-fPIC",
                          "-m64",         "--sysroot=/b/dir/sr",
                          "-x",           "c",
                          "-idirafter",   "/after"};
    assert_int_equal(n, (int)(sizeof want / sizeof *want));
    for (int i = 0; i < n; i++)
        assert_string_equal(out[i], want[i]);
    ac_arena_free(&a);
}

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

/* A database in a fresh directory; returns the directory. */
static char *write_db(const char *json) {
    char *dir = strdup("/tmp/asyncc-compdb.XXXXXX");
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/compile_commands.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(json, f);
    fclose(f);
    return dir;
}

static void remove_db(char *dir) {
    char path[256];
    snprintf(path, sizeof path, "%s/compile_commands.json", dir);
    remove(path);
    rmdir(dir);
    free(dir);
}

static void test_load(void **state) {
    (void)state;
    char *dir =
        write_db("[{\"directory\": \"/w/b\", \"file\": \"../s/a.c\","
                 "  \"command\": \"cc -I../inc -DX=\\\"1 2\\\" -c ../s/a.c\"},"
                 " {\"directory\": \"/w\", \"file\": \"/w/s/b.c\","
                 "  \"arguments\": [\"cc\", \"-Iinc\", \"s/b.c\"]}]");
    ac_arena a = {0};
    const char **out;
    int n = ac_compdb_load(&a, dir, "/w/s/./a.c", &out);
    assert_int_equal(n, 2);
    assert_string_equal(out[0], "-I/w/inc");
    assert_string_equal(out[1], "-DX=1 2");
    n = ac_compdb_load(&a, dir, "/w/x/../s/b.c", &out);
    assert_int_equal(n, 1);
    assert_string_equal(out[0], "-I/w/inc");

    FILE *f = capture_begin();
    assert_int_equal(ac_compdb_load(&a, dir, "c.c", &out), -1);
    capture_end(f);
    char want[512];
    snprintf(want, sizeof want,
             "asyncc: error: no entry for 'c.c' in %s/compile_commands.json\n",
             dir);
    assert_string_equal(captured, want);
    remove_db(dir);

    dir = write_db("[{\"directory\": \"/w\", \"file\": \"a.c\"}]");
    f = capture_begin();
    assert_int_equal(ac_compdb_load(&a, dir, "/w/a.c", &out), -1);
    capture_end(f);
    snprintf(want, sizeof want,
             "asyncc: error: %s/compile_commands.json: entry 1 has neither "
             "\"arguments\" nor \"command\"\n",
             dir);
    assert_string_equal(captured, want);
    remove_db(dir);

    dir = write_db("[{\"directory\": \"/w\",\n \"file\" \"a.c\"}]");
    f = capture_begin();
    assert_int_equal(ac_compdb_load(&a, dir, "/w/a.c", &out), -1);
    capture_end(f);
    snprintf(want, sizeof want,
             "asyncc: error: %s/compile_commands.json: invalid JSON: line 2, "
             "column 9: expected ':'\n",
             dir);
    assert_string_equal(captured, want);
    remove_db(dir);

    f = capture_begin();
    assert_int_equal(ac_compdb_load(&a, "/nonexistent-dir", "a.c", &out), -1);
    capture_end(f);
    assert_string_equal(captured,
                        "asyncc: error: cannot read "
                        "'/nonexistent-dir/compile_commands.json': No such "
                        "file or directory\n");
    ac_arena_free(&a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_path),
        cmocka_unit_test(test_json_values),
        cmocka_unit_test(test_json_malformed),
        cmocka_unit_test(test_filter),
        cmocka_unit_test(test_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
