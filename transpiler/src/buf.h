/*
 * buf.h -- growable byte buffers and a bump arena.
 *
 * Every pass builds text (generated C, diagnostics) by appending to an
 * ac_buf; the IR lives in one ac_arena freed at exit, so passes never
 * track ownership of individual nodes.  Allocation failure prints a
 * message and exits: the transpiler is a short-lived process with no
 * sensible way to continue without memory.
 */
#ifndef AC_BUF_H
#define AC_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct ac_buf {
    char *data; /* NUL-terminated while len < cap */
    size_t len;
    size_t cap;
} ac_buf;

/* Appends `n` bytes of `s`. */
void ac_buf_add(ac_buf *b, const char *s, size_t n);
/* Appends a NUL-terminated string. */
void ac_buf_puts(ac_buf *b, const char *s);
/* Appends `#line LINE "NAME"` and a newline: what ac_buf_printf would
 * write for that format, without reading one (the emitter writes a
 * directive before most generated lines). */
void ac_buf_line_directive(ac_buf *b, unsigned line, const char *name);
/* Appends printf-style formatted text. */
void ac_buf_printf(ac_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ac_buf_vprintf(ac_buf *b, const char *fmt, va_list ap);
/* Returns the text (never NULL, "" when empty). */
const char *ac_buf_str(ac_buf *b);
/* Releases the storage; the buffer is empty and reusable afterwards. */
void ac_buf_free(ac_buf *b);

typedef struct ac_arena_block ac_arena_block;
typedef struct ac_arena {
    ac_arena_block *head;
} ac_arena;

/* Zeroed memory that lives until ac_arena_free. */
void *ac_arena_alloc(ac_arena *a, size_t size);
/* Copies `n` bytes of `s` and NUL-terminates them. */
char *ac_arena_strndup(ac_arena *a, const char *s, size_t n);
char *ac_arena_strdup(ac_arena *a, const char *s);
char *ac_arena_printf(ac_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ac_arena_free(ac_arena *a);

/* Appends `item` to a growable array of pointers held in the arena-free
 * heap (freed by the caller with free()). */
void ac_vec_push(void ***items, unsigned *n, unsigned *cap, void *item);

/* malloc/realloc that exit with a message when memory is exhausted. */
void *ac_xmalloc(size_t size);
void *ac_xrealloc(void *p, size_t size);

#endif
