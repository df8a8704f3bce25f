/* WSPBind and WSPListen.
 * Draft §3.1.1 (WSPBind), §3.1.7 (WSPListen), §3.1.5 (SO_ACCEPTCONN);
 * RULINGS §4, §10. */
#include "harness.h"

static struct sockaddr_in name_of(SOCKET s) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    int len = sizeof a;
    CHECK_OK(WSPGetSockName(s, (struct sockaddr *)&a, &len, lpErrno));
    CHECK_EQ(len, 16);
    return a;
}

static struct sockaddr_in addr_of(u_long host_order_ip, u_short port) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = t_htons(port);
    a.sin_addr.S_un.S_addr = t_htonl(host_order_ip);
    return a;
}

/* Connects a new client to a, accepts it on l, passes one byte. */
static void connect_and_accept(SOCKET l, struct sockaddr_in *a) {
    SOCKET c = t_socket(SOCK_STREAM);
    CHECK_OK(WSPConnect(c, (struct sockaddr *)a, sizeof *a, NULL, NULL, 0, NULL, NULL, lpErrno));
    SOCKET x = WSPAccept(l, NULL, NULL, NULL, 0, &lperr);
    if (x == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "WSPAccept failed: %d", lperr);
    CHECK_EQ(t_send_all(c, "x", 1), 0);
    char ch = 0;
    CHECK_EQ(t_recv_exact(x, &ch, 1), 0);
    CHECK_EQ(ch, 'x');
    CHECK_OK(WSPCloseSocket(x, lpErrno));
    CHECK_OK(WSPCloseSocket(c, lpErrno));
}

/* Draft WSPBind: assigns the local name; the port 0 gets a unique port. */
TEST(bind_loopback) {
    t_startup();
    SOCKET s = t_socket(SOCK_STREAM);
    struct sockaddr_in a = t_loopback(0);
    CHECK_OK(WSPBind(s, (struct sockaddr *)&a, sizeof a, lpErrno));
    struct sockaddr_in got = name_of(s);
    CHECK_EQ(got.sin_family, AF_INET);
    CHECK(got.sin_port != 0);
    CHECK_EQ(got.sin_addr.S_un.S_addr, t_htonl(INADDR_LOOPBACK));
    SOCKET u = t_socket(SOCK_DGRAM);
    CHECK_OK(WSPBind(u, (struct sockaddr *)&a, sizeof a, lpErrno));
    CHECK(name_of(u).sin_port != 0);
    t_cleanup();
}

/* Draft WSPBind: WSAEFAULT "The namelen argument is too small"; RULINGS §4:
 * a NULL pointer where the call needs one is WSAEFAULT. A failed bind leaves
 * the socket unbound. */
TEST(bind_null_or_short_name) {
    t_startup();
    SOCKET s = t_socket(SOCK_STREAM);
    struct sockaddr_in a = t_loopback(0);
    CHECK_WSA(WSPBind(s, NULL, sizeof a, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPBind(s, (struct sockaddr *)&a, 15, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPBind(s, (struct sockaddr *)&a, 8, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPBind(s, (struct sockaddr *)&a, 0, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPBind(s, (struct sockaddr *)&a, -1, lpErrno), WSAEFAULT);
    CHECK_OK(WSPBind(s, (struct sockaddr *)&a, sizeof a, lpErrno));
    t_cleanup();
}

/* Draft WSPBind remarks: "The first two bytes in this block ... must contain
 * the address family that was used to create the socket. Otherwise an error
 * WSAEFAULT will occur." */
TEST(bind_wrong_family) {
    t_startup();
    SOCKET s = t_socket(SOCK_STREAM);
    SOCKET u = t_socket(SOCK_DGRAM);
    int fams[] = { AF_UNIX, AF_UNSPEC, AF_IPX, 0x0200 /* AF_INET byte-swapped */ };
    for (size_t i = 0; i < sizeof fams / sizeof fams[0]; i++) {
        struct sockaddr_in a = t_loopback(0);
        a.sin_family = (short)fams[i];
        CHECK_WSA(WSPBind(s, (struct sockaddr *)&a, sizeof a, lpErrno), WSAEFAULT);
        CHECK_WSA(WSPBind(u, (struct sockaddr *)&a, sizeof a, lpErrno), WSAEFAULT);
    }
    struct sockaddr_in a = t_loopback(0);
    CHECK_OK(WSPBind(s, (struct sockaddr *)&a, sizeof a, lpErrno));
    t_cleanup();
}

/* Draft WSPBind: WSAEINVAL "The socket is already bound to an address". */
TEST(bind_twice) {
    t_startup();
    SOCKET s = t_socket(SOCK_STREAM);
    SOCKET u = t_socket(SOCK_DGRAM);
    struct sockaddr_in a = t_loopback(0);
    CHECK_OK(WSPBind(s, (struct sockaddr *)&a, sizeof a, lpErrno));
    CHECK_OK(WSPBind(u, (struct sockaddr *)&a, sizeof a, lpErrno));
    CHECK_WSA(WSPBind(s, (struct sockaddr *)&a, sizeof a, lpErrno), WSAEINVAL);
    CHECK_WSA(WSPBind(u, (struct sockaddr *)&a, sizeof a, lpErrno), WSAEINVAL);
    struct sockaddr_in same = name_of(s);
    CHECK_WSA(WSPBind(s, (struct sockaddr *)&same, sizeof same, lpErrno), WSAEINVAL);
    t_cleanup();
}

/* Draft WSPBind: WSAEADDRINUSE "The specified address is already in use (see
 * SO_REUSEADDR)"; with SO_REUSEADDR on both datagram sockets the second
 * bind works (draft §3.1.9 SO_REUSEADDR). */
TEST(bind_address_in_use) {
    t_startup();
    SOCKET s1 = t_socket(SOCK_STREAM), s2 = t_socket(SOCK_STREAM);
    struct sockaddr_in a = t_loopback(0);
    CHECK_OK(WSPBind(s1, (struct sockaddr *)&a, sizeof a, lpErrno));
    struct sockaddr_in taken = name_of(s1);
    CHECK_WSA(WSPBind(s2, (struct sockaddr *)&taken, sizeof taken, lpErrno), WSAEADDRINUSE);
    CHECK_OK(WSPListen(s1, 5, lpErrno));
    CHECK_WSA(WSPBind(s2, (struct sockaddr *)&taken, sizeof taken, lpErrno), WSAEADDRINUSE);

    SOCKET u1 = t_socket(SOCK_DGRAM), u2 = t_socket(SOCK_DGRAM);
    CHECK_OK(WSPBind(u1, (struct sockaddr *)&a, sizeof a, lpErrno));
    struct sockaddr_in utaken = name_of(u1);
    CHECK_WSA(WSPBind(u2, (struct sockaddr *)&utaken, sizeof utaken, lpErrno), WSAEADDRINUSE);

    SOCKET r1 = t_socket(SOCK_DGRAM), r2 = t_socket(SOCK_DGRAM);
    BOOL on = TRUE;
    CHECK_OK(WSPSetSockOpt(r1, SOL_SOCKET, SO_REUSEADDR, (char *)&on, sizeof on, lpErrno));
    CHECK_OK(WSPSetSockOpt(r2, SOL_SOCKET, SO_REUSEADDR, (char *)&on, sizeof on, lpErrno));
    CHECK_OK(WSPBind(r1, (struct sockaddr *)&a, sizeof a, lpErrno));
    struct sockaddr_in rtaken = name_of(r1);
    CHECK_OK(WSPBind(r2, (struct sockaddr *)&rtaken, sizeof rtaken, lpErrno));
    t_cleanup();
}

/* Draft WSPConnect/WSPBind: an address that is not the local machine's is
 * WSAEADDRNOTAVAIL (192.0.2.1 is TEST-NET-1). */
TEST(bind_address_not_local) {
    t_startup();
    SOCKET s = t_socket(SOCK_STREAM);
    struct sockaddr_in a = addr_of(0xC0000201u, 0);
    CHECK_WSA(WSPBind(s, (struct sockaddr *)&a, sizeof a, lpErrno), WSAEADDRNOTAVAIL);
    SOCKET u = t_socket(SOCK_DGRAM);
    CHECK_WSA(WSPBind(u, (struct sockaddr *)&a, sizeof a, lpErrno), WSAEADDRNOTAVAIL);
    a = t_loopback(0);
    CHECK_OK(WSPBind(s, (struct sockaddr *)&a, sizeof a, lpErrno));
    t_cleanup();
}

/* Draft WSPBind / WSPListen: WSAENOTSOCK for a handle that is not a socket. */
TEST(bind_listen_not_a_socket) {
    t_startup();
    struct sockaddr_in a = t_loopback(0);
    CHECK_WSA(WSPBind(12345, (struct sockaddr *)&a, sizeof a, lpErrno), WSAENOTSOCK);
    CHECK_WSA(WSPListen(12345, 5, lpErrno), WSAENOTSOCK);
    t_cleanup();
}

/* Draft WSPListen: WSAEINVAL "The socket has not been bound with WSPBind()". */
TEST(listen_unbound) {
    t_startup();
    SOCKET s = t_socket(SOCK_STREAM);
    CHECK_WSA(WSPListen(s, 5, lpErrno), WSAEINVAL);
    int on = -1, len = sizeof on;
    CHECK_OK(WSPGetSockOpt(s, SOL_SOCKET, SO_ACCEPTCONN, (char *)&on, &len, lpErrno));
    CHECK_EQ(on, FALSE);
    t_cleanup();
}

/* Draft WSPListen: WSAEOPNOTSUPP "The referenced socket is not of a type that
 * supports the WSPListen() operation" (datagram). */
TEST(listen_udp) {
    t_startup();
    SOCKET u = t_udp_bound(NULL);
    CHECK_WSA(WSPListen(u, 5, lpErrno), WSAEOPNOTSUPP);
    t_cleanup();
}

/* Draft WSPListen: WSAEISCONN "The socket is already connected" (both the
 * connecting and the accepted end). */
TEST(listen_connected) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_WSA(WSPListen(c, 5, lpErrno), WSAEISCONN);
    CHECK_WSA(WSPListen(s, 5, lpErrno), WSAEISCONN);
    t_cleanup();
}

/* Draft WSPListen compatibility: "illegal values (less than 1 or greater
 * than 5) are replaced by the nearest legal value" (RULINGS §10): backlog 0,
 * -5 and 1000 succeed and the listener accepts; listening twice is allowed. */
TEST(listen_backlog_clamped) {
    t_startup();
    int backlogs[] = { 0, -5, 1000, 1, SOMAXCONN, 0x7FFFFFFF };
    for (size_t i = 0; i < sizeof backlogs / sizeof backlogs[0]; i++) {
        SOCKET l = t_socket(SOCK_STREAM);
        struct sockaddr_in a = t_loopback(0);
        CHECK_OK(WSPBind(l, (struct sockaddr *)&a, sizeof a, lpErrno));
        CHECK_OK(WSPListen(l, backlogs[i], lpErrno));
        a = name_of(l);
        connect_and_accept(l, &a);
        CHECK_OK(WSPListen(l, backlogs[i], lpErrno));      /* again */
        CHECK_OK(WSPListen(l, 3, lpErrno));
        connect_and_accept(l, &a);
        CHECK_OK(WSPCloseSocket(l, lpErrno));
    }
    t_cleanup();
}

/* Draft §3.1.5: SO_ACCEPTCONN (BOOL) "Socket is WSPListen()ing": FALSE
 * before, TRUE after. */
TEST(listen_sets_acceptconn) {
    t_startup();
    SOCKET l = t_socket(SOCK_STREAM);
    struct sockaddr_in a = t_loopback(0);
    CHECK_OK(WSPBind(l, (struct sockaddr *)&a, sizeof a, lpErrno));
    BOOL v = -1;
    int len = sizeof v;
    CHECK_OK(WSPGetSockOpt(l, SOL_SOCKET, SO_ACCEPTCONN, (char *)&v, &len, lpErrno));
    CHECK_EQ(v, FALSE);
    CHECK_OK(WSPListen(l, 5, lpErrno));
    v = -1;
    len = sizeof v;
    CHECK_OK(WSPGetSockOpt(l, SOL_SOCKET, SO_ACCEPTCONN, (char *)&v, &len, lpErrno));
    CHECK_EQ(v, TRUE);
    CHECK_EQ(len, (int)sizeof(BOOL));
    t_cleanup();
}
