/*
 * parse_type.c -- C declarators from libclang types.
 *
 * Frame fields and helper parameters need a declaration "TYPE name" for
 * the type of a local or parameter.  clang_getTypeSpelling gives an
 * abstract type ("int (*)(int)", "char [16]") that is not a declaration,
 * so the declarator is rebuilt inside out: pointers wrap the name on the
 * left, arrays and functions on the right, with parentheses where a
 * pointer meets an array or function.  Named types (builtins, typedefs,
 * struct/union/enum tags) are spelled as clang spells them.
 */
#include "parse_internal.h"

#include <string.h>

static int is_anonymous_spelling(const char *s) {
    return strstr(s, "(unnamed") || strstr(s, "(anonymous");
}

/* "const volatile int" -> "volatile int" when const must go: frames and
 * their fields are assigned after construction. */
static const char *strip_const_prefix(const char *s) {
    while (strncmp(s, "const ", 6) == 0)
        s += 6;
    return s;
}

static void add_qualifiers(ac_buf *b, CXType t, int strip_const) {
    if (clang_isConstQualifiedType(t) && !strip_const)
        ac_buf_puts(b, " const");
    if (clang_isVolatileQualifiedType(t))
        ac_buf_puts(b, " volatile");
    if (clang_isRestrictQualifiedType(t))
        ac_buf_puts(b, " restrict");
}

static int declarator(ac_buf *out, CXType t, const char *inner, int strip_const,
                      const char **error);

static int function_suffix(ac_buf *b, CXType t, const char **error) {
    ac_buf_puts(b, "(");
    if (t.kind == CXType_FunctionNoProto) {
        ac_buf_puts(b, ")");
        return 0;
    }
    int n = clang_getNumArgTypes(t);
    for (int i = 0; i < n; i++) {
        ac_buf param = {0};
        int rc =
            declarator(&param, clang_getArgType(t, (unsigned)i), "", 0, error);
        ac_buf_printf(b, "%s%s", i ? ", " : "", ac_buf_str(&param));
        ac_buf_free(&param);
        if (rc)
            return rc;
    }
    if (clang_isFunctionTypeVariadic(t))
        ac_buf_puts(b, n ? ", ..." : "...");
    else if (n == 0)
        ac_buf_puts(b, "void");
    ac_buf_puts(b, ")");
    return 0;
}

static int declarator(ac_buf *out, CXType t, const char *inner, int strip_const,
                      const char **error) {
    ac_buf b = {0};
    int rc = 0;
    switch (t.kind) {
    case CXType_Pointer: {
        CXType pointee = clang_getPointeeType(t);
        ac_buf_puts(&b, "*");
        add_qualifiers(&b, t, strip_const);
        if (b.len > 1 && *inner)
            ac_buf_puts(&b, " ");
        ac_buf_puts(&b, inner);
        int wrap = pointee.kind == CXType_ConstantArray ||
                   pointee.kind == CXType_IncompleteArray ||
                   pointee.kind == CXType_FunctionProto ||
                   pointee.kind == CXType_FunctionNoProto;
        if (wrap) {
            ac_buf w = {0};
            ac_buf_printf(&w, "(%s)", ac_buf_str(&b));
            ac_buf_free(&b);
            b = w;
        }
        rc = declarator(out, pointee, ac_buf_str(&b), 0, error);
        break;
    }
    case CXType_ConstantArray:
        ac_buf_printf(&b, "%s[%lld]", inner, clang_getArraySize(t));
        rc = declarator(out, clang_getArrayElementType(t), ac_buf_str(&b),
                        strip_const, error);
        break;
    case CXType_IncompleteArray:
        ac_buf_printf(&b, "%s[]", inner);
        rc = declarator(out, clang_getArrayElementType(t), ac_buf_str(&b),
                        strip_const, error);
        break;
    case CXType_VariableArray:
    case CXType_DependentSizedArray:
        *error = "it is a variable-length array";
        rc = -1;
        break;
    case CXType_FunctionProto:
    case CXType_FunctionNoProto:
        ac_buf_puts(&b, inner);
        rc = function_suffix(&b, t, error);
        if (rc == 0)
            rc = declarator(out, clang_getResultType(t), ac_buf_str(&b), 0,
                            error);
        break;
    default: {
        CXString s = clang_getTypeSpelling(t);
        const char *spelled = clang_getCString(s);
        if (is_anonymous_spelling(spelled)) {
            *error = "its type has no name (an unnamed struct, union or enum)";
            rc = -1;
        } else {
            if (strip_const)
                spelled = strip_const_prefix(spelled);
            ac_buf_puts(out, spelled);
            if (*inner)
                ac_buf_printf(out, " %s", inner);
        }
        clang_disposeString(s);
        break;
    }
    }
    ac_buf_free(&b);
    return rc;
}

char *ac_parse_declarator(ac_parser *p, CXType t, const char *name,
                          int strip_const, const char **error) {
    ac_buf b = {0};
    const char *err = NULL;
    int rc = declarator(&b, t, name ? name : "", strip_const, &err);
    char *s = rc ? NULL : ac_arena_strdup(&p->u->arena, ac_buf_str(&b));
    ac_buf_free(&b);
    if (error)
        *error = err;
    return s;
}

int ac_parse_result_kind(CXType t) {
    CXType c = clang_getCanonicalType(t);
    switch (c.kind) {
    case CXType_Void:
        return 0; /* ASYNC__RESULT_NONE */
    case CXType_Bool:
    case CXType_Char_U:
    case CXType_UChar:
    case CXType_UShort:
    case CXType_UInt:
    case CXType_ULong:
    case CXType_ULongLong:
        return 2; /* ASYNC__RESULT_UNSIGNED */
    case CXType_Char_S:
    case CXType_SChar:
    case CXType_Short:
    case CXType_Int:
    case CXType_Long:
    case CXType_LongLong:
        return 1; /* ASYNC__RESULT_SIGNED */
    case CXType_Enum:
        return ac_parse_result_kind(
            clang_getEnumDeclIntegerType(clang_getTypeDeclaration(c)));
    default:
        return 3; /* ASYNC__RESULT_OTHER */
    }
}
