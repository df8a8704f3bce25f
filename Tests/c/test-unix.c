/* The AF_UNIX provider, libws2unix.so.2 (Sources/UnixProvider), as a user
 * meets it: installed beside libws2spi.so.2, put in a catalog and loaded by
 * WS2HostStartup; every call goes through its WS2HOST_PROCS.  Winsock's
 * AF_UNIX is family 1 with SOCKADDR_UN (Windows' afunix.h: u_short family,
 * 108-byte path); paths, Linux's abstract namespace (a leading NUL) and
 * unnamed sockets; stream and datagram; select, the three notification
 * models, overlapped I/O, blocking hooks, accept with condition functions;
 * and the errors that differ from TCP's (no urgent data, no IP options). */
#include "harness.h"
#include <stddef.h>
#include <sys/stat.h>

static const WS2HOST_PROVIDER *ux;
#define U (ux->Procs)
static char tmpdir[64];

/* The catalog entries of the AF_UNIX provider (ws2ctl install --protocols
 * unix-stream,unix-dgram writes the same). */
static PROTOCOL_INFO unix_protocols[2] = {
    { XP_GUARANTEED_DELIVERY | XP_GUARANTEED_ORDER | XP_GRACEFUL_CLOSE, AF_UNIX, 110, 2, SOCK_STREAM, 0, 0, (char *)"AF_UNIX stream" },
    { XP_CONNECTIONLESS | XP_MESSAGE_ORIENTED | XP_GUARANTEED_DELIVERY | XP_GUARANTEED_ORDER, AF_UNIX, 110, 2, SOCK_DGRAM, 0, 65535,
      (char *)"AF_UNIX datagram" },
};

static void start(void) {
    t_new_catalog(NULL);
    t_install("unix", t_installed_lib("libws2unix.so.2"), unix_protocols, 2);
    DWORD n = 0;
    CHECK_OK(WS2HostStartup(NULL, &n, lpErrno));
    CHECK_EQ(n, 1);
    int err = 0;
    ux = WS2HostGetProvider(0, &err);
    CHECK(ux != NULL);
    if (ux->iStatus != 0) harness_fail(__FILE__, __LINE__, "unix: %s", ux->lpszStatus);
    strcpy(tmpdir, "/tmp/ws2unix-XXXXXX");
    CHECK(mkdtemp(tmpdir) != NULL);
}

static void stop(void) {
    CHECK_OK(WS2HostCleanup(lpErrno));
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    CHECK_EQ(system(cmd), 0);
    t_drop_catalog();
}

static SOCKET usock(int type, int flags) {
    int err = 0;
    SOCKET s = U.lpWSPSocket(AF_UNIX, type, 0, 0, flags, &err);
    if (s == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "WSPSocket(AF_UNIX, %d) failed: %d", type, err);
    return s;
}

/* A path address in tmpdir; *len gets the address length (through the NUL). */
static SOCKADDR_UN path_addr(const char *name, int *len) {
    SOCKADDR_UN a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path, sizeof a.sun_path, "%s/%s", tmpdir, name);
    *len = (int)(offsetof(SOCKADDR_UN, sun_path) + strlen(a.sun_path) + 1);
    return a;
}

/* An abstract address: a leading NUL, then the name (no NUL counted). */
static SOCKADDR_UN abstract_addr(const char *name, int *len) {
    SOCKADDR_UN a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "ws2unix-%d-%s", (int)getpid(), name);
    *len = (int)(offsetof(SOCKADDR_UN, sun_path) + 1 + strlen(a.sun_path + 1));
    return a;
}

static SOCKET listener_at(const SOCKADDR_UN *a, int len, int flags) {
    SOCKET l = usock(SOCK_STREAM, flags);
    CHECK_OK(U.lpWSPBind(l, (const struct sockaddr *)a, len, lpErrno));
    CHECK_OK(U.lpWSPListen(l, 8, lpErrno));
    return l;
}

/* A connected stream pair through a listener at a path. */
static void unix_pair(SOCKET *client, SOCKET *server, int flags) {
    int len;
    static int seq;
    char name[32];
    snprintf(name, sizeof name, "pair%d", seq++);
    SOCKADDR_UN a = path_addr(name, &len);
    SOCKET l = listener_at(&a, len, 0);
    *client = usock(SOCK_STREAM, flags);
    int err = 0;
    if (U.lpWSPConnect(*client, (struct sockaddr *)&a, len, NULL, NULL, 0, NULL, NULL, &err) != 0) CHECK_EQ(err, WSAEWOULDBLOCK);
    *server = U.lpWSPAccept(l, NULL, NULL, NULL, 0, &err);
    CHECK(*server != INVALID_SOCKET);
    CHECK_OK(U.lpWSPCloseSocket(l, lpErrno));
}

static void send_all(SOCKET s, const void *buf, DWORD len) {
    DWORD done = 0;
    while (done < len) {
        DWORD n = 0;
        CHECK_OK(U.lpWSPSend(s, (char *)buf + done, len - done, &n, 0, NULL, NULL, lpErrno));
        done += n;
    }
}

static void recv_exact(SOCKET s, void *buf, DWORD len) {
    DWORD done = 0;
    while (done < len) {
        DWORD n = 0;
        int flags = 0;
        CHECK_OK(U.lpWSPRecv(s, (char *)buf + done, len - done, &n, &flags, NULL, NULL, lpErrno));
        CHECK(n > 0);
        done += n;
    }
}

/* ------------------------------------------------------------------------ */

/* WSPStartup's answer, the sockets it makes and refuses, SO_PROTOCOL_INFO. */
TEST(unix_startup_and_sockets) {
    start();
    CHECK(strstr(ux->WSAData.szDescription, "AF_UNIX") != NULL);
    CHECK_EQ(ux->wVersion, MAKEWORD(2, 0));
    SOCKET s = usock(SOCK_STREAM, 0), d = usock(SOCK_DGRAM, WSA_FLAG_OVERLAPPED);
    CHECK(s != d);
    int err = 0;
    CHECK_EQ(U.lpWSPSocket(AF_INET, SOCK_STREAM, 0, 0, 0, &err), INVALID_SOCKET);
    CHECK_EQ(err, WSAEAFNOSUPPORT);
    CHECK_EQ(U.lpWSPSocket(AF_UNIX, SOCK_RAW, 0, 0, 0, &err), INVALID_SOCKET);
    CHECK_EQ(err, WSAESOCKTNOSUPPORT);
    CHECK_EQ(U.lpWSPSocket(AF_UNIX, 0, 0, 0, 0, &err), INVALID_SOCKET);
    CHECK_EQ(err, WSAESOCKTNOSUPPORT);
    CHECK_EQ(U.lpWSPSocket(AF_UNIX, SOCK_STREAM, IPPROTO_TCP, 0, 0, &err), INVALID_SOCKET);
    CHECK_EQ(err, WSAEPROTONOSUPPORT);
    CHECK_EQ(U.lpWSPSocket(AF_UNSPEC, SOCK_STREAM, 0, 0, 0, &err), INVALID_SOCKET);
    CHECK_EQ(err, WSAEINVAL);

    PROTOCOL_INFO pi;
    int len = sizeof pi;
    CHECK_OK(U.lpWSPGetSockOpt(s, SOL_SOCKET, SO_PROTOCOL_INFO, (char *)&pi, &len, lpErrno));
    CHECK_EQ(pi.iAddressFamily, AF_UNIX);
    CHECK_EQ(pi.iMaxSockAddr, (int)sizeof(SOCKADDR_UN));
    CHECK_EQ(pi.iMinSockAddr, 2);
    CHECK_EQ(pi.iSocketType, SOCK_STREAM);
    CHECK_EQ(strcmp(pi.lpProtocol, "AF_UNIX stream"), 0);
    len = sizeof pi;
    CHECK_OK(U.lpWSPGetSockOpt(d, SOL_SOCKET, SO_PROTOCOL_INFO, (char *)&pi, &len, lpErrno));
    CHECK_EQ(pi.iSocketType, SOCK_DGRAM);
    CHECK_EQ(pi.dwMessageSize, 65535);
    int type = 0;
    len = sizeof type;
    CHECK_OK(U.lpWSPGetSockOpt(d, SOL_SOCKET, SO_TYPE, (char *)&type, &len, lpErrno));
    CHECK_EQ(type, SOCK_DGRAM);
    char cfg[32];
    len = sizeof cfg;
    CHECK_OK(U.lpWSPGetSockOpt(s, SOL_PROVIDER, PVD_CONFIG, cfg, &len, lpErrno));
    CHECK_EQ(strcmp(cfg, "ws2spi-unix"), 0);
    CHECK_OK(U.lpWSPCloseSocket(s, lpErrno));
    CHECK_OK(U.lpWSPCloseSocket(d, lpErrno));
    CHECK_WSA(U.lpWSPCloseSocket(s, lpErrno), WSAENOTSOCK);
    stop();
}

struct job { SOCKET s; char *buf; DWORD len; };
static void *sender(void *p) {
    struct job *j = p;
    send_all(j->s, j->buf, j->len);
    return NULL;
}

/* A stream over a path: names both ways, data both ways, graceful close. */
TEST(unix_stream_path) {
    start();
    int len;
    SOCKADDR_UN a = path_addr("srv", &len);
    SOCKET l = listener_at(&a, len, 0);
    struct stat st;
    CHECK_EQ(stat(a.sun_path, &st), 0);
    CHECK(S_ISSOCK(st.st_mode));

    SOCKET c = usock(SOCK_STREAM, 0);
    CHECK_OK(U.lpWSPConnect(c, (struct sockaddr *)&a, len, NULL, NULL, 0, NULL, NULL, lpErrno));
    SOCKADDR_UN peer;
    int plen = sizeof peer;
    memset(&peer, 0xAA, sizeof peer);
    int err = 0;
    SOCKET s = U.lpWSPAccept(l, (struct sockaddr *)&peer, &plen, NULL, 0, &err);
    CHECK(s != INVALID_SOCKET);
    CHECK_EQ(plen, 2);                             /* the client is unnamed: the family only */
    CHECK_EQ(peer.sun_family, AF_UNIX);

    SOCKADDR_UN name;
    int nlen = sizeof name;
    CHECK_OK(U.lpWSPGetSockName(l, (struct sockaddr *)&name, &nlen, lpErrno));
    CHECK_EQ(nlen, len);
    CHECK_EQ(strcmp(name.sun_path, a.sun_path), 0);
    nlen = sizeof name;
    CHECK_OK(U.lpWSPGetPeerName(c, (struct sockaddr *)&name, &nlen, lpErrno));
    CHECK_EQ(nlen, len);
    CHECK_EQ(strcmp(name.sun_path, a.sun_path), 0);
    nlen = len - 1;                                /* shorter than the address */
    CHECK_WSA(U.lpWSPGetPeerName(c, (struct sockaddr *)&name, &nlen, lpErrno), WSAEFAULT);
    nlen = 1;
    CHECK_WSA(U.lpWSPGetSockName(c, (struct sockaddr *)&name, &nlen, lpErrno), WSAEFAULT);

    enum { N = 256 * 1024 };
    char *out = malloc(N), *in = malloc(N);
    for (int i = 0; i < N; i++) out[i] = (char)(i * 7);
    pthread_t t;
    struct job j = { c, out, N };
    CHECK_EQ(pthread_create(&t, NULL, sender, &j), 0);
    recv_exact(s, in, N);
    pthread_join(t, NULL);
    CHECK_EQ(memcmp(in, out, N), 0);
    send_all(s, "back", 4);
    recv_exact(c, in, 4);
    CHECK_EQ(memcmp(in, "back", 4), 0);

    /* SD_SEND: the peer reads the end of the stream */
    CHECK_OK(U.lpWSPShutdown(c, SD_SEND, lpErrno));
    DWORD n = 99;
    int flags = 0;
    CHECK_OK(U.lpWSPRecv(s, in, 10, &n, &flags, NULL, NULL, lpErrno));
    CHECK_EQ(n, 0);
    CHECK_WSA(U.lpWSPSend(c, "x", 1, &n, 0, NULL, NULL, lpErrno), WSAESHUTDOWN);
    free(out);
    free(in);
    stop();
}

/* Linux's abstract namespace: a leading NUL, the name as long as the
 * address says; and Linux's autobind for an address of the family alone. */
TEST(unix_abstract_and_autobind) {
    start();
    int len;
    SOCKADDR_UN a = abstract_addr("abs", &len);
    SOCKET l = listener_at(&a, len, 0);
    SOCKADDR_UN name;
    int nlen = sizeof name;
    CHECK_OK(U.lpWSPGetSockName(l, (struct sockaddr *)&name, &nlen, lpErrno));
    CHECK_EQ(nlen, len);
    CHECK_EQ(memcmp(&name, &a, (size_t)len), 0);

    SOCKET c = usock(SOCK_STREAM, 0);
    SOCKADDR_UN unnamed = { .sun_family = AF_UNIX };
    CHECK_OK(U.lpWSPBind(c, (struct sockaddr *)&unnamed, 2, lpErrno));   /* autobind */
    nlen = sizeof name;
    CHECK_OK(U.lpWSPGetSockName(c, (struct sockaddr *)&name, &nlen, lpErrno));
    CHECK_EQ(nlen, 2 + 1 + 5);                     /* NUL + five hex digits */
    CHECK_EQ(name.sun_path[0], 0);
    SOCKADDR_UN mine = name;
    int mlen = nlen;
    CHECK_OK(U.lpWSPConnect(c, (struct sockaddr *)&a, len, NULL, NULL, 0, NULL, NULL, lpErrno));
    SOCKADDR_UN peer;
    int plen = sizeof peer;
    int err = 0;
    SOCKET s = U.lpWSPAccept(l, (struct sockaddr *)&peer, &plen, NULL, 0, &err);
    CHECK(s != INVALID_SOCKET);
    CHECK_EQ(plen, mlen);
    CHECK_EQ(memcmp(&peer, &mine, (size_t)mlen), 0);
    /* the same name twice */
    SOCKET dup = usock(SOCK_STREAM, 0);
    CHECK_WSA(U.lpWSPBind(dup, (struct sockaddr *)&a, len, lpErrno), WSAEADDRINUSE);
    /* a name differing in length only is another name */
    CHECK_OK(U.lpWSPBind(dup, (struct sockaddr *)&a, len - 1, lpErrno));
    stop();
}

/* Datagrams: sendto/recvfrom with the sender's name, truncation, a default
 * peer, sizes, and a name nobody holds. */
TEST(unix_datagrams) {
    start();
    int la, lb;
    SOCKADDR_UN a = path_addr("da", &la), b = abstract_addr("db", &lb);
    SOCKET x = usock(SOCK_DGRAM, 0), y = usock(SOCK_DGRAM, 0);
    CHECK_OK(U.lpWSPBind(x, (struct sockaddr *)&a, la, lpErrno));
    CHECK_OK(U.lpWSPBind(y, (struct sockaddr *)&b, lb, lpErrno));
    DWORD n = 0;
    CHECK_OK(U.lpWSPSendTo(x, "hello", 5, &n, 0, (struct sockaddr *)&b, lb, NULL, NULL, lpErrno));
    CHECK_EQ(n, 5);
    char buf[64];
    SOCKADDR_UN from;
    int flen = sizeof from, flags = 0;
    CHECK_OK(U.lpWSPRecvFrom(y, buf, sizeof buf, &n, &flags, (struct sockaddr *)&from, &flen, NULL, NULL, lpErrno));
    CHECK_EQ(n, 5);
    CHECK_EQ(memcmp(buf, "hello", 5), 0);
    CHECK_EQ(flen, la);
    CHECK_EQ(strcmp(from.sun_path, a.sun_path), 0);
    flen = 1;
    CHECK_WSA(U.lpWSPRecvFrom(y, buf, sizeof buf, &n, &flags, (struct sockaddr *)&from, &flen, NULL, NULL, lpErrno), WSAEFAULT);

    /* truncated: WSAEMSGSIZE with the buffer's worth and MSG_PARTIAL */
    CHECK_OK(U.lpWSPSendTo(y, "0123456789", 10, &n, 0, (struct sockaddr *)&a, la, NULL, NULL, lpErrno));
    flags = 0;
    n = 0;
    CHECK_WSA(U.lpWSPRecv(x, buf, 4, &n, &flags, NULL, NULL, lpErrno), WSAEMSGSIZE);
    CHECK_EQ(n, 4);
    CHECK(flags & MSG_PARTIAL);
    CHECK_EQ(memcmp(buf, "0123", 4), 0);

    /* a default peer */
    CHECK_OK(U.lpWSPConnect(x, (struct sockaddr *)&b, lb, NULL, NULL, 0, NULL, NULL, lpErrno));
    CHECK_OK(U.lpWSPSend(x, "peer", 4, &n, 0, NULL, NULL, lpErrno));
    flags = 0;
    CHECK_OK(U.lpWSPRecv(y, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno));
    CHECK_EQ(n, 4);
    /* a big datagram, whole */
    enum { BIG = 60000 };
    char *big = calloc(1, BIG), *got = malloc(BIG);
    big[BIG - 1] = 'z';
    CHECK_OK(U.lpWSPSend(x, big, BIG, &n, 0, NULL, NULL, lpErrno));
    CHECK_EQ(n, BIG);
    flags = 0;
    CHECK_OK(U.lpWSPRecv(y, got, BIG, &n, &flags, NULL, NULL, lpErrno));
    CHECK_EQ(n, BIG);
    CHECK_EQ(got[BIG - 1], 'z');

    /* a name nobody holds: refused at once, and no error kept for a receive */
    int lz;
    SOCKADDR_UN z = path_addr("nobody", &lz);
    CHECK_WSA(U.lpWSPSendTo(y, "x", 1, &n, 0, (struct sockaddr *)&z, lz, NULL, NULL, lpErrno), WSAECONNREFUSED);
    SOCKET q = usock(SOCK_DGRAM, 0);
    CHECK_WSA(U.lpWSPConnect(q, (struct sockaddr *)&z, lz, NULL, NULL, 0, NULL, NULL, lpErrno), WSAECONNREFUSED);
    u_long one = 1;
    CHECK_OK(U.lpWSPIoctlSocket(y, FIONBIO, &one, lpErrno));
    flags = 0;
    CHECK_WSA(U.lpWSPRecv(y, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno), WSAEWOULDBLOCK);
    free(big);
    free(got);
    stop();
}

/* What AF_UNIX does not have, and bad arguments. */
TEST(unix_errors) {
    start();
    SOCKET s = usock(SOCK_STREAM, 0);
    int len;
    SOCKADDR_UN a = path_addr("e", &len);
    CHECK_WSA(U.lpWSPBind(s, NULL, len, lpErrno), WSAEFAULT);
    CHECK_WSA(U.lpWSPBind(s, (struct sockaddr *)&a, 1, lpErrno), WSAEFAULT);
    struct sockaddr_in in = t_loopback(80);
    CHECK_WSA(U.lpWSPBind(s, (struct sockaddr *)&in, sizeof in, lpErrno), WSAEFAULT);      /* wrong family: WSPBind says WSAEFAULT */
    CHECK_WSA(U.lpWSPConnect(s, (struct sockaddr *)&in, sizeof in, NULL, NULL, 0, NULL, NULL, lpErrno), WSAEAFNOSUPPORT);
    /* nobody listens at the path */
    CHECK_WSA(U.lpWSPConnect(s, (struct sockaddr *)&a, len, NULL, NULL, 0, NULL, NULL, lpErrno), WSAECONNREFUSED);
    CHECK_OK(U.lpWSPBind(s, (struct sockaddr *)&a, len, lpErrno));
    CHECK_WSA(U.lpWSPBind(s, (struct sockaddr *)&a, len, lpErrno), WSAEINVAL);          /* bound already */
    SOCKET t = usock(SOCK_STREAM, 0);
    CHECK_WSA(U.lpWSPBind(t, (struct sockaddr *)&a, len, lpErrno), WSAEADDRINUSE);      /* the path exists */
    /* a path bound but not listening refuses */
    CHECK_WSA(U.lpWSPConnect(t, (struct sockaddr *)&a, len, NULL, NULL, 0, NULL, NULL, lpErrno), WSAECONNREFUSED);
    SOCKET d = usock(SOCK_DGRAM, 0);
    CHECK_WSA(U.lpWSPListen(d, 5, lpErrno), WSAEOPNOTSUPP);
    int err = 0;
    CHECK_EQ(U.lpWSPAccept(d, NULL, NULL, NULL, 0, &err), INVALID_SOCKET);
    CHECK_EQ(err, WSAEOPNOTSUPP);

    /* no urgent data: MSG_OOB is not supported, SIOCATMARK always at the mark,
     * SO_OOBINLINE not an option; no IP level, no TCP_NODELAY */
    SOCKET c, v;
    unix_pair(&c, &v, 0);
    DWORD n = 0;
    CHECK_WSA(U.lpWSPSend(c, "!", 1, &n, MSG_OOB, NULL, NULL, lpErrno), WSAEOPNOTSUPP);
    char buf[8];
    int flags = MSG_OOB;
    CHECK_WSA(U.lpWSPRecv(v, buf, 1, &n, &flags, NULL, NULL, lpErrno), WSAEOPNOTSUPP);
    u_long mark = 0;
    CHECK_OK(U.lpWSPIoctlSocket(v, SIOCATMARK, &mark, lpErrno));
    CHECK_EQ(mark, 1);
    int on = 1;
    CHECK_WSA(U.lpWSPSetSockOpt(v, SOL_SOCKET, SO_OOBINLINE, (char *)&on, sizeof on, lpErrno), WSAENOPROTOOPT);
    CHECK_WSA(U.lpWSPSetSockOpt(v, SOL_PROVIDER, TCP_NODELAY, (char *)&on, sizeof on, lpErrno), WSAENOPROTOOPT);
    CHECK_WSA(U.lpWSPSetSockOpt(v, IPPROTO_IP, IP_OPTIONS, (char *)&on, sizeof on, lpErrno), WSAEINVAL);
    /* the options that apply */
    int sz = 65536, got = 0, glen = sizeof got;
    CHECK_OK(U.lpWSPSetSockOpt(v, SOL_SOCKET, SO_SNDBUF, (char *)&sz, sizeof sz, lpErrno));
    CHECK_OK(U.lpWSPGetSockOpt(v, SOL_SOCKET, SO_SNDBUF, (char *)&got, &glen, lpErrno));
    CHECK_EQ(got, 65536);
    struct linger lg = { 1, 3 };
    CHECK_OK(U.lpWSPSetSockOpt(v, SOL_SOCKET, SO_LINGER, (char *)&lg, sizeof lg, lpErrno));
    glen = sizeof got;
    CHECK_OK(U.lpWSPGetSockOpt(v, SOL_SOCKET, SO_DONTLINGER, (char *)&got, &glen, lpErrno));
    CHECK_EQ(got, 0);
    glen = sizeof got;
    CHECK_OK(U.lpWSPGetSockOpt(v, SOL_SOCKET, SO_ACCEPTCONN, (char *)&got, &glen, lpErrno));
    CHECK_EQ(got, 0);
    u_long queued = 9;
    CHECK_OK(U.lpWSPIoctlSocket(v, FIONREAD, &queued, lpErrno));
    CHECK_EQ(queued, 0);
    send_all(c, "abc", 3);
    t_sleep_ms(20);
    CHECK_OK(U.lpWSPIoctlSocket(v, FIONREAD, &queued, lpErrno));
    CHECK_EQ(queued, 3);
    CHECK_WSA(U.lpWSPIoctlSocket(v, FIOASYNC, &queued, lpErrno), WSAEINVAL);
    /* a TCP socket's handle is no AF_UNIX socket */
    CHECK_WSA(U.lpWSPCloseSocket((SOCKET)0x1234, lpErrno), WSAENOTSOCK);
    stop();
}

static int cond_verdict;
static int cond_caller_len, cond_callee_len;
static char cond_callee_path[110];
static int CALLBACK condition(LPWSABUF caller, LPWSABUF callerData, LPWSABUF callee, LPWSABUF calleeData, GROUP *g, DWORD data) {
    (void)callerData; (void)calleeData; (void)g;
    CHECK_EQ(data, 77);
    cond_caller_len = (int)caller->len;
    cond_callee_len = (int)callee->len;
    memcpy(cond_callee_path, callee->buf + 2, sizeof cond_callee_path);
    return cond_verdict;
}

/* WSPAccept with a condition function: the caller's and our names, and
 * CF_REJECT, CF_DEFER, CF_ACCEPT. */
TEST(unix_accept_condition) {
    start();
    int len;
    SOCKADDR_UN a = path_addr("cond", &len);
    SOCKET l = listener_at(&a, len, 0);
    SOCKET c1 = usock(SOCK_STREAM, 0);
    CHECK_OK(U.lpWSPConnect(c1, (struct sockaddr *)&a, len, NULL, NULL, 0, NULL, NULL, lpErrno));
    int err = 0;
    cond_verdict = CF_DEFER;
    CHECK_EQ(U.lpWSPAccept(l, NULL, NULL, (LPCONDITIONPROC)condition, 77, &err), INVALID_SOCKET);
    CHECK_EQ(err, WSATRY_AGAIN);
    CHECK_EQ(cond_caller_len, 2);
    CHECK_EQ(cond_callee_len, len);
    CHECK_EQ(strcmp(cond_callee_path, a.sun_path), 0);
    cond_verdict = CF_REJECT;
    CHECK_EQ(U.lpWSPAccept(l, NULL, NULL, (LPCONDITIONPROC)condition, 77, &err), INVALID_SOCKET);
    CHECK_EQ(err, WSAECONNREFUSED);
    /* the rejected client sees its connection end */
    char b;
    DWORD n = 9;
    int flags = 0;
    int r = U.lpWSPRecv(c1, &b, 1, &n, &flags, NULL, NULL, &err);
    CHECK(r == 0 ? n == 0 : (err == WSAECONNRESET || err == WSAECONNABORTED));

    SOCKET c2 = usock(SOCK_STREAM, 0);
    CHECK_OK(U.lpWSPConnect(c2, (struct sockaddr *)&a, len, NULL, NULL, 0, NULL, NULL, lpErrno));
    cond_verdict = CF_ACCEPT;
    SOCKET s = U.lpWSPAccept(l, NULL, NULL, (LPCONDITIONPROC)condition, 77, &err);
    CHECK(s != INVALID_SOCKET);
    send_all(c2, "ok", 2);
    char buf[2];
    recv_exact(s, buf, 2);
    CHECK_EQ(memcmp(buf, "ok", 2), 0);
    stop();
}

/* WSPSelect over AF_UNIX sockets: a listener readable, a stream writable
 * and readable, a datagram socket readable. */
TEST(unix_select) {
    start();
    int len;
    SOCKADDR_UN a = path_addr("sel", &len);
    SOCKET l = listener_at(&a, len, 0);
    fd_set r, w;
    struct timeval tv = { 0, 50000 };
    int err = 0;
    FD_ZERO(&r);
    FD_SET(l, &r);
    CHECK_EQ(U.lpWSPSelect(0, &r, NULL, NULL, &tv, &err), 0);
    SOCKET c = usock(SOCK_STREAM, 0);
    CHECK_OK(U.lpWSPConnect(c, (struct sockaddr *)&a, len, NULL, NULL, 0, NULL, NULL, lpErrno));
    FD_ZERO(&r);
    FD_SET(l, &r);
    tv.tv_sec = 2;
    CHECK_EQ(U.lpWSPSelect(0, &r, NULL, NULL, &tv, &err), 1);
    CHECK(FD_ISSET(l, &r));
    SOCKET s = U.lpWSPAccept(l, NULL, NULL, NULL, 0, &err);
    CHECK(s != INVALID_SOCKET);
    FD_ZERO(&r);
    FD_SET(s, &r);
    FD_ZERO(&w);
    FD_SET(c, &w);
    CHECK_EQ(U.lpWSPSelect(0, &r, &w, NULL, &tv, &err), 1);
    CHECK(FD_ISSET(c, &w));
    CHECK(!FD_ISSET(s, &r));
    send_all(c, "x", 1);
    FD_ZERO(&r);
    FD_SET(s, &r);
    CHECK_EQ(U.lpWSPSelect(0, &r, NULL, NULL, &tv, &err), 1);
    CHECK(FD_ISSET(s, &r));
    /* the peer's close: readable (the end of the stream) */
    char b;
    recv_exact(s, &b, 1);
    CHECK_OK(U.lpWSPCloseSocket(c, lpErrno));
    FD_ZERO(&r);
    FD_SET(s, &r);
    CHECK_EQ(U.lpWSPSelect(0, &r, NULL, NULL, &tv, &err), 1);
    stop();
}

/* WSPEventSelect on the host's event: FD_ACCEPT, FD_CONNECT, FD_WRITE,
 * FD_READ and FD_CLOSE, with the network events recorded. */
TEST(unix_event_select) {
    start();
    int len;
    SOCKADDR_UN a = path_addr("ev", &len);
    SOCKET l = listener_at(&a, len, 0);
    WSAEVENT e = WSACreateEvent(), ce = WSACreateEvent();
    CHECK_OK(U.lpWSPEventSelect(l, e, FD_ACCEPT, lpErrno));
    SOCKET c = usock(SOCK_STREAM, 0);
    CHECK_OK(U.lpWSPEventSelect(c, ce, FD_CONNECT | FD_WRITE | FD_READ | FD_CLOSE, lpErrno));
    int err = 0;
    if (U.lpWSPConnect(c, (struct sockaddr *)&a, len, NULL, NULL, 0, NULL, NULL, &err) != 0) CHECK_EQ(err, WSAEWOULDBLOCK);
    CHECK_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 2000, FALSE), WSA_WAIT_EVENT_0);
    WSANETWORKEVENT ev[FD_MAX_EVENTS];
    int n = FD_MAX_EVENTS;
    CHECK_OK(U.lpWSPEnumNetworkEvents(l, e, ev, &n, lpErrno));
    CHECK(ev[FD_ACCEPT_BIT].Fired);
    CHECK_EQ(ev[FD_ACCEPT_BIT].ErrorCode, 0);
    SOCKET s = U.lpWSPAccept(l, NULL, NULL, NULL, 0, &err);
    CHECK(s != INVALID_SOCKET);
    CHECK_EQ(WSAWaitForMultipleEvents(1, &ce, FALSE, 2000, FALSE), WSA_WAIT_EVENT_0);
    n = FD_MAX_EVENTS;
    CHECK_OK(U.lpWSPEnumNetworkEvents(c, ce, ev, &n, lpErrno));
    CHECK(ev[FD_CONNECT_BIT].Fired);
    CHECK_EQ(ev[FD_CONNECT_BIT].ErrorCode, 0);
    CHECK(ev[FD_WRITE_BIT].Fired);
    /* FD_READ, then FD_CLOSE after the data */
    /* the accepted socket has the listener's selection: it stays non-blocking */
    u_long off = 0;
    CHECK_WSA(U.lpWSPIoctlSocket(s, FIONBIO, &off, lpErrno), WSAEINVAL);
    send_all(s, "data", 4);
    CHECK_OK(U.lpWSPCloseSocket(s, lpErrno));
    int seen = 0;
    char buf[8];
    for (int i = 0; i < 10 && !(seen & FD_CLOSE); i++) {
        CHECK_EQ(WSAWaitForMultipleEvents(1, &ce, FALSE, 2000, FALSE), WSA_WAIT_EVENT_0);
        n = FD_MAX_EVENTS;
        CHECK_OK(U.lpWSPEnumNetworkEvents(c, ce, ev, &n, lpErrno));
        if (ev[FD_READ_BIT].Fired) {
            seen |= FD_READ;
            DWORD got = 0;
            int flags = 0;
            CHECK_OK(U.lpWSPRecv(c, buf, sizeof buf, &got, &flags, NULL, NULL, lpErrno));
            CHECK_EQ(got, 4);
        }
        if (ev[FD_CLOSE_BIT].Fired) {
            seen |= FD_CLOSE;
            CHECK_EQ(ev[FD_CLOSE_BIT].ErrorCode, 0);
        }
    }
    CHECK_EQ(seen, FD_READ | FD_CLOSE);
    WSACloseEvent(e);
    WSACloseEvent(ce);
    stop();
}

/* WSPAsyncSelect32: messages to the host's message window. */
TEST(unix_async_select) {
    start();
    SOCKET c, s;
    unix_pair(&c, &s, 0);
    HWND h = WS2CreateMessageWindow();
    CHECK(h != NULL);
    CHECK_OK(U.lpWSPAsyncSelect32(s, h, 0x401, FD_READ | FD_CLOSE, lpErrno));
    send_all(c, "hi", 2);
    WS2MSG m;
    CHECK(WS2GetMessage(&m, h, 2000));
    CHECK_EQ(m.wParam, s);
    CHECK_EQ(m.message, 0x401);
    CHECK_EQ(WSAGETSELECTEVENT(m.lParam), FD_READ);
    char buf[4];
    recv_exact(s, buf, 2);
    CHECK_OK(U.lpWSPCloseSocket(c, lpErrno));
    CHECK(WS2GetMessage(&m, h, 2000));
    CHECK_EQ(WSAGETSELECTEVENT(m.lParam), FD_CLOSE);
    CHECK_EQ(WSAGETSELECTERROR(m.lParam), 0);
    WS2DestroyMessageWindow(h);
    stop();
}

static int routine_calls;
static DWORD routine_bytes;
static void CALLBACK routine(DWORD error, DWORD bytes, LPWSAOVERLAPPED ov) {
    (void)ov;
    CHECK_EQ(error, 0);
    routine_calls++;
    routine_bytes = bytes;
}

/* Overlapped sends and receives: completion by event (WSAGetOverlappedResult)
 * and by routine (SleepEx), on a stream and on datagrams. */
TEST(unix_overlapped) {
    start();
    SOCKET c, s;
    unix_pair(&c, &s, WSA_FLAG_OVERLAPPED);
    /* the accepted socket inherits the flag from its listener, which had none: use c */
    char buf[16];
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.hEvent = WSACreateEvent();
    DWORD n = 0, flags = 0;
    int flagsi = 0;
    int err = 0;
    CHECK_EQ(U.lpWSPRecv(c, buf, sizeof buf, &n, &flagsi, &ov, NULL, &err), SOCKET_ERROR);
    CHECK_EQ(err, WSA_IO_PENDING);
    send_all(s, "event", 5);
    CHECK_EQ(WSAWaitForMultipleEvents(1, &ov.hEvent, FALSE, 2000, FALSE), WSA_WAIT_EVENT_0);
    CHECK(WSAGetOverlappedResult(c, &ov, &n, FALSE, &flags));
    CHECK_EQ(n, 5);
    CHECK_EQ(memcmp(buf, "event", 5), 0);

    /* a completion routine, run in an alertable wait */
    WSAOVERLAPPED ov2;
    memset(&ov2, 0, sizeof ov2);
    flagsi = 0;
    CHECK_EQ(U.lpWSPRecv(c, buf, sizeof buf, &n, &flagsi, &ov2, routine, &err), SOCKET_ERROR);
    CHECK_EQ(err, WSA_IO_PENDING);
    send_all(s, "routine", 7);
    for (int i = 0; i < 20 && routine_calls == 0; i++) SleepEx(100, TRUE);
    CHECK_EQ(routine_calls, 1);
    CHECK_EQ(routine_bytes, 7);

    /* an overlapped send */
    WSAOVERLAPPED ov3;
    memset(&ov3, 0, sizeof ov3);
    ov3.hEvent = WSACreateEvent();
    int r = U.lpWSPSend(c, "out", 3, &n, 0, &ov3, NULL, &err);
    if (r != 0) CHECK_EQ(err, WSA_IO_PENDING);
    CHECK(WSAGetOverlappedResult(c, &ov3, &n, TRUE, &flags));
    CHECK_EQ(n, 3);
    recv_exact(s, buf, 3);
    CHECK_EQ(memcmp(buf, "out", 3), 0);

    /* datagrams: an overlapped receive-from fills in the sender's name */
    int la, lb;
    SOCKADDR_UN a = abstract_addr("ova", &la), b = abstract_addr("ovb", &lb);
    SOCKET x = usock(SOCK_DGRAM, WSA_FLAG_OVERLAPPED), y = usock(SOCK_DGRAM, 0);
    CHECK_OK(U.lpWSPBind(x, (struct sockaddr *)&a, la, lpErrno));
    CHECK_OK(U.lpWSPBind(y, (struct sockaddr *)&b, lb, lpErrno));
    SOCKADDR_UN from;
    int flen = sizeof from;
    WSAOVERLAPPED ov4;
    memset(&ov4, 0, sizeof ov4);
    ov4.hEvent = WSACreateEvent();
    flagsi = 0;
    CHECK_EQ(U.lpWSPRecvFrom(x, buf, sizeof buf, &n, &flagsi, (struct sockaddr *)&from, &flen, &ov4, NULL, &err), SOCKET_ERROR);
    CHECK_EQ(err, WSA_IO_PENDING);
    CHECK_OK(U.lpWSPSendTo(y, "out", 3, &n, 0, (struct sockaddr *)&a, la, NULL, NULL, lpErrno));
    CHECK(WSAGetOverlappedResult(x, &ov4, &n, TRUE, &flags));
    CHECK_EQ(n, 3);
    CHECK_EQ(flen, lb);
    CHECK_EQ(memcmp(&from, &b, (size_t)lb), 0);
    /* closing aborts what is pending */
    WSAOVERLAPPED ov5;
    memset(&ov5, 0, sizeof ov5);
    ov5.hEvent = WSACreateEvent();
    flagsi = 0;
    CHECK_EQ(U.lpWSPRecv(x, buf, sizeof buf, &n, &flagsi, &ov5, NULL, &err), SOCKET_ERROR);
    CHECK_EQ(err, WSA_IO_PENDING);
    CHECK_OK(U.lpWSPCloseSocket(x, lpErrno));
    CHECK_EQ(WSAWaitForMultipleEvents(1, &ov5.hEvent, FALSE, 2000, FALSE), WSA_WAIT_EVENT_0);
    CHECK_EQ((int)ov5.Internal, WSA_OPERATION_ABORTED);
    stop();
}

static int hook_runs;
static BOOL hook(void) {
    if (++hook_runs == 3) CHECK_OK(U.lpWSPCancelBlockingCall32(lpErrno));
    t_sleep_ms(5);
    return FALSE;
}

/* A blocking call with a blocking hook: the hook runs while WSPAccept
 * waits, and WSPCancelBlockingCall32 from it ends the call with WSAEINTR. */
TEST(unix_blocking_hook) {
    start();
    int len;
    SOCKADDR_UN a = path_addr("hook", &len);
    SOCKET l = listener_at(&a, len, 0);
    int err = 0;
    CHECK(U.lpWSPSetBlockingHook32(hook, &err) == NULL);
    CHECK_EQ(U.lpWSPAccept(l, NULL, NULL, NULL, 0, &err), INVALID_SOCKET);
    CHECK_EQ(err, WSAEINTR);
    CHECK(hook_runs >= 3);
    CHECK_OK(U.lpWSPUnhookBlockingHook32(lpErrno));
    stop();
}

/* Non-blocking sockets: WSAEWOULDBLOCK where nothing is there, a send
 * that fills the buffer, and a connect to a full backlog. */
TEST(unix_nonblocking) {
    start();
    SOCKET c, s;
    unix_pair(&c, &s, 0);
    u_long one = 1;
    CHECK_OK(U.lpWSPIoctlSocket(s, FIONBIO, &one, lpErrno));
    CHECK_OK(U.lpWSPIoctlSocket(c, FIONBIO, &one, lpErrno));
    char buf[4096] = { 0 };
    DWORD n = 0;
    int flags = 0;
    CHECK_WSA(U.lpWSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno), WSAEWOULDBLOCK);
    long total = 0;
    int err = 0;
    for (;;) {
        if (U.lpWSPSend(c, buf, sizeof buf, &n, 0, NULL, NULL, &err) != 0) { CHECK_EQ(err, WSAEWOULDBLOCK); break; }
        total += n;
        CHECK(total < 64L * 1024 * 1024);
    }
    CHECK(total > 0);
    int len;
    SOCKADDR_UN a = path_addr("nb", &len);
    SOCKET l = listener_at(&a, len, 0);
    CHECK_OK(U.lpWSPIoctlSocket(l, FIONBIO, &one, lpErrno));
    CHECK_EQ(U.lpWSPAccept(l, NULL, NULL, NULL, 0, &err), INVALID_SOCKET);
    CHECK_EQ(err, WSAEWOULDBLOCK);
    /* a non-blocking connect: done at once, or WSAEWOULDBLOCK and then writable */
    SOCKET c2 = usock(SOCK_STREAM, 0);
    CHECK_OK(U.lpWSPIoctlSocket(c2, FIONBIO, &one, lpErrno));
    if (U.lpWSPConnect(c2, (struct sockaddr *)&a, len, NULL, NULL, 0, NULL, NULL, &err) != 0) CHECK_EQ(err, WSAEWOULDBLOCK);
    fd_set w;
    FD_ZERO(&w);
    FD_SET(c2, &w);
    struct timeval tv = { 2, 0 };
    CHECK_EQ(U.lpWSPSelect(0, NULL, &w, NULL, &tv, &err), 1);
    SOCKET s2 = U.lpWSPAccept(l, NULL, NULL, NULL, 0, &err);
    CHECK(s2 != INVALID_SOCKET);
    stop();
}

/* A listener whose backlog is full refuses (WSAECONNREFUSED), blocking or
 * not, at once: a connect is never reported in progress, or done, without
 * a peer, and a blocking one never waits in the kernel where no close could
 * end it. (Found by the fuzzer.) */
TEST(unix_full_backlog_refuses) {
    start();
    int len;
    SOCKADDR_UN a = abstract_addr("full", &len);
    SOCKET l = usock(SOCK_STREAM, 0);
    CHECK_OK(U.lpWSPBind(l, (struct sockaddr *)&a, len, lpErrno));
    CHECK_OK(U.lpWSPListen(l, 1, lpErrno));
    int refused = 0, connected = 0;
    for (int i = 0; i < 8; i++) {
        SOCKET c = usock(SOCK_STREAM, 0);
        u_long one = 1;
        CHECK_OK(U.lpWSPIoctlSocket(c, FIONBIO, &one, lpErrno));
        int err = 0;
        if (U.lpWSPConnect(c, (struct sockaddr *)&a, len, NULL, NULL, 0, NULL, NULL, &err) == 0) harness_fail(__FILE__, __LINE__, "a non-blocking connect returned 0");
        if (err == WSAECONNREFUSED) { refused++; continue; }
        CHECK_EQ(err, WSAEWOULDBLOCK);
        /* "in progress" means connected, with a peer */
        SOCKADDR_UN peer;
        int plen = sizeof peer;
        CHECK_OK(U.lpWSPGetPeerName(c, (struct sockaddr *)&peer, &plen, lpErrno));
        connected++;
    }
    CHECK(connected >= 1);
    CHECK(refused >= 1);
    /* blocking: refused at once */
    SOCKET b = usock(SOCK_STREAM, 0);
    double t0 = t_now();
    CHECK_WSA(U.lpWSPConnect(b, (struct sockaddr *)&a, len, NULL, NULL, 0, NULL, NULL, lpErrno), WSAECONNREFUSED);
    CHECK(t_now() - t0 < 1.0);
    /* room again once one is accepted */
    int err = 0;
    SOCKET s = U.lpWSPAccept(l, NULL, NULL, NULL, 0, &err);
    CHECK(s != INVALID_SOCKET);
    SOCKET b2 = usock(SOCK_STREAM, 0);
    CHECK_OK(U.lpWSPConnect(b2, (struct sockaddr *)&a, len, NULL, NULL, 0, NULL, NULL, lpErrno));
    stop();
}

/* WSPGetPeerName gives the kernel's name at the kernel's length, whatever
 * length the connect was given (a path with padding after its NUL).
 * (Found by the fuzzer.) */
TEST(unix_peer_name_is_the_kernels) {
    start();
    int len;
    SOCKADDR_UN a = path_addr("peer", &len);
    SOCKET l = listener_at(&a, len, 0);
    SOCKET c = usock(SOCK_STREAM, 0);
    CHECK_OK(U.lpWSPConnect(c, (struct sockaddr *)&a, (int)sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno));
    SOCKADDR_UN peer;
    int plen = sizeof peer;
    CHECK_OK(U.lpWSPGetPeerName(c, (struct sockaddr *)&peer, &plen, lpErrno));
    CHECK_EQ(plen, len);
    CHECK_EQ(strcmp(peer.sun_path, a.sun_path), 0);
    (void)l;
    stop();
}

struct closer { SOCKET s; int ms; };
static void *close_later(void *p) {
    struct closer *c = p;
    t_sleep_ms(c->ms);
    int err = 0;
    U.lpWSPCloseSocket(c->s, &err);
    return NULL;
}

/* A blocking datagram send to a receiver whose queue is full waits, and a
 * close from another thread ends it with WSAEINTR (the kernel's own wait
 * would not end). (Found in review.) */
TEST(unix_blocking_datagram_send_ends_on_close) {
    start();
    int la, lb;
    SOCKADDR_UN a = abstract_addr("fullq", &la), b = abstract_addr("sender", &lb);
    SOCKET r = usock(SOCK_DGRAM, 0), w = usock(SOCK_DGRAM, 0);
    CHECK_OK(U.lpWSPBind(r, (struct sockaddr *)&a, la, lpErrno));
    CHECK_OK(U.lpWSPBind(w, (struct sockaddr *)&b, lb, lpErrno));
    char buf[512] = { 0 };
    DWORD n = 0;
    int err = 0, sent = 0;
    /* fill the receiver's queue (non-blocking), then block */
    u_long one = 1, off = 0;
    CHECK_OK(U.lpWSPIoctlSocket(w, FIONBIO, &one, lpErrno));
    while (U.lpWSPSendTo(w, buf, sizeof buf, &n, 0, (struct sockaddr *)&a, la, NULL, NULL, &err) == 0) CHECK(++sent < 100000);
    CHECK_EQ(err, WSAEWOULDBLOCK);
    CHECK_OK(U.lpWSPIoctlSocket(w, FIONBIO, &off, lpErrno));
    pthread_t t;
    struct closer c = { w, 300 };
    CHECK_EQ(pthread_create(&t, NULL, close_later, &c), 0);
    double t0 = t_now();
    CHECK_WSA(U.lpWSPSendTo(w, buf, sizeof buf, &n, 0, (struct sockaddr *)&a, la, NULL, NULL, lpErrno), WSAEINTR);
    CHECK(t_now() - t0 >= 0.25 && t_now() - t0 < 2.0);
    pthread_join(t, NULL);
    /* and a blocking send that finds room once the receiver reads */
    SOCKET w2 = usock(SOCK_DGRAM, 0);
    int flags = 0;
    CHECK_OK(U.lpWSPRecv(r, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno));
    CHECK_OK(U.lpWSPSendTo(w2, buf, sizeof buf, &n, 0, (struct sockaddr *)&a, la, NULL, NULL, lpErrno));
    stop();
}

/* An unbound datagram socket's sendto (or connect) binds it to a fresh
 * name, as UDP's does: the receiver sees a sender it can answer. */
TEST(unix_datagram_sender_is_named) {
    start();
    int la;
    SOCKADDR_UN a = abstract_addr("srv-dg", &la);
    SOCKET r = usock(SOCK_DGRAM, 0), w = usock(SOCK_DGRAM, 0);
    CHECK_OK(U.lpWSPBind(r, (struct sockaddr *)&a, la, lpErrno));
    SOCKADDR_UN name;
    int nlen = sizeof name;
    CHECK_WSA(U.lpWSPGetSockName(w, (struct sockaddr *)&name, &nlen, lpErrno), WSAEINVAL);   /* not bound yet */
    DWORD n = 0;
    CHECK_OK(U.lpWSPSendTo(w, "ask", 3, &n, 0, (struct sockaddr *)&a, la, NULL, NULL, lpErrno));
    char buf[16];
    SOCKADDR_UN from;
    int flen = sizeof from, flags = 0;
    CHECK_OK(U.lpWSPRecvFrom(r, buf, sizeof buf, &n, &flags, (struct sockaddr *)&from, &flen, NULL, NULL, lpErrno));
    CHECK_EQ(flen, 2 + 1 + 5);                     /* an autobound abstract name */
    nlen = sizeof name;
    CHECK_OK(U.lpWSPGetSockName(w, (struct sockaddr *)&name, &nlen, lpErrno));
    CHECK_EQ(nlen, flen);
    CHECK_EQ(memcmp(&name, &from, (size_t)flen), 0);
    CHECK_OK(U.lpWSPSendTo(r, "answer", 6, &n, 0, (struct sockaddr *)&from, flen, NULL, NULL, lpErrno));
    flags = 0;
    CHECK_OK(U.lpWSPRecv(w, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno));
    CHECK_EQ(n, 6);
    /* a from buffer that cannot hold every name is WSAEFAULT, and the datagram stays */
    CHECK_OK(U.lpWSPSendTo(w, "again", 5, &n, 0, (struct sockaddr *)&a, la, NULL, NULL, lpErrno));
    flen = (int)sizeof from - 1;
    CHECK_WSA(U.lpWSPRecvFrom(r, buf, sizeof buf, &n, &flags, (struct sockaddr *)&from, &flen, NULL, NULL, lpErrno), WSAEFAULT);
    flen = sizeof from;
    flags = 0;
    CHECK_OK(U.lpWSPRecvFrom(r, buf, sizeof buf, &n, &flags, (struct sockaddr *)&from, &flen, NULL, NULL, lpErrno));
    CHECK_EQ(n, 5);
    /* connect binds too */
    SOCKET q = usock(SOCK_DGRAM, 0);
    CHECK_OK(U.lpWSPConnect(q, (struct sockaddr *)&a, la, NULL, NULL, 0, NULL, NULL, lpErrno));
    nlen = sizeof name;
    CHECK_OK(U.lpWSPGetSockName(q, (struct sockaddr *)&name, &nlen, lpErrno));
    CHECK_EQ(nlen, 2 + 1 + 5);
    stop();
}

/* The socket's own SD_RECEIVE and SD_SEND are no FD_CLOSE while the peer
 * is still open. */
TEST(unix_own_shutdown_is_no_fd_close) {
    start();
    SOCKET c, s;
    unix_pair(&c, &s, 0);
    WSAEVENT e = WSACreateEvent();
    CHECK_OK(U.lpWSPEventSelect(s, e, FD_CLOSE, lpErrno));
    CHECK_OK(U.lpWSPShutdown(s, SD_RECEIVE, lpErrno));
    CHECK_OK(U.lpWSPShutdown(s, SD_SEND, lpErrno));
    CHECK_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 300, FALSE), WSA_WAIT_TIMEOUT);
    WSANETWORKEVENT ev[FD_MAX_EVENTS];
    int n = FD_MAX_EVENTS;
    CHECK_OK(U.lpWSPEnumNetworkEvents(s, e, ev, &n, lpErrno));
    CHECK(!ev[FD_CLOSE_BIT].Fired);
    (void)c;
    WSACloseEvent(e);
    stop();
}
