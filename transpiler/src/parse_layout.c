/*
 * parse_layout.c -- struct layouts from libclang (see layout.h): the code
 * is parsed from memory, beside the input, with the same flags and
 * include path as the input.
 */
#include "layout.h"
#include "parse_internal.h"

#include <stdlib.h>
#include <string.h>

static const char *spelling(ac_unit *u, CXString s) {
    const char *text = ac_arena_strdup(&u->arena, clang_getCString(s));
    clang_disposeString(s);
    return text;
}

/* An unnamed struct or union type: its members are listed too. */
static int unnamed_record(CXCursor decl) {
    enum CXCursorKind k = clang_getCursorKind(decl);
    return (k == CXCursor_StructDecl || k == CXCursor_UnionDecl) &&
           clang_Cursor_isAnonymous(decl);
}

static void read_fields(ac_unit *u, CXCursor record, long long base,
                        ac_layout_field **out, unsigned *nout) {
    ac_cursors kids = {0};
    ac_cursors_children(record, &kids);
    unsigned n = 0;
    for (unsigned i = 0; i < kids.n; i++)
        n += clang_getCursorKind(kids.items[i]) == CXCursor_FieldDecl;
    *out = ac_arena_alloc(&u->arena, (n ? n : 1) * sizeof **out);
    *nout = 0;
    for (unsigned i = 0; i < kids.n; i++) {
        CXCursor c = kids.items[i];
        if (clang_getCursorKind(c) != CXCursor_FieldDecl)
            continue;
        ac_layout_field *f = &(*out)[(*nout)++];
        CXType t = clang_getCursorType(c);
        f->name = spelling(u, clang_getCursorSpelling(c));
        f->size = clang_Type_getSizeOf(t);
        f->align = clang_Type_getAlignOf(t);
        long long bits = clang_Cursor_getOffsetOfField(c);
        f->offset = bits >= 0 && base >= 0 ? base + bits / 8 : -1;
        CXCursor decl = clang_getTypeDeclaration(clang_getCanonicalType(t));
        if (unnamed_record(decl)) {
            f->type = clang_getCursorKind(decl) == CXCursor_UnionDecl
                          ? "union {...}"
                          : "struct {...}";
            read_fields(u, decl, f->offset, &f->kids, &f->nkids);
        } else {
            f->type = spelling(u, clang_getTypeSpelling(t));
        }
    }
    ac_cursors_free(&kids);
}

typedef struct records {
    CXCursor *items;
    unsigned n, cap;
} records;

static enum CXChildVisitResult find_records(CXCursor c, CXCursor parent,
                                            CXClientData data) {
    (void)parent;
    records *r = data;
    if (clang_getCursorKind(c) == CXCursor_StructDecl &&
        clang_isCursorDefinition(c) &&
        clang_Location_isFromMainFile(clang_getCursorLocation(c))) {
        if (r->n == r->cap) {
            r->cap = r->cap ? r->cap * 2 : 32;
            r->items = ac_xrealloc(r->items, r->cap * sizeof *r->items);
        }
        r->items[r->n++] = c;
    }
    return CXChildVisit_Continue;
}

static int find(const records *r, const char *name, CXCursor *out) {
    for (unsigned i = 0; i < r->n; i++) {
        CXString s = clang_getCursorSpelling(r->items[i]);
        int same = strcmp(clang_getCString(s), name) == 0;
        clang_disposeString(s);
        if (same) {
            *out = r->items[i];
            return 1;
        }
    }
    return 0;
}

/* An error in the generated C makes every layout suspect (clang lays out
 * an invalid record as best it can): reports the first one, where it is
 * in the output of asyncc -P. */
static int report_errors(ac_unit *u, CXTranslationUnit tu) {
    unsigned n = clang_getNumDiagnostics(tu);
    for (unsigned i = 0; i < n; i++) {
        CXDiagnostic d = clang_getDiagnostic(tu, i);
        int error = clang_getDiagnosticSeverity(d) >= CXDiagnostic_Error;
        if (error) {
            unsigned line, col;
            clang_getSpellingLocation(clang_getDiagnosticLocation(d), NULL,
                                      &line, &col, NULL);
            ac_diag_plain(AC_DIAG_ERROR,
                          "cannot lay out the frames: the generated C does "
                          "not compile with these flags: %s (line %u of "
                          "the output of asyncc -P %s)",
                          spelling(u, clang_getDiagnosticSpelling(d)), line,
                          u->src.path);
        }
        clang_disposeDiagnostic(d);
        if (error)
            return -1;
    }
    return 0;
}

static void read_struct(ac_unit *u, ac_layout *l, const records *r) {
    CXCursor rec;
    l->size = l->align = -1;
    l->fields = NULL;
    l->nfields = 0;
    if (!find(r, l->name, &rec))
        return;
    CXType t = clang_getCursorType(rec);
    l->size = clang_Type_getSizeOf(t);
    l->align = clang_Type_getAlignOf(t);
    if (l->size < 0)
        l->size = -1;
    read_fields(u, rec, 0, &l->fields, &l->nfields);
}

int ac_layout_read(ac_unit *u, const char *code, int nargs,
                   const char *const *args, ac_layout *structs, unsigned n) {
    /* Beside the input, so that its #include "..." files are found. */
    const char *path =
        ac_arena_printf(&u->arena, "%s.asyncc-inspect.c", u->src.abs_path);
    const char **argv = ac_xmalloc((size_t)(nargs + 3) * sizeof *argv);
    int argc = 0;
    argv[argc++] = "-xc";
    for (int i = 0; i < nargs; i++)
        argv[argc++] = args[i];
    argv[argc++] =
        ac_arena_printf(&u->arena, "-I%s", ac_parse_runtime_include_dir());
    struct CXUnsavedFile file = {path, code, (unsigned long)strlen(code)};
    CXIndex index = clang_createIndex(0, 0);
    CXTranslationUnit tu = NULL;
    enum CXErrorCode rc =
        clang_parseTranslationUnit2(index, path, argv, argc, &file, 1,
                                    CXTranslationUnit_SkipFunctionBodies, &tu);
    free(argv);
    if (rc != CXError_Success || !tu) {
        ac_diag_plain(AC_DIAG_ERROR,
                      "libclang could not parse the generated C of '%s' "
                      "(error %d)",
                      u->src.path, (int)rc);
        clang_disposeIndex(index);
        return -1;
    }
    records r = {0};
    clang_visitChildren(clang_getTranslationUnitCursor(tu), find_records, &r);
    int status = report_errors(u, tu);
    for (unsigned i = 0; i < n && status == 0; i++)
        read_struct(u, &structs[i], &r);
    free(r.items);
    clang_disposeTranslationUnit(tu);
    clang_disposeIndex(index);
    return status;
}
