/* WSPSocket and WSPCloseSocket: families, types, protocols, flags, handles.
 * Draft §3.1.2.215 (WSPSocket), §3.1.2 (WSPCloseSocket); RULINGS §4. */
#include "harness.h"
#include <sys/resource.h>
#include <dirent.h>

static int so_type(SOCKET s) {
    int type = -1, len = sizeof type;
    CHECK_OK(WSPGetSockOpt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &len, lpErrno));
    CHECK_EQ(len, (int)sizeof type);
    return type;
}

static SOCKET mk(int af, int type, int proto, int flags) {
    int err = 0;
    SOCKET s = WSPSocket(af, type, proto, 0, flags, &err);
    if (s == INVALID_SOCKET)
        harness_fail(__FILE__, __LINE__, "WSPSocket(%d, %d, %d, flags %d) failed: %d", af, type, proto, flags, err);
    return s;
}

/* A datagram round trip through s (an unbound UDP socket): proves it is UDP/IP. */
static void udp_works(SOCKET s) {
    struct sockaddr_in to;
    SOCKET r = t_udp_bound(&to);
    DWORD n = 0;
    CHECK_OK(WSPSendTo(s, "ping", 4, &n, 0, &to, sizeof to, NULL, NULL, lpErrno));
    CHECK_EQ(n, 4);
    char buf[8];
    int flags = 0;
    CHECK_OK(WSPRecv(r, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno));
    CHECK_EQ(n, 4);
    CHECK_OK(WSPCloseSocket(r, lpErrno));
}

/* A TCP connection from s to a fresh listener: proves it is TCP/IP. */
static void tcp_works(SOCKET s) {
    struct sockaddr_in a;
    SOCKET l = t_listener(&a);
    CHECK_OK(WSPConnect(s, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno));
    SOCKET x = WSPAccept(l, NULL, NULL, NULL, 0, &lperr);
    CHECK(x != INVALID_SOCKET);
    CHECK_OK(WSPCloseSocket(x, lpErrno));
    CHECK_OK(WSPCloseSocket(l, lpErrno));
}

/* Draft WSPSocket: AF_INET stream/TCP and datagram/UDP sockets; SO_TYPE
 * (draft §3.1.5) reports the type. */
TEST(socket_tcp_and_udp) {
    t_startup();
    SOCKET t = mk(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0);
    SOCKET u = mk(AF_INET, SOCK_DGRAM, IPPROTO_UDP, 0);
    CHECK(t != u);
    CHECK_EQ(so_type(t), SOCK_STREAM);
    CHECK_EQ(so_type(u), SOCK_DGRAM);
    tcp_works(t);
    udp_works(u);
    t_cleanup();
}

/* Draft WSPSocket: "If protocol is ... zero, the default for the specified
 * socket type is used" (TCP for stream, UDP for datagram). */
TEST(socket_protocol_zero_default) {
    t_startup();
    SOCKET t = mk(AF_INET, SOCK_STREAM, 0, 0);
    SOCKET u = mk(AF_INET, SOCK_DGRAM, 0, 0);
    CHECK_EQ(so_type(t), SOCK_STREAM);
    CHECK_EQ(so_type(u), SOCK_DGRAM);
    tcp_works(t);
    udp_works(u);
    t_cleanup();
}

/* Draft WSPSocket: "the address family may be given as AF_UNSPEC ... in
 * which case the protocol parameter must be specified"; with protocol 0 it
 * is WSAEINVAL (brief/RULINGS: an argument the draft forbids is an error). */
TEST(socket_af_unspec) {
    t_startup();
    SOCKET t = mk(AF_UNSPEC, SOCK_STREAM, IPPROTO_TCP, 0);
    CHECK_EQ(so_type(t), SOCK_STREAM);
    tcp_works(t);
    SOCKET u = mk(AF_UNSPEC, SOCK_DGRAM, IPPROTO_UDP, 0);
    CHECK_EQ(so_type(u), SOCK_DGRAM);
    udp_works(u);
    CHECK_WSA(WSPSocket(AF_UNSPEC, SOCK_STREAM, 0, 0, 0, lpErrno), WSAEINVAL);
    CHECK_WSA(WSPSocket(AF_UNSPEC, SOCK_DGRAM, 0, 0, 0, lpErrno), WSAEINVAL);
    t_cleanup();
}

/* Draft WSPSocket: WSAEAFNOSUPPORT "The specified address family is not
 * supported" (the provider is AF_INET only). */
TEST(socket_unsupported_family) {
    t_startup();
    int fams[] = { AF_UNIX, AF_NS, AF_IPX, AF_APPLETALK, AF_NETBIOS, 99 };
    for (size_t i = 0; i < sizeof fams / sizeof fams[0]; i++) {
        CHECK_WSA(WSPSocket(fams[i], SOCK_STREAM, 0, 0, 0, lpErrno), WSAEAFNOSUPPORT);
        CHECK_WSA(WSPSocket(fams[i], SOCK_DGRAM, 0, 0, 0, lpErrno), WSAEAFNOSUPPORT);
    }
    t_cleanup();
}

/* Draft WSPSocket: WSAESOCKTNOSUPPORT "The specified socket type is not
 * supported in this address family" (RULINGS §11: STREAM and DGRAM only). */
TEST(socket_unsupported_type) {
    t_startup();
    int types[] = { SOCK_RAW, SOCK_RDM, SOCK_SEQPACKET, SOCK_UNREL_DSTREAM, 99 };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        CHECK_WSA(WSPSocket(AF_INET, types[i], 0, 0, 0, lpErrno), WSAESOCKTNOSUPPORT);
    t_cleanup();
}

/* Draft WSPSocket: WSAEPROTOTYPE "The specified protocol is the wrong type
 * for this socket". */
TEST(socket_protocol_wrong_type) {
    t_startup();
    CHECK_WSA(WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_UDP, 0, 0, lpErrno), WSAEPROTOTYPE);
    CHECK_WSA(WSPSocket(AF_INET, SOCK_DGRAM, IPPROTO_TCP, 0, 0, lpErrno), WSAEPROTOTYPE);
    t_cleanup();
}

/* Draft WSPSocket: WSAEPROTONOSUPPORT "The specified protocol is not supported". */
TEST(socket_unknown_protocol) {
    t_startup();
    CHECK_WSA(WSPSocket(AF_INET, SOCK_STREAM, 99, 0, 0, lpErrno), WSAEPROTONOSUPPORT);
    CHECK_WSA(WSPSocket(AF_INET, SOCK_DGRAM, 99, 0, 0, lpErrno), WSAEPROTONOSUPPORT);
    t_cleanup();
}

/* Draft WSPSocket flags: WSA_FLAG_OVERLAPPED is accepted (RULINGS §2:
 * 0x01); RULINGS §4: no argument is silently ignored, unknown flag bits are
 * WSAEINVAL. */
TEST(socket_flags) {
    t_startup();
    SOCKET t = mk(AF_INET, SOCK_STREAM, IPPROTO_TCP, WSA_FLAG_OVERLAPPED);
    SOCKET u = mk(AF_INET, SOCK_DGRAM, IPPROTO_UDP, WSA_FLAG_OVERLAPPED);
    CHECK_EQ(so_type(t), SOCK_STREAM);
    CHECK_EQ(so_type(u), SOCK_DGRAM);
    CHECK_WSA(WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0x100, lpErrno), WSAEINVAL);
    CHECK_WSA(WSPSocket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, 0, 0x100 | WSA_FLAG_OVERLAPPED, lpErrno), WSAEINVAL);
    CHECK_WSA(WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, (int)0x80000000, lpErrno), WSAEINVAL);
    t_cleanup();
}

static int cmp_socket(const void *a, const void *b) {
    SOCKET x = *(const SOCKET *)a, y = *(const SOCKET *)b;
    return x < y ? -1 : x > y;
}

/* RULINGS §4: handles never alias: 5000 sockets created and closed one after
 * another get 5000 distinct handles (never 0 nor INVALID_SOCKET), and every
 * closed handle answers WSAENOTSOCK while newer sockets are open. */
TEST(socket_handles_never_alias) {
    enum { N = 5000 };
    static SOCKET h[N], sorted[N];
    t_startup();
    SOCKET live[10];
    for (int i = 0; i < N; i++) {
        h[i] = mk(AF_INET, i % 2 ? SOCK_DGRAM : SOCK_STREAM, 0, 0);
        CHECK(h[i] != 0);
        CHECK(h[i] != INVALID_SOCKET);
        CHECK_OK(WSPCloseSocket(h[i], lpErrno));
        if (i > 0) CHECK_WSA(WSPCloseSocket(h[i - 1], lpErrno), WSAENOTSOCK);
    }
    for (int i = 0; i < 10; i++) live[i] = t_socket(SOCK_STREAM);
    memcpy(sorted, h, sizeof h);
    qsort(sorted, N, sizeof sorted[0], cmp_socket);
    for (int i = 1; i < N; i++)
        if (sorted[i] == sorted[i - 1]) harness_fail(__FILE__, __LINE__, "handle %u given out twice", sorted[i]);
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < 10; j++) CHECK(live[j] != h[i]);
        int type = 0, len = sizeof type;
        CHECK_WSA(WSPGetSockOpt(h[i], SOL_SOCKET, SO_TYPE, (char *)&type, &len, lpErrno), WSAENOTSOCK);
    }
    for (int j = 0; j < 10; j++) CHECK_EQ(so_type(live[j]), SOCK_STREAM);
    t_cleanup();
}

/* Draft WSPCloseSocket: WSAENOTSOCK "The descriptor is not a socket" for
 * values never given out, including small numbers a raw Linux descriptor
 * could have (RULINGS §4: a file descriptor is not a handle). */
TEST(socket_garbage_handles) {
    t_startup();
    SOCKET s = t_socket(SOCK_STREAM);
    SOCKET bad[] = { 0, 12345, 0xFFFFFFFE, INVALID_SOCKET, 0x7FFFFFFF };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (bad[i] == s) continue;
        CHECK_WSA(WSPCloseSocket(bad[i], lpErrno), WSAENOTSOCK);
    }
    for (SOCKET v = 0; v < 256; v++) {
        if (v == s) continue;
        int type = 0, len = sizeof type;
        CHECK_WSA(WSPGetSockOpt(v, SOL_SOCKET, SO_TYPE, (char *)&type, &len, lpErrno), WSAENOTSOCK);
    }
    CHECK_EQ(so_type(s), SOCK_STREAM);
    t_cleanup();
}

/* Draft WSPCloseSocket: "further references to s will fail with the error
 * WSAENOTSOCK": a second close, and any other use. */
TEST(socket_close_twice) {
    t_startup();
    SOCKET s = t_socket(SOCK_STREAM);
    CHECK_OK(WSPCloseSocket(s, lpErrno));
    CHECK_WSA(WSPCloseSocket(s, lpErrno), WSAENOTSOCK);
    struct sockaddr_in a = t_loopback(0);
    CHECK_WSA(WSPBind(s, (struct sockaddr *)&a, sizeof a, lpErrno), WSAENOTSOCK);
    CHECK_WSA(WSPListen(s, 5, lpErrno), WSAENOTSOCK);
    u_long on = 1;
    CHECK_WSA(WSPIoctlSocket(s, FIONBIO, &on, lpErrno), WSAENOTSOCK);
    t_cleanup();
}

static int max_fd(void) {
    int m = -1;
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int v = atoi(e->d_name);
        if (v > m) m = v;
    }
    closedir(d);
    return m;
}

/* Draft WSPSocket: WSAEMFILE "No more socket descriptors are available";
 * closing some makes creation work again. */
TEST(socket_emfile) {
    t_startup();
    SOCKET warm = t_socket(SOCK_STREAM);
    CHECK_OK(WSPCloseSocket(warm, lpErrno));
    struct rlimit rl;
    CHECK_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
    rlim_t lim = (rlim_t)max_fd() + 21;
    CHECK(lim <= rl.rlim_max);
    struct rlimit small = { lim, rl.rlim_max };
    CHECK_EQ(setrlimit(RLIMIT_NOFILE, &small), 0);
    /* descriptors are numbered below the limit: inherited ones can sit high
     * (fd 251 …), so up to lim - (open descriptors) sockets fit */
    static SOCKET s[4096];
    CHECK(lim < 4000);
    int n = 0, err = 0;
    for (;;) {
        CHECK(n < 4096);
        err = 0x7EADBEEF;
        SOCKET x = WSPSocket(AF_INET, n % 2 ? SOCK_DGRAM : SOCK_STREAM, 0, 0, 0, &err);
        if (x == INVALID_SOCKET) break;
        s[n++] = x;
    }
    if (err != WSAEMFILE) harness_fail(__FILE__, __LINE__, "after %d sockets WSPSocket failed with %d, expected WSAEMFILE", n, err);
    CHECK(n >= 5);
    CHECK(n <= (int)lim);
    CHECK_WSA(WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, lpErrno), WSAEMFILE);
    for (int i = 0; i < 3; i++) CHECK_OK(WSPCloseSocket(s[--n], lpErrno));
    for (int i = 0; i < 3; i++) s[n++] = t_socket(i % 2 ? SOCK_DGRAM : SOCK_STREAM);
    for (int i = 0; i < n; i++) CHECK_OK(WSPCloseSocket(s[i], lpErrno));
    t_cleanup();
}
