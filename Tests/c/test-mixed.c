/* A mixed-provider server: a TCP listener (libws2spi.so.2) and an AF_UNIX
 * listener (libws2unix.so.2), both loaded by WS2HostStartup from one
 * catalog, served by one event loop of the host API: one event object
 * selected by every socket of both providers, or one message window that
 * gets the messages of both.  Clients of both families connect, send a line,
 * read it back (echo) and close; the loop accepts, echoes and closes. */
#include "harness.h"
#include <stddef.h>
#include <sys/stat.h>

static const WS2HOST_PROVIDER *tcp, *ux;
static char sockdir[64];

static void start_both(void) {
    t_new_catalog(NULL);
    PROTOCOL_INFO t[2] = {
        { 0x1066, AF_INET, 16, 16, SOCK_STREAM, IPPROTO_TCP, 0, (char *)"TCP/IP" },
        { 0x1609, AF_INET, 16, 16, SOCK_DGRAM, IPPROTO_UDP, 65507, (char *)"UDP/IP" },
    };
    PROTOCOL_INFO u[2] = {
        { XP_GUARANTEED_DELIVERY | XP_GUARANTEED_ORDER | XP_GRACEFUL_CLOSE, AF_UNIX, 110, 2, SOCK_STREAM, 0, 0, (char *)"AF_UNIX stream" },
        { XP_CONNECTIONLESS | XP_MESSAGE_ORIENTED, AF_UNIX, 110, 2, SOCK_DGRAM, 0, 65535, (char *)"AF_UNIX datagram" },
    };
    t_install("tcpip", t_installed_lib("libws2spi.so.2"), t, 2);
    t_install("unix", t_installed_lib("libws2unix.so.2"), u, 2);
    DWORD n = 0;
    CHECK_OK(WS2HostStartup(NULL, &n, lpErrno));
    CHECK_EQ(n, 2);
    int err = 0;
    tcp = WS2HostGetProvider(0, &err);
    ux = WS2HostGetProvider(1, &err);
    CHECK(tcp && ux && tcp->iStatus == 0 && ux->iStatus == 0);
    strcpy(sockdir, "/tmp/ws2mixed-XXXXXX");
    CHECK(mkdtemp(sockdir) != NULL);
}

static void stop_both(void) {
    CHECK_OK(WS2HostCleanup(lpErrno));
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", sockdir);
    CHECK_EQ(system(cmd), 0);
    t_drop_catalog();
}

/* The provider behind a socket: WS2HostSocket routes by (af, type). */
static SOCKET host_socket(int af, const WS2HOST_PROVIDER *want) {
    const WS2HOST_PROVIDER *p = NULL;
    int err = 0;
    SOCKET s = WS2HostSocket(af, SOCK_STREAM, 0, 0, &p, &err);
    if (s == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "WS2HostSocket(%d) failed: %d", af, err);
    CHECK(p == want);
    return s;
}

/* ---- the server: up to 16 sockets of either provider ---- */
enum { MAXS = 16, CLIENTS = 6 };
struct conn { SOCKET s; const WS2HOST_PROVIDER *p; int listener; };
static struct conn conns[MAXS];
static int nconns;
static volatile int served;

static void add(SOCKET s, const WS2HOST_PROVIDER *p, int listener) {
    CHECK(nconns < MAXS);
    conns[nconns++] = (struct conn){ s, p, listener };
}

static void drop(int i) {
    CHECK_OK(conns[i].p->Procs.lpWSPCloseSocket(conns[i].s, lpErrno));
    conns[i] = conns[--nconns];
}

/* One socket's events, by either model: accept, echo, close. Returns
 * whether socket i was dropped. */
static int handle(int i, long events, int error, int (*select_fn)(struct conn *)) {
    struct conn *c = &conns[i];
    if (events & FD_ACCEPT) {
        CHECK_EQ(error, 0);
        int err = 0;
        SOCKET s = c->p->Procs.lpWSPAccept(c->s, NULL, NULL, NULL, 0, &err);
        if (s == INVALID_SOCKET) { CHECK_EQ(err, WSAEWOULDBLOCK); return 0; }
        add(s, c->p, 0);
        CHECK_EQ(select_fn(&conns[nconns - 1]), 0);   /* a selection of its own (it inherited the listener's) */
    }
    if (events & FD_READ) {
        char buf[256];
        DWORD n = 0;
        int flags = 0, err = 0;
        if (c->p->Procs.lpWSPRecv(c->s, buf, sizeof buf, &n, &flags, NULL, NULL, &err) == 0 && n > 0) {
            DWORD sent = 0;
            CHECK_OK(c->p->Procs.lpWSPSend(c->s, buf, n, &sent, 0, NULL, NULL, lpErrno));
            CHECK_EQ(sent, n);
        }
    }
    if (events & FD_CLOSE) {
        served++;
        drop(i);
        return 1;
    }
    return 0;
}

/* ---- the clients: threads with their own provider calls ---- */
struct client { const WS2HOST_PROVIDER *p; int af; struct sockaddr_in in; SOCKADDR_UN un; int unlen; int id; int ok; };

static void *client_main(void *arg) {
    struct client *c = arg;
    SOCKET s = host_socket(c->af, c->p);
    if (c->af == AF_INET) CHECK_OK(c->p->Procs.lpWSPConnect(s, (struct sockaddr *)&c->in, sizeof c->in, NULL, NULL, 0, NULL, NULL, lpErrno));
    else CHECK_OK(c->p->Procs.lpWSPConnect(s, (struct sockaddr *)&c->un, c->unlen, NULL, NULL, 0, NULL, NULL, lpErrno));
    char line[64], back[64];
    int len = snprintf(line, sizeof line, "client %d over %s", c->id, c->af == AF_INET ? "tcp" : "unix");
    DWORD n = 0;
    CHECK_OK(c->p->Procs.lpWSPSend(s, line, (DWORD)len, &n, 0, NULL, NULL, lpErrno));
    DWORD got = 0;
    while (got < (DWORD)len) {
        int flags = 0;
        CHECK_OK(c->p->Procs.lpWSPRecv(s, back + got, sizeof back - got, &n, &flags, NULL, NULL, lpErrno));
        CHECK(n > 0);
        got += n;
    }
    c->ok = got == (DWORD)len && memcmp(line, back, (size_t)len) == 0;
    CHECK_OK(c->p->Procs.lpWSPCloseSocket(s, lpErrno));
    return NULL;
}

/* Two listeners, one per provider, and CLIENTS client threads alternating
 * between them; returns the thread handles in t. */
static void listen_both(struct client *cl, pthread_t *t, int (*select_fn)(struct conn *)) {
    SOCKET lt = host_socket(AF_INET, tcp);
    struct sockaddr_in in = t_loopback(0);
    CHECK_OK(tcp->Procs.lpWSPBind(lt, (struct sockaddr *)&in, sizeof in, lpErrno));
    int len = sizeof in;
    CHECK_OK(tcp->Procs.lpWSPGetSockName(lt, (struct sockaddr *)&in, &len, lpErrno));
    CHECK_OK(tcp->Procs.lpWSPListen(lt, 8, lpErrno));
    SOCKET lu = host_socket(AF_UNIX, ux);
    SOCKADDR_UN un;
    memset(&un, 0, sizeof un);
    un.sun_family = AF_UNIX;
    snprintf(un.sun_path, sizeof un.sun_path, "%s/echo", sockdir);
    int unlen = (int)(offsetof(SOCKADDR_UN, sun_path) + strlen(un.sun_path) + 1);
    CHECK_OK(ux->Procs.lpWSPBind(lu, (struct sockaddr *)&un, unlen, lpErrno));
    CHECK_OK(ux->Procs.lpWSPListen(lu, 8, lpErrno));
    add(lt, tcp, 1);
    add(lu, ux, 1);
    CHECK_EQ(select_fn(&conns[0]), 0);
    CHECK_EQ(select_fn(&conns[1]), 0);
    for (int i = 0; i < CLIENTS; i++) {
        cl[i] = (struct client){ i % 2 ? ux : tcp, i % 2 ? AF_UNIX : AF_INET, in, un, unlen, i, 0 };
        CHECK_EQ(pthread_create(&t[i], NULL, client_main, &cl[i]), 0);
    }
}

/* ---- one event object ---- */
static WSAEVENT the_event;
static int select_event(struct conn *c) {
    int err = 0;
    return c->p->Procs.lpWSPEventSelect(c->s, the_event, c->listener ? FD_ACCEPT : FD_READ | FD_CLOSE, &err);
}

TEST(one_event_serves_tcp_and_unix) {
    start_both();
    the_event = WSACreateEvent();
    CHECK(the_event != NULL);
    struct client cl[CLIENTS];
    pthread_t t[CLIENTS];
    listen_both(cl, t, select_event);
    double deadline = t_now() + 10;
    int again = 0;
    while (served < CLIENTS && t_now() < deadline) {
        /* Every enumeration resets the shared event: a socket accepted in a
         * pass (its selection may have set the event already) gets a pass
         * of its own before the loop waits again. */
        if (!again) {
            DWORD r = WSAWaitForMultipleEvents(1, &the_event, FALSE, 500, FALSE);
            if (r == WSA_WAIT_TIMEOUT) continue;
            CHECK_EQ(r, WSA_WAIT_EVENT_0);
        }
        int before = nconns + served;
        /* the one event says "something happened": ask every socket */
        for (int i = nconns - 1; i >= 0; i--) {
            WSANETWORKEVENT ev[FD_MAX_EVENTS];
            int n = FD_MAX_EVENTS;
            CHECK_OK(conns[i].p->Procs.lpWSPEnumNetworkEvents(conns[i].s, the_event, ev, &n, lpErrno));
            long events = 0;
            for (int b = 0; b < FD_MAX_EVENTS; b++) if (ev[b].Fired) events |= 1L << b;
            if (events) handle(i, events, ev[FD_ACCEPT_BIT].Fired ? ev[FD_ACCEPT_BIT].ErrorCode : 0, select_event);
        }
        again = nconns + served > before;   /* a connection was accepted */
    }
    for (int i = 0; i < CLIENTS; i++) pthread_join(t[i], NULL);
    CHECK_EQ(served, CLIENTS);
    for (int i = 0; i < CLIENTS; i++) CHECK(cl[i].ok);
    CHECK_EQ(nconns, 2);   /* the listeners */
    WSACloseEvent(the_event);
    stop_both();
}

/* ---- one message window ---- */
#define WM_NET (0x400 + 7)
static HWND the_window;
static int select_window(struct conn *c) {
    int err = 0;
    return c->p->Procs.lpWSPAsyncSelect32(c->s, the_window, WM_NET, c->listener ? FD_ACCEPT : FD_READ | FD_CLOSE, &err);
}

TEST(one_window_serves_tcp_and_unix) {
    start_both();
    the_window = WS2CreateMessageWindow();
    CHECK(the_window != NULL);
    struct client cl[CLIENTS];
    pthread_t t[CLIENTS];
    listen_both(cl, t, select_window);
    double deadline = t_now() + 10;
    int tcp_msgs = 0, unix_msgs = 0;
    while (served < CLIENTS && t_now() < deadline) {
        WS2MSG m;
        if (!WS2GetMessage(&m, the_window, 500)) continue;
        CHECK_EQ(m.message, WM_NET);
        /* wParam names the socket: find it (SOCKET values never meet across providers) */
        int i = 0;
        while (i < nconns && conns[i].s != (SOCKET)m.wParam) i++;
        if (i == nconns) continue;   /* a message for a socket already closed */
        if (conns[i].p == tcp) tcp_msgs++; else unix_msgs++;
        handle(i, WSAGETSELECTEVENT(m.lParam), WSAGETSELECTERROR(m.lParam), select_window);
    }
    for (int i = 0; i < CLIENTS; i++) pthread_join(t[i], NULL);
    CHECK_EQ(served, CLIENTS);
    for (int i = 0; i < CLIENTS; i++) CHECK(cl[i].ok);
    CHECK(tcp_msgs > 0 && unix_msgs > 0);
    WS2DestroyMessageWindow(the_window);
    stop_both();
}
