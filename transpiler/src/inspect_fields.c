/*
 * inspect_fields.c -- the frame of a machine as report fields: each
 * field, slot and member the machine lists, with the reason the machine
 * gives for it put into words, and its size and offset from the
 * compiler's layout of the same names.
 */
#include "inspect.h"

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
    const ac_machine *m;
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

static const char *plural(unsigned n) { return n == 1 ? "state " : "states "; }

/* A field named `name`, sized from `lf` (NULL: unknown). */
static void init_field(ac_insp_field *f, const char *name,
                       const ac_layout_field *lf) {
    memset(f, 0, sizeof *f);
    f->name = name;
    f->size = f->offset = f->align = -1;
    if (lf) {
        f->type = lf->type;
        f->size = lf->size;
        f->offset = lf->offset;
        f->align = lf->align;
    }
}

static void set(ac_insp_field *f, const char *reason, const char *note,
                const unsigned *states, unsigned nstates) {
    f->reason = reason;
    f->note = note;
    f->states = states;
    f->nstates = nstates;
}

static ac_insp_field *new_fields(annot *a, unsigned n) {
    return ac_arena_alloc(&a->u->arena, (n ? n : 1) * sizeof(ac_insp_field));
}

/* --- locals ---------------------------------------------------------- */

const char *ac_inspect_local_reason(const ac_local *l) {
    switch (l->why) {
    case AC_KEEP_PARAM:
        return "parameter";
    case AC_KEEP_NOT_LIVE:
        return "not_live";
    case AC_KEEP_LIVE:
        return "live";
    case AC_KEEP_DECLARATION:
        return "declared_with";
    default:
        return "in_scope";
    }
}

int ac_inspect_in_frame(const ac_local *l) {
    return l->why != AC_KEEP_NOT_LIVE;
}

static const char *scope_why(ac_keep_why why) {
    switch (why) {
    case AC_KEEP_ARRAY:
        return "an array";
    case AC_KEEP_ADDRESS:
        return "its address is taken";
    case AC_KEEP_MACRO:
        return "a macro uses it";
    default:
        return "the function has goto";
    }
}

static void local_field(annot *a, ac_insp_field *f, const ac_local *l) {
    const char *note, *states = l->nstates > 1 ? "states " : "state ";
    if (l->why == AC_KEEP_PARAM)
        note = "parameter";
    else if (l->why == AC_KEEP_LIVE)
        note =
            ranges(a, ac_arena_printf(&a->u->arena, "live across %s", states),
                   l->states, l->nstates, "");
    else if (l->why == AC_KEEP_DECLARATION)
        note =
            ac_arena_printf(&a->u->arena, "declared with '%s', which is kept",
                            l->with ? l->with : "?");
    else
        note = ranges(
            a,
            ac_arena_printf(&a->u->arena, "%s; %s", scope_why(l->why), states),
            l->states, l->nstates, " in its scope");
    set(f, ac_inspect_local_reason(l), note, l->states, l->nstates);
}

/* --- async_timeout blocks -------------------------------------------- */

static void timeout_field(annot *a, ac_insp_field *f, const ac_field *mf) {
    const ac_timeout *t = &a->m->timeouts[mf->index - 1];
    if (mf->kind == AC_FIELD_TIMEOUT_ERR)
        set(f, "timeout_err",
            ac_arena_printf(&a->u->arena,
                            "where the async_timeout block at line %u "
                            "stores its error",
                            t->line),
            t->states, t->nstates);
    else
        set(f, "timeout",
            ranges(a,
                   ac_arena_printf(&a->u->arena,
                                   "deadline of the async_timeout block at "
                                   "line %u (%s ",
                                   t->line,
                                   t->nstates == 1 ? "state" : "states"),
                   t->states, t->nstates, ")"),
            t->states, t->nstates);
}

/* --- async_defer statements ------------------------------------------ */

static void defer_field(annot *a, ac_insp_field *f, const ac_field *mf) {
    const ac_defer *d = &a->m->defers[mf->index - 1];
    set(f, "defer",
        ranges(a,
               ac_arena_printf(&a->u->arena,
                               "where the async_defer at line %u goes after "
                               "its body, held across %s ",
                               d->line, d->nstates == 1 ? "state" : "states"),
               d->states, d->nstates, ""),
        d->states, d->nstates);
}

/* --- the _aw union --------------------------------------------------- */

static const char *why_allocated(ac_heap_why why) {
    return why == AC_HEAP_RECURSION ? "recursion: this await closes a cycle"
           : why == AC_HEAP_INDIRECT
               ? "called through a pointer: its size is known at run time"
               : "defined in another file";
}

static const char *name_or_task(const char *callee) {
    return callee ? callee : "a task";
}

static void member_field(annot *a, ac_insp_field *f, const ac_slot *s,
                         const ac_member *k) {
    ac_arena *A = &a->u->arena;
    switch (k->kind) {
    case AC_MEMBER_GATHER:
        set(f, "gather", "the gather's bookkeeping", NULL, 0);
        return;
    case AC_MEMBER_WAIT_FOR:
        set(f, "wait_for", "the deadline's bookkeeping", NULL, 0);
        return;
    case AC_MEMBER_VALUE:
        set(f, "value",
            ac_arena_printf(A,
                            "the result of %s, read before its frame is "
                            "freed",
                            name_or_task(k->callee)),
            NULL, 0);
        return;
    default:
        break;
    }
    if (s->kind == AC_SLOT_HEAP) {
        set(f, "allocated_frame",
            ac_arena_printf(A, "pointer to the allocated frame of %s",
                            name_or_task(k->callee)),
            NULL, 0);
    } else if (!k->callee) {
        /* async_wait_for of a task: the runtime's join runs as the task. */
        if (k->kind == AC_MEMBER_TASK)
            set(f, "task", "the task that waits for the task", NULL, 0);
        else
            set(f, "child_frame", "frame of the task that waits for it", NULL,
                0);
    } else if (k->kind == AC_MEMBER_TASK) {
        set(f, "task",
            ac_arena_printf(A, "the task running call %u (%s)", k->call,
                            k->callee),
            NULL, 0);
    } else if (k->kind == AC_MEMBER_POINTER) {
        set(f, "allocated_frame",
            ac_arena_printf(A,
                            "pointer to the allocated frame of call %u "
                            "(%s; %s)",
                            k->call, k->callee, why_allocated(k->heap)),
            NULL, 0);
    } else {
        set(f, "child_frame",
            ac_arena_printf(A, "frame of call %u (%s)", k->call, k->callee),
            NULL, 0);
    }
}

/* "f, g" for a gather's calls. */
static const char *gathered(annot *a, const ac_slot *s) {
    ac_buf b = {0};
    for (unsigned i = 0; i < s->nmembers; i++)
        if (s->members[i].kind == AC_MEMBER_TASK)
            ac_buf_printf(&b, "%s%s", b.len ? ", " : "",
                          name_or_task(s->members[i].callee));
    const char *text = ac_arena_strdup(&a->u->arena, ac_buf_str(&b));
    ac_buf_free(&b);
    return text;
}

/* The first call of a wait_for's slot. */
static const char *waited(const ac_slot *s) {
    for (unsigned i = 0; i < s->nmembers; i++)
        if (s->members[i].kind == AC_MEMBER_TASK)
            return name_or_task(s->members[i].callee);
    return "?";
}

static void slot_field(annot *a, ac_insp_field *f, const ac_slot *s,
                       const ac_layout_field *lf) {
    ac_arena *A = &a->u->arena;
    const char *states =
        ranges(a, plural(s->nstates), s->states, s->nstates, "");
    const char *reason = "child_frame", *note;
    switch (s->kind) {
    case AC_SLOT_ERRP:
        reason = "temporary";
        note = ac_arena_printf(A,
                               "error pointer of the async_try at line %u, "
                               "held across %s",
                               s->line, states);
        break;
    case AC_SLOT_TEMP:
        reason = "temporary";
        note = ac_arena_printf(A, "value of the %s at line %u, held across %s",
                               s->op, s->line, states);
        break;
    case AC_SLOT_HEAP:
        reason = "allocated_frame";
        note = ac_arena_printf(A, "state %u: %s, allocated (%s)", s->state,
                               s->callee, why_allocated(s->heap));
        break;
    case AC_SLOT_FRAME:
        note = ac_arena_printf(A, "state %u: child frame of %s", s->state,
                               s->callee);
        break;
    case AC_SLOT_JOIN:
        note = ac_arena_printf(A, "state %u: joins a task", s->state);
        break;
    case AC_SLOT_GATHER:
        note = ac_arena_printf(A, "state %u: gather of %s", s->state,
                               gathered(a, s));
        break;
    default:
        note = ac_arena_printf(A, "state %u: async_wait_for of %s", s->state,
                               waited(s));
        break;
    }
    set(f, reason, note, s->states, s->nstates);
    if (!s->nmembers)
        return;
    f->kids = new_fields(a, s->nmembers);
    f->nkids = s->nmembers;
    for (unsigned i = 0; i < s->nmembers; i++) {
        const ac_member *k = &s->members[i];
        init_field(&f->kids[i], k->name,
                   lf ? ac_layout_find(lf->kids, lf->nkids, k->name) : NULL);
        member_field(a, &f->kids[i], s, k);
    }
}

/* g<id>: the slots of one statement, which may be needed at once. */
static void group_field(annot *a, ac_insp_field *f, const ac_group *g,
                        const ac_layout_field *lf) {
    set(f, "group",
        ranges(a,
               ac_arena_printf(&a->u->arena,
                               "one statement's slots, needed together "
                               "(line %u): %s ",
                               g->line, g->nstates > 1 ? "states" : "state"),
               g->states, g->nstates, ""),
        g->states, g->nstates);
    unsigned n = 0;
    for (unsigned i = 0; i < a->m->nslots; i++)
        n += a->m->slots[i].group == g->id;
    f->kids = new_fields(a, n);
    for (unsigned i = 0; i < a->m->nslots; i++) {
        const ac_slot *s = &a->m->slots[i];
        if (s->group != g->id)
            continue;
        ac_insp_field *k = &f->kids[f->nkids++];
        const ac_layout_field *kl =
            lf ? ac_layout_find(lf->kids, lf->nkids, s->name) : NULL;
        init_field(k, s->name, kl);
        slot_field(a, k, s, kl);
    }
}

static void children_field(annot *a, ac_insp_field *f,
                           const ac_layout_field *lf) {
    const ac_machine *m = a->m;
    unsigned *ids =
        ac_arena_alloc(&a->u->arena, (m->nstates + 1) * sizeof *ids);
    for (unsigned k = 0; k < m->nstates; k++)
        ids[k] = m->states[k].id;
    set(f, "children",
        "child frames and temporaries, one statement's at a time", ids,
        m->nstates);
    unsigned n = 0;
    for (unsigned i = 0; i < m->nslots; i++)
        n += !m->slots[i].group || !i ||
             m->slots[i - 1].group != m->slots[i].group;
    f->kids = new_fields(a, n);
    for (unsigned i = 0; i < m->nslots; i++) {
        const ac_slot *s = &m->slots[i];
        if (s->group && i && m->slots[i - 1].group == s->group)
            continue;
        ac_insp_field *k = &f->kids[f->nkids++];
        const char *name =
            s->group ? ac_arena_printf(&a->u->arena, "g%u", s->group) : s->name;
        const ac_layout_field *kl =
            lf ? ac_layout_find(lf->kids, lf->nkids, name) : NULL;
        init_field(k, name, kl);
        if (s->group)
            group_field(a, k, &m->groups[s->group - 1], kl);
        else
            slot_field(a, k, s, kl);
    }
}

/* --- the frame ------------------------------------------------------- */

void ac_inspect_fields(ac_unit *u, ac_insp_func *F, const ac_layout *frame) {
    annot a = {u, F, F->m};
    const ac_machine *m = F->m;
    F->fields = new_fields(&a, m->nfields);
    F->nfields = m->nfields;
    for (unsigned i = 0; i < m->nfields; i++) {
        const ac_field *mf = &m->fields[i];
        ac_insp_field *f = &F->fields[i];
        const ac_layout_field *lf =
            frame ? ac_layout_find(frame->fields, frame->nfields, mf->name)
                  : NULL;
        init_field(f, mf->name, lf);
        switch (mf->kind) {
        case AC_FIELD_STATE:
            set(f, "state", "the state to resume at (0 start, -1 done)", NULL,
                0);
            break;
        case AC_FIELD_PARAM:
        case AC_FIELD_LOCAL:
            local_field(&a, f, &m->locals[mf->index]);
            break;
        case AC_FIELD_TIMEOUT:
        case AC_FIELD_TIMEOUT_ERR:
            timeout_field(&a, f, mf);
            break;
        case AC_FIELD_DEFER:
            defer_field(&a, f, mf);
            break;
        case AC_FIELD_CHILDREN:
            children_field(&a, f, lf);
            break;
        case AC_FIELD_RESULT:
            set(f, "result", "the result", NULL, 0);
            break;
        }
    }
}
