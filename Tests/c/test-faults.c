/* Failure paths through the library's fault injection (WS2SPI_FAULTS, read
 * at every WSPStartup; README "Fault injection"): the engine's first
 * registration failing (epoll_ctl ENOMEM, eventfd EMFILE, the thread), and
 * socket(2) running out of descriptors. Issue 9: after a failed
 * registration the socket is exactly as before the call. */
#include "harness.h"

/* Arms `faults` with a second start-up (start-ups are counted). */
static void arm(const char *faults) {
    setenv("WS2SPI_FAULTS", faults, 1);
    WSADATA d;
    CHECK_EQ(WSPStartup(MAKEWORD(2, 0), &d), 0);
    unsetenv("WS2SPI_FAULTS");
}

static int signalled(WSAEVENT e, DWORD ms) {
    return WSAWaitForMultipleEvents(1, &e, FALSE, ms, FALSE) == WSA_WAIT_EVENT_0;
}

/* A failed first WSPEventSelect (WSAENOBUFS) leaves nothing behind: the next
 * one works (the event is set when data arrives), and closing the socket
 * gives its descriptor back. */
static void eventselect_after_failed_registration(const char *faults) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    arm(faults);
    WSAEVENT e = WSACreateEvent();
    CHECK_WSA(WSPEventSelect(s, e, FD_READ, lpErrno), WSAENOBUFS);
    CHECK_OK(WSPEventSelect(s, e, FD_READ, lpErrno));
    DWORD n = 0;
    CHECK_OK(WSPSend(c, "x", 1, &n, 0, NULL, NULL, lpErrno));
    CHECK(signalled(e, 2000));
    WSANETWORKEVENT ne[FD_MAX_EVENTS];
    int count = FD_MAX_EVENTS;
    CHECK_OK(WSPEnumNetworkEvents(s, e, ne, &count, lpErrno));
    CHECK(ne[FD_READ_BIT].Fired);
    /* closing gives the descriptor back (no cycle keeps the socket) */
    int with = t_count_fds();
    CHECK_OK(WSPCloseSocket(s, lpErrno));
    CHECK_EQ(t_count_fds(), with - 1);
    t_cleanup();
    t_cleanup();
}

/* A socket closed after its only registration failed gives its descriptor
 * back too. */
TEST(close_after_failed_registration) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    WSAEVENT e = WSACreateEvent();
    CHECK_OK(WSPEventSelect(c, e, FD_READ, lpErrno));   /* the engine runs */
    arm("epoll_ctl:ENOMEM");
    CHECK_WSA(WSPEventSelect(s, e, FD_READ, lpErrno), WSAENOBUFS);
    int with = t_count_fds();
    CHECK_OK(WSPCloseSocket(s, lpErrno));
    CHECK_EQ(t_count_fds(), with - 1);
    t_cleanup();
    t_cleanup();
}

TEST(eventselect_after_epoll_ctl_failure) { eventselect_after_failed_registration("epoll_ctl:ENOMEM"); }
TEST(eventselect_after_eventfd_failure) { eventselect_after_failed_registration("eventfd:EMFILE"); }
TEST(eventselect_after_thread_failure) { eventselect_after_failed_registration("thread:EAGAIN"); }

/* The same for the first overlapped call: WSAENOBUFS at once, then a
 * receive that completes. */
TEST(overlapped_after_failed_registration) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    int err = 0;
    SOCKET o = WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, WSA_FLAG_OVERLAPPED, &err);
    CHECK(o != INVALID_SOCKET);
    CHECK_WSA(WSPConnect(o, (struct sockaddr *)&la, sizeof la, NULL, NULL, 0, NULL, NULL, lpErrno), WSAEWOULDBLOCK);
    SOCKET p = WSPAccept(l, NULL, NULL, NULL, 0, &err);
    CHECK(p != INVALID_SOCKET);
    arm("epoll_ctl:ENOMEM");
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    char b = 0;
    DWORD n = 0;
    int flags = 0;
    CHECK_WSA(WSPRecv(o, &b, 1, &n, &flags, &ov, NULL, lpErrno), WSAENOBUFS);
    memset(&ov, 0, sizeof ov);
    CHECK_WSA(WSPRecv(o, &b, 1, &n, &flags, &ov, NULL, lpErrno), WSA_IO_PENDING);
    CHECK_OK(WSPSend(p, "k", 1, &n, 0, NULL, NULL, lpErrno));
    DWORD got = 0, f = 0;
    CHECK(WSAGetOverlappedResult(o, &ov, &got, TRUE, &f));
    CHECK_EQ(got, 1);
    CHECK_EQ(b, 'k');
    t_cleanup();
    t_cleanup();
}

/* socket(2) out of descriptors: WSAEMFILE; the next WSPSocket works. */
TEST(socket_emfile) {
    t_startup();
    arm("socket:EMFILE");
    CHECK_WSA(WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, lpErrno), WSAEMFILE);
    SOCKET s = t_socket(SOCK_STREAM);
    CHECK(s != INVALID_SOCKET);
    t_cleanup();
    t_cleanup();
}

/* accept(2) out of descriptors: the WSPAccept fails, and the connection is
 * still there for the next one. */
TEST(accept_emfile_keeps_connection) {
    t_startup();
    struct sockaddr_in la;
    SOCKET l = t_listener(&la);
    SOCKET c = t_socket(SOCK_STREAM);
    CHECK_OK(WSPConnect(c, (struct sockaddr *)&la, sizeof la, NULL, NULL, 0, NULL, NULL, lpErrno));
    arm("accept:EMFILE");
    CHECK_WSA(WSPAccept(l, NULL, NULL, NULL, 0, lpErrno), WSAEMFILE);
    SOCKET s = WSPAccept(l, NULL, NULL, NULL, 0, &lperr);
    CHECK(s != INVALID_SOCKET);
    t_cleanup();
    t_cleanup();
}

/* The engine's epoll_wait failing (a broken epoll descriptor) while an
 * event selection waits: the engine survives, rebuilds its set, and the
 * event is still set. */
TEST(engine_survives_epoll_wait_failures) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    WSAEVENT e = WSACreateEvent();
    CHECK_OK(WSPEventSelect(s, e, FD_READ, lpErrno));
    arm("epoll_wait:EBADF:0:3");
    /* the engine wakes for this byte; its next epoll_waits fail */
    DWORD n = 0;
    CHECK_OK(WSPSend(c, "x", 1, &n, 0, NULL, NULL, lpErrno));
    CHECK(signalled(e, 3000));
    WSANETWORKEVENT ne[FD_MAX_EVENTS];
    int count = FD_MAX_EVENTS;
    CHECK_OK(WSPEnumNetworkEvents(s, e, ne, &count, lpErrno));
    char b;
    int flags = 0;
    CHECK_OK(WSPRecv(s, &b, 1, &n, &flags, NULL, NULL, lpErrno));
    t_sleep_ms(50);
    CHECK_OK(WSPSend(c, "y", 1, &n, 0, NULL, NULL, lpErrno));
    CHECK(signalled(e, 3000));
    CHECK_OK(WSPRecv(s, &b, 1, &n, &flags, NULL, NULL, lpErrno));
    CHECK_EQ(b, 'y');
    t_cleanup();
    t_cleanup();
}
