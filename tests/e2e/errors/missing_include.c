/* An #include of a file that does not exist. */
#include "no_such_header.h"
#include <async.h>

async int amain(void) { return 0; }

int main(void) { return async_run(amain()); }
