/*
 * fuzz_transpile.c -- libFuzzer target: every input is a C file given to
 * the whole transpiler in process (ac_transpile), from memory.
 *
 * The input's size picks what is produced, so that a mutation reaches
 * every mode and an input found keeps reproducing the same way: the C
 * with and without #line directives, --dot, and --inspect in text or
 * JSON.  Any input may be rejected with diagnostics; a bug is a crash, a
 * sanitizer report, a leak, or an accepted input whose generated C does
 * not compile (--inspect parses the generated C again).  Diagnostics are
 * dropped unless ASYNCC_FUZZ_DIAG is set.
 */
#include "inspect.h"
#include "lower.h"
#include "parse.h"
#include "pipeline.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    if (!getenv("ASYNCC_FUZZ_DIAG")) {
        FILE *null = fopen("/dev/null", "w");
        if (null)
            ac_diag_set_stream(null);
    }
    return 0;
}

/* One size in four is a report: --dot, or --inspect in text or JSON. */
static ac_mode mode_of(size_t size) {
    switch (size % 8) {
    case 3:
        return AC_MODE_DOT;
    case 5:
        return AC_MODE_INSPECT_JSON;
    case 7:
        return AC_MODE_INSPECT_TEXT;
    default:
        return AC_MODE_C;
    }
}

/* --inspect as ac_transpile runs it, with its steps apart: once the
 * input is accepted, the report's only failure is generated C that does
 * not compile, which is a bug -- unless the input tests __ASYNCC__
 * itself, as code that only the C compiler sees (#ifndef __ASYNCC__) need
 * not be valid for asyncc. */
static int inspect(ac_unit *u, const ac_transpile_job *job, ac_buf *out) {
    if (ac_parse_text(u, job->path, job->text, job->len, job->nargs,
                      job->args) != 0 ||
        ac_lower(u) != 0)
        return u->src.text ? 1 : 2;
    ac_format f =
        job->mode == AC_MODE_INSPECT_JSON ? AC_INSPECT_JSON : AC_INSPECT_TEXT;
    if (ac_inspect_run(u, f, job->nargs, job->args, out) != 0) {
        if (!memmem(job->text, job->len, "__ASYNCC__", 10))
            abort();
        return 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const args[] = {"-std=c11"};
    ac_transpile_job job = {.path = "fuzz.c",
                            .text = (const char *)data,
                            .len = size,
                            .mode = mode_of(size),
                            .line_directives = size % 2 == 0,
                            .nargs = 1,
                            .args = args};
    ac_unit u;
    memset(&u, 0, sizeof u);
    ac_buf out = {0};
    int status =
        job.mode == AC_MODE_INSPECT_TEXT || job.mode == AC_MODE_INSPECT_JSON
            ? inspect(&u, &job, &out)
            : ac_transpile(&u, &job, &out);
    /* A success writes something; status 2 (unreadable input) can only
     * mean NUL bytes here, as nothing but headers is read from disk. */
    if ((status == 0 && out.len == 0 && size > 0) ||
        (status == 2 && !memchr(data, '\0', size)))
        abort();
    ac_buf_free(&out);
    ac_unit_free(&u);
    return 0;
}
