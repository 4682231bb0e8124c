/* Runs the whole pipeline on a source string (written to a temporary
 * file so libclang parses it like a real input). */
#ifndef TRANSPILE_H
#define TRANSPILE_H

#include "emit.h"
#include "lower.h"
#include "parse.h"
#include "test_support.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct transpiled {
    ac_unit u;
    int parse_rc, lower_rc;
    char *output; /* NULL when an error stopped the pipeline */
    const char *diagnostics;
    char path[64];
} transpiled;

static inline void transpile(transpiled *t, const char *source, int lines) {
    memset(t, 0, sizeof *t);
    strcpy(t->path, "/tmp/asyncc_test_XXXXXX.c");
    int fd = mkstemps(t->path, 2);
    if (fd < 0 || write(fd, source, strlen(source)) < 0)
        abort();
    close(fd);
    diags_begin();
    t->parse_rc = ac_parse(&t->u, t->path, 0, NULL);
    if (t->parse_rc == 0)
        t->lower_rc = ac_lower(&t->u);
    if (t->parse_rc == 0 && t->lower_rc == 0) {
        ac_emit_options opt = {.line_directives = lines};
        ac_buf out = {0};
        ac_emit_output(&t->u, &opt, &out);
        t->output = strdup(ac_buf_str(&out));
        ac_buf_free(&out);
    }
    t->diagnostics = diags_end();
}

static inline void transpiled_free(transpiled *t) {
    unlink(t->path);
    free(t->output);
    ac_unit_free(&t->u);
}

static inline ac_func *find_func(transpiled *t, const char *name) {
    for (unsigned i = 0; i < t->u.nfuncs; i++)
        if (strcmp(t->u.funcs[i]->name, name) == 0)
            return t->u.funcs[i];
    return NULL;
}

static inline ac_var *find_var(ac_func *f, const char *name, unsigned nth) {
    for (unsigned i = 0; i < f->nvars; i++)
        if (strcmp(f->vars[i]->name, name) == 0 && nth-- == 0)
            return f->vars[i];
    return NULL;
}

#endif
