/*
 * main.c -- the asyncc driver: parse, lower, emit.
 *
 *     input.c --libclang--> IR (parse.c) --> decisions (lower.c)
 *             --> state machines and the rewritten file (emit_*.c)
 *
 * Exit status: 0 on success, 1 when the input has errors (reported as
 * file:line:col diagnostics), 2 on usage or I/O errors.
 */
#include "emit.h"
#include "lower.h"
#include "options.h"
#include "parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef ASYNCC_VERSION
#define ASYNCC_VERSION "0.0.0"
#endif

/* Writes `data` to `path` unless the file already holds exactly that, so
 * build tools see an unchanged output as up to date.  Writes through a
 * temporary file and rename, so a failed run never leaves half a file. */
static int write_if_changed(const char *path, const char *data, size_t n) {
    FILE *old = fopen(path, "rb");
    if (old) {
        int same = 1;
        char chunk[65536];
        size_t done = 0, k;
        while (same && (k = fread(chunk, 1, sizeof chunk, old)) > 0) {
            same = done + k <= n && memcmp(chunk, data + done, k) == 0;
            done += k;
        }
        fclose(old);
        if (same && done == n)
            return 0;
    }
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp)
        return -1;
    snprintf(tmp, plen + 16, "%s.tmp%ld", path, (long)rand() % 100000);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        ac_diag_plain(AC_DIAG_ERROR, "cannot write '%s': %s", path,
                      strerror(errno));
        free(tmp);
        return -1;
    }
    int ok = fwrite(data, 1, n, f) == n;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        ac_diag_plain(AC_DIAG_ERROR, "cannot write '%s': %s", path,
                      strerror(errno));
        remove(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

int main(int argc, char **argv) {
    ac_options opt;
    if (ac_options_parse(&opt, argc, argv) != 0)
        return 2;
    if (opt.help) {
        ac_options_usage(stdout);
        return 0;
    }
    if (opt.version) {
        printf("asyncc %s\n", ASYNCC_VERSION);
        return 0;
    }

    ac_unit u;
    memset(&u, 0, sizeof u);
    int status = 0;
    if (ac_parse(&u, opt.input, opt.nclang_args, opt.clang_args) != 0 ||
        ac_lower(&u) != 0) {
        status = u.src.text ? 1 : 2;
    } else {
        ac_emit_options eo = {.line_directives = opt.line_directives};
        ac_buf out = {0};
        ac_emit_output(&u, &eo, &out);
        if (!opt.output || strcmp(opt.output, "-") == 0) {
            if (fwrite(ac_buf_str(&out), 1, out.len, stdout) != out.len)
                status = 2;
        } else if (write_if_changed(opt.output, ac_buf_str(&out), out.len)) {
            status = 2;
        }
        ac_buf_free(&out);
    }
    ac_unit_free(&u);
    return status;
}
