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
/* Nesting depth of blocking calls on this thread (WSPIsBlocking32). */
int ws2spi_tls_blocking_depth(void);
void ws2spi_tls_set_blocking_depth(int depth);
/* The blocking hook of this thread (WSPSetBlockingHook32), or NULL. */
LPBLOCKINGPROC ws2spi_tls_blocking_hook(void);
void ws2spi_tls_set_blocking_hook(LPBLOCKINGPROC hook);

#endif
