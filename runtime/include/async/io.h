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
 * ready does the task suspend until the loop's poller (io_uring or
 * epoll: async_backend_name) reports it ready.
 * At most one task may wait to read and one to write on a descriptor at
 * a time; another that has to wait fails with -EBUSY.  Do not close a
 * descriptor while a task waits on it, unless async_fd_closing(fd) ends
 * those waits first.
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

#include "net.h"  /* async_tcp_connect resolves names */
#include "sync.h" /* servers keep a wait list */

#ifdef __cplusplus
extern "C" {
#endif

/* A buffered reader over a descriptor, like asyncio's StreamReader: the
 * caller provides the buffer, whose size is the reader's capacity.
 * Fields are private. */
typedef struct async_reader {
    int fd;
    char *buf;
    size_t cap;   /* size of buf */
    size_t start; /* buffered data is buf[start..end) */
    size_t end;
    size_t scanned; /* buf[start..start + scanned) holds no '\n' */
    /* An async_read_exactly of more than cap bytes that failed part way:
     * its buffer and count, and how many bytes it delivered there. */
    const void *partial_buf;
    size_t partial_n;
    size_t partial;
    int eof;  /* the descriptor reported end of file */
    int mode; /* how to read fd: ASYNC__READER_* (runtime/src/io.h) */
} async_reader;

/* async_tcp_connect_with's options.  A zeroed struct (or NULL) gives the
 * defaults. */
typedef struct async_tcp_options {
    /* Seconds between the starts of two connection attempts (RFC 8305's
     * Connection Attempt Delay, asyncio's happy_eyeballs_delay).  0: the
     * default, ASYNC_HAPPY_EYEBALLS_DELAY; negative or infinite: no
     * staggering, each address is tried once the one before has failed
     * (asyncio's happy_eyeballs_delay=None); NaN: ASYNC_EINVAL. */
    double happy_eyeballs_delay;
    /* AF_UNSPEC (0: both), AF_INET or AF_INET6: the addresses tried.
     * Anything else: ASYNC_EINVAL. */
    int family;
} async_tcp_options;

/* The default Connection Attempt Delay, in seconds (RFC 8305's
 * recommended 250 ms). */
#define ASYNC_HAPPY_EYEBALLS_DELAY 0.25

/* The most addresses of a name that one async_tcp_connect tries (the
 * first in the order async_tcp_connect_with describes); the rest are
 * ignored. */
enum { ASYNC_TCP_MAX_ADDRS = 8 };

/* Directions for async_wait_fd. */
enum { ASYNC_READABLE = 1, ASYNC_WRITABLE = 2 };

#ifdef __ASYNCC__

/* Waits until `fd` is readable (async_wait_readable) or writable
 * (async_wait_writable), as the loop's poller reports it, and evaluates
 * to 0; asyncio's loop.add_reader/add_writer, libuv's uv_poll_t.  For
 * the descriptors of the C libraries you already use (libpq, OpenSSL,
 * libcurl...): wait for the direction the library asks for, then call
 * it again.  `fd` may be any descriptor, blocking or not, opened by
 * anyone; the wait does not read or write it.
 *
 * Level semantics, as poll(2): a descriptor that is ready already
 * completes the await when the loop next polls (the task always
 * suspends once).  "Readable" includes end of file, a hang-up and a
 * pending error, so that the call that follows reports them; a
 * descriptor that cannot be polled because it never blocks (a regular
 * file, a directory, /dev/null) is ready at once, without suspending.
 *
 * One task at a time may wait per descriptor and direction (across
 * these waits and the I/O awaitables of this header): a reader and a
 * writer may wait on one descriptor at once, a second reader fails
 * with -EBUSY.  The descriptor is free again as soon as the await ends.
 * Do not close it while a task waits on it (that wait would never end)
 * unless async_fd_closing(fd) is called first; closing it between waits
 * is fine, even when the number comes back as another file.
 *
 * Errors: -EBADF (not an open descriptor), -EBUSY, -ENOMEM;
 * ASYNC_ECANCELED when the task is cancelled while waiting (the
 * descriptor is no longer watched when the await fails).  For a
 * deadline, await it through async_wait_for(..., seconds) or inside
 * async_timeout: ASYNC_ETIMEDOUT, with the descriptor no longer
 * watched. */
async int async_wait_readable(int fd);
async int async_wait_writable(int fd);

/* Waits until `fd` is ready in either of the directions `events` asks
 * for (ASYNC_READABLE, ASYNC_WRITABLE or both: libcurl's CURL_POLL_INOUT,
 * PQflush's "readable or writable") and evaluates to the directions
 * found ready (one or both bits), as uv_poll_t does.  The same rules as
 * above: level semantics, one waiter per descriptor and direction (both
 * directions asked count), ready at once for a descriptor that cannot
 * block, -EBADF, -EBUSY, ASYNC_ECANCELED; ASYNC_EINVAL when `events` is
 * 0 or has other bits. */
async int async_wait_fd(int fd, int events);

/* Reads up to `n` bytes from `fd` into `buf`; evaluates to the number
 * read, 0 at end of file.  A read that fails because it was cancelled
 * (or timed out) has taken nothing: what arrived waits for the next
 * read. */
async ssize_t async_read(int fd, void *buf, size_t n);

/* Writes the whole of buf[0..n) to `fd`, in as many writes as it takes;
 * evaluates to n.  When it fails or is cancelled part way, the bytes
 * already written are lost to the caller: use async_write_counted.
 * On a connection of async_serve on an io_uring loop, the bytes go out
 * by a request that the loop submits with its next wait, and the await ends
 * only once the kernel is done with `buf`: a cancellation (or a
 * timeout) cancels the request, and the await fails when it has ended,
 * which may be a loop pass after the cancellation. */
async ssize_t async_write(int fd, const void *buf, size_t n);

/* async_write that also stores in `*written` (which must not be NULL)
 * how many bytes have gone out so far, kept up to date after every
 * write, so it is exact after a failure or a cancellation too. */
async ssize_t async_write_counted(int fd, const void *buf, size_t n,
                                  size_t *written);

/* recv(2) and send(2) with flags: async_recv reads up to `n` bytes
 * (0 at end of stream); async_send sends all `n` (MSG_NOSIGNAL is
 * added).  Cancelled, they behave as async_read and async_write do. */
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

/* Opens a TCP connection to `host` and `port` within `timeout_seconds`
 * overall (0 or less, or NaN: no limit), like asyncio.open_connection
 * with happy_eyeballs_delay=0.25; evaluates to the connected descriptor,
 * non-blocking and close-on-exec.  The same as async_tcp_connect_with
 * with NULL options: see there. */
async int async_tcp_connect(const char *host, int port, double timeout_seconds);

/* Opens a TCP connection to `host`:`port` with Happy Eyeballs (RFC 8305);
 * evaluates to the connected descriptor, non-blocking and close-on-exec.
 *
 * Names.  A numeric IPv4 or IPv6 address is used as it is.  Any other
 * name is resolved with async_getaddrinfo (async/net.h: on a worker
 * thread, the loop runs on), as SOCK_STREAM of opts->family.
 *
 * Order.  The addresses are interleaved by family: the first IPv6
 * address, then the first IPv4 one, the second IPv6, the second IPv4...
 * (each family in getaddrinfo's order; when one family runs out, the
 * other's follow).  The first ASYNC_TCP_MAX_ADDRS of that order are
 * tried.
 *
 * Attempts.  The first address is tried at once.  Each further attempt
 * starts when happy_eyeballs_delay has passed since the previous one
 * started, or at once when an attempt fails (a refusal, an unreachable
 * network), whichever comes first; earlier attempts go on meanwhile.
 * The first attempt to connect wins: the others' sockets are closed
 * and its descriptor is the result.
 *
 * Errors.  ASYNC_EINVAL at once for a NULL host, a port outside
 * 0..65535 or bad options.  The resolver's failures (ASYNC_EAI_NONAME...,
 * async/net.h; a numeric address of the other family than opts->family:
 * ASYNC_EAI_NODATA), ASYNC_ENOMEM.  ASYNC_ETIMEDOUT when no attempt has
 * connected within `timeout_seconds` of the start of the await (name
 * resolution included; 0 or less, or NaN: no limit).  When every address
 * has failed: the failure of the first address that failed, unless it
 * said that the address cannot be reached from this host (-ENETUNREACH,
 * -EHOSTUNREACH, -ENETDOWN, -EADDRNOTAVAIL, -EAFNOSUPPORT) and a later
 * one failed otherwise (-ECONNREFUSED, -ETIMEDOUT from the kernel...),
 * whose failure is then reported: the first of those.
 *
 * Cancellation: during resolution, as async_getaddrinfo's (at once; the
 * request is left to its worker); during the attempts, at once: every
 * socket the await opened is closed, its timers stopped.  No descriptor
 * is left open on any failure.
 *
 * Memory: nothing is allocated but async_getaddrinfo's request for a
 * name; the addresses and the attempts live in the frame. */
async int async_tcp_connect_with(const char *host, int port,
                                 double timeout_seconds,
                                 const async_tcp_options *opts);

/* Reads one line from `r` into line[0..size) like fgets: up to and
 * including '\n', NUL-terminated; evaluates to its length, 0 at end of
 * file.  size >= 2, else ASYNC_EINVAL (also for a NULL r or line).  One
 * task at a time may read from a reader.
 *
 * Long lines come in pieces of P = min(size - 1, capacity of r) bytes:
 * every piece but the last has exactly P bytes and no '\n'; the last
 * ends with '\n'.  So a line longer than the reader's buffer is never
 * returned whole, even when `line` could hold it.
 *
 * End of file: the bytes after the last '\n' come as one last piece
 * without '\n' (in pieces of P if longer); after that every call
 * evaluates to 0.  Once the descriptor has reported end of file, the
 * reader does not read it again.
 *
 * Cancellation-safe, like asyncio's StreamReader.readuntil: a piece is
 * taken from the reader all at once, when the await completes.  When
 * the await fails (a read error, ASYNC_ECANCELED, ASYNC_ETIMEDOUT under
 * async_wait_for), nothing is taken and `line` is untouched: every byte
 * read so far stays in the reader, and the next read gets the whole
 * line. */
async ssize_t async_read_line(async_reader *r, char *line, size_t size);

/* Reads exactly `n` bytes from `r` into `buf`; evaluates to n, or to
 * fewer only when end of file came first (those bytes are taken and the
 * next read evaluates to 0).  n == 0 evaluates to 0 at once.  NULL r or
 * buf: ASYNC_EINVAL.
 *
 * n up to the reader's capacity: cancellation-safe like
 * async_read_line, all or nothing: the n bytes are taken from the
 * reader at once when the await completes.  When it fails or is
 * cancelled, nothing is taken and `buf` is untouched.
 *
 * n above the capacity: the bytes cannot all wait in the reader, so
 * they are moved into `buf` as they arrive.  When such an await fails
 * or is cancelled part way, the k bytes already delivered are in
 * buf[0..k) and taken from the reader, which remembers k (see
 * async_reader_partial): the next async_read_exactly on `r` with the
 * same `buf` and `n` continues at buf + k and evaluates to the total,
 * n (fewer at end of file), so retrying the same call after a timeout
 * loses nothing.  Starting any other read on `r` (async_read_line, or
 * async_read_exactly with another buf or n) forgets k: the next read
 * then starts after those bytes. */
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

/* pwrite(2) of all `n` bytes of `buf` at `offset` of `fd` (a regular
 * file), on a worker thread, looping over short writes; evaluates to n.
 * Fails with -errno (ENOSPC, EBADF...; the bytes before the failure are
 * written) or ASYNC_EINVAL for a NULL buffer.  Cancelled once a worker
 * has started it, it waits for the write to end, like async_to_thread. */
async ssize_t async_file_write(int fd, const void *buf, size_t n, off_t offset);

#endif /* __ASYNCC__ */

/* Tells the loop that `fd` is about to be closed (call it just before
 * close(2)): every await of this thread's loop waiting on `fd` -- the
 * readiness waits and the I/O awaitables of this header -- ends, failing
 * with -EBADF when its task next runs, and the loop forgets what it knew
 * of the descriptor, so the number may come back as another file at
 * once.  For a C library that closes its own sockets while tasks may
 * wait on them (libcurl's CURLOPT_CLOSESOCKETFUNCTION, a connection
 * torn down by another task); asyncio's remove_reader/remove_writer
 * before closing.  Returns the number of awaits ended (0 when nothing
 * waited), or ASYNC_EINVAL for a negative fd.  Not for the connections
 * of async_serve, which the server closes itself. */
int async_fd_closing(int fd);

/* The kernel mechanism the loop sleeps in: "io_uring" or "epoll".  Each
 * async_run chooses when it starts: io_uring when the kernel supports
 * what the runtime needs (multishot poll, Linux 5.13) and allows it
 * (the sysctl kernel.io_uring_disabled, seccomp), else epoll.  The
 * environment variable ASYNCRT_BACKEND overrides the choice: "epoll" or
 * "io_uring" (or "auto", or empty: the default).  An async_run that is
 * told io_uring where it is unavailable, or a value it does not know,
 * does not start: it prints why on stderr, and evaluates to -1 with
 * errno set to the reason (EPERM, ENOSYS... for io_uring, EINVAL for an
 * unknown value).  Called inside async_run, returns the backend of this
 * thread's running loop (a loop that chose io_uring by itself and then
 * cannot create its ring, out of memory or descriptors, runs on
 * epoll); outside, the one async_run would choose now, or NULL when it
 * would not start.  Never fails otherwise. */
const char *async_backend_name(void);

/* Makes `fd` non-blocking.  Returns 0 or -errno. */
int async_fd_nonblocking(int fd);

/* Sets up `r` to read `fd` through buf[0..cap): cap is the reader's
 * capacity, the longest line piece and the largest all-or-nothing
 * async_read_exactly.  Returns 0, or ASYNC_EINVAL for a NULL pointer or
 * cap 0. */
int async_reader_init(async_reader *r, int fd, void *buf, size_t cap);

/* Sets up `r` like async_reader_init, for a descriptor of any kind in
 * either blocking mode, whose flags it leaves as they are (they may be
 * shared with other processes: a terminal, a pipe from the shell):
 * async_read_line and async_read_exactly then work on a pipe, a socket,
 * a terminal, a regular file, /dev/null or another character device,
 * blocking or not.  How each is read:
 * - non-blocking descriptors: as async_reader_init does;
 * - regular files and block devices (which cannot be polled, and which
 *   never make a read wait for another process): read directly, in the
 *   loop's thread, from the descriptor's current offset, which the
 *   reads advance as read(2) does;
 * - other blocking descriptors (pipes, sockets, terminals): the task
 *   waits in the loop's poller until the descriptor is readable, and
 *   only then reads, once, so the loop never blocks and other tasks run
 *   meanwhile; a device that cannot be polled (/dev/null) is then read
 *   directly.  A read may still block if another process takes the
 *   input between the readiness and the read.
 * Each read asks for as much as fits in the buffer, so bytes after the
 * line (or count) returned stay in the reader, not in the descriptor.
 * Returns 0; ASYNC_EINVAL as async_reader_init; -errno when `fd` is not
 * an open descriptor (-EBADF). */
int async_reader_init_any(async_reader *r, int fd, void *buf, size_t cap);

/* async_reader_init_any on standard input (descriptor 0): lines from
 * stdin, whether it is a pipe, a file, /dev/null or a terminal,
 *     async_reader in;
 *     char buf[4096], line[1024];
 *     async_stdin_reader_init(&in, buf, sizeof buf);
 *     while (await(async_read_line(&in, line, sizeof line)) > 0) ...
 * without changing its flags (O_NONBLOCK stays as it was) or the
 * terminal's settings.  A terminal in its usual canonical mode makes a
 * line readable when Enter is pressed; Ctrl-D on an empty line is end
 * of file. */
int async_stdin_reader_init(async_reader *r, void *buf, size_t cap);

/* How many bytes an async_read_exactly of more than r's capacity had
 * delivered into its buffer when it failed or was cancelled: the count
 * that the next async_read_exactly with the same buffer and n continues
 * from.  0 when there is none (and for a NULL r). */
size_t async_reader_partial(const async_reader *r);

/* A listening TCP socket bound to `host` (a numeric IPv4 or IPv6
 * address or a name; NULL means every IPv4 address) and `port` (0: an
 * ephemeral port, see async_local_port), with SO_REUSEADDR, non-blocking
 * and close-on-exec.  Returns the descriptor, or -errno (ASYNC_EINVAL
 * for a bad port, -EADDRNOTAVAIL when `host` does not resolve). */
int async_tcp_listen(const char *host, int port, int backlog);

/*
 * A listening TCP socket like async_tcp_listen's, with SO_REUSEPORT as
 * well as SO_REUSEADDR: several such sockets, in this process or another
 * of the same user, may listen on the same host and port, and the
 * kernel spreads new connections across them (by a hash of the
 * client's address and port).  That is how a server runs on every loop
 * of async_run_loops (async/loops.h): each loop opens its own socket
 * and serves it, so no connection crosses between loops and nothing of
 * the server is shared:
 *
 *     async int serve_loop(int loop, void *arg) {
 *         int lfd = async_tcp_listen_shared(NULL, 8080, 128);
 *         ...
 *         await(async_serve(lfd, handle_client, arg));
 *     }
 *
 * async_serve, async_serve_with and a TLS server (async/tls.h: an
 * async_serve handler that makes a stream over its connection; one
 * context may serve the streams of every loop) work unchanged on each
 * loop, with per-loop limits: a connection limit of N allows N
 * connections per loop.  When a socket is closed, the connections
 * waiting in its backlog are reset, not handed to the others: close a
 * loop's socket only when the whole server stops.
 *
 * Port 0 gives each socket an ephemeral port of its own, so nothing is
 * shared.  To share an ephemeral port, open the first socket with port
 * 0, read its port with async_local_port, and open the others on that
 * port: in main() before async_run_loops, loop 0 then serving the first
 * socket (samples/http.c does so), or on loop 0, which hands the port
 * to the other loops (through an async_channel, say).
 *
 * Returns the descriptor, or -errno as async_tcp_listen: -EADDRINUSE
 * also when the port is held by a socket without SO_REUSEPORT, or by
 * another user's.
 */
int async_tcp_listen_shared(const char *host, int port, int backlog);

/* The local port that socket `fd` is bound to, or -errno. */
int async_local_port(int fd);

/*
 * Serving connections, like asyncio's start_server and
 * Server.serve_forever:
 *
 *     async void handle_client(int fd, void *arg) { ... }
 *     ...
 *     int lfd = async_tcp_listen(NULL, 8080, 128);
 *     await(async_serve(lfd, handle_client, ctx));
 *
 * async_serve(listen_fd, handler, arg) accepts connections on listening
 * socket `listen_fd` until it is cancelled, and runs
 * handler(fd, arg) -- an async function returning void -- for each one
 * as a task of its own, `fd` being the connection, non-blocking and
 * close-on-exec.  It makes `listen_fd` non-blocking.
 *
 * Ownership.  The server owns each connection's descriptor: it closes it
 * once the handler's task has finished (returned, failed or cancelled).
 * The handler must not close it, nor let anything use it after the
 * handler has returned; it may shutdown(2) it.  The caller keeps
 * `listen_fd`, which must stay open while the await runs: close it after
 * the await has ended.  The handler tasks belong to the await (no handle
 * is given out): it never ends while one of them is running.
 *
 * Handlers that fail.  A handler that fails with any code but
 * ASYNC_ECANCELED does not stop the server (as in asyncio, which logs
 * it): the server prints one line on stderr, "asyncrt: async_serve:
 * handler 'NAME' on connection fd N failed: MESSAGE (CODE)", and goes
 * on.  A cancelled handler is not a failure and prints nothing.
 *
 * Ending.  The await never completes with a value.  It ends only by
 * failing, always after every handler task has finished and its
 * descriptor has been closed:
 * - ASYNC_ECANCELED: the awaiting task was cancelled (async_cancel, the
 *   shutdown of async_shutdown_on_signals; async_wait_for turns it into
 *   ASYNC_ETIMEDOUT).  The server stops accepting, cancels every running
 *   handler (again on a further cancellation, for handlers that caught
 *   the first) and waits until all have finished.  A handler that keeps
 *   running despite cancellation keeps the await waiting.
 * - At once, before accepting anything: ASYNC_EINVAL when `handler` is
 *   NULL; -EBADF when `listen_fd` is not an open descriptor; -ENOTSOCK
 *   when it is not a socket; ASYNC_EINVAL when it is a socket that is
 *   not listening (listen(2) was not called).
 * - An accept(2) error that is not transient, or the loop failing to
 *   watch `listen_fd` (-EBUSY while another task awaits a connection on
 *   it): the server stops as on a cancellation, cancelling its
 *   handlers, and fails with that -errno.
 * Transient accept(2) errors keep it serving: a connection that died in
 * the backlog (ECONNABORTED, EPROTO, EINTR, EPERM, and the network
 * errors that Linux reports there: ENETDOWN, ENETUNREACH, EHOSTDOWN,
 * EHOSTUNREACH, ENONET, ENOPROTOOPT, EOPNOTSUPP) is skipped; running out
 * of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM) pauses
 * accepting for 0.1 seconds, or until a handler finishes and gives back
 * its descriptor, so the server does not spin meanwhile; the pending
 * connections wait in the backlog.  A connection for which no handler
 * task can be allocated (out of memory) is closed at once, and the
 * server goes on.
 *
 * Limits (async_serve_limits below; async_serve uses the defaults,
 * async_serve_with and async_server_set_limits others):
 * - Idle timeout, default ASYNC_SERVE_IDLE_TIMEOUT (300 seconds): a
 *   connection on which no transfer has made progress for that long has
 *   its handler cancelled, and so the connection closed once the
 *   handler has finished.  Progress is a read, write, recv or send
 *   awaitable of async/io.h (async_read_line and async_read_exactly
 *   too) that moves bytes on the connection or meets its end; it is
 *   counted from the accept.  A handler waiting for anything else (a
 *   sleep, a lock, a slow computation on a worker thread) is idle too:
 *   keep such waits shorter than the timeout, or turn it off.  A
 *   handler that catches the cancellation and stays idle is cancelled
 *   again after each further timeout.  The cancellation comes the
 *   timeout after the last progress (as precise as the loop's timers);
 *   transfers only note the time, so a busy connection costs a check
 *   per timeout, not a timer per transfer.  A server object counts the
 *   connections cancelled so (async_server_timed_out).
 * - Connection limit, default ASYNC_SERVE_MAX_CONNECTIONS (0: none but
 *   the process's descriptors): while that many handlers are running,
 *   accepting pauses (the socket is not watched); it resumes as soon as
 *   one finishes.  Connections that arrive meanwhile wait in the
 *   listening socket's backlog, fully connected, and are served in
 *   turn, rather than being accepted only to be closed: a client sees a
 *   delay, not an error, and the backlog (listen(2)) bounds how many
 *   wait.  Past the backlog the kernel drops new handshakes and clients
 *   retry them.
 *
 * On an io_uring loop (async_backend_name), the kernel does the
 * server's transfers itself: a multishot accept takes connections as
 * they come (no accept(2) each; the few it took before accepting paused
 * wait in the server, accepted, and are served in turn), a multishot
 * receive puts the bytes that arrive on a connection into the loop's
 * buffers ahead of the handler's reads, and writes and sends go out
 * with the loop's next wait.  The awaitables of this header report the
 * same on both backends, with one rule more: a handler that has read
 * its connection with async_read, async_recv (flags 0) or a reader of
 * this header goes on reading it through them, not with read(2),
 * recv(2) or a library's own reads (OpenSSL's...), which would miss
 * what was received already.  Connections accepted and not yet handed
 * to a handler when the serve ends are closed.
 *
 * Memory: one small allocation per running handler besides its task,
 * both freed as soon as the handler finishes.  If async_run returns
 * while the await is still in progress (its task neither cancelled nor
 * waited for), the handler tasks are destroyed with the run, but their
 * connections stay open and their bookkeeping is lost: cancel the
 * serving task and wait for it first.
 */

/* The handler as compile mode passes it: asyncc turns the async function
 * named as async_serve's handler into a pointer to its spawner
 * (NAME__spawn), which starts NAME(fd, arg) as a new task and returns its
 * handle, or NULL when out of memory. */
typedef async_task *(*async_conn_spawner)(int fd, void *arg);

/* A server object (see async_server_init below).  Fields are private. */
typedef struct async_server async_server;

/* The per-connection limits of a server (see "Limits" above).
 * idle_timeout: seconds, 0 or +infinity for none, negative or NaN is
 * ASYNC_EINVAL.  max_connections: the most handlers running at once, 0
 * for no limit. */
typedef struct async_serve_limits {
    double idle_timeout;
    size_t max_connections;
} async_serve_limits;

#define ASYNC_SERVE_IDLE_TIMEOUT 300.0
#define ASYNC_SERVE_MAX_CONNECTIONS 0
/* An initialiser with the defaults:
 *     async_serve_limits lim = ASYNC_SERVE_LIMITS_DEFAULT; */
#define ASYNC_SERVE_LIMITS_DEFAULT                                             \
    { ASYNC_SERVE_IDLE_TIMEOUT, ASYNC_SERVE_MAX_CONNECTIONS }

#ifdef __ASYNCC__
/* `handler` is declared `async`: a handler parameter, whose argument is
 * the name of an async function defined in the same file. */
async int async_serve(int listen_fd, async void (*handler)(int fd, void *arg),
                      void *arg);

/* async_serve with the limits in `*limits` (NULL: the defaults), copied
 * when the call is made, so `limits` may point to a temporary.  Invalid
 * limits fail the await at once with ASYNC_EINVAL, before accepting
 * anything. */
async int async_serve_with(int listen_fd,
                           async void (*handler)(int fd, void *arg), void *arg,
                           const async_serve_limits *limits);
#endif /* __ASYNCC__ */

/*
 * A server object, like asyncio's Server: serving that can be stopped
 * with async_server_close and waited for with async_server_wait_closed
 * (asyncio's server.close() and `await server.wait_closed()`), while
 * the handlers it started run on.
 *
 *     async_server srv;
 *     async_server_init(&srv, lfd);
 *     async_task *s = async_spawn(serve(&srv));  -- awaits
 *                                   async_server_serve(&srv, handle, ctx)
 *     ...
 *     async_server_close(&srv);              -- no more connections
 *     await(async_server_wait_closed(&srv)); -- every handler has ended
 *     close(lfd);
 *
 * async_server_serve accepts and runs handlers exactly as async_serve
 * does (the same handler, ownership of the connections, transient
 * accept errors, pauses, the same stderr line for a handler that fails,
 * with "async_server_serve" for "async_serve"), with these differences:
 * - The handlers belong to the server object, not to the await: the
 *   await ends without waiting for them, and they are never cancelled
 *   by the server (cancel the tasks of the run, or let async_run's end
 *   cancel them).  The object must stay in place and alive while
 *   handlers run: until async_server_wait_closed has completed, or
 *   async_server_running is 0.
 * - async_server_close makes the await complete with 0 (when the serving
 *   task next runs; handlers keep running).
 * - Cancelling the awaiting task closes the server (as asyncio's
 *   serve_forever does) and the await fails with ASYNC_ECANCELED at
 *   once; the handlers keep running.
 * - An accept(2) error that is not transient, or the loop failing to
 *   watch the socket, closes the server and fails the await with that
 *   -errno; the handlers keep running.
 * - Errors at once: ASYNC_EINVAL (NULL server or handler, or the server
 *   is closed already), -EBUSY (another task is serving it), and those
 *   of async_serve for the listening socket.
 * The listening descriptor stays the caller's: async_server_close stops
 * watching it at once and never closes it; close it after the close
 * (not while the serve has not ended unless close was called).  A
 * server is served by one await at a time; it may be served again after
 * an await failed for another reason than the close, never after the
 * close.
 */

/* Initialises `srv` for listening socket `listen_fd`: open, nothing
 * running.  Returns 0, or ASYNC_EINVAL for NULL or a negative fd. */
int async_server_init(async_server *srv, int listen_fd);

/* Stops `srv` accepting: the serving await, if any, stops watching the
 * listening socket now and completes with 0 when its task next runs;
 * later serves fail with ASYNC_EINVAL.  Running handlers are not
 * cancelled.  When none is running, the tasks in
 * async_server_wait_closed are woken.  Closing again does nothing.
 * Returns 0, or ASYNC_EINVAL for NULL. */
int async_server_close(async_server *srv);

/* Sets the limits of `srv` (NULL `limits`: the defaults, which
 * async_server_init sets).  The idle timeout applies to the connections
 * accepted afterwards; the connection limit at once (a server paused at
 * the old limit accepts again if the new one allows).  Returns 0, or
 * ASYNC_EINVAL for a NULL `srv` or invalid limits (then nothing
 * changes). */
int async_server_set_limits(async_server *srv,
                            const async_serve_limits *limits);

/* How many connections of `srv` had their handler cancelled by the idle
 * timeout (counted once per connection and timeout); 0 for NULL. */
uint64_t async_server_timed_out(const async_server *srv);

/* The number of handlers of `srv` running (started, not finished); 0
 * for NULL. */
size_t async_server_running(const async_server *srv);

/* 1 once async_server_close was called, 0 before, ASYNC_EINVAL for
 * NULL. */
int async_server_is_closed(const async_server *srv);

#ifdef __ASYNCC__
/* Serves connections on the server's socket until async_server_close;
 * evaluates to 0 then.  See above for the rest. */
async int async_server_serve(async_server *srv,
                             async void (*handler)(int fd, void *arg),
                             void *arg);

/* Waits until `srv` is closed and every handler it started has finished
 * (asyncio 3.12's Server.wait_closed); evaluates to 0, at once when that
 * is so already.  Errors: ASYNC_EINVAL (NULL), ASYNC_ECANCELED (the wait
 * ends; the server is not affected). */
async int async_server_wait_closed(async_server *srv);
#endif /* __ASYNCC__ */

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

struct async_wait_readable__frame {
    int _state;
    async__watcher w;
    int _ret;
};
void async_wait_readable__init(struct async_wait_readable__frame *f, int fd);
int async_wait_readable__resume(void *frame);

struct async_wait_writable__frame {
    int _state;
    async__watcher w;
    int _ret;
};
void async_wait_writable__init(struct async_wait_writable__frame *f, int fd);
int async_wait_writable__resume(void *frame);

struct async_wait_fd__frame {
    int _state;
    int events;
    async__watcher in, out;
    int _ret;
};
void async_wait_fd__init(struct async_wait_fd__frame *f, int fd, int events);
int async_wait_fd__resume(void *frame);

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
    int res;        /* io_uring: the result of the send in flight */
    uint8_t uring;  /* io_uring: 1 a send in flight, 2 its result came */
    uint8_t cancel; /* io_uring: its cancellation was asked for */
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

/* An IPv4 or IPv6 socket address, without sockaddr_storage's 128
 * bytes: room for a struct sockaddr_in6 (tcp.c checks it). */
typedef union async__tcp_addr {
    struct sockaddr sa;
    unsigned char bytes[28];
    uint32_t align;
} async__tcp_addr;

/* One address of async_tcp_connect and its attempt. */
typedef struct async__tcp_attempt {
    async__tcp_addr addr;
    socklen_t len;
    int fd;           /* the socket while its attempt runs, else -1 */
    async__watcher w; /* fd's writability: the handshake's end */
} async__tcp_attempt;

/* What both connect frames hold.  Private to asyncrt. */
typedef struct async__tcp_connect {
    const char *host;
    int port;
    int family;
    double timeout;
    double delay;  /* between attempts' starts; < 0: none */
    int n_addrs;   /* att[0..n_addrs) in the order tried */
    int next;      /* the next address to try */
    int running;   /* attempts in progress */
    int err;       /* the failure to report when all fail, or 0 */
    uint8_t timed; /* `deadline` was armed */
    uint8_t stagger_armed;
    async__timer deadline; /* the overall timeout */
    async__timer stagger;  /* the next attempt's start */
    struct async_getaddrinfo__frame resolve;
    struct addrinfo *res; /* resolve's list, while it runs */
    async__tcp_attempt att[ASYNC_TCP_MAX_ADDRS];
} async__tcp_connect;

struct async_tcp_connect__frame {
    int _state;
    async__tcp_connect c;
    int _ret;
};
void async_tcp_connect__init(struct async_tcp_connect__frame *f,
                             const char *host, int port,
                             double timeout_seconds);
int async_tcp_connect__resume(void *frame);

struct async_tcp_connect_with__frame {
    int _state;
    async__tcp_connect c;
    int _ret;
};
void async_tcp_connect_with__init(struct async_tcp_connect_with__frame *f,
                                  const char *host, int port,
                                  double timeout_seconds,
                                  const async_tcp_options *opts);
int async_tcp_connect_with__resume(void *frame);

/* One running handler of a server.  Private to asyncrt. */
typedef struct async__serve_conn async__serve_conn;
typedef struct async__serve_core async__serve_core;

/* A server's handlers and state (async_server); async_serve keeps one
 * of its own in its frame.  Fields are private. */
struct async_server {
    int listen_fd;
    int closed;               /* async_server_close was called */
    async__serve_conn *conns; /* the running handlers */
    size_t running;           /* how many */
    async__serve_core *core;  /* the serve in progress, or NULL */
    async__wait_list closers; /* tasks in async_server_wait_closed */
    uint64_t accepted;        /* connections accepted */
    uint64_t dropped;         /* of those, closed for lack of memory */
    uint64_t failed;          /* handlers that failed (not cancelled) */
    uint64_t timed_out;       /* handlers cancelled for being idle */
    uint64_t idle_ns;         /* idle timeout, 0: none */
    size_t max_connections;   /* 0: no limit */
    int structured;           /* async_serve's own: ends with its handlers */
};

/* What a serving await keeps while it accepts. */
struct async__serve_core {
    async_server *srv;
    async_conn_spawner spawn;
    void *arg;
    async_task *self;   /* the serving task */
    async__watcher w;   /* listen_fd, while waiting for connections */
    async__timer pause; /* accepting paused: out of descriptors */
    int error;          /* the code to fail with once drained */
    int draining;       /* async_serve stopping: waiting for handlers */
    int full;           /* accepting paused at the connection limit */
};

struct async_serve__frame {
    int _state;
    async__serve_core core;
    async_server own; /* async_serve's server */
    int _ret;
};
void async_serve__init(struct async_serve__frame *f, int listen_fd,
                       async_conn_spawner spawn, void *arg);
int async_serve__resume(void *frame);

struct async_serve_with__frame {
    int _state;
    async__serve_core core;
    async_server own;
    int limits_error; /* invalid limits: fail at the first poll */
    int _ret;
};
void async_serve_with__init(struct async_serve_with__frame *f, int listen_fd,
                            async_conn_spawner spawn, void *arg,
                            const async_serve_limits *limits);
int async_serve_with__resume(void *frame);

struct async_server_serve__frame {
    int _state;
    async__serve_core core;
    int _ret;
};
void async_server_serve__init(struct async_server_serve__frame *f,
                              async_server *srv, async_conn_spawner spawn,
                              void *arg);
int async_server_serve__resume(void *frame);

struct async_server_wait_closed__frame {
    int _state;
    async_server *srv;
    async__sync_waiter waiter;
    int _ret;
};
void async_server_wait_closed__init(struct async_server_wait_closed__frame *f,
                                    async_server *srv);
int async_server_wait_closed__resume(void *frame);

struct async_read_line__frame {
    int _state;
    async_reader *r;
    char *line;
    size_t size;
    async__io_op op; /* a read into the reader's buffer */
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
    size_t len;      /* bytes in buf so far (n above the capacity) */
    async__io_op op; /* a read into the reader's buffer or into buf */
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
    int detached;               /* its await has ended without it */
    /* For a call that lives apart from its frame (async_getaddrinfo's):
     * frees it once it is detached and done, on whichever thread sees
     * that last; NULL for calls embedded in a frame. */
    void (*release)(struct async__work *w);
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

struct async_file_write__frame {
    int _state;
    int fd;
    const void *buf;
    size_t n;
    off_t offset;
    ssize_t done; /* bytes written, or -errno */
    struct async_to_thread__frame call;
    ssize_t _ret;
};
void async_file_write__init(struct async_file_write__frame *f, int fd,
                            const void *buf, size_t n, off_t offset);
int async_file_write__resume(void *frame);

#ifdef __cplusplus
}
#endif

#endif /* ASYNC_API_IO_H */
