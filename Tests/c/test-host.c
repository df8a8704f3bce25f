/* The host API of ws2spi.h (WS2HostStartup, WS2HostGetProvider, WS2HostRoute,
 * WS2HostSocket, WS2HostCleanup): a Winsock DLL's work on the catalog of
 * RULINGS §12, tested with real catalogs in temporary directories and the
 * installed libws2spi.so as the provider library.
 *
 * Facts encoded here:
 * - WS2HostStartup lists every catalog provider in catalog order; each one
 *   it could load is dlopen()ed, has every WSPxxx entry point in Procs and
 *   was started once with WSPStartup(2.0): iStatus 0, wVersion 2.0. One it
 *   could not load has iStatus WSASYSNOTREADY, NULL Procs and a one-line
 *   reason naming the library; nothing is routed to it.
 * - Routing: the first started provider with a PROTOCOL_INFO for (af, type,
 *   protocol), protocol 0 = the first of that af and type; otherwise
 *   WSAEAFNOSUPPORT / WSAESOCKTNOSUPPORT / WSAEPROTONOSUPPORT.
 * - WS2HostCleanup calls WSPCleanup once per started provider (so a host's
 *   start-ups are undone exactly), closes the upcall handles made for their
 *   ids, and ends the session; a new WS2HostStartup re-reads the catalog.
 * - Errors: WSANOTINITIALISED outside a session, WSAEINVAL for a second
 *   start-up, an empty path or an index past the end, WSAEFAULT for a NULL
 *   lplpProvider; a NULL lpErrno never crashes. */
#define _GNU_SOURCE
#include "harness.h"
#include <dlfcn.h>
#include <sys/stat.h>

static char dir[64], ini[128];

/* The installed library this test is linked against: what the catalog names. */
static const char *library_path(void) {
    Dl_info info;
    if (!dladdr((void *)WSPStartup, &info) || !info.dli_fname) harness_fail(__FILE__, __LINE__, "dladdr(WSPStartup) failed");
    return info.dli_fname;
}

static PROTOCOL_INFO tcp_info(void) {
    PROTOCOL_INFO p = { 0x1066, AF_INET, 16, 16, SOCK_STREAM, IPPROTO_TCP, 0, (char *)"TCP/IP" };
    return p;
}
static PROTOCOL_INFO udp_info(void) {
    PROTOCOL_INFO p = { 0x1609, AF_INET, 16, 16, SOCK_DGRAM, IPPROTO_UDP, 65507, (char *)"UDP/IP" };
    return p;
}

/* A fresh catalog in a temporary directory, named by $WINSOCK2_INI. */
static void new_catalog(void) {
    strcpy(dir, "/tmp/ws2host-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    snprintf(ini, sizeof ini, "%s/winsock2.ini", dir);
    CHECK_EQ(setenv("WINSOCK2_INI", ini, 1), 0);
}

static void remove_catalog(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_EQ(system(cmd), 0);
}

/* The two-provider catalog: "tcp-only" with the TCP entry, "udp-only" with UDP. */
static DWORD id_tcp, id_udp;
static void two_providers(void) {
    new_catalog();
    PROTOCOL_INFO t = tcp_info(), u = udp_info();
    id_tcp = t_install("tcp-only", library_path(), &t, 1);
    id_udp = t_install("udp-only", library_path(), &u, 1);
    CHECK(id_tcp != id_udp);
}

static const WS2HOST_PROVIDER *get(DWORD i) {
    int err = 0;
    const WS2HOST_PROVIDER *p = WS2HostGetProvider(i, &err);
    if (!p) harness_fail(__FILE__, __LINE__, "WS2HostGetProvider(%u) failed: %d", (unsigned)i, err);
    return p;
}

static const WS2HOST_PROVIDER *route(int af, int type, int protocol, const PROTOCOL_INFO **info) {
    int err = 0;
    const WS2HOST_PROVIDER *p = WS2HostRoute(af, type, protocol, info, &err);
    if (!p) harness_fail(__FILE__, __LINE__, "WS2HostRoute(%d, %d, %d) failed: %d", af, type, protocol, err);
    return p;
}

/* Loads both providers: listed in catalog order, started once each with
 * version 2.0, every field filled from the catalog and WSPStartup. */
TEST(startup_lists_and_starts_each_provider) {
    two_providers();
    DWORD n = 0;
    CHECK_OK(WS2HostStartup(NULL, &n, lpErrno));
    CHECK_EQ(n, 2);
    const WS2HOST_PROVIDER *a = get(0), *b = get(1);
    CHECK_WSA(WS2HostGetProvider(2, lpErrno) ? 0 : SOCKET_ERROR, WSAEINVAL);
    CHECK(strcmp(a->lpszName, "tcp-only") == 0);
    CHECK(strcmp(b->lpszName, "udp-only") == 0);
    CHECK_EQ(a->dwProviderId, id_tcp);
    CHECK_EQ(b->dwProviderId, id_udp);
    CHECK(strcmp(a->lpszPath, library_path()) == 0);
    CHECK(a->lpszDescription != NULL);
    for (int k = 0; k < 2; k++) {
        const WS2HOST_PROVIDER *p = k ? b : a;
        CHECK_EQ(p->iStatus, 0);
        CHECK(strcmp(p->lpszStatus, "started") == 0);
        CHECK_EQ(p->wVersion, MAKEWORD(2, 0));
        CHECK_EQ(p->wHighVersion, MAKEWORD(2, 0));
        CHECK_EQ(p->WSAData.wVersion, MAKEWORD(2, 0));
        CHECK(p->WSAData.szDescription[0] != '\0');
        CHECK(p->hLibrary != NULL);
        CHECK_EQ(p->dwNumProtocols, 1);
    }
    CHECK_EQ(a->lpProtocols[0].iSocketType, SOCK_STREAM);
    CHECK_EQ(a->lpProtocols[0].iProtocol, IPPROTO_TCP);
    CHECK_EQ(a->lpProtocols[0].dwServiceFlags, 0x1066);
    CHECK(strcmp(a->lpProtocols[0].lpProtocol, "TCP/IP") == 0);
    CHECK_EQ(b->lpProtocols[0].iSocketType, SOCK_DGRAM);
    CHECK_EQ(b->lpProtocols[0].iProtocol, IPPROTO_UDP);
    CHECK_EQ(b->lpProtocols[0].dwMessageSize, 65507);
    CHECK(strcmp(b->lpProtocols[0].lpProtocol, "UDP/IP") == 0);
    CHECK_OK(WS2HostCleanup(lpErrno));
    remove_catalog();
}

/* Procs holds each entry point of the loaded library, member by member. */
TEST(procs_are_the_library_entry_points) {
    two_providers();
    CHECK_OK(WS2HostStartup(ini, NULL, lpErrno));
    const WS2HOST_PROVIDER *p = get(0);
    void *h = dlopen(library_path(), RTLD_NOW | RTLD_NOLOAD);
    CHECK(h != NULL);
#define SAME(name) CHECK((void *)p->Procs.lp##name == dlsym(h, #name))
    SAME(WSPAccept); SAME(WSPAsyncSelect32); SAME(WSPBind); SAME(WSPCallbackSelect16);
    SAME(WSPCancelBlockingCall32); SAME(WSPCleanup); SAME(WSPCloseSocket); SAME(WSPConnect);
    SAME(WSPEnumNetworkEvents); SAME(WSPEventSelect); SAME(WSPGetPeerName); SAME(WSPGetSockName);
    SAME(WSPGetSockOpt); SAME(WSPIoctlSocket); SAME(WSPIsBlocking32); SAME(WSPListen); SAME(WSPRecv);
    SAME(WSPRecvFrom); SAME(WSPSelect); SAME(WSPSend); SAME(WSPSendTo); SAME(WSPSetBlockingHook32);
    SAME(WSPSetSockOpt); SAME(WSPShutdown); SAME(WSPSocket); SAME(WSPStartup); SAME(WSPUnhookBlockingHook32);
#undef SAME
    CHECK_EQ(sizeof(WS2HOST_PROCS), 27 * sizeof(void *));
    dlclose(h);
    CHECK_OK(WS2HostCleanup(lpErrno));
    remove_catalog();
}

/* Each triple goes to the provider whose PROTOCOL_INFO serves it. */
TEST(routes_by_family_type_protocol) {
    two_providers();
    CHECK_OK(WS2HostStartup(NULL, NULL, lpErrno));
    const PROTOCOL_INFO *info = NULL;
    const WS2HOST_PROVIDER *t = route(AF_INET, SOCK_STREAM, IPPROTO_TCP, &info);
    CHECK_EQ(t->dwProviderId, id_tcp);
    CHECK(info == &t->lpProtocols[0]);
    const WS2HOST_PROVIDER *u = route(AF_INET, SOCK_DGRAM, IPPROTO_UDP, &info);
    CHECK_EQ(u->dwProviderId, id_udp);
    CHECK_EQ(info->iProtocol, IPPROTO_UDP);
    /* protocol 0: the first entry of that family and type */
    CHECK(route(AF_INET, SOCK_STREAM, 0, NULL) == t);
    CHECK(route(AF_INET, SOCK_DGRAM, 0, &info) == u);
    CHECK_EQ(info->iProtocol, IPPROTO_UDP);
    CHECK_OK(WS2HostCleanup(lpErrno));
    remove_catalog();
}

/* Triples no provider serves, by what is missing. */
TEST(unknown_triples) {
    two_providers();
    CHECK_OK(WS2HostStartup(NULL, NULL, lpErrno));
    const PROTOCOL_INFO *info = (const PROTOCOL_INFO *)0x1;
#define ROUTE_FAILS(af, type, proto, code) \
    CHECK_WSA(WS2HostRoute(af, type, proto, &info, lpErrno) ? 0 : SOCKET_ERROR, code)
    ROUTE_FAILS(AF_UNIX, SOCK_STREAM, 0, WSAEAFNOSUPPORT);
    ROUTE_FAILS(12345, SOCK_DGRAM, IPPROTO_UDP, WSAEAFNOSUPPORT);
    ROUTE_FAILS(AF_INET, SOCK_RAW, 0, WSAESOCKTNOSUPPORT);
    ROUTE_FAILS(AF_INET, SOCK_SEQPACKET, 0, WSAESOCKTNOSUPPORT);
    ROUTE_FAILS(AF_INET, SOCK_STREAM, IPPROTO_UDP, WSAEPROTONOSUPPORT);
    ROUTE_FAILS(AF_INET, SOCK_DGRAM, IPPROTO_TCP, WSAEPROTONOSUPPORT);
    CHECK(info == (const PROTOCOL_INFO *)0x1);       /* untouched on failure */
    const WS2HOST_PROVIDER *p = (const WS2HOST_PROVIDER *)0x1;
    CHECK_WSA(WS2HostSocket(AF_INET, SOCK_RAW, 0, 0, &p, lpErrno), WSAESOCKTNOSUPPORT);
    CHECK(p == NULL);
    CHECK_OK(WS2HostCleanup(lpErrno));
    /* With only the TCP provider installed, UDP has no provider. */
    CHECK_OK(WPUDeinstallProvider(id_udp, lpErrno));
    CHECK_OK(WS2HostStartup(NULL, NULL, lpErrno));
    ROUTE_FAILS(AF_INET, SOCK_DGRAM, IPPROTO_UDP, WSAESOCKTNOSUPPORT);
    CHECK(route(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL)->dwProviderId == id_tcp);
#undef ROUTE_FAILS
    CHECK_OK(WS2HostCleanup(lpErrno));
    remove_catalog();
}

/* WS2HostSocket + the routed providers' Procs: a TCP and a UDP exchange
 * over loopback, each on its own provider. */
TEST(sockets_through_routed_providers) {
    two_providers();
    CHECK_OK(WS2HostStartup(NULL, NULL, lpErrno));
    const WS2HOST_PROVIDER *pl = NULL, *pc = NULL, *pu1 = NULL, *pu2 = NULL;
    int err = 0;
    SOCKET l = WS2HostSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, &pl, &err);
    CHECK(l != INVALID_SOCKET);
    CHECK_EQ(pl->dwProviderId, id_tcp);
    const WS2HOST_PROCS *tp = &pl->Procs;
    struct sockaddr_in a = t_loopback(0);
    int len = sizeof a;
    CHECK_OK(tp->lpWSPBind(l, (struct sockaddr *)&a, sizeof a, lpErrno));
    CHECK_OK(tp->lpWSPListen(l, 5, lpErrno));
    CHECK_OK(tp->lpWSPGetSockName(l, (struct sockaddr *)&a, &len, lpErrno));
    SOCKET c = WS2HostSocket(AF_INET, SOCK_STREAM, 0, 0, &pc, &err);
    CHECK(c != INVALID_SOCKET);
    CHECK(pc == pl);
    CHECK_OK(tp->lpWSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno));
    SOCKET s = tp->lpWSPAccept(l, NULL, NULL, NULL, 0, &err);
    CHECK(s != INVALID_SOCKET);
    char msg[] = "over tcp-only", buf[32] = { 0 };
    DWORD n = 0;
    int flags = 0;
    CHECK_OK(tp->lpWSPSend(c, msg, sizeof msg, &n, 0, NULL, NULL, lpErrno));
    CHECK_EQ(n, sizeof msg);
    CHECK_OK(tp->lpWSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno));
    CHECK_EQ(n, sizeof msg);
    CHECK(strcmp(buf, msg) == 0);
    int type = 0;
    len = sizeof type;
    CHECK_OK(tp->lpWSPGetSockOpt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &len, lpErrno));
    CHECK_EQ(type, SOCK_STREAM);

    SOCKET u1 = WS2HostSocket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, 0, &pu1, &err);
    SOCKET u2 = WS2HostSocket(AF_INET, SOCK_DGRAM, 0, 0, &pu2, &err);
    CHECK(u1 != INVALID_SOCKET && u2 != INVALID_SOCKET);
    CHECK_EQ(pu1->dwProviderId, id_udp);
    CHECK(pu2 == pu1);
    const WS2HOST_PROCS *up = &pu1->Procs;
    struct sockaddr_in b = t_loopback(0), from;
    len = sizeof b;
    CHECK_OK(up->lpWSPBind(u2, (struct sockaddr *)&b, sizeof b, lpErrno));
    CHECK_OK(up->lpWSPGetSockName(u2, (struct sockaddr *)&b, &len, lpErrno));
    char dg[] = "over udp-only";
    CHECK_OK(up->lpWSPSendTo(u1, dg, sizeof dg, &n, 0, &b, sizeof b, NULL, NULL, lpErrno));
    memset(buf, 0, sizeof buf);
    int fromlen = sizeof from;
    flags = 0;
    CHECK_OK(up->lpWSPRecvFrom(u2, buf, sizeof buf, &n, &flags, &from, &fromlen, NULL, NULL, lpErrno));
    CHECK_EQ(n, sizeof dg);
    CHECK(strcmp(buf, dg) == 0);
    CHECK_EQ(from.sin_addr.S_un.S_addr, t_htonl(INADDR_LOOPBACK));

    SOCKET all[] = { l, c, s, u1, u2 };
    for (int i = 0; i < 5; i++) CHECK_OK(tp->lpWSPCloseSocket(all[i], lpErrno));
    CHECK_OK(WS2HostCleanup(lpErrno));
    remove_catalog();
}

/* A provider whose library is missing, and one that is not a provider, are
 * listed with a clear reason and never routed to; the good one works. */
TEST(missing_library_and_non_provider) {
    new_catalog();
    PROTOCOL_INFO t = tcp_info(), u = udp_info();
    DWORD gone = t_install("gone", "/nonexistent/dir/libgone.so", &u, 1);
    DWORD libc = t_install("libc", "libc.so.6", &u, 1);
    DWORD good = t_install("good", library_path(), &t, 1);
    DWORD n = 0;
    CHECK_OK(WS2HostStartup(NULL, &n, lpErrno));
    CHECK_EQ(n, 3);
    const WS2HOST_PROVIDER *g = get(0), *c = get(1), *ok = get(2);
    CHECK_EQ(g->dwProviderId, gone);
    CHECK_EQ(g->iStatus, WSASYSNOTREADY);
    CHECK(strstr(g->lpszStatus, "/nonexistent/dir/libgone.so") != NULL);
    CHECK(strstr(g->lpszStatus, "No such file") != NULL);
    CHECK(g->hLibrary == NULL);
    CHECK(g->Procs.lpWSPStartup == NULL && g->Procs.lpWSPSocket == NULL);
    CHECK_EQ(g->wVersion, 0);
    CHECK_EQ(c->dwProviderId, libc);
    CHECK_EQ(c->iStatus, WSASYSNOTREADY);
    CHECK(strstr(c->lpszStatus, "WSPAccept") != NULL);
    CHECK(c->Procs.lpWSPAccept == NULL);
    CHECK_EQ(ok->dwProviderId, good);
    CHECK_EQ(ok->iStatus, 0);
    /* UDP is only offered by the two broken providers (AF_INET is served,
     * by the good one, so the missing part is the socket type). */
    CHECK_WSA(WS2HostRoute(AF_INET, SOCK_DGRAM, IPPROTO_UDP, NULL, lpErrno) ? 0 : SOCKET_ERROR, WSAESOCKTNOSUPPORT);
    CHECK(route(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL) == ok);
    CHECK_OK(WS2HostCleanup(lpErrno));
    remove_catalog();
}

/* A missing catalog file is an empty catalog; a path that cannot be read as
 * a file is an error; an empty path is WSAEINVAL. */
TEST(catalog_files) {
    new_catalog();
    DWORD n = 99;
    CHECK_OK(WS2HostStartup(ini, &n, lpErrno));             /* not created yet */
    CHECK_EQ(n, 0);
    CHECK_WSA(WS2HostGetProvider(0, lpErrno) ? 0 : SOCKET_ERROR, WSAEINVAL);
    CHECK_WSA(WS2HostRoute(AF_INET, SOCK_STREAM, 0, NULL, lpErrno) ? 0 : SOCKET_ERROR, WSAEAFNOSUPPORT);
    CHECK_OK(WS2HostCleanup(lpErrno));
    CHECK_WSA(WS2HostStartup(dir, &n, lpErrno), WSASYSNOTREADY);   /* a directory */
    CHECK_WSA(WS2HostStartup("", &n, lpErrno), WSAEINVAL);
    CHECK_WSA(WS2HostCleanup(lpErrno), WSANOTINITIALISED);          /* neither started */
    remove_catalog();
}

/* Outside a session every call is WSANOTINITIALISED; a second start-up is
 * WSAEINVAL; NULL pointers the call needs are WSAEFAULT; NULL lpErrno is safe. */
TEST(errors_and_null_arguments) {
    const WS2HOST_PROVIDER *p = NULL;
    CHECK_WSA(WS2HostCleanup(lpErrno), WSANOTINITIALISED);
    CHECK_WSA(WS2HostGetProvider(0, lpErrno) ? 0 : SOCKET_ERROR, WSANOTINITIALISED);
    CHECK_WSA(WS2HostRoute(AF_INET, SOCK_STREAM, 0, NULL, lpErrno) ? 0 : SOCKET_ERROR, WSANOTINITIALISED);
    CHECK_WSA(WS2HostSocket(AF_INET, SOCK_STREAM, 0, 0, &p, lpErrno), WSANOTINITIALISED);
    two_providers();
    CHECK_OK(WS2HostStartup(NULL, NULL, lpErrno));
    CHECK_WSA(WS2HostStartup(NULL, NULL, lpErrno), WSAEINVAL);
    CHECK_WSA(WS2HostSocket(AF_INET, SOCK_STREAM, 0, 0, NULL, lpErrno), WSAEFAULT);
    CHECK_EQ(WS2HostSocket(AF_INET, SOCK_STREAM, 0, 0, NULL, NULL), INVALID_SOCKET);
    CHECK(WS2HostGetProvider(7, NULL) == NULL);
    CHECK(WS2HostRoute(AF_INET, SOCK_RAW, 0, NULL, NULL) == NULL);
    CHECK_EQ(WS2HostStartup(NULL, NULL, NULL), SOCKET_ERROR);
    SOCKET s = WS2HostSocket(AF_INET, SOCK_STREAM, 0, 0, &p, NULL);
    CHECK(s != INVALID_SOCKET && p != NULL);
    CHECK_OK(p->Procs.lpWSPCloseSocket(s, lpErrno));
    CHECK_EQ(WS2HostCleanup(NULL), 0);
    CHECK_EQ(WS2HostCleanup(NULL), SOCKET_ERROR);
    remove_catalog();
}

/* WS2HostCleanup undoes exactly the host's start-ups: the test's own
 * WSPStartup survives it (one WSPCleanup per provider, not more), and
 * without it the provider is back to not initialised (not fewer). */
TEST(cleanup_once_per_provider) {
    two_providers();
    t_startup();                                            /* our own count: 1 */
    CHECK_OK(WS2HostStartup(NULL, NULL, lpErrno));           /* + 2 */
    CHECK_OK(WS2HostCleanup(lpErrno));                       /* - 2 */
    SOCKET s = t_socket(SOCK_STREAM);                        /* still started */
    CHECK_OK(WSPCloseSocket(s, lpErrno));
    t_cleanup();
    CHECK_WSA(WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, lpErrno), WSANOTINITIALISED);
    /* The host alone: its clean-up is the last one, which closes its sockets. */
    CHECK_OK(WS2HostStartup(NULL, NULL, lpErrno));
    const WS2HOST_PROVIDER *p = NULL;
    int err = 0;
    SOCKET h = WS2HostSocket(AF_INET, SOCK_DGRAM, 0, 0, &p, &err);
    CHECK(h != INVALID_SOCKET);
    CHECK_OK(WS2HostCleanup(lpErrno));
    CHECK_WSA(WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, lpErrno), WSANOTINITIALISED);
    t_startup();
    CHECK_WSA(WSPCloseSocket(h, lpErrno), WSAENOTSOCK);
    t_cleanup();
    remove_catalog();
}

/* WS2HostCleanup closes the upcall handles made for its providers' ids and
 * leaves others alone. */
TEST(cleanup_closes_providers_upcall_handles) {
    two_providers();
    CHECK_OK(WS2HostStartup(NULL, NULL, lpErrno));
    int err = 0;
    SOCKET mine = WPUXxxCreateSocketHandle(id_tcp, (void *)0x10, &err);
    SOCKET theirs = WPUXxxCreateSocketHandle(id_tcp + id_udp + 1000, (void *)0x20, &err);
    CHECK(mine != INVALID_SOCKET && theirs != INVALID_SOCKET);
    CHECK_OK(WS2HostCleanup(lpErrno));
    void *ctx = NULL;
    CHECK_WSA(WPUXxxQuerySocketHandleContext(mine, &ctx, lpErrno), WSAENOTSOCK);
    CHECK_OK(WPUXxxQuerySocketHandleContext(theirs, &ctx, lpErrno));
    CHECK(ctx == (void *)0x20);
    CHECK_OK(WPUXxxCloseSocketHandle(theirs, lpErrno));
    remove_catalog();
}

/* A session ends and a new one re-reads the catalog. */
TEST(restart_rereads_catalog) {
    two_providers();
    DWORD n = 0;
    CHECK_OK(WS2HostStartup(NULL, &n, lpErrno));
    CHECK_EQ(n, 2);
    CHECK_OK(WS2HostCleanup(lpErrno));
    CHECK_OK(WPUDeinstallProvider(id_tcp, lpErrno));
    CHECK_OK(WS2HostStartup(NULL, &n, lpErrno));
    CHECK_EQ(n, 1);
    CHECK(strcmp(get(0)->lpszName, "udp-only") == 0);
    CHECK_WSA(WS2HostRoute(AF_INET, SOCK_STREAM, 0, NULL, lpErrno) ? 0 : SOCKET_ERROR, WSAESOCKTNOSUPPORT);
    CHECK_OK(WS2HostCleanup(lpErrno));
    remove_catalog();
}

/* Routing and socket creation from several threads at once. */
static void *route_many(void *arg) {
    (void)arg;
    for (int i = 0; i < 200; i++) {
        const WS2HOST_PROVIDER *p = NULL;
        int err = 0;
        int type = i % 2 ? SOCK_DGRAM : SOCK_STREAM;
        SOCKET s = WS2HostSocket(AF_INET, type, 0, 0, &p, &err);
        if (s == INVALID_SOCKET || p == NULL || p->lpProtocols[0].iSocketType != type) return (void *)1;
        if (p->Procs.lpWSPCloseSocket(s, &err) != 0) return (void *)1;
    }
    return NULL;
}

TEST(threads_route_concurrently) {
    two_providers();
    CHECK_OK(WS2HostStartup(NULL, NULL, lpErrno));
    pthread_t th[6];
    for (int i = 0; i < 6; i++) CHECK_EQ(pthread_create(&th[i], NULL, route_many, NULL), 0);
    for (int i = 0; i < 6; i++) {
        void *r = NULL;
        pthread_join(th[i], &r);
        CHECK(r == NULL);
    }
    CHECK_OK(WS2HostCleanup(lpErrno));
    remove_catalog();
}
