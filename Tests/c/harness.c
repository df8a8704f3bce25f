/* Runner for one test program: forks each registered test (or the ones named
 * on the command line), with an alarm() limit, and prints TAP-like lines and
 * the summary "N passed, M failed". */
#define _GNU_SOURCE
#include "harness.h"
#include <dlfcn.h>
#include <libgen.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <signal.h>
#include <time.h>
#include <dirent.h>
#include <sys/wait.h>

struct test { const char *name; test_fn fn; int timeout; };
static struct test tests[512];
static int ntests;
int lperr;

void harness_register(const char *name, test_fn fn, int timeout_s) {
    if (ntests < 512) tests[ntests++] = (struct test){ name, fn, timeout_s };
}

void harness_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "    %s:%d: ", file, line);
    va_start(ap, fmt); vfprintf(stderr, fmt, ap); va_end(ap);
    fprintf(stderr, "\n");
    fflush(stderr);
    _exit(1);
}

static int selected(const char *name, int argc, char **argv) {
    if (argc < 2) return 1;
    for (int i = 1; i < argc; i++) if (strcmp(argv[i], name) == 0) return 1;
    return 0;
}

int main(int argc, char **argv) {
    int passed = 0, failed = 0, n = 0;
    setvbuf(stdout, NULL, _IONBF, 0);
    for (int i = 0; i < ntests; i++) {
        if (!selected(tests[i].name, argc, argv)) continue;
        n++;
        double t0 = t_now();
        pid_t pid = fork();
        if (pid == 0) {
            alarm((unsigned)tests[i].timeout);
            tests[i].fn();
            fflush(NULL);
            _exit(0);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        double dt = t_now() - t0;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            passed++;
            printf("ok %d %s (%.2fs)\n", n, tests[i].name, dt);
        } else {
            failed++;
            if (WIFSIGNALED(status))
                printf("not ok %d %s: killed by signal %d%s\n", n, tests[i].name, WTERMSIG(status),
                       WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
            else
                printf("not ok %d %s: exit %d\n", n, tests[i].name, WEXITSTATUS(status));
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

/* ---- helpers ---- */

void t_startup(void) {
    WSADATA data;
    int r = WSPStartup(MAKEWORD(2, 0), &data);
    if (r != 0) harness_fail(__FILE__, __LINE__, "WSPStartup failed: %d", r);
}

void t_cleanup(void) {
    CHECK_OK(WSPCleanup(NULL, 0, lpErrno));
}

u_short t_htons(u_short v) { return (u_short)((v >> 8) | (v << 8)); }
u_long t_htonl(u_long v) {
    return ((v & 0xFFu) << 24) | ((v & 0xFF00u) << 8) | ((v >> 8) & 0xFF00u) | (v >> 24);
}

struct sockaddr_in t_loopback(u_short port) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = t_htons(port);
    a.sin_addr.S_un.S_addr = t_htonl(INADDR_LOOPBACK);
    return a;
}

SOCKET t_socket(int type) {
    int err = 0;
    SOCKET s = WSPSocket(AF_INET, type, type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP, 0, 0, &err);
    if (s == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "WSPSocket failed: %d", err);
    return s;
}

SOCKET t_listener(struct sockaddr_in *addr) {
    SOCKET s = t_socket(SOCK_STREAM);
    struct sockaddr_in a = t_loopback(0);
    int len = sizeof a;
    CHECK_OK(WSPBind(s, (struct sockaddr *)&a, sizeof a, lpErrno));
    CHECK_OK(WSPListen(s, SOMAXCONN, lpErrno));
    CHECK_OK(WSPGetSockName(s, (struct sockaddr *)&a, &len, lpErrno));
    if (addr) *addr = a;
    return s;
}

void t_tcp_pair(SOCKET *client, SOCKET *server) {
    struct sockaddr_in a;
    SOCKET l = t_listener(&a);
    SOCKET c = t_socket(SOCK_STREAM);
    CHECK_OK(WSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno));
    int err = 0;
    SOCKET s = WSPAccept(l, NULL, NULL, NULL, 0, &err);
    if (s == INVALID_SOCKET) harness_fail(__FILE__, __LINE__, "WSPAccept failed: %d", err);
    CHECK_OK(WSPCloseSocket(l, lpErrno));
    *client = c;
    *server = s;
}

void t_bind_loopback(SOCKET s, struct sockaddr_in *addr) {
    struct sockaddr_in a = t_loopback(0);
    int len = sizeof a;
    CHECK_OK(WSPBind(s, (struct sockaddr *)&a, sizeof a, lpErrno));
    CHECK_OK(WSPGetSockName(s, (struct sockaddr *)&a, &len, lpErrno));
    if (addr) *addr = a;
}

SOCKET t_udp_bound(struct sockaddr_in *addr) {
    SOCKET s = t_socket(SOCK_DGRAM);
    t_bind_loopback(s, addr);
    return s;
}

void t_set_int_opt(SOCKET s, int level, int opt, int value) {
    CHECK_OK(WSPSetSockOpt(s, level, opt, (const char *)&value, sizeof value, lpErrno));
}

void t_hard_close(SOCKET s) {
    struct linger l = { 1, 0 };
    CHECK_OK(WSPSetSockOpt(s, SOL_SOCKET, SO_LINGER, (const char *)&l, sizeof l, lpErrno));
    CHECK_OK(WSPCloseSocket(s, lpErrno));
}

int t_send_all(SOCKET s, const void *buf, DWORD len) {
    DWORD done = 0;
    while (done < len) {
        DWORD n = 0;
        int err = 0;
        if (WSPSend(s, (char *)buf + done, len - done, &n, 0, NULL, NULL, &err) != 0) return err;
        done += n;
    }
    return 0;
}

int t_recv_exact(SOCKET s, void *buf, DWORD len) {
    DWORD done = 0;
    while (done < len) {
        DWORD n = 0;
        int flags = 0, err = 0;
        if (WSPRecv(s, (char *)buf + done, len - done, &n, &flags, NULL, NULL, &err) != 0) return err;
        if (n == 0) return -1;   /* closed early */
        done += n;
    }
    return 0;
}

int t_count_fds(void) {
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -1;
    while (readdir(d)) n++;
    closedir(d);
    return n - 3;   /* ".", "..", and the directory's own descriptor */
}

double t_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void t_sleep_ms(int ms) {
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

char t_catalog_dir[256], t_catalog_ini[300];

void t_new_catalog(const char *content) {
    snprintf(t_catalog_dir, sizeof t_catalog_dir, "%s/ws2cat-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    CHECK(mkdtemp(t_catalog_dir) != NULL);
    snprintf(t_catalog_ini, sizeof t_catalog_ini, "%s/winsock2.ini", t_catalog_dir);
    CHECK_EQ(setenv("WINSOCK2_INI", t_catalog_ini, 1), 0);
    if (content) {
        FILE *f = fopen(t_catalog_ini, "w");
        CHECK(f != NULL);
        fputs(content, f);
        fclose(f);
    }
}

const char *t_installed_lib(const char *name) {
    static char paths[4][512];
    static int next;
    Dl_info info;
    if (!dladdr((void *)WSPStartup, &info) || !info.dli_fname) harness_fail(__FILE__, __LINE__, "dladdr(WSPStartup) failed");
    char dir[400];
    snprintf(dir, sizeof dir, "%s", info.dli_fname);
    char *path = paths[next++ % 4];
    snprintf(path, sizeof paths[0], "%s/%s", dirname(dir), name);
    struct stat st;
    if (stat(path, &st) != 0) harness_fail(__FILE__, __LINE__, "%s is not installed", path);
    return path;
}

DWORD t_install(const char *name, const char *path, PROTOCOL_INFO *infos, DWORD n) {
    DWORD id = 0;
    int err = 0;
    if (WPUInstallProvider(name, path, infos, n, &id, &err) != 0)
        harness_fail(__FILE__, __LINE__, "WPUInstallProvider(%s) failed: %d", name, err);
    return id;
}

void t_drop_catalog(void) {
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t_catalog_dir);
    CHECK_EQ(system(cmd), 0);
}
