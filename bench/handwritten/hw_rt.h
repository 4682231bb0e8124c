/*
 * hw_rt.h -- the whole run-time of the hand-written C baselines: what a
 * C programmer writes by hand for one program, without a library.
 *
 * The point of these programs is the floor: how fast and how small the
 * benchmarks get when every task is a struct with a switch-based resume
 * function and nothing is general.  So this header has only what the
 * workloads use:
 *
 * - a task is an hw_task embedded first in the workload's own struct;
 *   its resume function runs the state machine until it must wait or is
 *   finished, and does its own bookkeeping (tells whoever waits for it,
 *   frees itself): there is no join, no cancellation, no error path;
 * - the run queue is an intrusive FIFO (one pointer per task); a task
 *   must not be woken while it is queued, which each program's protocol
 *   guarantees (it is never woken by two parties at once);
 * - timers are a binary min-heap of (deadline, task) pairs stored by
 *   value, so comparisons never leave the array; a timer cannot be
 *   cancelled, and tasks with the same deadline wake in no particular
 *   order (no sequence number: nothing here depends on it);
 * - descriptors are the program's own business: hw_run() calls
 *   hw_io_wait(), which a program using epoll defines, when nothing is
 *   ready; the others define it as a plain sleep (HW_NO_IO).
 *
 * Everything is static and single-threaded; the header is meant for
 * exactly one translation unit.
 */
#ifndef HW_RT_H
#define HW_RT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

typedef struct hw_task hw_task;
struct hw_task {
    hw_task *next;               /* link in the run queue */
    void (*resume)(hw_task *me); /* runs until it waits or finishes */
};

static hw_task *hw_ready_head;
static hw_task *hw_ready_tail;

/* Appends `t` to the run queue. */
static inline void hw_wake(hw_task *t) {
    t->next = NULL;
    if (hw_ready_tail != NULL)
        hw_ready_tail->next = t;
    else
        hw_ready_head = t;
    hw_ready_tail = t;
}

/* The monotonic clock in nanoseconds. */
static inline uint64_t hw_clock_ns(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The clock when the current pass of the loop began (0: not read yet in
 * this pass).  Timers count from it, as in libuv, so a pass costs one
 * clock read at most, not one per timer; and none at all when no timer
 * is armed or started, since a read costs tens of nanoseconds, as much
 * as a whole task switch. */
static uint64_t hw_now;

/* hw_now, read on the first use in the pass. */
static inline uint64_t hw_time(void) {
    if (hw_now == 0)
        hw_now = hw_clock_ns();
    return hw_now;
}

typedef struct hw_timer {
    uint64_t deadline;
    hw_task *task;
} hw_timer;

static hw_timer *hw_timers; /* hw_timers[0] is due first */
static size_t hw_timers_len;
static size_t hw_timers_cap;

/* Wakes `t` once the clock reaches `deadline` (ns).  Aborts when out of
 * memory: a baseline has no use for recovery paths. */
static inline void hw_sleep_until(hw_task *t, uint64_t deadline) {
    size_t i;

    if (hw_timers_len == hw_timers_cap) {
        hw_timers_cap = hw_timers_cap ? 2 * hw_timers_cap : 1024;
        hw_timers = realloc(hw_timers, hw_timers_cap * sizeof *hw_timers);
        if (hw_timers == NULL)
            abort();
    }
    /* Sift up: move parents down into the hole until `deadline` fits. */
    for (i = hw_timers_len++; i > 0; i = (i - 1) / 2) {
        size_t parent = (i - 1) / 2;

        if (hw_timers[parent].deadline <= deadline)
            break;
        hw_timers[i] = hw_timers[parent];
    }
    hw_timers[i].deadline = deadline;
    hw_timers[i].task = t;
}

/* Removes the first timer (the heap is not empty). */
static inline void hw_timer_pop(void) {
    hw_timer last = hw_timers[--hw_timers_len];
    size_t n = hw_timers_len;
    size_t i = 0;

    /* Sift down: move the smaller child up into the hole until `last`
     * fits. */
    for (;;) {
        size_t child = 2 * i + 1;

        if (child >= n)
            break;
        if (child + 1 < n &&
            hw_timers[child + 1].deadline < hw_timers[child].deadline)
            child++;
        if (last.deadline <= hw_timers[child].deadline)
            break;
        hw_timers[i] = hw_timers[child];
        i = child;
    }
    if (n > 0)
        hw_timers[i] = last;
}

/* Waits for descriptor events for at most `timeout_ns` (UINT64_MAX:
 * without limit), resuming or waking the tasks they are for.  Returns 0
 * when there is nothing to wait for at all (no descriptor is watched),
 * else 1.  Defined by each program. */
static int hw_io_wait(uint64_t timeout_ns);

#ifdef HW_NO_IO
static int hw_io_wait(uint64_t timeout_ns) {
    struct timespec ts;

    if (timeout_ns == UINT64_MAX)
        return 0;
    ts.tv_sec = (time_t)(timeout_ns / 1000000000u);
    ts.tv_nsec = (long)(timeout_ns % 1000000000u);
    clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
    return 1;
}
#endif

/* Runs tasks until none is ready, no timer is armed and hw_io_wait has
 * nothing to wait for.  Each pass wakes the tasks whose timers are due,
 * then runs the tasks that were ready when it began; those woken
 * meanwhile wait for the next pass (asyncio and asyncrt do the same), so
 * a sleep started by a task spawned in this pass counts from the next
 * pass, after the spawning. */
static inline void hw_run(void) {
    for (;;) {
        hw_task *t;

        hw_now = 0;
        while (hw_timers_len > 0 && hw_timers[0].deadline <= hw_time()) {
            hw_wake(hw_timers[0].task);
            hw_timer_pop();
        }
        t = hw_ready_head;
        hw_ready_head = hw_ready_tail = NULL;
        while (t != NULL) {
            hw_task *next = t->next;

            t->resume(t);
            t = next;
        }
        if (hw_ready_head != NULL)
            continue;
        if (hw_timers_len > 0) {
            uint64_t now = hw_clock_ns();

            if (hw_timers[0].deadline > now)
                hw_io_wait(hw_timers[0].deadline - now);
        } else if (!hw_io_wait(UINT64_MAX)) {
            return;
        }
    }
}

#endif /* HW_RT_H */
