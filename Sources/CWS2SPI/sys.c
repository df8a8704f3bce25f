#define _GNU_SOURCE 1
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <errno.h>
#include <sched.h>
#include <dlfcn.h>
#include "ws2spi_sys.h"

int ws2spi_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int ws2spi_epoll_add(int epfd, int fd, uint32_t events, uint64_t token) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = token;
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int ws2spi_epoll_del(int epfd, int fd) {
    struct epoll_event ev = { 0 };
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &ev);
}

int ws2spi_epoll_wait(int epfd, uint64_t *tokens, uint32_t *events, int max, int timeout_ms) {
    struct epoll_event evs[256];
    if (max > 256) max = 256;
    int n = epoll_wait(epfd, evs, max, timeout_ms);
    for (int i = 0; i < n; i++) {
        tokens[i] = evs[i].data.u64;
        events[i] = evs[i].events;
    }
    return n;
}

int ws2spi_eventfd(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

int ws2spi_sys_gettid(void) { return (int)gettid(); }

int ws2spi_sys_set_batch_scheduling(void) {
    struct sched_param p = { 0 };
    return sched_setscheduler(0, SCHED_BATCH, &p);
}

const char *ws2spi_sys_object_path(const void *addr) {
    Dl_info info;
    return dladdr(addr, &info) != 0 ? info.dli_fname : NULL;
}
