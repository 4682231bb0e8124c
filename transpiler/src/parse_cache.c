/*
 * parse_cache.c -- answers libclang gave about a cursor, kept for the
 * translation unit being read (see parse_internal.h).
 *
 * The parser asks about the same nodes many times: a marker test, a
 * strip of parentheses and the function-pointer checks each list a
 * node's children, and an expression's span is read by its parent and
 * by itself.  Each libclang query walks the AST or the source manager
 * again (a child list costs a visitor, an extent a relexing of its last
 * token), so the first answer is kept, keyed on every byte of the cursor:
 * the AST does not change while it is read, so the same cursor always
 * gets the same answer.  Cursors of any other translation unit (the
 * layout parse's) are answered by libclang directly.  The questions
 * repeat within one top-level declaration, so the answers are forgotten
 * at the next one: the table stays small, and forgetting is one counter.
 *
 * Each top-level declaration's child lists are recorded at once, in one
 * recursive traversal (ac_parse_cache_fill): a traversal per node, or a
 * whole walk per check (the function-pointer check, the body walk), costs
 * libclang its walk again each time.  The walks then run over the kept
 * lists (ac_parse_cache_walk).
 */
#include "parse_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    CXCursor key;
    uint32_t gen;         /* a free slot unless it is cache.gen */
    const CXCursor *kids; /* in a pool block; NULL: not asked */
    uint32_t nkids;
    unsigned char ext;  /* 0 not asked, 1 in the main file, 2 elsewhere */
    unsigned char mark; /* 0 not asked, else 1 + the ac_mark */
    unsigned begin, end;
} entry;

static struct {
    CXTranslationUnit tu; /* NULL: nothing is kept */
    CXFile main_file;
    entry *slots;
    size_t cap, used; /* cap: a power of two */
    uint32_t gen;     /* the slots of this generation are in use */
    /* The child lists, in blocks that never move while kept: a list
     * handed out stays valid until the next forget. */
    struct block {
        CXCursor *mem;
        size_t cap;
    } * blocks;
    size_t nblocks, capblocks;
    size_t cur, filled; /* the block being filled, and its cursors used */
    CXCursor *scratch;  /* a list while libclang gives it */
    size_t nscratch, capscratch;
} cache;

/* Where an empty list points: anywhere but NULL. */
static const CXCursor no_kids[1];

void ac_parse_cache_open(CXTranslationUnit tu, CXFile main_file) {
    ac_parse_cache_close();
    cache.tu = tu;
    cache.main_file = main_file;
    cache.gen = 1;
}

void ac_parse_cache_forget(void) {
    cache.used = 0;
    cache.cur = 0;
    cache.filled = 0;
    if (++cache.gen == 0) { /* wrapped: slots of old generations look live */
        memset(cache.slots, 0, cache.cap * sizeof *cache.slots);
        cache.gen = 1;
    }
}

void ac_parse_cache_close(void) {
    free(cache.slots);
    for (size_t i = 0; i < cache.nblocks; i++)
        free(cache.blocks[i].mem);
    free(cache.blocks);
    free(cache.scratch);
    memset(&cache, 0, sizeof cache);
}

/* The translation unit (data[2]) is the same for every key. */
static size_t hash(const CXCursor *c) {
    uint64_t h = (uint64_t)(uintptr_t)c->data[1] ^
                 ((uint64_t)(unsigned)c->kind << 48) ^ (unsigned)c->xdata;
    h = (h ^ (uint64_t)(uintptr_t)c->data[0] * 0x9E3779B97F4A7C15u) *
        0xFF51AFD7ED558CCDu;
    return (size_t)(h ^ h >> 32);
}

static int same(const CXCursor *a, const CXCursor *b) {
    return a->kind == b->kind && a->xdata == b->xdata &&
           a->data[0] == b->data[0] && a->data[1] == b->data[1] &&
           a->data[2] == b->data[2];
}

static void grow(void) {
    size_t old = cache.cap;
    entry *slots = cache.slots;
    cache.cap = old ? old * 2 : 1024;
    cache.slots = calloc(cache.cap, sizeof *cache.slots);
    if (!cache.slots) {
        fputs("asyncc: error: out of memory\n", stderr);
        exit(2);
    }
    for (size_t i = 0; i < old; i++) {
        if (slots[i].gen != cache.gen)
            continue;
        size_t j = hash(&slots[i].key) & (cache.cap - 1);
        while (cache.slots[j].gen == cache.gen)
            j = (j + 1) & (cache.cap - 1);
        cache.slots[j] = slots[i];
    }
    free(slots);
}

/* The entry of `c`, made when new; NULL when `c` is not of the
 * translation unit being read. */
static entry *find(CXCursor c) {
    if (!cache.tu || c.data[2] != (const void *)cache.tu)
        return NULL;
    if ((cache.used + 1) * 2 > cache.cap)
        grow();
    size_t i = hash(&c) & (cache.cap - 1);
    while (cache.slots[i].gen == cache.gen) {
        if (same(&cache.slots[i].key, &c))
            return &cache.slots[i];
        i = (i + 1) & (cache.cap - 1);
    }
    entry *e = &cache.slots[i];
    e->key = c;
    e->gen = cache.gen;
    e->kids = NULL;
    e->ext = 0;
    e->mark = 0;
    cache.used++;
    return e;
}

/* A copy of `n` cursors in the current block (the next one when it has
 * no room); blocks past the current one hold no list still handed out,
 * so one of them may grow. */
static const CXCursor *keep(const CXCursor *items, size_t n) {
    if (!n)
        return no_kids;
    if (cache.nblocks && cache.blocks[cache.cur].cap - cache.filled < n) {
        cache.cur++;
        cache.filled = 0;
    }
    if (cache.cur == cache.nblocks) {
        if (cache.nblocks == cache.capblocks) {
            cache.capblocks = cache.capblocks ? cache.capblocks * 2 : 16;
            cache.blocks = ac_xrealloc(cache.blocks,
                                       cache.capblocks * sizeof *cache.blocks);
        }
        cache.blocks[cache.nblocks].mem = NULL;
        cache.blocks[cache.nblocks++].cap = 0;
    }
    struct block *b = &cache.blocks[cache.cur];
    if (b->cap < n) {
        b->cap = n > 4096 ? n : 4096;
        b->mem = ac_xrealloc(b->mem, b->cap * sizeof *b->mem);
    }
    CXCursor *to = b->mem + cache.filled;
    memcpy(to, items, n * sizeof *items);
    cache.filled += n;
    return to;
}

static enum CXChildVisitResult add_kid(CXCursor c, CXCursor parent,
                                       CXClientData data) {
    (void)parent;
    (void)data;
    if (cache.nscratch == cache.capscratch) {
        cache.capscratch = cache.capscratch ? cache.capscratch * 2 : 64;
        cache.scratch = ac_xrealloc(cache.scratch,
                                    cache.capscratch * sizeof *cache.scratch);
    }
    cache.scratch[cache.nscratch++] = c;
    return CXChildVisit_Continue;
}

int ac_parse_cache_children(CXCursor c, const CXCursor **kids, unsigned *n) {
    entry *e = find(c);
    if (!e)
        return 0;
    if (!e->kids) {
        cache.nscratch = 0;
        clang_visitChildren(c, add_kid, NULL);
        e->kids = keep(cache.scratch, cache.nscratch);
        e->nkids = (uint32_t)cache.nscratch;
    }
    *kids = e->kids;
    *n = e->nkids;
    return 1;
}

static int file_offset(CXSourceLocation loc, unsigned *out) {
    CXFile file;
    unsigned offset;
    clang_getFileLocation(loc, &file, NULL, NULL, &offset);
    if (!file || !clang_File_isEqual(file, cache.main_file))
        return 0;
    *out = offset;
    return 1;
}

int ac_parse_cache_extent(CXCursor c, unsigned *begin, unsigned *end) {
    entry *e = find(c);
    if (!e)
        return -1;
    if (!e->ext) {
        CXSourceRange r = clang_getCursorExtent(c);
        unsigned b, en;
        int in = file_offset(clang_getRangeStart(r), &b) &&
                 file_offset(clang_getRangeEnd(r), &en);
        e->ext = in ? 1 : 2;
        e->begin = in ? b : 0;
        e->end = in ? en : 0;
    }
    *begin = e->begin;
    *end = e->end;
    return e->ext == 1;
}

/* --- a whole subtree in one traversal --------------------------------- */

/* The nodes whose children are still arriving while a subtree is
 * recorded: each with where its children start in `pending`. */
typedef struct open_node {
    CXCursor c;
    size_t first;
} open_node;

typedef struct recording {
    open_node *open;
    size_t nopen, capopen;
    CXCursor *pending; /* the children of the open nodes, in order */
    size_t npending, cappending;
    int lost; /* a parent was not among the open nodes */
} recording;

static void *grow_array(void *items, size_t *cap, size_t size) {
    *cap = *cap ? *cap * 2 : 256;
    return ac_xrealloc(items, *cap * size);
}

/* The open node on top has all its children: they move to the pool. */
static void close_node(recording *r) {
    open_node *o = &r->open[--r->nopen];
    size_t n = r->npending - o->first;
    entry *e = find(o->c);
    if (e && !e->kids) {
        /* No child, and `pending` may not be allocated yet. */
        e->kids = n ? keep(r->pending + o->first, n) : no_kids;
        e->nkids = (uint32_t)n;
    }
    r->npending = o->first;
}

static void open_node_push(recording *r, CXCursor c) {
    if (r->nopen == r->capopen)
        r->open = grow_array(r->open, &r->capopen, sizeof *r->open);
    r->open[r->nopen].c = c;
    r->open[r->nopen++].first = r->npending;
}

/* Visits come in preorder: the nodes open above `parent` are complete. */
static enum CXChildVisitResult record(CXCursor c, CXCursor parent,
                                      CXClientData data) {
    recording *r = data;
    while (r->nopen && !same(&r->open[r->nopen - 1].c, &parent))
        close_node(r);
    if (!r->nopen) {
        r->lost = 1;
        return CXChildVisit_Break;
    }
    if (r->npending == r->cappending)
        r->pending = grow_array(r->pending, &r->cappending, sizeof *r->pending);
    r->pending[r->npending++] = c;
    open_node_push(r, c);
    return CXChildVisit_Recurse;
}

void ac_parse_cache_fill(CXCursor top) {
    entry *e = find(top);
    if (!e || e->kids)
        return;
    recording r;
    memset(&r, 0, sizeof r);
    open_node_push(&r, top);
    clang_visitChildren(top, record, &r);
    if (r.lost) {
        /* Never seen with libclang 14; the lists are asked for one by
         * one instead. */
        ac_parse_cache_forget();
    } else {
        while (r.nopen)
            close_node(&r);
    }
    free(r.open);
    free(r.pending);
}

/* The kept children of `c`, or NULL. */
static const CXCursor *kept_children(CXCursor c, size_t *n) {
    if (!cache.tu || c.data[2] != (const void *)cache.tu)
        return NULL;
    entry *e = find(c);
    *n = e->nkids;
    return e->kids;
}

/* Returns 1 when the visitor asked to stop. */
static int walk_kept(CXCursor c, const CXCursor *kids, size_t n,
                     CXCursorVisitor visitor, CXClientData data) {
    for (size_t i = 0; i < n; i++) {
        CXCursor k = kids[i];
        enum CXChildVisitResult r = visitor(k, c, data);
        if (r == CXChildVisit_Break)
            return 1;
        if (r != CXChildVisit_Recurse)
            continue;
        size_t kn;
        const CXCursor *kk = kept_children(k, &kn);
        if (kk ? walk_kept(k, kk, kn, visitor, data)
               : clang_visitChildren(k, visitor, data) != 0)
            return 1;
    }
    return 0;
}

unsigned ac_parse_cache_walk(CXCursor c, CXCursorVisitor visitor,
                             CXClientData data) {
    size_t n;
    const CXCursor *kids = kept_children(c, &n);
    if (!kids)
        return clang_visitChildren(c, visitor, data);
    return (unsigned)walk_kept(c, kids, n, visitor, data);
}

int ac_parse_cache_mark(CXCursor c) {
    entry *e = find(c);
    return e && e->mark ? e->mark - 1 : -1;
}

void ac_parse_cache_set_mark(CXCursor c, ac_mark m) {
    entry *e = find(c);
    if (e)
        e->mark = (unsigned char)(m + 1);
}
