/* Overlapped I/O (RULINGS §8; draft WSPRecv, WSPRecvFrom, WSPSend, WSPSendTo
 * remarks): sockets created with WSA_FLAG_OVERLAPPED and calls with a
 * non-NULL lpOverlapped. A call returns 0 when it completed at once, else
 * SOCKET_ERROR with WSA_IO_PENDING; on completion Internal holds the status
 * and InternalHigh the bytes, then the completion routine runs as an APC in
 * the posting thread's next alertable wait (hEvent is caller context), or,
 * without a routine, hEvent is set. Buffers are filled and sends go out in
 * posting order; more than 1024 outstanding operations on one socket is
 * WSAEWOULDBLOCK; closing completes every pending operation with
 * WSA_OPERATION_ABORTED, exactly once. WSAGetOverlappedResult reports the
 * result. On a socket without the flag lpOverlapped is ignored; on an
 * overlapped socket a NULL lpOverlapped makes a non-blocking plain call. */
#include "harness.h"
#include <stdint.h>
#include <time.h>

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */

#define MAXOPS 1100

/* Operation i of a test uses ov[i]; the routine finds i from the pointer. */
static WSAOVERLAPPED ov[MAXOPS];

struct done {
    int calls;                  /* atomic: how often the routine ran for it */
    int seq;                    /* the order it ran in (0, 1, ...) */
    DWORD err, cb;              /* the routine's dwError, cbTransferred */
    DWORD tid;                  /* the thread it ran on */
    DWORD internal, high;       /* ov[i].Internal, .InternalHigh inside it */
    WSAEVENT hev;               /* ov[i].hEvent inside it */
};
static struct done done[MAXOPS];
static int n_done;              /* atomic: routines run so far */
static int bad_routine;         /* atomic: routines given an unknown lpOverlapped */

static void CALLBACK on_done(DWORD err, DWORD cb, LPWSAOVERLAPPED o) {
    if (o < ov || o >= ov + MAXOPS) { __atomic_fetch_add(&bad_routine, 1, __ATOMIC_SEQ_CST); return; }
    struct done *d = &done[o - ov];
    d->err = err;
    d->cb = cb;
    d->tid = WPUXxxGetCurrentThreadId32();
    d->internal = o->Internal;
    d->high = o->InternalHigh;
    d->hev = o->hEvent;
    d->seq = __atomic_fetch_add(&n_done, 1, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&d->calls, 1, __ATOMIC_SEQ_CST);
}

static int ndone(void) { return __atomic_load_n(&n_done, __ATOMIC_SEQ_CST); }
static int calls(int i) { return __atomic_load_n(&done[i].calls, __ATOMIC_SEQ_CST); }
static DWORD internal(int i) { return __atomic_load_n(&ov[i].Internal, __ATOMIC_SEQ_CST); }

/* Alertable waits on this thread until `n` routines have run in all. */
#define RUN_UNTIL(n, seconds) run_until(__LINE__, (n), (seconds))
static void run_until(int line, int n, double seconds) {
    double t0 = t_now();
    while (ndone() < n) {
        if (t_now() - t0 > seconds)
            harness_fail(__FILE__, line, "%d of %d completion routines ran in %.1f s", ndone(), n, seconds);
        DWORD r = SleepEx(100, TRUE);
        if (r != 0 && r != WAIT_IO_COMPLETION) harness_fail(__FILE__, line, "SleepEx returned %u", (unsigned)r);
    }
}

/* Polls (no alertable wait) until operation i is no longer pending. */
#define WAIT_COMPLETE(i) wait_complete(__LINE__, (i))
static void wait_complete(int line, int i) {
    double t0 = t_now();
    while (internal(i) == WSA_IO_PENDING) {
        if (t_now() - t0 > 5) harness_fail(__FILE__, line, "operation %d still pending after 5 s", i);
        t_sleep_ms(1);
    }
}

/* Checks routine i ran exactly once, on this thread, with (err, cb), and
 * saw Internal / InternalHigh already holding them. */
#define CHECK_DONE(i, e, n) check_done(__LINE__, (i), (e), (n))
static void check_done(int line, int i, DWORD err, DWORD cb) {
    struct done *d = &done[i];
    if (calls(i) != 1) harness_fail(__FILE__, line, "routine of operation %d ran %d times", i, calls(i));
    if (d->err != err) harness_fail(__FILE__, line, "operation %d: dwError %u, expected %u", i, (unsigned)d->err, (unsigned)err);
    if (d->cb != cb) harness_fail(__FILE__, line, "operation %d: cbTransferred %u, expected %u", i, (unsigned)d->cb, (unsigned)cb);
    if (d->tid != WPUXxxGetCurrentThreadId32()) harness_fail(__FILE__, line, "operation %d: routine ran on another thread", i);
    if (d->internal != err || d->high != cb)
        harness_fail(__FILE__, line, "operation %d: Internal %u / InternalHigh %u in the routine, expected %u / %u",
                     i, (unsigned)d->internal, (unsigned)d->high, (unsigned)err, (unsigned)cb);
}

/* An overlapped receive of op i (hEvent ev, routine fn; either may be NULL).
 * Returns 0 (completed at once: then the byte count and flags were set) or
 * WSA_IO_PENDING; anything else fails the test. */
#define POST_RECV(s, i, buf, len, ev, fn) post_recv(__LINE__, (s), (i), (buf), (len), (ev), (fn))
static int post_recv(int line, SOCKET s, int i, void *buf, DWORD len, WSAEVENT ev, LPWSAOVERLAPPED_COMPLETION_ROUTINE fn) {
    memset(&ov[i], 0, sizeof ov[i]);
    ov[i].hEvent = ev;
    DWORD n = 0xDEADBEEF;
    int flags = 0, err = 0x7EADBEEF;
    int r = WSPRecv(s, buf, len, &n, &flags, &ov[i], fn, &err);
    if (r == 0) {
        if (n > len) harness_fail(__FILE__, line, "receive %d completed at once with %u bytes of %u", i, (unsigned)n, (unsigned)len);
        if (flags != 0) harness_fail(__FILE__, line, "receive %d completed at once with flags 0x%x", i, flags);
        return 0;
    }
    if (r != SOCKET_ERROR || err != WSA_IO_PENDING)
        harness_fail(__FILE__, line, "overlapped WSPRecv %d returned %d, error %d (expected 0 or WSA_IO_PENDING)", i, r, err);
    return WSA_IO_PENDING;
}

/* An overlapped send of op i; as post_recv. A send completed at once has
 * sent all its bytes. */
#define POST_SEND(s, i, buf, len, ev, fn) post_send(__LINE__, (s), (i), (buf), (len), (ev), (fn))
static int post_send(int line, SOCKET s, int i, const void *buf, DWORD len, WSAEVENT ev, LPWSAOVERLAPPED_COMPLETION_ROUTINE fn) {
    memset(&ov[i], 0, sizeof ov[i]);
    ov[i].hEvent = ev;
    DWORD n = 0xDEADBEEF;
    int err = 0x7EADBEEF;
    int r = WSPSend(s, (void *)buf, len, &n, 0, &ov[i], fn, &err);
    if (r == 0) {
        if (n != len) harness_fail(__FILE__, line, "send %d completed at once with %u bytes of %u", i, (unsigned)n, (unsigned)len);
        return 0;
    }
    if (r != SOCKET_ERROR || err != WSA_IO_PENDING)
        harness_fail(__FILE__, line, "overlapped WSPSend %d returned %d, error %d (expected 0 or WSA_IO_PENDING)", i, r, err);
    return WSA_IO_PENDING;
}

static SOCKET ov_socket(int type) {
    int err = 0;
    SOCKET s = WSPSocket(AF_INET, type, type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP, 0, WSA_FLAG_OVERLAPPED, &err);
    if (s == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "WSPSocket(WSA_FLAG_OVERLAPPED) failed: %d", err);
    return s;
}

/* WSPSelect on one socket: 1 when readable (write 0) / writable (write 1). */
static int ready(SOCKET s, int write, int ms) {
    fd_set set, ex;
    FD_ZERO(&set);
    FD_SET(s, &set);
    FD_ZERO(&ex);
    FD_SET(s, &ex);
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    int err = 0;
    int r = write ? WSPSelect(0, NULL, &set, &ex, &tv, &err) : WSPSelect(0, &set, NULL, NULL, &tv, &err);
    if (r == SOCKET_ERROR) harness_fail(__FILE__, __LINE__, "WSPSelect failed: %d", err);
    return r > 0 && FD_ISSET(s, &set);
}

/* A connected TCP pair over loopback. The server side is accepted from a
 * listener created with or without WSA_FLAG_OVERLAPPED (an accepted socket
 * has its listener's properties); the client side is created with or without
 * it and connected as an overlapped socket is: non-blocking, then WSPSelect. */
static void tcp_pair(SOCKET *client, int client_ov, SOCKET *server, int server_ov) {
    struct sockaddr_in a = t_loopback(0);
    int len = sizeof a, err = 0;
    SOCKET l = server_ov ? ov_socket(SOCK_STREAM) : t_socket(SOCK_STREAM);
    CHECK_OK(WSPBind(l, (struct sockaddr *)&a, sizeof a, lpErrno));
    CHECK_OK(WSPListen(l, SOMAXCONN, lpErrno));
    CHECK_OK(WSPGetSockName(l, (struct sockaddr *)&a, &len, lpErrno));
    SOCKET c = client_ov ? ov_socket(SOCK_STREAM) : t_socket(SOCK_STREAM);
    if (WSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, &err) != 0) {
        if (err != WSAEWOULDBLOCK) harness_fail(__FILE__, __LINE__, "WSPConnect failed: %d", err);
        if (!ready(c, 1, 5000)) harness_fail(__FILE__, __LINE__, "the connect did not finish");
    }
    if (server_ov && !ready(l, 0, 5000)) harness_fail(__FILE__, __LINE__, "no connection to accept");
    SOCKET s = WSPAccept(l, NULL, NULL, NULL, 0, &err);
    if (s == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "WSPAccept failed: %d", err);
    CHECK_OK(WSPCloseSocket(l, lpErrno));
    *client = c;
    *server = s;
}

/* The usual pair: *o overlapped (accepted), *peer a plain blocking socket. */
static void ov_pair(SOCKET *o, SOCKET *peer) { tcp_pair(peer, 0, o, 1); }

/* An overlapped UDP socket bound to 127.0.0.1, port 0. */
static SOCKET ov_udp_bound(struct sockaddr_in *addr) {
    SOCKET s = ov_socket(SOCK_DGRAM);
    t_bind_loopback(s, addr);
    return s;
}

static WSAEVENT new_event(void) {
    WSAEVENT e = WSACreateEvent();
    if (e == WSA_INVALID_EVENT) harness_fail(__FILE__, __LINE__, "WSACreateEvent failed: %d", WSAGetLastError());
    return e;
}

static int is_set(WSAEVENT e) { return WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE) == WSA_WAIT_EVENT_0; }

/* The numbered byte stream the peers send: byte k of it. */
static unsigned char stream_byte(size_t k) {
    return (unsigned char)((k * 131u + (k >> 8) * 7u + (k >> 16)) & 0xFFu);
}

static void fill_stream(unsigned char *p, size_t off, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = stream_byte(off + i);
}

/* Byte k at p[0] is stream byte `off`: fails at the first difference. */
#define CHECK_STREAM(p, off, n, what) check_stream(__LINE__, (p), (off), (n), (what))
static void check_stream(int line, const unsigned char *p, size_t off, size_t n, int what) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != stream_byte(off + i))
            harness_fail(__FILE__, line, "operation %d: byte %zu of the stream is 0x%02x, expected 0x%02x",
                         what, off + i, p[i], stream_byte(off + i));
}

/* A plain-socket thread: sends `len` stream bytes from `off`, then sleeps
 * `delay_ms` before (or closes after, when `close_after`). */
struct feeder { SOCKET s; size_t off, len; int delay_ms; int close_after; int err; double t_sent; };

static void *feeder_main(void *p) {
    struct feeder *f = p;
    if (f->delay_ms) t_sleep_ms(f->delay_ms);
    unsigned char *buf = malloc(f->len ? f->len : 1);
    CHECK(buf != NULL);
    fill_stream(buf, f->off, f->len);
    f->t_sent = t_now();
    f->err = t_send_all(f->s, buf, (DWORD)f->len);
    free(buf);
    if (f->close_after) {
        int err = 0;
        if (WSPCloseSocket(f->s, &err) != 0) f->err = err;
    }
    return NULL;
}

/* A plain-socket thread reading `len` stream bytes and checking them. */
struct drain { SOCKET s; size_t len; int err; size_t got; };

static void *drain_main(void *p) {
    struct drain *d = p;
    static unsigned char buf[65536];
    while (d->got < d->len) {
        DWORD n = 0;
        int flags = 0, err = 0;
        DWORD want = d->len - d->got < sizeof buf ? (DWORD)(d->len - d->got) : (DWORD)sizeof buf;
        if (WSPRecv(d->s, buf, want, &n, &flags, NULL, NULL, &err) != 0) { d->err = err; return NULL; }
        if (n == 0) { d->err = -1; return NULL; }
        CHECK_STREAM(buf, d->got, n, -1);
        d->got += n;
    }
    return NULL;
}

/* Checks that receives 0..n-1 (buffers bufs[i] of sizes len[i], all
 * completed, routines in done[]) hold the stream in posting order: each
 * completion has >= 1 byte, except 0-byte ones (end of stream) once all
 * `total` bytes were received. Returns the bytes received. */
static size_t check_receives_in_order(int line, int first, int n, unsigned char **bufs, const DWORD *len, size_t total) {
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        int k = first + i;
        if (calls(k) != 1) harness_fail(__FILE__, line, "receive %d: routine ran %d times", k, calls(k));
        if (done[k].err != 0) harness_fail(__FILE__, line, "receive %d failed: %u", k, (unsigned)done[k].err);
        DWORD cb = done[k].cb;
        if (cb > len[i]) harness_fail(__FILE__, line, "receive %d: %u bytes into a %u-byte buffer", k, (unsigned)cb, (unsigned)len[i]);
        if (cb == 0 && off != total)
            harness_fail(__FILE__, line, "receive %d completed with 0 bytes after %zu of %zu", k, off, total);
        check_stream(line, bufs[i], off, cb, k);
        off += cb;
    }
    return off;
}

/* ------------------------------------------------------------------------ */
/* Completion order                                                         */

/* 300 receives of varied sizes posted before any data: each is pending with
 * Internal == WSA_IO_PENDING; then the peer sends the numbered stream and
 * closes. Every buffer holds the next bytes of the stream in posting order
 * and the routines run in posting order, each once, on this thread. */
TEST_T(receives_300_filled_in_posting_order, 30) {
    t_startup();
    SOCKET s, peer;
    ov_pair(&s, &peer);
    enum { N = 300 };
    static unsigned char *bufs[N];
    static DWORD len[N];
    size_t total = 0;
    for (int i = 0; i < N; i++) {
        len[i] = 1 + (DWORD)((i * 37) % 211);
        total += len[i];
        bufs[i] = malloc(len[i]);
        memset(bufs[i], 0xEE, len[i]);
    }
    for (int i = 0; i < N; i++) CHECK_EQ(POST_RECV(s, i, bufs[i], len[i], NULL, on_done), WSA_IO_PENDING);
    for (int i = 0; i < N; i++) CHECK_EQ(internal(i), WSA_IO_PENDING);
    CHECK_EQ(ndone(), 0);
    struct feeder f = { peer, 0, total, 0, 1, 0, 0 };
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, feeder_main, &f), 0);
    RUN_UNTIL(N, 10);
    pthread_join(th, NULL);
    CHECK_EQ(f.err, 0);
    size_t got = check_receives_in_order(__LINE__, 0, N, bufs, len, total);
    CHECK(got > 0);
    for (int i = 0; i < N; i++) {
        CHECK_EQ(done[i].seq, i);
        CHECK_DONE(i, 0, done[i].cb);
    }
    CHECK_EQ(bad_routine, 0);
    CHECK_OK(WSPCloseSocket(s, lpErrno));
}

/* 300 sends of varied sizes (4 MiB in all) posted while the peer reads
 * nothing, through a small send buffer: posting never blocks, most are
 * pending; then the peer reads. The stream arrives in posting order, every
 * send completes with all its bytes, routines in posting order. */
TEST_T(sends_300_go_out_in_posting_order, 40) {
    t_startup();
    SOCKET s, peer;
    ov_pair(&s, &peer);
    t_set_int_opt(s, SOL_SOCKET, SO_SNDBUF, 8192);
    enum { N = 300 };
    static DWORD len[N];
    static size_t off[N];
    size_t total = 0;
    for (int i = 0; i < N; i++) {
        len[i] = 1 + (DWORD)((i * 7919) % 27000);
        off[i] = total;
        total += len[i];
    }
    unsigned char *src = malloc(total);
    fill_stream(src, 0, total);
    int pending = 0;
    double t0 = t_now();
    for (int i = 0; i < N; i++) pending += POST_SEND(s, i, src + off[i], len[i], NULL, on_done) == WSA_IO_PENDING;
    CHECK(t_now() - t0 < 2.0);     /* posting does not wait for the peer */
    CHECK(pending > N / 2);
    CHECK_EQ(internal(N - 1), WSA_IO_PENDING);
    struct drain d = { peer, total, 0, 0 };
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, drain_main, &d), 0);
    RUN_UNTIL(N, 30);
    pthread_join(th, NULL);
    CHECK_EQ(d.err, 0);
    CHECK_EQ(d.got, total);
    for (int i = 0; i < N; i++) {
        CHECK_DONE(i, 0, len[i]);
        CHECK_EQ(done[i].seq, i);
        CHECK_EQ(ov[i].Internal, 0);
        CHECK_EQ(ov[i].InternalHigh, len[i]);
    }
    CHECK_OK(WSPCloseSocket(s, lpErrno));
    free(src);
}

/* An echoing peer. */
static void *echo_main(void *p) {
    SOCKET s = *(SOCKET *)p;
    static unsigned char buf[65536];
    for (;;) {
        DWORD n = 0;
        int flags = 0, err = 0;
        if (WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, &err) != 0 || n == 0) break;
        if (t_send_all(s, buf, n) != 0) break;
    }
    WSPCloseSocket(s, &lperr);
    return NULL;
}

/* 200 receives and 200 sends outstanding at once on one socket, posted
 * alternately, against an echoing peer: the sends go out in order, the
 * receives get the echo in order. */
TEST_T(receives_and_sends_interleaved_400_outstanding, 30) {
    t_startup();
    SOCKET s, peer;
    ov_pair(&s, &peer);
    enum { N = 200 };
    static DWORD slen[N], rlen[N];
    static unsigned char *rbufs[N];
    size_t total = 0;
    for (int i = 0; i < N; i++) {
        slen[i] = 1 + (DWORD)((i * 613) % 3001);
        total += slen[i];
    }
    for (int i = 0; i < N; i++) {
        rlen[i] = slen[N - 1 - i];
        rbufs[i] = malloc(rlen[i]);
    }
    unsigned char *src = malloc(total);
    fill_stream(src, 0, total);
    /* receives are ops 0..N-1, sends N..2N-1 */
    size_t o = 0;
    for (int i = 0; i < N; i++) {
        POST_RECV(s, i, rbufs[i], rlen[i], NULL, on_done);
        POST_SEND(s, N + i, src + o, slen[i], NULL, on_done);
        o += slen[i];
    }
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, echo_main, &peer), 0);
    double t0 = t_now();
    for (;;) {   /* all the sends, then our end of the stream */
        int sent = 0;
        for (int i = 0; i < N; i++) sent += calls(N + i);
        if (sent == N) break;
        CHECK(t_now() - t0 < 10);
        SleepEx(100, TRUE);
    }
    CHECK_OK(WSPShutdown(s, SD_SEND, lpErrno));
    RUN_UNTIL(2 * N, 10);
    pthread_join(th, NULL);
    for (int i = 0; i < N; i++) CHECK_DONE(N + i, 0, slen[i]);
    size_t got = check_receives_in_order(__LINE__, 0, N, rbufs, rlen, total);
    CHECK(got > 0);
    /* routines of each kind in posting order */
    for (int i = 1; i < N; i++) {
        CHECK(done[i].seq > done[i - 1].seq);
        CHECK(done[N + i].seq > done[N + i - 1].seq);
    }
    CHECK_OK(WSPCloseSocket(s, lpErrno));
    free(src);
}

/* Four threads post 100 sends of 3000 bytes each on one socket (small send
 * buffer, so the kernel takes them in pieces) and wait alertably: every
 * routine runs on its own poster's thread, and the peer sees whole
 * messages - a send's bytes are never split by another's - with each
 * thread's messages in its posting order. */
enum { MT_THREADS = 4, MT_MSGS = 100, MT_LEN = 3000 };
static SOCKET mt_socket;

static void mt_message(unsigned char *m, int t, int k) {
    m[0] = (unsigned char)t;
    m[1] = (unsigned char)k;
    for (int i = 2; i < MT_LEN; i++) m[i] = (unsigned char)(t * 31 + k * 7 + i);
}

struct mt_poster { int t; DWORD tid; int errors; unsigned char msg[MT_MSGS][MT_LEN]; };

static void *mt_poster_main(void *p) {
    struct mt_poster *a = p;
    a->tid = WPUXxxGetCurrentThreadId32();
    for (int k = 0; k < MT_MSGS; k++) {
        mt_message(a->msg[k], a->t, k);
        POST_SEND(mt_socket, a->t * MT_MSGS + k, a->msg[k], MT_LEN, NULL, on_done);
    }
    double t0 = t_now();
    for (;;) {
        int n = 0;
        for (int k = 0; k < MT_MSGS; k++) n += calls(a->t * MT_MSGS + k);
        if (n == MT_MSGS) break;
        if (t_now() - t0 > 15) { a->errors++; break; }
        SleepEx(100, TRUE);
    }
    return NULL;
}

TEST_T(sends_from_four_threads_stay_whole, 30) {
    t_startup();
    SOCKET peer;
    ov_pair(&mt_socket, &peer);
    t_set_int_opt(mt_socket, SOL_SOCKET, SO_SNDBUF, 8192);
    static struct mt_poster a[MT_THREADS];
    pthread_t th[MT_THREADS];
    for (int t = 0; t < MT_THREADS; t++) {
        a[t].t = t;
        CHECK_EQ(pthread_create(&th[t], NULL, mt_poster_main, &a[t]), 0);
    }
    int next[MT_THREADS] = { 0 };
    static unsigned char m[MT_LEN], want[MT_LEN];
    for (int i = 0; i < MT_THREADS * MT_MSGS; i++) {
        CHECK_EQ(t_recv_exact(peer, m, MT_LEN), 0);
        int t = m[0];
        CHECK(t < MT_THREADS);
        CHECK_EQ(m[1], next[t]);
        mt_message(want, t, next[t]);
        if (memcmp(m, want, MT_LEN) != 0) harness_fail(__FILE__, __LINE__, "message %d of thread %d is not whole", next[t], t);
        next[t]++;
    }
    for (int t = 0; t < MT_THREADS; t++) {
        pthread_join(th[t], NULL);
        CHECK_EQ(a[t].errors, 0);
        for (int k = 0; k < MT_MSGS; k++) {
            int i = t * MT_MSGS + k;
            CHECK_EQ(calls(i), 1);
            CHECK_EQ(done[i].err, 0);
            CHECK_EQ(done[i].cb, MT_LEN);
            CHECK_EQ(done[i].tid, a[t].tid);
            if (k > 0) CHECK(done[i].seq > done[i - 1].seq);
        }
    }
    CHECK_EQ(bad_routine, 0);
    CHECK_OK(WSPCloseSocket(mt_socket, lpErrno));
}

/* Completion routines may post the next operation (the draft: "may be
 * called from within the completion routine"): a chain of 100 receives of
 * 7 bytes, each posted by the routine of the one before. */
static unsigned char chain_buf[700];
static SOCKET chain_socket;
static int chain_errors;

static void CALLBACK on_chain(DWORD err, DWORD cb, LPWSAOVERLAPPED o) {
    on_done(err, cb, o);
    int i = (int)(o - ov);
    if (i + 1 < 100 && err == 0 && cb > 0) {
        size_t at = 0;
        for (int k = 0; k <= i; k++) at += done[k].cb;
        memset(&ov[i + 1], 0, sizeof ov[i + 1]);
        int flags = 0, e = 0;
        DWORD want = (DWORD)(sizeof chain_buf - at) < 7 ? (DWORD)(sizeof chain_buf - at) : 7;
        if (WSPRecv(chain_socket, chain_buf + at, want, NULL, &flags, &ov[i + 1], on_chain, &e) != 0 && e != WSA_IO_PENDING)
            chain_errors++;
    }
}

TEST(routine_reposts_next_receive) {
    t_startup();
    SOCKET peer;
    ov_pair(&chain_socket, &peer);
    POST_RECV(chain_socket, 0, chain_buf, 7, NULL, on_chain);
    struct feeder f = { peer, 0, sizeof chain_buf, 50, 0, 0, 0 };
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, feeder_main, &f), 0);
    RUN_UNTIL(100, 10);
    pthread_join(th, NULL);
    CHECK_EQ(chain_errors, 0);
    size_t got = 0;
    for (int i = 0; i < 100; i++) {
        CHECK_EQ(calls(i), 1);
        CHECK_EQ(done[i].err, 0);
        CHECK(done[i].cb >= 1);
        CHECK_EQ(done[i].seq, i);
        got += done[i].cb;
    }
    CHECK_EQ(got, sizeof chain_buf);
    CHECK_STREAM(chain_buf, 0, sizeof chain_buf, 0);
    CHECK_OK(WSPCloseSocket(chain_socket, lpErrno));
}

/* ------------------------------------------------------------------------ */
/* 16 MiB byte-exact, overlapped in both directions                         */

#define BIG (16u << 20)
static unsigned char *big_src;

static uint64_t rng_next(uint64_t *x) {
    *x ^= *x << 13; *x ^= *x >> 7; *x ^= *x << 17;
    return *x;
}

/* The sender: overlapped sends of random sizes (1..64 KiB) straight from
 * big_src, up to 24 outstanding, completion by event objects and
 * WSAGetOverlappedResult; then a graceful close. */
struct big_sender { SOCKET s; int err; int sends; int pending; };

static void *big_sender_main(void *p) {
    struct big_sender *a = p;
    enum { W = 24 };
    WSAOVERLAPPED so[W];
    WSAEVENT ev[W];
    DWORD slen[W];
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < W; i++) ev[i] = new_event();
    size_t off = 0;
    int head = 0, count = 0;
    while (off < BIG || count > 0) {
        while (count < W && off < BIG) {
            int k = (head + count) % W;
            DWORD len = 1 + (DWORD)(rng_next(&rng) % 65536);
            if (len > BIG - off) len = (DWORD)(BIG - off);
            memset(&so[k], 0, sizeof so[k]);
            so[k].hEvent = ev[k];
            CHECK_EQ(WSAResetEvent(ev[k]), TRUE);
            DWORD n = 0;
            int err = 0;
            if (WSPSend(a->s, big_src + off, len, &n, 0, &so[k], NULL, &err) == 0) {
                CHECK_EQ(n, len);
            } else {
                if (err != WSA_IO_PENDING) harness_fail(__FILE__, __LINE__, "overlapped WSPSend failed: %d", err);
                a->pending++;
            }
            slen[k] = len;
            off += len;
            count++;
            a->sends++;
        }
        /* the oldest completes first: sends complete in order */
        DWORD r = WSAWaitForMultipleEvents(1, &ev[head], FALSE, 10000, FALSE);
        if (r != WSA_WAIT_EVENT_0) harness_fail(__FILE__, __LINE__, "send event wait returned %u", (unsigned)r);
        DWORD n = 0, flags = 0xFFFF;
        if (!WSAGetOverlappedResult(a->s, &so[head], &n, FALSE, &flags))
            harness_fail(__FILE__, __LINE__, "a send failed: %d", WSAGetLastError());
        CHECK_EQ(n, slen[head]);
        CHECK_EQ(so[head].InternalHigh, slen[head]);
        head = (head + 1) % W;
        count--;
    }
    CHECK_OK(WSPCloseSocket(a->s, lpErrno));
    for (int i = 0; i < W; i++) WSACloseEvent(ev[i]);
    return NULL;
}

/* The receiver (this thread): 32 overlapped receives of random sizes
 * outstanding, completion routines; each completed buffer (taken in posting
 * order) is checked against the source and its slot posted again. */
TEST_T(transfer_16mib_byte_exact_random_chunks, 120) {
    t_startup();
    SOCKET snd, rcv;
    tcp_pair(&rcv, 1, &snd, 1);
    big_src = malloc(BIG);
    uint64_t x = 12345;
    for (size_t i = 0; i < BIG; i += 8) { uint64_t v = rng_next(&x); memcpy(big_src + i, &v, 8); }
    enum { W = 32 };
    static unsigned char slot[W][65536];
    static DWORD slen[W];
    uint64_t rng = 777;
    /* slot k uses ov[k] */
    for (int k = 0; k < W; k++) {
        slen[k] = 1 + (DWORD)(rng_next(&rng) % 65536);
        POST_RECV(rcv, k, slot[k], slen[k], NULL, on_done);
    }
    struct big_sender a = { snd, 0, 0, 0 };
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, big_sender_main, &a), 0);
    size_t got = 0;
    int head = 0, handled = 0, eof_seen = 0, outstanding = W;
    double t0 = t_now();
    while (outstanding > 0) {
        if (t_now() - t0 > 100) harness_fail(__FILE__, __LINE__, "received %zu of %u bytes", got, BIG);
        DWORD r = SleepEx(1000, TRUE);
        CHECK(r == 0 || r == WAIT_IO_COMPLETION);
        while (outstanding > 0 && calls(head) > 0) {
            CHECK_EQ(calls(head), 1);
            CHECK_EQ(done[head].seq, handled);   /* routines run in posting order */
            handled++;
            DWORD cb = done[head].cb;
            if (done[head].err != 0) harness_fail(__FILE__, __LINE__, "a receive failed: %u", (unsigned)done[head].err);
            CHECK(cb <= slen[head]);
            if (cb == 0) {
                CHECK_EQ(got, BIG);   /* end of stream only after everything */
                eof_seen = 1;
            } else {
                CHECK(got + cb <= BIG);
                if (memcmp(slot[head], big_src + got, cb) != 0) {
                    for (DWORD i = 0; i < cb; i++)
                        if (slot[head][i] != big_src[got + i])
                            harness_fail(__FILE__, __LINE__, "byte %zu differs", got + i);
                }
                got += cb;
            }
            outstanding--;
            if (!eof_seen) {
                __atomic_store_n(&done[head].calls, 0, __ATOMIC_SEQ_CST);
                slen[head] = 1 + (DWORD)(rng_next(&rng) % 65536);
                POST_RECV(rcv, head, slot[head], slen[head], NULL, on_done);
                outstanding++;
            }
            head = (head + 1) % W;
        }
    }
    pthread_join(th, NULL);
    CHECK_EQ(got, BIG);
    CHECK(eof_seen);
    CHECK(a.sends > 200);
    CHECK_OK(WSPCloseSocket(rcv, lpErrno));
    free(big_src);
}

/* ------------------------------------------------------------------------ */
/* Completion by event object                                               */

/* Without a routine, hEvent is set on completion (and no APC is queued):
 * three receives with their own events, all pending until the peer sends;
 * then a send with an event. */
TEST(event_set_on_completion) {
    t_startup();
    SOCKET s, peer;
    ov_pair(&s, &peer);
    WSAEVENT ev[3];
    static unsigned char buf[3][4];
    for (int i = 0; i < 3; i++) {
        ev[i] = new_event();
        CHECK_EQ(POST_RECV(s, i, buf[i], 4, ev[i], NULL), WSA_IO_PENDING);
        CHECK_EQ(internal(i), WSA_IO_PENDING);
    }
    CHECK_EQ(WSAWaitForMultipleEvents(3, ev, FALSE, 100, FALSE), WSA_WAIT_TIMEOUT);
    CHECK_EQ(t_send_all(peer, "AAAABBBBCCCC", 12), 0);
    CHECK_EQ(WSAWaitForMultipleEvents(3, ev, TRUE, 2000, FALSE), WSA_WAIT_EVENT_0);
    for (int i = 0; i < 3; i++) {
        DWORD n = 0, flags = 0xFFFF;
        CHECK_EQ(ov[i].Internal, 0);
        CHECK_EQ(ov[i].InternalHigh, 4);
        CHECK_EQ(ov[i].hEvent, ev[i]);
        CHECK_EQ(WSAGetOverlappedResult(s, &ov[i], &n, FALSE, &flags), TRUE);
        CHECK_EQ(n, 4);
        CHECK_EQ(flags, 0);
        for (int k = 0; k < 4; k++) CHECK_EQ(buf[i][k], 'A' + i);
    }
    CHECK_EQ(SleepEx(0, TRUE), 0);   /* no APC */
    CHECK_EQ(ndone(), 0);
    /* a send: the event is set when it completes, at once or later */
    WSAEVENT se = new_event();
    static unsigned char out[100];
    fill_stream(out, 0, sizeof out);
    POST_SEND(s, 3, out, sizeof out, se, NULL);
    CHECK_EQ(WSAWaitForMultipleEvents(1, &se, FALSE, 2000, TRUE), WSA_WAIT_EVENT_0);
    CHECK_EQ(ov[3].Internal, 0);
    CHECK_EQ(ov[3].InternalHigh, sizeof out);
    unsigned char in[100];
    CHECK_EQ(t_recv_exact(peer, in, sizeof in), 0);
    CHECK_STREAM(in, 0, sizeof in, 3);
    CHECK_EQ(SleepEx(0, TRUE), 0);
    for (int i = 0; i < 3; i++) WSACloseEvent(ev[i]);
    WSACloseEvent(se);
    CHECK_OK(WSPCloseSocket(s, lpErrno));
}

/* ------------------------------------------------------------------------ */
/* Completion routines: APCs of the posting thread                          */

struct waiter { int kind; DWORD timeout; DWORD result; DWORD tid; double t_done; };

static void *waiter_main(void *p) {
    struct waiter *w = p;
    w->tid = WPUXxxGetCurrentThreadId32();
    if (w->kind == 0) {
        w->result = SleepEx(w->timeout, TRUE);
    } else {
        WSAEVENT e = new_event();
        w->result = WSAWaitForMultipleEvents(1, &e, FALSE, w->timeout, TRUE);
        WSACloseEvent(e);
    }
    w->t_done = t_now();
    return NULL;
}

/* The routine runs only in an alertable wait of the posting thread: not in
 * SleepEx(..., FALSE), not in a non-alertable event wait, not in another
 * thread's alertable waits; then SleepEx(..., TRUE) runs it and returns
 * WAIT_IO_COMPLETION. hEvent (here a context value, not an event) is left
 * alone. The same through an alertable WSAWaitForMultipleEvents. */
TEST(routine_only_in_alertable_wait_of_posting_thread) {
    t_startup();
    SOCKET s, peer;
    ov_pair(&s, &peer);
    WSAEVENT ctx = (WSAEVENT)(uintptr_t)0xC0FFEE;
    static unsigned char buf[64];
    CHECK_EQ(POST_RECV(s, 0, buf, sizeof buf, ctx, on_done), WSA_IO_PENDING);
    CHECK_EQ(t_send_all(peer, "0123456789", 10), 0);
    WAIT_COMPLETE(0);
    CHECK_EQ(ov[0].Internal, 0);
    CHECK_EQ(ov[0].InternalHigh, 10);
    CHECK_EQ(SleepEx(100, FALSE), 0);
    CHECK_EQ(ndone(), 0);
    WSAEVENT e = new_event();
    CHECK_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 50, FALSE), WSA_WAIT_TIMEOUT);
    CHECK_EQ(ndone(), 0);
    for (int kind = 0; kind < 2; kind++) {
        struct waiter w = { kind, 150, 0, 0, 0 };
        pthread_t th;
        CHECK_EQ(pthread_create(&th, NULL, waiter_main, &w), 0);
        pthread_join(th, NULL);
        CHECK_EQ(w.result, kind == 0 ? 0 : WSA_WAIT_TIMEOUT);
        CHECK_EQ(ndone(), 0);
    }
    CHECK_EQ(SleepEx(1000, TRUE), WAIT_IO_COMPLETION);
    CHECK_EQ(ndone(), 1);
    CHECK_DONE(0, 0, 10);
    CHECK_EQ(done[0].hev, ctx);
    CHECK_EQ(ov[0].hEvent, ctx);
    CHECK(memcmp(buf, "0123456789", 10) == 0);
    /* the queue is empty again */
    CHECK_EQ(SleepEx(0, TRUE), 0);

    /* through an alertable event wait */
    CHECK_EQ(POST_RECV(s, 1, buf, sizeof buf, NULL, on_done), WSA_IO_PENDING);
    CHECK_EQ(t_send_all(peer, "abc", 3), 0);
    WAIT_COMPLETE(1);
    CHECK_EQ(ndone(), 1);
    CHECK_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 1000, TRUE), WSA_WAIT_IO_COMPLETION);
    CHECK_DONE(1, 0, 3);
    WSACloseEvent(e);
    CHECK_OK(WSPCloseSocket(s, lpErrno));
}

/* A thread that posts a receive and then waits alertably: the completion
 * wakes its wait and the routine runs there, not on the main thread. */
struct poster { SOCKET s; int kind; DWORD tid; int posted; DWORD result; double t_done; unsigned char buf[32]; };

static void *poster_main(void *p) {
    struct poster *a = p;
    a->tid = WPUXxxGetCurrentThreadId32();
    POST_RECV(a->s, 0, a->buf, sizeof a->buf, NULL, on_done);
    __atomic_store_n(&a->posted, 1, __ATOMIC_SEQ_CST);
    if (a->kind == 0) {
        a->result = SleepEx(5000, TRUE);
    } else {
        WSAEVENT e = new_event();
        a->result = WSAWaitForMultipleEvents(1, &e, FALSE, 5000, TRUE);
        WSACloseEvent(e);
    }
    a->t_done = t_now();
    return NULL;
}

TEST(completion_wakes_posting_threads_alertable_wait) {
    t_startup();
    for (int kind = 0; kind < 2; kind++) {
        SOCKET s, peer;
        ov_pair(&s, &peer);
        __atomic_store_n(&n_done, 0, __ATOMIC_SEQ_CST);
        memset(done, 0, sizeof done);
        struct poster a;
        memset(&a, 0, sizeof a);
        a.s = s;
        a.kind = kind;
        pthread_t th;
        CHECK_EQ(pthread_create(&th, NULL, poster_main, &a), 0);
        while (!__atomic_load_n(&a.posted, __ATOMIC_SEQ_CST)) t_sleep_ms(1);
        t_sleep_ms(100);
        CHECK_EQ(SleepEx(50, TRUE), 0);   /* not ours to run */
        double t_send = t_now();
        CHECK_EQ(t_send_all(peer, "wake", 4), 0);
        pthread_join(th, NULL);
        CHECK_EQ(a.result, WAIT_IO_COMPLETION);
        CHECK(a.t_done - t_send < 1.0);
        CHECK_EQ(ndone(), 1);
        CHECK_EQ(calls(0), 1);
        CHECK_EQ(done[0].tid, a.tid);
        CHECK_EQ(done[0].err, 0);
        CHECK_EQ(done[0].cb, 4);
        CHECK(memcmp(a.buf, "wake", 4) == 0);
        CHECK_OK(WSPCloseSocket(s, lpErrno));
        CHECK_OK(WSPCloseSocket(peer, lpErrno));
    }
}

/* With a routine, hEvent is caller context: a real event there is not set. */
TEST(routine_leaves_hevent_alone) {
    t_startup();
    SOCKET s, peer;
    ov_pair(&s, &peer);
    WSAEVENT e = new_event();
    static unsigned char buf[16];
    POST_RECV(s, 0, buf, sizeof buf, e, on_done);
    POST_SEND(s, 1, "xyz", 3, e, on_done);
    CHECK_EQ(t_send_all(peer, "hello", 5), 0);
    RUN_UNTIL(2, 5);
    CHECK_DONE(0, 0, 5);
    CHECK_DONE(1, 0, 3);
    CHECK_EQ(done[0].hev, e);
    CHECK_EQ(ov[0].hEvent, e);
    CHECK_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 100, FALSE), WSA_WAIT_TIMEOUT);
    WSACloseEvent(e);
    CHECK_OK(WSPCloseSocket(s, lpErrno));
}

/* ------------------------------------------------------------------------ */
/* Immediate completion                                                     */

/* Data already there: the receive returns 0 with the byte count and flags,
 * Internal / InternalHigh are set, and the routine is still queued (it runs
 * in the next alertable wait, not inside the call). The same for a send
 * with room in the buffer, with an event instead of a routine, and with a
 * NULL lpNumberOfBytesRecvd. */
TEST(immediate_completion_still_queues_routine) {
    t_startup();
    SOCKET s, peer;
    ov_pair(&s, &peer);
    static unsigned char buf[64];
    CHECK_EQ(t_send_all(peer, "0123456789", 10), 0);
    CHECK(ready(s, 0, 2000));
    t_sleep_ms(20);
    memset(&ov[0], 0, sizeof ov[0]);
    ov[0].hEvent = (WSAEVENT)(uintptr_t)0x1234;
    DWORD n = 0xDEADBEEF;
    int flags = 0;
    CHECK_OK(WSPRecv(s, buf, sizeof buf, &n, &flags, &ov[0], on_done, lpErrno));
    CHECK_EQ(n, 10);
    CHECK_EQ(flags, 0);
    CHECK_EQ(ov[0].Internal, 0);
    CHECK_EQ(ov[0].InternalHigh, 10);
    CHECK(memcmp(buf, "0123456789", 10) == 0);
    CHECK_EQ(ndone(), 0);
    CHECK_EQ(SleepEx(0, FALSE), 0);
    CHECK_EQ(ndone(), 0);
    CHECK_EQ(SleepEx(0, TRUE), WAIT_IO_COMPLETION);
    CHECK_DONE(0, 0, 10);
    CHECK_EQ(done[0].hev, (WSAEVENT)(uintptr_t)0x1234);

    /* a send with room in the buffer */
    memset(&ov[1], 0, sizeof ov[1]);
    n = 0xDEADBEEF;
    CHECK_OK(WSPSend(s, "abc", 3, &n, 0, &ov[1], on_done, lpErrno));
    CHECK_EQ(n, 3);
    CHECK_EQ(ov[1].Internal, 0);
    CHECK_EQ(ov[1].InternalHigh, 3);
    CHECK_EQ(ndone(), 1);
    CHECK_EQ(SleepEx(0, TRUE), WAIT_IO_COMPLETION);
    CHECK_DONE(1, 0, 3);
    CHECK_EQ(t_recv_exact(peer, buf, 3), 0);
    CHECK(memcmp(buf, "abc", 3) == 0);

    /* an event instead of a routine: set at once, no APC */
    WSAEVENT e = new_event();
    CHECK_EQ(t_send_all(peer, "WXYZ", 4), 0);
    CHECK(ready(s, 0, 2000));
    t_sleep_ms(20);
    memset(&ov[2], 0, sizeof ov[2]);
    ov[2].hEvent = e;
    n = 0xDEADBEEF;
    flags = 0;
    CHECK_OK(WSPRecv(s, buf, sizeof buf, &n, &flags, &ov[2], NULL, lpErrno));
    CHECK_EQ(n, 4);
    CHECK(is_set(e));
    CHECK_EQ(SleepEx(0, TRUE), 0);
    DWORD got = 0, fl = 0xFFFF;
    CHECK_EQ(WSAGetOverlappedResult(s, &ov[2], &got, FALSE, &fl), TRUE);
    CHECK_EQ(got, 4);
    CHECK_EQ(fl, 0);

    /* lpNumberOfBytesRecvd may be NULL for an overlapped call */
    CHECK_EQ(t_send_all(peer, "hi", 2), 0);
    CHECK(ready(s, 0, 2000));
    t_sleep_ms(20);
    memset(&ov[3], 0, sizeof ov[3]);
    flags = 0;
    CHECK_OK(WSPRecv(s, buf, sizeof buf, NULL, &flags, &ov[3], on_done, lpErrno));
    CHECK_EQ(ov[3].InternalHigh, 2);
    CHECK_EQ(SleepEx(0, TRUE), WAIT_IO_COMPLETION);
    CHECK_DONE(3, 0, 2);
    /* ... and for a pending one */
    memset(&ov[4], 0, sizeof ov[4]);
    CHECK_EQ(SOCKET_ERROR, WSPRecv(s, buf, sizeof buf, NULL, &flags, &ov[4], on_done, &lperr));
    CHECK_EQ(lperr, WSA_IO_PENDING);
    CHECK_EQ(t_send_all(peer, "late", 4), 0);
    RUN_UNTIL(4, 5);
    CHECK_DONE(4, 0, 4);
    WSACloseEvent(e);
    CHECK_OK(WSPCloseSocket(s, lpErrno));
}

/* ------------------------------------------------------------------------ */
/* WSAGetOverlappedResult                                                   */

#define CHECK_FALSE_WITH(call, code) do { WSASetLastError(0x7EADBEEF); BOOL _r = (call); \
    if (_r != FALSE) harness_fail(__FILE__, __LINE__, "%s returned %d, expected FALSE", #call, (int)_r); \
    if (WSAGetLastError() != (code)) harness_fail(__FILE__, __LINE__, "%s: last error %d, expected %s (%d)", #call, WSAGetLastError(), #code, (int)(code)); } while (0)

struct result_waiter { SOCKET s; LPWSAOVERLAPPED o; BOOL r; int err; DWORD n, flags; int returned; double t_done; };

static void *result_waiter_main(void *p) {
    struct result_waiter *w = p;
    WSASetLastError(0);
    w->r = WSAGetOverlappedResult(w->s, w->o, &w->n, TRUE, &w->flags);
    w->err = WSAGetLastError();
    w->t_done = t_now();
    __atomic_store_n(&w->returned, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* Pending: fWait FALSE is WSA_IO_INCOMPLETE; NULL arguments are WSAEFAULT;
 * a bad socket is WSAENOTSOCK; fWait TRUE in another thread waits until the
 * operation completes and then reports it - without hEvent and with one;
 * afterwards TRUE with the bytes and flags. */
TEST(getoverlappedresult_pending_then_success) {
    t_startup();
    for (int with_event = 0; with_event < 2; with_event++) {
        SOCKET s, peer;
        ov_pair(&s, &peer);
        WSAEVENT e = with_event ? new_event() : NULL;
        static unsigned char buf[64];
        CHECK_EQ(POST_RECV(s, 0, buf, sizeof buf, e, NULL), WSA_IO_PENDING);
        DWORD n = 0, flags = 0;
        CHECK_FALSE_WITH(WSAGetOverlappedResult(s, &ov[0], &n, FALSE, &flags), WSA_IO_INCOMPLETE);
        CHECK_EQ(ov[0].Internal, WSA_IO_PENDING);
        CHECK_FALSE_WITH(WSAGetOverlappedResult(s, NULL, &n, FALSE, &flags), WSAEFAULT);
        CHECK_FALSE_WITH(WSAGetOverlappedResult(s, &ov[0], NULL, FALSE, &flags), WSAEFAULT);
        CHECK_FALSE_WITH(WSAGetOverlappedResult(s, &ov[0], &n, FALSE, NULL), WSAEFAULT);
        CHECK_FALSE_WITH(WSAGetOverlappedResult(s, NULL, NULL, TRUE, NULL), WSAEFAULT);
        CHECK_FALSE_WITH(WSAGetOverlappedResult(INVALID_SOCKET, &ov[0], &n, FALSE, &flags), WSAENOTSOCK);
        CHECK_FALSE_WITH(WSAGetOverlappedResult((SOCKET)0x7FFFFF01, &ov[0], &n, TRUE, &flags), WSAENOTSOCK);

        struct result_waiter w = { s, &ov[0], 0, 0, 0, 0xFFFF, 0, 0 };
        pthread_t th;
        CHECK_EQ(pthread_create(&th, NULL, result_waiter_main, &w), 0);
        t_sleep_ms(200);
        CHECK_EQ(__atomic_load_n(&w.returned, __ATOMIC_SEQ_CST), 0);   /* still waiting */
        double t_send = t_now();
        CHECK_EQ(t_send_all(peer, "hello", 5), 0);
        pthread_join(th, NULL);
        CHECK_EQ(w.r, TRUE);
        CHECK_EQ(w.n, 5);
        CHECK_EQ(w.flags, 0);
        CHECK(w.t_done - t_send < 1.0);
        /* complete: TRUE, with or without fWait */
        n = 0; flags = 0xFFFF;
        CHECK_EQ(WSAGetOverlappedResult(s, &ov[0], &n, FALSE, &flags), TRUE);
        CHECK_EQ(n, 5);
        CHECK_EQ(flags, 0);
        n = 0;
        CHECK_EQ(WSAGetOverlappedResult(s, &ov[0], &n, TRUE, &flags), TRUE);
        CHECK_EQ(n, 5);
        CHECK_EQ(ov[0].Internal, 0);
        CHECK_EQ(ov[0].InternalHigh, 5);
        if (e) {
            CHECK_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 1000, FALSE), WSA_WAIT_EVENT_0);
            WSACloseEvent(e);
        }
        CHECK_OK(WSPCloseSocket(s, lpErrno));
        CHECK_OK(WSPCloseSocket(peer, lpErrno));
    }
}

/* fWait TRUE on the posting thread of an operation with a routine: it
 * waits for the completion, but it is no alertable wait - the routine runs
 * in the next SleepEx(..., TRUE). */
TEST(getoverlappedresult_waits_for_routine_operation) {
    t_startup();
    SOCKET s, peer;
    ov_pair(&s, &peer);
    static unsigned char buf[64];
    CHECK_EQ(POST_RECV(s, 0, buf, sizeof buf, NULL, on_done), WSA_IO_PENDING);
    struct feeder f = { peer, 0, 33, 150, 0, 0, 0 };
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, feeder_main, &f), 0);
    double t0 = t_now();
    DWORD n = 0, flags = 0xFFFF;
    CHECK_EQ(WSAGetOverlappedResult(s, &ov[0], &n, TRUE, &flags), TRUE);
    double dt = t_now() - t0;
    pthread_join(th, NULL);
    CHECK(dt > 0.1 && dt < 2.0);
    CHECK_EQ(n, 33);
    CHECK_EQ(flags, 0);
    CHECK_EQ(ndone(), 0);
    CHECK_EQ(SleepEx(1000, TRUE), WAIT_IO_COMPLETION);
    CHECK_DONE(0, 0, 33);
    CHECK_STREAM(buf, 0, 33, 0);
    CHECK_OK(WSPCloseSocket(s, lpErrno));
}

/* The Win32 way of reusing an event: WSAGetOverlappedResult(fWait TRUE)
 * reports the completion, WSAResetEvent, post again with the same event and
 * the same WSAOVERLAPPED. The event then belongs to the new operation, which
 * is pending (the peer has sent nothing for it): it must not be signalled -
 * no set left over from the old operation may arrive after the reset. */
TEST_T(getoverlappedresult_then_event_reuse, 60) {
    t_startup();
    SOCKET s, peer;
    ov_pair(&s, &peer);
    WSAEVENT e = new_event();
    static unsigned char buf[8];
    CHECK_EQ(POST_RECV(s, 0, buf, 1, e, NULL), WSA_IO_PENDING);
    for (int i = 0; i < 300; i++) {
        CHECK_EQ(t_send_all(peer, "x", 1), 0);
        DWORD n = 0, flags = 0;
        CHECK_EQ(WSAGetOverlappedResult(s, &ov[0], &n, TRUE, &flags), TRUE);
        CHECK_EQ(n, 1);
        CHECK_EQ(WSAResetEvent(e), TRUE);
        CHECK_EQ(POST_RECV(s, 0, buf, 1, e, NULL), WSA_IO_PENDING);
        if (WSAWaitForMultipleEvents(1, &e, FALSE, 5, FALSE) != WSA_WAIT_TIMEOUT)
            harness_fail(__FILE__, __LINE__, "round %d: the event of a pending operation is set (Internal %u)",
                         i, (unsigned)internal(0));
    }
    WSACloseEvent(e);
    CHECK_OK(WSPCloseSocket(s, lpErrno));
}

/* A failed operation: FALSE and the operation's error (a reset here);
 * Internal holds it too. */
TEST(getoverlappedresult_failure) {
    t_startup();
    SOCKET s, peer;
    ov_pair(&s, &peer);
    static unsigned char buf[64];
    WSAEVENT e = new_event();
    CHECK_EQ(POST_RECV(s, 0, buf, sizeof buf, e, NULL), WSA_IO_PENDING);
    t_hard_close(peer);
    CHECK_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 2000, FALSE), WSA_WAIT_EVENT_0);
    CHECK_EQ(ov[0].Internal, WSAECONNRESET);
    DWORD n = 0xDEAD, flags = 0xFFFF;
    CHECK_FALSE_WITH(WSAGetOverlappedResult(s, &ov[0], &n, FALSE, &flags), WSAECONNRESET);
    CHECK_FALSE_WITH(WSAGetOverlappedResult(s, &ov[0], &n, TRUE, &flags), WSAECONNRESET);
    WSACloseEvent(e);
    CHECK_OK(WSPCloseSocket(s, lpErrno));
    /* a closed socket's handle is no socket */
    DWORD m = 0, fl = 0;
    CHECK_FALSE_WITH(WSAGetOverlappedResult(s, &ov[0], &m, FALSE, &fl), WSAENOTSOCK);
}

/* ------------------------------------------------------------------------ */
/* End of stream, reset                                                     */

/* A graceful close by the peer: the first pending receive gets the data,
 * the others complete with 0 bytes and no error; a receive posted after the
 * end completes at once with 0 bytes. */
TEST(peer_close_completes_with_zero_bytes) {
    t_startup();
    SOCKET s, peer;
    ov_pair(&s, &peer);
    static unsigned char buf[4][100];
    for (int i = 0; i < 3; i++) CHECK_EQ(POST_RECV(s, i, buf[i], 100, NULL, on_done), WSA_IO_PENDING);
    CHECK_EQ(t_send_all(peer, "bye!!", 5), 0);
    CHECK_OK(WSPCloseSocket(peer, lpErrno));
    RUN_UNTIL(3, 5);
    CHECK_DONE(0, 0, 5);
    CHECK(memcmp(buf[0], "bye!!", 5) == 0);
    CHECK_DONE(1, 0, 0);
    CHECK_DONE(2, 0, 0);
    memset(&ov[3], 0, sizeof ov[3]);
    DWORD n = 0xDEAD;
    int flags = 0;
    CHECK_OK(WSPRecv(s, buf[3], 100, &n, &flags, &ov[3], on_done, lpErrno));
    CHECK_EQ(n, 0);
    CHECK_EQ(SleepEx(0, TRUE), WAIT_IO_COMPLETION);
    CHECK_DONE(3, 0, 0);
    /* no urgent byte can come any more: a MSG_OOB receive completes with 0 */
    memset(&ov[4], 0, sizeof ov[4]);
    flags = MSG_OOB;
    CHECK_OK(WSPRecv(s, buf[3], 1, &n, &flags, &ov[4], on_done, lpErrno));
    CHECK_EQ(n, 0);
    CHECK_EQ(SleepEx(0, TRUE), WAIT_IO_COMPLETION);
    CHECK_DONE(4, 0, 0);
    CHECK_OK(WSPCloseSocket(s, lpErrno));

    /* a MSG_OOB receive waiting while the data before the close is read */
    SOCKET s2, peer2;
    ov_pair(&s2, &peer2);
    memset(&ov[5], 0, sizeof ov[5]);
    flags = MSG_OOB;
    int err = 0;
    CHECK_EQ(WSPRecv(s2, buf[0], 1, &n, &flags, &ov[5], on_done, &err), SOCKET_ERROR);
    CHECK_EQ(err, WSA_IO_PENDING);
    CHECK_EQ(t_send_all(peer2, "tail", 4), 0);
    CHECK_OK(WSPCloseSocket(peer2, lpErrno));
    CHECK(ready(s2, 0, 2000));
    t_sleep_ms(20);
    CHECK_EQ(SleepEx(0, TRUE), 0);
    CHECK_EQ(internal(5), WSA_IO_PENDING);   /* data first */
    CHECK_EQ(POST_RECV(s2, 6, buf[1], 100, NULL, on_done), 0);
    CHECK_EQ(ov[6].InternalHigh, 4);
    CHECK_EQ(POST_RECV(s2, 7, buf[2], 100, NULL, on_done), 0);   /* the end */
    CHECK_EQ(ov[7].InternalHigh, 0);
    RUN_UNTIL(8, 5);
    CHECK_DONE(5, 0, 0);
    CHECK_OK(WSPCloseSocket(s2, lpErrno));
}

/* A reset by the peer: every pending receive completes with WSAECONNRESET
 * (Linux tells the first recv only, then reports the end of the stream: the
 * provider keeps the reset, as Winsock does), a MSG_OOB one too, and a
 * receive posted later fails at once with it. Pending sends (the peer read
 * nothing) complete with an error, each once, the first with WSAECONNRESET. */
TEST(reset_completes_with_error) {
    t_startup();
    SOCKET s, peer;
    ov_pair(&s, &peer);
    static unsigned char buf[64], more[3][8], urg[1];
    CHECK_EQ(POST_RECV(s, 0, buf, sizeof buf, NULL, on_done), WSA_IO_PENDING);
    for (int i = 0; i < 3; i++) CHECK_EQ(POST_RECV(s, 50 + i, more[i], 8, NULL, on_done), WSA_IO_PENDING);
    memset(&ov[60], 0, sizeof ov[60]);
    DWORD n = 0;
    int flags = MSG_OOB, err = 0;
    CHECK_EQ(WSPRecv(s, urg, 1, &n, &flags, &ov[60], on_done, &err), SOCKET_ERROR);
    CHECK_EQ(err, WSA_IO_PENDING);
    t_hard_close(peer);
    RUN_UNTIL(5, 5);
    CHECK_DONE(0, WSAECONNRESET, 0);
    for (int i = 0; i < 3; i++) CHECK_DONE(50 + i, WSAECONNRESET, 0);
    CHECK_DONE(60, WSAECONNRESET, 0);
    memset(&ov[61], 0x5A, sizeof ov[61]);
    flags = 0;
    CHECK_WSA(WSPRecv(s, buf, sizeof buf, &n, &flags, &ov[61], on_done, lpErrno), WSAECONNRESET);
    CHECK_EQ(ov[61].Internal, 0x5A5A5A5A);

    SOCKET s2, peer2;
    ov_pair(&s2, &peer2);
    t_set_int_opt(s2, SOL_SOCKET, SO_SNDBUF, 8192);
    t_set_int_opt(peer2, SOL_SOCKET, SO_RCVBUF, 8192);
    static unsigned char big[65536];
    int first_pending = -1;
    for (int i = 1; i <= 40; i++)
        if (POST_SEND(s2, i, big, sizeof big, NULL, on_done) == WSA_IO_PENDING && first_pending < 0) first_pending = i;
    CHECK(first_pending > 0);
    t_sleep_ms(50);
    t_hard_close(peer2);
    RUN_UNTIL(45, 5);   /* the 5 receives above, the 40 sends */
    for (int i = 1; i <= 40; i++) CHECK_EQ(calls(i), 1);
    /* sends completed in order: the first failed one is a reset */
    int first_failed = -1;
    for (int i = 1; i <= 40; i++) {
        if (done[i].err == 0) { CHECK_EQ(first_failed, -1); CHECK_EQ(done[i].cb, sizeof big); }
        else if (first_failed < 0) first_failed = i;
    }
    CHECK(first_failed > 0);
    CHECK_EQ(done[first_failed].err, WSAECONNRESET);
    for (int i = first_failed; i <= 40; i++) CHECK(done[i].err != 0);
    CHECK_EQ(SleepEx(200, TRUE), 0);
    CHECK_EQ(ndone(), 45);
    CHECK_OK(WSPCloseSocket(s, lpErrno));
    CHECK_OK(WSPCloseSocket(s2, lpErrno));
}

/* ------------------------------------------------------------------------ */
/* Closing with pending operations                                          */

/* 100 receives with routines, 30 with events, 40 sends of 64 KiB the peer
 * does not read: WSPCloseSocket completes every pending one with
 * WSA_OPERATION_ABORTED - each routine once, each event set, Internal 995 -
 * and nothing touches the structures or buffers afterwards. */
TEST_T(close_aborts_every_pending_operation, 30) {
    t_startup();
    SOCKET s, peer;
    ov_pair(&s, &peer);
    t_set_int_opt(s, SOL_SOCKET, SO_SNDBUF, 8192);
    t_set_int_opt(peer, SOL_SOCKET, SO_RCVBUF, 8192);
    static unsigned char rbuf[130][32];
    static unsigned char big[65536];
    memset(rbuf, 0xEE, sizeof rbuf);
    WSAEVENT ev[30];
    for (int i = 0; i < 100; i++) CHECK_EQ(POST_RECV(s, i, rbuf[i], 32, NULL, on_done), WSA_IO_PENDING);
    for (int i = 0; i < 30; i++) {
        ev[i] = new_event();
        CHECK_EQ(POST_RECV(s, 100 + i, rbuf[100 + i], 32, ev[i], NULL), WSA_IO_PENDING);
    }
    int at_once = 0;
    for (int i = 130; i < 170; i++) at_once += POST_SEND(s, i, big, sizeof big, NULL, on_done) == 0;
    t_sleep_ms(100);
    int was_pending[170];
    int pending_sends = 0;
    for (int i = 0; i < 170; i++) {
        was_pending[i] = internal(i) == WSA_IO_PENDING;
        if (i >= 130) pending_sends += was_pending[i];
    }
    for (int i = 0; i < 130; i++) CHECK(was_pending[i]);
    CHECK(pending_sends >= 30);
    CHECK_EQ(ndone(), 0);
    CHECK_OK(WSPCloseSocket(s, lpErrno));
    RUN_UNTIL(140, 5);
    CHECK_EQ(SleepEx(300, TRUE), 0);   /* nothing more comes */
    CHECK_EQ(ndone(), 140);
    CHECK_EQ(bad_routine, 0);
    for (int i = 0; i < 100; i++) {
        CHECK_DONE(i, WSA_OPERATION_ABORTED, 0);
    }
    for (int i = 0; i < 30; i++) {
        CHECK_EQ(WSAWaitForMultipleEvents(1, &ev[i], FALSE, 2000, FALSE), WSA_WAIT_EVENT_0);
        CHECK_EQ(ov[100 + i].Internal, WSA_OPERATION_ABORTED);
    }
    for (int i = 130; i < 170; i++) {
        CHECK_EQ(calls(i), 1);
        if (was_pending[i]) CHECK_EQ(done[i].err, WSA_OPERATION_ABORTED);
        else CHECK_EQ(done[i].err, 0);
        CHECK_EQ(done[i].internal, done[i].err);
    }
    /* nothing writes to them any more */
    memset(ov, 0x5A, sizeof ov);
    CHECK_EQ(SleepEx(200, TRUE), 0);
    for (size_t i = 0; i < sizeof ov; i++) CHECK_EQ(((unsigned char *)ov)[i], 0x5A);
    for (size_t i = 0; i < sizeof rbuf; i++) CHECK_EQ(((unsigned char *)rbuf)[i], 0xEE);
    for (int i = 0; i < 30; i++) WSACloseEvent(ev[i]);
    (void)at_once;
}

/* Closed from another thread while the posting thread sleeps alertably:
 * its wait returns WAIT_IO_COMPLETION promptly and the 50 routines run
 * there, with 995, each once. */
struct closer { SOCKET s; int delay_ms; double t_closed; int err; };

static void *closer_main(void *p) {
    struct closer *c = p;
    t_sleep_ms(c->delay_ms);
    c->t_closed = t_now();
    if (WSPCloseSocket(c->s, &c->err) == 0) c->err = 0;
    return NULL;
}

TEST(close_from_other_thread_wakes_poster) {
    t_startup();
    SOCKET s, peer;
    ov_pair(&s, &peer);
    static unsigned char rbuf[50][8];
    for (int i = 0; i < 50; i++) CHECK_EQ(POST_RECV(s, i, rbuf[i], 8, NULL, on_done), WSA_IO_PENDING);
    struct closer c = { s, 150, 0, -1 };
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, closer_main, &c), 0);
    CHECK_EQ(SleepEx(10000, TRUE), WAIT_IO_COMPLETION);
    double t_woke = t_now();
    pthread_join(th, NULL);
    CHECK_EQ(c.err, 0);
    CHECK(t_woke - c.t_closed < 1.0);
    RUN_UNTIL(50, 5);
    CHECK_EQ(SleepEx(200, TRUE), 0);
    for (int i = 0; i < 50; i++) {
        CHECK_DONE(i, WSA_OPERATION_ABORTED, 0);
        CHECK_EQ(done[i].seq, i);
    }
    CHECK_OK(WSPCloseSocket(peer, lpErrno));
}

/* ------------------------------------------------------------------------ */
/* The limit: 1024 outstanding operations per socket                        */

/* The threads of this process. */
static int thread_count(void) {
    FILE *f = fopen("/proc/self/status", "r");
    CHECK(f != NULL);
    char line[256];
    int n = -1;
    while (fgets(line, sizeof line, f)) if (sscanf(line, "Threads: %d", &n) == 1) break;
    fclose(f);
    CHECK(n > 0);
    return n;
}

/* One pending send (the peer reads nothing) and 1023 pending receives make
 * 1024: the 1025th call - receive or send - fails at once with
 * WSAEWOULDBLOCK and queues nothing. When one completes (and its routine
 * ran) there is room for exactly one more. Another socket has its own
 * limit. Closing aborts all 1024. */
TEST_T(limit_1024_outstanding, 30) {
    t_startup();
    SOCKET s, peer;
    ov_pair(&s, &peer);
    t_set_int_opt(s, SOL_SOCKET, SO_SNDBUF, 8192);
    t_set_int_opt(peer, SOL_SOCKET, SO_RCVBUF, 8192);
    unsigned char *big = calloc(1, 8u << 20);
    static unsigned char rbuf[1100];
    CHECK_EQ(POST_SEND(s, 0, big, 8u << 20, NULL, on_done), WSA_IO_PENDING);
    int threads = thread_count();   /* this one and the engine's */
    CHECK_EQ(threads, 2);
    for (int i = 1; i < 1024; i++) CHECK_EQ(POST_RECV(s, i, &rbuf[i], 1, NULL, on_done), WSA_IO_PENDING);
    CHECK_EQ(thread_count(), threads);   /* no thread per operation */
    WSAEVENT e = new_event();
    DWORD n = 0;
    int flags = 0;
    memset(&ov[1024], 0, sizeof ov[1024]);
    ov[1024].hEvent = e;
    double t0 = t_now();
    CHECK_WSA(WSPRecv(s, &rbuf[1024], 1, &n, &flags, &ov[1024], on_done, lpErrno), WSAEWOULDBLOCK);
    CHECK_WSA(WSPRecv(s, &rbuf[1024], 1, &n, &flags, &ov[1024], NULL, lpErrno), WSAEWOULDBLOCK);
    CHECK_WSA(WSPSend(s, "x", 1, &n, 0, &ov[1024], on_done, lpErrno), WSAEWOULDBLOCK);
    CHECK_WSA(WSPRecvFrom(s, &rbuf[1024], 1, &n, &flags, NULL, NULL, &ov[1024], on_done, lpErrno), WSAEWOULDBLOCK);
    CHECK_WSA(WSPSendTo(s, "x", 1, &n, 0, NULL, 0, &ov[1024], on_done, lpErrno), WSAEWOULDBLOCK);
    CHECK(t_now() - t0 < 0.5);
    CHECK_EQ(SleepEx(50, TRUE), 0);   /* nothing queued */
    CHECK_EQ(ndone(), 0);
    CHECK(!is_set(e));

    /* another socket is not affected */
    SOCKET s2, peer2;
    ov_pair(&s2, &peer2);
    static unsigned char b2[4];
    CHECK_EQ(POST_RECV(s2, 1090, b2, 4, NULL, on_done), WSA_IO_PENDING);

    /* one byte completes receive 1: one more fits, then the limit again */
    CHECK_EQ(t_send_all(peer, "!", 1), 0);
    RUN_UNTIL(1, 5);
    CHECK_DONE(1, 0, 1);
    CHECK_EQ(rbuf[1], '!');
    CHECK_EQ(POST_RECV(s, 1024, &rbuf[1024], 1, NULL, on_done), WSA_IO_PENDING);
    memset(&ov[1025], 0, sizeof ov[1025]);
    CHECK_WSA(WSPRecv(s, &rbuf[1025], 1, &n, &flags, &ov[1025], on_done, lpErrno), WSAEWOULDBLOCK);

    CHECK_OK(WSPCloseSocket(s, lpErrno));
    RUN_UNTIL(1025, 10);   /* receive 1 earlier, now the 1024 outstanding */
    CHECK_EQ(SleepEx(200, TRUE), 0);
    CHECK_EQ(ndone(), 1025);
    CHECK_EQ(calls(0), 1);
    CHECK_EQ(done[0].err, WSA_OPERATION_ABORTED);
    for (int i = 2; i <= 1024; i++) CHECK_DONE(i, WSA_OPERATION_ABORTED, 0);
    CHECK_EQ(calls(1025), 0);
    CHECK_EQ(calls(1090), 0);
    WSACloseEvent(e);
    CHECK_OK(WSPCloseSocket(s2, lpErrno));
    RUN_UNTIL(1026, 5);
    CHECK_DONE(1090, WSA_OPERATION_ABORTED, 0);
    free(big);
}

/* ------------------------------------------------------------------------ */
/* Immediate errors                                                         */

/* Errors known at the call return SOCKET_ERROR with their code and queue
 * nothing: bad socket, not connected, NULL lpFlags, shut down, unbound
 * datagram socket, MSG_OOB on a datagram socket. */
TEST(immediate_errors_queue_nothing) {
    t_startup();
    WSAEVENT e = new_event();
    static unsigned char buf[16];
    struct sockaddr_in to = t_loopback(9);
    DWORD n;
    int flags = 0, len;
    memset(ov, 0, sizeof ov);
    ov[0].hEvent = e;   /* routine-less calls below would set it */

    SOCKET dead = ov_socket(SOCK_STREAM);
    CHECK_OK(WSPCloseSocket(dead, lpErrno));
    CHECK_WSA(WSPRecv(dead, buf, 16, &n, &flags, &ov[0], on_done, lpErrno), WSAENOTSOCK);
    CHECK_WSA(WSPRecv(dead, buf, 16, &n, &flags, &ov[0], NULL, lpErrno), WSAENOTSOCK);
    CHECK_WSA(WSPSend(INVALID_SOCKET, buf, 16, &n, 0, &ov[0], on_done, lpErrno), WSAENOTSOCK);
    len = sizeof to;
    CHECK_WSA(WSPRecvFrom(dead, buf, 16, &n, &flags, &to, &len, &ov[0], NULL, lpErrno), WSAENOTSOCK);
    CHECK_WSA(WSPSendTo(dead, buf, 16, &n, 0, &to, sizeof to, &ov[0], NULL, lpErrno), WSAENOTSOCK);

    SOCKET fresh = ov_socket(SOCK_STREAM);
    CHECK_WSA(WSPRecv(fresh, buf, 16, &n, &flags, &ov[0], on_done, lpErrno), WSAENOTCONN);
    CHECK_WSA(WSPRecv(fresh, buf, 16, &n, &flags, &ov[0], NULL, lpErrno), WSAENOTCONN);
    CHECK_WSA(WSPSend(fresh, buf, 16, &n, 0, &ov[0], on_done, lpErrno), WSAENOTCONN);
    CHECK_WSA(WSPSend(fresh, buf, 16, &n, 0, &ov[0], NULL, lpErrno), WSAENOTCONN);

    SOCKET s, peer;
    ov_pair(&s, &peer);
    CHECK_WSA(WSPRecv(s, buf, 16, &n, NULL, &ov[0], on_done, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPRecv(s, buf, 16, &n, NULL, &ov[0], NULL, lpErrno), WSAEFAULT);
    len = sizeof to;
    CHECK_WSA(WSPRecvFrom(s, buf, 16, &n, NULL, &to, &len, &ov[0], on_done, lpErrno), WSAEFAULT);
    CHECK_OK(WSPShutdown(s, SD_BOTH, lpErrno));
    CHECK_WSA(WSPRecv(s, buf, 16, &n, &flags, &ov[0], on_done, lpErrno), WSAESHUTDOWN);
    CHECK_WSA(WSPSend(s, buf, 16, &n, 0, &ov[0], NULL, lpErrno), WSAESHUTDOWN);

    SOCKET u = ov_socket(SOCK_DGRAM);
    len = sizeof to;
    CHECK_WSA(WSPRecvFrom(u, buf, 16, &n, &flags, &to, &len, &ov[0], on_done, lpErrno), WSAEINVAL);
    SOCKET ub = ov_udp_bound(NULL);
    flags = MSG_OOB;
    len = sizeof to;
    CHECK_WSA(WSPRecvFrom(ub, buf, 16, &n, &flags, &to, &len, &ov[0], on_done, lpErrno), WSAEOPNOTSUPP);

    CHECK_EQ(SleepEx(100, TRUE), 0);
    CHECK_EQ(ndone(), 0);
    CHECK(!is_set(e));
    CHECK_EQ(bad_routine, 0);
    WSACloseEvent(e);
}

/* ------------------------------------------------------------------------ */
/* Sockets without the flag; NULL lpOverlapped                              */

/* Without WSA_FLAG_OVERLAPPED, lpOverlapped and the routine are ignored: a
 * plain blocking call (it waits for the data), the structure untouched, no
 * APC, hEvent not set - stream and datagram. */
TEST(non_overlapped_socket_ignores_lpoverlapped) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    WSAEVENT e = new_event();
    memset(&ov[0], 0x5A, sizeof ov[0]);
    ov[0].hEvent = e;
    struct feeder f = { c, 0, 7, 150, 0, 0, 0 };
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, feeder_main, &f), 0);
    static unsigned char buf[64];
    DWORD n = 0;
    int flags = 0;
    double t0 = t_now();
    CHECK_OK(WSPRecv(s, buf, sizeof buf, &n, &flags, &ov[0], on_done, lpErrno));
    CHECK(t_now() - t0 > 0.1);   /* it blocked until the data came */
    pthread_join(th, NULL);
    CHECK_EQ(n, 7);
    CHECK_STREAM(buf, 0, 7, 0);
    n = 0;
    CHECK_OK(WSPSend(s, "pong", 4, &n, 0, &ov[0], on_done, lpErrno));
    CHECK_EQ(n, 4);
    CHECK_EQ(t_recv_exact(c, buf, 4), 0);
    CHECK_EQ(ov[0].Internal, 0x5A5A5A5A);
    CHECK_EQ(ov[0].InternalHigh, 0x5A5A5A5A);
    CHECK_EQ(ov[0].hEvent, e);
    CHECK_EQ(SleepEx(100, TRUE), 0);
    CHECK_EQ(ndone(), 0);
    CHECK(!is_set(e));
    /* routine-less, with the event: still nothing set */
    n = 0;
    CHECK_OK(WSPSend(s, "pong", 4, &n, 0, &ov[0], NULL, lpErrno));
    CHECK_EQ(t_recv_exact(c, buf, 4), 0);
    CHECK(!is_set(e));

    /* datagrams */
    struct sockaddr_in ua, from;
    SOCKET u = t_udp_bound(&ua);
    SOCKET v = t_udp_bound(NULL);
    CHECK_OK(WSPSendTo(v, "dgram", 5, &n, 0, &ua, sizeof ua, &ov[0], on_done, lpErrno));
    CHECK_EQ(n, 5);
    int fromlen = sizeof from;
    n = 0;
    CHECK_OK(WSPRecvFrom(u, buf, sizeof buf, &n, &flags, &from, &fromlen, &ov[0], on_done, lpErrno));
    CHECK_EQ(n, 5);
    CHECK(memcmp(buf, "dgram", 5) == 0);
    CHECK_EQ(ov[0].Internal, 0x5A5A5A5A);
    CHECK_EQ(SleepEx(50, TRUE), 0);
    CHECK_EQ(ndone(), 0);
    CHECK(!is_set(e));
    WSACloseEvent(e);
}

/* An overlapped socket with a NULL lpOverlapped: a non-blocking plain call
 * (WSAEWOULDBLOCK at once when nothing is there; a routine is ignored). */
TEST(overlapped_socket_null_lpoverlapped_nonblocking) {
    t_startup();
    SOCKET s, peer;
    ov_pair(&s, &peer);
    static unsigned char buf[64];
    DWORD n = 0;
    int flags = 0;
    double t0 = t_now();
    CHECK_WSA(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno), WSAEWOULDBLOCK);
    CHECK_WSA(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, on_done, lpErrno), WSAEWOULDBLOCK);
    CHECK(t_now() - t0 < 0.5);
    CHECK_EQ(SleepEx(50, TRUE), 0);
    CHECK_EQ(ndone(), 0);
    CHECK_EQ(t_send_all(peer, "123456789", 9), 0);
    CHECK(ready(s, 0, 2000));
    CHECK_OK(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno));
    CHECK_EQ(n, 9);
    CHECK(memcmp(buf, "123456789", 9) == 0);
    n = 0;
    CHECK_OK(WSPSend(s, "ok", 2, &n, 0, NULL, NULL, lpErrno));
    CHECK_EQ(n, 2);
    /* sends do not block either: the peer reads nothing */
    t_set_int_opt(s, SOL_SOCKET, SO_SNDBUF, 8192);
    static unsigned char big[65536];
    t0 = t_now();
    int would_block = 0;
    while (!would_block && t_now() - t0 < 5) {
        int err = 0;
        if (WSPSend(s, big, sizeof big, &n, 0, NULL, NULL, &err) != 0) {
            CHECK_EQ(err, WSAEWOULDBLOCK);
            would_block = 1;
        }
    }
    CHECK(would_block);
    CHECK_EQ(ndone(), 0);
    CHECK_OK(WSPCloseSocket(s, lpErrno));
}

/* ------------------------------------------------------------------------ */
/* Datagrams                                                                */

/* An overlapped WSPRecvFrom on UDP: completes with the datagram and the
 * source address (and its length); 50 pending ones get 50 datagrams in
 * order; overlapped WSPSendTo sends. */
TEST(udp_recvfrom_with_address_and_order) {
    t_startup();
    struct sockaddr_in ra, sa;
    SOCKET r = ov_udp_bound(&ra);
    SOCKET snd = t_udp_bound(&sa);
    static unsigned char buf[51][200];
    struct sockaddr_in from;
    int fromlen = sizeof from;
    memset(&from, 0xEE, sizeof from);
    int flags = 0;
    memset(&ov[0], 0, sizeof ov[0]);
    CHECK_WSA(WSPRecvFrom(r, buf[0], 200, NULL, &flags, &from, &fromlen, &ov[0], on_done, lpErrno), WSA_IO_PENDING);
    DWORD n = 0;
    static unsigned char out[200];
    fill_stream(out, 0, sizeof out);
    CHECK_OK(WSPSendTo(snd, out, 100, &n, 0, &ra, sizeof ra, NULL, NULL, lpErrno));
    RUN_UNTIL(1, 5);
    CHECK_DONE(0, 0, 100);
    CHECK_STREAM(buf[0], 0, 100, 0);
    CHECK_EQ(from.sin_family, AF_INET);
    CHECK_EQ(from.sin_port, sa.sin_port);
    CHECK_EQ(from.sin_addr.S_un.S_addr, t_htonl(INADDR_LOOPBACK));
    CHECK_EQ(fromlen, sizeof(struct sockaddr_in));
    DWORD got = 0, fl = 0xFFFF;
    CHECK_EQ(WSAGetOverlappedResult(r, &ov[0], &got, FALSE, &fl), TRUE);
    CHECK_EQ(got, 100);
    CHECK_EQ(fl & MSG_PARTIAL, 0);

    /* 50 pending receives, 50 datagrams of different sizes: in order */
    for (int i = 1; i <= 50; i++) CHECK_EQ(POST_RECV(r, i, buf[i], 200, NULL, on_done), WSA_IO_PENDING);
    for (int i = 1; i <= 50; i++) {
        unsigned char d[64];
        memset(d, i, sizeof d);
        CHECK_OK(WSPSendTo(snd, d, (DWORD)i, &n, 0, &ra, sizeof ra, NULL, NULL, lpErrno));
    }
    RUN_UNTIL(51, 5);
    for (int i = 1; i <= 50; i++) {
        CHECK_DONE(i, 0, i);
        CHECK_EQ(done[i].seq, i);
        for (int k = 0; k < i; k++) CHECK_EQ(buf[i][k], i);
    }

    /* overlapped sends on an overlapped datagram socket */
    SOCKET os = ov_udp_bound(NULL);
    for (int i = 0; i < 3; i++) {
        memset(&ov[60 + i], 0, sizeof ov[60 + i]);
        int err = 0;
        int rc = WSPSendTo(os, out, 10 + (DWORD)i, NULL, 0, &sa, sizeof sa, &ov[60 + i], on_done, &err);
        CHECK(rc == 0 || err == WSA_IO_PENDING);
    }
    RUN_UNTIL(54, 5);
    for (int i = 0; i < 3; i++) {
        CHECK_DONE(60 + i, 0, 10 + i);
        unsigned char in[64];
        fromlen = sizeof from;
        CHECK_OK(WSPRecvFrom(snd, in, sizeof in, &n, &flags, &from, &fromlen, NULL, NULL, lpErrno));
        CHECK_EQ(n, 10 + i);
        CHECK_STREAM(in, 0, n, 60 + i);
    }
    CHECK_OK(WSPCloseSocket(r, lpErrno));
    CHECK_OK(WSPCloseSocket(os, lpErrno));
}

/* A datagram larger than the posted buffer: the buffer gets its first part,
 * the routine WSAEMSGSIZE with the buffer's size, WSAGetOverlappedResult
 * FALSE with WSAEMSGSIZE and MSG_PARTIAL in the flags; the rest is lost
 * (the next receive gets the next datagram). */
TEST(udp_truncation_msgsize_partial) {
    t_startup();
    struct sockaddr_in ra;
    SOCKET r = ov_udp_bound(&ra);
    SOCKET snd = t_udp_bound(NULL);
    static unsigned char small[10], next[200];
    static unsigned char out[100];
    fill_stream(out, 0, sizeof out);
    CHECK_EQ(POST_RECV(r, 0, small, sizeof small, NULL, on_done), WSA_IO_PENDING);
    CHECK_EQ(POST_RECV(r, 1, next, sizeof next, NULL, on_done), WSA_IO_PENDING);
    DWORD n = 0;
    CHECK_OK(WSPSendTo(snd, out, 100, &n, 0, &ra, sizeof ra, NULL, NULL, lpErrno));
    CHECK_OK(WSPSendTo(snd, "tail", 4, &n, 0, &ra, sizeof ra, NULL, NULL, lpErrno));
    RUN_UNTIL(2, 5);
    CHECK_DONE(0, WSAEMSGSIZE, sizeof small);
    CHECK_STREAM(small, 0, sizeof small, 0);
    DWORD got = 0, fl = 0;
    CHECK_FALSE_WITH(WSAGetOverlappedResult(r, &ov[0], &got, FALSE, &fl), WSAEMSGSIZE);
    CHECK(fl & MSG_PARTIAL);
    CHECK_EQ(got, sizeof small);
    CHECK_DONE(1, 0, 4);
    CHECK(memcmp(next, "tail", 4) == 0);
    got = 0; fl = 0xFFFF;
    CHECK_EQ(WSAGetOverlappedResult(r, &ov[1], &got, FALSE, &fl), TRUE);
    CHECK_EQ(fl & MSG_PARTIAL, 0);
    CHECK_OK(WSPCloseSocket(r, lpErrno));
}

/* ------------------------------------------------------------------------ */
/* Immediate errors vs. completions                                         */

/* A datagram already waiting and larger than the buffer: the call fails at
 * once with WSAEMSGSIZE, the byte count and MSG_PARTIAL in its own
 * out-parameters; like every error at the call, nothing is reported through
 * the WSAOVERLAPPED (Internal untouched, no routine, no event). The same for
 * a stream reset before the call (WSAECONNRESET). A truncation met by a
 * queued receive is its completion status instead (udp_truncation_...). */
TEST(immediate_error_reports_in_the_call_only) {
    t_startup();
    struct sockaddr_in ra;
    SOCKET r = ov_udp_bound(&ra);
    SOCKET snd = t_udp_bound(NULL);
    static unsigned char out[100], small[10], next[64];
    fill_stream(out, 0, sizeof out);
    DWORD n = 0;
    CHECK_OK(WSPSendTo(snd, out, 100, &n, 0, &ra, sizeof ra, NULL, NULL, lpErrno));
    CHECK_OK(WSPSendTo(snd, "next", 4, &n, 0, &ra, sizeof ra, NULL, NULL, lpErrno));
    CHECK(ready(r, 0, 2000));
    t_sleep_ms(20);
    WSAEVENT e = new_event();
    for (int with_routine = 1; with_routine >= 0; with_routine--) {
        memset(&ov[0], 0x5A, sizeof ov[0]);
        ov[0].hEvent = e;
        n = 0xDEAD;
        int flags = 0;
        if (with_routine) {
            CHECK_WSA(WSPRecv(r, small, sizeof small, &n, &flags, &ov[0], on_done, lpErrno), WSAEMSGSIZE);
            CHECK_EQ(n, sizeof small);
            CHECK(flags & MSG_PARTIAL);
            CHECK_STREAM(small, 0, sizeof small, 0);
        } else {
            /* the rest of the first datagram is gone: the next one comes */
            CHECK_OK(WSPRecv(r, next, sizeof next, &n, &flags, &ov[0], NULL, lpErrno));
            CHECK_EQ(n, 4);
            CHECK(memcmp(next, "next", 4) == 0);
            CHECK(is_set(e));
            WSAResetEvent(e);
            /* a datagram truncated at once with an event: not set */
            CHECK_OK(WSPSendTo(snd, out, 100, &n, 0, &ra, sizeof ra, NULL, NULL, lpErrno));
            CHECK(ready(r, 0, 2000));
            memset(&ov[0], 0x5A, sizeof ov[0]);
            ov[0].hEvent = e;
            CHECK_WSA(WSPRecv(r, small, sizeof small, &n, &flags, &ov[0], NULL, lpErrno), WSAEMSGSIZE);
        }
        CHECK_EQ(ov[0].Internal, 0x5A5A5A5A);
        CHECK_EQ(ov[0].InternalHigh, 0x5A5A5A5A);
    }
    CHECK(!is_set(e));
    CHECK_EQ(SleepEx(50, TRUE), 0);
    CHECK_EQ(ndone(), 0);
    CHECK_OK(WSPCloseSocket(r, lpErrno));

    /* a reset before the call: WSAECONNRESET at once, nothing reported */
    SOCKET s, peer;
    ov_pair(&s, &peer);
    t_hard_close(peer);
    CHECK(ready(s, 0, 2000));
    t_sleep_ms(20);
    memset(&ov[1], 0x5A, sizeof ov[1]);
    int flags = 0;
    CHECK_WSA(WSPRecv(s, next, sizeof next, &n, &flags, &ov[1], on_done, lpErrno), WSAECONNRESET);
    CHECK_EQ(ov[1].Internal, 0x5A5A5A5A);
    CHECK_EQ(SleepEx(50, TRUE), 0);
    CHECK_EQ(ndone(), 0);
    WSACloseEvent(e);
    CHECK_OK(WSPCloseSocket(s, lpErrno));
}

/* A 0-byte receive on a stream is a readiness probe (the idiom of IOCP
 * servers): it stays pending until data arrives, then completes with 0
 * bytes and no error, leaving the data for the next receive; at the peer's
 * close it completes with 0 as well. */
TEST(zero_byte_receive_waits_for_data) {
    t_startup();
    SOCKET s, peer;
    ov_pair(&s, &peer);
    static unsigned char buf[16];
    CHECK_EQ(POST_RECV(s, 0, buf, 0, NULL, on_done), WSA_IO_PENDING);
    CHECK_EQ(SleepEx(100, TRUE), 0);   /* no data: still pending */
    CHECK_EQ(internal(0), WSA_IO_PENDING);
    CHECK_EQ(t_send_all(peer, "hello", 5), 0);
    RUN_UNTIL(1, 5);
    CHECK_DONE(0, 0, 0);
    CHECK_EQ(POST_RECV(s, 1, buf, sizeof buf, NULL, on_done), 0);   /* the data is still there */
    CHECK_EQ(ov[1].InternalHigh, 5);
    CHECK(memcmp(buf, "hello", 5) == 0);
    RUN_UNTIL(2, 5);
    CHECK_EQ(POST_RECV(s, 2, buf, 0, NULL, on_done), WSA_IO_PENDING);
    CHECK_OK(WSPCloseSocket(peer, lpErrno));
    RUN_UNTIL(3, 5);
    CHECK_DONE(2, 0, 0);
    CHECK_OK(WSPCloseSocket(s, lpErrno));
}

/* ------------------------------------------------------------------------ */
/* Urgent data (MSG_OOB, SO_OOBINLINE off)                                  */

static int oob_send(SOCKET s, const char *byte) {
    DWORD n = 0;
    int err = 0;
    if (WSPSend(s, (void *)byte, 1, &n, MSG_OOB, NULL, NULL, &err) != 0) return err;
    return n == 1 ? 0 : -1;
}

/* An overlapped MSG_OOB receive waits for the urgent byte (a channel of its
 * own: normal receives posted before and after it go on), completes with
 * that one byte, and the byte is never part of the normal data. A MSG_OOB
 * receive with SO_OOBINLINE on is WSAEINVAL at once. Closing aborts a
 * pending one. */
TEST(oob_receive_pends_until_urgent_byte) {
    t_startup();
    SOCKET s, peer;
    ov_pair(&s, &peer);
    static unsigned char urg[4], a[16], b[16];
    memset(&ov[0], 0, sizeof ov[0]);
    int flags = MSG_OOB, err = 0;
    DWORD n = 0;
    CHECK_EQ(WSPRecv(s, urg, sizeof urg, &n, &flags, &ov[0], on_done, &err), SOCKET_ERROR);
    CHECK_EQ(err, WSA_IO_PENDING);
    CHECK_EQ(POST_RECV(s, 1, a, sizeof a, NULL, on_done), WSA_IO_PENDING);
    CHECK_EQ(SleepEx(50, TRUE), 0);
    CHECK_EQ(t_send_all(peer, "abc", 3), 0);
    CHECK_EQ(oob_send(peer, "X"), 0);
    RUN_UNTIL(2, 5);
    CHECK_DONE(0, 0, 1);
    CHECK_EQ(urg[0], 'X');
    CHECK_DONE(1, 0, 3);
    CHECK(memcmp(a, "abc", 3) == 0);
    /* the normal data goes on without the urgent byte */
    CHECK_EQ(POST_RECV(s, 2, b, sizeof b, NULL, on_done), WSA_IO_PENDING);
    CHECK_EQ(t_send_all(peer, "def", 3), 0);
    RUN_UNTIL(3, 5);
    CHECK_DONE(2, 0, 3);
    CHECK(memcmp(b, "def", 3) == 0);
    /* SO_OOBINLINE: no out-of-band byte to wait for */
    t_set_int_opt(s, SOL_SOCKET, SO_OOBINLINE, 1);
    memset(&ov[3], 0, sizeof ov[3]);
    flags = MSG_OOB;
    CHECK_WSA(WSPRecv(s, urg, sizeof urg, &n, &flags, &ov[3], on_done, lpErrno), WSAEINVAL);
    t_set_int_opt(s, SOL_SOCKET, SO_OOBINLINE, 0);
    /* a pending one is aborted by the close */
    memset(&ov[4], 0, sizeof ov[4]);
    flags = MSG_OOB;
    CHECK_EQ(WSPRecv(s, urg, sizeof urg, &n, &flags, &ov[4], on_done, &err), SOCKET_ERROR);
    CHECK_EQ(err, WSA_IO_PENDING);
    CHECK_OK(WSPCloseSocket(s, lpErrno));
    RUN_UNTIL(4, 5);
    CHECK_DONE(4, WSA_OPERATION_ABORTED, 0);
    CHECK_EQ(calls(3), 0);
}

/* Normal data, the urgent byte and more data all arrive before any call:
 * overlapped receives that complete at once read past the urgent mark,
 * which on Linux drops the byte unless the provider moved it aside first.
 * It is kept: the MSG_OOB receive after them completes at once with it,
 * and the normal receives got the normal data only. Repeated, as the
 * engine's own look at the socket races with the calls. */
TEST(oob_byte_kept_across_immediate_receives) {
    t_startup();
    for (int round = 0; round < 30; round++) {
        SOCKET s, peer;
        ov_pair(&s, &peer);
        CHECK_EQ(t_send_all(peer, "abc", 3), 0);
        CHECK_EQ(oob_send(peer, "X"), 0);
        CHECK_EQ(t_send_all(peer, "def", 3), 0);
        CHECK(ready(s, 0, 2000));
        static unsigned char got[8], urg[2];
        size_t total = 0;
        for (int k = 0; k < 8 && total < 6; k++) {
            /* at once when the data is there (the case in point), else
             * whenever it comes */
            memset(&ov[k], 0, sizeof ov[k]);
            DWORD n = 0, fl = 0;
            int flags = 0, err = 0;
            if (WSPRecv(s, got + total, (DWORD)(sizeof got - total), &n, &flags, &ov[k], NULL, &err) != 0) {
                CHECK_EQ(err, WSA_IO_PENDING);
                CHECK_EQ(WSAGetOverlappedResult(s, &ov[k], &n, TRUE, &fl), TRUE);
            }
            CHECK(n > 0);
            total += n;
        }
        CHECK_EQ(total, 6);
        CHECK(memcmp(got, "abcdef", 6) == 0);
        memset(&ov[9], 0, sizeof ov[9]);
        DWORD n = 0;
        int flags = MSG_OOB, err = 0;
        if (WSPRecv(s, urg, sizeof urg, &n, &flags, &ov[9], NULL, &err) != 0)
            harness_fail(__FILE__, __LINE__, "round %d: the urgent byte was lost (MSG_OOB receive: error %d)", round, err);
        CHECK_EQ(n, 1);
        CHECK_EQ(urg[0], 'X');
        CHECK_OK(WSPCloseSocket(s, lpErrno));
        CHECK_OK(WSPCloseSocket(peer, lpErrno));
    }
}

/* An overlapped MSG_OOB send that the kernel takes in several parts (a full
 * send buffer; it completes later) marks one byte urgent, its last: the
 * peer's normal data is every other byte, in order, and its MSG_OOB
 * receive gets the last one. */
struct oob_reader { SOCKET s; size_t len; unsigned char *buf; size_t got; int err; };
static void *oob_reader_main(void *p) {
    struct oob_reader *r = p;
    t_sleep_ms(100);
    while (r->got < r->len) {
        DWORD n = 0;
        int flags = 0, err = 0;
        if (WSPRecv(r->s, r->buf + r->got, (DWORD)(r->len - r->got), &n, &flags, NULL, NULL, &err) != 0) { r->err = err; return NULL; }
        if (n == 0) break;
        r->got += n;
    }
    return NULL;
}

TEST_T(oob_send_in_parts_marks_only_its_last_byte, 40) {
    t_startup();
    SOCKET s, peer;
    ov_pair(&s, &peer);
    t_set_int_opt(s, SOL_SOCKET, SO_SNDBUF, 8192);   /* URG cannot go out in one piece */
    enum { LEAD = 65536, URG = 300000 };
    unsigned char *src = malloc(LEAD + URG);
    fill_stream(src, 0, LEAD + URG);
    POST_SEND(s, 0, src, LEAD, NULL, on_done);
    memset(&ov[1], 0, sizeof ov[1]);
    DWORD n = 0;
    int err = 0;
    CHECK_EQ(WSPSend(s, src + LEAD, URG, &n, MSG_OOB, &ov[1], on_done, &err), SOCKET_ERROR);
    CHECK_EQ(err, WSA_IO_PENDING);
    /* the peer reads everything but the urgent byte, then sees our close */
    struct oob_reader r = { peer, LEAD + URG, calloc(1, LEAD + URG), 0, 0 };
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, oob_reader_main, &r), 0);
    RUN_UNTIL(2, 20);
    CHECK_DONE(0, 0, LEAD);
    CHECK_DONE(1, 0, URG);
    CHECK_OK(WSPCloseSocket(s, lpErrno));
    pthread_join(th, NULL);
    CHECK_EQ(r.err, 0);
    CHECK_EQ(r.got, LEAD + URG - 1);
    if (memcmp(r.buf, src, LEAD + URG - 1) != 0) {
        for (size_t i = 0; i < LEAD + URG - 1; i++)
            if (r.buf[i] != src[i]) harness_fail(__FILE__, __LINE__, "normal byte %zu differs (an extra urgent mark?)", i);
    }
    unsigned char u = 0;
    int flags = MSG_OOB;
    CHECK_OK(WSPRecv(peer, &u, 1, &n, &flags, NULL, NULL, lpErrno));
    CHECK_EQ(n, 1);
    CHECK_EQ(u, src[LEAD + URG - 1]);
    free(r.buf);
    free(src);
}

/* ------------------------------------------------------------------------ */
/* Abort and races                                                          */

/* Sends cut short by the close report the bytes that did go out: the peer,
 * reading after the close until the end of the stream, gets exactly the sum
 * of cbTransferred over all the sends, byte-exact, and every send before
 * the first aborted one completed whole. */
TEST_T(aborted_sends_report_bytes_sent, 30) {
    t_startup();
    SOCKET s, peer;
    ov_pair(&s, &peer);
    t_set_int_opt(s, SOL_SOCKET, SO_SNDBUF, 8192);
    t_set_int_opt(peer, SOL_SOCKET, SO_RCVBUF, 8192);
    enum { N = 12, LEN = 65536 };
    unsigned char *src = malloc((size_t)N * LEN);
    fill_stream(src, 0, (size_t)N * LEN);
    for (int i = 0; i < N; i++) POST_SEND(s, i, src + (size_t)i * LEN, LEN, NULL, on_done);
    t_sleep_ms(100);
    CHECK_EQ(internal(N - 1), WSA_IO_PENDING);
    CHECK_OK(WSPCloseSocket(s, lpErrno));
    RUN_UNTIL(N, 5);
    size_t sum = 0;
    int first_aborted = -1;
    for (int i = 0; i < N; i++) {
        CHECK_EQ(calls(i), 1);
        CHECK_EQ(done[i].seq, i);
        CHECK_EQ(ov[i].InternalHigh, done[i].cb);
        CHECK_EQ(ov[i].Internal, done[i].err);
        if (done[i].err == 0) {
            CHECK_EQ(first_aborted, -1);
            CHECK_EQ(done[i].cb, LEN);
        } else {
            CHECK_EQ(done[i].err, WSA_OPERATION_ABORTED);
            if (first_aborted < 0) first_aborted = i;
            else CHECK_EQ(done[i].cb, 0);   /* only the head had begun */
        }
        sum += done[i].cb;
    }
    CHECK(first_aborted >= 0);
    unsigned char *in = malloc((size_t)N * LEN);
    size_t got = 0;
    for (;;) {
        DWORD n = 0;
        int flags = 0;
        CHECK_OK(WSPRecv(peer, in + got, (DWORD)((size_t)N * LEN - got), &n, &flags, NULL, NULL, lpErrno));
        if (n == 0) break;
        got += n;
    }
    CHECK_EQ(got, sum);
    CHECK(memcmp(in, src, got) == 0);
    free(in);
    free(src);
}

/* Close racing with the engine: a peer streams data while receives are
 * pending and the socket is closed at a random moment. Every operation
 * completes exactly once; those that got data form a prefix in posting
 * order holding the stream's prefix; the aborted rest report 995 with 0
 * bytes and their buffers were never written. */
struct streamer { SOCKET s; volatile int stop; };
static void *streamer_main(void *p) {
    struct streamer *st = p;
    static unsigned char chunk[64];
    size_t off = 0;
    while (!st->stop) {
        fill_stream(chunk, off, sizeof chunk);
        DWORD n = 0;
        int err = 0;
        if (WSPSend(st->s, chunk, sizeof chunk, &n, 0, NULL, NULL, &err) != 0) break;
        off += n;
        if (n < sizeof chunk) break;
        struct timespec ts = { 0, 20000 };   /* ~10-20 KB/s: closes land mid-stream */
        nanosleep(&ts, NULL);
    }
    return NULL;
}

TEST_T(close_racing_engine_completes_each_once, 90) {
    t_startup();
    enum { N = 400, LEN = 16 };
    static unsigned char buf[N][LEN];
    unsigned seed = 12345;
    int mixed = 0;
    for (int round = 0; round < 60; round++) {
        __atomic_store_n(&n_done, 0, __ATOMIC_SEQ_CST);
        memset(done, 0, sizeof done);
        memset(buf, 0xEE, sizeof buf);
        SOCKET s, peer;
        ov_pair(&s, &peer);
        for (int i = 0; i < N; i++) CHECK_EQ(POST_RECV(s, i, buf[i], LEN, NULL, on_done), WSA_IO_PENDING);
        struct streamer st = { peer, 0 };
        pthread_t th;
        CHECK_EQ(pthread_create(&th, NULL, streamer_main, &st), 0);
        seed = seed * 1103515245u + 12345u;
        int us = (int)((seed >> 8) % 4000);
        struct timespec ts = { 0, us * 1000L };
        nanosleep(&ts, NULL);
        CHECK_OK(WSPCloseSocket(s, lpErrno));
        RUN_UNTIL(N, 5);
        st.stop = 1;
        pthread_join(th, NULL);
        CHECK_EQ(SleepEx(20, TRUE), 0);
        CHECK_EQ(ndone(), N);
        size_t off = 0;
        int aborted = 0;
        for (int i = 0; i < N; i++) {
            CHECK_EQ(calls(i), 1);
            CHECK_EQ(done[i].seq, i);
            CHECK_EQ(done[i].internal, done[i].err);
            if (done[i].err == 0) {
                CHECK_EQ(aborted, 0);
                CHECK(done[i].cb >= 1 && done[i].cb <= LEN);
                check_stream(__LINE__, buf[i], off, done[i].cb, i);
                off += done[i].cb;
            } else {
                CHECK_EQ(done[i].err, WSA_OPERATION_ABORTED);
                CHECK_EQ(done[i].cb, 0);
                aborted++;
                for (int k = 0; k < LEN; k++) CHECK_EQ(buf[i][k], 0xEE);
            }
        }
        if (aborted > 0 && aborted < N) mixed++;
        CHECK_OK(WSPCloseSocket(peer, lpErrno));
    }
    CHECK(mixed > 0);   /* some closes did land mid-stream */
}

/* A completion routine that closes the socket: the other pending
 * operations are aborted, and their routines run in the same alertable
 * wait (APCs queued while APCs run are run too). */
static SOCKET closing_socket;
static void CALLBACK on_done_then_close(DWORD err, DWORD cb, LPWSAOVERLAPPED o) {
    on_done(err, cb, o);
    if (o == &ov[0]) WSPCloseSocket(closing_socket, &lperr);
}

TEST(routine_closing_socket_aborts_the_rest_in_same_wait) {
    t_startup();
    SOCKET peer;
    ov_pair(&closing_socket, &peer);
    static unsigned char buf[5][8];
    for (int i = 0; i < 5; i++) CHECK_EQ(POST_RECV(closing_socket, i, buf[i], 8, NULL, on_done_then_close), WSA_IO_PENDING);
    CHECK_EQ(t_send_all(peer, "!", 1), 0);
    WAIT_COMPLETE(0);
    CHECK_EQ(SleepEx(1000, TRUE), WAIT_IO_COMPLETION);
    CHECK_EQ(ndone(), 5);
    CHECK_DONE(0, 0, 1);
    for (int i = 1; i < 5; i++) CHECK_DONE(i, WSA_OPERATION_ABORTED, 0);
    CHECK_EQ(SleepEx(50, TRUE), 0);
    CHECK_OK(WSPCloseSocket(peer, lpErrno));
}

/* WSAGetOverlappedResult from inside the completion routine reports the
 * operation at once (fWait FALSE). */
static BOOL in_routine_r = 99;
static DWORD in_routine_n, in_routine_flags;
static SOCKET in_routine_socket;
static void CALLBACK on_done_result(DWORD err, DWORD cb, LPWSAOVERLAPPED o) {
    on_done(err, cb, o);
    in_routine_r = WSAGetOverlappedResult(in_routine_socket, o, &in_routine_n, FALSE, &in_routine_flags);
}

TEST(getoverlappedresult_inside_routine) {
    t_startup();
    SOCKET peer;
    ov_pair(&in_routine_socket, &peer);
    static unsigned char buf[16];
    CHECK_EQ(POST_RECV(in_routine_socket, 0, buf, sizeof buf, NULL, on_done_result), WSA_IO_PENDING);
    CHECK_EQ(t_send_all(peer, "seven!!", 7), 0);
    RUN_UNTIL(1, 5);
    CHECK_DONE(0, 0, 7);
    CHECK_EQ(in_routine_r, TRUE);
    CHECK_EQ(in_routine_n, 7);
    CHECK_EQ(in_routine_flags, 0);
    CHECK_OK(WSPCloseSocket(in_routine_socket, lpErrno));
}

/* Receives posted by four threads at once on one socket, 60 one-byte
 * receives each, while the peer sends bytes 0..239: every byte arrives
 * exactly once, each routine on its poster's thread, and each thread's
 * receives got increasing bytes in its posting order (the one queue keeps
 * the order of the calls, whichever thread made them). */
enum { RT_THREADS = 4, RT_EACH = 60 };
static SOCKET rt_socket;
static unsigned char rt_buf[RT_THREADS * RT_EACH];
static int rt_posted;   /* atomic: threads done posting */
struct rt_poster { int t; DWORD tid; int errors; };
static void *rt_poster_main(void *p) {
    struct rt_poster *a = p;
    a->tid = WPUXxxGetCurrentThreadId32();
    for (int k = 0; k < RT_EACH; k++) {
        int i = a->t * RT_EACH + k;
        if (POST_RECV(rt_socket, i, &rt_buf[i], 1, NULL, on_done) != WSA_IO_PENDING) a->errors++;
    }
    __atomic_fetch_add(&rt_posted, 1, __ATOMIC_SEQ_CST);
    double t0 = t_now();
    for (;;) {
        int n = 0;
        for (int k = 0; k < RT_EACH; k++) n += calls(a->t * RT_EACH + k);
        if (n == RT_EACH) break;
        if (t_now() - t0 > 10) { a->errors++; break; }
        SleepEx(100, TRUE);
    }
    return NULL;
}

TEST(receives_from_four_threads_each_byte_once) {
    t_startup();
    SOCKET peer;
    ov_pair(&rt_socket, &peer);
    static struct rt_poster a[RT_THREADS];
    pthread_t th[RT_THREADS];
    for (int t = 0; t < RT_THREADS; t++) {
        a[t].t = t;
        CHECK_EQ(pthread_create(&th[t], NULL, rt_poster_main, &a[t]), 0);
    }
    double t0 = t_now();
    while (__atomic_load_n(&rt_posted, __ATOMIC_SEQ_CST) < RT_THREADS) {
        CHECK(t_now() - t0 < 10);
        t_sleep_ms(1);
    }
    unsigned char out[RT_THREADS * RT_EACH];
    for (int i = 0; i < RT_THREADS * RT_EACH; i++) out[i] = (unsigned char)i;
    for (int i = 0; i < RT_THREADS * RT_EACH; i += 16) {
        CHECK_EQ(t_send_all(peer, out + i, 16), 0);
        t_sleep_ms(1);
    }
    static int seen[RT_THREADS * RT_EACH];
    for (int t = 0; t < RT_THREADS; t++) {
        pthread_join(th[t], NULL);
        CHECK_EQ(a[t].errors, 0);
        int last = -1;
        for (int k = 0; k < RT_EACH; k++) {
            int i = t * RT_EACH + k;
            CHECK_EQ(calls(i), 1);
            CHECK_EQ(done[i].err, 0);
            CHECK_EQ(done[i].cb, 1);
            CHECK_EQ(done[i].tid, a[t].tid);
            CHECK(rt_buf[i] > last || (last == -1));
            last = rt_buf[i];
            seen[rt_buf[i]]++;
        }
    }
    for (int i = 0; i < RT_THREADS * RT_EACH; i++) CHECK_EQ(seen[i], 1);
    CHECK_OK(WSPCloseSocket(rt_socket, lpErrno));
}

/* ------------------------------------------------------------------------ */
/* Threads and clean-up                                                     */

/* The posting thread has exited when its operation completes: its routine
 * is dropped with its APC queue (RULINGS §6) and runs nowhere else, but
 * the operation still completes - Internal, InternalHigh, and
 * WSAGetOverlappedResult; an event of an exited thread's operation is set. */
struct exit_poster { SOCKET s; unsigned char buf[16]; WSAEVENT e; };
static void *exit_poster_main(void *p) {
    struct exit_poster *a = p;
    POST_RECV(a->s, 0, a->buf, 8, NULL, on_done);
    POST_RECV(a->s, 1, a->buf + 8, 8, a->e, NULL);
    return NULL;
}

TEST(completion_after_posting_thread_exited) {
    t_startup();
    SOCKET s, peer;
    ov_pair(&s, &peer);
    static struct exit_poster a;
    a.s = s;
    a.e = new_event();
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, exit_poster_main, &a), 0);
    pthread_join(th, NULL);
    CHECK_EQ(internal(0), WSA_IO_PENDING);
    CHECK_EQ(t_send_all(peer, "0123456789ABCDEF", 16), 0);
    DWORD n = 0, flags = 0xFFFF;
    CHECK_EQ(WSAGetOverlappedResult(s, &ov[0], &n, TRUE, &flags), TRUE);
    CHECK_EQ(n, 8);
    CHECK_EQ(WSAWaitForMultipleEvents(1, &a.e, FALSE, 2000, FALSE), WSA_WAIT_EVENT_0);
    CHECK_EQ(WSAGetOverlappedResult(s, &ov[1], &n, TRUE, &flags), TRUE);
    CHECK_EQ(n, 8);
    CHECK(memcmp(a.buf, "0123456789ABCDEF", 16) == 0);
    CHECK_EQ(SleepEx(100, TRUE), 0);   /* not run here */
    CHECK_EQ(ndone(), 0);
    /* a thread that posts and exits, then the close: aborted, no crash */
    CHECK_EQ(WSAResetEvent(a.e), TRUE);
    CHECK_EQ(pthread_create(&th, NULL, exit_poster_main, &a), 0);
    pthread_join(th, NULL);
    CHECK_OK(WSPCloseSocket(s, lpErrno));
    CHECK_EQ(ov[0].Internal, WSA_OPERATION_ABORTED);
    CHECK_EQ(WSAWaitForMultipleEvents(1, &a.e, FALSE, 2000, FALSE), WSA_WAIT_EVENT_0);
    CHECK_EQ(ov[1].Internal, WSA_OPERATION_ABORTED);
    CHECK_EQ(SleepEx(50, TRUE), 0);
    CHECK_EQ(ndone(), 0);
    WSACloseEvent(a.e);
}

/* The last WSPCleanup with operations pending: each completes once with
 * WSA_OPERATION_ABORTED (routines in the next alertable wait, events set),
 * and after a new WSPStartup overlapped I/O works again. */
TEST(cleanup_aborts_pending_operations) {
    t_startup();
    SOCKET s, peer;
    ov_pair(&s, &peer);
    t_set_int_opt(s, SOL_SOCKET, SO_SNDBUF, 8192);
    t_set_int_opt(peer, SOL_SOCKET, SO_RCVBUF, 8192);
    static unsigned char rbuf[20][8], big[65536];
    WSAEVENT e = new_event();
    for (int i = 0; i < 10; i++) CHECK_EQ(POST_RECV(s, i, rbuf[i], 8, NULL, on_done), WSA_IO_PENDING);
    CHECK_EQ(POST_RECV(s, 10, rbuf[10], 8, e, NULL), WSA_IO_PENDING);
    for (int i = 11; i < 20; i++) POST_SEND(s, i, big, sizeof big, NULL, on_done);
    CHECK_EQ(internal(19), WSA_IO_PENDING);
    t_cleanup();
    CHECK_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 2000, FALSE), WSA_WAIT_EVENT_0);
    CHECK_EQ(ov[10].Internal, WSA_OPERATION_ABORTED);
    RUN_UNTIL(19, 5);
    CHECK_EQ(SleepEx(100, TRUE), 0);
    CHECK_EQ(ndone(), 19);
    for (int i = 0; i < 10; i++) CHECK_DONE(i, WSA_OPERATION_ABORTED, 0);
    CHECK_DONE(19, WSA_OPERATION_ABORTED, 0);
    WSACloseEvent(e);

    /* again, from scratch */
    t_startup();
    __atomic_store_n(&n_done, 0, __ATOMIC_SEQ_CST);
    memset(done, 0, sizeof done);
    ov_pair(&s, &peer);
    CHECK_EQ(POST_RECV(s, 0, rbuf[0], 8, NULL, on_done), WSA_IO_PENDING);
    CHECK_EQ(t_send_all(peer, "again", 5), 0);
    RUN_UNTIL(1, 5);
    CHECK_DONE(0, 0, 5);
    CHECK_OK(WSPCloseSocket(s, lpErrno));
}

/* The first overlapped call on a socket (which registers it with the
 * engine) racing with its close on another thread: whichever wins, the
 * socket is not kept alive by the engine - after many rounds no descriptor
 * is left open. */
struct first_post { SOCKET s; int started; int err; };
static void *first_post_main(void *p) {
    struct first_post *a = p;
    static unsigned char b[4];
    static WSAOVERLAPPED o;
    memset(&o, 0, sizeof o);
    __atomic_store_n(&a->started, 1, __ATOMIC_SEQ_CST);
    DWORD n = 0;
    int flags = 0, err = 0;
    if (WSPRecv(a->s, b, sizeof b, &n, &flags, &o, NULL, &err) != 0) a->err = err;
    return NULL;
}

TEST_T(first_overlapped_call_racing_close_leaks_nothing, 60) {
    t_startup();
    SOCKET s0, p0;
    ov_pair(&s0, &p0);
    static unsigned char b0[4];
    CHECK_EQ(POST_RECV(s0, 0, b0, sizeof b0, NULL, NULL), WSA_IO_PENDING);   /* the engine runs */
    int fds = t_count_fds();
    for (int round = 0; round < 300; round++) {
        SOCKET s, peer;
        ov_pair(&s, &peer);
        struct first_post a = { s, 0, 0 };
        pthread_t th;
        CHECK_EQ(pthread_create(&th, NULL, first_post_main, &a), 0);
        while (!__atomic_load_n(&a.started, __ATOMIC_SEQ_CST)) {}
        CHECK_OK(WSPCloseSocket(s, lpErrno));
        pthread_join(th, NULL);
        CHECK(a.err == 0 || a.err == WSA_IO_PENDING || a.err == WSAENOTSOCK);
        CHECK_OK(WSPCloseSocket(peer, lpErrno));
    }
    t_sleep_ms(50);
    CHECK_EQ(t_count_fds(), fds);
    CHECK_OK(WSPCloseSocket(s0, lpErrno));
    CHECK_OK(WSPCloseSocket(p0, lpErrno));
}
