/*
 * parse_memo.c -- what the builders already asked libclang about an
 * expression or statement: its span, its children and whether it is a
 * dialect marker; and whether a declaration is async.
 * The builders, the body walk and the checks reach one node several
 * times, and its extent and marker test are among the costliest queries.
 *
 * Nodes are told apart with clang_equalCursors: a node reached another
 * way (with another parent declaration) is asked again, never confused.
 * The table is emptied per top-level declaration; asyncc parses one
 * translation unit per run, so it is the parser files' one shared table.
 */
#include "parse_internal.h"

#include <stdlib.h>

static struct {
    ac_memo *items;
    unsigned cap, n, gen; /* an entry is in use when its gen is `gen` */
} memo;

void ac_memo_reset(void) {
    memo.gen++;
    memo.n = 0;
}

void ac_memo_free(void) {
    free(memo.items);
    memo.items = NULL;
    memo.cap = memo.n = 0;
}

static ac_memo *slot(CXCursor c, unsigned hash) {
    unsigned mask = memo.cap - 1;
    for (unsigned i = hash & mask;; i = (i + 1) & mask) {
        ac_memo *e = &memo.items[i];
        if (e->gen != memo.gen || clang_equalCursors(e->cursor, c))
            return e;
    }
}

static void grow(void) {
    ac_memo *old = memo.items;
    unsigned oldcap = memo.cap;
    memo.cap = memo.cap ? memo.cap * 2 : 1024;
    memo.items = ac_xmalloc(memo.cap * sizeof *memo.items);
    for (unsigned i = 0; i < memo.cap; i++)
        memo.items[i].gen = 0;
    if (memo.gen == 0)
        memo.gen = 1;
    for (unsigned i = 0; i < oldcap; i++)
        if (old[i].gen == memo.gen)
            *slot(old[i].cursor, old[i].hash) = old[i];
    free(old);
}

ac_memo *ac_memo_of(CXCursor c) {
    if (memo.n * 2 >= memo.cap)
        grow();
    unsigned hash = clang_hashCursor(c);
    ac_memo *e = slot(c, hash);
    if (e->gen != memo.gen) {
        e->gen = memo.gen;
        e->cursor = c;
        e->hash = hash;
        e->has_span = e->has_mark = e->has_kids = e->has_async = 0;
        memo.n++;
    }
    return e;
}
