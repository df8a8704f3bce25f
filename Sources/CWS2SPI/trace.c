/* The C state of call tracing (see ws2spi_trace.h). */
#include <pthread.h>
#include <time.h>
#include "ws2spi_trace.h"

int ws2spi_trace_flags;
uint32_t ws2spi_trace_sockets[65536];

/* Serialises the writers; readers only load the words. */
static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;
static int trace_all;
static int traced_sockets;
static int64_t clock_origin_ns = -1;

static void publish(void) {
    int flags = (trace_all ? WS2SPI_TRACE_ALL : 0) | (traced_sockets > 0 ? WS2SPI_TRACE_SOCKETS : 0);
    __atomic_store_n(&ws2spi_trace_flags, flags, __ATOMIC_RELEASE);
}

void ws2spi_trace_set_all(int on) {
    pthread_mutex_lock(&trace_lock);
    trace_all = on != 0;
    publish();
    pthread_mutex_unlock(&trace_lock);
}

void ws2spi_trace_socket_set(uint32_t s, int on) {
    uint32_t *slot = &ws2spi_trace_sockets[s & 0xFFFF];
    pthread_mutex_lock(&trace_lock);
    uint32_t old = __atomic_load_n(slot, __ATOMIC_RELAXED);
    if (on) {
        /* A closed handle of the same slot may still be there: replaced. */
        if (old == 0) traced_sockets++;
        __atomic_store_n(slot, s, __ATOMIC_RELAXED);
    } else if (old == s) {
        __atomic_store_n(slot, 0, __ATOMIC_RELAXED);
        traced_sockets--;
    }
    publish();
    pthread_mutex_unlock(&trace_lock);
}

void ws2spi_trace_socket_closed(uint32_t s) { ws2spi_trace_socket_set(s, 0); }

void ws2spi_trace_sockets_clear(void) {
    pthread_mutex_lock(&trace_lock);
    for (int i = 0; i < 65536 && traced_sockets > 0; i++) {
        if (__atomic_load_n(&ws2spi_trace_sockets[i], __ATOMIC_RELAXED) != 0) {
            __atomic_store_n(&ws2spi_trace_sockets[i], 0, __ATOMIC_RELAXED);
            traced_sockets--;
        }
    }
    traced_sockets = 0;
    publish();
    pthread_mutex_unlock(&trace_lock);
}

int ws2spi_trace_socket_count(void) {
    pthread_mutex_lock(&trace_lock);
    int n = traced_sockets;
    pthread_mutex_unlock(&trace_lock);
    return n;
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void ws2spi_trace_clock_start(void) {
    int64_t expected = -1;
    __atomic_compare_exchange_n(&clock_origin_ns, &expected, now_ns(), 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

int64_t ws2spi_trace_elapsed_us(void) {
    int64_t origin = __atomic_load_n(&clock_origin_ns, __ATOMIC_RELAXED);
    int64_t now = now_ns();
    if (origin < 0) {
        ws2spi_trace_clock_start();
        origin = __atomic_load_n(&clock_origin_ns, __ATOMIC_RELAXED);
    }
    return (now - origin) / 1000;
}
