/* async_run of an async function returning a pointer. */
#include <async.h>

async const char *name(void) { return "x"; }

int main(void) { return async_run(name()); }
