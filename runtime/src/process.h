/*
 * process.h -- what the files of async/process.h share: the process
 * object, and the registry that reaps children (process_reap.c) for the
 * spawn (process_spawn.c), the accessors (process.c) and the waits
 * (process_wait.c).
 */
#ifndef ASYNC_PROCESS_H
#define ASYNC_PROCESS_H

#include "internal.h"
#include "io.h"

#include <sys/types.h>

/* async_process.state */
enum {
    ASYNC__PROC_RUNNING = 0, /* not reaped yet */
    ASYNC__PROC_REAPED = 1,  /* reaped: `status` holds its status */
    ASYNC__PROC_LOST = 2     /* reaped by someone else: status unknown */
};

struct async_process {
    pid_t pid;
    int pidfd;                /* -1: polled with waitpid (the fallback) */
    int fds[3];               /* the parent's pipe ends, or -1 */
    int status;               /* the returncode, once REAPED */
    unsigned char state;      /* ASYNC__PROC_* */
    unsigned char released;   /* async_process_release was called */
    async__watcher w;         /* on the pidfd: reaps when it fires */
    async__wait_list waiters; /* tasks in the waits */
    struct async_process *prev, *next; /* the registry of this thread */
};

/* process_reap.c: takes `p` (pid and pidfd set, state RUNNING) into the
 * registry and starts watching it: its pidfd's watcher, or the polling
 * timer.  Registers the teardown with the loop. */
void async__process_add(async_process *p);

/* process_reap.c: reaps `p` if it has exited (waitpid WNOHANG), which
 * wakes its waiters and frees it when released.  Returns 1 when `p` is
 * no longer running (and may have been freed if released), else 0. */
int async__process_reap(async_process *p);

/* process_reap.c: after a waiter came or went, makes the pidfd's
 * watcher keep the loop busy exactly while tasks wait. */
void async__process_watch_update(async_process *p);

/* process_reap.c: the fallback polls the running children within a
 * millisecond again (after a kill, say). */
void async__process_poll_soon(void);

/* process_reap.c: unlinks, stops watching, closes the pidfd and pipe
 * ends, and frees `p`. */
void async__process_free(async_process *p);

/* process_reap.c: the status of a waitpid(2) status word: the exit code,
 * or minus the signal that killed it. */
int async__process_status(int wstatus);

#endif /* ASYNC_PROCESS_H */
