/*
 * async/io.h -- awaitable I/O on file descriptors, TCP helpers and
 * worker threads (included by async.h; do not include directly).
 */
#ifndef ASYNC_API_IO_H
#define ASYNC_API_IO_H
#endif
