/*
 * uring-vs-epoll.c: is io_uring faster than the provider's epoll engine for
 * overlapped receives? (issue 4, part 1: "If io_uring would beat epoll here,
 * measure both and record the figures".)
 *
 * Plain C, no ws2spi, io_uring through raw system calls (no liburing). The
 * workload is the one of the overlapped bulk benchmark: a TCP loopback
 * transfer of TOTAL bytes (default 2 GiB) sent by a plain blocking send loop
 * of 64 KiB blocks on its own thread (pinned to CPU 1, as bench/bulk.c);
 * the receiver keeps DEPTH (8) receives of 64 KiB outstanding and re-posts
 * each one from its "completion routine". Variants of the receiving side:
 *
 *   base       a plain blocking recv loop, one 64 KiB buffer (bulk.c's raw side)
 *   epoll      A: the provider's design. An engine thread in epoll_wait
 *              (edge-triggered); the socket's FIFO of pending receives under
 *              a lock; on an edge the engine does recv(MSG_DONTWAIT) into the
 *              head operation's buffer until EAGAIN, completing each (status
 *              written, APC queued to the application thread, which is woken
 *              with a futex when it waits alertably). A post to an empty
 *              queue tries recv(MSG_DONTWAIT) at once and completes there if
 *              it can. The engine runs SCHED_BATCH and yields after each
 *              batch, as Sources/ProviderKit/Engine/Reactor.swift does.
 *   uring      B: same engine thread and APC hand-off, but the engine waits
 *              in io_uring_enter(GETEVENTS) and reaps CQEs of IORING_OP_RECV
 *              SQEs, 8 in flight; a post is one SQE submitted at once
 *              (io_uring_enter) by the posting (application) thread, as
 *              WSPRecv would.
 *   epoll-help A, but before each alertable wait the application thread
 *              services the socket's queue itself (in order, under the lock):
 *              data already there needs no hop through the engine.
 *   epoll-app  A without the engine thread: the application thread itself
 *              waits in epoll_wait and receives (the best case for epoll).
 *   uring-app  B2: B without the engine thread: the application thread
 *              reaps CQEs itself and submits its re-posts with the same
 *              io_uring_enter that waits (the best case for io_uring), with
 *              IORING_SETUP_SINGLE_ISSUER|DEFER_TASKRUN where the kernel has
 *              them.
 *   uring-ms, uring-ms-app
 *              B and B2 made ordered. Independent receives on one stream
 *              socket are NOT filled in posting order by io_uring (an
 *              inline attempt of a new SQE overtakes one waiting for poll;
 *              liburing's man pages say overlapping receives on a stream are
 *              unsafe), which the provider must guarantee. Here a post puts
 *              its buffer into a provided-buffer ring (5.19) and one
 *              multishot IORING_OP_RECV (6.0) takes the buffers in ring
 *              order, straight into them; it is re-armed when it ran out of
 *              buffers (-ENOBUFS).
 *
 * The application thread is pinned to CPU 0; an engine thread is created by
 * it and so inherits CPU 0, as the provider's reactor thread does when the
 * benchmark pins its main thread before starting (-e CPU pins it elsewhere,
 * -e -1 leaves it free).
 *
 * Every completion is checked, without stopping the run: its posting
 * sequence number must be the next one (the provider's ordering rule:
 * "unord%"), and its first and last byte must match the sender's pattern at
 * its stream offset (a cheap sampled check for data landing in the wrong
 * buffer: "baddat"). A wrong byte count is fatal.
 *
 * Runs: a warm-up of each variant, then -r RUNS rounds, each running every
 * variant once in a rotated order; prints per variant the median MB/s
 * (10^6 bytes/s) with min and max, its ratio to base, the median of the
 * per-round ratios, CPU time per GiB (process, and per thread: sender,
 * application, engine), bytes per completion, completions per wait.
 *
 *   cc -O2 -o uring-vs-epoll bench/uring-vs-epoll.c -pthread
 *   ./uring-vs-epoll [-m MiB] [-r RUNS] [-v base,epoll,...] [-e CPU] [-s] [-q]
 *   ./uring-vs-epoll -p      # probe: does io_uring work here?
 *   scripts/uring-vs-epoll.sh builds and runs it with the kernel facts.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/futex.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>

/* Flags newer than some installed headers. */
#ifndef IORING_SETUP_COOP_TASKRUN
#define IORING_SETUP_COOP_TASKRUN (1U << 8)
#endif
#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN (1U << 13)
#endif

#define BLOCK 65536
#define DEPTH 8
/* The sender's pattern repeats every PERIOD bytes: not a multiple of the
 * block or buffer size, so a completion holding the wrong part of the
 * stream shows in its first or last byte. */
#define PERIOD (1048576 + 7)

static unsigned char pattern[PERIOD + BLOCK];

static void die(const char *what, int err)
{
    fprintf(stderr, "uring-vs-epoll: %s: %s (errno %d)\n", what, strerror(err), err);
    exit(1);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

/* The calling thread's CPU time. */
static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of the engine thread of the current run (0 without one). */
static double engine_cpu_time;

static void pin(int cpu)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpu < 0 || n < 2) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET((int)(cpu % n), &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static void unpin(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t set;
    CPU_ZERO(&set);
    for (long i = 0; i < n && i < CPU_SETSIZE; i++) CPU_SET((int)i, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static void futex_wait(_Atomic uint32_t *word, uint32_t val)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *word)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* ------------------------------------------------------------------------ */
/* The connection and the sender                                            */

struct sender_arg { uint16_t port; uint64_t total; double cpu; };

static void *sender(void *p)
{
    struct sender_arg *a = p;
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(a->port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    uint64_t off = 0;
    pin(1);
    int s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (s < 0) die("socket", errno);
    if (connect(s, (struct sockaddr *)&sin, sizeof sin) < 0) die("connect", errno);
    while (off < a->total) {
        size_t n = a->total - off < BLOCK ? (size_t)(a->total - off) : BLOCK;
        ssize_t k = send(s, pattern + off % PERIOD, n, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR) continue;
            die("send", errno);
        }
        off += (uint64_t)k;
    }
    close(s);
    a->cpu = thread_cpu();
    return NULL;
}

static int listener(uint16_t *port)
{
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof sin;
    int l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (l < 0) die("socket", errno);
    if (bind(l, (struct sockaddr *)&sin, sizeof sin) < 0) die("bind", errno);
    if (getsockname(l, (struct sockaddr *)&sin, &len) < 0) die("getsockname", errno);
    if (listen(l, 8) < 0) die("listen", errno);
    *port = ntohs(sin.sin_port);
    return l;
}

/* ------------------------------------------------------------------------ */
/* Operations, completions and their checks                                 */

struct op {
    unsigned char *buf;
    size_t len;
    uint64_t seq;       /* posting order */
    ssize_t result;     /* bytes, 0 at end of stream, -errno */
};

struct stats {
    uint64_t got;           /* bytes, also the stream offset of the next completion */
    uint64_t next_seq;      /* the sequence number the next completion must have */
    uint64_t posted;        /* next sequence number to give */
    unsigned inflight;
    int eof;
    double t_end;
    unsigned long completions, order_errors, data_errors, wakes, rearms;
};

static unsigned char *buffers[DEPTH];
static struct op ops[DEPTH];

/* Accounts one completion, in the order the application sees them. */
static void account(struct stats *st, struct op *op)
{
    st->completions++;
    if (op->result < 0) die("receive completion", (int)-op->result);
    if (op->seq != st->next_seq) st->order_errors++;
    st->next_seq = op->seq + 1;
    if (op->result == 0) {
        if (!st->eof) st->t_end = now();
        st->eof = 1;
        return;
    }
    uint64_t n = (uint64_t)op->result, o = st->got;
    if (op->buf[0] != pattern[o % PERIOD] || op->buf[n - 1] != pattern[(o + n - 1) % PERIOD])
        st->data_errors++;
    st->got += n;
}

/* ------------------------------------------------------------------------ */
/* The APC queue of the application thread (HostThread + Wait.swift)         */

struct apcq {
    pthread_mutex_t mu;
    struct op *items[4 * DEPTH];
    unsigned head, tail;
    _Atomic int alertable;
    _Atomic uint32_t word;
};

static void apc_init(struct apcq *q)
{
    memset(q, 0, sizeof *q);
    pthread_mutex_init(&q->mu, NULL);
}

/* On the completing thread: queue, then wake the owner if it waits alertably. */
static void apc_enqueue(struct apcq *q, struct op *op)
{
    pthread_mutex_lock(&q->mu);
    q->items[q->tail++ % (4 * DEPTH)] = op;
    pthread_mutex_unlock(&q->mu);
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load(&q->alertable) && atomic_exchange(&q->word, 1) == 0)
        futex_wake(&q->word);
}

static struct op *apc_pop(struct apcq *q)
{
    struct op *op = NULL;
    pthread_mutex_lock(&q->mu);
    if (q->head != q->tail) op = q->items[q->head++ % (4 * DEPTH)];
    pthread_mutex_unlock(&q->mu);
    return op;
}

static int apc_empty(struct apcq *q)
{
    pthread_mutex_lock(&q->mu);
    int e = q->head == q->tail;
    pthread_mutex_unlock(&q->mu);
    return e;
}

/* SleepEx(INFINITE, TRUE): park until APCs are queued, then run them all. */
static void alertable_wait(struct apcq *q, struct stats *st, void (*routine)(struct op *))
{
    atomic_store(&q->alertable, 1);
    for (;;) {
        atomic_store(&q->word, 0);
        if (!apc_empty(q)) break;
        st->wakes++;
        futex_wait(&q->word, 0);
    }
    atomic_store(&q->alertable, 0);
    struct op *op;
    while ((op = apc_pop(q)) != NULL) routine(op);
}

/* ------------------------------------------------------------------------ */
/* io_uring through raw system calls                                        */

struct uring {
    int fd;
    unsigned flags;
    _Atomic unsigned *sq_head, *sq_tail, *cq_head, *cq_tail;
    unsigned sq_mask, cq_mask, sq_local_tail;
    struct io_uring_sqe *sqes;
    struct io_uring_cqe *cqes;
    void *sq_map, *cq_map;
    size_t sq_size, cq_size, sqe_size;
};

static int uring_setup(struct uring *r, unsigned entries, unsigned flags)
{
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    p.flags = flags;
    int fd = (int)syscall(__NR_io_uring_setup, entries, &p);
    if (fd < 0) return -errno;
    memset(r, 0, sizeof *r);
    r->fd = fd;
    r->flags = flags;
    r->sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    r->cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    if (p.features & IORING_FEAT_SINGLE_MMAP) {
        if (r->cq_size > r->sq_size) r->sq_size = r->cq_size;
        r->cq_size = r->sq_size;
    }
    r->sq_map = mmap(NULL, r->sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
    if (r->sq_map == MAP_FAILED) die("mmap(SQ ring)", errno);
    if (p.features & IORING_FEAT_SINGLE_MMAP) {
        r->cq_map = r->sq_map;
    } else {
        r->cq_map = mmap(NULL, r->cq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
        if (r->cq_map == MAP_FAILED) die("mmap(CQ ring)", errno);
    }
    r->sqe_size = p.sq_entries * sizeof(struct io_uring_sqe);
    r->sqes = mmap(NULL, r->sqe_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
    if (r->sqes == MAP_FAILED) die("mmap(SQEs)", errno);
    char *sq = r->sq_map, *cq = r->cq_map;
    r->sq_head = (_Atomic unsigned *)(sq + p.sq_off.head);
    r->sq_tail = (_Atomic unsigned *)(sq + p.sq_off.tail);
    r->sq_mask = *(unsigned *)(sq + p.sq_off.ring_mask);
    unsigned *array = (unsigned *)(sq + p.sq_off.array);
    for (unsigned i = 0; i < p.sq_entries; i++) array[i] = i;   /* SQE i in slot i */
    r->cq_head = (_Atomic unsigned *)(cq + p.cq_off.head);
    r->cq_tail = (_Atomic unsigned *)(cq + p.cq_off.tail);
    r->cq_mask = *(unsigned *)(cq + p.cq_off.ring_mask);
    r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
    r->sq_local_tail = atomic_load_explicit(r->sq_tail, memory_order_relaxed);
    return 0;
}

static void uring_close(struct uring *r)
{
    munmap(r->sqes, r->sqe_size);
    if (r->cq_map != r->sq_map) munmap(r->cq_map, r->cq_size);
    munmap(r->sq_map, r->sq_size);
    close(r->fd);
}

/* Queues one SQE (the caller submits); one producer at a time. Returns it
 * for extra fields, which the caller sets before the next io_uring_enter. */
static struct io_uring_sqe *uring_queue(struct uring *r, uint8_t opcode, int fd, void *buf, unsigned len,
                                        uint64_t data)
{
    unsigned t = r->sq_local_tail;
    if (t - atomic_load_explicit(r->sq_head, memory_order_acquire) > r->sq_mask)
        die("SQ ring full", ENOSPC);
    struct io_uring_sqe *e = &r->sqes[t & r->sq_mask];
    memset(e, 0, sizeof *e);
    e->opcode = opcode;
    e->fd = fd;
    e->addr = (uint64_t)(uintptr_t)buf;
    e->len = len;
    e->user_data = data;
    r->sq_local_tail = t + 1;
    atomic_store_explicit(r->sq_tail, t + 1, memory_order_release);
    return e;
}

static int uring_enter(struct uring *r, unsigned submit, unsigned wait, unsigned flags)
{
    for (;;) {
        long n = syscall(__NR_io_uring_enter, r->fd, submit, wait, flags, NULL, 0);
        if (n >= 0) return (int)n;
        if (errno != EINTR) die("io_uring_enter", errno);
        if (submit) return 0;   /* nothing was consumed: the caller retries */
    }
}

/* Takes the next CQE, if any, into *data, *res and *flags. */
static int uring_reap(struct uring *r, uint64_t *data, int32_t *res, uint32_t *flags)
{
    unsigned h = atomic_load_explicit(r->cq_head, memory_order_relaxed);
    if (h == atomic_load_explicit(r->cq_tail, memory_order_acquire)) return 0;
    struct io_uring_cqe *c = &r->cqes[h & r->cq_mask];
    *data = c->user_data;
    *res = c->res;
    *flags = c->flags;
    atomic_store_explicit(r->cq_head, h + 1, memory_order_release);
    return 1;
}

/* A provided-buffer ring (IORING_REGISTER_PBUF_RING, 5.19): the posted
 * receive buffers themselves, in posting order. A multishot receive
 * (IORING_RECV_MULTISHOT, 6.0) takes them in ring order, so buffers fill in
 * the order they were posted and data still goes straight into them. */
#define BR_ENTRIES 16
#define BR_GROUP 1

struct bufring {
    struct io_uring_buf_ring *br;
    uint16_t tail;
};

static int bufring_register(struct uring *r, struct bufring *b)
{
    b->br = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (b->br == MAP_FAILED) die("mmap(buffer ring)", errno);
    b->tail = 0;
    struct io_uring_buf_reg reg;
    memset(&reg, 0, sizeof reg);
    reg.ring_addr = (uint64_t)(uintptr_t)b->br;
    reg.ring_entries = BR_ENTRIES;
    reg.bgid = BR_GROUP;
    if (syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_PBUF_RING, &reg, 1) < 0) {
        int e = errno;
        munmap(b->br, 4096);
        return -e;
    }
    return 0;
}

static void bufring_add(struct bufring *b, struct op *op, uint16_t bid)
{
    struct io_uring_buf *e = &b->br->bufs[b->tail & (BR_ENTRIES - 1)];
    e->addr = (uint64_t)(uintptr_t)op->buf;
    e->len = (uint32_t)op->len;
    e->bid = bid;
    b->tail++;
    __atomic_store_n(&b->br->tail, b->tail, __ATOMIC_RELEASE);
}

/* The multishot receive into buffer group BR_GROUP. */
static void queue_multishot(struct uring *r, int fd, uint64_t data)
{
    struct io_uring_sqe *e = uring_queue(r, IORING_OP_RECV, fd, NULL, 0, data);
    e->flags = IOSQE_BUFFER_SELECT;
    e->buf_group = BR_GROUP;
    e->ioprio = IORING_RECV_MULTISHOT;
}

/* ------------------------------------------------------------------------ */
/* The variants. Each gets the accepted socket, returns when the stream     */
/* ended and every operation completed.                                     */

static int engine_cpu = 0;   /* -e: -2 inherit (default), -1 free, n: CPU n */

static void engine_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
    if (pthread_create(t, NULL, fn, arg) != 0) die("pthread_create", EAGAIN);
}

static void engine_setup(void)
{
    struct sched_param sp = { 0 };
    sched_setscheduler(0, SCHED_BATCH, &sp);   /* as Reactor.run does */
    if (engine_cpu == -1) unpin();
    else if (engine_cpu >= 0) pin(engine_cpu);
}

/* --- base ------------------------------------------------------------------ */

static void run_base(int s, struct stats *st)
{
    struct op op = { .buf = buffers[0], .len = BLOCK };
    for (;;) {
        ssize_t n = recv(s, op.buf, op.len, 0);
        if (n < 0 && errno == EINTR) continue;
        op.result = n < 0 ? -errno : n;
        op.seq = st->posted++;
        account(st, &op);
        if (n == 0) return;
    }
}

/* --- epoll (A) --------------------------------------------------------------- */

struct sockq {
    pthread_mutex_t mu;
    struct op *q[DEPTH];
    unsigned head, tail;
    int fd;
};

static struct {
    struct sockq sq;
    struct apcq apc;
    struct stats *st;
    int ep, wake;
} A;

static ssize_t try_recv(int fd, struct op *op)
{
    ssize_t n = recv(fd, op->buf, op->len, MSG_DONTWAIT);
    return n < 0 ? -errno : n;
}

/* WSPRecv: complete at once when the queue is empty and data is there. */
static void epoll_post(struct op *op)
{
    struct sockq *q = &A.sq;
    op->seq = A.st->posted++;
    A.st->inflight++;
    pthread_mutex_lock(&q->mu);
    if (q->head == q->tail) {
        ssize_t n = try_recv(q->fd, op);
        if (n != -EAGAIN) {
            op->result = n;
            apc_enqueue(&A.apc, op);
            pthread_mutex_unlock(&q->mu);
            return;
        }
    }
    q->q[q->tail++ % DEPTH] = op;
    pthread_mutex_unlock(&q->mu);
}

static void epoll_routine(struct op *op)
{
    A.st->inflight--;
    account(A.st, op);
    if (!A.st->eof) epoll_post(op);
}

/* The engine's side: the head operation, until the kernel has nothing. */
static void epoll_service(void)
{
    struct sockq *q = &A.sq;
    pthread_mutex_lock(&q->mu);
    while (q->head != q->tail) {
        struct op *op = q->q[q->head % DEPTH];
        ssize_t n = try_recv(q->fd, op);
        if (n == -EAGAIN) break;
        q->head++;
        op->result = n;
        apc_enqueue(&A.apc, op);
    }
    pthread_mutex_unlock(&q->mu);
}

static void *epoll_engine(void *arg)
{
    struct epoll_event ev[256];
    (void)arg;
    engine_setup();
    for (;;) {
        int n = epoll_wait(A.ep, ev, 256, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait", errno);
        }
        for (int i = 0; i < n; i++) {
            if (ev[i].data.u64 == 0) {   /* the stop kick */
                engine_cpu_time = thread_cpu();
                return NULL;
            }
            epoll_service();
        }
        if (n > 0) sched_yield();
    }
}

static void epoll_open(int s, struct stats *st)
{
    memset(&A, 0, sizeof A);
    pthread_mutex_init(&A.sq.mu, NULL);
    apc_init(&A.apc);
    A.sq.fd = s;
    A.st = st;
    A.ep = epoll_create1(EPOLL_CLOEXEC);
    A.wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (A.ep < 0 || A.wake < 0) die("epoll_create1/eventfd", errno);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0 };
    if (epoll_ctl(A.ep, EPOLL_CTL_ADD, A.wake, &ev) < 0) die("epoll_ctl", errno);
    /* The provider's registration: everything, edge-triggered. */
    ev.events = EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = 1;
    if (epoll_ctl(A.ep, EPOLL_CTL_ADD, s, &ev) < 0) die("epoll_ctl", errno);
}

static void run_epoll(int s, struct stats *st)
{
    pthread_t t;
    epoll_open(s, st);
    engine_start(&t, epoll_engine, NULL);
    for (int i = 0; i < DEPTH; i++) epoll_post(&ops[i]);
    while (!(st->eof && st->inflight == 0)) alertable_wait(&A.apc, st, epoll_routine);
    uint64_t one = 1;
    if (write(A.wake, &one, 8) != 8) die("write(eventfd)", errno);
    pthread_join(t, NULL);
    close(A.ep);
    close(A.wake);
}

/* --- epoll-help (A, the posting thread helps) --------------------------------- */

/* A, but before each alertable wait the application thread first services
 * the socket's queue itself (in order, under the queue's lock), so that data
 * already there is received without a hop through the engine thread; the
 * engine still handles every edge that comes while the thread sleeps. */
static void run_epoll_help(int s, struct stats *st)
{
    pthread_t t;
    epoll_open(s, st);
    engine_start(&t, epoll_engine, NULL);
    for (int i = 0; i < DEPTH; i++) epoll_post(&ops[i]);
    while (!(st->eof && st->inflight == 0)) {
        epoll_service();
        alertable_wait(&A.apc, st, epoll_routine);
    }
    uint64_t one = 1;
    if (write(A.wake, &one, 8) != 8) die("write(eventfd)", errno);
    pthread_join(t, NULL);
    close(A.ep);
    close(A.wake);
}

/* --- epoll-app (A without the engine thread) ---------------------------------- */

static void run_epoll_app(int s, struct stats *st)
{
    struct epoll_event ev[256];
    epoll_open(s, st);
    for (int i = 0; i < DEPTH; i++) epoll_post(&ops[i]);
    for (;;) {
        struct op *op;
        /* Completions first (posts that completed at once, or the last edge's). */
        while ((op = apc_pop(&A.apc)) != NULL) epoll_routine(op);
        if (st->eof && st->inflight == 0) break;
        st->wakes++;
        int n = epoll_wait(A.ep, ev, 256, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait", errno);
        }
        for (int i = 0; i < n; i++)
            if (ev[i].data.u64 == 1) epoll_service();
    }
    close(A.ep);
    close(A.wake);
}

/* --- uring (B) --------------------------------------------------------------- */

static struct {
    struct uring r;
    struct apcq apc;
    struct stats *st;
    int fd;
} B;

static unsigned uring_flags_app;   /* flags the uring-app ring got */
static int uring_app_used;

static void uring_post(struct op *op)
{
    op->seq = B.st->posted++;
    B.st->inflight++;
    uring_queue(&B.r, IORING_OP_RECV, B.fd, op->buf, (unsigned)op->len, (uint64_t)(uintptr_t)op);
    while (uring_enter(&B.r, 1, 0, 0) != 1) {}
}

static void uring_routine(struct op *op)
{
    B.st->inflight--;
    account(B.st, op);
    if (!B.st->eof) uring_post(op);
}

static void *uring_engine(void *arg)
{
    (void)arg;
    engine_setup();
    for (;;) {
        uint64_t data;
        int32_t res;
        uint32_t fl;
        int stop = 0;
        uring_enter(&B.r, 0, 1, IORING_ENTER_GETEVENTS);
        while (uring_reap(&B.r, &data, &res, &fl)) {
            if (data == 0) { stop = 1; continue; }   /* the stop NOP */
            struct op *op = (struct op *)(uintptr_t)data;
            op->result = res;
            apc_enqueue(&B.apc, op);
        }
        if (stop) {
            engine_cpu_time = thread_cpu();
            return NULL;
        }
        sched_yield();
    }
}

static void run_uring(int s, struct stats *st)
{
    pthread_t t;
    memset(&B, 0, sizeof B);
    apc_init(&B.apc);
    B.st = st;
    B.fd = s;
    /* No COOP_TASKRUN: the posting thread owns the task work of its
     * receives, and it sleeps in a futex, not in io_uring_enter. */
    int rc = uring_setup(&B.r, 4 * DEPTH, 0);
    if (rc < 0) die("io_uring_setup", -rc);
    engine_start(&t, uring_engine, NULL);
    for (int i = 0; i < DEPTH; i++) uring_post(&ops[i]);
    while (!(st->eof && st->inflight == 0)) alertable_wait(&B.apc, st, uring_routine);
    uring_queue(&B.r, IORING_OP_NOP, -1, NULL, 0, 0);
    while (uring_enter(&B.r, 1, 0, 0) != 1) {}
    pthread_join(t, NULL);
    uring_close(&B.r);
}

/* --- uring-app (B2) ---------------------------------------------------------- */

static int uring_app_setup(struct uring *r)
{
    static const unsigned tries[] = {
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
        IORING_SETUP_COOP_TASKRUN,
        0,
    };
    int rc = -ENOSYS;
    for (unsigned i = 0; i < sizeof tries / sizeof tries[0]; i++) {
        rc = uring_setup(r, 4 * DEPTH, tries[i]);
        if (rc == 0) { uring_flags_app = tries[i]; uring_app_used = 1; return 0; }
        if (rc != -EINVAL) break;
    }
    return rc;
}

static void run_uring_app(int s, struct stats *st)
{
    struct uring r;
    int rc = uring_app_setup(&r);
    if (rc < 0) die("io_uring_setup", -rc);
    unsigned pending = 0;
    for (int i = 0; i < DEPTH; i++) {
        ops[i].seq = st->posted++;
        st->inflight++;
        uring_queue(&r, IORING_OP_RECV, s, ops[i].buf, (unsigned)ops[i].len, (uint64_t)(uintptr_t)&ops[i]);
        pending++;
    }
    while (!(st->eof && st->inflight == 0)) {
        /* Submit the re-posts and wait in one call. */
        st->wakes++;
        int n = uring_enter(&r, pending, 1, IORING_ENTER_GETEVENTS);
        pending -= (unsigned)n <= pending ? (unsigned)n : pending;
        uint64_t data;
        int32_t res;
        uint32_t fl;
        while (uring_reap(&r, &data, &res, &fl)) {
            struct op *op = (struct op *)(uintptr_t)data;
            op->result = res;
            st->inflight--;
            account(st, op);
            if (!st->eof) {
                op->seq = st->posted++;
                st->inflight++;
                uring_queue(&r, IORING_OP_RECV, s, op->buf, (unsigned)op->len, data);
                pending++;
            }
        }
    }
    uring_close(&r);
}

/* --- uring-ms (B, ordered): engine thread + multishot receive ------------------ */

/* The posted operations not yet filled, in posting order: the buffer ring
 * holds the same ones. At end of stream they complete with 0 bytes. */
struct fifo {
    struct op *q[BR_ENTRIES];
    unsigned head, tail;
};

#define MS_TAG 1   /* user_data of the multishot receive; 0 is the stop NOP */

static struct {
    struct uring r;
    struct bufring b;
    struct apcq apc;
    struct stats *st;
    int fd;
    /* Guards the SQ (the engine re-arms too), the buffer ring's producer
     * side, the fifo, armed and ended. */
    pthread_mutex_t mu;
    struct fifo f;
    int armed, ended;
} M;

static void ms_arm_locked(void)
{
    M.armed = 1;
    M.st->rearms++;
    queue_multishot(&M.r, M.fd, MS_TAG);
    while (uring_enter(&M.r, 1, 0, 0) != 1) {}
}

/* WSPRecv: the buffer joins the ring; re-arm if the receive had stopped. */
static void ms_post(struct op *op)
{
    op->seq = M.st->posted++;
    M.st->inflight++;
    pthread_mutex_lock(&M.mu);
    if (M.ended) {
        pthread_mutex_unlock(&M.mu);
        op->result = 0;
        apc_enqueue(&M.apc, op);
        return;
    }
    M.f.q[M.f.tail++ % BR_ENTRIES] = op;
    bufring_add(&M.b, op, (uint16_t)(op - ops));
    if (!M.armed) ms_arm_locked();
    pthread_mutex_unlock(&M.mu);
}

static void ms_routine(struct op *op)
{
    M.st->inflight--;
    account(M.st, op);
    if (!M.st->eof) ms_post(op);
}

static void *ms_engine(void *arg)
{
    (void)arg;
    engine_setup();
    for (;;) {
        uint64_t data;
        int32_t res;
        uint32_t fl;
        int stop = 0;
        uring_enter(&M.r, 0, 1, IORING_ENTER_GETEVENTS);
        while (uring_reap(&M.r, &data, &res, &fl)) {
            if (data == 0) { stop = 1; continue; }
            if (res < 0 && res != -ENOBUFS) die("multishot receive", -res);
            pthread_mutex_lock(&M.mu);
            if (fl & IORING_CQE_F_BUFFER) {
                struct op *op = &ops[fl >> IORING_CQE_BUFFER_SHIFT];
                M.f.head++;   /* the ring is consumed in order */
                op->result = res;
                apc_enqueue(&M.apc, op);
            }
            if (!(fl & IORING_CQE_F_MORE)) {
                if (res == 0) {
                    /* End of stream: the rest complete with 0, as epoll's do. */
                    M.ended = 1;
                    while (M.f.head != M.f.tail) {
                        struct op *op = M.f.q[M.f.head++ % BR_ENTRIES];
                        op->result = 0;
                        apc_enqueue(&M.apc, op);
                    }
                    M.armed = 0;
                } else if (M.f.head != M.f.tail) {
                    ms_arm_locked();   /* out of buffers, but more were posted since */
                } else {
                    M.armed = 0;       /* the next post re-arms */
                }
            }
            pthread_mutex_unlock(&M.mu);
        }
        if (stop) {
            engine_cpu_time = thread_cpu();
            return NULL;
        }
        sched_yield();
    }
}

static int ms_open(struct uring *r, struct bufring *b, unsigned flags)
{
    int rc = flags == ~0u ? uring_app_setup(r) : uring_setup(r, 4 * DEPTH, flags);
    if (rc < 0) die("io_uring_setup", -rc);
    rc = bufring_register(r, b);
    if (rc < 0) die("io_uring_register(PBUF_RING)", -rc);
    return 0;
}

static void run_uring_ms(int s, struct stats *st)
{
    pthread_t t;
    memset(&M, 0, sizeof M);
    pthread_mutex_init(&M.mu, NULL);
    apc_init(&M.apc);
    M.st = st;
    M.fd = s;
    ms_open(&M.r, &M.b, 0);
    engine_start(&t, ms_engine, NULL);
    for (int i = 0; i < DEPTH; i++) ms_post(&ops[i]);
    while (!(st->eof && st->inflight == 0)) alertable_wait(&M.apc, st, ms_routine);
    pthread_mutex_lock(&M.mu);
    uring_queue(&M.r, IORING_OP_NOP, -1, NULL, 0, 0);
    while (uring_enter(&M.r, 1, 0, 0) != 1) {}
    pthread_mutex_unlock(&M.mu);
    pthread_join(t, NULL);
    munmap(M.b.br, 4096);
    uring_close(&M.r);
}

/* --- uring-ms-app (B2, ordered): the application reaps, multishot receive --- */

static void run_uring_ms_app(int s, struct stats *st)
{
    struct uring r;
    struct bufring b;
    struct fifo f = { .head = 0, .tail = 0 };
    unsigned pending = 0;
    int armed = 0, ended = 0;
    ms_open(&r, &b, ~0u);
    for (int i = 0; i < DEPTH; i++) {
        ops[i].seq = st->posted++;
        st->inflight++;
        f.q[f.tail++ % BR_ENTRIES] = &ops[i];
        bufring_add(&b, &ops[i], (uint16_t)i);
    }
    while (!(st->eof && st->inflight == 0)) {
        if (!armed && !ended) {
            queue_multishot(&r, s, MS_TAG);
            pending++;
            armed = 1;
            st->rearms++;
        }
        st->wakes++;
        int n = uring_enter(&r, pending, 1, IORING_ENTER_GETEVENTS);
        pending -= (unsigned)n <= pending ? (unsigned)n : pending;
        uint64_t data;
        int32_t res;
        uint32_t fl;
        while (uring_reap(&r, &data, &res, &fl)) {
            if (res < 0 && res != -ENOBUFS) die("multishot receive", -res);
            if (!(fl & IORING_CQE_F_MORE)) {
                armed = 0;
                if (res == 0) ended = 1;
            }
            if (fl & IORING_CQE_F_BUFFER) {
                struct op *op = &ops[fl >> IORING_CQE_BUFFER_SHIFT];
                f.head++;
                op->result = res;
                st->inflight--;
                account(st, op);
                if (!st->eof) {
                    op->seq = st->posted++;
                    st->inflight++;
                    f.q[f.tail++ % BR_ENTRIES] = op;
                    bufring_add(&b, op, (uint16_t)(op - ops));
                }
            }
            if (ended) {
                while (f.head != f.tail) {
                    struct op *op = f.q[f.head++ % BR_ENTRIES];
                    op->result = 0;
                    st->inflight--;
                    account(st, op);
                }
            }
        }
    }
    munmap(b.br, 4096);
    uring_close(&r);
}

/* ------------------------------------------------------------------------ */
/* Driver                                                                   */

struct variant {
    const char *name;
    void (*run)(int, struct stats *);
    int on;
    double mbps[256], ratio[256], cpu_per_gib[256], snd[256], app[256], eng[256];
    int n;
    unsigned long completions, order_errors, data_errors, wakes, rearms;
    uint64_t bytes;
};

static struct variant variants[] = {
    { .name = "base", .run = run_base, .on = 1 },
    { .name = "epoll", .run = run_epoll, .on = 1 },
    { .name = "uring", .run = run_uring, .on = 1 },
    { .name = "epoll-help", .run = run_epoll_help, .on = 1 },
    { .name = "epoll-app", .run = run_epoll_app, .on = 1 },
    { .name = "uring-app", .run = run_uring_app, .on = 1 },
    { .name = "uring-ms", .run = run_uring_ms, .on = 1 },
    { .name = "uring-ms-app", .run = run_uring_ms_app, .on = 1 },
};
#define NV (int)(sizeof variants / sizeof variants[0])

/* One transfer; returns MB/s. */
static double one_run(struct variant *v, uint64_t total)
{
    struct stats st;
    struct sender_arg sa;
    pthread_t t;
    memset(&st, 0, sizeof st);
    int l = listener(&sa.port);
    sa.total = total;
    engine_cpu_time = 0;
    double c0 = cpu_seconds(), a0 = thread_cpu();
    if (pthread_create(&t, NULL, sender, &sa) != 0) die("pthread_create", EAGAIN);
    int s = accept(l, NULL, NULL);
    if (s < 0) die("accept", errno);
    double t0 = now();
    v->run(s, &st);
    double a1 = thread_cpu();
    pthread_join(t, NULL);
    double c1 = cpu_seconds();
    close(s);
    close(l);
    if (st.got != total) {
        fprintf(stderr, "uring-vs-epoll: %s: received %llu of %llu bytes, %lu data errors, %lu order errors\n",
                v->name, (unsigned long long)st.got, (unsigned long long)total, st.data_errors, st.order_errors);
        exit(1);
    }
    v->order_errors += st.order_errors;
    v->data_errors += st.data_errors;
    v->rearms += st.rearms;
    v->completions += st.completions;
    v->wakes += st.wakes;
    v->bytes += st.got;
    double gib = (double)total / 1073741824.0;
    v->cpu_per_gib[v->n] = (c1 - c0) / gib;
    v->snd[v->n] = sa.cpu / gib;
    v->app[v->n] = (a1 - a0) / gib;
    v->eng[v->n] = engine_cpu_time / gib;
    return (double)total / 1e6 / (st.t_end - t0);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
    double tmp[256];
    memcpy(tmp, v, (size_t)n * sizeof *v);
    qsort(tmp, (size_t)n, sizeof *tmp, cmp);
    return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

/* -s: a SCHED_IDLE thread spinning on each CPU keeps the CPUs from going
 * idle (on a VM an idle vCPU halts, and waking it costs far more than a
 * context switch) while taking no time from any other thread. A diagnostic:
 * it shows how much of a figure is wake-up latency. */
static _Atomic int spin_stop;

static void *spinner(void *arg)
{
    struct sched_param sp = { 0 };
    pin((int)(intptr_t)arg);
    sched_setscheduler(0, SCHED_IDLE, &sp);
    while (!atomic_load_explicit(&spin_stop, memory_order_relaxed)) {}
    return NULL;
}

static int probe(void)
{
    struct uring r;
    int rc = uring_setup(&r, 8, 0);
    if (rc < 0) {
        printf("io_uring_setup: FAILED: %s (errno %d)\n", strerror(-rc), -rc);
        return 1;
    }
    /* A NOP through the ring proves io_uring_enter works too. */
    uring_queue(&r, IORING_OP_NOP, -1, NULL, 0, 42);
    uring_enter(&r, 1, 1, IORING_ENTER_GETEVENTS);
    uint64_t data = 0;
    int32_t res = -1;
    uint32_t fl;
    int ok = uring_reap(&r, &data, &res, &fl) && data == 42 && res == 0;
    uring_close(&r);
    struct uring r2;
    rc = uring_app_setup(&r2);
    if (rc == 0) uring_close(&r2);
    printf("io_uring_setup: works (NOP round trip %s); uring-app ring flags: %s\n", ok ? "ok" : "FAILED",
           rc < 0 ? "none work" :
           uring_flags_app == (IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN) ? "SINGLE_ISSUER|DEFER_TASKRUN" :
           uring_flags_app == IORING_SETUP_COOP_TASKRUN ? "COOP_TASKRUN" : "0");
    return ok ? 0 : 1;
}

static void usage(const char *me)
{
    fprintf(stderr, "usage: %s [-m MiB (2048)] [-r RUNS (7)] [-v VARIANTS] [-e ENGINE_CPU] [-s] [-q] | -p\n"
                    "  VARIANTS: comma-separated subset of base,epoll,uring,epoll-help,epoll-app,uring-app,uring-ms,\n"
                    "  uring-ms-app\n"
                    "  (default all; the ratios need base)\n"
                    "  ENGINE_CPU: CPU for the engine thread; -1 unpinned; default: inherit the app thread's CPU 0\n"
                    "  -s: SCHED_IDLE spinners keep the CPUs from idling (wake-up latency diagnostic; the cpu\n"
                    "      column then includes the spinners)\n"
                    "  -q: only the table; -p: probe io_uring and exit\n",
            me);
    exit(2);
}

int main(int argc, char **argv)
{
    long mib = 2048;
    int runs = 7, quiet = 0, spin = 0, opt;
    engine_cpu = -2;
    while ((opt = getopt(argc, argv, "m:r:v:e:qps")) != -1) {
        switch (opt) {
        case 'm': mib = strtol(optarg, NULL, 10); break;
        case 'r': runs = (int)strtol(optarg, NULL, 10); break;
        case 'e': engine_cpu = (int)strtol(optarg, NULL, 10); break;
        case 'q': quiet = 1; break;
        case 's': spin = 1; break;
        case 'p': return probe();
        case 'v':
            for (int i = 0; i < NV; i++) variants[i].on = 0;
            for (char *tok = strtok(optarg, ","); tok; tok = strtok(NULL, ",")) {
                int found = 0;
                for (int i = 0; i < NV; i++)
                    if (strcmp(tok, variants[i].name) == 0) variants[i].on = found = 1;
                if (!found) usage(argv[0]);
            }
            break;
        default: usage(argv[0]);
        }
    }
    if (mib <= 0 || runs <= 0 || runs > 256) usage(argv[0]);
    uint64_t total = (uint64_t)mib << 20;

    for (size_t i = 0; i < sizeof pattern; i++) {
        uint64_t o = i % PERIOD;
        pattern[i] = (unsigned char)((o * 2654435761u) >> 13);
    }
    for (int i = 0; i < DEPTH; i++) {
        buffers[i] = aligned_alloc(4096, BLOCK);
        if (!buffers[i]) die("aligned_alloc", ENOMEM);
        memset(buffers[i], 0, BLOCK);
        ops[i] = (struct op){ .buf = buffers[i], .len = BLOCK };
    }
    if (spin) {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        for (long c = 0; c < ncpu; c++) {
            pthread_t t;
            if (pthread_create(&t, NULL, spinner, (void *)(intptr_t)c) != 0) die("pthread_create", EAGAIN);
            pthread_detach(t);
        }
    }
    pin(0);

    int on[NV], non = 0;
    for (int i = 0; i < NV; i++) if (variants[i].on) on[non++] = i;
    /* A warm-up transfer of each, not counted. */
    for (int k = 0; k < non; k++) {
        struct variant *v = &variants[on[k]];
        one_run(v, total / 8 ? total / 8 : total);
        v->completions = v->wakes = v->order_errors = v->data_errors = v->rearms = 0;
        v->bytes = 0;
    }
    for (int r = 0; r < runs; r++) {
        double base = 0;
        double got[NV];
        for (int k = 0; k < non; k++) {
            struct variant *v = &variants[on[(k + r) % non]];   /* rotate the order */
            double mbps = one_run(v, total);
            got[v - variants] = mbps;
            v->mbps[v->n++] = mbps;
            if (!quiet) printf("run %d %-12s %8.0f MB/s\n", r + 1, v->name, mbps);
        }
        base = variants[0].on ? got[0] : 0;
        for (int k = 0; k < non; k++) {
            struct variant *v = &variants[on[k]];
            v->ratio[v->n - 1] = base > 0 ? got[on[k]] / base : 0;
        }
        fflush(stdout);
    }

    double base_med = variants[0].on ? median(variants[0].mbps, variants[0].n) : 0;
    printf("\n%d MiB per run, %d runs, %d x %d KiB receives outstanding; engine thread: %s%s\n", (int)mib, runs,
           DEPTH, BLOCK / 1024, engine_cpu == -2 ? "inherits CPU 0" : engine_cpu == -1 ? "unpinned" : "pinned",
           spin ? "; idle spinners on" : "");
    printf("%-12s %6s %6s %6s %6s %7s | %5s %5s %5s %5s | %6s %6s %7s %6s\n", "variant", "MB/s", "min", "max",
           "ratio", "ratio_p", "cpu", "send", "app", "eng", "KiB/c", "c/wake", "unord%", "baddat");
    for (int k = 0; k < non; k++) {
        struct variant *v = &variants[on[k]];
        double mn = v->mbps[0], mx = v->mbps[0];
        for (int i = 1; i < v->n; i++) {
            if (v->mbps[i] < mn) mn = v->mbps[i];
            if (v->mbps[i] > mx) mx = v->mbps[i];
        }
        double med = median(v->mbps, v->n);
        printf("%-12s %6.0f %6.0f %6.0f %6.3f %7.3f | %5.3f %5.3f %5.3f %5.3f | %6.1f %6.2f %7.2f %6lu\n", v->name, med,
               mn, mx, base_med > 0 ? med / base_med : 0, median(v->ratio, v->n), median(v->cpu_per_gib, v->n),
               median(v->snd, v->n), median(v->app, v->n), median(v->eng, v->n),
               v->completions ? (double)v->bytes / 1024.0 / (double)v->completions : 0.0,
               v->wakes ? (double)v->completions / (double)v->wakes : 0.0,
               v->completions ? 100.0 * (double)v->order_errors / (double)v->completions : 0.0, v->data_errors);
    }
    for (int k = 0; k < non; k++) {
        struct variant *v = &variants[on[k]];
        if (v->rearms)
            printf("%s: the multishot receive was armed %.1f times per GiB (it stops when out of buffers)\n",
                   v->name, (double)v->rearms / ((double)v->bytes / 1073741824.0));
    }
    if (uring_app_used)
        printf("uring-app ring flags: %s\n",
               uring_flags_app == (IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN)
                   ? "SINGLE_ISSUER|DEFER_TASKRUN"
                   : uring_flags_app == IORING_SETUP_COOP_TASKRUN ? "COOP_TASKRUN" : "0");
    printf("MB/s: median (min, max) of the runs; ratio: median over base's median; ratio_p: median of the\n"
           "per-round ratios; cpu: process CPU s per GiB (median), of it send/app/eng: the sender, application\n"
           "and engine threads; KiB/c: bytes per completion; c/wake: completions per wait of the application\n"
           "thread; unord%%: completions not in posting order; baddat: completions whose data is not the\n"
           "stream's next bytes (both must be 0 for the provider: buffers fill in posting order)\n");
    return 0;
}
