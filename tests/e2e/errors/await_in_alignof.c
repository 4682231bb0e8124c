/* await inside _Alignof (a GNU extension for expressions): not evaluated. */
#include <async.h>

async int answer(void) { return 42; }

async int amain(void) {
    int n = (int)_Alignof(await(answer()));
    return n;
}

int main(void) { return async_run(amain()); }
