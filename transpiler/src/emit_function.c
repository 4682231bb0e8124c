/*
 * emit_function.c -- one async function's state machine.
 *
 * The resume function is the user's body with each await turned into a
 * suspension point:
 *
 *     child__init(&_f->_aw.a1, args...);     start the child frame
 *     _f->_state = 1;                        where to come back
 * asyncc_resume_1:                           the switch jumps here
 *     if (child__resume(&_f->_aw.a1) != ASYNC__READY)
 *         return ASYNC__PENDING;             suspend the whole chain
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
#include <string.h>

static void emit_stmt(ac_emitter *E, ac_stmt *s, int in_block);
static void emit_stmt_at(ac_emitter *E, ac_stmt *s, int in_block);

/* --- text ----------------------------------------------------------- */

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
    for (int i = 0; i < E->indent; i++)
        ac_buf_puts(E->out, "    ");
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
    ac_buf_printf(E->out, "#line %u \"%s\"\n", line, E->u->src.abs_path);
}

/* Copies [a, b) of the source, pointing references to hoisted variables
 * at their frame fields. */
static void put_text(ac_emitter *E, unsigned a, unsigned b) {
    const ac_func *f = E->fn;
    const char *t = E->u->src.text;
    unsigned lo = 0, hi = f->nrefs;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (f->refs[mid].offset < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (unsigned i = lo; i < f->nrefs && f->refs[i].offset < b; i++) {
        const ac_ref *r = &f->refs[i];
        if (!r->var->hoisted)
            continue;
        ac_buf_add(E->out, t + a, r->offset - a);
        ac_buf_printf(E->out, "_f->%s", r->var->field);
        a = r->offset + r->len;
    }
    if (b > a)
        ac_buf_add(E->out, t + a, b - a);
}

/* --- expressions ---------------------------------------------------- */

static unsigned count_slots(const ac_expr *e) {
    if (!e)
        return 0;
    unsigned n = e->kind == AC_E_AWAIT || e->kind == AC_E_JOIN ||
                 e->kind == AC_E_GATHER || e->kind == AC_E_WAITFOR ||
                 e->temp_decl != NULL;
    for (unsigned i = 0; i < e->nkids; i++)
        n += count_slots(e->kids[i]);
    return n;
}

static int has_slots(const ac_expr *e) { return count_slots(e) > 0; }

static int has_awaits_or_spawns(const ac_expr *e) {
    return e && (e->kind != AC_E_TEXT || e->nkids > 0);
}

/* The value of an expression once its awaits have completed. */
static void put_value(ac_emitter *E, const ac_expr *e);

static void put_args(ac_emitter *E, const ac_expr *call) {
    for (unsigned i = 0; i < call->nkids; i++) {
        ac_buf_puts(E->out, ", ");
        put_value(E, call->kids[i]);
    }
}

static void put_value(ac_emitter *E, const ac_expr *e) {
    if (e->kind == AC_E_TEXT && e->op != AC_OP_OTHER) {
        if (e->op == AC_OP_COMMA)
            put_value(E, e->kids[e->nkids - 1]);
        else if (e->temp_decl)
            ac_buf_printf(E->out, "_f->%s", e->slot);
        else
            ac_buf_puts(E->out, "((void)0)");
        return;
    }
    switch (e->kind) {
    case AC_E_TEXT: {
        unsigned pos = e->span.begin;
        for (unsigned i = 0; i < e->nkids; i++) {
            put_text(E, pos, e->kids[i]->span.begin);
            put_value(E, e->kids[i]);
            pos = e->kids[i]->span.end;
        }
        put_text(E, pos, e->span.end);
        break;
    }
    case AC_E_AWAIT:
    case AC_E_JOIN:
        if (e->is_void)
            ac_buf_puts(E->out, "((void)0)");
        else
            ac_buf_printf(E->out, "_f->%s.%s", e->slot,
                          e->heap ? "value" : "_ret");
        break;
    case AC_E_GATHER:
        ac_buf_puts(E->out, "0");
        break;
    case AC_E_SPAWN:
        ac_buf_printf(E->out, "%s__spawn(", e->callee->name);
        for (unsigned i = 0; i < e->nkids; i++) {
            if (i)
                ac_buf_puts(E->out, ", ");
            put_value(E, e->kids[i]);
        }
        ac_buf_puts(E->out, ")");
        break;
    case AC_E_TRY:
        put_value(E, e->kids[1]);
        break;
    case AC_E_WAITFOR:
        if (e->is_void)
            ac_buf_puts(E->out, "((void)0)");
        else
            ac_buf_printf(E->out, "_f->%s.%s", e->slot,
                          e->kids[0]->heap ? "value" : "c0._ret");
        break;
    case AC_E_RAISE:
    case AC_E_CALL:
        break;
    }
}

/* Child frames of one statement's awaits: alone, a union member of the
 * child's frame type; several, one struct member holding them all (they
 * may be needed together: f(await(a()), await(b()))). */
static void begin_group(ac_emitter *E, unsigned nslots) {
    E->group_size = nslots;
    E->group_id = nslots > 1 ? ++E->ngroups : 0;
    E->group.len = 0;
}

static const char *new_slot(ac_emitter *E, ac_expr *e, const char *type) {
    e->id = ++E->nstates;
    if (E->group_size <= 1) {
        ac_buf_printf(&E->aw, "        %s a%u;\n", type, e->id);
        return ac_arena_printf(&E->u->arena, "_aw.a%u", e->id);
    }
    ac_buf_printf(&E->group, "            %s a%u;\n", type, e->id);
    return ac_arena_printf(&E->u->arena, "_aw.g%u.a%u", E->group_id, e->id);
}

/* A frame temporary for the value of a sequencing node, in the current
 * statement's group like the child frames. */
static const char *new_temp(ac_emitter *E, ac_expr *e) {
    unsigned id = ++E->ntemps;
    const char *decl = e->temp_decl;
    const char *hole = strstr(decl, "%s");
    ac_buf d = {0};
    ac_buf_add(&d, decl, (size_t)(hole - decl));
    ac_buf_printf(&d, "t%u", id);
    ac_buf_puts(&d, hole + 2);
    const char *path;
    if (E->group_size <= 1) {
        ac_buf_printf(&E->aw, "        %s;\n", ac_buf_str(&d));
        path = ac_arena_printf(&E->u->arena, "_aw.t%u", id);
    } else {
        ac_buf_printf(&E->group, "            %s;\n", ac_buf_str(&d));
        path = ac_arena_printf(&E->u->arena, "_aw.g%u.t%u", E->group_id, id);
    }
    ac_buf_free(&d);
    return path;
}

static void end_group(ac_emitter *E) {
    if (E->group_size > 1 && E->group_id)
        ac_buf_printf(&E->aw, "        struct {\n%s        } g%u;\n",
                      ac_buf_str(&E->group), E->group_id);
    E->group_size = 0;
}

/* Names the state an await becomes, as --inspect will. */
static void put_state_comment(ac_emitter *E, const ac_expr *e) {
    unsigned line, col;
    ac_source_linecol(&E->u->src, e->span.begin, &line, &col);
    const char *base = strrchr(E->u->src.path, '/');
    ac_emit_indent(E);
    ac_buf_printf(E->out, "/* state %u: await at %s:%u */\n", e->id,
                  base ? base + 1 : E->u->src.path, line);
}

static void put_line(ac_emitter *E, const char *text) {
    ac_emit_indent(E);
    ac_buf_puts(E->out, text);
}

/* The suspension point of an await: record the state, poll the child.
 * Pending: return to the loop.  Failed: run `on_fail` (frees an allocated
 * child), then either propagate (leave through asyncc_exit, failing this
 * frame too) or, inside async_try, store the code and zero `result` (an
 * lvalue, or NULL) and go on. */
static void put_suspend_ex(ac_emitter *E, const ac_expr *e, const char *poll,
                           const char *on_fail, const char *result) {
    ac_emit_indent(E);
    ac_buf_printf(E->out, "_f->_state = %u;\n", e->id);
    ac_buf_printf(E->out, "asyncc_resume_%u:\n", e->id);
    ac_emit_indent(E);
    if (!E->catch_ptr && !on_fail) {
        E->uses_exit = 1;
        ac_buf_printf(E->out, "if ((asyncc_r = %s) != ASYNC__READY)\n", poll);
        put_line(E, "    goto asyncc_exit;\n");
        return;
    }
    ac_buf_printf(E->out, "if ((asyncc_r = %s) != ASYNC__READY) {\n", poll);
    E->indent++;
    if (!E->catch_ptr) {
        E->uses_exit = 1;
        if (on_fail) {
            put_line(E, "if (asyncc_r == ASYNC__FAILED)\n");
            ac_emit_indent(E);
            ac_buf_printf(E->out, "    %s\n", on_fail);
        }
        put_line(E, "goto asyncc_exit;\n");
    } else {
        put_line(E, "if (asyncc_r == ASYNC__PENDING)\n");
        put_line(E, "    return ASYNC__PENDING;\n");
        ac_emit_indent(E);
        ac_buf_printf(E->out, "*_f->%s = async__take_error();\n", E->catch_ptr);
        if (on_fail) {
            ac_emit_indent(E);
            ac_buf_printf(E->out, "%s\n", on_fail);
        }
        if (result) {
            ac_emit_indent(E);
            ac_buf_printf(E->out, "__builtin_memset(&%s, 0, sizeof %s);\n",
                          result, result);
        }
    }
    E->indent--;
    put_line(E, "}\n");
}

static void put_suspend(ac_emitter *E, const ac_expr *e, const char *poll) {
    const char *result =
        e->is_void || !e->slot
            ? NULL
            : ac_arena_printf(&E->u->arena, "_f->%s._ret", e->slot);
    put_suspend_ex(E, e, poll, NULL, result);
}

/* Emits, in evaluation order, the statements that run every await inside
 * `e`, leaving their results in the child frames for put_value. */
static void put_awaits(ac_emitter *E, ac_expr *e);

static void put_macro_call(ac_emitter *E, const ac_expr *e, const char *head,
                           const char *tail);

/* Arguments without a leading frame pointer: "a, b". */
static void put_call_args(ac_emitter *E, const ac_expr *call) {
    for (unsigned i = 0; i < call->nkids; i++) {
        if (i)
            ac_buf_puts(E->out, ", ");
        put_value(E, call->kids[i]);
    }
}

/* An await whose child frame is allocated (recursion, or a callee defined
 * in another file): NAME__new allocates and initialises it, NAME__finish
 * returns the result and frees it. */
static void put_heap_await(ac_emitter *E, ac_expr *e) {
    const ac_callee *c = e->callee;
    ac_arena *A = &E->u->arena;
    ac_buf type = {0};
    ac_buf_puts(&type, "struct {\n            void *frame;\n");
    if (!c->is_void) {
        ac_buf_puts(&type, "            ");
        ac_emit_decl(&type, c->ret_decl ? c->ret_decl : "int %s", "value");
        ac_buf_puts(&type, ";\n");
    }
    ac_buf_puts(&type, "        }");
    e->slot = new_slot(E, e, ac_arena_strdup(A, ac_buf_str(&type)));
    ac_buf_free(&type);
    put_state_comment(E, e);
    if (e->macro_call) {
        put_macro_call(
            E, e,
            ac_arena_printf(A, "(_f->%s.frame = %s__new(", e->slot, c->name),
            "))");
    } else {
        ac_emit_indent(E);
        ac_buf_printf(E->out, "_f->%s.frame = %s__new(", e->slot, c->name);
        put_call_args(E, e);
        ac_buf_puts(E->out, ");\n");
    }
    const char *frame = ac_arena_printf(A, "_f->%s.frame", e->slot);
    put_suspend_ex(
        E, e, ac_arena_printf(A, "%s__resume(%s)", c->name, frame),
        ac_arena_printf(A, "async__frame_free(%s), %s = 0;", frame, frame),
        c->is_void ? NULL : ac_arena_printf(A, "_f->%s.value", e->slot));
    /* After a caught failure the frame is gone (NULL): no result. */
    ac_emit_indent(E);
    ac_buf_printf(E->out, "if (%s) {\n", frame);
    E->indent++;
    ac_emit_indent(E);
    if (!c->is_void)
        ac_buf_printf(E->out, "_f->%s.value = ", e->slot);
    ac_buf_printf(E->out, "%s__finish(%s);\n", c->name, frame);
    E->indent--;
    put_line(E, "}\n");
}

/* A call that a macro wrote (FETCH(1) for fetch((1), 0)) has no argument
 * text of its own: the callee's name is redirected for one statement,
 *     #define fetch(asyncc_p0, asyncc_p1) fetch__init(&_f->_aw.a1, ...)
 *     FETCH(1);
 *     #undef fetch
 * so the macro's own expansion starts the child frame.  `head` and
 * `tail` surround the arguments in the replacement. */
static void put_macro_call(ac_emitter *E, const ac_expr *e, const char *head,
                           const char *tail) {
    const ac_callee *c = e->callee;
    int open = head[strlen(head) - 1] == '(';
    ac_buf_printf(E->out, "#define %s(", c->name);
    for (unsigned i = 0; i < c->nparams; i++)
        ac_buf_printf(E->out, "%sasyncc_p%u", i ? ", " : "", i);
    ac_buf_printf(E->out, ") %s", head);
    for (unsigned i = 0; i < c->nparams; i++)
        ac_buf_printf(E->out, "%sasyncc_p%u", i || !open ? ", " : "", i);
    ac_buf_printf(E->out, "%s\n", tail);
    ac_emit_indent(E);
    put_value(E, e->macro_call);
    ac_buf_printf(E->out, ";\n#undef %s\n", c->name);
}

/* Starts child `i` of a gather or wait_for in slot `slot`: its frame in
 * the slot's c<i> (embedded, or allocated), its task in t<i>. */
static void put_child_start(ac_emitter *E, const ac_expr *call,
                            const char *slot, unsigned i, const char *add,
                            const char *group) {
    ac_arena *A = &E->u->arena;
    const char *name = call->callee->name;
    if (call->macro_call && call->heap) {
        put_macro_call(
            E, call,
            ac_arena_printf(A, "(_f->%s.c%u = %s__new(", slot, i, name), "))");
    } else if (call->macro_call) {
        put_macro_call(
            E, call, ac_arena_printf(A, "%s__init(&_f->%s.c%u", name, slot, i),
            ")");
    } else {
        ac_emit_indent(E);
        if (call->heap) {
            ac_buf_printf(E->out, "_f->%s.c%u = %s__new(", slot, i, name);
            put_call_args(E, call);
        } else {
            ac_buf_printf(E->out, "%s__init(&_f->%s.c%u", name, slot, i);
            put_args(E, call);
        }
        ac_buf_puts(E->out, ");\n");
    }
    ac_emit_indent(E);
    ac_buf_printf(E->out,
                  "%s(&_f->%s.%s, &_f->%s.t%u, %s__resume, %s_f->%s.c%u, "
                  "\"%s\");\n",
                  add, slot, group, slot, i, name, call->heap ? "" : "&", slot,
                  i, name);
}

/* await(async_wait_for(call, seconds)): the call runs as a child task in
 * this frame against a timer; its result is read from the child. */
static void put_wait_for(ac_emitter *E, ac_expr *e) {
    ac_arena *A = &E->u->arena;
    ac_expr *call = e->kids[0];
    for (unsigned k = 0; k < call->nkids; k++)
        put_awaits(E, call->kids[k]);
    put_awaits(E, e->kids[1]);
    ac_buf type = {0};
    ac_buf_puts(&type, "struct {\n            async__wait_for w;\n"
                       "            async_task t0;\n");
    if (call->heap) {
        ac_buf_puts(&type, "            void *c0;\n");
        if (!e->is_void) {
            ac_buf_puts(&type, "            ");
            ac_emit_decl(&type,
                         call->callee->ret_decl ? call->callee->ret_decl
                                                : "int %s",
                         "value");
            ac_buf_puts(&type, ";\n");
        }
    } else {
        ac_buf_printf(&type, "            struct %s__frame c0;\n",
                      call->callee->name);
    }
    ac_buf_puts(&type, "        }");
    e->slot = new_slot(E, e, ac_arena_strdup(A, ac_buf_str(&type)));
    ac_buf_free(&type);
    put_state_comment(E, e);
    ac_emit_indent(E);
    ac_buf_printf(E->out, "async__wait_for_init(&_f->%s.w, ", e->slot);
    put_value(E, e->kids[1]);
    ac_buf_puts(E->out, ");\n");
    put_child_start(E, call, e->slot, 0, "async__wait_for_add", "w");
    const char *c0 = ac_arena_printf(A, "_f->%s.c0", e->slot);
    const char *result = e->is_void ? NULL
                         : call->heap
                             ? ac_arena_printf(A, "_f->%s.value", e->slot)
                             : ac_arena_printf(A, "_f->%s.c0._ret", e->slot);
    put_suspend_ex(
        E, e, ac_arena_printf(A, "async__wait_for_poll(&_f->%s.w)", e->slot),
        call->heap
            ? ac_arena_printf(A, "async__frame_free(%s), %s = 0;", c0, c0)
            : NULL,
        result);
    if (call->heap) {
        ac_emit_indent(E);
        ac_buf_printf(E->out, "if (%s)\n", c0);
        ac_emit_indent(E);
        if (!e->is_void)
            ac_buf_printf(E->out, "    %s = ", result);
        else
            ac_buf_puts(E->out, "    ");
        ac_buf_printf(E->out, "%s__finish(%s);\n", call->callee->name, c0);
    }
}

static void put_line_of(ac_emitter *E, const char *head, const ac_expr *e,
                        const char *tail) {
    ac_emit_indent(E);
    ac_buf_puts(E->out, head);
    put_value(E, e);
    ac_buf_puts(E->out, tail);
}

static void open_if(ac_emitter *E, const char *head, const ac_expr *cond,
                    const char *tail) {
    put_line_of(E, head, cond, tail);
    E->indent++;
}

static void close_if(ac_emitter *E, const char *next) {
    E->indent--;
    ac_emit_indent(E);
    ac_buf_puts(E->out, next);
}

/* Stores operand `e` in the node's temporary: `_f->T = e;`, or for the
 * truth value of && and ||, `_f->T = (e) != 0;`. */
static void put_store(ac_emitter *E, const ac_expr *node, const ac_expr *e) {
    ac_emit_indent(E);
    if (!node->temp_decl) {
        ac_buf_puts(E->out, "(void)(");
        put_value(E, e);
        ac_buf_puts(E->out, ");\n");
        return;
    }
    ac_buf_printf(E->out, "_f->%s = ", node->slot);
    if (node->op == AC_OP_COND) {
        put_value(E, e);
        ac_buf_puts(E->out, ";\n");
    } else {
        ac_buf_puts(E->out, "(");
        put_value(E, e);
        ac_buf_puts(E->out, ") != 0;\n");
    }
}

static const char *new_temp(ac_emitter *E, ac_expr *e);

/* && || ?: and comma with awaits past their first operand: the operands
 * run in C's order, each only when C would evaluate it. */
static void put_sequenced(ac_emitter *E, ac_expr *e) {
    ac_expr *first = e->kids[0];
    put_awaits(E, first);
    if (e->temp_decl)
        e->slot = new_temp(E, e);
    switch (e->op) {
    case AC_OP_LAND:
    case AC_OP_LOR:
        put_store(E, e, first);
        ac_emit_indent(E);
        ac_buf_printf(E->out, "if (%s_f->%s) {\n",
                      e->op == AC_OP_LAND ? "" : "!", e->slot);
        E->indent++;
        put_awaits(E, e->kids[1]);
        put_store(E, e, e->kids[1]);
        close_if(E, "}\n");
        break;
    case AC_OP_COND:
        open_if(E, "if (", first, ") {\n");
        put_awaits(E, e->kids[1]);
        put_store(E, e, e->kids[1]);
        close_if(E, "} else {\n");
        E->indent++;
        put_awaits(E, e->kids[2]);
        put_store(E, e, e->kids[2]);
        close_if(E, "}\n");
        break;
    case AC_OP_COMMA:
        put_line_of(E, "(void)(", first, ");\n");
        put_awaits(E, e->kids[1]);
        break;
    case AC_OP_OTHER:
        break;
    }
}

static void put_awaits(ac_emitter *E, ac_expr *e) {
    if (e->kind == AC_E_TEXT && e->op != AC_OP_OTHER) {
        put_sequenced(E, e);
        return;
    }
    unsigned saved_at = E->at;
    for (unsigned i = 0;
         i < e->nkids && e->kind != AC_E_GATHER && e->kind != AC_E_CALL &&
         e->kind != AC_E_TRY && e->kind != AC_E_WAITFOR;
         i++)
        put_awaits(E, e->kids[i]);
    ac_arena *A = &E->u->arena;
    E->at = e->span.begin;
    switch (e->kind) {
    case AC_E_AWAIT: {
        const char *name = e->callee->name;
        if (e->heap) {
            put_heap_await(E, e);
            break;
        }
        e->slot = new_slot(E, e, ac_arena_printf(A, "struct %s__frame", name));
        put_state_comment(E, e);
        if (e->macro_call) {
            put_macro_call(
                E, e, ac_arena_printf(A, "%s__init(&_f->%s", name, e->slot),
                ")");
        } else {
            ac_emit_indent(E);
            ac_buf_printf(E->out, "%s__init(&_f->%s", name, e->slot);
            put_args(E, e);
            ac_buf_puts(E->out, ");\n");
        }
        put_suspend(E, e,
                    ac_arena_printf(A, "%s__resume(&_f->%s)", name, e->slot));
        break;
    }
    case AC_E_JOIN:
        e->slot = new_slot(E, e, "struct async_join__frame");
        put_state_comment(E, e);
        ac_emit_indent(E);
        ac_buf_printf(E->out, "async_join__init(&_f->%s, ", e->slot);
        put_value(E, e->kids[0]);
        ac_buf_puts(E->out, ");\n");
        put_suspend(E, e,
                    ac_arena_printf(A, "async_join__resume(&_f->%s)", e->slot));
        break;
    case AC_E_GATHER: {
        for (unsigned i = 0; i < e->nkids; i++)
            for (unsigned k = 0; k < e->kids[i]->nkids; k++)
                put_awaits(E, e->kids[i]->kids[k]);
        ac_buf type = {0};
        ac_buf_puts(&type, "struct {\n            async__gather g;\n");
        for (unsigned i = 0; i < e->nkids; i++) {
            ac_buf_printf(&type, "            async_task t%u;\n", i);
            if (e->kids[i]->heap)
                ac_buf_printf(&type, "            void *c%u;\n", i);
            else
                ac_buf_printf(&type, "            struct %s__frame c%u;\n",
                              e->kids[i]->callee->name, i);
        }
        ac_buf_puts(&type, "        }");
        e->slot = new_slot(E, e, ac_arena_strdup(A, ac_buf_str(&type)));
        ac_buf_free(&type);
        put_state_comment(E, e);
        ac_emit_indent(E);
        ac_buf_printf(E->out, "async__gather_init(&_f->%s.g);\n", e->slot);
        for (unsigned i = 0; i < e->nkids; i++)
            put_child_start(E, e->kids[i], e->slot, i, "async__gather_add",
                            "g");
        /* Allocated children are freed whether the gather failed or not:
         * their results are not read. */
        ac_buf frees = {0};
        for (unsigned i = 0; i < e->nkids; i++)
            if (e->kids[i]->heap)
                ac_buf_printf(&frees, "%sasync__frame_free(_f->%s.c%u)",
                              frees.len ? ", " : "", e->slot, i);
        const char *free_all =
            frees.len ? ac_arena_printf(A, "%s;", ac_buf_str(&frees)) : NULL;
        ac_buf_free(&frees);
        put_suspend_ex(
            E, e, ac_arena_printf(A, "async__gather_poll(&_f->%s.g)", e->slot),
            free_all, NULL);
        if (free_all) {
            ac_emit_indent(E);
            ac_buf_printf(E->out, "else\n");
            ac_emit_indent(E);
            ac_buf_printf(E->out, "    %s\n", free_all);
        }
        break;
    }
    case AC_E_WAITFOR:
        put_wait_for(E, e);
        break;
    case AC_E_TRY: {
        /* The error pointer is evaluated once, before the awaits. */
        e->slot = new_temp(E, e);
        ac_emit_indent(E);
        ac_buf_printf(E->out, "_f->%s = ", e->slot);
        put_value(E, e->kids[0]);
        ac_buf_puts(E->out, ";\n");
        ac_emit_indent(E);
        ac_buf_printf(E->out, "*_f->%s = 0;\n", e->slot);
        const char *saved = E->catch_ptr;
        E->catch_ptr = e->slot;
        put_awaits(E, e->kids[1]);
        E->catch_ptr = saved;
        break;
    }
    case AC_E_TEXT:
    case AC_E_CALL:
    case AC_E_SPAWN:
    case AC_E_RAISE:
        break;
    }
    E->at = saved_at;
}

/* All awaits of one full expression, as one group of child frames. */
static void put_root_awaits(ac_emitter *E, ac_expr *e) {
    if (!e || !has_slots(e)) {
        if (e && e->nkids)
            put_awaits(E, e); /* spawns only */
        return;
    }
    begin_group(E, count_slots(e));
    put_awaits(E, e);
    end_group(E);
}

/* --- statements ----------------------------------------------------- */

static void put_body(ac_emitter *E, ac_stmt *s) {
    if (s->kind == AC_S_COMPOUND) {
        emit_stmt(E, s, 1);
        return;
    }
    E->indent++;
    emit_stmt(E, s, 0);
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
    put_root_awaits(E, v->init);
    ac_emit_indent(E);
    if (v->is_array) {
        ac_buf_printf(E->out, "__builtin_memcpy(&_f->%s, &(%s)", v->field,
                      v->type);
        if (!v->init_is_list)
            ac_buf_puts(E->out, "{");
        put_value(E, v->init);
        if (!v->init_is_list)
            ac_buf_puts(E->out, "}");
        ac_buf_printf(E->out, ", sizeof _f->%s);\n", v->field);
    } else if (v->init_is_list) {
        ac_buf_printf(E->out, "_f->%s = (%s)", v->field, v->type);
        put_value(E, v->init);
        ac_buf_puts(E->out, ";\n");
    } else {
        ac_buf_printf(E->out, "_f->%s = ", v->field);
        put_value(E, v->init);
        ac_buf_puts(E->out, ";\n");
    }
}

static void emit_decl(ac_emitter *E, ac_stmt *s) {
    int hoisted = s->nvars && s->vars[0]->hoisted;
    if (hoisted) {
        for (unsigned i = 0; i < s->nvars; i++)
            if (s->vars[i]->init)
                put_hoisted_init(E, s->vars[i]);
        return;
    }
    /* Kept as a C declaration: run the initializers' awaits first, then
     * copy the declaration with each await replaced by its result. */
    ac_expr whole = {.kind = AC_E_TEXT, .span = s->span};
    ac_expr *kids[64];
    unsigned n = 0, slots = 0;
    for (unsigned i = 0; i < s->nvars && n < 64; i++)
        if (has_awaits_or_spawns(s->vars[i]->init)) {
            kids[n++] = s->vars[i]->init;
            slots += count_slots(s->vars[i]->init);
        }
    whole.kids = kids;
    whole.nkids = n;
    begin_group(E, slots);
    for (unsigned i = 0; i < n; i++)
        put_awaits(E, kids[i]);
    end_group(E);
    ac_emit_indent(E);
    put_value(E, &whole);
    ac_buf_puts(E->out, "\n");
}

static void put_cond(ac_emitter *E, const char *head, const ac_expr *e,
                     const char *tail) {
    ac_emit_indent(E);
    ac_buf_puts(E->out, head);
    if (e)
        put_value(E, e);
    ac_buf_puts(E->out, tail);
}

static void put_break_unless(ac_emitter *E, ac_expr *cond) {
    if (!cond)
        return;
    put_root_awaits(E, cond);
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
        emit_stmt(E, s->init, 1);
    if (!s->restructured) {
        put_cond(E, "for (;", s->expr, ";");
        if (s->inc) {
            ac_buf_puts(E->out, " ");
            put_value(E, s->inc);
        }
        ac_buf_puts(E->out, ")\n");
        put_body(E, s->body);
    } else {
        ac_emit_indent(E);
        ac_buf_puts(E->out, "for (;;) {\n");
        E->indent++;
        put_break_unless(E, s->expr);
        emit_stmt(E, s->body, 1);
        put_continue_label(E, s);
        if (s->inc) {
            put_root_awaits(E, s->inc);
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
    put_root_awaits(E, s->expr);
    if (s->expr && E->fn->ret_decl_field) {
        put_cond(E, "_f->_ret = ", s->expr, ";\n");
    } else if (s->expr && s->expr->kind == AC_E_TEXT) {
        put_cond(E, "(void)(", s->expr, ");\n");
    }
    ac_emit_indent(E);
    ac_buf_puts(E->out, "_f->_state = -1;\n");
    ac_emit_indent(E);
    ac_buf_puts(E->out, "return ASYNC__READY;\n");
    close_block(E, opened);
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

static void emit_stmt(ac_emitter *E, ac_stmt *s, int in_block) {
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
        ac_emit_indent(E);
        put_text(E, s->span.begin, s->span.end);
        ac_buf_puts(E->out, "\n");
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
            emit_stmt(E, s->kids[i], 1);
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
            put_cond(E, "asyncc_r = async__raise(", s->expr->kids[0], ");\n");
            put_line(E, "goto asyncc_exit;\n");
            E->uses_exit = 1;
            close_block(E, opened);
            break;
        }
        opened = open_block(E, in_block || !has_slots(s->expr));
        put_root_awaits(E, s->expr);
        if (s->expr->kind == AC_E_TEXT || s->expr->kind == AC_E_SPAWN)
            put_cond(E, "", s->expr, ";\n");
        close_block(E, opened);
        break;
    case AC_S_DECL:
        emit_decl(E, s);
        break;
    case AC_S_IF:
        opened = open_block(E, in_block || !has_slots(s->expr));
        put_root_awaits(E, s->expr);
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
        if (!has_slots(s->expr)) {
            put_cond(E, "while (", s->expr, ")\n");
            put_body(E, s->body);
            break;
        }
        ac_emit_indent(E);
        ac_buf_puts(E->out, "for (;;) {\n");
        E->indent++;
        put_break_unless(E, s->expr);
        emit_stmt(E, s->body, 1);
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
        emit_stmt(E, s->body, 1);
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
        opened = open_block(E, in_block || !has_slots(s->expr));
        put_root_awaits(E, s->expr);
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
        put_text(E, s->head.begin, end);
        ac_buf_puts(E->out, "\n");
        emit_stmt(E, s->body, in_block);
        break;
    }
    case AC_S_BREAK:
        ac_emit_indent(E);
        ac_buf_puts(E->out, "break;\n");
        break;
    case AC_S_CONTINUE:
        ac_emit_indent(E);
        if (s->target && s->target->restructured)
            ac_buf_printf(E->out, "goto asyncc_continue_%u;\n", s->target->id);
        else
            ac_buf_puts(E->out, "continue;\n");
        break;
    case AC_S_RETURN:
        emit_return(E, s, in_block);
        break;
    case AC_S_TEXT:
        ac_emit_indent(E);
        put_text(E, s->span.begin, s->span.end);
        ac_buf_puts(E->out, "\n");
        break;
    }
}

/* --- the function --------------------------------------------------- */

static const char *linkage(const ac_func *f) {
    return f->is_static ? "static " : "";
}

void ac_emit_decl(ac_buf *out, const char *decl, const char *name) {
    const char *hole = strstr(decl, "%s");
    if (!hole) {
        ac_buf_printf(out, "%s %s", decl, name);
        return;
    }
    ac_buf_add(out, decl, (size_t)(hole - decl));
    ac_buf_puts(out, name);
    ac_buf_puts(out, hole + 2);
}

void ac_emit_params(ac_buf *out, const ac_callee *c, int with_frame) {
    if (with_frame)
        ac_buf_printf(out, "struct %s__frame *_f", c->name);
    for (unsigned i = 0; i < c->nparams; i++) {
        if (with_frame || i)
            ac_buf_puts(out, ", ");
        ac_emit_decl(out, c->param_types[i] ? c->param_types[i] : "int %s",
                     ac_emit_param_name(i));
    }
    if (!with_frame && c->nparams == 0)
        ac_buf_puts(out, "void");
}

const char *ac_emit_param_name(unsigned i) {
    static char names[64][16];
    if (i >= 64)
        i = 63;
    snprintf(names[i], sizeof names[i], "a%u", i);
    return names[i];
}

static void put_frame(ac_emitter *E, ac_func *f, ac_buf *out) {
    ac_buf_printf(out, "struct %s__frame {\n    int _state;\n", f->name);
    for (unsigned i = 0; i < f->nparams; i++) {
        ac_buf_puts(out, "    ");
        ac_emit_decl(out, f->params[i]->field_decl, f->params[i]->field);
        ac_buf_puts(out, ";\n");
    }
    for (unsigned i = 0; i < f->nvars; i++) {
        ac_var *v = f->vars[i];
        if (!v->hoisted || !v->field_decl)
            continue;
        ac_buf_puts(out, "    ");
        ac_emit_decl(out, v->field_decl, v->field);
        ac_buf_puts(out, ";\n");
    }
    if (E->aw.len)
        ac_buf_printf(out, "    union {\n%s    } _aw;\n", ac_buf_str(&E->aw));
    if (f->ret_decl_field)
        ac_buf_printf(out, "    %s;\n", f->ret_decl_field);
    ac_buf_puts(out, "};\n");
}

static void put_init(ac_func *f, ac_buf *out) {
    ac_buf_printf(out, "%svoid %s__init(struct %s__frame *_f", linkage(f),
                  f->name, f->name);
    for (unsigned i = 0; i < f->nparams; i++) {
        ac_buf_puts(out, ", ");
        ac_emit_decl(out, f->params[i]->field_decl, f->params[i]->field);
    }
    ac_buf_puts(out, ")\n{\n    _f->_state = 0;\n");
    for (unsigned i = 0; i < f->nparams; i++)
        ac_buf_printf(out, "    _f->%s = %s;\n", f->params[i]->field,
                      f->params[i]->field);
    ac_buf_puts(out, "}\n");
}

static int ends_with_return(const ac_func *f) {
    return f->body && f->body->nkids &&
           f->body->kids[f->body->nkids - 1]->kind == AC_S_RETURN;
}

static void put_resume(ac_emitter *E, ac_func *f, ac_buf *out,
                       const char *body) {
    ac_buf_printf(out,
                  "%sint %s__resume(void *_frame)\n{\n"
                  "    struct %s__frame *_f = _frame;\n",
                  linkage(f), f->name, f->name);
    if (E->nstates || E->uses_exit)
        ac_buf_puts(out, "    int asyncc_r;\n");
    ac_buf_puts(out, "    switch (_f->_state) {\n"
                     "    case 0:\n        break;\n");
    for (unsigned i = 1; i <= E->nstates; i++)
        ac_buf_printf(out, "    case %u:\n        goto asyncc_resume_%u;\n", i,
                      i);
    ac_buf_puts(out, "    default:\n        return ASYNC__READY;\n    }\n");
    ac_buf_puts(out, body);
    if (!ends_with_return(f))
        ac_buf_puts(out, "    _f->_state = -1;\n    return ASYNC__READY;\n");
    /* Pending: back to the loop; failed: this frame is done too. */
    if (E->uses_exit)
        ac_buf_puts(out, "asyncc_exit:\n"
                         "    if (asyncc_r == ASYNC__FAILED)\n"
                         "        _f->_state = -1;\n"
                         "    return asyncc_r;\n");
    ac_buf_puts(out, "}\n");
}

void ac_emit_function(ac_unit *u, ac_func *f, const ac_emit_options *opt,
                      ac_buf *out) {
    ac_emitter E;
    memset(&E, 0, sizeof E);
    E.u = u;
    E.fn = f;
    E.opt = opt;
    ac_buf body = {0};
    E.out = &body;
    E.indent = 1;
    if (f->body)
        for (unsigned i = 0; i < f->body->nkids; i++) {
            ac_stmt *prev = i ? f->body->kids[i - 1] : NULL;
            E.lead_begin = prev ? prev->span.end : f->body->span.begin + 1;
            E.lead_end = f->body->kids[i]->span.begin;
            emit_stmt(&E, f->body->kids[i], 1);
        }

    ac_emit_line(&E, f->span.begin);
    put_frame(&E, f, out);
    put_init(f, out);
    put_resume(&E, f, out, ac_buf_str(&body));
    if (ac_emit_has_heap_api(f->callee))
        ac_emit_heap_api(f->callee, out);
    ac_emit_helpers(u, f->callee, out);
    ac_buf_free(&body);
    ac_buf_free(&E.aw);
    ac_buf_free(&E.group);
}
