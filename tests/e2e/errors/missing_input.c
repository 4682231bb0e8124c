/* The input file named on the command line (missing_input.args) is absent. */
#include <async.h>

async int amain(void) { return 0; }

int main(void) { return async_run(amain()); }
