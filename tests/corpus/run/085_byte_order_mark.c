/*
 * A file that starts with a UTF-8 byte order mark (some editors write
 * one): the transpiled file must still compile, so the mark may not end
 * up after the line asyncc puts first.
 */
#include <async.h>
#include <stdio.h>

async int twice(int v) {
    await(async_sleep(0));
    return 2 * v;
}

async int amain(void) {
    int x = await(twice(21));
    printf("%d\n", x);
    return 0;
}

int main(void) { return async_run(amain()); }
