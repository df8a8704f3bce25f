/* Out-of-band (urgent) data on TCP: MSG_OOB, SO_OOBINLINE and SIOCATMARK
 * (draft §2.8.2, §3.1.6 SIOCATMARK, §3.1.2.10/12 MSG_OOB). */
#include "harness.h"

static u_long at_mark(SOCKET s) {
    u_long v = 0xDEAD;
    CHECK_OK(WSPIoctlSocket(s, SIOCATMARK, &v, lpErrno));
    return v;
}

static void set_bool(SOCKET s, int opt, BOOL on) {
    CHECK_OK(WSPSetSockOpt(s, SOL_SOCKET, opt, (const char *)&on, sizeof on, lpErrno));
}

static void send_oob(SOCKET s, char c) {
    DWORD n = 0xDEADBEEF;
    CHECK_OK(WSPSend(s, &c, 1, &n, MSG_OOB, NULL, NULL, lpErrno));
    CHECK_EQ(n, 1);
}

/* recv of up to `len` bytes with `flags`; returns the count. */
static DWORD recv_flags(SOCKET s, char *buf, DWORD len, int flags) {
    DWORD n = 0xDEADBEEF;
    int f = flags;
    CHECK_OK(WSPRecv(s, buf, len, &n, &f, NULL, NULL, lpErrno));
    return n;
}

/* Draft §3.1.6: SIOCATMARK "If no out-of-band data is waiting to be read,
 * the operation returns TRUE" - with nothing at all, and with only normal
 * data queued. */
TEST(atmark_true_without_oob) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_EQ(at_mark(s), TRUE);
    CHECK_EQ(t_send_all(c, "plain", 5), 0);
    t_sleep_ms(30);
    CHECK_EQ(at_mark(s), TRUE);
    set_bool(s, SO_OOBINLINE, TRUE);
    CHECK_EQ(at_mark(s), TRUE);
}

/* Draft §2.8.2: out-of-band data is "a logically independent transmission
 * channel ... delivered to the user independently of normal data": with
 * SO_OOBINLINE off the urgent byte comes only through MSG_OOB, and normal
 * reads never contain it. SIOCATMARK is FALSE while it waits (§3.1.6). */
TEST(oob_separate_channel) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_EQ(t_send_all(c, "abc", 3), 0);
    send_oob(c, 'X');
    CHECK_EQ(t_send_all(c, "def", 3), 0);
    t_sleep_ms(50);
    CHECK_EQ(at_mark(s), FALSE);
    char buf[16];
    memset(buf, 0, sizeof buf);
    CHECK_EQ(recv_flags(s, buf, sizeof buf, MSG_OOB), 1);
    CHECK_EQ(buf[0], 'X');
    memset(buf, 0, sizeof buf);
    CHECK_EQ(t_recv_exact(s, buf, 6), 0);
    CHECK(memcmp(buf, "abcdef", 6) == 0);
    CHECK_EQ(at_mark(s), TRUE);
    /* nothing else: the urgent byte was not left in the stream */
    u_long nb = 1;
    CHECK_OK(WSPIoctlSocket(s, FIONBIO, &nb, lpErrno));
    DWORD n;
    int flags = 0;
    CHECK_WSA(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno), WSAEWOULDBLOCK);
}

/* Normal data first, then the urgent byte (OOBINLINE off): the normal reads
 * skip it and it stays available to MSG_OOB (§2.8.2, "independently"). */
TEST(oob_read_after_normal_data) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_EQ(t_send_all(c, "abc", 3), 0);
    send_oob(c, 'Y');
    CHECK_EQ(t_send_all(c, "def", 3), 0);
    t_sleep_ms(50);
    char buf[16];
    memset(buf, 0, sizeof buf);
    CHECK_EQ(t_recv_exact(s, buf, 6), 0);
    CHECK(memcmp(buf, "abcdef", 6) == 0);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(recv_flags(s, buf, sizeof buf, MSG_OOB), 1);
    CHECK_EQ(buf[0], 'Y');
}

/* Draft §3.1.6 SIOCATMARK: "If no out-of-band data is waiting to be read,
 * the operation returns TRUE" - once the urgent byte has been taken with
 * MSG_OOB, even though normal data before the old mark is still unread. */
TEST(atmark_true_after_oob_read_not_inline) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_EQ(t_send_all(c, "abc", 3), 0);
    send_oob(c, 'X');
    t_sleep_ms(50);
    CHECK_EQ(at_mark(s), FALSE);
    char buf[8];
    CHECK_EQ(recv_flags(s, buf, sizeof buf, MSG_OOB), 1);
    CHECK_EQ(buf[0], 'X');
    CHECK_EQ(at_mark(s), TRUE);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(t_recv_exact(s, buf, 3), 0);
    CHECK(memcmp(buf, "abc", 3) == 0);
    CHECK_EQ(at_mark(s), TRUE);
}

/* Draft §2.8.2: "It is possible to "peek" at out-of-band data." */
TEST(oob_peek) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    send_oob(c, 'P');
    t_sleep_ms(50);
    char buf[8] = { 0 };
    CHECK_EQ(recv_flags(s, buf, sizeof buf, MSG_OOB | MSG_PEEK), 1);
    CHECK_EQ(buf[0], 'P');
    buf[0] = 0;
    CHECK_EQ(recv_flags(s, buf, sizeof buf, MSG_OOB), 1);
    CHECK_EQ(buf[0], 'P');
}

/* Draft §2.8.2 / §3.1.6 with SO_OOBINLINE: SIOCATMARK FALSE while urgent data
 * is unread; the next recv returns the data preceding the mark ("abc"),
 * never mixing it with the urgent data; then the urgent byte comes in line;
 * after everything is read SIOCATMARK is TRUE. */
TEST(oobinline_mark) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    set_bool(s, SO_OOBINLINE, TRUE);
    CHECK_EQ(t_send_all(c, "abc", 3), 0);
    send_oob(c, 'X');
    t_sleep_ms(50);
    CHECK_EQ(at_mark(s), FALSE);
    char buf[16];
    memset(buf, 0, sizeof buf);
    CHECK_EQ(recv_flags(s, buf, sizeof buf, 0), 3);
    CHECK(memcmp(buf, "abc", 3) == 0);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(recv_flags(s, buf, sizeof buf, 0), 1);
    CHECK_EQ(buf[0], 'X');
    CHECK_EQ(at_mark(s), TRUE);
}

/* With SO_OOBINLINE the urgent data is in the normal stream, so MSG_OOB has
 * nothing to read: WSAEINVAL (BSD / final Winsock). */
TEST(oob_recv_with_oobinline_einval) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    set_bool(s, SO_OOBINLINE, TRUE);
    CHECK_EQ(t_send_all(c, "ab", 2), 0);
    send_oob(c, 'X');
    t_sleep_ms(50);
    char buf[8];
    DWORD n;
    int flags = MSG_OOB;
    CHECK_WSA(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno), WSAEINVAL);
    /* the data, urgent byte included, is still there in line */
    memset(buf, 0, sizeof buf);
    CHECK_EQ(t_recv_exact(s, buf, 3), 0);
    CHECK(memcmp(buf, "abX", 3) == 0);
}

/* An event-driven socket (WSPEventSelect without FD_OOB) keeps the urgent
 * byte too: the engine takes it aside when it arrives, so reading all the
 * normal data first does not lose it (draft §2.8.2), and it never shows in
 * the normal stream. */
TEST(oob_kept_on_event_driven_socket) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    WSAEVENT ev = WSACreateEvent();
    CHECK(ev != WSA_INVALID_EVENT);
    CHECK_OK(WSPEventSelect(s, ev, FD_READ | FD_CLOSE, lpErrno));
    CHECK_EQ(t_send_all(c, "abc", 3), 0);
    send_oob(c, 'Z');
    CHECK_EQ(t_send_all(c, "def", 3), 0);
    CHECK_EQ(WSAWaitForMultipleEvents(1, &ev, FALSE, 1000, FALSE), WSA_WAIT_EVENT_0);
    t_sleep_ms(100);
    char buf[16];
    DWORD got = 0;
    while (got < 6) {
        DWORD n = 0;
        int f = 0, err = 0;
        if (WSPRecv(s, buf + got, sizeof buf - got, &n, &f, NULL, NULL, &err) != 0) {
            CHECK_EQ(err, WSAEWOULDBLOCK);
            t_sleep_ms(10);
            continue;
        }
        CHECK(n > 0);
        got += n;
    }
    CHECK_EQ(got, 6);
    CHECK(memcmp(buf, "abcdef", 6) == 0);
    char oob = 0;
    CHECK_EQ(recv_flags(s, &oob, 1, MSG_OOB), 1);
    CHECK_EQ(oob, 'Z');
    CHECK(WSACloseEvent(ev));
    t_cleanup();
}

/* The receives that would lose the urgent byte if a plain WSPRecv went
 * straight to recv(2) (Linux skips an urgent byte at the head of the queue
 * and forgets it once a read passes the mark): each needs the provider's
 * check before the read, not only a check after a short read. */

/* A read that ends exactly at the mark (it filled the buffer, nothing
 * short about it): the next read starts at the urgent byte. */
TEST(oob_kept_when_read_ends_at_mark) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_EQ(t_send_all(c, "abc", 3), 0);
    send_oob(c, 'W');
    CHECK_EQ(t_send_all(c, "def", 3), 0);
    t_sleep_ms(50);
    char buf[16];
    memset(buf, 0, sizeof buf);
    CHECK_EQ(recv_flags(s, buf, 3, 0), 3);
    CHECK(memcmp(buf, "abc", 3) == 0);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(recv_flags(s, buf, sizeof buf, 0), 3);
    CHECK(memcmp(buf, "def", 3) == 0);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(recv_flags(s, buf, sizeof buf, MSG_OOB), 1);
    CHECK_EQ(buf[0], 'W');
}

/* The urgent byte arrives after the receiver read everything: it is the
 * head of the queue when the next read starts, blocking or not. */
static void oob_after_drained(BOOL nonblocking) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    if (nonblocking) {
        u_long nb = 1;
        CHECK_OK(WSPIoctlSocket(s, FIONBIO, &nb, lpErrno));
    }
    char buf[16];
    CHECK_EQ(t_send_all(c, "abc", 3), 0);
    t_sleep_ms(30);
    CHECK_EQ(recv_flags(s, buf, sizeof buf, 0), 3);
    send_oob(c, 'V');
    t_sleep_ms(30);
    if (nonblocking) {
        /* only the urgent byte is queued: no normal data, and the byte stays */
        DWORD n;
        int flags = 0;
        CHECK_WSA(WSPRecv(s, buf, sizeof buf, &n, &flags, NULL, NULL, lpErrno), WSAEWOULDBLOCK);
    }
    CHECK_EQ(t_send_all(c, "def", 3), 0);
    t_sleep_ms(30);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(recv_flags(s, buf, sizeof buf, 0), 3);
    CHECK(memcmp(buf, "def", 3) == 0);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(recv_flags(s, buf, sizeof buf, MSG_OOB), 1);
    CHECK_EQ(buf[0], 'V');
}
TEST(oob_kept_after_drained_queue_blocking) { oob_after_drained(FALSE); }
TEST(oob_kept_after_drained_queue_nonblocking) { oob_after_drained(TRUE); }

/* The urgent byte arrives while a blocking WSPRecv waits on an empty queue
 * (the peer interrupts an idle connection): the receive returns the normal
 * data that follows, and the byte is still there for MSG_OOB. A recv(2)
 * blocked in the kernel would skip the byte and forget it. */
static void *send_oob_then_data(void *arg) {
    SOCKET c = *(SOCKET *)arg;
    t_sleep_ms(100);            /* the receive is blocked by now */
    send_oob(c, 'U');
    t_sleep_ms(50);
    CHECK_EQ(t_send_all(c, "data", 4), 0);
    return NULL;
}
TEST(oob_kept_when_it_arrives_during_blocking_recv) {
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, send_oob_then_data, &c), 0);
    char buf[16];
    memset(buf, 0, sizeof buf);
    CHECK_EQ(t_recv_exact(s, buf, 4), 0);
    CHECK(memcmp(buf, "data", 4) == 0);
    CHECK_EQ(pthread_join(th, NULL), 0);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(recv_flags(s, buf, sizeof buf, MSG_OOB), 1);
    CHECK_EQ(buf[0], 'U');
}
