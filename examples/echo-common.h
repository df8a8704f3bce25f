/*
 * echo-common.h: what the echo servers of examples/ share.
 *
 * echo-eventselect.c and echo-asyncselect.c differ only in how the server
 * learns what happened on its sockets (WSPEventSelect +
 * WSAWaitForMultipleEvents, or WSPAsyncSelect32 + WS2GetMessage). Everything
 * else is the same and lives here once: the small helpers (say, byte order,
 * addresses, the self-test timeout), the connection's echo buffer and its
 * WSPSend/WSPRecv handling, the self-test client threads, and the body of
 * main (echo_main: arguments, listener, banner, self-test and its summary).
 *
 * Each example is a single file that includes this header once, so all of it
 * is static. Before including it, an example defines
 *
 *   ECHO_NAME     its name, a string literal ("echo-eventselect")
 *   MAX_CLIENTS   how many self-test client threads it takes at the most
 */
#ifndef ECHO_COMMON_H
#define ECHO_COMMON_H

#if !defined(ECHO_NAME) || !defined(MAX_CLIENTS)
#error "define ECHO_NAME and MAX_CLIENTS before including echo-common.h"
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <signal.h>
#include <unistd.h>
#include <pthread.h>
#include <stdatomic.h>

#include <ws2spi.h>

#define BUF_SIZE      16384

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */

static void say(const char *fmt, ...)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    va_list ap;
    pthread_mutex_lock(&lock);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    pthread_mutex_unlock(&lock);
}

/* Network byte order without <arpa/inet.h> (its names clash with Winsock's). */
static uint16_t swap16(uint16_t v)
{
    const union { uint16_t u; unsigned char b[2]; } probe = { 1 };
    return probe.b[0] ? (uint16_t)((v >> 8) | (v << 8)) : v;
}

static uint32_t swap32(uint32_t v)
{
    const union { uint16_t u; unsigned char b[2]; } probe = { 1 };
    return probe.b[0] ? ((v >> 24) | ((v >> 8) & 0xff00u) |
                         ((v << 8) & 0xff0000u) | (v << 24))
                      : v;
}

static struct sockaddr_in loopback(uint16_t port)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = swap16(port);
    sin.sin_addr.s_addr = swap32(INADDR_LOOPBACK);
    return sin;
}

static const char *addr_str(const struct sockaddr_in *sin, char *buf, size_t n)
{
    const unsigned char *a = (const unsigned char *)&sin->sin_addr;
    snprintf(buf, n, "%u.%u.%u.%u:%u", a[0], a[1], a[2], a[3],
             (unsigned)swap16(sin->sin_port));
    return buf;
}

static void on_timeout(int sig)
{
    static const char msg[] = ECHO_NAME ": timed out after 60 s\n";
    (void)sig;
    if (write(STDOUT_FILENO, msg, sizeof msg - 1) < 0) { /* nothing to do */ }
    _exit(1);
}

/* ------------------------------------------------------------------------ */
/* The server: a connection and its echo                                    */

struct conn {
    SOCKET        s;
    char          pending[BUF_SIZE];    /* echo not yet accepted by WSPSend */
    DWORD         pend_off, pend_len;
    unsigned long bytes;                /* echoed on this connection */
};

static unsigned long total_accepted, total_closed, total_bytes, server_errors;

static void server_error(SOCKET s, const char *call, int err)
{
    say("[server] socket %u: %s failed: WSA error %d", (unsigned)s, call, err);
    server_errors++;
}

/* Sends what is pending; 1 when all of it went, 0 when WSPSend would block
 * (FD_WRITE comes when there is room again), -1 on an error. */
static int flush(struct conn *c)
{
    while (c->pend_len > 0) {
        DWORD sent = 0;
        int err;
        if (WSPSend(c->s, c->pending + c->pend_off, c->pend_len, &sent, 0,
                    NULL, NULL, &err) == SOCKET_ERROR) {
            if (err == WSAEWOULDBLOCK)
                return 0;
            server_error(c->s, "WSPSend", err);
            return -1;
        }
        c->pend_off += sent;
        c->pend_len -= sent;
        c->bytes += sent;
        total_bytes += sent;
    }
    c->pend_off = 0;
    return 1;
}

/* FD_ACCEPT on the listener: WSPAccept one connection, count it and hand it
 * with its address to add_conn, the example's, which keeps it or closes it.
 * Nothing when none was pending; an error is reported. */
static void accept_next(SOCKET listener, void (*add_conn)(SOCKET s, const char *peer))
{
    struct sockaddr_in peer;
    int len = (int)sizeof peer, err;
    char sbuf[32];
    SOCKET s = WSPAccept(listener, (struct sockaddr *)&peer, &len, NULL, 0, &err);
    if (s == INVALID_SOCKET) {
        if (err != WSAEWOULDBLOCK)
            server_error(listener, "WSPAccept", err);
        return;
    }
    total_accepted++;
    add_conn(s, addr_str(&peer, sbuf, sizeof sbuf));
}

/* One WSPRecv (it re-enables FD_READ) and the echo of what it read. */
static void read_and_echo(struct conn *c)
{
    DWORD got = 0;
    int flags = 0, err;
    if (c->pend_len > 0)
        return;             /* the echo of the last read is still queued */
    if (WSPRecv(c->s, c->pending, BUF_SIZE, &got, &flags, NULL, NULL, &err) == SOCKET_ERROR) {
        if (err != WSAEWOULDBLOCK)
            server_error(c->s, "WSPRecv", err);
        return;
    }
    c->pend_off = 0;
    c->pend_len = got;      /* 0 at end of stream: FD_CLOSE follows */
    flush(c);
}

/* FD_CLOSE with the given error code: reports it and echoes what is still
 * queued; the caller closes the connection next. */
static void echo_rest(struct conn *c, int error)
{
    int err;
    say("[server] socket %u: FD_CLOSE (%s)", (unsigned)c->s,
        error == 0 ? "graceful" : error == WSAECONNRESET ? "reset" : "error");
    /* The peer may have shut down only its sending side: echo anything
     * still queued before closing. */
    while (c->pend_len == 0) {
        DWORD got = 0;
        int flags = 0;
        if (WSPRecv(c->s, c->pending, BUF_SIZE, &got, &flags, NULL, NULL, &err)
                == SOCKET_ERROR || got == 0)
            break;
        c->pend_off = 0;
        c->pend_len = got;
        if (flush(c) != 1)
            break;
    }
}

/* The self-test's server stops when every client thread has ended. */
static atomic_int clients_done;
static int clients_started;

/* ------------------------------------------------------------------------ */
/* Self-test clients: plain blocking WSP calls                              */

static const DWORD message_sizes[] = { 1, 64, 1000, 16384, 5 };
#define N_MESSAGES (sizeof message_sizes / sizeof message_sizes[0])

struct client {
    pthread_t     tid;
    int           id;
    uint16_t      port;
    int           ok;
};

/* Sends message m and checks its echo; 1 if it came back intact. */
static int exchange(struct client *cl, SOCKET s, size_t m, char *out, char *in)
{
    DWORD len = message_sizes[m], off, i;
    int err;
    for (i = 0; i < len; i++)
        out[i] = (char)('a' + (cl->id * 7 + (int)m * 3 + (int)i) % 26);
    for (off = 0; off < len;) {
        DWORD sent = 0;
        if (WSPSend(s, out + off, len - off, &sent, 0, NULL, NULL, &err) == SOCKET_ERROR) {
            say("[client %d] WSPSend failed: WSA error %d", cl->id, err);
            return 0;
        }
        off += sent;
    }
    for (off = 0; off < len;) {
        DWORD got = 0;
        int flags = 0;
        if (WSPRecv(s, in + off, len - off, &got, &flags, NULL, NULL, &err) == SOCKET_ERROR) {
            say("[client %d] WSPRecv failed: WSA error %d", cl->id, err);
            return 0;
        }
        if (got == 0) {
            say("[client %d] the server closed the connection early", cl->id);
            return 0;
        }
        off += got;
    }
    if (memcmp(in, out, len) != 0) {
        say("[client %d] message %zu: the echo differs", cl->id, m + 1);
        return 0;
    }
    return 1;
}

static pthread_mutex_t connect_lock = PTHREAD_MUTEX_INITIALIZER;

static void *client_main(void *arg)
{
    struct client *cl = arg;
    char *out = malloc(BUF_SIZE), *in = malloc(BUF_SIZE);
    struct sockaddr_in to = loopback(cl->port);
    int err = 0, ok;
    size_t m;

    SOCKET s = WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, &err);
    if (!out || !in || s == INVALID_SOCKET) {
        say("[client %d] WSPSocket failed: WSA error %d", cl->id, err);
        goto done;
    }
    /* One client at a time connects and has its first message echoed, so
     * that the server has accepted it before the next one connects: the
     * listen backlog is SOMAXCONN (5), and a connection request that finds
     * the queue full is retried only a second later. */
    pthread_mutex_lock(&connect_lock);
    ok = WSPConnect(s, (const struct sockaddr *)&to, (int)sizeof to,
                    NULL, NULL, 0, NULL, NULL, &err) == 0;
    if (!ok)
        say("[client %d] WSPConnect failed: WSA error %d", cl->id, err);
    else
        ok = exchange(cl, s, 0, out, in);
    pthread_mutex_unlock(&connect_lock);
    for (m = 1; ok && m < N_MESSAGES; m++)
        ok = exchange(cl, s, m, out, in);
    cl->ok = ok;
    if (WSPCloseSocket(s, &err) == SOCKET_ERROR) {
        say("[client %d] WSPCloseSocket failed: WSA error %d", cl->id, err);
        cl->ok = 0;
    }
done:
    free(out);
    free(in);
    atomic_fetch_add(&clients_done, 1);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* The pieces of main                                                       */

static void usage(const char *argv0)
{
    fprintf(stderr, "usage: %s [PORT] | --self-test N (1..%d)\n", argv0, MAX_CLIENTS);
    exit(2);
}

/* [PORT] | --self-test N: sets *port, or *nclients (left 0 without
 * --self-test); exits through usage on anything else. */
static void parse_args(int argc, char **argv, int *nclients, long *port)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && strcmp(argv[1], "--self-test") == 0) {
        if (argc != 3)
            usage(argv[0]);
        *nclients = atoi(argv[2]);
        if (*nclients < 1 || *nclients > MAX_CLIENTS)
            usage(argv[0]);
    } else if (argc > 1) {
        char *end;
        *port = strtol(argv[1], &end, 10);
        if (*end || *port < 0 || *port > 65535 || argc > 2)
            usage(argv[0]);
    }
}

/* WSPStartup, then a socket listening on 127.0.0.1:port; *sin gets its
 * address (the port chosen when port is 0). INVALID_SOCKET on a failure,
 * which it reports. */
static SOCKET open_listener(long port, struct sockaddr_in *sin)
{
    WSADATA data;
    int err, rc;

    if ((rc = WSPStartup(MAKEWORD(2, 0), &data)) != 0) {
        say("WSPStartup failed: WSA error %d", rc);
        return INVALID_SOCKET;
    }
    SOCKET listener = WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, &err);
    *sin = loopback((uint16_t)port);
    int len = (int)sizeof *sin;
    if (listener == INVALID_SOCKET ||
        WSPBind(listener, (const struct sockaddr *)sin, (int)sizeof *sin, &err) == SOCKET_ERROR ||
        WSPGetSockName(listener, (struct sockaddr *)sin, &len, &err) == SOCKET_ERROR ||
        WSPListen(listener, SOMAXCONN, &err) == SOCKET_ERROR) {
        say("setting up the listener failed: WSA error %d", err);
        return INVALID_SOCKET;
    }
    return listener;
}

/* The self-test: nclients client threads against serve on this thread, then
 * the listener closed and WSPCleanup. *ok_clients gets the number of clients
 * whose echoes all came back intact; 1 when everything passed. */
static int run_self_test(SOCKET listener, const struct sockaddr_in *sin, int nclients,
                         int (*serve)(SOCKET listener, int self_test), int *ok_clients)
{
    int err, rc;

    signal(SIGALRM, on_timeout);
    alarm(60);
    say("self-test: %d client threads, %zu messages each (%u..%u bytes), blocking WSP calls",
        nclients, N_MESSAGES, (unsigned)message_sizes[0], (unsigned)message_sizes[3]);
    struct client *cl = calloc((size_t)nclients, sizeof *cl);
    int started = 0, i;
    for (i = 0; i < nclients; i++) {
        cl[i].id = i;
        cl[i].port = swap16(sin->sin_port);
        if (pthread_create(&cl[i].tid, NULL, client_main, &cl[i]) != 0) {
            say("pthread_create failed");
            break;
        }
        started++;
    }
    /* The server runs here, on the main thread. */
    clients_started = started;
    rc = serve(listener, 1);

    *ok_clients = 0;
    for (i = 0; i < started; i++) {
        pthread_join(cl[i].tid, NULL);
        *ok_clients += cl[i].ok;
    }
    WSPCloseSocket(listener, &err);
    if (WSPCleanup(NULL, 0, &err) == SOCKET_ERROR) {
        say("WSPCleanup failed: WSA error %d", err);
        rc = 1;
    }
    free(cl);

    unsigned long want_bytes = 0;
    for (size_t m = 0; m < N_MESSAGES; m++)
        want_bytes += message_sizes[m];
    want_bytes *= (unsigned long)nclients;
    return rc == 0 && *ok_clients == nclients && total_accepted == (unsigned long)nclients &&
           total_closed == (unsigned long)nclients && total_bytes == want_bytes;
}

/* main, given what differs: model, the banner's words for how the server
 * waits; serve, the server loop (forever, or with self_test until every
 * client thread has ended and every connection is closed; 0 on success);
 * extra_counts, NULL or what the self-test summary adds to its counts
 * (", 3 such"). Returns main's exit code. */
static int echo_main(int argc, char **argv, const char *model,
                     int (*serve)(SOCKET listener, int self_test),
                     void (*extra_counts)(char *buf, size_t n))
{
    int nclients = 0, ok_clients, err;
    long port = 0;
    struct sockaddr_in sin;
    char sbuf[32], extra[64] = "";

    parse_args(argc, argv, &nclients, &port);
    SOCKET listener = open_listener(port, &sin);
    if (listener == INVALID_SOCKET)
        return 1;
    say(ECHO_NAME ": listening on %s (socket %u): %s", addr_str(&sin, sbuf, sizeof sbuf),
        (unsigned)listener, model);

    if (!nclients) {
        int rc = serve(listener, 0);
        WSPCloseSocket(listener, &err);
        WSPCleanup(NULL, 0, &err);
        return rc;
    }

    int pass = run_self_test(listener, &sin, nclients, serve, &ok_clients);
    if (extra_counts)
        extra_counts(extra, sizeof extra);
    say("self-test: %d of %d clients OK, %lu messages, %lu bytes echoed, "
        "%lu accepted, %lu closed, %lu server errors%s: %s",
        ok_clients, nclients, (unsigned long)ok_clients * N_MESSAGES, total_bytes,
        total_accepted, total_closed, server_errors, extra, pass ? "PASS" : "FAIL");
    return pass ? 0 : 1;
}

#endif /* ECHO_COMMON_H */
