/*
 * echo.c: an event-driven TCP echo server under load, 1000 concurrent
 * loopback connections, 64-byte request/response each.
 *
 * The server runs on its own thread:
 *   raw:  a level-triggered epoll loop: listener readable -> accept4 one;
 *         connection readable -> one recv, echo it with send; 0 -> close.
 *   spi:  one message window and a WS2GetMessage loop, the listener selected
 *         with WSPAsyncSelect32(FD_ACCEPT | FD_READ | FD_CLOSE), which the
 *         accepted sockets inherit: FD_ACCEPT -> WSPAccept one; FD_READ ->
 *         one WSPRecv, echo it with WSPSend; FD_CLOSE -> WSPCloseSocket.
 * Both use a listen backlog of 5 (the SPI clamps to SOMAXCONN) and set
 * TCP_NODELAY on each accepted socket.
 *
 * The load generator (bench/echo-client.c) is the same raw-sockets epoll
 * loop in both variants, on the main thread: it connects the clients one by
 * one, then keeps one 64-byte request in flight on each for 0.3 s of
 * warm-up plus SECONDS (default 2), and counts the completed requests.
 * RLIMIT_NOFILE is raised to 4096 first.
 *
 *   cc -O2 -o echo-raw bench/echo.c bench/echo-client.c -pthread
 *   cc -O2 -DUSE_SPI $(pkg-config --cflags ws2spi) -o echo-spi \
 *       bench/echo.c bench/echo-client.c $(pkg-config --libs ws2spi) -pthread
 *   ./echo-raw [SECONDS [CONNECTIONS]]
 *
 * Prints: echo requests_per_s=<...> conns=<n> msg=64 seconds=<...> requests=<n>
 */
#include "net.h"
#include "echo-client.h"

#include <stdatomic.h>
#include <sys/resource.h>

#ifndef USE_SPI
#  include <fcntl.h>
#  include <sys/epoll.h>
#endif

#define MSG        64
#define BUF_SIZE   4096
#define WARMUP_S   0.3
#define GRACE_S    5.0      /* for the server to see every close at the end */

static net_sock   listener;
static atomic_int server_ready, stop_server;
static long       accepted, closed_conns, server_errors;

/* The server has seen the stop flag and closed everything, or waited long
 * enough for it. */
static int server_done(double *stop_at)
{
    if (!atomic_load(&stop_server))
        return 0;
    if (*stop_at == 0)
        *stop_at = net_now();
    if (accepted == closed_conns)
        return 1;
    if (net_now() - *stop_at > GRACE_S) {
        fprintf(stderr, "bench(%s): %ld of %ld connections still open at the end\n",
                NET_VARIANT, accepted - closed_conns, accepted);
        return 1;
    }
    return 0;
}

#ifdef USE_SPI
/* ------------------------------------------------------------------------ */
/* SPI: WSPAsyncSelect32 messages on one window                             */

#define WM_SOCKET 0x0401    /* WM_USER + 1 */

static void *server(void *arg)
{
    static char buf[BUF_SIZE];
    double stop_at = 0;
    int err;
    (void)arg;

    net_pin(1);
    HWND win = WS2CreateMessageWindow();
    if (!win)
        net_die("WS2CreateMessageWindow", WSAGetLastError());
    if (WSPAsyncSelect32(listener, win, WM_SOCKET, FD_ACCEPT | FD_READ | FD_CLOSE, &err)
            == SOCKET_ERROR)
        net_die("WSPAsyncSelect32", err);
    atomic_store(&server_ready, 1);

    while (!server_done(&stop_at)) {
        WS2MSG m;
        if (!WS2GetMessage(&m, win, 100))
            continue;
        SOCKET s = (SOCKET)m.wParam;
        switch (WSAGETSELECTEVENT(m.lParam)) {
        case FD_READ: {
            DWORD got = 0, sent = 0;
            int flags = 0;
            if (WSPRecv(s, buf, BUF_SIZE, &got, &flags, NULL, NULL, &err) == SOCKET_ERROR) {
                if (err != WSAEWOULDBLOCK && err != WSAENOTSOCK && err != WSAECONNRESET) {
                    fprintf(stderr, "bench(spi): WSPRecv: WSA error %d\n", err);
                    server_errors++;
                }
                break;
            }
            if (got == 0)
                break;      /* end of stream: FD_CLOSE follows */
            if (WSPSend(s, buf, got, &sent, 0, NULL, NULL, &err) == SOCKET_ERROR || sent != got) {
                fprintf(stderr, "bench(spi): WSPSend: WSA error %d, %u of %u bytes\n",
                        err, (unsigned)sent, (unsigned)got);
                server_errors++;
            }
            break;
        }
        case FD_ACCEPT: {
            struct sockaddr_in peer;
            int plen = (int)sizeof peer;
            SOCKET c = WSPAccept(listener, (struct sockaddr *)&peer, &plen, NULL, 0, &err);
            if (c == INVALID_SOCKET) {
                if (err != WSAEWOULDBLOCK)
                    net_die("WSPAccept", err);
                break;
            }
            net_nodelay(c);     /* the selection is inherited */
            accepted++;
            break;
        }
        case FD_CLOSE:
            if (WSPCloseSocket(s, &err) == 0)
                closed_conns++;
            break;
        default:
            break;
        }
    }
    WSPAsyncSelect32(listener, win, 0, 0, &err);
    WS2DestroyMessageWindow(win);
    return NULL;
}

#else
/* ------------------------------------------------------------------------ */
/* raw: level-triggered epoll                                               */

static void *server(void *arg)
{
    static char buf[BUF_SIZE];
    struct epoll_event evs[256];
    double stop_at = 0;
    (void)arg;

    net_pin(1);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        net_die("epoll_create1", errno);
    int fl = fcntl(listener, F_GETFL);
    if (fl < 0 || fcntl(listener, F_SETFL, fl | O_NONBLOCK) < 0)
        net_die("fcntl(O_NONBLOCK)", errno);
    struct epoll_event lev = { .events = EPOLLIN, .data.fd = listener };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, listener, &lev) < 0)
        net_die("epoll_ctl", errno);
    atomic_store(&server_ready, 1);

    while (!server_done(&stop_at)) {
        int n = epoll_wait(ep, evs, 256, 100);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            net_die("epoll_wait", errno);
        }
        for (int k = 0; k < n; k++) {
            int fd = evs[k].data.fd;
            if (fd == listener) {
                int c = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (c < 0) {
                    if (errno != EAGAIN && errno != EINTR)
                        net_die("accept4", errno);
                    continue;
                }
                net_nodelay(c);
                struct epoll_event cev = { .events = EPOLLIN, .data.fd = c };
                if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev) < 0)
                    net_die("epoll_ctl", errno);
                accepted++;
                continue;
            }
            ssize_t got = recv(fd, buf, BUF_SIZE, 0);
            if (got < 0) {
                if (errno == EAGAIN || errno == EINTR)
                    continue;
                if (errno != ECONNRESET) {
                    fprintf(stderr, "bench(raw): recv: %s\n", strerror(errno));
                    server_errors++;
                }
                got = 0;
            }
            if (got == 0) {
                close(fd);      /* also leaves the epoll set */
                closed_conns++;
                continue;
            }
            ssize_t sent = send(fd, buf, (size_t)got, MSG_NOSIGNAL);
            if (sent != got) {
                fprintf(stderr, "bench(raw): send: %zd of %zd bytes (%s)\n", sent, got,
                        sent < 0 ? strerror(errno) : "short");
                server_errors++;
            }
        }
    }
    close(ep);
    return NULL;
}
#endif

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? strtod(argv[1], NULL) : 2.0;
    int nconn = argc > 2 ? atoi(argv[2]) : 1000;
    struct echo_load_result res;
    struct rlimit rl;
    uint16_t port;
    pthread_t tid;

    if (seconds <= 0 || nconn <= 0) {
        fprintf(stderr, "usage: %s [SECONDS [CONNECTIONS]]\n", argv[0]);
        return 2;
    }
    /* Two descriptors per connection, and the SPI's own. */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096 &&
        (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= 4096)) {
        rl.rlim_cur = 4096;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < (rlim_t)(2 * nconn + 64)) {
        fprintf(stderr, "bench(%s): RLIMIT_NOFILE %lu is too low for %d connections\n",
                NET_VARIANT, (unsigned long)rl.rlim_cur, nconn);
        return 1;
    }

    net_pin(0);
    net_startup();
    listener = net_tcp_socket();
    port = net_bind_loopback(listener, 0);
    net_listen(listener, 5);
    if (pthread_create(&tid, NULL, server, NULL) != 0) {
        fprintf(stderr, "pthread_create failed\n");
        return 1;
    }
    while (!atomic_load(&server_ready))
        usleep(1000);

    echo_load(port, nconn, MSG, WARMUP_S, seconds, &res);

    atomic_store(&stop_server, 1);
    pthread_join(tid, NULL);
    net_close(listener);
    net_cleanup();

    if (server_errors || accepted != nconn) {
        fprintf(stderr, "bench(%s): %ld server errors, %ld of %d accepted\n",
                NET_VARIANT, server_errors, accepted, nconn);
        return 1;
    }
    printf("echo requests_per_s=%.0f conns=%d msg=%d seconds=%.3f requests=%lu\n",
           (double)res.requests / res.seconds, nconn, MSG, res.seconds, res.requests);
    return 0;
}
