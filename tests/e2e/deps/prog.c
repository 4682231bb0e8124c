/* Needs a local header (found through -I) and NEEDED from -D: it only
 * transpiles with the flags the build gives it. */
#include <async.h>
#include <stdio.h>

#include "cfg.h"

#ifndef NEEDED
#error NEEDED is not defined
#endif

async const char *greet(void) { return GREETING; }

async void amain(void) { printf("%s %d\n", await(greet()), NEEDED); }

int main(void) { return async_run(amain()); }
