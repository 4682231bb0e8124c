/* A call through an async function pointer in plain code. */
#include <async.h>

async int twice(int x) { return 2 * x; }

async int (*h)(int) = twice;

int main(void) { return h(1); }
