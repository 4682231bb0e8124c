/* await in a file-scope initializer (sizeof keeps it constant). */
#include <async.h>

async int answer(void) { return 42; }

int size = sizeof(await(answer()));

int main(void) { return size == sizeof(int) ? 0 : 1; }
