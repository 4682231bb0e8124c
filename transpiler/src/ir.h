/*
 * ir.h -- asyncc's own small IR of the parts of a file it rewrites.
 *
 * The parser (the only module that sees libclang) fills these structures;
 * lowering and emission work on them alone, so they can be built by hand
 * in unit tests.  Positions are byte offsets into the main file (see
 * source.h): the emitter copies user code as text from those spans, so
 * formatting, comments and macros inside expressions survive untouched.
 *
 * Expressions are kept as text except where an await makes structure
 * matter: an ac_expr node exists for each await, spawn, and each
 * enclosing expression up to the statement, so that the lowering can
 * evaluate awaits in order and splice their results back into the text.
 */
#ifndef AC_IR_H
#define AC_IR_H

typedef struct ac_span {
    unsigned begin, end; /* [begin, end) byte offsets in the main file */
} ac_span;

typedef struct ac_func ac_func;
typedef struct ac_var ac_var;
typedef struct ac_expr ac_expr;
typedef struct ac_stmt ac_stmt;
typedef struct ac_machine ac_machine;

/* An async function as its callers see it: enough to embed its frame and
 * call its init and resume functions (the naming convention is in
 * runtime/include/async.h). */
typedef struct ac_callee {
    const char *name;
    const char *ret_type; /* abstract declarator of the result type */
    const char *ret_decl; /* the result type declaring "%s" */
    int result_kind;      /* ASYNC__RESULT_* */
    int is_void;
    unsigned nparams;
    const char **param_types; /* abstract declarators, for helpers */
    ac_func *def;             /* definition in the main file, or NULL */
    int frame_visible;        /* struct NAME__frame is defined in the TU */
    int needs_run;            /* NAME__run helper requested (async_run) */
    int needs_spawn;          /* NAME__spawn helper requested */
    int needs_heap;           /* NAME__new/NAME__finish are called here */
    int needs_starter;        /* NAME is pointed to, or spawned through NAME */
    /* A call through an async function pointer: `name` is "(*P)", P the
     * pointer expression's text; no frame type, no helpers. */
    int is_pointer;
} ac_callee;

typedef enum {
    AC_E_TEXT,    /* source text; `kids` are sub-expressions with awaits */
    AC_E_AWAIT,   /* await(call): `callee`, `kids` = the call's arguments */
    AC_E_JOIN,    /* await(task): `kids[0]` = the task expression */
    AC_E_GATHER,  /* await(async_gather(...)): `kids` = AC_E_CALL children */
    AC_E_CALL,    /* a gathered call: `callee`, `kids` = arguments */
    AC_E_SPAWN,   /* async_spawn(call): `callee`, `kids` = arguments */
    AC_E_RAISE,   /* async_raise(code): `kids[0]` = the code */
    AC_E_TRY,     /* async_try(expr, errp): `kids` = errp, expr */
    AC_E_WAITFOR, /* await(async_wait_for(call, s)): `kids` = CALL, s */
    AC_E_SPAWNER, /* an async function passed as a handler: `callee` */
    AC_E_FAILING  /* async_failing() in an async_defer body: `id` = the
                     defer's number */
} ac_expr_kind;

/* The operator of a text node, where evaluation order depends on it. */
typedef enum {
    AC_OP_OTHER,
    AC_OP_LAND, /* && */
    AC_OP_LOR,  /* || */
    AC_OP_COND, /* ?: */
    AC_OP_COMMA /* , */
} ac_op;

struct ac_expr {
    ac_expr_kind kind;
    ac_op op;
    ac_span span; /* the whole expression, await( ... ) included */
    ac_expr **kids;
    unsigned nkids;
    ac_callee *callee; /* AWAIT, CALL, SPAWN */
    int is_void;       /* the expression's value is void */
    /* Sequencing nodes (op != AC_OP_OTHER) keep every operand as a kid,
     * in order; `temp_decl` declares the frame temporary ("int %s") that
     * holds the value of && || ?: (NULL for comma and void ?:). */
    const char *temp_decl;
    /* AWAIT/CALL/SPAWN whose call a macro wrote (FETCH(1) expanding to
     * fetch((1), 0)): the call's text, with the awaits in its arguments
     * as kids; the emitter redirects the callee's name with a #define. */
    ac_expr *macro_call;
    /* CALL of a gather: where its result goes (`x = f()`: the text of x)
     * and, inside async_try(call, errp), the error pointer; else NULL. */
    ac_expr *store;
    ac_expr *errp;
    /* AWAIT/CALL/SPAWN through an async function pointer: the pointer
     * expression (text, no await); the call goes through its starter. */
    ac_expr *fnptr;
    int failfast;     /* GATHER: async_gather_failfast */
    int is_statement; /* RAISE: written as a statement of its own */
    /* Filled by the lowering: */
    int heap;         /* AWAIT/CALL: the child frame is allocated, not
                         embedded (recursion, defined in another file, or
                         a call through a pointer); SPAWN: the task starts
                         through the callee's starter (a pointer, a call
                         a macro writes, defined in another file) */
    unsigned id;      /* await number = resume state (AWAIT/JOIN/GATHER) */
    const char *slot; /* frame path of the child frame, e.g. "_aw.a3" */
};

/* Why a local lives in the frame.  USE: it is used after an await (or
 * in a loop around it) in its scope.  The SCOPE_* reasons make every
 * await in its scope count, because uses cannot be followed: it is an
 * array, its address is taken, a macro body uses it, or the function
 * has goto.  DECLARATION: it shares a declaration with a hoisted local
 * (a declaration is rewritten as a whole). */
typedef enum {
    AC_LIVE_NONE,
    AC_LIVE_USE,
    AC_LIVE_SCOPE_ARRAY,
    AC_LIVE_SCOPE_ADDRESS,
    AC_LIVE_SCOPE_MACRO,
    AC_LIVE_SCOPE_GOTO,
    AC_LIVE_DECLARATION
} ac_live_why;

/* A local variable or parameter of an async function. */
struct ac_var {
    const char *name;       /* as written */
    const char *field;      /* frame field name (unique in the frame) */
    const char *field_decl; /* "TYPE field" declaration, NULL if the type
                               cannot live in a frame (see type_error) */
    const char *type;       /* abstract declarator, for compound literals */
    const char *type_error; /* why the type cannot be hoisted, or NULL */
    const char *local_type; /* the type is declared inside the function:
                               the field is opaque bytes, seen through a
                               cast to this pointer type; else NULL */
    unsigned offset;        /* position of the name in its declaration */
    unsigned scope_begin, scope_end; /* where the name is in scope */
    int is_param;
    int is_static; /* static or extern: never hoisted */
    int is_array;
    int hoisted;            /* lives in the frame (set by the lowering) */
    int addr_taken;         /* &name appears: pointers may outlive an await */
    int macro_use;          /* used from a macro body, where refs are unseen */
    int named_in_macros;    /* macro arguments may keep its name, in
                               statements without an unsafe_at offset */
    int macro_name_checked; /* named_in_macros was decided */
    unsigned *unsafe_at;    /* sorted: tokens spelled like it that are not
                               it, and macro calls whose definitions have it */
    unsigned nunsafe;
    ac_expr *init;    /* initializer, or NULL */
    int init_is_list; /* the initializer is a braced list */
    /* Why it is hoisted (set by the lowering; --inspect reports it):
     * the awaits it is live across, as offsets from f->await_offsets. */
    ac_live_why live_why;
    unsigned *live_at;
    unsigned nlive_at;
    const ac_var *hoisted_with; /* AC_LIVE_DECLARATION: the hoisted one */
};

/* How deeply async_timeout blocks may nest (the parser refuses deeper):
 * the lowering and the emitter keep the blocks around a point in a fixed
 * stack. */
#define AC_MAX_TIMEOUT_DEPTH 64

typedef enum {
    AC_S_COMPOUND,
    AC_S_EXPR,
    AC_S_DECL,
    AC_S_IF,
    AC_S_WHILE,
    AC_S_DO,
    AC_S_FOR,
    AC_S_SWITCH,
    AC_S_CASE,  /* case and default: `head` is "case X:" text */
    AC_S_LABEL, /* label: `head` is "name:" text */
    AC_S_BREAK,
    AC_S_CONTINUE,
    AC_S_RETURN,
    AC_S_TIMEOUT, /* async_timeout(seconds, errp) body: `expr` = seconds,
                     `inc` = errp, `id` = its number in the function */
    AC_S_DEFER,   /* async_defer body: `id` = its number in the function;
                     its scope is the rest of the enclosing block,
                     [span.end, scope_end) */
    AC_S_TEXT     /* any other statement (goto, asm, ;): copied as text */
} ac_stmt_kind;

struct ac_stmt {
    ac_stmt_kind kind;
    ac_span span;
    ac_expr *expr;  /* EXPR, RETURN value, IF/WHILE/DO/SWITCH/FOR cond */
    ac_expr *inc;   /* FOR increment */
    ac_stmt *init;  /* FOR init (DECL or EXPR statement), or NULL */
    ac_stmt *body;  /* IF then, loop/switch body, CASE/LABEL substmt */
    ac_stmt *els;   /* IF else */
    ac_stmt **kids; /* COMPOUND statements */
    unsigned nkids;
    ac_var **vars; /* DECL: the variables it declares */
    unsigned nvars;
    ac_span head;       /* CASE/LABEL: text before the sub-statement;
                           DECL: a struct, union or enum it defines
                           (empty if none), kept when its variables are
                           hoisted */
    ac_stmt *target;    /* BREAK/CONTINUE: the loop or switch; TEXT: the
                           LABEL statement a goto jumps to */
    int is_default;     /* CASE: a default label */
    unsigned scope_end; /* DEFER: where its scope ends */
    int reads_failing;  /* DEFER: its body uses async_failing() */
    /* LABEL: its name; TEXT: the label a goto jumps to (else NULL). */
    const char *label;
    /* Filled by the lowering: */
    int has_await;       /* an await is somewhere inside */
    int restructured;    /* a loop emitted as for (;;) with a continue label */
    int continue_label;  /* a continue jumps to that label */
    int needs_structure; /* cannot be copied as plain text */
    unsigned id;         /* loop number for generated labels */
    /* DEFER: the jumps that leave its scope, one per destination (a
     * return, a break or continue of one loop, a goto to one label); the
     * code of exits[i] is i + 1. */
    ac_stmt **exits;
    unsigned nexits, capexits;
};

/* A reference to a local or parameter inside an async function's body,
 * rewritten to the frame field when the variable is hoisted. */
typedef struct ac_ref {
    unsigned offset, len;
    ac_var *var;
    int in_macro; /* written in a macro call's arguments */
} ac_ref;

struct ac_func {
    const char *name;
    ac_callee *callee;
    int is_static;
    ac_span span; /* the whole definition, specifiers included */
    unsigned name_offset;
    const char *ret_decl_field; /* "TYPE _ret", NULL for void */
    ac_var **params;
    unsigned nparams;
    ac_var **vars; /* every local declared in the body */
    unsigned nvars;
    ac_stmt *body;
    ac_ref *refs; /* sorted by offset */
    unsigned nrefs;
    int has_goto;       /* liveness falls back to scopes */
    int expands_macros; /* a macro is called in the body */
    unsigned ntimeouts; /* async_timeout blocks, numbered from 1 */
    ac_stmt **defers;   /* async_defer statements: defers[i]->id ==
                           i + 1 */
    unsigned ndefers;
    unsigned *await_offsets; /* every await point, sorted */
    unsigned nawaits;
    ac_callee **awaited; /* async functions whose frames are embedded */
    unsigned nawaited;
    /* Filled by the lowering: */
    ac_machine *machine; /* its state machine (machine.h) */
    unsigned emit_at;    /* offset after which its state machine is placed */
    int placed;          /* placement order, 0 until placed */
    unsigned scc;        /* strongly connected component of the await graph:
                            functions that reach each other through awaits */
    unsigned index, low; /* Tarjan's numbering while computing it */
};

/* A prototype of an async function in the main file: replaced by the
 * prototypes of the functions generated for it. */
typedef struct ac_proto {
    ac_span span; /* the declaration, its ';' included */
    ac_callee *callee;
} ac_proto;

/* A text edit of the main file outside async functions (async_run calls
 * in plain functions, prototypes after declarations). */
typedef struct ac_edit {
    unsigned begin, end; /* replaced span; begin == end inserts */
    const char *text;
    int resync; /* emit #line after the edit */
} ac_edit;

/* Warnings asyncc reported (libclang's, at the user's lines) that the
 * generated code is not to repeat: the compiler is told to ignore these
 * options in what is generated from `span`, an async function
 * definition (its state machine) or a plain top-level declaration whose
 * async_run call drew them (the declaration as written).  `options` are
 * clang's names without "-W", e.g. "int-conversion". */
typedef struct ac_quiet {
    ac_span span;
    int is_async;
    const char **options;
    unsigned noptions, capoptions;
} ac_quiet;

#endif
