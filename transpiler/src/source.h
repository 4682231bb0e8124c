/*
 * source.h -- the input file's text, and positions within it.
 *
 * The transpiler edits the main file as text: every IR node carries byte
 * offsets into this buffer, and diagnostics turn an offset back into
 * `file:line:col` with the source line shown under the message.
 */
#ifndef AC_SOURCE_H
#define AC_SOURCE_H

#include "diag.h"

#include <stddef.h>

typedef struct ac_source {
    const char *path;     /* as given on the command line (for messages) */
    const char *abs_path; /* absolute, for files written beside it */
    /* `path` escaped for a string literal, for #line directives */
    const char *line_name;
    const char *text; /* the file's bytes, NUL-terminated */
    unsigned len;
    unsigned *line_starts; /* offset of each line's first byte */
    unsigned nlines;
} ac_source;

/* Loads `path`.  Returns 0, or -1 after reporting why it cannot. */
int ac_source_load(ac_source *src, const char *path);
/* Builds a source from text already in memory (tests). */
void ac_source_from_text(ac_source *src, const char *path, const char *text);
/* Builds a source from `len` bytes of `text`, which may hold NUL bytes:
 * such input is refused as ac_source_load refuses it.  Returns 0 or -1. */
int ac_source_from_bytes(ac_source *src, const char *path, const char *text,
                         size_t len);
void ac_source_free(ac_source *src);

/* 1-based line and byte column of `offset`. */
void ac_source_linecol(const ac_source *src, unsigned offset, unsigned *line,
                       unsigned *col);

/* The generated file's name as #line gives it (its base name, escaped
 * for a string literal), for the directives of generated code; NULL
 * for standard output (NULL or "-"). */
char *ac_output_path(const char *path);

/* Reports a diagnostic at `offset` with the line and a caret. */
void ac_source_diag(const ac_source *src, ac_diag_level level, unsigned offset,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
