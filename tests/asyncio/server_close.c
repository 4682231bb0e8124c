/* async_server_close and async_server_wait_closed (server.close() and
 * wait_closed()): closing stops accepting without cancelling the
 * handlers, and wait_closed returns once every handler has finished. */
#include <async.h>
#include <stdio.h>
#include <unistd.h>

static int finished;

async void handle(int fd, void *arg) {
    (void)arg;
    await(async_sleep(0.05));
    await(async_write(fd, "x", 1));
    finished++;
}

async int serve(async_server *srv) {
    return await(async_server_serve(srv, handle, NULL));
}

async int client(int port) {
    char c = '?';
    int fd = await(async_tcp_connect("127.0.0.1", port, 5));
    await(async_read(fd, &c, 1));
    close(fd);
    return c;
}

async int amain(void) {
    async_server srv;
    async_task *clients[3];
    int lfd = async_tcp_listen("127.0.0.1", 0, 16);
    int port = async_local_port(lfd);

    async_server_init(&srv, lfd);
    async_task *s = async_spawn(serve(&srv));
    for (int i = 0; i < 3; i++)
        clients[i] = async_spawn(client(port));
    await(async_sleep(0.02));
    async_server_close(&srv);
    printf("closed, handlers finished: %d\n", finished);
    await(async_server_wait_closed(&srv));
    printf("wait_closed done, handlers finished: %d\n", finished);
    for (int i = 0; i < 3; i++) {
        printf("client got %c\n", await(clients[i]));
        async_task_release(clients[i]);
    }
    await(s);
    async_task_release(s);
    close(lfd);
    return 0;
}

int main(void) { return async_run(amain()); }
