/*
 * async/process.h -- child processes, like asyncio's
 * create_subprocess_exec (included by async.h; do not include directly).
 *
 *     const char *argv[] = {"cat", NULL};
 *     async_process_options o = {argv};
 *     async_process *p;
 *     o.stdin_mode = ASYNC_PROCESS_PIPE;
 *     o.stdout_mode = ASYNC_PROCESS_PIPE;
 *     int rc = async_process_spawn(&p, &o);         -- 0 or -errno
 *     await(async_write(async_process_fd(p, 0), "hi\n", 3));
 *     async_process_close_fd(p, 0);                 -- EOF for cat
 *     n = await(async_read(async_process_fd(p, 1), buf, sizeof buf));
 *     int status = await(async_process_wait(p));    -- 0
 *     async_process_release(p);
 *
 * The status.  A process's status is asyncio's returncode: its exit
 * code (0 to 255) when it exited, or minus the signal number when a
 * signal killed it (-9 for SIGKILL, -15 for SIGTERM).  It is a value,
 * never a failure: awaits that fail do so with an error code, as
 * everywhere in asyncrt, and produce no status.
 *
 * Reaping.  The runtime reaps every child it started as soon as it
 * exits, whether or not a task awaits it, and keeps its status in the
 * process object: no child of asyncrt stays a zombie while the loop
 * runs.  It watches each child through a pidfd (pidfd_open, Linux 5.3)
 * in the loop's poller.  Where the kernel has no pidfd_open, or when the
 * environment variable ASYNCRT_NO_PIDFD is set to a non-empty value
 * other than 0 when the process is spawned, it polls the running
 * children with waitpid(WNOHANG) instead, every millisecond at first,
 * backing off to every 50 ms (to every millisecond again after a spawn
 * or a kill by async_process_wait_or_kill).  Because of that polling
 * timer, in that fallback mode a running child keeps the loop awake:
 * a run whose tasks all wait forever is reported as a deadlock only
 * once the children have exited.  With pidfds, a child that no task
 * awaits does not keep the loop awake.  The runtime reaps its children
 * with waitpid on their pid alone, never waitpid(-1): other children of
 * the program are left alone.  A program that sets SIGCHLD to SIG_IGN
 * has its children reaped by the kernel: their status is lost, and the
 * waits fail with -ECHILD.
 *
 * Lifetime and policy.  A process object belongs to the async_run that
 * spawned it, like a task handle:
 * - async_process_release gives it up: its pipe ends are closed, and
 *   the object is freed as soon as the child has exited and been reaped
 *   (at once if it has); the child itself runs on.
 * - A wait whose task is cancelled stops waiting; the child runs on and
 *   is reaped by the runtime when it exits; the object stays valid and
 *   can be waited for again.
 * - When async_run returns, every child it spawned that is still
 *   running, whether its object was released or not, waited for or not,
 *   is killed with SIGKILL and reaped (asyncio warns and kills too); then
 *   every process object of the run is freed and its pipe ends closed.
 *   A program that wants a child to outlive the run waits for it first.
 *
 * The child.  Its standard streams are each inherited, a pipe to the
 * parent, or /dev/null; its stderr may also go where its stdout goes.
 * The parent's ends of the pipes are non-blocking and close-on-exec, so
 * async_read, async_write, async_reader_init with async_read_line and
 * the rest work on them; they belong to the process object.  The child
 * starts with no signal blocked (the loop's thread blocks the signals
 * that tasks await) and with SIGPIPE at its default action; other
 * ignored signals stay ignored, handled ones are reset by exec.  It
 * inherits the descriptors of the parent that are not close-on-exec
 * (asyncrt's own are all close-on-exec).
 *
 * Threads: process objects belong to the loop's thread, like the rest.
 */
#ifndef ASYNC_API_PROCESS_H
#define ASYNC_API_PROCESS_H

#include <stddef.h>
#include <sys/types.h>

#include "sync.h" /* a process keeps a wait list */

#ifdef __cplusplus
extern "C" {
#endif

/* Where one of the child's standard streams goes
 * (async_process_options.stdin_mode and the others). */
enum {
    ASYNC_PROCESS_INHERIT = 0, /* the parent's descriptor (the default) */
    ASYNC_PROCESS_PIPE = 1,    /* a pipe; the parent's end is
                                  async_process_fd(p, stream) */
    ASYNC_PROCESS_DEVNULL = 2, /* /dev/null */
    ASYNC_PROCESS_STDOUT = 3   /* stderr_mode only: where stdout goes
                                  (asyncio's stderr=STDOUT) */
};

/* What to start.  Zero-initialise it and set the fields needed: a
 * zeroed field means the default. */
typedef struct async_process_options {
    /* The program and its arguments, NULL-terminated; argv[0] is the
     * program: a path when it contains a '/' (relative to `cwd` when
     * that is set), else a name searched in the directories of the
     * parent's PATH (or "/bin:/usr/bin" when PATH is unset), as execvp
     * does.  Required. */
    const char *const *argv;
    /* The child's environment, NULL-terminated "NAME=value" strings;
     * NULL: the parent's (environ). */
    const char *const *envp;
    /* The child's working directory; NULL: the parent's. */
    const char *cwd;
    /* ASYNC_PROCESS_INHERIT, _PIPE or _DEVNULL for each stream; stderr
     * may also be ASYNC_PROCESS_STDOUT. */
    int stdin_mode;
    int stdout_mode;
    int stderr_mode;
} async_process_options;

/* A child process started by async_process_spawn.  Private to asyncrt;
 * use the functions below. */
typedef struct async_process async_process;

/* Starts the program that `opts` describes and stores its process
 * object in *out; returns 0.  The program has been exec'd when it
 * returns (the call blocks for the fork and exec, not for the child to
 * run).  Errors, with *out untouched and nothing left behind (no child,
 * no descriptor): ASYNC_EINVAL for NULL out, opts or argv, an empty
 * argv, an unknown mode or ASYNC_PROCESS_STDOUT for stdin or stdout,
 * or a call outside async_run; the failure of the exec or of the
 * child's set-up as -errno of the step that failed: -ENOENT for a
 * program that is not found (or a cwd that does not exist), -EACCES,
 * -ENOTDIR, -ENOEXEC (a file that is no executable: there is no
 * fallback to /bin/sh); -errno of fork, pipe2 or open ("/dev/null")
 * (-EMFILE, -EAGAIN...); ASYNC_ENOMEM.  A child that could not exec
 * never counts as a process: no exit status 127 to interpret.
 * stdio buffers are not flushed: as with fork(2), fflush(stdout) first
 * when the child writes to the same place (and under valgrind, whose
 * exit flushes a forked child's copies of the parent's buffers when the
 * exec fails). */
int async_process_spawn(async_process **out, const async_process_options *opts);

/* The child's process id; ASYNC_EINVAL for NULL.  Once the child has
 * been reaped the number may belong to another process: use
 * async_process_signal rather than kill(2). */
pid_t async_process_pid(const async_process *p);

/* The parent's end of the pipe of the child's stream `stream` (0:
 * stdin, written by the parent; 1: stdout and 2: stderr, read by it),
 * non-blocking and close-on-exec; -1 when that stream is no pipe or the
 * end has been closed; ASYNC_EINVAL for NULL p or another stream.  The
 * descriptor stays the process object's: close it with
 * async_process_close_fd, not close(2). */
int async_process_fd(const async_process *p, int stream);

/* Closes the parent's end of `stream`'s pipe (closing stdin is how the
 * child sees end of file).  Returns 0, also when it is closed already or
 * was no pipe; ASYNC_EINVAL for NULL p or another stream.  No task may
 * be waiting on the descriptor. */
int async_process_close_fd(async_process *p, int stream);

/* Sends signal `signo` to the child (through its pidfd when it has
 * one, so never to a process that reused its number).  Returns 0;
 * -ESRCH when the child has been reaped already (its status is known);
 * ASYNC_EINVAL for NULL p or an invalid signal number (0 is valid: it
 * only checks that the child has not been reaped). */
int async_process_signal(async_process *p, int signo);

/* When the child has exited and been reaped: stores its status (see
 * above) in *status (unless status is NULL) and returns 1.  Returns 0
 * while it runs (or has exited but not been reaped yet: the loop reaps
 * it on its next wait), ASYNC_EINVAL for NULL p, -ECHILD when its status
 * was lost (SIGCHLD ignored).  asyncio's returncode. */
int async_process_returncode(const async_process *p, int *status);

/* Gives the process object up: closes the parent's pipe ends that are
 * still open and frees the object once the child has exited and been
 * reaped (at once when it has); `p` must not be used afterwards.  The
 * child is not signalled: it runs on, is reaped when it exits, and is
 * killed when async_run returns (see above).  Returns 0; -EBUSY (and
 * nothing is done) while a task waits for the process; NULL is
 * accepted and ignored (0). */
int async_process_release(async_process *p);

#ifdef __ASYNCC__

/* Waits until the child has exited and evaluates to its status (at
 * once when it has been reaped already).  Several tasks may wait for
 * the same process.  Errors: ASYNC_EINVAL (NULL), -ECHILD (status lost,
 * see above), ASYNC_ECANCELED: the wait stops, the child runs on and
 * the object stays valid. */
async int async_process_wait(async_process *p);

/* async_process_wait with a deadline `seconds` from now (0, negative or
 * NaN: none left): when the child has not exited by then, it is sent
 * SIGKILL, the await waits until it has been reaped, and fails with
 * ASYNC_ETIMEDOUT; its status (-9, or its exit status if it exited
 * just before the signal) is then in async_process_returncode.  A child
 * that exits in time gives its status, as async_process_wait does.
 * Cancelled, before or after the kill, it stops waiting (a child not
 * killed yet runs on). */
async int async_process_wait_or_kill(async_process *p, double seconds);

#endif /* __ASYNCC__ */

/* ------------------------------------------------------------------ */
/* Generated-code interface                                            */
/* ------------------------------------------------------------------ */

struct async_process_wait__frame {
    int _state;
    async_process *p;
    async__sync_waiter waiter;
    int _ret;
};
void async_process_wait__init(struct async_process_wait__frame *f,
                              async_process *p);
int async_process_wait__resume(void *frame);

struct async_process_wait_or_kill__frame {
    int _state;
    int killed; /* SIGKILL was sent */
    async_process *p;
    double seconds;
    async__sync_waiter waiter;
    async__timer timer;
    int _ret;
};
void async_process_wait_or_kill__init(
    struct async_process_wait_or_kill__frame *f, async_process *p,
    double seconds);
int async_process_wait_or_kill__resume(void *frame);

#ifdef __cplusplus
}
#endif

#endif /* ASYNC_API_PROCESS_H */
