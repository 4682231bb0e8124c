/* async_run of an async function returning a struct: no int result. */
#include <async.h>

struct pair {
    int a, b;
};

async struct pair make(void) {
    struct pair p = {1, 2};
    return p;
}

int main(void) { return async_run(make()); }
