/*
 * Many awaits in one expression and in one argument list, and the same
 * async function awaited repeatedly with results combined.
 */
#include <async.h>
#include <stdio.h>

async int val(int v) {
    await(async_sleep(0));
    return v;
}

async int amain(void) {
    int s = await(val(1)) + await(val(2)) * await(val(3)) -
            await(val(4)) / await(val(2)) + await(val(5)) % await(val(3)) +
            (await(val(6)) << await(val(1))) +
            (await(val(100)) > await(val(9)));
    printf("s=%d\n", s);
    printf("%d %d %d %d %d %d %d %d\n", await(val(1)), await(val(2)),
           await(val(3)), await(val(4)), await(val(5)), await(val(6)),
           await(val(7)), await(val(8)));
    int arr[3] = {0};
    arr[await(val(0))] = await(val(1)) + arr[await(val(1))] + await(val(2));
    printf("arr[0]=%d\n", arr[0]);
    return 0;
}

int main(void) { return async_run(amain()); }
