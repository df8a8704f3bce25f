/* Two different provider libraries in one process (RULINGS §13): the TCP/IP
 * provider (libws2spi.so.2) and the tests' memory-datagram provider
 * (libws2memtest.so.2, Tests/providers/MemDgram, built from ProviderKit;
 * its path in $WS2SPI_TEST_PROVIDER), both loaded by WS2HostStartup from one
 * catalog. The host services are libws2_32.so.2's, one set per process:
 * one event object serves sockets of both, one SleepEx runs the APCs of
 * both, WSAGetOverlappedResult answers for both, SOCKET values never meet,
 * and a socket of one is no socket to the other. */
#define _GNU_SOURCE
#include "harness.h"
#include <dlfcn.h>
#include <sys/stat.h>

#define MEM_AF 0x7E57

static char dir[64], ini[96];
static DWORD id_tcp, id_mem;
static const WS2HOST_PROVIDER *tcp, *mem;

static const char *mem_path(void) {
    const char *p = getenv("WS2SPI_TEST_PROVIDER");
    struct stat st;
    if (!p || stat(p, &st) != 0)
        harness_fail(__FILE__, __LINE__, "WS2SPI_TEST_PROVIDER (%s) names no library: run `make test-provider`", p ? p : "unset");
    return p;
}


/* A catalog with both providers; WS2HostStartup; the two records. */
static void start_both(void) {
    strcpy(dir, "/tmp/ws2prov-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    snprintf(ini, sizeof ini, "%s/winsock2.ini", dir);
    CHECK_EQ(setenv("WINSOCK2_INI", ini, 1), 0);
    PROTOCOL_INFO t[2] = {
        { 0x1066, AF_INET, 16, 16, SOCK_STREAM, IPPROTO_TCP, 0, (char *)"TCP/IP" },
        { 0x1609, AF_INET, 16, 16, SOCK_DGRAM, IPPROTO_UDP, 65507, (char *)"UDP/IP" },
    };
    PROTOCOL_INFO m = { 0x1609, MEM_AF, 16, 16, SOCK_DGRAM, 0, 65535, (char *)"memory datagrams" };
    id_tcp = t_install("tcpip", t_installed_lib("libws2spi.so.2"), t, 2);
    id_mem = t_install("memdgram", mem_path(), &m, 1);
    DWORD n = 0;
    CHECK_OK(WS2HostStartup(NULL, &n, lpErrno));
    CHECK_EQ(n, 2);
    int err = 0;
    tcp = WS2HostGetProvider(0, &err);
    mem = WS2HostGetProvider(1, &err);
    CHECK(tcp && mem);
    if (tcp->iStatus != 0) harness_fail(__FILE__, __LINE__, "tcpip: %s", tcp->lpszStatus);
    if (mem->iStatus != 0) harness_fail(__FILE__, __LINE__, "memdgram: %s", mem->lpszStatus);
    CHECK(tcp->hLibrary != mem->hLibrary);
}

static void stop_both(void) {
    CHECK_OK(WS2HostCleanup(lpErrno));
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_EQ(system(cmd), 0);
}

static SOCKET host_socket(int af, int type, int protocol, int flags, const WS2HOST_PROVIDER *want) {
    const WS2HOST_PROVIDER *p = NULL;
    int err = 0;
    SOCKET s = WS2HostSocket(af, type, protocol, flags, &p, &err);
    if (s == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "WS2HostSocket(%d, %d) failed: %d", af, type, err);
    CHECK(p == want);
    return s;
}

static struct WS_sockaddr mem_addr(u_short port) {
    struct WS_sockaddr a;
    memset(&a, 0, sizeof a);
    a.sa_family = MEM_AF;
    memcpy(a.sa_data, &port, sizeof port);
    return a;
}

/* A bound memory socket at `port`. */
static SOCKET mem_bound(u_short port, int flags) {
    SOCKET s = host_socket(MEM_AF, SOCK_DGRAM, 0, flags, mem);
    struct WS_sockaddr a = mem_addr(port);
    CHECK_OK(mem->Procs.lpWSPBind(s, &a, sizeof a, lpErrno));
    return s;
}

static void mem_send(SOCKET from, u_short port, const char *text) {
    struct WS_sockaddr to = mem_addr(port);
    DWORD sent = 0;
    CHECK_OK(mem->Procs.lpWSPSendTo(from, (void *)text, (DWORD)strlen(text), &sent, 0, &to, sizeof to, NULL, NULL, lpErrno));
    CHECK_EQ(sent, strlen(text));
}

/* A connected TCP pair through the TCP provider's Procs. */
static void tcp_pair(SOCKET *client, SOCKET *server, int flags) {
    SOCKET l = host_socket(AF_INET, SOCK_STREAM, 0, 0, tcp);
    struct sockaddr_in a = t_loopback(0);
    CHECK_OK(tcp->Procs.lpWSPBind(l, (struct sockaddr *)&a, sizeof a, lpErrno));
    int len = sizeof a;
    CHECK_OK(tcp->Procs.lpWSPGetSockName(l, (struct sockaddr *)&a, &len, lpErrno));
    CHECK_OK(tcp->Procs.lpWSPListen(l, 4, lpErrno));
    *client = host_socket(AF_INET, SOCK_STREAM, 0, flags, tcp);
    int err = 0;
    /* an overlapped socket is non-blocking: its connect completes later */
    if (tcp->Procs.lpWSPConnect(*client, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, &err) != 0)
        CHECK_EQ(err, WSAEWOULDBLOCK);
    *server = tcp->Procs.lpWSPAccept(l, NULL, NULL, NULL, 0, &err);
    CHECK(*server != INVALID_SOCKET);
    fd_set w;
    FD_ZERO(&w);
    FD_SET(*client, &w);
    struct timeval tv = { 2, 0 };
    CHECK_EQ(tcp->Procs.lpWSPSelect(0, NULL, &w, NULL, &tv, &err), 1);
    CHECK_OK(tcp->Procs.lpWSPCloseSocket(l, lpErrno));
}

/* ------------------------------------------------------------------------ */

/* SOCKET values of the two never meet, and each provider answers
 * WSAENOTSOCK for the other's sockets and for upcall handles. */
TEST(socket_values_are_disjoint) {
    start_both();
    enum { N = 200 };
    SOCKET t[N], m[N];
    for (int i = 0; i < N; i++) {
        t[i] = host_socket(AF_INET, SOCK_DGRAM, 0, 0, tcp);
        m[i] = host_socket(MEM_AF, SOCK_DGRAM, 0, 0, mem);
        /* close every other one: reused slots must stay disjoint too */
        if (i % 2) {
            CHECK_OK(tcp->Procs.lpWSPCloseSocket(t[i], lpErrno));
            CHECK_OK(mem->Procs.lpWSPCloseSocket(m[i], lpErrno));
            t[i] = host_socket(AF_INET, SOCK_DGRAM, 0, 0, tcp);
            m[i] = host_socket(MEM_AF, SOCK_DGRAM, 0, 0, mem);
        }
    }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) CHECK(t[i] != m[j]);
    /* The first sockets of the two are not equal either (they were, before the split). */
    int v = 0, len = sizeof v;
    CHECK_WSA(tcp->Procs.lpWSPGetSockOpt(m[0], SOL_SOCKET, SO_TYPE, (char *)&v, &len, lpErrno), WSAENOTSOCK);
    CHECK_WSA(tcp->Procs.lpWSPCloseSocket(m[0], lpErrno), WSAENOTSOCK);
    CHECK_WSA(mem->Procs.lpWSPCloseSocket(t[0], lpErrno), WSAENOTSOCK);
    struct WS_sockaddr a = mem_addr(9);
    CHECK_WSA(mem->Procs.lpWSPBind(t[1], &a, sizeof a, lpErrno), WSAENOTSOCK);
    /* an upcall handle is a socket of neither */
    int err = 0;
    SOCKET u = WPUXxxCreateSocketHandle(id_mem, (void *)0x1234, &err);
    CHECK(u != INVALID_SOCKET);
    for (int i = 0; i < N; i++) CHECK(u != t[i] && u != m[i]);
    CHECK_WSA(tcp->Procs.lpWSPCloseSocket(u, lpErrno), WSAENOTSOCK);
    CHECK_WSA(mem->Procs.lpWSPCloseSocket(u, lpErrno), WSAENOTSOCK);
    CHECK_OK(WPUXxxCloseSocketHandle(u, lpErrno));
    for (int i = 0; i < N; i++) {
        CHECK_OK(tcp->Procs.lpWSPCloseSocket(t[i], lpErrno));
        CHECK_OK(mem->Procs.lpWSPCloseSocket(m[i], lpErrno));
    }
    stop_both();
}

/* One event object selected by a socket of each provider: one
 * WSAWaitForMultipleEvents is woken by either. */
TEST(one_event_for_both) {
    start_both();
    SOCKET c, s;
    tcp_pair(&c, &s, 0);
    SOCKET m = mem_bound(7001, 0), from = mem_bound(7002, 0);
    WSAEVENT e = WSACreateEvent();
    CHECK(e != NULL);
    CHECK_OK(tcp->Procs.lpWSPEventSelect(s, e, FD_READ, lpErrno));
    CHECK_OK(mem->Procs.lpWSPEventSelect(m, e, FD_READ, lpErrno));
    CHECK_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 100, FALSE), WSA_WAIT_TIMEOUT);

    /* the memory provider sets it */
    mem_send(from, 7001, "mem");
    CHECK_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 2000, FALSE), WSA_WAIT_EVENT_0);
    WSANETWORKEVENT ev[FD_MAX_EVENTS];
    int n = FD_MAX_EVENTS;
    CHECK_OK(mem->Procs.lpWSPEnumNetworkEvents(m, e, ev, &n, lpErrno));
    CHECK(ev[FD_READ_BIT].Fired);
    CHECK_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);   /* reset by the enumeration */

    /* the TCP provider sets the same event */
    DWORD sent = 0;
    CHECK_OK(tcp->Procs.lpWSPSend(c, "tcp", 3, &sent, 0, NULL, NULL, lpErrno));
    CHECK_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 2000, FALSE), WSA_WAIT_EVENT_0);
    n = FD_MAX_EVENTS;
    CHECK_OK(tcp->Procs.lpWSPEnumNetworkEvents(s, e, ev, &n, lpErrno));
    CHECK(ev[FD_READ_BIT].Fired);

    /* an event that the host closed is invalid to both */
    WSAEVENT gone = WSACreateEvent();
    CHECK(WSACloseEvent(gone));
    CHECK_WSA(tcp->Procs.lpWSPEventSelect(c, gone, FD_READ, lpErrno), WSAEINVAL);
    CHECK_WSA(mem->Procs.lpWSPEventSelect(from, gone, FD_READ, lpErrno), WSAEINVAL);
    WSACloseEvent(e);
    stop_both();
}

static int ran_tcp, ran_mem;
static DWORD bytes_tcp, bytes_mem;
static pthread_t ran_on_tcp, ran_on_mem;
static void WSACALLBACK done_tcp(DWORD err, DWORD n, LPWSAOVERLAPPED o) { (void)o; CHECK_EQ(err, 0); bytes_tcp = n; ran_tcp++; ran_on_tcp = pthread_self(); }
static void WSACALLBACK done_mem(DWORD err, DWORD n, LPWSAOVERLAPPED o) { (void)o; CHECK_EQ(err, 0); bytes_mem = n; ran_mem++; ran_on_mem = pthread_self(); }

static void wait_not_pending(WSAOVERLAPPED *o) {
    for (int i = 0; i < 2000 && __atomic_load_n(&o->Internal, __ATOMIC_ACQUIRE) == WSA_IO_PENDING; i++) t_sleep_ms(1);
    CHECK(o->Internal != WSA_IO_PENDING);
}

/* Completion routines of overlapped receives on both providers run in one
 * SleepEx of the posting thread; WSAGetOverlappedResult answers for both. */
TEST(completion_routines_of_both_in_one_sleepex) {
    start_both();
    SOCKET c, s;
    tcp_pair(&c, &s, WSA_FLAG_OVERLAPPED);
    SOCKET m = mem_bound(7101, WSA_FLAG_OVERLAPPED), from = mem_bound(7102, 0);
    static char bt[16], bm[16];
    WSAOVERLAPPED ot, om;
    memset(&ot, 0, sizeof ot);
    memset(&om, 0, sizeof om);
    DWORD got = 0;
    int flags = 0;
    CHECK_WSA(tcp->Procs.lpWSPRecv(c, bt, sizeof bt, &got, &flags, &ot, done_tcp, lpErrno), WSA_IO_PENDING);
    CHECK_WSA(mem->Procs.lpWSPRecv(m, bm, sizeof bm, &got, &flags, &om, done_mem, lpErrno), WSA_IO_PENDING);
    DWORD sent = 0;
    CHECK_OK(tcp->Procs.lpWSPSend(s, "hello", 5, &sent, 0, NULL, NULL, lpErrno));
    mem_send(from, 7101, "memory!");
    wait_not_pending(&ot);
    wait_not_pending(&om);
    CHECK_EQ(ran_tcp + ran_mem, 0);                   /* APCs wait for an alertable wait */
    CHECK_EQ(SleepEx(0, TRUE), WSA_WAIT_IO_COMPLETION);  /* one wait runs both */
    CHECK_EQ(ran_tcp, 1);
    CHECK_EQ(ran_mem, 1);
    CHECK(pthread_equal(ran_on_tcp, pthread_self()) && pthread_equal(ran_on_mem, pthread_self()));
    CHECK_EQ(bytes_tcp, 5);
    CHECK_EQ(bytes_mem, 7);
    CHECK(memcmp(bt, "hello", 5) == 0 && memcmp(bm, "memory!", 7) == 0);
    DWORD n = 0, fl = 0;
    CHECK(WSAGetOverlappedResult(c, &ot, &n, FALSE, &fl));
    CHECK_EQ(n, 5);
    CHECK(WSAGetOverlappedResult(m, &om, &n, FALSE, &fl));
    CHECK_EQ(n, 7);
    /* a closed socket of either is no socket to WSAGetOverlappedResult */
    CHECK_OK(mem->Procs.lpWSPCloseSocket(m, lpErrno));
    CHECK(!WSAGetOverlappedResult(m, &om, &n, FALSE, &fl));
    CHECK_EQ(WSAGetLastError(), WSAENOTSOCK);
    CHECK_OK(tcp->Procs.lpWSPCloseSocket(c, lpErrno));
    CHECK(!WSAGetOverlappedResult(c, &ot, &n, FALSE, &fl));
    CHECK_EQ(WSAGetLastError(), WSAENOTSOCK);
    stop_both();
}

/* Event-signalled overlapped receives of both, waited for together. */
TEST(overlapped_events_of_both_in_one_wait) {
    start_both();
    SOCKET c, s;
    tcp_pair(&c, &s, WSA_FLAG_OVERLAPPED);
    SOCKET m = mem_bound(7201, WSA_FLAG_OVERLAPPED), from = mem_bound(7202, 0);
    static char bt[16], bm[16];
    WSAOVERLAPPED ot, om;
    memset(&ot, 0, sizeof ot);
    memset(&om, 0, sizeof om);
    WSAEVENT ev[2] = { WSACreateEvent(), WSACreateEvent() };
    ot.hEvent = ev[0];
    om.hEvent = ev[1];
    DWORD got = 0;
    int flags = 0;
    CHECK_WSA(tcp->Procs.lpWSPRecv(c, bt, sizeof bt, &got, &flags, &ot, NULL, lpErrno), WSA_IO_PENDING);
    CHECK_WSA(mem->Procs.lpWSPRecv(m, bm, sizeof bm, &got, &flags, &om, NULL, lpErrno), WSA_IO_PENDING);
    DWORD sent = 0;
    CHECK_OK(tcp->Procs.lpWSPSend(s, "abc", 3, &sent, 0, NULL, NULL, lpErrno));
    mem_send(from, 7201, "de");
    CHECK_EQ(WSAWaitForMultipleEvents(2, ev, TRUE, 2000, FALSE), WSA_WAIT_EVENT_0);
    DWORD n = 0, fl = 0;
    CHECK(WSAGetOverlappedResult(c, &ot, &n, TRUE, &fl));
    CHECK_EQ(n, 3);
    CHECK(WSAGetOverlappedResult(m, &om, &n, TRUE, &fl));
    CHECK_EQ(n, 2);
    /* closing aborts a pending one: WSA_OPERATION_ABORTED through the host */
    WSAResetEvent(ev[1]);
    CHECK_WSA(mem->Procs.lpWSPRecv(m, bm, sizeof bm, &got, &flags, &om, NULL, lpErrno), WSA_IO_PENDING);
    CHECK_OK(mem->Procs.lpWSPCloseSocket(m, lpErrno));
    CHECK_EQ(WSAWaitForMultipleEvents(1, &ev[1], FALSE, 2000, FALSE), WSA_WAIT_EVENT_0);
    CHECK_EQ(om.Internal, WSA_OPERATION_ABORTED);
    WSACloseEvent(ev[0]);
    WSACloseEvent(ev[1]);
    stop_both();
}

static void *other_thread_error(void *arg) {
    (void)arg;
    return (void *)(long)WSAGetLastError();
}

/* One last error per thread, whichever library is asked: the providers do
 * not define the host services, and every lookup finds libws2_32's. */
TEST(one_last_error_per_thread) {
    start_both();
    void *host = dlopen("libws2_32.so.2", RTLD_NOW | RTLD_NOLOAD);
    CHECK(host != NULL);
    const char *services[] = { "WSAGetLastError", "WSASetLastError", "WSACreateEvent", "SleepEx",
                               "WSAGetOverlappedResult", "WPUXxxQueueUserAPC32", "WPUXxxCreateSocketHandle", NULL };
    for (int i = 0; services[i]; i++) {
        void *h = dlsym(host, services[i]);
        CHECK(h != NULL);
        CHECK(dlsym(tcp->hLibrary, services[i]) == h);   /* found through the provider's dependency */
        CHECK(dlsym(mem->hLibrary, services[i]) == h);
        Dl_info info;
        CHECK(dladdr(h, &info) && strstr(info.dli_fname, "libws2_32.so.2") != NULL);
    }
    CHECK(dlsym(host, "WSPStartup") == NULL);        /* the DLL part has no WSP* entry point */
    WSASetLastError(12345);
    int (*get_via_tcp)(void) = (int (*)(void))dlsym(tcp->hLibrary, "WSAGetLastError");
    int (*get_via_mem)(void) = (int (*)(void))dlsym(mem->hLibrary, "WSAGetLastError");
    CHECK_EQ(get_via_tcp(), 12345);
    CHECK_EQ(get_via_mem(), 12345);
    pthread_t t;
    void *other = NULL;
    CHECK_EQ(pthread_create(&t, NULL, other_thread_error, NULL), 0);
    CHECK_EQ(pthread_join(t, &other), 0);
    CHECK_EQ((long)other, 0);
    /* a provider's failed call reports through lpErrno, not the last error */
    CHECK_WSA(mem->Procs.lpWSPCloseSocket(0x12345, lpErrno), WSAENOTSOCK);
    CHECK_EQ(WSAGetLastError(), 12345);
    dlclose(host);
    stop_both();
}

/* Upcall handles are one set for the process: unique whichever provider
 * id they are made for, and each keeps its own context. */
TEST(upcall_handles_unique_with_context) {
    start_both();
    enum { N = 64 };
    SOCKET u[N];
    int err = 0;
    for (int i = 0; i < N; i++) {
        u[i] = WPUXxxCreateSocketHandle(i % 2 ? id_mem : id_tcp, (void *)(long)(0x1000 + i), &err);
        CHECK(u[i] != INVALID_SOCKET);
        for (int j = 0; j < i; j++) CHECK(u[i] != u[j]);
    }
    SOCKET t = host_socket(AF_INET, SOCK_STREAM, 0, 0, tcp), m = host_socket(MEM_AF, SOCK_DGRAM, 0, 0, mem);
    for (int i = 0; i < N; i++) {
        CHECK(u[i] != t && u[i] != m);
        void *ctx = NULL;
        CHECK_OK(WPUXxxQuerySocketHandleContext(u[i], &ctx, lpErrno));
        CHECK(ctx == (void *)(long)(0x1000 + i));
        CHECK_OK(WPUXxxCloseSocketHandle(u[i], lpErrno));
    }
    stop_both();
}

/* WS2HostStartup routes each triple to the provider that declares it. */
TEST(host_routes_to_each) {
    start_both();
    const PROTOCOL_INFO *info = NULL;
    int err = 0;
    CHECK(WS2HostRoute(AF_INET, SOCK_STREAM, 0, &info, &err) == tcp);
    CHECK(WS2HostRoute(AF_INET, SOCK_DGRAM, IPPROTO_UDP, &info, &err) == tcp);
    CHECK(WS2HostRoute(MEM_AF, SOCK_DGRAM, 0, &info, &err) == mem);
    CHECK_EQ(info->iAddressFamily, MEM_AF);
    SOCKET m = host_socket(MEM_AF, SOCK_DGRAM, 0, 0, mem);
    SOCKET t = host_socket(AF_INET, SOCK_DGRAM, 0, 0, tcp);
    CHECK(m != t);
    CHECK_OK(mem->Procs.lpWSPCloseSocket(m, lpErrno));
    CHECK_OK(tcp->Procs.lpWSPCloseSocket(t, lpErrno));
    const WS2HOST_PROVIDER *none = tcp;
    CHECK_WSA(WS2HostSocket(MEM_AF, SOCK_STREAM, 0, 0, &none, lpErrno), WSAESOCKTNOSUPPORT);
    CHECK(none == NULL);
    stop_both();
}

static BOOL WSACALLBACK mem_hook(void) { return FALSE; }

/* What the memory provider does not implement answers through ProviderKit's
 * defaults: WSAEOPNOTSUPP while started, WSANOTINITIALISED after the last
 * clean-up. */
TEST(sdk_defaults_for_what_a_provider_lacks) {
    start_both();
    SOCKET m = host_socket(MEM_AF, SOCK_DGRAM, 0, 0, mem);
    CHECK_WSA(mem->Procs.lpWSPListen(m, 1, lpErrno), WSAEOPNOTSUPP);
    CHECK_WSA(mem->Procs.lpWSPShutdown(m, SD_BOTH, lpErrno), WSAEOPNOTSUPP);
    int v = 0, len = sizeof v;
    CHECK_WSA(mem->Procs.lpWSPGetSockOpt(m, SOL_SOCKET, SO_TYPE, (char *)&v, &len, lpErrno), WSAEOPNOTSUPP);
    CHECK_WSA(mem->Procs.lpWSPCancelBlockingCall32(lpErrno), WSAEINVAL);
    CHECK(!mem->Procs.lpWSPIsBlocking32());
    /* the blocking-hook API is ProviderKit's, for every provider */
    int herr = 0x7EADBEEF;
    CHECK(mem->Procs.lpWSPSetBlockingHook32(mem_hook, &herr) == NULL);
    CHECK_EQ(herr, 0x7EADBEEF);
    CHECK(mem->Procs.lpWSPSetBlockingHook32(mem_hook, &herr) == mem_hook);
    CHECK_OK(mem->Procs.lpWSPUnhookBlockingHook32(lpErrno));
    CHECK(mem->Procs.lpWSPSetBlockingHook32(NULL, &herr) == NULL);
    CHECK_EQ(herr, WSAEFAULT);
    WSADATA d;
    stop_both();
    /* every start-up undone: the defaults answer WSANOTINITIALISED */
    void *h = dlopen(mem_path(), RTLD_NOW | RTLD_NOLOAD);
    CHECK(h != NULL);
    int (*listen_)(SOCKET, int, int *) = (int (*)(SOCKET, int, int *))dlsym(h, "WSPListen");
    CHECK_WSA(listen_(m, 1, lpErrno), WSANOTINITIALISED);
    int (*startup)(WORD, LPWSADATA) = (int (*)(WORD, LPWSADATA))dlsym(h, "WSPStartup");
    CHECK_EQ(startup(MAKEWORD(2, 0), &d), 0);
    int (*cleanup)(LPCLEANUPPROC, DWORD, int *) = (int (*)(LPCLEANUPPROC, DWORD, int *))dlsym(h, "WSPCleanup");
    CHECK_OK(cleanup(NULL, 0, lpErrno));
    dlclose(h);
}

static int count_threads(void) {
    char cmd[64];
    snprintf(cmd, sizeof cmd, "ls /proc/%d/task | wc -l", (int)getpid());
    FILE *f = popen(cmd, "r");
    int n = -1;
    CHECK(f && fscanf(f, "%d", &n) == 1);
    pclose(f);
    return n;
}

/* The last WSPCleanup of each provider stops its event engine (the kit's
 * WSPCleanup does it for any provider that leaves it running): no thread is
 * left behind once the host has cleaned up. */
TEST(last_cleanup_stops_every_engine) {
    int before = count_threads();
    start_both();
    SOCKET c, s;
    tcp_pair(&c, &s, 0);
    SOCKET m = mem_bound(7101, 0);
    WSAEVENT e = WSACreateEvent();
    CHECK_OK(tcp->Procs.lpWSPEventSelect(s, e, FD_READ, lpErrno));
    CHECK_OK(mem->Procs.lpWSPEventSelect(m, e, FD_READ, lpErrno));
    int during = count_threads();
    /* the TCP provider's engine thread (the memory provider needs none) */
    if (during < before + 1) harness_fail(__FILE__, __LINE__, "threads: %d before, %d during", before, during);
    stop_both();
    CHECK_EQ(count_threads(), before);
    WSACloseEvent(e);
}
