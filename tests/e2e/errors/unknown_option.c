/* An unknown command-line option (see unknown_option.args): usage error. */
#include <async.h>

async int amain(void) { return 0; }

int main(void) { return async_run(amain()); }
