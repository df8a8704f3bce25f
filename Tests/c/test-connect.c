/* WSPConnect: blocking and non-blocking TCP, errors, connect data, UDP
 * default peer, socket groups.
 * Draft §3.1.2.16 (WSPConnect), §3.1.8 (WSPSelect); RULINGS §11. */
#include "harness.h"

static struct sockaddr_in name_of(SOCKET s) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    int len = sizeof a;
    CHECK_OK(WSPGetSockName(s, (struct sockaddr *)&a, &len, lpErrno));
    return a;
}

static struct sockaddr_in peer_of(SOCKET s) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    int len = sizeof a;
    CHECK_OK(WSPGetPeerName(s, (struct sockaddr *)&a, &len, lpErrno));
    CHECK_EQ(len, 16);
    return a;
}

static int same_addr(const struct sockaddr_in *x, const struct sockaddr_in *y) {
    return x->sin_family == y->sin_family && x->sin_port == y->sin_port &&
           x->sin_addr.S_un.S_addr == y->sin_addr.S_un.S_addr;
}

static int do_connect(SOCKET s, const struct sockaddr_in *a, GROUP g, int *err) {
    *err = 0;
    return WSPConnect(s, (const struct sockaddr *)a, sizeof *a, NULL, NULL, g, NULL, NULL, err);
}

/* A port on 127.0.0.1 where nothing listens (bound, then closed). */
static struct sockaddr_in closed_port(void) {
    struct sockaddr_in a;
    SOCKET l = t_listener(&a);
    CHECK_OK(WSPCloseSocket(l, lpErrno));
    return a;
}

static GROUP so_group(SOCKET s) {
    GROUP g = 0xFFFFFFFF;
    int len = sizeof g;
    CHECK_OK(WSPGetSockOpt(s, SOL_SOCKET, SO_GROUP_ID, (char *)&g, &len, lpErrno));
    return g;
}

/* Draft WSPConnect: "When this call completes successfully, the socket is
 * ready to send/receive data"; the peer name is the listener's address. */
TEST(connect_blocking) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    SOCKET c = t_socket(SOCK_STREAM);
    CHECK_OK(WSPConnect(c, (struct sockaddr *)&la, sizeof la, NULL, NULL, 0, NULL, NULL, lpErrno));
    struct sockaddr_in p = peer_of(c);
    CHECK(same_addr(&p, &la));
    SOCKET s = WSPAccept(l, NULL, NULL, NULL, 0, &lperr);
    CHECK(s != INVALID_SOCKET);
    CHECK_EQ(t_send_all(c, "hi", 2), 0);
    char buf[2];
    CHECK_EQ(t_recv_exact(s, buf, 2), 0);
    CHECK(memcmp(buf, "hi", 2) == 0);
    t_cleanup();
}

/* Draft WSPConnect: WSAECONNREFUSED "The attempt to connect was forcefully
 * rejected" (nothing listens on the port). */
TEST(connect_refused) {
    t_startup();
    struct sockaddr_in a = closed_port();
    SOCKET c = t_socket(SOCK_STREAM);
    CHECK_WSA(WSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno), WSAECONNREFUSED);
    t_cleanup();
}

/* Draft WSPConnect: WSAEFAULT "The namelen argument is incorrect"; RULINGS
 * §4: a NULL name is WSAEFAULT. */
TEST(connect_bad_name) {
    t_startup();
    struct sockaddr_in la;
    (void)t_listener(&la);
    SOCKET c = t_socket(SOCK_STREAM);
    CHECK_WSA(WSPConnect(c, NULL, 16, NULL, NULL, 0, NULL, NULL, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPConnect(c, (struct sockaddr *)&la, 8, NULL, NULL, 0, NULL, NULL, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPConnect(c, (struct sockaddr *)&la, 15, NULL, NULL, 0, NULL, NULL, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPConnect(c, (struct sockaddr *)&la, 0, NULL, NULL, 0, NULL, NULL, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPConnect(c, (struct sockaddr *)&la, -16, NULL, NULL, 0, NULL, NULL, lpErrno), WSAEFAULT);
    CHECK_OK(WSPConnect(c, (struct sockaddr *)&la, sizeof la, NULL, NULL, 0, NULL, NULL, lpErrno));
    t_cleanup();
}

/* Draft WSPConnect: WSAEAFNOSUPPORT "Addresses in the specified family
 * cannot be used with this socket". */
TEST(connect_bad_family) {
    t_startup();
    struct sockaddr_in la;
    (void)t_listener(&la);
    SOCKET c = t_socket(SOCK_STREAM);
    SOCKET u = t_socket(SOCK_DGRAM);
    struct sockaddr_in a = la;
    a.sin_family = AF_UNIX;
    CHECK_WSA(WSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno), WSAEAFNOSUPPORT);
    CHECK_WSA(WSPConnect(u, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno), WSAEAFNOSUPPORT);
    a.sin_family = AF_IPX;
    CHECK_WSA(WSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno), WSAEAFNOSUPPORT);
    CHECK_OK(WSPConnect(c, (struct sockaddr *)&la, sizeof la, NULL, NULL, 0, NULL, NULL, lpErrno));
    t_cleanup();
}

/* Draft WSPConnect: "if the address field of the name structure is all
 * zeroes, WSPConnect() will return the error WSAEADDRNOTAVAIL" (TCP and
 * UDP), even though a listener exists on that port. */
TEST(connect_any_address) {
    t_startup();
    struct sockaddr_in la;
    (void)t_listener(&la);
    struct sockaddr_in a = la;
    a.sin_addr.S_un.S_addr = 0;
    SOCKET c = t_socket(SOCK_STREAM);
    CHECK_WSA(WSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno), WSAEADDRNOTAVAIL);
    SOCKET u = t_socket(SOCK_DGRAM);
    CHECK_WSA(WSPConnect(u, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno), WSAEADDRNOTAVAIL);
    t_cleanup();
}

/* Final Winsock behaviour (RULINGS preamble): port 0 is not a connectable
 * address: WSAEADDRNOTAVAIL. */
TEST(connect_port_zero) {
    t_startup();
    struct sockaddr_in a = t_loopback(0);
    SOCKET c = t_socket(SOCK_STREAM);
    CHECK_WSA(WSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno), WSAEADDRNOTAVAIL);
    t_cleanup();
}

/* Draft WSPConnect: WSAEISCONN "The socket is already connected". */
TEST(connect_already_connected) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    SOCKET c = t_socket(SOCK_STREAM);
    CHECK_OK(WSPConnect(c, (struct sockaddr *)&la, sizeof la, NULL, NULL, 0, NULL, NULL, lpErrno));
    CHECK_WSA(WSPConnect(c, (struct sockaddr *)&la, sizeof la, NULL, NULL, 0, NULL, NULL, lpErrno), WSAEISCONN);
    SOCKET s = WSPAccept(l, NULL, NULL, NULL, 0, &lperr);
    CHECK(s != INVALID_SOCKET);
    CHECK_WSA(WSPConnect(s, (struct sockaddr *)&la, sizeof la, NULL, NULL, 0, NULL, NULL, lpErrno), WSAEISCONN);
    t_cleanup();
}

/* Draft WSPConnect: WSAEINVAL "the parameter s is a listening socket". */
TEST(connect_listening_socket) {
    t_startup();
    struct sockaddr_in la, lb;
    SOCKET l = t_listener(&la);
    (void)t_listener(&lb);
    CHECK_WSA(WSPConnect(l, (struct sockaddr *)&lb, sizeof lb, NULL, NULL, 0, NULL, NULL, lpErrno), WSAEINVAL);
    CHECK_WSA(WSPConnect(12345, (struct sockaddr *)&lb, sizeof lb, NULL, NULL, 0, NULL, NULL, lpErrno), WSAENOTSOCK);
    t_cleanup();
}

/* Draft WSPConnect: WSAEPROTONOSUPPORT "The lpCallerData augment is not
 * supported"; RULINGS §11: TCP carries no connect data, lpCalleeData comes
 * back with len 0, and an empty lpCallerData is fine. */
TEST(connect_user_data) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    SOCKET c = t_socket(SOCK_STREAM);
    char data[] = "hello";
    WSABUF caller = { 5, data };
    CHECK_WSA(WSPConnect(c, (struct sockaddr *)&la, sizeof la, &caller, NULL, 0, NULL, NULL, lpErrno), WSAEPROTONOSUPPORT);
    char back[64];
    WSABUF callee = { sizeof back, back };
    WSABUF empty = { 0, NULL };
    CHECK_OK(WSPConnect(c, (struct sockaddr *)&la, sizeof la, &empty, &callee, 0, NULL, NULL, lpErrno));
    CHECK_EQ(callee.len, 0);
    SOCKET s = WSPAccept(l, NULL, NULL, NULL, 0, &lperr);
    CHECK(s != INVALID_SOCKET);
    t_cleanup();
}

/* Draft WSPConnect/§3.1.8: a non-blocking connect fails WSAEWOULDBLOCK, a
 * second call meanwhile is WSAEALREADY (or WSAEISCONN once done); WSPSelect
 * writefds reports the completed connection ("If a socket is
 * WSPConnect()ing, writability means that the connection establishment
 * successfully completed"), which then has its peer. */
TEST(connect_nonblocking) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    SOCKET c = t_socket(SOCK_STREAM);
    u_long on = 1;
    CHECK_OK(WSPIoctlSocket(c, FIONBIO, &on, lpErrno));
    CHECK_WSA(WSPConnect(c, (struct sockaddr *)&la, sizeof la, NULL, NULL, 0, NULL, NULL, lpErrno), WSAEWOULDBLOCK);
    int err = 0;
    if (do_connect(c, &la, 0, &err) != SOCKET_ERROR || (err != WSAEALREADY && err != WSAEISCONN))
        harness_fail(__FILE__, __LINE__, "second WSPConnect: error %d, expected WSAEALREADY or WSAEISCONN", err);
    fd_set ws, es;
    FD_ZERO(&ws);
    FD_SET(c, &ws);
    FD_ZERO(&es);
    FD_SET(c, &es);
    struct timeval tv = { 2, 0 };
    CHECK_EQ(WSPSelect(0, NULL, &ws, &es, &tv, &lperr), 1);
    CHECK(FD_ISSET(c, &ws));
    CHECK(!FD_ISSET(c, &es));
    CHECK_EQ(es.fd_count, 0);
    struct sockaddr_in p = peer_of(c);
    CHECK(same_addr(&p, &la));
    CHECK_WSA(WSPConnect(c, (struct sockaddr *)&la, sizeof la, NULL, NULL, 0, NULL, NULL, lpErrno), WSAEISCONN);
    SOCKET s = WSPAccept(l, NULL, NULL, NULL, 0, &lperr);
    CHECK(s != INVALID_SOCKET);
    CHECK_EQ(t_send_all(s, "ok", 2), 0);
    char buf[2];
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(c, &rs);
    CHECK_EQ(WSPSelect(0, &rs, NULL, NULL, &tv, &lperr), 1);
    DWORD n = 0;
    int flags = 0;
    CHECK_OK(WSPRecv(c, buf, 2, &n, &flags, NULL, NULL, lpErrno));
    CHECK_EQ(n, 2);
    t_cleanup();
}

/* Draft §3.1.8: "If a socket is WSPConnect()ing, failure of the connect
 * attempt is indicated in exceptfds" (and not as writability). */
TEST(connect_nonblocking_refused) {
    t_startup();
    struct sockaddr_in a = closed_port();
    SOCKET c = t_socket(SOCK_STREAM);
    u_long on = 1;
    CHECK_OK(WSPIoctlSocket(c, FIONBIO, &on, lpErrno));
    CHECK_WSA(WSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno), WSAEWOULDBLOCK);
    fd_set ws, es;
    FD_ZERO(&ws);
    FD_SET(c, &ws);
    FD_ZERO(&es);
    FD_SET(c, &es);
    struct timeval tv = { 2, 0 };
    CHECK_EQ(WSPSelect(0, NULL, &ws, &es, &tv, &lperr), 1);
    CHECK(FD_ISSET(c, &es));
    CHECK(!FD_ISSET(c, &ws));
    CHECK_EQ(ws.fd_count, 0);
    struct sockaddr_in p;
    int len = sizeof p;
    CHECK_WSA(WSPGetPeerName(c, (struct sockaddr *)&p, &len, lpErrno), WSAENOTCONN);
    t_cleanup();
}

/* Draft WSPConnect: for a connectionless socket it "establish[es] a default
 * destination address which will be used on subsequent WSPSend() and
 * WSPRecv() calls". */
TEST(connect_udp_default_peer) {
    t_startup();
    struct sockaddr_in sa;
    SOCKET srv = t_udp_bound(&sa);
    SOCKET c = t_socket(SOCK_DGRAM);
    CHECK_OK(WSPConnect(c, (struct sockaddr *)&sa, sizeof sa, NULL, NULL, 0, NULL, NULL, lpErrno));
    struct sockaddr_in p = peer_of(c);
    CHECK(same_addr(&p, &sa));
    struct sockaddr_in cn = name_of(c);
    CHECK(cn.sin_port != 0);
    DWORD n = 0;
    CHECK_OK(WSPSend(c, "ping", 4, &n, 0, NULL, NULL, lpErrno));
    CHECK_EQ(n, 4);
    char buf[16];
    struct sockaddr_in from;
    int fromlen = sizeof from, flags = 0;
    CHECK_OK(WSPRecvFrom(srv, buf, sizeof buf, &n, &flags, &from, &fromlen, NULL, NULL, lpErrno));
    CHECK_EQ(n, 4);
    CHECK(memcmp(buf, "ping", 4) == 0);
    CHECK(from.sin_port == cn.sin_port);
    CHECK_OK(WSPSendTo(srv, "pong", 4, &n, 0, &from, sizeof from, NULL, NULL, lpErrno));
    flags = 0;
    CHECK_OK(WSPRecv(c, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno));
    CHECK_EQ(n, 4);
    CHECK(memcmp(buf, "pong", 4) == 0);
    t_cleanup();
}

/* Draft WSPConnect: groups are for connection-oriented sockets ("For
 * unconstrained groups ... connection-oriented"); RULINGS §11: a datagram
 * socket with g != 0 is WSAEINVAL. */
TEST(connect_udp_group_invalid) {
    t_startup();
    struct sockaddr_in sa;
    (void)t_udp_bound(&sa);
    SOCKET c = t_socket(SOCK_DGRAM);
    CHECK_WSA(WSPConnect(c, (struct sockaddr *)&sa, sizeof sa, NULL, NULL, SG_UNCONSTRAINED_GROUP, NULL, NULL, lpErrno), WSAEINVAL);
    CHECK_WSA(WSPConnect(c, (struct sockaddr *)&sa, sizeof sa, NULL, NULL, SG_CONSTRAINED_GROUP, NULL, NULL, lpErrno), WSAEINVAL);
    CHECK_OK(WSPConnect(c, (struct sockaddr *)&sa, sizeof sa, NULL, NULL, 0, NULL, NULL, lpErrno));
    t_cleanup();
}

/* Draft WSPConnect g / RULINGS §11: SG_CONSTRAINED_GROUP and
 * SG_UNCONSTRAINED_GROUP create groups with new non-zero ids (SO_GROUP_ID);
 * an existing id joins (a constrained one only to the same host, else
 * WSAEINVAL); an unknown id is WSAEINVAL; no group means SO_GROUP_ID 0. */
TEST(connect_groups) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    int err = 0;
    SOCKET c0 = t_socket(SOCK_STREAM);
    CHECK_EQ(do_connect(c0, &la, 0, &err), 0);
    CHECK_EQ(so_group(c0), 0);

    SOCKET c1 = t_socket(SOCK_STREAM);
    if (do_connect(c1, &la, SG_CONSTRAINED_GROUP, &err) != 0) harness_fail(__FILE__, __LINE__, "connect creating a group: %d", err);
    GROUP id = so_group(c1);
    CHECK(id != 0 && id != SG_UNCONSTRAINED_GROUP && id != SG_CONSTRAINED_GROUP);
    SOCKET c2 = t_socket(SOCK_STREAM);
    if (do_connect(c2, &la, id, &err) != 0) harness_fail(__FILE__, __LINE__, "connect joining group %u: %d", id, err);
    CHECK_EQ(so_group(c2), id);

    SOCKET c3 = t_socket(SOCK_STREAM);
    if (do_connect(c3, &la, SG_UNCONSTRAINED_GROUP, &err) != 0) harness_fail(__FILE__, __LINE__, "connect creating a group: %d", err);
    GROUP uid = so_group(c3);
    CHECK(uid != 0 && uid != 1 && uid != 2);
    CHECK(uid != id);

    SOCKET c4 = t_socket(SOCK_STREAM);
    CHECK_WSA(WSPConnect(c4, (struct sockaddr *)&la, sizeof la, NULL, NULL, 12345, NULL, NULL, lpErrno), WSAEINVAL);
    CHECK_OK(WSPConnect(c4, (struct sockaddr *)&la, sizeof la, NULL, NULL, 0, NULL, NULL, lpErrno));

    /* another host (127.0.0.2, also loopback on Linux): not in the constrained group */
    SOCKET l2 = t_socket(SOCK_STREAM);
    struct sockaddr_in a2 = t_loopback(0);
    a2.sin_addr.S_un.S_addr = t_htonl(0x7F000002);
    CHECK_OK(WSPBind(l2, (struct sockaddr *)&a2, sizeof a2, lpErrno));
    CHECK_OK(WSPListen(l2, 5, lpErrno));
    a2 = name_of(l2);
    SOCKET c5 = t_socket(SOCK_STREAM);
    CHECK_WSA(WSPConnect(c5, (struct sockaddr *)&a2, sizeof a2, NULL, NULL, id, NULL, NULL, lpErrno), WSAEINVAL);
    SOCKET c6 = t_socket(SOCK_STREAM);
    if (do_connect(c6, &a2, uid, &err) != 0) harness_fail(__FILE__, __LINE__, "unconstrained group, other host: %d", err);
    CHECK_EQ(so_group(c6), uid);
    (void)l;
    t_cleanup();
}

/* RULINGS §11: SO_GROUP_PRIORITY is settable and gettable in a group, and
 * WSAENOPROTOOPT outside one. */
TEST(connect_group_priority) {
    t_startup();
    struct sockaddr_in la;
    (void)t_listener(&la);
    int err = 0;
    SOCKET c = t_socket(SOCK_STREAM);
    CHECK_EQ(do_connect(c, &la, SG_UNCONSTRAINED_GROUP, &err), 0);
    int prio = 3, len = sizeof prio;
    CHECK_OK(WSPSetSockOpt(c, SOL_SOCKET, SO_GROUP_PRIORITY, (char *)&prio, sizeof prio, lpErrno));
    prio = -1;
    CHECK_OK(WSPGetSockOpt(c, SOL_SOCKET, SO_GROUP_PRIORITY, (char *)&prio, &len, lpErrno));
    CHECK_EQ(prio, 3);
    prio = 9;
    CHECK_OK(WSPSetSockOpt(c, SOL_SOCKET, SO_GROUP_PRIORITY, (char *)&prio, sizeof prio, lpErrno));
    prio = -1;
    len = sizeof prio;
    CHECK_OK(WSPGetSockOpt(c, SOL_SOCKET, SO_GROUP_PRIORITY, (char *)&prio, &len, lpErrno));
    CHECK_EQ(prio, 9);

    SOCKET n = t_socket(SOCK_STREAM);
    CHECK_EQ(do_connect(n, &la, 0, &err), 0);
    len = sizeof prio;
    CHECK_WSA(WSPGetSockOpt(n, SOL_SOCKET, SO_GROUP_PRIORITY, (char *)&prio, &len, lpErrno), WSAENOPROTOOPT);
    prio = 1;
    CHECK_WSA(WSPSetSockOpt(n, SOL_SOCKET, SO_GROUP_PRIORITY, (char *)&prio, sizeof prio, lpErrno), WSAENOPROTOOPT);
    t_cleanup();
}

/* RULINGS §7a: "After a non-blocking connect failed (reported through
 * exceptfds or FD_CONNECT's error), the socket may connect again: the next
 * WSPConnect starts a new attempt (WSAEWOULDBLOCK on a non-blocking
 * socket)" - to the same refused port, then to a listener. */
TEST(connect_again_after_nonblocking_failure) {
    t_startup();
    struct sockaddr_in a = closed_port();
    SOCKET c = t_socket(SOCK_STREAM);
    u_long on = 1;
    CHECK_OK(WSPIoctlSocket(c, FIONBIO, &on, lpErrno));
    for (int round = 0; round < 2; round++) {
        CHECK_WSA(WSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno), WSAEWOULDBLOCK);
        fd_set es;
        FD_ZERO(&es);
        FD_SET(c, &es);
        struct timeval tv = { 2, 0 };
        CHECK_EQ(WSPSelect(0, NULL, NULL, &es, &tv, &lperr), 1);
    }
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    CHECK_WSA(WSPConnect(c, (struct sockaddr *)&la, sizeof la, NULL, NULL, 0, NULL, NULL, lpErrno), WSAEWOULDBLOCK);
    fd_set ws;
    FD_ZERO(&ws);
    FD_SET(c, &ws);
    struct timeval tv = { 2, 0 };
    CHECK_EQ(WSPSelect(0, NULL, &ws, NULL, &tv, &lperr), 1);
    struct sockaddr_in p;
    int len = sizeof p;
    CHECK_OK(WSPGetPeerName(c, (struct sockaddr *)&p, &len, lpErrno));
    CHECK_EQ(p.sin_port, la.sin_port);
    t_cleanup();
}

/* The same for a blocking socket: a second blocking connect after a
 * refused one is a new attempt (refused again, then connected). */
TEST(connect_blocking_again_after_failure) {
    t_startup();
    struct sockaddr_in a = closed_port();
    SOCKET c = t_socket(SOCK_STREAM);
    CHECK_WSA(WSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno), WSAECONNREFUSED);
    CHECK_WSA(WSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno), WSAECONNREFUSED);
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    (void)l;
    CHECK_OK(WSPConnect(c, (struct sockaddr *)&la, sizeof la, NULL, NULL, 0, NULL, NULL, lpErrno));
    t_cleanup();
}
