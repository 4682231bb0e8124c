/*
 * Floating-point results and parameters: double, float and long double,
 * and arithmetic mixing them with awaited integers.
 */
#include <async.h>
#include <stdio.h>

async double mean(double a, double b) {
    await(async_sleep(0));
    return (a + b) / 2;
}

async float scale(float f, int k) {
    await(async_sleep(0));
    return f * k;
}

async long double precise(long double x) {
    await(async_sleep(0));
    return x / 3;
}

async int count(void) {
    await(async_sleep(0));
    return 4;
}

async int amain(void) {
    printf("mean: %.3f\n", await(mean(1.0, 2.5)));
    printf("scale: %.2f\n", (double)await(scale(0.25f, 6)));
    printf("precise: %.6Lf\n", await(precise(1.0L)));
    double d = await(mean(await(count()), 10));
    printf("d: %.1f\n", d);
    float acc = 0;
    for (int i = 0; i < 4; i++)
        acc += await(scale(0.5f, i));
    printf("acc: %.2f\n", (double)acc);
    printf("ratio: %.4f\n", await(count()) / await(mean(3.0, 5.0)));
    return 0;
}

int main(void) { return async_run(amain()); }
