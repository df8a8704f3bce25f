/* Thread-local state of the shim: Swift has no thread-local storage of its
 * own, and pthread keys would cost a call per access. */
#define _GNU_SOURCE 1
#include <sys/socket.h>
#include "CWS2SPI.h"

int ws2spi_accept4(int fd, void *addr, unsigned int *len, int flags) {
    return accept4(fd, (struct sockaddr *)addr, (socklen_t *)len, flags);
}

static _Thread_local int blocking_depth;

int ws2spi_tls_blocking_depth(void) { return blocking_depth; }
void ws2spi_tls_set_blocking_depth(int depth) { blocking_depth = depth; }

static _Thread_local LPBLOCKINGPROC blocking_hook;

LPBLOCKINGPROC ws2spi_tls_blocking_hook(void) { return blocking_hook; }
void ws2spi_tls_set_blocking_hook(LPBLOCKINGPROC hook) { blocking_hook = hook; }
