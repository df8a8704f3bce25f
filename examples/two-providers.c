/*
 * two-providers.c: a C host that finds its providers in the catalog, loads
 * them and routes sockets to them, with the host API of ws2spi.h.
 *
 * It writes a temporary catalog (WINSOCK2_INI in a temporary directory) and
 * installs the TCP/IP provider into it twice with WPUInstallProvider: as
 * "tcp-only" with only the TCP PROTOCOL_INFO and as "udp-only" with only the
 * UDP one. Then, as a Winsock DLL would:
 *
 *   WS2HostStartup      reads the catalog, dlopen()s each ProviderFilename,
 *                       calls each provider's WSPStartup once (version 2.0)
 *   WS2HostGetProvider  what was loaded and negotiated: name, id, path,
 *                       version, WSPStartup's description, protocols
 *   WS2HostSocket       routes (af, type, protocol) to the provider whose
 *                       PROTOCOL_INFO serves it and calls its WSPSocket;
 *                       every later call goes through that provider's Procs
 *   WS2HostCleanup      WSPCleanup once per provider, dlclose
 *
 * and runs a TCP exchange through the provider the TCP socket was routed to
 * and a UDP exchange through the UDP one, over 127.0.0.1.
 *
 *   build/examples/two-providers [--provider PATH] [--keep]
 *   build/examples/two-providers --self-test
 *   build/examples/two-providers --catalog FILE     load an existing catalog
 *
 * PATH is the provider library to install (default: the libws2spi.so this
 * program is linked against). The host API (WS2Host*, WPUInstallProvider)
 * is libws2_32.so.2's, the WSP* calls go to the loaded providers; both
 * libraries come with `pkg-config --libs ws2spi`. Tests/c/test-providers.c
 * loads two different provider libraries this way. --keep leaves the temporary catalog in place.
 * --self-test also checks that each socket went to the right provider, that
 * both providers negotiated 2.0 and that the data came back intact; it ends
 * with "two-providers self-test: PASS" (exit 0) or "... FAIL" (exit 1).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ws2spi.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int self_test;
static int failures;

/* A self-test check: quiet when it holds, a FAIL line when it does not. */
static void expect(int ok, const char *what)
{
    if (ok) return;
    failures++;
    printf("  FAIL: %s\n", what);
}

/* A host API or WSP call that failed: report it and count a failure. */
static void failed(const char *call, int err)
{
    failures++;
    printf("  FAIL: %s failed with error %d\n", call, err);
}

static u_short to_net16(u_short v) { return (u_short)((v >> 8) | (v << 8)); }

static struct sockaddr_in loopback(void)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.S_un.S_un_b.s_b1 = 127;
    a.sin_addr.S_un.S_un_b.s_b4 = 1;
    return a;
}

static const char *type_name(int type)
{
    return type == SOCK_STREAM ? "SOCK_STREAM" : type == SOCK_DGRAM ? "SOCK_DGRAM" : "?";
}

/* ------------------------------------------------------------------------ */
/* What the host loaded and negotiated                                      */

static void print_provider(DWORD i, const WS2HOST_PROVIDER *p)
{
    printf("provider %u: %s\n", (unsigned)i, p->lpszName);
    printf("  id           %u\n", (unsigned)p->dwProviderId);
    printf("  path         %s\n", p->lpszPath);
    printf("  status       %s\n", p->lpszStatus);
    if (p->iStatus == 0) {
        printf("  version      %u.%u (provider's highest %u.%u)\n",
               LOBYTE(p->wVersion), HIBYTE(p->wVersion), LOBYTE(p->wHighVersion), HIBYTE(p->wHighVersion));
        printf("  description  %s\n", p->WSAData.szDescription);
        printf("  system       %s, at most %u sockets, UDP datagrams up to %u bytes\n",
               p->WSAData.szSystemStatus, (unsigned)p->WSAData.iMaxSockets, (unsigned)p->WSAData.iMaxUdpDg);
    }
    for (DWORD k = 0; k < p->dwNumProtocols; k++) {
        const PROTOCOL_INFO *e = &p->lpProtocols[k];
        printf("  protocol %u   %s: af %d, %s, protocol %d, flags 0x%04x, addresses %d..%d bytes\n",
               (unsigned)k, e->lpProtocol, e->iAddressFamily, type_name(e->iSocketType), e->iProtocol,
               (unsigned)e->dwServiceFlags, e->iMinSockAddr, e->iMaxSockAddr);
    }
}

/* ------------------------------------------------------------------------ */
/* Loopback exchanges, each through the provider its sockets were routed to */

static const WS2HOST_PROVIDER *tcp_exchange(void)
{
    const WS2HOST_PROVIDER *p = NULL, *p2 = NULL;
    int err = 0;
    SOCKET l = WS2HostSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, &p, &err);
    if (l == INVALID_SOCKET) { failed("WS2HostSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP)", err); return NULL; }
    printf("TCP socket %u routed to %s (id %u)\n", (unsigned)l, p->lpszName, (unsigned)p->dwProviderId);
    const WS2HOST_PROCS *wsp = &p->Procs;
    SOCKET c = INVALID_SOCKET, s = INVALID_SOCKET;
    struct sockaddr_in a = loopback();
    int len = sizeof a;
    const char msg[] = "hello through the TCP provider";
    char buf[64] = { 0 };
    DWORD n = 0, got = 0;
    int flags = 0;
    if (wsp->lpWSPBind(l, (struct sockaddr *)&a, sizeof a, &err) != 0) { failed("WSPBind", err); goto out; }
    if (wsp->lpWSPListen(l, 1, &err) != 0) { failed("WSPListen", err); goto out; }
    if (wsp->lpWSPGetSockName(l, (struct sockaddr *)&a, &len, &err) != 0) { failed("WSPGetSockName", err); goto out; }
    c = WS2HostSocket(AF_INET, SOCK_STREAM, 0, 0, &p2, &err);
    if (c == INVALID_SOCKET) { failed("WS2HostSocket(AF_INET, SOCK_STREAM, 0)", err); goto out; }
    expect(p2 == p, "both TCP sockets on one provider");
    if (wsp->lpWSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, &err) != 0) { failed("WSPConnect", err); goto out; }
    s = wsp->lpWSPAccept(l, NULL, NULL, NULL, 0, &err);
    if (s == INVALID_SOCKET) { failed("WSPAccept", err); goto out; }
    if (wsp->lpWSPSend(c, (LPVOID)msg, sizeof msg, &n, 0, NULL, NULL, &err) != 0) { failed("WSPSend", err); goto out; }
    while (got < sizeof msg) {
        DWORD k = 0;
        flags = 0;
        if (wsp->lpWSPRecv(s, buf + got, (DWORD)(sizeof buf - got), &k, &flags, NULL, NULL, &err) != 0) { failed("WSPRecv", err); goto out; }
        if (k == 0) break;
        got += k;
    }
    printf("  127.0.0.1:%u: sent \"%s\", received \"%s\"\n", to_net16(a.sin_port), msg, buf);
    expect(got == sizeof msg && memcmp(buf, msg, sizeof msg) == 0, "the TCP data came back intact");
out:
    if (s != INVALID_SOCKET) wsp->lpWSPCloseSocket(s, &err);
    if (c != INVALID_SOCKET) wsp->lpWSPCloseSocket(c, &err);
    wsp->lpWSPCloseSocket(l, &err);
    return p;
}

static const WS2HOST_PROVIDER *udp_exchange(void)
{
    const WS2HOST_PROVIDER *p = NULL, *p2 = NULL;
    int err = 0;
    SOCKET a = WS2HostSocket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, 0, &p, &err);
    if (a == INVALID_SOCKET) { failed("WS2HostSocket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)", err); return NULL; }
    printf("UDP socket %u routed to %s (id %u)\n", (unsigned)a, p->lpszName, (unsigned)p->dwProviderId);
    const WS2HOST_PROCS *wsp = &p->Procs;
    SOCKET b = WS2HostSocket(AF_INET, SOCK_DGRAM, 0, 0, &p2, &err);
    struct sockaddr_in to = loopback(), from;
    int len = sizeof to, fromlen = sizeof from, flags = 0;
    const char msg[] = "hello through the UDP provider";
    char buf[64] = { 0 };
    DWORD n = 0;
    if (b == INVALID_SOCKET) { failed("WS2HostSocket(AF_INET, SOCK_DGRAM, 0)", err); goto out; }
    expect(p2 == p, "both UDP sockets on one provider");
    if (wsp->lpWSPBind(b, (struct sockaddr *)&to, sizeof to, &err) != 0) { failed("WSPBind", err); goto out; }
    if (wsp->lpWSPGetSockName(b, (struct sockaddr *)&to, &len, &err) != 0) { failed("WSPGetSockName", err); goto out; }
    if (wsp->lpWSPSendTo(a, (LPVOID)msg, sizeof msg, &n, 0, &to, sizeof to, NULL, NULL, &err) != 0) { failed("WSPSendTo", err); goto out; }
    if (wsp->lpWSPRecvFrom(b, buf, sizeof buf, &n, &flags, &from, &fromlen, NULL, NULL, &err) != 0) { failed("WSPRecvFrom", err); goto out; }
    printf("  127.0.0.1:%u: sent \"%s\", received \"%s\" from port %u\n",
           to_net16(to.sin_port), msg, buf, to_net16(from.sin_port));
    expect(n == sizeof msg && memcmp(buf, msg, sizeof msg) == 0, "the UDP datagram came back intact");
out:
    if (b != INVALID_SOCKET) wsp->lpWSPCloseSocket(b, &err);
    wsp->lpWSPCloseSocket(a, &err);
    return p;
}

/* ------------------------------------------------------------------------ */

static void usage(const char *argv0)
{
    fprintf(stderr, "usage: %s [--self-test] [--provider PATH] [--keep] | --catalog FILE\n", argv0);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *provider = NULL, *catalog = NULL;
    int keep = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--self-test") == 0) self_test = 1;
        else if (strcmp(argv[i], "--keep") == 0) keep = 1;
        else if (strcmp(argv[i], "--provider") == 0 && i + 1 < argc) provider = argv[++i];
        else if (strcmp(argv[i], "--catalog") == 0 && i + 1 < argc) catalog = argv[++i];
        else usage(argv[0]);
    }
    if (catalog && (self_test || keep)) usage(argv[0]);   /* the self-test makes its own catalog */
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* The provider library: by default the libws2spi.so we are linked to. */
    Dl_info self;
    if (!provider) {
        int (WSPAPI *startup)(WORD, LPWSADATA) = WSPStartup;
        void *where;
        memcpy(&where, &startup, sizeof where);   /* ISO C has no function-to-object cast */
        if (!dladdr(where, &self) || !self.dli_fname) {
            fprintf(stderr, "two-providers: cannot find the path of libws2spi.so; use --provider PATH\n");
            return 1;
        }
        provider = self.dli_fname;
    }

    char dir[] = "/tmp/two-providers-XXXXXX", ini[sizeof dir + 16];
    DWORD id_tcp = 0, id_udp = 0;
    int err = 0;
    if (!catalog) {
        if (!mkdtemp(dir)) { perror("two-providers: mkdtemp"); return 1; }
        snprintf(ini, sizeof ini, "%s/winsock2.ini", dir);
        setenv("WINSOCK2_INI", ini, 1);     /* WPUInstallProvider writes here */
        catalog = ini;
        PROTOCOL_INFO tcp = { XP_GUARANTEED_DELIVERY | XP_GUARANTEED_ORDER | XP_GRACEFUL_CLOSE |
                              XP_EXPEDITED_DATA | XP_FRAGMENTATION,
                              AF_INET, sizeof(struct sockaddr_in), sizeof(struct sockaddr_in),
                              SOCK_STREAM, IPPROTO_TCP, 0, (LPSTR)"TCP/IP" };
        PROTOCOL_INFO udp = { XP_CONNECTIONLESS | XP_MESSAGE_ORIENTED | XP_SUPPORTS_BROADCAST |
                              XP_SUPPORTS_MULTICAST | XP_FRAGMENTATION,
                              AF_INET, sizeof(struct sockaddr_in), sizeof(struct sockaddr_in),
                              SOCK_DGRAM, IPPROTO_UDP, 65507, (LPSTR)"UDP/IP" };
        if (WPUInstallProvider("tcp-only", provider, &tcp, 1, &id_tcp, &err) != 0 ||
            WPUInstallProvider("udp-only", provider, &udp, 1, &id_udp, &err) != 0) {
            fprintf(stderr, "two-providers: WPUInstallProvider into %s failed with error %d\n", ini, err);
            return 1;
        }
        printf("catalog %s: installed %s as tcp-only (id %u, TCP) and udp-only (id %u, UDP)\n\n",
               ini, provider, (unsigned)id_tcp, (unsigned)id_udp);
    }

    DWORD n = 0;
    if (WS2HostStartup(catalog, &n, &err) != 0) {
        fprintf(stderr, "two-providers: WS2HostStartup(%s) failed with error %d\n", catalog, err);
        return 1;
    }
    printf("loaded %u provider%s from %s\n", (unsigned)n, n == 1 ? "" : "s", catalog);
    for (DWORD i = 0; i < n; i++) {
        const WS2HOST_PROVIDER *p = WS2HostGetProvider(i, &err);
        if (!p) { failed("WS2HostGetProvider", err); continue; }
        print_provider(i, p);
        if (self_test) {
            expect(p->iStatus == 0, "the provider started");
            expect(p->wVersion == MAKEWORD(2, 0), "version 2.0 negotiated");
            expect(p->WSAData.szDescription[0] != '\0', "WSPStartup gave a description");
        }
    }
    printf("\n");

    const WS2HOST_PROVIDER *t = tcp_exchange();
    const WS2HOST_PROVIDER *u = udp_exchange();
    if (self_test) {
        expect(n == 2, "two providers in the catalog");
        expect(t && strcmp(t->lpszName, "tcp-only") == 0 && t->dwProviderId == id_tcp, "TCP went to tcp-only");
        expect(u && strcmp(u->lpszName, "udp-only") == 0 && u->dwProviderId == id_udp, "UDP went to udp-only");
    }

    if (WS2HostCleanup(&err) != 0) failed("WS2HostCleanup", err);
    else printf("\nWS2HostCleanup: WSPCleanup once per provider, libraries closed\n");

    if (catalog == ini) {
        if (keep) printf("kept the catalog %s\n", ini);
        else {
            char lock[sizeof ini + 8];
            snprintf(lock, sizeof lock, "%s.lock", ini);   /* WPUInstallProvider's lock file */
            unlink(ini);
            unlink(lock);
            if (rmdir(dir) != 0) fprintf(stderr, "two-providers: could not remove %s\n", dir);
        }
    }
    if (self_test) printf("two-providers self-test: %s\n", failures ? "FAIL" : "PASS");
    return failures ? 1 : 0;
}
