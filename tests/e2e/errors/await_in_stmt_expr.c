/* An await inside a GNU statement expression. */
#include <async.h>

async int answer(void) { return 42; }

async int f(void) {
    int n = ({
        int t = await(answer());
        t + 1;
    });
    return n;
}
