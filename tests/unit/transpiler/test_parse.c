/* The front end on real sources: the IR it builds and the misuse it
 * reports, with libclang doing the parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pipeline.h"
#include "transpile.h"

static void test_hoisting_follows_scopes(void **state) {
    (void)state;
    transpiled t;
    transpile(&t,
              "#include <async.h>\n"
              "async int g(void);\n"
              "async int f(int p) {\n"
              "    int before = p;\n"
              "    int got = await(g());\n"
              "    int after = got + before;\n"
              "    static int calls;\n"
              "    calls++;\n"
              "    return after;\n"
              "}\n"
              "async int g(void) { return 1; }\n",
              1);
    assert_int_equal(t.parse_rc, 0);
    assert_int_equal(t.lower_rc, 0);
    ac_func *f = find_func(&t, "f");
    assert_non_null(f);
    assert_int_equal(f->nawaits, 1);
    assert_true(find_var(f, "before", 0)->hoisted);
    /* The await is in its initializer, before its scope begins. */
    assert_false(find_var(f, "got", 0)->hoisted);
    assert_false(find_var(f, "after", 0)->hoisted);
    assert_false(find_var(f, "calls", 0)->hoisted);
    assert_true(f->params[0]->hoisted);
    transpiled_free(&t);
}

static void test_only_live_locals_are_hoisted(void **state) {
    (void)state;
    transpiled t;
    transpile(&t,
              "#include <async.h>\n"
              "async int f(int n) {\n"
              "    int acc = 0;\n"
              "    int tmp = n * 2;\n"
              "    int k = tmp + 1;\n"
              "    int *p = &tmp;\n"
              "    for (int i = 0; i < n; i++) {\n"
              "        acc += i;\n"
              "        await(async_sleep(0));\n"
              "    }\n"
              "    return acc + k + *p;\n"
              "}\n",
              1);
    assert_int_equal(t.parse_rc, 0);
    ac_func *f = find_func(&t, "f");
    assert_true(find_var(f, "acc", 0)->hoisted); /* used in the loop */
    assert_true(find_var(f, "k", 0)->hoisted);   /* used after the loop */
    assert_true(find_var(f, "i", 0)->hoisted);   /* the loop's own */
    assert_true(find_var(f, "p", 0)->hoisted);
    /* Its address is taken: kept even though the name is not used later. */
    assert_true(find_var(f, "tmp", 0)->hoisted);
    transpiled_free(&t);
    transpile(&t,
              "#include <async.h>\n"
              "async int f(int n) {\n"
              "    int tmp = n * 2;\n"
              "    int k = tmp + 1;\n"
              "    await(async_sleep(0));\n"
              "    return k;\n"
              "}\n",
              1);
    f = find_func(&t, "f");
    assert_false(find_var(f, "tmp", 0)->hoisted); /* dead at the await */
    assert_true(find_var(f, "k", 0)->hoisted);
    assert_non_null(strstr(t.output, "    int tmp = _f->n * 2;\n"));
    transpiled_free(&t);
    /* A for without braces: its variable lives to the body's ';'. */
    transpile(&t,
              "#include <async.h>\n"
              "async void f(void) {\n"
              "    for (int i = 0; i < 3; i++)\n"
              "        await(async_sleep(0));\n"
              "}\n",
              1);
    assert_true(find_var(find_func(&t, "f"), "i", 0)->hoisted);
    transpiled_free(&t);
}

static void test_shadowed_locals_get_distinct_fields(void **state) {
    (void)state;
    transpiled t;
    transpile(&t,
              "#include <async.h>\n"
              "async int f(void) {\n"
              "    int n = 0;\n"
              "    for (int i = 0; i < 2; i++) {\n"
              "        int n = i;\n"
              "        await(async_sleep(0));\n"
              "        (void)n;\n"
              "    }\n"
              "    return n;\n"
              "}\n",
              1);
    assert_int_equal(t.parse_rc, 0);
    ac_func *f = find_func(&t, "f");
    ac_var *outer = find_var(f, "n", 0), *inner = find_var(f, "n", 1);
    assert_true(outer->hoisted && inner->hoisted);
    assert_string_equal(outer->field, "n");
    assert_string_equal(inner->field, "n_2");
    assert_true(find_var(f, "i", 0)->hoisted);
    transpiled_free(&t);
}

static void test_gather_spawn_and_join_nodes(void **state) {
    (void)state;
    transpiled t;
    transpile(&t,
              "#include <async.h>\n"
              "async int w(int x) { return x; }\n"
              "async int f(void) {\n"
              "    await(async_gather(w(1), w(2), w(3)));\n"
              "    async_task *t = async_spawn(w(4));\n"
              "    int r = await(t);\n"
              "    return r;\n"
              "}\n",
              1);
    assert_int_equal(t.parse_rc, 0);
    ac_func *f = find_func(&t, "f");
    ac_stmt *body = f->body;
    assert_int_equal(body->nkids, 4);
    ac_expr *g = body->kids[0]->expr;
    assert_int_equal(g->kind, AC_E_GATHER);
    assert_int_equal(g->nkids, 3);
    assert_int_equal(g->kids[2]->kind, AC_E_CALL);
    assert_string_equal(g->kids[2]->callee->name, "w");
    ac_expr *spawn = body->kids[1]->vars[0]->init;
    assert_int_equal(spawn->kind, AC_E_SPAWN);
    assert_true(spawn->callee->needs_spawn);
    ac_expr *join = body->kids[2]->vars[0]->init;
    assert_int_equal(join->kind, AC_E_JOIN);
    transpiled_free(&t);
}

/* Calls through async function pointers: the callee is the pointer's
 * signature, the pointer is kept as text, the frame is allocated; a
 * spawn through a pointer, of a call a macro writes and of a function
 * of another file all start through the callee's starter. */
static void test_async_pointer_calls(void **state) {
    (void)state;
    transpiled t;
    transpile(&t,
              "#include <async.h>\n"
              "typedef async int fn(int x);\n"
              "async int ext(int x);\n"
              "static async int w(int x) { return x; }\n"
              "#define W(x) w((x) + 1)\n"
              "async int f(fn *p, async int (*q)(int)) {\n"
              "    int a = await(p(1)) + await((*q)(2));\n"
              "    async_task *s1 = async_spawn(p(3));\n"
              "    async_task *s2 = async_spawn(W(4));\n"
              "    async_task *s3 = async_spawn(ext(5));\n"
              "    async_task *s4 = async_spawn(w(6));\n"
              "    (void)s1, (void)s2, (void)s3, (void)s4;\n"
              "    fn *table[] = {w, f == 0 ? w : w};\n"
              "    return a + await(table[1](a));\n"
              "}\n",
              1);
    assert_int_equal(t.parse_rc, 0);
    assert_int_equal(t.lower_rc, 0);
    ac_func *f = find_func(&t, "f");
    ac_expr *sum = find_var(f, "a", 0)->init;
    assert_int_equal(sum->nkids, 2);
    ac_expr *a1 = sum->kids[0], *a2 = sum->kids[1];
    assert_int_equal(a1->kind, AC_E_AWAIT);
    assert_true(a1->callee->is_pointer);
    assert_string_equal(a1->callee->name, "(*p)");
    assert_int_equal(a1->callee->nparams, 1);
    assert_true(a1->heap);
    assert_non_null(a1->fnptr);
    assert_string_equal(a2->callee->name, "(*q)");
    assert_true(find_var(f, "s1", 0)->init->heap);
    assert_true(find_var(f, "s2", 0)->init->heap);
    assert_true(find_var(f, "s3", 0)->init->heap);
    assert_false(find_var(f, "s4", 0)->init->heap);
    /* w is spawned by a macro and pointed to: it gets a starter. */
    assert_true(find_func(&t, "w")->callee->needs_starter);
    assert_true(find_func(&t, "w")->callee->needs_spawn);
    const ac_machine *m = f->machine;
    assert_int_equal(m->nstates, 3);
    assert_int_equal(m->slots[m->states[0].slot].heap, AC_HEAP_INDIRECT);
    assert_non_null(strstr(t.output, "async__afn_take()"));
    assert_non_null(strstr(t.output, "async__afn_spawn()"));
    assert_non_null(strstr(t.output, "static int w(int a0)"));
    transpiled_free(&t);
}

/* Each conversion between plain and async function pointers is an
 * error, at the converted value. */
static void test_async_pointer_conversions(void **state) {
    (void)state;
    transpiled t;
    transpile(&t,
              "#include <async.h>\n"
              "typedef async int fn(int x);\n"
              "int plain(int x) { return x; }\n"
              "async int w(int x) { return x; }\n"
              "async int two(int x, int y) { return x + y; }\n"
              "fn *a = plain;\n"
              "int (*b)(int) = w;\n"
              "fn *c = two;\n"
              "async int f(fn *p) {\n"
              "    p(1);\n"
              "    int (*q)(int) = plain;\n"
              "    return await(q(1));\n"
              "}\n",
              1);
    assert_int_equal(t.parse_rc, -1);
    assert_non_null(strstr(t.diagnostics,
                           ":6:9: error: plain function 'plain' is not async"));
    assert_non_null(strstr(t.diagnostics,
                           ":7:17: error: async function 'w' cannot be used "
                           "as a plain function pointer"));
    assert_non_null(strstr(t.diagnostics,
                           ":8:9: error: async function 'two' has type 'int "
                           "(int, int)', which does not match"));
    assert_non_null(strstr(t.diagnostics,
                           ":10:5: error: call through an async function "
                           "pointer is not awaited"));
    assert_non_null(strstr(t.diagnostics,
                           ":12:18: error: this call goes through a pointer "
                           "to a plain (non-async) function"));
    transpiled_free(&t);
}

/* Async functions used as values are found wherever they are: in the
 * argument of a direct call, in a return, in a cast inside the argument
 * of an awaited call. */
static void test_async_values_inside_calls(void **state) {
    (void)state;
    transpiled t;
    transpile(&t,
              "#include <async.h>\n"
              "void keep(int (*cb)(int)) { (void)cb; }\n"
              "int id(int x) { return x; }\n"
              "async int w(int x) { return x; }\n"
              "typedef int (*plain_fn)(int);\n"
              "async int take(void *p) { return p != 0; }\n"
              "plain_fn get(void) { return w; }\n"
              "async int f(void) {\n"
              "    keep(id(1) ? w : id);\n"
              "    int r = await(take((void *)w));\n"
              "    return r + id(2);\n"
              "}\n",
              1);
    assert_int_equal(t.parse_rc, -1);
    assert_non_null(strstr(t.diagnostics,
                           ":7:29: error: async function 'w' cannot be used "
                           "as a plain function pointer"));
    assert_non_null(strstr(t.diagnostics,
                           ":9:10: error: an async function pointer cannot "
                           "be used as a plain function pointer"));
    assert_non_null(strstr(t.diagnostics,
                           ":10:32: error: async function 'w' cannot be "
                           "converted to 'void *'"));
    transpiled_free(&t);
}

/* A file that never includes <async.h> can still spell the dialect
 * itself: asyncc reads it in full. */
static void test_dialect_without_the_header(void **state) {
    (void)state;
    transpiled t;
    transpile(&t,
              "__attribute__((annotate(\"async\"))) int f(void);\n"
              "int g(void) { return f(); }\n",
              1);
    assert_int_equal(t.parse_rc, -1);
    assert_non_null(strstr(t.diagnostics, ":2:22: error: call to async "
                                          "function 'f' is not awaited"));
    transpiled_free(&t);
}

/* A file with nothing of the dialect goes out as written, after the
 * comment and the #line that every output starts with. */
static void test_plain_file_is_copied(void **state) {
    (void)state;
    static const char src[] = "#include <stdio.h>\n"
                              "#define TWICE(x) ((x) * 2)\n"
                              "static int (*op)(int) = 0;\n"
                              "static int half(int x) { return x / 2; }\n"
                              "int main(void) {\n"
                              "    op = half;\n"
                              "    printf(\"%d\\n\", TWICE(op(4)));\n"
                              "    return 0;\n"
                              "}\n";
    transpiled t;
    transpile(&t, src, 1);
    assert_int_equal(t.parse_rc, 0);
    assert_non_null(t.output);
    char head[256];
    snprintf(head, sizeof head,
             "/* Generated by asyncc from %s: edit the source, not this "
             "file. */\n#line 1 \"%s\"\n",
             t.path, t.path);
    size_t n = strlen(head);
    assert_int_equal(strncmp(t.output, head, n), 0);
    assert_string_equal(t.output + n, src);
    assert_string_equal(t.diagnostics, "");
    transpiled_free(&t);
}

static void test_unawaited_call_is_reported(void **state) {
    (void)state;
    transpiled t;
    transpile(&t,
              "#include <async.h>\n"
              "async const char *say_hi(void) { return \"Hi\"; }\n"
              "int main(void) {\n"
              "    const char *result = say_hi();\n"
              "    return result != 0;\n"
              "}\n",
              1);
    assert_int_equal(t.parse_rc, -1);
    assert_null(t.output);
    assert_non_null(strstr(t.diagnostics, ":4:26: error: call to async "
                                          "function 'say_hi' is not awaited"));
    assert_non_null(strstr(t.diagnostics, "    const char *result = "
                                          "say_hi();\n"
                                          "                         ^\n"));
    transpiled_free(&t);
}

static void test_await_outside_async_is_reported(void **state) {
    (void)state;
    transpiled t;
    transpile(&t,
              "#include <async.h>\n"
              "async int g(void) { return 1; }\n"
              "int plain(void) { return await(g()); }\n",
              1);
    assert_int_equal(t.parse_rc, -1);
    assert_non_null(strstr(t.diagnostics,
                           ":3:26: error: 'await' can only be used inside "
                           "an async function"));
    transpiled_free(&t);
}

static void test_sequencing_operators_keep_operands(void **state) {
    (void)state;
    transpiled t;
    transpile(&t,
              "#include <async.h>\n"
              "async int g(void) { return 1; }\n"
              "async int f(int x) { return x && await(g()); }\n"
              "async int h(int x) { return x ? await(g()) : 2; }\n"
              "async int k(int x) { return await(g()) || x; }\n",
              1);
    assert_int_equal(t.parse_rc, 0);
    ac_expr *land = find_func(&t, "f")->body->kids[0]->expr;
    assert_int_equal(land->op, AC_OP_LAND);
    assert_int_equal(land->nkids, 2);
    assert_int_equal(land->kids[0]->kind, AC_E_TEXT);
    assert_int_equal(land->kids[1]->kind, AC_E_AWAIT);
    ac_expr *cond = find_func(&t, "h")->body->kids[0]->expr;
    assert_int_equal(cond->op, AC_OP_COND);
    assert_int_equal(cond->nkids, 3);
    assert_string_equal(cond->temp_decl, "int %s");
    /* An await in the first operand runs first anyway: plain splicing. */
    ac_expr *lor = find_func(&t, "k")->body->kids[0]->expr;
    assert_int_equal(lor->op, AC_OP_OTHER);
    transpiled_free(&t);
}

static void test_operator_inside_macro_is_refused(void **state) {
    (void)state;
    transpiled t;
    transpile(&t,
              "#include <async.h>\n"
              "#define BOTH(a, b) ((a) && (b))\n"
              "async int g(void) { return 1; }\n"
              "async int f(int x) { return BOTH(x, await(g())); }\n",
              1);
    assert_int_equal(t.parse_rc, -1);
    assert_non_null(strstr(t.diagnostics,
                           ":4:37: error: await in the right operand of an "
                           "operator written inside a macro is not "
                           "supported"));
    transpiled_free(&t);
}

static void test_compiler_errors_are_shown(void **state) {
    (void)state;
    transpiled t;
    transpile(&t, "#include <async.h>\nint f(void) { return 1 }\n", 1);
    assert_int_equal(t.parse_rc, -1);
    assert_non_null(strstr(t.diagnostics, ":2:23: error: expected ';'"));
    transpiled_free(&t);
}

static void test_async_run_needs_an_int_result(void **state) {
    (void)state;
    transpiled t;
    transpile(&t,
              "#include <async.h>\n"
              "async const char *g(void) { return \"x\"; }\n"
              "int main(void) { return async_run(g()); }\n",
              1);
    assert_int_equal(t.parse_rc, -1);
    assert_non_null(strstr(t.diagnostics, "'g' must return an integer type "
                                          "or void"));
    transpiled_free(&t);
}

/* What --inspect's transitions need: label names, goto targets and
 * default labels. */
static void test_labels_gotos_and_defaults(void **state) {
    (void)state;
    transpiled t;
    transpile(&t,
              "#include <async.h>\n"
              "async int f(int n) {\n"
              "again:\n"
              "    await(async_sleep(0));\n"
              "    switch (n--) {\n"
              "    case 1:\n"
              "        goto again;\n"
              "    default:\n"
              "        break;\n"
              "    }\n"
              "    return n;\n"
              "}\n",
              1);
    assert_int_equal(t.parse_rc, 0);
    ac_func *f = find_func(&t, "f");
    ac_stmt *label = f->body->kids[0];
    assert_int_equal(label->kind, AC_S_LABEL);
    assert_string_equal(label->label, "again");
    ac_stmt *body = f->body->kids[1]->body;
    ac_stmt *one = body->kids[0], *def = body->kids[1];
    assert_int_equal(one->kind, AC_S_CASE);
    assert_false(one->is_default);
    assert_int_equal(one->body->kind, AC_S_TEXT);
    assert_string_equal(one->body->label, "again");
    assert_int_equal(def->kind, AC_S_CASE);
    assert_true(def->is_default);
    transpiled_free(&t);
}

/* ac_transpile on text in memory gives what ac_parse gives on the same
 * text in a file, and does not read the file it names. */
static void test_text_input_matches_file(void **state) {
    (void)state;
    const char *src = "#include <async.h>\n"
                      "async int one(void) { return 1; }\n"
                      "async int two(void) { return await(one()) + 1; }\n";
    transpiled t;
    transpile(&t, src, 0);
    assert_non_null(t.output);
    FILE *f = fopen(t.path, "w");
    assert_non_null(f);
    fputs("#error the file is read\n", f);
    fclose(f);
    ac_unit u;
    memset(&u, 0, sizeof u);
    ac_transpile_job job = {
        .path = t.path, .text = src, .len = strlen(src), .mode = AC_MODE_C};
    ac_buf out = {0};
    diags_begin();
    assert_int_equal(ac_transpile(&u, &job, &out), 0);
    assert_string_equal(diags_end(), "");
    assert_string_equal(ac_buf_str(&out), t.output);
    ac_buf_free(&out);
    ac_unit_free(&u);
    transpiled_free(&t);
}

/* A NUL byte in memory is refused as in a file, before libclang (which
 * would stop reading there) sees it. */
static void test_text_with_nul_is_refused(void **state) {
    (void)state;
    static const char src[] = "int x;\0int y;\n";
    ac_unit u;
    memset(&u, 0, sizeof u);
    ac_transpile_job job = {
        .path = "nul.c", .text = src, .len = sizeof src - 1};
    ac_buf out = {0};
    diags_begin();
    assert_int_equal(ac_transpile(&u, &job, &out), 2);
    assert_non_null(strstr(diags_end(), "'nul.c' contains NUL bytes"));
    assert_int_equal(out.len, 0);
    ac_unit_free(&u);
}

/* An error in text in memory is reported at its line, under the name
 * given. */
static void test_text_errors_name_the_path(void **state) {
    (void)state;
    const char *src = "#include <async.h>\nint f(void) { return 1 }\n";
    ac_unit u;
    memset(&u, 0, sizeof u);
    ac_transpile_job job = {.path = "mem.c", .text = src, .len = strlen(src)};
    ac_buf out = {0};
    diags_begin();
    assert_int_equal(ac_transpile(&u, &job, &out), 1);
    assert_non_null(strstr(diags_end(), "mem.c:2:23: error: expected ';'"));
    ac_buf_free(&out);
    ac_unit_free(&u);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hoisting_follows_scopes),
        cmocka_unit_test(test_only_live_locals_are_hoisted),
        cmocka_unit_test(test_shadowed_locals_get_distinct_fields),
        cmocka_unit_test(test_gather_spawn_and_join_nodes),
        cmocka_unit_test(test_async_pointer_calls),
        cmocka_unit_test(test_async_pointer_conversions),
        cmocka_unit_test(test_async_values_inside_calls),
        cmocka_unit_test(test_dialect_without_the_header),
        cmocka_unit_test(test_plain_file_is_copied),
        cmocka_unit_test(test_unawaited_call_is_reported),
        cmocka_unit_test(test_await_outside_async_is_reported),
        cmocka_unit_test(test_sequencing_operators_keep_operands),
        cmocka_unit_test(test_operator_inside_macro_is_refused),
        cmocka_unit_test(test_compiler_errors_are_shown),
        cmocka_unit_test(test_async_run_needs_an_int_result),
        cmocka_unit_test(test_labels_gotos_and_defaults),
        cmocka_unit_test(test_text_input_matches_file),
        cmocka_unit_test(test_text_with_nul_is_refused),
        cmocka_unit_test(test_text_errors_name_the_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
