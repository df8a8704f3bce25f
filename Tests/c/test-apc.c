/* APCs and alertable waits (RULINGS §6): WPUXxxQueueUserAPC32,
 * WPUXxxGetCurrentThreadId32, SleepEx, WSAWaitForMultipleEvents with
 * fAlertable. An APC runs only on its own thread, inside an alertable wait,
 * which then returns WAIT_IO_COMPLETION (0xC0) after running every queued
 * APC. None of this needs WSPStartup. */
#define _GNU_SOURCE
#include "harness.h"
#include <time.h>
#include <sys/syscall.h>

/* What the APCs of a test record. */
static DWORD ran_on[256];       /* WPUXxxGetCurrentThreadId32 inside each APC */
static DWORD ran_ctx[256];      /* their dwContext, in the order they ran */
static int n_ran;               /* atomic */

static void record_apc(DWORD ctx) {
    int i = __atomic_fetch_add(&n_ran, 1, __ATOMIC_SEQ_CST);
    if (i < 256) {
        ran_on[i] = WPUXxxGetCurrentThreadId32();
        ran_ctx[i] = ctx;
    }
}

static int ran(void) { return __atomic_load_n(&n_ran, __ATOMIC_SEQ_CST); }

static void queue_ok(DWORD tid, LPWSAUSERAPC fn, DWORD ctx) {
    int err = 0x7EADBEEF;
    int r = WPUXxxQueueUserAPC32(tid, fn, ctx, &err);
    if (r != 0) harness_fail(__FILE__, __LINE__, "WPUXxxQueueUserAPC32(%u) returned %d, error %d", (unsigned)tid, r, err);
}

/* A thread that publishes its id, waits for `go`, then runs one wait. */
struct target {
    DWORD tid;                  /* atomic: 0 until published */
    int go;                     /* atomic */
    int kind;                   /* 0 SleepEx alertable, 1 WSAWait alertable, 2 SleepEx(100, FALSE) */
    DWORD timeout;
    DWORD result;
    double t_done;
};

static void *target_main(void *p) {
    struct target *t = p;
    __atomic_store_n(&t->tid, WPUXxxGetCurrentThreadId32(), __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&t->go, __ATOMIC_SEQ_CST)) t_sleep_ms(1);
    if (t->kind == 0) {
        t->result = SleepEx(t->timeout, TRUE);
    } else if (t->kind == 1) {
        WSAEVENT e = WSACreateEvent();
        t->result = WSAWaitForMultipleEvents(1, &e, FALSE, t->timeout, TRUE);
        WSACloseEvent(e);
    } else {
        t->result = SleepEx(t->timeout, FALSE);
    }
    t->t_done = t_now();
    return NULL;
}

static DWORD start_target(struct target *t, pthread_t *th) {
    CHECK_EQ(pthread_create(th, NULL, target_main, t), 0);
    while (!__atomic_load_n(&t->tid, __ATOMIC_SEQ_CST)) t_sleep_ms(1);
    return t->tid;
}

/* WPUXxxGetCurrentThreadId32 is stable within a thread and differs between
 * live threads. */
static void *report_id(void *p) {
    DWORD a = WPUXxxGetCurrentThreadId32(), b = WPUXxxGetCurrentThreadId32();
    *(DWORD *)p = a == b ? a : 0;
    return NULL;
}

TEST(thread_id_stable_and_distinct) {
    DWORD me = WPUXxxGetCurrentThreadId32();
    CHECK(me != 0);
    CHECK_EQ(WPUXxxGetCurrentThreadId32(), me);
    enum { N = 8 };
    DWORD ids[N];
    pthread_t th[N];
    /* all alive at once: start them, then join */
    struct target t[N];
    memset(t, 0, sizeof t);
    for (int i = 0; i < N; i++) {
        t[i].kind = 0; t[i].timeout = 0;
        ids[i] = start_target(&t[i], &th[i]);
        CHECK(ids[i] != 0);
        CHECK(ids[i] != me);
        for (int j = 0; j < i; j++) CHECK(ids[i] != ids[j]);
    }
    for (int i = 0; i < N; i++) { __atomic_store_n(&t[i].go, 1, __ATOMIC_SEQ_CST); pthread_join(th[i], NULL); }
    DWORD other = 0;
    pthread_t o;
    CHECK_EQ(pthread_create(&o, NULL, report_id, &other), 0);
    pthread_join(o, NULL);
    CHECK(other != 0);
    CHECK(other != me);
}

/* An APC queued to a thread runs on that thread, inside its alertable
 * SleepEx, which returns WAIT_IO_COMPLETION; never on the queuing thread. */
TEST(apc_runs_on_target_thread_in_sleepex) {
    struct target t = { .kind = 0, .timeout = WSA_INFINITE };
    pthread_t th;
    DWORD tid = start_target(&t, &th);
    queue_ok(tid, record_apc, 7);
    /* the queuing thread's own alertable wait does not run it */
    CHECK_EQ(SleepEx(50, TRUE), 0);
    CHECK_EQ(ran(), 0);
    __atomic_store_n(&t.go, 1, __ATOMIC_SEQ_CST);
    pthread_join(th, NULL);
    CHECK_EQ(t.result, WAIT_IO_COMPLETION);
    CHECK_EQ(ran(), 1);
    CHECK_EQ(ran_on[0], tid);
    CHECK_EQ(ran_ctx[0], 7);
}

/* Every queued APC runs, in the order queued, and the wait returns 0xC0
 * at once when they were queued before it began. */
TEST(sleepex_runs_all_queued_in_fifo_order) {
    DWORD me = WPUXxxGetCurrentThreadId32();
    for (DWORD i = 1; i <= 50; i++) queue_ok(me, record_apc, i);
    CHECK_EQ(ran(), 0);   /* queuing runs nothing */
    double t0 = t_now();
    CHECK_EQ(SleepEx(5000, TRUE), WAIT_IO_COMPLETION);
    CHECK(t_now() - t0 < 0.5);
    CHECK_EQ(ran(), 50);
    for (int i = 0; i < 50; i++) {
        CHECK_EQ(ran_ctx[i], i + 1);
        CHECK_EQ(ran_on[i], me);
    }
    /* the queue is empty now: the next alertable sleep runs its full time */
    t0 = t_now();
    CHECK_EQ(SleepEx(50, TRUE), 0);
    CHECK(t_now() - t0 >= 0.049);
}

/* A non-alertable wait never runs APCs: SleepEx(100, FALSE) returns 0 after
 * about 100 ms; a non-alertable event wait times out; the APC runs in the
 * next alertable wait. */
TEST(non_alertable_waits_run_no_apcs) {
    DWORD me = WPUXxxGetCurrentThreadId32();
    queue_ok(me, record_apc, 1);
    double t0 = t_now();
    CHECK_EQ(SleepEx(100, FALSE), 0);
    double dt = t_now() - t0;
    if (dt < 0.099 || dt > 0.400) harness_fail(__FILE__, __LINE__, "SleepEx(100, FALSE) took %.3f s", dt);
    WSAEVENT e = WSACreateEvent();
    CHECK_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 50, FALSE), WSA_WAIT_TIMEOUT);
    CHECK_EQ(SleepEx(0, FALSE), 0);
    CHECK_EQ(ran(), 0);
    CHECK_EQ(SleepEx(0, TRUE), WAIT_IO_COMPLETION);
    CHECK_EQ(ran(), 1);
    CHECK_EQ(WSACloseEvent(e), TRUE);
}

/* ...also when the APC comes while the thread is in a non-alertable wait. */
TEST(apc_during_non_alertable_sleep_waits) {
    struct target t = { .kind = 2, .timeout = 200 };
    pthread_t th;
    DWORD tid = start_target(&t, &th);
    double t0 = t_now();
    __atomic_store_n(&t.go, 1, __ATOMIC_SEQ_CST);
    t_sleep_ms(50);
    queue_ok(tid, record_apc, 3);
    pthread_join(th, NULL);
    CHECK_EQ(t.result, 0);
    CHECK(t.t_done - t0 >= 0.195);
    CHECK_EQ(ran(), 0);
}

/* An APC queued during an infinite alertable SleepEx wakes it. */
TEST(apc_wakes_infinite_alertable_sleep) {
    struct target t = { .kind = 0, .timeout = WSA_INFINITE };
    pthread_t th;
    DWORD tid = start_target(&t, &th);
    __atomic_store_n(&t.go, 1, __ATOMIC_SEQ_CST);
    t_sleep_ms(100);
    CHECK_EQ(ran(), 0);
    double t0 = t_now();
    queue_ok(tid, record_apc, 9);
    pthread_join(th, NULL);
    CHECK_EQ(t.result, WAIT_IO_COMPLETION);
    CHECK(t.t_done - t0 < 0.5);
    CHECK_EQ(ran(), 1);
    CHECK_EQ(ran_on[0], tid);
}

/* ...and an infinite alertable WSAWaitForMultipleEvents. */
TEST(apc_wakes_alertable_event_wait) {
    struct target t = { .kind = 1, .timeout = WSA_INFINITE };
    pthread_t th;
    DWORD tid = start_target(&t, &th);
    __atomic_store_n(&t.go, 1, __ATOMIC_SEQ_CST);
    t_sleep_ms(100);
    double t0 = t_now();
    queue_ok(tid, record_apc, 11);
    pthread_join(th, NULL);
    CHECK_EQ(t.result, WSA_WAIT_IO_COMPLETION);
    CHECK(t.t_done - t0 < 0.5);
    CHECK_EQ(ran(), 1);
    CHECK_EQ(ran_on[0], tid);
    CHECK_EQ(ran_ctx[0], 11);
}

/* An alertable event wait with APCs queued on entry runs them at once; a
 * signalled event is reported first (the APCs then wait for the next
 * alertable wait). */
TEST(alertable_event_wait_apcs_on_entry) {
    DWORD me = WPUXxxGetCurrentThreadId32();
    WSAEVENT e = WSACreateEvent();
    queue_ok(me, record_apc, 1);
    queue_ok(me, record_apc, 2);
    double t0 = t_now();
    CHECK_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 5000, TRUE), WSA_WAIT_IO_COMPLETION);
    CHECK(t_now() - t0 < 0.5);
    CHECK_EQ(ran(), 2);
    queue_ok(me, record_apc, 3);
    CHECK_EQ(WSASetEvent(e), TRUE);
    CHECK_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 5000, TRUE), WSA_WAIT_EVENT_0);
    CHECK_EQ(ran(), 2);
    CHECK_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 5000, FALSE), WSA_WAIT_EVENT_0);
    CHECK_EQ(ran(), 2);
    CHECK_EQ(SleepEx(0, TRUE), WAIT_IO_COMPLETION);
    CHECK_EQ(ran(), 3);
    CHECK_EQ(ran_ctx[2], 3);
    CHECK_EQ(WSACloseEvent(e), TRUE);
}

/* An APC queued while APCs run (here: by an APC) runs in the same wait. */
static void chain_apc(DWORD ctx) {
    record_apc(ctx);
    if (ctx < 5) queue_ok(WPUXxxGetCurrentThreadId32(), chain_apc, ctx + 1);
}

TEST(apc_queued_by_apc_runs_in_same_wait) {
    queue_ok(WPUXxxGetCurrentThreadId32(), chain_apc, 1);
    CHECK_EQ(SleepEx(WSA_INFINITE, TRUE), WAIT_IO_COMPLETION);
    CHECK_EQ(ran(), 5);
    for (int i = 0; i < 5; i++) CHECK_EQ(ran_ctx[i], i + 1);
}

static void *exit_at_once(void *p) {
    *(DWORD *)p = WPUXxxGetCurrentThreadId32();
    return NULL;
}

/* The id of a thread that has exited (and was joined) is not a live
 * thread: WSAEINVAL. So are 0 and ids no thread has. */
TEST(queue_to_dead_thread_is_einval) {
    DWORD dead = 0;
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, exit_at_once, &dead), 0);
    pthread_join(th, NULL);
    CHECK(dead != 0);
    CHECK_WSA(WPUXxxQueueUserAPC32(dead, record_apc, 1, lpErrno), WSAEINVAL);
    CHECK_WSA(WPUXxxQueueUserAPC32(0, record_apc, 1, lpErrno), WSAEINVAL);
    CHECK_WSA(WPUXxxQueueUserAPC32(0xFFFFFFFFu, record_apc, 1, lpErrno), WSAEINVAL);
    CHECK_WSA(WPUXxxQueueUserAPC32(0x7FFFFFFFu, record_apc, 1, lpErrno), WSAEINVAL);
    CHECK_EQ(SleepEx(0, TRUE), 0);
    CHECK_EQ(ran(), 0);
}

/* A NULL APC routine is WSAEFAULT; a NULL lpErrno never crashes. */
TEST(null_function_and_null_errno) {
    DWORD me = WPUXxxGetCurrentThreadId32();
    CHECK_WSA(WPUXxxQueueUserAPC32(me, NULL, 1, lpErrno), WSAEFAULT);
    CHECK_EQ(WPUXxxQueueUserAPC32(me, NULL, 1, NULL), SOCKET_ERROR);
    CHECK_EQ(WPUXxxQueueUserAPC32(0, record_apc, 1, NULL), SOCKET_ERROR);
    CHECK_EQ(WPUXxxQueueUserAPC32(me, record_apc, 1, NULL), 0);
    CHECK_EQ(SleepEx(0, TRUE), WAIT_IO_COMPLETION);
    CHECK_EQ(ran(), 1);
}

/* A thread that exits with APCs queued drops them: they never run, and
 * nothing crashes. */
static void *queue_to_self_then_exit(void *p) {
    (void)p;
    queue_ok(WPUXxxGetCurrentThreadId32(), record_apc, 1);
    queue_ok(WPUXxxGetCurrentThreadId32(), record_apc, 2);
    return NULL;
}

TEST(thread_exit_drops_queued_apcs) {
    for (int i = 0; i < 50; i++) {
        pthread_t th;
        CHECK_EQ(pthread_create(&th, NULL, queue_to_self_then_exit, NULL), 0);
        pthread_join(th, NULL);
    }
    CHECK_EQ(ran(), 0);
    CHECK_EQ(SleepEx(0, TRUE), 0);
    CHECK_EQ(ran(), 0);
}

/* SleepEx without APCs: 0 after the full time, alertable or not; 0 ms
 * returns at once. */
TEST(sleepex_times) {
    double t0 = t_now();
    CHECK_EQ(SleepEx(0, TRUE), 0);
    CHECK_EQ(SleepEx(0, FALSE), 0);
    CHECK(t_now() - t0 < 0.020);
    t0 = t_now();
    CHECK_EQ(SleepEx(100, TRUE), 0);
    double dt = t_now() - t0;
    if (dt < 0.099 || dt > 0.400) harness_fail(__FILE__, __LINE__, "SleepEx(100, TRUE) took %.3f s", dt);
}

/* Many threads queue to one thread at once: every APC runs exactly once,
 * on the target, each producer's in its order. */
enum { PRODUCERS = 4, PER_PRODUCER = 2000 };
static int produced_last[PRODUCERS];   /* only the target touches these */
static int order_broken;
static int total_ran;

static void count_apc(DWORD ctx) {
    int p = (int)(ctx >> 16), seq = (int)(ctx & 0xFFFF);
    if (seq != produced_last[p] + 1) order_broken = 1;
    produced_last[p] = seq;
    total_ran++;
}

struct producer { DWORD target; int index; };

static void *producer_main(void *arg) {
    struct producer *p = arg;
    for (int i = 1; i <= PER_PRODUCER; i++) {
        int err = 0;
        if (WPUXxxQueueUserAPC32(p->target, count_apc, ((DWORD)p->index << 16) | (DWORD)i, &err) != 0) return (void *)1;
    }
    return NULL;
}

TEST(many_producers_one_target) {
    DWORD me = WPUXxxGetCurrentThreadId32();
    pthread_t th[PRODUCERS];
    struct producer pr[PRODUCERS];
    for (int i = 0; i < PRODUCERS; i++) {
        pr[i] = (struct producer){ me, i };
        CHECK_EQ(pthread_create(&th[i], NULL, producer_main, &pr[i]), 0);
    }
    double t0 = t_now();
    while (total_ran < PRODUCERS * PER_PRODUCER) {
        DWORD r = SleepEx(1000, TRUE);
        if (r != WAIT_IO_COMPLETION) harness_fail(__FILE__, __LINE__, "SleepEx returned %u after %d APCs", (unsigned)r, total_ran);
        if (t_now() - t0 > 10) harness_fail(__FILE__, __LINE__, "only %d APCs ran", total_ran);
    }
    for (int i = 0; i < PRODUCERS; i++) {
        void *rv;
        pthread_join(th[i], &rv);
        CHECK(rv == NULL);
    }
    CHECK_EQ(total_ran, PRODUCERS * PER_PRODUCER);
    CHECK_EQ(order_broken, 0);
    CHECK_EQ(SleepEx(0, TRUE), 0);
}

/* The thread id is the Linux thread id (gettid): a thread that never
 * called a host service can receive APCs by that id; they run in its first
 * alertable wait. */
struct late { pid_t tid; int go; DWORD result; };

static void *late_attach(void *p) {
    struct late *t = p;
    __atomic_store_n(&t->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&t->go, __ATOMIC_SEQ_CST)) t_sleep_ms(1);
    if (WPUXxxGetCurrentThreadId32() != (DWORD)t->tid) return (void *)1;
    t->result = SleepEx(2000, TRUE);
    return NULL;
}

TEST(thread_id_is_linux_tid) {
    CHECK_EQ(WPUXxxGetCurrentThreadId32(), (DWORD)syscall(SYS_gettid));
    struct late t = { 0, 0, 0 };
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, late_attach, &t), 0);
    while (!__atomic_load_n(&t.tid, __ATOMIC_SEQ_CST)) t_sleep_ms(1);
    queue_ok((DWORD)t.tid, record_apc, 21);
    __atomic_store_n(&t.go, 1, __ATOMIC_SEQ_CST);
    void *rv;
    pthread_join(th, &rv);
    CHECK(rv == NULL);
    CHECK_EQ(t.result, WAIT_IO_COMPLETION);
    CHECK_EQ(ran(), 1);
    CHECK_EQ(ran_on[0], (DWORD)t.tid);
}

/* The upcalls need no WSPStartup (every test above ran without one), and
 * keep working across a start-up / clean-up pair. */
TEST(upcalls_need_no_startup) {
    DWORD me = WPUXxxGetCurrentThreadId32();
    t_startup();
    queue_ok(me, record_apc, 1);
    t_cleanup();
    queue_ok(me, record_apc, 2);
    CHECK_EQ(SleepEx(0, TRUE), WAIT_IO_COMPLETION);
    CHECK_EQ(ran(), 2);
    CHECK_EQ(ran_ctx[0], 1);
    CHECK_EQ(ran_ctx[1], 2);
}

/* Queuing races with the target's exit: every call either queues (0) or
 * finds no live thread (WSAEINVAL); an APC only ever runs on the thread it
 * was queued to, never on a later thread that reuses the id. */
static int wrong_thread;   /* atomic */
static void check_thread_apc(DWORD ctx) {
    if (WPUXxxGetCurrentThreadId32() != ctx) __atomic_store_n(&wrong_thread, 1, __ATOMIC_SEQ_CST);
}

static DWORD racing_tid;   /* atomic */
static void *short_lived(void *p) {
    (void)p;
    __atomic_store_n(&racing_tid, (DWORD)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
    SleepEx(1, TRUE);
    SleepEx(0, TRUE);
    return NULL;
}

TEST(queue_races_thread_exit) {
    int other_errors = 0;
    for (int i = 0; i < 300; i++) {
        pthread_t th;
        CHECK_EQ(pthread_create(&th, NULL, short_lived, NULL), 0);
        for (int j = 0; j < 20; j++) {
            DWORD tid = __atomic_load_n(&racing_tid, __ATOMIC_SEQ_CST);
            if (!tid) continue;
            int err = 0;
            if (WPUXxxQueueUserAPC32(tid, check_thread_apc, tid, &err) != 0 && err != WSAEINVAL) other_errors++;
        }
        pthread_join(th, NULL);
    }
    CHECK_EQ(other_errors, 0);
    CHECK_EQ(__atomic_load_n(&wrong_thread, __ATOMIC_SEQ_CST), 0);
}

/* RULINGS §3: the last WSPCleanup queues its callback as an APC to the
 * thread that made the call, with ErrorCode 0 and dwCallbackData: it runs in
 * that thread's next alertable wait, not before, and not for a cleanup that
 * is not the last one. */
static volatile int cleanup_calls, cleanup_code = -1;
static volatile DWORD cleanup_data, cleanup_tid;
static void on_cleanup(int code, DWORD data) {
    cleanup_calls++;
    cleanup_code = code;
    cleanup_data = data;
    cleanup_tid = WPUXxxGetCurrentThreadId32();
}

TEST(cleanup_callback_runs_as_apc) {
    t_startup();
    t_startup();
    CHECK_OK(WSPCleanup(on_cleanup, 7, lpErrno));         /* not the last one */
    CHECK_EQ(SleepEx(0, TRUE), 0);
    CHECK_EQ(cleanup_calls, 0);
    CHECK_OK(WSPCleanup(on_cleanup, 42, lpErrno));        /* the last one */
    CHECK_EQ(cleanup_calls, 0);                           /* not inside WSPCleanup */
    CHECK_EQ(SleepEx(100, FALSE), 0);                     /* nor in a plain wait */
    CHECK_EQ(cleanup_calls, 0);
    CHECK_EQ(SleepEx(1000, TRUE), WAIT_IO_COMPLETION);
    CHECK_EQ(cleanup_calls, 1);
    CHECK_EQ(cleanup_code, 0);
    CHECK_EQ(cleanup_data, 42);
    CHECK_EQ(cleanup_tid, WPUXxxGetCurrentThreadId32());
}
