/*
 * Recursion 20 deep with a sleep at every level, locals that live across
 * the recursive await, and the result used in an expression.
 */
#include <async.h>
#include <stdio.h>

async long long sum_to(int n) {
    if (n == 0)
        return 0;
    int here = n;
    await(async_sleep(0));
    long long below = await(sum_to(n - 1));
    return below + here;
}

async int depth(int n, int max) {
    if (n == max)
        return n;
    return await(depth(n + 1, max)) + 0;
}

async void countdown(int n) {
    if (n < 0)
        return;
    printf("%d ", n);
    await(countdown(n - 1));
    printf("%d ", n);
}

async int amain(void) {
    printf("sum_to(20) = %lld\n", await(sum_to(20)));
    printf("depth = %d\n", await(depth(0, 20)));
    printf("twice = %lld\n", 2 * await(sum_to(10)));
    await(countdown(4));
    printf("\n");
    return 0;
}

int main(void) { return async_run(amain()); }
