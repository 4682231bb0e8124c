/* Lowering decisions on hand-built IR (no libclang): which locals are
 * hoisted, how frame fields are named, where state machines are placed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lower.h"
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

/* Source: offsets below index into this text (only its length matters
 * for lowering; diagnostics show its lines). */
static const char *text = "async int f(int _x) {\n"
                          "    int i = 1; { int i = 2; } await(g());\n"
                          "}\n"
                          "async int g(void) { }\n";

typedef struct fixture {
    ac_unit u;
} fixture;

static ac_var *var(ac_unit *u, const char *name, unsigned scope_begin,
                   unsigned scope_end) {
    ac_var *v = ac_arena_alloc(&u->arena, sizeof *v);
    v->name = name;
    v->field_decl = "int %s";
    v->type = "int";
    v->scope_begin = scope_begin;
    v->scope_end = scope_end;
    return v;
}

static ac_stmt *decl(ac_unit *u, ac_var *v) {
    ac_stmt *s = ac_arena_alloc(&u->arena, sizeof *s);
    s->kind = AC_S_DECL;
    s->vars = ac_arena_alloc(&u->arena, sizeof *s->vars);
    s->vars[0] = v;
    s->nvars = 1;
    return s;
}

static ac_func *func(ac_unit *u, const char *name, unsigned begin,
                     unsigned end) {
    ac_func *f = ac_arena_alloc(&u->arena, sizeof *f);
    f->name = name;
    f->span.begin = begin;
    f->span.end = end;
    f->callee = ac_arena_alloc(&u->arena, sizeof *f->callee);
    f->callee->name = name;
    f->callee->def = f;
    f->body = ac_arena_alloc(&u->arena, sizeof *f->body);
    f->body->kind = AC_S_COMPOUND;
    ac_vec_push((void ***)&u->funcs, &u->nfuncs, &u->capfuncs, f);
    return f;
}

static void add_local(ac_unit *u, ac_func *f, ac_var *v) {
    ac_var **vars = ac_arena_alloc(&u->arena, (f->nvars + 1) * sizeof *vars);
    if (f->nvars)
        memcpy(vars, f->vars, f->nvars * sizeof *vars);
    vars[f->nvars++] = v;
    f->vars = vars;
    ac_stmt **kids =
        ac_arena_alloc(&u->arena, (f->body->nkids + 1) * sizeof *kids);
    if (f->body->nkids)
        memcpy(kids, f->body->kids, f->body->nkids * sizeof *kids);
    kids[f->body->nkids++] = decl(u, v);
    f->body->kids = kids;
}

/* Records a use of `v` at `offset` (what the parser finds in the body). */
static void use(ac_unit *u, ac_func *f, ac_var *v, unsigned offset) {
    ac_ref *refs = ac_arena_alloc(&u->arena, (f->nrefs + 1) * sizeof *refs);
    if (f->nrefs)
        memcpy(refs, f->refs, f->nrefs * sizeof *refs);
    refs[f->nrefs].offset = offset;
    refs[f->nrefs].len = 1;
    refs[f->nrefs].var = v;
    f->refs = refs;
    f->nrefs++;
}

static void awaits_at(ac_func *f, unsigned *offsets, unsigned n) {
    f->await_offsets = offsets;
    f->nawaits = n;
}

static int setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    ac_source_from_text(&fx->u.src, "t.c", text);
    *state = fx;
    return 0;
}

static int teardown(void **state) {
    fixture *fx = *state;
    ac_unit_free(&fx->u);
    free(fx);
    return 0;
}

static void test_hoists_only_locals_with_await_in_scope(void **state) {
    fixture *fx = *state;
    ac_unit *u = &fx->u;
    ac_func *f = func(u, "f", 0, 70);
    static unsigned aw[] = {50};
    awaits_at(f, aw, 1);
    ac_var *outer = var(u, "i", 35, 68);  /* scope holds the await */
    ac_var *inner = var(u, "i", 40, 47);  /* sibling block, before it */
    ac_var *st = var(u, "count", 30, 68); /* static: stays static */
    ac_var *dead = var(u, "d", 30, 68);   /* only used before the await */
    st->is_static = 1;
    add_local(u, f, outer);
    add_local(u, f, inner);
    add_local(u, f, st);
    add_local(u, f, dead);
    use(u, f, outer, 60);
    use(u, f, inner, 45);
    use(u, f, st, 60);
    use(u, f, dead, 40);
    diags_begin();
    assert_int_equal(ac_lower(u), 0);
    diags_end();
    assert_true(outer->hoisted);
    assert_false(inner->hoisted);
    assert_false(st->hoisted);
    assert_false(dead->hoisted); /* in scope of the await, but not live */
    assert_string_equal(outer->field, "i");
}

static void test_field_names_are_unique_and_not_reserved(void **state) {
    fixture *fx = *state;
    ac_unit *u = &fx->u;
    ac_func *f = func(u, "f", 0, 70);
    static unsigned aw[] = {50};
    awaits_at(f, aw, 1);
    ac_var *param = var(u, "_x", 0, 0);
    param->is_param = 1;
    f->params = ac_arena_alloc(&u->arena, sizeof *f->params);
    f->params[0] = param;
    f->nparams = 1;
    ac_var *a = var(u, "i", 35, 68);
    ac_var *b = var(u, "i", 45, 60);
    ac_var *c = var(u, "ux", 45, 60);
    add_local(u, f, a);
    add_local(u, f, b);
    add_local(u, f, c);
    use(u, f, a, 55);
    use(u, f, b, 55);
    use(u, f, c, 55);
    diags_begin();
    assert_int_equal(ac_lower(u), 0);
    diags_end();
    assert_string_equal(param->field, "u_x"); /* '_' names are the frame's */
    assert_string_equal(a->field, "i");
    assert_string_equal(b->field, "i_2");
    assert_string_equal(c->field, "ux");
    assert_true(param->hoisted);
}

static void test_unhoistable_local_is_an_error(void **state) {
    fixture *fx = *state;
    ac_unit *u = &fx->u;
    ac_func *f = func(u, "f", 0, 70);
    static unsigned aw[] = {50};
    awaits_at(f, aw, 1);
    ac_var *v = var(u, "i", 35, 68);
    v->offset = 30;
    v->type_error = "it is a variable-length array";
    v->is_array = 1;
    add_local(u, f, v);
    diags_begin();
    assert_int_equal(ac_lower(u), -1);
    const char *out = diags_end();
    assert_non_null(strstr(out, "t.c:2:9: error: local 'i' lives across an "
                                "await, so it must be stored in the frame, "
                                "but it is a variable-length array"));
}

static void test_state_machine_follows_its_callees(void **state) {
    fixture *fx = *state;
    ac_unit *u = &fx->u;
    ac_func *f = func(u, "f", 0, 70);
    ac_func *g = func(u, "g", 72, 93);
    f->awaited = ac_arena_alloc(&u->arena, sizeof *f->awaited);
    f->awaited[0] = g->callee;
    f->nawaited = 1;
    assert_int_equal(ac_lower(u), 0);
    assert_int_equal(g->emit_at, 93);
    assert_int_equal(f->emit_at, 93); /* moved after g */
    assert_true(f->placed > g->placed);
}

static ac_expr *await_of(ac_unit *u, ac_func *caller, ac_func *callee) {
    ac_expr *e = ac_arena_alloc(&u->arena, sizeof *e);
    e->kind = AC_E_AWAIT;
    e->callee = callee->callee;
    ac_stmt *s = ac_arena_alloc(&u->arena, sizeof *s);
    s->kind = AC_S_EXPR;
    s->expr = e;
    ac_stmt **kids = ac_arena_alloc(&u->arena, sizeof *kids);
    kids[0] = s;
    caller->body->kids = kids;
    caller->body->nkids = 1;
    caller->awaited = ac_arena_alloc(&u->arena, sizeof *caller->awaited);
    caller->awaited[0] = callee->callee;
    caller->nawaited = 1;
    return e;
}

static void test_cycles_allocate_only_their_back_edges(void **state) {
    fixture *fx = *state;
    ac_unit *u = &fx->u;
    ac_func *f = func(u, "f", 0, 70);
    ac_func *g = func(u, "g", 72, 93);
    ac_func *h = func(u, "h", 93, 93);
    ac_expr *fg = await_of(u, f, g); /* f -> g -> f: a cycle */
    ac_expr *gf = await_of(u, g, f);
    ac_expr *hf = await_of(u, h, f); /* h -> f: outside the cycle */
    diags_begin();
    assert_int_equal(ac_lower(u), 0);
    diags_end();
    assert_true(fg->heap);
    assert_true(gf->heap);
    assert_false(hf->heap); /* f's frame is embedded in h's */
    assert_true(f->callee->needs_heap && g->callee->needs_heap);
    assert_false(h->callee->needs_heap);
    assert_true(h->emit_at >= f->emit_at);
}

static void test_callee_defined_elsewhere_is_allocated(void **state) {
    fixture *fx = *state;
    ac_unit *u = &fx->u;
    ac_func *f = func(u, "f", 0, 70);
    ac_func *g = func(u, "g", 72, 93);
    ac_expr *e = await_of(u, f, g);
    g->callee->def = NULL; /* declared only */
    ac_expr *sleep = await_of(u, g, f);
    sleep->callee = ac_arena_alloc(&u->arena, sizeof *sleep->callee);
    sleep->callee->name = "async_sleep";
    sleep->callee->frame_visible = 1; /* the runtime's: embedded */
    assert_int_equal(ac_lower(u), 0);
    assert_true(e->heap);
    assert_false(sleep->heap);
}

/* A call through an async function pointer: its frame is allocated,
 * whatever the pointer points to, and the slot says why; the callee
 * is no function of the file, so it orders nothing. */
static void test_pointer_call_is_allocated(void **state) {
    fixture *fx = *state;
    ac_unit *u = &fx->u;
    ac_func *f = func(u, "f", 0, 70);
    ac_func *g = func(u, "g", 72, 93);
    ac_expr *e = await_of(u, f, g);
    e->callee = ac_arena_alloc(&u->arena, sizeof *e->callee);
    e->callee->name = "(*p)";
    e->callee->is_pointer = 1;
    e->callee->ret_decl = "int %s";
    f->nawaited = 0; /* the parser adds no dependency for a pointer */
    assert_int_equal(ac_lower(u), 0);
    assert_true(e->heap);
    const ac_machine *m = f->machine;
    assert_int_equal(m->nstates, 1);
    assert_true(m->states[0].allocated);
    assert_string_equal(m->states[0].callee, "(*p)");
    const ac_slot *s = &m->slots[m->states[0].slot];
    assert_int_equal(s->kind, AC_SLOT_HEAP);
    assert_int_equal(s->heap, AC_HEAP_INDIRECT);
    assert_string_equal(s->members[0].name, "frame");
    assert_string_equal(s->members[1].name, "value");
    assert_false(g->callee->needs_heap);
}

/* What --inspect reports: which awaits each hoisted local is live
 * across, and why it is hoisted. */
static void test_records_why_locals_are_hoisted(void **state) {
    fixture *fx = *state;
    ac_unit *u = &fx->u;
    ac_func *f = func(u, "f", 0, 70);
    static unsigned aw[] = {40, 50, 60};
    awaits_at(f, aw, 3);
    ac_var *used = var(u, "used", 30, 68);   /* used between 50 and 60 */
    ac_var *addr = var(u, "addr", 45, 68);   /* address taken */
    ac_var *dead = var(u, "dead", 30, 68);   /* used before every await */
    ac_var *sibling = var(u, "sib", 30, 68); /* same declaration as used */
    add_local(u, f, used);
    ac_stmt *d = f->body->kids[0];
    d->vars = ac_arena_alloc(&u->arena, 2 * sizeof *d->vars);
    d->vars[0] = used;
    d->vars[1] = sibling;
    d->nvars = 2;
    f->vars = ac_arena_alloc(&u->arena, 4 * sizeof *f->vars);
    f->vars[0] = used;
    f->vars[1] = sibling;
    f->nvars = 2;
    add_local(u, f, addr);
    add_local(u, f, dead);
    addr->addr_taken = 1;
    use(u, f, used, 55);
    use(u, f, dead, 35);
    assert_int_equal(ac_lower(u), 0);
    /* Live across 40 and 50 (used at 55, after both), not across 60. */
    assert_int_equal(used->live_why, AC_LIVE_USE);
    assert_int_equal(used->nlive_at, 2);
    assert_int_equal(used->live_at[0], 40);
    assert_int_equal(used->live_at[1], 50);
    /* Its address is taken: every await in its scope counts. */
    assert_int_equal(addr->live_why, AC_LIVE_SCOPE_ADDRESS);
    assert_int_equal(addr->nlive_at, 2);
    assert_int_equal(addr->live_at[0], 50);
    assert_int_equal(addr->live_at[1], 60);
    assert_true(sibling->hoisted);
    assert_int_equal(sibling->live_why, AC_LIVE_DECLARATION);
    assert_ptr_equal(sibling->hoisted_with, used);
    assert_false(dead->hoisted);
    assert_int_equal(dead->live_why, AC_LIVE_NONE);
    assert_int_equal(dead->nlive_at, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_records_why_locals_are_hoisted,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_hoists_only_locals_with_await_in_scope, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_field_names_are_unique_and_not_reserved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unhoistable_local_is_an_error,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_machine_follows_its_callees,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_cycles_allocate_only_their_back_edges, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_callee_defined_elsewhere_is_allocated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pointer_call_is_allocated, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
