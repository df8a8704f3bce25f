/*
 * demo-host.c: a Winsock DLL in miniature, loading a service provider.
 *
 * It does what the Winsock 2 DLL does with a provider it found in the
 * catalog: dlopen the provider's library, look up its WSP* entry points,
 * negotiate a version with WSPStartup, and then drive sockets only through
 * the SPI: a TCP echo over 127.0.0.1 (listener + client thread) and a UDP
 * exchange, then WSPCloseSocket, WSPCleanup and dlclose.
 *
 * It is deliberately not linked with libws2spi: it uses only ws2spi.h's
 * types, constants and prototypes (the prototypes give the function pointer
 * types), and the library's path comes from the command line. The provider
 * exports only the WSP* entry points; dlopen brings in the Winsock DLL part,
 * libws2_32.so.2, as its dependency, and a host service such as
 * WSACreateEvent would be found with dlsym on the same handle:
 *
 *     cc -Iinclude -o demo-host examples/demo-host.c -pthread -ldl
 *     ./demo-host build/lib/libws2spi.so.2
 *
 * Exit status 0 only if every step succeeded.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <signal.h>
#include <unistd.h>
#include <pthread.h>
#include <dlfcn.h>

#include <ws2spi.h>

/* ------------------------------------------------------------------------ */
/* Function pointer types for the entry points the demo calls, as in the   */
/* draft's Appendix A.2 (LLP64: DWORD is 32 bits).                          */

typedef int    (*PFN_WSPStartup)(WORD, LPWSADATA);
typedef int    (*PFN_WSPCleanup)(LPCLEANUPPROC, DWORD, int *);
typedef SOCKET (*PFN_WSPSocket)(int, int, int, DWORD, int, int *);
typedef int    (*PFN_WSPBind)(SOCKET, const struct sockaddr *, int, int *);
typedef int    (*PFN_WSPGetSockName)(SOCKET, struct sockaddr *, int *, int *);
typedef int    (*PFN_WSPListen)(SOCKET, int, int *);
typedef SOCKET (*PFN_WSPAccept)(SOCKET, struct sockaddr *, int *,
                                LPCONDITIONPROC, DWORD, int *);
typedef int    (*PFN_WSPConnect)(SOCKET, const struct sockaddr *, int,
                                 LPWSABUF, LPWSABUF, GROUP, LPQOS, LPQOS, int *);
typedef int    (*PFN_WSPSend)(SOCKET, LPVOID, DWORD, LPDWORD, int,
                              LPWSAOVERLAPPED,
                              LPWSAOVERLAPPED_COMPLETION_ROUTINE, int *);
typedef int    (*PFN_WSPRecv)(SOCKET, LPVOID, DWORD, LPDWORD, LPINT,
                              LPWSAOVERLAPPED,
                              LPWSAOVERLAPPED_COMPLETION_ROUTINE, int *);
typedef int    (*PFN_WSPSendTo)(SOCKET, LPVOID, DWORD, LPDWORD, int,
                                LPVOID, int, LPWSAOVERLAPPED,
                                LPWSAOVERLAPPED_COMPLETION_ROUTINE, int *);
typedef int    (*PFN_WSPRecvFrom)(SOCKET, LPVOID, DWORD, LPDWORD, LPINT,
                                  LPVOID, LPINT, LPWSAOVERLAPPED,
                                  LPWSAOVERLAPPED_COMPLETION_ROUTINE, int *);
typedef int    (*PFN_WSPCloseSocket)(SOCKET, int *);

/* The types above must be exactly the header's prototypes. */
#if defined(__GNUC__) && !defined(__cplusplus)
#define SAME_TYPE(pfn, fn) \
    _Static_assert(__builtin_types_compatible_p(pfn, __typeof__(&fn)), \
                   #pfn " differs from the prototype of " #fn " in ws2spi.h")
SAME_TYPE(PFN_WSPStartup, WSPStartup);
SAME_TYPE(PFN_WSPCleanup, WSPCleanup);
SAME_TYPE(PFN_WSPSocket, WSPSocket);
SAME_TYPE(PFN_WSPBind, WSPBind);
SAME_TYPE(PFN_WSPGetSockName, WSPGetSockName);
SAME_TYPE(PFN_WSPListen, WSPListen);
SAME_TYPE(PFN_WSPAccept, WSPAccept);
SAME_TYPE(PFN_WSPConnect, WSPConnect);
SAME_TYPE(PFN_WSPSend, WSPSend);
SAME_TYPE(PFN_WSPRecv, WSPRecv);
SAME_TYPE(PFN_WSPSendTo, WSPSendTo);
SAME_TYPE(PFN_WSPRecvFrom, WSPRecvFrom);
SAME_TYPE(PFN_WSPCloseSocket, WSPCloseSocket);
#endif

/* The 27 entry points of RULINGS §1, plus __WSAFDIsSet. */
static const char *const entry_points[] = {
    "WSPAccept", "WSPAsyncSelect32", "WSPBind", "WSPCallbackSelect16",
    "WSPCancelBlockingCall32", "WSPCleanup", "WSPCloseSocket", "WSPConnect",
    "WSPEnumNetworkEvents", "WSPEventSelect", "WSPGetPeerName",
    "WSPGetSockName", "WSPGetSockOpt", "WSPIoctlSocket", "WSPIsBlocking32",
    "WSPListen", "WSPRecv", "WSPRecvFrom", "WSPSelect", "WSPSend",
    "WSPSendTo", "WSPSetBlockingHook32", "WSPSetSockOpt", "WSPShutdown",
    "WSPSocket", "WSPStartup", "WSPUnhookBlockingHook32",
    "__WSAFDIsSet",
};
#define N_ENTRY_POINTS (sizeof entry_points / sizeof entry_points[0])

static struct {
    PFN_WSPStartup     Startup;
    PFN_WSPCleanup     Cleanup;
    PFN_WSPSocket      Socket;
    PFN_WSPBind        Bind;
    PFN_WSPGetSockName GetSockName;
    PFN_WSPListen      Listen;
    PFN_WSPAccept      Accept;
    PFN_WSPConnect     Connect;
    PFN_WSPSend        Send;
    PFN_WSPRecv        Recv;
    PFN_WSPSendTo      SendTo;
    PFN_WSPRecvFrom    RecvFrom;
    PFN_WSPCloseSocket CloseSocket;
} wsp;

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static int failures;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void count_failure(void)
{
    __atomic_add_fetch(&failures, 1, __ATOMIC_SEQ_CST);
}

static void say(const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&out_lock);
    fputs("[demo] ", stdout);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
}

static const char *wsa_name(int err)
{
    switch (err) {
    case WSANOTINITIALISED:  return "WSANOTINITIALISED";
    case WSAVERNOTSUPPORTED: return "WSAVERNOTSUPPORTED";
    case WSAEFAULT:          return "WSAEFAULT";
    case WSAEINVAL:          return "WSAEINVAL";
    case WSAEINTR:           return "WSAEINTR";
    case WSAENOTSOCK:        return "WSAENOTSOCK";
    case WSAEWOULDBLOCK:     return "WSAEWOULDBLOCK";
    case WSAEINPROGRESS:     return "WSAEINPROGRESS";
    case WSAEAFNOSUPPORT:    return "WSAEAFNOSUPPORT";
    case WSAEPROTONOSUPPORT: return "WSAEPROTONOSUPPORT";
    case WSAEADDRINUSE:      return "WSAEADDRINUSE";
    case WSAEADDRNOTAVAIL:   return "WSAEADDRNOTAVAIL";
    case WSAECONNREFUSED:    return "WSAECONNREFUSED";
    case WSAECONNRESET:      return "WSAECONNRESET";
    case WSAECONNABORTED:    return "WSAECONNABORTED";
    case WSAENOTCONN:        return "WSAENOTCONN";
    case WSAETIMEDOUT:       return "WSAETIMEDOUT";
    case WSAEMSGSIZE:        return "WSAEMSGSIZE";
    case WSAENOBUFS:         return "WSAENOBUFS";
    case WSAEMFILE:          return "WSAEMFILE";
    default:                 return "?";
    }
}

/* A call returned SOCKET_ERROR / INVALID_SOCKET: name it and its error. */
static void failed(const char *who, const char *fn, int err)
{
    say("%s%s failed: WSA error %d (%s)", who, fn, err, wsa_name(err));
    count_failure();
}

/* Network byte order without <arpa/inet.h>: big-endian on the wire. */
static uint16_t to_net16(uint16_t v)
{
    const union { uint16_t u; unsigned char b[2]; } probe = { 1 };
    return probe.b[0] ? (uint16_t)((v >> 8) | (v << 8)) : v;
}
#define from_net16 to_net16

static uint32_t to_net32(uint32_t v)
{
    const union { uint16_t u; unsigned char b[2]; } probe = { 1 };
    return probe.b[0] ? ((v >> 24) | ((v >> 8) & 0xff00u) |
                         ((v << 8) & 0xff0000u) | (v << 24))
                      : v;
}

/* 127.0.0.1:port (port in host order) as a Winsock sockaddr_in. */
static struct sockaddr_in loopback(uint16_t port)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = to_net16(port);
    sin.sin_addr.s_addr = to_net32(INADDR_LOOPBACK);
    return sin;
}

/* "a.b.c.d:port" */
static const char *addr_str(const struct sockaddr_in *sin, char *buf, size_t n)
{
    const unsigned char *a = (const unsigned char *)&sin->sin_addr;
    snprintf(buf, n, "%u.%u.%u.%u:%u", a[0], a[1], a[2], a[3],
             (unsigned)from_net16(sin->sin_port));
    return buf;
}

/* Sends all of buf on a stream socket. 0, or SOCKET_ERROR with *err. */
static int send_all(SOCKET s, const char *buf, DWORD len, int *err)
{
    while (len > 0) {
        DWORD sent = 0;
        if (wsp.Send(s, (LPVOID)buf, len, &sent, 0, NULL, NULL, err) == SOCKET_ERROR)
            return SOCKET_ERROR;
        buf += sent;
        len -= sent;
    }
    return 0;
}

/* Receives exactly len bytes (fewer only at end of stream). */
static int recv_all(SOCKET s, char *buf, DWORD len, DWORD *got, int *err)
{
    *got = 0;
    while (*got < len) {
        DWORD n = 0;
        int flags = 0;
        if (wsp.Recv(s, buf + *got, len - *got, &n, &flags, NULL, NULL, err) == SOCKET_ERROR)
            return SOCKET_ERROR;
        if (n == 0)
            break;
        *got += n;
    }
    return 0;
}

static void on_timeout(int sig)
{
    static const char msg[] = "[demo] timed out after 60 s: a call never returned\n";
    (void)sig;
    if (write(STDOUT_FILENO, msg, sizeof msg - 1) < 0) { /* nothing to do */ }
    _exit(2);
}

/* ------------------------------------------------------------------------ */
/* TCP echo                                                                 */

static const char *const messages[] = {
    "hello, provider",
    "a second message, a little longer than the first one",
    "bye",
};
#define N_MESSAGES (sizeof messages / sizeof messages[0])

struct client_args {
    uint16_t port;
    int ok;
};

static void *tcp_client(void *arg)
{
    struct client_args *ca = arg;
    const char *me = "client: ";
    int err = 0;
    char sbuf[32];
    size_t i;

    SOCKET s = wsp.Socket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, &err);
    if (s == INVALID_SOCKET) {
        failed(me, "WSPSocket", err);
        return NULL;
    }
    say("client: WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP) -> socket %u", (unsigned)s);

    struct sockaddr_in to = loopback(ca->port);
    if (wsp.Connect(s, (const struct sockaddr *)&to, (int)sizeof to,
                    NULL, NULL, 0, NULL, NULL, &err) == SOCKET_ERROR) {
        failed(me, "WSPConnect", err);
        goto out;
    }
    say("client: WSPConnect(%s) -> 0", addr_str(&to, sbuf, sizeof sbuf));

    for (i = 0; i < N_MESSAGES; i++) {
        char echo[128];
        DWORD len = (DWORD)strlen(messages[i]), got = 0;
        if (send_all(s, messages[i], len, &err) == SOCKET_ERROR) {
            failed(me, "WSPSend", err);
            goto out;
        }
        say("client: WSPSend \"%s\" (%u bytes)", messages[i], (unsigned)len);
        if (recv_all(s, echo, len, &got, &err) == SOCKET_ERROR) {
            failed(me, "WSPRecv", err);
            goto out;
        }
        if (got != len || memcmp(echo, messages[i], len) != 0) {
            say("client: echo mismatch: got %u bytes \"%.*s\"",
                (unsigned)got, (int)got, echo);
            count_failure();
            goto out;
        }
        say("client: WSPRecv echo \"%.*s\" (%u bytes)", (int)got, echo, (unsigned)got);
    }
    ca->ok = 1;
out:
    if (wsp.CloseSocket(s, &err) == SOCKET_ERROR) {
        failed(me, "WSPCloseSocket", err);
        ca->ok = 0;
    } else {
        say("client: WSPCloseSocket(%u) -> 0", (unsigned)s);
    }
    return NULL;
}

static int tcp_echo(void)
{
    int err = 0, ok = 0;
    char sbuf[32];
    SOCKET lsock, conn = INVALID_SOCKET;
    struct sockaddr_in sin = loopback(0), peer;
    int len;
    pthread_t client;
    struct client_args ca = { 0, 0 };
    int have_client = 0;
    DWORD echoed = 0;

    say("--- TCP echo over 127.0.0.1 ---");
    lsock = wsp.Socket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, &err);
    if (lsock == INVALID_SOCKET) {
        failed("", "WSPSocket", err);
        return 0;
    }
    say("server: WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP) -> socket %u", (unsigned)lsock);

    if (wsp.Bind(lsock, (const struct sockaddr *)&sin, (int)sizeof sin, &err) == SOCKET_ERROR) {
        failed("server: ", "WSPBind", err);
        goto out;
    }
    say("server: WSPBind(127.0.0.1:0) -> 0");

    len = (int)sizeof sin;
    if (wsp.GetSockName(lsock, (struct sockaddr *)&sin, &len, &err) == SOCKET_ERROR) {
        failed("server: ", "WSPGetSockName", err);
        goto out;
    }
    say("server: WSPGetSockName -> %s (namelen %d)", addr_str(&sin, sbuf, sizeof sbuf), len);

    if (wsp.Listen(lsock, 5, &err) == SOCKET_ERROR) {
        failed("server: ", "WSPListen", err);
        goto out;
    }
    say("server: WSPListen(backlog 5) -> 0");

    ca.port = from_net16(sin.sin_port);
    if (pthread_create(&client, NULL, tcp_client, &ca) != 0) {
        say("pthread_create failed");
        count_failure();
        goto out;
    }
    have_client = 1;

    len = (int)sizeof peer;
    memset(&peer, 0, sizeof peer);
    conn = wsp.Accept(lsock, (struct sockaddr *)&peer, &len, NULL, 0, &err);
    if (conn == INVALID_SOCKET) {
        failed("server: ", "WSPAccept", err);
        goto out;
    }
    say("server: WSPAccept -> socket %u from %s", (unsigned)conn,
        addr_str(&peer, sbuf, sizeof sbuf));

    for (;;) {
        char buf[256];
        DWORD n = 0;
        int flags = 0;
        if (wsp.Recv(conn, buf, sizeof buf, &n, &flags, NULL, NULL, &err) == SOCKET_ERROR) {
            failed("server: ", "WSPRecv", err);
            goto out;
        }
        if (n == 0) {
            say("server: WSPRecv -> 0 bytes: the client closed gracefully");
            break;
        }
        if (send_all(conn, buf, n, &err) == SOCKET_ERROR) {
            failed("server: ", "WSPSend", err);
            goto out;
        }
        echoed += n;
        say("server: echoed %u bytes", (unsigned)n);
    }
    ok = 1;

out:
    if (have_client) {
        pthread_join(client, NULL);
        ok = ok && ca.ok;
    }
    if (conn != INVALID_SOCKET) {
        if (wsp.CloseSocket(conn, &err) == SOCKET_ERROR) {
            failed("server: ", "WSPCloseSocket", err);
            ok = 0;
        } else {
            say("server: WSPCloseSocket(%u) -> 0", (unsigned)conn);
        }
    }
    if (wsp.CloseSocket(lsock, &err) == SOCKET_ERROR) {
        failed("server: ", "WSPCloseSocket", err);
        ok = 0;
    } else {
        say("server: WSPCloseSocket(%u) -> 0 (listener)", (unsigned)lsock);
    }
    if (ok)
        say("TCP echo: %u messages, %u bytes echoed: OK", (unsigned)N_MESSAGES, (unsigned)echoed);
    return ok;
}

/* ------------------------------------------------------------------------ */
/* UDP                                                                      */

/* A datagram socket bound to 127.0.0.1:0; its address in *bound. */
static SOCKET udp_socket(const char *who, struct sockaddr_in *bound)
{
    int err = 0, len;
    char sbuf[32];
    SOCKET s = wsp.Socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, 0, 0, &err);
    if (s == INVALID_SOCKET) {
        failed(who, "WSPSocket", err);
        return INVALID_SOCKET;
    }
    *bound = loopback(0);
    if (wsp.Bind(s, (const struct sockaddr *)bound, (int)sizeof *bound, &err) == SOCKET_ERROR) {
        failed(who, "WSPBind", err);
        goto fail;
    }
    len = (int)sizeof *bound;
    if (wsp.GetSockName(s, (struct sockaddr *)bound, &len, &err) == SOCKET_ERROR) {
        failed(who, "WSPGetSockName", err);
        goto fail;
    }
    say("%sWSPSocket(AF_INET, SOCK_DGRAM, IPPROTO_UDP) -> socket %u, bound to %s",
        who, (unsigned)s, addr_str(bound, sbuf, sizeof sbuf));
    return s;
fail:
    wsp.CloseSocket(s, &err);
    return INVALID_SOCKET;
}

/* from sends msg to `to`; at receives it and checks payload and source. */
static int udp_hop(const char *from_name, SOCKET from, const struct sockaddr_in *from_addr,
                   const char *to_name, SOCKET to, const struct sockaddr_in *to_addr,
                   const char *msg, struct sockaddr_in *src)
{
    int err = 0, flags = 0, srclen = (int)sizeof *src;
    DWORD len = (DWORD)strlen(msg), sent = 0, got = 0;
    char buf[512], sbuf[32], sbuf2[32];

    if (wsp.SendTo(from, (LPVOID)msg, len, &sent, 0, (LPVOID)to_addr,
                   (int)sizeof *to_addr, NULL, NULL, &err) == SOCKET_ERROR) {
        failed(from_name, "WSPSendTo", err);
        return 0;
    }
    say("%sWSPSendTo(%s) \"%s\" -> %u bytes sent", from_name,
        addr_str(to_addr, sbuf, sizeof sbuf), msg, (unsigned)sent);

    memset(src, 0, sizeof *src);
    if (wsp.RecvFrom(to, buf, sizeof buf, &got, &flags, src, &srclen,
                     NULL, NULL, &err) == SOCKET_ERROR) {
        failed(to_name, "WSPRecvFrom", err);
        return 0;
    }
    say("%sWSPRecvFrom -> \"%.*s\" (%u bytes) from %s (fromlen %d)", to_name,
        (int)got, buf, (unsigned)got, addr_str(src, sbuf, sizeof sbuf), srclen);
    if (sent != len || got != len || memcmp(buf, msg, len) != 0) {
        say("%sdatagram mismatch", to_name);
        count_failure();
        return 0;
    }
    if (src->sin_port != from_addr->sin_port) {
        say("%ssource %s is not the sender %s", to_name, addr_str(src, sbuf, sizeof sbuf),
            addr_str(from_addr, sbuf2, sizeof sbuf2));
        count_failure();
        return 0;
    }
    return 1;
}

static int udp_exchange(void)
{
    struct sockaddr_in a_addr, b_addr, src;
    int err = 0, ok = 0;
    SOCKET a, b;

    say("--- UDP datagrams over 127.0.0.1 ---");
    a = udp_socket("udp A: ", &a_addr);
    if (a == INVALID_SOCKET)
        return 0;
    b = udp_socket("udp B: ", &b_addr);
    if (b == INVALID_SOCKET)
        goto close_a;

    /* B -> A, then A answers to the source address it was given. */
    if (udp_hop("udp B: ", b, &b_addr, "udp A: ", a, &a_addr, "ping over UDP", &src) &&
        udp_hop("udp A: ", a, &a_addr, "udp B: ", b, &src, "pong over UDP", &src))
        ok = 1;

    if (wsp.CloseSocket(b, &err) == SOCKET_ERROR) {
        failed("udp B: ", "WSPCloseSocket", err);
        ok = 0;
    } else {
        say("udp B: WSPCloseSocket(%u) -> 0", (unsigned)b);
    }
close_a:
    if (wsp.CloseSocket(a, &err) == SOCKET_ERROR) {
        failed("udp A: ", "WSPCloseSocket", err);
        ok = 0;
    } else {
        say("udp A: WSPCloseSocket(%u) -> 0", (unsigned)a);
    }
    if (ok)
        say("UDP exchange: OK");
    return ok;
}

/* ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "build/lib/libws2spi.so.2";
    void *syms[N_ENTRY_POINTS];
    unsigned missing = 0, i;
    WSADATA data;
    int r, err = 0, tcp_ok, udp_ok;

    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGALRM, on_timeout);
    alarm(60);

    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        say("dlopen(\"%s\") failed: %s", path, dlerror());
        return 1;
    }
    say("dlopen(\"%s\", RTLD_NOW | RTLD_LOCAL) -> ok", path);

    for (i = 0; i < N_ENTRY_POINTS; i++) {
        dlerror();
        syms[i] = dlsym(lib, entry_points[i]);
        if (!syms[i]) {
            say("dlsym(\"%s\"): missing", entry_points[i]);
            missing++;
        }
    }
    say("dlsym: %u of %u entry points found", (unsigned)(N_ENTRY_POINTS - missing),
        (unsigned)N_ENTRY_POINTS);
    __atomic_add_fetch(&failures, (int)missing, __ATOMIC_SEQ_CST);

#define LOAD(field, name) \
    do { \
        void *p_ = dlsym(lib, #name); \
        memcpy(&wsp.field, &p_, sizeof p_); /* POSIX: dlsym gives code */ \
    } while (0)
    LOAD(Startup, WSPStartup);
    LOAD(Cleanup, WSPCleanup);
    LOAD(Socket, WSPSocket);
    LOAD(Bind, WSPBind);
    LOAD(GetSockName, WSPGetSockName);
    LOAD(Listen, WSPListen);
    LOAD(Accept, WSPAccept);
    LOAD(Connect, WSPConnect);
    LOAD(Send, WSPSend);
    LOAD(Recv, WSPRecv);
    LOAD(SendTo, WSPSendTo);
    LOAD(RecvFrom, WSPRecvFrom);
    LOAD(CloseSocket, WSPCloseSocket);
#undef LOAD
    if (!wsp.Startup || !wsp.Cleanup || !wsp.Socket || !wsp.Bind || !wsp.GetSockName ||
        !wsp.Listen || !wsp.Accept || !wsp.Connect || !wsp.Send || !wsp.Recv ||
        !wsp.SendTo || !wsp.RecvFrom || !wsp.CloseSocket) {
        say("an entry point the demo needs is missing; stopping");
        return 1;
    }

    memset(&data, 0, sizeof data);
    r = wsp.Startup(MAKEWORD(2, 0), &data);
    if (r != 0) {
        say("WSPStartup(2.0) -> %d (%s)", r, wsa_name(r));
        return 1;
    }
    say("WSPStartup(2.0) -> 0: wVersion %u.%u, wHighVersion %u.%u, \"%.*s\"",
        data.wVersion & 0xff, data.wVersion >> 8,
        data.wHighVersion & 0xff, data.wHighVersion >> 8,
        (int)sizeof data.szDescription, data.szDescription);
    say("    szSystemStatus \"%.*s\", iMaxSockets %u, iMaxUdpDg %u",
        (int)sizeof data.szSystemStatus, data.szSystemStatus,
        (unsigned)data.iMaxSockets, (unsigned)data.iMaxUdpDg);

    tcp_ok = tcp_echo();
    udp_ok = udp_exchange();

    say("--- shutting down ---");
    if (wsp.Cleanup(NULL, 0, &err) == SOCKET_ERROR) {
        failed("", "WSPCleanup", err);
    } else {
        say("WSPCleanup -> 0");
    }
    if (dlclose(lib) != 0) {
        say("dlclose failed: %s", dlerror());
        count_failure();
    } else {
        say("dlclose -> 0");
    }

    if (failures == 0 && tcp_ok && udp_ok) {
        say("all steps succeeded");
        return 0;
    }
    say("FAILED: %d failure(s)%s%s", failures > 0 ? failures : 1,
        tcp_ok ? "" : ", TCP echo did not complete",
        udp_ok ? "" : ", UDP exchange did not complete");
    return 1;
}
