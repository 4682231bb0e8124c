/*
 * acurl.c -- libcurl's multi-socket interface on the asyncrt loop (see
 * acurl.h for the design).
 *
 * libcurl calls the socket and timer callbacks from inside its own
 * calls, in whatever task made them: they are plain functions, so they
 * only record what libcurl wants, cancel what it no longer wants at
 * once, and wake the driver task, which spawns the watchers that are
 * missing and keeps libcurl's timer.  Watcher tasks know only their
 * descriptor and direction, never the socket's record, so libcurl may
 * drop a socket (and the record go) while its cancelled watcher has not
 * run yet.
 *
 * libcurl closes a socket right after its CURL_POLL_REMOVE, when the
 * watcher just cancelled has not run yet and so is still registered
 * with the loop's poller.  async_fd_closing, at the REMOVE, ends those
 * waits and makes the loop forget the descriptor at once, so the number
 * is free for libcurl's next socket whatever order the tasks run in.
 * (A socket that libcurl keeps open after a REMOVE, in its connection
 * cache, is simply registered afresh when it is watched again.)
 */
#include "acurl.h"

#include <errno.h>
#include <stdlib.h>

enum { DIR_IN, DIR_OUT };

struct acurl_sock {
    curl_socket_t fd;
    int want;             /* CURL_POLL_IN / OUT / INOUT */
    async_task *watch[2]; /* per direction: its watcher, or NULL */
    struct acurl_sock *next;
};

/* What acurl_perform waits on, found through CURLOPT_PRIVATE. */
struct acurl_xfer {
    async_event done;
    CURLcode result;
    int finished;
};

static const int dir_poll[2] = {CURL_POLL_IN, CURL_POLL_OUT};

/* Cancels and forgets the watcher of s in direction d, if any.  The task
 * may be the one running now (libcurl called back from inside the
 * socket action of that watcher): it then fails at its next await. */
static void stop_watch(struct acurl_sock *s, int d) {
    if (s->watch[d] != NULL) {
        async_cancel(s->watch[d]);
        async_task_release(s->watch[d]);
        s->watch[d] = NULL;
    }
}

static void unlink_sock(acurl *m, struct acurl_sock *s) {
    struct acurl_sock **p = &m->socks;

    while (*p != s)
        p = &(*p)->next;
    *p = s->next;
}

/* CURLMOPT_SOCKETFUNCTION. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp,
                     void *socketp) {
    acurl *m = userp;
    struct acurl_sock *s = socketp;

    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (s != NULL) {
            stop_watch(s, DIR_IN);
            stop_watch(s, DIR_OUT);
            async_fd_closing(fd);
            unlink_sock(m, s);
            free(s);
        }
        return 0;
    }
    if (s == NULL) {
        s = calloc(1, sizeof *s);
        if (s == NULL)
            return -1; /* libcurl fails the transfer */
        s->fd = fd;
        s->next = m->socks;
        m->socks = s;
        curl_multi_assign(m->multi, fd, s);
    }
    s->want = what;
    for (int d = DIR_IN; d <= DIR_OUT; d++) {
        if (!(what & dir_poll[d]))
            stop_watch(s, d);
        else if (s->watch[d] == NULL && !m->closing) {
            m->spawn_pending = 1;
            async_event_set(&m->wake);
        }
    }
    return 0;
}

/* CURLMOPT_TIMERFUNCTION: -1 removes the timer, 0 asks for a socket
 * action as soon as possible (from the driver: libcurl must not be
 * called back from inside this callback). */
static int on_timer(CURLM *multi, long timeout_ms, void *userp) {
    acurl *m = userp;

    (void)multi;
    m->due = timeout_ms < 0 ? -1.0 : async_time() + (double)timeout_ms / 1e3;
    async_event_set(&m->wake);
    return 0;
}

/* curl_multi_socket_action, then hands every finished transfer back to
 * its acurl_perform. */
static void socket_action(acurl *m, curl_socket_t fd, int bits) {
    int running, left;
    CURLMsg *msg;

    curl_multi_socket_action(m->multi, fd, bits, &running);
    while ((msg = curl_multi_info_read(m->multi, &left)) != NULL) {
        CURL *easy = msg->easy_handle;
        CURLcode result = msg->data.result;
        struct acurl_xfer *x = NULL;

        if (msg->msg != CURLMSG_DONE)
            continue;
        /* msg is invalid once the handle is removed. */
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
        curl_multi_remove_handle(m->multi, easy);
        if (x != NULL) {
            x->result = result;
            x->finished = 1;
            async_event_set(&x->done);
        }
    }
}

/* One descriptor, one direction: waits for readiness and tells libcurl,
 * until cancelled.  A failed wait (the descriptor closed under it) is
 * reported to libcurl as CURL_CSELECT_ERR, which fails the transfer. */
static async void watch(acurl *m, curl_socket_t fd, int d) {
    for (;;) {
        int err = 0;

        if (d == DIR_IN)
            async_try(await(async_wait_readable(fd)), &err);
        else
            async_try(await(async_wait_writable(fd)), &err);
        if (err == ASYNC_ECANCELED)
            async_raise(err);
        if (err != 0) {
            socket_action(m, fd, CURL_CSELECT_ERR);
            return;
        }
        socket_action(m, fd, d == DIR_IN ? CURL_CSELECT_IN : CURL_CSELECT_OUT);
    }
}

/* Spawns the watchers that libcurl asked for and that are missing (async
 * only because async_spawn needs a task: it never suspends). */
static async void start_watchers(acurl *m) {
    m->spawn_pending = 0;
    for (struct acurl_sock *s = m->socks; s != NULL; s = s->next)
        for (int d = DIR_IN; d <= DIR_OUT; d++)
            if ((s->want & dir_poll[d]) && s->watch[d] == NULL) {
                s->watch[d] = async_spawn(watch(m, s->fd, d));
                if (s->watch[d] == NULL) /* out of memory */
                    socket_action(m, s->fd, CURL_CSELECT_ERR);
            }
}

/* The driver: starts watchers and keeps libcurl's timer, until
 * cancelled by acurl_close. */
static async void drive(acurl *m) {
    for (;;) {
        int fire = 0;

        async_event_clear(&m->wake);
        if (m->spawn_pending)
            await(start_watchers(m));
        if (m->due < 0) {
            await(async_event_wait(&m->wake));
        } else {
            double left = m->due - async_time();
            int err = 0;

            if (left > 0) {
                async_timeout(left, &err) { await(async_event_wait(&m->wake)); }
            }
            fire = left <= 0 || err == ASYNC_ETIMEDOUT;
        }
        if (fire) {
            m->due = -1.0;
            socket_action(m, CURL_SOCKET_TIMEOUT, 0);
        }
    }
}

int acurl_init(acurl *m) {
    if (m == NULL)
        return ASYNC_EINVAL;
    m->driver = NULL;
    m->due = -1.0;
    m->socks = NULL;
    m->spawn_pending = 0;
    m->transfers = 0;
    m->closing = 0;
    async_event_init(&m->wake);
    m->multi = curl_multi_init();
    if (m->multi == NULL) {
        m->closing = 1;
        return ASYNC_ENOMEM;
    }
    curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
    curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
    return 0;
}

CURLM *acurl_multi(acurl *m) { return m != NULL ? m->multi : NULL; }

async int acurl_perform(acurl *m, CURL *easy) {
    struct acurl_xfer x;
    CURLMcode mc;

    if (m == NULL || easy == NULL || m->closing)
        async_raise(ASYNC_EINVAL);
    if (m->driver == NULL) {
        m->driver = async_spawn(drive(m));
        if (m->driver == NULL)
            async_raise(ASYNC_ENOMEM);
    }
    async_event_init(&x.done);
    x.finished = 0;
    x.result = CURLE_OK;
    curl_easy_setopt(easy, CURLOPT_PRIVATE, (char *)&x);
    mc = curl_multi_add_handle(m->multi, easy);
    if (mc != CURLM_OK) {
        curl_easy_setopt(easy, CURLOPT_PRIVATE, (char *)NULL);
        async_raise(mc == CURLM_OUT_OF_MEMORY ? ASYNC_ENOMEM : -EBUSY);
    }
    m->transfers++;
    async_defer {
        m->transfers--;
        if (!x.finished) /* cancelled: stop the transfer */
            curl_multi_remove_handle(m->multi, easy);
        curl_easy_setopt(easy, CURLOPT_PRIVATE, (char *)NULL);
    }
    await(async_event_wait(&x.done));
    return (int)x.result;
}

async int acurl_close(acurl *m) {
    if (m == NULL)
        async_raise(ASYNC_EINVAL);
    if (m->multi == NULL)
        return 0;
    if (m->transfers > 0)
        async_raise(-EBUSY);
    m->closing = 1;
    if (m->driver != NULL) {
        int err;

        async_cancel(m->driver);
        async_try(await(m->driver), &err);
        async_task_release(m->driver);
        m->driver = NULL;
    }
    for (struct acurl_sock *s = m->socks; s != NULL; s = s->next)
        for (int d = DIR_IN; d <= DIR_OUT; d++)
            if (s->watch[d] != NULL) {
                int err;

                async_cancel(s->watch[d]);
                async_try(await(s->watch[d]), &err);
                async_task_release(s->watch[d]);
                s->watch[d] = NULL;
            }
    /* Its REMOVE callbacks free the records of cached connections. */
    curl_multi_cleanup(m->multi);
    m->multi = NULL;
    while (m->socks != NULL) {
        struct acurl_sock *s = m->socks;

        m->socks = s->next;
        free(s);
    }
    return 0;
}
