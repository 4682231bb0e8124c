/*
 * emit_expr.c -- expressions that hold awaits: each await becomes a
 * suspension point emitted before the statement that uses its result,
 * in the state and frame slot the lowering gave it, and &&, ||, ?: and
 * comma run their operands in C's order.
 */
#include "emit_internal.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

static const char *call_text(ac_emitter *E, const ac_expr *call);

int ac_emit_has_slots(const ac_expr *e) { return ac_lower_count_slots(e) > 0; }

/* The value of an expression once its awaits have completed. */

static void put_args(ac_emitter *E, const ac_expr *call) {
    for (unsigned i = 0; i < call->nkids; i++) {
        ac_buf_puts(E->out, ", ");
        ac_emit_value(E, call->kids[i]);
    }
}

void ac_emit_value(ac_emitter *E, const ac_expr *e) {
    if (e->kind == AC_E_TEXT && e->op != AC_OP_OTHER) {
        if (e->op == AC_OP_COMMA)
            ac_emit_value(E, e->kids[e->nkids - 1]);
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
            ac_emit_text(E, pos, e->kids[i]->span.begin);
            ac_emit_value(E, e->kids[i]);
            pos = e->kids[i]->span.end;
        }
        ac_emit_text(E, pos, e->span.end);
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
        if (e->heap) {
            ac_buf_printf(E->out, "((void)%s, async__afn_spawn())",
                          call_text(E, e));
            break;
        }
        ac_buf_printf(E->out, "%s__spawn(", e->callee->name);
        for (unsigned i = 0; i < e->nkids; i++) {
            if (i)
                ac_buf_puts(E->out, ", ");
            ac_emit_value(E, e->kids[i]);
        }
        ac_buf_puts(E->out, ")");
        break;
    case AC_E_TRY:
        ac_emit_value(E, e->kids[1]);
        break;
    case AC_E_WAITFOR:
        if (e->is_void)
            ac_buf_puts(E->out, "((void)0)");
        else
            ac_buf_printf(E->out, "_f->%s.%s", e->slot,
                          e->kids[0]->heap ? "value" : "c0._ret");
        break;
    case AC_E_SPAWNER:
        ac_buf_printf(E->out, "%s__spawn", e->callee->name);
        break;
    case AC_E_FAILING: {
        const char *to = ac_emit_defer_to(E, e->id);
        ac_buf_printf(E->out, "(%s < 0 ? %s : 0)", to, to);
        break;
    }
    case AC_E_RAISE:
    case AC_E_CALL:
        break;
    }
}

/* Names the state an await becomes, as --inspect will. */
static void put_state_comment(ac_emitter *E, const ac_expr *e) {
    /* Every state was numbered and given its slot by the lowering, in
     * the order it is printed here. */
    assert(e->id >= 1 && e->id <= E->m->nstates && e->slot);
    assert(E->m->states[e->id - 1].offset == e->span.begin);
    assert(E->m->slots[E->m->states[e->id - 1].slot].path == e->slot);
    unsigned line, col;
    ac_source_linecol(&E->u->src, e->span.begin, &line, &col);
    const char *base = strrchr(E->u->src.path, '/');
    ac_emit_indent(E);
    ac_buf_printf(E->out, "/* state %u: await at %s:%u */\n", e->id,
                  base ? base + 1 : E->u->src.path, line);
}

/* The suspension point of an await: record the state, poll the child.
 * Pending: return to the loop.  Failed: run `on_fail` (frees an allocated
 * child), then either propagate (leave through asyncc_exit, failing this
 * frame too) or, inside async_try, store the code and zero `result` (an
 * lvalue, or NULL) and go on. */
static void put_check(ac_emitter *E, const char *poll, const char *on_fail,
                      const char *result);

static void put_suspend_ex(ac_emitter *E, const ac_expr *e, const char *poll,
                           const char *on_fail, const char *result) {
    ac_emit_indent(E);
    ac_buf_printf(E->out, "_f->_state = %u;\n", e->id);
    ac_buf_printf(E->out, "asyncc_resume_%u:\n", e->id);
    put_check(E, poll, on_fail, result);
}

/* The test after a poll: `poll` is the call, or NULL when its status is
 * in asyncc_r already (then it is READY or FAILED). */
static void put_check(ac_emitter *E, const char *poll, const char *on_fail,
                      const char *result) {
    ac_emit_indent(E);
    const char *test =
        poll ? ac_arena_printf(&E->u->arena, "(asyncc_r = %s) != ASYNC__READY",
                               poll)
             : "asyncc_r != ASYNC__READY";
    if (!E->catch_ptr && !on_fail && !E->nscopes) {
        ac_buf_printf(E->out, "if (%s)\n", test);
        ac_emit_put_line(E, "    goto asyncc_exit;\n");
        return;
    }
    ac_buf_printf(E->out, "if (%s) {\n", test);
    E->indent++;
    if (!E->catch_ptr && E->nscopes) {
        /* Inside async_timeout: pending returns, failure lands in the
         * innermost block's handler. */
        if (poll) {
            ac_emit_put_line(E, "if (asyncc_r == ASYNC__PENDING)\n");
            ac_emit_put_line(E, "    return ASYNC__PENDING;\n");
        }
        if (on_fail) {
            ac_emit_indent(E);
            ac_buf_printf(E->out, "%s\n", on_fail);
        }
        ac_emit_indent(E);
        ac_buf_printf(E->out, "goto %s;\n", ac_emit_fail_label(E));
    } else if (!E->catch_ptr) {
        if (on_fail) {
            ac_emit_put_line(E, "if (asyncc_r == ASYNC__FAILED)\n");
            ac_emit_indent(E);
            ac_buf_printf(E->out, "    %s\n", on_fail);
        }
        ac_emit_put_line(E, "goto asyncc_exit;\n");
    } else {
        if (poll) {
            ac_emit_put_line(E, "if (asyncc_r == ASYNC__PENDING)\n");
            ac_emit_put_line(E, "    return ASYNC__PENDING;\n");
        }
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
    ac_emit_put_line(E, "}\n");
}

static void put_suspend(ac_emitter *E, const ac_expr *e, const char *poll) {
    const char *result =
        e->is_void || !e->slot
            ? NULL
            : ac_arena_printf(&E->u->arena, "_f->%s._ret", e->slot);
    put_suspend_ex(E, e, poll, NULL, result);
}

/* Emits, in evaluation order, the statements that run every await inside
 * `e`, leaving their results in the child frames for ac_emit_value. */

static void put_macro_call(ac_emitter *E, const ac_expr *e, const char *head,
                           const char *tail);

/* Arguments without a leading frame pointer: "a, b". */
static void put_call_args(ac_emitter *E, const ac_expr *call) {
    for (unsigned i = 0; i < call->nkids; i++) {
        if (i)
            ac_buf_puts(E->out, ", ");
        ac_emit_value(E, call->kids[i]);
    }
}

static const char *value_text(ac_emitter *E, const ac_expr *e);

/* The call as the user wrote it, its awaits' values spliced in: for a
 * call through a starter (a pointer's, or NAME itself). */
static const char *call_text(ac_emitter *E, const ac_expr *call) {
    if (call->macro_call)
        return ac_arena_printf(&E->u->arena, "(%s)",
                               value_text(E, call->macro_call));
    ac_buf b = {0}, *saved = E->out;
    E->out = &b;
    if (call->fnptr)
        ac_emit_value(E, call->fnptr);
    else
        ac_buf_puts(&b, call->callee->name);
    ac_buf_puts(&b, "(");
    put_call_args(E, call);
    ac_buf_puts(&b, ")");
    E->out = saved;
    const char *s = ac_arena_strdup(&E->u->arena, ac_buf_str(&b));
    ac_buf_free(&b);
    return s;
}

/* A frame started through the callee's starter and taken at once. */
static const char *started_frame(ac_emitter *E, const ac_expr *call) {
    return ac_arena_printf(&E->u->arena, "((void)%s, async__afn_take())",
                           call_text(E, call));
}

/* `dest = ` the result of the allocated frame `frame` of `call`, which
 * is then freed (dest NULL: the result is dropped). */
static void put_finish(ac_emitter *E, const ac_expr *call, const char *frame,
                       const char *dest) {
    const ac_callee *c = call->callee;
    ac_emit_indent(E);
    if (!c->is_pointer) {
        if (dest)
            ac_buf_printf(E->out, "%s = ", dest);
        ac_buf_printf(E->out, "%s__finish(%s);\n", c->name, frame);
        return;
    }
    if (dest) {
        ac_buf_printf(E->out, "%s = *(", dest);
        ac_machine_put_decl(E->out, c->ret_decl ? c->ret_decl : "int %s",
                            "(*)");
        ac_buf_printf(E->out, ")async__afn_result(%s);\n", frame);
        ac_emit_indent(E);
    }
    ac_buf_printf(E->out, "async__afn_free(%s);\n", frame);
}

static const char *free_fn(const ac_expr *call) {
    return call->callee->is_pointer ? "async__afn_free" : "async__frame_free";
}

/* An await whose child frame is allocated (recursion, a callee defined
 * in another file, a call through a pointer): NAME__new (or the
 * pointer's starter) allocates and initialises it, NAME__finish returns
 * the result and frees it. */
static void put_heap_await(ac_emitter *E, const ac_expr *e) {
    const ac_callee *c = e->callee;
    ac_arena *A = &E->u->arena;
    put_state_comment(E, e);
    if (c->is_pointer) {
        ac_emit_indent(E);
        ac_buf_printf(E->out, "_f->%s.frame = %s;\n", e->slot,
                      started_frame(E, e));
    } else if (e->macro_call) {
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
        E, e,
        c->is_pointer ? ac_arena_printf(A, "async__afn_poll(%s)", frame)
                      : ac_arena_printf(A, "%s__resume(%s)", c->name, frame),
        ac_arena_printf(A, "%s(%s), %s = 0;", free_fn(e), frame, frame),
        c->is_void ? NULL : ac_arena_printf(A, "_f->%s.value", e->slot));
    /* After a caught failure the frame is gone (NULL): no result.  A
     * failure that is not caught never gets here. */
    const char *dest =
        c->is_void ? NULL : ac_arena_printf(A, "_f->%s.value", e->slot);
    if (c->is_pointer && !E->catch_ptr) {
        put_finish(E, e, frame, dest);
        return;
    }
    ac_emit_indent(E);
    ac_buf_printf(E->out, "if (%s) {\n", frame);
    E->indent++;
    put_finish(E, e, frame, dest);
    E->indent--;
    ac_emit_put_line(E, "}\n");
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
    ac_emit_value(E, e->macro_call);
    ac_buf_printf(E->out, ";\n#undef %s\n", c->name);
}

/* Starts child `i` of a gather or wait_for in slot `slot`: its frame in
 * the slot's c<i> (embedded, or allocated), its task in t<i>. */
static void put_child_start(ac_emitter *E, const ac_expr *call,
                            const char *slot, unsigned i, const char *add,
                            const char *group) {
    ac_arena *A = &E->u->arena;
    const char *name = call->callee->name;
    if (call->callee->is_pointer) {
        ac_emit_indent(E);
        ac_buf_printf(E->out, "_f->%s.c%u = %s;\n", slot, i,
                      started_frame(E, call));
        ac_emit_indent(E);
        ac_buf_printf(E->out,
                      "%s(&_f->%s.%s, &_f->%s.t%u, async__afn_poll_fn, "
                      "_f->%s.c%u, async__afn_name(_f->%s.c%u));\n",
                      add, slot, group, slot, i, slot, i, slot, i);
        return;
    }
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

/* The value of `e` as a string: user text with its references to
 * hoisted variables rewritten. */
static const char *value_text(ac_emitter *E, const ac_expr *e) {
    ac_buf b = {0}, *saved = E->out;
    E->out = &b;
    ac_emit_value(E, e);
    E->out = saved;
    const char *s = ac_arena_strdup(&E->u->arena, ac_buf_str(&b));
    ac_buf_free(&b);
    return s;
}

/* What runs once a gather has completed, failed or not: each call that
 * succeeded stores its result, each caught failure its code, allocated
 * frames are freed.  Returns 0 when there is nothing to do. */
static int put_gather_done(ac_emitter *E, const ac_expr *e, int dry) {
    int any = 0;
    for (unsigned i = 0; i < e->nkids; i++) {
        const ac_expr *call = e->kids[i];
        if (!call->store && !call->heap && !call->errp)
            continue;
        any = 1;
        if (dry)
            break;
        const char *child =
            ac_arena_printf(&E->u->arena, "_f->%s.c%u", e->slot, i);
        if (call->store) {
            ac_emit_indent(E);
            ac_buf_printf(E->out,
                          "if (async_task_error(&_f->%s.t%u.task) == 0)\n",
                          e->slot, i);
            ac_emit_indent(E);
            if (call->callee->is_pointer) {
                ac_buf_printf(E->out, "    %s = *(",
                              value_text(E, call->store));
                ac_machine_put_decl(
                    E->out,
                    call->callee->ret_decl ? call->callee->ret_decl : "int %s",
                    "(*)");
                ac_buf_printf(E->out, ")async__afn_result(%s);\n", child);
                ac_emit_indent(E);
                ac_buf_printf(E->out, "async__afn_free(%s);\n", child);
            } else if (call->heap)
                ac_buf_printf(E->out, "    %s = %s__finish(%s);\n",
                              value_text(E, call->store), call->callee->name,
                              child);
            else
                ac_buf_printf(E->out, "    %s = %s._ret;\n",
                              value_text(E, call->store), child);
            if (call->heap && !call->callee->is_pointer) {
                ac_emit_put_line(E, "else\n");
                ac_emit_indent(E);
                ac_buf_printf(E->out, "    async__frame_free(%s);\n", child);
            }
        } else if (call->heap) {
            ac_emit_indent(E);
            ac_buf_printf(E->out, "%s(%s);\n", free_fn(call), child);
        }
        if (call->errp) {
            ac_emit_indent(E);
            ac_buf_printf(E->out,
                          "*(%s) = async_task_error(&_f->%s.t%u.task);\n",
                          value_text(E, call->errp), e->slot, i);
        }
    }
    return any;
}

/* await(async_wait_for(call, seconds)): the call runs as a child task in
 * this frame against a timer; its result is read from the child. */
static void put_wait_for(ac_emitter *E, const ac_expr *e) {
    ac_arena *A = &E->u->arena;
    const ac_expr *call = e->kids[0];
    for (unsigned k = 0; k < call->nkids; k++)
        ac_emit_awaits(E, call->kids[k]);
    ac_emit_awaits(E, e->kids[1]);
    put_state_comment(E, e);
    ac_emit_indent(E);
    ac_buf_printf(E->out, "async__wait_for_init(&_f->%s.w, ", e->slot);
    ac_emit_value(E, e->kids[1]);
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
            ? ac_arena_printf(A, "%s(%s), %s = 0;", free_fn(call), c0, c0)
            : NULL,
        result);
    if (call->heap) {
        ac_emit_indent(E);
        ac_buf_printf(E->out, "if (%s) {\n", c0);
        E->indent++;
        put_finish(E, call, c0, e->is_void ? NULL : result);
        E->indent--;
        ac_emit_put_line(E, "}\n");
    }
}

static void put_line_of(ac_emitter *E, const char *head, const ac_expr *e,
                        const char *tail) {
    ac_emit_indent(E);
    ac_buf_puts(E->out, head);
    ac_emit_value(E, e);
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
        ac_emit_value(E, e);
        ac_buf_puts(E->out, ");\n");
        return;
    }
    ac_buf_printf(E->out, "_f->%s = ", node->slot);
    if (node->op == AC_OP_COND) {
        ac_emit_value(E, e);
        ac_buf_puts(E->out, ";\n");
    } else {
        ac_buf_puts(E->out, "(");
        ac_emit_value(E, e);
        ac_buf_puts(E->out, ") != 0;\n");
    }
}

/* && || ?: and comma with awaits past their first operand: the operands
 * run in C's order, each only when C would evaluate it. */
static void put_sequenced(ac_emitter *E, const ac_expr *e) {
    const ac_expr *first = e->kids[0];
    ac_emit_awaits(E, first);
    switch (e->op) {
    case AC_OP_LAND:
    case AC_OP_LOR:
        put_store(E, e, first);
        ac_emit_indent(E);
        ac_buf_printf(E->out, "if (%s_f->%s) {\n",
                      e->op == AC_OP_LAND ? "" : "!", e->slot);
        E->indent++;
        ac_emit_awaits(E, e->kids[1]);
        put_store(E, e, e->kids[1]);
        close_if(E, "}\n");
        break;
    case AC_OP_COND:
        open_if(E, "if (", first, ") {\n");
        ac_emit_awaits(E, e->kids[1]);
        put_store(E, e, e->kids[1]);
        close_if(E, "} else {\n");
        E->indent++;
        ac_emit_awaits(E, e->kids[2]);
        put_store(E, e, e->kids[2]);
        close_if(E, "}\n");
        break;
    case AC_OP_COMMA:
        put_line_of(E, "(void)(", first, ");\n");
        ac_emit_awaits(E, e->kids[1]);
        break;
    case AC_OP_OTHER:
        break;
    }
}

void ac_emit_awaits(ac_emitter *E, const ac_expr *e) {
    if (!e)
        return;
    if (e->kind == AC_E_TEXT && e->op != AC_OP_OTHER) {
        put_sequenced(E, e);
        return;
    }
    unsigned saved_at = E->at;
    for (unsigned i = 0;
         i < e->nkids && e->kind != AC_E_GATHER && e->kind != AC_E_CALL &&
         e->kind != AC_E_TRY && e->kind != AC_E_WAITFOR;
         i++)
        ac_emit_awaits(E, e->kids[i]);
    ac_arena *A = &E->u->arena;
    E->at = e->span.begin;
    switch (e->kind) {
    case AC_E_AWAIT: {
        const char *name = e->callee->name;
        if (e->heap) {
            put_heap_await(E, e);
            break;
        }
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
        put_state_comment(E, e);
        ac_emit_indent(E);
        ac_buf_printf(E->out, "async_join__init(&_f->%s, ", e->slot);
        ac_emit_value(E, e->kids[0]);
        ac_buf_puts(E->out, ");\n");
        put_suspend(E, e,
                    ac_arena_printf(A, "async_join__resume(&_f->%s)", e->slot));
        break;
    case AC_E_GATHER: {
        for (unsigned i = 0; i < e->nkids; i++)
            for (unsigned k = 0; k < e->kids[i]->nkids; k++)
                ac_emit_awaits(E, e->kids[i]->kids[k]);
        put_state_comment(E, e);
        ac_emit_indent(E);
        ac_buf_printf(E->out, "async__gather_init(&_f->%s.g);\n", e->slot);
        if (e->failfast) {
            ac_emit_indent(E);
            ac_buf_printf(E->out, "async__gather_failfast(&_f->%s.g);\n",
                          e->slot);
        }
        for (unsigned i = 0; i < e->nkids; i++) {
            put_child_start(E, e->kids[i], e->slot, i, "async__gather_add",
                            "g");
            if (e->kids[i]->errp) {
                ac_emit_indent(E);
                ac_buf_printf(E->out, "async__gather_catch(&_f->%s.t%u);\n",
                              e->slot, i);
            }
        }
        const char *poll =
            ac_arena_printf(A, "async__gather_poll(&_f->%s.g)", e->slot);
        if (!put_gather_done(E, e, 1)) {
            put_suspend_ex(E, e, poll, NULL, NULL);
            break;
        }
        ac_emit_indent(E);
        ac_buf_printf(E->out, "_f->_state = %u;\n", e->id);
        ac_buf_printf(E->out, "asyncc_resume_%u:\n", e->id);
        ac_emit_indent(E);
        ac_buf_printf(E->out, "if ((asyncc_r = %s) == ASYNC__PENDING)\n", poll);
        ac_emit_put_line(E, "    return ASYNC__PENDING;\n");
        put_gather_done(E, e, 0);
        put_check(E, NULL, NULL, NULL);
        break;
    }
    case AC_E_WAITFOR:
        put_wait_for(E, e);
        break;
    case AC_E_TRY: {
        /* The error pointer is evaluated once, before the awaits. */
        ac_emit_indent(E);
        ac_buf_printf(E->out, "_f->%s = ", e->slot);
        ac_emit_value(E, e->kids[0]);
        ac_buf_puts(E->out, ";\n");
        ac_emit_indent(E);
        ac_buf_printf(E->out, "*_f->%s = 0;\n", e->slot);
        const char *saved = E->catch_ptr;
        E->catch_ptr = e->slot;
        ac_emit_awaits(E, e->kids[1]);
        E->catch_ptr = saved;
        break;
    }
    case AC_E_TEXT:
    case AC_E_CALL:
    case AC_E_SPAWN:
    case AC_E_SPAWNER:
    case AC_E_RAISE:
    case AC_E_FAILING:
        break;
    }
    E->at = saved_at;
}
