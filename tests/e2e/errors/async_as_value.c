/* An async function assigned to a function pointer. */
#include <async.h>

async int work(void) { return 1; }

int main(void) {
    int (*fp)(void) = work;
    return fp == 0;
}
