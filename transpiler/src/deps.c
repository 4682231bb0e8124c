/*
 * deps.c -- depfiles and compilation databases (see deps.h).
 */
#if !defined(_GNU_SOURCE) && !defined(_XOPEN_SOURCE)
#define _XOPEN_SOURCE 700 /* realpath, getcwd */
#endif

#include "deps.h"

#include "diag.h"
#include "json.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

void ac_depfile_escape(ac_buf *b, const char *path) {
    for (const char *s = path; *s; s++) {
        if (*s == ' ' || *s == '\t') {
            /* gcc doubles backslashes that precede a space so the pair
             * reads back as one backslash and an escaped space. */
            for (const char *q = s; q > path && q[-1] == '\\'; q--)
                ac_buf_add(b, "\\", 1);
            ac_buf_add(b, "\\", 1);
            ac_buf_add(b, s, 1);
        } else if (*s == '#') {
            ac_buf_add(b, "\\#", 2);
        } else if (*s == '$') {
            ac_buf_add(b, "$$", 2);
        } else {
            ac_buf_add(b, s, 1);
        }
    }
}

void ac_depfile_format(ac_buf *b, const char *target, const char *const *deps,
                       unsigned ndeps) {
    ac_depfile_escape(b, target);
    ac_buf_puts(b, ":");
    for (unsigned i = 0; i < ndeps; i++) {
        ac_buf_puts(b, i ? " \\\n  " : " ");
        ac_depfile_escape(b, deps[i]);
    }
    ac_buf_puts(b, "\n");
}

int ac_shell_split(ac_arena *a, const char *cmd, char ***argv) {
    char **words = NULL;
    unsigned n = 0, cap = 0;
    ac_buf w = {0};
    const char *s = cmd;
    int ok = 1;
    for (;;) {
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
            s++;
        if (!*s)
            break;
        w.len = 0;
        while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') {
            if (*s == '\'') {
                const char *e = strchr(s + 1, '\'');
                if (!e) {
                    ok = 0;
                    break;
                }
                ac_buf_add(&w, s + 1, (size_t)(e - s - 1));
                s = e + 1;
            } else if (*s == '"') {
                s++;
                while (*s && *s != '"') {
                    if (*s == '\\' && s[1] && strchr("\"\\$`\n", s[1])) {
                        if (s[1] != '\n')
                            ac_buf_add(&w, s + 1, 1);
                        s += 2;
                    } else {
                        ac_buf_add(&w, s++, 1);
                    }
                }
                if (!*s) {
                    ok = 0;
                    break;
                }
                s++;
            } else if (*s == '\\') {
                if (s[1] && s[1] != '\n')
                    ac_buf_add(&w, s + 1, 1);
                s += s[1] ? 2 : 1;
            } else {
                ac_buf_add(&w, s++, 1);
            }
        }
        if (!ok)
            break;
        ac_vec_push((void ***)&words, &n, &cap,
                    ac_arena_strndup(a, ac_buf_str(&w), w.len));
    }
    ac_buf_free(&w);
    if (!ok) {
        free(words);
        return -1;
    }
    *argv = ac_arena_alloc(a, (n + 1) * sizeof **argv);
    if (n)
        memcpy(*argv, words, n * sizeof *words);
    free(words);
    return (int)n;
}

char *ac_path_absolute(ac_arena *a, const char *dir, const char *path) {
    ac_buf joined = {0};
    if (path[0] != '/') {
        ac_buf_puts(&joined, dir);
        ac_buf_puts(&joined, "/");
    }
    ac_buf_puts(&joined, path);
    /* Components, with ".." removing the one before it. */
    char *copy = ac_arena_strdup(a, ac_buf_str(&joined));
    ac_buf_free(&joined);
    size_t ncomp = 0, cap = strlen(copy) / 2 + 2;
    char **comp = ac_xmalloc(cap * sizeof *comp);
    for (char *tok = strtok(copy, "/"); tok; tok = strtok(NULL, "/")) {
        if (strcmp(tok, ".") == 0)
            continue;
        if (strcmp(tok, "..") == 0) {
            if (ncomp)
                ncomp--;
            continue;
        }
        comp[ncomp++] = tok;
    }
    ac_buf out = {0};
    for (size_t k = 0; k < ncomp; k++) {
        ac_buf_puts(&out, "/");
        ac_buf_puts(&out, comp[k]);
    }
    if (!ncomp)
        ac_buf_puts(&out, "/");
    char *r = ac_arena_strdup(a, ac_buf_str(&out));
    ac_buf_free(&out);
    free(comp);
    return r;
}

/* Flags dropped with the argument that follows them: they name outputs,
 * which asyncc chooses itself. */
static const char *const drop_with_arg[] = {"-o", "-MF", "-MT", "-MQ", NULL};
/* Flags dropped alone: compile-or-link mode and dependency output. */
static const char *const drop_alone[] = {
    "-c", "-S", "-E", "-MD", "-MMD", "-MP", "-M", "-MM", "-MG", "-pipe", NULL};
/* Flags whose argument is a path, joined ("-Iinc") or separate. */
static const char *const path_flags[] = {
    "-isystem",   "-iquote",   "-idirafter", "-include",
    "-imacros",   "-isysroot", "-iprefix",   "-iwithprefix",
    "--sysroot=", "--sysroot", "-I",         "-F",
    NULL};
/* Flags that take a separate argument which is not a path: the argument
 * must not be mistaken for a source file. */
static const char *const other_with_arg[] = {
    "-D", "-U", "-x", "-Xclang", "-target", "--target", "-arch", NULL};

static int in_list(const char *const *list, const char *a) {
    for (; *list; list++)
        if (strcmp(*list, a) == 0)
            return 1;
    return 0;
}

int ac_compdb_filter(ac_arena *a, const char *dir, int argc,
                     const char *const *argv, const char ***out) {
    const char **kept = ac_arena_alloc(a, (size_t)(argc + 1) * sizeof *kept);
    int n = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (in_list(drop_with_arg, arg)) {
            i++;
            continue;
        }
        if (in_list(drop_alone, arg) ||
            (arg[0] == '-' && arg[1] == 'o' && arg[2]) ||
            strncmp(arg, "-MF", 3) == 0 || strncmp(arg, "-MT", 3) == 0 ||
            strncmp(arg, "-MQ", 3) == 0)
            continue;
        if (arg[0] != '-') {
            /* The input, or another file the command compiles or links:
             * libclang gets the input separately. */
            continue;
        }
        int done = 0;
        for (const char *const *f = path_flags; *f && !done; f++) {
            size_t k = strlen(*f);
            if (strncmp(arg, *f, k) != 0)
                continue;
            done = 1;
            const char *p = arg + k;
            if (!*p && (*f)[k - 1] != '=') {
                /* Separate argument: keep the flag, fix the path. */
                kept[n++] = arg;
                if (i + 1 < argc) {
                    const char *v = argv[++i];
                    kept[n++] = v[0] == '/' ? v : ac_path_absolute(a, dir, v);
                }
            } else if (*p == '/' || !*p) {
                kept[n++] = arg;
            } else {
                kept[n++] = ac_arena_printf(a, "%.*s%s", (int)k, arg,
                                            ac_path_absolute(a, dir, p));
            }
        }
        if (done)
            continue;
        kept[n++] = arg;
        if (in_list(other_with_arg, arg) && i + 1 < argc)
            kept[n++] = argv[++i];
    }
    *out = kept;
    return n;
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    ac_buf b = {0};
    char chunk[65536];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
        ac_buf_add(&b, chunk, k);
    int err = ferror(f);
    fclose(f);
    if (err) {
        ac_buf_free(&b);
        errno = EIO;
        return NULL;
    }
    ac_buf_str(&b);
    *len = b.len;
    if (!b.data) {
        b.data = ac_xmalloc(1);
        b.data[0] = '\0';
    }
    return b.data;
}

/* Are `a` and `b` the same file?  Equal normalized paths, or (through
 * symbolic links) the same real path. */
static int same_file(const char *a, const char *b) {
    if (strcmp(a, b) == 0)
        return 1;
    char ra[PATH_MAX], rb[PATH_MAX];
    return realpath(a, ra) && realpath(b, rb) && strcmp(ra, rb) == 0;
}

int ac_compdb_load(ac_arena *a, const char *build_dir, const char *input,
                   const char ***out) {
    const char *db = ac_arena_printf(a, "%s/compile_commands.json", build_dir);
    size_t len = 0;
    char *text = read_file(db, &len);
    if (!text) {
        ac_diag_plain(AC_DIAG_ERROR, "cannot read '%s': %s", db,
                      strerror(errno));
        return -1;
    }
    char err[256];
    ac_json *root = ac_json_parse(a, text, len, err, sizeof err);
    free(text);
    if (!root) {
        ac_diag_plain(AC_DIAG_ERROR, "%s: invalid JSON: %s", db, err);
        return -1;
    }
    if (root->kind != AC_JSON_ARRAY) {
        ac_diag_plain(AC_DIAG_ERROR, "%s: expected an array of entries", db);
        return -1;
    }
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) {
        ac_diag_plain(AC_DIAG_ERROR, "cannot find the current directory: %s",
                      strerror(errno));
        return -1;
    }
    const char *want = ac_path_absolute(a, cwd, input);
    /* A relative "directory" is taken relative to the database. */
    const char *db_dir = ac_path_absolute(a, cwd, build_dir);
    for (size_t k = 0; k < root->count; k++) {
        const ac_json *e = root->items[k];
        const ac_json *dir = ac_json_get(e, "directory");
        const ac_json *file = ac_json_get(e, "file");
        if (!dir || dir->kind != AC_JSON_STRING || !file ||
            file->kind != AC_JSON_STRING) {
            ac_diag_plain(AC_DIAG_ERROR,
                          "%s: entry %zu has no \"directory\" or \"file\" "
                          "string",
                          db, k + 1);
            return -1;
        }
        const char *d = ac_path_absolute(a, db_dir, dir->string);
        if (!same_file(ac_path_absolute(a, d, file->string), want))
            continue;
        const ac_json *args = ac_json_get(e, "arguments");
        const ac_json *cmd = ac_json_get(e, "command");
        char **argv = NULL;
        int argc = 0;
        if (args && args->kind == AC_JSON_ARRAY) {
            argv = ac_arena_alloc(a, (args->count + 1) * sizeof *argv);
            for (size_t j = 0; j < args->count; j++) {
                if (args->items[j]->kind != AC_JSON_STRING) {
                    ac_diag_plain(AC_DIAG_ERROR,
                                  "%s: entry %zu: \"arguments\" holds a "
                                  "value that is not a string",
                                  db, k + 1);
                    return -1;
                }
                argv[argc++] = (char *)args->items[j]->string;
            }
        } else if (cmd && cmd->kind == AC_JSON_STRING) {
            argc = ac_shell_split(a, cmd->string, &argv);
            if (argc < 0) {
                ac_diag_plain(AC_DIAG_ERROR,
                              "%s: entry %zu: unterminated quote in "
                              "\"command\"",
                              db, k + 1);
                return -1;
            }
        } else {
            ac_diag_plain(AC_DIAG_ERROR,
                          "%s: entry %zu has neither \"arguments\" nor "
                          "\"command\"",
                          db, k + 1);
            return -1;
        }
        return ac_compdb_filter(a, d, argc, (const char *const *)argv, out);
    }
    ac_diag_plain(AC_DIAG_ERROR, "no entry for '%s' in %s", input, db);
    return -1;
}
