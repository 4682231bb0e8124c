/*
 * Awaits in case bodies: declarations inside case blocks, a case body
 * that begins with an await reached both by its label and by falling
 * through, and a switch whose body is a loop.
 */
#include <async.h>
#include <stdio.h>

async int val(int v) {
    await(async_sleep(0));
    return v;
}

async void note(const char *s) {
    await(async_sleep(0));
    printf("  note %s\n", s);
}

async int amain(void) {
    for (int i = 0; i < 4; i++) {
        printf("i=%d\n", i);
        switch (i) {
        case 0: {
            int t = await(val(100));
            printf("  t=%d\n", t);
            break;
        }
        case 1:
            await(note("one"));
            /* fall through */
        case 2:
            await(note("two"));
            printf("  after two\n");
            break;
        default: {
            int a = await(val(i)), b = await(val(a * a));
            printf("  a=%d b=%d\n", a, b);
        }
        }
    }
    int n = 3, acc = 0;
    switch (n) {
    case 3:
        while (n > 0) {
            acc += await(val(n));
            n--;
        }
        break;
    case 4:
        acc = -1;
        break;
    }
    printf("acc=%d\n", acc);
    return 0;
}

int main(void) { return async_run(amain()); }
