/*
 * pipeline.h -- one input through the whole transpiler, in process:
 * what the asyncc command does between reading its options and writing
 * its output.  The fuzzer calls it too, so it never exits the process.
 */
#ifndef AC_PIPELINE_H
#define AC_PIPELINE_H

#include "buf.h"
#include "options.h"
#include "unit.h"

#include <stddef.h>

typedef struct ac_transpile_job {
    const char *path; /* the input, as messages name it */
    /* When not NULL, the input's `len` bytes: `path` is not read. */
    const char *text;
    size_t len;
    ac_mode mode;               /* the transpiled C or a report */
    int line_directives;        /* for AC_MODE_C */
    const char *generated_path; /* for AC_MODE_C: ac_emit_options's */
    int nargs;                  /* compiler flags for libclang */
    const char *const *args;
} ac_transpile_job;

/* Parses, lowers, and writes the C or the report of `job` to `out`;
 * diagnostics go to the diagnostic stream (diag.h).  `u` must be zeroed;
 * the caller frees it (it holds the list of files read, for -MD).
 * Returns 0, 1 when the input has errors, 2 when it could not be read. */
int ac_transpile(ac_unit *u, const ac_transpile_job *job, ac_buf *out);

#endif
