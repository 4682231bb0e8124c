/* async_gather of a call to a plain function. */
#include <async.h>

async void work(int n) { (void)n; }
void plain(int n) { (void)n; }

async void amain(void) { await(async_gather(work(1), plain(2))); }

int main(void) { return async_run(amain()); }
