/*
 * loop.add_reader: a task waits until a pipe is readable, reads what is
 * there, and waits again, until end of file; then a wait with a
 * deadline on a pipe nobody writes to.
 */
#include <async.h>
#include <stdio.h>
#include <unistd.h>

async void writer(int fd) {
    char msg[32];
    for (int i = 0; i < 3; i++) {
        await(async_sleep(0.05));
        int n = snprintf(msg, sizeof msg, "message %d\n", i);
        if (write(fd, msg, (size_t)n) != n)
            async_raise(ASYNC_EINVAL);
    }
    close(fd);
}

async int amain(void) {
    int p[2], err = 0;
    char data[100];
    if (pipe(p) != 0)
        return 1;
    async_task *t = async_spawn(writer(p[1]));
    for (;;) {
        await(async_wait_readable(p[0]));
        ssize_t n = read(p[0], data, sizeof data - 1);
        if (n <= 0) {
            printf("end of file\n");
            break;
        }
        data[n - 1] = '\0'; /* the newline */
        printf("read %s\n", data);
    }
    await(t);
    close(p[0]);

    if (pipe(p) != 0)
        return 1;
    async_try(await(async_wait_for(async_wait_readable(p[0]), 0.1)), &err);
    if (err == ASYNC_ETIMEDOUT)
        printf("nothing to read in 0.1 s\n");
    close(p[0]);
    close(p[1]);
    return 0;
}

int main(void) { return async_run(amain()); }
