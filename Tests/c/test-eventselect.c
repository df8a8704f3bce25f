/* WSPEventSelect and WSPEnumNetworkEvents: the record, the event object, the
 * re-enabling table, errors, inheritance and closing.
 * Draft §3.1.2.17 (WSPEnumNetworkEvents), §3.1.2.18 (WSPEventSelect),
 * §3.1.2.12 (the shared re-enabling rules); RULINGS §6, §7. */
#include "harness.h"

#define ALL_EVENTS (FD_READ | FD_WRITE | FD_OOB | FD_ACCEPT | FD_CONNECT | FD_CLOSE)

static WSAEVENT ev_new(void) {
    WSAEVENT e = WSACreateEvent();
    CHECK(e != WSA_INVALID_EVENT);
    return e;
}

/* 1 if e is (or becomes) signalled within ms, 0 on timeout. */
static int signalled(WSAEVENT e, DWORD ms) {
    DWORD r = WSAWaitForMultipleEvents(1, &e, FALSE, ms, FALSE);
    if (r == WSA_WAIT_EVENT_0) return 1;
    CHECK_EQ(r, WSA_WAIT_TIMEOUT);
    return 0;
}

/* WSPEnumNetworkEvents with a full array; returns the mask of fired events
 * and checks that unfired elements are FALSE / 0. errs (optional) gets the
 * ErrorCode of every element. */
static int enum_mask(SOCKET s, WSAEVENT e, int errs[FD_MAX_EVENTS]) {
    WSANETWORKEVENT ne[FD_MAX_EVENTS];
    memset(ne, 0x55, sizeof ne);
    int count = FD_MAX_EVENTS;
    CHECK_OK(WSPEnumNetworkEvents(s, e, ne, &count, lpErrno));
    CHECK_EQ(count, FD_MAX_EVENTS);
    int mask = 0;
    for (int i = 0; i < FD_MAX_EVENTS; i++) {
        CHECK(ne[i].Fired == TRUE || ne[i].Fired == FALSE);
        if (ne[i].Fired) mask |= 1 << i;
        else CHECK_EQ(ne[i].ErrorCode, 0);
        if (errs) errs[i] = ne[i].ErrorCode;
    }
    return mask;
}

/* Waits up to ms for every event in want to be recorded on s (enumerating as
 * the event object is set); returns every event seen. errs gets the error
 * codes of the events seen. */
static int wait_events(SOCKET s, WSAEVENT e, int want, int ms, int errs[FD_MAX_EVENTS]) {
    int seen = 0;
    double deadline = t_now() + ms / 1000.0;
    while ((seen & want) != want) {
        double left = deadline - t_now();
        if (left <= 0 || !signalled(e, (DWORD)(left * 1000) + 1)) break;
        int er[FD_MAX_EVENTS];
        int m = enum_mask(s, e, er);
        if (errs) for (int i = 0; i < FD_MAX_EVENTS; i++) if (m & (1 << i)) errs[i] = er[i];
        seen |= m;
    }
    if ((seen & want) != want)
        harness_fail(__FILE__, __LINE__, "events 0x%x not recorded within %d ms (seen 0x%x)", want & ~seen, ms, seen);
    return seen;
}

/* For ms, none of the events in none is recorded on s (other events may be,
 * and are enumerated away). */
static void expect_none(SOCKET s, WSAEVENT e, int none, int ms) {
    double deadline = t_now() + ms / 1000.0;
    for (;;) {
        double left = deadline - t_now();
        if (left <= 0 || !signalled(e, (DWORD)(left * 1000) + 1)) return;
        int m = enum_mask(s, e, NULL);
        if (m & none) harness_fail(__FILE__, __LINE__, "unexpected events 0x%x recorded", m & none);
    }
}

static void recv_n(SOCKET s, char *buf, DWORD want, DWORD expect) {
    DWORD n = 0;
    int flags = 0;
    CHECK_OK(WSPRecv(s, buf, want, &n, &flags, NULL, NULL, lpErrno));
    CHECK_EQ(n, expect);
}

static struct sockaddr_in closed_port(void) {
    struct sockaddr_in a;
    SOCKET l = t_listener(&a);
    CHECK_OK(WSPCloseSocket(l, lpErrno));
    return a;
}

static SOCKET accept_one(SOCKET l) {
    int err = 0;
    SOCKET s = WSPAccept(l, NULL, NULL, NULL, 0, &err);
    if (s == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "WSPAccept failed: %d", err);
    return s;
}

static SOCKET connect_to(const struct sockaddr_in *a) {
    SOCKET c = t_socket(SOCK_STREAM);
    CHECK_OK(WSPConnect(c, (const struct sockaddr *)a, sizeof *a, NULL, NULL, 0, NULL, NULL, lpErrno));
    return c;
}

/* ---- the record and the event object ---- */

/* Draft §3.1.2.18: "WSPEventSelect() sets the associated event object and
 * records the occurrence of this event"; RULINGS §7: element FD_READ_BIT. */
TEST(es_read_sets_event_and_records) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    WSAEVENT ev = ev_new();
    CHECK_OK(WSPEventSelect(s, ev, FD_READ | FD_CLOSE, lpErrno));
    CHECK_EQ(signalled(ev, 0), 0);
    CHECK_EQ(t_send_all(c, "hello", 5), 0);
    CHECK_EQ(signalled(ev, 1000), 1);
    WSANETWORKEVENT ne[FD_MAX_EVENTS];
    memset(ne, 0x55, sizeof ne);
    int count = FD_MAX_EVENTS;
    CHECK_OK(WSPEnumNetworkEvents(s, ev, ne, &count, lpErrno));
    CHECK_EQ(count, FD_MAX_EVENTS);
    CHECK_EQ(ne[FD_READ_BIT].Fired, TRUE);
    CHECK_EQ(ne[FD_READ_BIT].ErrorCode, 0);
    for (int i = 0; i < FD_MAX_EVENTS; i++) {
        if (i == FD_READ_BIT) continue;
        CHECK_EQ(ne[i].Fired, FALSE);
        CHECK_EQ(ne[i].ErrorCode, 0);
    }
    t_cleanup();
}

/* RULINGS §7: it fills min(*lpiCount, 8) elements and sets *lpiCount to
 * that number; elements past 8 are not touched. */
TEST(es_enum_count_is_min_of_8) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    WSAEVENT ev = ev_new();
    CHECK_OK(WSPEventSelect(s, ev, FD_READ, lpErrno));
    CHECK_EQ(t_send_all(c, "x", 1), 0);
    CHECK_EQ(signalled(ev, 1000), 1);
    WSANETWORKEVENT ne[20];
    memset(ne, 0x55, sizeof ne);
    int count = 20;
    CHECK_OK(WSPEnumNetworkEvents(s, ev, ne, &count, lpErrno));
    CHECK_EQ(count, 8);
    CHECK_EQ(ne[FD_READ_BIT].Fired, TRUE);
    for (int i = 1; i < 8; i++) CHECK_EQ(ne[i].Fired, FALSE);
    for (int i = 8; i < 20; i++) CHECK_EQ(ne[i].Fired, 0x55555555);
    /* a smaller array that still holds every recorded bit */
    char b;
    recv_n(s, &b, 1, 1);
    CHECK_EQ(t_send_all(c, "y", 1), 0);
    CHECK_EQ(signalled(ev, 1000), 1);
    memset(ne, 0x55, sizeof ne);
    count = 2;
    CHECK_OK(WSPEnumNetworkEvents(s, ev, ne, &count, lpErrno));
    CHECK_EQ(count, 2);
    CHECK_EQ(ne[0].Fired, TRUE);
    CHECK_EQ(ne[1].Fired, FALSE);
    CHECK_EQ(ne[2].Fired, 0x55555555);
    t_cleanup();
}

/* Draft §3.1.2.17: "the internal network events record is cleared. If
 * hEventObject is non-null, the indicated event object is also reset." */
TEST(es_enum_clears_record_and_resets_event) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    WSAEVENT ev = ev_new();
    CHECK_OK(WSPEventSelect(s, ev, FD_READ, lpErrno));
    CHECK_EQ(t_send_all(c, "x", 1), 0);
    CHECK_EQ(signalled(ev, 1000), 1);
    CHECK_EQ(enum_mask(s, ev, NULL), FD_READ);
    CHECK_EQ(WSAWaitForMultipleEvents(1, &ev, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);
    CHECK_EQ(enum_mask(s, ev, NULL), 0);
    t_cleanup();
}

/* RULINGS §7: "If *lpiCount is smaller than the highest recorded bit + 1,
 * it fails with WSAENOBUFS, sets *lpiCount to that number and clears
 * nothing." */
TEST(es_enum_enobufs) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    WSAEVENT ev = ev_new();
    CHECK_OK(WSPEventSelect(s, ev, FD_CLOSE, lpErrno));
    CHECK_OK(WSPCloseSocket(c, lpErrno));
    CHECK_EQ(signalled(ev, 1000), 1);
    WSANETWORKEVENT ne[FD_MAX_EVENTS];
    int count = 3;
    CHECK_WSA(WSPEnumNetworkEvents(s, ev, ne, &count, lpErrno), WSAENOBUFS);
    CHECK_EQ(count, FD_CLOSE_BIT + 1);
    CHECK_EQ(signalled(ev, 0), 1);                 /* not reset */
    memset(ne, 0x55, sizeof ne);
    count = 8;
    CHECK_OK(WSPEnumNetworkEvents(s, ev, ne, &count, lpErrno));
    CHECK_EQ(count, 8);
    CHECK_EQ(ne[FD_CLOSE_BIT].Fired, TRUE);
    CHECK_EQ(ne[FD_CLOSE_BIT].ErrorCode, 0);
    CHECK_EQ(signalled(ev, 0), 0);
    t_cleanup();
}

/* RULINGS §4: a NULL pointer where the call needs one is WSAEFAULT. */
TEST(es_enum_null_pointers) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    WSAEVENT ev = ev_new();
    CHECK_OK(WSPEventSelect(s, ev, FD_READ, lpErrno));
    WSANETWORKEVENT ne[FD_MAX_EVENTS];
    int count = FD_MAX_EVENTS;
    CHECK_WSA(WSPEnumNetworkEvents(s, ev, ne, NULL, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPEnumNetworkEvents(s, ev, NULL, &count, lpErrno), WSAEFAULT);
    t_cleanup();
}

/* Draft §3.1.2.18: WSAEINVAL "one of the specified parameters was invalid":
 * no event object, or one already closed. */
TEST(es_invalid_event_handle) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_WSA(WSPEventSelect(s, WSA_INVALID_EVENT, FD_READ, lpErrno), WSAEINVAL);
    WSAEVENT ev = ev_new();
    CHECK(WSACloseEvent(ev));
    CHECK_WSA(WSPEventSelect(s, ev, FD_READ, lpErrno), WSAEINVAL);
    t_cleanup();
}

/* Draft §3.1.2.18 WSAEINVAL; RULINGS §4 (no argument silently ignored):
 * bits outside FD_READ..FD_GROUP_QOS. */
TEST(es_unknown_event_bits) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    WSAEVENT ev = ev_new();
    CHECK_WSA(WSPEventSelect(s, ev, 0x100, lpErrno), WSAEINVAL);
    CHECK_WSA(WSPEventSelect(s, ev, FD_READ | 0x100, lpErrno), WSAEINVAL);
    t_cleanup();
}

/* Draft: WSAENOTSOCK "The descriptor is not a socket"; RULINGS §4: closed
 * handles answer WSAENOTSOCK. */
TEST(es_not_a_socket) {
    t_startup();
    WSAEVENT ev = ev_new();
    SOCKET s = t_socket(SOCK_STREAM);
    CHECK_OK(WSPCloseSocket(s, lpErrno));
    WSANETWORKEVENT ne[FD_MAX_EVENTS];
    int count = FD_MAX_EVENTS;
    CHECK_WSA(WSPEventSelect(s, ev, FD_READ, lpErrno), WSAENOTSOCK);
    CHECK_WSA(WSPEventSelect(INVALID_SOCKET, ev, FD_READ, lpErrno), WSAENOTSOCK);
    CHECK_WSA(WSPEnumNetworkEvents(s, ev, ne, &count, lpErrno), WSAENOTSOCK);
    CHECK_WSA(WSPEnumNetworkEvents(INVALID_SOCKET, ev, ne, &count, lpErrno), WSAENOTSOCK);
    t_cleanup();
}

/* Draft §3.1.2.17/18: WSANOTINITIALISED "A successful WSPStartup() must
 * occur before using this SPI"; RULINGS §3: again after the last cleanup. */
TEST(es_not_initialised) {
    WSAEVENT ev = WSACreateEvent();
    WSANETWORKEVENT ne[FD_MAX_EVENTS];
    int count = FD_MAX_EVENTS;
    CHECK_WSA(WSPEventSelect(1, ev, FD_READ, lpErrno), WSANOTINITIALISED);
    CHECK_WSA(WSPEnumNetworkEvents(1, ev, ne, &count, lpErrno), WSANOTINITIALISED);
    t_startup();
    SOCKET s = t_socket(SOCK_STREAM);
    t_cleanup();
    CHECK_WSA(WSPEventSelect(s, ev, FD_READ, lpErrno), WSANOTINITIALISED);
    CHECK_WSA(WSPEnumNetworkEvents(s, ev, ne, &count, lpErrno), WSANOTINITIALISED);
}

/* ---- the re-enabling table ---- */

/* Draft §3.1.2.18: "no further actions are taken for that network event
 * until the application makes the function call which implicitly reenables"
 * it: more data without a WSPRecv records no new FD_READ. */
TEST(es_read_once_until_recv) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    WSAEVENT ev = ev_new();
    char buf[100] = { 0 };
    CHECK_OK(WSPEventSelect(s, ev, FD_READ, lpErrno));
    CHECK_EQ(t_send_all(c, buf, 100), 0);
    wait_events(s, ev, FD_READ, 1000, NULL);
    CHECK_EQ(t_send_all(c, buf, 100), 0);
    expect_none(s, ev, FD_READ, 200);
    t_cleanup();
}

/* Draft: "level-triggered ... (ii) The application issues WSPRecv( s,
 * buffptr, 50, 0) to read 50 bytes. (iii) ... record the FD_READ network
 * event and sets the associated event object again". */
TEST(es_read_level_triggered_partial_recv) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    WSAEVENT ev = ev_new();
    char buf[100] = { 0 };
    CHECK_OK(WSPEventSelect(s, ev, FD_READ, lpErrno));
    CHECK_EQ(t_send_all(c, buf, 100), 0);
    wait_events(s, ev, FD_READ, 1000, NULL);
    recv_n(s, buf, 50, 50);
    wait_events(s, ev, FD_READ, 1000, NULL);
    recv_n(s, buf, 50, 50);
    expect_none(s, ev, FD_READ, 200);
    t_cleanup();
}

/* Level-triggering reports only what still holds: after a WSPRecv that read
 * everything, no FD_READ. */
TEST(es_read_not_after_full_recv) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    WSAEVENT ev = ev_new();
    char buf[300] = { 0 };
    CHECK_OK(WSPEventSelect(s, ev, FD_READ, lpErrno));
    CHECK_EQ(t_send_all(c, buf, 100), 0);
    wait_events(s, ev, FD_READ, 1000, NULL);
    recv_n(s, buf, sizeof buf, 100);
    expect_none(s, ev, FD_READ, 200);
    /* and the next data is reported again */
    CHECK_EQ(t_send_all(c, buf, 10), 0);
    wait_events(s, ev, FD_READ, 1000, NULL);
    t_cleanup();
}

/* Draft: "An FD_WRITE network event is recorded when a socket is first
 * connected with WSPConnect()"; FD_CONNECT "Connection initiated on socket s
 * completed" with error 0. */
TEST(es_connect_nonblocking_connect_and_write) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    SOCKET c = t_socket(SOCK_STREAM);
    WSAEVENT ev = ev_new();
    CHECK_OK(WSPEventSelect(c, ev, FD_CONNECT | FD_WRITE | FD_READ | FD_CLOSE, lpErrno));
    CHECK_WSA(WSPConnect(c, (struct sockaddr *)&la, sizeof la, NULL, NULL, 0, NULL, NULL, lpErrno), WSAEWOULDBLOCK);
    int errs[FD_MAX_EVENTS] = { 0 };
    int seen = wait_events(c, ev, FD_CONNECT | FD_WRITE, 1000, errs);
    CHECK_EQ(errs[FD_CONNECT_BIT], 0);
    CHECK_EQ(errs[FD_WRITE_BIT], 0);
    CHECK_EQ(seen & (FD_READ | FD_CLOSE), 0);
    (void)l;
    t_cleanup();
}

/* Draft: FD_CONNECT error WSAECONNREFUSED "The attempt to connect was
 * forcefully rejected"; no FD_WRITE for a failed connect. */
TEST(es_connect_refused) {
    t_startup();
    struct sockaddr_in a = closed_port();
    SOCKET c = t_socket(SOCK_STREAM);
    WSAEVENT ev = ev_new();
    CHECK_OK(WSPEventSelect(c, ev, FD_CONNECT | FD_WRITE, lpErrno));
    CHECK_WSA(WSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno), WSAEWOULDBLOCK);
    int errs[FD_MAX_EVENTS] = { 0 };
    int seen = wait_events(c, ev, FD_CONNECT, 1000, errs);
    CHECK_EQ(errs[FD_CONNECT_BIT], WSAECONNREFUSED);
    CHECK_EQ(seen & FD_WRITE, 0);
    expect_none(c, ev, FD_WRITE | FD_CONNECT, 150);
    t_cleanup();
}

/* Draft: FD_WRITE is recorded when a socket is "accepted with WSPAccept()"
 * or connected: a connected socket reports it right after selecting. */
TEST(es_write_after_select_on_connected) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    WSAEVENT ev = ev_new();
    CHECK_OK(WSPEventSelect(s, ev, FD_WRITE, lpErrno));
    wait_events(s, ev, FD_WRITE, 1000, NULL);
    WSAEVENT ev2 = ev_new();
    CHECK_OK(WSPEventSelect(c, ev2, FD_WRITE | FD_READ, lpErrno));
    CHECK_EQ(wait_events(c, ev2, FD_WRITE, 1000, NULL), FD_WRITE);
    t_cleanup();
}

/* Draft: "an application can assume that sends are possible starting from
 * the first FD_WRITE ... and lasting until a send returns WSAEWOULDBLOCK":
 * a successful send does not record FD_WRITE again. */
TEST(es_write_not_again_after_successful_send) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    WSAEVENT ev = ev_new();
    CHECK_OK(WSPEventSelect(c, ev, FD_WRITE, lpErrno));
    wait_events(c, ev, FD_WRITE, 1000, NULL);
    for (int i = 0; i < 5; i++) CHECK_EQ(t_send_all(c, "0123456789", 10), 0);
    expect_none(c, ev, FD_WRITE, 200);
    t_cleanup();
}

/* Draft: FD_WRITE again "after a WSPSend() ... fails with WSAEWOULDBLOCK
 * and buffer space becomes available". */
TEST(es_write_again_after_wouldblock) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    int sz = 4096;
    CHECK_OK(WSPSetSockOpt(c, SOL_SOCKET, SO_SNDBUF, (char *)&sz, sizeof sz, lpErrno));
    CHECK_OK(WSPSetSockOpt(s, SOL_SOCKET, SO_RCVBUF, (char *)&sz, sizeof sz, lpErrno));
    WSAEVENT ev = ev_new();
    CHECK_OK(WSPEventSelect(c, ev, FD_WRITE, lpErrno));
    wait_events(c, ev, FD_WRITE, 1000, NULL);
    static char chunk[16384];
    long total = 0;
    int err = 0;
    for (;;) {
        DWORD n = 0;
        err = 0;
        if (WSPSend(c, chunk, sizeof chunk, &n, 0, NULL, NULL, &err) != 0) break;
        total += n;
        if (total > 64L * 1024 * 1024) harness_fail(__FILE__, __LINE__, "64 MB sent without WSAEWOULDBLOCK");
    }
    CHECK_EQ(err, WSAEWOULDBLOCK);
    /* drain the peer until FD_WRITE is recorded */
    u_long on = 1;
    CHECK_OK(WSPIoctlSocket(s, FIONBIO, &on, lpErrno));
    double deadline = t_now() + 3;
    int got = 0;
    while (!got && t_now() < deadline) {
        for (;;) {
            DWORD n = 0;
            int flags = 0;
            if (WSPRecv(s, chunk, sizeof chunk, &n, &flags, NULL, NULL, &err) != 0) { CHECK_EQ(err, WSAEWOULDBLOCK); break; }
            CHECK(n > 0);
        }
        if (signalled(ev, 20) && (enum_mask(c, ev, NULL) & FD_WRITE)) got = 1;
    }
    if (!got) harness_fail(__FILE__, __LINE__, "no FD_WRITE after WSAEWOULDBLOCK and draining the peer");
    t_cleanup();
}

/* Draft: FD_ACCEPT is level-triggered, re-enabled by WSPAccept: reported
 * once for pending connections, again after WSPAccept while more are
 * queued, and not after the last one was accepted. */
TEST(es_accept_level_triggered) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    WSAEVENT ev = ev_new();
    CHECK_OK(WSPEventSelect(l, ev, FD_ACCEPT, lpErrno));
    CHECK_EQ(signalled(ev, 0), 0);
    SOCKET c1 = connect_to(&la);
    CHECK_EQ(wait_events(l, ev, FD_ACCEPT, 1000, NULL), FD_ACCEPT);
    SOCKET c2 = connect_to(&la);
    expect_none(l, ev, FD_ACCEPT, 200);          /* not re-enabled yet */
    SOCKET s1 = accept_one(l);
    wait_events(l, ev, FD_ACCEPT, 1000, NULL);   /* c2 still queued */
    SOCKET s2 = accept_one(l);
    expect_none(l, ev, FD_ACCEPT, 200);
    CHECK_WSA(WSPAccept(l, NULL, NULL, NULL, 0, lpErrno), WSAEWOULDBLOCK);   /* non-blocking */
    (void)c1; (void)c2; (void)s1; (void)s2;
    t_cleanup();
}

/* Draft: FD_ACCEPT is re-enabled by "WSPAccept() unless the error code
 * returned is WSATRY_AGAIN indicating that the condition function returned
 * CF_DEFER". */
static int CALLBACK defer_cond(LPWSABUF a, LPWSABUF b, LPWSABUF c, LPWSABUF d, GROUP *g, DWORD data) {
    (void)a; (void)b; (void)c; (void)d; (void)g; (void)data;
    return CF_DEFER;
}

TEST(es_accept_defer_does_not_reenable) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    WSAEVENT ev = ev_new();
    CHECK_OK(WSPEventSelect(l, ev, FD_ACCEPT, lpErrno));
    SOCKET c1 = connect_to(&la);
    wait_events(l, ev, FD_ACCEPT, 1000, NULL);
    CHECK_WSA(WSPAccept(l, NULL, NULL, defer_cond, 0, lpErrno), WSATRY_AGAIN);
    expect_none(l, ev, FD_ACCEPT, 200);
    SOCKET s1 = accept_one(l);                    /* the deferred one */
    (void)c1; (void)s1;
    t_cleanup();
}

/* Draft: "FD_OOB Want to receive notification of the arrival of
 * out-of-band data" (SO_OOBINLINE off, the default). */
TEST(es_oob) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    WSAEVENT ev = ev_new();
    CHECK_OK(WSPEventSelect(s, ev, FD_OOB, lpErrno));
    char x = '!';
    DWORD n = 0;
    CHECK_OK(WSPSend(c, &x, 1, &n, MSG_OOB, NULL, NULL, lpErrno));
    int errs[FD_MAX_EVENTS] = { 0 };
    wait_events(s, ev, FD_OOB, 1000, errs);
    CHECK_EQ(errs[FD_OOB_BIT], 0);
    t_cleanup();
}

/* RULINGS §7 / draft: "FD_CLOSE is reported only after all data of a
 * graceful close has been read", with error 0. */
TEST(es_close_after_data_read) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    WSAEVENT ev = ev_new();
    CHECK_OK(WSPEventSelect(s, ev, FD_READ | FD_CLOSE, lpErrno));
    CHECK_EQ(t_send_all(c, "0123456789", 10), 0);
    CHECK_OK(WSPCloseSocket(c, lpErrno));
    int seen = wait_events(s, ev, FD_READ, 1000, NULL);
    CHECK_EQ(seen & FD_CLOSE, 0);
    expect_none(s, ev, FD_CLOSE, 200);
    char buf[100];
    recv_n(s, buf, sizeof buf, 10);
    CHECK(memcmp(buf, "0123456789", 10) == 0);
    int errs[FD_MAX_EVENTS] = { 0 };
    wait_events(s, ev, FD_CLOSE, 1000, errs);
    CHECK_EQ(errs[FD_CLOSE_BIT], 0);
    t_cleanup();
}

/* Draft: "if the error code is WSAECONNRESET, then the socket's virtual
 * circuit was reset". */
TEST(es_close_reset) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    WSAEVENT ev = ev_new();
    CHECK_OK(WSPEventSelect(s, ev, FD_READ | FD_CLOSE, lpErrno));
    struct linger hard = { 1, 0 };
    CHECK_OK(WSPSetSockOpt(c, SOL_SOCKET, SO_LINGER, (char *)&hard, sizeof hard, lpErrno));
    CHECK_OK(WSPCloseSocket(c, lpErrno));
    int errs[FD_MAX_EVENTS] = { 0 };
    wait_events(s, ev, FD_CLOSE, 1000, errs);
    CHECK_EQ(errs[FD_CLOSE_BIT], WSAECONNRESET);
    t_cleanup();
}

/* ---- the selection itself ---- */

/* Draft: "This function automatically sets socket s to non-blocking mode";
 * FIONBIO back to blocking fails WSAEINVAL while a selection is active
 * (final Winsock), and works once it is cancelled. */
TEST(es_select_makes_nonblocking) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    WSAEVENT ev = ev_new();
    CHECK_OK(WSPEventSelect(s, ev, FD_READ, lpErrno));
    char buf[8];
    DWORD n = 0;
    int flags = 0;
    CHECK_WSA(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno), WSAEWOULDBLOCK);
    u_long off = 0;
    CHECK_WSA(WSPIoctlSocket(s, FIONBIO, &off, lpErrno), WSAEINVAL);
    CHECK_OK(WSPEventSelect(s, ev, 0, lpErrno));
    CHECK_OK(WSPIoctlSocket(s, FIONBIO, &off, lpErrno));
    t_cleanup();
}

/* Draft: "To cancel the association and selection of network events on a
 * socket, lNetworkEvents should be set to zero" (hEventObject ignored). */
TEST(es_cancel_with_zero) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    WSAEVENT ev = ev_new();
    CHECK_OK(WSPEventSelect(s, ev, FD_READ | FD_CLOSE, lpErrno));
    CHECK_OK(WSPEventSelect(s, WSA_INVALID_EVENT, 0, lpErrno));
    CHECK_EQ(t_send_all(c, "x", 1), 0);
    CHECK_OK(WSPCloseSocket(c, lpErrno));
    CHECK_EQ(signalled(ev, 200), 0);
    t_cleanup();
}

/* Draft: "the second call will cancel the effects of the first, and only
 * FD_WRITE network event will be associated with hEventObject2". */
TEST(es_new_selection_replaces_old) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    WSAEVENT ev1 = ev_new(), ev2 = ev_new();
    CHECK_OK(WSPEventSelect(s, ev1, FD_READ, lpErrno));
    CHECK_OK(WSPEventSelect(s, ev2, FD_WRITE, lpErrno));
    CHECK_EQ(wait_events(s, ev2, FD_WRITE, 1000, NULL), FD_WRITE);
    CHECK_EQ(t_send_all(c, "x", 1), 0);
    CHECK_EQ(signalled(ev1, 200), 0);
    CHECK_EQ(signalled(ev2, 0), 0);
    CHECK_EQ(enum_mask(s, ev2, NULL), 0);
    t_cleanup();
}

/* Draft: "Issuing a WSPEventSelect() for a socket ... clears all bits in
 * the internal network event record." */
TEST(es_new_selection_clears_record) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    WSAEVENT ev = ev_new();
    CHECK_OK(WSPEventSelect(s, ev, FD_READ, lpErrno));
    CHECK_EQ(t_send_all(c, "x", 1), 0);
    CHECK_EQ(signalled(ev, 1000), 1);            /* FD_READ recorded */
    t_sleep_ms(20);
    CHECK_OK(WSPEventSelect(s, ev, FD_CLOSE, lpErrno));
    CHECK_EQ(enum_mask(s, ev, NULL), 0);
    t_cleanup();
}

/* Draft: "any WSPEventSelect() association and network events selection set
 * for the listening socket apply to the accepted socket". */
TEST(es_accepted_inherits) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    WSAEVENT ev = ev_new();
    CHECK_OK(WSPEventSelect(l, ev, FD_ACCEPT | FD_READ | FD_CLOSE, lpErrno));
    SOCKET c = connect_to(&la);
    wait_events(l, ev, FD_ACCEPT, 1000, NULL);
    SOCKET s = accept_one(l);
    expect_none(s, ev, FD_READ, 100);
    CHECK_EQ(t_send_all(c, "abc", 3), 0);
    CHECK_EQ(signalled(ev, 1000), 1);
    int seen = wait_events(s, ev, FD_READ, 1000, NULL);
    CHECK_EQ(seen & FD_ACCEPT, 0);
    /* inherited non-blocking mode too */
    char buf[8];
    recv_n(s, buf, sizeof buf, 3);
    DWORD n = 0;
    int flags = 0;
    CHECK_WSA(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno), WSAEWOULDBLOCK);
    t_cleanup();
}

/* Draft: "Closing a socket with WSPCloseSocket() also cancels the
 * association and selection"; RULINGS §4: the handle then answers
 * WSAENOTSOCK. A new socket that may reuse its descriptor gets no events. */
TEST(es_close_removes_from_engine) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    WSAEVENT ev = ev_new();
    CHECK_OK(WSPEventSelect(s, ev, FD_READ | FD_WRITE | FD_CLOSE, lpErrno));
    wait_events(s, ev, FD_WRITE, 1000, NULL);
    CHECK_OK(WSPCloseSocket(s, lpErrno));
    DWORD n = 0;
    int err = 0;
    (void)WSPSend(c, "x", 1, &n, 0, NULL, NULL, &err);
    CHECK_EQ(signalled(ev, 200), 0);
    WSANETWORKEVENT ne[FD_MAX_EVENTS];
    int count = FD_MAX_EVENTS;
    CHECK_WSA(WSPEnumNetworkEvents(s, ev, ne, &count, lpErrno), WSAENOTSOCK);
    /* new, unselected sockets (likely on the same descriptors) */
    SOCKET c2, s2;
    t_tcp_pair(&c2, &s2);
    CHECK_EQ(t_send_all(c2, "y", 1), 0);
    CHECK_EQ(t_send_all(s2, "z", 1), 0);
    CHECK_OK(WSPCloseSocket(c2, lpErrno));
    CHECK_EQ(signalled(ev, 200), 0);
    t_cleanup();
}

/* WSPSelect still works on sockets without a registration while other
 * sockets are registered with the engine. */
TEST(es_select_unregistered_alongside) {
    t_startup();
    SOCKET c1, s1, c2, s2;
    t_tcp_pair(&c1, &s1);
    t_tcp_pair(&c2, &s2);
    WSAEVENT ev = ev_new();
    CHECK_OK(WSPEventSelect(s1, ev, FD_READ | FD_WRITE | FD_CLOSE, lpErrno));
    CHECK_OK(WSPEventSelect(c1, ev, FD_READ | FD_WRITE | FD_CLOSE, lpErrno));
    CHECK_EQ(t_send_all(c1, "a", 1), 0);
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(s2, &rs);
    struct timeval poll0 = { 0, 0 };
    CHECK_EQ(WSPSelect(0, &rs, NULL, NULL, &poll0, &lperr), 0);
    CHECK_EQ(t_send_all(c2, "b", 1), 0);
    FD_ZERO(&rs);
    FD_SET(s2, &rs);
    struct timeval tv = { 1, 0 };
    CHECK_EQ(WSPSelect(0, &rs, NULL, NULL, &tv, &lperr), 1);
    CHECK(FD_ISSET(s2, &rs));
    fd_set ws;
    FD_ZERO(&ws);
    FD_SET(c2, &ws);
    CHECK_EQ(WSPSelect(0, NULL, &ws, NULL, &tv, &lperr), 1);
    char b;
    CHECK_EQ(t_recv_exact(s2, &b, 1), 0);
    CHECK_EQ(b, 'b');
    CHECK_EQ(signalled(ev, 1000), 1);
    t_cleanup();
}

/* ---- issue 9: records made before the call returns, records withdrawn by
 * the re-enabling call, FD_CLOSE only for the peer's close (RULINGS §7) ---- */

/* RULINGS §7: a condition that already holds when WSPEventSelect is called
 * is recorded before it returns: a pending connection for FD_ACCEPT. */
TEST(es_accept_recorded_before_return) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    SOCKET c = connect_to(&la);
    (void)c;
    t_sleep_ms(50);                        /* the connection is queued */
    WSAEVENT e = ev_new();
    CHECK_OK(WSPEventSelect(l, e, FD_ACCEPT, lpErrno));
    CHECK_EQ(signalled(e, 0), 1);
    CHECK_EQ(enum_mask(l, e, NULL), FD_ACCEPT);
    t_cleanup();
}

/* ... data for FD_READ, and a bound (writable) UDP socket for FD_WRITE. */
TEST(es_read_and_write_recorded_before_return) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    DWORD n = 0;
    CHECK_OK(WSPSend(c, "abc", 3, &n, 0, NULL, NULL, lpErrno));
    t_sleep_ms(50);
    WSAEVENT e = ev_new();
    CHECK_OK(WSPEventSelect(s, e, FD_READ, lpErrno));
    CHECK_EQ(enum_mask(s, e, NULL), FD_READ);
    SOCKET u = t_udp_bound(NULL);
    WSAEVENT e2 = ev_new();
    CHECK_OK(WSPEventSelect(u, e2, FD_WRITE | FD_READ, lpErrno));
    CHECK_EQ(enum_mask(u, e2, NULL), FD_WRITE);
    t_cleanup();
}

/* A re-selection records its fresh FD_WRITE before it returns, not later:
 * an event object shared with another socket is not set behind the
 * application's back once it enumerated. */
TEST(es_reselect_write_not_late) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    WSAEVENT e = ev_new();
    CHECK_OK(WSPEventSelect(c, e, FD_WRITE, lpErrno));
    CHECK_EQ(enum_mask(c, e, NULL), FD_WRITE);
    for (int i = 0; i < 20; i++) {
        CHECK_OK(WSPEventSelect(c, e, FD_WRITE | FD_READ, lpErrno));
        CHECK_EQ(enum_mask(c, e, NULL), FD_WRITE);   /* resets e */
        CHECK_EQ(signalled(e, 20), 0);
    }
    t_cleanup();
}

/* RULINGS §7: WSPRecv that drains the data withdraws a recorded FD_READ
 * that was not reported yet: the next enumeration does not announce data
 * that is gone. */
TEST(es_read_withdrawn_when_recv_drains) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    WSAEVENT e = ev_new();
    CHECK_OK(WSPEventSelect(s, e, FD_READ | FD_CLOSE, lpErrno));
    DWORD n = 0;
    CHECK_OK(WSPSend(c, "hello", 5, &n, 0, NULL, NULL, lpErrno));
    CHECK_EQ(signalled(e, 2000), 1);       /* FD_READ recorded, not enumerated */
    char buf[64];
    recv_n(s, buf, sizeof buf, 5);         /* drains it */
    CHECK_EQ(enum_mask(s, e, NULL) & FD_READ, 0);
    /* and the next data is recorded again */
    CHECK_OK(WSPSend(c, "x", 1, &n, 0, NULL, NULL, lpErrno));
    wait_events(s, e, FD_READ, 2000, NULL);
    t_cleanup();
}

/* ... a partial receive keeps it (data remains). */
TEST(es_read_kept_when_data_remains) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    WSAEVENT e = ev_new();
    CHECK_OK(WSPEventSelect(s, e, FD_READ, lpErrno));
    DWORD n = 0;
    CHECK_OK(WSPSend(c, "hello", 5, &n, 0, NULL, NULL, lpErrno));
    CHECK_EQ(signalled(e, 2000), 1);
    char buf[64];
    recv_n(s, buf, 2, 2);
    CHECK_EQ(enum_mask(s, e, NULL) & FD_READ, FD_READ);
    t_cleanup();
}

/* RULINGS §7: WSPAccept that takes the last pending connection withdraws a
 * recorded FD_ACCEPT. */
TEST(es_accept_withdrawn_when_accepted) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    WSAEVENT e = ev_new();
    CHECK_OK(WSPEventSelect(l, e, FD_ACCEPT, lpErrno));
    SOCKET c = connect_to(&la);
    (void)c;
    CHECK_EQ(signalled(e, 2000), 1);
    SOCKET s = accept_one(l);
    (void)s;
    CHECK_EQ(enum_mask(l, e, NULL), 0);
    t_cleanup();
}

/* RULINGS §7: "FD_CLOSE reports the remote side's close or a reset, never
 * the socket's own WSPShutdown" - SD_RECEIVE and SD_BOTH; the peer's close
 * afterwards is still reported. */
TEST(es_own_shutdown_no_close) {
    t_startup();
    for (int how = SD_RECEIVE; how <= SD_BOTH; how += SD_BOTH - SD_RECEIVE) {
        SOCKET c, s;
        t_tcp_pair(&c, &s);
        WSAEVENT e = ev_new();
        CHECK_OK(WSPEventSelect(s, e, FD_READ | FD_CLOSE, lpErrno));
        CHECK_OK(WSPShutdown(s, how, lpErrno));
        expect_none(s, e, FD_CLOSE | FD_READ, 300);
        CHECK_OK(WSPCloseSocket(c, lpErrno));
        int errs[FD_MAX_EVENTS];
        wait_events(s, e, FD_CLOSE, 2000, errs);
        CHECK_EQ(errs[FD_CLOSE_BIT], 0);
        CHECK_OK(WSPCloseSocket(s, lpErrno));
    }
    t_cleanup();
}
