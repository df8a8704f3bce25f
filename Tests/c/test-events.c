/* Event objects and the per-thread last error (RULINGS §6): WSACreateEvent,
 * WSASetEvent, WSAResetEvent, WSACloseEvent, WSAWaitForMultipleEvents,
 * WSAGetLastError, WSASetLastError. None of them needs WSPStartup.
 * Invalid handles are WSA_INVALID_HANDLE, never a crash (RULINGS §4). */
#include "harness.h"
#include <time.h>

static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static WSAEVENT t_event(void) {
    WSAEVENT e = WSACreateEvent();
    if (e == WSA_INVALID_EVENT) harness_fail(__FILE__, __LINE__, "WSACreateEvent failed: %d", WSAGetLastError());
    return e;
}

/* Expects WSAWaitForMultipleEvents to fail with `code`. */
#define CHECK_WAIT_FAILS(call, code) do { WSASetLastError(0x7EADBEEF); DWORD _r = (call); \
    if (_r != WSA_WAIT_FAILED) harness_fail(__FILE__, __LINE__, "%s returned %u, expected WSA_WAIT_FAILED", #call, (unsigned)_r); \
    if (WSAGetLastError() != (code)) harness_fail(__FILE__, __LINE__, "%s: last error %d, expected %s (%d)", #call, WSAGetLastError(), #code, (int)(code)); } while (0)
/* Expects a BOOL call to fail with `code`. */
#define CHECK_FALSE_WITH(call, code) do { WSASetLastError(0x7EADBEEF); BOOL _r = (call); \
    if (_r != FALSE) harness_fail(__FILE__, __LINE__, "%s returned %d, expected FALSE", #call, (int)_r); \
    if (WSAGetLastError() != (code)) harness_fail(__FILE__, __LINE__, "%s: last error %d, expected %s (%d)", #call, WSAGetLastError(), #code, (int)(code)); } while (0)

/* A new event is manual-reset and not signalled; set / reset / close work
 * without WSPStartup. */
TEST(create_set_reset_close) {
    WSAEVENT e = t_event();
    CHECK_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);
    CHECK_EQ(WSASetEvent(e), TRUE);
    CHECK_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE), WSA_WAIT_EVENT_0);
    /* manual reset: a wait does not reset it */
    CHECK_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE), WSA_WAIT_EVENT_0);
    CHECK_EQ(WSASetEvent(e), TRUE);   /* setting a set event is fine */
    CHECK_EQ(WSAResetEvent(e), TRUE);
    CHECK_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);
    CHECK_EQ(WSAResetEvent(e), TRUE);  /* resetting a reset event is fine */
    CHECK_EQ(WSACloseEvent(e), TRUE);
}

/* Wait-any returns the lowest index of a signalled event. */
TEST(wait_any_lowest_index_wins) {
    WSAEVENT ev[6];
    for (int i = 0; i < 6; i++) ev[i] = t_event();
    CHECK_EQ(WSAWaitForMultipleEvents(6, ev, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);
    CHECK_EQ(WSASetEvent(ev[4]), TRUE);
    CHECK_EQ(WSAWaitForMultipleEvents(6, ev, FALSE, 0, FALSE), WSA_WAIT_EVENT_0 + 4);
    CHECK_EQ(WSASetEvent(ev[5]), TRUE);
    CHECK_EQ(WSASetEvent(ev[2]), TRUE);
    CHECK_EQ(WSAWaitForMultipleEvents(6, ev, FALSE, 0, FALSE), WSA_WAIT_EVENT_0 + 2);
    CHECK_EQ(WSASetEvent(ev[0]), TRUE);
    CHECK_EQ(WSAWaitForMultipleEvents(6, ev, FALSE, 100, FALSE), WSA_WAIT_EVENT_0);
    CHECK_EQ(WSAResetEvent(ev[0]), TRUE);
    CHECK_EQ(WSAResetEvent(ev[2]), TRUE);
    CHECK_EQ(WSAWaitForMultipleEvents(6, ev, FALSE, 0, FALSE), WSA_WAIT_EVENT_0 + 4);
    for (int i = 0; i < 6; i++) CHECK_EQ(WSACloseEvent(ev[i]), TRUE);
}

/* Wait-all returns WSA_WAIT_EVENT_0 only when every event is signalled. */
TEST(wait_all_needs_every_event) {
    WSAEVENT ev[3];
    for (int i = 0; i < 3; i++) ev[i] = t_event();
    CHECK_EQ(WSASetEvent(ev[0]), TRUE);
    CHECK_EQ(WSASetEvent(ev[2]), TRUE);
    CHECK_EQ(WSAWaitForMultipleEvents(3, ev, TRUE, 0, FALSE), WSA_WAIT_TIMEOUT);
    CHECK_EQ(WSAWaitForMultipleEvents(3, ev, TRUE, 50, FALSE), WSA_WAIT_TIMEOUT);
    CHECK_EQ(WSASetEvent(ev[1]), TRUE);
    CHECK_EQ(WSAWaitForMultipleEvents(3, ev, TRUE, 0, FALSE), WSA_WAIT_EVENT_0);
    CHECK_EQ(WSAWaitForMultipleEvents(3, ev, TRUE, WSA_INFINITE, FALSE), WSA_WAIT_EVENT_0);
    CHECK_EQ(WSAResetEvent(ev[2]), TRUE);
    CHECK_EQ(WSAWaitForMultipleEvents(3, ev, TRUE, 0, FALSE), WSA_WAIT_TIMEOUT);
    /* wait-any of the same set is satisfied */
    CHECK_EQ(WSAWaitForMultipleEvents(3, ev, FALSE, 0, FALSE), WSA_WAIT_EVENT_0);
    for (int i = 0; i < 3; i++) CHECK_EQ(WSACloseEvent(ev[i]), TRUE);
}

struct setter { WSAEVENT *ev; int n; int delay_ms; };

static void *set_one_by_one(void *p) {
    struct setter *s = p;
    for (int i = 0; i < s->n; i++) {
        t_sleep_ms(s->delay_ms);
        WSASetEvent(s->ev[i]);
    }
    return NULL;
}

/* A blocked wait-all returns once the last event is set by another thread. */
TEST(wait_all_released_by_last_event) {
    WSAEVENT ev[4];
    for (int i = 0; i < 4; i++) ev[i] = t_event();
    struct setter s = { ev, 4, 50 };
    pthread_t th;
    double t0 = t_now();
    CHECK_EQ(pthread_create(&th, NULL, set_one_by_one, &s), 0);
    CHECK_EQ(WSAWaitForMultipleEvents(4, ev, TRUE, 5000, FALSE), WSA_WAIT_EVENT_0);
    double dt = t_now() - t0;
    CHECK(dt >= 0.180);
    CHECK(dt < 2.0);
    pthread_join(th, NULL);
}

/* A time-out of 0 polls; 100 ms waits about 100 ms. */
TEST(timeouts_are_measured) {
    WSAEVENT e = t_event();
    double t0 = t_now();
    CHECK_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);
    CHECK(t_now() - t0 < 0.020);
    t0 = t_now();
    CHECK_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 100, FALSE), WSA_WAIT_TIMEOUT);
    double dt = t_now() - t0;
    if (dt < 0.099 || dt > 0.400) harness_fail(__FILE__, __LINE__, "100 ms wait took %.3f s", dt);
    t0 = t_now();
    CHECK_EQ(WSAWaitForMultipleEvents(1, &e, TRUE, 100, FALSE), WSA_WAIT_TIMEOUT);
    dt = t_now() - t0;
    if (dt < 0.099 || dt > 0.400) harness_fail(__FILE__, __LINE__, "100 ms wait-all took %.3f s", dt);
    CHECK_EQ(WSACloseEvent(e), TRUE);
}

static void *set_after_100ms(void *p) {
    t_sleep_ms(100);
    WSASetEvent((WSAEVENT)p);
    return NULL;
}

/* WSA_INFINITE waits until another thread sets the event. */
TEST(infinite_wait_released_by_other_thread) {
    WSAEVENT ev[3] = { t_event(), t_event(), t_event() };
    pthread_t th;
    double t0 = t_now();
    CHECK_EQ(pthread_create(&th, NULL, set_after_100ms, ev[1]), 0);
    CHECK_EQ(WSAWaitForMultipleEvents(3, ev, FALSE, WSA_INFINITE, FALSE), WSA_WAIT_EVENT_0 + 1);
    double dt = t_now() - t0;
    CHECK(dt >= 0.090);
    CHECK(dt < 1.0);
    pthread_join(th, NULL);
    for (int i = 0; i < 3; i++) CHECK_EQ(WSACloseEvent(ev[i]), TRUE);
}

/* WSA_MAXIMUM_WAIT_EVENTS (64) events are fine; 0 or 65 is
 * WSA_INVALID_PARAMETER (87). */
TEST(count_limits) {
    WSAEVENT ev[65];
    for (int i = 0; i < 65; i++) ev[i] = t_event();
    CHECK_EQ(WSA_MAXIMUM_WAIT_EVENTS, 64);
    CHECK_EQ(WSAWaitForMultipleEvents(64, ev, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);
    CHECK_EQ(WSASetEvent(ev[63]), TRUE);
    CHECK_EQ(WSAWaitForMultipleEvents(64, ev, FALSE, 0, FALSE), WSA_WAIT_EVENT_0 + 63);
    CHECK_EQ(WSAWaitForMultipleEvents(64, ev, TRUE, 0, FALSE), WSA_WAIT_TIMEOUT);
    for (int i = 0; i < 64; i++) CHECK_EQ(WSASetEvent(ev[i]), TRUE);
    CHECK_EQ(WSAWaitForMultipleEvents(64, ev, TRUE, 0, FALSE), WSA_WAIT_EVENT_0);
    CHECK_WAIT_FAILS(WSAWaitForMultipleEvents(65, ev, FALSE, 0, FALSE), WSA_INVALID_PARAMETER);
    CHECK_WAIT_FAILS(WSAWaitForMultipleEvents(65, ev, TRUE, 0, FALSE), WSA_INVALID_PARAMETER);
    CHECK_WAIT_FAILS(WSAWaitForMultipleEvents(0, ev, FALSE, 0, FALSE), WSA_INVALID_PARAMETER);
    CHECK_WAIT_FAILS(WSAWaitForMultipleEvents(0xFFFFFFFFu, ev, FALSE, 0, FALSE), WSA_INVALID_PARAMETER);
    CHECK_WAIT_FAILS(WSAWaitForMultipleEvents(0, NULL, FALSE, 0, FALSE), WSA_INVALID_PARAMETER);
    for (int i = 0; i < 65; i++) CHECK_EQ(WSACloseEvent(ev[i]), TRUE);
}

/* A NULL event array is WSAEFAULT (RULINGS §4: a NULL pointer where the
 * call needs one). */
TEST(null_array_is_efault) {
    CHECK_WAIT_FAILS(WSAWaitForMultipleEvents(1, NULL, FALSE, 0, FALSE), WSAEFAULT);
    CHECK_WAIT_FAILS(WSAWaitForMultipleEvents(3, NULL, TRUE, WSA_INFINITE, TRUE), WSAEFAULT);
}

/* Invalid, garbage and closed handles are WSA_INVALID_HANDLE (6), never a
 * crash: the handle is never dereferenced. */
TEST(invalid_handles) {
    WSAEVENT closed = t_event();
    CHECK_EQ(WSACloseEvent(closed), TRUE);
    WSAEVENT bad[] = { NULL, (WSAEVENT)0x1234, (WSAEVENT)(intptr_t)-1, (WSAEVENT)0x10, closed,
                       (WSAEVENT)(uintptr_t)0xDEADBEEFCAFEull, (WSAEVENT)&closed };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_FALSE_WITH(WSASetEvent(bad[i]), WSA_INVALID_HANDLE);
        CHECK_FALSE_WITH(WSAResetEvent(bad[i]), WSA_INVALID_HANDLE);
        CHECK_FALSE_WITH(WSACloseEvent(bad[i]), WSA_INVALID_HANDLE);
        CHECK_WAIT_FAILS(WSAWaitForMultipleEvents(1, &bad[i], FALSE, 0, FALSE), WSA_INVALID_HANDLE);
        WSAEVENT mixed[3] = { t_event(), bad[i], t_event() };
        CHECK_EQ(WSASetEvent(mixed[0]), TRUE);
        CHECK_WAIT_FAILS(WSAWaitForMultipleEvents(3, mixed, FALSE, WSA_INFINITE, FALSE), WSA_INVALID_HANDLE);
        CHECK_WAIT_FAILS(WSAWaitForMultipleEvents(3, mixed, TRUE, WSA_INFINITE, TRUE), WSA_INVALID_HANDLE);
        CHECK_EQ(WSACloseEvent(mixed[0]), TRUE);
        CHECK_EQ(WSACloseEvent(mixed[2]), TRUE);
    }
}

/* A closed handle is dead for good: it never names a later event. */
TEST(closed_handles_never_alias) {
    enum { N = 20000 };
    static WSAEVENT dead[N];
    for (int i = 0; i < N; i++) {
        WSAEVENT e = t_event();
        for (int j = i - 1; j >= 0 && j >= i - 64; j--) CHECK(e != dead[j]);
        dead[i] = e;
        CHECK_EQ(WSACloseEvent(e), TRUE);
    }
    WSAEVENT live[64];
    for (int i = 0; i < 64; i++) live[i] = t_event();
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < 64; j++) CHECK(dead[i] != live[j]);
        if (WSASetEvent(dead[i]) != FALSE) harness_fail(__FILE__, __LINE__, "closed handle %d works again", i);
    }
    for (int j = 0; j < 64; j++) CHECK_EQ(WSAWaitForMultipleEvents(1, &live[j], FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);
}

/* Many live events at once. */
TEST(many_events) {
    enum { N = 5000 };
    static WSAEVENT ev[N];
    for (int i = 0; i < N; i++) ev[i] = t_event();
    for (int i = 0; i < N; i += 2) CHECK_EQ(WSASetEvent(ev[i]), TRUE);
    for (int i = 0; i < N; i++)
        CHECK_EQ(WSAWaitForMultipleEvents(1, &ev[i], FALSE, 0, FALSE), i % 2 ? WSA_WAIT_TIMEOUT : WSA_WAIT_EVENT_0);
    for (int i = 0; i < N; i++) CHECK_EQ(WSACloseEvent(ev[i]), TRUE);
}

struct waiter { WSAEVENT e; DWORD result; double t_done; };

static void *wait_infinite(void *p) {
    struct waiter *w = p;
    w->result = WSAWaitForMultipleEvents(1, &w->e, FALSE, WSA_INFINITE, FALSE);
    w->t_done = t_now();
    return NULL;
}

/* One WSASetEvent releases every thread waiting on a manual-reset event. */
TEST(sixteen_waiters_released_by_one_set) {
    enum { N = 16 };
    WSAEVENT e = t_event();
    struct waiter w[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        w[i] = (struct waiter){ e, 12345, 0 };
        CHECK_EQ(pthread_create(&th[i], NULL, wait_infinite, &w[i]), 0);
    }
    t_sleep_ms(150);
    for (int i = 0; i < N; i++) CHECK_EQ(w[i].result, 12345);   /* all still blocked */
    double t0 = t_now();
    CHECK_EQ(WSASetEvent(e), TRUE);
    for (int i = 0; i < N; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < N; i++) {
        CHECK_EQ(w[i].result, WSA_WAIT_EVENT_0);
        CHECK(w[i].t_done - t0 < 1.0);
    }
    CHECK_EQ(WSACloseEvent(e), TRUE);
}

enum { STRESS_EVENTS = 8 };
static WSAEVENT stress_ev[STRESS_EVENTS];
static volatile int stress_stop;

static void *stress_main(void *p) {
    unsigned seed = (unsigned)(uintptr_t)p * 2654435761u;
    long ops = 0;
    while (!__atomic_load_n(&stress_stop, __ATOMIC_SEQ_CST)) {
        seed = seed * 1103515245u + 12345u;
        int k = (int)((seed >> 16) % STRESS_EVENTS);
        switch ((seed >> 8) % 5) {
        case 0: if (!WSASetEvent(stress_ev[k])) return (void *)1; break;
        case 1: if (!WSAResetEvent(stress_ev[k])) return (void *)1; break;
        case 2: {
            DWORD r = WSAWaitForMultipleEvents(STRESS_EVENTS, stress_ev, FALSE, 2, FALSE);
            if (r != WSA_WAIT_TIMEOUT && r >= STRESS_EVENTS) return (void *)1;
            break;
        }
        case 3: {
            DWORD r = WSAWaitForMultipleEvents(3, stress_ev + (k % 5), TRUE, 2, (seed & 1) != 0);
            if (r != WSA_WAIT_TIMEOUT && r != WSA_WAIT_EVENT_0) return (void *)1;
            break;
        }
        case 4: {
            DWORD r = WSAWaitForMultipleEvents(1, &stress_ev[k], FALSE, 0, FALSE);
            if (r != WSA_WAIT_TIMEOUT && r != WSA_WAIT_EVENT_0) return (void *)1;
            break;
        }
        }
        ops++;
    }
    return (void *)0;
}

static void *infinite_any(void *p) {
    (void)p;
    while (!__atomic_load_n(&stress_stop, __ATOMIC_SEQ_CST)) {
        DWORD r = WSAWaitForMultipleEvents(STRESS_EVENTS, stress_ev, FALSE, WSA_INFINITE, FALSE);
        if (r >= STRESS_EVENTS) return (void *)1;
    }
    return (void *)0;
}

/* Many threads setting, resetting and waiting at once for about a second:
 * no deadlock, no wrong result, and infinite waiters are released at the
 * end. */
TEST_T(concurrent_set_reset_wait, 30) {
    enum { WORKERS = 12, WAITERS = 4 };
    for (int i = 0; i < STRESS_EVENTS; i++) stress_ev[i] = t_event();
    pthread_t th[WORKERS + WAITERS];
    for (int i = 0; i < WORKERS; i++) CHECK_EQ(pthread_create(&th[i], NULL, stress_main, (void *)(uintptr_t)(i + 1)), 0);
    for (int i = 0; i < WAITERS; i++) CHECK_EQ(pthread_create(&th[WORKERS + i], NULL, infinite_any, NULL), 0);
    t_sleep_ms(1000);
    __atomic_store_n(&stress_stop, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < WORKERS; i++) {
        void *rv;
        pthread_join(th[i], &rv);
        CHECK(rv == NULL);
    }
    for (int i = 0; i < STRESS_EVENTS; i++) CHECK_EQ(WSASetEvent(stress_ev[i]), TRUE);
    for (int i = 0; i < WAITERS; i++) {
        void *rv;
        pthread_join(th[WORKERS + i], &rv);
        CHECK(rv == NULL);
    }
}

static void *wait_300ms(void *p) {
    WSAEVENT e = p;
    return (void *)(uintptr_t)WSAWaitForMultipleEvents(1, &e, FALSE, 300, FALSE);
}

/* Waiting blocks: five threads waiting 300 ms use less than 30 ms of CPU. */
TEST(waiting_uses_no_cpu) {
    WSAEVENT e = t_event();
    pthread_t th[4];
    double c0 = cpu_seconds();
    for (int i = 0; i < 4; i++) CHECK_EQ(pthread_create(&th[i], NULL, wait_300ms, e), 0);
    CHECK_EQ(WSAWaitForMultipleEvents(1, &e, TRUE, 300, FALSE), WSA_WAIT_TIMEOUT);
    for (int i = 0; i < 4; i++) {
        void *rv;
        pthread_join(th[i], &rv);
        CHECK_EQ((uintptr_t)rv, WSA_WAIT_TIMEOUT);
    }
    double used = cpu_seconds() - c0;
    if (used >= 0.030) harness_fail(__FILE__, __LINE__, "300 ms of waiting used %.1f ms of CPU", used * 1000);
}

/* Closing an event another thread waits on does not crash; the waiter
 * keeps waiting until its time-out. */
TEST(close_while_waiting) {
    WSAEVENT e = t_event();
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, wait_300ms, e), 0);
    t_sleep_ms(50);
    CHECK_EQ(WSACloseEvent(e), TRUE);
    CHECK_FALSE_WITH(WSASetEvent(e), WSA_INVALID_HANDLE);
    void *rv;
    pthread_join(th, &rv);
    CHECK_EQ((uintptr_t)rv, WSA_WAIT_TIMEOUT);
}

static void *last_error_thread(void *p) {
    (void)p;
    if (WSAGetLastError() != 0) return (void *)1;          /* a new thread starts at 0 */
    WSASetLastError(5678);
    if (WSAGetLastError() != 5678) return (void *)2;
    if (WSASetEvent((WSAEVENT)0x1234) != FALSE) return (void *)3;
    if (WSAGetLastError() != WSA_INVALID_HANDLE) return (void *)4;
    return NULL;
}

/* WSAGetLastError is per thread: another thread's errors do not touch it. */
TEST(last_error_is_per_thread) {
    WSASetLastError(1234);
    CHECK_EQ(WSAGetLastError(), 1234);
    pthread_t th;
    void *rv;
    CHECK_EQ(pthread_create(&th, NULL, last_error_thread, NULL), 0);
    pthread_join(th, &rv);
    CHECK_EQ((uintptr_t)rv, 0);
    CHECK_EQ(WSAGetLastError(), 1234);
    WSASetLastError(0);
    CHECK_EQ(WSAGetLastError(), 0);
    /* a successful call leaves it alone */
    WSASetLastError(42);
    WSAEVENT e = t_event();
    CHECK_EQ(WSASetEvent(e), TRUE);
    CHECK_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE), WSA_WAIT_EVENT_0);
    CHECK_EQ(WSAGetLastError(), 42);
}

/* The event functions work alongside the provider: events survive
 * WSPStartup / WSPCleanup. */
TEST(events_independent_of_startup) {
    WSAEVENT e = t_event();
    t_startup();
    CHECK_EQ(WSASetEvent(e), TRUE);
    t_cleanup();
    CHECK_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE), WSA_WAIT_EVENT_0);
    CHECK_EQ(WSACloseEvent(e), TRUE);
}
