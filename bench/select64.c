/*
 * select64.c: the cost of one readiness check over 64 sockets, one ready.
 *
 * 64 connected TCP loopback sockets (32 pairs: a client and the socket the
 * listener accepted for it), one byte pending on exactly one of them. Then
 * CALLS (default 200 000, or argv[1]) zero-timeout checks for readability,
 * each rebuilding its set as an application would, after 1 000 warm-up
 * calls; every call must report exactly the one socket.
 *   raw:  poll(2) on the 64 Linux descriptors (a pollfd array rebuilt)
 *   spi:  WSPSelect(readfds = the 64 SOCKETs, FD_ZERO + 64 FD_SET, timeout
 *         {0, 0}); only SPI calls
 *
 *   cc -O2 -o select64-raw bench/select64.c
 *   cc -O2 -DUSE_SPI $(pkg-config --cflags ws2spi) -o select64-spi \
 *       bench/select64.c $(pkg-config --libs ws2spi)
 *
 * Prints: select64 ns_per_call=<mean nanoseconds per call> calls=<n>
 */
#include "net.h"

#ifndef USE_SPI
#  include <poll.h>
#endif

#define NSOCK  64
#define WARMUP 1000

static net_sock socks[NSOCK];
static int ready_index;         /* socks[ready_index] has the byte */

#ifdef USE_SPI
static void check(long calls)
{
    static const struct timeval zero = { 0, 0 };
    fd_set rd;
    int err;
    for (long i = 0; i < calls; i++) {
        FD_ZERO(&rd);
        for (int j = 0; j < NSOCK; j++)
            FD_SET(socks[j], &rd);
        int n = WSPSelect(0, &rd, NULL, NULL, &zero, &err);
        if (n != 1 || rd.fd_count != 1 || rd.fd_array[0] != socks[ready_index]) {
            if (n == SOCKET_ERROR)
                net_die("WSPSelect", err);
            fprintf(stderr, "bench(spi): WSPSelect reported %d sockets, not the one\n", n);
            exit(1);
        }
    }
}

/* Blocks until the byte has arrived. */
static void wait_ready(void)
{
    fd_set rd;
    int err;
    FD_ZERO(&rd);
    FD_SET(socks[ready_index], &rd);
    if (WSPSelect(0, &rd, NULL, NULL, NULL, &err) != 1)
        net_die("WSPSelect (wait)", err);
}
#else
static void check(long calls)
{
    struct pollfd p[NSOCK];
    for (long i = 0; i < calls; i++) {
        for (int j = 0; j < NSOCK; j++) {
            p[j].fd = socks[j];
            p[j].events = POLLIN;
            p[j].revents = 0;
        }
        int n = poll(p, NSOCK, 0);
        if (n != 1 || !(p[ready_index].revents & POLLIN)) {
            if (n < 0)
                net_die("poll", errno);
            fprintf(stderr, "bench(raw): poll reported %d sockets, not the one\n", n);
            exit(1);
        }
    }
}

static void wait_ready(void)
{
    struct pollfd p = { .fd = socks[ready_index], .events = POLLIN };
    if (poll(&p, 1, -1) != 1)
        net_die("poll (wait)", errno);
}
#endif

int main(int argc, char **argv)
{
    long calls = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
    uint16_t port;
    double t0, t1;
    int i;

    if (calls <= 0) {
        fprintf(stderr, "usage: %s [CALLS]\n", argv[0]);
        return 2;
    }
    net_pin(0);
    net_startup();
    net_sock l = net_listener(&port);
    for (i = 0; i < NSOCK; i += 2) {
        socks[i] = net_tcp_socket();
        net_connect_loopback(socks[i], port);
        socks[i + 1] = net_accept(l);
    }
    /* The byte goes from the client of the middle pair to its accepted end. */
    ready_index = NSOCK / 2 + 1;
    net_send_all(socks[ready_index - 1], "x", 1);
    wait_ready();

    check(WARMUP);
    t0 = net_now();
    check(calls);
    t1 = net_now();

    for (i = 0; i < NSOCK; i++)
        net_close(socks[i]);
    net_close(l);
    net_cleanup();

    printf("select64 ns_per_call=%.1f calls=%ld\n", (t1 - t0) * 1e9 / (double)calls, calls);
    return 0;
}
