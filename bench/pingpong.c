/*
 * pingpong.c: TCP loopback round-trip latency, 1 byte each way.
 *
 * A server thread echoes every byte it receives; the main thread sends one
 * byte and waits for it to come back, ROUNDS times (default 50 000, or
 * argv[1]), after 1 000 warm-up round trips. TCP_NODELAY on both ends.
 *
 * argv[2] places the two threads, the same way in both variants:
 *   apart     (default) main thread on CPU 0, server thread on CPU 1
 *   same      both threads pinned to CPU 0: every round trip is two
 *             context switches on one CPU
 *   unpinned  no CPU affinity at all: the scheduler decides, as it does
 *             for most programs
 * (With one CPU online, apart and same are both unpinned.)
 *
 *   cc -O2 -o pingpong-raw bench/pingpong.c -pthread
 *   cc -O2 -DUSE_SPI $(pkg-config --cflags ws2spi) -o pingpong-spi \
 *       bench/pingpong.c $(pkg-config --libs ws2spi) -pthread
 *
 * The same over AF_UNIX stream sockets (bench/net.h's -DNET_UNIX; the SPI
 * variant against the AF_UNIX provider, which exports the same WSP* names,
 * so it replaces -lws2spi):
 *   cc -O2 -DNET_UNIX -o pingpong-unix-raw bench/pingpong.c -pthread
 *   cc -O2 -DNET_UNIX -DUSE_SPI $(pkg-config --cflags ws2spi) -o pingpong-unix-spi \
 *       bench/pingpong.c -L PREFIX/lib -l:libws2unix.so.2 -lws2_32 -pthread
 * (TCP_NODELAY is then not set: AF_UNIX has no Nagle.)
 *
 * Prints: pingpong mode=<mode> rtt_us=<mean microseconds per round trip> total_s=<...>
 */
#include "net.h"

#define WARMUP 1000

static net_sock listener;
/* CPUs of the main and server threads; -1: not pinned. */
static int main_cpu = 0, server_cpu = 1;

static void *server(void *arg)
{
    char c;
    (void)arg;
    if (server_cpu >= 0)
        net_pin(server_cpu);
    net_sock s = net_accept(listener);
    net_nodelay(s);
    while (net_recv(s, &c, 1) == 1)
        net_send_all(s, &c, 1);
    net_close(s);
    return NULL;
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 50000;
    const char *mode = argc > 2 ? argv[2] : "apart";
    uint16_t port;
    pthread_t tid;
    char c = 'x';
    double t0, t1;
    long i;

    if (strcmp(mode, "apart") == 0) {
        main_cpu = 0;
        server_cpu = 1;
    } else if (strcmp(mode, "same") == 0) {
        main_cpu = 0;
        server_cpu = 0;
    } else if (strcmp(mode, "unpinned") == 0) {
        main_cpu = -1;
        server_cpu = -1;
    } else {
        rounds = 0;
    }
    if (rounds <= 0) {
        fprintf(stderr, "usage: %s [ROUNDS [apart|same|unpinned]]\n", argv[0]);
        return 2;
    }
    if (main_cpu >= 0)
        net_pin(main_cpu);
    net_startup();
    listener = net_listener(&port);
    if (pthread_create(&tid, NULL, server, NULL) != 0) {
        fprintf(stderr, "pthread_create failed\n");
        return 1;
    }

    net_sock s = net_tcp_socket();
    net_connect_loopback(s, port);
    net_nodelay(s);

    for (i = 0; i < WARMUP; i++) {
        net_send_all(s, &c, 1);
        net_recv_all(s, &c, 1);
    }
    t0 = net_now();
    for (i = 0; i < rounds; i++) {
        net_send_all(s, &c, 1);
        net_recv_all(s, &c, 1);
    }
    t1 = net_now();

    net_close(s);
    pthread_join(tid, NULL);
    net_close(listener);
    net_cleanup();

    printf("pingpong mode=%s rtt_us=%.3f total_s=%.3f\n", mode, (t1 - t0) * 1e6 / (double)rounds, t1 - t0);
    return 0;
}
