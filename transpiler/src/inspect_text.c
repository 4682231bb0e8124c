/*
 * inspect_text.c -- `asyncc --inspect`: the states, transitions and frame
 * of each async function as aligned plain text, for people.  The format
 * is described in docs/inspect.md.
 */
#include "inspect.h"

#include <string.h>

static const char *const kind_names[] = {"next", "timeout", "return",
                                         "end",  "fail",    "defer"};

/* "[return, fail]" for the kinds of an edge (none for plain "next"
 * between states). */
static void put_kinds(ac_buf *out, unsigned kinds, int to_done) {
    if (!to_done && kinds == AC_EDGE_NEXT)
        return;
    ac_buf_puts(out, " [");
    int first = 1;
    for (unsigned k = 0; k < 6; k++)
        if (kinds & (1u << k)) {
            ac_buf_printf(out, "%s%s", first ? "" : ", ", kind_names[k]);
            first = 0;
        }
    ac_buf_puts(out, "]");
}

static void put_states(const ac_inspect *ins, const ac_machine *m,
                       ac_buf *out) {
    ac_buf_puts(out, "  states\n     0  start\n");
    for (unsigned i = 0; i < m->nstates; i++) {
        const ac_state *s = &m->states[i];
        ac_buf_printf(out, "  %4u  %s:%u:%u  %s", i + 1, ins->u->src.path,
                      s->line, s->col, s->text ? s->text : "?");
        if (s->caught)
            ac_buf_puts(out, " [async_try]");
        if (s->timeout)
            ac_buf_puts(out, " [async_timeout]");
        /* The innermost async_defer body it is in (numbered in order,
         * an inner body's states after the outer body's first ones). */
        unsigned in_defer = 0;
        for (unsigned d = 0; d < m->ndefers; d++)
            for (unsigned k = 0; k < m->defers[d].nstates; k++)
                if (m->defers[d].states[k] == i + 1 &&
                    (!in_defer ||
                     m->defers[d].nstates < m->defers[in_defer - 1].nstates))
                    in_defer = d + 1;
        if (in_defer)
            ac_buf_printf(out, " [async_defer at line %u]",
                          m->defers[in_defer - 1].line);
        ac_buf_puts(out, "\n");
    }
    ac_buf_puts(out, "    -1  done\n");
}

static void put_transitions(const ac_machine *m, ac_buf *out) {
    ac_buf_puts(out, "  transitions\n");
    /* In the machine's order: by state, then target, done last. */
    unsigned t = 0;
    for (unsigned from = 0; from <= m->nstates; from++) {
        if (from)
            ac_buf_printf(out, "    %5u ->", from);
        else
            ac_buf_puts(out, "    start ->");
        int any = 0;
        for (; t < m->ntransitions && m->transitions[t].from == from; t++) {
            const ac_transition *e = &m->transitions[t];
            if (e->to == AC_DONE)
                ac_buf_printf(out, "%s done", any ? "," : "");
            else
                ac_buf_printf(out, "%s %d", any ? "," : "", e->to);
            put_kinds(out, e->kinds, e->to == AC_DONE);
            any = 1;
        }
        if (!any)
            ac_buf_puts(out, ac_machine_reachable(m, from)
                                 ? " (nothing: it never gets further)"
                                 : " (nothing: never reached)");
        ac_buf_puts(out, "\n");
    }
}

typedef struct widths {
    int name, type;
} widths;

static void measure(const ac_insp_field *f, unsigned n, int depth, widths *w) {
    for (unsigned i = 0; i < n; i++) {
        int nl = 2 * depth + (int)strlen(f[i].name);
        int tl = (int)strlen(f[i].type ? f[i].type : "?");
        w->name = nl > w->name ? nl : w->name;
        w->type = tl > w->type ? tl : w->type;
        measure(f[i].kids, f[i].nkids, depth + 1, w);
    }
}

static void put_number(ac_buf *out, long long v, int width) {
    if (v >= 0)
        ac_buf_printf(out, "%*lld", width, v);
    else
        ac_buf_printf(out, "%*s", width, "?");
}

static void put_fields(const ac_insp_field *f, unsigned n, int depth,
                       const widths *w, ac_buf *out) {
    for (unsigned i = 0; i < n; i++) {
        ac_buf_puts(out, "    ");
        put_number(out, f[i].offset, 6);
        ac_buf_puts(out, "  ");
        put_number(out, f[i].size, 4);
        ac_buf_printf(out, "  %*s%-*s  %-*s", 2 * depth, "",
                      w->name - 2 * depth, f[i].name, w->type,
                      f[i].type ? f[i].type : "?");
        if (f[i].note && f[i].note[0])
            ac_buf_printf(out, "  %s", f[i].note);
        while (out->len && out->data[out->len - 1] == ' ')
            out->len--;
        ac_buf_puts(out, "\n");
        put_fields(f[i].kids, f[i].nkids, depth + 1, w, out);
    }
}

static void put_frame(const ac_insp_func *F, ac_buf *out) {
    ac_buf_printf(out, "  frame struct %s__frame: ", F->m->name);
    put_number(out, F->size, 0);
    ac_buf_puts(out, " bytes, align ");
    put_number(out, F->align, 0);
    ac_buf_puts(out, "\n");
    widths w = {5, 4};
    measure(F->fields, F->nfields, 0, &w);
    ac_buf_printf(out, "    offset  size  %-*s  %-*s  why\n", w.name, "field",
                  w.type, "type");
    put_fields(F->fields, F->nfields, 0, &w, out);
}

/* The locals that stay C locals of the resume function. */
static void put_not_kept(const ac_insp_func *F, ac_buf *out) {
    int any = 0;
    for (unsigned i = 0; i < F->m->nlocals; i++) {
        const ac_local *l = &F->m->locals[i];
        if (ac_inspect_in_frame(l))
            continue;
        ac_buf_printf(out, "%s%s (%s, ",
                      any ? ", " : "  not in the frame: ", l->name,
                      F->locals[i].type ? F->locals[i].type : "?");
        put_number(out, F->locals[i].size, 0);
        ac_buf_printf(out, " bytes, line %u)", l->line);
        any = 1;
    }
    if (any)
        ac_buf_puts(out, "\n");
}

static void put_saving(const ac_insp_func *F, ac_buf *out) {
    ac_buf_puts(out, "  unshared: ");
    put_number(out, F->unshared, 0);
    ac_buf_puts(out, " bytes with every parameter and local kept and no "
                     "child frame shared");
    if (F->unshared >= 0 && F->size >= 0) {
        long long saved = F->unshared - F->size;
        if (saved > 0)
            ac_buf_printf(out, "; %lld bytes saved (%lld%%)", saved,
                          saved * 100 / F->unshared);
        else
            ac_buf_puts(out, "; nothing saved");
    }
    /* Types that exist only inside the function (or variable length)
     * cannot be sized where the frame is. */
    for (unsigned i = 0, n = 0; i < F->m->nlocals; i++) {
        const ac_local *l = &F->m->locals[i];
        if (l->decl)
            continue;
        ac_buf_printf(out, "%s%s", n++ ? ", " : "; not counted: ", l->name);
        if (n == F->uncounted)
            ac_buf_puts(out, " (no type at file scope)");
    }
    ac_buf_puts(out, "\n");
}

void ac_inspect_write_text(const ac_inspect *ins, ac_buf *out) {
    ac_buf_printf(out, "%s: %u async function%s\n", ins->u->src.path,
                  ins->nfuncs, ins->nfuncs == 1 ? "" : "s");
    for (unsigned i = 0; i < ins->nfuncs; i++) {
        const ac_insp_func *F = &ins->funcs[i];
        ac_buf_printf(out, "\n%s  %s:%u:%u\n", F->m->name, ins->u->src.path,
                      F->m->line, F->m->col);
        put_states(ins, F->m, out);
        put_transitions(F->m, out);
        put_frame(F, out);
        put_not_kept(F, out);
        put_saving(F, out);
    }
}
