/*
 * recursion.c -- recursive and mutually recursive async functions, and a
 * recursive gather: the frames on the cycle are allocated, every other
 * await embeds its child.  Checked against the same program compiled as
 * synchronous C (-DASYNCC_SYNC).
 */
#include <async.h>
#include <stdio.h>
async int is_odd(int n);
async int fib(int n) {
    if (n < 2) {
        await(async_sleep(0));
        return n;
    }
    return await(fib(n - 1)) + await(fib(n - 2));
}
async int is_even(int n) { return n == 0 ? 1 : await(is_odd(n - 1)); }
async int is_odd(int n) { return n == 0 ? 0 : await(is_even(n - 1)); }
static async int sum(int n) { return n == 0 ? 0 : n + await(sum(n - 1)); }
async void pfib(int n, int *out) {
    if (n < 2) {
        *out = n;
        return;
    }
    int a, b;
    await(async_gather(pfib(n - 1, &a), pfib(n - 2, &b)));
    *out = a + b;
}
async int amain(void) {
    int p = 0;
    await(pfib(12, &p));
    printf("fib %d even(7) %d odd(7) %d sum %d pfib %d\n", await(fib(15)),
           await(is_even(7)), await(is_odd(7)), await(sum(100)), p);
    return 0;
}
int main(void) { return async_run(amain()); }
