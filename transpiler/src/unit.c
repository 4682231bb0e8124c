/*
 * unit.c -- translation unit bookkeeping (see unit.h).
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

void ac_unit_free(ac_unit *u) {
    free(u->funcs);
    free(u->callees);
    free(u->defined);
    free(u->edits);
    for (unsigned i = 0; i < u->nquiet; i++)
        free(u->quiet[i]->options);
    free(u->quiet);
    free(u->protos);
    free(u->deps);
    ac_arena_free(&u->arena);
    ac_source_free(&u->src);
}

void ac_unit_edit(ac_unit *u, unsigned begin, unsigned end, const char *text,
                  int resync) {
    ac_edit *e = ac_arena_alloc(&u->arena, sizeof *e);
    e->begin = begin;
    e->end = end;
    e->text = text;
    e->resync = resync;
    ac_vec_push((void ***)&u->edits, &u->nedits, &u->capedits, e);
}

ac_quiet *ac_unit_quiet(ac_unit *u, unsigned begin, int create) {
    for (unsigned i = 0; i < u->nquiet; i++)
        if (u->quiet[i]->span.begin == begin)
            return u->quiet[i];
    if (!create)
        return NULL;
    ac_quiet *q = ac_arena_alloc(&u->arena, sizeof *q);
    memset(q, 0, sizeof *q);
    q->span.begin = q->span.end = begin;
    ac_vec_push((void ***)&u->quiet, &u->nquiet, &u->capquiet, q);
    return q;
}

void ac_quiet_add(ac_unit *u, ac_quiet *q, const char *name) {
    for (unsigned i = 0; i < q->noptions; i++)
        if (strcmp(q->options[i], name) == 0)
            return;
    ac_vec_push((void ***)&q->options, &q->noptions, &q->capoptions,
                ac_arena_strdup(&u->arena, name));
}

/* By name, then by position, so that a lookup finds the first. */
static int cmp_defined(const void *a, const void *b) {
    const struct ac_defined_callee *x = a, *y = b;
    int c = strcmp(x->callee->name, y->callee->name);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

const ac_callee *ac_unit_defined_callee(ac_unit *u, const char *name) {
    if (!name)
        return NULL;
    if (!u->defined || u->defined_of != u->ncallees) {
        free(u->defined);
        u->defined = ac_xmalloc((u->ncallees + 1) * sizeof *u->defined);
        u->ndefined = 0;
        for (unsigned i = 0; i < u->ncallees; i++)
            if (u->callees[i]->def) {
                u->defined[u->ndefined].callee = u->callees[i];
                u->defined[u->ndefined++].index = i;
            }
        if (u->ndefined > 1)
            qsort(u->defined, u->ndefined, sizeof *u->defined, cmp_defined);
        u->defined_of = u->ncallees;
    }
    unsigned lo = 0, hi = u->ndefined;
    while (lo < hi) { /* the first whose name is not below `name` */
        unsigned mid = lo + (hi - lo) / 2;
        if (strcmp(u->defined[mid].callee->name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < u->ndefined && strcmp(u->defined[lo].callee->name, name) == 0
               ? u->defined[lo].callee
               : NULL;
}
