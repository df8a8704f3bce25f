/*
 * bench/net.h: the socket calls of the benchmarks, written twice.
 *
 * With -DUSE_SPI every wrapper goes through the Winsock SPI (ws2spi.h,
 * linked with libws2spi); without it, through raw Linux sockets. The
 * benchmark programs call only these wrappers, so their logic is the same
 * for both variants. Every failure is fatal: it prints the call and the
 * error (WSA code or errno) and exits with status 1.
 *
 * All sockets are TCP over 127.0.0.1, blocking; with -DNET_UNIX they are
 * AF_UNIX stream sockets instead (the SPI variant then links against the
 * AF_UNIX provider, libws2unix.so.2, in place of libws2spi). A "port" is
 * then the number in an abstract address "\0ws2spi-bench-<pid>-<port>"
 * (nothing in the file system, nothing to remove), net_tcp_socket makes an
 * AF_UNIX stream socket and net_nodelay does nothing, so bench/pingpong.c
 * and bench/bulk.c run unchanged over either family.
 */
#ifndef BENCH_NET_H
#define BENCH_NET_H

#define _GNU_SOURCE 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

/* Pins the calling thread to one CPU (when there are two or more), the same
 * way in both variants: on a small machine the two threads otherwise share a
 * core in some runs and not in others, and that, not the code, decides the
 * figure. */
static inline void net_pin(int cpu)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 2) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET((int)(cpu % n), &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

#ifdef NET_UNIX
#  include <stddef.h>
#  define NET_FAMILY "-unix"
#else
#  define NET_FAMILY ""
#endif

#ifdef USE_SPI
#  include <ws2spi.h>
#  define NET_VARIANT "spi" NET_FAMILY
typedef SOCKET net_sock;
#else
#  include <errno.h>
#  include <unistd.h>
#  include <sys/socket.h>
#  include <sys/un.h>
#  include <netinet/in.h>
#  include <netinet/tcp.h>
#  include <arpa/inet.h>
#  define NET_VARIANT "raw" NET_FAMILY
typedef int net_sock;
#endif

#ifdef NET_UNIX
/* The abstract AF_UNIX address of "port" port: sun_path is a NUL and then
 * "ws2spi-bench-<pid>-<port>"; returns the address length (the family field,
 * the leading NUL and the name; no terminating NUL). The struct is the same
 * layout in both variants (SOCKADDR_UN equals Linux's sockaddr_un). Port 0
 * (bind: any) takes the next unused number of this process. */
static inline int net_unix_address(struct sockaddr_un *sun, uint16_t *port)
{
    static uint16_t next_port;
    int n;
    if (*port == 0)
        *port = ++next_port;
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    n = snprintf(sun->sun_path + 1, sizeof sun->sun_path - 1, "ws2spi-bench-%ld-%u",
                 (long)getpid(), (unsigned)*port);
    return (int)offsetof(struct sockaddr_un, sun_path) + 1 + n;
}
#endif

static inline void net_die(const char *call, int err)
{
#ifdef USE_SPI
    fprintf(stderr, "bench(%s): %s failed: WSA error %d\n", NET_VARIANT, call, err);
#else
    fprintf(stderr, "bench(%s): %s failed: %s (errno %d)\n", NET_VARIANT, call,
            strerror(err), err);
#endif
    exit(1);
}

/* Monotonic time in seconds. */
static inline double net_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#ifdef USE_SPI
/* ------------------------------------------------------------------------ */
/* Winsock SPI                                                              */

static inline uint16_t net_swap16(uint16_t v)
{
    const union { uint16_t u; unsigned char b[2]; } probe = { 1 };
    return probe.b[0] ? (uint16_t)((v >> 8) | (v << 8)) : v;
}

static inline uint32_t net_swap32(uint32_t v)
{
    const union { uint16_t u; unsigned char b[2]; } probe = { 1 };
    return probe.b[0] ? ((v >> 24) | ((v >> 8) & 0xff00u) |
                         ((v << 8) & 0xff0000u) | (v << 24))
                      : v;
}

static inline void net_startup(void)
{
    WSADATA data;
    int r = WSPStartup(MAKEWORD(2, 0), &data);
    if (r != 0)
        net_die("WSPStartup", r);
}

static inline void net_cleanup(void)
{
    int err;
    if (WSPCleanup(NULL, 0, &err) == SOCKET_ERROR)
        net_die("WSPCleanup", err);
}

static inline net_sock net_tcp_socket(void)
{
    int err;
#ifdef NET_UNIX
    SOCKET s = WSPSocket(AF_UNIX, SOCK_STREAM, 0, 0, 0, &err);
#else
    SOCKET s = WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, &err);
#endif
    if (s == INVALID_SOCKET)
        net_die("WSPSocket", err);
    return s;
}

#ifdef NET_UNIX
static inline uint16_t net_bind_loopback(net_sock s, uint16_t port)
{
    struct sockaddr_un sun;
    int err, len = net_unix_address(&sun, &port);
    if (WSPBind(s, (const struct sockaddr *)&sun, len, &err) == SOCKET_ERROR)
        net_die("WSPBind", err);
    return port;
}
#else

/* Binds to 127.0.0.1:port (port 0: any), returns the bound port. */
static inline uint16_t net_bind_loopback(net_sock s, uint16_t port)
{
    struct sockaddr_in sin;
    int err, len = (int)sizeof sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = net_swap16(port);
    sin.sin_addr.s_addr = net_swap32(INADDR_LOOPBACK);
    if (WSPBind(s, (const struct sockaddr *)&sin, (int)sizeof sin, &err) == SOCKET_ERROR)
        net_die("WSPBind", err);
    if (WSPGetSockName(s, (struct sockaddr *)&sin, &len, &err) == SOCKET_ERROR)
        net_die("WSPGetSockName", err);
    return net_swap16(sin.sin_port);
}
#endif

static inline void net_listen(net_sock s, int backlog)
{
    int err;
    if (WSPListen(s, backlog, &err) == SOCKET_ERROR)
        net_die("WSPListen", err);
}

static inline net_sock net_accept(net_sock s)
{
#ifdef NET_UNIX
    struct sockaddr_un peer;
#else
    struct sockaddr_in peer;
#endif
    int err, len = (int)sizeof peer;
    SOCKET c = WSPAccept(s, (struct sockaddr *)&peer, &len, NULL, 0, &err);
    if (c == INVALID_SOCKET)
        net_die("WSPAccept", err);
    return c;
}

#ifdef NET_UNIX
static inline void net_connect_loopback(net_sock s, uint16_t port)
{
    struct sockaddr_un sun;
    int err, len = net_unix_address(&sun, &port);
    if (WSPConnect(s, (const struct sockaddr *)&sun, len,
                   NULL, NULL, 0, NULL, NULL, &err) == SOCKET_ERROR)
        net_die("WSPConnect", err);
}

/* No Nagle on AF_UNIX: nothing to switch off. */
static inline void net_nodelay(net_sock s) { (void)s; }
#else
static inline void net_connect_loopback(net_sock s, uint16_t port)
{
    struct sockaddr_in sin;
    int err;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = net_swap16(port);
    sin.sin_addr.s_addr = net_swap32(INADDR_LOOPBACK);
    if (WSPConnect(s, (const struct sockaddr *)&sin, (int)sizeof sin,
                   NULL, NULL, 0, NULL, NULL, &err) == SOCKET_ERROR)
        net_die("WSPConnect", err);
}

static inline void net_nodelay(net_sock s)
{
    BOOL on = TRUE;
    int err;
    if (WSPSetSockOpt(s, IPPROTO_TCP, TCP_NODELAY, (const char *)&on,
                      (int)sizeof on, &err) == SOCKET_ERROR)
        net_die("WSPSetSockOpt(IPPROTO_TCP, TCP_NODELAY)", err);
}
#endif

/* One send call; returns the bytes it took. */
static inline size_t net_send(net_sock s, const void *buf, size_t len)
{
    DWORD sent = 0;
    int err;
    if (WSPSend(s, (LPVOID)buf, (DWORD)len, &sent, 0, NULL, NULL, &err) == SOCKET_ERROR)
        net_die("WSPSend", err);
    return sent;
}

/* One receive call; returns the bytes read, 0 at end of stream. */
static inline size_t net_recv(net_sock s, void *buf, size_t len)
{
    DWORD got = 0;
    int flags = 0, err;
    if (WSPRecv(s, buf, (DWORD)len, &got, &flags, NULL, NULL, &err) == SOCKET_ERROR)
        net_die("WSPRecv", err);
    return got;
}

static inline void net_close(net_sock s)
{
    int err;
    if (WSPCloseSocket(s, &err) == SOCKET_ERROR)
        net_die("WSPCloseSocket", err);
}

#else
/* ------------------------------------------------------------------------ */
/* Raw Linux sockets                                                        */

static inline void net_startup(void) {}
static inline void net_cleanup(void) {}

static inline net_sock net_tcp_socket(void)
{
#ifdef NET_UNIX
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
#else
    int s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
#endif
    if (s < 0)
        net_die("socket", errno);
    return s;
}

#ifdef NET_UNIX
static inline uint16_t net_bind_loopback(net_sock s, uint16_t port)
{
    struct sockaddr_un sun;
    int len = net_unix_address(&sun, &port);
    if (bind(s, (const struct sockaddr *)&sun, (socklen_t)len) < 0)
        net_die("bind", errno);
    return port;
}
#else

static inline uint16_t net_bind_loopback(net_sock s, uint16_t port)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, (const struct sockaddr *)&sin, sizeof sin) < 0)
        net_die("bind", errno);
    if (getsockname(s, (struct sockaddr *)&sin, &len) < 0)
        net_die("getsockname", errno);
    return ntohs(sin.sin_port);
}
#endif

static inline void net_listen(net_sock s, int backlog)
{
    if (listen(s, backlog) < 0)
        net_die("listen", errno);
}

static inline net_sock net_accept(net_sock s)
{
#ifdef NET_UNIX
    struct sockaddr_un peer;
#else
    struct sockaddr_in peer;
#endif
    socklen_t len = sizeof peer;
    int c;
    do
        c = accept(s, (struct sockaddr *)&peer, &len);
    while (c < 0 && errno == EINTR);
    if (c < 0)
        net_die("accept", errno);
    return c;
}

#ifdef NET_UNIX
static inline void net_connect_loopback(net_sock s, uint16_t port)
{
    struct sockaddr_un sun;
    int len = net_unix_address(&sun, &port);
    if (connect(s, (const struct sockaddr *)&sun, (socklen_t)len) < 0)
        net_die("connect", errno);
}

static inline void net_nodelay(net_sock s) { (void)s; }
#else
static inline void net_connect_loopback(net_sock s, uint16_t port)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (const struct sockaddr *)&sin, sizeof sin) < 0)
        net_die("connect", errno);
}

static inline void net_nodelay(net_sock s)
{
    int on = 1;
    if (setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) < 0)
        net_die("setsockopt(IPPROTO_TCP, TCP_NODELAY)", errno);
}
#endif

static inline size_t net_send(net_sock s, const void *buf, size_t len)
{
    ssize_t n;
    do
        n = send(s, buf, len, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        net_die("send", errno);
    return (size_t)n;
}

static inline size_t net_recv(net_sock s, void *buf, size_t len)
{
    ssize_t n;
    do
        n = recv(s, buf, len, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        net_die("recv", errno);
    return (size_t)n;
}

static inline void net_close(net_sock s)
{
    if (close(s) < 0)
        net_die("close", errno);
}
#endif

/* ------------------------------------------------------------------------ */
/* Common to both variants                                                  */

static inline void net_send_all(net_sock s, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        size_t n = net_send(s, p, len);
        p += n;
        len -= n;
    }
}

/* Reads exactly len bytes; fatal at a premature end of stream. */
static inline void net_recv_all(net_sock s, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        size_t n = net_recv(s, p, len);
        if (n == 0) {
            fprintf(stderr, "bench(%s): unexpected end of stream\n", NET_VARIANT);
            exit(1);
        }
        p += n;
        len -= n;
    }
}

/* A listening socket on 127.0.0.1 with a kernel-chosen port (NET_UNIX: on
 * the next unused abstract name of this process). */
static inline net_sock net_listener(uint16_t *port)
{
    net_sock l = net_tcp_socket();
    *port = net_bind_loopback(l, 0);
    net_listen(l, 8);
    return l;
}

#endif /* BENCH_NET_H */
