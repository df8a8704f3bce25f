/*
 * overlapped-bulk.c: TCP loopback throughput with an overlapped receiver.
 *
 * bench/bulk.c's transfer, with the receiving side written the overlapped
 * way: the main thread keeps NRECV (8) overlapped WSPRecv calls of 64 KiB
 * outstanding on a socket created with WSA_FLAG_OVERLAPPED; each completion
 * routine runs as an APC in the main thread's alertable SleepEx, counts the
 * bytes and posts its buffer again from within the routine. The sender
 * thread is bulk.c's: 64 KiB blocking WSPSend calls on a plain socket until
 * TOTAL bytes (default 1 GiB, or argv[1] MiB) are sent, then a close; with
 * argv[2] = N > 0 it keeps N overlapped 64 KiB WSPSend calls outstanding
 * instead (completion routines, re-posted in the routine). The clock runs
 * from the accepted connection to end of stream, as in bulk.c, whose raw
 * Linux variant (bulk-raw) is the reference (scripts/bench.sh pairs them).
 *
 *   cc -O2 -DUSE_SPI $(pkg-config --cflags ws2spi) -o overlapped-bulk-spi \
 *       bench/overlapped-bulk.c $(pkg-config --libs ws2spi) -pthread
 *
 * Prints: overlapped-bulk MiB_per_s=<...> total_MiB=<...> total_s=<...>
 */
#ifndef USE_SPI
#  define USE_SPI 1     /* overlapped I/O exists only in the SPI variant */
#endif
#include "net.h"

#define BLOCK (64 * 1024)
#define NRECV 8
#define MAX_SENDS 64

static uint16_t port;
static uint64_t total;
static int nsends;              /* overlapped sends outstanding; 0: blocking */

/* ------------------------------------------------------------------------ */
/* Sender                                                                   */

struct send_slot { WSAOVERLAPPED ov; };
static struct send_slot send_slots[MAX_SENDS];
static char send_block[BLOCK];
static SOCKET send_sock;
static uint64_t send_left;
static int send_outstanding;

static void CALLBACK on_sent(DWORD error, DWORD n, LPWSAOVERLAPPED ov);

static void post_send(struct send_slot *slot)
{
    int err;
    DWORD n = send_left < BLOCK ? (DWORD)send_left : BLOCK;
    memset(&slot->ov, 0, sizeof slot->ov);
    if (WSPSend(send_sock, send_block, n, NULL, 0, &slot->ov, on_sent, &err) == SOCKET_ERROR &&
        err != WSA_IO_PENDING)
        net_die("overlapped WSPSend", err);
    send_left -= n;
    send_outstanding++;
}

static void CALLBACK on_sent(DWORD error, DWORD n, LPWSAOVERLAPPED ov)
{
    (void)n;
    if (error != 0)
        net_die("overlapped WSPSend (completion)", (int)error);
    send_outstanding--;
    if (send_left > 0)
        post_send((struct send_slot *)ov);
}

static void *sender(void *arg)
{
    uint64_t left = total;
    int err;
    (void)arg;
    net_pin(1);
    memset(send_block, 'b', sizeof send_block);
    if (nsends == 0) {
        net_sock s = net_tcp_socket();
        net_connect_loopback(s, port);
        while (left > 0) {
            size_t n = left < BLOCK ? (size_t)left : BLOCK;
            net_send_all(s, send_block, n);
            left -= n;
        }
        net_close(s);
        return NULL;
    }
    send_sock = WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, WSA_FLAG_OVERLAPPED, &err);
    if (send_sock == INVALID_SOCKET)
        net_die("WSPSocket(WSA_FLAG_OVERLAPPED)", err);
    /* An overlapped socket connects without blocking: wait until writable. */
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = net_swap16(port);
    sin.sin_addr.s_addr = net_swap32(INADDR_LOOPBACK);
    if (WSPConnect(send_sock, (const struct sockaddr *)&sin, (int)sizeof sin,
                   NULL, NULL, 0, NULL, NULL, &err) == SOCKET_ERROR) {
        if (err != WSAEWOULDBLOCK)
            net_die("WSPConnect", err);
        fd_set ws;
        FD_ZERO(&ws);
        FD_SET(send_sock, &ws);
        if (WSPSelect(0, NULL, &ws, NULL, NULL, &err) != 1)
            net_die("WSPSelect (connect)", err);
    }
    send_left = total;
    for (int i = 0; i < nsends && send_left > 0; i++)
        post_send(&send_slots[i]);
    while (send_outstanding > 0)
        SleepEx(WSA_INFINITE, TRUE);
    net_close(send_sock);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Receiver                                                                 */

struct recv_slot {
    WSAOVERLAPPED ov;           /* first: lpOverlapped is the slot */
    int flags;
    char buf[BLOCK];
};
static struct recv_slot recv_slots[NRECV];
static SOCKET recv_sock;
static uint64_t got;
static int outstanding, ended;

static void CALLBACK on_received(DWORD error, DWORD n, LPWSAOVERLAPPED ov);

static void post_receive(struct recv_slot *slot)
{
    int err;
    memset(&slot->ov, 0, sizeof slot->ov);
    slot->flags = 0;
    if (WSPRecv(recv_sock, slot->buf, BLOCK, NULL, &slot->flags, &slot->ov, on_received, &err) == SOCKET_ERROR &&
        err != WSA_IO_PENDING)
        net_die("overlapped WSPRecv", err);
    outstanding++;
}

static void CALLBACK on_received(DWORD error, DWORD n, LPWSAOVERLAPPED ov)
{
    if (error != 0)
        net_die("overlapped WSPRecv (completion)", (int)error);
    outstanding--;
    if (n == 0) {
        ended = 1;              /* the sender closed */
        return;
    }
    got += n;
    if (!ended)
        post_receive((struct recv_slot *)ov);
}

int main(int argc, char **argv)
{
    long mib = argc > 1 ? strtol(argv[1], NULL, 10) : 1024;
    pthread_t tid;
    double t0, t1;
    int err;

    nsends = argc > 2 ? atoi(argv[2]) : 0;
    if (mib <= 0 || nsends < 0 || nsends > MAX_SENDS) {
        fprintf(stderr, "usage: %s [MiB [overlapped sends 0..%d]]\n", argv[0], MAX_SENDS);
        return 2;
    }
    total = (uint64_t)mib << 20;
    net_pin(0);
    net_startup();

    /* An overlapped listener: the socket it accepts is overlapped too. */
    SOCKET l = WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, WSA_FLAG_OVERLAPPED, &err);
    if (l == INVALID_SOCKET)
        net_die("WSPSocket(WSA_FLAG_OVERLAPPED)", err);
    port = net_bind_loopback(l, 0);
    net_listen(l, 8);
    if (pthread_create(&tid, NULL, sender, NULL) != 0) {
        fprintf(stderr, "pthread_create failed\n");
        return 1;
    }
    /* Overlapped sockets never block: wait for the connection, then accept. */
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(l, &rs);
    if (WSPSelect(0, &rs, NULL, NULL, NULL, &err) != 1)
        net_die("WSPSelect (accept)", err);
    recv_sock = net_accept(l);

    t0 = net_now();
    for (int i = 0; i < NRECV; i++)
        post_receive(&recv_slots[i]);
    while (outstanding > 0)
        SleepEx(WSA_INFINITE, TRUE);
    t1 = net_now();

    pthread_join(tid, NULL);
    net_close(recv_sock);
    net_close(l);
    net_cleanup();

    if (got != total) {
        fprintf(stderr, "overlapped-bulk: received %llu of %llu bytes\n",
                (unsigned long long)got, (unsigned long long)total);
        return 1;
    }
    printf("overlapped-bulk MiB_per_s=%.1f total_MiB=%ld total_s=%.3f\n",
           (double)got / 1048576.0 / (t1 - t0), mib, t1 - t0);
    return 0;
}
