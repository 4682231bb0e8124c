/* corpus: sync-gcc-only */
/*
 * async_defer on every way out of its block: the end, return (its value
 * taken before the defers run), break, continue, goto out and backwards,
 * nested blocks, in loops (each iteration), in a switch; several run in
 * reverse order, and bodies may await.
 */
#include <async.h>
#include <stdio.h>

async void note(const char *what, int n) {
    await(async_sleep(0));
    printf("  %s %d\n", what, n);
}

async int fall_off(int n) {
    printf("fall_off %d\n", n);
    async_defer { printf("  first, runs last\n"); }
    await(note("work", n));
    async_defer { await(note("second, runs first", n)); }
    {
        async_defer { printf("  inner block\n"); }
        n++;
    }
    printf("  end of body %d\n", n);
    return n;
}

async int early_return(int n) {
    int x = n;
    async_defer {
        x = 99; /* too late for the value returned */
        await(note("defer after return", x));
    }
    if (n > 1)
        return x * 2;
    await(note("no early return", n));
    return x + await(fall_off(n));
}

async int loops(int n) {
    int sum = 0;
    for (int i = 0; i < n; i++) {
        async_defer { printf("  iteration %d done\n", i); }
        if (i == 1)
            continue;
        if (i == 3)
            break;
        await(note("loop", i));
        sum += i;
    }
    int j = 0;
    while (1) {
        async_defer {
            await(note("while defer", j));
            j++;
        }
        if (j >= 2)
            break;
    }
    do {
        async_defer { printf("  do defer %d\n", j); }
        j += 10;
        if (j > 30)
            continue;
        printf("  do body %d\n", j);
    } while (j < 40);
    return sum + j;
}

async int jumps(int n) {
    int tries = 0;
again:
    printf("  try %d\n", tries);
    {
        async_defer { await(note("leaving try", tries)); }
        tries++;
        if (tries < n)
            goto again; /* backwards, before the defer: it runs */
        if (tries == n)
            goto out;
        printf("  not reached\n");
    }
out:
    printf("  out with %d\n", tries);
    return tries;
}

async int switched(int k) {
    int r = 0;
    switch (k) {
    case 0: {
        async_defer { printf("  case 0 defer\n"); }
        r = 10;
        break;
    }
    case 1: {
        async_defer { await(note("case 1 defer", k)); }
        r = 20;
    } /* falls through */
    default:
        r += 1;
        break;
    }
    return r;
}

async int nested_loops(void) {
    int found = -1;
    for (int a = 0; a < 3 && found < 0; a++) {
        async_defer { printf("  outer %d\n", a); }
        for (int b = 0; b < 3; b++) {
            async_defer { printf("  inner %d.%d\n", a, b); }
            if (a == 1 && b == 1) {
                found = a * 10 + b;
                break;
            }
            await(async_sleep(0));
        }
    }
    return found;
}

async int amain(void) {
    printf("result %d\n", await(fall_off(1)));
    printf("early_return %d\n", await(early_return(5)));
    printf("early_return %d\n", await(early_return(1)));
    printf("loops %d\n", await(loops(5)));
    printf("jumps %d\n", await(jumps(2)));
    printf("switched %d\n", await(switched(0)));
    printf("switched %d\n", await(switched(1)));
    printf("switched %d\n", await(switched(2)));
    printf("nested_loops %d\n", await(nested_loops()));
    return 0;
}

int main(void) { return async_run(amain()); }
