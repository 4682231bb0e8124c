/*
 * emit_internal.h -- state shared by the emitter's files.
 */
#ifndef AC_EMIT_INTERNAL_H
#define AC_EMIT_INTERNAL_H

#include "emit.h"

typedef struct ac_emitter {
    ac_unit *u;
    ac_func *fn;
    const ac_emit_options *opt;
    ac_buf *out;
    int indent;
    unsigned nstates;      /* awaits numbered so far = resume states */
    unsigned *state_lines; /* source line of each state's await, [1..] */
    unsigned cap_state_lines;
    unsigned ntemps;  /* frame temporaries numbered so far */
    unsigned ngroups; /* statement groups of several slots so far */
    ac_buf aw;        /* members of the frame's _aw union */
    ac_buf group;     /* members of the statement group being built */
    unsigned group_size, group_id;
    /* Comments between the previous statement and the next one, written
     * on the next statement's first line (so a fall-through comment still
     * precedes its case label after the #line directive). */
    unsigned lead_begin, lead_end;
    /* The source position every generated line is attributed to (with
     * #line directives): the statement, or the await being expanded. */
    unsigned at;
    int has_at;
    int uses_exit;         /* asyncc_r and the asyncc_exit label are needed */
    const char *catch_ptr; /* inside async_try: the frame path of the
                              error pointer; failed awaits store there */
    /* The async_timeout blocks around the statement being emitted,
     * innermost last; a failure inside one jumps to its landing label,
     * asyncc_timeout_<id>, and marks it used. */
    const ac_stmt *scopes[64];
    int scope_used[64];
    unsigned nscopes;
} ac_emitter;

void ac_emit_indent(ac_emitter *E);
/* Where a failure goes now: the landing label of the innermost
 * async_timeout block (marked used), or asyncc_exit. */
const char *ac_emit_fail_label(ac_emitter *E);
/* Ends the deadlines of the async_timeout blocks that a jump to `target`
 * (a loop, a switch, or NULL for a return) leaves, innermost first. */
void ac_emit_leave_scopes(ac_emitter *E, const ac_stmt *target);
/* A #line directive for the source line of `offset` (if enabled). */
void ac_emit_line(ac_emitter *E, unsigned offset);
/* Writes declaration `decl` (holding a "%s" for the name) for `name`. */
void ac_emit_decl(ac_buf *out, const char *decl, const char *name);
/* Parameter list of helpers: "T0 a0, T1 a1" (or "void"), optionally
 * preceded by the frame pointer. */
void ac_emit_params(ac_buf *out, const ac_callee *c, int with_frame);
const char *ac_emit_param_name(unsigned i);
/* Whether `c` has NAME__new/NAME__finish, and their definitions. */
int ac_emit_has_heap_api(const ac_callee *c);
void ac_emit_heap_api(const ac_callee *c, ac_buf *out);
/* The run/spawn helpers `c` needs (static functions). */
void ac_emit_helpers(ac_unit *u, const ac_callee *c, ac_buf *out);

/* emit_text.c */
/* Copies [a, b) of the source, pointing references to hoisted variables
 * at their frame fields. */
void ac_emit_text(ac_emitter *E, unsigned a, unsigned b);
/* Starts a generated line and writes `text`. */
void ac_emit_put_line(ac_emitter *E, const char *text);

/* emit_expr.c */
/* Emits, in evaluation order, the statements that run every await inside
 * `e`, leaving their results in the child frames for ac_emit_value. */
void ac_emit_awaits(ac_emitter *E, ac_expr *e);
/* The same for one full expression, as one group of child frames. */
void ac_emit_root_awaits(ac_emitter *E, ac_expr *e);
/* The value of an expression once its awaits have completed. */
void ac_emit_value(ac_emitter *E, const ac_expr *e);
/* Frame slots (child frames, temporaries) an expression needs. */
unsigned ac_emit_count_slots(const ac_expr *e);
int ac_emit_has_slots(const ac_expr *e);
void ac_emit_begin_group(ac_emitter *E, unsigned nslots);
void ac_emit_end_group(ac_emitter *E);

/* emit_stmt.c */
/* Emits statement `s`; `in_block` says whether it may expand to several
 * statements in place (inside braces). */
void ac_emit_stmt(ac_emitter *E, ac_stmt *s, int in_block);

#endif
