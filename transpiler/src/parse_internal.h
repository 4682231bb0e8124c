/*
 * parse_internal.h -- shared state of the parser's files.  Only the
 * parse_*.c files include libclang; everything they produce is IR.
 */
#ifndef AC_PARSE_INTERNAL_H
#define AC_PARSE_INTERNAL_H

#include "parse.h"

#include <clang-c/Index.h>

/* The dialect's constructs, recognised by their marker calls. */
typedef enum {
    AC_MARK_NONE,
    AC_MARK_AWAIT,
    AC_MARK_GATHER,
    AC_MARK_SPAWN,
    AC_MARK_RUN,
    AC_MARK_RAISE,
    AC_MARK_TRY,
    AC_MARK_WAIT_FOR,
    AC_MARK_GATHER_FAILFAST,
    AC_MARK_TIMEOUT,
    AC_MARK_DEFER,
    AC_MARK_FAILING,
    AC_MARK_COUNT
} ac_mark;

/* A list of cursors: owned (cap > 0) or a child list the cache keeps
 * until it forgets (cap == 0), which must not be written to; add to it
 * and free it only through parse_util.c. */
typedef struct ac_cursors {
    CXCursor *items;
    unsigned n, cap;
} ac_cursors;

/* A sorted set of offsets (macro expansion starts). */
typedef struct ac_offsets {
    unsigned *items;
    unsigned n, cap;
} ac_offsets;

/* Maps a declaration's name offset to the variable built for it. */
typedef struct ac_var_entry {
    unsigned decl_offset;
    ac_var *var;
    int from_macro; /* a use of it comes from a macro body */
    unsigned macro_use_offset;
} ac_var_entry;

/* A macro definition seen anywhere in the translation unit. */
typedef struct ac_macro_def {
    const char *name;
    CXCursor cursor;
} ac_macro_def;

/* A macro expansion written in the main file. */
typedef struct ac_expansion {
    ac_span span;
    CXCursor cursor;
    unsigned parent; /* 1 + index of the innermost expansion around this
                        one (a macro call in another's argument), or 0 */
    int dialect;     /* await(), async_gather()...: asyncc's own */
} ac_expansion;

typedef struct ac_parser {
    ac_unit *u;
    CXTranslationUnit tu;
    CXFile main_file;
    ac_offsets
        macro_at[AC_MARK_COUNT]; /* indexed by ac_mark: where each is written */
    CXCursor join_cancel;        /* <async.h>'s async__join_cancel */
    ac_callee **callee_index;    /* open addressing on the name; NULL: free */
    unsigned callee_index_cap;   /* a power of two, or 0 */
    ac_expansion *expansions;    /* every expansion in the main file, sorted */
    unsigned nexpansions, capexpansions;
    const char **fn_macros; /* names of function-like macros, sorted */
    unsigned nfn_macros, capfn_macros;
    ac_macro_def *defs; /* every macro definition (parse_macro_args.c) */
    unsigned ndefs, capdefs;
    int defs_sorted; /* named and sorted by name */
    /* Names of struct NAME__frame definitions visible in the TU. */
    const char **frames;
    unsigned nframes, capframes;
    /* While parsing one async function: */
    ac_func *fn;
    ac_var_entry *vars;
    unsigned nvars, capvars;
    ac_stmt *timeout_scope; /* innermost async_timeout block, or NULL */
    unsigned timeout_depth; /* async_timeout blocks around the statement */
    ac_stmt *defer_body;    /* the async_defer whose body is being read */
    int block_kid;          /* the statement being read is a block's */
    /* The async_defer scopes and bodies open around the statement, with
     * the innermost switch when each opened: a case label of that switch
     * inside would let the switch jump past the defer statement. */
    struct ac_defer_open {
        const ac_stmt *defer;
        const ac_stmt *sw;
        int body;
    } * defer_open;
    unsigned ndefer_open, capdefer_open;
    ac_stmt **breakables; /* enclosing loops and switches */
    unsigned nbreakables, capbreakables;
    unsigned scope_end; /* end of the innermost enclosing block */
    unsigned top_begin; /* start of the top-level declaration being read */
    struct ac_parse_diags *diags; /* libclang's, see parse_diags.c */
    ac_expr **raises; /* async_raise nodes of the function being read */
    unsigned nraises, capraises;
} ac_parser;

/* parse_cache.c: libclang's answers about the cursors of one
 * translation unit, kept from its first pass to the end of its reading
 * (open replaces any cache still open; close frees it).  The queries
 * answer 0 (children) or -1 (extent) for a cursor of another
 * translation unit, which the caller then asks libclang about.
 * Children: `*kids` stays valid until the next query.  Extent: 1 with
 * its file offsets when both ends are in `main_file`, else 0. */
void ac_parse_cache_open(CXTranslationUnit tu, CXFile main_file);
void ac_parse_cache_close(void);
/* Drops every answer kept (the parser moves to the next top-level
 * declaration). */
void ac_parse_cache_forget(void);
int ac_parse_cache_children(CXCursor c, const CXCursor **kids, unsigned *n);
int ac_parse_cache_extent(CXCursor c, unsigned *begin, unsigned *end);
/* Records the child lists of every node under `top` (a top-level
 * declaration) in one traversal: a traversal per list, or per walk,
 * costs libclang its visitor setup and its walk again each time. */
void ac_parse_cache_fill(CXCursor top);
/* The marker a ParenExpr was found to hold (ac_parse_marker), or -1
 * when it was not asked yet (or `c` is of another translation unit). */
int ac_parse_cache_mark(CXCursor c);
void ac_parse_cache_set_mark(CXCursor c, ac_mark m);
/* clang_visitChildren's contract (preorder, the visitor's answer
 * decides whether to recurse, nonzero when it stopped the walk) over the
 * kept lists where there are some. */
unsigned ac_parse_cache_walk(CXCursor c, CXCursorVisitor visitor,
                             CXClientData data);

/* parse_util.c */
void ac_cursors_children(CXCursor c, ac_cursors *out);
void ac_cursors_free(ac_cursors *cs);
int ac_parse_in_main(ac_parser *p, CXCursor c);
/* The file span of a cursor's extent; 0 if it is not in the main file. */
int ac_parse_span(ac_parser *p, CXCursor c, ac_span *out);
/* File offset of a location in the main file; 0 if it is elsewhere. */
int ac_parse_offset(ac_parser *p, CXSourceLocation loc, unsigned *out);
/* The line of `file` holding byte `offset`, without its line end, in the
 * unit's arena; NULL when the file's text is not available. */
char *ac_parse_file_line(ac_parser *p, CXFile file, unsigned offset);
ac_mark ac_parse_marker(CXCursor c, ac_cursors *operands);
CXCursor ac_parse_strip_parens(CXCursor c);
/* An operand of a dialect macro without the implicit conversions and
 * the parentheses the macro wrote around it (they span `whole`, the
 * invocation). */
CXCursor ac_parse_macro_operand(ac_parser *p, CXCursor op, ac_span whole);
/* The operand of a dialect construct without its (void) cast. */
CXCursor ac_parse_uncast(CXCursor op);
/* Reports an error unless the construct `what` (marker m) at span was
 * written in the function body, not inside another macro's definition;
 * extends `span` over the whole invocation. */
int ac_parse_check_written(ac_parser *p, ac_mark m, ac_span *span,
                           const char *what);
/* The async function a call expression calls, or a null cursor. */
CXCursor ac_parse_async_callee(CXCursor call);
int ac_parse_is_async_decl(CXCursor fn);
/* The declaration carries the dialect's `async` attribute. */
int ac_parse_has_async_attr(CXCursor decl);
int ac_parse_is_task_type(CXType t);
char *ac_parse_spelling(ac_parser *p, CXCursor c);
/* Does the generated resume function declare `name` itself (the frame
 * pointer _f, asyncc_r, the labels asyncc_resume_N and asyncc_exit)?  A
 * local, parameter or label of that name in an async function would
 * clash with it. */
int ac_parse_is_generated_name(const char *name);
void ac_offsets_add(ac_offsets *o, unsigned v);
void ac_offsets_sort(ac_offsets *o);
int ac_offsets_has(const ac_offsets *o, unsigned v);
void ac_parse_error(ac_parser *p, unsigned offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ac_parse_note(ac_parser *p, unsigned offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reports that `operand` (of await, async_spawn, ...: `what`) is not a
 * call to an async function, naming the function when it is a call. */
void ac_parse_not_async(ac_parser *p, CXCursor operand, unsigned fallback,
                        const char *what);
/* Skips spaces and comments forward from `at`. */
unsigned ac_parse_skip_space(ac_parser *p, unsigned at);
/* The operator of a binary operator cursor ("&&", "+", ...), "?" when
 * it is inside a macro body known to hold no sequencing operator, or
 * NULL when it cannot be told. */
char *ac_parse_binary_op(ac_parser *p, CXCursor c);
/* The expansion written at `begin` in the main file, or NULL. */
const ac_expansion *ac_parse_expansion_at(ac_parser *p, unsigned begin);

/* parse_type.c */
char *ac_parse_declarator(ac_parser *p, CXType t, const char *name,
                          int strip_const, const char **error);
int ac_parse_result_kind(CXType t);

/* parse_callee.c */
ac_callee *ac_parse_callee(ac_parser *p, CXCursor fn);
/* Is `parm` of async function `fn` a handler parameter of the runtime's
 * (async_serve's), whose argument becomes the handler's spawner? */
int ac_parse_is_handler_param(ac_parser *p, CXCursor fn, CXCursor parm);

/* parse_body.c */
void ac_parse_async_function(ac_parser *p, CXCursor fn, ac_func *f);

/* parse_expr.c */
ac_expr *ac_parse_expr(ac_parser *p, CXCursor c);
ac_expr *ac_parse_call_node(ac_parser *p, CXCursor call, ac_expr_kind kind,
                            ac_span span);
void *ac_parse_alloc(ac_parser *p, size_t n);
/* `items`, an array of `n` elements of `size` bytes that only this
 * function has grown, with room for one more: copied to a new arena
 * block when full.  The capacity follows from the count (4, then each
 * power of two), so appending stays linear in time and memory. */
void *ac_parse_grow(ac_parser *p, void *items, unsigned n, size_t size);
/* Where a cursor is: its name's offset, else its extent's start. */
unsigned ac_parse_cursor_offset(ac_parser *p, CXCursor c);

/* parse_stmt.c */
ac_stmt *ac_parse_stmt(ac_parser *p, CXCursor c);
ac_var *ac_parse_var(ac_parser *p, CXCursor c, int is_param);

/* Refuses gotos that enter an async_defer's scope or body, or leave a
 * body; points each goto of `f` at its label (ac_stmt.target). */
void ac_parse_check_defer_gotos(ac_parser *p, ac_func *f);

/* parse_fnptr.c: async function pointers */
typedef enum { AC_FN_NONE, AC_FN_PLAIN, AC_FN_ASYNC } ac_fn_kind;
/* Does type `t` (a function type or a pointer to one) come from a
 * typedef declared async? */
int ac_parse_type_is_async_fn(CXType t);
/* What an expression is as a function: not one, a plain function (or a
 * pointer to one), or an async one. */
ac_fn_kind ac_parse_fn_kind(ac_parser *p, CXCursor c);
/* A call through an async function pointer; a call of an async
 * function, directly or through a pointer. */
int ac_parse_is_async_pointer_call(ac_parser *p, CXCursor call);
int ac_parse_is_async_call(ac_parser *p, CXCursor call);
/* The function a call names (f(x), (f)(x), (&f)(x)), or a null cursor
 * for a call through a pointer. */
CXCursor ac_parse_direct_callee(CXCursor call);
/* The called expression of a call. */
CXCursor ac_parse_pointer_expr(CXCursor call);
/* The callee of a call through an async function pointer (not indexed:
 * one per call). */
ac_callee *ac_parse_pointer_callee(ac_parser *p, CXCursor call);
/* Reports the conversions between async and plain function pointers in
 * the top-level declaration `top` and notes the async functions used as
 * values (they get starters). */
void ac_parse_check_fnptrs(ac_parser *p, CXCursor top);

/* parse.c: the construct a dialect macro's name spells, or AC_MARK_NONE. */
ac_mark ac_parse_mark_of_macro(const char *name);

/* parse_diags.c: libclang's diagnostics.  ac_parse_report_errors
 * reports them, and returns their number, when the parse has errors
 * (also warnings that -Werror in `args` makes errors, where asyncc
 * reports warnings); otherwise it keeps the warnings about code asyncc
 * rewrites for ac_parse_report_warnings, called when asyncc's own checks
 * found no error (a file that misuses the dialect draws warnings about
 * <async.h>'s spelling of it, not about the user's code).  Reported
 * warnings are recorded in the unit's quiet regions (ac_quiet). */
int ac_parse_report_errors(ac_parser *p, int nargs, const char *const *args);
void ac_parse_report_warnings(ac_parser *p);
void ac_parse_free_diags(ac_parser *p);

/* parse_check.c: plain code that uses the dialect */
void ac_parse_check_plain(ac_parser *p, CXCursor c);

/* parse_macro_args.c: marks the refs of f written in macro arguments
 * and the locals that may keep their names there (see the file). */
void ac_parse_macro_args(ac_parser *p, ac_func *f, CXCursor body,
                         ac_span bspan);

#endif
