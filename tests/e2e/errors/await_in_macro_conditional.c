/* An await as an operand of ?: that a macro's body writes. */
#include <async.h>

#define MAX(a, b) ((a) > (b) ? (a) : (b))

async int answer(void) { return 42; }

async int f(int y) { return MAX(y, await(answer())); }
