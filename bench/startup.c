/*
 * startup.c: the cost of bringing the provider up, as a Winsock DLL sees it:
 * dlopen(RTLD_NOW | RTLD_LOCAL) + dlsym("WSPStartup") + WSPStartup(2.0),
 * once, in a fresh process (run it several times for a distribution).
 * SPI only: raw sockets have no start-up to measure.
 *
 *   cc -O2 -DUSE_SPI $(pkg-config --cflags ws2spi) -o startup-spi \
 *       bench/startup.c -ldl
 *   ./startup-spi PREFIX/lib/libws2spi.so.2
 *   ./startup-spi PREFIX/lib/libws2unix.so.2     (the AF_UNIX provider)
 *
 * Prints: startup ms=<...>
 */
#ifndef USE_SPI
#error "startup measures the SPI only: compile with -DUSE_SPI"
#endif
#include "net.h"
#include <dlfcn.h>

typedef int (*PFN_WSPStartup)(WORD, LPWSADATA);
typedef int (*PFN_WSPCleanup)(LPCLEANUPPROC, DWORD, int *);

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "libws2spi.so.2";
    PFN_WSPStartup startup;
    PFN_WSPCleanup cleanup;
    WSADATA data;
    double t0, t1;
    void *lib, *sym;
    int r, err;

    t0 = net_now();
    lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "startup: dlopen(%s): %s\n", path, dlerror());
        return 1;
    }
    sym = dlsym(lib, "WSPStartup");
    if (!sym) {
        fprintf(stderr, "startup: dlsym(WSPStartup): %s\n", dlerror());
        return 1;
    }
    memcpy(&startup, &sym, sizeof sym);
    r = startup(MAKEWORD(2, 0), &data);
    t1 = net_now();
    if (r != 0) {
        fprintf(stderr, "startup: WSPStartup(2.0) -> %d\n", r);
        return 1;
    }

    sym = dlsym(lib, "WSPCleanup");
    if (sym) {
        memcpy(&cleanup, &sym, sizeof sym);
        cleanup(NULL, 0, &err);
    }
    printf("startup ms=%.3f\n", (t1 - t0) * 1e3);
    return 0;
}
