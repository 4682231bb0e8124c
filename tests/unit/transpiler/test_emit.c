/* The emitted C: what stays byte for byte, what the state machine looks
 * like, and where #line directives point. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "transpile.h"

static int count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_plain_code_passes_through(void **state) {
    (void)state;
    const char *src = "#include <stdio.h>\n"
                      "/* a comment */\n"
                      "static int twice(int x) { return 2 * x; }\n"
                      "int main(void) { printf(\"%d\\n\", twice(2)); }\n";
    transpiled t;
    transpile(&t, src, 1);
    assert_int_equal(t.parse_rc, 0);
    const char *body = strchr(t.output, '\n') + 1;
    const char *after_line = strchr(body, '\n') + 1;
    assert_int_equal(strncmp(body, "#line 1 \"", 9), 0);
    assert_string_equal(after_line, src);
    transpiled_free(&t);
}

static void test_state_machine_shape(void **state) {
    (void)state;
    transpiled t;
    transpile(&t,
              "#include <async.h>\n"
              "async int g(int x) { return x + 1; }\n"
              "async int f(int n) {\n"
              "    int a = await(g(n)) + await(g(n));\n"
              "    await(async_sleep(0));\n"
              "    return a;\n"
              "}\n"
              "int main(void) { return async_run(f(1)); }\n",
              0);
    assert_int_equal(t.parse_rc, 0);
    const char *o = t.output;
    /* Two awaits in one statement share a struct, the third statement's
     * child frame overlaps them in the union. */
    assert_non_null(strstr(o, "    union {\n"
                              "        struct {\n"
                              "            struct g__frame a1;\n"
                              "            struct g__frame a2;\n"
                              "        } g1;\n"
                              "        struct async_sleep__frame a3;\n"
                              "    } _aw;\n"
                              "    int _ret;\n"));
    assert_non_null(strstr(o, "    case 3:\n        goto asyncc_resume_3;\n"));
    /* `a` is hoisted: the third await is in its scope. */
    assert_non_null(strstr(o, "    _f->a = _f->_aw.g1.a1._ret + "
                              "_f->_aw.g1.a2._ret;\n"));
    assert_non_null(strstr(o, "    _f->_ret = _f->a;\n"));
    /* The final return is the end of the body: no unreachable epilogue,
     * only the shared exit of awaits that are pending or failed. */
    assert_non_null(strstr(o, "    _f->_ret = _f->a;\n"
                              "    _f->_state = -1;\n"
                              "    return ASYNC__READY;\n"
                              "asyncc_exit:\n"
                              "    if (asyncc_r == ASYNC__FAILED)\n"
                              "        _f->_state = -1;\n"
                              "    return asyncc_r;\n"
                              "}\n"));
    assert_non_null(strstr(o, "    if ((asyncc_r = g__resume(&_f->_aw.g1.a2)) "
                              "!= ASYNC__READY)\n"
                              "        goto asyncc_exit;\n"));
    assert_non_null(strstr(o, "int main(void) { return f__run(1); }"));
    assert_int_equal(count(o, "static int f__run(int a0)"), 2);
    assert_null(strstr(o, "#line"));
    transpiled_free(&t);
}

static void test_line_directives_point_at_the_source(void **state) {
    (void)state;
    transpiled t;
    transpile(&t,
              "#include <async.h>\n"
              "\n"
              "async void f(void) {\n"
              "    await(async_sleep(0));\n"
              "}\n"
              "int after_f;\n",
              1);
    assert_int_equal(t.parse_rc, 0);
    char want[128];
    snprintf(want, sizeof want, "#line 4 \"%s\"\n    async_sleep__init",
             t.path);
    assert_non_null(strstr(t.output, want));
    /* After the state machine, the rest of line 5 and then line 6. */
    snprintf(want, sizeof want, "#line 5 \"%s\"\n\nint after_f;", t.path);
    assert_non_null(strstr(t.output, want));
    transpiled_free(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_code_passes_through),
        cmocka_unit_test(test_state_machine_shape),
        cmocka_unit_test(test_line_directives_point_at_the_source),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
