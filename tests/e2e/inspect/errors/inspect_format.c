/* --inspect takes text or json: any other format is a usage error. */
#include <async.h>

async void nap(void) { await(async_sleep(0)); }

int main(void) { return async_run(nap()); }
