/*
 * echo-client.c: the load generator of bench/echo.c, the same for both
 * variants: always raw Linux sockets and epoll, whatever the server uses
 * (USE_SPI is ignored here), so that only the server differs.
 *
 * echo_load() opens NCONN connections to 127.0.0.1:port one by one, each
 * with a first blocking request/response, so that the server has accepted
 * it before the next connect: no connection waits in the listen queue, whose
 * backlog the SPI clamps to SOMAXCONN (5). Then every connection does
 * request/response ping-pong of MSG-byte messages, all at once, driven by
 * one level-triggered epoll loop, for WARMUP + SECONDS seconds; the
 * requests completed in the last SECONDS count. Finally it closes every
 * connection (gracefully).
 */
#undef USE_SPI
#include "net.h"
#include "echo-client.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/time.h>

#define MAX_MSG 4096

static void set_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        net_die("fcntl(O_NONBLOCK)", errno);
}

void echo_load(uint16_t port, int nconn, int msg, double warmup, double seconds,
               struct echo_load_result *res)
{
    int *fds = calloc((size_t)nconn, sizeof *fds);
    int *got = calloc((size_t)nconn, sizeof *got);
    struct epoll_event *evs = calloc((size_t)nconn, sizeof *evs);
    char out[MAX_MSG], in[MAX_MSG];
    unsigned long done = 0, done_at_start = 0;
    double t_start, t_end, t_now;
    int ep, i;

    if (!fds || !got || !evs || msg <= 0 || msg > MAX_MSG) {
        fprintf(stderr, "echo_load: bad arguments or out of memory\n");
        exit(1);
    }
    memset(out, 'q', (size_t)msg);

    /* Connect one by one; the first exchange proves the server accepted. */
    for (i = 0; i < nconn; i++) {
        struct timeval tv = { 10, 0 };
        int fd = net_tcp_socket();
        net_nodelay(fd);
        /* A lost connection fails the run instead of hanging it. */
        if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
            net_die("setsockopt(SO_RCVTIMEO)", errno);
        net_connect_loopback(fd, port);
        net_send_all(fd, out, (size_t)msg);
        net_recv_all(fd, in, (size_t)msg);
        set_nonblocking(fd);
        fds[i] = fd;
    }

    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        net_die("epoll_create1", errno);
    for (i = 0; i < nconn; i++) {
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) < 0)
            net_die("epoll_ctl", errno);
    }

    /* Every connection has one request in flight from here on. */
    for (i = 0; i < nconn; i++)
        net_send_all(fds[i], out, (size_t)msg);

    t_now = net_now();
    t_start = t_now + warmup;
    t_end = t_start + seconds;
    int counting = 0;
    while (t_now < t_end) {
        int n = epoll_wait(ep, evs, nconn, 100);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            net_die("epoll_wait", errno);
        }
        for (int k = 0; k < n; k++) {
            int c = (int)evs[k].data.u32;
            ssize_t r = recv(fds[c], in, (size_t)(msg - got[c]), 0);
            if (r < 0) {
                if (errno == EAGAIN || errno == EINTR)
                    continue;
                net_die("recv", errno);
            }
            if (r == 0) {
                fprintf(stderr, "bench(echo): the server closed connection %d\n", c);
                exit(1);
            }
            got[c] += (int)r;
            if (got[c] < msg)
                continue;
            got[c] = 0;
            done++;
            /* 64 bytes always fit in an idle loopback socket's buffer. */
            if (send(fds[c], out, (size_t)msg, MSG_NOSIGNAL) != (ssize_t)msg)
                net_die("send (whole message)", errno);
        }
        t_now = net_now();
        if (!counting && t_now >= t_start) {
            counting = 1;
            done_at_start = done;
            t_start = t_now;
        }
    }
    res->requests = done - done_at_start;
    res->seconds = t_now - t_start;

    close(ep);
    for (i = 0; i < nconn; i++)
        net_close(fds[i]);
    free(fds);
    free(got);
    free(evs);
}
