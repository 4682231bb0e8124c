/* Names that the generated resume function declares itself: a local or
 * parameter _f (the frame pointer) or asyncc_..., a label asyncc_... */
#include <async.h>
#include <stdio.h>

async int one(void) { return 1; }

async int amain(int asyncc_r) {
    int x = await(one());
    {
        int _f = 5;
        printf("%d\n", _f + x);
    }
    if (x)
        goto asyncc_exit;
    x += await(one());
asyncc_exit:
    return x + asyncc_r;
}

int main(void) { return async_run(amain(0)); }
