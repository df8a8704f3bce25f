/* fuzz.c: a random-sequence fuzzer for the Winsock 2 SPI (libws2spi.so.2,
 * the TCP/IP provider; with -DFUZZ_UNIX libws2unix.so.2, the AF_UNIX one).
 *
 * Built like a user's program (the installed ws2spi.h, pkg-config), with
 * -fsanitize=address,undefined. One sequence = one seed: 1-4 worker threads
 * each make --steps random calls of the WSP* entry points and the host
 * services, with hostile arguments (NULL and low pointers, negative, zero and
 * huge lengths, wrong families, stale, foreign, random and closed handles,
 * huge and garbage fd_sets, overlapped calls with closed or garbage events,
 * the three notification models), calls before WSPStartup and after
 * WSPCleanup, and close-while-blocked scenarios (recv, accept, select,
 * connect, recvfrom) that must end with WSAEINTR. Only 127.0.0.0/8 is ever
 * a connect or send target, and only on ports of the fuzzer's own sockets
 * (or a port it just freed, or 0).
 *
 * Every call is checked: it returns within a bound (a watchdog thread), its
 * result is a success value or SOCKET_ERROR / INVALID_SOCKET with a Winsock
 * code of ws2spi.h in *lpErrno (an allow-list), a closed or foreign handle
 * never succeeds, a NULL or low pointer in a required argument never
 * succeeds, new handles never alias old ones. At the end every handle is
 * closed (0, or WSAENOTSOCK if the fuzzer closed it), WSPCleanup goes down to
 * zero, every pending overlapped operation has completed, and the process has
 * as many descriptors as after a warm-up start-up/clean-up cycle.
 *
 *   fuzz --seed S [--steps N] [--threads T] [--verbose] [--no-lowptr] [--no-full-backlog]
 *        one sequence in this process; exit 0 = pass (the replay form)
 *   fuzz --seconds X [--seed S] [--threads 1-4] ...
 *        seeds S, S+1, ... each in a forked child, for X seconds
 *   fuzz --seeds 1,2,3 [--threads 1-4] ...
 *        exactly these seeds, each in a forked child
 * --no-full-backlog leaves out the close-while-blocked connect scenario (it
 * fills a listener's backlog first: a provider known to fail there).
 * In the two driver modes a failing seed is re-run with fewer steps (a
 * bisection of --steps) and the shortest failing command line is printed.
 * The last line is "N passed, M failed". --threads A-B derives each seed's
 * thread count from the seed (A + seed % (B-A+1)).
 *
 * The family: built as is, the sockets are AF_INET (link -lws2spi); built
 * with -DFUZZ_UNIX they are AF_UNIX (link -l:libws2unix.so.2, which exports
 * the same WSP* functions) and the addresses SOCKADDR_UN: mostly abstract
 * names unique to the process ("\0ws2fz.PID.N"), sometimes path names
 * relative to a directory of the run (TMPDIR or /tmp, ws2fz-PID, the
 * working directory during a sequence, so that a name cut short by a
 * hostile length stays inside it; removed at the end, or by the driver
 * after a crash), absolute path names in it, autobind (the family alone),
 * names of live and closed sockets, a name nobody listens on, and hostile
 * ones: lengths 0..200 and beyond 110, wrong families, a 108-byte path with
 * no NUL, garbage names, NULL and low pointers; every address is passed in
 * a buffer of exactly the bytes the provider may read (at most 110), so
 * that ASan's interceptors see an over-read. AF_UNIX has no urgent data:
 * MSG_OOB never succeeds (WSAEOPNOTSUPP), SO_OOBINLINE and every option
 * outside SOL_SOCKET / SOL_PROVIDER's PVD_CONFIG never do (WSAENOPROTOOPT,
 * or WSAEINVAL for a level it does not know), SIOCATMARK is TRUE.
 * Returned addresses (getsockname, getpeername, accept, recvfrom, the
 * condition function's) are checked in both builds: the family, the length
 * (AF_INET 16; AF_UNIX 2..110, a path name ending at its NUL), nothing
 * written past the reported length, WSAEFAULT never for a buffer of the
 * largest address.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <limits.h>
#include <pthread.h>
#include <unistd.h>
#include <signal.h>
#include <time.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <ws2spi.h>

/* The family under test: its sockets, its addresses, the longest address
 * (the natural size of an address buffer). */
#ifdef FUZZ_UNIX
#define FZ_AF AF_UNIX
#define FZ_FAMILY_NAME "AF_UNIX"
typedef SOCKADDR_UN fz_addr;
#else
#define FZ_AF AF_INET
#define FZ_FAMILY_NAME "AF_INET"
typedef struct sockaddr_in fz_addr;
#endif
#define FZ_ALEN ((int)sizeof(fz_addr))

/* The sanitizers' defaults, so that a replay command needs no environment:
 * no leak report (the library's runtime keeps its globals; the fuzzer keeps
 * every overlapped buffer until exit on purpose), stop at the first error. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_leaks=0:abort_on_error=0:allocator_may_return_null=1"; }
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void) { return "print_stacktrace=1:halt_on_error=1"; }

/* ------------------------------------------------------------------ options */
static unsigned long long opt_seed = 1;
static int opt_steps = 200;
static int opt_threads_lo = 1, opt_threads_hi = 1, opt_threads_given;
static int opt_verbose;
static int opt_lowptr = 1;
static double opt_seconds = -1;
static char *opt_seeds;
static int opt_minimize = 1;
static int opt_call_ms = 5000;
static int opt_no_backlog;      /* leave out the connect scenario that fills a listener's backlog */
static const char *opt_log_dir = NULL;
static const char *self_path = "fuzz";

#ifdef FUZZ_UNIX
/* The directory of a sequence's path names: TMPDIR (if short) or /tmp,
 * ws2fz-PID. A sequence runs in it (its working directory), so relative
 * names, also when a hostile length cuts them short, never leave it. */
static char rundir[80];
static char startdir[4096];
static const char *rundir_base(void) {
    const char *b = getenv("TMPDIR");
    return b && b[0] == '/' && strlen(b) < 40 ? b : "/tmp";
}
static void rundir_name(char *out, size_t cap, long pid) { snprintf(out, cap, "%s/ws2fz-%ld", rundir_base(), pid); }
/* Removes a run directory and the socket files in it (the fuzzer makes no
 * subdirectories). */
static void rundir_remove(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[600];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}
#endif

/* ---------------------------------------------------- shared state & checks */
#define MAXSLOTS 40
struct slot {
    const char *_Atomic name;   /* the call in progress, or NULL */
    _Atomic double start;       /* ms */
    _Atomic double bound;       /* ms */
    _Atomic int step;
};
struct shm {
    atomic_long calls;
    atomic_int failed;
    char fail[1024];
    char call[400];     /* the failing thread's last call */
    struct slot slots[MAXSLOTS];
};
static struct shm *G;
static unsigned long long cur_seed;
static int cur_threads, cur_steps;
static atomic_int phase_uninit;        /* 1: no start-up is in force */
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
static void sleep_ms(int ms) {
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0) {}
}

static __thread char lastcall[400];   /* the last call of this thread, as logged */
static void fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void fail(const char *fmt, ...) {
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&log_mu);
    if (atomic_exchange(&G->failed, 1) == 0)
    {
        snprintf(G->fail, sizeof G->fail, "%s", msg);
        snprintf(G->call, sizeof G->call, "%s", lastcall);
    }
    fprintf(stderr, "FAIL seed %llu (steps %d, threads %d): %s%s%s\n", cur_seed, cur_steps, cur_threads, msg,
            lastcall[0] ? " -- the call: " : "", lastcall);
    fflush(stderr);
#ifdef FUZZ_UNIX
    if (rundir[0]) rundir_remove(rundir);
#endif
    _exit(3);
}

static __thread int my_slot = 0;      /* watchdog slot of this thread */
static __thread int my_thread = -1;   /* worker index; -1 main, 100+ helpers */

static void vlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void vlog(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lastcall, sizeof lastcall, fmt, ap);
    va_end(ap);
    if (!opt_verbose) return;
    pthread_mutex_lock(&log_mu);
    fprintf(stderr, "[t%d] %s\n", my_thread, lastcall);
    pthread_mutex_unlock(&log_mu);
}

static void slot_begin(const char *name, double bound) {
    struct slot *s = &G->slots[my_slot];
    atomic_store(&s->start, now_ms());
    atomic_store(&s->bound, bound);
    atomic_store(&s->name, name);
    atomic_fetch_add(&G->calls, 1);
}
static void slot_end(void) { atomic_store(&G->slots[my_slot].name, NULL); }

/* CALL(name, expr): expr under the watchdog (opt_call_ms). */
#define CALLB(nm, bound, expr) ({ slot_begin(nm, (bound)); __typeof__(expr) _r = (expr); slot_end(); _r; })
#define CALL(nm, expr) CALLB(nm, (double)opt_call_ms, expr)

static void *watchdog_main(void *arg) {
    (void)arg;
    for (;;) {
        sleep_ms(20);
        double t = now_ms();
        for (int i = 0; i < MAXSLOTS; i++) {
            struct slot *s = &G->slots[i];
            const char *n = atomic_load(&s->name);
            if (!n) continue;
            double st = atomic_load(&s->start), b = atomic_load(&s->bound);
            if (n == atomic_load(&s->name) && st == atomic_load(&s->start) && t - st > b)
                fail("%s (watchdog slot %d, step %d) did not return within %.0f ms", n, i,
                     atomic_load(&s->step), b);
        }
    }
    return NULL;
}

/* The Winsock codes of ws2spi.h: what *lpErrno may hold after a failure. */
static const int wsa_codes[] = {
    WSAEINTR, WSAEBADF, WSAEACCES, WSAEFAULT, WSAEINVAL, WSAEMFILE,
    WSAEWOULDBLOCK, WSAEINPROGRESS, WSAEALREADY, WSAENOTSOCK, WSAEDESTADDRREQ,
    WSAEMSGSIZE, WSAEPROTOTYPE, WSAENOPROTOOPT, WSAEPROTONOSUPPORT,
    WSAESOCKTNOSUPPORT, WSAEOPNOTSUPP, WSAEPFNOSUPPORT, WSAEAFNOSUPPORT,
    WSAEADDRINUSE, WSAEADDRNOTAVAIL, WSAENETDOWN, WSAENETUNREACH, WSAENETRESET,
    WSAECONNABORTED, WSAECONNRESET, WSAENOBUFS, WSAEISCONN, WSAENOTCONN,
    WSAESHUTDOWN, WSAETOOMANYREFS, WSAETIMEDOUT, WSAECONNREFUSED, WSAELOOP,
    WSAENAMETOOLONG, WSAEHOSTDOWN, WSAEHOSTUNREACH, WSAENOTEMPTY, WSAEPROCLIM,
    WSAEUSERS, WSAEDQUOT, WSAESTALE, WSAEREMOTE,
    WSASYSNOTREADY, WSAVERNOTSUPPORTED, WSANOTINITIALISED,
    WSAHOST_NOT_FOUND, WSATRY_AGAIN, WSANO_RECOVERY, WSANO_DATA,
};
/* The host services' codes (WSAGetLastError after an event, window or
 * overlapped-result call), and what a completion routine may be given. */
static const int host_codes[] = {
    WSA_INVALID_HANDLE, WSA_NOT_ENOUGH_MEMORY, WSA_INVALID_PARAMETER,
    WSA_OPERATION_ABORTED, WSA_IO_INCOMPLETE, WSA_IO_PENDING,
    (int)WSA_WAIT_TIMEOUT,   /* WS2GetMessage's timeout */
};
static int is_wsa_code(int e) {
    for (size_t i = 0; i < sizeof wsa_codes / sizeof *wsa_codes; i++) if (wsa_codes[i] == e) return 1;
    return 0;
}
static int is_host_code(int e) {
    if (is_wsa_code(e)) return 1;
    for (size_t i = 0; i < sizeof host_codes / sizeof *host_codes; i++) if (host_codes[i] == e) return 1;
    return 0;
}

/* What the arguments of one call were. */
struct cx {
    int stale;     /* the socket is one the fuzzer closed, or a foreign (upcall) handle */
    int fault;     /* a required pointer was NULL or below 64 KiB */
    int hostile;   /* some other argument was hostile: the error may be any code */
    int noerr;     /* lpErrno was NULL or low: nothing to read */
    int pending;   /* WSA_IO_PENDING is a valid result */
    int uninit;    /* no start-up in force: WSANOTINITIALISED expected */
};

#define SENT 0x7EADBEEF
/* check: a call returned rc (ok: it succeeded) with err. */
static void check(const char *name, int ok, int bad_rc, long long rc, int err, struct cx *c) {
    if (bad_rc) fail("%s returned %lld: neither success nor SOCKET_ERROR", name, rc);
    if (c->uninit) {
        if (ok) fail("%s succeeded with no WSPStartup in force", name);
        /* RULINGS 3 names WSANOTINITIALISED for every call, bad pointers
         * among the arguments or not (start-up is checked first). */
        if (!c->noerr && err != WSANOTINITIALISED)
            fail("%s failed with %d with no WSPStartup in force, expected WSANOTINITIALISED (10093)", name, err);
        return;
    }
    if (ok) {
        if (c->stale) fail("%s succeeded on a closed or foreign socket handle", name);
        if (c->fault) fail("%s succeeded with a NULL or low pointer in a required argument (RULINGS 4: WSAEFAULT)", name);
        return;
    }
    if (c->noerr) return;
    if (err == SENT) fail("%s returned SOCKET_ERROR and left *lpErrno unset", name);
    if (err == WSA_IO_PENDING && c->pending) return;
    if (!is_wsa_code(err)) fail("%s failed with %d: not a Winsock code of ws2spi.h", name, err);
    if (c->stale && !c->fault && !c->hostile && err != WSAENOTSOCK)
        fail("%s on a closed or foreign handle failed with %d, expected WSAENOTSOCK", name, err);
}

/* ------------------------------------------------------------------- random */
struct thr {
    int idx;
    uint64_t rng;
    int steps, step;
    int extra_startups;
    int hook;
    DWORD tid;
    char *big;       /* 64 KiB scratch for huge lengths */
    char *data;      /* 64 KiB of send data, never freed (overlapped sends) */
};
static uint64_t next64(struct thr *t) {
    uint64_t z = (t->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static uint32_t rnd(struct thr *t, uint32_t n) { return n ? (uint32_t)(next64(t) % n) : 0; }
static uint32_t rnd32(struct thr *t) { return (uint32_t)next64(t); }
static int chance(struct thr *t, int pct) { return (int)rnd(t, 100) < pct; }

static void *low_ptr(struct thr *t) {
    static const uintptr_t lows[] = { 1, 8, 0x10, 0x1000, 0x8000, 0xFFF0 };
    return (void *)lows[rnd(t, sizeof lows / sizeof *lows)];
}
/* A pointer argument: good most of the time, else NULL or low. */
static void *pick_ptr(struct thr *t, void *good, struct cx *c, int required, int pct_bad) {
    if (!chance(t, pct_bad)) return good;
    void *p = (opt_lowptr && chance(t, 50)) ? low_ptr(t) : NULL;
    if (required) c->fault = 1; else if (p) c->hostile = 1;
    return p;
}
/* lpErrno: &err, or now and then NULL or low. */
static int *pick_errp(struct thr *t, int *err, struct cx *c) {
    *err = SENT;
    int r = rnd(t, 100);
    if (r < 4) { c->noerr = 1; return NULL; }
    if (r < 7 && opt_lowptr) { c->noerr = 1; return (int *)low_ptr(t); }
    return err;
}
static int pick_len(struct thr *t, int natural) {
    switch (rnd(t, 16)) {
    case 0: return 0;
    case 1: return -1;
    case 2: return INT_MIN;
    case 3: return INT_MAX;
    case 4: return natural > 0 ? natural - 1 : 0;
    case 5: return 1;
    case 6: return natural + 1;
    case 7: return 65536;
    case 8: return (int)rnd(t, 300);
    default: return natural;
    }
}

/* ------------------------------------------------------------------ records */
enum { K_SOCK = 1, K_EVENT, K_WIN, K_UPCALL };
struct rec {
    int kind;
    uintptr_t h;
    int type;          /* SOCK_STREAM / SOCK_DGRAM */
    int ovl;
    int closed;        /* closed by the fuzzer (terminal) */
    int claimed;       /* a thread is closing it */
    int privat;        /* a scenario's own socket: not picked */
    u_short port;      /* bound port (network order), 0 if unknown */
#ifdef FUZZ_UNIX
    SOCKADDR_UN name;  /* AF_UNIX: the bound name, as getsockname gave it */
    int namelen;       /* its length; 0 if unknown or unnamed */
#endif
    const char *origin; /* the action that made it, */
    int creator, step;  /* on which thread, at which step */
};
#define MAXREC 16384
static struct rec recs[MAXREC];
static int nrec;
static int live_socks;
static pthread_mutex_t tmu = PTHREAD_MUTEX_INITIALIZER;
#ifdef FUZZ_UNIX
static SOCKADDR_UN dead_name;       /* a name held by a bound, not listening, stream socket
                                       of the fuzzer, and by no datagram socket: refused */
static int dead_len;
#else
static u_short dead_port;           /* network order: a port held by a bound, not listening,
                                       TCP socket and a UDP socket of the fuzzer: connects are refused */
#endif

static __thread const char *cur_action = "setup";
static __thread int cur_step;
static int add_rec(int kind, uintptr_t h, int type, int ovl, int privat) {
    pthread_mutex_lock(&tmu);
    if (kind == K_SOCK || kind == K_UPCALL) {
        for (int i = 0; i < nrec; i++)
            if ((recs[i].kind == K_SOCK || recs[i].kind == K_UPCALL) && recs[i].h == h) {
                pthread_mutex_unlock(&tmu);
                fail("new handle %#lx aliases a handle issued before (record %d, %s, %s)", (unsigned long)h, i,
                     recs[i].kind == K_SOCK ? "socket" : "upcall handle", recs[i].closed ? "closed" : "live");
            }
    }
    if (nrec >= MAXREC) { pthread_mutex_unlock(&tmu); return -1; }
    int i = nrec++;
    recs[i] = (struct rec){ .kind = kind, .h = h, .type = type, .ovl = ovl, .privat = privat,
                            .origin = cur_action, .creator = my_thread, .step = cur_step };
    if (kind == K_SOCK && !privat) live_socks++;
    pthread_mutex_unlock(&tmu);
    return i;
}
static void mark_closed(int i) {
    pthread_mutex_lock(&tmu);
    if (!recs[i].closed && recs[i].kind == K_SOCK && !recs[i].privat) live_socks--;
    recs[i].closed = 1;
    recs[i].claimed = 0;
    pthread_mutex_unlock(&tmu);
}
/* A random record of a kind, live (want_closed 0) or closed (1); -1 if none.
 * One random number whatever the table holds, so that the rest of a thread's
 * sequence does not depend on what the other threads did. */
static int rec_ok(const struct rec *r, int kind, int want_closed) {
    return r->kind == kind && !r->privat && r->closed == want_closed && !r->claimed;
}
static int pick_rec(struct thr *t, int kind, int want_closed, int claim) {
    uint32_t x = rnd32(t);
    pthread_mutex_lock(&tmu);
    int n = 0, found = -1;
    for (int i = 0; i < nrec; i++) if (rec_ok(&recs[i], kind, want_closed)) n++;
    if (n) {
        int k = (int)(x % (uint32_t)n);
        for (int i = 0; i < nrec; i++) if (rec_ok(&recs[i], kind, want_closed) && k-- == 0) { found = i; break; }
    }
    if (found >= 0 && claim) recs[found].claimed = 1;
    pthread_mutex_unlock(&tmu);
    return found;
}
#ifndef FUZZ_UNIX
static u_short pick_port(struct thr *t) {
    int r = (int)rnd(t, 100);
    uint32_t x = rnd32(t);
    if (r < 20) return dead_port;
    if (r < 25) return 0;
    pthread_mutex_lock(&tmu);
    int n = 0;
    u_short p = dead_port;
    /* live sockets only: a closed one's port may go to another process */
    for (int i = 0; i < nrec; i++) if (recs[i].kind == K_SOCK && recs[i].port && !recs[i].privat && !recs[i].closed) n++;
    if (n) {
        int k = (int)(x % (uint32_t)n);
        for (int i = 0; i < nrec; i++)
            if (recs[i].kind == K_SOCK && recs[i].port && !recs[i].privat && !recs[i].closed && k-- == 0) { p = recs[i].port; break; }
    }
    pthread_mutex_unlock(&tmu);
    return p;
}
#endif

/* A SOCKET argument. *ri gets the record index (or -1). */
static SOCKET pick_sock(struct thr *t, struct cx *c, int *ri) {
    int r = (int)rnd(t, 100), i = -1, k = (int)rnd(t, 6);
    uint32_t x = rnd32(t);
    if (ri) *ri = -1;
    if (r < 75) i = pick_rec(t, K_SOCK, 0, 0);
    else if (r < 87) { i = pick_rec(t, K_SOCK, 1, 0); if (i >= 0) c->stale = 1; }
    else if (r < 91) { i = pick_rec(t, K_UPCALL, (int)(x & 1), 0); if (i >= 0) c->stale = 1; }
    if (i >= 0) { if (ri) *ri = i; return (SOCKET)recs[i].h; }
    switch (k) {
    case 0: return INVALID_SOCKET;
    case 1: return 0;
    case 2: return 0x10000;           /* slot 0 - 1: never a handle */
    case 3: return 0xFFFF0000u;
    default: return x;                /* random: almost surely no socket */
    }
}

static WSAEVENT pick_event(struct thr *t, struct cx *c) {
    int r = (int)rnd(t, 100);
    int i = -1;
    void *low = low_ptr(t);
    uint64_t x = next64(t);
    if (r < 70) i = pick_rec(t, K_EVENT, 0, 0);
    else if (r < 82) i = pick_rec(t, K_EVENT, 1, 0);
    if (i >= 0) return (WSAEVENT)recs[i].h;
    if (r < 88) return NULL;
    c->hostile = 1;
    if (r < 93 && opt_lowptr) return (WSAEVENT)low;
    return (WSAEVENT)(uintptr_t)(x | 1);   /* garbage: events are table handles */
}
static HWND pick_window(struct thr *t) {
    int r = (int)rnd(t, 100);
    int i = -1;
    void *low = low_ptr(t);
    uint64_t x = next64(t);
    if (r < 70) i = pick_rec(t, K_WIN, 0, 0);
    else if (r < 82) i = pick_rec(t, K_WIN, 1, 0);
    if (i >= 0) return (HWND)recs[i].h;
    if (r < 88) return NULL;
    if (r < 93 && opt_lowptr) return (HWND)low;
    return (HWND)(uintptr_t)(x | 1);
}

static __attribute__((unused)) u_long hton32(u_long v) {
    return ((v & 0xFFu) << 24) | ((v & 0xFF00u) << 8) | ((v >> 8) & 0xFF00u) | (v >> 24);
}

#ifdef FUZZ_UNIX
/* AF_UNIX names. Every name the fuzzer makes is new (a counter of the
 * process): abstract names carry the process id, path names live in the
 * run's directory. Fixed widths: the lengths do not depend on the counter. */
static atomic_uint name_seq;
static int fresh_abstract(SOCKADDR_UN *a) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "ws2fz.%07ld.%06x", (long)getpid() % 10000000,
                     atomic_fetch_add(&name_seq, 1) & 0xFFFFFFu);
    return 2 + 1 + n;
}
/* A path name relative to the run's directory: with its NUL, without it
 * (namelen may include it or not), or the whole structure. */
static int fresh_path(struct thr *t, SOCKADDR_UN *a) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    int n = snprintf(a->sun_path, sizeof a->sun_path, "fz%06x", atomic_fetch_add(&name_seq, 1) & 0xFFFFFFu);
    switch (rnd(t, 4)) {
    case 0: return 2 + n;
    case 1: return FZ_ALEN;
    default: return 2 + n + 1;
    }
}
/* An absolute path name in the run's directory (its exact length only: a
 * shorter one would name a file outside). */
static int fresh_abs_path(SOCKADDR_UN *a) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    int n = snprintf(a->sun_path, sizeof a->sun_path, "%s/fz%06x", rundir, atomic_fetch_add(&name_seq, 1) & 0xFFFFFFu);
    return 2 + n + 1;
}
/* The name of one of the fuzzer's sockets (live; with closed_too also one it
 * closed: an abstract name is gone then, a path name's file stays with
 * nobody behind it), else the dead name. One random number whatever the
 * table holds. */
static int known_name(struct thr *t, SOCKADDR_UN *a, int closed_too) {
    uint32_t x = rnd32(t);
    int live_only = !closed_too || (x & 3) != 0;
    x >>= 2;
    pthread_mutex_lock(&tmu);
    int n = 0, len = dead_len;
    *a = dead_name;
#define NAMED(r) ((r)->kind == K_SOCK && (r)->namelen > 2 && !(r)->privat && (!live_only || !(r)->closed))
    for (int i = 0; i < nrec; i++) if (NAMED(&recs[i])) n++;
    if (n) {
        int k = (int)(x % (uint32_t)n);
        for (int i = 0; i < nrec; i++)
            if (NAMED(&recs[i]) && k-- == 0) { *a = recs[i].name; len = recs[i].namelen; break; }
    }
#undef NAMED
    pthread_mutex_unlock(&tmu);
    return len;
}
/* A hostile length for an AF_UNIX address: 0..200, around the bounds, huge. */
static int pick_ulen(struct thr *t, int natural) {
    static const int odd[] = { 0, 1, 2, 3, 108, 109, 110, 111, 200, -1, INT_MIN, INT_MAX, 65536 };
    switch (rnd(t, 4)) {
    case 0: return (int)rnd(t, 201);
    case 1: return natural + (chance(t, 50) ? 1 : -1);
    default: return odd[rnd(t, sizeof odd / sizeof *odd)];
    }
}

/* An address argument for bind/connect/sendto: an AF_UNIX name (see the top
 * of the file), now and then hostile. It is passed in a buffer of exactly
 * the bytes the provider may read (the length, at most 110), freed by the
 * caller after the call (*tofree). *plen gets the length to pass. */
static const struct sockaddr *pick_addr(struct thr *t, struct cx *c, int *plen, int for_bind, int required, char **tofree) {
    SOCKADDR_UN a;
    int len, exact = 0;
    int r = rnd(t, 100);
    if (for_bind) {
        if (r < 45) len = fresh_abstract(&a);
        else if (r < 63) len = fresh_path(t, &a);
        else if (r < 68) { len = fresh_abs_path(&a); exact = 1; }
        else if (r < 82) { memset(&a, 0, sizeof a); a.sun_family = AF_UNIX; len = 2; }   /* autobind */
        else { len = known_name(t, &a, 0); exact = a.sun_path[0] == '/'; }                /* in use */
    } else {
        if (r < 62) len = known_name(t, &a, 1);
        else if (r < 76) { a = dead_name; len = dead_len; }
        else if (r < 82) len = fresh_abstract(&a);                                        /* nobody */
        else if (r < 86) len = fresh_path(t, &a);                                         /* no such file */
        else if (r < 90) { memset(&a, 0, sizeof a); a.sun_family = AF_UNIX; len = 2; }    /* no name at all */
        else len = known_name(t, &a, 0);
        exact = a.sun_path[0] == '/';
    }
    int h = rnd(t, 100);
    if (h < 4) { a.sun_family = (u_short)rnd(t, 40); if (a.sun_family != AF_UNIX) c->hostile = 1; }
    else if (h < 6) { a.sun_family = (u_short)rnd32(t); if (a.sun_family != AF_UNIX) c->hostile = 1; }
    else if (h < 9) {   /* an AF_INET address */
        struct sockaddr_in in;
        memset(&in, 0, sizeof in);
        in.sin_family = AF_INET;
        in.sin_port = (u_short)rnd32(t);
        in.sin_addr.S_un.S_addr = hton32(INADDR_LOOPBACK);
        memset(&a, 0, sizeof a);
        memcpy(&a, &in, sizeof in);
        len = sizeof in;
        exact = 0;
        c->hostile = 1;
    } else if (h < 13) {   /* a relative path filling sun_path, no NUL: Linux takes all 108 bytes */
        int n = snprintf(a.sun_path, sizeof a.sun_path, "fz%06x.", atomic_fetch_add(&name_seq, 1) & 0xFFFFFFu);
        memset(a.sun_path + n, 'x', sizeof a.sun_path - (size_t)n);
        a.sun_family = AF_UNIX;
        len = chance(t, 70) ? FZ_ALEN : FZ_ALEN + 1 + (int)rnd(t, 90);
        exact = 0;
        c->hostile = 1;
    } else if (h < 16) {   /* an abstract name of garbage (a valid name) */
        memset(&a, 0, sizeof a);
        a.sun_family = AF_UNIX;
        for (size_t i = 1; i < sizeof a.sun_path; i++) a.sun_path[i] = (char)rnd32(t);
        len = 3 + (int)rnd(t, 108);
        exact = 0;
    } else if (h < 18) {   /* a relative path of garbage: 'f' first, no '/' */
        memset(&a, 0, sizeof a);
        a.sun_family = AF_UNIX;
        a.sun_path[0] = 'f';
        for (size_t i = 1; i < sizeof a.sun_path; i++) { a.sun_path[i] = (char)rnd32(t); if (a.sun_path[i] == '/') a.sun_path[i] = '_'; }
        len = 3 + (int)rnd(t, 108);
        exact = 0;
        c->hostile = 1;
    }
    if (!exact && chance(t, 12)) { int l2 = pick_ulen(t, len); if (l2 != len) { len = l2; c->hostile = 1; } }
    /* exactly what may be read: the length, at most sizeof(SOCKADDR_UN) */
    size_t size = len <= 0 ? 0 : (size_t)(len < FZ_ALEN ? len : FZ_ALEN);
    char *buf = malloc(size ? size : 1);
    memcpy(buf, &a, size);
    *tofree = buf;
    *plen = len;
    return (const struct sockaddr *)pick_ptr(t, buf, c, required, 6);
}
#else
/* An address argument for bind/connect/sendto, in t->big: 127.0.0.0/8 (or
 * 0.0.0.0) only, on one of the fuzzer's ports, a freed one or 0; now and then
 * a wrong family, garbage padding, a short, negative or huge length, NULL or
 * low. *plen gets the length to pass; *tofree is NULL. */
static const struct sockaddr *pick_addr(struct thr *t, struct cx *c, int *plen, int for_bind, int required, char **tofree) {
    *tofree = NULL;
    memset(t->big, 0, 64);
    struct sockaddr_in *a = (struct sockaddr_in *)t->big;
    a->sin_family = AF_INET;
    a->sin_port = for_bind ? (chance(t, 80) ? 0 : pick_port(t)) : pick_port(t);
    a->sin_addr.S_un.S_addr = hton32(INADDR_LOOPBACK);
    int len = sizeof *a;
    int r = rnd(t, 100);
    if (r < 8) { a->sin_family = (short)rnd(t, 40); if (a->sin_family != AF_INET) c->hostile = 1; }
    else if (r < 12) { a->sin_family = (short)rnd32(t); c->hostile = 1; }
    else if (r < 18) a->sin_addr.S_un.S_addr = hton32(0x7F000000u | (rnd32(t) & 0xFFFFFF));
    else if (r < 22) a->sin_addr.S_un.S_addr = 0;
    else if (r < 26) { for (int i = 0; i < 8; i++) a->sin_zero[i] = (char)rnd32(t); }
    if (chance(t, 15)) { len = pick_len(t, (int)sizeof *a); if (len != (int)sizeof *a) c->hostile = 1; }
    /* bytes past the sockaddr_in: garbage, the address bytes stay loopback */
    if (len > (int)sizeof *a) for (int i = 16; i < 64; i++) t->big[i] = (char)rnd32(t);
    *plen = len;
    return (const struct sockaddr *)pick_ptr(t, a, c, required, 6);
}
#endif

/* An output buffer of `len` bytes (exact size, so ASan's interceptors see an
 * overrun), or t->big for negative and huge lengths. Free with out_free. */
static char *out_buf(struct thr *t, int len) {
    if (len >= 0 && len <= 4096) { char *p = malloc(len ? (size_t)len : 1); memset(p, 0xA5, len ? (size_t)len : 1); return p; }
    return t->big;
}
static void out_free(struct thr *t, char *p) { if (p && p != t->big) free(p); }

/* ------------------------------------------------------- overlapped records */
#define OPMAGIC 0x0FE4A7ED
struct op {
    WSAOVERLAPPED ov;   /* first: the routine gets &ov */
    int magic;
    int rec;            /* the socket record, -1 if none */
    int thread;
    int has_routine;
    int immediate;      /* 1: the call failed at once (no completion may be reported) */
    int posted;         /* 1: returned 0 or WSA_IO_PENDING on an overlapped socket */
    DWORD len;
    atomic_int runs;
};
#define MAXOPS 8192
static struct op *ops[MAXOPS];
static int nops;
static pthread_mutex_t opmu = PTHREAD_MUTEX_INITIALIZER;

static void CALLBACK ovl_done(DWORD dwError, DWORD cb, LPWSAOVERLAPPED ov) {
    struct op *o = (struct op *)ov;
    if (!o || (uintptr_t)o < 65536 || o->magic != OPMAGIC)
        fail("completion routine called with lpOverlapped %p, which was never posted", (void *)ov);
    if (atomic_fetch_add(&o->runs, 1) != 0) fail("completion routine ran twice for one operation (%p)", (void *)ov);
    if (o->immediate == 1) fail("completion routine ran for a call that failed at once (%p)", (void *)ov);
    if (o->thread != my_thread) fail("completion routine of thread %d ran on thread %d", o->thread, my_thread);
    if (dwError != 0 && !is_host_code((int)dwError)) fail("completion routine got dwError %u: not a Winsock code", dwError);
    if (cb > o->len) fail("completion routine got cbTransferred %u for a %u-byte buffer", cb, o->len);
    vlog("completion routine(%u, %u, %p)", dwError, cb, (void *)ov);
}
static struct op *new_op(struct thr *t, int rec, WSAEVENT ev) {
    struct op *o = calloc(1, sizeof *o);
    o->magic = OPMAGIC;
    o->rec = rec;
    o->thread = t->idx;
    o->ov.hEvent = ev;
    o->ov.Internal = (DWORD)rnd32(t);    /* garbage in: the provider sets it */
    pthread_mutex_lock(&opmu);
    if (nops < MAXOPS) ops[nops++] = o;
    pthread_mutex_unlock(&opmu);
    return o;
}

/* The overlapped part of a WSPRecv/Send call: sets *ov and *routine. */
static void pick_overlapped(struct thr *t, struct cx *c, int ri, DWORD len, LPWSAOVERLAPPED *ov,
                            LPWSAOVERLAPPED_COMPLETION_ROUTINE *routine, struct op **op) {
    *ov = NULL; *routine = NULL; *op = NULL;
    int ovl = ri >= 0 && recs[ri].ovl;
    if (!chance(t, ovl ? 85 : 15)) return;
    struct cx dummy = {0};
    struct op *o = new_op(t, ri, chance(t, 60) ? pick_event(t, &dummy) : NULL);
    o->len = len;
    *op = o;
    *ov = &o->ov;
    if (chance(t, 55)) { *routine = ovl_done; o->has_routine = 1; }
    else if (opt_lowptr && chance(t, 3)) { *routine = (LPWSAOVERLAPPED_COMPLETION_ROUTINE)low_ptr(t); c->hostile = 1; }
    if (opt_lowptr && chance(t, 3)) { *ov = (LPWSAOVERLAPPED)low_ptr(t); c->hostile = 1; *op = NULL; }
    if (ovl) c->pending = 1;
}
static void after_overlapped(struct op *o, int rc, int err, int ovl, int noerr) {
    if (!o) return;
    if (rc != 0 && noerr) { o->immediate = -1; return; }   /* pending or failed: unknown (no lpErrno) */
    if (rc == 0 || err == WSA_IO_PENDING) { if (ovl) o->posted = 1; }
    else o->immediate = 1;
}

/* ------------------------------------------------------------------ actions */
static int CALLBACK cond_proc(LPWSABUF caller, LPWSABUF callerData, LPWSABUF callee, LPWSABUF calleeData,
                              GROUP *g, DWORD data) {
    (void)callerData; (void)callee; (void)calleeData; (void)g;
    if (caller && (uintptr_t)caller < 65536) fail("condition function got lpCallerId %p", (void *)caller);
    if (caller && caller->buf && caller->len >= 8) {
        volatile char x = caller->buf[0]; (void)x;   /* readable */
    }
    /* the caller's and our address: the family, 2..110 bytes (AF_UNIX), 16 (AF_INET) */
    LPWSABUF ids[2] = { caller, callee };
    for (int i = 0; i < 2; i++) {
        if (!ids[i] || !ids[i]->buf) continue;
        u_short fam;
        memcpy(&fam, ids[i]->buf, 2);
        long n = (long)ids[i]->len;
        if (n < 2 || n > FZ_ALEN || (FZ_AF == AF_INET && n != FZ_ALEN))
            fail("condition function got %s of %ld bytes", i ? "lpCalleeId" : "lpCallerId", n);
        if (fam != FZ_AF) fail("condition function got %s of family %u", i ? "lpCalleeId" : "lpCallerId", fam);
    }
    switch (data % 4) { case 0: case 1: return CF_ACCEPT; case 2: return CF_REJECT; default: return CF_DEFER; }
}
static void CALLBACK select_cb(SOCKET s, int32_t ev, int err, DWORD data) {
    if (data != 0xCA11BAC) fail("WSPCallbackSelect16 callback got dwCallbackData %#x", data);
    if (ev & ~0xFF) fail("WSPCallbackSelect16 callback got lEvent %#x", ev);
    if (err != 0 && !is_wsa_code(err)) fail("WSPCallbackSelect16 callback got ErrorCode %d", err);
    /* a callback may call any SPI function but WSPCleanup (RULINGS 7): it
     * reads, then now and then re-registers or cancels its own selection */
    static atomic_uint calls;
    unsigned k = atomic_fetch_add(&calls, 1);
    u_long n = 0;
    int e = SENT;
    int rc = WSPIoctlSocket(s, FIONREAD, &n, &e);
    if (rc != 0 && (rc != SOCKET_ERROR || !is_wsa_code(e)))
        fail("WSPIoctlSocket(FIONREAD) in a select callback returned %d, error %d", rc, e);
    if (n > 0 && n <= 4096 && k % 3 == 0) {
        char buf[4096];
        DWORD got = 0;
        int fl = 0;
        e = SENT;
        rc = WSPRecv(s, buf, (DWORD)n, &got, &fl, NULL, NULL, &e);
        if (rc != 0 && (rc != SOCKET_ERROR || !is_wsa_code(e))) fail("WSPRecv in a select callback returned %d, error %d", rc, e);
    }
    if (k % 7 == 3) {
        e = SENT;
        rc = WSPCallbackSelect16(s, k % 2 ? select_cb : NULL, 0xCA11BAC, k % 14 == 3 ? 0 : (int32_t)(k & 0x3F), &e);
        if (rc != 0 && (rc != SOCKET_ERROR || !is_wsa_code(e))) fail("WSPCallbackSelect16 in a select callback returned %d, error %d", rc, e);
    }
}
static atomic_int cleanup_cb_runs;
static void CALLBACK cleanup_cb(int code, DWORD data) {
    if (code != 0) fail("WSPCleanup callback got ErrorCode %d, expected 0", code);
    if (data != 0xC1EA) fail("WSPCleanup callback got dwCallbackData %#x", data);
    atomic_fetch_add(&cleanup_cb_runs, 1);
}
static void apc_fn(DWORD ctx) { if (ctx != 0xA9C) fail("APC got dwContext %#x", ctx); }
static BOOL CALLBACK hook_fn(void) { return FALSE; }

static int is_uninit(void) { return atomic_load(&phase_uninit); }
#define CX struct cx c = { .uninit = is_uninit() }; int err = SENT

static void make_nonblocking(SOCKET s) {
    u_long on = 1;
    int e = SENT;
    if (CALL("WSPIoctlSocket(FIONBIO) on a new socket", WSPIoctlSocket(s, FIONBIO, &on, &e)) != 0)
        fail("WSPIoctlSocket(FIONBIO, 1) on a new socket %#x failed: %d", s, e);
}
/* Records the bound port (AF_INET) or name (AF_UNIX) of a socket. */
static void note_port(int ri) {
    fz_addr a;
    int len = sizeof a, e = SENT;
    if (WSPGetSockName((SOCKET)recs[ri].h, (struct sockaddr *)&a, &len, &e) != 0) return;
#ifdef FUZZ_UNIX
    if (len > 2 && len <= FZ_ALEN) {
        pthread_mutex_lock(&tmu);
        recs[ri].name = a;
        recs[ri].namelen = len;
        pthread_mutex_unlock(&tmu);
    }
#else
    if (a.sin_port) {
        pthread_mutex_lock(&tmu);
        recs[ri].port = a.sin_port;
        pthread_mutex_unlock(&tmu);
    }
#endif
}

static void act_socket(struct thr *t) {
    CX;
    int af = FZ_AF, type = chance(t, 60) ? SOCK_STREAM : SOCK_DGRAM, proto = 0;
    int flags = chance(t, 40) ? WSA_FLAG_OVERLAPPED : 0;
    DWORD prov = 0;
    int r = rnd(t, 100);
    if (r < 30) proto = FZ_AF == AF_UNIX ? 0 : type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
    else if (r < 36) { af = (int)rnd(t, 30); c.hostile = 1; }
    else if (r < 42) { type = (int)rnd(t, 210); c.hostile = 1; if (type == SOCK_RAW) type = SOCK_RDM; }
    else if (r < 46) { proto = (int)rnd32(t); c.hostile = 1; }
    else if (r < 50) { flags = (int)rnd32(t); c.hostile = 1; }
    else if (r < 54) prov = rnd32(t);
    int *ep = pick_errp(t, &err, &c);
    pthread_mutex_lock(&tmu);
    int full = live_socks >= 40;
    pthread_mutex_unlock(&tmu);
    SOCKET s = CALL("WSPSocket", WSPSocket(af, type, proto, prov, flags, ep));
    vlog("WSPSocket(%d, %d, %d, %u, %#x) = %#x err %d", af, type, proto, prov, flags, s, err);
    check("WSPSocket", s != INVALID_SOCKET, 0, s, err, &c);
    if (s == INVALID_SOCKET) return;
    if (s & 0x80000000u) fail("WSPSocket returned %#x: provider handles never have bit 31 set", s);
    int ovl = (flags & WSA_FLAG_OVERLAPPED) != 0;
    make_nonblocking(s);
    /* enough sockets: close it before anyone else can pick it, keep it as a stale handle */
    int ri = add_rec(K_SOCK, s, type == SOCK_DGRAM ? SOCK_DGRAM : SOCK_STREAM, ovl, full);
    if (full || ri < 0) {
        int e = SENT;
        if (CALL("WSPCloseSocket", WSPCloseSocket(s, &e)) != 0) fail("WSPCloseSocket of a new socket failed: %d", e);
        if (ri >= 0) {
            pthread_mutex_lock(&tmu);
            recs[ri].closed = 1;
            recs[ri].privat = 0;
            pthread_mutex_unlock(&tmu);
        }
    }
}

static void act_close(struct thr *t) {
    CX;
    int ri = -1;
    SOCKET s;
    int r = rnd(t, 100);
    if (r < 70 && (ri = pick_rec(t, K_SOCK, 0, 1)) >= 0) s = (SOCKET)recs[ri].h;
    else if (r < 85 && (ri = pick_rec(t, K_SOCK, 1, 0)) >= 0) { s = (SOCKET)recs[ri].h; c.stale = 1; ri = -1; }
    else if (r < 90 && (ri = pick_rec(t, K_UPCALL, rnd(t, 2), 0)) >= 0) { s = (SOCKET)recs[ri].h; c.stale = 1; ri = -1; }
    else { ri = -1; s = chance(t, 50) ? INVALID_SOCKET : 0; }
    int *ep = pick_errp(t, &err, &c);
    int rc = CALL("WSPCloseSocket", WSPCloseSocket(s, ep));
    vlog("WSPCloseSocket(%#x) = %d err %d", s, rc, err);
    if (ri >= 0) {
        if (rc == 0) mark_closed(ri);
        else {
            if (!c.noerr && (err == WSAENOTSOCK))
                fail("WSPCloseSocket(%#x) of a live socket failed with WSAENOTSOCK (record %d: made by '%s' on thread %d at step %d, %s%s)",
                     s, ri, recs[ri].origin, recs[ri].creator, recs[ri].step, recs[ri].type == SOCK_STREAM ? "stream" : "datagram",
                     recs[ri].ovl ? ", overlapped" : "");
            pthread_mutex_lock(&tmu); recs[ri].claimed = 0; pthread_mutex_unlock(&tmu);
        }
    }
    check("WSPCloseSocket", rc == 0, rc != 0 && rc != SOCKET_ERROR, rc, err, &c);
}

/* Two threads close one socket at once: exactly one succeeds, the other
 * gets WSAENOTSOCK (RULINGS 4: handles never alias). */
struct close2 { SOCKET s; int slot; int rc, err; atomic_int go; };
static void *close2_main(void *p) {
    struct close2 *c = p;
    my_slot = c->slot;
    while (!atomic_load(&c->go)) {}
    c->err = SENT;
    c->rc = CALL("WSPCloseSocket (racing)", WSPCloseSocket(c->s, &c->err));
    return NULL;
}
static void act_close_race(struct thr *t) {
    int ri = pick_rec(t, K_SOCK, 0, 1);
    if (ri < 0 || t->idx >= 8) { if (ri >= 0) { pthread_mutex_lock(&tmu); recs[ri].claimed = 0; pthread_mutex_unlock(&tmu); } return; }
    struct close2 c2 = { .s = (SOCKET)recs[ri].h, .slot = MAXSLOTS / 2 + 8 + t->idx };
    pthread_t th;
    if (pthread_create(&th, NULL, close2_main, &c2) != 0) fail("pthread_create failed");
    int err = SENT;
    atomic_store(&c2.go, 1);
    int rc = CALL("WSPCloseSocket (racing)", WSPCloseSocket(c2.s, &err));
    pthread_join(th, NULL);
    vlog("two WSPCloseSocket(%#x) at once: %d err %d, %d err %d", c2.s, rc, err, c2.rc, c2.err);
    int ok = (rc == 0) + (c2.rc == 0);
    int e_other = rc == 0 ? c2.err : err;
    if (ok == 0) {
        if (err == WSAEWOULDBLOCK && c2.err == WSAEWOULDBLOCK) {   /* SO_LINGER on a non-blocking socket: still open */
            pthread_mutex_lock(&tmu); recs[ri].claimed = 0; pthread_mutex_unlock(&tmu);
            return;
        }
        fail("two WSPCloseSocket(%#x) at once both failed: %d and %d", c2.s, err, c2.err);
    }
    if (ok == 2) fail("two WSPCloseSocket(%#x) at once both returned 0", c2.s);
    /* WSAEWOULDBLOCK: a linger on a non-blocking socket kept it open for the other */
    if (e_other != WSAENOTSOCK && e_other != WSAEWOULDBLOCK)
        fail("of two WSPCloseSocket(%#x) at once, the second failed with %d, expected WSAENOTSOCK", c2.s, e_other);
    mark_closed(ri);
}

static void act_bind(struct thr *t) {
    CX;
    int ri, len;
    SOCKET s = pick_sock(t, &c, &ri);
    char *tofree;
    const struct sockaddr *a = pick_addr(t, &c, &len, 1, 1, &tofree);
    int *ep = pick_errp(t, &err, &c);
    int rc = CALL("WSPBind", WSPBind(s, a, len, ep));
    vlog("WSPBind(%#x, %p, %d) = %d err %d", s, (void *)a, len, rc, err);
    free(tofree);
    check("WSPBind", rc == 0, rc != 0 && rc != SOCKET_ERROR, rc, err, &c);
    if (rc == 0 && ri >= 0) note_port(ri);
}

static void act_listen(struct thr *t) {
    CX;
    int ri;
    SOCKET s = pick_sock(t, &c, &ri);
    static const int backlogs[] = { 0, 1, 5, -1, INT_MIN, INT_MAX, 1000, 2 };
    int bl = backlogs[rnd(t, 8)];
    int *ep = pick_errp(t, &err, &c);
    int rc = CALL("WSPListen", WSPListen(s, bl, ep));
    vlog("WSPListen(%#x, %d) = %d err %d", s, bl, rc, err);
    check("WSPListen", rc == 0, rc != 0 && rc != SOCKET_ERROR, rc, err, &c);
    if (rc == 0 && ri >= 0) note_port(ri);
}

static void act_connect(struct thr *t) {
    CX;
    int ri, len;
    SOCKET s = pick_sock(t, &c, &ri);
    char *tofree;
    const struct sockaddr *a = pick_addr(t, &c, &len, 0, 1, &tofree);
    WSABUF cd = { 0, NULL }, ce = { 0, NULL };
    LPWSABUF pcd = NULL, pce = NULL;
    char cdbuf[16];
    if (chance(t, 15)) { cd.len = pick_len(t, 8); cd.buf = chance(t, 70) ? cdbuf : NULL; pcd = &cd; c.hostile = 1; }
    if (chance(t, 15)) { ce.len = (int)rnd(t, 16); ce.buf = cdbuf; pce = &ce; }
    if (opt_lowptr && chance(t, 3)) { pcd = (LPWSABUF)low_ptr(t); c.hostile = 1; }
    GROUP g = 0;
    if (chance(t, 15)) { static const GROUP gs[] = { SG_UNCONSTRAINED_GROUP, SG_CONSTRAINED_GROUP, 3, 0xFFFFFFFF }; g = gs[rnd(t, 4)]; c.hostile = 1; }
    QOS q;
    memset(&q, 0, sizeof q);
    LPQOS sq = chance(t, 10) ? &q : NULL, gq = chance(t, 10) ? &q : NULL;
    int *ep = pick_errp(t, &err, &c);
    int rc = CALL("WSPConnect", WSPConnect(s, a, len, pcd, pce, g, sq, gq, ep));
    vlog("WSPConnect(%#x, %p, %d, g=%u) = %d err %d", s, (void *)a, len, g, rc, err);
    free(tofree);
    check("WSPConnect", rc == 0, rc != 0 && rc != SOCKET_ERROR, rc, err, &c);
}

/* An address the provider wrote into `buf`, a buffer of `cap` bytes (0..4096)
 * filled with 0xA5 before the call, reporting `len` bytes. `trunc`: the
 * call cuts an address to the buffer (recvfrom) rather than failing. */
static void check_ret_addr(const char *nm, const char *buf, int cap, int len, int trunc) {
    if (len > cap) fail("%s reported an address of %d bytes in a buffer of %d", nm, len, cap);
    int cut = trunc && len == cap;   /* perhaps cut short */
    if (len < 2) {
        if (!cut) fail("%s reported an address of %d bytes", nm, len);
        return;
    }
    u_short fam;
    memcpy(&fam, buf, 2);
    if (fam != FZ_AF) fail("%s returned family %u, expected %s", nm, fam, FZ_FAMILY_NAME);
    for (int i = len; i < cap; i++)
        if ((unsigned char)buf[i] != 0xA5) fail("%s wrote byte %d of the address buffer, past the %d bytes it reported", nm, i, len);
#ifdef FUZZ_UNIX
    if (len > FZ_ALEN) fail("%s reported an AF_UNIX address of %d bytes (at most 110)", nm, len);
    const char *path = buf + 2;
    int n = len - 2;
    if (n > 0 && path[0] != 0 && !cut) {   /* a path name: the kernel's length is 2 + strlen + 1 */
        const char *z = memchr(path, 0, (size_t)n);
        if (len < FZ_ALEN ? z != path + n - 1 : (z && z != path + n - 1))
            fail("%s returned a path name of %d bytes whose NUL is at %d", nm, len, z ? (int)(z - path) : -1);
        /* relative names start with "fz", absolute ones with the run's directory */
        if (path[0] != 'f' && strncmp(path, rundir, strlen(rundir)))
            fail("%s returned path name \"%.*s\": no name the fuzzer made", nm, n, path);
    }
#else
    if (len != FZ_ALEN && !cut) fail("%s reported %d bytes for an AF_INET address", nm, len);
    if (len >= 8) {
        struct sockaddr_in a;
        memcpy(&a, buf, 8);
        u_long ip = hton32(a.sin_addr.S_un.S_addr);
        if (ip != 0 && (ip >> 24) != 127) fail("%s returned %#lx: the fuzzer uses 127.0.0.0/8 only", nm, (unsigned long)ip);
    }
#endif
}

static void act_accept(struct thr *t) {
    CX;
    int ri;
    SOCKET s = pick_sock(t, &c, &ri);
    int len = chance(t, 70) ? FZ_ALEN : pick_len(t, FZ_ALEN);
    int alen = len;
    char *buf = out_buf(t, len);
    struct sockaddr *addr = (struct sockaddr *)buf;
    int *plen = &alen;
    int r = rnd(t, 100);
    if (r < 10) { addr = NULL; plen = NULL; }
    else if (r < 14) { addr = NULL; }
    else if (r < 18) { plen = NULL; c.hostile = 1; }
    else if (r < 21 && opt_lowptr) { addr = (struct sockaddr *)low_ptr(t); c.hostile = 1; }
    else if (r < 24 && opt_lowptr) { plen = (int *)low_ptr(t); c.hostile = 1; }
    if (len != FZ_ALEN && addr) c.hostile = 1;
    LPCONDITIONPROC cp = NULL;
    DWORD data = rnd32(t);
    if (chance(t, 30)) cp = cond_proc;
    else if (opt_lowptr && chance(t, 3)) { cp = (LPCONDITIONPROC)low_ptr(t); c.hostile = 1; }
    int *ep = pick_errp(t, &err, &c);
    SOCKET n = CALL("WSPAccept", WSPAccept(s, addr, plen, cp, data, ep));
    vlog("WSPAccept(%#x, %p, %p(%d), %p) = %#x err %d len %d", s, (void *)addr, (void *)plen, len, (void *)cp, n, err, alen);
    int mine = addr == (struct sockaddr *)buf && plen == &alen && len >= 0 && len <= 4096;
    if (n != INVALID_SOCKET && mine) check_ret_addr("WSPAccept", buf, len, alen, 0);
    out_free(t, buf);
    check("WSPAccept", n != INVALID_SOCKET, 0, n, err, &c);
    /* a buffer for the largest address is never too small */
    if (n == INVALID_SOCKET && mine && len >= FZ_ALEN && !c.noerr && !c.fault && (cp == NULL || cp == cond_proc) && err == WSAEFAULT)
        fail("WSPAccept failed with WSAEFAULT with a %d-byte address buffer", len);
    if (n == INVALID_SOCKET) return;
    if (n & 0x80000000u) fail("WSPAccept returned %#x: provider handles never have bit 31 set", n);
    make_nonblocking(n);
    int ovl = ri >= 0 ? recs[ri].ovl : 0;
    int ni = add_rec(K_SOCK, n, SOCK_STREAM, ovl, 0);
    if (ni < 0) { int e; WSPCloseSocket(n, &e); }
}

static void act_send(struct thr *t, int to) {
    CX;
    int ri;
    SOCKET s = pick_sock(t, &c, &ri);
    DWORD len;
    switch (rnd(t, 8)) {
    case 0: len = 0; break;
    case 1: len = 65536; break;
    case 2: len = 1 + rnd(t, 65536); break;
    default: len = 1 + rnd(t, 2000); break;
    }
    char *buf = t->data;
    int r = rnd(t, 100);
    if (r < 5) buf = NULL;
    else if (r < 8 && opt_lowptr) buf = low_ptr(t);
    if (buf != t->data && chance(t, 50)) len = chance(t, 50) ? 0xFFFFFFFFu : 0x80000000u;
    if (buf != t->data && len) c.fault = 1;
    int flags = 0;
    if (chance(t, 20)) { static const int fl[] = { MSG_OOB, MSG_DONTROUTE, MSG_PARTIAL, MSG_PEEK, MSG_INTERRUPT }; flags = fl[rnd(t, 5)]; }
    if (chance(t, 4)) { flags = (int)rnd32(t); c.hostile = 1; }
    DWORD sent = 0xDEADBEEF;
    LPDWORD psent = pick_ptr(t, &sent, &c, 0, 6);
    LPWSAOVERLAPPED ov; LPWSAOVERLAPPED_COMPLETION_ROUTINE routine; struct op *o;
    pick_overlapped(t, &c, ri, len, &ov, &routine, &o);
    if (psent == NULL && !ov) c.hostile = 1;
    int *ep = pick_errp(t, &err, &c);
    int rc;
    if (to) {
        int alen;
        char *tofree;
        const struct sockaddr *a = pick_addr(t, &c, &alen, 0, 0, &tofree);
        if (chance(t, 10)) a = NULL;     /* sendto without an address: connected datagram */
        rc = CALL("WSPSendTo", WSPSendTo(s, buf, len, psent, flags, (LPVOID)a, alen, ov, routine, ep));
        vlog("WSPSendTo(%#x, %p, %u, f=%#x, %p, %d, ov=%p, cr=%p) = %d err %d n=%u", s, (void *)buf, len, flags,
             (void *)a, alen, (void *)ov, (void *)(uintptr_t)routine, rc, err, sent);
        free(tofree);   /* the address is read by the call, also an overlapped one */
    } else {
        rc = CALL("WSPSend", WSPSend(s, buf, len, psent, flags, ov, routine, ep));
        vlog("WSPSend(%#x, %p, %u, f=%#x, ov=%p, cr=%p) = %d err %d n=%u", s, (void *)buf, len, flags,
             (void *)ov, (void *)(uintptr_t)routine, rc, err, sent);
    }
    after_overlapped(o, rc, err, ri >= 0 && recs[ri].ovl, c.noerr);
    check(to ? "WSPSendTo" : "WSPSend", rc == 0, rc != 0 && rc != SOCKET_ERROR, rc, err, &c);
    if (rc == 0 && psent == &sent && !ov && sent > len) fail("WSPSend reported %u bytes sent of %u", sent, len);
#ifdef FUZZ_UNIX
    /* AF_UNIX has no urgent data: MSG_OOB is WSAEOPNOTSUPP, never sent, never posted */
    if ((flags & MSG_OOB) && !c.uninit) {
        if (rc == 0) fail("%s with flags %#x (MSG_OOB) succeeded on AF_UNIX", to ? "WSPSendTo" : "WSPSend", flags);
        if (!c.noerr && err == WSA_IO_PENDING) fail("%s with flags %#x (MSG_OOB) was posted on AF_UNIX", to ? "WSPSendTo" : "WSPSend", flags);
    }
#endif
}

static void act_recv(struct thr *t, int from) {
    CX;
    int ri;
    SOCKET s = pick_sock(t, &c, &ri);
    DWORD len = chance(t, 10) ? 0 : 1 + rnd(t, 4096);
    LPWSAOVERLAPPED ov; LPWSAOVERLAPPED_COMPLETION_ROUTINE routine; struct op *o;
    pick_overlapped(t, &c, ri, len, &ov, &routine, &o);
    char *buf = malloc(len ? len : 1);   /* exact size; kept when overlapped */
    char *pbuf = buf;
    int r = rnd(t, 100);
    if (r < 5) pbuf = NULL;
    else if (r < 8 && opt_lowptr) pbuf = low_ptr(t);
    if (pbuf != buf && chance(t, 50)) len = chance(t, 50) ? 0xFFFFFFFFu : 0x7FFFFFFFu;
    if (pbuf != buf && len) c.fault = 1;
    if (o) o->len = pbuf == buf ? len : 0xFFFFFFFFu;
    DWORD got = 0xDEADBEEF;
    LPDWORD pgot = pick_ptr(t, &got, &c, 0, 6);
    int flags = 0;
    if (chance(t, 20)) { static const int fl[] = { MSG_OOB, MSG_PEEK, MSG_PARTIAL, MSG_DONTROUTE }; flags = fl[rnd(t, 4)]; }
    if (chance(t, 4)) { flags = (int)rnd32(t); c.hostile = 1; }
    int fl = flags;
    LPINT pflags = pick_ptr(t, &fl, &c, 1, 5);
    if (pgot == NULL && !ov) c.hostile = 1;
    int *ep = pick_errp(t, &err, &c);
    int rc;
    if (from) {
        int flen = chance(t, 70) ? FZ_ALEN : pick_len(t, FZ_ALEN);
        char *fbuf = out_buf(t, flen);
        int fl2 = flen;
        LPVOID pfrom = fbuf;
        LPINT pflen = &fl2;
        int r2 = rnd(t, 100);
        if (r2 < 10) { pfrom = NULL; pflen = NULL; }
        else if (r2 < 14) { pflen = NULL; c.hostile = 1; }
        else if (r2 < 17 && opt_lowptr) { pfrom = low_ptr(t); c.hostile = 1; }
        if (flen != FZ_ALEN) c.hostile = 1;
        if (ov) {   /* the from-address is written at completion: it must live */
            out_free(t, fbuf);
            fbuf = malloc(FZ_ALEN); pfrom = pfrom ? (void *)fbuf : NULL; pflen = malloc(sizeof(int)); *pflen = FZ_ALEN;
        }
        rc = CALL("WSPRecvFrom", WSPRecvFrom(s, pbuf, len, pgot, pflags, pfrom, pflen, ov, routine, ep));
        vlog("WSPRecvFrom(%#x, %p, %u, f=%#x, from=%p(%d), ov=%p, cr=%p) = %d err %d n=%u fromlen %d", s, (void *)pbuf, len, flags,
             pfrom, flen, (void *)ov, (void *)(uintptr_t)routine, rc, err, got, fl2);
        /* a datagram's sender, cut to the buffer (a stream's recvfrom writes none) */
        if (!ov && rc == 0 && ri >= 0 && !c.stale && recs[ri].type == SOCK_DGRAM && pfrom == fbuf && pflen == &fl2 && flen >= 2 && flen <= 4096)
            check_ret_addr("WSPRecvFrom", fbuf, flen, fl2, 1);
        if (!ov) out_free(t, fbuf);
    } else {
        rc = CALL("WSPRecv", WSPRecv(s, pbuf, len, pgot, pflags, ov, routine, ep));
        vlog("WSPRecv(%#x, %p, %u, f=%#x, ov=%p, cr=%p) = %d err %d n=%u", s, (void *)pbuf, len, flags,
             (void *)ov, (void *)(uintptr_t)routine, rc, err, got);
    }
    after_overlapped(o, rc, err, ri >= 0 && recs[ri].ovl, c.noerr);
    check(from ? "WSPRecvFrom" : "WSPRecv", rc == 0, rc != 0 && rc != SOCKET_ERROR, rc, err, &c);
    if (rc == 0 && pgot == &got && !ov && pbuf == buf && got > len) fail("WSPRecv reported %u bytes for a %u-byte buffer", got, len);
#ifdef FUZZ_UNIX
    if ((flags & MSG_OOB) && pflags == &fl && !c.uninit) {
        if (rc == 0) fail("%s with flags %#x (MSG_OOB) succeeded on AF_UNIX", from ? "WSPRecvFrom" : "WSPRecv", flags);
        if (!c.noerr && err == WSA_IO_PENDING) fail("%s with flags %#x (MSG_OOB) was posted on AF_UNIX", from ? "WSPRecvFrom" : "WSPRecv", flags);
    }
#endif
    if (!ov) free(buf);
}

static void act_names(struct thr *t) {
    CX;
    int ri;
    int peer = chance(t, 50);
    SOCKET s = pick_sock(t, &c, &ri);
    int len = chance(t, 60) ? FZ_ALEN : pick_len(t, FZ_ALEN);
    char *buf = out_buf(t, len);
    int l2 = len;
    struct sockaddr *name = pick_ptr(t, buf, &c, 1, 6);
    int *plen = pick_ptr(t, &l2, &c, 1, 6);
    if (len < FZ_ALEN) c.hostile = 1;
    int *ep = pick_errp(t, &err, &c);
    const char *nm = peer ? "WSPGetPeerName" : "WSPGetSockName";
    int rc = peer ? CALL(nm, WSPGetPeerName(s, name, plen, ep)) : CALL(nm, WSPGetSockName(s, name, plen, ep));
    vlog("%s(%#x, %p, %p(%d)) = %d err %d len %d", nm, s, (void *)name, (void *)plen, len, rc, err, l2);
    int mine = name == (struct sockaddr *)buf && plen == &l2 && len >= 0 && len <= 4096;
    if (rc == 0 && mine) check_ret_addr(nm, buf, len, l2, 0);
    out_free(t, buf);
    check(nm, rc == 0, rc != 0 && rc != SOCKET_ERROR, rc, err, &c);
    /* a buffer for the largest address is never too small */
    if (rc != 0 && mine && len >= FZ_ALEN && !c.noerr && !c.fault && err == WSAEFAULT)
        fail("%s failed with WSAEFAULT with a %d-byte buffer", nm, len);
}

static const int sol_opts[] = {
    SO_DEBUG, SO_ACCEPTCONN, SO_REUSEADDR, SO_KEEPALIVE, SO_DONTROUTE, SO_BROADCAST, SO_USELOOPBACK,
    SO_LINGER, SO_OOBINLINE, SO_DONTLINGER, SO_SNDBUF, SO_RCVBUF, SO_SNDLOWAT, SO_RCVLOWAT, SO_SNDTIMEO,
    SO_RCVTIMEO, SO_ERROR, SO_TYPE, SO_FLOWSPEC, SO_GROUP_FLOWSPEC, SO_GROUP_ID, SO_GROUP_PRIORITY,
    SO_MAX_DG_SIZE, SO_PROTOCOL_INFO, PVD_CALL_ID, PVD_CONFIG, TAPI_DEVICE_ID,
};
static int opt_natural(int level, int name) {
    if (level != SOL_SOCKET) return 4;
    switch (name) {
    case SO_LINGER: return (int)sizeof(struct linger);
    case SO_FLOWSPEC: case SO_GROUP_FLOWSPEC: return (int)sizeof(QOS);
    case SO_PROTOCOL_INFO: return (int)sizeof(PROTOCOL_INFO);
    default: return 4;
    }
}
static void pick_opt(struct thr *t, struct cx *c, int *level, int *name) {
    int r = rnd(t, 100);
    if (r < 70) { *level = SOL_SOCKET; *name = sol_opts[rnd(t, sizeof sol_opts / sizeof *sol_opts)]; }
    else if (r < 82) { *level = IPPROTO_TCP; *name = chance(t, 70) ? TCP_NODELAY : (chance(t, 50) ? TCP_MAXSEG : (int)rnd32(t)); }
    else if (r < 88) { *level = IPPROTO_IP; *name = chance(t, 50) ? IP_OPTIONS : (int)rnd(t, 40); }
    else if (r < 94) { *level = SOL_SOCKET; *name = (int)rnd32(t); c->hostile = 1; }
    else { *level = (int)rnd32(t); *name = (int)rnd(t, 0x2010); c->hostile = 1; }
}

#ifdef FUZZ_UNIX
/* AF_UNIX has SOL_SOCKET's options but SO_OOBINLINE, and at SOL_PROVIDER
 * (IPPROTO_TCP's number) PVD_CONFIG only: no TCP_NODELAY, no IP level. A
 * level it does not know is WSAEINVAL, a missing option WSAENOPROTOOPT,
 * whatever the other arguments (they are read after). */
static void check_unix_opt(const char *nm, int rc, int err, const struct cx *c, int ri, int level, int name) {
    int known_level = level == SOL_SOCKET || level == SOL_PROVIDER;
    int missing = !known_level || (level == SOL_SOCKET && name == SO_OOBINLINE) || (level == SOL_PROVIDER && name != PVD_CONFIG);
    /* (a NULL or low pointer is refused first, by the export thunk: RULINGS 4) */
    if (!missing || c->uninit || c->fault) return;
    if (rc == 0) fail("%s(level %#x, option %#x) succeeded on an AF_UNIX socket", nm, level, name);
    if (ri < 0 || c->stale || c->noerr || err == WSAENOTSOCK) return;
    int want = known_level ? WSAENOPROTOOPT : WSAEINVAL;
    if (err != want) fail("%s(level %#x, option %#x) on an AF_UNIX socket failed with %d, expected %d", nm, level, name, err, want);
}
#endif

static void act_getsockopt(struct thr *t) {
    CX;
    int ri, level, name;
    SOCKET s = pick_sock(t, &c, &ri);
    pick_opt(t, &c, &level, &name);
    int nat = opt_natural(level, name);
    int len = chance(t, 70) ? nat : pick_len(t, nat);
    if (len != nat) c.hostile = 1;
    char *buf = out_buf(t, len);
    int l2 = len;
    char *pv = pick_ptr(t, buf, &c, 1, 6);
    int *pl = pick_ptr(t, &l2, &c, 1, 6);
    int *ep = pick_errp(t, &err, &c);
    int rc = CALL("WSPGetSockOpt", WSPGetSockOpt(s, level, name, pv, pl, ep));
    int32_t v0 = 0;
    PROTOCOL_INFO pi;
    memset(&pi, 0, sizeof pi);
    if (rc == 0 && pv == buf && len >= 4 && len <= 4096) memcpy(&v0, buf, 4);
    if (rc == 0 && pv == buf && len >= (int)sizeof pi && len <= 4096) memcpy(&pi, buf, sizeof pi);
    vlog("WSPGetSockOpt(%#x, %#x, %#x, %p, %p(%d)) = %d err %d len %d", s, level, name, (void *)pv, (void *)pl, len, rc, err, l2);
    out_free(t, buf);
    check("WSPGetSockOpt", rc == 0, rc != 0 && rc != SOCKET_ERROR, rc, err, &c);
#ifdef FUZZ_UNIX
    check_unix_opt("WSPGetSockOpt", rc, err, &c, ri, level, name);
#endif
    if (rc == 0 && pl == &l2 && len >= 0 && len <= 4096 && l2 > len)
        fail("WSPGetSockOpt(%#x, %#x) set *optlen to %d, more than the %d given", level, name, l2, len);
    /* a socket's type never changes, and handles never alias */
    if (rc == 0 && ri >= 0 && level == SOL_SOCKET && name == SO_TYPE && pv == buf && len >= 4 && len <= 4096 && v0 != recs[ri].type)
        fail("WSPGetSockOpt(SO_TYPE) of a %s socket returned %d", recs[ri].type == SOCK_STREAM ? "stream" : "datagram", v0);
    /* the provider's own protocol: the family, its address sizes, the type */
    if (rc == 0 && ri >= 0 && level == SOL_SOCKET && name == SO_PROTOCOL_INFO && pv == buf && len >= (int)sizeof pi && len <= 4096
        && (pi.iAddressFamily != FZ_AF || pi.iMaxSockAddr != FZ_ALEN || pi.iMinSockAddr < 2 || pi.iMinSockAddr > FZ_ALEN
            || pi.iSocketType != recs[ri].type))
        fail("WSPGetSockOpt(SO_PROTOCOL_INFO) of a %s socket: family %d, addresses %d..%d, type %d", FZ_FAMILY_NAME,
             pi.iAddressFamily, pi.iMinSockAddr, pi.iMaxSockAddr, pi.iSocketType);
}

static void act_setsockopt(struct thr *t) {
    CX;
    int ri, level, name;
    SOCKET s = pick_sock(t, &c, &ri);
    pick_opt(t, &c, &level, &name);
    int nat = opt_natural(level, name);
    int len = chance(t, 75) ? nat : pick_len(t, nat);
    if (len != nat) c.hostile = 1;
    char *buf = (len >= 0 && len <= 4096) ? malloc(len ? (size_t)len : 1) : t->big;
    for (int i = 0; i < (len >= 0 && len <= 4096 ? len : 64); i++) buf[i] = (char)rnd32(t);
    if (len >= 4) {
        uint32_t v;
        switch (rnd(t, 5)) { case 0: v = 0; break; case 1: v = 1; break; case 2: v = 4096; break; case 3: v = rnd(t, 1 << 20); break; default: v = rnd32(t); }
        memcpy(buf, &v, 4);
        if (level == SOL_SOCKET && name == SO_LINGER) {   /* short lingers: never a long close */
            struct linger l = { (u_short)rnd(t, 2), (u_short)rnd(t, 2) };
            memcpy(buf, &l, sizeof l);
        }
    }
    const char *pv = pick_ptr(t, buf, &c, len > 0, 6);   /* a NULL optval of length 0: no fault */
    int *ep = pick_errp(t, &err, &c);
    int rc = CALL("WSPSetSockOpt", WSPSetSockOpt(s, level, name, pv, len, ep));
    vlog("WSPSetSockOpt(%#x, %#x, %#x, %p, %d) = %d err %d", s, level, name, (void *)pv, len, rc, err);
    if (buf != t->big) free(buf);
    check("WSPSetSockOpt", rc == 0, rc != 0 && rc != SOCKET_ERROR, rc, err, &c);
#ifdef FUZZ_UNIX
    check_unix_opt("WSPSetSockOpt", rc, err, &c, ri, level, name);
#endif
}

static void act_ioctl(struct thr *t) {
    CX;
    int ri;
    SOCKET s = pick_sock(t, &c, &ri);
    static const int32_t cmds[] = { (int32_t)FIONBIO, (int32_t)FIONREAD, (int32_t)SIOCATMARK, (int32_t)FIOASYNC,
                                    (int32_t)SIOCSHIWAT, (int32_t)SIOCGHIWAT, (int32_t)SIOCSLOWAT, (int32_t)SIOCGLOWAT, 0 };
    int32_t cmd = chance(t, 90) ? cmds[rnd(t, 9)] : (int32_t)rnd32(t);
    if (cmd == (int32_t)FIONBIO && chance(t, 1)) cmd = (int32_t)FIONREAD;
    u_long arg = 1 + rnd(t, 1000);     /* FIONBIO: never 0 (every socket of the fuzzer stays non-blocking) */
    u_long *pa = pick_ptr(t, &arg, &c, 1, 8);
    if (cmd == 0 || (cmd != (int32_t)FIONBIO && cmd != (int32_t)FIONREAD && cmd != (int32_t)SIOCATMARK)) c.fault = 0, c.hostile = 1;
    int *ep = pick_errp(t, &err, &c);
    int rc = CALL("WSPIoctlSocket", WSPIoctlSocket(s, cmd, pa, ep));
    vlog("WSPIoctlSocket(%#x, %#x, %p) = %d err %d arg %u", s, (unsigned)cmd, (void *)pa, rc, err, arg);
    check("WSPIoctlSocket", rc == 0, rc != 0 && rc != SOCKET_ERROR, rc, err, &c);
    if (rc == 0 && (cmd == (int32_t)FIOASYNC)) fail("WSPIoctlSocket(FIOASYNC) succeeded (RULINGS 10: WSAEINVAL)");
#ifdef FUZZ_UNIX
    /* no urgent data: always at the mark */
    if (rc == 0 && cmd == (int32_t)SIOCATMARK && pa == &arg && arg != 1) fail("WSPIoctlSocket(SIOCATMARK) on AF_UNIX returned %lu, expected TRUE", (unsigned long)arg);
#endif
}

static void act_shutdown(struct thr *t) {
    CX;
    SOCKET s = pick_sock(t, &c, NULL);
    static const int hows[] = { SD_RECEIVE, SD_SEND, SD_BOTH, -1, 3, 0x7FFFFFFF };
    int how = hows[rnd(t, chance(t, 80) ? 3 : 6)];
    if (how < 0 || how > 2) c.hostile = 1;
    int *ep = pick_errp(t, &err, &c);
    int rc = CALL("WSPShutdown", WSPShutdown(s, how, ep));
    vlog("WSPShutdown(%#x, %d) = %d err %d", s, how, rc, err);
    check("WSPShutdown", rc == 0, rc != 0 && rc != SOCKET_ERROR, rc, err, &c);
}

/* A select set: u_short fd_count, then the SOCKETs at offset 4 (the layout of
 * WS_fd_set for any FD_SETSIZE), allocated at its exact size. */
static WS_fd_set *make_set(struct thr *t, struct cx *c, int *count) {
    int n;
    int r = rnd(t, 100);
    int clean = chance(t, 50);   /* only live sockets of the fuzzer: the select really waits */
    if (r < 10) n = 0;
    else if (r < 75) n = 1 + (int)rnd(t, 8);
    else if (r < 92) n = 9 + (int)rnd(t, 120);
    else n = 500 + (int)rnd(t, 4500);
    char *p = malloc(4 + 4 * (size_t)(n ? n : 1));
    u_short cnt = (u_short)n;
    memcpy(p, &cnt, 2);
    memset(p + 2, 0, 2);
    SOCKET first = 0;
    for (int i = 0; i < n; i++) {
        SOCKET s;
        if (i > 0 && chance(t, n > 100 ? 60 : 15)) s = first;   /* duplicates */
        else if (clean) { int ri = pick_rec(t, K_SOCK, 0, 0); s = ri >= 0 ? (SOCKET)recs[ri].h : pick_sock(t, c, NULL); }
        else s = pick_sock(t, c, NULL);
        if (i == 0) first = s;
        memcpy(p + 4 + 4 * (size_t)i, &s, 4);
    }
    *count = n;
    return (WS_fd_set *)(void *)p;
}
static u_short set_count(WS_fd_set *s) { u_short n; memcpy(&n, s, 2); return n; }

static void act_select(struct thr *t) {
    CX;
    int nr = 0, nw = 0, ne = 0;
    WS_fd_set *r = NULL, *w = NULL, *e = NULL;
    if (chance(t, 70)) r = make_set(t, &c, &nr);
    if (chance(t, 50)) {
        if (r && chance(t, 25)) { w = r; nw = nr; } else w = make_set(t, &c, &nw);
    }
    if (chance(t, 40)) {
        if (r && chance(t, 20)) { e = r; ne = nr; } else e = make_set(t, &c, &ne);
    }
    if (!r && !w && !e) c.hostile = 1;   /* nothing to wait for: any error */
    WS_fd_set *pr = r, *pw = w, *pe = e;
    if (opt_lowptr && chance(t, 4)) { pr = (WS_fd_set *)low_ptr(t); c.hostile = 1; }
    if (opt_lowptr && chance(t, 2)) { pw = (WS_fd_set *)low_ptr(t); c.hostile = 1; }
    if (nr + nw + ne > 0) c.hostile |= 0;
    struct timeval tv = { 0, (int32_t)rnd(t, 20000) };
    if (chance(t, 20)) tv.tv_usec = 0;
    const struct timeval *ptv = &tv;
    if (c.stale && chance(t, 30)) {   /* a stale handle ends it at once: hostile timeouts are safe here */
        static const struct timeval odd[] = { { -1, 0 }, { 0, -1 }, { INT32_MIN, INT32_MIN } };
        ptv = &odd[rnd(t, 3)];
        if (opt_lowptr && chance(t, 30)) ptv = (const struct timeval *)low_ptr(t);
        c.hostile = 1;
    }
    int nfds = chance(t, 80) ? 0 : (int)rnd32(t);
    int *ep = pick_errp(t, &err, &c);
    double bound = opt_call_ms + 20.0;
    SOCKET *rin = NULL;
    if (r && nr) { rin = malloc(4 * (size_t)nr); memcpy(rin, (char *)r + 4, 4 * (size_t)nr); }
    int rc = CALLB("WSPSelect", bound, WSPSelect(nfds, pr, pw, pe, ptv, ep));
    vlog("WSPSelect(%d, r=%p[%d], w=%p[%d]%s, e=%p[%d]%s, tv=%p) = %d err %d", nfds, (void *)pr, nr, (void *)pw, nw,
         w && w == r ? " (same)" : "", (void *)pe, ne, e && e == r ? " (same)" : "", (const void *)ptv, rc, err);
    check("WSPSelect", rc >= 0, rc < SOCKET_ERROR, rc, err, &c);
    if (rc > nr + nw + ne) fail("WSPSelect returned %d for %d entries in all", rc, nr + nw + ne);
    if (rc >= 0) {
        if (r && set_count(r) > nr) fail("WSPSelect grew readfds from %d to %d", nr, set_count(r));
        if (w && w != r && set_count(w) > nw) fail("WSPSelect grew writefds from %d to %d", nw, set_count(w));
        if (r && pr == r && w != r && e != r && rc >= 0) {
            int outn = set_count(r);
            for (int i = 0; i < outn && i < nr; i++) {
                SOCKET x;
                memcpy(&x, (char *)r + 4 + 4 * (size_t)i, 4);
                int in = 0;
                for (int j = 0; j < nr && !in; j++) if (rin[j] == x) in = 1;
                if (!in) fail("WSPSelect returned %#x in readfds, which was not in it", x);
                for (int j = 0; j < i; j++) {
                    SOCKET y;
                    memcpy(&y, (char *)r + 4 + 4 * (size_t)j, 4);
                    if (y == x) fail("WSPSelect returned %#x twice in readfds (RULINGS 9: kept once)", x);
                }
            }
        }
    }
    free(rin);
    free(r);
    if (w != r) free(w);
    if (e != r && e != w) free(e);
}

static void act_fdisset(struct thr *t) {
    struct cx c = {0};
    int n;
    WS_fd_set *s = make_set(t, &c, &n);
    SOCKET x = pick_sock(t, &c, NULL);
    WS_fd_set *p = s;
    if (chance(t, 10)) p = NULL;
    else if (opt_lowptr && chance(t, 10)) p = (WS_fd_set *)low_ptr(t);
    int rc = CALL("__WSAFDIsSet", __WSAFDIsSet(x, p));
    vlog("__WSAFDIsSet(%#x, %p[%d]) = %d", x, (void *)p, n, rc);
    if (p == s) {
        int in = 0;
        for (int i = 0; i < n; i++) { SOCKET y; memcpy(&y, (char *)s + 4 + 4 * (size_t)i, 4); if (y == x) in = 1; }
        if (!!rc != in) fail("__WSAFDIsSet returned %d, the socket is %sin the set", rc, in ? "" : "not ");
    }
    free(s);
}

static void act_eventselect(struct thr *t) {
    CX;
    SOCKET s = pick_sock(t, &c, NULL);
    WSAEVENT ev = pick_event(t, &c);
    int32_t mask = chance(t, 80) ? (int32_t)rnd(t, 0x100) : (int32_t)rnd32(t);
    int *ep = pick_errp(t, &err, &c);
    int rc = CALL("WSPEventSelect", WSPEventSelect(s, ev, mask, ep));
    vlog("WSPEventSelect(%#x, %p, %#x) = %d err %d", s, ev, mask, rc, err);
    if (ev == NULL || mask & ~0xFF) c.hostile = 1;
    check("WSPEventSelect", rc == 0, rc != 0 && rc != SOCKET_ERROR, rc, err, &c);
}

static void act_enumevents(struct thr *t) {
    CX;
    SOCKET s = pick_sock(t, &c, NULL);
    WSAEVENT ev = chance(t, 30) ? NULL : pick_event(t, &c);
    int cnt = chance(t, 60) ? FD_MAX_EVENTS : pick_len(t, FD_MAX_EVENTS);
    int in = cnt;
    WSANETWORKEVENT *arr = malloc(sizeof(WSANETWORKEVENT) * FD_MAX_EVENTS);
    memset(arr, 0x5A, sizeof(WSANETWORKEVENT) * FD_MAX_EVENTS);
    /* at most 8 elements are ever filled: a larger count needs no more room */
    LPWSANETWORKEVENT pa = pick_ptr(t, arr, &c, 1, 6);
    LPINT pc = pick_ptr(t, &cnt, &c, 1, 6);
    int *ep = pick_errp(t, &err, &c);
    if (in < 0) c.hostile = 1;
    int rc = CALL("WSPEnumNetworkEvents", WSPEnumNetworkEvents(s, ev, pa, pc, ep));
    vlog("WSPEnumNetworkEvents(%#x, %p, %p, %p(%d)) = %d err %d count %d", s, ev, (void *)pa, (void *)pc, in, rc, err, cnt);
    check("WSPEnumNetworkEvents", rc == 0, rc != 0 && rc != SOCKET_ERROR, rc, err, &c);
    /* RULINGS 7: too small a count is WSAENOBUFS with the count needed */
    if (rc != 0 && !c.noerr && err == WSAENOBUFS && pc == &cnt && (cnt <= in || cnt < 1 || cnt > FD_MAX_EVENTS))
        fail("WSPEnumNetworkEvents failed with WSAENOBUFS and set *lpiCount to %d (given %d)", cnt, in);
    if (rc == 0 && pc == &cnt) {
        if (cnt < 0 || cnt > FD_MAX_EVENTS || (in >= 0 && cnt > in))
            fail("WSPEnumNetworkEvents set *lpiCount to %d (given %d)", cnt, in);
        for (int i = cnt; i < FD_MAX_EVENTS && pa == arr; i++)
            if (arr[i].Fired != 0x5A5A5A5A) fail("WSPEnumNetworkEvents wrote element %d beyond *lpiCount %d", i, cnt);
        for (int i = 0; i < cnt && pa == arr; i++) {
            if (arr[i].Fired != 0 && arr[i].Fired != 1) fail("WSPEnumNetworkEvents: element %d Fired = %d", i, arr[i].Fired);
            if (arr[i].ErrorCode != 0 && !is_wsa_code(arr[i].ErrorCode)) fail("WSPEnumNetworkEvents: element %d ErrorCode = %d", i, arr[i].ErrorCode);
        }
    }
    free(arr);
}

static void act_asyncselect(struct thr *t) {
    CX;
    SOCKET s = pick_sock(t, &c, NULL);
    HWND w = pick_window(t);
    unsigned msg = chance(t, 80) ? 0x400 + rnd(t, 100) : rnd32(t);
    int32_t mask = chance(t, 80) ? (int32_t)rnd(t, 0x100) : (int32_t)rnd32(t);
    if (mask & ~0xFF) c.hostile = 1;
    int *ep = pick_errp(t, &err, &c);
    int rc = CALL("WSPAsyncSelect32", WSPAsyncSelect32(s, w, msg, mask, ep));
    vlog("WSPAsyncSelect32(%#x, %p, %#x, %#x) = %d err %d", s, (void *)w, msg, mask, rc, err);
    c.hostile = 1;   /* a dead window: WSAEINVAL or WSAENOTSOCK first */
    check("WSPAsyncSelect32", rc == 0, rc != 0 && rc != SOCKET_ERROR, rc, err, &c);
}

static void act_callbackselect(struct thr *t) {
    CX;
    SOCKET s = pick_sock(t, &c, NULL);
    LPSELECTPROC cb = select_cb;
    if (chance(t, 10)) { cb = NULL; c.hostile = 1; }
    else if (opt_lowptr && chance(t, 4)) { cb = (LPSELECTPROC)low_ptr(t); c.hostile = 1; }
    int32_t mask = chance(t, 85) ? (int32_t)rnd(t, 0x100) : (int32_t)rnd32(t);
    if (mask & ~0xFF) c.hostile = 1;
    int *ep = pick_errp(t, &err, &c);
    int rc = CALL("WSPCallbackSelect16", WSPCallbackSelect16(s, cb, 0xCA11BAC, mask, ep));
    vlog("WSPCallbackSelect16(%#x, %p, %#x) = %d err %d", s, (void *)(uintptr_t)cb, mask, rc, err);
    check("WSPCallbackSelect16", rc == 0, rc != 0 && rc != SOCKET_ERROR, rc, err, &c);
}

static void host_check(const char *name, int ok) {
    if (ok) return;
    int e = WSAGetLastError();
    if (!is_host_code(e)) fail("%s failed and WSAGetLastError() is %d: not a Winsock code", name, e);
}

static void act_events(struct thr *t) {
    struct cx c = {0};
    switch (rnd(t, 6)) {
    case 0: {
        pthread_mutex_lock(&tmu);
        int n = 0;
        for (int i = 0; i < nrec; i++) if (recs[i].kind == K_EVENT && !recs[i].closed) n++;
        pthread_mutex_unlock(&tmu);
        if (n >= 24) return;
        WSAEVENT e = CALL("WSACreateEvent", WSACreateEvent());
        vlog("WSACreateEvent() = %p", e);
        host_check("WSACreateEvent", e != NULL);
        if (e) add_rec(K_EVENT, (uintptr_t)e, 0, 0, 0);
        break;
    }
    case 1: {
        int i = pick_rec(t, K_EVENT, 0, 1);
        if (i < 0) return;
        BOOL ok = CALL("WSACloseEvent", WSACloseEvent((WSAEVENT)recs[i].h));
        vlog("WSACloseEvent(%p) = %d", (void *)recs[i].h, ok);
        if (!ok) fail("WSACloseEvent of a live event failed: %d", WSAGetLastError());
        mark_closed(i);
        break;
    }
    case 2: case 3: {
        WSAEVENT e = pick_event(t, &c);
        int set = chance(t, 50);
        BOOL ok = set ? CALL("WSASetEvent", WSASetEvent(e)) : CALL("WSAResetEvent", WSAResetEvent(e));
        vlog("%s(%p) = %d", set ? "WSASetEvent" : "WSAResetEvent", e, ok);
        host_check(set ? "WSASetEvent" : "WSAResetEvent", ok);
        break;
    }
    default: {
        DWORD n;
        switch (rnd(t, 6)) { case 0: n = 0; break; case 1: n = 65; break; case 2: n = 64; break; case 3: n = 0x80000000u; break; default: n = 1 + rnd(t, 6); }
        WSAEVENT arr[64];
        for (int i = 0; i < 64; i++) arr[i] = pick_event(t, &c);
        const WSAEVENT *pa = arr;
        if (n > 64) pa = chance(t, 50) ? NULL : arr;  /* more than 64: must fail before reading */
        if (chance(t, 4)) pa = NULL;
        if (opt_lowptr && chance(t, 4)) pa = (const WSAEVENT *)low_ptr(t);
        BOOL all = chance(t, 30);
        DWORD tmo = chance(t, 50) ? 0 : rnd(t, 5);
        BOOL alert = chance(t, 50);
        DWORD rc = CALLB("WSAWaitForMultipleEvents", opt_call_ms + tmo, WSAWaitForMultipleEvents(n, pa, all, tmo, alert));
        vlog("WSAWaitForMultipleEvents(%u, %p, %d, %u, %d) = %#x", n, (const void *)pa, all, tmo, alert, rc);
        if (rc == WSA_WAIT_FAILED) host_check("WSAWaitForMultipleEvents", 0);
        else if (!(rc < n || rc == WSA_WAIT_TIMEOUT || rc == WSA_WAIT_IO_COMPLETION))
            fail("WSAWaitForMultipleEvents(%u) returned %#x", n, rc);
        else if (rc < n && (pa == NULL || (uintptr_t)pa < 65536)) fail("WSAWaitForMultipleEvents with lphEvents %p returned %u", (const void *)pa, rc);
    }
    }
}

static void act_windows(struct thr *t) {
    switch (rnd(t, 5)) {
    case 0: {
        pthread_mutex_lock(&tmu);
        int n = 0;
        for (int i = 0; i < nrec; i++) if (recs[i].kind == K_WIN && !recs[i].closed) n++;
        pthread_mutex_unlock(&tmu);
        if (n >= 6) return;
        HWND w = CALL("WS2CreateMessageWindow", WS2CreateMessageWindow());
        vlog("WS2CreateMessageWindow() = %p", (void *)w);
        host_check("WS2CreateMessageWindow", w != NULL);
        if (w) add_rec(K_WIN, (uintptr_t)w, 0, 0, 0);
        break;
    }
    case 1: {
        int i = pick_rec(t, K_WIN, 0, 1);
        if (i < 0) return;
        BOOL ok = CALL("WS2DestroyMessageWindow", WS2DestroyMessageWindow((HWND)recs[i].h));
        vlog("WS2DestroyMessageWindow(%p) = %d", (void *)recs[i].h, ok);
        if (!ok) fail("WS2DestroyMessageWindow of a live window failed: %d", WSAGetLastError());
        mark_closed(i);
        break;
    }
    default: {
        HWND w = pick_window(t);
        WS2MSG m;
        memset(&m, 0, sizeof m);
        WS2MSG *pm = &m;
        if (chance(t, 5)) pm = NULL;
        else if (opt_lowptr && chance(t, 4)) pm = (WS2MSG *)low_ptr(t);
        DWORD tmo = chance(t, 60) ? 0 : rnd(t, 4);
        BOOL ok = CALLB("WS2GetMessage", opt_call_ms + tmo, WS2GetMessage(pm, w, tmo));
        vlog("WS2GetMessage(%p, %p, %u) = %d msg %#x wParam %#lx lParam %#lx", (void *)pm, (void *)w, tmo, ok, m.message,
             (unsigned long)m.wParam, (unsigned long)m.lParam);
        if (ok && pm != &m) fail("WS2GetMessage succeeded with msg %p", (void *)pm);
        if (ok) {
            if (m.hwnd != w) fail("WS2GetMessage: msg.hwnd %p, the window is %p", (void *)m.hwnd, (void *)w);
            int ev = WSAGETSELECTEVENT(m.lParam), er = WSAGETSELECTERROR(m.lParam);
            if (ev == 0 || (ev & (ev - 1)) || ev > 0x80) fail("WS2GetMessage: lParam %#lx names event %#x", (unsigned long)m.lParam, ev);
            if (er && !is_wsa_code(er)) fail("WS2GetMessage: lParam %#lx carries error %d", (unsigned long)m.lParam, er);
            int known = 0;
            pthread_mutex_lock(&tmu);
            for (int i = 0; i < nrec && !known; i++) if (recs[i].kind == K_SOCK && recs[i].h == m.wParam) known = 1;
            pthread_mutex_unlock(&tmu);
            if (!known) fail("WS2GetMessage: wParam %#lx is no socket the fuzzer ever had", (unsigned long)m.wParam);
        } else host_check("WS2GetMessage", 0);
    }
    }
}

static void act_sleep(struct thr *t) {
    DWORD ms = rnd(t, 3);
    BOOL alert = chance(t, 80);
    DWORD rc = CALLB("SleepEx", opt_call_ms + ms, SleepEx(ms, alert));
    vlog("SleepEx(%u, %d) = %#x", ms, alert, rc);
    if (rc != 0 && rc != WAIT_IO_COMPLETION) fail("SleepEx returned %#x", rc);
    if (rc == WAIT_IO_COMPLETION && !alert) fail("SleepEx(FALSE) returned WAIT_IO_COMPLETION");
}

static void act_ovresult(struct thr *t) {
    struct op *o = NULL;
    uint32_t x = rnd32(t);
    int own = chance(t, 80), waitp = chance(t, 50);
    pthread_mutex_lock(&opmu);
    if (nops) o = ops[x % (uint32_t)nops];
    pthread_mutex_unlock(&opmu);
    struct cx c = {0};
    SOCKET s = pick_sock(t, &c, NULL);
    if (o && o->rec >= 0 && own) s = (SOCKET)recs[o->rec].h;
    static WSAOVERLAPPED fake;   /* zeroed, never posted */
    LPWSAOVERLAPPED ov = o ? &o->ov : &fake;
    int r = rnd(t, 100);
    if (r < 8) ov = &fake;
    else if (r < 13) ov = NULL;
    else if (r < 17 && opt_lowptr) ov = (LPWSAOVERLAPPED)low_ptr(t);
    DWORD n = 0xDEADBEEF, flags = 0xDEADBEEF;
    LPDWORD pn = pick_ptr(t, &n, &c, 1, 5), pf = pick_ptr(t, &flags, &c, 1, 5);
    /* wait only for what has completed (a posted receive may never be satisfied) */
    BOOL wait = o && ov == &o->ov && atomic_load((_Atomic DWORD *)&o->ov.Internal) != WSA_IO_PENDING && waitp
                && o->posted;
    BOOL ok = CALL("WSAGetOverlappedResult", WSAGetOverlappedResult(s, ov, pn, wait, pf));
    vlog("WSAGetOverlappedResult(%#x, %p, %p, %d, %p) = %d n %u err %d", s, (void *)ov, (void *)pn, wait, (void *)pf, ok,
         n, ok ? 0 : WSAGetLastError());
    if (ok && (ov == NULL || (uintptr_t)ov < 65536)) fail("WSAGetOverlappedResult succeeded with lpOverlapped %p", (void *)ov);
    if (ok && (pn == NULL || (uintptr_t)pn < 65536)) fail("WSAGetOverlappedResult succeeded with lpcbTransfer %p", (void *)pn);
    if (ok && o && ov == &o->ov && o->posted && pn == &n && n > o->len)
        fail("WSAGetOverlappedResult reported %u bytes for a %u-byte operation", n, o->len);
    /* an operation that was never posted (its call failed at once) holds the
     * caller's garbage: any result */
    if (!ok && (ov == &fake || (o && ov == &o->ov && o->posted))) host_check("WSAGetOverlappedResult", 0);
}

static int cur_startups;                /* WSPStartup successes not yet cleaned up */
static pthread_mutex_t sumu = PTHREAD_MUTEX_INITIALIZER;

static void check_startup(WORD req, WSADATA *d, int rc, WSADATA *pd) {
    int major = LOBYTE(req), minor = HIBYTE(req);
    int too_low = major < 1 || (major == 1 && minor < 1);
    int bad_ptr = pd == NULL || (uintptr_t)pd < 65536;
    if (rc == 0) {
        if (too_low) fail("WSPStartup(%#06x) succeeded: below 1.1 is WSAVERNOTSUPPORTED", req);
        if (bad_ptr) fail("WSPStartup with lpWSAData %p succeeded (RULINGS 3: WSAEFAULT)", (void *)pd);
        int hi = major > 2 || (major == 2 && minor > 0);
        WORD want = hi ? MAKEWORD(2, 0) : req;
        if (d->wVersion != want || d->wHighVersion != MAKEWORD(2, 0))
            fail("WSPStartup(%#06x): wVersion %#06x wHighVersion %#06x, expected %#06x and 0x0002", req, d->wVersion,
                 d->wHighVersion, want);
        if (d->iMaxUdpDg != 512) fail("WSPStartup: iMaxUdpDg %u, expected 512", d->iMaxUdpDg);
        if (!d->szDescription[0]) fail("WSPStartup: empty szDescription");
        return;
    }
    if (rc == WSAVERNOTSUPPORTED && too_low) return;
    if (rc == WSAEFAULT && bad_ptr) return;
    fail("WSPStartup(%#06x, %p) returned %d", req, (void *)pd, rc);
}

static void act_startup(struct thr *t) {
    struct cx c = {0};
    if (chance(t, 50) && t->extra_startups > 0) {
        int e = SENT;
        LPCLEANUPPROC cb = chance(t, 30) ? cleanup_cb : NULL;
        int rc = CALL("WSPCleanup", WSPCleanup(cb, 0xC1EA, &e));
        vlog("WSPCleanup(%p) = %d err %d", (void *)(uintptr_t)cb, rc, e);
        if (rc != 0) fail("WSPCleanup of this thread's own extra start-up failed: %d", e);
        t->extra_startups--;
        pthread_mutex_lock(&sumu); cur_startups--; pthread_mutex_unlock(&sumu);
        return;
    }
    static const WORD vers[] = { 0x0002, 0x0002, 0x0101, 0x0201, 0x0202, 0x0003, 0x0000, 0x0001, 0x0100, 0xFFFF, 0x0102 };
    WORD v = vers[rnd(t, sizeof vers / sizeof *vers)];
    WSADATA d;
    memset(&d, 0xEE, sizeof d);
    WSADATA *pd = pick_ptr(t, &d, &c, 1, 8);
    if (t->extra_startups >= 3) { v = 0x0000; }   /* bounded nesting: only failures */
    int rc = CALL("WSPStartup", WSPStartup(v, pd));
    vlog("WSPStartup(%#06x, %p) = %d", v, (void *)pd, rc);
    if (rc == 0) { t->extra_startups++; pthread_mutex_lock(&sumu); cur_startups++; pthread_mutex_unlock(&sumu); }
    check_startup(v, &d, rc, pd);
}

static void act_hooks(struct thr *t) {
    CX;
    switch (rnd(t, 4)) {
    case 0: {
        LPBLOCKINGPROC h = hook_fn;
        if (chance(t, 10)) { h = NULL; c.fault = 1; }
        else if (opt_lowptr && chance(t, 5)) { h = (LPBLOCKINGPROC)low_ptr(t); c.fault = 1; }
        int *ep = pick_errp(t, &err, &c);
        LPBLOCKINGPROC prev = CALL("WSPSetBlockingHook32", WSPSetBlockingHook32(h, ep));
        vlog("WSPSetBlockingHook32(%p) = %p err %d", (void *)(uintptr_t)h, (void *)(uintptr_t)prev, err);
        if (c.uninit || c.fault) {
            if (prev != NULL) fail("WSPSetBlockingHook32(%p) returned %p%s", (void *)(uintptr_t)h, (void *)(uintptr_t)prev,
                                   c.uninit ? " with no start-up" : "");
            if (!c.noerr && err != (c.uninit ? WSANOTINITIALISED : WSAEFAULT))
                fail("WSPSetBlockingHook32(%p) failed with %d", (void *)(uintptr_t)h, err);
        } else {
            if (prev != NULL && prev != hook_fn) fail("WSPSetBlockingHook32 returned %p: not a hook of this thread", (void *)(uintptr_t)prev);
            if (prev == NULL && t->hook) fail("WSPSetBlockingHook32 returned NULL, but the thread had a hook");
            t->hook = 1;
        }
        break;
    }
    case 1: {
        int *ep = pick_errp(t, &err, &c);
        int rc = CALL("WSPUnhookBlockingHook32", WSPUnhookBlockingHook32(ep));
        vlog("WSPUnhookBlockingHook32() = %d err %d", rc, err);
        check("WSPUnhookBlockingHook32", rc == 0, rc != 0 && rc != SOCKET_ERROR, rc, err, &c);
        if (rc == 0) t->hook = 0;
        break;
    }
    case 2: {
        BOOL b = CALL("WSPIsBlocking32", WSPIsBlocking32());
        vlog("WSPIsBlocking32() = %d", b);
        if (b) fail("WSPIsBlocking32() is TRUE outside any blocking call");
        break;
    }
    default: {
        int *ep = pick_errp(t, &err, &c);
        int rc = CALL("WSPCancelBlockingCall32", WSPCancelBlockingCall32(ep));
        vlog("WSPCancelBlockingCall32() = %d err %d", rc, err);
        if (rc == 0) fail("WSPCancelBlockingCall32 succeeded with no blocking call in progress");
        check("WSPCancelBlockingCall32", 0, rc != SOCKET_ERROR, rc, err, &c);
        if (!c.uninit && !c.noerr && err != WSAEINVAL) fail("WSPCancelBlockingCall32 with no blocking call failed with %d, expected WSAEINVAL", err);
    }
    }
}

static DWORD tids[64];
static atomic_int tid_live[64];
static void act_upcalls(struct thr *t) {
    struct cx c = {0};
    int err = SENT;
    switch (rnd(t, 5)) {
    case 0: {
        pthread_mutex_lock(&tmu);
        int n = 0;
        for (int i = 0; i < nrec; i++) if (recs[i].kind == K_UPCALL && !recs[i].closed) n++;
        pthread_mutex_unlock(&tmu);
        if (n >= 16) return;
        int *ep = pick_errp(t, &err, &c);
        SOCKET s = CALL("WPUXxxCreateSocketHandle", WPUXxxCreateSocketHandle(rnd32(t), (void *)(uintptr_t)0xC0FFEE, ep));
        vlog("WPUXxxCreateSocketHandle() = %#x err %d", s, err);
        check("WPUXxxCreateSocketHandle", s != INVALID_SOCKET, 0, s, err, &c);
        if (s != INVALID_SOCKET) {
            if (!(s & 0x80000000u)) fail("WPUXxxCreateSocketHandle returned %#x: upcall handles have bit 31 set", s);
            add_rec(K_UPCALL, s, 0, 0, 0);
        }
        break;
    }
    case 1: {
        int i = pick_rec(t, K_UPCALL, 0, 1);
        if (i < 0) return;
        int rc = CALL("WPUXxxCloseSocketHandle", WPUXxxCloseSocketHandle((SOCKET)recs[i].h, &err));
        vlog("WPUXxxCloseSocketHandle(%#lx) = %d err %d", (unsigned long)recs[i].h, rc, err);
        if (rc != 0) fail("WPUXxxCloseSocketHandle of a live handle failed: %d", err);
        mark_closed(i);
        break;
    }
    case 2: {
        int ri;
        SOCKET s;
        int k = rnd(t, 3);
        if (k == 0 && (ri = pick_rec(t, K_UPCALL, 0, 0)) >= 0) s = (SOCKET)recs[ri].h;
        else { s = pick_sock(t, &c, NULL); c.stale = 1; c.hostile = 1; }
        void *ctx = NULL;
        void **pctx = pick_ptr(t, &ctx, &c, 1, 10);
        int *ep = pick_errp(t, &err, &c);
        int rc = CALL("WPUXxxQuerySocketHandleContext", WPUXxxQuerySocketHandleContext(s, pctx, ep));
        vlog("WPUXxxQuerySocketHandleContext(%#x, %p) = %d err %d ctx %p", s, (void *)pctx, rc, err, ctx);
        if (rc == 0 && (pctx == NULL || (uintptr_t)pctx < 65536)) fail("WPUXxxQuerySocketHandleContext succeeded with lpContext %p", (void *)pctx);
        if (rc != 0 && rc != SOCKET_ERROR) fail("WPUXxxQuerySocketHandleContext returned %d", rc);
        if (rc != 0 && !c.noerr && !is_wsa_code(err)) fail("WPUXxxQuerySocketHandleContext failed with %d", err);
        break;
    }
    case 3: {
        int ti = (int)rnd(t, 8);
        DWORD id = ti < 4 ? tids[ti] : (ti == 4 ? rnd32(t) : (ti == 5 ? 0 : WPUXxxGetCurrentThreadId32()));
        LPWSAUSERAPC fn = apc_fn;
        if (chance(t, 5)) fn = NULL;
        int *ep = pick_errp(t, &err, &c);
        int rc = CALL("WPUXxxQueueUserAPC32", WPUXxxQueueUserAPC32(id, fn, 0xA9C, ep));
        vlog("WPUXxxQueueUserAPC32(%u, %p) = %d err %d", id, (void *)(uintptr_t)fn, rc, err);
        if (rc != 0 && rc != SOCKET_ERROR) fail("WPUXxxQueueUserAPC32 returned %d", rc);
        if (rc == 0 && fn == NULL) fail("WPUXxxQueueUserAPC32 accepted a NULL routine");
        if (rc != 0 && !c.noerr && !is_wsa_code(err)) fail("WPUXxxQueueUserAPC32 failed with %d", err);
        break;
    }
    default: {
        DWORD id = CALL("WPUXxxGetCurrentThreadId32", WPUXxxGetCurrentThreadId32());
        if (id != t->tid) fail("WPUXxxGetCurrentThreadId32 returned %u, then %u", t->tid, id);
    }
    }
}

static void act_enumprotocols(struct thr *t) {
    DWORD len = chance(t, 50) ? 0 : rnd(t, 2000);
    char *buf = len ? malloc(len) : NULL;
    DWORD l2 = len;
    LPDWORD pl = chance(t, 10) ? NULL : &l2;
    int protos[3] = { IPPROTO_TCP, (int)rnd32(t), 0 };
    int rc = CALL("WSAEnumProtocols", WSAEnumProtocols(chance(t, 50) ? protos : NULL, (PROTOCOL_INFO *)buf, pl));
    vlog("WSAEnumProtocols(%p, %u) = %d", (void *)buf, len, rc);
    if (rc == SOCKET_ERROR) host_check("WSAEnumProtocols", 0);
    else if (rc < 0) fail("WSAEnumProtocols returned %d", rc);
    free(buf);
}

/* A connected stream pair (and its listener) or two datagram sockets
 * connected to each other (AF_INET: over loopback; AF_UNIX: over fresh
 * names), all published: data flows, events fire, overlapped operations
 * complete. Every call here must succeed. */
static SOCKET pair_socket(int type, int ovl) {
    int e = SENT;
    SOCKET s = CALL("WSPSocket", WSPSocket(FZ_AF, type, 0, 0, ovl ? WSA_FLAG_OVERLAPPED : 0, &e));
    if (s == INVALID_SOCKET) fail("WSPSocket(%s, %d) for a pair failed: %d", FZ_FAMILY_NAME, type, e);
    make_nonblocking(s);
    return s;
}
/* Binds s to a fresh name: 127.0.0.1:0; AF_UNIX: an abstract name, or with
 * a thread's random numbers now and then a path name (relative or absolute)
 * or autobind. Returns the name getsockname gives, *plen its length. */
static fz_addr bind_fresh(SOCKET s, struct thr *t, int *plen) {
    fz_addr a;
    memset(&a, 0, sizeof a);
    int len, e = SENT;
#ifdef FUZZ_UNIX
    switch (t ? rnd(t, 10) : 0) {
    case 6: case 7: len = fresh_path(t, &a); break;
    case 8: len = fresh_abs_path(&a); break;
    case 9: len = 2; a.sun_family = AF_UNIX; break;
    default: len = fresh_abstract(&a);
    }
#else
    (void)t;
    a.sin_family = AF_INET;
    a.sin_addr.S_un.S_addr = hton32(INADDR_LOOPBACK);
    len = sizeof a;
#endif
    if (CALL("WSPBind", WSPBind(s, (struct sockaddr *)&a, len, &e)) != 0) fail("WSPBind of a scenario's or pair's socket (length %d) failed: %d", len, e);
    int alen = sizeof a;
    e = SENT;
    if (CALL("WSPGetSockName", WSPGetSockName(s, (struct sockaddr *)&a, &alen, &e)) != 0) fail("WSPGetSockName of a bound socket failed: %d", e);
#ifdef FUZZ_UNIX
    if (alen <= 2) fail("WSPGetSockName of a socket bound with %d bytes returned %d bytes: no name", len, alen);
#endif
    *plen = alen;
    return a;
}
/* Records the name of a published socket. */
static void rec_name(int ri, const fz_addr *a, int len) {
    if (ri < 0) return;
    pthread_mutex_lock(&tmu);
#ifdef FUZZ_UNIX
    if (len > 2) { recs[ri].name = *a; recs[ri].namelen = len; }
#else
    (void)len;
    recs[ri].port = a->sin_port;
#endif
    pthread_mutex_unlock(&tmu);
}
static void act_pair(struct thr *t) {
    int ovl1 = chance(t, 35), ovl2 = chance(t, 35), tcp = chance(t, 70);
    pthread_mutex_lock(&tmu);
    int full = live_socks >= 34;
    pthread_mutex_unlock(&tmu);
    if (full) return;
    int e = SENT;
    if (tcp) {
        SOCKET l = pair_socket(SOCK_STREAM, ovl1);
        int alen, clen = 0;
        fz_addr a = bind_fresh(l, t, &alen), ca = a;
        if (CALL("WSPListen", WSPListen(l, 5, &e)) != 0) fail("WSPListen of a pair's listener failed: %d", e);
        SOCKET c = pair_socket(SOCK_STREAM, ovl2);
#ifdef FUZZ_UNIX
        if (chance(t, 30)) ca = bind_fresh(c, t, &clen);   /* a named client: accept reports its name */
#endif
        e = SENT;
        int rc = CALL("WSPConnect", WSPConnect(c, (struct sockaddr *)&a, alen, NULL, NULL, 0, NULL, NULL, &e));
        if (rc != 0 && e != WSAEWOULDBLOCK) fail("a non-blocking WSPConnect to the fuzzer's own listener failed: %d", e);
        SOCKET s = INVALID_SOCKET;
        double t0 = now_ms();
        while (s == INVALID_SOCKET) {
            fd_set r;
            struct timeval tv = { 0, 20000 };
            FD_ZERO(&r);
            FD_SET(l, &r);
            e = SENT;
            if (CALLB("WSPSelect", opt_call_ms + 20.0, WSPSelect(0, &r, NULL, NULL, &tv, &e)) == SOCKET_ERROR)
                fail("WSPSelect on a pair's listener failed: %d", e);
            e = SENT;
            s = CALL("WSPAccept", WSPAccept(l, NULL, NULL, NULL, 0, &e));
            if (s == INVALID_SOCKET && e != WSAEWOULDBLOCK) fail("WSPAccept of a pair failed: %d", e);
            if (s == INVALID_SOCKET && now_ms() - t0 > 3000) fail("a connection was not accepted within 3 s");
        }
        make_nonblocking(s);
        int li = add_rec(K_SOCK, l, SOCK_STREAM, ovl1, 0);
        rec_name(li, &a, alen);
        int ci = add_rec(K_SOCK, c, SOCK_STREAM, ovl2, 0);
        if (clen) rec_name(ci, &ca, clen);
        add_rec(K_SOCK, s, SOCK_STREAM, ovl1, 0);
        vlog("pair: listener %#x, client %#x, server %#x", l, c, s);
    } else {
        SOCKET u1 = pair_socket(SOCK_DGRAM, ovl1), u2 = pair_socket(SOCK_DGRAM, ovl2);
        int l1, l2;
        fz_addr a1 = bind_fresh(u1, t, &l1), a2 = bind_fresh(u2, t, &l2);
        if (CALL("WSPConnect", WSPConnect(u1, (struct sockaddr *)&a2, l2, NULL, NULL, 0, NULL, NULL, &e)) != 0)
            fail("WSPConnect of a datagram socket to the fuzzer's own failed: %d", e);
        if (CALL("WSPConnect", WSPConnect(u2, (struct sockaddr *)&a1, l1, NULL, NULL, 0, NULL, NULL, &e)) != 0)
            fail("WSPConnect of a datagram socket to the fuzzer's own failed: %d", e);
        int i1 = add_rec(K_SOCK, u1, SOCK_DGRAM, ovl1, 0), i2 = add_rec(K_SOCK, u2, SOCK_DGRAM, ovl2, 0);
        rec_name(i1, &a1, l1);
        rec_name(i2, &a2, l2);
        vlog("pair: datagram %#x <-> %#x", u1, u2);
    }
}

/* --------------------------------------------- close while blocked (RULINGS 4) */
enum { B_RECV, B_ACCEPT, B_SELECT, B_CONNECT, B_RECVFROM, B_NOPS };
static const char *bnames[] = { "WSPRecv", "WSPAccept", "WSPSelect", "WSPConnect", "WSPRecvFrom" };
struct blk {
    SOCKET s;
    int op, hook, slot;
    fz_addr to;
    int tolen;
    atomic_int entered, done;
    double t_entered;
    int rc, err;
};
static void *blk_main(void *p) {
    struct blk *b = p;
    my_slot = b->slot;
    my_thread = 100 + b->slot;
    char buf[64];
    DWORD n = 0;
    int flags = 0, err = SENT, rc = 0;
    if (b->hook) { int e; WSPSetBlockingHook32(hook_fn, &e); }
    b->t_entered = now_ms();
    atomic_store(&b->entered, 1);
    slot_begin(bnames[b->op], opt_call_ms + 3000.0);
    switch (b->op) {
    case B_RECV: rc = WSPRecv(b->s, buf, sizeof buf, &n, &flags, NULL, NULL, &err); break;
    case B_ACCEPT: rc = WSPAccept(b->s, NULL, NULL, NULL, 0, &err) == INVALID_SOCKET ? SOCKET_ERROR : 0; break;
    case B_SELECT: {
        fd_set r, e;
        FD_ZERO(&r); FD_ZERO(&e);
        FD_SET(b->s, &r); FD_SET(b->s, &e);
        rc = WSPSelect(0, &r, NULL, &e, NULL, &err);
        break;
    }
    case B_CONNECT: rc = WSPConnect(b->s, (struct sockaddr *)&b->to, b->tolen, NULL, NULL, 0, NULL, NULL, &err); break;
    case B_RECVFROM: {
        fz_addr from;
        int fl = sizeof from;
        rc = WSPRecvFrom(b->s, buf, sizeof buf, &n, &flags, &from, &fl, NULL, NULL, &err);
        break;
    }
    }
    slot_end();
    if (b->hook) { int e; WSPUnhookBlockingHook32(&e); }
    b->rc = rc;
    b->err = err;
    atomic_store(&b->done, 1);
    return NULL;
}

static SOCKET sc_socket(int type) {
    int e = SENT;
    SOCKET s = CALL("WSPSocket", WSPSocket(FZ_AF, type, 0, 0, 0, &e));
    if (s == INVALID_SOCKET) fail("WSPSocket for a close-while-blocked scenario failed: %d", e);
    add_rec(K_SOCK, s, type, 0, 1);
    return s;
}
static void sc_close(SOCKET s) {
    int e = SENT;
    if (CALL("WSPCloseSocket", WSPCloseSocket(s, &e)) != 0) fail("WSPCloseSocket(%#x) in a scenario failed: %d", s, e);
    pthread_mutex_lock(&tmu);
    for (int i = nrec - 1; i >= 0; i--) if (recs[i].kind == K_SOCK && recs[i].h == s) { recs[i].closed = 1; recs[i].privat = 0; break; }
    pthread_mutex_unlock(&tmu);
}
/* Binds l to a fresh name, and listens unless backlog < 0. */
static fz_addr sc_listener(SOCKET l, int backlog, int *plen) {
    int len, e = SENT;
    fz_addr a = bind_fresh(l, NULL, &len);
    if (backlog >= 0 && WSPListen(l, backlog, &e) != 0) fail("scenario listen failed: %d", e);
    if (plen) *plen = len;
    return a;
}

static void act_blocked(struct thr *t) {
    if (t->idx >= 8) return;
    struct blk b;
    memset(&b, 0, sizeof b);
    b.op = (int)rnd(t, B_NOPS);
    if (b.op == B_CONNECT && opt_no_backlog) return;
    b.hook = chance(t, 30);
    b.slot = MAXSLOTS / 2 + t->idx;
    SOCKET extra[12];
    int nextra = 0;
    switch (b.op) {
    case B_RECV: case B_SELECT: {
        SOCKET l = sc_socket(SOCK_STREAM);
        int alen;
        fz_addr a = sc_listener(l, 1, &alen);
        SOCKET c = sc_socket(SOCK_STREAM);
        int e = SENT;
        if (CALL("WSPConnect", WSPConnect(c, (struct sockaddr *)&a, alen, NULL, NULL, 0, NULL, NULL, &e)) != 0)
            fail("scenario connect to its own listener failed: %d", e);
        SOCKET s = CALL("WSPAccept", WSPAccept(l, NULL, NULL, NULL, 0, &e));
        if (s == INVALID_SOCKET) fail("scenario accept failed: %d", e);
        add_rec(K_SOCK, s, SOCK_STREAM, 0, 1);
        extra[nextra++] = l;
        extra[nextra++] = chance(t, 50) ? s : c;
        b.s = extra[1] == s ? c : s;
        break;
    }
    case B_ACCEPT: {
        b.s = sc_socket(SOCK_STREAM);
        sc_listener(b.s, 5, NULL);
        break;
    }
    case B_RECVFROM: {
        b.s = sc_socket(SOCK_DGRAM);
        sc_listener(b.s, -1, NULL);
        break;
    }
    case B_CONNECT: {
        SOCKET l = sc_socket(SOCK_STREAM);
        b.to = sc_listener(l, 1, &b.tolen);
        extra[nextra++] = l;
        int full = 0;
        /* fill the listener's backlog with non-blocking connects: until one
         * does not complete (TCP: its SYN waits; AF_UNIX: the kernel
         * refuses it with EAGAIN) */
        for (int i = 0; i < 8 && !full; i++) {
            SOCKET f = sc_socket(SOCK_STREAM);
            extra[nextra++] = f;
            u_long on = 1;
            int e = SENT;
            WSPIoctlSocket(f, FIONBIO, &on, &e);
            e = SENT;
            int rc = CALL("WSPConnect (filling a backlog)", WSPConnect(f, (struct sockaddr *)&b.to, b.tolen, NULL, NULL, 0, NULL, NULL, &e));
            vlog("WSPConnect(%#x) (filling a backlog of 1, connect %d) = %d err %d", f, i + 1, rc, e);
            if (rc != 0 && e != WSAEWOULDBLOCK) { full = 1; break; }   /* refused at once */
            sleep_ms(20);
            fd_set w;
            struct timeval tv = { 0, 0 };
            FD_ZERO(&w);
            FD_SET(f, &w);
            e = SENT;
            int n = CALL("WSPSelect", WSPSelect(0, NULL, &w, NULL, &tv, &e));
            if (n == 0) full = 1;
            else if (n == 1) {
                /* writable: the connect succeeded, so the socket has a peer */
                fz_addr p;
                int plen = sizeof p;
                e = SENT;
                int prc = CALL("WSPGetPeerName", WSPGetPeerName(f, (struct sockaddr *)&p, &plen, &e));
                vlog("WSPGetPeerName(%#x) after WSPSelect reported it writable = %d err %d", f, prc, e);
                if (prc != 0)
                    fail("a non-blocking WSPConnect (connect %d to a listener with backlog 1) answered WSAEWOULDBLOCK, WSPSelect then "
                         "reported the socket writable (connected), but WSPGetPeerName fails with %d", i + 1, e);
            }
        }
        if (!full) { for (int i = 0; i < nextra; i++) sc_close(extra[i]); return; }
        b.s = sc_socket(SOCK_STREAM);
        break;
    }
    }
    pthread_t th;
    if (pthread_create(&th, NULL, blk_main, &b) != 0) fail("pthread_create failed");
    while (!atomic_load(&b.entered)) sleep_ms(1);
    sleep_ms(40);
    int before = atomic_load(&b.done);
    double t_close = now_ms();
    sc_close(b.s);
    while (!atomic_load(&b.done)) {
        if (now_ms() - t_close > 2000) fail("%s blocked in another thread did not return within 2 s of WSPCloseSocket (RULINGS 4)", bnames[b.op]);
        sleep_ms(1);
    }
    pthread_join(th, NULL);
    vlog("close-while-blocked %s%s: rc %d err %d after %.1f ms", bnames[b.op], b.hook ? " (hooked)" : "", b.rc, b.err, now_ms() - t_close);
    if (before && b.op != B_CONNECT)
        fail("%s on a blocking socket with nothing to satisfy it returned before the close: %d, error %d", bnames[b.op], b.rc, b.err);
    if (before && b.op == B_CONNECT && b.rc == SOCKET_ERROR && b.err == WSAEWOULDBLOCK)
        fail("WSPConnect on a blocking socket%s (the listener's backlog full) failed with WSAEWOULDBLOCK", b.hook ? " with a blocking hook" : "");
    if (!before) {
        if (b.rc != SOCKET_ERROR) fail("%s returned %d when another thread closed its socket, expected SOCKET_ERROR / WSAEINTR", bnames[b.op], b.rc);
        if (b.err != WSAEINTR) fail("%s failed with %d when another thread closed its socket, expected WSAEINTR (RULINGS 4)", bnames[b.op], b.err);
    }
    for (int i = 0; i < nextra; i++) sc_close(extra[i]);
}

/* ------------------------------------------------------------- the sequence */
struct action { const char *name; void (*fn)(struct thr *); int weight; int uninit; };
static void a_send(struct thr *t) { act_send(t, 0); }
static void a_sendto(struct thr *t) { act_send(t, 1); }
static void a_recv(struct thr *t) { act_recv(t, 0); }
static void a_recvfrom(struct thr *t) { act_recv(t, 1); }
static const struct action actions[] = {
    { "socket", act_socket, 10, 1 },
    { "close", act_close, 5, 1 },
    { "bind", act_bind, 7, 1 },
    { "listen", act_listen, 5, 1 },
    { "connect", act_connect, 8, 1 },
    { "accept", act_accept, 7, 1 },
    { "send", a_send, 7, 1 },
    { "sendto", a_sendto, 5, 1 },
    { "recv", a_recv, 7, 1 },
    { "recvfrom", a_recvfrom, 5, 1 },
    { "names", act_names, 4, 1 },
    { "getsockopt", act_getsockopt, 5, 1 },
    { "setsockopt", act_setsockopt, 5, 1 },
    { "ioctl", act_ioctl, 5, 1 },
    { "shutdown", act_shutdown, 3, 1 },
    { "select", act_select, 6, 1 },
    { "fdisset", act_fdisset, 1, 0 },
    { "eventselect", act_eventselect, 4, 1 },
    { "enumevents", act_enumevents, 4, 1 },
    { "asyncselect", act_asyncselect, 3, 1 },
    { "callbackselect", act_callbackselect, 3, 1 },
    { "events", act_events, 5, 0 },
    { "windows", act_windows, 4, 0 },
    { "sleep", act_sleep, 4, 0 },
    { "ovresult", act_ovresult, 4, 0 },
    { "startup", act_startup, 2, 0 },
    { "hooks", act_hooks, 2, 1 },
    { "upcalls", act_upcalls, 2, 0 },
    { "enumprotocols", act_enumprotocols, 1, 0 },
    { "blocked", act_blocked, 1, 0 },
    { "pair", act_pair, 6, 0 },
    { "closerace", act_close_race, 1, 0 },
};
#define NACT ((int)(sizeof actions / sizeof *actions))

static void run_step(struct thr *t, int uninit) {
    int total = 0;
    for (int i = 0; i < NACT; i++) if (!uninit || actions[i].uninit) total += actions[i].weight;
    int r = (int)rnd(t, (uint32_t)total);
    for (int i = 0; i < NACT; i++) {
        if (uninit && !actions[i].uninit) continue;
        if (r < actions[i].weight) {
            atomic_store(&G->slots[my_slot].step, t->step);
            cur_action = actions[i].name;
            cur_step = t->step;
            actions[i].fn(t);
            return;
        }
        r -= actions[i].weight;
    }
}

static void thr_init(struct thr *t, int idx) {
    memset(t, 0, sizeof *t);
    t->idx = idx;
    t->rng = cur_seed * 0x2545F4914F6CDD1Dull + (uint64_t)idx * 0x9E3779B97F4A7C15ull + 1;
    t->big = malloc(65536);
    t->data = malloc(65536);      /* never freed: overlapped sends may still read it */
    for (int i = 0; i < 65536; i++) { t->big[i] = (char)i; t->data[i] = (char)(i * 7); }
    t->steps = cur_steps;
}

static void *worker_main(void *p) {
    struct thr *t = p;
    my_slot = 1 + t->idx;
    my_thread = t->idx;
    t->tid = WPUXxxGetCurrentThreadId32();
    tids[t->idx] = t->tid;
    atomic_store(&tid_live[t->idx], 1);
    for (t->step = 0; t->step < t->steps; t->step++) run_step(t, 0);
    if (t->hook) { int e; WSPUnhookBlockingHook32(&e); }
    while (t->extra_startups > 0) {
        int e = SENT;
        if (CALL("WSPCleanup", WSPCleanup(NULL, 0, &e)) != 0) fail("WSPCleanup of a thread's extra start-up failed: %d", e);
        t->extra_startups--;
        pthread_mutex_lock(&sumu); cur_startups--; pthread_mutex_unlock(&sumu);
    }
    CALL("SleepEx", SleepEx(0, TRUE));   /* run what is queued to this thread */
    atomic_store(&tid_live[t->idx], 0);
    return NULL;
}

static int count_fds(char *list, size_t cap) {
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -1;
    int dfd = dirfd(d);
    size_t used = 0;
    if (list) list[0] = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        int fd = atoi(e->d_name);
        if (fd == dfd) continue;
        n++;
        if (list && used + 80 < cap) {
            char path[64], target[64];
            snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
            ssize_t k = readlink(path, target, sizeof target - 1);
            target[k > 0 ? k : 0] = 0;
            used += (size_t)snprintf(list + used, cap - used, " %d=%s", fd, target);
        }
    }
    closedir(d);
    return n;
}

static void uninit_calls(struct thr *t, int n) {
    atomic_store(&phase_uninit, 1);
    for (int i = 0; i < n; i++) { t->step = i; run_step(t, 1); }
    atomic_store(&phase_uninit, 0);
}

/* A start-up/clean-up cycle touching every part that may keep a descriptor
 * for the process's lifetime (the engine, windows, events, overlapped). */
static void warm_up(void) {
    WSADATA d;
    int e = SENT;
    if (WSPStartup(MAKEWORD(2, 0), &d) != 0) fail("warm-up WSPStartup failed");
    SOCKET l = WSPSocket(FZ_AF, SOCK_STREAM, 0, 0, 0, &e);
    SOCKET u = WSPSocket(FZ_AF, SOCK_DGRAM, 0, 0, WSA_FLAG_OVERLAPPED, &e);
    SOCKET c = WSPSocket(FZ_AF, SOCK_STREAM, 0, 0, 0, &e);
    if (l == INVALID_SOCKET || u == INVALID_SOCKET || c == INVALID_SOCKET) fail("warm-up WSPSocket failed: %d", e);
    int alen;
    fz_addr a = sc_listener(l, 5, &alen);
    sc_listener(u, -1, NULL);
    WSAEVENT ev = WSACreateEvent();
    HWND w = WS2CreateMessageWindow();
    WSPEventSelect(l, ev, FD_ACCEPT, &e);
    WSPAsyncSelect32(c, w, 0x401, FD_CONNECT | FD_WRITE, &e);
    WSPConnect(c, (struct sockaddr *)&a, alen, NULL, NULL, 0, NULL, NULL, &e);
    WSPCallbackSelect16(u, select_cb, 0xCA11BAC, FD_READ, &e);
    static char rb[64];
    static struct op o;
    o.magic = OPMAGIC; o.rec = -1; o.thread = my_thread; o.len = sizeof rb;
    DWORD n; int fl = 0;
    WSPRecv(u, rb, sizeof rb, &n, &fl, &o.ov, ovl_done, &e);
    SOCKET s = WSPAccept(l, NULL, NULL, NULL, 0, &e);
    {
        struct timeval tv0 = { 0, 1000 };
        fd_set rs;
        FD_ZERO(&rs);
        FD_SET(l, &rs);
        WSPSelect(0, &rs, NULL, NULL, &tv0, &e);
    }
    DWORD tid = WPUXxxGetCurrentThreadId32();
    WPUXxxQueueUserAPC32(tid, apc_fn, 0xA9C, &e);
    SleepEx(1, TRUE);
    if (s != INVALID_SOCKET) WSPCloseSocket(s, &e);
    WSPCloseSocket(l, &e); WSPCloseSocket(u, &e); WSPCloseSocket(c, &e);
    SleepEx(1, TRUE);
    WSACloseEvent(ev);
    WS2DestroyMessageWindow(w);
    if (WSPCleanup(NULL, 0, &e) != 0) fail("warm-up WSPCleanup failed: %d", e);
    SleepEx(1, TRUE);
}

static int run_sequence(void) {
    G->failed = 0;
    struct thr main_t;
    my_thread = -1;
    my_slot = 0;
    thr_init(&main_t, 31);
    setenv("WINSOCK2_INI", "/nonexistent/ws2spi-fuzz/winsock2.ini", 1);
    pthread_t wd;
    pthread_create(&wd, NULL, watchdog_main, NULL);
    pthread_detach(wd);
#ifdef FUZZ_UNIX
    /* the run's directory, the working directory of the sequence (a stale
     * one of an earlier process with this pid goes first) */
    if (!getcwd(startdir, sizeof startdir)) snprintf(startdir, sizeof startdir, "/");
    rundir_name(rundir, sizeof rundir, (long)getpid());
    rundir_remove(rundir);
    if (mkdir(rundir, 0700) != 0 || chdir(rundir) != 0) { perror(rundir); fail("cannot make and enter the run directory %s", rundir); }
#endif

    /* 1. before any WSPStartup */
    uninit_calls(&main_t, 10 + (int)rnd(&main_t, 20));

    /* 2. the descriptor baseline, after a warm-up cycle */
    warm_up();
    char base_list[4096], end_list[4096];
    int base = count_fds(base_list, sizeof base_list);

    /* 3. start-up, a freed port, a few sockets to begin with */
    WSADATA d;
    memset(&d, 0, sizeof d);
    int rc = CALL("WSPStartup", WSPStartup(MAKEWORD(2, 0), &d));
    check_startup(MAKEWORD(2, 0), &d, rc, &d);
    cur_startups = 1;
#ifdef FUZZ_UNIX
    {   /* a name held by a stream socket that does not listen */
        int e = SENT;
        SOCKET s = WSPSocket(AF_UNIX, SOCK_STREAM, 0, 0, 0, &e);
        if (s == INVALID_SOCKET) fail("WSPSocket for the refused name failed: %d", e);
        add_rec(K_SOCK, s, SOCK_STREAM, 0, 1);
        dead_name = sc_listener(s, -1, &dead_len);
    }
#else
    for (int tries = 0; tries < 20 && !dead_port; tries++) {
        int e;
        SOCKET s = WSPSocket(AF_INET, SOCK_STREAM, 0, 0, 0, &e);
        SOCKET u = WSPSocket(AF_INET, SOCK_DGRAM, 0, 0, 0, &e);
        if (s == INVALID_SOCKET || u == INVALID_SOCKET) fail("WSPSocket for the refused port failed: %d", e);
        struct sockaddr_in a = sc_listener(s, -1, NULL);
        add_rec(K_SOCK, s, SOCK_STREAM, 0, 1);
        add_rec(K_SOCK, u, SOCK_DGRAM, 0, 1);
        if (WSPBind(u, (struct sockaddr *)&a, sizeof a, &e) == 0) dead_port = a.sin_port;
    }
    if (!dead_port) fail("no port free for both TCP and UDP on 127.0.0.1 in 20 tries");
#endif
    for (int i = 0; i < 4; i++) act_socket(&main_t);

    /* 4. the workers */
    struct thr *ts = calloc((size_t)cur_threads, sizeof *ts);
    pthread_t *th = calloc((size_t)cur_threads, sizeof *th);
    for (int i = 0; i < cur_threads; i++) { thr_init(&ts[i], i); pthread_create(&th[i], NULL, worker_main, &ts[i]); }
    slot_begin("the worker threads (join)", (double)cur_steps * 400.0 + 60000.0);
    for (int i = 0; i < cur_threads; i++) pthread_join(th[i], NULL);
    slot_end();

    /* 5. the end: close everything, or clean up with sockets open */
    int variant = (int)rnd(&main_t, 10) < 7 ? 0 : 1;
    vlog("end of the steps: %d records, %d operations; %s", nrec, nops, variant ? "WSPCleanup with sockets open" : "closing every handle");
    if (variant == 1) {
        for (int k = cur_startups; k > 0; k--) {
            int e = SENT;
            if (CALL("WSPCleanup", WSPCleanup(cleanup_cb, 0xC1EA, &e)) != 0) fail("WSPCleanup (%d to go) failed: %d", k, e);
        }
        int before_cb = atomic_load(&cleanup_cb_runs);
        CALL("SleepEx", SleepEx(0, TRUE));
        if (atomic_load(&cleanup_cb_runs) <= before_cb) fail("the last WSPCleanup's callback did not run in the next alertable wait (RULINGS 3)");
        memset(&d, 0, sizeof d);
        if (CALL("WSPStartup", WSPStartup(MAKEWORD(2, 0), &d)) != 0) fail("WSPStartup after the last WSPCleanup failed");
        cur_startups = 1;
    }
    for (int i = 0; i < nrec; i++) {
        struct rec *r = &recs[i];
        int e = SENT;
        if (r->kind == K_SOCK) {
            int rc2 = CALL("WSPCloseSocket (end)", WSPCloseSocket((SOCKET)r->h, &e));
            if (rc2 != 0 && e == WSAEWOULDBLOCK && !r->closed && variant == 0) {   /* a linger on a non-blocking socket */
                struct linger l = { 1, 0 };
                WSPSetSockOpt((SOCKET)r->h, SOL_SOCKET, SO_LINGER, (const char *)&l, sizeof l, &e);
                e = SENT;
                rc2 = CALL("WSPCloseSocket (end)", WSPCloseSocket((SOCKET)r->h, &e));
            }
            if (r->closed || variant == 1) {
                if (rc2 != SOCKET_ERROR || e != WSAENOTSOCK)
                    fail("WSPCloseSocket(%#lx) of a socket %s returned %d, error %d: expected WSAENOTSOCK", (unsigned long)r->h,
                         r->closed ? "the fuzzer closed" : "the last WSPCleanup closed", rc2, e);
            } else if (rc2 != 0) fail("WSPCloseSocket(%#lx) of a live socket at the end returned %d, error %d", (unsigned long)r->h, rc2, e);
            r->closed = 1;
        } else if (r->kind == K_UPCALL) {
            int rc2 = WPUXxxCloseSocketHandle((SOCKET)r->h, &e);
            if (r->closed ? (rc2 != SOCKET_ERROR || e != WSAENOTSOCK) : rc2 != 0)
                fail("WPUXxxCloseSocketHandle(%#lx) of a %s handle at the end returned %d, error %d", (unsigned long)r->h,
                     r->closed ? "closed" : "live", rc2, e);
            r->closed = 1;
        }
    }
    /* every operation that was pending has completed (RULINGS 8: none is ever lost) */
    double t0 = now_ms();
    for (int i = 0; i < nops; i++) {
        struct op *o = ops[i];
        if (!o->posted) continue;
        while (atomic_load((_Atomic DWORD *)&o->ov.Internal) == WSA_IO_PENDING) {
            if (now_ms() - t0 > 2000) fail("an overlapped operation (%p) is still WSA_IO_PENDING after its socket was closed", (void *)o);
            sleep_ms(2);
        }
        DWORD st = o->ov.Internal;
        if (st != 0 && !is_host_code((int)st)) fail("an overlapped operation (%p) ended with status %u: not a Winsock code", (void *)o, st);
    }
    for (int k = cur_startups; k > 0; k--) {
        int e = SENT;
        if (CALL("WSPCleanup", WSPCleanup(NULL, 0, &e)) != 0) fail("WSPCleanup (%d to go) failed: %d", k, e);
    }
    cur_startups = 0;
    {
        int e = SENT;
        int rc2 = CALL("WSPCleanup", WSPCleanup(NULL, 0, &e));
        if (rc2 != SOCKET_ERROR || e != WSANOTINITIALISED) fail("WSPCleanup with no start-up left returned %d, error %d", rc2, e);
    }
    CALL("SleepEx", SleepEx(1, TRUE));

    /* 6. after the last WSPCleanup */
    uninit_calls(&main_t, 10 + (int)rnd(&main_t, 20));

    for (int i = 0; i < nrec; i++) {
        struct rec *r = &recs[i];
        if (r->kind == K_EVENT) {
            BOOL ok = WSACloseEvent((WSAEVENT)r->h);
            if (ok == r->closed) fail("WSACloseEvent(%p) of a %s event at the end returned %d", (void *)r->h, r->closed ? "closed" : "live", ok);
        } else if (r->kind == K_WIN) {
            BOOL ok = WS2DestroyMessageWindow((HWND)r->h);
            if (ok == r->closed) fail("WS2DestroyMessageWindow(%p) of a %s window at the end returned %d", (void *)r->h, r->closed ? "destroyed" : "live", ok);
        }
    }
    CALL("SleepEx", SleepEx(1, TRUE));

    /* 7. descriptors back to the baseline */
    int n = 0;
    t0 = now_ms();
    while ((n = count_fds(end_list, sizeof end_list)) > base && now_ms() - t0 < 1500) sleep_ms(10);
    if (n > base) fail("%d descriptors after the sequence, %d after the warm-up (leaked: now%s; warm-up%s)", n, base, end_list, base_list);
#ifdef FUZZ_UNIX
    if (chdir(startdir) != 0) { /* nothing relative is used after this */ }
    rundir_remove(rundir);
    rundir[0] = 0;
#endif
    return 0;
}

/* ---------------------------------------------------------------- the driver */
static int threads_for(unsigned long long seed) {
    if (opt_threads_lo == opt_threads_hi) return opt_threads_lo;
    return opt_threads_lo + (int)(seed % (unsigned long long)(opt_threads_hi - opt_threads_lo + 1));
}

/* Runs one sequence in a forked child. 0: passed; else the wait status and
 * the failure text in why. */
static char inflight[400];   /* the calls in progress when the last child died */
static int run_child(unsigned long long seed, int steps, int threads, char *why, size_t whycap, const char *log) {
    memset(G, 0, sizeof *G);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); exit(2); }
    if (pid == 0) {
        if (log) {
            int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd >= 0) { dup2(fd, 1); dup2(fd, 2); close(fd); }
        }
        cur_seed = seed; cur_steps = steps; cur_threads = threads;
        alarm((unsigned)(60 + steps / 2));
        run_sequence();
        fflush(NULL);
        _exit(0);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0) {}
#ifdef FUZZ_UNIX
    {   /* the child's run directory, if it died before removing it */
        char dir[sizeof rundir];
        rundir_name(dir, sizeof dir, (long)pid);
        rundir_remove(dir);
    }
#endif
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return 0;
    inflight[0] = 0;
    size_t u = 0;
    for (int i = 0; i < MAXSLOTS; i++) {
        const char *n = atomic_load(&G->slots[i].name);
        if (n && strncmp(n, "the worker", 10) && u + 60 < sizeof inflight)
            u += (size_t)snprintf(inflight + u, sizeof inflight - u, "%s%s", u ? ", " : "", n);
    }
    if (G->fail[0]) { snprintf(why, whycap, "%s", G->fail); return st ? st : 1; }
    /* a sanitizer report: its kind and the first entry point on the stack */
    char kind[160] = "", fn[160] = "";
    FILE *f = log ? fopen(log, "r") : NULL;
    if (f) {
        char line[1024];
        while (fgets(line, sizeof line, f)) {
            char *p;
            if (!kind[0] && (p = strstr(line, "ERROR: AddressSanitizer: "))) {
                sscanf(p + 25, "%150s", kind);
            } else if (!kind[0] && (p = strstr(line, "runtime error: "))) {
                snprintf(kind, sizeof kind, "UBSan %.60s", p + 15);
                kind[strcspn(kind, "\n")] = 0;
            } else if (kind[0] && !fn[0] && (p = strstr(line, " in "))) {
                char name[160];
                if (sscanf(p + 4, "%150s", name) != 1) continue;
                /* a Swift symbol of the export thunks: $s11ProviderKit9WSPSendTo... */
                char *q = strstr(name, "ProviderKit");
                if (name[0] == '$' && q) {
                    q += 11;
                    int len = 0;
                    while (*q >= '0' && *q <= '9') len = len * 10 + (*q++ - '0');
                    if (len > 0 && len < 60 && (int)strlen(q) >= len) { memmove(name, q, (size_t)len); name[len] = 0; }
                }
                if (!strncmp(name, "WSAError", 8)) continue;   /* the error type, not an entry point */
                if (!strncmp(name, "WSP", 3) || !strncmp(name, "WSA", 3) || !strncmp(name, "WS2", 3) ||
                    !strncmp(name, "WPU", 3) || !strncmp(name, "SleepEx", 7) || !strncmp(name, "__WSAFDIsSet", 12))
                    snprintf(fn, sizeof fn, "%s", name);
            }
        }
        fclose(f);
    }
    if (kind[0]) snprintf(why, whycap, "sanitizer: %s in %s", kind, fn[0] ? fn : "(no entry point on the stack)");
    else if (WIFSIGNALED(st)) snprintf(why, whycap, "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    else snprintf(why, whycap, "exit status %d", WEXITSTATUS(st));
    return st ? st : 1;
}

/* A signature of a failure, to tell whether a shorter run fails the same
 * way: its text without numbers and addresses. */
static void signature(const char *why, char *sig, size_t cap) {
    size_t n = 0;
    for (const char *p = why; *p && n + 1 < cap; p++) {
        if (p[0] == '0' && p[1] == 'x') { p++; while (p[1] && strchr("0123456789abcdefABCDEF", p[1])) p++; continue; }
        if (*p >= '0' && *p <= '9') continue;
        sig[n++] = *p;
    }
    sig[n] = 0;
}

static void show_log(const char *log) {
    FILE *f = fopen(log, "r");
    if (!f) return;
    char line[512];
    int shown = 0;
    while (fgets(line, sizeof line, f) && shown < 40) {
        if (strstr(line, "ERROR: AddressSanitizer") || strstr(line, "runtime error") || strstr(line, "FAIL seed") ||
            strstr(line, "    #") || strstr(line, "SUMMARY")) {
            printf("    | %s", line);
            shown++;
        }
    }
    fclose(f);
}

/* The options a replay command needs besides seed, steps and threads. */
static const char *replay_flags(void) {
    static char f[64];
    snprintf(f, sizeof f, "%s%s", opt_lowptr ? "" : " --no-lowptr", opt_no_backlog ? " --no-full-backlog" : "");
    return f;
}

static int driver(void) {
    unsigned long long *list = NULL;
    int nlist = 0;
    if (opt_seeds) {
        list = calloc(strlen(opt_seeds) + 1, sizeof *list);
        for (char *p = opt_seeds; *p;) {
            char *end;
            unsigned long long v = strtoull(p, &end, 10);
            if (end == p) { p++; continue; }
            list[nlist++] = v;
            p = end;
        }
    }
    const char *dir = opt_log_dir ? opt_log_dir : "/tmp";
    mkdir(dir, 0755);
    char log[600], keep[700];
    snprintf(log, sizeof log, "%s/fuzz-last.log", dir);
    double t0 = now_ms(), last = t0;
    int passed = 0, failed = 0, iter = 0;
    long calls = 0;
    char sigs[16][1100];
    int nsigs = 0;
    unsigned long long seed = opt_seed;
    printf("fuzz: %s, %s, steps %d per thread, threads %d-%d, low pointers %s\n", FZ_FAMILY_NAME,
           list ? "a list of seeds" : "seeds from the start seed", opt_steps, opt_threads_lo, opt_threads_hi, opt_lowptr ? "on" : "off");
    for (;;) {
        if (list) { if (iter >= nlist) break; seed = list[iter]; }
        else if (opt_seconds >= 0 && (now_ms() - t0) / 1e3 >= opt_seconds) break;
        int threads = threads_for(seed);
        char why[1100] = "";
        int st = run_child(seed, opt_steps, threads, why, sizeof why, log);
        calls += atomic_load(&G->calls);
        iter++;
        if (st == 0) passed++;
        else {
            failed++;
            printf("FAIL seed %llu (threads %d, steps %d): %s\n", seed, threads, opt_steps, why);
            if (G->call[0]) printf("    the call: %s\n", G->call);
            else if (inflight[0]) printf("    calls in progress: %s\n", inflight);
            snprintf(keep, sizeof keep, "%s/fuzz-seed-%llu.log", dir, seed);
            rename(log, keep);
            show_log(keep);
            printf("    log: %s\n", keep);
            char sig[1100];
            signature(why, sig, sizeof sig);
            int seen = 0;
            for (int i = 0; i < nsigs; i++) if (!strcmp(sigs[i], sig)) seen = 1;
            if (!seen && nsigs < 16) snprintf(sigs[nsigs++], sizeof sigs[0], "%s", sig);
            if (opt_minimize && !seen) {
                /* bisect --steps: the shortest prefix that still fails the same way */
                int lo = 1, hi = opt_steps;
                while (lo < hi) {
                    int mid = lo + (hi - lo) / 2;
                    char w2[1100] = "", s2[1100];
                    int st2 = run_child(seed, mid, threads, w2, sizeof w2, log);
                    signature(w2, s2, sizeof s2);
                    if (st2 != 0 && !strcmp(s2, sig)) hi = mid; else lo = mid + 1;
                }
                char w3[1100] = "";
                int again = run_child(seed, hi, threads, w3, sizeof w3, log) != 0;
                printf("    replay%s: %s --seed %llu --steps %d --threads %d%s\n", again ? "" : " (did not fail again: flaky)",
                       self_path, seed, hi, threads, replay_flags());
                if (again) printf("    (%s)\n", w3);
            } else if (seen) {
                printf("    replay: %s --seed %llu --steps %d --threads %d%s (same kind as an earlier failure: not minimised)\n",
                       self_path, seed, opt_steps, threads, replay_flags());
            } else {
                printf("    replay: %s --seed %llu --steps %d --threads %d%s\n", self_path, seed, opt_steps, threads, replay_flags());
            }
        }
        if (!list) seed++;
        double t = now_ms();
        if (t - last >= 10000) {
            last = t;
            printf("fuzz: %d iterations (seeds %llu..%llu), %d failed, %ld calls (%.0f/s), %.0f s\n", iter,
                   list ? list[0] : opt_seed, seed - (list ? 0 : 1), failed, calls, calls / ((t - t0) / 1e3), (t - t0) / 1e3);
            fflush(stdout);
        }
    }
    double el = (now_ms() - t0) / 1e3;
    printf("fuzz: %d iterations in %.1f s, %ld calls (%.0f calls/s), %d failed\n", iter, el, calls, el > 0 ? calls / el : 0.0, failed);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

static void usage(void) {
    fprintf(stderr,
            "usage: fuzz [--seed S] [--steps N] [--threads T|A-B] [--verbose] [--no-lowptr] [--call-ms MS]\n"
            "            [--seconds X | --seeds S1,S2,...] [--no-minimize] [--no-full-backlog] [--log-dir DIR]\n");
    exit(2);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    self_path = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--seed") && v) { opt_seed = strtoull(v, NULL, 10); i++; }
        else if (!strcmp(a, "--steps") && v) { opt_steps = atoi(v); i++; }
        else if (!strcmp(a, "--threads") && v) {
            opt_threads_given = 1;
            if (sscanf(v, "%d-%d", &opt_threads_lo, &opt_threads_hi) != 2) opt_threads_hi = opt_threads_lo = atoi(v);
            i++;
        }
        else if (!strcmp(a, "--seconds") && v) { opt_seconds = atof(v); i++; }
        else if (!strcmp(a, "--seeds") && v) { opt_seeds = strdup(v); i++; }
        else if (!strcmp(a, "--call-ms") && v) { opt_call_ms = atoi(v); i++; }
        else if (!strcmp(a, "--log-dir") && v) { opt_log_dir = v; i++; }
        else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) opt_verbose = 1;
        else if (!strcmp(a, "--no-lowptr")) opt_lowptr = 0;
        else if (!strcmp(a, "--no-minimize")) opt_minimize = 0;
        else if (!strcmp(a, "--no-full-backlog")) opt_no_backlog = 1;
        else usage();
    }
    if (opt_threads_lo < 1) opt_threads_lo = 1;
    if (opt_threads_hi > 4) opt_threads_hi = 4;
    if (opt_threads_hi < opt_threads_lo) opt_threads_hi = opt_threads_lo;
    if (opt_steps < 1) opt_steps = 1;
    G = mmap(NULL, sizeof *G, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (G == MAP_FAILED) { perror("mmap"); return 2; }
    memset(G, 0, sizeof *G);
    if (opt_seconds >= 0 || opt_seeds) return driver();
    cur_seed = opt_seed; cur_steps = opt_steps; cur_threads = threads_for(opt_seed);
    printf("fuzz: %s, seed %llu, steps %d, threads %d%s\n", FZ_FAMILY_NAME, cur_seed, cur_steps, cur_threads, opt_lowptr ? "" : ", no low pointers");
    fflush(stdout);
    run_sequence();
    printf("fuzz: seed %llu passed, %ld calls\n", cur_seed, atomic_load(&G->calls));
    printf("1 passed, 0 failed\n");
    return 0;
}
