/* Call tracing (WS2SPI_TRACE, SO_DEBUG): the state every export thunk reads
 * first, as C static storage (no Swift global on the hot path: one relaxed
 * load, and nothing to initialise, see Globals.swift on fork safety). The
 * Swift half is Sources/ProviderKit/Trace. */
#ifndef WS2SPI_TRACE_H
#define WS2SPI_TRACE_H

#include <stdint.h>

/* Bits of ws2spi_trace_flags. */
enum {
    WS2SPI_TRACE_ALL = 1,       /* every call of the process (WS2SPI_TRACE) */
    WS2SPI_TRACE_SOCKETS = 2    /* some socket has SO_DEBUG: the thunk asks about its socket */
};

/* Zero while nothing is traced: the one load of every thunk. Written only
 * by trace.c (under its lock). */
extern int ws2spi_trace_flags __attribute__((visibility("hidden")));

/* The traced handles, one word per handle slot (a handle's low 16 bits):
 * the handle itself while it has SO_DEBUG, else 0 or a closed handle of the
 * same slot (whose generation never comes back soon: HandleTable). */
extern uint32_t ws2spi_trace_sockets[65536] __attribute__((visibility("hidden")));

static inline int ws2spi_trace_mode(void) {
    return __atomic_load_n(&ws2spi_trace_flags, __ATOMIC_RELAXED);
}

/* Nonzero when handle s has SO_DEBUG. */
static inline int ws2spi_trace_socket_is_on(uint32_t s) {
    return __atomic_load_n(&ws2spi_trace_sockets[s & 0xFFFF], __ATOMIC_RELAXED) == s;
}

/* Turns the process-wide trace (WS2SPI_TRACE_ALL) on or off. */
void ws2spi_trace_set_all(int on);
/* SO_DEBUG on (nonzero) or off for handle s. */
void ws2spi_trace_socket_set(uint32_t s, int on);
/* Handle s was closed: forgets it (not another handle of its slot). */
void ws2spi_trace_socket_closed(uint32_t s);
/* Every socket was closed (the last WSPCleanup). */
void ws2spi_trace_sockets_clear(void);
/* How many handles have SO_DEBUG. */
int ws2spi_trace_socket_count(void);

/* Starts the trace clock (the first call wins; later calls do nothing). */
void ws2spi_trace_clock_start(void);
/* Microseconds since the trace clock started (CLOCK_MONOTONIC). */
int64_t ws2spi_trace_elapsed_us(void);

#endif
