/* The C half of the syscall layer (see ws2spi_sys.h), and the state of the
 * fault-injection switch. */
#define _GNU_SOURCE 1
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include <unistd.h>
#include <errno.h>
#include <sched.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ws2spi_sys.h"

int ws2spi_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int ws2spi_epoll_add(int epfd, int fd, uint32_t events, uint64_t token) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = token;
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int ws2spi_epoll_del(int epfd, int fd) {
    struct epoll_event ev = { 0 };
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &ev);
}

int ws2spi_epoll_wait(int epfd, uint64_t *tokens, uint32_t *events, int max, int timeout_ms) {
    struct epoll_event evs[256];
    if (max > 256) max = 256;
    int n = epoll_wait(epfd, evs, max, timeout_ms);
    for (int i = 0; i < n; i++) {
        tokens[i] = evs[i].data.u64;
        events[i] = evs[i].events;
    }
    return n;
}

int ws2spi_eventfd(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

int ws2spi_eventfd_signal(int fd) {
    uint64_t one = 1;
    return write(fd, &one, sizeof one) == (ssize_t)sizeof one ? 0 : -1;
}

int ws2spi_eventfd_drain(int fd) {
    uint64_t value;
    return read(fd, &value, sizeof value) == (ssize_t)sizeof value ? 0 : -1;
}

int ws2spi_sys_gettid(void) { return (int)gettid(); }

int ws2spi_sys_set_batch_scheduling(void) {
    struct sched_param p = { 0 };
    return sched_setscheduler(0, SCHED_BATCH, &p);
}

const char *ws2spi_sys_object_path(const void *addr) {
    Dl_info info;
    return dladdr(addr, &info) != 0 ? info.dli_fname : NULL;
}

int ws2spi_futex_wait(uint32_t *word, uint32_t expected, int64_t deadline_ns) {
    struct timespec ts, *abs = NULL;
    if (deadline_ns >= 0) {
        ts.tv_sec = (time_t)(deadline_ns / 1000000000);
        ts.tv_nsec = (long)(deadline_ns % 1000000000);
        abs = &ts;
    }
    /* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time. */
    long r = syscall(SYS_futex, word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, expected, abs,
                     NULL, FUTEX_BITSET_MATCH_ANY);
    if (r == 0) return 0;
    return errno == EAGAIN ? 0 : errno;
}

void ws2spi_lock_slow(uint32_t *word) {
    /* Mark the lock contended; sleep while it stays held. */
    while (__atomic_exchange_n(word, 2, __ATOMIC_ACQUIRE) != 0)
        syscall(SYS_futex, word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 2, NULL, NULL, 0);
}

void ws2spi_unlock_slow(uint32_t *word) {
    syscall(SYS_futex, word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
}

void ws2spi_futex_wake(uint32_t *word, int count) {
    syscall(SYS_futex, word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, count, NULL, NULL, 0);
}

/* ---- fault injection ----
 * One 64-bit word per kind, so that a call takes its turn with one
 * compare-and-swap: errno in bits 48-63, calls to skip in 24-47, calls to
 * fail in 0-23 (FOREVER: all). A word is 0 when the kind is disarmed.
 * ws2spi_faults_armed counts the armed words, plus one for the random mode:
 * whoever moves a word between 0 and nonzero adjusts it. */

#define FIELD_MAX 0xFFFFFFull
#define FOREVER FIELD_MAX

int ws2spi_faults_armed;
static uint64_t slots[WS2SPI_FAULT_KINDS];
static int random_permille;
static uint64_t random_seed;
static uint64_t random_counter;

static const char *const kind_names[WS2SPI_FAULT_KINDS] = {
    [WS2SPI_FAULT_SOCKET] = "socket",
    [WS2SPI_FAULT_BIND] = "bind",
    [WS2SPI_FAULT_LISTEN] = "listen",
    [WS2SPI_FAULT_ACCEPT] = "accept",
    [WS2SPI_FAULT_CONNECT] = "connect",
    [WS2SPI_FAULT_SEND] = "send",
    [WS2SPI_FAULT_SENDTO] = "sendto",
    [WS2SPI_FAULT_RECV] = "recv",
    [WS2SPI_FAULT_RECVFROM] = "recvfrom",
    [WS2SPI_FAULT_GETSOCKNAME] = "getsockname",
    [WS2SPI_FAULT_GETPEERNAME] = "getpeername",
    [WS2SPI_FAULT_GETSOCKOPT] = "getsockopt",
    [WS2SPI_FAULT_SETSOCKOPT] = "setsockopt",
    [WS2SPI_FAULT_SHUTDOWN] = "shutdown",
    [WS2SPI_FAULT_IOCTL] = "ioctl",
    [WS2SPI_FAULT_FCNTL] = "fcntl",
    [WS2SPI_FAULT_POLL] = "poll",
    [WS2SPI_FAULT_DUP] = "dup",
    [WS2SPI_FAULT_EPOLL_CREATE] = "epoll_create",
    [WS2SPI_FAULT_EPOLL_CTL] = "epoll_ctl",
    [WS2SPI_FAULT_EPOLL_WAIT] = "epoll_wait",
    [WS2SPI_FAULT_EVENTFD] = "eventfd",
    [WS2SPI_FAULT_WAKE] = "wake",
    [WS2SPI_FAULT_FUTEX] = "futex",
    [WS2SPI_FAULT_THREAD] = "thread",
};

/* The random mode's errnos: what each call can really return under load or
 * a broken peer. No EAGAIN for data calls: a made-up "would block" on a
 * ready socket would wait for an edge that never comes. */
#define E(...) { __VA_ARGS__, 0 }
static const int plausible[WS2SPI_FAULT_KINDS][8] = {
    [WS2SPI_FAULT_SOCKET] = E(EMFILE, ENFILE, ENOBUFS, ENOMEM),
    [WS2SPI_FAULT_BIND] = E(EADDRINUSE, EACCES),
    [WS2SPI_FAULT_LISTEN] = E(EADDRINUSE),
    [WS2SPI_FAULT_ACCEPT] = E(EMFILE, ENFILE, ENOBUFS, ENOMEM, ECONNABORTED, EINTR),
    [WS2SPI_FAULT_CONNECT] = E(ECONNREFUSED, ENETUNREACH, ETIMEDOUT, ENOBUFS),
    [WS2SPI_FAULT_SEND] = E(ENOBUFS, ECONNRESET, EPIPE, EINTR),
    [WS2SPI_FAULT_SENDTO] = E(ENOBUFS, ENOMEM, EINTR),
    [WS2SPI_FAULT_RECV] = E(ECONNRESET, ENOMEM, EINTR),
    [WS2SPI_FAULT_RECVFROM] = E(ECONNREFUSED, ENOMEM, EINTR),
    [WS2SPI_FAULT_GETSOCKNAME] = E(ENOBUFS),
    [WS2SPI_FAULT_GETPEERNAME] = E(ENOTCONN, ENOBUFS),
    [WS2SPI_FAULT_GETSOCKOPT] = E(ENOBUFS, ENOMEM),
    [WS2SPI_FAULT_SETSOCKOPT] = E(ENOBUFS, ENOMEM),
    [WS2SPI_FAULT_SHUTDOWN] = E(ENOTCONN),
    [WS2SPI_FAULT_IOCTL] = E(ENOMEM),
    [WS2SPI_FAULT_FCNTL] = E(EINVAL),
    [WS2SPI_FAULT_POLL] = E(ENOMEM, EINTR),
    [WS2SPI_FAULT_DUP] = E(EMFILE),
    [WS2SPI_FAULT_EPOLL_CREATE] = E(EMFILE, ENFILE, ENOMEM),
    [WS2SPI_FAULT_EPOLL_CTL] = E(ENOMEM, ENOSPC),
    /* EBADF: the engine must rebuild its epoll set and lose nothing. */
    [WS2SPI_FAULT_EPOLL_WAIT] = E(EINTR, EBADF),
    [WS2SPI_FAULT_EVENTFD] = E(EMFILE, ENFILE, ENOMEM),
    [WS2SPI_FAULT_WAKE] = E(EAGAIN),
    [WS2SPI_FAULT_FUTEX] = E(EINTR),
    [WS2SPI_FAULT_THREAD] = E(EAGAIN),
};
#undef E

/* splitmix64: a well-mixed value per call number, so that many threads
 * share one counter and the sequence depends only on the seed. */
static uint64_t mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static int take_random(int kind) {
    int permille = __atomic_load_n(&random_permille, __ATOMIC_RELAXED);
    if (permille <= 0) return 0;
    uint64_t n = __atomic_fetch_add(&random_counter, 1, __ATOMIC_RELAXED);
    uint64_t x = mix(__atomic_load_n(&random_seed, __ATOMIC_RELAXED) ^ mix(n));
    if ((int)(x % 1000) >= permille) return 0;
    int choices = 0;
    while (choices < 8 && plausible[kind][choices] != 0) choices++;
    return choices == 0 ? 0 : plausible[kind][(x >> 32) % (uint64_t)choices];
}

int ws2spi_fault_take(int kind) {
    if (kind < 0 || kind >= WS2SPI_FAULT_KINDS) return 0;
    uint64_t *slot = &slots[kind];
    uint64_t w = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    while (w != 0) {
        int err = (int)(w >> 48);
        uint64_t skip = (w >> 24) & FIELD_MAX, count = w & FIELD_MAX;
        if (skip == 0 && count == FOREVER) return err;
        uint64_t next = skip > 0 ? w - (1ull << 24) : (count == 1 ? 0 : w - 1);
        if (__atomic_compare_exchange_n(slot, &w, next, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            if (next == 0) __atomic_sub_fetch(&ws2spi_faults_armed, 1, __ATOMIC_RELAXED);
            if (skip == 0) return err;
            break;   /* let this one through */
        }
    }
    return take_random(kind);
}

/* Puts w in a kind's word and keeps the armed count right. */
static void store_slot(int kind, uint64_t w) {
    uint64_t old = __atomic_exchange_n(&slots[kind], w, __ATOMIC_ACQ_REL);
    if (old == 0 && w != 0) __atomic_add_fetch(&ws2spi_faults_armed, 1, __ATOMIC_RELAXED);
    if (old != 0 && w == 0) __atomic_sub_fetch(&ws2spi_faults_armed, 1, __ATOMIC_RELAXED);
}

void ws2spi_fault_inject(int kind, int err, int skip, int count) {
    if (kind < 0 || kind >= WS2SPI_FAULT_KINDS) return;
    uint64_t w = 0;
    if (err > 0 && count != 0) {
        /* A retried EINTR that never ends would spin for ever. */
        if (err == EINTR && count < 0) count = 1;
        uint64_t e = (uint64_t)(err > 0xFFFF ? 0xFFFF : err);
        uint64_t s = skip <= 0 ? 0 : ((uint64_t)skip > FIELD_MAX ? FIELD_MAX : (uint64_t)skip);
        uint64_t c = count < 0 ? FOREVER : ((uint64_t)count >= FOREVER ? FOREVER - 1 : (uint64_t)count);
        w = e << 48 | s << 24 | c;
    }
    store_slot(kind, w);
}

static void set_random(uint64_t seed, int permille) {
    if (permille < 0) permille = 0;
    if (permille > 1000) permille = 1000;
    __atomic_store_n(&random_seed, seed, __ATOMIC_RELAXED);
    __atomic_store_n(&random_counter, 0, __ATOMIC_RELAXED);
    int old = __atomic_exchange_n(&random_permille, permille, __ATOMIC_ACQ_REL);
    if (old == 0 && permille != 0) __atomic_add_fetch(&ws2spi_faults_armed, 1, __ATOMIC_RELAXED);
    if (old != 0 && permille == 0) __atomic_sub_fetch(&ws2spi_faults_armed, 1, __ATOMIC_RELAXED);
}

void ws2spi_fault_clear(void) {
    for (int k = 0; k < WS2SPI_FAULT_KINDS; k++) store_slot(k, 0);
    set_random(0, 0);
}

int ws2spi_fault_remaining(int kind) {
    if (kind < 0 || kind >= WS2SPI_FAULT_KINDS) return 0;
    uint64_t w = __atomic_load_n(&slots[kind], __ATOMIC_ACQUIRE);
    uint64_t skip = (w >> 24) & FIELD_MAX, count = w & FIELD_MAX;
    return count == FOREVER ? -1 : (int)(skip + count);
}

const char *ws2spi_fault_kind_name(int kind) {
    return kind >= 0 && kind < WS2SPI_FAULT_KINDS ? kind_names[kind] : NULL;
}

#define N(e) { #e, e }
static const struct { const char *name; int value; } errno_names[] = {
    N(EPERM), N(ENOENT), N(ESRCH), N(EINTR), N(EIO), N(ENXIO), N(EBADF), N(EAGAIN),
    N(EWOULDBLOCK), N(ENOMEM), N(EACCES), N(EFAULT), N(EBUSY), N(EEXIST), N(ENODEV),
    N(EINVAL), N(ENFILE), N(EMFILE), N(ENOSPC), N(EPIPE), N(ERANGE), N(ENOSYS),
    N(ENOTSOCK), N(EDESTADDRREQ), N(EMSGSIZE), N(EPROTOTYPE), N(ENOPROTOOPT),
    N(EPROTONOSUPPORT), N(ESOCKTNOSUPPORT), N(EOPNOTSUPP), N(EPFNOSUPPORT),
    N(EAFNOSUPPORT), N(EADDRINUSE), N(EADDRNOTAVAIL), N(ENETDOWN), N(ENETUNREACH),
    N(ENETRESET), N(ECONNABORTED), N(ECONNRESET), N(ENOBUFS), N(EISCONN),
    N(ENOTCONN), N(ESHUTDOWN), N(ETOOMANYREFS), N(ETIMEDOUT), N(ECONNREFUSED),
    N(EHOSTDOWN), N(EHOSTUNREACH), N(EALREADY), N(EINPROGRESS),
};
#undef N

/* A decimal number in [lo, hi] filling all of text, or -1. */
static long long number(const char *text, long long lo, long long hi) {
    if (*text < '0' || *text > '9') return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 0);
    if (*end != 0 || errno != 0 || v < (unsigned long long)lo || v > (unsigned long long)hi) return -1;
    return (long long)v;
}

int ws2spi_fault_errno(const char *name) {
    if (!name) return 0;
    for (size_t i = 0; i < sizeof errno_names / sizeof errno_names[0]; i++)
        if (strcmp(name, errno_names[i].name) == 0) return errno_names[i].value;
    long long v = number(name, 1, 4095);
    return v < 0 ? 0 : (int)v;
}

/* One item, "kind:ERRNO[:skip[:count]]" or "random:SEED:PERMILLE", split
 * in place at its colons; 0 when armed. */
static int arm_item(char *item) {
    char *field[5] = { 0 };
    int n = 0;
    for (char *p = item; n < 5; n++) {
        field[n] = p;
        p = strchr(p, ':');
        if (!p) { n++; break; }
        *p++ = 0;
    }
    if (n < 2 || n > 4) return -1;
    if (strcmp(field[0], "random") == 0) {
        if (n != 3) return -1;
        long long seed = number(field[1], 0, 0x7FFFFFFFFFFFFFFFll), permille = number(field[2], 0, 1000);
        if (seed < 0 || permille < 0) return -1;
        set_random((uint64_t)seed, (int)permille);
        return 0;
    }
    int kind = -1;
    for (int k = 0; k < WS2SPI_FAULT_KINDS; k++)
        if (strcmp(field[0], kind_names[k]) == 0) kind = k;
    int err = ws2spi_fault_errno(field[1]);
    long long skip = n > 2 ? number(field[2], 0, (long long)FIELD_MAX) : 0;
    int forever = n > 3 && strcmp(field[3], "-1") == 0;
    long long count = n <= 3 ? 1 : forever ? 0 : number(field[3], 1, (long long)FIELD_MAX - 1);
    if (kind < 0 || err == 0 || skip < 0 || count < 0) return -1;
    ws2spi_fault_inject(kind, err, (int)skip, forever ? -1 : (int)count);
    return 0;
}

int ws2spi_fault_arm(const char *spec) {
    ws2spi_fault_clear();
    if (!spec) return 0;
    int bad = 0;
    const char *p = spec;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char item[128];
        /* Spaces around an item are allowed ("a, b"). */
        while (len > 0 && (*p == ' ' || *p == '\t')) { p++; len--; }
        size_t used = len;
        while (used > 0 && (p[used - 1] == ' ' || p[used - 1] == '\t')) used--;
        if (used > 0) {
            int ok = used < sizeof item;
            if (ok) {
                memcpy(item, p, used);
                item[used] = 0;
                ok = arm_item(item) == 0;
            }
            if (!ok) {
                bad++;
                fprintf(stderr, "ws2spi: WS2SPI_FAULTS: ignoring \"%.*s\" (expected kind:ERRNO[:skip[:count]] or random:SEED:PERMILLE)\n",
                        (int)used, p);
            }
        }
        p += len;
        if (*p == ',') p++;
    }
    return bad;
}

void ws2spi_fault_arm_from_env(void) {
    const char *spec = getenv("WS2SPI_FAULTS");
    if (spec && *spec) ws2spi_fault_arm(spec);
}
