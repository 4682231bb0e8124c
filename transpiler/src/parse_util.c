/*
 * parse_util.c -- small helpers over libclang cursors: children, spans
 * in the main file, the dialect's marker calls, callees.
 */
#include "parse_internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* An ac_cursors either owns its items (cap > 0) or borrows a list the
 * cache keeps (cap == 0): appending to a borrowed list copies it first. */
static enum CXChildVisitResult collect(CXCursor c, CXCursor parent,
                                       CXClientData data) {
    (void)parent;
    ac_cursors *cs = data;
    if (cs->n >= cs->cap) {
        unsigned cap = cs->cap ? cs->cap * 2 : cs->n + 8;
        CXCursor *items = ac_xmalloc(cap * sizeof *items);
        if (cs->n)
            memcpy(items, cs->items, cs->n * sizeof *items);
        if (cs->cap)
            free(cs->items);
        cs->items = items;
        cs->cap = cap;
    }
    cs->items[cs->n++] = c;
    return CXChildVisit_Continue;
}

void ac_cursors_children(CXCursor c, ac_cursors *out) {
    out->n = 0;
    const CXCursor *kids;
    unsigned n;
    if (!ac_parse_cache_children(c, &kids, &n)) {
        clang_visitChildren(c, collect, out);
        return;
    }
    if (!out->cap) {
        /* Borrowed: the cache keeps the list until the next forget. */
        out->items = (CXCursor *)kids;
        out->n = n;
        return;
    }
    if (n > out->cap) {
        out->cap = n;
        out->items = ac_xrealloc(out->items, n * sizeof *out->items);
    }
    if (n)
        memcpy(out->items, kids, n * sizeof *kids);
    out->n = n;
}

void ac_cursors_free(ac_cursors *cs) {
    if (cs->cap)
        free(cs->items);
    cs->items = NULL;
    cs->n = cs->cap = 0;
}

int ac_parse_offset(ac_parser *p, CXSourceLocation loc, unsigned *out) {
    CXFile file;
    unsigned offset;
    clang_getFileLocation(loc, &file, NULL, NULL, &offset);
    if (!file || !clang_File_isEqual(file, p->main_file))
        return 0;
    *out = offset;
    return 1;
}

int ac_parse_in_main(ac_parser *p, CXCursor c) {
    CXFile file;
    clang_getExpansionLocation(clang_getCursorLocation(c), &file, NULL, NULL,
                               NULL);
    return file && clang_File_isEqual(file, p->main_file);
}

int ac_parse_span(ac_parser *p, CXCursor c, ac_span *out) {
    unsigned b, e;
    int in_main = ac_parse_cache_extent(c, &b, &e);
    if (in_main < 0) {
        CXSourceRange r = clang_getCursorExtent(c);
        in_main = ac_parse_offset(p, clang_getRangeStart(r), &b) &&
                  ac_parse_offset(p, clang_getRangeEnd(r), &e);
    }
    if (!in_main || e < b)
        return 0;
    /* Inside another macro's argument (await(f(INT_MAX))), libclang 14
     * maps the end of a macro that ends the extent to the macro's start:
     * an expression can only end where a macro begins if that macro is
     * its last token, so the span takes in the whole invocation. */
    const ac_expansion *x = p->nexpansions ? ac_parse_expansion_at(p, e) : NULL;
    /* But an extent that ends with '}' or ';' ended there: a macro right
     * after it (`}async int g(void)`, `int a = 1;F(a);`) merely follows. */
    const char *text = p->u->src.text;
    if (x && x->span.end > e &&
        !(e > b && (text[e - 1] == '}' || text[e - 1] == ';')))
        e = x->span.end;
    out->begin = b;
    out->end = e;
    return 1;
}

CXCursor ac_parse_strip_parens(CXCursor c) {
    for (;;) {
        enum CXCursorKind k = clang_getCursorKind(c);
        if (ac_parse_marker(c, NULL) != AC_MARK_NONE)
            return c; /* a dialect construct, not a redundant paren */
        if (k != CXCursor_ParenExpr && k != CXCursor_UnexposedExpr)
            return c;
        ac_cursors kids = {0};
        ac_cursors_children(c, &kids);
        if (kids.n != 1) {
            ac_cursors_free(&kids);
            return c;
        }
        CXCursor inner = kids.items[0];
        ac_cursors_free(&kids);
        /* An UnexposedExpr is an implicit cast only when it wraps an
         * expression; keep anything else (GNU ?:, va_arg, ...). */
        if (k == CXCursor_UnexposedExpr &&
            !clang_isExpression(clang_getCursorKind(inner)))
            return c;
        c = inner;
    }
}

static ac_mark marker_of_call(CXCursor call) {
    if (clang_getCursorKind(call) != CXCursor_CallExpr)
        return AC_MARK_NONE;
    CXString s = clang_getCursorSpelling(call);
    const char *name = clang_getCString(s);
    ac_mark m = AC_MARK_NONE;
    if (strcmp(name, "__async_await_point") == 0)
        m = AC_MARK_AWAIT;
    else if (strcmp(name, "__async_gather_point") == 0)
        m = AC_MARK_GATHER;
    else if (strcmp(name, "__async_gather_failfast_point") == 0)
        m = AC_MARK_GATHER_FAILFAST;
    else if (strcmp(name, "__async_timeout_point") == 0)
        m = AC_MARK_TIMEOUT;
    else if (strcmp(name, "__async_defer_point") == 0)
        m = AC_MARK_DEFER;
    else if (strcmp(name, "__async_failing_point") == 0)
        m = AC_MARK_FAILING;
    else if (strcmp(name, "__async_spawn_point") == 0)
        m = AC_MARK_SPAWN;
    else if (strcmp(name, "__async_run_point") == 0)
        m = AC_MARK_RUN;
    else if (strcmp(name, "__async_raise_point") == 0)
        m = AC_MARK_RAISE;
    else if (strcmp(name, "__async_try_point") == 0)
        m = AC_MARK_TRY;
    else if (strcmp(name, "__async_wait_for_point") == 0)
        m = AC_MARK_WAIT_FOR;
    clang_disposeString(s);
    return m;
}

/* The dialect's macros expand to (marker(), x1, x2, ...): a ParenExpr over
 * a left-leaning chain of comma operators whose leftmost operand is
 * (void)marker().  Returns which marker, and the right operands x1..xn in
 * source order. */
ac_mark ac_parse_marker(CXCursor c, ac_cursors *operands) {
    if (clang_getCursorKind(c) != CXCursor_ParenExpr)
        return AC_MARK_NONE;
    /* Every walk asks about every parenthesis: the answer is kept, and
     * only the operands are read again. */
    int known = ac_parse_cache_mark(c);
    if (known == AC_MARK_NONE || (known > 0 && !operands))
        return (ac_mark)known;
    ac_cursors kids = {0};
    ac_cursors_children(c, &kids);
    ac_cursors rights = {0};
    ac_mark m = AC_MARK_NONE;
    CXCursor node = kids.n == 1 ? kids.items[0] : clang_getNullCursor();
    while (!clang_Cursor_isNull(node) &&
           clang_getCursorKind(node) == CXCursor_BinaryOperator) {
        ac_cursors_children(node, &kids);
        if (kids.n != 2)
            break;
        CXCursor right = kids.items[1];
        collect(right, node, &rights);
        node = kids.items[0];
        if (clang_getCursorKind(node) == CXCursor_CStyleCastExpr) {
            ac_cursors_children(node, &kids);
            if (kids.n == 1)
                m = marker_of_call(kids.items[0]);
            break;
        }
    }
    ac_parse_cache_set_mark(c, m);
    if (m != AC_MARK_NONE && operands) {
        operands->n = 0;
        for (unsigned i = rights.n; i-- > 0;)
            collect(rights.items[i], c, operands);
    }
    ac_cursors_free(&kids);
    ac_cursors_free(&rights);
    return m;
}

int ac_parse_is_async_decl(CXCursor fn) {
    if (clang_getCursorKind(fn) != CXCursor_FunctionDecl)
        return 0;
    return ac_parse_has_async_attr(fn);
}

int ac_parse_has_async_attr(CXCursor fn) {
    ac_cursors kids = {0};
    ac_cursors_children(fn, &kids);
    int is_async = 0;
    for (unsigned i = 0; i < kids.n && !is_async; i++) {
        if (clang_getCursorKind(kids.items[i]) != CXCursor_AnnotateAttr)
            continue;
        CXString s = clang_getCursorSpelling(kids.items[i]);
        is_async = strcmp(clang_getCString(s), "async") == 0;
        clang_disposeString(s);
    }
    ac_cursors_free(&kids);
    return is_async;
}

CXCursor ac_parse_async_callee(CXCursor call) {
    if (clang_getCursorKind(call) != CXCursor_CallExpr)
        return clang_getNullCursor();
    CXCursor fn = ac_parse_direct_callee(call);
    if (clang_Cursor_isNull(fn) || !ac_parse_is_async_decl(fn))
        return clang_getNullCursor();
    return fn;
}

int ac_parse_is_task_type(CXType t) {
    CXType c = clang_getCanonicalType(t);
    if (c.kind != CXType_Pointer)
        return 0;
    CXType pointee = clang_getCanonicalType(clang_getPointeeType(c));
    if (pointee.kind != CXType_Record)
        return 0;
    CXString s = clang_getTypeSpelling(pointee);
    const char *name = clang_getCString(s);
    int yes = strcmp(name, "struct async_task") == 0 ||
              strcmp(name, "async_task") == 0;
    clang_disposeString(s);
    return yes;
}

char *ac_parse_spelling(ac_parser *p, CXCursor c) {
    CXString s = clang_getCursorSpelling(c);
    char *copy = ac_arena_strdup(&p->u->arena, clang_getCString(s));
    clang_disposeString(s);
    return copy;
}

int ac_parse_is_generated_name(const char *name) {
    return strcmp(name, "_f") == 0 || strncmp(name, "asyncc_", 7) == 0;
}

void ac_offsets_add(ac_offsets *o, unsigned v) {
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 16;
        o->items = ac_xrealloc(o->items, o->cap * sizeof *o->items);
    }
    o->items[o->n++] = v;
}

static int cmp_unsigned(const void *a, const void *b) {
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? -1 : x > y;
}

void ac_offsets_sort(ac_offsets *o) {
    if (o->n)
        qsort(o->items, o->n, sizeof *o->items, cmp_unsigned);
}

int ac_offsets_has(const ac_offsets *o, unsigned v) {
    unsigned lo = 0, hi = o->n;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (o->items[mid] == v)
            return 1;
        if (o->items[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

static void report(ac_parser *p, ac_diag_level level, unsigned offset,
                   const char *fmt, va_list ap) {
    ac_buf b = {0};
    ac_buf_vprintf(&b, fmt, ap);
    ac_source_diag(&p->u->src, level, offset, "%s", ac_buf_str(&b));
    ac_buf_free(&b);
}

void ac_parse_error(ac_parser *p, unsigned offset, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    report(p, AC_DIAG_ERROR, offset, fmt, ap);
    va_end(ap);
}

/* Notes follow the error they explain, at its position: the source line
 * is not shown twice. */
void ac_parse_note(ac_parser *p, unsigned offset, const char *fmt, ...) {
    ac_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    ac_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    unsigned line, col;
    ac_source_linecol(&p->u->src, offset, &line, &col);
    ac_diag_at(AC_DIAG_NOTE, p->u->src.path, line, col, NULL, "%s",
               ac_buf_str(&b));
    ac_buf_free(&b);
}

unsigned ac_parse_skip_space(ac_parser *p, unsigned at) {
    const char *t = p->u->src.text;
    unsigned n = p->u->src.len;
    while (at < n) {
        if (t[at] == ' ' || t[at] == '\t' || t[at] == '\n' || t[at] == '\r' ||
            t[at] == '\f' || t[at] == '\v') {
            at++;
        } else if (at + 1 < n && t[at] == '/' && t[at + 1] == '/') {
            while (at < n && t[at] != '\n')
                at++;
        } else if (at + 1 < n && t[at] == '/' && t[at + 1] == '*') {
            at += 2;
            while (at + 1 < n && !(t[at] == '*' && t[at + 1] == '/'))
                at++;
            at = at + 2 < n ? at + 2 : n;
        } else {
            break;
        }
    }
    return at;
}

const ac_expansion *ac_parse_expansion_at(ac_parser *p, unsigned begin) {
    unsigned lo = 0, hi = p->nexpansions;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (p->expansions[mid].span.begin < begin)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->nexpansions && p->expansions[lo].span.begin == begin
               ? &p->expansions[lo]
               : NULL;
}

static int is_fn_macro(ac_parser *p, const char *name) {
    unsigned lo = 0, hi = p->nfn_macros;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        int c = strcmp(p->fn_macros[mid], name);
        if (c == 0)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* Could the body of the macro expanded at `expansion` apply &&, ||, ?:
 * or a comma operator to its arguments?  Read from the definition's
 * tokens: any of those operators, or a call of another function-like
 * macro (whose body is not read), says yes.  Commas that separate the
 * arguments of a call do not count. */
static int macro_may_sequence(ac_parser *p, CXCursor expansion) {
    CXCursor def = clang_getCursorReferenced(expansion);
    if (clang_Cursor_isNull(def))
        return 1;
    CXToken *toks = NULL;
    unsigned n = 0;
    clang_tokenize(p->tu, clang_getCursorExtent(def), &toks, &n);
    unsigned i = 1; /* after the macro's name */
    if (clang_Cursor_isMacroFunctionLike(def)) {
        while (i < n) {
            CXString s = clang_getTokenSpelling(p->tu, toks[i++]);
            int close = strcmp(clang_getCString(s), ")") == 0;
            clang_disposeString(s);
            if (close)
                break;
        }
    }
    int may = n == 0;
    int call_paren[64], depth = 0, prev_callable = 0;
    for (; i < n && !may; i++) {
        CXString s = clang_getTokenSpelling(p->tu, toks[i]);
        const char *t = clang_getCString(s);
        CXTokenKind kind = clang_getTokenKind(toks[i]);
        if (strcmp(t, "&&") == 0 || strcmp(t, "||") == 0 || strcmp(t, "?") == 0)
            may = 1;
        else if (strcmp(t, "(") == 0) {
            if (depth < 64)
                call_paren[depth] = prev_callable;
            depth++;
        } else if (strcmp(t, ")") == 0) {
            depth = depth > 0 ? depth - 1 : 0;
        } else if (strcmp(t, ",") == 0) {
            may = depth == 0 || depth > 64 || !call_paren[depth - 1];
        } else if (kind == CXToken_Identifier && is_fn_macro(p, t) &&
                   i + 1 < n) {
            may = 1;
        }
        prev_callable = kind == CXToken_Identifier || strcmp(t, ")") == 0;
        clang_disposeString(s);
    }
    clang_disposeTokens(p->tu, toks, n);
    return may;
}

/* libclang 14 has no operator-kind query (clang_getCursorBinaryOperatorKind
 * arrived with CINDEX 0.64) and its pretty printer prints no expressions,
 * so the operator is read from the file: it is the text between the two
 * operands.  Inside a macro's body the operands have no separate file
 * text; then NULL says the operator is unknown. */
char *ac_parse_binary_op(ac_parser *p, CXCursor c) {
#if CINDEX_VERSION_MINOR >= 64
    CXString s = clang_getBinaryOperatorKindSpelling(
        clang_getCursorBinaryOperatorKind(c));
    char *op = ac_arena_strdup(&p->u->arena, clang_getCString(s));
    clang_disposeString(s);
    return op;
#else
    ac_cursors kids = {0};
    ac_cursors_children(c, &kids);
    char *op = NULL;
    ac_span l, r, whole;
    int spans = kids.n == 2 && ac_parse_span(p, kids.items[0], &l) &&
                ac_parse_span(p, kids.items[1], &r);
    if (spans && l.end >= r.begin && ac_parse_span(p, c, &whole)) {
        const ac_expansion *x = ac_parse_expansion_at(p, whole.begin);
        if (x && !macro_may_sequence(p, x->cursor))
            op = ac_arena_strdup(&p->u->arena, "?");
    } else if (spans && l.end < r.begin) {
        unsigned b = ac_parse_skip_space(p, l.end), e = r.begin;
        while (e > b && strchr(" \t\r\n", p->u->src.text[e - 1]))
            e--;
        if (b < e)
            op = ac_arena_strndup(&p->u->arena, p->u->src.text + b, e - b);
    }
    ac_cursors_free(&kids);
    return op;
#endif
}

void ac_parse_not_async(ac_parser *p, CXCursor operand, unsigned fallback,
                        const char *what) {
    ac_span s;
    unsigned at = !clang_Cursor_isNull(operand) && ac_parse_span(p, operand, &s)
                      ? s.begin
                      : fallback;
    const char *handle =
        strcmp(what, "await") == 0 ? " or a task handle (async_task *)" : "";
    CXCursor called = !clang_Cursor_isNull(operand) &&
                              clang_getCursorKind(operand) == CXCursor_CallExpr
                          ? ac_parse_direct_callee(operand)
                          : clang_getNullCursor();
    if (!clang_Cursor_isNull(called))
        ac_parse_error(p, at,
                       "'%s' is not an async function: %s takes a call to an "
                       "async function%s",
                       ac_parse_spelling(p, called), what, handle);
    else if (!clang_Cursor_isNull(operand) &&
             clang_getCursorKind(operand) == CXCursor_CallExpr)
        ac_parse_error(p, at,
                       "this call goes through a pointer to a plain "
                       "(non-async) function: %s takes a call to an async "
                       "function (by name or through an async function "
                       "pointer)%s",
                       what, handle);
    else
        ac_parse_error(p, at, "%s takes a call to an async function%s", what,
                       handle);
}

/* The line of `file` holding `offset`, for showing under a message. */
char *ac_parse_file_line(ac_parser *p, CXFile file, unsigned offset) {
    size_t size = 0;
    const char *text = clang_getFileContents(p->tu, file, &size);
    if (!text || offset > size)
        return NULL;
    size_t b = offset, e = offset;
    while (b > 0 && text[b - 1] != '\n')
        b--;
    while (e < size && text[e] != '\n' && text[e] != '\r')
        e++;
    return ac_arena_strndup(&p->u->arena, text + b, e - b);
}
