/*
 * async/io.h -- awaitable I/O on file descriptors, TCP helpers and
 * worker threads (included by async.h; do not include directly).
 *
 * File descriptors.  The awaitables here work on non-blocking
 * descriptors: those that asyncrt creates (async_tcp_listen,
 * async_accept, async_tcp_connect) are non-blocking and close-on-exec;
 * make your own so with async_fd_nonblocking() before awaiting on them
 * (a blocking descriptor blocks every task while it waits).  Each
 * awaitable first tries its operation; only when the descriptor is not
 * ready does the task suspend until the loop's epoll reports it ready.
 * At most one task may wait to read and one to write on a descriptor at
 * a time; another that has to wait fails with -EBUSY.  Do not close a
 * descriptor while a task waits on it.
 *
 * Errors are negative codes (-errno): a closed or invalid descriptor
 * fails the await with -EBADF, NULL pointers with ASYNC_EINVAL, a
 * timeout with ASYNC_ETIMEDOUT.  Writes never raise SIGPIPE: a closed
 * peer fails them with -EPIPE.  Every awaitable is cancellation-safe: a
 * cancelled await stops waiting for the descriptor (and its timer)
 * before it fails with ASYNC_ECANCELED.  As everywhere, cancellation
 * takes effect only at an await that suspends.
 */
#ifndef ASYNC_API_IO_H
#define ASYNC_API_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A buffered reader over a descriptor, like asyncio's StreamReader: the
 * caller provides the buffer.  Fields are private. */
typedef struct async_reader {
    int fd;
    char *buf;
    size_t cap;   /* size of buf */
    size_t start; /* buffered data is buf[start..end) */
    size_t end;
    int eof; /* the descriptor reported end of file */
} async_reader;

#ifdef __ASYNCC__

/* Reads up to `n` bytes from `fd` into `buf`; evaluates to the number
 * read, 0 at end of file. */
async ssize_t async_read(int fd, void *buf, size_t n);

/* Writes the whole of buf[0..n) to `fd`, in as many writes as it takes;
 * evaluates to n.  When it fails or is cancelled part way, the bytes
 * already written are lost to the caller: use async_write_counted. */
async ssize_t async_write(int fd, const void *buf, size_t n);

/* async_write that also stores in `*written` (which must not be NULL)
 * how many bytes have gone out so far, kept up to date after every
 * write, so it is exact after a failure or a cancellation too. */
async ssize_t async_write_counted(int fd, const void *buf, size_t n,
                                  size_t *written);

/* recv(2) and send(2) with flags: async_recv reads up to `n` bytes
 * (0 at end of stream); async_send sends all `n` (MSG_NOSIGNAL is
 * added). */
async ssize_t async_recv(int fd, void *buf, size_t n, int flags);
async ssize_t async_send(int fd, const void *buf, size_t n, int flags);

/* Accepts a connection on listening socket `listen_fd`; evaluates to
 * the new descriptor, non-blocking and close-on-exec. */
async int async_accept(int listen_fd);

/* Connects socket `fd` (made non-blocking) to `addr`; evaluates to 0.
 * Fails with ASYNC_ETIMEDOUT when not connected within
 * `timeout_seconds` (0 or less, or NaN: no limit), or with the
 * connection's error (-ECONNREFUSED...).  The caller still owns `fd`
 * and closes it on failure. */
async int async_connect(int fd, const struct sockaddr *addr, socklen_t len,
                        double timeout_seconds);

/* Opens a TCP connection to `host` (a numeric IPv4 or IPv6 address, or
 * a name, which is resolved synchronously) and `port`, trying each
 * address in turn within `timeout_seconds` overall (0 or less: no
 * limit); evaluates to the connected descriptor, non-blocking and
 * close-on-exec.  Like asyncio.open_connection. */
async int async_tcp_connect(const char *host, int port, double timeout_seconds);

/* Reads one line from `r` into line[0..size) like fgets: up to and
 * including '\n', NUL-terminated; evaluates to its length (0 at end of
 * file).  A line longer than size - 1 comes in pieces, all but the last
 * without '\n'; the last line of the input may lack one.  size >= 2.
 * One task at a time may read from a reader.  When the await fails or
 * is cancelled part way, the bytes it had taken from the reader are in
 * `line` but lost to the next read. */
async ssize_t async_read_line(async_reader *r, char *line, size_t size);

/* Reads exactly `n` bytes from `r` into `buf`; evaluates to n, or to
 * fewer only when end of file came first. */
async ssize_t async_read_exactly(async_reader *r, void *buf, size_t n);

/* Runs fn(arg) on one of asyncrt's worker threads and evaluates to its
 * result, while the loop runs other tasks (asyncio.to_thread).  `fn`
 * must not call asyncrt.  Cancelled before a worker has taken it, the
 * call never runs; once running it cannot be stopped: the await then
 * waits for fn to return, and fails with ASYNC_ECANCELED. */
async void *async_to_thread(void *(*fn)(void *), void *arg);

/* pread(2) of up to `n` bytes at `offset` of `fd` (a regular file: it
 * may block, so it runs on a worker thread); evaluates to the number
 * read, 0 at end of file. */
async ssize_t async_file_read(int fd, void *buf, size_t n, off_t offset);

#endif /* __ASYNCC__ */

/* Makes `fd` non-blocking.  Returns 0 or -errno. */
int async_fd_nonblocking(int fd);

/* Sets up `r` to read `fd` through buf[0..cap).  Returns 0, or
 * ASYNC_EINVAL for a NULL pointer or cap 0. */
int async_reader_init(async_reader *r, int fd, void *buf, size_t cap);

/* A listening TCP socket bound to `host` (a numeric IPv4 or IPv6
 * address or a name; NULL means every IPv4 address) and `port` (0: an
 * ephemeral port, see async_local_port), with SO_REUSEADDR, non-blocking
 * and close-on-exec.  Returns the descriptor, or -errno (ASYNC_EINVAL
 * for a bad port, -EADDRNOTAVAIL when `host` does not resolve). */
int async_tcp_listen(const char *host, int port, int backlog);

/* The local port that socket `fd` is bound to, or -errno. */
int async_local_port(int fd);

/* The number of worker threads async_to_thread uses: ASYNCRT_THREADS
 * from the environment (1 to 256) when set, else 4.  They start at the
 * first async_to_thread and are joined at process exit. */
int async_thread_count(void);

/* ------------------------------------------------------------------ */
/* Generated-code interface: frames of the awaitables above            */
/* ------------------------------------------------------------------ */

/* Interest in a descriptor, embedded in the frame that waits.  Private
 * to asyncrt. */
typedef struct async__watcher {
    int fd;
    uint8_t events;   /* ASYNC__IO_IN | ASYNC__IO_OUT */
    uint8_t ready;    /* set when the loop saw the descriptor ready */
    uint8_t active;   /* registered with the loop */
    async_task *task; /* woken when ready, unless on_ready is set */
    void (*on_ready)(struct async__watcher *w);
} async__watcher;

enum { ASYNC__IO_IN = 1, ASYNC__IO_OUT = 2 };

/* One transfer (read, write, recv, send), shared by their frames. */
typedef struct async__io_op {
    int fd;
    int flags;        /* for recv and send */
    uint8_t kind;     /* which system call */
    uint8_t all;      /* transfer all n bytes */
    char *buf;        /* read into, or written from */
    size_t n;         /* bytes asked for */
    size_t done;      /* bytes transferred so far */
    size_t *progress; /* async_write_counted's `written`, or NULL */
    async__watcher w;
} async__io_op;

struct async_read__frame {
    int _state;
    async__io_op op;
    ssize_t _ret;
};
void async_read__init(struct async_read__frame *f, int fd, void *buf, size_t n);
int async_read__resume(void *frame);

struct async_write__frame {
    int _state;
    async__io_op op;
    ssize_t _ret;
};
void async_write__init(struct async_write__frame *f, int fd, const void *buf,
                       size_t n);
int async_write__resume(void *frame);

struct async_write_counted__frame {
    int _state;
    async__io_op op;
    ssize_t _ret;
};
void async_write_counted__init(struct async_write_counted__frame *f, int fd,
                               const void *buf, size_t n, size_t *written);
int async_write_counted__resume(void *frame);

struct async_recv__frame {
    int _state;
    async__io_op op;
    ssize_t _ret;
};
void async_recv__init(struct async_recv__frame *f, int fd, void *buf, size_t n,
                      int flags);
int async_recv__resume(void *frame);

struct async_send__frame {
    int _state;
    async__io_op op;
    ssize_t _ret;
};
void async_send__init(struct async_send__frame *f, int fd, const void *buf,
                      size_t n, int flags);
int async_send__resume(void *frame);

struct async_accept__frame {
    int _state;
    int fd;
    async__watcher w;
    int _ret;
};
void async_accept__init(struct async_accept__frame *f, int listen_fd);
int async_accept__resume(void *frame);

struct async_connect__frame {
    int _state;
    int fd;
    const struct sockaddr *addr;
    socklen_t len;
    double timeout;
    async__watcher w;
    async__timer timer;
    int _ret;
};
void async_connect__init(struct async_connect__frame *f, int fd,
                         const struct sockaddr *addr, socklen_t len,
                         double timeout_seconds);
int async_connect__resume(void *frame);

enum { ASYNC__TCP_MAX_ADDRS = 4 };

struct async_tcp_connect__frame {
    int _state;
    const char *host;
    int port;
    double timeout;
    uint64_t deadline_ns; /* 0: no limit */
    int n_addrs, i, fd, err;
    struct sockaddr_storage addrs[ASYNC__TCP_MAX_ADDRS];
    socklen_t lens[ASYNC__TCP_MAX_ADDRS];
    struct async_connect__frame conn;
    int _ret;
};
void async_tcp_connect__init(struct async_tcp_connect__frame *f,
                             const char *host, int port,
                             double timeout_seconds);
int async_tcp_connect__resume(void *frame);

struct async_read_line__frame {
    int _state;
    async_reader *r;
    char *line;
    size_t size;
    size_t len;
    async__io_op op;
    ssize_t _ret;
};
void async_read_line__init(struct async_read_line__frame *f, async_reader *r,
                           char *line, size_t size);
int async_read_line__resume(void *frame);

struct async_read_exactly__frame {
    int _state;
    async_reader *r;
    char *buf;
    size_t n;
    size_t len;
    async__io_op op;
    ssize_t _ret;
};
void async_read_exactly__init(struct async_read_exactly__frame *f,
                              async_reader *r, void *buf, size_t n);
int async_read_exactly__resume(void *frame);

/* A call for a worker thread, embedded in the awaiting frame. */
typedef struct async__work {
    void *(*fn)(void *);
    void *arg;
    void *result;
    struct async__work *next;   /* in the pool's queue or a done list */
    struct async__work **prev;  /* the link pointing here, while queued */
    struct async__notify *home; /* the loop thread to tell when done */
    async_task *task;           /* the awaiting task */
    int state;                  /* private: queued, running, done */
    int collected;              /* the loop has seen it done */
} async__work;

struct async_to_thread__frame {
    int _state;
    int cancelled; /* cancelled while fn was running */
    async__work work;
    void *_ret;
};
void async_to_thread__init(struct async_to_thread__frame *f,
                           void *(*fn)(void *), void *arg);
int async_to_thread__resume(void *frame);

struct async_file_read__frame {
    int _state;
    int fd;
    void *buf;
    size_t n;
    off_t offset;
    ssize_t got; /* pread's result, or -errno */
    struct async_to_thread__frame call;
    ssize_t _ret;
};
void async_file_read__init(struct async_file_read__frame *f, int fd, void *buf,
                           size_t n, off_t offset);
int async_file_read__resume(void *frame);

#ifdef __cplusplus
}
#endif

#endif /* ASYNC_API_IO_H */
