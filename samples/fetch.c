/*
 * fetch.c -- fetches URLs concurrently with libcurl, the loop doing all
 * the waiting (acurl.c drives libcurl's multi-socket interface), like
 * aiohttp under an asyncio.Semaphore: one task per URL, at most N
 * transfers at once.
 *
 *   fetch [-j N] [--timeout S] [--heartbeat] URL...
 *
 *   -j N          at most N transfers at once (default 4, 1 to 1000)
 *   --timeout S   each transfer gets S seconds (async_wait_for); 0, the
 *                 default, means no limit
 *   --heartbeat   a task ticks every 10 ms meanwhile; at the end, print
 *                 on stderr "heartbeat: T ticks in S s, longest gap G ms":
 *                 G stays small because no transfer blocks the loop
 *
 * Prints one line per URL, in the order given, whatever order the
 * transfers finish in:
 *
 *   URL STATUS BYTES CRC32     a response: its HTTP status, the body's
 *                              size and CRC-32 (zlib's), in hex
 *   URL error MESSAGE          no response: "timeout" (--timeout), or
 *                              libcurl's message for its error code
 *
 * then "N URLs: K ok, E failed", where ok means a 2xx status.  Exit
 * status 0 when every URL is ok, 1 otherwise, 2 for a bad command line.
 */
#include "acurl.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FETCH_MAX_BODY ((size_t)256 << 20) /* bodies are kept in memory */

struct body {
    char *data;
    size_t len, cap;
};

/* One URL: its result, filled in by its task. */
struct job {
    const char *url;
    struct body body;
    long status;   /* HTTP status, when code is CURLE_OK */
    CURLcode code; /* libcurl's result */
    int err;       /* asyncrt's failure (ASYNC_ETIMEDOUT...), or 0 */
};

static acurl pool;
static async_semaphore slots;
static double timeout_s;

static size_t on_data(char *p, size_t size, size_t n, void *arg) {
    struct body *b = arg;
    size_t len = size * n;

    if (len > FETCH_MAX_BODY - b->len)
        return 0; /* libcurl fails the transfer: CURLE_WRITE_ERROR */
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 16384;
        char *data;

        while (cap < b->len + len)
            cap *= 2;
        if ((data = realloc(b->data, cap)) == NULL)
            return 0;
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, len);
    b->len += len;
    return len;
}

/* Fetches `url` into `b`; evaluates to the CURLcode, and stores the HTTP
 * status in *status when there was a response. */
static async int fetch(acurl *m, const char *url, struct body *b,
                       long *status) {
    CURL *easy = curl_easy_init();
    int rc;

    if (easy == NULL)
        async_raise(ASYNC_ENOMEM);
    async_defer { curl_easy_cleanup(easy); }
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    rc = await(acurl_perform(m, easy));
    if (rc == CURLE_OK)
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, status);
    return rc;
}

/* One URL's task: waits for a slot, then fetches, under the deadline. */
static async void fetch_job(struct job *j) {
    await(async_semaphore_acquire(&slots));
    async_defer { async_semaphore_release(&slots); }
    if (timeout_s > 0)
        j->code = async_try(
            await(async_wait_for(fetch(&pool, j->url, &j->body, &j->status),
                                 timeout_s)),
            &j->err);
    else
        j->code = async_try(await(fetch(&pool, j->url, &j->body, &j->status)),
                            &j->err);
}

static int beating = 1, ticks;
static double longest_gap;

static async void heartbeat(void) {
    double last = async_time();

    while (beating) {
        await(async_sleep(0.01));
        double now = async_time();
        if (now - last > longest_gap)
            longest_gap = now - last;
        last = now;
        ticks++;
    }
}

/* zlib's CRC-32, a byte at a time through a table: fast enough that
 * checksumming megabytes does not hold up the loop's other tasks. */
static uint32_t crc32(const char *p, size_t n) {
    static uint32_t table[256];
    uint32_t c = 0xffffffffu;

    if (table[1] == 0)
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t t = i;
            for (int k = 0; k < 8; k++)
                t = (t >> 1) ^ (0xedb88320u & (0u - (t & 1)));
            table[i] = t;
        }
    for (size_t i = 0; i < n; i++)
        c = table[(c ^ (unsigned char)p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static async int amain(struct job *jobs, int n, int with_heartbeat) {
    async_task **tasks = calloc((size_t)n, sizeof *tasks);
    async_task *beat = NULL;
    int ok = 0;
    double start = async_time();

    if (tasks == NULL)
        async_raise(ASYNC_ENOMEM);
    async_defer { free(tasks); }
    if (with_heartbeat && (beat = async_spawn(heartbeat())) == NULL)
        async_raise(ASYNC_ENOMEM);
    for (int i = 0; i < n; i++)
        if ((tasks[i] = async_spawn(fetch_job(&jobs[i]))) == NULL)
            jobs[i].err = ASYNC_ENOMEM;
    for (int i = 0; i < n; i++) {
        if (tasks[i] != NULL) {
            await(tasks[i]);
            async_task_release(tasks[i]);
        }
        struct job *j = &jobs[i];
        if (j->err != 0)
            printf("%s error %s\n", j->url,
                   j->err == ASYNC_ETIMEDOUT ? "timeout"
                                             : async_strerror(j->err));
        else if (j->code != CURLE_OK)
            printf("%s error %s\n", j->url, curl_easy_strerror(j->code));
        else
            printf("%s %ld %zu %08x\n", j->url, j->status, j->body.len,
                   (unsigned)crc32(j->body.data, j->body.len));
        if (j->err == 0 && j->code == CURLE_OK && j->status >= 200 &&
            j->status < 300)
            ok++;
    }
    printf("%d URLs: %d ok, %d failed\n", n, ok, n - ok);
    if (beat != NULL) {
        beating = 0;
        await(beat);
        async_task_release(beat);
        fprintf(stderr, "heartbeat: %d ticks in %.3f s, longest gap %.0f ms\n",
                ticks, async_time() - start, longest_gap * 1e3);
    }
    await(acurl_close(&pool));
    return ok == n ? 0 : 1;
}

static int usage(const char *msg) {
    if (msg != NULL)
        fprintf(stderr, "fetch: %s\n", msg);
    fputs("usage: fetch [-j N] [--timeout S] [--heartbeat] URL...\n", stderr);
    return 2;
}

int main(int argc, char **argv) {
    long jobs_max = 4;
    int heartbeat_on = 0, first = 1, n, rc;
    struct job *jobs;

    for (; first < argc && argv[first][0] == '-'; first++) {
        const char *a = argv[first];
        char *end;

        if (strcmp(a, "--") == 0) {
            first++;
            break;
        } else if (strcmp(a, "-j") == 0 && first + 1 < argc) {
            errno = 0;
            jobs_max = strtol(argv[++first], &end, 10);
            if (errno || *end || end == argv[first] || jobs_max < 1 ||
                jobs_max > 1000)
                return usage("-j takes a number from 1 to 1000");
        } else if (strcmp(a, "--timeout") == 0 && first + 1 < argc) {
            errno = 0;
            timeout_s = strtod(argv[++first], &end);
            if (errno || *end || end == argv[first] || !(timeout_s >= 0) ||
                timeout_s > 1e6)
                return usage("--timeout takes seconds, from 0 to 1e6");
        } else if (strcmp(a, "--heartbeat") == 0) {
            heartbeat_on = 1;
        } else {
            return usage(NULL);
        }
    }
    n = argc - first;
    if (n < 1)
        return usage("no URL");
    if ((jobs = calloc((size_t)n, sizeof *jobs)) == NULL) {
        perror("fetch");
        return 1;
    }
    for (int i = 0; i < n; i++)
        jobs[i].url = argv[first + i];
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
        acurl_init(&pool) != 0) {
        fputs("fetch: libcurl cannot start\n", stderr);
        free(jobs);
        return 1;
    }
    async_semaphore_init(&slots, (int)jobs_max);
    rc = async_run(amain(jobs, n, heartbeat_on));
    if (rc < 0)
        fprintf(stderr, "fetch: %s\n", strerror(errno));
    for (int i = 0; i < n; i++)
        free(jobs[i].body.data);
    free(jobs);
    curl_global_cleanup();
    return rc < 0 ? 1 : rc;
}
