/* An async function defined in a header that the file includes. */
#include "async_in_header.h"

int main(void) { return async_run(helper()); }
