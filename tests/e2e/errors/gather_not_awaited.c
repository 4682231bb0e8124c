/* async_gather(...) used without await: nothing would run the calls. */
#include <async.h>

async void work(int n) { (void)n; }

async void amain(void) { async_gather(work(1), work(2)); }

int main(void) { return async_run(amain()); }
