/*
 * inspect_model.c -- the states, slots and locals of each async function
 * as --inspect reports them (see inspect.h).  Everything here is read
 * from the IR after emission: the emitter numbers the states and names
 * the frame slots while it writes the state machines, so the numbers are
 * the generated code's own.
 */
#include "inspect.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const char *ac_inspect_expr_text(ac_unit *u, const ac_expr *e) {
    ac_buf b = {0};
    int space = 0;
    for (unsigned i = e->span.begin; i < e->span.end && i < u->src.len; i++) {
        char ch = u->src.text[i];
        if (isspace((unsigned char)ch)) {
            space = b.len > 0;
            continue;
        }
        if (space)
            ac_buf_puts(&b, " ");
        space = 0;
        ac_buf_add(&b, &ch, 1);
    }
    const char *s = ac_arena_strdup(&u->arena, ac_buf_str(&b));
    ac_buf_free(&b);
    return s;
}

/* --- states --------------------------------------------------------- */

typedef struct collect_ctx {
    ac_unit *u;
    ac_insp_func *F;
    unsigned timeout; /* innermost async_timeout block */
    int caught;       /* inside async_try */
} collect_ctx;

static const char *task_or_name(const ac_callee *c) {
    /* async_wait_for of a task handle awaits the runtime's join. */
    return c && strcmp(c->name, "async__join_cancel") != 0 ? c->name : NULL;
}

static void note_state(collect_ctx *cx, const ac_expr *e) {
    if (e->id == 0 || e->id > cx->F->nstates)
        return;
    ac_insp_state *s = &cx->F->states[e->id - 1];
    s->id = e->id;
    s->expr = e;
    ac_source_linecol(&cx->u->src, e->span.begin, &s->line, &s->col);
    s->text = ac_inspect_expr_text(cx->u, e);
    s->slot = e->slot;
    s->caught = cx->caught;
    s->timeout = cx->timeout;
    switch (e->kind) {
    case AC_E_AWAIT:
        s->kind = "await";
        s->callee = e->callee ? e->callee->name : NULL;
        s->allocated = e->heap;
        break;
    case AC_E_JOIN:
        s->kind = "join";
        break;
    case AC_E_GATHER: {
        s->kind = "gather";
        ac_buf b = {0};
        for (unsigned i = 0; i < e->nkids; i++) {
            ac_buf_printf(&b, "%s%s", i ? ", " : "",
                          e->kids[i]->callee ? e->kids[i]->callee->name : "?");
            s->allocated |= e->kids[i]->heap;
        }
        s->callee = ac_arena_strdup(&cx->u->arena, ac_buf_str(&b));
        ac_buf_free(&b);
        break;
    }
    default: /* AC_E_WAITFOR */
        s->kind = "wait_for";
        if (e->nkids) {
            s->callee = task_or_name(e->kids[0]->callee);
            s->allocated = e->kids[0]->heap;
        }
        break;
    }
}

/* The states inside `e`, in order, appended to `out`. */
static void states_in(const ac_expr *e, unsigned **out, unsigned *n) {
    if (!e)
        return;
    for (unsigned i = 0; i < e->nkids; i++)
        states_in(e->kids[i], out, n);
    if (ac_cfg_is_state(e) && e->id) {
        *out = ac_xrealloc(*out, (*n + 1) * sizeof **out);
        (*out)[(*n)++] = e->id;
    }
}

static int cmp_unsigned(const void *a, const void *b) {
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return (x > y) - (x < y);
}

/* A slot of the frame's _aw union: a child frame, or a temporary that
 * holds a value across the states of its later operands. */
static void note_slot(collect_ctx *cx, const ac_expr *e) {
    ac_insp_func *F = cx->F;
    F->slots = ac_xrealloc(F->slots, (F->nslots + 1) * sizeof *F->slots);
    ac_insp_slot *s = &F->slots[F->nslots++];
    memset(s, 0, sizeof *s);
    s->path = e->slot;
    s->expr = e;
    unsigned *ids = NULL, n = 0;
    if (ac_cfg_is_state(e)) {
        /* Only its own state: the arguments' awaits finish before. */
        ids = ac_xmalloc(sizeof *ids);
        ids[n++] = e->id;
    } else {
        for (unsigned i = 1; i < e->nkids; i++)
            states_in(e->kids[i], &ids, &n);
    }
    if (n > 1)
        qsort(ids, n, sizeof *ids, cmp_unsigned);
    s->states = ac_arena_alloc(&cx->u->arena, (n ? n : 1) * sizeof *ids);
    if (n)
        memcpy(s->states, ids, n * sizeof *ids);
    s->nstates = n;
    free(ids);
}

static void collect_expr(collect_ctx *cx, const ac_expr *e) {
    if (!e)
        return;
    int caught = cx->caught;
    if (e->kind == AC_E_TRY)
        cx->caught = 1;
    for (unsigned i = 0; i < e->nkids; i++)
        collect_expr(cx, e->kids[i]);
    cx->caught = caught;
    if (ac_cfg_is_state(e))
        note_state(cx, e);
    if (e->slot)
        note_slot(cx, e);
}

static void collect_stmt(collect_ctx *cx, const ac_stmt *s) {
    if (!s)
        return;
    unsigned timeout = cx->timeout;
    collect_expr(cx, s->expr);
    collect_expr(cx, s->inc);
    for (unsigned i = 0; i < s->nvars; i++)
        collect_expr(cx, s->vars[i]->init);
    if (s->kind == AC_S_TIMEOUT)
        cx->timeout = s->id;
    collect_stmt(cx, s->init);
    collect_stmt(cx, s->body);
    collect_stmt(cx, s->els);
    for (unsigned i = 0; i < s->nkids; i++)
        collect_stmt(cx, s->kids[i]);
    cx->timeout = timeout;
}

/* --- locals --------------------------------------------------------- */

static void add_local(ac_unit *u, ac_insp_func *F, const ac_var *v) {
    F->locals = ac_xrealloc(F->locals, (F->nlocals + 1) * sizeof *F->locals);
    ac_insp_local *l = &F->locals[F->nlocals++];
    memset(l, 0, sizeof *l);
    l->var = v;
    l->size = -1;
    unsigned col;
    ac_source_linecol(&u->src, v->offset, &l->line, &col);
}

static void collect_func(ac_unit *u, ac_func *f, ac_insp_func *F) {
    memset(F, 0, sizeof *F);
    F->fn = f;
    F->size = F->align = F->unshared = -1;
    ac_source_linecol(&u->src, f->name_offset, &F->line, &F->col);
    ac_cfg_build(&F->cfg, f, &u->src);
    F->nstates = F->cfg.nstates;
    F->states = ac_arena_alloc(&u->arena, (F->nstates ? F->nstates : 1) *
                                              sizeof *F->states);
    collect_ctx cx = {u, F, 0, 0};
    collect_stmt(&cx, f->body);
    for (unsigned i = 0; i < f->nparams; i++)
        add_local(u, F, f->params[i]);
    for (unsigned i = 0; i < f->nvars; i++)
        if (!f->vars[i]->is_static)
            add_local(u, F, f->vars[i]);
}

void ac_inspect_collect(ac_inspect *ins, ac_unit *u) {
    memset(ins, 0, sizeof *ins);
    ins->u = u;
    ins->nfuncs = u->nfuncs;
    ins->funcs = ac_xmalloc((u->nfuncs ? u->nfuncs : 1) * sizeof *ins->funcs);
    for (unsigned i = 0; i < u->nfuncs; i++)
        collect_func(u, u->funcs[i], &ins->funcs[i]);
}

void ac_inspect_free(ac_inspect *ins) {
    for (unsigned i = 0; i < ins->nfuncs; i++) {
        ac_cfg_free(&ins->funcs[i].cfg);
        free(ins->funcs[i].locals);
        free(ins->funcs[i].slots);
    }
    free(ins->funcs);
    ins->funcs = NULL;
    ins->nfuncs = 0;
}

/* --- the unshared frame --------------------------------------------- */

int ac_inspect_sizable(const ac_var *v) {
    /* A type declared in the function, or a variable-length array, has
     * no declaration that file scope could use. */
    return v->field_decl && (v->is_param || !v->type_error);
}

const char *ac_inspect_unshared_name(ac_unit *u, const ac_func *f) {
    return ac_arena_printf(&u->arena, "asyncc_inspect__%s", f->name);
}

/* Writes declaration `decl` ("TYPE %s", the hole for the name) of
 * `name`. */
static void put_decl(ac_buf *out, const char *decl, const char *name) {
    const char *hole = strstr(decl, "%s");
    if (!hole) {
        ac_buf_printf(out, "%s %s", decl, name);
        return;
    }
    ac_buf_add(out, decl, (size_t)(hole - decl));
    ac_buf_puts(out, name);
    ac_buf_puts(out, hole + 2);
}

/* The first component of a slot's path under _aw: "a3", "g1", "t2". */
static const char *aw_member(ac_unit *u, const char *path) {
    const char *m = path + 4; /* after "_aw." */
    const char *dot = strchr(m, '.');
    return dot ? ac_arena_strndup(&u->arena, m, (size_t)(dot - m)) : m;
}

/* Does a slot before `k` belong to union member `m` (a group)? */
static int member_seen(ac_unit *u, const ac_insp_func *F, unsigned k,
                       const char *m) {
    for (unsigned i = 0; i < k; i++)
        if (strcmp(aw_member(u, F->slots[i].path), m) == 0)
            return 1;
    return 0;
}

/* Every member of the frame that is not a parameter or a local, taken
 * from the frame itself with __typeof__ (unnamed types included). */
static void put_typeof(ac_buf *out, const ac_func *f, const char *path,
                       const char *name) {
    ac_buf_printf(out, "    __typeof__(((struct %s__frame *)0)->%s) %s;\n",
                  f->name, path, name);
}

void ac_inspect_unshared_code(const ac_inspect *ins, ac_buf *code) {
    ac_unit *u = ins->u;
    ac_buf_puts(code, "\n/* asyncc --inspect: each frame with every "
                      "parameter and local kept, no child frame shared */\n");
    for (unsigned i = 0; i < ins->nfuncs; i++) {
        ac_insp_func *F = &ins->funcs[i];
        const ac_func *f = F->fn;
        ac_buf_printf(code, "struct %s {\n    int _state;\n",
                      ac_inspect_unshared_name(u, f));
        F->uncounted = 0;
        for (unsigned k = 0; k < F->nlocals; k++) {
            const ac_var *v = F->locals[k].var;
            if (!ac_inspect_sizable(v)) {
                F->uncounted++;
                continue;
            }
            ac_buf_puts(code, "    ");
            put_decl(code, v->field_decl, ac_arena_printf(&u->arena, "l%u", k));
            ac_buf_puts(code, ";\n");
        }
        for (unsigned k = 1; k <= f->ntimeouts; k++) {
            put_typeof(code, f, ac_arena_printf(&u->arena, "_to%u", k),
                       ac_arena_printf(&u->arena, "_to%u", k));
            put_typeof(code, f, ac_arena_printf(&u->arena, "_to%u_err", k),
                       ac_arena_printf(&u->arena, "_to%u_err", k));
        }
        for (unsigned k = 0; k < F->nslots; k++) {
            const char *m = aw_member(u, F->slots[k].path);
            if (member_seen(u, F, k, m))
                continue; /* a group: once, all its members together */
            put_typeof(code, f, ac_arena_printf(&u->arena, "_aw.%s", m),
                       ac_arena_printf(&u->arena, "aw_%s", m));
        }
        if (f->ret_decl_field)
            put_typeof(code, f, "_ret", "_ret");
        ac_buf_puts(code, "};\n");
    }
}
