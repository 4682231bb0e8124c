/*
 * parse_check.c -- plain (non-async) code that uses the dialect.
 *
 * Outside async functions only async_run(call) is allowed: it becomes a
 * call of the generated NAME__run helper.  Every other use of the dialect
 * there -- await, gather, spawn, a bare call of an async function (the
 * seed's "common mistake": in Python it silently makes a coroutine
 * object) -- is reported here, at transpile time.
 */
#include "parse_internal.h"

#include <string.h>

static enum CXChildVisitResult check_visit(CXCursor c, CXCursor parent,
                                           CXClientData data);

static unsigned span_begin(ac_parser *p, CXCursor c) {
    ac_span s;
    if (ac_parse_span(p, c, &s))
        return s.begin;
    unsigned off = 0;
    ac_parse_offset(p, clang_getCursorLocation(c), &off);
    return off;
}

static unsigned count_newlines(const char *s, unsigned n) {
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++)
        k += s[i] == '\n';
    return k;
}

static void handle_run(ac_parser *p, CXCursor c, ac_cursors *ops) {
    ac_span span;
    if (!ac_parse_span(p, c, &span)) {
        ac_parse_error(p, span_begin(p, c),
                       "async_run() must be written in the main file");
        return;
    }
    if (!ac_offsets_has(&p->macro_at[AC_MARK_RUN], span.begin)) {
        ac_parse_error(p, span.begin,
                       "'async_run' inside the definition of another macro "
                       "is not supported");
        return;
    }
    ac_cursors kids = {0};
    if (ops->n)
        ac_cursors_children(ops->items[0], &kids);
    CXCursor call = kids.n == 1 ? ac_parse_strip_parens(kids.items[0])
                                : clang_getNullCursor();
    ac_cursors_free(&kids);
    CXCursor fn =
        clang_Cursor_isNull(call) ? call : ac_parse_async_callee(call);
    if (clang_Cursor_isNull(fn)) {
        ac_cursors callee = {0};
        if (!clang_Cursor_isNull(call) &&
            clang_getCursorKind(call) == CXCursor_CallExpr)
            ac_cursors_children(call, &callee);
        int through_async_ptr =
            callee.n > 0 && ac_parse_fn_kind(p, callee.items[0]) == AC_FN_ASYNC;
        ac_cursors_free(&callee);
        if (through_async_ptr)
            ac_parse_error(p, span.begin,
                           "async_run() takes a call to an async function "
                           "by name, not through a pointer: await the call "
                           "through the pointer in an async function that "
                           "async_run() runs");
        else
            ac_parse_not_async(p, call, span.begin, "async_run()");
        return;
    }
    ac_callee *callee = ac_parse_callee(p, fn);
    if (callee->result_kind == 3) {
        ac_parse_error(p, span.begin,
                       "async_run() returns an int: '%s' must return an "
                       "integer type or void, not '%s'",
                       callee->name, callee->ret_type ? callee->ret_type : "?");
        return;
    }
    callee->needs_run = 1;
    if (!p->u->has_ext_helpers_at) {
        p->u->has_ext_helpers_at = 1;
        p->u->ext_helpers_at = p->top_begin;
    }

    int n = clang_Cursor_getNumArguments(call);
    ac_span args = {0, 0};
    for (int i = 0; i < n; i++) {
        CXCursor arg = clang_Cursor_getArgument(call, (unsigned)i);
        check_visit(arg, call, p);
        ac_parse_cache_walk(arg, check_visit, p);
        ac_span as;
        if (!ac_parse_span(p, arg, &as)) {
            ac_parse_error(p, span.begin,
                           "cannot read the arguments of this call");
            return;
        }
        if (i == 0)
            args.begin = as.begin;
        args.end = as.end;
    }
    ac_buf b = {0};
    ac_buf_printf(&b, "%s__run(", callee->name);
    ac_buf_add(&b, p->u->src.text + args.begin, args.end - args.begin);
    ac_buf_puts(&b, ")");
    /* Keep the line count so the rest of the line keeps its number. */
    unsigned want =
        count_newlines(p->u->src.text + span.begin, span.end - span.begin);
    for (unsigned k = count_newlines(b.data, (unsigned)b.len); k < want; k++)
        ac_buf_puts(&b, "\n");
    ac_unit_edit(p->u, span.begin, span.end,
                 ac_arena_strdup(&p->u->arena, ac_buf_str(&b)), 0);
    ac_buf_free(&b);
}

static enum CXChildVisitResult check_visit(CXCursor c, CXCursor parent,
                                           CXClientData data) {
    (void)parent;
    ac_parser *p = data;
    ac_cursors ops = {0};
    ac_mark m = ac_parse_marker(c, &ops);
    enum CXChildVisitResult next = CXChildVisit_Continue;
    switch (m) {
    case AC_MARK_AWAIT:
        ac_parse_error(p, span_begin(p, c),
                       "'await' can only be used inside an async function");
        break;
    case AC_MARK_GATHER:
    case AC_MARK_GATHER_FAILFAST:
        ac_parse_error(p, span_begin(p, c),
                       "%s() can only be awaited inside an async function",
                       m == AC_MARK_GATHER ? "async_gather"
                                           : "async_gather_failfast");
        break;
    case AC_MARK_SPAWN:
        ac_parse_error(p, span_begin(p, c),
                       "async_spawn() needs a running loop: call it inside "
                       "an async function");
        break;
    case AC_MARK_RUN:
        handle_run(p, c, &ops);
        break;
    case AC_MARK_RAISE:
    case AC_MARK_TRY:
    case AC_MARK_WAIT_FOR:
    case AC_MARK_TIMEOUT:
    case AC_MARK_DEFER:
    case AC_MARK_FAILING:
        ac_parse_error(p, span_begin(p, c),
                       "%s can only be used inside an async function",
                       m == AC_MARK_RAISE     ? "async_raise()"
                       : m == AC_MARK_TRY     ? "async_try()"
                       : m == AC_MARK_TIMEOUT ? "async_timeout()"
                       : m == AC_MARK_DEFER   ? "async_defer"
                       : m == AC_MARK_FAILING ? "async_failing()"
                                              : "async_wait_for()");
        break;
    case AC_MARK_COUNT:
        break;
    case AC_MARK_NONE: {
        enum CXCursorKind kind = clang_getCursorKind(c);
        if (kind == CXCursor_CallExpr &&
            !clang_Cursor_isNull(ac_parse_async_callee(c))) {
            char *name = ac_parse_spelling(p, c);
            unsigned at = span_begin(p, c);
            ac_parse_error(p, at, "call to async function '%s' is not awaited",
                           name);
            ac_parse_note(p, at,
                          "an async call only runs when awaited, spawned, "
                          "gathered or passed to async_run(); here, write "
                          "async_run(%s(...))",
                          name);
        } else if (kind == CXCursor_CallExpr &&
                   ac_parse_is_async_pointer_call(p, c)) {
            unsigned at = span_begin(p, c);
            ac_parse_error(p, at,
                           "call through an async function pointer is not "
                           "awaited");
            ac_parse_note(p, at,
                          "an async call only runs when awaited, spawned or "
                          "gathered, inside an async function");
        } else {
            next = CXChildVisit_Recurse;
        }
        break;
    }
    }
    ac_cursors_free(&ops);
    return next;
}

void ac_parse_check_plain(ac_parser *p, CXCursor c) {
    if (check_visit(c, clang_getNullCursor(), p) == CXChildVisit_Recurse)
        ac_parse_cache_walk(c, check_visit, p);
}
