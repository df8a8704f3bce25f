/*
 * echo-eventselect.c: a TCP echo server driven by WSPEventSelect.
 *
 * Libraries: the WSP* calls are the TCP/IP provider's (libws2spi.so.2); the
 * event objects (WSACreateEvent, WSAWaitForMultipleEvents, ...) are the
 * Winsock DLL part's (libws2_32.so.2). `pkg-config --libs ws2spi` links both.
 *
 * One event object per socket (the listener and up to 63 clients, the
 * WSA_MAXIMUM_WAIT_EVENTS limit), one thread waiting on all of them with
 * WSAWaitForMultipleEvents, and WSPEnumNetworkEvents to learn what fired:
 *
 *   FD_ACCEPT  on the listener: WSPAccept one connection (level-triggered:
 *              the event is recorded again while more are pending), then
 *              WSPEventSelect(FD_READ | FD_WRITE | FD_CLOSE) with its own
 *              event object
 *   FD_READ    one WSPRecv (which re-enables FD_READ), echo with WSPSend
 *   FD_WRITE   a send failed with WSAEWOULDBLOCK earlier: send the rest,
 *              then read again
 *   FD_CLOSE   the peer closed and all its data has been read: close
 *
 *   build/examples/echo-eventselect [PORT]          serve 127.0.0.1:PORT
 *                                                   (0, the default: any)
 *   build/examples/echo-eventselect --self-test N   N client threads (1..63)
 *
 * In self-test mode the server runs on the main thread while N client
 * threads (plain blocking WSP calls) each send a few messages and check the
 * echoes; it prints a summary and exits 0 if everything came back intact,
 * 1 otherwise.
 */
#define ECHO_NAME     "echo-eventselect"
#define MAX_SOCKETS   WSA_MAXIMUM_WAIT_EVENTS   /* the listener + 63 clients */
#define MAX_CLIENTS   (MAX_SOCKETS - 1)         /* self-test client threads */

#include "echo-common.h"

/* ------------------------------------------------------------------------ */
/* The server: one event object per socket                                  */

/* Index 0 is the listener; events[i] belongs to conns[i]. */
static WSAEVENT     events[MAX_SOCKETS];
static struct conn *conns[MAX_SOCKETS];
static DWORD        nsockets;

static void close_conn(DWORD i)
{
    struct conn *c = conns[i];
    int err;
    if (WSPCloseSocket(c->s, &err) == SOCKET_ERROR)
        server_error(c->s, "WSPCloseSocket", err);
    WSACloseEvent(events[i]);
    total_closed++;
    nsockets--;
    say("[server] socket %u: closed after echoing %lu bytes (%u connected)",
        (unsigned)c->s, c->bytes, (unsigned)(nsockets - 1));
    free(c);
    /* The last one takes the freed slot. */
    events[i] = events[nsockets];
    conns[i] = conns[nsockets];
}

/* A connection accept_next has just accepted. */
static void add_conn(SOCKET s, const char *peer)
{
    int err;
    if (nsockets == MAX_SOCKETS) {
        say("[server] socket %u from %s: no event slot left (%d clients at most), closing it",
            (unsigned)s, peer, MAX_CLIENTS);
        WSPCloseSocket(s, &err);
        total_closed++;
        return;
    }
    struct conn *c = calloc(1, sizeof *c);
    WSAEVENT ev = WSACreateEvent();
    if (!c || ev == WSA_INVALID_EVENT) {
        say("[server] out of memory or events (WSA error %d)", WSAGetLastError());
        server_errors++;
        free(c);
        WSPCloseSocket(s, &err);
        return;
    }
    c->s = s;
    /* The accepted socket inherited the listener's selection (FD_ACCEPT on
     * the listener's event): give it its own event and the events of a
     * connection. Whatever already happened is recorded at once. */
    if (WSPEventSelect(s, ev, FD_READ | FD_WRITE | FD_CLOSE, &err) == SOCKET_ERROR) {
        server_error(s, "WSPEventSelect", err);
        WSPCloseSocket(s, &err);
        WSACloseEvent(ev);
        free(c);
        return;
    }
    events[nsockets] = ev;
    conns[nsockets] = c;
    nsockets++;
    say("[server] socket %u: accepted from %s (%u connected)", (unsigned)s,
        peer, (unsigned)(nsockets - 1));
}

/* What fired on socket i; returns 1 if the socket was closed (its slot now
 * holds another socket). */
static int handle(DWORD i)
{
    WSANETWORKEVENT ne[FD_MAX_EVENTS];
    int count = FD_MAX_EVENTS, err;
    SOCKET s = conns[i]->s;

    if (WSPEnumNetworkEvents(s, events[i], ne, &count, &err) == SOCKET_ERROR) {
        server_error(s, "WSPEnumNetworkEvents", err);
        WSAResetEvent(events[i]);
        return 0;
    }
    if (i == 0) {
        if (count > FD_ACCEPT_BIT && ne[FD_ACCEPT_BIT].Fired) {
            if (ne[FD_ACCEPT_BIT].ErrorCode != 0)
                server_error(s, "FD_ACCEPT", ne[FD_ACCEPT_BIT].ErrorCode);
            accept_next(s, add_conn);
        }
        return 0;
    }
    struct conn *c = conns[i];
    if (count > FD_WRITE_BIT && ne[FD_WRITE_BIT].Fired && c->pend_len > 0) {
        if (flush(c) == 1)
            read_and_echo(c);   /* reading stopped while the echo was queued */
    }
    if (count > FD_READ_BIT && ne[FD_READ_BIT].Fired)
        read_and_echo(c);
    if (count > FD_CLOSE_BIT && ne[FD_CLOSE_BIT].Fired) {
        echo_rest(c, ne[FD_CLOSE_BIT].ErrorCode);
        close_conn(i);
        return 1;
    }
    return 0;
}

/* Serves forever, or in the self-test until every client thread has ended
 * and only the listener is left. 0 on success. */
static int serve(SOCKET listener, int self_test)
{
    struct conn *lc = calloc(1, sizeof *lc);
    int err;

    lc->s = listener;
    conns[0] = lc;
    events[0] = WSACreateEvent();
    if (events[0] == WSA_INVALID_EVENT) {
        say("[server] WSACreateEvent failed: %d", WSAGetLastError());
        return 1;
    }
    nsockets = 1;
    if (WSPEventSelect(listener, events[0], FD_ACCEPT, &err) == SOCKET_ERROR) {
        server_error(listener, "WSPEventSelect", err);
        return 1;
    }

    for (;;) {
        if (self_test && nsockets == 1 && atomic_load(&clients_done) == clients_started)
            break;
        DWORD r = WSAWaitForMultipleEvents(nsockets, events, FALSE,
                                           self_test ? 100 : WSA_INFINITE, FALSE);
        if (r == WSA_WAIT_TIMEOUT)
            continue;
        if (r == WSA_WAIT_FAILED || r >= WSA_WAIT_EVENT_0 + nsockets) {
            say("[server] WSAWaitForMultipleEvents failed: %u (WSA error %d)",
                (unsigned)r, WSAGetLastError());
            return 1;
        }
        /* The wait names the lowest signalled event; look at it and at every
         * later one that is signalled too, so that no socket starves. */
        for (DWORD i = r - WSA_WAIT_EVENT_0; i < nsockets;) {
            if (i == r - WSA_WAIT_EVENT_0 ||
                WSAWaitForMultipleEvents(1, &events[i], FALSE, 0, FALSE) == WSA_WAIT_EVENT_0) {
                if (handle(i))
                    continue;   /* slot i now holds the last socket: look at it */
            }
            i++;
        }
    }
    WSACloseEvent(events[0]);
    free(lc);
    return server_errors == 0 ? 0 : 1;
}

/* ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    char model[80];
    snprintf(model, sizeof model, "WSPEventSelect + WSAWaitForMultipleEvents, up to %d clients",
             MAX_CLIENTS);
    return echo_main(argc, argv, model, serve, NULL);
}
