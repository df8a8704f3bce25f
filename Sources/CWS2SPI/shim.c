/* Thread-local state of the shim: Swift has no thread-local storage of its
 * own, and pthread keys would cost a call per access. */
#define _GNU_SOURCE 1
#include <sys/socket.h>
#include "CWS2SPI.h"

int ws2spi_accept4(int fd, void *addr, unsigned int *len, int flags) {
    return accept4(fd, (struct sockaddr *)addr, (socklen_t *)len, flags);
}

/* The blocking-hook state of the thread (RULINGS §5). */
static _Thread_local struct { LPBLOCKINGPROC hook; int state; } blocking;

int ws2spi_tls_blocking_state(void) { return blocking.state; }
void ws2spi_tls_set_blocking_state(int state) { blocking.state = state; }
LPBLOCKINGPROC ws2spi_tls_blocking_hook(void) { return blocking.hook; }
void ws2spi_tls_set_blocking_hook(LPBLOCKINGPROC hook) {
    blocking.hook = hook;
    if (hook) __atomic_store_n(&ws2spi_hooks_installed, 1, __ATOMIC_RELAXED);
}
int ws2spi_hooks_installed;

/* ---- host services (RULINGS §6) ---- */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static _Thread_local int last_error;

int ws2spi_tls_last_error(void) { return last_error; }
void ws2spi_tls_set_last_error(int error) { last_error = error; }

static _Thread_local void *host_thread;

void *ws2spi_tls_host_thread(void) { return host_thread; }
void ws2spi_tls_set_host_thread(void *thread) { host_thread = thread; }

/* glibc's thread_local destructor registry (GLIBC_2.18): unlike a pthread
 * key destructor, it also runs for the main thread at exit(), and dlclose
 * keeps the object mapped while one of its destructors is pending. */
extern void *__dso_handle __attribute__((visibility("hidden")));
int __cxa_thread_atexit_impl(void (*fn)(void *), void *arg, void *dso_symbol);

int ws2spi_thread_atexit(void (*fn)(void *), void *arg) {
    return __cxa_thread_atexit_impl(fn, arg, &__dso_handle);
}

int ws2spi_gettid(void) { return (int)syscall(SYS_gettid); }

int ws2spi_thread_alive(int tid) {
    if (tid <= 0) return 0;
    return syscall(SYS_tgkill, (long)getpid(), (long)tid, 0L) == 0;
}

long long ws2spi_thread_start_time(int tid) {
    char path[64], buf[1024];
    if (tid <= 0) return -1;
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
    FILE *f = fopen(path, "re");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    /* "pid (comm) state ppid ...": comm may hold spaces and parentheses,
     * so fields are counted after its last ')'; starttime is field 22. */
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    p++;
    for (int field = 3; field < 22; field++) {
        p = strchr(p + 1, ' ');
        if (!p) return -1;
    }
    long long start = -1;
    if (sscanf(p, " %lld", &start) != 1) return -1;
    return start;
}

int64_t ws2spi_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

uint32_t ws2spi_word_load(const uint32_t *word) { return __atomic_load_n(word, __ATOMIC_SEQ_CST); }
void ws2spi_word_store(uint32_t *word, uint32_t value) { __atomic_store_n(word, value, __ATOMIC_SEQ_CST); }
uint32_t ws2spi_word_add(uint32_t *word, uint32_t value) { return __atomic_add_fetch(word, value, __ATOMIC_SEQ_CST); }
uint32_t ws2spi_word_exchange(uint32_t *word, uint32_t value) {
    return __atomic_exchange_n(word, value, __ATOMIC_SEQ_CST);
}

static uint32_t overlapped_stripes[64 * 16] __attribute__((aligned(64)));
uint32_t *ws2spi_overlapped_stripes(void) { return overlapped_stripes; }
