/* TCP data transfer: WSPSend, WSPRecv, WSPSendTo and WSPRecvFrom on stream
 * sockets over loopback (draft §3.1.2.10 - §3.1.2.13; RULINGS §4, §8). */
#include "harness.h"
#include <signal.h>

static unsigned char pattern_byte(size_t i) {
    return (unsigned char)((i * 131u + (i >> 9) + 7u) & 0xFFu);
}

static void fill_pattern(unsigned char *p, size_t off, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = pattern_byte(off + i);
}

static void set_nonblocking(SOCKET s, int on) {
    u_long v = (u_long)on;
    CHECK_OK(WSPIoctlSocket(s, FIONBIO, &v, lpErrno));
}

/* ---- a sender thread: `total` bytes of the pattern, in odd-sized chunks ---- */
struct sender { SOCKET s; size_t total; int close_after; int delay_ms; int err; };

static void *sender_main(void *p) {
    struct sender *a = p;
    static unsigned char buf[7919];
    size_t off = 0, chunk = 1;
    if (a->delay_ms) t_sleep_ms(a->delay_ms);
    while (off < a->total) {
        size_t n = chunk;
        if (n > sizeof buf) n = sizeof buf;
        if (n > a->total - off) n = a->total - off;
        fill_pattern(buf, off, n);
        int e = t_send_all(a->s, buf, (DWORD)n);
        if (e) { a->err = e; return NULL; }
        off += n;
        chunk = chunk * 3 + 7;
        if (chunk > sizeof buf) chunk = chunk % sizeof buf + 1;
    }
    if (a->close_after) {
        int err = 0;
        if (WSPCloseSocket(a->s, &err) != 0) a->err = err;
    }
    return NULL;
}

/* Draft §3.1.2.10 (stream sockets: data placed into the buffer in order) and
 * §3.1.2.12: 1 MiB arrives byte-exact whatever the chunk sizes; after the
 * peer's graceful close, recv reports 0 bytes. */
TEST(send_recv_1mib_byte_exact) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    struct sender a = { c, 1u << 20, 1, 0, 0 };
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, sender_main, &a), 0);
    static unsigned char buf[65536];
    size_t got = 0;
    DWORD want = 1;
    for (;;) {
        DWORD n = 0xDEADBEEF;
        int flags = 0;
        CHECK_OK(WSPRecv(s, buf, want, &n, &flags, NULL, NULL, lpErrno));
        if (n == 0) break;
        CHECK(n <= want);
        for (DWORD i = 0; i < n; i++)
            if (buf[i] != pattern_byte(got + i))
                harness_fail(__FILE__, __LINE__, "byte %zu is 0x%02x, expected 0x%02x", got + i, buf[i], pattern_byte(got + i));
        got += n;
        CHECK(got <= a.total);
        want = want * 2 + 3;
        if (want > sizeof buf) want = 17;
    }
    CHECK_EQ(got, a.total);
    pthread_join(th, NULL);
    CHECK_EQ(a.err, 0);
    CHECK_OK(WSPCloseSocket(s, lpErrno));
}

/* Draft §3.1.2.12: on a non-overlapped blocking socket WSPSend "behaves like
 * the standard send() API with identical blocking semantics": it returns when
 * all the bytes are queued, so one call sends all 4 MiB (*sent == len) even
 * with small buffers and a peer that starts reading late. */
struct reader { SOCKET s; unsigned char *buf; DWORD len; int delay_ms; int err; };

static void *reader_main(void *p) {
    struct reader *r = p;
    if (r->delay_ms) t_sleep_ms(r->delay_ms);
    r->err = t_recv_exact(r->s, r->buf, r->len);
    return NULL;
}

TEST(blocking_send_sends_everything) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    t_set_int_opt(c, SOL_SOCKET, SO_SNDBUF, 65536);
    t_set_int_opt(s, SOL_SOCKET, SO_RCVBUF, 65536);
    const DWORD len = 4u << 20;
    unsigned char *out = malloc(len), *in = malloc(len);
    CHECK(out && in);
    fill_pattern(out, 0, len);
    memset(in, 0, len);
    struct reader r = { s, in, len, 100, 0 };
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, reader_main, &r), 0);
    DWORD sent = 0xDEADBEEF;
    CHECK_OK(WSPSend(c, out, len, &sent, 0, NULL, NULL, lpErrno));
    CHECK_EQ(sent, len);
    pthread_join(th, NULL);
    CHECK_EQ(r.err, 0);
    CHECK(memcmp(in, out, len) == 0);
    free(out);
    free(in);
}

/* API recv semantics kept by the SPI (draft §3.1.2.10 "behaves like the
 * standard recv()"): MSG_PEEK copies the data without removing it. */
TEST(msg_peek_does_not_consume) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_EQ(t_send_all(c, "hello", 5), 0);
    char buf[16];
    for (int round = 0; round < 2; round++) {
        DWORD n = 0xDEADBEEF;
        int flags = MSG_PEEK;
        memset(buf, 0, sizeof buf);
        CHECK_OK(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno));
        CHECK_EQ(n, 5);
        CHECK(memcmp(buf, "hello", 5) == 0);
    }
    DWORD n = 0;
    int flags = 0;
    memset(buf, 0, sizeof buf);
    CHECK_OK(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno));
    CHECK_EQ(n, 5);
    CHECK(memcmp(buf, "hello", 5) == 0);
    /* now it is consumed */
    set_nonblocking(s, 1);
    flags = 0;
    CHECK_WSA(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno), WSAEWOULDBLOCK);
}

/* Draft §3.1.2.10: "If the socket is connection-oriented and the remote side
 * has shut down the connection gracefully, WSPRecv() will complete
 * immediately indicating zero bytes received" - only after all the data. */
TEST(graceful_close_recv_zero_after_data) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_EQ(t_send_all(c, "one", 3), 0);
    CHECK_EQ(t_send_all(c, "two!", 4), 0);
    CHECK_EQ(t_send_all(c, "three", 5), 0);
    CHECK_OK(WSPCloseSocket(c, lpErrno));
    t_sleep_ms(50);
    char buf[32];
    memset(buf, 0, sizeof buf);
    CHECK_EQ(t_recv_exact(s, buf, 12), 0);
    CHECK(memcmp(buf, "onetwo!three", 12) == 0);
    for (int i = 0; i < 2; i++) {
        DWORD n = 0xDEADBEEF;
        int flags = 0;
        CHECK_OK(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno));
        CHECK_EQ(n, 0);
    }
}

/* Draft §3.1.2.10: "If the connection has been reset, a WSPRecv() will fail
 * with the error WSAECONNRESET" (reset: SO_LINGER {1,0} + close, §3.1.2). */
TEST(reset_by_peer_recv_connreset) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    t_hard_close(s);
    char buf[16];
    DWORD n = 0;
    int flags = 0;
    CHECK_WSA(WSPRecv(c, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno), WSAECONNRESET);
}

/* Draft §3.1.2.10-13 error lists: WSAENOTCONN "The socket is not connected"
 * for a fresh, a bound and a listening TCP socket, for all four calls. */
static void check_notconn(SOCKET u) {
    char buf[8] = "abcdefg";
    DWORD n = 0;
    int flags = 0;
    struct sockaddr_in to = t_loopback(9), from;
    int fromlen = sizeof from;
    CHECK_WSA(WSPRecv(u, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno), WSAENOTCONN);
    CHECK_WSA(WSPSend(u, buf, sizeof buf, &n, 0, NULL, NULL, lpErrno), WSAENOTCONN);
    flags = 0;
    CHECK_WSA(WSPRecvFrom(u, buf, sizeof buf, &n, &flags, &from, &fromlen, NULL, NULL, lpErrno), WSAENOTCONN);
    CHECK_WSA(WSPSendTo(u, buf, sizeof buf, &n, 0, &to, sizeof to, NULL, NULL, lpErrno), WSAENOTCONN);
    CHECK_WSA(WSPSendTo(u, buf, sizeof buf, &n, 0, NULL, 0, NULL, NULL, lpErrno), WSAENOTCONN);
}

TEST(unconnected_tcp_notconn) {
    t_startup();
    SOCKET u = t_socket(SOCK_STREAM);
    check_notconn(u);
    SOCKET b = t_socket(SOCK_STREAM);
    struct sockaddr_in a = t_loopback(0);
    CHECK_OK(WSPBind(b, (struct sockaddr *)&a, sizeof a, lpErrno));
    check_notconn(b);
    SOCKET l = t_listener(NULL);
    check_notconn(l);
}

/* RULINGS §4: "A NULL pointer where the call needs one is WSAEFAULT"; draft
 * §3.1.2.12 WSAEFAULT for lpBuffer. The failing calls neither consume nor
 * send data. */
TEST(null_pointers_efault) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_EQ(t_send_all(c, "x", 1), 0);
    t_sleep_ms(20);
    char buf[8];
    DWORD n = 0;
    int flags = 0, fromlen = 16;
    struct sockaddr_in from;
    CHECK_WSA(WSPRecv(s, buf, sizeof buf, NULL, &flags, NULL, NULL, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPRecv(s, buf, sizeof buf, &n, NULL, NULL, NULL, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPRecv(s, NULL, sizeof buf, &n, &flags, NULL, NULL, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPRecvFrom(s, buf, sizeof buf, NULL, &flags, &from, &fromlen, NULL, NULL, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPRecvFrom(s, buf, sizeof buf, &n, NULL, &from, &fromlen, NULL, NULL, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPRecvFrom(s, NULL, sizeof buf, &n, &flags, &from, &fromlen, NULL, NULL, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPSend(c, "abc", 3, NULL, 0, NULL, NULL, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPSend(c, NULL, 3, &n, 0, NULL, NULL, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPSendTo(c, "abc", 3, NULL, 0, NULL, 0, NULL, NULL, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPSendTo(c, NULL, 3, &n, 0, NULL, 0, NULL, NULL, lpErrno), WSAEFAULT);
    /* nothing was consumed, nothing was sent */
    t_sleep_ms(20);
    memset(buf, 0, sizeof buf);
    flags = 0;
    CHECK_OK(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno));
    CHECK_EQ(n, 1);
    CHECK_EQ(buf[0], 'x');
    set_nonblocking(s, 1);
    CHECK_WSA(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno), WSAEWOULDBLOCK);
}

/* RULINGS §4 (no argument value silently ignored when the draft names an
 * error); draft §3.1.2.10 WSAEOPNOTSUPP: flag bits the provider does not
 * support are refused, and the data stays queued. */
TEST(unknown_recv_flags_eopnotsupp) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_EQ(t_send_all(c, "data", 4), 0);
    t_sleep_ms(20);
    char buf[8];
    DWORD n = 0;
    int flags = 0x100, fromlen = 16;
    struct sockaddr_in from;
    CHECK_WSA(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno), WSAEOPNOTSUPP);
    flags = 0x40000000;
    CHECK_WSA(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno), WSAEOPNOTSUPP);
    flags = 0x100;
    CHECK_WSA(WSPRecvFrom(s, buf, sizeof buf, &n, &flags, &from, &fromlen, NULL, NULL, lpErrno), WSAEOPNOTSUPP);
    flags = 0;
    CHECK_OK(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno));
    CHECK_EQ(n, 4);
    CHECK(memcmp(buf, "data", 4) == 0);
}

/* FIONBIO (header, §3.1.6) then recv with nothing queued: WSAEWOULDBLOCK;
 * once the peer sends, the data comes. */
TEST(nonblocking_recv_wouldblock) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    set_nonblocking(s, 1);
    char buf[8];
    DWORD n = 0;
    int flags = 0;
    CHECK_WSA(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno), WSAEWOULDBLOCK);
    CHECK_EQ(t_send_all(c, "abc", 3), 0);
    double end = t_now() + 2;
    int err = 0;
    for (;;) {
        flags = 0;
        err = 0;
        if (WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, &err) == 0) break;
        CHECK_EQ(err, WSAEWOULDBLOCK);
        CHECK(t_now() < end);
        t_sleep_ms(2);
    }
    CHECK_EQ(n, 3);
    CHECK(memcmp(buf, "abc", 3) == 0);
}

/* A non-blocking send takes what fits; once the buffers are full it fails
 * with WSAEWOULDBLOCK; everything accepted arrives intact and, drained, the
 * socket accepts data again. */
TEST(nonblocking_send_full_wouldblock) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    t_set_int_opt(c, SOL_SOCKET, SO_SNDBUF, 4096);
    t_set_int_opt(s, SOL_SOCKET, SO_RCVBUF, 4096);
    set_nonblocking(c, 1);
    static unsigned char chunk[16384];
    size_t total = 0;
    int err = 0;
    for (;;) {
        DWORD n = 0xDEADBEEF;
        fill_pattern(chunk, total, sizeof chunk);
        err = 0;
        if (WSPSend(c, chunk, sizeof chunk, &n, 0, NULL, NULL, &err) != 0) break;
        CHECK(n > 0 && n <= sizeof chunk);
        total += n;
        if (total > (64u << 20)) harness_fail(__FILE__, __LINE__, "64 MiB sent without WSAEWOULDBLOCK");
    }
    CHECK_EQ(err, WSAEWOULDBLOCK);
    CHECK(total > 0);
    unsigned char *in = malloc(total);
    CHECK(in != NULL);
    CHECK_EQ(t_recv_exact(s, in, (DWORD)total), 0);
    for (size_t i = 0; i < total; i++)
        if (in[i] != pattern_byte(i)) harness_fail(__FILE__, __LINE__, "byte %zu differs", i);
    free(in);
    /* drained: sending works again */
    double end = t_now() + 2;
    DWORD n = 0;
    for (;;) {
        err = 0;
        if (WSPSend(c, "z", 1, &n, 0, NULL, NULL, &err) == 0) break;
        CHECK_EQ(err, WSAEWOULDBLOCK);
        CHECK(t_now() < end);
        t_sleep_ms(5);
    }
    CHECK_EQ(n, 1);
}

/* Draft §3.1.2.13: "On a connection-oriented socket, the lpTo and iTolen
 * parameters are ignored; in this case the WSPSendTo() is equivalent to
 * WSPSend()" - a garbage address still goes to the connected peer. */
TEST(sendto_connected_tcp_ignores_lpto) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    unsigned char garbage[16];
    memset(garbage, 0xAB, sizeof garbage);
    DWORD n = 0xDEADBEEF;
    CHECK_OK(WSPSendTo(c, "via-sendto", 10, &n, 0, garbage, 16, NULL, NULL, lpErrno));
    CHECK_EQ(n, 10);
    n = 0xDEADBEEF;
    CHECK_OK(WSPSendTo(c, "|null", 5, &n, 0, NULL, 0, NULL, NULL, lpErrno));
    CHECK_EQ(n, 5);
    char buf[16];
    memset(buf, 0, sizeof buf);
    CHECK_EQ(t_recv_exact(s, buf, 15), 0);
    CHECK(memcmp(buf, "via-sendto|null", 15) == 0);
}

/* Draft §3.1.2.11: "The lpFrom and lpFromlen parameters are ignored for
 * connection-oriented sockets" - even a too-small *lpFromlen. */
TEST(recvfrom_tcp_ignores_lpfrom) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_EQ(t_send_all(c, "tcp", 3), 0);
    char buf[8], from[4];
    int fromlen = 2, flags = 0;
    DWORD n = 0;
    memset(buf, 0, sizeof buf);
    CHECK_OK(WSPRecvFrom(s, buf, sizeof buf, &n, &flags, from, &fromlen, NULL, NULL, lpErrno));
    CHECK_EQ(n, 3);
    CHECK(memcmp(buf, "tcp", 3) == 0);
}

/* Draft §3.1.2.10: MSG_PARTIAL is reported only for a partial message of a
 * message-oriented socket; a normal stream recv leaves *lpFlags 0 and sets
 * *lpNumberOfBytesRecvd. */
TEST(recv_flags_zero_after_normal_recv) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    /* more than the buffer, so the recv fills it and data remains */
    CHECK_EQ(t_send_all(c, "0123456789", 10), 0);
    t_sleep_ms(20);
    char buf[4];
    DWORD n = 0xDEADBEEF;
    int flags = 0;
    CHECK_OK(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno));
    CHECK_EQ(n, 4);
    CHECK_EQ(flags, 0);
    CHECK(memcmp(buf, "0123", 4) == 0);
    n = 0xDEADBEEF;
    struct sockaddr_in from;
    int fromlen = sizeof from;
    CHECK_OK(WSPRecvFrom(s, buf, sizeof buf, &n, &flags, &from, &fromlen, NULL, NULL, lpErrno));
    CHECK_EQ(n, 4);
    CHECK_EQ(flags, 0);
    CHECK(memcmp(buf, "4567", 4) == 0);
}

/* Draft §3.1.2.12 WSAECONNRESET "The virtual circuit was reset by the remote
 * side" (or WSAECONNABORTED); repeated sends keep failing that way and never
 * raise SIGPIPE (default disposition kept: a SIGPIPE would kill the test). */
TEST(send_after_peer_reset_no_sigpipe) {
    signal(SIGPIPE, SIG_DFL);
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    t_hard_close(s);
    t_sleep_ms(50);
    static char buf[1000];
    int failures = 0;
    for (int i = 0; i < 50 && failures < 5; i++) {
        DWORD n = 0;
        int err = 0;
        if (WSPSend(c, buf, sizeof buf, &n, 0, NULL, NULL, &err) == 0) {
            CHECK(failures == 0);   /* once failed, it keeps failing */
            t_sleep_ms(10);
            continue;
        }
        if (err != WSAECONNRESET && err != WSAECONNABORTED)
            harness_fail(__FILE__, __LINE__, "send #%d failed with %d, expected WSAECONNRESET or WSAECONNABORTED", i, err);
        failures++;
    }
    CHECK_EQ(failures, 5);
}

/* RULINGS §8: "An overlapped socket used with a NULL lpOverlapped is
 * non-blocking" (draft: "Overlapped sockets are always non-blocking"). */
TEST(overlapped_socket_null_overlapped_nonblocking) {
    t_startup();
    struct sockaddr_in a;
    SOCKET l = t_listener(&a);
    int err = 0;
    SOCKET o = WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, WSA_FLAG_OVERLAPPED, &err);
    if (o == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "WSPSocket(WSA_FLAG_OVERLAPPED) failed: %d", err);
    err = 0;
    if (WSPConnect(o, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, &err) != 0)
        CHECK_EQ(err, WSAEWOULDBLOCK);
    SOCKET s = WSPAccept(l, NULL, NULL, NULL, 0, &err);
    if (s == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "WSPAccept failed: %d", err);
    t_sleep_ms(20);
    char buf[8];
    DWORD n = 0;
    int flags = 0;
    double t0 = t_now();
    CHECK_WSA(WSPRecv(o, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno), WSAEWOULDBLOCK);
    CHECK(t_now() - t0 < 0.5);
    CHECK_EQ(t_send_all(s, "ov", 2), 0);
    double end = t_now() + 2;
    for (;;) {
        flags = 0;
        err = 0;
        if (WSPRecv(o, buf, sizeof buf, &n, &flags, NULL, NULL, &err) == 0) break;
        CHECK_EQ(err, WSAEWOULDBLOCK);
        CHECK(t_now() < end);
        t_sleep_ms(2);
    }
    CHECK_EQ(n, 2);
    CHECK(memcmp(buf, "ov", 2) == 0);
}
