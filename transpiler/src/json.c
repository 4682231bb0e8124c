/*
 * json.c -- a small JSON reader (see json.h).
 *
 * Recursive descent over RFC 8259.  Nesting is bounded so a hostile file
 * cannot exhaust the stack.
 */
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AC_JSON_MAX_DEPTH 256

typedef struct {
    ac_arena *a;
    const char *s;
    size_t n, i;
    char *err;
    size_t errlen;
    int failed;
} jparser;

static void fail(jparser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reports the first error only: later ones follow from it. */
static void fail(jparser *p, const char *fmt, ...) {
    if (p->failed)
        return;
    p->failed = 1;
    unsigned line = 1, col = 1;
    for (size_t k = 0; k < p->i && k < p->n; k++) {
        if (p->s[k] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    int w = snprintf(p->err, p->errlen, "line %u, column %u: ", line, col);
    if (w < 0 || (size_t)w >= p->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err + w, p->errlen - (size_t)w, fmt, ap);
    va_end(ap);
}

static void skip_space(jparser *p) {
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
                           p->s[p->i] == '\n' || p->s[p->i] == '\r'))
        p->i++;
}

static int literal(jparser *p, const char *word) {
    size_t k = strlen(word);
    if (p->n - p->i >= k && memcmp(p->s + p->i, word, k) == 0) {
        p->i += k;
        return 1;
    }
    return 0;
}

static int hex4(jparser *p, unsigned *out) {
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        if (p->i >= p->n) {
            fail(p, "unterminated \\u escape");
            return -1;
        }
        char c = p->s[p->i++];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else {
            fail(p, "bad hex digit in \\u escape");
            return -1;
        }
    }
    *out = v;
    return 0;
}

static void put_utf8(ac_buf *b, unsigned cp) {
    char u[4];
    size_t k;
    if (cp < 0x80) {
        u[0] = (char)cp;
        k = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        k = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        k = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        k = 4;
    }
    ac_buf_add(b, u, k);
}

/* At the opening quote; decodes into the arena. */
static const char *string(jparser *p, size_t *len) {
    ac_buf b = {0};
    p->i++;
    for (;;) {
        if (p->i >= p->n) {
            fail(p, "unterminated string");
            break;
        }
        unsigned char c = (unsigned char)p->s[p->i++];
        if (c == '"') {
            *len = b.len;
            char *r = ac_arena_strndup(p->a, ac_buf_str(&b), b.len);
            ac_buf_free(&b);
            return r;
        }
        if (c < 0x20) {
            p->i--;
            fail(p, "control character in string");
            break;
        }
        if (c != '\\') {
            ac_buf_add(&b, (const char *)&c, 1);
            continue;
        }
        if (p->i >= p->n) {
            fail(p, "unterminated string");
            break;
        }
        char e = p->s[p->i++];
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            static const char repl[] = "\"\\/\b\f\n\r\t";
            ac_buf_add(&b, &repl[simple - "\"\\/bfnrt"], 1);
        } else if (e == 'u') {
            unsigned cp;
            if (hex4(p, &cp) != 0)
                break;
            /* A surrogate pair spells one code point above U+FFFF. */
            if (cp >= 0xD800 && cp <= 0xDBFF && p->n - p->i >= 6 &&
                p->s[p->i] == '\\' && p->s[p->i + 1] == 'u') {
                size_t save = p->i;
                unsigned lo;
                p->i += 2;
                if (hex4(p, &lo) != 0)
                    break;
                if (lo >= 0xDC00 && lo <= 0xDFFF)
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                else
                    p->i = save;
            }
            put_utf8(&b, cp);
        } else {
            p->i -= 2; /* at the backslash */
            fail(p, "bad escape '\\%c' in string", e ? e : '?');
            break;
        }
    }
    ac_buf_free(&b);
    return NULL;
}

static int digits(jparser *p) {
    size_t start = p->i;
    while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
        p->i++;
    return p->i > start;
}

static int number(jparser *p, double *out) {
    size_t start = p->i;
    if (p->s[p->i] == '-')
        p->i++;
    if (p->i < p->n && p->s[p->i] == '0')
        p->i++;
    else if (!digits(p))
        goto bad;
    if (p->i < p->n && p->s[p->i] == '.') {
        p->i++;
        if (!digits(p))
            goto bad;
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
            p->i++;
        if (!digits(p))
            goto bad;
    }
    {
        /* strtod needs a terminated copy: the text is not one. */
        char *tmp = ac_arena_strndup(p->a, p->s + start, p->i - start);
        *out = strtod(tmp, NULL);
    }
    return 0;
bad:
    fail(p, "malformed number");
    return -1;
}

static ac_json *value(jparser *p, int depth);

static ac_json *container(jparser *p, int depth, int is_object) {
    ac_json *v = ac_arena_alloc(p->a, sizeof *v);
    v->kind = is_object ? AC_JSON_OBJECT : AC_JSON_ARRAY;
    char close = is_object ? '}' : ']';
    size_t cap = 0;
    p->i++;
    skip_space(p);
    if (p->i < p->n && p->s[p->i] == close) {
        p->i++;
        return v;
    }
    for (;;) {
        const char *key = NULL;
        if (is_object) {
            skip_space(p);
            size_t klen;
            if (p->i >= p->n || p->s[p->i] != '"') {
                fail(p, "expected a string key");
                return NULL;
            }
            if (!(key = string(p, &klen)))
                return NULL;
            skip_space(p);
            if (p->i >= p->n || p->s[p->i] != ':') {
                fail(p, "expected ':'");
                return NULL;
            }
            p->i++;
        }
        ac_json *item = value(p, depth + 1);
        if (!item)
            return NULL;
        if (v->count == cap) {
            /* Arena arrays: grow by copying, the old one is not freed
             * until the arena is (documents are small). */
            size_t ncap = cap ? cap * 2 : 8;
            ac_json **items = ac_arena_alloc(p->a, ncap * sizeof *items);
            const char **keys = ac_arena_alloc(p->a, ncap * sizeof *keys);
            if (v->count) {
                memcpy(items, v->items, v->count * sizeof *items);
                memcpy(keys, v->keys, v->count * sizeof *keys);
            }
            v->items = items;
            v->keys = keys;
            cap = ncap;
        }
        v->items[v->count] = item;
        v->keys[v->count++] = key;
        skip_space(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->i < p->n && p->s[p->i] == close) {
            p->i++;
            return v;
        }
        fail(p, "expected ',' or '%c'", close);
        return NULL;
    }
}

static ac_json *value(jparser *p, int depth) {
    skip_space(p);
    if (depth > AC_JSON_MAX_DEPTH) {
        fail(p, "nested too deeply");
        return NULL;
    }
    if (p->i >= p->n) {
        fail(p, "unexpected end of input");
        return NULL;
    }
    char c = p->s[p->i];
    if (c == '{' || c == '[')
        return container(p, depth, c == '{');
    ac_json *v = ac_arena_alloc(p->a, sizeof *v);
    if (c == '"') {
        v->kind = AC_JSON_STRING;
        return (v->string = string(p, &v->len)) ? v : NULL;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        v->kind = AC_JSON_NUMBER;
        return number(p, &v->number) == 0 ? v : NULL;
    }
    if (literal(p, "true") || literal(p, "false")) {
        v->kind = AC_JSON_BOOL;
        v->boolean = p->s[p->i - 1] == 'e' && p->s[p->i - 2] == 'u';
        return v;
    }
    if (literal(p, "null"))
        return v;
    fail(p, "unexpected character '%c'", c);
    return NULL;
}

ac_json *ac_json_parse(ac_arena *a, const char *text, size_t n, char *err,
                       size_t errlen) {
    jparser p = {a, text, n, 0, err, errlen, 0};
    if (errlen)
        err[0] = '\0';
    ac_json *root = value(&p, 0);
    if (root) {
        skip_space(&p);
        if (p.i < p.n) {
            fail(&p, "unexpected text after the document");
            root = NULL;
        }
    }
    return root;
}

const ac_json *ac_json_get(const ac_json *o, const char *key) {
    if (!o || o->kind != AC_JSON_OBJECT)
        return NULL;
    for (size_t k = 0; k < o->count; k++)
        if (strcmp(o->keys[k], key) == 0)
            return o->items[k];
    return NULL;
}
