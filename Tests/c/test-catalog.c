/* The configuration database: WPUInstallProvider / WPUDeinstallProvider on
 * the WINSOCK2.INI layout (draft §2.1.2, §5.1, §5.2; RULINGS §12), atomic
 * and serialised updates across processes, and ListenBacklogLimit
 * (RULINGS §10). Every test uses its own catalog through $WINSOCK2_INI. */
#define _GNU_SOURCE 1
#include "harness.h"
#include <dlfcn.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>

/* <sys/socket.h> clashes with the Winsock names: the few calls the
 * netlink query needs, declared by hand. */
extern int socket(int domain, int type, int protocol);
extern ssize_t send(int fd, const void *buf, size_t len, int flags);
extern ssize_t recv(int fd, void *buf, size_t len, int flags);

/* ---- the catalog file ---- */


/* The whole file (malloc'd, NUL-terminated), or NULL if missing. */
static char *slurp(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    buf[len] = 0;
    return buf;
}

static int count(const char *text, const char *needle) {
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
    return n;
}

#define CHECK_CONTAINS(text, needle) do { if (!strstr((text), (needle))) \
    harness_fail(__FILE__, __LINE__, "catalog lacks \"%s\":\n%s", (needle), (text)); } while (0)
#define CHECK_LACKS(text, needle) do { if (strstr((text), (needle))) \
    harness_fail(__FILE__, __LINE__, "catalog still has \"%s\":\n%s", (needle), (text)); } while (0)

/* ---- protocols (the TCP/IP provider's values, RULINGS §10 / header) ---- */

static PROTOCOL_INFO tcp_info(void) {
    PROTOCOL_INFO p = { 0x1066, AF_INET, 16, 16, SOCK_STREAM, IPPROTO_TCP, 0, "TCP/IP" };
    return p;
}
static PROTOCOL_INFO udp_info(void) {
    PROTOCOL_INFO p = { 0x1609, AF_INET, 16, 16, SOCK_DGRAM, IPPROTO_UDP, 65507, "UDP/IP" };
    return p;
}

/* Installs `name` with TCP only; returns its id (CHECKed). */
static DWORD install_tcp(const char *name) {
    PROTOCOL_INFO p = tcp_info();
    DWORD id = 0;
    int err = 0;
    int r = WPUInstallProvider(name, "/opt/x/libprov.so", &p, 1, &id, &err);
    if (r != 0) harness_fail(__FILE__, __LINE__, "WPUInstallProvider(%s) = %d, error %d", name, r, err);
    CHECK(id != 0);
    return id;
}

/* Checks the file's structure: NumProviders = n, ProviderKey0..n-1 each
 * once, n provider sections, all but `foreign` of them with a ProviderId;
 * returns n. */
static int check_consistent_with(const char *text, int foreign) {
    const char *np = strstr(text, "NumProviders=");
    CHECK(np != NULL);
    int n = atoi(np + strlen("NumProviders="));
    CHECK_EQ(count(text, "\nProviderKey"), n);
    for (int i = 0; i < n; i++) {
        char key[40];
        snprintf(key, sizeof key, "\nProviderKey%d=", i);
        if (count(text, key) != 1) harness_fail(__FILE__, __LINE__, "ProviderKey%d appears %d times:\n%s", i, count(text, key), text);
    }
    CHECK_EQ(count(text, "\n[Provider-"), n);
    CHECK_EQ(count(text, "\nProviderId="), n - foreign);
    return n;
}
#define check_consistent(text) check_consistent_with((text), 0)

/* ---- WPUInstallProvider ---- */

/* §2.1.2.1, §2.1.2.2, RULINGS §12: [Providers] with NumProviders and
 * ProviderKey<i>, and a [Provider-<key>] section with every entry of
 * §2.1.2.2 from the PROTOCOL_INFO list, plus ProviderId. */
TEST(install_writes_the_layout) {
    t_new_catalog(NULL);
    PROTOCOL_INFO list[2] = { tcp_info(), udp_info() };
    DWORD id = 0;
    CHECK_OK(WPUInstallProvider("tcpip", "/usr/lib/libws2spi.so.2", list, 2, &id, lpErrno));
    CHECK(id != 0);
    char *text = slurp(t_catalog_ini);
    CHECK(text != NULL);
    char expect[2048];
    snprintf(expect, sizeof expect,
             "[Providers]\nNumProviders=1\nProviderKey0=\"tcpip\"\n\n"
             "[Provider-tcpip]\n"
             "ProviderFilename=\"/usr/lib/libws2spi.so.2\"\n"
             "ProviderDescription=\"tcpip\"\n"
             "ProviderDomain=2\nProviderAddrLength=16\nNumSockets=2\n"
             "SocketType0=1\nAddressFamily0=2\nProtocol0=6\n"
             "MinimumAddressLength0=16\nMaximumAddressLength0=16\n"
             "ProtocolAttributes0=0x00001066\nProtocolSocketDescription0=\"TCP/IP\"\nMessageSize0=0\n"
             "SocketType1=2\nAddressFamily1=2\nProtocol1=17\n"
             "MinimumAddressLength1=16\nMaximumAddressLength1=16\n"
             "ProtocolAttributes1=0x00001609\nProtocolSocketDescription1=\"UDP/IP\"\nMessageSize1=65507\n"
             "ProviderId=%u\n", (unsigned)id);
    if (strcmp(text, expect) != 0) harness_fail(__FILE__, __LINE__, "catalog:\n%s\nexpected:\n%s", text, expect);
    /* The lock file sits beside the catalog; no temporary file is left. */
    char lock[320];
    snprintf(lock, sizeof lock, "%s.lock", t_catalog_ini);
    CHECK_EQ(access(lock, F_OK), 0);
    DIR *d = opendir(t_catalog_dir);
    int files = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) if (e->d_name[0] != '.') files++;
    closedir(d);
    CHECK_EQ(files, 2);
    free(text);
    t_drop_catalog();
}

/* RULINGS §12: NULL pointers are WSAEFAULT; a key longer than 32
 * characters, a duplicate name, an empty list are WSAEINVAL; a failed call
 * leaves the file as it was. */
TEST(install_errors) {
    t_new_catalog(NULL);
    PROTOCOL_INFO p = tcp_info();
    DWORD id = 0;
    CHECK_OK(WPUInstallProvider("first", "/a.so", &p, 1, &id, lpErrno));
    char *before = slurp(t_catalog_ini);

    CHECK_WSA(WPUInstallProvider(NULL, "/a.so", &p, 1, &id, lpErrno), WSAEFAULT);
    CHECK_WSA(WPUInstallProvider("x", NULL, &p, 1, &id, lpErrno), WSAEFAULT);
    CHECK_WSA(WPUInstallProvider("x", "/a.so", NULL, 1, &id, lpErrno), WSAEFAULT);
    CHECK_WSA(WPUInstallProvider("x", "/a.so", &p, 1, NULL, lpErrno), WSAEFAULT);
    PROTOCOL_INFO nameless = tcp_info();
    nameless.lpProtocol = NULL;
    CHECK_WSA(WPUInstallProvider("x", "/a.so", &nameless, 1, &id, lpErrno), WSAEFAULT);

    /* 33 characters: too long; 32: accepted (below). */
    CHECK_WSA(WPUInstallProvider("abcdefghijklmnopqrstuvwxyz0123456", "/a.so", &p, 1, &id, lpErrno), WSAEINVAL);
    CHECK_WSA(WPUInstallProvider("first", "/b.so", &p, 1, &id, lpErrno), WSAEINVAL);
    CHECK_WSA(WPUInstallProvider("FIRST", "/b.so", &p, 1, &id, lpErrno), WSAEINVAL);   /* INI names ignore case */
    CHECK_WSA(WPUInstallProvider("x", "/a.so", &p, 0, &id, lpErrno), WSAEINVAL);
    CHECK_WSA(WPUInstallProvider("", "/a.so", &p, 1, &id, lpErrno), WSAEINVAL);
    CHECK_WSA(WPUInstallProvider("x", "", &p, 1, &id, lpErrno), WSAEINVAL);
    CHECK_WSA(WPUInstallProvider("a]b", "/a.so", &p, 1, &id, lpErrno), WSAEINVAL);
    CHECK_WSA(WPUInstallProvider("a\nb", "/a.so", &p, 1, &id, lpErrno), WSAEINVAL);
    CHECK_WSA(WPUInstallProvider("x", "/a\n.so", &p, 1, &id, lpErrno), WSAEINVAL);
    /* Bytes that are not UTF-8 are refused, not rewritten as other names. */
    CHECK_WSA(WPUInstallProvider("bad\xff", "/a.so", &p, 1, &id, lpErrno), WSAEINVAL);
    CHECK_WSA(WPUInstallProvider("x", "/a\xfe.so", &p, 1, &id, lpErrno), WSAEINVAL);
    char *after = slurp(t_catalog_ini);
    CHECK(strcmp(before, after) == 0);

    DWORD id32 = 0;
    CHECK_OK(WPUInstallProvider("abcdefghijklmnopqrstuvwxyz012345", "/a.so", &p, 1, &id32, lpErrno));
    CHECK(id32 != id);
    /* A NULL lpErrno is not written to, and does not crash. */
    CHECK_EQ(WPUInstallProvider(NULL, "/a.so", &p, 1, &id, NULL), SOCKET_ERROR);
    free(before); free(after);
    t_drop_catalog();
}

/* RULINGS §12: an unknown id is WSAEINVAL; a removed provider is unknown. */
TEST(deinstall_errors) {
    t_new_catalog(NULL);
    CHECK_WSA(WPUDeinstallProvider(1, lpErrno), WSAEINVAL);   /* no catalog at all */
    DWORD id = install_tcp("only");
    CHECK_WSA(WPUDeinstallProvider(id + 1, lpErrno), WSAEINVAL);
    CHECK_WSA(WPUDeinstallProvider(0, lpErrno), WSAEINVAL);
    CHECK_WSA(WPUDeinstallProvider(0xFFFFFFFFu, lpErrno), WSAEINVAL);
    CHECK_OK(WPUDeinstallProvider(id, lpErrno));
    CHECK_WSA(WPUDeinstallProvider(id, lpErrno), WSAEINVAL);
    CHECK_EQ(WPUDeinstallProvider(id, NULL), SOCKET_ERROR);
    char *text = slurp(t_catalog_ini);
    CHECK(strcmp(text, "[Providers]\nNumProviders=0\n") == 0);
    free(text);
    t_drop_catalog();
}

/* §2.1.2.1: ProviderKey<i> entries "must be renumbered as providers are
 * deleted"; the section goes with the provider. */
TEST(deinstall_renumbers) {
    t_new_catalog(NULL);
    DWORD a = install_tcp("a"), b = install_tcp("b"), c = install_tcp("c"), d = install_tcp("d");
    CHECK_OK(WPUDeinstallProvider(b, lpErrno));
    char *text = slurp(t_catalog_ini);
    CHECK_CONTAINS(text, "NumProviders=3\nProviderKey0=\"a\"\nProviderKey1=\"c\"\nProviderKey2=\"d\"\n");
    CHECK_LACKS(text, "[Provider-b]");
    CHECK_EQ(check_consistent(text), 3);
    free(text);
    CHECK_OK(WPUDeinstallProvider(a, lpErrno));
    text = slurp(t_catalog_ini);
    CHECK_CONTAINS(text, "NumProviders=2\nProviderKey0=\"c\"\nProviderKey1=\"d\"\n");
    CHECK_LACKS(text, "[Provider-a]");
    CHECK_CONTAINS(text, "[Provider-c]");
    free(text);
    CHECK_OK(WPUDeinstallProvider(d, lpErrno));
    CHECK_OK(WPUDeinstallProvider(c, lpErrno));
    text = slurp(t_catalog_ini);
    CHECK(strcmp(text, "[Providers]\nNumProviders=0\n") == 0);
    free(text);
    t_drop_catalog();
}

/* RULINGS §12: ids are unique among installed providers, and a provider
 * keeps its id while others come and go. */
TEST(unique_ids) {
    t_new_catalog(NULL);
    DWORD ids[40];
    char name[16];
    for (int i = 0; i < 40; i++) { snprintf(name, sizeof name, "p%d", i); ids[i] = install_tcp(name); }
    for (int i = 0; i < 40; i += 3) CHECK_OK(WPUDeinstallProvider(ids[i], lpErrno));
    for (int i = 0; i < 40; i += 3) { snprintf(name, sizeof name, "q%d", i); ids[i] = install_tcp(name); }
    for (int i = 0; i < 40; i++)
        for (int j = i + 1; j < 40; j++)
            if (ids[i] == ids[j]) harness_fail(__FILE__, __LINE__, "ids %d and %d are both %u", i, j, (unsigned)ids[i]);
    char *text = slurp(t_catalog_ini);
    for (int i = 0; i < 40; i++) {
        char line[32];
        snprintf(line, sizeof line, "\nProviderId=%u\n", (unsigned)ids[i]);
        CHECK_EQ(count(text, line), 1);
    }
    CHECK_EQ(check_consistent(text), 40);
    free(text);
    /* Every id still removes exactly its provider. */
    for (int i = 0; i < 40; i++) CHECK_OK(WPUDeinstallProvider(ids[i], lpErrno));
    t_drop_catalog();
}

/* What other software wrote survives: the draft's example section with its
 * spacing and quoting, comments, blank lines, a foreign section, CRLF-free
 * lines. Install then remove gives the same bytes back. */
static const char foreign[] =
    "; WINSOCK2.INI: written by hand\n"
    "[Providers]\n"
    "NumProviders=2\n"
    "ProviderKey0=\"novlwp\"\n"
    "ProviderKey1=\"FTP\"\n"
    "\n"
    "[Provider-novlwp]\n"
    "ProviderFilename=\"novlwp.WPSP\"\n"
    "ProviderDescription=\"Novell LAN WorkPlace for DOS\"\n"
    " ProviderDomain=2\n"
    "ProviderAddrLength=8\n"
    "NumSockets=1\n"
    "SocketType0=1\n"
    "AddressFamily0=2\n"
    "Protocol0=2\n"
    "MinimumAddressLength0 = 16\n"
    "MaximumAddressLength0 = 16\n"
    "ProtocolAttributes0 = 0x00001066\n"
    "ProtocolSocketDescription0=\"Stream socket in INET domain\"\n"
    "\n"
    "; the FTP stack\n"
    "[Provider-FTP]\n"
    "ProviderFilename='C:\\FTP\\FTPWSP.DLL'\n"
    "ProviderDescription = \"FTP Software PC/TCP\"\n"
    "NumSockets=0\n"
    "\n"
    "[Other Vendor]\n"
    "Setting = 'kept' ; as is\n"
    "a line without an equals sign\n";

TEST(foreign_content_preserved) {
    t_new_catalog(foreign);
    DWORD id = install_tcp("tcpip");
    char *text = slurp(t_catalog_ini);
    /* Everything but NumProviders is still there, unchanged and in order. */
    CHECK_CONTAINS(text, "; WINSOCK2.INI: written by hand\n[Providers]\nNumProviders=3\nProviderKey0=\"novlwp\"\n"
                         "ProviderKey1=\"FTP\"\nProviderKey2=\"tcpip\"\n\n[Provider-novlwp]\n");
    CHECK_CONTAINS(text, strstr(foreign, "[Provider-novlwp]"));
    CHECK_CONTAINS(text, "a line without an equals sign\n\n[Provider-tcpip]\n");
    free(text);
    CHECK_OK(WPUDeinstallProvider(id, lpErrno));
    text = slurp(t_catalog_ini);
    if (strcmp(text, foreign) != 0) harness_fail(__FILE__, __LINE__, "after install + deinstall:\n%s", text);
    free(text);
    /* Providers other software installed (no ProviderId) cannot be removed by id. */
    CHECK_WSA(WPUDeinstallProvider(0, lpErrno), WSAEINVAL);
    t_drop_catalog();
}

/* The file's mode is kept across a rewrite (the temporary file gets it). */
TEST(mode_kept) {
    t_new_catalog("[Providers]\nNumProviders=0\n");
    CHECK_EQ(chmod(t_catalog_ini, 0600), 0);
    install_tcp("m");
    struct stat st;
    CHECK_EQ(stat(t_catalog_ini, &st), 0);
    CHECK_EQ(st.st_mode & 0777, 0600);
    t_drop_catalog();
}

/* An unusable catalog: a directory that does not exist, a catalog that is a
 * directory. The call fails with an error code and creates nothing. */
TEST(unusable_catalog) {
    t_new_catalog(NULL);
    char missing[400];
    snprintf(missing, sizeof missing, "%s/no/such/dir/winsock2.ini", t_catalog_dir);
    setenv("WINSOCK2_INI", missing, 1);
    PROTOCOL_INFO p = tcp_info();
    DWORD id = 0;
    CHECK_WSA(WPUInstallProvider("x", "/a.so", &p, 1, &id, lpErrno), WSASYSNOTREADY);
    CHECK_WSA(WPUDeinstallProvider(1, lpErrno), WSASYSNOTREADY);
    snprintf(missing, sizeof missing, "%s/sub", t_catalog_dir);   /* a directory */
    CHECK_EQ(mkdir(missing, 0755), 0);
    setenv("WINSOCK2_INI", missing, 1);
    CHECK_WSA(WPUInstallProvider("x", "/a.so", &p, 1, &id, lpErrno), WSASYSNOTREADY);
    t_drop_catalog();
}

/* A catalog the caller may read but not change is WSAEACCES, for the
 * directory (no lock file, no temporary file) and for the file itself
 * (its directory writable, the file not: the rename must not get round
 * the file's permissions). Reading still works. Runs as an unprivileged
 * user: root's writes are not refused. */
static int as_nobody_install(void) {
    PROTOCOL_INFO p = tcp_info();
    DWORD id = 0;
    int err = 0;
    return WPUInstallProvider("x", "/a.so", &p, 1, &id, &err) == SOCKET_ERROR ? err : 0;
}

TEST(permission_denied_is_eacces) {
    t_new_catalog(NULL);
    install_tcp("kept");
    char lock[320];
    snprintf(lock, sizeof lock, "%s.lock", t_catalog_ini);
    /* root tests as user 65534 (the files stay root's); anyone else drops
     * its own write permissions. */
    int root = geteuid() == 0;
    CHECK_EQ(chmod(t_catalog_dir, root ? 0755 : 0555), 0);
    CHECK_EQ(chmod(t_catalog_ini, 0444), 0);
    CHECK_EQ(chmod(lock, 0444), 0);
    char *before = slurp(t_catalog_ini);
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {   /* the directory and lock file writable, the catalog file not */
            CHECK_EQ(chmod(t_catalog_dir, 0777), 0);
            CHECK_EQ(chmod(lock, 0666), 0);
        }
        pid_t kid = fork();
        CHECK(kid >= 0);
        if (kid == 0) {
            if (root && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(100);
            if (as_nobody_install() != WSAEACCES) _exit(1);
            int err = 0;
            if (WPUDeinstallProvider(1, &err) != SOCKET_ERROR || err != WSAEACCES) _exit(2);
            DWORD len = 0;
            if (WSAEnumProtocols(NULL, NULL, &len) != SOCKET_ERROR || WSAGetLastError() != WSAENOBUFS) _exit(3);
            _exit(0);
        }
        int status;
        CHECK_EQ(waitpid(kid, &status, 0), kid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            harness_fail(__FILE__, __LINE__, "pass %d: the unprivileged child ended with status 0x%x", pass, status);
    }
    char *after = slurp(t_catalog_ini);
    CHECK(strcmp(before, after) == 0);
    DIR *d = opendir(t_catalog_dir);
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strstr(e->d_name, ".tmp.")) harness_fail(__FILE__, __LINE__, "temporary file %s left", e->d_name);
    closedir(d);
    free(before); free(after);
    t_drop_catalog();
}

/* ---- serialisation and atomicity ---- */

/* Threads of one process installing and removing at once lose nothing. */
static void *thread_installs(void *arg) {
    int t = (int)(intptr_t)arg;
    char name[32];
    for (int i = 0; i < 15; i++) {
        snprintf(name, sizeof name, "t%d_%d", t, i);
        PROTOCOL_INFO p = tcp_info();
        DWORD id = 0;
        int err = 0;
        if (WPUInstallProvider(name, "/t.so", &p, 1, &id, &err) != 0) return (void *)1;
        if (i % 3 == 0 && WPUDeinstallProvider(id, &err) != 0) return (void *)2;
    }
    return NULL;
}

TEST_T(concurrent_threads, 60) {
    t_new_catalog(NULL);
    pthread_t th[6];
    for (int i = 0; i < 6; i++) CHECK_EQ(pthread_create(&th[i], NULL, thread_installs, (void *)(intptr_t)i), 0);
    for (int i = 0; i < 6; i++) { void *r; pthread_join(th[i], &r); CHECK(r == NULL); }
    char *text = slurp(t_catalog_ini);
    CHECK_EQ(check_consistent(text), 6 * 10);
    for (int t = 0; t < 6; t++)
        for (int i = 0; i < 15; i++) {
            char key[40];
            snprintf(key, sizeof key, "[Provider-t%d_%d]\n", t, i);
            CHECK_EQ(count(text, key), i % 3 == 0 ? 0 : 1);
        }
    free(text);
    t_drop_catalog();
}

/* RULINGS §12 / issue: "many processes installing and removing at once
 * lose no entry". 8 processes, each installs 30 providers and removes every
 * third again, all against one catalog with foreign content. */
#define PROCS 8
#define OPS 30
TEST_T(concurrent_processes, 120) {
    t_new_catalog(foreign);
    pid_t kids[PROCS];
    for (int k = 0; k < PROCS; k++) {
        kids[k] = fork();
        CHECK(kids[k] >= 0);
        if (kids[k] == 0) {
            for (int i = 0; i < OPS; i++) {
                char name[32];
                snprintf(name, sizeof name, "proc%d_%d", k, i);
                PROTOCOL_INFO p = tcp_info();
                DWORD id = 0;
                int err = 0;
                if (WPUInstallProvider(name, "/p.so", &p, 1, &id, &err) != 0) _exit(10 + err % 100);
                if (i % 3 == 1 && WPUDeinstallProvider(id, &err) != 0) _exit(20);
            }
            _exit(0);
        }
    }
    for (int k = 0; k < PROCS; k++) {
        int status;
        CHECK_EQ(waitpid(kids[k], &status, 0), kids[k]);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            harness_fail(__FILE__, __LINE__, "process %d ended with status 0x%x", k, status);
    }
    char *text = slurp(t_catalog_ini);
    int n = check_consistent_with(text, 2);
    CHECK_EQ(n, 2 + PROCS * (OPS - OPS / 3));
    for (int k = 0; k < PROCS; k++)
        for (int i = 0; i < OPS; i++) {
            char key[48];
            snprintf(key, sizeof key, "[Provider-proc%d_%d]\n", k, i);
            if (count(text, key) != (i % 3 == 1 ? 0 : 1))
                harness_fail(__FILE__, __LINE__, "%s appears %d times", key, count(text, key));
        }
    CHECK_CONTAINS(text, strstr(foreign, "[Provider-novlwp]"));
    /* The enumeration agrees: novlwp's one entry plus one per provider. */
    DWORD len = 0;
    CHECK_EQ(WSAEnumProtocols(NULL, NULL, &len), SOCKET_ERROR);
    PROTOCOL_INFO *buf = malloc(len);
    CHECK_EQ(WSAEnumProtocols(NULL, buf, &len), 1 + PROCS * (OPS - OPS / 3));
    free(buf);
    free(text);
    t_drop_catalog();
}

/* "A process killed in the middle of an update leaves the old or the new
 * file, never a torn one": a child installs in a loop and is SIGKILLed at
 * random moments; each time the file is complete and holds exactly the
 * providers k0..kN-1 for some N, and the next install works (the kernel
 * dropped the dead process's lock) and clears its temporary file. */
static void installer_loop(int from) {
    for (int i = from;; i++) {
        char name[32];
        snprintf(name, sizeof name, "k%d", i);
        PROTOCOL_INFO list[2] = { tcp_info(), udp_info() };
        DWORD id = 0;
        int err = 0;
        if (WPUInstallProvider(name, "/k.so", list, 2, &id, &err) != 0) _exit(3);
    }
}

TEST_T(killed_mid_update, 120) {
    t_new_catalog(foreign);
    srand((unsigned)getpid());
    int n = 0, torn_checks = 0;
    for (int round = 0; round < 40; round++) {
        pid_t kid = fork();
        CHECK(kid >= 0);
        if (kid == 0) installer_loop(n);
        usleep(2000 + rand() % 20000);
        CHECK_EQ(kill(kid, SIGKILL), 0);
        int status;
        CHECK_EQ(waitpid(kid, &status, 0), kid);
        CHECK(WIFSIGNALED(status));
        char *text = slurp(t_catalog_ini);
        int total = check_consistent_with(text, 2);
        CHECK(total >= 2 + n);
        n = total - 2;
        for (int i = 0; i < n; i++) {
            char key[48];
            snprintf(key, sizeof key, "ProviderKey%d=\"k%d\"\n", i + 2, i);
            CHECK_CONTAINS(text, key);
            snprintf(key, sizeof key, "[Provider-k%d]\nProviderFilename=\"/k.so\"", i);
            CHECK_CONTAINS(text, key);
        }
        /* The last section is complete: its id is its last line. */
        CHECK(text[strlen(text) - 1] == '\n');
        if (n > 0) CHECK(strstr(strrchr(text, '['), "\nProviderId=") != NULL);
        CHECK_CONTAINS(text, strstr(foreign, "[Provider-novlwp]"));
        CHECK_CONTAINS(text, "[Other Vendor]\nSetting = 'kept' ; as is\na line without an equals sign\n");
        free(text);
        torn_checks++;
    }
    CHECK_EQ(torn_checks, 40);
    CHECK(n > 0);
    /* The lock is free and stale temporary files are cleared by the next update. */
    DWORD id = install_tcp("after");
    CHECK_OK(WPUDeinstallProvider(id, lpErrno));
    DIR *d = opendir(t_catalog_dir);
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strstr(e->d_name, ".tmp.")) harness_fail(__FILE__, __LINE__, "stale temporary file %s", e->d_name);
    closedir(d);
    t_drop_catalog();
}

/* The lock file serialises with other programs too: while another process
 * holds an exclusive flock on <catalog>.lock, an install waits for it. */
TEST(lock_file_is_honoured) {
    t_new_catalog(NULL);
    install_tcp("first");
    char lock[320];
    snprintf(lock, sizeof lock, "%s.lock", t_catalog_ini);
    int pipefd[2];
    CHECK_EQ(pipe(pipefd), 0);
    pid_t kid = fork();
    CHECK(kid >= 0);
    if (kid == 0) {
        int fd = open(lock, O_RDWR);
        if (fd < 0 || flock(fd, LOCK_EX) != 0) _exit(1);
        if (write(pipefd[1], "L", 1) != 1) _exit(2);
        usleep(400 * 1000);
        _exit(0);   /* the kernel releases the lock */
    }
    char c;
    CHECK_EQ(read(pipefd[0], &c, 1), 1);
    double t0 = t_now();
    install_tcp("second");
    double waited = t_now() - t0;
    if (waited < 0.3) harness_fail(__FILE__, __LINE__, "install did not wait for the lock (%.3f s)", waited);
    int status;
    waitpid(kid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char *text = slurp(t_catalog_ini);
    CHECK_EQ(check_consistent(text), 2);
    free(text);
    t_drop_catalog();
}

/* fork() while another thread is in the middle of an update. The child
 * inherits the parent's memory and descriptors in whatever state the update
 * left them: it must still be able to update the catalog (no in-process
 * lock it cannot release), and while it lives on with its inherited copy of
 * the lock file's descriptor, the parent's updates must go on (the lock is
 * released by unlocking, not only by closing). */
static volatile int bg_stop;
static volatile long bg_done;

static void *background_updates(void *arg) {
    (void)arg;
    PROTOCOL_INFO p = tcp_info();
    while (!bg_stop) {
        DWORD id = 0;
        int err = 0;
        if (WPUInstallProvider("bg", "/bg.so", &p, 1, &id, &err) != 0) return (void *)1;
        if (WPUDeinstallProvider(id, &err) != 0) return (void *)2;
        __atomic_add_fetch(&bg_done, 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

TEST_T(fork_during_updates, 90) {
    t_new_catalog(NULL);
    install_tcp("first");
    bg_stop = 0;
    pthread_t bg;
    CHECK_EQ(pthread_create(&bg, NULL, background_updates, NULL), 0);
    srand((unsigned)getpid());
    for (int round = 0; round < 20; round++) {
        usleep(rand() % 3000);
        int ready[2], hold[2];
        CHECK_EQ(pipe(ready), 0);
        CHECK_EQ(pipe(hold), 0);
        pid_t kid = fork();
        CHECK(kid >= 0);
        if (kid == 0) {
            alarm(10);   /* a deadlocked child dies, and the parent sees no byte */
            close(ready[0]);
            close(hold[1]);
            char name[32];
            snprintf(name, sizeof name, "child%d", round);
            PROTOCOL_INFO p = udp_info();
            DWORD id = 0;
            int err = 0;
            if (WPUInstallProvider(name, "/child.so", &p, 1, &id, &err) != 0) _exit(1);
            if (write(ready[1], "I", 1) != 1) _exit(2);
            char c;
            (void)!read(hold[0], &c, 1);   /* lives on, with its inherited descriptors, until told */
            _exit(0);
        }
        close(ready[1]);
        close(hold[0]);
        char c = 0;
        if (read(ready[0], &c, 1) != 1)
            harness_fail(__FILE__, __LINE__, "round %d: the child forked during an update could not install", round);
        /* The child is alive; the parent's thread keeps updating. */
        long before = __atomic_load_n(&bg_done, __ATOMIC_SEQ_CST);
        double t0 = t_now();
        while (__atomic_load_n(&bg_done, __ATOMIC_SEQ_CST) < before + 3 && t_now() - t0 < 3) usleep(1000);
        if (__atomic_load_n(&bg_done, __ATOMIC_SEQ_CST) < before + 3)
            harness_fail(__FILE__, __LINE__, "round %d: updates stalled while a forked child lives", round);
        close(hold[1]);
        close(ready[0]);
        int status;
        CHECK_EQ(waitpid(kid, &status, 0), kid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            harness_fail(__FILE__, __LINE__, "round %d: child ended with status 0x%x", round, status);
    }
    bg_stop = 1;
    void *r = NULL;
    pthread_join(bg, &r);
    CHECK(r == NULL);
    char *text = slurp(t_catalog_ini);
    CHECK_EQ(check_consistent(text), 1 + 20);
    for (int round = 0; round < 20; round++) {
        char key[48];
        snprintf(key, sizeof key, "[Provider-child%d]\n", round);
        CHECK_EQ(count(text, key), 1);
    }
    free(text);
    t_drop_catalog();
}

/* ---- ListenBacklogLimit (RULINGS §10) ---- */

/* The backlog the kernel gives the TCP listener on `port` (host order):
 * inet_diag reports sk_max_ack_backlog in idiag_wqueue for listeners. */
static int kernel_backlog(unsigned port) {
    int fd = socket(16 /* AF_NETLINK */, 2 /* SOCK_DGRAM */, NETLINK_SOCK_DIAG);
    CHECK(fd >= 0);
    struct { struct nlmsghdr nlh; struct inet_diag_req_v2 req; } msg;
    memset(&msg, 0, sizeof msg);
    msg.nlh.nlmsg_len = sizeof msg;
    msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    msg.req.sdiag_family = 2;     /* AF_INET */
    msg.req.sdiag_protocol = 6;   /* IPPROTO_TCP */
    msg.req.idiag_states = 1u << 10;   /* TCP_LISTEN */
    CHECK_EQ(send(fd, &msg, sizeof msg, 0), (ssize_t)sizeof msg);
    static char buf[65536];
    int found = -1;
    for (int done = 0; !done;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        CHECK(n > 0);
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) { done = 1; break; }
            struct inet_diag_msg *m = NLMSG_DATA(h);
            if (((m->id.idiag_sport & 0xFF) << 8 | m->id.idiag_sport >> 8) == port) found = (int)m->idiag_wqueue;
        }
    }
    close(fd);
    return found;
}

/* This library's file, as a host would write it in ProviderFilename. */
static const char *library_path(void) {
    Dl_info info;
    CHECK(dladdr((void *)WSPStartup, &info) != 0);
    return info.dli_fname;
}

/* Listens with `backlog` after a start-up under a catalog whose section
 * for this library has `extra` lines; returns the kernel's backlog. */
static int backlog_with(const char *extra, int backlog) {
    char content[2048];
    snprintf(content, sizeof content,
             "[Providers]\nNumProviders=2\nProviderKey0=\"other\"\nProviderKey1=\"tcpip\"\n\n"
             "[Provider-other]\nProviderFilename=\"/not/this.so\"\nListenBacklogLimit=7\n\n"
             "[Provider-tcpip]\nProviderFilename=\"%s\"\nNumSockets=0\n%s",
             library_path(), extra);
    t_new_catalog(content);
    t_startup();
    SOCKET s = t_socket(SOCK_STREAM);
    struct sockaddr_in a = t_loopback(0);
    CHECK_OK(WSPBind(s, (struct sockaddr *)&a, sizeof a, lpErrno));
    CHECK_OK(WSPListen(s, backlog, lpErrno));
    int len = sizeof a;
    CHECK_OK(WSPGetSockName(s, (struct sockaddr *)&a, &len, lpErrno));
    int got = kernel_backlog(t_htons(a.sin_port));
    CHECK_OK(WSPCloseSocket(s, lpErrno));
    t_cleanup();
    t_drop_catalog();
    return got;
}

/* RULINGS §10: backlog clamped to [1, SOMAXCONN] ... */
TEST(listen_backlog_default) {
    CHECK_EQ(backlog_with("", 1000), SOMAXCONN);
    CHECK_EQ(backlog_with("", 0), 1);
    CHECK_EQ(backlog_with("", 3), 3);
}

/* ... unless this provider's section raises it with ListenBacklogLimit=N
 * (another provider's section does not count; N below SOMAXCONN or not a
 * number changes nothing). */
TEST(listen_backlog_limit_from_catalog) {
    CHECK_EQ(backlog_with("ListenBacklogLimit=64\n", 1000), 64);
    CHECK_EQ(backlog_with("ListenBacklogLimit = 64\n", 40), 40);
    CHECK_EQ(backlog_with("listenbackloglimit=100\n", 3), 3);
    CHECK_EQ(backlog_with("ListenBacklogLimit=2\n", 1000), SOMAXCONN);
    CHECK_EQ(backlog_with("ListenBacklogLimit=lots\n", 1000), SOMAXCONN);
}
