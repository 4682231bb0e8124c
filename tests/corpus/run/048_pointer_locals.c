/*
 * Pointer locals across awaits: walking a string, pointer arithmetic on
 * an array, a pointer to a struct, and a function pointer local.
 */
#include <async.h>
#include <stdio.h>

struct node {
    int v;
    struct node *next;
};

static int square(int v) { return v * v; }

static int negate(int v) { return -v; }

async int val(int v) {
    await(async_sleep(0));
    return v;
}

async int amain(void) {
    const char *s = "walk";
    int count = 0;
    for (const char *p = s; *p; p++) {
        await(async_sleep(0));
        printf("%c", *p);
        count++;
    }
    printf(" (%d)\n", count);
    int arr[6] = {1, 2, 3, 4, 5, 6};
    int *end = arr + 6, sum = 0;
    for (int *q = arr; q != end; q += await(val(2)))
        sum += *q;
    printf("sum=%d\n", sum);
    struct node c = {3, NULL}, b = {2, &c}, a = {1, &b};
    int total = 0;
    for (struct node *n = &a; n; n = n->next)
        total += await(val(n->v));
    printf("total=%d\n", total);
    int (*fn)(int) = square;
    await(async_sleep(0));
    printf("fn=%d\n", fn(await(val(6))));
    fn = await(val(1)) ? negate : square;
    printf("fn=%d\n", fn(6));
    return 0;
}

int main(void) { return async_run(amain()); }
