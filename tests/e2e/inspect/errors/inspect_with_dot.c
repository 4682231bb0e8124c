/* --inspect and --dot each replace the output: asking for both is a
 * usage error (exit status 2), reported before the file is read. */
#include <async.h>

async void nap(void) { await(async_sleep(0)); }

int main(void) { return async_run(nap()); }
