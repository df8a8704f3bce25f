/* CWS2SPI: carries include/ws2spi.h into Swift.
 *
 * USE_WS_PREFIX spells every Winsock name that clashes with glibc with a WS_
 * prefix (WS_sockaddr, WS_fd_set, WS_timeval, WS_AF_INET, ...), so one Swift
 * file can use Linux sockets and Winsock types side by side. Only this header
 * lives in the shim's public include folder: the Winsock header is never
 * pulled into Swift a second time without the prefix.
 */
#ifndef CWS2SPI_H
#define CWS2SPI_H

#define USE_WS_PREFIX 1
#include "../../../include/ws2spi.h"

#include <stdint.h>
#include "ws2spi_sys.h"   /* the C half of the syscall layer, fault injection */
#include "ws2spi_trace.h" /* call tracing: WS2SPI_TRACE, SO_DEBUG */

/* ---- inline helpers for the header's function-like macros ---- */

/* MAKEWORD(low, high) */
static inline WORD ws2spi_makeword(uint8_t low, uint8_t high) {
    return (WORD)(low | ((WORD)high << 8));
}
/* WSAMAKESELECTREPLY(event, error) == MAKELONG(event, error) */
static inline uint32_t ws2spi_makeselectreply(uint16_t event, uint16_t error) {
    return (uint32_t)event | ((uint32_t)error << 16);
}
/* FD_ZERO: an empty Winsock set. */
static inline void ws2spi_fd_zero(WS_fd_set *set) { set->fd_count = 0; }
/* FD_SET: adds s unless present or the set (FD_SETSIZE entries) is full. */
static inline void ws2spi_fd_set(SOCKET s, WS_fd_set *set) {
    WS_u_int i;
    for (i = 0; i < set->fd_count; i++)
        if (set->fd_array[i] == s) return;
    if (set->fd_count < WS_FD_SETSIZE) set->fd_array[set->fd_count++] = s;
}
/* FD_CLR: removes s, keeping the order of the others. */
static inline void ws2spi_fd_clr(SOCKET s, WS_fd_set *set) {
    WS_u_int i;
    for (i = 0; i < set->fd_count; i++) {
        if (set->fd_array[i] == s) {
            for (; i + 1 < set->fd_count; i++) set->fd_array[i] = set->fd_array[i + 1];
            set->fd_count--;
            return;
        }
    }
}

/* ---- provider registration (not part of the public header) ----
 * The export thunks in ProviderKit call the provider that the .so installs:
 * the .so's own module defines this function (with @_cdecl) and returns an
 * unmanaged reference to its ServiceProvider. A second provider is one new
 * module that defines it again. */
void *ws2spi_provider_instance(void);

/* ---- Linux calls glibc declares only under _GNU_SOURCE ---- */
/* accept4(2): addr is a struct sockaddr *, len a socklen_t *. */
int ws2spi_accept4(int fd, void *addr, unsigned int *len, int flags);

/* ---- per-thread state the Swift core keeps in C (_Thread_local) ---- */
/* Where this thread is in a hooked blocking call (RULINGS §5). Only a
 * thread with a blocking hook leaves IDLE, so a non-IDLE state seen at an
 * entry point means the call comes from inside the hook. */
enum {
    WS2SPI_BLOCKING_IDLE = 0,       /* no hooked blocking call */
    WS2SPI_BLOCKING_WAITING = 1,    /* in one (WSPIsBlocking32 is TRUE) */
    WS2SPI_BLOCKING_CANCELLED = 2   /* in one, WSPCancelBlockingCall32 was called */
};
int ws2spi_tls_blocking_state(void);
void ws2spi_tls_set_blocking_state(int state);
/* The blocking hook of this thread (WSPSetBlockingHook32), or NULL. */
LPBLOCKINGPROC ws2spi_tls_blocking_hook(void);
void ws2spi_tls_set_blocking_hook(LPBLOCKINGPROC hook);
/* Set (never cleared) by the first ws2spi_tls_set_blocking_hook with a hook:
 * until then no thread can be in a hooked call, and the per-call checks are
 * one plain load instead of a thread-local lookup. A thread that set a hook
 * sees its own store, and only such a thread can leave IDLE. */
extern int ws2spi_hooks_installed __attribute__((visibility("hidden")));
static inline int ws2spi_blocking_state(void) {
    return __atomic_load_n(&ws2spi_hooks_installed, __ATOMIC_RELAXED) ? ws2spi_tls_blocking_state() : WS2SPI_BLOCKING_IDLE;
}
static inline LPBLOCKINGPROC ws2spi_blocking_hook(void) {
    return __atomic_load_n(&ws2spi_hooks_installed, __ATOMIC_RELAXED) ? ws2spi_tls_blocking_hook() : (LPBLOCKINGPROC)0;
}

/* ---- host services (RULINGS §6): Sources/WS2Host/Services/ ---- */
/* WSAGetLastError / WSASetLastError: the calling thread's last error. */
int ws2spi_tls_last_error(void);
void ws2spi_tls_set_last_error(int error);
/* The calling thread's HostThread (an unmanaged Swift reference), or NULL. */
void *ws2spi_tls_host_thread(void);
void ws2spi_tls_set_host_thread(void *thread);
/* Runs fn(arg) when the calling thread exits (also the main thread at
 * exit()); keeps the library mapped until then. 0 on success. */
int ws2spi_thread_atexit(void (*fn)(void *), void *arg);
/* The calling thread's Linux thread id (gettid). */
int ws2spi_gettid(void);
/* 1 when tid is a live thread of this process (tgkill(getpid(), tid, 0)). */
int ws2spi_thread_alive(int tid);
/* The start time of thread tid of this process (field 22 of
 * /proc/self/task/TID/stat, in clock ticks since boot), or -1: tells a
 * reused thread id from the thread that had it before. */
long long ws2spi_thread_start_time(int tid);
/* CLOCK_MONOTONIC in nanoseconds. */
int64_t ws2spi_monotonic_ns(void);
/* Sequentially consistent operations on a 32-bit futex word. */
uint32_t ws2spi_word_load(const uint32_t *word);
void ws2spi_word_store(uint32_t *word, uint32_t value);
uint32_t ws2spi_word_exchange(uint32_t *word, uint32_t value);
/* Adds value (wrapping) and returns the new value. */
uint32_t ws2spi_word_add(uint32_t *word, uint32_t value);
/* Futex wait and wake: ws2spi_sys.h (the syscall layer). */
/* The overlapped completions' in-progress stripes (64 cache lines), static
 * storage: no lazy initialisation the engine thread could race on. */
uint32_t *ws2spi_overlapped_stripes(void);

#endif
