/*
 * inspect_cfg.h -- the transitions between an async function's states.
 *
 * A state is a suspension point (an await, a gather, a wait_for, a task
 * join), numbered as the emitter numbers it (ac_expr.id); 0 is the start
 * and "done" the end.  There is an edge from A to B when the resume
 * function, having resumed at A (or started), can reach B without
 * passing another suspension point, and an edge from A to done when it
 * can end from there.  The graph comes from the IR's control flow alone,
 * so it over-approximates: every branch may be taken, and every loop
 * condition may hold or fail unless it is a constant.
 */
#ifndef AC_INSPECT_CFG_H
#define AC_INSPECT_CFG_H

#include "ir.h"
#include "source.h"

/* How an edge is taken (a bit set: one pair can be reached several
 * ways). */
enum {
    AC_EDGE_NEXT = 1,    /* ordinary control flow to the next state */
    AC_EDGE_TIMEOUT = 2, /* the state failed inside an async_timeout block,
                            which caught it; flow goes on after the block */
    AC_EDGE_RETURN = 4,  /* a return statement ends the function */
    AC_EDGE_END = 8,     /* control falls off the end of the body */
    AC_EDGE_FAIL = 16    /* a failure propagates out (a failed await, or
                            async_raise) and ends the function */
};

typedef struct ac_cfg {
    unsigned nstates;     /* states 1..nstates; 0 is the start */
    unsigned char *edges; /* (nstates + 1) x (nstates + 2) kinds */
} ac_cfg;

/* Builds the transitions of `f`, whose state expressions carry their
 * numbers (set by the emitter, or by hand in tests).  `src` is the text
 * the spans index, for recognising constant loop conditions (while (1),
 * do ... while (0)); NULL treats every condition as unknown. */
void ac_cfg_build(ac_cfg *g, const ac_func *f, const ac_source *src);

/* The kinds of the edge from state `from` (0 = start) to `to` (-1 =
 * done), 0 if there is none. */
unsigned ac_cfg_edge(const ac_cfg *g, unsigned from, int to);

/* Can state `id` be reached (has it an incoming edge)?  A state behind
 * a constant condition (0 && await(f())) cannot. */
int ac_cfg_reachable(const ac_cfg *g, unsigned id);

void ac_cfg_free(ac_cfg *g);

/* Is `e` a state of its own (await, join, gather, wait_for)? */
int ac_cfg_is_state(const ac_expr *e);

#endif
