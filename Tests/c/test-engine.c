/* The event engine as a whole: idle cost with many registered sockets, and
 * many threads using WSPEventSelect / WSPEnumNetworkEvents at once.
 * RULINGS §4 (any thread, any time), §6, §7; issue "with 1000 registered
 * idle sockets the process uses no CPU". */
#include "harness.h"
#include <time.h>
#include <sys/resource.h>

static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void raise_nofile(rlim_t want) {
    struct rlimit rl;
    CHECK_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur >= want) return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
    CHECK_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < want) harness_fail(__FILE__, __LINE__, "RLIMIT_NOFILE hard limit %lu < %lu", (unsigned long)rl.rlim_max, (unsigned long)want);
}

enum { PAIRS = 500 };
static SOCKET clients[PAIRS], servers[PAIRS];

/* 1000 sockets (500 connected pairs) registered with one event object and
 * idle: the process uses (almost) no CPU over 1 s. */
TEST_T(engine_idle_sockets_cost_no_cpu, 60) {
    raise_nofile(4096);
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    for (int i = 0; i < PAIRS; i++) {
        clients[i] = t_socket(SOCK_STREAM);
        CHECK_OK(WSPConnect(clients[i], (struct sockaddr *)&la, sizeof la, NULL, NULL, 0, NULL, NULL, lpErrno));
        int err = 0;
        servers[i] = WSPAccept(l, NULL, NULL, NULL, 0, &err);
        if (servers[i] == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "WSPAccept %d failed: %d", i, err);
    }
    CHECK_OK(WSPCloseSocket(l, lpErrno));
    WSAEVENT ev = WSACreateEvent();
    CHECK(ev != WSA_INVALID_EVENT);
    for (int i = 0; i < PAIRS; i++) {
        CHECK_OK(WSPEventSelect(clients[i], ev, FD_READ | FD_WRITE | FD_CLOSE, lpErrno));
        CHECK_OK(WSPEventSelect(servers[i], ev, FD_READ | FD_WRITE | FD_CLOSE, lpErrno));
    }
    /* every socket reports its first FD_WRITE; collect them */
    CHECK_EQ(WSAWaitForMultipleEvents(1, &ev, FALSE, 1000, FALSE), WSA_WAIT_EVENT_0);
    t_sleep_ms(200);
    for (int i = 0; i < PAIRS; i++) {
        WSANETWORKEVENT ne[FD_MAX_EVENTS];
        int count = FD_MAX_EVENTS;
        CHECK_OK(WSPEnumNetworkEvents(clients[i], ev, ne, &count, lpErrno));
        CHECK_EQ(ne[FD_WRITE_BIT].Fired, TRUE);
        count = FD_MAX_EVENTS;
        CHECK_OK(WSPEnumNetworkEvents(servers[i], ev, ne, &count, lpErrno));
        CHECK_EQ(ne[FD_WRITE_BIT].Fired, TRUE);
    }
    t_sleep_ms(100);
    double c0 = cpu_seconds(), w0 = t_now();
    t_sleep_ms(1000);
    double used = cpu_seconds() - c0, wall = t_now() - w0;
    if (used > 0.020)
        harness_fail(__FILE__, __LINE__, "%.1f ms of CPU over %.2f s idle with %d registered sockets (limit 20 ms)",
                     used * 1000, wall, 2 * PAIRS);
    /* and nothing was reported meanwhile */
    CHECK_EQ(WSAWaitForMultipleEvents(1, &ev, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);
    /* still alive: one of them reports data */
    CHECK_EQ(t_send_all(clients[PAIRS / 2], "x", 1), 0);
    CHECK_EQ(WSAWaitForMultipleEvents(1, &ev, FALSE, 1000, FALSE), WSA_WAIT_EVENT_0);
    WSANETWORKEVENT ne[FD_MAX_EVENTS];
    int count = FD_MAX_EVENTS;
    CHECK_OK(WSPEnumNetworkEvents(servers[PAIRS / 2], ev, ne, &count, lpErrno));
    CHECK_EQ(ne[FD_READ_BIT].Fired, TRUE);
    t_cleanup();
}

/* 8 threads, each with its own pair and event object, do 500 cycles of
 * send / wait / enumerate / receive at the same time; every cycle sees its
 * own FD_READ and its own bytes. */
enum { THREADS = 8, CYCLES = 500 };
struct worker { int id; SOCKET c, s; WSAEVENT ev; int done; };

static void *worker_main(void *arg) {
    struct worker *w = arg;
    for (int i = 0; i < CYCLES; i++) {
        char msg[24], got[24];
        memset(msg, 0, sizeof msg);
        snprintf(msg, sizeof msg, "t%d cycle %d", w->id, i);
        if (t_send_all(w->c, msg, sizeof msg) != 0) harness_fail(__FILE__, __LINE__, "thread %d: send failed", w->id);
        DWORD have = 0;
        while (have < sizeof got) {
            DWORD r = WSAWaitForMultipleEvents(1, &w->ev, FALSE, 2000, FALSE);
            if (r != WSA_WAIT_EVENT_0) harness_fail(__FILE__, __LINE__, "thread %d cycle %d: no event (%u)", w->id, i, (unsigned)r);
            WSANETWORKEVENT ne[FD_MAX_EVENTS];
            int count = FD_MAX_EVENTS;
            CHECK_OK(WSPEnumNetworkEvents(w->s, w->ev, ne, &count, lpErrno));
            CHECK_EQ(count, FD_MAX_EVENTS);
            if (!ne[FD_READ_BIT].Fired) harness_fail(__FILE__, __LINE__, "thread %d cycle %d: event set without FD_READ", w->id, i);
            for (int b = 1; b < FD_MAX_EVENTS; b++) CHECK_EQ(ne[b].Fired, FALSE);
            DWORD n = 0;
            int flags = 0, err = 0;
            if (WSPRecv(w->s, got + have, sizeof got - have, &n, &flags, NULL, NULL, &err) != 0) {
                if (err != WSAEWOULDBLOCK) harness_fail(__FILE__, __LINE__, "thread %d cycle %d: recv error %d", w->id, i, err);
                continue;
            }
            if (n == 0) harness_fail(__FILE__, __LINE__, "thread %d cycle %d: closed", w->id, i);
            have += n;
        }
        if (memcmp(msg, got, sizeof msg) != 0) harness_fail(__FILE__, __LINE__, "thread %d cycle %d: wrong bytes", w->id, i);
        w->done++;
    }
    return NULL;
}

TEST_T(engine_many_threads, 60) {
    t_startup();
    struct worker w[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i].id = i;
        w[i].done = 0;
        t_tcp_pair(&w[i].c, &w[i].s);
        w[i].ev = WSACreateEvent();
        CHECK(w[i].ev != WSA_INVALID_EVENT);
        CHECK_OK(WSPEventSelect(w[i].s, w[i].ev, FD_READ | FD_CLOSE, lpErrno));
    }
    for (int i = 0; i < THREADS; i++) CHECK_EQ(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    for (int i = 0; i < THREADS; i++) CHECK_EQ(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < THREADS; i++) CHECK_EQ(w[i].done, CYCLES);
    t_cleanup();
}
