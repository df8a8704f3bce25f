/* WSPAccept: addresses, errors, the condition function, groups, inherited
 * properties, and closing a listener under a blocked accept.
 * Draft §3.1.2.11 (WSPAccept); RULINGS §4, §11. */
#include "harness.h"

static struct sockaddr_in name_of(SOCKET s) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    int len = sizeof a;
    CHECK_OK(WSPGetSockName(s, (struct sockaddr *)&a, &len, lpErrno));
    return a;
}

static SOCKET connect_to(const struct sockaddr_in *a) {
    SOCKET c = t_socket(SOCK_STREAM);
    CHECK_OK(WSPConnect(c, (const struct sockaddr *)a, sizeof *a, NULL, NULL, 0, NULL, NULL, lpErrno));
    return c;
}

static int same_addr(const struct sockaddr_in *x, const struct sockaddr_in *y) {
    return x->sin_family == y->sin_family && x->sin_port == y->sin_port &&
           x->sin_addr.S_un.S_addr == y->sin_addr.S_un.S_addr;
}

static void check_link(SOCKET a, SOCKET b) {
    CHECK_EQ(t_send_all(a, "ab", 2), 0);
    char buf[2];
    CHECK_EQ(t_recv_exact(b, buf, 2), 0);
    CHECK(memcmp(buf, "ab", 2) == 0);
    CHECK_EQ(t_send_all(b, "cd", 2), 0);
    CHECK_EQ(t_recv_exact(a, buf, 2), 0);
    CHECK(memcmp(buf, "cd", 2) == 0);
}

static GROUP so_group(SOCKET s) {
    GROUP g = 0xFFFFFFFF;
    int len = sizeof g;
    CHECK_OK(WSPGetSockOpt(s, SOL_SOCKET, SO_GROUP_ID, (char *)&g, &len, lpErrno));
    return g;
}

/* ---- a recording condition function ---- */
static struct {
    int calls;
    int verdict;               /* what to return */
    GROUP set_group;           /* what to store in *g (0: leave it) */
    GROUP g_on_entry;
    DWORD data;
    int caller_len, caller_data_len, callee_len, callee_data_len;
    int caller_data_null, callee_data_null, caller_null, callee_null;
    struct sockaddr_in caller, callee;
} cond;

static int CALLBACK condition(LPWSABUF lpCallerId, LPWSABUF lpCallerData, LPWSABUF lpCalleeId,
                              LPWSABUF lpCalleeData, GROUP *g, DWORD dwCallbackData) {
    cond.calls++;
    cond.data = dwCallbackData;
    cond.caller_null = lpCallerId == NULL || lpCallerId->buf == NULL;
    cond.callee_null = lpCalleeId == NULL || lpCalleeId->buf == NULL;
    cond.caller_data_null = lpCallerData == NULL;
    cond.callee_data_null = lpCalleeData == NULL;
    if (lpCallerId) cond.caller_len = lpCallerId->len;
    if (lpCalleeId) cond.callee_len = lpCalleeId->len;
    if (lpCallerData) cond.caller_data_len = lpCallerData->len;
    if (lpCalleeData) cond.callee_data_len = lpCalleeData->len;
    if (!cond.caller_null && lpCallerId->len >= 16) memcpy(&cond.caller, lpCallerId->buf, 16);
    if (!cond.callee_null && lpCalleeId->len >= 16) memcpy(&cond.callee, lpCalleeId->buf, 16);
    if (g) {
        cond.g_on_entry = *g;
        if (cond.set_group) *g = cond.set_group;
    }
    return cond.verdict;
}

static void cond_reset(int verdict, GROUP set_group) {
    memset(&cond, 0, sizeof cond);
    cond.verdict = verdict;
    cond.set_group = set_group;
    cond.g_on_entry = 0xABCDEF;
}

/* Draft WSPAccept: addr "is filled in with the address of the connecting
 * entity"; addrlen returns "the actual length". */
TEST(accept_returns_client_address) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    SOCKET c = connect_to(&la);
    struct sockaddr_in cn = name_of(c);
    struct { struct sockaddr_in a; char pad[16]; } buf;
    memset(&buf, 0xEE, sizeof buf);
    int len = sizeof buf;
    SOCKET s = WSPAccept(l, (struct sockaddr *)&buf.a, &len, NULL, 0, &lperr);
    if (s == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "WSPAccept failed: %d", lperr);
    CHECK(s != l);
    CHECK_EQ(len, 16);
    CHECK(same_addr(&buf.a, &cn));
    check_link(c, s);
    /* the listener still listens */
    SOCKET c2 = connect_to(&la);
    struct sockaddr_in a2;
    len = sizeof a2;
    SOCKET s2 = WSPAccept(l, (struct sockaddr *)&a2, &len, NULL, 0, &lperr);
    CHECK(s2 != INVALID_SOCKET);
    struct sockaddr_in cn2 = name_of(c2);
    CHECK(same_addr(&a2, &cn2));
    t_cleanup();
}

/* Draft WSPAccept: "If addr and/or addrlen are equal to NULL, then no
 * information about the remote address ... is returned" (not an error). */
TEST(accept_null_addr_allowed) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    struct sockaddr_in a;
    int len = sizeof a;
    for (int i = 0; i < 3; i++) {
        SOCKET c = connect_to(&la);
        SOCKET s = WSPAccept(l, i == 1 ? (struct sockaddr *)&a : NULL, i == 2 ? &len : NULL, NULL, 0, &lperr);
        if (s == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "case %d: WSPAccept failed: %d", i, lperr);
        check_link(c, s);
    }
    t_cleanup();
}

/* Draft WSPAccept: WSAEFAULT "The addrlen argument is too small"; the
 * pending connection is not consumed by the failed call. */
TEST(accept_addrlen_too_small) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    SOCKET c = connect_to(&la);
    struct sockaddr_in a;
    int len = 15;
    CHECK_WSA(WSPAccept(l, (struct sockaddr *)&a, &len, NULL, 0, lpErrno), WSAEFAULT);
    len = 0;
    CHECK_WSA(WSPAccept(l, (struct sockaddr *)&a, &len, NULL, 0, lpErrno), WSAEFAULT);
    u_long on = 1;
    CHECK_OK(WSPIoctlSocket(l, FIONBIO, &on, lpErrno));
    len = sizeof a;
    SOCKET s = WSPAccept(l, (struct sockaddr *)&a, &len, NULL, 0, &lperr);
    if (s == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "connection lost after WSAEFAULT: %d", lperr);
    struct sockaddr_in cn = name_of(c);
    CHECK(same_addr(&a, &cn));
    t_cleanup();
}

/* Draft WSPAccept: WSAEINVAL "WSPListen() was not invoked prior to
 * WSPAccept()"; WSAENOTSOCK for a non-socket. */
TEST(accept_not_listening) {
    t_startup();
    SOCKET s = t_socket(SOCK_STREAM);
    CHECK_WSA(WSPAccept(s, NULL, NULL, NULL, 0, lpErrno), WSAEINVAL);
    struct sockaddr_in a = t_loopback(0);
    CHECK_OK(WSPBind(s, (struct sockaddr *)&a, sizeof a, lpErrno));
    CHECK_WSA(WSPAccept(s, NULL, NULL, NULL, 0, lpErrno), WSAEINVAL);
    SOCKET c, x;
    t_tcp_pair(&c, &x);
    CHECK_WSA(WSPAccept(c, NULL, NULL, NULL, 0, lpErrno), WSAEINVAL);
    CHECK_WSA(WSPAccept(12345, NULL, NULL, NULL, 0, lpErrno), WSAENOTSOCK);
    t_cleanup();
}

/* Draft WSPAccept: WSAEOPNOTSUPP "The referenced socket is not a type that
 * supports connection-oriented service". */
TEST(accept_udp) {
    t_startup();
    SOCKET u = t_udp_bound(NULL);
    CHECK_WSA(WSPAccept(u, NULL, NULL, NULL, 0, lpErrno), WSAEOPNOTSUPP);
    t_cleanup();
}

/* Draft WSPAccept: WSAEWOULDBLOCK "No connections are present to be
 * accepted" on a non-blocking (FIONBIO) listener. */
TEST(accept_nonblocking_empty) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    u_long on = 1;
    CHECK_OK(WSPIoctlSocket(l, FIONBIO, &on, lpErrno));
    double t0 = t_now();
    CHECK_WSA(WSPAccept(l, NULL, NULL, NULL, 0, lpErrno), WSAEWOULDBLOCK);
    CHECK(t_now() - t0 < 0.5);
    SOCKET c = connect_to(&la);
    SOCKET s = INVALID_SOCKET;
    for (int i = 0; i < 100 && s == INVALID_SOCKET; i++) {
        int err = 0;
        s = WSPAccept(l, NULL, NULL, NULL, 0, &err);
        if (s == INVALID_SOCKET) { CHECK_EQ(err, WSAEWOULDBLOCK); t_sleep_ms(10); }
    }
    CHECK(s != INVALID_SOCKET);
    check_link(c, s);
    CHECK_WSA(WSPAccept(l, NULL, NULL, NULL, 0, lpErrno), WSAEWOULDBLOCK);
    t_cleanup();
}

/* Draft WSPAccept condition function: lpCallerId holds the caller's address,
 * lpCalleeId the local address of the listener, TCP carries no connect data
 * (RULINGS §11: both data buffers have len 0), *g is 0 on entry, and
 * dwCallbackData is passed through; CF_ACCEPT accepts. */
TEST(accept_condition_accept) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    SOCKET c = connect_to(&la);
    struct sockaddr_in cn = name_of(c);
    cond_reset(CF_ACCEPT, 0);
    struct sockaddr_in a;
    int len = sizeof a;
    SOCKET s = WSPAccept(l, (struct sockaddr *)&a, &len, condition, 0xDEADBEEF, &lperr);
    if (s == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "WSPAccept failed: %d", lperr);
    CHECK_EQ(cond.calls, 1);
    CHECK_EQ(cond.data, 0xDEADBEEF);
    CHECK(!cond.caller_null);
    CHECK_EQ(cond.caller_len, 16);
    CHECK(same_addr(&cond.caller, &cn));
    CHECK(!cond.callee_null);
    CHECK_EQ(cond.callee_len, 16);
    CHECK(same_addr(&cond.callee, &la));
    CHECK(!cond.caller_data_null);
    CHECK_EQ(cond.caller_data_len, 0);
    CHECK(!cond.callee_data_null);
    CHECK_EQ(cond.callee_data_len, 0);
    CHECK_EQ(cond.g_on_entry, 0);
    CHECK(same_addr(&a, &cn));
    CHECK_EQ(so_group(s), 0);          /* *g left 0: no group */
    check_link(c, s);
    t_cleanup();
}

/* Receives on c (which must have been reset) and returns the error code. */
static int recv_error(SOCKET c) {
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(c, &rs);
    struct timeval tv = { 2, 0 };
    CHECK_EQ(WSPSelect(0, &rs, NULL, NULL, &tv, &lperr), 1);
    char buf[8];
    DWORD n = 0;
    int flags = 0, err = 0;
    int r = WSPRecv(c, buf, sizeof buf, &n, &flags, NULL, NULL, &err);
    if (r == 0) harness_fail(__FILE__, __LINE__, "WSPRecv on the rejected client returned %lu bytes, not an error", (unsigned long)n);
    return err;
}

/* Draft WSPAccept: CF_REJECT -> WSAECONNREFUSED, the request is rejected
 * (the client sees a reset), addr is "filled in regardless of ... what it
 * returns"; the next accept gets the next client; the listener goes on. */
TEST(accept_condition_reject) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    SOCKET c1 = connect_to(&la);
    SOCKET c2 = connect_to(&la);
    struct sockaddr_in n1 = name_of(c1), n2 = name_of(c2);
    cond_reset(CF_REJECT, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    int len = sizeof a;
    CHECK_WSA(WSPAccept(l, (struct sockaddr *)&a, &len, condition, 7, lpErrno), WSAECONNREFUSED);
    CHECK_EQ(cond.calls, 1);
    CHECK(same_addr(&cond.caller, &n1));
    CHECK(same_addr(&a, &n1));
    CHECK_EQ(len, 16);
    int err = recv_error(c1);
    if (err != WSAECONNRESET && err != WSAECONNABORTED)
        harness_fail(__FILE__, __LINE__, "rejected client's WSPRecv failed with %d, expected WSAECONNRESET", err);

    cond_reset(CF_ACCEPT, 0);
    len = sizeof a;
    SOCKET s2 = WSPAccept(l, (struct sockaddr *)&a, &len, condition, 7, &lperr);
    if (s2 == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "WSPAccept failed: %d", lperr);
    CHECK(same_addr(&a, &n2));
    CHECK(same_addr(&cond.caller, &n2));
    check_link(c2, s2);

    SOCKET c3 = connect_to(&la);
    struct sockaddr_in n3 = name_of(c3);
    len = sizeof a;
    SOCKET s3 = WSPAccept(l, (struct sockaddr *)&a, &len, condition, 7, &lperr);
    CHECK(s3 != INVALID_SOCKET);
    CHECK(same_addr(&a, &n3));
    check_link(c3, s3);
    t_cleanup();
}

/* Draft WSPAccept: CF_DEFER -> WSATRY_AGAIN, "no action about this
 * connection request should be taken": a later WSPAccept sees the same
 * connection (verified by the client's port), addr filled regardless. */
TEST(accept_condition_defer) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    SOCKET c1 = connect_to(&la);
    struct sockaddr_in n1 = name_of(c1);
    cond_reset(CF_DEFER, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    int len = sizeof a;
    CHECK_WSA(WSPAccept(l, (struct sockaddr *)&a, &len, condition, 0, lpErrno), WSATRY_AGAIN);
    CHECK(same_addr(&a, &n1));
    CHECK_WSA(WSPAccept(l, (struct sockaddr *)&a, &len, condition, 0, lpErrno), WSATRY_AGAIN);
    CHECK_EQ(cond.calls, 2);
    CHECK(same_addr(&cond.caller, &n1));

    SOCKET c2 = connect_to(&la);
    struct sockaddr_in n2 = name_of(c2);
    cond_reset(CF_ACCEPT, 0);
    len = sizeof a;
    SOCKET s1 = WSPAccept(l, (struct sockaddr *)&a, &len, condition, 0, &lperr);
    if (s1 == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "WSPAccept failed: %d", lperr);
    CHECK(same_addr(&cond.caller, &n1));
    CHECK(same_addr(&a, &n1));
    check_link(c1, s1);
    len = sizeof a;
    SOCKET s2 = WSPAccept(l, (struct sockaddr *)&a, &len, NULL, 0, &lperr);
    CHECK(s2 != INVALID_SOCKET);
    CHECK(same_addr(&a, &n2));
    check_link(c2, s2);
    t_cleanup();
}

/* Draft WSPAccept: WSAEINVAL "the return value of the condition function is
 * not a valid one"; the listener keeps working. */
TEST(accept_condition_invalid_verdict) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    (void)connect_to(&la);
    (void)connect_to(&la);
    u_long on = 1;
    CHECK_OK(WSPIoctlSocket(l, FIONBIO, &on, lpErrno));
    t_sleep_ms(20);
    cond_reset(7, 0);
    CHECK_WSA(WSPAccept(l, NULL, NULL, condition, 0, lpErrno), WSAEINVAL);
    CHECK_EQ(cond.calls, 1);
    cond_reset(-1, 0);
    CHECK_WSA(WSPAccept(l, NULL, NULL, condition, 0, lpErrno), WSAEINVAL);
    CHECK_EQ(cond.calls, 1);
    SOCKET c3 = connect_to(&la);
    struct sockaddr_in n3 = name_of(c3);
    /* take connections until c3's (the first two may still be queued) */
    SOCKET got = INVALID_SOCKET;
    for (int i = 0; i < 20 && got == INVALID_SOCKET; i++) {
        struct sockaddr_in a;
        int len = sizeof a;
        SOCKET s = WSPAccept(l, (struct sockaddr *)&a, &len, NULL, 0, &lperr);
        if (s == INVALID_SOCKET) { CHECK_EQ(lperr, WSAEWOULDBLOCK); t_sleep_ms(20); continue; }
        if (same_addr(&a, &n3)) got = s;
    }
    CHECK(got != INVALID_SOCKET);
    check_link(c3, got);
    t_cleanup();
}

static BOOL get_bool(SOCKET s, int level, int opt) {
    BOOL v = 0x55;
    int len = sizeof v;
    CHECK_OK(WSPGetSockOpt(s, level, opt, (char *)&v, &len, lpErrno));
    return v;
}

/* Draft WSPAccept: the routine "creates a new socket with the same
 * properties as s": SO_KEEPALIVE, TCP_NODELAY, SO_OOBINLINE, SO_LINGER. */
TEST(accept_inherits_options) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    /* defaults first, so that a provider answering TRUE always fails */
    SOCKET c0 = connect_to(&la);
    SOCKET s0 = WSPAccept(l, NULL, NULL, NULL, 0, &lperr);
    CHECK(s0 != INVALID_SOCKET);
    CHECK_EQ(get_bool(s0, SOL_SOCKET, SO_KEEPALIVE), FALSE);
    CHECK_EQ(get_bool(s0, IPPROTO_TCP, TCP_NODELAY), FALSE);
    CHECK_EQ(get_bool(s0, SOL_SOCKET, SO_OOBINLINE), FALSE);
    (void)c0;

    BOOL on = TRUE;
    CHECK_OK(WSPSetSockOpt(l, SOL_SOCKET, SO_KEEPALIVE, (char *)&on, sizeof on, lpErrno));
    CHECK_OK(WSPSetSockOpt(l, IPPROTO_TCP, TCP_NODELAY, (char *)&on, sizeof on, lpErrno));
    CHECK_OK(WSPSetSockOpt(l, SOL_SOCKET, SO_OOBINLINE, (char *)&on, sizeof on, lpErrno));
    struct linger lg = { 1, 7 };
    CHECK_OK(WSPSetSockOpt(l, SOL_SOCKET, SO_LINGER, (char *)&lg, sizeof lg, lpErrno));
    SOCKET c = connect_to(&la);
    SOCKET s = WSPAccept(l, NULL, NULL, NULL, 0, &lperr);
    CHECK(s != INVALID_SOCKET);
    CHECK_EQ(get_bool(s, SOL_SOCKET, SO_KEEPALIVE), TRUE);
    CHECK_EQ(get_bool(s, IPPROTO_TCP, TCP_NODELAY), TRUE);
    CHECK_EQ(get_bool(s, SOL_SOCKET, SO_OOBINLINE), TRUE);
    struct linger got = { 0xAAAA, 0xAAAA };
    int len = sizeof got;
    CHECK_OK(WSPGetSockOpt(s, SOL_SOCKET, SO_LINGER, (char *)&got, &len, lpErrno));
    CHECK_EQ(len, (int)sizeof(struct linger));
    CHECK(got.l_onoff != 0);
    CHECK_EQ(got.l_linger, 7);
    check_link(c, s);
    t_cleanup();
}

/* Draft WSPAccept: same properties as s, including non-blocking mode
 * (FIONBIO): a receive with no data fails WSAEWOULDBLOCK at once. */
TEST(accept_inherits_nonblocking) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    u_long on = 1;
    CHECK_OK(WSPIoctlSocket(l, FIONBIO, &on, lpErrno));
    SOCKET c = connect_to(&la);
    SOCKET s = INVALID_SOCKET;
    for (int i = 0; i < 100 && s == INVALID_SOCKET; i++) {
        s = WSPAccept(l, NULL, NULL, NULL, 0, &lperr);
        if (s == INVALID_SOCKET) t_sleep_ms(10);
    }
    CHECK(s != INVALID_SOCKET);
    char buf[4];
    DWORD n = 0;
    int flags = 0;
    double t0 = t_now();
    CHECK_WSA(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno), WSAEWOULDBLOCK);
    CHECK(t_now() - t0 < 0.5);
    (void)c;
    t_cleanup();
}

/* Draft WSPAccept / RULINGS §11: *g = SG_UNCONSTRAINED_GROUP creates a group
 * with a new non-zero id (SO_GROUP_ID); *g = that id joins it; an unknown id
 * is WSAEINVAL ("parameter g ... is not a valid value"). */
TEST(accept_condition_groups) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    SOCKET c1 = connect_to(&la);
    cond_reset(CF_ACCEPT, SG_UNCONSTRAINED_GROUP);
    SOCKET s1 = WSPAccept(l, NULL, NULL, condition, 0, &lperr);
    if (s1 == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "WSPAccept failed: %d", lperr);
    GROUP id = so_group(s1);
    CHECK(id != 0);
    CHECK(id != SG_UNCONSTRAINED_GROUP);
    CHECK(id != SG_CONSTRAINED_GROUP);
    check_link(c1, s1);

    SOCKET c2 = connect_to(&la);
    cond_reset(CF_ACCEPT, id);
    SOCKET s2 = WSPAccept(l, NULL, NULL, condition, 0, &lperr);
    if (s2 == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "joining group %u: WSPAccept failed: %d", id, lperr);
    CHECK_EQ(so_group(s2), id);
    check_link(c2, s2);

    SOCKET c3 = connect_to(&la);
    cond_reset(CF_ACCEPT, SG_CONSTRAINED_GROUP);
    SOCKET s3 = WSPAccept(l, NULL, NULL, condition, 0, &lperr);
    if (s3 == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "WSPAccept failed: %d", lperr);
    GROUP id3 = so_group(s3);
    CHECK(id3 != 0 && id3 != 1 && id3 != 2);
    CHECK(id3 != id);
    check_link(c3, s3);

    (void)connect_to(&la);
    cond_reset(CF_ACCEPT, 12345);
    CHECK_WSA(WSPAccept(l, NULL, NULL, condition, 0, lpErrno), WSAEINVAL);
    t_cleanup();
}

struct blocked { SOCKET s; volatile int rc, err; volatile double t_end; };
static void *accept_thread(void *p) {
    struct blocked *b = p;
    int err = 0;
    int rc = (int)WSPAccept(b->s, NULL, NULL, NULL, 0, &err);
    b->rc = rc;
    b->err = err;
    b->t_end = t_now();
    return NULL;
}

/* RULINGS §4: closing a socket that another thread is blocked on (accept)
 * makes that call return promptly with WSAEINTR. */
TEST(accept_close_listener_interrupts) {
    t_startup();
    SOCKET l = t_listener(NULL);
    struct blocked b = { l, 0, 0, 0 };
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, accept_thread, &b), 0);
    t_sleep_ms(200);
    CHECK_EQ(b.t_end, 0);                 /* really blocked */
    double t0 = t_now();
    CHECK_OK(WSPCloseSocket(l, lpErrno));
    for (int i = 0; i < 300 && b.t_end == 0; i++) t_sleep_ms(10);
    if (b.t_end == 0) harness_fail(__FILE__, __LINE__, "WSPAccept still blocked 3 s after the listener was closed");
    pthread_join(th, NULL);
    CHECK(b.t_end - t0 < 1.0);
    CHECK_EQ(b.rc, SOCKET_ERROR);
    CHECK_EQ(b.err, WSAEINTR);
    t_cleanup();
}
