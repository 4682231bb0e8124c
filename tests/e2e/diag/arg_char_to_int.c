/* A char * passed where an awaited async function takes an int. */
#include <async.h>
#include <stdio.h>

async int get_len(int n, const char *s) {
    await(async_sleep(0));
    return n + (int)s[0];
}

async int amain(void) {
    char *text = "hello";
    int r = await(get_len(text, text));
    printf("%d\n", r);
    return 0;
}

int main(void) { return async_run(amain()); }
