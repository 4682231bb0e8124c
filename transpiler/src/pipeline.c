/*
 * pipeline.c -- parse, lower, emit or inspect (see pipeline.h).
 */
#include "pipeline.h"

#include "emit.h"
#include "inspect.h"
#include "lower.h"
#include "parse.h"

static ac_format report_format(ac_mode m) {
    return m == AC_MODE_DOT            ? AC_INSPECT_DOT
           : m == AC_MODE_INSPECT_JSON ? AC_INSPECT_JSON
                                       : AC_INSPECT_TEXT;
}

int ac_transpile(ac_unit *u, const ac_transpile_job *job, ac_buf *out) {
    int parsed = job->text ? ac_parse_text(u, job->path, job->text, job->len,
                                           job->nargs, job->args)
                           : ac_parse(u, job->path, job->nargs, job->args);
    if (parsed != 0)
        return u->src.text ? 1 : 2;
    /* The C needs no transitions; the reports do. */
    if ((job->mode == AC_MODE_C ? ac_lower_for_c(u) : ac_lower(u)) != 0)
        return 1;
    if (job->mode == AC_MODE_C) {
        ac_emit_options eo = {.line_directives = job->line_directives,
                              .generated_path = job->generated_path};
        return ac_emit_output(u, &eo, out) == 0 ? 0 : 1;
    }
    return ac_inspect_run(u, report_format(job->mode), job->nargs, job->args,
                          out) == 0
               ? 0
               : 1;
}
