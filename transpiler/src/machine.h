/*
 * machine.h -- the state machine of one async function, as a plain data
 * structure.
 *
 * The lowering builds one ac_machine per async function (lower.h): its
 * states, the layout of its frame with the reason each field is there,
 * its async_timeout blocks and the transitions between its states.
 * Everything downstream reads it and decides nothing: the emitter prints
 * the frame and the resume function's dispatch from it, and --inspect
 * (text, JSON, Graphviz) reports it.  Nothing here refers to libclang or
 * to the IR, so a test can build a machine by hand.
 *
 *     frame struct NAME__frame {          fields[], in order:
 *         int _state;                       AC_FIELD_STATE
 *         int n;                            AC_FIELD_PARAM, AC_FIELD_LOCAL
 *         async__timeout _to1;              AC_FIELD_TIMEOUT
 *         int *_to1_err;                    AC_FIELD_TIMEOUT_ERR
 *         int _d1;                          AC_FIELD_DEFER
 *         union {                           AC_FIELD_CHILDREN: the slots,
 *             struct f__frame a1;             one statement's at a time;
 *             struct { ... } g1;              a group: one statement's
 *         } _aw;                              slots needed together
 *         int _ret;                         AC_FIELD_RESULT
 *     };
 */
#ifndef AC_MACHINE_H
#define AC_MACHINE_H

#include "buf.h"

/* --- states ---------------------------------------------------------- */

typedef enum {
    AC_STATE_AWAIT,   /* await(f(...)) */
    AC_STATE_JOIN,    /* await(task) */
    AC_STATE_GATHER,  /* await(async_gather(...)): one state for all */
    AC_STATE_WAIT_FOR /* await(async_wait_for(call or task, s)) */
} ac_state_kind;

/* A suspension point: the resume function returns to the loop there and
 * comes back through `case id:` to the label asyncc_resume_<id>. */
typedef struct ac_state {
    unsigned id; /* 1..nstates; 0 is the start, -1 done */
    ac_state_kind kind;
    unsigned offset;    /* where the await is written (byte offset) */
    unsigned line, col; /* the same, 1-based */
    const char *text;   /* the await as written, whitespace runs as one
                           space */
    const char *callee; /* the awaited function; a gather's, joined with
                           ", "; NULL for a task */
    int allocated;      /* a child frame is allocated, not embedded */
    int caught;         /* inside async_try: a failure goes on in place */
    unsigned timeout;   /* the innermost async_timeout block, or 0 */
    unsigned slot;      /* index in slots[] of its child's slot */
} ac_state;

/* --- the _aw union: slots -------------------------------------------- */

typedef enum {
    AC_SLOT_FRAME,    /* an embedded child frame (struct NAME__frame) */
    AC_SLOT_HEAP,     /* an allocated child: its frame pointer, result */
    AC_SLOT_JOIN,     /* the runtime's join of a task */
    AC_SLOT_GATHER,   /* a gather's bookkeeping, tasks and frames */
    AC_SLOT_WAIT_FOR, /* a deadline's bookkeeping, task and frame */
    AC_SLOT_TEMP,     /* the value of &&, || or ?: across later operands */
    AC_SLOT_ERRP      /* async_try's error pointer across its awaits */
} ac_slot_kind;

/* What a member of a slot's unnamed struct is for. */
typedef enum {
    AC_MEMBER_GATHER,   /* g: the gather's bookkeeping */
    AC_MEMBER_WAIT_FOR, /* w: the deadline's bookkeeping */
    AC_MEMBER_TASK,     /* t<i>: the task running call i */
    AC_MEMBER_FRAME,    /* c<i>: call i's embedded frame */
    AC_MEMBER_POINTER,  /* frame, c<i>: pointer to an allocated frame */
    AC_MEMBER_VALUE     /* value: an allocated call's result */
} ac_member_kind;

/* Why a child frame is allocated rather than embedded. */
typedef enum {
    AC_HEAP_NONE,
    AC_HEAP_RECURSION, /* this await closes a cycle of awaits */
    AC_HEAP_EXTERN,    /* defined in another file: its size is unknown */
    AC_HEAP_INDIRECT   /* called through a pointer: known at run time */
} ac_heap_why;

typedef struct ac_member {
    const char *name;
    ac_member_kind kind;
    const char *decl;   /* declaration with "%s" for the name */
    unsigned call;      /* TASK, FRAME, POINTER: which call */
    const char *callee; /* that call's function; NULL for a task's join */
    ac_heap_why heap;   /* POINTER: why */
} ac_member;

typedef struct ac_slot {
    ac_slot_kind kind;
    const char *name;   /* member of _aw or of its group: "a3", "t2" */
    const char *path;   /* from the frame: "_aw.a3", "_aw.g1.t2" */
    unsigned group;     /* its group's id, or 0 directly in _aw */
    unsigned state;     /* FRAME..WAIT_FOR: the state it serves */
    const char *decl;   /* FRAME, JOIN: the type, with "%s" for the name;
                           TEMP, ERRP: likewise; the others are unnamed
                           structs of `members` */
    ac_member *members; /* HEAP, GATHER, WAIT_FOR */
    unsigned nmembers;
    const char *callee; /* FRAME, HEAP: the child's function */
    ac_heap_why heap;   /* HEAP */
    const char *op;     /* TEMP: "&&", "||" or "?:" */
    unsigned line;      /* where its expression starts */
    unsigned *states;   /* the states it is needed across, ascending */
    unsigned nstates;
} ac_slot;

/* Several slots of one statement that may be needed at once
 * (f(await(a()), await(b()))): one struct member g<id> of _aw. */
typedef struct ac_group {
    unsigned id;
    unsigned line;    /* the earliest line of its slots */
    unsigned *states; /* the union of its slots' states, ascending */
    unsigned nstates;
} ac_group;

/* --- parameters and locals ------------------------------------------- */

typedef enum {
    AC_KEEP_PARAM,      /* a parameter: always in the frame */
    AC_KEEP_NOT_LIVE,   /* a C local of the resume function */
    AC_KEEP_LIVE,       /* used after an await (or in a loop around it) */
    AC_KEEP_ARRAY,      /* kept for every await in its scope: an array, */
    AC_KEEP_ADDRESS,    /* its address is taken, */
    AC_KEEP_MACRO,      /* a macro body uses it, */
    AC_KEEP_GOTO,       /* or the function has goto */
    AC_KEEP_DECLARATION /* shares a declaration with a kept local */
} ac_keep_why;

/* A parameter or a (non-static) local, kept in the frame or not. */
typedef struct ac_local {
    const char *name;  /* as written */
    const char *field; /* frame field (unique), NULL if not kept */
    const char *decl;  /* "TYPE %s" usable at file scope, NULL when the
                          type exists only inside the function */
    unsigned line;
    ac_keep_why why;
    const char *with; /* AC_KEEP_DECLARATION: the kept local's name */
    unsigned *states; /* the states it is live across (or that lie in
                         its scope, for the scope reasons), ascending */
    unsigned nstates;
} ac_local;

/* --- async_timeout blocks -------------------------------------------- */

typedef struct ac_timeout {
    unsigned id;      /* 1..ntimeouts: fields _to<id> and _to<id>_err */
    unsigned line;    /* where the block starts */
    unsigned parent;  /* the block around it, or 0 */
    int lands;        /* a failure inside lands after the block, so it
                         has a landing label */
    unsigned *states; /* the states inside, ascending */
    unsigned nstates;
} ac_timeout;

/* --- async_defer statements ------------------------------------------ */

/* What an async_defer's body does after it runs depends on how its
 * scope was left: its "to" int holds 0 (fell off the end), exit i + 1
 * (exits[i]) or a failure code (negative).  It is the frame field
 * _d<id> when the body awaits, else a C local asyncc_d<id>. */
typedef struct ac_defer {
    unsigned id;        /* 1..ndefers */
    unsigned line;      /* where the statement is written */
    int tracked;        /* it has a "to" int: it lands, its body reads
                           async_failing(), or it has an exit other than
                           the rest's final jump, which needs no test */
    int in_frame;       /* tracked and the body awaits: "to" is the field
                           _d<id> */
    int lands;          /* a failure inside its scope runs the body, so it
                           has a landing label */
    const char **exits; /* the jumps leaving its scope, as "return",
                           "break (line 12)", "continue (line 9)",
                           "goto done" */
    unsigned nexits;
    unsigned *states; /* the states of its body, ascending: "to" is held
                         across them */
    unsigned nstates;
} ac_defer;

/* --- the frame ------------------------------------------------------- */

typedef enum {
    AC_FIELD_STATE,       /* _state */
    AC_FIELD_PARAM,       /* a parameter (`index` in locals) */
    AC_FIELD_LOCAL,       /* a kept local (`index` in locals) */
    AC_FIELD_TIMEOUT,     /* _to<index>: a block's deadline */
    AC_FIELD_TIMEOUT_ERR, /* _to<index>_err: where it stores its error */
    AC_FIELD_DEFER,       /* _d<index>: where an async_defer goes after its
                             body that awaits */
    AC_FIELD_CHILDREN,    /* _aw: the slots */
    AC_FIELD_RESULT       /* _ret */
} ac_field_kind;

typedef struct ac_field {
    ac_field_kind kind;
    const char *name;
    const char *decl; /* declaration with "%s" for the name; NULL for
                         _aw, which is printed from the slots */
    unsigned index;
} ac_field;

/* --- transitions ----------------------------------------------------- */

/* How a transition is taken (a bit set: one pair can be reached several
 * ways).  The graph over-approximates: every branch may be taken, and
 * every loop condition may hold or fail unless it is a constant. */
enum {
    AC_EDGE_NEXT = 1,    /* ordinary control flow to the next state */
    AC_EDGE_TIMEOUT = 2, /* the state failed inside an async_timeout block,
                            which caught it; flow goes on after the block */
    AC_EDGE_RETURN = 4,  /* a return statement ends the function */
    AC_EDGE_END = 8,     /* control falls off the end of the body */
    AC_EDGE_FAIL = 16,   /* a failure propagates out and ends the function:
                            a failed await (cancellation included: every
                            await can be cancelled) or async_raise */
    AC_EDGE_DEFER = 32   /* the state failed inside an async_defer's scope:
                            the defer's body runs */
};

#define AC_DONE (-1) /* the `to` of a transition that ends the function */

typedef struct ac_transition {
    unsigned from; /* 0: the start */
    int to;        /* a state, or AC_DONE */
    unsigned kinds;
} ac_transition;

/* --- the machine ----------------------------------------------------- */

typedef struct ac_machine {
    const char *name;   /* the async function */
    unsigned line, col; /* where its name is written */
    ac_state *states;   /* states[i].id == i + 1 */
    unsigned nstates;
    ac_slot *slots; /* in the order of the _aw union; a group's slots
                       are consecutive */
    unsigned nslots;
    ac_group *groups; /* groups[i].id == i + 1 */
    unsigned ngroups;
    ac_local *locals; /* parameters, then locals in declaration order */
    unsigned nlocals;
    ac_timeout *timeouts; /* timeouts[i].id == i + 1 */
    unsigned ntimeouts;
    ac_defer *defers; /* defers[i].id == i + 1 */
    unsigned ndefers;
    ac_field *fields; /* the frame struct's members, in order */
    unsigned nfields;
    /* Sorted by `from`, then `to` with AC_DONE last. */
    ac_transition *transitions;
    unsigned ntransitions;
    /* A failure (or a return to the loop) leaves through the shared exit
     * label asyncc_exit somewhere: the resume function defines it. */
    int uses_exit;
} ac_machine;

/* The kinds of the transition from `from` (0 = start) to `to` (a state
 * or AC_DONE), 0 if there is none. */
unsigned ac_machine_edge(const ac_machine *m, unsigned from, int to);

/* Can state `id` be reached (has it an incoming transition)?  The start
 * always can; a state behind a constant condition (0 && await(f()))
 * cannot. */
int ac_machine_reachable(const ac_machine *m, unsigned id);

/* Checks the machine's invariants: state ids dense and each state's slot
 * serving it, every slot used by a state or by an expression's value,
 * groups and timeouts numbered densely and used, field names unique,
 * every transition between existing states and sorted without repeats,
 * every local's states existing.  Returns 0, or -1 with the first
 * broken invariant described in `why` (when not NULL). */
int ac_machine_verify(const ac_machine *m, ac_buf *why);

/* Writes declaration `decl` (holding "%s" for the name, or a bare type
 * followed by the name) of `name`. */
void ac_machine_put_decl(ac_buf *out, const char *decl, const char *name);

#endif
