/*
 * emit_stmt.c -- statements of an async function: copied as text when
 * nothing in them needs rewriting, rebuilt otherwise (declarations of
 * hoisted locals, loops whose condition awaits, return).
 */
#include "emit_internal.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

static void emit_stmt_at(ac_emitter *E, ac_stmt *s, int in_block);

static int has_awaits_or_spawns(const ac_expr *e) {
    return e && (e->kind != AC_E_TEXT || e->nkids > 0);
}

static void put_body(ac_emitter *E, ac_stmt *s) {
    if (s->kind == AC_S_COMPOUND) {
        ac_emit_stmt(E, s, 1);
        return;
    }
    E->indent++;
    ac_emit_stmt(E, s, 0);
    E->indent--;
}

/* A statement that expands to several must stay one statement where C
 * expects one (the body of an unbraced if or loop). */
static int open_block(ac_emitter *E, int in_block) {
    if (in_block)
        return 0;
    ac_emit_indent(E);
    ac_buf_puts(E->out, "{\n");
    E->indent++;
    return 1;
}

static void close_block(ac_emitter *E, int opened) {
    if (!opened)
        return;
    E->indent--;
    ac_emit_indent(E);
    ac_buf_puts(E->out, "}\n");
}

static void put_hoisted_init(ac_emitter *E, ac_var *v) {
    ac_emit_awaits(E, v->init);
    ac_emit_indent(E);
    if (v->is_array) {
        ac_buf_printf(E->out, "__builtin_memcpy(&_f->%s, &(%s)", v->field,
                      v->type);
        if (!v->init_is_list)
            ac_buf_puts(E->out, "{");
        ac_emit_value(E, v->init);
        if (!v->init_is_list)
            ac_buf_puts(E->out, "}");
        ac_buf_printf(E->out, ", sizeof _f->%s);\n", v->field);
        return;
    }
    ac_emit_var(E, v);
    if (v->init_is_list)
        ac_buf_printf(E->out, " = (%s)", v->type);
    else
        ac_buf_puts(E->out, " = ");
    ac_emit_value(E, v->init);
    ac_buf_puts(E->out, ";\n");
}

static void emit_decl(ac_emitter *E, ac_stmt *s) {
    int hoisted = s->nvars && s->vars[0]->hoisted;
    if (hoisted) {
        if (s->head.end > s->head.begin) {
            /* struct T { ... } x; -- the type stays where it was. */
            ac_emit_indent(E);
            ac_emit_text(E, s->head.begin, s->head.end);
            ac_buf_puts(E->out, ";\n");
        }
        for (unsigned i = 0; i < s->nvars; i++)
            if (s->vars[i]->init)
                put_hoisted_init(E, s->vars[i]);
        return;
    }
    /* Kept as a C declaration: run the initializers' awaits first, then
     * copy the declaration with each await replaced by its result. */
    ac_expr whole = {.kind = AC_E_TEXT, .span = s->span};
    ac_expr **kids =
        ac_arena_alloc(&E->u->arena, (s->nvars + 1) * sizeof *kids);
    unsigned n = 0;
    for (unsigned i = 0; i < s->nvars; i++)
        if (has_awaits_or_spawns(s->vars[i]->init))
            kids[n++] = s->vars[i]->init;
    whole.kids = kids;
    whole.nkids = n;
    for (unsigned i = 0; i < n; i++)
        ac_emit_awaits(E, kids[i]);
    ac_emit_indent(E);
    ac_emit_value(E, &whole);
    ac_buf_puts(E->out, "\n");
}

static void put_cond(ac_emitter *E, const char *head, const ac_expr *e,
                     const char *tail) {
    ac_emit_indent(E);
    ac_buf_puts(E->out, head);
    if (e)
        ac_emit_value(E, e);
    ac_buf_puts(E->out, tail);
}

static void put_break_unless(ac_emitter *E, ac_expr *cond) {
    if (!cond)
        return;
    ac_emit_awaits(E, cond);
    put_cond(E, "if (!(", cond, "))\n");
    ac_emit_indent(E);
    ac_buf_puts(E->out, "    break;\n");
}

static void put_continue_label(ac_emitter *E, const ac_stmt *loop) {
    if (loop->continue_label)
        ac_buf_printf(E->out, "asyncc_continue_%u:;\n", loop->id);
}

static void emit_for(ac_emitter *E, ac_stmt *s) {
    ac_emit_indent(E);
    ac_buf_puts(E->out, "{\n");
    E->indent++;
    if (s->init)
        ac_emit_stmt(E, s->init, 1);
    if (!s->restructured) {
        put_cond(E, "for (;", s->expr, ";");
        if (s->inc) {
            ac_buf_puts(E->out, " ");
            ac_emit_value(E, s->inc);
        }
        ac_buf_puts(E->out, ")\n");
        put_body(E, s->body);
    } else {
        ac_emit_indent(E);
        ac_buf_puts(E->out, "for (;;) {\n");
        E->indent++;
        put_break_unless(E, s->expr);
        ac_emit_stmt(E, s->body, 1);
        put_continue_label(E, s);
        if (s->inc) {
            ac_emit_awaits(E, s->inc);
            put_cond(E, "", s->inc, ";\n");
        }
        E->indent--;
        ac_emit_indent(E);
        ac_buf_puts(E->out, "}\n");
    }
    E->indent--;
    ac_emit_indent(E);
    ac_buf_puts(E->out, "}\n");
}

/* Jump statement `s` (return, break, continue, goto) from here: it ends
 * the deadlines of the async_timeout blocks it leaves, innermost first,
 * until it leaves an async_defer's scope: then it stores its code in the
 * defer's int and goes to the defer's body, whose end emits the same
 * jump again from there. */
static void put_jump(ac_emitter *E, const ac_stmt *s) {
    for (unsigned i = E->nscopes; i-- > 0;) {
        const ac_stmt *scope = E->scopes[i];
        if (!ac_lower_leaves(scope, s))
            break;
        ac_emit_indent(E);
        if (scope->kind == AC_S_TIMEOUT) {
            ac_buf_printf(E->out, "async__timeout_exit(&_f->_to%u, 0);\n",
                          scope->id);
            continue;
        }
        unsigned code = ac_lower_exit_code(scope, s);
        assert(code != 0);
        if (E->m->defers[scope->id - 1].tracked) {
            ac_buf_printf(E->out, "%s = %u;\n", ac_emit_defer_to(E, scope->id),
                          code);
            ac_emit_indent(E);
        }
        ac_buf_printf(E->out, "goto asyncc_defer_%u;\n", scope->id);
        return;
    }
    ac_emit_indent(E);
    switch (s->kind) {
    case AC_S_RETURN:
        ac_buf_puts(E->out, "_f->_state = -1;\n");
        ac_emit_indent(E);
        ac_buf_puts(E->out, "return ASYNC__READY;\n");
        break;
    case AC_S_BREAK:
        ac_buf_puts(E->out, "break;\n");
        break;
    case AC_S_CONTINUE:
        if (s->target && s->target->restructured)
            ac_buf_printf(E->out, "goto asyncc_continue_%u;\n", s->target->id);
        else
            ac_buf_puts(E->out, "continue;\n");
        break;
    default:
        ac_buf_printf(E->out, "goto %s;\n", s->label);
        break;
    }
}

static void emit_return(ac_emitter *E, ac_stmt *s, int in_block) {
    int opened = open_block(E, in_block);
    ac_emit_awaits(E, s->expr);
    if (s->expr && E->fn->ret_decl_field) {
        put_cond(E, "_f->_ret = ", s->expr, ";\n");
    } else if (s->expr && s->expr->kind == AC_E_TEXT) {
        put_cond(E, "(void)(", s->expr, ");\n");
    }
    put_jump(E, s);
    close_block(E, opened);
}

/* Does jump `s` leave an async_timeout block or async_defer scope? */
static int leaves_scopes(const ac_emitter *E, const ac_stmt *s) {
    return E->nscopes && ac_lower_leaves(E->scopes[E->nscopes - 1], s);
}

/* async_defer { body } with `rest`, the statements after it in its block:
 *     int asyncc_d<id>;          (unless the body awaits: then _f->_d<id>)
 *     { rest }                   (a jump out stores its code, goes to _<id>)
 *     to = 0;
 *     goto asyncc_defer_<id>;    (when a failure in the rest lands here:)
 * asyncc_defer_fail_<id>:
 *     to = async__take_error();
 * asyncc_defer_<id>:;
 *     { body }
 *     if (to < 0) { raise it again, to the next handler }
 *     if (to == 1) { the first exit again, from here }  ...
 * The epilogue sits at the end of the same block, inside the same loops
 * and switch as the jumps it repeats, so their break and continue keep
 * their targets; if-chains, not a switch, so that they do.  When the rest
 * ends with a jump out, `to` is never 0: that jump comes last without a
 * test, so that the compiler sees no path falling off (a case falling
 * through, a function without a return).  Without exits, failure or
 * async_failing(), there is no `to` at all. */
static void emit_defer(ac_emitter *E, ac_stmt *s, ac_stmt **rest,
                       unsigned nrest) {
    unsigned id = s->id, saved_at = E->at;
    const ac_defer *d = &E->m->defers[id - 1];
    const char *to = ac_emit_defer_to(E, id);
    const ac_stmt *final = ac_lower_final_jump(s, rest, nrest);
    E->at = s->span.begin;
    E->has_at = 1;
    if (d->tracked && !d->in_frame) {
        ac_emit_indent(E);
        ac_buf_printf(E->out, "int asyncc_d%u;\n", id);
    }
    ac_emit_put_line(E, "{\n");
    E->indent++;
    E->scopes[E->nscopes++] = s;
    ac_emit_list(E, rest, nrest, s->span.end);
    E->nscopes--;
    E->indent--;
    E->at = s->span.begin;
    ac_emit_put_line(E, "}\n");
    if (d->tracked && !final) {
        ac_emit_indent(E);
        ac_buf_printf(E->out, "%s = 0;\n", to);
    }
    if (d->lands) {
        ac_emit_indent(E);
        ac_buf_printf(E->out, "goto asyncc_defer_%u;\n", id);
        ac_buf_printf(E->out, "asyncc_defer_fail_%u:\n", id);
        ac_emit_indent(E);
        ac_buf_printf(E->out, "%s = async__take_error();\n", to);
    }
    if (d->lands || s->nexits)
        ac_buf_printf(E->out, "asyncc_defer_%u:;\n", id);
    ac_emit_stmt(E, s->body, 1);
    E->at = s->span.begin;
    if (d->lands) {
        /* The failure goes on to the next handler. */
        ac_emit_indent(E);
        ac_buf_printf(E->out, "if (%s < 0) {\n", to);
        E->indent++;
        const char *outer = ac_emit_fail_label(E);
        ac_emit_indent(E);
        ac_buf_printf(E->out, "%s(%s);\n",
                      strcmp(outer, "asyncc_exit") == 0
                          ? "asyncc_r = async__raise"
                          : "(void)async__raise",
                      to);
        ac_emit_indent(E);
        ac_buf_printf(E->out, "goto %s;\n", outer);
        E->indent--;
        ac_emit_put_line(E, "}\n");
    }
    unsigned last = final ? ac_lower_exit_code(s, final) : 0;
    for (unsigned i = 0; i < s->nexits; i++) {
        if (i + 1 == last)
            continue;
        ac_emit_indent(E);
        ac_buf_printf(E->out, "if (%s == %u) {\n", to, i + 1);
        E->indent++;
        put_jump(E, s->exits[i]);
        E->indent--;
        ac_emit_put_line(E, "}\n");
    }
    if (last)
        put_jump(E, s->exits[last - 1]);
    E->at = saved_at;
}

void ac_emit_list(ac_emitter *E, ac_stmt **kids, unsigned n, unsigned lead) {
    for (unsigned i = 0; i < n; i++) {
        E->lead_begin = i ? kids[i - 1]->span.end : lead;
        E->lead_end = kids[i]->span.begin;
        if (kids[i]->kind == AC_S_DEFER) {
            E->lead_begin = E->lead_end = 0;
            emit_defer(E, kids[i], kids + i + 1, n - i - 1);
            return;
        }
        ac_emit_stmt(E, kids[i], 1);
    }
}

/* async_timeout(seconds, errp) body: the deadline starts before the body
 * and ends after it; a failure inside lands after the body, where its
 * code (ASYNC_ETIMEDOUT if the deadline caused it) goes to *errp. */
static void emit_timeout(ac_emitter *E, ac_stmt *s) {
    unsigned id = s->id;
    ac_emit_indent(E);
    ac_buf_puts(E->out, "{\n");
    E->indent++;
    put_cond(E, ac_arena_printf(&E->u->arena, "_f->_to%u_err = ", id), s->inc,
             ";\n");
    ac_emit_indent(E);
    ac_buf_printf(E->out, "*_f->_to%u_err = 0;\n", id);
    put_cond(
        E,
        ac_arena_printf(&E->u->arena, "async__timeout_enter(&_f->_to%u, ", id),
        s->expr, ");\n");
    assert(s->id <= E->m->ntimeouts);
    E->scopes[E->nscopes++] = s;
    ac_emit_stmt(E, s->body, 1);
    E->nscopes--;
    ac_emit_indent(E);
    ac_buf_printf(E->out, "async__timeout_exit(&_f->_to%u, 0);\n", id);
    if (E->m->timeouts[id - 1].lands) {
        /* The deadline's failure is caught here; any other goes on. */
        ac_emit_indent(E);
        ac_buf_printf(E->out, "goto asyncc_timeout_end_%u;\n", id);
        ac_buf_printf(E->out, "asyncc_timeout_%u:\n", id);
        ac_emit_indent(E);
        ac_buf_printf(E->out,
                      "if (async__timeout_land(&_f->_to%u, _f->_to%u_err) != "
                      "ASYNC__READY) {\n",
                      id, id);
        E->indent++;
        const char *outer = ac_emit_fail_label(E);
        if (strcmp(outer, "asyncc_exit") == 0)
            ac_emit_put_line(E, "asyncc_r = ASYNC__FAILED;\n");
        ac_emit_indent(E);
        ac_buf_printf(E->out, "goto %s;\n", outer);
        E->indent--;
        ac_emit_put_line(E, "}\n");
        ac_buf_printf(E->out, "asyncc_timeout_end_%u:;\n", id);
    }
    E->indent--;
    ac_emit_indent(E);
    ac_buf_puts(E->out, "}\n");
}

/* Without #line directives the output is for reading: a block opens on
 * the line of its if/while/for/else/do, as people write it. */
static int join_brace(ac_emitter *E) {
    ac_buf *o = E->out;
    if (E->opt->line_directives || o->len < 3 || o->data[o->len - 1] != '\n')
        return 0;
    char before = o->data[o->len - 2];
    int ends_else = o->len >= 5 && memcmp(o->data + o->len - 5, "else", 4) == 0;
    int ends_do = o->len >= 3 && memcmp(o->data + o->len - 3, "do", 2) == 0;
    if (before != ')' && !ends_else && !ends_do)
        return 0;
    o->data[o->len - 1] = ' ';
    return 1;
}

void ac_emit_stmt(ac_emitter *E, ac_stmt *s, int in_block) {
    if (!s)
        return;
    unsigned saved_at = E->at;
    E->at = s->span.begin;
    E->has_at = 1;
    emit_stmt_at(E, s, in_block);
    E->at = saved_at;
}

static void emit_stmt_at(ac_emitter *E, ac_stmt *s, int in_block) {
    if (!s->needs_structure) {
        ac_emit_text_stmt(E, s->span.begin, s->span.end);
        return;
    }
    int opened;
    switch (s->kind) {
    case AC_S_COMPOUND:
        if (!join_brace(E))
            ac_emit_indent(E);
        ac_buf_puts(E->out, "{\n");
        E->indent++;
        ac_emit_list(E, s->kids, s->nkids, s->span.begin + 1);
        E->lead_begin = E->lead_end = 0;
        E->indent--;
        ac_emit_indent(E);
        ac_buf_puts(E->out, "}\n");
        break;
    case AC_S_EXPR:
        if (s->expr->kind == AC_E_RAISE) {
            /* async_raise(code); -- this frame fails with the code. */
            opened = open_block(E, in_block);
            put_cond(E,
                     E->nscopes ? "(void)async__raise("
                                : "asyncc_r = async__raise(",
                     s->expr->kids[0], ");\n");
            ac_emit_indent(E);
            ac_buf_printf(E->out, "goto %s;\n", ac_emit_fail_label(E));
            close_block(E, opened);
            break;
        }
        opened = open_block(E, in_block || !ac_emit_has_slots(s->expr));
        ac_emit_awaits(E, s->expr);
        if (s->expr->kind == AC_E_TEXT || s->expr->kind == AC_E_SPAWN)
            put_cond(E, "", s->expr, ";\n");
        close_block(E, opened);
        break;
    case AC_S_DECL:
        emit_decl(E, s);
        break;
    case AC_S_IF:
        opened = open_block(E, in_block || !ac_emit_has_slots(s->expr));
        ac_emit_awaits(E, s->expr);
        put_cond(E, "if (", s->expr, ")\n");
        put_body(E, s->body);
        if (s->els) {
            ac_emit_indent(E);
            ac_buf_puts(E->out, "else\n");
            put_body(E, s->els);
        }
        close_block(E, opened);
        break;
    case AC_S_WHILE:
        if (!ac_emit_has_slots(s->expr)) {
            put_cond(E, "while (", s->expr, ")\n");
            put_body(E, s->body);
            break;
        }
        ac_emit_indent(E);
        ac_buf_puts(E->out, "for (;;) {\n");
        E->indent++;
        put_break_unless(E, s->expr);
        ac_emit_stmt(E, s->body, 1);
        E->indent--;
        ac_emit_indent(E);
        ac_buf_puts(E->out, "}\n");
        break;
    case AC_S_DO:
        if (!s->restructured) {
            ac_emit_indent(E);
            ac_buf_puts(E->out, "do\n");
            put_body(E, s->body);
            put_cond(E, "while (", s->expr, ");\n");
            break;
        }
        ac_emit_indent(E);
        ac_buf_puts(E->out, "for (;;) {\n");
        E->indent++;
        ac_emit_stmt(E, s->body, 1);
        put_continue_label(E, s);
        put_break_unless(E, s->expr);
        E->indent--;
        ac_emit_indent(E);
        ac_buf_puts(E->out, "}\n");
        break;
    case AC_S_FOR:
        emit_for(E, s);
        break;
    case AC_S_SWITCH:
        opened = open_block(E, in_block || !ac_emit_has_slots(s->expr));
        ac_emit_awaits(E, s->expr);
        put_cond(E, "switch (", s->expr, ")\n");
        put_body(E, s->body);
        close_block(E, opened);
        break;
    case AC_S_CASE:
    case AC_S_LABEL: {
        unsigned end = s->head.end;
        while (end > s->head.begin &&
               strchr(" \t\r\n", E->u->src.text[end - 1]))
            end--;
        ac_emit_indent(E);
        ac_emit_text(E, s->head.begin, end);
        ac_buf_puts(E->out, "\n");
        ac_emit_stmt(E, s->body, in_block);
        break;
    }
    case AC_S_BREAK:
    case AC_S_CONTINUE:
        opened = leaves_scopes(E, s) ? open_block(E, in_block) : 0;
        put_jump(E, s);
        close_block(E, opened);
        break;
    case AC_S_TIMEOUT:
        emit_timeout(E, s);
        break;
    case AC_S_DEFER: /* not in a block: refused by the parser */
        emit_defer(E, s, NULL, 0);
        break;
    case AC_S_RETURN:
        emit_return(E, s, in_block);
        break;
    case AC_S_TEXT:
        if (ac_lower_is_goto(s) && leaves_scopes(E, s)) {
            opened = open_block(E, in_block);
            put_jump(E, s);
            close_block(E, opened);
            break;
        }
        ac_emit_text_stmt(E, s->span.begin, s->span.end);
        break;
    }
}
