/* An error after the includes: asyncc must leave the depfile alone. */
#include <async.h>

#include "cfg.h"

async int f(void) { return undeclared; }
