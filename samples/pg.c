/*
 * pg.c -- PostgreSQL through libpq's non-blocking API, driven by the
 * event loop.  libpq keeps its own socket and protocol state; whenever
 * it would block, the task waits for that socket with
 * async_wait_readable / async_wait_writable and the loop runs other
 * tasks meanwhile.  The async functions below (pg_connect, pg_query,
 * pg_query_timeout and their helpers) are meant to be copied.
 *
 *   pg [CONNINFO]        connect, run a few queries on several
 *                        connections at once, print the results
 *   pg check [CONNINFO]  the scenarios tests/e2e/pg checks: 5 queries
 *                        of pg_sleep(0.5) on 5 connections at once with
 *                        a heartbeat task ticking, parameters, several
 *                        rows, a bad statement, a statement cancelled
 *                        on the server after a timeout and the same
 *                        connection used again
 *
 * CONNINFO is a libpq connection string ("host=127.0.0.1 port=5432
 * user=postgres dbname=postgres") or URI; without it, libpq takes the
 * server from the environment (PGHOST, PGPORT, PGUSER, PGDATABASE...).
 * Exit status: 0, or 1 with a message on stderr when a connection
 * fails or a query does not give what it should.
 *
 * Build: asyncc pg.c -o pg.async.c -- -I/usr/include/postgresql, then
 * link with -lpq (Debian: libpq-dev).
 */
#include <async.h>
#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Waiting for libpq's socket ------------------------------------ */

/* Waits until libpq's socket is writable (`write` nonzero) or readable.
 * Fails with -EBADF when the connection has no socket. */
static async int pg_wait_socket(PGconn *conn, int write) {
    int fd = PQsocket(conn);
    if (fd < 0)
        async_raise(-EBADF);
    if (write)
        await(async_wait_writable(fd));
    else
        await(async_wait_readable(fd));
    return 0;
}

/* ---- Connecting ------------------------------------------------------ */

/* Opens a connection as PQconnectdb does, without blocking the loop:
 * PQconnectStart, then PQconnectPoll each time the socket is ready the
 * way the last poll asked for.  Evaluates to the connection: PQstatus is
 * CONNECTION_OK and it is in non-blocking mode, or CONNECTION_BAD with
 * the reason in PQerrorMessage.  The caller PQfinish-es it either way.
 * NULL when libpq is out of memory.  libpq's connect_timeout does not
 * apply here: put a deadline around the await (async_timeout); a
 * cancelled connect closes the connection. */
static async PGconn *pg_connect(const char *conninfo) {
    PGconn *conn = PQconnectStart(conninfo);
    if (conn == NULL)
        return NULL;
    async_defer {
        if (async_failing())
            PQfinish(conn);
    }
    /* libpq's documentation: behave as if the last poll had asked for
     * writability.  The socket may change between polls (libpq tries
     * each address of a host in turn), so it is read again each time. */
    PostgresPollingStatusType poll = PGRES_POLLING_WRITING;
    while (PQstatus(conn) != CONNECTION_BAD && poll != PGRES_POLLING_OK &&
           poll != PGRES_POLLING_FAILED) {
        await(pg_wait_socket(conn, poll == PGRES_POLLING_WRITING));
        poll = PQconnectPoll(conn);
    }
    if (PQstatus(conn) == CONNECTION_OK && PQsetnonblocking(conn, 1) != 0) {
        PQfinish(conn); /* it fails only when out of memory */
        conn = NULL;
    }
    return conn;
}

/* ---- Sending, reading, results -------------------------------------- */

/* Sends what libpq holds in its output buffer, the way its documentation
 * asks of a non-blocking connection: while PQflush says data remains,
 * wait until the socket is writable or readable, take in what the
 * server sent (it may wait for us to read before it reads more), and
 * flush again.  Evaluates to 0; fails with -EIO when the connection
 * broke (PQerrorMessage says why). */
static async int pg_flush(PGconn *conn) {
    int left;
    while ((left = PQflush(conn)) == 1) {
        int ready = await(
            async_wait_fd(PQsocket(conn), ASYNC_READABLE | ASYNC_WRITABLE));
        if ((ready & ASYNC_READABLE) && !PQconsumeInput(conn))
            async_raise(-EIO);
    }
    if (left < 0)
        async_raise(-EIO);
    return 0;
}

/* Reads until libpq holds a whole result, so that PQgetResult will not
 * block (PQisBusy is 0).  Evaluates to 0; fails with -EIO when the
 * connection broke. */
static async int pg_await_ready(PGconn *conn) {
    while (PQisBusy(conn)) {
        await(pg_wait_socket(conn, 0));
        if (!PQconsumeInput(conn))
            async_raise(-EIO);
    }
    return 0;
}

/* Whether `r` is a failed result. */
static int pg_failed(const PGresult *r) {
    return r != NULL && (PQresultStatus(r) == PGRES_FATAL_ERROR ||
                         PQresultStatus(r) == PGRES_BAD_RESPONSE);
}

/* Collects the results of the command sent, PQgetResult until NULL, as
 * PQexec does: evaluates to the first failed result if one failed, else
 * to the last; the others are cleared.  When the connection broke, a
 * PGRES_FATAL_ERROR result carrying PQerrorMessage.  NULL only when
 * libpq is out of memory. */
static async PGresult *pg_collect(PGconn *conn) {
    PGresult *keep = NULL;
    async_defer {
        if (async_failing())
            PQclear(keep);
    }
    for (;;) {
        int err = 0;
        async_try(await(pg_await_ready(conn)), &err);
        if (err) {
            PQclear(keep);
            return PQmakeEmptyPGresult(conn, PGRES_FATAL_ERROR);
        }
        PGresult *r = PQgetResult(conn);
        if (r == NULL)
            return keep;
        if (pg_failed(keep)) {
            PQclear(r); /* an earlier failure wins */
        } else {
            PQclear(keep);
            keep = r;
        }
    }
}

/* Sends `sql` with `nparams` text parameters (a NULL entry is SQL NULL)
 * and flushes it.  Evaluates to 0; fails with -EIO when it could not be
 * sent (PQerrorMessage says why). */
static async int pg_send(PGconn *conn, const char *sql, int nparams,
                         const char *const *params) {
    if (!PQsendQueryParams(conn, sql, nparams, NULL, params, NULL, NULL, 0))
        async_raise(-EIO);
    await(pg_flush(conn));
    return 0;
}

/* Runs `sql` as PQexecParams does, without blocking the loop: evaluates
 * to its result (see pg_collect), which the caller PQclear-s; a failed
 * statement is a result with PQresultStatus PGRES_FATAL_ERROR, its
 * SQLSTATE in PQresultErrorField(r, PG_DIAG_SQLSTATE).  NULL when the
 * command could not be sent or libpq is out of memory.
 * Cancelled part way, the connection is left in the middle of the
 * command: give it a deadline with pg_query_timeout instead. */
static async PGresult *pg_query(PGconn *conn, const char *sql, int nparams,
                                const char *const *params) {
    int err = 0;
    async_try(await(pg_send(conn, sql, nparams, params)), &err);
    if (err)
        return NULL;
    return await(pg_collect(conn));
}

/* PQcancel blocks (it opens a connection of its own to deliver the
 * request), so it runs on a worker thread. */
struct pg_cancel_call {
    PGcancel *cancel;
    int sent;
    char errbuf[256];
};

static void *pg_cancel_on_thread(void *arg) {
    struct pg_cancel_call *c = arg;
    c->sent = PQcancel(c->cancel, c->errbuf, sizeof c->errbuf);
    return NULL;
}

/* Asks the server to cancel the statement `conn` is running; the
 * statement then fails with SQLSTATE 57014 (query_canceled), unless it
 * finished first.  Evaluates to 0; fails with -EIO when the request
 * could not be delivered (printed on stderr), ASYNC_ENOMEM. */
static async int pg_cancel(PGconn *conn) {
    struct pg_cancel_call call;
    call.cancel = PQgetCancel(conn);
    call.sent = 0;
    call.errbuf[0] = '\0';
    if (call.cancel == NULL)
        async_raise(ASYNC_ENOMEM);
    async_defer { PQfreeCancel(call.cancel); }
    await(async_to_thread(pg_cancel_on_thread, &call));
    if (!call.sent) {
        fprintf(stderr, "pg: cancel request failed: %s", call.errbuf);
        async_raise(-EIO);
    }
    return 0;
}

/* pg_await_ready with a deadline: evaluates to 0 when a result is
 * ready in time, 1 when `seconds` passed first. */
static async int pg_ready_within(PGconn *conn, double seconds) {
    int late = 0;
    async_timeout(seconds, &late) { await(pg_await_ready(conn)); }
    return late != 0;
}

/* pg_query with a deadline: when no result has come after `seconds`, the
 * statement is cancelled on the server (pg_cancel) and its results are
 * still collected, so the connection is ready for the next command.
 * Evaluates to the result as pg_query does: after a cancel, normally an
 * error with SQLSTATE 57014.  `*timed_out` is set to 1 when the deadline
 * passed, else 0. */
static async PGresult *pg_query_timeout(PGconn *conn, const char *sql,
                                        int nparams, const char *const *params,
                                        double seconds, int *timed_out) {
    int err = 0;
    *timed_out = 0;
    async_try(await(pg_send(conn, sql, nparams, params)), &err);
    if (err)
        return NULL;
    /* A broken connection (err) is reported by pg_collect's result. */
    int late = async_try(await(pg_ready_within(conn, seconds)), &err);
    if (late) {
        *timed_out = 1;
        async_try(await(pg_cancel(conn)), &err);
    }
    return await(pg_collect(conn));
}

/* ---- The programs --------------------------------------------------- */

/* The SQLSTATE and first line of a failed result's message. */
static void print_error(const char *what, const PGresult *r) {
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    printf("%s: %s %s\n", what, state ? state : "-----",
           msg ? msg : PQresultErrorMessage(r));
}

/* A result's rows as "a | b" lines, indented. */
static void print_rows(const PGresult *r) {
    for (int i = 0; i < PQntuples(r); i++) {
        printf("   ");
        for (int j = 0; j < PQnfields(r); j++)
            printf(" %s%s", j ? "| " : "",
                   PQgetisnull(r, i, j) ? "NULL" : PQgetvalue(r, i, j));
        printf("\n");
    }
}

/* Connects, or prints why not: NULL then. */
static async PGconn *connect_or_report(const char *conninfo) {
    PGconn *conn = await(pg_connect(conninfo));
    if (conn == NULL) {
        fprintf(stderr, "pg: out of memory\n");
        return NULL;
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "pg: connection failed: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

/* Runs `sql` and checks that it gives rows; prints them under `title`. */
static async int show(PGconn *conn, const char *title, const char *sql) {
    PGresult *r = await(pg_query(conn, sql, 0, NULL));
    if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
        if (r != NULL)
            print_error(title, r);
        else
            fprintf(stderr, "pg: %s", PQerrorMessage(conn));
        PQclear(r);
        return -1;
    }
    printf("%s:\n", title);
    print_rows(r);
    PQclear(r);
    return 0;
}

/* The heartbeat: ticks every 50 ms until cancelled, to show that the
 * loop is never blocked while the queries wait on the server. */
static async void heartbeat(int *ticks) {
    for (;;) {
        await(async_sleep(0.05));
        (*ticks)++;
    }
}

/* One query of `sleep_sql` on its own connection; 0 when it gave a row. */
static async int sleep_query(PGconn *conn, const char *sleep_sql) {
    PGresult *r = await(pg_query(conn, sleep_sql, 0, NULL));
    int ok = r != NULL && PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "pg: sleep query failed: %s",
                r ? PQresultErrorMessage(r) : PQerrorMessage(conn));
    PQclear(r);
    return ok ? 0 : -1;
}

#define NCONN 5

/* NCONN connections opened at once, then one pg_sleep(0.5) on each at
 * once while the heartbeat ticks. */
static async int concurrent_sleeps(const char *conninfo) {
    PGconn *conns[NCONN] = {0};
    async_task *tasks[NCONN] = {0};
    int errs[NCONN];
    int failures = 0;
    async_defer {
        for (int i = 0; i < NCONN; i++)
            if (conns[i] != NULL)
                PQfinish(conns[i]);
    }
    for (int i = 0; i < NCONN; i++)
        tasks[i] = async_spawn(connect_or_report(conninfo));
    for (int i = 0; i < NCONN; i++) {
        if (tasks[i] == NULL)
            async_raise(ASYNC_ENOMEM);
    }
    await(async_gather_tasks(tasks, NCONN, errs));
    for (int i = 0; i < NCONN; i++) {
        if (errs[i] == 0)
            conns[i] = async_task_result(tasks[i], PGconn *);
        async_task_release(tasks[i]);
        if (conns[i] == NULL)
            failures++;
    }
    if (failures)
        return -1;

    int ticks = 0;
    async_task *beat = async_spawn(heartbeat(&ticks));
    double start = async_time();
    for (int i = 0; i < NCONN; i++)
        tasks[i] = async_spawn(sleep_query(conns[i], "SELECT pg_sleep(0.5)"));
    for (int i = 0; i < NCONN; i++)
        if (tasks[i] == NULL)
            async_raise(ASYNC_ENOMEM);
    await(async_gather_tasks(tasks, NCONN, errs));
    double took = async_time() - start;
    for (int i = 0; i < NCONN; i++) {
        if (errs[i] != 0 || async_task_result(tasks[i], int) != 0)
            failures++;
        async_task_release(tasks[i]);
    }
    if (beat != NULL) {
        int ignored;
        async_cancel(beat);
        async_try(await(beat), &ignored);
        async_task_release(beat);
    }
    printf("concurrent: %d queries of pg_sleep(0.5) on %d connections in "
           "%.2f s, %d failed; heartbeat ticked %d times\n",
           NCONN, NCONN, took, failures, ticks);
    return failures ? -1 : 0;
}

/* A statement that outlives its 0.3 s deadline is cancelled on the
 * server; the same connection then runs the next query. */
static async int timeout_and_cancel(PGconn *conn) {
    int timed_out = 0;
    double start = async_time();
    PGresult *r = await(pg_query_timeout(conn, "SELECT pg_sleep(10)", 0, NULL,
                                         0.3, &timed_out));
    double took = async_time() - start;
    if (r == NULL) {
        fprintf(stderr, "pg: %s", PQerrorMessage(conn));
        return -1;
    }
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    printf("timeout: %s after %.2f s: ",
           timed_out ? "cancelled" : "not cancelled", took);
    print_error("result", r);
    int ok = timed_out && state != NULL && strcmp(state, "57014") == 0;
    PQclear(r);

    const char *params[1] = {"42"};
    r = await(pg_query(conn, "SELECT $1::int", 1, params));
    if (r != NULL && PQresultStatus(r) == PGRES_TUPLES_OK) {
        printf("after cancel: the same connection, SELECT 42 -> %s\n",
               PQgetvalue(r, 0, 0));
    } else {
        printf("after cancel: the connection is not usable\n");
        ok = 0;
    }
    PQclear(r);
    return ok ? 0 : -1;
}

static async int check(const char *conninfo) {
    if (await(concurrent_sleeps(conninfo)) != 0)
        return -1;

    PGconn *conn = await(connect_or_report(conninfo));
    if (conn == NULL)
        return -1;
    async_defer { PQfinish(conn); }

    const char *params[3] = {"2", "40", "asyncc"};
    PGresult *r =
        await(pg_query(conn, "SELECT $1::int + $2::int, upper($3)", 3, params));
    if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "pg: the parameter query failed\n");
        PQclear(r);
        return -1;
    }
    printf("params: 2 + 40 = %s, upper('asyncc') = %s\n", PQgetvalue(r, 0, 0),
           PQgetvalue(r, 0, 1));
    PQclear(r);

    if (await(show(conn, "rows",
                   "SELECT n, repeat('*', n) FROM generate_series(1, 3) n")))
        return -1;

    r = await(pg_query(conn, "SELEC 1", 0, NULL));
    if (r == NULL || PQresultStatus(r) != PGRES_FATAL_ERROR) {
        fprintf(stderr, "pg: the bad statement did not fail\n");
        PQclear(r);
        return -1;
    }
    print_error("bad statement", r);
    PQclear(r);

    return await(timeout_and_cancel(conn));
}

/* The demonstration: three queries on three connections at once. */
static async int demo_one(const char *conninfo, const char *title,
                          const char *sql) {
    PGconn *conn = await(connect_or_report(conninfo));
    if (conn == NULL)
        return -1;
    async_defer { PQfinish(conn); }
    return await(show(conn, title, sql));
}

static async int demo(const char *conninfo) {
    int a = 0, b = 0, c = 0;
    await(async_gather(
        a = demo_one(conninfo, "server",
                     "SELECT current_user, version(), now()::text"),
        b = demo_one(conninfo, "squares",
                     "SELECT n, n * n FROM generate_series(1, 5) n"),
        c = demo_one(conninfo, "slept 0.2 s",
                     "SELECT pg_sleep(0.2)::text, clock_timestamp()")));
    return a || b || c ? -1 : 0;
}

int main(int argc, char **argv) {
    int checking = argc > 1 && strcmp(argv[1], "check") == 0;
    int arg = checking ? 2 : 1;
    if (argc > arg + 1 || (argc == arg + 1 && argv[arg][0] == '-')) {
        fprintf(stderr, "usage: %s [check] [CONNINFO]\n", argv[0]);
        return 2;
    }
    /* "" makes libpq take everything from the environment. */
    const char *conninfo = argc > arg ? argv[arg] : "";
    int rc = checking ? async_run(check(conninfo)) : async_run(demo(conninfo));
    return rc == 0 ? 0 : 1;
}
