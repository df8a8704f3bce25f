/* Stress: many short connections from many threads through one listener
 * (RULINGS §4: any entry point from any thread, handles never alias; §10:
 * backlog clamped to SOMAXCONN; draft §3.1.2: close releases the socket). */
#include "harness.h"

enum { CLIENTS = 8, ITERATIONS = 200, MSG = 1024 };

static SOCKET g_listener;
static struct sockaddr_in g_addr;
static int g_stop;          /* atomic */
static int g_active;        /* atomic: live echo threads */
static int g_errors;        /* atomic: failures seen by server threads */
static int g_first_error;   /* atomic: first such error code */
static SOCKET g_sample;     /* a client handle, closed during the run */

static void server_error(int code) {
    int zero = 0;
    __atomic_compare_exchange_n(&g_first_error, &zero, code, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&g_errors, 1, __ATOMIC_SEQ_CST);
}

static void *echo_conn(void *p) {
    SOCKET s = (SOCKET)(uintptr_t)p;
    char buf[4096];
    for (;;) {
        DWORD n = 0;
        int flags = 0, err = 0;
        if (WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, &err) != 0) { server_error(err); break; }
        if (n == 0) break;
        int r = t_send_all(s, buf, n);
        if (r) { server_error(r); break; }
    }
    int err = 0;
    if (WSPCloseSocket(s, &err) != 0) server_error(err);
    __atomic_sub_fetch(&g_active, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void *acceptor(void *unused) {
    (void)unused;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    for (;;) {
        int err = 0;
        SOCKET s = WSPAccept(g_listener, NULL, NULL, NULL, 0, &err);
        if (__atomic_load_n(&g_stop, __ATOMIC_SEQ_CST)) {
            if (s != INVALID_SOCKET) WSPCloseSocket(s, &err);
            break;
        }
        if (s == INVALID_SOCKET) { server_error(err); t_sleep_ms(1); continue; }
        __atomic_add_fetch(&g_active, 1, __ATOMIC_SEQ_CST);
        pthread_t th;
        if (pthread_create(&th, &attr, echo_conn, (void *)(uintptr_t)s) != 0) {
            server_error(-2);
            WSPCloseSocket(s, &err);
            __atomic_sub_fetch(&g_active, 1, __ATOMIC_SEQ_CST);
        }
    }
    pthread_attr_destroy(&attr);
    return NULL;
}

/* One connection: connect, send 1 KiB, read it back, close. */
static void one_round_trip(int id, int i) {
    unsigned char out[MSG], in[MSG];
    for (int k = 0; k < MSG; k++) out[k] = (unsigned char)(id * 53 + i * 11 + k);
    int err = 0;
    SOCKET c = WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, &err);
    if (c == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "client %d #%d: WSPSocket: %d", id, i, err);
    if (WSPConnect(c, (struct sockaddr *)&g_addr, sizeof g_addr, NULL, NULL, 0, NULL, NULL, &err) != 0)
        harness_fail(__FILE__, __LINE__, "client %d #%d: WSPConnect: %d", id, i, err);
    int r = t_send_all(c, out, MSG);
    if (r) harness_fail(__FILE__, __LINE__, "client %d #%d: send: %d", id, i, r);
    r = t_recv_exact(c, in, MSG);
    if (r) harness_fail(__FILE__, __LINE__, "client %d #%d: recv: %d", id, i, r);
    if (memcmp(in, out, MSG) != 0) harness_fail(__FILE__, __LINE__, "client %d #%d: echo differs", id, i);
    if (WSPCloseSocket(c, &err) != 0) harness_fail(__FILE__, __LINE__, "client %d #%d: close: %d", id, i, err);
    if (id == 3 && i == 100) g_sample = c;
}

static void *client(void *p) {
    int id = (int)(intptr_t)p;
    for (int i = 0; i < ITERATIONS; i++) one_round_trip(id, i);
    return NULL;
}

static void wait_echo_threads_done(void) {
    double end = t_now() + 5;
    while (__atomic_load_n(&g_active, __ATOMIC_SEQ_CST) != 0) {
        if (t_now() > end)
            harness_fail(__FILE__, __LINE__, "%d echo threads still running",
                         __atomic_load_n(&g_active, __ATOMIC_SEQ_CST));
        t_sleep_ms(2);
    }
}

/* 8 client threads x 200 connections through one blocking accept loop: no
 * failure, no descriptor growth, handles all released. */
TEST_T(many_short_connections, 60) {
    t_startup();
    g_listener = t_listener(&g_addr);
    pthread_t acc;
    CHECK_EQ(pthread_create(&acc, NULL, acceptor, NULL), 0);
    /* warm up: lets the library create whatever it keeps for its lifetime */
    one_round_trip(99, 0);
    wait_echo_threads_done();
    int fds_before = t_count_fds();
    CHECK(fds_before > 0);

    double t0 = t_now();
    pthread_t th[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) CHECK_EQ(pthread_create(&th[i], NULL, client, (void *)(intptr_t)i), 0);
    for (int i = 0; i < CLIENTS; i++) pthread_join(th[i], NULL);
    double dt = t_now() - t0;
    wait_echo_threads_done();
    if (g_errors) harness_fail(__FILE__, __LINE__, "%d server-side failures, first error %d", g_errors, g_first_error);
    fprintf(stderr, "    %d connections in %.2f s\n", CLIENTS * ITERATIONS, dt);

    /* stop the acceptor: flag, then one connection to wake it up */
    __atomic_store_n(&g_stop, 1, __ATOMIC_SEQ_CST);
    int err = 0;
    SOCKET wake = t_socket(SOCK_STREAM);
    CHECK_OK(WSPConnect(wake, (struct sockaddr *)&g_addr, sizeof g_addr, NULL, NULL, 0, NULL, NULL, lpErrno));
    pthread_join(acc, NULL);
    CHECK_OK(WSPCloseSocket(wake, lpErrno));

    /* no descriptor growth (the listener is still open, as before) */
    int fds_after = t_count_fds();
    if (fds_after != fds_before) harness_fail(__FILE__, __LINE__, "%d descriptors before, %d after", fds_before, fds_after);
    CHECK_OK(WSPCloseSocket(g_listener, lpErrno));
    CHECK_EQ(t_count_fds(), fds_before - 1);

    /* closed handles stay closed; the handle table still works */
    int type = 0, len = sizeof type;
    CHECK_WSA(WSPGetSockOpt(g_sample, SOL_SOCKET, SO_TYPE, (char *)&type, &len, lpErrno), WSAENOTSOCK);
    CHECK_WSA(WSPGetSockOpt(g_listener, SOL_SOCKET, SO_TYPE, (char *)&type, &len, lpErrno), WSAENOTSOCK);
    SOCKET last = WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, &err);
    if (last == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "final WSPSocket failed: %d", err);
    CHECK(last != g_sample);
    len = sizeof type;
    CHECK_OK(WSPGetSockOpt(last, SOL_SOCKET, SO_TYPE, (char *)&type, &len, lpErrno));
    CHECK_EQ(type, SOCK_STREAM);
    CHECK_OK(WSPCloseSocket(last, lpErrno));
    CHECK_EQ(t_count_fds(), fds_before - 1);
}

/* The same churn with UDP sockets and with sockets closed without ever being
 * connected: 4 threads x 500 create/bind/send/close, no growth. */
static void *udp_churn(void *p) {
    struct sockaddr_in *sink = p;
    for (int i = 0; i < 500; i++) {
        int err = 0;
        SOCKET u = WSPSocket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, 0, 0, &err);
        if (u == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "udp #%d: WSPSocket: %d", i, err);
        DWORD n = 0;
        if (WSPSendTo(u, "u", 1, &n, 0, sink, sizeof *sink, NULL, NULL, &err) != 0)
            harness_fail(__FILE__, __LINE__, "udp #%d: WSPSendTo: %d", i, err);
        SOCKET t = WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, &err);
        if (t == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "tcp #%d: WSPSocket: %d", i, err);
        if (WSPCloseSocket(u, &err) != 0 || WSPCloseSocket(t, &err) != 0)
            harness_fail(__FILE__, __LINE__, "#%d: close: %d", i, err);
    }
    return NULL;
}

TEST_T(socket_churn_no_leak, 60) {
    t_startup();
    static struct sockaddr_in sink;
    SOCKET s = t_udp_bound(&sink);
    udp_churn(&sink);   /* warm-up round on this thread */
    int before = t_count_fds();
    pthread_t th[4];
    for (int i = 0; i < 4; i++) CHECK_EQ(pthread_create(&th[i], NULL, udp_churn, &sink), 0);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    CHECK_EQ(t_count_fds(), before);
    CHECK_OK(WSPCloseSocket(s, lpErrno));
}

/* WSPSelect with a zero timeout reads the socket table without locks or
 * retains (HandleTable's unretained span): sockets closed and created by
 * another thread meanwhile must give WSAENOTSOCK (or be reported), never a
 * crash or a wrong socket. */
struct churn { SOCKET socks[32]; volatile int stop; };

static void *churn_main(void *p) {
    struct churn *c = p;
    unsigned seed = 1;
    while (!c->stop) {
        seed = seed * 1103515245u + 12345u;
        int i = (int)((seed >> 16) % 32);
        int err = 0;
        WSPCloseSocket(c->socks[i], &err);
        c->socks[i] = WSPSocket(AF_INET, (seed & 1) ? SOCK_STREAM : SOCK_DGRAM, 0, 0, 0, &err);
        /* a gap now and then, so that some selects find all 32 open even
         * when this thread gets the CPU more (a loaded machine) */
        if ((seed >> 8) % 8 == 0) t_sleep_ms(1);
    }
    return NULL;
}

TEST_T(select_while_another_thread_closes, 30) {
    t_startup();
    struct churn c = { .stop = 0 };
    for (int i = 0; i < 32; i++) c.socks[i] = t_udp_bound(NULL);
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, churn_main, &c), 0);
    struct timeval tv = { 0, 0 };
    int ok = 0, notsock = 0;
    double end = t_now() + 1.5;
    while (t_now() < end) {
        fd_set w;
        FD_ZERO(&w);
        for (int i = 0; i < 32; i++) FD_SET(c.socks[i], &w);
        int err = 0;
        int r = WSPSelect(0, NULL, &w, NULL, &tv, &err);
        if (r == SOCKET_ERROR) {
            CHECK(err == WSAENOTSOCK || err == WSAEINTR);
            notsock++;
        } else {
            CHECK(r >= 0 && r <= 32);
            ok++;
        }
    }
    c.stop = 1;
    pthread_join(th, NULL);
    CHECK(ok > 0);
    CHECK(notsock > 0);
    t_cleanup();
}
