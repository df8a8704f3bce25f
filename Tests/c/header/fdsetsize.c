/* The draft lets a user define FD_SETSIZE before including ws2spi.h; glibc
 * must neither see it nor override it. */
#define FD_SETSIZE 128
#include <ws2spi.h>
#include <stdlib.h>
#include <unistd.h>

#include "test_assert.h"

TEST_ASSERT(FD_SETSIZE == 128, user_fd_setsize_kept);
TEST_ASSERT(sizeof(fd_set) == 4 + 128 * sizeof(SOCKET), fd_set_uses_it);

int ws2spi_test_fdsetsize(void);
int ws2spi_test_fdsetsize(void)
{
    fd_set set;
    FD_ZERO(&set);
    FD_SET(1, &set);
    return (int)set.fd_count;
}
