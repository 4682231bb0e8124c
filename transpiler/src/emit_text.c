/*
 * emit_text.c -- the emitter's lowest layer: lines of output with their
 * indentation and #line directives, the user's text copied with comments
 * kept between rebuilt statements and references to hoisted locals
 * pointed at their frame fields, and where a failure jumps to from the
 * current async_timeout block.
 */
#include "emit_internal.h"

#include <stdio.h>
#include <string.h>

/* Copies the comments found in [a, b) of the source, each followed by a
 * space. */
static void put_comments(ac_emitter *E, unsigned a, unsigned b) {
    const char *t = E->u->src.text;
    while (a + 1 < b) {
        if (t[a] == '/' && t[a + 1] == '*') {
            unsigned e = a + 2;
            while (e + 1 < b && !(t[e] == '*' && t[e + 1] == '/'))
                e++;
            e = e + 2 <= b ? e + 2 : b;
            ac_buf_add(E->out, t + a, e - a);
            ac_buf_puts(E->out, " ");
            a = e;
        } else if (t[a] == '/' && t[a + 1] == '/') {
            unsigned e = a;
            while (e < b && t[e] != '\n')
                e++;
            /* A line comment would swallow the statement: re-spell it. */
            ac_buf_puts(E->out, "/* ");
            ac_buf_add(E->out, t + a + 2, e - a - 2);
            ac_buf_puts(E->out, " */ ");
            a = e;
        } else {
            a++;
        }
    }
}

/* Starts a generated line.  With #line directives, every generated line
 * is put on the source line it comes from, so a debugger stepping through
 * an await's expansion stays on the await's line. */
void ac_emit_indent(ac_emitter *E) {
    if (E->has_at)
        ac_emit_line(E, E->at);
    static const char spaces[] = "                                        ";
    size_t n = E->indent > 0 ? (size_t)E->indent * 4 : 0;
    for (; n > sizeof spaces - 1; n -= sizeof spaces - 1)
        ac_buf_add(E->out, spaces, sizeof spaces - 1);
    ac_buf_add(E->out, spaces, n);
    if (E->lead_end > E->lead_begin) {
        unsigned a = E->lead_begin, b = E->lead_end;
        E->lead_begin = E->lead_end = 0;
        put_comments(E, a, b);
    }
}

void ac_emit_line(ac_emitter *E, unsigned offset) {
    if (!E->opt->line_directives)
        return;
    unsigned line, col;
    ac_source_linecol(&E->u->src, offset, &line, &col);
    ac_buf_line_directive(E->out, line, E->u->src.line_name);
}

static int is_bare(const ac_emitter *E, const ac_var *v) {
    for (unsigned i = 0; i < E->nbare; i++)
        if (E->bare[i] == v)
            return 1;
    return 0;
}

static unsigned first_ref(const ac_func *f, unsigned a) {
    unsigned lo = 0, hi = f->nrefs;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (f->refs[mid].offset < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int unsafe_in(const ac_var *v, unsigned a, unsigned b) {
    for (unsigned i = 0; i < v->nunsafe; i++)
        if (a <= v->unsafe_at[i] && v->unsafe_at[i] < b)
            return 1;
    return 0;
}

void ac_emit_text_stmt(ac_emitter *E, unsigned a, unsigned b) {
    const ac_func *f = E->fn;
    E->nbare = 0;
    for (unsigned i = first_ref(f, a); i < f->nrefs && f->refs[i].offset < b;
         i++) {
        const ac_var *v = f->refs[i].var;
        if (f->refs[i].in_macro && v->hoisted && v->named_in_macros &&
            !is_bare(E, v) && !unsafe_in(v, a, b) &&
            E->nbare < sizeof E->bare / sizeof E->bare[0]) {
            E->bare[E->nbare++] = v;
            ac_buf_printf(E->out, "#define %s ", v->name);
            ac_emit_var(E, v);
            ac_buf_puts(E->out, "\n");
        }
    }
    ac_emit_indent(E);
    ac_emit_text(E, a, b);
    ac_buf_puts(E->out, "\n");
    for (unsigned i = 0; i < E->nbare; i++)
        ac_buf_printf(E->out, "#undef %s\n", E->bare[i]->name);
    E->nbare = 0;
}

void ac_emit_var(ac_emitter *E, const ac_var *v) {
    if (v->local_type)
        ac_buf_printf(E->out, "(*(%s)_f->%s)", v->local_type, v->field);
    else
        ac_buf_printf(E->out, "_f->%s", v->field);
}

/* Copies [a, b) of the source, pointing references to hoisted variables
 * at their frame fields. */
void ac_emit_text(ac_emitter *E, unsigned a, unsigned b) {
    const ac_func *f = E->fn;
    const char *t = E->u->src.text;
    for (unsigned i = first_ref(f, a); i < f->nrefs && f->refs[i].offset < b;
         i++) {
        const ac_ref *r = &f->refs[i];
        if (!r->var->hoisted || is_bare(E, r->var))
            continue;
        ac_buf_add(E->out, t + a, r->offset - a);
        ac_emit_var(E, r->var);
        a = r->offset + r->len;
    }
    if (b > a)
        ac_buf_add(E->out, t + a, b - a);
}

void ac_emit_put_line(ac_emitter *E, const char *text) {
    ac_emit_indent(E);
    ac_buf_puts(E->out, text);
}

const char *ac_emit_fail_label(ac_emitter *E) {
    if (!E->nscopes)
        return "asyncc_exit";
    const ac_stmt *s = E->scopes[E->nscopes - 1];
    return ac_arena_printf(&E->u->arena,
                           s->kind == AC_S_DEFER ? "asyncc_defer_fail_%u"
                                                 : "asyncc_timeout_%u",
                           s->id);
}

const char *ac_emit_defer_to(ac_emitter *E, unsigned id) {
    return ac_arena_printf(
        &E->u->arena, E->m->defers[id - 1].in_frame ? "_f->_d%u" : "asyncc_d%u",
        id);
}
