/*
 * process_spawn.c -- async_process_spawn: fork, set up the child's
 * streams, directory and signals, exec; exec failures come back to the
 * parent through a close-on-exec pipe.
 *
 * Everything the child needs is prepared before the fork (pipes,
 * /dev/null, the buffer for the PATH search), so between fork and exec
 * the child only makes async-signal-safe calls, as a multi-threaded
 * parent requires.  fork rather than posix_spawn: glibc's posix_spawn
 * reports exec failures through memory shared with a vfork-like child,
 * which tools that emulate vfork with fork (valgrind) do not share, and
 * the failure would then look like a child exiting with 127.
 *
 * Signals are blocked in the parent's thread from before the fork to
 * after it, so no handler of the parent runs in the child before the
 * child has reset it; the child unblocks everything just before exec.
 *
 * The child's pipe ends and /dev/null are placed at descriptors 3 and
 * up, all close-on-exec: dup2 onto 0, 1 or 2 makes the copy that the
 * program keeps, and the originals close at exec.  (A descriptor
 * dup2'ed onto itself would keep its close-on-exec flag.)
 */
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* What the child does, prepared by the parent. */
typedef struct plan {
    char *const *argv;
    char *const *envp;
    const char *cwd;
    const char *path; /* the PATH to search, or NULL: argv[0] has a '/' */
    char *buf;        /* room for "dir/argv[0]" */
    int child_fd[3];  /* what becomes 0, 1, 2; -1: inherited */
    int merge;        /* stderr goes to stdout */
    int err_fd;       /* the error pipe's write end */
} plan;

typedef struct fds {
    int parent[3]; /* the parent's pipe ends */
    int child[3];  /* the child's ends */
    int devnull;
    int err[2]; /* the error pipe */
} fds;

/* `fd`, moved to 3 or above, close-on-exec; -errno on failure (and fd
 * is closed). */
static int high_fd(int fd) {
    int copy;

    if (fd >= 3)
        return fd;
    copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (copy < 0)
        copy = -errno;
    close(fd);
    return copy;
}

static int make_pipe(int ends[2]) {
    int rc;

    if (pipe2(ends, O_CLOEXEC) != 0)
        return -errno;
    if ((rc = ends[0] = high_fd(ends[0])) < 0) {
        close(ends[1]);
        return rc;
    }
    if ((rc = ends[1] = high_fd(ends[1])) < 0) {
        close(ends[0]);
        return rc;
    }
    return 0;
}

static void close_fd(int *fd) {
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static void fds_close(fds *d) {
    for (int i = 0; i < 3; i++) {
        close_fd(&d->parent[i]);
        if (d->child[i] != d->devnull)
            close_fd(&d->child[i]);
    }
    close_fd(&d->devnull);
    close_fd(&d->err[0]);
    close_fd(&d->err[1]);
}

/* Creates the pipes and /dev/null the modes ask for. */
static int fds_open(fds *d, const int mode[3]) {
    int rc, ends[2];

    for (int i = 0; i < 3; i++) {
        if (mode[i] == ASYNC_PROCESS_DEVNULL && d->devnull < 0) {
            d->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
            if (d->devnull < 0)
                return -errno;
            if ((d->devnull = high_fd(d->devnull)) < 0)
                return d->devnull;
        }
        if (mode[i] == ASYNC_PROCESS_DEVNULL)
            d->child[i] = d->devnull;
        if (mode[i] != ASYNC_PROCESS_PIPE)
            continue;
        if ((rc = make_pipe(ends)) != 0)
            return rc;
        /* stdin: the child reads; stdout, stderr: the parent reads. */
        d->child[i] = ends[i == 0 ? 0 : 1];
        d->parent[i] = ends[i == 0 ? 1 : 0];
        if (fcntl(d->parent[i], F_SETFL, O_NONBLOCK) != 0)
            return -errno;
    }
    return make_pipe(d->err);
}

/* execve of `file`; on failure, whether to try the next directory. */
static int try_exec(const plan *pl, const char *file, int *seen_eacces) {
    execve(file, pl->argv, pl->envp);
    switch (errno) {
    case EACCES:
        *seen_eacces = 1;
        return 1;
    case ENOENT:
    case ENOTDIR:
    case ESTALE:
    case ENODEV:
    case ETIMEDOUT:
        return 1;
    default:
        return 0;
    }
}

/* execvp's search, without malloc: returns only on failure, with errno
 * set. */
static void exec_search(const plan *pl) {
    const char *name = pl->argv[0], *p = pl->path;
    size_t nlen = strlen(name);
    int seen_eacces = 0;

    for (;;) {
        const char *end = strchr(p, ':');
        size_t dlen = end != NULL ? (size_t)(end - p) : strlen(p);

        /* An empty entry is the current directory. */
        if (dlen == 0) {
            memcpy(pl->buf, name, nlen + 1);
        } else {
            memcpy(pl->buf, p, dlen);
            pl->buf[dlen] = '/';
            memcpy(pl->buf + dlen + 1, name, nlen + 1);
        }
        if (!try_exec(pl, pl->buf, &seen_eacces))
            return;
        if (end == NULL)
            break;
        p = end + 1;
    }
    errno = seen_eacces ? EACCES : ENOENT;
}

/* In the child: never returns. */
static _Noreturn void child(const plan *pl) {
    struct sigaction sa;
    sigset_t none;
    int err;

    /* Handlers of the parent would run here once signals are unblocked;
     * exec would reset them anyway.  SIGPIPE goes back to its default
     * even when ignored, as Python's subprocess does. */
    for (int s = 1; s < NSIG; s++) {
        if (s == SIGKILL || s == SIGSTOP || sigaction(s, NULL, &sa) != 0)
            continue;
        if (s == SIGPIPE ||
            (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN)) {
            sa.sa_handler = SIG_DFL;
            sa.sa_flags = 0;
            (void)sigaction(s, &sa, NULL);
        }
    }
    for (int i = 0; i < 3; i++)
        if (pl->child_fd[i] >= 0 && dup2(pl->child_fd[i], i) < 0)
            goto fail;
    if (pl->merge && dup2(1, 2) < 0)
        goto fail;
    if (pl->cwd != NULL && chdir(pl->cwd) != 0)
        goto fail;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (pl->path == NULL)
        execve(pl->argv[0], pl->argv, pl->envp);
    else
        exec_search(pl);
fail:
    err = errno;
    (void)!write(pl->err_fd, &err, sizeof err);
    _exit(127);
}

static int valid_mode(int mode, int stream) {
    return mode == ASYNC_PROCESS_INHERIT || mode == ASYNC_PROCESS_PIPE ||
           mode == ASYNC_PROCESS_DEVNULL ||
           (mode == ASYNC_PROCESS_STDOUT && stream == 2);
}

/* The child's pidfd, or -1 for the fallback. */
static int open_pidfd(pid_t pid) {
    const char *off = getenv("ASYNCRT_NO_PIDFD");

    if (off != NULL && off[0] != '\0' && strcmp(off, "0") != 0)
        return -1;
#ifdef SYS_pidfd_open
    {
        int fd = (int)syscall(SYS_pidfd_open, pid, 0);

        /* Descriptors created by pidfd_open are close-on-exec. */
        return fd >= 0 ? fd : -1;
    }
#else
    (void)pid;
    return -1;
#endif
}

/* Forks and execs; returns the child's pid, or -errno (the child, if it
 * was created, is reaped). */
static pid_t fork_exec(const plan *pl, int err_read) {
    sigset_t all, old;
    pid_t pid;
    ssize_t n;
    int err = 0, saved;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid = fork();
    if (pid == 0)
        child(pl);
    saved = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(pl->err_fd);
    if (pid < 0)
        return -saved;
    /* End of file: exec succeeded (the pipe closed with it). */
    while ((n = read(err_read, &err, sizeof err)) < 0 && errno == EINTR)
        ;
    if (n == (ssize_t)sizeof err) {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        return err > 0 ? -err : -EIO;
    }
    return pid;
}

int async_process_spawn(async_process **out,
                        const async_process_options *opts) {
    fds d = {{-1, -1, -1}, {-1, -1, -1}, -1, {-1, -1}};
    int mode[3];
    plan pl;
    async_process *p;
    pid_t pid;
    int rc;

    if (out == NULL || opts == NULL || opts->argv == NULL ||
        opts->argv[0] == NULL || async__loop_root() == NULL)
        return ASYNC_EINVAL;
    mode[0] = opts->stdin_mode;
    mode[1] = opts->stdout_mode;
    mode[2] = opts->stderr_mode;
    for (int i = 0; i < 3; i++)
        if (!valid_mode(mode[i], i))
            return ASYNC_EINVAL;
    memset(&pl, 0, sizeof pl);
    pl.argv = (char *const *)opts->argv;
    pl.envp = opts->envp != NULL ? (char *const *)opts->envp : environ;
    pl.cwd = opts->cwd;
    pl.merge = mode[2] == ASYNC_PROCESS_STDOUT;
    if (strchr(opts->argv[0], '/') == NULL) {
        pl.path = getenv("PATH");
        if (pl.path == NULL)
            pl.path = "/bin:/usr/bin";
    }
    pl.buf = pl.path != NULL
                 ? malloc(strlen(pl.path) + strlen(opts->argv[0]) + 2)
                 : NULL;
    if (pl.path != NULL && pl.buf == NULL)
        return ASYNC_ENOMEM;
    if ((rc = fds_open(&d, mode)) != 0)
        goto fail;
    for (int i = 0; i < 3; i++)
        pl.child_fd[i] = d.child[i];
    pl.err_fd = d.err[1];
    pid = fork_exec(&pl, d.err[0]);
    d.err[1] = -1; /* closed by fork_exec */
    if (pid < 0) {
        rc = (int)pid;
        goto fail;
    }
    /* Allocated after the fork, so that a child whose exec fails holds
     * no block of the parent's (memory checkers see its exit). */
    if ((p = calloc(1, sizeof *p)) == NULL) {
        (void)kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        rc = ASYNC_ENOMEM;
        goto fail;
    }
    p->pid = pid;
    p->pidfd = open_pidfd(pid);
    for (int i = 0; i < 3; i++) {
        p->fds[i] = d.parent[i];
        d.parent[i] = -1;
        if (p->fds[i] >= 0)
            async__io_fresh(p->fds[i]);
    }
    p->state = ASYNC__PROC_RUNNING;
    fds_close(&d);
    free(pl.buf);
    async__process_add(p);
    *out = p;
    return 0;
fail:
    fds_close(&d);
    free(pl.buf);
    return rc;
}
