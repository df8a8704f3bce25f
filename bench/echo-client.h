/*
 * echo-client.h: the load generator of bench/echo.c (bench/echo-client.c),
 * raw Linux sockets in both variants. It uses only plain C types, so that
 * both a raw and an SPI (ws2spi.h) translation unit can include it.
 */
#ifndef BENCH_ECHO_CLIENT_H
#define BENCH_ECHO_CLIENT_H

#include <stdint.h>

struct echo_load_result {
    unsigned long requests;     /* completed in the measured period */
    double        seconds;      /* length of the measured period */
};

/* nconn connections to 127.0.0.1:port, msg-byte request/response each, for
 * warmup + seconds; fatal on any error. */
void echo_load(uint16_t port, int nconn, int msg, double warmup, double seconds,
               struct echo_load_result *res);

#endif
