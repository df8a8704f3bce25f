/* The C half of the syscall layer (the Swift half is ProviderKit's
 * Syscalls.swift, `enum Sys`): Linux calls Swift's Glibc module does not
 * import (<sys/epoll.h>, <sys/eventfd.h>, futex, gettid), as thin wrappers
 * with plain types, and the fault-injection switch every wrapper checks.
 * epoll_event is packed on x86-64, so epoll_wait hands back tokens and event
 * bits in two plain arrays. */
#ifndef WS2SPI_SYS_H
#define WS2SPI_SYS_H

#include <stdint.h>

#define WS2SPI_EPOLLIN    0x001u
#define WS2SPI_EPOLLPRI   0x002u
#define WS2SPI_EPOLLOUT   0x004u
#define WS2SPI_EPOLLERR   0x008u
#define WS2SPI_EPOLLHUP   0x010u
#define WS2SPI_EPOLLRDHUP 0x2000u
#define WS2SPI_EPOLLET    (1u << 31)

/* These return -1 with errno set on failure, like the calls they wrap. */
int ws2spi_epoll_create(void);
int ws2spi_epoll_add(int epfd, int fd, uint32_t events, uint64_t token);
int ws2spi_epoll_del(int epfd, int fd);
int ws2spi_epoll_wait(int epfd, uint64_t *tokens, uint32_t *events, int max, int timeout_ms);
/* A non-blocking, close-on-exec eventfd. */
int ws2spi_eventfd(void);
/* Adds 1 to the eventfd's counter / reads (and clears) it. */
int ws2spi_eventfd_signal(int fd);
int ws2spi_eventfd_drain(int fd);
int ws2spi_sys_gettid(void);
/* Puts the calling thread in SCHED_BATCH: its wake-ups do not preempt the
 * thread that is running. */
int ws2spi_sys_set_batch_scheduling(void);
/* dladdr(3): the path of the loaded file (library or program) that holds
 * addr, or NULL. */
const char *ws2spi_sys_object_path(const void *addr);

/* A lock of one 32-bit word for critical sections of a few instructions
 * (HandleTable's stripes): 0 free, 1 held, 2 held with waiters (Drepper's
 * futex mutex). The uncontended path is one atomic each way, with no
 * thread-local lookup; a waiter sleeps in the kernel, never spins. Not
 * subject to fault injection. */
void ws2spi_lock_slow(uint32_t *word);
void ws2spi_unlock_slow(uint32_t *word);
static inline void ws2spi_lock(uint32_t *word) {
    uint32_t free_ = 0;
    if (!__atomic_compare_exchange_n(word, &free_, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        ws2spi_lock_slow(word);
}
static inline void ws2spi_unlock(uint32_t *word) {
    if (__atomic_exchange_n(word, 0, __ATOMIC_RELEASE) == 2) ws2spi_unlock_slow(word);
}

/* Sleeps while *word == expected (FUTEX_WAIT_BITSET, process-private),
 * until woken or the absolute CLOCK_MONOTONIC deadline in nanoseconds
 * (deadline_ns < 0: no deadline). Returns 0 (woken, or *word had changed),
 * or ETIMEDOUT / EINTR; spurious returns are possible: recheck. */
int ws2spi_futex_wait(uint32_t *word, uint32_t expected, int64_t deadline_ns);
/* Wakes up to count threads sleeping on word. */
void ws2spi_futex_wake(uint32_t *word, int count);

/* ---- fault injection (tests) ----
 * "Fail the next call of a kind with a chosen errno": the syscall layer asks
 * ws2spi_fault_check(kind) before each call it wraps; nonzero means "do not
 * make the call, fail it with this errno". Armed from Swift
 * (SyscallFaults.inject) or from the environment at every WSPStartup:
 *
 *   WS2SPI_FAULTS=kind:ERRNO[:skip[:count]],...    e.g. socket:EMFILE,epoll_wait:EBADF:0:3
 *   WS2SPI_FAULTS=random:SEED:PERMILLE             PERMILLE/1000 of all injectable
 *                                                  calls fail, each with an errno
 *                                                  plausible for its kind
 *
 * ERRNO is a name (EMFILE, ENOBUFS, EINTR, ...) or a number; skip calls are
 * let through first; count calls then fail (default 1, -1: every call). An
 * EINTR fault is always finite (count -1 counts as 1): the wrappers retry
 * EINTR, as they do a real one. The state is C static storage (nothing to
 * initialise lazily, fork-safe); while nothing is armed a check costs one
 * relaxed load and a predictable branch. */
enum {
    WS2SPI_FAULT_SOCKET = 0,
    WS2SPI_FAULT_BIND,
    WS2SPI_FAULT_LISTEN,
    WS2SPI_FAULT_ACCEPT,
    WS2SPI_FAULT_CONNECT,
    WS2SPI_FAULT_SEND,
    WS2SPI_FAULT_SENDTO,
    WS2SPI_FAULT_RECV,
    WS2SPI_FAULT_RECVFROM,
    WS2SPI_FAULT_GETSOCKNAME,
    WS2SPI_FAULT_GETPEERNAME,
    WS2SPI_FAULT_GETSOCKOPT,
    WS2SPI_FAULT_SETSOCKOPT,
    WS2SPI_FAULT_SHUTDOWN,
    WS2SPI_FAULT_IOCTL,
    WS2SPI_FAULT_FCNTL,
    WS2SPI_FAULT_POLL,
    WS2SPI_FAULT_DUP,
    WS2SPI_FAULT_EPOLL_CREATE,
    WS2SPI_FAULT_EPOLL_CTL,
    WS2SPI_FAULT_EPOLL_WAIT,
    WS2SPI_FAULT_EVENTFD,
    WS2SPI_FAULT_WAKE,          /* read / write of a waker eventfd */
    WS2SPI_FAULT_FUTEX,         /* futex wait (a wake never fails) */
    WS2SPI_FAULT_THREAD,        /* pthread_create */
    WS2SPI_FAULT_KINDS          /* the number of kinds */
};

/* Nonzero while some fault may fire. Written only by sys.c. */
extern int ws2spi_faults_armed;
/* The slow path of ws2spi_fault_check. */
int ws2spi_fault_take(int kind);

/* 0: make the call; else the errno to fail it with. */
static inline int ws2spi_fault_check(int kind) {
    if (__builtin_expect(__atomic_load_n(&ws2spi_faults_armed, __ATOMIC_RELAXED) == 0, 1)) return 0;
    return ws2spi_fault_take(kind);
}

/* 1 while some fault may fire. */
static inline int ws2spi_faults_are_armed(void) {
    return __atomic_load_n(&ws2spi_faults_armed, __ATOMIC_RELAXED) != 0;
}

/* Fails the next calls of kind: skip calls pass first, then count calls
 * (-1: all) fail with err. err 0 or count 0 disarms the kind. */
void ws2spi_fault_inject(int kind, int err, int skip, int count);
/* Disarms every kind and the random mode. */
void ws2spi_fault_clear(void);
/* Calls of kind still to fail (-1: forever), counting those to skip first. */
int ws2spi_fault_remaining(int kind);
/* Replaces the armed faults with those of spec (the WS2SPI_FAULTS syntax).
 * Each item it cannot read is skipped with one line on stderr; returns the
 * number of such items. */
int ws2spi_fault_arm(const char *spec);
/* ws2spi_fault_arm(getenv("WS2SPI_FAULTS")) when the variable is set and
 * not empty; otherwise leaves the armed faults alone. */
void ws2spi_fault_arm_from_env(void);
/* The name of a kind in WS2SPI_FAULTS ("epoll_wait"), or NULL. */
const char *ws2spi_fault_kind_name(int kind);
/* The errno for a name ("EMFILE") or a decimal number, or 0. */
int ws2spi_fault_errno(const char *name);

#endif
