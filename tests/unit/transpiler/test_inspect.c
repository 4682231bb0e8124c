/* --inspect and --dot through the whole pipeline: states numbered as the
 * generated code numbers them, frame layouts read back from libclang
 * (checked against the same structs as this compiler lays them out),
 * why each field is kept, the three writers, and the command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "inspect.h"
#include "options.h"
#include "transpile.h"

static const char *source =
    "#include <async.h>\n"
    "async int g(int x) { return x + 1; }\n"        /* 2 */
    "async int h(const char *s) { return s[0]; }\n" /* 3 */
    "async int f(int n) {\n"                        /* 4 */
    "    char c = 'a';\n"                           /* 5 */
    "    double d = 2.0;\n"                         /* 6 */
    "    int before = n * 2;\n"                     /* 7 */
    "    n += before;\n"                            /* 8 */
    "    int a = await(g(n)) + await(g(n));\n"      /* 9: states 1, 2 */
    "    while (a < 10)\n"                          /* 10 */
    "        a += await(g(c)) + (int)d;\n"          /* 11: state 3 */
    "    a += await(h(\"q\\\"b\\\\\"));\n"          /* 12: state 4 */
    "    return a;\n"                               /* 13 */
    "}\n"
    "int main(void) { return async_run(f(1)); }\n";

/* The frames as this compiler lays them out: what the generated structs
 * are, written by hand. */
struct g_frame {
    int _state;
    int x;
    int _ret;
};
struct h_frame {
    int _state;
    const char *s;
    int _ret;
};
struct f_frame {
    int _state;
    int n;
    char c;
    double d;
    int a;
    union {
        struct {
            struct g_frame a1;
            struct g_frame a2;
        } g1;
        struct g_frame a3;
        struct h_frame a4;
    } _aw;
    int _ret;
};
typedef struct fixture {
    transpiled t;
    ac_inspect ins;
} fixture;

static int setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    transpile(&fx->t, source, 0);
    if (!fx->t.output) {
        fprintf(stderr, "%s", fx->t.diagnostics);
        return -1;
    }
    ac_buf code = {0};
    ac_emit_options eo = {.line_directives = 0};
    ac_emit_output(&fx->t.u, &eo, &code);
    ac_inspect_init(&fx->ins, &fx->t.u);
    ac_inspect_unshared_code(&fx->ins, &code);
    unsigned n;
    ac_layout *l = ac_inspect_layouts(&fx->ins, &n);
    int rc = ac_layout_read(&fx->t.u, ac_buf_str(&code), 0, NULL, l, n);
    ac_buf_free(&code);
    if (rc != 0 || ac_inspect_use_layouts(&fx->ins, l) != 0)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state) {
    fixture *fx = *state;
    ac_inspect_free(&fx->ins);
    transpiled_free(&fx->t);
    free(fx);
    return 0;
}

static ac_insp_func *func_named(fixture *fx, const char *name) {
    for (unsigned i = 0; i < fx->ins.nfuncs; i++)
        if (strcmp(fx->ins.funcs[i].m->name, name) == 0)
            return &fx->ins.funcs[i];
    fail_msg("no function %s", name);
    return NULL;
}

static const ac_insp_field *field(const ac_insp_field *fields, unsigned n,
                                  const char *name) {
    for (unsigned i = 0; i < n; i++)
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    fail_msg("no field %s", name);
    return NULL;
}

static void test_states_are_the_generated_ones(void **state) {
    fixture *fx = *state;
    const ac_machine *F = func_named(fx, "f")->m;
    assert_int_equal(F->nstates, 4);
    static const unsigned lines[] = {9, 9, 11, 12};
    static const char *const texts[] = {"await(g(n))", "await(g(n))",
                                        "await(g(c))",
                                        "await(h(\"q\\\"b\\\\\"))"};
    const char *base = strrchr(fx->t.path, '/') + 1;
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(F->states[i].id, i + 1);
        assert_int_equal(F->states[i].line, lines[i]);
        assert_string_equal(F->states[i].text, texts[i]);
        /* The emitter's comment names the same state at the same line. */
        char comment[128];
        snprintf(comment, sizeof comment, "/* state %u: await at %s:%u */",
                 i + 1, base, lines[i]);
        assert_non_null(strstr(fx->t.output, comment));
        snprintf(comment, sizeof comment, "_f->_state = %u;\n", i + 1);
        assert_non_null(strstr(fx->t.output, comment));
    }
    assert_int_equal(F->states[1].col, 27);
    assert_string_equal(F->slots[F->states[0].slot].path, "_aw.g1.a1");
    assert_string_equal(F->slots[F->states[2].slot].path, "_aw.a3");
    assert_string_equal(F->states[0].callee, "g");
    assert_int_equal(F->states[3].kind, AC_STATE_AWAIT);
    /* 1 -> 2 -> (loop: 3 -> 3) -> 4 -> done */
    assert_int_equal(ac_machine_edge(F, 0, 1), AC_EDGE_NEXT);
    assert_int_equal(ac_machine_edge(F, 1, 2), AC_EDGE_NEXT);
    assert_int_equal(ac_machine_edge(F, 2, 3), AC_EDGE_NEXT);
    assert_int_equal(ac_machine_edge(F, 2, 4), AC_EDGE_NEXT);
    assert_int_equal(ac_machine_edge(F, 3, 3), AC_EDGE_NEXT);
    assert_int_equal(ac_machine_edge(F, 3, 4), AC_EDGE_NEXT);
    assert_int_equal(ac_machine_edge(F, 4, -1), AC_EDGE_RETURN | AC_EDGE_FAIL);
    assert_int_equal(ac_machine_edge(F, 1, 3), 0);
}

static void check(const ac_insp_field *f, size_t offset, size_t size) {
    assert_int_equal(f->offset, (long long)offset);
    assert_int_equal(f->size, (long long)size);
}

static void test_layout_is_the_compilers(void **state) {
    fixture *fx = *state;
    ac_insp_func *F = func_named(fx, "f");
    assert_int_equal(F->size, (long long)sizeof(struct f_frame));
    assert_int_equal(F->align, (long long)_Alignof(struct f_frame));
    const ac_insp_field *fs = F->fields;
    unsigned n = F->nfields;
    struct f_frame m;
    check(field(fs, n, "_state"), offsetof(struct f_frame, _state),
          sizeof m._state);
    check(field(fs, n, "n"), offsetof(struct f_frame, n), sizeof m.n);
    check(field(fs, n, "c"), offsetof(struct f_frame, c), sizeof m.c);
    check(field(fs, n, "d"), offsetof(struct f_frame, d), sizeof m.d);
    check(field(fs, n, "a"), offsetof(struct f_frame, a), sizeof m.a);
    const ac_insp_field *aw = field(fs, n, "_aw");
    check(aw, offsetof(struct f_frame, _aw), sizeof m._aw);
    assert_string_equal(aw->type, "union {...}");
    const ac_insp_field *g1 = field(aw->kids, aw->nkids, "g1");
    check(g1, offsetof(struct f_frame, _aw.g1), sizeof m._aw.g1);
    check(field(g1->kids, g1->nkids, "a2"), offsetof(struct f_frame, _aw.g1.a2),
          sizeof m._aw.g1.a2);
    check(field(aw->kids, aw->nkids, "a4"), offsetof(struct f_frame, _aw.a4),
          sizeof m._aw.a4);
    assert_string_equal(field(aw->kids, aw->nkids, "a4")->type,
                        "struct h__frame");
    check(field(fs, n, "_ret"), offsetof(struct f_frame, _ret), sizeof m._ret);
    assert_null(fs[n - 1].kids); /* _ret is last and has no members */
}

static void test_unshared_size(void **state) {
    fixture *fx = *state;
    ac_insp_func *F = func_named(fx, "f");
    /* Every parameter and local, then every child frame and group
     * separately, in the order of the union's members. */
    struct unshared {
        int _state;
        int n;
        char c;
        double d;
        int before, a;
        struct {
            struct g_frame a1;
            struct g_frame a2;
        } g1;
        struct g_frame a3;
        struct h_frame a4;
        int _ret;
    };
    assert_int_equal(F->unshared, (long long)sizeof(struct unshared));
    assert_int_equal(F->uncounted, 0);
    assert_true(F->unshared > F->size);
    /* Locals: parameters first, then in declaration order. */
    assert_int_equal(F->m->nlocals, 5);
    assert_string_equal(F->m->locals[3].name, "before");
    assert_int_equal(F->locals[3].size, (long long)sizeof(int));
    assert_string_equal(F->locals[3].type, "int");
    assert_string_equal(ac_inspect_local_reason(&F->m->locals[3]), "not_live");
    assert_string_equal(F->locals[2].type, "double");
}

static void test_reasons(void **state) {
    fixture *fx = *state;
    ac_insp_func *F = func_named(fx, "f");
    const ac_insp_field *fs = F->fields;
    unsigned n = F->nfields;
    assert_string_equal(field(fs, n, "_state")->reason, "state");
    assert_string_equal(field(fs, n, "n")->reason, "parameter");
    /* c and d are used in the loop around state 3: live across 1..3 */
    const ac_insp_field *c = field(fs, n, "c");
    assert_string_equal(c->reason, "live");
    assert_string_equal(c->note, "live across states 1..3");
    /* a is declared after states 1 and 2 (its initializer's) */
    const ac_insp_field *a = field(fs, n, "a");
    assert_string_equal(a->note, "live across states 3, 4");
    assert_int_equal(a->nstates, 2);
    assert_int_equal(a->states[0], 3);
    const ac_insp_field *aw = field(fs, n, "_aw");
    assert_string_equal(aw->reason, "children");
    const ac_insp_field *g1 = field(aw->kids, aw->nkids, "g1");
    assert_string_equal(g1->reason, "group");
    assert_int_equal(g1->nstates, 2);
    const ac_insp_field *a3 = field(aw->kids, aw->nkids, "a3");
    assert_string_equal(a3->reason, "child_frame");
    assert_string_equal(a3->note, "state 3: child frame of g");
    assert_string_equal(field(fs, n, "_ret")->reason, "result");
}

static void test_writers(void **state) {
    fixture *fx = *state;
    ac_buf out = {0};
    ac_inspect_write_text(&fx->ins, &out);
    const char *t = ac_buf_str(&out);
    assert_non_null(strstr(t, ": 3 async functions\n"));
    assert_non_null(strstr(t, "    start -> 1\n"));
    assert_non_null(strstr(t, "        3 -> 3, 4, done [fail]\n"));
    assert_non_null(strstr(t, "        4 -> done [return, fail]\n"));
    assert_non_null(strstr(t, "  not in the frame: before (int, 4 bytes, "
                              "line 7)\n"));
    assert_non_null(strstr(t, "  frame struct f__frame: "));
    ac_buf_free(&out);

    ac_inspect_write_json(&fx->ins, &out);
    const char *j = ac_buf_str(&out);
    assert_int_equal(strncmp(j, "{\n  \"schema\": 1,\n", 17), 0);
    /* The await's text, a C string literal with \" and \\, escaped. */
    assert_non_null(
        strstr(j, "\"await\": \"await(h(\\\"q\\\\\\\"b\\\\\\\\\\\"))\""));
    assert_non_null(strstr(j, "{\"from\": 4, \"to\": -1, \"kinds\": "
                              "[\"return\", \"fail\"]}"));
    ac_buf_free(&out);

    ac_inspect_write_dot(&fx->ins, &out);
    const char *d = ac_buf_str(&out);
    assert_non_null(
        strstr(d, "    \"f.1\" [label=\"1 (line 9)\\nawait(g(n))\"];\n"));
    /* DOT escapes the quotes and backslashes of the await's text too */
    assert_non_null(strstr(d, "\\nawait(h(\\\"q\\\\\\\"b\\\\\\\\\\\"))\"];\n"));
    assert_non_null(strstr(d, "    \"f.3\" -> \"f.3\";\n"));
    assert_non_null(
        strstr(d, "    \"f.4\" -> \"f.done\" [label=\"return, fail\"];\n"));
    ac_buf_free(&out);
}

/* --- the command line ----------------------------------------------- */

static int parse(ac_options *o, int argc, const char **argv) {
    diags_begin();
    int rc = ac_options_parse(o, argc, (char **)argv);
    diags_end();
    return rc;
}

static void test_options(void **state) {
    (void)state;
    ac_options o;
    const char *text[] = {"asyncc", "--inspect", "x.c"};
    assert_int_equal(parse(&o, 3, text), 0);
    assert_int_equal(o.mode, AC_MODE_INSPECT_TEXT);
    const char *json[] = {"asyncc", "x.c", "--inspect=json", "-o", "y"};
    assert_int_equal(parse(&o, 5, json), 0);
    assert_int_equal(o.mode, AC_MODE_INSPECT_JSON);
    const char *dot[] = {"asyncc", "--dot", "x.c"};
    assert_int_equal(parse(&o, 3, dot), 0);
    assert_int_equal(o.mode, AC_MODE_DOT);
    const char *plain[] = {"asyncc", "x.c"};
    assert_int_equal(parse(&o, 2, plain), 0);
    assert_int_equal(o.mode, AC_MODE_C);

    const char *both[] = {"asyncc", "--inspect", "--dot", "x.c"};
    assert_int_equal(parse(&o, 4, both), -1);
    assert_string_equal(test_diags,
                        "asyncc: error: --inspect and --dot cannot be used "
                        "together: each replaces the output; run asyncc once "
                        "for each\n");
    const char *bad[] = {"asyncc", "--inspect=xml", "x.c"};
    assert_int_equal(parse(&o, 3, bad), -1);
    assert_string_equal(test_diags, "asyncc: error: unknown --inspect format "
                                    "'xml' (text or json)\n");
    /* The same report twice is not a conflict. */
    const char *twice[] = {"asyncc", "--dot", "--dot", "x.c"};
    assert_int_equal(parse(&o, 4, twice), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_states_are_the_generated_ones,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_layout_is_the_compilers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unshared_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reasons, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writers, setup, teardown),
        cmocka_unit_test(test_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
