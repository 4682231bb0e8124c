/* async_run inside an async function: the loop is already running. */
#include <async.h>

async int work(void) { return 1; }

async int amain(void) { return async_run(work()); }

int main(void) { return async_run(amain()); }
