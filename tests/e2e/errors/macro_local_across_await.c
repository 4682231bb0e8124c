/* A local named inside a macro body, live across an await. */
#include <async.h>

#define BUMP() (count++)

async void tick(void) {}

async int amain(void) {
    int count = 0;
    BUMP();
    await(tick());
    BUMP();
    return count;
}

int main(void) { return async_run(amain()); }
