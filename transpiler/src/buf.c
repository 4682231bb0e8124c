/*
 * buf.c -- growable byte buffers and a bump arena (see buf.h).
 */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *ac_xmalloc(size_t size) {
    void *p = malloc(size ? size : 1);
    if (!p) {
        fputs("asyncc: error: out of memory\n", stderr);
        exit(2);
    }
    return p;
}

void *ac_xrealloc(void *p, size_t size) {
    void *q = realloc(p, size ? size : 1);
    if (!q) {
        fputs("asyncc: error: out of memory\n", stderr);
        exit(2);
    }
    return q;
}

static void buf_reserve(ac_buf *b, size_t extra) {
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->data = ac_xrealloc(b->data, cap);
    b->cap = cap;
}

void ac_buf_add(ac_buf *b, const char *s, size_t n) {
    buf_reserve(b, n);
    if (n == 0) {
        b->data[b->len] = '\0';
        return;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void ac_buf_puts(ac_buf *b, const char *s) { ac_buf_add(b, s, strlen(s)); }

static void put_unsigned(ac_buf *b, unsigned long long v) {
    char digits[24];
    size_t n = 0;
    do
        digits[sizeof digits - ++n] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    ac_buf_add(b, digits + sizeof digits - n, n);
}

void ac_buf_line_directive(ac_buf *b, unsigned line, const char *name) {
    size_t n = strlen(name);
    buf_reserve(b, n + 24);
    memcpy(b->data + b->len, "#line ", 6);
    b->len += 6;
    put_unsigned(b, line);
    b->data[b->len++] = ' ';
    b->data[b->len++] = '"';
    memcpy(b->data + b->len, name, n);
    b->len += n;
    b->data[b->len++] = '"';
    b->data[b->len++] = '\n';
    b->data[b->len] = '\0';
}

/* Spells the conversions nearly all of the generated code's pieces use
 * (%s %d %u %zu %c %%, without flags, width or precision) in one pass
 * over `fmt`, as vsnprintf would; returns 0, having consumed some of
 * `ap`, at any other conversion. */
static int put_simple(ac_buf *b, const char *fmt, va_list ap) {
    const char *f = fmt;
    for (;;) {
        const char *run = f;
        while (*f && *f != '%')
            f++;
        if (f > run)
            ac_buf_add(b, run, (size_t)(f - run));
        if (!*f)
            return 1;
        switch (f[1]) {
        case 's': {
            const char *str = va_arg(ap, const char *);
            ac_buf_puts(b, str ? str : "(null)");
            break;
        }
        case 'd': {
            int v = va_arg(ap, int);
            if (v < 0)
                ac_buf_add(b, "-", 1);
            put_unsigned(b, v < 0 ? 0ull - (unsigned long long)v
                                  : (unsigned long long)v);
            break;
        }
        case 'u':
            put_unsigned(b, va_arg(ap, unsigned));
            break;
        case 'z':
            if (f[2] != 'u')
                return 0;
            f++;
            put_unsigned(b, va_arg(ap, size_t));
            break;
        case 'c': {
            char c = (char)va_arg(ap, int);
            ac_buf_add(b, &c, 1);
            break;
        }
        case '%':
            ac_buf_add(b, "%", 1);
            break;
        default:
            return 0;
        }
        f += 2;
    }
}

/* Formats straight into the spare room and formats again only when the
 * text did not fit: measuring first would format everything twice. */
void ac_buf_vprintf(ac_buf *b, const char *fmt, va_list ap) {
    size_t start = b->len;
    va_list copy;
    va_copy(copy, ap);
    int simple = put_simple(b, fmt, copy);
    va_end(copy);
    if (simple)
        return;
    b->len = start; /* a conversion put_simple does not spell */
    buf_reserve(b, 128);
    va_copy(copy, ap);
    size_t room = b->cap - b->len;
    int n = vsnprintf(b->data + b->len, room, fmt, copy);
    va_end(copy);
    if (n < 0) {
        b->data[b->len] = '\0';
        return;
    }
    if ((size_t)n >= room) {
        buf_reserve(b, (size_t)n);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    }
    b->len += (size_t)n;
}

void ac_buf_printf(ac_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ac_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

const char *ac_buf_str(ac_buf *b) { return b->data ? b->data : ""; }

void ac_buf_free(ac_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

struct ac_arena_block {
    ac_arena_block *next;
    size_t used, cap;
    max_align_t data[];
};

void *ac_arena_alloc(ac_arena *a, size_t size) {
    size_t align = sizeof(max_align_t);
    size = (size + align - 1) / align * align;
    ac_arena_block *blk = a->head;
    if (!blk || blk->used + size > blk->cap) {
        size_t cap = size > 65536 ? size : 65536;
        blk = ac_xmalloc(sizeof *blk + cap);
        blk->next = a->head;
        blk->used = 0;
        blk->cap = cap;
        a->head = blk;
    }
    void *p = (char *)blk->data + blk->used;
    blk->used += size;
    memset(p, 0, size);
    return p;
}

char *ac_arena_strndup(ac_arena *a, const char *s, size_t n) {
    char *p = ac_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *ac_arena_strdup(ac_arena *a, const char *s) {
    return ac_arena_strndup(a, s, strlen(s));
}

char *ac_arena_printf(ac_arena *a, const char *fmt, ...) {
    ac_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    ac_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    char *p = ac_arena_strndup(a, ac_buf_str(&b), b.len);
    ac_buf_free(&b);
    return p;
}

void ac_arena_free(ac_arena *a) {
    while (a->head) {
        ac_arena_block *next = a->head->next;
        free(a->head);
        a->head = next;
    }
}

void ac_vec_push(void ***items, unsigned *n, unsigned *cap, void *item) {
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        *items = ac_xrealloc(*items, *cap * sizeof **items);
    }
    (*items)[(*n)++] = item;
}
