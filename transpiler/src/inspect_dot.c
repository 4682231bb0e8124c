/*
 * inspect_dot.c -- `asyncc --dot`: the states and transitions of every
 * async function of a file as one Graphviz digraph with a cluster per
 * function, so that `dot -Tsvg` draws them all in one picture.
 *
 * Node names are "FUNCTION.start", "FUNCTION.N" (state N) and
 * "FUNCTION.done"; an edge's label lists how it is taken unless that is
 * plain flow to the next state; failures that end the function are
 * dashed red.
 */
#include "inspect.h"

#include <string.h>

/* Long awaits are cut to this many bytes in node labels. */
#define LABEL_MAX 40

/* The contents of a quoted DOT string; `max` > 0 cuts it with "..." (on
 * a UTF-8 character boundary). */
static void put_escaped(ac_buf *out, const char *s, size_t max) {
    size_t n = strlen(s);
    int cut = max && n > max;
    if (cut) {
        n = max - 3;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\')
            ac_buf_puts(out, "\\");
        ac_buf_add(out, s + i, 1);
    }
    if (cut)
        ac_buf_puts(out, "...");
}

static void put_quoted(ac_buf *out, const char *s) {
    ac_buf_puts(out, "\"");
    put_escaped(out, s, 0);
    ac_buf_puts(out, "\"");
}

/* State `id` of function `fn`: 0 is the start, -1 done. */
static void put_node(ac_buf *out, const char *fn, int id) {
    if (id < 0)
        ac_buf_printf(out, "\"%s.done\"", fn);
    else if (id == 0)
        ac_buf_printf(out, "\"%s.start\"", fn);
    else
        ac_buf_printf(out, "\"%s.%d\"", fn, id);
}

static const char *const kind_names[] = {"next", "timeout", "return",
                                         "end",  "fail",    "defer"};

static void put_edge(ac_buf *out, const char *fn, unsigned from, int to,
                     unsigned kinds) {
    ac_buf_puts(out, "    ");
    put_node(out, fn, (int)from);
    ac_buf_puts(out, " -> ");
    put_node(out, fn, to);
    if (kinds == AC_EDGE_NEXT) {
        ac_buf_puts(out, ";\n");
        return;
    }
    ac_buf_puts(out, " [label=\"");
    int first = 1;
    for (unsigned k = 0; k < 6; k++)
        if (kinds & (1u << k)) {
            ac_buf_printf(out, "%s%s", first ? "" : ", ", kind_names[k]);
            first = 0;
        }
    ac_buf_puts(out, "\"");
    if (kinds == AC_EDGE_FAIL)
        ac_buf_puts(out, ", style=dashed, color=\"#b03030\", "
                         "fontcolor=\"#b03030\"");
    else if (kinds == AC_EDGE_TIMEOUT || kinds == AC_EDGE_DEFER)
        ac_buf_puts(out, ", style=dashed");
    ac_buf_puts(out, "];\n");
}

static void put_function(const ac_inspect *ins, const ac_machine *m,
                         ac_buf *out) {
    const char *fn = m->name;
    ac_buf_printf(out, "  subgraph \"cluster_%s\" {\n    label=", fn);
    put_quoted(out, ac_arena_printf(&ins->u->arena, "%s (%s:%u)", fn,
                                    ins->u->src.path, m->line));
    ac_buf_printf(out, ";\n    \"%s.start\" [label=\"start\", shape=oval];\n",
                  fn);
    for (unsigned i = 0; i < m->nstates; i++) {
        const ac_state *s = &m->states[i];
        /* The number and line, then the await (cut), on two lines. */
        ac_buf_printf(out, "    \"%s.%u\" [label=\"%u (line %u)\\n", fn, i + 1,
                      i + 1, s->line);
        put_escaped(out, s->text ? s->text : "", LABEL_MAX);
        ac_buf_puts(out, "\"];\n");
    }
    ac_buf_printf(
        out, "    \"%s.done\" [label=\"done\", shape=doublecircle];\n", fn);
    for (unsigned i = 0; i < m->ntransitions; i++)
        put_edge(out, fn, m->transitions[i].from, m->transitions[i].to,
                 m->transitions[i].kinds);
    ac_buf_puts(out, "  }\n");
}

void ac_inspect_write_dot(const ac_inspect *ins, ac_buf *out) {
    ac_buf_puts(out, "digraph ");
    put_quoted(out, ins->u->src.path);
    ac_buf_puts(out, " {\n  label=");
    put_quoted(out, ac_arena_printf(&ins->u->arena,
                                    "%s: states of its async functions",
                                    ins->u->src.path));
    ac_buf_puts(out, ";\n  labelloc=t;\n  fontname=\"Helvetica\";\n"
                     "  node [fontname=\"Helvetica\", fontsize=10, "
                     "shape=box, style=rounded];\n"
                     "  edge [fontname=\"Helvetica\", fontsize=9];\n");
    for (unsigned i = 0; i < ins->nfuncs; i++)
        put_function(ins, ins->funcs[i].m, out);
    ac_buf_puts(out, "}\n");
}
