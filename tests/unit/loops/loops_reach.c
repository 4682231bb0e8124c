/*
 * loops_reach.c -- the loops' tests' wait for another thread's step,
 * shared by every test program (loops_test.h).
 */
#include "loops_test.h"

async int reach(int *p, int v) {
    for (int i = 0; i < PATIENCE_MS; i++) {
        if (load(p) >= v)
            return 0;
        await(async_sleep(0.001));
    }
    return -1;
}
