/*
 * asyncio.create_subprocess_exec: a child fed through its stdin and read
 * line by line from its stdout, exit codes (a plain one and a death by
 * a signal), a program that is not found, and a wait with a deadline
 * that ends by killing the child.
 */
#include <async.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static async int start(async_process **p, const char *const *argv, int pipes) {
    async_process_options o = {0};
    o.argv = argv;
    if (pipes) {
        o.stdin_mode = ASYNC_PROCESS_PIPE;
        o.stdout_mode = ASYNC_PROCESS_PIPE;
    }
    fflush(stdout); /* the child writes to the same place */
    return async_process_spawn(p, &o);
}

async int amain(void) {
    static const char *const echo[] = {
        "sh", "-c", "while read x; do echo \"got $x\"; done; exit 3", NULL};
    static const char *const term[] = {"sh", "-c", "kill -TERM $$", NULL};
    static const char *const none[] = {"no-such-program-here", NULL};
    static const char *const slow[] = {"sleep", "10", NULL};
    static const char *const words[] = {"one", "two", "three"};
    async_process *p;
    async_reader r;
    char buf[256], line[128];
    int err = 0;

    await(start(&p, echo, 1));
    for (int i = 0; i < 3; i++) {
        snprintf(line, sizeof line, "%s\n", words[i]);
        await(async_write(async_process_fd(p, 0), line, strlen(line)));
    }
    async_process_close_fd(p, 0);
    async_reader_init(&r, async_process_fd(p, 1), buf, sizeof buf);
    while (await(async_read_line(&r, line, sizeof line)) > 0)
        printf("%s", line);
    printf("exit %d\n", await(async_process_wait(p)));
    async_process_release(p);

    await(start(&p, term, 0));
    printf("signalled %d\n", await(async_process_wait(p)));
    async_process_release(p);

    if (await(start(&p, none, 0)) == -ENOENT)
        printf("not found\n");

    await(start(&p, slow, 0));
    async_try(await(async_process_wait_or_kill(p, 0.2)), &err);
    if (err == ASYNC_ETIMEDOUT) {
        int status = 0;
        async_process_returncode(p, &status);
        printf("timed out, killed: %d\n", status);
    }
    async_process_release(p);
    return 0;
}

int main(void) { return async_run(amain()); }
