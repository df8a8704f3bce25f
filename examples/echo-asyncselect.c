/*
 * echo-asyncselect.c: a TCP echo server driven by WSPAsyncSelect32.
 *
 * One message window (WS2CreateMessageWindow) and one WS2GetMessage loop
 * serve every socket. The listener is selected once for
 * FD_ACCEPT | FD_READ | FD_WRITE | FD_CLOSE; the sockets WSPAccept returns
 * inherit that selection (same window, same message), so a connection needs
 * no call of its own. Each message carries the socket in wParam and
 * WSAMAKESELECTREPLY(event, error) in lParam:
 *
 *   FD_ACCEPT  WSPAccept one connection (level-triggered: the message is
 *              posted again while more are pending)
 *   FD_READ    one WSPRecv (which re-enables FD_READ; a new message comes
 *              while data is left), echo with WSPSend
 *   FD_WRITE   a send failed with WSAEWOULDBLOCK earlier: send the rest,
 *              then read again
 *   FD_CLOSE   the peer closed and all its data has been read: close
 *
 * Messages already queued for a socket that was closed since are ignored,
 * as the draft warns they can arrive.
 *
 *   build/examples/echo-asyncselect [PORT]          serve 127.0.0.1:PORT
 *                                                   (0, the default: any)
 *   build/examples/echo-asyncselect --self-test N   N client threads (1..256)
 *
 * In self-test mode the server runs on the main thread while N client
 * threads (plain blocking WSP calls) each send a few messages and check the
 * echoes; it prints a summary and exits 0 if everything came back intact,
 * 1 otherwise.
 */
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

#define MAX_CONNS     1024      /* open connections the server keeps */
#define MAX_CLIENTS   256       /* self-test client threads */
#define BUF_SIZE      16384
#define WM_SOCKET     0x0401    /* WM_USER + 1: the message of every socket */

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
    static const char msg[] = "echo-asyncselect: timed out after 60 s\n";
    (void)sig;
    if (write(STDOUT_FILENO, msg, sizeof msg - 1) < 0) { /* nothing to do */ }
    _exit(1);
}

/* ------------------------------------------------------------------------ */
/* The server                                                               */

struct conn {
    SOCKET        s;
    char          pending[BUF_SIZE];    /* echo not yet accepted by WSPSend */
    DWORD         pend_off, pend_len;
    unsigned long bytes;                /* echoed on this connection */
};

static struct conn *conns[MAX_CONNS];
static unsigned     nconns;
static HWND         window;

static unsigned long total_accepted, total_closed, total_bytes, server_errors,
                     stale_messages;

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

/* The connection of socket s, or NULL (a message that was already queued
 * when the socket was closed). */
static struct conn *find_conn(SOCKET s, unsigned *index)
{
    for (unsigned i = 0; i < nconns; i++) {
        if (conns[i]->s == s) {
            *index = i;
            return conns[i];
        }
    }
    return NULL;
}

static void close_conn(unsigned i)
{
    struct conn *c = conns[i];
    int err;
    /* Closing also cancels the selection; messages already queued for the
     * socket are dropped by find_conn. */
    if (WSPCloseSocket(c->s, &err) == SOCKET_ERROR)
        server_error(c->s, "WSPCloseSocket", err);
    total_closed++;
    conns[i] = conns[--nconns];
    say("[server] socket %u: closed after echoing %lu bytes (%u connected)",
        (unsigned)c->s, c->bytes, nconns);
    free(c);
}

static void accept_one(SOCKET listener)
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
    struct conn *c = nconns < MAX_CONNS ? calloc(1, sizeof *c) : NULL;
    if (!c) {
        say("[server] socket %u from %s: no room (%d connections at most), closing it",
            (unsigned)s, addr_str(&peer, sbuf, sizeof sbuf), MAX_CONNS);
        WSPCloseSocket(s, &err);
        total_closed++;
        return;
    }
    c->s = s;
    conns[nconns++] = c;
    /* No WSPAsyncSelect32 here: the socket inherited the listener's. */
    say("[server] socket %u: accepted from %s, inherits the listener's selection (%u connected)",
        (unsigned)s, addr_str(&peer, sbuf, sizeof sbuf), nconns);
}

static void handle_close(unsigned i, int error)
{
    struct conn *c = conns[i];
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
    close_conn(i);
}

static atomic_int clients_done;
static int clients_started;

/* Serves forever, or in the self-test until every client thread has ended
 * and every connection is closed. 0 on success. */
static int serve(SOCKET listener, int self_test)
{
    int err;

    window = WS2CreateMessageWindow();
    if (!window) {
        say("[server] WS2CreateMessageWindow failed: WSA error %d", WSAGetLastError());
        return 1;
    }
    if (WSPAsyncSelect32(listener, window, WM_SOCKET,
                         FD_ACCEPT | FD_READ | FD_WRITE | FD_CLOSE, &err) == SOCKET_ERROR) {
        server_error(listener, "WSPAsyncSelect32", err);
        return 1;
    }

    for (;;) {
        WS2MSG msg;
        unsigned i;

        if (self_test && nconns == 0 && atomic_load(&clients_done) == clients_started)
            break;
        if (!WS2GetMessage(&msg, window, self_test ? 100 : WSA_INFINITE))
            continue;   /* timed out */
        if (msg.message != WM_SOCKET)
            continue;

        SOCKET s = (SOCKET)msg.wParam;
        int event = WSAGETSELECTEVENT(msg.lParam);
        int error = WSAGETSELECTERROR(msg.lParam);

        if (s == listener) {
            if (event == FD_ACCEPT) {
                if (error != 0)
                    server_error(s, "FD_ACCEPT", error);
                accept_one(s);
            }
            continue;
        }
        struct conn *c = find_conn(s, &i);
        if (!c) {
            stale_messages++;
            continue;
        }
        switch (event) {
        case FD_READ:
            read_and_echo(c);
            break;
        case FD_WRITE:      /* after the accept, and after a WSAEWOULDBLOCK */
            if (c->pend_len > 0 && flush(c) == 1)
                read_and_echo(c);   /* reading stopped while the echo was queued */
            break;
        case FD_CLOSE:
            handle_close(i, error);
            break;
        default:
            break;
        }
    }
    /* Stop the listener's messages before the window goes. */
    WSPAsyncSelect32(listener, window, 0, 0, &err);
    WS2DestroyMessageWindow(window);
    return server_errors == 0 ? 0 : 1;
}

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

static void usage(const char *argv0)
{
    fprintf(stderr, "usage: %s [PORT] | --self-test N (1..%d)\n", argv0, MAX_CLIENTS);
    exit(2);
}

int main(int argc, char **argv)
{
    int self_test = 0, nclients = 0, err, rc;
    long port = 0;
    WSADATA data;
    char sbuf[32];

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && strcmp(argv[1], "--self-test") == 0) {
        if (argc != 3)
            usage(argv[0]);
        self_test = 1;
        nclients = atoi(argv[2]);
        if (nclients < 1 || nclients > MAX_CLIENTS)
            usage(argv[0]);
    } else if (argc > 1) {
        char *end;
        port = strtol(argv[1], &end, 10);
        if (*end || port < 0 || port > 65535 || argc > 2)
            usage(argv[0]);
    }

    if ((rc = WSPStartup(MAKEWORD(2, 0), &data)) != 0) {
        say("WSPStartup failed: WSA error %d", rc);
        return 1;
    }
    SOCKET listener = WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, &err);
    struct sockaddr_in sin = loopback((uint16_t)port);
    int len = (int)sizeof sin;
    if (listener == INVALID_SOCKET ||
        WSPBind(listener, (const struct sockaddr *)&sin, (int)sizeof sin, &err) == SOCKET_ERROR ||
        WSPGetSockName(listener, (struct sockaddr *)&sin, &len, &err) == SOCKET_ERROR ||
        WSPListen(listener, SOMAXCONN, &err) == SOCKET_ERROR) {
        say("setting up the listener failed: WSA error %d", err);
        return 1;
    }
    say("echo-asyncselect: listening on %s (socket %u): WSPAsyncSelect32 + "
        "WS2GetMessage on one message window", addr_str(&sin, sbuf, sizeof sbuf),
        (unsigned)listener);

    if (!self_test) {
        rc = serve(listener, 0);
        WSPCloseSocket(listener, &err);
        WSPCleanup(NULL, 0, &err);
        return rc;
    }

    signal(SIGALRM, on_timeout);
    alarm(60);
    say("self-test: %d client threads, %zu messages each (%u..%u bytes), blocking WSP calls",
        nclients, N_MESSAGES, (unsigned)message_sizes[0], (unsigned)message_sizes[3]);
    struct client *cl = calloc((size_t)nclients, sizeof *cl);
    int started = 0, i;
    for (i = 0; i < nclients; i++) {
        cl[i].id = i;
        cl[i].port = swap16(sin.sin_port);
        if (pthread_create(&cl[i].tid, NULL, client_main, &cl[i]) != 0) {
            say("pthread_create failed");
            break;
        }
        started++;
    }
    /* The server runs here, on the main thread. */
    clients_started = started;
    rc = serve(listener, 1);

    int ok_clients = 0;
    for (i = 0; i < started; i++) {
        pthread_join(cl[i].tid, NULL);
        ok_clients += cl[i].ok;
    }
    WSPCloseSocket(listener, &err);
    if (WSPCleanup(NULL, 0, &err) == SOCKET_ERROR) {
        say("WSPCleanup failed: WSA error %d", err);
        rc = 1;
    }

    unsigned long want_bytes = 0;
    for (size_t m = 0; m < N_MESSAGES; m++)
        want_bytes += message_sizes[m];
    want_bytes *= (unsigned long)nclients;
    int pass = rc == 0 && ok_clients == nclients && total_accepted == (unsigned long)nclients &&
               total_closed == (unsigned long)nclients && total_bytes == want_bytes;
    say("self-test: %d of %d clients OK, %lu messages, %lu bytes echoed, "
        "%lu accepted, %lu closed, %lu server errors, %lu stale messages: %s",
        ok_clients, nclients, (unsigned long)ok_clients * N_MESSAGES, total_bytes,
        total_accepted, total_closed, server_errors, stale_messages, pass ? "PASS" : "FAIL");
    free(cl);
    return pass ? 0 : 1;
}
