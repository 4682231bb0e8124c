/* await in a plain function: only async functions can suspend. */
#include <async.h>

async int answer(void) { return 42; }

int plain(void) {
    int n = await(answer());
    return n;
}

int main(void) { return plain() == 42 ? 0 : 1; }
