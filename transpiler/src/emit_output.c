/*
 * emit_output.c -- the output file: the input text with edits applied.
 *
 * Everything outside async function definitions is copied byte for byte.
 * Each definition is replaced by its state machine (or, when it awaits
 * async functions defined after it, by prototypes, with the state machine
 * placed after the last of those); async_run calls in plain code become
 * helper calls; warnings asyncc reported are quieted in the code made
 * from where they are (emit_quiet.c).  After each multi-line edit a #line
 * directive puts the following lines back on their numbers in the user's file.
 */
#include "diag.h"
#include "emit_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct placed_edit {
    unsigned begin, end;
    int order; /* among edits at one offset: helpers, replacements, moves */
    const char *text;
    int resync;
} placed_edit;

typedef struct edit_list {
    placed_edit *items;
    unsigned n, cap;
} edit_list;

static void add(edit_list *l, unsigned begin, unsigned end, int order,
                const char *text, int resync) {
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->items = ac_xrealloc(l->items, l->cap * sizeof *l->items);
    }
    placed_edit *e = &l->items[l->n++];
    e->begin = begin;
    e->end = end;
    e->order = order;
    e->text = text;
    e->resync = resync;
}

static int cmp_edit(const void *a, const void *b) {
    const placed_edit *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

static void put_line(ac_buf *out, const ac_unit *u, unsigned offset,
                     const ac_emit_options *opt) {
    if (!opt->line_directives)
        return;
    unsigned line, col;
    ac_source_linecol(&u->src, offset, &line, &col);
    ac_buf_line_directive(out, line, u->src.line_name);
}

/* What ac_emit_generated writes, until ac_emit_output numbers it. */
static const char generated_mark[] = "#line asyncc-generated\n";

void ac_emit_generated(const ac_emit_options *opt, ac_buf *out) {
    if (opt->line_directives)
        ac_buf_puts(out, generated_mark);
}

/* Turns each generated_mark line of `in` into "#line N PATH", N the
 * number of the line after it in the output. */
static void number_generated(const ac_emit_options *opt, const ac_buf *in,
                             ac_buf *out) {
    const char *path =
        opt->generated_path ? opt->generated_path : "<asyncc output>";
    const size_t mark_len = sizeof generated_mark - 1;
    unsigned line = 1;
    size_t i = 0;
    while (i < in->len) {
        const char *nl = memchr(in->data + i, '\n', in->len - i);
        size_t end = nl ? (size_t)(nl - in->data) + 1 : in->len;
        if (end - i == mark_len &&
            memcmp(in->data + i, generated_mark, mark_len) == 0)
            ac_buf_line_directive(out, line + 1, path);
        else
            ac_buf_add(out, in->data + i, end - i);
        line++;
        i = end;
    }
}

/* The state machine of `f`, inside its quiet region if asyncc reported
 * warnings in it. */
static void quiet_function(ac_unit *u, ac_func *f, const ac_emit_options *opt,
                           ac_buf *out) {
    const ac_quiet *q = ac_unit_quiet(u, f->span.begin, 0);
    if (q && q->is_async)
        ac_emit_quiet_push(q, out);
    ac_emit_function(u, f, opt, out);
    if (q && q->is_async)
        ac_emit_quiet_pop(out);
}

static const char *function_text(ac_unit *u, ac_func *f,
                                 const ac_emit_options *opt, int moved) {
    ac_buf b = {0};
    ac_buf_printf(&b, "/* asyncc: async function '%s' */\n", f->name);
    ac_emit_generated(opt, &b);
    ac_emit_prototypes(u, f->callee, &b);
    if (moved)
        ac_buf_printf(&b,
                      "/* asyncc: the state machine of '%s' follows the "
                      "async functions it awaits, below */\n",
                      f->name);
    else
        quiet_function(u, f, opt, &b);
    const char *text = ac_arena_strdup(&u->arena, ac_buf_str(&b));
    ac_buf_free(&b);
    return text;
}

static const char *moved_text(ac_unit *u, ac_func *f,
                              const ac_emit_options *opt) {
    ac_buf b = {0};
    ac_buf_printf(&b, "/* asyncc: state machine of '%s' */\n", f->name);
    ac_emit_generated(opt, &b);
    quiet_function(u, f, opt, &b);
    const char *text = ac_arena_strdup(&u->arena, ac_buf_str(&b));
    ac_buf_free(&b);
    return text;
}

static void collect_edits(ac_unit *u, const ac_emit_options *opt,
                          edit_list *l) {
    for (unsigned i = 0; i < u->nedits; i++) {
        ac_edit *e = u->edits[i];
        add(l, e->begin, e->end, 0, e->text, e->resync);
    }
    if (u->has_ext_helpers_at) {
        ac_buf b = {0};
        ac_emit_generated(opt, &b);
        ac_emit_external_helpers(u, &b);
        if (b.len > (opt->line_directives ? sizeof generated_mark - 1 : 0))
            add(l, u->ext_helpers_at, u->ext_helpers_at, -2,
                ac_arena_strdup(&u->arena, ac_buf_str(&b)), 1);
        ac_buf_free(&b);
    }
    /* A plain declaration quieted as written: the pragmas go around it,
     * after any helpers placed before it, before anything after it. */
    for (unsigned i = 0; i < u->nquiet; i++) {
        const ac_quiet *q = u->quiet[i];
        if (q->is_async)
            continue;
        ac_buf b = {0};
        ac_emit_quiet_push(q, &b);
        add(l, q->span.begin, q->span.begin, -1,
            ac_arena_strdup(&u->arena, ac_buf_str(&b)), 1);
        b.len = 0;
        ac_emit_quiet_pop(&b);
        add(l, q->span.end, q->span.end, -3,
            ac_arena_strdup(&u->arena, ac_buf_str(&b)), 1);
        ac_buf_free(&b);
    }
    for (unsigned i = 0; i < u->nprotos; i++) {
        ac_proto *pr = u->protos[i];
        if (!pr->callee->def)
            continue; /* defined elsewhere: the declaration stays */
        ac_buf b = {0};
        ac_buf_printf(&b, "/* asyncc: async function '%s' */\n",
                      pr->callee->name);
        ac_emit_prototypes(u, pr->callee, &b);
        add(l, pr->span.begin, pr->span.end, 0,
            ac_arena_strdup(&u->arena, ac_buf_str(&b)), 1);
        ac_buf_free(&b);
    }
    for (unsigned i = 0; i < u->nfuncs; i++) {
        ac_func *f = u->funcs[i];
        int moved = f->emit_at != f->span.end;
        add(l, f->span.begin, f->span.end, 0, function_text(u, f, opt, moved),
            1);
        if (moved)
            add(l, f->emit_at, f->emit_at, 1 + f->placed, moved_text(u, f, opt),
                1);
    }
    if (l->n)
        qsort(l->items, l->n, sizeof *l->items, cmp_edit);
}

int ac_emit_output(ac_unit *u, const ac_emit_options *opt, ac_buf *final) {
    int status = 0;
    ac_buf text = {0}, *out = opt->line_directives ? &text : final;
    edit_list l = {0};
    collect_edits(u, opt, &l);
    const char *t = u->src.text;
    ac_buf_printf(out, "/* Generated by asyncc from ");
    /* A "*" + "/" in the name would end the comment. */
    for (const char *c = u->src.path; *c; c++) {
        ac_buf_add(out, c, 1);
        if (c[0] == '*' && c[1] == '/')
            ac_buf_add(out, " ", 1);
    }
    ac_buf_printf(out, ": edit the source, not this file. */\n");
    put_line(out, u, 0, opt);
    /* A UTF-8 byte order mark is allowed only at the very start of a
     * file, which is now the comment above: it is dropped. */
    unsigned pos = u->src.len >= 3 && memcmp(t, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    for (unsigned i = 0; i < l.n; i++) {
        placed_edit *e = &l.items[i];
        if (e->begin < pos) {
            /* Two rewrites of one stretch of text: a bug of asyncc's
             * parser.  Dropping either would leave code untranslated. */
            unsigned line, col;
            ac_source_linecol(&u->src, e->begin, &line, &col);
            ac_diag_at(AC_DIAG_ERROR, u->src.path, line, col, NULL,
                       "internal error: asyncc rewrites this text twice; "
                       "please report it with this file");
            status = -1;
            continue;
        }
        ac_buf_add(out, t + pos, e->begin - pos);
        pos = e->end;
        if (e->resync && out->len && out->data[out->len - 1] != '\n')
            ac_buf_puts(out, "\n");
        ac_buf_puts(out, e->text);
        if (e->resync) {
            if (out->len && out->data[out->len - 1] != '\n')
                ac_buf_puts(out, "\n");
            put_line(out, u, e->end, opt);
        }
    }
    ac_buf_add(out, t + pos, u->src.len - pos);
    free(l.items);
    if (out == &text) {
        number_generated(opt, &text, final);
        ac_buf_free(&text);
    }
    return status;
}
