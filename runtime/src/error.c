/*
 * error.c -- error codes and the task's error slot: the messages of
 * async_strerror, and the generated-code side of async_raise, async_try
 * and cancellation.
 *
 * A failure travels as ASYNC__FAILED up the chain of frames of one task,
 * with its code in that task's `error` field: async__raise and
 * async__cancelled store it there, async__take_error (async_try) takes it
 * back out, and the loop keeps it when the root frame fails.
 */
#include "internal.h"

#include <limits.h>
#include <string.h>

const char *async_strerror(int code) {
    switch (code) {
    case 0:
        return "success";
    case ASYNC_ECANCELED:
        return "the task was cancelled";
    case ASYNC_ETIMEDOUT:
        return "the operation timed out";
    case ASYNC_ENOMEM:
        return "out of memory";
    case ASYNC_EINVAL:
        return "invalid argument";
    case ASYNC_EAI_NONAME:
        return "name or service not known";
    case ASYNC_EAI_NODATA:
        return "no address for the name (of the family asked for)";
    case ASYNC_EAI_AGAIN:
        return "temporary failure in name resolution";
    case ASYNC_EAI_FAIL:
        return "non-recoverable failure in name resolution";
    case ASYNC_EAI_FAMILY:
        return "address family not supported by the resolver";
    case ASYNC_EAI_SOCKTYPE:
        return "socket type not supported by the resolver";
    case ASYNC_EAI_SERVICE:
        return "service not available for the socket type";
    case ASYNC_EAI_BADFLAGS:
        return "invalid flags for the resolver";
    }
    /* An OS error; -INT_MIN does not exist.  glibc's strerror never
     * returns NULL, but the standard does not promise it. */
    if (code < 0 && code != INT_MIN) {
        const char *msg = strerror(-code);

        if (msg != NULL)
            return msg;
    }
    return "unknown error";
}

int async__raise(int code) {
    async_task *t = async__running;

    if (t != NULL)
        t->error = code < 0 ? code : ASYNC_EINVAL;
    return ASYNC__FAILED;
}

int async__take_error(void) {
    async_task *t = async__running;
    int code;

    if (t == NULL)
        return 0;
    code = t->error;
    t->error = 0;
    return code;
}

int async__cancelled(void) { return async__cancel_seen(); }
