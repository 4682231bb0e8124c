/* async_gather stores a result only with '='. */
#include <async.h>

async int count(int n) { return n; }

async void amain(void) {
    int total = 0;
    await(async_gather(total += count(1), total = count(2)));
}

int main(void) { return async_run(amain()); }
