/*
 * fuzz_transpile.c -- libFuzzer target: every input is a C file given to
 * the whole transpiler in process (ac_transpile), from memory.
 *
 * The input's size picks what is produced, so that a mutation reaches
 * every mode and an input found keeps reproducing the same way: the C
 * with and without #line directives, --dot, and --inspect in text or
 * JSON.  Any input may be rejected with diagnostics; a bug is a crash, a
 * sanitizer report, a leak, or an accepted input whose generated C does
 * not compile: --inspect parses the generated C again, and says so.
 * Diagnostics are also printed when ASYNCC_FUZZ_DIAG is set.
 */
#include "pipeline.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int show_diags;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    show_diags = getenv("ASYNCC_FUZZ_DIAG") != NULL;
    return 0;
}

static ac_mode mode_of(size_t size) {
    switch (size % 8) {
    case 3:
        return AC_MODE_DOT;
    case 5:
        return AC_MODE_INSPECT_JSON;
    case 6:
    case 7:
        return AC_MODE_INSPECT_TEXT;
    default:
        return AC_MODE_C;
    }
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
    char *diags = NULL;
    size_t ndiags = 0;
    FILE *stream = open_memstream(&diags, &ndiags);
    if (!stream)
        abort();
    ac_diag_set_stream(stream);
    ac_unit u;
    memset(&u, 0, sizeof u);
    ac_buf out = {0};
    int status = ac_transpile(&u, &job, &out);
    ac_diag_set_stream(NULL);
    fclose(stream);
    if (show_diags)
        fputs(diags, stderr);
    /* Unless the input tests __ASYNCC__ itself: code that only the C
     * compiler sees (#ifndef __ASYNCC__) need not be valid for asyncc. */
    if (strstr(diags, "the generated C does not compile") &&
        !memmem(data, size, "__ASYNCC__", 10))
        abort();
    free(diags);
    /* A success writes something; status 2 (unreadable input) can only
     * mean NUL bytes here, as nothing but headers is read from disk. */
    if ((status == 0 && out.len == 0 && size > 0) ||
        (status == 2 && !memchr(data, '\0', size)))
        abort();
    ac_buf_free(&out);
    ac_unit_free(&u);
    return 0;
}
