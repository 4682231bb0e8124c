/*
 * parse_stmt.c -- statements and local variables of an async function as
 * IR: one ac_stmt per statement, one ac_var per declarator, with the
 * scopes and initializers the lowering needs to decide what to hoist.
 */
#include "parse_internal.h"

#include <stdlib.h>
#include <string.h>

static void register_var(ac_parser *p, unsigned decl_offset, ac_var *v) {
    if (p->nvars == p->capvars) {
        p->capvars = p->capvars ? p->capvars * 2 : 16;
        p->vars = ac_xrealloc(p->vars, p->capvars * sizeof *p->vars);
    }
    ac_var_entry *e = &p->vars[p->nvars++];
    memset(e, 0, sizeof *e);
    e->decl_offset = decl_offset;
    e->var = v;
}

/* Where the initializer starts: the first '=' after the declarator name
 * at bracket depth 0, or 0 if there is none. */
static unsigned find_init_equals(ac_parser *p, unsigned from, unsigned end) {
    const char *t = p->u->src.text;
    int depth = 0;
    for (unsigned i = from; i < end; i++) {
        char ch = t[i];
        if (ch == '(' || ch == '[')
            depth++;
        else if (ch == ')' || ch == ']')
            depth -= depth > 0; /* the declarator's own ")" in (*fp)(int) */
        else if (depth == 0 && ch == '=' && t[i + 1] != '=')
            return i;
        else if (depth == 0 && (ch == ',' || ch == ';'))
            return 0;
    }
    return 0;
}

/* Whether spelling type `t` needs a declaration made inside a function
 * (a struct, union, enum or typedef declared in a block), which file
 * scope cannot name. */
static int is_local_decl(CXCursor d) {
    for (CXCursor c = clang_getCursorLexicalParent(d);
         !clang_Cursor_isNull(c) &&
         !clang_isTranslationUnit(clang_getCursorKind(c));
         c = clang_getCursorLexicalParent(c))
        if (clang_getCursorKind(c) == CXCursor_FunctionDecl)
            return 1;
    return 0;
}

static int uses_local_type(CXType t) {
    for (int depth = 0; depth < 64; depth++) {
        switch (t.kind) {
        case CXType_Pointer:
            t = clang_getPointeeType(t);
            continue;
        case CXType_ConstantArray:
        case CXType_IncompleteArray:
            t = clang_getArrayElementType(t);
            continue;
        case CXType_Elaborated:
            t = clang_Type_getNamedType(t);
            continue;
        case CXType_Typedef:
        case CXType_Record:
        case CXType_Enum: {
            CXCursor d = clang_getTypeDeclaration(t);
            if (is_local_decl(d))
                return 1;
            if (t.kind != CXType_Typedef)
                return 0;
            t = clang_getTypedefDeclUnderlyingType(d);
            continue;
        }
        case CXType_FunctionProto: {
            int n = clang_getNumArgTypes(t);
            for (int i = 0; i < n; i++)
                if (uses_local_type(clang_getArgType(t, (unsigned)i)))
                    return 1;
            t = clang_getResultType(t);
            continue;
        }
        default:
            return 0;
        }
    }
    return 0;
}

ac_var *ac_parse_var(ac_parser *p, CXCursor c, int is_param) {
    ac_var *v = ac_parse_alloc(p, sizeof *v);
    v->name = ac_parse_spelling(p, c);
    v->is_param = is_param;
    v->offset = ac_parse_cursor_offset(p, c);
    if (ac_parse_is_generated_name(v->name))
        ac_parse_error(p, v->offset,
                       "'%s': the generated code of an async function uses "
                       "this name (_f and names starting with asyncc_); "
                       "rename it",
                       v->name);
    enum CX_StorageClass sc = clang_Cursor_getStorageClass(c);
    v->is_static = !is_param && (sc == CX_SC_Static || sc == CX_SC_Extern);
    CXType t = clang_getCursorType(c);
    v->is_array = t.kind == CXType_ConstantArray ||
                  t.kind == CXType_IncompleteArray ||
                  (is_param && t.kind == CXType_VariableArray);
    const char *err = NULL;
    if (is_param && v->is_array) {
        /* A parameter declared as an array is a pointer (C11 6.7.6.3). */
        CXType elem = clang_getArrayElementType(t);
        int wrap = elem.kind == CXType_ConstantArray ||
                   elem.kind == CXType_IncompleteArray ||
                   elem.kind == CXType_VariableArray;
        v->field_decl =
            ac_parse_declarator(p, elem, wrap ? "(*%s)" : "*%s", 0, &err);
        if (elem.kind == CXType_VariableArray)
            err = "it points to a variable-length array (a parameter such "
                  "as int m[n][k]), whose size a frame cannot hold; pass a "
                  "plain pointer (int *m) and index it as m[i * k + j]";
        v->type = NULL;
        v->is_array = 0;
    } else {
        v->field_decl = ac_parse_declarator(p, t, "%s", 1, &err);
        v->type = ac_parse_declarator(p, t, "", 1, NULL);
    }
    v->type_error = err;
    /* A type declared inside the function is not visible where the frame
     * struct is defined (file scope): such a local gets opaque storage of
     * the type's size and alignment, and its uses see it through a cast
     * to a pointer to its type, which is in scope wherever it is. */
    if (!v->type_error && !is_param && uses_local_type(t)) {
        long long size = clang_Type_getSizeOf(t);
        long long align = clang_Type_getAlignOf(t);
        const char *perr = NULL;
        char *ptr = ac_parse_declarator(p, t, "(*)", 1, &perr);
        if (size <= 0 || align <= 0 || !ptr) {
            v->type_error = perr ? perr
                                 : "its type is declared inside the "
                                   "function and its size is not known";
        } else {
            v->field_decl = ac_arena_printf(
                &p->u->arena, "_Alignas(%lld) unsigned char %%s[%lld]", align,
                size);
            v->local_type = ptr;
        }
    }
    const char *name_text = p->u->src.text + v->offset;
    if (strncmp(name_text, v->name, strlen(v->name)) != 0)
        v->type_error = "it is declared by a macro";
    register_var(p, v->offset, v);
    if (is_param)
        return v;

    ac_span whole;
    if (!ac_parse_span(p, c, &whole))
        whole.begin = whole.end = v->offset;
    v->scope_begin = whole.end;
    v->scope_end = p->scope_end;
    unsigned eq =
        find_init_equals(p, v->offset + (unsigned)strlen(v->name), whole.end);
    if (eq) {
        ac_cursors kids = {0};
        ac_cursors_children(c, &kids);
        for (unsigned i = kids.n; i-- > 0;) {
            CXCursor k = kids.items[i];
            ac_span ks;
            if (!clang_isExpression(clang_getCursorKind(k)) ||
                !ac_parse_span(p, k, &ks) || ks.begin <= eq)
                continue;
            v->init = ac_parse_expr(p, k);
            v->init_is_list = clang_getCursorKind(k) == CXCursor_InitListExpr;
            break;
        }
        ac_cursors_free(&kids);
    }
    ac_func *f = p->fn;
    ac_var **vars = ac_parse_grow(p, f->vars, f->nvars, sizeof *vars);
    vars[f->nvars++] = v;
    f->vars = vars;
    return v;
}

/* --- statements ----------------------------------------------------- */

static ac_stmt *new_stmt(ac_parser *p, ac_stmt_kind kind, CXCursor c) {
    ac_stmt *s = ac_parse_alloc(p, sizeof *s);
    s->kind = kind;
    if (!ac_parse_span(p, c, &s->span))
        s->span.begin = s->span.end = ac_parse_cursor_offset(p, c);
    return s;
}

/* Statement extents from libclang stop before a closing ';'. */
static void extend_to_semicolon(ac_parser *p, ac_stmt *s) {
    unsigned at = ac_parse_skip_space(p, s->span.end);
    if (at < p->u->src.len && p->u->src.text[at] == ';')
        s->span.end = at + 1;
}

static void push_stmt(ac_parser *p, ac_stmt *parent, ac_stmt *kid) {
    ac_stmt **kids =
        ac_parse_grow(p, parent->kids, parent->nkids, sizeof *kids);
    kids[parent->nkids++] = kid;
    parent->kids = kids;
}

static void push_breakable(ac_parser *p, ac_stmt *s) {
    if (p->nbreakables == p->capbreakables) {
        p->capbreakables = p->capbreakables ? p->capbreakables * 2 : 8;
        p->breakables = ac_xrealloc(p->breakables,
                                    p->capbreakables * sizeof *p->breakables);
    }
    p->breakables[p->nbreakables++] = s;
}

static ac_stmt *jump_target(ac_parser *p, int is_continue) {
    for (unsigned i = p->nbreakables; i-- > 0;) {
        ac_stmt *s = p->breakables[i];
        if (!is_continue || s->kind != AC_S_SWITCH)
            return s;
    }
    return NULL;
}

static void grow_to(ac_stmt *s, const ac_stmt *kid) {
    if (kid && kid->span.end > s->span.end)
        s->span.end = kid->span.end;
}

/* Is the innermost switch inside the async_timeout block `scope`? */
static int switch_inside(ac_parser *p, const ac_stmt *scope) {
    for (unsigned i = p->nbreakables; i-- > 0;)
        if (p->breakables[i]->kind == AC_S_SWITCH)
            return p->breakables[i]->span.begin > scope->span.begin;
    return 0;
}

/* async_timeout(seconds, errp) { body } expands to
 *     if (((void)__async_timeout_point(), (void)(seconds), (void)(errp), 1))
 *         body
 * timeout -> 'async_timeout' '(' seconds ',' errp ')' statement */
static ac_stmt *build_timeout(ac_parser *p, CXCursor c, ac_cursors *kids) {
    ac_stmt *s = new_stmt(p, AC_S_TIMEOUT, c);
    ac_span mspan = s->span;
    ac_parse_check_written(p, AC_MARK_TIMEOUT, &mspan, "async_timeout");
    /* The operands' macro parentheses span the invocation alone. */
    const ac_expansion *x = ac_parse_expansion_at(p, s->span.begin);
    if (x)
        mspan = x->span;
    ac_cursors ops = {0};
    ac_parse_marker(kids->items[0], &ops);
    if (ops.n != 3) {
        ac_cursors_free(&ops);
        ac_parse_error(p, s->span.begin,
                       "cannot read the operands of async_timeout()");
        return s;
    }
    s->expr = ac_parse_expr(
        p, ac_parse_macro_operand(p, ac_parse_uncast(ops.items[0]), mspan));
    s->inc = ac_parse_expr(
        p, ac_parse_macro_operand(p, ac_parse_uncast(ops.items[1]), mspan));
    ac_cursors_free(&ops);
    if (s->expr->nkids || s->inc->nkids)
        ac_parse_error(p, s->span.begin,
                       "the operands of async_timeout() cannot await; await "
                       "into a variable first");
    if (kids->n >= 3) {
        ac_parse_error(p, s->span.begin,
                       "async_timeout() { ... } takes no else; put braces "
                       "around an enclosing if's branches");
        ac_parse_stmt(p, kids->items[2]); /* its awaits are accounted for */
    }
    s->id = ++p->fn->ntimeouts;
    if (p->timeout_depth == AC_MAX_TIMEOUT_DEPTH)
        ac_parse_error(p, s->span.begin,
                       "async_timeout blocks nested more than %d deep",
                       AC_MAX_TIMEOUT_DEPTH);
    ac_stmt *outer = p->timeout_scope;
    p->timeout_scope = s;
    p->timeout_depth++;
    s->body = ac_parse_stmt(p, kids->items[1]);
    p->timeout_depth--;
    p->timeout_scope = outer;
    grow_to(s, s->body);
    return s;
}

/* The innermost switch, or NULL. */
static const ac_stmt *innermost_switch(ac_parser *p) {
    for (unsigned i = p->nbreakables; i-- > 0;)
        if (p->breakables[i]->kind == AC_S_SWITCH)
            return p->breakables[i];
    return NULL;
}

static void open_defer(ac_parser *p, const ac_stmt *d, int body) {
    if (p->ndefer_open == p->capdefer_open) {
        p->capdefer_open = p->capdefer_open ? p->capdefer_open * 2 : 8;
        p->defer_open = ac_xrealloc(p->defer_open,
                                    p->capdefer_open * sizeof *p->defer_open);
    }
    p->defer_open[p->ndefer_open++] =
        (struct ac_defer_open){d, innermost_switch(p), body};
}

/* async_defer { body } expands to
 *     if (((void)__async_defer_point(), 1))
 *         body
 * defer -> 'async_defer' statement */
static ac_stmt *build_defer(ac_parser *p, CXCursor c, ac_cursors *kids,
                            int block_kid) {
    ac_stmt *s = new_stmt(p, AC_S_DEFER, c);
    ac_span mspan = s->span;
    ac_parse_check_written(p, AC_MARK_DEFER, &mspan, "async_defer");
    if (kids->n >= 3) {
        ac_parse_error(p, s->span.begin,
                       "async_defer { ... } takes no else; put braces "
                       "around an enclosing if's branches");
        ac_parse_stmt(p, kids->items[2]); /* its awaits are accounted for */
    }
    if (!block_kid)
        ac_parse_error(p, s->span.begin,
                       "async_defer must be a statement of a block: its "
                       "body runs when the rest of the block is left; put "
                       "braces around it");
    ac_func *f = p->fn;
    ac_stmt **defers = ac_parse_grow(p, f->defers, f->ndefers, sizeof *defers);
    defers[f->ndefers++] = s;
    f->defers = defers;
    s->id = f->ndefers;
    s->scope_end = p->scope_end;
    ac_stmt *outer = p->defer_body;
    p->defer_body = s;
    open_defer(p, s, 1);
    s->body = ac_parse_stmt(p, kids->items[1]);
    p->ndefer_open--;
    p->defer_body = outer;
    grow_to(s, s->body);
    return s;
}

static ac_stmt *build_compound(ac_parser *p, CXCursor c,
                               const ac_cursors *kids) {
    ac_stmt *s = new_stmt(p, AC_S_COMPOUND, c);
    unsigned saved = p->scope_end, open = p->ndefer_open;
    p->scope_end = s->span.end;
    for (unsigned i = 0; i < kids->n; i++) {
        p->block_kid = 1;
        ac_stmt *kid = ac_parse_stmt(p, kids->items[i]);
        push_stmt(p, s, kid);
        if (kid->kind == AC_S_DEFER)
            open_defer(p, kid, 0); /* the rest of the block is its scope */
    }
    p->ndefer_open = open;
    p->scope_end = saved;
    return s;
}

static ac_stmt *build_decl(ac_parser *p, CXCursor c, const ac_cursors *kids) {
    ac_stmt *s = new_stmt(p, AC_S_DECL, c);
    for (unsigned i = 0; i < kids->n; i++) {
        enum CXCursorKind k = clang_getCursorKind(kids->items[i]);
        if ((k == CXCursor_StructDecl || k == CXCursor_UnionDecl ||
             k == CXCursor_EnumDecl) &&
            clang_isCursorDefinition(kids->items[i]) && !s->head.end)
            ac_parse_span(p, kids->items[i], &s->head);
        if (k != CXCursor_VarDecl)
            continue;
        ac_var **vars = ac_parse_grow(p, s->vars, s->nvars, sizeof *vars);
        vars[s->nvars++] = ac_parse_var(p, kids->items[i], 0);
        s->vars = vars;
    }
    extend_to_semicolon(p, s);
    return s;
}

/* for (init; cond; inc) body: libclang omits absent parts from the
 * children, so each child is placed by where it sits relative to the two
 * semicolons of the header. */
static ac_stmt *build_for(ac_parser *p, CXCursor c, ac_cursors *kids) {
    ac_stmt *s = new_stmt(p, AC_S_FOR, c);
    const char *t = p->u->src.text;
    unsigned at = s->span.begin, semi[2] = {0, 0}, nsemi = 0, rparen = 0;
    int depth = 0;
    while (at < s->span.end && t[at] != '(')
        at++;
    for (; at < s->span.end; at++) {
        char ch = t[at];
        if (ch == '(' || ch == '[' || ch == '{')
            depth++;
        else if (ch == ')' || ch == ']' || ch == '}') {
            if (--depth == 0 && ch == ')') {
                rparen = at;
                break;
            }
        } else if (ch == ';' && depth == 1 && nsemi < 2)
            semi[nsemi++] = at;
        else if (ch == '"' || ch == '\'') {
            for (at++; at < s->span.end && t[at] != ch; at++)
                if (t[at] == '\\')
                    at++;
        }
    }
    unsigned saved = p->scope_end;
    p->scope_end = s->span.end;
    push_breakable(p, s);
    for (unsigned i = 0; i < kids->n; i++) {
        CXCursor k = kids->items[i];
        ac_span ks;
        if (i + 1 == kids->n || !ac_parse_span(p, k, &ks)) {
            s->body = ac_parse_stmt(p, k);
        } else if (nsemi == 2 && ks.begin < semi[0]) {
            s->init = ac_parse_stmt(p, k);
        } else if (nsemi == 2 && ks.begin < semi[1]) {
            s->expr = ac_parse_expr(p, k);
        } else if (rparen && ks.begin < rparen) {
            s->inc = ac_parse_expr(p, k);
        } else {
            s->body = ac_parse_stmt(p, k);
        }
    }
    p->nbreakables--;
    p->scope_end = saved;
    if (nsemi != 2 || !rparen)
        ac_parse_error(p, s->span.begin,
                       "cannot read the header of this 'for' statement "
                       "(written through a macro?)");
    grow_to(s, s->body);
    /* The for's own variables are in scope to its very end, which grew
     * past the extent libclang gives (the body's closing ';'). */
    if (s->init && s->init->kind == AC_S_DECL)
        for (unsigned i = 0; i < s->init->nvars; i++)
            s->init->vars[i]->scope_end = s->span.end;
    return s;
}

ac_stmt *ac_parse_stmt(ac_parser *p, CXCursor c) {
    enum CXCursorKind kind = clang_getCursorKind(c);
    int block_kid = p->block_kid;
    p->block_kid = 0;
    ac_cursors kids = {0};
    /* An expression statement's children are the expression's, which
     * ac_parse_expr reads itself. */
    if (!clang_isExpression(kind))
        ac_cursors_children(c, &kids);
    ac_stmt *s = NULL;
    switch (kind) {
    case CXCursor_CompoundStmt:
        s = build_compound(p, c, &kids);
        break;
    case CXCursor_DeclStmt:
        s = build_decl(p, c, &kids);
        break;
    case CXCursor_IfStmt:
        if (kids.n >= 2 &&
            ac_parse_marker(kids.items[0], NULL) == AC_MARK_TIMEOUT) {

            s = build_timeout(p, c, &kids);
            break;
        }
        if (kids.n >= 2 &&
            ac_parse_marker(kids.items[0], NULL) == AC_MARK_DEFER) {
            s = build_defer(p, c, &kids, block_kid);
            break;
        }
        s = new_stmt(p, AC_S_IF, c);
        if (kids.n >= 2) {
            s->expr = ac_parse_expr(p, kids.items[0]);
            s->body = ac_parse_stmt(p, kids.items[1]);
            if (kids.n >= 3)
                s->els = ac_parse_stmt(p, kids.items[2]);
        }
        grow_to(s, s->els ? s->els : s->body);
        break;
    case CXCursor_WhileStmt:
    case CXCursor_SwitchStmt:
        s = new_stmt(p, kind == CXCursor_WhileStmt ? AC_S_WHILE : AC_S_SWITCH,
                     c);
        push_breakable(p, s);
        if (kids.n >= 2) {
            s->expr = ac_parse_expr(p, kids.items[0]);
            s->body = ac_parse_stmt(p, kids.items[1]);
        }
        p->nbreakables--;
        grow_to(s, s->body);
        break;
    case CXCursor_DoStmt:
        s = new_stmt(p, AC_S_DO, c);
        push_breakable(p, s);
        if (kids.n >= 2) {
            s->body = ac_parse_stmt(p, kids.items[0]);
            s->expr = ac_parse_expr(p, kids.items[1]);
        }
        p->nbreakables--;
        extend_to_semicolon(p, s);
        break;
    case CXCursor_ForStmt:
        s = build_for(p, c, &kids);
        break;
    case CXCursor_CaseStmt:
    case CXCursor_DefaultStmt:
    case CXCursor_LabelStmt:
        s = new_stmt(p, kind == CXCursor_LabelStmt ? AC_S_LABEL : AC_S_CASE, c);
        s->is_default = kind == CXCursor_DefaultStmt;
        if (kind == CXCursor_LabelStmt) {
            s->label = ac_parse_spelling(p, c);
            if (ac_parse_is_generated_name(s->label))
                ac_parse_error(p, s->span.begin,
                               "label '%s': the generated code of an async "
                               "function uses labels starting with asyncc_; "
                               "rename it",
                               s->label);
        }
        if (p->timeout_scope &&
            (kind == CXCursor_LabelStmt || !switch_inside(p, p->timeout_scope)))
            ac_parse_error(p, s->span.begin,
                           "a %s inside an async_timeout block would let a "
                           "jump enter the block without starting its "
                           "deadline; move it out of the block",
                           kind == CXCursor_LabelStmt ? "label" : "case label");
        if (kind != CXCursor_LabelStmt) {
            const ac_stmt *sw = innermost_switch(p);
            for (unsigned i = 0; i < p->ndefer_open; i++)
                if (sw && p->defer_open[i].sw == sw) {
                    ac_parse_error(
                        p, s->span.begin,
                        p->defer_open[i].body
                            ? "a case label inside an async_defer body would "
                              "let its switch jump into the body; move the "
                              "switch into the body"
                            : "a case label after an async_defer in the same "
                              "switch would let the switch jump past the "
                              "defer statement; put the defer and the "
                              "statements it guards in braces inside one "
                              "case");
                    break;
                }
        }
        if (kids.n >= 1) {
            CXCursor sub = kids.items[kids.n - 1];
            s->body = ac_parse_stmt(p, sub);
            s->head.begin = s->span.begin;
            s->head.end = s->body->span.begin;
        }
        grow_to(s, s->body);
        break;
    case CXCursor_BreakStmt:
    case CXCursor_ContinueStmt:
        s = new_stmt(p, kind == CXCursor_BreakStmt ? AC_S_BREAK : AC_S_CONTINUE,
                     c);
        s->target = jump_target(p, kind == CXCursor_ContinueStmt);
        if (p->defer_body &&
            (!s->target || s->target->span.begin < p->defer_body->span.begin))
            ac_parse_error(p, s->span.begin,
                           "%s out of an async_defer body is not supported: "
                           "the body runs to its end once started",
                           kind == CXCursor_BreakStmt ? "break" : "continue");
        extend_to_semicolon(p, s);
        break;
    case CXCursor_ReturnStmt:
        s = new_stmt(p, AC_S_RETURN, c);
        if (p->defer_body)
            ac_parse_error(p, s->span.begin,
                           "return inside an async_defer body is not "
                           "supported: the body runs to its end once "
                           "started; set a variable instead");
        if (kids.n >= 1)
            s->expr = ac_parse_expr(p, kids.items[0]);
        extend_to_semicolon(p, s);
        break;
    case CXCursor_IndirectGotoStmt:
        s = new_stmt(p, AC_S_TEXT, c);
        ac_parse_error(p, s->span.begin,
                       "computed goto is not supported in async functions: "
                       "its label addresses do not survive a suspension; "
                       "use a switch on a state variable");
        break;
    case CXCursor_GotoStmt:
        s = new_stmt(p, AC_S_TEXT, c);
        p->fn->has_goto = 1;
        for (unsigned i = 0; i < kids.n; i++)
            if (clang_getCursorKind(kids.items[i]) == CXCursor_LabelRef)
                s->label = ac_parse_spelling(p, kids.items[i]);
        if (p->timeout_scope)
            ac_parse_error(p, s->span.begin,
                           "goto inside an async_timeout block is not "
                           "supported: leave the block by its end, a break, "
                           "a continue or a return");
        extend_to_semicolon(p, s);
        break;
    default:
        if (clang_isExpression(kind)) {
            s = new_stmt(p, AC_S_EXPR, c);
            s->expr = ac_parse_expr(p, c);
            if (s->expr->kind == AC_E_RAISE)
                s->expr->is_statement = 1; /* allowed */
        } else {
            s = new_stmt(p, AC_S_TEXT, c);
            unsigned before = p->fn->nawaits;
            for (unsigned i = 0; i < kids.n; i++)
                if (clang_isExpression(clang_getCursorKind(kids.items[i])))
                    ac_parse_expr(p, kids.items[i]);
            if (p->fn->nawaits != before)
                ac_parse_error(p, s->span.begin,
                               "await is not supported in this statement");
        }
        extend_to_semicolon(p, s);
        break;
    }
    ac_cursors_free(&kids);
    return s;
}

/* --- gotos and async_defer ------------------------------------------ */

typedef struct jumps {
    ac_stmt **gotos, **labels;
    unsigned ngotos, nlabels, capgotos, caplabels;
} jumps;

static void collect_jumps(ac_stmt *s, jumps *j) {
    if (!s)
        return;
    if (s->kind == AC_S_TEXT && s->label)
        ac_vec_push((void ***)&j->gotos, &j->ngotos, &j->capgotos, s);
    if (s->kind == AC_S_LABEL && s->label)
        ac_vec_push((void ***)&j->labels, &j->nlabels, &j->caplabels, s);
    collect_jumps(s->init, j);
    collect_jumps(s->body, j);
    collect_jumps(s->els, j);
    for (unsigned i = 0; i < s->nkids; i++)
        collect_jumps(s->kids[i], j);
}

static int within(unsigned at, unsigned begin, unsigned end) {
    return at >= begin && at < end;
}

void ac_parse_check_defer_gotos(ac_parser *p, ac_func *f) {
    jumps j = {0};
    collect_jumps(f->body, &j);
    for (unsigned g = 0; g < j.ngotos; g++) {
        ac_stmt *s = j.gotos[g];
        for (unsigned l = 0; l < j.nlabels && !s->target; l++)
            if (strcmp(j.labels[l]->label, s->label) == 0)
                s->target = j.labels[l];
        if (!s->target)
            continue;
        unsigned from = s->span.begin, to = s->target->span.begin;
        for (unsigned i = 0; i < f->ndefers; i++) {
            const ac_stmt *d = f->defers[i];
            unsigned bb = d->body ? d->body->span.begin : d->span.end;
            const char *why = NULL;
            if (within(to, d->span.end, d->scope_end) &&
                !within(from, d->span.end, d->scope_end))
                why = "goto '%s' jumps into the scope of the async_defer at "
                      "line %u, past the defer statement; move the label "
                      "before the async_defer, or the goto after it";
            else if (within(from, bb, d->span.end) !=
                     within(to, bb, d->span.end))
                why = within(from, bb, d->span.end)
                          ? "goto '%s' leaves the body of the async_defer "
                            "at line %u: the body runs to its end once "
                            "started"
                          : "goto '%s' jumps into the body of the "
                            "async_defer at line %u";
            if (why) {
                unsigned line, col;
                ac_source_linecol(&p->u->src, d->span.begin, &line, &col);
                ac_parse_error(p, from, why, s->label, line);
                break;
            }
        }
    }
    free(j.gotos);
    free(j.labels);
}
