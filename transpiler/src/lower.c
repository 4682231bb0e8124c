/*
 * lower.c -- decisions about each async function before any text is
 * written: which locals live in the frame, the frame's field names, which
 * statements must be rebuilt rather than copied, and where in the output
 * each state machine goes.
 */
#include "lower.h"

#include <string.h>

/* A local is hoisted into the frame when an await lies in its scope: only
 * then can its value be needed after the function returned to the loop.
 * Others stay ordinary C locals of the resume function. */
static int await_in(const ac_func *f, unsigned begin, unsigned end) {
    unsigned lo = 0, hi = f->nawaits;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (f->await_offsets[mid] < begin)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < f->nawaits && f->await_offsets[lo] < end;
}

static int expr_has_await(const ac_expr *e) {
    return e && (e->kind != AC_E_TEXT || e->nkids > 0);
}

static void mark_hoisted(ac_stmt *s, const ac_func *f) {
    if (!s)
        return;
    if (s->kind == AC_S_DECL) {
        int any = 0;
        for (unsigned i = 0; i < s->nvars; i++) {
            ac_var *v = s->vars[i];
            v->hoisted =
                !v->is_static && await_in(f, v->scope_begin, v->scope_end);
            any |= v->hoisted;
        }
        /* One declaration is rewritten as a whole: a declarator left as C
         * beside hoisted ones would need its own copy of the type. */
        for (unsigned i = 0; any && i < s->nvars; i++)
            s->vars[i]->hoisted = !s->vars[i]->is_static;
    }
    mark_hoisted(s->init, f);
    mark_hoisted(s->body, f);
    mark_hoisted(s->els, f);
    for (unsigned i = 0; i < s->nkids; i++)
        mark_hoisted(s->kids[i], f);
}

static int field_taken(ac_func *f, const char *name, const ac_var *self) {
    for (unsigned i = 0; i < f->nparams; i++)
        if (f->params[i] != self && f->params[i]->field &&
            strcmp(f->params[i]->field, name) == 0)
            return 1;
    for (unsigned i = 0; i < f->nvars; i++)
        if (f->vars[i] != self && f->vars[i]->field &&
            strcmp(f->vars[i]->field, name) == 0)
            return 1;
    return 0;
}

/* Field names are the user's names, made unique (shadowed locals) and
 * kept out of the frame's own namespace (names starting with '_'). */
static void name_field(ac_unit *u, ac_func *f, ac_var *v) {
    const char *base = v->name[0] == '_'
                           ? ac_arena_printf(&u->arena, "u%s", v->name)
                           : v->name;
    const char *name = base;
    for (unsigned k = 2; field_taken(f, name, v); k++)
        name = ac_arena_printf(&u->arena, "%s_%u", base, k);
    v->field = name;
}

static void check_hoistable(ac_unit *u, ac_func *f, ac_var *v) {
    (void)f;
    if (!v->hoisted || !v->type_error || v->is_param)
        return;
    ac_source_diag(&u->src, AC_DIAG_ERROR, v->offset,
                   "local '%s' lives across an await, so it must be stored "
                   "in the frame, but %s",
                   v->name, v->type_error);
}

/* Statement flags, top down for loops (a continue needs to know whether
 * its loop was restructured) and bottom up for the rest. */
static unsigned loop_ids;

static void analyze(ac_stmt *s) {
    if (!s)
        return;
    if (s->kind == AC_S_DO)
        s->restructured = expr_has_await(s->expr);
    if (s->kind == AC_S_FOR)
        s->restructured = expr_has_await(s->expr) || expr_has_await(s->inc);
    if (s->restructured)
        s->id = ++loop_ids;
    analyze(s->init);
    analyze(s->body);
    analyze(s->els);
    int has = expr_has_await(s->expr) || expr_has_await(s->inc);
    int structure = has || s->kind == AC_S_RETURN;
    if (s->kind == AC_S_DECL)
        for (unsigned i = 0; i < s->nvars; i++) {
            has |= expr_has_await(s->vars[i]->init);
            structure |= s->vars[i]->hoisted || has;
        }
    if (s->kind == AC_S_CONTINUE && s->target && s->target->restructured) {
        s->target->continue_label = 1;
        structure = 1;
    }
    ac_stmt *parts[] = {s->init, s->body, s->els};
    for (unsigned i = 0; i < 3; i++)
        if (parts[i]) {
            has |= parts[i]->has_await;
            structure |= parts[i]->needs_structure;
        }
    for (unsigned i = 0; i < s->nkids; i++) {
        analyze(s->kids[i]);
        has |= s->kids[i]->has_await;
        structure |= s->kids[i]->needs_structure;
    }
    s->has_await = has;
    s->needs_structure = structure || has;
}

/* A state machine must follow the state machines whose frames it embeds,
 * so a function is placed after the latest of its callees. */
static unsigned placement_order;

static int place(ac_unit *u, ac_func *f) {
    if (f->placed)
        return 0;
    if (f->visiting) {
        ac_source_diag(&u->src, AC_DIAG_ERROR, f->name_offset,
                       "async function '%s' awaits itself, directly or "
                       "through other async functions; recursive async "
                       "functions are not supported yet",
                       f->name);
        return -1;
    }
    f->visiting = 1;
    f->emit_at = f->span.end;
    int rc = 0;
    for (unsigned i = 0; i < f->nawaited && rc == 0; i++) {
        ac_func *d = f->awaited[i]->def;
        if (!d)
            continue;
        rc = place(u, d);
        if (rc == 0 && d->emit_at > f->emit_at)
            f->emit_at = d->emit_at;
    }
    f->visiting = 0;
    f->placed = (int)++placement_order;
    return rc;
}

int ac_lower(ac_unit *u) {
    unsigned before = ac_diag_errors();
    loop_ids = 0;
    placement_order = 0;
    for (unsigned i = 0; i < u->nfuncs; i++) {
        ac_func *f = u->funcs[i];
        for (unsigned k = 0; k < f->nparams; k++) {
            f->params[k]->hoisted = 1;
            name_field(u, f, f->params[k]);
        }
        mark_hoisted(f->body, f);
        for (unsigned k = 0; k < f->nvars; k++) {
            ac_var *v = f->vars[k];
            check_hoistable(u, f, v);
            if (v->hoisted)
                name_field(u, f, v);
        }
        analyze(f->body);
    }
    for (unsigned i = 0; i < u->nfuncs; i++)
        if (place(u, u->funcs[i]) != 0)
            break;
    return ac_diag_errors() == before ? 0 : -1;
}
