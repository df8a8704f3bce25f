/*
 * echo-asyncselect.c: a TCP echo server driven by WSPAsyncSelect32.
 *
 * Libraries: the WSP* calls are the TCP/IP provider's (libws2spi.so.2); the
 * message windows (WS2CreateMessageWindow, WS2GetMessage, ...) are the
 * Winsock DLL part's (libws2_32.so.2). `pkg-config --libs ws2spi` links both.
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
#define ECHO_NAME     "echo-asyncselect"
#define MAX_CONNS     1024      /* open connections the server keeps */
#define MAX_CLIENTS   256       /* self-test client threads */
#define WM_SOCKET     0x0401    /* WM_USER + 1: the message of every socket */

#include "echo-common.h"

/* ------------------------------------------------------------------------ */
/* The server: one message window for every socket                          */

static struct conn *conns[MAX_CONNS];
static unsigned     nconns;
static HWND         window;

static unsigned long stale_messages;

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

/* A connection accept_next has just accepted. */
static void add_conn(SOCKET s, const char *peer)
{
    int err;
    struct conn *c = nconns < MAX_CONNS ? calloc(1, sizeof *c) : NULL;
    if (!c) {
        say("[server] socket %u from %s: no room (%d connections at most), closing it",
            (unsigned)s, peer, MAX_CONNS);
        WSPCloseSocket(s, &err);
        total_closed++;
        return;
    }
    c->s = s;
    conns[nconns++] = c;
    /* No WSPAsyncSelect32 here: the socket inherited the listener's. */
    say("[server] socket %u: accepted from %s, inherits the listener's selection (%u connected)",
        (unsigned)s, peer, nconns);
}

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
                accept_next(s, add_conn);
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
            echo_rest(c, error);
            close_conn(i);
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

/* The self-test summary's own count. */
static void stale_count(char *buf, size_t n)
{
    snprintf(buf, n, ", %lu stale messages", stale_messages);
}

int main(int argc, char **argv)
{
    return echo_main(argc, argv, "WSPAsyncSelect32 + WS2GetMessage on one message window",
                     serve, stale_count);
}
