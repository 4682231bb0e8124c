/*
 * Async functions returning void: awaited as statements, with early
 * returns, chained through several levels, writing results to globals.
 */
#include <async.h>
#include <stdio.h>

static int depth_log[8];
static int logged;

async void level3(int v) {
    await(async_sleep(0));
    depth_log[logged++] = v * 3;
}

async void level2(int v) {
    if (v < 0)
        return;
    await(level3(v));
    depth_log[logged++] = v * 2;
}

async void level1(int v) {
    await(level2(v));
    await(level2(-1));
    depth_log[logged++] = v;
}

async void nothing(void) {}

async int amain(void) {
    await(level1(5));
    await(nothing());
    await(level1(1));
    for (int i = 0; i < logged; i++)
        printf("%d ", depth_log[i]);
    printf("(%d)\n", logged);
    return 0;
}

int main(void) { return async_run(amain()); }
