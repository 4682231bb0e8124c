/*
 * parse_body.c -- an async function's body as IR.
 *
 * Statements become ac_stmt nodes one for one.  Expressions stay source
 * text; an ac_expr tree is built only along the paths that lead to an
 * await or spawn, so the lowering knows what to evaluate first and where
 * to splice each result back in.  References to locals and parameters
 * are recorded so the emitter can point them at frame fields.
 */
#include "parse_internal.h"

#include <stdlib.h>
#include <string.h>

static ac_stmt *build_stmt(ac_parser *p, CXCursor c);
static ac_expr *build_expr(ac_parser *p, CXCursor c);

static void *alloc(ac_parser *p, size_t n) {
    return ac_arena_alloc(&p->u->arena, n);
}

static void push_kid(ac_parser *p, ac_expr *e, ac_expr *kid) {
    ac_expr **kids = alloc(p, (e->nkids + 1) * sizeof *kids);
    if (e->nkids)
        memcpy(kids, e->kids, e->nkids * sizeof *kids);
    kids[e->nkids++] = kid;
    e->kids = kids;
}

static int has_await(const ac_expr *e) {
    return e && (e->kind != AC_E_TEXT || e->nkids > 0);
}

static unsigned cursor_offset(ac_parser *p, CXCursor c) {
    unsigned off = 0;
    if (!ac_parse_offset(p, clang_getCursorLocation(c), &off)) {
        ac_span s;
        if (ac_parse_span(p, c, &s))
            off = s.begin;
    }
    return off;
}

static void note_await_offset(ac_parser *p, unsigned offset) {
    ac_func *f = p->fn;
    unsigned *a = alloc(p, (f->nawaits + 1) * sizeof *a);
    if (f->nawaits)
        memcpy(a, f->await_offsets, f->nawaits * sizeof *a);
    a[f->nawaits++] = offset;
    f->await_offsets = a;
}

static void add_dep(ac_parser *p, ac_callee *callee) {
    ac_func *f = p->fn;
    for (unsigned i = 0; i < f->nawaited; i++)
        if (f->awaited[i] == callee)
            return;
    ac_callee **d = alloc(p, (f->nawaited + 1) * sizeof *d);
    if (f->nawaited)
        memcpy(d, f->awaited, f->nawaited * sizeof *d);
    d[f->nawaited++] = callee;
    f->awaited = d;
}

static ac_expr *text_node(ac_parser *p, ac_span span);
static void check_not_stringized(ac_parser *p, ac_span span);
static void add_text_kid(ac_parser *p, ac_expr *e, ac_expr *kid);
static int kids_disjoint(const ac_expr *e);

/* Is the call written in the file as NAME(arg, ...), each argument with
 * its own text, in order? */
static int call_is_written_out(ac_parser *p, const ac_expr *e, ac_span cs) {
    size_t len = strlen(e->callee->name);
    if (cs.end - cs.begin < len ||
        strncmp(p->u->src.text + cs.begin, e->callee->name, len) != 0)
        return 0;
    unsigned at = cs.begin + (unsigned)len;
    for (unsigned i = 0; i < e->nkids; i++) {
        ac_span a = e->kids[i]->span;
        if (a.begin < at || a.end > cs.end || a.end <= a.begin)
            return 0;
        at = a.end;
    }
    return 1;
}

/* A call node: the callee and one text-or-await node per argument. */
ac_expr *ac_parse_call_node(ac_parser *p, CXCursor call, ac_expr_kind kind,
                            ac_span span) {
    ac_expr *e = alloc(p, sizeof *e);
    e->kind = kind;
    e->span = span;
    e->callee = ac_parse_callee(p, ac_parse_async_callee(call));
    e->is_void = e->callee->is_void;
    int n = clang_Cursor_getNumArguments(call);
    for (int i = 0; i < n; i++) {
        CXCursor arg = clang_Cursor_getArgument(call, (unsigned)i);
        ac_expr *a = build_expr(p, arg);
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
static CXCursor await_operand_of(ac_parser *p, CXCursor op, ac_span whole);

static CXCursor await_operand(ac_parser *p, CXCursor generic, ac_span whole) {
    ac_cursors kids = {0};
    ac_cursors_children(generic, &kids);
    CXCursor op = kids.n ? kids.items[0] : clang_getNullCursor();
    ac_cursors_free(&kids);
    return await_operand_of(p, op, whole);
}

/* Strips implicit conversions and the parentheses a dialect macro wrote
 * around its operand (they span the whole invocation `whole`). */
static CXCursor await_operand_of(ac_parser *p, CXCursor op, ac_span whole) {
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
static int check_written_here(ac_parser *p, ac_mark m, ac_span *span,
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
    ac_expr *e = alloc(p, sizeof *e);
    e->kind = AC_E_TEXT;
    e->span = span;
    return e;
}

static ac_expr *build_gather(ac_parser *p, CXCursor gather, ac_span span) {
    ac_cursors ops = {0};
    ac_parse_marker(gather, &ops);
    ac_expr *e = alloc(p, sizeof *e);
    e->kind = AC_E_GATHER;
    e->span = span;
    /* The macro appends a trailing 0 operand for the result type. */
    for (unsigned i = 0; i + 1 < ops.n; i++) {
        CXCursor call = ac_parse_strip_parens(ops.items[i]);
        ac_span cs;
        if (!ac_parse_span(p, ops.items[i], &cs))
            cs = span;
        if (clang_Cursor_isNull(ac_parse_async_callee(call))) {
            ac_parse_not_async(p, call, cs.begin, "async_gather()");
            continue;
        }
        ac_expr *child = ac_parse_call_node(p, call, AC_E_CALL, cs);
        add_dep(p, child->callee);
        push_kid(p, e, child);
    }
    if (e->nkids == 0 && ops.n <= 1)
        ac_parse_error(p, span.begin, "async_gather() needs at least one call");
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
    ac_cursors kids = {0};
    ac_cursors_children(secs, &kids);
    if (clang_getCursorKind(secs) == CXCursor_CStyleCastExpr && kids.n == 1)
        secs = kids.items[0];
    ac_cursors_free(&kids);
    call = ac_parse_strip_parens(await_operand_of(p, call, wspan));
    if (clang_Cursor_isNull(ac_parse_async_callee(call))) {
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
    push_kid(p, e, build_expr(p, await_operand_of(p, secs, wspan)));
    return e;
}

static ac_expr *build_await(ac_parser *p, CXCursor c, ac_span span) {
    CXCursor generic = first_marker_operand(c);
    CXCursor operand = await_operand(p, generic, span);
    check_written_here(p, AC_MARK_AWAIT, &span, "await");
    check_not_stringized(p, span);
    note_await_offset(p, span.begin);

    CXCursor inner = ac_parse_strip_parens(operand);
    ac_span ispan = span;
    ac_parse_span(p, operand, &ispan);
    if (ac_parse_marker(inner, NULL) == AC_MARK_WAIT_FOR) {
        ac_span wspan = ispan;
        ac_parse_span(p, inner, &wspan);
        check_written_here(p, AC_MARK_WAIT_FOR, &wspan, "async_wait_for");
        return build_wait_for(p, inner, span, wspan);
    }
    if (ac_parse_marker(inner, NULL) == AC_MARK_GATHER) {
        ac_span gspan = ispan;
        ac_parse_span(p, inner, &gspan);
        check_written_here(p, AC_MARK_GATHER, &gspan, "async_gather");
        ac_expr *g = build_gather(p, inner, span);
        g->span = span;
        return g;
    }
    if (ac_parse_is_task_type(clang_getCursorType(operand))) {
        ac_expr *e = alloc(p, sizeof *e);
        e->kind = AC_E_JOIN;
        e->span = span;
        push_kid(p, e, build_expr(p, operand));
        return e;
    }
    CXCursor fn = ac_parse_async_callee(inner);
    if (clang_Cursor_isNull(fn)) {
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
    check_written_here(p, m, &span, what);
    ac_expr *e = text_node(p, span);
    e->kind = m == AC_MARK_RAISE ? AC_E_RAISE : AC_E_TRY;
    for (unsigned i = 0; i < ops.n; i++) {
        CXCursor op = ops.items[i];
        if (clang_getCursorKind(op) == CXCursor_CStyleCastExpr) {
            ac_cursors kids = {0};
            ac_cursors_children(op, &kids);
            if (kids.n == 1)
                op = kids.items[0];
            ac_cursors_free(&kids);
        }
        /* The macro's own parentheses around the operand. */
        push_kid(p, e, build_expr(p, await_operand_of(p, op, span)));
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
    check_written_here(p, AC_MARK_SPAWN, &span, "async_spawn");
    /* (void)(call): strip the cast and the macro's parentheses. */
    ac_cursors kids = {0};
    ac_cursors_children(operand, &kids);
    CXCursor call = kids.n == 1 ? ac_parse_strip_parens(kids.items[0])
                                : clang_getNullCursor();
    ac_cursors_free(&kids);
    if (clang_Cursor_isNull(call) ||
        clang_Cursor_isNull(ac_parse_async_callee(call))) {
        ac_parse_not_async(p, call, span.begin, "async_spawn()");
        return text_node(p, span);
    }
    ac_expr *e = ac_parse_call_node(p, call, AC_E_SPAWN, span);
    if (e->macro_call)
        ac_parse_error(p, span.begin,
                       "async_spawn() of a call that a macro writes is not "
                       "supported; write the call itself");
    if (!e->callee->def && !e->callee->frame_visible)
        ac_parse_error(p, span.begin,
                       "async_spawn() of '%s', which is defined in another "
                       "file, is not supported yet; spawn a local async "
                       "function that awaits it",
                       e->callee->name);
    e->callee->needs_spawn = 1;
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
    for (unsigned i = 0; i < p->nexpansions; i++) {
        const ac_expansion *x = &p->expansions[i];
        if (x->span.begin >= span.begin)
            break;
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
static void check_plain_call(ac_parser *p, CXCursor call, ac_span span) {
    CXCursor fn = clang_getCursorReferenced(call);
    if (clang_Cursor_isNull(fn))
        return;
    char *name = ac_parse_spelling(p, fn);
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

static ac_expr *build_expr(ac_parser *p, CXCursor c) {
    ac_span span;
    if (!ac_parse_span(p, c, &span)) {
        span.begin = span.end = cursor_offset(p, c);
    }
    ac_mark m = ac_parse_marker(c, NULL);
    switch (m) {
    case AC_MARK_AWAIT:
        return build_await(p, c, span);
    case AC_MARK_SPAWN:
        return build_spawn(p, c, span);
    case AC_MARK_GATHER:
        ac_parse_error(p, span.begin,
                       "async_gather(...) must be awaited: write "
                       "await(async_gather(...))");
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
    case AC_MARK_NONE:
    case AC_MARK_COUNT:
        break;
    }
    enum CXCursorKind kind = clang_getCursorKind(c);
    if (kind == CXCursor_CallExpr &&
        !clang_Cursor_isNull(ac_parse_async_callee(c))) {
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
    if (kind == CXCursor_CallExpr)
        check_plain_call(p, c, span);
    if (kind == CXCursor_DeclRefExpr) {
        CXCursor ref = clang_getCursorReferenced(c);
        if (ac_parse_is_async_decl(ref)) {
            char *name = ac_parse_spelling(p, c);
            ac_parse_error(p, span.begin,
                           "async function '%s' cannot be used as a value; "
                           "call it inside await(...)",
                           name);
        }
    }
    ac_expr *e = text_node(p, span);
    unsigned errors_before = ac_diag_errors();
    ac_cursors kids = {0};
    ac_cursors_children(c, &kids);
    ac_expr *built[3] = {NULL, NULL, NULL};
    unsigned nbuilt = 0, late_await = 0;
    for (unsigned i = 0; i < kids.n; i++) {
        if (!clang_isExpression(clang_getCursorKind(kids.items[i])))
            continue;
        ac_expr *k = build_expr(p, kids.items[i]);
        if (nbuilt < 3)
            built[nbuilt] = k;
        late_await |= nbuilt > 0 && has_await(k);
        nbuilt++;
        add_text_kid(p, e, k);
    }
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

/* --- variables ------------------------------------------------------ */

static void register_var(ac_parser *p, unsigned decl_offset, ac_var *v) {
    if (p->nvars == p->capvars) {
        p->capvars = p->capvars ? p->capvars * 2 : 16;
        p->vars = ac_xrealloc(p->vars, p->capvars * sizeof *p->vars);
    }
    ac_var_entry *e = &p->vars[p->nvars++];
    memset(e, 0, sizeof *e);
    e->decl_offset = decl_offset;
    e->var = v;
}

/* Where the initializer starts: the first '=' after the declarator name
 * at bracket depth 0, or 0 if there is none. */
static unsigned find_init_equals(ac_parser *p, unsigned from, unsigned end) {
    const char *t = p->u->src.text;
    int depth = 0;
    for (unsigned i = from; i < end; i++) {
        char ch = t[i];
        if (ch == '(' || ch == '[')
            depth++;
        else if (ch == ')' || ch == ']')
            depth -= depth > 0; /* the declarator's own ")" in (*fp)(int) */
        else if (depth == 0 && ch == '=' && t[i + 1] != '=')
            return i;
        else if (depth == 0 && (ch == ',' || ch == ';'))
            return 0;
    }
    return 0;
}

static ac_var *build_var(ac_parser *p, CXCursor c, int is_param) {
    ac_var *v = alloc(p, sizeof *v);
    v->name = ac_parse_spelling(p, c);
    v->is_param = is_param;
    v->offset = cursor_offset(p, c);
    enum CX_StorageClass sc = clang_Cursor_getStorageClass(c);
    v->is_static = !is_param && (sc == CX_SC_Static || sc == CX_SC_Extern);
    CXType t = clang_getCursorType(c);
    v->is_array =
        t.kind == CXType_ConstantArray || t.kind == CXType_IncompleteArray;
    const char *err = NULL;
    if (is_param && v->is_array) {
        /* A parameter declared as an array is a pointer (C11 6.7.6.3). */
        CXType elem = clang_getArrayElementType(t);
        int wrap = elem.kind == CXType_ConstantArray ||
                   elem.kind == CXType_IncompleteArray ||
                   elem.kind == CXType_VariableArray;
        v->field_decl =
            ac_parse_declarator(p, elem, wrap ? "(*%s)" : "*%s", 1, &err);
        v->type = NULL;
        v->is_array = 0;
    } else {
        v->field_decl = ac_parse_declarator(p, t, "%s", 1, &err);
        v->type = ac_parse_declarator(p, t, "", 1, NULL);
    }
    v->type_error = err;
    /* A type declared inside the function is not visible where the frame
     * struct is defined (file scope). */
    CXCursor td = clang_getTypeDeclaration(clang_getCanonicalType(
        clang_getElementType(t).kind != CXType_Invalid ? clang_getElementType(t)
                                                       : t));
    if (!v->type_error && !clang_Cursor_isNull(td)) {
        CXCursor parent = clang_getCursorSemanticParent(td);
        enum CXCursorKind pk = clang_getCursorKind(parent);
        if (pk == CXCursor_FunctionDecl)
            v->type_error = "its type is declared inside the function; "
                            "declare the type at file scope";
    }
    const char *name_text = p->u->src.text + v->offset;
    if (strncmp(name_text, v->name, strlen(v->name)) != 0)
        v->type_error = "it is declared by a macro";
    register_var(p, v->offset, v);
    if (is_param)
        return v;

    ac_span whole;
    if (!ac_parse_span(p, c, &whole))
        whole.begin = whole.end = v->offset;
    v->scope_begin = whole.end;
    v->scope_end = p->scope_end;
    unsigned eq =
        find_init_equals(p, v->offset + (unsigned)strlen(v->name), whole.end);
    if (eq) {
        ac_cursors kids = {0};
        ac_cursors_children(c, &kids);
        for (unsigned i = kids.n; i-- > 0;) {
            CXCursor k = kids.items[i];
            ac_span ks;
            if (!clang_isExpression(clang_getCursorKind(k)) ||
                !ac_parse_span(p, k, &ks) || ks.begin <= eq)
                continue;
            v->init = build_expr(p, k);
            v->init_is_list = clang_getCursorKind(k) == CXCursor_InitListExpr;
            break;
        }
        ac_cursors_free(&kids);
    }
    ac_func *f = p->fn;
    ac_var **vars = alloc(p, (f->nvars + 1) * sizeof *vars);
    if (f->nvars)
        memcpy(vars, f->vars, f->nvars * sizeof *vars);
    vars[f->nvars++] = v;
    f->vars = vars;
    return v;
}

/* --- statements ----------------------------------------------------- */

static ac_stmt *new_stmt(ac_parser *p, ac_stmt_kind kind, CXCursor c) {
    ac_stmt *s = alloc(p, sizeof *s);
    s->kind = kind;
    if (!ac_parse_span(p, c, &s->span))
        s->span.begin = s->span.end = cursor_offset(p, c);
    return s;
}

/* Statement extents from libclang stop before a closing ';'. */
static void extend_to_semicolon(ac_parser *p, ac_stmt *s) {
    unsigned at = ac_parse_skip_space(p, s->span.end);
    if (at < p->u->src.len && p->u->src.text[at] == ';')
        s->span.end = at + 1;
}

static void push_stmt(ac_parser *p, ac_stmt *parent, ac_stmt *kid) {
    ac_stmt **kids = alloc(p, (parent->nkids + 1) * sizeof *kids);
    if (parent->nkids)
        memcpy(kids, parent->kids, parent->nkids * sizeof *kids);
    kids[parent->nkids++] = kid;
    parent->kids = kids;
}

static void push_breakable(ac_parser *p, ac_stmt *s) {
    if (p->nbreakables == p->capbreakables) {
        p->capbreakables = p->capbreakables ? p->capbreakables * 2 : 8;
        p->breakables = ac_xrealloc(p->breakables,
                                    p->capbreakables * sizeof *p->breakables);
    }
    p->breakables[p->nbreakables++] = s;
}

static ac_stmt *jump_target(ac_parser *p, int is_continue) {
    for (unsigned i = p->nbreakables; i-- > 0;) {
        ac_stmt *s = p->breakables[i];
        if (!is_continue || s->kind != AC_S_SWITCH)
            return s;
    }
    return NULL;
}

static void grow_to(ac_stmt *s, const ac_stmt *kid) {
    if (kid && kid->span.end > s->span.end)
        s->span.end = kid->span.end;
}

static ac_stmt *build_compound(ac_parser *p, CXCursor c) {
    ac_stmt *s = new_stmt(p, AC_S_COMPOUND, c);
    unsigned saved = p->scope_end;
    p->scope_end = s->span.end;
    ac_cursors kids = {0};
    ac_cursors_children(c, &kids);
    for (unsigned i = 0; i < kids.n; i++)
        push_stmt(p, s, build_stmt(p, kids.items[i]));
    ac_cursors_free(&kids);
    p->scope_end = saved;
    return s;
}

static ac_stmt *build_decl(ac_parser *p, CXCursor c) {
    ac_stmt *s = new_stmt(p, AC_S_DECL, c);
    ac_cursors kids = {0};
    ac_cursors_children(c, &kids);
    for (unsigned i = 0; i < kids.n; i++) {
        if (clang_getCursorKind(kids.items[i]) != CXCursor_VarDecl)
            continue;
        ac_var **vars = alloc(p, (s->nvars + 1) * sizeof *vars);
        if (s->nvars)
            memcpy(vars, s->vars, s->nvars * sizeof *vars);
        vars[s->nvars++] = build_var(p, kids.items[i], 0);
        s->vars = vars;
    }
    ac_cursors_free(&kids);
    extend_to_semicolon(p, s);
    return s;
}

/* for (init; cond; inc) body: libclang omits absent parts from the
 * children, so each child is placed by where it sits relative to the two
 * semicolons of the header. */
static ac_stmt *build_for(ac_parser *p, CXCursor c, ac_cursors *kids) {
    ac_stmt *s = new_stmt(p, AC_S_FOR, c);
    const char *t = p->u->src.text;
    unsigned at = s->span.begin, semi[2] = {0, 0}, nsemi = 0, rparen = 0;
    int depth = 0;
    while (at < s->span.end && t[at] != '(')
        at++;
    for (; at < s->span.end; at++) {
        char ch = t[at];
        if (ch == '(' || ch == '[' || ch == '{')
            depth++;
        else if (ch == ')' || ch == ']' || ch == '}') {
            if (--depth == 0 && ch == ')') {
                rparen = at;
                break;
            }
        } else if (ch == ';' && depth == 1 && nsemi < 2)
            semi[nsemi++] = at;
        else if (ch == '"' || ch == '\'') {
            for (at++; at < s->span.end && t[at] != ch; at++)
                if (t[at] == '\\')
                    at++;
        }
    }
    unsigned saved = p->scope_end;
    p->scope_end = s->span.end;
    push_breakable(p, s);
    for (unsigned i = 0; i < kids->n; i++) {
        CXCursor k = kids->items[i];
        ac_span ks;
        if (i + 1 == kids->n || !ac_parse_span(p, k, &ks)) {
            s->body = build_stmt(p, k);
        } else if (nsemi == 2 && ks.begin < semi[0]) {
            s->init = build_stmt(p, k);
        } else if (nsemi == 2 && ks.begin < semi[1]) {
            s->expr = build_expr(p, k);
        } else if (rparen && ks.begin < rparen) {
            s->inc = build_expr(p, k);
        } else {
            s->body = build_stmt(p, k);
        }
    }
    p->nbreakables--;
    p->scope_end = saved;
    if (nsemi != 2 || !rparen)
        ac_parse_error(p, s->span.begin,
                       "cannot read the header of this 'for' statement "
                       "(written through a macro?)");
    grow_to(s, s->body);
    /* The for's own variables are in scope to its very end, which grew
     * past the extent libclang gives (the body's closing ';'). */
    if (s->init && s->init->kind == AC_S_DECL)
        for (unsigned i = 0; i < s->init->nvars; i++)
            s->init->vars[i]->scope_end = s->span.end;
    return s;
}

static ac_stmt *build_stmt(ac_parser *p, CXCursor c) {
    enum CXCursorKind kind = clang_getCursorKind(c);
    ac_cursors kids = {0};
    ac_cursors_children(c, &kids);
    ac_stmt *s = NULL;
    switch (kind) {
    case CXCursor_CompoundStmt:
        s = build_compound(p, c);
        break;
    case CXCursor_DeclStmt:
        s = build_decl(p, c);
        break;
    case CXCursor_IfStmt:
        s = new_stmt(p, AC_S_IF, c);
        if (kids.n >= 2) {
            s->expr = build_expr(p, kids.items[0]);
            s->body = build_stmt(p, kids.items[1]);
            if (kids.n >= 3)
                s->els = build_stmt(p, kids.items[2]);
        }
        grow_to(s, s->els ? s->els : s->body);
        break;
    case CXCursor_WhileStmt:
    case CXCursor_SwitchStmt:
        s = new_stmt(p, kind == CXCursor_WhileStmt ? AC_S_WHILE : AC_S_SWITCH,
                     c);
        push_breakable(p, s);
        if (kids.n >= 2) {
            s->expr = build_expr(p, kids.items[0]);
            s->body = build_stmt(p, kids.items[1]);
        }
        p->nbreakables--;
        grow_to(s, s->body);
        break;
    case CXCursor_DoStmt:
        s = new_stmt(p, AC_S_DO, c);
        push_breakable(p, s);
        if (kids.n >= 2) {
            s->body = build_stmt(p, kids.items[0]);
            s->expr = build_expr(p, kids.items[1]);
        }
        p->nbreakables--;
        extend_to_semicolon(p, s);
        break;
    case CXCursor_ForStmt:
        s = build_for(p, c, &kids);
        break;
    case CXCursor_CaseStmt:
    case CXCursor_DefaultStmt:
    case CXCursor_LabelStmt:
        s = new_stmt(p, kind == CXCursor_LabelStmt ? AC_S_LABEL : AC_S_CASE, c);
        if (kids.n >= 1) {
            CXCursor sub = kids.items[kids.n - 1];
            s->body = build_stmt(p, sub);
            s->head.begin = s->span.begin;
            s->head.end = s->body->span.begin;
        }
        grow_to(s, s->body);
        break;
    case CXCursor_BreakStmt:
    case CXCursor_ContinueStmt:
        s = new_stmt(p, kind == CXCursor_BreakStmt ? AC_S_BREAK : AC_S_CONTINUE,
                     c);
        s->target = jump_target(p, kind == CXCursor_ContinueStmt);
        extend_to_semicolon(p, s);
        break;
    case CXCursor_ReturnStmt:
        s = new_stmt(p, AC_S_RETURN, c);
        if (kids.n >= 1)
            s->expr = build_expr(p, kids.items[0]);
        extend_to_semicolon(p, s);
        break;
    case CXCursor_IndirectGotoStmt:
        s = new_stmt(p, AC_S_TEXT, c);
        ac_parse_error(p, s->span.begin,
                       "computed goto is not supported in async functions: "
                       "its label addresses do not survive a suspension; "
                       "use a switch on a state variable");
        break;
    case CXCursor_GotoStmt:
        s = new_stmt(p, AC_S_TEXT, c);
        p->fn->has_goto = 1;
        extend_to_semicolon(p, s);
        break;
    default:
        if (clang_isExpression(kind)) {
            s = new_stmt(p, AC_S_EXPR, c);
            s->expr = build_expr(p, c);
            if (s->expr->kind == AC_E_RAISE)
                s->expr->id = 1; /* a statement of its own: allowed */
        } else {
            s = new_stmt(p, AC_S_TEXT, c);
            unsigned before = p->fn->nawaits;
            for (unsigned i = 0; i < kids.n; i++)
                if (clang_isExpression(clang_getCursorKind(kids.items[i])))
                    build_expr(p, kids.items[i]);
            if (p->fn->nawaits != before)
                ac_parse_error(p, s->span.begin,
                               "await is not supported in this statement");
        }
        extend_to_semicolon(p, s);
        break;
    }
    ac_cursors_free(&kids);
    return s;
}

/* --- references to locals ------------------------------------------- */

static enum CXChildVisitResult find_refs(CXCursor c, CXCursor parent,
                                         CXClientData data) {
    (void)parent;
    ac_parser *p = data;
    if (clang_getCursorKind(c) != CXCursor_DeclRefExpr)
        return CXChildVisit_Recurse;
    CXCursor ref = clang_getCursorReferenced(c);
    enum CXCursorKind rk = clang_getCursorKind(ref);
    if (rk != CXCursor_VarDecl && rk != CXCursor_ParmDecl)
        return CXChildVisit_Continue;
    unsigned decl_off;
    if (!ac_parse_offset(p, clang_getCursorLocation(ref), &decl_off))
        return CXChildVisit_Continue;
    ac_var_entry *entry = NULL;
    for (unsigned i = 0; i < p->nvars; i++)
        if (p->vars[i].decl_offset == decl_off) {
            entry = &p->vars[i];
            break;
        }
    if (!entry)
        return CXChildVisit_Continue;
    unsigned off;
    size_t len = strlen(entry->var->name);
    if (!ac_parse_offset(p, clang_getCursorLocation(c), &off) ||
        off + len > p->u->src.len ||
        strncmp(p->u->src.text + off, entry->var->name, len) != 0) {
        if (!entry->from_macro) {
            entry->from_macro = 1;
            ac_span s;
            entry->macro_use_offset =
                ac_parse_span(p, c, &s) ? s.begin : decl_off;
        }
        return CXChildVisit_Continue;
    }
    ac_func *f = p->fn;
    ac_ref *refs = alloc(p, (f->nrefs + 1) * sizeof *refs);
    if (f->nrefs)
        memcpy(refs, f->refs, f->nrefs * sizeof *refs);
    refs[f->nrefs].offset = off;
    refs[f->nrefs].len = (unsigned)len;
    refs[f->nrefs].var = entry->var;
    unsigned before = off;
    const char *t = p->u->src.text;
    while (before > 0 && strchr(" \t\r\n(", t[before - 1]))
        before--;
    if (before > 0 && t[before - 1] == '&' &&
        (before < 2 || t[before - 2] != '&'))
        entry->var->addr_taken = 1;
    f->nrefs++;
    f->refs = refs;
    return CXChildVisit_Continue;
}

static int cmp_ref(const void *a, const void *b) {
    const ac_ref *x = a, *y = b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static void finish_refs(ac_parser *p, ac_func *f) {
    if (f->nrefs > 1)
        qsort(f->refs, f->nrefs, sizeof *f->refs, cmp_ref);
    unsigned n = 0; /* _Generic in await() duplicates its operand */
    for (unsigned i = 0; i < f->nrefs; i++)
        if (n == 0 || f->refs[n - 1].offset != f->refs[i].offset)
            f->refs[n++] = f->refs[i];
    f->nrefs = n;
    for (unsigned i = 0; i < p->nvars; i++)
        if (p->vars[i].from_macro) {
            /* Decided after hoisting: only a hoisted variable breaks. */
            ac_var *v = p->vars[i].var;
            v->macro_use = 1;
            v->type_error = v->type_error ? v->type_error
                                          : "it is used inside a macro's "
                                            "definition, where asyncc cannot "
                                            "rename it";
            if (v->is_param)
                ac_parse_error(p, p->vars[i].macro_use_offset,
                               "parameter '%s' of an async function is used "
                               "inside a macro's definition, where asyncc "
                               "cannot rename it; pass it as a macro argument",
                               v->name);
        }
}

/* Every await in the body must have become IR: one the builders did not
 * reach (in a statement expression, or in a declaration that a macro
 * wrote) would be copied through untransformed. */
typedef struct unseen_check {
    ac_parser *p;
    ac_func *f;
    unsigned reported;
} unseen_check;

static int await_seen(const ac_func *f, unsigned offset) {
    for (unsigned i = 0; i < f->nawaits; i++)
        if (f->await_offsets[i] == offset)
            return 1;
    return 0;
}

static enum CXChildVisitResult find_unseen(CXCursor c, CXCursor parent,
                                           CXClientData data) {
    (void)parent;
    unseen_check *u = data;
    ac_mark m = ac_parse_marker(c, NULL);
    if (m == AC_MARK_NONE && clang_getCursorKind(c) != CXCursor_CallExpr)
        return CXChildVisit_Recurse;
    if (m == AC_MARK_NONE && clang_Cursor_isNull(ac_parse_async_callee(c)))
        return CXChildVisit_Recurse;
    ac_span s;
    unsigned at = 0;
    if (ac_parse_span(u->p, c, &s))
        at = s.begin;
    if (m == AC_MARK_AWAIT && await_seen(u->f, at))
        return CXChildVisit_Continue;
    if (m != AC_MARK_AWAIT && m != AC_MARK_NONE)
        return CXChildVisit_Continue; /* checked where they are built */
    if (u->reported++ == 0)
        ac_parse_error(u->p, at,
                       "asyncc cannot transform this %s here (inside a "
                       "statement expression, or in code a macro wrote); "
                       "move it into a statement of its own",
                       m == AC_MARK_AWAIT ? "await" : "async call");
    return CXChildVisit_Continue;
}

static enum CXChildVisitResult find_stmt_exprs(CXCursor c, CXCursor parent,
                                               CXClientData data) {
    (void)parent;
    if (clang_getCursorKind(c) == CXCursor_StmtExpr) {
        clang_visitChildren(c, find_unseen, data);
        return CXChildVisit_Continue;
    }
    if (ac_parse_marker(c, NULL) == AC_MARK_AWAIT) {
        unseen_check *u = data;
        ac_span s;
        if (ac_parse_span(u->p, c, &s) && !await_seen(u->f, s.begin))
            find_unseen(c, parent, data);
    }
    return CXChildVisit_Recurse;
}

/* --- the function --------------------------------------------------- */

void ac_parse_async_function(ac_parser *p, CXCursor fn, ac_func *f) {
    p->fn = f;
    p->nvars = 0;
    p->nraises = 0;
    p->nbreakables = 0;
    /* The function's own parameters (not those of a function type in
     * its result, as in int (*f(int))(char)). */
    int nargs = clang_Cursor_getNumArguments(fn);
    for (int i = 0; i < nargs; i++) {
        ac_var **params = alloc(p, (f->nparams + 1) * sizeof *params);
        if (f->nparams)
            memcpy(params, f->params, f->nparams * sizeof *params);
        params[f->nparams] =
            build_var(p, clang_Cursor_getArgument(fn, (unsigned)i), 1);
        f->params = params;
        f->nparams++;
    }
    ac_cursors kids = {0};
    ac_cursors_children(fn, &kids);
    CXCursor body = clang_getNullCursor();
    for (unsigned i = 0; i < kids.n; i++)
        if (clang_getCursorKind(kids.items[i]) == CXCursor_CompoundStmt)
            body = kids.items[i];
    ac_cursors_free(&kids);
    if (clang_Cursor_isVariadic(fn))
        ac_parse_error(p, f->name_offset,
                       "async function '%s' cannot be variadic", f->name);
    for (unsigned i = 0; i < f->nparams; i++) {
        ac_var *v = f->params[i];
        if (v->type_error)
            ac_parse_error(p, v->offset,
                           "parameter '%s' cannot be stored in the frame of "
                           "async function '%s': %s",
                           v->name, f->name, v->type_error);
        if (!*v->name)
            ac_parse_error(p, f->name_offset,
                           "parameters of async function '%s' need names",
                           f->name);
    }
    CXType rt = clang_getResultType(clang_getCursorType(fn));
    if (clang_getCanonicalType(rt).kind != CXType_Void) {
        const char *err = NULL;
        f->ret_decl_field = ac_parse_declarator(p, rt, "_ret", 1, &err);
        if (!f->ret_decl_field)
            ac_parse_error(p, f->name_offset,
                           "the result of async function '%s' cannot be "
                           "stored in its frame: %s",
                           f->name, err);
    }
    ac_span bspan;
    if (!clang_Cursor_isNull(body) && ac_parse_span(p, body, &bspan)) {
        p->scope_end = bspan.end;
        f->body = build_stmt(p, body);
        clang_visitChildren(body, find_refs, p);
        finish_refs(p, f);
        unseen_check check = {p, f, 0};
        clang_visitChildren(body, find_stmt_exprs, &check);
        for (unsigned i = 0; i < p->nraises; i++)
            if (!p->raises[i]->id)
                ac_parse_error(p, p->raises[i]->span.begin,
                               "async_raise() must be a statement of its "
                               "own: async_raise(code);");
    }
    ac_offsets sorted = {0};
    for (unsigned i = 0; i < f->nawaits; i++)
        ac_offsets_add(&sorted, f->await_offsets[i]);
    ac_offsets_sort(&sorted);
    if (sorted.n)
        memcpy(f->await_offsets, sorted.items, sorted.n * sizeof *sorted.items);
    free(sorted.items);
    p->fn = NULL;
}
