/*
 * test_server.c -- async_serve over real loopback connections: many
 * concurrent clients echoed; a failing handler does not stop the server;
 * a handler that cannot be spawned drops only its connection; cancelling
 * the server (async_cancel, async_wait_for timeout) cancels every handler
 * and closes every connection before the await fails, with the process's
 * descriptors and heap tasks back to where they were; a listening socket
 * that goes bad stops the server the same way; two servers on one socket;
 * the back-off when accept runs out of descriptors; bad arguments.
 * The backend's bookkeeping of the connections it owns: bytes that
 * arrive between a handler's short read and its next wait wake it,
 * and a connection's number handed out again (while a duplicate keeps
 * the closed connection open) is a new connection to it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "fds.h"

#include "frames.h"
#include "internal.h"
#include "io.h"

enum { MAX_CLIENTS = 100 };

/* What the handlers saw, shared through async_serve's `arg`. */
struct server_ctx {
    int fail_spawns;    /* the spawner returns NULL this many times */
    int started;        /* handlers that ran */
    int finished;       /* handlers that ended, in any way */
    int cancelled;      /* of those, ended by ASYNC_ECANCELED */
    int bad_flags;      /* connections not non-blocking and close-on-exec */
    double first_start; /* async_time() when the first handler ran */
    int keep_dups;      /* handlers keep a duplicate of their connection */
    int n_dups;
    int dups[MAX_CLIENTS];
    int fds[MAX_CLIENTS]; /* each handler's connection, in start order */
};

static struct server_ctx ctx;

static int setup(void **state) {
    (void)state;
    memset(&ctx, 0, sizeof(ctx));
    return 0;
}

struct named_count {
    const char *name;
    int n;
};

static void count_named(async_task *t, int is_root, void *arg) {
    struct named_count *c = arg;

    if (!is_root && strcmp(async__task_name(t), c->name) == 0)
        c->n++;
}

/* Heap tasks called `name` that are still allocated. */
static int count_tasks_named(const char *name) {
    struct named_count c = {name, 0};

    async__loop_each_task(count_named, &c);
    return c.n;
}

/* Marks the start of a handler on `fd`. */
static void started(struct server_ctx *c, int fd) {
    int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);

    if (c->keep_dups)
        c->dups[c->n_dups++] = dup(fd);
    c->fds[c->started] = fd;
    if (c->started++ == 0)
        c->first_start = async_time();
    if (fl < 0 || !(fl & O_NONBLOCK) || fdfl < 0 || !(fdfl & FD_CLOEXEC))
        c->bad_flags++;
}

/* The handler: echoes what it reads until end of file; a read starting
 * with '!' makes it fail. */
static async void echo(int fd, void *arg) {
    struct server_ctx *c = arg;
    char buf[64];
    ssize_t n;
    int err = 0;

    started(c, fd);
    for (;;) {
        n = async_try(await(async_read(fd, buf, sizeof(buf))), &err);
        if (err != 0 || n == 0)
            break;
        if (buf[0] == '!') {
            err = -EIO;
            break;
        }
        async_try(await(async_write(fd, buf, (size_t)n)), &err);
        if (err != 0)
            break;
    }
    c->finished++;
    if (err == ASYNC_ECANCELED)
        c->cancelled++;
    if (err != 0)
        async_raise(err);
}

/* echo's spawner, which asyncc generates (echo is async_serve's handler
 * in two_servers below) and declares where echo is defined. */
#ifdef __ASYNCC__
async_task *echo__spawn(int fd, void *arg);
#endif

/* The spawner the tests' servers use: echo__spawn, except that it fails
 * (as when out of memory) while ctx.fail_spawns > 0. */
static async_task *echo_spawner(int fd, void *arg) {
    if (ctx.fail_spawns > 0) {
        ctx.fail_spawns--;
        return NULL;
    }
    return echo__spawn(fd, arg);
}

/* A client: sends `msg` and reads until the echo is complete, or until
 * end of file when msg is empty.  Evaluates to the length echoed (0 when
 * the server closed without a reply), -1 for a wrong reply.  The
 * connection is closed on every path once open. */
static async int client(int port, const char *msg, double delay) {
    char reply[64];
    size_t len = strlen(msg), n = 0;
    ssize_t k;
    int fd, err = 0;

    await(async_sleep(delay));
    fd = await(async_tcp_connect("127.0.0.1", port, 5));
    if (len > 0)
        async_try(await(async_write(fd, msg, len)), &err);
    while (err == 0) {
        k = async_try(await(async_read(fd, reply + n, sizeof(reply) - n)),
                      &err);
        if (err != 0 || k == 0)
            break;
        n += (size_t)k;
        if (len > 0 && n >= len)
            break;
    }
    close(fd);
    if (err != 0)
        async_raise(err);
    if (n == 0)
        return 0;
    return n == len && memcmp(reply, msg, n) == 0 ? (int)n : -1;
}

/*
 * async int serve_counted(int lfd, async_conn_spawner spawn, void *arg) {
 *     return await(async_serve(lfd, spawn, arg));
 * }
 * Hand-written: the tests read the server's counters in async_serve's
 * frame (connections accepted, dropped, failed; handlers running) and
 * count how often it was polled, which code in the dialect cannot see;
 * and in the dialect async_serve takes the name of a handler, not the
 * spawner that can fail.  When it ends, it copies its frame (the
 * server's counters) to `served`.
 */
struct serve_counted__frame {
    int _state;
    int polls;
    struct async_serve__frame a;
    int _ret;
};

#ifdef __ASYNCC__
async int serve_counted(int lfd, async_conn_spawner spawn, void *arg);
#endif

static struct serve_counted__frame served; /* the last one, when it ended */

static void serve_counted__init(struct serve_counted__frame *f, int lfd,
                                async_conn_spawner spawn, void *arg) {
    f->_state = 0;
    f->polls = 0;
    async_serve__init(&f->a, lfd, spawn, arg);
}

static int serve_counted__resume(void *frame) {
    struct serve_counted__frame *f = frame;
    int r;

    f->polls++;
    if (f->_state < 0)
        return ASYNC__READY;
    f->_state = 1;
    if ((r = async_serve__resume(&f->a)) == ASYNC__PENDING)
        return r;
    f->_state = -1;
    if (r == ASYNC__READY)
        f->_ret = f->a._ret;
    memcpy(&served, f, sizeof(served));
    return r;
}

/* The server as a task of its own (asyncc spawns only functions defined
 * in the file). */
static async int serve(int lfd, async_conn_spawner spawn, void *arg) {
    return await(serve_counted(lfd, spawn, arg));
}

/* What a test's root saw, read once it has run. */
static int res[MAX_CLIENTS], cerr[MAX_CLIENTS];
static int serve_err;
static int fds_during;                      /* open descriptors while serving */
static int started_at_end, finished_at_end; /* when the serve await ended */
static int echo_tasks_left;                 /* handler tasks then */

static void results_reset(void) {
    memset(res, 0, sizeof(res));
    memset(cerr, 0, sizeof(cerr));
    memset(&served, 0, sizeof(served));
    serve_err = 0;
    fds_during = started_at_end = finished_at_end = -1;
    echo_tasks_left = -1;
}

/* Notes what was left when the serve task `srv` had finished. */
static void note_served(async_task *srv) {
    assert_true(async_task_done(srv));
    for (int i = 0; i < ctx.n_dups; i++)
        close(ctx.dups[i]);
    ctx.n_dups = 0;
    started_at_end = ctx.started;
    finished_at_end = ctx.finished;
    echo_tasks_left = count_tasks_named("echo");
}

/* A test's plan: clients with an empty message send nothing and wait
 * for the end of their connection. */
struct plan {
    int lfd, port;
    int n;
    const char *const *msg;
    const double *delay; /* per client, or NULL */
    double settle;       /* after the other clients are done */
    int shut_listener;   /* stop by breaking lfd, not by cancelling */
};

/* Serves on p->lfd while p's clients talk to the server; then stops the
 * server and waits for the clients that only wait for end of file. */
static async int scenario(const struct plan *p) {
    async_task *srv = async_spawn(serve(p->lfd, echo_spawner, &ctx));
    async_task *cl[MAX_CLIENTS];

    assert_non_null(srv);
    for (int i = 0; i < p->n; i++) {
        cl[i] = async_spawn(
            client(p->port, p->msg[i], p->delay != NULL ? p->delay[i] : 0));
        assert_non_null(cl[i]);
    }
    for (int i = 0; i < p->n; i++)
        if (p->msg[i][0] != '\0')
            res[i] = async_try(await(cl[i]), &cerr[i]);
    await(async_sleep(p->settle));
    fds_during = count_fds();
    if (p->shut_listener)
        assert_int_equal(shutdown(p->lfd, SHUT_RD), 0);
    else
        async_cancel(srv);
    async_try(await(srv), &serve_err);
    note_served(srv);
    for (int i = 0; i < p->n; i++)
        if (p->msg[i][0] == '\0')
            res[i] = async_try(await(cl[i]), &cerr[i]);
    return 0;
}

/* Runs `p` on a fresh listener, checking that the process has the same
 * descriptors afterwards. */
static void run_plan(struct plan *p) {
    int before;

    results_reset();
    p->lfd = async_tcp_listen("127.0.0.1", 0, 128);
    assert_true(p->lfd >= 0);
    p->port = async_local_port(p->lfd);
    assert_true(p->port > 0);
    before = count_fds();
    assert_int_equal(async_run(scenario(p)), 0);
    assert_int_equal(count_fds(), before);
    close(p->lfd);
}

/* ------------------------------------------------------------------ */

/* 100 clients at once (more than one accept batch): each is echoed, and
 * every connection is closed once its handler returns. */
static void test_many_clients(void **state) {
    static char bufs[MAX_CLIENTS][24];
    const char *msg[MAX_CLIENTS];
    struct plan p = {0};

    (void)state;
    for (int i = 0; i < MAX_CLIENTS; i++) {
        snprintf(bufs[i], sizeof(bufs[i]), "hello %d\n", i);
        msg[i] = bufs[i];
    }
    p.n = MAX_CLIENTS;
    p.msg = msg;
    p.settle = 0.02;
    run_plan(&p);
    for (int i = 0; i < MAX_CLIENTS; i++) {
        assert_int_equal(cerr[i], 0);
        assert_int_equal(res[i], (int)strlen(msg[i]));
    }
    assert_int_equal(serve_err, ASYNC_ECANCELED);
    assert_int_equal(served.a.own.accepted, MAX_CLIENTS);
    assert_int_equal(served.a.own.dropped, 0);
    assert_int_equal(served.a.own.failed, 0);
    assert_int_equal(served.a.own.running, 0);
    assert_null(served.a.own.conns);
    assert_int_equal(ctx.started, MAX_CLIENTS);
    assert_int_equal(ctx.finished, MAX_CLIENTS);
    assert_int_equal(ctx.cancelled, 0);
    assert_int_equal(ctx.bad_flags, 0);
    assert_int_equal(echo_tasks_left, 0);
}

/* Clients one after another, each handler keeping a duplicate of its
 * connection: the server closes a connection's number when its handler
 * ends, the next connection gets that number, and the backend must
 * take it for the new connection it is (the old one is still open and
 * in the epoll set).  Every handler ends by end of file, none by the
 * final cancellation. */
static void test_number_reused_while_dup_open(void **state) {
    static const char *const msg[] = {"first\n", "second\n", "third\n"};
    static const double delay[] = {0, 0.05, 0.1};
    struct plan p = {0};

    (void)state;
    ctx.keep_dups = 1;
    p.n = 3;
    p.msg = msg;
    p.delay = delay;
    p.settle = 0.05;
    run_plan(&p);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(cerr[i], 0);
        assert_int_equal(res[i], (int)strlen(msg[i]));
    }
    assert_int_equal(ctx.started, 3);
    assert_int_equal(ctx.fds[1], ctx.fds[0]);
    assert_int_equal(ctx.fds[2], ctx.fds[0]);
    assert_int_equal(ctx.finished, 3);
    assert_int_equal(ctx.cancelled, 0);
}

struct relay {
    int client; /* the other end of the connection */
    int started, done;
    int waiting;     /* the handler waits for "fourth" (napper) */
    int sent_fourth; /* the root has sent it */
    ssize_t n1, n2, n3;
    int idle, err;
    char buf[64];
};

static struct relay relay_ctx;

/* The handler of the next test: its second read starts after bytes
 * have arrived that no event has reported yet.  r->err records a
 * failure of either read. */
static async void relay(int fd, void *arg) {
    struct relay *r = arg;
    int err = 0;

    r->started = 1;
    r->n1 = async_try(await(async_read(fd, r->buf, sizeof(r->buf))), &err);
    if (err == 0) {
        assert_int_equal(write(r->client, "second", 6), 6); /* arrives now */
        r->idle = async__io_idle(fd, ASYNC__IO_IN);
        r->n2 = async_try(
            await(async_wait_for(
                async_read(fd, r->buf + r->n1, sizeof(r->buf) - (size_t)r->n1),
                2.0)),
            &err);
    }
    r->err = err;
    r->done = 1;
}

/*
 * A handler busy elsewhere while bytes arrive: the backend learns of
 * them from the first event and drops the connection from the epoll set
 * at the second (which teaches nothing new), so that more packets do
 * not wake the loop; the handler then reads them without waiting, and
 * its next wait registers the connection again.  r->err records a
 * failure of any await.
 */
static async void napper(int fd, void *arg) {
    struct relay *r = arg;
    size_t have;
    int err = 0;

    r->started = 1;
    r->n1 = async_try(await(async_read(fd, r->buf, sizeof(r->buf))), &err);
    if (err != 0)
        goto out;
    assert_int_equal(write(r->client, "second", 6), 6);
    async_try(await(async_sleep(0.02)), &err);
    if (err != 0)
        goto out;
    assert_int_equal(write(r->client, "third", 5), 5);
    async_try(await(async_sleep(0.02)), &err);
    if (err != 0)
        goto out;
    have = (size_t)r->n1;
    r->n2 = async_try(
        await(async_wait_for(
            async_read(fd, r->buf + have, sizeof(r->buf) - have), 2.0)),
        &err);
    if (err != 0)
        goto out;
    r->waiting = 1; /* the root sends "fourth" */
    have += (size_t)r->n2;
    r->n3 = async_try(
        await(async_wait_for(
            async_read(fd, r->buf + have, sizeof(r->buf) - have), 2.0)),
        &err);
out:
    r->err = err;
    r->done = 1;
}

/* The handler of a relay test, by name (async functions are not values). */
enum relay_handler { RELAY, NAPPER };

static async int serve_relay(int lfd, enum relay_handler h) {
    if (h == RELAY)
        return await(async_serve(lfd, relay, &relay_ctx));
    return await(async_serve(lfd, napper, &relay_ctx));
}

/* Serves on lfd with handler `h` while feeding its connection. */
static async int relay_root(int lfd, enum relay_handler h) {
    async_task *srv = async_spawn(serve_relay(lfd, h));

    assert_non_null(srv);
    /* The handler's read waits. */
    for (int i = 0; !relay_ctx.started && i < 400; i++)
        await(async_sleep(0.005));
    assert_int_equal(write(relay_ctx.client, "first", 5), 5);
    for (int i = 0; !relay_ctx.done && i < 400; i++) {
        if (relay_ctx.waiting && !relay_ctx.sent_fourth) {
            assert_int_equal(write(relay_ctx.client, "fourth", 6), 6);
            relay_ctx.sent_fourth = 1;
        }
        await(async_sleep(0.005));
    }
    async_cancel(srv);
    async_try(await(srv), &serve_err);
    return 0;
}

/* Runs relay_root with `h` as the server's handler, its client connected
 * beforehand. */
static void run_relay(enum relay_handler h) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int lfd;

    results_reset();
    memset(&relay_ctx, 0, sizeof(relay_ctx));
    lfd = async_tcp_listen("127.0.0.1", 0, 8);
    assert_true(lfd >= 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&ss, &len), 0);
    relay_ctx.client = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(relay_ctx.client >= 0);
    /* Completes in the backlog: the server accepts it once it runs. */
    assert_int_equal(connect(relay_ctx.client, (struct sockaddr *)&ss, len), 0);
    assert_int_equal(async_run(relay_root(lfd, h)), 0);
    assert_int_equal(serve_err, ASYNC_ECANCELED);
    close(relay_ctx.client);
    close(lfd);
}

/* A handler's read comes back short, so the backend knows the
 * connection drained and has the next read wait without trying; bytes
 * that arrive before that wait (no event dispatched for them yet) must
 * still wake it. */
static void test_bytes_between_short_read_and_wait(void **state) {
    (void)state;
    run_relay(RELAY);
    assert_int_equal(relay_ctx.err, 0);
    assert_int_equal(relay_ctx.n1, 5);
    assert_int_equal(relay_ctx.idle, 1);
    assert_int_equal(relay_ctx.n2, 6);
    assert_memory_equal(relay_ctx.buf, "firstsecond", 11);
}

/* napper: more bytes arrive while it sleeps (see napper). */
static void test_bytes_while_handler_busy(void **state) {
    (void)state;
    run_relay(NAPPER);
    assert_int_equal(relay_ctx.err, 0);
    assert_int_equal(relay_ctx.n1, 5);
    assert_int_equal(relay_ctx.n2, 11);
    assert_int_equal(relay_ctx.n3, 6);
    assert_memory_equal(relay_ctx.buf, "firstsecondthirdfourth", 22);
}

/* Handlers that fail are reported and counted; connections accepted
 * before and after them are served. */
static void test_handler_failure(void **state) {
    static const char *const msg[] = {"!boom", "first\n", "!again", "after\n"};
    static const double delay[] = {0, 0, 0.02, 0.04};
    struct plan p = {0};

    (void)state;
    p.n = 4;
    p.msg = msg;
    p.delay = delay;
    p.settle = 0.01;
    run_plan(&p);
    assert_int_equal(res[0], 0); /* closed without a reply */
    assert_int_equal(res[1], 6);
    assert_int_equal(res[2], 0);
    assert_int_equal(res[3], 6);
    for (int i = 0; i < 4; i++)
        assert_int_equal(cerr[i], 0);
    assert_int_equal(serve_err, ASYNC_ECANCELED);
    assert_int_equal(served.a.own.accepted, 4);
    assert_int_equal(served.a.own.failed, 2);
    assert_int_equal(ctx.finished, 4);
    assert_int_equal(echo_tasks_left, 0);
}

/* Cancelling the server while 8 handlers wait for data: each is
 * cancelled, and the await ends only after all have finished and their
 * connections are closed (the clients then see end of file).  While
 * serving, the process holds the epoll instance and both ends of each
 * open connection, nothing more. */
static void test_cancel_closes_connections(void **state) {
    static const char *const msg[] = {"", "", "", "", "one\n",
                                      "", "", "", "", "two\n"};
    struct plan p = {0};
    int before;

    (void)state;
    p.n = 10;
    p.msg = msg;
    p.settle = 0.05;
    before = count_fds();
    run_plan(&p);
    /* run_plan's count included the listener; the loop adds epoll. */
    assert_int_equal(fds_during, before + 1 + 1 + 2 * 8);
    assert_int_equal(serve_err, ASYNC_ECANCELED);
    assert_int_equal(started_at_end, 10);
    assert_int_equal(finished_at_end, 10);
    assert_int_equal(ctx.cancelled, 8);
    assert_int_equal(served.a.own.failed, 0); /* cancelled is not failed */
    assert_int_equal(echo_tasks_left, 0);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(cerr[i], 0);
        assert_int_equal(res[i], (int)strlen(msg[i]));
    }
}

/* The listening socket stops listening under the server (shutdown):
 * accept fails with EINVAL, which is not transient, so the server stops
 * as if cancelled and fails with -EINVAL. */
static void test_listener_error_stops(void **state) {
    static const char *const msg[] = {"", "", "x\n"};
    struct plan p = {0};

    (void)state;
    p.n = 3;
    p.msg = msg;
    p.settle = 0.03;
    p.shut_listener = 1;
    run_plan(&p);
    assert_int_equal(serve_err, -EINVAL);
    assert_int_equal(finished_at_end, 3);
    assert_int_equal(ctx.cancelled, 2);
    assert_int_equal(res[2], 2);
    assert_int_equal(echo_tasks_left, 0);
}

/* The spawner fails (out of memory) for the first connection: it alone
 * is closed unserved. */
static void test_spawn_fails(void **state) {
    static const char *const msg[] = {"lost\n", "kept\n"};
    static const double delay[] = {0, 0.02};
    struct plan p = {0};

    (void)state;
    ctx.fail_spawns = 1;
    p.n = 2;
    p.msg = msg;
    p.delay = delay;
    p.settle = 0.01;
    run_plan(&p);
    assert_int_equal(res[0], 0);
    assert_int_equal(res[1], 5);
    assert_int_equal(served.a.own.accepted, 2);
    assert_int_equal(served.a.own.dropped, 1);
    assert_int_equal(served.a.own.failed, 0);
    assert_int_equal(ctx.started, 1);
    assert_int_equal(serve_err, ASYNC_ECANCELED);
}

/* n clients that wait for end of file, and the server under a deadline
 * of `seconds`. */
static async int timed(int lfd, int port, int n, double seconds) {
    async_task *cl[8];

    for (int i = 0; i < n; i++) {
        cl[i] = async_spawn(client(port, "", 0));
        assert_non_null(cl[i]);
    }
    async_try(
        await(async_wait_for(serve_counted(lfd, echo_spawner, &ctx), seconds)),
        &serve_err);
    started_at_end = ctx.started;
    finished_at_end = ctx.finished;
    for (int i = 0; i < n; i++)
        res[i] = async_try(await(cl[i]), &cerr[i]);
    return 0;
}

/* async_wait_for on the server: the timeout cancels it, and it fails
 * with ASYNC_ETIMEDOUT once its handlers are gone. */
static void test_wait_for_timeout(void **state) {
    int before, lfd, port;
    double t0;

    (void)state;
    results_reset();
    lfd = async_tcp_listen("127.0.0.1", 0, 8);
    assert_true(lfd >= 0);
    port = async_local_port(lfd);
    before = count_fds();
    t0 = async_time();
    assert_int_equal(async_run(timed(lfd, port, 3, 0.1)), 0);
    assert_true(async_time() - t0 >= 0.1);
    assert_int_equal(serve_err, ASYNC_ETIMEDOUT);
    assert_int_equal(started_at_end, 3);
    assert_int_equal(finished_at_end, 3);
    assert_int_equal(ctx.cancelled, 3);
    assert_int_equal(served.a.own.accepted, 3);
    assert_int_equal(served.a.own.running, 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(cerr[i], 0);
        assert_int_equal(res[i], 0);
    }
    assert_int_equal(count_fds(), before);
    close(lfd);
}

static int second_err;

/* A server task on lfd, then a second server on the same socket. */
static async int two_servers(int lfd) {
    async_task *srv = async_spawn(serve(lfd, echo_spawner, &ctx));

    assert_non_null(srv);
    await(async_sleep(0)); /* srv waits for connections first */
    async_try(await(async_serve(lfd, echo, &ctx)), &second_err);
    async_cancel(srv);
    async_try(await(srv), &serve_err);
    return 0;
}

/* A second server on a socket that one already waits on fails with
 * -EBUSY; the first one goes on until cancelled. */
static void test_two_servers_one_socket(void **state) {
    int lfd;

    (void)state;
    results_reset();
    lfd = async_tcp_listen("127.0.0.1", 0, 8);
    assert_true(lfd >= 0);
    second_err = 0;
    assert_int_equal(async_run(two_servers(lfd)), 0);
    assert_int_equal(second_err, -EBUSY);
    assert_int_equal(serve_err, ASYNC_ECANCELED);
    close(lfd);
}

static double restored_at;

/* Serves while out of descriptors; lifts the limit (back to *saved)
 * after 0.03 s and waits until two handlers have finished. */
static async int backoff(int lfd, const struct rlimit *saved) {
    async_task *srv = async_spawn(serve(lfd, echo_spawner, &ctx));

    assert_non_null(srv);
    await(async_sleep(0.03));
    assert_int_equal(setrlimit(RLIMIT_NOFILE, saved), 0);
    restored_at = async_time();
    for (int i = 0; ctx.finished < 2 && i < 200; i++)
        await(async_sleep(0.01));
    async_cancel(srv);
    async_try(await(srv), &serve_err);
    note_served(srv);
    return 0;
}

/* Two connections wait in the backlog while the process may not open
 * another descriptor: accept fails with EMFILE and the server pauses,
 * without spinning, until it retries after the limit is lifted; both
 * connections are then served. */
static void test_accept_backoff(void **state) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    struct rlimit saved, low;
    int lfd;
    char reply[2][16];
    int c[2], lowest;
    double t0;

    (void)state;
    /* valgrind enforces the limit itself, after the kernel's accept has
     * taken the connection: it would be lost, not left in the backlog. */
    if (getenv("LD_PRELOAD") != NULL &&
        strstr(getenv("LD_PRELOAD"), "vgpreload") != NULL) {
        skip();
        return;
    }
    results_reset();
    lfd = async_tcp_listen("127.0.0.1", 0, 8);
    assert_true(lfd >= 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&ss, &len), 0);
    for (int i = 0; i < 2; i++) {
        /* Loopback connects complete in the backlog, unaccepted. */
        c[i] = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(c[i] >= 0);
        assert_int_equal(connect(c[i], (struct sockaddr *)&ss, len), 0);
        assert_int_equal(write(c[i], "hi\n", 3), 3);
        assert_int_equal(shutdown(c[i], SHUT_WR), 0);
    }
    /* No new descriptor from here on: the limit is the lowest free one. */
    lowest = fcntl(lfd, F_DUPFD_CLOEXEC, 0);
    assert_true(lowest >= 0);
    close(lowest);
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
    low = saved;
    low.rlim_cur = (rlim_t)lowest;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    t0 = async_time();
    assert_int_equal(async_run(backoff(lfd, &saved)), 0);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
    assert_int_equal(serve_err, ASYNC_ECANCELED);
    assert_int_equal(ctx.started, 2);
    assert_int_equal(ctx.finished, 2);
    assert_int_equal(served.a.own.accepted, 2);
    assert_int_equal(served.a.own.failed, 0);
    /* Served only after the limit was lifted, at the end of the pause. */
    assert_true(ctx.first_start >= restored_at);
    assert_true(ctx.first_start - t0 >= 0.1);
    /* Paused, not spinning: a handful of polls, not thousands. */
    if (served.polls > 20)
        fail_msg("the server was polled %d times", served.polls);
    for (int i = 0; i < 2; i++) {
        ssize_t n = recv(c[i], reply[i], sizeof(reply[i]), MSG_WAITALL);

        assert_int_equal(n, 3);
        assert_memory_equal(reply[i], "hi\n", 3);
        close(c[i]);
    }
    close(lfd);
}

/* Serving with `spawn` on `fd` as the main task: the code it fails with
 * at once. */
static int serve_now(int fd, async_conn_spawner spawn) {
    struct async_serve__frame f;

    async_serve__init(&f, fd, spawn, NULL);
    return RUN(async_serve, &f);
}

static void test_bad_arguments(void **state) {
    int lfd = async_tcp_listen("127.0.0.1", 0, 8);
    int p[2], s;

    (void)state;
    assert_true(lfd >= 0);
    assert_int_equal(serve_now(lfd, NULL), ASYNC_EINVAL);
    assert_int_equal(serve_now(-1, NULL), ASYNC_EINVAL);
    assert_int_equal(serve_now(-1, echo__spawn), -EBADF);
    assert_int_equal(pipe(p), 0);
    assert_int_equal(serve_now(p[0], echo__spawn), -ENOTSOCK);
    close(p[0]);
    close(p[1]);
    assert_int_equal(serve_now(p[0], echo__spawn), -EBADF); /* closed */
    /* Sockets that do not listen: fresh, bound, datagram. */
    s = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(serve_now(s, echo__spawn), ASYNC_EINVAL);
    close(s);
    s = async_tcp_listen("127.0.0.1", 0, 8);
    assert_int_equal(shutdown(s, SHUT_RD), 0);
    assert_int_equal(serve_now(s, echo__spawn), ASYNC_EINVAL);
    close(s);
    s = socket(AF_INET, SOCK_DGRAM, 0);
    assert_int_equal(serve_now(s, echo__spawn), ASYNC_EINVAL);
    close(s);
    assert_int_equal(ctx.started, 0);
    close(lfd);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_many_clients, setup),
        cmocka_unit_test_setup(test_handler_failure, setup),
        cmocka_unit_test_setup(test_cancel_closes_connections, setup),
        cmocka_unit_test_setup(test_listener_error_stops, setup),
        cmocka_unit_test_setup(test_spawn_fails, setup),
        cmocka_unit_test_setup(test_wait_for_timeout, setup),
        cmocka_unit_test_setup(test_two_servers_one_socket, setup),
        cmocka_unit_test_setup(test_accept_backoff, setup),
        cmocka_unit_test_setup(test_bad_arguments, setup),
        cmocka_unit_test_setup(test_number_reused_while_dup_open, setup),
        cmocka_unit_test_setup(test_bytes_between_short_read_and_wait, setup),
        cmocka_unit_test_setup(test_bytes_while_handler_busy, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
