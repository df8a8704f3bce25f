/* WSPGetSockName and WSPGetPeerName.
 * Draft §3.1.3 (WSPGetPeerName), §3.1.4 (WSPGetSockName); RULINGS §4. */
#include "harness.h"

static int same_addr(const struct sockaddr_in *x, const struct sockaddr_in *y) {
    return x->sin_family == y->sin_family && x->sin_port == y->sin_port &&
           x->sin_addr.S_un.S_addr == y->sin_addr.S_un.S_addr;
}

/* Draft WSPGetSockName: WSAEINVAL "The socket has not been bound to an
 * address with WSPBind()". */
TEST(getsockname_unbound) {
    t_startup();
    SOCKET t = t_socket(SOCK_STREAM), u = t_socket(SOCK_DGRAM);
    struct sockaddr_in a;
    int len = sizeof a;
    CHECK_WSA(WSPGetSockName(t, (struct sockaddr *)&a, &len, lpErrno), WSAEINVAL);
    len = sizeof a;
    CHECK_WSA(WSPGetSockName(u, (struct sockaddr *)&a, &len, lpErrno), WSAEINVAL);
    t_cleanup();
}

/* Draft WSPGetSockName: returns the local name; "On return, the namelen
 * argument contains the actual size of the name returned" (16). */
TEST(getsockname_bound) {
    t_startup();
    SOCKET s = t_socket(SOCK_STREAM);
    struct sockaddr_in b = t_loopback(0);
    CHECK_OK(WSPBind(s, (struct sockaddr *)&b, sizeof b, lpErrno));
    struct { struct sockaddr_in a; char more[16]; } buf;
    memset(&buf, 0xEE, sizeof buf);
    int len = sizeof buf;
    CHECK_OK(WSPGetSockName(s, (struct sockaddr *)&buf.a, &len, lpErrno));
    CHECK_EQ(len, 16);
    CHECK_EQ(buf.a.sin_family, AF_INET);
    CHECK(buf.a.sin_port != 0);
    CHECK_EQ(buf.a.sin_addr.S_un.S_addr, t_htonl(INADDR_LOOPBACK));
    /* a second socket bound the same way gets another port */
    SOCKET u = t_socket(SOCK_STREAM);
    CHECK_OK(WSPBind(u, (struct sockaddr *)&b, sizeof b, lpErrno));
    struct sockaddr_in a2;
    len = sizeof a2;
    CHECK_OK(WSPGetSockName(u, (struct sockaddr *)&a2, &len, lpErrno));
    CHECK(a2.sin_port != 0 && a2.sin_port != buf.a.sin_port);
    t_cleanup();
}

/* Draft WSPGetSockName: WSAEFAULT "The namelen argument is not large
 * enough, or the name or namelen argument is not part of the user address
 * space" (NULL: RULINGS §4). */
TEST(getsockname_fault) {
    t_startup();
    SOCKET s = t_udp_bound(NULL);
    struct sockaddr_in a;
    int len = sizeof a;
    CHECK_WSA(WSPGetSockName(s, NULL, &len, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPGetSockName(s, (struct sockaddr *)&a, NULL, lpErrno), WSAEFAULT);
    len = 15;
    CHECK_WSA(WSPGetSockName(s, (struct sockaddr *)&a, &len, lpErrno), WSAEFAULT);
    len = 0;
    CHECK_WSA(WSPGetSockName(s, (struct sockaddr *)&a, &len, lpErrno), WSAEFAULT);
    len = -1;
    CHECK_WSA(WSPGetSockName(s, (struct sockaddr *)&a, &len, lpErrno), WSAEFAULT);
    len = 16;
    CHECK_OK(WSPGetSockName(s, (struct sockaddr *)&a, &len, lpErrno));
    CHECK_EQ(len, 16);
    t_cleanup();
}

/* Draft WSPGetSockName: "especially useful when a WSPConnect() call has been
 * made without doing a WSPBind() first": the implicit local name, which the
 * peer sees. */
TEST(getsockname_after_implicit_bind) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    SOCKET c = t_socket(SOCK_STREAM);
    CHECK_OK(WSPConnect(c, (struct sockaddr *)&la, sizeof la, NULL, NULL, 0, NULL, NULL, lpErrno));
    struct sockaddr_in cn, pa;
    int len = sizeof cn;
    CHECK_OK(WSPGetSockName(c, (struct sockaddr *)&cn, &len, lpErrno));
    CHECK_EQ(len, 16);
    CHECK_EQ(cn.sin_family, AF_INET);
    CHECK(cn.sin_port != 0);
    CHECK_EQ(cn.sin_addr.S_un.S_addr, t_htonl(INADDR_LOOPBACK));
    len = sizeof pa;
    SOCKET s = WSPAccept(l, (struct sockaddr *)&pa, &len, NULL, 0, &lperr);
    CHECK(s != INVALID_SOCKET);
    CHECK(same_addr(&cn, &pa));
    /* the accepted socket's local name is the listener's address */
    struct sockaddr_in sn;
    len = sizeof sn;
    CHECK_OK(WSPGetSockName(s, (struct sockaddr *)&sn, &len, lpErrno));
    CHECK(same_addr(&sn, &la));
    t_cleanup();
}

/* Draft WSPGetPeerName: WSAENOTCONN "The socket is not connected" (fresh,
 * bound, listening, unconnected datagram). */
TEST(getpeername_not_connected) {
    t_startup();
    struct sockaddr_in a;
    int len;
    SOCKET fresh = t_socket(SOCK_STREAM);
    len = sizeof a;
    CHECK_WSA(WSPGetPeerName(fresh, (struct sockaddr *)&a, &len, lpErrno), WSAENOTCONN);
    SOCKET bound = t_socket(SOCK_STREAM);
    struct sockaddr_in b = t_loopback(0);
    CHECK_OK(WSPBind(bound, (struct sockaddr *)&b, sizeof b, lpErrno));
    len = sizeof a;
    CHECK_WSA(WSPGetPeerName(bound, (struct sockaddr *)&a, &len, lpErrno), WSAENOTCONN);
    SOCKET l = t_listener(NULL);
    len = sizeof a;
    CHECK_WSA(WSPGetPeerName(l, (struct sockaddr *)&a, &len, lpErrno), WSAENOTCONN);
    SOCKET u = t_udp_bound(NULL);
    len = sizeof a;
    CHECK_WSA(WSPGetPeerName(u, (struct sockaddr *)&a, &len, lpErrno), WSAENOTCONN);
    t_cleanup();
}

/* Draft WSPGetPeerName: "retrieves the name of the peer connected to the
 * socket"; namelen is set to the actual size (16). */
TEST(getpeername_connected) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    SOCKET c = t_socket(SOCK_STREAM);
    CHECK_OK(WSPConnect(c, (struct sockaddr *)&la, sizeof la, NULL, NULL, 0, NULL, NULL, lpErrno));
    SOCKET s = WSPAccept(l, NULL, NULL, NULL, 0, &lperr);
    CHECK(s != INVALID_SOCKET);
    struct { struct sockaddr_in a; char more[16]; } buf;
    memset(&buf, 0xEE, sizeof buf);
    int len = sizeof buf;
    CHECK_OK(WSPGetPeerName(c, (struct sockaddr *)&buf.a, &len, lpErrno));
    CHECK_EQ(len, 16);
    CHECK(same_addr(&buf.a, &la));
    struct sockaddr_in cn, sp;
    len = sizeof cn;
    CHECK_OK(WSPGetSockName(c, (struct sockaddr *)&cn, &len, lpErrno));
    len = sizeof sp;
    CHECK_OK(WSPGetPeerName(s, (struct sockaddr *)&sp, &len, lpErrno));
    CHECK_EQ(len, 16);
    CHECK(same_addr(&sp, &cn));
    t_cleanup();
}

/* Draft WSPGetPeerName: WSAEFAULT "The namelen argument is not large
 * enough" (and NULL pointers, RULINGS §4). */
TEST(getpeername_fault) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    struct sockaddr_in a;
    int len = 15;
    CHECK_WSA(WSPGetPeerName(c, (struct sockaddr *)&a, &len, lpErrno), WSAEFAULT);
    len = 0;
    CHECK_WSA(WSPGetPeerName(c, (struct sockaddr *)&a, &len, lpErrno), WSAEFAULT);
    len = sizeof a;
    CHECK_WSA(WSPGetPeerName(c, NULL, &len, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPGetPeerName(c, (struct sockaddr *)&a, NULL, lpErrno), WSAEFAULT);
    len = 16;
    CHECK_OK(WSPGetPeerName(c, (struct sockaddr *)&a, &len, lpErrno));
    t_cleanup();
}

/* Draft §3.1.3/§3.1.4: WSAENOTSOCK "The descriptor is not a socket". */
TEST(names_not_a_socket) {
    t_startup();
    SOCKET dead = t_socket(SOCK_STREAM);
    CHECK_OK(WSPCloseSocket(dead, lpErrno));
    struct sockaddr_in a;
    int len = sizeof a;
    CHECK_WSA(WSPGetSockName(dead, (struct sockaddr *)&a, &len, lpErrno), WSAENOTSOCK);
    len = sizeof a;
    CHECK_WSA(WSPGetPeerName(dead, (struct sockaddr *)&a, &len, lpErrno), WSAENOTSOCK);
    len = sizeof a;
    CHECK_WSA(WSPGetSockName(12345, (struct sockaddr *)&a, &len, lpErrno), WSAENOTSOCK);
    len = sizeof a;
    CHECK_WSA(WSPGetPeerName(12345, (struct sockaddr *)&a, &len, lpErrno), WSAENOTSOCK);
    t_cleanup();
}

/* RULINGS §7a: "WSPGetPeerName returns the peer's address from the connect
 * until the socket is closed, also after both directions are shut down"
 * (and after the peer closed too). */
TEST(getpeername_after_shutdown_both) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    SOCKET c = t_socket(SOCK_STREAM);
    CHECK_OK(WSPConnect(c, (struct sockaddr *)&la, sizeof la, NULL, NULL, 0, NULL, NULL, lpErrno));
    SOCKET s = WSPAccept(l, NULL, NULL, NULL, 0, &lperr);
    CHECK(s != INVALID_SOCKET);
    struct sockaddr_in cn;
    int len = sizeof cn;
    CHECK_OK(WSPGetSockName(c, (struct sockaddr *)&cn, &len, lpErrno));
    CHECK_OK(WSPShutdown(c, SD_BOTH, lpErrno));
    CHECK_OK(WSPShutdown(s, SD_BOTH, lpErrno));
    t_sleep_ms(100);                       /* both FINs exchanged */
    struct sockaddr_in p;
    len = sizeof p;
    CHECK_OK(WSPGetPeerName(c, (struct sockaddr *)&p, &len, lpErrno));
    CHECK(same_addr(&p, &la));
    len = sizeof p;
    CHECK_OK(WSPGetPeerName(s, (struct sockaddr *)&p, &len, lpErrno));
    CHECK(same_addr(&p, &cn));
    CHECK_OK(WSPCloseSocket(s, lpErrno));
    t_sleep_ms(50);
    len = sizeof p;
    CHECK_OK(WSPGetPeerName(c, (struct sockaddr *)&p, &len, lpErrno));
    CHECK(same_addr(&p, &la));
    t_cleanup();
}
