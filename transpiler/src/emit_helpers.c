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

static void put_args(ac_buf *out, const ac_callee *c) {
    for (unsigned i = 0; i < c->nparams; i++)
        ac_buf_printf(out, ", %s", ac_emit_param_name(i));
}

static void put_run(const ac_callee *c, ac_buf *out) {
    ac_buf_printf(out, "static int %s__run(", c->name);
    ac_emit_params(out, c, 0);
    ac_buf_printf(out, ")\n{\n    struct %s__frame frame;\n    %s__init(&frame",
                  c->name, c->name);
    put_args(out, c);
    ac_buf_printf(out,
                  ");\n    if (async__run(%s__resume, &frame, \"%s\") != 0)\n"
                  "        return -1;\n",
                  c->name, c->name);
    if (c->is_void)
        ac_buf_puts(out, "    return 0;\n}\n");
    else
        ac_buf_puts(out, "    return (int)frame._ret;\n}\n");
}

static void put_spawn(const ac_callee *c, ac_buf *out) {
    ac_buf_printf(out, "static async_task *%s__spawn(", c->name);
    ac_emit_params(out, c, 0);
    ac_buf_printf(out,
                  ")\n{\n    async_task *t = async__task_new(\n"
                  "        sizeof(struct %s__frame), %s__resume, \"%s\",\n",
                  c->name, c->name, c->name);
    if (c->is_void)
        ac_buf_puts(out, "        0, 0, ASYNC__RESULT_NONE);\n");
    else
        ac_buf_printf(out,
                      "        offsetof(struct %s__frame, _ret),\n"
                      "        sizeof(((struct %s__frame *)0)->_ret), %d);\n",
                      c->name, c->name, c->result_kind);
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

void ac_emit_prototypes(ac_unit *u, const ac_callee *c, ac_buf *out) {
    (void)u;
    const char *link = c->def && c->def->is_static ? "static " : "";
    ac_buf_printf(out, "struct %s__frame;\n%svoid %s__init(", c->name, link,
                  c->name);
    ac_emit_params(out, c, 1);
    ac_buf_printf(out, ");\n%sint %s__resume(void *_frame);\n", link, c->name);
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
}

void ac_emit_external_helpers(ac_unit *u, ac_buf *out) {
    for (unsigned i = 0; i < u->ncallees; i++) {
        const ac_callee *c = u->callees[i];
        if (!c->def)
            ac_emit_helpers(u, c, out);
    }
}
