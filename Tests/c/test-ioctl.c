/* WSPIoctlSocket: FIONBIO, FIONREAD, SIOCATMARK and the errors (draft §3.1.6;
 * RULINGS §4, §10). */
#include "harness.h"

static void set_nbio(SOCKET s, u_long on) {
    CHECK_OK(WSPIoctlSocket(s, FIONBIO, &on, lpErrno));
}

static u_long fionread(SOCKET s) {
    u_long v = 0xDEAD;
    CHECK_OK(WSPIoctlSocket(s, FIONREAD, &v, lpErrno));
    return v;
}

/* FIONBIO (header A.2: "set/clear non-blocking i/o"): on, a recv with nothing
 * queued fails at once with WSAEWOULDBLOCK; any non-zero value enables. */
TEST(fionbio_on_wouldblock) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    set_nbio(s, 5);
    char buf[8];
    DWORD n;
    int flags = 0;
    double t0 = t_now();
    CHECK_WSA(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno), WSAEWOULDBLOCK);
    CHECK(t_now() - t0 < 0.5);
}

/* FIONBIO off again: a recv blocks until the peer sends (here 100 ms later). */
struct late_sender { SOCKET s; int ms; };

static void *late_send(void *p) {
    struct late_sender *ls = p;
    t_sleep_ms(ls->ms);
    t_send_all(ls->s, "late", 4);
    return NULL;
}

TEST(fionbio_off_blocks) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    set_nbio(s, 1);
    set_nbio(s, 0);
    struct late_sender ls = { c, 100 };
    pthread_t th;
    double t0 = t_now();
    CHECK_EQ(pthread_create(&th, NULL, late_send, &ls), 0);
    char buf[8];
    DWORD n = 0;
    int flags = 0;
    CHECK_OK(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno));
    double dt = t_now() - t0;
    pthread_join(th, NULL);
    CHECK(dt >= 0.08);
    CHECK(n >= 1 && n <= 4);
    CHECK(memcmp(buf, "late", n) == 0);
}

/* FIONBIO applies to WSPAccept too: a non-blocking listener with nothing
 * pending fails with WSAEWOULDBLOCK. */
TEST(fionbio_listener_accept_wouldblock) {
    t_startup();
    SOCKET l = t_listener(NULL);
    set_nbio(l, 1);
    CHECK_WSA(WSPAccept(l, NULL, NULL, NULL, 0, lpErrno), WSAEWOULDBLOCK);
}

/* §3.1.6 FIONREAD on a stream socket: "the total amount of data which may be
 * read in a single WSPRecv(); this is normally the same as the total amount
 * of data queued on the socket" - 0 with nothing, the sum of three chunks. */
TEST(fionread_tcp) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_EQ(fionread(s), 0);
    static char d[300];
    memset(d, 'q', sizeof d);
    CHECK_EQ(t_send_all(c, d, 10), 0);
    CHECK_EQ(t_send_all(c, d, 20), 0);
    CHECK_EQ(t_send_all(c, d, 270), 0);
    double end = t_now() + 2;
    while (fionread(s) < 300 && t_now() < end) t_sleep_ms(2);
    t_sleep_ms(10);
    CHECK_EQ(fionread(s), 300);
    char buf[100];
    CHECK_EQ(t_recv_exact(s, buf, 100), 0);
    CHECK_EQ(fionread(s), 200);
    static char rest[200];
    CHECK_EQ(t_recv_exact(s, rest, 200), 0);
    CHECK_EQ(fionread(s), 0);
    /* a socket with no connection has nothing to read either */
    SOCKET u = t_socket(SOCK_STREAM);
    CHECK_EQ(fionread(u), 0);
}

/* §3.1.6 SIOCATMARK "applies only to a socket of stream style"; WSAEINVAL:
 * "the command is not applicable to the type of socket supplied". */
TEST(siocatmark_udp_einval) {
    t_startup();
    SOCKET u = t_udp_bound(NULL);
    u_long v = 0;
    CHECK_WSA(WSPIoctlSocket(u, SIOCATMARK, &v, lpErrno), WSAEINVAL);
    SOCKET w = t_socket(SOCK_DGRAM);
    CHECK_WSA(WSPIoctlSocket(w, SIOCATMARK, &v, lpErrno), WSAEINVAL);
}

/* §3.1.6 "there is no command which is equivalent to FIOASYNC"; RULINGS §10:
 * FIOASYNC and unknown commands are WSAEINVAL ("cmd is not a valid
 * command"). */
TEST(fioasync_and_unknown_cmd_einval) {
    t_startup();
    SOCKET t = t_socket(SOCK_STREAM), u = t_socket(SOCK_DGRAM);
    u_long v = 1;
    CHECK_WSA(WSPIoctlSocket(t, FIOASYNC, &v, lpErrno), WSAEINVAL);
    v = 0;
    CHECK_WSA(WSPIoctlSocket(u, FIOASYNC, &v, lpErrno), WSAEINVAL);
    v = 1;
    CHECK_WSA(WSPIoctlSocket(t, 0x12345678, &v, lpErrno), WSAEINVAL);
    CHECK_WSA(WSPIoctlSocket(t, 0, &v, lpErrno), WSAEINVAL);
    CHECK_WSA(WSPIoctlSocket(u, (int32_t)0x8004667C, &v, lpErrno), WSAEINVAL);
    CHECK_WSA(WSPIoctlSocket(t, FIONREAD + 1, &v, lpErrno), WSAEINVAL);
}

/* RULINGS §4: "A NULL pointer where the call needs one is WSAEFAULT" - argp
 * for every supported command. */
TEST(null_argp_efault) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_WSA(WSPIoctlSocket(s, FIONBIO, NULL, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPIoctlSocket(s, FIONREAD, NULL, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPIoctlSocket(s, SIOCATMARK, NULL, lpErrno), WSAEFAULT);
    SOCKET u = t_udp_bound(NULL);
    CHECK_WSA(WSPIoctlSocket(u, FIONREAD, NULL, lpErrno), WSAEFAULT);
    /* the failed FIONBIO left s blocking: a recv waits for the data */
    struct late_sender ls = { c, 50 };
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, late_send, &ls), 0);
    char buf[8];
    DWORD n = 0;
    int flags = 0;
    CHECK_OK(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno));
    pthread_join(th, NULL);
    CHECK(n >= 1);
}

/* §3.1.6 WSAENOTSOCK "The descriptor s is not a socket" (closed handle). */
TEST(closed_handle_enotsock) {
    t_startup();
    SOCKET t = t_socket(SOCK_STREAM);
    CHECK_OK(WSPCloseSocket(t, lpErrno));
    u_long v = 1;
    CHECK_WSA(WSPIoctlSocket(t, FIONBIO, &v, lpErrno), WSAENOTSOCK);
    CHECK_WSA(WSPIoctlSocket(t, FIONREAD, &v, lpErrno), WSAENOTSOCK);
    CHECK_WSA(WSPIoctlSocket(t, SIOCATMARK, &v, lpErrno), WSAENOTSOCK);
    CHECK_WSA(WSPIoctlSocket(t, FIOASYNC, &v, lpErrno), WSAENOTSOCK);
}
