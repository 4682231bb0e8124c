/*
 * inspect.h -- what `asyncc --inspect` reports about each async function
 * of a file: its states (one per suspension point, numbered as the
 * generated code numbers them), the transitions between them, and the
 * layout of its frame with the reason each field is kept.
 *
 *     IR after emission (ids, slots) --> states, transitions, locals
 *                                        (inspect_model.c, inspect_cfg.c)
 *     the generated C, parsed again by libclang --> sizes and offsets
 *                                        (parse_layout.c)
 *     --> why each field is there (inspect_fields.c)
 *     --> text, JSON or Graphviz (inspect_text.c, inspect_json.c,
 *         inspect_dot.c)
 *
 * Sizes come from the compiler's own layout of the generated structs, so
 * they are those of the target libclang parses for (the host unless the
 * flags after -- say otherwise).
 */
#ifndef AC_INSPECT_H
#define AC_INSPECT_H

#include "buf.h"
#include "inspect_cfg.h"
#include "unit.h"

/* The version of the JSON document's schema. */
#define AC_INSPECT_SCHEMA 1

/* A field of a frame, or a member of an unnamed struct or union inside
 * one (the _aw union, a statement group, a gather's slot). */
typedef struct ac_insp_field ac_insp_field;
struct ac_insp_field {
    const char *name;
    const char *type; /* as the compiler spells it; "struct {...}" and
                         "union {...}" for unnamed ones */
    long long size, offset, align; /* bytes; offset from the frame start */
    const char *reason;            /* a word, for programs (see below) */
    const char *note;              /* the same, for people */
    unsigned *states;              /* the states the reason names */
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
 * async_try error pointers), "gather", "wait_for", "task", "result",
 * "other". */

/* A suspension point. */
typedef struct ac_insp_state {
    unsigned id, line, col;
    const char *kind;   /* "await", "join", "gather", "wait_for" */
    const char *text;   /* the await as written, whitespace runs as one
                           space */
    const char *callee; /* the awaited function; a gather's, joined with
                           ", "; NULL for a task join */
    const char *slot;   /* where its child frame is: "_aw.a3" */
    int allocated;      /* the child frame is allocated, not embedded */
    int caught;         /* inside async_try: a failure goes on in place */
    unsigned timeout;   /* the innermost async_timeout block, or 0 */
    const ac_expr *expr;
} ac_insp_state;

/* A parameter or (non-static) local, kept in the frame or not. */
typedef struct ac_insp_local {
    const ac_var *var;
    unsigned line;
    const char *type; /* as the compiler spells it, NULL if unknown */
    long long size;   /* bytes, -1 if unknown */
    /* Why it is in the frame (a field reason, see above), or "not_live"
     * when it stays a C local of the resume function; and the states it
     * is live across (or that are in its scope, for "in_scope"). */
    const char *reason;
    unsigned *states;
    unsigned nstates;
} ac_insp_local;

/* A frame temporary or child frame slot, by its path in the frame. */
typedef struct ac_insp_slot {
    const char *path; /* "_aw.a3", "_aw.g1.t2" */
    const ac_expr *expr;
    unsigned *states; /* states it is needed across */
    unsigned nstates;
} ac_insp_slot;

typedef struct ac_insp_func {
    const ac_func *fn;
    unsigned line, col;
    ac_insp_state *states; /* states[i].id == i + 1 */
    unsigned nstates;
    ac_cfg cfg;
    ac_insp_local *locals; /* parameters, then locals in order */
    unsigned nlocals;
    ac_insp_slot *slots;
    unsigned nslots;
    /* From the compiler's layout (parse_layout.c): */
    ac_insp_field *fields;
    unsigned nfields;
    long long size, align;
    long long unshared; /* every parameter and local kept, no child frame
                           shared; -1 if unknown */
    unsigned uncounted; /* locals whose type has no name at file scope
                           (see ac_inspect_sizable), left out of
                           `unshared` */
} ac_insp_func;

typedef struct ac_inspect {
    ac_unit *u;
    ac_insp_func *funcs; /* file order */
    unsigned nfuncs;
} ac_inspect;

typedef enum { AC_INSPECT_TEXT, AC_INSPECT_JSON, AC_INSPECT_DOT } ac_format;

/* inspect_model.c */
/* Collects states, transitions, locals and slots of every async
 * function; the unit must have been emitted (states are numbered and
 * slots named while the state machines are written). */
void ac_inspect_collect(ac_inspect *ins, ac_unit *u);
/* Appends to `code` (the generated C) one struct per function holding
 * everything its frame would hold if every parameter and local were kept
 * and no child frame were shared, so that the compiler sizes it. */
void ac_inspect_unshared_code(const ac_inspect *ins, ac_buf *code);
/* Can local `v` be declared at file scope, in that struct? */
int ac_inspect_sizable(const ac_var *v);
/* The name of that struct for `f` (its member l<i> is local i). */
const char *ac_inspect_unshared_name(ac_unit *u, const ac_func *f);
void ac_inspect_free(ac_inspect *ins);

/* inspect_fields.c */
/* Says why each local is kept or not, and why each field of each frame
 * is there (after the layout). */
void ac_inspect_annotate(ac_inspect *ins);

/* "2..4, 7": `ids` sorted ascending. */
void ac_inspect_put_ranges(ac_buf *out, const unsigned *ids, unsigned n);
/* The source text of `e` with whitespace runs as one space. */
const char *ac_inspect_expr_text(ac_unit *u, const ac_expr *e);

/* inspect_text.c, inspect_json.c, inspect_dot.c */
void ac_inspect_write_text(const ac_inspect *ins, ac_buf *out);
void ac_inspect_write_json(const ac_inspect *ins, ac_buf *out);
void ac_inspect_write_dot(const ac_inspect *ins, ac_buf *out);

/* inspect_run.c: the whole of --inspect and --dot on a parsed and
 * lowered unit, written to `out`.  Returns 0, or -1 after reporting why
 * the layout could not be read. */
int ac_inspect_run(ac_unit *u, ac_format format, int nargs,
                   const char *const *args, ac_buf *out);

/* parse_layout.c: parses `code`, the generated C for the unit's file,
 * with the compiler flags, and fills each function's fields, size,
 * alignment and unshared size, and its locals' types and sizes.  Returns
 * 0, or -1 after reporting why it cannot. */
int ac_parse_layouts(ac_inspect *ins, const char *code, int nargs,
                     const char *const *args);

#endif
