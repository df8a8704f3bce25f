/* Pointers below 64 KiB (RULINGS §4): "A pointer below 64 KiB (Windows never
 * maps that range; Linux's mmap_min_addr keeps it unmapped) is treated like
 * NULL: WSAEFAULT", and "A NULL lpErrno never crashes".
 *
 * Every exported function that takes a pointer gets (void *)1 and
 * (void *)0xFFFF in each pointer position in turn, the other arguments
 * valid (on a socket where the bad pointer would be used at once), and must
 * fail with WSAEFAULT through its own error convention: *lpErrno, the return
 * code of WSPStartup, or FALSE / WSA_WAIT_FAILED / -1 with WSAGetLastError()
 * for the host services. Each position is its own test, so one crash does
 * not hide the others. A low lpErrno is never written (like NULL): every
 * lpErrno function is called failing with lpErrno (int *)8 and (int *)0xFFFF.
 *
 * Not pointers, left alone: handles (SOCKET, WSAEVENT, HWND) and the opaque
 * values dwCallbackData, dwContext, and the lpContext stored by
 * WPUXxxCreateSocketHandle / WPUXxxSetSocketHandleContext (a value, never
 * dereferenced). A buffer whose length is 0 is never read, so a low pointer
 * there behaves like NULL (no error), as for a Rust empty slice. */
#define _GNU_SOURCE
#include "harness.h"
#include <dlfcn.h>

static void *const low[2] = { (void *)1, (void *)0xFFFF };
#define EACH_LOW for (int k_ = 0; k_ < 2; k_++) for (void *bad = low[k_], *once_ = bad; once_; once_ = NULL)

/* A call that fails with SOCKET_ERROR / INVALID_SOCKET and WSAEFAULT in
 * *lpErrno; then the same call with a low lpErrno fails and writes nothing. */
#define CHECK_FAULT(call) do { CHECK_WSA(call, WSAEFAULT); \
    for (int e_ = 0; e_ < 2; e_++) { int *lpErrno = e_ ? (int *)0xFFFF : (int *)8; \
        CHECK_EQ((int)(call), SOCKET_ERROR); } } while (0)

/* A host service: `failed` is true, and WSAGetLastError() is WSAEFAULT. */
#define CHECK_LAST_FAULT(failed) do { WSASetLastError(0); CHECK(failed); CHECK_EQ(WSAGetLastError(), WSAEFAULT); } while (0)

static struct sockaddr_in addr_of(SOCKET s) {
    struct sockaddr_in a;
    int len = sizeof a;
    CHECK_OK(WSPGetSockName(s, (struct sockaddr *)&a, &len, lpErrno));
    return a;
}

/* A listener with one connection waiting (its client in *client). */
static SOCKET pending_listener(SOCKET *client) {
    struct sockaddr_in a;
    SOCKET l = t_listener(&a);
    SOCKET c = t_socket(SOCK_STREAM);
    CHECK_OK(WSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno));
    if (client) *client = c;
    return l;
}

/* A connected TCP pair whose server side `*s` has 4 bytes to read. */
static void pair_with_data(SOCKET *c, SOCKET *s) {
    t_tcp_pair(c, s);
    CHECK_EQ(t_send_all(*c, "data", 4), 0);
    t_sleep_ms(20);
}

/* An overlapped client socket connected to a server, with 4 bytes to read. */
static void overlapped_pair(SOCKET *ovc, SOCKET *s) {
    SOCKET l = t_listener(NULL);
    struct sockaddr_in a = addr_of(l);
    int err = 0;
    SOCKET c = WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, WSA_FLAG_OVERLAPPED, &err);
    CHECK(c != INVALID_SOCKET);
    /* An overlapped socket is non-blocking: connect, then wait for it. */
    int r = WSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, &err);
    CHECK(r == 0 || err == WSAEWOULDBLOCK);
    SOCKET srv = WSPAccept(l, NULL, NULL, NULL, 0, &err);
    CHECK(srv != INVALID_SOCKET);
    for (int i = 0; i < 100; i++) {
        fd_set w;
        FD_ZERO(&w);
        FD_SET(c, &w);
        struct timeval tv = { 0, 10000 };
        if (WSPSelect(0, NULL, &w, NULL, &tv, &err) == 1) break;
    }
    CHECK_EQ(t_send_all(srv, "data", 4), 0);
    t_sleep_ms(20);
    *ovc = c;
    *s = srv;
}

/* A bound UDP socket with one datagram waiting, and its sender. */
static SOCKET udp_with_datagram(SOCKET *sender, struct sockaddr_in *to) {
    struct sockaddr_in a;
    SOCKET r = t_udp_bound(&a);
    SOCKET u = t_udp_bound(NULL);
    DWORD n = 0;
    CHECK_OK(WSPSendTo(u, "dgram", 5, &n, 0, (struct sockaddr *)&a, sizeof a, NULL, NULL, lpErrno));
    t_sleep_ms(20);
    if (sender) *sender = u;
    if (to) *to = a;
    return r;
}

static void CALLBACK done_routine(DWORD e, DWORD cb, LPWSAOVERLAPPED o) { (void)e; (void)cb; (void)o; }

/* ---- start-up and clean-up ---- */

TEST(startup_data) {
    EACH_LOW CHECK_EQ(WSPStartup(MAKEWORD(2, 0), bad), WSAEFAULT);
    CHECK_EQ(WSPStartup(MAKEWORD(2, 0), NULL), WSAEFAULT);
}

TEST(cleanup_callback) {
    t_startup();
    EACH_LOW CHECK_FAULT(WSPCleanup((LPCLEANUPPROC)bad, 0, lpErrno));
    t_sleep_ms(50);
    t_cleanup();   /* still started: the failing calls changed nothing */
}

/* ---- sockets ---- */

TEST(bind_name) {
    t_startup();
    SOCKET s = t_socket(SOCK_STREAM);
    EACH_LOW CHECK_FAULT(WSPBind(s, bad, sizeof(struct sockaddr_in), lpErrno));
    CHECK_WSA(WSPBind(s, NULL, sizeof(struct sockaddr_in), lpErrno), WSAEFAULT);
}

TEST(accept_addr) {
    t_startup();
    SOCKET l = pending_listener(NULL);
    int len = sizeof(struct sockaddr_in);
    EACH_LOW CHECK_FAULT(WSPAccept(l, bad, &len, NULL, 0, lpErrno));
}

TEST(accept_addrlen) {
    t_startup();
    SOCKET l = pending_listener(NULL);
    struct sockaddr_in a;
    EACH_LOW CHECK_FAULT(WSPAccept(l, (struct sockaddr *)&a, bad, NULL, 0, lpErrno));
}

TEST(accept_condition) {
    t_startup();
    SOCKET l = pending_listener(NULL);
    EACH_LOW CHECK_FAULT(WSPAccept(l, NULL, NULL, (LPCONDITIONPROC)bad, 0, lpErrno));
    /* The connection is still there for a good call. */
    int err = 0;
    CHECK(WSPAccept(l, NULL, NULL, NULL, 0, &err) != INVALID_SOCKET);
}

/* WSPConnect: each pointer on a fresh socket towards a live listener, so a
 * pointer that got through would be used (or the connection made). */
#define CONNECT_FAULT(name, caller, callee, sflow, gflow) do { \
    SOCKET l_ = t_listener(NULL); struct sockaddr_in a_ = addr_of(l_); (void)a_; \
    EACH_LOW { SOCKET c_ = t_socket(SOCK_STREAM); \
        CHECK_FAULT(WSPConnect(c_, name, sizeof a_, caller, callee, 0, sflow, gflow, lpErrno)); } } while (0)

TEST(connect_name) {
    t_startup();
    CONNECT_FAULT(bad, NULL, NULL, NULL, NULL);
}

TEST(connect_callerdata) {
    t_startup();
    CONNECT_FAULT((struct sockaddr *)&a_, bad, NULL, NULL, NULL);
}

TEST(connect_calleedata) {
    t_startup();
    CONNECT_FAULT((struct sockaddr *)&a_, NULL, bad, NULL, NULL);
}

TEST(connect_sflowspec) {
    t_startup();
    CONNECT_FAULT((struct sockaddr *)&a_, NULL, NULL, bad, NULL);
}

TEST(connect_gflowspec) {
    t_startup();
    CONNECT_FAULT((struct sockaddr *)&a_, NULL, NULL, NULL, bad);
}

/* WSABUF.buf inside lpCallerData / lpCalleeData: low with a length is
 * WSAEFAULT; with length 0 it is never used (like NULL). */
TEST(connect_callerdata_buf) {
    t_startup();
    WSABUF b = { 4, NULL };
    CONNECT_FAULT((struct sockaddr *)&a_, (b.buf = bad, &b), NULL, NULL, NULL);
    SOCKET l = t_listener(NULL);
    struct sockaddr_in a = addr_of(l);
    WSABUF empty = { 0, (char *)1 };
    CHECK_OK(WSPConnect(t_socket(SOCK_STREAM), (struct sockaddr *)&a, sizeof a, &empty, NULL, 0, NULL, NULL, lpErrno));
}

TEST(connect_calleedata_buf) {
    t_startup();
    WSABUF b = { 4, NULL };
    CONNECT_FAULT((struct sockaddr *)&a_, NULL, (b.buf = bad, &b), NULL, NULL);
    SOCKET l = t_listener(NULL);
    struct sockaddr_in a = addr_of(l);
    WSABUF empty = { 0, (char *)1 };
    CHECK_OK(WSPConnect(t_socket(SOCK_STREAM), (struct sockaddr *)&a, sizeof a, NULL, &empty, 0, NULL, NULL, lpErrno));
    CHECK_EQ(empty.len, 0);
}

TEST(getpeername_name) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    int len = sizeof(struct sockaddr_in);
    EACH_LOW CHECK_FAULT(WSPGetPeerName(c, bad, &len, lpErrno));
}

TEST(getpeername_namelen) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    struct sockaddr_in a;
    EACH_LOW CHECK_FAULT(WSPGetPeerName(c, (struct sockaddr *)&a, bad, lpErrno));
}

TEST(getsockname_name) {
    t_startup();
    SOCKET s = t_listener(NULL);
    int len = sizeof(struct sockaddr_in);
    EACH_LOW CHECK_FAULT(WSPGetSockName(s, bad, &len, lpErrno));
}

TEST(getsockname_namelen) {
    t_startup();
    SOCKET s = t_listener(NULL);
    struct sockaddr_in a;
    EACH_LOW CHECK_FAULT(WSPGetSockName(s, (struct sockaddr *)&a, bad, lpErrno));
}

TEST(getsockopt_optval) {
    t_startup();
    SOCKET s = t_socket(SOCK_STREAM);
    int len = sizeof(int);
    EACH_LOW CHECK_FAULT(WSPGetSockOpt(s, SOL_SOCKET, SO_REUSEADDR, bad, &len, lpErrno));
}

TEST(getsockopt_optlen) {
    t_startup();
    SOCKET s = t_socket(SOCK_STREAM);
    int v = 0;
    EACH_LOW CHECK_FAULT(WSPGetSockOpt(s, SOL_SOCKET, SO_REUSEADDR, (char *)&v, bad, lpErrno));
}

TEST(setsockopt_optval) {
    t_startup();
    SOCKET s = t_socket(SOCK_STREAM);
    EACH_LOW CHECK_FAULT(WSPSetSockOpt(s, SOL_SOCKET, SO_REUSEADDR, bad, sizeof(int), lpErrno));
    EACH_LOW CHECK_FAULT(WSPSetSockOpt(s, SOL_SOCKET, SO_LINGER, bad, sizeof(struct linger), lpErrno));
}

/* The ruling's own example. */
TEST(ioctl_argp) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    EACH_LOW {
        CHECK_FAULT(WSPIoctlSocket(s, FIONBIO, bad, lpErrno));
        CHECK_FAULT(WSPIoctlSocket(s, FIONREAD, bad, lpErrno));
        CHECK_FAULT(WSPIoctlSocket(s, SIOCATMARK, bad, lpErrno));
    }
    CHECK_WSA(WSPIoctlSocket(s, FIONBIO, NULL, lpErrno), WSAEFAULT);
}

/* WSPSelect: a readable socket in every good set, a zero timeout. */
static void select_fault(int which) {
    t_startup();
    SOCKET c, s;
    pair_with_data(&c, &s);
    EACH_LOW {
        fd_set r, w, e;
        FD_ZERO(&r); FD_ZERO(&w); FD_ZERO(&e);
        FD_SET(s, &r); FD_SET(s, &w); FD_SET(s, &e);
        struct timeval tv = { 0, 0 };
        CHECK_FAULT(WSPSelect(0, which == 0 ? bad : (void *)&r, which == 1 ? bad : (void *)&w,
                              which == 2 ? bad : (void *)&e, which == 3 ? bad : (void *)&tv, lpErrno));
    }
}
TEST(select_readfds) { select_fault(0); }
TEST(select_writefds) { select_fault(1); }
TEST(select_exceptfds) { select_fault(2); }
TEST(select_timeout) { select_fault(3); }

/* ---- data transfer ---- */

TEST(recv_buffer) {
    t_startup();
    SOCKET c, s;
    pair_with_data(&c, &s);
    DWORD n = 0;
    int flags = 0;
    EACH_LOW CHECK_FAULT(WSPRecv(s, bad, 4, &n, &flags, NULL, NULL, lpErrno));
    EACH_LOW { flags = MSG_OOB; CHECK_FAULT(WSPRecv(s, bad, 4, &n, &flags, NULL, NULL, lpErrno)); }
    /* The data is still there; length 0 never touches the buffer. */
    flags = 0;
    CHECK_OK(WSPRecv(s, (char *)1, 0, &n, &flags, NULL, NULL, lpErrno));
    char buf[4];
    CHECK_EQ(t_recv_exact(s, buf, 4), 0);
}

TEST(recv_bytes) {
    t_startup();
    SOCKET c, s;
    pair_with_data(&c, &s);
    char buf[8];
    int flags = 0;
    EACH_LOW CHECK_FAULT(WSPRecv(s, buf, sizeof buf, bad, &flags, NULL, NULL, lpErrno));
}

TEST(recv_flags) {
    t_startup();
    SOCKET c, s;
    pair_with_data(&c, &s);
    char buf[8];
    DWORD n;
    EACH_LOW CHECK_FAULT(WSPRecv(s, buf, sizeof buf, &n, bad, NULL, NULL, lpErrno));
}

TEST(recv_overlapped) {
    t_startup();
    SOCKET c, s;
    char buf[8];
    DWORD n;
    int flags = 0;
    overlapped_pair(&c, &s);
    EACH_LOW CHECK_FAULT(WSPRecv(c, buf, sizeof buf, &n, &flags, bad, NULL, lpErrno));
    EACH_LOW CHECK_FAULT(WSPRecv(c, buf, sizeof buf, &n, &flags, bad, done_routine, lpErrno));
    /* Also on a socket without the flag, where a good lpOverlapped is ignored. */
    SOCKET pc, ps;
    pair_with_data(&pc, &ps);
    EACH_LOW CHECK_FAULT(WSPRecv(ps, buf, sizeof buf, &n, &flags, bad, NULL, lpErrno));
}

TEST(recv_completion) {
    t_startup();
    SOCKET c, s;
    char buf[8];
    DWORD n;
    int flags = 0;
    WSAOVERLAPPED o;
    memset(&o, 0, sizeof o);
    overlapped_pair(&c, &s);
    EACH_LOW CHECK_FAULT(WSPRecv(c, buf, sizeof buf, &n, &flags, &o, bad, lpErrno));
    SleepEx(50, TRUE);
}

/* WSPRecvFrom on a UDP socket with a datagram waiting. */
TEST(recvfrom_each) {
    t_startup();
    SOCKET r = udp_with_datagram(NULL, NULL);
    char buf[16];
    DWORD n;
    int flags = 0;
    struct sockaddr_in from;
    int fromlen = sizeof from;
    EACH_LOW {
        CHECK_FAULT(WSPRecvFrom(r, bad, sizeof buf, &n, &flags, (struct sockaddr *)&from, &fromlen, NULL, NULL, lpErrno));
        CHECK_FAULT(WSPRecvFrom(r, buf, sizeof buf, bad, &flags, (struct sockaddr *)&from, &fromlen, NULL, NULL, lpErrno));
        CHECK_FAULT(WSPRecvFrom(r, buf, sizeof buf, &n, bad, (struct sockaddr *)&from, &fromlen, NULL, NULL, lpErrno));
        CHECK_FAULT(WSPRecvFrom(r, buf, sizeof buf, &n, &flags, bad, &fromlen, NULL, NULL, lpErrno));
        CHECK_FAULT(WSPRecvFrom(r, buf, sizeof buf, &n, &flags, (struct sockaddr *)&from, bad, NULL, NULL, lpErrno));
        CHECK_FAULT(WSPRecvFrom(r, buf, sizeof buf, &n, &flags, (struct sockaddr *)&from, &fromlen, bad, NULL, lpErrno));
        CHECK_FAULT(WSPRecvFrom(r, buf, sizeof buf, &n, &flags, (struct sockaddr *)&from, &fromlen, NULL, bad, lpErrno));
    }
    /* The datagram is still there. */
    CHECK_OK(WSPRecvFrom(r, buf, sizeof buf, &n, &flags, (struct sockaddr *)&from, &fromlen, NULL, NULL, lpErrno));
    CHECK_EQ(n, 5);
}

/* The positions of WSPRecvFrom one per test (to see which crash). */
TEST(recvfrom_from) {
    t_startup();
    SOCKET r = udp_with_datagram(NULL, NULL);
    char buf[16];
    DWORD n;
    int flags = 0, fromlen = sizeof(struct sockaddr_in);
    EACH_LOW CHECK_FAULT(WSPRecvFrom(r, buf, sizeof buf, &n, &flags, bad, &fromlen, NULL, NULL, lpErrno));
}

TEST(recvfrom_fromlen) {
    t_startup();
    SOCKET r = udp_with_datagram(NULL, NULL);
    char buf[16];
    DWORD n;
    int flags = 0;
    struct sockaddr_in from;
    EACH_LOW CHECK_FAULT(WSPRecvFrom(r, buf, sizeof buf, &n, &flags, (struct sockaddr *)&from, bad, NULL, NULL, lpErrno));
}

TEST(recvfrom_buffer) {
    t_startup();
    SOCKET r = udp_with_datagram(NULL, NULL);
    DWORD n;
    int flags = 0;
    EACH_LOW CHECK_FAULT(WSPRecvFrom(r, bad, 16, &n, &flags, NULL, NULL, NULL, NULL, lpErrno));
}

TEST(send_buffer) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    DWORD n;
    EACH_LOW CHECK_FAULT(WSPSend(c, bad, 4, &n, 0, NULL, NULL, lpErrno));
    CHECK_OK(WSPSend(c, (char *)1, 0, &n, 0, NULL, NULL, lpErrno));
}

TEST(send_bytes) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    EACH_LOW CHECK_FAULT(WSPSend(c, "data", 4, bad, 0, NULL, NULL, lpErrno));
}

TEST(send_overlapped) {
    t_startup();
    SOCKET c, s;
    DWORD n;
    overlapped_pair(&c, &s);
    EACH_LOW CHECK_FAULT(WSPSend(c, "data", 4, &n, 0, bad, NULL, lpErrno));
}

TEST(send_completion) {
    t_startup();
    SOCKET c, s;
    DWORD n;
    WSAOVERLAPPED o;
    memset(&o, 0, sizeof o);
    overlapped_pair(&c, &s);
    EACH_LOW CHECK_FAULT(WSPSend(c, "data", 4, &n, 0, &o, bad, lpErrno));
    SleepEx(50, TRUE);
}

TEST(sendto_each) {
    t_startup();
    struct sockaddr_in to;
    SOCKET u;
    udp_with_datagram(&u, &to);
    DWORD n;
    WSAOVERLAPPED o;
    memset(&o, 0, sizeof o);
    EACH_LOW {
        CHECK_FAULT(WSPSendTo(u, bad, 4, &n, 0, (struct sockaddr *)&to, sizeof to, NULL, NULL, lpErrno));
        CHECK_FAULT(WSPSendTo(u, "data", 4, bad, 0, (struct sockaddr *)&to, sizeof to, NULL, NULL, lpErrno));
        CHECK_FAULT(WSPSendTo(u, "data", 4, &n, 0, bad, sizeof to, NULL, NULL, lpErrno));
        CHECK_FAULT(WSPSendTo(u, "data", 4, &n, 0, (struct sockaddr *)&to, sizeof to, bad, NULL, lpErrno));
        CHECK_FAULT(WSPSendTo(u, "data", 4, &n, 0, (struct sockaddr *)&to, sizeof to, &o, bad, lpErrno));
    }
}

TEST(sendto_to) {
    t_startup();
    SOCKET u = t_udp_bound(NULL);
    DWORD n;
    EACH_LOW CHECK_FAULT(WSPSendTo(u, "data", 4, &n, 0, bad, sizeof(struct sockaddr_in), NULL, NULL, lpErrno));
}

/* ---- notification models ---- */

TEST(callbackselect_callback) {
    t_startup();
    SOCKET c, s;
    pair_with_data(&c, &s);
    EACH_LOW {
        CHECK_FAULT(WSPCallbackSelect16(s, (LPSELECTPROC)bad, 0, FD_READ | FD_WRITE, lpErrno));
        CHECK_FAULT(WSPCallbackSelect16(s, (LPSELECTPROC)bad, 0, 0, lpErrno));
    }
    t_sleep_ms(100);   /* a callback that got through would run (and crash) here */
}

TEST(enumnetworkevents_records) {
    t_startup();
    SOCKET c, s;
    pair_with_data(&c, &s);
    WSAEVENT e = WSACreateEvent();
    CHECK(e != NULL);
    CHECK_OK(WSPEventSelect(s, e, FD_READ, lpErrno));
    int count = FD_MAX_EVENTS;
    EACH_LOW CHECK_FAULT(WSPEnumNetworkEvents(s, e, bad, &count, lpErrno));
    t_sleep_ms(50);
    /* The events are still there for a good call. */
    WSANETWORKEVENT ev[FD_MAX_EVENTS];
    CHECK_OK(WSPEnumNetworkEvents(s, e, ev, &count, lpErrno));
    CHECK(ev[FD_READ_BIT].Fired);
}

TEST(enumnetworkevents_count) {
    t_startup();
    SOCKET c, s;
    pair_with_data(&c, &s);
    WSANETWORKEVENT ev[FD_MAX_EVENTS];
    EACH_LOW CHECK_FAULT(WSPEnumNetworkEvents(s, NULL, ev, bad, lpErrno));
}

/* ---- blocking hooks ---- */

struct late { SOCKET s; };
static void *late_send(void *p) {
    t_sleep_ms(100);
    t_send_all(((struct late *)p)->s, "x", 1);
    return NULL;
}

TEST(setblockinghook_func) {
    t_startup();
    EACH_LOW {
        int err = 0;
        CHECK(WSPSetBlockingHook32((LPBLOCKINGPROC)bad, &err) == NULL);
        CHECK_EQ(err, WSAEFAULT);
        CHECK(WSPSetBlockingHook32((LPBLOCKINGPROC)bad, (int *)8) == NULL);
    }
    /* A blocking call now runs the default hook, not the low one. */
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    struct late l = { c };
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, late_send, &l), 0);
    char b;
    CHECK_EQ(t_recv_exact(s, &b, 1), 0);
    pthread_join(th, NULL);
}

TEST(fdisset_set) {
    t_startup();
    SOCKET s = t_socket(SOCK_STREAM);
    EACH_LOW CHECK_EQ(__WSAFDIsSet(s, bad), 0);
    CHECK_EQ(__WSAFDIsSet(s, NULL), 0);
    fd_set set;
    FD_ZERO(&set);
    FD_SET(s, &set);
    CHECK(FD_ISSET(s, &set));
}

/* ---- host services ---- */

TEST(wait_events) {
    EACH_LOW CHECK_LAST_FAULT(WSAWaitForMultipleEvents(1, bad, FALSE, 0, FALSE) == WSA_WAIT_FAILED);
    CHECK_LAST_FAULT(WSAWaitForMultipleEvents(1, NULL, FALSE, 0, FALSE) == WSA_WAIT_FAILED);
}

TEST(queueapc_function) {
    DWORD me = WPUXxxGetCurrentThreadId32();
    EACH_LOW CHECK_FAULT(WPUXxxQueueUserAPC32(me, (LPWSAUSERAPC)bad, 1, lpErrno));
    CHECK_EQ(SleepEx(20, TRUE), 0);   /* nothing was queued */
}

TEST(getmessage_msg) {
    t_startup();
    HWND h = WS2CreateMessageWindow();
    CHECK(h != NULL);
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_OK(WSPAsyncSelect32(c, h, 0x401, FD_WRITE, lpErrno));   /* a message waits */
    t_sleep_ms(50);
    EACH_LOW CHECK_LAST_FAULT(WS2GetMessage(bad, h, 0) == FALSE);
    WS2MSG m;
    CHECK(WS2GetMessage(&m, h, 1000));
    CHECK_EQ(m.message, 0x401);
}

static void overlapped_done(SOCKET *c, WSAOVERLAPPED *o) {
    SOCKET s;
    overlapped_pair(c, &s);
    memset(o, 0, sizeof *o);
    DWORD n = 0;
    int err = 0;
    int r = WSPSend(*c, "data", 4, &n, 0, o, NULL, &err);
    CHECK(r == 0 || err == WSA_IO_PENDING);
    DWORD cb = 0, fl = 0;
    CHECK(WSAGetOverlappedResult(*c, o, &cb, TRUE, &fl));
    CHECK_EQ(cb, 4);
}

TEST(overlappedresult_overlapped) {
    t_startup();
    SOCKET c;
    WSAOVERLAPPED o;
    overlapped_done(&c, &o);
    DWORD cb, fl;
    EACH_LOW CHECK_LAST_FAULT(!WSAGetOverlappedResult(c, bad, &cb, FALSE, &fl));
    EACH_LOW CHECK_LAST_FAULT(!WSAGetOverlappedResult(c, bad, &cb, TRUE, &fl));
}

TEST(overlappedresult_transfer) {
    t_startup();
    SOCKET c;
    WSAOVERLAPPED o;
    overlapped_done(&c, &o);
    DWORD fl;
    EACH_LOW CHECK_LAST_FAULT(!WSAGetOverlappedResult(c, &o, bad, FALSE, &fl));
}

TEST(overlappedresult_flags) {
    t_startup();
    SOCKET c;
    WSAOVERLAPPED o;
    overlapped_done(&c, &o);
    DWORD cb;
    EACH_LOW CHECK_LAST_FAULT(!WSAGetOverlappedResult(c, &o, &cb, FALSE, bad));
}

/* ---- upcalls ---- */

TEST(querycontext_ptr) {
    int err = 0;
    SOCKET h = WPUXxxCreateSocketHandle(1, (void *)5, &err);   /* (void *)5: a context value, not a pointer */
    CHECK(h != INVALID_SOCKET);
    EACH_LOW CHECK_FAULT(WPUXxxQuerySocketHandleContext(h, bad, lpErrno));
    CHECK_OK(WPUXxxSetSocketHandleContext(h, (void *)7, lpErrno));
    void *ctx = NULL;
    CHECK_OK(WPUXxxQuerySocketHandleContext(h, &ctx, lpErrno));
    CHECK(ctx == (void *)7);
}

/* ---- the catalog ---- */

static PROTOCOL_INFO tcp_info(void) {
    PROTOCOL_INFO p = { 0x1066, AF_INET, 16, 16, SOCK_STREAM, IPPROTO_TCP, 0, (char *)"TCP/IP" };
    return p;
}

/* The installed library this test is linked against. */
static const char *library_path(void) {
    Dl_info info;
    if (!dladdr((void *)WSPStartup, &info) || !info.dli_fname) harness_fail(__FILE__, __LINE__, "dladdr(WSPStartup) failed");
    return info.dli_fname;
}

static void install_self(void) {
    PROTOCOL_INFO p = tcp_info();
    DWORD id = 0;
    CHECK_OK(WPUInstallProvider("tcpip", library_path(), &p, 1, &id, lpErrno));
}

TEST(install_each) {
    t_new_catalog(NULL);
    PROTOCOL_INFO p = tcp_info(), two[2] = { tcp_info(), tcp_info() };
    DWORD id = 0;
    EACH_LOW {
        CHECK_FAULT(WPUInstallProvider(bad, "/a.so", &p, 1, &id, lpErrno));
        CHECK_FAULT(WPUInstallProvider("x", bad, &p, 1, &id, lpErrno));
        CHECK_FAULT(WPUInstallProvider("x", "/a.so", bad, 1, &id, lpErrno));
        CHECK_FAULT(WPUInstallProvider("x", "/a.so", &p, 1, bad, lpErrno));
        PROTOCOL_INFO q = tcp_info();
        q.lpProtocol = bad;
        CHECK_FAULT(WPUInstallProvider("x", "/a.so", &q, 1, &id, lpErrno));
        two[1].lpProtocol = bad;
        CHECK_FAULT(WPUInstallProvider("x", "/a.so", two, 2, &id, lpErrno));
    }
    /* Nothing was written: "x" installs now. */
    CHECK_OK(WPUInstallProvider("x", "/a.so", &p, 1, &id, lpErrno));
    t_drop_catalog();
}

TEST(install_name) {
    t_new_catalog(NULL);
    PROTOCOL_INFO p = tcp_info();
    DWORD id;
    EACH_LOW CHECK_FAULT(WPUInstallProvider(bad, "/a.so", &p, 1, &id, lpErrno));
    t_drop_catalog();
}

TEST(install_list) {
    t_new_catalog(NULL);
    DWORD id;
    EACH_LOW CHECK_FAULT(WPUInstallProvider("x", "/a.so", bad, 1, &id, lpErrno));
    t_drop_catalog();
}

TEST(install_id) {
    t_new_catalog(NULL);
    PROTOCOL_INFO p = tcp_info();
    EACH_LOW CHECK_FAULT(WPUInstallProvider("x", "/a.so", &p, 1, bad, lpErrno));
    t_drop_catalog();
}

TEST(install_lpprotocol) {
    t_new_catalog(NULL);
    PROTOCOL_INFO p = tcp_info();
    DWORD id;
    EACH_LOW { p.lpProtocol = bad; CHECK_FAULT(WPUInstallProvider("x", "/a.so", &p, 1, &id, lpErrno)); }
    t_drop_catalog();
}

TEST(enumprotocols_filter) {
    t_new_catalog(NULL);
    install_self();
    char buf[4096];
    DWORD len = sizeof buf;
    EACH_LOW CHECK_LAST_FAULT(WSAEnumProtocols(bad, (PROTOCOL_INFO *)buf, &len) == SOCKET_ERROR);
    t_drop_catalog();
}

TEST(enumprotocols_buffer) {
    t_new_catalog(NULL);
    install_self();
    DWORD len = 4096;
    EACH_LOW CHECK_LAST_FAULT(WSAEnumProtocols(NULL, bad, &len) == SOCKET_ERROR);
    CHECK_EQ(len, 4096);
    t_drop_catalog();
}

TEST(enumprotocols_length) {
    t_new_catalog(NULL);
    install_self();
    char buf[4096];
    EACH_LOW CHECK_LAST_FAULT(WSAEnumProtocols(NULL, (PROTOCOL_INFO *)buf, bad) == SOCKET_ERROR);
    t_drop_catalog();
}

/* ---- the host API ---- */

TEST(hoststartup_path) {
    t_new_catalog(NULL);
    install_self();
    DWORD n;
    EACH_LOW CHECK_FAULT(WS2HostStartup(bad, &n, lpErrno));
    t_drop_catalog();
}

TEST(hoststartup_num) {
    t_new_catalog(NULL);
    install_self();
    EACH_LOW CHECK_FAULT(WS2HostStartup(NULL, bad, lpErrno));
    /* No session was started by the failing calls. */
    DWORD n = 0;
    CHECK_OK(WS2HostStartup(NULL, &n, lpErrno));
    CHECK_EQ(n, 1);
    CHECK_OK(WS2HostCleanup(lpErrno));
    t_drop_catalog();
}

TEST(hostroute_info) {
    t_new_catalog(NULL);
    install_self();
    DWORD n;
    CHECK_OK(WS2HostStartup(NULL, &n, lpErrno));
    EACH_LOW {
        int err = 0;
        CHECK(WS2HostRoute(AF_INET, SOCK_STREAM, IPPROTO_TCP, bad, &err) == NULL);
        CHECK_EQ(err, WSAEFAULT);
        CHECK(WS2HostRoute(AF_INET, SOCK_STREAM, IPPROTO_TCP, bad, (int *)8) == NULL);
    }
    CHECK_OK(WS2HostCleanup(lpErrno));
    t_drop_catalog();
}

TEST(hostsocket_provider) {
    t_new_catalog(NULL);
    install_self();
    DWORD n;
    CHECK_OK(WS2HostStartup(NULL, &n, lpErrno));
    EACH_LOW CHECK_FAULT(WS2HostSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, bad, lpErrno));
    CHECK_OK(WS2HostCleanup(lpErrno));
    t_drop_catalog();
}

/* ---- a low lpErrno is never written ---- */

/* Every lpErrno function, failing (a closed handle, a bad argument), with
 * lpErrno 8 and 0xFFFF: it fails and nothing crashes. */
TEST(low_errno_never_written) {
    SOCKET dead = 0xDEAD;
    for (int e = 0; e < 2; e++) {
        int *lpErrno = e ? (int *)0xFFFF : (int *)8;
        CHECK_EQ(WSPCleanup(NULL, 0, lpErrno), SOCKET_ERROR);   /* not started */
        t_startup();
        struct sockaddr_in a = t_loopback(1);
        char buf[4];
        DWORD n;
        int flags = 0, len = sizeof a;
        fd_set set;
        FD_ZERO(&set);
        FD_SET(dead, &set);
        WSANETWORKEVENT ev[FD_MAX_EVENTS];
        CHECK_EQ(WSPSocket(12345, SOCK_STREAM, 0, 0, 0, lpErrno), INVALID_SOCKET);
        CHECK_EQ(WSPBind(dead, (struct sockaddr *)&a, sizeof a, lpErrno), SOCKET_ERROR);
        CHECK_EQ(WSPListen(dead, 1, lpErrno), SOCKET_ERROR);
        CHECK_EQ(WSPAccept(dead, NULL, NULL, NULL, 0, lpErrno), INVALID_SOCKET);
        CHECK_EQ(WSPConnect(dead, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno), SOCKET_ERROR);
        CHECK_EQ(WSPCloseSocket(dead, lpErrno), SOCKET_ERROR);
        CHECK_EQ(WSPShutdown(dead, SD_BOTH, lpErrno), SOCKET_ERROR);
        CHECK_EQ(WSPGetPeerName(dead, (struct sockaddr *)&a, &len, lpErrno), SOCKET_ERROR);
        CHECK_EQ(WSPGetSockName(dead, (struct sockaddr *)&a, &len, lpErrno), SOCKET_ERROR);
        CHECK_EQ(WSPGetSockOpt(dead, SOL_SOCKET, SO_REUSEADDR, buf, &len, lpErrno), SOCKET_ERROR);
        CHECK_EQ(WSPSetSockOpt(dead, SOL_SOCKET, SO_REUSEADDR, buf, 4, lpErrno), SOCKET_ERROR);
        u_long arg = 1;
        CHECK_EQ(WSPIoctlSocket(dead, FIONBIO, &arg, lpErrno), SOCKET_ERROR);
        CHECK_EQ(WSPSelect(0, &set, NULL, NULL, NULL, lpErrno), SOCKET_ERROR);
        CHECK_EQ(WSPRecv(dead, buf, 4, &n, &flags, NULL, NULL, lpErrno), SOCKET_ERROR);
        CHECK_EQ(WSPRecvFrom(dead, buf, 4, &n, &flags, NULL, NULL, NULL, NULL, lpErrno), SOCKET_ERROR);
        CHECK_EQ(WSPSend(dead, buf, 4, &n, 0, NULL, NULL, lpErrno), SOCKET_ERROR);
        CHECK_EQ(WSPSendTo(dead, buf, 4, &n, 0, (struct sockaddr *)&a, sizeof a, NULL, NULL, lpErrno), SOCKET_ERROR);
        CHECK_EQ(WSPAsyncSelect32(dead, NULL, 0, 0, lpErrno), SOCKET_ERROR);
        CHECK_EQ(WSPCallbackSelect16(dead, NULL, 0, 0, lpErrno), SOCKET_ERROR);
        CHECK_EQ(WSPEventSelect(dead, NULL, 0, lpErrno), SOCKET_ERROR);
        CHECK_EQ(WSPEnumNetworkEvents(dead, NULL, ev, &len, lpErrno), SOCKET_ERROR);
        CHECK(WSPSetBlockingHook32(NULL, lpErrno) == NULL);
        CHECK_EQ(WSPCancelBlockingCall32(lpErrno), SOCKET_ERROR);    /* nothing is blocking */
        t_cleanup();
        CHECK_EQ(WSPUnhookBlockingHook32(lpErrno), SOCKET_ERROR);    /* not started */
        /* Upcalls, catalog, host API. */
        CHECK_EQ(WPUXxxQueueUserAPC32(0, NULL, 0, lpErrno), SOCKET_ERROR);
        CHECK_EQ(WPUXxxCloseSocketHandle(dead, lpErrno), SOCKET_ERROR);
        void *ctx;
        CHECK_EQ(WPUXxxQuerySocketHandleContext(dead, &ctx, lpErrno), SOCKET_ERROR);
        CHECK_EQ(WPUXxxSetSocketHandleContext(dead, NULL, lpErrno), SOCKET_ERROR);
        CHECK_EQ(WPUXxxCreateSocketHandle(1, NULL, lpErrno) == INVALID_SOCKET, 0);   /* succeeds, nothing written */
        CHECK_EQ(WPUInstallProvider(NULL, NULL, NULL, 0, NULL, lpErrno), SOCKET_ERROR);
        CHECK_EQ(WPUDeinstallProvider(0x7FFFFFFF, lpErrno), SOCKET_ERROR);
        CHECK_EQ(WS2HostCleanup(lpErrno), SOCKET_ERROR);             /* no session */
        CHECK(WS2HostGetProvider(0, lpErrno) == NULL);
        CHECK(WS2HostRoute(AF_INET, SOCK_STREAM, 0, NULL, lpErrno) == NULL);
        CHECK_EQ(WS2HostSocket(AF_INET, SOCK_STREAM, 0, 0, NULL, lpErrno), INVALID_SOCKET);
        CHECK_EQ(WS2HostStartup("", NULL, lpErrno), SOCKET_ERROR);
    }
}

/* RULINGS §3 first: with no start-up in force every entry point fails with
 * WSANOTINITIALISED, bad pointers or not (as Winsock checks start-up first). */
TEST(not_initialised_before_bad_pointer) {
    int err = 0;
    CHECK_EQ(WSPIoctlSocket(1, FIONBIO, (u_long *)1, &err), SOCKET_ERROR);
    CHECK_EQ(err, WSANOTINITIALISED);
    err = 0;
    CHECK_EQ(WSPGetSockName(1, (struct sockaddr *)1, (int *)0xFFFF, &err), SOCKET_ERROR);
    CHECK_EQ(err, WSANOTINITIALISED);
    err = 0;
    CHECK_EQ(WSPSelect(0, (fd_set *)1, NULL, NULL, NULL, &err), SOCKET_ERROR);
    CHECK_EQ(err, WSANOTINITIALISED);
    err = 0;
    CHECK_EQ(WSPSocket(AF_INET, SOCK_STREAM, 0, 0, 0, &err), INVALID_SOCKET);
    CHECK_EQ(err, WSANOTINITIALISED);
}
