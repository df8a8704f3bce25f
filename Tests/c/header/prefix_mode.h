/* Uses of ws2spi.h with USE_WS_PREFIX next to the Linux socket headers:
 * each clashing name exists twice, glibc's plain and Winsock's WS_. */
#include "test_assert.h"

TEST_ASSERT(sizeof(WS_fd_set) == 260, ws_fd_set_is_winsocks);
TEST_ASSERT(sizeof(fd_set) == 128, fd_set_is_glibcs);
TEST_ASSERT(WS_FD_SETSIZE == 64 && FD_SETSIZE == 1024, fd_setsizes);
TEST_ASSERT(sizeof(struct WS_timeval) == 8 && sizeof(struct timeval) == 16, timevals);
TEST_ASSERT(sizeof(WS_u_long) == 4 && sizeof(u_long) == sizeof(long), u_longs);
TEST_ASSERT(sizeof(struct WS_sockaddr_in) == 16 && sizeof(struct sockaddr_in) == 16, sockaddr_ins);
TEST_ASSERT(sizeof(struct WS_linger) == 4 && sizeof(struct linger) == 8, lingers);
TEST_ASSERT(sizeof(struct WS_hostent) == 32 && sizeof(struct WS_servent) == 32, netdb);
TEST_ASSERT(WS_SOL_SOCKET == 0xffff && SOL_SOCKET == 1, sol_socket);
TEST_ASSERT(WS_SO_REUSEADDR == 4 && SO_REUSEADDR == 2, so_reuseaddr);
TEST_ASSERT(WS_AF_INET == AF_INET && WS_SOCK_STREAM == SOCK_STREAM, same_values);
TEST_ASSERT(WS_IPPROTO_TCP == IPPROTO_TCP && WS_IPPORT_ECHO == IPPORT_ECHO, same_values_2);
TEST_ASSERT(WS_TCP_NODELAY == TCP_NODELAY && WS_MSG_PEEK == MSG_PEEK, same_values_3);
TEST_ASSERT(WS_EWOULDBLOCK == 10035 && EWOULDBLOCK == EAGAIN, ewouldblocks);
TEST_ASSERT(WS_FIONREAD == 0x4004667F && FIONREAD == 0x541B, fionreads);
TEST_ASSERT(WS_HOST_NOT_FOUND == 11001 && HOST_NOT_FOUND == 1, host_not_founds);
TEST_ASSERT(WS_INADDR_LOOPBACK == INADDR_LOOPBACK, inaddr_loopback);
TEST_ASSERT(MAKEWORD(2, 2) == 0x0202, makeword);
TEST_ASSERT(WS(AF_INET) == 2 && sizeof(WS(fd_set)) == 260, ws_macro);

int ws2spi_test_prefix(int fd, SOCKET s);
int ws2spi_test_prefix(int fd, SOCKET s)
{
    struct sockaddr_in lin;             /* glibc's */
    struct WS_sockaddr_in win;          /* Winsock's */
    fd_set lset;
    WS_fd_set wset;
    struct timeval ltv = { 0, 0 };
    struct WS_timeval wtv = { 0, 0 };
    struct pollfd pfd;
    WS_u_long arg = 0;
    int one = 1, err = 0, n = 0;

    memset(&lin, 0, sizeof lin);
    lin.sin_family = AF_INET;
    lin.sin_port = htons(7);
    lin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    memset(&win, 0, sizeof win);
    win.sin_family = WS_AF_INET;
    win.sin_port = htons(7);
    win.sin_addr.WS_s_addr = htonl(WS_INADDR_LOOPBACK);

    FD_ZERO(&lset);
    FD_SET(fd, &lset);
    WS_FD_ZERO(&wset);
    WS_FD_SET(s, &wset);
    WS_FD_CLR(s, &wset);
    WS_FD_SET(s, &wset);
    if (!FD_ISSET(fd, &lset) || wset.fd_count != 1)
        return -1;
    if (WS_timerisset(&wtv) || timerisset(&ltv))
        return -2;

    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 && errno == EBADF)
        return -3;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
        n++;
    if (ioctl(fd, FIONREAD, &n) < 0)
        n++;
    pfd.fd = fd;
    pfd.events = POLLIN;
    if (poll(&pfd, 1, 0) < 0 || fcntl(fd, F_GETFL) < 0 || h_errno == HOST_NOT_FOUND)
        n++;
    if (select(fd + 1, &lset, NULL, NULL, &ltv) < 0)
        n++;

    if (WSPBind(s, (const struct WS_sockaddr *)&win, (int)sizeof win, &err) == SOCKET_ERROR)
        return err;
    if (WSPSetSockOpt(s, WS_SOL_SOCKET, WS_SO_REUSEADDR, (const char *)&one, (int)sizeof one, &err) == SOCKET_ERROR)
        return err;
    if (WSPIoctlSocket(s, WS_FIONBIO, &arg, &err) == SOCKET_ERROR)
        return err;
    if (WSPSelect(0, &wset, NULL, NULL, &wtv, &err) == SOCKET_ERROR)
        return err;
    if (WS_h_errno == WS_HOST_NOT_FOUND || err == WS_EWOULDBLOCK || err == EWOULDBLOCK)
        return -4;
    return n + (int)inet_addr("127.0.0.1");
}

#include "signatures.h"
