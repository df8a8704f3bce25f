/* WSPStartup / WSPCleanup: version negotiation, WSADATA, the start-up count,
 * WSANOTINITIALISED before start-up, what the last clean-up does.
 * Draft §3.1.2.15 (WSPCleanup), §3.1.2.216 (WSPStartup); RULINGS §3, §4. */
#include "harness.h"
#include <sys/resource.h>
#include <sys/wait.h>
#include <signal.h>
#include <dirent.h>

static int startup_ver(WORD v, WSADATA *d) {
    memset(d, 0xAA, sizeof *d);
    return WSPStartup(v, d);
}

/* Draft WSPStartup: wVersion = min(requested, provider's high version),
 * wHighVersion = the provider's highest; RULINGS §3: supported 1.1 .. 2.0. */
TEST(startup_version_negotiation) {
    static const struct { BYTE maj, min, want_maj, want_min; } cases[] = {
        { 1, 1, 1, 1 }, { 1, 2, 1, 2 }, { 2, 0, 2, 0 }, { 2, 1, 2, 0 },
        { 2, 2, 2, 0 }, { 3, 0, 2, 0 }, { 255, 255, 2, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        WSADATA d;
        int r = startup_ver(MAKEWORD(cases[i].maj, cases[i].min), &d);
        if (r != 0) harness_fail(__FILE__, __LINE__, "WSPStartup(%d.%d) = %d", cases[i].maj, cases[i].min, r);
        if (d.wVersion != MAKEWORD(cases[i].want_maj, cases[i].want_min))
            harness_fail(__FILE__, __LINE__, "request %d.%d: wVersion 0x%04x, expected 0x%04x",
                         cases[i].maj, cases[i].min, d.wVersion, MAKEWORD(cases[i].want_maj, cases[i].want_min));
        CHECK_EQ(d.wHighVersion, MAKEWORD(2, 0));
        t_cleanup();
    }
}

/* RULINGS §3: a request below 1.1 returns WSAVERNOTSUPPORTED (the return
 * value; WSPStartup has no lpErrno), and a failed start-up is not counted. */
TEST(startup_version_too_low) {
    WORD low[] = { MAKEWORD(1, 0), MAKEWORD(0, 9), MAKEWORD(0, 0), MAKEWORD(0, 255) };
    for (size_t i = 0; i < sizeof low / sizeof low[0]; i++) {
        WSADATA d;
        int r = startup_ver(low[i], &d);
        if (r != WSAVERNOTSUPPORTED)
            harness_fail(__FILE__, __LINE__, "WSPStartup(0x%04x) = %d, expected WSAVERNOTSUPPORTED", low[i], r);
    }
    CHECK_WSA(WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, lpErrno), WSANOTINITIALISED);
    CHECK_WSA(WSPCleanup(NULL, 0, lpErrno), WSANOTINITIALISED);
}

/* RULINGS §3: a NULL lpWSAData returns WSAEFAULT (and is not counted). */
TEST(startup_null_wsadata) {
    CHECK_EQ(WSPStartup(MAKEWORD(2, 0), NULL), WSAEFAULT);
    CHECK_EQ(WSPStartup(MAKEWORD(1, 1), NULL), WSAEFAULT);
    CHECK_WSA(WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, lpErrno), WSANOTINITIALISED);
    CHECK_WSA(WSPCleanup(NULL, 0, lpErrno), WSANOTINITIALISED);
}

/* RULINGS §3: iMaxUdpDg is 512; szDescription printable, non-empty and
 * NUL-terminated inside its 257 bytes (Appendix A.2 WSADATA). */
TEST(startup_wsadata_fields) {
    WSADATA d;
    CHECK_EQ(startup_ver(MAKEWORD(2, 0), &d), 0);
    CHECK_EQ(d.iMaxUdpDg, 512);
    CHECK(d.iMaxSockets > 0);
    CHECK(d.iMaxSockets <= 65535);
    const char *end = memchr(d.szDescription, 0, sizeof d.szDescription);
    CHECK(end != NULL);
    CHECK(end > d.szDescription);
    for (const char *p = d.szDescription; p < end; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7E)
            harness_fail(__FILE__, __LINE__, "szDescription byte %d is 0x%02x", (int)(p - d.szDescription), (unsigned char)*p);
    CHECK(memchr(d.szSystemStatus, 0, sizeof d.szSystemStatus) != NULL);
    t_cleanup();
}

/* RULINGS §3: iMaxSockets is the real per-process limit (RLIMIT_NOFILE,
 * at most 65535): it follows the limit in force at WSPStartup. */
TEST(startup_max_sockets_follows_rlimit) {
    struct rlimit rl;
    CHECK_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
    WSADATA d;
    CHECK_EQ(startup_ver(MAKEWORD(2, 0), &d), 0);
    CHECK(d.iMaxSockets > 0);
    if (rl.rlim_cur != RLIM_INFINITY) CHECK(d.iMaxSockets <= rl.rlim_cur);
    t_cleanup();

    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 1000) return;  /* cannot vary it */
    struct rlimit small = { 200, rl.rlim_max };
    CHECK_EQ(setrlimit(RLIMIT_NOFILE, &small), 0);
    CHECK_EQ(startup_ver(MAKEWORD(2, 0), &d), 0);
    int m200 = d.iMaxSockets;
    t_cleanup();
    struct rlimit big = { 1000, rl.rlim_max };
    CHECK_EQ(setrlimit(RLIMIT_NOFILE, &big), 0);
    CHECK_EQ(startup_ver(MAKEWORD(2, 0), &d), 0);
    int m1000 = d.iMaxSockets;
    t_cleanup();
    if (m200 > 200 || m200 < 200 - t_count_fds() - 16)
        harness_fail(__FILE__, __LINE__, "RLIMIT_NOFILE 200: iMaxSockets %d", m200);
    if (m1000 > 1000 || m1000 < 1000 - t_count_fds() - 16)
        harness_fail(__FILE__, __LINE__, "RLIMIT_NOFILE 1000: iMaxSockets %d", m1000);
}

static BOOL dummy_hook(void) { return FALSE; }
static void dummy_select_cb(SOCKET s, int32_t ev, int err, DWORD data) { (void)s; (void)ev; (void)err; (void)data; }

/* RULINGS §3: while the count is zero every entry point with lpErrno fails
 * with WSANOTINITIALISED (this test process never called WSPStartup). */
TEST(not_initialised_before_startup) {
    SOCKET s = 1;
    char buf[16] = { 0 };
    DWORD n = 0;
    int flags = 0, len = 16, opt = 0, count = FD_MAX_EVENTS;
    u_long arg = 1;
    struct sockaddr_in a = t_loopback(9);
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(s, &rs);
    struct timeval tv = { 0, 0 };
    WSANETWORKEVENT ev[FD_MAX_EVENTS];
    CHECK_WSA(WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, lpErrno), WSANOTINITIALISED);
    CHECK_WSA(WSPBind(s, (struct sockaddr *)&a, sizeof a, lpErrno), WSANOTINITIALISED);
    CHECK_WSA(WSPListen(s, 5, lpErrno), WSANOTINITIALISED);
    CHECK_WSA(WSPAccept(s, NULL, NULL, NULL, 0, lpErrno), WSANOTINITIALISED);
    CHECK_WSA(WSPConnect(s, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno), WSANOTINITIALISED);
    CHECK_WSA(WSPCloseSocket(s, lpErrno), WSANOTINITIALISED);
    CHECK_WSA(WSPSend(s, buf, 1, &n, 0, NULL, NULL, lpErrno), WSANOTINITIALISED);
    CHECK_WSA(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno), WSANOTINITIALISED);
    CHECK_WSA(WSPSendTo(s, buf, 1, &n, 0, &a, sizeof a, NULL, NULL, lpErrno), WSANOTINITIALISED);
    len = sizeof a;
    CHECK_WSA(WSPRecvFrom(s, buf, sizeof buf, &n, &flags, &a, &len, NULL, NULL, lpErrno), WSANOTINITIALISED);
    CHECK_WSA(WSPSelect(0, &rs, NULL, NULL, &tv, lpErrno), WSANOTINITIALISED);
    len = sizeof opt;
    CHECK_WSA(WSPGetSockOpt(s, SOL_SOCKET, SO_TYPE, (char *)&opt, &len, lpErrno), WSANOTINITIALISED);
    opt = 1;
    CHECK_WSA(WSPSetSockOpt(s, SOL_SOCKET, SO_KEEPALIVE, (char *)&opt, sizeof opt, lpErrno), WSANOTINITIALISED);
    CHECK_WSA(WSPIoctlSocket(s, FIONBIO, &arg, lpErrno), WSANOTINITIALISED);
    CHECK_WSA(WSPShutdown(s, SD_BOTH, lpErrno), WSANOTINITIALISED);
    len = sizeof a;
    CHECK_WSA(WSPGetPeerName(s, (struct sockaddr *)&a, &len, lpErrno), WSANOTINITIALISED);
    len = sizeof a;
    CHECK_WSA(WSPGetSockName(s, (struct sockaddr *)&a, &len, lpErrno), WSANOTINITIALISED);
    CHECK_WSA(WSPCleanup(NULL, 0, lpErrno), WSANOTINITIALISED);
    {
        int err = 0x7EADBEEF;
        LPBLOCKINGPROC prev = WSPSetBlockingHook32(dummy_hook, &err);
        CHECK(prev == NULL);
        CHECK_EQ(err, WSANOTINITIALISED);
    }
    CHECK_WSA(WSPUnhookBlockingHook32(lpErrno), WSANOTINITIALISED);
    CHECK_WSA(WSPCancelBlockingCall32(lpErrno), WSANOTINITIALISED);
    CHECK_WSA(WSPEventSelect(s, NULL, FD_READ, lpErrno), WSANOTINITIALISED);
    CHECK_WSA(WSPAsyncSelect32(s, NULL, 0x400, FD_READ, lpErrno), WSANOTINITIALISED);
    CHECK_WSA(WSPCallbackSelect16(s, dummy_select_cb, 0, FD_READ, lpErrno), WSANOTINITIALISED);
    CHECK_WSA(WSPEnumNetworkEvents(s, NULL, ev, &count, lpErrno), WSANOTINITIALISED);
}

/* RULINGS §3: start-ups are counted; each WSPCleanup undoes one; after the
 * last one every entry point (WSPCleanup too) fails WSANOTINITIALISED. */
TEST(startup_is_counted) {
    WSADATA d;
    CHECK_EQ(startup_ver(MAKEWORD(2, 0), &d), 0);
    CHECK_EQ(startup_ver(MAKEWORD(1, 1), &d), 0);
    t_cleanup();
    SOCKET s = t_socket(SOCK_STREAM);              /* still started */
    CHECK_OK(WSPCloseSocket(s, lpErrno));
    t_cleanup();
    CHECK_WSA(WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, lpErrno), WSANOTINITIALISED);
    CHECK_WSA(WSPCleanup(NULL, 0, lpErrno), WSANOTINITIALISED);
    CHECK_WSA(WSPCleanup(NULL, 0, lpErrno), WSANOTINITIALISED);
}

/* RULINGS §3: a socket created before the intermediate clean-up survives it. */
TEST(intermediate_cleanup_keeps_sockets) {
    t_startup();
    t_startup();
    SOCKET s = t_socket(SOCK_DGRAM);
    t_cleanup();
    int type = 0, len = sizeof type;
    CHECK_OK(WSPGetSockOpt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &len, lpErrno));
    CHECK_EQ(type, SOCK_DGRAM);
    t_cleanup();
}

/* RULINGS §3: the last clean-up closes every socket: old handles answer
 * WSANOTINITIALISED, and after a new start-up WSAENOTSOCK (draft
 * WSPCloseSocket: "further references to s will fail with WSAENOTSOCK");
 * the listener's port is released (a connect to it is refused). */
TEST(last_cleanup_closes_every_socket) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    SOCKET t = t_socket(SOCK_STREAM);
    SOCKET u = t_socket(SOCK_DGRAM);
    SOCKET c, sv;
    t_tcp_pair(&c, &sv);
    t_cleanup();
    SOCKET all[] = { l, t, u, c, sv };
    for (int i = 0; i < 5; i++) {
        CHECK_WSA(WSPCloseSocket(all[i], lpErrno), WSANOTINITIALISED);
        int type = 0, len = sizeof type;
        CHECK_WSA(WSPGetSockOpt(all[i], SOL_SOCKET, SO_TYPE, (char *)&type, &len, lpErrno), WSANOTINITIALISED);
    }
    t_startup();
    for (int i = 0; i < 5; i++) {
        int type = 0, len = sizeof type;
        CHECK_WSA(WSPGetSockOpt(all[i], SOL_SOCKET, SO_TYPE, (char *)&type, &len, lpErrno), WSAENOTSOCK);
        CHECK_WSA(WSPCloseSocket(all[i], lpErrno), WSAENOTSOCK);
    }
    SOCKET x = t_socket(SOCK_STREAM);
    CHECK_WSA(WSPConnect(x, (struct sockaddr *)&la, sizeof la, NULL, NULL, 0, NULL, NULL, lpErrno), WSAECONNREFUSED);
    t_cleanup();
}

static int read_byte_timeout(int fd, char *c, int ms) {
    for (int i = 0; i < ms / 10; i++) {
        ssize_t r = read(fd, c, 1);
        if (r == 1) return 0;
        if (r == 0) return -1;
        t_sleep_ms(10);
    }
    return -1;
}

/* Draft WSPCleanup: "Any open connection-oriented sockets that are connected
 * when WSPCleanup() is called are reset"; RULINGS §3 (the peer sees a reset).
 * The peer is a child process with its own instance of the provider; it
 * reports through its exit code whether its WSPRecv failed WSAECONNRESET. */
TEST(last_cleanup_resets_connections) {
    int to_child[2], to_parent[2];
    CHECK_EQ(pipe(to_child), 0);
    CHECK_EQ(pipe(to_parent), 0);
    pid_t pid = fork();               /* before any WSPStartup: no provider threads yet */
    CHECK(pid >= 0);
    if (pid == 0) {
        alarm(10);
        close(to_child[1]);
        close(to_parent[0]);
        u_short port = 0;
        if (read(to_child[0], &port, sizeof port) != sizeof port) _exit(10);
        WSADATA d;
        if (WSPStartup(MAKEWORD(2, 0), &d) != 0) _exit(11);
        int err = 0;
        SOCKET c = WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, &err);
        if (c == INVALID_SOCKET) _exit(12);
        struct sockaddr_in a = t_loopback(port);
        if (WSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, &err) != 0) _exit(13);
        if (write(to_parent[1], "c", 1) != 1) _exit(14);
        char buf[16];
        DWORD n = 0;
        int flags = 0;
        int r = WSPRecv(c, buf, sizeof buf, &n, &flags, NULL, NULL, &err);
        if (r == 0) _exit(n == 0 ? 20 : 21);            /* graceful close / data: wrong */
        _exit(err == WSAECONNRESET ? 0 : 30);
    }
    close(to_child[0]);
    close(to_parent[1]);
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    u_short port = t_htons(la.sin_port);
    CHECK_EQ(write(to_child[1], &port, sizeof port), (long)sizeof port);
    SOCKET sv = WSPAccept(l, NULL, NULL, NULL, 0, &lperr);
    CHECK(sv != INVALID_SOCKET);
    char ch = 0;
    CHECK_EQ(read_byte_timeout(to_parent[0], &ch, 5000), 0);
    t_sleep_ms(100);                  /* let the child enter WSPRecv */
    t_cleanup();
    int status = 0;
    pid_t w = 0;
    for (int i = 0; i < 500 && (w = waitpid(pid, &status, WNOHANG)) == 0; i++) t_sleep_ms(10);
    if (w == 0) { kill(pid, SIGKILL); waitpid(pid, &status, 0); harness_fail(__FILE__, __LINE__, "peer still blocked in WSPRecv 5 s after WSPCleanup"); }
    CHECK(WIFEXITED(status));
    if (WEXITSTATUS(status) != 0)
        harness_fail(__FILE__, __LINE__, "peer exit %d (0 = WSAECONNRESET, 20 = graceful close, 30 = other error)", WEXITSTATUS(status));
}

/* Draft WSPCleanup: leaves things so that WSPStartup works again. */
TEST(startup_again_after_cleanup) {
    for (int i = 0; i < 3; i++) {
        t_startup();
        SOCKET c, s;
        t_tcp_pair(&c, &s);
        CHECK_EQ(t_send_all(c, "hello", 5), 0);
        char buf[5];
        CHECK_EQ(t_recv_exact(s, buf, 5), 0);
        CHECK(memcmp(buf, "hello", 5) == 0);
        t_cleanup();
    }
}

/* Draft WSPCleanup ("free any resources"): 50 cycles of start-up, sockets
 * (listening, connected, accepted, datagram) and clean-up leak no descriptor. */
TEST(cleanup_leaks_no_descriptor) {
    t_startup();                      /* warm-up: lazily created provider state */
    SOCKET c0, s0;
    t_tcp_pair(&c0, &s0);
    t_cleanup();
    int before = t_count_fds();
    CHECK(before > 0);
    for (int i = 0; i < 50; i++) {
        t_startup();
        SOCKET c, s;
        t_tcp_pair(&c, &s);
        (void)t_listener(NULL);
        (void)t_udp_bound(NULL);
        (void)t_socket(SOCK_STREAM);
        t_cleanup();
    }
    CHECK_EQ(t_count_fds(), before);
}

static volatile int cleanup_cb_calls;
static void cleanup_cb(int code, DWORD data) { (void)code; (void)data; cleanup_cb_calls++; }

/* Draft WSPCleanup: a callback is accepted ("returns 0 if the operation has
 * been successfully initiated") and "is only called when the client thread
 * ... is blocked in an alertable wait": never from inside WSPCleanup. */
TEST(cleanup_with_callback) {
    t_startup();
    (void)t_socket(SOCK_STREAM);
    CHECK_OK(WSPCleanup(cleanup_cb, 42, lpErrno));
    CHECK_EQ(cleanup_cb_calls, 0);
    CHECK_WSA(WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, lpErrno), WSANOTINITIALISED);
    t_startup();
    t_cleanup();
}

/* RULINGS §4: a NULL lpErrno never crashes; the failure still shows in the
 * return value. */
TEST(null_lperrno_never_crashes) {
    struct sockaddr_in a = t_loopback(9);
    int len = sizeof a;
    CHECK_EQ(WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, NULL), INVALID_SOCKET);
    CHECK_EQ(WSPCloseSocket(1, NULL), SOCKET_ERROR);
    CHECK_EQ(WSPCleanup(NULL, 0, NULL), SOCKET_ERROR);
    CHECK(WSPSetBlockingHook32(dummy_hook, NULL) == NULL);
    t_startup();
    CHECK_EQ(WSPSocket(99, SOCK_STREAM, 0, 0, 0, NULL), INVALID_SOCKET);
    CHECK_EQ(WSPCloseSocket(12345, NULL), SOCKET_ERROR);
    SOCKET s = t_socket(SOCK_STREAM);
    CHECK_EQ(WSPBind(s, NULL, 16, NULL), SOCKET_ERROR);
    CHECK_EQ(WSPGetSockName(s, (struct sockaddr *)&a, &len, NULL), SOCKET_ERROR);
    CHECK_EQ(WSPGetPeerName(s, (struct sockaddr *)&a, &len, NULL), SOCKET_ERROR);
    CHECK_EQ(WSPListen(s, 5, NULL), SOCKET_ERROR);
    CHECK_EQ(WSPAccept(s, NULL, NULL, NULL, 0, NULL), INVALID_SOCKET);
    CHECK_EQ(WSPConnect(s, NULL, 16, NULL, NULL, 0, NULL, NULL, NULL), SOCKET_ERROR);
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(12345, &rs);
    struct timeval tv = { 0, 0 };
    CHECK_EQ(WSPSelect(0, &rs, NULL, NULL, &tv, NULL), SOCKET_ERROR);
    CHECK(WSPSetBlockingHook32(NULL, NULL) == NULL);
    CHECK_EQ(WSPCancelBlockingCall32(NULL), SOCKET_ERROR);
    t_cleanup();
}
