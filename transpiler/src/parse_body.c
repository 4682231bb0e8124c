/*
 * parse_body.c -- an async function as IR: its parameters and body (built
 * by parse_stmt.c and parse_expr.c), the references to its locals that
 * the emitter points at frame fields, and a final check that every await
 * became IR.
 */
#include "parse_internal.h"

#include <stdlib.h>
#include <string.h>

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
    ac_ref *refs = ac_parse_grow(p, f->refs, f->nrefs, sizeof *refs);
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

/* One walk over the body finds the references to locals and notes the
 * statement expressions and awaits that the check for unseen awaits
 * looks at once the references are complete: the walk is a large part
 * of reading a function, so it is done once. */
typedef struct body_walk {
    ac_parser *p;
    struct walk_item {
        CXCursor c, parent;
    } * items;
    unsigned n, cap;
} body_walk;

static void note_item(body_walk *w, CXCursor c, CXCursor parent) {
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 16;
        w->items = ac_xrealloc(w->items, w->cap * sizeof *w->items);
    }
    w->items[w->n].c = c;
    w->items[w->n++].parent = parent;
}

static enum CXChildVisitResult walk_body(CXCursor c, CXCursor parent,
                                         CXClientData data) {
    body_walk *w = data;
    enum CXCursorKind k = clang_getCursorKind(c);
    if (k == CXCursor_DeclRefExpr)
        return find_refs(c, parent, w->p);
    if (k == CXCursor_StmtExpr) {
        /* Searched for awaits as a whole, after the walk. */
        note_item(w, c, parent);
        ac_parse_cache_walk(c, find_refs, w->p);
        return CXChildVisit_Continue;
    }
    if (ac_parse_marker(c, NULL) == AC_MARK_AWAIT)
        note_item(w, c, parent);
    return CXChildVisit_Recurse;
}

/* The awaits that no builder reached, among those the walk noted. */
static void check_unseen(body_walk *w, unseen_check *u) {
    for (unsigned i = 0; i < w->n; i++) {
        CXCursor c = w->items[i].c;
        if (clang_getCursorKind(c) == CXCursor_StmtExpr) {
            ac_parse_cache_walk(c, find_unseen, u);
            continue;
        }
        ac_span s;
        if (ac_parse_span(u->p, c, &s) && !await_seen(u->f, s.begin))
            find_unseen(c, w->items[i].parent, u);
    }
}

/* --- the function --------------------------------------------------- */

void ac_parse_async_function(ac_parser *p, CXCursor fn, ac_func *f) {
    p->fn = f;
    p->nvars = 0;
    p->nraises = 0;
    p->nbreakables = 0;
    p->ndefer_open = 0;
    p->defer_body = NULL;
    p->block_kid = 0;
    /* The function's own parameters (not those of a function type in
     * its result, as in int (*f(int))(char)). */
    int nargs = clang_Cursor_getNumArguments(fn);
    for (int i = 0; i < nargs; i++) {
        ac_var **params =
            ac_parse_grow(p, f->params, f->nparams, sizeof *params);
        params[f->nparams] =
            ac_parse_var(p, clang_Cursor_getArgument(fn, (unsigned)i), 1);
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
        f->body = ac_parse_stmt(p, body);
        ac_parse_check_defer_gotos(p, f);
        body_walk walk = {p, NULL, 0, 0};
        ac_parse_cache_walk(body, walk_body, &walk);
        finish_refs(p, f);
        ac_parse_macro_args(p, f, body, bspan);
        unseen_check check = {p, f, 0};
        check_unseen(&walk, &check);
        free(walk.items);
        for (unsigned i = 0; i < p->nraises; i++)
            if (!p->raises[i]->is_statement)
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
