/* A variadic async function: its arguments cannot be stored in a frame. */
#include <async.h>

async int sum(int n, ...) { return n; }

int main(void) { return async_run(sum(1, 2)); }
