/*
 * Awaits in initializers: several declarators in one declaration where
 * later ones use earlier ones, struct and array initializers with
 * awaited elements, a designated initializer and a pointer declarator.
 */
#include <async.h>
#include <stdio.h>

struct point {
    int x, y;
};

static int order;

async int val(int v) {
    await(async_sleep(0));
    return v;
}

static int mark(int v) {
    printf("mark %d at %d\n", v, order++);
    return v;
}

async int amain(void) {
    int a = await(val(1)), b = a + 1, c = await(val(b * 10));
    printf("a=%d b=%d c=%d\n", a, b, c);
    int m = mark(5), n = await(val(m + 1)), o = mark(n + 1);
    printf("m=%d n=%d o=%d\n", m, n, o);
    struct point p = {await(val(3)), await(val(4))};
    printf("p=%d,%d\n", p.x, p.y);
    struct point q = {.y = await(val(8)), .x = 7};
    printf("q=%d,%d\n", q.x, q.y);
    int arr[4] = {await(val(9)), 8, await(val(6))};
    printf("arr=%d %d %d %d\n", arr[0], arr[1], arr[2], arr[3]);
    int u, *pu = &u, v = await(val(12));
    *pu = v + 1;
    printf("u=%d v=%d\n", u, v);
    long long big = await(val(1000000)) * 1000000LL;
    printf("big=%lld\n", big);
    const char *s = await(val(1)) ? "nonzero" : "zero";
    printf("s=%s\n", s);
    return 0;
}

int main(void) { return async_run(amain()); }
