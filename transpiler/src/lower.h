/*
 * lower.h -- per-function decisions between parsing and emission.
 */
#ifndef AC_LOWER_H
#define AC_LOWER_H

#include "machine.h"
#include "unit.h"

/* Decides, for every async function of `u`: which locals are hoisted into
 * the frame (those with an await in their scope) and their field names;
 * which statements are rebuilt and which are copied as text; which awaited
 * frames are allocated instead of embedded (cycles of awaits, and callees
 * defined in other files); where each state machine is placed (after the
 * state machines it embeds).  Reports locals that must be hoisted but
 * cannot be (variable-length arrays, types declared in the function).  Then
 * builds each function's state machine (f->machine, see machine.h): its
 * states numbered and slots named in the IR (ac_expr.id and .slot), its
 * frame, async_timeout blocks and transitions; debug builds check each
 * with ac_machine_verify.  Returns 0, or -1 when an error was reported
 * (then no machine is built). */
int ac_lower(ac_unit *u);

/* The same, except that release builds leave out the transitions
 * (ntransitions 0), which the generated C does not need: the lowering
 * for normal output. */
int ac_lower_for_c(ac_unit *u);

/* The frame slots (child frames, temporaries) the awaits of `e` take:
 * a statement with several gets a group of them. */
unsigned ac_lower_count_slots(const ac_expr *e);

/* Does jump statement `jump` (a return, break, continue or goto, from
 * inside `scope`) leave `scope`, an async_timeout block or the scope of
 * an async_defer? */
int ac_lower_leaves(const ac_stmt *scope, const ac_stmt *jump);

/* The code by which `jump` leaves async_defer `defer` (its exits[] index
 * + 1; the jumps to one destination share one), or 0 if it has none. */
unsigned ac_lower_exit_code(const ac_stmt *defer, const ac_stmt *jump);

/* The last of `rest`, the statements after async_defer `defer` in its
 * block, when it is a jump out of the defer's scope: then control never
 * falls off the rest's end, and the defer's body always ends with a jump
 * or a failure.  NULL otherwise. */
const ac_stmt *ac_lower_final_jump(const ac_stmt *defer, ac_stmt *const *rest,
                                   unsigned nrest);

/* Is `s` a goto (a statement copied as text that names a label)? */
int ac_lower_is_goto(const ac_stmt *s);

#endif
