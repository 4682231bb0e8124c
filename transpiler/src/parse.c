/*
 * parse.c -- runs libclang over the input and drives the IR builders.
 *
 * The file is parsed with __ASYNCC__ defined, so <async.h> spells the
 * dialect as marker calls (see runtime/include/async.h).  A first pass
 * over the top level records where the dialect's macros are written, the
 * frame types visible in the translation unit and the async functions
 * defined in the file; a second pass builds each async function's IR and
 * checks the plain code around them.
 */
#include "parse_internal.h"

#include "locate.h"

#include <stdlib.h>
#include <string.h>

const char *ac_parse_runtime_include_dir(void) {
    return ac_locate_runtime_include_dir();
}

ac_mark ac_parse_mark_of_macro(const char *name) {
    if (strcmp(name, "await") == 0)
        return AC_MARK_AWAIT;
    if (strcmp(name, "async_gather") == 0)
        return AC_MARK_GATHER;
    if (strcmp(name, "async_gather_failfast") == 0)
        return AC_MARK_GATHER_FAILFAST;
    if (strcmp(name, "async_timeout") == 0)
        return AC_MARK_TIMEOUT;
    if (strcmp(name, "async_defer") == 0)
        return AC_MARK_DEFER;
    if (strcmp(name, "async_failing") == 0)
        return AC_MARK_FAILING;
    if (strcmp(name, "async_spawn") == 0)
        return AC_MARK_SPAWN;
    if (strcmp(name, "async_run") == 0)
        return AC_MARK_RUN;
    if (strcmp(name, "async_raise") == 0)
        return AC_MARK_RAISE;
    if (strcmp(name, "async_try") == 0)
        return AC_MARK_TRY;
    if (strcmp(name, "async_wait_for") == 0)
        return AC_MARK_WAIT_FOR;
    return AC_MARK_NONE;
}

static void note_frame_struct(ac_parser *p, CXCursor c) {
    if (!clang_isCursorDefinition(c))
        return;
    char *name = ac_parse_spelling(p, c);
    size_t n = strlen(name);
    if (n < 8 || strcmp(name + n - 7, "__frame") != 0)
        return;
    ac_vec_push((void ***)&p->frames, &p->nframes, &p->capframes, name);
}

static void note_async_function(ac_parser *p, CXCursor c) {
    int in_main = ac_parse_in_main(p, c);
    int is_def = clang_isCursorDefinition(c);
    if (!in_main) {
        CXString spelled = clang_getCursorSpelling(c);
        if (strcmp(clang_getCString(spelled), "async__join_cancel") == 0)
            p->join_cancel = c;
        clang_disposeString(spelled);
        if (is_def) {
            CXFile file;
            unsigned line, col, offset;
            clang_getSpellingLocation(clang_getCursorLocation(c), &file, &line,
                                      &col, &offset);
            CXString fname = clang_getFileName(file);
            char *name = ac_parse_spelling(p, c);
            ac_diag_at(AC_DIAG_ERROR, clang_getCString(fname), line, col,
                       ac_parse_file_line(p, file, offset),
                       "async function '%s' is defined in a header; define "
                       "async functions in the .c file that asyncc "
                       "transpiles",
                       name);
            clang_disposeString(fname);
        }
        return;
    }
    ac_callee *callee = ac_parse_callee(p, c);
    ac_span span;
    if (!ac_parse_span(p, c, &span))
        return;
    if (!is_def) {
        unsigned at = ac_parse_skip_space(p, span.end);
        if (at < p->u->src.len && p->u->src.text[at] == ';') {
            ac_proto *pr = ac_arena_alloc(&p->u->arena, sizeof *pr);
            pr->span.begin = span.begin;
            pr->span.end = at + 1;
            pr->callee = callee;
            ac_vec_push((void ***)&p->u->protos, &p->u->nprotos,
                        &p->u->capprotos, pr);
        }
        return;
    }
    ac_func *f = ac_arena_alloc(&p->u->arena, sizeof *f);
    f->name = callee->name;
    f->callee = callee;
    f->span = span;
    f->is_static = clang_getCursorLinkage(c) == CXLinkage_Internal;
    ac_parse_offset(p, clang_getCursorLocation(c), &f->name_offset);
    callee->def = f;
    ac_vec_push((void ***)&p->u->funcs, &p->u->nfuncs, &p->u->capfuncs, f);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static enum CXChildVisitResult first_pass(CXCursor c, CXCursor parent,
                                          CXClientData data) {
    (void)parent;
    ac_parser *p = data;
    switch (clang_getCursorKind(c)) {
    case CXCursor_MacroExpansion:
        if (ac_parse_in_main(p, c)) {
            char *name = ac_parse_spelling(p, c);
            ac_mark m = ac_parse_mark_of_macro(name);
            ac_span s;
            if (!ac_parse_span(p, c, &s))
                break;
            if (m != AC_MARK_NONE)
                ac_offsets_add(&p->macro_at[m], s.begin);
            if (p->nexpansions == p->capexpansions) {
                p->capexpansions = p->capexpansions ? p->capexpansions * 2 : 64;
                p->expansions = ac_xrealloc(
                    p->expansions, p->capexpansions * sizeof *p->expansions);
            }
            p->expansions[p->nexpansions].span = s;
            p->expansions[p->nexpansions].dialect = m != AC_MARK_NONE;
            p->expansions[p->nexpansions++].cursor = c;
        }
        break;
    case CXCursor_MacroDefinition:
        if (p->ndefs == p->capdefs) {
            p->capdefs = p->capdefs ? p->capdefs * 2 : 256;
            p->defs = ac_xrealloc(p->defs, p->capdefs * sizeof *p->defs);
        }
        p->defs[p->ndefs].name = NULL; /* spelled when first needed */
        p->defs[p->ndefs++].cursor = c;
        if (clang_Cursor_isMacroFunctionLike(c))
            ac_vec_push((void ***)&p->fn_macros, &p->nfn_macros,
                        &p->capfn_macros, ac_parse_spelling(p, c));
        break;
    case CXCursor_StructDecl:
        note_frame_struct(p, c);
        break;
    case CXCursor_FunctionDecl:
        if (ac_parse_is_async_decl(c))
            note_async_function(p, c);
        break;
    default:
        break;
    }
    return CXChildVisit_Continue;
}

static enum CXChildVisitResult second_pass(CXCursor c, CXCursor parent,
                                           CXClientData data) {
    (void)parent;
    ac_parser *p = data;
    ac_parse_cache_forget();
    if (!ac_parse_in_main(p, c) ||
        clang_getCursorKind(c) == CXCursor_MacroExpansion ||
        clang_getCursorKind(c) == CXCursor_MacroDefinition ||
        clang_getCursorKind(c) == CXCursor_InclusionDirective)
        return CXChildVisit_Continue;
    ac_parse_cache_fill(c);
    if (clang_getCursorKind(c) == CXCursor_FunctionDecl &&
        ac_parse_is_async_decl(c) && clang_isCursorDefinition(c)) {
        ac_parse_check_fnptrs(p, c);
        ac_callee *callee = ac_parse_callee(p, c);
        if (callee->def) {
            ac_parse_async_function(p, c, callee->def);
            if (!p->u->has_ext_helpers_at) {
                p->u->has_ext_helpers_at = 1;
                p->u->ext_helpers_at = callee->def->span.begin;
            }
        }
        return CXChildVisit_Continue;
    }
    ac_span top;
    p->top_begin = ac_parse_span(p, c, &top) ? top.begin : 0;
    ac_parse_check_plain(p, c);
    ac_parse_check_fnptrs(p, c);
    return CXChildVisit_Continue;
}

/* Expansions come in source order, and one lies either inside another
 * (in its arguments) or after it: a stack of the open ones gives each
 * its innermost enclosing expansion. */
static void link_expansions(ac_parser *p) {
    unsigned *open = ac_xmalloc((p->nexpansions + 1) * sizeof *open);
    unsigned nopen = 0;
    for (unsigned i = 0; i < p->nexpansions; i++) {
        ac_expansion *x = &p->expansions[i];
        while (nopen) {
            const ac_expansion *o = &p->expansions[open[nopen - 1]];
            if (o->span.begin <= x->span.begin && x->span.end <= o->span.end)
                break;
            nopen--;
        }
        x->parent = nopen ? open[nopen - 1] + 1 : 0;
        open[nopen++] = i;
    }
    free(open);
}

/* What clang_getInclusions reports to, for -MD and for the scan below. */
typedef struct inclusions {
    ac_unit *u;
    CXTranslationUnit tu;
    int dialect; /* some file may spell the dialect */
} inclusions;

/* Can `text` spell anything asyncc rewrites or checks?  Every async
 * declaration carries the `annotate` attribute and every dialect
 * construct calls a __async_..._point marker, so a translation unit whose
 * files and command line spell neither holds no async code: its checks
 * would walk every body for nothing. */
static int may_spell_dialect(const char *text, size_t len) {
    return memmem(text, len, "annotate", 8) || memmem(text, len, "__async_", 8);
}

/* Records each file the translation unit read, for -MD, and whether its
 * text may spell the dialect.  libclang reports the input first (at depth
 * 0) and every header once per inclusion: repeats (include guards) are
 * dropped. */
static void note_inclusion(CXFile included, CXSourceLocation *stack,
                           unsigned depth, CXClientData data) {
    (void)stack;
    (void)depth;
    inclusions *in = data;
    ac_unit *u = in->u;
    CXString name = clang_getFileName(included);
    const char *s = clang_getCString(name);
    int seen = !s || !*s;
    for (unsigned i = 0; i < u->ndeps && !seen; i++)
        seen = strcmp(u->deps[i], s) == 0;
    if (!seen) {
        ac_vec_push((void ***)&u->deps, &u->ndeps, &u->capdeps,
                    ac_arena_strdup(&u->arena, s));
        if (!in->dialect) {
            size_t len = 0;
            const char *text = clang_getFileContents(in->tu, included, &len);
            in->dialect = !text || may_spell_dialect(text, len);
        }
    }
    clang_disposeString(name);
}

/* The command line can define macros and bring in precompiled code that
 * no file of the inclusion list shows (or name a response file holding
 * more arguments): any sign of those, and the translation unit is read
 * in full. */
static int args_may_spell_dialect(int nargs, const char *const *args) {
    for (int i = 0; i < nargs; i++)
        if (may_spell_dialect(args[i], strlen(args[i])) || args[i][0] == '@' ||
            strstr(args[i], "pch") || strstr(args[i], "module") ||
            strstr(args[i], "-ast"))
            return 1;
    return 0;
}

static void free_parser(ac_parser *p) {
    ac_parse_free_diags(p);
    for (unsigned i = 0; i < AC_MARK_COUNT; i++)
        free(p->macro_at[i].items);
    free(p->expansions);
    free(p->callee_index);
    free(p->raises);
    free(p->fn_macros);
    free(p->defs);
    free(p->frames);
    free(p->vars);
    free(p->breakables);
    free(p->defer_open);
}

/* The two passes over the top level (see the head of this file). */
static void read_dialect(ac_parser *p) {
    ac_parse_cache_open(p->tu, p->main_file);
    CXCursor root = clang_getTranslationUnitCursor(p->tu);
    clang_visitChildren(root, first_pass, p);
    for (unsigned i = 0; i < AC_MARK_COUNT; i++)
        ac_offsets_sort(&p->macro_at[i]);
    link_expansions(p);
    if (p->nfn_macros > 1)
        qsort(p->fn_macros, p->nfn_macros, sizeof *p->fn_macros, cmp_str);
    clang_visitChildren(root, second_pass, p);
}

/* Parses the source already in u->src; `unsaved`, when not NULL, gives
 * libclang the same text instead of the file on disk. */
static int parse_source(ac_unit *u, const char *path,
                        struct CXUnsavedFile *unsaved, int nargs,
                        const char *const *args, unsigned errors_before) {
    const char **argv = ac_xmalloc((size_t)(nargs + 4) * sizeof *argv);
    int argc = 0;
    argv[argc++] = "-xc";
    for (int i = 0; i < nargs; i++)
        argv[argc++] = args[i];
    argv[argc++] = "-D__ASYNCC__=1";
    char *inc =
        ac_arena_printf(&u->arena, "-I%s", ac_parse_runtime_include_dir());
    argv[argc++] = inc;

    ac_parser p;
    memset(&p, 0, sizeof p);
    p.u = u;
    p.join_cancel = clang_getNullCursor();
    CXIndex index = clang_createIndex(0, 0);
    enum CXErrorCode rc = clang_parseTranslationUnit2(
        index, path, argv, argc, unsaved, unsaved ? 1 : 0,
        CXTranslationUnit_DetailedPreprocessingRecord, &p.tu);
    free(argv);
    if (rc != CXError_Success || !p.tu) {
        ac_diag_plain(AC_DIAG_ERROR, "libclang could not parse '%s' (error %d)",
                      path, (int)rc);
        clang_disposeIndex(index);
        return -1;
    }
    p.main_file = clang_getFile(p.tu, path);
    inclusions in = {u, p.tu, args_may_spell_dialect(nargs, args)};
    clang_getInclusions(p.tu, note_inclusion, &in);
    if (ac_parse_report_errors(&p, nargs, args) == 0) {
        if (in.dialect)
            read_dialect(&p);
        if (ac_diag_errors() == errors_before)
            ac_parse_report_warnings(&p);
    }
    ac_parse_cache_close();
    free_parser(&p);
    clang_disposeTranslationUnit(p.tu);
    clang_disposeIndex(index);
    return ac_diag_errors() == errors_before ? 0 : -1;
}

int ac_parse(ac_unit *u, const char *path, int nargs, const char *const *args) {
    unsigned errors_before = ac_diag_errors();
    if (ac_source_load(&u->src, path) != 0)
        return -1;
    return parse_source(u, path, NULL, nargs, args, errors_before);
}

int ac_parse_text(ac_unit *u, const char *path, const char *text, size_t len,
                  int nargs, const char *const *args) {
    unsigned errors_before = ac_diag_errors();
    if (ac_source_from_bytes(&u->src, path, text, len) != 0)
        return -1;
    struct CXUnsavedFile file = {path, u->src.text, u->src.len};
    return parse_source(u, path, &file, nargs, args, errors_before);
}
