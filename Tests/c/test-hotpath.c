/* The data path allocates nothing: this program interposes malloc and
 * friends (an executable's definitions win over libc's for the whole
 * process, the library included) and counts calls during send/recv. */
#include "harness.h"
#include <stdint.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static volatile long allocations;

void *malloc(size_t n) { allocations++; return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { allocations++; return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { allocations++; return __libc_realloc(p, n); }
void *aligned_alloc(size_t al, size_t n) { allocations++; return __libc_memalign(al, n); }
void *memalign(size_t al, size_t n) { allocations++; return __libc_memalign(al, n); }
int posix_memalign(void **out, size_t al, size_t n) {
    allocations++;
    *out = __libc_memalign(al, n);
    return *out ? 0 : 12;
}
void free(void *p) { __libc_free(p); }

/* Issue 2 §6: no allocation on the send/recv path (TCP, one thread each way
 * through the same socket pair, so no thread start-up is counted). */
TEST(tcp_send_recv_allocates_nothing) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    char buf[256];
    memset(buf, 'x', sizeof buf);
    for (int i = 0; i < 100; i++) {   /* warm up: lazy one-time set-up */
        CHECK_EQ(t_send_all(c, buf, sizeof buf), 0);
        CHECK_EQ(t_recv_exact(s, buf, sizeof buf), 0);
    }
    long before = allocations;
    for (int i = 0; i < 5000; i++) {
        DWORD n = 0;
        int flags = 0;
        CHECK_OK(WSPSend(c, buf, sizeof buf, &n, 0, NULL, NULL, lpErrno));
        CHECK_OK(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno));
        CHECK_EQ(n, sizeof buf);
    }
    CHECK_EQ(allocations - before, 0);
}

/* The same for datagrams with addresses (WSPSendTo / WSPRecvFrom). */
TEST(udp_sendto_recvfrom_allocates_nothing) {
    t_startup();
    struct sockaddr_in a, b, from;
    SOCKET ua = t_udp_bound(&a), ub = t_udp_bound(&b);
    char buf[512];
    memset(buf, 'y', sizeof buf);
    for (int i = 0; i < 50; i++) {
        DWORD n = 0;
        int flags = 0, fromlen = sizeof from;
        CHECK_OK(WSPSendTo(ua, buf, sizeof buf, &n, 0, (struct sockaddr *)&b, sizeof b, NULL, NULL, lpErrno));
        CHECK_OK(WSPRecvFrom(ub, buf, sizeof buf, &n, &flags, (struct sockaddr *)&from, &fromlen, NULL, NULL, lpErrno));
    }
    long before = allocations;
    for (int i = 0; i < 3000; i++) {
        DWORD n = 0;
        int flags = 0, fromlen = sizeof from;
        CHECK_OK(WSPSendTo(ua, buf, sizeof buf, &n, 0, (struct sockaddr *)&b, sizeof b, NULL, NULL, lpErrno));
        CHECK_OK(WSPRecvFrom(ub, buf, sizeof buf, &n, &flags, (struct sockaddr *)&from, &fromlen, NULL, NULL, lpErrno));
        CHECK_EQ(n, sizeof buf);
    }
    CHECK_EQ(allocations - before, 0);
}

/* WSPSelect on a handful of sockets allocates nothing either. */
TEST(select_allocates_nothing) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    struct timeval tv = { 0, 0 };
    fd_set r, w;
    for (int i = 0; i < 20; i++) {
        FD_ZERO(&r); FD_ZERO(&w); FD_SET(s, &r); FD_SET(c, &w);
        CHECK_EQ(WSPSelect(0, &r, &w, NULL, &tv, &lperr), 1);
    }
    long before = allocations;
    for (int i = 0; i < 2000; i++) {
        FD_ZERO(&r); FD_ZERO(&w); FD_SET(s, &r); FD_SET(c, &w);
        CHECK_EQ(WSPSelect(0, &r, &w, NULL, &tv, &lperr), 1);
    }
    CHECK_EQ(allocations - before, 0);
}

/* Control: the counter does see the library's allocations (a new socket
 * allocates its state), so the zero counts above are real. */
TEST(interposition_sees_library_allocations) {
    t_startup();
    long before = allocations;
    SOCKET s = t_socket(SOCK_STREAM);
    CHECK(allocations > before);
    CHECK_OK(WSPCloseSocket(s, lpErrno));
}
