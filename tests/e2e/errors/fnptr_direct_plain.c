/* A plain function stored in a field declared async. */
#include <async.h>

int plain(int x) { return x; }

struct ops {
    async int (*run)(int x);
};

async int amain(void) {
    struct ops o = {plain};
    return await(o.run(1));
}

int main(void) { return async_run(amain()); }
