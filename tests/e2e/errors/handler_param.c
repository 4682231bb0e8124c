/* Only asyncrt's functions take async functions as arguments. */
#include <async.h>

async void each(async void (*h)(int n), int n) { (void)h, (void)n; }

int main(void) { return 0; }
