/*
 * test_dns.c -- async_getaddrinfo: localhost, ::1 and 127.0.0.1 resolve
 * to loopback addresses; the resolver's failures come back as the
 * documented ASYNC_EAI_* codes with their messages; a resolution that
 * takes 300 ms (the scripted resolver of resolver.h) does not stop a
 * ticking task; host and service are copied when the await starts;
 * cancelled while the resolver runs, the await fails at once and the
 * request is freed when the resolver returns (the valgrind run checks
 * that nothing leaks); cancelled while queued behind busy workers, it
 * never runs; async_run does not wait for an abandoned resolution.
 * The pool has 2 threads (ASYNCRT_THREADS, set by main).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "internal.h"
#include "resolver.h"

/* ---- async functions ---------------------------------------------- */

/* Resolves host:service as TCP of `family`; stores the first address,
 * numeric, in `first` (when not NULL) and returns how many there were,
 * each checked to be a loopback address in *all_loopback. */
static async int resolve(const char *host, const char *service, int family,
                         char *first, int *all_loopback) {
    struct addrinfo hints, *res = NULL;
    int n = 0;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    await(async_getaddrinfo(host, service, &hints, &res));
    if (all_loopback != NULL)
        *all_loopback = 1;
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next, n++) {
        char buf[64];

        getnameinfo(ai->ai_addr, ai->ai_addrlen, buf, sizeof(buf), NULL, 0,
                    NI_NUMERICHOST);
        if (n == 0 && first != NULL)
            strcpy(first, buf);
        if (all_loopback != NULL && strcmp(buf, "::1") != 0 &&
            strncmp(buf, "127.", 4) != 0)
            *all_loopback = 0;
    }
    freeaddrinfo(res);
    return n;
}

/* The same with the arguments as given (NULL hints or res allowed). */
static async int resolve_raw(const char *host, const char *service,
                             const struct addrinfo *hints, int null_res) {
    struct addrinfo *res = NULL;

    await(async_getaddrinfo(host, service, hints, null_res ? NULL : &res));
    freeaddrinfo(res);
    return 0;
}

static int ticks, stop_ticking;

static async int ticker(void) {
    while (!stop_ticking) {
        ticks++;
        await(async_sleep(0.002));
    }
    return ticks;
}

/* Runs `t` and the ticker; returns t's result, its error in *err. */
static async int with_ticker(const char *host, char *first, int *err) {
    async_task *tick = async_spawn(ticker());
    int n;

    n = async_try(await(resolve(host, "80", AF_UNSPEC, first, NULL)), err);
    stop_ticking = 1;
    await(tick);
    return n;
}

/* Starts resolving `host`, cancels the resolution after `after`
 * seconds and stores in *took how long the cancelled await took to end
 * and in *err how it ended. */
static async int cancel_after(const char *host, double after, double *took,
                              int *err) {
    async_task *t = async_spawn(resolve(host, "80", AF_UNSPEC, NULL, NULL));
    double t0;

    assert_non_null(t);
    await(async_sleep(after));
    t0 = async_time();
    async_cancel(t);
    async_try(await(t), err);
    *took = async_time() - t0;
    return 0;
}

/* Resolves `buf` (a host name) while overwriting buf right after the
 * request has started. */
static async int overwrite_host(char *buf, char *first, int *err) {
    async_task *t = async_spawn(resolve(buf, "80", AF_UNSPEC, first, NULL));

    assert_non_null(t);
    await(async_sleep(0.05)); /* the request has started */
    strcpy(buf, "list:127.0.0.42");
    async_try(await(t), err);
    return 0;
}

/* Fills both workers with slow resolutions, queues a third and cancels
 * it while it waits for a worker. */
static async int cancel_queued(int *errs) {
    async_task *t[3];

    t[0] = async_spawn(resolve("list:127.0.0.1@200", "80", 0, NULL, NULL));
    t[1] = async_spawn(resolve("list:127.0.0.2@200", "80", 0, NULL, NULL));
    t[2] = async_spawn(resolve("list:127.0.0.3", "80", 0, NULL, NULL));
    while (scripted_read(&scripted_started) < 2)
        await(async_sleep(0.005));
    async_cancel(t[2]);
    for (int i = 0; i < 3; i++)
        async_try(await(t[i]), &errs[i]);
    return 0;
}

/* Spawns a slow resolution and ends as soon as it has started: async_run
 * then cancels it. */
static async int leave_running(void) {
    async_task *t = async_spawn(resolve("list:::1@300", "80", 0, NULL, NULL));

    assert_non_null(t);
    while (scripted_read(&scripted_started) < 1)
        await(async_sleep(0.005));
    return 0;
}

/* ---- tests --------------------------------------------------------- */

static int setup(void **state) {
    (void)state;
    scripted_drain();
    scripted_reset();
    async__getaddrinfo_hook = scripted_getaddrinfo;
    ticks = stop_ticking = 0;
    return 0;
}

static void test_numeric_addresses(void **state) {
    char first[64] = "";
    int loop = 0;

    (void)state;
    assert_int_equal(async_run(resolve("127.0.0.1", "80", 0, first, &loop)), 1);
    assert_string_equal(first, "127.0.0.1");
    assert_int_equal(async_run(resolve("::1", "443", 0, first, &loop)), 1);
    assert_string_equal(first, "::1");
    assert_int_equal(loop, 1);
}

/* localhost is a name: it goes through the real resolver (files). */
static void test_localhost(void **state) {
    char first[64] = "";
    int loop = 0, n;

    (void)state;
    n = async_run(resolve("localhost", "80", AF_UNSPEC, first, &loop));
    assert_true(n >= 1);
    assert_int_equal(loop, 1);
    n = async_run(resolve("localhost", "80", AF_INET, first, &loop));
    assert_true(n >= 1);
    assert_string_equal(first, "127.0.0.1");
    assert_int_equal(scripted_read(&scripted_started), 0);
}

/* A service name from /etc/services, and NULL hints. */
static void test_service_and_null_hints(void **state) {
    char first[64] = "";

    (void)state;
    assert_int_equal(async_run(resolve_raw("127.0.0.1", "80", NULL, 0)), 0);
    assert_int_equal(async_run(resolve(NULL, "80", AF_INET, first, NULL)), 1);
    assert_string_equal(first, "127.0.0.1"); /* the loopback: no AI_PASSIVE */
}

static void test_errors(void **state) {
    struct addrinfo bad_family, bad_flags, numeric;
    char script[32];

    (void)state;
    memset(&bad_family, 0, sizeof(bad_family));
    bad_family.ai_family = 12345;
    memset(&bad_flags, 0, sizeof(bad_flags));
    bad_flags.ai_flags = 0x7000000;
    memset(&numeric, 0, sizeof(numeric));
    numeric.ai_flags = AI_NUMERICHOST;

    errno = 0;
    assert_int_equal(async_run(resolve_raw("127.0.0.1", "80", NULL, 1)), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(async_run(resolve_raw(NULL, NULL, NULL, 0)), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(async_run(resolve_raw("127.0.0.1", "80", &bad_family, 0)),
                     -1);
    assert_int_equal(errno, -ASYNC_EAI_FAMILY);
    assert_int_equal(async_run(resolve_raw("127.0.0.1", "80", &bad_flags, 0)),
                     -1);
    assert_int_equal(errno, -ASYNC_EAI_BADFLAGS);
    assert_int_equal(
        async_run(resolve_raw("not an address", "80", &numeric, 0)), -1);
    assert_int_equal(errno, -ASYNC_EAI_NONAME);
    /* The resolver's own failures, from the scripted one. */
    snprintf(script, sizeof(script), "fail:%d", -EAI_AGAIN);
    assert_int_equal(async_run(resolve_raw(script, "80", NULL, 0)), -1);
    assert_int_equal(errno, -ASYNC_EAI_AGAIN);
    snprintf(script, sizeof(script), "fail:%d", -EAI_MEMORY);
    assert_int_equal(async_run(resolve_raw(script, "80", NULL, 0)), -1);
    assert_int_equal(errno, ENOMEM);
}

static void test_error_codes(void **state) {
    static const int codes[] = {ASYNC_EAI_NONAME,  ASYNC_EAI_NODATA,
                                ASYNC_EAI_AGAIN,   ASYNC_EAI_FAIL,
                                ASYNC_EAI_FAMILY,  ASYNC_EAI_SOCKTYPE,
                                ASYNC_EAI_SERVICE, ASYNC_EAI_BADFLAGS};

    (void)state;
    assert_int_equal(async_eai_code(0, 0), 0);
    assert_int_equal(async_eai_code(EAI_NONAME, 0), ASYNC_EAI_NONAME);
    assert_int_equal(async_eai_code(EAI_NODATA, 0), ASYNC_EAI_NODATA);
    assert_int_equal(async_eai_code(EAI_ADDRFAMILY, 0), ASYNC_EAI_NODATA);
    assert_int_equal(async_eai_code(EAI_AGAIN, 0), ASYNC_EAI_AGAIN);
    assert_int_equal(async_eai_code(EAI_FAIL, 0), ASYNC_EAI_FAIL);
    assert_int_equal(async_eai_code(EAI_FAMILY, 0), ASYNC_EAI_FAMILY);
    assert_int_equal(async_eai_code(EAI_SOCKTYPE, 0), ASYNC_EAI_SOCKTYPE);
    assert_int_equal(async_eai_code(EAI_SERVICE, 0), ASYNC_EAI_SERVICE);
    assert_int_equal(async_eai_code(EAI_BADFLAGS, 0), ASYNC_EAI_BADFLAGS);
    assert_int_equal(async_eai_code(EAI_MEMORY, 0), ASYNC_ENOMEM);
    assert_int_equal(async_eai_code(EAI_SYSTEM, EMFILE), -EMFILE);
    assert_int_equal(async_eai_code(EAI_SYSTEM, 0), ASYNC_EAI_FAIL);
    assert_int_equal(async_eai_code(EAI_OVERFLOW, 0), ASYNC_EAI_FAIL);
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        const char *msg = async_strerror(codes[i]);

        assert_string_not_equal(msg, "unknown error");
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(msg, async_strerror(codes[j]));
    }
    assert_string_equal(async_strerror(ASYNC_EAI_NONAME),
                        "name or service not known");
}

/* 300 ms of resolution on a worker: the ticker, every 2 ms, keeps
 * going. */
static void test_slow_resolver_does_not_block(void **state) {
    char first[64] = "";
    int err = -1;
    double t0;

    (void)state;
    t0 = async_time();
    assert_int_equal(
        async_run(with_ticker("list:127.0.0.7,::1@300", first, &err)), 2);
    assert_int_equal(err, 0);
    assert_string_equal(first, "127.0.0.7");
    assert_true(async_time() - t0 >= 0.3);
    assert_true(ticks >= 20); /* about 150 unless the machine crawls */
}

/* The host string is copied: overwriting the caller's buffer after the
 * start does not change what is resolved. */
static void test_host_copied(void **state) {
    char buf[64] = "list:127.0.0.9@100", first[64] = "";
    int err = -1;

    (void)state;
    assert_int_equal(async_run(overwrite_host(buf, first, &err)), 0);
    assert_int_equal(err, 0);
    assert_string_equal(first, "127.0.0.9");
}

/* Cancelled 50 ms into a 300 ms resolution: the await ends at once; the
 * resolver finishes later on its worker, which frees the request and
 * the list. */
static void test_cancel_while_resolving(void **state) {
    double took = -1;
    int err = 0;

    (void)state;
    assert_int_equal(
        async_run(cancel_after("list:127.0.0.1,::1@300", 0.05, &took, &err)),
        0);
    assert_int_equal(err, ASYNC_ECANCELED);
    assert_true(took >= 0 && took < 0.1);
    assert_int_equal(scripted_read(&scripted_started), 1);
    assert_int_equal(scripted_read(&scripted_finished), 0); /* still busy */
    scripted_drain();
    assert_int_equal(scripted_read(&scripted_finished), 1);
}

/* The same for a failing resolution: nothing to free but the request. */
static void test_cancel_while_failing(void **state) {
    char script[32];
    double took = -1;
    int err = 0;

    (void)state;
    snprintf(script, sizeof(script), "fail:%d@200", -EAI_AGAIN);
    assert_int_equal(async_run(cancel_after(script, 0.02, &took, &err)), 0);
    assert_int_equal(err, ASYNC_ECANCELED);
    assert_true(took < 0.1);
    scripted_drain();
}

/* Both workers busy: the third request, cancelled while queued, never
 * reaches the resolver. */
static void test_cancel_while_queued(void **state) {
    int errs[3] = {1, 1, 1};

    (void)state;
    assert_int_equal(async_thread_count(), 2);
    assert_int_equal(async_run(cancel_queued(errs)), 0);
    assert_int_equal(errs[0], 0);
    assert_int_equal(errs[1], 0);
    assert_int_equal(errs[2], ASYNC_ECANCELED);
    usleep(50000);
    assert_int_equal(scripted_read(&scripted_started), 2);
}

/* async_run cancels the resolution it ends with and returns without
 * waiting for the resolver. */
static void test_run_does_not_wait(void **state) {
    double t0;

    (void)state;
    t0 = async_time();
    assert_int_equal(async_run(leave_running()), 0);
    assert_true(async_time() - t0 < 0.2);
    assert_int_equal(scripted_read(&scripted_finished), 0);
    scripted_drain();
    assert_int_equal(scripted_read(&scripted_finished), 1);
}

static int teardown_group(void **state) {
    (void)state;
    scripted_drain();
    async__getaddrinfo_hook = getaddrinfo;
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_numeric_addresses, setup),
        cmocka_unit_test_setup(test_localhost, setup),
        cmocka_unit_test_setup(test_service_and_null_hints, setup),
        cmocka_unit_test_setup(test_errors, setup),
        cmocka_unit_test_setup(test_error_codes, setup),
        cmocka_unit_test_setup(test_slow_resolver_does_not_block, setup),
        cmocka_unit_test_setup(test_host_copied, setup),
        cmocka_unit_test_setup(test_cancel_while_resolving, setup),
        cmocka_unit_test_setup(test_cancel_while_failing, setup),
        cmocka_unit_test_setup(test_cancel_while_queued, setup),
        cmocka_unit_test_setup(test_run_does_not_wait, setup),
    };

    setenv("ASYNCRT_THREADS", "2", 1);
    return cmocka_run_group_tests(tests, NULL, teardown_group);
}
