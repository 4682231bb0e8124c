/*
 * test_io.c -- awaitables on descriptors: pipe and socketpair transfers
 * between tasks, partial writes of a large buffer through a small socket
 * buffer, end of file, -EBADF, cancellation of a waiting read (watcher
 * removed, no deadlock report), connect refused and timing out, TCP
 * listen/accept/connect on 127.0.0.1 and ::1, the line reader over
 * split writes, and one descriptor watched for reading and writing by
 * two tasks at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

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
        (t) = async__task_new(sizeof(struct name##__frame), name##__resume,    \
                              #name, offsetof(struct name##__frame, _ret),     \
                              sizeof(int), ASYNC__RESULT_SIGNED);              \
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

/*
 * The root of most tests:
 *
 *     async int supervise(async_task **t, int n, double cancel_after,
 *                         int cancel) {
 *         if (cancel >= 0) {
 *             await(async_sleep(cancel_after));
 *             async_cancel(t[cancel]);
 *         }
 *         for (int i = 0; i < n; i++)
 *             res[i] = async_try(await(t[i]), &err[i]);
 *         watchers_left = async__io_busy(...);
 *         return 0;
 *     }
 */
static int watchers_left;
/* What await(t[i]) gave, and t[i]'s error: the tasks themselves are
 * freed when async_run returns. */
static int res[8], err[8];

struct supervise__frame {
    int _state;
    async_task **t;
    int n;
    double cancel_after;
    int cancel;
    int i;
    struct async_sleep__frame _a1;
    struct async_join__frame _a2;
    int _ret;
};

static void supervise__init(struct supervise__frame *f, async_task **t, int n,
                            double cancel_after, int cancel) {
    f->_state = 0;
    f->t = t;
    f->n = n;
    f->cancel_after = cancel_after;
    f->cancel = cancel;
    f->_ret = 0;
}

static int supervise__resume(void *frame) {
    struct supervise__frame *f = frame;
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
    if (f->cancel >= 0) {
        async_sleep__init(&f->_a1, f->cancel_after);
        f->_state = 1;
    await1:
        if ((r = async_sleep__resume(&f->_a1)) != ASYNC__READY)
            goto exit;
        async_cancel(f->t[f->cancel]);
    }
    for (f->i = 0; f->i < f->n; f->i++) {
        async_join__init(&f->_a2, f->t[f->i]);
        f->_state = 2;
    await2:
        if ((r = async_join__resume(&f->_a2)) == ASYNC__PENDING)
            return r;
        res[f->i] = r == ASYNC__READY ? f->_a2._ret : 0;
        err[f->i] = r == ASYNC__FAILED ? async__take_error() : 0;
    }
    watchers_left = async__io_busy(async__loop_io());
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

/* Runs the loop until every task in t[0..n) has finished; cancels
 * t[cancel] after `after` seconds when cancel >= 0.  Returns async__run's
 * code. */
static int run_tasks(async_task **t, int n, double after, int cancel) {
    struct supervise__frame f;

    supervise__init(&f, t, n, after, cancel);
    watchers_left = -1;
    memset(res, 0, sizeof(res));
    memset(err, 0, sizeof(err));
    return RUN(supervise, &f);
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
    async_task *t = async__task_new(sizeof(struct write_later__frame),
                                    write_later__resume, "write_later",
                                    offsetof(struct write_later__frame, _ret),
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

/*
 * async int echo_once(int listen_fd) {
 *     char buf[64];
 *     int fd = await(async_accept(listen_fd));
 *     ssize_t n = await(async_read(fd, buf, sizeof(buf)));
 *     await(async_write(fd, buf, n));
 *     close(fd);
 *     return (int)n;
 * }
 */
struct echo_once__frame {
    int _state;
    int listen_fd;
    char buf[64];
    int fd;
    ssize_t n;
    struct async_accept__frame _a1;
    struct async_read__frame _a2;
    struct async_write__frame _a3;
    int _ret;
};

static int echo_once__resume(void *frame) {
    struct echo_once__frame *f = frame;
    int r;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    case 2:
        goto await2;
    case 3:
        goto await3;
    default:
        return ASYNC__READY;
    }
    async_accept__init(&f->_a1, f->listen_fd);
    f->_state = 1;
await1:
    if ((r = async_accept__resume(&f->_a1)) != ASYNC__READY)
        goto exit;
    f->fd = f->_a1._ret;
    async_read__init(&f->_a2, f->fd, f->buf, sizeof(f->buf));
    f->_state = 2;
await2:
    if ((r = async_read__resume(&f->_a2)) != ASYNC__READY)
        goto exit;
    f->n = f->_a2._ret;
    async_write__init(&f->_a3, f->fd, f->buf, (size_t)f->n);
    f->_state = 3;
await3:
    if ((r = async_write__resume(&f->_a3)) != ASYNC__READY)
        goto exit;
    close(f->fd);
    f->_ret = (int)f->n;
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

/*
 * async int ask(const char *host, int port, const char *msg, char *reply) {
 *     int fd = await(async_tcp_connect(host, port, 5));
 *     await(async_write(fd, msg, strlen(msg)));
 *     ssize_t n = await(async_read(fd, reply, 63));
 *     close(fd);
 *     return (int)n;
 * }
 */
struct ask__frame {
    int _state;
    const char *host;
    int port;
    const char *msg;
    char *reply;
    int fd;
    struct async_tcp_connect__frame _a1;
    struct async_write__frame _a2;
    struct async_read__frame _a3;
    int _ret;
};

static int ask__resume(void *frame) {
    struct ask__frame *f = frame;
    int r;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    case 2:
        goto await2;
    case 3:
        goto await3;
    default:
        return ASYNC__READY;
    }
    async_tcp_connect__init(&f->_a1, f->host, f->port, 5);
    f->_state = 1;
await1:
    if ((r = async_tcp_connect__resume(&f->_a1)) != ASYNC__READY)
        goto exit;
    f->fd = f->_a1._ret;
    async_write__init(&f->_a2, f->fd, f->msg, strlen(f->msg));
    f->_state = 2;
await2:
    if ((r = async_write__resume(&f->_a2)) != ASYNC__READY)
        goto exit;
    async_read__init(&f->_a3, f->fd, f->reply, 63);
    f->_state = 3;
await3:
    if ((r = async_read__resume(&f->_a3)) != ASYNC__READY)
        goto exit;
    close(f->fd);
    f->_ret = (int)f->_a3._ret;
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

static void tcp_round_trip(const char *host) {
    char reply[64] = {0};
    struct echo_once__frame *ef;
    struct ask__frame *af;
    async_task *t[2];
    int lfd, port;

    lfd = async_tcp_listen(host, 0, 8);
    if (lfd < 0 && host[0] == ':') {
        skip(); /* no IPv6 on this machine */
        return;
    }
    assert_true(lfd >= 0);
    port = async_local_port(lfd);
    assert_true(port > 0);
    t[0] = async__task_new(sizeof(*ef), echo_once__resume, "echo_once",
                           offsetof(struct echo_once__frame, _ret), sizeof(int),
                           ASYNC__RESULT_SIGNED);
    assert_non_null(t[0]);
    ef = async__task_frame(t[0]);
    ef->_state = 0;
    ef->listen_fd = lfd;
    async__task_start(t[0]);
    t[1] = async__task_new(sizeof(*af), ask__resume, "ask",
                           offsetof(struct ask__frame, _ret), sizeof(int),
                           ASYNC__RESULT_SIGNED);
    assert_non_null(t[1]);
    af = async__task_frame(t[1]);
    af->_state = 0;
    af->host = host;
    af->port = port;
    af->msg = "ping";
    af->reply = reply;
    async__task_start(t[1]);
    assert_int_equal(run_tasks(t, 2, 0, -1), 0);
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

/*
 * async int read_lines(async_reader *r, char (*lines)[16], int max) {
 *     int n = 0;
 *     while (n < max && await(async_read_line(r, lines[n], 16)) > 0)
 *         n++;
 *     return n;
 * }
 */
struct read_lines__frame {
    int _state;
    async_reader *r;
    char (*lines)[16];
    int max;
    int n;
    struct async_read_line__frame _a1;
    int _ret;
};

static int read_lines__resume(void *frame) {
    struct read_lines__frame *f = frame;
    int r;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    default:
        return ASYNC__READY;
    }
    f->n = 0;
    while (f->n < f->max) {
        async_read_line__init(&f->_a1, f->r, f->lines[f->n], 16);
        f->_state = 1;
    await1:
        if ((r = async_read_line__resume(&f->_a1)) != ASYNC__READY)
            goto exit;
        if (f->_a1._ret == 0)
            break;
        f->n++;
    }
    f->_ret = f->n;
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

/* Lines split across writes, a line longer than the caller's buffer, a
 * last line without '\n', through a reader buffer smaller than a line. */
static void test_read_lines_over_split_writes(void **state) {
    static const char *chunks[] = {"ab", "c\nde", "f\n\n0123456789abcdefgh\n",
                                   "tail"};
    char lines[8][16];
    char rbuf[5];
    struct read_lines__frame *f;
    async_reader r;
    async_task *t[2];
    int p[2];

    (void)state;
    memset(lines, 0, sizeof(lines));
    make_pipe(p);
    assert_int_equal(async_reader_init(&r, p[0], rbuf, sizeof(rbuf)), 0);
    t[0] = async__task_new(sizeof(*f), read_lines__resume, "read_lines",
                           offsetof(struct read_lines__frame, _ret),
                           sizeof(int), ASYNC__RESULT_SIGNED);
    assert_non_null(t[0]);
    f = async__task_frame(t[0]);
    f->_state = 0;
    f->r = &r;
    f->lines = lines;
    f->max = 8;
    async__task_start(t[0]);
    t[1] = spawn_write_later(p[1], chunks, 4, 0.005);
    assert_int_equal(run_tasks(t, 2, 0, -1), 0);
    assert_int_equal(res[0], 6);
    assert_string_equal(lines[0], "abc\n");
    assert_string_equal(lines[1], "def\n");
    assert_string_equal(lines[2], "\n");
    assert_string_equal(lines[3], "0123456789abcde");
    assert_string_equal(lines[4], "fgh\n");
    assert_string_equal(lines[5], "tail");
    assert_int_equal(async_reader_init(NULL, 0, rbuf, 1), ASYNC_EINVAL);
    close(p[0]);
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
        cmocka_unit_test(test_connect_refused),
        cmocka_unit_test(test_connect_timeout),
        cmocka_unit_test(test_connect_cancel),
        cmocka_unit_test(test_read_lines_over_split_writes),
        cmocka_unit_test(test_run_ends_with_watcher),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
