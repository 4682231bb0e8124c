/*
 * c ? await(a()) : await(b()): only the chosen branch is awaited.  Also
 * an await in one branch only, in the condition, and a void ?:.
 */
#include <async.h>
#include <stdio.h>

async int pick(const char *name, int v) {
    printf("  pick %s\n", name);
    await(async_sleep(0));
    return v;
}

async void say(const char *what) {
    await(async_sleep(0));
    printf("  say %s\n", what);
}

async int amain(void) {
    for (int c = 0; c < 2; c++) {
        printf("c=%d:\n", c);
        int r = c ? await(pick("then", 10)) : await(pick("else", 20));
        printf("r=%d\n", r);
        r = c ? 1 : await(pick("right only", 2));
        printf("r=%d\n", r);
        r = c ? await(pick("left only", 3)) : 4;
        printf("r=%d\n", r);
        r = await(pick("cond", c)) ? 5 : 6;
        printf("r=%d\n", r);
        c ? await(say("yes")) : await(say("no"));
        printf("sum=%d\n",
               100 + (c ? await(pick("a", 1)) : await(pick("b", 2))));
    }
    return 0;
}

int main(void) { return async_run(amain()); }
