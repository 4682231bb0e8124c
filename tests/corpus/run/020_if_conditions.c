/*
 * Awaits in the conditions of if, else-if chains and nested ifs, and in
 * both branches.
 */
#include <async.h>
#include <stdio.h>

async int val(int v) {
    await(async_sleep(0));
    return v;
}

async const char *classify(int n) {
    if (await(val(n)) < 0)
        return "negative";
    else if (await(val(n)) == 0)
        return "zero";
    else if (await(val(n % 2)))
        return "odd";
    else
        return "even";
}

async int amain(void) {
    int inputs[] = {-4, 0, 7, 10};
    for (int i = 0; i < 4; i++)
        printf("%d is %s\n", inputs[i], await(classify(inputs[i])));
    int x = 0;
    if (await(val(1))) {
        x = await(val(10));
        if (await(val(x)) > 5) {
            x += await(val(1));
        } else {
            x = -1;
        }
    } else {
        x = await(val(99));
    }
    printf("x=%d\n", x);
    if (!await(val(0)))
        printf("not zero taken\n");
    if (await(val(3)) == 3) {
        if (await(val(4)) == 5)
            printf("wrong\n");
        else
            printf("inner else\n");
    }
    return 0;
}

int main(void) { return async_run(amain()); }
