/* The address of an async function taken with &. */
#include <async.h>

async int work(void) { return 1; }

int main(void) {
    void *p = (void *)&work;
    return p == 0;
}
