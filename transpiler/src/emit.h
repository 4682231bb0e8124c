/*
 * emit.h -- writes the generated C: state machines and the whole output.
 */
#ifndef AC_EMIT_H
#define AC_EMIT_H

#include "unit.h"

typedef struct ac_emit_options {
    int line_directives; /* write #line directives (default on) */
    /* The output file's absolute path, which the #line directives of
     * generated code (frames, helpers) name with its own line numbers,
     * so that no generated function sits on a line of the user's file;
     * NULL (standard output): "<asyncc output>". */
    const char *generated_path;
} ac_emit_options;

/* Writes the state machine of `f`: frame struct, init and resume
 * functions and any requested helpers. */
void ac_emit_function(ac_unit *u, ac_func *f, const ac_emit_options *opt,
                      ac_buf *out);

/* Writes the prototypes of the functions generated for callee `c`. */
void ac_emit_prototypes(ac_unit *u, const ac_callee *c, ac_buf *out);

/* Writes helpers (run/spawn) for async functions defined elsewhere. */
void ac_emit_external_helpers(ac_unit *u, ac_buf *out);

/* Writes the whole output file: the input with every edit applied.
 * Returns 0, or -1 after reporting an internal error (two edits of one
 * stretch of text), when the output is not to be used. */
int ac_emit_output(ac_unit *u, const ac_emit_options *opt, ac_buf *out);

#endif
