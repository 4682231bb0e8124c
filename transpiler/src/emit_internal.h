/*
 * emit_internal.h -- state shared by the emitter's files.
 *
 * The emitter prints what the lowering decided (each function's machine,
 * machine.h, and the ids and slots it wrote into the IR) and splices the
 * user's text around it.  Its files call downwards only:
 *
 *     emit_output.c    the whole file: edits, placement
 *       emit_function.c  one state machine: frame, init, resume
 *         emit_stmt.c      statements
 *           emit_expr.c      awaits inside expressions
 *             emit_text.c      lines, #line, copied text, failure labels
 *       emit_helpers.c   prototypes, run/spawn helpers, NAME__new
 */
#ifndef AC_EMIT_INTERNAL_H
#define AC_EMIT_INTERNAL_H

#include "emit.h"
#include "lower.h"

typedef struct ac_emitter {
    ac_unit *u;
    ac_func *fn;
    const ac_emit_options *opt;
    const ac_machine *m; /* fn's machine */
    ac_buf *out;
    int indent;
    /* Comments between the previous statement and the next one, written
     * on the next statement's first line (so a fall-through comment still
     * precedes its case label after the #line directive). */
    unsigned lead_begin, lead_end;
    /* The source position every generated line is attributed to (with
     * #line directives): the statement, or the await being expanded. */
    unsigned at;
    int has_at;
    const char *catch_ptr; /* inside async_try: the frame path of the
                              error pointer; failed awaits store there */
    /* The async_timeout blocks and async_defer scopes around the
     * statement being emitted, innermost last; a failure inside one jumps
     * to its landing label, asyncc_timeout_<id> or asyncc_defer_fail_<id>
     * (the machine says which have one). */
    const ac_stmt **scopes;
    unsigned nscopes;
    /* Hoisted locals the statement being copied names as written, under
     * a #define (ac_emit_text_stmt). */
    const ac_var *bare[8];
    unsigned nbare;
} ac_emitter;

/* emit_text.c */
/* Starts a generated line: its #line directive, indentation and any
 * comments carried over from between statements. */
void ac_emit_indent(ac_emitter *E);
/* Starts a generated line and writes `text`. */
void ac_emit_put_line(ac_emitter *E, const char *text);
/* A #line directive for the source line of `offset` (if enabled). */
void ac_emit_line(ac_emitter *E, unsigned offset);
/* Copies [a, b) of the source, pointing references to hoisted variables
 * at their frame fields. */
void ac_emit_text(ac_emitter *E, unsigned a, unsigned b);
/* Copies statement [a, b) of the source on lines of its own.  Frame
 * locals in its macro arguments keep their names (so `#x` and assert's
 * message show them): `#define x (_f->x)` before, `#undef x` after. */
void ac_emit_text_stmt(ac_emitter *E, unsigned a, unsigned b);
/* A hoisted variable as an lvalue: its frame field, seen through its
 * type when that type is declared inside the function. */
void ac_emit_var(ac_emitter *E, const ac_var *v);
/* Where a failure goes now: the landing label of the innermost
 * async_timeout block or async_defer scope, or asyncc_exit. */
const char *ac_emit_fail_label(ac_emitter *E);
/* The int that says where async_defer `id` goes after its body: a frame
 * field when the body awaits, else a local of the resume function. */
const char *ac_emit_defer_to(ac_emitter *E, unsigned id);

/* emit_output.c */
/* Starts generated code that belongs to no line of the user's (frames,
 * prototypes, helpers): with #line directives, a directive that
 * ac_emit_output turns into one naming the output file itself at the
 * next line's number, so that a debugger's breakpoint on a user's line
 * never lands in generated code and generated code shows as itself. */
void ac_emit_generated(const ac_emit_options *opt, ac_buf *out);

/* emit_quiet.c */
/* Opens and closes a stretch of output in which the compiler ignores
 * the warning options of `q` (clang's names for clang, gcc's for gcc,
 * none that gcc lacks). */
void ac_emit_quiet_push(const ac_quiet *q, ac_buf *out);
void ac_emit_quiet_pop(ac_buf *out);

/* emit_helpers.c */
/* Parameter list of helpers: "T0 a0, T1 a1" (or "void"), optionally
 * preceded by the frame pointer. */
void ac_emit_params(ac_buf *out, const ac_callee *c, int with_frame);
const char *ac_emit_param_name(unsigned i);
/* Whether `c` has NAME__new/NAME__finish, and their definitions. */
int ac_emit_has_heap_api(const ac_callee *c);
void ac_emit_heap_api(const ac_callee *c, ac_buf *out);
/* Whether `c` (defined here) has a starter, NAME itself as a plain
 * function that pointers to it call (see async.h), and its definition. */
int ac_emit_has_starter(const ac_callee *c);
void ac_emit_starter(const ac_callee *c, ac_buf *out);
/* The run/spawn helpers `c` needs (static functions). */
void ac_emit_helpers(ac_unit *u, const ac_callee *c, ac_buf *out);

/* emit_expr.c */
/* Emits, in evaluation order, the statements that run every await inside
 * `e`, leaving their results in the child frames for ac_emit_value. */
void ac_emit_awaits(ac_emitter *E, const ac_expr *e);
/* The value of an expression once its awaits have completed. */
void ac_emit_value(ac_emitter *E, const ac_expr *e);
/* Does `e` take frame slots (child frames, temporaries)? */
int ac_emit_has_slots(const ac_expr *e);

/* emit_stmt.c */
/* Emits statement `s`; `in_block` says whether it may expand to several
 * statements in place (inside braces). */
void ac_emit_stmt(ac_emitter *E, ac_stmt *s, int in_block);
/* Emits the statements of a block; `lead` is where the comments before
 * the first one start. */
void ac_emit_list(ac_emitter *E, ac_stmt **kids, unsigned n, unsigned lead);

#endif
