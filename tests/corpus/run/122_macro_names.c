/*
 * Macro arguments see a frame local by its own name: `#x` stringifies
 * "x", and assert's message and function name are the user's.  A macro
 * that uses the name for something else (a member) still works.
 */
#include <assert.h>
#include <async.h>
#include <stdio.h>

#define SHOW(v) printf("%s = %d\n", #v, (v))
#define STR2(v) #v
#define STR(v) STR2(v)
#define GETX(o) ((o).x)
#define SETX(o, val) ((o).x = (val))

struct s {
    int x;
};

async int id(int x) {
    await(async_sleep(0));
    return x;
}

async int amain(void) {
    int x = await(id(3));
    int y = await(id(4));
    struct s o = {5};
    SHOW(x);
    SHOW(x * y + 1);
    printf("%s %s\n", STR(y), STR(x + y));
    SETX(o, GETX(o) + y);
    await(id(0));
    assert(x == 3 && y == 4);
    printf("%d %d %s\n", GETX(o), o.x, __func__);
    SHOW(o.x);
    return 0;
}

int main(void) { return async_run(amain()); }
