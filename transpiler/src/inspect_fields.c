/*
 * inspect_fields.c -- why each field of a frame is there.  The layout
 * comes from the compiler (parse_layout.c) and names fields as the
 * emitter wrote them; this file maps each name back to what the lowering
 * and the emitter decided: a parameter, a local and the states it is
 * live across, a child frame and its state, a temporary, a deadline.
 */
#include "inspect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ac_inspect_put_ranges(ac_buf *out, const unsigned *ids, unsigned n) {
    for (unsigned i = 0; i < n;) {
        unsigned j = i;
        while (j + 1 < n && ids[j + 1] == ids[j] + 1)
            j++;
        ac_buf_printf(out, "%s%u", i ? ", " : "", ids[i]);
        if (j == i + 1)
            ac_buf_printf(out, ", %u", ids[j]);
        else if (j > i)
            ac_buf_printf(out, "..%u", ids[j]);
        i = j + 1;
    }
}

typedef struct annot {
    ac_unit *u;
    ac_insp_func *F;
} annot;

static const char *ranges(annot *a, const char *head, const unsigned *ids,
                          unsigned n, const char *tail) {
    ac_buf b = {0};
    ac_buf_puts(&b, head);
    ac_inspect_put_ranges(&b, ids, n);
    ac_buf_puts(&b, tail);
    const char *s = ac_arena_strdup(&a->u->arena, ac_buf_str(&b));
    ac_buf_free(&b);
    return s;
}

static unsigned line_of(annot *a, unsigned offset) {
    unsigned line, col;
    ac_source_linecol(&a->u->src, offset, &line, &col);
    return line;
}

static void set(ac_insp_field *f, const char *reason, const char *note,
                unsigned *states, unsigned nstates) {
    f->reason = reason;
    f->note = note;
    f->states = states;
    f->nstates = nstates;
}

/* --- locals --------------------------------------------------------- */

/* The states a local is live across, from the lowering's await offsets. */
static unsigned *live_states(annot *a, const ac_var *v, unsigned *n) {
    unsigned *ids = ac_arena_alloc(
        &a->u->arena, (v->nlive_at ? v->nlive_at : 1) * sizeof *ids);
    *n = 0;
    for (unsigned i = 0; i < v->nlive_at; i++)
        for (unsigned k = 0; k < a->F->nstates; k++) {
            const ac_insp_state *s = &a->F->states[k];
            if (s->expr && s->expr->span.begin == v->live_at[i]) {
                ids[(*n)++] = s->id;
                break;
            }
        }
    /* Offsets are in text order, ids in emission order: sort. */
    for (unsigned i = 1; i < *n; i++)
        for (unsigned j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
            unsigned t = ids[j];
            ids[j] = ids[j - 1];
            ids[j - 1] = t;
        }
    return ids;
}

static const char *scope_why(ac_live_why why) {
    switch (why) {
    case AC_LIVE_SCOPE_ARRAY:
        return "an array";
    case AC_LIVE_SCOPE_ADDRESS:
        return "its address is taken";
    case AC_LIVE_SCOPE_MACRO:
        return "a macro uses it";
    default:
        return "the function has goto";
    }
}

static const char *local_reason(const ac_var *v) {
    if (v->is_param)
        return "parameter";
    if (!v->hoisted)
        return "not_live";
    switch (v->live_why) {
    case AC_LIVE_USE:
        return "live";
    case AC_LIVE_DECLARATION:
        return "declared_with";
    default:
        return "in_scope";
    }
}

static void annotate_locals(annot *a) {
    for (unsigned i = 0; i < a->F->nlocals; i++) {
        ac_insp_local *l = &a->F->locals[i];
        l->reason = local_reason(l->var);
        l->states = live_states(a, l->var, &l->nstates);
    }
}

static int annotate_local(annot *a, ac_insp_field *f) {
    for (unsigned i = 0; i < a->F->nlocals; i++) {
        const ac_insp_local *l = &a->F->locals[i];
        const ac_var *v = l->var;
        if (!v->field || strcmp(v->field, f->name) != 0 ||
            !(v->is_param || v->hoisted))
            continue;
        const char *note, *states = l->nstates > 1 ? "states " : "state ";
        if (v->is_param)
            note = "parameter";
        else if (v->live_why == AC_LIVE_USE)
            note = ranges(
                a, ac_arena_printf(&a->u->arena, "live across %s", states),
                l->states, l->nstates, "");
        else if (v->live_why == AC_LIVE_DECLARATION)
            note = ac_arena_printf(
                &a->u->arena, "declared with '%s', which is kept",
                v->hoisted_with ? v->hoisted_with->name : "?");
        else
            note = ranges(a,
                          ac_arena_printf(&a->u->arena, "%s; %s",
                                          scope_why(v->live_why), states),
                          l->states, l->nstates, " in its scope");
        set(f, l->reason, note, l->states, l->nstates);
        return 1;
    }
    return 0;
}

/* --- async_timeout blocks ------------------------------------------- */

static const ac_stmt *find_timeout(const ac_stmt *s, unsigned id) {
    if (!s)
        return NULL;
    if (s->kind == AC_S_TIMEOUT && s->id == id)
        return s;
    const ac_stmt *parts[] = {s->init, s->body, s->els}, *r;
    for (unsigned i = 0; i < 3; i++)
        if ((r = find_timeout(parts[i], id)))
            return r;
    for (unsigned i = 0; i < s->nkids; i++)
        if ((r = find_timeout(s->kids[i], id)))
            return r;
    return NULL;
}

static int annotate_timeout(annot *a, ac_insp_field *f) {
    unsigned id;
    char tail[8] = "";
    if (sscanf(f->name, "_to%u%7s", &id, tail) < 1 ||
        (tail[0] && strcmp(tail, "_err") != 0))
        return 0;
    const ac_stmt *s = find_timeout(a->F->fn->body, id);
    unsigned line = s ? line_of(a, s->span.begin) : 0;
    unsigned *ids = ac_arena_alloc(
        &a->u->arena, (a->F->nstates ? a->F->nstates : 1) * sizeof *ids);
    unsigned n = 0;
    for (unsigned k = 0; k < a->F->nstates; k++)
        if (s && a->F->states[k].expr &&
            a->F->states[k].expr->span.begin >= s->span.begin &&
            a->F->states[k].expr->span.begin < s->span.end)
            ids[n++] = a->F->states[k].id;
    if (tail[0])
        set(f, "timeout_err",
            ac_arena_printf(&a->u->arena,
                            "where the async_timeout block at line %u "
                            "stores its error",
                            line),
            ids, n);
    else
        set(f, "timeout",
            ranges(a,
                   ac_arena_printf(&a->u->arena,
                                   "deadline of the async_timeout block at "
                                   "line %u (%s ",
                                   line, n == 1 ? "state" : "states"),
                   ids, n, ")"),
            ids, n);
    return 1;
}

/* --- the _aw union -------------------------------------------------- */

static const ac_insp_slot *find_slot(annot *a, const char *path) {
    for (unsigned i = 0; i < a->F->nslots; i++)
        if (strcmp(a->F->slots[i].path, path) == 0)
            return &a->F->slots[i];
    return NULL;
}

static const char *why_allocated(const ac_callee *c) {
    return c && c->def ? "recursion: this await closes a cycle"
                       : "defined in another file";
}

/* async_wait_for of a task handle runs the runtime's join in a task:
 * NULL for that, else the called function. */
static const char *task_or_callee(const ac_expr *call) {
    const ac_callee *c = call ? call->callee : NULL;
    return c && strcmp(c->name, "async__join_cancel") != 0 ? c->name : NULL;
}

static const char *callee_name(const ac_expr *call) {
    const char *name = task_or_callee(call);
    return name ? name : "a task";
}

/* Members of an allocated await's slot, a gather's or a wait_for's. */
static void annotate_slot_members(annot *a, ac_insp_field *f,
                                  const ac_expr *e) {
    ac_arena *A = &a->u->arena;
    for (unsigned i = 0; i < f->nkids; i++) {
        ac_insp_field *m = &f->kids[i];
        unsigned k = 0;
        const ac_expr *call = NULL;
        if ((m->name[0] == 't' || m->name[0] == 'c') &&
            sscanf(m->name + 1, "%u", &k) == 1) {
            if (e->kind == AC_E_GATHER && k < e->nkids)
                call = e->kids[k];
            else if (e->kind == AC_E_WAITFOR && e->nkids)
                call = e->kids[0];
        }
        if (strcmp(m->name, "g") == 0)
            set(m, "gather", "the gather's bookkeeping", NULL, 0);
        else if (strcmp(m->name, "w") == 0)
            set(m, "wait_for", "the deadline's bookkeeping", NULL, 0);
        else if (strcmp(m->name, "frame") == 0)
            set(m, "allocated_frame",
                ac_arena_printf(A, "pointer to the allocated frame of %s",
                                callee_name(e)),
                NULL, 0);
        else if (strcmp(m->name, "value") == 0)
            set(m, "value",
                ac_arena_printf(A,
                                "the result of %s, read before its "
                                "frame is freed",
                                callee_name(e->kind == AC_E_WAITFOR && e->nkids
                                                ? e->kids[0]
                                                : e)),
                NULL, 0);
        else if (call && !task_or_callee(call))
            set(m, m->name[0] == 't' ? "task" : "child_frame",
                m->name[0] == 't' ? "the task that waits for the task"
                                  : "frame of the task that waits for it",
                NULL, 0);
        else if (call && m->name[0] == 't')
            set(m, "task",
                ac_arena_printf(A, "the task running call %u (%s)", k,
                                callee_name(call)),
                NULL, 0);
        else if (call && call->heap)
            set(m, "allocated_frame",
                ac_arena_printf(A,
                                "pointer to the allocated frame of call "
                                "%u (%s; %s)",
                                k, callee_name(call),
                                why_allocated(call->callee)),
                NULL, 0);
        else if (call)
            set(m, "child_frame",
                ac_arena_printf(A, "frame of call %u (%s)", k,
                                callee_name(call)),
                NULL, 0);
        else
            set(m, "other", "", NULL, 0);
    }
}

static const char *op_name(ac_op op) {
    switch (op) {
    case AC_OP_LAND:
        return "&&";
    case AC_OP_LOR:
        return "||";
    case AC_OP_COND:
        return "?:";
    default:
        return ",";
    }
}

static void annotate_slot(annot *a, ac_insp_field *f, const ac_insp_slot *s) {
    ac_arena *A = &a->u->arena;
    const ac_expr *e = s->expr;
    unsigned line = line_of(a, e->span.begin), id = e->id;
    const char *states = ranges(a, s->nstates == 1 ? "state " : "states ",
                                s->states, s->nstates, "");
    const char *note;
    const char *reason = "child_frame";
    switch (e->kind) {
    case AC_E_TRY:
        reason = "temporary";
        note = ac_arena_printf(A,
                               "error pointer of the async_try at line %u, "
                               "held across %s",
                               line, states);
        break;
    case AC_E_TEXT:
        reason = "temporary";
        note = ac_arena_printf(A, "value of the %s at line %u, held across %s",
                               op_name(e->op), line, states);
        break;
    case AC_E_AWAIT:
        if (e->heap) {
            reason = "allocated_frame";
            note = ac_arena_printf(A, "state %u: %s, allocated (%s)", id,
                                   callee_name(e), why_allocated(e->callee));
        } else {
            note = ac_arena_printf(A, "state %u: child frame of %s", id,
                                   callee_name(e));
        }
        break;
    case AC_E_JOIN:
        note = ac_arena_printf(A, "state %u: joins a task", id);
        break;
    case AC_E_GATHER: {
        ac_buf b = {0};
        for (unsigned i = 0; i < e->nkids; i++)
            ac_buf_printf(&b, "%s%s", i ? ", " : "", callee_name(e->kids[i]));
        note = ac_arena_printf(A, "state %u: gather of %s", id, ac_buf_str(&b));
        ac_buf_free(&b);
        break;
    }
    default:
        note = ac_arena_printf(A, "state %u: async_wait_for of %s", id,
                               e->nkids ? callee_name(e->kids[0]) : "?");
        break;
    }
    set(f, reason, note, s->states, s->nstates);
    annotate_slot_members(a, f, e);
}

static void annotate_aw(annot *a, ac_insp_field *f, const char *prefix);

/* gK: the slots of one statement, which may be needed at once. */
static void annotate_group(annot *a, ac_insp_field *f, const char *path) {
    size_t plen = strlen(path);
    unsigned *ids = ac_arena_alloc(
        &a->u->arena, (a->F->nstates ? a->F->nstates : 1) * sizeof *ids);
    unsigned n = 0, line = 0;
    for (unsigned i = 0; i < a->F->nslots; i++) {
        const ac_insp_slot *s = &a->F->slots[i];
        if (strncmp(s->path, path, plen) != 0 || s->path[plen] != '.')
            continue;
        if (!line || line_of(a, s->expr->span.begin) < line)
            line = line_of(a, s->expr->span.begin);
        for (unsigned k = 0; k < s->nstates; k++) {
            unsigned j = n;
            while (j > 0 && ids[j - 1] > s->states[k])
                j--;
            if (j > 0 && ids[j - 1] == s->states[k])
                continue;
            memmove(ids + j + 1, ids + j, (n - j) * sizeof *ids);
            ids[j] = s->states[k];
            n++;
        }
    }
    set(f, "group",
        ranges(a,
               ac_arena_printf(&a->u->arena,
                               "one statement's slots, needed together "
                               "(line %u): %s ",
                               line, n > 1 ? "states" : "state"),
               ids, n, ""),
        ids, n);
    annotate_aw(a, f, path);
}

static void annotate_aw(annot *a, ac_insp_field *f, const char *prefix) {
    for (unsigned i = 0; i < f->nkids; i++) {
        ac_insp_field *m = &f->kids[i];
        const char *path =
            ac_arena_printf(&a->u->arena, "%s.%s", prefix, m->name);
        const ac_insp_slot *s = find_slot(a, path);
        if (s)
            annotate_slot(a, m, s);
        else if (m->name[0] == 'g')
            annotate_group(a, m, path);
        else
            set(m, "other", "", NULL, 0);
    }
}

/* --- the frame ------------------------------------------------------ */

static void annotate_top(annot *a, ac_insp_field *f) {
    if (strcmp(f->name, "_state") == 0) {
        set(f, "state", "the state to resume at (0 start, -1 done)", NULL, 0);
    } else if (strcmp(f->name, "_ret") == 0) {
        set(f, "result", "the result", NULL, 0);
    } else if (strcmp(f->name, "_aw") == 0) {
        unsigned *ids = ac_arena_alloc(
            &a->u->arena, (a->F->nstates ? a->F->nstates : 1) * sizeof *ids);
        unsigned n = 0;
        for (unsigned k = 0; k < a->F->nstates; k++)
            if (a->F->states[k].slot)
                ids[n++] = a->F->states[k].id;
        set(f, "children",
            "child frames and temporaries, one statement's at a time", ids, n);
        annotate_aw(a, f, "_aw");
    } else if (!annotate_timeout(a, f) && !annotate_local(a, f)) {
        set(f, "other", "", NULL, 0);
    }
}

void ac_inspect_annotate(ac_inspect *ins) {
    for (unsigned i = 0; i < ins->nfuncs; i++) {
        annot a = {ins->u, &ins->funcs[i]};
        annotate_locals(&a);
        for (unsigned k = 0; k < ins->funcs[i].nfields; k++)
            annotate_top(&a, &ins->funcs[i].fields[k]);
    }
}
