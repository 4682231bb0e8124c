/*
 * unit.c -- translation unit bookkeeping (see unit.h).
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

void ac_unit_free(ac_unit *u) {
    free(u->funcs);
    free(u->callees);
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
