/* UDP: WSPSendTo / WSPRecvFrom / WSPSend / WSPRecv on datagram sockets over
 * loopback (draft §3.1.2.10 - §3.1.2.13, §3.1.6 FIONREAD; RULINGS §4). */
#include "harness.h"

static void set_nonblocking(SOCKET s, int on) {
    u_long v = (u_long)on;
    CHECK_OK(WSPIoctlSocket(s, FIONBIO, &v, lpErrno));
}

static void send_to(SOCKET s, const void *buf, DWORD len, const struct sockaddr_in *to) {
    DWORD n = 0xDEADBEEF;
    CHECK_OK(WSPSendTo(s, (void *)buf, len, &n, 0, (void *)to, sizeof *to, NULL, NULL, lpErrno));
    CHECK_EQ(n, len);
}

/* Non-blocking receive of one datagram that must already be queued (or
 * arrive within 2 s); returns its length. */
static DWORD recv_one(SOCKET s, void *buf, DWORD len, struct sockaddr_in *from) {
    double end = t_now() + 2;
    set_nonblocking(s, 1);
    for (;;) {
        DWORD n = 0xDEADBEEF;
        int flags = 0, err = 0, fromlen = sizeof *from;
        if (WSPRecvFrom(s, buf, len, &n, &flags, from, &fromlen, NULL, NULL, &err) == 0) {
            CHECK_EQ(flags, 0);
            CHECK_EQ(fromlen, 16);
            set_nonblocking(s, 0);
            return n;
        }
        if (err != WSAEWOULDBLOCK) harness_fail(__FILE__, __LINE__, "WSPRecvFrom failed with %d", err);
        if (t_now() > end) harness_fail(__FILE__, __LINE__, "no datagram within 2 s");
        t_sleep_ms(2);
    }
}

static void expect_empty(SOCKET s) {
    char buf[8];
    DWORD n;
    int flags = 0;
    struct sockaddr_in from;
    int fromlen = sizeof from;
    set_nonblocking(s, 1);
    CHECK_WSA(WSPRecvFrom(s, buf, sizeof buf, &n, &flags, &from, &fromlen, NULL, NULL, lpErrno), WSAEWOULDBLOCK);
    set_nonblocking(s, 0);
}

/* Draft §3.1.2.11: "the address from which the data originated is copied to
 * the buffer pointed by lpFrom ... lpFromlen ... modified on return to
 * indicate the actual size of the address stored there" (16 for AF_INET). */
TEST(sendto_recvfrom_roundtrip) {
    t_startup();
    struct sockaddr_in aa, ba;
    SOCKET a = t_udp_bound(&aa), b = t_udp_bound(&ba);
    send_to(a, "ping", 4, &ba);
    char buf[32], frombuf[32];
    memset(frombuf, 0xEE, sizeof frombuf);
    DWORD n = 0xDEADBEEF;
    int flags = 0, fromlen = sizeof frombuf;
    CHECK_OK(WSPRecvFrom(b, buf, sizeof buf, &n, &flags, frombuf, &fromlen, NULL, NULL, lpErrno));
    CHECK_EQ(n, 4);
    CHECK(memcmp(buf, "ping", 4) == 0);
    CHECK_EQ(flags, 0);
    CHECK_EQ(fromlen, 16);
    struct sockaddr_in from;
    memcpy(&from, frombuf, sizeof from);
    CHECK_EQ(from.sin_family, AF_INET);
    CHECK_EQ(from.sin_port, aa.sin_port);
    CHECK_EQ(from.sin_addr.S_un.S_addr, t_htonl(INADDR_LOOPBACK));
    /* and back */
    send_to(b, "pong", 4, &aa);
    n = recv_one(a, buf, sizeof buf, &from);
    CHECK_EQ(n, 4);
    CHECK(memcmp(buf, "pong", 4) == 0);
    CHECK_EQ(from.sin_port, ba.sin_port);
}

/* Draft §3.1.2.10/11: a message larger than the buffer fills it with its
 * first part, "the excess data is lost", WSAEMSGSIZE; MSG_PARTIAL is set in
 * *lpFlags (cleared for a complete one); the next recv gets the next one. */
TEST(datagram_larger_than_buffer_emsgsize) {
    t_startup();
    struct sockaddr_in aa, ba;
    SOCKET a = t_udp_bound(&aa), b = t_udp_bound(&ba);
    unsigned char big[100];
    for (int i = 0; i < 100; i++) big[i] = (unsigned char)(i + 1);
    send_to(a, big, sizeof big, &ba);
    send_to(a, "next", 4, &ba);
    t_sleep_ms(20);
    unsigned char buf[10];
    memset(buf, 0, sizeof buf);
    DWORD n = 0xDEADBEEF;
    int flags = 0;
    struct sockaddr_in from;
    int fromlen = sizeof from;
    CHECK_WSA(WSPRecvFrom(b, buf, sizeof buf, &n, &flags, &from, &fromlen, NULL, NULL, lpErrno), WSAEMSGSIZE);
    CHECK_EQ(n, 10);
    CHECK(memcmp(buf, big, 10) == 0);
    CHECK(flags & MSG_PARTIAL);
    /* the rest of the first datagram is gone; a complete one clears MSG_PARTIAL */
    char buf2[32];
    n = 0xDEADBEEF;
    flags = MSG_PARTIAL;
    CHECK_OK(WSPRecv(b, buf2, sizeof buf2, &n, &flags, NULL, NULL, lpErrno));
    CHECK_EQ(n, 4);
    CHECK(memcmp(buf2, "next", 4) == 0);
    CHECK_EQ(flags & MSG_PARTIAL, 0);
    /* the same through WSPRecv */
    send_to(a, big, sizeof big, &ba);
    n = 0xDEADBEEF;
    flags = 0;
    CHECK_WSA(WSPRecv(b, buf, 7, &n, &flags, NULL, NULL, lpErrno), WSAEMSGSIZE);
    CHECK_EQ(n, 7);
    CHECK(memcmp(buf, big, 7) == 0);
    CHECK(flags & MSG_PARTIAL);
    expect_empty(b);
}

/* Draft §3.1.2.11 WSAEFAULT: "the lpFrom buffer was too small to accommodate
 * the peer address"; RULINGS §4 (NULL lpFromlen with lpFrom is WSAEFAULT).
 * The refused call does not consume the datagram. */
TEST(recvfrom_short_fromlen_efault) {
    t_startup();
    struct sockaddr_in aa, ba;
    SOCKET a = t_udp_bound(&aa), b = t_udp_bound(&ba);
    send_to(a, "data", 4, &ba);
    t_sleep_ms(20);
    char buf[16], frombuf[16];
    DWORD n = 0;
    int flags = 0, fromlen = 8;
    CHECK_WSA(WSPRecvFrom(b, buf, sizeof buf, &n, &flags, frombuf, &fromlen, NULL, NULL, lpErrno), WSAEFAULT);
    fromlen = 15;
    flags = 0;
    CHECK_WSA(WSPRecvFrom(b, buf, sizeof buf, &n, &flags, frombuf, &fromlen, NULL, NULL, lpErrno), WSAEFAULT);
    flags = 0;
    CHECK_WSA(WSPRecvFrom(b, buf, sizeof buf, &n, &flags, frombuf, NULL, NULL, NULL, lpErrno), WSAEFAULT);
    struct sockaddr_in from;
    n = recv_one(b, buf, sizeof buf, &from);
    CHECK_EQ(n, 4);
    CHECK(memcmp(buf, "data", 4) == 0);
    CHECK_EQ(from.sin_port, aa.sin_port);
}

/* Draft §3.1.2.10/11 WSAEINVAL: "The socket has not been bound". */
TEST(recv_unbound_udp_einval) {
    t_startup();
    SOCKET u = t_socket(SOCK_DGRAM);
    set_nonblocking(u, 1);   /* a failure to check must not hang the test */
    char buf[8];
    DWORD n = 0;
    int flags = 0;
    struct sockaddr_in from;
    int fromlen = sizeof from;
    CHECK_WSA(WSPRecv(u, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno), WSAEINVAL);
    flags = 0;
    CHECK_WSA(WSPRecvFrom(u, buf, sizeof buf, &n, &flags, &from, &fromlen, NULL, NULL, lpErrno), WSAEINVAL);
}

/* Draft §3.1.2.12 WSAENOTCONN: WSPSend needs the default peer of
 * WSPConnect (unbound and bound sockets alike). */
TEST(send_unconnected_udp_notconn) {
    t_startup();
    SOCKET u = t_socket(SOCK_DGRAM);
    DWORD n = 0;
    CHECK_WSA(WSPSend(u, "x", 1, &n, 0, NULL, NULL, lpErrno), WSAENOTCONN);
    SOCKET b = t_udp_bound(NULL);
    CHECK_WSA(WSPSend(b, "x", 1, &n, 0, NULL, NULL, lpErrno), WSAENOTCONN);
}

/* Draft §3.1.2.13 WSAEDESTADDRREQ "A destination address is required". */
TEST(sendto_null_to_destaddrreq) {
    t_startup();
    SOCKET b = t_udp_bound(NULL);
    DWORD n = 0;
    CHECK_WSA(WSPSendTo(b, "x", 1, &n, 0, NULL, 0, NULL, NULL, lpErrno), WSAEDESTADDRREQ);
    CHECK_WSA(WSPSendTo(b, "x", 1, &n, 0, NULL, 16, NULL, NULL, lpErrno), WSAEDESTADDRREQ);
    SOCKET u = t_socket(SOCK_DGRAM);
    CHECK_WSA(WSPSendTo(u, "x", 1, &n, 0, NULL, 0, NULL, NULL, lpErrno), WSAEDESTADDRREQ);
}

/* Draft §3.1.2.13 WSAEFAULT: "the lpTo argument is too small"; nothing is
 * sent. */
TEST(sendto_short_tolen_efault) {
    t_startup();
    struct sockaddr_in ba;
    SOCKET a = t_udp_bound(NULL), b = t_udp_bound(&ba);
    DWORD n = 0;
    CHECK_WSA(WSPSendTo(a, "x", 1, &n, 0, &ba, 8, NULL, NULL, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPSendTo(a, "x", 1, &n, 0, &ba, 15, NULL, NULL, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPSendTo(a, NULL, 1, &n, 0, &ba, sizeof ba, NULL, NULL, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPSendTo(a, "x", 1, NULL, 0, &ba, sizeof ba, NULL, NULL, lpErrno), WSAEFAULT);
    t_sleep_ms(20);
    expect_empty(b);
}

/* Draft §3.1.2.13 WSAEAFNOSUPPORT "Addresses in the specified family cannot
 * be used with this socket". */
TEST(sendto_wrong_family_eafnosupport) {
    t_startup();
    struct sockaddr_in ba;
    SOCKET a = t_udp_bound(NULL), b = t_udp_bound(&ba);
    struct sockaddr_in to = ba;
    to.sin_family = AF_UNIX;
    DWORD n = 0;
    CHECK_WSA(WSPSendTo(a, "x", 1, &n, 0, &to, sizeof to, NULL, NULL, lpErrno), WSAEAFNOSUPPORT);
    t_sleep_ms(20);
    expect_empty(b);
}

/* Draft §3.1.2.13 WSAEADDRNOTAVAIL "The specified address is not available"
 * (the remote address ADDR_ANY or port 0, as in Winsock). */
TEST(sendto_any_or_port0_eaddrnotavail) {
    t_startup();
    struct sockaddr_in ba;
    SOCKET a = t_udp_bound(NULL), b = t_udp_bound(&ba);
    struct sockaddr_in to = ba;
    to.sin_addr.S_un.S_addr = INADDR_ANY;
    DWORD n = 0;
    CHECK_WSA(WSPSendTo(a, "x", 1, &n, 0, &to, sizeof to, NULL, NULL, lpErrno), WSAEADDRNOTAVAIL);
    to = ba;
    to.sin_port = 0;
    CHECK_WSA(WSPSendTo(a, "x", 1, &n, 0, &to, sizeof to, NULL, NULL, lpErrno), WSAEADDRNOTAVAIL);
    t_sleep_ms(20);
    expect_empty(b);
}

/* Draft §3.1.2.12/13: "If the data is too long to pass atomically through
 * the underlying protocol the error WSAEMSGSIZE is returned, and no data is
 * transmitted"; 65507 (SO_MAX_DG_SIZE) itself goes through intact. */
TEST(datagram_too_big_emsgsize) {
    t_startup();
    struct sockaddr_in ba;
    SOCKET a = t_udp_bound(NULL), b = t_udp_bound(&ba);
    unsigned char *big = malloc(65508), *in = malloc(65600);
    CHECK(big && in);
    for (int i = 0; i < 65508; i++) big[i] = (unsigned char)(i * 7 + 3);
    DWORD n = 0;
    CHECK_WSA(WSPSendTo(a, big, 65508, &n, 0, &ba, sizeof ba, NULL, NULL, lpErrno), WSAEMSGSIZE);
    CHECK_WSA(WSPSendTo(a, big, 200000, &n, 0, &ba, sizeof ba, NULL, NULL, lpErrno), WSAEMSGSIZE);
    send_to(a, big, 65507, &ba);
    struct sockaddr_in from;
    n = recv_one(b, in, 65600, &from);
    CHECK_EQ(n, 65507);
    CHECK(memcmp(in, big, 65507) == 0);
    expect_empty(b);
    /* connected: WSPSend says the same */
    CHECK_OK(WSPConnect(a, (struct sockaddr *)&ba, sizeof ba, NULL, NULL, 0, NULL, NULL, lpErrno));
    CHECK_WSA(WSPSend(a, big, 65508, &n, 0, NULL, NULL, lpErrno), WSAEMSGSIZE);
    t_sleep_ms(20);
    expect_empty(b);
    free(big);
    free(in);
}

/* Draft §3.1.2.12/13 WSAEACCES "The requested address is a broadcast
 * address, but the appropriate flag was not set" (SO_BROADCAST). */
TEST(broadcast_without_so_broadcast_eacces) {
    t_startup();
    SOCKET a = t_udp_bound(NULL);
    struct sockaddr_in to = t_loopback(9);
    to.sin_addr.S_un.S_addr = INADDR_BROADCAST;
    DWORD n = 0;
    CHECK_WSA(WSPSendTo(a, "x", 1, &n, 0, &to, sizeof to, NULL, NULL, lpErrno), WSAEACCES);
    SOCKET u = t_socket(SOCK_DGRAM);
    CHECK_WSA(WSPSendTo(u, "x", 1, &n, 0, &to, sizeof to, NULL, NULL, lpErrno), WSAEACCES);
}

/* Draft §3.1.2.10-13 WSAEOPNOTSUPP: "MSG_OOB was specified, but the socket
 * is not stream style"; the queued datagram is untouched. */
TEST(msg_oob_on_udp_eopnotsupp) {
    t_startup();
    struct sockaddr_in aa, ba;
    SOCKET a = t_udp_bound(&aa), b = t_udp_bound(&ba);
    DWORD n = 0;
    CHECK_WSA(WSPSendTo(a, "x", 1, &n, MSG_OOB, &ba, sizeof ba, NULL, NULL, lpErrno), WSAEOPNOTSUPP);
    send_to(a, "keep", 4, &ba);
    t_sleep_ms(20);
    char buf[8];
    int flags = MSG_OOB;
    struct sockaddr_in from;
    int fromlen = sizeof from;
    CHECK_WSA(WSPRecvFrom(b, buf, sizeof buf, &n, &flags, &from, &fromlen, NULL, NULL, lpErrno), WSAEOPNOTSUPP);
    flags = MSG_OOB;
    CHECK_WSA(WSPRecv(b, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno), WSAEOPNOTSUPP);
    /* connected UDP: WSPSend / WSPRecv too */
    CHECK_OK(WSPConnect(a, (struct sockaddr *)&ba, sizeof ba, NULL, NULL, 0, NULL, NULL, lpErrno));
    CHECK_WSA(WSPSend(a, "x", 1, &n, MSG_OOB, NULL, NULL, lpErrno), WSAEOPNOTSUPP);
    n = recv_one(b, buf, sizeof buf, &from);
    CHECK_EQ(n, 4);
    CHECK(memcmp(buf, "keep", 4) == 0);
    expect_empty(b);
}

/* WSPSendTo on an unbound socket binds it implicitly (API sendto semantics,
 * draft §3.1.4: the local association set by the provider can then be read
 * with WSPGetSockName), and it can then receive the reply. */
TEST(sendto_autobinds) {
    t_startup();
    struct sockaddr_in ba;
    SOCKET b = t_udp_bound(&ba);
    SOCKET u = t_socket(SOCK_DGRAM);
    struct sockaddr_in me;
    int len = sizeof me;
    CHECK_WSA(WSPGetSockName(u, (struct sockaddr *)&me, &len, lpErrno), WSAEINVAL);
    send_to(u, "hi", 2, &ba);
    len = sizeof me;
    memset(&me, 0, sizeof me);
    CHECK_OK(WSPGetSockName(u, (struct sockaddr *)&me, &len, lpErrno));
    CHECK_EQ(len, 16);
    CHECK_EQ(me.sin_family, AF_INET);
    CHECK(me.sin_port != 0);
    char buf[8];
    struct sockaddr_in from;
    DWORD n = recv_one(b, buf, sizeof buf, &from);
    CHECK_EQ(n, 2);
    CHECK_EQ(from.sin_port, me.sin_port);
    /* bound now: it can receive the reply */
    send_to(b, "yo", 2, &from);
    n = recv_one(u, buf, sizeof buf, &from);
    CHECK_EQ(n, 2);
    CHECK(memcmp(buf, "yo", 2) == 0);
    CHECK_EQ(from.sin_port, ba.sin_port);
}

/* Draft §3.1.2.10: WSPRecv "can also be used on connectionless sockets which
 * have a stipulated default peer address established via WSPConnect()". */
TEST(connected_udp_send_recv) {
    t_startup();
    struct sockaddr_in aa, ba;
    SOCKET a = t_udp_bound(&aa), b = t_udp_bound(&ba);
    CHECK_OK(WSPConnect(a, (struct sockaddr *)&ba, sizeof ba, NULL, NULL, 0, NULL, NULL, lpErrno));
    DWORD n = 0xDEADBEEF;
    CHECK_OK(WSPSend(a, "conn", 4, &n, 0, NULL, NULL, lpErrno));
    CHECK_EQ(n, 4);
    char buf[8];
    struct sockaddr_in from;
    n = recv_one(b, buf, sizeof buf, &from);
    CHECK_EQ(n, 4);
    CHECK(memcmp(buf, "conn", 4) == 0);
    CHECK_EQ(from.sin_port, aa.sin_port);
    send_to(b, "back", 4, &aa);
    int flags = 0;
    n = 0xDEADBEEF;
    CHECK_OK(WSPRecv(a, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno));
    CHECK_EQ(n, 4);
    CHECK(memcmp(buf, "back", 4) == 0);
}

/* Draft §3.1.2.10 WSAECONNRESET / RULINGS (final Winsock behaviour): a
 * connected UDP socket that receives an ICMP port-unreachable for its
 * datagram reports WSAECONNRESET on the next receive. */
TEST(connected_udp_icmp_unreachable_connreset) {
    t_startup();
    struct sockaddr_in gone;
    SOCKET g = t_udp_bound(&gone);
    CHECK_OK(WSPCloseSocket(g, lpErrno));
    SOCKET a = t_udp_bound(NULL);
    CHECK_OK(WSPConnect(a, (struct sockaddr *)&gone, sizeof gone, NULL, NULL, 0, NULL, NULL, lpErrno));
    DWORD n = 0;
    CHECK_OK(WSPSend(a, "x", 1, &n, 0, NULL, NULL, lpErrno));
    set_nonblocking(a, 1);
    double end = t_now() + 2;
    char buf[8];
    int err;
    for (;;) {
        int flags = 0;
        err = 0;
        int r = WSPRecv(a, buf, sizeof buf, &n, &flags, NULL, NULL, &err);
        CHECK_EQ(r, SOCKET_ERROR);
        if (err != WSAEWOULDBLOCK) break;
        if (t_now() > end) break;
        t_sleep_ms(5);
    }
    CHECK_EQ(err, WSAECONNRESET);
}

/* Zero-length datagrams are datagrams: sent with *sent == 0, received with
 * *recvd == 0 and the sender's address (API sendto/recvfrom). */
TEST(zero_length_datagram) {
    t_startup();
    struct sockaddr_in aa, ba;
    SOCKET a = t_udp_bound(&aa), b = t_udp_bound(&ba);
    char empty[1] = { 0 };
    DWORD n = 0xDEADBEEF;
    CHECK_OK(WSPSendTo(a, empty, 0, &n, 0, &ba, sizeof ba, NULL, NULL, lpErrno));
    CHECK_EQ(n, 0);
    send_to(a, "z", 1, &ba);
    char buf[8];
    struct sockaddr_in from;
    memset(&from, 0, sizeof from);
    n = recv_one(b, buf, sizeof buf, &from);
    CHECK_EQ(n, 0);
    CHECK_EQ(from.sin_port, aa.sin_port);
    n = recv_one(b, buf, sizeof buf, &from);
    CHECK_EQ(n, 1);
    CHECK_EQ(buf[0], 'z');
}

/* Draft §3.1.6: "If s is message-oriented (e.g., type SOCK_DGRAM), FIONREAD
 * returns the size of the first datagram (message) queued on the socket." */
TEST(fionread_udp_first_datagram) {
    t_startup();
    struct sockaddr_in ba;
    SOCKET a = t_udp_bound(NULL), b = t_udp_bound(&ba);
    u_long v = 0xDEAD;
    CHECK_OK(WSPIoctlSocket(b, FIONREAD, &v, lpErrno));
    CHECK_EQ(v, 0);
    static char d[300];
    memset(d, 'd', sizeof d);
    send_to(a, d, 100, &ba);
    send_to(a, d, 300, &ba);
    t_sleep_ms(30);
    v = 0xDEAD;
    CHECK_OK(WSPIoctlSocket(b, FIONREAD, &v, lpErrno));
    CHECK_EQ(v, 100);
    static char buf[1000];
    struct sockaddr_in from;
    CHECK_EQ(recv_one(b, buf, sizeof buf, &from), 100);
    v = 0xDEAD;
    CHECK_OK(WSPIoctlSocket(b, FIONREAD, &v, lpErrno));
    CHECK_EQ(v, 300);
    CHECK_EQ(recv_one(b, buf, sizeof buf, &from), 300);
    v = 0xDEAD;
    CHECK_OK(WSPIoctlSocket(b, FIONREAD, &v, lpErrno));
    CHECK_EQ(v, 0);
}

/* RULINGS §7a: "An ICMP error on a datagram socket is reported to receives
 * only (WSAECONNRESET); WSPSend / WSPSendTo on a connected datagram socket
 * keep succeeding." Linux hands the error to whichever call comes next. */
TEST(connected_udp_sends_keep_succeeding_after_icmp) {
    t_startup();
    struct sockaddr_in gone;
    SOCKET g = t_udp_bound(&gone);
    CHECK_OK(WSPCloseSocket(g, lpErrno));
    SOCKET a = t_udp_bound(NULL);
    CHECK_OK(WSPConnect(a, (struct sockaddr *)&gone, sizeof gone, NULL, NULL, 0, NULL, NULL, lpErrno));
    for (int i = 0; i < 10; i++) {
        DWORD n = 0;
        CHECK_OK(WSPSend(a, "x", 1, &n, 0, NULL, NULL, lpErrno));
        CHECK_EQ(n, 1);
        t_sleep_ms(20);                    /* the port-unreachable arrives */
    }
    /* the error still reaches a receive */
    set_nonblocking(a, 1);
    char buf[8];
    DWORD n = 0;
    int flags = 0;
    CHECK_WSA(WSPRecv(a, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno), WSAECONNRESET);
    t_cleanup();
}

/* The same through an overlapped receive (one receive attempt serves the
 * plain and the overlapped paths): the ICMP error a send met is the next
 * overlapped receive's result, at once. */
TEST(connected_udp_icmp_reaches_overlapped_receive) {
    t_startup();
    struct sockaddr_in gone;
    SOCKET g = t_udp_bound(&gone);
    CHECK_OK(WSPCloseSocket(g, lpErrno));
    int err = 0;
    SOCKET a = WSPSocket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, 0, WSA_FLAG_OVERLAPPED, &err);
    CHECK(a != INVALID_SOCKET);
    t_bind_loopback(a, NULL);
    CHECK_OK(WSPConnect(a, (struct sockaddr *)&gone, sizeof gone, NULL, NULL, 0, NULL, NULL, lpErrno));
    for (int i = 0; i < 4; i++) {
        DWORD n = 0;
        CHECK_OK(WSPSend(a, "x", 1, &n, 0, NULL, NULL, lpErrno));
        t_sleep_ms(20);
    }
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    char buf[8];
    DWORD n = 0;
    int flags = 0;
    CHECK_WSA(WSPRecv(a, buf, sizeof buf, &n, &flags, &ov, NULL, lpErrno), WSAECONNRESET);
    t_cleanup();
}
