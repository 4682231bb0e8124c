/*
 * Shadowed names across awaits: int i in sibling loops and blocks, in
 * nested blocks, a parameter shadowed in an inner block, and a global
 * shadowed by a local.
 */
#include <async.h>
#include <stdio.h>

static int x = 1000;

async int val(int v) {
    await(async_sleep(0));
    return v;
}

async int with_param(int n) {
    int before = n;
    {
        int n = await(val(before * 2));
        {
            int n = 7;
            await(async_sleep(0));
            printf("innermost n=%d\n", n);
        }
        printf("inner n=%d\n", n);
    }
    await(async_sleep(0));
    return n;
}

async int amain(void) {
    for (int i = 0; i < 2; i++)
        printf("first loop i=%d (%d)\n", i, await(val(i)));
    for (int i = 10; i < 12; i++)
        printf("second loop i=%d (%d)\n", i, await(val(i)));
    int i = 100;
    {
        int i = await(val(200));
        {
            int i = await(val(300));
            printf("i=%d\n", i);
        }
        printf("i=%d\n", i);
    }
    printf("i=%d\n", i);
    {
        int i = 400;
        await(async_sleep(0));
        printf("sibling i=%d\n", i);
    }
    printf("param back: %d\n", await(with_param(21)));
    printf("global x=%d\n", x);
    {
        int x = await(val(1));
        printf("local x=%d\n", x);
    }
    printf("global x=%d\n", x);
    return 0;
}

int main(void) { return async_run(amain()); }
