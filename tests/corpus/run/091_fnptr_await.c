/*
 * Pointers to async functions: a typedef of an async function type and
 * the direct form, in locals (live across awaits), globals, statics,
 * struct fields, a handler table, parameters and results of async and
 * plain functions; compared, and called through await, async_gather
 * (with stores and async_try), async_wait_for and async_try.
 */
#include <async.h>
#include <stddef.h>
#include <stdio.h>

typedef async int handler_fn(int x, void *arg);
typedef async void note_fn(const char *what);

async int twice(int x, void *arg) {
    (void)arg;
    await(async_sleep(0));
    return 2 * x;
}

static async int plus(int x, void *arg) {
    int *by = arg;
    return x + (by ? *by : 1);
}

static async int square(int x, void *arg) {
    (void)arg;
    await(async_sleep(0));
    return x * x;
}

static async void note(const char *what) {
    await(async_sleep(0));
    printf("note: %s\n", what);
}

handler_fn *table[] = {twice, plus, square};
static handler_fn *current = plus;
async int (*direct_global)(int, void *) = square;

struct op {
    const char *name;
    handler_fn *run;
    async int (*also)(int x, void *arg);
};

static const struct op ops[] = {
    {"twice", twice, plus},
    {"square", square, twice},
};

/* Plain functions take and return async function pointers. */
static handler_fn *pick(int i) { return table[i % 3]; }
static int is_plus(handler_fn *h) { return h == plus; }

/* So do async ones. */
async int apply(handler_fn *h, int x) { return await(h(x, NULL)); }

async handler_fn *choose(int i) {
    await(async_sleep(0));
    return i ? square : twice;
}

async int apply_all(async int (*fs[])(int, void *), int n, int x) {
    for (int i = 0; i < n; i++)
        x = await(fs[i](x, NULL));
    return x;
}

async int amain(void) {
    handler_fn *h = twice;
    note_fn *say = note;
    int by = 10;
    int a = await(h(3, NULL)); /* h lives across the await */
    await(say("after a"));
    printf("a=%d h==twice:%d h!=plus:%d\n", a, h == twice, h != plus);
    h = current;
    int b = await(h(a, &by));
    printf("b=%d is_plus:%d\n", b, is_plus(h));
    int c = await((*table[2])(b, NULL)) + await(direct_global(2, NULL));
    printf("c=%d\n", c);
    int d = await(pick(4)(await(apply(twice, 5)), &by));
    printf("d=%d\n", d);
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        printf("%s: %d %d\n", ops[i].name, await(ops[i].run(3, NULL)),
               await(ops[i].also(3, NULL)));
    handler_fn *chosen = await(choose(1));
    printf("chosen: %d\n", await(chosen(7, NULL)));
    int x = 0, y = 0, err = -1;
    await(async_gather(x = table[0](1, NULL), async_try(y = h(2, &by), &err),
                       note("gathered")));
    printf("gather: %d %d %d\n", x, y, err);
    await(async_gather_failfast(x = (*h)(5, NULL), y = ops[1].run(4, NULL)));
    printf("failfast: %d %d\n", x, y);
    int w = await(async_wait_for(table[2](6, NULL), 5.0));
    printf("wait_for: %d\n", w);
    int e2 = -1;
    int t = async_try(await(h(8, &by)), &e2);
    printf("try: %d %d\n", t, e2);
    handler_fn *none = NULL;
    printf("none: %d\n", none == NULL);
    static handler_fn *kept;
    kept = chosen;
    printf("apply_all: %d\n", await(apply_all(table, 3, 1)));
    printf("kept: %d\n", await(kept(3, NULL)));
    return 0;
}

int main(void) { return async_run(amain()); }
