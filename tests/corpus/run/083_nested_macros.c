/*
 * Awaits inside nested macro invocations, where every macro uses its
 * argument exactly once: ID(ID(await(...))), a macro call as the
 * argument of another, and an await in the argument of a macro that
 * wraps the awaited async call.
 */
#include <async.h>
#include <stdio.h>

#define ID(x) (x)
#define TWICE(x) ((x)*2)
#define ADD(a, b) add_plain((a), (b))
#define FETCH(id) fetch_item((id), 0)

static int add_plain(int a, int b) { return a + b; }

async int val(int v) {
    await(async_sleep(0));
    return v;
}

async int fetch_item(int id, int scale) {
    await(async_sleep(0));
    return scale ? id * scale : id + 100;
}

async int amain(void) {
    printf("id: %d\n", ID(ID(await(val(5)))));
    printf("nested: %d\n", TWICE(ADD(await(val(1)), TWICE(await(val(2))))));
    printf("fetch: %d\n", await(FETCH(await(val(3)))));
    return 0;
}

int main(void) { return async_run(amain()); }
