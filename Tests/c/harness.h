/* The C test harness (libuv style): each test-<feature>.c holds TEST()s;
 * the runner (harness.c) runs every test in its own forked process with a
 * time limit, so one crash or hang cannot hide the others.
 * Tests include only the installed <ws2spi.h> and the C library. */
#ifndef WS2SPI_TEST_HARNESS_H
#define WS2SPI_TEST_HARNESS_H

#include <ws2spi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

typedef void (*test_fn)(void);
void harness_register(const char *name, test_fn fn, int timeout_s);

#define TEST_T(name, timeout_s) \
    static void test_##name(void); \
    __attribute__((constructor)) static void register_##name(void) { harness_register(#name, test_##name, timeout_s); } \
    static void test_##name(void)
#define TEST(name) TEST_T(name, 20)

void harness_fail(const char *file, int line, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));

#define CHECK(cond) do { if (!(cond)) harness_fail(__FILE__, __LINE__, "CHECK(%s)", #cond); } while (0)
#define CHECK_EQ(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
    if (_a != _b) harness_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a, _a, #b, _b); } while (0)
/* A call that must succeed (return 0); reports the WSA code if not. */
#define CHECK_OK(call) do { int _err = 0x7EADBEEF; int *lpErrno = &_err; (void)lpErrno; int _r = (call); \
    if (_r != 0) harness_fail(__FILE__, __LINE__, "%s returned %d, error %d", #call, _r, _err); } while (0)
/* A call that must fail with SOCKET_ERROR and exactly `code` in *lpErrno.
 * The call expression uses the name `lpErrno` for its error pointer. */
#define CHECK_WSA(call, code) do { int _err = 0x7EADBEEF; int *lpErrno = &_err; (void)lpErrno; int _r = (int)(call); \
    if (_r != SOCKET_ERROR) harness_fail(__FILE__, __LINE__, "%s returned %d, expected SOCKET_ERROR with %s (%d)", #call, _r, #code, (int)(code)); \
    if (_err != (code)) harness_fail(__FILE__, __LINE__, "%s failed with %d, expected %s (%d)", #call, _err, #code, (int)(code)); } while (0)

/* ---- helpers shared by the tests (harness.c) ---- */
extern int lperr;                               /* a scratch lpErrno target */
void t_startup(void);                           /* WSPStartup(2.0), CHECKed */
void t_cleanup(void);                           /* WSPCleanup, CHECKed */
u_short t_htons(u_short v);
u_long t_htonl(u_long v);
/* 127.0.0.1:port (port in host order) */
struct sockaddr_in t_loopback(u_short port);
SOCKET t_socket(int type);                      /* AF_INET STREAM/TCP or DGRAM/UDP */
/* A listening TCP socket on 127.0.0.1, port 0; *addr gets its address. */
SOCKET t_listener(struct sockaddr_in *addr);
/* A connected TCP pair over loopback: *client and *server (accepted). */
void t_tcp_pair(SOCKET *client, SOCKET *server);
/* A UDP socket bound to 127.0.0.1, port 0; *addr gets its address. */
SOCKET t_udp_bound(struct sockaddr_in *addr);
void t_bind_loopback(SOCKET s, struct sockaddr_in *addr);  /* 127.0.0.1:0; *addr (may be NULL) gets the port */
void t_set_int_opt(SOCKET s, int level, int opt, int value);   /* WSPSetSockOpt of an int, CHECKed */
void t_hard_close(SOCKET s);                   /* SO_LINGER {1, 0}, then WSPCloseSocket: the peer sees a reset */
/* A fresh directory with WINSOCK2_INI naming t_catalog_ini in it (content
 * NULL: no file yet); t_drop_catalog removes the directory. */
extern char t_catalog_dir[256], t_catalog_ini[300];
void t_new_catalog(const char *content);
/* The path of a library installed beside the libws2spi.so.2 this program
 * runs with ("libws2unix.so.2", "libws2spi.so.2"); fails if it is not there. */
const char *t_installed_lib(const char *name);
/* WPUInstallProvider into the current catalog, CHECKed; returns the id. */
DWORD t_install(const char *name, const char *path, PROTOCOL_INFO *infos, DWORD n);
void t_drop_catalog(void);
int t_send_all(SOCKET s, const void *buf, DWORD len);          /* 0 or WSA code */
int t_recv_exact(SOCKET s, void *buf, DWORD len);              /* 0 or WSA code */
/* Open file descriptors of this process (from /proc/self/fd). */
int t_count_fds(void);
double t_now(void);                             /* monotonic seconds */
void t_sleep_ms(int ms);

#endif
