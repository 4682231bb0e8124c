/* The transitions between states (lower_cfg.c) on hand-built IR (no
 * libclang): sequences, branches, loops and their back edges, switch
 * fall-through, break and continue, early returns, goto, short-circuit
 * operators, async_try, async_timeout, async_raise and async_defer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "buf.h"
#include "lower_internal.h"

#include <stdlib.h>
#include <string.h>

static ac_arena arena;

/* --- building IR ---------------------------------------------------- */

static ac_expr *expr(ac_expr_kind kind) {
    ac_expr *e = ac_arena_alloc(&arena, sizeof *e);
    e->kind = kind;
    return e;
}

static void add_kid(ac_expr *e, ac_expr *kid) {
    ac_expr **kids = ac_arena_alloc(&arena, (e->nkids + 1) * sizeof *kids);
    if (e->nkids)
        memcpy(kids, e->kids, e->nkids * sizeof *kids);
    kids[e->nkids++] = kid;
    e->kids = kids;
}

/* await number `id` (the state the lowering would give it) */
static ac_expr *aw(unsigned id) {
    ac_expr *e = expr(AC_E_AWAIT);
    e->id = id;
    return e;
}

/* Text that is not a constant (spans nothing: unknown value). */
static ac_expr *cond(void) { return expr(AC_E_TEXT); }

/* Text spanning [b, e) of the source used by a test (constants). */
static ac_expr *text_at(unsigned b, unsigned e) {
    ac_expr *x = expr(AC_E_TEXT);
    x->span.begin = b;
    x->span.end = e;
    return x;
}

/* An expression with awaits inside: text with them as kids. */
static ac_expr *with(ac_expr *a, ac_expr *b) {
    ac_expr *e = expr(AC_E_TEXT);
    add_kid(e, a);
    if (b)
        add_kid(e, b);
    return e;
}

static ac_expr *op(ac_op o, ac_expr *a, ac_expr *b, ac_expr *c) {
    ac_expr *e = expr(AC_E_TEXT);
    e->op = o;
    add_kid(e, a);
    add_kid(e, b);
    if (c)
        add_kid(e, c);
    return e;
}

static ac_expr *try_(ac_expr *inner) {
    ac_expr *e = expr(AC_E_TRY);
    add_kid(e, cond()); /* the error pointer */
    add_kid(e, inner);
    return e;
}

static ac_stmt *stmt(ac_stmt_kind kind) {
    ac_stmt *s = ac_arena_alloc(&arena, sizeof *s);
    s->kind = kind;
    return s;
}

static ac_stmt *ex(ac_expr *e) {
    ac_stmt *s = stmt(AC_S_EXPR);
    s->expr = e;
    return s;
}

static ac_stmt *block(unsigned n, ...) {
    ac_stmt *s = stmt(AC_S_COMPOUND);
    s->kids = ac_arena_alloc(&arena, (n ? n : 1) * sizeof *s->kids);
    va_list ap;
    va_start(ap, n);
    for (unsigned i = 0; i < n; i++)
        s->kids[s->nkids++] = va_arg(ap, ac_stmt *);
    va_end(ap);
    return s;
}

static ac_stmt *if_(ac_expr *c, ac_stmt *then, ac_stmt *els) {
    ac_stmt *s = stmt(AC_S_IF);
    s->expr = c;
    s->body = then;
    s->els = els;
    return s;
}

static ac_stmt *loop(ac_stmt_kind kind, ac_expr *c, ac_stmt *body) {
    ac_stmt *s = stmt(kind);
    s->expr = c;
    s->body = body;
    return s;
}

static ac_stmt *for_(ac_stmt *init, ac_expr *c, ac_expr *inc, ac_stmt *body) {
    ac_stmt *s = loop(AC_S_FOR, c, body);
    s->init = init;
    s->inc = inc;
    return s;
}

static ac_stmt *jump(ac_stmt_kind kind, ac_stmt *target) {
    ac_stmt *s = stmt(kind);
    s->target = target;
    return s;
}

static ac_stmt *case_(int is_default, ac_stmt *body) {
    ac_stmt *s = stmt(AC_S_CASE);
    s->is_default = is_default;
    s->body = body;
    return s;
}

static ac_stmt *ret(ac_expr *e) {
    ac_stmt *s = stmt(AC_S_RETURN);
    s->expr = e;
    return s;
}

static ac_stmt *label(const char *name, ac_stmt *body) {
    ac_stmt *s = stmt(AC_S_LABEL);
    s->label = name;
    s->body = body;
    return s;
}

static ac_stmt *goto_(const char *name) {
    ac_stmt *s = stmt(AC_S_TEXT);
    s->label = name;
    return s;
}

static ac_stmt *timeout(ac_stmt *body) {
    ac_stmt *s = stmt(AC_S_TIMEOUT);
    s->expr = cond();
    s->inc = cond();
    s->body = body;
    return s;
}

static ac_stmt *raise_(void) {
    ac_expr *e = expr(AC_E_RAISE);
    add_kid(e, cond());
    return ex(e);
}

/* --- checking ------------------------------------------------------- */

/* The edges as "from>to" + kinds (n next, t timeout, r return, e end,
 * f fail, d defer), to -1 for done, in order. */
static unsigned max_id_expr(const ac_expr *e) {
    unsigned m = e && e->kind != AC_E_TEXT && e->kind != AC_E_TRY &&
                         e->kind != AC_E_RAISE
                     ? e->id
                     : 0;
    for (unsigned i = 0; e && i < e->nkids; i++) {
        unsigned k = max_id_expr(e->kids[i]);
        m = k > m ? k : m;
    }
    return m;
}

/* The states of a hand-built body: the largest await number in it. */
static unsigned max_id(const ac_stmt *s) {
    if (!s)
        return 0;
    unsigned m = max_id_expr(s->expr), k;
    if ((k = max_id_expr(s->inc)) > m)
        m = k;
    const ac_stmt *parts[] = {s->init, s->body, s->els};
    for (unsigned i = 0; i < 3; i++)
        if ((k = max_id(parts[i])) > m)
            m = k;
    for (unsigned i = 0; i < s->nkids; i++)
        if ((k = max_id(s->kids[i])) > m)
            m = k;
    return m;
}

/* The async_defer statements of the body being walked (their number
 * and whether a failure lands in each), for the machine. */
static ac_defer defers[4];
static unsigned ndefers;

/* async_defer { body } as statement number `id`, at offset 10 (a loop
 * starting before it encloses it), leaving its scope by `exit` (or
 * NULL); a failure in its scope lands in it when `lands`. */
static ac_stmt *defer_(unsigned id, ac_stmt *body, ac_stmt *exit, int lands) {
    ac_stmt *s = stmt(AC_S_DEFER);
    s->id = id;
    s->body = body;
    s->span.begin = 10;
    s->span.end = 11;
    s->scope_end = 100;
    if (exit) {
        s->exits = ac_arena_alloc(&arena, sizeof *s->exits);
        s->exits[s->nexits++] = exit;
    }
    defers[id - 1] = (ac_defer){.id = id, .lands = lands};
    ndefers = id > ndefers ? id : ndefers;
    return s;
}

static char *edges_of(ac_stmt *body, const ac_source *src) {
    ac_func f;
    memset(&f, 0, sizeof f);
    f.body = body;
    ac_unit u;
    memset(&u, 0, sizeof u);
    if (src)
        u.src = *src;
    ac_machine m;
    memset(&m, 0, sizeof m);
    m.nstates = max_id(body);
    m.defers = defers;
    m.ndefers = ndefers;
    ac_lower_transitions(&u, &f, &m);
    static char out[2048];
    out[0] = 0;
    for (unsigned i = 0; i < m.ntransitions; i++) {
        const ac_transition *t = &m.transitions[i];
        assert_int_equal(ac_machine_edge(&m, t->from, t->to), t->kinds);
        char one[32];
        int n = snprintf(one, sizeof one, "%s%u>%d", out[0] ? " " : "", t->from,
                         t->to);
        for (unsigned b = 0; b < 6; b++)
            if (t->kinds & (1u << b))
                one[n++] = "ntrefd"[b];
        one[n] = 0;
        strcat(out, one);
    }
    ac_arena_free(&u.arena);
    return out;
}

static int setup(void **state) {
    (void)state;
    memset(&arena, 0, sizeof arena);
    ndefers = 0;
    return 0;
}

static int teardown(void **state) {
    (void)state;
    ac_arena_free(&arena);
    return 0;
}

/* --- tests ---------------------------------------------------------- */

static void test_sequence_and_fall_off(void **state) {
    (void)state;
    /* await 1; await 2;  (falls off the end) */
    assert_string_equal(edges_of(block(2, ex(aw(1)), ex(aw(2))), NULL),
                        "0>1n 1>2n 1>-1f 2>-1ef");
    /* no await at all */
    assert_string_equal(edges_of(block(0), NULL), "0>-1e");
}

static void test_if_else_joins(void **state) {
    (void)state;
    /* if (c) await 1; else await 2; await 3; return; */
    ac_stmt *b =
        block(3, if_(cond(), ex(aw(1)), ex(aw(2))), ex(aw(3)), ret(NULL));
    assert_string_equal(edges_of(b, NULL),
                        "0>1n 0>2n 1>3n 1>-1f 2>3n 2>-1f 3>-1rf");
    /* if (c) await 1;  -- without else the start goes past it */
    assert_string_equal(
        edges_of(block(2, if_(cond(), ex(aw(1)), NULL), ex(aw(2))), NULL),
        "0>1n 0>2n 1>2n 1>-1f 2>-1ef");
}

static void test_early_return(void **state) {
    (void)state;
    /* await 1; if (c) return; await 2; */
    ac_stmt *b = block(3, ex(aw(1)), if_(cond(), ret(NULL), NULL), ex(aw(2)));
    assert_string_equal(edges_of(b, NULL), "0>1n 1>2n 1>-1rf 2>-1ef");
    /* return await 1;  -- the await runs before the return */
    assert_string_equal(edges_of(block(1, ret(with(aw(1), NULL))), NULL),
                        "0>1n 1>-1rf");
}

static void test_while_back_edge(void **state) {
    (void)state;
    /* while (c) { await 1; await 2; } await 3; */
    ac_stmt *b = block(
        2, loop(AC_S_WHILE, cond(), block(2, ex(aw(1)), ex(aw(2)))), ex(aw(3)));
    assert_string_equal(edges_of(b, NULL),
                        "0>1n 0>3n 1>2n 1>-1f 2>1n 2>3n 2>-1f 3>-1ef");
}

static void test_break_and_continue(void **state) {
    (void)state;
    /* while (await 1) { if (c) continue; if (c) break; await 2; }
     * await 3; */
    ac_stmt *w = loop(AC_S_WHILE, with(aw(1), NULL), NULL);
    w->body = block(3, if_(cond(), jump(AC_S_CONTINUE, w), NULL),
                    if_(cond(), jump(AC_S_BREAK, w), NULL), ex(aw(2)));
    ac_stmt *b = block(2, w, ex(aw(3)));
    /* continue and the end of the body go back to the condition's await;
     * break and a false condition go on to 3. */
    assert_string_equal(edges_of(b, NULL),
                        "0>1n 1>1n 1>2n 1>3n 1>-1f 2>1n 2>-1f 3>-1ef");
}

static void test_do_while(void **state) {
    (void)state;
    /* do { await 1; if (c) continue; await 2; } while (await 3); */
    ac_stmt *d = loop(AC_S_DO, with(aw(3), NULL), NULL);
    d->body = block(3, ex(aw(1)), if_(cond(), jump(AC_S_CONTINUE, d), NULL),
                    ex(aw(2)));
    /* continue goes to the condition (3), which loops back to 1 */
    assert_string_equal(edges_of(block(1, d), NULL),
                        "0>1n 1>2n 1>3n 1>-1f 2>3n 2>-1f 3>1n 3>-1ef");
}

static void test_for_condition_and_increment(void **state) {
    (void)state;
    /* for (; await 1; await 2) { if (c) continue; await 3; } */
    ac_stmt *f = for_(NULL, with(aw(1), NULL), with(aw(2), NULL), NULL);
    f->body = block(2, if_(cond(), jump(AC_S_CONTINUE, f), NULL), ex(aw(3)));
    assert_string_equal(edges_of(block(1, f), NULL),
                        "0>1n 1>2n 1>3n 1>-1ef 2>1n 2>-1f 3>2n 3>-1f");
}

static void test_nested_loops_break_inner(void **state) {
    (void)state;
    /* while (c) { while (c) { await 1; break; } await 2; } */
    ac_stmt *inner = loop(AC_S_WHILE, cond(), NULL);
    inner->body = block(2, ex(aw(1)), jump(AC_S_BREAK, inner));
    ac_stmt *outer = loop(AC_S_WHILE, cond(), block(2, inner, ex(aw(2))));
    /* break leaves the inner loop only: 1 goes to 2, never back to 1
     * directly (the inner loop has no back edge after a break). */
    assert_string_equal(edges_of(block(1, outer), NULL),
                        "0>1n 0>2n 0>-1e 1>2n 1>-1f 2>1n 2>2n 2>-1ef");
}

static void test_switch_fall_through(void **state) {
    (void)state;
    /* switch (await 1) {
     * case A: await 2;            -- falls through
     * case B: await 3; break;
     * default: await 4;
     * }
     * await 5; */
    ac_stmt *sw = loop(AC_S_SWITCH, with(aw(1), NULL), NULL);
    sw->body = block(4, case_(0, ex(aw(2))), case_(0, ex(aw(3))),
                     jump(AC_S_BREAK, sw), case_(1, ex(aw(4))));
    ac_stmt *b = block(2, sw, ex(aw(5)));
    assert_string_equal(edges_of(b, NULL), "0>1n 1>2n 1>3n 1>4n 1>-1f "
                                           "2>3n 2>-1f 3>5n 3>-1f 4>5n 4>-1f "
                                           "5>-1ef");
}

static void test_switch_without_default(void **state) {
    (void)state;
    /* switch (c) { case A: await 1; break; }  await 2;  -- no case
     * matching goes past the body */
    ac_stmt *sw = loop(AC_S_SWITCH, cond(), NULL);
    sw->body = block(2, case_(0, ex(aw(1))), jump(AC_S_BREAK, sw));
    assert_string_equal(edges_of(block(2, sw, ex(aw(2))), NULL),
                        "0>1n 0>2n 1>2n 1>-1f 2>-1ef");
}

static void test_goto(void **state) {
    (void)state;
    /* again: await 1; if (c) goto again; goto out; await 2; out: await 3;
     */
    ac_stmt *b =
        block(5, label("again", ex(aw(1))), if_(cond(), goto_("again"), NULL),
              goto_("out"), ex(aw(2)), label("out", ex(aw(3))));
    /* 2 is skipped by the goto: nothing reaches it */
    assert_string_equal(edges_of(b, NULL), "0>1n 1>1n 1>3n 1>-1f 3>-1ef");
    /* a goto whose label is unknown may go to any label */
    ac_stmt *c = block(4, ex(aw(1)), goto_("nowhere"), label("a", ex(aw(2))),
                       label("b", ex(aw(3))));
    assert_string_equal(edges_of(c, NULL),
                        "0>1n 1>2n 1>3n 1>-1f 2>3n 2>-1f 3>-1ef");
}

static void test_short_circuit(void **state) {
    (void)state;
    /* x && await 1;  x || await 2;  c ? await 3 : await 4;
     * (await 5, await 6); */
    ac_stmt *b = block(4, ex(op(AC_OP_LAND, cond(), aw(1), NULL)),
                       ex(op(AC_OP_LOR, cond(), aw(2), NULL)),
                       ex(op(AC_OP_COND, cond(), aw(3), aw(4))),
                       ex(op(AC_OP_COMMA, aw(5), aw(6), NULL)));
    assert_string_equal(edges_of(b, NULL),
                        "0>1n 0>2n 0>3n 0>4n 1>2n 1>3n 1>4n 1>-1f "
                        "2>3n 2>4n 2>-1f 3>5n 3>-1f 4>5n 4>-1f "
                        "5>6n 5>-1f 6>-1ef");
}

static void test_constant_conditions(void **state) {
    (void)state;
    ac_source src;
    ac_source_from_text(&src, "t.c", "1 0 (1)");
    /* while (1) { await 1; if (c) break; } await 2; -- only the break
     * leaves the loop */
    ac_stmt *w = loop(AC_S_WHILE, text_at(0, 1), NULL);
    w->body = block(2, ex(aw(1)), if_(cond(), jump(AC_S_BREAK, w), NULL));
    assert_string_equal(edges_of(block(2, w, ex(aw(2))), &src),
                        "0>1n 1>1n 1>2n 1>-1f 2>-1ef");
    /* do { await 1; } while (0); await 2; -- no back edge */
    ac_stmt *d = loop(AC_S_DO, text_at(2, 3), block(1, ex(aw(1))));
    assert_string_equal(edges_of(block(2, d, ex(aw(2))), &src),
                        "0>1n 1>2n 1>-1f 2>-1ef");
    /* 0 && await 1; (1) || await 2; -- never evaluated: unreachable */
    ac_stmt *b =
        block(3, ex(op(AC_OP_LAND, text_at(2, 3), aw(1), NULL)),
              ex(op(AC_OP_LOR, text_at(4, 7), aw(2), NULL)), ex(aw(3)));
    assert_string_equal(edges_of(b, &src), "0>3n 3>-1ef");
    ac_func f;
    memset(&f, 0, sizeof f);
    f.body = b;
    ac_unit u;
    memset(&u, 0, sizeof u);
    u.src = src;
    ac_machine m;
    memset(&m, 0, sizeof m);
    m.nstates = 3;
    ac_lower_transitions(&u, &f, &m);
    assert_false(ac_machine_reachable(&m, 1));
    assert_true(ac_machine_reachable(&m, 3));
    ac_arena_free(&u.arena);
    /* for (;;) { await 1; } -- never ends */
    assert_string_equal(
        edges_of(block(1, for_(NULL, NULL, NULL, block(1, ex(aw(1))))), &src),
        "0>1n 1>1n 1>-1f");
    ac_source_free(&src);
}

static void test_async_try_catches_in_place(void **state) {
    (void)state;
    /* async_try(await 1, &err); await 2; -- 1 cannot fail the function */
    assert_string_equal(
        edges_of(block(2, ex(try_(with(aw(1), NULL))), ex(aw(2))), NULL),
        "0>1n 1>2n 2>-1ef");
}

static void test_timeout_lands_after_the_block(void **state) {
    (void)state;
    /* async_timeout(s, &err) { await 1; await 2; } await 3; */
    ac_stmt *b = block(2, timeout(block(2, ex(aw(1)), ex(aw(2)))), ex(aw(3)));
    /* a failure of 1 or 2 lands after the block (timeout) or goes on out
     * (fail) */
    assert_string_equal(edges_of(b, NULL),
                        "0>1n 1>2n 1>3t 1>-1f 2>3nt 2>-1f 3>-1ef");
    /* nested: the inner block's failure also reaches the outer landing */
    ac_stmt *n =
        block(2, timeout(block(2, timeout(ex(aw(1))), ex(aw(2)))), ex(aw(3)));
    assert_string_equal(edges_of(n, NULL),
                        "0>1n 1>2nt 1>3t 1>-1f 2>3nt 2>-1f 3>-1ef");
}

static void test_raise(void **state) {
    (void)state;
    /* await 1; if (c) async_raise(e); await 2; */
    ac_stmt *b = block(3, ex(aw(1)), if_(cond(), raise_(), NULL), ex(aw(2)));
    assert_string_equal(edges_of(b, NULL), "0>1n 1>2n 1>-1f 2>-1ef");
    /* inside async_timeout: the raise lands after the block too */
    ac_stmt *t = block(2, timeout(block(2, ex(aw(1)), raise_())), ex(aw(2)));
    assert_string_equal(edges_of(t, NULL), "0>1n 1>2t 1>-1f 2>-1ef");
}

static void test_gather_and_wait_for_are_one_state(void **state) {
    (void)state;
    /* await(async_gather(f(await 1), g())); await(async_wait_for(h(), s)) */
    ac_expr *call1 = expr(AC_E_CALL), *call2 = expr(AC_E_CALL);
    add_kid(call1, with(aw(1), NULL));
    ac_expr *g = expr(AC_E_GATHER);
    g->id = 2;
    add_kid(g, call1);
    add_kid(g, call2);
    ac_expr *w = expr(AC_E_WAITFOR);
    w->id = 3;
    add_kid(w, expr(AC_E_CALL));
    add_kid(w, cond());
    assert_string_equal(edges_of(block(2, ex(g), ex(w)), NULL),
                        "0>1n 1>2n 1>-1f 2>3n 2>-1f 3>-1ef");
}

static void test_defer_runs_after_the_rest(void **state) {
    (void)state;
    /* { async_defer { await 2; } await 1; } -- the rest, then the body,
     * reached by the end of the rest or by 1's failure; the failure goes
     * on after the body */
    ac_stmt *b = block(2, defer_(1, ex(aw(2)), NULL, 1), ex(aw(1)));
    assert_string_equal(edges_of(b, NULL), "0>1n 1>2nd 2>-1ef");
}

static void test_defer_repeats_the_jumps_out(void **state) {
    (void)state;
    /* { async_defer { await 3; } await 1; if (c) return; await 2; } --
     * the return reaches the body too, whose end returns, fails (the
     * dispatch tests an int the walk does not follow) or falls off */
    ac_stmt *r = ret(NULL);
    ac_stmt *b = block(4, defer_(1, ex(aw(3)), r, 1), ex(aw(1)),
                       if_(cond(), r, NULL), ex(aw(2)));
    assert_string_equal(edges_of(b, NULL), "0>1n 1>2n 1>3nd 2>3nd 3>-1ref");
    /* for (...) { async_defer { } if (c) break; await 1; } await 2; --
     * the break, repeated after the body, leaves the loop; 1's failure
     * runs the body, then goes on out (and, as the int is not followed,
     * so may the start's break) */
    ac_stmt *loop_ = loop(AC_S_WHILE, cond(), NULL);
    ac_stmt *brk = jump(AC_S_BREAK, loop_);
    loop_->body = block(3, defer_(2, block(0), brk, 1), if_(cond(), brk, NULL),
                        ex(aw(1)));
    ac_stmt *w = block(2, loop_, ex(aw(2)));
    assert_string_equal(edges_of(w, NULL),
                        "0>1n 0>2n 0>-1f 1>1nd 1>2nd 1>-1f 2>-1ef");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sequence_and_fall_off, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_if_else_joins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_early_return, setup, teardown),
        cmocka_unit_test_setup_teardown(test_while_back_edge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_break_and_continue, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_do_while, setup, teardown),
        cmocka_unit_test_setup_teardown(test_for_condition_and_increment, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_nested_loops_break_inner, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_switch_fall_through, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_switch_without_default, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_goto, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_circuit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_constant_conditions, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_async_try_catches_in_place, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_timeout_lands_after_the_block,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_raise, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gather_and_wait_for_are_one_state,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_defer_runs_after_the_rest, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_defer_repeats_the_jumps_out, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
