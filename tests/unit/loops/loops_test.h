/*
 * loops_test.h -- what the loops' tests share: counters and flags that
 * several threads read and write (sequentially consistent atomics, so
 * ThreadSanitizer sees every hand-over), and a plain callback that sets
 * an event, to post to a loop.
 */
#ifndef LOOPS_TEST_H
#define LOOPS_TEST_H

#include <async.h>
#include <async/loops.h>
#include <async/sync.h>

static inline int load(const int *p) {
    return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static inline void store(int *p, int v) {
    __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

static inline int add(int *p, int v) {
    return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST);
}

/* For async_loop_post: sets the event `arg` on the loop that runs it. */
static inline void set_event(void *arg) { async_event_set(arg); }

/* For async_loop_post: does nothing. */
static inline void nothing(void *arg) { (void)arg; }

/* How long a test waits at most for another thread's step (in 1 ms
 * sleeps) before it records a failure rather than hang. */
enum { PATIENCE_MS = 20000 };

/* loops_reach.c: sleeps 1 ms at a time until *p reaches v; 0, or -1
 * when it did not within PATIENCE_MS. */
async int reach(int *p, int v);

#endif /* LOOPS_TEST_H */
