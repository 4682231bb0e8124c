/*
 * Locals whose address is taken and used across awaits: a pointer kept
 * in another local, a pointer passed to an async function that writes
 * through it after its own await, and a pointer into a local array.
 */
#include <async.h>
#include <stdio.h>

async void fill(int *out, int v) {
    await(async_sleep(0));
    *out = v;
}

async int read_later(const int *p) {
    await(async_sleep(0));
    return *p;
}

static void bump(int *p) { (*p)++; }

async int amain(void) {
    int x = 1;
    int *px = &x;
    await(async_sleep(0));
    *px = 2;
    await(async_sleep(0));
    printf("x=%d\n", x);
    int y = 0;
    await(fill(&y, 42));
    printf("y=%d\n", y);
    int arr[3] = {0};
    for (int i = 0; i < 3; i++)
        await(fill(&arr[i], i * 11));
    printf("arr=%d %d %d\n", arr[0], arr[1], arr[2]);
    int z = 5;
    bump(&z);
    printf("read_later=%d\n", await(read_later(&z)));
    int *pa = arr + 1;
    await(async_sleep(0));
    pa[1] = 99;
    printf("arr=%d %d %d\n", arr[0], arr[1], arr[2]);
    int w = 0;
    int *pw = &w;
    int **ppw = &pw;
    await(fill(*ppw, 8));
    **ppw += 1;
    printf("w=%d\n", w);
    return 0;
}

int main(void) { return async_run(amain()); }
