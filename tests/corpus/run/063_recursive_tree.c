/*
 * Recursion over a data structure: an async function that walks a
 * binary tree through pointer parameters and returns a struct.
 */
#include <async.h>
#include <stdio.h>

struct tree {
    int v;
    struct tree *l, *r;
};

struct stats {
    int count, sum, depth;
};

async struct stats walk(const struct tree *t) {
    struct stats s = {0, 0, 0};
    if (!t)
        return s;
    await(async_sleep(0));
    struct stats l = await(walk(t->l));
    struct stats r = await(walk(t->r));
    s.count = l.count + r.count + 1;
    s.sum = l.sum + r.sum + t->v;
    s.depth = 1 + (l.depth > r.depth ? l.depth : r.depth);
    return s;
}

async int amain(void) {
    struct tree n1 = {1, NULL, NULL}, n3 = {3, NULL, NULL};
    struct tree n2 = {2, &n1, &n3}, n5 = {5, NULL, NULL};
    struct tree n6 = {6, &n5, NULL}, n4 = {4, &n2, &n6};
    struct stats s = await(walk(&n4));
    printf("count=%d sum=%d depth=%d\n", s.count, s.sum, s.depth);
    s = await(walk(NULL));
    printf("empty: count=%d\n", s.count);
    return 0;
}

int main(void) { return async_run(amain()); }
