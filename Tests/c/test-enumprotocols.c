/* WSAEnumProtocols (RULINGS §12): every PROTOCOL_INFO of the catalog, or
 * those whose iProtocol is in a zero-terminated list; the count as result;
 * the lpProtocol strings in the same buffer after the array; a NULL or short
 * buffer is SOCKET_ERROR with WSAENOBUFS and the size needed. Draft §5.1,
 * §5.2: what WPUInstallProvider adds is enumerated, what
 * WPUDeinstallProvider removes is not. */
#include "harness.h"
#include <stdint.h>
#include <sys/stat.h>


/* Two providers: the TCP/IP provider for TCP and UDP, and a second one for
 * UDP only (the example host's set-up), then the draft's novlwp section. */
static DWORD id_tcpip, id_udp;

static void install_two(void) {
    PROTOCOL_INFO both[2] = {
        { 0x1066, AF_INET, 16, 16, SOCK_STREAM, IPPROTO_TCP, 0, "TCP/IP" },
        { 0x1609, AF_INET, 16, 16, SOCK_DGRAM, IPPROTO_UDP, 65507, "UDP/IP" },
    };
    PROTOCOL_INFO udp = { 0x1609, AF_INET, 16, 16, SOCK_DGRAM, IPPROTO_UDP, 1472, "Second UDP" };
    CHECK_OK(WPUInstallProvider("tcpip", "/usr/lib/libws2spi.so.2", both, 2, &id_tcpip, lpErrno));
    CHECK_OK(WPUInstallProvider("udp2", "/usr/lib/libws2spi.so.2", &udp, 1, &id_udp, lpErrno));
}

#define ENTRIES 3
static const size_t strings = sizeof "TCP/IP" + sizeof "UDP/IP" + sizeof "Second UDP";

static void check_entry(const PROTOCOL_INFO *p, DWORD flags, int type, int proto, DWORD msg, const char *name) {
    CHECK_EQ(p->dwServiceFlags, flags);
    CHECK_EQ(p->iAddressFamily, AF_INET);
    CHECK_EQ(p->iMaxSockAddr, 16);
    CHECK_EQ(p->iMinSockAddr, 16);
    CHECK_EQ(p->iSocketType, type);
    CHECK_EQ(p->iProtocol, proto);
    CHECK_EQ(p->dwMessageSize, msg);
    CHECK(p->lpProtocol != NULL);
    if (strcmp(p->lpProtocol, name) != 0) harness_fail(__FILE__, __LINE__, "lpProtocol \"%s\", expected \"%s\"", p->lpProtocol, name);
}

/* lpProtocol points into the buffer, after the array. */
static void check_in_buffer(const PROTOCOL_INFO *p, const void *buf, int n, DWORD len) {
    const char *lo = (const char *)buf + (size_t)n * sizeof(PROTOCOL_INFO), *hi = (const char *)buf + len;
    CHECK(p->lpProtocol >= lo);
    CHECK(p->lpProtocol + strlen(p->lpProtocol) < hi);
}

TEST(enum_all) {
    t_new_catalog(NULL);
    install_two();
    DWORD len = 0;
    WSASetLastError(0);
    CHECK_EQ(WSAEnumProtocols(NULL, NULL, &len), SOCKET_ERROR);
    CHECK_EQ(WSAGetLastError(), WSAENOBUFS);
    CHECK_EQ(len, ENTRIES * sizeof(PROTOCOL_INFO) + strings);
    PROTOCOL_INFO *buf = malloc(len);
    DWORD given = len;
    CHECK_EQ(WSAEnumProtocols(NULL, buf, &len), ENTRIES);
    CHECK_EQ(len, given);
    check_entry(&buf[0], 0x1066, SOCK_STREAM, IPPROTO_TCP, 0, "TCP/IP");
    check_entry(&buf[1], 0x1609, SOCK_DGRAM, IPPROTO_UDP, 65507, "UDP/IP");
    check_entry(&buf[2], 0x1609, SOCK_DGRAM, IPPROTO_UDP, 1472, "Second UDP");
    for (int i = 0; i < ENTRIES; i++) check_in_buffer(&buf[i], buf, ENTRIES, len);
    /* The strings follow the array back to back. */
    CHECK(buf[0].lpProtocol == (char *)&buf[ENTRIES]);
    CHECK(buf[1].lpProtocol == buf[0].lpProtocol + sizeof "TCP/IP");
    /* A larger buffer works the same. */
    PROTOCOL_INFO *big = malloc(len + 500);
    len += 500;
    CHECK_EQ(WSAEnumProtocols(NULL, big, &len), ENTRIES);
    check_entry(&big[2], 0x1609, SOCK_DGRAM, IPPROTO_UDP, 1472, "Second UDP");
    free(big);
    free(buf);
    t_drop_catalog();
}

TEST(enum_filtered) {
    t_new_catalog(NULL);
    install_two();
    PROTOCOL_INFO buf[8];
    DWORD len = sizeof buf;
    INT udp[] = { IPPROTO_UDP, 0 };
    CHECK_EQ(WSAEnumProtocols(udp, buf, &len), 2);
    check_entry(&buf[0], 0x1609, SOCK_DGRAM, IPPROTO_UDP, 65507, "UDP/IP");
    check_entry(&buf[1], 0x1609, SOCK_DGRAM, IPPROTO_UDP, 1472, "Second UDP");
    check_in_buffer(&buf[1], buf, 2, len);

    INT tcp[] = { IPPROTO_TCP, 0, IPPROTO_UDP };   /* the list ends at the 0 */
    len = sizeof buf;
    CHECK_EQ(WSAEnumProtocols(tcp, buf, &len), 1);
    check_entry(&buf[0], 0x1066, SOCK_STREAM, IPPROTO_TCP, 0, "TCP/IP");

    INT both[] = { IPPROTO_UDP, IPPROTO_TCP, 0 };   /* catalog order, not list order */
    len = sizeof buf;
    CHECK_EQ(WSAEnumProtocols(both, buf, &len), 3);
    CHECK_EQ(buf[0].iProtocol, IPPROTO_TCP);

    INT none[] = { 99, 0 };
    len = sizeof buf;
    CHECK_EQ(WSAEnumProtocols(none, buf, &len), 0);
    INT empty[] = { 0 };
    CHECK_EQ(WSAEnumProtocols(empty, buf, &len), 0);
    /* Nothing matches: a NULL buffer still gets the size query's answer, 0. */
    len = 5;
    CHECK_EQ(WSAEnumProtocols(none, NULL, &len), SOCKET_ERROR);
    CHECK_EQ(WSAGetLastError(), WSAENOBUFS);
    CHECK_EQ(len, 0);

    /* The size needed counts only the matching entries. */
    len = 0;
    CHECK_EQ(WSAEnumProtocols(tcp, NULL, &len), SOCKET_ERROR);
    CHECK_EQ(len, sizeof(PROTOCOL_INFO) + sizeof "TCP/IP");
    t_drop_catalog();
}

/* A short buffer: SOCKET_ERROR, WSAENOBUFS, *lpdwBufferLength = needed,
 * and the buffer untouched. One byte short is short. */
TEST(enum_short_buffer) {
    t_new_catalog(NULL);
    install_two();
    DWORD needed = 0;
    CHECK_EQ(WSAEnumProtocols(NULL, NULL, &needed), SOCKET_ERROR);
    unsigned char *buf = malloc(needed);
    memset(buf, 0xAB, needed);
    DWORD sizes[] = { 0, 1, sizeof(PROTOCOL_INFO), needed - strings, needed - 1 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        DWORD len = sizes[i];
        WSASetLastError(0);
        CHECK_EQ(WSAEnumProtocols(NULL, (PROTOCOL_INFO *)buf, &len), SOCKET_ERROR);
        CHECK_EQ(WSAGetLastError(), WSAENOBUFS);
        CHECK_EQ(len, needed);
    }
    for (DWORD i = 0; i < needed; i++) CHECK_EQ(buf[i], 0xAB);
    /* A NULL buffer with a large length is still no buffer. */
    DWORD len = 1 << 20;
    CHECK_EQ(WSAEnumProtocols(NULL, NULL, &len), SOCKET_ERROR);
    CHECK_EQ(WSAGetLastError(), WSAENOBUFS);
    CHECK_EQ(len, needed);
    free(buf);
    t_drop_catalog();
}

/* NULL lpdwBufferLength: WSAEFAULT, never a crash. */
TEST(enum_null_length) {
    t_new_catalog(NULL);
    install_two();
    PROTOCOL_INFO buf[4];
    WSASetLastError(0);
    CHECK_EQ(WSAEnumProtocols(NULL, buf, NULL), SOCKET_ERROR);
    CHECK_EQ(WSAGetLastError(), WSAEFAULT);
    WSASetLastError(0);
    CHECK_EQ(WSAEnumProtocols(NULL, NULL, NULL), SOCKET_ERROR);
    CHECK_EQ(WSAGetLastError(), WSAEFAULT);
    t_drop_catalog();
}

/* No catalog file, or one without providers: zero protocols. A NULL
 * buffer is still the size query (RULINGS §12: "too small (or NULL)"):
 * WSAENOBUFS with the size needed, 0. */
TEST(enum_empty_catalog) {
    t_new_catalog(NULL);
    DWORD len = 77;
    CHECK_EQ(WSAEnumProtocols(NULL, NULL, &len), SOCKET_ERROR);
    CHECK_EQ(WSAGetLastError(), WSAENOBUFS);
    CHECK_EQ(len, 0);
    PROTOCOL_INFO buf[1];
    len = sizeof buf;
    CHECK_EQ(WSAEnumProtocols(NULL, buf, &len), 0);
    t_drop_catalog();
    t_new_catalog("; nothing here\n[Providers]\nNumProviders=0\n");
    len = 0;
    CHECK_EQ(WSAEnumProtocols(NULL, buf, &len), 0);
    t_drop_catalog();
}

/* An unreadable catalog is an error, not an empty list. */
TEST(enum_unreadable_catalog) {
    if (geteuid() == 0) {
        /* root reads any file: a directory in its place is unreadable for everyone. */
        t_new_catalog(NULL);
        CHECK_EQ(mkdir(t_catalog_ini, 0755), 0);
    } else {
        t_new_catalog("[Providers]\nNumProviders=0\n");
        CHECK_EQ(chmod(t_catalog_ini, 0), 0);
    }
    DWORD len = 0;
    WSASetLastError(0);
    CHECK_EQ(WSAEnumProtocols(NULL, NULL, &len), SOCKET_ERROR);
    CHECK(WSAGetLastError() == WSASYSNOTREADY || WSAGetLastError() == WSAEACCES);
    t_drop_catalog();
}

/* The buffer need not be aligned for PROTOCOL_INFO (bytes are copied). */
TEST(enum_unaligned_buffer) {
    t_new_catalog(NULL);
    install_two();
    DWORD len = 0;
    CHECK_EQ(WSAEnumProtocols(NULL, NULL, &len), SOCKET_ERROR);
    unsigned char *raw = malloc(len + 1);
    CHECK_EQ(WSAEnumProtocols(NULL, (PROTOCOL_INFO *)(raw + 1), &len), ENTRIES);
    PROTOCOL_INFO third;
    memcpy(&third, raw + 1 + 2 * sizeof(PROTOCOL_INFO), sizeof third);
    check_entry(&third, 0x1609, SOCK_DGRAM, IPPROTO_UDP, 1472, "Second UDP");
    free(raw);
    t_drop_catalog();
}

/* Providers written by other software (the draft's example section) are
 * enumerated from their entries. */
TEST(enum_foreign_provider) {
    t_new_catalog("[Providers]\nNumProviders=1\nProviderKey0=\"novlwp\"\n\n"
                "[Provider-novlwp]\nProviderFilename=\"novlwp.WPSP\"\n ProviderDomain=2\nProviderAddrLength=8\n"
                "NumSockets=1\nSocketType0=1\nAddressFamily0=2\nProtocol0=2\n"
                "MinimumAddressLength0 = 16\nMaximumAddressLength0 = 16\nProtocolAttributes0 = 0x00001066\n"
                "ProtocolSocketDescription0=\"Stream socket in INET domain\"\n");
    PROTOCOL_INFO buf[4];
    DWORD len = sizeof buf + 64;
    PROTOCOL_INFO *big = malloc(len);
    CHECK_EQ(WSAEnumProtocols(NULL, big, &len), 1);
    check_entry(&big[0], 0x1066, SOCK_STREAM, 2, 0, "Stream socket in INET domain");
    free(big);
    (void)buf;
    t_drop_catalog();
}

/* §5.1 / §5.2: installed protocols are returned, deinstalled ones are not. */
TEST(enum_follows_install_and_deinstall) {
    t_new_catalog(NULL);
    install_two();
    PROTOCOL_INFO *buf = malloc(4096);
    DWORD len = 4096;
    CHECK_EQ(WSAEnumProtocols(NULL, buf, &len), 3);
    CHECK_OK(WPUDeinstallProvider(id_tcpip, lpErrno));
    CHECK_EQ(WSAEnumProtocols(NULL, buf, &len), 1);
    check_entry(&buf[0], 0x1609, SOCK_DGRAM, IPPROTO_UDP, 1472, "Second UDP");
    CHECK_OK(WPUDeinstallProvider(id_udp, lpErrno));
    CHECK_EQ(WSAEnumProtocols(NULL, buf, &len), 0);
    free(buf);
    t_drop_catalog();
}
