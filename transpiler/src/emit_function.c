/*
 * emit_function.c -- one async function's state machine.
 *
 * The resume function is the user's body with each await turned into a
 * suspension point:
 *
 *     child__init(&_f->_aw.a1, args...);     start the child frame
 *     _f->_state = 1;                        where to come back
 * asyncc_resume_1:                           the switch jumps here
 *     if ((asyncc_r = child__resume(&_f->_aw.a1)) != ASYNC__READY)
 *         goto asyncc_exit;                  pending or failed: return
 *
 * and a switch at the top jumping to the label of the saved state.  C
 * labels have function scope, so a resume point may sit inside any loop,
 * block or switch of the user's.  Locals that live across awaits are
 * frame fields (_f->name); child frames of awaits in different
 * statements share storage in the _aw union, because a statement's
 * awaits finish before the next statement starts.
 */
#include "emit_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *linkage(const ac_func *f) {
    return f->is_static ? "static " : "";
}

/* A member of the _aw union or of a group, `pad` spaces in: a slot with
 * members is an unnamed struct of them. */
static void put_slot(ac_buf *out, const ac_slot *s, const char *pad) {
    ac_buf_puts(out, pad);
    if (!s->nmembers) {
        ac_machine_put_decl(out, s->decl, s->name);
        ac_buf_puts(out, ";\n");
        return;
    }
    ac_buf_puts(out, "struct {\n");
    for (unsigned i = 0; i < s->nmembers; i++) {
        ac_buf_puts(out, "            ");
        ac_machine_put_decl(out, s->members[i].decl, s->members[i].name);
        ac_buf_puts(out, ";\n");
    }
    ac_buf_printf(out, "        } %s;\n", s->name);
}

/* The _aw union: slots one statement's at a time, a statement's several
 * slots as one struct (its group). */
static void put_children(const ac_machine *m, ac_buf *out) {
    ac_buf_puts(out, "    union {\n");
    for (unsigned i = 0; i < m->nslots;) {
        unsigned g = m->slots[i].group;
        if (!g) {
            put_slot(out, &m->slots[i++], "        ");
            continue;
        }
        ac_buf_puts(out, "        struct {\n");
        for (; i < m->nslots && m->slots[i].group == g; i++)
            put_slot(out, &m->slots[i], "            ");
        ac_buf_printf(out, "        } g%u;\n", g);
    }
    ac_buf_puts(out, "    } _aw;\n");
}

static void put_frame(const ac_machine *m, ac_buf *out) {
    ac_buf_printf(out, "struct %s__frame {\n", m->name);
    for (unsigned i = 0; i < m->nfields; i++) {
        const ac_field *f = &m->fields[i];
        if (f->kind == AC_FIELD_CHILDREN) {
            put_children(m, out);
            continue;
        }
        ac_buf_puts(out, "    ");
        ac_machine_put_decl(out, f->decl, f->name);
        ac_buf_puts(out, ";\n");
    }
    ac_buf_puts(out, "};\n");
}

static void put_init(ac_func *f, ac_buf *out) {
    ac_buf_printf(out, "%svoid %s__init(struct %s__frame *_f", linkage(f),
                  f->name, f->name);
    for (unsigned i = 0; i < f->nparams; i++) {
        ac_buf_puts(out, ", ");
        ac_machine_put_decl(out, f->params[i]->field_decl, f->params[i]->field);
    }
    ac_buf_puts(out, ")\n{\n    _f->_state = 0;\n");
    for (unsigned i = 0; i < f->nparams; i++)
        ac_buf_printf(out, "    _f->%s = %s;\n", f->params[i]->field,
                      f->params[i]->field);
    ac_buf_puts(out, "}\n");
}

/* Does the body end with a return, so that control cannot fall off its
 * end?  Not when an async_defer's epilogue follows the return. */
static int ends_with_return(const ac_func *f) {
    if (!f->body || !f->body->nkids ||
        f->body->kids[f->body->nkids - 1]->kind != AC_S_RETURN)
        return 0;
    for (unsigned i = 0; i < f->body->nkids; i++)
        if (f->body->kids[i]->kind == AC_S_DEFER)
            return 0;
    return 1;
}

/* The names C and GNU C give the enclosing function's name: in the
 * resume function they must still name the async function. */
static const char *const func_names[] = {"__func__", "__FUNCTION__",
                                         "__PRETTY_FUNCTION__"};

static void put_resume(ac_emitter *E, ac_func *f, ac_buf *out,
                       const char *body) {
    /* A macro such as assert may name the function in its expansion. */
    for (unsigned i = 0; i < 3; i++)
        if (f->expands_macros || strstr(body, func_names[i]))
            ac_buf_printf(out, "#define %s \"%s\"\n", func_names[i], f->name);
    ac_buf_printf(out,
                  "%sint %s__resume(void *_frame)\n{\n"
                  "    struct %s__frame *_f = _frame;\n",
                  linkage(f), f->name, f->name);
    if (E->m->nstates || E->m->uses_exit)
        ac_buf_puts(out, "    int asyncc_r;\n");
    ac_buf_puts(out, "    switch (_f->_state) {\n"
                     "    case 0:\n        break;\n");
    for (unsigned i = 1; i <= E->m->nstates; i++)
        ac_buf_printf(out, "    case %u:\n        goto asyncc_resume_%u;\n", i,
                      i);
    ac_buf_puts(out, "    default:\n        return ASYNC__READY;\n    }\n");
    ac_buf_puts(out, body);
    /* The end and the shared exit are on the function's own line (the
     * body left a #line there), each line of them: lines that ran on
     * would land on the user's next lines. */
    ac_buf def_line = {0};
    ac_emitter at_def = *E;
    at_def.out = &def_line;
    ac_emit_line(&at_def, f->span.begin);
    const char *again = ac_buf_str(&def_line);
    if (!ends_with_return(f))
        ac_buf_printf(out, "    _f->_state = -1;\n%s    return ASYNC__READY;\n",
                      again);
    /* Pending: back to the loop; failed: this frame is done too. */
    if (E->m->uses_exit)
        ac_buf_printf(out,
                      "%sasyncc_exit:\n"
                      "%s    if (asyncc_r == ASYNC__FAILED)\n"
                      "%s        _f->_state = -1;\n"
                      "%s    return asyncc_r;\n",
                      again, again, again, again);
    ac_buf_printf(out, "%s}\n", again);
    ac_buf_free(&def_line);
    for (unsigned i = 0; i < 3; i++)
        if (f->expands_macros || strstr(body, func_names[i]))
            ac_buf_printf(out, "#undef %s\n", func_names[i]);
}

/* One state's row of the where table: its line and, for an await of one
 * call, where the callee's frame is. */
static void put_where_state(ac_unit *u, const ac_machine *m, const ac_state *st,
                            ac_buf *out) {
    const ac_slot *s = st->slot < m->nslots ? &m->slots[st->slot] : NULL;
    const char *member = NULL, *kind = "ASYNC__WHERE_NONE";
    if (st->kind == AC_STATE_AWAIT && s && s->kind == AC_SLOT_FRAME) {
        kind = "ASYNC__WHERE_FRAME";
    } else if (st->kind == AC_STATE_AWAIT && s && s->kind == AC_SLOT_HEAP) {
        kind = s->heap == AC_HEAP_INDIRECT ? "ASYNC__WHERE_AFN"
                                           : "ASYNC__WHERE_POINTER";
        member = "frame";
    }
    ac_buf_printf(out, "    {%u, ", st->line);
    if (strcmp(kind, "ASYNC__WHERE_NONE") == 0)
        ac_buf_puts(out, "0");
    else
        ac_buf_printf(out, "offsetof(struct %s__frame, %s%s%s)", m->name,
                      s->path, member ? "." : "", member ? member : "");
    const char *callee = s && strcmp(kind, "ASYNC__WHERE_NONE") != 0 &&
                                 s->heap != AC_HEAP_INDIRECT
                             ? s->callee
                             : NULL;
    /* Defined here: its where table exists in this file. */
    const ac_callee *here = ac_unit_defined_callee(u, callee);
    ac_buf_printf(out, ", %s, ", kind);
    if (callee)
        ac_buf_printf(out, "\"%s\", ", callee);
    else
        ac_buf_puts(out, "0, ");
    if (here)
        ac_buf_printf(out, "&%s__where},\n", here->name);
    else
        ac_buf_puts(out, "0},\n");
}

/* NAME__where (async.h): the source line of each state's await and
 * where its callee's frame is, for the runtime's task dump (a task that
 * runs this function as its root registers it when it starts) and for
 * debuggers, which find it by name. */
static void put_where_table(ac_unit *u, const ac_machine *m, ac_buf *out) {
    /* The escaped name: it goes into a string literal. */
    const char *base = strrchr(u->src.line_name, '/');
    ac_buf_printf(out,
                  "static const async__where_state %s__where_states[] = {\n"
                  "    {0, 0, ASYNC__WHERE_NONE, 0, 0},\n",
                  m->name);
    for (unsigned i = 0; i < m->nstates; i++)
        put_where_state(u, m, &m->states[i], out);
    ac_buf_printf(out,
                  "};\nASYNC__WHERE_KEEP static const async__where %s__where = "
                  "{\n    \"%s\", \"%s\", %s__where_states, %u};\n",
                  m->name, m->name, base ? base + 1 : u->src.line_name, m->name,
                  m->nstates + 1);
}

void ac_emit_function(ac_unit *u, ac_func *f, const ac_emit_options *opt,
                      ac_buf *out) {
    ac_emitter E;
    memset(&E, 0, sizeof E);
    E.u = u;
    E.fn = f;
    E.m = f->machine;
    E.opt = opt;
    ac_buf body = {0};
    E.out = &body;
    E.indent = 1;
    E.scopes = ac_arena_alloc(&u->arena, (f->ntimeouts + f->ndefers + 1) *
                                             sizeof *E.scopes);
    if (f->body)
        ac_emit_list(&E, f->body->kids, f->body->nkids,
                     f->body->span.begin + 1);

    ac_emit_line(&E, f->span.begin);
    put_frame(f->machine, out);
    put_init(f, out);
    put_resume(&E, f, out, ac_buf_str(&body));
    ac_emit_generated(opt, out);
    if (ac_emit_has_heap_api(f->callee))
        ac_emit_heap_api(f->callee, out);
    if (ac_emit_has_starter(f->callee))
        ac_emit_starter(f->callee, out);
    put_where_table(u, f->machine, out);
    ac_emit_helpers(u, f->callee, out);
    ac_buf_free(&body);
}
