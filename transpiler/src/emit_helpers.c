/*
 * emit_helpers.c -- prototypes and the small helpers around a frame.
 *
 * Two constructs need a frame outside any async function's frame:
 * async_run(f(x)) in plain code, which becomes f__run(x) with the frame
 * on the caller's stack, and async_spawn(f(x)), which becomes
 * f__spawn(x) with the frame in a heap task.  Both are generated as
 * static functions, only for the functions that use them, so the call
 * sites stay single expressions in the user's code.
 */
#include "emit_internal.h"

#include <stdio.h>
#include <string.h>

void ac_emit_params(ac_buf *out, const ac_callee *c, int with_frame) {
    if (with_frame)
        ac_buf_printf(out, "struct %s__frame *_f", c->name);
    for (unsigned i = 0; i < c->nparams; i++) {
        if (with_frame || i)
            ac_buf_puts(out, ", ");
        ac_machine_put_decl(out,
                            c->param_types[i] ? c->param_types[i] : "int %s",
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

static void put_args(ac_buf *out, const ac_callee *c) {
    for (unsigned i = 0; i < c->nparams; i++)
        ac_buf_printf(out, ", %s", ac_emit_param_name(i));
}

/* A callee whose frame type is not known in this file (defined in
 * another one): its frame comes from NAME__new. */
static int frame_unknown(const ac_callee *c) {
    return !c->def && !c->frame_visible;
}

static void put_call_params(ac_buf *out, const ac_callee *c) {
    for (unsigned i = 0; i < c->nparams; i++)
        ac_buf_printf(out, "%s%s", i ? ", " : "", ac_emit_param_name(i));
}

static void put_run_heap(const ac_callee *c, ac_buf *out) {
    ac_buf_printf(out, "static int %s__run(", c->name);
    ac_emit_params(out, c, 0);
    ac_buf_printf(out, ")\n{\n    void *frame = %s__new(", c->name);
    put_call_params(out, c);
    ac_buf_printf(out,
                  ");\n    int rc = async__run(%s__resume, frame, \"%s\");\n"
                  "    if (rc != 0) {\n"
                  "        async__frame_free(frame);\n"
                  "        errno = -rc;\n"
                  "        return -1;\n    }\n",
                  c->name, c->name);
    if (c->is_void)
        ac_buf_printf(out, "    %s__finish(frame);\n    return 0;\n}\n",
                      c->name);
    else
        ac_buf_printf(out, "    return (int)%s__finish(frame);\n}\n", c->name);
}

/* Tells the runtime where each state of a root function waits (its
 * NAME__where table), for the task dump: once per program, so a spawn
 * costs one test of a flag.  The flag is atomic because loops of other
 * threads may start the function at the same time (a load of it is a
 * plain load on the common processors); registering twice is
 * harmless. */
static void put_where(const ac_callee *c, ac_buf *out) {
    if (!c->def)
        return;
    ac_buf_printf(out,
                  "    static _Atomic int where_told;\n"
                  "    if (!where_told) {\n"
                  "        where_told = 1;\n"
                  "        async__where_register(&%s__where);\n"
                  "    }\n",
                  c->name);
}

static void put_run(const ac_callee *c, ac_buf *out) {
    if (frame_unknown(c)) {
        put_run_heap(c, out);
        return;
    }
    ac_buf_printf(out, "static int %s__run(", c->name);
    ac_emit_params(out, c, 0);
    ac_buf_printf(out, ")\n{\n    struct %s__frame frame;\n", c->name);
    put_where(c, out);
    ac_buf_printf(out, "    %s__init(&frame", c->name);
    put_args(out, c);
    ac_buf_printf(out,
                  ");\n    int rc = async__run(%s__resume, &frame, \"%s\");\n"
                  "    if (rc != 0) {\n"
                  "        errno = -rc;\n"
                  "        return -1;\n    }\n",
                  c->name, c->name);
    if (c->is_void)
        ac_buf_puts(out, "    return 0;\n}\n");
    else
        ac_buf_puts(out, "    return (int)frame._ret;\n}\n");
}

/* The runtime's async__fn for c: its poll function, name, result and
 * frame alignment, as a braced initializer; `indent` starts the lines
 * after the first. */
static void put_fn_init(const ac_callee *c, const char *indent, ac_buf *out) {
    ac_buf_printf(out, "{%s__resume, \"%s\", ", c->name, c->name);
    if (c->is_void)
        ac_buf_puts(out, "0, 0, ASYNC__RESULT_NONE,\n");
    else
        ac_buf_printf(out,
                      "offsetof(struct %s__frame, _ret),\n"
                      "%ssizeof(((struct %s__frame *)0)->_ret), %d,\n",
                      c->name, indent, c->name, c->result_kind);
    ac_buf_printf(out, "%s_Alignof(struct %s__frame)}", indent, c->name);
}

static void put_spawn(const ac_callee *c, ac_buf *out) {
    ac_buf_printf(out, "static async_task *%s__spawn(", c->name);
    ac_emit_params(out, c, 0);
    ac_buf_puts(out, ")\n{\n");
    put_where(c, out);
    ac_buf_printf(out, "    static const async__fn %s__fn = ", c->name);
    put_fn_init(c, "        ", out);
    ac_buf_puts(out, ";\n");
    ac_buf_printf(out,
                  "    async_task *t = async__task_new(&%s__fn, "
                  "sizeof(struct %s__frame));\n",
                  c->name, c->name);
    ac_buf_printf(out, "    if (t) {\n        %s__init(async__task_frame(t)",
                  c->name);
    put_args(out, c);
    ac_buf_puts(out, ");\n        async__task_start(t);\n    }\n"
                     "    return t;\n}\n");
}

void ac_emit_helpers(ac_unit *u, const ac_callee *c, ac_buf *out) {
    (void)u;
    if (c->needs_run)
        put_run(c, out);
    if (c->needs_spawn)
        put_spawn(c, out);
}

/* NAME__new and NAME__finish: every async function with external
 * linkage has them (other files may await it), static ones when they are
 * awaited recursively. */
int ac_emit_has_heap_api(const ac_callee *c) {
    return !c->def || !c->def->is_static || c->needs_heap;
}

/* "RESULT NAME__finish(void *_frame)", with the result's declarator. */
static void put_finish_signature(const ac_callee *c, const char *link,
                                 ac_buf *out) {
    ac_buf_puts(out, link);
    ac_buf b = {0};
    ac_buf_printf(&b, "%s__finish(void *_frame)", c->name);
    ac_machine_put_decl(out, c->ret_decl ? c->ret_decl : "int %s",
                        ac_buf_str(&b));
    ac_buf_free(&b);
}

static void put_heap_prototypes(const ac_callee *c, const char *link,
                                ac_buf *out) {
    ac_buf_printf(out, "%svoid *%s__new(", link, c->name);
    ac_emit_params(out, c, 0);
    ac_buf_puts(out, ");\n");
    put_finish_signature(c, link, out);
    ac_buf_puts(out, ";\n");
}

/* Every async function with external linkage has a starter (other
 * files may point to it or spawn it), a static one when it is pointed to
 * or spawned through a macro in this file. */
int ac_emit_has_starter(const ac_callee *c) {
    return c->def && (!c->def->is_static || c->needs_starter);
}

/* "RESULT NAME(PARAMS)", with the result's declarator. */
static void put_starter_signature(const ac_callee *c, ac_buf *out) {
    if (c->def->is_static)
        ac_buf_puts(out, "static ");
    ac_buf b = {0};
    ac_buf_printf(&b, "%s(", c->name);
    ac_emit_params(&b, c, 0);
    ac_buf_puts(&b, ")");
    ac_machine_put_decl(out,
                        c->is_void    ? "void %s"
                        : c->ret_decl ? c->ret_decl
                                      : "int %s",
                        ac_buf_str(&b));
    ac_buf_free(&b);
}

/* The starter: a frame from the runtime, initialised with the
 * arguments, left pending for the caller (async__afn_take or
 * async__afn_spawn); the zero result is never used. */
void ac_emit_starter(const ac_callee *c, ac_buf *out) {
    put_starter_signature(c, out);
    ac_buf_puts(out, "\n{\n");
    put_where(c, out);
    ac_buf_printf(out, "    static const async__afn %s__afn = {\n        ",
                  c->name);
    put_fn_init(c, "         ", out);
    ac_buf_printf(out,
                  ",\n"
                  "        sizeof(struct %s__frame)};\n"
                  "    %s__init(async__afn_frame(&%s__afn)",
                  c->name, c->name, c->name);
    put_args(out, c);
    ac_buf_puts(out, ");\n");
    if (!c->is_void) {
        ac_buf_puts(out, "    static ");
        ac_machine_put_decl(out, c->ret_decl ? c->ret_decl : "int %s",
                            "asyncc_zero");
        ac_buf_puts(out, ";\n    return asyncc_zero;\n");
    }
    ac_buf_puts(out, "}\n");
}

void ac_emit_prototypes(ac_unit *u, const ac_callee *c, ac_buf *out) {
    (void)u;
    const char *link = c->def && c->def->is_static ? "static " : "";
    ac_buf_printf(out, "struct %s__frame;\n", c->name);
    /* Its where table, which the tables of its callers point to. */
    if (c->def)
        ac_buf_printf(out, "static const async__where %s__where;\n", c->name);
    if (!frame_unknown(c)) {
        ac_buf_printf(out, "%svoid %s__init(", link, c->name);
        ac_emit_params(out, c, 1);
        ac_buf_puts(out, ");\n");
    }
    ac_buf_printf(out, "%sint %s__resume(void *_frame);\n", link, c->name);
    if (ac_emit_has_heap_api(c))
        put_heap_prototypes(c, link, out);
    if (c->needs_run) {
        ac_buf_printf(out, "static int %s__run(", c->name);
        ac_emit_params(out, c, 0);
        ac_buf_puts(out, ");\n");
    }
    if (c->needs_spawn) {
        ac_buf_printf(out, "static async_task *%s__spawn(", c->name);
        ac_emit_params(out, c, 0);
        ac_buf_puts(out, ");\n");
    }
    if (ac_emit_has_starter(c)) {
        put_starter_signature(c, out);
        ac_buf_puts(out, ";\n");
    }
}

void ac_emit_external_helpers(ac_unit *u, ac_buf *out) {
    for (unsigned i = 0; i < u->ncallees; i++) {
        const ac_callee *c = u->callees[i];
        if (c->def)
            continue;
        if (frame_unknown(c))
            ac_emit_prototypes(u, c, out);
        ac_emit_helpers(u, c, out);
    }
}

void ac_emit_heap_api(const ac_callee *c, ac_buf *out) {
    const char *link = c->def->is_static ? "static " : "";
    ac_buf_printf(out, "%svoid *%s__new(", link, c->name);
    ac_emit_params(out, c, 0);
    ac_buf_printf(out,
                  ")\n{\n    struct %s__frame *_f =\n"
                  "        async__frame_alloc(sizeof *_f, \"%s\");\n"
                  "    %s__init(_f",
                  c->name, c->name, c->name);
    for (unsigned i = 0; i < c->nparams; i++)
        ac_buf_printf(out, ", %s", ac_emit_param_name(i));
    ac_buf_puts(out, ");\n    return _f;\n}\n");
    put_finish_signature(c, link, out);
    ac_buf_puts(out, "\n{\n");
    if (c->is_void) {
        ac_buf_puts(out, "    async__frame_free(_frame);\n}\n");
        return;
    }
    ac_buf_puts(out, "    ");
    ac_machine_put_decl(out, c->ret_decl ? c->ret_decl : "int %s", "result");
    ac_buf_printf(out,
                  " = ((struct %s__frame *)_frame)->_ret;\n"
                  "    async__frame_free(_frame);\n"
                  "    return result;\n}\n",
                  c->name);
}
