/*
 * inspect_json.c -- `asyncc --inspect=json`: the same report as one JSON
 * document for programs.  The schema is versioned ("schema": 1): fields
 * may be added within a version, none is removed or changes meaning.
 *
 * {"schema": 1, "file": PATH, "functions": [{
 *    "name", "line", "col",
 *    "states": [{"id", "line", "col", "await", "kind", "callee", "slot",
 *                "allocated", "caught", "in_timeout", "reachable"}],
 *    "transitions": [{"from", "to", "kinds": [...]}],    to -1 = done
 *    "frame": {"struct", "size", "align", "all_locals_size", "saved",
 *              "uncounted_locals",
 *              "fields": [{"name", "type", "size", "offset", "align",
 *                          "reason", "note", "states", "fields"?}]},
 *    "locals": [{"name", "line", "type", "size", "parameter", "in_frame",
 *                "reason", "states"}],
 *    "defers": [{"id", "line", "in_frame", "lands", "exits": [...],
 *                "states"}]}]}          (only in functions with defers)
 */
#include "inspect.h"

#include <string.h>

/* A small streaming writer: one item per line, indented, except inside
 * a compact container (a leaf object), which stays on one line. */
typedef struct jw {
    ac_buf *out;
    int depth;
    int empty;   /* the innermost open container has no item yet */
    int compact; /* depth of the outermost compact container, or 0 */
} jw;

static void put_string(ac_buf *out, const char *s) {
    ac_buf_puts(out, "\"");
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            ac_buf_printf(out, "\\%c", c);
        } else if (c == '\n') {
            ac_buf_puts(out, "\\n");
        } else if (c == '\t') {
            ac_buf_puts(out, "\\t");
        } else if (c < 0x20) {
            ac_buf_printf(out, "\\u%04x", c);
        } else if (c >= 0x80) {
            /* Copy a valid UTF-8 sequence; anything else is not text. */
            unsigned n = c >= 0xf0 && c < 0xf5   ? 4
                         : c >= 0xe0             ? 3
                         : c >= 0xc2 && c < 0xe0 ? 2
                                                 : 0;
            unsigned k = 1;
            while (n && k < n && (p[k] & 0xc0) == 0x80)
                k++;
            if (n && k == n) {
                ac_buf_add(out, (const char *)p, n);
                p += n;
                continue;
            }
            ac_buf_puts(out, "\\ufffd");
        } else {
            ac_buf_add(out, (const char *)p, 1);
        }
        p++;
    }
    ac_buf_puts(out, "\"");
}

static void item(jw *w, const char *key) {
    if (w->compact)
        ac_buf_puts(w->out, w->empty ? "" : ", ");
    else if (w->depth) /* the document itself starts the first line */
        ac_buf_printf(w->out, "%s\n%*s", w->empty ? "" : ",", 2 * w->depth, "");
    w->empty = 0;
    if (key) {
        put_string(w->out, key);
        ac_buf_puts(w->out, ": ");
    }
}

static void open_(jw *w, const char *key, const char *bracket) {
    item(w, key);
    ac_buf_puts(w->out, bracket);
    w->depth++;
    w->empty = 1;
}

/* A container written on one line. */
static void open_compact(jw *w, const char *key, const char *bracket) {
    open_(w, key, bracket);
    if (!w->compact)
        w->compact = w->depth;
}

static void close_(jw *w, const char *bracket) {
    if (!w->empty && !w->compact)
        ac_buf_printf(w->out, "\n%*s", 2 * (w->depth - 1), "");
    if (w->compact == w->depth)
        w->compact = 0;
    w->depth--;
    ac_buf_puts(w->out, bracket);
    w->empty = 0;
}

static void str(jw *w, const char *key, const char *v) {
    item(w, key);
    if (v)
        put_string(w->out, v);
    else
        ac_buf_puts(w->out, "null");
}

static void num(jw *w, const char *key, long long v) {
    item(w, key);
    ac_buf_printf(w->out, "%lld", v);
}

/* A size or offset: null when the compiler could not tell. */
static void size(jw *w, const char *key, long long v) {
    item(w, key);
    if (v >= 0)
        ac_buf_printf(w->out, "%lld", v);
    else
        ac_buf_puts(w->out, "null");
}

static void boolean(jw *w, const char *key, int v) {
    item(w, key);
    ac_buf_puts(w->out, v ? "true" : "false");
}

static void ids(jw *w, const char *key, const unsigned *v, unsigned n) {
    item(w, key);
    ac_buf_puts(w->out, "[");
    for (unsigned i = 0; i < n; i++)
        ac_buf_printf(w->out, "%s%u", i ? ", " : "", v[i]);
    ac_buf_puts(w->out, "]");
}

static const char *const state_kinds[] = {"await", "join", "gather",
                                          "wait_for"};

static void put_states(jw *w, const ac_machine *m) {
    open_(w, "states", "[");
    for (unsigned i = 0; i < m->nstates; i++) {
        const ac_state *s = &m->states[i];
        open_compact(w, NULL, "{");
        num(w, "id", i + 1);
        num(w, "line", s->line);
        num(w, "col", s->col);
        str(w, "await", s->text);
        str(w, "kind", state_kinds[s->kind]);
        str(w, "callee", s->callee);
        str(w, "slot", m->slots[s->slot].path);
        boolean(w, "allocated", s->allocated);
        boolean(w, "caught", s->caught);
        boolean(w, "in_timeout", s->timeout != 0);
        boolean(w, "reachable", ac_machine_reachable(m, i + 1));
        close_(w, "}");
    }
    close_(w, "]");
}

static const char *const kind_names[] = {"next", "timeout", "return",
                                         "end",  "fail",    "defer"};

static void put_edge(jw *w, unsigned from, int to, unsigned kinds) {
    open_compact(w, NULL, "{");
    num(w, "from", from);
    num(w, "to", to);
    item(w, "kinds");
    ac_buf_puts(w->out, "[");
    int first = 1;
    for (unsigned k = 0; k < 6; k++)
        if (kinds & (1u << k)) {
            ac_buf_printf(w->out, "%s\"%s\"", first ? "" : ", ", kind_names[k]);
            first = 0;
        }
    ac_buf_puts(w->out, "]");
    close_(w, "}");
}

static void put_transitions(jw *w, const ac_machine *m) {
    open_(w, "transitions", "[");
    for (unsigned i = 0; i < m->ntransitions; i++)
        put_edge(w, m->transitions[i].from, m->transitions[i].to,
                 m->transitions[i].kinds);
    close_(w, "]");
}

static void put_fields(jw *w, const ac_insp_field *f, unsigned n) {
    open_(w, "fields", "[");
    for (unsigned i = 0; i < n; i++) {
        if (f[i].nkids)
            open_(w, NULL, "{");
        else
            open_compact(w, NULL, "{");
        str(w, "name", f[i].name);
        str(w, "type", f[i].type);
        size(w, "size", f[i].size);
        size(w, "offset", f[i].offset);
        size(w, "align", f[i].align);
        str(w, "reason", f[i].reason ? f[i].reason : "other");
        str(w, "note", f[i].note ? f[i].note : "");
        ids(w, "states", f[i].states, f[i].nstates);
        if (f[i].nkids)
            put_fields(w, f[i].kids, f[i].nkids);
        close_(w, "}");
    }
    close_(w, "]");
}

static void put_frame(jw *w, const ac_insp_func *F) {
    open_(w, "frame", "{");
    item(w, "struct");
    ac_buf_printf(w->out, "\"%s__frame\"", F->m->name);
    size(w, "size", F->size);
    size(w, "align", F->align);
    size(w, "all_locals_size", F->unshared);
    if (F->unshared >= 0 && F->size >= 0)
        num(w, "saved", F->unshared - F->size);
    else
        str(w, "saved", NULL);
    num(w, "uncounted_locals", F->uncounted);
    put_fields(w, F->fields, F->nfields);
    close_(w, "}");
}

static void put_locals(jw *w, const ac_insp_func *F) {
    open_(w, "locals", "[");
    for (unsigned i = 0; i < F->m->nlocals; i++) {
        const ac_local *l = &F->m->locals[i];
        open_compact(w, NULL, "{");
        str(w, "name", l->name);
        num(w, "line", l->line);
        str(w, "type", F->locals[i].type);
        size(w, "size", F->locals[i].size);
        boolean(w, "parameter", l->why == AC_KEEP_PARAM);
        boolean(w, "in_frame", ac_inspect_in_frame(l));
        str(w, "reason", ac_inspect_local_reason(l));
        ids(w, "states", l->states, l->nstates);
        close_(w, "}");
    }
    close_(w, "]");
}

/* A function's async_defer statements: where each goes after its body
 * ("exits", by code from 1), whether a failure can run it ("lands"),
 * and the states of its body. */
static void put_defers(jw *w, const ac_machine *m) {
    open_(w, "defers", "[");
    for (unsigned i = 0; i < m->ndefers; i++) {
        const ac_defer *d = &m->defers[i];
        open_compact(w, NULL, "{");
        num(w, "id", d->id);
        num(w, "line", d->line);
        boolean(w, "in_frame", d->in_frame);
        boolean(w, "lands", d->lands);
        item(w, "exits");
        ac_buf_puts(w->out, "[");
        for (unsigned k = 0; k < d->nexits; k++) {
            if (k)
                ac_buf_puts(w->out, ", ");
            put_string(w->out, d->exits[k]);
        }
        ac_buf_puts(w->out, "]");
        ids(w, "states", d->states, d->nstates);
        close_(w, "}");
    }
    close_(w, "]");
}

void ac_inspect_write_json(const ac_inspect *ins, ac_buf *out) {
    jw w = {out, 0, 1, 0};
    open_(&w, NULL, "{");
    num(&w, "schema", AC_INSPECT_SCHEMA);
    str(&w, "file", ins->u->src.path);
    open_(&w, "functions", "[");
    for (unsigned i = 0; i < ins->nfuncs; i++) {
        const ac_insp_func *F = &ins->funcs[i];
        open_(&w, NULL, "{");
        str(&w, "name", F->m->name);
        num(&w, "line", F->m->line);
        num(&w, "col", F->m->col);
        put_states(&w, F->m);
        put_transitions(&w, F->m);
        put_frame(&w, F);
        put_locals(&w, F);
        if (F->m->ndefers)
            put_defers(&w, F->m);
        close_(&w, "}");
    }
    close_(&w, "]");
    close_(&w, "}");
    ac_buf_puts(out, "\n");
}
