/*
 * async_gather with several calls whose results come back through
 * pointer arguments into locals of the gathering function.
 */
#include <async.h>
#include <stdio.h>

struct result {
    int id;
    int value;
};

async void compute(int id, int *out) {
    await(async_sleep(0));
    *out = id * id;
}

async void fill(struct result *r, int id) {
    r->id = id;
    await(async_sleep(0));
    r->value = id + 1000;
}

async int amain(void) {
    int a = 0, b = 0, c = 0;
    await(async_gather(compute(2, &a), compute(3, &b), compute(4, &c)));
    printf("a=%d b=%d c=%d\n", a, b, c);
    struct result rs[3];
    await(async_gather(fill(&rs[0], 7), fill(&rs[1], 8), fill(&rs[2], 9)));
    for (int i = 0; i < 3; i++)
        printf("rs[%d] = %d %d\n", i, rs[i].id, rs[i].value);
    int single = 0;
    int status = await(async_gather(compute(11, &single)));
    printf("single=%d status=%d\n", single, status);
    return 0;
}

int main(void) { return async_run(amain()); }
