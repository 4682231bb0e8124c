/*
 * hash_files.c -- hashing files on worker threads while the event loop
 * keeps running.  The program writes three files of known content to the
 * temporary directory, then hashes them and a fourth file that does not
 * exist concurrently (FNV-1a, 64 bits), each with async_to_thread, while
 * a heartbeat task ticks every millisecond on the loop.  The gather
 * stores each hash and catches each failure on its own, so the missing
 * file does not stop the others.  It prints the hashes (the same on
 * every run), the failure, and whether the heartbeat ticked while the
 * hashing went on, then removes the files.
 *
 *     def fnv1a(path): ...                     # plain, blocking code
 *
 *     async def main():
 *         hashes = await asyncio.gather(
 *             *(asyncio.to_thread(fnv1a, p) for p in paths),
 *             return_exceptions=True)
 */
#define _POSIX_C_SOURCE 200809L /* mkstemp, O_CLOEXEC under -std=c11 */

#include <async.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { FILES = 3, JOBS = FILES + 1, MIB = 1 << 20 };

/* A file to hash and its result, filled in by a worker thread. */
struct job {
    char path[64];
    size_t size;
    uint64_t hash;
    int error; /* 0, or -errno */
};

/* Plain blocking code, run on a worker thread: FNV-1a of the whole file,
 * hashed 4 times over so that it takes a while. */
static void *hash_file(void *arg) {
    struct job *job = arg;
    static _Thread_local unsigned char buf[64 * 1024];
    uint64_t h = 14695981039346656037u;

    for (int round = 0; round < 4; round++) {
        int fd = open(job->path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0) {
            job->error = -errno;
            return job;
        }
        while ((n = read(fd, buf, sizeof buf)) > 0)
            for (ssize_t i = 0; i < n; i++)
                h = (h ^ buf[i]) * 1099511628211u;
        close(fd);
    }
    job->hash = h;
    return job;
}

/* Writes `size` bytes of a fixed pseudo-random sequence seeded with
 * `seed` to a new temporary file whose name goes to job->path; the write
 * runs on a worker thread, like every regular-file write should. */
async int make_file(struct job *job, size_t size, uint32_t seed) {
    unsigned char *data = malloc(size);
    int err = -1;

    if (data == NULL)
        return -1;
    for (size_t i = 0; i < size; i++) {
        seed = seed * 1664525u + 1013904223u;
        data[i] = (unsigned char)(seed >> 24);
    }
    snprintf(job->path, sizeof job->path, "/tmp/hash_files-XXXXXX");
    int fd = mkstemp(job->path);
    if (fd >= 0) {
        async_try(await(async_file_write(fd, data, size, 0)), &err);
        close(fd);
    }
    free(data);
    job->size = size;
    return err;
}

static int ticks;
static int stop;

async void heartbeat(void) {
    while (!stop) {
        ticks++;
        await(async_sleep(0.001));
    }
}

/* The hash of job->path, computed on a worker thread; fails with the
 * file's -errno. */
async uint64_t hash_one(struct job *job) {
    await(async_to_thread(hash_file, job));
    if (job->error != 0)
        async_raise(job->error);
    return job->hash;
}

async int amain(void) {
    struct job jobs[JOBS];
    uint64_t hashes[JOBS] = {0};
    int errors[JOBS];
    int status = 0;

    memset(jobs, 0, sizeof jobs);
    for (int i = 0; i < FILES; i++) {
        if (await(make_file(&jobs[i], (size_t)(i + 1) * MIB,
                            42u + (uint32_t)i)) != 0) {
            printf("cannot write a temporary file\n");
            return 1;
        }
    }
    snprintf(jobs[FILES].path, sizeof jobs[FILES].path,
             "/nonexistent/hash_files");
    async_task *beat = async_spawn(heartbeat());
    await(async_sleep(0)); /* the heartbeat starts ticking */
    int before = ticks;
    await(async_gather(async_try(hashes[0] = hash_one(&jobs[0]), &errors[0]),
                       async_try(hashes[1] = hash_one(&jobs[1]), &errors[1]),
                       async_try(hashes[2] = hash_one(&jobs[2]), &errors[2]),
                       async_try(hashes[3] = hash_one(&jobs[3]), &errors[3])));
    int during = ticks - before;
    stop = 1;
    await(beat);
    async_task_release(beat);

    for (int i = 0; i < JOBS; i++) {
        if (errors[i] != 0) {
            printf("file %d: cannot read: %s\n", i + 1,
                   async_strerror(errors[i]));
            status |= i < FILES;
        } else {
            printf("file %d (%zu MiB): fnv1a64 %016" PRIx64 "\n", i + 1,
                   jobs[i].size / MIB, hashes[i]);
        }
        if (i < FILES)
            unlink(jobs[i].path);
    }
    printf("heartbeat ticked while hashing: %s\n", during > 0 ? "yes" : "no");
    return status;
}

int main(void) { return async_run(amain()); }
