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

/* Rounded up to whole nanoseconds, so a sleep is never shorter than
 * asked.  Lengths past 2^63 ns (292 years) are as good as forever;
 * clamping them keeps the conversion to an integer defined. */
uint64_t async__ns_from_seconds(double seconds) {
    double ns = seconds * 1e9;
    uint64_t d;

    /* Written so that NaN takes this branch too. */
    if (!(seconds > 0))
        return 0;
    if (ns >= 0x1p63)
        return UINT64_MAX;
    d = (uint64_t)ns;
    if ((double)d < ns)
        d++;
    return d;
}

/* Now is read from the clock, not the loop's reading at the start of its
 * pass: a task that starts a timer late in a long pass must not wake
 * before `ns` have passed since the start (the loop fires a timer once
 * its own reading has reached the deadline, so never early). */
uint64_t async__deadline_in(uint64_t ns) {
    uint64_t now = async__clock_ns();

    return ns > UINT64_MAX - now ? UINT64_MAX : now + ns;
}

uint64_t async__deadline_after(double seconds) {
    return async__deadline_in(async__ns_from_seconds(seconds));
}
