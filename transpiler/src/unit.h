/*
 * unit.h -- one translation unit being transpiled: the source text, the
 * IR of its async functions, and the edits to the rest of the file.
 */
#ifndef AC_UNIT_H
#define AC_UNIT_H

#include "buf.h"
#include "ir.h"
#include "source.h"

typedef struct ac_unit {
    ac_source src;
    ac_arena arena;
    ac_func **funcs; /* async function definitions, in file order */
    unsigned nfuncs, capfuncs;
    ac_callee **callees; /* every async function referenced or defined */
    unsigned ncallees, capcallees;
    /* The defined callees sorted by name (then by index in `callees`),
     * made by ac_unit_defined_callee when first needed: the emitter looks
     * up every await's callee. */
    struct ac_defined_callee {
        const ac_callee *callee;
        unsigned index;
    } * defined;
    unsigned ndefined, defined_of; /* defined_of: ncallees when made */
    ac_proto **protos; /* async function prototypes in the main file */
    unsigned nprotos, capprotos;
    ac_edit **edits; /* edits outside async function definitions */
    unsigned nedits, capedits;
    ac_quiet **quiet; /* warnings the generated code does not repeat */
    unsigned nquiet, capquiet;
    /* Where helpers for async functions defined elsewhere (the runtime's)
     * go: before the first top-level declaration that needs them. */
    unsigned ext_helpers_at;
    int has_ext_helpers_at;
    /* Every file the parse read, the input first, without repeats (in the
     * arena): what a depfile lists. */
    const char **deps;
    unsigned ndeps, capdeps;
} ac_unit;

/* The quiet region of the async function or top-level declaration
 * starting at `begin`, created (empty) if `create`; NULL if there is
 * none. */
ac_quiet *ac_unit_quiet(ac_unit *u, unsigned begin, int create);
/* Adds warning option `name` (clang's, without "-W") to `q` once. */
void ac_quiet_add(ac_unit *u, ac_quiet *q, const char *name);

/* The callee named `name` that is defined in this file (the first in
 * `callees` when several are), or NULL; NULL for a NULL name. */
const ac_callee *ac_unit_defined_callee(ac_unit *u, const char *name);

/* Releases everything the unit owns. */
void ac_unit_free(ac_unit *u);

/* Records an edit of the main file (the text is kept by reference). */
void ac_unit_edit(ac_unit *u, unsigned begin, unsigned end, const char *text,
                  int resync);

#endif
