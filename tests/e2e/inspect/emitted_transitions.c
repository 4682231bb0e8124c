/*
 * emitted_transitions.c -- the transitions of every state machine in a
 * file of asyncc's output, read from the generated C itself: libclang
 * parses it, a control-flow graph is built over each NAME__resume
 * function's statements (if, loops, switch, case, break, continue, goto,
 * labels, return), and from each entry -- the start (case 0 of the
 * dispatch switch) and each resume label asyncc_resume_<N> -- the walk
 * follows every path to the next assignment of _f->_state: `= K` is a
 * transition to K, `= -1` one to done, a failure when it is the one under
 * asyncc_exit.  Conditions that are integer literals are followed one way
 * only, as asyncc folds them; so is the test of a && or || temporary
 * that the statement before stored a literal in (`_f->_aw.t1 = (1) != 0;
 * if (_f->_aw.t1)`).
 *
 *     emitted_transitions FILE.c [compiler flags...]
 *
 * prints, per function, its dispatch ("cases NAME 1 2 3", each case N
 * checked to jump to asyncc_resume_N) and one line per transition:
 * "NAME FROM TO fail|next" (TO -1 is done).  Exit status 1 when the
 * generated code is not in the expected shape.
 */
#include <clang-c/Index.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PLAIN, ASSIGN, EXIT, GOTO };

typedef struct node {
    int kind;
    int state;      /* ASSIGN: the value assigned */
    int fail;       /* ASSIGN under the asyncc_exit label */
    char *label;    /* GOTO: its target */
    unsigned *succ; /* successors */
    unsigned nsucc, capsucc;
} node;

typedef struct label {
    char *name;
    unsigned node;
} label;

typedef struct graph {
    node *nodes;
    unsigned n, cap;
    label *labels;
    unsigned nlabels, caplabels;
    int in_exit;
    int bad;
} graph;

typedef struct ctx {
    int has_brk, has_cont;
    unsigned brk, cont;
    unsigned *cases; /* the case labels of the innermost switch */
    unsigned ncases, capcases;
    int has_default;
} ctx;

static void *grow(void *p, unsigned *cap, unsigned n, size_t size) {
    if (n < *cap)
        return p;
    *cap = *cap ? *cap * 2 : 16;
    p = realloc(p, *cap * size);
    if (!p)
        abort();
    return p;
}

static unsigned new_node(graph *g, int kind) {
    g->nodes = grow(g->nodes, &g->cap, g->n, sizeof *g->nodes);
    memset(&g->nodes[g->n], 0, sizeof g->nodes[g->n]);
    g->nodes[g->n].kind = kind;
    return g->n++;
}

static void edge(graph *g, unsigned from, unsigned to) {
    node *n = &g->nodes[from];
    n->succ = grow(n->succ, &n->capsucc, n->nsucc, sizeof *n->succ);
    n->succ[n->nsucc++] = to;
}

/* --- reading cursors -------------------------------------------------- */

typedef struct kids {
    CXCursor *items;
    unsigned n, cap;
} kids;

static enum CXChildVisitResult add_kid(CXCursor c, CXCursor p, void *data) {
    (void)p;
    kids *k = data;
    k->items = grow(k->items, &k->cap, k->n, sizeof *k->items);
    k->items[k->n++] = c;
    return CXChildVisit_Continue;
}

static kids children(CXCursor c) {
    kids k = {0};
    clang_visitChildren(c, add_kid, &k);
    return k;
}

/* The cursor's tokens as one string, separated by spaces. */
static char *token_text(CXTranslationUnit tu, CXCursor c) {
    CXToken *toks;
    unsigned n;
    clang_tokenize(tu, clang_getCursorExtent(c), &toks, &n);
    size_t len = 1;
    char *s = malloc(1);
    s[0] = 0;
    for (unsigned i = 0; i < n; i++) {
        CXString t = clang_getTokenSpelling(tu, toks[i]);
        const char *ts = clang_getCString(t);
        len += strlen(ts) + 1;
        s = realloc(s, len);
        if (i)
            strcat(s, " ");
        strcat(s, ts);
        clang_disposeString(t);
    }
    clang_disposeTokens(tu, toks, n);
    return s;
}

static char *spelling(CXCursor c) {
    CXString s = clang_getCursorSpelling(c);
    char *r = strdup(clang_getCString(s));
    clang_disposeString(s);
    return r;
}

static CXTranslationUnit the_tu;

/* 1 or 0 for a condition that is an integer literal (in parentheses or
 * not), -1 otherwise. */
static int constant(CXCursor c) {
    char *t = token_text(the_tu, c);
    char *p = t;
    while (*p == '(' || *p == ' ')
        p++;
    size_t n = strlen(p);
    while (n && (p[n - 1] == ')' || p[n - 1] == ' '))
        p[--n] = 0;
    int v = -1;
    if (n && strspn(p, "0123456789") == n)
        v = strspn(p, "0") != n;
    else if (strcmp(p, "true") == 0)
        v = 1;
    else if (strcmp(p, "false") == 0)
        v = 0;
    free(t);
    return v;
}

/* `_f -> _state = K` (K may be - 1): returns 1 and K. */
static int state_assignment(CXCursor c, int *k) {
    char *t = token_text(the_tu, c);
    int ok = 0;
    if (strncmp(t, "_f -> _state = ", 15) == 0) {
        const char *v = t + 15;
        if (strcmp(v, "- 1") == 0) {
            *k = -1;
            ok = 1;
        } else if (strspn(v, "0123456789") == strlen(v) && *v) {
            *k = atoi(v);
            ok = 1;
        }
    }
    free(t);
    return ok;
}

/* --- building the graph ----------------------------------------------- */

static unsigned build(graph *g, CXCursor s, unsigned succ, ctx *cx);

/* The value of `if (COND)` when the statement before, `store`, is
 * `_f->P = (LITERAL) != 0;` and COND is `_f->P` or `!_f->P`; else -1. */
static int stored_constant(CXCursor store, CXCursor ifs) {
    if (clang_getCursorKind(ifs) != CXCursor_IfStmt)
        return -1;
    char *st = token_text(the_tu, store);
    kids k = children(ifs);
    char *cond = k.n ? token_text(the_tu, k.items[0]) : strdup("");
    free(k.items);
    int v = -1;
    char *eq = strstr(st, " = ( ");
    if (strncmp(st, "_f -> ", 6) == 0 && eq) {
        const char *lit = eq + 5;
        size_t n = strcspn(lit, " ");
        int value = -1;
        if (n && strspn(lit, "0123456789") == n)
            value = strspn(lit, "0") != n;
        else if (n == 4 && strncmp(lit, "true", 4) == 0)
            value = 1;
        else if (n == 5 && strncmp(lit, "false", 5) == 0)
            value = 0;
        *eq = 0;
        if (value >= 0 && strcmp(lit + n, " ) != 0") == 0) {
            if (strcmp(cond, st) == 0)
                v = value;
            else if (cond[0] == '!' && strcmp(cond + 2, st) == 0)
                v = !value;
        }
    }
    free(st);
    free(cond);
    return v;
}

static int forced_condition = -1; /* for the next build_if */

static unsigned build_compound(graph *g, CXCursor s, unsigned succ, ctx *cx) {
    kids k = children(s);
    unsigned next = succ;
    for (unsigned i = k.n; i-- > 0;) {
        forced_condition = i ? stored_constant(k.items[i - 1], k.items[i]) : -1;
        next = build(g, k.items[i], next, cx);
        forced_condition = -1;
    }
    free(k.items);
    return next;
}

static unsigned build_if(graph *g, CXCursor s, unsigned succ, ctx *cx) {
    kids k = children(s);
    unsigned cond = new_node(g, PLAIN);
    int c = forced_condition >= 0 ? forced_condition
            : k.n                 ? constant(k.items[0])
                                  : -1;
    forced_condition = -1;
    /* A branch never taken is built all the same: its labels exist. */
    unsigned then = k.n > 1 ? build(g, k.items[1], succ, cx) : succ;
    unsigned els = k.n > 2 ? build(g, k.items[2], succ, cx) : succ;
    if (c != 0)
        edge(g, cond, then);
    if (c != 1)
        edge(g, cond, els);
    free(k.items);
    return cond;
}

static unsigned build_loop_body(graph *g, CXCursor body, unsigned brk,
                                unsigned cont, unsigned succ_of_body,
                                ctx *outer) {
    ctx inner = *outer;
    inner.has_brk = inner.has_cont = 1;
    inner.brk = brk;
    inner.cont = cont;
    return build(g, body, succ_of_body, &inner);
}

static unsigned build_while(graph *g, CXCursor s, unsigned succ, ctx *cx) {
    kids k = children(s);
    unsigned cond = new_node(g, PLAIN);
    int c = constant(k.items[0]);
    unsigned body = build_loop_body(g, k.items[k.n - 1], succ, cond, cond, cx);
    if (c != 0)
        edge(g, cond, body);
    if (c != 1)
        edge(g, cond, succ);
    free(k.items);
    return cond;
}

static unsigned build_do(graph *g, CXCursor s, unsigned succ, ctx *cx) {
    kids k = children(s);
    unsigned cond = new_node(g, PLAIN);
    unsigned body = build_loop_body(g, k.items[0], succ, cond, cond, cx);
    int c = constant(k.items[1]);
    if (c != 0)
        edge(g, cond, body);
    if (c != 1)
        edge(g, cond, succ);
    free(k.items);
    return body;
}

/* for (init; cond; inc) body: libclang lists only the parts present, so
 * each is told by where it lies between the parentheses' semicolons. */
static unsigned build_for(graph *g, CXCursor s, unsigned succ, ctx *cx) {
    kids k = children(s);
    CXToken *toks;
    unsigned n;
    clang_tokenize(the_tu, clang_getCursorExtent(s), &toks, &n);
    unsigned semi[2] = {0, 0}, nsemi = 0, depth = 0, close = 0;
    for (unsigned i = 0; i < n && !close; i++) {
        CXString t = clang_getTokenSpelling(the_tu, toks[i]);
        const char *ts = clang_getCString(t);
        if (strcmp(ts, "(") == 0)
            depth++;
        else if (strcmp(ts, ")") == 0 && --depth == 0)
            close = clang_getTokenExtent(the_tu, toks[i]).begin_int_data;
        else if (strcmp(ts, ";") == 0 && depth == 1 && nsemi < 2)
            semi[nsemi++] =
                clang_getTokenExtent(the_tu, toks[i]).begin_int_data;
        clang_disposeString(t);
    }
    clang_disposeTokens(the_tu, toks, n);
    CXCursor parts[4]; /* init, cond, inc, body */
    int has[4] = {0, 0, 0, 0};
    for (unsigned i = 0; i < k.n; i++) {
        unsigned at = clang_getCursorExtent(k.items[i]).begin_int_data;
        int which = at < semi[0] ? 0 : at < semi[1] ? 1 : at < close ? 2 : 3;
        parts[which] = k.items[i];
        has[which] = 1;
    }
    unsigned cond = new_node(g, PLAIN);
    unsigned inc = has[2] ? new_node(g, PLAIN) : cond;
    if (has[2])
        edge(g, inc, cond);
    int c = has[1] ? constant(parts[1]) : 1;
    unsigned body = build_loop_body(g, parts[3], succ, inc, inc, cx);
    if (c != 0)
        edge(g, cond, body);
    if (c != 1)
        edge(g, cond, succ);
    free(k.items);
    if (!has[0])
        return cond;
    unsigned init = new_node(g, PLAIN);
    edge(g, init, cond);
    return init;
}

static unsigned build_switch(graph *g, CXCursor s, unsigned succ, ctx *cx) {
    kids k = children(s);
    unsigned head = new_node(g, PLAIN);
    ctx inner = *cx;
    inner.has_brk = 1;
    inner.brk = succ;
    inner.cases = NULL;
    inner.ncases = inner.capcases = 0;
    inner.has_default = 0;
    build(g, k.items[k.n - 1], succ, &inner);
    for (unsigned i = 0; i < inner.ncases; i++)
        edge(g, head, inner.cases[i]);
    if (!inner.has_default)
        edge(g, head, succ);
    free(inner.cases);
    free(k.items);
    return head;
}

static unsigned build_case(graph *g, CXCursor s, unsigned succ, ctx *cx) {
    kids k = children(s);
    unsigned self = new_node(g, PLAIN);
    edge(g, self, build(g, k.items[k.n - 1], succ, cx));
    cx->cases = grow(cx->cases, &cx->capcases, cx->ncases, sizeof *cx->cases);
    cx->cases[cx->ncases++] = self;
    if (clang_getCursorKind(s) == CXCursor_DefaultStmt)
        cx->has_default = 1;
    free(k.items);
    return self;
}

static unsigned build_label(graph *g, CXCursor s, unsigned succ, ctx *cx) {
    kids k = children(s);
    char *name = spelling(s);
    unsigned self = new_node(g, PLAIN);
    int exit = strcmp(name, "asyncc_exit") == 0, was = g->in_exit;
    g->in_exit |= exit;
    unsigned body = k.n ? build(g, k.items[k.n - 1], succ, cx) : succ;
    g->in_exit = was;
    edge(g, self, body);
    g->labels = grow(g->labels, &g->caplabels, g->nlabels, sizeof *g->labels);
    g->labels[g->nlabels].name = name;
    g->labels[g->nlabels++].node = self;
    free(k.items);
    return self;
}

static unsigned build(graph *g, CXCursor s, unsigned succ, ctx *cx) {
    unsigned self;
    int k;
    switch (clang_getCursorKind(s)) {
    case CXCursor_CompoundStmt:
        return build_compound(g, s, succ, cx);
    case CXCursor_IfStmt:
        return build_if(g, s, succ, cx);
    case CXCursor_WhileStmt:
        return build_while(g, s, succ, cx);
    case CXCursor_DoStmt:
        return build_do(g, s, succ, cx);
    case CXCursor_ForStmt:
        return build_for(g, s, succ, cx);
    case CXCursor_SwitchStmt:
        return build_switch(g, s, succ, cx);
    case CXCursor_CaseStmt:
    case CXCursor_DefaultStmt:
        return build_case(g, s, succ, cx);
    case CXCursor_LabelStmt:
        return build_label(g, s, succ, cx);
    case CXCursor_GotoStmt: {
        self = new_node(g, GOTO);
        char *t = token_text(the_tu, s); /* "goto NAME" */
        g->nodes[self].label = strdup(strchr(t, ' ') ? strchr(t, ' ') + 1 : t);
        char *semi = strchr(g->nodes[self].label, ' ');
        if (semi)
            *semi = 0;
        free(t);
        return self;
    }
    case CXCursor_BreakStmt:
    case CXCursor_ContinueStmt: {
        int brk = clang_getCursorKind(s) == CXCursor_BreakStmt;
        self = new_node(g, PLAIN);
        if (brk ? cx->has_brk : cx->has_cont)
            edge(g, self, brk ? cx->brk : cx->cont);
        else
            g->bad = 1;
        return self;
    }
    case CXCursor_ReturnStmt:
        return new_node(g, EXIT);
    default:
        if (state_assignment(s, &k)) {
            self = new_node(g, ASSIGN);
            g->nodes[self].state = k;
            g->nodes[self].fail = g->in_exit;
        } else {
            self = new_node(g, PLAIN);
        }
        edge(g, self, succ);
        return self;
    }
}

static int label_node(const graph *g, const char *name, unsigned *out) {
    for (unsigned i = 0; i < g->nlabels; i++)
        if (strcmp(g->labels[i].name, name) == 0) {
            *out = g->labels[i].node;
            return 1;
        }
    return 0;
}

/* --- one resume function ------------------------------------------------ */

/* Prints the transitions reached from `entry`, each once. */
static void walk_from(graph *g, const char *fn, int from, unsigned entry) {
    unsigned char *seen = calloc(g->n, 1);
    unsigned *stack = malloc(g->n * sizeof *stack), top = 0;
    char *printed = calloc(4096, 1);
    size_t plen = 0;
    stack[top++] = entry;
    seen[entry] = 1;
    while (top) {
        node *n = &g->nodes[stack[--top]];
        if (n->kind == ASSIGN) {
            char line[256];
            snprintf(line, sizeof line, "%s %d %d %s\n", fn, from, n->state,
                     n->state < 0 && n->fail ? "fail" : "next");
            if (!strstr(printed, line) && plen + strlen(line) < 4095) {
                printf("%s", line);
                strcat(printed, line);
                plen += strlen(line);
            }
            continue;
        }
        for (unsigned i = 0; i < n->nsucc; i++)
            if (!seen[n->succ[i]]) {
                seen[n->succ[i]] = 1;
                stack[top++] = n->succ[i];
            }
    }
    free(printed);
    free(seen);
    free(stack);
}

/* The dispatch: `switch (_f->_state)` with case 0 (start), case N: goto
 * asyncc_resume_N for N = 1.., default: return.  Returns the number of
 * states, or -1 when the shape differs. */
static int read_dispatch(CXCursor body, const char *fn, CXCursor *sw) {
    kids k = children(body);
    int found = -1;
    for (unsigned i = 0; i < k.n && found < 0; i++) {
        if (clang_getCursorKind(k.items[i]) != CXCursor_SwitchStmt)
            continue;
        char *t = token_text(the_tu, k.items[i]);
        int dispatch = strncmp(t, "switch ( _f -> _state )", 23) == 0;
        if (dispatch) {
            *sw = k.items[i];
            /* "case N : goto asyncc_resume_N ;" in order */
            printf("cases %s", fn);
            int n = 0;
            char want[96];
            for (;;) {
                snprintf(want, sizeof want, "case %d : goto asyncc_resume_%d ;",
                         n + 1, n + 1);
                if (!strstr(t, want))
                    break;
                printf(" %d", ++n);
            }
            printf("\n");
            found = strstr(t, "case 0 : break ;") ? n : -1;
        }
        free(t);
    }
    free(k.items);
    return found;
}

static int check_function(CXCursor fnc) {
    char *name = spelling(fnc);
    size_t len = strlen(name);
    name[len - 8] = 0; /* without "__resume" */
    kids k = children(fnc);
    CXCursor body = k.items[k.n - 1];
    free(k.items);
    CXCursor sw;
    int nstates = read_dispatch(body, name, &sw);
    if (nstates < 0) {
        fprintf(stderr, "%s__resume: no dispatch switch\n", name);
        free(name);
        return 1;
    }
    graph g;
    memset(&g, 0, sizeof g);
    unsigned end = new_node(&g, EXIT);
    /* Everything after the dispatch, as the start runs it (case 0). */
    kids stmts = children(body);
    unsigned next = end, start = end;
    for (unsigned i = stmts.n; i-- > 0;) {
        if (clang_equalCursors(stmts.items[i], sw)) {
            start = next;
            break;
        }
        ctx cx;
        memset(&cx, 0, sizeof cx);
        forced_condition =
            i ? stored_constant(stmts.items[i - 1], stmts.items[i]) : -1;
        next = build(&g, stmts.items[i], next, &cx);
        forced_condition = -1;
    }
    free(stmts.items);
    int status = g.bad;
    for (unsigned i = 0; i < g.n; i++) {
        unsigned to;
        if (g.nodes[i].kind != GOTO)
            continue;
        if (label_node(&g, g.nodes[i].label, &to))
            edge(&g, i, to);
        else
            status = 1;
    }
    walk_from(&g, name, 0, start);
    for (int s = 1; s <= nstates; s++) {
        char name_of[64];
        unsigned at;
        snprintf(name_of, sizeof name_of, "asyncc_resume_%d", s);
        if (!label_node(&g, name_of, &at)) {
            fprintf(stderr, "%s__resume: no label %s\n", name, name_of);
            status = 1;
            continue;
        }
        walk_from(&g, name, s, at);
    }
    for (unsigned i = 0; i < g.n; i++) {
        free(g.nodes[i].succ);
        free(g.nodes[i].label);
    }
    for (unsigned i = 0; i < g.nlabels; i++)
        free(g.labels[i].name);
    free(g.nodes);
    free(g.labels);
    free(name);
    return status;
}

static enum CXChildVisitResult visit(CXCursor c, CXCursor p, void *data) {
    (void)p;
    int *status = data;
    if (clang_getCursorKind(c) != CXCursor_FunctionDecl ||
        !clang_isCursorDefinition(c))
        return CXChildVisit_Continue;
    char *name = spelling(c);
    size_t n = strlen(name);
    if (n > 8 && strcmp(name + n - 8, "__resume") == 0 &&
        clang_Location_isFromMainFile(clang_getCursorLocation(c)))
        *status |= check_function(c);
    free(name);
    return CXChildVisit_Continue;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE.c [compiler flags...]\n", argv[0]);
        return 2;
    }
    CXIndex index = clang_createIndex(0, 1);
    const char **args = malloc((size_t)argc * sizeof *args);
    int nargs = 0;
    args[nargs++] = "-xc";
    for (int i = 2; i < argc; i++)
        args[nargs++] = argv[i];
    the_tu = clang_parseTranslationUnit(index, argv[1], args, nargs, NULL, 0,
                                        CXTranslationUnit_None);
    free(args);
    if (!the_tu) {
        fprintf(stderr, "%s: libclang cannot parse it\n", argv[1]);
        return 1;
    }
    int status = 0;
    clang_visitChildren(clang_getTranslationUnitCursor(the_tu), visit, &status);
    clang_disposeTranslationUnit(the_tu);
    clang_disposeIndex(index);
    return status;
}
