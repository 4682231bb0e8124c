/*
 * thread_chan.h -- the hand-written counterpart of async_channel for
 * bench/handwritten/loop_*.c: a bounded ring of pointers between two
 * threads, one mutex and two condition variables.  A thread that finds
 * the ring full (or empty) sleeps on its condition variable; the other
 * side signals it only when someone sleeps there, so a burst that finds
 * the peer awake costs no futex call.
 */
#ifndef THREAD_CHAN_H
#define THREAD_CHAN_H

#include <pthread.h>
#include <stdlib.h>

struct thread_chan {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    int sleeping_getters, sleeping_putters;
    size_t head, count, capacity;
    void **ring;
};

static inline int thread_chan_init(struct thread_chan *c, size_t capacity) {
    c->ring = malloc(capacity * sizeof *c->ring);
    if (c->ring == NULL)
        return -1;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->not_empty, NULL);
    pthread_cond_init(&c->not_full, NULL);
    c->sleeping_getters = c->sleeping_putters = 0;
    c->head = c->count = 0;
    c->capacity = capacity;
    return 0;
}

static inline void thread_chan_destroy(struct thread_chan *c) {
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->not_empty);
    pthread_cond_destroy(&c->not_full);
    free(c->ring);
}

static inline void thread_chan_send(struct thread_chan *c, void *item) {
    pthread_mutex_lock(&c->lock);
    while (c->count == c->capacity) {
        c->sleeping_putters++;
        pthread_cond_wait(&c->not_full, &c->lock);
        c->sleeping_putters--;
    }
    c->ring[(c->head + c->count++) % c->capacity] = item;
    if (c->sleeping_getters > 0)
        pthread_cond_signal(&c->not_empty);
    pthread_mutex_unlock(&c->lock);
}

static inline void *thread_chan_recv(struct thread_chan *c) {
    void *item;

    pthread_mutex_lock(&c->lock);
    while (c->count == 0) {
        c->sleeping_getters++;
        pthread_cond_wait(&c->not_empty, &c->lock);
        c->sleeping_getters--;
    }
    item = c->ring[c->head];
    c->head = (c->head + 1) % c->capacity;
    c->count--;
    if (c->sleeping_putters > 0)
        pthread_cond_signal(&c->not_full);
    pthread_mutex_unlock(&c->lock);
    return item;
}

#endif /* THREAD_CHAN_H */
