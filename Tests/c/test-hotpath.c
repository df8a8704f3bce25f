/* The data path allocates nothing: this program interposes malloc and
 * friends (an executable's definitions win over libc's for the whole
 * process, the library included) and counts calls during send/recv. */
#include "harness.h"
#include <stdint.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

/* Atomic: the engine's thread allocates too, and its counts must not be lost. */
static long allocations;
#define COUNT() __atomic_fetch_add(&allocations, 1, __ATOMIC_SEQ_CST)
static long allocated(void) { return __atomic_load_n(&allocations, __ATOMIC_SEQ_CST); }

void *malloc(size_t n) { COUNT(); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { COUNT(); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { COUNT(); return __libc_realloc(p, n); }
void *aligned_alloc(size_t al, size_t n) { COUNT(); return __libc_memalign(al, n); }
void *memalign(size_t al, size_t n) { COUNT(); return __libc_memalign(al, n); }
int posix_memalign(void **out, size_t al, size_t n) {
    COUNT();
    *out = __libc_memalign(al, n);
    return *out ? 0 : 12;
}
void free(void *p) { __libc_free(p); }

/* Issue 2 §6: no allocation on the send/recv path (TCP, one thread each way
 * through the same socket pair, so no thread start-up is counted). */
TEST(tcp_send_recv_allocates_nothing) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    char buf[256];
    memset(buf, 'x', sizeof buf);
    for (int i = 0; i < 100; i++) {   /* warm up: lazy one-time set-up */
        CHECK_EQ(t_send_all(c, buf, sizeof buf), 0);
        CHECK_EQ(t_recv_exact(s, buf, sizeof buf), 0);
    }
    long before = allocated();
    for (int i = 0; i < 5000; i++) {
        DWORD n = 0;
        int flags = 0;
        CHECK_OK(WSPSend(c, buf, sizeof buf, &n, 0, NULL, NULL, lpErrno));
        CHECK_OK(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno));
        CHECK_EQ(n, sizeof buf);
    }
    CHECK_EQ(allocated() - before, 0);
}

/* The same for datagrams with addresses (WSPSendTo / WSPRecvFrom). */
TEST(udp_sendto_recvfrom_allocates_nothing) {
    t_startup();
    struct sockaddr_in a, b, from;
    SOCKET ua = t_udp_bound(&a), ub = t_udp_bound(&b);
    char buf[512];
    memset(buf, 'y', sizeof buf);
    for (int i = 0; i < 50; i++) {
        DWORD n = 0;
        int flags = 0, fromlen = sizeof from;
        CHECK_OK(WSPSendTo(ua, buf, sizeof buf, &n, 0, (struct sockaddr *)&b, sizeof b, NULL, NULL, lpErrno));
        CHECK_OK(WSPRecvFrom(ub, buf, sizeof buf, &n, &flags, (struct sockaddr *)&from, &fromlen, NULL, NULL, lpErrno));
    }
    long before = allocated();
    for (int i = 0; i < 3000; i++) {
        DWORD n = 0;
        int flags = 0, fromlen = sizeof from;
        CHECK_OK(WSPSendTo(ua, buf, sizeof buf, &n, 0, (struct sockaddr *)&b, sizeof b, NULL, NULL, lpErrno));
        CHECK_OK(WSPRecvFrom(ub, buf, sizeof buf, &n, &flags, (struct sockaddr *)&from, &fromlen, NULL, NULL, lpErrno));
        CHECK_EQ(n, sizeof buf);
    }
    CHECK_EQ(allocated() - before, 0);
}

/* WSPSelect on a handful of sockets allocates nothing either. */
TEST(select_allocates_nothing) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    struct timeval tv = { 0, 0 };
    fd_set r, w;
    for (int i = 0; i < 20; i++) {
        FD_ZERO(&r); FD_ZERO(&w); FD_SET(s, &r); FD_SET(c, &w);
        CHECK_EQ(WSPSelect(0, &r, &w, NULL, &tv, &lperr), 1);
    }
    long before = allocated();
    for (int i = 0; i < 2000; i++) {
        FD_ZERO(&r); FD_ZERO(&w); FD_SET(s, &r); FD_SET(c, &w);
        CHECK_EQ(WSPSelect(0, &r, &w, NULL, &tv, &lperr), 1);
    }
    CHECK_EQ(allocated() - before, 0);
}

/* ---- overlapped I/O (issue 4: no allocation per operation in steady state) ---- */

static int routines_run;
static void CALLBACK on_done(DWORD err, DWORD cb, LPWSAOVERLAPPED o) {
    (void)o;
    if (err != 0 || cb == 0) harness_fail(__FILE__, __LINE__, "an overlapped operation failed: %u, %u bytes", (unsigned)err, (unsigned)cb);
    routines_run++;
}

/* Alertable waits until `n` routines ran in all (they run on this thread). */
static void run_routines(int n) {
    double t0 = t_now();
    while (routines_run < n) {
        if (t_now() - t0 > 10) harness_fail(__FILE__, __LINE__, "%d of %d routines ran", routines_run, n);
        SleepEx(1000, TRUE);
    }
}

/* *o: an overlapped socket accepted from an overlapped listener; *peer: a
 * plain blocking one. */
static void ov_pair(SOCKET *o, SOCKET *peer) {
    int err = 0, len;
    struct sockaddr_in a = t_loopback(0);
    SOCKET l = WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, WSA_FLAG_OVERLAPPED, &err);
    CHECK(l != INVALID_SOCKET);
    CHECK_OK(WSPBind(l, (struct sockaddr *)&a, sizeof a, lpErrno));
    CHECK_OK(WSPListen(l, 4, lpErrno));
    len = sizeof a;
    CHECK_OK(WSPGetSockName(l, (struct sockaddr *)&a, &len, lpErrno));
    SOCKET c = t_socket(SOCK_STREAM);
    CHECK_OK(WSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno));
    fd_set r;
    FD_ZERO(&r);
    FD_SET(l, &r);
    CHECK_EQ(WSPSelect(0, &r, NULL, NULL, NULL, &lperr), 1);
    SOCKET s = WSPAccept(l, NULL, NULL, NULL, 0, &err);
    CHECK(s != INVALID_SOCKET);
    CHECK_OK(WSPCloseSocket(l, lpErrno));
    *o = s;
    *peer = c;
}

/* One round: a receive posted before the data (the engine completes it), a
 * send that completes at once; both with completion routines (inline APCs). */
static void routine_round(SOCKET o, SOCKET peer, WSAOVERLAPPED *ov, char *buf, int len) {
    int flags = 0, err = 0;
    DWORD n = 0;
    memset(&ov[0], 0, sizeof ov[0]);
    if (WSPRecv(o, buf, len, &n, &flags, &ov[0], on_done, &err) != SOCKET_ERROR || err != WSA_IO_PENDING)
        harness_fail(__FILE__, __LINE__, "the receive did not pend: %d", err);
    CHECK_OK(WSPSend(peer, buf, len, &n, 0, NULL, NULL, lpErrno));
    memset(&ov[1], 0, sizeof ov[1]);
    CHECK_OK(WSPSend(o, buf, len, &n, 0, &ov[1], on_done, lpErrno));
    CHECK_EQ(t_recv_exact(peer, buf, len), 0);
}

TEST(overlapped_routines_allocate_nothing) {
    t_startup();
    SOCKET o, peer;
    ov_pair(&o, &peer);
    static WSAOVERLAPPED ov[2];
    char buf[256];
    memset(buf, 'o', sizeof buf);
    for (int i = 0; i < 100; i++) { routine_round(o, peer, ov, buf, sizeof buf); run_routines(2 * (i + 1)); }
    long before = allocated();
    for (int i = 100; i < 3100; i++) { routine_round(o, peer, ov, buf, sizeof buf); run_routines(2 * (i + 1)); }
    CHECK_EQ(allocated() - before, 0);
}

/* Event objects and WSAGetOverlappedResult: a pending receive waited for
 * with fWait TRUE, one that completes at once, the event reset and reused. */
static void event_round(SOCKET o, SOCKET peer, WSAOVERLAPPED *ov, WSAEVENT e, char *buf, int len) {
    int flags = 0, err = 0;
    DWORD n = 0, fl = 0;
    memset(ov, 0, sizeof *ov);
    ov->hEvent = e;
    if (WSPRecv(o, buf, len, &n, &flags, ov, NULL, &err) != SOCKET_ERROR || err != WSA_IO_PENDING)
        harness_fail(__FILE__, __LINE__, "the receive did not pend: %d", err);
    CHECK_OK(WSPSend(peer, buf, len, &n, 0, NULL, NULL, lpErrno));
    CHECK_EQ(WSAGetOverlappedResult(o, ov, &n, TRUE, &fl), TRUE);
    CHECK_EQ(n, len);
    CHECK_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 5000, FALSE), WSA_WAIT_EVENT_0);
    CHECK_EQ(WSAResetEvent(e), TRUE);
    /* data already there: completes at once */
    CHECK_OK(WSPSend(peer, buf, len, &n, 0, NULL, NULL, lpErrno));
    fd_set r;
    FD_ZERO(&r);
    FD_SET(o, &r);
    CHECK_EQ(WSPSelect(0, &r, NULL, NULL, NULL, &lperr), 1);
    DWORD got = 0;
    int total = 0;
    while (total < len) {   /* the data may come in pieces */
        memset(ov, 0, sizeof *ov);
        ov->hEvent = e;
        if (WSPRecv(o, buf, len - total, &got, &flags, ov, NULL, &err) == 0) {
            CHECK_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE), WSA_WAIT_EVENT_0);
        } else {
            CHECK_EQ(err, WSA_IO_PENDING);
            CHECK_EQ(WSAGetOverlappedResult(o, ov, &got, TRUE, &fl), TRUE);
        }
        CHECK_EQ(WSAResetEvent(e), TRUE);
        total += (int)got;
    }
}

TEST(overlapped_events_and_results_allocate_nothing) {
    t_startup();
    SOCKET o, peer;
    ov_pair(&o, &peer);
    static WSAOVERLAPPED ov;
    WSAEVENT e = WSACreateEvent();
    char buf[256];
    memset(buf, 'e', sizeof buf);
    for (int i = 0; i < 100; i++) event_round(o, peer, &ov, e, buf, sizeof buf);
    long before = allocated();
    for (int i = 0; i < 3000; i++) event_round(o, peer, &ov, e, buf, sizeof buf);
    CHECK_EQ(allocated() - before, 0);
}

/* Sends that pend (a small send buffer, a peer thread reading in
 * pieces): the engine finishes them, in parts, straight from the buffers. */
struct reader { SOCKET s; long want; int err; };
static void *reader_main(void *p) {
    struct reader *r = p;
    static char in[4096];
    long got = 0;
    while (got < r->want) {
        DWORD n = 0;
        int flags = 0;
        if (WSPRecv(r->s, in, sizeof in, &n, &flags, NULL, NULL, &r->err) != 0 || n == 0) return NULL;
        got += n;
    }
    return NULL;
}

TEST(overlapped_pending_sends_allocate_nothing) {
    t_startup();
    SOCKET o, peer;
    ov_pair(&o, &peer);
    /* Not smaller: Linux wakes a non-blocking sender of a tiny send buffer
     * only after long delays (it is then 10x slower than a blocking one). */
    int sndbuf = 65536;
    CHECK_OK(WSPSetSockOpt(o, SOL_SOCKET, SO_SNDBUF, (const char *)&sndbuf, sizeof sndbuf, lpErrno));
    enum { K = 8, LEN = 65536, WARM = 20, ROUNDS = 200 };
    static char big[K][LEN];
    static WSAOVERLAPPED ov[K];
    struct reader r = { peer, (long)(WARM + ROUNDS) * K * LEN, 0 };
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, reader_main, &r), 0);
    int pending = 0;
    long before = 0;
    for (int round = 0; round < WARM + ROUNDS; round++) {
        if (round == WARM) before = allocated();
        for (int k = 0; k < K; k++) {
            DWORD n = 0;
            int err = 0;
            memset(&ov[k], 0, sizeof ov[k]);
            if (WSPSend(o, big[k], LEN, &n, 0, &ov[k], on_done, &err) != 0) {
                CHECK_EQ(err, WSA_IO_PENDING);
                pending++;
            }
        }
        run_routines((round + 1) * K);
    }
    CHECK_EQ(allocated() - before, 0);
    CHECK(pending > ROUNDS);   /* the engine did finish sends */
    pthread_join(th, NULL);
    CHECK_EQ(r.err, 0);
}

/* Datagrams: overlapped receive-from posted before the datagram. */
TEST(overlapped_datagrams_allocate_nothing) {
    t_startup();
    int err = 0, len;
    struct sockaddr_in a = t_loopback(0), b, from;
    SOCKET u = WSPSocket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, 0, WSA_FLAG_OVERLAPPED, &err);
    CHECK(u != INVALID_SOCKET);
    CHECK_OK(WSPBind(u, (struct sockaddr *)&a, sizeof a, lpErrno));
    len = sizeof a;
    CHECK_OK(WSPGetSockName(u, (struct sockaddr *)&a, &len, lpErrno));
    SOCKET v = t_udp_bound(&b);
    static WSAOVERLAPPED ov;
    char buf[512];
    memset(buf, 'u', sizeof buf);
    long before = 0;
    for (int i = 0; i < 3100; i++) {
        if (i == 100) before = allocated();
        DWORD n = 0;
        int flags = 0, fromlen = sizeof from;
        memset(&ov, 0, sizeof ov);
        if (WSPRecvFrom(u, buf, sizeof buf, &n, &flags, (struct sockaddr *)&from, &fromlen, &ov, on_done, &err) != SOCKET_ERROR
            || err != WSA_IO_PENDING)
            harness_fail(__FILE__, __LINE__, "the receive did not pend: %d", err);
        CHECK_OK(WSPSendTo(v, buf, sizeof buf, &n, 0, (struct sockaddr *)&a, sizeof a, NULL, NULL, lpErrno));
        run_routines(i + 1);
        CHECK_EQ(fromlen, sizeof from);
    }
    CHECK_EQ(allocated() - before, 0);
}

/* The re-enabling path of network events: a send that fails with
 * WSAEWOULDBLOCK re-arms FD_WRITE and kicks the engine; the reader drains,
 * FD_WRITE comes, WSPEnumNetworkEvents reads it. */
TEST(eventselect_write_rearm_allocates_nothing) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    int sndbuf = 65536;
    CHECK_OK(WSPSetSockOpt(c, SOL_SOCKET, SO_SNDBUF, (const char *)&sndbuf, sizeof sndbuf, lpErrno));
    WSAEVENT e = WSACreateEvent();
    CHECK_OK(WSPEventSelect(c, e, FD_WRITE, lpErrno));
    enum { WARM = 20, ROUNDS = 300, LEN = 65536 };
    static char big[LEN];
    struct reader r = { s, 0, 0 };
    long sent = 0, before = 0;
    int blocked = 0;
    r.want = 1L << 62;   /* until the end of the stream */
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, reader_main, &r), 0);
    for (int round = 0; round < WARM + ROUNDS; round++) {
        if (round == WARM) before = allocated();
        DWORD n = 0;
        int err = 0;
        while (WSPSend(c, big, LEN, &n, 0, NULL, NULL, &err) == 0) sent += n;   /* until it is full */
        CHECK_EQ(err, WSAEWOULDBLOCK);
        blocked++;
        CHECK_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 5000, FALSE), WSA_WAIT_EVENT_0);
        WSANETWORKEVENT ne[FD_MAX_EVENTS];
        int count = FD_MAX_EVENTS;
        CHECK_OK(WSPEnumNetworkEvents(c, e, ne, &count, lpErrno));
    }
    CHECK_EQ(allocated() - before, 0);
    CHECK_EQ(blocked, WARM + ROUNDS);
    CHECK_OK(WSPCloseSocket(c, lpErrno));   /* the reader sees the end */
    pthread_join(th, NULL);
}

/* Control: the counter does see the library's allocations (a new socket
 * allocates its state), so the zero counts above are real. */
TEST(interposition_sees_library_allocations) {
    t_startup();
    long before = allocated();
    SOCKET s = t_socket(SOCK_STREAM);
    CHECK(allocated() > before);
    CHECK_OK(WSPCloseSocket(s, lpErrno));
}
