/* WSPSelect and the fd_set macros / __WSAFDIsSet.
 * Draft §3.1.8 (WSPSelect); RULINGS §4, §9. */
#include "harness.h"
#include <stddef.h>
#include <sys/resource.h>

static void set1(fd_set *set, SOCKET s) {
    FD_ZERO(set);
    FD_SET(s, set);
}

/* Polls (timeout {0,0}) whether s is readable. */
static int readable_now(SOCKET s) {
    fd_set rs;
    set1(&rs, s);
    struct timeval tv = { 0, 0 };
    int r = WSPSelect(0, &rs, NULL, NULL, &tv, &lperr);
    CHECK(r == 0 || r == 1);
    CHECK_EQ(rs.fd_count, r);
    return r;
}

static int wait_readable(SOCKET s, int sec) {
    fd_set rs;
    set1(&rs, s);
    struct timeval tv = { sec, 0 };
    int r = WSPSelect(0, &rs, NULL, NULL, &tv, &lperr);
    CHECK(r == 0 || r == 1);
    if (r == 1) CHECK(FD_ISSET(s, &rs));
    return r;
}

static void send_oob(SOCKET s, char c) {
    DWORD n = 0;
    CHECK_OK(WSPSend(s, &c, 1, &n, MSG_OOB, NULL, NULL, lpErrno));
    CHECK_EQ(n, 1);
}

/* Draft §3.1.8: a listening socket "will be marked as readable if an
 * incoming connection request has been received"; RULINGS §9: {0,0} polls,
 * and the set is emptied when nothing is ready. */
TEST(select_listener_readable) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    CHECK_EQ(readable_now(l), 0);
    SOCKET c = t_socket(SOCK_STREAM);
    CHECK_OK(WSPConnect(c, (struct sockaddr *)&la, sizeof la, NULL, NULL, 0, NULL, NULL, lpErrno));
    CHECK_EQ(wait_readable(l, 2), 1);
    u_long on = 1;
    CHECK_OK(WSPIoctlSocket(l, FIONBIO, &on, lpErrno));
    SOCKET s = WSPAccept(l, NULL, NULL, NULL, 0, &lperr);   /* "guaranteed to complete immediately" */
    CHECK(s != INVALID_SOCKET);
    CHECK_EQ(readable_now(l), 0);
    t_cleanup();
}

/* Draft §3.1.8: readability means "queued data is available for reading":
 * not before the data arrives, and after. */
TEST(select_readable_after_data) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_EQ(readable_now(s), 0);
    CHECK_EQ(t_send_all(c, "hello", 5), 0);
    CHECK_EQ(wait_readable(s, 2), 1);
    char buf[5];
    CHECK_EQ(t_recv_exact(s, buf, 5), 0);
    CHECK_EQ(readable_now(s), 0);
    t_cleanup();
}

/* Draft §3.1.8: "If the virtual circuit was closed gracefully, then a
 * WSPRecv() will return immediately with 0 bytes read". */
TEST(select_graceful_close_readable) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_EQ(readable_now(s), 0);
    CHECK_OK(WSPCloseSocket(c, lpErrno));
    CHECK_EQ(wait_readable(s, 2), 1);
    char buf[4];
    DWORD n = 99;
    int flags = 0;
    CHECK_OK(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno));
    CHECK_EQ(n, 0);
    t_cleanup();
}

/* Draft §3.1.8: writability means "a WSPSend() ... will complete
 * immediately" for a connected socket. */
TEST(select_writable) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    fd_set ws;
    set1(&ws, c);
    FD_SET(s, &ws);
    struct timeval tv = { 0, 0 };
    CHECK_EQ(WSPSelect(0, NULL, &ws, NULL, &tv, &lperr), 2);
    CHECK_EQ(ws.fd_count, 2);
    CHECK(FD_ISSET(c, &ws));
    CHECK(FD_ISSET(s, &ws));
    t_cleanup();
}

/* RULINGS §9: the timeout is honoured (~0.2 s for {0, 200000}); on timeout
 * WSPSelect returns 0 and every set is emptied. */
TEST(select_timeout_honoured) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    fd_set rs, es;
    set1(&rs, s);
    FD_SET(c, &rs);
    set1(&es, s);
    struct timeval tv = { 0, 200000 };
    double t0 = t_now();
    CHECK_EQ(WSPSelect(0, &rs, NULL, &es, &tv, &lperr), 0);
    double dt = t_now() - t0;
    if (dt < 0.15 || dt > 1.0) harness_fail(__FILE__, __LINE__, "timeout {0, 200000} took %.3f s", dt);
    CHECK_EQ(rs.fd_count, 0);
    CHECK_EQ(es.fd_count, 0);
    /* seconds count too */
    set1(&rs, s);
    struct timeval tv1 = { 1, 0 };
    t0 = t_now();
    CHECK_EQ(WSPSelect(0, &rs, NULL, NULL, &tv1, &lperr), 0);
    dt = t_now() - t0;
    if (dt < 0.9 || dt > 2.0) harness_fail(__FILE__, __LINE__, "timeout {1, 0} took %.3f s", dt);
    t_cleanup();
}

struct delayed { SOCKET s; int ms; };
static void *send_later(void *p) {
    struct delayed *d = p;
    t_sleep_ms(d->ms);
    t_send_all(d->s, "x", 1);
    return NULL;
}

/* RULINGS §9: a NULL timeout blocks until a socket is ready. */
TEST(select_null_timeout_blocks) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    struct delayed d = { c, 100 };
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, send_later, &d), 0);
    fd_set rs;
    set1(&rs, s);
    double t0 = t_now();
    CHECK_EQ(WSPSelect(0, &rs, NULL, NULL, NULL, &lperr), 1);
    double dt = t_now() - t0;
    CHECK(dt >= 0.08);
    CHECK(dt < 2.0);
    CHECK(FD_ISSET(s, &rs));
    pthread_join(th, NULL);
    t_cleanup();
}

/* Draft §3.1.8: exceptfds reports "the presence of out-of-band data ... only
 * ... if the option SO_OOBINLINE is FALSE" (the default). */
TEST(select_oob_in_exceptfds) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    fd_set es;
    set1(&es, s);
    struct timeval tv0 = { 0, 0 };
    CHECK_EQ(WSPSelect(0, NULL, NULL, &es, &tv0, &lperr), 0);
    send_oob(c, '!');
    set1(&es, s);
    struct timeval tv = { 2, 0 };
    CHECK_EQ(WSPSelect(0, NULL, NULL, &es, &tv, &lperr), 1);
    CHECK(FD_ISSET(s, &es));
    char ch = 0;
    DWORD n = 0;
    int flags = MSG_OOB;
    CHECK_OK(WSPRecv(s, &ch, 1, &n, &flags, NULL, NULL, lpErrno));
    CHECK_EQ(n, 1);
    CHECK_EQ(ch, '!');
    t_cleanup();
}

/* Draft §3.1.8: with SO_OOBINLINE "the presence of out-of-band data will be
 * checked" for readability, and OOB data is reported in exceptfds "only ...
 * if the option SO_OOBINLINE is FALSE". */
TEST(select_oob_inline_in_readfds) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    BOOL on = TRUE;
    CHECK_OK(WSPSetSockOpt(s, SOL_SOCKET, SO_OOBINLINE, (char *)&on, sizeof on, lpErrno));
    send_oob(c, '!');
    t_sleep_ms(50);
    fd_set rs, es;
    set1(&rs, s);
    set1(&es, s);
    struct timeval tv = { 2, 0 };
    CHECK_EQ(WSPSelect(0, &rs, NULL, &es, &tv, &lperr), 1);
    CHECK(FD_ISSET(s, &rs));
    CHECK(!FD_ISSET(s, &es));
    char ch = 0;
    DWORD n = 0;
    int flags = 0;
    CHECK_OK(WSPRecv(s, &ch, 1, &n, &flags, NULL, NULL, lpErrno));
    CHECK_EQ(n, 1);
    CHECK_EQ(ch, '!');
    t_cleanup();
}

/* Draft §3.1.8: WSAENOTSOCK "One of the descriptor sets contains an entry
 * which is not a socket" (a closed handle, garbage), in any of the sets. */
TEST(select_not_a_socket) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    SOCKET dead = t_socket(SOCK_STREAM);
    CHECK_OK(WSPCloseSocket(dead, lpErrno));
    struct timeval tv = { 0, 0 };
    fd_set set;
    set1(&set, dead);
    CHECK_WSA(WSPSelect(0, &set, NULL, NULL, &tv, lpErrno), WSAENOTSOCK);
    set1(&set, c);
    FD_SET(12345, &set);
    CHECK_WSA(WSPSelect(0, NULL, &set, NULL, &tv, lpErrno), WSAENOTSOCK);
    set1(&set, 0xFFFFFFFE);
    CHECK_WSA(WSPSelect(0, NULL, NULL, &set, &tv, lpErrno), WSAENOTSOCK);
    set1(&set, INVALID_SOCKET);
    struct timeval tv1 = { 1, 0 };
    double t0 = t_now();
    CHECK_WSA(WSPSelect(0, &set, NULL, NULL, &tv1, lpErrno), WSAENOTSOCK);
    CHECK(t_now() - t0 < 0.5);
    t_cleanup();
}

/* The Winsock fd_set layout (u_short fd_count, then SOCKETs) with room for 100. */
struct fd_set100 {
    u_short fd_count;
    SOCKET fd_array[100];
};
_Static_assert(offsetof(struct fd_set100, fd_array) == offsetof(fd_set, fd_array), "fd_set layout");
_Static_assert(sizeof(((fd_set *)0)->fd_count) == sizeof(u_short), "fd_count type");

/* RULINGS §9: "Each set is read up to its own fd_count, whatever FD_SETSIZE
 * the caller compiled with": 100 sockets in one set, data on the 81st. */
TEST(select_fd_count_over_64) {
    t_startup();
    struct fd_set100 rs, ws;
    SOCKET u[100];
    struct sockaddr_in a80;
    for (int i = 0; i < 100; i++) u[i] = t_udp_bound(i == 80 ? &a80 : NULL);
    rs.fd_count = ws.fd_count = 100;
    for (int i = 0; i < 100; i++) rs.fd_array[i] = ws.fd_array[i] = u[i];
    struct timeval tv = { 0, 0 };
    CHECK_EQ(WSPSelect(0, NULL, (fd_set *)&ws, NULL, &tv, &lperr), 100);
    CHECK_EQ(ws.fd_count, 100);
    CHECK_EQ(WSPSelect(0, (fd_set *)&rs, NULL, NULL, &tv, &lperr), 0);
    CHECK_EQ(rs.fd_count, 0);
    DWORD n = 0;
    CHECK_OK(WSPSendTo(u[0], "dg", 2, &n, 0, &a80, sizeof a80, NULL, NULL, lpErrno));
    rs.fd_count = 100;
    for (int i = 0; i < 100; i++) rs.fd_array[i] = u[i];
    struct timeval tv2 = { 2, 0 };
    CHECK_EQ(WSPSelect(0, (fd_set *)&rs, NULL, NULL, &tv2, &lperr), 1);
    CHECK_EQ(rs.fd_count, 1);
    CHECK_EQ(rs.fd_array[0], u[80]);
    /* a bad handle past index 64 is seen too */
    ws.fd_count = 100;
    for (int i = 0; i < 100; i++) ws.fd_array[i] = u[i];
    ws.fd_array[90] = 12345;
    CHECK_WSA(WSPSelect(0, NULL, (fd_set *)&ws, NULL, &tv, lpErrno), WSAENOTSOCK);
    t_cleanup();
}

/* Draft §3.1.8: the return value is "the total number of descriptors which
 * are ready and contained in the fd_set structures": one socket readable and
 * writable counts twice. */
TEST(select_counts_each_set) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_EQ(t_send_all(c, "z", 1), 0);
    CHECK_EQ(wait_readable(s, 2), 1);
    fd_set rs, ws;
    set1(&rs, s);
    set1(&ws, s);
    struct timeval tv = { 0, 0 };
    CHECK_EQ(WSPSelect(0, &rs, &ws, NULL, &tv, &lperr), 2);
    CHECK(FD_ISSET(s, &rs));
    CHECK(FD_ISSET(s, &ws));
    t_cleanup();
}

/* Draft §3.1.8: "nfds This argument is ignored". */
TEST(select_nfds_ignored) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_EQ(t_send_all(c, "z", 1), 0);
    CHECK_EQ(wait_readable(s, 2), 1);
    int nfds[] = { 0, -1, 1, 12345, 0x7FFFFFFF };
    for (size_t i = 0; i < sizeof nfds / sizeof nfds[0]; i++) {
        fd_set rs;
        set1(&rs, s);
        FD_SET(c, &rs);
        struct timeval tv = { 0, 0 };
        CHECK_EQ(WSPSelect(nfds[i], &rs, NULL, NULL, &tv, &lperr), 1);
        CHECK_EQ(rs.fd_count, 1);
        CHECK_EQ(rs.fd_array[0], s);
    }
    t_cleanup();
}

/* Draft §3.1.8 macros: FD_ZERO, FD_SET, FD_CLR, FD_ISSET (through the
 * library's __WSAFDIsSet, which reads up to fd_count, RULINGS §9, and is 0
 * for a NULL set). */
TEST(fd_set_macros) {
    t_startup();
    SOCKET a = t_socket(SOCK_STREAM), b = t_socket(SOCK_STREAM), c = t_socket(SOCK_DGRAM);
    fd_set set;
    memset(&set, 0xAA, sizeof set);
    FD_ZERO(&set);
    CHECK_EQ(set.fd_count, 0);
    CHECK(!FD_ISSET(a, &set));
    FD_SET(a, &set);
    FD_SET(b, &set);
    CHECK_EQ(set.fd_count, 2);
    CHECK(FD_ISSET(a, &set));
    CHECK(FD_ISSET(b, &set));
    CHECK(!FD_ISSET(c, &set));
    FD_CLR(a, &set);
    CHECK_EQ(set.fd_count, 1);
    CHECK_EQ(set.fd_array[0], b);
    CHECK(!FD_ISSET(a, &set));
    CHECK(__WSAFDIsSet(b, &set) != 0);
    CHECK(__WSAFDIsSet(a, &set) == 0);
    CHECK(__WSAFDIsSet(b, NULL) == 0);
    /* entries beyond fd_count do not count */
    set.fd_array[1] = c;
    CHECK(__WSAFDIsSet(c, &set) == 0);
    /* a large set: found at index 90 */
    struct fd_set100 big;
    big.fd_count = 100;
    for (int i = 0; i < 100; i++) big.fd_array[i] = 1000 + i;
    big.fd_array[90] = c;
    CHECK(__WSAFDIsSet(c, (fd_set *)&big) != 0);
    big.fd_count = 90;
    CHECK(__WSAFDIsSet(c, (fd_set *)&big) == 0);
    /* FD_SET stops at FD_SETSIZE */
    FD_ZERO(&set);
    for (SOCKET v = 1; v <= FD_SETSIZE + 5; v++) FD_SET(v, &set);
    CHECK_EQ(set.fd_count, FD_SETSIZE);
    t_cleanup();
}

struct blocked_select { SOCKET s; volatile int rc, err; volatile double t_end; };
static void *select_thread(void *p) {
    struct blocked_select *b = p;
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(b->s, &rs);
    int err = 0;
    int rc = WSPSelect(0, &rs, NULL, NULL, NULL, &err);
    b->rc = rc;
    b->err = err;
    b->t_end = t_now();
    return NULL;
}

/* RULINGS §4: closing a socket that another thread is blocked on (select,
 * NULL timeout) makes that call return promptly with WSAEINTR. */
TEST(select_close_interrupts) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    struct blocked_select b = { s, 0, 0, 0 };
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, select_thread, &b), 0);
    t_sleep_ms(200);
    CHECK_EQ(b.t_end, 0);                 /* really blocked */
    double t0 = t_now();
    CHECK_OK(WSPCloseSocket(s, lpErrno));
    for (int i = 0; i < 300 && b.t_end == 0; i++) t_sleep_ms(10);
    if (b.t_end == 0) harness_fail(__FILE__, __LINE__, "WSPSelect still blocked 3 s after the socket was closed");
    pthread_join(th, NULL);
    CHECK(b.t_end - t0 < 1.0);
    CHECK_EQ(b.rc, SOCKET_ERROR);
    CHECK_EQ(b.err, WSAEINTR);
    t_cleanup();
}

/* ---- issue 9: close wakes every select; sets read before written; one
 * poll entry per socket ---- */

/* A select blocked (timeout tv_sec, or NULL when 0) on `n` sockets of one
 * set kind (0 read, 1 write, 2 except). */
struct blocked_sets { SOCKET s[4]; int n, kind, tv_sec; volatile int rc, err; volatile double t_end; };
static void *select_sets_thread(void *p) {
    struct blocked_sets *b = p;
    fd_set set;
    FD_ZERO(&set);
    for (int i = 0; i < b->n; i++) FD_SET(b->s[i], &set);
    struct timeval tv = { b->tv_sec, 0 };
    int err = 0;
    int rc = WSPSelect(0, b->kind == 0 ? &set : NULL, b->kind == 1 ? &set : NULL, b->kind == 2 ? &set : NULL,
                       b->tv_sec ? &tv : NULL, &err);
    b->rc = rc;
    b->err = err;
    b->t_end = t_now();
    return NULL;
}

/* Blocks a select on b, closes `victim` from this thread, and checks the
 * select ended with WSAEINTR within a second (its own timeout is 10 s or
 * none). */
static void check_close_wakes(struct blocked_sets *b, SOCKET victim) {
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, select_sets_thread, b), 0);
    t_sleep_ms(200);
    CHECK_EQ(b->t_end, 0);                 /* really blocked */
    double t0 = t_now();
    CHECK_OK(WSPCloseSocket(victim, lpErrno));
    for (int i = 0; i < 300 && b->t_end == 0; i++) t_sleep_ms(10);
    if (b->t_end == 0) harness_fail(__FILE__, __LINE__, "WSPSelect still blocked 3 s after the socket was closed");
    pthread_join(th, NULL);
    CHECK(b->t_end - t0 < 1.0);
    CHECK_EQ(b->rc, SOCKET_ERROR);
    CHECK_EQ(b->err, WSAEINTR);
}

/* RULINGS §9: "Closing a socket that a WSPSelect waits on ends that select
 * with WSAEINTR, whatever the socket's state and whichever set names it":
 * an unconnected TCP socket in readfds, NULL timeout. */
TEST(select_close_wakes_unconnected_in_readfds) {
    t_startup();
    struct blocked_sets b = { { t_socket(SOCK_STREAM) }, 1, 0, 0, 0, 0, 0 };
    check_close_wakes(&b, b.s[0]);
    t_cleanup();
}

/* ... a listener in writefds (never writable), 10 s timeout. */
TEST(select_close_wakes_listener_in_writefds) {
    t_startup();
    struct blocked_sets b = { { t_listener(NULL) }, 1, 1, 10, 0, 0, 0 };
    check_close_wakes(&b, b.s[0]);
    t_cleanup();
}

/* ... an unconnected socket beside a connected one in readfds. */
TEST(select_close_wakes_unconnected_beside_connected) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    struct blocked_sets b = { { s, t_socket(SOCK_STREAM) }, 2, 0, 10, 0, 0, 0 };
    check_close_wakes(&b, b.s[1]);
    t_cleanup();
}

/* ... a UDP socket and a listener in exceptfds. */
TEST(select_close_wakes_exceptfds) {
    t_startup();
    struct blocked_sets b = { { t_udp_bound(NULL), t_listener(NULL) }, 2, 2, 0, 0, 0, 0 };
    check_close_wakes(&b, b.s[1]);
    struct blocked_sets b2 = { { b.s[0] }, 1, 2, 0, 0, 0, 0 };
    check_close_wakes(&b2, b2.s[0]);
    t_cleanup();
}

/* RULINGS §9: "The sets may be one object (readfds == writefds): every
 * set's input is read before any set is written." A writable socket that is
 * not readable, in one object passed as both: counted once (for writing),
 * and the object ends holding it. */
TEST(select_same_object_read_and_write) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    fd_set set;
    set1(&set, c);
    struct timeval zero = { 0, 0 };
    CHECK_EQ(WSPSelect(0, &set, &set, NULL, &zero, &lperr), 1);
    CHECK_EQ(set.fd_count, 1);
    CHECK(FD_ISSET(c, &set));
    /* readable and writable: counted in both sets */
    DWORD n = 0;
    CHECK_OK(WSPSend(s, "x", 1, &n, 0, NULL, NULL, lpErrno));
    CHECK_EQ(wait_readable(c, 2), 1);
    set1(&set, c);
    CHECK_EQ(WSPSelect(0, &set, &set, &set, &zero, &lperr), 2);
    t_cleanup();
}

/* RULINGS §9: "A socket listed twice in one set counts once and is kept
 * once" (the fd_set is a list; FD_SET would not add it twice). */
TEST(select_duplicate_counted_once) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    DWORD n = 0;
    CHECK_OK(WSPSend(s, "x", 1, &n, 0, NULL, NULL, lpErrno));
    CHECK_EQ(wait_readable(c, 2), 1);
    fd_set rs, ws;
    FD_ZERO(&rs);
    rs.fd_array[0] = c; rs.fd_array[1] = s; rs.fd_array[2] = c; rs.fd_count = 3;
    FD_ZERO(&ws);
    ws.fd_array[0] = s; ws.fd_array[1] = s; ws.fd_count = 2;
    struct timeval tv = { 1, 0 };
    CHECK_EQ(WSPSelect(0, &rs, &ws, NULL, &tv, &lperr), 2);
    CHECK_EQ(rs.fd_count, 1);
    CHECK_EQ(rs.fd_array[0], c);
    CHECK_EQ(ws.fd_count, 1);
    CHECK_EQ(ws.fd_array[0], s);
    t_cleanup();
}

/* RULINGS §9: "The number of entries is not limited by RLIMIT_NOFILE (a
 * socket is polled once however often it is listed)": 600 sockets in
 * readfds and writefds under a limit of 1024 descriptors, polled and with
 * a timeout. */
struct fd_set600 { u_int fd_count; SOCKET fd_array[600]; };
TEST(select_entries_beyond_rlimit) {
    struct rlimit rl;
    CHECK_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur > 1024) { rl.rlim_cur = 1024; CHECK_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0); }
    t_startup();
    static struct fd_set600 rs, ws;
    static SOCKET socks[600];
    for (int i = 0; i < 600; i++) socks[i] = t_udp_bound(NULL);
    for (int round = 0; round < 2; round++) {
        rs.fd_count = ws.fd_count = 600;
        for (int i = 0; i < 600; i++) rs.fd_array[i] = ws.fd_array[i] = socks[i];
        struct timeval tv = { round, 0 };
        int err = 0;
        int r = WSPSelect(0, (fd_set *)&rs, (fd_set *)&ws, NULL, &tv, &err);
        if (r == SOCKET_ERROR) harness_fail(__FILE__, __LINE__, "WSPSelect of 2 x 600 entries failed: %d", err);
        CHECK_EQ(r, 600);                  /* every one writable, none readable */
        CHECK_EQ(rs.fd_count, 0);
        CHECK_EQ(ws.fd_count, 600);
    }
    t_cleanup();
}

/* Nothing to wait for: every set NULL or empty is WSAEINVAL (final Winsock;
 * the draft names no error, and with a NULL timeout nothing could ever end
 * the call), whatever the timeout. */
TEST(select_no_sockets_einval) {
    t_startup();
    fd_set a, b;
    FD_ZERO(&a);
    FD_ZERO(&b);
    struct timeval zero = { 0, 0 };
    CHECK_WSA(WSPSelect(0, NULL, NULL, NULL, NULL, lpErrno), WSAEINVAL);
    CHECK_WSA(WSPSelect(0, &a, &b, NULL, NULL, lpErrno), WSAEINVAL);
    CHECK_WSA(WSPSelect(0, &a, NULL, &b, &zero, lpErrno), WSAEINVAL);
    t_cleanup();
}
