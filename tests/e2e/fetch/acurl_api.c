/*
 * acurl_api.c -- the contract of samples/acurl.h, against a tiny HTTP
 * server that runs on the same loop (async_serve on 127.0.0.1, a free
 * port): "/" answers "hello" at once, "/slow" after 10 s.
 *
 * Checks: a transfer and its CURLcode; a refused connection is a
 * CURLcode, not a failed await; NULL arguments; a handle that another
 * multi handle holds (-EBUSY); a deadline (async_wait_for) and a
 * cancellation stop the transfer and give the handle back, reusable;
 * acurl_close while a transfer runs (-EBUSY), twice, and acurl_perform
 * after it (ASYNC_EINVAL).  Prints one "ok" line per check; exits 0 when
 * all hold, 1 at the first that does not.
 */
#include "acurl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            printf("FAIL line %d: %s: ", __LINE__, #cond);                     \
            printf(__VA_ARGS__);                                               \
            printf("\n");                                                      \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

static char url_fast[64], url_slow[64], url_refused[64];

/* One connection: reads the request head, answers by path. */
static async void serve(int fd, void *arg) {
    char req[2048];
    size_t n = 0;
    static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
                                "Connection: close\r\n\r\nhello";

    (void)arg;
    while (n < sizeof req - 1) {
        ssize_t r = await(async_read(fd, req + n, sizeof req - 1 - n));
        if (r <= 0)
            return;
        n += (size_t)r;
        req[n] = '\0';
        if (strstr(req, "\r\n\r\n") != NULL)
            break;
    }
    if (strncmp(req, "GET /slow ", 10) == 0)
        await(async_sleep(10));
    await(async_write(fd, reply, sizeof reply - 1));
}

struct body {
    char data[64];
    size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg) {
    struct body *b = arg;
    size_t len = size * n;

    if (len > sizeof b->data - b->len)
        return 0;
    memcpy(b->data + b->len, p, len);
    b->len += len;
    return len;
}

static CURL *easy_for(const char *url, struct body *b) {
    CURL *e = curl_easy_init();

    CHECK(e != NULL, "curl_easy_init");
    b->len = 0;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    return e;
}

static async int perform(acurl *m, CURL *e) {
    return await(acurl_perform(m, e));
}

static async int checks(void) {
    acurl m;
    struct body b;
    CURL *e;
    int rc, err;
    long status = 0;
    double t0;

    CHECK(acurl_init(&m) == 0, "acurl_init");

    /* A transfer. */
    e = easy_for(url_fast, &b);
    rc = await(acurl_perform(&m, e));
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    CHECK(rc == CURLE_OK && status == 200 && b.len == 5 &&
              memcmp(b.data, "hello", 5) == 0,
          "rc %d, status %ld, %zu bytes", rc, status, b.len);
    printf("ok: a transfer: CURLE_OK, 200, \"hello\"\n");

    /* The same handle again (it was taken off the multi handle). */
    rc = await(acurl_perform(&m, e));
    CHECK(rc == CURLE_OK && b.len == 10, "rc %d, %zu bytes", rc, b.len);
    printf("ok: the handle runs a second transfer\n");

    /* A refused connection is the transfer's result. */
    curl_easy_setopt(e, CURLOPT_URL, url_refused);
    rc = await(acurl_perform(&m, e));
    CHECK(rc == CURLE_COULDNT_CONNECT, "rc %d", rc);
    printf("ok: a refused connection evaluates to CURLE_COULDNT_CONNECT\n");

    /* NULL arguments. */
    async_try(await(acurl_perform(NULL, e)), &err);
    CHECK(err == ASYNC_EINVAL, "err %d", err);
    async_try(await(acurl_perform(&m, NULL)), &err);
    CHECK(err == ASYNC_EINVAL, "err %d", err);
    async_try(await(acurl_close(NULL)), &err);
    CHECK(err == ASYNC_EINVAL, "err %d", err);
    printf("ok: NULL arguments fail with ASYNC_EINVAL\n");

    /* A handle that another multi handle holds. */
    {
        CURLM *other = curl_multi_init();
        CHECK(other != NULL, "curl_multi_init");
        CHECK(curl_multi_add_handle(other, e) == CURLM_OK, "add");
        async_try(await(acurl_perform(&m, e)), &err);
        CHECK(err == -EBUSY, "err %d", err);
        curl_multi_remove_handle(other, e);
        curl_multi_cleanup(other);
    }
    printf("ok: a handle held by another multi handle fails with -EBUSY\n");

    /* A deadline stops the transfer; the handle is reusable at once. */
    curl_easy_setopt(e, CURLOPT_URL, url_slow);
    t0 = async_time();
    async_try(await(async_wait_for(acurl_perform(&m, e), 0.2)), &err);
    CHECK(err == ASYNC_ETIMEDOUT, "err %d", err);
    CHECK(async_time() - t0 < 5, "took %.2f s", async_time() - t0);
    curl_easy_setopt(e, CURLOPT_URL, url_fast);
    b.len = 0;
    rc = await(acurl_perform(&m, e));
    CHECK(rc == CURLE_OK && b.len == 5, "rc %d, %zu bytes", rc, b.len);
    printf("ok: async_wait_for stops a transfer; the handle runs again\n");

    /* A cancelled task's transfer stops too; acurl_close refuses while
     * one runs. */
    {
        struct body b2;
        CURL *slow = easy_for(url_slow, &b2);
        async_task *t = async_spawn(perform(&m, slow));

        CHECK(t != NULL, "spawn");
        await(async_sleep(0.2));
        async_try(await(acurl_close(&m)), &err);
        CHECK(err == -EBUSY, "close while running: err %d", err);
        async_cancel(t);
        async_try(await(t), &err);
        CHECK(err == ASYNC_ECANCELED, "err %d", err);
        async_task_release(t);
        curl_easy_cleanup(slow);
    }
    printf("ok: acurl_close fails with -EBUSY while a transfer runs; a "
           "cancelled transfer stops\n");

    /* Close, twice; then nothing runs. */
    async_try(await(acurl_close(&m)), &err);
    CHECK(err == 0, "close: err %d", err);
    async_try(await(acurl_close(&m)), &err);
    CHECK(err == 0, "second close: err %d", err);
    async_try(await(acurl_perform(&m, e)), &err);
    CHECK(err == ASYNC_EINVAL, "perform after close: err %d", err);
    curl_easy_cleanup(e);
    printf("ok: acurl_close twice; acurl_perform after it fails with "
           "ASYNC_EINVAL\n");
    return 0;
}

static async int amain(int lfd) {
    async_task *server = async_spawn(async_serve(lfd, serve, NULL));
    int err = 0;

    CHECK(server != NULL, "spawn");
    async_try(await(checks()), &err);
    async_cancel(server);
    async_try(await(server), &err);
    async_task_release(server);
    return 0;
}

int main(void) {
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int lfd = async_tcp_listen("127.0.0.1", 0, 16);
    int refused = socket(AF_INET, SOCK_STREAM, 0);
    int rc;

    CHECK(lfd >= 0, "listen: %s", strerror(-lfd));
    CHECK(getsockname(lfd, (struct sockaddr *)&a, &len) == 0, "getsockname");
    snprintf(url_fast, sizeof url_fast, "http://127.0.0.1:%d/",
             ntohs(a.sin_port));
    snprintf(url_slow, sizeof url_slow, "http://127.0.0.1:%d/slow",
             ntohs(a.sin_port));
    /* Bound but never listening: connections to it are refused. */
    a.sin_port = 0;
    len = sizeof a;
    CHECK(refused >= 0 && bind(refused, (struct sockaddr *)&a, sizeof a) == 0 &&
              getsockname(refused, (struct sockaddr *)&a, &len) == 0,
          "bind");
    snprintf(url_refused, sizeof url_refused, "http://127.0.0.1:%d/",
             ntohs(a.sin_port));
    CHECK(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK, "global init");
    rc = async_run(amain(lfd));
    curl_global_cleanup();
    close(refused);
    close(lfd);
    printf(rc == 0 ? "PASS acurl_api\n" : "FAIL acurl_api: async_run\n");
    return rc == 0 ? 0 : 1;
}
