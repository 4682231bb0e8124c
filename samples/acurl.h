/*
 * acurl.h -- libcurl's multi-socket interface driven by the asyncrt loop:
 * a small piece to copy into a program (acurl.h and acurl.c) that lets
 * an async function await one libcurl transfer while the loop runs
 * every other task.
 *
 *   acurl m;
 *   acurl_init(&m);                        (plain code or async)
 *   CURL *e = curl_easy_init();
 *   curl_easy_setopt(e, CURLOPT_URL, url);
 *   CURLcode rc = await(acurl_perform(&m, e));
 *   ...
 *   await(acurl_close(&m));
 *
 * libcurl never waits itself.  Its socket callback says which
 * descriptor to watch for what; acurl keeps one task per descriptor and
 * direction that awaits async_wait_readable or async_wait_writable and
 * then calls curl_multi_socket_action with that direction's
 * CURL_CSELECT_* bit, and cancels it when libcurl drops the direction
 * or removes the descriptor.  Its timer callback gives a deadline; one
 * driver task awaits it (and the requests to start watchers, which a
 * plain callback cannot spawn) and then calls curl_multi_socket_action
 * with CURL_SOCKET_TIMEOUT.  Every finished transfer
 * (CURLMSG_DONE) is taken off the multi handle and wakes its
 * acurl_perform through an async_event.
 *
 * One acurl belongs to one thread's loop; its tasks are spawned on the
 * first acurl_perform.  libcurl's global state is the caller's:
 * curl_global_init before acurl_init, curl_global_cleanup after
 * acurl_close.
 */
#ifndef ACURL_H
#define ACURL_H

#include <async.h>
#include <curl/curl.h>

struct acurl_sock; /* one per descriptor libcurl asked to watch */

/* Fields are private. */
typedef struct acurl {
    CURLM *multi;
    async_task *driver;       /* timer and watcher starts; NULL until used */
    async_event wake;         /* set when the driver has something to do */
    double due;               /* libcurl's timer on async_time(); < 0: none */
    struct acurl_sock *socks; /* every descriptor libcurl watches */
    int spawn_pending;        /* a socket lacks a watcher task */
    int transfers;            /* acurl_perform calls in flight */
    int closing;
} acurl;

/* Creates the multi handle and installs the callbacks.  Returns 0, or
 * ASYNC_ENOMEM when libcurl cannot create it (m is then unusable). */
int acurl_init(acurl *m);

/* The multi handle, for curl_multi_setopt (CURLMOPT_MAX_HOST_CONNECTIONS
 * and the like; not the socket and timer callbacks, which are acurl's). */
CURLM *acurl_multi(acurl *m);

/* Runs the transfer of easy handle `easy` (its options set, not added to
 * any multi handle) on `m`, suspending until it is done; evaluates to
 * its CURLcode (CURLE_OK, CURLE_COULDNT_CONNECT...: a failed transfer
 * does not fail the await).  acurl uses the handle's CURLOPT_PRIVATE
 * while it runs.  Errors: ASYNC_EINVAL for a NULL argument or a closed
 * m, -EBUSY when libcurl refuses the handle (a multi handle holds it
 * already), ASYNC_ENOMEM when libcurl or the runtime is out of memory
 * (the driver task cannot be spawned).  Cancellation
 * (or a deadline through async_wait_for / async_timeout) takes the
 * handle off the multi handle, which stops the transfer, before the
 * await fails with ASYNC_ECANCELED; the handle is the caller's again
 * either way. */
async int acurl_perform(acurl *m, CURL *easy);

/* Stops acurl's tasks, waits until they have finished, and frees the
 * multi handle (closing its cached connections).  Fails with -EBUSY,
 * and changes nothing, while an acurl_perform is in flight;
 * ASYNC_EINVAL for NULL.  Closing twice is a no-op. */
async int acurl_close(acurl *m);

#endif /* ACURL_H */
