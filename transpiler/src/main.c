/*
 * main.c -- the asyncc driver: options in, files out; the work is
 * ac_transpile's (pipeline.c).
 *
 *     input.c --libclang--> IR (parse.c) --> decisions (lower.c)
 *             --> state machines and the rewritten file (emit_*.c)
 *
 * or, with --inspect or --dot, a report on those state machines instead
 * of the file (inspect_run.c).
 *
 * Exit status: 0 on success, 1 when the input has errors (reported as
 * file:line:col diagnostics), 2 on usage or I/O errors.
 */
#define _XOPEN_SOURCE 700 /* utimensat, realpath */

#include "deps.h"
#include "options.h"
#include "pipeline.h"
#include "version.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Writes `data` to `path` unless the file already holds exactly that;
 * an unchanged file gets the current time instead, as a rewritten one
 * would, so that make, which compares time stamps, sees it newer than
 * the input that made the rule run and does not run it again.  Writes
 * through a temporary file and rename, so a failed run never leaves half
 * a file. */
static int replace_if_changed(const char *path, const char *data, size_t n) {
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
        if (same && done == n) {
            if (utimensat(AT_FDCWD, path, NULL, 0) == 0)
                return 0;
            ac_diag_plain(AC_DIAG_ERROR, "cannot update the time of '%s': %s",
                          path, strerror(errno));
            return -1;
        }
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

/* Writes straight into `path`: what a device, a pipe or a socket takes
 * (a rename would put a regular file in the place of /dev/null). */
static int write_in_place(const char *path, const char *data, size_t n) {
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(data, 1, n, f) == n;
    if (f)
        ok = (fclose(f) == 0) && ok;
    if (!ok) {
        ac_diag_plain(AC_DIAG_ERROR, "cannot write '%s': %s", path,
                      strerror(errno));
        return -1;
    }
    return 0;
}

/* An output that is a device, a pipe or a socket is written as it is;
 * a symbolic link is followed, so the file it names is replaced and the
 * link stays; anything else is replaced only if changed. */
static int write_if_changed(const char *path, const char *data, size_t n) {
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return write_in_place(path, data, n);
    if (lstat(path, &st) != 0 || !S_ISLNK(st.st_mode))
        return replace_if_changed(path, data, n);
    char *target = realpath(path, NULL);
    if (!target) /* a dangling link: writing creates the file it names */
        return write_in_place(path, data, n);
    int rc = replace_if_changed(target, data, n);
    free(target);
    return rc;
}

/* Standard output for no -o or "-o -"; returns the exit status. */
static int write_output(const char *path, ac_buf *out) {
    if (!path || strcmp(path, "-") == 0)
        return fwrite(ac_buf_str(out), 1, out->len, stdout) == out->len ? 0 : 2;
    return write_if_changed(path, ac_buf_str(out), out->len) ? 2 : 0;
}

/* Writes the depfile for a successful run: the rule names the output
 * (or -MT) and lists the input and every header the parse read.  On
 * errors main never gets here, so an old depfile stays as it was. */
static int write_depfile(const ac_options *opt, ac_unit *u) {
    const char *target = opt->dep_target ? opt->dep_target : opt->output;
    const char *path = opt->depfile
                           ? opt->depfile
                           : ac_arena_printf(&u->arena, "%s.d", opt->output);
    ac_buf b = {0};
    ac_depfile_format(&b, target, u->deps, u->ndeps);
    int rc = write_if_changed(path, ac_buf_str(&b), b.len) ? 2 : 0;
    ac_buf_free(&b);
    return rc;
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
        ac_version_print(stdout);
        return 0;
    }

    ac_unit u;
    memset(&u, 0, sizeof u);
    int status = 0;
    /* With -p the database's flags come first and those after -- follow,
     * so the command line can add to or override them. */
    int nargs = opt.nclang_args;
    const char *const *args = opt.clang_args;
    if (opt.build_dir) {
        const char **db_args;
        int ndb = ac_compdb_load(&u.arena, opt.build_dir, opt.input, &db_args);
        if (ndb < 0) {
            ac_unit_free(&u);
            return 2;
        }
        const char **all =
            ac_arena_alloc(&u.arena, (size_t)(ndb + nargs + 1) * sizeof *all);
        memcpy(all, db_args, (size_t)ndb * sizeof *all);
        for (int i = 0; i < nargs; i++)
            all[ndb + i] = args[i];
        nargs += ndb;
        args = all;
    }
    ac_transpile_job job = {.path = opt.input,
                            .mode = opt.mode,
                            .line_directives = opt.line_directives,
                            .generated_path = ac_output_path(opt.output),
                            .nargs = nargs,
                            .args = args};
    ac_buf out = {0};
    status = ac_transpile(&u, &job, &out);
    if (status == 0)
        status = write_output(opt.output, &out);
    if (status == 0 && opt.depfile_wanted)
        status = write_depfile(&opt, &u);
    ac_buf_free(&out);
    free((char *)job.generated_path);
    ac_unit_free(&u);
    return status;
}
