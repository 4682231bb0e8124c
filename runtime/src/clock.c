/*
 * clock.c -- the loop's clock: CLOCK_MONOTONIC in nanoseconds.
 *
 * Timers use integer nanoseconds so deadlines compare exactly and ties
 * are real ties; async_time() converts to seconds only for the user.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

uint64_t async__clock_ns(void) {
    struct timespec ts;

    /* Only an invalid clock id makes this fail, and CLOCK_MONOTONIC is
     * always there on the systems asyncrt supports. */
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        fputs("asyncrt: clock_gettime(CLOCK_MONOTONIC) failed\n", stderr);
        abort();
    }
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double async_time(void) { return (double)async__clock_ns() / 1e9; }

/* The deadline `seconds` (> 0) after now, rounded up to whole
 * nanoseconds.  Now is read from the clock, not the loop's reading at the
 * start of its pass: a task that starts a sleep late in a long pass must
 * not wake before `seconds` have passed since its call (the loop fires a
 * timer once its pass-start reading has reached the deadline, so never
 * early).  Sleeps past 2^63 ns (292 years) are as good as forever;
 * clamping them keeps the conversion to an integer defined. */
uint64_t async__deadline_after(double seconds) {
    uint64_t now = async__clock_ns();
    double ns = seconds * 1e9;
    uint64_t d;

    if (ns >= 0x1p63)
        return UINT64_MAX;
    d = (uint64_t)ns;
    if ((double)d < ns)
        d++;
    return d > UINT64_MAX - now ? UINT64_MAX : now + d;
}
