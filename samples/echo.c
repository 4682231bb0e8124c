/*
 * echo.c -- an echo server and its clients in one program, over TCP on
 * 127.0.0.1.  The server listens on an ephemeral port and spawns one
 * handler task per connection; 20 client tasks connect concurrently,
 * each sends 5 lines and checks that every line comes back.  Once it has
 * served 20 connections the server waits for its handlers and stops.
 * The output is the same on every run.
 *
 *     async def handle(reader, writer):
 *         while line := await reader.readline():
 *             writer.write(line)
 *             await writer.drain()
 *         writer.close()
 *
 *     async def client(i, port):
 *         reader, writer = await asyncio.open_connection("127.0.0.1", port)
 *         for j in range(5):
 *             writer.write(f"client {i} line {j}\n".encode())
 *             assert await reader.readline() == ...
 */
#include <async.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { CLIENTS = 20, LINES = 5 };

/* Echoes every line of connection `fd` until the client closes it.
 * Returns the number of lines echoed. */
async int handle(int fd) {
    char buf[256];
    char line[128];
    async_reader r;
    int lines = 0;
    ssize_t n;

    async_reader_init(&r, fd, buf, sizeof buf);
    while ((n = await(async_read_line(&r, line, sizeof line))) > 0) {
        await(async_write(fd, line, (size_t)n));
        lines++;
    }
    close(fd);
    return lines;
}

/* Accepts `n` connections on `listen_fd`, one handler task each, then
 * waits for the handlers.  Returns the lines echoed in all. */
async int serve(int listen_fd, int n) {
    async_task *handlers[CLIENTS];
    int total = 0;

    for (int i = 0; i < n; i++) {
        int fd = await(async_accept(listen_fd));
        handlers[i] = async_spawn(handle(fd));
    }
    for (int i = 0; i < n; i++) {
        total += await(handlers[i]);
        async_task_release(handlers[i]);
    }
    close(listen_fd);
    return total;
}

/* Client `id`: sends LINES lines and checks each echo.  Returns how many
 * came back intact. */
async int client(int id, int port) {
    char buf[256];
    char line[128];
    char reply[128];
    async_reader r;
    int ok = 0;
    int fd = await(async_tcp_connect("127.0.0.1", port, 5.0));

    async_reader_init(&r, fd, buf, sizeof buf);
    for (int j = 0; j < LINES; j++) {
        int len = snprintf(line, sizeof line, "client %d line %d\n", id, j);

        await(async_write(fd, line, (size_t)len));
        await(async_read_line(&r, reply, sizeof reply));
        if (strcmp(reply, line) == 0)
            ok++;
        else
            printf("client %d: bad echo '%s'\n", id, reply);
    }
    close(fd);
    return ok;
}

async int amain(void) {
    async_task *clients[CLIENTS];
    int listen_fd = async_tcp_listen("127.0.0.1", 0, CLIENTS);
    int echoed = 0;

    if (listen_fd < 0) {
        printf("listen: %s\n", async_strerror(listen_fd));
        return 1;
    }
    printf("echo server on 127.0.0.1, ephemeral port %s\n",
           async_local_port(listen_fd) > 0 ? "chosen" : "missing");
    async_task *server = async_spawn(serve(listen_fd, CLIENTS));
    for (int i = 0; i < CLIENTS; i++)
        clients[i] = async_spawn(client(i, async_local_port(listen_fd)));
    for (int i = 0; i < CLIENTS; i++) {
        echoed += await(clients[i]);
        async_task_release(clients[i]);
    }
    printf("%d clients, %d lines echoed\n", CLIENTS, echoed);
    int served = await(server);
    async_task_release(server);
    printf("server stopped after %d connections, %d lines\n", CLIENTS, served);
    return echoed == CLIENTS * LINES && served == echoed ? 0 : 1;
}

int main(void) { return async_run(amain()); }
