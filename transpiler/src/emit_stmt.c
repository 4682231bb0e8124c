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

static void emit_return(ac_emitter *E, ac_stmt *s, int in_block) {
    int opened = open_block(E, in_block);
    ac_emit_awaits(E, s->expr);
    if (s->expr && E->fn->ret_decl_field) {
        put_cond(E, "_f->_ret = ", s->expr, ";\n");
    } else if (s->expr && s->expr->kind == AC_E_TEXT) {
        put_cond(E, "(void)(", s->expr, ");\n");
    }
    ac_emit_leave_scopes(E, NULL);
    ac_emit_indent(E);
    ac_buf_puts(E->out, "_f->_state = -1;\n");
    ac_emit_indent(E);
    ac_buf_puts(E->out, "return ASYNC__READY;\n");
    close_block(E, opened);
}

/* Does a jump to `target` leave an async_timeout block? */
static int leaves_scopes(const ac_emitter *E, const ac_stmt *target) {
    return E->nscopes && (!target || target->span.begin <
                                         E->scopes[E->nscopes - 1]->span.begin);
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
    assert(E->nscopes < AC_MAX_TIMEOUT_DEPTH && s->id <= E->m->ntimeouts);
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
        for (unsigned i = 0; i < s->nkids; i++) {
            E->lead_begin = i ? s->kids[i - 1]->span.end : s->span.begin + 1;
            E->lead_end = s->kids[i]->span.begin;
            ac_emit_stmt(E, s->kids[i], 1);
        }
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
        opened = leaves_scopes(E, s->target) ? open_block(E, in_block) : 0;
        ac_emit_leave_scopes(E, s->target);
        ac_emit_indent(E);
        ac_buf_puts(E->out, "break;\n");
        close_block(E, opened);
        break;
    case AC_S_TIMEOUT:
        emit_timeout(E, s);
        break;
    case AC_S_CONTINUE:
        opened = leaves_scopes(E, s->target) ? open_block(E, in_block) : 0;
        ac_emit_leave_scopes(E, s->target);
        ac_emit_indent(E);
        if (s->target && s->target->restructured)
            ac_buf_printf(E->out, "goto asyncc_continue_%u;\n", s->target->id);
        else
            ac_buf_puts(E->out, "continue;\n");
        close_block(E, opened);
        break;
    case AC_S_RETURN:
        emit_return(E, s, in_block);
        break;
    case AC_S_TEXT:
        ac_emit_text_stmt(E, s->span.begin, s->span.end);
        break;
    }
}
