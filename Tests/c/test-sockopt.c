/* WSPGetSockOpt / WSPSetSockOpt: the option table of draft §2.8.4 and
 * §3.1.5 / §3.1.9, as settled by RULINGS §10 and §11. */
#include "harness.h"

/* Gets an int/BOOL option; checks *optlen comes back as 4. */
static int get_int(SOCKET s, int level, int opt) {
    int v = 0x7EADBEEF, len = 16;
    char buf[16];
    memset(buf, 0xCC, sizeof buf);
    CHECK_OK(WSPGetSockOpt(s, level, opt, buf, &len, lpErrno));
    CHECK_EQ(len, 4);
    memcpy(&v, buf, sizeof v);
    return v;
}

static void set_int(SOCKET s, int level, int opt, int v) {
    CHECK_OK(WSPSetSockOpt(s, level, opt, (const char *)&v, sizeof v, lpErrno));
}

static void check_bool_roundtrip(SOCKET s, int level, int opt) {
    set_int(s, level, opt, TRUE);
    CHECK_EQ(get_int(s, level, opt), TRUE);
    set_int(s, level, opt, FALSE);
    CHECK_EQ(get_int(s, level, opt), FALSE);
    set_int(s, level, opt, 7);          /* any non-zero value enables (§3.1.9) */
    CHECK_EQ(get_int(s, level, opt), TRUE);
    set_int(s, level, opt, FALSE);
    CHECK_EQ(get_int(s, level, opt), FALSE);
}

static void check_get_set_noprotoopt(SOCKET s, int level, int opt) {
    char buf[256];
    int len = sizeof buf, v = 1;
    CHECK_WSA(WSPGetSockOpt(s, level, opt, buf, &len, lpErrno), WSAENOPROTOOPT);
    CHECK_WSA(WSPSetSockOpt(s, level, opt, (const char *)&v, sizeof v, lpErrno), WSAENOPROTOOPT);
}

/* §2.8.4: SO_ACCEPTCONN BOOL, "FALSE unless a WSPListen() has been
 * performed", get only (§3.1.9 lists it as not supported for set). */
TEST(so_acceptconn) {
    t_startup();
    SOCKET t = t_socket(SOCK_STREAM);
    CHECK_EQ(get_int(t, SOL_SOCKET, SO_ACCEPTCONN), FALSE);
    SOCKET l = t_listener(NULL);
    CHECK_EQ(get_int(l, SOL_SOCKET, SO_ACCEPTCONN), TRUE);
    int v = TRUE;
    CHECK_WSA(WSPSetSockOpt(t, SOL_SOCKET, SO_ACCEPTCONN, (const char *)&v, sizeof v, lpErrno), WSAENOPROTOOPT);
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_EQ(get_int(s, SOL_SOCKET, SO_ACCEPTCONN), FALSE);
}

/* §2.8.4: SO_BROADCAST BOOL, default FALSE, settable (note (i)); a datagram
 * option, so TCP has no such option (WSAENOPROTOOPT, RULINGS §10). */
TEST(so_broadcast) {
    t_startup();
    SOCKET u = t_socket(SOCK_DGRAM);
    CHECK_EQ(get_int(u, SOL_SOCKET, SO_BROADCAST), FALSE);
    check_bool_roundtrip(u, SOL_SOCKET, SO_BROADCAST);
    /* RULINGS §7a: on a stream socket it has no meaning: WSPGetSockOpt
     * returns the default (FALSE); setting it is WSAENOPROTOOPT. */
    SOCKET t = t_socket(SOCK_STREAM);
    CHECK_EQ(get_int(t, SOL_SOCKET, SO_BROADCAST), FALSE);
    int v = 1;
    CHECK_WSA(WSPSetSockOpt(t, SOL_SOCKET, SO_BROADCAST, (const char *)&v, sizeof v, lpErrno), WSAENOPROTOOPT);
}

/* §2.8.4: SO_DEBUG BOOL, default FALSE, set/get roundtrip (note (i)). */
TEST(so_debug) {
    t_startup();
    SOCKET t = t_socket(SOCK_STREAM), u = t_socket(SOCK_DGRAM);
    CHECK_EQ(get_int(t, SOL_SOCKET, SO_DEBUG), FALSE);
    CHECK_EQ(get_int(u, SOL_SOCKET, SO_DEBUG), FALSE);
    check_bool_roundtrip(t, SOL_SOCKET, SO_DEBUG);
    check_bool_roundtrip(u, SOL_SOCKET, SO_DEBUG);
}

/* §2.8.4: SO_DONTLINGER BOOL, default TRUE. */
TEST(so_dontlinger_default_true) {
    t_startup();
    SOCKET t = t_socket(SOCK_STREAM);
    CHECK_EQ(get_int(t, SOL_SOCKET, SO_DONTLINGER), TRUE);
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_EQ(get_int(c, SOL_SOCKET, SO_DONTLINGER), TRUE);
    CHECK_EQ(get_int(s, SOL_SOCKET, SO_DONTLINGER), TRUE);
}

/* §2.8.4: SO_DONTROUTE BOOL, default FALSE, roundtrip (note (i)). */
TEST(so_dontroute) {
    t_startup();
    SOCKET t = t_socket(SOCK_STREAM), u = t_socket(SOCK_DGRAM);
    CHECK_EQ(get_int(t, SOL_SOCKET, SO_DONTROUTE), FALSE);
    CHECK_EQ(get_int(u, SOL_SOCKET, SO_DONTROUTE), FALSE);
    check_bool_roundtrip(t, SOL_SOCKET, SO_DONTROUTE);
    check_bool_roundtrip(u, SOL_SOCKET, SO_DONTROUTE);
}

/* §2.8.4 / §3.1.5: SO_KEEPALIVE BOOL (TCP), default FALSE, roundtrip. */
TEST(so_keepalive) {
    t_startup();
    SOCKET t = t_socket(SOCK_STREAM);
    CHECK_EQ(get_int(t, SOL_SOCKET, SO_KEEPALIVE), FALSE);
    check_bool_roundtrip(t, SOL_SOCKET, SO_KEEPALIVE);
}

/* §2.8.4 SO_LINGER: "l_onoff is 0" by default; struct linger has u_short
 * fields (RULINGS §10), *optlen = sizeof(struct linger) (§3.1.5); {1,5}
 * reads back; SO_DONTLINGER is "If true, the SO_LINGER option is disabled"
 * and setting it TRUE "is equivalent to setting SO_LINGER with l_onoff set
 * to zero" (§3.1.9). */
TEST(so_linger) {
    t_startup();
    CHECK_EQ(sizeof(struct linger), 4);
    SOCKET t = t_socket(SOCK_STREAM);
    struct linger l;
    int len = 16;
    char buf[16];
    memset(buf, 0xCC, sizeof buf);
    CHECK_OK(WSPGetSockOpt(t, SOL_SOCKET, SO_LINGER, buf, &len, lpErrno));
    CHECK_EQ(len, 4);
    memcpy(&l, buf, sizeof l);
    CHECK_EQ(l.l_onoff, 0);

    struct linger on = { 1, 5 };
    CHECK_OK(WSPSetSockOpt(t, SOL_SOCKET, SO_LINGER, (const char *)&on, sizeof on, lpErrno));
    memset(&l, 0xCC, sizeof l);
    len = sizeof l;
    CHECK_OK(WSPGetSockOpt(t, SOL_SOCKET, SO_LINGER, (char *)&l, &len, lpErrno));
    CHECK_EQ(len, 4);
    CHECK_EQ(l.l_onoff, 1);
    CHECK_EQ(l.l_linger, 5);
    CHECK_EQ(get_int(t, SOL_SOCKET, SO_DONTLINGER), FALSE);

    set_int(t, SOL_SOCKET, SO_DONTLINGER, TRUE);
    memset(&l, 0xCC, sizeof l);
    len = sizeof l;
    CHECK_OK(WSPGetSockOpt(t, SOL_SOCKET, SO_LINGER, (char *)&l, &len, lpErrno));
    CHECK_EQ(l.l_onoff, 0);
    CHECK_EQ(get_int(t, SOL_SOCKET, SO_DONTLINGER), TRUE);

    /* l_onoff 0 through SO_LINGER is SO_DONTLINGER TRUE again */
    CHECK_OK(WSPSetSockOpt(t, SOL_SOCKET, SO_LINGER, (const char *)&on, sizeof on, lpErrno));
    struct linger off = { 0, 0 };
    CHECK_OK(WSPSetSockOpt(t, SOL_SOCKET, SO_LINGER, (const char *)&off, sizeof off, lpErrno));
    CHECK_EQ(get_int(t, SOL_SOCKET, SO_DONTLINGER), TRUE);
}

/* §2.8.4: SO_OOBINLINE BOOL, default FALSE, roundtrip. */
TEST(so_oobinline) {
    t_startup();
    SOCKET t = t_socket(SOCK_STREAM);
    CHECK_EQ(get_int(t, SOL_SOCKET, SO_OOBINLINE), FALSE);
    check_bool_roundtrip(t, SOL_SOCKET, SO_OOBINLINE);
}

/* §2.8.4: SO_RCVBUF / SO_SNDBUF int, "Implementation dependent" default
 * (positive), a value set reads back (note (i)). */
TEST(so_rcvbuf_sndbuf) {
    t_startup();
    SOCKET socks[2] = { t_socket(SOCK_STREAM), t_socket(SOCK_DGRAM) };
    for (int i = 0; i < 2; i++) {
        CHECK(get_int(socks[i], SOL_SOCKET, SO_RCVBUF) > 0);
        CHECK(get_int(socks[i], SOL_SOCKET, SO_SNDBUF) > 0);
        set_int(socks[i], SOL_SOCKET, SO_RCVBUF, 65536);
        set_int(socks[i], SOL_SOCKET, SO_SNDBUF, 65536);
        CHECK_EQ(get_int(socks[i], SOL_SOCKET, SO_RCVBUF), 65536);
        CHECK_EQ(get_int(socks[i], SOL_SOCKET, SO_SNDBUF), 65536);
        set_int(socks[i], SOL_SOCKET, SO_SNDBUF, 32768);
        CHECK_EQ(get_int(socks[i], SOL_SOCKET, SO_SNDBUF), 32768);
        CHECK_EQ(get_int(socks[i], SOL_SOCKET, SO_RCVBUF), 65536);
    }
}

/* §2.8.4: SO_REUSEADDR BOOL, default FALSE; §3.1.5: "By default, a socket
 * may not be bound to a local address which is already in use" - here the
 * address of a closed connection in TIME_WAIT - SO_REUSEADDR set before the
 * WSPBind allows it. */
TEST(so_reuseaddr) {
    t_startup();
    SOCKET t = t_socket(SOCK_STREAM);
    CHECK_EQ(get_int(t, SOL_SOCKET, SO_REUSEADDR), FALSE);
    check_bool_roundtrip(t, SOL_SOCKET, SO_REUSEADDR);

    SOCKET l = t_socket(SOCK_STREAM);
    set_int(l, SOL_SOCKET, SO_REUSEADDR, TRUE);
    struct sockaddr_in a = t_loopback(0);
    int len = sizeof a;
    CHECK_OK(WSPBind(l, (struct sockaddr *)&a, sizeof a, lpErrno));
    CHECK_OK(WSPListen(l, 5, lpErrno));
    CHECK_OK(WSPGetSockName(l, (struct sockaddr *)&a, &len, lpErrno));
    SOCKET c = t_socket(SOCK_STREAM);
    CHECK_OK(WSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno));
    int err = 0;
    SOCKET s = WSPAccept(l, NULL, NULL, NULL, 0, &err);
    CHECK(s != INVALID_SOCKET);
    CHECK_OK(WSPCloseSocket(l, lpErrno));
    CHECK_OK(WSPCloseSocket(s, lpErrno));   /* the server side closes first: TIME_WAIT on a */
    t_sleep_ms(20);
    CHECK_OK(WSPCloseSocket(c, lpErrno));
    t_sleep_ms(50);

    SOCKET plain = t_socket(SOCK_STREAM);
    CHECK_WSA(WSPBind(plain, (struct sockaddr *)&a, sizeof a, lpErrno), WSAEADDRINUSE);
    SOCKET reuse = t_socket(SOCK_STREAM);
    set_int(reuse, SOL_SOCKET, SO_REUSEADDR, TRUE);
    CHECK_OK(WSPBind(reuse, (struct sockaddr *)&a, sizeof a, lpErrno));
}

/* §2.8.4: SO_TYPE int, "As created via WSPSocket()", get only. */
TEST(so_type) {
    t_startup();
    SOCKET t = t_socket(SOCK_STREAM), u = t_socket(SOCK_DGRAM);
    CHECK_EQ(get_int(t, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
    CHECK_EQ(get_int(u, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
    int v = SOCK_DGRAM;
    CHECK_WSA(WSPSetSockOpt(t, SOL_SOCKET, SO_TYPE, (const char *)&v, sizeof v, lpErrno), WSAENOPROTOOPT);
    CHECK_EQ(get_int(t, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
}

/* §2.8.4: SO_MAX_MSGDG_SIZE (== SO_MAX_DG_SIZE, RULINGS §2), unsigned int,
 * get only; UDP over IPv4 carries 65507 bytes. */
TEST(so_max_msg_size) {
    t_startup();
    CHECK_EQ(SO_MAX_MSGDG_SIZE, SO_MAX_DG_SIZE);
    SOCKET u = t_socket(SOCK_DGRAM);
    CHECK_EQ(get_int(u, SOL_SOCKET, SO_MAX_MSGDG_SIZE), 65507);
    int v = 100;
    CHECK_WSA(WSPSetSockOpt(u, SOL_SOCKET, SO_MAX_MSGDG_SIZE, (const char *)&v, sizeof v, lpErrno), WSAENOPROTOOPT);
}

/* §2.8.4 SO_PROTOCOL_INFO (RULINGS §10: returns PROTOCOL_INFO; §2: 0x1066
 * is TCP and 0x1609 UDP), get only; a buffer too small is WSAEFAULT. */
static void get_protocol_info(SOCKET s, PROTOCOL_INFO *pi) {
    char buf[64];
    int len = sizeof buf;
    memset(buf, 0xCC, sizeof buf);
    CHECK_OK(WSPGetSockOpt(s, SOL_SOCKET, SO_PROTOCOL_INFO, buf, &len, lpErrno));
    CHECK_EQ(len, sizeof(PROTOCOL_INFO));
    memcpy(pi, buf, sizeof *pi);
    CHECK(pi->lpProtocol != NULL);
    CHECK(pi->lpProtocol[0] != 0);
    CHECK(strlen(pi->lpProtocol) < 256);
    CHECK_EQ(pi->iAddressFamily, AF_INET);
    CHECK_EQ(pi->iMaxSockAddr, 16);
    CHECK_EQ(pi->iMinSockAddr, 16);
    len = sizeof(PROTOCOL_INFO) - 1;
    CHECK_WSA(WSPGetSockOpt(s, SOL_SOCKET, SO_PROTOCOL_INFO, buf, &len, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPSetSockOpt(s, SOL_SOCKET, SO_PROTOCOL_INFO, (const char *)pi, sizeof *pi, lpErrno), WSAENOPROTOOPT);
}

TEST(so_protocol_info_tcp) {
    t_startup();
    CHECK_EQ(sizeof(PROTOCOL_INFO), 40);
    PROTOCOL_INFO pi;
    get_protocol_info(t_socket(SOCK_STREAM), &pi);
    CHECK_EQ(pi.dwServiceFlags, 0x1066);
    CHECK_EQ(pi.iSocketType, SOCK_STREAM);
    CHECK_EQ(pi.iProtocol, IPPROTO_TCP);
}

TEST(so_protocol_info_udp) {
    t_startup();
    PROTOCOL_INFO pi;
    get_protocol_info(t_socket(SOCK_DGRAM), &pi);
    CHECK_EQ(pi.dwServiceFlags, 0x1609);
    CHECK_EQ(pi.iSocketType, SOCK_DGRAM);
    CHECK_EQ(pi.iProtocol, IPPROTO_UDP);
    CHECK_EQ(pi.dwMessageSize, 65507);
}

/* §3.1.5 SO_FLOWSPEC / SO_GROUP_FLOWSPEC: get-only, the default flow spec;
 * RULINGS §11: "every field zero, LevelOfGuarantee BestEffortService"; a
 * buffer smaller than a QOS is WSAEFAULT (§3.1.5 "optlen argument was
 * invalid"); setting is WSAENOPROTOOPT (§3.1.9 does not list them). */
static void check_flowparams(const FLOWPARAMS *f) {
    CHECK_EQ(f->AverageBandwidth, 0);
    CHECK_EQ(f->PeakBandwidth, 0);
    CHECK_EQ(f->BurstLength, 0);
    CHECK_EQ(f->Latency, 0);
    CHECK_EQ(f->DelayVariation, 0);
    CHECK_EQ(f->LevelOfGuarantee, BestEffortService);
    CHECK_EQ(f->CostOfCall, 0);
    CHECK_EQ(f->ProviderId, 0);
    CHECK_EQ(f->SizePSP, 0);
    CHECK_EQ(f->ProviderSpecificParams[0], 0);
}

static void check_flowspec(SOCKET s, int opt) {
    char buf[256];
    QOS q;
    int len = sizeof buf;
    memset(buf, 0xCC, sizeof buf);
    CHECK_OK(WSPGetSockOpt(s, SOL_SOCKET, opt, buf, &len, lpErrno));
    CHECK_EQ(len, sizeof(QOS));
    memcpy(&q, buf, sizeof q);
    check_flowparams(&q.ForwardFP);
    check_flowparams(&q.BackwardFP);
    len = sizeof(QOS) - 1;
    CHECK_WSA(WSPGetSockOpt(s, SOL_SOCKET, opt, buf, &len, lpErrno), WSAEFAULT);
    len = 4;
    CHECK_WSA(WSPGetSockOpt(s, SOL_SOCKET, opt, buf, &len, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPSetSockOpt(s, SOL_SOCKET, opt, (const char *)&q, sizeof q, lpErrno), WSAENOPROTOOPT);
}

TEST(so_flowspec_default) {
    t_startup();
    CHECK_EQ(sizeof(QOS), 128);
    SOCKET t = t_socket(SOCK_STREAM), u = t_socket(SOCK_DGRAM);
    check_flowspec(t, SO_FLOWSPEC);
    check_flowspec(t, SO_GROUP_FLOWSPEC);
    check_flowspec(u, SO_FLOWSPEC);
    check_flowspec(u, SO_GROUP_FLOWSPEC);
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    check_flowspec(c, SO_FLOWSPEC);
    check_flowspec(s, SO_GROUP_FLOWSPEC);
}

/* §3.1.5 SO_GROUP_ID: "If this socket is not a group socket, the value is
 * NULL" (0), a GROUP (4 bytes); get only. */
TEST(so_group_id_outside_group) {
    t_startup();
    CHECK_EQ(sizeof(GROUP), 4);
    SOCKET t = t_socket(SOCK_STREAM), u = t_socket(SOCK_DGRAM);
    CHECK_EQ(get_int(t, SOL_SOCKET, SO_GROUP_ID), 0);
    CHECK_EQ(get_int(u, SOL_SOCKET, SO_GROUP_ID), 0);
    GROUP g = 5;
    CHECK_WSA(WSPSetSockOpt(t, SOL_SOCKET, SO_GROUP_ID, (const char *)&g, sizeof g, lpErrno), WSAENOPROTOOPT);
}

/* §3.1.5/§3.1.9 SO_GROUP_PRIORITY: "The WSAENOPROTOOPT error code is
 * indicated for non group sockets" (RULINGS §11), for get and set. */
TEST(so_group_priority_outside_group) {
    t_startup();
    check_get_set_noprotoopt(t_socket(SOCK_STREAM), SOL_SOCKET, SO_GROUP_PRIORITY);
    check_get_set_noprotoopt(t_socket(SOCK_DGRAM), SOL_SOCKET, SO_GROUP_PRIORITY);
}

/* §3.1.5: TCP_NODELAY BOOL at level SOL_PROVIDER, "an alias for
 * IPPROTO_TCP"; default FALSE (Nagle on), roundtrip. */
TEST(tcp_nodelay) {
    t_startup();
    CHECK_EQ(SOL_PROVIDER, IPPROTO_TCP);
    SOCKET t = t_socket(SOCK_STREAM);
    CHECK_EQ(get_int(t, IPPROTO_TCP, TCP_NODELAY), FALSE);
    check_bool_roundtrip(t, IPPROTO_TCP, TCP_NODELAY);
    set_int(t, SOL_PROVIDER, TCP_NODELAY, TRUE);
    CHECK_EQ(get_int(t, IPPROTO_TCP, TCP_NODELAY), TRUE);
}

/* §3.1.5 PVD_CONFIG at level SOL_PROVIDER: an opaque object; *optlen comes
 * back as its (non-zero) size, within the buffer. */
TEST(pvd_config) {
    t_startup();
    SOCKET socks[2] = { t_socket(SOCK_STREAM), t_socket(SOCK_DGRAM) };
    for (int i = 0; i < 2; i++) {
        char buf[1024];
        int len = sizeof buf;
        CHECK_OK(WSPGetSockOpt(socks[i], SOL_PROVIDER, PVD_CONFIG, buf, &len, lpErrno));
        CHECK(len > 0);
        CHECK(len <= (int)sizeof buf);
    }
}

/* §3.1.5 / §3.1.9 "BSD options not supported" and RULINGS §10: SO_ERROR,
 * SO_RCVLOWAT, SO_SNDLOWAT, SO_RCVTIMEO, SO_SNDTIMEO, IP_OPTIONS, TCP_MAXSEG
 * -> WSAENOPROTOOPT; so do PVD_CALL_ID and TAPI_DEVICE_ID (§3.1.5: "not also
 * TAPI service providers should return an WSAENOPROTOOPT"). */
TEST(unsupported_options_enoprotoopt) {
    t_startup();
    SOCKET socks[2] = { t_socket(SOCK_STREAM), t_socket(SOCK_DGRAM) };
    static const int bsd[] = { SO_ERROR, SO_RCVLOWAT, SO_SNDLOWAT, SO_RCVTIMEO, SO_SNDTIMEO };
    for (int i = 0; i < 2; i++) {
        for (size_t k = 0; k < sizeof bsd / sizeof bsd[0]; k++)
            check_get_set_noprotoopt(socks[i], SOL_SOCKET, bsd[k]);
        check_get_set_noprotoopt(socks[i], IPPROTO_IP, IP_OPTIONS);
        check_get_set_noprotoopt(socks[i], SOL_PROVIDER, PVD_CALL_ID);
        check_get_set_noprotoopt(socks[i], SOL_PROVIDER, TAPI_DEVICE_ID);
        check_get_set_noprotoopt(socks[i], SOL_SOCKET, PVD_CALL_ID);
        check_get_set_noprotoopt(socks[i], SOL_SOCKET, TAPI_DEVICE_ID);
    }
    check_get_set_noprotoopt(socks[0], IPPROTO_TCP, TCP_MAXSEG);
}

/* RULINGS §10 "An unknown level is WSAEINVAL" (§3.1.9 "level is not
 * valid"); an unknown option at a known level is WSAENOPROTOOPT (§3.1.5). */
TEST(unknown_level_and_option) {
    t_startup();
    SOCKET t = t_socket(SOCK_STREAM);
    char buf[16];
    int len = sizeof buf, v = 1;
    CHECK_WSA(WSPGetSockOpt(t, 12345, SO_DEBUG, buf, &len, lpErrno), WSAEINVAL);
    CHECK_WSA(WSPSetSockOpt(t, 12345, SO_DEBUG, (const char *)&v, sizeof v, lpErrno), WSAEINVAL);
    len = sizeof buf;
    CHECK_WSA(WSPGetSockOpt(t, -1, SO_DEBUG, buf, &len, lpErrno), WSAEINVAL);
    check_get_set_noprotoopt(t, SOL_SOCKET, 0x7777);
    check_get_set_noprotoopt(t, SOL_PROVIDER, 0x7777);
}

/* §3.1.5 WSAEFAULT "The optlen argument was invalid" (too small for the
 * value), §3.1.9 WSAEFAULT for optval; RULINGS §4 NULL -> WSAEFAULT. A
 * refused set changes nothing. */
TEST(bad_optlen_or_pointers_efault) {
    t_startup();
    SOCKET t = t_socket(SOCK_STREAM);
    char buf[16];
    int len = 2, v = TRUE;
    CHECK_WSA(WSPGetSockOpt(t, SOL_SOCKET, SO_KEEPALIVE, buf, &len, lpErrno), WSAEFAULT);
    len = 0;
    CHECK_WSA(WSPGetSockOpt(t, SOL_SOCKET, SO_RCVBUF, buf, &len, lpErrno), WSAEFAULT);
    len = 2;
    CHECK_WSA(WSPGetSockOpt(t, SOL_SOCKET, SO_LINGER, buf, &len, lpErrno), WSAEFAULT);
    len = -4;
    CHECK_WSA(WSPGetSockOpt(t, SOL_SOCKET, SO_TYPE, buf, &len, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPSetSockOpt(t, SOL_SOCKET, SO_KEEPALIVE, (const char *)&v, 2, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPSetSockOpt(t, SOL_SOCKET, SO_LINGER, (const char *)&v, 2, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPSetSockOpt(t, IPPROTO_TCP, TCP_NODELAY, (const char *)&v, 0, lpErrno), WSAEFAULT);
    len = sizeof buf;
    CHECK_WSA(WSPGetSockOpt(t, SOL_SOCKET, SO_KEEPALIVE, NULL, &len, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPGetSockOpt(t, SOL_SOCKET, SO_KEEPALIVE, buf, NULL, lpErrno), WSAEFAULT);
    CHECK_WSA(WSPSetSockOpt(t, SOL_SOCKET, SO_KEEPALIVE, NULL, 4, lpErrno), WSAEFAULT);
    CHECK_EQ(get_int(t, SOL_SOCKET, SO_KEEPALIVE), FALSE);
    CHECK_EQ(get_int(t, IPPROTO_TCP, TCP_NODELAY), FALSE);
    CHECK_EQ(get_int(t, SOL_SOCKET, SO_DONTLINGER), TRUE);
}

/* §3.1.5: "on return, [*optlen] will be set to the size of the value
 * returned. For SO_LINGER, this will be the size of a struct linger; for most
 * other options it will be the size of an integer." */
TEST(optlen_set_to_value_size) {
    t_startup();
    SOCKET t = t_socket(SOCK_STREAM);
    static const int ints[] = { SO_ACCEPTCONN, SO_DEBUG, SO_DONTLINGER, SO_DONTROUTE, SO_KEEPALIVE,
                                SO_OOBINLINE, SO_RCVBUF, SO_REUSEADDR, SO_SNDBUF, SO_TYPE, SO_GROUP_ID };
    for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++) {
        char buf[64];
        int len = sizeof buf;
        CHECK_OK(WSPGetSockOpt(t, SOL_SOCKET, ints[k], buf, &len, lpErrno));
        if (len != 4) harness_fail(__FILE__, __LINE__, "option 0x%x: optlen %d, expected 4", ints[k], len);
    }
    char buf[64];
    int len = sizeof buf;
    CHECK_OK(WSPGetSockOpt(t, SOL_SOCKET, SO_LINGER, buf, &len, lpErrno));
    CHECK_EQ(len, sizeof(struct linger));
    len = sizeof buf;
    CHECK_OK(WSPGetSockOpt(t, IPPROTO_TCP, TCP_NODELAY, buf, &len, lpErrno));
    CHECK_EQ(len, 4);
    /* exactly sized buffers work */
    int v;
    len = sizeof v;
    CHECK_OK(WSPGetSockOpt(t, SOL_SOCKET, SO_TYPE, (char *)&v, &len, lpErrno));
    CHECK_EQ(v, SOCK_STREAM);
}

/* Options that belong to TCP (§3.1.5: SO_KEEPALIVE "on TCP connections",
 * SO_LINGER/SO_OOBINLINE stream-only, TCP_NODELAY "specific to TCP/IP"):
 * on UDP they are "unsupported by the indicated protocol" - WSAENOPROTOOPT. */
TEST(tcp_only_options_on_udp) {
    t_startup();
    SOCKET u = t_socket(SOCK_DGRAM);
    check_get_set_noprotoopt(u, SOL_SOCKET, SO_KEEPALIVE);
    check_get_set_noprotoopt(u, SOL_SOCKET, SO_LINGER);
    check_get_set_noprotoopt(u, SOL_SOCKET, SO_OOBINLINE);
    check_get_set_noprotoopt(u, IPPROTO_TCP, TCP_NODELAY);
}

/* The options are per socket: setting one on a socket leaves another alone
 * (§3.1.9 "sets the current value for a socket option associated with a
 * socket"). */
TEST(options_are_per_socket) {
    t_startup();
    SOCKET a = t_socket(SOCK_STREAM), b = t_socket(SOCK_STREAM);
    set_int(a, SOL_SOCKET, SO_DEBUG, TRUE);
    set_int(a, SOL_SOCKET, SO_KEEPALIVE, TRUE);
    set_int(a, SOL_SOCKET, SO_OOBINLINE, TRUE);
    CHECK_EQ(get_int(b, SOL_SOCKET, SO_DEBUG), FALSE);
    CHECK_EQ(get_int(b, SOL_SOCKET, SO_KEEPALIVE), FALSE);
    CHECK_EQ(get_int(b, SOL_SOCKET, SO_OOBINLINE), FALSE);
    CHECK_EQ(get_int(a, SOL_SOCKET, SO_DEBUG), TRUE);
}
