/*
 * inspect.h -- what `asyncc --inspect` and `--dot` report about each
 * async function of a file: its state machine (machine.h) as the
 * lowering built it, with the frame's sizes and offsets as the compiler
 * lays it out.
 *
 *     each function's machine (states, transitions, frame, reasons)
 *       + the frames' layouts (layout.h: the generated C, parsed again)
 *     --> one report (inspect_model.c, inspect_fields.c)
 *     --> text, JSON or Graphviz (inspect_text.c, inspect_json.c,
 *         inspect_dot.c)
 *
 * Nothing here re-derives what the machine says: states, transitions,
 * slots and the reasons for each field are read from it; only sizes,
 * offsets and the compiler's spelling of types come from the layout.
 */
#ifndef AC_INSPECT_H
#define AC_INSPECT_H

#include "buf.h"
#include "layout.h"
#include "machine.h"
#include "unit.h"

/* The version of the JSON document's schema. */
#define AC_INSPECT_SCHEMA 1

/* A field of a frame, or a member of an unnamed struct or union inside
 * one (the _aw union, a statement group, a gather's slot). */
typedef struct ac_insp_field ac_insp_field;
struct ac_insp_field {
    const char *name;
    const char *type; /* as the compiler spells it, NULL if unknown */
    long long size, offset, align; /* bytes, -1 if unknown */
    const char *reason;            /* a word, for programs (see below) */
    const char *note;              /* the same, for people */
    const unsigned *states;        /* the states the reason names */
    unsigned nstates;
    ac_insp_field *kids; /* members, for unnamed struct and union types */
    unsigned nkids;
};

/* Reasons: "state", "parameter", "live" (a local used after an await),
 * "in_scope" (a local kept because an await is in its scope: arrays,
 * address taken, used by a macro, functions with goto),
 * "declared_with" (shares its declaration with a kept local),
 * "timeout" and "timeout_err" (an async_timeout block), "children" (the
 * _aw union), "child_frame", "allocated_frame" (pointer to a child frame
 * on the heap), "value" (the result of an allocated call), "group"
 * (several slots of one statement), "temporary" (&&, ||, ?: values and
 * async_try error pointers), "gather", "wait_for", "task", "result". */

/* A parameter or local's type and size as the compiler sees them. */
typedef struct ac_insp_local {
    const char *type; /* NULL if unknown */
    long long size;   /* bytes, -1 if unknown */
} ac_insp_local;

typedef struct ac_insp_func {
    const ac_machine *m;
    ac_insp_local *locals; /* parallel to m->locals */
    ac_insp_field *fields; /* the frame, from the layout */
    unsigned nfields;
    long long size, align;
    long long unshared; /* every parameter and local kept, no child frame
                           shared; -1 if unknown */
    unsigned uncounted; /* locals whose type has no name at file scope,
                           left out of `unshared` */
} ac_insp_func;

typedef struct ac_inspect {
    ac_unit *u;
    ac_insp_func *funcs; /* file order */
    unsigned nfuncs;
} ac_inspect;

typedef enum { AC_INSPECT_TEXT, AC_INSPECT_JSON, AC_INSPECT_DOT } ac_format;

/* inspect_model.c */
/* One entry per async function of the lowered unit `u`, without layout
 * (sizes -1). */
void ac_inspect_init(ac_inspect *ins, ac_unit *u);
/* Appends to `code` (the generated C) one struct per function holding
 * everything its frame would hold if every parameter and local were kept
 * and no child frame were shared, so that the compiler sizes it. */
void ac_inspect_unshared_code(ac_inspect *ins, ac_buf *code);
/* The structs whose layout the report needs: two per function (its
 * frame, its unshared struct), filled by ac_layout_read. */
ac_layout *ac_inspect_layouts(const ac_inspect *ins, unsigned *n);
/* Takes sizes and offsets from the laid-out structs and says why each
 * field is there.  Returns 0, or -1 after reporting a frame the compiler
 * did not lay out. */
int ac_inspect_use_layouts(ac_inspect *ins, const ac_layout *l);
void ac_inspect_free(ac_inspect *ins);

/* inspect_fields.c */
/* The frame of `F`'s machine as fields with their reasons, sized from
 * the frame's layout `frame`. */
void ac_inspect_fields(ac_unit *u, ac_insp_func *F, const ac_layout *frame);
/* "2..4, 7": `ids` sorted ascending. */
void ac_inspect_put_ranges(ac_buf *out, const unsigned *ids, unsigned n);
/* The reason word of a local ("parameter", "not_live", "live",
 * "in_scope", "declared_with"). */
const char *ac_inspect_local_reason(const ac_local *l);
/* Is `l` kept in the frame? */
int ac_inspect_in_frame(const ac_local *l);

/* inspect_text.c, inspect_json.c, inspect_dot.c */
void ac_inspect_write_text(const ac_inspect *ins, ac_buf *out);
void ac_inspect_write_json(const ac_inspect *ins, ac_buf *out);
void ac_inspect_write_dot(const ac_inspect *ins, ac_buf *out);

/* inspect_run.c: the whole of --inspect and --dot on a parsed and
 * lowered unit, written to `out`.  Returns 0, or -1 after reporting why
 * the layout could not be read. */
int ac_inspect_run(ac_unit *u, ac_format format, int nargs,
                   const char *const *args, ac_buf *out);

#endif
