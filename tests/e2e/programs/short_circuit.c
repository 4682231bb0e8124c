/*
 * short_circuit.c -- awaits in the later operands of &&, || and ?: run
 * only when C evaluates them; the comma operator keeps its order.  The
 * call counter shows which awaits ran.  Checked against the same program
 * compiled as synchronous C (-DASYNCC_SYNC).
 */
#include <async.h>
#include <stdio.h>
static int calls;
async int val(int v) {
    calls++;
    await(async_sleep(0));
    return v;
}
async void shout(const char *s) {
    await(async_sleep(0));
    printf("%s\n", s);
}
async int amain(void) {
    int x = 0, r;
    r = x && await(val(1));
    printf("and0 %d calls %d\n", r, calls);
    r = 1 && await(val(5));
    printf("and1 %d calls %d\n", r, calls);
    r = 1 || await(val(0));
    printf("or1 %d calls %d\n", r, calls);
    r = x || await(val(0)) || await(val(7));
    printf("or0 %d calls %d\n", r, calls);
    int c = await(val(3)) > 2 ? await(val(10)) : await(val(20));
    printf("cond %d calls %d\n", c, calls);
    x ? await(shout("yes")) : await(shout("no"));
    int y = (x = 4, await(val(x + 1)));
    printf("comma %d %d calls %d\n", x, y, calls);
    if (x && (await(val(0)) || await(val(9)) == 9))
        printf("nested ok calls %d\n", calls);
    while (x > 0 && await(val(x)) != 2)
        x--;
    printf("loop x=%d calls %d\n", x, calls);
    return 0;
}
int main(void) { return async_run(amain()); }
