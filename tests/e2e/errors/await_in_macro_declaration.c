/* An await in the argument of a macro that writes a declaration. */
#include <async.h>

#define DECLARE(x) int value = (x)

async int answer(void) { return 42; }

async int f(void) {
    DECLARE(await(answer()));
    return value;
}
