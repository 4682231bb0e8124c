/* Helper for async_in_header.c: defines an async function in a header. */
#include <async.h>

async int helper(void) { return 1; }
