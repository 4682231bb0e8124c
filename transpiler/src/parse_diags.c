/*
 * parse_diags.c -- libclang's own diagnostics, shown in asyncc's format.
 *
 * libclang parses the user's file as written (the dialect spelled as
 * valid C by <async.h>), so its messages about async code are clang's
 * about the user's code: "passing 'char *' to parameter of type 'int'"
 * at the argument the user wrote, with a note at the declaration.  The
 * compiler that later reads the generated code would instead name the
 * generated functions (NAME__init, _f->field) and their lines.  So:
 *
 *  - errors are reported wherever they are (the file cannot be
 *    transpiled);
 *  - warnings (and warnings that -Werror makes errors) are reported
 *    where asyncc rewrites the code: inside an async function
 *    definition, or inside a dialect construct written in plain code
 *    (async_run(f(x))).  Elsewhere the plain C goes out as written and
 *    the compiler's own messages are already right: they are left to it;
 *  - each reported warning's option is recorded (ac_quiet) so that the
 *    output tells the compiler not to repeat it in the code generated
 *    from that function.  A plain declaration is quieted as written, so
 *    every warning of such an option in it is reported here, none lost.
 *
 * The await macro expands its operand twice (in _Generic's controlling
 * expression and its default association): the same message at the same
 * place is shown once.
 */
#include "parse_internal.h"

#include <stdlib.h>
#include <string.h>

/* A top-level declaration of the main file. */
typedef struct region {
    ac_span span;
    int is_async; /* an async function definition */
} region;

typedef struct regions {
    region *top;
    unsigned ntop, captop;
    ac_span *calls; /* dialect constructs written in the main file */
    unsigned ncalls, capcalls;
} regions;

static void push_span(ac_span **items, unsigned *n, unsigned *cap, ac_span s) {
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *items = ac_xrealloc(*items, *cap * sizeof **items);
    }
    (*items)[(*n)++] = s;
}

typedef struct visit_ctx {
    ac_parser *p;
    regions *r;
} visit_ctx;

static enum CXChildVisitResult collect_regions(CXCursor c, CXCursor parent,
                                               CXClientData data) {
    (void)parent;
    visit_ctx *v = data;
    ac_span s;
    if (!ac_parse_in_main(v->p, c) || !ac_parse_span(v->p, c, &s))
        return CXChildVisit_Continue;
    switch (clang_getCursorKind(c)) {
    case CXCursor_MacroExpansion: {
        char *name = ac_parse_spelling(v->p, c);
        if (ac_parse_mark_of_macro(name) != AC_MARK_NONE)
            push_span(&v->r->calls, &v->r->ncalls, &v->r->capcalls, s);
        break;
    }
    case CXCursor_MacroDefinition:
    case CXCursor_InclusionDirective:
        break;
    default: {
        regions *r = v->r;
        if (r->ntop == r->captop) {
            r->captop = r->captop ? r->captop * 2 : 64;
            r->top = ac_xrealloc(r->top, r->captop * sizeof *r->top);
        }
        r->top[r->ntop].span = s;
        r->top[r->ntop++].is_async =
            clang_getCursorKind(c) == CXCursor_FunctionDecl &&
            clang_isCursorDefinition(c) && ac_parse_is_async_decl(c);
        break;
    }
    }
    return CXChildVisit_Continue;
}

/* The top-level declaration holding `offset`, or NULL. */
static const region *region_at(const regions *r, unsigned offset) {
    for (unsigned i = 0; i < r->ntop; i++)
        if (r->top[i].span.begin <= offset && offset < r->top[i].span.end)
            return &r->top[i];
    return NULL;
}

static int in_call(const regions *r, unsigned offset) {
    for (unsigned i = 0; i < r->ncalls; i++)
        if (r->calls[i].begin <= offset && offset < r->calls[i].end)
            return 1;
    return 0;
}

/* Does the command line make warning `name` an error (-Werror,
 * -Werror=name, unless -Wno-error=name or a later -Wno-error)? */
static int werror_for(const char *name, int nargs, const char *const *args) {
    int all = 0, one = -1;
    size_t n = strlen(name);
    for (int i = 0; i < nargs; i++) {
        const char *a = args[i];
        if (strcmp(a, "-Werror") == 0)
            all = 1;
        else if (strcmp(a, "-Wno-error") == 0)
            all = 0;
        else if (strncmp(a, "-Werror=", 8) == 0 && strcmp(a + 8, name) == 0)
            one = 1;
        else if (strncmp(a, "-Wno-error=", 11) == 0 &&
                 strncmp(a + 11, name, n) == 0 && a[11 + n] == '\0')
            one = 0;
    }
    return one >= 0 ? one : all;
}

/* One diagnostic of the translation unit, as this file sorts them. */
typedef struct item {
    CXDiagnostic d;
    enum CXDiagnosticSeverity sev;
    char *option; /* "int-conversion" for -Wint-conversion, or NULL */
    int warning;  /* a warning, or one that -Werror made an error */
    int promoted; /* ... the latter */
    int in_main;  /* its location is in the main file, at `offset` */
    unsigned offset;
    const region *top; /* the top-level declaration there, or NULL */
    int report;
} item;

static void classify(ac_parser *p, const regions *r, item *it, int nargs,
                     const char *const *args) {
    it->sev = clang_getDiagnosticSeverity(it->d);
    CXString opt = clang_getDiagnosticOption(it->d, NULL);
    const char *o = clang_getCString(opt);
    if (o && strncmp(o, "-W", 2) == 0 && o[2])
        it->option = ac_arena_strdup(&p->u->arena, o + 2);
    clang_disposeString(opt);
    if (it->sev == CXDiagnostic_Warning)
        it->warning = 1;
    else if (it->sev >= CXDiagnostic_Error && it->option &&
             werror_for(it->option, nargs, args))
        it->warning = it->promoted = 1;
    it->in_main =
        ac_parse_offset(p, clang_getDiagnosticLocation(it->d), &it->offset);
    if (!it->in_main)
        return;
    it->top = region_at(r, it->offset);
    if (it->warning)
        it->report = (it->top && it->top->is_async) || in_call(r, it->offset);
}

/* Shows one diagnostic (or note) in asyncc's format, where the compiler
 * would show it: a macro argument where it is written, a macro body's
 * token where the macro is called. */
static void show(ac_parser *p, CXDiagnostic d, ac_diag_level level,
                 const char *text) {
    CXFile file;
    unsigned line, col, offset;
    clang_getFileLocation(clang_getDiagnosticLocation(d), &file, &line, &col,
                          &offset);
    if (file && clang_File_isEqual(file, p->main_file)) {
        ac_source_diag(&p->u->src, level, offset, "%s", text);
    } else if (file) {
        CXString name = clang_getFileName(file);
        ac_diag_at(level, clang_getCString(name), line, col,
                   ac_parse_file_line(p, file, offset), "%s", text);
        clang_disposeString(name);
    } else {
        ac_diag_plain(level, "%s", text);
    }
}

/* A diagnostic with its option as clang prints it, then its notes (the
 * declaration of the parameter an argument went to...).  Notes that a
 * macro was expanded would only show <async.h>'s spelling of the
 * dialect: they are left out. */
static void report(ac_parser *p, const item *it) {
    ac_diag_level level =
        it->sev >= CXDiagnostic_Error ? AC_DIAG_ERROR : AC_DIAG_WARNING;
    CXString msg = clang_getDiagnosticSpelling(it->d);
    const char *text = clang_getCString(msg);
    if (it->option)
        text = ac_arena_printf(&p->u->arena, "%s [%s-W%s]", text,
                               it->promoted ? "-Werror," : "", it->option);
    show(p, it->d, level, text);
    clang_disposeString(msg);
    CXDiagnosticSet notes = clang_getChildDiagnostics(it->d);
    unsigned n = notes ? clang_getNumDiagnosticsInSet(notes) : 0;
    for (unsigned i = 0; i < n; i++) {
        CXDiagnostic note = clang_getDiagnosticInSet(notes, i);
        CXString nmsg = clang_getDiagnosticSpelling(note);
        const char *ntext = clang_getCString(nmsg);
        if (strncmp(ntext, "expanded from macro", 19) != 0)
            show(p, note, AC_DIAG_NOTE, ntext);
        clang_disposeString(nmsg);
        clang_disposeDiagnostic(note);
    }
}

/* Has this message, at this place, been shown already? */
static int repeated(char ***shown, unsigned *nshown, unsigned *capshown,
                    CXDiagnostic d) {
    CXString s = clang_formatDiagnostic(d, CXDiagnostic_DisplaySourceLocation |
                                               CXDiagnostic_DisplayColumn);
    const char *text = clang_getCString(s);
    int seen = 0;
    for (unsigned i = 0; i < *nshown && !seen; i++)
        seen = strcmp((*shown)[i], text) == 0;
    if (!seen) {
        size_t n = strlen(text);
        char *copy = ac_xmalloc(n + 1);
        memcpy(copy, text, n + 1);
        ac_vec_push((void ***)shown, nshown, capshown, copy);
    }
    clang_disposeString(s);
    return seen;
}

/* A plain declaration is quieted as a whole: a warning of an option it
 * quiets is reported wherever it is in the declaration. */
static void widen_plain(item *items, unsigned n) {
    for (unsigned i = 0; i < n; i++) {
        item *it = &items[i];
        if (!it->warning || it->report || !it->option || !it->top ||
            it->top->is_async)
            continue;
        for (unsigned j = 0; j < n && !it->report; j++)
            it->report = items[j].report && items[j].top == it->top &&
                         items[j].option &&
                         strcmp(items[j].option, it->option) == 0;
    }
}

static void note_quiet(ac_parser *p, const item *it) {
    if (it->sev != CXDiagnostic_Warning || !it->option || !it->top)
        return;
    ac_quiet *q = ac_unit_quiet(p->u, it->top->span.begin, 1);
    q->span = it->top->span;
    q->is_async = it->top->is_async;
    ac_quiet_add(p->u, q, it->option);
}

/* The diagnostics kept between the two calls below. */
struct ac_parse_diags {
    item *items;
    unsigned n;
    regions r;
    char **shown; /* formatted, for repeats */
    unsigned nshown, capshown;
};

/* Reports the diagnostics wanted, the errors too if `errors_too`;
 * returns the number of errors among them. */
static int report_all(ac_parser *p, struct ac_parse_diags *k, int errors_too) {
    int errors = 0;
    for (unsigned i = 0; i < k->n; i++) {
        item *it = &k->items[i];
        int is_error = it->sev >= CXDiagnostic_Error;
        int wanted = it->warning ? it->report : is_error;
        if (!wanted || (is_error && !errors_too) ||
            repeated(&k->shown, &k->nshown, &k->capshown, it->d))
            continue;
        report(p, it);
        note_quiet(p, it);
        errors += is_error;
    }
    return errors;
}

int ac_parse_report_errors(ac_parser *p, int nargs, const char *const *args) {
    unsigned n = clang_getNumDiagnostics(p->tu);
    if (n == 0)
        return 0;
    struct ac_parse_diags *k = ac_xmalloc(sizeof *k);
    memset(k, 0, sizeof *k);
    p->diags = k;
    visit_ctx v = {p, &k->r};
    clang_visitChildren(clang_getTranslationUnitCursor(p->tu), collect_regions,
                        &v);
    k->items = ac_xmalloc(n * sizeof *k->items);
    memset(k->items, 0, n * sizeof *k->items);
    k->n = n;
    for (unsigned i = 0; i < n; i++) {
        k->items[i].d = clang_getDiagnostic(p->tu, i);
        classify(p, &k->r, &k->items[i], nargs, args);
    }
    widen_plain(k->items, n);
    int errors = 0;
    for (unsigned i = 0; i < n; i++)
        errors |= k->items[i].sev >= CXDiagnostic_Error &&
                  (!k->items[i].warning || k->items[i].report);
    return errors ? report_all(p, k, 1) : 0;
}

void ac_parse_report_warnings(ac_parser *p) {
    if (p->diags)
        report_all(p, p->diags, 0);
}

void ac_parse_free_diags(ac_parser *p) {
    struct ac_parse_diags *k = p->diags;
    if (!k)
        return;
    for (unsigned i = 0; i < k->n; i++)
        clang_disposeDiagnostic(k->items[i].d);
    for (unsigned i = 0; i < k->nshown; i++)
        free(k->shown[i]);
    free(k->shown);
    free(k->items);
    free(k->r.top);
    free(k->r.calls);
    free(k);
    p->diags = NULL;
}
