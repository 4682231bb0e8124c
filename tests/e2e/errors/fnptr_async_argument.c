/* An async function passed where a plain function pointer is expected. */
#include <async.h>

async int twice(int x) { return 2 * x; }

static int apply(int (*f)(int), int x) { return f(x); }

int main(void) { return apply(twice, 1); }
