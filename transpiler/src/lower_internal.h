/*
 * lower_internal.h -- the lowering's steps (see lower.h): lower.c decides
 * what lives in the frame; lower_machine.c numbers the states and builds
 * each machine; lower_cfg.c adds its transitions.
 */
#ifndef AC_LOWER_INTERNAL_H
#define AC_LOWER_INTERNAL_H

#include "lower.h"

#include <stdint.h>

/* Builds the machine of `f`, whose locals are decided and whose awaited
 * frames are marked embedded or allocated: numbers the states (ac_expr.id)
 * and names the slots (ac_expr.slot) in the order the resume function
 * runs them.  Everything is allocated in the unit's arena. */
ac_machine *ac_lower_machine(ac_unit *u, ac_func *f);

/* Adds the transitions between the states of `m`, the machine of `f`. */
void ac_lower_transitions(ac_unit *u, const ac_func *f, ac_machine *m);

#endif
