/*
 * parse_macro_args.c -- which frame locals keep their own names inside
 * macro arguments.
 *
 * A local that lives in the frame is written `_f->x` in the generated
 * code.  Inside a macro argument that changes what the macro sees: `#x`
 * (assert's message, a logging macro) would print "_f->x".  Where it is
 * safe, the emitter leaves such a statement's `x` as written and puts
 * `#define x _f->x` before it and `#undef x` after it.  Safe means that
 * every token `x` the preprocessor will meet in the statement is that
 * local: each one written there is a reference to it, and no macro
 * called there has `x` in its definition, directly or through the
 * macros it uses.  No macro of that name may exist either.
 */
#include "parse_internal.h"

#include <stdlib.h>
#include <string.h>

static int cmp_def(const void *a, const void *b) {
    return strcmp(((const ac_macro_def *)a)->name,
                  ((const ac_macro_def *)b)->name);
}

/* Only functions that pass frame locals to macros need the definitions
 * by name: most files never pay for spelling them all. */
static void sort_defs(ac_parser *p) {
    if (p->defs_sorted)
        return;
    p->defs_sorted = 1;
    for (unsigned i = 0; i < p->ndefs; i++)
        p->defs[i].name = ac_parse_spelling(p, p->defs[i].cursor);
    if (p->ndefs > 1)
        qsort(p->defs, p->ndefs, sizeof *p->defs, cmp_def);
}

static const ac_macro_def *find_def(const ac_parser *p, const char *name) {
    unsigned lo = 0, hi = p->ndefs;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        int c = strcmp(p->defs[mid].name, name);
        if (c == 0)
            return &p->defs[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int is_punct(ac_parser *p, CXToken t, const char *text) {
    if (clang_getTokenKind(t) != CXToken_Punctuation)
        return 0;
    CXString s = clang_getTokenSpelling(p->tu, t);
    int same = strcmp(clang_getCString(s), text) == 0;
    clang_disposeString(s);
    return same;
}

/* Whether `id` is one of the parameters, toks[2 .. end). */
static int is_param(ac_parser *p, CXToken *toks, unsigned end, const char *id) {
    for (unsigned i = 2; i < end; i++) {
        if (clang_getTokenKind(toks[i]) != CXToken_Identifier)
            continue;
        CXString s = clang_getTokenSpelling(p->tu, toks[i]);
        int same = strcmp(clang_getCString(s), id) == 0;
        clang_disposeString(s);
        if (same)
            return 1;
    }
    return 0;
}

/* Whether macro `d` or a macro it names has identifier `name` in its
 * definition.  `depth` bounds the walk: macros that name each other
 * stop expanding in the preprocessor, and here at the bound, which
 * answers "yes" (the safe side). */
static int def_mentions(ac_parser *p, const ac_macro_def *d, const char *name,
                        unsigned depth) {
    if (depth > 16)
        return 1;
    CXToken *toks = NULL;
    unsigned n = 0;
    clang_tokenize(p->tu, clang_getCursorExtent(d->cursor), &toks, &n);
    int found = 0;
    /* The first token is the macro's own name; a function-like macro's
     * parameters follow in parentheses, and their uses in the body are
     * replaced by the arguments, so neither counts. */
    unsigned body = 1, params_end = 1;
    if (clang_Cursor_isMacroFunctionLike(d->cursor)) {
        while (params_end < n && !is_punct(p, toks[params_end], ")"))
            params_end++;
        body = params_end + 1;
    }
    for (unsigned i = body; i < n && !found; i++) {
        if (clang_getTokenKind(toks[i]) != CXToken_Identifier)
            continue;
        CXString s = clang_getTokenSpelling(p->tu, toks[i]);
        const char *id = clang_getCString(s);
        if (is_param(p, toks, params_end, id)) {
            /* replaced by its argument */
        } else if (strcmp(id, name) == 0) {
            found = 1;
        } else {
            const ac_macro_def *inner = find_def(p, id);
            if (inner && inner != d)
                found = def_mentions(p, inner, name, depth + 1);
        }
        clang_disposeString(s);
    }
    clang_disposeTokens(p->tu, toks, n);
    return found;
}

static const ac_ref *ref_at(const ac_func *f, unsigned offset) {
    unsigned lo = 0, hi = f->nrefs;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (f->refs[mid].offset < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < f->nrefs && f->refs[lo].offset == offset ? &f->refs[lo] : NULL;
}

/* Where a #define of v's name would change what the code means: the
 * tokens of the body spelled like v that are not references to it (a
 * member name, another local, a word only stringified), and the macro
 * calls whose definitions have the name. */
static void find_unsafe(ac_parser *p, const ac_func *f, CXToken *toks,
                        unsigned n, unsigned first, unsigned last, ac_var *v) {
    ac_offsets at = {0};
    for (unsigned i = 0; i < n; i++) {
        if (clang_getTokenKind(toks[i]) != CXToken_Identifier)
            continue;
        CXString s = clang_getTokenSpelling(p->tu, toks[i]);
        int same = strcmp(clang_getCString(s), v->name) == 0;
        clang_disposeString(s);
        if (!same)
            continue;
        unsigned off;
        clang_getFileLocation(clang_getTokenLocation(p->tu, toks[i]), NULL,
                              NULL, NULL, &off);
        const ac_ref *r = ref_at(f, off);
        if (!r || r->var != v)
            ac_offsets_add(&at, off);
    }
    /* Each macro's definition is read once per local: most bodies call a
     * few macros many times. */
    const ac_macro_def **seen = NULL;
    unsigned char *mentions = NULL;
    unsigned nseen = 0;
    for (unsigned k = first; k < last; k++) {
        if (p->expansions[k].dialect)
            continue;
        CXCursor d = clang_getCursorReferenced(p->expansions[k].cursor);
        if (clang_Cursor_isNull(d))
            continue;
        CXString ds = clang_getCursorSpelling(d);
        const ac_macro_def *def = find_def(p, clang_getCString(ds));
        clang_disposeString(ds);
        int says = 1;
        if (def) {
            unsigned j = 0;
            while (j < nseen && seen[j] != def)
                j++;
            if (j == nseen) {
                seen = ac_xrealloc(seen, (nseen + 1) * sizeof *seen);
                mentions = ac_xrealloc(mentions, nseen + 1);
                seen[nseen] = def;
                mentions[nseen++] =
                    (unsigned char)def_mentions(p, def, v->name, 0);
            }
            says = mentions[j];
        }
        if (says)
            ac_offsets_add(&at, p->expansions[k].span.begin);
    }
    free(seen);
    free(mentions);
    ac_offsets_sort(&at);
    if (at.n) {
        v->unsafe_at = ac_arena_alloc(&p->u->arena, at.n * sizeof *at.items);
        memcpy(v->unsafe_at, at.items, at.n * sizeof *at.items);
        v->nunsafe = at.n;
    }
    free(at.items);
}

void ac_parse_macro_args(ac_parser *p, ac_func *f, CXCursor body,
                         ac_span bspan) {
    /* The expansions written in the body, and the refs inside them. */
    unsigned first = 0, last, hi = p->nexpansions;
    while (first < hi) { /* the first expansion at or after the body */
        unsigned mid = first + (hi - first) / 2;
        if (p->expansions[mid].span.begin < bspan.begin)
            first = mid + 1;
        else
            hi = mid;
    }
    for (last = first;
         last < p->nexpansions && p->expansions[last].span.begin < bspan.end;
         last++)
        ;
    if (first == last)
        return;
    f->expands_macros = 1;
    /* Expansions nest or follow each other: a ref is in a macro call
     * when it is in an outermost one, and those come in order. */
    int any = 0;
    for (unsigned i = 0, e = first; i < f->nrefs; i++) {
        ac_ref *r = &f->refs[i];
        while (e < last && (p->expansions[e].parent ||
                            p->expansions[e].span.end <= r->offset))
            e++;
        /* The dialect's own macros are rewritten, never expanded. */
        r->in_macro = e < last && p->expansions[e].span.begin <= r->offset &&
                      !p->expansions[e].dialect;
        any |= r->in_macro;
    }
    if (!any)
        return;
    sort_defs(p);
    CXToken *toks = NULL;
    unsigned n = 0;
    clang_tokenize(p->tu, clang_getCursorExtent(body), &toks, &n);
    for (unsigned i = 0; i < f->nrefs; i++) {
        ac_var *v = f->refs[i].var;
        if (!f->refs[i].in_macro || v->named_in_macros || v->macro_name_checked)
            continue;
        v->macro_name_checked = 1;
        if (find_def(p, v->name))
            continue; /* a macro of that name, maybe #undef'd there */
        find_unsafe(p, f, toks, n, first, last, v);
        v->named_in_macros = 1;
    }
    clang_disposeTokens(p->tu, toks, n);
}
