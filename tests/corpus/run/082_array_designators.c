/*
 * Awaits in array initializers with designators: [N] = await(...),
 * [N].member = await(...) and a nested brace list after a designator.
 */
#include <async.h>
#include <stdio.h>

struct point {
    int x, y;
};

async int val(int v) {
    await(async_sleep(0));
    return v;
}

async int amain(void) {
    int arr[4] = {[3] = await(val(6)), [1] = 2};
    printf("arr=%d %d %d %d\n", arr[0], arr[1], arr[2], arr[3]);
    struct point ps[2] = {[1].y = await(val(7))};
    printf("ps=%d,%d %d,%d\n", ps[0].x, ps[0].y, ps[1].x, ps[1].y);
    struct point qs[2] = {[1] = {await(val(8)), 9}};
    printf("qs=%d,%d %d,%d\n", qs[0].x, qs[0].y, qs[1].x, qs[1].y);
    return 0;
}

int main(void) { return async_run(amain()); }
