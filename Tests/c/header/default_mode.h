/* Uses of ws2spi.h in its default (Winsock-spelling) mode, after the
 * glibc headers are in, whichever came first: the Winsock definitions of
 * fd_set, FD_SET, struct timeval ... must be the ones in force. */
#include "test_assert.h"

TEST_ASSERT(sizeof(fd_set) == 260, fd_set_is_winsocks);
TEST_ASSERT(sizeof(FD_SET) == 260, FD_SET_typedef_is_winsocks);
TEST_ASSERT(FD_SETSIZE == 64, fd_setsize_is_winsocks);
TEST_ASSERT(sizeof(struct timeval) == 8, timeval_is_winsocks);
TEST_ASSERT(sizeof(TIMEVAL) == 8, TIMEVAL_is_winsocks);
TEST_ASSERT(sizeof(u_long) == 4, u_long_is_32_bits);
TEST_ASSERT(sizeof(DWORD) == 4 && sizeof(BOOL) == 4 && sizeof(SOCKET) == 4, llp64);
TEST_ASSERT(sizeof(WPARAM) == sizeof(void *) && sizeof(LPARAM) == sizeof(void *), wparam_lparam);
TEST_ASSERT(sizeof(struct sockaddr_in) == 16 && sizeof(struct sockaddr) == 16, sockaddr);
TEST_ASSERT(sizeof(WSADATA) == 408, wsadata);
TEST_ASSERT(sizeof(WSAOVERLAPPED) == 24, wsaoverlapped);
TEST_ASSERT(MAKEWORD(2, 0) == 0x0002 && MAKEWORD(1, 1) == 0x0101, makeword);
TEST_ASSERT(FIONREAD == 0x4004667F && FIONBIO == 0x8004667Eu, ioctls);
TEST_ASSERT(EWOULDBLOCK == 10035 && WSAEWOULDBLOCK == 10035, ewouldblock);
TEST_ASSERT(AF_INET == 2 && SOCK_STREAM == 1 && SOL_SOCKET == 0xffff, socket_numbers);
TEST_ASSERT(SO_MAX_MSGDG_SIZE == SO_MAX_DG_SIZE, so_max_msgdg_size);
TEST_ASSERT(FD_READ == 1 << FD_READ_BIT && FD_GROUP_QOS == 1 << FD_GROUP_QOS_BIT, fd_bits);
TEST_ASSERT(WS(AF_INET) == 2, ws_macro);

int ws2spi_test_default(SOCKET s);
int ws2spi_test_default(SOCKET s)
{
    fd_set set;
    struct timeval tv = { 1, 0 };
    struct sockaddr_in sin;
    struct linger lg = { 1, 5 };
    u_long arg = 1;
    WORD version = MAKEWORD(2, 0);
    LPARAM lp = WSAMAKESELECTREPLY(FD_CLOSE, WSAECONNRESET);
    WS2MSG msg;
    WSAOVERLAPPED ov;
    int err = 0;

    FD_ZERO(&set);
    FD_SET(s, &set);
    FD_SET(7, &set);            /* an int, as many callers pass */
    FD_CLR(s, &set);
    if (set.fd_count != 1 || set.fd_array[0] != 7)
        return -1;
    if (FD_ISSET(7, &set) == 0)
        return -2;
    if (timerisset(&tv))
        timerclear(&tv);
    if (timercmp(&tv, &tv, <))
        return -3;

    sin.sin_family = AF_INET;
    sin.sin_port = 0;
    sin.sin_addr.s_addr = INADDR_ANY;
    if (sin.sin_addr.S_un.S_un_b.s_b1 != 0 || lg.l_linger != 5)
        return -4;
    if (LOBYTE(version) != 2 || HIBYTE(version) != 0)
        return -5;
    if (WSAGETSELECTEVENT(lp) != FD_CLOSE || WSAGETSELECTERROR(lp) != WSAECONNRESET)
        return -6;

    msg.hwnd = NULL;
    msg.message = 0;
    msg.wParam = (WPARAM)s;
    msg.lParam = lp;
    ov.Internal = ov.InternalHigh = ov.Offset = ov.OffsetHigh = 0;
    ov.hEvent = WSA_INVALID_EVENT;

    if (WSPIoctlSocket(s, FIONBIO, &arg, &err) == SOCKET_ERROR)
        return err;
    if (WSPSelect(0, &set, NULL, NULL, &tv, &err) == SOCKET_ERROR)
        return err;
    if (WSPSetSockOpt(s, SOL_SOCKET, SO_LINGER, (const char *)&lg, (int)sizeof lg, &err) == SOCKET_ERROR)
        return err;
    if (WSPEventSelect(s, ov.hEvent, FD_READ | FD_WRITE | FD_CLOSE, &err) == SOCKET_ERROR)
        return err;
    if (h_errno == WSAHOST_NOT_FOUND)
        return -7;
    {
        WSAEVENT events[WSA_MAXIMUM_WAIT_EVENTS];
        DWORD r;
        events[0] = WSACreateEvent();
        if (events[0] == WSA_INVALID_EVENT)
            return WSAGetLastError();
        r = WSAWaitForMultipleEvents(1, events, FALSE, WSA_INFINITE, TRUE);
        if (r == WSA_WAIT_FAILED || r == WSA_WAIT_TIMEOUT || r == WSA_WAIT_IO_COMPLETION)
            return -8;
        if (r != WSA_WAIT_EVENT_0 + 0 || SleepEx(0, TRUE) == WAIT_IO_COMPLETION)
            return -9;
        if (!WSAGetOverlappedResult(s, &ov, &r, TRUE, &r) && WSAGetLastError() == WSA_IO_INCOMPLETE)
            return -10;
    }
    return (int)msg.message;
}

#include "signatures.h"

/* The ioctl commands and SO_DONTLINGER are literals in the header (for
 * Swift); they must equal the draft's expressions. */
TEST_ASSERT(FIONREAD == _IOR('f', 127, u_long) && FIONBIO == _IOW('f', 126, u_long), fion_1);
TEST_ASSERT(FIOASYNC == _IOW('f', 125, u_long), fion_2);
TEST_ASSERT(SIOCSHIWAT == _IOW('s', 0, u_long) && SIOCGHIWAT == _IOR('s', 1, u_long), sioc_1);
TEST_ASSERT(SIOCSLOWAT == _IOW('s', 2, u_long) && SIOCGLOWAT == _IOR('s', 3, u_long), sioc_2);
TEST_ASSERT(SIOCATMARK == _IOR('s', 7, u_long), sioc_3);
TEST_ASSERT(SO_DONTLINGER == (int)(~SO_LINGER), so_dontlinger);
TEST_ASSERT(INVALID_SOCKET == (SOCKET)(~0), invalid_socket);
