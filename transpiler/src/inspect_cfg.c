/*
 * inspect_cfg.c -- the transitions between states (see inspect_cfg.h).
 *
 * One walk over the body in execution order carries a "frontier": the
 * set of states from which control can have reached the current point
 * without suspending again (bit 1: by ordinary flow, bit 2: after the
 * state failed and an async_timeout block caught the failure).  Reaching
 * a state adds an edge from every member and leaves that state alone in
 * the frontier; a return, the end of the body or a failure that leaves
 * the function adds edges to done.  Branches copy the frontier and merge
 * it again.  Back edges (loops) and goto reach code that the walk has
 * passed already, so what flows into a loop head or a label is kept
 * across walks and the whole walk repeats until no edge and no such set
 * grows: every set only grows and is bounded, so this ends, usually after
 * two or three walks.
 */
#include "inspect_cfg.h"

#include "buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum { PLAIN = 1, CAUGHT = 2 };

typedef unsigned char *flow; /* one entry per state 0..n: PLAIN|CAUGHT */

typedef struct keyed {
    const void *key; /* a loop (its back edges) or a label (its gotos) */
    flow set;
} keyed;

typedef struct jump {
    const ac_stmt *target; /* a loop or a switch */
    flow brk, cont;
    flow head; /* switch: the frontier at its case labels, else NULL */
} jump;

typedef struct walk {
    ac_cfg *g;
    const ac_func *f;
    const ac_source *src;
    unsigned width; /* states 0..n */
    int changed;
    keyed *keyed;
    unsigned nkeyed, capkeyed;
    jump *jumps;
    unsigned njumps, capjumps;
    flow *landings; /* async_timeout blocks around the point, innermost
                       last: the states whose failure lands after them */
    unsigned nlandings, caplandings;
    unsigned in_try; /* inside async_try: failures are caught in place */
    flow *pool;      /* frontiers of the current walk, freed after it */
    unsigned npool, cappool;
} walk;

static void *grow(void *items, unsigned *cap, unsigned n, size_t size) {
    if (n < *cap)
        return items;
    *cap = *cap ? *cap * 2 : 16;
    return ac_xrealloc(items, *cap * size);
}

static flow new_flow(walk *w) {
    flow f = ac_xmalloc(w->width);
    memset(f, 0, w->width);
    w->pool = grow(w->pool, &w->cappool, w->npool, sizeof *w->pool);
    w->pool[w->npool++] = f;
    return f;
}

static flow copy_flow(walk *w, const unsigned char *from) {
    flow f = new_flow(w);
    memcpy(f, from, w->width);
    return f;
}

/* dst |= src; returns whether dst grew. */
static int merge(walk *w, flow dst, const unsigned char *src) {
    int grew = 0;
    for (unsigned i = 0; i < w->width; i++)
        if ((dst[i] | src[i]) != dst[i]) {
            dst[i] |= src[i];
            grew = 1;
        }
    return grew;
}

static void clear(walk *w, flow f) { memset(f, 0, w->width); }

/* A set kept across walks (loop heads, labels). */
static flow keyed_set(walk *w, const void *key) {
    for (unsigned i = 0; i < w->nkeyed; i++)
        if (w->keyed[i].key == key)
            return w->keyed[i].set;
    w->keyed = grow(w->keyed, &w->capkeyed, w->nkeyed, sizeof *w->keyed);
    flow set = ac_xmalloc(w->width);
    memset(set, 0, w->width);
    w->keyed[w->nkeyed].key = key;
    w->keyed[w->nkeyed++].set = set;
    return set;
}

static void merge_kept(walk *w, const void *key, const unsigned char *src) {
    if (merge(w, keyed_set(w, key), src))
        w->changed = 1;
}

static void add_edge(walk *w, unsigned from, unsigned to, unsigned kind) {
    unsigned char *e = &w->g->edges[from * (w->width + 1) + to];
    if ((*e & kind) != kind) {
        *e |= kind;
        w->changed = 1;
    }
}

#define DONE (w->width) /* the column of "done" */

/* Every member of the frontier ends the function. */
static void end_here(walk *w, flow cur, unsigned kind) {
    for (unsigned s = 0; s < w->width; s++)
        if (cur[s])
            add_edge(w, s, DONE, kind);
    clear(w, cur);
}

/* State `s` fails and nothing catches it here: it lands after the
 * innermost async_timeout block, or leaves the function. */
static void propagate(walk *w, unsigned s) {
    if (w->nlandings)
        w->landings[w->nlandings - 1][s] |= PLAIN;
    else
        add_edge(w, s, DONE, AC_EDGE_FAIL);
}

static void reach_state(walk *w, flow cur, unsigned id) {
    if (id == 0 || id >= w->width)
        return; /* not numbered: not a state of this function */
    int reached = 0;
    for (unsigned s = 0; s < w->width; s++) {
        if (cur[s] & PLAIN)
            add_edge(w, s, id, AC_EDGE_NEXT);
        if (cur[s] & CAUGHT)
            add_edge(w, s, id, AC_EDGE_TIMEOUT);
        reached |= cur[s] != 0;
    }
    /* Not reached (yet: a later walk may bring a back edge or a goto). */
    if (!reached)
        return;
    clear(w, cur);
    cur[id] = PLAIN;
    /* Any await can fail (at least by cancellation); async_try catches
     * the failure where it happens, so control goes on in place. */
    if (!w->in_try)
        propagate(w, id);
}

/* --- constant conditions ------------------------------------------- */

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

/* --- expressions ---------------------------------------------------- */

int ac_cfg_is_state(const ac_expr *e) {
    return e && (e->kind == AC_E_AWAIT || e->kind == AC_E_JOIN ||
                 e->kind == AC_E_GATHER || e->kind == AC_E_WAITFOR);
}

static void walk_expr(walk *w, const ac_expr *e, flow cur);

/* && || ?: and comma: operands in C's order, each only when C evaluates
 * it, as the emitter sequences them.  A constant first operand (1 &&,
 * 0 ||, 1 ?) decides which way it goes. */
static void walk_sequenced(walk *w, const ac_expr *e, flow cur) {
    walk_expr(w, e->kids[0], cur);
    if (e->op == AC_OP_COMMA) {
        for (unsigned i = 1; i < e->nkids; i++)
            walk_expr(w, e->kids[i], cur);
        return;
    }
    int c = cond_value(w, e->kids[0]);
    int taken = e->op == AC_OP_LOR ? 0 : 1; /* the value that goes on */
    flow other = copy_flow(w, cur);         /* the other operand's way */
    if (c == taken)
        clear(w, other);
    else if (c == !taken)
        clear(w, cur);
    if (e->nkids > 1)
        walk_expr(w, e->kids[1], cur);
    if (e->op == AC_OP_COND && e->nkids > 2)
        walk_expr(w, e->kids[2], other);
    merge(w, cur, other);
}

static void walk_expr(walk *w, const ac_expr *e, flow cur) {
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

/* --- statements ----------------------------------------------------- */

static void walk_stmt(walk *w, const ac_stmt *s, flow cur);

static unsigned push_jump(walk *w, const ac_stmt *target, flow head) {
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
                       const unsigned char *from) {
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

static void walk_goto(walk *w, const ac_stmt *s, flow cur) {
    /* A target that cannot be named is any label: over-approximated. */
    const char *name =
        s->label && label_exists(w->f->body, s->label) ? s->label : NULL;
    goto_label(w, w->f->body, name, cur);
    clear(w, cur);
}

static void walk_loop_body(walk *w, const ac_stmt *s, flow cur, flow *brk) {
    unsigned j = push_jump(w, s, NULL);
    walk_stmt(w, s->body, cur);
    merge(w, cur, w->jumps[j].cont);
    *brk = w->jumps[j].brk;
    w->njumps--;
}

static void walk_while(walk *w, const ac_stmt *s, flow cur) {
    merge(w, cur, keyed_set(w, s));
    walk_expr(w, s->expr, cur);
    int c = cond_value(w, s->expr);
    flow exit = c == 1 ? new_flow(w) : copy_flow(w, cur);
    if (c == 0)
        clear(w, cur);
    flow brk;
    walk_loop_body(w, s, cur, &brk);
    merge_kept(w, s, cur);
    memcpy(cur, exit, w->width);
    merge(w, cur, brk);
}

static void walk_do(walk *w, const ac_stmt *s, flow cur) {
    merge(w, cur, keyed_set(w, s));
    flow brk;
    walk_loop_body(w, s, cur, &brk);
    walk_expr(w, s->expr, cur);
    int c = cond_value(w, s->expr);
    if (c != 0)
        merge_kept(w, s, cur);
    if (c == 1)
        clear(w, cur);
    merge(w, cur, brk);
}

static void walk_for(walk *w, const ac_stmt *s, flow cur) {
    walk_stmt(w, s->init, cur);
    merge(w, cur, keyed_set(w, s));
    walk_expr(w, s->expr, cur);
    int c = cond_value(w, s->expr);
    flow exit = c == 1 ? new_flow(w) : copy_flow(w, cur);
    if (c == 0)
        clear(w, cur);
    flow brk;
    walk_loop_body(w, s, cur, &brk);
    walk_expr(w, s->inc, cur);
    merge_kept(w, s, cur);
    memcpy(cur, exit, w->width);
    merge(w, cur, brk);
}

static void walk_switch(walk *w, const ac_stmt *s, flow cur) {
    walk_expr(w, s->expr, cur);
    flow head = copy_flow(w, cur);
    clear(w, cur); /* only case labels lead into the body */
    unsigned j = push_jump(w, s, head);
    walk_stmt(w, s->body, cur);
    merge(w, cur, w->jumps[j].brk);
    w->njumps--;
    if (!has_default(s->body))
        merge(w, cur, head); /* no case matched */
}

static void walk_case(walk *w, const ac_stmt *s, flow cur) {
    for (unsigned i = w->njumps; i-- > 0;)
        if (w->jumps[i].head) {
            merge(w, cur, w->jumps[i].head); /* jumped to, or fell through */
            break;
        }
    walk_stmt(w, s->body, cur);
}

/* async_timeout: a failure inside lands after the block, where the
 * deadline's own failure ends there and any other goes on outwards. */
static void walk_timeout(walk *w, const ac_stmt *s, flow cur) {
    walk_expr(w, s->expr, cur);
    walk_expr(w, s->inc, cur);
    w->landings =
        grow(w->landings, &w->caplandings, w->nlandings, sizeof *w->landings);
    flow landed = new_flow(w);
    w->landings[w->nlandings++] = landed;
    walk_stmt(w, s->body, cur);
    w->nlandings--;
    for (unsigned i = 0; i < w->width; i++)
        if (landed[i]) {
            propagate(w, i);
            cur[i] |= CAUGHT;
        }
}

static void walk_stmt(walk *w, const ac_stmt *s, flow cur) {
    if (!s)
        return;
    switch (s->kind) {
    case AC_S_COMPOUND:
        for (unsigned i = 0; i < s->nkids; i++)
            walk_stmt(w, s->kids[i], cur);
        break;
    case AC_S_EXPR:
        if (s->expr && s->expr->kind == AC_E_RAISE) {
            for (unsigned i = 0; i < s->expr->nkids; i++)
                walk_expr(w, s->expr->kids[i], cur);
            for (unsigned i = 0; i < w->width; i++)
                if (cur[i])
                    propagate(w, i);
            clear(w, cur);
        } else {
            walk_expr(w, s->expr, cur);
        }
        break;
    case AC_S_DECL:
        for (unsigned i = 0; i < s->nvars; i++)
            walk_expr(w, s->vars[i]->init, cur);
        break;
    case AC_S_IF: {
        walk_expr(w, s->expr, cur);
        int c = cond_value(w, s->expr);
        flow other = copy_flow(w, cur);
        if (c == 1)
            clear(w, other);
        else if (c == 0)
            clear(w, cur);
        walk_stmt(w, s->body, cur);
        walk_stmt(w, s->els, other);
        merge(w, cur, other);
        break;
    }
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
    case AC_S_CONTINUE: {
        jump *j = find_jump(w, s);
        if (j)
            merge(w, s->kind == AC_S_BREAK ? j->brk : j->cont, cur);
        clear(w, cur);
        break;
    }
    case AC_S_RETURN:
        walk_expr(w, s->expr, cur);
        end_here(w, cur, AC_EDGE_RETURN);
        break;
    case AC_S_TIMEOUT:
        walk_timeout(w, s, cur);
        break;
    case AC_S_TEXT:
        if (is_goto(w, s))
            walk_goto(w, s, cur);
        break;
    }
}

/* --- the graph ------------------------------------------------------ */

static unsigned max_id_expr(const ac_expr *e) {
    if (!e)
        return 0;
    unsigned m = ac_cfg_is_state(e) ? e->id : 0;
    for (unsigned i = 0; i < e->nkids; i++) {
        unsigned k = max_id_expr(e->kids[i]);
        m = k > m ? k : m;
    }
    return m;
}

static unsigned max_id(const ac_stmt *s) {
    if (!s)
        return 0;
    unsigned m = max_id_expr(s->expr), k;
    if ((k = max_id_expr(s->inc)) > m)
        m = k;
    for (unsigned i = 0; i < s->nvars; i++)
        if ((k = max_id_expr(s->vars[i]->init)) > m)
            m = k;
    const ac_stmt *parts[] = {s->init, s->body, s->els};
    for (unsigned i = 0; i < 3; i++)
        if ((k = max_id(parts[i])) > m)
            m = k;
    for (unsigned i = 0; i < s->nkids; i++)
        if ((k = max_id(s->kids[i])) > m)
            m = k;
    return m;
}

void ac_cfg_build(ac_cfg *g, const ac_func *f, const ac_source *src) {
    g->nstates = max_id(f->body);
    size_t cells = (size_t)(g->nstates + 1) * (g->nstates + 2);
    g->edges = ac_xmalloc(cells);
    memset(g->edges, 0, cells);
    walk w;
    memset(&w, 0, sizeof w);
    w.g = g;
    w.f = f;
    w.src = src;
    w.width = g->nstates + 1;
    do {
        w.changed = 0;
        flow cur = new_flow(&w);
        cur[0] = PLAIN;
        walk_stmt(&w, f->body, cur);
        end_here(&w, cur, AC_EDGE_END);
        for (unsigned i = 0; i < w.npool; i++)
            free(w.pool[i]);
        w.npool = 0;
        w.njumps = w.nlandings = w.in_try = 0;
    } while (w.changed);
    for (unsigned i = 0; i < w.nkeyed; i++)
        free(w.keyed[i].set);
    free(w.keyed);
    free(w.jumps);
    free(w.landings);
    free(w.pool);
}

unsigned ac_cfg_edge(const ac_cfg *g, unsigned from, int to) {
    unsigned col = to < 0 ? g->nstates + 1 : (unsigned)to;
    if (from > g->nstates || col > g->nstates + 1)
        return 0;
    return g->edges[from * (g->nstates + 2) + col];
}

int ac_cfg_reachable(const ac_cfg *g, unsigned id) {
    if (id == 0)
        return 1;
    for (unsigned from = 0; from <= g->nstates; from++)
        if (ac_cfg_edge(g, from, (int)id))
            return 1;
    return 0;
}

void ac_cfg_free(ac_cfg *g) {
    free(g->edges);
    g->edges = NULL;
    g->nstates = 0;
}
