/*
 * lower_cfg.c -- the transitions of a state machine (machine.h), from the
 * IR's control flow once its states are numbered.
 *
 * There is a transition from A to B when the resume function, having
 * resumed at A (or started), can reach B without passing another
 * suspension point, and one from A to done when it can end from there.
 *
 * One walk over the body in execution order carries a "frontier": the
 * states from which control can have reached the current point without
 * suspending again (PLAIN: by ordinary flow, CAUGHT: after the state
 * failed and an async_timeout block caught the failure).  Reaching a
 * state adds a transition from every member and leaves that state alone
 * in the frontier; a return, the end of the body or a failure that
 * leaves the function adds transitions to done.  Branches copy the
 * frontier and merge it again.  Back edges (loops) and goto reach code
 * that the walk has passed already, so what flows into a loop head or a
 * label is kept across walks, and the whole walk repeats until no
 * transition and no such set grows: every set only grows and is bounded,
 * so this ends, usually after two or three walks.  A body without loops
 * or labels has no such set, and one walk sees everything.  Frontiers are
 * sorted lists, not bit sets: they hold a few states each, so a function with
 * thousands of awaits costs time and memory in proportion to its size.
 */
#include "lower_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* How control got here from a state: DEFERRED, the state failed inside
 * an async_defer's scope and the defer's body runs. */
enum { PLAIN = 1, CAUGHT = 2, DEFERRED = 4 };

typedef struct member {
    unsigned id; /* a state, 0 for the start */
    unsigned bits;
} member;

typedef struct flow {
    member *items; /* ascending ids */
    unsigned n, cap;
} flow;

typedef struct keyed {
    const void *key; /* a loop (its back edges) or a label (its gotos) */
    flow *set;
} keyed;

typedef struct jump {
    const ac_stmt *target; /* a loop or a switch */
    flow *brk, *cont;
    flow *head; /* switch: the frontier at its case labels, else NULL */
} jump;

typedef struct open_defer {
    const ac_stmt *defer;
    flow *entry; /* what reaches its body by a jump out of its scope */
} open_defer;

typedef struct out_edges {
    ac_transition *items;
    unsigned n, cap;
} out_edges;

typedef struct walk {
    const ac_func *f;
    const ac_machine *m;
    const ac_source *src;
    unsigned nstates;
    out_edges *out; /* by `from` */
    int changed;
    keyed *keyed; /* open addressing on the key */
    unsigned capkeyed, nkeyed;
    jump *jumps;
    unsigned njumps, capjumps;
    flow **landings; /* async_timeout blocks around the point, innermost
                        last: the states whose failure lands after them */
    unsigned nlandings, caplandings;
    unsigned in_try;    /* inside async_try: failures are caught in place */
    open_defer *defers; /* async_defer scopes around the point, innermost
                           last */
    unsigned ndefers, capdefers;
    flow **pool; /* frontiers: npool used by the current walk, */
    unsigned npool, nalloc, cappool; /* nalloc made so far */
    flow scratch; /* merge's output, traded with its destination */
} walk;

static void *grow(void *items, unsigned *cap, unsigned n, size_t size) {
    if (n < *cap)
        return items;
    *cap = *cap ? *cap * 2 : 8;
    return ac_xrealloc(items, *cap * size);
}

/* --- frontiers ------------------------------------------------------- */

static flow *alloc_flow(void) {
    flow *f = ac_xmalloc(sizeof *f);
    memset(f, 0, sizeof *f);
    return f;
}

static void free_flow(flow *f) {
    if (f) {
        free(f->items);
        free(f);
    }
}

/* A frontier for the current walk.  Walks repeat, so the frontiers of
 * one are reused by the next with their storage: after the first walk,
 * frontiers allocate nothing. */
static flow *new_flow(walk *w) {
    if (w->npool == w->nalloc) {
        w->pool = grow(w->pool, &w->cappool, w->nalloc, sizeof *w->pool);
        w->pool[w->nalloc++] = alloc_flow();
    }
    flow *f = w->pool[w->npool++];
    f->n = 0;
    return f;
}

static void clear(flow *f) { f->n = 0; }

static void reserve(flow *f, unsigned n) {
    if (n > f->cap) {
        f->cap = n > 2 * f->cap ? n : 2 * f->cap;
        f->items = ac_xrealloc(f->items, f->cap * sizeof *f->items);
    }
}

static void assign(flow *dst, const flow *src) {
    reserve(dst, src->n);
    if (src->n)
        memcpy(dst->items, src->items, src->n * sizeof *src->items);
    dst->n = src->n;
}

static flow *copy_flow(walk *w, const flow *src) {
    flow *f = new_flow(w);
    assign(f, src);
    return f;
}

/* dst |= src; returns whether dst grew.  The union is written to the
 * walk's scratch array, which then trades places with dst's. */
static int merge(walk *w, flow *dst, const flow *src) {
    if (!src->n)
        return 0;
    if (!dst->n) {
        assign(dst, src);
        return 1;
    }
    reserve(&w->scratch, dst->n + src->n);
    member *m = w->scratch.items;
    unsigned i = 0, j = 0, n = 0;
    int grew = 0;
    while (i < dst->n || j < src->n) {
        if (j == src->n || (i < dst->n && dst->items[i].id < src->items[j].id))
            m[n++] = dst->items[i++];
        else if (i == dst->n || src->items[j].id < dst->items[i].id) {
            m[n++] = src->items[j++];
            grew = 1;
        } else {
            m[n] = dst->items[i++];
            if ((m[n].bits | src->items[j].bits) != m[n].bits)
                grew = 1;
            m[n++].bits |= src->items[j++].bits;
        }
    }
    flow old = *dst;
    dst->items = m;
    dst->cap = w->scratch.cap;
    dst->n = n;
    w->scratch.items = old.items;
    w->scratch.cap = old.cap;
    return grew;
}

static void add_member(walk *w, flow *f, unsigned id, unsigned bits) {
    member one = {id, bits};
    flow single = {&one, 1, 1};
    merge(w, f, &single);
}

/* A set kept across walks (loop heads, labels). */
static flow *keyed_set(walk *w, const void *key) {
    if (2 * (w->nkeyed + 1) > w->capkeyed) {
        keyed *old = w->keyed;
        unsigned oldcap = w->capkeyed;
        w->capkeyed = oldcap ? oldcap * 2 : 64;
        w->keyed = ac_xmalloc(w->capkeyed * sizeof *w->keyed);
        memset(w->keyed, 0, w->capkeyed * sizeof *w->keyed);
        for (unsigned i = 0; i < oldcap; i++)
            if (old[i].key) {
                unsigned h = (unsigned)((uintptr_t)old[i].key >> 4);
                while (w->keyed[h & (w->capkeyed - 1)].key)
                    h++;
                w->keyed[h & (w->capkeyed - 1)] = old[i];
            }
        free(old);
    }
    unsigned h = (unsigned)((uintptr_t)key >> 4);
    for (;; h++) {
        keyed *k = &w->keyed[h & (w->capkeyed - 1)];
        if (k->key == key)
            return k->set;
        if (!k->key) {
            k->key = key;
            k->set = alloc_flow();
            w->nkeyed++;
            return k->set;
        }
    }
}

static void merge_kept(walk *w, const void *key, const flow *src) {
    if (merge(w, keyed_set(w, key), src))
        w->changed = 1;
}

/* --- transitions ----------------------------------------------------- */

static void add_edge(walk *w, unsigned from, int to, unsigned kind) {
    out_edges *o = &w->out[from];
    for (unsigned i = 0; i < o->n; i++)
        if (o->items[i].to == to) {
            if ((o->items[i].kinds & kind) != kind) {
                o->items[i].kinds |= kind;
                w->changed = 1;
            }
            return;
        }
    o->items = grow(o->items, &o->cap, o->n, sizeof *o->items);
    o->items[o->n++] = (ac_transition){from, to, kind};
    w->changed = 1;
}

/* Every member of the frontier ends the function. */
static void end_here(walk *w, flow *cur, unsigned kind) {
    for (unsigned i = 0; i < cur->n; i++)
        add_edge(w, cur->items[i].id, AC_DONE, kind);
    clear(cur);
}

/* State `s` fails and nothing catches it here: it lands after the
 * innermost async_timeout block, or leaves the function. */
static void propagate(walk *w, unsigned s) {
    if (w->nlandings)
        add_member(w, w->landings[w->nlandings - 1], s, PLAIN);
    else
        add_edge(w, s, AC_DONE, AC_EDGE_FAIL);
}

static void reach_state(walk *w, flow *cur, unsigned id) {
    if (id == 0 || id > w->nstates)
        return; /* not numbered: not a state of this function */
    /* Not reached (yet: a later walk may bring a back edge or a goto). */
    if (!cur->n)
        return;
    for (unsigned i = 0; i < cur->n; i++) {
        if (cur->items[i].bits & PLAIN)
            add_edge(w, cur->items[i].id, (int)id, AC_EDGE_NEXT);
        if (cur->items[i].bits & CAUGHT)
            add_edge(w, cur->items[i].id, (int)id, AC_EDGE_TIMEOUT);
        if (cur->items[i].bits & DEFERRED)
            add_edge(w, cur->items[i].id, (int)id, AC_EDGE_DEFER);
    }
    clear(cur);
    add_member(w, cur, id, PLAIN);
    /* Any await can fail (at least by cancellation); async_try catches
     * the failure where it happens, so control goes on in place. */
    if (!w->in_try)
        propagate(w, id);
}

/* --- constant conditions --------------------------------------------- */

/* 1 or 0 for a condition that is a constant (while (1), while (0)),
 * -1 when it is not known. */
static int cond_value(const walk *w, const ac_expr *e) {
    if (!e)
        return 1; /* for (;;) */
    if (!w->src || e->kind != AC_E_TEXT || e->nkids ||
        e->span.end <= e->span.begin || e->span.end > w->src->len)
        return -1;
    const char *t = w->src->text;
    unsigned b = e->span.begin, end = e->span.end;
    while (b < end && (isspace((unsigned char)t[b]) || t[b] == '('))
        b++;
    while (end > b && (isspace((unsigned char)t[end - 1]) || t[end - 1] == ')'))
        end--;
    size_t n = end - b;
    if (n == 4 && memcmp(t + b, "true", 4) == 0)
        return 1;
    if (n == 5 && memcmp(t + b, "false", 5) == 0)
        return 0;
    if (n == 0)
        return -1;
    int nonzero = 0;
    for (unsigned i = b; i < end; i++) {
        if (!isdigit((unsigned char)t[i]))
            return -1;
        nonzero |= t[i] != '0';
    }
    return nonzero;
}

/* --- expressions ----------------------------------------------------- */

static void walk_expr(walk *w, const ac_expr *e, flow *cur);

/* && || ?: and comma: operands in C's order, each only when C evaluates
 * it, as the emitter sequences them.  A constant first operand (1 &&,
 * 0 ||, 1 ?) decides which way it goes. */
static void walk_sequenced(walk *w, const ac_expr *e, flow *cur) {
    walk_expr(w, e->kids[0], cur);
    if (e->op == AC_OP_COMMA) {
        for (unsigned i = 1; i < e->nkids; i++)
            walk_expr(w, e->kids[i], cur);
        return;
    }
    int c = cond_value(w, e->kids[0]);
    int taken = e->op == AC_OP_LOR ? 0 : 1; /* the value that goes on */
    flow *other = copy_flow(w, cur);        /* the other operand's way */
    if (c == taken)
        clear(other);
    else if (c == !taken)
        clear(cur);
    if (e->nkids > 1)
        walk_expr(w, e->kids[1], cur);
    if (e->op == AC_OP_COND && e->nkids > 2)
        walk_expr(w, e->kids[2], other);
    merge(w, cur, other);
}

static void walk_expr(walk *w, const ac_expr *e, flow *cur) {
    if (!e)
        return;
    if (e->kind == AC_E_TEXT && e->op != AC_OP_OTHER && e->nkids) {
        walk_sequenced(w, e, cur);
        return;
    }
    switch (e->kind) {
    case AC_E_GATHER:
        /* The calls' arguments first, then the one suspension point. */
        for (unsigned i = 0; i < e->nkids; i++)
            for (unsigned k = 0; k < e->kids[i]->nkids; k++)
                walk_expr(w, e->kids[i]->kids[k], cur);
        reach_state(w, cur, e->id);
        return;
    case AC_E_WAITFOR:
        if (e->nkids > 0)
            for (unsigned k = 0; k < e->kids[0]->nkids; k++)
                walk_expr(w, e->kids[0]->kids[k], cur);
        if (e->nkids > 1)
            walk_expr(w, e->kids[1], cur);
        reach_state(w, cur, e->id);
        return;
    case AC_E_TRY:
        if (e->nkids > 0)
            walk_expr(w, e->kids[0], cur);
        w->in_try++;
        for (unsigned i = 1; i < e->nkids; i++)
            walk_expr(w, e->kids[i], cur);
        w->in_try--;
        return;
    default:
        for (unsigned i = 0; i < e->nkids; i++)
            walk_expr(w, e->kids[i], cur);
        if (e->kind == AC_E_AWAIT || e->kind == AC_E_JOIN)
            reach_state(w, cur, e->id);
        return;
    }
}

/* --- statements ------------------------------------------------------ */

static void walk_stmt(walk *w, const ac_stmt *s, flow *cur);

static unsigned push_jump(walk *w, const ac_stmt *target, flow *head) {
    w->jumps = grow(w->jumps, &w->capjumps, w->njumps, sizeof *w->jumps);
    jump *j = &w->jumps[w->njumps];
    j->target = target;
    j->brk = new_flow(w);
    j->cont = new_flow(w);
    j->head = head;
    return w->njumps++;
}

/* The break or continue target: the recorded one, or the innermost
 * loop (or switch, for a break) when the IR names none. */
static jump *find_jump(walk *w, const ac_stmt *s) {
    for (unsigned i = w->njumps; i-- > 0;) {
        jump *j = &w->jumps[i];
        if (s->target ? j->target == s->target
                      : s->kind == AC_S_BREAK || !j->head)
            return j;
    }
    return NULL;
}

static int has_default(const ac_stmt *s) {
    if (!s || s->kind == AC_S_SWITCH)
        return 0; /* a nested switch's labels are its own */
    if (s->kind == AC_S_CASE && s->is_default)
        return 1;
    if (has_default(s->init) || has_default(s->body) || has_default(s->els))
        return 1;
    for (unsigned i = 0; i < s->nkids; i++)
        if (has_default(s->kids[i]))
            return 1;
    return 0;
}

/* Labels of the function, for gotos. */
static void goto_label(walk *w, const ac_stmt *s, const char *name,
                       const flow *from) {
    if (!s)
        return;
    if (s->kind == AC_S_LABEL &&
        (!name || (s->label && strcmp(s->label, name) == 0)))
        merge_kept(w, s, from);
    goto_label(w, s->init, name, from);
    goto_label(w, s->body, name, from);
    goto_label(w, s->els, name, from);
    for (unsigned i = 0; i < s->nkids; i++)
        goto_label(w, s->kids[i], name, from);
}

static int label_exists(const ac_stmt *s, const char *name) {
    if (!s)
        return 0;
    if (s->kind == AC_S_LABEL && s->label && strcmp(s->label, name) == 0)
        return 1;
    if (label_exists(s->init, name) || label_exists(s->body, name) ||
        label_exists(s->els, name))
        return 1;
    for (unsigned i = 0; i < s->nkids; i++)
        if (label_exists(s->kids[i], name))
            return 1;
    return 0;
}

/* A statement copied as text is a goto when it says so. */
static int is_goto(const walk *w, const ac_stmt *s) {
    if (s->label)
        return 1;
    if (!w->src || s->span.end > w->src->len || s->span.end - s->span.begin < 5)
        return 0;
    const char *t = w->src->text + s->span.begin;
    return memcmp(t, "goto", 4) == 0 && !isalnum((unsigned char)t[4]) &&
           t[4] != '_';
}

static void walk_goto(walk *w, const ac_stmt *s, flow *cur) {
    /* A target that cannot be named is any label: over-approximated. */
    const char *name =
        s->label && label_exists(w->f->body, s->label) ? s->label : NULL;
    goto_label(w, w->f->body, name, cur);
    clear(cur);
}

static flow *walk_loop_body(walk *w, const ac_stmt *s, flow *cur) {
    unsigned j = push_jump(w, s, NULL);
    walk_stmt(w, s->body, cur);
    merge(w, cur, w->jumps[j].cont);
    flow *brk = w->jumps[j].brk;
    w->njumps--;
    return brk;
}

static void walk_while(walk *w, const ac_stmt *s, flow *cur) {
    merge(w, cur, keyed_set(w, s));
    walk_expr(w, s->expr, cur);
    int c = cond_value(w, s->expr);
    flow *exit = c == 1 ? new_flow(w) : copy_flow(w, cur);
    if (c == 0)
        clear(cur);
    flow *brk = walk_loop_body(w, s, cur);
    merge_kept(w, s, cur);
    assign(cur, exit);
    merge(w, cur, brk);
}

static void walk_do(walk *w, const ac_stmt *s, flow *cur) {
    merge(w, cur, keyed_set(w, s));
    flow *brk = walk_loop_body(w, s, cur);
    walk_expr(w, s->expr, cur);
    int c = cond_value(w, s->expr);
    if (c != 0)
        merge_kept(w, s, cur);
    if (c == 1)
        clear(cur);
    merge(w, cur, brk);
}

static void walk_for(walk *w, const ac_stmt *s, flow *cur) {
    walk_stmt(w, s->init, cur);
    merge(w, cur, keyed_set(w, s));
    walk_expr(w, s->expr, cur);
    int c = cond_value(w, s->expr);
    flow *exit = c == 1 ? new_flow(w) : copy_flow(w, cur);
    if (c == 0)
        clear(cur);
    flow *brk = walk_loop_body(w, s, cur);
    walk_expr(w, s->inc, cur);
    merge_kept(w, s, cur);
    assign(cur, exit);
    merge(w, cur, brk);
}

static void walk_switch(walk *w, const ac_stmt *s, flow *cur) {
    walk_expr(w, s->expr, cur);
    flow *head = copy_flow(w, cur);
    clear(cur); /* only case labels lead into the body */
    unsigned j = push_jump(w, s, head);
    walk_stmt(w, s->body, cur);
    merge(w, cur, w->jumps[j].brk);
    w->njumps--;
    if (!has_default(s->body))
        merge(w, cur, head); /* no case matched */
}

static void walk_case(walk *w, const ac_stmt *s, flow *cur) {
    for (unsigned i = w->njumps; i-- > 0;)
        if (w->jumps[i].head) {
            merge(w, cur, w->jumps[i].head); /* jumped to, or fell through */
            break;
        }
    walk_stmt(w, s->body, cur);
}

/* async_timeout: a failure inside lands after the block, where the
 * deadline's own failure ends there and any other goes on outwards. */
static void walk_timeout(walk *w, const ac_stmt *s, flow *cur) {
    walk_expr(w, s->expr, cur);
    walk_expr(w, s->inc, cur);
    w->landings =
        grow(w->landings, &w->caplandings, w->nlandings, sizeof *w->landings);
    flow *landed = new_flow(w);
    w->landings[w->nlandings++] = landed;
    walk_stmt(w, s->body, cur);
    w->nlandings--;
    for (unsigned i = 0; i < landed->n; i++) {
        propagate(w, landed->items[i].id);
        add_member(w, cur, landed->items[i].id, CAUGHT);
    }
}

/* A jump (return, break, continue, goto) from `cur`: to the body of the
 * innermost async_defer whose scope it leaves, else to its target. */
static void walk_jump(walk *w, const ac_stmt *s, flow *cur) {
    if (w->ndefers && ac_lower_leaves(w->defers[w->ndefers - 1].defer, s)) {
        merge(w, w->defers[w->ndefers - 1].entry, cur);
        clear(cur);
        return;
    }
    if (s->kind == AC_S_RETURN) {
        end_here(w, cur, AC_EDGE_RETURN);
    } else if (s->kind == AC_S_BREAK || s->kind == AC_S_CONTINUE) {
        jump *j = find_jump(w, s);
        if (j)
            merge(w, s->kind == AC_S_BREAK ? j->brk : j->cont, cur);
        clear(cur);
    } else {
        walk_goto(w, s, cur);
    }
}

static void walk_list(walk *w, ac_stmt *const *kids, unsigned n, flow *cur);

/* async_defer: the rest of its block, then its body, reached by falling
 * off the rest, by each jump out of it and by each failure in it; then
 * the body's end goes where each of those would have gone (the emitted
 * dispatch tests an int the walk does not follow, so every way is
 * taken), and on after the defer. */
static void walk_defer(walk *w, const ac_stmt *s, ac_stmt *const *rest,
                       unsigned nrest, flow *cur) {
    w->landings =
        grow(w->landings, &w->caplandings, w->nlandings, sizeof *w->landings);
    flow *landed = new_flow(w);
    w->landings[w->nlandings++] = landed;
    w->defers = grow(w->defers, &w->capdefers, w->ndefers, sizeof *w->defers);
    flow *entry = new_flow(w);
    w->defers[w->ndefers++] = (open_defer){s, entry};
    walk_list(w, rest, nrest, cur);
    w->ndefers--;
    w->nlandings--;
    merge(w, cur, entry);
    for (unsigned i = 0; i < landed->n; i++)
        add_member(w, cur, landed->items[i].id, DEFERRED);
    walk_stmt(w, s->body, cur);
    if (w->m->defers[s->id - 1].lands)
        for (unsigned i = 0; i < cur->n; i++)
            propagate(w, cur->items[i].id);
    const ac_stmt *final = ac_lower_final_jump(s, rest, nrest);
    for (unsigned i = 0; i < s->nexits; i++)
        if (s->exits[i] != final &&
            (!final || ac_lower_exit_code(s, final) != i + 1))
            walk_jump(w, s->exits[i], copy_flow(w, cur));
    if (final) /* the last jump, taken without a test */
        walk_jump(w, s->exits[ac_lower_exit_code(s, final) - 1], cur);
}

static void walk_list(walk *w, ac_stmt *const *kids, unsigned n, flow *cur) {
    for (unsigned i = 0; i < n; i++) {
        if (kids[i]->kind == AC_S_DEFER) {
            walk_defer(w, kids[i], kids + i + 1, n - i - 1, cur);
            return;
        }
        walk_stmt(w, kids[i], cur);
    }
}

static void walk_raise(walk *w, const ac_stmt *s, flow *cur) {
    for (unsigned i = 0; i < s->expr->nkids; i++)
        walk_expr(w, s->expr->kids[i], cur);
    for (unsigned i = 0; i < cur->n; i++)
        propagate(w, cur->items[i].id);
    clear(cur);
}

static void walk_if(walk *w, const ac_stmt *s, flow *cur) {
    walk_expr(w, s->expr, cur);
    int c = cond_value(w, s->expr);
    flow *other = copy_flow(w, cur);
    if (c == 1)
        clear(other);
    else if (c == 0)
        clear(cur);
    walk_stmt(w, s->body, cur);
    walk_stmt(w, s->els, other);
    merge(w, cur, other);
}

static void walk_stmt(walk *w, const ac_stmt *s, flow *cur) {
    if (!s)
        return;
    switch (s->kind) {
    case AC_S_COMPOUND:
        walk_list(w, s->kids, s->nkids, cur);
        break;
    case AC_S_DEFER: /* not in a block: refused by the parser */
        walk_defer(w, s, NULL, 0, cur);
        break;
    case AC_S_EXPR:
        if (s->expr && s->expr->kind == AC_E_RAISE)
            walk_raise(w, s, cur);
        else
            walk_expr(w, s->expr, cur);
        break;
    case AC_S_DECL:
        for (unsigned i = 0; i < s->nvars; i++)
            walk_expr(w, s->vars[i]->init, cur);
        break;
    case AC_S_IF:
        walk_if(w, s, cur);
        break;
    case AC_S_WHILE:
        walk_while(w, s, cur);
        break;
    case AC_S_DO:
        walk_do(w, s, cur);
        break;
    case AC_S_FOR:
        walk_for(w, s, cur);
        break;
    case AC_S_SWITCH:
        walk_switch(w, s, cur);
        break;
    case AC_S_CASE:
        walk_case(w, s, cur);
        break;
    case AC_S_LABEL:
        merge(w, cur, keyed_set(w, s));
        walk_stmt(w, s->body, cur);
        break;
    case AC_S_BREAK:
    case AC_S_CONTINUE:
        walk_jump(w, s, cur);
        break;
    case AC_S_RETURN:
        walk_expr(w, s->expr, cur);
        walk_jump(w, s, cur);
        break;
    case AC_S_TIMEOUT:
        walk_timeout(w, s, cur);
        break;
    case AC_S_TEXT:
        if (ac_lower_is_goto(s))
            walk_jump(w, s, cur);
        else if (is_goto(w, s))
            walk_goto(w, s, cur);
        break;
    }
}

/* --- the machine's transitions --------------------------------------- */

static int cmp_to(const void *a, const void *b) {
    const ac_transition *x = a, *y = b;
    unsigned tx = x->to < 0 ? ~0u : (unsigned)x->to;
    unsigned ty = y->to < 0 ? ~0u : (unsigned)y->to;
    return (tx > ty) - (tx < ty);
}

void ac_lower_transitions(ac_unit *u, const ac_func *f, ac_machine *m) {
    walk w;
    memset(&w, 0, sizeof w);
    w.f = f;
    w.m = m;
    w.src = &u->src;
    w.nstates = m->nstates;
    w.out = ac_xmalloc((m->nstates + 1) * sizeof *w.out);
    memset(w.out, 0, (m->nstates + 1) * sizeof *w.out);
    do {
        w.changed = 0;
        flow *cur = new_flow(&w);
        add_member(&w, cur, 0, PLAIN);
        walk_stmt(&w, f->body, cur);
        end_here(&w, cur, AC_EDGE_END);
        w.npool = 0;
        w.njumps = w.nlandings = w.in_try = w.ndefers = 0;
    } while (w.changed && w.nkeyed);
    unsigned n = 0;
    for (unsigned i = 0; i <= m->nstates; i++)
        n += w.out[i].n;
    m->transitions =
        ac_arena_alloc(&u->arena, (n ? n : 1) * sizeof(ac_transition));
    for (unsigned i = 0; i <= m->nstates; i++) {
        out_edges *o = &w.out[i];
        if (o->n > 1)
            qsort(o->items, o->n, sizeof *o->items, cmp_to);
        if (o->n) /* an unreachable state has none, and no array */
            memcpy(m->transitions + m->ntransitions, o->items,
                   o->n * sizeof *o->items);
        m->ntransitions += o->n;
        free(o->items);
    }
    free(w.out);
    for (unsigned i = 0; i < w.capkeyed; i++)
        free_flow(w.keyed[i].set);
    free(w.keyed);
    free(w.jumps);
    free(w.landings);
    free(w.defers);
    for (unsigned i = 0; i < w.nalloc; i++)
        free_flow(w.pool[i]);
    free(w.pool);
    free(w.scratch.items);
}
