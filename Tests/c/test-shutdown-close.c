/* WSPShutdown (draft §3.1.10) and WSPCloseSocket (draft §3.1.2; RULINGS §4). */
#include "harness.h"

static int recv_some(SOCKET s, char *buf, DWORD len, DWORD *n, int *perr) {
    int flags = 0;
    *n = 0xDEADBEEF;
    return WSPRecv(s, buf, len, n, &flags, NULL, NULL, perr);
}

/* Draft §3.1.10: SD_SEND - "subsequent sends on the socket are disallowed.
 * For TCP sockets, a FIN will be sent" (the peer reads 0, §3.1.2.10);
 * receiving still works; WSPSend then fails with WSAESHUTDOWN (§3.1.2.12). */
TEST(shutdown_send) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_EQ(t_send_all(c, "last", 4), 0);
    CHECK_OK(WSPShutdown(c, SD_SEND, lpErrno));
    char buf[16];
    memset(buf, 0, sizeof buf);
    CHECK_EQ(t_recv_exact(s, buf, 4), 0);
    CHECK(memcmp(buf, "last", 4) == 0);
    DWORD n;
    CHECK_OK(recv_some(s, buf, sizeof buf, &n, lpErrno));
    CHECK_EQ(n, 0);
    CHECK_WSA(WSPSend(c, "x", 1, &n, 0, NULL, NULL, lpErrno), WSAESHUTDOWN);
    CHECK_WSA(WSPSendTo(c, "x", 1, &n, 0, NULL, 0, NULL, NULL, lpErrno), WSAESHUTDOWN);
    /* the other direction is open */
    CHECK_EQ(t_send_all(s, "reply", 5), 0);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(t_recv_exact(c, buf, 5), 0);
    CHECK(memcmp(buf, "reply", 5) == 0);
}

/* Draft §3.1.10: SD_RECEIVE - "subsequent receives on the socket will be
 * disallowed" (WSAESHUTDOWN, §3.1.2.10/11); sending still works. */
TEST(shutdown_receive) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_OK(WSPShutdown(c, SD_RECEIVE, lpErrno));
    char buf[16];
    DWORD n;
    int flags = 0;
    struct sockaddr_in from;
    int fromlen = sizeof from;
    CHECK_WSA(recv_some(c, buf, sizeof buf, &n, lpErrno), WSAESHUTDOWN);
    CHECK_WSA(WSPRecvFrom(c, buf, sizeof buf, &n, &flags, &from, &fromlen, NULL, NULL, lpErrno), WSAESHUTDOWN);
    CHECK_EQ(t_send_all(c, "still", 5), 0);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(t_recv_exact(s, buf, 5), 0);
    CHECK(memcmp(buf, "still", 5) == 0);
    /* data arriving afterwards does not make receives legal again */
    CHECK_EQ(t_send_all(s, "late", 4), 0);
    t_sleep_ms(20);
    CHECK_WSA(recv_some(c, buf, sizeof buf, &n, lpErrno), WSAESHUTDOWN);
}

/* Draft §3.1.10: SD_BOTH "disables both sends and receives". */
TEST(shutdown_both) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_OK(WSPShutdown(c, SD_BOTH, lpErrno));
    char buf[8];
    DWORD n;
    CHECK_WSA(recv_some(c, buf, sizeof buf, &n, lpErrno), WSAESHUTDOWN);
    CHECK_WSA(WSPSend(c, "x", 1, &n, 0, NULL, NULL, lpErrno), WSAESHUTDOWN);
    CHECK_OK(recv_some(s, buf, sizeof buf, &n, lpErrno));
    CHECK_EQ(n, 0);
}

/* Draft §3.1.10 WSAEINVAL "how is not valid". */
TEST(shutdown_invalid_how_einval) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_WSA(WSPShutdown(c, 3, lpErrno), WSAEINVAL);
    CHECK_WSA(WSPShutdown(c, -1, lpErrno), WSAEINVAL);
    CHECK_WSA(WSPShutdown(c, 0x10001, lpErrno), WSAEINVAL);
    /* nothing was shut down */
    CHECK_EQ(t_send_all(c, "ok", 2), 0);
    char buf[4];
    CHECK_EQ(t_recv_exact(s, buf, 2), 0);
    CHECK_EQ(t_send_all(s, "ok", 2), 0);
    CHECK_EQ(t_recv_exact(c, buf, 2), 0);
}

/* Draft §3.1.10 WSAENOTCONN "The socket is not connected (connection-
 * oriented sockets only)". */
TEST(shutdown_tcp_not_connected) {
    t_startup();
    SOCKET u = t_socket(SOCK_STREAM);
    CHECK_WSA(WSPShutdown(u, SD_SEND, lpErrno), WSAENOTCONN);
    CHECK_WSA(WSPShutdown(u, SD_RECEIVE, lpErrno), WSAENOTCONN);
    CHECK_WSA(WSPShutdown(u, SD_BOTH, lpErrno), WSAENOTCONN);
}

/* Draft §3.1.10: "used on all types of sockets"; WSAENOTCONN is for
 * connection-oriented sockets only, so an unconnected UDP socket can be shut
 * down, and then WSPSendTo fails with WSAESHUTDOWN (§3.1.2.13), WSPRecvFrom
 * too after SD_RECEIVE (§3.1.2.11). */
TEST(shutdown_udp_unconnected) {
    t_startup();
    struct sockaddr_in ba;
    SOCKET a = t_udp_bound(NULL), b = t_udp_bound(&ba);
    CHECK_OK(WSPShutdown(a, SD_SEND, lpErrno));
    DWORD n;
    CHECK_WSA(WSPSendTo(a, "x", 1, &n, 0, &ba, sizeof ba, NULL, NULL, lpErrno), WSAESHUTDOWN);
    SOCKET r = t_udp_bound(NULL);
    CHECK_OK(WSPShutdown(r, SD_RECEIVE, lpErrno));
    char buf[8];
    int flags = 0;
    struct sockaddr_in from;
    int fromlen = sizeof from;
    CHECK_WSA(WSPRecvFrom(r, buf, sizeof buf, &n, &flags, &from, &fromlen, NULL, NULL, lpErrno), WSAESHUTDOWN);
    (void)b;
}

/* Draft §3.1.2: default SO_DONTLINGER is a graceful close - "any data queued
 * for transmission will be sent if possible before the underlying socket is
 * closed"; the peer reads all of it, then 0 (§3.1.2.10). */
TEST(close_default_graceful) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    BOOL dont = 0xDEAD;
    int len = sizeof dont;
    CHECK_OK(WSPGetSockOpt(c, SOL_SOCKET, SO_DONTLINGER, (char *)&dont, &len, lpErrno));
    CHECK_EQ(dont, TRUE);
    const DWORD total = 60000;
    static unsigned char out[60000], in[60000];
    for (DWORD i = 0; i < total; i++) out[i] = (unsigned char)(i % 251);
    CHECK_EQ(t_send_all(c, out, 20000), 0);
    CHECK_EQ(t_send_all(c, out + 20000, 20000), 0);
    CHECK_EQ(t_send_all(c, out + 40000, 20000), 0);
    double t0 = t_now();
    CHECK_OK(WSPCloseSocket(c, lpErrno));
    CHECK(t_now() - t0 < 0.5);   /* "will return immediately" */
    t_sleep_ms(50);
    CHECK_EQ(t_recv_exact(s, in, total), 0);
    CHECK(memcmp(in, out, total) == 0);
    DWORD n;
    CHECK_OK(recv_some(s, (char *)in, sizeof in, &n, lpErrno));
    CHECK_EQ(n, 0);
}

/* Draft §3.1.2: SO_LINGER with a zero interval is a hard close - "the
 * socket's virtual circuit is reset immediately ... Any WSPRecv() call on the
 * remote side of the circuit will fail with WSAECONNRESET". */
TEST(close_linger_zero_hard) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    struct linger l = { 1, 0 };
    CHECK_OK(WSPSetSockOpt(c, SOL_SOCKET, SO_LINGER, (const char *)&l, sizeof l, lpErrno));
    double t0 = t_now();
    CHECK_OK(WSPCloseSocket(c, lpErrno));
    CHECK(t_now() - t0 < 0.5);   /* "is not blocked" */
    char buf[8];
    DWORD n;
    CHECK_WSA(recv_some(s, buf, sizeof buf, &n, lpErrno), WSAECONNRESET);
    /* "Any WSPRecv()": Linux reports the reset once and then an end of
     * stream; the provider keeps failing, so a reset never reads as a
     * graceful close. Also with SO_OOBINLINE (the other receive path). */
    CHECK_WSA(recv_some(s, buf, sizeof buf, &n, lpErrno), WSAECONNRESET);
    CHECK_WSA(recv_some(s, buf, sizeof buf, &n, lpErrno), WSAECONNRESET);
    SOCKET c2, s2;
    t_tcp_pair(&c2, &s2);
    BOOL on = TRUE;
    CHECK_OK(WSPSetSockOpt(s2, SOL_SOCKET, SO_OOBINLINE, (const char *)&on, sizeof on, lpErrno));
    CHECK_OK(WSPSetSockOpt(c2, SOL_SOCKET, SO_LINGER, (const char *)&l, sizeof l, lpErrno));
    CHECK_OK(WSPCloseSocket(c2, lpErrno));
    CHECK_WSA(recv_some(s2, buf, sizeof buf, &n, lpErrno), WSAECONNRESET);
    CHECK_WSA(recv_some(s2, buf, sizeof buf, &n, lpErrno), WSAECONNRESET);
}

/* Draft §3.1.2: closing "releases the socket descriptor s, so that further
 * references to s will fail with the error WSAENOTSOCK" - every call. */
TEST(closed_handle_enotsock_everywhere) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_OK(WSPCloseSocket(c, lpErrno));
    char buf[8] = "1234567";
    DWORD n;
    int flags = 0, len, iv = 1;
    struct sockaddr_in a = t_loopback(9), name;
    u_long arg = 0;
    CHECK_WSA(WSPRecv(c, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno), WSAENOTSOCK);
    len = sizeof name;
    CHECK_WSA(WSPRecvFrom(c, buf, sizeof buf, &n, &flags, &name, &len, NULL, NULL, lpErrno), WSAENOTSOCK);
    CHECK_WSA(WSPSend(c, buf, sizeof buf, &n, 0, NULL, NULL, lpErrno), WSAENOTSOCK);
    CHECK_WSA(WSPSendTo(c, buf, sizeof buf, &n, 0, &a, sizeof a, NULL, NULL, lpErrno), WSAENOTSOCK);
    CHECK_WSA(WSPShutdown(c, SD_BOTH, lpErrno), WSAENOTSOCK);
    len = sizeof iv;
    CHECK_WSA(WSPGetSockOpt(c, SOL_SOCKET, SO_TYPE, (char *)&iv, &len, lpErrno), WSAENOTSOCK);
    CHECK_WSA(WSPSetSockOpt(c, SOL_SOCKET, SO_KEEPALIVE, (const char *)&iv, sizeof iv, lpErrno), WSAENOTSOCK);
    CHECK_WSA(WSPIoctlSocket(c, FIONREAD, &arg, lpErrno), WSAENOTSOCK);
    CHECK_WSA(WSPIoctlSocket(c, FIONBIO, &arg, lpErrno), WSAENOTSOCK);
    a = t_loopback(0);
    CHECK_WSA(WSPBind(c, (struct sockaddr *)&a, sizeof a, lpErrno), WSAENOTSOCK);
    CHECK_WSA(WSPListen(c, 5, lpErrno), WSAENOTSOCK);
    a = t_loopback(9);
    CHECK_WSA(WSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno), WSAENOTSOCK);
    CHECK_WSA(WSPAccept(c, NULL, NULL, NULL, 0, lpErrno), WSAENOTSOCK);
    len = sizeof name;
    CHECK_WSA(WSPGetSockName(c, (struct sockaddr *)&name, &len, lpErrno), WSAENOTSOCK);
    len = sizeof name;
    CHECK_WSA(WSPGetPeerName(c, (struct sockaddr *)&name, &len, lpErrno), WSAENOTSOCK);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(c, &rd);
    struct timeval tv = { 0, 0 };
    CHECK_WSA(WSPSelect(0, &rd, NULL, NULL, &tv, lpErrno), WSAENOTSOCK);
    CHECK_WSA(WSPCloseSocket(c, lpErrno), WSAENOTSOCK);
    /* a never-issued handle too */
    CHECK_WSA(WSPCloseSocket((SOCKET)0x7FFF1234, lpErrno), WSAENOTSOCK);
}

/* RULINGS §4: "SOCKET handles never alias: a closed handle answers
 * WSAENOTSOCK even after many new sockets were created". */
TEST(closed_handle_never_aliases) {
    t_startup();
    SOCKET old = t_socket(SOCK_STREAM);
    CHECK_OK(WSPCloseSocket(old, lpErrno));
    SOCKET fresh[64];
    for (int i = 0; i < 64; i++) {
        fresh[i] = t_socket(i % 2 ? SOCK_DGRAM : SOCK_STREAM);
        CHECK(fresh[i] != old);
        int type = 0, len = sizeof type;
        CHECK_WSA(WSPGetSockOpt(old, SOL_SOCKET, SO_TYPE, (char *)&type, &len, lpErrno), WSAENOTSOCK);
    }
    for (int i = 0; i < 64; i++) CHECK_OK(WSPCloseSocket(fresh[i], lpErrno));
    for (int i = 0; i < 64; i++) CHECK_WSA(WSPCloseSocket(fresh[i], lpErrno), WSAENOTSOCK);
    SOCKET again = t_socket(SOCK_STREAM);
    CHECK(again != old);
    for (int i = 0; i < 64; i++) CHECK(again != fresh[i]);
    CHECK_OK(WSPCloseSocket(again, lpErrno));
}

/* Draft §3.1.2: WSPCloseSocket "releases the socket descriptor" - connected,
 * listening and datagram sockets alike leave no descriptor behind. */
TEST(close_releases_descriptors) {
    t_startup();
    SOCKET warm = t_socket(SOCK_STREAM);
    CHECK_OK(WSPCloseSocket(warm, lpErrno));
    int before = t_count_fds();
    for (int i = 0; i < 20; i++) {
        SOCKET c, s;
        t_tcp_pair(&c, &s);
        SOCKET u = t_udp_bound(NULL);
        CHECK_OK(WSPCloseSocket(c, lpErrno));
        CHECK_OK(WSPCloseSocket(s, lpErrno));
        CHECK_OK(WSPCloseSocket(u, lpErrno));
    }
    CHECK_EQ(t_count_fds(), before);
}
