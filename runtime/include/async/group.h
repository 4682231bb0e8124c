/*
 * async/group.h -- task groups (structured concurrency), included by
 * async.h; do not include directly.
 */
#ifndef ASYNC_API_GROUP_H
#define ASYNC_API_GROUP_H
#endif
