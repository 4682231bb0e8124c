/*
 * errors.c -- the error model: async_raise fails an async function, a
 * failed await fails its caller too (up the chain, like an exception),
 * async_try catches a failure where the caller wants it, and async_run
 * reports a failing main call as -1 with errno.
 */
#include <async.h>
#include <errno.h>
#include <stdio.h>

async int parse_digit(char c) {
    await(async_sleep(0));
    if (c < '0' || c > '9')
        async_raise(ASYNC_EINVAL);
    return c - '0';
}

/* No error handling here: a bad digit fails parse_number too. */
async int parse_number(const char *s) {
    int n = 0;
    for (; *s; s++)
        n = n * 10 + await(parse_digit(*s));
    return n;
}

async int checked(const char *s) {
    int err;
    int n = async_try(await(parse_number(s)), &err);
    if (err)
        printf("parse_number(\"%s\") failed: %s\n", s, async_strerror(err));
    else
        printf("parse_number(\"%s\") = %d\n", s, n);
    return err;
}

async int amain(void) {
    await(checked("2024"));
    await(checked("20x4"));
    /* A failure caught and turned into a fallback value. */
    int err;
    int v = async_try(await(parse_number("oops")), &err);
    printf("fallback: %d (err %d)\n", err ? -1 : v, err == ASYNC_EINVAL);
    /* Not caught: amain fails with the code. */
    await(parse_number("1e3"));
    printf("not reached\n");
    return 0;
}

int main(void) {
    int r = async_run(amain());
    printf("async_run: %d, errno %s\n", r, errno == EINVAL ? "EINVAL" : "?");
    return r == -1 && errno == EINVAL ? 0 : 1;
}
