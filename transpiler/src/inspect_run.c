/*
 * inspect_run.c -- --inspect and --dot from a parsed and lowered unit.
 *
 * The state machines are generated exactly as for normal output (that is
 * where states are numbered and frame slots named), then parsed again by
 * libclang for the frames' layout; --dot needs no layout and skips that.
 * It belongs to the front end because the layout needs libclang, but it
 * includes no libclang header itself.
 */
#include "emit.h"
#include "inspect.h"

int ac_inspect_run(ac_unit *u, ac_format format, int nargs,
                   const char *const *args, ac_buf *out) {
    /* Without #line directives: the layout needs no source positions. */
    ac_emit_options eo = {.line_directives = 0};
    ac_buf code = {0};
    if (ac_emit_output(u, &eo, &code) != 0) {
        ac_buf_free(&code);
        return 1;
    }
    ac_inspect ins;
    ac_inspect_collect(&ins, u);
    int status = 0;
    if (format == AC_INSPECT_DOT) {
        ac_inspect_write_dot(&ins, out);
    } else {
        ac_inspect_unshared_code(&ins, &code);
        status = ac_parse_layouts(&ins, ac_buf_str(&code), nargs, args);
        if (status == 0) {
            ac_inspect_annotate(&ins);
            if (format == AC_INSPECT_JSON)
                ac_inspect_write_json(&ins, out);
            else
                ac_inspect_write_text(&ins, out);
        }
    }
    ac_inspect_free(&ins);
    ac_buf_free(&code);
    return status;
}
