/*
 * lower_machine.c -- builds each async function's state machine (see
 * machine.h): numbers its states and names its frame slots, in the order
 * the resume function runs them, and records what the frame holds and
 * why.
 *
 * The order is the emitter's: statements as they are printed (a
 * restructured for loop: condition, body, increment; do: body, then
 * condition), and within a full expression the awaits in evaluation
 * order (arguments before their call; && || ?: and comma operand by
 * operand).  Child frames of awaits in different statements share the
 * _aw union; the slots of one statement with several are one group, a
 * struct member of the union, because they may be needed together.
 */
#include "lower_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* A growable array in the arena: doubling wastes at most the final
 * size again, and the whole unit's arena is freed at once. */
static void *grow(ac_arena *a, void *items, unsigned n, unsigned *cap,
                  size_t size) {
    if (n < *cap)
        return items;
    unsigned bigger = *cap ? *cap * 2 : 8;
    void *p = ac_arena_alloc(a, bigger * size);
    if (n)
        memcpy(p, items, n * size);
    *cap = bigger;
    return p;
}

typedef struct numbering {
    ac_unit *u;
    ac_func *f;
    ac_machine *m;
    unsigned capstates, capslots, capgroups;
    unsigned ntemps;
    unsigned group_size, group_id; /* the statement being numbered */
    unsigned group_first_slot;     /* its first slot, */
    unsigned group_first_state;    /* and its first state */
    int caught;                    /* inside async_try */
    /* async_timeout blocks and async_defer scopes around, innermost
     * last */
    const ac_stmt **scopes;
    unsigned nscopes;
} numbering;

/* --- counting slots (as the emitter opens groups) ------------------- */

unsigned ac_lower_count_slots(const ac_expr *e) {
    if (!e)
        return 0;
    unsigned n = e->kind == AC_E_AWAIT || e->kind == AC_E_JOIN ||
                 e->kind == AC_E_GATHER || e->kind == AC_E_WAITFOR ||
                 e->temp_decl != NULL;
    for (unsigned i = 0; i < e->nkids; i++)
        n += ac_lower_count_slots(e->kids[i]);
    return n;
}

/* --- states and slots ------------------------------------------------ */

static const char *collapsed_text(ac_unit *u, ac_span span) {
    unsigned end = span.end < u->src.len ? span.end : u->src.len;
    char *s =
        ac_arena_alloc(&u->arena, end > span.begin ? end - span.begin + 1 : 1);
    size_t n = 0;
    int space = 0;
    for (unsigned i = span.begin; i < end; i++) {
        char ch = u->src.text[i];
        if (isspace((unsigned char)ch)) {
            space = n > 0;
            continue;
        }
        if (space)
            s[n++] = ' ';
        space = 0;
        s[n++] = ch;
    }
    s[n] = 0;
    return s;
}

static unsigned line_of(const ac_unit *u, unsigned offset) {
    unsigned line, col;
    ac_source_linecol(&u->src, offset, &line, &col);
    return line;
}

/* A failure here, uncaught: it lands after the innermost async_timeout
 * block or in the innermost async_defer, which then needs its landing,
 * or leaves through asyncc_exit. */
static void note_failure(numbering *N) {
    if (!N->nscopes) {
        N->m->uses_exit = 1;
        return;
    }
    const ac_stmt *s = N->scopes[N->nscopes - 1];
    if (s->kind == AC_S_DEFER)
        N->m->defers[s->id - 1].lands = 1;
    else
        N->m->timeouts[s->id - 1].lands = 1;
}

static unsigned innermost_timeout(const numbering *N) {
    for (unsigned i = N->nscopes; i-- > 0;)
        if (N->scopes[i]->kind == AC_S_TIMEOUT)
            return N->scopes[i]->id;
    return 0;
}

/* The states numbered from `first` on, ascending.  States are numbered
 * in the order they run, so what a temporary is held across, what a
 * group's slots serve and what an async_timeout block holds are each the
 * states numbered while it was open. */
static unsigned *states_since(numbering *N, unsigned first, unsigned *n) {
    *n = N->m->nstates + 1 - first;
    unsigned *ids = ac_arena_alloc(&N->u->arena, (*n + 1) * sizeof *ids);
    for (unsigned i = 0; i < *n; i++)
        ids[i] = first + i;
    return ids;
}

/* A slot named <letter><number> ("a3", "t2"): its path, and its name as
 * the path's last component. */
static ac_slot *add_slot(numbering *N, ac_slot_kind kind, char letter,
                         unsigned number, const ac_expr *e) {
    ac_arena *A = &N->u->arena;
    ac_machine *m = N->m;
    m->slots = grow(A, m->slots, m->nslots, &N->capslots, sizeof *m->slots);
    ac_slot *s = &m->slots[m->nslots++];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    char *path;
    if (N->group_size <= 1) {
        path = ac_arena_printf(A, "_aw.%c%u", letter, number);
    } else {
        s->group = N->group_id;
        path = ac_arena_printf(A, "_aw.g%u.%c%u", N->group_id, letter, number);
    }
    s->path = path;
    s->name = strrchr(path, '.') + 1;
    s->line = line_of(N->u, e->span.begin);
    return s;
}

/* A new state for suspension point `e`, and the slot holding its child. */
static ac_slot *new_state(numbering *N, ac_expr *e, ac_state_kind kind,
                          ac_slot_kind slot_kind) {
    ac_arena *A = &N->u->arena;
    ac_machine *m = N->m;
    m->states =
        grow(A, m->states, m->nstates, &N->capstates, sizeof *m->states);
    ac_state *st = &m->states[m->nstates++];
    memset(st, 0, sizeof *st);
    e->id = st->id = m->nstates;
    st->kind = kind;
    st->offset = e->span.begin;
    ac_source_linecol(&N->u->src, e->span.begin, &st->line, &st->col);
    st->text = collapsed_text(N->u, e->span);
    st->caught = N->caught;
    st->timeout = innermost_timeout(N);
    st->slot = m->nslots;
    ac_slot *s = add_slot(N, slot_kind, 'a', st->id, e);
    s->state = st->id;
    s->states = states_since(N, st->id, &s->nstates);
    e->slot = s->path;
    if (!N->caught)
        note_failure(N);
    return s;
}

/* `name` and `decl` are kept: literals, or strings in the arena. */
static void add_member(ac_slot *s, const char *name, ac_member_kind kind,
                       const char *decl, unsigned call, const char *callee,
                       ac_heap_why heap) {
    s->members[s->nmembers++] =
        (ac_member){name, kind, decl, call, callee, heap};
}

static ac_heap_why heap_why(const ac_callee *c) {
    return c && c->is_pointer ? AC_HEAP_INDIRECT
           : c && c->def      ? AC_HEAP_RECURSION
                              : AC_HEAP_EXTERN;
}

/* async_wait_for of a task handle awaits the runtime's join in a task:
 * it has no function of the user's. */
static const char *call_name(const ac_expr *call) {
    const ac_callee *c = call ? call->callee : NULL;
    return c && strcmp(c->name, "async__join_cancel") != 0 ? c->name : NULL;
}

static const char *result_decl(const ac_callee *c) {
    return c->ret_decl ? c->ret_decl : "int %s";
}

/* A call of a gather or wait_for: its task t<i> and frame c<i>. */
static void add_call(numbering *N, ac_slot *s, const ac_expr *call,
                     unsigned i) {
    ac_arena *A = &N->u->arena;
    const char *name = call_name(call);
    add_member(s, ac_arena_printf(A, "t%u", i), AC_MEMBER_TASK,
               "async__child %s", i, name, AC_HEAP_NONE);
    if (call->heap)
        add_member(s, ac_arena_printf(A, "c%u", i), AC_MEMBER_POINTER,
                   "void *%s", i, name, heap_why(call->callee));
    else
        add_member(
            s, ac_arena_printf(A, "c%u", i), AC_MEMBER_FRAME,
            ac_arena_printf(A, "struct %s__frame %%s", call->callee->name), i,
            name, AC_HEAP_NONE);
}

static void number_await(numbering *N, ac_expr *e) {
    ac_arena *A = &N->u->arena;
    const ac_callee *c = e->callee;
    ac_state *st;
    if (!e->heap) {
        ac_slot *s = new_state(N, e, AC_STATE_AWAIT, AC_SLOT_FRAME);
        s->decl = ac_arena_printf(A, "struct %s__frame %%s", c->name);
        s->callee = c->name;
    } else {
        ac_slot *s = new_state(N, e, AC_STATE_AWAIT, AC_SLOT_HEAP);
        s->callee = c->name;
        s->heap = heap_why(c);
        s->members = ac_arena_alloc(A, 2 * sizeof *s->members);
        add_member(s, "frame", AC_MEMBER_POINTER, "void *%s", 0, c->name,
                   s->heap);
        if (!c->is_void)
            add_member(s, "value", AC_MEMBER_VALUE, result_decl(c), 0, c->name,
                       AC_HEAP_NONE);
    }
    st = &N->m->states[e->id - 1];
    st->callee = c->name;
    st->allocated = e->heap;
}

static void number_gather(numbering *N, ac_expr *e) {
    ac_arena *A = &N->u->arena;
    ac_slot *s = new_state(N, e, AC_STATE_GATHER, AC_SLOT_GATHER);
    ac_state *st = &N->m->states[e->id - 1];
    s->members = ac_arena_alloc(A, (1 + 2 * e->nkids) * sizeof *s->members);
    add_member(s, "g", AC_MEMBER_GATHER, "async__gather %s", 0, NULL,
               AC_HEAP_NONE);
    ac_buf names = {0};
    for (unsigned i = 0; i < e->nkids; i++) {
        const ac_expr *call = e->kids[i];
        add_call(N, s, call, i);
        ac_buf_printf(&names, "%s%s", i ? ", " : "",
                      call->callee ? call->callee->name : "?");
        st->allocated |= call->heap;
    }
    st->callee = ac_arena_strdup(A, ac_buf_str(&names));
    ac_buf_free(&names);
}

static void number_wait_for(numbering *N, ac_expr *e) {
    ac_arena *A = &N->u->arena;
    ac_expr *call = e->kids[0];
    ac_slot *s = new_state(N, e, AC_STATE_WAIT_FOR, AC_SLOT_WAIT_FOR);
    ac_state *st = &N->m->states[e->id - 1];
    st->callee = call_name(call);
    st->allocated = call->heap;
    s->members = ac_arena_alloc(A, 4 * sizeof *s->members);
    add_member(s, "w", AC_MEMBER_WAIT_FOR, "async__wait_for %s", 0, NULL,
               AC_HEAP_NONE);
    add_call(N, s, call, 0);
    if (call->heap && !e->is_void)
        add_member(s, "value", AC_MEMBER_VALUE, result_decl(call->callee), 0,
                   call_name(call), AC_HEAP_NONE);
}

/* A frame temporary for the value of a sequencing node or an async_try's
 * error pointer, in the statement's group like the child frames.
 * Returns its index in the slots, for hold_across. */
static unsigned new_temp(numbering *N, ac_expr *e) {
    ac_slot *s = add_slot(N, e->kind == AC_E_TRY ? AC_SLOT_ERRP : AC_SLOT_TEMP,
                          't', ++N->ntemps, e);
    s->decl = e->temp_decl;
    if (e->kind != AC_E_TRY)
        s->op = e->op == AC_OP_LAND ? "&&" : e->op == AC_OP_LOR ? "||" : "?:";
    e->slot = s->path;
    return N->m->nslots - 1;
}

/* Temporary `slot` is held across the states numbered from `first` on:
 * its later operands' (a sequencing node) or its expression's
 * (async_try). */
static void hold_across(numbering *N, unsigned slot, unsigned first) {
    ac_slot *s = &N->m->slots[slot];
    s->states = states_since(N, first, &s->nstates);
}

static void number_awaits(numbering *N, ac_expr *e);

static void number_sequenced(numbering *N, ac_expr *e) {
    number_awaits(N, e->kids[0]);
    unsigned temp = e->temp_decl ? new_temp(N, e) : 0,
             first = N->m->nstates + 1;
    switch (e->op) {
    case AC_OP_LAND:
    case AC_OP_LOR:
    case AC_OP_COMMA:
        number_awaits(N, e->kids[1]);
        break;
    case AC_OP_COND:
        number_awaits(N, e->kids[1]);
        number_awaits(N, e->kids[2]);
        break;
    case AC_OP_OTHER:
        break;
    }
    if (e->temp_decl)
        hold_across(N, temp, first);
}

static void number_awaits(numbering *N, ac_expr *e) {
    if (e->kind == AC_E_TEXT && e->op != AC_OP_OTHER) {
        number_sequenced(N, e);
        return;
    }
    if (e->kind != AC_E_GATHER && e->kind != AC_E_CALL && e->kind != AC_E_TRY &&
        e->kind != AC_E_WAITFOR)
        for (unsigned i = 0; i < e->nkids; i++)
            number_awaits(N, e->kids[i]);
    switch (e->kind) {
    case AC_E_AWAIT:
        number_await(N, e);
        break;
    case AC_E_JOIN: {
        ac_slot *s = new_state(N, e, AC_STATE_JOIN, AC_SLOT_JOIN);
        s->decl = "struct async_join__frame %s";
        break;
    }
    case AC_E_GATHER:
        for (unsigned i = 0; i < e->nkids; i++)
            for (unsigned k = 0; k < e->kids[i]->nkids; k++)
                number_awaits(N, e->kids[i]->kids[k]);
        number_gather(N, e);
        break;
    case AC_E_WAITFOR:
        for (unsigned k = 0; k < e->kids[0]->nkids; k++)
            number_awaits(N, e->kids[0]->kids[k]);
        number_awaits(N, e->kids[1]);
        number_wait_for(N, e);
        break;
    case AC_E_TRY: {
        unsigned temp = new_temp(N, e), first = N->m->nstates + 1;
        int caught = N->caught;
        N->caught = 1;
        number_awaits(N, e->kids[1]);
        N->caught = caught;
        hold_across(N, temp, first);
        break;
    }
    case AC_E_TEXT:
    case AC_E_CALL:
    case AC_E_SPAWN:
    case AC_E_SPAWNER:
    case AC_E_RAISE:
    case AC_E_FAILING:
        break;
    }
}

static void begin_group(numbering *N, unsigned nslots) {
    N->group_size = nslots;
    N->group_id = 0;
    if (nslots <= 1)
        return;
    ac_machine *m = N->m;
    m->groups = grow(&N->u->arena, m->groups, m->ngroups, &N->capgroups,
                     sizeof *m->groups);
    ac_group *g = &m->groups[m->ngroups++];
    memset(g, 0, sizeof *g);
    g->id = N->group_id = m->ngroups;
    N->group_first_slot = m->nslots;
    N->group_first_state = m->nstates + 1;
}

/* The statement's slots are numbered: its group (if any) records the
 * earliest line of its slots and the states they serve. */
static void end_group(numbering *N) {
    ac_machine *m = N->m;
    if (N->group_id) {
        ac_group *g = &m->groups[N->group_id - 1];
        for (unsigned i = N->group_first_slot; i < m->nslots; i++)
            if (!g->line || m->slots[i].line < g->line)
                g->line = m->slots[i].line;
        g->states = states_since(N, N->group_first_state, &g->nstates);
    }
    N->group_size = N->group_id = 0;
}

/* All awaits of one full expression, as one group of slots. */
static void number_root(numbering *N, ac_expr *e) {
    if (!e)
        return;
    begin_group(N, ac_lower_count_slots(e));
    number_awaits(N, e);
    end_group(N);
}

/* --- statements ------------------------------------------------------ */

static int awaits_or_spawns(const ac_expr *e) {
    return e && (e->kind != AC_E_TEXT || e->nkids > 0);
}

static void number_stmt(numbering *N, ac_stmt *s);

static void number_decl(numbering *N, ac_stmt *s) {
    if (s->nvars && s->vars[0]->hoisted) {
        for (unsigned i = 0; i < s->nvars; i++)
            number_root(N, s->vars[i]->init);
        return;
    }
    /* A declaration kept as C: every initializer's awaits first, as one
     * statement's. */
    unsigned slots = 0;
    for (unsigned i = 0; i < s->nvars; i++)
        if (awaits_or_spawns(s->vars[i]->init))
            slots += ac_lower_count_slots(s->vars[i]->init);
    begin_group(N, slots);
    for (unsigned i = 0; i < s->nvars; i++)
        if (awaits_or_spawns(s->vars[i]->init))
            number_awaits(N, s->vars[i]->init);
    end_group(N);
}

static void number_timeout(numbering *N, ac_stmt *s) {
    ac_timeout *t = &N->m->timeouts[s->id - 1];
    t->id = s->id;
    t->line = line_of(N->u, s->span.begin);
    t->parent = innermost_timeout(N);
    N->scopes[N->nscopes++] = s;
    unsigned first = N->m->nstates + 1;
    number_stmt(N, s->body);
    N->nscopes--;
    t->states = states_since(N, first, &t->nstates);
    /* The deadline's failure ends at the landing; any other goes on. */
    if (t->lands)
        note_failure(N);
}

static void number_list(numbering *N, ac_stmt **kids, unsigned n);

/* async_defer: the rest of its block runs first, then its body, as the
 * emitter prints them.  A failure in the rest lands in the defer, which
 * raises it again after the body. */
static void number_defer(numbering *N, ac_stmt *s, ac_stmt **rest,
                         unsigned nrest) {
    ac_defer *d = &N->m->defers[s->id - 1];
    d->id = s->id;
    d->line = line_of(N->u, s->span.begin);
    N->scopes[N->nscopes++] = s;
    number_list(N, rest, nrest);
    N->nscopes--;
    unsigned first = N->m->nstates + 1;
    number_stmt(N, s->body);
    if (N->m->nstates >= first)
        d->states = states_since(N, first, &d->nstates);
    if (d->lands)
        note_failure(N);
    /* A final jump of the rest is taken without a test of the int. */
    unsigned tested = s->nexits - (ac_lower_final_jump(s, rest, nrest) != 0);
    d->tracked = d->lands || tested || s->reads_failing;
    d->in_frame = d->tracked && d->nstates > 0;
    ac_arena *A = &N->u->arena;
    d->nexits = s->nexits;
    d->exits = ac_arena_alloc(A, (s->nexits + 1) * sizeof *d->exits);
    for (unsigned i = 0; i < s->nexits; i++) {
        const ac_stmt *j = s->exits[i];
        unsigned line = line_of(N->u, j->span.begin);
        d->exits[i] = j->kind == AC_S_RETURN ? "return"
                      : j->kind == AC_S_BREAK
                          ? ac_arena_printf(A, "break (line %u)", line)
                      : j->kind == AC_S_CONTINUE
                          ? ac_arena_printf(A, "continue (line %u)", line)
                          : ac_arena_printf(A, "goto %s", j->label);
    }
}

static void number_list(numbering *N, ac_stmt **kids, unsigned n) {
    for (unsigned i = 0; i < n; i++) {
        if (kids[i]->kind == AC_S_DEFER) {
            number_defer(N, kids[i], kids + i + 1, n - i - 1);
            return;
        }
        number_stmt(N, kids[i]);
    }
}

/* A jump from here runs the body of each async_defer whose scope it
 * leaves: each needs a code for it. */
static void note_exit(numbering *N, ac_stmt *jump) {
    for (unsigned i = N->nscopes; i-- > 0;) {
        ac_stmt *s = (ac_stmt *)N->scopes[i];
        if (!ac_lower_leaves(s, jump))
            break;
        if (s->kind != AC_S_DEFER || ac_lower_exit_code(s, jump))
            continue;
        s->exits = grow(&N->u->arena, s->exits, s->nexits, &s->capexits,
                        sizeof *s->exits);
        s->exits[s->nexits++] = jump;
    }
}

static void number_stmt(numbering *N, ac_stmt *s) {
    if (!s || !s->needs_structure)
        return;
    switch (s->kind) {
    case AC_S_COMPOUND:
        number_list(N, s->kids, s->nkids);
        break;
    case AC_S_DEFER: /* not in a block: refused by the parser */
        number_defer(N, s, NULL, 0);
        break;
    case AC_S_EXPR:
        if (s->expr->kind == AC_E_RAISE)
            note_failure(N);
        else
            number_root(N, s->expr);
        break;
    case AC_S_DECL:
        number_decl(N, s);
        break;
    case AC_S_IF:
    case AC_S_SWITCH:
        number_root(N, s->expr);
        number_stmt(N, s->body);
        number_stmt(N, s->els);
        break;
    case AC_S_WHILE:
        number_root(N, s->expr);
        number_stmt(N, s->body);
        break;
    case AC_S_DO:
        number_stmt(N, s->body);
        number_root(N, s->expr);
        break;
    case AC_S_FOR:
        number_stmt(N, s->init);
        number_root(N, s->expr);
        number_stmt(N, s->body);
        number_root(N, s->inc);
        break;
    case AC_S_CASE:
    case AC_S_LABEL:
        number_stmt(N, s->body);
        break;
    case AC_S_RETURN:
        number_root(N, s->expr);
        note_exit(N, s);
        break;
    case AC_S_TIMEOUT:
        number_timeout(N, s);
        break;
    case AC_S_BREAK:
    case AC_S_CONTINUE:
    case AC_S_TEXT:
        note_exit(N, s);
        break;
    }
}

/* --- what each slot, group, block and local is needed across -------- */

static int cmp_unsigned(const void *a, const void *b) {
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return (x > y) - (x < y);
}

/* Sorts `ids` and drops repeats; returns the new count. */
static unsigned sort_unique(unsigned *ids, unsigned n) {
    if (n > 1)
        qsort(ids, n, sizeof *ids, cmp_unsigned);
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++)
        if (!k || ids[i] != ids[k - 1])
            ids[k++] = ids[i];
    return k;
}

/* --- parameters, locals and the frame -------------------------------- */

static ac_keep_why keep_why(const ac_var *v) {
    if (v->is_param)
        return AC_KEEP_PARAM;
    if (!v->hoisted)
        return AC_KEEP_NOT_LIVE;
    switch (v->live_why) {
    case AC_LIVE_USE:
        return AC_KEEP_LIVE;
    case AC_LIVE_SCOPE_ARRAY:
        return AC_KEEP_ARRAY;
    case AC_LIVE_SCOPE_ADDRESS:
        return AC_KEEP_ADDRESS;
    case AC_LIVE_SCOPE_MACRO:
        return AC_KEEP_MACRO;
    case AC_LIVE_DECLARATION:
        return AC_KEEP_DECLARATION;
    default:
        return AC_KEEP_GOTO;
    }
}

/* The states by where they are written, for live_states. */
typedef struct at_state {
    unsigned offset, id;
} at_state;

static int cmp_at_state(const void *a, const void *b) {
    const at_state *x = a, *y = b;
    if (x->offset != y->offset)
        return x->offset < y->offset ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* The states a local is live across: the lowering recorded the awaits'
 * offsets; each is the first state written there. */
static void live_states(ac_unit *u, const at_state *by_offset, unsigned n,
                        const ac_var *v, ac_local *l) {
    l->states = ac_arena_alloc(&u->arena, (v->nlive_at ? v->nlive_at : 1) *
                                              sizeof *l->states);
    for (unsigned i = 0; i < v->nlive_at; i++) {
        unsigned lo = 0, hi = n;
        while (lo < hi) {
            unsigned mid = (lo + hi) / 2;
            if (by_offset[mid].offset < v->live_at[i])
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < n && by_offset[lo].offset == v->live_at[i])
            l->states[l->nstates++] = by_offset[lo].id;
    }
    l->nstates = sort_unique(l->states, l->nstates);
}

static void add_local(numbering *N, const at_state *by_offset,
                      const ac_var *v) {
    ac_machine *m = N->m;
    ac_local *l = &m->locals[m->nlocals++];
    memset(l, 0, sizeof *l);
    l->name = v->name;
    l->field = v->is_param || v->hoisted ? v->field : NULL;
    /* A type declared in the function, or a variable-length array, has
     * no declaration that file scope could use. */
    l->decl =
        v->field_decl && (v->is_param || !v->type_error) ? v->field_decl : NULL;
    l->line = line_of(N->u, v->offset);
    l->why = keep_why(v);
    l->with = v->hoisted_with ? v->hoisted_with->name : NULL;
    live_states(N->u, by_offset, m->nstates, v, l);
}

static void add_field(ac_machine *m, ac_field_kind kind, const char *name,
                      const char *decl, unsigned index) {
    ac_field *f = &m->fields[m->nfields++];
    f->kind = kind;
    f->name = name;
    f->decl = decl;
    f->index = index;
}

static void build_frame(numbering *N) {
    ac_arena *A = &N->u->arena;
    ac_machine *m = N->m;
    const ac_func *f = N->f;
    m->fields =
        ac_arena_alloc(A, (4 + m->nlocals + 2 * m->ntimeouts + m->ndefers) *
                              sizeof *m->fields);
    add_field(m, AC_FIELD_STATE, "_state", "int %s", 0);
    for (unsigned i = 0; i < m->nlocals; i++) {
        const ac_var *v = i < f->nparams ? f->params[i] : NULL;
        if (v)
            add_field(m, AC_FIELD_PARAM, v->field, v->field_decl, i);
    }
    for (unsigned i = 0, k = f->nparams; i < f->nvars; i++) {
        const ac_var *v = f->vars[i];
        if (v->is_static)
            continue;
        if (v->hoisted && v->field_decl)
            add_field(m, AC_FIELD_LOCAL, v->field, v->field_decl, k);
        k++;
    }
    for (unsigned i = 1; i <= m->ntimeouts; i++) {
        add_field(m, AC_FIELD_TIMEOUT, ac_arena_printf(A, "_to%u", i),
                  "async__timeout %s", i);
        add_field(m, AC_FIELD_TIMEOUT_ERR, ac_arena_printf(A, "_to%u_err", i),
                  "int *%s", i);
    }
    for (unsigned i = 1; i <= m->ndefers; i++)
        if (m->defers[i - 1].in_frame)
            add_field(m, AC_FIELD_DEFER, ac_arena_printf(A, "_d%u", i),
                      "int %s", i);
    if (m->nslots)
        add_field(m, AC_FIELD_CHILDREN, "_aw", NULL, 0);
    if (f->ret_decl_field)
        add_field(m, AC_FIELD_RESULT, "_ret",
                  f->callee->ret_decl ? f->callee->ret_decl : "int %s", 0);
}

ac_machine *ac_lower_machine(ac_unit *u, ac_func *f) {
    ac_arena *A = &u->arena;
    ac_machine *m = ac_arena_alloc(A, sizeof *m);
    m->name = f->name;
    ac_source_linecol(&u->src, f->name_offset, &m->line, &m->col);
    m->ntimeouts = f->ntimeouts;
    m->timeouts = ac_arena_alloc(A, (f->ntimeouts + 1) * sizeof *m->timeouts);
    m->ndefers = f->ndefers;
    m->defers = ac_arena_alloc(A, (f->ndefers + 1) * sizeof *m->defers);
    memset(m->defers, 0, (f->ndefers + 1) * sizeof *m->defers);
    numbering N;
    memset(&N, 0, sizeof N);
    N.u = u;
    N.f = f;
    N.m = m;
    N.scopes =
        ac_arena_alloc(A, (f->ntimeouts + f->ndefers + 1) * sizeof *N.scopes);
    if (f->body)
        number_list(&N, f->body->kids, f->body->nkids);
    m->locals =
        ac_arena_alloc(A, (f->nparams + f->nvars + 1) * sizeof *m->locals);
    at_state *by_offset = ac_xmalloc((m->nstates + 1) * sizeof *by_offset);
    for (unsigned i = 0; i < m->nstates; i++)
        by_offset[i] = (at_state){m->states[i].offset, m->states[i].id};
    qsort(by_offset, m->nstates, sizeof *by_offset, cmp_at_state);
    for (unsigned i = 0; i < f->nparams; i++)
        add_local(&N, by_offset, f->params[i]);
    for (unsigned i = 0; i < f->nvars; i++)
        if (!f->vars[i]->is_static)
            add_local(&N, by_offset, f->vars[i]);
    free(by_offset);
    build_frame(&N);
    return m;
}
