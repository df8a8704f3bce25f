/* WSPAsyncSelect32: window messages (WS2CreateMessageWindow / WS2GetMessage),
 * one message per event, error words, cancelling, order, inheritance, and
 * destroyed windows.  Draft §3.1.2.12 (WSPAsyncSelect32); RULINGS §6, §7. */
#include "harness.h"

#define WM_SOCKET  (0x400 + 1)
#define WM_SOCKET2 (0x400 + 2)

static HWND window(void) {
    HWND h = WS2CreateMessageWindow();
    CHECK(h != NULL);
    return h;
}

/* The next message for h within ms, checked to be for h; 0 on timeout. */
static int get_msg(HWND h, DWORD ms, WS2MSG *m) {
    memset(m, 0, sizeof *m);
    if (!WS2GetMessage(m, h, ms)) return 0;
    CHECK(m->hwnd == h);
    return 1;
}

/* Waits for a message with event ev for socket s (skipping others for other
 * events, e.g. FD_WRITE); returns its error word. */
static int expect_msg(HWND h, SOCKET s, UINT wm, int ev, DWORD ms) {
    double deadline = t_now() + ms / 1000.0;
    WS2MSG m;
    for (;;) {
        double left = deadline - t_now();
        if (left <= 0 || !get_msg(h, (DWORD)(left * 1000) + 1, &m))
            harness_fail(__FILE__, __LINE__, "no message for event 0x%x within %u ms", ev, (unsigned)ms);
        if (m.wParam == s && m.message == wm && WSAGETSELECTEVENT(m.lParam) == ev) return WSAGETSELECTERROR(m.lParam);
    }
}

/* For ms, no message for event ev on socket s arrives. */
static void expect_no_msg(HWND h, SOCKET s, int ev, DWORD ms) {
    double deadline = t_now() + ms / 1000.0;
    WS2MSG m;
    for (;;) {
        double left = deadline - t_now();
        if (left <= 0 || !get_msg(h, (DWORD)(left * 1000) + 1, &m)) return;
        if (m.wParam == s && WSAGETSELECTEVENT(m.lParam) == ev)
            harness_fail(__FILE__, __LINE__, "unexpected message: event 0x%x error %d", ev, (int)WSAGETSELECTERROR(m.lParam));
    }
}

static struct sockaddr_in closed_port(void) {
    struct sockaddr_in a;
    SOCKET l = t_listener(&a);
    CHECK_OK(WSPCloseSocket(l, lpErrno));
    return a;
}

static void recv_n(SOCKET s, char *buf, DWORD want, DWORD expect) {
    DWORD n = 0;
    int flags = 0;
    CHECK_OK(WSPRecv(s, buf, want, &n, &flags, NULL, NULL, lpErrno));
    CHECK_EQ(n, expect);
}

/* Draft: "The wParam argument identifies the socket ... The low word of
 * lParam specifies the network event ... The high word of lParam contains
 * any error code"; RULINGS §6: WS2MSG. */
TEST(as_read_message) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    HWND h = window();
    CHECK_OK(WSPAsyncSelect32(s, h, WM_SOCKET, FD_READ | FD_CLOSE, lpErrno));
    WS2MSG m;
    CHECK_EQ(get_msg(h, 150, &m), 0);
    CHECK_EQ(t_send_all(c, "hello", 5), 0);
    CHECK_EQ(get_msg(h, 1000, &m), 1);
    CHECK(m.hwnd == h);
    CHECK_EQ(m.message, WM_SOCKET);
    CHECK_EQ(m.wParam, s);
    CHECK_EQ(WSAGETSELECTEVENT(m.lParam), FD_READ);
    CHECK_EQ(WSAGETSELECTERROR(m.lParam), 0);
    CHECK_EQ(m.lParam, WSAMAKESELECTREPLY(FD_READ, 0));
    t_cleanup();
}

/* Draft: "the application window will receive a single message for each
 * network event ... no further message(s) for that network event will be
 * posted ... until the application makes the function call which implicitly
 * reenables notification"; FD_READ is level-triggered after WSPRecv. */
TEST(as_one_message_per_event) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    HWND h = window();
    char buf[100] = { 0 };
    CHECK_OK(WSPAsyncSelect32(s, h, WM_SOCKET, FD_READ, lpErrno));
    CHECK_EQ(t_send_all(c, buf, 100), 0);
    CHECK_EQ(expect_msg(h, s, WM_SOCKET, FD_READ, 1000), 0);
    CHECK_EQ(t_send_all(c, buf, 100), 0);
    expect_no_msg(h, s, FD_READ, 200);
    recv_n(s, buf, 50, 50);                     /* 150 remain */
    CHECK_EQ(expect_msg(h, s, WM_SOCKET, FD_READ, 1000), 0);
    expect_no_msg(h, s, FD_READ, 150);
    recv_n(s, buf, 100, 100);                   /* 50 remain */
    CHECK_EQ(expect_msg(h, s, WM_SOCKET, FD_READ, 1000), 0);
    recv_n(s, buf, 100, 50);                    /* none remain */
    expect_no_msg(h, s, FD_READ, 200);
    t_cleanup();
}

/* Draft: "Event: FD_CONNECT ... WSAECONNREFUSED The attempt to connect was
 * forcefully rejected", in the high word of lParam. */
TEST(as_connect_refused) {
    t_startup();
    struct sockaddr_in a = closed_port();
    SOCKET c = t_socket(SOCK_STREAM);
    HWND h = window();
    CHECK_OK(WSPAsyncSelect32(c, h, WM_SOCKET, FD_CONNECT, lpErrno));
    CHECK_WSA(WSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno), WSAEWOULDBLOCK);
    CHECK_EQ(expect_msg(h, c, WM_SOCKET, FD_CONNECT, 1000), WSAECONNREFUSED);
    t_cleanup();
}

/* Draft: FD_CONNECT with error 0 and FD_WRITE "when a socket is first
 * connected". */
TEST(as_connect_ok) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    SOCKET c = t_socket(SOCK_STREAM);
    HWND h = window();
    CHECK_OK(WSPAsyncSelect32(c, h, WM_SOCKET, FD_CONNECT | FD_WRITE, lpErrno));
    CHECK_WSA(WSPConnect(c, (struct sockaddr *)&la, sizeof la, NULL, NULL, 0, NULL, NULL, lpErrno), WSAEWOULDBLOCK);
    int seen = 0;
    WS2MSG m;
    while (seen != (FD_CONNECT | FD_WRITE) && get_msg(h, 1000, &m)) {
        CHECK_EQ(m.wParam, c);
        CHECK_EQ(WSAGETSELECTERROR(m.lParam), 0);
        seen |= WSAGETSELECTEVENT(m.lParam);
    }
    CHECK_EQ(seen, FD_CONNECT | FD_WRITE);
    (void)l;
    t_cleanup();
}

/* Draft: "if the error code is WSAECONNRESET, then the socket's virtual
 * circuit was reset". */
TEST(as_close_reset) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    HWND h = window();
    CHECK_OK(WSPAsyncSelect32(s, h, WM_SOCKET, FD_READ | FD_CLOSE, lpErrno));
    struct linger hard = { 1, 0 };
    CHECK_OK(WSPSetSockOpt(c, SOL_SOCKET, SO_LINGER, (char *)&hard, sizeof hard, lpErrno));
    CHECK_OK(WSPCloseSocket(c, lpErrno));
    CHECK_EQ(expect_msg(h, s, WM_SOCKET, FD_CLOSE, 1000), WSAECONNRESET);
    t_cleanup();
}

/* Draft: graceful FD_CLOSE (error 0) only once the data was read. */
TEST(as_close_graceful_after_data) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    HWND h = window();
    CHECK_OK(WSPAsyncSelect32(s, h, WM_SOCKET, FD_READ | FD_CLOSE, lpErrno));
    CHECK_EQ(t_send_all(c, "0123456789", 10), 0);
    CHECK_OK(WSPCloseSocket(c, lpErrno));
    CHECK_EQ(expect_msg(h, s, WM_SOCKET, FD_READ, 1000), 0);
    expect_no_msg(h, s, FD_CLOSE, 200);
    char buf[100];
    recv_n(s, buf, sizeof buf, 10);
    CHECK_EQ(expect_msg(h, s, WM_SOCKET, FD_CLOSE, 1000), 0);
    t_cleanup();
}

/* Draft WSAEINVAL "one of the specified parameters was invalid": no window,
 * or a destroyed one. */
TEST(as_invalid_window) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_WSA(WSPAsyncSelect32(s, NULL, WM_SOCKET, FD_READ, lpErrno), WSAEINVAL);
    HWND h = window();
    CHECK(WS2DestroyMessageWindow(h));
    CHECK_WSA(WSPAsyncSelect32(s, h, WM_SOCKET, FD_READ, lpErrno), WSAEINVAL);
    CHECK_WSA(WSPAsyncSelect32(s, h, WM_SOCKET, 0x100, lpErrno), WSAEINVAL);
    t_cleanup();
}

/* Draft: errors WSAENOTSOCK; WSANOTINITIALISED before WSPStartup (RULINGS §3). */
TEST(as_not_socket_not_initialised) {
    HWND h = window();
    CHECK_WSA(WSPAsyncSelect32(1, h, WM_SOCKET, FD_READ, lpErrno), WSANOTINITIALISED);
    t_startup();
    SOCKET s = t_socket(SOCK_STREAM);
    CHECK_OK(WSPCloseSocket(s, lpErrno));
    CHECK_WSA(WSPAsyncSelect32(s, h, WM_SOCKET, FD_READ, lpErrno), WSAENOTSOCK);
    t_cleanup();
}

/* Draft: "lEvent should be set to zero ... WSPAsyncSelect32() immediately
 * disables event message posting for the socket". */
TEST(as_cancel) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    HWND h = window();
    CHECK_OK(WSPAsyncSelect32(s, h, WM_SOCKET, FD_READ | FD_CLOSE, lpErrno));
    CHECK_OK(WSPAsyncSelect32(s, h, 0, 0, lpErrno));
    CHECK_EQ(t_send_all(c, "x", 1), 0);
    CHECK_OK(WSPCloseSocket(c, lpErrno));
    WS2MSG m;
    CHECK_EQ(get_msg(h, 200, &m), 0);
    t_cleanup();
}

/* Draft: "the second call will cancel the effects of the first, and only
 * FD_WRITE events will be reported with message wMsg2". */
TEST(as_new_selection_replaces_old) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    HWND h = window();
    CHECK_OK(WSPAsyncSelect32(s, h, WM_SOCKET, FD_READ, lpErrno));
    CHECK_OK(WSPAsyncSelect32(s, h, WM_SOCKET2, FD_WRITE, lpErrno));
    WS2MSG m;
    CHECK_EQ(get_msg(h, 1000, &m), 1);
    CHECK_EQ(m.message, WM_SOCKET2);
    CHECK_EQ(m.wParam, s);
    CHECK_EQ(m.lParam, WSAMAKESELECTREPLY(FD_WRITE, 0));
    CHECK_EQ(t_send_all(c, "x", 1), 0);
    CHECK_EQ(get_msg(h, 200, &m), 0);
    t_cleanup();
}

/* RULINGS §6: "Messages for one window arrive in the order posted": events
 * of two sockets, alternating, queued without being read. */
TEST(as_messages_in_order) {
    t_startup();
    SOCKET c[2], s[2];
    t_tcp_pair(&c[0], &s[0]);
    t_tcp_pair(&c[1], &s[1]);
    HWND h = window();
    CHECK_OK(WSPAsyncSelect32(s[0], h, WM_SOCKET, FD_READ, lpErrno));
    CHECK_OK(WSPAsyncSelect32(s[1], h, WM_SOCKET2, FD_READ, lpErrno));
    enum { ROUNDS = 12 };
    for (int r = 0; r < ROUNDS; r++) {
        int i = (r * 7 / 3) % 2;                /* an irregular pattern of sockets */
        CHECK_EQ(t_send_all(c[i], "x", 1), 0);
        t_sleep_ms(30);                         /* the message is posted */
        char b;
        recv_n(s[i], &b, 1, 1);                 /* re-enables FD_READ; nothing remains */
    }
    for (int r = 0; r < ROUNDS; r++) {
        int i = (r * 7 / 3) % 2;
        WS2MSG m;
        CHECK_EQ(get_msg(h, 1000, &m), 1);
        CHECK_EQ(m.wParam, s[i]);
        CHECK_EQ(m.message, i ? WM_SOCKET2 : WM_SOCKET);
        CHECK_EQ(m.lParam, WSAMAKESELECTREPLY(FD_READ, 0));
    }
    WS2MSG m;
    CHECK_EQ(get_msg(h, 150, &m), 0);
    t_cleanup();
}

/* Draft: "any socket accepted on that listening socket will also have
 * FD_ACCEPT, FD_READ, and FD_WRITE events with the same wMsg value". */
TEST(as_accepted_inherits) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    HWND h = window();
    CHECK_OK(WSPAsyncSelect32(l, h, WM_SOCKET, FD_ACCEPT | FD_READ, lpErrno));
    SOCKET c = t_socket(SOCK_STREAM);
    CHECK_OK(WSPConnect(c, (struct sockaddr *)&la, sizeof la, NULL, NULL, 0, NULL, NULL, lpErrno));
    CHECK_EQ(expect_msg(h, l, WM_SOCKET, FD_ACCEPT, 1000), 0);
    int err = 0;
    SOCKET s = WSPAccept(l, NULL, NULL, NULL, 0, &err);
    if (s == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "WSPAccept failed: %d", err);
    CHECK_EQ(t_send_all(c, "abc", 3), 0);
    WS2MSG m;
    CHECK_EQ(get_msg(h, 1000, &m), 1);
    CHECK_EQ(m.message, WM_SOCKET);
    CHECK_EQ(m.wParam, s);
    CHECK_EQ(m.lParam, WSAMAKESELECTREPLY(FD_READ, 0));
    t_cleanup();
}

/* RULINGS §6 + draft: messages posted to a destroyed window are dropped;
 * events keep happening without harm, and the provider keeps working. */
static volatile int stop_sender;
static void *sender_main(void *arg) {
    SOCKET c = *(SOCKET *)arg;
    char buf[64] = { 0 };
    while (!stop_sender) {
        DWORD n = 0;
        int err = 0;
        if (WSPSend(c, buf, sizeof buf, &n, 0, NULL, NULL, &err) != 0) break;
        t_sleep_ms(1);
    }
    return NULL;
}

TEST(as_destroy_window_while_events) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    HWND h = window();
    CHECK_OK(WSPAsyncSelect32(s, h, WM_SOCKET, FD_READ | FD_WRITE | FD_CLOSE, lpErrno));
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, sender_main, &c), 0);
    char buf[256];
    double end = t_now() + 0.3;
    int destroyed = 0;
    while (t_now() < end) {
        DWORD n = 0;
        int flags = 0, err = 0;
        (void)WSPRecv(s, buf, 16, &n, &flags, NULL, NULL, &err);    /* keeps re-enabling FD_READ */
        if (!destroyed && t_now() > end - 0.2) { CHECK(WS2DestroyMessageWindow(h)); destroyed = 1; }
        t_sleep_ms(1);
    }
    stop_sender = 1;
    pthread_join(th, NULL);
    CHECK_OK(WSPCloseSocket(c, lpErrno));
    t_sleep_ms(50);
    /* the provider still works: a new window gets messages */
    HWND h2 = window();
    SOCKET c2, s2;
    t_tcp_pair(&c2, &s2);
    CHECK_OK(WSPAsyncSelect32(s2, h2, WM_SOCKET, FD_READ, lpErrno));
    CHECK_EQ(t_send_all(c2, "x", 1), 0);
    CHECK_EQ(expect_msg(h2, s2, WM_SOCKET, FD_READ, 1000), 0);
    t_cleanup();
}

/* ---- issue 9 (RULINGS §7) ---- */

/* RULINGS §7: "FD_CONNECT is delivered before the first FD_WRITE of a
 * connection." */
TEST(as_connect_before_write) {
    t_startup();
    HWND h = window();
    for (int i = 0; i < 10; i++) {
        struct sockaddr_in la;
        SOCKET l = t_listener(&la);
        SOCKET c = t_socket(SOCK_STREAM);
        CHECK_OK(WSPAsyncSelect32(c, h, WM_SOCKET, FD_CONNECT | FD_WRITE, lpErrno));
        int err = 0;
        CHECK_EQ(WSPConnect(c, (struct sockaddr *)&la, sizeof la, NULL, NULL, 0, NULL, NULL, &err), SOCKET_ERROR);
        CHECK_EQ(err, WSAEWOULDBLOCK);
        WS2MSG m;
        CHECK(get_msg(h, 2000, &m));
        CHECK_EQ(m.wParam, c);
        CHECK_EQ(WSAGETSELECTEVENT(m.lParam), FD_CONNECT);
        CHECK_EQ(WSAGETSELECTERROR(m.lParam), 0);
        CHECK(get_msg(h, 2000, &m));
        CHECK_EQ(WSAGETSELECTEVENT(m.lParam), FD_WRITE);
        CHECK_OK(WSPCloseSocket(c, lpErrno));
        CHECK_OK(WSPCloseSocket(l, lpErrno));
    }
    t_cleanup();
}

/* RULINGS §7: a condition that holds when WSPAsyncSelect32 is called is
 * posted before the call returns. */
TEST(as_accept_posted_before_return) {
    t_startup();
    HWND h = window();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    SOCKET c = t_socket(SOCK_STREAM);
    CHECK_OK(WSPConnect(c, (struct sockaddr *)&la, sizeof la, NULL, NULL, 0, NULL, NULL, lpErrno));
    t_sleep_ms(50);
    CHECK_OK(WSPAsyncSelect32(l, h, WM_SOCKET, FD_ACCEPT, lpErrno));
    WS2MSG m;
    CHECK(get_msg(h, 0, &m));
    CHECK_EQ(m.wParam, l);
    CHECK_EQ(WSAGETSELECTEVENT(m.lParam), FD_ACCEPT);
    t_cleanup();
}

/* RULINGS §7: the socket's own WSPShutdown posts no FD_CLOSE. */
TEST(as_own_shutdown_no_close) {
    t_startup();
    HWND h = window();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_OK(WSPAsyncSelect32(s, h, WM_SOCKET, FD_READ | FD_CLOSE, lpErrno));
    CHECK_OK(WSPShutdown(s, SD_BOTH, lpErrno));
    expect_no_msg(h, s, FD_CLOSE, 300);
    t_cleanup();
}

/* RULINGS §7: "Data taken by an overlapped receive posts no FD_READ"; the
 * next data, with no receive pending, does. */
TEST(as_overlapped_receive_posts_no_read) {
    t_startup();
    HWND h = window();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    int err = 0;
    SOCKET o = WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, WSA_FLAG_OVERLAPPED, &err);
    CHECK(o != INVALID_SOCKET);
    CHECK_EQ(WSPConnect(o, (struct sockaddr *)&la, sizeof la, NULL, NULL, 0, NULL, NULL, &err), SOCKET_ERROR);
    CHECK_EQ(err, WSAEWOULDBLOCK);
    SOCKET p = WSPAccept(l, NULL, NULL, NULL, 0, &err);
    CHECK(p != INVALID_SOCKET);
    CHECK_OK(WSPAsyncSelect32(o, h, WM_SOCKET, FD_READ, lpErrno));
    for (int i = 0; i < 5; i++) {
        WSAOVERLAPPED ov;
        memset(&ov, 0, sizeof ov);
        char b = 0;
        DWORD n = 0;
        int flags = 0;
        err = 0;
        int r = WSPRecv(o, &b, 1, &n, &flags, &ov, NULL, &err);
        CHECK(r == SOCKET_ERROR && err == WSA_IO_PENDING);
        t_sleep_ms(20);
        CHECK_OK(WSPSend(p, "k", 1, &n, 0, NULL, NULL, lpErrno));
        DWORD got = 0, f = 0;
        int done = WSAGetOverlappedResult(o, &ov, &got, TRUE, &f);
        CHECK(done);
        CHECK_EQ(got, 1);
        CHECK_EQ(b, 'k');
        expect_no_msg(h, o, FD_READ, 100);
    }
    DWORD n = 0;
    CHECK_OK(WSPSend(p, "z", 1, &n, 0, NULL, NULL, lpErrno));
    CHECK_EQ(expect_msg(h, o, WM_SOCKET, FD_READ, 2000), 0);
    t_cleanup();
}
