/* Loading the library the way a Winsock DLL loads a provider: dlopen by
 * path, dlsym of every SPI entry point, start-up through the pointer; the
 * library exports no Swift symbols, installs no signal handlers, and never
 * raises SIGPIPE.
 * RULINGS §1 (the 27 names + __WSAFDIsSet), §12 (a host dlopens the
 * provider and calls WSPStartup), §4 (no argument crashes the process). */
#define _GNU_SOURCE
#include "harness.h"
#include <dlfcn.h>
#include <signal.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

static const char *const spi_names[] = {
    "WSPAccept", "WSPAsyncSelect32", "WSPBind", "WSPCallbackSelect16",
    "WSPCancelBlockingCall32", "WSPCleanup", "WSPCloseSocket", "WSPConnect",
    "WSPEnumNetworkEvents", "WSPEventSelect", "WSPGetPeerName", "WSPGetSockName",
    "WSPGetSockOpt", "WSPIoctlSocket", "WSPIsBlocking32", "WSPListen", "WSPRecv",
    "WSPRecvFrom", "WSPSelect", "WSPSend", "WSPSendTo", "WSPSetBlockingHook32",
    "WSPSetSockOpt", "WSPShutdown", "WSPSocket", "WSPStartup",
    "WSPUnhookBlockingHook32", "__WSAFDIsSet",
};
#define N_SPI (sizeof spi_names / sizeof spi_names[0])
_Static_assert(N_SPI == 28, "27 WSP names + __WSAFDIsSet");

/* The installed library: $WS2SPI_LIB, else the file the linked WSPStartup
 * comes from. */
static const char *library_path(void) {
    const char *env = getenv("WS2SPI_LIB");
    if (env && *env) return env;
    void *sym = dlsym(RTLD_DEFAULT, "WSPStartup");
    CHECK(sym != NULL);
    Dl_info info;
    CHECK(dladdr(sym, &info) != 0);
    CHECK(info.dli_fname != NULL);
    if (!strstr(info.dli_fname, "libws2spi.so"))
        harness_fail(__FILE__, __LINE__, "WSPStartup comes from %s", info.dli_fname);
    return info.dli_fname;
}

static void *open_lib(void) {
    void *h = dlopen(library_path(), RTLD_NOW | RTLD_LOCAL);
    if (!h) harness_fail(__FILE__, __LINE__, "dlopen: %s", dlerror());
    return h;
}

typedef int (*startup_fn)(WORD, LPWSADATA);
typedef int (*cleanup_fn)(LPCLEANUPPROC, DWORD, int *);
typedef SOCKET (*socket_fn)(int, int, int, DWORD, int, int *);
typedef int (*close_fn)(SOCKET, int *);
typedef int (*fdisset_fn)(SOCKET, fd_set *);

/* Start-up, a socket, clean-up, all through dlsym'd pointers. */
static void use_through_pointers(void *h) {
    startup_fn startup = (startup_fn)dlsym(h, "WSPStartup");
    cleanup_fn cleanup = (cleanup_fn)dlsym(h, "WSPCleanup");
    socket_fn sock = (socket_fn)dlsym(h, "WSPSocket");
    close_fn cls = (close_fn)dlsym(h, "WSPCloseSocket");
    fdisset_fn isset = (fdisset_fn)dlsym(h, "__WSAFDIsSet");
    CHECK(startup && cleanup && sock && cls && isset);
    WSADATA d;
    memset(&d, 0, sizeof d);
    CHECK_EQ(startup(MAKEWORD(2, 0), &d), 0);
    CHECK_EQ(d.wVersion, MAKEWORD(2, 0));
    CHECK_EQ(d.wHighVersion, MAKEWORD(2, 0));
    int err = 0;
    SOCKET s = sock(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, &err);
    CHECK(s != INVALID_SOCKET);
    fd_set set;
    FD_ZERO(&set);
    FD_SET(s, &set);
    CHECK(isset(s, &set) != 0);
    CHECK_EQ(cls(s, &err), 0);
    CHECK_EQ(cleanup(NULL, 0, &err), 0);
    err = 0;
    CHECK_EQ(cls(s, &err), SOCKET_ERROR);
    CHECK_EQ(err, WSANOTINITIALISED);
}

/* RULINGS §1, §12: every one of the 27 WSP names and __WSAFDIsSet resolves
 * in a handle from dlopen(RTLD_NOW | RTLD_LOCAL); they are the functions the
 * program linked; the provider works through the pointers. */
TEST(dlopen_resolves_every_entry_point) {
    void *h = open_lib();
    for (size_t i = 0; i < N_SPI; i++) {
        void *p = dlsym(h, spi_names[i]);
        if (!p) harness_fail(__FILE__, __LINE__, "dlsym(%s) = NULL: %s", spi_names[i], dlerror());
        CHECK(p == dlsym(RTLD_DEFAULT, spi_names[i]));
    }
    use_through_pointers(h);
    CHECK_EQ(dlclose(h), 0);
}

/* RULINGS §12: a host may load, use, unload and load the provider again. */
TEST(dlopen_twice) {
    for (int i = 0; i < 3; i++) {
        void *h = open_lib();
        use_through_pointers(h);
        CHECK_EQ(dlclose(h), 0);
    }
    void *a = open_lib(), *b = open_lib();
    CHECK(a == b);
    use_through_pointers(b);
    CHECK_EQ(dlclose(a), 0);
    CHECK_EQ(dlclose(b), 0);
}

/* Names a statically linked, hidden Swift runtime must not expose. */
static const char *const swift_names[] = {
    "swift_retain", "swift_release", "swift_allocObject", "swift_once",
    "swift_getTypeByMangledNameInContext", "swift_bridgeObjectRetain",
    "$ss5printyyypd_SS9separatorSS10terminatortF", "$sSS10FoundationE",
    "$s11ProviderKit8WSAErrorVN", "$s13TCPIPProviderAAC6sharedABvpZ",
    "_swift_stdlib_malloc_size", "swift_errorRetain",
};

static int is_swift_name(const char *n) {
    return strncmp(n, "$s", 2) == 0 || strncmp(n, "_$s", 3) == 0 || strncmp(n, "$S", 2) == 0 ||
           strncmp(n, "_T0", 3) == 0 || strstr(n, "swift") != NULL || strstr(n, "Swift") != NULL;
}

/* The library's defined global/weak dynamic symbols (the ELF .dynsym): calls
 * fn for each; returns how many there are. */
static int for_each_export(const char *path, void (*fn)(const char *name, void *ctx), void *ctx) {
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    struct stat st;
    CHECK_EQ(fstat(fd, &st), 0);
    unsigned char *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(m != MAP_FAILED);
    close(fd);
    Elf64_Ehdr *eh = (Elf64_Ehdr *)m;
    CHECK(memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0);
    CHECK_EQ(eh->e_ident[EI_CLASS], ELFCLASS64);
    Elf64_Shdr *sh = (Elf64_Shdr *)(m + eh->e_shoff);
    int count = 0, found = 0;
    for (int i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_DYNSYM) continue;
        found = 1;
        Elf64_Sym *sym = (Elf64_Sym *)(m + sh[i].sh_offset);
        const char *strtab = (const char *)(m + sh[sh[i].sh_link].sh_offset);
        size_t n = sh[i].sh_size / sizeof(Elf64_Sym);
        for (size_t j = 0; j < n; j++) {
            int bind = ELF64_ST_BIND(sym[j].st_info);
            int vis = ELF64_ST_VISIBILITY(sym[j].st_other);
            if (sym[j].st_shndx == SHN_UNDEF || (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE)) continue;
            if (vis == STV_HIDDEN || vis == STV_INTERNAL) continue;
            if (ELF64_ST_TYPE(sym[j].st_info) == STT_NOTYPE && sym[j].st_value == 0) continue;  /* version names */
            count++;
            fn(strtab + sym[j].st_name, ctx);
        }
    }
    CHECK(found);
    munmap(m, (size_t)st.st_size);
    return count;
}

static void no_swift_export(const char *name, void *ctx) {
    (void)ctx;
    if (is_swift_name(name)) harness_fail(__FILE__, __LINE__, "the library exports the Swift symbol %s", name);
}

static void count_spi(const char *name, void *ctx) {
    for (size_t i = 0; i < N_SPI; i++)
        if (strcmp(name, spi_names[i]) == 0) (*(int *)ctx)++;
}

/* The library links the Swift runtime statically and hidden: no Swift or
 * mangled symbol is visible to dlsym or in the dynamic symbol table, while
 * all 28 SPI names are (RULINGS §1). */
TEST(dlopen_no_swift_symbols) {
    void *h = open_lib();
    for (size_t i = 0; i < sizeof swift_names / sizeof swift_names[0]; i++) {
        if (dlsym(h, swift_names[i]) != NULL)
            harness_fail(__FILE__, __LINE__, "dlsym(handle, %s) is visible", swift_names[i]);
        if (dlsym(RTLD_DEFAULT, swift_names[i]) != NULL)
            harness_fail(__FILE__, __LINE__, "dlsym(RTLD_DEFAULT, %s) is visible", swift_names[i]);
    }
    int spi = 0;
    int total = for_each_export(library_path(), no_swift_export, NULL);
    for_each_export(library_path(), count_spi, &spi);
    CHECK_EQ(spi, (int)N_SPI);
    CHECK(total >= (int)N_SPI);
    CHECK_EQ(dlclose(h), 0);
}

static const int watched[] = { SIGPIPE, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGINT, SIGTERM, SIGCHLD, SIGUSR1, SIGUSR2 };
#define N_WATCHED (sizeof watched / sizeof watched[0])

static void snapshot(struct sigaction *out) {
    for (size_t i = 0; i < N_WATCHED; i++) CHECK_EQ(sigaction(watched[i], NULL, &out[i]), 0);
}

static void compare(const struct sigaction *before, const struct sigaction *after, const char *when) {
    for (size_t i = 0; i < N_WATCHED; i++) {
        if (before[i].sa_handler != after[i].sa_handler || before[i].sa_flags != after[i].sa_flags)
            harness_fail(__FILE__, __LINE__, "signal %d disposition changed %s", watched[i], when);
    }
}

/* The provider is a library inside a host: it installs no signal handler,
 * neither when loaded (no signal has a handler function in a process whose
 * own code installed none: the harness only uses alarm()) nor when used
 * (start-up, sockets, select, clean-up), and leaves the signal mask alone. */
TEST(no_signal_handlers_installed) {
    for (int sig = 1; sig < 32; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        struct sigaction sa;
        CHECK_EQ(sigaction(sig, NULL, &sa), 0);
        if ((sa.sa_flags & SA_SIGINFO) || (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN))
            harness_fail(__FILE__, __LINE__, "signal %d has a handler installed at load time", sig);
    }
    signal(SIGPIPE, SIG_DFL);
    struct sigaction before[N_WATCHED], after[N_WATCHED];
    sigset_t mask_before, mask_after;
    CHECK_EQ(pthread_sigmask(SIG_SETMASK, NULL, &mask_before), 0);
    snapshot(before);

    void *h = open_lib();
    t_startup();
    SOCKET c, s;
    t_tcp_pair(&c, &s);
    CHECK_EQ(t_send_all(c, "abc", 3), 0);
    char buf[3];
    CHECK_EQ(t_recv_exact(s, buf, 3), 0);
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(s, &rs);
    struct timeval tv = { 0, 10000 };
    CHECK(WSPSelect(0, &rs, NULL, NULL, &tv, &lperr) != SOCKET_ERROR);
    (void)t_udp_bound(NULL);
    CHECK_OK(WSPShutdown(c, SD_BOTH, lpErrno));
    t_cleanup();
    CHECK_EQ(dlclose(h), 0);

    snapshot(after);
    compare(before, after, "by using the provider");
    CHECK_EQ(pthread_sigmask(SIG_SETMASK, NULL, &mask_after), 0);
    for (int sig = 1; sig < 32; sig++)
        if (sigismember(&mask_before, sig) != sigismember(&mask_after, sig))
            harness_fail(__FILE__, __LINE__, "signal %d's blocked state changed", sig);
}

/* Sends on s until it fails (at most 50 tries); returns the error. */
static int send_until_error(SOCKET s) {
    static char block[4096];
    for (int i = 0; i < 50; i++) {
        DWORD n = 0;
        int err = 0;
        if (WSPSend(s, block, sizeof block, &n, 0, NULL, NULL, &err) != 0) return err;
        t_sleep_ms(10);
    }
    return 0;
}

/* Sending on a connection the peer reset, or closed, fails with a Winsock
 * error and never raises SIGPIPE (whose default action would kill the host:
 * RULINGS §4 "no argument value crashes the process"), with SIGPIPE at its
 * default disposition and unblocked. */
TEST(no_sigpipe_on_broken_connection) {
    signal(SIGPIPE, SIG_DFL);
    sigset_t unblock;
    sigemptyset(&unblock);
    sigaddset(&unblock, SIGPIPE);
    CHECK_EQ(pthread_sigmask(SIG_UNBLOCK, &unblock, NULL), 0);
    t_startup();

    SOCKET c, s;
    t_tcp_pair(&c, &s);
    struct linger hard = { 1, 0 };
    CHECK_OK(WSPSetSockOpt(s, SOL_SOCKET, SO_LINGER, (char *)&hard, sizeof hard, lpErrno));
    CHECK_OK(WSPCloseSocket(s, lpErrno));          /* the peer resets */
    t_sleep_ms(20);
    int err = send_until_error(c);
    if (err != WSAECONNRESET && err != WSAECONNABORTED && err != WSAESHUTDOWN)
        harness_fail(__FILE__, __LINE__, "send to a reset peer: error %d", err);
    /* and again, after the first error */
    err = send_until_error(c);
    CHECK(err != 0);

    SOCKET c2, s2;
    t_tcp_pair(&c2, &s2);
    CHECK_OK(WSPCloseSocket(s2, lpErrno));         /* graceful close; the peer's RST follows our data */
    err = send_until_error(c2);
    if (err != WSAECONNRESET && err != WSAECONNABORTED && err != WSAESHUTDOWN)
        harness_fail(__FILE__, __LINE__, "send to a closed peer: error %d", err);

    SOCKET c3, s3;
    t_tcp_pair(&c3, &s3);
    CHECK_OK(WSPShutdown(c3, SD_SEND, lpErrno));   /* our own side shut: WSAESHUTDOWN, no SIGPIPE */
    DWORD n = 0;
    CHECK_WSA(WSPSend(c3, "x", 1, &n, 0, NULL, NULL, lpErrno), WSAESHUTDOWN);
    t_cleanup();
    sigset_t pending;
    CHECK_EQ(sigpending(&pending), 0);
    CHECK(!sigismember(&pending, SIGPIPE));
}
