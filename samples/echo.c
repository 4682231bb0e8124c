/*
 * echo.c -- an echo server and its clients in one program, over TCP on
 * 127.0.0.1.  The server listens on an ephemeral port and, through
 * async_serve, runs one handler task per connection; 20 client tasks
 * connect concurrently, each sends 5 lines and checks that every line
 * comes back.  Once the clients are done, the server task is cancelled:
 * it stops accepting, and ends once every handler has finished and its
 * connection is closed.  The output is the same on every run.
 *
 *     async def handle(reader, writer):
 *         while line := await reader.readline():
 *             writer.write(line)
 *             await writer.drain()
 *
 *     async def client(i, port):
 *         reader, writer = await asyncio.open_connection("127.0.0.1", port)
 *         for j in range(5):
 *             writer.write(f"client {i} line {j}\n".encode())
 *             assert await reader.readline() == ...
 *
 *     server = await asyncio.start_server(handle, "127.0.0.1", 0)
 *     serving = asyncio.create_task(server.serve_forever())
 *     ... run the clients ...
 *     serving.cancel()
 */
#include <async.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { CLIENTS = 20, LINES = 5 };

/* What the handlers count, shared through async_serve's argument. */
struct served {
    int connections;
    int lines;
    async_event all_closed; /* set when every client has gone */
};

/* Echoes every line of connection `fd` until the client closes it.  The
 * server closes `fd` once this returns. */
async void handle(int fd, void *arg) {
    struct served *served = arg;
    char buf[256];
    char line[128];
    async_reader r;
    ssize_t n;

    async_reader_init(&r, fd, buf, sizeof buf);
    while ((n = await(async_read_line(&r, line, sizeof line))) > 0) {
        await(async_write(fd, line, (size_t)n));
        served->lines++;
    }
    if (++served->connections == CLIENTS)
        async_event_set(&served->all_closed);
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
    struct served served = {0, 0, {0}};
    async_event_init(&served.all_closed);
    async_task *server = async_spawn(async_serve(listen_fd, handle, &served));
    for (int i = 0; i < CLIENTS; i++)
        clients[i] = async_spawn(client(i, async_local_port(listen_fd)));
    for (int i = 0; i < CLIENTS; i++) {
        echoed += await(clients[i]);
        async_task_release(clients[i]);
    }
    printf("%d clients, %d lines echoed\n", CLIENTS, echoed);
    /* Serving never ends by itself: cancel it once every handler has seen
     * its client go (a handler still running would just be cancelled). */
    await(async_event_wait(&served.all_closed));
    int err;
    async_cancel(server);
    async_try(await(server), &err);
    async_task_release(server);
    close(listen_fd);
    printf("server stopped (%s) after %d connections, %d lines\n",
           async_strerror(err), served.connections, served.lines);
    return echoed == CLIENTS * LINES && served.lines == echoed ? 0 : 1;
}

int main(void) { return async_run(amain()); }
