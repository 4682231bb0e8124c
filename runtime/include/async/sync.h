/*
 * async/sync.h -- synchronisation primitives and queues for tasks
 * (included by async.h; do not include directly).
 */
#ifndef ASYNC_API_SYNC_H
#define ASYNC_API_SYNC_H
#endif
