/*
 * source.c -- the input file's text and positions (see source.h).
 */
#include "source.h"

#include "buf.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void index_lines(ac_source *src) {
    unsigned cap = 64;
    src->line_starts = ac_xmalloc(cap * sizeof *src->line_starts);
    src->nlines = 0;
    src->line_starts[src->nlines++] = 0;
    const char *end = src->text + src->len;
    for (const char *nl = src->text;
         (nl = memchr(nl, '\n', (size_t)(end - nl))) != NULL;) {
        if (src->nlines == cap) {
            cap *= 2;
            src->line_starts =
                ac_xrealloc(src->line_starts, cap * sizeof *src->line_starts);
        }
        src->line_starts[src->nlines++] = (unsigned)(++nl - src->text);
    }
}

static char *absolute(const char *path) {
    char *abs = realpath(path, NULL);
    if (abs)
        return abs;
    size_t n = strlen(path) + 1;
    char *copy = ac_xmalloc(n);
    memcpy(copy, path, n);
    return copy;
}

/* The input's name as a C string literal's contents, for #line: as the
 * command line gave it, so that __FILE__, assert messages and debug
 * information name the file as a build of the untranspiled source would,
 * and the output does not depend on the directory it was built in. */
static char *line_name(const char *path) {
    ac_buf b = {0};
    for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
        if (*c == '"' || *c == '\\')
            ac_buf_printf(&b, "\\%c", *c);
        else if (*c < 0x20 || *c == 0x7f)
            ac_buf_printf(&b, "\\%03o", *c);
        else
            ac_buf_add(&b, (const char *)c, 1);
    }
    return b.data ? b.data : strcpy(ac_xmalloc(1), "");
}

/* The generated file's name for the #line directives of the code that
 * has no source line (frames, helpers): its base name, so that the
 * output does not depend on the directory it is written to (build
 * systems name it by an absolute path in their build tree); NULL for
 * standard output. */
char *ac_output_path(const char *path) {
    if (!path || strcmp(path, "-") == 0)
        return NULL;
    const char *slash = strrchr(path, '/');
    return line_name(slash ? slash + 1 : path);
}

/* Offsets are unsigned, and libclang stops reading at a NUL byte. */
static int acceptable(const char *path, const char *text, size_t len) {
    if (len > UINT_MAX / 2) {
        ac_diag_plain(AC_DIAG_ERROR, "cannot read '%s'", path);
        return 0;
    }
    if (memchr(text, '\0', len)) {
        ac_diag_plain(AC_DIAG_ERROR, "'%s' contains NUL bytes: not a C file",
                      path);
        return 0;
    }
    return 1;
}

int ac_source_load(ac_source *src, const char *path) {
    memset(src, 0, sizeof *src);
    FILE *f = fopen(path, "rb");
    if (!f) {
        ac_diag_plain(AC_DIAG_ERROR, "cannot open '%s': %s", path,
                      strerror(errno));
        return -1;
    }
    ac_buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        ac_buf_add(&b, chunk, n);
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        ac_diag_plain(AC_DIAG_ERROR, "cannot read '%s'", path);
        ac_buf_free(&b);
        return -1;
    }
    if (!acceptable(path, ac_buf_str(&b), b.len)) {
        ac_buf_free(&b);
        return -1;
    }
    src->path = path;
    src->abs_path = absolute(path);
    src->line_name = line_name(path);
    src->len = (unsigned)b.len;
    src->text = b.data ? b.data : strcpy(ac_xmalloc(1), "");
    index_lines(src);
    return 0;
}

void ac_source_from_text(ac_source *src, const char *path, const char *text) {
    memset(src, 0, sizeof *src);
    size_t n = strlen(text);
    char *copy = ac_xmalloc(n + 1);
    memcpy(copy, text, n + 1);
    src->path = path;
    src->abs_path = absolute(path);
    src->line_name = line_name(path);
    src->text = copy;
    src->len = (unsigned)n;
    index_lines(src);
}

int ac_source_from_bytes(ac_source *src, const char *path, const char *text,
                         size_t len) {
    memset(src, 0, sizeof *src);
    if (!acceptable(path, text, len))
        return -1;
    char *copy = ac_xmalloc(len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    src->path = path;
    src->abs_path = absolute(path);
    src->line_name = line_name(path);
    src->text = copy;
    src->len = (unsigned)len;
    index_lines(src);
    return 0;
}

void ac_source_free(ac_source *src) {
    free((char *)src->text);
    free((char *)src->abs_path);
    free((char *)src->line_name);
    free(src->line_starts);
    memset(src, 0, sizeof *src);
}

void ac_source_linecol(const ac_source *src, unsigned offset, unsigned *line,
                       unsigned *col) {
    unsigned lo = 0, hi = src->nlines;
    while (hi - lo > 1) {
        unsigned mid = (lo + hi) / 2;
        if (src->line_starts[mid] <= offset)
            lo = mid;
        else
            hi = mid;
    }
    *line = lo + 1;
    *col = offset - src->line_starts[lo] + 1;
}

void ac_source_diag(const ac_source *src, ac_diag_level level, unsigned offset,
                    const char *fmt, ...) {
    unsigned line, col;
    if (offset > src->len)
        offset = src->len;
    ac_source_linecol(src, offset, &line, &col);
    unsigned start = src->line_starts[line - 1];
    unsigned end = start;
    while (end < src->len && src->text[end] != '\n' && src->text[end] != '\r')
        end++;
    char *text = ac_xmalloc(end - start + 1);
    memcpy(text, src->text + start, end - start);
    text[end - start] = '\0';
    ac_buf msg = {0};
    va_list ap;
    va_start(ap, fmt);
    ac_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    ac_diag_at(level, src->path, line, col, text, "%s", ac_buf_str(&msg));
    ac_buf_free(&msg);
    free(text);
}
