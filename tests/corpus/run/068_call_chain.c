/*
 * A chain of ten distinct async functions, each awaiting the next with
 * a sleep in between and adding to the result on the way back.
 */
#include <async.h>
#include <stdio.h>

static int entered;

async int f9(int v) {
    entered++;
    await(async_sleep(0));
    return v + 9;
}

async int f8(int v) {
    entered++;
    await(async_sleep(0));
    return await(f9(v * 2)) + 8;
}

async int f7(int v) {
    entered++;
    await(async_sleep(0));
    return await(f8(v * 2)) + 7;
}

async int f6(int v) {
    entered++;
    await(async_sleep(0));
    return await(f7(v * 2)) + 6;
}

async int f5(int v) {
    entered++;
    await(async_sleep(0));
    return await(f6(v * 2)) + 5;
}

async int f4(int v) {
    entered++;
    await(async_sleep(0));
    return await(f5(v * 2)) + 4;
}

async int f3(int v) {
    entered++;
    await(async_sleep(0));
    return await(f4(v * 2)) + 3;
}

async int f2(int v) {
    entered++;
    await(async_sleep(0));
    return await(f3(v * 2)) + 2;
}

async int f1(int v) {
    entered++;
    await(async_sleep(0));
    return await(f2(v * 2)) + 1;
}

async int f0(int v) {
    entered++;
    await(async_sleep(0));
    return await(f1(v * 2)) + 0;
}

async int amain(void) {
    printf("chain(1) = %d\n", await(f0(1)));
    printf("entered = %d\n", entered);
    return 0;
}

int main(void) { return async_run(amain()); }
