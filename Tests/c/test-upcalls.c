/* The socket-handle upcalls (draft §4.1-4.4): WPUXxxCreateSocketHandle,
 * WPUXxxCloseSocketHandle, WPUXxxQuerySocketHandleContext,
 * WPUXxxSetSocketHandleContext.
 *
 * Facts encoded here (from the draft, the rulings and the library's design):
 * - Create returns a new handle carrying lpContext, or INVALID_SOCKET with
 *   WSAEMFILE when every handle is taken (the draft's "too many sockets",
 *   which it files under WSAENOBUFS; the issue and WSPSocket say
 *   WSAEMFILE); the library keeps at most 65534 live upcall handles.
 * - Close, Query and Set fail with WSAENOTSOCK for a handle not made by
 *   Create (closed, never issued, or a provider's own WSPSocket handle); a
 *   NULL lpContext in Query is WSAEFAULT; a NULL lpErrno never crashes.
 * - Handles never alias: a closed one answers WSAENOTSOCK however many
 *   handles come after (RULINGS §4), and upcall handles never equal a
 *   provider's SOCKETs, which answer WSAENOTSOCK to the upcalls and the other
 *   way round. Upcall handles have bit 31 set; the provider's never do.
 * - The upcalls need no WSPStartup (the draft lists no WSANOTINITIALISED):
 *   the Winsock DLL provides them. dwProviderId is recorded, any value. */
#include "harness.h"

enum { UPCALL_LIMIT = 65534 };

static SOCKET create_ok(DWORD provider, void *ctx) {
    int err = 0x7EADBEEF;
    SOCKET s = WPUXxxCreateSocketHandle(provider, ctx, &err);
    if (s == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "WPUXxxCreateSocketHandle failed: %d", err);
    return s;
}

static void *query_ok(SOCKET s) {
    void *ctx = (void *)0x1;
    int err = 0x7EADBEEF;
    int r = WPUXxxQuerySocketHandleContext(s, &ctx, &err);
    if (r != 0) harness_fail(__FILE__, __LINE__, "WPUXxxQuerySocketHandleContext(0x%x) returned %d, error %d", (unsigned)s, r, err);
    return ctx;
}

/* Every kind of upcall handle use fails with WSAENOTSOCK on s. */
static void check_not_upcall(SOCKET s) {
    void *ctx = (void *)0x5A5A;
    CHECK_WSA(WPUXxxQuerySocketHandleContext(s, &ctx, lpErrno), WSAENOTSOCK);
    CHECK(ctx == (void *)0x5A5A);                   /* untouched on failure */
    CHECK_WSA(WPUXxxSetSocketHandleContext(s, (void *)0x77, lpErrno), WSAENOTSOCK);
    CHECK_WSA(WPUXxxCloseSocketHandle(s, lpErrno), WSAENOTSOCK);
}

/* §4.1-4.4: create with a context, query it, set a new one (NULL too), close. */
TEST(create_query_set_close) {
    int marker;
    SOCKET s = create_ok(7, &marker);
    CHECK(s != INVALID_SOCKET);
    CHECK(s != 0);
    CHECK(query_ok(s) == &marker);
    CHECK_OK(WPUXxxSetSocketHandleContext(s, (void *)0xDEADBEEF00ULL, lpErrno));
    CHECK(query_ok(s) == (void *)0xDEADBEEF00ULL);
    CHECK_OK(WPUXxxSetSocketHandleContext(s, NULL, lpErrno));
    CHECK(query_ok(s) == NULL);
    CHECK_OK(WPUXxxCloseSocketHandle(s, lpErrno));
    check_not_upcall(s);
}

/* A NULL context at creation is a context like any other. */
TEST(create_with_null_context) {
    SOCKET s = create_ok(1, NULL);
    CHECK(query_ok(s) == NULL);
    CHECK_OK(WPUXxxCloseSocketHandle(s, lpErrno));
}

/* Contexts are per handle. */
TEST(context_per_handle) {
    enum { N = 100 };
    SOCKET h[N];
    static char tags[N];
    for (int i = 0; i < N; i++) h[i] = create_ok((DWORD)i, &tags[i]);
    for (int i = 0; i < N; i++) CHECK(query_ok(h[i]) == &tags[i]);
    for (int i = 0; i < N; i += 2) CHECK_OK(WPUXxxSetSocketHandleContext(h[i], &tags[N - 1 - i], lpErrno));
    for (int i = 0; i < N; i++) CHECK(query_ok(h[i]) == (i % 2 == 0 ? &tags[N - 1 - i] : &tags[i]));
    for (int i = 0; i < N; i++) for (int j = i + 1; j < N; j++) CHECK(h[i] != h[j]);
    for (int i = 0; i < N; i++) CHECK_OK(WPUXxxCloseSocketHandle(h[i], lpErrno));
}

/* The upcalls are the Winsock DLL's: no WSPStartup needed, none made here,
 * and WSPCleanup of the provider leaves them alone. */
TEST(no_startup_needed_and_cleanup_independent) {
    SOCKET s = create_ok(3, (void *)0x42);
    CHECK(query_ok(s) == (void *)0x42);
    t_startup();
    t_cleanup();
    CHECK(query_ok(s) == (void *)0x42);
    CHECK_OK(WPUXxxCloseSocketHandle(s, lpErrno));
}

/* Any dwProviderId is accepted and recorded (unknown ids are no error). */
TEST(any_provider_id) {
    DWORD ids[] = { 0, 1, 1001, 0x7FFFFFFF, 0xFFFFFFFF };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        SOCKET s = create_ok(ids[i], (void *)(ids[i] + 1ULL));
        CHECK(query_ok(s) == (void *)(ids[i] + 1ULL));
        CHECK_OK(WPUXxxCloseSocketHandle(s, lpErrno));
    }
}

/* §4.3: a NULL lpContext is WSAEFAULT (RULINGS §4), and the handle is unharmed. */
TEST(query_null_context_is_efault) {
    SOCKET s = create_ok(1, (void *)0x99);
    CHECK_WSA(WPUXxxQuerySocketHandleContext(s, NULL, lpErrno), WSAEFAULT);
    CHECK(query_ok(s) == (void *)0x99);
    CHECK_OK(WPUXxxCloseSocketHandle(s, lpErrno));
}

/* RULINGS §4: a NULL lpErrno never crashes; the return value still says it. */
TEST(null_lperrno) {
    CHECK_EQ(WPUXxxCloseSocketHandle(0, NULL), SOCKET_ERROR);
    CHECK_EQ(WPUXxxSetSocketHandleContext(0, NULL, NULL), SOCKET_ERROR);
    CHECK_EQ(WPUXxxQuerySocketHandleContext(0, NULL, NULL), SOCKET_ERROR);
    void *ctx;
    CHECK_EQ(WPUXxxQuerySocketHandleContext(0, &ctx, NULL), SOCKET_ERROR);
    SOCKET s = WPUXxxCreateSocketHandle(1, (void *)5, NULL);
    CHECK(s != INVALID_SOCKET);
    CHECK_EQ(WPUXxxQuerySocketHandleContext(s, &ctx, NULL), 0);
    CHECK(ctx == (void *)5);
    CHECK_EQ(WPUXxxSetSocketHandleContext(s, (void *)6, NULL), 0);
    CHECK_EQ(WPUXxxCloseSocketHandle(s, NULL), 0);
    CHECK_EQ(WPUXxxCloseSocketHandle(s, NULL), SOCKET_ERROR);
}

/* §4.2-4.4: WSAENOTSOCK for values never issued: 0, INVALID_SOCKET, small
 * numbers a file descriptor could have, and values shaped like upcall
 * handles that were never handed out. */
TEST(garbage_handles_are_enotsock) {
    SOCKET live = create_ok(1, NULL);
    SOCKET bad[] = { 0, 1, 2, 3, 100, 12345, 0x7FFFFFFF, 0x80000000u, 0x8000FFFFu,
                     0xFFFF0000u, 0xFFFFFFFEu, INVALID_SOCKET, 0x00010001u,
                     live ^ 0x00010000u, live + 0x40000000u };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (bad[i] == live) continue;
        check_not_upcall(bad[i]);
    }
    CHECK(query_ok(live) == NULL);
    CHECK_OK(WPUXxxCloseSocketHandle(live, lpErrno));
}

/* §4.2: closing twice: the second is WSAENOTSOCK. */
TEST(close_twice) {
    SOCKET s = create_ok(1, NULL);
    CHECK_OK(WPUXxxCloseSocketHandle(s, lpErrno));
    CHECK_WSA(WPUXxxCloseSocketHandle(s, lpErrno), WSAENOTSOCK);
}

/* RULINGS §4: closed handles never come back. 300000 handles are created
 * and closed after the victims (more than four times the 65534 slots, so
 * every slot is reused several times); the victims stay dead and no new
 * handle equals one. */
TEST_T(closed_handles_never_alias, 60) {
    enum { V = 64, ROUNDS = 300000 };
    SOCKET victims[V];
    for (int i = 0; i < V; i++) victims[i] = create_ok(1, NULL);
    for (int i = 0; i < V; i++) CHECK_OK(WPUXxxCloseSocketHandle(victims[i], lpErrno));
    for (int r = 0; r < ROUNDS; r++) {
        SOCKET s = create_ok(2, (void *)(long)r);
        for (int i = 0; i < V; i++) if (s == victims[i]) harness_fail(__FILE__, __LINE__, "handle 0x%x reused after %d handles", (unsigned)s, r);
        CHECK_OK(WPUXxxCloseSocketHandle(s, lpErrno));
    }
    for (int i = 0; i < V; i++) check_not_upcall(victims[i]);
}

/* Upcall handles and the provider's SOCKETs are disjoint: many of both live
 * at once share no value; each kind answers WSAENOTSOCK to the other's
 * functions, while open and after closing. */
TEST(disjoint_from_provider_sockets) {
    enum { P = 200, U = 4000 };
    t_startup();
    static SOCKET ps[P], us[U];
    for (int i = 0; i < P; i++) ps[i] = t_socket(i % 2 ? SOCK_DGRAM : SOCK_STREAM);
    for (int i = 0; i < U; i++) us[i] = create_ok(9, &us[i]);
    for (int i = 0; i < P; i++) {
        CHECK((ps[i] & 0x80000000u) == 0);          /* the provider's: bit 31 clear */
        for (int j = 0; j < U; j++) if (ps[i] == us[j]) harness_fail(__FILE__, __LINE__, "handle 0x%x is both", (unsigned)ps[i]);
    }
    for (int j = 0; j < U; j++) CHECK((us[j] & 0x80000000u) != 0);  /* upcall: bit 31 set */
    /* Open provider sockets are not upcall handles. */
    for (int i = 0; i < P; i++) check_not_upcall(ps[i]);
    /* Open upcall handles are not provider sockets. */
    char buf[8];
    DWORD got = 0;
    for (int j = 0; j < U; j += 97) {
        int flags = 0;
        CHECK_WSA(WSPRecv(us[j], buf, sizeof buf, &got, &flags, NULL, NULL, lpErrno), WSAENOTSOCK);
        CHECK_WSA(WSPSend(us[j], buf, sizeof buf, &got, 0, NULL, NULL, lpErrno), WSAENOTSOCK);
        int type = 0, len = sizeof type;
        CHECK_WSA(WSPGetSockOpt(us[j], SOL_SOCKET, SO_TYPE, (char *)&type, &len, lpErrno), WSAENOTSOCK);
        CHECK_WSA(WSPCloseSocket(us[j], lpErrno), WSAENOTSOCK);
    }
    /* Both kinds still work after the cross calls. */
    for (int j = 0; j < U; j++) CHECK(query_ok(us[j]) == &us[j]);
    for (int i = 0; i < P; i++) {
        int type = 0, len = sizeof type;
        CHECK_OK(WSPGetSockOpt(ps[i], SOL_SOCKET, SO_TYPE, (char *)&type, &len, lpErrno));
        CHECK_EQ(type, i % 2 ? SOCK_DGRAM : SOCK_STREAM);
    }
    /* Close both; each stays dead for both kinds of call. */
    for (int i = 0; i < P; i++) CHECK_OK(WSPCloseSocket(ps[i], lpErrno));
    for (int j = 0; j < U; j++) CHECK_OK(WPUXxxCloseSocketHandle(us[j], lpErrno));
    for (int i = 0; i < P; i++) {
        check_not_upcall(ps[i]);
        CHECK_WSA(WSPCloseSocket(ps[i], lpErrno), WSAENOTSOCK);
    }
    for (int j = 0; j < U; j += 13) {
        check_not_upcall(us[j]);
        int flags = 0;
        CHECK_WSA(WSPRecv(us[j], buf, sizeof buf, &got, &flags, NULL, NULL, lpErrno), WSAENOTSOCK);
    }
    /* New sockets of either kind never take a closed value of the other. */
    for (int r = 0; r < 50; r++) {
        SOCKET p = t_socket(SOCK_STREAM);
        SOCKET u = create_ok(9, NULL);
        for (int j = 0; j < U; j++) CHECK(p != us[j]);
        for (int i = 0; i < P; i++) CHECK(u != ps[i]);
        CHECK_OK(WSPCloseSocket(p, lpErrno));
        CHECK_OK(WPUXxxCloseSocketHandle(u, lpErrno));
    }
    t_cleanup();
}

/* WSPSelect on an upcall handle is WSAENOTSOCK too. */
TEST(select_on_upcall_handle) {
    t_startup();
    SOCKET u = create_ok(1, NULL);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(u, &r);
    struct timeval tv = { 0, 0 };
    CHECK_WSA(WSPSelect(0, &r, NULL, NULL, &tv, lpErrno), WSAENOTSOCK);
    CHECK_OK(WPUXxxCloseSocketHandle(u, lpErrno));
    t_cleanup();
}

/* §4.1: WSAEMFILE when every handle is taken (65534 live); closing one
 * makes room for exactly one more, with a new value. */
TEST_T(exhaustion_is_emfile, 60) {
    static SOCKET h[UPCALL_LIMIT];
    for (int i = 0; i < UPCALL_LIMIT; i++) h[i] = create_ok(1, (void *)(long)(i + 1));
    CHECK_WSA(WPUXxxCreateSocketHandle(1, NULL, lpErrno), WSAEMFILE);
    CHECK_EQ(WPUXxxCreateSocketHandle(1, NULL, NULL), INVALID_SOCKET);
    /* Every handle is distinct and keeps its own context. */
    for (int i = 0; i < UPCALL_LIMIT; i += 101) CHECK(query_ok(h[i]) == (void *)(long)(i + 1));
    CHECK_OK(WPUXxxCloseSocketHandle(h[500], lpErrno));
    SOCKET again = create_ok(1, (void *)0x1234);
    CHECK(again != h[500]);
    CHECK(query_ok(again) == (void *)0x1234);
    check_not_upcall(h[500]);
    CHECK_WSA(WPUXxxCreateSocketHandle(1, NULL, lpErrno), WSAEMFILE);
    /* Provider sockets are not affected by a full upcall table. */
    t_startup();
    SOCKET p = t_socket(SOCK_STREAM);
    CHECK_OK(WSPCloseSocket(p, lpErrno));
    t_cleanup();
    for (int i = 0; i < UPCALL_LIMIT; i++) if (i != 500) CHECK_OK(WPUXxxCloseSocketHandle(h[i], lpErrno));
    CHECK_OK(WPUXxxCloseSocketHandle(again, lpErrno));
    SOCKET s = create_ok(1, NULL);
    CHECK_OK(WPUXxxCloseSocketHandle(s, lpErrno));
}

/* Thread safety: threads create, set, query and close at once. Every
 * handle held at the same moment is distinct, each thread sees only its own
 * contexts, and every closed handle is dead at the end. */
enum { THREADS = 8, HELD = 500, CYCLES = 20000 };
static SOCKET held[THREADS][HELD];
static SOCKET last_closed[THREADS][64];
static int failures;

static void *churn(void *p) {
    long t = (long)p;
    int err;
    for (int i = 0; i < HELD; i++) {
        held[t][i] = WPUXxxCreateSocketHandle((DWORD)t, (void *)(t << 32 | i), &err);
        if (held[t][i] == INVALID_SOCKET) __atomic_add_fetch(&failures, 1, __ATOMIC_SEQ_CST);
    }
    for (int c = 0; c < CYCLES; c++) {
        SOCKET s = WPUXxxCreateSocketHandle((DWORD)t, (void *)(t << 32 | 0xABC), &err);
        void *ctx = NULL;
        if (s == INVALID_SOCKET || WPUXxxQuerySocketHandleContext(s, &ctx, &err) != 0 || ctx != (void *)(t << 32 | 0xABC))
            __atomic_add_fetch(&failures, 1, __ATOMIC_SEQ_CST);
        if (WPUXxxSetSocketHandleContext(s, (void *)(t << 32 | c), &err) != 0 ||
            WPUXxxQuerySocketHandleContext(s, &ctx, &err) != 0 || ctx != (void *)(t << 32 | c))
            __atomic_add_fetch(&failures, 1, __ATOMIC_SEQ_CST);
        if (WPUXxxCloseSocketHandle(s, &err) != 0) __atomic_add_fetch(&failures, 1, __ATOMIC_SEQ_CST);
        last_closed[t][c % 64] = s;
    }
    for (int i = 0; i < HELD; i++) {
        void *ctx = NULL;
        if (WPUXxxQuerySocketHandleContext(held[t][i], &ctx, &err) != 0 || ctx != (void *)(t << 32 | i))
            __atomic_add_fetch(&failures, 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

static int cmp_socket(const void *a, const void *b) {
    SOCKET x = *(const SOCKET *)a, y = *(const SOCKET *)b;
    return x < y ? -1 : x > y;
}

static void *close_held(void *p) {
    long t = (long)p;
    int err;
    for (int i = 0; i < HELD; i++)
        if (WPUXxxCloseSocketHandle(held[t][i], &err) != 0) __atomic_add_fetch(&failures, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

TEST_T(threads_create_and_close_concurrently, 60) {
    pthread_t th[THREADS];
    for (long t = 0; t < THREADS; t++) CHECK_EQ(pthread_create(&th[t], NULL, churn, (void *)t), 0);
    for (int t = 0; t < THREADS; t++) pthread_join(th[t], NULL);
    CHECK_EQ(failures, 0);
    static SOCKET all[THREADS * HELD];
    memcpy(all, held, sizeof all);
    qsort(all, THREADS * HELD, sizeof all[0], cmp_socket);
    for (int i = 1; i < THREADS * HELD; i++) CHECK(all[i] != all[i - 1]);
    for (int t = 0; t < THREADS; t++) for (int i = 0; i < 64; i++) check_not_upcall(last_closed[t][i]);
    for (long t = 0; t < THREADS; t++) CHECK_EQ(pthread_create(&th[t], NULL, close_held, (void *)t), 0);
    for (int t = 0; t < THREADS; t++) pthread_join(th[t], NULL);
    CHECK_EQ(failures, 0);
    for (int i = 0; i < THREADS * HELD; i += 7) check_not_upcall(all[i]);
}

/* Two threads racing to close one handle: exactly one wins. */
static SOCKET race_handle;
static int race_wins, race_go;
static void *race_close(void *p) {
    (void)p;
    int err;
    while (!__atomic_load_n(&race_go, __ATOMIC_SEQ_CST)) {}
    if (WPUXxxCloseSocketHandle(race_handle, &err) == 0) __atomic_add_fetch(&race_wins, 1, __ATOMIC_SEQ_CST);
    else if (err != WSAENOTSOCK) __atomic_add_fetch(&failures, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

TEST(racing_closes_one_wins) {
    for (int round = 0; round < 200; round++) {
        race_handle = create_ok(1, NULL);
        race_wins = 0;
        race_go = 0;
        pthread_t a, b;
        CHECK_EQ(pthread_create(&a, NULL, race_close, NULL), 0);
        CHECK_EQ(pthread_create(&b, NULL, race_close, NULL), 0);
        __atomic_store_n(&race_go, 1, __ATOMIC_SEQ_CST);
        pthread_join(a, NULL);
        pthread_join(b, NULL);
        CHECK_EQ(race_wins, 1);
        CHECK_EQ(failures, 0);
    }
}
