/* Call tracing (README "Tracing"): WS2SPI_TRACE=file traces every call of
 * the process to that file, read at WSPStartup; SO_DEBUG traces the calls on
 * one socket only (to stderr, which these tests point at a file). Each line:
 * "SSSS.uuuuuu tid N WSPName(args) -> result". */
#include "harness.h"
#include <fcntl.h>
#include <stdarg.h>
#include <regex.h>
#include <sys/syscall.h>

static char trace_path[64];

/* A fresh empty file for the trace. */
static void new_trace_file(void) {
    strcpy(trace_path, "/tmp/ws2spi-trace-XXXXXX");
    int fd = mkstemp(trace_path);
    CHECK(fd >= 0);
    close(fd);
}

/* The whole file, NUL-terminated (malloc'd). */
static char *slurp(const char *path) {
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    size_t cap = 4096, n = 0;
    char *text = malloc(cap);
    size_t got;
    while ((got = fread(text + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n < 2) text = realloc(text, cap *= 2);
    }
    fclose(f);
    text[n] = 0;
    return text;
}

static int contains(const char *text, const char *needle) { return strstr(text, needle) != NULL; }

/* CHECKs that the trace has `needle`, printing the trace when it does not. */
#define CHECK_TRACE(text, needle) do { const char *_n = (needle); \
    if (!contains((text), _n)) harness_fail(__FILE__, __LINE__, "trace lacks \"%s\"; trace:\n%s", _n, (text)); } while (0)
#define CHECK_NO_TRACE(text, needle) do { const char *_n = (needle); \
    if (contains((text), _n)) harness_fail(__FILE__, __LINE__, "trace has \"%s\"; trace:\n%s", _n, (text)); } while (0)

/* Every line has the form of the trace, and the trace has at least `min` lines. */
static void check_line_format(const char *text, int min) {
    regex_t re;
    CHECK_EQ(regcomp(&re, "^[0-9]{4,}\\.[0-9]{6} tid [0-9]+ WSP[A-Za-z0-9]+\\(.*\\) -> [^ ].*$", REG_EXTENDED | REG_NOSUB), 0);
    int lines = 0;
    const char *p = text;
    while (*p) {
        const char *end = strchr(p, '\n');
        CHECK(end != NULL);     /* every line is complete */
        char line[1024];
        size_t len = (size_t)(end - p) < sizeof line - 1 ? (size_t)(end - p) : sizeof line - 1;
        memcpy(line, p, len);
        line[len] = 0;
        if (regexec(&re, line, 0, NULL, 0) != 0) harness_fail(__FILE__, __LINE__, "not a trace line: \"%s\"", line);
        lines++;
        p = end + 1;
    }
    regfree(&re);
    if (lines < min) harness_fail(__FILE__, __LINE__, "%d trace lines, expected at least %d:\n%s", lines, min, text);
}

static char *fmt(const char *format, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *format, ...) {
    static char buffers[8][256];
    static int next;
    char *b = buffers[next++ % 8];
    va_list ap;
    va_start(ap, format);
    vsnprintf(b, sizeof buffers[0], format, ap);
    va_end(ap);
    return b;
}

/* stderr into a file (and back): where SO_DEBUG lines go without WS2SPI_TRACE. */
static int saved_stderr = -1;
static void stderr_to_file(const char *path) {
    fflush(stderr);
    saved_stderr = dup(2);
    int fd = open(path, O_WRONLY | O_APPEND);
    CHECK(fd >= 0);
    dup2(fd, 2);
    close(fd);
}
static void stderr_back(void) {
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
}

/* A small loopback exchange with WS2SPI_TRACE=file: every call is in the
 * file with its arguments by name, its result and its error name. */
TEST(trace_file_loopback) {
    new_trace_file();
    setenv("WS2SPI_TRACE", trace_path, 1);
    t_startup();
    unsetenv("WS2SPI_TRACE");

    struct sockaddr_in a;
    SOCKET l = t_listener(&a);
    int port = t_htons(a.sin_port);
    SOCKET c = t_socket(SOCK_STREAM);
    CHECK_OK(WSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno));
    struct sockaddr_in peer;
    int peerlen = sizeof peer;
    int err = 0;
    SOCKET s = WSPAccept(l, (struct sockaddr *)&peer, &peerlen, NULL, 0, &err);
    CHECK(s != INVALID_SOCKET);
    t_set_int_opt(c, IPPROTO_TCP, TCP_NODELAY, 1);

    DWORD n = 0;
    CHECK_OK(WSPSend(c, "hello", 5, &n, 0, NULL, NULL, lpErrno));
    char buf[64];
    int flags = MSG_PEEK;
    DWORD got = 0;
    while (got == 0) {   /* loopback: the bytes are there at once, or nearly */
        flags = MSG_PEEK;
        CHECK_OK(WSPRecv(s, buf, sizeof buf, &got, &flags, NULL, NULL, lpErrno));
    }
    CHECK_EQ(got, 5);
    flags = 0;
    CHECK_OK(WSPRecv(s, buf, sizeof buf, &got, &flags, NULL, NULL, lpErrno));
    /* non-blocking, nothing to read: WSAEWOULDBLOCK, also with no lpErrno */
    u_long on = 1;
    CHECK_OK(WSPIoctlSocket(s, FIONBIO, &on, lpErrno));
    flags = 0;
    CHECK_WSA(WSPRecv(s, buf, sizeof buf, &got, &flags, NULL, NULL, lpErrno), WSAEWOULDBLOCK);
    flags = 0;
    CHECK_EQ(WSPRecv(s, buf, sizeof buf, &got, &flags, NULL, NULL, NULL), SOCKET_ERROR);
    u_long avail = 99;
    CHECK_OK(WSPIoctlSocket(s, FIONREAD, &avail, lpErrno));
    CHECK_EQ(avail, 0);
    WSAEVENT e = WSACreateEvent();
    CHECK_OK(WSPEventSelect(s, e, FD_READ | FD_CLOSE, lpErrno));
    CHECK_WSA(WSPListen(0xDEAD, 5, lpErrno), WSAENOTSOCK);
    CHECK_OK(WSPShutdown(c, SD_SEND, lpErrno));
    CHECK_OK(WSPCloseSocket(c, lpErrno));
    CHECK_OK(WSPCloseSocket(s, lpErrno));
    CHECK_OK(WSPCloseSocket(l, lpErrno));
    WSACloseEvent(e);
    t_cleanup();

    char *text = slurp(trace_path);
    check_line_format(text, 20);
    long tid = (long)syscall(SYS_gettid);
    CHECK_TRACE(text, fmt(" tid %ld WSPStartup(version=2.0, data=0x", tid));
    CHECK_TRACE(text, ") -> 0 (version=2.0, high=2.0)\n");
    CHECK_TRACE(text, "WSPSocket(af=AF_INET, type=SOCK_STREAM, protocol=IPPROTO_TCP, flags=0) -> 0x");
    CHECK_TRACE(text, fmt("WSPSocket(af=AF_INET, type=SOCK_STREAM, protocol=IPPROTO_TCP, flags=0) -> 0x%x\n", (unsigned)c));
    CHECK_TRACE(text, fmt("WSPBind(s=0x%x, name=127.0.0.1:0, namelen=16) -> 0\n", (unsigned)l));
    CHECK_TRACE(text, fmt("WSPListen(s=0x%x, backlog=%d) -> 0\n", (unsigned)l, SOMAXCONN));
    CHECK_TRACE(text, fmt("WSPGetSockName(s=0x%x, namelen=16) -> 0 (name=127.0.0.1:%d)\n", (unsigned)l, port));
    CHECK_TRACE(text, fmt("WSPConnect(s=0x%x, name=127.0.0.1:%d, namelen=16) -> 0\n", (unsigned)c, port));
    CHECK_TRACE(text, fmt("WSPAccept(s=0x%x, addr=0x", (unsigned)l));
    CHECK_TRACE(text, fmt(", addrlen=16) -> 0x%x (peer=127.0.0.1:%d)\n", (unsigned)s, t_htons(peer.sin_port)));
    CHECK_TRACE(text, fmt("WSPSetSockOpt(s=0x%x, level=IPPROTO_TCP, opt=TCP_NODELAY, val=1, optlen=4) -> 0\n", (unsigned)c));
    CHECK_TRACE(text, fmt("WSPSend(s=0x%x, len=5, flags=0) -> 0 (bytes=5)\n", (unsigned)c));
    CHECK_TRACE(text, fmt("WSPRecv(s=0x%x, len=64, flags=MSG_PEEK) -> 0 (bytes=5)\n", (unsigned)s));
    CHECK_TRACE(text, fmt("WSPRecv(s=0x%x, len=64, flags=0) -> 0 (bytes=5)\n", (unsigned)s));
    CHECK_TRACE(text, fmt("WSPIoctlSocket(s=0x%x, cmd=FIONBIO, arg=1) -> 0\n", (unsigned)s));
    CHECK_TRACE(text, fmt("WSPRecv(s=0x%x, len=64, flags=0) -> SOCKET_ERROR WSAEWOULDBLOCK\n", (unsigned)s));
    CHECK_TRACE(text, fmt("WSPIoctlSocket(s=0x%x, cmd=FIONREAD, arg=0x", (unsigned)s));
    CHECK_TRACE(text, ") -> 0 (arg=0)\n");
    CHECK_TRACE(text, fmt("WSPEventSelect(s=0x%x, event=0x", (unsigned)s));
    CHECK_TRACE(text, ", events=FD_READ|FD_CLOSE) -> 0\n");
    CHECK_TRACE(text, "WSPListen(s=0xdead, backlog=5) -> SOCKET_ERROR WSAENOTSOCK\n");
    CHECK_TRACE(text, fmt("WSPShutdown(s=0x%x, how=SD_SEND) -> 0\n", (unsigned)c));
    CHECK_TRACE(text, fmt("WSPCloseSocket(s=0x%x) -> 0\n", (unsigned)c));
    CHECK_TRACE(text, "WSPCleanup(callback=NULL, data=0x0) -> 0\n");
    /* the WSAEWOULDBLOCK receive with no lpErrno shows up twice */
    const char *first = strstr(text, "-> SOCKET_ERROR WSAEWOULDBLOCK");
    CHECK(first && strstr(first + 1, "-> SOCKET_ERROR WSAEWOULDBLOCK"));
    free(text);
    unlink(trace_path);
}

/* SO_DEBUG on one socket: its calls are traced (the one that set the option
 * included), calls on the other sockets and calls without a socket are not;
 * clearing it stops the trace (the clearing call is traced). */
TEST(so_debug_one_socket) {
    unsetenv("WS2SPI_TRACE");
    new_trace_file();
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    struct sockaddr_in ua;
    SOCKET u = t_udp_bound(&ua);
    int uport = t_htons(ua.sin_port);

    stderr_to_file(trace_path);
    int on = 1;
    int r1 = WSPSetSockOpt(c, SOL_SOCKET, SO_DEBUG, (const char *)&on, sizeof on, &lperr);
    DWORD n = 0, got = 0;
    int flags = 0;
    char buf[32];
    int r2 = WSPSend(c, "ping", 4, &n, 0, NULL, NULL, &lperr);
    int r3 = t_recv_exact(s, buf, 4);
    int r4 = WSPSend(s, "pong", 4, &n, 0, NULL, NULL, &lperr);
    int r5 = WSPRecv(c, buf, sizeof buf, &got, &flags, NULL, NULL, &lperr);
    int r6 = WSPSendTo(u, "dgram", 5, &n, 0, (struct sockaddr *)&ua, sizeof ua, NULL, NULL, &lperr);
    int value = 0, len = sizeof value;
    int r7 = WSPGetSockOpt(c, SOL_SOCKET, SO_DEBUG, (char *)&value, &len, &lperr);
    int other = 7, olen = sizeof other;
    int r8 = WSPGetSockOpt(s, SOL_SOCKET, SO_DEBUG, (char *)&other, &olen, &lperr);
    SOCKET extra = t_socket(SOCK_DGRAM);   /* no socket yet: not traced */
    int off = 0;
    int r9 = WSPSetSockOpt(c, SOL_SOCKET, SO_DEBUG, (const char *)&off, sizeof off, &lperr);
    int r10 = WSPSend(c, "late", 4, &n, 0, NULL, NULL, &lperr);
    stderr_back();

    CHECK_EQ(r1, 0); CHECK_EQ(r2, 0); CHECK_EQ(r3, 0); CHECK_EQ(r4, 0); CHECK_EQ(r5, 0);
    CHECK_EQ(r6, 0); CHECK_EQ(r7, 0); CHECK_EQ(r8, 0); CHECK_EQ(r9, 0); CHECK_EQ(r10, 0);
    CHECK_EQ(value, 1);
    CHECK_EQ(other, 0);
    char *text = slurp(trace_path);
    check_line_format(text, 5);
    CHECK_TRACE(text, fmt("WSPSetSockOpt(s=0x%x, level=SOL_SOCKET, opt=SO_DEBUG, val=1, optlen=4) -> 0\n", (unsigned)c));
    CHECK_TRACE(text, fmt("WSPSend(s=0x%x, len=4, flags=0) -> 0 (bytes=4)\n", (unsigned)c));
    CHECK_TRACE(text, fmt("WSPRecv(s=0x%x, len=32, flags=0) -> 0 (bytes=4)\n", (unsigned)c));
    CHECK_TRACE(text, fmt("WSPGetSockOpt(s=0x%x, level=SOL_SOCKET, opt=SO_DEBUG, optlen=4) -> 0 (val=1, optlen=4)\n", (unsigned)c));
    CHECK_TRACE(text, fmt("WSPSetSockOpt(s=0x%x, level=SOL_SOCKET, opt=SO_DEBUG, val=0, optlen=4) -> 0\n", (unsigned)c));
    /* the other sockets, and calls on no socket, are not traced */
    CHECK_NO_TRACE(text, fmt("s=0x%x,", (unsigned)s));
    CHECK_NO_TRACE(text, fmt("s=0x%x)", (unsigned)s));
    CHECK_NO_TRACE(text, fmt("s=0x%x,", (unsigned)u));
    CHECK_NO_TRACE(text, fmt("127.0.0.1:%d", uport));
    CHECK_NO_TRACE(text, "WSPSocket(");
    CHECK_NO_TRACE(text, "WSPStartup(");
    (void)extra;
    /* after SO_DEBUG is cleared, "late" is not traced: one WSPSend line on c */
    const char *line = fmt("WSPSend(s=0x%x,", (unsigned)c);
    const char *first = strstr(text, line);
    CHECK(first != NULL);
    CHECK(strstr(first + 1, line) == NULL);
    free(text);
    t_cleanup();
    unlink(trace_path);
}

/* An accepted socket inherits its listener's SO_DEBUG; WSPSelect is traced
 * when one of its sets names an SO_DEBUG socket; a closed socket's handle is
 * forgotten (nothing traced on it after the close). */
TEST(so_debug_accept_select_close) {
    unsetenv("WS2SPI_TRACE");
    new_trace_file();
    t_startup();
    struct sockaddr_in a;
    SOCKET l = t_listener(&a);
    SOCKET c = t_socket(SOCK_STREAM);
    CHECK_OK(WSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno));

    stderr_to_file(trace_path);
    int on = 1;
    int r0 = WSPSetSockOpt(l, SOL_SOCKET, SO_DEBUG, (const char *)&on, sizeof on, &lperr);
    int err = 0;
    SOCKET s = WSPAccept(l, NULL, NULL, NULL, 0, &err);
    DWORD n = 0;
    int r1 = WSPSend(c, "x", 1, &n, 0, NULL, NULL, &lperr);
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(s, &rs);
    struct timeval tv = { 2, 0 };
    int r2 = WSPSelect(0, &rs, NULL, NULL, &tv, &lperr);
    int value = 0, len = sizeof value;
    int r3 = WSPGetSockOpt(s, SOL_SOCKET, SO_DEBUG, (char *)&value, &len, &lperr);
    int r4 = WSPCloseSocket(s, &lperr);
    int r5 = WSPCloseSocket(l, &lperr);
    stderr_back();

    CHECK_EQ(r0, 0);
    CHECK(s != INVALID_SOCKET);
    CHECK_EQ(r1, 0); CHECK_EQ(r2, 1); CHECK_EQ(r3, 0); CHECK_EQ(r4, 0); CHECK_EQ(r5, 0);
    CHECK_EQ(value, 1);
    char *text = slurp(trace_path);
    check_line_format(text, 5);
    CHECK_TRACE(text, fmt("WSPAccept(s=0x%x) -> 0x%x\n", (unsigned)l, (unsigned)s));
    CHECK_TRACE(text, fmt("WSPSelect(nfds=0, read={0x%x}, write=NULL, except=NULL, timeout=2.000000) -> 1 (read={0x%x}, write=NULL, except=NULL)\n",
                          (unsigned)s, (unsigned)s));
    CHECK_TRACE(text, fmt("WSPCloseSocket(s=0x%x) -> 0\n", (unsigned)s));
    CHECK_TRACE(text, fmt("WSPCloseSocket(s=0x%x) -> 0\n", (unsigned)l));
    CHECK_NO_TRACE(text, fmt("s=0x%x,", (unsigned)c));
    free(text);

    /* closed: a call on the old handle is not traced */
    stderr_to_file(trace_path);
    int r6 = WSPListen(s, 1, &lperr);
    stderr_back();
    CHECK_EQ(r6, SOCKET_ERROR);
    text = slurp(trace_path);
    CHECK_NO_TRACE(text, "WSPListen(");
    free(text);
    t_cleanup();
    unlink(trace_path);
}

/* Nothing traced: nothing written. WS2SPI_TRACE=1 writes to stderr, and
 * WS2SPI_TRACE=0 at a later start-up stops it. */
TEST(trace_stderr_and_off) {
    unsetenv("WS2SPI_TRACE");
    new_trace_file();
    stderr_to_file(trace_path);
    t_startup();
    SOCKET u = t_socket(SOCK_DGRAM);
    int r1 = WSPCloseSocket(u, &lperr);
    setenv("WS2SPI_TRACE", "1", 1);
    t_startup();
    SOCKET v = t_socket(SOCK_DGRAM);
    setenv("WS2SPI_TRACE", "0", 1);
    t_startup();
    unsetenv("WS2SPI_TRACE");
    int r2 = WSPCloseSocket(v, &lperr);
    t_cleanup();
    t_cleanup();
    t_cleanup();
    stderr_back();

    CHECK_EQ(r1, 0);
    CHECK_EQ(r2, 0);
    char *text = slurp(trace_path);
    check_line_format(text, 2);
    CHECK_TRACE(text, "WSPStartup(version=2.0");
    CHECK_TRACE(text, fmt("WSPSocket(af=AF_INET, type=SOCK_DGRAM, protocol=IPPROTO_UDP, flags=0) -> 0x%x\n", (unsigned)v));
    CHECK_NO_TRACE(text, fmt("0x%x\n", (unsigned)u));
    CHECK_NO_TRACE(text, "WSPCloseSocket(");
    CHECK_NO_TRACE(text, "WSPCleanup(");
    free(text);
    unlink(trace_path);
}
