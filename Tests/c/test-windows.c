/* Message windows for WSPAsyncSelect32 (RULINGS §6): WS2CreateMessageWindow,
 * WS2DestroyMessageWindow, WS2GetMessage. Posting is the provider's (its
 * WSPAsyncSelect32 tests); here: time-outs, invalid and destroyed handles,
 * destroying a window under a waiter. No WSPStartup needed. */
#include "harness.h"
#include <time.h>

static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static HWND t_window(void) {
    HWND w = WS2CreateMessageWindow();
    if (w == NULL) harness_fail(__FILE__, __LINE__, "WS2CreateMessageWindow failed: %d", WSAGetLastError());
    return w;
}

/* Expects a BOOL call to fail with `code`. */
#define CHECK_FALSE_WITH(call, code) do { WSASetLastError(0x7EADBEEF); BOOL _r = (call); \
    if (_r != FALSE) harness_fail(__FILE__, __LINE__, "%s returned %d, expected FALSE", #call, (int)_r); \
    if (WSAGetLastError() != (code)) harness_fail(__FILE__, __LINE__, "%s: last error %d, expected %s (%d)", #call, WSAGetLastError(), #code, (int)(code)); } while (0)

TEST(create_and_destroy) {
    HWND a = t_window(), b = t_window();
    CHECK(a != b);
    CHECK_EQ(WS2DestroyMessageWindow(a), TRUE);
    CHECK_FALSE_WITH(WS2DestroyMessageWindow(a), WSA_INVALID_HANDLE);
    CHECK_EQ(WS2DestroyMessageWindow(b), TRUE);
}

/* No message: a time-out of 0 polls, 100 ms waits about 100 ms; both
 * return FALSE with WSA_WAIT_TIMEOUT (258) as the last error. The message
 * buffer is left alone. */
TEST(get_message_times_out) {
    HWND w = t_window();
    WS2MSG m;
    memset(&m, 0xAB, sizeof m);
    double t0 = t_now();
    CHECK_FALSE_WITH(WS2GetMessage(&m, w, 0), (int)WSA_WAIT_TIMEOUT);
    CHECK(t_now() - t0 < 0.020);
    t0 = t_now();
    CHECK_FALSE_WITH(WS2GetMessage(&m, w, 100), (int)WSA_WAIT_TIMEOUT);
    double dt = t_now() - t0;
    if (dt < 0.099 || dt > 0.400) harness_fail(__FILE__, __LINE__, "100 ms WS2GetMessage took %.3f s", dt);
    unsigned char *p = (unsigned char *)&m;
    for (size_t i = 0; i < sizeof m; i++) CHECK_EQ(p[i], 0xAB);
    CHECK_EQ(WS2DestroyMessageWindow(w), TRUE);
}

/* Invalid, garbage and destroyed handles are WSA_INVALID_HANDLE, never a
 * crash; an event object is not a window, nor a window an event. */
TEST(invalid_handles) {
    HWND dead = t_window();
    CHECK_EQ(WS2DestroyMessageWindow(dead), TRUE);
    WSAEVENT e = WSACreateEvent();
    CHECK(e != WSA_INVALID_EVENT);
    HWND bad[] = { NULL, (HWND)0x1234, (HWND)(intptr_t)-1, dead, (HWND)e, (HWND)&dead,
                   (HWND)(uintptr_t)0xDEADBEEFCAFEull };
    WS2MSG m;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_FALSE_WITH(WS2GetMessage(&m, bad[i], 0), WSA_INVALID_HANDLE);
        CHECK_FALSE_WITH(WS2GetMessage(&m, bad[i], WSA_INFINITE), WSA_INVALID_HANDLE);
        CHECK_FALSE_WITH(WS2DestroyMessageWindow(bad[i]), WSA_INVALID_HANDLE);
    }
    HWND w = t_window();
    CHECK_FALSE_WITH(WSASetEvent((WSAEVENT)w), WSA_INVALID_HANDLE);
    CHECK_FALSE_WITH(WSACloseEvent((WSAEVENT)w), WSA_INVALID_HANDLE);
    /* the event and the window still work */
    CHECK_EQ(WSASetEvent(e), TRUE);
    CHECK_FALSE_WITH(WS2GetMessage(&m, w, 0), (int)WSA_WAIT_TIMEOUT);
    CHECK_EQ(WSACloseEvent(e), TRUE);
    CHECK_EQ(WS2DestroyMessageWindow(w), TRUE);
}

/* A NULL message buffer is WSAEFAULT (RULINGS §4). */
TEST(null_msg_is_efault) {
    HWND w = t_window();
    CHECK_FALSE_WITH(WS2GetMessage(NULL, w, 0), WSAEFAULT);
    CHECK_FALSE_WITH(WS2GetMessage(NULL, w, WSA_INFINITE), WSAEFAULT);
    CHECK_FALSE_WITH(WS2GetMessage(NULL, NULL, 0), WSAEFAULT);
    CHECK_EQ(WS2DestroyMessageWindow(w), TRUE);
}

struct getter { HWND w; DWORD timeout; BOOL result; int error; double t_done; };

static void *get_main(void *p) {
    struct getter *g = p;
    WS2MSG m;
    g->result = WS2GetMessage(&m, g->w, g->timeout);
    g->error = WSAGetLastError();
    g->t_done = t_now();
    return NULL;
}

/* Destroying a window wakes every thread waiting in WS2GetMessage on it:
 * they return FALSE with WSA_INVALID_HANDLE. */
TEST(destroy_wakes_waiters) {
    enum { N = 4 };
    HWND w = t_window();
    struct getter g[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        g[i] = (struct getter){ w, i % 2 ? WSA_INFINITE : 10000, 77, 0, 0 };
        CHECK_EQ(pthread_create(&th[i], NULL, get_main, &g[i]), 0);
    }
    t_sleep_ms(150);
    for (int i = 0; i < N; i++) CHECK_EQ(g[i].result, 77);   /* still blocked */
    double t0 = t_now();
    CHECK_EQ(WS2DestroyMessageWindow(w), TRUE);
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ(g[i].result, FALSE);
        CHECK_EQ(g[i].error, WSA_INVALID_HANDLE);
        CHECK(g[i].t_done - t0 < 1.0);
    }
}

/* Waiting for a message blocks: 300 ms of waiting uses almost no CPU. */
TEST(waiting_uses_no_cpu) {
    HWND w = t_window();
    struct getter g = { w, 300, 77, 0, 0 };
    pthread_t th;
    double c0 = cpu_seconds();
    CHECK_EQ(pthread_create(&th, NULL, get_main, &g), 0);
    WS2MSG m;
    CHECK_FALSE_WITH(WS2GetMessage(&m, w, 300), (int)WSA_WAIT_TIMEOUT);
    pthread_join(th, NULL);
    CHECK_EQ(g.result, FALSE);
    CHECK_EQ(g.error, (int)WSA_WAIT_TIMEOUT);
    double used = cpu_seconds() - c0;
    if (used >= 0.030) harness_fail(__FILE__, __LINE__, "300 ms of waiting used %.1f ms of CPU", used * 1000);
    CHECK_EQ(WS2DestroyMessageWindow(w), TRUE);
}

/* A destroyed window's handle never names a later window. */
TEST(destroyed_handles_never_alias) {
    enum { N = 10000 };
    static HWND dead[N];
    for (int i = 0; i < N; i++) {
        dead[i] = t_window();
        CHECK_EQ(WS2DestroyMessageWindow(dead[i]), TRUE);
    }
    HWND live[32];
    for (int i = 0; i < 32; i++) live[i] = t_window();
    WS2MSG m;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < 32; j++) CHECK(dead[i] != live[j]);
        if (WS2GetMessage(&m, dead[i], 0) != FALSE || WSAGetLastError() != WSA_INVALID_HANDLE)
            harness_fail(__FILE__, __LINE__, "destroyed window %d answers", i);
    }
    for (int i = 0; i < 32; i++) CHECK_EQ(WS2DestroyMessageWindow(live[i]), TRUE);
}

/* Many windows at once, each independent. */
TEST(many_windows) {
    enum { N = 1000 };
    static HWND w[N];
    for (int i = 0; i < N; i++) {
        w[i] = t_window();
        for (int j = i - 1; j >= 0 && j >= i - 16; j--) CHECK(w[i] != w[j]);
    }
    WS2MSG m;
    for (int i = 0; i < N; i++) CHECK_FALSE_WITH(WS2GetMessage(&m, w[i], 0), (int)WSA_WAIT_TIMEOUT);
    for (int i = 0; i < N; i++) CHECK_EQ(WS2DestroyMessageWindow(w[i]), TRUE);
}

/* Concurrent create / destroy / get on many threads: no crash, no hang. */
static void *churn(void *p) {
    (void)p;
    WS2MSG m;
    for (int i = 0; i < 2000; i++) {
        HWND w = WS2CreateMessageWindow();
        if (!w) return (void *)1;
        if (WS2GetMessage(&m, w, 0) != FALSE) return (void *)2;
        if (!WS2DestroyMessageWindow(w)) return (void *)3;
        if (WS2GetMessage(&m, w, 0) != FALSE || WSAGetLastError() != WSA_INVALID_HANDLE) return (void *)4;
    }
    return NULL;
}

TEST(concurrent_create_destroy) {
    pthread_t th[8];
    for (int i = 0; i < 8; i++) CHECK_EQ(pthread_create(&th[i], NULL, churn, NULL), 0);
    for (int i = 0; i < 8; i++) {
        void *rv;
        pthread_join(th[i], &rv);
        CHECK_EQ((uintptr_t)rv, 0);
    }
}
