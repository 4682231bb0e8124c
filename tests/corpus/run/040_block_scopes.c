/*
 * Block-scoped locals that live across awaits in sibling and nested
 * blocks, and locals that never cross an await next to ones that do.
 */
#include <async.h>
#include <stdio.h>

async int val(int v) {
    await(async_sleep(0));
    return v;
}

async int amain(void) {
    int outer = 1;
    {
        int a = 10;
        await(async_sleep(0));
        {
            int b = a + 1;
            await(async_sleep(0));
            printf("a=%d b=%d\n", a, b);
            a = b * 2;
        }
        printf("a=%d\n", a);
        outer += a;
    }
    {
        int c = await(val(5));
        int d = c * c;
        printf("c=%d d=%d\n", c, d);
        outer += d;
    }
    {
        int plain = 3;
        printf("plain=%d\n", plain);
        outer += plain;
    }
    if (outer > 0) {
        int e = await(val(outer));
        printf("e=%d\n", e);
    } else {
        int f = 0;
        printf("f=%d\n", f);
    }
    printf("outer=%d\n", outer);
    return 0;
}

int main(void) { return async_run(amain()); }
