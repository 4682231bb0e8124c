/*
 * test_io.c -- awaitables on descriptors: pipe and socketpair transfers
 * between tasks, partial writes of a large buffer through a small socket
 * buffer, end of file, -EBADF, cancellation of a waiting read (watcher
 * removed, no deadlock report), connect refused and timing out, TCP
 * listen/accept/connect on 127.0.0.1 and ::1, listening sockets that
 * share a port (SO_REUSEPORT), the line reader over
 * split writes, and one descriptor watched for reading and writing by
 * two tasks at once.  The buffered reader's cancellation safety: lines
 * and exact counts arriving in several writes with timeouts and
 * cancellations in between lose no byte; long lines come in pieces;
 * end of file in the middle of a line; an exact count above the
 * reader's capacity continues where a cancelled attempt stopped.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#define FRAMES_HAND_WRITTEN

#include "frames.h"
#include "internal.h"
#include "io.h"

/*
 * Tasks that await one runtime awaitable and return its result as int:
 *
 *     async int NAME(args...) { return (int)await(AWAITABLE(args...)); }
 *
 * SPAWN(t, NAME, AWAITABLE, args...) does what asyncc generates for
 * `t = async_spawn(NAME(args...))`, with the awaitable's frame set up
 * right away (the function has nothing to do before its await).
 */
#define DEFINE_WRAP(name, aw)                                                  \
    struct name##__frame {                                                     \
        int _state;                                                            \
        struct aw##__frame a;                                                  \
        int _ret;                                                              \
    };                                                                         \
    static int name##__resume(void *frame) {                                   \
        struct name##__frame *f = frame;                                       \
        int r;                                                                 \
                                                                               \
        if (f->_state < 0)                                                     \
            return ASYNC__READY;                                               \
        f->_state = 1;                                                         \
        if ((r = aw##__resume(&f->a)) == ASYNC__PENDING)                       \
            return r;                                                          \
        f->_state = -1;                                                        \
        if (r == ASYNC__READY)                                                 \
            f->_ret = (int)f->a._ret;                                          \
        return r;                                                              \
    }

#define SPAWN(t, name, aw, ...)                                                \
    do {                                                                       \
        struct name##__frame *f_;                                              \
        (t) = test_task_new(sizeof(struct name##__frame), name##__resume,      \
                            #name, offsetof(struct name##__frame, _ret),       \
                            sizeof(int), ASYNC__RESULT_SIGNED);                \
        assert_non_null(t);                                                    \
        f_ = async__task_frame(t);                                             \
        f_->_state = 0;                                                        \
        f_->_ret = 0;                                                          \
        aw##__init(&f_->a, __VA_ARGS__);                                       \
        async__task_start(t);                                                  \
    } while (0)

DEFINE_WRAP(do_read, async_read)
DEFINE_WRAP(do_write, async_write)
DEFINE_WRAP(do_write_counted, async_write_counted)
DEFINE_WRAP(do_recv, async_recv)
DEFINE_WRAP(do_send, async_send)
DEFINE_WRAP(do_accept, async_accept)
DEFINE_WRAP(do_connect, async_connect)
DEFINE_WRAP(do_tcp_connect, async_tcp_connect)
DEFINE_WRAP(do_read_exactly, async_read_exactly)

static int watchers_left;
/* What await(t[i]) gave, and t[i]'s error: the tasks themselves are
 * freed when async_run returns. */
static int res[8], err[8];

/* The root of most tests: cancels t[cancel] after cancel_after seconds
 * when cancel >= 0, joins every task in t[0..n), then counts the
 * watchers left. */
static async int supervise(async_task **t, int n, double cancel_after,
                           int cancel) {
    if (cancel >= 0) {
        await(async_sleep(cancel_after));
        async_cancel(t[cancel]);
    }
    for (int i = 0; i < n; i++) {
        int e;
        int v = (int)async_try(await(t[i]), &e);

        res[i] = e == 0 ? v : 0;
        err[i] = e;
    }
    watchers_left = async__io_busy(async__loop_io());
    return 0;
}

/* Runs the loop until every task in t[0..n) has finished; cancels
 * t[cancel] after `after` seconds when cancel >= 0.  Returns async__run's
 * code. */
static void supervise_reset(void) {
    watchers_left = -1;
    memset(res, 0, sizeof(res));
    memset(err, 0, sizeof(err));
}

static int run_tasks(async_task **t, int n, double after, int cancel) {
    supervise_reset();
    return async_run(supervise(t, n, after, cancel));
}

static void make_pipe(int p[2]) {
    assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
}

static void make_socketpair(int sv[2]) {
    assert_int_equal(
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv),
        0);
}

/*
 * async int write_later(int fd, const char **chunks, int n, double gap) {
 *     for (int i = 0; i < n; i++) {
 *         await(async_sleep(gap));
 *         await(async_write(fd, chunks[i], strlen(chunks[i])));
 *     }
 *     close(fd);
 *     return n;
 * }
 *
 * Hand-written: most tests spawn it from plain code, before the run (so
 * that it is in the loop with the tasks it feeds) or from a stage
 * function, and async_spawn needs an async caller.
 */
struct write_later__frame {
    int _state;
    int fd;
    const char **chunks;
    int n;
    double gap;
    int i;
    struct async_sleep__frame _a1;
    struct async_write__frame _a2;
    int _ret;
};

static int write_later__resume(void *frame) {
    struct write_later__frame *f = frame;
    int r;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    case 2:
        goto await2;
    default:
        return ASYNC__READY;
    }
    for (f->i = 0; f->i < f->n; f->i++) {
        async_sleep__init(&f->_a1, f->gap);
        f->_state = 1;
    await1:
        if ((r = async_sleep__resume(&f->_a1)) != ASYNC__READY)
            goto exit;
        async_write__init(&f->_a2, f->fd, f->chunks[f->i],
                          strlen(f->chunks[f->i]));
        f->_state = 2;
    await2:
        if ((r = async_write__resume(&f->_a2)) != ASYNC__READY)
            goto exit;
    }
    close(f->fd);
    f->_ret = f->n;
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

static async_task *spawn_write_later(int fd, const char **chunks, int n,
                                     double gap) {
    async_task *t =
        test_task_new(sizeof(struct write_later__frame), write_later__resume,
                      "write_later", offsetof(struct write_later__frame, _ret),
                      sizeof(int), ASYNC__RESULT_SIGNED);
    struct write_later__frame *f;

    assert_non_null(t);
    f = async__task_frame(t);
    f->_state = 0;
    f->fd = fd;
    f->chunks = chunks;
    f->n = n;
    f->gap = gap;
    async__task_start(t);
    return t;
}

/* A reader waits on an empty pipe; a writer fills it later. */
static void test_pipe_between_tasks(void **state) {
    static const char *chunks[] = {"hello"};
    char buf[64] = {0};
    async_task *t[2];
    int p[2];

    (void)state;
    make_pipe(p);
    SPAWN(t[0], do_read, async_read, p[0], buf, sizeof(buf));
    t[1] = spawn_write_later(p[1], chunks, 1, 0.01);
    assert_int_equal(run_tasks(t, 2, 0, -1), 0);
    assert_int_equal(res[0], 5);
    assert_int_equal(res[1], 1);
    assert_memory_equal(buf, "hello", 5);
    assert_int_equal(watchers_left, 0);
    close(p[0]);
}

/* recv and send with flags on a socketpair, several tasks on different
 * descriptors at once. */
static void test_socketpairs_send_recv(void **state) {
    char b1[16] = {0}, b2[16] = {0};
    async_task *t[4];
    int s1[2], s2[2];

    (void)state;
    make_socketpair(s1);
    make_socketpair(s2);
    SPAWN(t[0], do_recv, async_recv, s1[0], b1, sizeof(b1), 0);
    SPAWN(t[1], do_recv, async_recv, s2[0], b2, sizeof(b2), 0);
    SPAWN(t[2], do_send, async_send, s2[1], "two", 3, 0);
    SPAWN(t[3], do_send, async_send, s1[1], "one!", 4, 0);
    assert_int_equal(run_tasks(t, 4, 0, -1), 0);
    assert_int_equal(res[0], 4);
    assert_int_equal(res[1], 3);
    assert_string_equal(b1, "one!");
    assert_string_equal(b2, "two");
    close(s1[0]);
    close(s1[1]);
    close(s2[0]);
    close(s2[1]);
}

/* 4 MiB through a socket with a 4 KiB send buffer: many partial writes,
 * read back exactly by the buffered reader. */
static void test_partial_writes_complete(void **state) {
    enum { BIG = 4 << 20 };
    unsigned char *out = malloc(BIG), *in = calloc(1, BIG);
    char rbuf[4096];
    async_reader r;
    size_t written = 0;
    int small = 4096;
    async_task *t[2];
    int sv[2];

    (void)state;
    assert_non_null(out);
    assert_non_null(in);
    for (size_t i = 0; i < BIG; i++)
        out[i] = (unsigned char)(i * 7 + i / 251);
    make_socketpair(sv);
    assert_int_equal(
        setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
    assert_int_equal(async_reader_init(&r, sv[1], rbuf, sizeof(rbuf)), 0);
    SPAWN(t[0], do_write_counted, async_write_counted, sv[0], out, BIG,
          &written);
    SPAWN(t[1], do_read_exactly, async_read_exactly, &r, in, BIG);
    assert_int_equal(run_tasks(t, 2, 0, -1), 0);
    assert_int_equal(res[0], BIG);
    assert_int_equal(written, BIG);
    assert_int_equal(res[1], BIG);
    assert_memory_equal(in, out, BIG);
    close(sv[0]);
    close(sv[1]);
    free(out);
    free(in);
}

/* End of file: at once when the write end is closed already, and while
 * waiting when it is closed later. */
static void test_eof(void **state) {
    static const char *chunks[] = {""};
    char buf[8];
    async_task *t[2];
    int p[2];

    (void)state;
    make_pipe(p);
    close(p[1]);
    SPAWN(t[0], do_read, async_read, p[0], buf, sizeof(buf));
    assert_int_equal(run_tasks(t, 1, 0, -1), 0);
    assert_int_equal(res[0], 0);
    close(p[0]);

    make_pipe(p);
    SPAWN(t[0], do_read, async_read, p[0], buf, sizeof(buf));
    t[1] = spawn_write_later(p[1], chunks, 1, 0.01); /* then closes p[1] */
    assert_int_equal(run_tasks(t, 2, 0, -1), 0);
    assert_int_equal(res[0], 0);
    close(p[0]);
}

/* Bad descriptors and NULL pointers fail the await. */
static void test_bad_fd_and_null(void **state) {
    char buf[8];
    async_task *t[5];
    int p[2];

    (void)state;
    make_pipe(p);
    close(p[0]);
    close(p[1]);
    SPAWN(t[0], do_read, async_read, p[0], buf, sizeof(buf));
    SPAWN(t[1], do_write, async_write, p[1], "x", 1);
    SPAWN(t[2], do_accept, async_accept, -1);
    SPAWN(t[3], do_read, async_read, 0, NULL, 1);
    SPAWN(t[4], do_write_counted, async_write_counted, 1, "x", 1, NULL);
    assert_int_equal(run_tasks(t, 5, 0, -1), 0);
    assert_int_equal(err[0], -EBADF);
    assert_int_equal(err[1], -EBADF);
    assert_int_equal(err[2], -EBADF);
    assert_int_equal(err[3], ASYNC_EINVAL);
    assert_int_equal(err[4], ASYNC_EINVAL);
}

/* A write to a pipe whose reader is gone fails with -EPIPE, no signal. */
static void test_epipe(void **state) {
    async_task *t[1];
    int p[2];

    (void)state;
    make_pipe(p);
    close(p[0]);
    SPAWN(t[0], do_write, async_write, p[1], "x", 1);
    assert_int_equal(run_tasks(t, 1, 0, -1), 0);
    assert_int_equal(err[0], -EPIPE);
    close(p[1]);
}

/* A read waiting on an empty pipe is cancelled: it fails with
 * ASYNC_ECANCELED, its watcher is gone, and the loop does not report a
 * deadlock meanwhile.  The pipe then works for a new read. */
static void test_cancel_waiting_read(void **state) {
    static const char *chunks[] = {"after"};
    char buf[8] = {0};
    async_task *t[2];
    int p[2];

    (void)state;
    make_pipe(p);
    SPAWN(t[0], do_read, async_read, p[0], buf, sizeof(buf));
    assert_int_equal(run_tasks(t, 1, 0.02, 0), 0);
    assert_int_equal(err[0], ASYNC_ECANCELED);
    assert_int_equal(watchers_left, 0);

    SPAWN(t[0], do_read, async_read, p[0], buf, sizeof(buf));
    t[1] = spawn_write_later(p[1], chunks, 1, 0.01);
    assert_int_equal(run_tasks(t, 2, 0, -1), 0);
    assert_int_equal(res[0], 5);
    close(p[0]);
}

/* One socket: a task waits to read while another waits to write it
 * (its send buffer full); a second reader of the same socket gets
 * -EBUSY.  The first reader's data comes last, through a duplicate of
 * the other end. */
static void test_both_directions_one_fd(void **state) {
    static const char *chunks[] = {"z"};
    enum { BIG = 1 << 20 };
    char *out = calloc(1, BIG), *in = calloc(1, BIG);
    char small[8] = {0};
    char rbuf[4096];
    async_reader r;
    async_task *t[5];
    int sv[2];

    (void)state;
    assert_non_null(out);
    assert_non_null(in);
    memset(out, 'x', BIG);
    make_socketpair(sv);
    assert_int_equal(async_reader_init(&r, sv[1], rbuf, sizeof(rbuf)), 0);
    SPAWN(t[0], do_read, async_read, sv[0], small, sizeof(small));
    SPAWN(t[1], do_read, async_read, sv[0], small, sizeof(small));
    SPAWN(t[2], do_write, async_write, sv[0], out, BIG);
    SPAWN(t[3], do_read_exactly, async_read_exactly, &r, in, BIG);
    t[4] = spawn_write_later(dup(sv[1]), chunks, 1, 0.05);
    assert_int_equal(run_tasks(t, 5, 0, -1), 0);
    assert_int_equal(res[0], 1);
    assert_int_equal(err[1], -EBUSY);
    assert_int_equal(res[2], BIG);
    assert_int_equal(res[3], BIG);
    assert_memory_equal(in, out, BIG);
    assert_string_equal(small, "z");
    close(sv[0]);
    close(sv[1]);
    free(out);
    free(in);
}

static async int echo_once(int listen_fd) {
    char buf[64];
    int fd = (int)await(async_accept(listen_fd));
    ssize_t n = await(async_read(fd, buf, sizeof(buf)));

    await(async_write(fd, buf, (size_t)n));
    close(fd);
    return (int)n;
}

static async int ask(const char *host, int port, const char *msg, char *reply) {
    int fd = (int)await(async_tcp_connect(host, port, 5));
    ssize_t n;

    await(async_write(fd, msg, strlen(msg)));
    n = await(async_read(fd, reply, 63));
    close(fd);
    return (int)n;
}

/* An echo server's task and a client's task that sends "ping" to it,
 * joined by supervise. */
static async int round_trip(int lfd, const char *host, int port, char *reply) {
    async_task *t[2];

    t[0] = async_spawn(echo_once(lfd));
    assert_non_null(t[0]);
    t[1] = async_spawn(ask(host, port, "ping", reply));
    assert_non_null(t[1]);
    return await(supervise(t, 2, 0, -1));
}

static void tcp_round_trip(const char *host) {
    char reply[64] = {0};
    int lfd, port;

    lfd = async_tcp_listen(host, 0, 8);
    if (lfd < 0 && host[0] == ':') {
        skip(); /* no IPv6 on this machine */
        return;
    }
    assert_true(lfd >= 0);
    port = async_local_port(lfd);
    assert_true(port > 0);
    supervise_reset();
    assert_int_equal(async_run(round_trip(lfd, host, port, reply)), 0);
    assert_int_equal(err[1], 0);
    assert_int_equal(res[0], 4);
    assert_int_equal(res[1], 4);
    assert_string_equal(reply, "ping");
    assert_int_equal(fcntl(lfd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
    close(lfd);
}

static void test_tcp_ipv4(void **state) {
    (void)state;
    tcp_round_trip("127.0.0.1");
}

static void test_tcp_ipv6(void **state) {
    (void)state;
    tcp_round_trip("::1");
}

static void test_listen_errors(void **state) {
    (void)state;
    assert_int_equal(async_tcp_listen("127.0.0.1", 70000, 1), ASYNC_EINVAL);
    assert_int_equal(async_tcp_listen("not an address", 0, 1), -EADDRNOTAVAIL);
    assert_int_equal(async_local_port(-1), -EBADF);
}

/* Accepts every connection waiting on `lfd` (non-blocking); returns
 * how many there were. */
static int accept_all(int lfd) {
    int n = 0, fd;

    while ((fd = accept(lfd, NULL, NULL)) >= 0) {
        close(fd);
        n++;
    }
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    return n;
}

/* Two shared sockets on one port: both listen, the kernel spreads the
 * connections across them (each gets some of 64, unless the hash is
 * most unlucky: 2^-63), and a plain socket cannot take the port, nor a
 * shared one a port that a plain socket holds. */
static void test_listen_shared(void **state) {
    enum { CLIENTS = 64 };
    int a, b, port, plain, plain_port, clients[CLIENTS], got_a, got_b;
    struct sockaddr_in sin;

    (void)state;
    a = async_tcp_listen_shared("127.0.0.1", 0, CLIENTS);
    assert_true(a >= 0);
    port = async_local_port(a);
    assert_true(port > 0);
    b = async_tcp_listen_shared("127.0.0.1", port, CLIENTS);
    assert_true(b >= 0);
    assert_int_equal(async_local_port(b), port);
    assert_int_equal(fcntl(b, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
    assert_int_equal(fcntl(b, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    assert_int_equal(async_tcp_listen("127.0.0.1", port, 1), -EADDRINUSE);

    plain = async_tcp_listen("127.0.0.1", 0, 1);
    assert_true(plain >= 0);
    plain_port = async_local_port(plain);
    assert_int_equal(async_tcp_listen_shared("127.0.0.1", plain_port, 1),
                     -EADDRINUSE);
    close(plain);
    assert_int_equal(async_tcp_listen_shared("127.0.0.1", 70000, 1),
                     ASYNC_EINVAL);
    assert_int_equal(async_tcp_listen_shared("not an address", 0, 1),
                     -EADDRNOTAVAIL);

    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < CLIENTS; i++) {
        clients[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(clients[i] >= 0);
        /* Completes once the handshake is in a backlog. */
        assert_int_equal(
            connect(clients[i], (struct sockaddr *)&sin, sizeof sin), 0);
    }
    got_a = accept_all(a);
    got_b = accept_all(b);
    assert_int_equal(got_a + got_b, CLIENTS);
    assert_true(got_a > 0);
    assert_true(got_b > 0);
    for (int i = 0; i < CLIENTS; i++)
        close(clients[i]);
    close(a);
    close(b);
}

/* A port with no listener refuses at once. */
static void test_connect_refused(void **state) {
    async_task *t[1];
    int lfd = async_tcp_listen("127.0.0.1", 0, 1);
    int port = async_local_port(lfd);

    (void)state;
    close(lfd); /* nobody listens on `port` any more */
    SPAWN(t[0], do_tcp_connect, async_tcp_connect, "127.0.0.1", port, 1.0);
    assert_int_equal(run_tasks(t, 1, 0, -1), 0);
    assert_int_equal(err[0], -ECONNREFUSED);
}

/* A listener that never accepts, with its backlog filled by earlier
 * connections: the kernel drops further SYNs, so a connect hangs until
 * its timeout. */
static void test_connect_timeout(void **state) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int fillers[8], n_fill = 0;
    async_task *t[2];
    int lfd, sfd;
    double t0;

    (void)state;
    lfd = async_tcp_listen("127.0.0.1", 0, 0);
    assert_true(lfd >= 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&ss, &len), 0);
    for (; n_fill < 8; n_fill++) {
        fillers[n_fill] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        (void)connect(fillers[n_fill], (struct sockaddr *)&ss, len);
    }
    usleep(20000); /* let the handshakes of the fillers happen */
    sfd = socket(AF_INET, SOCK_STREAM, 0);
    SPAWN(t[0], do_connect, async_connect, sfd, (struct sockaddr *)&ss, len,
          0.15);
    SPAWN(t[1], do_tcp_connect, async_tcp_connect, "127.0.0.1",
          async_local_port(lfd), 0.1);
    t0 = async_time();
    assert_int_equal(run_tasks(t, 2, 0, -1), 0);
    assert_true(async_time() - t0 >= 0.14);
    assert_int_equal(err[0], ASYNC_ETIMEDOUT);
    assert_int_equal(err[1], ASYNC_ETIMEDOUT);
    assert_int_equal(watchers_left, 0);
    close(sfd);
    for (int i = 0; i < n_fill; i++)
        close(fillers[i]);
    close(lfd);
}

/* A connect that is cancelled stops its timer and its watcher. */
static void test_connect_cancel(void **state) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int fillers[8];
    async_task *t[1];
    int lfd, sfd;
    double t0;

    (void)state;
    lfd = async_tcp_listen("127.0.0.1", 0, 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&ss, &len), 0);
    for (int i = 0; i < 8; i++) {
        fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        (void)connect(fillers[i], (struct sockaddr *)&ss, len);
    }
    usleep(20000);
    sfd = socket(AF_INET, SOCK_STREAM, 0);
    SPAWN(t[0], do_connect, async_connect, sfd, (struct sockaddr *)&ss, len,
          10.0);
    t0 = async_time();
    assert_int_equal(run_tasks(t, 1, 0.02, 0), 0);
    assert_true(async_time() - t0 < 5);
    assert_int_equal(err[0], ASYNC_ECANCELED);
    assert_int_equal(watchers_left, 0);
    close(sfd);
    for (int i = 0; i < 8; i++)
        close(fillers[i]);
    close(lfd);
}

static async int read_lines(async_reader *r, char (*lines)[16], int max) {
    int n = 0;

    while (n < max && await(async_read_line(r, lines[n], 16)) > 0)
        n++;
    return n;
}

/* The reader's task and the writer's (write_later), joined by
 * supervise. */
static async int lines_and_writer(async_reader *r, char (*lines)[16], int max,
                                  int wfd, const char **chunks, int n_chunks) {
    async_task *t[2];

    t[0] = async_spawn(read_lines(r, lines, max));
    assert_non_null(t[0]);
    t[1] = spawn_write_later(wfd, chunks, n_chunks, 0.005);
    return await(supervise(t, 2, 0, -1));
}

/* Runs read_lines over a pipe that receives `chunks` (then end of file)
 * through a reader of capacity `cap`; returns the number of lines. */
static int read_lines_through(const char **chunks, int n_chunks, size_t cap,
                              char (*lines)[16], int max) {
    char rbuf[64];
    async_reader r;
    int p[2];

    assert_true(cap <= sizeof(rbuf));
    memset(lines, 0, sizeof(*lines) * (size_t)max);
    make_pipe(p);
    assert_int_equal(async_reader_init(&r, p[0], rbuf, cap), 0);
    supervise_reset();
    assert_int_equal(
        async_run(lines_and_writer(&r, lines, max, p[1], chunks, n_chunks)), 0);
    close(p[0]);
    return res[0];
}

/* Lines split across writes, a line longer than the caller's buffer, a
 * last line without '\n'.  Through a reader buffer larger than a line,
 * the long line comes in pieces of size - 1 bytes; through one smaller
 * than a line, in pieces of the buffer's capacity. */
static void test_read_lines_over_split_writes(void **state) {
    static const char *chunks[] = {"ab", "c\nde", "f\n\n0123456789abcdefgh\n",
                                   "tail"};
    char lines[10][16];
    char rbuf[1];
    async_reader r;

    (void)state;
    assert_int_equal(read_lines_through(chunks, 4, 64, lines, 10), 6);
    assert_string_equal(lines[0], "abc\n");
    assert_string_equal(lines[1], "def\n");
    assert_string_equal(lines[2], "\n");
    assert_string_equal(lines[3], "0123456789abcde");
    assert_string_equal(lines[4], "fgh\n");
    assert_string_equal(lines[5], "tail");

    assert_int_equal(read_lines_through(chunks, 4, 5, lines, 10), 8);
    assert_string_equal(lines[0], "abc\n");
    assert_string_equal(lines[1], "def\n");
    assert_string_equal(lines[2], "\n");
    assert_string_equal(lines[3], "01234");
    assert_string_equal(lines[4], "56789");
    assert_string_equal(lines[5], "abcde");
    assert_string_equal(lines[6], "fgh\n");
    assert_string_equal(lines[7], "tail");

    assert_int_equal(async_reader_init(NULL, 0, rbuf, 1), ASYNC_EINVAL);
    assert_int_equal(async_reader_init(&r, 0, NULL, 1), ASYNC_EINVAL);
    assert_int_equal(async_reader_init(&r, 0, rbuf, 0), ASYNC_EINVAL);
    assert_int_equal(async_reader_partial(NULL), 0);
}

/*
 * Reader scripts: steps run one after the other by the root, script.  A
 * read step runs its read as a child task, which the root awaits plainly
 * (R_AWAIT), under async_wait_for(..., SCRIPT_T) (R_TIMEOUT), or cancels
 * with async_cancel (R_CANCEL) once the read waits.  A read step's
 * `data` is written to the pipe while the read waits, and the root
 * waits until the read has taken it from the pipe before it goes on, so
 * a cancelled read has always taken those bytes.  After every step the
 * script records the reader's state.
 */
#define SCRIPT_T 0.06

enum { S_WRITE, S_CLOSE, S_LINE, S_EXACT };
enum { R_AWAIT, R_TIMEOUT, R_CANCEL };
enum { MAX_STEPS = 40, OUT_SIZE = 128, OUT_SLOTS = 4 };

struct step {
    int op;           /* S_* */
    int mode;         /* R_* for reads */
    const char *data; /* S_WRITE: written now; reads: written meanwhile */
    size_t n;         /* S_LINE: line size; S_EXACT: count */
    int slot;         /* reads: into out[slot], */
    char *dst;        /*   or into dst when not NULL */
};

/* Per step: the read's result and error, a copy of its buffer, and the
 * reader's buffered, scanned and partial counts afterwards.  out[]
 * starts filled with '#' so that a read that must not touch its buffer
 * can be checked. */
static ssize_t got[MAX_STEPS];
static char seen[MAX_STEPS][OUT_SIZE];
static int got_err[MAX_STEPS];
static size_t buffered[MAX_STEPS], scanned[MAX_STEPS], partial[MAX_STEPS];
static char out[OUT_SLOTS][OUT_SIZE];

/*
 * async int NAME##_within(args..., double secs) {
 *     return (int)await(async_wait_for(AWAITABLE(args...), secs));
 * }
 */
#define DEFINE_WITHIN(name, aw)                                                \
    struct name##__frame {                                                     \
        int _state;                                                            \
        struct {                                                               \
            async__wait_for w;                                                 \
            async__child t0;                                                   \
            struct aw##__frame c0;                                             \
        } s;                                                                   \
        int _ret;                                                              \
    };                                                                         \
    static int name##__resume(void *frame) {                                   \
        struct name##__frame *f = frame;                                       \
        int r;                                                                 \
                                                                               \
        if (f->_state < 0)                                                     \
            return ASYNC__READY;                                               \
        if (f->_state == 0)                                                    \
            async__wait_for_add(&f->s.w, &f->s.t0, aw##__resume, &f->s.c0,     \
                                #aw);                                          \
        f->_state = 1;                                                         \
        if ((r = async__wait_for_poll(&f->s.w)) == ASYNC__PENDING)             \
            return r;                                                          \
        f->_state = -1;                                                        \
        if (r == ASYNC__READY)                                                 \
            f->_ret = (int)f->s.c0._ret;                                       \
        return r;                                                              \
    }

#define SPAWN_WITHIN(t, name, aw, secs, ...)                                   \
    do {                                                                       \
        struct name##__frame *f_;                                              \
        (t) = test_task_new(sizeof(struct name##__frame), name##__resume,      \
                            #name, offsetof(struct name##__frame, _ret),       \
                            sizeof(int), ASYNC__RESULT_SIGNED);                \
        assert_non_null(t);                                                    \
        f_ = async__task_frame(t);                                             \
        f_->_state = 0;                                                        \
        f_->_ret = 0;                                                          \
        async__wait_for_init(&f_->s.w, (secs));                                \
        aw##__init(&f_->s.c0, __VA_ARGS__);                                    \
        async__task_start(t);                                                  \
    } while (0)

DEFINE_WRAP(do_read_line, async_read_line)
DEFINE_WITHIN(read_line_within, async_read_line)
DEFINE_WITHIN(read_exactly_within, async_read_exactly)

static async_task *spawn_read(async_reader *r, const struct step *s) {
    char *buf = s->dst != NULL ? s->dst : out[s->slot];
    async_task *t;

    if (s->op == S_LINE && s->mode == R_TIMEOUT)
        SPAWN_WITHIN(t, read_line_within, async_read_line, SCRIPT_T, r, buf,
                     s->n);
    else if (s->op == S_LINE)
        SPAWN(t, do_read_line, async_read_line, r, buf, s->n);
    else if (s->mode == R_TIMEOUT)
        SPAWN_WITHIN(t, read_exactly_within, async_read_exactly, SCRIPT_T, r,
                     buf, s->n);
    else
        SPAWN(t, do_read_exactly, async_read_exactly, r, buf, s->n);
    return t;
}

static void write_all(int fd, const char *s) {
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* What a read in progress has taken from the descriptor so far: into
 * the reader's buffer, or (above the capacity) into the caller's. */
static size_t taken(const async_reader *r) {
    return r->end - r->start + async_reader_partial(r);
}

/* Records the reader's state after step i. */
static void record(int i, const async_reader *r) {
    buffered[i] = r->end - r->start;
    scanned[i] = r->scanned;
    partial[i] = async_reader_partial(r);
}

/* The root of a reader script: runs the steps one after the other. */
static async int script(async_reader *r, int wfd, const struct step *steps,
                        int n) {
    for (int i = 0; i < n; i++) {
        const struct step *s = &steps[i];
        async_task *child;
        int e;

        got[i] = -1;
        got_err[i] = 0;
        if (s->op == S_WRITE || s->op == S_CLOSE) {
            if (s->op == S_WRITE)
                write_all(wfd, s->data);
            else
                close(wfd);
            record(i, r);
            continue;
        }
        /* One pass: the child's first poll, where it finds the pipe
         * empty and waits (or completes). */
        child = spawn_read(r, s);
        await(async_sleep(0));
        if (s->data != NULL && !async_task_done(child)) {
            /* More data while it waits: pass after pass until it has
             * taken some or completed. */
            size_t before = taken(r);

            write_all(wfd, s->data);
            for (int spins = 0; spins < 1000; spins++) {
                await(async_sleep(0));
                if (async_task_done(child) || taken(r) != before)
                    break;
            }
        }
        if (s->mode == R_CANCEL)
            assert_int_equal(async_cancel(child), 1);
        got[i] = (int)async_try(await(child), &e);
        if (e != 0)
            got[i] = 0;
        got_err[i] = e;
        memcpy(seen[i], s->dst != NULL ? s->dst : out[s->slot], OUT_SIZE);
        record(i, r);
    }
    watchers_left = async__io_busy(async__loop_io());
    return 0;
}

/* Runs `steps` on a fresh pipe through `r`, a reader of capacity `cap`
 * (at most 64). */
static char rbuf_script[64];

static void run_script(const struct step *steps, int n, size_t cap,
                       async_reader *r) {
    int p[2];

    assert_true(n <= MAX_STEPS && cap <= sizeof(rbuf_script));
    memset(out, '#', sizeof(out));
    make_pipe(p);
    assert_int_equal(async_reader_init(r, p[0], rbuf_script, cap), 0);
    watchers_left = -1;
    assert_int_equal(async_run(script(r, p[1], steps, n)), 0);
    assert_int_equal(watchers_left, 0);
    close(p[0]);
    for (int i = 0; i < n; i++) /* else the script closed it */
        if (steps[i].op == S_CLOSE)
            return;
    close(p[1]);
}

/* Step i's read left the string `want` in its buffer. */
static void assert_line(int i, const char *want) {
    assert_string_equal(seen[i], want);
}

/* Step i's read left its buffer as it was, '#' from earlier steps on. */
static void assert_untouched(int i, size_t from) {
    for (size_t k = from; k < OUT_SIZE; k++)
        assert_int_equal(seen[i][k], '#');
}

/* A line arrives in several writes; a timed-out read_line and two
 * cancelled ones in between (one after taking more bytes into the
 * reader, one with nothing new) take nothing: the next read_line gets
 * the whole line.  Then the next line, end of file, and 0 again. */
static void test_read_line_cancel_keeps_line(void **state) {
    static const struct step steps[] = {
        {S_WRITE, 0, "par", 0, 0, NULL},
        {S_LINE, R_TIMEOUT, "tial ", 64, 0, NULL},
        {S_WRITE, 0, "li", 0, 0, NULL},
        {S_LINE, R_CANCEL, "ne", 64, 1, NULL},
        {S_LINE, R_CANCEL, NULL, 64, 1, NULL},
        {S_WRITE, 0, "\nnext\n", 0, 0, NULL},
        {S_LINE, R_AWAIT, NULL, 64, 2, NULL},
        {S_LINE, R_AWAIT, NULL, 64, 3, NULL},
        {S_CLOSE, 0, NULL, 0, 0, NULL},
        {S_LINE, R_AWAIT, NULL, 64, 0, NULL},
        {S_LINE, R_AWAIT, NULL, 64, 0, NULL},
    };
    async_reader r;

    (void)state;
    run_script(steps, 11, 64, &r);
    assert_int_equal(got_err[1], ASYNC_ETIMEDOUT);
    assert_int_equal(buffered[1], 8); /* "partial " */
    assert_int_equal(scanned[1], 8);
    assert_int_equal(got_err[3], ASYNC_ECANCELED);
    assert_int_equal(buffered[3], 12);
    assert_int_equal(got_err[4], ASYNC_ECANCELED);
    assert_int_equal(buffered[4], 12);
    assert_untouched(1, 0);
    assert_untouched(3, 0);
    assert_untouched(4, 0);
    assert_int_equal(got_err[6], 0);
    assert_int_equal(got[6], 13);
    assert_line(6, "partial line\n");
    assert_int_equal(buffered[6], 5);
    assert_int_equal(got[7], 5);
    assert_line(7, "next\n");
    assert_int_equal(buffered[7], 0);
    assert_int_equal(got[9], 0);
    assert_int_equal(got_err[9], 0);
    assert_line(9, "");
    assert_int_equal(got[10], 0);
    assert_int_equal(got_err[10], 0);
}

/* A line longer than the reader's capacity (8), with timeouts while it
 * arrives: every piece has 8 bytes, each taken whole, and nothing is
 * lost; a last line without '\n' at end of file. */
static void test_read_line_long_line_pieces(void **state) {
    static const struct step steps[] = {
        {S_WRITE, 0, "0123", 0, 0, NULL},
        {S_LINE, R_TIMEOUT, "45", 64, 0, NULL},
        {S_LINE, R_AWAIT, "6789AB", 64, 1, NULL},
        {S_LINE, R_TIMEOUT, "CD", 64, 2, NULL},
        {S_WRITE, 0, "EFGHIJ\nxy", 0, 0, NULL},
        {S_LINE, R_AWAIT, NULL, 64, 2, NULL},
        {S_LINE, R_AWAIT, NULL, 64, 3, NULL},
        {S_LINE, R_TIMEOUT, NULL, 64, 0, NULL},
        {S_CLOSE, 0, NULL, 0, 0, NULL},
        {S_LINE, R_AWAIT, NULL, 64, 0, NULL},
        {S_LINE, R_AWAIT, NULL, 64, 1, NULL},
    };
    async_reader r;

    (void)state;
    run_script(steps, 11, 8, &r);
    assert_int_equal(got_err[1], ASYNC_ETIMEDOUT);
    assert_int_equal(buffered[1], 6);
    assert_untouched(1, 0);
    assert_int_equal(got[2], 8);
    assert_line(2, "01234567");
    assert_int_equal(got_err[3], ASYNC_ETIMEDOUT);
    assert_int_equal(buffered[3], 6); /* "89ABCD" */
    assert_untouched(3, 0);
    assert_int_equal(got[5], 8);
    assert_line(5, "89ABCDEF");
    assert_int_equal(got[6], 5);
    assert_line(6, "GHIJ\n");
    assert_int_equal(got_err[7], ASYNC_ETIMEDOUT);
    assert_int_equal(buffered[7], 2);
    assert_int_equal(got[9], 2);
    assert_line(9, "xy");
    assert_int_equal(got[10], 0);
    assert_line(10, "");
}

/* Pieces of size - 1 when the caller's line is the smaller; end of file
 * in the middle of a line that a timed-out read was waiting for. */
static void test_read_line_small_size_and_eof(void **state) {
    static const struct step steps[] = {
        {S_WRITE, 0, "abcdefghij\n", 0, 0, NULL},
        {S_LINE, R_AWAIT, NULL, 5, 0, NULL},
        {S_LINE, R_AWAIT, NULL, 5, 1, NULL},
        {S_LINE, R_AWAIT, NULL, 5, 2, NULL},
        {S_WRITE, 0, "no newline", 0, 0, NULL},
        {S_LINE, R_TIMEOUT, NULL, 64, 3, NULL},
        {S_CLOSE, 0, NULL, 0, 0, NULL},
        {S_LINE, R_AWAIT, NULL, 4, 0, NULL},
        {S_LINE, R_AWAIT, NULL, 64, 1, NULL},
        {S_LINE, R_AWAIT, NULL, 64, 2, NULL},
    };
    async_reader r;

    (void)state;
    run_script(steps, 10, 64, &r);
    assert_int_equal(got[1], 4);
    assert_line(1, "abcd");
    assert_line(2, "efgh");
    assert_int_equal(got[3], 3);
    assert_line(3, "ij\n");
    assert_int_equal(got_err[5], ASYNC_ETIMEDOUT);
    assert_untouched(5, 0);
    assert_int_equal(got[7], 3);
    assert_line(7, "no ");
    assert_int_equal(got[8], 7);
    assert_line(8, "newline");
    assert_int_equal(got[9], 0);
}

/* A long line trickles in, 2,000 bytes a time, each wait timing out: it
 * is scanned once (`scanned` follows the buffered bytes) and comes
 * whole in the end. */
static void test_read_line_long_trickle(void **state) {
    enum { CHUNK = 2000, CHUNKS = 8 };
    static char chunk[CHUNK + 1], last[] = "end\n";
    static char big_rbuf[CHUNK * CHUNKS + 64], line[CHUNK * CHUNKS + 64];
    struct step steps[CHUNKS + 1];
    async_reader r;
    int p[2];

    (void)state;
    memset(chunk, 'x', CHUNK);
    for (int i = 0; i < CHUNKS; i++)
        steps[i] =
            (struct step){S_LINE, R_TIMEOUT, chunk, sizeof(line), 0, line};
    steps[CHUNKS] = (struct step){S_LINE, R_AWAIT, last, sizeof(line), 0, line};
    make_pipe(p);
    assert_int_equal(async_reader_init(&r, p[0], big_rbuf, sizeof(big_rbuf)),
                     0);
    assert_int_equal(async_run(script(&r, p[1], steps, CHUNKS + 1)), 0);
    for (int i = 0; i < CHUNKS; i++) {
        assert_int_equal(got_err[i], ASYNC_ETIMEDOUT);
        assert_int_equal(buffered[i], (size_t)CHUNK * (size_t)(i + 1));
        assert_int_equal(scanned[i], buffered[i]);
    }
    assert_int_equal(got[CHUNKS], CHUNK * CHUNKS + 4);
    assert_int_equal(buffered[CHUNKS], 0);
    for (int i = 0; i < CHUNK * CHUNKS; i++)
        assert_int_equal(line[i], 'x');
    assert_string_equal(line + CHUNK * CHUNKS, "end\n");
    close(p[0]);
    close(p[1]);
}
/* read_exactly of no more than the capacity (16) is all or nothing: a
 * timed-out and a cancelled one take nothing and leave their buffer
 * alone; the next gets all 10 bytes.  Then a short count at end of
 * file, and 0. */
static void test_read_exactly_cancel_keeps_bytes(void **state) {
    static const struct step steps[] = {
        {S_WRITE, 0, "abc", 0, 0, NULL},
        {S_EXACT, R_TIMEOUT, "def", 10, 0, NULL},
        {S_EXACT, R_CANCEL, "g", 10, 1, NULL},
        {S_WRITE, 0, "hijklm", 0, 0, NULL},
        {S_EXACT, R_AWAIT, NULL, 10, 2, NULL},
        {S_CLOSE, 0, NULL, 0, 0, NULL},
        {S_EXACT, R_AWAIT, NULL, 10, 3, NULL},
        {S_EXACT, R_AWAIT, NULL, 10, 3, NULL},
    };
    async_reader r;

    (void)state;
    run_script(steps, 8, 16, &r);
    assert_int_equal(got_err[1], ASYNC_ETIMEDOUT);
    assert_int_equal(buffered[1], 6);
    assert_int_equal(got_err[2], ASYNC_ECANCELED);
    assert_int_equal(buffered[2], 7);
    assert_untouched(1, 0);
    assert_untouched(2, 0);
    assert_int_equal(got[4], 10);
    assert_memory_equal(seen[4], "abcdefghij", 10);
    assert_untouched(4, 10);
    assert_int_equal(got[6], 3);
    assert_memory_equal(seen[6], "klm", 3);
    assert_untouched(6, 3);
    assert_int_equal(got[7], 0);
    assert_int_equal(partial[7], 0);
}

/* read_exactly of the whole capacity (8) after a line left the data
 * off the front of the buffer: the data moves to make room, a timeout
 * in between takes nothing, and the bytes after the count stay in the
 * descriptor for the next read. */
static void test_read_exactly_full_capacity(void **state) {
    static const struct step steps[] = {
        {S_WRITE, 0, "ab\ncdefg", 0, 0, NULL},
        {S_LINE, R_AWAIT, NULL, 64, 0, NULL},
        {S_EXACT, R_TIMEOUT, "hi", 8, 1, NULL},
        {S_WRITE, 0, "jk", 0, 0, NULL},
        {S_EXACT, R_AWAIT, NULL, 8, 2, NULL},
        {S_EXACT, R_AWAIT, NULL, 1, 3, NULL},
    };
    async_reader r;

    (void)state;
    run_script(steps, 6, 8, &r);
    assert_line(1, "ab\n");
    assert_int_equal(buffered[1], 5);
    assert_int_equal(got_err[2], ASYNC_ETIMEDOUT);
    assert_int_equal(buffered[2], 7);
    assert_untouched(2, 0);
    assert_int_equal(got[4], 8);
    assert_memory_equal(seen[4], "cdefghij", 8);
    assert_untouched(4, 8);
    assert_int_equal(got[5], 1);
    assert_int_equal(seen[5][0], 'k');
    assert_untouched(5, 1);
    assert_int_equal(buffered[5], 0);
}

/* read_exactly of more than the capacity (4): the bytes go into the
 * caller's buffer as they come, buffered bytes first, and the reader
 * counts them.  A timed-out and a cancelled attempt leave 9, then 16
 * bytes delivered; the same call again continues there and completes
 * with all 20, reading no further than the 20th byte.  Another read in
 * between forgets the count (the bytes delivered stay consumed); end of
 * file gives a short count. */
static void test_read_exactly_above_capacity(void **state) {
    static const struct step steps[] = {
        {S_WRITE, 0, "a\n12", 0, 0, NULL},
        {S_LINE, R_AWAIT, NULL, 64, 3, NULL},
        {S_WRITE, 0, "34567", 0, 0, NULL},
        {S_EXACT, R_TIMEOUT, "89", 20, 0, NULL},
        {S_WRITE, 0, "ABCDE", 0, 0, NULL},
        {S_EXACT, R_CANCEL, "FG", 20, 0, NULL},
        {S_WRITE, 0, "HIJxyz", 0, 0, NULL},
        {S_EXACT, R_AWAIT, NULL, 20, 0, NULL},
        {S_EXACT, R_AWAIT, NULL, 2, 3, NULL},
        /* A count forgotten by a read_line that times out. */
        {S_WRITE, 0, "abcdefgh", 0, 0, NULL},
        {S_EXACT, R_TIMEOUT, NULL, 20, 1, NULL},
        {S_LINE, R_TIMEOUT, NULL, 64, 2, NULL},
        {S_WRITE, 0, "res\n", 0, 0, NULL},
        {S_LINE, R_AWAIT, NULL, 64, 2, NULL},
        /* The same buffer but another count starts afresh too. */
        {S_WRITE, 0, "0123456", 0, 0, NULL},
        {S_EXACT, R_TIMEOUT, NULL, 20, 1, NULL},
        {S_EXACT, R_AWAIT, "789abcdefg", 10, 1, NULL},
        /* End of file part way. */
        {S_WRITE, 0, "tiny", 0, 0, NULL},
        {S_EXACT, R_CANCEL, NULL, 20, 2, NULL},
        {S_CLOSE, 0, NULL, 0, 0, NULL},
        {S_EXACT, R_AWAIT, NULL, 20, 2, NULL},
        {S_EXACT, R_AWAIT, NULL, 20, 2, NULL},
    };
    async_reader r;

    (void)state;
    run_script(steps, 22, 4, &r);
    assert_line(1, "a\n");
    assert_int_equal(buffered[1], 2);
    assert_int_equal(got_err[3], ASYNC_ETIMEDOUT);
    assert_int_equal(partial[3], 9);
    assert_memory_equal(seen[3], "123456789", 9);
    assert_untouched(3, 9);
    assert_int_equal(got_err[5], ASYNC_ECANCELED);
    assert_int_equal(partial[5], 16);
    assert_int_equal(got[7], 20);
    assert_int_equal(got_err[7], 0);
    assert_memory_equal(seen[5], "123456789ABCDEFG", 16);
    assert_untouched(5, 16);
    assert_memory_equal(seen[7], "123456789ABCDEFGHIJx", 20);
    assert_untouched(7, 20);
    assert_int_equal(partial[7], 0);
    assert_int_equal(buffered[7], 0);
    assert_int_equal(got[8], 2);
    assert_memory_equal(seen[8], "yz", 2);

    assert_int_equal(got_err[10], ASYNC_ETIMEDOUT);
    assert_int_equal(partial[10], 8);
    assert_memory_equal(seen[10], "abcdefgh", 8);
    assert_untouched(10, 8);
    assert_int_equal(got_err[11], ASYNC_ETIMEDOUT);
    assert_int_equal(partial[11], 0);
    assert_int_equal(got[13], 4);
    assert_line(13, "res\n");

    assert_int_equal(got_err[15], ASYNC_ETIMEDOUT);
    assert_int_equal(partial[15], 7);
    assert_int_equal(got[16], 10);
    assert_memory_equal(seen[16], "789abcdefg", 10);
    assert_int_equal(partial[16], 0);

    assert_int_equal(got_err[18], ASYNC_ECANCELED);
    assert_int_equal(partial[18], 4);
    assert_int_equal(got[20], 4);
    assert_memory_equal(seen[20], "tiny", 4);
    assert_int_equal(partial[20], 0);
    assert_int_equal(got[21], 0);
}

/* A task still waiting on a descriptor when async_run returns is
 * destroyed with its watcher; the next run starts clean (no -EBUSY). */
static void test_run_ends_with_watcher(void **state) {
    char buf[4];
    async_task *t[2];
    int p[2];

    (void)state;
    make_pipe(p);
    SPAWN(t[0], do_read, async_read, p[0], buf, sizeof(buf));
    t[1] = spawn_sleeper(1, 0.01);
    assert_int_equal(run_tasks(t + 1, 1, 0, -1), 0); /* t[0] destroyed */
    SPAWN(t[0], do_read, async_read, p[0], buf, sizeof(buf));
    assert_int_equal(write(p[1], "ok", 2), 2);
    assert_int_equal(run_tasks(t, 1, 0, -1), 0);
    assert_int_equal(res[0], 2);
    close(p[0]);
    close(p[1]);
}

/*
 * Stages: what happens to a descriptor between waits (closed, its number
 * reused, duplicated) must happen while the loop and its epoll instance
 * live, so these tests run as one root task:
 *
 *     async int stages(stage_fn *const *stage, int n) {
 *         for (int i = 0; i < n; i++) {
 *             stage[i](i);                 // may spawn into stage_tasks
 *             for (each task t spawned by stage i)
 *                 sres[k] = async_try(await(t), &serr[k]);   // k counts
 *         }
 *         for (each task t in bg_tasks)    // joined after the stages
 *             bres[j] = async_try(await(t), &berr[j]);
 *         watchers_left = async__io_busy(...);
 *         return 0;
 *     }
 *
 * A stage calls stage_spawned(t) for each task the root should join
 * before the next stage, and bg_spawned(t) for one that outlives it.
 * sres/serr number the joined tasks in the order they were spawned
 * over all stages.
 */
typedef void stage_fn(int i);

enum { STAGE_TASKS = 16 };

static async_task *stage_tasks[STAGE_TASKS], *bg_tasks[STAGE_TASKS];
static int n_stage_tasks, n_bg_tasks, n_joined;
static int sres[STAGE_TASKS], serr[STAGE_TASKS];
static int bres[STAGE_TASKS], berr[STAGE_TASKS];

static void stage_spawned(async_task *t) {
    assert_true(n_stage_tasks < STAGE_TASKS);
    stage_tasks[n_stage_tasks++] = t;
}

static void bg_spawned(async_task *t) {
    assert_true(n_bg_tasks < STAGE_TASKS);
    bg_tasks[n_bg_tasks++] = t;
}

static async int stages(stage_fn *const *stage, int n) {
    int e;

    for (int i = 0; i < n; i++) {
        n_stage_tasks = 0;
        stage[i](i);
        for (int k = 0; k < n_stage_tasks; k++) {
            int v = (int)async_try(await(stage_tasks[k]), &e);

            assert_true(n_joined < STAGE_TASKS);
            sres[n_joined] = e == 0 ? v : 0;
            serr[n_joined++] = e;
        }
    }
    for (int k = 0; k < n_bg_tasks; k++) {
        int v = (int)async_try(await(bg_tasks[k]), &e);

        bres[k] = e == 0 ? v : 0;
        berr[k] = e;
    }
    watchers_left = async__io_busy(async__loop_io());
    return 0;
}

static void run_stages(stage_fn *const *stage, int n) {
    n_stage_tasks = n_bg_tasks = n_joined = 0;
    memset(sres, 0, sizeof(sres));
    memset(serr, 0, sizeof(serr));
    memset(bres, 0, sizeof(bres));
    memset(berr, 0, sizeof(berr));
    watchers_left = -1;
    assert_int_equal(async_run(stages(stage, n)), 0);
    assert_int_equal(watchers_left, 0);
}

DEFINE_WITHIN(read_within, async_read)

/* What the stages share. */
static int sp[2], sq[2], sdup = -1;
static char sbuf[4][16];
static int reused; /* the new descriptor got the old one's number */

static const char *one[] = {"one"}, *two[] = {"two"};

/* A read that waits on p[0], then the descriptor is closed (and with it
 * its registration) and a new pipe gets its number: a read there waits
 * for the new pipe, not for a registration of the closed one. */
static void reuse_stage(int i) {
    async_task *t;

    memset(sbuf[i], 0, sizeof(sbuf[i]));
    if (i == 0) {
        make_pipe(sp);
        SPAWN(t, do_read, async_read, sp[0], sbuf[0], sizeof(sbuf[0]));
        stage_spawned(t);
        stage_spawned(spawn_write_later(sp[1], one, 1, 0.01));
        return;
    }
    close(sp[0]); /* sp[1] was closed by write_later */
    make_pipe(sq);
    reused = sq[0] == sp[0];
    SPAWN_WITHIN(t, read_within, async_read, 2.0, sq[0], sbuf[1],
                 sizeof(sbuf[1]));
    stage_spawned(t);
    stage_spawned(spawn_write_later(sq[1], two, 1, 0.01));
}

static void test_fd_closed_and_reused(void **state) {
    static stage_fn *const stages[] = {reuse_stage, reuse_stage};

    (void)state;
    run_stages(stages, 2);
    assert_true(reused);
    assert_int_equal(sres[0], 3);
    assert_string_equal(sbuf[0], "one");
    assert_int_equal(serr[2], 0);
    assert_int_equal(sres[2], 3);
    assert_string_equal(sbuf[1], "two");
    close(sq[0]);
}

/* The same, but a duplicate keeps the closed socket open, so its
 * registration stays in the epoll set under the old number: bytes sent
 * to it make events there, which must not stand for the new socket that
 * has the number now.  The duplicate is then waited on in turn. */
static const char *stale[] = {"stale"}, *fresh[] = {"fresh"},
                  *last[] = {"last"};

static void dup_stage(int i) {
    async_task *t;

    memset(sbuf[i], 0, sizeof(sbuf[i]));
    switch (i) {
    case 0:
        make_socketpair(sp);
        SPAWN(t, do_read, async_read, sp[0], sbuf[0], sizeof(sbuf[0]));
        stage_spawned(t);
        stage_spawned(spawn_write_later(dup(sp[1]), one, 1, 0.01));
        break;
    case 1: {
        int num = sp[0];

        sdup = dup(sp[0]);
        assert_true(sdup > num);
        close(sp[0]); /* the file stays open through sdup */
        make_socketpair(sq);
        reused = sq[0] == num;
        sp[0] = -1;
        SPAWN_WITHIN(t, read_within, async_read, 2.0, sq[0], sbuf[1],
                     sizeof(sbuf[1]));
        stage_spawned(t);
        /* Into the old socket first, then the new one. */
        stage_spawned(spawn_write_later(dup(sp[1]), stale, 1, 0.01));
        stage_spawned(spawn_write_later(sq[1], fresh, 1, 0.05));
        break;
    }
    case 2: /* the bytes sent meanwhile wait in the old socket */
        SPAWN(t, do_read, async_read, sdup, sbuf[2], sizeof(sbuf[2]));
        stage_spawned(t);
        break;
    default: /* and the duplicate can be waited on */
        SPAWN_WITHIN(t, read_within, async_read, 2.0, sdup, sbuf[3],
                     sizeof(sbuf[3]));
        stage_spawned(t);
        stage_spawned(spawn_write_later(sp[1], last, 1, 0.01));
        break;
    }
}

static void test_fd_reused_while_dup_open(void **state) {
    static stage_fn *const stages[] = {dup_stage, dup_stage, dup_stage,
                                       dup_stage};

    (void)state;
    run_stages(stages, 4);
    assert_true(reused);
    assert_string_equal(sbuf[0], "one");
    assert_int_equal(sres[2], 5);
    assert_string_equal(sbuf[1], "fresh");
    assert_int_equal(sres[5], 5);
    assert_string_equal(sbuf[2], "stale");
    assert_int_equal(sres[6], 4);
    assert_string_equal(sbuf[3], "last");
    for (int i = 0; i < 8; i++)
        assert_int_equal(serr[i], 0);
    close(sdup);
    close(sq[0]);
}

/* Two numbers of one socket are two registrations: a read waits on each
 * at once, each gets one of two messages (both are told of each, the
 * one that finds nothing waits on). */
static const char *ab_cd[] = {"ab", "cd"};

static void dup_both_stage(int i) {
    async_task *t;

    (void)i;
    memset(sbuf, 0, sizeof(sbuf));
    make_socketpair(sp);
    sdup = dup(sp[0]);
    SPAWN(t, do_read, async_read, sp[0], sbuf[0], sizeof(sbuf[0]));
    stage_spawned(t);
    SPAWN(t, do_read, async_read, sdup, sbuf[1], sizeof(sbuf[1]));
    stage_spawned(t);
    stage_spawned(spawn_write_later(sp[1], ab_cd, 2, 0.02));
}

static void test_dup_fds_waited_at_once(void **state) {
    static stage_fn *const stages[] = {dup_both_stage};

    (void)state;
    run_stages(stages, 1);
    assert_int_equal(sres[0], 2);
    assert_int_equal(sres[1], 2);
    assert_true((strcmp(sbuf[0], "ab") == 0 && strcmp(sbuf[1], "cd") == 0) ||
                (strcmp(sbuf[0], "cd") == 0 && strcmp(sbuf[1], "ab") == 0));
    close(sp[0]);
    close(sdup);
}

/* A read is cancelled while it waits (a timeout), and bytes arrive while
 * nobody waits: the next read gets them.  Then the descriptor is closed
 * with its registration, the number reused, and a read of the new pipe
 * waits for it. */
static const char *again[] = {"again"};

static void cancel_close_stage(int i) {
    async_task *t;

    switch (i) {
    case 0:
        memset(sbuf, 0, sizeof(sbuf));
        make_pipe(sp);
        SPAWN_WITHIN(t, read_within, async_read, 0.02, sp[0], sbuf[0],
                     sizeof(sbuf[0]));
        stage_spawned(t);
        break;
    case 1:
        assert_int_equal(write(sp[1], "x", 1), 1);
        SPAWN(t, do_read, async_read, sp[0], sbuf[1], sizeof(sbuf[1]));
        stage_spawned(t);
        break;
    case 2:
        SPAWN_WITHIN(t, read_within, async_read, 0.02, sp[0], sbuf[2],
                     sizeof(sbuf[2]));
        stage_spawned(t);
        break;
    default: {
        int num = sp[0];

        close(sp[0]);
        close(sp[1]);
        make_pipe(sq);
        reused = sq[0] == num;
        SPAWN_WITHIN(t, read_within, async_read, 2.0, sq[0], sbuf[3],
                     sizeof(sbuf[3]));
        stage_spawned(t);
        stage_spawned(spawn_write_later(sq[1], again, 1, 0.01));
        break;
    }
    }
}

static void test_cancelled_watcher_then_close(void **state) {
    static stage_fn *const stages[] = {cancel_close_stage, cancel_close_stage,
                                       cancel_close_stage, cancel_close_stage};

    (void)state;
    run_stages(stages, 4);
    assert_int_equal(serr[0], ASYNC_ETIMEDOUT);
    assert_int_equal(sres[1], 1);
    assert_string_equal(sbuf[1], "x");
    assert_int_equal(serr[2], ASYNC_ETIMEDOUT);
    assert_true(reused);
    assert_int_equal(serr[3], 0);
    assert_int_equal(sres[3], 5);
    assert_string_equal(sbuf[3], "again");
    close(sq[0]);
}

/* The readiness cache: a read that times out finds the socket drained,
 * while a writer keeps waiting on the same socket (so its registration
 * stays current).  Bytes that then arrive before the next read has
 * started must still wake it, although the backend has it wait at once
 * instead of trying (which `idle_seen` checks). */
static char big_out[1 << 20], big_in[1 << 20];
static char big_rbuf[4096];
static async_reader big_reader;
static int idle_seen;

static void drained_stage(int i) {
    int small = 4096;
    async_task *t;

    switch (i) {
    case 0:
        memset(sbuf, 0, sizeof(sbuf));
        memset(big_out, 'w', sizeof(big_out));
        make_socketpair(sp);
        assert_int_equal(
            setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
        SPAWN(t, do_write, async_write, sp[0], big_out, sizeof(big_out));
        bg_spawned(t);
        SPAWN_WITHIN(t, read_within, async_read, 0.02, sp[0], sbuf[0],
                     sizeof(sbuf[0]));
        stage_spawned(t);
        break;
    case 1:
        assert_int_equal(write(sp[1], "hi", 2), 2);
        idle_seen = async__io_idle(sp[0], ASYNC__IO_IN);
        SPAWN_WITHIN(t, read_within, async_read, 2.0, sp[0], sbuf[1],
                     sizeof(sbuf[1]));
        stage_spawned(t);
        break;
    default:
        assert_int_equal(
            async_reader_init(&big_reader, sp[1], big_rbuf, sizeof(big_rbuf)),
            0);
        SPAWN(t, do_read_exactly, async_read_exactly, &big_reader, big_in,
              sizeof(big_in));
        stage_spawned(t);
        break;
    }
}

static void test_readiness_after_drain_not_lost(void **state) {
    static stage_fn *const stages[] = {drained_stage, drained_stage,
                                       drained_stage};

    (void)state;
    run_stages(stages, 3);
    assert_int_equal(serr[0], ASYNC_ETIMEDOUT);
    assert_int_equal(idle_seen, 1);
    assert_int_equal(serr[1], 0);
    assert_int_equal(sres[1], 2);
    assert_string_equal(sbuf[1], "hi");
    assert_int_equal(sres[2], (int)sizeof(big_in));
    assert_int_equal(bres[0], (int)sizeof(big_out));
    assert_memory_equal(big_in, big_out, sizeof(big_in));
    close(sp[0]);
    close(sp[1]);
}

/* A plain watcher (no edge protocol, as signal.c and thread_pool.c
 * use) sees level-triggered readiness: on a pipe with a byte nobody
 * reads, it fires on every wait of the loop, not only once. */
static async__watcher plain;
static int plain_calls;

static void plain_on_ready(async__watcher *w) {
    if (++plain_calls == 3)
        async__unwatch(w);
}

static void plain_stage(int i) {
    (void)i;
    make_pipe(sp);
    assert_int_equal(write(sp[1], "z", 1), 1);
    memset(&plain, 0, sizeof(plain));
    plain.fd = sp[0];
    plain.events = ASYNC__IO_IN;
    plain.on_ready = plain_on_ready;
    plain_calls = 0;
    assert_int_equal(async__watch(&plain), 0);
    stage_spawned(spawn_sleeper(1, 0.05));
}

static void test_plain_watcher_level_triggered(void **state) {
    static stage_fn *const stages[] = {plain_stage};

    (void)state;
    run_stages(stages, 1);
    assert_int_equal(plain_calls, 3);
    close(sp[0]);
    close(sp[1]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipe_between_tasks),
        cmocka_unit_test(test_socketpairs_send_recv),
        cmocka_unit_test(test_partial_writes_complete),
        cmocka_unit_test(test_eof),
        cmocka_unit_test(test_bad_fd_and_null),
        cmocka_unit_test(test_epipe),
        cmocka_unit_test(test_cancel_waiting_read),
        cmocka_unit_test(test_both_directions_one_fd),
        cmocka_unit_test(test_tcp_ipv4),
        cmocka_unit_test(test_tcp_ipv6),
        cmocka_unit_test(test_listen_errors),
        cmocka_unit_test(test_listen_shared),
        cmocka_unit_test(test_connect_refused),
        cmocka_unit_test(test_connect_timeout),
        cmocka_unit_test(test_connect_cancel),
        cmocka_unit_test(test_read_lines_over_split_writes),
        cmocka_unit_test(test_read_line_cancel_keeps_line),
        cmocka_unit_test(test_read_line_long_line_pieces),
        cmocka_unit_test(test_read_line_small_size_and_eof),
        cmocka_unit_test(test_read_line_long_trickle),
        cmocka_unit_test(test_read_exactly_cancel_keeps_bytes),
        cmocka_unit_test(test_read_exactly_full_capacity),
        cmocka_unit_test(test_read_exactly_above_capacity),
        cmocka_unit_test(test_run_ends_with_watcher),
        cmocka_unit_test(test_fd_closed_and_reused),
        cmocka_unit_test(test_fd_reused_while_dup_open),
        cmocka_unit_test(test_dup_fds_waited_at_once),
        cmocka_unit_test(test_cancelled_watcher_then_close),
        cmocka_unit_test(test_readiness_after_drain_not_lost),
        cmocka_unit_test(test_plain_watcher_level_triggered),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
