/*
 * kv.c -- a small key-value server over TCP, written as a real program
 * would be: one task per connection, commands dispatched through a table
 * of async function pointers, cleanup that runs on every way out of a
 * connection (async_defer), a lock held across awaits and released on
 * every path, and a shutdown that stops accepting and waits for the
 * connections still being served.
 *
 *   kv              serve on a free port and drive the server with
 *                   clients in the same program; print what they saw
 *   kv serve [PORT] serve on 127.0.0.1:PORT (default 7379) until a
 *                   client sends SHUTDOWN, or Ctrl-C / SIGTERM
 *
 * One command per line, one reply line each (DUMP: one line per key,
 * then END):
 *   SET key value -> OK          GET key -> value, or (nil)
 *   DEL key       -> 1 or 0      INCR key -> the new value
 *   DUMP          -> "key value" lines in key order, then END; a
 *                    consistent snapshot: writers wait while it streams
 *   QUIT          -> BYE         SHUTDOWN -> BYE, and the server stops
 */
#include <async.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KV_MAX_KEYS 64
#define KV_KEY_SIZE 32
#define KV_VALUE_SIZE 64

struct entry {
    char key[KV_KEY_SIZE];
    char value[KV_VALUE_SIZE];
};

/* The store, and a lock that DUMP holds while it streams so that writers
 * wait for a consistent snapshot. */
static struct entry store[KV_MAX_KEYS];
static int nstore;
static async_lock store_lock;

struct kv_server {
    async_server srv;
    int sessions; /* connections being served */
    int served;   /* connections served in all */
};

struct session {
    int fd;
    struct kv_server *kv;
    async_reader in;
    char inbuf[512];
};

/* Sends one reply line. */
static async int reply(struct session *s, const char *text) {
    char line[KV_KEY_SIZE + KV_VALUE_SIZE + 8];
    int n = snprintf(line, sizeof line, "%s\n", text);
    await(async_write(s->fd, line, (size_t)n));
    return 0;
}

static struct entry *find(const char *key) {
    for (int i = 0; i < nstore; i++)
        if (strcmp(store[i].key, key) == 0)
            return &store[i];
    return NULL;
}

/* Splits "key rest" in place: returns the key, sets *rest. */
static char *split(char *args, char **rest) {
    char *sp = strchr(args, ' ');
    *rest = sp ? sp + 1 : args + strlen(args);
    if (sp)
        *sp = '\0';
    return args;
}

/* Every command: its session and the rest of its line; evaluates to 1
 * when the session should end. */
typedef async int command_fn(struct session *s, char *args);

static async int cmd_set(struct session *s, char *args) {
    char *value;
    char *key = split(args, &value);
    if (!*key || strlen(key) >= KV_KEY_SIZE || strlen(value) >= KV_VALUE_SIZE)
        return await(reply(s, "ERR bad key or value"));
    await(async_lock_acquire(&store_lock));
    async_defer { async_lock_release(&store_lock); }
    struct entry *e = find(key);
    if (!e && nstore == KV_MAX_KEYS)
        return await(reply(s, "ERR full"));
    if (!e) {
        e = &store[nstore++];
        strcpy(e->key, key);
    }
    strcpy(e->value, value);
    return await(reply(s, "OK"));
}

static async int cmd_get(struct session *s, char *args) {
    struct entry *e = find(args);
    return await(reply(s, e ? e->value : "(nil)"));
}

static async int cmd_del(struct session *s, char *args) {
    await(async_lock_acquire(&store_lock));
    async_defer { async_lock_release(&store_lock); }
    struct entry *e = find(args);
    if (e)
        *e = store[--nstore];
    return await(reply(s, e ? "1" : "0"));
}

static async int cmd_incr(struct session *s, char *args) {
    await(async_lock_acquire(&store_lock));
    async_defer { async_lock_release(&store_lock); }
    struct entry *e = find(args);
    if (!e && (nstore == KV_MAX_KEYS || strlen(args) >= KV_KEY_SIZE))
        return await(reply(s, "ERR full"));
    if (!e) {
        e = &store[nstore++];
        strcpy(e->key, args);
        strcpy(e->value, "0");
    }
    snprintf(e->value, sizeof e->value, "%ld", strtol(e->value, NULL, 10) + 1);
    return await(reply(s, e->value));
}

static int by_key(const void *a, const void *b) {
    return strcmp(((const struct entry *)a)->key,
                  ((const struct entry *)b)->key);
}

static async int cmd_dump(struct session *s, char *args) {
    (void)args;
    await(async_lock_acquire(&store_lock));
    async_defer { async_lock_release(&store_lock); }
    qsort(store, (size_t)nstore, sizeof store[0], by_key);
    for (int i = 0; i < nstore; i++) {
        char line[KV_KEY_SIZE + KV_VALUE_SIZE + 2];
        snprintf(line, sizeof line, "%s %s", store[i].key, store[i].value);
        await(reply(s, line)); /* writers wait meanwhile */
    }
    return await(reply(s, "END"));
}

static async int cmd_quit(struct session *s, char *args) {
    (void)args;
    await(reply(s, "BYE"));
    return 1;
}

static async int cmd_shutdown(struct session *s, char *args) {
    (void)args;
    async_server_close(&s->kv->srv);
    await(reply(s, "BYE"));
    return 1;
}

static const struct command {
    const char *name;
    command_fn *run;
} commands[] = {
    {"SET", cmd_set},           {"GET", cmd_get},   {"DEL", cmd_del},
    {"INCR", cmd_incr},         {"DUMP", cmd_dump}, {"QUIT", cmd_quit},
    {"SHUTDOWN", cmd_shutdown},
};

static command_fn *lookup(const char *name) {
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return commands[i].run;
    return NULL;
}

/* One connection: the server closes fd after this returns. */
static async void serve_client(int fd, void *arg) {
    struct kv_server *kv = arg;
    struct session *s = malloc(sizeof *s);
    if (!s)
        return;
    async_defer { free(s); }
    kv->sessions++;
    async_defer {
        kv->sessions--;
        kv->served++;
    }
    s->fd = fd;
    s->kv = kv;
    async_reader_init(&s->in, fd, s->inbuf, sizeof s->inbuf);
    for (;;) {
        char line[256];
        ssize_t n = await(async_read_line(&s->in, line, sizeof line));
        if (n <= 0)
            break; /* the client went away */
        line[strcspn(line, "\r\n")] = '\0';
        char *args;
        command_fn *run = lookup(split(line, &args));
        if (!run) {
            await(reply(s, "ERR unknown command"));
            continue;
        }
        if (await(run(s, args)))
            break;
    }
}

static async int serve(struct kv_server *kv) {
    return await(async_server_serve(&kv->srv, serve_client, kv));
}

/* ---- the demo's clients ------------------------------------------- */

struct client {
    int port;
    char log[1024];
    size_t len;
};

static void note(struct client *c, const char *text) {
    int n = snprintf(c->log + c->len, sizeof c->log - c->len, "  %s\n", text);
    if (n > 0 && (size_t)n < sizeof c->log - c->len)
        c->len += (size_t)n;
}

/* Sends `command` and reads `lines` reply lines into the log (when
 * `keep`). */
static async int ask(struct client *c, int fd, async_reader *in,
                     const char *command, int lines, int keep) {
    char buf[128];
    int n = snprintf(buf, sizeof buf, "%s\n", command);
    await(async_write(fd, buf, (size_t)n));
    for (int i = 0; i < lines; i++) {
        if (await(async_read_line(in, buf, sizeof buf)) <= 0)
            return -1;
        buf[strcspn(buf, "\n")] = '\0';
        if (keep) {
            char entry[160];
            if (i)
                snprintf(entry, sizeof entry, "     %s", buf);
            else
                snprintf(entry, sizeof entry, "%s -> %s", command, buf);
            note(c, entry);
        }
    }
    return 0;
}

static async int run_client(struct client *c, const char *name, int rounds) {
    int fd = await(async_tcp_connect("127.0.0.1", c->port, 5.0));
    async_defer { close(fd); }
    char inbuf[256];
    async_reader in;
    async_reader_init(&in, fd, inbuf, sizeof inbuf);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "SET %s.rounds %d", name, rounds);
    await(ask(c, fd, &in, cmd, 1, 1));
    for (int i = 0; i < rounds; i++)
        await(ask(c, fd, &in, "INCR hits", 1, 0)); /* values interleave */
    snprintf(cmd, sizeof cmd, "GET %s.rounds", name);
    await(ask(c, fd, &in, cmd, 1, 1));
    await(ask(c, fd, &in, "QUIT", 1, 1));
    return 0;
}

/* Connected before the shutdown and still talking after it: the server
 * stops accepting, but waits for this connection to end. */
static async int linger(struct client *c, async_event *shut) {
    int fd = await(async_tcp_connect("127.0.0.1", c->port, 5.0));
    async_defer { close(fd); }
    char inbuf[256];
    async_reader in;
    async_reader_init(&in, fd, inbuf, sizeof inbuf);
    await(ask(c, fd, &in, "SET late yes", 1, 1));
    await(async_event_wait(shut));
    await(ask(c, fd, &in, "GET late", 1, 1));
    await(ask(c, fd, &in, "QUIT", 1, 1));
    return 0;
}

static async int demo(int port) {
    static struct client clients[3];
    static const char *const names[] = {"ann", "bob", "cy"};
    async_task *tasks[3];
    for (int i = 0; i < 3; i++) {
        clients[i].port = port;
        tasks[i] = async_spawn(run_client(&clients[i], names[i], 2 + i));
    }
    int errs[3];
    await(async_gather_tasks(tasks, 3, errs));
    for (int i = 0; i < 3; i++) {
        printf("client %s: %s\n%s", names[i],
               errs[i] ? async_strerror(errs[i]) : "ok", clients[i].log);
        async_task_release(tasks[i]);
    }
    static struct client late;
    async_event shut;
    async_event_init(&shut);
    late.port = port;
    async_task *lingering = async_spawn(linger(&late, &shut));
    await(async_sleep(0.05)); /* it has connected */

    struct client last = {.port = port};
    int fd = await(async_tcp_connect("127.0.0.1", port, 5.0));
    async_defer { close(fd); }
    char inbuf[256];
    async_reader in;
    async_reader_init(&in, fd, inbuf, sizeof inbuf);
    await(ask(&last, fd, &in, "GET hits", 1, 1));
    await(ask(&last, fd, &in, "DEL bob.rounds", 1, 1));
    await(ask(&last, fd, &in, "DUMP", 5, 1));
    await(ask(&last, fd, &in, "NOPE", 1, 1));
    await(ask(&last, fd, &in, "SHUTDOWN", 1, 1));
    printf("last client:\n%s", last.log);
    async_event_set(&shut);
    await(lingering);
    async_task_release(lingering);
    printf("lingering client, after the shutdown:\n%s", late.log);
    return 0;
}

static async int amain(int port, int with_demo) {
    async_lock_init(&store_lock);
    int lfd = async_tcp_listen("127.0.0.1", port, 64);
    if (lfd < 0) {
        fprintf(stderr, "kv: cannot listen on port %d: %s\n", port,
                async_strerror(lfd));
        return 1;
    }
    async_defer { close(lfd); }
    struct kv_server kv = {.sessions = 0};
    async_server_init(&kv.srv, lfd);
    async_task *server = async_spawn(serve(&kv));
    if (with_demo) {
        await(demo(async_local_port(lfd)));
    } else {
        printf("kv: serving on 127.0.0.1:%d\n", async_local_port(lfd));
        fflush(stdout);
    }
    int err;
    async_try(await(server), &err);
    async_task_release(server);
    /* Closed: no new connections; wait for those still being served. */
    await(async_server_wait_closed(&kv.srv));
    printf("kv: closed after %d connections, %d still open\n", kv.served,
           kv.sessions);
    return err && err != ASYNC_ECANCELED;
}

int main(int argc, char **argv) {
    int with_demo = argc < 2 || strcmp(argv[1], "serve") != 0;
    int port = with_demo ? 0 : argc > 2 ? atoi(argv[2]) : 7379;
    if (!with_demo)
        async_shutdown_on_signals();
    return async_run(amain(port, with_demo));
}
