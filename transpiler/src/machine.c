/*
 * machine.c -- queries and the invariant check of a state machine (see
 * machine.h).
 */
#include "machine.h"

#include <string.h>

void ac_machine_put_decl(ac_buf *out, const char *decl, const char *name) {
    const char *hole = strstr(decl, "%s");
    if (!hole) {
        ac_buf_printf(out, "%s %s", decl, name);
        return;
    }
    ac_buf_add(out, decl, (size_t)(hole - decl));
    ac_buf_puts(out, name);
    ac_buf_puts(out, hole + 2);
}

/* Transitions order: by `from`, then `to` with AC_DONE after every
 * state. */
static int cmp_edge(unsigned from_a, int to_a, unsigned from_b, int to_b) {
    if (from_a != from_b)
        return from_a < from_b ? -1 : 1;
    unsigned ta = to_a < 0 ? ~0u : (unsigned)to_a;
    unsigned tb = to_b < 0 ? ~0u : (unsigned)to_b;
    return (ta > tb) - (ta < tb);
}

unsigned ac_machine_edge(const ac_machine *m, unsigned from, int to) {
    unsigned lo = 0, hi = m->ntransitions;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        const ac_transition *t = &m->transitions[mid];
        int c = cmp_edge(t->from, t->to, from, to);
        if (c == 0)
            return t->kinds;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

int ac_machine_reachable(const ac_machine *m, unsigned id) {
    if (id == 0)
        return 1;
    for (unsigned i = 0; i < m->ntransitions; i++)
        if (m->transitions[i].to == (int)id)
            return 1;
    return 0;
}

/* --- the invariants -------------------------------------------------- */

static int fail(ac_buf *why, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(ac_buf *why, const char *fmt, ...) {
    if (why) {
        va_list ap;
        va_start(ap, fmt);
        ac_buf_vprintf(why, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* `ids` ascending, without repeats, each a state of `m`. */
static int states_ok(const ac_machine *m, const unsigned *ids, unsigned n) {
    for (unsigned i = 0; i < n; i++)
        if (ids[i] == 0 || ids[i] > m->nstates || (i && ids[i] <= ids[i - 1]))
            return 0;
    return 1;
}

static int verify_states(const ac_machine *m, ac_buf *why) {
    for (unsigned i = 0; i < m->nstates; i++) {
        const ac_state *s = &m->states[i];
        if (s->id != i + 1)
            return fail(why, "state %u has id %u: ids are not dense", i + 1,
                        s->id);
        if (s->slot >= m->nslots || m->slots[s->slot].state != s->id)
            return fail(why, "state %u has no slot serving it", s->id);
        if (s->timeout > m->ntimeouts)
            return fail(why, "state %u is in async_timeout block %u of %u",
                        s->id, s->timeout, m->ntimeouts);
    }
    return 0;
}

static int verify_slots(const ac_machine *m, ac_buf *why) {
    for (unsigned i = 0; i < m->nslots; i++) {
        const ac_slot *s = &m->slots[i];
        int is_state = s->kind != AC_SLOT_TEMP && s->kind != AC_SLOT_ERRP;
        if (!s->name || !s->path)
            return fail(why, "slot %u has no name", i);
        if (is_state && (s->state == 0 || s->state > m->nstates ||
                         m->states[s->state - 1].slot != i))
            return fail(why, "slot %s serves no state", s->path);
        if (!is_state && s->state)
            return fail(why, "temporary %s claims state %u", s->path, s->state);
        if (!states_ok(m, s->states, s->nstates))
            return fail(why, "slot %s lists states out of order or unknown",
                        s->path);
        if (s->group > m->ngroups)
            return fail(why, "slot %s is in group %u of %u", s->path, s->group,
                        m->ngroups);
        /* A group's slots are consecutive: one struct member of _aw. */
        if (s->group && i && m->slots[i - 1].group != s->group) {
            for (unsigned k = 0; k + 1 < i; k++)
                if (m->slots[k].group == s->group)
                    return fail(why, "group %u is split around slot %s",
                                s->group, s->path);
        }
        for (unsigned k = 0; k < s->nmembers; k++)
            if (!s->members[k].name || !s->members[k].decl)
                return fail(why, "member %u of slot %s has no declaration", k,
                            s->path);
        for (unsigned k = 0; k < i; k++)
            if (strcmp(m->slots[k].path, s->path) == 0)
                return fail(why, "two slots are named %s", s->path);
    }
    return 0;
}

static int verify_groups(const ac_machine *m, ac_buf *why) {
    for (unsigned g = 0; g < m->ngroups; g++) {
        if (m->groups[g].id != g + 1)
            return fail(why, "group %u has id %u: ids are not dense", g + 1,
                        m->groups[g].id);
        unsigned n = 0;
        for (unsigned i = 0; i < m->nslots; i++)
            n += m->slots[i].group == g + 1;
        if (n < 2)
            return fail(why,
                        "group %u holds %u slots: a group is for "
                        "several",
                        g + 1, n);
        if (!states_ok(m, m->groups[g].states, m->groups[g].nstates))
            return fail(why, "group %u lists states out of order or unknown",
                        g + 1);
    }
    return 0;
}

static int verify_timeouts(const ac_machine *m, ac_buf *why) {
    for (unsigned i = 0; i < m->ntimeouts; i++) {
        const ac_timeout *t = &m->timeouts[i];
        if (t->id != i + 1)
            return fail(why, "async_timeout block %u has id %u", i + 1, t->id);
        if (t->parent >= t->id)
            return fail(why,
                        "async_timeout block %u is inside block %u, "
                        "which starts after it",
                        t->id, t->parent);
        if (!states_ok(m, t->states, t->nstates))
            return fail(why,
                        "async_timeout block %u lists states out of "
                        "order or unknown",
                        t->id);
    }
    return 0;
}

static int verify_defers(const ac_machine *m, ac_buf *why) {
    for (unsigned i = 0; i < m->ndefers; i++) {
        const ac_defer *d = &m->defers[i];
        if (d->id != i + 1)
            return fail(why, "async_defer %u has id %u", i + 1, d->id);
        if (d->in_frame != (d->tracked && d->nstates > 0))
            return fail(why,
                        "async_defer %u keeps its target %s the frame but "
                        "its body has %u states",
                        d->id, d->in_frame ? "in" : "out of", d->nstates);
        if (!states_ok(m, d->states, d->nstates))
            return fail(why,
                        "async_defer %u lists states out of order or "
                        "unknown",
                        d->id);
        int field = 0;
        for (unsigned k = 0; k < m->nfields; k++)
            field |= m->fields[k].kind == AC_FIELD_DEFER &&
                     m->fields[k].index == d->id;
        if (field != d->in_frame)
            return fail(why, "async_defer %u %s a frame field", d->id,
                        field ? "has" : "lacks");
    }
    return 0;
}

static int verify_fields(const ac_machine *m, ac_buf *why) {
    if (!m->nfields || m->fields[0].kind != AC_FIELD_STATE)
        return fail(why, "the frame does not start with _state");
    int children = 0;
    for (unsigned i = 0; i < m->nfields; i++) {
        const ac_field *f = &m->fields[i];
        if (!f->name)
            return fail(why, "field %u has no name", i);
        if (f->kind == AC_FIELD_CHILDREN)
            children = 1;
        else if (!f->decl)
            return fail(why, "field %s has no declaration", f->name);
        if ((f->kind == AC_FIELD_PARAM || f->kind == AC_FIELD_LOCAL) &&
            (f->index >= m->nlocals || !m->locals[f->index].field ||
             strcmp(m->locals[f->index].field, f->name) != 0))
            return fail(why, "field %s is not its local's field", f->name);
        if ((f->kind == AC_FIELD_TIMEOUT || f->kind == AC_FIELD_TIMEOUT_ERR) &&
            (f->index == 0 || f->index > m->ntimeouts))
            return fail(why, "field %s names no async_timeout block", f->name);
        if (f->kind == AC_FIELD_DEFER &&
            (f->index == 0 || f->index > m->ndefers))
            return fail(why, "field %s names no async_defer", f->name);
        for (unsigned k = 0; k < i; k++)
            if (strcmp(m->fields[k].name, f->name) == 0)
                return fail(why, "two fields are named %s", f->name);
    }
    if (children != (m->nslots > 0))
        return fail(why, "the frame has %s _aw union but %u slots",
                    children ? "an" : "no", m->nslots);
    for (unsigned i = 0; i < m->nlocals; i++)
        if (!states_ok(m, m->locals[i].states, m->locals[i].nstates))
            return fail(why, "local %s lists states out of order or unknown",
                        m->locals[i].name);
    return 0;
}

static int verify_transitions(const ac_machine *m, ac_buf *why) {
    for (unsigned i = 0; i < m->ntransitions; i++) {
        const ac_transition *t = &m->transitions[i];
        if (t->from > m->nstates)
            return fail(why, "a transition leaves state %u of %u", t->from,
                        m->nstates);
        if (t->to == 0 || (t->to > 0 && (unsigned)t->to > m->nstates) ||
            (t->to < 0 && t->to != AC_DONE))
            return fail(why,
                        "a transition from %u goes to state %d, which "
                        "does not exist",
                        t->from, t->to);
        if (!t->kinds)
            return fail(why, "the transition %u -> %d has no kind", t->from,
                        t->to);
        if (i && cmp_edge(m->transitions[i - 1].from, m->transitions[i - 1].to,
                          t->from, t->to) >= 0)
            return fail(why, "transitions are not sorted at %u -> %d", t->from,
                        t->to);
    }
    return 0;
}

int ac_machine_verify(const ac_machine *m, ac_buf *why) {
    if (!m->name)
        return fail(why, "the machine has no name");
    if (verify_states(m, why) || verify_slots(m, why) ||
        verify_groups(m, why) || verify_timeouts(m, why) ||
        verify_defers(m, why) || verify_fields(m, why) ||
        verify_transitions(m, why))
        return -1;
    return 0;
}
