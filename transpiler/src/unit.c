/*
 * unit.c -- translation unit bookkeeping (see unit.h).
 */
#include "unit.h"

#include <stdlib.h>

void ac_unit_free(ac_unit *u) {
    free(u->funcs);
    free(u->callees);
    free(u->edits);
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
