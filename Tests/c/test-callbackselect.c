/* WSPCallbackSelect16: callbacks on a provider thread, never two at once for
 * a socket, SPI calls inside callbacks, no inheritance, cancelling.
 * Draft §3.1.2.13 (WSPCallbackSelect16); RULINGS §7. */
#include "harness.h"
#include <stdatomic.h>

static pthread_t main_thread;

/* What the recording callback saw. */
static struct {
    atomic_int calls;
    atomic_int on_main_thread;
    atomic_int in_callback, max_in_callback;
    atomic_int recv_in_callback;        /* WSPRecv up to this many bytes per FD_READ (0: none) */
    atomic_long bytes;
    SOCKET last_s;
    int last_event, last_error;
    DWORD last_data;
    atomic_int mask;                    /* every event seen */
    SOCKET sockets[8];                  /* sockets seen (first 8) */
    atomic_int nsockets;
} cb;

static void CALLBACK record_cb(SOCKET s, int32_t lEvent, int ErrorCode, DWORD dwCallbackData) {
    int now = atomic_fetch_add(&cb.in_callback, 1) + 1;
    int max = atomic_load(&cb.max_in_callback);
    while (now > max && !atomic_compare_exchange_weak(&cb.max_in_callback, &max, now)) {}
    if (pthread_equal(pthread_self(), main_thread)) atomic_store(&cb.on_main_thread, 1);
    cb.last_s = s;
    cb.last_event = lEvent;
    cb.last_error = ErrorCode;
    cb.last_data = dwCallbackData;
    int n = atomic_load(&cb.nsockets);
    if (n < 8) { cb.sockets[n] = s; atomic_store(&cb.nsockets, n + 1); }
    atomic_fetch_or(&cb.mask, lEvent);
    int want = atomic_load(&cb.recv_in_callback);
    if (lEvent == FD_READ && want > 0) {
        char buf[4096];
        DWORD got = 0;
        int flags = 0, err = 0;
        if (WSPRecv(s, buf, (DWORD)want, &got, &flags, NULL, NULL, &err) == 0) atomic_fetch_add(&cb.bytes, got);
        t_sleep_ms(1);                  /* widen any window for a second callback */
    }
    atomic_fetch_add(&cb.calls, 1);
    atomic_fetch_sub(&cb.in_callback, 1);
}

static void cb_reset(void) {
    main_thread = pthread_self();
    atomic_store(&cb.calls, 0);
    atomic_store(&cb.on_main_thread, 0);
    atomic_store(&cb.in_callback, 0);
    atomic_store(&cb.max_in_callback, 0);
    atomic_store(&cb.recv_in_callback, 0);
    atomic_store(&cb.bytes, 0);
    atomic_store(&cb.mask, 0);
    atomic_store(&cb.nsockets, 0);
    cb.last_s = INVALID_SOCKET;
    cb.last_event = cb.last_error = 0;
    cb.last_data = 0;
}

/* Waits up to ms for cb.calls >= n. */
static int wait_calls(int n, int ms) {
    double deadline = t_now() + ms / 1000.0;
    while (atomic_load(&cb.calls) < n && t_now() < deadline) t_sleep_ms(2);
    return atomic_load(&cb.calls) >= n;
}

static struct sockaddr_in closed_port(void) {
    struct sockaddr_in a;
    SOCKET l = t_listener(&a);
    CHECK_OK(WSPCloseSocket(l, lpErrno));
    return a;
}

/* A thread that keeps sending to a socket until told to stop; the socket is
 * made non-blocking so that a full buffer never blocks it. */
static atomic_int stop_sender;
static void *sender_main(void *arg) {
    SOCKET c = *(SOCKET *)arg;
    char buf[200];
    memset(buf, 'd', sizeof buf);
    while (!atomic_load(&stop_sender)) {
        DWORD n = 0;
        int err = 0;
        if (WSPSend(c, buf, sizeof buf, &n, 0, NULL, NULL, &err) != 0 && err != WSAEWOULDBLOCK) break;
        t_sleep_ms(1);
    }
    return NULL;
}

static void start_sender(pthread_t *th, SOCKET *c) {
    u_long on = 1;
    CHECK_OK(WSPIoctlSocket(*c, FIONBIO, &on, lpErrno));
    atomic_store(&stop_sender, 0);
    CHECK_EQ(pthread_create(th, NULL, sender_main, c), 0);
}

/* Draft: "The callback function will be invoked whenever the service
 * provider detects any of the network events ... The s argument identifies
 * the socket ... The lEvent argument specifies the event ... The value of
 * dwCallbackData will be passed back"; RULINGS §7: on a provider thread. */
TEST(cb_read_callback_on_provider_thread) {
    t_startup();
    cb_reset();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_OK(WSPCallbackSelect16(s, record_cb, 0xC0FFEE, FD_READ, lpErrno));
    t_sleep_ms(50);
    CHECK_EQ(atomic_load(&cb.calls), 0);
    CHECK_EQ(t_send_all(c, "hello", 5), 0);
    CHECK(wait_calls(1, 1000));
    t_sleep_ms(50);
    CHECK_EQ(atomic_load(&cb.calls), 1);        /* not re-enabled: no second call */
    CHECK_EQ(cb.last_s, s);
    CHECK_EQ(cb.last_event, FD_READ);
    CHECK_EQ(cb.last_error, 0);
    CHECK_EQ(cb.last_data, 0xC0FFEE);
    CHECK_EQ(atomic_load(&cb.on_main_thread), 0);
    t_cleanup();
}

/* Draft: "The ErrorCode argument contains any error code": FD_CONNECT with
 * WSAECONNREFUSED. */
TEST(cb_connect_refused_error) {
    t_startup();
    cb_reset();
    struct sockaddr_in a = closed_port();
    SOCKET c = t_socket(SOCK_STREAM);
    CHECK_OK(WSPCallbackSelect16(c, record_cb, 7, FD_CONNECT, lpErrno));
    CHECK_WSA(WSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno), WSAEWOULDBLOCK);
    CHECK(wait_calls(1, 1000));
    CHECK_EQ(cb.last_s, c);
    CHECK_EQ(cb.last_event, FD_CONNECT);
    CHECK_EQ(cb.last_error, WSAECONNREFUSED);
    CHECK_EQ(cb.last_data, 7);
    t_cleanup();
}

/* RULINGS §7: callbacks run "never two at once for one socket", even while
 * data keeps arriving, the callback re-enables FD_READ itself (partial
 * WSPRecv: level-triggered) and the main thread re-enables it too. */
TEST(cb_never_two_at_once) {
    t_startup();
    cb_reset();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    atomic_store(&cb.recv_in_callback, 16);
    CHECK_OK(WSPCallbackSelect16(s, record_cb, 1, FD_READ | FD_WRITE | FD_CLOSE, lpErrno));
    pthread_t th;
    start_sender(&th, &c);
    double end = t_now() + 0.5;
    while (t_now() < end) {
        char buf[8];
        DWORD n = 0;
        int flags = 0, err = 0;
        (void)WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, &err);   /* re-enables from outside */
        t_sleep_ms(1);
    }
    atomic_store(&stop_sender, 1);
    pthread_join(th, NULL);
    CHECK_OK(WSPCallbackSelect16(s, record_cb, 1, 0, lpErrno));
    CHECK(atomic_load(&cb.calls) > 20);
    CHECK_EQ(atomic_load(&cb.max_in_callback), 1);
    CHECK_EQ(atomic_load(&cb.on_main_thread), 0);
    t_cleanup();
}

/* RULINGS §7: "A callback may call any SPI function except WSPCleanup":
 * an echo server done entirely inside FD_READ callbacks (WSPRecv re-enables
 * FD_READ, WSPSend sends back) serves 100 messages. */
static atomic_long echo_bytes;
static void CALLBACK echo_cb(SOCKET s, int32_t lEvent, int ErrorCode, DWORD dwCallbackData) {
    (void)ErrorCode; (void)dwCallbackData;
    if (lEvent != FD_READ) return;
    char buf[512];
    DWORD n = 0;
    int flags = 0, err = 0;
    if (WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, &err) != 0 || n == 0) return;
    atomic_fetch_add(&echo_bytes, n);           /* counted before the peer can see it */
    (void)t_send_all(s, buf, n);
}

TEST(cb_echo_inside_callbacks) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_OK(WSPCallbackSelect16(s, echo_cb, 0, FD_READ, lpErrno));
    for (int i = 0; i < 100; i++) {
        char msg[32], back[32];
        memset(msg, 'a' + i % 26, sizeof msg);
        snprintf(msg, sizeof msg, "message %d", i);
        CHECK_EQ(t_send_all(c, msg, sizeof msg), 0);
        CHECK_EQ(t_recv_exact(c, back, sizeof back), 0);
        CHECK(memcmp(msg, back, sizeof msg) == 0);
    }
    CHECK_EQ(atomic_load(&echo_bytes), 100 * 32);
    t_cleanup();
}

/* Draft: "A WSPAccept()'ed socket has the same properties as the listening
 * socket ... except that no network events and callback function are
 * associated with it"; RULINGS §7. */
TEST(cb_accepted_does_not_inherit) {
    t_startup();
    cb_reset();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    CHECK_OK(WSPCallbackSelect16(l, record_cb, 3, FD_ACCEPT | FD_READ | FD_WRITE | FD_CLOSE, lpErrno));
    SOCKET c = t_socket(SOCK_STREAM);
    CHECK_OK(WSPConnect(c, (struct sockaddr *)&la, sizeof la, NULL, NULL, 0, NULL, NULL, lpErrno));
    CHECK(wait_calls(1, 1000));
    CHECK_EQ(cb.last_s, l);
    CHECK_EQ(cb.last_event, FD_ACCEPT);
    int err = 0;
    SOCKET s = WSPAccept(l, NULL, NULL, NULL, 0, &err);
    if (s == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "WSPAccept failed: %d", err);
    int before = atomic_load(&cb.calls);
    CHECK_EQ(t_send_all(c, "abc", 3), 0);
    t_sleep_ms(200);
    CHECK_EQ(atomic_load(&cb.calls), before);   /* no FD_WRITE / FD_READ for s */
    /* until it selects (FD_READ persists) */
    CHECK_OK(WSPCallbackSelect16(s, record_cb, 4, FD_READ, lpErrno));
    CHECK(wait_calls(before + 1, 1000));
    CHECK_EQ(cb.last_s, s);
    CHECK_EQ(cb.last_event, FD_READ);
    CHECK_EQ(cb.last_data, 4);
    t_cleanup();
}

/* Draft: "To cancel all notification ... lEvent should be set to zero":
 * once the call returns, no callback runs (and none is running), while data
 * keeps arriving. */
TEST(cb_cancel_stops_callbacks) {
    t_startup();
    cb_reset();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    atomic_store(&cb.recv_in_callback, 64);
    CHECK_OK(WSPCallbackSelect16(s, record_cb, 9, FD_READ, lpErrno));
    pthread_t th;
    start_sender(&th, &c);
    CHECK(wait_calls(10, 2000));
    CHECK_OK(WSPCallbackSelect16(s, NULL, 0, 0, lpErrno));   /* lpfnCallback ignored */
    CHECK_EQ(atomic_load(&cb.in_callback), 0);
    int after = atomic_load(&cb.calls);
    t_sleep_ms(200);
    CHECK_EQ(atomic_load(&cb.calls), after);
    atomic_store(&stop_sender, 1);
    pthread_join(th, NULL);
    t_cleanup();
}

/* RULINGS §4: "A NULL pointer where the call needs one is WSAEFAULT";
 * WSAEINVAL for unknown event bits, WSAENOTSOCK, WSANOTINITIALISED. */
TEST(cb_errors) {
    CHECK_WSA(WSPCallbackSelect16(1, record_cb, 0, FD_READ, lpErrno), WSANOTINITIALISED);
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_WSA(WSPCallbackSelect16(s, NULL, 0, FD_READ, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPCallbackSelect16(s, record_cb, 0, 0x100, lpErrno), WSAEINVAL);
    CHECK_OK(WSPCloseSocket(c, lpErrno));
    CHECK_WSA(WSPCallbackSelect16(c, record_cb, 0, FD_READ, lpErrno), WSAENOTSOCK);
    t_cleanup();
}
