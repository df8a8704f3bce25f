/*
 * bulk.c: TCP loopback throughput.
 *
 * A sender thread writes 64 KiB blocks until TOTAL bytes (default 1 GiB, or
 * argv[1] MiB) are sent, then closes; the main thread reads them with a
 * 64 KiB buffer until end of stream. The clock runs from the accepted
 * connection to end of stream.
 *
 *   cc -O2 -o bulk-raw bench/bulk.c -pthread
 *   cc -O2 -DUSE_SPI $(pkg-config --cflags ws2spi) -o bulk-spi \
 *       bench/bulk.c $(pkg-config --libs ws2spi) -pthread
 *
 * With -DNET_UNIX, the same over AF_UNIX stream sockets (the SPI variant
 * linked with -l:libws2unix.so.2 -lws2_32 instead of -lws2spi; see
 * bench/pingpong.c).
 *
 * Prints: bulk MiB_per_s=<...> total_MiB=<...> total_s=<...>
 */
#include "net.h"

#define BLOCK (64 * 1024)

static uint16_t port;
static uint64_t total;

static void *sender(void *arg)
{
    static char block[BLOCK];
    uint64_t left = total;
    (void)arg;
    net_pin(1);
    memset(block, 'b', sizeof block);
    net_sock s = net_tcp_socket();
    net_connect_loopback(s, port);
    while (left > 0) {
        size_t n = left < BLOCK ? (size_t)left : BLOCK;
        net_send_all(s, block, n);
        left -= n;
    }
    net_close(s);
    return NULL;
}

int main(int argc, char **argv)
{
    static char buf[BLOCK];
    long mib = argc > 1 ? strtol(argv[1], NULL, 10) : 1024;
    uint64_t got = 0;
    pthread_t tid;
    double t0, t1;
    size_t n;

    if (mib <= 0) {
        fprintf(stderr, "usage: %s [MiB]\n", argv[0]);
        return 2;
    }
    total = (uint64_t)mib << 20;
    net_pin(0);
    net_startup();
    net_sock l = net_listener(&port);
    if (pthread_create(&tid, NULL, sender, NULL) != 0) {
        fprintf(stderr, "pthread_create failed\n");
        return 1;
    }

    net_sock s = net_accept(l);
    t0 = net_now();
    while ((n = net_recv(s, buf, sizeof buf)) > 0)
        got += n;
    t1 = net_now();

    pthread_join(tid, NULL);
    net_close(s);
    net_close(l);
    net_cleanup();

    if (got != total) {
        fprintf(stderr, "bulk: received %llu of %llu bytes\n",
                (unsigned long long)got, (unsigned long long)total);
        return 1;
    }
    printf("bulk MiB_per_s=%.1f total_MiB=%ld total_s=%.3f\n",
           (double)got / 1048576.0 / (t1 - t0), mib, t1 - t0);
    return 0;
}
