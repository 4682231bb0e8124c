/*
 * parse_callee.c -- the table of async functions a file refers to.
 *
 * A callee records what a caller needs: the result type (for helpers and
 * for async_run's int conversion), the parameter types (for the spawn and
 * run helpers), and whether its frame type is known here: defined in this
 * file, or declared as struct NAME__frame by an included header (the
 * runtime's own async functions).
 */
#include "parse_internal.h"

#include <stdlib.h>
#include <string.h>

static int frame_visible(ac_parser *p, const char *name) {
    for (unsigned i = 0; i < p->nframes; i++)
        if (strcmp(p->frames[i], name) == 0)
            return 1;
    return 0;
}

/* A parameter's declarator: `int a[n]`, `int a[2]` and `int a[]` are
 * the pointer they stand for (C11 6.7.6.3).  A variable-length array
 * type has no spelling outside the parameter list that sizes it, and the
 * frame's definitions spell the others as pointers too, so that gcc's
 * -Warray-parameter finds the declarations agree. */
static char *param_declarator(ac_parser *p, CXType t) {
    if (t.kind != CXType_VariableArray && t.kind != CXType_ConstantArray &&
        t.kind != CXType_IncompleteArray)
        return ac_parse_declarator(p, t, "%s", 0, NULL);
    CXType elem = clang_getArrayElementType(t);
    return ac_parse_declarator(p, elem, "*%s", 0, NULL);
}

/* A handler parameter of the runtime's (async_serve's), `async R
 * (*h)(P...)` in parse mode, is in compile mode a pointer to a spawner:
 * async_task *(*h)(P...). */
static const char *spawner_declarator(ac_parser *p, CXType t) {
    CXType fn = clang_getPointeeType(clang_getCanonicalType(t));
    int n = clang_getNumArgTypes(fn);
    ac_buf b = {0};
    ac_buf_puts(&b, "async_task *(*%s)(");
    for (int k = 0; k < n; k++)
        ac_buf_printf(&b, "%s%s", k ? ", " : "",
                      ac_parse_declarator(p, clang_getArgType(fn, (unsigned)k),
                                          "", 0, NULL));
    ac_buf_puts(&b, n > 0 ? ")" : "void)");
    const char *s = ac_arena_strdup(&p->u->arena, ac_buf_str(&b));
    ac_buf_free(&b);
    return s;
}

int ac_parse_is_handler_param(ac_parser *p, CXCursor fn, CXCursor parm) {
    return !clang_Cursor_isNull(parm) && ac_parse_has_async_attr(parm) &&
           !ac_parse_in_main(p, fn) && clang_isCursorDefinition(fn) == 0 &&
           frame_visible(p, ac_arena_printf(&p->u->arena, "%s__frame",
                                            ac_parse_spelling(p, fn)));
}

static unsigned name_hash(const char *s) {
    unsigned h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* The slot of `name` in the callee index: its callee, or the free slot
 * where it goes.  Every call of an async function looks its callee up,
 * so a file with thousands of them needs better than a list. */
static ac_callee **index_slot(ac_parser *p, const char *name) {
    unsigned mask = p->callee_index_cap - 1;
    for (unsigned i = name_hash(name) & mask;; i = (i + 1) & mask) {
        ac_callee **slot = &p->callee_index[i];
        if (!*slot || strcmp((*slot)->name, name) == 0)
            return slot;
    }
}

static void index_add(ac_parser *p, ac_callee *c) {
    if (2 * (p->u->ncallees + 1) > p->callee_index_cap) {
        free(p->callee_index);
        p->callee_index_cap =
            p->callee_index_cap ? 2 * p->callee_index_cap : 64;
        p->callee_index =
            ac_xmalloc(p->callee_index_cap * sizeof *p->callee_index);
        memset(p->callee_index, 0,
               p->callee_index_cap * sizeof *p->callee_index);
        for (unsigned i = 0; i < p->u->ncallees; i++)
            *index_slot(p, p->u->callees[i]->name) = p->u->callees[i];
    }
    *index_slot(p, c->name) = c;
}

ac_callee *ac_parse_callee(ac_parser *p, CXCursor fn) {
    ac_unit *u = p->u;
    CXString spelled = clang_getCursorSpelling(fn);
    if (p->callee_index_cap) {
        ac_callee *known = *index_slot(p, clang_getCString(spelled));
        if (known) {
            clang_disposeString(spelled);
            return known;
        }
    }
    clang_disposeString(spelled);
    char *name = ac_parse_spelling(p, fn);

    ac_callee *c = ac_arena_alloc(&u->arena, sizeof *c);
    c->name = name;
    CXType ft = clang_getCursorType(fn);
    CXType rt = clang_getResultType(ft);
    c->is_void = clang_getCanonicalType(rt).kind == CXType_Void;
    c->result_kind = ac_parse_result_kind(rt);
    c->ret_type = ac_parse_declarator(p, rt, "", 1, NULL);
    c->ret_decl = ac_parse_declarator(p, rt, "%s", 1, NULL);
    c->frame_visible =
        frame_visible(p, ac_arena_printf(&u->arena, "%s__frame", name));
    int n = clang_getNumArgTypes(ft);
    c->nparams = n > 0 ? (unsigned)n : 0;
    c->param_types =
        ac_arena_alloc(&u->arena, (c->nparams + 1) * sizeof *c->param_types);
    for (unsigned i = 0; i < c->nparams; i++) {
        CXCursor parm = clang_Cursor_getArgument(fn, i);
        c->param_types[i] = ac_parse_is_handler_param(p, fn, parm)
                                ? spawner_declarator(p, clang_getArgType(ft, i))
                                : param_declarator(p, clang_getArgType(ft, i));
    }
    index_add(p, c);
    ac_vec_push((void ***)&u->callees, &u->ncallees, &u->capcallees, c);
    return c;
}
