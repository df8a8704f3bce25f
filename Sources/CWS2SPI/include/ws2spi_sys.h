/* Linux calls the Swift core needs that Swift's Glibc module does not
 * import (<sys/epoll.h>, <sys/eventfd.h>, gettid): thin wrappers with plain
 * types. epoll_event is packed on x86-64, so epoll_wait hands back tokens
 * and event bits in two plain arrays. */
#ifndef WS2SPI_SYS_H
#define WS2SPI_SYS_H

#include <stdint.h>

#define WS2SPI_EPOLLIN    0x001u
#define WS2SPI_EPOLLPRI   0x002u
#define WS2SPI_EPOLLOUT   0x004u
#define WS2SPI_EPOLLERR   0x008u
#define WS2SPI_EPOLLHUP   0x010u
#define WS2SPI_EPOLLRDHUP 0x2000u
#define WS2SPI_EPOLLET    (1u << 31)

int ws2spi_epoll_create(void);
int ws2spi_epoll_add(int epfd, int fd, uint32_t events, uint64_t token);
int ws2spi_epoll_del(int epfd, int fd);
int ws2spi_epoll_wait(int epfd, uint64_t *tokens, uint32_t *events, int max, int timeout_ms);
/* A non-blocking, close-on-exec eventfd. */
int ws2spi_eventfd(void);
int ws2spi_sys_gettid(void);
/* Puts the calling thread in SCHED_BATCH: its wake-ups do not preempt the
 * thread that is running. */
int ws2spi_sys_set_batch_scheduling(void);
/* dladdr(3): the path of the loaded file (library or program) that holds
 * addr, or NULL. */
const char *ws2spi_sys_object_path(const void *addr);

#endif
