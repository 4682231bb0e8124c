/*
 * Short-circuit operators with awaits inside the conditions of if, while
 * and for: the awaited check runs only when C evaluates it.
 */
#include <async.h>
#include <stdio.h>

static int checks;

async int positive(int v) {
    checks++;
    await(async_sleep(0));
    return v > 0;
}

async int amain(void) {
    int vals[] = {3, -1, 0, 5, 2};
    const int *p = NULL;
    if (p && await(positive(*p)))
        printf("not reached\n");
    printf("checks after null test: %d\n", checks);
    p = &vals[0];
    if (p && await(positive(*p)))
        printf("first is positive\n");
    printf("checks: %d\n", checks);
    int i = 0;
    while (i < 5 && await(positive(vals[i])))
        i++;
    printf("first non-positive at %d, checks %d\n", i, checks);
    int count = 0;
    for (i = 0; i < 5; i++)
        if (vals[i] == 0 || await(positive(vals[i])))
            count++;
    printf("count %d, checks %d\n", count, checks);
    for (i = 0; i >= 5 || await(positive(4 - i)); i++)
        ;
    printf("for stopped at %d, checks %d\n", i, checks);
    do
        i--;
    while (i > 0 && !await(positive(i - 2)));
    printf("do stopped at %d, checks %d\n", i, checks);
    return 0;
}

int main(void) { return async_run(amain()); }
