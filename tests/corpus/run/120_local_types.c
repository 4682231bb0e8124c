/*
 * Locals whose types are declared inside the async function (a struct, a
 * union, an enum, a typedef, arrays of and pointers to them) keep their
 * values across awaits.
 */
#include <async.h>
#include <stdio.h>

async int twice(int x) {
    await(async_sleep(0));
    return 2 * x;
}

async int amain(void) {
    struct point {
        int x, y;
    };
    union bits {
        unsigned u;
        unsigned char b[4];
    };
    enum color { RED, GREEN = 5, BLUE };
    typedef struct point point;
    typedef double real;

    point p = {1, 2};
    struct point path[3] = {{1, 1}, {2, 4}, {3, 9}};
    struct point *last = &path[2];
    const struct point origin = {0, 0};
    union bits w;
    w.u = 0;
    enum color c = GREEN;
    real scale = 1.5;
    int n = await(twice(p.y));
    p.x += n;
    last->y += await(twice(last->x));
    w.b[0] = (unsigned char)await(twice(3));
    c = c == GREEN ? BLUE : RED;
    printf("p = (%d, %d), last = (%d, %d), origin = (%d, %d)\n", p.x, p.y,
           last->x, last->y, origin.x, origin.y);
    printf("path[1] = (%d, %d), sizeof path = %zu\n", path[1].x, path[1].y,
           sizeof path / sizeof path[0]);
    printf("w.u & 0xff = %u, c = %d, scale = %.1f\n", w.u & 0xffu, (int)c,
           scale * await(twice(1)));
    {
        struct inner {
            char tag;
            long long v;
        } in = {'a', 40};
        in.v += await(twice(1));
        printf("inner %c %lld\n", in.tag, in.v);
    }
    return 0;
}

int main(void) { return async_run(amain()); }
