/*
 * lower.c -- decisions about each async function before any text is
 * written: which locals live in the frame, the frame's field names, which
 * statements must be rebuilt rather than copied, and where in the output
 * each state machine goes.
 */
#include "lower_internal.h"

#include <assert.h>
#include <stdio.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Index of the first await at or after `begin` (the offsets are sorted). */
static unsigned first_await(const ac_func *f, unsigned begin) {
    unsigned lo = 0, hi = f->nawaits;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (f->await_offsets[mid] < begin)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* A local is hoisted into the frame when an await lies in its scope: only
 * then can its value be needed after the function returned to the loop.
 * Others stay ordinary C locals of the resume function. */
static int await_in(const ac_func *f, unsigned begin, unsigned end) {
    unsigned i = first_await(f, begin);
    return i < f->nawaits && f->await_offsets[i] < end;
}

static int expr_has_await(const ac_expr *e) {
    return e && (e->kind != AC_E_TEXT || e->nkids > 0);
}

/* Loops of the function being lowered: an await inside a loop keeps a
 * variable alive when the loop uses it anywhere (the next iteration). */
typedef struct loop_spans {
    ac_span *items;
    unsigned n, cap;
} loop_spans;

static void collect_loops(ac_stmt *s, loop_spans *l) {
    if (!s)
        return;
    if (s->kind == AC_S_WHILE || s->kind == AC_S_DO || s->kind == AC_S_FOR) {
        if (l->n == l->cap) {
            l->cap = l->cap ? l->cap * 2 : 8;
            l->items = ac_xrealloc(l->items, l->cap * sizeof *l->items);
        }
        l->items[l->n++] = s->span;
    }
    collect_loops(s->init, l);
    collect_loops(s->body, l);
    collect_loops(s->els, l);
    for (unsigned i = 0; i < s->nkids; i++)
        collect_loops(s->kids[i], l);
}

/* The references of the function being lowered ordered by variable,
 * then offset: used_in searches a variable's own references instead of
 * all of the function's, which made liveness quadratic in the size of
 * the function. */
typedef struct var_ref {
    uintptr_t var;
    unsigned offset;
} var_ref;
static var_ref *refs_by_var;
static unsigned nrefs_by_var;

static int cmp_var_ref(const void *a, const void *b) {
    const var_ref *x = a, *y = b;
    if (x->var != y->var)
        return x->var < y->var ? -1 : 1;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static void index_refs(const ac_func *f) {
    nrefs_by_var = f->nrefs;
    refs_by_var = ac_xrealloc(refs_by_var,
                              (f->nrefs ? f->nrefs : 1) * sizeof *refs_by_var);
    for (unsigned i = 0; i < f->nrefs; i++) {
        refs_by_var[i].var = (uintptr_t)f->refs[i].var;
        refs_by_var[i].offset = f->refs[i].offset;
    }
    qsort(refs_by_var, nrefs_by_var, sizeof *refs_by_var, cmp_var_ref);
}

static int used_in(const ac_func *f, const ac_var *v, unsigned begin,
                   unsigned end) {
    (void)f;
    var_ref key = {(uintptr_t)v, begin};
    unsigned lo = 0, hi = nrefs_by_var;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (cmp_var_ref(&refs_by_var[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < nrefs_by_var && refs_by_var[lo].var == key.var &&
           refs_by_var[lo].offset < end;
}

/* Is `v` live across the await at `at`, in its scope?  Over-approximated
 * from the text: the variable is used after it, or inside a loop (within
 * the scope) around it. */
static int live_across(const ac_func *f, const ac_var *v, unsigned at,
                       const loop_spans *loops) {
    if (used_in(f, v, at, v->scope_end))
        return 1;
    /* An async_defer's body runs after the rest of its block, though it
     * is written before it. */
    for (unsigned k = 0; k < f->ndefers; k++) {
        const ac_stmt *d = f->defers[k];
        if (d->body && at >= d->span.end && at < d->scope_end &&
            used_in(f, v, d->body->span.begin, d->body->span.end))
            return 1;
    }
    for (unsigned k = 0; k < loops->n; k++) {
        ac_span l = loops->items[k];
        /* Loops inside the scope (a for's own variable included), not
         * loops around the declaration: those make a new variable. */
        if (l.end <= v->scope_end && l.begin <= at && at < l.end &&
            used_in(f, v, v->scope_begin > l.begin ? v->scope_begin : l.begin,
                    l.end))
            return 1;
    }
    return 0;
}

static ac_live_why scope_reason(const ac_func *f, const ac_var *v) {
    if (v->is_array)
        return AC_LIVE_SCOPE_ARRAY;
    if (v->addr_taken)
        return AC_LIVE_SCOPE_ADDRESS;
    if (v->macro_use)
        return AC_LIVE_SCOPE_MACRO;
    return f->has_goto ? AC_LIVE_SCOPE_GOTO : AC_LIVE_NONE;
}

/* Is `v` live across an await?  Some await lies in its scope and `v` is
 * live across it (see live_across).  Arrays, variables whose address is
 * taken or that a macro body uses, and functions with goto fall back to
 * "an await lies in its scope": their uses cannot be followed.  Records
 * in `v` which awaits and why, for --inspect. */
static int note_liveness(ac_unit *u, const ac_func *f, ac_var *v,
                         const loop_spans *loops) {
    v->live_why = AC_LIVE_NONE;
    v->nlive_at = 0;
    if (!await_in(f, v->scope_begin, v->scope_end))
        return 0;
    ac_live_why fallback = scope_reason(f, v);
    /* Only the awaits in the scope: sized by all of the function's, the
     * arrays took memory quadratic in the number of awaits. */
    unsigned first = first_await(f, v->scope_begin), last = first;
    while (last < f->nawaits && f->await_offsets[last] < v->scope_end)
        last++;
    v->live_at = ac_arena_alloc(&u->arena, (last - first) * sizeof *v->live_at);
    for (unsigned a = first; a < last; a++) {
        unsigned at = f->await_offsets[a];
        if (fallback != AC_LIVE_NONE || live_across(f, v, at, loops))
            v->live_at[v->nlive_at++] = at;
    }
    if (v->nlive_at)
        v->live_why = fallback != AC_LIVE_NONE ? fallback : AC_LIVE_USE;
    return v->nlive_at > 0;
}

static void mark_hoisted(ac_unit *u, ac_stmt *s, const ac_func *f,
                         const loop_spans *loops) {
    if (!s)
        return;
    if (s->kind == AC_S_DECL) {
        const ac_var *any = NULL;
        for (unsigned i = 0; i < s->nvars; i++) {
            ac_var *v = s->vars[i];
            v->hoisted = !v->is_static && note_liveness(u, f, v, loops);
            if (v->hoisted && !any)
                any = v;
        }
        /* One declaration is rewritten as a whole: a declarator left as C
         * beside hoisted ones would need its own copy of the type. */
        for (unsigned i = 0; any && i < s->nvars; i++) {
            ac_var *v = s->vars[i];
            if (!v->hoisted && !v->is_static) {
                v->hoisted = 1;
                v->live_why = AC_LIVE_DECLARATION;
                v->hoisted_with = any;
            }
        }
    }
    mark_hoisted(u, s->init, f, loops);
    mark_hoisted(u, s->body, f, loops);
    mark_hoisted(u, s->els, f, loops);
    for (unsigned i = 0; i < s->nkids; i++)
        mark_hoisted(u, s->kids[i], f, loops);
}

/* The field names given so far in one frame: open addressing on the
 * name.  `next` is, for a name used as a base, the first suffix worth
 * trying: all below it are taken, and names are never given back.
 * Searching the fields one by one made a function with thousands of
 * shadowed locals (int t in many blocks) cubic. */
typedef struct field_name {
    const char *name; /* NULL: a free slot */
    unsigned taken, next;
} field_name;

typedef struct field_names {
    field_name *slots;
    unsigned cap, n; /* cap: a power of two, or 0 */
} field_names;

static unsigned name_hash(const char *s) {
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* The entry of `name`, added (not taken) if it is new. */
static field_name *name_entry(field_names *t, const char *name) {
    if (2 * (t->n + 1) > t->cap) {
        field_names bigger = {0, t->cap ? t->cap * 2 : 64, 0};
        bigger.slots = ac_xmalloc(bigger.cap * sizeof *bigger.slots);
        memset(bigger.slots, 0, bigger.cap * sizeof *bigger.slots);
        for (unsigned i = 0; i < t->cap; i++)
            if (t->slots[i].name)
                *name_entry(&bigger, t->slots[i].name) = t->slots[i];
        free(t->slots);
        *t = bigger;
    }
    unsigned i = name_hash(name) & (t->cap - 1);
    while (t->slots[i].name && strcmp(t->slots[i].name, name) != 0)
        i = (i + 1) & (t->cap - 1);
    if (!t->slots[i].name) {
        t->slots[i].name = name;
        t->n++;
    }
    return &t->slots[i];
}

/* Field names are the user's names, made unique (shadowed locals) and
 * kept out of the frame's own namespace (names starting with '_'). */
static void name_field(ac_unit *u, field_names *names, ac_var *v) {
    const char *base = v->name[0] == '_'
                           ? ac_arena_printf(&u->arena, "u%s", v->name)
                           : v->name;
    field_name *e = name_entry(names, base);
    if (!e->taken) {
        e->taken = 1;
        v->field = base;
        return;
    }
    unsigned k = e->next > 2 ? e->next : 2;
    const char *name;
    for (;; k++) {
        name = ac_arena_printf(&u->arena, "%s_%u", base, k);
        e = name_entry(names, name);
        if (!e->taken)
            break;
    }
    e->taken = 1;
    name_entry(names, base)->next = k + 1;
    v->field = name;
}

static void check_hoistable(ac_unit *u, ac_func *f, ac_var *v) {
    (void)f;
    if (!v->hoisted || !v->type_error || v->is_param)
        return;
    ac_source_diag(&u->src, AC_DIAG_ERROR, v->offset,
                   "local '%s' lives across an await, so it must be stored "
                   "in the frame, but %s",
                   v->name, v->type_error);
}

/* Statement flags, top down for loops (a continue needs to know whether
 * its loop was restructured) and bottom up for the rest. */
static unsigned loop_ids;

int ac_lower_is_goto(const ac_stmt *s) {
    return s->kind == AC_S_TEXT && s->label;
}

int ac_lower_leaves(const ac_stmt *scope, const ac_stmt *jump) {
    const ac_stmt *t = jump->target;
    switch (jump->kind) {
    case AC_S_RETURN:
        return 1;
    case AC_S_BREAK:
    case AC_S_CONTINUE:
        /* A loop or switch that starts before the scope encloses it. */
        return t && t->span.begin < scope->span.begin;
    default:
        if (!ac_lower_is_goto(jump) || !t)
            return 0;
        if (scope->kind == AC_S_DEFER)
            return t->span.begin < scope->span.end ||
                   t->span.begin >= scope->scope_end;
        return t->span.begin < scope->span.begin ||
               t->span.begin >= scope->span.end;
    }
}

unsigned ac_lower_exit_code(const ac_stmt *defer, const ac_stmt *jump) {
    for (unsigned i = 0; i < defer->nexits; i++) {
        const ac_stmt *e = defer->exits[i];
        if (ac_lower_is_goto(e) != ac_lower_is_goto(jump) ||
            (!ac_lower_is_goto(jump) && e->kind != jump->kind))
            continue;
        if (jump->kind == AC_S_RETURN || e->target == jump->target)
            return i + 1;
    }
    return 0;
}

const ac_stmt *ac_lower_final_jump(const ac_stmt *defer, ac_stmt *const *rest,
                                   unsigned nrest) {
    if (!nrest)
        return NULL;
    const ac_stmt *s = rest[nrest - 1];
    int jump = s->kind == AC_S_RETURN || s->kind == AC_S_BREAK ||
               s->kind == AC_S_CONTINUE || ac_lower_is_goto(s);
    return jump && ac_lower_leaves(defer, s) ? s : NULL;
}

/* `scope` is the innermost async_timeout block or async_defer scope
 * around s, or NULL: a jump that leaves it must end the deadline, or run
 * the defer's body, first (and leaving an outer one, it leaves this
 * one). */
static void analyze(ac_stmt *s, const ac_stmt *scope) {
    if (!s)
        return;
    if (s->kind == AC_S_TIMEOUT)
        scope = s;
    if (s->kind == AC_S_DO)
        s->restructured = expr_has_await(s->expr);
    if (s->kind == AC_S_FOR)
        s->restructured = expr_has_await(s->expr) || expr_has_await(s->inc);
    if (s->restructured)
        s->id = ++loop_ids;
    analyze(s->init, scope);
    /* A defer's body is outside its own scope. */
    analyze(s->body, scope);
    analyze(s->els, scope);
    int has = expr_has_await(s->expr) || expr_has_await(s->inc);
    int structure = has || s->kind == AC_S_RETURN || s->kind == AC_S_TIMEOUT ||
                    s->kind == AC_S_DEFER ||
                    ((s->kind == AC_S_BREAK || s->kind == AC_S_CONTINUE ||
                      ac_lower_is_goto(s)) &&
                     scope && ac_lower_leaves(scope, s));
    if (s->kind == AC_S_DECL)
        for (unsigned i = 0; i < s->nvars; i++) {
            has |= expr_has_await(s->vars[i]->init);
            structure |= s->vars[i]->hoisted || has;
        }
    if (s->kind == AC_S_CONTINUE && s->target && s->target->restructured) {
        s->target->continue_label = 1;
        structure = 1;
    }
    ac_stmt *parts[] = {s->init, s->body, s->els};
    for (unsigned i = 0; i < 3; i++)
        if (parts[i]) {
            has |= parts[i]->has_await;
            structure |= parts[i]->needs_structure;
        }
    const ac_stmt *inner = scope;
    for (unsigned i = 0; i < s->nkids; i++) {
        analyze(s->kids[i], inner);
        has |= s->kids[i]->has_await;
        structure |= s->kids[i]->needs_structure;
        if (s->kids[i]->kind == AC_S_DEFER)
            inner = s->kids[i]; /* the rest of the block is its scope */
    }
    s->has_await = has;
    s->needs_structure = structure || has;
}

/* Functions that reach each other through chains of awaits form a
 * cycle (recursion), and a cycle of embedded frames would be an
 * infinitely large struct.  Tarjan's algorithm finds the cycles: one
 * strongly connected component per set of mutually recursive functions,
 * in linear time, without recursion (await chains can be long).  When f
 * awaits g, g leads back to f exactly when both are in one component. */
typedef struct scc_visit {
    ac_func *f;
    unsigned next; /* next of f->awaited to look at */
} scc_visit;

static void find_cycles(ac_unit *u) {
    unsigned counter = 0, nsccs = 0, nstack = 0, ndfs = 0;
    ac_func **stack = ac_xmalloc((u->nfuncs + 1) * sizeof *stack);
    scc_visit *dfs = ac_xmalloc((u->nfuncs + 1) * sizeof *dfs);
    for (unsigned i = 0; i < u->nfuncs; i++)
        u->funcs[i]->index = 0; /* 0: not visited; indexes start at 1 */
    for (unsigned i = 0; i < u->nfuncs; i++) {
        if (u->funcs[i]->index)
            continue;
        dfs[ndfs++] = (scc_visit){u->funcs[i], 0};
        while (ndfs) {
            scc_visit *v = &dfs[ndfs - 1];
            ac_func *f = v->f;
            if (v->next == 0 && !f->index) {
                f->index = f->low = ++counter;
                f->scc = 0; /* on the stack */
                stack[nstack++] = f;
            }
            if (v->next < f->nawaited) {
                ac_func *d = f->awaited[v->next++]->def;
                if (!d)
                    continue;
                if (!d->index)
                    dfs[ndfs++] = (scc_visit){d, 0};
                else if (d->scc == 0 && d->index < f->low)
                    f->low = d->index;
                continue;
            }
            if (f->low == f->index) {
                ++nsccs;
                ac_func *m;
                do {
                    m = stack[--nstack];
                    m->scc = nsccs;
                } while (m != f);
            }
            ndfs--;
            if (ndfs && f->low < dfs[ndfs - 1].f->low)
                dfs[ndfs - 1].f->low = f->low;
        }
    }
    free(stack);
    free(dfs);
}

/* Does an await chain lead from `from` back to `to`, which awaits it? */
static int reaches(const ac_func *from, const ac_func *to) {
    return from->scc == to->scc;
}

/* An awaited frame is embedded when its type is known here and embedding
 * makes no cycle; otherwise it is allocated for the duration of the
 * await (NAME__new / NAME__finish), and only then. */
static int needs_heap(ac_func *caller, ac_callee *c) {
    if (c->is_pointer)
        return 1;
    if (c->frame_visible && !c->def)
        return 0;
    return !c->def || reaches(c->def, caller);
}

static void mark_heap_expr(ac_func *f, ac_expr *e) {
    if (!e)
        return;
    if ((e->kind == AC_E_AWAIT || e->kind == AC_E_CALL) && e->callee) {
        e->heap = needs_heap(f, e->callee);
        if (e->heap && e->callee->def)
            e->callee->needs_heap = 1;
    }
    for (unsigned i = 0; i < e->nkids; i++)
        mark_heap_expr(f, e->kids[i]);
}

static void mark_heap(ac_func *f, ac_stmt *s) {
    if (!s)
        return;
    mark_heap_expr(f, s->expr);
    mark_heap_expr(f, s->inc);
    for (unsigned i = 0; i < s->nvars; i++)
        mark_heap_expr(f, s->vars[i]->init);
    mark_heap(f, s->init);
    mark_heap(f, s->body);
    mark_heap(f, s->els);
    for (unsigned i = 0; i < s->nkids; i++)
        mark_heap(f, s->kids[i]);
}

/* A state machine must follow the state machines whose frames it embeds,
 * so a function is placed after the latest of its embedded callees. */
static unsigned placement_order;

static void place(ac_func *f) {
    if (f->placed)
        return;
    f->placed = -1; /* in progress: cycles do not embed, see needs_heap */
    f->emit_at = f->span.end;
    for (unsigned i = 0; i < f->nawaited; i++) {
        ac_func *d = f->awaited[i]->def;
        if (!d || d->placed == -1 || reaches(d, f))
            continue;
        place(d);
        if (d->emit_at > f->emit_at)
            f->emit_at = d->emit_at;
    }
    f->placed = (int)++placement_order;
}

static int lower(ac_unit *u, int transitions) {
    unsigned before = ac_diag_errors();
    loop_ids = 0;
    placement_order = 0;
    for (unsigned i = 0; i < u->nfuncs; i++) {
        ac_func *f = u->funcs[i];
        field_names names = {0};
        for (unsigned k = 0; k < f->nparams; k++) {
            f->params[k]->hoisted = 1;
            name_field(u, &names, f->params[k]);
        }
        loop_spans loops = {0};
        collect_loops(f->body, &loops);
        index_refs(f);
        mark_hoisted(u, f->body, f, &loops);
        free(loops.items);
        for (unsigned k = 0; k < f->nvars; k++) {
            ac_var *v = f->vars[k];
            check_hoistable(u, f, v);
            if (v->hoisted)
                name_field(u, &names, v);
        }
        free(names.slots);
        analyze(f->body, NULL);
    }
    free(refs_by_var);
    refs_by_var = NULL;
    find_cycles(u);
    for (unsigned i = 0; i < u->nfuncs; i++)
        mark_heap(u->funcs[i], u->funcs[i]->body);
    for (unsigned i = 0; i < u->nfuncs; i++)
        place(u->funcs[i]);
    if (ac_diag_errors() != before)
        return -1;
    for (unsigned i = 0; i < u->nfuncs; i++) {
        ac_func *f = u->funcs[i];
        f->machine = ac_lower_machine(u, f);
#ifdef NDEBUG
        if (transitions)
            ac_lower_transitions(u, f, f->machine);
#else
        (void)transitions; /* always: the machine is verified whole */
        ac_lower_transitions(u, f, f->machine);
        ac_buf why = {0};
        if (ac_machine_verify(f->machine, &why) != 0)
            fprintf(stderr,
                    "asyncc: internal error: the state machine of "
                    "'%s' is inconsistent: %s\n",
                    f->name, ac_buf_str(&why));
        assert(why.len == 0);
        ac_buf_free(&why);
#endif
    }
    return 0;
}

int ac_lower(ac_unit *u) { return lower(u, 1); }

int ac_lower_for_c(ac_unit *u) { return lower(u, 0); }
