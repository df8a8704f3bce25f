/* Blocking hooks (RULINGS §5; draft §2.7, WSPSetBlockingHook32,
 * WSPUnhookBlockingHook32, WSPIsBlocking32, WSPCancelBlockingCall32):
 * per-thread hooks called at least every 10 ms while a blocking call waits,
 * WSPIsBlocking32 inside them, WSAEINPROGRESS for any other SPI call from a
 * hook, cancellation with WSAEINTR, and no wake-ups at all without a hook. */
#include "harness.h"
#include <time.h>

/* ---- what the hooks saw (each TEST runs in its own process) ---- */

#define MAX_CALLS 4096
static double call_times[MAX_CALLS];
static int ncalls;                 /* calls of the recording hooks */
static int not_blocking_inside;    /* calls that saw WSPIsBlocking32() FALSE */
static int cancel_after = -1;      /* cancel on this call (1-based), -1 never */
static int cancel_rc = 99, cancel_err;
static int true_for = 0;           /* return TRUE for the first N calls */
static int calls_after_cancel;

static BOOL record_hook(void) {
    if (ncalls < MAX_CALLS) call_times[ncalls] = t_now();
    ncalls++;
    if (!WSPIsBlocking32()) not_blocking_inside++;
    if (cancel_rc == 0) calls_after_cancel++;
    if (ncalls == cancel_after) {
        cancel_err = 0;
        cancel_rc = WSPCancelBlockingCall32(&cancel_err);
    }
    return ncalls <= true_for;
}

static BOOL other_hook(void) { return FALSE; }
/* For hooks on several threads: only counts. */
static BOOL counting_hook(void) { __atomic_add_fetch(&ncalls, 1, __ATOMIC_RELAXED); return FALSE; }

/* Sends `len` bytes of `data` on `s` after `delay_ms`. */
struct late { SOCKET s; int delay_ms; const char *data; DWORD len; };
static void *late_send(void *p) {
    struct late *l = p;
    t_sleep_ms(l->delay_ms);
    CHECK_EQ(t_send_all(l->s, l->data, l->len), 0);
    return NULL;
}

static void start_late_send(pthread_t *th, struct late *l) {
    CHECK_EQ(pthread_create(th, NULL, late_send, l), 0);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median gap between consecutive hook calls, in ms. */
static double median_gap_ms(void) {
    int n = ncalls < MAX_CALLS ? ncalls : MAX_CALLS;
    if (n < 2) return 1e9;
    static double gaps[MAX_CALLS];
    for (int i = 1; i < n; i++) gaps[i - 1] = (call_times[i] - call_times[i - 1]) * 1e3;
    qsort(gaps, (size_t)(n - 1), sizeof gaps[0], cmp_double);
    return gaps[(n - 1) / 2];
}

static void set_hook(LPBLOCKINGPROC hook) {
    int err = 0x7EADBEEF;
    WSPSetBlockingHook32(hook, &err);
    CHECK_EQ(err, 0x7EADBEEF);
}

static int recv_some(SOCKET s, char *buf, DWORD len, DWORD *n, int *err) {
    int flags = 0;
    *n = 0;
    return WSPRecv(s, buf, len, n, &flags, NULL, NULL, err);
}

/* ---- installing and removing ---- */

/* Set returns the previous hook: NULL (with no error) at first. */
TEST(set_returns_previous_hook) {
    t_startup();
    int err = 0x7EADBEEF;
    CHECK(WSPSetBlockingHook32(record_hook, &err) == NULL);
    CHECK_EQ(err, 0x7EADBEEF);
    CHECK(WSPSetBlockingHook32(other_hook, &err) == record_hook);
    CHECK(WSPSetBlockingHook32(record_hook, &err) == other_hook);
    CHECK_EQ(err, 0x7EADBEEF);
    /* Unhook restores the default, which is no hook: the next set returns NULL. */
    CHECK_OK(WSPUnhookBlockingHook32(lpErrno));
    CHECK(WSPSetBlockingHook32(other_hook, &err) == NULL);
    CHECK_OK(WSPUnhookBlockingHook32(lpErrno));
    CHECK_OK(WSPUnhookBlockingHook32(lpErrno));   /* no hook: still fine */
    t_cleanup();
}

/* A NULL hook is WSAEFAULT and leaves the installed one in place. */
TEST(set_null_is_efault) {
    t_startup();
    set_hook(record_hook);
    int err = 0;
    CHECK(WSPSetBlockingHook32(NULL, &err) == NULL);
    CHECK_EQ(err, WSAEFAULT);
    CHECK(WSPSetBlockingHook32(other_hook, &err) == record_hook);
    t_cleanup();
}

/* Cancel with no blocking call in progress is WSAEINVAL, hook or not;
 * WSPIsBlocking32 is FALSE outside a blocking call. */
TEST(cancel_without_blocking_call_is_einval) {
    t_startup();
    CHECK(!WSPIsBlocking32());
    CHECK_WSA(WSPCancelBlockingCall32(lpErrno), WSAEINVAL);
    set_hook(record_hook);
    CHECK(!WSPIsBlocking32());
    CHECK_WSA(WSPCancelBlockingCall32(lpErrno), WSAEINVAL);
    /* A cancel that failed leaves nothing behind: the next blocking call
     * completes normally. */
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    struct late l = { c, 50, "x", 1 };
    pthread_t th;
    start_late_send(&th, &l);
    char buf[8];
    DWORD n;
    int err = 0;
    CHECK_EQ(recv_some(s, buf, sizeof buf, &n, &err), 0);
    CHECK_EQ(n, 1);
    pthread_join(th, NULL);
    CHECK(!WSPIsBlocking32());
    t_cleanup();
}

/* ---- the loop ---- */

/* A blocked recv calls the hook at least every 10 ms, with WSPIsBlocking32
 * TRUE inside, and still returns the data that arrives meanwhile. */
TEST(hook_called_every_10ms_during_recv) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    set_hook(record_hook);
    static const char msg[] = "arrived while hooking";
    struct late l = { c, 150, msg, sizeof msg };
    pthread_t th;
    double t0 = t_now();
    start_late_send(&th, &l);
    char buf[64];
    DWORD n;
    int err = 0;
    CHECK_EQ(recv_some(s, buf, sizeof buf, &n, &err), 0);
    double wall = (t_now() - t0) * 1e3;
    pthread_join(th, NULL);
    CHECK(!WSPIsBlocking32());
    CHECK_EQ(n, sizeof msg);
    CHECK(memcmp(buf, msg, sizeof msg) == 0);
    CHECK(wall >= 140);
    if (ncalls < (int)(wall / 20))
        harness_fail(__FILE__, __LINE__, "%d hook calls in %.0f ms", ncalls, wall);
    double gap = median_gap_ms();
    if (gap > 11.0) harness_fail(__FILE__, __LINE__, "median gap %.1f ms between hook calls", gap);
    CHECK_EQ(not_blocking_inside, 0);
    /* The hook is not called once the call returned. */
    int before = ncalls;
    t_sleep_ms(30);
    CHECK_EQ(ncalls, before);
    t_cleanup();
}

/* A call that need not wait never calls the hook; neither does a
 * non-blocking socket's WSAEWOULDBLOCK. */
TEST(hook_not_called_without_waiting) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    set_hook(record_hook);
    CHECK_EQ(t_send_all(c, "abc", 3), 0);
    t_sleep_ms(20);
    char buf[8];
    DWORD n;
    int err = 0;
    CHECK_EQ(recv_some(s, buf, sizeof buf, &n, &err), 0);
    CHECK_EQ(n, 3);
    u_long on = 1;
    CHECK_OK(WSPIoctlSocket(s, FIONBIO, &on, lpErrno));
    CHECK_EQ(recv_some(s, buf, sizeof buf, &n, &err), SOCKET_ERROR);
    CHECK_EQ(err, WSAEWOULDBLOCK);
    CHECK_EQ(ncalls, 0);
    t_cleanup();
}

/* A hook that returns TRUE is called again at once (the draft's
 * `while (BlockingHook());`); one returning FALSE lets the provider wait. */
TEST(hook_returning_true_is_called_again_at_once) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    true_for = 200;
    set_hook(record_hook);
    struct late l = { c, 100, "y", 1 };
    pthread_t th;
    start_late_send(&th, &l);
    char buf[8];
    DWORD n;
    int err = 0;
    CHECK_EQ(recv_some(s, buf, sizeof buf, &n, &err), 0);
    pthread_join(th, NULL);
    CHECK_EQ(n, 1);
    CHECK(ncalls > 200);
    /* The 200 TRUE answers came back to back: no wait of the provider's
     * between them. A poll slice between two calls would make a gap of
     * about 9 ms; being preempted by other load may make one or two. */
    int slow_gaps = 0;
    for (int i = 1; i < 200; i++) slow_gaps += (call_times[i] - call_times[i - 1]) * 1e3 > 5.0;
    if (slow_gaps > 2) harness_fail(__FILE__, __LINE__, "%d of 199 gaps between TRUE-returning calls over 5 ms", slow_gaps);
    t_cleanup();
}

/* Inside the hook every SPI call but WSPCancelBlockingCall32 fails with
 * WSAEINPROGRESS (and does nothing); WSPIsBlocking32 is TRUE. */
static SOCKET other_sock, spare_sock;
static int inproc[16], inproc_rc[16], ninproc;
static int inhook_isblocking;

static void note(int rc, int err) {
    inproc_rc[ninproc] = rc;
    inproc[ninproc++] = err;
}

/* Runs `call` (which uses `err`) and notes its result and error; the
 * call is made before err is read. */
#define NOTE(call) do { err = 0; int _rc = (int)(call); note(_rc, err); } while (0)

static BOOL probing_hook(void) {
    if (ninproc > 0) return FALSE;
    inhook_isblocking = WSPIsBlocking32();
    int err = 0;
    DWORD n = 0;
    char buf[4];
    int flags = 0;
    fd_set r;
    FD_ZERO(&r);
    FD_SET(other_sock, &r);
    struct timeval tv = { 0, 0 };
    NOTE(WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, &err) == INVALID_SOCKET ? SOCKET_ERROR : 0);
    NOTE(WSPSend(other_sock, "z", 1, &n, 0, NULL, NULL, &err));
    NOTE(WSPSetBlockingHook32(other_hook, &err) == NULL ? SOCKET_ERROR : 0);
    NOTE(WSPUnhookBlockingHook32(&err));
    NOTE(WSPCloseSocket(spare_sock, &err));
    NOTE(WSPRecv(other_sock, buf, sizeof buf, &n, &flags, NULL, NULL, &err));   /* a nested blocking call */
    NOTE(WSPSelect(0, &r, NULL, NULL, &tv, &err));
    NOTE(WSPListen(spare_sock, 5, &err));
    NOTE(WSPCleanup(NULL, 0, &err));
    {   /* WSPStartup returns its error code */
        WSADATA d;
        int code = WSPStartup(0x0202, &d);
        note(code == 0 ? 0 : SOCKET_ERROR, code);
    }
    err = 0;
    cancel_rc = WSPCancelBlockingCall32(&err);
    cancel_err = err;
    return FALSE;
}

TEST(spi_calls_inside_hook_fail_with_inprogress) {
    t_startup();
    SOCKET c, s, c2, s2;
    t_tcp_pair(&c, &s);
    t_tcp_pair(&c2, &s2);
    other_sock = c2;
    spare_sock = t_socket(SOCK_STREAM);
    struct sockaddr_in sa = t_loopback(0);
    CHECK_OK(WSPBind(spare_sock, (struct sockaddr *)&sa, sizeof sa, lpErrno));
    set_hook(probing_hook);
    char buf[8];
    DWORD n;
    int err = 0;
    CHECK_EQ(recv_some(s, buf, sizeof buf, &n, &err), SOCKET_ERROR);
    CHECK_EQ(err, WSAEINTR);
    CHECK_EQ(inhook_isblocking, TRUE);
    CHECK_EQ(ninproc, 10);
    for (int i = 0; i < ninproc; i++) {
        if (inproc_rc[i] != SOCKET_ERROR || inproc[i] != WSAEINPROGRESS)
            harness_fail(__FILE__, __LINE__, "call %d from the hook: rc %d, error %d (want WSAEINPROGRESS)",
                         i, inproc_rc[i], inproc[i]);
    }
    CHECK_EQ(cancel_rc, 0);
    /* None of them took effect: the hook is unchanged, the spare socket
     * open, nothing was sent, the library still started. */
    CHECK(WSPSetBlockingHook32(probing_hook, &err) == probing_hook);
    CHECK_OK(WSPListen(spare_sock, 5, lpErrno));
    u_long on = 1;
    CHECK_OK(WSPIoctlSocket(s2, FIONBIO, &on, lpErrno));
    CHECK_EQ(recv_some(s2, buf, sizeof buf, &n, &err), SOCKET_ERROR);
    CHECK_EQ(err, WSAEWOULDBLOCK);
    CHECK_OK(WSPCloseSocket(spare_sock, lpErrno));
    /* Outside the hook the same calls work again. */
    CHECK_OK(WSPUnhookBlockingHook32(lpErrno));
    t_cleanup();
    /* The start-up from the hook was not counted: one clean-up ended it. */
    CHECK_WSA(WSPCloseSocket(s, lpErrno), WSANOTINITIALISED);
}

/* ---- cancelling ---- */

/* Cancel from the hook ends a recv with WSAEINTR as soon as the hook
 * returns; cancel itself succeeds. The stream is intact afterwards. */
TEST(cancel_recv_from_hook) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    cancel_after = 3;
    set_hook(record_hook);
    char buf[8];
    DWORD n;
    int err = 0;
    double t0 = t_now();
    CHECK_EQ(recv_some(s, buf, sizeof buf, &n, &err), SOCKET_ERROR);
    CHECK_EQ(err, WSAEINTR);
    CHECK(t_now() - t0 < 0.5);
    CHECK_EQ(cancel_rc, 0);
    CHECK_EQ(ncalls, 3);
    CHECK(!WSPIsBlocking32());
    /* Nothing was lost: data sent now arrives in order. */
    CHECK_EQ(t_send_all(c, "ok", 2), 0);
    cancel_after = -1;
    CHECK_EQ(t_recv_exact(s, buf, 2), 0);
    CHECK(memcmp(buf, "ok", 2) == 0);
    t_cleanup();
}

/* A hook that keeps returning TRUE after cancelling is not called again:
 * the call ends when the cancelling call of the hook returns. */
TEST(cancel_from_true_returning_hook_ends_call) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    cancel_after = 5;
    true_for = 1000000;
    set_hook(record_hook);
    char buf[8];
    DWORD n;
    int err = 0;
    CHECK_EQ(recv_some(s, buf, sizeof buf, &n, &err), SOCKET_ERROR);
    CHECK_EQ(err, WSAEINTR);
    CHECK_EQ(ncalls, 5);
    CHECK_EQ(calls_after_cancel, 0);
    t_cleanup();
}

TEST(cancel_recvfrom_udp) {
    t_startup();
    SOCKET u = t_udp_bound(NULL);
    cancel_after = 4;
    set_hook(record_hook);
    char buf[8];
    DWORD n = 0;
    int flags = 0, err = 0;
    struct sockaddr_in from;
    int fromlen = sizeof from;
    CHECK_EQ(WSPRecvFrom(u, buf, sizeof buf, &n, &flags, (struct sockaddr *)&from, &fromlen, NULL, NULL, &err), SOCKET_ERROR);
    CHECK_EQ(err, WSAEINTR);
    CHECK_EQ(ncalls, 4);
    t_cleanup();
}

/* Draft: cancelling WSPAccept does not affect the listener; any operation
 * legal before is legal after. */
static void *connect_after(void *p) {
    struct sockaddr_in *a = p;
    t_sleep_ms(100);
    int err = 0;
    SOCKET c = WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, &err);
    CHECK(c != INVALID_SOCKET);
    CHECK_EQ(WSPConnect(c, (struct sockaddr *)a, sizeof *a, NULL, NULL, 0, NULL, NULL, &err), 0);
    return NULL;
}

TEST(cancel_accept_leaves_listener_usable) {
    t_startup();
    static struct sockaddr_in a;
    SOCKET l = t_listener(&a);
    cancel_after = 3;
    set_hook(record_hook);
    int err = 0;
    CHECK_EQ(WSPAccept(l, NULL, NULL, NULL, 0, &err), INVALID_SOCKET);
    CHECK_EQ(err, WSAEINTR);
    CHECK_EQ(ncalls, 3);
    /* The listener still accepts, with the hook called while it waits. */
    cancel_after = -1;
    ncalls = 0;
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, connect_after, &a), 0);
    SOCKET s = WSPAccept(l, NULL, NULL, NULL, 0, &err);
    pthread_join(th, NULL);
    if (s == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "accept after cancel failed: %d", err);
    CHECK(ncalls >= 3);
    t_cleanup();
}

/* A listener whose accept queue is full: Linux drops the SYNs, so a
 * connect to it waits (deterministic on loopback). `fill` gets the
 * sockets used to fill it. */
static SOCKET full_listener(struct sockaddr_in *a, SOCKET *fill, int *nfill) {
    SOCKET l = t_listener(a);
    CHECK_OK(WSPListen(l, 1, lpErrno));
    int found = 0;
    for (*nfill = 0; *nfill < 8 && !found; (*nfill)++) {
        SOCKET f = fill[*nfill] = t_socket(SOCK_STREAM);
        u_long on = 1;
        CHECK_OK(WSPIoctlSocket(f, FIONBIO, &on, lpErrno));
        int err = 0;
        if (WSPConnect(f, (struct sockaddr *)a, sizeof *a, NULL, NULL, 0, NULL, NULL, &err) != 0)
            CHECK_EQ(err, WSAEWOULDBLOCK);
        fd_set w;
        struct timeval tv = { 0, 100000 };
        FD_ZERO(&w);
        FD_SET(f, &w);
        if (WSPSelect(0, NULL, &w, NULL, &tv, &lperr) == 0) found = 1;
    }
    CHECK(found);
    return l;
}

/* A cancelled blocking connect ends with WSAEINTR at once; the attempt is
 * aborted and the socket left unconnected (draft: only close is certain to
 * work; this provider also allows connecting again). */
TEST(cancel_connect_aborts_attempt) {
    t_startup();
    struct sockaddr_in a;
    SOCKET fill[8];
    int nfill = 0;
    SOCKET l = full_listener(&a, fill, &nfill);
    SOCKET c = t_socket(SOCK_STREAM);
    cancel_after = 5;
    set_hook(record_hook);
    int err = 0;
    double t0 = t_now();
    CHECK_EQ(WSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, &err), SOCKET_ERROR);
    CHECK_EQ(err, WSAEINTR);
    CHECK(t_now() - t0 < 0.5);
    CHECK_EQ(ncalls, 5);
    CHECK(!WSPIsBlocking32());
    /* Not connected, and no connection appears later. */
    DWORD n = 0;
    CHECK_WSA(WSPSend(c, "x", 1, &n, 0, NULL, NULL, lpErrno), WSAENOTCONN);
    struct sockaddr_in peer;
    int plen = sizeof peer;
    CHECK_WSA(WSPGetPeerName(c, (struct sockaddr *)&peer, &plen, lpErrno), WSAENOTCONN);
    /* Make room in the queue: the same socket can connect again. */
    u_long on = 1;
    CHECK_OK(WSPIoctlSocket(l, FIONBIO, &on, lpErrno));
    while (WSPAccept(l, NULL, NULL, NULL, 0, &err) != INVALID_SOCKET) {}
    for (int i = 0; i < nfill; i++) CHECK_OK(WSPCloseSocket(fill[i], lpErrno));
    CHECK_OK(WSPListen(l, SOMAXCONN, lpErrno));
    cancel_after = -1;
    CHECK_OK(WSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno));
    CHECK_OK(WSPCloseSocket(c, lpErrno));
    t_cleanup();
}

/* With a hook that never cancels, a blocked connect calls it while it
 * waits; closing the socket from another thread ends it with WSAEINTR. */
struct closer { SOCKET s; int delay_ms; };
static void *close_later(void *p) {
    struct closer *k = p;
    t_sleep_ms(k->delay_ms);
    int err = 0;
    CHECK_EQ(WSPCloseSocket(k->s, &err), 0);
    return NULL;
}

TEST(close_ends_hooked_connect) {
    t_startup();
    struct sockaddr_in a;
    SOCKET fill[8];
    int nfill = 0;
    full_listener(&a, fill, &nfill);
    SOCKET c = t_socket(SOCK_STREAM);
    set_hook(record_hook);
    struct closer k = { c, 100 };
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, close_later, &k), 0);
    int err = 0;
    double t0 = t_now();
    CHECK_EQ(WSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, &err), SOCKET_ERROR);
    double dt = t_now() - t0;
    pthread_join(th, NULL);
    CHECK_EQ(err, WSAEINTR);
    CHECK(dt >= 0.09 && dt < 0.6);
    CHECK(ncalls >= 5);
    t_cleanup();
}

/* RULINGS §4 with a hook: closing the socket from another thread ends a
 * hooked recv, accept and select promptly with WSAEINTR. */
TEST(close_ends_hooked_recv) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    set_hook(record_hook);
    struct closer k = { s, 100 };
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, close_later, &k), 0);
    char buf[8];
    DWORD n;
    int err = 0;
    double t0 = t_now();
    CHECK_EQ(recv_some(s, buf, sizeof buf, &n, &err), SOCKET_ERROR);
    double dt = t_now() - t0;
    pthread_join(th, NULL);
    CHECK_EQ(err, WSAEINTR);
    CHECK(dt >= 0.09 && dt < 0.6);
    CHECK(ncalls >= 5);
    t_cleanup();
}

TEST(close_ends_hooked_accept_and_select) {
    t_startup();
    SOCKET l = t_listener(NULL);
    set_hook(record_hook);
    struct closer k = { l, 80 };
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, close_later, &k), 0);
    int err = 0;
    double t0 = t_now();
    CHECK_EQ(WSPAccept(l, NULL, NULL, NULL, 0, &err), INVALID_SOCKET);
    CHECK_EQ(err, WSAEINTR);
    CHECK(t_now() - t0 < 0.6);
    pthread_join(th, NULL);

    SOCKET c, s;
    t_tcp_pair(&c, &s);
    struct closer k2 = { s, 80 };
    CHECK_EQ(pthread_create(&th, NULL, close_later, &k2), 0);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(s, &r);
    t0 = t_now();
    CHECK_WSA(WSPSelect(0, &r, NULL, NULL, NULL, lpErrno), WSAEINTR);
    CHECK(t_now() - t0 < 0.6);
    pthread_join(th, NULL);
    t_cleanup();
}

/* WSPSelect waits with the hook too: called every 10 ms, cancel ends it
 * with WSAEINTR, and a timeout still ends it with 0. */
TEST(hooked_select_timeout_and_cancel) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    set_hook(record_hook);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(s, &r);
    struct timeval tv = { 0, 100000 };
    double t0 = t_now();
    CHECK_EQ(WSPSelect(0, &r, NULL, NULL, &tv, &lperr), 0);
    double wall = (t_now() - t0) * 1e3;
    CHECK(wall >= 99);
    if (ncalls < (int)(wall / 20)) harness_fail(__FILE__, __LINE__, "%d hook calls in %.0f ms", ncalls, wall);
    CHECK_EQ(not_blocking_inside, 0);

    ncalls = 0;
    cancel_after = 3;
    FD_ZERO(&r);
    FD_SET(s, &r);
    CHECK_WSA(WSPSelect(0, &r, NULL, NULL, NULL, lpErrno), WSAEINTR);
    CHECK_EQ(ncalls, 3);
    /* Draft: the sockets of a cancelled select are unaffected. */
    cancel_after = -1;
    CHECK_EQ(t_send_all(c, "q", 1), 0);
    FD_ZERO(&r);
    FD_SET(s, &r);
    CHECK_EQ(WSPSelect(0, &r, NULL, NULL, NULL, &lperr), 1);
    t_cleanup();
}

/* A blocking stream send that the hook cancels after part of the data
 * went out returns the count sent: the stream stays whole, and what
 * follows arrives byte-exact. */
static void *read_all_later(void *p) {
    struct late *l = p;
    t_sleep_ms(l->delay_ms);
    char *buf = malloc(l->len);
    CHECK_EQ(t_recv_exact(l->s, buf, l->len), 0);
    for (DWORD i = 0; i < l->len; i++)
        if (buf[i] != (char)(i * 7 + 3)) harness_fail(__FILE__, __LINE__, "byte %u differs", (unsigned)i);
    free(buf);
    return NULL;
}

TEST(cancel_send_returns_count_sent) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    static const DWORD total = 16 << 20;
    char *data = malloc(total);
    for (DWORD i = 0; i < total; i++) data[i] = (char)(i * 7 + 3);
    cancel_after = 3;
    set_hook(record_hook);
    DWORD n = 0;
    int err = 0;
    int rc = WSPSend(c, data, total, &n, 0, NULL, NULL, &err);
    if (rc != 0) harness_fail(__FILE__, __LINE__, "send cancelled after part: rc %d, error %d", rc, err);
    CHECK(n > 0 && n < total);
    CHECK_EQ(ncalls, 3);
    CHECK_EQ(cancel_rc, 0);
    /* The stream is whole: the rest, sent now, completes it byte-exact. */
    CHECK_OK(WSPUnhookBlockingHook32(lpErrno));
    struct late reader = { s, 0, NULL, total };
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, read_all_later, &reader), 0);
    CHECK_EQ(t_send_all(c, data + n, total - n), 0);
    pthread_join(th, NULL);
    free(data);
    t_cleanup();
}

/* ---- per thread ---- */

#define NTHREADS 4
static int owner_calls[NTHREADS], foreign_calls;
static __thread int my_index = -1;
static pthread_t owners[NTHREADS];

static BOOL thread_hook(void) {
    if (my_index < 0 || !pthread_equal(pthread_self(), owners[my_index])) {
        __atomic_add_fetch(&foreign_calls, 1, __ATOMIC_SEQ_CST);
        return FALSE;
    }
    if (!WSPIsBlocking32()) __atomic_add_fetch(&not_blocking_inside, 1, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&owner_calls[my_index], 1, __ATOMIC_SEQ_CST);
    return FALSE;
}

struct worker { int index, hooked; SOCKET s; LPBLOCKINGPROC seen; int rc, err; DWORD n; char buf[16]; };
static void *worker_main(void *p) {
    struct worker *w = p;
    my_index = w->index;
    owners[w->index] = pthread_self();
    int err = 0;
    /* Another thread's hook is not this one's. */
    w->seen = w->hooked ? WSPSetBlockingHook32(thread_hook, &err) : NULL;
    w->rc = recv_some(w->s, w->buf, sizeof w->buf, &w->n, &w->err);
    return NULL;
}

TEST(hooks_are_per_thread) {
    t_startup();
    set_hook(other_hook);   /* the main thread's hook is not the workers' */
    SOCKET c[NTHREADS], s[NTHREADS];
    struct worker w[NTHREADS];
    pthread_t th[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        t_tcp_pair(&c[i], &s[i]);
        w[i] = (struct worker){ .index = i, .hooked = i % 2 == 0, .s = s[i], .seen = other_hook };
        CHECK_EQ(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    t_sleep_ms(150);
    for (int i = 0; i < NTHREADS; i++) CHECK_EQ(t_send_all(c[i], "hello", 5), 0);
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ(w[i].rc, 0);
        CHECK_EQ(w[i].n, 5);
        CHECK(w[i].seen == NULL);
        if (w[i].hooked) {
            if (owner_calls[i] < 5) harness_fail(__FILE__, __LINE__, "thread %d: %d hook calls", i, owner_calls[i]);
        } else {
            CHECK_EQ(owner_calls[i], 0);
        }
    }
    CHECK_EQ(foreign_calls, 0);
    CHECK_EQ(not_blocking_inside, 0);
    /* The main thread's hook is still its own. */
    int err = 0;
    CHECK(WSPSetBlockingHook32(other_hook, &err) == other_hook);
    t_cleanup();
}

/* Cancel on a thread that is not blocking is WSAEINVAL, even while another
 * thread is in a hooked blocking call, which goes on undisturbed. */
struct hooked_recv { SOCKET s; int rc, err; DWORD n; };
static void *hooked_recv_main(void *p) {
    struct hooked_recv *h = p;
    set_hook(record_hook);
    char buf[8];
    h->rc = recv_some(h->s, buf, sizeof buf, &h->n, &h->err);
    return NULL;
}

TEST(cancel_from_other_thread_is_einval) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    struct hooked_recv h = { s, 99, 0, 0 };
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, hooked_recv_main, &h), 0);
    t_sleep_ms(60);
    CHECK(!WSPIsBlocking32());
    CHECK_WSA(WSPCancelBlockingCall32(lpErrno), WSAEINVAL);
    t_sleep_ms(30);
    CHECK_EQ(t_send_all(c, "r", 1), 0);
    pthread_join(th, NULL);
    CHECK_EQ(h.rc, 0);
    CHECK_EQ(h.n, 1);
    CHECK(ncalls >= 5);
    t_cleanup();
}

/* Two threads in hooked blocking calls: one hook cancels its own call,
 * which ends with WSAEINTR; the other thread's call goes on, its hook still
 * called, and completes with the data sent afterwards. */
static int canceller_calls, keeper_calls, keeper_calls_at_cancel = -1;
static BOOL cancelling_hook(void) {
    if (++canceller_calls == 3) {
        int err = 0;
        WSPCancelBlockingCall32(&err);
        keeper_calls_at_cancel = __atomic_load_n(&keeper_calls, __ATOMIC_SEQ_CST);
    }
    return FALSE;
}
static BOOL keeping_hook(void) {
    if (!WSPIsBlocking32()) __atomic_add_fetch(&not_blocking_inside, 1, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&keeper_calls, 1, __ATOMIC_SEQ_CST);
    return FALSE;
}
struct two { SOCKET s; LPBLOCKINGPROC hook; int delay_ms; int rc, err; DWORD n; double t_done; };
static void *two_main(void *p) {
    struct two *t = p;
    t_sleep_ms(t->delay_ms);
    set_hook(t->hook);
    char buf[8];
    t->rc = recv_some(t->s, buf, sizeof buf, &t->n, &t->err);
    t->t_done = t_now();
    return NULL;
}

TEST(cancel_on_one_thread_leaves_the_others_call) {
    t_startup();
    SOCKET c1, s1, c2, s2;
    t_tcp_pair(&c1, &s1);
    t_tcp_pair(&c2, &s2);
    struct two keeper = { s2, keeping_hook, 0, 99, 0, 0, 0 };
    struct two canceller = { s1, cancelling_hook, 50, 99, 0, 0, 0 };
    pthread_t tk, tc;
    CHECK_EQ(pthread_create(&tk, NULL, two_main, &keeper), 0);
    CHECK_EQ(pthread_create(&tc, NULL, two_main, &canceller), 0);
    pthread_join(tc, NULL);
    CHECK_EQ(canceller.rc, SOCKET_ERROR);
    CHECK_EQ(canceller.err, WSAEINTR);
    CHECK(keeper_calls_at_cancel >= 1);   /* the keeper was blocking then */
    int at_end = __atomic_load_n(&keeper_calls, __ATOMIC_SEQ_CST);
    t_sleep_ms(100);
    CHECK(__atomic_load_n(&keeper_calls, __ATOMIC_SEQ_CST) >= at_end + 5);   /* still hooking */
    CHECK_EQ(keeper.rc, 99);   /* still blocked */
    CHECK(!WSPIsBlocking32());
    CHECK_EQ(t_send_all(c2, "k", 1), 0);
    pthread_join(tk, NULL);
    CHECK_EQ(keeper.rc, 0);
    CHECK_EQ(keeper.n, 1);
    CHECK_EQ(not_blocking_inside, 0);
    CHECK_EQ(canceller_calls, 3);
    t_cleanup();
}

/* ---- without a hook ---- */

/* Unhook restores the default: a blocked recv calls nothing. */
TEST(unhook_restores_no_hook) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    set_hook(record_hook);
    CHECK_OK(WSPUnhookBlockingHook32(lpErrno));
    struct late l = { c, 100, "u", 1 };
    pthread_t th;
    start_late_send(&th, &l);
    char buf[8];
    DWORD n;
    int err = 0;
    CHECK_EQ(recv_some(s, buf, sizeof buf, &n, &err), 0);
    pthread_join(th, NULL);
    CHECK_EQ(n, 1);
    CHECK_EQ(ncalls, 0);
    t_cleanup();
}

/* A thread without a hook blocks in the kernel with no periodic wake-up:
 * a 200 ms blocked recv, accept or select costs it only a couple of
 * context switches (a 10 ms tick would cost 20). */
/* From /proc (getrusage's struct rusage holds a struct timeval, which
 * ws2spi.h renames to its own). */
static long thread_switches(void) {
    FILE *f = fopen("/proc/thread-self/status", "r");
    CHECK(f != NULL);
    char line[256];
    long total = 0, v;
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        /* Voluntary only: a wake-up is a voluntary switch, while preemption
         * by other load on the machine is not the provider's doing. */
        if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1) { total += v; found++; }
    }
    fclose(f);
    CHECK_EQ(found, 1);
    return total;
}

struct quiet { int op; SOCKET s; struct sockaddr_in a; long switches; int rc; int hooked; };
static void *quiet_main(void *p) {
    struct quiet *q = p;
    if (q->hooked) set_hook(counting_hook);
    char buf[8];
    DWORD n;
    int err = 0;
    long before = thread_switches();
    if (q->op == 0) {
        q->rc = recv_some(q->s, buf, sizeof buf, &n, &err);
    } else if (q->op == 1) {
        q->rc = WSPAccept(q->s, NULL, NULL, NULL, 0, &err) == INVALID_SOCKET ? err : 0;
    } else {
        fd_set r;
        FD_ZERO(&r);
        FD_SET(q->s, &r);
        q->rc = WSPSelect(0, &r, NULL, NULL, NULL, &err) == 1 ? 0 : err;
    }
    q->switches = thread_switches() - before;
    return NULL;
}

TEST(no_hook_no_wakeups) {
    t_startup();
    set_hook(record_hook);   /* another thread's hook changes nothing here */
    /* op 3: the same recv with a hook, to show the count sees wake-ups. */
    for (int op = 0; op < 4; op++) {
        SOCKET c, s;
        t_tcp_pair(&c, &s);
        struct quiet q = { .op = op % 3, .s = s, .hooked = op == 3 };
        SOCKET l = INVALID_SOCKET;
        if (q.op == 1) { l = t_listener(&q.a); q.s = l; }
        pthread_t th;
        CHECK_EQ(pthread_create(&th, NULL, quiet_main, &q), 0);
        t_sleep_ms(200);
        if (q.op == 1) {
            SOCKET k = t_socket(SOCK_STREAM);
            CHECK_OK(WSPConnect(k, (struct sockaddr *)&q.a, sizeof q.a, NULL, NULL, 0, NULL, NULL, lpErrno));
        } else {
            CHECK_EQ(t_send_all(c, "w", 1), 0);
        }
        pthread_join(th, NULL);
        CHECK_EQ(q.rc, 0);
        if (q.hooked) {
            if (q.switches < 10) harness_fail(__FILE__, __LINE__, "hooked: only %ld context switches in 200 ms", q.switches);
        } else if (q.switches > 3) {
            harness_fail(__FILE__, __LINE__, "op %d: %ld context switches in a 200 ms wait", op, q.switches);
        }
    }
    CHECK(ncalls >= 10);   /* all from the hooked thread (counting_hook) */
    t_cleanup();
}

/* ---- data with hooks on both sides ---- */

struct bulk { SOCKET s; DWORD len; int rc; };
static void *bulk_send(void *p) {
    struct bulk *b = p;
    set_hook(counting_hook);
    char *data = malloc(b->len);
    for (DWORD i = 0; i < b->len; i++) data[i] = (char)(i * 7 + 3);
    DWORD done = 0;
    unsigned seed = 1;
    while (done < b->len && b->rc == 0) {
        seed = seed * 1103515245u + 12345u;
        DWORD chunk = 1 + (seed >> 8) % (256 * 1024);
        if (chunk > b->len - done) chunk = b->len - done;
        b->rc = t_send_all(b->s, data + done, chunk);
        done += chunk;
    }
    free(data);
    return NULL;
}

TEST(data_byte_exact_with_hooks) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    set_hook(counting_hook);
    struct bulk b = { c, 8 << 20, 0 };
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, bulk_send, &b), 0);
    char *buf = malloc(b.len);
    DWORD done = 0;
    while (done < b.len) {
        DWORD n;
        int err = 0;
        CHECK_EQ(recv_some(s, buf + done, b.len - done < 3000 ? b.len - done : 3000, &n, &err), 0);
        CHECK(n > 0);
        done += n;
    }
    pthread_join(th, NULL);
    CHECK_EQ(b.rc, 0);
    for (DWORD i = 0; i < b.len; i++)
        if (buf[i] != (char)(i * 7 + 3)) harness_fail(__FILE__, __LINE__, "byte %u differs", (unsigned)i);
    free(buf);
    t_cleanup();
}
