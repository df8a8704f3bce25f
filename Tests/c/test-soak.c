/* Soak and integrity runs (issue 9): real loopback TCP through the SPI only.
 *  - echo_soak_eventselect / echo_soak_select: 8 client threads x 200 echo
 *    connections each (random sizes 1 B .. 64 KiB, every reply checked
 *    byte-exact). 1 in 8 connections ends abruptly: SO_LINGER {1, 0} +
 *    WSPCloseSocket before, during or after the reply, or a plain
 *    WSPCloseSocket with the reply unread. The server is one thread in the
 *    process, driven by WSPEventSelect + WSAWaitForMultipleEvents (one event
 *    per socket) or by WSPSelect on non-blocking sockets. It must see one
 *    graceful close per graceful client, a reset for every client that reset
 *    after (part of) its reply, no error but WSAECONNRESET / WSAECONNABORTED /
 *    WSAENETRESET, and no lost event (a 10 s stall fails).
 *  - transfer_blocking / transfer_select / transfer_overlapped_routines /
 *    transfer_overlapped_events: SOAK_MIB MiB (64 by default) in random
 *    chunks of 1 B .. 256 KiB and random receive sizes, byte-exact, with
 *    blocking sockets (a sender thread), non-blocking sockets driven by
 *    WSPSelect (both ends in one loop), overlapped I/O with completion
 *    routines run in SleepEx(..., TRUE), and overlapped I/O with event
 *    objects, WSAWaitForMultipleEvents and WSAGetOverlappedResult. The
 *    overlapped ones run full duplex (SOAK_MIB each way at once, one thread)
 *    with 8 sends and 8 receives outstanding per direction, checked in
 *    posting order, each direction ending with WSPShutdown(SD_SEND).
 * Every test counts the process's descriptors before WSPStartup and after
 * WSPCleanup: equal. Data comes from seeded xorshift streams that the
 * receiver regenerates; the seed is printed and can be forced with
 * SOAK_SEED=<number>; SOAK_MIB=<n> changes the transfer size at run time
 * (the whole file runs in a few seconds at 64 MiB).
 * Draft §3.1.2.10 - §3.1.2.13 (WSPRecv, WSPSend), §3.1.2.18 (WSPEventSelect),
 * WSPSelect, WSPAccept; RULINGS §4, §6, §7, §8, §9. */
#include "harness.h"
#include <stdint.h>
#include <time.h>

#ifndef SOAK_MIB
#define SOAK_MIB 64                 /* per transfer test */
#endif
#define CHUNK_MAX (256u * 1024u)    /* transfer chunk and receive sizes: 1 B .. 256 KiB */
#define MSG_MAX (64u * 1024u)       /* echo message sizes: 1 B .. 64 KiB */
#define SMALL_BUF 65536             /* SO_SNDBUF / SO_RCVBUF of the select and overlapped pairs */

/* ------------------------------------------------------------------------ */
/* Seeded generators                                                        */

static uint64_t splitmix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static uint64_t xs_next(uint64_t *s) {
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static uint64_t xs_seed(uint64_t seed, uint64_t tag) { return splitmix(seed ^ splitmix(tag)) | 1; }

/* The test's seed: $SOAK_SEED or the clock; printed so a failure can be rerun. */
static uint64_t g_seed;
static uint64_t test_seed(const char *name) {
    const char *e = getenv("SOAK_SEED");
    if (e && *e) g_seed = strtoull(e, NULL, 0);
    else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        g_seed = splitmix((uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32));
    }
    fprintf(stderr, "    %s: SOAK_SEED=%llu\n", name, (unsigned long long)g_seed);
    return g_seed;
}

static size_t soak_bytes(void) {
    const char *e = getenv("SOAK_MIB");
    long mib = (e && *e) ? strtol(e, NULL, 0) : SOAK_MIB;
    if (mib < 1) mib = 1;
    return (size_t)mib << 20;
}

/* A random size in 1 .. max: small, uniform and log-uniform sizes mixed. */
static DWORD rand_size(uint64_t *r, DWORD max) {
    uint64_t x = xs_next(r);
    DWORD lim;
    switch (x & 3) {
    case 0: lim = 64; break;
    case 1: lim = max; break;
    default: {
        int bits = 0;
        while ((1u << bits) < max) bits++;
        lim = 1u << (1 + (x >> 8) % (uint64_t)bits);
    }
    }
    if (lim > max) lim = max;
    return 1 + (DWORD)((x >> 24) % lim);
}

/* A byte stream: byte k is the same for every reader of the same seed,
 * however the reads are split. */
struct stream { uint64_t st, word; int left; size_t pos; };

static void stream_init(struct stream *g, uint64_t seed, uint64_t tag) {
    memset(g, 0, sizeof *g);
    g->st = xs_seed(seed, tag);
}

static void stream_fill(struct stream *g, unsigned char *p, size_t n) {
    size_t i = 0;
    while (i < n && g->left) { p[i++] = (unsigned char)g->word; g->word >>= 8; g->left--; }
    while (n - i >= 8) {
        uint64_t w = xs_next(&g->st);
        for (int b = 0; b < 8; b++) p[i + b] = (unsigned char)(w >> (8 * b));
        i += 8;
    }
    if (i < n) {
        g->word = xs_next(&g->st);
        g->left = 8;
        while (i < n) { p[i++] = (unsigned char)g->word; g->word >>= 8; g->left--; }
    }
    g->pos += n;
}

/* Checks that p[0..n) is the stream's next n bytes (and consumes them);
 * fails the test at the first difference. */
#define STREAM_CHECK(g, p, n, what) stream_check(__LINE__, (g), (p), (n), (what))
static void stream_check(int line, struct stream *g, const unsigned char *p, size_t n, const char *what) {
    unsigned char exp[8192];
    size_t done = 0;
    while (done < n) {
        size_t k = n - done < sizeof exp ? n - done : sizeof exp;
        size_t base = g->pos;
        stream_fill(g, exp, k);
        if (memcmp(exp, p + done, k) != 0) {
            size_t i = 0;
            while (exp[i] == p[done + i]) i++;
            harness_fail(__FILE__, line, "%s: byte %zu of the stream is 0x%02x, expected 0x%02x (seed %llu)",
                         what, base + i, p[done + i], exp[i], (unsigned long long)g_seed);
        }
        done += k;
    }
}

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */

static void set_nonblocking(SOCKET s) {
    u_long v = 1;
    CHECK_OK(WSPIoctlSocket(s, FIONBIO, &v, lpErrno));
}

static SOCKET ov_socket(void) {
    int err = 0;
    SOCKET s = WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, WSA_FLAG_OVERLAPPED, &err);
    if (s == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "WSPSocket(WSA_FLAG_OVERLAPPED) failed: %d", err);
    return s;
}

/* A connected pair of overlapped sockets: the client connects non-blocking
 * (an overlapped socket is non-blocking) and WSPSelect waits for it. */
static void ov_pair(SOCKET *client, SOCKET *server) {
    struct sockaddr_in a = t_loopback(0);
    int len = sizeof a, err = 0;
    SOCKET l = ov_socket();
    CHECK_OK(WSPBind(l, (struct sockaddr *)&a, sizeof a, lpErrno));
    CHECK_OK(WSPListen(l, SOMAXCONN, lpErrno));
    CHECK_OK(WSPGetSockName(l, (struct sockaddr *)&a, &len, lpErrno));
    SOCKET c = ov_socket();
    if (WSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, &err) != 0) {
        if (err != WSAEWOULDBLOCK) harness_fail(__FILE__, __LINE__, "WSPConnect failed: %d", err);
        fd_set w, x;
        FD_ZERO(&w);
        FD_SET(c, &w);
        FD_ZERO(&x);
        FD_SET(c, &x);
        struct timeval tv = { 5, 0 };
        int r = WSPSelect(0, NULL, &w, &x, &tv, &err);
        if (r != 1 || !FD_ISSET(c, &w)) harness_fail(__FILE__, __LINE__, "the connect did not finish: select %d, error %d", r, err);
    }
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(l, &rd);
    struct timeval tv = { 5, 0 };
    if (WSPSelect(0, &rd, NULL, NULL, &tv, &err) != 1) harness_fail(__FILE__, __LINE__, "no connection to accept: %d", err);
    SOCKET s = WSPAccept(l, NULL, NULL, NULL, 0, &err);
    if (s == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "WSPAccept failed: %d", err);
    CHECK_OK(WSPCloseSocket(l, lpErrno));
    *client = c;
    *server = s;
}

/* The descriptor count after WSPCleanup, allowing the kernel a moment for
 * closes that finish asynchronously: must come back to `before`. */
#define CHECK_FDS_BACK(before) check_fds_back(__LINE__, (before))
static void check_fds_back(int line, int before) {
    double end = t_now() + 2.0;
    int now;
    while ((now = t_count_fds()) != before && t_now() < end) t_sleep_ms(10);
    if (now != before) {
        fprintf(stderr, "    descriptors now:\n");
        fflush(stderr);
        CHECK_EQ(system("ls -l /proc/$PPID/fd >&2 2>/dev/null; true"), 0);
        harness_fail(__FILE__, line, "%d descriptors before WSPStartup, %d after WSPCleanup", before, now);
    }
}

/* Small socket buffers, so that sends outrun the receiver: partial
 * non-blocking sends, overlapped sends and receives that stay pending. */
static void small_buffers(SOCKET c, SOCKET s) {
    t_set_int_opt(c, SOL_SOCKET, SO_SNDBUF, SMALL_BUF);
    t_set_int_opt(s, SOL_SOCKET, SO_RCVBUF, SMALL_BUF);
}

/* With every socket closed but before WSPCleanup (which would close any
 * socket the library lost track of): at most PROVIDER_FDS more descriptors
 * than before WSPStartup, the provider's own (its engine's poller ...).
 * Catches a descriptor kept per connection. */
#define PROVIDER_FDS 4
#define CHECK_FDS_OPEN(before) check_fds_open(__LINE__, (before))
static void check_fds_open(int line, int before) {
    double end = t_now() + 2.0;
    int now;
    while ((now = t_count_fds()) > before + PROVIDER_FDS && t_now() < end) t_sleep_ms(10);
    if (getenv("SOAK_VERBOSE")) {
        fprintf(stderr, "    %d descriptors before WSPStartup, %d with every socket closed\n", before, now);
        fflush(stderr);
        if (system("ls -l /proc/$PPID/fd | sed -n 's/.*[0-9] \\([0-9]* -> .*\\)/      \\1/p' >&2")) {}
    }
    if (now > before + PROVIDER_FDS)
        harness_fail(__FILE__, line, "%d descriptors before WSPStartup, %d with every socket closed (before WSPCleanup)", before, now);
}

static int is_reset_code(int e) {
    return e == WSAECONNRESET || e == WSAECONNABORTED || e == WSAENETRESET;
}

/* ------------------------------------------------------------------------ */
/* 1. Echo soak: 8 x 200 connections against a WSPEventSelect server        */

enum { CLIENTS = 8, CONNS_PER_CLIENT = 200, MAX_SERVED = 60 };

struct conn {
    SOCKET s;
    WSAEVENT ev;
    u_short port;                   /* the client's port (host order) */
    long long echoed;
    int reset;                      /* a reset or abort was reported on it */
    DWORD have, sent;               /* echo buffer: bytes in it, bytes sent back */
    unsigned char buf[MSG_MAX];
};

/* Who saw what, to name the connection when the counts disagree. */
#define NCONN (CLIENTS * CONNS_PER_CLIENT)
struct seen { u_short port; short what; long long bytes; };
static struct seen client_log[NCONN];           /* [client * CONNS_PER_CLIENT + i]: what = mode */
static struct seen server_log[NCONN + 64];      /* in closing order: what = 0 graceful, 1 reset, 2 accept failed */
static int n_server_log;

static struct {
    SOCKET listener;
    struct sockaddr_in addr;
    WSAEVENT stop;                  /* set by the main thread: server ends */
    int stop_flag;                  /* atomic: the same, for the select server */
    /* server counts (server thread only; read after join) */
    int graceful, resets, accepted, max_open;
    int bad_errors, first_bad, first_bad_where;
    int n_connreset, n_connaborted, n_netreset;     /* reset codes the server saw */
    long long echoed;
    /* client counts (atomic) */
    int c_graceful, c_reset, c_early, c_unread;
    long long c_bytes;
} E;

static void server_bad(int code, int where) {
    if (E.bad_errors++ == 0) { E.first_bad = code; E.first_bad_where = where; }
}

/* An error on a server connection: a reset / abort code marks the
 * connection reset; any other code is a failure. */
static void server_error(struct conn *c, int code, int where) {
    if (code == WSAECONNRESET) E.n_connreset++;
    else if (code == WSAECONNABORTED) E.n_connaborted++;
    else if (code == WSAENETRESET) E.n_netreset++;
    else { server_bad(code, where); return; }
    if (c) c->reset = 1;
}

/* Echo as far as possible without blocking: send what is left, then read
 * more. 1 when the connection is finished (closed by the peer, reset). */
static int pump(struct conn *c) {
    for (;;) {
        int err = 0;
        if (c->sent < c->have) {
            DWORD n = 0;
            if (WSPSend(c->s, c->buf + c->sent, c->have - c->sent, &n, 0, NULL, NULL, &err) != 0) {
                if (err == WSAEWOULDBLOCK) return 0;
                server_error(c, err, 1);
                return 1;
            }
            if (n == 0 || n > c->have - c->sent) { server_bad(-1000 - (int)n, 2); return 1; }
            c->sent += n;
            c->echoed += n;
            E.echoed += n;
            continue;
        }
        c->have = c->sent = 0;
        DWORD n = 0;
        int flags = 0;
        if (WSPRecv(c->s, c->buf, sizeof c->buf, &n, &flags, NULL, NULL, &err) != 0) {
            if (err == WSAEWOULDBLOCK) return 0;
            server_error(c, err, 3);
            return 1;
        }
        if (n == 0) return 1;           /* graceful close (after all data) */
        if (n > sizeof c->buf) { server_bad(-2000, 4); return 1; }
        c->have = n;
    }
}

static void conn_close(struct conn *c) {
    int err = 0;
    if (WSPCloseSocket(c->s, &err) != 0) server_bad(err, 5);
    if (c->ev && !WSACloseEvent(c->ev)) server_bad(-3000, 6);
    if (c->reset) E.resets++; else E.graceful++;
    if (n_server_log < NCONN + 64) server_log[n_server_log++] = (struct seen){ c->port, (short)c->reset, c->echoed };
    free(c);
}

static int enum_events(SOCKET s, WSAEVENT ev, WSANETWORKEVENT ne[FD_MAX_EVENTS]) {
    int count = FD_MAX_EVENTS, err = 0;
    if (WSPEnumNetworkEvents(s, ev, ne, &count, &err) != 0) { server_bad(err, 7); return 0; }
    int mask = 0;
    for (int i = 0; i < count; i++) if (ne[i].Fired) mask |= 1 << i;
    return mask;
}

static void *echo_server(void *unused) {
    (void)unused;
    struct conn *conns[MAX_SERVED];
    int n = 0;
    WSAEVENT lev = WSACreateEvent();
    CHECK(lev != WSA_INVALID_EVENT);
    CHECK_OK(WSPEventSelect(E.listener, lev, FD_ACCEPT, lpErrno));
    double stop_at = 0;     /* once stopped: the time; runs on until its connections end */
    for (;;) {
        if (stop_at == 0 && WSAWaitForMultipleEvents(1, &E.stop, FALSE, 0, FALSE) == WSA_WAIT_EVENT_0) stop_at = t_now();
        if (stop_at != 0 && (n == 0 || t_now() - stop_at > 5)) break;
        WSAEVENT h[2 + MAX_SERVED];
        DWORD nh = 0;
        if (stop_at == 0) h[nh++] = E.stop;
        if (n < MAX_SERVED) h[nh++] = lev;     /* full: accept later */
        for (int i = 0; i < n; i++) h[nh++] = conns[i]->ev;
        DWORD r = WSAWaitForMultipleEvents(nh, h, FALSE, stop_at != 0 ? 500 : 10000, FALSE);
        if (r == WSA_WAIT_TIMEOUT) {
            if (n == 0 || stop_at != 0) continue;
            fprintf(stderr, "    server: no event for 10 s with %d connections open:\n", n);
            for (int i = 0; i < n; i++) {
                fd_set rs, ws;
                FD_ZERO(&rs); FD_SET(conns[i]->s, &rs);
                FD_ZERO(&ws); FD_SET(conns[i]->s, &ws);
                struct timeval tv = { 0, 0 };
                int err = 0, sr = WSPSelect(0, &rs, &ws, NULL, &tv, &err);
                fprintf(stderr, "      socket %u: %u of %u bytes echoed; select %d (read %d, write %d)\n",
                        (unsigned)conns[i]->s, (unsigned)conns[i]->sent, (unsigned)conns[i]->have, sr,
                        sr > 0 && FD_ISSET(conns[i]->s, &rs), sr > 0 && FD_ISSET(conns[i]->s, &ws));
            }
            harness_fail(__FILE__, __LINE__, "echo server stalled: an event was lost");
        }
        if (r == WSA_WAIT_FAILED || r >= WSA_WAIT_EVENT_0 + nh)
            harness_fail(__FILE__, __LINE__, "WSAWaitForMultipleEvents returned %u, error %d", (unsigned)r, WSAGetLastError());

        WSANETWORKEVENT ne[FD_MAX_EVENTS];
        if (n < MAX_SERVED && (enum_events(E.listener, lev, ne) & FD_ACCEPT)) {
            if (ne[FD_ACCEPT_BIT].ErrorCode != 0) server_bad(ne[FD_ACCEPT_BIT].ErrorCode, 8);
            while (n < MAX_SERVED) {
                int err = 0;
                struct sockaddr_in peer;
                int peer_len = sizeof peer;
                SOCKET s = WSPAccept(E.listener, (struct sockaddr *)&peer, &peer_len, NULL, 0, &err);
                if (s == INVALID_SOCKET) {
                    if (err == WSAEWOULDBLOCK) break;
                    if (is_reset_code(err)) {
                        server_error(NULL, err, 9);
                        E.resets++;
                        if (n_server_log < NCONN + 64) server_log[n_server_log++] = (struct seen){ 0, 2, 0 };
                        continue;
                    }   /* reset while queued */
                    server_bad(err, 9);
                    break;
                }
                struct conn *c = malloc(sizeof *c);
                CHECK(c != NULL);
                c->s = s;
                c->port = t_htons(peer.sin_port);
                c->echoed = 0;
                c->reset = 0;
                c->have = c->sent = 0;
                c->ev = WSACreateEvent();
                CHECK(c->ev != WSA_INVALID_EVENT);
                /* it inherited the listener's registration: give it its own event */
                if (WSPEventSelect(s, c->ev, FD_READ | FD_WRITE | FD_CLOSE, &err) != 0) server_bad(err, 10);
                conns[n++] = c;
                E.accepted++;
                if (n > E.max_open) E.max_open = n;
            }
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = conns[i];
            int m = enum_events(c->s, c->ev, ne);
            if (!m) continue;
            for (int b = 0; b < FD_MAX_EVENTS; b++) {
                if (!(m & (1 << b)) || ne[b].ErrorCode == 0) continue;
                if (b == FD_CLOSE_BIT) server_error(c, ne[b].ErrorCode, 100 + b);
                else server_bad(ne[b].ErrorCode, 100 + b);
            }
            if (pump(c)) {
                conn_close(c);
                conns[i--] = conns[--n];
            }
        }
    }
    /* the clients are done: every connection must have ended */
    if (n != 0) harness_fail(__FILE__, __LINE__, "%d connections still open on the server 5 s after all clients finished", n);
    CHECK(WSACloseEvent(lev));
    return NULL;
}

static void client_fail(int line, int id, int i, const char *what, int err) {
    harness_fail(__FILE__, line, "client %d, connection %d: %s: error %d (seed %llu)", id, i, what, err, (unsigned long long)g_seed);
}

static void *echo_client(void *p) {
    int id = (int)(intptr_t)p;
    unsigned char *out = malloc(MSG_MAX), *in = malloc(MSG_MAX);
    CHECK(out && in);
    for (int i = 0; i < CONNS_PER_CLIENT; i++) {
        uint64_t r = xs_seed(g_seed, 0x100000ull + (uint64_t)id * 1000 + (uint64_t)i);
        DWORD size = rand_size(&r, MSG_MAX);
        int mode = (xs_next(&r) % 8 == 0) ? 1 + (int)(xs_next(&r) % 4) : 0;
        struct stream g, chk;
        stream_init(&g, g_seed, 0x200000ull + (uint64_t)id * 1000 + (uint64_t)i);
        chk = g;
        stream_fill(&g, out, size);
        int err = 0;
        SOCKET c = WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, &err);
        if (c == INVALID_SOCKET) client_fail(__LINE__, id, i, "WSPSocket", err);
        if (WSPConnect(c, (struct sockaddr *)&E.addr, sizeof E.addr, NULL, NULL, 0, NULL, NULL, &err) != 0)
            client_fail(__LINE__, id, i, "WSPConnect", err);
        struct sockaddr_in me;
        int me_len = sizeof me;
        if (WSPGetSockName(c, (struct sockaddr *)&me, &me_len, &err) != 0) client_fail(__LINE__, id, i, "WSPGetSockName", err);
        client_log[id * CONNS_PER_CLIENT + i] = (struct seen){ t_htons(me.sin_port), (short)mode, size };
        DWORD send_len = size, recv_len = size;
        if (mode == 1) { send_len = (DWORD)(xs_next(&r) % size); recv_len = 0; }   /* reset mid-request */
        if (mode == 2 || mode == 4) recv_len = (DWORD)(xs_next(&r) % size);       /* reset / close mid-reply */
        if ((err = t_send_all(c, out, send_len)) != 0) client_fail(__LINE__, id, i, "send", err);
        if (recv_len) {
            if ((err = t_recv_exact(c, in, recv_len)) != 0) client_fail(__LINE__, id, i, "receive", err);
            if (memcmp(in, out, recv_len) != 0) STREAM_CHECK(&chk, in, recv_len, "echo");
        }
        __atomic_add_fetch(&E.c_bytes, (long long)recv_len, __ATOMIC_SEQ_CST);
        if (mode == 0 || mode == 4) {
            /* mode 4: a plain close before the whole reply arrived; the
             * kernel resets if unread data is queued, else closes gracefully
             * and resets the server's later sends: either may be seen */
            if (WSPCloseSocket(c, &err) != 0) client_fail(__LINE__, id, i, "WSPCloseSocket", err);
            __atomic_add_fetch(mode == 0 ? &E.c_graceful : &E.c_unread, 1, __ATOMIC_SEQ_CST);
        } else {
            struct linger l = { 1, 0 };
            if (WSPSetSockOpt(c, SOL_SOCKET, SO_LINGER, (const char *)&l, sizeof l, &err) != 0)
                client_fail(__LINE__, id, i, "SO_LINGER", err);
            if (WSPCloseSocket(c, &err) != 0) client_fail(__LINE__, id, i, "WSPCloseSocket (reset)", err);
            __atomic_add_fetch(&E.c_reset, 1, __ATOMIC_SEQ_CST);
            if (mode == 1) __atomic_add_fetch(&E.c_early, 1, __ATOMIC_SEQ_CST);
        }
    }
    free(out);
    free(in);
    return NULL;
}

/* Connections by client port: the server's record of each (closing order)
 * next to the clients' (mode 0 graceful, 1 reset before the reply, 2 reset
 * during it, 3 reset after it, 4 closed with it unread). */
static void dump_logs(void) {
    static const char *how[] = { "graceful", "reset", "accept failed" };
    fprintf(stderr, "    connections the server saw more or less than once, or as it should not:\n");
    for (int k = 0; k < n_server_log; k++) {
        int uses = 0, last_mode = -1;
        for (int j = 0; j < NCONN; j++)
            if (client_log[j].port == server_log[k].port) { uses++; last_mode = client_log[j].what; }
        int dup = 0;
        for (int m = 0; m < n_server_log; m++) if (m != k && server_log[m].port == server_log[k].port) dup++;
        int odd = uses == 0 || dup + 1 > uses || (last_mode == 0 && server_log[k].what != 0) ||
                  ((last_mode == 2 || last_mode == 3) && server_log[k].what != 1);
        if (odd)
            fprintf(stderr, "      server #%d: port %u %s after %lld bytes echoed; %d client connections used the port "
                    "(last in mode %d), the server saw it %d times\n", k, server_log[k].port, how[server_log[k].what],
                    server_log[k].bytes, uses, last_mode, dup + 1);
    }
    for (int j = 0; j < NCONN; j++) {
        int n = 0;
        for (int k = 0; k < n_server_log; k++) if (server_log[k].port == client_log[j].port) n++;
        if (n == 0)
            fprintf(stderr, "      client %d #%d: port %u, mode %d, %lld bytes: never seen by the server\n",
                    j / CONNS_PER_CLIENT, j % CONNS_PER_CLIENT, client_log[j].port, client_log[j].what, client_log[j].bytes);
    }
}

static void echo_soak(const char *name, void *(*server)(void *)) {
    test_seed(name);
    int fds0 = t_count_fds();
    CHECK(fds0 > 0);
    t_startup();
    E.listener = t_listener(&E.addr);
    E.stop = WSACreateEvent();
    CHECK(E.stop != WSA_INVALID_EVENT);
    pthread_t srv, cl[CLIENTS];
    double t0 = t_now();
    CHECK_EQ(pthread_create(&srv, NULL, server, NULL), 0);
    for (int i = 0; i < CLIENTS; i++) CHECK_EQ(pthread_create(&cl[i], NULL, echo_client, (void *)(intptr_t)i), 0);
    for (int i = 0; i < CLIENTS; i++) CHECK_EQ(pthread_join(cl[i], NULL), 0);
    double t_clients = t_now() - t0;
    /* the server sees the last closes a little later (and some early
     * resets never: then until its count has been still for 0.5 s) */
    double end = t_now() + 5, still_since = t_now();
    int last = -1;
    for (;;) {
        int seen = __atomic_load_n(&E.graceful, __ATOMIC_SEQ_CST) + __atomic_load_n(&E.resets, __ATOMIC_SEQ_CST);
        if (seen == CLIENTS * CONNS_PER_CLIENT || t_now() > end) break;
        if (seen != last) { last = seen; still_since = t_now(); }
        else if (seen >= CLIENTS * CONNS_PER_CLIENT - E.c_early && t_now() - still_since > 0.5) break;
        t_sleep_ms(5);
    }
    __atomic_store_n(&E.stop_flag, 1, __ATOMIC_SEQ_CST);
    CHECK(WSASetEvent(E.stop));
    CHECK_EQ(pthread_join(srv, NULL), 0);
    fprintf(stderr, "    %d connections (%d reset, %d closed with the reply unread) in %.2f s, %lld bytes echoed to "
            "clients, at most %d open on the server; it saw %d graceful closes, %d resets, %d never accepted\n",
            CLIENTS * CONNS_PER_CLIENT, E.c_reset, E.c_unread, t_clients, E.c_bytes, E.max_open, E.graceful, E.resets,
            CLIENTS * CONNS_PER_CLIENT - E.graceful - E.resets);
    fprintf(stderr, "    server errors: WSAECONNRESET %d, WSAECONNABORTED %d, WSAENETRESET %d, other %d\n",
            E.n_connreset, E.n_connaborted, E.n_netreset, E.bad_errors);

    if (E.bad_errors)
        harness_fail(__FILE__, __LINE__, "%d unexpected server-side errors, first %d (at site %d)", E.bad_errors, E.first_bad, E.first_bad_where);
    CHECK_EQ(E.c_graceful + E.c_reset + E.c_unread, CLIENTS * CONNS_PER_CLIENT);
    CHECK(E.c_reset > E.c_early && E.c_early > 0 && E.c_unread > 0);
    /* Each graceful client: recv 0 and no error on the server; each client
     * that reset after reading (part of) the reply: a reset. A client that
     * reset before any reply may never reach WSPAccept: the listen queue
     * holds SOMAXCONN (5) connections, Linux drops the handshake's last ACK
     * of a connection that finds it full, and the client's reset then
     * removes the half-open connection. Every other connection is seen. */
    int seen = E.graceful + E.resets, total = CLIENTS * CONNS_PER_CLIENT;
    if (seen > total || seen < total - E.c_early || E.graceful < E.c_graceful ||
        E.graceful > E.c_graceful + E.c_unread || E.resets < E.c_reset - E.c_early)
        dump_logs();
    if (seen > total || seen < total - E.c_early || E.graceful < E.c_graceful ||
        E.graceful > E.c_graceful + E.c_unread || E.resets < E.c_reset - E.c_early)
        harness_fail(__FILE__, __LINE__, "the server saw %d graceful closes and %d resets; the clients closed %d gracefully, "
                     "reset %d (%d before the reply), closed %d with the reply unread", E.graceful, E.resets, E.c_graceful,
                     E.c_reset, E.c_early, E.c_unread);
    CHECK(E.echoed >= E.c_bytes);

    CHECK_OK(WSPCloseSocket(E.listener, lpErrno));
    CHECK(WSACloseEvent(E.stop));
    CHECK_FDS_OPEN(fds0);
    t_cleanup();
    CHECK_FDS_BACK(fds0);
}

TEST_T(echo_soak_eventselect, 60) { echo_soak("echo_soak_eventselect", echo_server); }

/* The same clients against a WSPSelect-driven server: non-blocking sockets,
 * read set (listener, connections with nothing to send back), write set
 * (connections with echo data left). */
static void *select_server(void *unused) {
    (void)unused;
    struct conn *conns[MAX_SERVED];
    int n = 0;
    set_nonblocking(E.listener);
    double last_activity = t_now();
    double stop_at = 0;     /* once stopped: the time; runs on until its connections end */
    for (;;) {
        if (stop_at == 0 && __atomic_load_n(&E.stop_flag, __ATOMIC_SEQ_CST)) stop_at = t_now();
        if (stop_at != 0 && (n == 0 || t_now() - stop_at > 5)) break;
        fd_set rd, wr;
        FD_ZERO(&rd);
        FD_ZERO(&wr);
        if (n < MAX_SERVED) FD_SET(E.listener, &rd);
        for (int i = 0; i < n; i++) {
            if (conns[i]->sent < conns[i]->have) FD_SET(conns[i]->s, &wr);
            else FD_SET(conns[i]->s, &rd);
        }
        struct timeval tv = { 0, 100000 };
        int err = 0;
        int r = WSPSelect(0, &rd, &wr, NULL, &tv, &err);
        if (r == SOCKET_ERROR) harness_fail(__FILE__, __LINE__, "server: WSPSelect failed: %d", err);
        if (r != (int)(rd.fd_count + wr.fd_count))
            harness_fail(__FILE__, __LINE__, "server: WSPSelect returned %d for %u + %u sockets", r, (unsigned)rd.fd_count, (unsigned)wr.fd_count);
        if (r == 0) {
            if (n > 0 && t_now() - last_activity > 10)
                harness_fail(__FILE__, __LINE__, "select server stalled: nothing ready for 10 s with %d connections open", n);
            continue;
        }
        last_activity = t_now();
        if (FD_ISSET(E.listener, &rd)) {
            while (n < MAX_SERVED) {
                struct sockaddr_in peer;
                int peer_len = sizeof peer;
                SOCKET s = WSPAccept(E.listener, (struct sockaddr *)&peer, &peer_len, NULL, 0, &err);
                if (s == INVALID_SOCKET) {
                    if (err == WSAEWOULDBLOCK) break;
                    if (is_reset_code(err)) {
                        server_error(NULL, err, 20);
                        E.resets++;
                        if (n_server_log < NCONN + 64) server_log[n_server_log++] = (struct seen){ 0, 2, 0 };
                        continue;
                    }
                    server_bad(err, 20);
                    break;
                }
                struct conn *c = malloc(sizeof *c);
                CHECK(c != NULL);
                c->s = s;
                c->port = t_htons(peer.sin_port);
                c->echoed = 0;
                c->ev = NULL;
                c->reset = 0;
                c->have = c->sent = 0;
                u_long on = 1;
                if (WSPIoctlSocket(s, FIONBIO, &on, &err) != 0) server_bad(err, 21);
                conns[n++] = c;
                E.accepted++;
                if (n > E.max_open) E.max_open = n;
            }
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = conns[i];
            if (!FD_ISSET(c->s, &rd) && !FD_ISSET(c->s, &wr)) continue;
            if (pump(c)) {
                conn_close(c);
                conns[i--] = conns[--n];
            }
        }
    }
    if (n != 0) harness_fail(__FILE__, __LINE__, "%d connections still open on the server 5 s after all clients finished", n);
    return NULL;
}

TEST_T(echo_soak_select, 60) { echo_soak("echo_soak_select", select_server); }

/* ------------------------------------------------------------------------ */
/* 2a. Blocking sockets                                                     */

struct bsender { SOCKET s; size_t total; uint64_t seed; int err; size_t sent; long calls; };

static void *blocking_sender(void *p) {
    struct bsender *a = p;
    unsigned char *buf = malloc(CHUNK_MAX);
    CHECK(buf != NULL);
    struct stream g;
    stream_init(&g, a->seed, 1);
    uint64_t r = xs_seed(a->seed, 2);
    while (a->sent < a->total) {
        size_t n = rand_size(&r, CHUNK_MAX);
        if (n > a->total - a->sent) n = a->total - a->sent;
        stream_fill(&g, buf, n);
        DWORD done = 0;
        int err = 0;
        if (WSPSend(a->s, buf, (DWORD)n, &done, 0, NULL, NULL, &err) != 0) { a->err = err; break; }
        a->calls++;
        /* a blocking send returns when every byte is queued (draft §3.1.2.12) */
        if (done != n) { a->err = -1; break; }
        a->sent += n;
    }
    /* the end of the stream (also after a failure: the receiver stops, and
     * the main thread reports a->err) */
    int err = 0;
    if (WSPShutdown(a->s, SD_SEND, &err) != 0 && !a->err) a->err = err;
    free(buf);
    return NULL;
}

TEST_T(transfer_blocking, 60) {
    uint64_t seed = test_seed("transfer_blocking");
    size_t total = soak_bytes();
    int fds0 = t_count_fds();
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    struct bsender a = { c, total, seed, 0, 0, 0 };
    double t0 = t_now();
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, blocking_sender, &a), 0);
    unsigned char *buf = malloc(CHUNK_MAX);
    CHECK(buf != NULL);
    struct stream chk;
    stream_init(&chk, seed, 1);
    uint64_t r = xs_seed(seed, 3);
    size_t got = 0;
    long recvs = 0;
    for (;;) {
        DWORD want = rand_size(&r, CHUNK_MAX), n = 0xDEADBEEF;
        int flags = 0;
        CHECK_OK(WSPRecv(s, buf, want, &n, &flags, NULL, NULL, lpErrno));
        recvs++;
        if (n == 0) break;
        CHECK(n <= want);
        if (got + n > total) harness_fail(__FILE__, __LINE__, "%zu bytes received, only %zu sent", got + n, total);
        STREAM_CHECK(&chk, buf, n, "blocking receive");
        got += n;
    }
    CHECK_EQ(pthread_join(th, NULL), 0);
    double dt = t_now() - t0;
    CHECK_EQ(a.err, 0);
    CHECK_EQ(a.sent, total);
    CHECK_EQ(got, total);
    /* after the end of the stream, receives keep reporting 0 */
    DWORD n = 0xDEADBEEF;
    int flags = 0;
    CHECK_OK(WSPRecv(s, buf, 16, &n, &flags, NULL, NULL, lpErrno));
    CHECK_EQ(n, 0);
    fprintf(stderr, "    %zu bytes in %.2f s (%.0f MB/s), %ld sends, %ld receives\n", got, dt, got / dt / 1e6, a.calls, recvs);
    free(buf);
    CHECK_OK(WSPCloseSocket(c, lpErrno));
    CHECK_OK(WSPCloseSocket(s, lpErrno));
    CHECK_FDS_OPEN(fds0);
    t_cleanup();
    CHECK_FDS_BACK(fds0);
}

/* ------------------------------------------------------------------------ */
/* 2b. Non-blocking sockets driven by WSPSelect, both ends in one loop      */

TEST_T(transfer_select, 60) {
    uint64_t seed = test_seed("transfer_select");
    size_t total = soak_bytes();
    int fds0 = t_count_fds();
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    small_buffers(c, s);
    set_nonblocking(c);
    set_nonblocking(s);
    unsigned char *obuf = malloc(CHUNK_MAX), *ibuf = malloc(CHUNK_MAX);
    CHECK(obuf && ibuf);
    struct stream g, chk;
    stream_init(&g, seed, 1);
    stream_init(&chk, seed, 1);
    uint64_t rs = xs_seed(seed, 2), rr = xs_seed(seed, 3);
    size_t sent = 0, got = 0;
    DWORD olen = 0, ooff = 0;           /* the chunk being sent */
    int shut = 0, eof = 0;
    long selects = 0, sends = 0, recvs = 0, partial = 0;
    double t0 = t_now();
    while (!eof) {
        fd_set rd, wr, ex;
        FD_ZERO(&rd);
        FD_ZERO(&wr);
        FD_ZERO(&ex);
        FD_SET(s, &rd);
        FD_SET(s, &ex);
        FD_SET(c, &ex);
        if (!shut) FD_SET(c, &wr);
        struct timeval tv = { 10, 0 };
        int err = 0;
        int r = WSPSelect(0, &rd, &wr, &ex, &tv, &err);
        selects++;
        if (r == SOCKET_ERROR) harness_fail(__FILE__, __LINE__, "WSPSelect failed: %d", err);
        if (r == 0) harness_fail(__FILE__, __LINE__, "WSPSelect: nothing ready for 10 s (%zu sent, %zu received)", sent, got);
        CHECK_EQ(ex.fd_count, 0);
        int count = (int)rd.fd_count + (int)wr.fd_count;
        CHECK_EQ(r, count);
        if (FD_ISSET(c, &wr)) {
            if (ooff == olen) {
                olen = rand_size(&rs, CHUNK_MAX);
                if (olen > total - sent) olen = (DWORD)(total - sent);
                ooff = 0;
                stream_fill(&g, obuf, olen);
            }
            DWORD n = 0;
            if (WSPSend(c, obuf + ooff, olen - ooff, &n, 0, NULL, NULL, &err) != 0)
                harness_fail(__FILE__, __LINE__, "WSPSend on a writable socket failed: %d (%zu sent)", err, sent);
            sends++;
            if (n == 0 || n > olen - ooff) harness_fail(__FILE__, __LINE__, "WSPSend sent %u of %u", (unsigned)n, (unsigned)(olen - ooff));
            if (n < olen - ooff) partial++;
            ooff += n;
            sent += n;
            if (sent == total) {
                CHECK_OK(WSPShutdown(c, SD_SEND, lpErrno));
                shut = 1;
            }
        }
        if (FD_ISSET(s, &rd)) {
            DWORD want = rand_size(&rr, CHUNK_MAX), n = 0xDEADBEEF;
            int flags = 0;
            if (WSPRecv(s, ibuf, want, &n, &flags, NULL, NULL, &err) != 0)
                harness_fail(__FILE__, __LINE__, "WSPRecv on a readable socket failed: %d (%zu received)", err, got);
            recvs++;
            CHECK(n <= want);
            if (n == 0) {
                eof = 1;
            } else {
                if (got + n > sent) harness_fail(__FILE__, __LINE__, "%zu bytes received, only %zu sent", got + n, sent);
                STREAM_CHECK(&chk, ibuf, n, "select receive");
                got += n;
            }
        }
    }
    double dt = t_now() - t0;
    CHECK_EQ(sent, total);
    CHECK_EQ(got, total);
    /* the end of the stream stays visible; the client, sent nothing, would block */
    DWORD n = 0xDEADBEEF;
    int flags = 0;
    CHECK_OK(WSPRecv(s, ibuf, 16, &n, &flags, NULL, NULL, lpErrno));
    CHECK_EQ(n, 0);
    CHECK_WSA(WSPRecv(c, ibuf, 16, &n, &flags, NULL, NULL, lpErrno), WSAEWOULDBLOCK);
    fprintf(stderr, "    %zu bytes in %.2f s (%.0f MB/s), %ld selects, %ld sends (%ld partial), %ld receives\n",
            got, dt, got / dt / 1e6, selects, sends, partial, recvs);
    free(obuf);
    free(ibuf);
    CHECK_OK(WSPCloseSocket(c, lpErrno));
    CHECK_OK(WSPCloseSocket(s, lpErrno));
    CHECK_FDS_OPEN(fds0);
    t_cleanup();
    CHECK_FDS_BACK(fds0);
}

/* ------------------------------------------------------------------------ */
/* 2c / 2d. Overlapped: several outstanding sends and receives per socket   */

enum { DEPTH = 8 };                 /* outstanding sends, and receives */

struct op {
    WSAOVERLAPPED ov;               /* first: the routine finds the op from it */
    unsigned char *buf;
    DWORD len;
    int at_once;                    /* the post returned 0 ... */
    DWORD at_once_n;                /* ... with this count */
    int done;                       /* atomic: the routine ran (routine mode) */
    int calls;                      /* atomic: how often */
    DWORD err, cb;
    int other_thread, bad_context, bad_internal, outside_wait;
};

static DWORD g_main_tid;
static int g_use_events;            /* 2d: events, no routines */
static int g_in_sleepex;            /* the main thread is in SleepEx(..., TRUE) */

static void CALLBACK on_complete(DWORD err, DWORD cb, LPWSAOVERLAPPED o) {
    struct op *op = (struct op *)o;
    if (o->hEvent != (WSAEVENT)op) op->bad_context = 1;     /* hEvent is caller context */
    if (o->Internal != err || o->InternalHigh != cb) op->bad_internal = 1;
    if (WPUXxxGetCurrentThreadId32() != g_main_tid) op->other_thread = 1;
    else if (!g_in_sleepex) op->outside_wait = 1;   /* an APC: only in an alertable wait */
    op->err = err;
    op->cb = cb;
    __atomic_add_fetch(&op->calls, 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&op->done, 1, __ATOMIC_SEQ_CST);
}

static void post(SOCKET sock, struct op *op, int is_send, int line) {
    WSAEVENT ev = op->ov.hEvent;
    memset(&op->ov, 0, sizeof op->ov);
    op->done = op->calls = 0;
    op->err = op->cb = 0xDEADBEEF;
    op->at_once = 0;
    if (g_use_events) {
        CHECK(WSAResetEvent(ev));
        op->ov.hEvent = ev;
    } else {
        op->ov.hEvent = (WSAEVENT)op;
    }
    LPWSAOVERLAPPED_COMPLETION_ROUTINE fn = g_use_events ? NULL : on_complete;
    DWORD n = 0xDEADBEEF;
    int err = 0x7EADBEEF, r;
    if (is_send) {
        r = WSPSend(sock, op->buf, op->len, &n, 0, &op->ov, fn, &err);
    } else {
        int flags = 0;
        r = WSPRecv(sock, op->buf, op->len, &n, &flags, &op->ov, fn, &err);
    }
    if (r == 0) {
        op->at_once = 1;
        op->at_once_n = n;
    } else if (r != SOCKET_ERROR || err != WSA_IO_PENDING) {
        harness_fail(__FILE__, line, "overlapped %s returned %d, error %d", is_send ? "WSPSend" : "WSPRecv", r, err);
    }
}

/* Routine mode: has op's routine run? Event mode: is op complete? (with
 * fWait TRUE for some receives, so both ways of WSAGetOverlappedResult run).
 * On completion fills op->err / op->cb and checks the op's fields. */
static int completed(SOCKET sock, struct op *op, int wait, const char *what, long index) {
    if (!g_use_events) {
        if (!__atomic_load_n(&op->done, __ATOMIC_SEQ_CST)) return 0;
        if (op->calls != 1) harness_fail(__FILE__, __LINE__, "%s %ld: routine ran %d times", what, index, op->calls);
        if (op->other_thread) harness_fail(__FILE__, __LINE__, "%s %ld: routine ran on another thread", what, index);
        if (op->bad_context) harness_fail(__FILE__, __LINE__, "%s %ld: hEvent (caller context) was changed", what, index);
        if (op->bad_internal) harness_fail(__FILE__, __LINE__, "%s %ld: Internal / InternalHigh differ from the routine's arguments", what, index);
        if (op->outside_wait) harness_fail(__FILE__, __LINE__, "%s %ld: routine ran outside an alertable wait", what, index);
    } else {
        int set = WSAWaitForMultipleEvents(1, &op->ov.hEvent, FALSE, 0, FALSE) == WSA_WAIT_EVENT_0;
        DWORD cb = 0xDEADBEEF, flags = 0xDEADBEEF;
        BOOL ok = WSAGetOverlappedResult(sock, &op->ov, &cb, wait ? TRUE : FALSE, &flags);
        if (!ok) {
            int e = WSAGetLastError();
            if (e == WSA_IO_INCOMPLETE && !wait && !set) return 0;
            harness_fail(__FILE__, __LINE__, "%s %ld: WSAGetOverlappedResult(fWait %d) FALSE with %d (event %s)",
                         what, index, wait, e, set ? "set" : "not set");
        }
        /* the event is set on completion (the provider may set it a moment
         * after it stored the result) */
        if (WSAWaitForMultipleEvents(1, &op->ov.hEvent, FALSE, 1000, FALSE) != WSA_WAIT_EVENT_0)
            harness_fail(__FILE__, __LINE__, "%s %ld: complete, but its event is not set after 1 s", what, index);
        op->err = 0;
        op->cb = cb;
        if (op->ov.Internal != 0 || op->ov.InternalHigh != cb)
            harness_fail(__FILE__, __LINE__, "%s %ld: Internal %u / InternalHigh %u, result %u bytes", what, index,
                         (unsigned)op->ov.Internal, (unsigned)op->ov.InternalHigh, (unsigned)cb);
    }
    if (op->err != 0) harness_fail(__FILE__, __LINE__, "%s %ld failed: %u", what, index, (unsigned)op->err);
    if (op->cb > op->len) harness_fail(__FILE__, __LINE__, "%s %ld: %u bytes for a %u-byte buffer", what, index, (unsigned)op->cb, (unsigned)op->len);
    if (op->at_once && op->at_once_n != op->cb)
        harness_fail(__FILE__, __LINE__, "%s %ld completed at once with %u bytes, then reported %u", what, index, (unsigned)op->at_once_n, (unsigned)op->cb);
    return 1;
}

/* One direction of the full-duplex overlapped transfer: tx sends the
 * stream, rx receives it; DEPTH sends and DEPTH receives outstanding. */
struct dir {
    const char *name;
    SOCKET tx, rx;
    struct op sops[DEPTH], rops[DEPTH];
    struct stream g, chk;
    uint64_t rs, rr;
    long s_posted, s_done, r_posted, r_done, at_once;
    size_t total, posted_bytes, sent, got;
    int shut, eof;
};

static void dir_init(struct dir *d, const char *name, SOCKET tx, SOCKET rx, uint64_t seed, uint64_t tag, size_t total) {
    memset(d, 0, sizeof *d);
    d->name = name;
    d->tx = tx;
    d->rx = rx;
    d->total = total;
    stream_init(&d->g, seed, tag);
    stream_init(&d->chk, seed, tag);
    d->rs = xs_seed(seed, tag + 1);
    d->rr = xs_seed(seed, tag + 2);
    for (int i = 0; i < DEPTH; i++) {
        d->sops[i].buf = malloc(CHUNK_MAX);
        d->rops[i].buf = malloc(CHUNK_MAX);
        CHECK(d->sops[i].buf && d->rops[i].buf);
        if (g_use_events) {
            CHECK((d->sops[i].ov.hEvent = WSACreateEvent()) != WSA_INVALID_EVENT);
            CHECK((d->rops[i].ov.hEvent = WSACreateEvent()) != WSA_INVALID_EVENT);
        }
    }
}

static void dir_free(struct dir *d) {
    for (int i = 0; i < DEPTH; i++) {
        /* no routine may run twice or late */
        if (d->sops[i].calls > 1 || d->rops[i].calls > 1)
            harness_fail(__FILE__, __LINE__, "%s: a routine ran again after its completion was handled", d->name);
        free(d->sops[i].buf);
        free(d->rops[i].buf);
        if (g_use_events) {
            CHECK(WSACloseEvent(d->sops[i].ov.hEvent));
            CHECK(WSACloseEvent(d->rops[i].ov.hEvent));
        }
    }
}

/* Keeps DEPTH sends and DEPTH receives outstanding, in posting order (and
 * one receive for the end of the stream). */
static void dir_post(struct dir *d) {
    while (d->s_posted - d->s_done < DEPTH && d->posted_bytes < d->total) {
        struct op *op = &d->sops[d->s_posted % DEPTH];
        op->len = rand_size(&d->rs, CHUNK_MAX);
        if (op->len > d->total - d->posted_bytes) op->len = (DWORD)(d->total - d->posted_bytes);
        stream_fill(&d->g, op->buf, op->len);
        d->posted_bytes += op->len;
        post(d->tx, op, 1, __LINE__);
        d->at_once += op->at_once;
        d->s_posted++;
    }
    while (d->r_posted - d->r_done < DEPTH && (d->got < d->total || (!d->eof && d->r_posted == d->r_done))) {
        struct op *op = &d->rops[d->r_posted % DEPTH];
        op->len = rand_size(&d->rr, CHUNK_MAX);
        post(d->rx, op, 0, __LINE__);
        d->at_once += op->at_once;
        d->r_posted++;
    }
}

static int dir_done(const struct dir *d) {
    return d->s_done == d->s_posted && d->r_done == d->r_posted && d->eof;
}

/* The oldest outstanding ops' events (event mode). */
static void dir_heads(const struct dir *d, WSAEVENT *h, DWORD *nh) {
    if (d->s_done < d->s_posted) h[(*nh)++] = d->sops[d->s_done % DEPTH].ov.hEvent;
    if (d->r_done < d->r_posted) h[(*nh)++] = d->rops[d->r_done % DEPTH].ov.hEvent;
}

/* Takes the completed ops in posting order; 1 if any. */
static int dir_process(struct dir *d) {
    int progress = 0;
    char what[64];
    /* sends complete in posting order, each with all its bytes */
    snprintf(what, sizeof what, "%s send", d->name);
    while (d->s_done < d->s_posted) {
        struct op *op = &d->sops[d->s_done % DEPTH];
        if (!completed(d->tx, op, 0, what, d->s_done)) break;
        if (op->cb != op->len)
            harness_fail(__FILE__, __LINE__, "%s %ld completed with %u of %u bytes", what, d->s_done, (unsigned)op->cb, (unsigned)op->len);
        d->sent += op->cb;
        d->s_done++;
        progress = 1;
    }
    if (!d->shut && d->sent == d->total) {
        CHECK_OK(WSPShutdown(d->tx, SD_SEND, lpErrno));
        d->shut = 1;
    }
    /* receives: buffers filled in posting order; 0 bytes only at the end */
    snprintf(what, sizeof what, "%s receive", d->name);
    while (d->r_done < d->r_posted) {
        struct op *op = &d->rops[d->r_done % DEPTH];
        /* fWait TRUE where it cannot deadlock: bytes posted for sending
         * and not yet received, or the end of the stream, reach the
         * oldest receive first. (A send waited on may need receives this
         * thread has yet to post: never waited on.) */
        int wait = g_use_events && d->r_done % 5 == 2 && (d->posted_bytes > d->got || d->shut);
        if (!completed(d->rx, op, wait, what, d->r_done)) break;
        if (op->cb == 0) {
            if (d->got != d->total)
                harness_fail(__FILE__, __LINE__, "%s %ld: end of stream after %zu of %zu bytes", what, d->r_done, d->got, d->total);
            d->eof = 1;
        } else {
            if (d->eof) harness_fail(__FILE__, __LINE__, "%s %ld: %u bytes after the end of stream", what, d->r_done, (unsigned)op->cb);
            if (d->got + op->cb > d->total)
                harness_fail(__FILE__, __LINE__, "%s: %zu bytes received, only %zu sent", what, d->got + op->cb, d->total);
            STREAM_CHECK(&d->chk, op->buf, op->cb, what);
            d->got += op->cb;
        }
        d->r_done++;
        progress = 1;
    }
    return progress;
}

/* Full duplex: the client and the server each send SOAK_MIB MiB to the
 * other at the same time, on one thread; each side shuts its sending
 * direction down when its sends are done (the other keeps flowing). */
static struct dir D[2];

static void overlapped_transfer(const char *name, int use_events) {
    uint64_t seed = test_seed(name);
    size_t total = soak_bytes();
    g_use_events = use_events;
    int fds0 = t_count_fds();
    t_startup();
    g_main_tid = WPUXxxGetCurrentThreadId32();
    SOCKET c, s;
    ov_pair(&c, &s);
    small_buffers(c, s);
    small_buffers(s, c);
    dir_init(&D[0], "client->server", c, s, seed, 10, total);
    dir_init(&D[1], "server->client", s, c, seed, 20, total);
    long waits = 0;
    double t0 = t_now(), last_progress = t0;
    for (;;) {
        dir_post(&D[0]);
        dir_post(&D[1]);
        if (dir_done(&D[0]) && dir_done(&D[1])) break;
        /* wait: alertable sleep (routines) or the oldest ops' events */
        if (!use_events) {
            g_in_sleepex = 1;
            DWORD w = SleepEx(1000, TRUE);
            g_in_sleepex = 0;
            if (w != 0 && w != WAIT_IO_COMPLETION) harness_fail(__FILE__, __LINE__, "SleepEx returned %u", (unsigned)w);
        } else {
            WSAEVENT h[4];
            DWORD nh = 0;
            dir_heads(&D[0], h, &nh);
            dir_heads(&D[1], h, &nh);
            DWORD w = WSAWaitForMultipleEvents(nh, h, FALSE, 1000, FALSE);
            if (w != WSA_WAIT_TIMEOUT && w >= WSA_WAIT_EVENT_0 + nh)
                harness_fail(__FILE__, __LINE__, "WSAWaitForMultipleEvents returned %u, error %d", (unsigned)w, WSAGetLastError());
        }
        waits++;
        int progress = dir_process(&D[0]);
        progress |= dir_process(&D[1]);
        if (progress) last_progress = t_now();
        else if (t_now() - last_progress > 10) {
            for (int k = 0; k < 2; k++)
                fprintf(stderr, "    %s: sends %ld/%ld done, receives %ld/%ld done, %zu sent, %zu received\n", D[k].name,
                        D[k].s_done, D[k].s_posted, D[k].r_done, D[k].r_posted, D[k].sent, D[k].got);
            harness_fail(__FILE__, __LINE__, "no completion for 10 s");
        }
    }
    double dt = t_now() - t0;
    for (int k = 0; k < 2; k++) {
        CHECK_EQ(D[k].sent, total);
        CHECK_EQ(D[k].got, total);
        CHECK(D[k].eof);
        fprintf(stderr, "    %s: %zu bytes in %.2f s, %ld sends, %ld receives (%ld of them completed at once)\n",
                D[k].name, D[k].got, dt, D[k].s_posted, D[k].r_posted, D[k].at_once);
    }
    fprintf(stderr, "    %.0f MB/s both ways, %ld waits\n", 2.0 * total / dt / 1e6, waits);
    if (!use_events) {
        g_in_sleepex = 1;
        CHECK_EQ(SleepEx(0, TRUE), 0);      /* nothing left to run */
        g_in_sleepex = 0;
    }
    CHECK_OK(WSPCloseSocket(c, lpErrno));
    CHECK_OK(WSPCloseSocket(s, lpErrno));
    dir_free(&D[0]);
    dir_free(&D[1]);
    CHECK_FDS_OPEN(fds0);
    t_cleanup();
    CHECK_FDS_BACK(fds0);
}

TEST_T(transfer_overlapped_routines, 60) { overlapped_transfer("transfer_overlapped_routines", 0); }

TEST_T(transfer_overlapped_events, 60) { overlapped_transfer("transfer_overlapped_events", 1); }
