/* Overlapped I/O in processes forked from one that loaded the library
 * (pre-fork servers, Python's multiprocessing with fork): the first
 * completion in a child races with the child's first
 * WSAGetOverlappedResult. Each child must finish; a hang is caught by its
 * own alarm. */
#include "harness.h"
#include <signal.h>
#include <sys/wait.h>

static void child_round(int k) {
    alarm(5);
    t_startup();
    SOCKET c, s;
    int err = 0;
    /* an overlapped accepted socket and a plain peer */
    struct sockaddr_in a = t_loopback(0);
    int len = sizeof a;
    SOCKET l = WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, WSA_FLAG_OVERLAPPED, &err);
    CHECK(l != INVALID_SOCKET);
    CHECK_OK(WSPBind(l, (struct sockaddr *)&a, sizeof a, lpErrno));
    CHECK_OK(WSPListen(l, 4, lpErrno));
    CHECK_OK(WSPGetSockName(l, (struct sockaddr *)&a, &len, lpErrno));
    c = t_socket(SOCK_STREAM);
    CHECK_OK(WSPConnect(c, (struct sockaddr *)&a, sizeof a, NULL, NULL, 0, NULL, NULL, lpErrno));
    s = WSPAccept(l, NULL, NULL, NULL, 0, &err);
    CHECK(s != INVALID_SOCKET);
    static char buf[8];
    static WSAOVERLAPPED ov;
    WSAEVENT e = WSACreateEvent();
    CHECK(e != WSA_INVALID_EVENT);
    memset(&ov, 0, sizeof ov);
    ov.hEvent = e;
    DWORD n = 0, fl = 0;
    int flags = 0;
    CHECK_WSA(WSPRecv(s, buf, sizeof buf, &n, &flags, &ov, NULL, lpErrno), WSA_IO_PENDING);
    CHECK_EQ(t_send_all(c, "12345678", 8), 0);
    /* vary the phase against the engine's completion from child to child */
    double t0 = t_now();
    while (t_now() - t0 < (k % 16) * 1e-6) {}
    CHECK_EQ(WSAGetOverlappedResult(s, &ov, &n, TRUE, &fl), TRUE);
    CHECK_EQ(n, 8);
    CHECK(memcmp(buf, "12345678", 8) == 0);
    _exit(0);
}

TEST_T(overlapped_results_in_forked_children, 120) {
    enum { CHILDREN = 1000 };
    for (int k = 0; k < CHILDREN; k++) {
        pid_t kid = fork();
        CHECK(kid >= 0);
        if (kid == 0) child_round(k);
        int st = 0;
        CHECK_EQ(waitpid(kid, &st, 0), kid);
        if (WIFSIGNALED(st))
            harness_fail(__FILE__, __LINE__, "child %d of %d killed by signal %d%s", k, CHILDREN, WTERMSIG(st),
                         WTERMSIG(st) == SIGALRM ? " (hung)" : "");
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            harness_fail(__FILE__, __LINE__, "child %d of %d failed (exit %d)", k, CHILDREN, WEXITSTATUS(st));
    }
}
