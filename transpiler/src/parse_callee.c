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

#include <string.h>

static int frame_visible(ac_parser *p, const char *name) {
    for (unsigned i = 0; i < p->nframes; i++)
        if (strcmp(p->frames[i], name) == 0)
            return 1;
    return 0;
}

/* A handler parameter, `async R (*h)(P...)` in parse mode, is in compile
 * mode a pointer to a spawner: async_task *(*h)(P...). */
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

ac_callee *ac_parse_callee(ac_parser *p, CXCursor fn) {
    ac_unit *u = p->u;
    char *name = ac_parse_spelling(p, fn);
    for (unsigned i = 0; i < u->ncallees; i++)
        if (strcmp(u->callees[i]->name, name) == 0)
            return u->callees[i];

    ac_callee *c = ac_arena_alloc(&u->arena, sizeof *c);
    c->name = name;
    CXType ft = clang_getCursorType(fn);
    CXType rt = clang_getResultType(ft);
    c->is_void = clang_getCanonicalType(rt).kind == CXType_Void;
    c->result_kind = ac_parse_result_kind(rt);
    c->ret_type = ac_parse_declarator(p, rt, "", 1, NULL);
    c->ret_decl = ac_parse_declarator(p, rt, "%s", 1, NULL);
    int n = clang_getNumArgTypes(ft);
    c->nparams = n > 0 ? (unsigned)n : 0;
    c->param_types =
        ac_arena_alloc(&u->arena, (c->nparams + 1) * sizeof *c->param_types);
    for (unsigned i = 0; i < c->nparams; i++) {
        CXCursor parm = clang_Cursor_getArgument(fn, i);
        c->param_types[i] =
            !clang_Cursor_isNull(parm) && ac_parse_has_async_attr(parm)
                ? spawner_declarator(p, clang_getArgType(ft, i))
                : ac_parse_declarator(p, clang_getArgType(ft, i), "%s", 0,
                                      NULL);
    }
    c->frame_visible =
        frame_visible(p, ac_arena_printf(&u->arena, "%s__frame", name));
    ac_vec_push((void ***)&u->callees, &u->ncallees, &u->capcallees, c);
    return c;
}
