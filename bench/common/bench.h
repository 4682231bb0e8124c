/*
 * bench.h -- what every C benchmark program shares: a monotonic clock,
 * the process's memory as the kernel counts it, and the one line of
 * JSON each program prints for bench/run.py.
 *
 * Protocol (the same for the Python and Node.js programs):
 *   program N [extra arguments]
 * runs the workload with size N and prints exactly one line on stdout:
 *   {"workload":"...","system":"...","n":N,"seconds":S,"ops":K,
 *    "rss_before_kb":A,"rss_peak_kb":B,"check":C}
 * `seconds` times the workload alone (not process start-up), `ops` is
 * the number of operations it counts (awaits, tasks, hops, requests),
 * rss_before_kb is VmRSS read just before the workload allocates its
 * tasks and rss_peak_kb is VmHWM read at the end, and `check` is a value
 * computed from the work (a sum of results) that bench/run.py compares
 * across systems, so a program that skips work is caught.  Anything
 * else goes to stderr.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A field of /proc/self/status in kB ("VmRSS", "VmHWM"), or -1. */
static inline long bench_status_kb(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    size_t n = strlen(field);

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            kb = strtol(line + n + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

/* N from argv[1], or `fallback`; accepts 1e6-style and 10M-style. */
static inline long bench_arg_n(int argc, char **argv, long fallback) {
    if (argc < 2)
        return fallback;
    char *end;
    double v = strtod(argv[1], &end);
    if (*end == 'k' || *end == 'K')
        v *= 1e3;
    else if (*end == 'm' || *end == 'M')
        v *= 1e6;
    if (v < 1) {
        fprintf(stderr, "bad N '%s'\n", argv[1]);
        exit(2);
    }
    return (long)v;
}

static inline void bench_report(const char *workload, const char *system,
                                long n, double seconds, double ops,
                                long rss_before_kb, double check) {
    printf("{\"workload\":\"%s\",\"system\":\"%s\",\"n\":%ld,"
           "\"seconds\":%.9f,\"ops\":%.0f,\"rss_before_kb\":%ld,"
           "\"rss_peak_kb\":%ld,\"check\":%.0f}\n",
           workload, system, n, seconds, ops, rss_before_kb,
           bench_status_kb("VmHWM"), check);
    fflush(stdout);
}

/* A small deterministic generator (xorshift32, seed nonzero), the same
 * in every system's program so that they all draw the same numbers:
 *   x ^= x << 13; x ^= x >> 17; x ^= x << 5;   (32-bit unsigned) */
static inline unsigned bench_rand(unsigned *s) {
    unsigned x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

#endif /* BENCH_H */
