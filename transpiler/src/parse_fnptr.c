/*
 * parse_fnptr.c -- async function pointers.
 *
 * While asyncc parses, `async` is an attribute of a declaration, not of a
 * type: clang sees a pointer to an async function as an ordinary function
 * pointer and checks its signature as for any other.  What makes a
 * pointer async is where its type comes from: a typedef declared async
 * (`typedef async int handler_fn(int);`, then `handler_fn *h`, or a
 * typedef of the pointer type itself), or a variable, parameter or field
 * declared async (`async int (*h)(int)`, an array of them too).  This file
 * tells async pointers from plain ones, builds the callee of a call
 * through one, and reports every conversion between the two kinds, which
 * C itself would accept: a pointer to an async function points to its
 * starter (see async.h), which must never be called as a plain function,
 * and a plain function cannot be awaited.
 */
#include "parse_internal.h"

#include <string.h>

static int is_function_type(CXType t) {
    enum CXTypeKind k = clang_getCanonicalType(t).kind;
    return k == CXType_FunctionProto || k == CXType_FunctionNoProto;
}

/* A function type, or a pointer to one: what can be called. */
static int is_callable_type(CXType t) {
    CXType c = clang_getCanonicalType(t);
    return is_function_type(c) || (c.kind == CXType_Pointer &&
                                   is_function_type(clang_getPointeeType(c)));
}

int ac_parse_type_is_async_fn(CXType t) {
    for (int guard = 0; guard < 64; guard++) {
        switch (t.kind) {
        case CXType_Typedef: {
            CXCursor d = clang_getTypeDeclaration(t);
            if (ac_parse_has_async_attr(d))
                return is_callable_type(t);
            t = clang_getTypedefDeclUnderlyingType(d);
            break;
        }
        case CXType_Elaborated:
            t = clang_Type_getNamedType(t);
            break;
        case CXType_Attributed:
            t = clang_Type_getModifiedType(t);
            break;
        case CXType_Pointer: {
            CXType pointee = clang_getPointeeType(t);
            if (!is_function_type(pointee))
                return 0;
            t = pointee;
            break;
        }
        default:
            return 0;
        }
    }
    return 0;
}

/* A declaration written `async` that is not a function: a variable,
 * parameter or field of async function pointer type (or an array of
 * them). */
static int decl_is_async_pointer(CXCursor d) {
    enum CXCursorKind k = clang_getCursorKind(d);
    return (k == CXCursor_VarDecl || k == CXCursor_ParmDecl ||
            k == CXCursor_FieldDecl) &&
           ac_parse_has_async_attr(d);
}

/* Strips parentheses and implicit conversions. */
static CXCursor strip(CXCursor c) {
    for (;;) {
        enum CXCursorKind k = clang_getCursorKind(c);
        if (k != CXCursor_ParenExpr && k != CXCursor_UnexposedExpr)
            return c;
        if (ac_parse_marker(c, NULL) != AC_MARK_NONE)
            return c;
        ac_cursors kids = {0};
        ac_cursors_children(c, &kids);
        CXCursor inner = kids.n == 1 ? kids.items[0] : clang_getNullCursor();
        ac_cursors_free(&kids);
        if (clang_Cursor_isNull(inner) ||
            !clang_isExpression(clang_getCursorKind(inner)))
            return c;
        c = inner;
    }
}

static CXCursor only_child_expr(CXCursor c, unsigned which) {
    ac_cursors kids = {0};
    ac_cursors_children(c, &kids);
    CXCursor k = which < kids.n ? kids.items[which] : clang_getNullCursor();
    ac_cursors_free(&kids);
    return k;
}

/* The variable, parameter or field an lvalue comes from: h, s.h, p->h,
 * tab[i] (the array's declaration), or a null cursor. */
static CXCursor origin_decl(CXCursor c) {
    for (int guard = 0; guard < 64; guard++) {
        c = strip(c);
        switch (clang_getCursorKind(c)) {
        case CXCursor_DeclRefExpr:
        case CXCursor_MemberRefExpr:
            return clang_getCursorReferenced(c);
        case CXCursor_ArraySubscriptExpr:
            c = only_child_expr(c, 0);
            break;
        default:
            return clang_getNullCursor();
        }
    }
    return clang_getNullCursor();
}

ac_fn_kind ac_parse_fn_kind(ac_parser *p, CXCursor c) {
    (void)p;
    c = strip(c);
    enum CXCursorKind k = clang_getCursorKind(c);
    if (k == CXCursor_UnaryOperator &&
        is_callable_type(clang_getCursorType(c))) {
        /* &f and *p of a function: the function's kind. */
        CXCursor inner = only_child_expr(c, 0);
        if (!clang_Cursor_isNull(inner) &&
            is_callable_type(clang_getCursorType(inner)))
            return ac_parse_fn_kind(p, inner);
    }
    if (k == CXCursor_DeclRefExpr) {
        CXCursor d = clang_getCursorReferenced(c);
        if (clang_getCursorKind(d) == CXCursor_FunctionDecl)
            return ac_parse_is_async_decl(d) ? AC_FN_ASYNC : AC_FN_PLAIN;
    }
    if (k == CXCursor_ConditionalOperator) {
        ac_fn_kind a = ac_parse_fn_kind(p, only_child_expr(c, 1));
        ac_fn_kind b = ac_parse_fn_kind(p, only_child_expr(c, 2));
        return a == AC_FN_ASYNC || b == AC_FN_ASYNC   ? AC_FN_ASYNC
               : a == AC_FN_PLAIN || b == AC_FN_PLAIN ? AC_FN_PLAIN
                                                      : AC_FN_NONE;
    }
    CXType t = clang_getCursorType(c);
    if (!is_callable_type(t))
        return AC_FN_NONE;
    if (ac_parse_type_is_async_fn(t))
        return AC_FN_ASYNC;
    if (k != CXCursor_CStyleCastExpr && k != CXCursor_CallExpr) {
        CXCursor d = origin_decl(c);
        if (!clang_Cursor_isNull(d) && decl_is_async_pointer(d))
            return AC_FN_ASYNC;
    }
    return AC_FN_PLAIN;
}

/* The kind a declaration of type `t` expects: `decl` (or a null
 * cursor) is the variable, parameter or field declared. */
static ac_fn_kind target_kind(CXType t, CXCursor decl) {
    if (!is_callable_type(t))
        return AC_FN_NONE;
    if (ac_parse_type_is_async_fn(t) ||
        (!clang_Cursor_isNull(decl) && decl_is_async_pointer(decl)))
        return AC_FN_ASYNC;
    return AC_FN_PLAIN;
}

/* The function type behind a callable type. */
static CXType function_of(CXType t) {
    CXType c = clang_getCanonicalType(t);
    return c.kind == CXType_Pointer ? clang_getPointeeType(c) : c;
}

static const char *type_text(ac_parser *p, CXType t) {
    CXString s = clang_getTypeSpelling(t);
    const char *r = ac_arena_strdup(&p->u->arena, clang_getCString(s));
    clang_disposeString(s);
    return r;
}

/* How a value is named in a message: "async function 'f'", "plain
 * function 'g'", or by its kind alone. */
static const char *describe(ac_parser *p, CXCursor src, ac_fn_kind kind) {
    CXCursor c = strip(src);
    if (clang_getCursorKind(c) == CXCursor_UnaryOperator)
        c = strip(only_child_expr(c, 0));
    if (clang_getCursorKind(c) == CXCursor_DeclRefExpr &&
        clang_getCursorKind(clang_getCursorReferenced(c)) ==
            CXCursor_FunctionDecl)
        return ac_arena_printf(&p->u->arena, "%s function '%s'",
                               kind == AC_FN_ASYNC ? "async" : "plain",
                               ac_parse_spelling(p, c));
    return kind == AC_FN_ASYNC ? "an async function pointer"
                               : "a plain function pointer";
}

static unsigned where(ac_parser *p, CXCursor c) {
    ac_span s;
    if (ac_parse_span(p, c, &s))
        return s.begin;
    return ac_parse_cursor_offset(p, c);
}

/* A value `src` converted to a target of type `t` (declaration `decl`,
 * or a null cursor): the kinds must agree, and an async function must
 * have the pointer's exact signature. */
static void check_conversion(ac_parser *p, CXType t, CXCursor decl,
                             CXCursor src) {
    if (clang_Cursor_isNull(src))
        return;
    ac_fn_kind want = target_kind(t, decl);
    if (want == AC_FN_NONE || !ac_parse_in_main(p, src))
        return;
    ac_fn_kind have = ac_parse_fn_kind(p, src);
    if (have == AC_FN_NONE)
        return;
    const char *tt = type_text(p, t);
    if (want == AC_FN_ASYNC && have == AC_FN_PLAIN)
        ac_parse_error(p, where(p, src),
                       "%s is not async: it cannot be used as an async "
                       "function pointer ('%s')",
                       describe(p, src, have), tt);
    else if (want == AC_FN_PLAIN && have == AC_FN_ASYNC)
        ac_parse_error(p, where(p, src),
                       "%s cannot be used as a plain function pointer "
                       "('%s'); declare the pointer async (async T "
                       "(*p)(...), or a typedef of an async function type)",
                       describe(p, src, have), tt);
    else if (want == AC_FN_ASYNC &&
             !clang_equalTypes(function_of(t),
                               function_of(clang_getCursorType(strip(src)))))
        ac_parse_error(
            p, where(p, src),
            "%s has type '%s', which does not match the async "
            "function pointer type '%s'",
            describe(p, src, have),
            type_text(p, function_of(clang_getCursorType(strip(src)))), tt);
}

static void check_tree(ac_parser *p, CXCursor c, CXType ret);

/* The elements of a braced initializer of type `t` (declaration `decl`
 * for an array declared async): each against its element or field. */
static void check_init_list(ac_parser *p, CXType t, CXCursor decl,
                            CXCursor list) {
    CXType ct = clang_getCanonicalType(t);
    ac_cursors kids = {0};
    ac_cursors_children(list, &kids);
    ac_cursors fields = {0};
    if (ct.kind == CXType_Record)
        ac_cursors_children(clang_getTypeDeclaration(ct), &fields);
    unsigned next_field = 0;
    for (unsigned i = 0; i < kids.n; i++) {
        CXCursor k = kids.items[i], target = clang_getNullCursor();
        CXType kt;
        ac_cursors des = {0};
        if (clang_getCursorKind(k) == CXCursor_UnexposedExpr)
            ac_cursors_children(k, &des);
        /* A designated initializer: its designators, then its value. */
        for (unsigned d = 0; d + 1 < des.n; d++)
            if (clang_getCursorKind(des.items[d]) == CXCursor_MemberRef)
                target = clang_getCursorReferenced(des.items[d]);
        if (des.n > 1 &&
            clang_isExpression(clang_getCursorKind(des.items[des.n - 1])) &&
            (clang_getCursorKind(des.items[0]) == CXCursor_MemberRef ||
             ct.kind != CXType_Record)) {
            k = des.items[des.n - 1];
        }
        ac_cursors_free(&des);
        if (ct.kind == CXType_Record) {
            if (clang_Cursor_isNull(target)) {
                while (next_field < fields.n &&
                       clang_getCursorKind(fields.items[next_field]) !=
                           CXCursor_FieldDecl)
                    next_field++;
                target = next_field < fields.n ? fields.items[next_field]
                                               : clang_getNullCursor();
            } else {
                for (next_field = 0; next_field < fields.n; next_field++)
                    if (clang_equalCursors(fields.items[next_field], target))
                        break;
            }
            next_field++;
            if (clang_Cursor_isNull(target))
                continue;
            kt = clang_getCursorType(target);
        } else if (ct.kind == CXType_ConstantArray ||
                   ct.kind == CXType_IncompleteArray) {
            kt = clang_getArrayElementType(ct);
            target = decl;
            /* The declared type keeps the typedef of its elements. */
            CXType declared = clang_getCursorType(decl);
            if (!clang_Cursor_isNull(decl) &&
                (declared.kind == CXType_ConstantArray ||
                 declared.kind == CXType_IncompleteArray))
                kt = clang_getArrayElementType(declared);
        } else {
            continue;
        }
        if (clang_getCursorKind(k) == CXCursor_InitListExpr)
            check_init_list(p, kt, target, k);
        else
            check_conversion(p, kt, target, k);
    }
    ac_cursors_free(&fields);
    ac_cursors_free(&kids);
}

/* A call: each argument against its parameter. */
static void check_call(ac_parser *p, CXCursor call) {
    CXCursor callee = only_child_expr(call, 0);
    CXCursor fn = ac_parse_direct_callee(call);
    int direct = !clang_Cursor_isNull(fn);
    CXType ft =
        direct ? clang_getCursorType(fn) : clang_getCursorType(strip(callee));
    if (!direct && clang_getCanonicalType(ft).kind == CXType_Pointer)
        ft = clang_getPointeeType(ft);
    int n = clang_Cursor_getNumArguments(call);
    int nparams = clang_getNumArgTypes(ft);
    for (int i = 0; i < n && i < nparams; i++) {
        CXCursor parm = direct ? clang_Cursor_getArgument(fn, (unsigned)i)
                               : clang_getNullCursor();
        CXType pt = !clang_Cursor_isNull(parm)
                        ? clang_getCursorType(parm)
                        : clang_getArgType(ft, (unsigned)i);
        /* Only a function or function pointer parameter converts. */
        if (!is_callable_type(pt))
            continue;
        if (direct && ac_parse_is_handler_param(p, fn, parm))
            continue; /* async_serve's handler: parse_expr.c checks it */
        check_conversion(p, pt, parm,
                         clang_Cursor_getArgument(call, (unsigned)i));
    }
}

/* `&f` or `f` of an async function, not called: `f` now has a starter
 * (a plain function) that the pointer points to. */
static void note_value_use(ac_parser *p, CXCursor ref) {
    CXCursor fn = clang_getCursorReferenced(ref);
    if (!ac_parse_is_async_decl(fn))
        return;
    ac_callee *callee = ac_parse_callee(p, fn);
    if (!callee->def && callee->frame_visible) {
        ac_parse_error(p, where(p, ref),
                       "'%s' is an async function of the runtime: a pointer "
                       "can only point to an async function defined in a "
                       "file that asyncc transpiles",
                       callee->name);
        return;
    }
    callee->needs_starter = 1;
}

static enum CXChildVisitResult visit(CXCursor c, CXCursor parent,
                                     CXClientData data);

typedef struct walk {
    ac_parser *p;
    CXType ret; /* the enclosing function's result type */
} walk;

static void check_tree(ac_parser *p, CXCursor c, CXType ret) {
    walk w = {p, ret};
    if (visit(c, clang_getNullCursor(), &w) == CXChildVisit_Recurse)
        ac_parse_cache_walk(c, visit, &w);
}

static enum CXChildVisitResult visit(CXCursor c, CXCursor parent,
                                     CXClientData data) {
    (void)parent;
    walk *w = data;
    ac_parser *p = w->p;
    switch (clang_getCursorKind(c)) {
    case CXCursor_FunctionDecl:
        if (clang_isCursorDefinition(c)) {
            ac_cursors kids = {0};
            ac_cursors_children(c, &kids);
            CXType ret = clang_getResultType(clang_getCursorType(c));
            for (unsigned i = 0; i < kids.n; i++)
                check_tree(p, kids.items[i], ret);
            ac_cursors_free(&kids);
        }
        return CXChildVisit_Continue;
    case CXCursor_VarDecl: {
        ac_cursors kids = {0};
        ac_cursors_children(c, &kids);
        CXCursor init = kids.n ? kids.items[kids.n - 1] : clang_getNullCursor();
        if (!clang_Cursor_isNull(init) &&
            clang_isExpression(clang_getCursorKind(init))) {
            CXType t = clang_getCursorType(c);
            if (clang_getCursorKind(init) == CXCursor_InitListExpr)
                check_init_list(p, t, c, init);
            else
                check_conversion(p, t, c, init);
        }
        ac_cursors_free(&kids);
        return CXChildVisit_Recurse;
    }
    case CXCursor_BinaryOperator: {
        /* Only an assignment of a function pointer converts one. */
        if (!is_callable_type(clang_getCursorType(c)))
            return CXChildVisit_Recurse;
        char *op = ac_parse_binary_op(p, c);
        if (op && strcmp(op, "=") == 0) {
            CXCursor lhs = only_child_expr(c, 0);
            CXCursor rhs = only_child_expr(c, 1);
            CXCursor d = origin_decl(lhs);
            check_conversion(p, clang_getCursorType(lhs), d, rhs);
        }
        return CXChildVisit_Recurse;
    }
    case CXCursor_CallExpr:
        if (ac_parse_marker(c, NULL) == AC_MARK_NONE) {
            check_call(p, c);
            /* The callee itself is no value use; its arguments are. */
            ac_cursors kids = {0};
            ac_cursors_children(c, &kids);
            CXCursor fn = ac_parse_direct_callee(c);
            int direct = !clang_Cursor_isNull(fn);
            for (unsigned i = 0; i < kids.n; i++) {
                CXCursor k = kids.items[i];
                if (i == 0 &&
                    clang_getCursorKind(strip(k)) == CXCursor_DeclRefExpr)
                    continue;
                /* A handler becomes its spawner, not a pointer. */
                if (i > 0 && direct &&
                    ac_parse_is_handler_param(
                        p, fn, clang_Cursor_getArgument(fn, i - 1)))
                    continue;
                check_tree(p, k, w->ret);
            }
            ac_cursors_free(&kids);
            return CXChildVisit_Continue;
        }
        return CXChildVisit_Recurse;
    case CXCursor_ReturnStmt: {
        CXCursor v = only_child_expr(c, 0);
        if (!clang_Cursor_isNull(v))
            check_conversion(p, w->ret, clang_getNullCursor(), v);
        return CXChildVisit_Recurse;
    }
    case CXCursor_CStyleCastExpr: {
        CXType t = clang_getCursorType(c);
        CXCursor v = only_child_expr(c, 0);
        if (clang_Cursor_isNull(v) || !is_callable_type(clang_getCursorType(v)))
            return CXChildVisit_Recurse;
        ac_fn_kind have = ac_parse_fn_kind(p, v);
        if (clang_getCanonicalType(t).kind != CXType_Void &&
            have == AC_FN_ASYNC && target_kind(t, c) != AC_FN_ASYNC)
            ac_parse_error(p, where(p, v),
                           "%s cannot be converted to '%s': a pointer to an "
                           "async function keeps an async function pointer "
                           "type",
                           describe(p, v, have), type_text(p, t));
        else
            check_conversion(p, t, clang_getNullCursor(), v);
        return CXChildVisit_Recurse;
    }
    case CXCursor_DeclRefExpr:
        if (is_function_type(clang_getCursorType(c)))
            note_value_use(p, c);
        return CXChildVisit_Continue;
    case CXCursor_ParenExpr: {
        /* await(x) holds x twice (in a _Generic): check it once. */
        /* A parenthesis's location is where its extent begins: the
         * cheaper query gives the offset where() would. */
        if (!ac_offsets_has(&p->macro_at[AC_MARK_AWAIT],
                            ac_parse_cursor_offset(p, c)))
            return CXChildVisit_Recurse;
        ac_cursors ops = {0};
        if (ac_parse_marker(c, &ops) == AC_MARK_AWAIT && ops.n) {
            CXCursor operand = only_child_expr(ops.items[0], 0);
            if (!clang_Cursor_isNull(operand))
                check_tree(p, operand, w->ret);
            ac_cursors_free(&ops);
            return CXChildVisit_Continue;
        }
        ac_cursors_free(&ops);
        return CXChildVisit_Recurse;
    }
    default:
        return CXChildVisit_Recurse;
    }
}

void ac_parse_check_fnptrs(ac_parser *p, CXCursor top) {
    CXType none = {CXType_Invalid, {NULL, NULL}};
    check_tree(p, top, none);
}

CXCursor ac_parse_direct_callee(CXCursor call) {
    CXCursor callee = strip(only_child_expr(call, 0));
    if (clang_getCursorKind(callee) != CXCursor_DeclRefExpr)
        return clang_getNullCursor();
    CXCursor fn = clang_getCursorReferenced(callee);
    return clang_getCursorKind(fn) == CXCursor_FunctionDecl
               ? fn
               : clang_getNullCursor();
}

int ac_parse_is_async_pointer_call(ac_parser *p, CXCursor call) {
    if (clang_getCursorKind(call) != CXCursor_CallExpr ||
        clang_Cursor_isNull(only_child_expr(call, 0)))
        return 0;
    if (!clang_Cursor_isNull(ac_parse_direct_callee(call)))
        return 0;
    return ac_parse_fn_kind(p, only_child_expr(call, 0)) == AC_FN_ASYNC;
}

int ac_parse_is_async_call(ac_parser *p, CXCursor call) {
    return !clang_Cursor_isNull(ac_parse_async_callee(call)) ||
           ac_parse_is_async_pointer_call(p, call);
}

CXCursor ac_parse_pointer_expr(CXCursor call) {
    return only_child_expr(call, 0);
}

ac_callee *ac_parse_pointer_callee(ac_parser *p, CXCursor call) {
    CXCursor ptr = ac_parse_pointer_expr(call);
    CXType ft = function_of(clang_getCursorType(strip(ptr)));
    ac_callee *c = ac_parse_alloc(p, sizeof *c);
    ac_span s;
    const char *text = "?";
    if (ac_parse_span(p, ptr, &s)) {
        /* Whitespace runs as one space, for --inspect. */
        ac_buf b = {0};
        int space = 0;
        for (unsigned i = s.begin; i < s.end; i++) {
            char ch = p->u->src.text[i];
            if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
                space = 1;
                continue;
            }
            if (space && b.len)
                ac_buf_puts(&b, " ");
            space = 0;
            ac_buf_add(&b, &ch, 1);
        }
        text = ac_arena_strdup(&p->u->arena, ac_buf_str(&b));
        ac_buf_free(&b);
    }
    c->name = strncmp(text, "(*", 2) == 0 ? text
              : text[0] == '*' ? ac_arena_printf(&p->u->arena, "(%s)", text)
                               : ac_arena_printf(&p->u->arena, "(*%s)", text);
    c->is_pointer = 1;
    CXType rt = clang_getResultType(ft);
    c->is_void = clang_getCanonicalType(rt).kind == CXType_Void;
    c->result_kind = ac_parse_result_kind(rt);
    c->ret_type = ac_parse_declarator(p, rt, "", 1, NULL);
    c->ret_decl = ac_parse_declarator(p, rt, "%s", 1, NULL);
    int n = clang_getNumArgTypes(ft);
    c->nparams = n > 0 ? (unsigned)n : 0;
    c->param_types =
        ac_parse_alloc(p, (c->nparams + 1) * sizeof *c->param_types);
    for (unsigned i = 0; i < c->nparams; i++)
        c->param_types[i] =
            ac_parse_declarator(p, clang_getArgType(ft, i), "%s", 0, NULL);
    return c;
}
