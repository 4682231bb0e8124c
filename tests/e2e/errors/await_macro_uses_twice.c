/* A macro argument holding an await that the macro evaluates twice. */
#include <async.h>

static int add(int a, int b) { return a + b; }
#define PAIR(x) add((x), (x))

async int answer(void) { return 42; }

async int f(void) {
    int n = PAIR(await(answer()));
    return n;
}
