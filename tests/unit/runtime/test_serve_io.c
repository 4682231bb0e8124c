/*
 * test_serve_io.c -- reading and writing the connections of async_serve,
 * which io_uring receives into the loop's buffer ring and sends with the
 * loop's wait (poll_uring_io.c), and epoll reads and writes with system
 * calls: the same results on both backends (ctest runs this file on
 * each).  Reads smaller than what came get the rest in order, then the
 * end of the stream; a ring of two buffers runs dry and nothing is lost
 * or reordered; bytes that come while no read waits (after a read timed
 * out) wait for the next read; a peer's reset fails the read with
 * -ECONNRESET; a blocked write that times out reports exactly what the
 * peer then receives; a write to a closed peer fails with -EPIPE or
 * -ECONNRESET; many connections at once are all accepted (io_uring: by
 * the listener's multishot accept); a server stopped at its connection
 * limit, with connections accepted and not handed out (io_uring) or in
 * the backlog (epoll), ends them all; a readiness wait after a read
 * that left bytes received ends at once.  Every test ends with the process's
 * descriptors back to where they were.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "fds.h"

#include "internal.h"
#include "io.h"

enum {
    SMALL_TOTAL = 10000,
    SMALL_READ = 7,
    DRY_CLIENTS = 4,
    DRY_EACH = 65536,
    BIG_WRITE = 8 << 20
};

static struct {
    int started, done;
    int phase;       /* test steps the root and a handler agree on */
    int err;         /* the handler's last failure */
    int rx_used;     /* io_uring: the handler's connection reads the ring */
    size_t got;      /* bytes the handler read */
    size_t bad;      /* of those, bytes not as sent */
    int eofs;        /* handlers that read the end of the stream */
    size_t written;  /* async_write_counted's count */
    size_t received; /* bytes the client received */
    int serve_err;   /* the server's end: ASYNC_ECANCELED */
    unsigned char data[SMALL_TOTAL];
} ts;

static unsigned char big[BIG_WRITE];

static int setup(void **state) {
    (void)state;
    memset(&ts, 0, sizeof(ts));
    return 0;
}

/* Byte k of the stream that client `c` sends. */
static unsigned char pattern(size_t k, unsigned c) {
    return (unsigned char)(k * 31 + c * 7 + (k >> 8));
}

/* Whether `fd`'s reads go through io_uring's buffer ring. */
static int reads_ring(int fd) {
    async__io *io = async__loop_io();

    return (size_t)fd < io->n_slots && io->slots[fd].rx != NULL;
}

/* ---------------------------------------------------------------- */

/* Reads 7 bytes at a time until the end of the stream. */
static async void small_reader(int fd, void *arg) {
    unsigned char buf[SMALL_READ];
    ssize_t n;
    int err = 0;

    (void)arg;
    ts.started = 1;
    while ((n = async_try(await(async_read(fd, buf, sizeof buf)), &err)) > 0) {
        memcpy(ts.data + ts.got, buf, (size_t)n);
        ts.got += (size_t)n;
        ts.rx_used |= reads_ring(fd);
    }
    ts.err = err;
    ts.eofs += err == 0 && n == 0;
    ts.done = 1;
}

static async int small_root(int lfd) {
    unsigned char msg[SMALL_TOTAL];
    async_task *srv = async_spawn(async_serve(lfd, small_reader, NULL));
    int fd = await(async_tcp_connect("127.0.0.1", async_local_port(lfd), 5));

    for (size_t k = 0; k < sizeof msg; k++)
        msg[k] = pattern(k, 1);
    await(async_write(fd, msg, sizeof msg)); /* one write, few segments */
    close(fd);
    for (int i = 0; !ts.done && i < 400; i++)
        await(async_sleep(0.005));
    async_cancel(srv);
    async_try(await(srv), &ts.serve_err);
    ts.bad = (size_t)memcmp(ts.data, msg, sizeof msg);
    return 0;
}

static void test_reads_smaller_than_received(void **state) {
    int fds = count_fds();
    int lfd = async_tcp_listen("127.0.0.1", 0, 8);

    (void)state;
    assert_true(lfd >= 0);
    assert_int_equal(async_run(small_root(lfd)), 0);
    close(lfd);
    assert_int_equal(ts.err, 0);
    assert_int_equal(ts.got, SMALL_TOTAL);
    assert_int_equal(ts.bad, 0);
    assert_int_equal(ts.eofs, 1);
    if (strcmp(async_backend_name(), "io_uring") == 0)
        assert_int_equal(ts.rx_used, 1);
    assert_int_equal(count_fds(), fds);
}

/* ---------------------------------------------------------------- */

/* Sleeps while its client's 64 KiB pile up, then reads 1000 bytes at a
 * time, checking each against the client's pattern (whose number is the
 * first byte's). */
static async void slow_reader(int fd, void *arg) {
    unsigned char buf[1000];
    size_t k = 0;
    unsigned c = 0;
    ssize_t n;
    int err = 0;

    (void)arg;
    await(async_sleep(0.05));
    while ((n = async_try(await(async_read(fd, buf, sizeof buf)), &err)) > 0) {
        if (k == 0)
            c = buf[0] == pattern(0, 1)   ? 1
                : buf[0] == pattern(0, 2) ? 2
                : buf[0] == pattern(0, 3) ? 3
                                          : 0;
        for (ssize_t i = 0; i < n; i++, k++)
            ts.bad += buf[i] != pattern(k, c);
        ts.got += (size_t)n;
    }
    if (err != 0)
        ts.err = err;
    ts.eofs += err == 0 && n == 0;
    ts.done++;
}

static async void dry_client(int port, unsigned c) {
    static unsigned char msg[DRY_CLIENTS][DRY_EACH];
    int fd = await(async_tcp_connect("127.0.0.1", port, 5));

    for (size_t k = 0; k < DRY_EACH; k++)
        msg[c][k] = pattern(k, c);
    await(async_write(fd, msg[c], DRY_EACH));
    close(fd);
}

static async int dry_root(int lfd) {
    async_task *srv = async_spawn(async_serve(lfd, slow_reader, NULL));
    int port = async_local_port(lfd);

    /* Client numbers 0..3: pattern(0, c) tells them apart. */
    await(async_gather(dry_client(port, 0), dry_client(port, 1),
                       dry_client(port, 2), dry_client(port, 3)));
    for (int i = 0; ts.done < DRY_CLIENTS && i < 1000; i++)
        await(async_sleep(0.005));
    ts.rx_used = async__loop_io()->rx_dry > 0;
    async_cancel(srv);
    async_try(await(srv), &ts.serve_err);
    return 0;
}

static void test_ring_runs_dry(void **state) {
    int fds = count_fds();
    int lfd = async_tcp_listen("127.0.0.1", 0, 8);

    (void)state;
    assert_true(lfd >= 0);
    assert_int_equal(setenv("ASYNCRT_TEST_URING_BUFS", "2", 1), 0);
    assert_int_equal(async_run(dry_root(lfd)), 0);
    unsetenv("ASYNCRT_TEST_URING_BUFS");
    close(lfd);
    assert_int_equal(ts.err, 0);
    assert_int_equal(ts.done, DRY_CLIENTS);
    assert_int_equal(ts.eofs, DRY_CLIENTS);
    assert_int_equal(ts.got, (size_t)DRY_CLIENTS * DRY_EACH);
    assert_int_equal(ts.bad, 0);
    /* Two buffers for 256 KiB: io_uring ran out, and said so. */
    if (strcmp(async_backend_name(), "io_uring") == 0)
        assert_int_equal(ts.rx_used, 1);
    assert_int_equal(count_fds(), fds);
}

/* ---------------------------------------------------------------- */

/* A read that times out with nothing; bytes sent then, while nobody
 * reads, are read by the next read. */
static async void patient_reader(int fd, void *arg) {
    char buf[64];
    ssize_t n;
    int err = 0;

    (void)arg;
    ts.started = 1;
    async_try(await(async_wait_for(async_read(fd, buf, sizeof buf), 0.05)),
              &err);
    if (err != ASYNC_ETIMEDOUT) {
        ts.err = err != 0 ? err : -1;
        ts.done = 1;
        return;
    }
    ts.phase = 1; /* the root sends "hello" */
    await(async_sleep(0.05));
    ts.rx_used = reads_ring(fd);
    n = async_try(await(async_wait_for(async_read(fd, buf, sizeof buf), 1.0)),
                  &err);
    ts.err = err;
    if (n > 0) {
        memcpy(ts.data, buf, (size_t)n);
        ts.got = (size_t)n;
    }
    ts.done = 1;
}

static async int patient_root(int lfd) {
    async_task *srv = async_spawn(async_serve(lfd, patient_reader, NULL));
    int fd = await(async_tcp_connect("127.0.0.1", async_local_port(lfd), 5));

    for (int i = 0; ts.phase == 0 && !ts.done && i < 400; i++)
        await(async_sleep(0.005));
    await(async_write(fd, "hello", 5));
    for (int i = 0; !ts.done && i < 400; i++)
        await(async_sleep(0.005));
    close(fd);
    async_cancel(srv);
    async_try(await(srv), &ts.serve_err);
    return 0;
}

static void test_bytes_kept_after_cancelled_read(void **state) {
    int fds = count_fds();
    int lfd = async_tcp_listen("127.0.0.1", 0, 8);

    (void)state;
    assert_true(lfd >= 0);
    assert_int_equal(async_run(patient_root(lfd)), 0);
    close(lfd);
    assert_int_equal(ts.err, 0);
    assert_int_equal(ts.got, 5);
    assert_memory_equal(ts.data, "hello", 5);
    if (strcmp(async_backend_name(), "io_uring") == 0)
        assert_int_equal(ts.rx_used, 1);
    assert_int_equal(count_fds(), fds);
}

/* ---------------------------------------------------------------- */

static async void reset_reader(int fd, void *arg) {
    char buf[64];
    int err = 0;

    (void)arg;
    ts.started = 1;
    async_try(await(async_wait_for(async_read(fd, buf, sizeof buf), 2.0)),
              &err);
    ts.err = err;
    ts.done = 1;
}

static async int reset_root(int lfd) {
    struct linger lg = {1, 0};
    async_task *srv = async_spawn(async_serve(lfd, reset_reader, NULL));
    int fd = await(async_tcp_connect("127.0.0.1", async_local_port(lfd), 5));

    for (int i = 0; !ts.started && i < 400; i++)
        await(async_sleep(0.005));
    await(async_sleep(0.01)); /* its read waits */
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    close(fd); /* a reset */
    for (int i = 0; !ts.done && i < 400; i++)
        await(async_sleep(0.005));
    async_cancel(srv);
    async_try(await(srv), &ts.serve_err);
    return 0;
}

static void test_peer_reset(void **state) {
    int fds = count_fds();
    int lfd = async_tcp_listen("127.0.0.1", 0, 8);

    (void)state;
    assert_true(lfd >= 0);
    assert_int_equal(async_run(reset_root(lfd)), 0);
    close(lfd);
    assert_int_equal(ts.done, 1);
    assert_int_equal(ts.err, -ECONNRESET);
    assert_int_equal(count_fds(), fds);
}

/* ---------------------------------------------------------------- */

/* Writes 8 MiB to a client that does not read, for 0.2 s. */
static async void blocked_writer(int fd, void *arg) {
    int err = 0;

    (void)arg;
    async_try(await(async_wait_for(
                  async_write_counted(fd, big, sizeof big, &ts.written), 0.2)),
              &err);
    ts.err = err;
    ts.done = 1;
}

static async int blocked_root(int lfd) {
    static unsigned char buf[65536];
    async_task *srv = async_spawn(async_serve(lfd, blocked_writer, NULL));
    int fd = await(async_tcp_connect("127.0.0.1", async_local_port(lfd), 5));
    ssize_t n;

    for (int i = 0; !ts.done && i < 400; i++)
        await(async_sleep(0.005));
    /* The handler is done, its connection closed: read all it sent. */
    while ((n = await(async_read(fd, buf, sizeof buf))) > 0) {
        for (ssize_t i = 0; i < n; i++)
            ts.bad += buf[i] != big[ts.received + (size_t)i];
        ts.received += (size_t)n;
    }
    close(fd);
    async_cancel(srv);
    async_try(await(srv), &ts.serve_err);
    return 0;
}

static void test_write_timeout_counts_exactly(void **state) {
    int fds = count_fds();
    int lfd = async_tcp_listen("127.0.0.1", 0, 8);

    (void)state;
    for (size_t k = 0; k < sizeof big; k++)
        big[k] = pattern(k, 5);
    assert_true(lfd >= 0);
    assert_int_equal(async_run(blocked_root(lfd)), 0);
    close(lfd);
    assert_int_equal(ts.err, ASYNC_ETIMEDOUT);
    assert_true(ts.written > 0);
    assert_true(ts.written < sizeof big);
    assert_int_equal(ts.received, ts.written);
    assert_int_equal(ts.bad, 0);
    assert_int_equal(count_fds(), fds);
}

/* ---------------------------------------------------------------- */

/* Waits for the client's end of stream, then writes until that fails. */
static async void closed_writer(int fd, void *arg) {
    char buf[16];
    int err = 0;

    (void)arg;
    await(async_read(fd, buf, sizeof buf)); /* 0: the client closed */
    for (int i = 0; err == 0 && i < 1000; i++)
        async_try(await(async_write(fd, big, 65536)), &err);
    ts.err = err;
    ts.done = 1;
}

static async int closed_root(int lfd) {
    async_task *srv = async_spawn(async_serve(lfd, closed_writer, NULL));
    int fd = await(async_tcp_connect("127.0.0.1", async_local_port(lfd), 5));

    close(fd);
    for (int i = 0; !ts.done && i < 400; i++)
        await(async_sleep(0.005));
    async_cancel(srv);
    async_try(await(srv), &ts.serve_err);
    return 0;
}

static void test_write_to_closed_peer(void **state) {
    int fds = count_fds();
    int lfd = async_tcp_listen("127.0.0.1", 0, 8);

    (void)state;
    assert_true(lfd >= 0);
    assert_int_equal(async_run(closed_root(lfd)), 0);
    close(lfd);
    assert_int_equal(ts.done, 1);
    assert_true(ts.err == -EPIPE || ts.err == -ECONNRESET);
    assert_int_equal(count_fds(), fds);
}

/* ---------------------------------------------------------------- */

enum { MANY = 150, LIMITED = 10 };

/* Echoes one byte. */
static async void one_byte_echo(int fd, void *arg) {
    char c;

    (void)arg;
    if (await(async_read(fd, &c, 1)) == 1)
        await(async_write(fd, &c, 1));
    ts.done++;
}

static async void one_byte_client(int port, int i) {
    char c = (char)i, back = 0;
    int fd = await(async_tcp_connect("127.0.0.1", port, 5));

    await(async_write(fd, &c, 1));
    if (await(async_read(fd, &back, 1)) == 1 && back == c)
        ts.got++;
    close(fd);
}

static async int many_root(int lfd) {
    async_task *srv = async_spawn(async_serve(lfd, one_byte_echo, NULL));
    async_task *c[MANY];
    int port = async_local_port(lfd);

    for (int i = 0; i < MANY; i++)
        c[i] = async_spawn(one_byte_client(port, i));
    for (int i = 0; i < MANY; i++)
        await(c[i]);
    /* io_uring: the listener's connections came from its multishot
     * accept. */
    ts.rx_used = async__loop_io()->slots[lfd].acc != NULL;
    async_cancel(srv);
    async_try(await(srv), &ts.serve_err);
    return 0;
}

static void test_many_connections_accepted(void **state) {
    int fds = count_fds();
    int lfd = async_tcp_listen("127.0.0.1", 0, 256);

    (void)state;
    assert_true(lfd >= 0);
    assert_int_equal(async_run(many_root(lfd)), 0);
    close(lfd);
    assert_int_equal(ts.got, MANY);
    assert_int_equal(ts.done, MANY);
    assert_int_equal(ts.serve_err, ASYNC_ECANCELED);
    if (strcmp(async_backend_name(), "io_uring") == 0)
        assert_int_equal(ts.rx_used, 1);
    assert_int_equal(count_fds(), fds);
}

/* Holds its connection until cancelled. */
static async void holder(int fd, void *arg) {
    (void)fd;
    (void)arg;
    ts.started++;
    await(async_sleep(30));
}

/* A client that connects and then waits for the server to end its
 * connection: end of stream or reset, not a hang. */
static async void waiting_client(int port) {
    char c;
    int err = 0;
    int fd = await(async_tcp_connect("127.0.0.1", port, 5));

    while (ts.phase == 0)
        await(async_sleep(0.005));
    ssize_t n =
        async_try(await(async_wait_for(async_read(fd, &c, 1), 2.0)), &err);
    if ((err == 0 && n == 0) || err == -ECONNRESET)
        ts.eofs++;
    close(fd);
}

static async int limited_root(int lfd) {
    async_serve_limits lim = {30, 2};
    async_task *srv = async_spawn(async_serve_with(lfd, holder, NULL, &lim));
    async_task *c[LIMITED];
    int port = async_local_port(lfd);

    for (int i = 0; i < LIMITED; i++)
        c[i] = async_spawn(waiting_client(port));
    for (int i = 0; ts.started < 2 && i < 400; i++)
        await(async_sleep(0.005));
    await(async_sleep(0.05)); /* the others queue, or wait in the backlog */
    async_cancel(srv);
    async_try(await(srv), &ts.serve_err);
    close(lfd); /* the backlog's connections are reset */
    ts.phase = 1;
    for (int i = 0; i < LIMITED; i++)
        await(c[i]);
    return 0;
}

static void test_stop_with_connections_queued(void **state) {
    int fds = count_fds();
    int lfd = async_tcp_listen("127.0.0.1", 0, 64);

    (void)state;
    assert_true(lfd >= 0);
    assert_int_equal(async_run(limited_root(lfd)), 0);
    assert_int_equal(ts.started, 2);
    assert_int_equal(ts.serve_err, ASYNC_ECANCELED);
    assert_int_equal(ts.eofs, LIMITED);
    assert_int_equal(count_fds(), fds);
}

/* ---------------------------------------------------------------- */

/* Reads 4 bytes of 11, waits for readability (the other 7 are there,
 * received already on io_uring), reads them. */
static async void part_reader(int fd, void *arg) {
    char buf[16];
    ssize_t n;
    int err = 0;

    (void)arg;
    n = await(async_read(fd, buf, 4));
    while (n < 4 && err == 0) /* a first segment shorter than 4 */
        n += async_try(await(async_read(fd, buf + n, 4 - (size_t)n)), &err);
    ts.got = (size_t)n;
    async_try(await(async_wait_for(async_wait_readable(fd), 1.0)), &err);
    if (err == 0) {
        n = await(async_read(fd, buf + 4, sizeof buf - 4));
        ts.got += (size_t)n;
        memcpy(ts.data, buf, ts.got);
    }
    ts.err = err;
    ts.done = 1;
}

static async int part_root(int lfd) {
    async_task *srv = async_spawn(async_serve(lfd, part_reader, NULL));
    int fd = await(async_tcp_connect("127.0.0.1", async_local_port(lfd), 5));

    await(async_write(fd, "hello world", 11));
    for (int i = 0; !ts.done && i < 400; i++)
        await(async_sleep(0.005));
    close(fd);
    async_cancel(srv);
    async_try(await(srv), &ts.serve_err);
    return 0;
}

static void test_readable_with_bytes_received(void **state) {
    int fds = count_fds();
    int lfd = async_tcp_listen("127.0.0.1", 0, 8);

    (void)state;
    assert_true(lfd >= 0);
    assert_int_equal(async_run(part_root(lfd)), 0);
    close(lfd);
    assert_int_equal(ts.err, 0);
    assert_int_equal(ts.got, 11);
    assert_memory_equal(ts.data, "hello world", 11);
    assert_int_equal(count_fds(), fds);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reads_smaller_than_received, setup),
        cmocka_unit_test_setup(test_ring_runs_dry, setup),
        cmocka_unit_test_setup(test_bytes_kept_after_cancelled_read, setup),
        cmocka_unit_test_setup(test_peer_reset, setup),
        cmocka_unit_test_setup(test_write_timeout_counts_exactly, setup),
        cmocka_unit_test_setup(test_write_to_closed_peer, setup),
        cmocka_unit_test_setup(test_many_connections_accepted, setup),
        cmocka_unit_test_setup(test_stop_with_connections_queued, setup),
        cmocka_unit_test_setup(test_readable_with_bytes_received, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
