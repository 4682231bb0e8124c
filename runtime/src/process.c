/*
 * process.c -- the plain calls on a process object: its pid, its pipe
 * ends, signals, its status, and giving it up.
 */
#include "process.h"

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

pid_t async_process_pid(const async_process *p) {
    return p != NULL ? p->pid : ASYNC_EINVAL;
}

int async_process_fd(const async_process *p, int stream) {
    if (p == NULL || stream < 0 || stream > 2)
        return ASYNC_EINVAL;
    return p->fds[stream];
}

int async_process_close_fd(async_process *p, int stream) {
    if (p == NULL || stream < 0 || stream > 2)
        return ASYNC_EINVAL;
    if (p->fds[stream] >= 0) {
        close(p->fds[stream]);
        p->fds[stream] = -1;
    }
    return 0;
}

int async_process_signal(async_process *p, int signo) {
    sigset_t probe;

    if (p == NULL || signo < 0 ||
        (signo > 0 && (sigemptyset(&probe), sigaddset(&probe, signo) != 0)))
        return ASYNC_EINVAL;
    /* An exited child is reaped here rather than signalled as a zombie:
     * then the answer says that it is gone. */
    if (async__process_reap(p))
        return -ESRCH;
#ifdef SYS_pidfd_send_signal
    if (p->pidfd >= 0) {
        if (syscall(SYS_pidfd_send_signal, p->pidfd, signo, NULL, 0) == 0)
            return 0;
        if (errno != ENOSYS && errno != EPERM)
            return -errno;
    }
#endif
    /* Not reaped, so the number is still the child's. */
    return kill(p->pid, signo) == 0 ? 0 : -errno;
}

int async_process_returncode(const async_process *p, int *status) {
    if (p == NULL)
        return ASYNC_EINVAL;
    switch (p->state) {
    case ASYNC__PROC_REAPED:
        if (status != NULL)
            *status = p->status;
        return 1;
    case ASYNC__PROC_LOST:
        return -ECHILD;
    default:
        return 0;
    }
}

int async_process_release(async_process *p) {
    if (p == NULL)
        return 0;
    if (p->waiters.head != NULL)
        return -EBUSY;
    for (int i = 0; i < 3; i++)
        (void)async_process_close_fd(p, i);
    if (p->state != ASYNC__PROC_RUNNING) {
        async__process_free(p);
        return 0;
    }
    p->released = 1;
    return 0;
}
