/*
 * parse_expr.c -- expressions of an async function as IR.
 *
 * Expressions stay source text; an ac_expr tree is built only along the
 * paths that lead to an await, spawn, raise or try, so the lowering knows
 * what to evaluate first and where to splice each result back in.  The
 * dialect's constructs are recognised by their marker calls; misuse is
 * reported here.
 */
#include "parse_internal.h"

#include <stdlib.h>
#include <string.h>

void *ac_parse_alloc(ac_parser *p, size_t n) {
    return ac_arena_alloc(&p->u->arena, n);
}

void *ac_parse_grow(ac_parser *p, void *items, unsigned n, size_t size) {
    if (n >= 4 ? (n & (n - 1)) != 0 : n != 0)
        return items;
    size_t cap = n ? (size_t)n * 2 : 4;
    void *bigger = ac_parse_alloc(p, cap * size);
    if (n)
        memcpy(bigger, items, n * size);
    return bigger;
}

static void push_kid(ac_parser *p, ac_expr *e, ac_expr *kid) {
    ac_expr **kids = ac_parse_grow(p, e->kids, e->nkids, sizeof *kids);
    kids[e->nkids++] = kid;
    e->kids = kids;
}

static int has_await(const ac_expr *e) {
    return e && (e->kind != AC_E_TEXT || e->nkids > 0);
}

unsigned ac_parse_cursor_offset(ac_parser *p, CXCursor c) {
    unsigned off = 0;
    if (!ac_parse_offset(p, clang_getCursorLocation(c), &off)) {
        ac_span s;
        if (ac_parse_span(p, c, &s))
            off = s.begin;
    }
    return off;
}

/* Kinds that have no children in C: asking libclang for them is a
 * costly no-op on the most common nodes. */
static int is_leaf(enum CXCursorKind k) {
    return k == CXCursor_DeclRefExpr || k == CXCursor_IntegerLiteral ||
           k == CXCursor_FloatingLiteral || k == CXCursor_CharacterLiteral ||
           k == CXCursor_StringLiteral;
}

/* The cursor's span, or an empty one at its position. */
static void span_of(ac_parser *p, CXCursor c, ac_span *out) {
    if (!ac_parse_span(p, c, out))
        out->begin = out->end = ac_parse_cursor_offset(p, c);
}

static void note_await_offset(ac_parser *p, unsigned offset) {
    ac_func *f = p->fn;
    unsigned *a = ac_parse_grow(p, f->await_offsets, f->nawaits, sizeof *a);
    a[f->nawaits++] = offset;
    f->await_offsets = a;
}

static void add_dep(ac_parser *p, ac_callee *callee) {
    ac_func *f = p->fn;
    if (callee->is_pointer)
        return; /* its frame is never embedded */
    for (unsigned i = 0; i < f->nawaited; i++)
        if (f->awaited[i] == callee)
            return;
    ac_callee **d = ac_parse_grow(p, f->awaited, f->nawaited, sizeof *d);
    d[f->nawaited++] = callee;
    f->awaited = d;
}

static ac_expr *text_node(ac_parser *p, ac_span span);
static void check_not_stringized(ac_parser *p, ac_span span);
static void add_text_kid(ac_parser *p, ac_expr *e, ac_expr *kid);
static int kids_disjoint(const ac_expr *e);

/* Is the call written in the file as NAME(arg, ...) (or, through a
 * pointer, P(arg, ...)), each argument with its own text, in order? */
static int call_is_written_out(ac_parser *p, const ac_expr *e, ac_span cs) {
    unsigned at;
    if (e->fnptr) {
        if (e->fnptr->span.begin != cs.begin || e->fnptr->span.end > cs.end ||
            e->fnptr->span.end <= e->fnptr->span.begin)
            return 0;
        at = e->fnptr->span.end;
    } else {
        size_t len = strlen(e->callee->name);
        if (cs.end - cs.begin < len ||
            strncmp(p->u->src.text + cs.begin, e->callee->name, len) != 0)
            return 0;
        at = cs.begin + (unsigned)len;
    }
    for (unsigned i = 0; i < e->nkids; i++) {
        ac_span a = e->kids[i]->span;
        if (a.begin < at || a.end > cs.end || a.end <= a.begin)
            return 0;
        at = a.end;
    }
    return 1;
}

/* A call node: the callee and one text-or-await node per argument. */
/* The argument of a handler parameter (declared `async RET (*)(...)` by
 * asyncrt, such as async_serve's): the name of an async function, which
 * the runtime receives as its spawner NAME__spawn and calls to start
 * each task. */
static ac_expr *build_spawner(ac_parser *p, CXCursor arg) {
    ac_span span;
    if (!ac_parse_span(p, arg, &span))
        span.begin = span.end = ac_parse_cursor_offset(p, arg);
    CXCursor c = ac_parse_strip_parens(arg);
    while (clang_getCursorKind(c) == CXCursor_UnexposedExpr) {
        ac_cursors kids = {0};
        ac_cursors_children(c, &kids);
        CXCursor inner = kids.n == 1 ? kids.items[0] : clang_getNullCursor();
        ac_cursors_free(&kids);
        if (clang_Cursor_isNull(inner))
            break;
        c = ac_parse_strip_parens(inner);
    }
    CXCursor fn = clang_getCursorKind(c) == CXCursor_DeclRefExpr
                      ? clang_getCursorReferenced(c)
                      : clang_getNullCursor();
    if (clang_Cursor_isNull(fn) || !ac_parse_is_async_decl(fn)) {
        ac_parse_error(p, span.begin,
                       "a handler must be the name of an async function "
                       "defined in this file");
        return text_node(p, span);
    }
    ac_expr *e = text_node(p, span);
    e->kind = AC_E_SPAWNER;
    e->callee = ac_parse_callee(p, fn);
    if (!e->callee->def && !e->callee->frame_visible) {
        ac_parse_error(p, span.begin,
                       "'%s' is defined in another file: a handler must be "
                       "an async function defined in this file",
                       e->callee->name);
        return text_node(p, span);
    }
    e->callee->needs_spawn = 1;
    add_dep(p, e->callee);
    return e;
}

ac_expr *ac_parse_call_node(ac_parser *p, CXCursor call, ac_expr_kind kind,
                            ac_span span) {
    ac_expr *e = ac_parse_alloc(p, sizeof *e);
    e->kind = kind;
    e->span = span;
    CXCursor fn = ac_parse_async_callee(call);
    if (clang_Cursor_isNull(fn)) {
        e->callee = ac_parse_pointer_callee(p, call);
        e->fnptr = ac_parse_expr(p, ac_parse_pointer_expr(call));
        if (has_await(e->fnptr))
            ac_parse_error(p, e->fnptr->span.begin,
                           "the function pointer of an awaited call cannot "
                           "await; await into a variable first");
    } else {
        e->callee = ac_parse_callee(p, fn);
    }
    e->is_void = e->callee->is_void;
    int n = clang_Cursor_getNumArguments(call);
    for (int i = 0; i < n; i++) {
        CXCursor arg = clang_Cursor_getArgument(call, (unsigned)i);
        CXCursor param = clang_Cursor_getArgument(fn, (unsigned)i);
        ac_expr *a =
            !clang_Cursor_isNull(fn) && ac_parse_is_handler_param(p, fn, param)
                ? build_spawner(p, arg)
                : ac_parse_expr(p, arg);
        push_kid(p, e, a);
    }
    ac_span cs;
    if (!ac_parse_span(p, call, &cs) || call_is_written_out(p, e, cs))
        return e;
    /* A macro wrote the call: its arguments have no text of their own. */
    ac_expr *text = text_node(p, cs);
    for (unsigned i = 0; i < e->nkids; i++)
        add_text_kid(p, text, e->kids[i]);
    if (!kids_disjoint(text))
        ac_parse_error(p, text->nkids ? text->kids[0]->span.begin : cs.begin,
                       "cannot rewrite this await: it is inside a macro "
                       "argument that the macro uses more than once or out "
                       "of order");
    e->macro_call = text;
    return e;
}

/* The awaited operand: await(x) expands to (marker(), _Generic((x), ...))
 * and the controlling expression of the _Generic is x, in parentheses
 * written by the macro (spanning the whole await) and possibly under an
 * implicit conversion. */

static CXCursor await_operand(ac_parser *p, CXCursor generic, ac_span whole) {
    ac_cursors kids = {0};
    ac_cursors_children(generic, &kids);
    CXCursor op = kids.n ? kids.items[0] : clang_getNullCursor();
    ac_cursors_free(&kids);
    return ac_parse_macro_operand(p, op, whole);
}

/* Strips implicit conversions and the parentheses a dialect macro wrote
 * around its operand (they span the whole invocation `whole`). */
CXCursor ac_parse_macro_operand(ac_parser *p, CXCursor op, ac_span whole) {
    ac_cursors kids = {0};
    while (!clang_Cursor_isNull(op)) {
        enum CXCursorKind k = clang_getCursorKind(op);
        ac_span s;
        int macro_paren = k == CXCursor_ParenExpr && ac_parse_span(p, op, &s) &&
                          s.begin == whole.begin && s.end == whole.end;
        if (k != CXCursor_UnexposedExpr && !macro_paren)
            break;
        ac_cursors_children(op, &kids);
        if (kids.n != 1 ||
            !clang_isExpression(clang_getCursorKind(kids.items[0])))
            break;
        op = kids.items[0];
        if (macro_paren)
            break;
    }
    ac_cursors_free(&kids);
    return op;
}

/* A dialect construct must be written in the function body, not produced
 * by another macro's body; its span is its whole invocation (libclang
 * gives a shorter one when it sits in another macro's argument). */
int ac_parse_check_written(ac_parser *p, ac_mark m, ac_span *span,
                           const char *what) {
    const ac_expansion *x = ac_parse_expansion_at(p, span->begin);
    if (ac_offsets_has(&p->macro_at[m], span->begin) && x) {
        if (x->span.end > span->end)
            span->end = x->span.end;
        return 1;
    }
    ac_parse_error(p, span->begin,
                   "'%s' inside the definition of another macro is not "
                   "supported; write %s(...) directly in the function body",
                   what, what);
    return 0;
}

static ac_expr *text_node(ac_parser *p, ac_span span) {
    ac_expr *e = ac_parse_alloc(p, sizeof *e);
    e->kind = AC_E_TEXT;
    e->span = span;
    return e;
}

/* The operand of a dialect construct without the (void) cast and the
 * macro's parentheses that the expansion puts around it. */
CXCursor ac_parse_uncast(CXCursor op) {
    if (clang_getCursorKind(op) == CXCursor_CStyleCastExpr) {
        ac_cursors kids = {0};
        ac_cursors_children(op, &kids);
        if (kids.n == 1)
            op = kids.items[0];
        ac_cursors_free(&kids);
    }
    return op;
}

/* A part of a gathered call that runs after the gather (where the result
 * goes, the error pointer): plain text, no await. */
static ac_expr *gather_side_expr(ac_parser *p, CXCursor c, const char *what) {
    ac_expr *e = ac_parse_expr(p, c);
    if (has_await(e))
        ac_parse_error(p, e->span.begin,
                       "%s in async_gather() cannot await; await into a "
                       "variable first",
                       what);
    return e;
}

/* One argument of async_gather:
 *   gathered -> call | lvalue = call | async_try(call | lvalue = call, errp)
 * Returns the CALL node, or NULL after reporting an error. */
static ac_expr *build_gathered(ac_parser *p, CXCursor arg, ac_span span,
                               const char *what) {
    CXCursor c = ac_parse_strip_parens(arg);
    ac_expr *errp = NULL, *store = NULL;
    ac_span cs;
    if (!ac_parse_span(p, arg, &cs))
        cs = span;
    if (ac_parse_marker(c, NULL) == AC_MARK_TRY) {
        ac_cursors ops = {0};
        ac_parse_marker(c, &ops);
        if (ops.n != 2) {
            ac_cursors_free(&ops);
            ac_parse_error(p, cs.begin,
                           "cannot read the operands of "
                           "async_try()");
            return NULL;
        }
        ac_span tspan = cs;
        ac_parse_check_written(p, AC_MARK_TRY, &tspan, "async_try");
        errp = gather_side_expr(
            p, ac_parse_macro_operand(p, ac_parse_uncast(ops.items[0]), cs),
            "the error pointer of async_try()");
        c = ac_parse_strip_parens(ac_parse_macro_operand(p, ops.items[1], cs));
        ac_cursors_free(&ops);
        if (!ac_parse_span(p, c, &cs))
            cs = tspan;
    }
    enum CXCursorKind ck = clang_getCursorKind(c);
    if (ck == CXCursor_BinaryOperator ||
        ck == CXCursor_CompoundAssignOperator) {
        ac_cursors kids = {0};
        ac_cursors_children(c, &kids);
        const char *op =
            ck == CXCursor_BinaryOperator ? ac_parse_binary_op(p, c) : NULL;
        if (kids.n == 2 && op && strcmp(op, "=") == 0) {
            store = gather_side_expr(p, kids.items[0], "the result's target");
            c = ac_parse_strip_parens(kids.items[1]);
            if (!ac_parse_span(p, c, &cs))
                cs = span;
        } else if (kids.n == 2 &&
                   ac_parse_is_async_call(
                       p, ac_parse_strip_parens(kids.items[1]))) {
            ac_parse_error(p, cs.begin,
                           "%s stores a result only with '=': write "
                           "x = call(...) and combine x afterwards",
                           what);
            ac_cursors_free(&kids);
            return NULL;
        }
        ac_cursors_free(&kids);
    }
    if (!ac_parse_is_async_call(p, c)) {
        ac_parse_not_async(p, c, cs.begin, what);
        return NULL;
    }
    ac_expr *child = ac_parse_call_node(p, c, AC_E_CALL, cs);
    child->store = store;
    child->errp = errp;
    return child;
}

static ac_expr *build_gather(ac_parser *p, CXCursor gather, ac_span span,
                             int failfast) {
    ac_cursors ops = {0};
    ac_parse_marker(gather, &ops);
    ac_expr *e = ac_parse_alloc(p, sizeof *e);
    e->kind = AC_E_GATHER;
    e->span = span;
    e->failfast = failfast;
    const char *what = failfast ? "async_gather_failfast()" : "async_gather()";
    /* The macro appends a trailing 0 operand for the result type. */
    for (unsigned i = 0; i + 1 < ops.n; i++) {
        ac_expr *child = build_gathered(p, ops.items[i], span, what);
        if (!child)
            continue;
        add_dep(p, child->callee);
        push_kid(p, e, child);
    }
    if (e->nkids == 0 && ops.n <= 1)
        ac_parse_error(p, span.begin, "%s needs at least one call", what);
    ac_cursors_free(&ops);
    return e;
}

/* The first operand after a dialect construct's marker call. */
static CXCursor first_marker_operand(CXCursor c) {
    ac_cursors ops = {0};
    ac_parse_marker(c, &ops);
    CXCursor first = ops.n ? ops.items[0] : clang_getNullCursor();
    ac_cursors_free(&ops);
    return first;
}

/* await(async_wait_for(call, seconds)): the marker's operands are
 * (void)(seconds) and (call). */
static ac_expr *build_wait_for(ac_parser *p, CXCursor w, ac_span span,
                               ac_span wspan) {
    ac_cursors ops = {0};
    ac_parse_marker(w, &ops);
    ac_expr *e = text_node(p, span);
    if (ops.n != 2) {
        ac_cursors_free(&ops);
        ac_parse_error(p, wspan.begin,
                       "cannot read the operands of async_wait_for()");
        return e;
    }
    CXCursor secs = ops.items[0], call = ops.items[1];
    ac_cursors_free(&ops);
    secs = ac_parse_uncast(secs);
    call = ac_parse_strip_parens(ac_parse_macro_operand(p, call, wspan));
    if (ac_parse_is_task_type(clang_getCursorType(call))) {
        /* A task handle: the child is async__join_cancel(t). */
        if (clang_Cursor_isNull(p->join_cancel)) {
            ac_parse_error(p, wspan.begin,
                           "async_wait_for() of a task needs <async.h>'s "
                           "async__join_cancel, which is not declared");
            return e;
        }
        ac_span ts = wspan;
        ac_parse_span(p, call, &ts);
        ac_expr *child = ac_parse_alloc(p, sizeof *child);
        child->kind = AC_E_CALL;
        child->span = ts;
        child->callee = ac_parse_callee(p, p->join_cancel);
        push_kid(p, child, ac_parse_expr(p, call));
        add_dep(p, child->callee);
        e->kind = AC_E_WAITFOR;
        push_kid(p, e, child);
        push_kid(p, e,
                 ac_parse_expr(p, ac_parse_macro_operand(p, secs, wspan)));
        return e;
    }
    if (!ac_parse_is_async_call(p, call)) {
        ac_parse_not_async(p, call, wspan.begin, "async_wait_for()");
        return e;
    }
    ac_span cs = wspan;
    ac_parse_span(p, call, &cs);
    ac_expr *child = ac_parse_call_node(p, call, AC_E_CALL, cs);
    add_dep(p, child->callee);
    e->kind = AC_E_WAITFOR;
    e->is_void = child->callee->is_void;
    push_kid(p, e, child);
    push_kid(p, e, ac_parse_expr(p, ac_parse_macro_operand(p, secs, wspan)));
    return e;
}

static ac_expr *build_await(ac_parser *p, CXCursor c, ac_span span) {
    CXCursor generic = first_marker_operand(c);
    CXCursor operand = await_operand(p, generic, span);
    ac_parse_check_written(p, AC_MARK_AWAIT, &span, "await");
    check_not_stringized(p, span);
    note_await_offset(p, span.begin);

    CXCursor inner = ac_parse_strip_parens(operand);
    ac_span ispan = span;
    ac_parse_span(p, operand, &ispan);
    if (ac_parse_marker(inner, NULL) == AC_MARK_WAIT_FOR) {
        ac_span wspan = ispan;
        ac_parse_span(p, inner, &wspan);
        ac_parse_check_written(p, AC_MARK_WAIT_FOR, &wspan, "async_wait_for");
        return build_wait_for(p, inner, span, wspan);
    }
    ac_mark im = ac_parse_marker(inner, NULL);
    if (im == AC_MARK_GATHER || im == AC_MARK_GATHER_FAILFAST) {
        ac_span gspan = ispan;
        ac_parse_span(p, inner, &gspan);
        ac_parse_check_written(p, im, &gspan,
                               im == AC_MARK_GATHER ? "async_gather"
                                                    : "async_gather_failfast");
        ac_expr *g =
            build_gather(p, inner, span, im == AC_MARK_GATHER_FAILFAST);
        g->span = span;
        return g;
    }
    if (ac_parse_is_task_type(clang_getCursorType(operand))) {
        if (!clang_Cursor_isNull(ac_parse_async_callee(inner))) {
            /* await(t) of a handle has this spelling, and its value is
             * the task's int result, not a handle. */
            ac_parse_error(p, ispan.begin,
                           "an async function whose result is an "
                           "async_task * cannot be awaited: await(x) of a "
                           "task handle joins the task; return the handle "
                           "through a pointer parameter instead");
            return text_node(p, span);
        }
        ac_expr *e = ac_parse_alloc(p, sizeof *e);
        e->kind = AC_E_JOIN;
        e->span = span;
        push_kid(p, e, ac_parse_expr(p, operand));
        return e;
    }
    if (!ac_parse_is_async_call(p, inner)) {
        ac_parse_not_async(p, inner, ispan.begin, "await");
        return text_node(p, span);
    }
    ac_expr *e = ac_parse_call_node(p, inner, AC_E_AWAIT, span);
    add_dep(p, e->callee);
    return e;
}

/* async_raise(code) and async_try(expr, errp): the marker's operands are
 * (void)(code), or (void)(errp) and (expr). */
static ac_expr *build_raise_or_try(ac_parser *p, CXCursor c, ac_span span,
                                   ac_mark m) {
    ac_cursors ops = {0};
    ac_parse_marker(c, &ops);
    const char *what = m == AC_MARK_RAISE ? "async_raise" : "async_try";
    ac_parse_check_written(p, m, &span, what);
    ac_expr *e = text_node(p, span);
    e->kind = m == AC_MARK_RAISE ? AC_E_RAISE : AC_E_TRY;
    for (unsigned i = 0; i < ops.n; i++) {
        CXCursor op = ac_parse_uncast(ops.items[i]);
        /* The macro's own parentheses around the operand. */
        push_kid(p, e, ac_parse_expr(p, ac_parse_macro_operand(p, op, span)));
    }
    ac_cursors_free(&ops);
    if (e->nkids != (m == AC_MARK_RAISE ? 1u : 2u)) {
        ac_parse_error(p, span.begin, "cannot read the operands of %s()", what);
        return text_node(p, span);
    }
    if (m == AC_MARK_RAISE)
        ac_vec_push((void ***)&p->raises, &p->nraises, &p->capraises, e);
    if (m == AC_MARK_TRY) {
        e->temp_decl = "int *%s";
        e->is_void = e->kids[1]->is_void;
        if (has_await(e->kids[0]))
            ac_parse_error(p, e->kids[0]->span.begin,
                           "the error pointer of async_try() cannot await");
    } else if (has_await(e->kids[0])) {
        ac_parse_error(p, e->kids[0]->span.begin,
                       "the code of async_raise() cannot await; await into a "
                       "variable first");
    }
    return e;
}

static ac_expr *build_spawn(ac_parser *p, CXCursor c, ac_span span) {
    CXCursor operand = first_marker_operand(c);
    ac_parse_check_written(p, AC_MARK_SPAWN, &span, "async_spawn");
    /* (void)(call): strip the cast and the macro's parentheses. */
    ac_cursors kids = {0};
    ac_cursors_children(operand, &kids);
    CXCursor call = kids.n == 1 ? ac_parse_strip_parens(kids.items[0])
                                : clang_getNullCursor();
    ac_cursors_free(&kids);
    if (clang_Cursor_isNull(call) || !ac_parse_is_async_call(p, call)) {
        ac_parse_not_async(p, call, span.begin, "async_spawn()");
        return text_node(p, span);
    }
    ac_expr *e = ac_parse_call_node(p, call, AC_E_SPAWN, span);
    ac_callee *callee = e->callee;
    /* A frame type known here gives a NAME__spawn helper; otherwise the
     * task starts through the callee's starter, as a pointer's does. */
    if (callee->is_pointer || e->macro_call ||
        (!callee->def && !callee->frame_visible)) {
        e->heap = 1;
        if (!callee->is_pointer && !callee->def && callee->frame_visible)
            ac_parse_error(p, span.begin,
                           "async_spawn() of '%s', an async function of the "
                           "runtime, through a macro is not supported; write "
                           "the call itself",
                           callee->name);
        callee->needs_starter |= !callee->is_pointer;
    } else {
        callee->needs_spawn = 1;
    }
    return e;
}

/* Adds `kid` under `e`, flattening text nodes that cover the same span
 * (macro expansions give many nodes one span) so that kids stay disjoint
 * pieces of the parent's text. */
static void add_text_kid(ac_parser *p, ac_expr *e, ac_expr *kid) {
    if (!has_await(kid))
        return;
    if (kid->kind == AC_E_TEXT && kid->span.begin == e->span.begin &&
        kid->span.end == e->span.end) {
        for (unsigned i = 0; i < kid->nkids; i++)
            push_kid(p, e, kid->kids[i]);
        return;
    }
    push_kid(p, e, kid);
}

static int kids_disjoint(const ac_expr *e) {
    for (unsigned i = 0; i < e->nkids; i++) {
        const ac_expr *k = e->kids[i];
        if (k->span.begin < e->span.begin || k->span.end > e->span.end)
            return 0;
        if (i && e->kids[i - 1]->span.end > k->span.begin)
            return 0;
    }
    return 1;
}

/* [3] = x and .field = x in an initializer list: libclang does not
 * expose them, but their value is just spliced like any operand. */
static int is_designated_init(ac_parser *p, ac_span span) {
    char ch = p->u->src.text[span.begin];
    return span.end > span.begin && (ch == '[' || ch == '.');
}

/* Does a macro whose argument holds `span` stringize or paste it?  Then
 * the output's text would differ from what the user wrote. */
static void check_not_stringized(ac_parser *p, ac_span span) {
    /* The expansions around `span` are the last one starting before it
     * and the ones around that. */
    unsigned lo = 0, hi = p->nexpansions;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (p->expansions[mid].span.begin < span.begin)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (unsigned i = lo; i > 0; i = p->expansions[i - 1].parent) {
        const ac_expansion *x = &p->expansions[i - 1];
        if (x->span.end < span.end)
            continue;
        CXCursor def = clang_getCursorReferenced(x->cursor);
        if (clang_Cursor_isNull(def) || !clang_Cursor_isMacroFunctionLike(def))
            continue;
        CXToken *toks = NULL;
        unsigned n = 0, bad = 0;
        clang_tokenize(p->tu, clang_getCursorExtent(def), &toks, &n);
        for (unsigned k = 1; k < n && !bad; k++) {
            CXString t = clang_getTokenSpelling(p->tu, toks[k]);
            const char *ts = clang_getCString(t);
            bad = clang_getTokenKind(toks[k]) == CXToken_Punctuation &&
                  (strcmp(ts, "#") == 0 || strcmp(ts, "##") == 0);
            clang_disposeString(t);
        }
        clang_disposeTokens(p->tu, toks, n);
        if (bad) {
            CXString name = clang_getCursorSpelling(def);
            ac_parse_error(p, span.begin,
                           "macro '%s' stringizes or pastes its arguments "
                           "(# or ##), so this await's text would change its "
                           "result; await into a variable first",
                           clang_getCString(name));
            clang_disposeString(name);
            return;
        }
    }
}

/* Calls that break an async function: those that block the thread (every
 * task stops with it) are warned about; those whose effect does not
 * survive a suspension are refused. */
static void check_plain_call(ac_parser *p, CXCursor call) {
    CXCursor fn = clang_getCursorReferenced(call);
    if (clang_Cursor_isNull(fn))
        return;
    char *name = ac_parse_spelling(p, fn);
    ac_span span;
    span_of(p, call, &span);
    static const char *const blocking[] = {"sleep", "usleep", "nanosleep",
                                           "clock_nanosleep", "thrd_sleep"};
    for (unsigned i = 0; i < sizeof blocking / sizeof *blocking; i++)
        if (strcmp(name, blocking[i]) == 0) {
            ac_source_diag(&p->u->src, AC_DIAG_WARNING, span.begin,
                           "'%s' blocks the thread, and every task with it; "
                           "use await(async_sleep(seconds)) in async "
                           "functions",
                           name);
            return;
        }
    if (strcmp(name, "alloca") == 0 || strcmp(name, "__builtin_alloca") == 0)
        ac_parse_error(p, span.begin,
                       "alloca() is not supported in async functions: its "
                       "memory is released whenever the function suspends; "
                       "use an array or malloc()");
    else if (strcmp(name, "setjmp") == 0 || strcmp(name, "_setjmp") == 0 ||
             strcmp(name, "sigsetjmp") == 0 ||
             strcmp(name, "__sigsetjmp") == 0 || strcmp(name, "longjmp") == 0 ||
             strcmp(name, "_longjmp") == 0 || strcmp(name, "siglongjmp") == 0)
        ac_parse_error(p, span.begin,
                       "%s() is not supported in async functions: a jump "
                       "buffer does not survive a suspension, and a jump "
                       "out of the function would bypass the event loop; "
                       "return an error value instead",
                       strncmp(name, "__", 2) == 0 ? name + 2
                       : name[0] == '_'            ? name + 1
                                                   : name);
}

/* &&, || and ?: evaluate some operands only under a condition, and the
 * comma operator evaluates its left operand first: where a later operand
 * holds an await, the node keeps all its operands so the lowering can
 * emit the control flow C prescribes.  Returns 1 when `e` became such a
 * node (or an error was reported), 0 when plain splicing is right. */
static int sequenced_node(ac_parser *p, CXCursor c, ac_expr *e,
                          ac_expr **operands, unsigned n, int late,
                          unsigned errors_before) {
    enum CXCursorKind kind = clang_getCursorKind(c);
    if (kind == CXCursor_ConditionalOperator && n == 3 && late) {
        e->op = AC_OP_COND;
        CXType t = clang_getCursorType(c);
        e->is_void = clang_getCanonicalType(t).kind == CXType_Void;
        if (!e->is_void) {
            const char *err = NULL;
            e->temp_decl = ac_parse_declarator(p, t, "%s", 1, &err);
            if (!e->temp_decl)
                ac_parse_error(p, e->span.begin,
                               "cannot await inside this '?:': its value "
                               "cannot be stored in the frame (%s)",
                               err);
        }
    } else if (kind == CXCursor_BinaryOperator && n == 2) {
        char *op = ac_parse_binary_op(p, c);
        if (!op && !late)
            return 0;
        if (!op) {
            if (ac_diag_errors() == errors_before)
                ac_parse_error(p,
                               e->nkids ? e->kids[e->nkids - 1]->span.begin
                                        : operands[1]->span.begin,
                               "await in the right operand of an operator "
                               "written inside a macro is not supported; move "
                               "the await out of the macro");
            return 1;
        }
        /* A comma is sequenced even with the await on its left: the left
         * value is discarded, as a statement of its own. */
        if (strcmp(op, "&&") == 0 && late)
            e->op = AC_OP_LAND;
        else if (strcmp(op, "||") == 0 && late)
            e->op = AC_OP_LOR;
        else if (strcmp(op, ",") == 0)
            e->op = AC_OP_COMMA;
        else
            return 0;
        e->temp_decl = e->op == AC_OP_COMMA ? NULL : "int %s";
    } else {
        return 0;
    }
    unsigned first_await = e->nkids ? e->kids[0]->span.begin : e->span.begin;
    e->nkids = 0;
    for (unsigned i = 0; i < n; i++)
        push_kid(p, e, operands[i]);
    if (!kids_disjoint(e)) {
        if (ac_diag_errors() == errors_before)
            ac_parse_error(p, first_await,
                           "this await is an operand of '%s' written inside a "
                           "macro's body; assign the await to a variable first",
                           e->op == AC_OP_COND   ? "?:"
                           : e->op == AC_OP_LAND ? "&&"
                           : e->op == AC_OP_LOR  ? "||"
                                                 : ",");
        e->op = AC_OP_OTHER;
        e->temp_decl = NULL;
    }
    return 1;
}

/* An expression's node; `want_span` 0 leaves the span of a node without
 * an await unset: the caller drops such nodes (most of the tree), and
 * libclang's extents are the costliest part of reading one. */
static ac_expr *expr_node(ac_parser *p, CXCursor c, int want_span);

ac_expr *ac_parse_expr(ac_parser *p, CXCursor c) { return expr_node(p, c, 1); }

static ac_expr *expr_node(ac_parser *p, CXCursor c, int want_span) {
    ac_span span = {0, 0};
    ac_mark m = ac_parse_marker(c, NULL);
    if (m != AC_MARK_NONE)
        span_of(p, c, &span);
    switch (m) {
    case AC_MARK_AWAIT:
        return build_await(p, c, span);
    case AC_MARK_SPAWN:
        return build_spawn(p, c, span);
    case AC_MARK_GATHER:
    case AC_MARK_GATHER_FAILFAST:
        ac_parse_error(
            p, span.begin, "%s(...) must be awaited: write await(%s(...))",
            m == AC_MARK_GATHER ? "async_gather" : "async_gather_failfast",
            m == AC_MARK_GATHER ? "async_gather" : "async_gather_failfast");
        return text_node(p, span);
    case AC_MARK_RUN:
        ac_parse_error(p, span.begin,
                       "async_run() cannot be used inside an async function "
                       "(the loop is already running); await the call "
                       "instead");
        return text_node(p, span);
    case AC_MARK_RAISE:
    case AC_MARK_TRY:
        return build_raise_or_try(p, c, span, m);
    case AC_MARK_WAIT_FOR:
        ac_parse_error(p, span.begin,
                       "async_wait_for(...) must be awaited: write "
                       "await(async_wait_for(call, seconds))");
        return text_node(p, span);
    case AC_MARK_TIMEOUT:
        ac_parse_error(p, span.begin,
                       "async_timeout(seconds, &err) is a statement: write "
                       "async_timeout(seconds, &err) { ... }");
        return text_node(p, span);
    case AC_MARK_DEFER:
        ac_parse_error(p, span.begin,
                       "async_defer is a statement: write "
                       "async_defer { ... }");
        return text_node(p, span);
    case AC_MARK_FAILING: {
        ac_parse_check_written(p, m, &span, "async_failing");
        if (!p->defer_body) {
            ac_parse_error(p, span.begin,
                           "async_failing() can only be used inside an "
                           "async_defer body");
            return text_node(p, span);
        }
        ac_expr *e = text_node(p, span);
        e->kind = AC_E_FAILING;
        e->id = p->defer_body->id;
        p->defer_body->reads_failing = 1;
        return e;
    }
    case AC_MARK_NONE:
    case AC_MARK_COUNT:
        break;
    }
    enum CXCursorKind kind = clang_getCursorKind(c);
    if (kind == CXCursor_CallExpr &&
        !clang_Cursor_isNull(ac_parse_async_callee(c))) {
        span_of(p, c, &span);
        char *name = ac_parse_spelling(p, c);
        ac_parse_error(p, span.begin,
                       "call to async function '%s' is not awaited", name);
        ac_parse_note(p, span.begin,
                      "an async call only runs when awaited, spawned, "
                      "gathered or passed to async_run(); write "
                      "await(%s(...))",
                      name);
        return text_node(p, span);
    }
    if (kind == CXCursor_CallExpr && ac_parse_is_async_pointer_call(p, c)) {
        span_of(p, c, &span);
        ac_parse_error(p, span.begin,
                       "call through an async function pointer is not "
                       "awaited");
        ac_parse_note(p, span.begin,
                      "an async call only runs when awaited, spawned or "
                      "gathered; write await(...) around it");
        return text_node(p, span);
    }
    if (kind == CXCursor_CallExpr)
        check_plain_call(p, c);
    ac_expr *e = text_node(p, span);
    unsigned errors_before = ac_diag_errors();
    ac_cursors kids = {0};
    if (!is_leaf(kind))
        ac_cursors_children(c, &kids);
    ac_expr *built[3] = {NULL, NULL, NULL};
    CXCursor built_at[3];
    unsigned nbuilt = 0, late_await = 0;
    for (unsigned i = 0; i < kids.n; i++) {
        if (!clang_isExpression(clang_getCursorKind(kids.items[i])))
            continue;
        ac_expr *k = expr_node(p, kids.items[i], 0);
        if (nbuilt < 3) {
            built[nbuilt] = k;
            built_at[nbuilt] = kids.items[i];
        }
        late_await |= nbuilt > 0 && has_await(k);
        nbuilt++;
        if (has_await(k) && !e->nkids) /* the node is kept: place it */
            span_of(p, c, &e->span);
        add_text_kid(p, e, k);
    }
    if (!e->nkids && want_span)
        span_of(p, c, &e->span);
    span = e->span;
    if (e->nkids)
        for (unsigned i = 0; i < nbuilt && i < 3; i++)
            if (!has_await(built[i]))
                span_of(p, built_at[i], &built[i]->span);
    if (e->nkids &&
        sequenced_node(p, c, e, built, nbuilt, late_await, errors_before)) {
        ac_cursors_free(&kids);
        return e;
    }
    if (e->nkids) {
        if (kind == CXCursor_UnaryExpr || kind == CXCursor_StmtExpr ||
            kind == CXCursor_GenericSelectionExpr) {
            ac_parse_error(
                p, e->kids[0]->span.begin, "await inside %s is not supported",
                kind == CXCursor_UnaryExpr
                    ? "sizeof or _Alignof (it is not evaluated)"
                : kind == CXCursor_StmtExpr ? "a statement expression"
                                            : "_Generic");
        } else if (late_await && kind == CXCursor_UnexposedExpr &&
                   !is_designated_init(p, span)) {
            /* GNU a ?: b and other forms libclang does not expose. */
            ac_parse_error(p, e->kids[0]->span.begin,
                           "await inside this kind of expression (GNU 'a ?: "
                           "b' or another form libclang does not expose) is "
                           "not supported; move it into its own statement");
        }
        if (!kids_disjoint(e) && ac_diag_errors() == errors_before)
            ac_parse_error(p, e->kids[0]->span.begin,
                           "cannot rewrite this await: it is inside a macro "
                           "argument that the macro uses more than once or "
                           "out of order");
    }
    ac_cursors_free(&kids);
    return e;
}
