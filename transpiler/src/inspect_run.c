/*
 * inspect_run.c -- --inspect and --dot from a parsed and lowered unit.
 *
 * The report reads each function's machine; for the frames' sizes the
 * state machines are generated as for normal output and laid out by
 * libclang (layout.h).  --dot needs no layout and skips that.  It belongs
 * to the front end because the layout needs libclang, but it includes no
 * libclang header itself.
 */
#include "emit.h"
#include "inspect.h"

static int report_layouts(ac_unit *u, ac_inspect *ins, int nargs,
                          const char *const *args) {
    /* Without #line directives: the layout needs no source positions. */
    ac_emit_options eo = {.line_directives = 0};
    ac_buf code = {0};
    int status = ac_emit_output(u, &eo, &code) == 0 ? 0 : -1;
    if (status == 0) {
        ac_inspect_unshared_code(ins, &code);
        unsigned n;
        ac_layout *l = ac_inspect_layouts(ins, &n);
        status = ac_layout_read(u, ac_buf_str(&code), nargs, args, l, n);
        if (status == 0)
            status = ac_inspect_use_layouts(ins, l);
    }
    ac_buf_free(&code);
    return status;
}

int ac_inspect_run(ac_unit *u, ac_format format, int nargs,
                   const char *const *args, ac_buf *out) {
    ac_inspect ins;
    ac_inspect_init(&ins, u);
    int status = 0;
    if (format == AC_INSPECT_DOT) {
        ac_inspect_write_dot(&ins, out);
    } else {
        status = report_layouts(u, &ins, nargs, args);
        if (status == 0) {
            if (format == AC_INSPECT_JSON)
                ac_inspect_write_json(&ins, out);
            else
                ac_inspect_write_text(&ins, out);
        }
    }
    ac_inspect_free(&ins);
    return status;
}
