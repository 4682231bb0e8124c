/*
 * const locals and static locals in async functions: a static keeps its
 * value across calls and across awaits, a static array, and a const
 * array.
 */
#include <async.h>
#include <stdio.h>

async int counter(void) {
    static int count = 0;
    count++;
    await(async_sleep(0));
    return count;
}

async int history(int v) {
    static int last[3];
    static int n;
    last[n % 3] = v;
    n++;
    await(async_sleep(0));
    return last[0] + last[1] + last[2];
}

async int amain(void) {
    const int k = 7;
    const int arr[3] = {1, 2, 3};
    const char *const msg = "const";
    for (int i = 0; i < 3; i++)
        printf("counter=%d\n", await(counter()));
    await(async_sleep(0));
    printf("k=%d arr=%d%d%d msg=%s\n", k, arr[0], arr[1], arr[2], msg);
    for (int i = 1; i <= 5; i++)
        printf("history(%d)=%d\n", i, await(history(i)));
    const int later = await(counter()) * k;
    printf("later=%d\n", later);
    static int shared;
    shared += await(counter());
    printf("shared=%d\n", shared);
    return 0;
}

int main(void) { return async_run(amain()); }
