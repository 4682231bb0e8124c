/*
 * lower.h -- per-function decisions between parsing and emission.
 */
#ifndef AC_LOWER_H
#define AC_LOWER_H

#include "unit.h"

/* Decides, for every async function of `u`: which locals are hoisted into
 * the frame (those with an await in their scope) and their field names;
 * which statements are rebuilt and which are copied as text; which awaited
 * frames are allocated instead of embedded (cycles of awaits, and callees
 * defined in other files); where each state machine is placed (after the
 * state machines it embeds).  Reports locals that must be hoisted but
 * cannot be (variable-length arrays, types declared in the function).  Returns
 * 0, or -1 when an error was reported. */
int ac_lower(ac_unit *u);

#endif
