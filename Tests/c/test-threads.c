/* Threads: closing a socket under a blocked call, concurrent use of many
 * sockets, blocking without busy-waiting (RULINGS §4, §5; draft §2.7). */
#include "harness.h"
#include <time.h>

enum op { OP_RECV, OP_RECVFROM, OP_SEND, OP_ACCEPT, OP_CONNECT };

struct blocked {
    SOCKET s;
    enum op op;
    DWORD len;            /* OP_SEND: bytes to send */
    struct sockaddr_in to; /* OP_CONNECT: where */
    int rc, err;
    double t_done;
    int done;             /* atomic */
};

static void *blocked_main(void *p) {
    struct blocked *b = p;
    static char buf[1 << 16];
    DWORD n = 0;
    int flags = 0, err = 0, rc = 0;
    switch (b->op) {
    case OP_RECV:
        rc = WSPRecv(b->s, buf, sizeof buf, &n, &flags, NULL, NULL, &err);
        break;
    case OP_RECVFROM: {
        struct sockaddr_in from;
        int fromlen = sizeof from;
        rc = WSPRecvFrom(b->s, buf, sizeof buf, &n, &flags, &from, &fromlen, NULL, NULL, &err);
        break;
    }
    case OP_SEND: {
        char *big = calloc(1, b->len);
        rc = WSPSend(b->s, big, b->len, &n, 0, NULL, NULL, &err);
        free(big);
        break;
    }
    case OP_ACCEPT:
        rc = WSPAccept(b->s, NULL, NULL, NULL, 0, &err) == INVALID_SOCKET ? SOCKET_ERROR : 0;
        break;
    case OP_CONNECT:
        rc = WSPConnect(b->s, (struct sockaddr *)&b->to, sizeof b->to, NULL, NULL, 0, NULL, NULL, &err);
        break;
    }
    b->rc = rc;
    b->err = err;
    b->t_done = t_now();
    __atomic_store_n(&b->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* Starts the blocked call, checks it is still blocked after `settle_ms`,
 * closes the socket and checks the call ends within 1 s with WSAEINTR. */
static void close_under_blocked_call(struct blocked *b, int settle_ms) {
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, blocked_main, b), 0);
    t_sleep_ms(settle_ms);
    if (__atomic_load_n(&b->done, __ATOMIC_SEQ_CST))
        harness_fail(__FILE__, __LINE__, "the call did not block: rc %d, error %d", b->rc, b->err);
    double t_close = t_now();
    CHECK_OK(WSPCloseSocket(b->s, lpErrno));
    double end = t_close + 2;
    while (!__atomic_load_n(&b->done, __ATOMIC_SEQ_CST)) {
        if (t_now() > end) harness_fail(__FILE__, __LINE__, "the blocked call did not return within 2 s of the close");
        t_sleep_ms(1);
    }
    pthread_join(th, NULL);
    CHECK_EQ(b->rc, SOCKET_ERROR);
    CHECK_EQ(b->err, WSAEINTR);
    if (b->t_done - t_close > 1.0)
        harness_fail(__FILE__, __LINE__, "returned %.3f s after the close", b->t_done - t_close);
    /* and the handle is gone */
    int type = 0, len = sizeof type;
    CHECK_WSA(WSPGetSockOpt(b->s, SOL_SOCKET, SO_TYPE, (char *)&type, &len, lpErrno), WSAENOTSOCK);
}

/* RULINGS §4: "Closing a socket that another thread is blocked on (recv ...)
 * makes that call return promptly with WSAEINTR." */
TEST(close_wakes_blocked_recv) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    struct blocked b = { .s = c, .op = OP_RECV };
    close_under_blocked_call(&b, 200);
    /* the peer sees the connection end */
    char buf[8];
    DWORD n = 0xDEADBEEF;
    int flags = 0, err = 0;
    int rc = WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, &err);
    CHECK(rc == 0 ? n == 0 : (err == WSAECONNRESET || err == WSAECONNABORTED));
}

/* RULINGS §4, a blocking WSPRecvFrom on a bound UDP socket. */
TEST(close_wakes_blocked_recvfrom_udp) {
    t_startup();
    SOCKET u = t_udp_bound(NULL);
    struct blocked b = { .s = u, .op = OP_RECVFROM };
    close_under_blocked_call(&b, 200);
}

/* RULINGS §4, a blocking WSPSend stuck on full buffers (peer not reading). */
TEST(close_wakes_blocked_send) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    int small = 4096;
    CHECK_OK(WSPSetSockOpt(c, SOL_SOCKET, SO_SNDBUF, (const char *)&small, sizeof small, lpErrno));
    CHECK_OK(WSPSetSockOpt(s, SOL_SOCKET, SO_RCVBUF, (const char *)&small, sizeof small, lpErrno));
    struct blocked b = { .s = c, .op = OP_SEND, .len = 64u << 20 };
    close_under_blocked_call(&b, 300);
}

/* RULINGS §4, a blocking WSPAccept. */
TEST(close_wakes_blocked_accept) {
    t_startup();
    SOCKET l = t_listener(NULL);
    struct blocked b = { .s = l, .op = OP_ACCEPT };
    close_under_blocked_call(&b, 200);
}

/* RULINGS §4: "Every entry point may be called from any thread at any time"
 * - 8 threads, each echoing 200 messages of varied sizes over its own
 * connection (with its own echo thread), all byte-exact. */
struct echo { SOCKET s; int err; };

static void *echo_main(void *p) {
    struct echo *e = p;
    char buf[4096];
    for (;;) {
        DWORD n = 0;
        int flags = 0, err = 0;
        if (WSPRecv(e->s, buf, sizeof buf, &n, &flags, NULL, NULL, &err) != 0) { e->err = err; break; }
        if (n == 0) break;
        int r = t_send_all(e->s, buf, n);
        if (r) { e->err = r; break; }
    }
    int err = 0;
    if (WSPCloseSocket(e->s, &err) != 0 && !e->err) e->err = err;
    return NULL;
}

struct worker { int id; SOCKET c; struct echo echo; pthread_t echo_thread; };

static void *worker_main(void *p) {
    struct worker *w = p;
    unsigned char out[3000], in[3000];
    for (int i = 0; i < 200; i++) {
        DWORD len = 1 + (DWORD)((i * 37 + w->id * 101) % 2999);
        for (DWORD k = 0; k < len; k++) out[k] = (unsigned char)(w->id * 31 + i * 7 + k);
        int r = t_send_all(w->c, out, len);
        if (r) harness_fail(__FILE__, __LINE__, "worker %d message %d: send error %d", w->id, i, r);
        r = t_recv_exact(w->c, in, len);
        if (r) harness_fail(__FILE__, __LINE__, "worker %d message %d: recv error %d", w->id, i, r);
        if (memcmp(in, out, len) != 0) harness_fail(__FILE__, __LINE__, "worker %d message %d: data differs", w->id, i);
    }
    int err = 0;
    if (WSPCloseSocket(w->c, &err) != 0) harness_fail(__FILE__, __LINE__, "worker %d close: %d", w->id, err);
    return NULL;
}

TEST(many_threads_echo) {
    t_startup();
    enum { N = 8 };
    static struct worker w[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        SOCKET s;
        w[i].id = i;
        t_tcp_pair(&w[i].c, &s);
        w[i].echo.s = s;
        w[i].echo.err = 0;
    }
    for (int i = 0; i < N; i++) {
        CHECK_EQ(pthread_create(&w[i].echo_thread, NULL, echo_main, &w[i].echo), 0);
        CHECK_EQ(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        pthread_join(w[i].echo_thread, NULL);
        if (w[i].echo.err) harness_fail(__FILE__, __LINE__, "echo %d failed with %d", i, w[i].echo.err);
    }
}

/* RULINGS §5: "There is no default blocking hook: a blocking call blocks its
 * thread" - it sleeps in the kernel, it does not spin: a 500 ms blocked recv
 * costs well under 50 ms of process CPU time. */
struct late { SOCKET s; int ms; };

static void *late_send(void *p) {
    struct late *l = p;
    t_sleep_ms(l->ms);
    t_send_all(l->s, "!", 1);
    return NULL;
}

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

TEST(blocking_recv_does_not_spin) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    struct late l = { c, 500 };
    pthread_t th;
    double cpu0 = cpu_now(), t0 = t_now();
    CHECK_EQ(pthread_create(&th, NULL, late_send, &l), 0);
    char buf[4];
    DWORD n = 0;
    int flags = 0;
    CHECK_OK(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno));
    double wall = t_now() - t0, cpu = cpu_now() - cpu0;
    pthread_join(th, NULL);
    CHECK_EQ(n, 1);
    CHECK(wall >= 0.45);
    if (cpu >= 0.050) harness_fail(__FILE__, __LINE__, "%.1f ms of CPU during a %.0f ms blocked recv", cpu * 1e3, wall * 1e3);
}

/* RULINGS §5, the same for a blocked WSPAccept. */
static void *late_connect(void *p) {
    struct sockaddr_in *a = p;
    t_sleep_ms(500);
    int err = 0;
    SOCKET c = WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, &err);
    if (c != INVALID_SOCKET) WSPConnect(c, (struct sockaddr *)a, sizeof *a, NULL, NULL, 0, NULL, NULL, &err);
    return NULL;
}

TEST(blocking_accept_does_not_spin) {
    t_startup();
    static struct sockaddr_in a;
    SOCKET l = t_listener(&a);
    pthread_t th;
    double cpu0 = cpu_now(), t0 = t_now();
    CHECK_EQ(pthread_create(&th, NULL, late_connect, &a), 0);
    int err = 0;
    SOCKET s = WSPAccept(l, NULL, NULL, NULL, 0, &err);
    double wall = t_now() - t0, cpu = cpu_now() - cpu0;
    pthread_join(th, NULL);
    CHECK(s != INVALID_SOCKET);
    CHECK(wall >= 0.45);
    if (cpu >= 0.050) harness_fail(__FILE__, __LINE__, "%.1f ms of CPU during a %.0f ms blocked accept", cpu * 1e3, wall * 1e3);
}

/* RULINGS §4: a blocking WSPConnect returns WSAEINTR when another thread
 * closes its socket. Linux drops the SYNs of a listener whose accept queue
 * is full, so a connect to it waits (the SYN is retried after a second). */
TEST(close_wakes_blocked_connect) {
    t_startup();
    struct sockaddr_in a;
    SOCKET l = t_listener(&a);
    CHECK_OK(WSPListen(l, 1, lpErrno));
    SOCKET fill[8];
    int nfill = 0, blocked_found = 0;
    /* Fill the queue with non-blocking connects; the first that stays in
     * progress shows that the queue is full. */
    for (; nfill < 8; nfill++) {
        fill[nfill] = t_socket(SOCK_STREAM);
        u_long on = 1;
        CHECK_OK(WSPIoctlSocket(fill[nfill], FIONBIO, &on, lpErrno));
        int err = 0;
        if (WSPConnect(fill[nfill], (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, &err) != 0)
            CHECK_EQ(err, WSAEWOULDBLOCK);
        t_sleep_ms(20);
        fd_set w;
        struct timeval tv = { 0, 0 };
        FD_ZERO(&w);
        FD_SET(fill[nfill], &w);
        if (WSPSelect(0, NULL, &w, NULL, &tv, &lperr) == 0) { blocked_found = 1; nfill++; break; }
    }
    CHECK(blocked_found);
    struct blocked b = { .s = t_socket(SOCK_STREAM), .op = OP_CONNECT, .to = a };
    close_under_blocked_call(&b, 300);
    for (int i = 0; i < nfill; i++) CHECK_OK(WSPCloseSocket(fill[i], lpErrno));
    CHECK_OK(WSPCloseSocket(l, lpErrno));
}
