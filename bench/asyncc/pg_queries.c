/*
 * pg_queries.c -- PostgreSQL queries per second through libpq, each
 * connection a task that waits for libpq's socket with
 * async_wait_readable / async_wait_writable (samples/pg.c explains the
 * calls).
 *
 *   pg_queries N HOST PORT KIND [DEPTH]
 *
 * N queries in all over 8 connections (user and database postgres),
 * each a prepared statement: KIND select1 is `SELECT 1`, KIND row1k
 * returns its parameter and a 1024-byte text.  DEPTH 1 (the default)
 * sends a query when the previous one has answered, as the other
 * systems' drivers do; DEPTH > 1 uses libpq's pipeline mode with up to
 * DEPTH queries in flight per connection (two batches of DEPTH / 2,
 * each ended by a sync).  Prints bench.h's JSON line; the check is the
 * sum of every row's first column plus the lengths of the second.
 */
#include "bench.h"

#include <async.h>
#include <errno.h>
#include <libpq-fe.h>

#define NCONN 8

static const char *const SQL_SELECT1 = "SELECT 1";
static const char *const SQL_ROW1K =
    "SELECT $1::int, repeat(md5($1::text), 32)";

struct job {
    PGconn *conn;
    long queries; /* this connection's share of N */
    int row1k;
    int depth;
    double check;
};

static async int wait_fd(PGconn *conn, int write) {
    if (write)
        await(async_wait_writable(PQsocket(conn)));
    else
        await(async_wait_readable(PQsocket(conn)));
    return 0;
}

static async PGconn *connect_db(const char *conninfo) {
    PGconn *conn = PQconnectStart(conninfo);
    PostgresPollingStatusType poll = PGRES_POLLING_WRITING;
    while (conn != NULL && PQstatus(conn) != CONNECTION_BAD &&
           poll != PGRES_POLLING_OK && poll != PGRES_POLLING_FAILED) {
        await(wait_fd(conn, poll == PGRES_POLLING_WRITING));
        poll = PQconnectPoll(conn);
    }
    if (conn == NULL || PQstatus(conn) != CONNECTION_OK ||
        PQsetnonblocking(conn, 1) != 0) {
        fprintf(stderr, "pg_queries: %s",
                conn ? PQerrorMessage(conn) : "out of memory\n");
        exit(1);
    }
    return conn;
}

/* Sends what libpq holds (libpq reads on its own when a write would
 * block, so waiting for writability alone cannot deadlock here: the
 * queries are small). */
static async int flush(PGconn *conn) {
    int left;
    while ((left = PQflush(conn)) == 1)
        await(wait_fd(conn, 1));
    if (left < 0) {
        fprintf(stderr, "pg_queries: %s", PQerrorMessage(conn));
        exit(1);
    }
    return 0;
}

/* The next result, read without blocking the loop. */
static async PGresult *next_result(PGconn *conn) {
    while (PQisBusy(conn)) {
        await(wait_fd(conn, 0));
        if (!PQconsumeInput(conn)) {
            fprintf(stderr, "pg_queries: %s", PQerrorMessage(conn));
            exit(1);
        }
    }
    return PQgetResult(conn);
}

static void send_query(struct job *j, long i) {
    char id[24];
    const char *params[1] = {id};
    snprintf(id, sizeof id, "%ld", i);
    if (!PQsendQueryPrepared(j->conn, "q", j->row1k ? 1 : 0,
                             j->row1k ? params : NULL, NULL, NULL, 0)) {
        fprintf(stderr, "pg_queries: %s", PQerrorMessage(j->conn));
        exit(1);
    }
}

static void take_row(struct job *j, PGresult *r) {
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        fprintf(stderr, "pg_queries: %s", PQresultErrorMessage(r));
        exit(1);
    }
    j->check += strtod(PQgetvalue(r, 0, 0), NULL);
    if (j->row1k)
        j->check += PQgetlength(r, 0, 1);
}

/* One query at a time. */
static async int run_serial(struct job *j) {
    for (long i = 0; i < j->queries; i++) {
        send_query(j, i);
        await(flush(j->conn));
        PGresult *r;
        while ((r = await(next_result(j->conn))) != NULL) {
            take_row(j, r);
            PQclear(r);
        }
    }
    return 0;
}

/* Pipeline mode: batches of `batch` queries, each ended by a sync, two
 * batches in flight. */
static async int run_pipelined(struct job *j) {
    long batch = j->depth / 2 > 0 ? j->depth / 2 : 1;
    long sent = 0, done = 0;
    int syncs_pending = 0;
    if (!PQenterPipelineMode(j->conn)) {
        fprintf(stderr, "pg_queries: %s", PQerrorMessage(j->conn));
        exit(1);
    }
    while (done < j->queries) {
        while (syncs_pending < 2 && sent < j->queries) {
            for (long k = 0; k < batch && sent < j->queries; k++)
                send_query(j, sent++);
            PQpipelineSync(j->conn);
            syncs_pending++;
        }
        await(flush(j->conn));
        /* One batch: a result and a NULL per query, then the sync. */
        for (;;) {
            PGresult *r = await(next_result(j->conn));
            if (r == NULL)
                continue;
            if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
                PQclear(r);
                syncs_pending--;
                break;
            }
            take_row(j, r);
            PQclear(r);
            done++;
        }
    }
    return 0;
}

static async int run_job(struct job *j) {
    if (j->depth > 1)
        await(run_pipelined(j));
    else
        await(run_serial(j));
    return 0;
}

static async int prepare(struct job *j) {
    const char *sql = j->row1k ? SQL_ROW1K : SQL_SELECT1;
    if (!PQsendPrepare(j->conn, "q", sql, 0, NULL)) {
        fprintf(stderr, "pg_queries: %s", PQerrorMessage(j->conn));
        exit(1);
    }
    await(flush(j->conn));
    PGresult *r;
    while ((r = await(next_result(j->conn))) != NULL) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            fprintf(stderr, "pg_queries: %s", PQresultErrorMessage(r));
            exit(1);
        }
        PQclear(r);
    }
    return 0;
}

static long n_total;
static int depth = 1;
static int row1k;
static char conninfo[256];
static struct job jobs[NCONN];

static async int amain(void) {
    async_task *t[NCONN];
    int errs[NCONN];
    for (int i = 0; i < NCONN; i++) {
        jobs[i].conn = await(connect_db(conninfo));
        jobs[i].queries = n_total / NCONN + (i < n_total % NCONN);
        jobs[i].row1k = row1k;
        jobs[i].depth = depth;
        await(prepare(&jobs[i]));
    }
    long rss_before = bench_status_kb("VmRSS");
    double start = bench_now();
    for (int i = 0; i < NCONN; i++)
        t[i] = async_spawn(run_job(&jobs[i]));
    await(async_gather_tasks(t, NCONN, errs));
    double seconds = bench_now() - start;
    double check = 0;
    for (int i = 0; i < NCONN; i++) {
        if (errs[i] != 0) {
            fprintf(stderr, "pg_queries: %s\n", async_strerror(errs[i]));
            return 1;
        }
        async_task_release(t[i]);
        check += jobs[i].check;
        PQfinish(jobs[i].conn);
    }
    bench_report(row1k ? "pg_row1k" : "pg_select1", "asyncc", n_total, seconds,
                 (double)n_total, rss_before, check);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 5 || argc > 6 ||
        (strcmp(argv[4], "select1") != 0 && strcmp(argv[4], "row1k") != 0)) {
        fprintf(stderr, "usage: %s N HOST PORT select1|row1k [DEPTH]\n",
                argv[0]);
        return 2;
    }
    n_total = bench_arg_n(argc, argv, 1);
    row1k = strcmp(argv[4], "row1k") == 0;
    depth = argc > 5 ? atoi(argv[5]) : 1;
    if (depth < 1) {
        fprintf(stderr, "bad DEPTH '%s'\n", argv[5]);
        return 2;
    }
    snprintf(conninfo, sizeof conninfo,
             "host=%s port=%s user=postgres dbname=postgres sslmode=disable "
             "gssencmode=disable",
             argv[2], argv[3]);
    return async_run(amain()) == 0 ? 0 : 1;
}
