/*
 * Parameters of scalar types, const-qualified parameters, parameters
 * modified after an await, and many parameters at once.
 */
#include <async.h>
#include <stdio.h>

async long long many(char c, short s, int i, long l, long long ll, unsigned u,
                     float f, double d, _Bool b) {
    await(async_sleep(0));
    return c + s + i + l + ll + u + (long long)f + (long long)d + b;
}

async int countdown(const int from, int step) {
    int n = from;
    while (n > 0) {
        await(async_sleep(0));
        n -= step;
        step++;
    }
    return from * 100 + step;
}

async int modify(int x, double y) {
    x *= 2;
    await(async_sleep(0));
    x += 1;
    y /= 2;
    await(async_sleep(0));
    return x + (int)y;
}

async const char *pick(const char *const a, const char *b, int first) {
    await(async_sleep(0));
    return first ? a : b;
}

async int amain(void) {
    printf("many: %lld\n",
           await(many('A', -2, 3, 40L, 5000000000LL, 6u, 7.9f, 8.9, 1)));
    printf("countdown: %d\n", await(countdown(10, 1)));
    printf("modify: %d\n", await(modify(5, 9.0)));
    printf("pick: %s %s\n", await(pick("a", "b", 1)), await(pick("a", "b", 0)));
    return 0;
}

int main(void) { return async_run(amain()); }
