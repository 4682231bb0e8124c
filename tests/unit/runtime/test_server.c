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

/* The descriptors this process has open. */
static int count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
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

/*
 * The handler: echoes what it reads until end of file; a read starting
 * with '!' makes it fail.
 *
 * async void echo(int fd, void *arg) {
 *     struct server_ctx *c = arg;
 *     char buf[64];
 *     ssize_t n;
 *     int err = 0;
 *     started(c, fd);
 *     while ((n = async_try(await(async_read(fd, buf, 64)), &err)) > 0) {
 *         if (buf[0] == '!') {
 *             err = -EIO;
 *             break;
 *         }
 *         async_try(await(async_write(fd, buf, n)), &err);
 *         if (err)
 *             break;
 *     }
 *     c->finished++;
 *     if (err == ASYNC_ECANCELED)
 *         c->cancelled++;
 *     if (err)
 *         async_raise(err);
 * }
 */
struct echo__frame {
    int _state;
    int fd;
    void *arg;
    char buf[64];
    ssize_t n;
    int err;
    union {
        struct async_read__frame r;
        struct async_write__frame w;
    } _aw;
};

static void echo__init(struct echo__frame *f, int fd, void *arg) {
    f->_state = 0;
    f->fd = fd;
    f->arg = arg;
}

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

static int echo__resume(void *frame) {
    struct echo__frame *f = frame;
    struct server_ctx *c = f->arg;
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
    started(c, f->fd);
    f->err = 0;
    for (;;) {
        async_read__init(&f->_aw.r, f->fd, f->buf, sizeof(f->buf));
        f->_state = 1;
    await1:
        if ((r = async_read__resume(&f->_aw.r)) != ASYNC__READY) {
            if (r == ASYNC__PENDING)
                return r;
            f->err = async__take_error();
            break;
        }
        if ((f->n = f->_aw.r._ret) == 0)
            break;
        if (f->buf[0] == '!') {
            f->err = -EIO;
            break;
        }
        async_write__init(&f->_aw.w, f->fd, f->buf, (size_t)f->n);
        f->_state = 2;
    await2:
        if ((r = async_write__resume(&f->_aw.w)) != ASYNC__READY) {
            if (r == ASYNC__PENDING)
                return r;
            f->err = async__take_error();
            break;
        }
    }
    c->finished++;
    if (f->err == ASYNC_ECANCELED)
        c->cancelled++;
    f->_state = -1;
    return f->err != 0 ? async__raise(f->err) : ASYNC__READY;
}

/* What asyncc generates as echo__spawn, which async_serve receives for
 * `echo`; it fails (as when out of memory) while ctx.fail_spawns > 0. */
static async_task *echo__spawn(int fd, void *arg) {
    async_task *t;

    if (ctx.fail_spawns > 0) {
        ctx.fail_spawns--;
        return NULL;
    }
    t = test_task_new(sizeof(struct echo__frame), echo__resume, "echo", 0, 0,
                      ASYNC__RESULT_NONE);
    if (t != NULL) {
        echo__init(async__task_frame(t), fd, arg);
        async__task_start(t);
    }
    return t;
}

/*
 * A client: sends `msg` and reads until the echo is complete, or until
 * end of file when msg is empty.  Evaluates to the length echoed (0 when
 * the server closed without a reply), -1 for a wrong reply.
 *
 * async int client(int port, const char *msg, double delay) {
 *     char reply[64];
 *     size_t len = strlen(msg), n = 0;
 *     await(async_sleep(delay));
 *     int fd = await(async_tcp_connect("127.0.0.1", port, 5));
 *     if (len > 0)
 *         await(async_write(fd, msg, len));
 *     do {
 *         ssize_t k = await(async_read(fd, reply + n, sizeof(reply) - n));
 *         if (k == 0)
 *             break;
 *         n += k;
 *     } while (len == 0 || n < len);
 *     close(fd);
 *     return n == 0 ? 0 : n == len && !memcmp(reply, msg, n) ? n : -1;
 * }
 * (The fd is closed on the failure paths too.)
 */
struct client__frame {
    int _state;
    int port;
    const char *msg;
    double delay;
    char reply[64];
    size_t len, n;
    int fd;
    union {
        struct async_sleep__frame s;
        struct async_tcp_connect__frame c;
        struct async_write__frame w;
        struct async_read__frame r;
    } _aw;
    int _ret;
};

static int client__resume(void *frame) {
    struct client__frame *f = frame;
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
    case 4:
        goto await4;
    default:
        return ASYNC__READY;
    }
    f->fd = -1;
    f->len = strlen(f->msg);
    f->n = 0;
    async_sleep__init(&f->_aw.s, f->delay);
    f->_state = 1;
await1:
    if ((r = async_sleep__resume(&f->_aw.s)) != ASYNC__READY)
        goto exit;
    async_tcp_connect__init(&f->_aw.c, "127.0.0.1", f->port, 5);
    f->_state = 2;
await2:
    if ((r = async_tcp_connect__resume(&f->_aw.c)) != ASYNC__READY)
        goto exit;
    f->fd = f->_aw.c._ret;
    if (f->len > 0) {
        async_write__init(&f->_aw.w, f->fd, f->msg, f->len);
        f->_state = 3;
    await3:
        if ((r = async_write__resume(&f->_aw.w)) != ASYNC__READY)
            goto exit;
    }
    do {
        async_read__init(&f->_aw.r, f->fd, f->reply + f->n,
                         sizeof(f->reply) - f->n);
        f->_state = 4;
    await4:
        if ((r = async_read__resume(&f->_aw.r)) != ASYNC__READY)
            goto exit;
        if (f->_aw.r._ret == 0)
            break;
        f->n += (size_t)f->_aw.r._ret;
    } while (f->len == 0 || f->n < f->len);
    close(f->fd);
    if (f->n == 0)
        f->_ret = 0;
    else if (f->n == f->len && memcmp(f->reply, f->msg, f->n) == 0)
        f->_ret = (int)f->n;
    else
        f->_ret = -1;
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED) {
        if (f->fd >= 0)
            close(f->fd);
        f->_state = -1;
    }
    return r;
}

static async_task *spawn_client(int port, const char *msg, double delay) {
    async_task *t =
        test_task_new(sizeof(struct client__frame), client__resume, "client",
                      offsetof(struct client__frame, _ret), sizeof(int),
                      ASYNC__RESULT_SIGNED);
    struct client__frame *f;

    assert_non_null(t);
    f = async__task_frame(t);
    f->_state = 0;
    f->port = port;
    f->msg = msg;
    f->delay = delay;
    async__task_start(t);
    return t;
}

/*
 * async int serve(int lfd, async_conn_spawner spawn, void *arg) {
 *     return await(async_serve(lfd, spawn, arg));
 * }
 * as a task of its own, counting its polls; when it ends, it copies its
 * frame (the server's counters) to `served`.
 */
struct serve__frame {
    int _state;
    int polls;
    struct async_serve__frame a;
    int _ret;
};

static struct serve__frame served; /* the last one, when it ended */

static int serve__resume(void *frame) {
    struct serve__frame *f = frame;
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

static async_task *spawn_serve(int lfd, async_conn_spawner spawn, void *arg) {
    async_task *t = test_task_new(sizeof(struct serve__frame), serve__resume,
                                  "serve", offsetof(struct serve__frame, _ret),
                                  sizeof(int), ASYNC__RESULT_SIGNED);
    struct serve__frame *f;

    assert_non_null(t);
    f = async__task_frame(t);
    f->_state = 0;
    f->polls = 0;
    async_serve__init(&f->a, lfd, spawn, arg);
    async__task_start(t);
    return t;
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

/*
 * async int scenario(const struct plan *p) {
 *     async_task *srv = async_spawn(serve(p->lfd, echo__spawn, &ctx));
 *     async_task *cl[MAX_CLIENTS];
 *     for (int i = 0; i < p->n; i++)
 *         cl[i] = async_spawn(client(p->port, p->msg[i], delay(i)));
 *     for (each i whose msg is not empty)
 *         res[i] = async_try(await(cl[i]), &cerr[i]);
 *     await(async_sleep(p->settle));
 *     fds_during = count_fds();
 *     if (p->shut_listener)
 *         shutdown(p->lfd, SHUT_RD);
 *     else
 *         async_cancel(srv);
 *     async_try(await(srv), &serve_err);
 *     note_served(srv);
 *     for (each i whose msg is empty)
 *         res[i] = async_try(await(cl[i]), &cerr[i]);
 *     return 0;
 * }
 */
struct scenario__frame {
    int _state;
    const struct plan *p;
    async_task *srv;
    async_task *cl[MAX_CLIENTS];
    int i;
    int idle; /* 0: joining the talking clients, 1: the idle ones */
    union {
        struct async_join__frame j;
        struct async_sleep__frame s;
    } _aw;
    int _ret;
};

static int scenario__resume(void *frame) {
    struct scenario__frame *f = frame;
    const struct plan *p = f->p;
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
    f->srv = spawn_serve(p->lfd, echo__spawn, &ctx);
    for (f->i = 0; f->i < p->n; f->i++)
        f->cl[f->i] = spawn_client(p->port, p->msg[f->i],
                                   p->delay != NULL ? p->delay[f->i] : 0);
    for (f->idle = 0; f->idle < 2; f->idle++) {
        for (f->i = 0; f->i < p->n; f->i++) {
            if ((p->msg[f->i][0] == '\0') != f->idle)
                continue;
            async_join__init(&f->_aw.j, f->cl[f->i]);
            f->_state = 1;
        await1:
            if ((r = async_join__resume(&f->_aw.j)) == ASYNC__PENDING)
                return r;
            res[f->i] = r == ASYNC__READY ? f->_aw.j._ret : 0;
            cerr[f->i] = r == ASYNC__FAILED ? async__take_error() : 0;
        }
        if (f->idle)
            break;
        async_sleep__init(&f->_aw.s, p->settle);
        f->_state = 2;
    await2:
        if ((r = async_sleep__resume(&f->_aw.s)) != ASYNC__READY)
            goto exit;
        fds_during = count_fds();
        if (p->shut_listener)
            assert_int_equal(shutdown(p->lfd, SHUT_RD), 0);
        else
            async_cancel(f->srv);
        async_join__init(&f->_aw.j, f->srv);
        f->_state = 3;
    await3:
        if ((r = async_join__resume(&f->_aw.j)) == ASYNC__PENDING)
            return r;
        serve_err = r == ASYNC__FAILED ? async__take_error() : 0;
        note_served(f->srv);
    }
    f->_ret = 0;
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

/* Runs `p` on a fresh listener, checking that the process has the same
 * descriptors afterwards. */
static void run_plan(struct plan *p) {
    struct scenario__frame f;
    int before;

    results_reset();
    p->lfd = async_tcp_listen("127.0.0.1", 0, 128);
    assert_true(p->lfd >= 0);
    p->port = async_local_port(p->lfd);
    assert_true(p->port > 0);
    before = count_fds();
    memset(&f, 0, sizeof(f));
    f.p = p;
    assert_int_equal(RUN(scenario, &f), 0);
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
    assert_int_equal(served.a.accepted, MAX_CLIENTS);
    assert_int_equal(served.a.dropped, 0);
    assert_int_equal(served.a.failed, 0);
    assert_int_equal(served.a.running, 0);
    assert_null(served.a.conns);
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

/*
 * The handler of the next test: its second read starts after bytes
 * have arrived that no event has reported yet.
 *
 * async void relay(int fd, void *arg) {
 *     struct relay *r = arg;
 *     r->n1 = await(async_read(fd, r->buf, 64));   // waits for "first"
 *     write(r->client, "second", 6);               // arrives at fd now
 *     r->idle = async__io_idle(fd, ASYNC__IO_IN);
 *     r->n2 = await(async_wait_for(async_read(fd, r->buf + r->n1,
 *                                             64 - r->n1), 2.0));
 * }
 * (r->err records a failure of either read.)
 */
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

struct relay__frame {
    int _state;
    int fd;
    struct relay *r;
    union {
        struct async_read__frame rd;
        struct {
            async__wait_for w;
            async__child t0;
            struct async_read__frame c0;
        } wf;
    } _aw;
};

static int relay__resume(void *frame) {
    struct relay__frame *f = frame;
    struct relay *r = f->r;
    int rc;

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
    r->started = 1;
    async_read__init(&f->_aw.rd, f->fd, r->buf, sizeof(r->buf));
    f->_state = 1;
await1:
    if ((rc = async_read__resume(&f->_aw.rd)) == ASYNC__PENDING)
        return rc;
    if (rc == ASYNC__FAILED)
        goto fail;
    r->n1 = f->_aw.rd._ret;
    assert_int_equal(write(r->client, "second", 6), 6);
    r->idle = async__io_idle(f->fd, ASYNC__IO_IN);
    async__wait_for_init(&f->_aw.wf.w, 2.0);
    async_read__init(&f->_aw.wf.c0, f->fd, r->buf + r->n1,
                     sizeof(r->buf) - (size_t)r->n1);
    async__wait_for_add(&f->_aw.wf.w, &f->_aw.wf.t0, async_read__resume,
                        &f->_aw.wf.c0, "async_read");
    f->_state = 2;
await2:
    if ((rc = async__wait_for_poll(&f->_aw.wf.w)) == ASYNC__PENDING)
        return rc;
    if (rc == ASYNC__FAILED)
        goto fail;
    r->n2 = f->_aw.wf.c0._ret;
    r->done = 1;
    f->_state = -1;
    return ASYNC__READY;
fail:
    r->err = async__take_error();
    r->done = 1;
    f->_state = -1;
    return ASYNC__READY;
}

static async_task *relay__spawn(int fd, void *arg) {
    async_task *t = test_task_new(sizeof(struct relay__frame), relay__resume,
                                  "relay", 0, 0, ASYNC__RESULT_NONE);
    struct relay__frame *f;

    if (t != NULL) {
        f = async__task_frame(t);
        f->_state = 0;
        f->fd = fd;
        f->r = arg;
        async__task_start(t);
    }
    return t;
}

/*
 * async int relay_root(int lfd, async_conn_spawner spawn) {
 *     async_task *srv = async_spawn(serve(lfd, spawn, &relay_ctx));
 *     while (!relay_ctx.started)          // the handler's read waits
 *         await(async_sleep(0.005));
 *     write(relay_ctx.client, "first", 5);
 *     for (int i = 0; !relay_ctx.done && i < 400; i++) {
 *         if (relay_ctx.waiting && !relay_ctx.sent_fourth)
 *             send "fourth" to the handler, once;
 *         await(async_sleep(0.005));
 *     }
 *     async_cancel(srv);
 *     async_try(await(srv), &serve_err);
 *     return 0;
 * }
 */
struct relay_root__frame {
    int _state;
    int lfd;
    async_conn_spawner spawn;
    async_task *srv;
    int i;
    union {
        struct async_sleep__frame s;
        struct async_join__frame j;
    } _aw;
    int _ret;
};

static int relay_root__resume(void *frame) {
    struct relay_root__frame *f = frame;
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
    f->srv = spawn_serve(f->lfd, f->spawn, &relay_ctx);
    for (f->i = 0; !relay_ctx.started && f->i < 400; f->i++) {
        async_sleep__init(&f->_aw.s, 0.005);
        f->_state = 1;
    await1:
        if ((r = async_sleep__resume(&f->_aw.s)) != ASYNC__READY)
            goto exit;
    }
    assert_int_equal(write(relay_ctx.client, "first", 5), 5);
    for (f->i = 0; !relay_ctx.done && f->i < 400; f->i++) {
        if (relay_ctx.waiting && !relay_ctx.sent_fourth) {
            assert_int_equal(write(relay_ctx.client, "fourth", 6), 6);
            relay_ctx.sent_fourth = 1;
        }
        async_sleep__init(&f->_aw.s, 0.005);
        f->_state = 2;
    await2:
        if ((r = async_sleep__resume(&f->_aw.s)) != ASYNC__READY)
            goto exit;
    }
    async_cancel(f->srv);
    async_join__init(&f->_aw.j, f->srv);
    f->_state = 3;
await3:
    if ((r = async_join__resume(&f->_aw.j)) == ASYNC__PENDING)
        return r;
    serve_err = r == ASYNC__FAILED ? async__take_error() : 0;
    f->_ret = 0;
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

/* A handler's read comes back short, so the backend knows the
 * connection drained and has the next read wait without trying; bytes
 * that arrive before that wait (no event dispatched for them yet) must
 * still wake it. */
/* Runs relay_root with `spawn` as the server's handler, its client
 * connected beforehand. */
static void run_relay(async_conn_spawner spawn) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    struct relay_root__frame f;

    results_reset();
    memset(&relay_ctx, 0, sizeof(relay_ctx));
    memset(&f, 0, sizeof(f));
    f.spawn = spawn;
    f.lfd = async_tcp_listen("127.0.0.1", 0, 8);
    assert_true(f.lfd >= 0);
    assert_int_equal(getsockname(f.lfd, (struct sockaddr *)&ss, &len), 0);
    relay_ctx.client = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(relay_ctx.client >= 0);
    /* Completes in the backlog: the server accepts it once it runs. */
    assert_int_equal(connect(relay_ctx.client, (struct sockaddr *)&ss, len), 0);
    assert_int_equal(RUN(relay_root, &f), 0);
    assert_int_equal(serve_err, ASYNC_ECANCELED);
    close(relay_ctx.client);
    close(f.lfd);
}

/* A handler's read comes back short, so the backend knows the
 * connection drained and has the next read wait without trying; bytes
 * that arrive before that wait (no event dispatched for them yet) must
 * still wake it. */
static void test_bytes_between_short_read_and_wait(void **state) {
    (void)state;
    run_relay(relay__spawn);
    assert_int_equal(relay_ctx.err, 0);
    assert_int_equal(relay_ctx.n1, 5);
    assert_int_equal(relay_ctx.idle, 1);
    assert_int_equal(relay_ctx.n2, 6);
    assert_memory_equal(relay_ctx.buf, "firstsecond", 11);
}

/*
 * A handler busy elsewhere while bytes arrive: the backend learns of
 * them from the first event and drops the connection from the epoll set
 * at the second (which teaches nothing new), so that more packets do
 * not wake the loop; the handler then reads them without waiting, and
 * its next wait registers the connection again.
 *
 * async void napper(int fd, void *arg) {
 *     struct relay *r = arg;
 *     r->n1 = await(async_read(fd, r->buf, 64));     // waits for "first"
 *     write(r->client, "second", 6);
 *     await(async_sleep(0.02));
 *     write(r->client, "third", 5);
 *     await(async_sleep(0.02));
 *     r->n2 = await(async_wait_for(async_read(fd, ...), 2.0));
 *     r->waiting = 1;                                 // the root sends
 *     r->n3 = await(async_wait_for(async_read(fd, ...), 2.0)); // "fourth"
 * }
 */
struct napper__frame {
    int _state;
    int fd;
    struct relay *r;
    union {
        struct async_read__frame rd;
        struct async_sleep__frame sl;
        struct {
            async__wait_for w;
            async__child t0;
            struct async_read__frame c0;
        } wf;
    } _aw;
};

/* Sets up an async_read of what is left of r->buf under a 2 s limit. */
static void napper_read_within(struct napper__frame *f, size_t have) {
    async__wait_for_init(&f->_aw.wf.w, 2.0);
    async_read__init(&f->_aw.wf.c0, f->fd, f->r->buf + have,
                     sizeof(f->r->buf) - have);
    async__wait_for_add(&f->_aw.wf.w, &f->_aw.wf.t0, async_read__resume,
                        &f->_aw.wf.c0, "async_read");
}

static int napper__resume(void *frame) {
    struct napper__frame *f = frame;
    struct relay *r = f->r;
    int rc;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    case 2:
        goto await2;
    case 3:
        goto await3;
    case 4:
        goto await4;
    case 5:
        goto await5;
    default:
        return ASYNC__READY;
    }
    r->started = 1;
    async_read__init(&f->_aw.rd, f->fd, r->buf, sizeof(r->buf));
    f->_state = 1;
await1:
    if ((rc = async_read__resume(&f->_aw.rd)) == ASYNC__PENDING)
        return rc;
    if (rc == ASYNC__FAILED)
        goto fail;
    r->n1 = f->_aw.rd._ret;
    assert_int_equal(write(r->client, "second", 6), 6);
    async_sleep__init(&f->_aw.sl, 0.02);
    f->_state = 2;
await2:
    if ((rc = async_sleep__resume(&f->_aw.sl)) == ASYNC__PENDING)
        return rc;
    if (rc == ASYNC__FAILED)
        goto fail;
    assert_int_equal(write(r->client, "third", 5), 5);
    async_sleep__init(&f->_aw.sl, 0.02);
    f->_state = 3;
await3:
    if ((rc = async_sleep__resume(&f->_aw.sl)) == ASYNC__PENDING)
        return rc;
    if (rc == ASYNC__FAILED)
        goto fail;
    napper_read_within(f, (size_t)r->n1);
    f->_state = 4;
await4:
    if ((rc = async__wait_for_poll(&f->_aw.wf.w)) == ASYNC__PENDING)
        return rc;
    if (rc == ASYNC__FAILED)
        goto fail;
    r->n2 = f->_aw.wf.c0._ret;
    r->waiting = 1;
    napper_read_within(f, (size_t)(r->n1 + r->n2));
    f->_state = 5;
await5:
    if ((rc = async__wait_for_poll(&f->_aw.wf.w)) == ASYNC__PENDING)
        return rc;
    if (rc == ASYNC__FAILED)
        goto fail;
    r->n3 = f->_aw.wf.c0._ret;
    r->done = 1;
    f->_state = -1;
    return ASYNC__READY;
fail:
    r->err = async__take_error();
    r->done = 1;
    f->_state = -1;
    return ASYNC__READY;
}

static async_task *napper__spawn(int fd, void *arg) {
    async_task *t = test_task_new(sizeof(struct napper__frame), napper__resume,
                                  "napper", 0, 0, ASYNC__RESULT_NONE);
    struct napper__frame *f;

    if (t != NULL) {
        f = async__task_frame(t);
        f->_state = 0;
        f->fd = fd;
        f->r = arg;
        async__task_start(t);
    }
    return t;
}

static void test_bytes_while_handler_busy(void **state) {
    (void)state;
    run_relay(napper__spawn);
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
    assert_int_equal(served.a.accepted, 4);
    assert_int_equal(served.a.failed, 2);
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
    assert_int_equal(served.a.failed, 0); /* cancelled is not failed */
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
    assert_int_equal(served.a.accepted, 2);
    assert_int_equal(served.a.dropped, 1);
    assert_int_equal(served.a.failed, 0);
    assert_int_equal(ctx.started, 1);
    assert_int_equal(serve_err, ASYNC_ECANCELED);
}

/*
 * async int timed(int lfd, int port, int n, double seconds) {
 *     async_task *cl[n];
 *     for (int i = 0; i < n; i++)
 *         cl[i] = async_spawn(client(port, "", 0));
 *     async_try(await(async_wait_for(async_serve(lfd, echo__spawn, &ctx),
 *                                    seconds)), &serve_err);
 *     for (int i = 0; i < n; i++)
 *         res[i] = async_try(await(cl[i]), &cerr[i]);
 *     return 0;
 * }
 */
struct timed__frame {
    int _state;
    int lfd, port, n;
    double seconds;
    async_task *cl[8];
    int i;
    struct {
        async__wait_for w;
        async__child t;
        struct async_serve__frame c;
    } _wf;
    struct async_join__frame _a2;
    int _ret;
};

static int timed__resume(void *frame) {
    struct timed__frame *f = frame;
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
    for (f->i = 0; f->i < f->n; f->i++)
        f->cl[f->i] = spawn_client(f->port, "", 0);
    async_serve__init(&f->_wf.c, f->lfd, echo__spawn, &ctx);
    async__wait_for_init(&f->_wf.w, f->seconds);
    async__wait_for_add(&f->_wf.w, &f->_wf.t, async_serve__resume, &f->_wf.c,
                        "async_serve");
    f->_state = 1;
await1:
    if ((r = async__wait_for_poll(&f->_wf.w)) == ASYNC__PENDING)
        return r;
    serve_err = r == ASYNC__FAILED ? async__take_error() : 0;
    started_at_end = ctx.started;
    finished_at_end = ctx.finished;
    for (f->i = 0; f->i < f->n; f->i++) {
        async_join__init(&f->_a2, f->cl[f->i]);
        f->_state = 2;
    await2:
        if ((r = async_join__resume(&f->_a2)) == ASYNC__PENDING)
            return r;
        res[f->i] = r == ASYNC__READY ? f->_a2._ret : 0;
        cerr[f->i] = r == ASYNC__FAILED ? async__take_error() : 0;
    }
    f->_ret = 0;
    f->_state = -1;
    return ASYNC__READY;
}

/* async_wait_for on the server: the timeout cancels it, and it fails
 * with ASYNC_ETIMEDOUT once its handlers are gone. */
static void test_wait_for_timeout(void **state) {
    struct timed__frame f;
    int before;
    double t0;

    (void)state;
    results_reset();
    memset(&f, 0, sizeof(f));
    f.lfd = async_tcp_listen("127.0.0.1", 0, 8);
    assert_true(f.lfd >= 0);
    f.port = async_local_port(f.lfd);
    f.n = 3;
    f.seconds = 0.1;
    before = count_fds();
    t0 = async_time();
    assert_int_equal(RUN(timed, &f), 0);
    assert_true(async_time() - t0 >= 0.1);
    assert_int_equal(serve_err, ASYNC_ETIMEDOUT);
    assert_int_equal(started_at_end, 3);
    assert_int_equal(finished_at_end, 3);
    assert_int_equal(ctx.cancelled, 3);
    assert_int_equal(f._wf.c.accepted, 3);
    assert_int_equal(f._wf.c.running, 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(cerr[i], 0);
        assert_int_equal(res[i], 0);
    }
    assert_int_equal(count_fds(), before);
    close(f.lfd);
}

/*
 * async int two_servers(int lfd) {
 *     async_task *srv = async_spawn(serve(lfd, echo__spawn, &ctx));
 *     await(async_sleep(0));     // srv waits for connections first
 *     async_try(await(async_serve(lfd, echo__spawn, &ctx)), &second_err);
 *     async_cancel(srv);
 *     async_try(await(srv), &serve_err);
 *     return 0;
 * }
 */
static int second_err;

struct two_servers__frame {
    int _state;
    int lfd;
    async_task *srv;
    union {
        struct async_sleep__frame s;
        struct async_serve__frame v;
        struct async_join__frame j;
    } _aw;
    int _ret;
};

static int two_servers__resume(void *frame) {
    struct two_servers__frame *f = frame;
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
    f->srv = spawn_serve(f->lfd, echo__spawn, &ctx);
    async_sleep__init(&f->_aw.s, 0);
    f->_state = 1;
await1:
    if ((r = async_sleep__resume(&f->_aw.s)) != ASYNC__READY)
        goto exit;
    async_serve__init(&f->_aw.v, f->lfd, echo__spawn, &ctx);
    f->_state = 2;
await2:
    if ((r = async_serve__resume(&f->_aw.v)) == ASYNC__PENDING)
        return r;
    second_err = r == ASYNC__FAILED ? async__take_error() : 0;
    async_cancel(f->srv);
    async_join__init(&f->_aw.j, f->srv);
    f->_state = 3;
await3:
    if ((r = async_join__resume(&f->_aw.j)) == ASYNC__PENDING)
        return r;
    serve_err = r == ASYNC__FAILED ? async__take_error() : 0;
    f->_ret = 0;
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

/* A second server on a socket that one already waits on fails with
 * -EBUSY; the first one goes on until cancelled. */
static void test_two_servers_one_socket(void **state) {
    struct two_servers__frame f;

    (void)state;
    results_reset();
    memset(&f, 0, sizeof(f));
    f.lfd = async_tcp_listen("127.0.0.1", 0, 8);
    assert_true(f.lfd >= 0);
    second_err = 0;
    assert_int_equal(RUN(two_servers, &f), 0);
    assert_int_equal(second_err, -EBUSY);
    assert_int_equal(serve_err, ASYNC_ECANCELED);
    close(f.lfd);
}

/*
 * async int backoff(int lfd, struct rlimit *saved) {
 *     async_task *srv = async_spawn(serve(lfd, echo__spawn, &ctx));
 *     await(async_sleep(0.03));
 *     setrlimit(RLIMIT_NOFILE, saved);
 *     restored_at = async_time();
 *     for (int i = 0; ctx.finished < 2 && i < 200; i++)
 *         await(async_sleep(0.01));
 *     async_cancel(srv);
 *     async_try(await(srv), &serve_err);
 *     note_served(srv);
 *     return 0;
 * }
 */
static double restored_at;

struct backoff__frame {
    int _state;
    int lfd;
    const struct rlimit *saved;
    async_task *srv;
    int i;
    union {
        struct async_sleep__frame s;
        struct async_join__frame j;
    } _aw;
    int _ret;
};

static int backoff__resume(void *frame) {
    struct backoff__frame *f = frame;
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
    f->srv = spawn_serve(f->lfd, echo__spawn, &ctx);
    async_sleep__init(&f->_aw.s, 0.03);
    f->_state = 1;
await1:
    if ((r = async_sleep__resume(&f->_aw.s)) != ASYNC__READY)
        goto exit;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, f->saved), 0);
    restored_at = async_time();
    for (f->i = 0; ctx.finished < 2 && f->i < 200; f->i++) {
        async_sleep__init(&f->_aw.s, 0.01);
        f->_state = 2;
    await2:
        if ((r = async_sleep__resume(&f->_aw.s)) != ASYNC__READY)
            goto exit;
    }
    async_cancel(f->srv);
    async_join__init(&f->_aw.j, f->srv);
    f->_state = 3;
await3:
    if ((r = async_join__resume(&f->_aw.j)) == ASYNC__PENDING)
        return r;
    serve_err = r == ASYNC__FAILED ? async__take_error() : 0;
    note_served(f->srv);
    f->_ret = 0;
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

/* Two connections wait in the backlog while the process may not open
 * another descriptor: accept fails with EMFILE and the server pauses,
 * without spinning, until it retries after the limit is lifted; both
 * connections are then served. */
static void test_accept_backoff(void **state) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    struct rlimit saved, low;
    struct backoff__frame f;
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
    memset(&f, 0, sizeof(f));
    f.lfd = async_tcp_listen("127.0.0.1", 0, 8);
    assert_true(f.lfd >= 0);
    assert_int_equal(getsockname(f.lfd, (struct sockaddr *)&ss, &len), 0);
    for (int i = 0; i < 2; i++) {
        /* Loopback connects complete in the backlog, unaccepted. */
        c[i] = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(c[i] >= 0);
        assert_int_equal(connect(c[i], (struct sockaddr *)&ss, len), 0);
        assert_int_equal(write(c[i], "hi\n", 3), 3);
        assert_int_equal(shutdown(c[i], SHUT_WR), 0);
    }
    /* No new descriptor from here on: the limit is the lowest free one. */
    lowest = fcntl(f.lfd, F_DUPFD_CLOEXEC, 0);
    assert_true(lowest >= 0);
    close(lowest);
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
    low = saved;
    low.rlim_cur = (rlim_t)lowest;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    f.saved = &saved;
    t0 = async_time();
    assert_int_equal(RUN(backoff, &f), 0);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
    assert_int_equal(serve_err, ASYNC_ECANCELED);
    assert_int_equal(ctx.started, 2);
    assert_int_equal(ctx.finished, 2);
    assert_int_equal(served.a.accepted, 2);
    assert_int_equal(served.a.failed, 0);
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
    close(f.lfd);
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
